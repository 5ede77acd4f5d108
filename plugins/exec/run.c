/*
 * run.c - run one shell command under supervision (see run.h).
 *
 * The command is started with posix_spawn(): no fork() of a possibly large,
 * multi-threaded weir, and nothing but the spawn actions runs between the
 * clone and the exec.  The child
 *   - runs /bin/sh -c COMMAND in a process group of its own, so that a
 *     timeout reaches whatever the command started (a pipeline, a script's
 *     children), not only the shell;
 *   - has an empty signal mask and every signal at its default action
 *     (weir may block or ignore some; `mail` or a script should not inherit
 *     that: a command writing to a closed pipe should die of SIGPIPE as it
 *     would from a terminal);
 *   - gets only fds 0, 1 and 2: every fd opened here is O_CLOEXEC, and with
 *     glibc >= 2.34 everything above 2 is closed as well (fds another part
 *     of the process opened without O_CLOEXEC: a database, a socket).
 *
 * The parent then drives both pipes without blocking, with poll() bounded by
 * the deadline, and notices the end of the child with waitid(WNOWAIT): the
 * child stays a zombie, so its pid (and process group id) cannot be reused
 * until we reap it, and a kill(-pgid) can never hit an unrelated process.
 * The child is reaped on every path.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pipe2, posix_spawn_file_actions_add*_np */
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#if defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define HAVE_SPAWN_CLOSEFROM 1
#endif
#if defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define HAVE_SPAWN_CHDIR 1
#endif

/* Longest sleep between two looks at the child when no pipe says anything
 * (the command closed both pipes, or left them to a background process). */
#define NAP_MAX_MS 50

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Move `fd` to 3 or above (keeping O_CLOEXEC): a pipe end that landed on
 * 0, 1 or 2 (weir started with a closed stdin) would be overwritten by the
 * dup2 actions, or keep its close-on-exec flag when dup2'd onto itself. */
static int above_stdio(int *fd)
{
    if (*fd > 2)
        return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return -1;
    close(*fd);
    *fd = moved;
    return 0;
}

static int make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    if (above_stdio(&fds[0]) != 0 || above_stdio(&fds[1]) != 0) {
        int e = errno;
        close_fd(&fds[0]);
        close_fd(&fds[1]);
        errno = e;
        return -1;
    }
    return 0;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* 1 when the child has ended (it stays a zombie: WNOWAIT), 0 when not,
 * -1 when it cannot be waited for (ECHILD: SIGCHLD ignored by someone,
 * the kernel reaped it). */
static int child_ended(pid_t pid, int block)
{
    siginfo_t si;
    for (;;) {
        memset(&si, 0, sizeof si);
        int rc = waitid(P_PID, (id_t)pid, &si,
                        WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
        if (rc == 0)
            return si.si_pid == pid;
        if (errno != EINTR)
            return -1;
    }
}

static void reap(pid_t pid, exec_outcome *o)
{
    int status;
    pid_t r;
    do
        r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid) {
        o->lost = 1;
        return;
    }
    if (WIFEXITED(status)) {
        o->exited = 1;
        o->code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        o->signaled = 1;
        o->sig = WTERMSIG(status);
    }
}

/* Read what the output pipe has now, up to 64 KiB (a command writing
 * without end must not keep us from the deadline); closes it at end of
 * file. */
static void drain_output(int *fd, exec_outcome *o)
{
    char buf[4096];
    for (int i = 0; i < 16 && *fd >= 0; i++) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
            size_t room = EXEC_OUTPUT_MAX - o->output_len;
            size_t keep = (size_t)n < room ? (size_t)n : room;
            memcpy(o->output + o->output_len, buf, keep);
            o->output_len += keep;
            o->output_total += (size_t)n;
        } else if (n == 0) {
            close_fd(fd);
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            close_fd(fd);
        }
    }
}

/* Write what the input pipe takes now; closes it when all is written or the
 * command stopped reading.  Returns 1 when the write failed with EPIPE. */
static int feed_input(int *fd, const exec_job *job, exec_outcome *o)
{
    size_t total = job->input_len + (job->input_newline ? 1 : 0);
    while (*fd >= 0 && o->input_written < total) {
        const char *p;
        size_t len;
        if (o->input_written < job->input_len) {
            p = job->input + o->input_written;
            len = job->input_len - o->input_written;
        } else {
            p = "\n";
            len = 1;
        }
        ssize_t n = write(*fd, p, len);
        if (n >= 0) {
            o->input_written += (size_t)n;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        } else {
            int epipe = errno == EPIPE;
            o->input_short = 1;
            close_fd(fd);
            return epipe;
        }
    }
    close_fd(fd); /* end of file for the command */
    return 0;
}

static int spawn(const exec_job *job, int in_r, int out_w, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc)
        return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc) {
        posix_spawn_file_actions_destroy(&fa);
        return rc;
    }

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, in_r, 0);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, out_w, 2);
#ifdef HAVE_SPAWN_CLOSEFROM
    if (!rc)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    char *argv[8];
    int argc = 0;
    argv[argc++] = (char *)"sh";
    argv[argc++] = (char *)"-c";
#ifdef HAVE_SPAWN_CHDIR
    if (!rc && job->dir)
        rc = posix_spawn_file_actions_addchdir_np(&fa, job->dir);
    argv[argc++] = (char *)job->command;
