/*
 * file_stamp.h - did a file change while we read it?
 *
 * Part of plugins/libplugcommon.la (see config_diag.h for what that library
 * may depend on).
 *
 * An export rewritten in place while a plugin reads it gives a mix of two
 * versions: rows of the old file, then rows of the new, or a file cut
 * short.  The stamp taken at open (device, inode, size, modification time
 * to the nanosecond) is compared at the end of the read with the open
 * descriptor (a rewrite in place) and with the path (a file renamed or
 * copied over it, or removed).  A writer that keeps the same size and
 * writes within the file system's clock tick is not caught: exporters
 * should write a temporary file and rename it into place.
 *
 * Only regular files are checked: a pipe or a device has no size or
 * version to compare.
 */
#ifndef WEIR_PLUGCOMMON_FILE_STAMP_H
#define WEIR_PLUGCOMMON_FILE_STAMP_H

#include <stddef.h>

typedef struct weirp_file_stamp {
    unsigned long long dev, ino;
    long long size;
    long long mtime_sec;
    long mtime_nsec;
    int regular; /* 0: a pipe, device, ...: never "changed" */
} weirp_file_stamp;

/* Take the stamp of the open `fd`.  Returns 0, or -1 with errno. */
int weirp_file_stamp_take(int fd, weirp_file_stamp *out);

/* Compare `then` with `fd` (the descriptor it was taken from) and with
 * `path` now.  Returns NULL when nothing changed, else `buf` holding what
 * did, as a phrase for "PATH changed while it was read: ..." (for example
 * "its size went from 120 to 80 bytes"). */
const char *weirp_file_stamp_changed(const weirp_file_stamp *then, int fd,
                                     const char *path, char *buf,
                                     size_t size);

#endif
