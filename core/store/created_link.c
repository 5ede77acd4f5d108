/* created_link.c - the link a create makes (created_link.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "store/created_link.h"
#include "store/xref.h"

#define SEP '\x1f'

int weir_created_link_text(const char *entity, const char *system,
                           const char *id, const char *to, char *buf,
                           size_t n)
{
    const char *parts[] = {entity, system, id, to};
    for (size_t i = 0; i < 4; i++)
        if (!parts[i] || strchr(parts[i], SEP))
            return -1;
    int len = snprintf(buf, n, "%s%c%s%c%s%c%s", entity, SEP, system, SEP, id,
                       SEP, to);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* The four parts of r->link, pointing into parts_buf. */
static int split(const char *link, char *parts_buf, size_t n, const char *part[4])
{
    if (!link || strlen(link) >= n)
        return -1;
    strcpy(parts_buf, link);
    char *p = parts_buf;
    for (int i = 0; i < 4; i++) {
        part[i] = p;
        char *sep = strchr(p, SEP);
        if (i < 3) {
            if (!sep)
                return -1;
            *sep = '\0';
            p = sep + 1;
        } else if (sep) {
            return -1;
        }
    }
    return 0;
}

int weir_created_link_unknown(const char *link, char *buf, size_t n)
{
    int len = snprintf(buf, n, "%s%s", link, WEIR_CREATED_LINK_UNKNOWN);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

int weir_created_link_is_unknown(const char *link)
{
    size_t n = link ? strlen(link) : 0, m = strlen(WEIR_CREATED_LINK_UNKNOWN);
    return n > m && strcmp(link + n - m, WEIR_CREATED_LINK_UNKNOWN) == 0;
}

int weir_created_link_by(const char *link, const char *sink_system)
{
    const char *to = link ? strrchr(link, SEP) : NULL;
    return to && sink_system && strcmp(to + 1, sink_system) == 0;
}

int weir_created_link_make(weir_state *st, const char *link,
                           const char *assigned_id, char *why, size_t whyn)
{
    char buf[2048];
    const char *part[4];
    if (split(link, buf, sizeof buf, part))
        return 0; /* not a link this weir wrote: nothing to make */
    if (!assigned_id || !*assigned_id) {
        snprintf(why, whyn, "%s accepted the new %s for %s %s but did not say "
                 "which id it gave it (is the sink's id-pointer set?): link it "
                 "by hand (weir xref add %s %s:%s %s:ID), then discard this "
                 "record", part[3], part[0], part[1], part[2], part[0], part[1],
                 part[2], part[3]);
        return 1;
    }
    int rc = weir_xref_add(st, part[0], (weir_xref_end){part[1], part[2]},
                           (weir_xref_end){part[3], assigned_id}, WEIR_XREF_CREATED);
    if (rc == 0)
        return 0;
    const weir_error *e = weir_state_error(st);
    if (e && e->cls == WEIR_ERR_REFUSED) {
        /* the other id is linked already (an admin was quicker): the
         * create stands, the link in the way is kept */
        weir_log(WEIR_LOG_WARNING, "%s %s:%s was created as %s:%s, but not linked: %s",
                 part[0], part[1], part[2], part[3], assigned_id, e->message);
        return 0;
    }
    return -1;
}
