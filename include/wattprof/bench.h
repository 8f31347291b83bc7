/* `wattprof bench`: run a network layer by layer and write the upstream raw
 * layout, so `map`, `dataset` and `train` take CPU/GPU measurements exactly
 * as they take the Jetson's TensorRT ones:
 *
 *   DIR/NAME/trt_profiling/trt_layer_latency.json   per layer, per cycle:
 *                           [latency_ms, "local time of the layer's end"]
 *   DIR/NAME/trt_profiling/trt_layer_windows.csv    extension: every layer's
 *                           true start and end (see docs/runners.md)
 *   DIR/NAME/trt_profiling/trt_engine_info.json     TensorRT inspector schema
 *   DIR/NAME/NAME_tensorrt.json                     config, per-cycle latency,
 *                           mean latency, throughput, and the untimed
 *                           whole-network reference
 *
 * Each measured cycle runs the network twice, interleaved: once with
 * per-layer timing (a synchronisation and two clock reads per layer) and
 * once without (issued back to back, one synchronisation), so drift hits
 * both alike and the per-layer sum can be checked against the real
 * whole-network time. */
#ifndef WATTPROF_BENCH_H
#define WATTPROF_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/error.h"
#include "wattprof/layout.h"
#include "wattprof/onnx.h"
#include "wattprof/progress.h"
#include "wattprof/runner.h"

#define WP_LAYER_WINDOWS_HEADER "cycle,layer_index,layer_name,start,end,latency_ms"

/* layer latencies one bench keeps at most by default (24 bytes each in
 * the result, as much again while measuring): --duration stops there */
#define WP_BENCH_MAX_SAMPLES ((size_t)1 << 22)

typedef struct wp_bench_options {
    wp_backend backend; /* default cpu */
    int runs;           /* measured cycles (default 100) */
    int warmup;         /* untimed cycles first (default 10) */
    /* Keep measuring until at least this many seconds have passed, as
     * trtexec's --duration (0: exactly `runs` cycles). A network of a few
     * microseconds gets thousands of cycles spread over the whole time,
     * where `runs` alone would take them all within one scheduler tick,
     * slow or fast as that tick happens to be. Bounded by max_samples. */
    double duration_s;
    /* latencies (layers x cycles) kept at most; 0: WP_BENCH_MAX_SAMPLES */
    size_t max_samples;
    int threads;       /* cpu backend threads, 0 = default */
    const char *model; /* recorded in the config (file name), may be NULL */
    /* Called (when set) right before the first measured cycle and right
     * after the last, e.g. to mark a power log. */
    void (*on_measure)(void *ctx, int started);
    void *on_measure_ctx;
} wp_bench_options;

void wp_bench_options_init(wp_bench_options *opt);

typedef struct wp_bench_result {
    size_t n_layers, n_cycles;
    int sample_limit_hit;    /* duration_s cut short by max_samples */
    char **names;            /* layer names (borrowed from the graph) */
    double *layer_ms;        /* [layer * n_cycles + cycle] */
    int64_t *start_local_us; /* [layer * n_cycles + cycle], local civil us */
    int64_t *end_local_us;
    double *cycle_ms;   /* per cycle: first layer's start to last layer's end */
    double *untimed_ms; /* per cycle: the run without per-layer timing */
    int64_t first_start_local_us, last_end_local_us;
    double mean_layer_sum_ms; /* mean over cycles of the sum of layer latencies */
    double mean_cycle_ms, mean_untimed_ms;
    double total_s;  /* wall time of the whole benchmark (warmup included) */
    int *fused_into; /* per layer: the layer that did its work
                                  (wp_runner_fused_into), or -1 */
    size_t n_fused;  /* layers with fused_into >= 0 */
    /* the host CPU's level-2 cache when a CPU backend ran the graph
     * (wp_device_l2_cache_bytes), 0 for the GPU or when unknown; the engine
     * info's "DeviceCacheBytes" */
    long long cache_bytes;
    /* the output channels the backend's convolutions compute together
     * (wp_cpu_channel_block; 1 for the ref backend's plain loops, 0 for the
     * GPU or when unknown); the engine info's "DeviceChannelBlock" */
    int channel_block;
} wp_bench_result;

/* Runs g (weights are materialised) and fills res. Nothing is written. */
int wp_bench_run(wp_graph *g, const wp_bench_options *opt, wp_bench_result *res, const wp_progress *progress,
                 wp_error *err);

/* Writes DIR/NAME/ as above (created if needed; files atomically). */
int wp_bench_write(const wp_graph *g, const wp_bench_options *opt, const wp_bench_result *res, const char *dir,
                   const char *name, wp_error *err);

void wp_bench_result_free(wp_bench_result *res);

#endif
