/* Runner: buffers, the per-layer timing loop, and the "ref" backend (naive
 * loops, the oracle for the optimised backends). */
#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner_impl.h"
#include "wattprof/timestamp.h"

int wp_backend_parse(const char *name, wp_backend *backend, wp_error *err)
{
    if (strcmp(name, "cpu") == 0)
        *backend = WP_BACKEND_CPU;
    else if (strcmp(name, "cuda") == 0)
        *backend = WP_BACKEND_CUDA;
    else if (strcmp(name, "ref") == 0)
        *backend = WP_BACKEND_REF;
    else
        return wp_fail(err, NULL, 0, "unknown backend '%s' (cpu, cuda, ref)", name);
    return 0;
}

const char *wp_backend_name(wp_backend backend)
{
    return backend == WP_BACKEND_CPU ? "cpu" : backend == WP_BACKEND_CUDA ? "cuda" : "ref";
}

#ifdef WATTPROF_CUDA_MODULE
/* The cuda backend's module is loaded at most once per process and never
 * unloaded (the CUDA runtime does not survive dlclose well); a failure is
 * remembered so every later attempt reports the same reason. */
static pthread_mutex_t cuda_lock = PTHREAD_MUTEX_INITIALIZER;
static int cuda_tried;
static const runner_ops *cuda_ops;
static wp_error cuda_err;

static const runner_ops *cuda_load(wp_error *err)
{
    static const wp_cuda_host host = {wp_fail,         wp_op_name,         wp_dims_count,
                                      wp_runner_is_view, wp_ts_monotonic_us, wp_ts_now_local};
    pthread_mutex_lock(&cuda_lock);
    if (!cuda_tried) {
        cuda_tried = 1;
        /* The build tree's module serves a binary run from the build tree
         * (and the tests); an installed binary, whose build tree may be
         * gone, finds its own under the install prefix. */
        const char *path = getenv("WATTPROF_CUDA_MODULE");
        if (!path || !*path)
            path = access(WATTPROF_CUDA_MODULE, F_OK) == 0 ? WATTPROF_CUDA_MODULE : WATTPROF_CUDA_MODULE_INSTALLED;
        void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char *why = dlerror();
            wp_fail(&cuda_err, NULL, 0, "backend 'cuda' is not available: %s", why ? why : path);
        } else {
            /* POSIX guarantees a data pointer from dlsym converts to a
             * function pointer; memcpy keeps ISO C quiet about it. */
            void *sym = dlsym(lib, WP_CUDA_MODULE_ENTRY);
            wp_cuda_module_fn entry = NULL;
            if (sym)
                memcpy(&entry, &sym, sizeof entry);
            wp_error why = {0};
            if (!entry)
                wp_fail(&cuda_err, NULL, 0, "backend 'cuda' is not available: %s has no %s", path,
                        WP_CUDA_MODULE_ENTRY);
            else if (!(cuda_ops = entry(WP_CUDA_MODULE_ABI, sizeof(struct wp_runner), sizeof(wp_graph), &host, &why)))
                wp_fail(&cuda_err, NULL, 0, "backend 'cuda' is not available: %s: %s", path, why.msg);
            if (!cuda_ops)
                dlclose(lib);
        }
    }
    const runner_ops *ops = cuda_ops;
    if (!ops && err)
        *err = cuda_err;
    pthread_mutex_unlock(&cuda_lock);
    return ops;
}
#endif

static const runner_ops *backend_ops(wp_backend b, wp_error *err)
{
    switch (b) {
    case WP_BACKEND_CPU:
        if (!wp_runner_cpu_ops)
            wp_fail(err, NULL, 0, "backend 'cpu' is not built in: it needs oneDNN (libdnnl-dev) at configure time");
        return wp_runner_cpu_ops;
    case WP_BACKEND_CUDA:
#ifdef WATTPROF_CUDA_MODULE
        return cuda_load(err);
#else
        wp_fail(err, NULL, 0, "backend 'cuda' is not built in: it needs the CUDA toolkit and cuDNN at configure time");
        return NULL;
#endif
    case WP_BACKEND_REF:
        break;
    }
    return &wp_runner_ref_ops;
}

int wp_backend_available(wp_backend backend)
{
    /* cuda: built, i.e. its module was configured; loading it is left to
     * wp_runner_create, which says why when the module cannot be loaded. */
    if (backend == WP_BACKEND_CUDA) {
#ifdef WATTPROF_CUDA_MODULE
        return 1;
#else
        return 0;
#endif
    }
    return backend_ops(backend, NULL) != NULL;
}

