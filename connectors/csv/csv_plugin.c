/*
 * csv_plugin.c - the csv connector: glue between the weir host API and the
 * host-free reader (csv_reader.c) and writer (csv_writer.c).
 *
 * One plugin, two kinds: as a <source> it turns each row of a file into a
 * record; as a <sink> it writes each record as a row.  See
 * docs/plugins/csv.md for the user's view.
 *
 * NULL semantics (as PostgreSQL's COPY ... CSV): an unquoted empty field
 * is SQL NULL, a quoted empty field ("") is the empty string, both ways.
 */
#define _XOPEN_SOURCE 700 /* fsync, pread, fchmod, O_CLOEXEC */
#include <weir/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_stamp.h"
#include "csv_reader.h"
#include "csv_writer.h"

#define CSV_PLUGIN_VERSION "1.0.0"

static const weir_option_spec csv_options[] = {
    WEIR_OPTION("path", WEIR_OPTION_PATH, WEIR_OPTION_REQUIRED, 0, NULL,
        "the CSV file to read or write"),
    WEIR_OPTION("delimiter", WEIR_OPTION_CHAR, 0, 0, ",",
        "field separator, one byte or \"tab\""),
    WEIR_OPTION("quote", WEIR_OPTION_CHAR, 0, 0, "\"",
        "quote character"),
    WEIR_OPTION("header", WEIR_OPTION_BOOL, 0, 0, "true",
        "the first line holds the column names"),
    WEIR_OPTION("columns", WEIR_OPTION_LIST, 0, 0, NULL,
        "column names in file order (source: instead of the header's; sink: "
         "the output columns)"),
    WEIR_OPTION("max-row-size", WEIR_OPTION_INT, 0, WEIR_KIND_SOURCE, "67108864",
        "longest row in bytes; a longer one fails the read"),
    WEIR_OPTION_CHOICES("mode", 0, WEIR_KIND_SINK, "write",
        "write (replace the file atomically when the run completes) or append",
        "write append"),
    WEIR_OPTION("operation-column", WEIR_OPTION_STRING, 0, WEIR_KIND_SINK, NULL,
        "column that receives insert, update, delete or upsert"),
    WEIR_OPTION_CHOICES("line-ending", 0, WEIR_KIND_SINK, "lf",
        "lf or crlf",
        "lf crlf"),
    WEIR_OPTION_END,
};

/* One output value of the row being written. */
typedef struct csv_value {
    const char *data; /* NULL = SQL NULL */
    size_t len;
} csv_value;

typedef struct csv_state {
    const weir_host *host;
    weir_instance *inst;
    weir_kind kind;
    const char *path; /* (borrowed from the host, valid until close) */
    int fd;
    char delim;
    char quote;
    int header;
    /* Column names in file order (owned, each and the array). */
    char **names;
    size_t nnames;

    /* -- source */
    csv_reader *reader;
    size_t expected;  /* fields every row should have; 0 until known */
    csv_row row;      /* a row read but not yet added (batch was full) */
    int have_row;
    long blank_count; /* blank lines held back: dropped if only blank */
    long blank_line;  /* lines follow until the end of the file */
    weirp_file_stamp opened; /* the file as opened, to see it change */
    /* Within one read(): the batch's own copy of each column name
     * (host->record_field_name of the first record that has it), which
     * record_set matches by its pointer alone; NULL: not known yet. */
    const char **batch_names; /* nnames entries */
    /* Within one read(): 1 when the batch takes whole rows by column
     * (host->batch_columns), 0 when not, -1 not asked yet. */
    int by_column;
    const char **row_values; /* expected entries: one row's */
    size_t *row_lens;

    /* -- sink */
    csv_writer *writer;
    int append;
    char *tmp_path;   /* write mode: path + ".tmp" (owned) */
    int replaced;     /* write mode: the tmp file was renamed over path */
    int columns_known;
    int header_done;
    const char *opcol; /* operation-column (borrowed), NULL when unset */
    size_t opcol_index;
    csv_value *values;    /* nnames entries, reused per record */
    unsigned char *wrote; /* per record of the batch: 1 when written */
    size_t wrote_cap;
    unsigned long long rows_unflushed;
    unsigned long long rows_total;
} csv_state;

/* ---- helpers ---------------------------------------------------------- */

static char *dup_bytes(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static void free_names(csv_state *s)
{
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    s->names = NULL;
    s->nnames = 0;
}

static long find_name(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

/* "a b c" for messages, cut with "..." to fit `size` (at least 4). */
static void join_names(char *const *names, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? " " : "", names[i]);
        if (w < 0 || (size_t)w >= size - len) {
            memcpy(buf + size - 4, "...", 4);
            return;
        }
        len += (size_t)w;
    }
}

