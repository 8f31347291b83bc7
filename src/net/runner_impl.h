/* Private to the runner module: the backend interface. */
#ifndef WATTPROF_RUNNER_IMPL_H
#define WATTPROF_RUNNER_IMPL_H

#include "wattprof/runner.h"

typedef struct runner_ops {
    /* Creates per-layer state; host buffers (r->buf) already exist for
     * host backends. */
    int (*prepare)(wp_runner *r, wp_error *err);
    int (*exec)(wp_runner *r, size_t node, wp_error *err);
    /* Waits until every issued layer has finished. */
    int (*sync)(wp_runner *r, wp_error *err);
    /* Device backends copy tensor data in and out; NULL for host ones. */
    int (*upload_input)(wp_runner *r, wp_error *err);
    int (*download)(wp_runner *r, int tensor, float *out, wp_error *err);
    void (*destroy)(wp_runner *r);
    /* Optional: a whole timed run done the backend's way (CUDA events),
     * instead of exec + sync + host clock per layer. */
    int (*timed_run)(wp_runner *r, wp_layer_time *times, wp_error *err);
} runner_ops;

struct wp_runner {
    wp_graph *g;
    wp_backend backend;
    const runner_ops *ops;
    float **buf;   /* per tensor: host data (activations, and weights
                          pointing into the graph); views share their input's */
    float **owned; /* what to free */
    void *impl;    /* backend state */
};

extern const runner_ops wp__runner_ref_ops;
extern const runner_ops *const wp__runner_cpu_ops; /* NULL when not built */

/* The cuda backend lives in a separate shared module (libwattprof_cuda.so,
 * cmake/cuda.cmake) that runner.c loads with dlopen only when a cuda runner
 * is created, so nothing else maps cuDNN, cuBLAS and cudart (~150 MB of
 * resident pages and ~75 ms of start-up). The module links none of
 * wattprof_lib: the few library functions it needs come in this table. */
typedef struct wp_cuda_host {
    int (*fail)(wp_error *err, const char *file, long line, const char *fmt, ...) WP_PRINTF(4, 5);
    const char *(*op_name)(wp_op op);
    int64_t (*dims_count)(const wp_dims *d);
    int (*is_view)(wp_op op);
    int64_t (*monotonic_us)(void);
    int64_t (*now_local)(void);
} wp_cuda_host;

/* Bumped whenever runner_ops, struct wp_runner, wp_graph or wp_cuda_host
 * change, so a stale module (WATTPROF_CUDA_MODULE pointing at an older
 * build) is refused instead of misread. */
#define WP_CUDA_MODULE_ABI 2
#define WP_CUDA_MODULE_ENTRY "wp_cuda_module_ops"
/* The module's one exported function: its ops, or NULL (with err filled
 * through host->fail) when abi or the structure sizes differ from its own. */
typedef const runner_ops *(*wp_cuda_module_fn)(int abi, size_t runner_size, size_t graph_size, const wp_cuda_host *host,
                                               wp_error *err);
const runner_ops *wp_cuda_module_ops(int abi, size_t runner_size, size_t graph_size, const wp_cuda_host *host,
                                     wp_error *err);

/* Runs one node with the ref backend's kernel on plain row-major f32
 * buffers (r->buf). The cpu backend calls it for ops it has no oneDNN
 * primitive for; their inputs must then be in plain layout. */
int wp__ref_exec_node(wp_runner *r, size_t node, wp_error *err);

/* wp_runner_fused_into for a cpu runner. */
int wp__cpu_fused_into(const wp_runner *r, size_t node);

/* 1 for ops that are views of their input (no work). */
int wp__runner_is_view(wp_op op);

#endif
