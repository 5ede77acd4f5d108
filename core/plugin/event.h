/*
 * event.h - a notification as notifier plugins see it (weir_event).
 * Built by the notification stage (notify.c); plugins read it through
 * host->event_type() and host->event_json().
 */
#ifndef WEIR_EVENT_H
#define WEIR_EVENT_H

#include <weir/plugin.h>

struct weir_event {
    const char *type; /* "rejected", "endpoint-down", ... (static) */
    char *json;       /* the whole event (owned by the builder) */
};

#endif
