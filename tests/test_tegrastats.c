/* tegrastats logs of each era as power logs: JetPack 4 (no timestamps,
 * POM_5V_IN / VDD_IN without units), JetPack 5 (AGX Orin rails) and 6
 * (Orin Nano, "VDD_IN 5000mW/5000mW"), rail by name, line times from
 * whole-second stamps, errors with file and line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_fixture.h"
#include "testutil.h"
#include "wattprof/mapper.h"
#include "wattprof/simulate.h"
#include "wattprof/tegrastats.h"
#include "wattprof/timestamp.h"

static const char *NANO_JP4 =
    "RAM 1925/3956MB (lfb 114x4MB) SWAP 0/1978MB (cached 0MB) CPU [12%@1479,8%@1479,off,off] EMC_FREQ 0% "
    "GR3D_FREQ 0% PLL@25C CPU@28C PMIC@100C GPU@26.5C AO@33C thermal@27.25C POM_5V_IN %d/%d POM_5V_GPU 0/0 "
    "POM_5V_CPU 415/415\n";
static const char *TX2_JP4 = "RAM 2012/7846MB (lfb 1212x4MB) CPU [3%@345,off,off,2%@345,1%@345,0%@345] "
                             "EMC_FREQ 0%@1866 GR3D_FREQ 0%@114 APE 150 BCPU@33C MCPU@33C GPU@31C "
                             "VDD_IN %d/%d VDD_SYS_GPU 152/152 VDD_SYS_SOC 610/610\n";
static const char *AGX_ORIN_JP5 =
    "%s RAM 2131/30536MB (lfb 6474x4MB) SWAP 0/15268MB (cached 0MB) CPU [1%@729,0%@729,off,off] EMC_FREQ 0%@2133 "
    "GR3D_FREQ 0%@[0,0] VIC_FREQ 729 APE 174 CV0@-256C CPU@48.5C SOC2@45.1C VDD_GPU_SOC 3990mW/3990mW "
    "VDD_CPU_CV 798mW/798mW VIN_SYS_5V0 %dmW/%dmW VDDQ_VDD2_1V8AO 404mW/404mW\n";
static const char *ORIN_NANO_JP6 =
    "%s RAM 3076/7620MB (lfb 2x4MB) SWAP 0/3810MB (cached 0MB) CPU [2%@1510,1%@1510,0%@1510,0%@1510,0%@729,"
    "0%@729] GR3D_FREQ 0% cpu@47.5C soc2@46.7C VDD_IN %dmW/4953mW VDD_CPU_GPU_CV 636mW/636mW "
    "VDD_SOC 1390mW/1390mW\n";

/* n lines of fmt, interval dt_ms, first at t0 (local civil us); power
 * 4000 + 10 i mW on the input rail. */
static char *make_log(const char *fmt, int stamped, int64_t t0, int n, double dt_ms)
{
    size_t cap = (size_t)n * 600 + 1, len = 0;
    char *text = malloc(cap);
    text[0] = '\0';
    for (int i = 0; i < n; i++) {
        int64_t t = t0 + (int64_t)llround(i * dt_ms * 1000);
        int64_t s = t / 1000000;
        int64_t days = s / 86400, sod = s % 86400;
        int64_t y;
        unsigned mo, d;
        wp_civil_from_days(days, &y, &mo, &d);
        char stamp[32];
        snprintf(stamp, sizeof stamp, "%02u-%02u-%04lld %02lld:%02lld:%02lld", mo, d, (long long)y,
                 (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60));
        int p = 4000 + 10 * i;
        len += (size_t)(stamped ? snprintf(text + len, cap - len, fmt, stamp, p, p)
                                : snprintf(text + len, cap - len, fmt, p, p));
    }
    return text;
}

static int64_t T0(void)
{
    /* 2024-12-01 15:04:05.350 local */
    return (wp_days_from_civil(2024, 12, 1) * 86400 + 15 * 3600 + 4 * 60 + 5) * 1000000LL + 350000;
}

