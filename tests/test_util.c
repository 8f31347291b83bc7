/* fsutil, nameindex, array: the plumbing shared by the result-tree walkers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/array.h"
#include "wattprof/fsutil.h"
#include "wattprof/nameindex.h"

static void test_path_join(void)
{
    char *p = wp_path_join("a/b", "c.csv");
    CHECK_STR(p, "a/b/c.csv");
    free(p);
    p = wp_path_join("a/b/", "c.csv"); /* no doubled slash */
    CHECK_STR(p, "a/b/c.csv");
    free(p);
    p = wp_path_join("", "c.csv");
    CHECK_STR(p, "c.csv");
    free(p);
    p = wp_path3("/r", "model", "trt_profiling");
    CHECK_STR(p, "/r/model/trt_profiling");
    free(p);
}

static int keep_with_csv(const char *dir, const char *name, void *ctx)
{
    char *p = wp_path3(dir, name, ctx);
    int ok = wp_is_file(p);
    free(p);
    return ok;
}

static void test_dir_list(void)
{
    const char *root = test_path(test_tmpdir(), "tree");
    char *r = strdup(root);
    test_write_file(test_path(r, "zeta/m.csv"), "x\n");
    test_write_file(test_path(r, "alpha/m.csv"), "x\n");
    test_write_file(test_path(r, "mid/other.txt"), "x\n");
    test_write_file(test_path(r, ".hidden/m.csv"), "x\n");
    test_write_file(test_path(r, "plain.txt"), "x\n");
    CHECK(wp_is_dir(r));
    CHECK(!wp_is_file(r));
    CHECK(wp_is_file(test_path(r, "plain.txt")));
    CHECK(!wp_is_dir(NULL) && !wp_is_file(NULL));

    char **names;
    size_t n;
    wp_error err;
    CHECK_INT(wp_dir_list(r, "tree", NULL, NULL, &names, &n, &err), 0);
    CHECK_INT(n, 4); /* alpha mid plain.txt zeta, sorted, .hidden left out */
    if (n == 4) {
        CHECK_STR(names[0], "alpha");
        CHECK_STR(names[1], "mid");
        CHECK_STR(names[2], "plain.txt");
        CHECK_STR(names[3], "zeta");
    }
    wp_names_free(names, n);
    CHECK_INT(wp_dir_list(r, "tree", keep_with_csv, "m.csv", &names, &n, &err), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(names[0], "alpha");
        CHECK_STR(names[1], "zeta");
    }
    wp_names_free(names, n);

    const char *missing = test_path(r, "missing");
    CHECK_INT(wp_dir_list(missing, "model folder", NULL, NULL, &names, &n, &err), -1);
    CHECK(names == NULL && n == 0);
    CHECK_CONTAINS(err.msg, "missing: cannot open model folder: ");
    free(r);
}

static const char *name_at(const void *v, size_t i)
{
    return ((char *const *)v)[i];
}

static void test_name_index(void)
{
    /* Enough names to grow the table several times. */
    enum { N = 1000 };
    char **names = calloc(N + 1, sizeof *names);
    wp_name_index ix = {0};
    CHECK_INT(wp_name_index_find(&ix, "layer_0", name_at, names), -1);
    for (size_t i = 0; i < N; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "layer_%zu", i);
        names[i] = strdup(buf);
        CHECK_INT(wp_name_index_add(&ix, names[i], i, name_at, names), 0);
    }
    CHECK(ix.cap >= 2 * N);
    int found = 0;
    for (size_t i = 0; i < N; i++)
        found += wp_name_index_find(&ix, names[i], name_at, names) == (long)i;
    CHECK_INT(found, N);
    CHECK_INT(wp_name_index_find(&ix, "layer_1000", name_at, names), -1);
    /* A repeated name: find keeps answering with the first. */
    names[N] = strdup("layer_7");
    CHECK_INT(wp_name_index_add(&ix, names[N], N, name_at, names), 0);
    CHECK_INT(wp_name_index_find(&ix, "layer_7", name_at, names), 7);
    CHECK(wp_hash_str("a") != wp_hash_str("b"));
    wp_name_index_free(&ix);
    CHECK(ix.slots == NULL && ix.cap == 0);
    for (size_t i = 0; i <= N; i++)
        free(names[i]);
    free(names);
}

static void test_grow(void)
{
    double *a = NULL;
    int *b = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 100; i++) {
        if (n == cap) {
            size_t nc = wp_next_cap(cap, 4);
            CHECK_INT(wp_grow_to(&a, nc, sizeof *a), 0);
            CHECK_INT(wp_grow_to(&b, nc, sizeof *b), 0);
            cap = nc;
        }
        a[n] = i * 0.5;
        b[n] = i;
        n++;
    }
    CHECK_INT(cap, 128);
    CHECK_NEAR(a[99], 49.5, 0);
    CHECK_INT(b[99], 99);
    /* An overflowing size fails and leaves the array as it was. */
    double *before = a;
    CHECK_INT(wp_grow_to(&a, (size_t)-1 / 4, sizeof *a), -1);
    CHECK(a == before);
    free(a);
    free(b);

    /* wp_grow: one array, grown only when full (4, 8, 16, ...). */
    char *c = NULL;
    size_t cn = 0, ccap = 0;
    for (int i = 0; i < 20; i++) {
        CHECK_INT(wp_grow(&c, &ccap, cn, 4, sizeof *c), 0);
        c[cn++] = (char)('a' + i);
    }
    CHECK_INT(ccap, 32);
    CHECK_INT(c[19], 't');
    char *kept = c;
    CHECK_INT(wp_grow(&c, &ccap, 5, 4, sizeof *c), 0); /* room already */
    CHECK(c == kept && ccap == 32);
    size_t huge = (size_t)-1 / 2 + 1; /* doubling it overflows */
    CHECK_INT(wp_grow(&c, &huge, huge, 4, sizeof *c), -1);
    CHECK(c == kept && huge == (size_t)-1 / 2 + 1);
    free(c);
}

int main(void)
{
    test_path_join();
    test_dir_list();
    test_name_index();
    test_grow();
    return test_summary();
}
