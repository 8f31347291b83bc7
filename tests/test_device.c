/* device.json: the device state read from a fake root (device tree, procfs,
 * cpufreq, devfreq, thermal zones), and `log`/`idle` writing it. */
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <time.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake_sysfs.h"
#include "testutil.h"
#include "wattprof/device.h"

static void put(const char *root, const char *rel, const char *text)
{
    test_write_file(test_path(root, rel), text);
}

/* A Jetson-like tree: two CPUs with cpufreq, GPU and EMC devfreq, two
 * thermal zones and one that cannot be read. */
static const char *fake_device(const char *name)
{
    static char root[1024];
    snprintf(root, sizeof root, "%s", test_path(test_tmpdir(), name));
    char path[2048];
    snprintf(path, sizeof path, "%s/proc/device-tree/model", root);
    put(root, "proc/device-tree/.keep", "");
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp) {
        fwrite("NVIDIA Jetson AGX Orin\0", 1, 23, fp); /* the device tree's NUL */
        fclose(fp);
    }
    put(root, "proc/sys/kernel/osrelease", "5.15.136-tegra\n");
    put(root, "etc/nv_tegra_release", "# R36 (release), REVISION: 3.0, GCID: 36923193\nsecond line\n");
    put(root, "var/lib/nvpmodel/status", "pmode:0000 fmode:fanNull\n");
    const long cur[2] = {1190400, 2201600};
    for (int i = 0; i < 2; i++) {
        char rel[256], v[32];
        snprintf(v, sizeof v, "%ld\n", cur[i]);
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", i * 10);
        put(root, rel, v);
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_min_freq", i * 10);
        put(root, rel, "115200\n");
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", i * 10);
        put(root, rel, "2201600\n");
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", i * 10);
        put(root, rel, "schedutil\n");
    }
    /* Cortex-A78AE: split L1, a private 256 KB L2 (sysfs lists levels in
     * any order), a shared L3 */
    static const char *const caches[][4] = {{"index0", "1", "Data", "64K"},
                                            {"index1", "1", "Instruction", "64K"},
                                            {"index2", "3", "Unified", "2048K"},
                                            {"index3", "2", "Unified", "256K"}};
    for (int i = 0; i < 4; i++) {
        char rel[256];
        static const char *const files[] = {"level", "type", "size"};
        for (int f = 0; f < 3; f++) {
            snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu0/cache/%s/%s", caches[i][0], files[f]);
            char v[32];
            snprintf(v, sizeof v, "%s\n", caches[i][f + 1]);
            put(root, rel, v);
        }
    }
    put(root, "sys/devices/system/cpu/cpu2/online", "1\n");   /* no cpufreq: left out */
    put(root, "sys/devices/system/cpu/cpufreq/boost", "0\n"); /* not a CPU */
    put(root, "sys/class/devfreq/17000000.gpu/cur_freq", "1300500000\n");
    put(root, "sys/class/devfreq/17000000.gpu/min_freq", "306000000\n");
    put(root, "sys/class/devfreq/17000000.gpu/max_freq", "1300500000\n");
    put(root, "sys/class/devfreq/17000000.gpu/governor", "nvhost_podgov\n");
    put(root, "sys/class/devfreq/bpmp-emc/cur_freq", "3199000000\n");
    put(root, "sys/class/thermal/thermal_zone0/type", "cpu-thermal\n");
    fake_set(test_path(root, "sys/class/thermal/thermal_zone0/temp"), 45250);
    put(root, "sys/class/thermal/thermal_zone1/type", "gpu-thermal\n");
    fake_set(test_path(root, "sys/class/thermal/thermal_zone1/temp"), 43000);
    put(root, "sys/class/thermal/thermal_zone2/type", "offline\n");
    return root;
}

static json_t *load(const char *path)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        test_fail_at(__FILE__, __LINE__, "%s:%d: %s", path, je.line, je.text);
    return doc;
}