/* Add a copy of name[0..len) to s->names. 0, or -1 out of memory. */
static int push_name(csv_state *s, const char *name, size_t len)
{
    char **names = realloc(s->names, (s->nnames + 1) * sizeof *names);
    if (!names)
        return -1;
    s->names = names;
    names[s->nnames] = dup_bytes(name, len);
    if (!names[s->nnames])
        return -1;
    s->nnames++;
    return 0;
}

static void log_oom(csv_state *s)
{
    s->host->log(s->inst, WEIR_LOG_ERROR, "%s: out of memory", s->path);
}

/* A CHAR option: one byte; "tab" too, in case the core passes it on. */
static int option_char(csv_state *s, const char *name, char *out)
{
    const char *v = s->host->option(s->inst, name);
    if (!v)
        return 0; /* keep the built-in default */
    if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0) {
        *out = '\t';
        return 0;
    }
    if (strlen(v) != 1) {
        s->host->log(s->inst, WEIR_LOG_ERROR,
                     "option %s must be one character, not '%s'", name, v);
        return -1;
    }
    *out = v[0];
    return 0;
}

/* The `columns` option into s->names; duplicates are an error. */
static int load_columns_option(csv_state *s)
{
    const char *v = s->host->option(s->inst, "columns");
    if (!v)
        return 0;
    const char *p = v;
    for (;;) {
        p += strspn(p, " \t\r\n");
        if (!*p)
            break;
        size_t len = strcspn(p, " \t\r\n");
        if (push_name(s, p, len) < 0) {
            log_oom(s);
            return -1;
        }
        long dup = find_name(s->names, s->nnames - 1, s->names[s->nnames - 1]);
        if (dup >= 0) {
            s->host->log(s->inst, WEIR_LOG_ERROR,
                         "option columns names '%s' twice",
                         s->names[s->nnames - 1]);
            return -1;
        }
        p += len;
    }
    if (s->nnames == 0) {
        s->host->log(s->inst, WEIR_LOG_ERROR, "option columns is empty");
        return -1;
    }
    return 0;
}

/* Text of a row problem, without the line. */
static const char *problem_text(csv_problem p)
{
    switch (p) {
    case CSV_STRAY_QUOTE:
        return "quote character inside an unquoted field";
    case CSV_TEXT_AFTER_QUOTE:
        return "text after the closing quote";
    case CSV_INVALID_UTF8:
        return "invalid UTF-8";
    case CSV_ROW_OK:
        break;
    }
    return "malformed row";
}

/* The name of column i (0-based) for messages, "" when it has none. */
static const char *column_label(const csv_state *s, size_t i)
{
    return i < s->nnames ? s->names[i] : "";
}

/* Log why csv_reader_next() on `r` (reading s->path) returned -1. */
static void log_read_failure(csv_state *s, const csv_reader *r)
{
    const weir_host *h = s->host;
    switch (csv_reader_failure(r)) {
    case CSV_FAIL_TOO_LONG:
        h->log(s->inst, WEIR_LOG_ERROR,
               "%s: line %ld: row longer than max-row-size bytes "
               "(an unterminated quote?)",
               s->path, csv_reader_line(r));
        break;
    case CSV_FAIL_UNTERMINATED_QUOTE: {
        size_t col = csv_reader_field(r);
        const char *name = column_label(s, col);
        h->log(s->inst, WEIR_LOG_ERROR,
               "%s: line %ld: unterminated quote: the quoted field in column "
               "%zu%s%s%s that opens here is still open at the end of the "
               "file, so the rest of the file is not rows (was the export cut "
               "short?)",
               s->path, csv_reader_line(r), col + 1, *name ? " ('" : "", name,
               *name ? "')" : "");
        break;
    }
    case CSV_FAIL_NOMEM:
        log_oom(s);
        break;
    default:
        h->log(s->inst, WEIR_LOG_ERROR, "cannot read %s: %s", s->path,
               strerror(csv_reader_errno(r)));
        break;
    }
}

/* Read the header row of `r` into s->names (which must be empty).
 * Returns 1 with names, 0 when the file is empty, -1 after logging. */
