/* "cpu" backend: one oneDNN primitive per layer.
 *
 * All tensors stay in plain layouts (activations nchw / nc, weights oihw /
 * goihw / oi) and live in the runner's host buffers, so a primitive reads
 * its input where the previous one wrote it: no reorder is hidden in some
 * other layer's time. Blocked layouts would run convolutions faster but
 * would put reorders between layers that TensorRT-style per-layer data does
 * not have. Weights that need another arrangement (Gemm without transB,
 * MatMul, alpha != 1) are converted once here, outside any timing. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runner_impl.h"

#ifndef WATTPROF_HAVE_DNNL

const runner_ops *const wp_runner_cpu_ops = NULL;

int wp_cpu_set_threads(int n)
{
    return n == 0 ? 0 : -1;
}

#else

#include <dlfcn.h>
#include <dnnl.h>

/* oneDNN's Debian build threads with OpenMP; its runtime is already loaded
 * with libdnnl, so look the setter up rather than link OpenMP ourselves. */
int wp_cpu_set_threads(int n)
{
    if (n <= 0)
        return 0;
    void (*set)(int);
    *(void **)&set = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (!set)
        return -1;
    set(n);
    return 0;
}

#define MAX_ARGS 8

typedef struct {
    dnnl_primitive_t prim;
    dnnl_exec_arg_t args[MAX_ARGS + 64];
    int nargs;
    dnnl_memory_t mems[MAX_ARGS + 64];
    int nmems;
    float *scratch[2]; /* converted weights/bias owned by this layer */
    int ref;           /* no oneDNN primitive: the ref kernel runs it */
} layer;

typedef struct {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    layer *layers;
} cpu_state;

static int check(dnnl_status_t st, const wp_node *n, const char *what, wp_error *err)
{
    if (st == dnnl_success)
        return 0;
    return wp_fail(err, NULL, 0, "node '%s' (%s): oneDNN %s failed (status %d)", n ? n->name : "-",
                   n ? wp_op_name(n->op) : "-", what, (int)st);
}

static dnnl_format_tag_t plain_tag(int ndims)
{
    static const dnnl_format_tag_t tags[] = {dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde};
    return ndims >= 1 && ndims <= 5 ? tags[ndims] : dnnl_format_tag_undef;
}

static void md_of(dnnl_memory_desc_t *md, const wp_dims *d)
{
    dnnl_dims_t dims;
    for (int i = 0; i < d->n; i++)
        dims[i] = d->d[i];
    dnnl_memory_desc_init_by_tag(md, d->n, dims, dnnl_f32, plain_tag(d->n));
}

static void md_1d(dnnl_memory_desc_t *md, int64_t n)
{
    dnnl_dims_t dims = {n};
    dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_a);
}

static int add_arg(cpu_state *s, layer *l, const wp_node *n, int arg, const dnnl_memory_desc_t *md, void *data,
                   wp_error *err)
{
    dnnl_memory_t m;
    if (check(dnnl_memory_create(&m, md, s->eng, data), n, "memory_create", err))
        return -1;
    l->mems[l->nmems++] = m;
    l->args[l->nargs].arg = arg;
    l->args[l->nargs].memory = m;
    l->nargs++;
    return 0;
}

static int make_prim(cpu_state *s, layer *l, const wp_node *n, const_dnnl_op_desc_t desc, wp_error *err)
{
    dnnl_primitive_desc_t pd;
    if (check(dnnl_primitive_desc_create(&pd, desc, NULL, s->eng, NULL), n, "primitive_desc_create", err))
        return -1;
    dnnl_status_t st = dnnl_primitive_create(&l->prim, pd);
    dnnl_primitive_desc_destroy(pd);
    return check(st, n, "primitive_create", err);
}