static long long geti(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void test_fake_tree(void)
{
    const char *root = fake_device("jetson");
    wp_device_state *st = wp_device_start(root, 750);
    CHECK(st != NULL);
    /* the board warms up during the run */
    fake_set(test_path(root, "sys/class/thermal/thermal_zone0/temp"), 51500);
    wp_device_end(st, 748.5);
    const char *out = test_path(root, "device.json");
    wp_error err;
    CHECK_INT(wp_device_write(st, out, &err), 0);
    wp_device_free(st);

    json_t *doc = load(out);
    if (!doc)
        return;
    CHECK_STR(json_string_value(json_object_get(doc, "model")), "NVIDIA Jetson AGX Orin");
    CHECK_STR(json_string_value(json_object_get(doc, "kernel")), "5.15.136-tegra");
    CHECK_STR(json_string_value(json_object_get(doc, "l4t_release")), "# R36 (release), REVISION: 3.0, GCID: 36923193");
    CHECK_STR(json_string_value(json_object_get(doc, "nvpmodel")), "pmode:0000 fmode:fanNull");
    CHECK_NEAR(json_real_value(json_object_get(doc, "logger_rate_hz")), 750, 1e-12);
    CHECK_NEAR(json_real_value(json_object_get(doc, "logger_mean_rate_hz")), 748.5, 1e-12);
    CHECK_INT(geti(doc, "cpu_l2_cache_bytes"), 256 * 1024);

    json_t *cpus = json_object_get(doc, "cpus");
    CHECK_INT(json_array_size(cpus), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(cpus, 0), "cpu")), "cpu0");
    CHECK_STR(json_string_value(json_object_get(json_array_get(cpus, 1), "cpu")), "cpu10");
    CHECK_INT(geti(json_array_get(cpus, 0), "cur_khz"), 1190400);
    CHECK_INT(geti(json_array_get(cpus, 1), "cur_khz"), 2201600);
    CHECK_INT(geti(json_array_get(cpus, 0), "min_khz"), 115200);
    CHECK_INT(geti(json_array_get(cpus, 0), "max_khz"), 2201600);
    CHECK_STR(json_string_value(json_object_get(json_array_get(cpus, 0), "governor")), "schedutil");

    json_t *dev = json_object_get(doc, "devfreq");
    CHECK_INT(json_array_size(dev), 2);
    json_t *gpu = json_array_get(dev, 0), *emc = json_array_get(dev, 1);
    CHECK_STR(json_string_value(json_object_get(gpu, "device")), "17000000.gpu");
    CHECK_INT(geti(gpu, "cur_hz"), 1300500000);
    CHECK_INT(geti(gpu, "min_hz"), 306000000);
    CHECK_INT(geti(gpu, "max_hz"), 1300500000);
    CHECK_STR(json_string_value(json_object_get(emc, "device")), "bpmp-emc");
    CHECK_INT(geti(emc, "cur_hz"), 3199000000LL);
    CHECK(json_object_get(emc, "min_hz") == NULL); /* absent file: absent key */

    json_t *t0 = json_object_get(json_object_get(doc, "start"), "thermal");
    json_t *t1 = json_object_get(json_object_get(doc, "end"), "thermal");
    CHECK_INT(json_array_size(t0), 2); /* the unreadable zone is left out */
    CHECK_INT(json_array_size(t1), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(t0, 0), "type")), "cpu-thermal");
    CHECK_INT(geti(json_array_get(t0, 0), "temp_mc"), 45250);
    CHECK_INT(geti(json_array_get(t1, 0), "temp_mc"), 51500);
    CHECK_INT(geti(json_array_get(t1, 1), "temp_mc"), 43000);
    CHECK(json_is_string(json_object_get(json_object_get(doc, "start"), "time")));
    json_decref(doc);
}

/* The level-2 cache (the cpu backend records it with its engine info):
 * sizes in K or M or bytes; anything else, or no level 2, is unknown. */
static void test_l2_cache(void)
{
    CHECK_INT(wp_device_l2_cache_bytes(fake_device("l2")), 256 * 1024);
    const char *root = test_path(test_tmpdir(), "l2m");
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/level", "2\n");
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/type", "Unified\n");
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/size", "2M\n");
    CHECK_INT(wp_device_l2_cache_bytes(root), 2 * 1024 * 1024);
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/size", "1048576\n");
    CHECK_INT(wp_device_l2_cache_bytes(root), 1048576);
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/size", "lots\n");
    CHECK_INT(wp_device_l2_cache_bytes(root), 0);
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/size", "-4K\n");
    CHECK_INT(wp_device_l2_cache_bytes(root), 0);
    /* a split level 2: the instruction half says nothing of data */
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/size", "512K\n");
    put(root, "sys/devices/system/cpu/cpu0/cache/index2/type", "Instruction\n");
    CHECK_INT(wp_device_l2_cache_bytes(root), 0);
    put(root, "sys/devices/system/cpu/cpu0/cache/index3/level", "2\n");
    put(root, "sys/devices/system/cpu/cpu0/cache/index3/type", "Data\n");
    put(root, "sys/devices/system/cpu/cpu0/cache/index3/size", "1024K\n");
    CHECK_INT(wp_device_l2_cache_bytes(root), 1024 * 1024);
    /* a fake tree without caches is not the machine's: no sysconf */
    const char *bare = test_path(test_tmpdir(), "l2bare");
    put(bare, ".keep", "");
    CHECK_INT(wp_device_l2_cache_bytes(bare), 0);
}

