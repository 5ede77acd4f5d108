/* csv_reader.c - see csv_reader.h. */
#include "csv_reader.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_utf8.h"

#define CSV_DEFAULT_BUFSIZE (64u * 1024u)

/* Bytes that end an unquoted field: delimiter, quote, CR, LF; each also
 * in every byte of a word, to look for all four eight bytes at a time.
 * To finish a field after a stray quote, the quote's place holds the
 * delimiter again. */
typedef struct stop_set {
    char c[4];
    uint64_t w[4];
} stop_set;

struct csv_reader {
    int fd;
    char *buf;
    size_t cap;      /* current buffer size */
    size_t base_cap; /* the size it returns to after a huge row */
    size_t max_row;  /* 0 = no limit */
    size_t start;    /* buf[start..end) is read but not yet consumed; */
    size_t end;      /* start is always the start of the next row */
    int eof;         /* read() returned 0 */
    int state;       /* 0 reading, 1 ended, -1 failed */
    int bom_checked;
    char delim;
    char quote;
    long line; /* physical line where the next row starts */
    size_t row_bytes; /* size of the row parse_row() returned last */
    csv_field *fields;
    size_t fields_cap;
    stop_set stop, stop_noquote;
    csv_failure failure;
    int err;
    long fail_line;
    size_t fail_field;
};

/* parse_row() results besides -1 (out of memory). */
enum { ROW_PARSED = 1, ROW_NEED_MORE = 0, ROW_CUT_SHORT = 2 };

/* Marks a quoted field with doubled quotes until it is unescaped. */
#define QUOTED_DOUBLED 2

static void stops_init(stop_set *s, char delim, char quote)
{
    const char c[4] = {delim, quote, '\r', '\n'};
    for (int i = 0; i < 4; i++) {
        s->c[i] = c[i];
        s->w[i] = UINT64_C(0x0101010101010101) * (unsigned char)c[i];
    }
}

csv_reader *csv_reader_new(int fd, char delim, char quote, size_t bufsize,
                           size_t max_row)
{
    csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base_cap = bufsize ? bufsize : CSV_DEFAULT_BUFSIZE;
    if (r->base_cap < 16)
        r->base_cap = 16;
    r->cap = r->base_cap;
    r->buf = malloc(r->cap);
    r->fields_cap = 16;
    r->fields = malloc(r->fields_cap * sizeof *r->fields);
    if (!r->buf || !r->fields) {
        csv_reader_free(r);
        return NULL;
    }
    r->fd = fd;
    r->max_row = max_row;
    r->delim = delim;
    r->quote = quote;
    r->line = 1;
    stops_init(&r->stop, delim, quote);
    stops_init(&r->stop_noquote, delim, delim);
    return r;
}

void csv_reader_free(csv_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->fields);
    free(r);
}

csv_failure csv_reader_failure(const csv_reader *r) { return r->failure; }
int csv_reader_errno(const csv_reader *r) { return r->err; }
long csv_reader_line(const csv_reader *r) { return r->fail_line; }
size_t csv_reader_field(const csv_reader *r) { return r->fail_field; }
size_t csv_reader_buffer_size(const csv_reader *r) { return r->cap; }

static int fail(csv_reader *r, csv_failure why, int err)
{
    r->failure = why;
    r->err = err;
    r->fail_line = r->line;
    r->state = -1;
    return -1;
}

/* Move the unconsumed bytes to the front and read more after them.  The
 * buffer doubles only when the row in progress fills it, and goes back to
 * its normal size once the rows left fit.  Returns 1 when bytes were
 * added, 0 at end of input, -1 on failure. */
static int fill(csv_reader *r)
{
    if (r->eof)
        return 0;
    size_t have = r->end - r->start;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, have);
        r->start = 0;
        r->end = have;
    }
    if (r->cap > r->base_cap && have <= r->base_cap / 2) {
        char *small = realloc(r->buf, r->base_cap);
        if (small) { /* a failed shrink just keeps the big buffer */
            r->buf = small;
            r->cap = r->base_cap;
        }
    }
    if (r->end == r->cap) {
        /* Room for max_row bytes plus a CRLF, so a row of exactly the
         * limit is still accepted. */
        size_t limit = r->max_row ? r->max_row + 2 : (size_t)-1;
        if (r->cap >= limit)
            return fail(r, CSV_FAIL_TOO_LONG, EFBIG);
        size_t cap = r->cap <= limit / 2 ? r->cap * 2 : limit;
        char *big = realloc(r->buf, cap);
        if (!big)
            return fail(r, CSV_FAIL_NOMEM, ENOMEM);
        r->buf = big;
        r->cap = cap;
    }
    ssize_t n;
    do
        n = read(r->fd, r->buf + r->end, r->cap - r->end);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail(r, CSV_FAIL_IO, errno);
    if (n == 0) {
        r->eof = 1;
        return 0;
    }
    r->end += (size_t)n;
    return 1;
}

