/* What the runner benchmarks share. */
#ifndef WATTPROF_BENCH_UTIL_H
#define WATTPROF_BENCH_UTIL_H

#include <stdio.h>

#include "wattprof/bench.h"

/* wp_bench_run on g: runs timed cycles after warmup untimed ones, on
 * threads threads, every other option at its default. -1 with the error
 * on stderr. */
static inline int bench_network(wp_graph *g, int runs, int warmup, int threads, wp_bench_result *res)
{
    wp_bench_options opt;
    wp_bench_options_init(&opt);
    opt.runs = runs;
    opt.warmup = warmup;
    opt.threads = threads;
    wp_error err;
    if (wp_bench_run(g, &opt, res, NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

#endif