static int prep_conv(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_graph *g = r->g;
    dnnl_memory_desc_t src, w, b, dst;
    md_of(&src, &g->tensors[n->in[0]].shape);
    md_of(&dst, &g->tensors[n->out[0]].shape);
    const wp_dims *wd = &g->tensors[n->in[1]].shape;
    if (n->group > 1) {
        dnnl_dims_t dims = {n->group, wd->d[0] / n->group, wd->d[1], wd->d[2], wd->d[3]};
        dnnl_memory_desc_init_by_tag(&w, 5, dims, dnnl_f32, dnnl_goihw);
    } else {
        md_of(&w, wd);
    }
    int has_b = n->n_in > 2 && n->in[2] >= 0;
    if (has_b)
        md_1d(&b, wd->d[0]);
    dnnl_dims_t strides = {n->stride[0], n->stride[1]}, dil = {n->dilation[0] - 1, n->dilation[1] - 1};
    dnnl_dims_t pl = {n->pads[0], n->pads[1]}, pr = {n->pads[2], n->pads[3]};
    /* oneDNN wants right padding consistent with the output size. */
    for (int a = 0; a < 2; a++) {
        int64_t in = g->tensors[n->in[0]].shape.d[2 + a], out = g->tensors[n->out[0]].shape.d[2 + a];
        int64_t k_eff = (wd->d[2 + a] - 1) * n->dilation[a] + 1;
        pr[a] = (out - 1) * n->stride[a] + k_eff - in - pl[a];
    }
    dnnl_convolution_desc_t cd;
    if (check(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src,
                                                         &w, has_b ? &b : NULL, &dst, strides, dil, pl, pr),
              n, "convolution_desc_init", err) ||
        make_prim(s, l, n, &cd, err))
        return -1;
    if (add_arg(s, l, n, DNNL_ARG_SRC, &src, r->buf[n->in[0]], err) ||
        add_arg(s, l, n, DNNL_ARG_WEIGHTS, &w, r->buf[n->in[1]], err) ||
        (has_b && add_arg(s, l, n, DNNL_ARG_BIAS, &b, r->buf[n->in[2]], err)) ||
        add_arg(s, l, n, DNNL_ARG_DST, &dst, r->buf[n->out[0]], err))
        return -1;
    return 0;
}

static int prep_pool(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_graph *g = r->g;
    const wp_dims *x = &g->tensors[n->in[0]].shape, *y = &g->tensors[n->out[0]].shape;
    dnnl_memory_desc_t src, dst;
    md_of(&src, x);
    md_of(&dst, y);
    int global = n->op == WP_OP_GLOBALAVGPOOL;
    dnnl_dims_t k = {global ? x->d[2] : n->kernel[0], global ? x->d[3] : n->kernel[1]};
    dnnl_dims_t st = {global ? 1 : n->stride[0], global ? 1 : n->stride[1]};
    dnnl_dims_t dil = {0, 0}, pl = {global ? 0 : n->pads[0], global ? 0 : n->pads[1]}, pr;
    if (n->op == WP_OP_MAXPOOL) {
        dil[0] = n->dilation[0] - 1;
        dil[1] = n->dilation[1] - 1;
    }
    /* ceil_mode: the extra right padding oneDNN needs for the extra window. */
    for (int a = 0; a < 2; a++)
        pr[a] = (y->d[2 + a] - 1) * st[a] + (k[a] - 1) * (dil[a] + 1) + 1 - x->d[2 + a] - pl[a];
    dnnl_alg_kind_t alg = n->op == WP_OP_MAXPOOL       ? dnnl_pooling_max
                          : n->count_include_pad && !global ? dnnl_pooling_avg_include_padding
                                                            : dnnl_pooling_avg_exclude_padding;
    dnnl_pooling_v2_desc_t pd;
    if (check(dnnl_pooling_v2_forward_desc_init(&pd, dnnl_forward_inference, alg, &src, &dst, st, k, dil, pl, pr), n,
              "pooling_desc_init", err) ||
        make_prim(s, l, n, &pd, err))
        return -1;
    return add_arg(s, l, n, DNNL_ARG_SRC, &src, r->buf[n->in[0]], err) ||
                   add_arg(s, l, n, DNNL_ARG_DST, &dst, r->buf[n->out[0]], err)
               ? -1
               : 0;
}

