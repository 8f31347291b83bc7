/* timeline: layer windows (reported, reconstructed, auto, offset) and
 * upstream's microsecond rounding. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
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
    } cases[] = {{0.0005, 0},
                 {0.0015, 2},
                 {0.0025, 2},
                 {0.0035, 4},
                 {1.0005, 1000},
                 {1.0015, 1002},
                 {2.0025, 2002},
                 {0.0125, 12},
                 {12.3455, 12345},
                 {0.03030399978160858, 30},
                 {1e-7, 0},
                 {400.0, 400000},
                 {0.0, 0},
                 {1000.0, 1000000},
                 /* beyond int64 microseconds: saturates (was undefined behaviour) */
                 {1e30, INT64_MAX},
                 {-1e300, INT64_MIN},
                 {INFINITY, INT64_MAX},
                 {NAN, 0},
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
    CHECK(AT(w, 2, 0, start_us) == (double)(t0 + 1300 - 2));  /* 1.5 us -> 2 */
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

/* Deterministic pseudo-random numbers for the network fixtures. */
static uint64_t rng_state;
static double rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A network of L layers whose latencies spread log-uniformly over
 * [mean / 8, mean * 8] (real networks mix 2 us reshapes with long
 * convolutions), 3 % jitter per cycle, cycles 200 us apart. Stamps either
 * mark each layer's true end (ends = 1) or are written after the cycle,
 * `cost_us` apart (+-30 % per callback), in whole microseconds. */
static void make_network(wp_latency *lat, size_t L, size_t C, double mean_us, int ends, double cost_us)
{
    memset(lat, 0, sizeof *lat);
    lat->n_layers = L;
    lat->n_cycles = C;
    lat->names = calloc(L, sizeof *lat->names);
    lat->latency_ms = malloc(L * C * sizeof(double));
    lat->reported_us = malloc(L * C * sizeof(int64_t));
    lat->lines = calloc(L, sizeof(long));
    double *base = malloc(L * sizeof *base);
    for (size_t l = 0; l < L; l++) {
        char n[32];
        snprintf(n, sizeof n, "l%zu", l);
        lat->names[l] = strdup(n);
        base[l] = mean_us * exp((rnd() * 2 - 1) * log(8.0));
    }
    double t = 1e6;
    for (size_t c = 0; c < C; c++) {
        for (size_t l = 0; l < L; l++) {
            double us = base[l] * (1 + 0.03 * (rnd() * 2 - 1));
            lat->latency_ms[l * C + c] = us / 1000.0;
            t += us;
            lat->reported_us[l * C + c] = (int64_t)llround(t);
        }
        if (!ends) {
            double s = t + 5;
            for (size_t l = 0; l < L; l++) {
                lat->reported_us[l * C + c] = (int64_t)llround(s);
                s += cost_us * (1 + 0.3 * (rnd() * 2 - 1));
            }
            t = s;
        }
        t += 200;
    }
    free(base);
}

/* The rule before this one: reconstructed when most cycles' stamps span
 * under 25 % of the summed latencies (shown beside the new choice). */
static wp_timeline_mode old_rule(const wp_latency *lat)
{
    size_t batched = 0;
    for (size_t c = 0; c < lat->n_cycles; c++) {
        int64_t lo = wp_reported_at(lat, 0, c), hi = lo;
        double sum = 0;
        for (size_t l = 0; l < lat->n_layers; l++) {
            int64_t t = wp_reported_at(lat, l, c);
            lo = t < lo ? t : lo;
            hi = t > hi ? t : hi;
            sum += wp_latency_at(lat, l, c) * 1000.0;
        }
        batched += (double)(hi - lo) / sum < 0.25;
    }
    return batched * 2 > lat->n_cycles ? WP_TIMELINE_RECONSTRUCTED : WP_TIMELINE_REPORTED;
}

/* Real-sized networks (20-150 layers; layers of about 5, 20, 100 and
 * 400 us on average), stamps written after the cycle 1-20 us apart: always
 * reconstructed; the same networks stamped at each layer's end: always
 * reported. Prints the table docs/mapping.md shows. */
static void test_real_sized(void)
{
    const size_t layers[] = {20, 60, 123, 150};
    const double means[] = {5, 20, 100, 400};
    const double costs[] = {1, 3, 10, 20};
    rng_state = 42;
    printf("| layers | mean layer | stamps | median span / sum | before | auto |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++)
        for (size_t m = 0; m < sizeof means / sizeof *means; m++)
            for (int k = -1; k < (int)(sizeof costs / sizeof *costs); k++) {
                wp_latency lat;
                make_network(&lat, layers[i], 40, means[m], k < 0, k < 0 ? 0 : costs[k]);
                char reason[512];
                wp_timeline_mode got = wp_timeline_choose(&lat, reason, sizeof reason);
                wp_timeline_mode want = k < 0 ? WP_TIMELINE_REPORTED : WP_TIMELINE_RECONSTRUCTED;
                const char *med = strstr(reason, "median span ");
                char stamps[64];
                if (k < 0)
                    snprintf(stamps, sizeof stamps, "layer ends");
                else
                    snprintf(stamps, sizeof stamps, "after the cycle, %g us apart", costs[k]);
                printf("| %zu | %g us | %s | %.*s | %s | %s |\n", layers[i], means[m], stamps,
                       med ? (int)strcspn(med + 12, ",") : 1, med ? med + 12 : "?",
                       wp_timeline_mode_name(old_rule(&lat)), wp_timeline_mode_name(got));
                if (got != want)
                    test_fail_at(__FILE__, __LINE__, "%zu layers of ~%g us, %s: auto chose %s (%s)", layers[i],
                                 means[m], stamps, wp_timeline_mode_name(got), reason);
                else
                    test_passed++;
                wp_latency_free(&lat);
            }
}

/* Stamps spanning 182 % of the summed latencies (a fast 123-layer network,
 * a 3 us callback) are never read as layer ends, even where their steps
 * happen to resemble the latencies. */
static void test_span_over_sum(void)
{
    wp_latency lat;
    rng_state = 7;
    make_network(&lat, 123, 20, 1.6, 0, 3);
    char reason[512];
    CHECK_INT(wp_timeline_choose(&lat, reason, sizeof reason), WP_TIMELINE_RECONSTRUCTED);
    CHECK_CONTAINS(reason, "20 cycles at or above 100%");
    wp_latency_free(&lat);
    /* two layers, stamps 1 us apart after a 0.5 us cycle: no steps to
     * compare, the spread alone decides */
    int64_t t0 = 1000000;
    const double ms[6] = {0.0002, 0.0002, 0.0003, 0.0003, 0.0001, 0.0001};
    const int64_t rep[6] = {t0, t0 + 500, t0 + 1, t0 + 501, t0 + 2, t0 + 502};
    make_lat(&lat, ms, rep);
    CHECK_INT(wp_timeline_choose(&lat, reason, sizeof reason), WP_TIMELINE_RECONSTRUCTED);
    wp_latency_free(&lat);
}

int main(void)
{
    test_rounding();
    test_reported_and_reconstructed();
    test_modes();
    test_real_sized();
    test_span_over_sum();
    return test_summary();
}
