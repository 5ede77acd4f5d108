/*
 * csv_writer.h - RFC 4180 output with no host dependency.
 *
 * Rows are built in a fixed 64 KiB buffer that is written to the file
 * descriptor whenever it fills (a field larger than the buffer goes
 * straight through), so memory does not grow with the output.
 *
 * Quoting: a field is quoted only when it has to be: it holds the
 * delimiter, the quote, CR or LF, starts or ends with a space or tab, or is
 * the empty string.  The empty string is written as "" and SQL NULL as
 * nothing, so the two stay apart when the file is read back.
 *
 * Transactions: csv_writer_mark() gives the file offset of everything
 * written so far; csv_writer_rollback() cuts the file back to a mark (and
 * drops the buffer), so a batch that failed half-way leaves no half rows.
 *
 * Not thread-safe.
 */
#ifndef CSV_WRITER_H
#define CSV_WRITER_H

#include <stddef.h>

typedef struct csv_writer csv_writer;

/* Write to `fd` (borrowed: closed by the caller after csv_writer_free),
 * whose current end is at byte `offset`.  Rows end with CRLF when `crlf`,
 * else LF.  Returns NULL out of memory. (owned: csv_writer_free) */
csv_writer *csv_writer_new(int fd, long long offset, char delim, char quote,
                           int crlf);

/* Append one field to the current row; `value` NULL is SQL NULL.
 * `value` is borrowed for the call.  Errors are remembered (see
 * csv_writer_errno) and later output is dropped until a rollback. */
void csv_writer_field(csv_writer *w, const char *value, size_t len);
/* End the current row. */
void csv_writer_end_row(csv_writer *w);

/* Hand every buffered byte to the kernel.  Returns 0, or -1 when this or
 * an earlier write failed (errno value in csv_writer_errno). */
int csv_writer_push(csv_writer *w);
/* 0, or the errno value of the first failed write since the last
 * rollback. */
int csv_writer_errno(const csv_writer *w);

/* Offset the file will end at once the buffer is written.  Take marks
 * right after a successful csv_writer_push(): bytes buffered at the mark
 * and lost in a failed write later are not restored by a rollback. */
long long csv_writer_mark(const csv_writer *w);
/* Drop the buffer and cut the file back to `mark`, clearing the error.
 * Returns 0, or -1 with errno set when the file could not be cut. */
int csv_writer_rollback(csv_writer *w, long long mark);

void csv_writer_free(csv_writer *w); /* NULL is fine; does not push */

#endif