#else
    /* No chdir action: let the shell change directory first.  "$1" and
     * "$2" keep both strings out of the script text. */
    if (job->dir) {
        argv[argc++] = (char *)"cd -- \"$1\" || exit 126; eval \"$2\"";
        argv[argc++] = (char *)"weir-exec";
        argv[argc++] = (char *)job->dir;
    }
    argv[argc++] = (char *)job->command;
#endif
    argv[argc] = NULL;

    if (!rc)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                                 POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF);
    if (!rc)
        rc = posix_spawnattr_setpgroup(&attr, 0);
    if (!rc)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (!rc)
        rc = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, job->envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* Drive the pipes until the child ends, killing its process group when the
 * deadline passes.  On return the child has ended and is not yet reaped. */
static void supervise(const exec_job *job, pid_t pid, int *in_fd,
                      int *out_fd, exec_outcome *o, int *epipe)
{
    long long start = now_ms();
    long long deadline = start + job->timeout_ms;
    long long kill_at = 0;
    int nap = 1;
    for (;;) {
        int ended = child_ended(pid, 0);
        if (ended < 0) {
            o->lost = 1;
            break;
        }
        if (ended) {
            /* What it wrote before it ended is in the pipe: keep it, but
             * do not wait for a background process holding the pipe. */
            drain_output(out_fd, o);
            break;
        }

        long long t = now_ms();
        if (!o->timed_out && t >= deadline) {
            o->timed_out = 1;
            kill(-pid, SIGTERM);
            kill_at = t + job->grace_ms;
            close_fd(in_fd);
        }
        if (o->timed_out && t >= kill_at) {
            /* The group id is safe to use: the leader is not reaped. */
            kill(-pid, SIGKILL);
            o->killed = 1;
            drain_output(out_fd, o);
            if (child_ended(pid, 1) < 0)
                o->lost = 1;
            break;
        }

        struct pollfd pf[2];
        nfds_t n = 0;
        int in_i = -1, out_i = -1;
        if (*in_fd >= 0) {
            in_i = (int)n;
            pf[n++] = (struct pollfd){.fd = *in_fd, .events = POLLOUT};
        }
        if (*out_fd >= 0) {
            out_i = (int)n;
            pf[n++] = (struct pollfd){.fd = *out_fd, .events = POLLIN};
        }
        long long left = (o->timed_out ? kill_at : deadline) - t;
        int ms = left < nap ? (int)left : nap;
        if (ms < 0)
            ms = 0;
        int r = poll(n ? pf : NULL, n, ms);
        if (r > 0) {
            nap = 1;
            if (in_i >= 0 && pf[in_i].revents)
                *epipe |= feed_input(in_fd, job, o);
            if (out_i >= 0 && pf[out_i].revents)
                drain_output(out_fd, o);
        } else if (nap < NAP_MAX_MS) {
            nap *= 2;
            if (nap > NAP_MAX_MS)
                nap = NAP_MAX_MS;
        }
    }
    if (o->timed_out && !o->killed && !o->lost) {
        /* The shell ended on SIGTERM; whatever it started in the group and
         * that ignored SIGTERM goes now, while the zombie leader still
         * holds the group id (so no other process can own it). */
        kill(-pid, SIGKILL);
    }
}

int exec_run(const exec_job *job, exec_outcome *o)
{
    memset(o, 0, sizeof *o);
    long long start = now_ms();
    /* posix_spawn reports a failed chdir too, but not everywhere (where it
     * falls back to fork, the child just exits 127): say it clearly. */
    if (job->dir && access(job->dir, X_OK) != 0) {
        o->err = errno;
        o->failed = "chdir";
        return -1;
    }
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (make_pipe(in) != 0 || make_pipe(out) != 0 ||
        set_nonblock(in[1]) != 0 || set_nonblock(out[0]) != 0) {
        o->err = errno;
        o->failed = "pipe";
        close_fd(&in[0]);
        close_fd(&in[1]);
        close_fd(&out[0]);
        close_fd(&out[1]);
        return -1;
    }

    pid_t pid = -1;
    int rc = spawn(job, in[0], out[1], &pid);
    close_fd(&in[0]);
    close_fd(&out[1]);
    if (rc != 0) {
        o->err = rc;
        o->failed = "posix_spawn";
        close_fd(&in[1]);
        close_fd(&out[0]);
        return -1;
    }
    o->started = 1;

    /* SIGPIPE.  Writing to a pipe whose reader is gone (a command that
     * never reads its input, or exits early) raises SIGPIPE in this thread,
     * and its default action would end weir.  Pipes have no MSG_NOSIGNAL,
     * and changing the process-wide disposition (SIG_IGN) would race with
     * other threads and with the core's own choice.  So SIGPIPE is blocked
     * in this thread only, for the duration of the writes; a SIGPIPE that
     * our write raised is then consumed with sigtimedwait() before the mask
     * is restored, unless one was already pending before (not ours to eat).
     * The write itself reports EPIPE, which is how we learn of it. */
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE) == 1;

    int epipe = 0;
    supervise(job, pid, &in[1], &out[0], o, &epipe);
    close_fd(&in[1]);
    close_fd(&out[0]);

    if (epipe && !was_pending) {
        static const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

    if (!o->lost)
        reap(pid, o);
    if (o->input_written < job->input_len + (job->input_newline ? 1 : 0))
        o->input_short = 1; /* it ended, or was killed, before reading all */
    o->output[o->output_len] = '\0';
    o->elapsed_ms = now_ms() - start;
    return o->exited && o->code == 0 && !o->timed_out ? 0 : -1;
}