static int read_header(csv_state *s, csv_reader *r, const char *path)
{
    const weir_host *h = s->host;
    csv_row row;
    int rc = csv_reader_next(r, &row);
    if (rc <= 0)
        return rc;
    if (row.problem != CSV_ROW_OK) {
        h->log(s->inst, WEIR_LOG_ERROR, "%s: line %ld: bad header: %s in column %zu",
               path, row.line, problem_text(row.problem),
               row.problem_field + 1);
        return -1;
    }
    for (size_t i = 0; i < row.count; i++) {
        const csv_field *f = &row.fields[i];
        if (f->len == 0) {
            h->log(s->inst, WEIR_LOG_ERROR,
                   "%s: line %ld: header column %zu has an empty name", path,
                   row.line, i + 1);
            return -1;
        }
        if (memchr(f->data, '\0', f->len)) {
            h->log(s->inst, WEIR_LOG_ERROR,
                   "%s: line %ld: header column %zu holds a NUL byte", path,
                   row.line, i + 1);
            return -1;
        }
        if (push_name(s, f->data, f->len) < 0) {
            log_oom(s);
            return -1;
        }
        long dup = find_name(s->names, i, s->names[i]);
        if (dup >= 0) {
            h->log(s->inst, WEIR_LOG_ERROR,
                   "%s: line %ld: header columns %ld and %zu have the same "
                   "name '%s'",
                   path, row.line, dup + 1, i + 1, s->names[i]);
            return -1;
        }
    }
    return 1;
}

/* ---- source ----------------------------------------------------------- */

/* Is the file still the one opened, as it was?  A file rewritten in place
 * while we read it gives rows of two versions, or a cut-short file that
 * reads as clean: the data set is not whole.  0, or -1 after logging. */
static int check_unchanged(csv_state *s)
{
    char why[160];
    if (!weirp_file_stamp_changed(&s->opened, s->fd, s->path, why, sizeof why))
        return 0;
    s->host->log(s->inst, WEIR_LOG_ERROR,
                 "%s changed while it was read (%s): the rows read may "
                 "belong to two versions of the file; exporters should write "
                 "a temporary file and rename it into place",
                 s->path, why);
    return -1;
}

static int source_open(csv_state *s)
{
    const weir_host *h = s->host;
    long long max_row = 0;
    if (h->option_int(s->inst, "max-row-size", &max_row) == 0 && max_row <= 0) {
        h->log(s->inst, WEIR_LOG_ERROR, "option max-row-size must be positive");
        return -1;
    }
    if (load_columns_option(s) < 0)
        return -1;

    s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        h->log(s->inst, WEIR_LOG_ERROR, "cannot open %s: %s", s->path,
               strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        h->log(s->inst, WEIR_LOG_ERROR, "cannot read %s: %s", s->path,
               strerror(EISDIR));
        return -1;
    }
    if (weirp_file_stamp_take(s->fd, &s->opened) != 0) {
        h->log(s->inst, WEIR_LOG_ERROR, "cannot stat %s: %s", s->path,
               strerror(errno));
        return -1;
    }
    if (check_unchanged(s) < 0) /* replaced between open and fstat */
        return -1;
    s->reader = csv_reader_new(s->fd, s->delim, s->quote, 0, (size_t)max_row);
    if (!s->reader) {
        log_oom(s);
        return -1;
    }

    size_t from_option = s->nnames;
    if (s->header) {
        char **option_names = s->names;
        s->names = NULL;
        s->nnames = 0;
        int rc = read_header(s, s->reader, s->path);
        if (rc < 0) {
            if (csv_reader_failure(s->reader) != CSV_FAIL_NONE)
                log_read_failure(s, s->reader); /* read_header logs the rest */
            for (size_t i = 0; i < from_option; i++)
                free(option_names[i]);
            free(option_names);
            return -1;
        }
        if (from_option) {
            /* `columns` renames the header's columns, one for one. */
            size_t in_file = s->nnames;
            free_names(s);
            s->names = option_names;
            s->nnames = from_option;
            if (rc > 0 && in_file != from_option) {
                h->log(s->inst, WEIR_LOG_ERROR,
                       "%s: option columns names %zu columns but the header "
                       "has %zu",
                       s->path, from_option, in_file);
                return -1;
            }
        }
    }
    s->expected = s->nnames; /* 0 without header or columns: first row */
    return 0;
}

/* Make sure names col1..colN exist (header=false without columns). */
static int ensure_generated_names(csv_state *s, size_t n)
{
    char name[32];
    while (s->nnames < n) {
        int len = snprintf(name, sizeof name, "col%zu", s->nnames + 1);
        if (push_name(s, name, (size_t)len) < 0)
            return -1;
    }
    return 0;
}