/* test_tmpdir()/name holding make_log's lines; the path (test_path's). */
static const char *write_log(const char *name, const char *fmt, int stamped, int64_t t0, int n, double dt_ms)
{
    const char *p = test_path(test_tmpdir(), name);
    char *text = make_log(fmt, stamped, t0, n, dt_ms);
    test_write_file(p, text);
    free(text);
    return p;
}

/* Reads p with the default options, as each era's log must read, and checks
 * the rail picked and the number of samples; a failure names the caller's
 * line. 1 when the samples are all there to look at. */
#define READ_DEFAULT(p, log, rail, n) read_default_at(__LINE__, p, log, rail, n)
static int read_default_at(int line, const char *p, wp_powerlog *log, const char *rail_want, size_t n_want)
{
    wp_tegrastats_options o;
    wp_tegrastats_options_init(&o);
    wp_error err;
    char rail[64] = "";
    int rc = wp_tegrastats_read(p, &o, log, rail, sizeof rail, &err);
    if (rc == 0)
        test_passed++;
    else
        test_fail_at(__FILE__, line, "reading %s: %s", p, err.msg);
    if (strcmp(rail, rail_want) == 0)
        test_passed++;
    else
        test_fail_at(__FILE__, line, "rail \"%s\", expected \"%s\"", rail, rail_want);
    if (log->n == n_want)
        test_passed++;
    else
        test_fail_at(__FILE__, line, "%zu samples, expected %zu", log->n, n_want);
    return rc == 0 && log->n == n_want;
}

static void test_jp6_orin_nano(void)
{
    const char *p = write_log("jp6.log", ORIN_NANO_JP6, 1, T0(), 45, 100);
    CHECK(wp_tegrastats_sniff(p));
    wp_powerlog log;
    if (READ_DEFAULT(p, &log, "VDD_IN", 45)) {
        CHECK_NEAR(log.samples[3].power_uw, 4030e3, 0);
        /* whole-second stamps, yet each line within half an interval */
        for (size_t i = 0; i < 45; i += 11) {
            double want = (double)(T0() + (int64_t)i * 100000);
            CHECK(fabs((double)log.samples[i].t_us - want) <= 50000);
        }
    }
    wp_powerlog_free(&log);
    wp_tegrastats_options o;
    wp_tegrastats_options_init(&o);
    wp_error err;
    char rail[64];
    o.rail = "VDD_SOC";
    CHECK_INT(wp_tegrastats_read(p, &o, &log, rail, sizeof rail, &err), 0);
    CHECK(log.n > 0 && log.samples[0].power_uw == 1390e3);
    wp_powerlog_free(&log);
    o.rail = "VDD_GPU";
    CHECK_INT(wp_tegrastats_read(p, &o, &log, rail, sizeof rail, &err), -1);
    CHECK_CONTAINS(err.msg, "jp6.log:1: no rail VDD_GPU");
    CHECK_CONTAINS(err.msg, "VDD_IN, VDD_CPU_GPU_CV, VDD_SOC");
}

static void test_jp5_agx_orin(void)
{
    const char *p = write_log("jp5.log", AGX_ORIN_JP5, 1, T0(), 30, 250);
    wp_powerlog log;
    /* no VDD_IN on AGX Orin: its input rail is VIN_SYS_5V0 */
    if (READ_DEFAULT(p, &log, "VIN_SYS_5V0", 30)) {
        CHECK_NEAR(log.samples[29].power_uw, 4290e3, 0);
        CHECK(fabs((double)(log.samples[29].t_us - log.samples[0].t_us) - 29 * 250000.0) <= 29 * 250000.0 * 0.02);
    }
    wp_powerlog_free(&log);
}

