// supervisor.c: the process between madpipe and a stage's command, so that no command outlives
// the run that started it and nothing it started can write the stage's outputs once they are
// hashed. It is forked from madpipe (a multi-threaded process), so between fork and _exit it calls
// only async-signal-safe functions and allocates nothing. Both forks are glibc's `_Fork`, which runs
// no atfork handlers: `fork` runs them, and OpenBLAS's (which shuts its thread pool down) once
// waited forever in the supervisor on one of OpenBLAS's mutexes, copied locked from madpipe (a
// real-model test hung in a CI check). The supervisor:
//   - dies with its runner: PR_SET_PDEATHSIG sends it SIGTERM when the thread that forked it
//     ends (a stage's thread lives until its command has ended); getppid() closes the race of a
//     runner that died before that was set;
//   - starts the command in a new process group and, being a child subreaper, inherits every
//     process the command leaves behind, even one that left the group (setsid);
//   - on SIGTERM, SIGINT, SIGHUP or SIGQUIT (or its runner's death) sends SIGTERM to the
//     command's group, and SIGKILL `grace_ms` later;
//   - once the command's shell has exited, ends whatever it left behind (SIGTERM, grace, SIGKILL)
//     and waits until none of it is left;
//   - then exits as the shell did (same exit code, or killed by the same signal).
// The descriptor it is handed (the lock on the stage's `${work}`) passes to the command and to
// everything it starts, so a process that somehow survives still holds that lock.

#define _GNU_SOURCE
#include "CSupervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int termination_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
enum { n_termination = sizeof termination_signals / sizeof termination_signals[0] };

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Closes every descriptor from `first` on (close_range where the kernel has it).
static void close_from(int first) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
#endif
    for (int fd = first; fd < 65536; fd++) close(fd);
}

// Descriptors 0 (/dev/null), 1 and 2 (the log), 3 (`inherit_fd`, without close-on-exec); every
// other descriptor closed. Returns 0, or -1 when the log cannot be opened.
static int set_descriptors(const char *log_path, int inherit_fd) {
    if (inherit_fd >= 0 && inherit_fd != 3) {
        if (dup2(inherit_fd, 3) < 0) return -1;
    }
    if (inherit_fd >= 0) fcntl(3, F_SETFD, 0);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (null < 0 || log < 0) return -1;
    // Move both above 3 before the dup2s, so neither is overwritten by another.
    int n = fcntl(null, F_DUPFD_CLOEXEC, 4), l = fcntl(log, F_DUPFD_CLOEXEC, 4);
    if (n < 0 || l < 0) return -1;
    if (dup2(n, 0) < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0) return -1;
    close_from(inherit_fd >= 0 ? 4 : 3);
    return 0;
}

// Reaps every child that has ended; sets *status and returns 1 if `watched` was among them.
static int reap_all(pid_t watched, int *status) {
    int found = 0, st;
    for (;;) {
        pid_t w = waitpid(-1, &st, WNOHANG);
        if (w > 0) {
            if (w == watched) { *status = st; found = 1; }
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        return found;
    }
}

// Sends `sig` to every direct child (orphans of the command become ours: we are a subreaper).
static void signal_children(int sig) {
    char path[64] = "/proc/self/task/";
    // The supervisor has one thread, whose id is its pid.
    pid_t self = getpid();
    char digits[16];
    int nd = 0;
    do { digits[nd++] = (char)('0' + self % 10); self /= 10; } while (self > 0);
    size_t len = strlen(path);
    while (nd > 0) path[len++] = digits[--nd];
    memcpy(path + len, "/children", 10);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    pid_t pid = 0;
    int in_number = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR)) {
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] >= '0' && buf[i] <= '9') { pid = pid * 10 + (buf[i] - '0'); in_number = 1; }
            else if (in_number) { kill(pid, sig); pid = 0; in_number = 0; }
        }
    }
    if (in_number) kill(pid, sig);
    close(fd);
}

// Waits up to `ms` for one of the watched signals; returns it, or 0.
static int await_signal(const sigset_t *watched, int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    int sig = sigtimedwait(watched, NULL, &ts);
    return sig < 0 ? 0 : sig;
}

// Ends everything the command left (its group, and every descendant); returns when none is left,
// or after grace + 10 s for a process that not even SIGKILL ends.
static void end_leftovers(pid_t group, const sigset_t *watched, int grace_ms) {
    int64_t start = now_ms();
    int terminated = 0, st;
    for (;;) {
        reap_all(-1, &st);
        if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD) return;   // no descendant left
        int64_t elapsed = now_ms() - start;
        if (elapsed > grace_ms + 10000) return;
        if (elapsed < grace_ms) {
            if (!terminated) { kill(-group, SIGTERM); terminated = 1; }
            signal_children(SIGTERM);
        } else {
            kill(-group, SIGKILL);
            signal_children(SIGKILL);
        }
        await_signal(watched, 50);
    }
}

// Exits with the shell's code, or dies of the same signal (without a core dump).
static void exit_like(int status) {
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    kill(getpid(), sig);
    _exit(128 + sig);
}

static void supervise(const char *path, char *const argv[], char *const envp[], const char *directory,
                      const char *log_path, int inherit_fd, pid_t parent, int grace_ms) {
    // Default dispositions (madpipe ignores SIGINT/SIGTERM; an ignored signal is discarded even
    // while blocked), then block the ones waited for with sigtimedwait.
    sigset_t watched;
    sigemptyset(&watched);
    for (int i = 0; i < n_termination; i++) {
        signal(termination_signals[i], SIG_DFL);
        sigaddset(&watched, termination_signals[i]);
    }
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigaddset(&watched, SIGCHLD);
    sigprocmask(SIG_SETMASK, &watched, NULL);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);   // the runner died before we watched it
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (set_descriptors(log_path, inherit_fd) != 0) _exit(127);

    pid_t shell = _Fork();
    if (shell < 0) _exit(127);
    if (shell == 0) {
        setpgid(0, 0);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        prctl(PR_SET_PDEATHSIG, 0);
        if (chdir(directory) != 0) {
            static const char msg[] = "madpipe: cannot enter the stage's working directory\n";
            (void)!write(2, msg, sizeof msg - 1);
            _exit(127);
        }
        execve(path, argv, envp);
        static const char msg[] = "madpipe: cannot start the command's shell\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(127);
    }
    setpgid(shell, shell);   // also here: a signal sent before the child ran must find its group

    int status = 0;
    int64_t term_sent = -1;
    for (;;) {
        int sig = await_signal(&watched, 100);
        if (sig != 0 && sig != SIGCHLD && term_sent < 0) {
            kill(-shell, SIGTERM);
            term_sent = now_ms();
        }
        if (reap_all(shell, &status)) {
            end_leftovers(shell, &watched, grace_ms);
            exit_like(status);
        }
        if (term_sent >= 0 && now_ms() - term_sent >= grace_ms) kill(-shell, SIGKILL);
    }
}

pid_t madpipe_supervise(const char *path, char *const argv[], char *const envp[], const char *directory,
                        const char *log_path, int inherit_fd, pid_t parent, int grace_ms) {
    pid_t pid = _Fork();
    if (pid == 0) {
        supervise(path, argv, envp, directory, log_path, inherit_fd, parent, grace_ms);
        _exit(127);
    }
    if (pid > 0) setpgid(pid, pid);   // the supervisor leads its group from the caller's view too
    return pid;
}