/* Answer a malformed row REJECT with where and why. */
static void reject_row(csv_state *s, weir_record *rec, const csv_row *row)
{
    char msg[512];
    size_t col = row->problem_field;
    if (row->problem != CSV_ROW_OK) {
        int n = snprintf(msg, sizeof msg, "line %ld: %s in column %zu ('%s')",
                         row->line, problem_text(row->problem), col + 1,
                         column_label(s, col));
        if (row->count != s->expected && n > 0 && (size_t)n < sizeof msg)
            snprintf(msg + n, sizeof msg - (size_t)n,
                     "; expected %zu fields, got %zu", s->expected, row->count);
    } else {
        snprintf(msg, sizeof msg, "line %ld: expected %zu fields, got %zu",
                 row->line, s->expected, row->count);
    }
    s->host->record_answer(rec, WEIR_RESULT_REJECT, msg, NULL);
}

/* Does batch `b` take rows by column (asked once per read())?  1 yes,
 * 0 no, -1 out of memory. */
static int rows_by_column(csv_state *s, weir_batch *b)
{
    const weir_host *h = s->host;
    if (s->by_column >= 0)
        return s->by_column;
    s->by_column = 0;
    if (!WEIR_HOST_HAS(h, batch_add_row))
        return 0;
    if (!s->row_values &&
        (!(s->row_values = calloc(s->expected, sizeof *s->row_values)) ||
         !(s->row_lens = calloc(s->expected, sizeof *s->row_lens))))
        return -1;
    int rc = h->batch_columns(b, (const char *const *)s->names, s->expected);
    if (rc < 0)
        return -1;
    s->by_column = rc;
    return rc;
}

/* Add `row` to the batch (room checked by the caller). */
static int add_row(csv_state *s, weir_batch *b, const csv_row *row)
{
    const weir_host *h = s->host;
    int whole = row->problem == CSV_ROW_OK && row->count == s->expected;
    int by_column = whole ? rows_by_column(s, b) : 0;
    if (by_column < 0) {
        log_oom(s);
        return -1;
    }
    if (by_column) {
        /* the values as the loop below sets them */
        for (size_t i = 0; i < row->count; i++) {
            const csv_field *f = &row->fields[i];
            s->row_values[i] = f->quoted || f->len ? f->data : NULL;
            s->row_lens[i] = f->len;
        }
        if (!h->batch_add_row(b, s->row_values, s->row_lens, row->line)) {
            log_oom(s);
            return -1;
        }
        return 0;
    }
    weir_record *rec = h->batch_add(b);
    if (!rec) {
        log_oom(s);
        return -1;
    }
    h->record_set_origin(rec, row->line);
    if (!s->batch_names &&
        !(s->batch_names = calloc(s->nnames + 1, sizeof *s->batch_names))) {
        log_oom(s);
        return -1;
    }
    size_t n = row->count < s->expected ? row->count : s->expected;
    for (size_t i = 0; i < n; i++) {
        const csv_field *f = &row->fields[i];
        if (f->bad)
            continue; /* not readable: left out, the row is rejected */
        const char *v = f->quoted || f->len ? f->data : NULL;
        const char *name = s->batch_names[i] ? s->batch_names[i] : s->names[i];
        if (h->record_set(rec, name, v, f->len) < 0) {
            log_oom(s);
            return -1;
        }
        if (!s->batch_names[i]) /* names differ: the field was added last */
            s->batch_names[i] = h->record_field_name(
                rec, h->record_field_count(rec) - 1);
    }
    if (row->problem != CSV_ROW_OK || row->count != s->expected)
        reject_row(s, rec, row);
    return 0;
}

/* A blank line that has rows after it: a NULL in a one-column file,
 * otherwise a row with too few fields. */
static int add_blank(csv_state *s, weir_batch *b, long line)
{
    const weir_host *h = s->host;
    weir_record *rec = h->batch_add(b);
    if (!rec) {
        log_oom(s);
        return -1;
    }
    h->record_set_origin(rec, line);
    if (s->expected == 1) {
        if (h->record_set(rec, s->names[0], NULL, 0) < 0) {
            log_oom(s);
            return -1;
        }
        return 0;
    }
    h->record_answerf(rec, WEIR_RESULT_REJECT,
                      "line %ld: blank line, expected %zu fields", line,
                      s->expected);
    return 0;
}

