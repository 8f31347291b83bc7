/* A simulated run (simulate.h) in memory as deconvolve's input: shared by
 * tests/test_deconvolve.c and bench/bench_deconvolve.c, so the tests and the
 * benchmark solve the same kind of system. Also a simulated raw dir of one
 * model for the tests that map one (test_tegrastats, test_trtexec). */
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

/* A raw dir at dir holding o's run of the one model "net", as `wattprof
 * simulate --models net` writes it: for the tests that map or read one
 * model's files. 0, or -1 with err. */
int sim_fixture_raw_net(const char *dir, const wp_sim_options *o, wp_error *err);

/* Generates the run and its windows: as stamped for ideal reporting, else
 * reconstructed. origin_us 0: the first sample's time. Returns 0, or -1
 * (err filled, nothing to free). */
int sim_fixture_make(sim_fixture *f, const wp_sim_options *o, int64_t origin_us, wp_error *err);
void sim_fixture_free(sim_fixture *f);

/* Deconvolve's options for the run: the true window and report offset, or
 * (search) both searched. */
wp_deconv_options sim_fixture_deconv(const wp_sim_options *o, int search);

#endif