static void test_jp4(void)
{
    const char *p = write_log("nano.log", NANO_JP4, 0, 0, 10, 0);
    CHECK(wp_tegrastats_sniff(p));
    wp_tegrastats_options o;
    wp_tegrastats_options_init(&o);
    wp_powerlog log;
    wp_error err;
    char rail[64];
    CHECK_INT(wp_tegrastats_read(p, &o, &log, rail, sizeof rail, &err), -1);
    CHECK_CONTAINS(err.msg, "nano.log:1: no timestamps");
    o.start_us = T0();
    o.interval_ms = 20;
    CHECK_INT(wp_tegrastats_read(p, &o, &log, rail, sizeof rail, &err), 0);
    CHECK_STR(rail, "POM_5V_IN");
    CHECK_INT(log.n, 10);
    if (log.n == 10) {
        CHECK_INT(log.samples[9].t_us, T0() + 180000);
        CHECK_NEAR(log.samples[9].power_uw, 4090e3, 0);
    }
    wp_powerlog_free(&log);

    p = write_log("tx2.log", TX2_JP4, 0, 0, 4, 0);
    CHECK_INT(wp_tegrastats_read(p, &o, &log, rail, sizeof rail, &err), 0);
    CHECK_STR(rail, "VDD_IN");
    wp_powerlog_free(&log);

    /* a damaged reading names its line */
    p = test_path(test_tmpdir(), "bad.log");
    test_write_file(p, "RAM 1/2MB CPU [1%@1] POM_5V_IN 100/100\nRAM 1/2MB CPU [1%@1] POM_5V_IN abc/100\n");
    CHECK_INT(wp_tegrastats_read(p, &o, &log, rail, sizeof rail, &err), -1);
    CHECK_CONTAINS(err.msg, "bad.log:2: rail POM_5V_IN: 'abc/100' is not a reading");
    /* a signed field is not a stamp (sscanf's %u would take "-999" as a
     * year of 4294966297, whose microseconds overflow: found by fuzzing) */
    p = test_path(test_tmpdir(), "signed.log");
    test_write_file(p, "11-21-2024 00:00:00 RAM 1/2MB VDD_IN 100mW/100mW\n"
                       "11-21--999 00:00:00 RAM 1/2MB VDD_IN 100mW/100mW\n");
    o.start_us = 0;
    o.interval_ms = 0;
    CHECK_INT(wp_tegrastats_read(p, &o, &log, rail, sizeof rail, &err), -1);
    CHECK_CONTAINS(err.msg, "signed.log:2: lacks a timestamp");
    /* not tegrastats at all */
    p = test_path(test_tmpdir(), "other.log");
    test_write_file(p, "20241121-00:00:00.000000,5000,1000\n");
    CHECK(!wp_tegrastats_sniff(p));
}

/* Maps raw into res by interpolation and checks that it went through and
 * that mapping_info.json counts n power samples, the log's own; a failure
 * names the caller's line. */
#define MAP_COUNTS(raw, res, n) map_counts_at(__LINE__, raw, res, n)
static void map_counts_at(int line, const char *raw, const char *res, size_t n)
{
    wp_map_options mo;
    wp_map_options_init(&mo);
    mo.attribution = WP_ATTRIBUTION_INTERPOLATE;
    wp_error err;
    if (wp_map_raw_dir(raw, res, &mo, NULL, &err) == 0)
        test_passed++;
    else
        test_fail_at(__FILE__, line, "mapping %s: %s", raw, err.msg);
    char *info = test_read_file(test_path(res, "net/" WP_MAPPING_INFO_JSON));
    char want[64];
    snprintf(want, sizeof want, "\"power_samples\": %zu", n);
    if (info && strstr(info, want))
        test_passed++;
    else
        test_fail_at(__FILE__, line, "mapping_info.json does not contain \"%s\": \"%s\"", want, info ? info : "(null)");
    free(info);
}