static weir_status source_read(csv_state *s, weir_batch *b)
{
    const weir_host *h = s->host;
    if (s->batch_names) /* borrowed from the last batch: gone with it */
        memset(s->batch_names, 0, s->nnames * sizeof *s->batch_names);
    s->by_column = -1; /* the batch forgot its columns */
    while (h->batch_room(b) > 0) {
        if (s->have_row && s->blank_count > 0) {
            if (add_blank(s, b, s->blank_line) < 0)
                return WEIR_STATUS_ERROR;
            s->blank_line++;
            s->blank_count--;
            continue;
        }
        if (s->have_row) {
            if (add_row(s, b, &s->row) < 0)
                return WEIR_STATUS_ERROR;
            s->have_row = 0;
            continue;
        }
        int rc = csv_reader_next(s->reader, &s->row);
        if (rc == 0) /* blank lines at the end are dropped */
            return check_unchanged(s) < 0 ? WEIR_STATUS_ERROR : WEIR_STATUS_END;
        if (rc < 0) {
            /* A file rewritten under us is the likelier cause of a cut
             * short one: say so when it is. */
            if (check_unchanged(s) == 0)
                log_read_failure(s, s->reader);
            return WEIR_STATUS_ERROR;
        }
        if (s->row.blank) {
            /* Held back until a row follows: trailing ones are ignored. */
            if (s->blank_count++ == 0)
                s->blank_line = s->row.line;
            continue;
        }
        if (s->expected == 0) {
            s->expected = s->row.count;
            if (ensure_generated_names(s, s->expected) < 0) {
                log_oom(s);
                return WEIR_STATUS_ERROR;
            }
        }
        if (s->row.no_eol && s->row.count < s->expected) {
            /* The writer died inside the last row: the rows it had yet
             * to write are missing too, so this is no malformed row but
             * a data set that is not whole. */
            if (check_unchanged(s) == 0)
                h->log(s->inst, WEIR_LOG_ERROR,
                       "%s: line %ld: the last row has %zu of %zu fields and "
                       "no line break: the file looks cut short",
                       s->path, s->row.line, s->row.count, s->expected);
            return WEIR_STATUS_ERROR;
        }
        s->have_row = 1;
    }
    return WEIR_STATUS_OK;
}

/* ---- sink ------------------------------------------------------------- */

static const char *op_name(weir_op op)
{
    switch (op) {
    case WEIR_OP_INSERT:
        return "insert";
    case WEIR_OP_UPDATE:
        return "update";
    case WEIR_OP_DELETE:
        return "delete";
    case WEIR_OP_UPSERT:
        break;
    }
    return "upsert";
}

/* The operation column goes where the columns name it, else after them.
 * Done as soon as the columns are known, so that what append mode
 * compares with an existing header is what the first run wrote.  0, or
 * -1 out of memory. */
static int place_operation_column(csv_state *s)
{
    if (!s->opcol)
        return 0;
    long i = find_name(s->names, s->nnames, s->opcol);
    if (i < 0) {
        if (push_name(s, s->opcol, strlen(s->opcol)) < 0)
            return -1;
        i = (long)s->nnames - 1;
    }
    s->opcol_index = (size_t)i;
    return 0;
}

/* Columns are known: place the operation column and size the row. */
static int columns_ready(csv_state *s)
{
    if (place_operation_column(s) < 0)
        return -1;
    s->values = calloc(s->nnames, sizeof *s->values);
    if (!s->values)
        return -1;
    s->columns_known = 1;
    return 0;
}

