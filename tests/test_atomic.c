/* Nothing lost, nothing mixed: fault injection on the steps that write
 * results. A write failure injected at every point of a `map` re-run (as a
 * disk filling up), SIGKILL and SIGINT at random points of map runs in a
 * loop, concurrent runs on one output, and `log` on a directory, a full
 * disk and under valgrind. The guarantee checked: a result folder set is
 * either the earlier run's or the new run's, whole, and nothing of a
 * failed or killed run stays behind (after the next run's start). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/core/atomic_testhook.h" /* also wp__resultset_test_die_after */
#include "fake_sysfs.h"
#include "signals.h"
#include "testutil.h"
#include "wattprof/atomic_file.h"
#include "wattprof/dataset.h"
#include "wattprof/lockfile.h"
#include "wattprof/logger.h"
#include "wattprof/mapper.h"
#include "wattprof/resultset.h"

static const char *ENGINE = "{\"Layers\": [\n"
                            "  {\"Name\": \"conv0\", \"LayerType\": \"CaskConvolution\"},\n"
                            "  {\"Name\": \"fc0\", \"LayerType\": \"CaskGemmConvolution\"}\n"
                            "]}\n";

#define N_MODELS 3
static const char *const MODELS[N_MODELS] = {"m1", "m2", "m3"};

/* A raw folder of three models; `version` changes every power value, so
 * the results of two versions differ in every model. */
static char *make_raw(const char *name, int version, int cycles)
{
    char *root = strdup(test_path(test_tmpdir(), name));
    test_write_file(test_path(root, "idling_power.json"), "{\"avg_idle_power\": 5000000.0}");
    int samples = cycles * 4 + 1010; /* the run starts 1 s into the log */
    size_t cap = (size_t)samples * 48 + (size_t)cycles * 100 + 4096;
    char *log = malloc(cap), *lat = malloc(cap);
    for (int m = 0; m < N_MODELS; m++) {
        size_t n = 0;
        for (int i = 0; i < samples; i++)
            n += (size_t)snprintf(log + n, cap - n, "20241121-00:%02d:%02d.%03d,5000.0,%d.0\n", 1 + i / 60000,
                                  i / 1000 % 60, i % 1000, 1000 + (i * 7 + version * 13 + m) % 300);
        n = (size_t)snprintf(lat, cap, "{\"conv0\": [");
        for (int c = 0; c < cycles; c++) {
            long us = 1000000 + c * 4000L + 2500;
            n += (size_t)snprintf(lat + n, cap - n, "%s[1.5, \"20241121-00:%02ld:%02ld.%06ld\"]", c ? ", " : "",
                                  1 + us / 60000000, us / 1000000 % 60, us % 1000000);
        }
        n += (size_t)snprintf(lat + n, cap - n, "],\n\"fc0\": [");
        for (int c = 0; c < cycles; c++) {
            long us = 1000000 + c * 4000L + 3900;
            n += (size_t)snprintf(lat + n, cap - n, "%s[0.3, \"20241121-00:%02ld:%02ld.%06ld\"]", c ? ", " : "",
                                  1 + us / 60000000, us / 1000000 % 60, us % 1000000);
        }
        snprintf(lat + n, cap - n, "]}");
        char rel[256];
        snprintf(rel, sizeof rel, "%s/%s_power_log.log", MODELS[m], MODELS[m]);
        test_write_file(test_path(root, rel), log);
        snprintf(rel, sizeof rel, "%s/trt_profiling/trt_layer_latency.json", MODELS[m]);
        test_write_file(test_path(root, rel), lat);
        snprintf(rel, sizeof rel, "%s/trt_profiling/trt_engine_info.json", MODELS[m]);
        test_write_file(test_path(root, rel), ENGINE);
    }
    free(log);
    free(lat);
    return root;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry under dir (hidden ones included), sorted, with the contents
 * of files: equal snapshots mean equal trees. */
static void snap_into(const char *dir, const char *rel, char **out, size_t *len, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096], sub[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
        struct stat st;
        lstat(path, &st);
        char *text = S_ISREG(st.st_mode) ? test_read_file(path) : NULL;
        size_t need = strlen(sub) + (text ? strlen(text) : 0) + 16;
        if (*len + need >= *cap) {
            *cap = (*len + need) * 2;
            *out = realloc(*out, *cap);
        }
        *len += (size_t)sprintf(*out + *len, "%s%s\n%s\n", sub, S_ISDIR(st.st_mode) ? "/" : "", text ? text : "");
        free(text);
        if (S_ISDIR(st.st_mode))
            snap_into(path, sub, out, len, cap);
        free(names[i]);
    }
}

