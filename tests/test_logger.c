/* logger: sampling on fake sysfs trees while another thread changes the
 * values, sensor failures mid-run, the bounded buffer, summaries. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/power/logger_format.h"
#include "fake_sysfs.h"
#include "testutil.h"
#include "wattprof/logger.h"
#include "wattprof/powerlog.h"
#include "wattprof/timestamp.h"

typedef struct parsed_log {
    size_t n;
    int64_t *t;
    double *mv, *ma;
    int bad_line;  /* first malformed line (1-based), 0 if none */
    int backwards; /* timestamps going backwards */
} parsed_log;

static void parse_log(const char *path, parsed_log *pl)
{
    memset(pl, 0, sizeof *pl);
    char *text = test_read_file(path);
    if (!text) {
        pl->bad_line = -1;
        return;
    }
    size_t cap = 1024;
    pl->t = malloc(cap * sizeof *pl->t);
    pl->mv = malloc(cap * sizeof *pl->mv);
    pl->ma = malloc(cap * sizeof *pl->ma);
    int line = 0;
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        line++;
        if (!nl) {
            pl->bad_line = line; /* every line ends with a newline */
            break;
        }
        *nl = '\0';
        char *c1 = strchr(p, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        char *e1, *e2;
        int64_t t;
        double mv = c2 ? strtod(c1 + 1, &e1) : 0, ma = c2 ? strtod(c2 + 1, &e2) : 0;
        if (!c2 || c1 - p != 24 || wp_ts_parse(p, 24, &t) < 0 || e1 != c2 || *e2 || !e2[-1]) {
            if (!pl->bad_line)
                pl->bad_line = line;
        } else {
            if (pl->n == cap) {
                cap *= 2;
                pl->t = realloc(pl->t, cap * sizeof *pl->t);
                pl->mv = realloc(pl->mv, cap * sizeof *pl->mv);
                pl->ma = realloc(pl->ma, cap * sizeof *pl->ma);
            }
            if (pl->n && t < pl->t[pl->n - 1])
                pl->backwards++;
            pl->t[pl->n] = t;
            pl->mv[pl->n] = mv;
            pl->ma[pl->n] = ma;
            pl->n++;
        }
        p = nl + 1;
    }
    free(text);
}

static void free_log(parsed_log *pl)
{
    free(pl->t);
    free(pl->mv);
    free(pl->ma);
}

/* Waits (without any timing assertion) until the logger has taken `target`
 * samples; gives up after 20 s so a broken logger fails instead of hanging. */
static int wait_samples(wp_logger *lg, uint64_t target)
{
    for (int i = 0; i < 20000; i++) {
        if (wp_logger_samples(lg) >= target)
            return 1;
        usleep(1000);
    }
    return 0;
}

static wp_logger *start(const char *root, wp_source_kind kind, const char *rail, const char *out, wp_error *err)
{
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.sensor.sysfs_root = root;
    o.sensor.source = kind;
    o.sensor.rail = rail;
    o.out_path = out;
    wp_logger *lg = wp_logger_open(&o, err);
    if (lg && wp_logger_start(lg, err) < 0) {
        wp_logger_free(lg);
        return NULL;
    }
    return lg;
}

/* Stops a background logger (expecting `rc`), frees it, and checks its
 * log is well formed and holds exactly the samples the summary counts. */
static void join_and_parse(wp_logger *lg, const char *out, int rc, wp_error *err, wp_logger_summary *sum,
                           parsed_log *pl)
{
    CHECK_INT(wp_logger_join(lg, err), rc);
    wp_logger_get_summary(lg, sum);
    wp_logger_free(lg);
    parse_log(out, pl);
    CHECK_INT(pl->bad_line, 0);
    CHECK_INT(pl->n, sum->samples);
}

/* Logs a rail while `file` changes from one value to another; the log
 * must hold exactly the samples counted, the old power then the new. */
