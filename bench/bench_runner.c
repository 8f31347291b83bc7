/* Runner figures: per-layer timing overhead (the sum of per-layer latencies
 * against the whole network run without per-layer timing, interleaved) and
 * the cpu backend against the naive reference backend measured in the same
 * run.
 *   bench_runner [THREADS] [RUNS]      (defaults 1, 30) */
#include <stdio.h>
#include <stdlib.h>

#include "wattprof/bench.h"
#include "wattprof/runner.h"
#include "wattprof/timestamp.h"
#include "wattprof/zoo.h"

#include "bench_util.h"

static double run_ms(wp_graph *g, wp_backend b, int runs)
{
    wp_error err;
    wp_runner *r = wp_runner_create(g, b, &err);
    if (!r) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    wp_runner_run(r, NULL, &err);
    int64_t t0 = wp_ts_monotonic_us();
    for (int i = 0; i < runs; i++)
        wp_runner_run(r, NULL, &err);
    double ms = (double)(wp_ts_monotonic_us() - t0) / 1000.0 / runs;
    wp_runner_free(r);
    return ms;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1, runs = argc > 2 ? atoi(argv[2]) : 30;
    if (!wp_backend_available(WP_BACKEND_CPU)) {
        printf("cpu backend not built (no oneDNN)\n");
        return 0;
    }
    wp_cpu_set_threads(threads);
    static const char *const archs[] = {"lenet", "squeezenet", "mobilenetv2", "resnet18", "resnet50", "vgg16"};
    wp_dims full = {4, {1, 3, 224, 224}}, small = {4, {1, 3, 64, 64}};
    printf("threads %d, %d runs each\n\n", threads, runs);
    printf("%-12s %-11s %7s %12s %12s %10s\n", "network", "input", "layers", "layer_sum_ms", "untimed_ms",
           "sum/untimed");
    for (size_t i = 0; i < sizeof archs / sizeof *archs; i++) {
        wp_graph g;
        wp_error err;
        if (wp_zoo_build(archs[i], i == 0 ? NULL : &full, &g, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        wp_bench_result res;
        if (bench_network(&g, runs, 3, threads, &res))
            return 1;
        char dims[64];
        printf("%-12s %-11s %7zu %12.3f %12.3f %10.3f\n", archs[i],
               wp_dims_format(&g.tensors[g.input].shape, dims, sizeof dims), res.n_layers, res.mean_layer_sum_ms,
               res.mean_untimed_ms, res.mean_layer_sum_ms / res.mean_untimed_ms);
        wp_bench_result_free(&res);
        wp_graph_free(&g);
    }
    printf("\ncpu (oneDNN) against ref (naive C loops), whole network, same run:\n");
    printf("%-12s %-11s %10s %10s %8s\n", "network", "input", "cpu_ms", "ref_ms", "speedup");
    static const char *const small_archs[] = {"squeezenet", "resnet18", "mobilenetv2"};
    for (size_t i = 0; i < 3; i++) {
        wp_graph g;
        wp_error err;
        wp_zoo_build(small_archs[i], &small, &g, &err);
        double cpu = run_ms(&g, WP_BACKEND_CPU, runs), ref = run_ms(&g, WP_BACKEND_REF, 2);
        printf("%-12s %-11s %10.3f %10.3f %8.1f\n", small_archs[i], "1x3x64x64", cpu, ref, ref / cpu);
        wp_graph_free(&g);
    }
    return 0;
}
