/*
 * sink_write.c - one batch to one sink, and isolating the bad record of a
 * batch the sink's target refused as a whole (rsyslog's core does the
 * same): the sink stays one transaction per call, the core does the
 * bisection, once for every sink.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "pipeline/pipeline.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "plugin/sink_write.h"
#include "record/record.h"

/* What a record holds when it reaches write(): no answer, for a sink
 * built for ABI 1.2 or later, which answers every record; OK for an older
 * one, which was told that records start OK (plugin.h, weir_result). */
static weir_result start_answer(const weir_plugin *p)
{
    return p->abi_minor >= 2 ? WEIR_RESULT_NONE : WEIR_RESULT_OK;
}

/* A record the sink left unanswered was not applied, as far as anyone
 * knows: it is retried, never taken as delivered.  One warning per
 * write. */
static void retry_unanswered(const weir_instance *inst, weir_batch *b)
{
    size_t n = weir_batch_count(b), silent = 0;
    char why[512];
    snprintf(why, sizeof(why),
             "sink '%s' (plugin %s) gave no answer for this record",
             inst->spec->name, inst->spec->plugin_name);
    for (size_t i = 0; i < n; i++) {
        weir_record *r = weir_batch_at(b, i);
        if (r->result != WEIR_RESULT_NONE)
            continue;
        weir_record_answer(r, WEIR_RESULT_RETRY, why, NULL);
        silent++;
    }
    if (silent)
        weir_log(WEIR_LOG_WARNING,
                 "%s: sink '%s' (plugin %s) gave no answer for %zu of %zu "
                 "records; they are retried", inst->spec->pipeline->name,
                 inst->spec->name, inst->spec->plugin_name, silent, n);
}

/* write() and flush() once over the view.  Returns WEIR_STATUS_SPLIT when
 * the sink (ABI 1.3 or later) refused the batch as a whole, its answers
 * then not final; else OK, every record answered. */
static weir_status write_once(weir_instance *inst, weir_batch *b)
{
    const weir_plugin *p = inst->spec->plugin;
    int can_split = p->abi_minor >= 3; /* an older sink never meant it */
    weir_batch_reset_answers(b, start_answer(p));
    weir_host_error_clear(inst);
    weir_status rc = p->write(inst->state, b);
    if (can_split && rc == WEIR_STATUS_SPLIT)
        return rc;
    if (rc != WEIR_STATUS_ERROR) /* else every record is retried below */
        retry_unanswered(inst, b);
    if (rc == WEIR_STATUS_OK && p->flush) {
        weir_status frc = p->flush(inst->state);
        if (can_split && frc == WEIR_STATUS_SPLIT)
            return frc;
        if (frc != WEIR_STATUS_OK)
            rc = WEIR_STATUS_ERROR; /* the OKs are not durable: retry them */
    }
    for (size_t i = 0; rc != WEIR_STATUS_OK && i < weir_batch_count(b); i++) {
        weir_record *r = weir_batch_at(b, i);
        if (r->result == WEIR_RESULT_OK || rc == WEIR_STATUS_ERROR)
            weir_record_answer(r, WEIR_RESULT_RETRY,
                               "the sink failed the whole batch", NULL);
    }
    return WEIR_STATUS_OK;
}

static weir_status write_part(weir_instance *inst, weir_batch *b,
                              weir_record *const *recs, size_t n)
{
    weir_batch_set_view(b, recs, n);
    return write_once(inst, b);
}

/* recs[0..n) were refused as a whole and nothing of them was applied.
 * The REJECTs the sink gave stand; the other records go again, as one
 * batch when the sink named a culprit, else in halves.  A record refused
 * alone is the bad one: rejected with the target's text.  recs is
 * reordered. */
static void isolate(weir_instance *inst, weir_batch *b, weir_record **recs,
                    size_t n)
{
    for (;;) {
        if (n == 1) {
            weir_record *r = recs[0];
            if (r->result == WEIR_RESULT_REJECT)
                return;
            const char *why = weir_host_error(inst);
            char fallback[512];
            if (!why) {
                snprintf(fallback, sizeof(fallback),
                         "sink '%s' (plugin %s) refused this record",
                         inst->spec->name, inst->spec->plugin_name);
                why = fallback;
            }
            weir_record_answer(r, WEIR_RESULT_REJECT, why, NULL);
            return;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (recs[i]->result != WEIR_RESULT_REJECT)
                recs[m++] = recs[i];
        if (m == 0)
            return;
        if (m == n) {
            size_t half = n / 2;
            if (write_part(inst, b, recs, half) == WEIR_STATUS_SPLIT)
                isolate(inst, b, recs, half);
            if (write_part(inst, b, recs + half, n - half) ==
                WEIR_STATUS_SPLIT)
                isolate(inst, b, recs + half, n - half);
            return;
        }
        if (write_part(inst, b, recs, m) != WEIR_STATUS_SPLIT)
            return;
        n = m;
    }
}

void weir_sink_write(weir_instance *inst, weir_batch *b)
{
    size_t n = weir_batch_count(b);
    if (!n || write_once(inst, b) != WEIR_STATUS_SPLIT)
        return;
    /* the view to put back, and one to take apart */
    weir_record **all = malloc(2 * n * sizeof(*all));
    if (!all) {
        for (size_t i = 0; i < n; i++) {
            weir_record *r = weir_batch_at(b, i);
            if (r->result != WEIR_RESULT_REJECT)
                weir_record_answer(r, WEIR_RESULT_RETRY, "out of memory",
                                   NULL);
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        all[i] = all[n + i] = weir_batch_at(b, i);
    weir_log(WEIR_LOG_DEBUG, "%s: sink '%s' refused a batch of %zu records "
             "as a whole (%s); sending them again in parts",
             inst->spec->pipeline->name, inst->spec->name, n,
             weir_host_error(inst) ? weir_host_error(inst) : "no reason");
    isolate(inst, b, all + n, n);
    weir_batch_set_view(b, all, n);
    free(all);
}
