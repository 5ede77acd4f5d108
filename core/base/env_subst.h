/*
 * env_subst.h - ${env:NAME} in pipeline files.
 *
 * "${env:NAME}" becomes the variable's value; "$${" is a literal "${"
 * (for SQL or JSON templates that need one).  Any other "${...}" is an
 * error, so a typo never passes silently.  Every substituted value is
 * added to the loading pipeline's secrets (secrets.h): it is sent, never
 * printed.
 */
#ifndef WEIR_ENV_SUBST_H
#define WEIR_ENV_SUBST_H

#include <stddef.h>

#include "base/secrets.h"

/* Expand `in`, adding each value taken from the environment to
 * `secrets`.  Returns the result (owned: free), or NULL with the reason in
 * `why` (never containing a value).  *secret is set to 1 when anything
 * came from the environment. */
char *weir_env_expand(const char *in, weir_secrets *secrets, int *secret,
                      char *why, size_t whysize);

#endif
