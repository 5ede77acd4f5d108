/* csv_writer.c - see csv_writer.h. */
#define _XOPEN_SOURCE 700 /* ftruncate */
#include "csv_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define CSV_WRITER_BUFSIZE (64u * 1024u)

struct csv_writer {
    int fd;
    char *buf;
    size_t len;       /* bytes buffered */
    long long pushed; /* file offset after everything handed to write() */
    int err;          /* first errno since the last rollback, 0 = none */
    int row_started;  /* a field is already in the current row */
    char delim;
    char quote;
    int crlf;
    /* Bytes that force quoting anywhere in a field. */
    unsigned char special[256];
};

csv_writer *csv_writer_new(int fd, long long offset, char delim, char quote,
                           int crlf)
{
    csv_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->buf = malloc(CSV_WRITER_BUFSIZE);
    if (!w->buf) {
        free(w);
        return NULL;
    }
    w->fd = fd;
    w->pushed = offset;
    w->delim = delim;
    w->quote = quote;
    w->crlf = crlf;
    w->special[(unsigned char)delim] = 1;
    w->special[(unsigned char)quote] = 1;
    w->special['\r'] = 1;
    w->special['\n'] = 1;
    return w;
}

void csv_writer_free(csv_writer *w)
{
    if (!w)
        return;
    free(w->buf);
    free(w);
}

int csv_writer_errno(const csv_writer *w) { return w->err; }

long long csv_writer_mark(const csv_writer *w)
{
    return w->pushed + (long long)w->len;
}

/* write() all of data, through short writes and EINTR. */
static void write_all(csv_writer *w, const char *data, size_t len)
{
    while (len > 0 && !w->err) {
        ssize_t n = write(w->fd, data, len);
        if (n < 0) {
            if (errno != EINTR)
                w->err = errno;
            continue;
        }
        w->pushed += n;
        data += n;
        len -= (size_t)n;
    }
}

int csv_writer_push(csv_writer *w)
{
    write_all(w, w->buf, w->len);
    w->len = 0; /* after an error the bytes are lost: a rollback follows */
    return w->err ? -1 : 0;
}

/* Buffer `len` bytes; large pieces bypass the buffer. */
static void put(csv_writer *w, const char *data, size_t len)
{
    if (w->err)
        return;
    if (CSV_WRITER_BUFSIZE - w->len < len) {
        csv_writer_push(w);
        if (len >= CSV_WRITER_BUFSIZE) {
            write_all(w, data, len);
            return;
        }
    }
    memcpy(w->buf + w->len, data, len);
    w->len += len;
}

static int needs_quotes(const csv_writer *w, const char *v, size_t len)
{
    if (len == 0)
        return 1; /* "" keeps the empty string apart from NULL */
    if (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' ||
        v[len - 1] == '\t')
        return 1; /* readers that trim would lose the spaces */
    const unsigned char *p = (const unsigned char *)v;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) /* unrolled: this runs for every field */
        if (w->special[p[i]] | w->special[p[i + 1]] | w->special[p[i + 2]] |
            w->special[p[i + 3]])
            return 1;
    for (; i < len; i++)
        if (w->special[p[i]])
            return 1;
    return 0;
}

void csv_writer_field(csv_writer *w, const char *value, size_t len)
{
    if (w->row_started)
        put(w, &w->delim, 1);
    w->row_started = 1;
    if (!value)
        return;
    if (!needs_quotes(w, value, len)) {
        put(w, value, len);
        return;
    }
    put(w, &w->quote, 1);
    const char *e = value + len;
    while (value < e) {
        const char *q = memchr(value, w->quote, (size_t)(e - value));
        if (!q) {
            put(w, value, (size_t)(e - value));
            break;
        }
        put(w, value, (size_t)(q - value) + 1);
        put(w, &w->quote, 1); /* double it */
        value = q + 1;
    }
    put(w, &w->quote, 1);
}

void csv_writer_end_row(csv_writer *w)
{
    if (w->crlf)
        put(w, "\r\n", 2);
    else
        put(w, "\n", 1);
    w->row_started = 0;
}

int csv_writer_rollback(csv_writer *w, long long mark)
{
    w->len = 0;
    w->row_started = 0;
    w->err = 0;
    if (w->pushed > mark) {
        if (ftruncate(w->fd, (off_t)mark) < 0)
            return -1;
        w->pushed = mark;
    }
    return 0;
}
