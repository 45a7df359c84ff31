// Many-lane BLAKE3 kernels: lane i of every vector belongs to chunk (or parent node) i, so the
// compression function runs as plain vector arithmetic; message words are gathered across the
// lanes. One body, instantiated for AVX-512F (16 lanes) and AVX2 (8 lanes) through a macro;
// checked against the scalar reference in Tests/PipelineCoreTests/BLAKE3Tests.swift.
#include "CBLAKE3Kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

static const uint32_t IV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                               0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
enum { CHUNK_START = 1, CHUNK_END = 2, PARENT = 4 };

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define G(a, b, c, d, x, y)                                   \
    a = a + b + (x); d = ROTR(d ^ a, 16); c = c + d; b = ROTR(b ^ c, 12); \
    a = a + b + (y); d = ROTR(d ^ a, 8);  c = c + d; b = ROTR(b ^ c, 7);

// One round with message words w[s0]..w[s15] (the schedule is spelled out so that every index
// is a constant and the 16 state vectors stay in registers).
#define ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
    G(v0, v4, v8, v12, m[s0], m[s1]) G(v1, v5, v9, v13, m[s2], m[s3])           \
    G(v2, v6, v10, v14, m[s4], m[s5]) G(v3, v7, v11, v15, m[s6], m[s7])         \
    G(v0, v5, v10, v15, m[s8], m[s9]) G(v1, v6, v11, v12, m[s10], m[s11])       \
    G(v2, v7, v8, v13, m[s12], m[s13]) G(v3, v4, v9, v14, m[s14], m[s15])

// Seven rounds on state h[8] (chaining values in and out) with message m[16]; round r+1 uses
// the message permutation applied to round r's order.
#define COMPRESS(V, h, m, lo, hi, len, fl)                                        \
    do {                                                                          \
        V v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]; \
        V v8 = (V){0} + IV[0], v9 = (V){0} + IV[1], v10 = (V){0} + IV[2], v11 = (V){0} + IV[3]; \
        V v12 = lo, v13 = hi, v14 = len, v15 = fl;                                \
        ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)               \
        ROUND(2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8)               \
        ROUND(3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1)               \
        ROUND(10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6)               \
        ROUND(12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4)               \
        ROUND(9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7)               \
        ROUND(11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13)               \
        h[0] = v0 ^ v8; h[1] = v1 ^ v9; h[2] = v2 ^ v10; h[3] = v3 ^ v11;         \
        h[4] = v4 ^ v12; h[5] = v5 ^ v13; h[6] = v6 ^ v14; h[7] = v7 ^ v15;       \
    } while (0)

// KERNELS(SUFFIX, TARGET, LANES, V, GATHER): chunks_SUFFIX and parents_SUFFIX for one ISA.
// GATHER(base, idx) loads 32-bit words at base + 4 * idx[lane].
#define KERNELS(SUFFIX, TARGET, LANES, V, GATHER)                                              \
    __attribute__((target(TARGET))) static void chunks_##SUFFIX(const uint8_t *input, uint64_t counter, uint32_t *out) { \
        V h[8], m[16], idx, lo, hi;                                                           \
        for (int i = 0; i < 8; i++) h[i] = (V){0} + IV[i];                                    \
        for (int lane = 0; lane < LANES; lane++) {                                            \
            uint64_t c = counter + (uint64_t)lane;                                            \
            lo[lane] = (uint32_t)c; hi[lane] = (uint32_t)(c >> 32); idx[lane] = lane * 256;   \
        }                                                                                     \
        for (int b = 0; b < 16; b++) {                                                        \
            const uint8_t *block = input + 64 * b;                                            \
            for (int w = 0; w < 16; w++) m[w] = GATHER(block + 4 * w, idx);                   \
            uint32_t flags = (b == 0 ? CHUNK_START : 0) | (b == 15 ? CHUNK_END : 0);          \
            COMPRESS(V, h, m, lo, hi, (V){0} + 64u, (V){0} + flags);                          \
        }                                                                                     \
        for (int lane = 0; lane < LANES; lane++)                                              \
            for (int i = 0; i < 8; i++) out[8 * lane + i] = h[i][lane];                       \
    }                                                                                         \
    __attribute__((target(TARGET))) static void parents_##SUFFIX(const uint32_t *children, uint32_t *out) { \
        V h[8], m[16], idx;                                                                   \
        for (int i = 0; i < 8; i++) h[i] = (V){0} + IV[i];                                    \
        for (int lane = 0; lane < LANES; lane++) idx[lane] = lane * 16;                       \
        for (int w = 0; w < 16; w++) m[w] = GATHER((const uint8_t *)(children + w), idx);     \
        COMPRESS(V, h, m, (V){0}, (V){0}, (V){0} + 64u, (V){0} + (uint32_t)PARENT);           \
        for (int lane = 0; lane < LANES; lane++)                                              \
            for (int i = 0; i < 8; i++) out[8 * lane + i] = h[i][lane];                       \
    }

typedef uint32_t v16u __attribute__((vector_size(64)));
typedef uint32_t v8u __attribute__((vector_size(32)));
#define GATHER16(p, idx) ((v16u)_mm512_i32gather_epi32((__m512i)(idx), (const void *)(p), 4))
#define GATHER8(p, idx) ((v8u)_mm256_i32gather_epi32((const int *)(p), (__m256i)(idx), 4))
KERNELS(avx512, "avx512f", 16, v16u, GATHER16)
KERNELS(avx2, "avx2", 8, v8u, GATHER8)

int madpipe_blake3_lanes(void) {
    static int lanes = -1;
    if (lanes < 0) {
        __builtin_cpu_init();
        lanes = __builtin_cpu_supports("avx512f") ? 16 : __builtin_cpu_supports("avx2") ? 8 : 0;
    }
    return lanes;
}

void madpipe_blake3_chunks(const uint8_t *input, size_t count, uint64_t counter, uint32_t *out) {
    int lanes = madpipe_blake3_lanes();
    for (size_t i = 0; i + (size_t)lanes <= count && lanes > 0; i += (size_t)lanes) {
        if (lanes == 16) chunks_avx512(input + 1024 * i, counter + i, out + 8 * i);
        else chunks_avx2(input + 1024 * i, counter + i, out + 8 * i);
    }
}

void madpipe_blake3_parents(const uint32_t *children, size_t count, uint32_t *out) {
    int lanes = madpipe_blake3_lanes();
    for (size_t i = 0; i + (size_t)lanes <= count && lanes > 0; i += (size_t)lanes) {
        if (lanes == 16) parents_avx512(children + 16 * i, out + 8 * i);
        else parents_avx2(children + 16 * i, out + 8 * i);
    }
}

#else
int madpipe_blake3_lanes(void) { return 0; }
void madpipe_blake3_chunks(const uint8_t *input, size_t count, uint64_t counter, uint32_t *out) {
    (void)input; (void)count; (void)counter; (void)out;
}
void madpipe_blake3_parents(const uint32_t *children, size_t count, uint32_t *out) {
    (void)children; (void)count; (void)out;
}
#endif
