/*
 * endpoint.h - the health of one sink's endpoint (DESIGN: "endpoint down
 * is not a record failure").
 *
 * A DOWN answer, or `down-after` writes in a row that only failed
 * transiently, mark the endpoint down: its records are held without
 * spending attempts, and it is tried again at the retry pace, by the
 * sink's probe() when it has one, else with one record.  The health is
 * kept in the store and shared by every worker on it: each change is
 * compare-and-set, so when two workers see the same failure one of them
 * marks the endpoint down and notifies, and the other adopts that view.
 *
 * Not thread-safe: one per sink of a delivery.
 */
#ifndef WEIR_ENDPOINT_H
#define WEIR_ENDPOINT_H

#include "engine/notify.h"
#include "pipeline/pipeline.h"
#include "record/record.h"
#include "store/state.h"

typedef struct weir_health {
    weir_endpoint ep;  /* as last read or stored; ep.error is `error` */
    char *error;       /* (owned) */
    weir_state *st;
    const char *pipeline;
    weir_instance *inst; /* the sink, open in this run */
    weir_notices *n;
} weir_health;

/* Read the endpoint of sink `inst` of `pipeline` (everything borrowed for
 * the health's life).  0, or -1 when the store could not be read. */
int weir_health_load(weir_health *h, weir_state *st, const char *pipeline,
                     weir_instance *inst, weir_notices *n);
void weir_health_clear(weir_health *h);

/* May records be sent now?  Up: yes.  Down: not before its next probe
 * time; then the sink's probe() decides (OK marks it up) when it has
 * one, else yes (a drain sends one record as the probe). */
int weir_health_try(weir_health *h, int64_t now);
/* Learn from the answers of one write (the records in the batch's view). */
void weir_health_learn(weir_health *h, weir_batch *b, int64_t now);
/* The sink answered: failures start over, a down endpoint is up. */
void weir_health_up(weir_health *h, int64_t now);
/* A write failed as a whole, transiently; `down`: the target said it is
 * down, or could not be reached at all. */
void weir_health_failed(weir_health *h, int64_t now, int down,
                        const char *error);

#endif
