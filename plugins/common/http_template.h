/*
 * http_template.h - record fields put into request paths and JSON bodies.
 *
 * A placeholder is `{name}`: a field name of letters, digits, `_`, `.`,
 * `-`.  In a path each value is percent-encoded; in a JSON body template
 * it is a JSON value built with jansson, never pasted into the text:
 *   "{code}"           the whole string: the value as a JSON string
 *                      (null when the field is NULL);
 *   "Order {ref}"      inside a longer string: the value's text;
 *   {amount}           bare, where a value goes: the value as a JSON
 *                      number (its exact digits: 59.80 stays 59.80),
 *                      true or false (null when NULL); any other text
 *                      refuses the record, so a typo never sends a wrong
 *                      type.
 * Object keys are never substituted.
 *
 * Part of plugins/libplughttp.la (see http_client.h).
 */
#ifndef WEIR_PLUGCOMMON_HTTP_TEMPLATE_H
#define WEIR_PLUGCOMMON_HTTP_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

/* Where values come from: 0 with *value (NULL: the field is NULL) and
 * *len when field `name` exists, -1 when it does not. */
typedef int (*weirp_field_fn)(void *ctx, const char *name, const char **value,
                              size_t *len);

/* `tmpl` with each placeholder replaced by its field's value,
 * percent-encoded.  (owned: free) NULL with the reason in `err` (a missing
 * or NULL field, a malformed placeholder, out of memory).  With get NULL
 * it only checks the syntax (returns a copy of tmpl). */
char *weirp_path_expand(const char *tmpl, weirp_field_fn get, void *ctx,
                        char *err, size_t errn);

typedef struct weirp_json_template weirp_json_template;

/* Parse a body template once.  NULL when it is no JSON with its
 * placeholders filled (the reason in `err`, the template's line in
 * *line, 0 when not about a line).  (owned: weirp_json_template_free) */
weirp_json_template *weirp_json_template_parse(const char *text, char *err,
                                               size_t errn, int *line);
/* The body for one record, as compact JSON text.  (owned: free) NULL
 * with the reason in `err` (a missing field, a bare value that is no
 * number, true or false). */
char *weirp_json_template_render(const weirp_json_template *t,
                                 weirp_field_fn get, void *ctx, char *err,
                                 size_t errn);
void weirp_json_template_free(weirp_json_template *t);

#endif
