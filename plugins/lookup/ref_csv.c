/* ref_csv.c - load the reference from a CSV file; see lookup_int.h.
 *
 * RFC 4180 with the csv connector's conventions (docs/plugins/csv.md), so
 * a file reads the same as a reference as it does as a source:
 * - the first line is the header: the column names, none empty, no two
 *   alike;
 * - fields are separated by the delimiter; a field starting with '"' is
 *   quoted and may hold the delimiter, line breaks and doubled quotes;
 * - lines end with LF, CRLF or a lone CR; the last needs no line break;
 * - an unquoted empty field is NULL, a quoted empty field "" is "";
 * - a UTF-8 byte order mark is skipped, and every field must be UTF-8;
 * - blank lines at the end are ignored; a blank line between rows is a
 *   row of one NULL field (so an error unless there is one column).
 * Any malformed line is an error naming the file and the line: a
 * reference is all or nothing, since a skipped row would silently turn
 * into misses. */
#include "lookup_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct csv_in {
    const char *buf;
    size_t pos, end;
    long line; /* physical line at pos */
    char delim;
    /* the current record: field bytes in `text`, cells by offset */
    char *text;
    size_t textlen, textcap;
    lk_val *f;
    size_t nf, fcap;
    char err[256];
} csv_in;

static int push_byte(csv_in *in, char c)
{
    if (in->textlen == in->textcap) {
        size_t n = in->textcap ? in->textcap * 2 : 256;
        char *g = realloc(in->text, n);
        if (!g)
            return -1;
        in->text = g;
        in->textcap = n;
    }
    in->text[in->textlen++] = c;
    return 0;
}

static int push_field(csv_in *in, size_t off, size_t len)
{
    if (in->nf == in->fcap) {
        size_t n = in->fcap ? in->fcap * 2 : 16;
        lk_val *g = realloc(in->f, n * sizeof *g);
        if (!g)
            return -1;
        in->f = g;
        in->fcap = n;
    }
    in->f[in->nf].off = off;
    in->f[in->nf].len = len;
    in->nf++;
    return 0;
}

/* 1 when the `n` bytes at `s` are well-formed UTF-8 (no overlong forms,
 * surrogates or code points past U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else
            return 0;
        if (n - i - 1 < k)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

/* Past one line ending at pos (CRLF, LF or CR), counting the line. */
static void skip_eol(csv_in *in)
{
    if (in->buf[in->pos] == '\r' && in->pos + 1 < in->end &&
        in->buf[in->pos + 1] == '\n')
        in->pos++;
    in->pos++;
    in->line++;
}

/* Read one record into in->f.  Returns 1 at the end of the file (nothing
 * read), 0 with a record (its first line in *start), -1 malformed (the
 * reason in in->err), -2 out of memory. */
static int read_record(csv_in *in, long *start)
{
    const char *b = in->buf;
    in->nf = 0;
    in->textlen = 0;
    if (in->pos >= in->end)
        return 1;
    if (b[in->pos] == '\r' || b[in->pos] == '\n') {
        size_t p = in->pos;
        while (p < in->end && (b[p] == '\r' || b[p] == '\n'))
            p++;
        if (p == in->end)
            return 1; /* only blank lines left */
    }
    *start = in->line;
    for (;;) {
        size_t col = in->nf + 1;
        size_t off = in->textlen;
        if (in->pos < in->end && b[in->pos] == '"') {
            long opened = in->line;
            in->pos++;
            for (;;) {
                if (in->pos >= in->end) {
                    snprintf(in->err, sizeof in->err,
                             "unterminated quote: the quoted field in column "
                             "%zu opened at line %ld is never closed",
                             col, opened);
                    return -1;
                }
                char c = b[in->pos];
                if (c == '"') {
                    if (in->pos + 1 < in->end && b[in->pos + 1] == '"') {
                        if (push_byte(in, '"') != 0)
                            return -2;
                        in->pos += 2;
                        continue;
                    }
                    in->pos++;
                    break;
                }
                if (c == '\n' || (c == '\r' && (in->pos + 1 >= in->end ||
                                                b[in->pos + 1] != '\n')))
                    in->line++;
                if (push_byte(in, c) != 0)
                    return -2;
                in->pos++;
            }
            if (in->pos < in->end && b[in->pos] != in->delim &&
                b[in->pos] != '\r' && b[in->pos] != '\n') {
                snprintf(in->err, sizeof in->err,
                         "text after the closing quote in column %zu", col);
                return -1;
            }
            if (push_field(in, off, in->textlen - off) != 0)
                return -2;
        } else {
            while (in->pos < in->end && b[in->pos] != in->delim &&
                   b[in->pos] != '\r' && b[in->pos] != '\n') {
                if (b[in->pos] == '"') {
                    snprintf(in->err, sizeof in->err,
                             "quote character inside an unquoted field in "
                             "column %zu",
                             col);
                    return -1;
                }
                if (push_byte(in, b[in->pos]) != 0)
                    return -2;
                in->pos++;
            }
            size_t len = in->textlen - off;
            if (push_field(in, off, len ? len : LK_NULL) != 0)
                return -2;
        }
        if (in->f[in->nf - 1].len != LK_NULL &&
            !utf8_ok((const unsigned char *)in->text + off,
                     in->f[in->nf - 1].len)) {
            snprintf(in->err, sizeof in->err, "invalid UTF-8 in column %zu",
                     col);
            return -1;
        }
        /* a NUL after each field, so names can be handed on as strings */
        if (push_byte(in, '\0') != 0)
            return -2;
        if (in->pos < in->end && b[in->pos] == in->delim) {
            in->pos++;
            continue;
        }
        if (in->pos < in->end)
            skip_eol(in);
        return 0;
    }
}

