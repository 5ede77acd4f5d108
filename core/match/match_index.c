/* match_index.c - the candidate index, blocking and scoring (see match.h).
 *
 * Every distinct name word and evidence value is a key with a posting
 * list of the candidates that have it.  A query walks the lists of its
 * keys (and of the name words one edit away, found through a table of
 * single-deletion variants), adding each key's weight to the candidates
 * it reaches; only the best `candidates` of those are scored in full. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "match/name_norm.h"

#define NONE UINT32_MAX
#define MAX_QTOKENS 48
#define MAX_QKEYS 512
#define FIELD_MAX 128
/* A word shorter than this is looked up exactly, not one edit away: short
 * words have too many neighbours to say anything. */
#define FUZZY_MIN_LEN 4
/* Word pairs less similar than this count as not matching at all. */
#define WORD_SIM_FLOOR 0.84
#define NAME_WEIGHT 2.0
#define DIFFER_WEIGHT 0.5

typedef struct key {
    uint32_t str;  /* offset of the text in the pool */
    uint32_t len;
    uint32_t df;   /* candidates with this key */
    uint32_t post; /* first posting */
    float idf;
} key;

typedef struct cand {
    uint32_t id, name;   /* pool offsets */
    uint32_t tok, ntok;  /* range in idx->toks */
} cand;

typedef struct variant {
    uint64_t hash;
    uint32_t word; /* key */
} variant;

struct weir_match_index {
    size_t nfields;
    weir_match_kind kinds[WEIR_MATCH_MAX_FIELDS];
    int built;

    char *pool;
    size_t pool_len, pool_cap;

    key *keys;
    size_t nkeys, keys_cap;
    uint32_t *slots; /* hash table of keys: key number + 1, 0 empty */
    size_t nslots;

    cand *cands;
    size_t ncands, cands_cap;
    uint32_t *toks; /* name word keys of every candidate */
    size_t ntoks, toks_cap;
    uint32_t *ev;   /* nfields keys per candidate, NONE when absent */
    size_t ev_cap;

    uint32_t *postings;
    variant *variants;
    size_t nvariants;
};

struct weir_match_scratch {
    float *acc;
    uint32_t *touched;
    size_t ntouched;
};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
    return h ^ (h >> 29);
}

/* Grow *p (elements of `size`) to hold `need`; 0 or -1. */
static int grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *n = realloc(*(void **)p, c * size);
    if (!n)
        return -1;
    *(void **)p = n;
    *cap = c;
    return 0;
}

static long pool_add(weir_match_index *idx, const char *s, size_t n)
{
    if (idx->pool_len + n + 1 > UINT32_MAX ||
        grow(&idx->pool, &idx->pool_cap, idx->pool_len + n + 1, 1))
        return -1;
    long off = (long)idx->pool_len;
    memcpy(idx->pool + off, s, n);
    idx->pool[off + (long)n] = '\0';
    idx->pool_len += n + 1;
    return off;
}

static const char *key_text(const weir_match_index *idx, uint32_t k)
{
    return idx->pool + idx->keys[k].str;
}

/* A name word, not a field value (those start with their tag byte). */
static int is_word(const weir_match_index *idx, uint32_t k)
{
    return (unsigned char)key_text(idx, k)[0] > WEIR_MATCH_MAX_FIELDS;
}

/* The key for text s (a name word, or a field value after its field's
 * tag byte), NONE when there is none. */
static uint32_t key_find(const weir_match_index *idx, const char *s, size_t n)
{
    if (!idx->nslots)
        return NONE;
    size_t mask = idx->nslots - 1;
    for (size_t i = hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t k = idx->slots[i];
        if (!k)
            return NONE;
        k--;
        if (idx->keys[k].len == n && memcmp(key_text(idx, k), s, n) == 0)
            return k;
    }
}

