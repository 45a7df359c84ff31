// CSupervisor: starts a stage's command under a supervising process, forked from madpipe, that
// runs only async-signal-safe C (no allocation, no Swift runtime), so it costs one fork instead of
// starting madpipe again. Supervisor.swift prepares every argument; see supervisor.c for what the
// supervising process guarantees.
#ifndef CSUPERVISOR_H
#define CSUPERVISOR_H

#include <sys/types.h>

/// Forks a supervisor that runs `path` with `argv` and `envp` in `directory`, standard input from
/// /dev/null, output appended to `log_path`, and `inherit_fd` (or -1) as descriptor 3 of the
/// command and everything it starts. The supervisor leads its own process group. `parent` is the
/// caller's pid (the supervisor exits at once if it is no longer its parent), `grace_ms` the time
/// between SIGTERM and SIGKILL. Returns the supervisor's pid, or -1 with errno set.
pid_t madpipe_supervise(const char *path, char *const argv[], char *const envp[], const char *directory,
                        const char *log_path, int inherit_fd, pid_t parent, int grace_ms);

#endif
