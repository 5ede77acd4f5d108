/*
 * serve_folder.h - the pipelines of weir serve's folder: every *.xml
 * file in it, loaded and checked, and read again on reload.
 *
 * A file with problems is logged ("file:line: message") and skipped; a
 * file that had loaded and then changed into one with problems keeps
 * its last good version.  Two files may not name the same pipeline: the
 * later one (by file name) is skipped.
 * Not thread-safe: the serve thread owns it.
 */
#ifndef WEIR_SERVE_FOLDER_H
#define WEIR_SERVE_FOLDER_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "pipeline/pipeline.h"
#include "plugin/plugins.h"

typedef struct weir_served {
    char *file;        /* "DIR/NAME.xml" (owned) */
    weir_pipeline *p;  /* the version served; NULL: none loaded well yet */
    /* the file as last read, to see it change */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int64_t next_run;   /* when its <schedule> is due next; 0: unknown */
    int twin;           /* skipped: another file names its pipeline */
} weir_served;

typedef struct weir_serve_folder {
    char *dir;
    weir_plugins *reg; /* borrowed */
    weir_served *v;
    size_t n;
} weir_serve_folder;

/* What a scan changed, for the caller to follow: `before` stops being
 * served and `after` starts (either NULL: a file added or removed). */
typedef void (*weir_serve_folder_changed)(weir_pipeline *before,
                                          weir_pipeline *after, void *ctx);

/* Read `dir` (borrowed) again: load new and changed files, drop removed
 * ones, telling `changed` of each difference.  0, or -1 when the folder
 * cannot be read (logged; what is served stays as it was). */
int weir_serve_folder_scan(weir_serve_folder *f,
                           weir_serve_folder_changed changed, void *ctx);
/* Drop every pipeline. */
void weir_serve_folder_clear(weir_serve_folder *f);

#endif