/* map takes <model>/tegrastats.log when <model>_power_log.log is absent */
static void test_map_tegrastats(void)
{
    const char *raw = test_path(test_tmpdir(), "raw");
    wp_sim_options o;
    wp_sim_options_init(&o);
    o.n_layers = 5;
    o.n_cycles = 400;
    wp_error err;
    CHECK_INT(sim_fixture_raw_net(raw, &o, &err), 0);
    wp_powerlog log;
    const char *pl = test_path(raw, "net/net_power_log.log");
    CHECK_INT(wp_powerlog_read(pl, &log, &err), 0);
    /* the same samples as a JetPack 6 tegrastats log (whole-second stamps) */
    size_t cap = log.n * 300 + 1, len = 0;
    char *text = malloc(cap);
    text[0] = '\0';
    for (size_t i = 0; i < log.n; i++) {
        int64_t s = log.samples[i].t_us / 1000000;
        int64_t y;
        unsigned mo, d;
        wp_civil_from_days(s / 86400, &y, &mo, &d);
        len += (size_t)snprintf(text + len, cap - len,
                                "%02u-%02u-%04lld %02lld:%02lld:%02lld RAM 1/2MB CPU [1%%@1] VDD_IN %.0fmW/%.0fmW\n",
                                mo, d, (long long)y, (long long)(s % 86400 / 3600), (long long)(s / 60 % 60),
                                (long long)(s % 60), log.samples[i].power_uw / 1000, log.samples[i].power_uw / 1000);
    }
    test_write_file(test_path(raw, "net/tegrastats.log"), text);
    free(text);
    /* and as JetPack 4 writes it (no stamps), in a raw folder of its own */
    const char *raw4 = test_path(test_tmpdir(), "raw4");
    CHECK_INT(sim_fixture_raw_net(raw4, &o, &err), 0);
    len = 0;
    text = malloc(cap);
    text[0] = '\0';
    for (size_t i = 0; i < log.n; i++)
        len += (size_t)snprintf(text + len, cap - len, "RAM 1/2MB CPU [1%%@1] POM_5V_IN %.0f/%.0f\n",
                                log.samples[i].power_uw / 1000, log.samples[i].power_uw / 1000);
    test_write_file(test_path(raw4, "net/tegrastats.log"), text);
    free(text);
    remove(test_path(raw4, "net/net_power_log.log"));
    char note[256], first[WP_TS_BUFSZ];
    wp_ts_format(log.samples[0].t_us, first);
    double interval_ms = (double)(log.samples[log.n - 1].t_us - log.samples[0].t_us) / (double)(log.n - 1) / 1000;
    size_t n = log.n;
    wp_powerlog_free(&log);
    {
        wp_map_options m4;
        wp_map_options_init(&m4);
        m4.attribution = WP_ATTRIBUTION_INTERPOLATE;
        CHECK_INT(wp_map_raw_dir(raw4, test_path(test_tmpdir(), "res4a"), &m4, NULL, &err), -1);
        CHECK_CONTAINS(err.msg, "net/tegrastats.log:1: no timestamps (JetPack 4's tegrastats writes none)");
        CHECK_CONTAINS(err.msg, WP_TEGRASTATS_START);
        snprintf(note, sizeof note, "{\"start\": \"%s\", \"interval_ms\": %.17g}\n", first, interval_ms);
        test_write_file(test_path(raw4, "net/" WP_TEGRASTATS_START), note);
        MAP_COUNTS(raw4, test_path(test_tmpdir(), "res4"), n);
        test_write_file(test_path(raw4, "net/" WP_TEGRASTATS_START),
                        "{\"start\": \"yesterday\", \"interval_ms\": 100}\n");
        CHECK_INT(wp_map_raw_dir(raw4, test_path(test_tmpdir(), "res4b"), &m4, NULL, &err), -1);
        CHECK_CONTAINS(err.msg, "net/" WP_TEGRASTATS_START ": \"start\" must be a time");
    }
    wp_powerlog_free(&log);
    remove(pl);
    MAP_COUNTS(raw, test_path(test_tmpdir(), "res"), n);
    /* the rail by name, from the command line */
    test_run_result r = test_run_cli((const char *[]){"map", "--raw-data-dir", raw, "--result-dir",
                                                      test_path(test_tmpdir(), "res2"), "--rail", "VDD_SOC", NULL});
    CHECK(r.status != 0);
    CHECK_CONTAINS(r.err, "tegrastats.log:1: no rail VDD_SOC in this line (rails: VDD_IN)");
    test_run_free(&r);
    CHECK_CLI(
        TEST_LIST("map", "--raw-data-dir", raw, "--result-dir", test_path(test_tmpdir(), "res3"), "--rail", "VDD_IN"),
        0, NULL, TEST_LIST("power from tegrastats.log, rail VDD_IN"));
}

int main(void)
{
    test_map_tegrastats();
    test_jp6_orin_nano();
    test_jp5_agx_orin();
    test_jp4();
    return test_summary();
}
