/* device.json: the device state read from a fake root (device tree, procfs,
 * cpufreq, devfreq, thermal zones), and `log`/`idle` writing it. */
#include <jansson.h>
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
    put(root, "sys/devices/system/cpu/cpu2/online", "1\n"); /* no cpufreq: left out */
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
    test_run_result r = test_run_cli(
        (const char *[]){"log", "--sysfs-root", sys, "--out", log, "--duration", "0.05", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    json_t *doc = load(test_path(outdir, "device.json"));
    CHECK_STR(json_string_value(json_object_get(doc, "model")), "NVIDIA Jetson AGX Orin");
    CHECK_INT(json_array_size(json_object_get(json_object_get(doc, "end"), "thermal")), 2);
    CHECK(json_real_value(json_object_get(doc, "logger_mean_rate_hz")) > 0);
    json_decref(doc);

    const char *idle = test_path(test_tmpdir(), "idle");
    r = test_run_cli((const char *[]){"idle", "--sysfs-root", sys, "--result-dir", idle, "--duration", "0.05",
                                      "--quiet", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    doc = load(test_path(idle, "device.json"));
    CHECK_INT(geti(json_array_get(json_object_get(doc, "devfreq"), 0), "cur_hz"), 1300500000);
    json_decref(doc);

    const char *raw = test_path(test_tmpdir(), "runraw");
    r = test_run_cli((const char *[]){"run", "--sysfs-root", sys, "--result-dir", raw, "--model", "m", "--quiet",
                                      "--", "true", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    doc = load(test_path(raw, "m/device.json"));
    CHECK_INT(geti(json_array_get(json_object_get(doc, "cpus"), 1), "cur_khz"), 2201600);
    CHECK(json_object_get(json_object_get(doc, "end"), "thermal") != NULL);
    json_decref(doc);
    unsetenv("WATTPROF_DEVICE_ROOT");
}

int main(void)
{
    test_fake_tree();
    test_empty_root();
    test_cli();
    return test_summary();
}
