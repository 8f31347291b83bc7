/* "cuda" backend: cuDNN + cuBLAS, per-layer CUDA events. Built by
 * cmake/cuda.cmake, where the CUDA toolkit and cuDNN are found, as the shared
 * module libwattprof_cuda.so, which runner.c loads with dlopen only when a
 * cuda runner is asked for; the library proper links no CUDA library. The
 * module links nothing of wattprof_lib either: wp_fail and the few graph and
 * clock helpers it needs arrive in a wp_cuda_host table (`core`).
 *
 * Plain C over the runtime API (no kernels of our own, no nvcc). Tensors
 * live in device buffers, one per activation (views alias their input),
 * weights are uploaded once. A timed run records an event before the first
 * layer and after every layer, synchronises once at the end and takes the
 * host clocks then: layer i ran from event i to event i + 1 on the GPU, and
 * its wall-clock end is the host time at the end minus the GPU time still to
 * come after it. No per-layer synchronisation, so timing costs one event
 * record per layer.
 *
 * Limits (clear errors at set-up): cuDNN's classic API pads symmetrically,
 * so asymmetric padding and pooling windows that only ceil_mode creates are
 * refused; Clip must be Relu6-like (min 0); dilated max pooling is refused. */
#include "runner_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

static const wp_cuda_host *core;

typedef struct {
    cudnnTensorDescriptor_t x, y, b; /* input, output, bias/params */
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t algo;
    cudnnPoolingDescriptor_t pool;
    cudnnActivationDescriptor_t act;
    cudnnLRNDescriptor_t lrn;
    cudnnOpTensorDescriptor_t op;
    float *wdev;     /* converted dense weights (device) */
    float *bdev;     /* scaled dense bias (device) */
    int64_t m, n, k; /* dense sizes */
    int kind;        /* what exec does */
} clayer;

enum { K_NONE, K_CONV, K_POOL, K_DENSE, K_ACT, K_BN, K_ADD, K_CONCAT, K_SOFTMAX, K_LRN };

typedef struct {
    cudnnHandle_t dnn;
    cublasHandle_t blas;
    cudaStream_t stream;
    float **dev;   /* per tensor device pointer */
    float **owned; /* device allocations to free */
    clayer *layers;
    void *ws;
    size_t ws_size;
    cudaEvent_t *ev; /* n_layers + 1 */
} cuda_state;

static int cu(cudaError_t e, const wp_node *n, const char *what, wp_error *err)
{
    if (e == cudaSuccess)
        return 0;
    return core->fail(err, NULL, 0, "%s%s%s%s: CUDA %s failed: %s", n ? "node '" : "", n ? n->name : "", n ? "'" : "",
                      n ? "" : "cuda", what, cudaGetErrorString(e));
}

static int dn(cudnnStatus_t s, const wp_node *n, const char *what, wp_error *err)
{
    if (s == CUDNN_STATUS_SUCCESS)
        return 0;
    return core->fail(err, NULL, 0, "node '%s' (%s): cuDNN %s failed: %s", n ? n->name : "-",
                      n ? core->op_name(n->op) : "-", what, cudnnGetErrorString(s));
}

static int bl(cublasStatus_t s, const wp_node *n, const char *what, wp_error *err)
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return 0;
    return core->fail(err, NULL, 0, "node '%s': cuBLAS %s failed (status %d)", n ? n->name : "-", what, (int)s);
}

/* A tensor as NCHW (rank < 4 padded with trailing 1s). */
static int tensor_desc(cudnnTensorDescriptor_t *d, const wp_dims *s, const wp_node *n, wp_error *err)
{
    int dims[4] = {1, 1, 1, 1};
    if (s->n > 4)
        return core->fail(err, NULL, 0, "node '%s': tensors of rank %d are not supported by the cuda backend", n->name,
                          s->n);
    for (int i = 0; i < s->n; i++)
        dims[i] = (int)s->d[i];
    if (dn(cudnnCreateTensorDescriptor(d), n, "CreateTensorDescriptor", err))
        return -1;
    return dn(cudnnSetTensor4dDescriptor(*d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, dims[0], dims[1], dims[2], dims[3]),
              n, "SetTensor4dDescriptor", err);
}

