/*
 * state_lock.c - one live run per pipeline, across processes.
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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "store/sqlite/state_int.h"

static off_t lock_byte(const char *pipeline)
{
    return (off_t)(XXH3_64bits(pipeline, strlen(pipeline)) >> 2);
}

static int lock_file(weir_state *st)
{
    if (st->lock_fd >= 0)
        return 0;
    size_t n = strlen(st->path) + sizeof(".lock");
    char *path = malloc(n);
    if (!path)
        return -1;
    snprintf(path, n, "%s.lock", st->path);
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    free(path);
    return st->lock_fd >= 0 ? 0 : -1;
}

int weir_state_lock_pipeline(weir_state *st, const char *pipeline,
                             long *holder)
{
    *holder = 0;
    if (lock_file(st))
        return -1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = lock_byte(pipeline), .l_len = 1};
    if (fcntl(st->lock_fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    if (errno != EACCES && errno != EAGAIN)
        return -1;
    /* A classic lock's holder is known; an OFD lock's is not (-1). */
    struct flock who = fl;
    if (fcntl(st->lock_fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK &&
        who.l_pid > 0)
        *holder = (long)who.l_pid;
    return 1;
}

void weir_state_unlock_pipeline(weir_state *st, const char *pipeline)
{
    if (st->lock_fd < 0)
        return;
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET,
                       .l_start = lock_byte(pipeline), .l_len = 1};
    fcntl(st->lock_fd, F_OFD_SETLK, &fl);
}
