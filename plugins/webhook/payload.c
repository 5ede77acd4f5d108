/*
 * payload.c - what the webhook POSTs for an event (see payload.h).
 */
#include <string.h>

#include <jansson.h>

#include "common/digest.h"
#include "payload.h"

char *webhook_payload(const char *event_json, const char *state)
{
    json_t *ev = json_loads(event_json, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return NULL;
    }
    char *out = NULL;
    const char *type = json_string_value(json_object_get(ev, "event"));
    if (type && strcmp(type, "rejected") == 0) {
        json_t *groups = weirp_digest_groups(ev, state);
        if (!groups || json_object_set_new(ev, "groups", groups) != 0)
            goto done;
    }
    out = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
    json_decref(ev);
    return out;
}