static int vec_desc(cudnnTensorDescriptor_t *d, int64_t c, const wp_node *n, wp_error *err)
{
    wp_dims v = {4, {1, c, 1, 1}};
    return tensor_desc(d, &v, n, err);
}

static int upload(float **dst, const float *src, size_t count, const wp_node *n, wp_error *err)
{
    if (cu(cudaMalloc((void **)dst, count * sizeof(float)), n, "cudaMalloc", err))
        return -1;
    return cu(cudaMemcpy(*dst, src, count * sizeof(float), cudaMemcpyHostToDevice), n, "cudaMemcpy", err);
}

#define SH(t) (&r->g->tensors[t].shape)

static int symmetric(const wp_node *n, wp_error *err)
{
    if (n->pads[0] != n->pads[2] || n->pads[1] != n->pads[3])
        return core->fail(err, NULL, 0,
                          "node '%s' (%s): asymmetric padding is not supported by the cuda backend (cuDNN pads "
                          "symmetrically)",
                          n->name, core->op_name(n->op));
    return 0;
}

static int prep_conv(wp_runner *r, cuda_state *s, clayer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *w = SH(n->in[1]);
    if (symmetric(n, err) || tensor_desc(&l->x, SH(n->in[0]), n, err) || tensor_desc(&l->y, SH(n->out[0]), n, err))
        return -1;
    if (dn(cudnnCreateFilterDescriptor(&l->w), n, "CreateFilterDescriptor", err) ||
        dn(cudnnSetFilter4dDescriptor(l->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, (int)w->d[0], (int)w->d[1],
                                      (int)w->d[2], (int)w->d[3]),
           n, "SetFilter4dDescriptor", err) ||
        dn(cudnnCreateConvolutionDescriptor(&l->conv), n, "CreateConvolutionDescriptor", err) ||
        dn(cudnnSetConvolution2dDescriptor(l->conv, (int)n->pads[0], (int)n->pads[1], (int)n->stride[0],
                                           (int)n->stride[1], (int)n->dilation[0], (int)n->dilation[1],
                                           CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
           n, "SetConvolution2dDescriptor", err) ||
        dn(cudnnSetConvolutionGroupCount(l->conv, (int)n->group), n, "SetConvolutionGroupCount", err))
        return -1;
    int got = 0;
    cudnnConvolutionFwdAlgoPerf_t perf[8];
    if (dn(cudnnGetConvolutionForwardAlgorithm_v7(s->dnn, l->x, l->w, l->conv, l->y, 8, &got, perf), n,
           "GetConvolutionForwardAlgorithm_v7", err))
        return -1;
    if (got < 1)
        return core->fail(err, NULL, 0, "node '%s': cuDNN offers no convolution algorithm", n->name);
    l->algo = perf[0].algo;
    size_t ws = 0;
    if (dn(cudnnGetConvolutionForwardWorkspaceSize(s->dnn, l->x, l->w, l->conv, l->y, l->algo, &ws), n,
           "GetConvolutionForwardWorkspaceSize", err))
        return -1;
    if (ws > s->ws_size)
        s->ws_size = ws;
    if (n->n_in > 2 && n->in[2] >= 0 && vec_desc(&l->b, w->d[0], n, err))
        return -1;
    l->kind = K_CONV;
    return 0;
}

static int prep_pool(wp_runner *r, clayer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *x = SH(n->in[0]), *y = SH(n->out[0]);
    int global = n->op == WP_OP_GLOBALAVGPOOL;
    if (!global && symmetric(n, err))
        return -1;
    if (n->op == WP_OP_MAXPOOL && (n->dilation[0] != 1 || n->dilation[1] != 1))
        return core->fail(err, NULL, 0, "node '%s': dilated max pooling is not supported by the cuda backend", n->name);
    int kh = global ? (int)x->d[2] : (int)n->kernel[0], kw = global ? (int)x->d[3] : (int)n->kernel[1];
    int ph = global ? 0 : (int)n->pads[0], pw = global ? 0 : (int)n->pads[1];
    int sh = global ? 1 : (int)n->stride[0], sw = global ? 1 : (int)n->stride[1];
    cudnnPoolingMode_t mode = n->op == WP_OP_MAXPOOL            ? CUDNN_POOLING_MAX
                              : n->count_include_pad && !global ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                                : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    if (tensor_desc(&l->x, x, n, err) || tensor_desc(&l->y, y, n, err) ||
        dn(cudnnCreatePoolingDescriptor(&l->pool), n, "CreatePoolingDescriptor", err) ||
        dn(cudnnSetPooling2dDescriptor(l->pool, mode, CUDNN_NOT_PROPAGATE_NAN, kh, kw, ph, pw, sh, sw), n,
           "SetPooling2dDescriptor", err))
        return -1;
    int on, oc, oh, ow;
    if (dn(cudnnGetPooling2dForwardOutputDim(l->pool, l->x, &on, &oc, &oh, &ow), n, "GetPooling2dForwardOutputDim",
           err))
        return -1;
    if (oh != (int)y->d[2] || ow != (int)y->d[3])
        return core->fail(err, NULL, 0,
                          "node '%s': cuDNN pools to %dx%d where ONNX (ceil_mode) wants %lldx%lld; not supported by "
                          "the cuda backend",
                          n->name, oh, ow, (long long)y->d[2], (long long)y->d[3]);
    l->kind = K_POOL;
    return 0;
}

static int prep_dense(wp_runner *r, clayer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *x = SH(n->in[0]), *y = SH(n->out[0]);
    int64_t K = x->d[1], N = y->d[1];
    const float *W = r->buf[n->in[1]];
    int trans = n->op == WP_OP_GEMM && n->trans_b;
    float alpha = n->op == WP_OP_GEMM ? n->alpha : 1.0f;
    float *wt = malloc((size_t)(N * K) * sizeof(float));
    if (!wt)
        return core->fail(err, NULL, 0, "out of memory");
    for (int64_t j = 0; j < N; j++)
        for (int64_t k = 0; k < K; k++)
            wt[j * K + k] = alpha * (trans ? W[j * K + k] : W[k * N + j]);
    int rc = upload(&l->wdev, wt, (size_t)(N * K), n, err);
    free(wt);
    if (rc)
        return -1;
    if (n->op == WP_OP_GEMM && n->n_in > 2 && n->in[2] >= 0) {
        float *bb = malloc((size_t)N * sizeof(float));
        if (!bb)
            return core->fail(err, NULL, 0, "out of memory");
        for (int64_t j = 0; j < N; j++)
            bb[j] = n->beta * r->buf[n->in[2]][j];
        rc = upload(&l->bdev, bb, (size_t)N, n, err);
        free(bb);
        if (rc || vec_desc(&l->b, N, n, err))
            return -1;
        wp_dims yd = {4, {x->d[0], N, 1, 1}};
        if (tensor_desc(&l->y, &yd, n, err))
            return -1;
    }
    l->m = x->d[0];
    l->n = N;
    l->k = K;
    l->kind = K_DENSE;
    return 0;
}

static int prep_act(wp_runner *r, clayer *l, const wp_node *n, wp_error *err)
{
    cudnnActivationMode_t mode = CUDNN_ACTIVATION_RELU;
    double coef = 0;
    if (n->op == WP_OP_CLIP) {
        if (n->clip_min != 0.0f)
            return core->fail(err, NULL, 0,
                              "node '%s' (Clip): only min = 0 (Relu6-like) is supported by the cuda "
                              "backend",
                              n->name);
        if (isfinite(n->clip_max)) {
            mode = CUDNN_ACTIVATION_CLIPPED_RELU;
            coef = n->clip_max;
        }
    }
    if (tensor_desc(&l->x, SH(n->in[0]), n, err) ||
        dn(cudnnCreateActivationDescriptor(&l->act), n, "CreateActivationDescriptor", err) ||
        dn(cudnnSetActivationDescriptor(l->act, mode, CUDNN_NOT_PROPAGATE_NAN, coef), n, "SetActivationDescriptor",
           err))
        return -1;
    l->kind = K_ACT;
    return 0;
}

/* Softmax over `axis`: the tensor seen as (outer, len, inner, 1). */
static int prep_softmax(wp_runner *r, clayer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *x = SH(n->in[0]);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < x->n; i++) {
        if (i < n->axis)
            outer *= x->d[i];
        if (i > n->axis)
            inner *= x->d[i];
    }
    wp_dims v = {4, {outer, x->d[n->axis], inner, 1}};
    if (tensor_desc(&l->x, &v, n, err))
        return -1;
    l->kind = K_SOFTMAX;
    return 0;
}

