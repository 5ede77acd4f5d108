/*
 * secrets.h - values that came from ${env:...}: credentials to send,
 * never to print.
 *
 * Each loaded pipeline has its own set (weir_pipeline.secrets): its
 * loader adds every value it substituted, and the text that enters the
 * core on that pipeline's behalf is masked with it at the door, so a
 * token a plugin or a target echoes back shows as "***": the plugins' log
 * lines and set_error() texts (plugin/host.c), record answers (the
 * batch's set, record/record.c) and the diagnostics of its file
 * (base/diag.c).  Two pipelines in one process (`weir serve`) neither
 * share nor see each other's secrets, and a set goes with its pipeline.
 *
 * Threading: a set is filled by the thread that loads its pipeline;
 * after that it is read-only, and masking may run on any thread.
 */
#ifndef WEIR_SECRETS_H
#define WEIR_SECRETS_H

#include <stddef.h>

typedef struct weir_secrets weir_secrets;

/* An empty set. (owned: weir_secrets_free) NULL out of memory */
weir_secrets *weir_secrets_new(void);
void weir_secrets_free(weir_secrets *s);
/* Remember `value` (copied).  Values shorter than 4 bytes are ignored:
 * masking every "1" would make messages unreadable.  Returns 0, or -1
 * out of memory (the value is then not known: the caller must fail
 * rather than risk printing it). */
int weir_secrets_add(weir_secrets *s, const char *value);
/* Copy `in` to `out` (size bytes, always terminated) with every secret of
 * `s` (nullable: none) replaced by "***".  Returns out. */
char *weir_secrets_mask(const weir_secrets *s, const char *in, char *out,
                        size_t size);
/* 1 when `text` contains a secret of `s` (nullable). */
int weir_secrets_in(const weir_secrets *s, const char *text);

#endif