/* Write mode: name the temporary file, open it, keep the target's mode. */
static int open_for_replace(csv_state *s)
{
    size_t len = strlen(s->path);
    s->tmp_path = malloc(len + sizeof ".tmp");
    if (!s->tmp_path) {
        log_oom(s);
        return -1;
    }
    memcpy(s->tmp_path, s->path, len);
    memcpy(s->tmp_path + len, ".tmp", sizeof ".tmp");
    s->fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (s->fd < 0) {
        s->host->log(s->inst, WEIR_LOG_ERROR, "cannot create %s: %s",
                     s->tmp_path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(s->path, &st) == 0)
        (void)fchmod(s->fd, st.st_mode & 07777); /* best effort */
    return 0;
}

/* Append mode: open the target; an existing header fixes the columns.
 * *offset receives the file's size. */
static int open_for_append(csv_state *s, long long *offset)
{
    const weir_host *h = s->host;
    s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (s->fd < 0) {
        h->log(s->inst, WEIR_LOG_ERROR, "cannot open %s: %s", s->path,
               strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        h->log(s->inst, WEIR_LOG_ERROR, "cannot stat %s: %s", s->path,
               strerror(errno));
        return -1;
    }
    *offset = (long long)st.st_size;
    if (st.st_size == 0)
        return 0;
    s->header_done = 1; /* a non-empty file keeps its own header */
    if (s->header) {
        int rfd = open(s->path, O_RDONLY | O_CLOEXEC);
        if (rfd < 0) {
            h->log(s->inst, WEIR_LOG_ERROR, "cannot read %s: %s", s->path,
                   strerror(errno));
            return -1;
        }
        csv_reader *r = csv_reader_new(rfd, s->delim, s->quote, 0, 0);
        char **option_names = s->names;
        size_t from_option = s->nnames;
        s->names = NULL;
        s->nnames = 0;
        int rc = r ? read_header(s, r, s->path) : -1;
        if (!r)
            log_oom(s);
        else if (rc < 0 && csv_reader_failure(r) != CSV_FAIL_NONE)
            log_read_failure(s, r); /* read_header logs the rest */
        csv_reader_free(r);
        close(rfd);
        int same = rc > 0 && (from_option == 0 || from_option == s->nnames);
        for (size_t i = 0; same && i < from_option; i++)
            same = strcmp(option_names[i], s->names[i]) == 0;
        char want[256], have[256];
        if (rc > 0 && !same) {
            join_names(option_names, from_option, want, sizeof want);
            join_names(s->names, s->nnames, have, sizeof have);
        }
        for (size_t i = 0; i < from_option; i++)
            free(option_names[i]);
        free(option_names);
        if (rc < 0)
            return -1;
        if (!same) {
            h->log(s->inst, WEIR_LOG_ERROR,
                   "%s: option columns differs from the file's header: "
                   "columns (%s) but the header has (%s)",
                   s->path, want, have);
            return -1;
        }
        if (s->opcol && find_name(s->names, s->nnames, s->opcol) < 0) {
            h->log(s->inst, WEIR_LOG_ERROR,
                   "%s: operation-column '%s' is not in the file's header",
                   s->path, s->opcol);
            return -1;
        }
    }
    char last;
    if (pread(s->fd, &last, 1, st.st_size - 1) == 1 && last != '\n' &&
        last != '\r') {
        /* An earlier writer was cut short: end its row so ours start on a
         * line of their own (the cut row stays malformed, not ours). */
        h->log(s->inst, WEIR_LOG_WARNING,
               "%s does not end with a line break; adding one", s->path);
        if (write(s->fd, "\n", 1) != 1) {
            h->log(s->inst, WEIR_LOG_ERROR, "cannot write %s: %s", s->path,
                   strerror(errno));
            return -1;
        }
        (*offset)++;
    }
    return 0;
}

static int sink_open(csv_state *s)
{
    const weir_host *h = s->host;
    const char *mode = h->option(s->inst, "mode");
    if (mode && strcmp(mode, "append") == 0) {
        s->append = 1;
    } else if (mode && strcmp(mode, "write") != 0) {
        h->log(s->inst, WEIR_LOG_ERROR,
               "option mode must be write or append, not '%s'", mode);
        return -1;
    }
    int crlf = 0;
    const char *eol = h->option(s->inst, "line-ending");
    if (eol && strcmp(eol, "crlf") == 0) {
        crlf = 1;
    } else if (eol && strcmp(eol, "lf") != 0) {
        h->log(s->inst, WEIR_LOG_ERROR,
               "option line-ending must be lf or crlf, not '%s'", eol);
        return -1;
    }
    s->opcol = h->option(s->inst, "operation-column");
    if (s->opcol && !*s->opcol)
        s->opcol = NULL;
    if (load_columns_option(s) < 0)
        return -1;
    if (s->nnames && place_operation_column(s) < 0) {
        log_oom(s);
        return -1;
    }

    long long offset = 0;
    if (s->append ? open_for_append(s, &offset) < 0 : open_for_replace(s) < 0)
        return -1;
    if (s->nnames && columns_ready(s) < 0) {
        log_oom(s);
        return -1;
    }
    s->writer = csv_writer_new(s->fd, offset, s->delim, s->quote, crlf);
    if (!s->writer) {
        log_oom(s);
        return -1;
    }
    return 0;
}

/* Columns from the first record written: its field names, in order. */
static int columns_from_record(csv_state *s, const weir_record *r)
{
    const weir_host *h = s->host;
    size_t n = h->record_field_count(r);
    for (size_t i = 0; i < n; i++) {
        const char *name = h->record_field_name(r, i);
        if (push_name(s, name, strlen(name)) < 0)
            return -1;
    }
    return columns_ready(s);
}

static void write_header(csv_state *s)
{
    for (size_t i = 0; i < s->nnames; i++)
        csv_writer_field(s->writer, s->names[i], strlen(s->names[i]));
    csv_writer_end_row(s->writer);
    s->header_done = 1;
}

/* The column of field `name`, trying `guess` first: records usually list
 * their fields in column order, so this is one strcmp per field. */
static long column_of(const csv_state *s, const char *name, size_t guess)
{
    if (guess < s->nnames && strcmp(s->names[guess], name) == 0)
        return (long)guess;
    return find_name(s->names, s->nnames, name);
}

/* Write one record as a row.  1 written, 0 rejected, -1 out of memory. */
static int write_record(csv_state *s, weir_record *r)
{
    const weir_host *h = s->host;
    weir_op op = h->record_op(r);
    if (op == WEIR_OP_DELETE && !s->opcol) {
        const char *key = h->record_key(r);
        h->record_answerf(r, WEIR_RESULT_REJECT,
                          "cannot write delete of %s%s%s to %s: a CSV file has "
                          "no way to remove a row; set option "
                          "operation-column to record deletes",
                          key ? "key '" : "a record", key ? key : "",
                          key ? "'" : "", s->path);
        return 0;
    }
    if (!s->columns_known && columns_from_record(s, r) < 0)
        return -1;
    for (size_t c = 0; c < s->nnames; c++)
        s->values[c].data = NULL;
    size_t n = h->record_field_count(r);
    size_t guess = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = h->record_field_name(r, i);
        long c = column_of(s, name, guess);
        if (c < 0) {
            h->record_answerf(r, WEIR_RESULT_REJECT,
                              "field '%s' is not a column of %s", name,
                              s->path);
            return 0;
        }
        guess = (size_t)c + 1;
        csv_value *v = &s->values[c];
        v->data = h->record_field_value(r, i, &v->len);
    }
    if (s->opcol) { /* the operation wins over a field of that name */
        csv_value *v = &s->values[s->opcol_index];
        v->data = op_name(op);
        v->len = strlen(v->data);
    }
    if (s->header && !s->header_done)
        write_header(s);
    for (size_t c = 0; c < s->nnames; c++)
        csv_writer_field(s->writer, s->values[c].data, s->values[c].len);
    csv_writer_end_row(s->writer);
    return 1;
}

static weir_status sink_write(csv_state *s, weir_batch *b)
{
    const weir_host *h = s->host;
    size_t n = h->batch_count(b);
    if (n > s->wrote_cap) {
        unsigned char *w = realloc(s->wrote, n);
        if (!w) {
            log_oom(s);
            return WEIR_STATUS_ERROR;
        }
        s->wrote = w;
        s->wrote_cap = n;
    }
    long long mark = csv_writer_mark(s->writer);
    int header_was_done = s->header_done;
    unsigned long long rows = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = write_record(s, h->batch_at(b, i));
        if (rc < 0) {
            log_oom(s);
            csv_writer_rollback(s->writer, mark);
            s->header_done = header_was_done;
            return WEIR_STATUS_ERROR;
        }
        s->wrote[i] = (unsigned char)rc;
        rows += (unsigned)rc;
    }
    /* Every answer OK must mean "in the file": push before answering. */
    int err = csv_writer_push(s->writer) == 0 ? 0 : csv_writer_errno(s->writer);
    if (!err) {
        s->rows_unflushed += rows;
        s->rows_total += rows;
    } else {
        /* Nothing of this batch stays: cut the file back so a retry does
         * not write its rows twice, and let the core retry them. */
        if (csv_writer_rollback(s->writer, mark) < 0)
            h->log(s->inst, WEIR_LOG_ERROR,
                   "%s: cannot remove a partly written batch: %s",
                   s->append ? s->path : s->tmp_path, strerror(errno));
        s->header_done = header_was_done;
        h->log(s->inst, WEIR_LOG_WARNING, "cannot write %s: %s",
               s->append ? s->path : s->tmp_path, strerror(err));
    }
    for (size_t i = 0; i < n; i++) {
        weir_record *r = h->batch_at(b, i);
        if (!s->wrote[i])
            continue; /* answered REJECT by write_record() */
        if (err)
            h->record_answerf(r, WEIR_RESULT_RETRY, "cannot write %s: %s",
                              s->path, strerror(err));
        else
            h->record_answer(r, WEIR_RESULT_OK, NULL, NULL);
    }
    return WEIR_STATUS_OK;
}