#define HIGH_BITS UINT64_C(0x8080808080808080)

/* The high bit of each byte of w that is not 0 (exactly: no borrow
 * between bytes). */
static uint64_t nonzero_bytes(uint64_t w)
{
    return ((w & ~HIGH_BITS) + ~HIGH_BITS) | w;
}

/* First byte at or after p that is one of `stop`, or e.  Eight bytes at a
 * time: the bytes equal to a stop are those that XOR to 0 with it. */
static char *scan(char *p, const char *e, const stop_set *stop)
{
    while (e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        uint64_t hits = ~(nonzero_bytes(w ^ stop->w[0]) &
                          nonzero_bytes(w ^ stop->w[1]) &
                          nonzero_bytes(w ^ stop->w[2]) &
                          nonzero_bytes(w ^ stop->w[3])) &
                        HIGH_BITS;
        if (hits) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            return p + __builtin_clzll(hits) / 8;
#else
            return p + __builtin_ctzll(hits) / 8;
#endif
        }
        p += 8;
    }
    while (p < e && *p != stop->c[0] && *p != stop->c[1] &&
           *p != stop->c[2] && *p != stop->c[3])
        p++;
    return p;
}

/* Line breaks inside quoted text: each LF, and each CR not followed by
 * an LF, so that CRLF counts once as in the row terminators. */
static long count_lines(const char *p, const char *e)
{
    long n = 0;
    for (const char *c = memchr(p, '\n', (size_t)(e - p)); c;
         c = memchr(c + 1, '\n', (size_t)(e - c - 1)))
        n++;
    for (const char *c = memchr(p, '\r', (size_t)(e - p)); c;
         c = memchr(c + 1, '\r', (size_t)(e - c - 1)))
        if (c + 1 == e || c[1] != '\n')
            n++;
    return n;
}

/* Turn each doubled quote of s[0..len) into one, in place; new length. */
static size_t unescape(char *s, size_t len, char quote)
{
    char *w = memchr(s, quote, len);
    if (!w)
        return len;
    const char *rd = w;
    const char *e = s + len;
    while (rd < e) {
        if (*rd == quote) { /* inside the quotes every quote is doubled */
            *w++ = quote;
            rd += 2;
        } else {
            *w++ = *rd++;
        }
    }
    return (size_t)(w - s);
}

static int grow_fields(csv_reader *r)
{
    size_t cap = r->fields_cap * 2;
    csv_field *f = realloc(r->fields, cap * sizeof *f);
    if (!f)
        return -1;
    r->fields = f;
    r->fields_cap = cap;
    return 0;
}

static void set_problem(csv_row *row, csv_problem p, size_t field)
{
    if (row->problem == CSV_ROW_OK) {
        row->problem = p;
        row->problem_field = field;
    }
}

/* Finish a row whose bytes are buf[row_start..row_end): unescape doubled
 * quotes (only now, because an attempt that runs out of input starts over
 * from the row's first byte) and check UTF-8. */
static void finish_row(csv_reader *r, csv_row *row, char *row_start,
                       const char *row_end, size_t n)
{
    /* One pass over the whole row first: it is almost always ASCII.  It
     * runs before unescaping, which leaves stale bytes behind fields. */
    int all_valid = csv_utf8_valid(row_start, (size_t)(row_end - row_start));
    for (size_t i = 0; i < n; i++) {
        csv_field *f = &r->fields[i];
        if (f->quoted == QUOTED_DOUBLED) {
            char *s = r->buf + (f->data - r->buf);
            f->len = unescape(s, f->len, r->quote);
            f->quoted = 1;
        }
        if (!all_valid && !f->bad && !csv_utf8_valid(f->data, f->len)) {
            f->bad = 1;
            set_problem(row, CSV_INVALID_UTF8, i);
        }
    }
    row->fields = r->fields;
    row->count = n;
    row->blank = n == 1 && !r->fields[0].quoted && r->fields[0].len == 0 &&
                 row->problem == CSV_ROW_OK;
}

/* Parse one row starting at buf[start].  Returns ROW_PARSED, or
 * ROW_NEED_MORE when the row may continue past the bytes read so far (the
 * caller reads more and calls again from the same start), or -1 out of
 * memory. */
