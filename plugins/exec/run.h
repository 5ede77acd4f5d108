/*
 * run.h - run one shell command under supervision: input on its standard
 * input, standard output and error captured (bounded), a deadline after
 * which its process group is terminated, and the child always reaped.
 *
 * Knows nothing of weir: exec.c turns an event into a job and the outcome
 * into log lines.  Reentrant (no globals); safe from several threads at
 * once, each running its own job.
 */
#ifndef WEIR_EXEC_RUN_H
#define WEIR_EXEC_RUN_H

#include <stddef.h>

/* Output kept for the log: stdout and stderr interleaved, as written.  The
 * core's log line is at most 4 KiB, so 3 KiB of output still fits beside
 * the prefix and the status; the rest is read and counted, not kept. */
#define EXEC_OUTPUT_MAX 3072

typedef struct exec_job {
    const char *command;   /* run as /bin/sh -c COMMAND */
    const char *dir;       /* working directory; NULL: weir's own */
    char *const *envp;     /* the whole environment of the command */
    const char *input;     /* written to its standard input ... */
    size_t input_len;
    int input_newline;     /* ... followed by "\n" when set */
    long long timeout_ms;  /* > 0: then SIGTERM to the process group */
    long long grace_ms;    /* after SIGTERM, then SIGKILL */
} exec_job;

typedef struct exec_outcome {
    int started;        /* 0: the command could not be started */
    int err;            /* errno of the failure to start (started == 0) */
    const char *failed; /* the call that failed (started == 0) */

    int exited;         /* normal exit with status `code` */
    int code;
    int signaled;       /* killed by signal `sig` */
    int sig;
    int timed_out;      /* the deadline passed: SIGTERM was sent */
    int killed;         /* SIGTERM did not end it: SIGKILL to the group */
    int lost;           /* the status could not be collected (ECHILD) */

    size_t input_written; /* bytes of input (newline included) it took */
    int input_short;      /* it did not take the whole input */

    char output[EXEC_OUTPUT_MAX + 1]; /* NUL-terminated; may hold NULs */
    size_t output_len;                /* kept bytes */
    size_t output_total;              /* bytes it wrote in all */
    long long elapsed_ms;
} exec_outcome;

/* Run `job` to completion (exit, or the deadline and the kills).  Returns
 * 0 when the command exited with status 0, -1 otherwise (see `out`). */
int exec_run(const exec_job *job, exec_outcome *out);

#endif