/* fsync the folder holding `path`, so a rename survives a crash. */
static void sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? dup_bytes(path, slash == path ? 1 : (size_t)(slash - path))
                      : dup_bytes(".", 1);
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* some file systems refuse; the rename stands */
        close(fd);
    }
    free(dir);
}

static weir_status sink_flush(csv_state *s)
{
    const weir_host *h = s->host;
    const char *file = s->append || s->replaced ? s->path : s->tmp_path;
    if (csv_writer_push(s->writer) < 0 || fsync(s->fd) < 0) {
        int err = csv_writer_errno(s->writer) ? csv_writer_errno(s->writer)
                                              : errno;
        h->log(s->inst, WEIR_LOG_ERROR, "cannot flush %s: %s", file,
               strerror(err));
        return WEIR_STATUS_ERROR;
    }
    s->rows_unflushed = 0;
    return WEIR_STATUS_OK;
}

/* The run completed: write mode now replaces the target, and only when
 * this run wrote rows (a drain with nothing to deliver must not empty
 * the file). */
static weir_status sink_finish(csv_state *s)
{
    const weir_host *h = s->host;
    if (s->append || s->replaced || s->rows_total == 0)
        return WEIR_STATUS_OK;
    if (sink_flush(s) != WEIR_STATUS_OK)
        return WEIR_STATUS_ERROR;
    if (rename(s->tmp_path, s->path) < 0) {
        h->log(s->inst, WEIR_LOG_ERROR, "cannot rename %s to %s: %s",
               s->tmp_path, s->path, strerror(errno));
        return WEIR_STATUS_ERROR;
    }
    s->replaced = 1;
    sync_parent(s->path);
    return WEIR_STATUS_OK;
}