int wp_runner_is_view(wp_op op)
{
    return op == WP_OP_FLATTEN || op == WP_OP_RESHAPE || op == WP_OP_DROPOUT;
}

size_t wp_runner_n_layers(const wp_runner *r)
{
    return r->g->n_nodes;
}

void wp_runner_free(wp_runner *r)
{
    if (!r)
        return;
    if (r->ops && r->ops->destroy)
        r->ops->destroy(r);
    if (r->owned)
        for (size_t i = 0; i < r->g->n_tensors; i++)
            free(r->owned[i]);
    free(r->owned);
    free(r->buf);
    free(r);
}

wp_runner *wp_runner_create(wp_graph *g, wp_backend backend, wp_error *err)
{
    const runner_ops *ops = backend_ops(backend, err);
    if (!ops)
        return NULL;
    wp_runner *r = calloc(1, sizeof *r);
    if (!r) {
        wp_fail(err, NULL, 0, "out of memory");
        return NULL;
    }
    r->g = g;
    r->backend = backend;
    r->buf = calloc(g->n_tensors, sizeof *r->buf);
    r->owned = calloc(g->n_tensors, sizeof *r->owned);
    if (!r->buf || !r->owned) {
        wp_fail(err, NULL, 0, "out of memory");
        wp_runner_free(r);
        return NULL;
    }
    for (size_t i = 0; i < g->n_tensors; i++) {
        wp_tensor *t = &g->tensors[i];
        if (t->is_const) {
            if (wp_tensor_fill(t, err)) {
                wp_runner_free(r);
                return NULL;
            }
            r->buf[i] = t->data;
        }
    }
    /* Activations: one buffer per tensor; views alias their input. The
     * graph input gets deterministic values so a run needs no set_input. */
    for (size_t k = 0; k <= g->n_nodes; k++) {
        int t = k == 0 ? g->input : g->nodes[k - 1].out[0];
        const wp_node *n = k ? &g->nodes[k - 1] : NULL;
        if (n && wp_runner_is_view(n->op)) {
            r->buf[t] = r->buf[n->in[0]];
            continue;
        }
        int64_t count = wp_dims_count(&g->tensors[t].shape);
        r->owned[t] = calloc((size_t)count, sizeof(float));
        if (!r->owned[t]) {
            wp_fail(err, NULL, 0, "out of memory for tensor '%s'", g->tensors[t].name);
            wp_runner_free(r);
            return NULL;
        }
        r->buf[t] = r->owned[t];
        if (k == 0) {
            wp_tensor gen = {0};
            gen.seed = 0x1234;
            gen.scale = 1.0f;
            wp_tensor_generate(&gen, 0, count, r->buf[t]);
        }
    }
    r->ops = ops;
    if (ops->prepare(r, err) || (ops->upload_input && ops->upload_input(r, err))) {
        wp_runner_free(r);
        return NULL;
    }
    return r;
}

int wp_runner_set_input(wp_runner *r, const float *x, wp_error *err)
{
    int t = r->g->input;
    memcpy(r->buf[t], x, (size_t)wp_dims_count(&r->g->tensors[t].shape) * sizeof(float));
    if (r->ops->upload_input)
        return r->ops->upload_input(r, err);
    return 0;
}

int wp_runner_run(wp_runner *r, wp_layer_time *times, wp_error *err)
{
    if (times && r->ops->timed_run)
        return r->ops->timed_run(r, times, err);
    for (size_t i = 0; i < r->g->n_nodes; i++) {
        int64_t start = times ? wp_ts_monotonic_us() : 0;
        if (r->ops->exec(r, i, err))
            return -1;
        if (times) {
            if (r->ops->sync(r, err))
                return -1;
            times[i].end_us = wp_ts_monotonic_us();
            times[i].end_local_us = wp_ts_now_local();
            times[i].start_us = start;
        }
    }
    return times ? 0 : r->ops->sync(r, err);
}

int wp_runner_read(wp_runner *r, int tensor, float *out, wp_error *err)
{
    if (tensor < 0 || (size_t)tensor >= r->g->n_tensors)
        return wp_fail(err, NULL, 0, "no tensor %d", tensor);
    if (r->ops->download)
        return r->ops->download(r, tensor, out, err);
    memcpy(out, r->buf[tensor], (size_t)wp_dims_count(&r->g->tensors[tensor].shape) * sizeof(float));
    return 0;
}

/* ---- ref backend ---------------------------------------------------------- */