static int prep_dense(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_graph *g = r->g;
    const wp_dims *x = &g->tensors[n->in[0]].shape, *y = &g->tensors[n->out[0]].shape;
    int64_t K = x->d[1], N = y->d[1];
    const float *W = r->buf[n->in[1]];
    int trans = n->op == WP_OP_GEMM && n->trans_b;
    float alpha = n->op == WP_OP_GEMM ? n->alpha : 1.0f;
    float *wt = (float *)W;
    if (!trans || alpha != 1.0f) {
        /* Into oneDNN's [N,K] with alpha folded in (once, untimed). */
        wt = l->scratch[0] = malloc((size_t)(N * K) * sizeof(float));
        if (!wt)
            return wp_fail(err, NULL, 0, "out of memory");
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < K; k++)
                wt[j * K + k] = alpha * (trans ? W[j * K + k] : W[k * N + j]);
    }
    float *bias = NULL;
    if (n->op == WP_OP_GEMM && n->n_in > 2 && n->in[2] >= 0) {
        bias = r->buf[n->in[2]];
        if (n->beta != 1.0f) {
            float *bb = l->scratch[1] = malloc((size_t)N * sizeof(float));
            if (!bb)
                return wp_fail(err, NULL, 0, "out of memory");
            for (int64_t j = 0; j < N; j++)
                bb[j] = n->beta * bias[j];
            bias = bb;
        }
    }
    dnnl_memory_desc_t src, w, b, dst;
    md_of(&src, x);
    md_of(&dst, y);
    dnnl_dims_t wd = {N, K};
    dnnl_memory_desc_init_by_tag(&w, 2, wd, dnnl_f32, dnnl_oi);
    if (bias)
        md_1d(&b, N);
    dnnl_inner_product_desc_t ip;
    if (check(dnnl_inner_product_forward_desc_init(&ip, dnnl_forward_inference, &src, &w, bias ? &b : NULL, &dst), n,
              "inner_product_desc_init", err) ||
        make_prim(s, l, n, &ip, err))
        return -1;
    return add_arg(s, l, n, DNNL_ARG_SRC, &src, r->buf[n->in[0]], err) ||
                   add_arg(s, l, n, DNNL_ARG_WEIGHTS, &w, wt, err) ||
                   (bias && add_arg(s, l, n, DNNL_ARG_BIAS, &b, bias, err)) ||
                   add_arg(s, l, n, DNNL_ARG_DST, &dst, r->buf[n->out[0]], err)
               ? -1
               : 0;
}

static int prep_unary(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_graph *g = r->g;
    dnnl_memory_desc_t md;
    md_of(&md, &g->tensors[n->in[0]].shape);
    int rc;
    if (n->op == WP_OP_SOFTMAX) {
        dnnl_softmax_desc_t d;
        rc = check(dnnl_softmax_forward_desc_init(&d, dnnl_forward_inference, &md, (int)n->axis), n,
                   "softmax_desc_init", err) ||
             make_prim(s, l, n, &d, err);
    } else if (n->op == WP_OP_LRN) {
        dnnl_lrn_desc_t d;
        rc = check(dnnl_lrn_forward_desc_init(&d, dnnl_forward_inference, dnnl_lrn_across_channels, &md, n->size,
                                              n->alpha, n->beta, n->bias),
                   n, "lrn_desc_init", err) ||
             make_prim(s, l, n, &d, err);
    } else {
        dnnl_eltwise_desc_t d;
        float lo = isinf(n->clip_min) ? -FLT_MAX : n->clip_min, hi = isinf(n->clip_max) ? FLT_MAX : n->clip_max;
        if (n->op == WP_OP_RELU)
            rc = check(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, dnnl_eltwise_relu, &md, 0, 0), n,
                       "eltwise_desc_init", err);
        else
            rc = check(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, dnnl_eltwise_clip, &md, lo, hi),
                       n, "eltwise_desc_init", err);
        rc = rc || make_prim(s, l, n, &d, err);
    }
    if (rc)
        return -1;
    return add_arg(s, l, n, DNNL_ARG_SRC, &md, r->buf[n->in[0]], err) ||
                   add_arg(s, l, n, DNNL_ARG_DST, &md, r->buf[n->out[0]], err)
               ? -1
               : 0;
}