static char *snapshot(const char *dir)
{
    size_t len = 0, cap = 1024;
    char *out = malloc(cap);
    out[0] = '\0';
    snap_into(dir, "", &out, &len, &cap);
    return out;
}

static int map_quiet(const char *raw, const char *res, wp_error *err)
{
    wp_map_options opt;
    wp_map_options_init(&opt);
    int rc = wp_map_raw_dir(raw, res, &opt, NULL, err);
    if (rc != 0 && getenv("WATTPROF_TEST_VERBOSE"))
        fprintf(stderr, "map %s: %s\n", raw, err->msg);
    return rc;
}

/* Snapshots of each model folder of a result dir mapped from raw. */
static void model_snaps(const char *res, char *snaps[N_MODELS])
{
    for (int m = 0; m < N_MODELS; m++)
        snaps[m] = snapshot(test_path(res, MODELS[m]));
}

/* Items 2, 3 and 15: a map re-run whose writes fail at any point (a disk
 * filling up, injected) fails with "No space left on device" and leaves the
 * earlier results exactly as they were, temporaries included; once there is
 * room it replaces them whole. Files another step put in a model folder
 * survive the replacement. */
static void test_map_disk_full_keeps_results(void)
{
    char *raw_a = make_raw("raw_full_a", 0, 300), *raw_b = make_raw("raw_full_b", 1, 300);
    char *res = strdup(test_path(test_tmpdir(), "res_full"));
    char *scratch = strdup(test_path(test_tmpdir(), "res_full_b"));
    wp_error err;
    CHECK_INT(map_quiet(raw_b, scratch, &err), 0);
    char *want_b[N_MODELS];
    model_snaps(scratch, want_b);
    long long total = 0;
    for (int m = 0; m < N_MODELS; m++)
        total += (long long)strlen(want_b[m]);

    CHECK_INT(map_quiet(raw_a, res, &err), 0);
    /* dataset's statistics live in the model folders too */
    test_write_file(test_path(res, "m2/m2_average_power_stats.csv"), "kept\n");
    char *before = snapshot(res);
    CHECK(strstr(before, "m1/power_runtime_mapping_layerwise.csv") != NULL);
    int failures = 0, enospc = 0;
    for (long long budget = 0; budget <= total + 4096; budget += total / 30 + 1) {
        wp__atomic_test_fail_writes_after(budget);
        int rc = map_quiet(raw_b, res, &err);
        wp__atomic_test_fail_writes_after(-1);
        if (rc == 0)
            break;
        failures++;
        enospc += strstr(err.msg, "No space left on device") != NULL;
        char *now = snapshot(res);
        CHECK(strcmp(now, before) == 0);
        if (strcmp(now, before) != 0)
            fprintf(stderr, "budget %lld: %s\n--- was ---\n%s\n", budget, now, before);
        free(now);
    }
    CHECK(failures >= 15);
    CHECK_INT(enospc, failures);
    /* room again: the new set, whole, and the foreign file kept */
    CHECK_INT(map_quiet(raw_b, res, &err), 0);
    for (int m = 0; m < N_MODELS; m++) {
        char *got = snapshot(test_path(res, MODELS[m]));
        if (m == 1) {
            CHECK_CONTAINS(got, "m2_average_power_stats.csv\nkept\n");
        } else {
            CHECK_STR(got, want_b[m]);
        }
        free(got);
        free(want_b[m]);
    }
    CHECK_INT(test_count_entries(res, "."), 0);
    free(before);
    free(raw_a);
    free(raw_b);
    free(res);
    free(scratch);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Item 3: SIGKILL or SIGINT at a random point of map runs that alternate
 * between two inputs. Right after each kill every model folder is one
 * run's, whole (no CSV of one run beside the info of another), and no
 * empty or partial folder is visible; after the next run's start (which
 * finishes an interrupted switch and removes staging folders) all three
 * are of one run and nothing hidden is left. */

