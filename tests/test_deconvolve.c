/* deconvolve: least-squares attribution over the sensor window, on in-memory
 * simulated runs (simulate.h) with known truth. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_fixture.h"
#include "testutil.h"
#include "wattprof/csv.h"
#include "wattprof/deconvolve.h"
#include "wattprof/simulate.h"

#define ORIGIN SIM_FIXTURE_ORIGIN

typedef sim_fixture fixture;

/* The simulated run of o as deconvolve's input; no test here can go on
 * without it. */
static fixture fixture_make(const wp_sim_options *o)
{
    fixture f;
    wp_error err;
    int rc = sim_fixture_make(&f, o, ORIGIN, &err);
    CHECK_INT(rc, 0);
    if (rc)
        abort();
    return f;
}

#define fixture_free sim_fixture_free

static double rel_err(const wp_deconv_result *res, const wp_sim_run *run, size_t l)
{
    double est = res->power_uw[l] - run->idle_uw;
    return fabs(est - run->layers[l].power_uw) / run->layers[l].power_uw;
}

static void test_exact_recovery(wp_sim_reporting rep)
{
    wp_sim_options o = sim_fixture_options(8, 400, 0, 7);
    o.reporting = rep;
    fixture f = fixture_make(&o);
    wp_deconv_options opt = sim_fixture_deconv(&o, 0);
    wp_deconv_result res;
    wp_error err;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), 0);
    CHECK_INT(res.n_unknowns, 9);
    CHECK_INT(res.rank, 9);
    for (size_t l = 0; l < o.n_layers; l++) {
        CHECK_INT(res.status[l], WP_DECONV_OK);
        CHECK_NEAR(res.power_uw[l], o.idle_uw + f.run.layers[l].power_uw, 1e-7);
        CHECK(res.weight[l] > 0);
    }
    CHECK_NEAR(res.power_uw[8], o.idle_uw + o.gap_power_uw, 1e-7);
    /* the same through wp_attribute's entry point: every cycle gets its
     * layer's estimate (windows already moved by the offset) */
    if (rep == WP_SIM_IDEAL) {
        wp_powerlog log = {f.run.samples, f.run.n_samples, f.run.n_samples};
        wp_windows w = {o.n_layers, o.n_cycles, ORIGIN, f.start, f.end};
        double *out = malloc(o.n_layers * o.n_cycles * sizeof *out);
        CHECK_INT(wp_deconv_attribute(&log, &w, o.sensor_window_us, out, &err), 0);
        for (size_t l = 0; l < o.n_layers; l++) {
            CHECK_NEAR(out[l * o.n_cycles], o.idle_uw + f.run.layers[l].power_uw, 1e-7);
            CHECK(out[l * o.n_cycles + o.n_cycles - 1] == out[l * o.n_cycles]);
        }
        free(out);
    }
    CHECK(res.rms_residual_uw < 1e-3);
    /* Upstream-style averaging of the samples inside the window is biased:
     * the wrong offset or window must not fit as well. */
    wp_deconv_result bad;
    opt.window_us = 600;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &bad, &err), 0);
    CHECK(bad.rms_residual_uw > 1000 * (res.rms_residual_uw + 1e-6));
    wp_deconv_result_free(&bad);
    wp_deconv_result_free(&res);
    fixture_free(&f);
}

static void test_auto_selection(void)
{
    wp_sim_options o = sim_fixture_options(10, 600, 2000, 11);
    o.sensor_window_us = 900;
    o.report_delay_us = 65;
    fixture f = fixture_make(&o);
    wp_deconv_options opt = sim_fixture_deconv(&o, 1);
    wp_deconv_result res;
    wp_error err;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), 0);
    CHECK_NEAR(res.window_us, 900, 3.0 / 900);
    CHECK(fabs(res.offset_us - 65) < 3);
    CHECK(res.evaluations > 50);
    double sum = 0;
    for (size_t l = 0; l < o.n_layers; l++) {
        CHECK_INT(res.status[l], WP_DECONV_OK);
        sum += rel_err(&res, &f.run, l);
        /* the reported standard error is honest */
        CHECK(fabs(res.power_uw[l] - o.idle_uw - f.run.layers[l].power_uw) < 5 * res.stderr_uw[l]);
    }
    CHECK(sum / (double)o.n_layers < 0.02);
    wp_deconv_result_free(&res);

    /* Window given, offset searched (ideal reporting: offset 0). */
    fixture_free(&f);
    o.reporting = WP_SIM_IDEAL;
    f = fixture_make(&o);
    opt.window_auto = 0;
    opt.window_us = 900;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), 0);
    CHECK(fabs(res.offset_us) < 3);
    CHECK_NEAR(res.window_us, 900, 0);
    wp_deconv_result_free(&res);
    fixture_free(&f);
}