static int ref_prepare(wp_runner *r, wp_error *err)
{
    (void)r;
    (void)err;
    return 0;
}

static int ref_sync(wp_runner *r, wp_error *err)
{
    (void)r;
    (void)err;
    return 0;
}

#define SHAPE(t) (g->tensors[t].shape)

static void ref_conv(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]), *y = &SHAPE(n->out[0]), *w = &SHAPE(n->in[1]);
    const float *X = buf[n->in[0]], *W = buf[n->in[1]];
    const float *B = n->n_in > 2 && n->in[2] >= 0 ? buf[n->in[2]] : NULL;
    float *Y = buf[n->out[0]];
    int64_t N = x->d[0], C = x->d[1], H = x->d[2], Wd = x->d[3];
    int64_t M = y->d[1], OH = y->d[2], OW = y->d[3], KH = w->d[2], KW = w->d[3];
    int64_t cg = C / n->group, mg = M / n->group;
    for (int64_t b = 0; b < N; b++)
        for (int64_t m = 0; m < M; m++) {
            int64_t grp = m / mg;
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    double acc = B ? B[m] : 0.0;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t kh = 0; kh < KH; kh++) {
                            int64_t ih = oh * n->stride[0] - n->pads[0] + kh * n->dilation[0];
                            if (ih < 0 || ih >= H)
                                continue;
                            for (int64_t kw = 0; kw < KW; kw++) {
                                int64_t iw = ow * n->stride[1] - n->pads[1] + kw * n->dilation[1];
                                if (iw < 0 || iw >= Wd)
                                    continue;
                                acc += (double)X[((b * C + grp * cg + c) * H + ih) * Wd + iw] *
                                       W[((m * cg + c) * KH + kh) * KW + kw];
                            }
                        }
                    Y[((b * M + m) * OH + oh) * OW + ow] = (float)acc;
                }
        }
}

static void ref_pool(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]), *y = &SHAPE(n->out[0]);
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
    int64_t NC = x->d[0] * x->d[1], H = x->d[2], W = x->d[3], OH = y->d[2], OW = y->d[3];
    int global = n->op == WP_OP_GLOBALAVGPOOL;
    int64_t KH = global ? H : n->kernel[0], KW = global ? W : n->kernel[1];
    int64_t sh = global ? 1 : n->stride[0], sw = global ? 1 : n->stride[1];
    int64_t ph = global ? 0 : n->pads[0], pw = global ? 0 : n->pads[1];
    int64_t dh = n->op == WP_OP_MAXPOOL ? n->dilation[0] : 1, dw = n->op == WP_OP_MAXPOOL ? n->dilation[1] : 1;
    for (int64_t c = 0; c < NC; c++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double acc = n->op == WP_OP_MAXPOOL ? -INFINITY : 0.0;
                int64_t cnt = 0, padded = 0;
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++) {
                        int64_t ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
                        /* Padded positions inside the declared pads count for
                         * count_include_pad; ceil-mode overhang never does. */
                        if (ih >= -ph && ih < H + n->pads[2] && iw >= -pw && iw < W + n->pads[3])
                            padded++;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                            continue;
                        double v = X[(c * H + ih) * W + iw];
                        if (n->op == WP_OP_MAXPOOL)
                            acc = v > acc ? v : acc;
                        else
                            acc += v;
                        cnt++;
                    }
                if (n->op != WP_OP_MAXPOOL)
                    acc /= (double)(!global && n->count_include_pad ? padded : cnt);
                Y[(c * OH + oh) * OW + ow] = (float)acc;
            }
}

/* y[M,N] = x[M,K] * W' + b, W [N,K] (trans_b) or [K,N]. */
static void ref_dense(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]), *y = &SHAPE(n->out[0]);
    const float *X = buf[n->in[0]], *W = buf[n->in[1]];
    const float *B = n->op == WP_OP_GEMM && n->n_in > 2 && n->in[2] >= 0 ? buf[n->in[2]] : NULL;
    int trans = n->op == WP_OP_GEMM && n->trans_b;
    float alpha = n->op == WP_OP_GEMM ? n->alpha : 1.0f, beta = n->op == WP_OP_GEMM ? n->beta : 1.0f;
    int64_t M = x->d[0], K = x->d[1], N = y->d[1];
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += (double)X[i * K + k] * (trans ? W[j * K + k] : W[k * N + j]);
            buf[n->out[0]][i * N + j] = (float)(alpha * acc + (B ? beta * B[j] : 0.0));
        }
}

