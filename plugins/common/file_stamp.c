/* file_stamp.c - see file_stamp.h. */
#define _XOPEN_SOURCE 700 /* struct stat's st_mtim */
#include "file_stamp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void from_stat(const struct stat *st, weirp_file_stamp *out)
{
    out->dev = (unsigned long long)st->st_dev;
    out->ino = (unsigned long long)st->st_ino;
    out->size = (long long)st->st_size;
    out->mtime_sec = (long long)st->st_mtim.tv_sec;
    out->mtime_nsec = st->st_mtim.tv_nsec;
    out->regular = S_ISREG(st->st_mode) != 0;
}

int weirp_file_stamp_take(int fd, weirp_file_stamp *out)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (fstat(fd, &st) != 0)
        return -1;
    from_stat(&st, out);
    return 0;
}

/* What differs between two stamps of one path, or NULL. */
static const char *differs(const weirp_file_stamp *a,
                           const weirp_file_stamp *b, char *buf, size_t size)
{
    if (a->dev != b->dev || a->ino != b->ino)
        snprintf(buf, size, "it was replaced by another file");
    else if (a->size != b->size)
        snprintf(buf, size, "its size went from %lld to %lld bytes", a->size,
                 b->size);
    else if (a->mtime_sec != b->mtime_sec || a->mtime_nsec != b->mtime_nsec)
        snprintf(buf, size, "its modification time changed");
    else
        return NULL;
    return buf;
}

const char *weirp_file_stamp_changed(const weirp_file_stamp *then, int fd,
                                     const char *path, char *buf, size_t size)
{
    if (!then->regular)
        return NULL;
    weirp_file_stamp now;
    if (weirp_file_stamp_take(fd, &now) != 0) {
        snprintf(buf, size, "it cannot be checked: %s", strerror(errno));
        return buf;
    }
    /* The descriptor first: a rewrite in place is the likelier case. */
    if (differs(then, &now, buf, size))
        return buf;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(buf, size, "it is gone: %s", strerror(errno));
        return buf;
    }
    from_stat(&st, &now);
    return differs(then, &now, buf, size);
}