static void log_while_changing(const char *root, wp_source_kind kind, const char *rail, const char *file,
                               long long new_value, double old_uw, double new_uw)
{
    const char *out = test_path(test_tmpdir(), "power.log");
    wp_error err;
    wp_logger *lg = start(root, kind, rail, out, &err);
    CHECK(lg != NULL);
    if (!lg) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(wait_samples(lg, 200));
    fake_set(file, new_value);
    uint64_t at_change = wp_logger_samples(lg);
    CHECK(wait_samples(lg, at_change + 200));
    wp_logger_summary sum;
    parsed_log pl;
    join_and_parse(lg, out, 0, &err, &sum, &pl);
    CHECK_INT(pl.backwards, 0);
    CHECK(pl.n >= 400);
    if (pl.n >= 2) {
        CHECK_NEAR(pl.mv[0] * pl.ma[0], old_uw, 1e-12);
        CHECK_NEAR(pl.mv[pl.n - 1] * pl.ma[pl.n - 1], new_uw, 1e-12);
        CHECK_INT(pl.t[0], sum.first_us);
        CHECK_INT(pl.t[pl.n - 1], sum.last_us);
        /* Exactly one switch from the old value to the new one. */
        int switches = 0;
        double sum_uw = 0;
        for (size_t i = 0; i < pl.n; i++) {
            double p = pl.mv[i] * pl.ma[i];
            sum_uw += p;
            if (i && p != pl.mv[i - 1] * pl.ma[i - 1])
                switches++;
        }
        CHECK_INT(switches, 1);
        CHECK_NEAR(sum.mean_power_uw, sum_uw / (double)pl.n, 1e-9);
    }
    CHECK(sum.duration_s > 0);
    CHECK(sum.largest_gap_us >= 0);
    /* The mapper's reader takes the file as it is. */
    wp_powerlog log;
    CHECK_INT(wp_powerlog_read(out, &log, &err), 0);
    CHECK_INT(log.n, sum.samples);
    if (log.n && pl.n == log.n)
        CHECK_NEAR(log.samples[0].power_uw, old_uw, 1e-12);
    wp_powerlog_free(&log);
    free_log(&pl);
}