static void test_map_killed_anywhere(void)
{
    char *raw[2] = {make_raw("raw_kill_a", 0, 1000), make_raw("raw_kill_b", 1, 1000)};
    char *want[2][N_MODELS];
    for (int v = 0; v < 2; v++) {
        char name[32];
        snprintf(name, sizeof name, "res_kill_ref%d", v);
        const char *ref = test_path(test_tmpdir(), name);
        wp_error err;
        CHECK_INT(map_quiet(raw[v], ref, &err), 0);
        model_snaps(ref, want[v]);
    }
    char *res = strdup(test_path(test_tmpdir(), "res_kill"));
    wp_error err;
    double t0 = now_s();
    CHECK_INT(map_quiet(raw[0], res, &err), 0);
    double run_s = now_s() - t0; /* only to aim the kills, not asserted */
    srand((unsigned)getpid());
    int mixed_before_recovery = 0, killed_mid = 0;
    for (int it = 0; it < 32; it++) {
        int sig = it % 2 ? SIGKILL : SIGINT;
        /* Every fourth run dies in the middle of its switch, after 1 or 2
         * of the 3 folders. The folder first holds the other input's whole
         * set, so such a death always leaves a visible mix for the next
         * start to finish (a random kill may or may not). */
        int die = it % 4 == 3 ? 1 + it / 4 % (N_MODELS - 1) : -1;
        if (die >= 0)
            CHECK_INT(map_quiet(raw[it % 2], res, &err), 0);
        pid_t pid = fork();
        if (pid == 0) {
            /* the library installs no handler: the program's own (linked
             * in, tests/CMakeLists.txt) removes the temporaries */
            cli_signals_install();
            wp__resultset_test_die_after(die);
            wp_error cerr;
            _exit(map_quiet(raw[(it + 1) % 2], res, &cerr) == 0 ? 0 : 1);
        }
        useconds_t delay = die >= 0 ? 0 : (useconds_t)(run_s * 1.3e6 * rand() / RAND_MAX);
        if (die < 0) {
            usleep(delay);
            kill(pid, sig);
        }
        int status;
        waitpid(pid, &status, 0);
        killed_mid += WIFSIGNALED(status);
        if (die >= 0)
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 70);
        else
            CHECK(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
        /* right after the kill: each folder whole, none empty */
        int from[N_MODELS];
        for (int m = 0; m < N_MODELS; m++) {
            char *got = snapshot(test_path(res, MODELS[m]));
            from[m] = !strcmp(got, want[0][m]) ? 0 : !strcmp(got, want[1][m]) ? 1 : -1;
            CHECK(from[m] >= 0);
            if (from[m] < 0)
                fprintf(stderr, "iteration %d (signal %d after %u us): %s is neither run's:\n%s\n", it, sig,
                        (unsigned)delay, MODELS[m], got);
            free(got);
        }
        mixed_before_recovery += from[0] != from[1] || from[1] != from[2];
        /* the next run's start */
        wp_resultset *rs = wp_resultset_begin(res, "test", &err);
        CHECK(rs != NULL);
        wp_resultset_end(rs);
        int first = -1, same = 1;
        for (int m = 0; m < N_MODELS; m++) {
            char *got = snapshot(test_path(res, MODELS[m]));
            int f = !strcmp(got, want[0][m]) ? 0 : !strcmp(got, want[1][m]) ? 1 : -1;
            if (m == 0)
                first = f;
            same &= f == first && f >= 0;
            free(got);
        }
        CHECK(same);
        if (die >= 0) /* the switch was decided: the next start finishes it */
            CHECK_INT(first, (it + 1) % 2);
        char left[4096];
        if (test_find_entry(res, ".", left, sizeof left))
            fprintf(stderr, "iteration %d (signal %d after %u us, die %d): left %s\n", it, sig, (unsigned)delay, die,
                    left);
        CHECK_INT(test_count_entries(res, "."), 0);
        CHECK_INT(test_count_entries(res, ""), N_MODELS);
    }
    fprintf(stderr,
            "map kill loop: 32 runs, 8 dying mid-switch, %d killed by a signal before the end; %d left a mixed "
            "set that the next start finished\n",
            killed_mid, mixed_before_recovery);
    CHECK(killed_mid > 0);
    CHECK(mixed_before_recovery > 0); /* the dying runs did */
    for (int v = 0; v < 2; v++) {
        for (int m = 0; m < N_MODELS; m++)
            free(want[v][m]);
        free(raw[v]);
    }
    free(res);
}

/* SIGINT to a running `wattprof map` goes through the CLI's own handler
 * (cli/signals.c, not the test's above): at whatever point it comes, no
 * temporary is left anywhere, every visible model folder is one whole
 * result (or absent), and the next map finishes the set. */