static int ref_exec(wp_runner *r, size_t idx, wp_error *err)
{
    const wp_graph *g = r->g;
    const wp_node *n = &g->nodes[idx];
    float *const *buf = r->buf;
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
    const wp_dims *x = &SHAPE(n->in[0]);
    int64_t count = wp_dims_count(x);
    switch (n->op) {
    case WP_OP_CONV:
        ref_conv(g, n, buf);
        break;
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL:
    case WP_OP_GLOBALAVGPOOL:
        ref_pool(g, n, buf);
        break;
    case WP_OP_GEMM:
    case WP_OP_MATMUL:
        ref_dense(g, n, buf);
        break;
    case WP_OP_RELU:
        for (int64_t i = 0; i < count; i++)
            Y[i] = X[i] > 0 ? X[i] : 0;
        break;
    case WP_OP_CLIP:
        for (int64_t i = 0; i < count; i++)
            Y[i] = X[i] < n->clip_min ? n->clip_min : X[i] > n->clip_max ? n->clip_max : X[i];
        break;
    case WP_OP_BATCHNORM: {
        const float *s = buf[n->in[1]], *b = buf[n->in[2]], *mu = buf[n->in[3]], *var = buf[n->in[4]];
        int64_t C = x->d[1], inner = count / (x->d[0] * C);
        for (int64_t i = 0; i < count; i++) {
            int64_t c = (i / inner) % C;
            Y[i] = (float)((X[i] - mu[c]) / sqrt((double)var[c] + n->epsilon) * s[c] + b[c]);
        }
        break;
    }
    case WP_OP_ADD: {
        const float *X2 = buf[n->in[1]];
        for (int64_t i = 0; i < count; i++)
            Y[i] = X[i] + X2[i];
        break;
    }
    case WP_OP_CONCAT: {
        const wp_dims *y = &SHAPE(n->out[0]);
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < y->n; i++) {
            if (i < n->axis)
                outer *= y->d[i];
            if (i > n->axis)
                inner *= y->d[i];
        }
        int64_t at = 0;
        for (size_t k = 0; k < n->n_in; k++) {
            int64_t part = SHAPE(n->in[k]).d[n->axis] * inner;
            for (int64_t o = 0; o < outer; o++)
                memcpy(Y + o * y->d[n->axis] * inner + at, buf[n->in[k]] + o * part, (size_t)part * sizeof(float));
            at += part;
        }
        break;
    }
    case WP_OP_SOFTMAX: {
        int64_t outer = 1, inner = 1, len = x->d[n->axis];
        for (int i = 0; i < x->n; i++) {
            if (i < n->axis)
                outer *= x->d[i];
            if (i > n->axis)
                inner *= x->d[i];
        }
        for (int64_t o = 0; o < outer; o++)
            for (int64_t in = 0; in < inner; in++) {
                const float *xs = X + o * len * inner + in;
                float *ys = Y + o * len * inner + in;
                double mx = -INFINITY, sum = 0;
                for (int64_t k = 0; k < len; k++)
                    mx = xs[k * inner] > mx ? xs[k * inner] : mx;
                for (int64_t k = 0; k < len; k++)
                    sum += exp(xs[k * inner] - mx);
                for (int64_t k = 0; k < len; k++)
                    ys[k * inner] = (float)(exp(xs[k * inner] - mx) / sum);
            }
        break;
    }
    case WP_OP_LRN: {
        int64_t C = x->d[1], HW = x->d[2] * x->d[3];
        int64_t lo = (n->size - 1) / 2, hi = n->size - 1 - lo;
        for (int64_t b = 0; b < x->d[0]; b++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t p = 0; p < HW; p++) {
                    double sq = 0;
                    for (int64_t k = c - lo; k <= c + hi; k++)
                        if (k >= 0 && k < C) {
                            double v = X[(b * C + k) * HW + p];
                            sq += v * v;
                        }
                    int64_t i = (b * C + c) * HW + p;
                    Y[i] = (float)(X[i] / pow(n->bias + n->alpha / (double)n->size * sq, n->beta));
                }
        break;
    }
    case WP_OP_FLATTEN:
    case WP_OP_RESHAPE:
    case WP_OP_DROPOUT:
        break;
    default:
        return wp_fail(err, NULL, 0, "node '%s': op %s has no ref implementation", n->name, wp_op_name(n->op));
    }
    return 0;
}

const runner_ops wp_runner_ref_ops = {ref_prepare, ref_exec, ref_sync, NULL, NULL, NULL, NULL};
