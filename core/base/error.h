/*
 * error.h - one way to report an error in the core: a class that says
 * what kind of failure it was (so a caller can decide to wait, retry or
 * stop) and an owned message that says where and why.
 *
 * A weir_error lives in the object whose operation failed (a store
 * handle, a run) and describes its last failure; reading it never
 * allocates.  Not thread-safe: one per object, like the object itself.
 */
#ifndef WEIR_ERROR_H
#define WEIR_ERROR_H

#include <weir/plugin.h>

typedef enum weir_error_class {
    WEIR_ERR_NONE = 0,
    WEIR_ERR_BUSY,     /* another process holds what is needed; try later */
    WEIR_ERR_CORRUPT,  /* the data is damaged or not what it claims to be */
    WEIR_ERR_FULL,     /* the disk or database is full */
    WEIR_ERR_IO,       /* reading or writing failed */
    WEIR_ERR_READONLY, /* no permission to write */
    WEIR_ERR_VERSION,  /* written by a newer weir, or an unknown backend */
    WEIR_ERR_USAGE,    /* the caller asked for something impossible */
    WEIR_ERR_PLUGIN,   /* a plugin failed */
    WEIR_ERR_NOMEM,    /* out of memory */
    WEIR_ERR_REFUSED,  /* a guard refused (the delete guard); nothing changed */
    WEIR_ERR_CANCELLED, /* asked to stop (a signal) */
    WEIR_ERR_INTERNAL  /* anything else */
} weir_error_class;

typedef struct weir_error {
    weir_error_class cls;
    char *message; /* owned; NULL when cls is WEIR_ERR_NONE */
} weir_error;

/* Replace *e with `cls` and the formatted message (on no memory for the
 * message, cls WEIR_ERR_NOMEM and a fixed text). */
void weir_error_set(weir_error *e, weir_error_class cls, const char *fmt, ...)
    WEIR_PRINTF(3, 4);
/* Back to WEIR_ERR_NONE, freeing the message. */
void weir_error_clear(weir_error *e);
/* The message, "" when there is none. (borrowed) */
const char *weir_error_message(const weir_error *e);
/* "busy", "corrupt", ... (static) */
const char *weir_error_class_name(weir_error_class cls);

#endif