static int cuda_prepare(wp_runner *r, wp_error *err)
{
    int count = 0;
    cudaError_t ce = cudaGetDeviceCount(&count);
    if (ce != cudaSuccess || count < 1)
        return core->fail(err, NULL, 0, "backend 'cuda': no usable CUDA device (%s)",
                          ce != cudaSuccess ? cudaGetErrorString(ce) : "none found");
    cuda_state *s = calloc(1, sizeof *s);
    if (!s)
        return core->fail(err, NULL, 0, "out of memory");
    r->impl = s;
    const wp_graph *g = r->g;
    s->dev = calloc(g->n_tensors, sizeof *s->dev);
    s->owned = calloc(g->n_tensors, sizeof *s->owned);
    s->layers = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *s->layers);
    s->ev = calloc(g->n_nodes + 1, sizeof *s->ev);
    if (!s->dev || !s->owned || !s->layers || !s->ev)
        return core->fail(err, NULL, 0, "out of memory");
    if (cu(cudaStreamCreate(&s->stream), NULL, "cudaStreamCreate", err) ||
        dn(cudnnCreate(&s->dnn), NULL, "Create", err) ||
        dn(cudnnSetStream(s->dnn, s->stream), NULL, "SetStream", err) ||
        bl(cublasCreate(&s->blas), NULL, "Create", err) ||
        bl(cublasSetStream(s->blas, s->stream), NULL, "SetStream", err))
        return -1;
    for (size_t i = 0; i <= g->n_nodes; i++)
        if (cu(cudaEventCreate(&s->ev[i]), NULL, "cudaEventCreate", err))
            return -1;
    /* Weights and activations. */
    for (size_t t = 0; t < g->n_tensors; t++) {
        const wp_tensor *ten = &g->tensors[t];
        if (ten->is_const && upload(&s->owned[t], r->buf[t], (size_t)core->dims_count(&ten->shape), NULL, err))
            return -1;
        s->dev[t] = s->owned[t];
    }
    for (size_t k = 0; k <= g->n_nodes; k++) {
        int t = k == 0 ? g->input : g->nodes[k - 1].out[0];
        if (k && core->is_view(g->nodes[k - 1].op)) {
            s->dev[t] = s->dev[g->nodes[k - 1].in[0]];
            continue;
        }
        size_t bytes = (size_t)core->dims_count(&g->tensors[t].shape) * sizeof(float);
        if (cu(cudaMalloc((void **)&s->owned[t], bytes), NULL, "cudaMalloc", err))
            return -1;
        s->dev[t] = s->owned[t];
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        const wp_node *n = &g->nodes[i];
        clayer *l = &s->layers[i];
        int rc = 0;
        switch (n->op) {
        case WP_OP_CONV: rc = prep_conv(r, s, l, n, err); break;
        case WP_OP_MAXPOOL:
        case WP_OP_AVGPOOL:
        case WP_OP_GLOBALAVGPOOL: rc = prep_pool(r, l, n, err); break;
        case WP_OP_GEMM:
        case WP_OP_MATMUL: rc = prep_dense(r, l, n, err); break;
        case WP_OP_RELU:
        case WP_OP_CLIP: rc = prep_act(r, l, n, err); break;
        case WP_OP_BATCHNORM:
            rc = tensor_desc(&l->x, SH(n->in[0]), n, err) || vec_desc(&l->b, SH(n->in[0])->d[1], n, err);
            l->kind = K_BN;
            if (!rc && n->epsilon < CUDNN_BN_MIN_EPSILON)
                rc = core->fail(err, NULL, 0, "node '%s': epsilon %g is below cuDNN's minimum", n->name, n->epsilon);
            break;
        case WP_OP_ADD:
            rc = tensor_desc(&l->x, SH(n->in[0]), n, err) ||
                 dn(cudnnCreateOpTensorDescriptor(&l->op), n, "CreateOpTensorDescriptor", err) ||
                 dn(cudnnSetOpTensorDescriptor(l->op, CUDNN_OP_TENSOR_ADD, CUDNN_DATA_FLOAT, CUDNN_NOT_PROPAGATE_NAN),
                    n, "SetOpTensorDescriptor", err);
            l->kind = K_ADD;
            break;
        case WP_OP_CONCAT: l->kind = K_CONCAT; break;
        case WP_OP_SOFTMAX: rc = prep_softmax(r, l, n, err); break;
        case WP_OP_LRN:
            if (n->size < CUDNN_LRN_MIN_N || n->size > CUDNN_LRN_MAX_N || n->size % 2 == 0)
                return core->fail(err, NULL, 0, "node '%s' (LRN): size %lld is not supported by cuDNN", n->name,
                                  (long long)n->size);
            rc = tensor_desc(&l->x, SH(n->in[0]), n, err) ||
                 dn(cudnnCreateLRNDescriptor(&l->lrn), n, "CreateLRNDescriptor", err) ||
                 dn(cudnnSetLRNDescriptor(l->lrn, (unsigned)n->size, n->alpha, n->beta, n->bias), n, "SetLRNDescriptor",
                    err);
            l->kind = K_LRN;
            break;
        default:
            /* Ops without a cuDNN path (added for PyTorch exports) are
             * refused rather than silently skipped. */
            if (!core->is_view(n->op))
                return core->fail(err, NULL, 0, "node '%s' (%s): not supported by the cuda backend", n->name,
                                  core->op_name(n->op));
            break; /* views */
        }
        if (rc)
            return -1;
    }
    if (s->ws_size && cu(cudaMalloc(&s->ws, s->ws_size), NULL, "cudaMalloc (workspace)", err))
        return -1;
    return 0;
}

