/*
 * echo.h - echo suppression: a value weir itself wrote into a system,
 * read back from that system, is not a change.
 *
 * When a sink whose `system=` is given in the XML acknowledges a record
 * of a <track> pipeline with a type, weir remembers, per (system, type,
 * key, field), the hash of the value it wrote (weir_echo_written, in the
 * acknowledgement's transaction).  A <track> whose <source> gives
 * `system=` (and that does not say echo="keep") keeps per-field hashes
 * of each key's snapshot value; a key whose hash changed counts as
 * unchanged when every field that differs now holds exactly what weir
 * last wrote into that system for that key.  Such an echo is absorbed:
 * the snapshot takes the new value, nothing is sent.  Pipelines that do
 * not take part pay nothing on the <track> path.
 * Not thread-safe.
 */
#ifndef WEIR_ECHO_H
#define WEIR_ECHO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <xxhash.h>

#include "pipeline/pipeline.h"
#include "record/record.h"
#include "store/state.h"

/* One field's hash: the XXH3-64 of its name (`name_hash`) seeds the
 * value's, so the same value in two fields differs; NULL and "" differ by
 * the seed.  <track> adds these up into a record's hash (inline: it runs
 * for every field of every record).  A record's field has its name's
 * hash at hand: weir_field_name_hash(). */
static inline uint64_t weir_field_hash_seeded(uint64_t name_hash,
                                              const char *value, size_t len)
{
    return XXH3_64bits_withSeed(value ? value : "", len,
                                value ? name_hash : ~name_hash);
}

static inline uint64_t weir_field_hash(const char *name, const char *value,
                                       size_t len)
{
    return weir_field_hash_seeded(XXH3_64bits(name, strlen(name)), value,
                                  len);
}

/* Sink `sink` acknowledged `r`: remember its fields as written into the
 * sink's system (inside the caller's transaction).  Nothing for a sink
 * without system= in the XML, a record without key or type, or a
 * delete.  0, or -1 when the store failed. */
int weir_echo_written(weir_state *st, const weir_pipeline *p,
                      const weir_instance_spec *sink, const weir_record *r);

/* Does the <track> of `p` suppress echoes? */
int weir_echo_takes_part(const weir_pipeline *p);

/* A record's tracked fields as (name hash, value hash) pairs, sorted:
 * what track_fields keeps per key. */
typedef struct weir_echo_fields {
    unsigned char *buf;
    size_t len, cap;
} weir_echo_fields;
/* `fields`: <track fields>, NULL for every field.  0, -1 out of memory. */
int weir_echo_fields_build(weir_echo_fields *f, const weir_record *r,
                           char *const *fields);
void weir_echo_fields_free(weir_echo_fields *f);

/* Is every difference between `now` (the key's fields in this run) and
 * its snapshot value (none when `is_new`) a value weir last wrote into
 * `system` for (entity, key)?  1 yes (an echo), 0 no, -1 store error. */
int weir_echo_only(weir_state *st, const char *pipeline, const char *system,
                   const char *entity, const char *key,
                   const weir_echo_fields *now, int is_new);

#endif
