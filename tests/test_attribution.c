/* attribution: samples and interpolate over windows in any order. */
#include <stdlib.h>

#include "testutil.h"
#include "wattprof/attribution.h"

static void make_log(wp_powerlog *log, size_t n, int64_t t0, int64_t step, double (*p)(size_t))
{
    log->n = log->cap = n;
    log->samples = malloc((n ? n : 1) * sizeof *log->samples);
    for (size_t i = 0; i < n; i++) {
        log->samples[i].t_us = t0 + (int64_t)i * step;
        log->samples[i].power_uw = p(i);
    }
}

static double p_int(size_t i)
{
    return (double)(5000 * (1000 + (i * 37) % 900));
}

static double p_lin(size_t i)
{
    return 1000.0 + 10.0 * (double)i;
}

static void make_windows(wp_windows *w, size_t n, int64_t origin)
{
    w->n_layers = n;
    w->n_cycles = 1;
    w->origin_us = origin;
    w->start_us = malloc(n * sizeof(double));
    w->end_us = malloc(n * sizeof(double));
}

static void test_samples(void)
{
    wp_powerlog log;
    int64_t t0 = 1000000000;
    make_log(&log, 1000, t0, 200, p_int);
    /* windows in random order, overlapping, some empty, some past the end */
    enum { W = 3000 };
    wp_windows w;
    make_windows(&w, W, t0 - 5000);
    srand(3);
    for (size_t i = 0; i < W; i++) {
        double s = (double)(rand() % 220000) - 5000.0;
        double len = (double)(rand() % 3) == 0 ? (double)(rand() % 300) : (double)(rand() % 20000);
        w.start_us[i] = s;
        w.end_us[i] = s + len;
    }
    w.start_us[0] = 5000 + 200; /* exactly on samples: bounds included */
    w.end_us[0] = 5000 + 600;
    double *out = malloc(W * sizeof(double));
    wp_attribution_options opt = {WP_ATTRIBUTION_SAMPLES, 0};
    wp_error err;
    CHECK_INT(wp_attribute(&log, &w, &opt, out, &err), 0);
    int bad = 0, empty = 0;
    for (size_t i = 0; i < W; i++) {
        double sum = 0;
        size_t cnt = 0;
        for (size_t k = 0; k < log.n; k++) {
            double t = (double)(log.samples[k].t_us - w.origin_us);
            if (t >= w.start_us[i] && t <= w.end_us[i]) {
                sum += log.samples[k].power_uw;
                cnt++;
            }
        }
        double want = cnt ? sum / (double)cnt : NAN;
        empty += cnt == 0;
        if (!(want == out[i] || (isnan(want) && isnan(out[i]))))
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK(empty > 0 && empty < W);
    CHECK(out[0] == (p_int(1) + p_int(2) + p_int(3)) / 3);
    free(out);
    free(w.start_us);
    free(w.end_us);
    wp_powerlog_free(&log);
}

static void test_interpolate(void)
{
    wp_powerlog log;
    int64_t t0 = 2000000000;
    make_log(&log, 100, t0, 1000, p_lin); /* p(t) = 1000 + 0.01 * (t - t0) */
    wp_power_index idx;
    wp_error err;
    CHECK_INT(wp_power_index_build(&log, t0, &idx, &err), 0);
    /* a linear signal: the mean is the value at the middle */
    CHECK_NEAR(wp_power_mean_interpolate(&idx, 1500, 7300), 1000 + 0.01 * (1500 + 7300) / 2, 1e-12);
    /* far shorter than the sampling interval, between two samples */
    CHECK_NEAR(wp_power_mean_interpolate(&idx, 2100, 2130), 1000 + 0.01 * 2115, 1e-12);
    size_t cnt;
    CHECK(isnan(wp_power_mean_samples(&idx, 2100, 2130, &cnt)));
    CHECK_INT(cnt, 0);
    /* a point */
    CHECK_NEAR(wp_power_mean_interpolate(&idx, 2500, 2500), 1025, 1e-12);
    CHECK(wp_power_mean_interpolate(&idx, 3000, 3000) == 1030);
    /* the whole span, and outside it */
    CHECK_NEAR(wp_power_mean_interpolate(&idx, 0, 99000), 1000 + 0.01 * 99000 / 2, 1e-12);
    CHECK(isnan(wp_power_mean_interpolate(&idx, -1, 10)));
    CHECK(isnan(wp_power_mean_interpolate(&idx, 98000, 99001)));
    wp_power_index_free(&idx);
    wp_powerlog_free(&log);

    /* a non-linear signal: compare with a fine trapezoid sum */
    make_log(&log, 50, t0, 1000, p_int);
    CHECK_INT(wp_power_index_build(&log, t0, &idx, &err), 0);
    double a = 3300, b = 17900, sum = 0;
    int steps = 146000;
    for (int i = 0; i < steps; i++) {
        double t = a + (b - a) * (i + 0.5) / steps;
        size_t k = (size_t)(t / 1000);
        double f = (t - (double)k * 1000) / 1000;
        sum += p_int(k) + (p_int(k + 1) - p_int(k)) * f;
    }
    CHECK_NEAR(wp_power_mean_interpolate(&idx, a, b), sum / steps, 1e-9);
    wp_power_index_free(&idx);

    /* windows of the mapper's kind go through wp_attribute too */
    wp_windows w;
    make_windows(&w, 2, t0);
    w.start_us[0] = 100;
    w.end_us[0] = 120;
    w.start_us[1] = 48990;
    w.end_us[1] = 49010; /* past the last sample at 49000 */
    double out[2];
    wp_attribution_options opt = {WP_ATTRIBUTION_INTERPOLATE, 0};
    CHECK_INT(wp_attribute(&log, &w, &opt, out, &err), 0);
    CHECK(isfinite(out[0]));
    CHECK(isnan(out[1]));
    /* windows in any order through wp_attribute equal one-off answers */
    {
        enum { W = 2000 };
        wp_windows rw;
        make_windows(&rw, W, t0);
        srand(11);
        for (size_t i = 0; i < W; i++) {
            rw.start_us[i] = (double)(rand() % 52000) - 1000;
            rw.end_us[i] = rw.start_us[i] + (double)(rand() % 5000) / 7.0;
        }
        double *ro = malloc(W * sizeof(double));
        CHECK_INT(wp_attribute(&log, &rw, &opt, ro, &err), 0);
        CHECK_INT(wp_power_index_build(&log, t0, &idx, &err), 0);
        int bad = 0, nan = 0;
        for (size_t i = 0; i < W; i++) {
            double want = wp_power_mean_interpolate(&idx, rw.start_us[i], rw.end_us[i]);
            nan += isnan(want);
            bad += !(want == ro[i] || (isnan(want) && isnan(ro[i])));
        }
        CHECK_INT(bad, 0);
        CHECK(nan > 0 && nan < W);
        wp_power_index_free(&idx);
        free(ro);
        free(rw.start_us);
        free(rw.end_us);
    }
    /* deconvolve (tested in test_deconvolve) needs more samples inside the
     * span than unknowns: two are not enough */
    opt.mode = WP_ATTRIBUTION_DECONVOLVE;
    wp_powerlog two = log;
    two.n = 2;
    CHECK_INT(wp_attribute(&two, &w, &opt, out, &err), -1);
    CHECK_CONTAINS(err.msg, "deconvolve");
    free(w.start_us);
    free(w.end_us);
    wp_powerlog_free(&log);
}

static void test_modes(void)
{
    wp_attribution_mode m;
    CHECK_INT(wp_attribution_parse_mode("interpolate", &m), 0);
    CHECK_INT(m, WP_ATTRIBUTION_INTERPOLATE);
    CHECK_INT(wp_attribution_parse_mode("samples", &m), 0);
    CHECK_INT(m, WP_ATTRIBUTION_SAMPLES);
    CHECK_INT(wp_attribution_parse_mode("mean", &m), -1);
    CHECK_STR(wp_attribution_mode_name(WP_ATTRIBUTION_INTERPOLATE), "interpolate");
}

int main(void)
{
    test_samples();
    test_interpolate();
    test_modes();
    return test_summary();
}
