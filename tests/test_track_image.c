/*
 * End-to-end: the key index image (engine/track.c, operations.md).  The
 * image is a cache of the snapshot rows: used only while the snapshot's
 * generation is the one it was made at, and never when it is damaged,
 * cut short or stale.  Each test sets up an image that, if it were
 * trusted, would make the run send something the rows say is unchanged.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

#define V1 "code,name\nA1,a\nA2,b\nA3,c\nA4,d\nA5,e\n"
#define V2 "code,name\nA1,a\nA2,B\nA3,c\nA4,d\nA5,e\n"

/* csv in.csv -> <track key="code"> -> testsink target.db, exporting
 * `csv`; weir.db the state */
static char *setup(const char *name, const char *csv)
{
    char *d = e2e_scratch(name);
    free(wt_write_file(d, "p.xml",
                       "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"img\">\n"
                       "  <source plugin=\"csv\" name=\"erp\">\n"
                       "    <option name=\"path\">in.csv</option>\n"
                       "  </source>\n"
                       "  <track key=\"code\"/>\n"
                       "  <sink plugin=\"testsink\" name=\"app\">\n"
                       "    <option name=\"database\">target.db</option>\n"
                       "  </sink>\n"
                       "</pipeline>\n"));
    free(wt_write_file(d, "in.csv", csv));
    return d;
}

static void export(const char *dir, const char *csv)
{
    free(wt_write_file(dir, "in.csv", csv));
}

/* weir -v run against the state `state`; stdout and stderr. (owned) */
static char *run(const char *dir, const char *state)
{
    const char *args[] = {"-v", "run", "p.xml", "--plugin-path", PLUGINS,
                          "--state", state, NULL};
    return e2e_expectv(dir, 0, args);
}

static char *image(const char *dir, const char *state)
{
    char *p = malloc(4200);
    snprintf(p, 4200, "%s/%s-index-img", dir, state);
    return p;
}

static long file_size(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? (long)s.st_size : -1;
}

/* The first run writes the image (private like the state), the next
 * reads it, and a change goes as it would without it. */
static void test_image_used(void)
{
    char *d = setup("image-used", V1);
    free(run(d, "weir.db"));
    char *img = image(d, "weir.db");
    struct stat s;
    CU_ASSERT_EQUAL_FATAL(stat(img, &s), 0);
    CU_ASSERT_EQUAL(s.st_mode & 0777, 0600);
    export(d, V2);
    char *out = run(d, "weir.db");
    CU_ASSERT(e2e_contains(out, "key index read from"));
    CU_ASSERT(e2e_contains(out, "5 read, 1 written"));
    free(out);
    /* a run that changes nothing leaves the image as it is */
    CU_ASSERT_EQUAL_FATAL(stat(img, &s), 0);
    ino_t ino = s.st_ino;
    out = run(d, "weir.db");
    CU_ASSERT(e2e_contains(out, "key index read from"));
    CU_ASSERT(e2e_contains(out, "5 read, 0 written"));
    free(out);
    CU_ASSERT_EQUAL_FATAL(stat(img, &s), 0);
    CU_ASSERT_EQUAL(s.st_ino, ino);
    free(img);
    free(d);
}

/* Byte `at` of the image (from its end when negative) changed. */
static void damage(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, at, at < 0 ? SEEK_END : SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, at < 0 ? SEEK_END : SEEK_SET);
    fputc(c ^ 0x01, f);
    fclose(f);
}

/* A damaged image (a tracked-values hash changed, the checksum left as
 * it was; or the checksum changed) is read from the rows instead: if it
 * were trusted, A1 would be sent as changed. */
static void test_image_damaged(void)
{
    char *d = setup("image-damaged", V1);
    free(run(d, "weir.db"));
    char *img = image(d, "weir.db");
    /* header: 8 magic, 4 format, 4 + 3 name, 8 generation, 8 records */
    const long first_hash = 8 + 4 + 4 + 3 + 8 + 8;
    long at[] = {first_hash, -1};
    for (int i = 0; i < 2; i++) {
        damage(img, at[i]);
        char *out = run(d, "weir.db");
        CU_ASSERT(!strstr(out, "key index read from"));
        CU_ASSERT(e2e_contains(out, "5 read, 0 written"));
        free(out);
        /* the run wrote a good one again */
        out = run(d, "weir.db");
        CU_ASSERT(e2e_contains(out, "key index read from"));
        free(out);
    }
    free(img);
    free(d);
}

/* An image cut short is not read as far as it goes: the keys after the
 * cut would be new, and sent again. */
