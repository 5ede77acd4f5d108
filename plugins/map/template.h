/*
 * template.h - "{address1}, {city} {postcode}": text with field references.
 *
 * A template is parsed once at open into literal and field segments, so a
 * record costs one field lookup per reference and a few memcpy.
 *   {name}   the value of field `name`; a missing or NULL field gives ""
 *   {{ }}    a literal brace
 * An unterminated '{', an empty "{}", a '{' inside a reference and a lone
 * '}' are errors: they are almost always typos.
 */
#ifndef WEIR_MAP_TEMPLATE_H
#define WEIR_MAP_TEMPLATE_H

#include <weir/plugin.h>

#include "scratch.h"

typedef struct map_template map_template;

/* Parse `text` (borrowed).  Returns the template (owned:
 * map_template_free), or NULL with *error set to a static description and
 * *column to the 1-based position of the offending character; out of memory
 * gives NULL with *error "out of memory". */
map_template *map_template_parse(const char *text, const char **error,
                                 size_t *column);

/* Append the template's expansion for record `r` to `out`.
 * Returns 0, or -1 out of memory. */
int map_template_render(const map_template *t, const weir_host *host,
                        const weir_record *r, map_scratch *out);

void map_template_free(map_template *t);

#endif