static int cuda_exec(wp_runner *r, size_t i, wp_error *err)
{
    cuda_state *s = r->impl;
    const wp_node *n = &r->g->nodes[i];
    clayer *l = &s->layers[i];
    const float one = 1.0f, zero = 0.0f;
    float *x = s->dev[n->in[0]], *y = s->dev[n->out[0]];
    switch (l->kind) {
    case K_CONV:
        if (dn(cudnnConvolutionForward(s->dnn, &one, l->x, x, l->w, s->dev[n->in[1]], l->conv, l->algo, s->ws,
                                       s->ws_size, &zero, l->y, y),
               n, "ConvolutionForward", err))
            return -1;
        if (l->b && dn(cudnnAddTensor(s->dnn, &one, l->b, s->dev[n->in[2]], &one, l->y, y), n, "AddTensor", err))
            return -1;
        return 0;
    case K_POOL:
        return dn(cudnnPoolingForward(s->dnn, l->pool, &one, l->x, x, &zero, l->y, y), n, "PoolingForward", err);
    case K_DENSE:
        /* Row-major Y[M,N] = X[M,K] W[N,K]^T is column-major Y^T = W X^T. */
        if (bl(cublasSgemm(s->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)l->n, (int)l->m, (int)l->k, &one, l->wdev, (int)l->k,
                           x, (int)l->k, &zero, y, (int)l->n),
               n, "Sgemm", err))
            return -1;
        if (l->bdev && dn(cudnnAddTensor(s->dnn, &one, l->b, l->bdev, &one, l->y, y), n, "AddTensor", err))
            return -1;
        return 0;
    case K_ACT:
        return dn(cudnnActivationForward(s->dnn, l->act, &one, l->x, x, &zero, l->x, y), n, "ActivationForward", err);
    case K_BN:
        return dn(cudnnBatchNormalizationForwardInference(s->dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, l->x, x, l->x,
                                                          y, l->b, s->dev[n->in[1]], s->dev[n->in[2]], s->dev[n->in[3]],
                                                          s->dev[n->in[4]], n->epsilon),
                  n, "BatchNormalizationForwardInference", err);
    case K_ADD:
        return dn(cudnnOpTensor(s->dnn, l->op, &one, l->x, x, &one, l->x, s->dev[n->in[1]], &zero, l->x, y), n,
                  "OpTensor", err);
    case K_SOFTMAX:
        return dn(cudnnSoftmaxForward(s->dnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, l->x, x, &zero,
                                      l->x, y),
                  n, "SoftmaxForward", err);
    case K_LRN:
        return dn(
            cudnnLRNCrossChannelForward(s->dnn, l->lrn, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, l->x, x, &zero, l->x, y), n,
            "LRNCrossChannelForward", err);
    case K_CONCAT: {
        const wp_dims *yd = SH(n->out[0]);
        int64_t outer = 1, inner = 1;
        for (int a = 0; a < yd->n; a++) {
            if (a < n->axis)
                outer *= yd->d[a];
            if (a > n->axis)
                inner *= yd->d[a];
        }
        int64_t at = 0, row = yd->d[n->axis] * inner;
        for (size_t k = 0; k < n->n_in; k++) {
            int64_t part = SH(n->in[k])->d[n->axis] * inner;
            if (cu(cudaMemcpy2DAsync(y + at, (size_t)row * sizeof(float), s->dev[n->in[k]],
                                     (size_t)part * sizeof(float), (size_t)part * sizeof(float), (size_t)outer,
                                     cudaMemcpyDeviceToDevice, s->stream),
                   n, "cudaMemcpy2DAsync", err))
                return -1;
            at += part;
        }
        return 0;
    }
    default: return 0;
    }
}