/* A sensor that reports a reading held for 4 ms (an INA3221 read long after
 * its last conversion) is a report offset of delay - 4000 us: the default
 * range reaches it, the old -1000..1500 one does not. */
static void test_lagged_sensor(void)
{
    wp_sim_options o = sim_fixture_options(10, 600, 2000, 5);
    o.sensor_lag_us = 4000;
    fixture f = fixture_make(&o);
    double truth = o.report_delay_us - o.sensor_lag_us;
    wp_deconv_options opt = sim_fixture_deconv(&o, 1);
    wp_deconv_result res;
    wp_error err;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), 0);
    CHECK(fabs(res.offset_us - truth) < 3);
    CHECK_NEAR(res.window_us, o.sensor_window_us, 3.0 / o.sensor_window_us);
    double sum = 0;
    for (size_t l = 0; l < o.n_layers; l++) {
        CHECK_INT(res.status[l], WP_DECONV_OK);
        sum += rel_err(&res, &f.run, l);
    }
    CHECK(sum / (double)o.n_layers < 0.02);
    double good_rms = res.rms_residual_uw;
    wp_deconv_result_free(&res);
    /* the range is the caller's: the old default cannot find it */
    opt.offset_min_us = -1000;
    opt.offset_max_us = 1500;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), 0);
    CHECK(res.offset_us >= -1000 && res.offset_us <= 1500 + 50);
    CHECK(res.rms_residual_uw > 3 * good_rms);
    wp_deconv_result_free(&res);
    fixture_free(&f);
}

/* The true mean power over the 500 us window ending at t, in the cycle that
 * starts at cycle_start and the one before it (cycles 1000 us apart, layers
 * of durations d and powers pw back to back): what an ideal sensor reads. */
static double window_power(int64_t t, int64_t cycle_start, const double *d, const double *pw, size_t L)
{
    double a = (double)t - 500, b = (double)t, e = 0;
    for (int64_t cc = cycle_start - 1000; cc <= cycle_start; cc += 1000) {
        double st = (double)cc;
        for (size_t l = 0; l < L; l++) {
            double lo = st > a ? st : a, hi = st + d[l] < b ? st + d[l] : b;
            if (hi > lo)
                e += (hi - lo) * pw[l];
            st += d[l];
        }
    }
    return e / 500;
}

/* A and B (100 us each, always adjacent) are only ever seen together: every
 * sample window either holds both whole or neither. Their sum is known,
 * their split is not: both flagged, C still exact, gap never seen. */
