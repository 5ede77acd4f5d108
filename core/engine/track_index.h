/*
 * track_index.h - the keys of one change-tracked pipeline, in memory.
 *
 * Loaded from the snapshots at the start of a run (key -> hash of the
 * tracked values), then every record of the run looks its key up once:
 * new, changed, unchanged, or a duplicate within the run.  What was in the
 * snapshot and not seen by the end is deleted.  About 60 bytes a key
 * (40-byte slots, the table at most 70% full) plus the key text and two
 * bytes: a million customers take about 70 MB, in proportion to the keys.
 * At most 4 GiB of key text.
 * Not thread-safe.
 */
#ifndef WEIR_TRACK_INDEX_H
#define WEIR_TRACK_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct weir_track_index weir_track_index;

typedef enum weir_track_verdict {
    WEIR_TRACK_NEW,       /* key not in the snapshot */
    WEIR_TRACK_CHANGED,   /* in the snapshot with another hash */
    WEIR_TRACK_SAME,      /* in the snapshot with this hash */
    WEIR_TRACK_RESEND,    /* the same, but its last send is in doubt */
    WEIR_TRACK_DUPLICATE  /* already seen in this run */
} weir_track_verdict;

weir_track_index *weir_track_index_new(void); /* (owned) NULL out of memory */
/* Make room for `n` keys at once (no rehashing while loading). */
int weir_track_index_reserve(weir_track_index *t, size_t n);
void weir_track_index_free(weir_track_index *t);

/* Add a snapshot entry (while loading): the key's hash and change
 * number; hash 0 is a deleted key (kept for its change number).  A key
 * loaded this way is settled; see weir_track_index_load_hashed() for
 * one in doubt.  Returns 0, -1 out of memory. */
int weir_track_index_load(weir_track_index *t, const char *key, size_t len,
                          uint64_t hash, uint32_t version);

/* Look up `key` for a record of this run with `hash` and mark it seen.
 * *version gets the key's last change number (0: never seen).  For a
 * DUPLICATE, *first_line gets the origin of the first occurrence.
 * Returns -1 out of memory. */
int weir_track_index_see(weir_track_index *t, const char *key, size_t len,
                         uint64_t hash, long line, weir_track_verdict *verdict,
                         long *first_line, uint32_t *version);

/* Lookups in a table much larger than the cache spend their time waiting
 * for memory.  Callers with many keys at hand hash them first (and so
 * start fetching their slots), then look them up with the hash. */
typedef struct weir_key_hash {
    uint64_t k1, k2;
} weir_key_hash;
weir_key_hash weir_track_index_hash(const weir_track_index *t,
                                    const char *key, size_t len);
/* weir_track_index_load / _see with the key's hash already computed.
 * `doubt`: 0, or 1 + the operation (weir_op) of a value recorded as
 * sent whose answer weir never recorded (the lost answer): the target
 * may hold it or the value before it.  Such a key is sent again when the
 * source still has it unchanged (verdict RESEND), and deleted again when
 * it was a delete and the source still lacks it. */
int weir_track_index_load_hashed(weir_track_index *t, const char *key,
                                 size_t len, weir_key_hash h, uint64_t hash,
                                 uint32_t version, int doubt);
/* *doubt (nullable) gets the key's doubt as loaded (0: settled). */
int weir_track_index_see_hashed(weir_track_index *t, const char *key,
                                size_t len, weir_key_hash h, uint64_t hash,
                                long line, weir_track_verdict *verdict,
                                long *first_line, uint32_t *version,
                                int *doubt);

/* Mark a key seen without changing anything (a malformed row whose key
 * could still be read). */
void weir_track_index_touch(weir_track_index *t, const char *key, size_t len);

size_t weir_track_index_loaded(const weir_track_index *t);
/* Bytes the index holds (its table and key text). */
size_t weir_track_index_bytes(const weir_track_index *t);
/* Keys loaded from the snapshot and not seen: the deletes (what the
 * delete guard weighs). */
size_t weir_track_index_unseen(const weir_track_index *t);
/* Deletes in doubt whose key the source still lacks: sent again. */
size_t weir_track_index_unseen_redo(const weir_track_index *t);
/* The next delete at or after *pos (start at 0): an unseen snapshot key
 * or a delete in doubt, in table order (the same for the same keys); key
 * borrowed.  *redo is 1 for a delete in doubt (sent again with its
 * change number unchanged).  Returns 1 and advances *pos, or 0 at the
 * end. */
int weir_track_index_next_unseen(const weir_track_index *t, size_t *pos,
                                 const char **key, size_t *len,
                                 uint32_t *version, int *redo);
/* 1 when `key` is in the index (a set test, nothing marked). */
int weir_track_index_has(const weir_track_index *t, const char *key,
                         size_t len);

/* ---- the image: the snapshot rows in a file, a cache that saves
 * reading them from the state (engine/track.c) ---- */

/* A number for `key` (hash h) that stays the same while the index
 * lives (its place in the key text), or -1 when the key is not in the
 * index; the key of a number. (borrowed) */
int64_t weir_track_index_id(const weir_track_index *t, const char *key,
                            size_t len, weir_key_hash h);
const char *weir_track_index_key(const weir_track_index *t, uint32_t id,
                                 size_t *len);
/* The key (hash h) got this snapshot row (a write committed and settled
 * since loading); the index is no longer fit for a run.  Returns 0, -1
 * when there is no such key. */
int weir_track_index_set_row(weir_track_index *t, weir_key_hash h,
                             uint64_t hash, uint32_t version);
/* Write the keys with a snapshot row (loaded or set_row) to `path`
 * (through a temporary file, renamed: never half written), stamped with
 * the pipeline and the snapshot's generation.  0, or -1. */
int weir_track_index_save(const weir_track_index *t, const char *path,
                          const char *pipeline, int64_t gen);
/* Load an empty index from the image at `path` as from the rows: 0;
 * 1 when there is none, or it is of another pipeline, generation or
 * format, damaged or cut short, or memory ran out (then free `t`: it
 * may hold part of it). */
int weir_track_index_restore(weir_track_index *t, const char *path,
                             const char *pipeline, int64_t gen);

#endif