static const char *const orin_labels[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VDD_IN"};
static const long orin_mv[3] = {5008, 5016, 5024};
static const long orin_ma[3] = {1200, 800, 2400};

static void test_layouts_while_changing(void)
{
    const char *root = test_tmpdir();
    const char *dir = fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    char file[1100];
    snprintf(file, sizeof file, "%s/curr3_input", dir);
    log_while_changing(root, WP_SOURCE_AUTO, NULL, file, 3000, 5024.0 * 2400, 5024.0 * 3000);

    root = test_tmpdir();
    const char *const labels[3] = {"POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"};
    const long mv[3] = {5096, 5080, 5072}, ma[3] = {1392, 80, 320};
    dir = fake_ina_iio(root, "6-0040", 0, labels, mv, ma);
    snprintf(file, sizeof file, "%s/in_voltage1_input", dir);
    log_while_changing(root, WP_SOURCE_INA3221, "POM_5V_GPU", file, 4000, 5080.0 * 80, 4000.0 * 80);

    /* AGX Orin: a rail of the second monitor (1-0041), by label. */
    root = test_tmpdir();
    const char *const agx_40[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"};
    const char *const agx_41[3] = {"NC", "VDDQ_VDD2_1V8AO", NULL};
    const long mv41[3] = {0, 1800, 0}, ma41[3] = {0, 330, 0};
    fake_ina_hwmon(root, "1-0040", "hwmon2", agx_40, orin_mv, orin_ma);
    dir = fake_ina_hwmon(root, "1-0041", "hwmon3", agx_41, mv41, ma41);
    snprintf(file, sizeof file, "%s/curr2_input", dir);
    log_while_changing(root, WP_SOURCE_INA3221, "VDDQ_VDD2_1V8AO", file, 410, 1800.0 * 330, 1800.0 * 410);

    root = test_tmpdir();
    dir = fake_hwmon_power(root, "hwmon3", "acpi_power", 7500000);
    snprintf(file, sizeof file, "%s/power1_input", dir);
    log_while_changing(root, WP_SOURCE_HWMON, "1", file, 9000000, 7500000, 9000000);
}

static void test_rapl_while_counting(void)
{
    const char *root = test_tmpdir();
    const long long max_range = 65535;
    char file[1100];
    snprintf(file, sizeof file, "%s/energy_uj", fake_rapl(root, "intel-rapl:0", "package-0", 60000, max_range));
    const char *out = test_path(test_tmpdir(), "rapl.log");
    wp_error err;
    wp_logger *lg = start(root, WP_SOURCE_RAPL, NULL, out, &err);
    CHECK(lg != NULL);
    if (!lg)
        return;
    /* The counter climbs by 500 uJ per step and wraps past 65535 several
     * times; every sample must still be a positive power. */
    long long v = 60000;
    for (int i = 0; i < 600; i++) {
        uint64_t before = wp_logger_samples(lg);
        v = (v + 500) % (max_range + 1);
        fake_set(file, v);
        /* Let the sampler see every value, so no step is skipped. */
        for (int k = 0; k < 2000 && wp_logger_samples(lg) == before; k++)
            usleep(100);
    }
    wp_logger_summary sum;
    parsed_log pl;
    join_and_parse(lg, out, 0, &err, &sum, &pl);
    CHECK(pl.n >= 590);
    int nonpositive = 0;
    for (size_t i = 0; i < pl.n; i++)
        if (!(pl.mv[i] * pl.ma[i] > 0) || pl.mv[i] != 1000)
            nonpositive++;
    CHECK_INT(nonpositive, 0);
    free_log(&pl);
}

/* The sensor breaks mid-run: the error names the file, the samples taken
 * so far are all in the log. */
static void fail_mid_run(int vanish)
{
    const char *root = test_tmpdir();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma));
    const char *outdir = test_tmpdir();
    const char *out = test_path(outdir, "broken.log");
    wp_error err;
    wp_logger *lg = start(root, WP_SOURCE_INA3221, "VDD_IN", out, &err);
    CHECK(lg != NULL);
    if (!lg)
        return;
    CHECK(wait_samples(lg, 500));
    if (vanish)
        unlink(test_path(dir, "in3_input"));
    else
        fake_set_text(test_path(dir, "in3_input"), "N/A");
    /* The logger stops by itself on the error. */
    for (int i = 0; i < 20000 && !wp_logger_finished(lg); i++)
        usleep(1000);
    CHECK(wp_logger_finished(lg));
    wp_logger_summary sum;
    parsed_log pl;
    join_and_parse(lg, out, -1, &err, &sum, &pl);
    CHECK_CONTAINS(err.msg, "in3_input");
    CHECK_CONTAINS(err.msg, vanish ? "vanished" : "not a number: \"N/A\"");
    CHECK(pl.n >= 500);
    int other = 0;
    for (size_t i = 0; i < pl.n; i++)
        if (pl.mv[i] != 5024 || pl.ma[i] != 2400)
            other++;
    CHECK_INT(other, 0);
    CHECK_INT(test_count_entries(outdir, ".broken.log"), 0);
    CHECK_INT(test_count_entries(outdir, "broken.log"), 1);
    free_log(&pl);
}

static void test_fail_mid_run(void)
{
    fail_mid_run(0);
    fail_mid_run(1);
}

/* Opens a logger with o and runs it to its end in the foreground (both
 * checked), its summary in sum; the caller frees it. NULL, with the failure
 * recorded, when it does not open. */
static wp_logger *run_foreground(const wp_logger_options *o, wp_logger_summary *sum, wp_error *err)
{
    wp_logger *lg = wp_logger_open(o, err);
    CHECK(lg != NULL);
    if (!lg)
        return NULL;
    CHECK_INT(wp_logger_run(lg, err), 0);
    wp_logger_get_summary(lg, sum);
    return lg;
}

static void test_small_buffer_and_interval(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    const char *out = test_path(test_tmpdir(), "small.log");
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.sensor.sysfs_root = root;
    o.out_path = out;
    o.buffer_blocks = 2; /* the sampler may wait for the writer, never drop */
    o.duration_s = 0.2;
    wp_error err;
    wp_logger_summary sum;
    wp_logger *lg = run_foreground(&o, &sum, &err);
    if (!lg)
        return;
    CHECK_INT(wp_logger_run(lg, &err), -1); /* once only */
    wp_logger_free(lg);
    parsed_log pl;
    parse_log(out, &pl);
    CHECK_INT(pl.bad_line, 0);
    CHECK_INT(pl.n, sum.samples);
    CHECK(pl.n > 0);
    CHECK_NEAR(sum.mean_power_uw, 5024.0 * 2400, 1e-12);
    free_log(&pl);

    /* With an interval, consecutive samples are at least that far apart
     * (the sampler never bursts to catch up). */
    o.buffer_blocks = 0;
    o.interval_us = 2000;
    o.duration_s = 0.05;
    lg = run_foreground(&o, &sum, &err);
    if (!lg)
        return;
    wp_logger_free(lg);
    parse_log(out, &pl);
    CHECK_INT(pl.n, sum.samples);
    CHECK(pl.n >= 1 && pl.n <= 26);
    free_log(&pl);
}