static char *slurp(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *g = cap > (size_t)-1 / 2 ? NULL : realloc(buf, cap * 2);
            if (!g) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = g;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                *err = errno ? errno : EIO;
                free(buf);
                fclose(f);
                return NULL;
            }
            break;
        }
    }
    if (!buf)
        *err = ENOMEM;
    fclose(f);
    *len = n;
    return buf;
}

int lk_load_csv(lk_table *t, lk_spec *spec, const char *path, char delim)
{
    const weir_host *h = spec->host;
    size_t size = 0;
    int err = 0;
    char *data = slurp(path, &size, &err);
    if (!data) {
        h->log(spec->inst, WEIR_LOG_ERROR, "lookup: cannot read %s: %s", path,
               strerror(err));
        return -1;
    }
    csv_in in = {.buf = data, .end = size, .line = 1, .delim = delim};
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        in.pos = 3;
    int rc = -1;
    size_t ncols = 0;
    char *header = NULL;
    const char **names = NULL;
    lk_cell *cells = NULL;
    long start = 1;

    int r = read_record(&in, &start);
    if (r == 1) {
        h->log(spec->inst, WEIR_LOG_ERROR,
               "lookup: %s is empty: it needs a header line naming the "
               "columns",
               path);
        goto out;
    }
    if (r < 0)
        goto bad;
    /* keep the header: the record buffer is reused for every row */
    ncols = in.nf;
    header = malloc(in.textlen);
    names = calloc(ncols, sizeof *names);
    cells = calloc(ncols, sizeof *cells);
    if (!header || !names || !cells)
        goto nomem;
    memcpy(header, in.text, in.textlen);
    for (size_t c = 0; c < ncols; c++) {
        if (in.f[c].len == LK_NULL || in.f[c].len == 0) {
            h->log(spec->inst, WEIR_LOG_ERROR,
                   "lookup: %s line %ld: header column %zu has an empty name",
                   path, start, c + 1);
            goto out;
        }
        names[c] = header + in.f[c].off;
        for (size_t d = 0; d < c; d++)
            if (strcmp(names[d], names[c]) == 0) {
                h->log(spec->inst, WEIR_LOG_ERROR,
                       "lookup: %s line %ld: header columns %zu and %zu have "
                       "the same name '%s'",
                       path, start, d + 1, c + 1, names[c]);
                goto out;
            }
    }
    if (lk_table_bind(t, spec, names, ncols) != 0)
        goto out;
    while ((r = read_record(&in, &start)) == 0) {
        if (in.nf != ncols) {
            if (in.nf == 1 && in.f[0].len == LK_NULL)
                snprintf(in.err, sizeof in.err, "blank line");
            else
                snprintf(in.err, sizeof in.err, "expected %zu fields, got %zu",
                         ncols, in.nf);
            r = -1;
            break;
        }
        for (size_t c = 0; c < ncols; c++) {
            cells[c].len = in.f[c].len;
            cells[c].p = in.f[c].len == LK_NULL ? NULL : in.text + in.f[c].off;
        }
        int a = lk_table_add(t, spec, cells, start);
        if (a != 0)
            goto out; /* logged */
    }
    if (r == 1) {
        rc = 0;
        goto out;
    }
bad:
    if (r == -2)
        goto nomem;
    h->log(spec->inst, WEIR_LOG_ERROR, "lookup: %s line %ld: %s", path, start,
           in.err);
    goto out;
nomem:
    h->log(spec->inst, WEIR_LOG_ERROR, "lookup: out of memory reading %s",
           path);
out:
    free(header);
    free(names);
    free(cells);
    free(in.text);
    free(in.f);
    free(data);
    return rc;
}