static int prep_bn(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_graph *g = r->g;
    dnnl_memory_desc_t md, c;
    md_of(&md, &g->tensors[n->in[0]].shape);
    md_1d(&c, g->tensors[n->in[0]].shape.d[1]);
    dnnl_batch_normalization_desc_t d;
    if (check(dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_inference, &md, n->epsilon,
                                                         dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift),
              n, "batch_normalization_desc_init", err) ||
        make_prim(s, l, n, &d, err))
        return -1;
    return add_arg(s, l, n, DNNL_ARG_SRC, &md, r->buf[n->in[0]], err) ||
                   add_arg(s, l, n, DNNL_ARG_SCALE, &c, r->buf[n->in[1]], err) ||
                   add_arg(s, l, n, DNNL_ARG_SHIFT, &c, r->buf[n->in[2]], err) ||
                   add_arg(s, l, n, DNNL_ARG_MEAN, &c, r->buf[n->in[3]], err) ||
                   add_arg(s, l, n, DNNL_ARG_VARIANCE, &c, r->buf[n->in[4]], err) ||
                   add_arg(s, l, n, DNNL_ARG_DST, &md, r->buf[n->out[0]], err)
               ? -1
               : 0;
}

static int prep_multi(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_graph *g = r->g;
    if (n->n_in > 64)
        return wp_fail(err, NULL, 0, "node '%s': too many inputs", n->name);
    dnnl_memory_desc_t srcs[64], dst;
    float scales[64];
    for (size_t i = 0; i < n->n_in; i++) {
        md_of(&srcs[i], &g->tensors[n->in[i]].shape);
        scales[i] = 1.0f;
    }
    md_of(&dst, &g->tensors[n->out[0]].shape);
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = n->op == WP_OP_ADD
                           ? dnnl_sum_primitive_desc_create(&pd, &dst, (int)n->n_in, scales, srcs, NULL, s->eng)
                           : dnnl_concat_primitive_desc_create(&pd, &dst, (int)n->n_in, (int)n->axis, srcs, NULL,
                                                               s->eng);
    if (check(st, n, n->op == WP_OP_ADD ? "sum_primitive_desc_create" : "concat_primitive_desc_create", err))
        return -1;
    st = dnnl_primitive_create(&l->prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (check(st, n, "primitive_create", err))
        return -1;
    for (size_t i = 0; i < n->n_in; i++)
        if (add_arg(s, l, n, DNNL_ARG_MULTIPLE_SRC + (int)i, &srcs[i], r->buf[n->in[i]], err))
            return -1;
    return add_arg(s, l, n, DNNL_ARG_DST, &dst, r->buf[n->out[0]], err);
}

/* MatMul of a matrix by a constant matrix: an inner product. */
static int matmul_is_dense(const wp_graph *g, const wp_node *n)
{
    return g->tensors[n->in[0]].shape.n == 2 && g->tensors[n->in[1]].is_const && g->tensors[n->in[1]].shape.n == 2;
}

/* Add of two activations of one shape (residual sums): oneDNN's sum. */
static int add_is_sum(const wp_graph *g, const wp_node *n)
{
    const wp_tensor *a = &g->tensors[n->in[0]], *b = &g->tensors[n->in[1]];
    if (a->is_const || b->is_const || a->shape.n != b->shape.n)
        return 0;
    for (int i = 0; i < a->shape.n; i++)
        if (a->shape.d[i] != b->shape.d[i])
            return 0;
    return 1;
}

static void cpu_destroy(wp_runner *r)
{
    cpu_state *s = r->impl;
    if (!s)
        return;
    if (s->layers)
        for (size_t i = 0; i < r->g->n_nodes; i++) {
            layer *l = &s->layers[i];
            if (l->prim)
                dnnl_primitive_destroy(l->prim);
            for (int k = 0; k < l->nmems; k++)
                dnnl_memory_destroy(l->mems[k]);
            free(l->scratch[0]);
            free(l->scratch[1]);
        }
    free(s->layers);
    if (s->stream)
        dnnl_stream_destroy(s->stream);
    if (s->eng)
        dnnl_engine_destroy(s->eng);
    free(s);
    r->impl = NULL;
}

static int cpu_prepare(wp_runner *r, wp_error *err)
{
    cpu_state *s = calloc(1, sizeof *s);
    if (!s)
        return wp_fail(err, NULL, 0, "out of memory");
    r->impl = s;
    s->layers = calloc(r->g->n_nodes ? r->g->n_nodes : 1, sizeof *s->layers);
    if (!s->layers)
        return wp_fail(err, NULL, 0, "out of memory");
    if (check(dnnl_engine_create(&s->eng, dnnl_cpu, 0), NULL, "engine_create", err) ||
        check(dnnl_stream_create(&s->stream, s->eng, dnnl_stream_default_flags), NULL, "stream_create", err))
        return -1;
    for (size_t i = 0; i < r->g->n_nodes; i++) {
        const wp_node *n = &r->g->nodes[i];
        layer *l = &s->layers[i];
        int rc = 0;
        switch (n->op) {
        case WP_OP_CONV: rc = prep_conv(r, s, l, n, err); break;
        case WP_OP_MAXPOOL:
        case WP_OP_AVGPOOL:
        case WP_OP_GLOBALAVGPOOL: rc = prep_pool(r, s, l, n, err); break;
        case WP_OP_GEMM: rc = prep_dense(r, s, l, n, err); break;
        case WP_OP_MATMUL:
            if (matmul_is_dense(r->g, n))
                rc = prep_dense(r, s, l, n, err);
            else
                l->ref = 1;
            break;
        case WP_OP_RELU:
        case WP_OP_CLIP:
        case WP_OP_SOFTMAX:
        case WP_OP_LRN: rc = prep_unary(r, s, l, n, err); break;
        case WP_OP_BATCHNORM: rc = prep_bn(r, s, l, n, err); break;
        case WP_OP_ADD:
            if (add_is_sum(r->g, n))
                rc = prep_multi(r, s, l, n, err);
            else
                l->ref = 1;
            break;
        case WP_OP_CONCAT: rc = prep_multi(r, s, l, n, err); break;
        default: l->ref = !wp_runner_is_view(n->op); break; /* views: nothing to run */
        }
        if (rc)
            return -1;
    }
    return 0;
}

static int cpu_exec(wp_runner *r, size_t i, wp_error *err)
{
    cpu_state *s = r->impl;
    layer *l = &s->layers[i];
    if (l->ref)
        return wp__ref_exec_node(r, i, err);
    if (!l->prim)
        return 0;
    return check(dnnl_primitive_execute(l->prim, s->stream, l->nargs, l->args), &r->g->nodes[i], "execute", err);
}

static int cpu_sync(wp_runner *r, wp_error *err)
{
    cpu_state *s = r->impl;
    return check(dnnl_stream_wait(s->stream), NULL, "stream_wait", err);
}

static const runner_ops cpu_ops = {cpu_prepare, cpu_exec, cpu_sync, NULL, NULL, cpu_destroy, NULL};
const runner_ops *const wp_runner_cpu_ops = &cpu_ops;

#endif