static void test_image_truncated(void)
{
    char *d = setup("image-truncated", V1);
    free(run(d, "weir.db"));
    char *img = image(d, "weir.db");
    long size = file_size(img);
    CU_ASSERT_FATAL(size > 60);
    long cuts[] = {size - 8, size / 2, 10, 0};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(truncate(img, cuts[i]), 0);
        char *out = run(d, "weir.db");
        CU_ASSERT(!strstr(out, "key index read from"));
        CU_ASSERT(e2e_contains(out, "5 read, 0 written"));
        CU_ASSERT(!strstr(out, "delete"));
        free(out);
        CU_ASSERT_EQUAL(file_size(img), size); /* written again */
    }
    free(img);
    free(d);
}

/* An image of an earlier generation is stale: the rows changed since. */
static void test_image_stale(void)
{
    char *d = setup("image-stale", V1);
    free(run(d, "weir.db"));
    char *img = image(d, "weir.db");
    char *old = wt_read_file(img);
    long size = file_size(img);
    export(d, V2);
    char *out = run(d, "weir.db");
    CU_ASSERT(e2e_contains(out, "5 read, 1 written"));
    free(out);
    /* the image of the first run back: A2 as it was before */
    FILE *f = fopen(img, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(old, 1, (size_t)size, f);
    fclose(f);
    out = run(d, "weir.db");
    CU_ASSERT(!strstr(out, "key index read from"));
    CU_ASSERT(e2e_contains(out, "5 read, 0 written"));
    free(out);
    free(old);
    free(img);
    free(d);
}

/* Another process that writes the snapshot without this image (here a
 * weir that reaches the same state by another name, so its image is
 * another file) makes this image stale. */
static void test_image_other_writer(void)
{
    char *d = setup("image-other-writer", V1);
    free(run(d, "weir.db"));
    char link[4200];
    snprintf(link, sizeof(link), "%s/other.db", d);
    CU_ASSERT_EQUAL_FATAL(symlink("weir.db", link), 0);
    export(d, V2);
    char *out = run(d, "other.db");
    CU_ASSERT(e2e_contains(out, "5 read, 1 written"));
    free(out);
    /* weir.db-index-img is still of the first run */
    out = run(d, "weir.db");
    CU_ASSERT(!strstr(out, "key index read from"));
    CU_ASSERT(e2e_contains(out, "5 read, 0 written"));
    free(out);
    free(d);
}

/* A dry run reads the image and leaves it as it is. */
static void test_image_dry_run(void)
{
    char *d = setup("image-dry-run", V1);
    free(run(d, "weir.db"));
    char *img = image(d, "weir.db");
    char *before = wt_read_file(img);
    export(d, V2);
    const char *args[] = {"-v", "run", "p.xml", "--plugin-path", PLUGINS,
                          "--dry-run", NULL};
    char *out = e2e_expectv(d, 0, args);
    CU_ASSERT(e2e_contains(out, "key index read from"));
    free(out);
    char *after = wt_read_file(img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(after);
    CU_ASSERT_EQUAL(memcmp(before, after, (size_t)file_size(img)), 0);
    free(before);
    free(after);
    free(img);
    free(d);
}

/* A weir killed while it saved the image leaves IMAGE.PID.tmp: the next
 * save removes it once that process is gone, and leaves a live one's
 * (and files merely named alike) alone. */
static void test_image_leftovers(void)
{
    char *d = setup("image-leftovers", V1);
    char *img = image(d, "weir.db");
    char dead[4300], live[4300], other[4300];
    snprintf(dead, sizeof(dead), "%s.999999999.tmp", img);
    snprintf(live, sizeof(live), "%s.%ld.tmp", img, (long)getpid());
    snprintf(other, sizeof(other), "%s.999999999.tmp.keep", img);
    FILE *f;
    CU_ASSERT_FATAL((f = fopen(dead, "w")) != NULL);
    fclose(f);
    CU_ASSERT_FATAL((f = fopen(live, "w")) != NULL);
    fclose(f);
    CU_ASSERT_FATAL((f = fopen(other, "w")) != NULL);
    fclose(f);
    free(run(d, "weir.db"));
    CU_ASSERT_EQUAL(file_size(img) > 0, 1);
    CU_ASSERT_EQUAL(access(dead, F_OK), -1);
    CU_ASSERT_EQUAL(access(live, F_OK), 0);
    CU_ASSERT_EQUAL(access(other, F_OK), 0);
    free(img);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("key index image", NULL, NULL);
    CU_add_test(s, "written, then read", test_image_used);
    CU_add_test(s, "damaged: read from the rows", test_image_damaged);
    CU_add_test(s, "cut short: read from the rows", test_image_truncated);
    CU_add_test(s, "stale: read from the rows", test_image_stale);
    CU_add_test(s, "another writer: read from the rows",
                test_image_other_writer);
    CU_add_test(s, "a dry run reads it, changes nothing", test_image_dry_run);
    CU_add_test(s, "what a killed save left is removed",
                test_image_leftovers);
}
