/* atomic_file's registry of open temporaries: filled from several threads at
 * once, emptied by wp_atomic_remove_temporaries (what the CLI's signal
 * handler calls), and an error, not silence, when full. */
#include <pthread.h>
#include <stdio.h>

#include "testutil.h"
#include "wattprof/atomic_file.h"

#define THREADS 4
#define PER_THREAD 24

typedef struct {
    const char *dir;
    int id;
    wp_atomic_file *af[PER_THREAD];
    int failed;
} worker;

static void *open_many(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char path[1024]; /* not test_path: its buffers are shared, threads are not */
        snprintf(path, sizeof path, "%s/out-%d-%d.txt", w->dir, w->id, i);
        wp_error err;
        w->af[i] = wp_atomic_open(path, &err);
        if (!w->af[i])
            w->failed++;
        else
            fputs("partial", wp_atomic_stream(w->af[i]));
    }
    return NULL;
}

static void test_threads(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", test_path(test_tmpdir(), "threads"));
    wp_error err;
    CHECK_INT(wp_mkdirs(dir, &err), 0);
    worker w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.dir = dir, .id = i};
        CHECK_INT(pthread_create(&t[i], NULL, open_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(w[i].failed, 0);
    }
    CHECK_INT(test_count_entries(dir, ".out-"), THREADS * PER_THREAD);
    /* Every writer of every thread was registered: none is left behind. */
    wp_atomic_remove_temporaries();
    CHECK_INT(test_count_entries(dir, ".out-"), 0);
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < PER_THREAD; k++)
            if (w[i].af[k])
                CHECK_INT(wp_atomic_commit(w[i].af[k], &err), -1); /* its temporary is gone */
    CHECK_INT(test_count_entries(dir, "out-"), 0);
}

static void test_full(void)
{
    char dir[1024], one_more[1100];
    snprintf(dir, sizeof dir, "%s", test_path(test_tmpdir(), "full"));
    snprintf(one_more, sizeof one_more, "%s/one-more", dir);
    wp_error err;
    CHECK_INT(wp_mkdirs(dir, &err), 0);
    static wp_atomic_file *af[WP_ATOMIC_MAX_OPEN];
    int opened = 0;
    for (int i = 0; i < WP_ATOMIC_MAX_OPEN; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d", i);
        af[i] = wp_atomic_open(test_path(dir, name), &err);
        opened += af[i] != NULL;
    }
    CHECK_INT(opened, WP_ATOMIC_MAX_OPEN);
    CHECK(wp_atomic_open(one_more, &err) == NULL);
    CHECK_CONTAINS(err.msg, "one-more: more than 256 outputs open at once");
    CHECK_INT(err.code, WP_ERR_UNSUPPORTED);
    CHECK_INT(test_count_entries(dir, ".one-more"), 0);
    /* A slot freed is a slot to use again. */
    wp_atomic_abort(af[7]);
    af[7] = wp_atomic_open(one_more, &err);
    CHECK(af[7] != NULL);
    for (int i = 0; i < WP_ATOMIC_MAX_OPEN; i++)
        wp_atomic_abort(af[i]);
    CHECK_INT(test_count_entries(dir, "."), 0);
}

int main(void)
{
    test_threads();
    test_full();
    return test_summary();
}
