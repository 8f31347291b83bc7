/* Deconvolution speed: 30,000 cycles x 60 layers with a ~400,000-sample log
 * (in memory, from the simulator), against a straightforward reference
 * measured in the same run: a dense samples x unknowns matrix, A^T A by
 * plain triple loop, Gaussian elimination - timed on a subset of the rows
 * and scaled linearly to all of them.
 *
 * The run is tests/sim_fixture.c's, as in tests/test_deconvolve.c.
 *
 * usage: bench_deconvolve [cycles] [layers] [samples] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_fixture.h"
#include "wattprof/deconvolve.h"
#include "wattprof/simulate.h"
#include "wattprof/timestamp.h"

static double now_s(void)
{
    return (double)wp_ts_monotonic_us() / 1e6;
}

/* Reference: dense rows for the first m usable samples (each row found by
 * scanning the cycle's windows), dense A^T A, Gaussian elimination. */
static double reference(const wp_sim_run *run, const double *start, const double *end, int64_t origin, double W,
                        double D, size_t m, size_t *rows_done)
{
    size_t L = run->n_layers, nc = run->n_cycles, p = L + 1;
    double *A = calloc(m * p, sizeof *A), *y = calloc(m, sizeof *y);
    double *M = calloc(p * (p + 1), sizeof *M);
    double t0 = now_s();
    size_t r = 0, c0 = 0;
    double span_a = start[0], span_b = end[(L - 1) * nc + nc - 1];
    for (size_t i = 0; i < run->n_samples && r < m; i++) {
        double b = (double)(run->samples[i].t_us - origin) + D, a = b - W;
        if (a < span_a || b > span_b)
            continue;
        double *row = A + r * p, covered = 0;
        while (c0 + 1 < nc && end[(L - 1) * nc + c0] <= a)
            c0++;
        for (size_t c = c0; c < nc && start[c] < b; c++)
            for (size_t l = 0; l < L; l++) {
                double lo = fmax(a, start[l * nc + c]), hi = fmin(b, end[l * nc + c]);
                if (hi > lo) {
                    row[l] += (hi - lo) / W;
                    covered += hi - lo;
                }
            }
        row[L] = 1 - covered / W; /* the rest is gap */
        y[r++] = run->samples[i].power_uw;
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++) {
            double s = 0;
            for (size_t k = 0; k < r; k++)
                s += A[k * p + i] * A[k * p + j];
            M[i * (p + 1) + j] = s;
        }
        double s = 0;
        for (size_t k = 0; k < r; k++)
            s += A[k * p + i] * y[k];
        M[i * (p + 1) + p] = s;
    }
    for (size_t k = 0; k < p; k++)
        for (size_t i = k + 1; i < p; i++) {
            double f = M[i * (p + 1) + k] / M[k * (p + 1) + k];
            for (size_t j = k; j <= p; j++)
                M[i * (p + 1) + j] -= f * M[k * (p + 1) + j];
        }
    double dt = now_s() - t0;
    free(A);
    free(y);
    free(M);
    *rows_done = r;
    return dt;
}

int main(int argc, char **argv)
{
    size_t cycles = argc > 1 ? (size_t)atol(argv[1]) : 30000;
    size_t layers = argc > 2 ? (size_t)atol(argv[2]) : 60;
    size_t target = argc > 3 ? (size_t)atol(argv[3]) : 400000;
    wp_sim_options o;
    wp_sim_options_init(&o);
    o.n_layers = layers;
    o.n_cycles = 200;
    wp_sim_run run;
    wp_error err;
    /* a short run sizes the sample period for the target sample count */
    if (wp_sim_generate(&o, "bench", 0, &run, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double per_cycle = (double)(run.end_us[(layers - 1) * 200 + 199] - run.end_us[0] + run.lat_us[0]) / 200;
    wp_sim_run_free(&run);
    o.n_cycles = cycles;
    o.sample_period_us = per_cycle * (double)cycles / (double)target;
    o.sample_jitter_us = o.sample_period_us / 20;
    double t = now_s();
    sim_fixture f;
    if (sim_fixture_make(&f, &o, 0, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const wp_sim_run *sim = &f.run;
    printf("simulated %zu cycles x %zu layers, %zu samples (period %.0f us) in %.2f s\n", cycles, layers,
           sim->n_samples, o.sample_period_us, now_s() - t);

    wp_deconv_options opt = sim_fixture_deconv(&o, 0);
    wp_deconv_result res;
    t = now_s();
    if (wp_deconvolve(&f.in, &opt, &res, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t_fixed = now_s() - t;
    double mae = 0;
    size_t ok = 0;
    for (size_t l = 0; l < layers; l++)
        if (res.status[l] == WP_DECONV_OK) {
            mae += fabs(res.power_uw[l] - o.idle_uw - sim->layers[l].power_uw) / sim->layers[l].power_uw;
            ok++;
        }
    printf("deconvolve, window and offset given: %.3f s (%zu samples used, %zu/%zu layers estimated, "
           "mean abs error %.2f %%)\n",
           t_fixed, res.n_used, ok, layers, 100 * mae / (double)(ok ? ok : 1));
    wp_deconv_result_free(&res);

    opt.window_auto = opt.offset_auto = 1;
    t = now_s();
    if (wp_deconvolve(&f.in, &opt, &res, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t_auto = now_s() - t;
    printf("deconvolve, window and offset auto:  %.3f s (%d solves; chose window %.2f us, offset %.2f us; "
           "true %.0f, %.0f)\n",
           t_auto, res.evaluations, res.window_us, res.offset_us, o.sensor_window_us, o.report_delay_us);
    wp_deconv_result_free(&res);

    size_t m = 20000, done;
    double t_ref = reference(sim, f.start, f.end, f.in.origin_us, o.sensor_window_us, o.report_delay_us, m, &done);
    double t_ref_all = t_ref * (double)sim->n_samples / (double)(done ? done : 1);
    printf("reference (dense rows, dense A^T A, Gaussian elimination): %.3f s for %zu rows -> %.2f s for all "
           "%zu samples\n",
           t_ref, done, t_ref_all, sim->n_samples);
    printf("speed-up vs reference: %.1fx (fixed), %.1fx including the auto search\n", t_ref_all / t_fixed,
           t_ref_all / t_auto);
    sim_fixture_free(&f);
    return 0;
}
