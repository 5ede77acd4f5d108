/*
 * xref_suggest - the matcher of `weir xref suggest` (core/match/) on the
 * known-answer set of gen_xref: time, precision and recall of the top
 * suggestion, peak RSS.  Built and run by bench/xref_suggest.sh.
 *
 *   xref_suggest DIR [THRESHOLD]
 *
 * DIR holds erp.csv, app.csv and answers.csv.  A query's top suggestion
 * is right when it is the answer; for a query with no answer, having no
 * suggestion is right.  precision = right suggestions / suggestions,
 * recall = right top suggestions / queries with an answer.  Wrong
 * suggestions are printed (at most 20) to standard error.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "match/match.h"

#define MAXF 8

/* One CSV line split into fields (RFC 4180 quoting, no newline inside). */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        char *w = p, *start = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"' || !*p) {
                    p += *p == '"';
                    break;
                } else {
                    *w++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',')
                *w++ = *p++;
        }
        f[n++] = start;
        int more = *p == ',';
        *w = '\0';
        if (!more)
            break;
        p++;
    }
    return n;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "xref_suggest: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

int main(int argc, char **argv)
{
    static const weir_match_kind kinds[] = {
        WEIR_MATCH_PHONE, WEIR_MATCH_EMAIL, WEIR_MATCH_POSTCODE};
    char line[1024], ans[256];
    char *f[MAXF];
    weir_match_options o;
    weir_match_hit hits[3];
    long queries = 0, answered = 0, suggested = 0, right = 0, silent = 0;
    int shown = 0;

    if (argc < 2) {
        fputs("usage: xref_suggest DIR [THRESHOLD]\n", stderr);
        return 2;
    }
    weir_match_options_init(&o);
    if (argc > 2)
        o.threshold = strtod(argv[2], NULL);

    double t0 = now();
    weir_match_index *idx = weir_match_index_new(kinds, 3);
    FILE *erp = open_in(argv[1], "erp.csv");
    if (!idx || !fgets(line, sizeof line, erp))
        return 1;
    while (fgets(line, sizeof line, erp)) {
        weir_match_entry e = {0};
        if (split_csv(line, f, MAXF) < 5)
            continue;
        e.name = f[1];
        e.fields[0] = f[2], e.fields[1] = f[3], e.fields[2] = f[4];
        if (weir_match_index_add(idx, f[0], &e) < 0)
            return 1;
    }
    fclose(erp);
    if (weir_match_index_build(idx) != 0)
        return 1;
    double t1 = now();

    weir_match_scratch *s = weir_match_scratch_new(idx);
    FILE *app = open_in(argv[1], "app.csv");
    FILE *key = open_in(argv[1], "answers.csv");
    if (!s || !fgets(line, sizeof line, app) || !fgets(ans, sizeof ans, key))
        return 1;
    while (fgets(line, sizeof line, app) && fgets(ans, sizeof ans, key)) {
        weir_match_entry q = {0};
        char *a[2];
        if (split_csv(line, f, MAXF) < 5 || split_csv(ans, a, 2) < 2)
            continue;
        q.name = f[1];
        q.fields[0] = f[2], q.fields[1] = f[3], q.fields[2] = f[4];
        int n = weir_match_index_query(idx, s, &q, &o, hits);
        if (n < 0)
            return 1;
        queries++;
        answered += a[1][0] != '\0';
        const char *top = n ? weir_match_index_id(idx, hits[0].candidate) : "";
        int ok = strcmp(top, a[1]) == 0;
        suggested += n > 0;
        right += n > 0 && ok;
        silent += n == 0 && ok;
        if (!ok && shown++ < 20)
            fprintf(stderr, "wrong: %s \"%s\" -> %s %.3f \"%s\" (answer %s)\n",
                    f[0], f[1], n ? top : "-", n ? hits[0].score : 0.0,
                    n ? weir_match_index_name(idx, hits[0].candidate) : "",
                    a[1][0] ? a[1] : "none");
    }
    fclose(app);
    fclose(key);
    double t2 = now();

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("candidates %zu, queries %ld (%ld with a counterpart), "
           "threshold %.2f\n",
           weir_match_index_size(idx), queries, answered, o.threshold);
    printf("index %.2f s, queries %.2f s, total %.2f s, peak RSS %ld MB\n",
           t1 - t0, t2 - t1, t2 - t0, ru.ru_maxrss / 1024);
    printf("precision %.4f (%ld right of %ld suggestions), "
           "recall %.4f, no-counterpart queries silent %ld of %ld\n",
           suggested ? (double)right / (double)suggested : 1.0, right,
           suggested, answered ? (double)right / (double)answered : 1.0,
           silent, queries - answered);
    weir_match_scratch_free(s);
    weir_match_index_free(idx);
    return 0;
}
