/* timeline: layer windows (reported, reconstructed, auto, offset) and
 * upstream's microsecond rounding. */
#include <stdlib.h>

#include "testutil.h"
#include "wattprof/timeline.h"
#include "wattprof/timestamp.h"

static void test_rounding(void)
{
    /* Python: timedelta(milliseconds=ms) in microseconds (CPython's
     * accum/delta_new: half to even on the running total). */
    struct {
        double ms;
        int64_t us;
    } cases[] = {{0.0005, 0},   {0.0015, 2},  {0.0025, 2},    {0.0035, 4},     {1.0005, 1000},
                 {1.0015, 1002}, {2.0025, 2002}, {0.0125, 12}, {12.3455, 12345}, {0.03030399978160858, 30},
                 {1e-7, 0},     {400.0, 400000}, {0.0, 0},     {1000.0, 1000000},
                 /* beyond int64 microseconds: saturates (was undefined behaviour) */
                 {1e30, INT64_MAX}, {-1e300, INT64_MIN}, {INFINITY, INT64_MAX}, {NAN, 0},
                 {1e12, 1000000000000000}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t got = wp_latency_ms_to_us(cases[i].ms);
        if (got != cases[i].us)
            test_fail_at(__FILE__, __LINE__, "ms_to_us(%.17g) = %lld, expected %lld", cases[i].ms, (long long)got,
                         (long long)cases[i].us);
        else
            test_passed++;
    }
}

/* 3 layers x 2 cycles. */
static void make_lat(wp_latency *lat, const double *ms, const int64_t *rep)
{
    memset(lat, 0, sizeof *lat);
    lat->n_layers = 3;
    lat->n_cycles = 2;
    lat->names = calloc(3, sizeof *lat->names);
    lat->latency_ms = malloc(6 * sizeof(double));
    lat->reported_us = malloc(6 * sizeof(int64_t));
    lat->lines = calloc(3, sizeof(long));
    for (int i = 0; i < 3; i++) {
        char n[8];
        snprintf(n, sizeof n, "l%d", i);
        lat->names[i] = strdup(n);
    }
    memcpy(lat->latency_ms, ms, 6 * sizeof(double));
    memcpy(lat->reported_us, rep, 6 * sizeof(int64_t));
}

#define AT(w, l, c, f) ((w).f[(l) * (w).n_cycles + (c)] + (double)(w).origin_us)