static void test_rank_deficient(void)
{
    enum { NC = 200 };
    size_t L = 4;
    double *start = malloc(L * NC * sizeof *start);
    double *end = malloc(L * NC * sizeof *end);
    const double d[4] = {100, 100, 800, 0};
    const double pw[4] = {7e6, 8e6, 6e6, 9e6};
    for (size_t c = 0; c < NC; c++) {
        int64_t t = 1000 + (int64_t)c * 1000;
        for (size_t l = 0; l < L; l++) {
            start[l * NC + c] = (double)t;
            t += (int64_t)d[l];
            end[l * NC + c] = (double)t;
        }
    }
    /* Windows of 500 us ending at 250..450 (cover C_prev tail, A, B, C head)
     * or 750..950 (inside C) past each cycle start. */
    wp_sample *s = malloc(4 * NC * sizeof *s);
    size_t n = 0;
    for (size_t c = 1; c < NC; c++) {
        int64_t cs = 1000 + (int64_t)c * 1000;
        const int64_t offs[4] = {250, 330, 770, 910};
        for (int k = 0; k < 4; k++) {
            int64_t t = cs + offs[k];
            s[n].t_us = t;
            s[n].power_uw = window_power(t, cs, d, pw, L);
            n++;
        }
    }
    wp_deconv_input in = {L, NC, 0, start, end, s, n};
    wp_deconv_options opt;
    wp_deconv_options_init(&opt);
    opt.window_us = 500;
    wp_deconv_result res;
    wp_error err;
    CHECK_INT(wp_deconvolve(&in, &opt, &res, &err), 0);
    CHECK_INT(res.status[0], WP_DECONV_RANK_DEFICIENT);
    CHECK_INT(res.status[1], WP_DECONV_RANK_DEFICIENT);
    CHECK(isnan(res.power_uw[0]) && isnan(res.power_uw[1]));
    CHECK_INT(res.status[2], WP_DECONV_OK);
    CHECK_NEAR(res.power_uw[2], 6e6, 1e-9);
    CHECK_INT(res.status[3], WP_DECONV_UNCOVERED); /* zero-length layer */
    CHECK_INT(res.status[4], WP_DECONV_UNCOVERED); /* no gap */
    CHECK_STR(wp_deconv_status_name(res.status[0]), "rank-deficient");

    /* Nudge one window edge into A: the pair becomes (barely) separable.
     * A variance-inflation limit of 1e3 flags the pair ill-conditioned. */
    s[0].t_us = 2050;
    s[0].power_uw = window_power(s[0].t_us, 2000, d, pw, L);
    wp_deconv_result_free(&res);
    opt.vif_limit = 1e3;
    CHECK_INT(wp_deconvolve(&in, &opt, &res, &err), 0);
    CHECK_INT(res.status[0], WP_DECONV_ILL_CONDITIONED);
    CHECK_INT(res.status[1], WP_DECONV_ILL_CONDITIONED);
    CHECK_INT(res.status[2], WP_DECONV_OK);
    CHECK(res.vif[0] > 1e3 && res.vif[1] > 1e3 && res.vif[2] < 10);
    wp_deconv_result_free(&res);
    free(start);
    free(end);
    free(s);
}

static void test_errors_and_csv(void)
{
    wp_sim_options o;
    wp_sim_options_init(&o);
    o.n_layers = 5;
    o.n_cycles = 100;
    o.seed = 3;
    fixture f = fixture_make(&o);
    wp_deconv_options opt;
    wp_deconv_options_init(&opt);
    wp_deconv_result res;
    wp_error err;
    /* no window */
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), -1);
    CHECK_CONTAINS(err.msg, "window");
    /* windows longer than the whole run leave no usable sample */
    opt.window_us = 1e9;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), WP_DECONV_TOO_FEW);
    CHECK_CONTAINS(err.msg, "inside the profiled span");
    CHECK_CONTAINS(err.msg, "for 6 unknowns (5 layers and the power between them)");
    CHECK_INT(res.n_unknowns, 6);
    CHECK(res.n_used <= 6);
    opt.window_us = o.sensor_window_us;
    opt.offset_us = o.report_delay_us;
    CHECK_INT(wp_deconvolve(&f.in, &opt, &res, &err), 0);

    const char *names[5];
    const char *types[5];
    double *lat = malloc(5 * 100 * sizeof *lat);
    for (size_t l = 0; l < 5; l++) {
        names[l] = f.run.layers[l].name;
        types[l] = f.run.layers[l].type;
        for (size_t c = 0; c < 100; c++)
            lat[l * 100 + c] = (double)f.run.lat_us[l * 100 + c] / 1000.0;
    }
    res.status[3] = WP_DECONV_RANK_DEFICIENT; /* as if flagged */
    const char *path = test_path(test_tmpdir(), "est/" WP_DECONV_CSV_NAME);
    test_write_file(path, "");
    CHECK_INT(wp_deconv_write_csv(path, &res, 5, names, types, o.idle_uw, lat, 100, &err), 0);
    char *text = test_read_file(path);
    CHECK_CONTAINS(text, "layer_name,layer_type,power_including_idle_micro_watt,power_excluding_idle_micro_watt,"
                         "standard_error_micro_watt,latency_mean_ms,latency_std_ms,cycles,"
                         "effective_sample_weight,status\n");
    CHECK_CONTAINS(text, ",,,");
    CHECK_CONTAINS(text, "rank-deficient");
    CHECK_INT(test_count_lines(text), 6);
    free(text);
    wp_deconv_estimate *rows;
    size_t n;
    CHECK_INT(wp_deconv_read_csv(path, &rows, &n, &err), 0);
    CHECK_INT(n, 5);
    const wp_deconv_estimate *e = wp_deconv_find(rows, n, names[1]);
    CHECK(e != NULL);
    if (e) {
        CHECK_INT(e->ok, 1);
        CHECK_NEAR(e->power_excl_uw, res.power_uw[1] - o.idle_uw, 0);
        CHECK_NEAR(e->latency_mean_ms, wp_sim_mean_latency_ms(&f.run, 1), 1e-12);
        CHECK_INT(e->cycles, 100);
        CHECK_NEAR(e->weight, res.weight[1], 0);
    }
    CHECK(isnan(rows[3].power_excl_uw) && !rows[3].ok);
    CHECK(wp_deconv_find(rows, n, "nope") == NULL);
    wp_deconv_estimates_free(rows, n);

    /* bad CSV: a non-number names its line */
    test_write_file(path, "layer_name,layer_type,power_including_idle_micro_watt,power_excluding_idle_micro_watt,"
                          "standard_error_micro_watt,latency_mean_ms,latency_std_ms,cycles,"
                          "effective_sample_weight,status\na,b,1,2,3,4,5,6,7,ok\na,b,1,x,3,4,5,6,7,ok\n");
    CHECK_INT(wp_deconv_read_csv(path, &rows, &n, &err), -1);
    CHECK_CONTAINS(err.msg, ":3:");
    /* a cycle count no long holds (found by fuzzing: the cast was UB) */
    test_write_file(path, "layer_name,layer_type,power_including_idle_micro_watt,power_excluding_idle_micro_watt,"
                          "standard_error_micro_watt,latency_mean_ms,latency_std_ms,cycles,"
                          "effective_sample_weight,status\na,b,1,2,3,4,5,3e57,7,ok\n");
    CHECK_INT(wp_deconv_read_csv(path, &rows, &n, &err), -1);
    CHECK_CONTAINS(err.msg, ":2: cycles: '3e57' is not a count");
    free(lat);
    wp_deconv_result_free(&res);
    fixture_free(&f);
}

