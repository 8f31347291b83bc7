/* A simulated run (simulate.h) in memory as deconvolve's input: shared by
 * tests/test_deconvolve.c and bench/bench_deconvolve.c, so the tests and the
 * benchmark solve the same kind of system. */
#ifndef WATTPROF_SIM_FIXTURE_H
#define WATTPROF_SIM_FIXTURE_H

#include <stdint.h>

#include "wattprof/deconvolve.h"
#include "wattprof/simulate.h"

/* Simulated runs start on 2024-11-21; the tests' windows count from an hour
 * before. */
#define SIM_FIXTURE_ORIGIN (20048LL * 86400 * 1000000 - 3600LL * 1000000)

typedef struct sim_fixture {
    wp_sim_run run;
    double *start, *end; /* [layer * n_cycles + cycle], us after in.origin_us */
    wp_deconv_input in;
} sim_fixture;

/* The simulator's defaults with these set (reporting: tensorrt). */
wp_sim_options sim_fixture_options(size_t layers, size_t cycles, double noise_uw, uint64_t seed);

/* Generates the run and its windows: as stamped for ideal reporting, else
 * reconstructed. origin_us 0: the first sample's time. Returns 0, or -1
 * (err filled, nothing to free). */
int sim_fixture_make(sim_fixture *f, const wp_sim_options *o, int64_t origin_us, wp_error *err);
void sim_fixture_free(sim_fixture *f);

/* Deconvolve's options for the run: the true window and report offset, or
 * (search) both searched. */
wp_deconv_options sim_fixture_deconv(const wp_sim_options *o, int search);

#endif