static void test_statistics_only(void)
{
    const char *root = test_tmpdir();
    fake_hwmon_power(root, "hwmon0", "acpi_power", 4200000);
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.sensor.sysfs_root = root;
    o.duration_s = 0.05;
    wp_error err;
    wp_logger_summary sum;
    wp_logger *lg = run_foreground(&o, &sum, &err);
    if (!lg)
        return;
    CHECK(sum.samples > 0);
    CHECK_NEAR(sum.mean_power_uw, 4200000, 1e-12);
    CHECK_NEAR(sum.mean_rate_hz, (double)sum.samples / sum.duration_s, 1e-12);
    wp_logger_free(lg);
}

static void test_open_errors(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.sensor.sysfs_root = root;
    o.out_path = test_path(root, "no/such/dir/x.log");
    wp_error err;
    CHECK(wp_logger_open(&o, &err) == NULL);
    CHECK_CONTAINS(err.msg, "x.log");
    o.out_path = NULL;
    o.sensor.rail = "VDD_XYZ";
    CHECK(wp_logger_open(&o, &err) == NULL);
    CHECK_CONTAINS(err.msg, "VDD_XYZ");
    /* A sensor that fails on its first read leaves no file behind. */
    o.sensor.rail = NULL;
    const char *out = test_path(test_tmpdir(), "none.log");
    o.out_path = out;
    test_write_file(test_path(root, "bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1/curr3_input"), "x\n");
    wp_logger *lg = wp_logger_open(&o, &err);
    CHECK(lg != NULL);
    if (lg) {
        CHECK_INT(wp_logger_run(lg, &err), -1);
        CHECK_CONTAINS(err.msg, "curr3_input");
        wp_logger_free(lg);
    }
    CHECK(!test_file_exists(out));
}

/* The logger's fast formatter writes exactly what the powerlog module
 * would, for sensor-like values and for arbitrary doubles. */
static void test_format_matches_powerlog(void)
{
    char a[WP_POWERLOG_LINE_MAX], b[WP_POWERLOG_LINE_MAX];
    int64_t t = 1732166570156286LL;
    wp_line_cache cache;
    wp_line_cache_init(&cache);
    const double fixed[] = {0,    1,    -1,   5000, 2400, 123.456, 0.001,  0.01,   0.1,     15250,  999999999999.999,
                            1e12, 1e15, 1e16, 1e-5, -0.0, 0.5,     4012.8, 1.0005, 3.14159, -123.4, 7500.25};
    int bad = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        size_t na = wp_logger_format_line(&cache, a, t, fixed[i], 1000.0);
        size_t nb = wp_powerlog_format_line(b, t, fixed[i], 1000.0);
        if (na != nb || strcmp(a, b) != 0) {
            bad++;
            fprintf(stderr, "%.17g: fast \"%s\" vs \"%s\"", fixed[i], a, b);
        }
    }
    srand(12345);
    for (int i = 0; i < 200000; i++) {
        double v;
        long long k = ((long long)rand() << 16) ^ rand();
        switch (i % 4) {
        case 0: v = (double)(k % 100000); break;             /* mV, mA */
        case 1: v = (double)(k % 100000000) / 1000.0; break; /* uW / 1000 */
        case 2: v = (double)k / 1000.0 * ((k & 1) ? -1 : 1); break;
        default: v = (double)rand() / RAND_MAX * pow(10, rand() % 20 - 6); break;
        }
        wp_logger_format_line(&cache, a, t, v, v / 7);
        wp_powerlog_format_line(b, t, v, v / 7);
        if (strcmp(a, b) != 0 && bad++ < 5)
            fprintf(stderr, "fast \"%s\" vs \"%s\"", a, b);
    }
    CHECK_INT(bad, 0);
}