static void test_map_cli_interrupted(void)
{
    char *raw = make_raw("raw_cli_int", 0, 1000);
    char *want[N_MODELS];
    const char *ref = test_path(test_tmpdir(), "res_cli_ref");
    wp_error err;
    double t0 = now_s();
    CHECK_INT(map_quiet(raw, ref, &err), 0);
    double run_s = now_s() - t0; /* only to aim the signals, not asserted */
    model_snaps(ref, want);
    int interrupted = 0;
    for (int it = 0; it < 8; it++) {
        char name[32];
        snprintf(name, sizeof name, "res_cli_int%d", it);
        char *res = strdup(test_path(test_tmpdir(), name));
        const char *argv[] = {WATTPROF_BIN, "map", "--raw-data-dir", raw, "--result-dir", res, "--quiet", NULL};
        pid_t pid = fork();
        if (pid == 0) {
            int nul = open("/dev/null", O_WRONLY);
            dup2(nul, 1);
            dup2(nul, 2);
            execv(argv[0], (char *const *)argv);
            _exit(126);
        }
        /* from the start (the process may not have its handler yet: then
         * SIGINT's default, which also leaves nothing) to past the end */
        usleep((useconds_t)(run_s * 1.5e6 * it / 8));
        kill(pid, SIGINT);
        int status;
        waitpid(pid, &status, 0);
        CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
        interrupted += WIFSIGNALED(status);
        char *all = snapshot(res);
        CHECK(strstr(all, ".tmp-") == NULL);
        for (int m = 0; m < N_MODELS; m++) {
            char *got = snapshot(test_path(res, MODELS[m]));
            CHECK(got[0] == '\0' || strcmp(got, want[m]) == 0);
            free(got);
        }
        free(all);
        CHECK_INT(map_quiet(raw, res, &err), 0);
        for (int m = 0; m < N_MODELS; m++) {
            char *got = snapshot(test_path(res, MODELS[m]));
            CHECK_STR(got, want[m]);
            free(got);
        }
        all = snapshot(res);
        CHECK(strstr(all, ".tmp-") == NULL && strstr(all, ".stage-") == NULL && strstr(all, ".old-") == NULL);
        free(all);
        free(res);
    }
    printf("wattprof map interrupted in %d of 8 runs (run %.3f s)\n", interrupted, run_s);
    for (int m = 0; m < N_MODELS; m++)
        free(want[m]);
    free(raw);
}

/* Item 14: map on a result folder another run holds fails at once, naming
 * the holder's pid, and changes nothing. */
static void test_map_locked(void)
{
    char *raw = make_raw("raw_lock", 0, 50);
    char *res = strdup(test_path(test_tmpdir(), "res_lock"));
    wp_error err;
    CHECK_INT(map_quiet(raw, res, &err), 0);
    char *before = snapshot(res);
    char *lock_path = strdup(test_path(res, ".wattprof.lock"));
    wp_lock *lk = wp_lock_take(lock_path, res, "map", &err);
    CHECK(lk != NULL);
    CHECK_INT(map_quiet(raw, res, &err), -1);
    char pid[32];
    snprintf(pid, sizeof pid, "(pid %ld,", (long)getpid());
    CHECK_CONTAINS(err.msg, pid);
    CHECK_CONTAINS(err.msg, "another wattprof map");
    wp_lock_release(lk);
    char *after = snapshot(res);
    CHECK_STR(after, before);
    CHECK_INT(map_quiet(raw, res, &err), 0);
    CHECK(!test_file_exists(lock_path));
    free(before);
    free(after);
    free(lock_path);
    free(raw);
    free(res);
}