/* wp_deconv_map over a fixture: the summary, and the estimates read back
 * (the CSV left at est_path). */
static char est_path[4096];
static void map_fixture(fixture *f, const wp_deconv_options *opt, wp_deconv_summary *sum, wp_deconv_estimate **est,
                        size_t *n_est)
{
    size_t L = f->run.n_layers, nc = f->run.n_cycles;
    wp_latency lat;
    memset(&lat, 0, sizeof lat);
    lat.n_layers = L;
    lat.n_cycles = nc;
    lat.names = malloc(L * sizeof *lat.names);
    lat.latency_ms = malloc(L * nc * sizeof *lat.latency_ms);
    for (size_t l = 0; l < L; l++)
        lat.names[l] = f->run.layers[l].name;
    for (size_t k = 0; k < L * nc; k++)
        lat.latency_ms[k] = (double)f->run.lat_us[k] / 1000.0;
    wp_powerlog log = {f->run.samples, f->run.n_samples, f->run.n_samples};
    wp_windows w = {L, nc, ORIGIN, f->start, f->end};
    double *power = malloc(L * nc * sizeof *power);
    char note[2048];
    wp_error err;
    snprintf(est_path, sizeof est_path, "%s", test_path(test_tmpdir(), "est.csv"));
    const char *path = est_path;
    wp_atomic_file *af =
        wp_deconv_map(&log, &w, &lat, NULL, f->run.idle_uw, opt, power, "m.log", path, note, sizeof note, sum, &err);
    CHECK(af != NULL);
    CHECK_INT(af ? wp_atomic_commit(af, &err) : -1, 0);
    *est = NULL;
    *n_est = 0;
    CHECK_INT(wp_deconv_read_csv(path, est, n_est, &err), 0);
    CHECK_INT(*n_est, L);
    /* every value estimated, uncertain or not, reaches every cycle */
    for (size_t l = 0; l < L && l < *n_est; l++)
        CHECK((*est)[l].ok == !isnan(power[l * nc]));
    free(power);
    free(lat.names);
    free(lat.latency_ms);
}

