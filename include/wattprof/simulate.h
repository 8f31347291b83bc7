/* Synthetic raw datasets with known per-layer truth (`wattprof simulate`).
 *
 * Physical model (docs/simulation.md): a network's layers run back to back,
 * cycle after cycle, with a gap between cycles; while layer k runs the board
 * draws idle + P_k (constant), during the gap idle + P_gap, before the first
 * and after the last cycle idle. Per-cycle latencies vary around each layer's
 * mean. The sensor reports every sample period (with jitter) the mean power
 * over its window ending at the sample time, plus Gaussian noise. The
 * profiler stamps each layer either at its true end (`ideal`) or, as
 * TensorRT's profiler does, all of a cycle's layers just after the cycle
 * ends, a few microseconds apart (`tensorrt`).
 *
 * All times are whole microseconds (the log and the latency file carry
 * microseconds), so with zero noise a correct estimator recovers the truth
 * exactly. Randomness comes from a private splitmix64 stream: the same
 * options and seed give the same bytes on every machine. */
#ifndef WATTPROF_SIMULATE_H
#define WATTPROF_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/engine.h"
#include "wattprof/error.h"
#include "wattprof/powerlog.h"

/* trtexec: layers stamped at their true end internally, but the files
 * written are trtexec's (--exportProfile averages, --exportTimes compute
 * windows in ms since trtexec's start, run_info.json's anchor), not
 * trt_layer_latency.json (docs/trtexec.md). */
typedef enum wp_sim_reporting { WP_SIM_IDEAL = 0, WP_SIM_TENSORRT, WP_SIM_TRTEXEC } wp_sim_reporting;
/* "ideal", "tensorrt", "trtexec" */
const char *wp_sim_reporting_name(wp_sim_reporting r);

typedef struct wp_sim_options {
    size_t n_layers; /* per model (>= 3: conv ... pool, dense) */
    size_t n_cycles;
    double sample_period_us; /* 1333: the INA3221's ~750 samples/s */
    double sample_jitter_us; /* each sample time moves uniformly by +-J */
    double sensor_window_us; /* 1100: the INA3221 conversion window */
    /* 0: a sample stamped t reports the window ending at t; L: the one
     * ending at t - L (a sensor that holds its last conversion, read up to
     * an update interval later: docs/logging.md) */
    double sensor_lag_us;
    double noise_uw; /* std of Gaussian noise on each sample */
    wp_sim_reporting reporting;
    double gap_us;            /* mean gap between cycles (+-20 %) */
    double report_delay_us;   /* tensorrt: first stamp this long after the cycle ends */
    double report_spacing_us; /* tensorrt: stamps this far apart */
    double latency_jitter;    /* relative std of a layer's per-cycle latency */
    double idle_uw;
    double gap_power_uw; /* above idle, between cycles */
    double lead_us;      /* idle logging before the first and after the last cycle */
    /* > 0: scale the generated layers' latencies so one inference takes
     * this long on average (0: as generated) */
    double inference_us;
    /* trtexec: run_info.json's anchor is this much earlier than trtexec's
     * own clock zero (the spawn precedes the child's start) */
    double anchor_error_us;
    uint64_t seed;
    /* Tests: fixed per-layer mean latency (us) and power above idle (uW)
     * instead of the generated architecture's (NULL: generated). */
    const double *layer_latency_us;
    const double *layer_power_uw;
} wp_sim_options;

void wp_sim_options_init(wp_sim_options *o);

typedef struct wp_sim_layer {
    char *name;
    const char *type; /* TensorRT LayerType */
    wp_layer_kind kind;
    double power_uw;   /* true power above idle */
    double latency_us; /* design mean latency */
    /* The same two from the shape alone, before the layer's random factors
     * (the cost model's expectation; latency within the same [10, 2000] us):
     * what a perfect model of the shape would predict, so a trained model's
     * error can be set against the floor those factors put under it. */
    double model_power_uw, model_latency_us;
    /* shapes for trt_engine_info.json */
    int64_t in[4], out[4]; /* N, C, H, W */
    int64_t kernel, stride, pad, groups;
    int is_max; /* pooling: MAX or AVERAGE */
} wp_sim_layer;

typedef struct wp_sim_run {
    char *model;
    size_t n_layers, n_cycles;
    wp_sim_layer *layers;
    double idle_uw, gap_power_uw;
    int64_t *lat_us;      /* [l * n_cycles + c] true latency */
    int64_t *end_us;      /* [l * n_cycles + c] true end */
    int64_t *reported_us; /* [l * n_cycles + c] profiler's stamp */
    wp_sample *samples;   /* the sensor's log (power) */
    size_t n_samples;
} wp_sim_run;

/* The power model (above idle, uW) for the layer's kind and shape, before
 * its random factor: a convolution's from its arithmetic intensity (1.2 to
 * 4.7 W), every other kind's from the share of its latency it keeps the
 * memory system busy (dense 0.9 to 2 W, pooling 0.6 to 1.3 W, the rest 0.4
 * to 0.9 W; docs/simulation.md). A generated layer's power is this times a
 * factor drawn uniformly in [WP_SIM_POWER_FACTOR_MIN, _MAX]. */
double wp_sim_layer_power_uw(const wp_sim_layer *ly);
#define WP_SIM_POWER_FACTOR_MIN 0.85
#define WP_SIM_POWER_FACTOR_MAX 1.15

/* Generates one model's run in memory. model_index varies the architecture
 * and the random stream between models of one dataset. */
int wp_sim_generate(const wp_sim_options *opt, const char *model, uint64_t model_index, wp_sim_run *run, wp_error *err);
void wp_sim_run_free(wp_sim_run *run);

/* The run's layer windows as `map` rebuilds them for TensorRT-style
 * reporting (back to back in file order, the last ending at the cycle's
 * earliest stamp), in microseconds from origin_us, layer-major
 * [l * n_cycles + c]: the deconvolve tests' and benchmark's fixture. */
void wp_sim_reconstructed_windows(const wp_sim_run *run, int64_t origin_us, double *start, double *end);

/* Realised mean latency of layer l over the run's cycles, in ms. */
double wp_sim_mean_latency_ms(const wp_sim_run *run, size_t l);

/* Writes a whole dataset: DIR/idling_power.json, DIR/truth.json and per
 * model DIR/<model>/<model>_power_log.log, <model>_tensorrt.json,
 * trt_profiling/trt_layer_latency.json, trt_profiling/trt_engine_info.json.
 * Every file is written atomically. */
int wp_simulate(const char *out_dir, const wp_sim_options *opt, const char *const *models, size_t n_models,
                wp_error *err);

#endif