/* ---- plugin callbacks ------------------------------------------------- */

static void csv_close(void *state)
{
    csv_state *s = state;
    if (!s)
        return;
    if (s->tmp_path && !s->replaced) {
        /* Never flushed: the run did not finish, the target stays. */
        if (s->rows_total > 0)
            s->host->log(s->inst, WEIR_LOG_WARNING,
                         "%s left unchanged: %llu rows were not flushed",
                         s->path, s->rows_total);
        if (s->fd >= 0)
            unlink(s->tmp_path);
    }
    csv_writer_free(s->writer);
    csv_reader_free(s->reader);
    if (s->fd >= 0)
        close(s->fd);
    free_names(s);
    free(s->batch_names);
    free(s->row_values);
    free(s->row_lens);
    free(s->tmp_path);
    free(s->values);
    free(s->wrote);
    free(s);
}

static weir_status csv_open(weir_instance *inst, const weir_host *host,
                            weir_kind kind, void **state)
{
    csv_state *s = calloc(1, sizeof *s);
    if (!s) {
        host->log(inst, WEIR_LOG_ERROR, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    s->host = host;
    s->inst = inst;
    s->kind = kind;
    s->fd = -1;
    s->delim = ',';
    s->quote = '"';
    s->header = 1;
    s->path = host->option(inst, "path");
    int rc = -1;
    if (!s->path) {
        host->log(inst, WEIR_LOG_ERROR, "option path is required");
    } else if (option_char(s, "delimiter", &s->delim) == 0 &&
               option_char(s, "quote", &s->quote) == 0) {
        if (s->delim == s->quote || s->delim == '\r' || s->delim == '\n' ||
            s->quote == '\r' || s->quote == '\n')
            host->log(inst, WEIR_LOG_ERROR,
                      "delimiter and quote must differ and not be line breaks");
        else {
            (void)host->option_bool(inst, "header", &s->header);
            rc = kind == WEIR_KIND_SINK ? sink_open(s) : source_open(s);
        }
    }
    if (rc < 0) {
        csv_close(s);
        return WEIR_STATUS_ERROR;
    }
    *state = s;
    return WEIR_STATUS_OK;
}

static weir_status csv_read(void *state, weir_batch *batch)
{
    csv_state *s = state;
    return source_read(s, batch);
}

static weir_status csv_write(void *state, weir_batch *batch)
{
    csv_state *s = state;
    return sink_write(s, batch);
}

static weir_status csv_finish(void *state)
{
    csv_state *s = state;
    return s->kind == WEIR_KIND_SINK ? sink_finish(s) : WEIR_STATUS_OK;
}

static weir_status csv_flush(void *state)
{
    csv_state *s = state;
    return s->kind == WEIR_KIND_SINK ? sink_flush(s) : WEIR_STATUS_OK;
}

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_SOURCE | WEIR_KIND_SINK,
    /* reading changes nothing outside the instance, uses no state */
    .flags = WEIR_PLUGIN_READ_BESIDE,
    .name = "csv",
    .version = CSV_PLUGIN_VERSION,
    .description = "RFC 4180 CSV files: rows in, rows out",
    .options = csv_options,
    .open = csv_open,
    .read = csv_read,
    .write = csv_write,
    .flush = csv_flush,
    .finish = csv_finish,
    .close = csv_close,
};
