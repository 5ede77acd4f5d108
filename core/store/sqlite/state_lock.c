/*
 * state_lock.c - one live run per pipeline, across processes; and which
 * workers sharing the outbox are alive.
 *
 * An open-file-description lock on one byte of "STATE.lock", chosen by
 * a 62-bit hash of the pipeline's name: the kernel drops it when the
 * process dies, however it dies (SIGKILL included), so a crashed run never
 * blocks the next.  OFD locks, unlike classic POSIX ones, also keep two
 * state handles of one process (weir serve) apart, and closing another
 * descriptor of the file does not drop them.  A separate file, because
 * SQLite's own locks live on the database file.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "base/clock.h"
#include "store/sqlite/state_int.h"

/* Pipeline locks take bytes below 2^62, worker locks the range above. */
#define WORKER_BYTES ((off_t)1 << 62)

static off_t lock_byte(const char *pipeline)
{
    return (off_t)(XXH3_64bits(pipeline, strlen(pipeline)) >> 2);
}

static int lock_file(weir_store_conn *st)
{
    if (st->lock_fd >= 0)
        return 0;
    size_t n = strlen(st->path) + sizeof(".lock");
    char *path = malloc(n);
    if (!path)
        return -1;
    snprintf(path, n, "%s.lock", st->path);
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (st->lock_fd < 0)
        weir_error_set(&st->err, WEIR_ERR_IO, "state database %s: cannot "
                       "open its lock file %s: %s", st->path, path,
                       strerror(errno));
    free(path);
    return st->lock_fd >= 0 ? 0 : -1;
}

/* A worker holds one byte above WORKER_BYTES while its connection is
 * open (the kernel drops it with the process, however it ends); its
 * name carries the byte, so another worker on this machine tests the
 * byte to learn whether the owner of a lease is gone.  The byte comes
 * from the pid, the connection's address and the time: two live workers
 * never share one (a taken byte is skipped). */
const char *sq__worker_register(weir_store_conn *st)
{
    if (st->worker)
        return st->worker;
    if (lock_file(st))
        return NULL;
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    uint64_t seed = (uint64_t)getpid() ^ (uint64_t)(uintptr_t)st ^
                    (uint64_t)weir_clock_now_ms() << 20;
    for (int tries = 0; tries < 64; tries++) {
        uint64_t pick = XXH3_64bits(&seed, sizeof(seed)) >> 3;
        seed++;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                           .l_start = WORKER_BYTES + (off_t)pick, .l_len = 1};
        if (fcntl(st->lock_fd, F_OFD_SETLK, &fl) != 0)
            continue;
        char name[400];
        snprintf(name, sizeof(name), "%s %ld %" PRIu64, host, (long)getpid(),
                 pick);
        if (!(st->worker = strdup(name))) {
            fl.l_type = F_UNLCK;
            fcntl(st->lock_fd, F_OFD_SETLK, &fl);
        }
        return st->worker;
    }
    weir_error_set(&st->err, WEIR_ERR_IO, "state database %s: cannot take "
                   "a worker lock in its lock file", st->path);
    return NULL;
}

int sq__worker_alive(weir_store_conn *st, const char *owner)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    size_t hl = strlen(host);
    if (strncmp(owner, host, hl) != 0 || owner[hl] != ' ')
        return 1; /* another machine's: its lease decides */
    const char *byte = strrchr(owner, ' ');
    char *end;
    uint64_t pick = strtoull(byte + 1, &end, 10);
    if (*end || lock_file(st))
        return 1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = WORKER_BYTES + (off_t)pick, .l_len = 1};
    if (fcntl(st->lock_fd, F_OFD_GETLK, &fl) != 0)
        return 1;
    return fl.l_type != F_UNLCK;
}

int sq_lock_pipeline(weir_store_conn *st, const char *pipeline,
                             long *holder)
{
    *holder = 0;
    if (lock_file(st))
        return -1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = lock_byte(pipeline), .l_len = 1};
    if (fcntl(st->lock_fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    if (errno != EACCES && errno != EAGAIN) {
        weir_error_set(&st->err, WEIR_ERR_IO, "state database %s: cannot "
                       "lock: %s", st->path, strerror(errno));
        return -1;
    }
    /* A classic lock's holder is known; an OFD lock's is not (-1). */
    struct flock who = fl;
    if (fcntl(st->lock_fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK &&
        who.l_pid > 0)
        *holder = (long)who.l_pid;
    return 1;
}

void sq_unlock_pipeline(weir_store_conn *st, const char *pipeline)
{
    if (st->lock_fd < 0)
        return;
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET,
                       .l_start = lock_byte(pipeline), .l_len = 1};
    fcntl(st->lock_fd, F_OFD_SETLK, &fl);
}