/* ... and across second, minute and day boundaries, with stamps jumping
 * back and forth (the prefix cache), for sensor-like and odd values. */
static void test_cached_format_matches_powerlog(void)
{
    char a[WP_POWERLOG_LINE_MAX], b[WP_POWERLOG_LINE_MAX];
    wp_line_cache cache;
    wp_line_cache_init(&cache);
    int64_t t = 1732233599000000LL - 3000; /* 3 ms before midnight */
    const double values[] = {5024, 2400, 0,    -0.0,   123.456, 1e15, 9007199254740992.0, 9007199254740993.0,
                             -7,   0.1,  1e-7, 4012.8, 65535,   1e300};
    int bad = 0;
    srand(777);
    for (int i = 0; i < 100000; i++) {
        /* Mostly microseconds apart, sometimes a jump (forward or back). */
        t += (i % 997 == 0) ? (int64_t)(rand() % 5000000) - 2000000 : 1 + rand() % 3;
        double mv = (i % 3) ? (double)(rand() % 20000) : values[(size_t)i % (sizeof values / sizeof *values)];
        double ma = (i % 5) ? (double)(rand() % 5000) : (double)rand() / 1000.0;
        size_t na = wp_logger_format_line(&cache, a, t, mv, ma);
        size_t nb = wp_powerlog_format_line(b, t, mv, ma);
        if ((na != nb || strcmp(a, b) != 0) && bad++ < 5)
            fprintf(stderr, "cached \"%s\" vs \"%s\"", a, b);
    }
    CHECK_INT(bad, 0);
}

/* While logging, the samples reach the temporary file within a few tens
 * of milliseconds: a crash (SIGKILL, power cut) now would keep them. Only
 * an eventual property is checked, with a generous limit. */
static void test_streams_while_running(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    const char *outdir = test_tmpdir();
    const char *out = test_path(outdir, "live.log");
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.sensor.sysfs_root = root;
    o.out_path = out;
    o.interval_us = 1000; /* a block takes 2 s to fill at this rate */
    wp_error err;
    wp_logger *lg = wp_logger_open(&o, &err);
    CHECK(lg != NULL);
    if (!lg)
        return;
    CHECK_INT(wp_logger_start(lg, &err), 0);
    CHECK(wait_samples(lg, 5));
    char tmp[2048];
    CHECK(test_find_entry(outdir, ".live.log.tmp", tmp, sizeof tmp));
    int lines = 0;
    for (int i = 0; i < 10000 && lines == 0; i++) {
        char *text = test_read_file(tmp);
        lines = text ? test_count_lines(text) : 0;
        if (text && lines)
            CHECK_CONTAINS(text, ",5024.0,2400.0\n");
        free(text);
        if (!lines)
            usleep(1000);
    }
    CHECK(lines > 0);
    /* Lines showed up long before a first block (about 1,985 lines) could
     * fill: they were flushed for their age, not their number. */
    CHECK(wp_logger_samples(lg) < 1500);
    wp_logger_summary sum;
    parsed_log pl;
    join_and_parse(lg, out, 0, &err, &sum, &pl);
    CHECK(pl.n >= (size_t)lines);
    free_log(&pl);
}

/* The writer thread gives itself a private descriptor table holding only
 * the log: the caller's descriptors must be untouched, whether the logger
 * runs in the caller's thread or in the background. */
static void test_callers_descriptors_untouched(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    for (int background = 0; background < 2; background++) {
        int fds[2];
        CHECK_INT(pipe(fds), 0);
        wp_logger_options o;
        wp_logger_options_init(&o);
        o.sensor.sysfs_root = root;
        o.out_path = test_path(test_tmpdir(), "fd.log");
        o.duration_s = 0.05;
        wp_error err;
        wp_logger *lg = wp_logger_open(&o, &err);
        CHECK(lg != NULL);
        if (!lg)
            return;
        if (background) {
            CHECK_INT(wp_logger_start(lg, &err), 0);
            CHECK(wait_samples(lg, 100));
            CHECK_INT(write(fds[1], "x", 1), 1); /* while the writer runs */
            CHECK_INT(wp_logger_join(lg, &err), 0);
        } else {
            CHECK_INT(wp_logger_run(lg, &err), 0);
            CHECK_INT(write(fds[1], "x", 1), 1);
        }
        wp_logger_free(lg);
        CHECK_INT(write(fds[1], "y", 1), 1);
        char buf[3] = "";
        CHECK_INT(read(fds[0], buf, 2), 2);
        CHECK(memcmp(buf, "xy", 2) == 0);
        CHECK(fcntl(fds[0], F_GETFD) >= 0);
        close(fds[0]);
        close(fds[1]);
    }
}

