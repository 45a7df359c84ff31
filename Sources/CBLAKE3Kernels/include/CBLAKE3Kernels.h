// CBLAKE3Kernels: BLAKE3 chunk and parent compression for many inputs at once with AVX-512 or
// AVX2, chosen at run time. Swift cannot compile one function for a wider instruction set than
// the rest of the program, so these kernels live in C with per-function target attributes; the
// portable Swift kernel (PipelineCore/BLAKE3.swift) is used where they are not available.
#ifndef CBLAKE3_KERNELS_H
#define CBLAKE3_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Lanes of the best kernel this CPU runs: 16 (AVX-512F), 8 (AVX2) or 0 (none: use Swift's).
int madpipe_blake3_lanes(void);

/// Chaining values of `count` complete, non-root 1024-byte chunks at `input` (`count` a multiple
/// of madpipe_blake3_lanes()), the first with chunk counter `counter`; 8 words each into `out`.
void madpipe_blake3_chunks(const uint8_t *input, size_t count, uint64_t counter, uint32_t *out);

/// Chaining values of `count` non-root parent nodes (`count` a multiple of the lanes);
/// `children` holds 2 * count chaining values (each pair in order), `out` receives count.
void madpipe_blake3_parents(const uint32_t *children, size_t count, uint32_t *out);

#endif
