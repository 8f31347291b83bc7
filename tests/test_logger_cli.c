/* wattprof sensors / log / idle / run on fake sysfs trees: the summary
 * counts exactly the samples written (also after SIGINT/SIGTERM), run
 * passes on exit codes and signals, idle writes idling_power.json. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_sysfs.h"
#include "testutil.h"
#include "wattprof/timestamp.h"

static const char *const orin_labels[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VDD_IN"};
static const long orin_mv[3] = {5008, 5016, 5024};
static const long orin_ma[3] = {1200, 800, 2400};

/* The "samples:" figure of a summary, or -1. */
static long long summary_samples(const char *err)
{
    const char *p = err ? strstr(err, "samples:") : NULL;
    return p ? atoll(p + 8) : -1;
}

/* Starts wattprof in the background with stderr going to err_path. */
static pid_t spawn_cli(const char *const *args, const char *err_path)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = WATTPROF_BIN;
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_WRONLY);
        if (fd < 0 || nul < 0)
            _exit(126);
        dup2(fd, 2);
        dup2(nul, 1);
        execv(argv[0], (char *const *)argv);
        _exit(126);
    }
    return pid;
}

static int wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Waits until a file exists (or 20 s); no timing assertion. */
static int wait_file(const char *path)
{
    for (int i = 0; i < 4000; i++) {
        if (test_file_exists(path))
            return 1;
        usleep(5000);
    }
    return 0;
}

/* Waits until the log's temporary file in dir holds samples. */
static int wait_streaming(const char *dir, const char *name)
{
    char prefix[256], path[2048];
    snprintf(prefix, sizeof prefix, ".%s.tmp-", name);
    for (int i = 0; i < 4000; i++) {
        struct stat st;
        if (test_find_entry(dir, prefix, path, sizeof path) && stat(path, &st) == 0 && st.st_size > 0)
            return 1;
        usleep(5000);
    }
    return 0;
}

static const char *orin_root(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    return root;
}