/* A machine with none of it (a container, a laptop without the device tree):
 * only the times, and no error. */
static void test_empty_root(void)
{
    const char *root = test_path(test_tmpdir(), "bare");
    put(root, ".keep", "");
    wp_device_state *st = wp_device_start(root, 0);
    wp_device_end(st, 0);
    const char *out = test_path(root, "device.json");
    wp_error err;
    CHECK_INT(wp_device_write(st, out, &err), 0);
    json_t *doc = load(out);
    CHECK_INT(json_object_size(doc), 2); /* start, end */
    CHECK(json_object_get(doc, "model") == NULL);
    CHECK(json_object_get(doc, "cpus") == NULL);
    CHECK(json_object_get(json_object_get(doc, "start"), "thermal") == NULL);
    json_decref(doc);
    /* the one failure: an unwritable output, named */
    const char *bad = test_path(root, "no/such/dir/device.json");
    CHECK_INT(wp_device_write(st, bad, &err), -1);
    CHECK_CONTAINS(err.msg, "no/such/dir");
    wp_device_free(st);
}

/* `log`, `idle` and `run` write device.json beside their output, from the tree
 * WATTPROF_DEVICE_ROOT names. */
static void test_cli(void)
{
    const char *root = fake_device("cli");
    static const char *const labels[3] = {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"};
    static const long mv[3] = {5000, 5000, 5000}, ma[3] = {1000, 300, 200};
    char sys[512];
    snprintf(sys, sizeof sys, "%s/sys", root);
    fake_ina_hwmon(sys, "1-0040", "hwmon1", labels, mv, ma);
    setenv("WATTPROF_DEVICE_ROOT", root, 1);

    char outdir[1024];
    snprintf(outdir, sizeof outdir, "%s", test_path(test_tmpdir(), "raw/m"));
    put(outdir, ".keep", "");
    const char *log = test_path(outdir, "m_power_log.log");
    test_run_result r =
        test_run_cli((const char *[]){"log", "--sysfs-root", sys, "--out", log, "--duration", "0.05", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    json_t *doc = load(test_path(outdir, "device.json"));
    CHECK_STR(json_string_value(json_object_get(doc, "model")), "NVIDIA Jetson AGX Orin");
    CHECK_INT(json_array_size(json_object_get(json_object_get(doc, "end"), "thermal")), 2);
    CHECK(json_real_value(json_object_get(doc, "logger_mean_rate_hz")) > 0);
    json_decref(doc);

    const char *idle = test_path(test_tmpdir(), "idle");
    r = test_run_cli(
        (const char *[]){"idle", "--sysfs-root", sys, "--result-dir", idle, "--duration", "0.05", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    doc = load(test_path(idle, "device.json"));
    CHECK_INT(geti(json_array_get(json_object_get(doc, "devfreq"), 0), "cur_hz"), 1300500000);
    json_decref(doc);

    const char *raw = test_path(test_tmpdir(), "runraw");
    r = test_run_cli((const char *[]){"run", "--sysfs-root", sys, "--result-dir", raw, "--model", "m", "--quiet", "--",
                                      "true", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    doc = load(test_path(raw, "m/device.json"));
    CHECK_INT(geti(json_array_get(json_object_get(doc, "cpus"), 1), "cur_khz"), 2201600);
    CHECK(json_object_get(json_object_get(doc, "end"), "thermal") != NULL);
    json_decref(doc);
    unsetenv("WATTPROF_DEVICE_ROOT");
}

/* ---- --cooldown ----------------------------------------------------------- */

/* The board cools once the waiting side has seen it hot: after `seen` is
 * set (in-process: by the waiting callback), or after the first read of the
 * zone's file (another process: inotify's IN_ACCESS), so the test does not
 * depend on how fast either side is scheduled. */
typedef struct cooler {
    const char *temp_path;
    long long to;
    atomic_int seen;
    int watch_reads;
} cooler;

static void *cool_later(void *arg)
{
    cooler *c = arg;
    if (c->watch_reads) {
        int fd = inotify_init1(0);
        int wd = fd >= 0 ? inotify_add_watch(fd, c->temp_path, IN_ACCESS) : -1;
        atomic_store(&c->seen, 1); /* watching: the reader may start */
        struct pollfd pfd = {fd, POLLIN, 0};
        char buf[4096];
        if (wd >= 0 && poll(&pfd, 1, 60000) > 0)
            (void)!read(fd, buf, sizeof buf);
        if (fd >= 0)
            close(fd);
    } else {
        for (int i = 0; i < 60000 && !atomic_load(&c->seen); i++) {
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    fake_set(c->temp_path, c->to);
    return NULL;
}

typedef struct seen {
    int calls;
    wp_thermal_worst w;
    cooler *cooler;
} seen;

static void on_wait(void *ctx, const wp_thermal_worst *w)
{
    seen *s = ctx;
    s->calls++;
    s->w = *w;
    if (s->cooler)
        atomic_store(&s->cooler->seen, 1);
}

/* wp_device_cooldown on a fake tree: waits for a hot zone to come back
 * within the margin of the reference (the reference file's end reading),
 * gives up at the timeout, and does not wait for a zone that is colder;
 * wp_device_drift gives the largest rise between start and end. */
static void test_cooldown(void)
{
    const char *root = fake_device("cool");
    char temp0[2048];
    snprintf(temp0, sizeof temp0, "%s", test_path(root, "sys/class/thermal/thermal_zone0/temp"));
    /* the idle reading: start 44 C, end 45.25 C (the one compared) */
    fake_set(temp0, 44000);
    wp_device_state *idle = wp_device_start(root, 0);
    fake_set(temp0, 45250);
    wp_device_end(idle, 0);
    char ref[2048];
    snprintf(ref, sizeof ref, "%s", test_path(root, "idle-device.json"));
    wp_error err;
    CHECK_INT(wp_device_write(idle, ref, &err), 0);
    wp_device_free(idle);

    fake_set(temp0, 60000);
    cooler c = {.temp_path = temp0, .to = 47000};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, cool_later, &c), 0);
    seen s = {.cooler = &c};
    wp_cooldown_options o = {root, 5.0, 60.0, 0.02, on_wait, &s};
    wp_cooldown_result r;
    CHECK_INT(wp_device_cooldown(ref, &o, &r, &err), 0);
    pthread_join(th, NULL);
    CHECK_INT(r.reached, 1);
    CHECK_INT(r.zones, 2);
    CHECK_INT(s.calls, 1); /* told once, with the hot zone */
    CHECK_STR(s.w.zone, "thermal_zone0");
    CHECK_STR(s.w.type, "cpu-thermal");
    CHECK_NEAR(s.w.temp_c, 60.0, 1e-9);
    CHECK_NEAR(s.w.ref_c, 45.25, 1e-9);
    CHECK_NEAR(r.worst.temp_c, 47.0, 1e-9); /* it returned on the cooled reading */

    /* never cools: gives up, saying which zone */
    fake_set(temp0, 60000);
    o.timeout_s = 0.1;
    s.calls = 0;
    s.cooler = NULL;
    CHECK_INT(wp_device_cooldown(ref, &o, &r, &err), 0);
    CHECK_INT(r.reached, 0);
    CHECK_STR(r.worst.zone, "thermal_zone0");
    CHECK_NEAR(r.worst.temp_c, 60.0, 1e-9);
    CHECK_INT(s.calls, 1);

    /* colder than idle, or within the margin: no wait at all */
    fake_set(temp0, 30000);
    s.calls = 0;
    CHECK_INT(wp_device_cooldown(ref, &o, &r, &err), 0);
    CHECK_INT(r.reached, 1);
    CHECK_INT(s.calls, 0);
    fake_set(temp0, 50250);
    CHECK_INT(wp_device_cooldown(ref, &o, &r, &err), 0);
    CHECK_INT(r.reached, 1);
    CHECK_INT(s.calls, 0);

    /* a reference that is not JSON: an error naming it */
    const char *bad = test_path(root, "bad.json");
    put(root, "bad.json", "{\"start\": \n");
    CHECK_INT(wp_device_cooldown(bad, &o, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "bad.json:");

    /* drift: the largest rise from start to end */
    fake_set(temp0, 45000);
    wp_device_state *st = wp_device_start(root, 0);
    fake_set(temp0, 52500);
    fake_set(test_path(root, "sys/class/thermal/thermal_zone1/temp"), 44000);
    wp_device_end(st, 0);
    wp_thermal_worst w;
    CHECK_INT(wp_device_drift(st, &w), 1);
    CHECK_STR(w.zone, "thermal_zone0");
    CHECK_NEAR(w.temp_c - w.ref_c, 7.5, 1e-9);
    wp_device_free(st);
    fake_set(test_path(root, "sys/class/thermal/thermal_zone1/temp"), 43000);
}

/* `run --cooldown 5`: waits for the zone to come back near the idle reading
 * of DIR/device.json (written by `idle`), records the wait in the run's
 * device.json, and warns when the zone rose more than 5 C during the run. */
static void test_cooldown_cli(void)
{
    const char *root = fake_device("coolcli");
    static const char *const labels[3] = {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"};
    static const long mv[3] = {5000, 5000, 5000}, ma[3] = {1000, 300, 200};
    char sys[1024], temp0[2048], dir[1024];
    snprintf(sys, sizeof sys, "%s/sys", root);
    snprintf(temp0, sizeof temp0, "%s", test_path(root, "sys/class/thermal/thermal_zone0/temp"));
    snprintf(dir, sizeof dir, "%s", test_path(test_tmpdir(), "coolraw"));
    fake_ina_hwmon(sys, "1-0040", "hwmon1", labels, mv, ma);
    setenv("WATTPROF_DEVICE_ROOT", root, 1);

    /* no idle reading yet: said, and the run goes on */
    test_run_result r = test_run_cli((const char *[]){"run", "--sysfs-root", sys, "--result-dir", dir, "--model", "m",
                                                      "--quiet", "--cooldown", "5", "--", "true", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "no idle reading in ");
    test_run_free(&r);

    r = test_run_cli(
        (const char *[]){"idle", "--sysfs-root", sys, "--result-dir", dir, "--duration", "0.05", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    fake_set(temp0, 58000); /* 12.75 C above the idle 45.25 */
    cooler c = {.temp_path = temp0, .to = 46000, .watch_reads = 1};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, cool_later, &c), 0);
    while (!atomic_load(&c.seen)) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    /* the command heats the zone by 8 C */
    char heat[4096];
    snprintf(heat, sizeof heat, "printf '%%-15s\\n' 54000 > '%s'", temp0);
    r = test_run_cli((const char *[]){"run", "--sysfs-root", sys, "--result-dir", dir, "--model", "m", "--cooldown",
                                      "5", "--", "sh", "-c", heat, NULL});
    pthread_join(th, NULL);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "wattprof run: cooling down: thermal_zone0 (cpu-thermal) at 58.0 C, idle 45.2 C; waiting "
                          "until every zone is within 5 C of ");
    CHECK_CONTAINS(r.err, "warning: thermal_zone0 (cpu-thermal) rose 8.0 C during the run (46.0 -> 54.0 C), more "
                          "than --cooldown 5");
    test_run_free(&r);
    json_t *doc = load(test_path(dir, "m/device.json"));
    json_t *cool = json_object_get(doc, "cooldown");
    CHECK(json_is_true(json_object_get(cool, "reached")));
    CHECK_NEAR(json_real_value(json_object_get(cool, "margin_c")), 5.0, 1e-12);
    json_decref(doc);

    /* never cools within the timeout: a warning, and the run goes on */
    fake_set(temp0, 58000);
    r = test_run_cli((const char *[]){"run", "--sysfs-root", sys, "--result-dir", dir, "--model", "m", "--quiet",
                                      "--cooldown", "5", "--cooldown-timeout", "0.2", "--", "true", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "warning: still thermal_zone0 (cpu-thermal) at 58.0 C after 0 s, 12.8 C above the idle "
                          "45.2 C (--cooldown 5); measuring anyway");
    CHECK(strstr(r.err, "rose") == NULL);
    test_run_free(&r);
    doc = load(test_path(dir, "m/device.json"));
    CHECK(json_is_false(json_object_get(json_object_get(doc, "cooldown"), "reached")));
    json_decref(doc);
    r = test_run_cli(
        (const char *[]){"run", "--result-dir", dir, "--model", "m", "--cooldown", "-1", "--", "true", NULL});
    CHECK_INT(r.status, 2);
    test_run_free(&r);
    fake_set(temp0, 45250);
    unsetenv("WATTPROF_DEVICE_ROOT");
}

int main(void)
{
    test_cooldown();
    test_cooldown_cli();
    test_fake_tree();
    test_l2_cache();
    test_empty_root();
    test_cli();
    return test_summary();
}
