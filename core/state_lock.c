/*
 * state_lock.c - one live run per pipeline, across processes.
 *
 * A POSIX record lock on one byte of "STATE.lock", chosen by the
 * pipeline's name: the kernel drops it when the process dies, however it
 * dies (SIGKILL included), so a crashed run never blocks the next.  A
 * separate file, because SQLite's own locks live on the database file and
 * closing any descriptor of a file drops all of a process's locks on it.
 * Two names that hash to the same byte merely take turns.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "state_int.h"

static off_t lock_byte(const char *pipeline)
{
    return (off_t)(XXH3_64bits(pipeline, strlen(pipeline)) % 1000003);
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
    if (fcntl(st->lock_fd, F_SETLK, &fl) == 0)
        return 0;
    if (errno != EACCES && errno != EAGAIN)
        return -1;
    struct flock who = fl;
    if (fcntl(st->lock_fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
        *holder = (long)who.l_pid;
    return 1;
}

void weir_state_unlock_pipeline(weir_state *st, const char *pipeline)
{
    if (st->lock_fd < 0)
        return;
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET,
                       .l_start = lock_byte(pipeline), .l_len = 1};
    fcntl(st->lock_fd, F_SETLK, &fl);
}
