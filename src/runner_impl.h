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
    float **buf;       /* per tensor: host data (activations, and weights
                          pointing into the graph); views share their input's */
    float **owned;     /* what to free */
    void *impl;        /* backend state */
};

extern const runner_ops wp_runner_ref_ops;
extern const runner_ops *const wp_runner_cpu_ops;   /* NULL when not built */
extern const runner_ops *const wp_runner_cuda_ops;  /* NULL when not built */

/* 1 for ops that are views of their input (no work). */
int wp_runner_is_view(wp_op op);

#endif