static int rehash(weir_match_index *idx, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t k = 0; k < idx->nkeys; k++) {
        size_t i = hash_bytes(key_text(idx, (uint32_t)k), idx->keys[k].len) &
                   (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)k + 1;
    }
    free(idx->slots);
    idx->slots = slots;
    idx->nslots = nslots;
    return 0;
}

static uint32_t key_intern(weir_match_index *idx, const char *s, size_t n)
{
    uint32_t k = key_find(idx, s, n);
    if (k != NONE)
        return k;
    if ((idx->nkeys + 1) * 2 > idx->nslots &&
        rehash(idx, idx->nslots ? idx->nslots * 2 : 1024))
        return NONE;
    if (idx->nkeys + 1 >= NONE ||
        grow(&idx->keys, &idx->keys_cap, idx->nkeys + 1, sizeof *idx->keys))
        return NONE;
    long off = pool_add(idx, s, n);
    if (off < 0)
        return NONE;
    k = (uint32_t)idx->nkeys++;
    idx->keys[k] = (key){(uint32_t)off, (uint32_t)n, 0, 0, 0};
    size_t mask = idx->nslots - 1, i = hash_bytes(s, n) & mask;
    while (idx->slots[i])
        i = (i + 1) & mask;
    idx->slots[i] = k + 1;
    return k;
}

/* A field value as its key text: a tag byte (1 + field number, so values
 * of different fields never meet, nor a name word) and the normal form.
 * Returns its length, 0 when the value is absent. */
static size_t field_text(weir_match_kind kind, size_t field, const char *v,
                         char *out)
{
    size_t n;
    switch (kind) {
    case WEIR_MATCH_PHONE:
        n = weir_name_norm_phone(v, out + 1, FIELD_MAX - 1);
        break;
    case WEIR_MATCH_EMAIL:
        n = weir_name_norm_email(v, out + 1, FIELD_MAX - 1);
        break;
    default:
        n = weir_name_norm_text(v, out + 1, FIELD_MAX - 1);
        break;
    }
    if (n == 0)
        return 0;
    out[0] = (char)(1 + field);
    return n + 1;
}

/* ---- similarity ------------------------------------------------------------- */