/* A held reading read at a random time (the sample reports a conversion 0-4
 * sampling periods old): the fit cannot be right, and the residual, far
 * above the noise of the log's idle stretches, says so with the likely
 * cause. The same run read at the right time fits to the noise. */
static void test_residual_warning(void)
{
    wp_sim_options o = sim_fixture_options(10, 1000, 40000, 11);
    fixture f = fixture_make(&o);
    wp_deconv_options opt = sim_fixture_deconv(&o, 1);
    opt.max_relative_se = WP_DECONV_MAX_RELATIVE_SE;
    wp_deconv_summary sum;
    wp_deconv_estimate *est;
    size_t n;
    map_fixture(&f, &opt, &sum, &est, &n);
    CHECK(sum.idle_noise_uw > 0.7 * o.noise_uw && sum.idle_noise_uw < 1.3 * o.noise_uw);
    CHECK(sum.rms_residual_uw < 1.5 * o.noise_uw);
    CHECK(strstr(sum.warning, "does not fit") == NULL);
    wp_deconv_estimates_free(est, n);

    double *held = malloc(f.run.n_samples * sizeof *held);
    uint64_t x = 99;
    for (size_t i = 0; i < f.run.n_samples; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t k = (size_t)(x >> 61) % 5;
        held[i] = f.run.samples[i >= k ? i - k : 0].power_uw;
    }
    for (size_t i = 0; i < f.run.n_samples; i++)
        f.run.samples[i].power_uw = held[i];
    free(held);
    double fit_rms = sum.rms_residual_uw, fit_noise = sum.idle_noise_uw;
    map_fixture(&f, &opt, &sum, &est, &n);
    printf("read at the right time: rms residual %.0f uW, idle noise %.0f uW; held readings read at random: "
           "rms residual %.0f uW, idle noise %.0f uW\n",
           fit_rms, fit_noise, sum.rms_residual_uw, sum.idle_noise_uw);
    CHECK(sum.rms_residual_uw > WP_DECONV_RESIDUAL_NOISE_LIMIT * sum.idle_noise_uw);
    CHECK_CONTAINS(sum.warning, "warning: deconvolve does not fit: rms residual");
    CHECK_CONTAINS(sum.warning, "sensor lag that varies from sample to sample");
    wp_deconv_estimates_free(est, n);
    fixture_free(&f);
}

/* 300 cycles under 200 mW of noise: estimates whose standard error exceeds
 * the limit (relative to their power above idle) are marked uncertain, keep
 * their value, and are named; without a limit none is. */
static void test_uncertain(void)
{
    wp_sim_options o = sim_fixture_options(12, 300, 200000, 4);
    fixture f = fixture_make(&o);
    wp_deconv_options opt = sim_fixture_deconv(&o, 0);
    opt.max_relative_se = 0.25;
    wp_deconv_summary sum;
    wp_deconv_estimate *est;
    size_t n;
    map_fixture(&f, &opt, &sum, &est, &n);
    CHECK(sum.n_uncertain > 0);
    CHECK(sum.n_uncertain < o.n_layers);
    CHECK_CONTAINS(sum.warning, "estimates have a standard error above 25% of their power above idle");
    char *csv = test_read_file(est_path);
    size_t marked = 0;
    for (const char *p = csv; p && (p = strstr(p, ",uncertain\n")); p++)
        marked++;
    CHECK_INT(marked, sum.n_uncertain);
    free(csv);
    for (size_t l = 0; l < n; l++) {
        CHECK(est[l].ok);
        double rel = est[l].stderr_uw / fabs(est[l].power_excl_uw);
        if (strstr(sum.warning, est[l].name))
            CHECK(rel > 0.25);
        else
            CHECK(rel <= 0.25);
    }
    wp_deconv_estimates_free(est, n);
    opt.max_relative_se = 0;
    map_fixture(&f, &opt, &sum, &est, &n);
    CHECK_INT(sum.n_uncertain, 0);
    CHECK(sum.warning[0] == '\0');
    wp_deconv_estimates_free(est, n);
    fixture_free(&f);
}

int main(void)
{
    test_exact_recovery(WP_SIM_IDEAL);
    test_exact_recovery(WP_SIM_TENSORRT);
    test_auto_selection();
    test_lagged_sensor();
    test_rank_deficient();
    test_errors_and_csv();
    test_residual_warning();
    test_uncertain();
    return test_summary();
}
