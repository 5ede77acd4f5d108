/* serve_folder.c - the pipeline files of weir serve's folder
 * (serve_folder.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "base/log.h"
#include "serve/serve_folder.h"

static int is_pipeline_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 4 &&
           strcmp(e->d_name + n - 4, ".xml") == 0;
}

static int same_file(const weir_served *a, const struct stat *sb)
{
    return a->dev == sb->st_dev && a->ino == sb->st_ino &&
           a->size == sb->st_size &&
           a->mtime.tv_sec == sb->st_mtim.tv_sec &&
           a->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

static weir_served *find(weir_served *v, size_t n, const char *file)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].file, file) == 0)
            return &v[i];
    return NULL;
}

/* Load `e->file`; on problems, log them and keep what `e` served. */
static void load(weir_serve_folder *f, weir_served *e)
{
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = d ? weir_pipeline_load(e->file, f->reg, d) : NULL;
    if (p && d && weir_diag_count(d) == 0) {
        weir_pipeline_unref(e->p);
        e->p = p;
        e->next_run = 0;
        weir_log(WEIR_LOG_INFO, "%s: serving pipeline '%s'", e->file, p->name);
        weir_diag_free(d);
        return;
    }
    for (size_t i = 0; d && weir_diag_at(d, i); i++)
        weir_log(WEIR_LOG_ERROR, "%s", weir_diag_at(d, i));
    if (e->p)
        weir_log(WEIR_LOG_ERROR, "%s has problems; pipeline '%s' goes on as "
                 "it was loaded before", e->file, e->p->name);
    else
        weir_log(WEIR_LOG_ERROR, "%s is not a valid pipeline; it is skipped "
                 "until it is fixed (then send SIGHUP)", e->file);
    weir_pipeline_unref(p);
    weir_diag_free(d);
}

/* The later of two files naming one pipeline is not served. */
static void refuse_twins(weir_served *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; v[i].p && j < i; j++)
            if (v[j].p && strcmp(v[i].p->name, v[j].p->name) == 0) {
                weir_log(WEIR_LOG_ERROR, "%s: pipeline '%s' is already "
                         "served from %s; this file is skipped (a pipeline's "
                         "name identifies its state)", v[i].file,
                         v[i].p->name, v[j].file);
                weir_pipeline_unref(v[i].p);
                v[i].p = NULL;
                v[i].twin = 1;
            }
}

static void drop(weir_served *e)
{
    weir_pipeline_unref(e->p);
    free(e->file);
}

int weir_serve_folder_scan(weir_serve_folder *f,
                           weir_serve_folder_changed changed, void *ctx)
{
    struct dirent **names = NULL;
    int n = scandir(f->dir, &names, is_pipeline_file, alphasort);
    if (n < 0) {
        weir_log(WEIR_LOG_ERROR, "cannot read the pipeline folder %s: %s",
                 f->dir, strerror(errno));
        return -1;
    }
    weir_served *next = calloc((size_t)n + 1, sizeof(*next));
    size_t m = 0;
    for (int i = 0; i < n; i++) {
        char *file = NULL;
        struct stat sb;
        if (next && asprintf(&file, "%s/%s", f->dir, names[i]->d_name) >= 0 &&
            stat(file, &sb) == 0 && S_ISREG(sb.st_mode)) {
            weir_served *old = find(f->v, f->n, file);
            weir_served *e = &next[m++];
            e->file = file;
            file = NULL;
            if (old) { /* it takes over the old entry's pipeline */
                e->p = old->p ? weir_pipeline_ref(old->p) : NULL;
                e->next_run = old->next_run;
            }
            /* a twin is read again: the file it clashed with may be gone */
            if (!old || old->twin || !same_file(old, &sb))
                load(f, e);
            e->dev = sb.st_dev;
            e->ino = sb.st_ino;
            e->size = sb.st_size;
            e->mtime = sb.st_mtim;
        }
        free(file);
        free(names[i]);
    }
    free(names);
    if (!next) {
        weir_log(WEIR_LOG_ERROR, "out of memory reading %s", f->dir);
        return -1;
    }
    refuse_twins(next, m);
    for (size_t i = 0; i < f->n; i++) {
        weir_served *now = find(next, m, f->v[i].file);
        weir_pipeline *after = now ? now->p : NULL;
        if (f->v[i].p != after)
            changed(f->v[i].p, after, ctx);
        if (!now && f->v[i].p)
            weir_log(WEIR_LOG_INFO, "%s is gone: pipeline '%s' is no longer "
                     "served", f->v[i].file, f->v[i].p->name);
    }
    for (size_t i = 0; i < m; i++)
        if (next[i].p && !find(f->v, f->n, next[i].file))
            changed(NULL, next[i].p, ctx);
    weir_serve_folder_clear(f);
    f->v = next;
    f->n = m;
    return 0;
}

void weir_serve_folder_clear(weir_serve_folder *f)
{
    for (size_t i = 0; i < f->n; i++)
        drop(&f->v[i]);
    free(f->v);
    f->v = NULL;
    f->n = 0;
}
