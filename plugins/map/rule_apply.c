/*
 * rule_apply.c - apply one compiled map rule to one record.
 *
 * Cost model: every rule looks each field it names up once
 * (record_has only when record_get says "absent or NULL"), and values are
 * built in the instance's scratch buffer, so the only allocations are the
 * core's own in record_set.  A value read with record_get is copied to
 * scratch before record_set because the host only lends it "until the
 * record changes".
 */
#include "rule.h"

#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* rename and copy: NULL stays NULL, a missing source leaves the record
 * alone (or rejects it when strict). */
static map_outcome move(const map_rule *rule, const weir_host *h,
                        weir_record *r, map_scratch *s, int remove_source)
{
    size_t len = 0;
    const char *v = h->record_get(r, rule->from, &len);
    if (!v && !h->record_has(r, rule->from))
        return rule->strict ? MAP_MISSING : MAP_APPLIED;
    if (strcmp(rule->from, rule->field) == 0)
        return MAP_APPLIED;
    if (v) {
        map_scratch_reset(s);
        if (map_scratch_put(s, v, len) != 0)
            return MAP_NOMEM;
        v = s->data;
    }
    if (h->record_set(r, rule->field, v, len) != 0)
        return MAP_NOMEM;
    if (remove_source)
        h->record_unset(r, rule->from);
    return MAP_APPLIED;
}

static map_outcome set_value(const weir_host *h, weir_record *r,
                             const char *field, const char *v, size_t len)
{
    return h->record_set(r, field, v, len) == 0 ? MAP_APPLIED : MAP_NOMEM;
}

static map_outcome keep_only(const map_rule *rule, const weir_host *h,
                             weir_record *r)
{
    /* Walk backwards: removing field i leaves the indexes below it alone
     * whether the core shifts the tail or moves the last field into i.
     * The name is handed back as the record gave it: the core finds its
     * own name pointer without comparing strings, and removing the field
     * does not free the name (names belong to the batch). */
    for (size_t i = h->record_field_count(r); i-- > 0;) {
        const char *name = h->record_field_name(r, i);
        if (!weirp_words_find(&rule->fields, name, strlen(name)))
            h->record_unset(r, name);
    }
    return MAP_APPLIED;
}

static map_outcome trim(const char *field, const weir_host *h,
                        weir_record *r, map_scratch *s)
{
    size_t len = 0;
    const char *v = h->record_get(r, field, &len);
    if (!v)
        return MAP_APPLIED;
    size_t start = 0, end = len;
    while (start < end && is_space((unsigned char)v[start]))
        start++;
    while (end > start && is_space((unsigned char)v[end - 1]))
        end--;
    if (start == 0 && end == len)
        return MAP_APPLIED; /* nothing to trim: no record_set */
    map_scratch_reset(s);
    if (map_scratch_put(s, v + start, end - start) != 0)
        return MAP_NOMEM;
    return set_value(h, r, field, s->data, s->len);
}

/* ASCII only: bytes of multi-byte UTF-8 sequences are >= 0x80 and left
 * alone, so the result is always valid UTF-8. */
static map_outcome change_case(const char *field, int upper,
                               const weir_host *h, weir_record *r,
                               map_scratch *s)
{
    size_t len = 0;
    const char *v = h->record_get(r, field, &len);
    if (!v)
        return MAP_APPLIED;
    char lo = upper ? 'a' : 'A', hi = upper ? 'z' : 'Z';
    size_t i = 0;
    while (i < len && !(v[i] >= lo && v[i] <= hi))
        i++;
    if (i == len)
        return MAP_APPLIED; /* already in that case: no record_set */
    map_scratch_reset(s);
    if (map_scratch_put(s, v, len) != 0)
        return MAP_NOMEM;
    for (; i < len; i++)
        if (s->data[i] >= lo && s->data[i] <= hi)
            s->data[i] = (char)(s->data[i] + ('A' - 'a') * (upper ? 1 : -1));
    return set_value(h, r, field, s->data, s->len);
}

/* The parts that have a value (not missing, NULL or ""), in the rule's
 * order, with the separator between them; NULL when none has.  Built in
 * scratch before the record changes, so the target may be a part. */
static map_outcome join(const map_rule *rule, const weir_host *h,
                        weir_record *r, map_scratch *s)
{
    int any = 0;
    map_scratch_reset(s);
    for (size_t i = 0; i < rule->fields.n; i++) {
        size_t len = 0;
        const char *v = h->record_get(r, rule->fields.v[i].text, &len);
        if (!v || len == 0)
            continue;
        if (any && map_scratch_put(s, rule->value, rule->value_len) != 0)
            return MAP_NOMEM;
        if (map_scratch_put(s, v, len) != 0)
            return MAP_NOMEM;
        any = 1;
    }
    return set_value(h, r, rule->field, any ? s->data : NULL, s->len);
}

map_outcome map_rule_apply(const map_rule *rule, const weir_host *h,
                           weir_record *r, map_scratch *s)
{
    map_outcome out = MAP_APPLIED;
    size_t len = 0;
    switch (rule->op) {
    case MAP_RENAME:
        return move(rule, h, r, s, 1);
    case MAP_COPY:
        return move(rule, h, r, s, 0);
    case MAP_SET:
        return set_value(h, r, rule->field, rule->value, rule->value_len);
    case MAP_TEMPLATE:
        map_scratch_reset(s);
        if (map_template_render(rule->tmpl, h, r, s) != 0)
            return MAP_NOMEM;
        /* an empty expansion still sets "", never NULL */
        return set_value(h, r, rule->field, s->data ? s->data : "", s->len);
    case MAP_DROP:
        for (size_t i = 0; i < rule->fields.n; i++)
            h->record_unset(r, rule->fields.v[i].text); /* absent is fine */
        return MAP_APPLIED;
    case MAP_KEEP:
        return keep_only(rule, h, r);
    case MAP_TRIM:
        for (size_t i = 0; i < rule->fields.n && out == MAP_APPLIED; i++)
            out = trim(rule->fields.v[i].text, h, r, s);
        return out;
    case MAP_UPPER:
    case MAP_LOWER:
        for (size_t i = 0; i < rule->fields.n && out == MAP_APPLIED; i++)
            out = change_case(rule->fields.v[i].text, rule->op == MAP_UPPER,
                              h, r, s);
        return out;
    case MAP_DEFAULT:
        if (h->record_get(r, rule->field, &len) && len > 0)
            return MAP_APPLIED;
        return set_value(h, r, rule->field, rule->value, rule->value_len);
    case MAP_JOIN:
        return join(rule, h, r, s);
    }
    return MAP_APPLIED;
}