/* Threads that keep every core busy, so the sampler is preempted between
 * its clock reads (where the stamps used to step back by a few us). */
static atomic_int spin_stop;

static void *spin_main(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
        x += (uint64_t)wp_ts_now_local();
    (void)x; /* clang: a volatile only written reads as unused */
    return NULL;
}

/* At the default interval (0, as fast as the sensor allows) on a loaded
 * machine, the stamps never go backwards and the mapper's reader takes the
 * log. No timing is asserted: only the order of the stamps. */
static void test_monotone_under_load(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    const char *out = test_path(test_tmpdir(), "load.log");
    pthread_t spin[4];
    atomic_store(&spin_stop, 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&spin[i], NULL, spin_main, NULL);
    wp_error err;
    wp_logger *lg = start(root, WP_SOURCE_AUTO, NULL, out, &err);
    CHECK(lg != NULL);
    if (lg) {
        CHECK(wait_samples(lg, 300000));
        wp_logger_summary sum;
        parsed_log pl;
        join_and_parse(lg, out, 0, &err, &sum, &pl);
        CHECK_INT(pl.backwards, 0);
        CHECK_INT(sum.clock_steps, 0);
        wp_powerlog log;
        CHECK_INT(wp_powerlog_read(out, &log, &err), 0);
        wp_powerlog_free(&log);
        free_log(&pl);
    }
    atomic_store(&spin_stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(spin[i], NULL);
}

/* A wall-clock step while logging, back and then forward: the stamps keep
 * their time base (no jump either way, never backwards) and the summary
 * counts the steps, the largest first. */
static void test_clock_step(void)
{
    const char *root = test_tmpdir();
    fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma);
    const char *out = test_path(test_tmpdir(), "step.log");
    wp_error err;
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.sensor.sysfs_root = root;
    o.out_path = out;
    o.interval_us = 100;
    wp_logger *lg = wp_logger_open(&o, &err);
    CHECK(lg != NULL);
    if (!lg || wp_logger_start(lg, &err) < 0) {
        wp_logger_free(lg);
        return;
    }
    CHECK(wait_samples(lg, 100));
    int64_t before = wp_ts_now_local();
    wp__logger_test_step_clock(-4000000000LL); /* 4 s back */
    CHECK(wait_samples(lg, wp_logger_samples(lg) + 100));
    wp__logger_test_step_clock(10000000000LL); /* then 10 s ahead: 6 s ahead of the truth */
    CHECK(wait_samples(lg, wp_logger_samples(lg) + 100));
    wp_logger_summary sum;
    parsed_log pl;
    join_and_parse(lg, out, 0, &err, &sum, &pl);
    wp__logger_test_step_clock(-6000000000LL); /* the truth again, for later tests */
    CHECK_INT(pl.backwards, 0);
    CHECK_INT(sum.clock_steps, 2);
    CHECK(llabs(sum.largest_clock_step_us - 10000000) < 100000);
    CHECK(sum.first_clock_step_us >= before - 1000000);
    /* Neither step shows in the stamps: back would be backwards, ahead a
     * gap of 10 s. */
    CHECK(sum.largest_gap_us < 5e6);
    free_log(&pl);
}

int main(void)
{
    test_monotone_under_load();
    test_clock_step();
    test_format_matches_powerlog();
    test_cached_format_matches_powerlog();
    test_streams_while_running();
    test_callers_descriptors_untouched();
    test_layouts_while_changing();
    test_rapl_while_counting();
    test_fail_mid_run();
    test_small_buffer_and_interval();
    test_statistics_only();
    test_open_errors();
    return test_summary();
}
