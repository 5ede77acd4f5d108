/*
 * csv_reader.h - a streaming RFC 4180 parser with no host dependency.
 *
 * The reader pulls bytes from a file descriptor into one buffer of fixed
 * size and hands out one row at a time; field values point into that
 * buffer.  The buffer grows only when a single row does not fit (a huge
 * field) and shrinks back once such a row is consumed, so memory follows
 * the longest row, never the file size.
 *
 * Dialect: fields are separated by `delim`; a field that starts with
 * `quote` is quoted and may hold delimiters, line breaks and doubled quotes
 * ("" for ").  Rows end with LF, CRLF or a lone CR, or at end of input.  A
 * UTF-8 byte order mark at the very start is skipped.
 *
 * A malformed row is still returned, with the fields that could be read and
 * a csv_problem saying what is wrong and where: the caller decides what to
 * do with it.  What stops the reader is what means the input is not all
 * there: an I/O error, a row longer than the configured limit, or input
 * that ends inside a quoted field (the writer died mid-row: the rows after
 * the quote are missing, not merely malformed).
 *
 * Not thread-safe; one reader per thread.
 */
#ifndef CSV_READER_H
#define CSV_READER_H

#include <stddef.h>

/* What is wrong with a row (the first problem found in it). */
typedef enum csv_problem {
    CSV_ROW_OK = 0,
    /* A quote character inside an unquoted field (a"b).  The field is kept
     * with the quote as a literal character. */
    CSV_STRAY_QUOTE,
    /* Something other than a delimiter or line end after a closing quote
     * ("a"b).  The field is marked bad. */
    CSV_TEXT_AFTER_QUOTE,
    /* A field is not valid UTF-8.  Every such field is marked bad. */
    CSV_INVALID_UTF8
} csv_problem;

typedef struct csv_field {
    const char *data; /* into the reader's buffer; not NUL-terminated */
    size_t len;
    unsigned char quoted; /* 1 when the field was quoted ("" is not NULL) */
    unsigned char bad;    /* 1 when the value could not be read */
} csv_field;

typedef struct csv_row {
    const csv_field *fields; /* (borrowed) until the next csv_reader_next */
    size_t count;
    long line;            /* physical line (1-based) where the row starts */
    int blank;            /* an empty line: one unquoted empty field */
    int no_eol;           /* ended by the end of input, not a line break */
    csv_problem problem;  /* CSV_ROW_OK when the row is well-formed */
    size_t problem_field; /* 0-based index of the field concerned */
} csv_row;

typedef struct csv_reader csv_reader;

/* Why csv_reader_next() stopped with -1. */
typedef enum csv_failure {
    CSV_FAIL_NONE = 0,
    CSV_FAIL_IO,        /* read() failed; csv_reader_errno() says why */
    CSV_FAIL_TOO_LONG,  /* one row is longer than max_row bytes */
    CSV_FAIL_NOMEM,
    /* Input ended inside a quoted field: csv_reader_line() is the line
     * where its quote opened, csv_reader_field() its 0-based column. */
    CSV_FAIL_UNTERMINATED_QUOTE
} csv_failure;

/* Start reading `fd` (borrowed: the caller closes it after
 * csv_reader_free).  `bufsize` is the normal buffer size (0: 64 KiB);
 * `max_row` caps the bytes of one row (0: no limit).  `delim` and `quote`
 * must differ and be neither CR nor LF.  Returns NULL out of memory.
 * (owned: csv_reader_free) */
csv_reader *csv_reader_new(int fd, char delim, char quote, size_t bufsize,
                           size_t max_row);

/* Read the next row into *row.  Returns 1 with a row, 0 at end of input,
 * -1 when reading failed (see csv_reader_failure).  After 0 or -1 every
 * further call returns the same.  The row's fields stay valid until the
 * next call or csv_reader_free. */
int csv_reader_next(csv_reader *r, csv_row *row);

csv_failure csv_reader_failure(const csv_reader *r);
/* errno of the failed read() for CSV_FAIL_IO. */
int csv_reader_errno(const csv_reader *r);
/* Line where the row that failed started (CSV_FAIL_TOO_LONG), or where
 * the unterminated quote opened (CSV_FAIL_UNTERMINATED_QUOTE). */
long csv_reader_line(const csv_reader *r);
/* 0-based column of the unterminated quoted field. */
size_t csv_reader_field(const csv_reader *r);

/* Current buffer size in bytes (for tests of the memory bound). */
size_t csv_reader_buffer_size(const csv_reader *r);

void csv_reader_free(csv_reader *r); /* NULL is fine */

#endif