static void test_reported_and_reconstructed(void)
{
    int64_t t0;
    wp_ts_parse("20241121-00:00:01.0", 19, &t0);
    /* [layer][cycle]: layer ends stamped as they happen (reported style) */
    const double ms[6] = {0.4, 0.5, 0.8, 0.9, 0.0015, 0.0025};
    const int64_t rep[6] = {t0 + 400, t0 + 10000, t0 + 1200, t0 + 10900, t0 + 1300, t0 + 11000};
    wp_latency lat;
    make_lat(&lat, ms, rep);
    wp_timeline_options opt;
    wp_timeline_options_init(&opt);
    CHECK_INT(opt.mode, WP_TIMELINE_AUTO);
    opt.mode = WP_TIMELINE_REPORTED;
    wp_windows w;
    wp_error err;
    wp_timeline_mode chosen;
    char reason[256];
    CHECK_INT(wp_timeline_build(&lat, &opt, &w, &chosen, reason, sizeof reason, &err), 0);
    CHECK_INT(chosen, WP_TIMELINE_REPORTED);
    CHECK(AT(w, 0, 0, end_us) == (double)(t0 + 400));
    CHECK(AT(w, 0, 0, start_us) == (double)t0);
    CHECK(AT(w, 1, 1, start_us) == (double)(t0 + 10000));
    CHECK(AT(w, 2, 0, start_us) == (double)(t0 + 1300 - 2)); /* 1.5 us -> 2 */
    CHECK(AT(w, 2, 1, start_us) == (double)(t0 + 11000 - 2)); /* 2.5 us -> 2 */
    wp_windows_free(&w);

    /* fractional microseconds kept when asked */
    opt.whole_us = 0;
    CHECK_INT(wp_timeline_build(&lat, &opt, &w, NULL, NULL, 0, &err), 0);
    CHECK(w.end_us[2 * 2 + 0] - w.start_us[2 * 2 + 0] == 0.0015 * 1000.0);
    wp_windows_free(&w);

    /* offset: the true end is `offset` before the reported time */
    opt.whole_us = 1;
    opt.report_offset_us = 100;
    CHECK_INT(wp_timeline_build(&lat, &opt, &w, NULL, NULL, 0, &err), 0);
    CHECK(AT(w, 0, 0, end_us) == (double)(t0 + 300));
    CHECK(AT(w, 0, 0, start_us) == (double)(t0 - 100));
    wp_windows_free(&w);

    /* reconstructed: back to back, last ends at the cycle's earliest stamp */
    opt.report_offset_us = 0;
    opt.mode = WP_TIMELINE_RECONSTRUCTED;
    CHECK_INT(wp_timeline_build(&lat, &opt, &w, &chosen, NULL, 0, &err), 0);
    CHECK_INT(chosen, WP_TIMELINE_RECONSTRUCTED);
    for (size_t c = 0; c < 2; c++) {
        int64_t first = rep[c] < rep[2 + c] ? rep[c] : rep[2 + c];
        first = rep[4 + c] < first ? rep[4 + c] : first;
        CHECK(AT(w, 2, c, end_us) == (double)first);
        CHECK(AT(w, 1, c, end_us) == AT(w, 2, c, start_us));
        CHECK(AT(w, 0, c, end_us) == AT(w, 1, c, start_us));
        for (size_t l = 0; l < 3; l++)
            CHECK(AT(w, l, c, end_us) - AT(w, l, c, start_us) == (double)wp_latency_ms_to_us(ms[l * 2 + c]));
    }
    wp_windows_free(&w);

    /* auto on per-layer stamps: reported, with a reason */
    opt.mode = WP_TIMELINE_AUTO;
    CHECK_INT(wp_timeline_build(&lat, &opt, &w, &chosen, reason, sizeof reason, &err), 0);
    CHECK_INT(chosen, WP_TIMELINE_REPORTED);
    CHECK_CONTAINS(reason, "reported");
    CHECK_CONTAINS(reason, "0 of 2 cycles");
    wp_windows_free(&w);
    wp_latency_free(&lat);

    /* batched stamps (all layers reported after the cycle): reconstructed */
    const int64_t rep2[6] = {t0 + 1300, t0 + 12000, t0 + 1302, t0 + 12001, t0 + 1303, t0 + 12003};
    make_lat(&lat, ms, rep2);
    CHECK(wp_timeline_choose(&lat, reason, sizeof reason) == WP_TIMELINE_RECONSTRUCTED);
    CHECK_CONTAINS(reason, "reconstructed");
    CHECK_CONTAINS(reason, "2 of 2 cycles");
    CHECK_INT(wp_timeline_build(&lat, &opt, &w, &chosen, reason, sizeof reason, &err), 0);
    CHECK_INT(chosen, WP_TIMELINE_RECONSTRUCTED);
    CHECK(AT(w, 2, 0, end_us) == (double)(t0 + 1300));
    wp_windows_free(&w);
    wp_latency_free(&lat);
}

static void test_modes(void)
{
    wp_timeline_mode m;
    CHECK_INT(wp_timeline_parse_mode("reported", &m), 0);
    CHECK_INT(m, WP_TIMELINE_REPORTED);
    CHECK_INT(wp_timeline_parse_mode("reconstructed", &m), 0);
    CHECK_INT(m, WP_TIMELINE_RECONSTRUCTED);
    CHECK_INT(wp_timeline_parse_mode("auto", &m), 0);
    CHECK_INT(wp_timeline_parse_mode("Auto", &m), -1);
    CHECK_STR(wp_timeline_mode_name(WP_TIMELINE_RECONSTRUCTED), "reconstructed");
}

int main(void)
{
    test_rounding();
    test_reported_and_reconstructed();
    test_modes();
    return test_summary();
}
