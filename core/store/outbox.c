/* outbox.c - the outbox's statuses and state machine (outbox.h). */
#include "config.h"

#include <string.h>

#include "store/outbox.h"

#define B(s) WEIR_OUTBOX_BIT(WEIR_OUTBOX_##s)

static const char *const status_names[] = {
    "pending", "in_flight", "delivered", "retry", "failed", "held",
    "discarded", "superseded",
};
_Static_assert(sizeof(status_names) / sizeof(status_names[0]) ==
                   WEIR_OUTBOX_NSTATUS,
               "a name for every outbox status");

static const struct transition {
    const char *name;
    unsigned from, to;
} machine[WEIR_OUTBOX_NEVENTS] = {
    [WEIR_OUTBOX_ENQUEUE] = {"enqueue", 0,
                             B(PENDING) | B(RETRY) | B(FAILED) | B(HELD)},
    [WEIR_OUTBOX_CLAIM] = {"claim",
                           B(PENDING) | B(IN_FLIGHT) | B(RETRY) | B(HELD),
                           B(IN_FLIGHT)},
    [WEIR_OUTBOX_ANSWER] = {"answer", B(IN_FLIGHT),
                            B(IN_FLIGHT) | B(DELIVERED) | B(RETRY) |
                                B(FAILED) | B(HELD) | B(DISCARDED)},
    [WEIR_OUTBOX_RELEASE] = {"release", B(HELD), B(PENDING)},
    [WEIR_OUTBOX_RESEND] = {"resend", B(FAILED) | B(HELD), B(PENDING)},
    [WEIR_OUTBOX_DISCARD] = {"discard", B(FAILED) | B(HELD), B(DISCARDED)},
    [WEIR_OUTBOX_IGNORE] = {"ignore",
                            B(PENDING) | B(IN_FLIGHT) | B(RETRY) | B(HELD) |
                                B(FAILED),
                            B(DISCARDED)},
    [WEIR_OUTBOX_SUPERSEDE] = {"supersede",
                               B(PENDING) | B(RETRY) | B(HELD) | B(FAILED),
                               B(SUPERSEDED)},
    [WEIR_OUTBOX_PRUNE] = {"prune", B(DELIVERED) | B(SUPERSEDED) | B(DISCARDED),
                           0},
};

const char *weir_outbox_status_name(weir_outbox_status s)
{
    return (unsigned)s < WEIR_OUTBOX_NSTATUS ? status_names[s] : "?";
}

int weir_outbox_status_parse(const char *name)
{
    for (int i = 0; i < WEIR_OUTBOX_NSTATUS; i++)
        if (strcmp(status_names[i], name) == 0)
            return i;
    return -1;
}

unsigned weir_outbox_from(weir_outbox_event ev)
{
    return (unsigned)ev < WEIR_OUTBOX_NEVENTS ? machine[ev].from : 0;
}

unsigned weir_outbox_to(weir_outbox_event ev)
{
    return (unsigned)ev < WEIR_OUTBOX_NEVENTS ? machine[ev].to : 0;
}

int weir_outbox_may(weir_outbox_event ev, weir_outbox_status from,
                    weir_outbox_status to)
{
    return (weir_outbox_from(ev) & WEIR_OUTBOX_BIT(from)) &&
           (weir_outbox_to(ev) & WEIR_OUTBOX_BIT(to));
}

unsigned weir_outbox_open(void)
{
    unsigned all = WEIR_OUTBOX_BIT(WEIR_OUTBOX_NSTATUS) - 1;
    return all & ~machine[WEIR_OUTBOX_PRUNE].from;
}

const char *weir_outbox_event_name(weir_outbox_event ev)
{
    return (unsigned)ev < WEIR_OUTBOX_NEVENTS ? machine[ev].name : "?";
}
