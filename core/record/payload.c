#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "record/payload.h"

char *weir_payload_encode(const weir_record *r, char *why, size_t whysize)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (uint32_t i = 0; i < r->nfields; i++) {
        const weir_field *f = &r->fields[i];
        json_t *v = f->value ? json_stringn(f->value, f->len) : json_null();
        if (!v || json_object_set_new(o, f->name, v) != 0) {
            snprintf(why, whysize, "field %s is not valid UTF-8", f->name);
            json_decref(o);
            return NULL;
        }
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        snprintf(why, whysize, "out of memory");
    return text;
}

int weir_payload_decode(weir_record *r, const char *text)
{
    json_error_t err;
    json_t *o = json_loads(text, JSON_ALLOW_NUL, &err);
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    const char *name;
    json_t *v;
    int rc = 0;
    json_object_foreach(o, name, v) {
        if (json_is_null(v))
            rc |= weir_record_set(r, name, NULL, 0);
        else if (json_is_string(v))
            rc |= weir_record_set(r, name, json_string_value(v),
                                  json_string_length(v));
        else
            rc = -1;
    }
    json_decref(o);
    return rc ? -1 : 0;
}
