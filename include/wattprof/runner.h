/* Runs a graph layer by layer (one node = one layer; on cpu a convolution
 * may absorb the batch-norm and activation after it, see below) and
 * times each layer.
 *
 * Backends:
 *  - "ref": naive C loops. Slow; the oracle the other backends are tested
 *    against, and a fallback that runs anywhere.
 *  - "cpu": oneDNN's C API (libdnnl), one primitive per node, on the
 *    memory layouts oneDNN prefers (blocked); a reorder a layer needs runs
 *    inside that layer's time. Conv + BatchNormalization + Relu/Clip chains
 *    run as one convolution (wp_cpu_set_fusion). Nodes without a oneDNN path run the ref
 *    kernel on plain data. wp_runner_read always gives plain NCHW.
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
    int64_t start_us, end_us; /* monotonic clock (wp_ts_monotonic_us) */
    int64_t end_local_us;     /* local wall clock at the layer's end (wp_ts_now_local) */
    /* The layer's duration in nanoseconds: what bench reports as its
     * latency. Not end_us - start_us: many layers of small networks take
     * under a microsecond, and whole-microsecond stamps would record them
     * as 0 or 1 us (LeNet's ReLUs as 0, its dense layers at +-100 %). */
    int64_t dur_ns;
} wp_layer_time;

typedef struct wp_runner wp_runner;

/* Threads the cpu backend uses (oneDNN's OpenMP pool); 0 leaves the
 * default (all cores, or OMP_NUM_THREADS). On a machine shared with other
 * work, 1 gives far steadier per-layer times (see docs/runners.md).
 * Returns -1 when the count cannot be set (no OpenMP runtime). */
int wp_cpu_set_threads(int n);

/* How many output channels the cpu backend's convolutions compute
 * together: the float lanes of the vector registers oneDNN's kernels use
 * on this CPU (16 on AVX-512, 8 on AVX2, 4 on SSE4.1). A channel count
 * costs what it rounds up to: on the CPU runner convolutions with a channel
 * count that is no multiple of 16 ran at 53 GMAC/s against 86 (median,
 * docs/training.md). 1 with plain layouts (wp_cpu_set_layout, simple loops),
 * 0 when unknown (no oneDNN, or an ISA it does not name). */
int wp_cpu_channel_block(void);

/* Memory layouts of the cpu backend's runners created from now on.
 * AUTO (the default): oneDNN picks convolution layouts (blocked, e.g.
 * nChw16c) and the other primitives run on them, reorders only where a
 * layer needs another layout, inside that layer's time. PLAIN: every
 * tensor nchw / nc, no reorder anywhere (slow pooling, batch-norm and
 * depthwise convolution; kept to measure against, see docs/runners.md). */
typedef enum wp_cpu_layout { WP_CPU_LAYOUT_AUTO, WP_CPU_LAYOUT_PLAIN } wp_cpu_layout;
void wp_cpu_set_layout(wp_cpu_layout layout);

/* Fusion in the cpu backend's runners created from now on (default on;
 * never with WP_CPU_LAYOUT_PLAIN). On: a convolution or a dense layer
 * (Gemm, or MatMul by a constant matrix, on a 2-D input) absorbs the
 * inference BatchNormalization after it (folded into its weights and bias
 * at set-up) and the Relu or Clip after that (a oneDNN post-op), as
 * TensorRT and PyTorch's optimize_for_inference do, wherever the tensors in
 * between have no other reader and are no graph output. The absorbed nodes
 * stay layers of their own, with no work (their time is two clock reads),
 * see wp_runner_fused_into; the tensors inside the chain are never written
 * and wp_runner_read refuses them. Off: every node runs its own primitive. */
void wp_cpu_set_fusion(int on);

/* That fusion as a plan on the graph alone (no oneDNN needed, any build):
 * fused_into (g->n_nodes ints) gets, per node, the Conv or dense node whose
 * primitive does its work, or -1. A Conv with constant 4-D weights, or a
 * Gemm / MatMul of a 2-D input by a constant 2-D matrix, absorbs
 * the BatchNormalization (constant parameters) reading its output, then
 * the Relu or Clip reading the result, each only where the tensor in
 * between has that one reader and is no graph output. A fusing cpu runner
 * runs exactly this plan (wp_runner_fused_into gives the same numbers);
 * predict leaves the fused nodes out (wp_predict_graph). Returns how many
 * nodes are fused, or -1 (out of memory). */
int wp_graph_fusion_plan(const wp_graph *g, int *fused_into, wp_error *err);

/* The layout a cpu runner holds tensor t in (what its producer writes), as
 * oneDNN names it: "abcd" is plain nchw, "acdb" nhwc, "aBcd16b" nChw16c.
 * -1 for other backends or a tensor out of range. */
int wp_cpu_tensor_layout(const wp_runner *r, int tensor, char *buf, size_t size);

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

/* The layer whose work includes node's (a batch-norm or activation fused
 * into the convolution or dense layer before it), or -1 when node runs on its own. */
int wp_runner_fused_into(const wp_runner *r, size_t node);

/* Copies tensor t's values after a run into out (wp_dims_count floats). */
int wp_runner_read(wp_runner *r, int tensor, float *out, wp_error *err);

void wp_runner_free(wp_runner *r);

#endif
