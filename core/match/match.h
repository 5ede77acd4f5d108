/*
 * match.h - fuzzy matching of records of one system (the queries: an
 * app's customers) against the records of another (the candidates: the
 * ERP's customers) by name, with evidence from other fields.  What
 * `weir xref suggest` is built on.
 *
 * An index holds the candidates.  It never compares every pair: a query
 * is compared in full only with the candidates that share a rare enough
 * name word with it (or a word one edit away from one of its words), or
 * an evidence value (phone, e-mail, postcode, ...).  Scores are in 0..1:
 *
 *   name   the normalised names (name_norm.h) compared word by word, each
 *          word paired with its most similar word on the other side
 *          (Jaro-Winkler, below 0.84 counts 0), weighted by how rare the
 *          word is among the candidates (IDF), the mean of both directions;
 *   field  per evidence field present on both sides: 1 when they agree,
 *          0 when they differ, 0.5 for an e-mail at the same domain;
 *   score  (2 * name + sum of weight * field) / (2 + sum of weights) over
 *          the fields present on both sides; weights phone 1, e-mail 1,
 *          postcode and text 0.5, halved for a field that differs (phones
 *          and addresses change, so a difference says less than an
 *          agreement).  So evidence that agrees raises a score, evidence
 *          that differs lowers it, absent evidence leaves it.
 *
 * Life cycle: new, add every candidate, build, then query.  Building and
 * adding are not thread-safe.  After build the index is read-only: any
 * number of threads may query it at once, each with its own scratch.
 */
#ifndef WEIR_MATCH_H
#define WEIR_MATCH_H

#include <stddef.h>
#include <stdint.h>

/* How an evidence field compares. */
typedef enum weir_match_kind {
    WEIR_MATCH_PHONE,    /* the last 9 digits */
    WEIR_MATCH_EMAIL,    /* the address; the same domain is half a match */
    WEIR_MATCH_POSTCODE, /* letters and digits, case-folded */
    WEIR_MATCH_TEXT      /* letters and digits, case- and accent-folded */
} weir_match_kind;

#define WEIR_MATCH_MAX_FIELDS 8

/* The kind a field's name suggests, for `--match "phone email postcode"`:
 * phone, tel, mobile, fax -> PHONE; a name with "mail" -> EMAIL;
 * postcode, post_code, postal_code, zip, zipcode, plz -> POSTCODE; any
 * other -> TEXT.  Case-insensitive; '_' and '-' are ignored. */
weir_match_kind weir_match_kind_guess(const char *field_name);

/* How one evidence field of a query compared with a candidate's. */
typedef enum weir_match_evidence {
    WEIR_MATCH_ABSENT = 0, /* empty on either side: no say */
    WEIR_MATCH_AGREE,
    WEIR_MATCH_PARTIAL,    /* e-mail: another address at the same domain */
    WEIR_MATCH_DIFFER
} weir_match_evidence;

/* A record to add or to look for: its name and the values of the
 * evidence fields, in the order of the kinds the index was made with
 * (NULL or "" = absent).  Borrowed for the call only. */
typedef struct weir_match_entry {
    const char *name;
    const char *fields[WEIR_MATCH_MAX_FIELDS];
} weir_match_entry;

typedef struct weir_match_options {
    double threshold;      /* lowest score returned (default 0.8) */
    unsigned limit;        /* at most this many hits (default 3) */
    unsigned candidates;   /* compared in full per query, the best by the
                              index's own count (default 64) */
} weir_match_options;

/* One suggestion. */
typedef struct weir_match_hit {
    size_t candidate;      /* the candidate's number, 0.. in order added */
    double score;          /* 0..1 */
    double name;           /* the name part of the score, 0..1 */
    weir_match_evidence fields[WEIR_MATCH_MAX_FIELDS];
} weir_match_hit;

typedef struct weir_match_index weir_match_index;
typedef struct weir_match_scratch weir_match_scratch;

void weir_match_options_init(weir_match_options *o);

/* An empty index whose entries have `nfields` evidence fields of these
 * kinds (copied; nfields <= WEIR_MATCH_MAX_FIELDS).  NULL when out of
 * memory or nfields is too large. (owned: weir_match_index_free) */
weir_match_index *weir_match_index_new(const weir_match_kind *kinds,
                                       size_t nfields);
void weir_match_index_free(weir_match_index *idx);

/* Add a candidate: `id` and the entry's texts are copied.  Returns its
 * number (0, 1, ...) or -1 when out of memory or after build (the entry
 * is then not in the index; the index stays usable). */
long weir_match_index_add(weir_match_index *idx, const char *id,
                          const weir_match_entry *e);

/* Freeze the index: word weights, posting lists, the one-edit word
 * table.  0, or -1 when out of memory (the index is then unusable, free
 * it).  Nothing can be added afterwards. */
int weir_match_index_build(weir_match_index *idx);

size_t weir_match_index_size(const weir_match_index *idx);
/* A candidate's id, normalised name. (borrowed, valid while idx lives) */
const char *weir_match_index_id(const weir_match_index *idx, size_t cand);
const char *weir_match_index_name(const weir_match_index *idx, size_t cand);

/* Working memory for queries on a built index, one per thread.  NULL
 * when out of memory. (owned: weir_match_scratch_free) */
weir_match_scratch *weir_match_scratch_new(const weir_match_index *idx);
void weir_match_scratch_free(weir_match_scratch *s);

/* The best candidates for `q`: up to o->limit hits with score >=
 * o->threshold, best first (ties: lower candidate number first), into
 * `hits` (room for o->limit).  Returns how many, or -1 when out of memory.
 * `o` NULL means the defaults. */
int weir_match_index_query(const weir_match_index *idx, weir_match_scratch *s,
                           const weir_match_entry *q,
                           const weir_match_options *o, weir_match_hit *hits);

/* Score `q` against one candidate, the same way a query does (for tests
 * and for explaining a pair).  0, or -1 when out of memory. */
int weir_match_index_score(const weir_match_index *idx,
                           const weir_match_entry *q, size_t c,
                           weir_match_hit *hit);

/* Jaro-Winkler similarity of two byte strings, 0..1 (1 when equal). */
double weir_match_jaro_winkler(const char *a, size_t alen, const char *b,
                               size_t blen);

#endif
