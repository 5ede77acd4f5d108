/*
 * instance.h - a pipeline's plugin instances as one run has them.
 *
 * The pipeline (pipeline/pipeline.h) is configuration, shared read-only
 * by every run of it.  What a run opens and changes is here: for each
 * instance the plugin's state, whether it is open and the errors it gave;
 * for the run as a whole the state store plugins reach through the host
 * table and the plugin state they set that waits for the run's next
 * commit.  `weir_instance`, the handle plugins get in open() and pass
 * back to the host table, is this run-side object (opaque to them: the
 * ABI does not change).
 * Not thread-safe: one run, one thread.
 */
#ifndef WEIR_INSTANCE_H
#define WEIR_INSTANCE_H

#include <weir/plugin.h>

#include "pipeline/pipeline.h"
#include "store/state.h"

typedef struct weir_instances weir_instances;

struct weir_instance {
    const weir_instance_spec *spec; /* what the file says (shared) */
    weir_instances *run;  /* the run it belongs to; NULL in check() */
    void *state;          /* the plugin's, between open and close */
    int opened;
    /* Its read() or write() runs on a thread of its own
     * (WEIR_PLUGIN_READ_BESIDE, WEIR_PLUGIN_WRITE_BESIDE): the host
     * functions that use the state refuse it meanwhile.  Set and cleared
     * by the run's thread around that thread's life. */
    int beside;
    char *last_error; /* the plugin's last error message, masked (owned) */
    char *error;      /* what it gave host->set_error(), masked (owned) */
};

struct weir_instances {
    weir_pipeline *p;  /* borrowed: the run holds a reference */
    weir_state *st;    /* borrowed; NULL in a dry run without a state */
    int dry_run;       /* plugins read the state, change nothing */
    weir_instance *all; /* p->nall, in the order of p->all; the rest */
    weir_instance *source, *transforms, *sinks, *notifiers; /* point in */
    struct pending_kv *pending; /* host->state_set() values not committed */
    /* <track>: the values set while the export was read (a source's
     * cursor), committed only once all of its changes are recorded */
    struct pending_kv *parked;
    /* links of the creates this run started (host->link_create) */
    char **creating;
    size_t ncreating, capcreating;
};

/* A closed instance for each of p's (everything borrowed).  NULL out of
 * memory. (owned: weir_instances_free) */
weir_instances *weir_instances_new(weir_pipeline *p, weir_state *st);
/* Close `inst` if it is open. */
void weir_instance_close(weir_instance *inst);
/* Close every open instance, last first. */
void weir_instances_close(weir_instances *in);
/* Has this run started a create that makes `link`?  1 yes, 0 no. */
int weir_instances_creating(const weir_instances *in, const char *link);
/* Remember that it did: 0, or -1 out of memory. */
int weir_instances_add_creating(weir_instances *in, const char *link);
/* Close them, drop the plugin state never committed, free. */
void weir_instances_free(weir_instances *in);

#endif
