/* Runs a graph layer by layer (one node = one layer = one primitive) and
 * times each layer.
 *
 * Backends:
 *  - "ref": naive C loops. Slow; the oracle the other backends are tested
 *    against, and a fallback that runs anywhere.
 *  - "cpu": oneDNN's C API (libdnnl), one primitive per node on plain
 *    (nchw/oihw) layouts, so no hidden reorders move time between layers.
 *  - "cuda": cuDNN + cuBLAS with CUDA events per layer, where built.
 * Flatten, Reshape and Dropout are views of their input (no work, timed
 * all the same so every node appears as a layer). */
#ifndef WATTPROF_RUNNER_H
#define WATTPROF_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/error.h"
#include "wattprof/onnx.h"

typedef enum wp_backend { WP_BACKEND_REF, WP_BACKEND_CPU, WP_BACKEND_CUDA } wp_backend;

int wp_backend_parse(const char *name, wp_backend *backend, wp_error *err);
const char *wp_backend_name(wp_backend backend);
/* 1 when the backend was built into this binary. */
int wp_backend_available(wp_backend backend);

/* One layer's timing in one run. */
typedef struct wp_layer_time {
    int64_t start_us, end_us;   /* monotonic clock (wp_ts_monotonic_us) */
    int64_t end_local_us;       /* local wall clock at the layer's end (wp_ts_now_local) */
} wp_layer_time;

typedef struct wp_runner wp_runner;

/* Threads the cpu backend uses (oneDNN's OpenMP pool); 0 leaves the
 * default (all cores, or OMP_NUM_THREADS). On a machine shared with other
 * work, 1 gives far steadier per-layer times (see docs/runners.md).
 * Returns -1 when the count cannot be set (no OpenMP runtime). */
int wp_cpu_set_threads(int n);

/* Prepares every layer (weights materialised and handed to the backend,
 * primitives created). g must outlive the runner; its lazily generated
 * weights are filled in. The input starts as deterministic values. */
wp_runner *wp_runner_create(wp_graph *g, wp_backend backend, wp_error *err);
size_t wp_runner_n_layers(const wp_runner *r);

/* Sets the graph input (wp_dims_count of its shape floats). */
int wp_runner_set_input(wp_runner *r, const float *x, wp_error *err);

/* Runs the network once. times != NULL: per-layer timing (n_layers entries;
 * the backend is synchronised after every layer). times == NULL: layers
 * are issued back to back and synchronised once at the end, the
 * whole-network reference bench compares the per-layer sum against. */
int wp_runner_run(wp_runner *r, wp_layer_time *times, wp_error *err);

/* Copies tensor t's values after a run into out (wp_dims_count floats). */
int wp_runner_read(wp_runner *r, int tensor, float *out, wp_error *err);

void wp_runner_free(wp_runner *r);

#endif