static void test_sensors(void)
{
    const char *root = orin_root();
    fake_rapl(root, "intel-rapl:0", "package-0", 1, 1000);
    setenv("WATTPROF_NVML_LIB", "/nonexistent/libnvml-test.so", 1);
    CHECK_CLI(TEST_LIST("sensors", "--sysfs-root", root), 0,
              TEST_LIST("VDD_IN *", "VDD_GPU_SOC", "mV, mA", "package-0 *", "uJ counter",
                        "nvml: cannot load /nonexistent/libnvml-test.so"),
              NULL);
    CHECK_CLI(TEST_LIST("sensors", "--sysfs-root", test_tmpdir()), 1, NULL, TEST_LIST("no power sensor found"));
    test_run_result r =
        test_run_cli((const char *[]){"log", "--source", "nvml", "--out", test_path(root, "x.log"), NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "wattprof log: nvml: cannot load /nonexistent/libnvml-test.so");
    CHECK(!test_file_exists(test_path(root, "x.log")));
    test_run_free(&r);
    unsetenv("WATTPROF_NVML_LIB");
}

/* AGX Orin's two monitors: both listed, with their device in `where`. */
static void test_sensors_agx_orin(void)
{
    const char *root = test_tmpdir();
    const char *const l40[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"};
    const char *const l41[3] = {"NC", "VDDQ_VDD2_1V8AO", "VDD_CPU_CV"};
    fake_ina_hwmon(root, "1-0040", "hwmon2", l40, orin_mv, orin_ma);
    fake_ina_hwmon(root, "1-0041", "hwmon3", l41, orin_mv, orin_ma);
    CHECK_CLI(TEST_LIST("sensors", "--source", "ina3221", "--sysfs-root", root), 0,
              TEST_LIST("VIN_SYS_5V0", "VDDQ_VDD2_1V8AO", "1-0040/VDD_CPU_CV", "1-0041/VDD_CPU_CV",
                        "drivers/ina3221/1-0041/hwmon/hwmon3", "drivers/ina3221/1-0040/hwmon/hwmon2"),
              NULL);
}

#ifdef WATTPROF_FAKE_NVML
static void test_log_nvml_fake(void)
{
    const char *dir = test_tmpdir();
    if (!fake_nvml_use(dir))
        return;
    test_write_file(test_path(dir, "gpu0_power_mw"), "61250\n");
    const char *out = test_path(dir, "gpu.log");
    test_run_result r = test_run_cli(
        (const char *[]){"log", "--source", "nvml", "--out", out, "--duration", "0.05", "--interval-us", "1000", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "rail nvml gpu0 (mW) at GPU 0: Fake GPU 0");
    CHECK_CONTAINS(r.err, "mean power:  61250000.0 uW");
    char *text = test_read_file(out);
    CHECK(text != NULL);
    if (text) {
        CHECK_INT(test_count_lines(text), summary_samples(r.err));
        CHECK_CONTAINS(text, ",1000.0,61250.0\n");
    }
    free(text);
    test_run_free(&r);
    unsetenv("FAKE_NVML_DIR");
    unsetenv("WATTPROF_NVML_LIB");
}
#endif

static void test_log_duration(void)
{
    const char *root = orin_root();
    const char *out = test_path(test_tmpdir(), "d.log");
    test_run_result r = test_run_cli(
        (const char *[]){"log", "--sysfs-root", root, "--rail", "VDD_CPU_CV", "--out", out, "--duration", "0.2", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "rail ina3221 VDD_CPU_CV");
    CHECK_CONTAINS(r.err, "mean power:  4012800.0 uW");
    char *text = test_read_file(out);
    CHECK(text != NULL);
    if (text) {
        CHECK_INT(test_count_lines(text), summary_samples(r.err));
        CHECK(summary_samples(r.err) > 0);
        CHECK_CONTAINS(text, ",5016.0,800.0\n");
        int64_t t;
        CHECK_INT(wp_ts_parse(text, 24, &t), 0);
    }
    free(text);
    test_run_free(&r);
}

/* A fractional interval is a schedule finer than a microsecond: the run
 * takes at most duration / interval samples (plus the one at the start and
 * what a burst may take early, 0.5 ms worth). */
static void test_log_fractional_interval(void)
{
    const char *root = orin_root();
    const char *out = test_path(test_tmpdir(), "f.log");
    test_run_result r = test_run_cli((const char *[]){"log", "--sysfs-root", root, "--out", out, "--duration", "0.05",
                                                      "--interval-us", "12.5", NULL});
    CHECK_INT(r.status, 0);
    long long n = summary_samples(r.err);
    CHECK(n >= 1 && n <= 4000 + 40 + 1);
    char *text = test_read_file(out);
    CHECK(text != NULL);
    if (text)
        CHECK_INT(test_count_lines(text), n);
    free(text);
    test_run_free(&r);
}

static void test_log_usage(void)
{
    CHECK_CLI(TEST_LIST("log", "--duration", "1"), 2, NULL, TEST_LIST("--out"));
    CHECK_CLI(TEST_LIST("log", "--out", "x", "--source", "ina"), 2, NULL, NULL);
    const char *bad_intervals[] = {"-5", "nan", "inf", "1e10", "5us", ""};
    for (int i = 0; i < 6; i++) {
        CHECK_CLI(TEST_LIST("log", "--out", "x", "--interval-us", bad_intervals[i]), 2, NULL,
                  TEST_LIST("--interval-us"));
    }
    CHECK_CLI(TEST_LIST("log", "--out", "x", "--duration", "0"), 2, NULL, NULL);
    const char *cmds[] = {"log", "idle", "run", "sensors"};
    for (int i = 0; i < 4; i++) {
        CHECK_CLI(TEST_LIST(cmds[i], "--help"), 0, TEST_LIST("usage: wattprof"), NULL);
    }
}

/* Interrupted logging: every sample the summary counts is in the file. */
static void interrupt_log(int sig)
{
    const char *root = orin_root();
    const char *dir = test_tmpdir();
    const char *out = test_path(dir, "int.log");
    const char *errp = test_path(test_tmpdir(), "stderr.txt");
    pid_t pid = spawn_cli((const char *[]){"log", "--sysfs-root", root, "--out", out, NULL}, errp);
    CHECK(wait_streaming(dir, "int.log"));
    kill(pid, sig);
    CHECK_INT(wait_status(pid), 0);
    char *err = test_read_file(errp), *text = test_read_file(out);
    CHECK(text != NULL);
    if (text && err) {
        CHECK(summary_samples(err) > 0);
        CHECK_INT(test_count_lines(text), summary_samples(err));
    }
    CHECK_INT(test_count_entries(dir, ".int.log"), 0);
    free(err);
    free(text);
}

/* A logger stopped (SIGSTOP) for 300 ms restarts its schedule when it
 * runs again instead of taking the missed 300 samples back to back. */
static void test_log_stall_restarts_schedule(void)
{
    const char *root = orin_root();
    const char *dir = test_tmpdir();
    const char *out = test_path(dir, "stall.log");
    const char *errp = test_path(test_tmpdir(), "stderr.txt");
    pid_t pid =
        spawn_cli((const char *[]){"log", "--sysfs-root", root, "--out", out, "--interval-us", "1000", NULL}, errp);
    CHECK(wait_streaming(dir, "stall.log"));
    kill(pid, SIGSTOP);
    usleep(300000);
    kill(pid, SIGCONT);
    usleep(200000);
    kill(pid, SIGINT);
    CHECK_INT(wait_status(pid), 0);
    char *text = test_read_file(out);
    CHECK(text != NULL);
    if (!text)
        return;
    /* Find the stall, then count the samples of the next 20 ms. */
    int64_t prev = 0, gap_end = 0, t;
    int after = -1;
    for (char *p = text; *p; p = strchr(p, '\n') + 1) {
        if (wp_ts_parse(p, 24, &t) < 0)
            break;
        if (!gap_end && prev && t - prev >= 250000) {
            gap_end = t;
            after = 0;
        }
        if (gap_end && t - gap_end < 20000)
            after++;
        prev = t;
    }
    CHECK(gap_end != 0);
    CHECK(after >= 1 && after <= 100); /* a catch-up burst would be ~300 */
    free(text);
}

static void test_log_signals(void)
{
    interrupt_log(SIGINT);
    interrupt_log(SIGTERM);
}

static void test_log_sensor_fails(void)
{
    const char *root = orin_root();
    const char *dir = test_tmpdir();
    const char *out = test_path(dir, "f.log");
    const char *errp = test_path(test_tmpdir(), "stderr.txt");
    pid_t pid = spawn_cli((const char *[]){"log", "--sysfs-root", root, "--out", out, NULL}, errp);
    CHECK(wait_streaming(dir, "f.log"));
    fake_set_text(test_path(root, "bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1/curr3_input"), "garbage");
    CHECK_INT(wait_status(pid), 1);
    char *err = test_read_file(errp), *text = test_read_file(out);
    CHECK_CONTAINS(err, "curr3_input: not a number: \"garbage\"");
    CHECK(text != NULL);
    if (text && err) {
        CHECK(summary_samples(err) > 0);
        CHECK_INT(test_count_lines(text), summary_samples(err));
    }
    free(err);
    free(text);
}

static void test_run_exit_codes(void)
{
    const char *root = orin_root();
    const char *res = test_tmpdir();
    test_run_result r = test_run_cli((const char *[]){"run", "--sysfs-root", root, "--result-dir", res, "--model",
                                                      "resnet18", "--", "sh", "-c", "sleep 0.1; exit 7", NULL});
    CHECK_INT(r.status, 7);
    const char *log = test_path(res, "resnet18/resnet18_power_log.log");
    char *text = test_read_file(log);
    CHECK(text != NULL);
    if (text) {
        CHECK(summary_samples(r.err) > 0);
        CHECK_INT(test_count_lines(text), summary_samples(r.err));
    }
    free(text);
    test_run_free(&r);

    r = test_run_cli(
        (const char *[]){"run", "--sysfs-root", root, "--result-dir", res, "--model", "m0", "--", "true", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    /* Killed by a signal: 128 + N, as a shell reports it. */
    r = test_run_cli((const char *[]){"run", "--sysfs-root", root, "--result-dir", res, "--model", "m1", "--", "sh",
                                      "-c", "kill -KILL $$", NULL});
    CHECK_INT(r.status, 128 + SIGKILL);
    test_run_free(&r);
    /* Cannot start: 127, and no log left. */
    r = test_run_cli((const char *[]){"run", "--sysfs-root", root, "--result-dir", res, "--model", "m2", "--",
                                      "/nonexistent/command", NULL});
    CHECK_INT(r.status, 127);
    CHECK_CONTAINS(r.err, "cannot run '/nonexistent/command'");
    CHECK(!test_file_exists(test_path(res, "m2/m2_power_log.log")));
    test_run_free(&r);
    /* No sensor: nothing is run. */
    const char *marker = test_path(res, "ran");
    char script[1200];
    snprintf(script, sizeof script, "touch %s", marker);
    r = test_run_cli((const char *[]){"run", "--sysfs-root", test_tmpdir(), "--source", "ina3221", "--result-dir", res,
                                      "--model", "m3", "--", "sh", "-c", script, NULL});
    CHECK_INT(r.status, 1);
    CHECK(!test_file_exists(marker));
    test_run_free(&r);
    /* A result folder longer than the system's path limit: one line naming it and why, nothing run. */
    size_t n = strlen(res);
    char *deep = malloc(n + 5000);
    memcpy(deep, res, n);
    for (size_t i = n; i < n + 4800; i += 100) {
        deep[i] = '/';
        memset(deep + i + 1, 'd', 99);
    }
    deep[n + 4800] = '\0';
    r = test_run_cli((const char *[]){"run", "--sysfs-root", root, "--result-dir", deep, "--model", "m5", "--", "sh",
                                      "-c", script, NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, res);
    CHECK_CONTAINS(r.err, "path too long");
    CHECK_INT(test_count_lines(r.err), 1);
    CHECK(!test_file_exists(marker));
    test_run_free(&r);
    free(deep);
    CHECK_CLI(TEST_LIST("run", "--result-dir", res, "--model", "a/b", "--", "true"), 2, NULL, NULL);
    CHECK_CLI(TEST_LIST("run", "--result-dir", res, "--model", "m4"), 2, NULL, NULL);
}

/* SIGTERM sent to wattprof run reaches the command, which decides how to
 * end; logging goes on until it has. */
static void test_run_forwards_signal(void)
{
    const char *root = orin_root();
    const char *res = test_tmpdir();
    const char *ready = test_path(res, "ready");
    char script[1400];
    snprintf(script, sizeof script, "trap 'exit 42' TERM; touch %s; while :; do sleep 0.01; done", ready);
    const char *errp = test_path(test_tmpdir(), "stderr.txt");
    pid_t pid = spawn_cli((const char *[]){"run", "--sysfs-root", root, "--result-dir", res, "--model", "loop", "--",
                                           "sh", "-c", script, NULL},
                          errp);
    CHECK(wait_file(ready));
    kill(pid, SIGTERM);
    CHECK_INT(wait_status(pid), 42);
    char *err = test_read_file(errp), *text = test_read_file(test_path(res, "loop/loop_power_log.log"));
    CHECK(text != NULL);
    if (text && err)
        CHECK_INT(test_count_lines(text), summary_samples(err));
    free(err);
    free(text);
}

static void test_idle(void)
{
    const char *root = orin_root();
    const char *res = test_path(test_tmpdir(), "results/nested");
    test_run_result r =
        test_run_cli((const char *[]){"idle", "--sysfs-root", root, "--duration", "0.1", "--result-dir", res, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "average idle power: 12057600.0 uW");
    test_run_free(&r);
    json_error_t je;
    json_t *doc = json_load_file(test_path(res, "idling_power.json"), 0, &je);
    CHECK(doc != NULL);
    if (doc) {
        /* The original's mean of mV x mA, in microwatts. */
        CHECK_NEAR(json_number_value(json_object_get(doc, "avg_idle_power")), 5024.0 * 2400, 1e-12);
        const char *ts = json_string_value(json_object_get(doc, "timestamp"));
        CHECK(ts && strlen(ts) == 15 && ts[8] == '-');
        CHECK_INT(json_object_size(doc), 2);
        json_decref(doc);
    }
    /* A hwmon rail (power only) gives the same microwatts. */
    const char *root2 = test_tmpdir();
    fake_hwmon_power(root2, "hwmon0", "acpi_power", 3500000);
    CHECK_CLI(TEST_LIST("idle", "--sysfs-root", root2, "--duration", "0.05", "--result-dir", res), 0,
              TEST_LIST("average idle power: 3500000.0 uW"), NULL);
    /* A broken sensor: error, and the previous file is untouched. */
    char *before = test_read_file(test_path(res, "idling_power.json"));
    fake_set_text(test_path(root2, "class/hwmon/hwmon0/power1_input"), "??");
    r = test_run_cli((const char *[]){"idle", "--sysfs-root", root2, "--duration", "0.05", "--result-dir", res, NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "power1_input: not a number");
    char *after = test_read_file(test_path(res, "idling_power.json"));
    CHECK_STR(after, before);
    free(before);
    free(after);
    test_run_free(&r);
    CHECK_CLI(TEST_LIST("idle", "--duration", "1"), 2, NULL, NULL);
}

int main(void)
{
    test_sensors();
    test_sensors_agx_orin();
    test_log_duration();
#ifdef WATTPROF_FAKE_NVML
    test_log_nvml_fake();
#endif
    test_log_usage();
    test_log_fractional_interval();
    test_log_stall_restarts_schedule();
    test_log_signals();
    test_log_sensor_fails();
    test_run_exit_codes();
    test_run_forwards_signal();
    test_idle();
    return test_summary();
}