double weir_match_jaro_winkler(const char *a, size_t alen, const char *b,
                               size_t blen)
{
    unsigned char am[256] = {0}, bm[256] = {0};
    size_t m = 0, t = 0, window, prefix = 0;

    if (alen > 255)
        alen = 255;
    if (blen > 255)
        blen = 255;
    if (alen == blen && memcmp(a, b, alen) == 0)
        return 1.0;
    if (!alen || !blen)
        return 0.0;
    window = (alen > blen ? alen : blen) / 2;
    window = window ? window - 1 : 0;
    for (size_t i = 0; i < alen; i++) {
        size_t lo = i > window ? i - window : 0;
        size_t hi = i + window + 1 < blen ? i + window + 1 : blen;
        for (size_t j = lo; j < hi; j++)
            if (!bm[j] && a[i] == b[j]) {
                am[i] = bm[j] = 1;
                m++;
                break;
            }
    }
    if (!m)
        return 0.0;
    for (size_t i = 0, j = 0; i < alen; i++) {
        if (!am[i])
            continue;
        while (!bm[j])
            j++;
        if (a[i] != b[j])
            t++;
        j++;
    }
    double md = (double)m;
    double jaro = (md / (double)alen + md / (double)blen +
                   (md - (double)t / 2.0) / md) / 3.0;
    while (prefix < 4 && prefix < alen && prefix < blen && a[prefix] == b[prefix])
        prefix++;
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

weir_match_kind weir_match_kind_guess(const char *field_name)
{
    static const char *const phones[] = {"phone", "telephone", "tel",
                                         "mobile", "mobilephone", "fax"};
    static const char *const postcodes[] = {"postcode", "postalcode", "zip",
                                            "zipcode", "plz"};
    char n[64];
    size_t len = 0;

    for (const char *p = field_name; p && *p && len + 1 < sizeof n; p++)
        if (*p != '_' && *p != '-')
            n[len++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
    n[len] = '\0';
    for (size_t i = 0; i < sizeof phones / sizeof *phones; i++)
        if (strcmp(n, phones[i]) == 0)
            return WEIR_MATCH_PHONE;
    if (strstr(n, "mail"))
        return WEIR_MATCH_EMAIL;
    for (size_t i = 0; i < sizeof postcodes / sizeof *postcodes; i++)
        if (strcmp(n, postcodes[i]) == 0)
            return WEIR_MATCH_POSTCODE;
    return WEIR_MATCH_TEXT;
}

/* ---- building ----------------------------------------------------------------- */

void weir_match_options_init(weir_match_options *o)
{
    o->threshold = 0.8;
    o->limit = 3;
    o->candidates = 64;
}

weir_match_index *weir_match_index_new(const weir_match_kind *kinds,
                                       size_t nfields)
{
    if (nfields > WEIR_MATCH_MAX_FIELDS)
        return NULL;
    weir_match_index *idx = calloc(1, sizeof *idx);
    if (!idx)
        return NULL;
    idx->nfields = nfields;
    if (nfields)
        memcpy(idx->kinds, kinds, nfields * sizeof *kinds);
    return idx;
}

void weir_match_index_free(weir_match_index *idx)
{
    if (!idx)
        return;
    free(idx->pool);
    free(idx->keys);
    free(idx->slots);
    free(idx->cands);
    free(idx->toks);
    free(idx->ev);
    free(idx->postings);
    free(idx->variants);
    free(idx);
}

/* The words of a normalised name, split in place. */
static size_t split_words(char *norm, char **w, size_t max)
{
    size_t n = 0;
    for (char *p = norm; *p && n < max;) {
        w[n++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

long weir_match_index_add(weir_match_index *idx, const char *id,
                          const weir_match_entry *e)
{
    char norm[WEIR_NAME_NORM_MAX], split[WEIR_NAME_NORM_MAX];
    char *w[MAX_QTOKENS];
    size_t nn, nw, c = idx->ncands;
    long id_off, name_off;

    if (idx->built || c >= NONE ||
        grow(&idx->cands, &idx->cands_cap, c + 1, sizeof *idx->cands) ||
        grow(&idx->ev, &idx->ev_cap, (c + 1) * idx->nfields + 1,
             sizeof *idx->ev))
        return -1;
    nn = weir_name_norm(e->name, norm, sizeof norm);
    id_off = pool_add(idx, id ? id : "", id ? strlen(id) : 0);
    name_off = pool_add(idx, norm, nn);
    if (id_off < 0 || name_off < 0)
        return -1;
    memcpy(split, norm, nn + 1);
    nw = split_words(split, w, MAX_QTOKENS);
    if (grow(&idx->toks, &idx->toks_cap, idx->ntoks + nw, sizeof *idx->toks))
        return -1;
    cand *cd = &idx->cands[c];
    *cd = (cand){(uint32_t)id_off, (uint32_t)name_off, (uint32_t)idx->ntoks, 0};
    for (size_t i = 0; i < nw; i++) {
        if (i > 0 && strcmp(w[i], w[i - 1]) == 0)
            continue; /* sorted: a repeated word counts once */
        uint32_t k = key_intern(idx, w[i], strlen(w[i]));
        if (k == NONE)
            return -1;
        idx->keys[k].df++;
        idx->toks[idx->ntoks++] = k;
        cd->ntok++;
    }
    for (size_t f = 0; f < idx->nfields; f++) {
        char t[FIELD_MAX];
        size_t n = field_text(idx->kinds[f], f, e->fields[f], t);
        uint32_t k = NONE;
        if (n) {
            k = key_intern(idx, t, n);
            if (k == NONE)
                return -1;
            idx->keys[k].df++;
        }
        idx->ev[c * idx->nfields + f] = k;
    }
    idx->ncands++;
    return (long)c;
}

static int cmp_variant(const void *a, const void *b)
{
    const variant *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->word < y->word ? -1 : x->word > y->word;
}

/* The word itself and every variant with one byte deleted. */
static size_t deletions(const char *s, size_t n, uint64_t *out)
{
    char buf[WEIR_NAME_NORM_MAX];
    size_t k = 0;
    out[k++] = hash_bytes(s, n);
    for (size_t i = 0; i < n; i++) {
        memcpy(buf, s, i);
        memcpy(buf + i, s + i + 1, n - i - 1);
        out[k++] = hash_bytes(buf, n - 1);
    }
    return k;
}

int weir_match_index_build(weir_match_index *idx)
{
    size_t total = 0, nv = 0;
    uint64_t h[WEIR_NAME_NORM_MAX + 1];

    if (idx->built)
        return 0;
    idx->built = 1;
    for (size_t k = 0; k < idx->nkeys; k++) {
        key *ky = &idx->keys[k];
        ky->post = (uint32_t)total;
        total += ky->df;
        ky->idf = (float)log(1.0 + (double)idx->ncands / (ky->df ? ky->df : 1));
        if (ky->len >= FUZZY_MIN_LEN && is_word(idx, (uint32_t)k))
            nv += ky->len + 1;
        ky->df = 0; /* refilled below */
    }
    idx->postings = malloc((total ? total : 1) * sizeof *idx->postings);
    idx->variants = malloc((nv ? nv : 1) * sizeof *idx->variants);
    if (!idx->postings || !idx->variants)
        return -1;
    for (size_t c = 0; c < idx->ncands; c++) {
        const cand *cd = &idx->cands[c];
        for (uint32_t i = 0; i < cd->ntok; i++) {
            key *ky = &idx->keys[idx->toks[cd->tok + i]];
            idx->postings[ky->post + ky->df++] = (uint32_t)c;
        }
        for (size_t f = 0; f < idx->nfields; f++) {
            uint32_t k = idx->ev[c * idx->nfields + f];
            if (k != NONE) {
                key *ky = &idx->keys[k];
                idx->postings[ky->post + ky->df++] = (uint32_t)c;
            }
        }
    }
    for (size_t k = 0; k < idx->nkeys; k++) {
        const key *ky = &idx->keys[k];
        if (ky->len < FUZZY_MIN_LEN || !is_word(idx, (uint32_t)k))
            continue;
        size_t n = deletions(key_text(idx, (uint32_t)k), ky->len, h);
        for (size_t i = 0; i < n; i++)
            idx->variants[idx->nvariants++] = (variant){h[i], (uint32_t)k};
    }
    qsort(idx->variants, idx->nvariants, sizeof *idx->variants, cmp_variant);
    return 0;
}

size_t weir_match_index_size(const weir_match_index *idx)
{
    return idx->ncands;
}

const char *weir_match_index_id(const weir_match_index *idx, size_t c)
{
    return idx->pool + idx->cands[c].id;
}

const char *weir_match_index_name(const weir_match_index *idx, size_t c)
{
    return idx->pool + idx->cands[c].name;
}

weir_match_scratch *weir_match_scratch_new(const weir_match_index *idx)
{
    weir_match_scratch *s = calloc(1, sizeof *s);
    size_t n = idx->ncands ? idx->ncands : 1;
    if (!s)
        return NULL;
    s->acc = calloc(n, sizeof *s->acc);
    s->touched = malloc(n * sizeof *s->touched);
    if (!s->acc || !s->touched) {
        weir_match_scratch_free(s);
        return NULL;
    }
    return s;
}

void weir_match_scratch_free(weir_match_scratch *s)
{
    if (!s)
        return;
    free(s->acc);
    free(s->touched);
    free(s);
}

/* ---- queries ------------------------------------------------------------------ */

/* A query taken apart once: its words with their keys and weights, its
 * field values. */
typedef struct prepared {
    char norm[WEIR_NAME_NORM_MAX];
    char *w[MAX_QTOKENS];
    size_t wlen[MAX_QTOKENS];
    uint32_t wkey[MAX_QTOKENS];
    double wweight[MAX_QTOKENS];
    size_t nw;
    char field[WEIR_MATCH_MAX_FIELDS][FIELD_MAX];
    size_t flen[WEIR_MATCH_MAX_FIELDS];
    uint32_t fkey[WEIR_MATCH_MAX_FIELDS];
} prepared;

/* The indexed words at most one edit from w (w itself included), into
 * out; returns how many. */
static size_t neighbours(const weir_match_index *idx, const char *w, size_t n,
                         uint32_t *out, size_t max)
{
    uint64_t h[WEIR_NAME_NORM_MAX + 1];
    size_t nh, k = 0;

    if (n < FUZZY_MIN_LEN - 1)
        return 0;
    nh = n >= FUZZY_MIN_LEN ? deletions(w, n, h) : (h[0] = hash_bytes(w, n), 1);
    for (size_t i = 0; i < nh; i++) {
        size_t lo = 0, hi = idx->nvariants;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (idx->variants[mid].hash < h[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < idx->nvariants && idx->variants[lo].hash == h[i]; lo++) {
            uint32_t word = idx->variants[lo].word;
            size_t j;
            for (j = 0; j < k && out[j] != word; j++)
                ;
            if (j == k && k < max)
                out[k++] = word;
        }
    }
    return k;
}

static void prepare(const weir_match_index *idx, const weir_match_entry *q,
                    prepared *p)
{
    double max_idf = log(1.0 + (double)(idx->ncands ? idx->ncands : 1));
    uint32_t nb[64];

    weir_name_norm(q->name, p->norm, sizeof p->norm);
    p->nw = split_words(p->norm, p->w, MAX_QTOKENS);
    for (size_t i = 0; i < p->nw; i++) {
        p->wlen[i] = strlen(p->w[i]);
        p->wkey[i] = key_find(idx, p->w[i], p->wlen[i]);
        if (p->wkey[i] != NONE) {
            p->wweight[i] = idx->keys[p->wkey[i]].idf;
            continue;
        }
        /* unknown (a typo?): as rare as its most common neighbour */
        p->wweight[i] = max_idf;
        size_t n = neighbours(idx, p->w[i], p->wlen[i], nb, 64);
        for (size_t j = 0; j < n; j++)
            if (idx->keys[nb[j]].idf < p->wweight[i])
                p->wweight[i] = idx->keys[nb[j]].idf;
    }
    for (size_t f = 0; f < idx->nfields; f++) {
        p->flen[f] = field_text(idx->kinds[f], f, q->fields[f], p->field[f]);
        p->fkey[f] = p->flen[f] ? key_find(idx, p->field[f], p->flen[f]) : NONE;
    }
}

/* One direction of the name similarity: how well the words of one side
 * (texts a, weights aw) are covered by the words of the other. */
static double coverage(const weir_match_index *idx, const prepared *p,
                       const cand *cd, int query_side)
{
    double num = 0, den = 0;
    size_t na = query_side ? p->nw : cd->ntok;
    size_t nb = query_side ? cd->ntok : p->nw;

    for (size_t i = 0; i < na; i++) {
        uint32_t ka = query_side ? p->wkey[i] : idx->toks[cd->tok + i];
        const char *a = query_side ? p->w[i] : key_text(idx, ka);
        size_t al = query_side ? p->wlen[i] : idx->keys[ka].len;
        double w = query_side ? p->wweight[i] : idx->keys[ka].idf;
        double best = 0;
        for (size_t j = 0; j < nb && best < 1.0; j++) {
            uint32_t kb = query_side ? idx->toks[cd->tok + j] : p->wkey[j];
            double s;
            if (ka != NONE && ka == kb) {
                s = 1.0;
            } else {
                const char *b = query_side ? key_text(idx, kb) : p->w[j];
                size_t bl = query_side ? idx->keys[kb].len : p->wlen[j];
                s = weir_match_jaro_winkler(a, al, b, bl);
                if (s < WORD_SIM_FLOOR)
                    s = 0;
            }
            if (s > best)
                best = s;
        }
        num += w * best;
        den += w;
    }
    return den > 0 ? num / den : 0;
}

static const char *email_domain(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    return at ? at + 1 : s + n;
}

static const double field_weight[] = {
    [WEIR_MATCH_PHONE] = 1.0, [WEIR_MATCH_EMAIL] = 1.0,
    [WEIR_MATCH_POSTCODE] = 0.5, [WEIR_MATCH_TEXT] = 0.5,
};

static void score(const weir_match_index *idx, const prepared *p, size_t c,
                  weir_match_hit *hit)
{
    const cand *cd = &idx->cands[c];
    double num, den = NAME_WEIGHT;

    memset(hit, 0, sizeof *hit);
    hit->candidate = c;
    hit->name = p->nw && cd->ntok ? (coverage(idx, p, cd, 1) +
                                     coverage(idx, p, cd, 0)) / 2.0
                                  : 0.0;
    num = NAME_WEIGHT * hit->name;
    for (size_t f = 0; f < idx->nfields; f++) {
        uint32_t k = idx->ev[c * idx->nfields + f];
        double w = field_weight[idx->kinds[f]], v = 0;
        if (!p->flen[f] || k == NONE)
            continue;
        if (k == p->fkey[f]) {
            hit->fields[f] = WEIR_MATCH_AGREE;
            v = 1;
        } else if (idx->kinds[f] == WEIR_MATCH_EMAIL &&
                   strcmp(email_domain(key_text(idx, k), idx->keys[k].len),
                          email_domain(p->field[f], p->flen[f])) == 0) {
            hit->fields[f] = WEIR_MATCH_PARTIAL;
            v = 0.5;
        } else {
            /* numbers and addresses change: a difference says less
             * than an agreement */
            hit->fields[f] = WEIR_MATCH_DIFFER;
            w *= DIFFER_WEIGHT;
        }
        num += w * v;
        den += w;
    }
    hit->score = num / den;
}

int weir_match_index_score(const weir_match_index *idx,
                           const weir_match_entry *q, size_t c,
                           weir_match_hit *hit)
{
    prepared *p = malloc(sizeof *p);
    if (!p)
        return -1;
    prepare(idx, q, p);
    score(idx, p, c, hit);
    free(p);
    return 0;
}

/* Is hit a better than hit b (higher score, then lower number)? */
static int better(const weir_match_hit *a, const weir_match_hit *b)
{
    return a->score > b->score ||
           (a->score == b->score && a->candidate < b->candidate);
}

/* Keys to walk for a query: each with its weight. */
typedef struct walk {
    uint32_t key;
    float weight;
} walk;

static size_t add_walk(walk *w, size_t n, uint32_t k, float weight)
{
    for (size_t i = 0; i < n; i++)
        if (w[i].key == k) {
            if (weight > w[i].weight)
                w[i].weight = weight;
            return n;
        }
    if (n < MAX_QKEYS)
        w[n++] = (walk){k, weight};
    return n;
}

/* Min-heap on accumulated weight (ties: the higher number is smaller),
 * holding the best candidates seen. */
static int acc_less(const float *acc, uint32_t a, uint32_t b)
{
    return acc[a] < acc[b] || (acc[a] == acc[b] && a > b);
}

static void sift_down(uint32_t *h, size_t n, size_t i, const float *acc)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && acc_less(acc, h[l], h[m]))
            m = l;
        if (l + 1 < n && acc_less(acc, h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

int weir_match_index_query(const weir_match_index *idx, weir_match_scratch *s,
                           const weir_match_entry *q,
                           const weir_match_options *o, weir_match_hit *hits)
{
    weir_match_options def;
    prepared *p;
    walk *wk;
    uint32_t nb[64], rarest = NONE;
    size_t nwalk = 0, nhits = 0, cap;
    size_t keep;
    uint32_t *heap;

    if (!o) {
        weir_match_options_init(&def);
        o = &def;
    }
    if (!idx->built || o->limit == 0)
        return 0;
    p = malloc(sizeof *p);
    wk = malloc(MAX_QKEYS * sizeof *wk);
    keep = o->candidates ? o->candidates : 1;
    heap = malloc(keep * sizeof *heap);
    if (!p || !wk || !heap) {
        free(p);
        free(wk);
        free(heap);
        return -1;
    }
    prepare(idx, q, p);
    for (size_t i = 0; i < p->nw; i++) {
        if (p->wkey[i] != NONE)
            nwalk = add_walk(wk, nwalk, p->wkey[i], idx->keys[p->wkey[i]].idf);
        size_t n = neighbours(idx, p->w[i], p->wlen[i], nb, 64);
        for (size_t j = 0; j < n; j++)
            nwalk = add_walk(wk, nwalk, nb[j], 0.8f * idx->keys[nb[j]].idf);
    }
    for (size_t i = 0; i < nwalk; i++)
        if (rarest == NONE || idx->keys[wk[i].key].df < idx->keys[rarest].df)
            rarest = wk[i].key;
    for (size_t f = 0; f < idx->nfields; f++)
        if (p->fkey[f] != NONE)
            nwalk = add_walk(wk, nwalk, p->fkey[f], idx->keys[p->fkey[f]].idf);

    /* Blocking: a key on more than 1/20 of the candidates says little and
     * costs much; skip it, unless it is the query's rarest name word. */
    cap = idx->ncands / 20 > 1000 ? idx->ncands / 20 : 1000;
    s->ntouched = 0;
    for (size_t i = 0; i < nwalk; i++) {
        const key *ky = &idx->keys[wk[i].key];
        if (ky->df > cap && wk[i].key != rarest)
            continue;
        const uint32_t *post = idx->postings + ky->post;
        for (uint32_t j = 0; j < ky->df; j++) {
            uint32_t c = post[j];
            if (s->acc[c] == 0)
                s->touched[s->ntouched++] = c;
            s->acc[c] += wk[i].weight;
        }
    }

    /* the best `keep` by accumulated weight */
    size_t nheap = 0;
    for (size_t i = 0; i < s->ntouched; i++) {
        uint32_t c = s->touched[i];
        if (nheap < keep) {
            heap[nheap++] = c;
            if (nheap == keep)
                for (size_t j = keep / 2 + 1; j-- > 0;)
                    sift_down(heap, nheap, j, s->acc);
        } else if (acc_less(s->acc, heap[0], c)) {
            heap[0] = c;
            sift_down(heap, nheap, 0, s->acc);
        }
    }

    for (size_t i = 0; i < nheap; i++) {
        weir_match_hit h;
        score(idx, p, heap[i], &h);
        if (h.score < o->threshold)
            continue;
        /* insertion into the sorted top `limit` */
        size_t at = nhits < o->limit ? nhits : o->limit;
        while (at > 0 && better(&h, &hits[at - 1]))
            at--;
        if (at >= o->limit)
            continue;
        size_t last = nhits < o->limit ? nhits : o->limit - 1;
        memmove(hits + at + 1, hits + at, (last - at) * sizeof *hits);
        hits[at] = h;
        if (nhits < o->limit)
            nhits++;
    }
    for (size_t i = 0; i < s->ntouched; i++)
        s->acc[s->touched[i]] = 0;
    free(p);
    free(wk);
    free(heap);
    return (int)nhits;
}