static int parse_row(csv_reader *r, csv_row *row)
{
    char *const row_start = r->buf + r->start;
    char *p = row_start;
    const char *const e = r->buf + r->end;
    const char d = r->delim;
    const char q = r->quote;
    long extra_lines = 0; /* line breaks inside quoted fields */
    size_t n = 0;

    row->problem = CSV_ROW_OK;
    row->problem_field = 0;
    row->no_eol = 0;
    row->line = r->line;

    for (;;) {
        if (n == r->fields_cap && grow_fields(r) < 0)
            return -1;
        csv_field *f = &r->fields[n];
        f->bad = 0;
        f->quoted = 0;
        if (p < e && *p == q) {
            long open_line = r->line + extra_lines;
            char *s = ++p;
            f->quoted = 1;
            for (;;) {
                char *c = memchr(p, q, (size_t)(e - p));
                if (!c) {
                    if (!r->eof)
                        return ROW_NEED_MORE;
                    /* Still open at end of input: whatever the quote
                     * swallowed was meant to be rows, so the input is
                     * not whole and no row of it may pass as read. */
                    r->fail_line = open_line;
                    r->fail_field = n;
                    return ROW_CUT_SHORT;
                }
                extra_lines += count_lines(p, c);
                if (c + 1 == e && !r->eof)
                    return ROW_NEED_MORE; /* "" split by the buffer end? */
                if (c + 1 < e && c[1] == q) {
                    f->quoted = QUOTED_DOUBLED;
                    p = c + 2;
                    continue;
                }
                f->data = s;
                f->len = (size_t)(c - s);
                p = c + 1;
                break;
            }
            if (p < e && *p != d && *p != '\r' && *p != '\n') {
                set_problem(row, CSV_TEXT_AFTER_QUOTE, n);
                f->bad = 1;
                p = scan(p, e, &r->stop_noquote);
            }
        } else {
            char *s = p;
            p = scan(p, e, &r->stop);
            if (p < e && *p == q) {
                set_problem(row, CSV_STRAY_QUOTE, n);
                p = scan(p + 1, e, &r->stop_noquote);
            }
            f->data = s;
            f->len = (size_t)(p - s);
        }
        n++;
        if (p == e) {
            if (!r->eof)
                return ROW_NEED_MORE;
            row->no_eol = 1; /* the last row has no line break */
            break;
        }
        if (*p == d) {
            p++;
            continue;
        }
        if (*p == '\n') {
            p++;
            break;
        }
        /* CR: CRLF, or a lone CR as old Mac files end lines. */
        if (p + 1 == e && !r->eof)
            return ROW_NEED_MORE;
        p++;
        if (p < e && *p == '\n')
            p++;
        break;
    }
    r->row_bytes = (size_t)(p - row_start);
    r->start = (size_t)(p - r->buf);
    r->line += 1 + extra_lines;
    finish_row(r, row, row_start, p, n);
    return ROW_PARSED;
}

int csv_reader_next(csv_reader *r, csv_row *row)
{
    if (r->state != 0)
        return r->state > 0 ? 0 : -1;
    if (!r->bom_checked) {
        while (r->end - r->start < 3 && !r->eof)
            if (fill(r) < 0)
                return -1;
        if (r->end - r->start >= 3 &&
            memcmp(r->buf + r->start, "\xEF\xBB\xBF", 3) == 0)
            r->start += 3;
        r->bom_checked = 1;
    }
    for (;;) {
        if (r->start == r->end) {
            if (r->eof) {
                r->state = 1;
                return 0;
            }
            if (fill(r) < 0)
                return -1;
            continue;
        }
        int rc = parse_row(r, row);
        if (rc == ROW_PARSED) {
            /* The buffer only catches rows that outgrow it; this catches
             * the ones that fit in it but not in the limit.  The limit
             * counts the line break too (max_row + 2: CRLF). */
            if (r->max_row && r->row_bytes > r->max_row + 2) {
                fail(r, CSV_FAIL_TOO_LONG, EFBIG);
                r->fail_line = row->line;
                return -1;
            }
            return 1;
        }
        if (rc < 0)
            return fail(r, CSV_FAIL_NOMEM, ENOMEM);
        if (rc == ROW_CUT_SHORT) {
            long line = r->fail_line; /* fail() sets the row's line */
            fail(r, CSV_FAIL_UNTERMINATED_QUOTE, 0);
            r->fail_line = line;
            return -1;
        }
        if (fill(r) < 0)
            return -1;
    }
}