static int cuda_sync(wp_runner *r, wp_error *err)
{
    cuda_state *s = r->impl;
    return cu(cudaStreamSynchronize(s->stream), NULL, "cudaStreamSynchronize", err);
}

static int cuda_timed_run(wp_runner *r, wp_layer_time *times, wp_error *err)
{
    cuda_state *s = r->impl;
    size_t L = r->g->n_nodes;
    if (cu(cudaEventRecord(s->ev[0], s->stream), NULL, "cudaEventRecord", err))
        return -1;
    for (size_t i = 0; i < L; i++)
        if (cuda_exec(r, i, err) || cu(cudaEventRecord(s->ev[i + 1], s->stream), NULL, "cudaEventRecord", err))
            return -1;
    if (cu(cudaEventSynchronize(s->ev[L]), NULL, "cudaEventSynchronize", err))
        return -1;
    int64_t end_mono = core->monotonic_us(), end_local = core->now_local();
    for (size_t i = 0; i < L; i++) {
        float ms = 0, after = 0;
        if (cu(cudaEventElapsedTime(&ms, s->ev[i], s->ev[i + 1]), NULL, "cudaEventElapsedTime", err) ||
            cu(cudaEventElapsedTime(&after, s->ev[i + 1], s->ev[L]), NULL, "cudaEventElapsedTime", err))
            return -1;
        int64_t after_us = (int64_t)llround((double)after * 1000.0), dur_us = (int64_t)llround((double)ms * 1000.0);
        times[i].end_us = end_mono - after_us;
        times[i].start_us = times[i].end_us - dur_us;
        times[i].dur_ns = (int64_t)llround((double)ms * 1e6);
        times[i].end_local_us = end_local - after_us;
    }
    return 0;
}