static const char *const labels[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VDD_IN"};
static const long mv[3] = {5008, 5016, 5024};
static const long ma[3] = {1200, 800, 2400};

static wp_logger *open_logger(const char *root, const char *out, double duration, wp_error *err)
{
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.sensor.sysfs_root = root;
    o.out_path = out;
    o.duration_s = duration;
    return wp_logger_open(&o, err);
}

/* Items 5 and 14 for `log`: a directory as the output fails at once; a
 * second logger on one output fails naming the first one's pid; on a full
 * disk the log keeps the samples written (whole lines) and the error says
 * how many. */
static void test_log_outputs(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", labels, mv, ma);
    wp_error err;
    const char *dir = test_path(test_tmpdir(), "logdir");
    mkdir(dir, 0755);
    CHECK(open_logger(root, dir, 60, &err) == NULL);
    CHECK_CONTAINS(err.msg, "Is a directory");

    char *out = strdup(test_path(test_tmpdir(), "locked.log"));
    wp_logger *first = open_logger(root, out, 60, &err);
    CHECK(first != NULL);
    CHECK(open_logger(root, out, 60, &err) == NULL);
    char pid[32];
    snprintf(pid, sizeof pid, "(pid %ld,", (long)getpid());
    CHECK_CONTAINS(err.msg, pid);
    CHECK_CONTAINS(err.msg, "another wattprof log");
    wp_logger_free(first);
    wp_logger *again = open_logger(root, out, 60, &err);
    CHECK(again != NULL);
    wp_logger_free(again);

    /* the disk fills after 300 kB: some five 64 KiB blocks */
    char *full = strdup(test_path(test_tmpdir(), "full.log"));
    wp_logger *lg = open_logger(root, full, 120, &err);
    CHECK(lg != NULL);
    if (lg) {
        wp__atomic_test_fail_writes_after(300000);
        CHECK_INT(wp_logger_run(lg, &err), -1);
        wp__atomic_test_fail_writes_after(-1);
        CHECK_CONTAINS(err.msg, "No space left on device");
        char *text = test_read_file(full);
        CHECK(text != NULL);
        if (text) {
            size_t len = strlen(text);
            int lines = test_count_lines(text);
            CHECK(lines > 1000);
            CHECK(len > 0 && text[len - 1] == '\n');
            CHECK(len <= 300000);
            char says[64];
            snprintf(says, sizeof says, "keeps those %d ", lines);
            CHECK_CONTAINS(err.msg, says);
            free(text);
        }
        wp_logger_free(lg);
    }
    CHECK_INT(test_count_entries(test_tmpdir(), ".full.log"), 0);
    free(out);
    free(full);
}

/* Item 15: valgrind runs close_range as a loop of close() and ignores
 * CLOSE_RANGE_UNSHARE; the writer must notice and leave the sampler's
 * descriptors open. Needs valgrind, and a build without ASan. */
static void test_log_under_valgrind(void)
{
#if defined(__SANITIZE_ADDRESS__)
    fprintf(stderr, "skip valgrind log: ASan build\n");
    return;
#else
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
    fprintf(stderr, "skip valgrind log: ASan build\n");
    return;
#endif
#endif
    if (access("/usr/bin/valgrind", X_OK) != 0) {
        fprintf(stderr, "skip valgrind log: no /usr/bin/valgrind\n");
        return;
    }
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", labels, mv, ma);
    const char *out = test_path(test_tmpdir(), "vg.log");
    const char *argv[] = {"/usr/bin/valgrind",
                          "-q",
                          "--error-exitcode=9",
                          WATTPROF_BIN,
                          "log",
                          "--sysfs-root",
                          root,
                          "--out",
                          out,
                          "--duration",
                          "0.3",
                          "--quiet",
                          NULL};
    test_run_result r = test_run_argv(argv);
    CHECK_INT(r.status, 0);
    if (r.status != 0)
        fprintf(stderr, "%s\n", r.err);
    char *text = test_read_file(out);
    CHECK(text && test_count_lines(text) > 10);
    free(text);
    test_run_free(&r);
#endif
}

static const char *DS_ENGINE =
    "{\"Layers\": [\n"
    "  {\"Name\": \"conv\", \"LayerType\": \"CaskConvolution\",\n"
    "   \"Inputs\": [{\"Dimensions\": [1, 3, 32, 32]}], \"Outputs\": [{\"Dimensions\": [1, 16, 16, 16]}],\n"
    "   \"Kernel\": [3, 3], \"PrePadding\": [1, 1], \"PostPadding\": [1, 1], \"Stride\": [2, 2]},\n"
    "  {\"Name\": \"pool\", \"LayerType\": \"CaskPooling\",\n"
    "   \"Inputs\": [{\"Dimensions\": [1, 16, 16, 16]}], \"Outputs\": [{\"Dimensions\": [1, 16, 8, 8]}],\n"
    "   \"WindowSize\": [2, 2], \"Stride\": [2, 2]},\n"
    "  {\"Name\": \"fc\", \"LayerType\": \"CaskGemmConvolution\",\n"
    "   \"Inputs\": [{\"Dimensions\": [1, 1024]}], \"Outputs\": [{\"Dimensions\": [1, 10]}]}\n"
    "]}\n";

/* Mapped input for dataset: four models, `version` changing every power. */
static void write_mapped(const char *dir, int version)
{
    static const char *const names[3][2] = {
        {"conv", "CaskConvolution"}, {"pool", "CaskPooling"}, {"fc", "CaskGemmConvolution"}};
    char text[16384];
    for (int m = 0; m < 4; m++) {
        size_t n = (size_t)snprintf(text, sizeof text,
                                    "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
                                    "layer_power_excluding_idle_power_micro_watt,layer_run_time\n");
        for (int c = 1; c <= 20; c++)
            for (int l = 0; l < 3; l++)
                n +=
                    (size_t)snprintf(text + n, sizeof text - n, "%d,%s,%s,%d.0,%d.0,0.5\n", c, names[l][0], names[l][1],
                                     5000000 + 1000 * l + c + 7 * version + m, 1000 * l + c + 7 * version + m);
        char rel[64];
        snprintf(rel, sizeof rel, "model%d/power_runtime_mapping_layerwise.csv", m);
        test_write_file(test_path(dir, rel), text);
        snprintf(rel, sizeof rel, "model%d/trt_engine_info.json", m);
        test_write_file(test_path(dir, rel), DS_ENGINE);
    }
}

/* Item 3 for dataset: its training files changed one by one, so a full
 * disk left some new beside old ones. Now a write failure at any point
 * leaves RESULT exactly as it was, and a run with room replaces it whole. */
static void test_dataset_disk_full(void)
{
    char *in = strdup(test_path(test_tmpdir(), "ds_in"));
    char *out = strdup(test_path(test_tmpdir(), "ds_out"));
    char *ref = strdup(test_path(test_tmpdir(), "ds_ref"));
    wp_dataset_report rep;
    wp_error err;
    write_mapped(in, 1);
    CHECK_INT(wp_dataset_run(in, ref, NULL, &rep, &err), 0);
    wp_dataset_report_free(&rep);
    char *want_b = snapshot(ref);
    write_mapped(in, 0);
    CHECK_INT(wp_dataset_run(in, out, NULL, &rep, &err), 0);
    wp_dataset_report_free(&rep);
    char *before = snapshot(out);
    CHECK(strstr(before, "model3/dense.csv") != NULL);
    CHECK(strcmp(before, want_b) != 0);
    write_mapped(in, 1);
    long long total = (long long)strlen(want_b) * 2; /* training files + statistics */
    int failures = 0, enospc = 0;
    for (long long budget = 0; budget <= total + 4096; budget += total / 25 + 1) {
        wp__atomic_test_fail_writes_after(budget);
        int rc = wp_dataset_run(in, out, NULL, &rep, &err);
        wp__atomic_test_fail_writes_after(-1);
        if (rc == 0) {
            wp_dataset_report_free(&rep);
            break;
        }
        failures++;
        enospc += strstr(err.msg, "No space left on device") != NULL;
        char *now = snapshot(out);
        CHECK_STR(now, before);
        free(now);
    }
    CHECK(failures >= 10);
    CHECK_INT(enospc, failures);
    CHECK_INT(wp_dataset_run(in, out, NULL, &rep, &err), 0);
    wp_dataset_report_free(&rep);
    char *after = snapshot(out);
    CHECK_STR(after, want_b);
    free(after);
    free(before);
    free(want_b);
    free(in);
    free(out);
    free(ref);
}

/* Item 6: report --out naming an input (anything not .html) is refused
 * before anything is read or written. */
static void test_report_out_guard(void)
{
    const char *res = test_path(test_tmpdir(), "rep_res");
    const char *csv = test_path(res, "m1/power_runtime_mapping_layerwise.csv");
    test_write_file(csv, "cycle,layer_name\n");
    const char *args[] = {"report", "--result-dir", res, "--out", csv, NULL};
    test_run_result r = test_run_cli(args);
    CHECK_INT(r.status, 2);
    CHECK_CONTAINS(r.err, "--out must name a .html file");
    char *text = test_read_file(csv);
    CHECK_STR(text, "cycle,layer_name\n");
    free(text);
    test_run_free(&r);
}

int main(void)
{
    test_report_out_guard();
    test_dataset_disk_full();
    test_map_disk_full_keeps_results();
    test_map_locked();
    test_map_killed_anywhere();
    test_map_cli_interrupted();
    test_log_outputs();
    test_log_under_valgrind();
    return test_summary();
}