static int cuda_upload_input(wp_runner *r, wp_error *err)
{
    cuda_state *s = r->impl;
    int t = r->g->input;
    return cu(cudaMemcpy(s->dev[t], r->buf[t], (size_t)core->dims_count(&r->g->tensors[t].shape) * sizeof(float),
                         cudaMemcpyHostToDevice),
              NULL, "cudaMemcpy (input)", err);
}

static int cuda_download(wp_runner *r, int t, float *out, wp_error *err)
{
    cuda_state *s = r->impl;
    return cu(cudaMemcpy(out, s->dev[t], (size_t)core->dims_count(&r->g->tensors[t].shape) * sizeof(float),
                         cudaMemcpyDeviceToHost),
              NULL, "cudaMemcpy (read)", err);
}

static void cuda_destroy(wp_runner *r)
{
    cuda_state *s = r->impl;
    if (!s)
        return;
    const wp_graph *g = r->g;
    if (s->layers)
        for (size_t i = 0; i < g->n_nodes; i++) {
            clayer *l = &s->layers[i];
            if (l->x)
                cudnnDestroyTensorDescriptor(l->x);
            if (l->y)
                cudnnDestroyTensorDescriptor(l->y);
            if (l->b)
                cudnnDestroyTensorDescriptor(l->b);
            if (l->w)
                cudnnDestroyFilterDescriptor(l->w);
            if (l->conv)
                cudnnDestroyConvolutionDescriptor(l->conv);
            if (l->pool)
                cudnnDestroyPoolingDescriptor(l->pool);
            if (l->act)
                cudnnDestroyActivationDescriptor(l->act);
            if (l->lrn)
                cudnnDestroyLRNDescriptor(l->lrn);
            if (l->op)
                cudnnDestroyOpTensorDescriptor(l->op);
            cudaFree(l->wdev);
            cudaFree(l->bdev);
        }
    if (s->owned)
        for (size_t t = 0; t < g->n_tensors; t++)
            cudaFree(s->owned[t]);
    if (s->ev)
        for (size_t i = 0; i <= g->n_nodes; i++)
            if (s->ev[i])
                cudaEventDestroy(s->ev[i]);
    cudaFree(s->ws);
    if (s->blas)
        cublasDestroy(s->blas);
    if (s->dnn)
        cudnnDestroy(s->dnn);
    if (s->stream)
        cudaStreamDestroy(s->stream);
    free(s->ev);
    free(s->layers);
    free(s->owned);
    free(s->dev);
    free(s);
    r->impl = NULL;
}

static const runner_ops cuda_ops = {cuda_prepare,  cuda_exec,    cuda_sync,     cuda_upload_input,
                                    cuda_download, cuda_destroy, cuda_timed_run};

__attribute__((visibility("default"))) const runner_ops *
wp_cuda_module_ops(int abi, size_t runner_size, size_t graph_size, const wp_cuda_host *host, wp_error *err)
{
    if (abi != WP_CUDA_MODULE_ABI || runner_size != sizeof(struct wp_runner) || graph_size != sizeof(wp_graph)) {
        /* host->fail is only trusted when the table matches; write directly. */
        if (err)
            snprintf(err->msg, sizeof err->msg,
                     "module built for another wattprof (interface %d/%zu/%zu, wattprof's %d/%zu/%zu): rebuild it",
                     WP_CUDA_MODULE_ABI, sizeof(struct wp_runner), sizeof(wp_graph), abi, runner_size, graph_size);
        return NULL;
    }
    core = host;
    return &cuda_ops;
}
