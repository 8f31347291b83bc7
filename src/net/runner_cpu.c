/* "cpu" backend: oneDNN primitives, with memory layouts chosen per primitive
 * the way oneDNN intends.
 *
 * Convolutions are created with format_tag::any for source, weights and
 * destination, so oneDNN picks its fast blocked layouts (nChw16c on
 * AVX-512, nChw8c on AVX2, its own weight blocking). Weights are reordered
 * into the chosen layout once, at set-up. Activations stay in the layout
 * their producer wrote; pooling, batch-norm, eltwise, LRN, sum and concat
 * run on that layout (their jit kernels are written for the blocked ones;
 * on plain nchw they fall back to generic loops 10-20x slower). A reorder
 * happens only where a consumer needs another layout, and it runs inside
 * that consumer's layer, so the per-layer sum still equals the whole run.
 *
 * Each tensor keeps a list of versions: [0] is what its producer writes,
 * the others are reorders of it made by the first consumer (in node order)
 * that needs them. The plain version (nchw / nc ...) of tensor t always
 * lives in r->buf[t], the runner's host buffer: nodes with no oneDNN path
 * (views, and ops run by the ref backend's per-node kernel) read their
 * inputs there and write their outputs there, plain. wp_runner_read
 * reorders the producer's version into plain NCHW.
 *
 * A convolution or a dense layer absorbs the inference batch-norm after it
 * (folded into its weights at set-up) and a Relu/Clip after that (an
 * eltwise post-op), as TensorRT does; the absorbed nodes stay layers with nothing to run
 * (wp_graph_fusion_plan in fusion.c decides, plan_fusion applies it;
 * wp_cpu_set_fusion).
 *
 * wp_cpu_set_layout(WP_CPU_LAYOUT_PLAIN) gives the previous behaviour
 * (every tensor plain, no reorder anywhere, no fusion), kept to measure
 * against. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/onnx_internal.h"
#include "runner_impl.h"

static wp_cpu_layout cpu_layout = WP_CPU_LAYOUT_AUTO;
static int cpu_fusion = 1;

void wp_cpu_set_layout(wp_cpu_layout layout)
{
    cpu_layout = layout;
}

void wp_cpu_set_fusion(int on)
{
    cpu_fusion = on != 0;
}

#ifndef WATTPROF_HAVE_DNNL

const runner_ops *const wp__runner_cpu_ops = NULL;

int wp_cpu_tensor_layout(const wp_runner *r, int tensor, char *buf, size_t size)
{
    (void)r;
    (void)tensor;
    (void)buf;
    (void)size;
    return -1;
}

int wp_cpu_set_threads(int n)
{
    return n == 0 ? 0 : -1;
}

int wp_cpu_channel_block(void)
{
    return 0;
}

int wp__cpu_fused_into(const wp_runner *r, size_t node)
{
    (void)r;
    (void)node;
    return -1;
}

#else

#include <dlfcn.h>
#include <dnnl.h>

#include "wattprof/array.h"

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

/* Layouts one tensor can be in at once: the producer's and a few reorders
 * (plain for a ref node, another blocking for a concat, ...). */
#define MAX_VER 4

typedef struct {
    dnnl_memory_desc_t md;
    dnnl_memory_t mem;
} version;

typedef struct {
    int n_ver;
    version ver[MAX_VER];
} tstate;

typedef struct {
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t *args;
} step;

typedef struct {
    step *steps; /* input reorders, then the layer's own primitive */
    int n_steps;
    int ref; /* run by the ref backend's kernel after the steps */
} layer;

typedef struct {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    int plain; /* WP_CPU_LAYOUT_PLAIN at set-up */
    layer *layers;
    tstate *ts;          /* per tensor */
    int *fused_into;     /* per node: the convolution whose primitive does
                             its work (folded batch-norm, post-op ReLU/Clip),
                             or -1 */
    int *fold_bn, *post; /* per convolution: the nodes it absorbs, or -1 */
    unsigned char *gone; /* per tensor: inside a fused chain, never written */
    dnnl_memory_t *mems; /* weights, biases: owned */
    size_t n_mems, cap_mems;
    float **bufs; /* converted dense weights: owned */
    size_t n_bufs, cap_bufs;
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

static void md_tag(dnnl_memory_desc_t *md, const wp_dims *d, dnnl_format_tag_t tag)
{
    dnnl_dims_t dims;
    for (int i = 0; i < d->n; i++)
        dims[i] = d->d[i];
    dnnl_memory_desc_init_by_tag(md, d->n, dims, dnnl_f32, tag);
}

static void md_of(dnnl_memory_desc_t *md, const wp_dims *d)
{
    md_tag(md, d, plain_tag(d->n));
}

static void md_1d(dnnl_memory_desc_t *md, int64_t n)
{
    dnnl_dims_t dims = {n};
    dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_a);
}

static const wp_dims *shape(const wp_runner *r, int t)
{
    return &r->g->tensors[t].shape;
}

static int is_plain(const wp_runner *r, int t, const dnnl_memory_desc_t *md)
{
    dnnl_memory_desc_t p;
    md_of(&p, shape(r, t));
    return dnnl_memory_desc_equal(&p, md);
}

static int keep_mem(cpu_state *s, dnnl_memory_t m, wp_error *err)
{
    if (wp_grow(&s->mems, &s->cap_mems, s->n_mems, 64, sizeof *s->mems) != 0) {
        dnnl_memory_destroy(m);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    s->mems[s->n_mems++] = m;
    return 0;
}

static float *keep_buf(cpu_state *s, size_t n, wp_error *err)
{
    if (wp_grow(&s->bufs, &s->cap_bufs, s->n_bufs, 16, sizeof *s->bufs) != 0) {
        wp_fail(err, NULL, 0, "out of memory");
        return NULL;
    }
    float *b = malloc(n * sizeof(float));
    if (!b) {
        wp_fail(err, NULL, 0, "out of memory");
        return NULL;
    }
    return s->bufs[s->n_bufs++] = b;
}

/* A memory owned by the state: data NULL lets oneDNN allocate it. */
static dnnl_memory_t new_mem(cpu_state *s, const wp_node *n, const dnnl_memory_desc_t *md, void *data, wp_error *err)
{
    dnnl_memory_t m;
    if (check(dnnl_memory_create(&m, md, s->eng, data ? data : DNNL_MEMORY_ALLOCATE), n, "memory_create", err) ||
        keep_mem(s, m, err))
        return NULL;
    return m;
}

static int add_step(layer *l, dnnl_primitive_t prim, int nargs, const dnnl_exec_arg_t *args, wp_error *err)
{
    step *p = realloc(l->steps, (size_t)(l->n_steps + 1) * sizeof *p);
    dnnl_exec_arg_t *a = malloc((size_t)nargs * sizeof *a);
    if (p)
        l->steps = p;
    if (!p || !a) {
        free(a);
        dnnl_primitive_destroy(prim);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    memcpy(a, args, (size_t)nargs * sizeof *a);
    l->steps[l->n_steps].prim = prim;
    l->steps[l->n_steps].nargs = nargs;
    l->steps[l->n_steps].args = a;
    l->n_steps++;
    return 0;
}

/* Creates the primitive of pd (which it destroys) and appends it as a step. */
static int add_prim(layer *l, const wp_node *n, dnnl_primitive_desc_t pd, int nargs, const dnnl_exec_arg_t *args,
                    wp_error *err)
{
    dnnl_primitive_t prim;
    dnnl_status_t st = dnnl_primitive_create(&prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (check(st, n, "primitive_create", err))
        return -1;
    return add_step(l, prim, nargs, args, err);
}

/* Appends (arg, m) to a primitive's arguments, or returns -1 when m is
 * NULL: its maker failed and set err. A prep joins these with || so that
 * the first failure stops it (a later maker would overwrite err and add
 * reorder steps for nothing), then gives pd to drop_pd. */
static int push_arg(dnnl_exec_arg_t *args, int *na, int arg, dnnl_memory_t m)
{
    if (!m)
        return -1;
    args[(*na)++] = (dnnl_exec_arg_t){arg, m};
    return 0;
}

/* The failure return of a prep that made pd but not its primitive. */
static int drop_pd(dnnl_primitive_desc_t pd)
{
    dnnl_primitive_desc_destroy(pd);
    return -1;
}

static int make_pd(cpu_state *s, const wp_node *n, const_dnnl_op_desc_t desc, dnnl_primitive_desc_t *pd, wp_error *err)
{
    return check(dnnl_primitive_desc_create(pd, desc, NULL, s->eng, NULL), n, "primitive_desc_create", err);
}

static const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

static int reorder_pd(cpu_state *s, const wp_node *n, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                      dnnl_primitive_desc_t *pd, wp_error *err)
{
    return check(dnnl_reorder_primitive_desc_create(pd, from, s->eng, to, s->eng, NULL), n,
                 "reorder_primitive_desc_create", err);
}

static const dnnl_memory_desc_t *current(wp_runner *r, cpu_state *s, const wp_node *n, int t, wp_error *err);

/* A memory for tensor t in layout md: plain data lives in r->buf[t] (where
 * the ref kernels and the caller read it), any other layout in memory
 * oneDNN allocates. The caller records it in t's versions. */
static dnnl_memory_t tensor_mem(wp_runner *r, cpu_state *s, const wp_node *n, int t, const dnnl_memory_desc_t *md,
                                wp_error *err)
{
    void *data = NULL;
    if (is_plain(r, t, md) && !(data = r->buf[t])) {
        wp_fail(err, NULL, 0, "node '%s': tensor '%s' has no host buffer", n->name, r->g->tensors[t].name);
        return NULL;
    }
    dnnl_memory_t m;
    if (check(dnnl_memory_create(&m, md, s->eng, data ? data : DNNL_MEMORY_ALLOCATE), n, "memory_create", err))
        return NULL;
    return m;
}

/* Sets what tensor t's producer writes: layout md, plain ones in r->buf[t]. */
static dnnl_memory_t produce(wp_runner *r, cpu_state *s, const wp_node *n, int t, const dnnl_memory_desc_t *md,
                             wp_error *err)
{
    tstate *ts = &s->ts[t];
    dnnl_memory_t m = tensor_mem(r, s, n, t, md, err);
    if (!m)
        return NULL;
    for (int v = 0; v < ts->n_ver; v++)
        dnnl_memory_destroy(ts->ver[v].mem);
    ts->n_ver = 1;
    ts->ver[0].md = *md;
    ts->ver[0].mem = m;
    return m;
}

/* Tensor t in layout md for node n: an existing version, or a new one
 * filled by a reorder step that node n runs before its own work. */
static dnnl_memory_t need(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, int t, const dnnl_memory_desc_t *md,
                          wp_error *err)
{
    tstate *ts = &s->ts[t];
    if (!current(r, s, n, t, err))
        return NULL;
    for (int v = 0; v < ts->n_ver; v++)
        if (dnnl_memory_desc_equal(&ts->ver[v].md, md))
            return ts->ver[v].mem;
    if (ts->n_ver == MAX_VER) {
        wp_fail(err, NULL, 0, "node '%s': tensor '%s' is needed in too many layouts", n->name, r->g->tensors[t].name);
        return NULL;
    }
    dnnl_memory_t m = tensor_mem(r, s, n, t, md, err);
    if (!m)
        return NULL;
    version *nv = &ts->ver[ts->n_ver++];
    nv->md = *md;
    nv->mem = m;
    dnnl_primitive_desc_t pd;
    if (reorder_pd(s, n, &ts->ver[0].md, md, &pd, err))
        return NULL;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, ts->ver[0].mem}, {DNNL_ARG_TO, m}};
    return add_prim(l, n, pd, 2, args, err) ? NULL : m;
}

/* The layout tensor t's producer wrote; the graph input and constants,
 * which no node produces, are plain in r->buf. */
static const dnnl_memory_desc_t *current(wp_runner *r, cpu_state *s, const wp_node *n, int t, wp_error *err)
{
    tstate *ts = &s->ts[t];
    if (ts->n_ver == 0) {
        dnnl_memory_desc_t p;
        md_of(&p, shape(r, t));
        if (!produce(r, s, n, t, &p, err))
            return NULL;
    }
    return &ts->ver[0].md;
}

/* The layout pooling and batch-norm run in: the input's own when blocked;
 * a plain 4-D input goes to nhwc, which has jit kernels (nchw has none). */
static int keep_layout(wp_runner *r, cpu_state *s, const wp_node *n, int t, int to_nhwc, dnnl_memory_desc_t *md,
                       wp_error *err)
{
    const dnnl_memory_desc_t *cur = current(r, s, n, t, err);
    if (!cur)
        return -1;
    if (s->plain)
        md_of(md, shape(r, t));
    else if (to_nhwc && shape(r, t)->n == 4 && is_plain(r, t, cur))
        md_tag(md, shape(r, t), dnnl_acdb);
    else
        *md = *cur;
    return 0;
}

/* Constant data given plain (graph's buffer): a memory in layout want,
 * reordered once here when it differs. */
static dnnl_memory_t const_mem(cpu_state *s, const wp_node *n, const dnnl_memory_desc_t *plain, void *data,
                               const dnnl_memory_desc_t *want, wp_error *err)
{
    if (dnnl_memory_desc_equal(plain, want))
        return new_mem(s, n, plain, data, err);
    dnnl_memory_t dst = new_mem(s, n, want, NULL, err), src;
    if (!dst)
        return NULL;
    if (check(dnnl_memory_create(&src, plain, s->eng, data), n, "memory_create", err))
        return NULL;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim = NULL;
    int rc = reorder_pd(s, n, plain, want, &pd, err);
    if (!rc) {
        rc = check(dnnl_primitive_create(&prim, pd), n, "primitive_create", err);
        dnnl_primitive_desc_destroy(pd);
    }
    if (!rc) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
        rc = check(dnnl_primitive_execute(prim, s->stream, 2, args), n, "execute", err) ||
             check(dnnl_stream_wait(s->stream), n, "stream_wait", err);
    }
    if (prim)
        dnnl_primitive_destroy(prim);
    dnnl_memory_destroy(src);
    return rc ? NULL : dst;
}

static int is_const(const wp_runner *r, int t)
{
    return t >= 0 && r->g->tensors[t].is_const && r->buf[t];
}

/* Inference batch-norm folded into the layer before it, as TensorRT and
 * PyTorch's optimize_for_inference do: row o of the O x per weights w
 * (output channel o) scales by k = g/sqrt(v+eps), and b' = (b - m) k +
 * beta (b NULL: none). Once, at set-up, into copies the state owns (the
 * graph keeps the originals). */
static int fold_bn_rows(cpu_state *s, const wp_runner *r, const wp_node *bn, int64_t O, int64_t per, const float *w,
                        const float *b, float **w_out, float **b_out, wp_error *err)
{
    const float *gamma = r->buf[bn->in[1]], *beta = r->buf[bn->in[2]], *mean = r->buf[bn->in[3]],
                *var = r->buf[bn->in[4]];
    float *wf = keep_buf(s, (size_t)(O * per), err), *bf = wf ? keep_buf(s, (size_t)O, err) : NULL;
    if (!bf)
        return -1;
    for (int64_t o = 0; o < O; o++) {
        double k = gamma[o] / sqrt((double)var[o] + bn->epsilon);
        for (int64_t e = 0; e < per; e++)
            wf[o * per + e] = (float)(w[o * per + e] * k);
        bf[o] = (float)(((b ? b[o] : 0.0) - mean[o]) * k + beta[o]);
    }
    *w_out = wf;
    *b_out = bf;
    return 0;
}

/* into a convolution: its weights [O, I/group, Kh, Kw] are O rows */
static int fold_bn(wp_runner *r, cpu_state *s, const wp_node *n, const wp_node *bn, float **w_out, float **b_out,
                   wp_error *err)
{
    const wp_dims *wd = shape(r, n->in[1]);
    int64_t O = wd->d[0];
    const float *b = n->n_in > 2 && n->in[2] >= 0 ? r->buf[n->in[2]] : NULL;
    return fold_bn_rows(s, r, bn, O, wp_dims_count(wd) / O, r->buf[n->in[1]], b, w_out, b_out, err);
}

/* ReLU or Clip after a convolution: a oneDNN eltwise post-op, applied as
 * the convolution writes its output. */
static int post_attr(cpu_state *s, const wp_node *n, const wp_node *act, dnnl_primitive_attr_t *attr, wp_error *err)
{
    *attr = NULL;
    if (!act)
        return 0;
    dnnl_post_ops_t po;
    if (check(dnnl_post_ops_create(&po), n, "post_ops_create", err))
        return -1;
    float lo = isinf(act->clip_min) ? -FLT_MAX : act->clip_min, hi = isinf(act->clip_max) ? FLT_MAX : act->clip_max;
    int rc = act->op == WP_OP_RELU
                 ? check(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0, 0), n, "post_ops_append", err)
                 : check(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, lo, hi), n, "post_ops_append", err);
    if (!rc)
        rc = check(dnnl_primitive_attr_create(attr), n, "primitive_attr_create", err);
    if (!rc && check(dnnl_primitive_attr_set_post_ops(*attr, po), n, "primitive_attr_set_post_ops", err)) {
        dnnl_primitive_attr_destroy(*attr);
        *attr = NULL;
        rc = -1;
    }
    dnnl_post_ops_destroy(po);
    (void)s;
    return rc;
}

/* The primitive of desc with the Relu/Clip act (NULL: none) as its
 * post-op. */
static int make_pd_post(cpu_state *s, const wp_node *n, const_dnnl_op_desc_t desc, const wp_node *act,
                        dnnl_primitive_desc_t *pd, wp_error *err)
{
    dnnl_primitive_attr_t attr;
    if (post_attr(s, n, act, &attr, err))
        return -1;
    dnnl_status_t st = dnnl_primitive_desc_create(pd, desc, attr, s->eng, NULL);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return check(st, n, "primitive_desc_create", err);
}

static int prep_conv(wp_runner *r, cpu_state *s, layer *l, size_t node, wp_error *err)
{
    const wp_node *n = &r->g->nodes[node];
    const wp_node *bn = s->fold_bn && s->fold_bn[node] >= 0 ? &r->g->nodes[s->fold_bn[node]] : NULL;
    const wp_node *act = s->post && s->post[node] >= 0 ? &r->g->nodes[s->post[node]] : NULL;
    int out_t = act ? act->out[0] : bn ? bn->out[0] : n->out[0];
    const wp_dims *x = shape(r, n->in[0]), *y = shape(r, n->out[0]), *wd = shape(r, n->in[1]);
    float *wdata = r->buf[n->in[1]], *bdata = n->n_in > 2 && n->in[2] >= 0 ? r->buf[n->in[2]] : NULL;
    if (bn && fold_bn(r, s, n, bn, &wdata, &bdata, err))
        return -1;
    dnnl_memory_desc_t src, w, wplain, b, dst;
    if (n->group > 1) {
        dnnl_dims_t dims = {n->group, wd->d[0] / n->group, wd->d[1], wd->d[2], wd->d[3]};
        dnnl_memory_desc_init_by_tag(&wplain, 5, dims, dnnl_f32, dnnl_goihw);
        dnnl_memory_desc_init_by_tag(&w, 5, dims, dnnl_f32, s->plain ? dnnl_goihw : dnnl_format_tag_any);
    } else {
        md_of(&wplain, wd);
        md_tag(&w, wd, s->plain ? dnnl_oihw : dnnl_format_tag_any);
    }
    md_tag(&src, x, s->plain ? dnnl_nchw : dnnl_format_tag_any);
    md_tag(&dst, y, s->plain ? dnnl_nchw : dnnl_format_tag_any);
    int has_b = bdata != NULL;
    if (has_b)
        md_1d(&b, wd->d[0]);
    dnnl_dims_t strides = {n->stride[0], n->stride[1]}, dil = {n->dilation[0] - 1, n->dilation[1] - 1};
    dnnl_dims_t pl = {n->pads[0], n->pads[1]}, pr = {n->pads[2], n->pads[3]};
    /* oneDNN wants right padding consistent with the output size. */
    for (int a = 0; a < 2; a++) {
        int64_t k_eff = (wd->d[2 + a] - 1) * n->dilation[a] + 1;
        pr[a] = (y->d[2 + a] - 1) * n->stride[a] + k_eff - x->d[2 + a] - pl[a];
    }
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd;
    if (check(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src, &w,
                                                         has_b ? &b : NULL, &dst, strides, dil, pl, pr),
              n, "convolution_desc_init", err) ||
        make_pd_post(s, n, &cd, act, &pd, err))
        return -1;
    dnnl_exec_arg_t args[4];
    int na = 0;
    if (push_arg(args, &na, DNNL_ARG_SRC, need(r, s, l, n, n->in[0], pd_md(pd, dnnl_query_src_md), err)) ||
        push_arg(args, &na, DNNL_ARG_WEIGHTS, const_mem(s, n, &wplain, wdata, pd_md(pd, dnnl_query_weights_md), err)) ||
        (has_b && push_arg(args, &na, DNNL_ARG_BIAS, new_mem(s, n, &b, bdata, err))) ||
        push_arg(args, &na, DNNL_ARG_DST, produce(r, s, n, out_t, pd_md(pd, dnnl_query_dst_md), err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

static int prep_pool(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *x = shape(r, n->in[0]), *y = shape(r, n->out[0]);
    dnnl_memory_desc_t src, dst;
    if (keep_layout(r, s, n, n->in[0], 1, &src, err))
        return -1;
    md_tag(&dst, y, s->plain ? plain_tag(y->n) : dnnl_format_tag_any);
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
    dnnl_alg_kind_t alg = n->op == WP_OP_MAXPOOL            ? dnnl_pooling_max
                          : n->count_include_pad && !global ? dnnl_pooling_avg_include_padding
                                                            : dnnl_pooling_avg_exclude_padding;
    dnnl_pooling_v2_desc_t d;
    dnnl_primitive_desc_t pd;
    if (check(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, alg, &src, &dst, st, k, dil, pl, pr), n,
              "pooling_desc_init", err) ||
        make_pd(s, n, &d, &pd, err))
        return -1;
    dnnl_exec_arg_t args[2];
    int na = 0;
    if (push_arg(args, &na, DNNL_ARG_SRC, need(r, s, l, n, n->in[0], &src, err)) ||
        push_arg(args, &na, DNNL_ARG_DST, produce(r, s, n, n->out[0], pd_md(pd, dnnl_query_dst_md), err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

static int prep_dense(wp_runner *r, cpu_state *s, layer *l, size_t node, wp_error *err)
{
    const wp_node *n = &r->g->nodes[node];
    const wp_node *bn = s->fold_bn && s->fold_bn[node] >= 0 ? &r->g->nodes[s->fold_bn[node]] : NULL;
    const wp_node *act = s->post && s->post[node] >= 0 ? &r->g->nodes[s->post[node]] : NULL;
    int out_t = act ? act->out[0] : bn ? bn->out[0] : n->out[0];
    const wp_dims *x = shape(r, n->in[0]), *y = shape(r, n->out[0]);
    int64_t K = x->d[1], N = y->d[1];
    const float *W = r->buf[n->in[1]];
    int trans = n->op == WP_OP_GEMM && n->trans_b;
    float alpha = n->op == WP_OP_GEMM ? n->alpha : 1.0f;
    float *wt = (float *)W;
    if (!trans || alpha != 1.0f) {
        /* Into oneDNN's [N,K] with alpha folded in (once, untimed). */
        if (!(wt = keep_buf(s, (size_t)(N * K), err)))
            return -1;
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < K; k++)
                wt[j * K + k] = alpha * (trans ? W[j * K + k] : W[k * N + j]);
    }
    float *bias = NULL;
    if (n->op == WP_OP_GEMM && n->n_in > 2 && n->in[2] >= 0) {
        bias = r->buf[n->in[2]];
        if (n->beta != 1.0f) {
            float *bb = keep_buf(s, (size_t)N, err);
            if (!bb)
                return -1;
            for (int64_t j = 0; j < N; j++)
                bb[j] = n->beta * bias[j];
            bias = bb;
        }
    }
    /* TensorRT folds a batch norm into a fully connected layer too; an
     * MLP's on a 1x128 tensor would otherwise cost a primitive call
     * (0.9 us) for 128 multiply-adds. Row j of oneDNN's [N,K] matrix is
     * output channel j. */
    if (bn && fold_bn_rows(s, r, bn, N, K, wt, bias, &wt, &bias, err))
        return -1;
    dnnl_memory_desc_t src, w, wplain, b, dst;
    md_of(&src, x);
    md_of(&dst, y);
    dnnl_dims_t wd = {N, K};
    dnnl_memory_desc_init_by_tag(&wplain, 2, wd, dnnl_f32, dnnl_oi);
    dnnl_memory_desc_init_by_tag(&w, 2, wd, dnnl_f32, s->plain ? dnnl_oi : dnnl_format_tag_any);
    if (bias)
        md_1d(&b, N);
    dnnl_inner_product_desc_t ip;
    dnnl_primitive_desc_t pd;
    if (check(dnnl_inner_product_forward_desc_init(&ip, dnnl_forward_inference, &src, &w, bias ? &b : NULL, &dst), n,
              "inner_product_desc_init", err) ||
        make_pd_post(s, n, &ip, act, &pd, err))
        return -1;
    dnnl_exec_arg_t args[4];
    int na = 0;
    if (push_arg(args, &na, DNNL_ARG_SRC, need(r, s, l, n, n->in[0], &src, err)) ||
        push_arg(args, &na, DNNL_ARG_WEIGHTS, const_mem(s, n, &wplain, wt, pd_md(pd, dnnl_query_weights_md), err)) ||
        (bias && push_arg(args, &na, DNNL_ARG_BIAS, new_mem(s, n, &b, bias, err))) ||
        push_arg(args, &na, DNNL_ARG_DST, produce(r, s, n, out_t, &dst, err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

/* oneDNN's eltwise algorithm for a unary op (undef: none). ONNX HardSwish
 * is x * clip(x/6 + 1/2, 0, 1), oneDNN's exactly. No Erf or HardSigmoid
 * (with ONNX's alpha and beta) in oneDNN 2.6: Erf runs erf_fast,
 * HardSigmoid two primitives (prep_hardsigmoid). */
static dnnl_alg_kind_t eltwise_alg(const wp_node *n)
{
    switch (n->op) {
    case WP_OP_RELU: return dnnl_eltwise_relu;
    case WP_OP_CLIP: return dnnl_eltwise_clip;
    case WP_OP_SIGMOID: return dnnl_eltwise_logistic;
    case WP_OP_HARDSWISH: return dnnl_eltwise_hardswish;
    case WP_OP_GELU: return n->gelu_tanh ? dnnl_eltwise_gelu_tanh : dnnl_eltwise_gelu_erf;
    case WP_OP_SQRT: return dnnl_eltwise_sqrt;
    case WP_OP_TANH: return dnnl_eltwise_tanh;
    case WP_OP_POW: return dnnl_eltwise_pow;
    default: return dnnl_alg_kind_undef;
    }
}

/* HardSigmoid, max(0, min(1, alpha x + beta)), which oneDNN 2.6 has no
 * single algorithm for: linear, then clip in place, two steps of one
 * layer. The ref kernel's scalar loop had run it at 0.6 ns an element, 3x
 * a oneDNN ReLU (MobileNetV3's 29 of them, 14 % of its time). */
static int prep_hardsigmoid(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, const dnnl_memory_desc_t *md,
                            wp_error *err)
{
    dnnl_eltwise_desc_t lin, clip;
    dnnl_primitive_desc_t pd;
    if (check(dnnl_eltwise_forward_desc_init(&lin, dnnl_forward_inference, dnnl_eltwise_linear, md, n->alpha, n->beta),
              n, "eltwise_desc_init", err) ||
        check(dnnl_eltwise_forward_desc_init(&clip, dnnl_forward_inference, dnnl_eltwise_clip_v2, md, 0.0f, 1.0f), n,
              "eltwise_desc_init", err) ||
        make_pd(s, n, &lin, &pd, err))
        return -1;
    dnnl_exec_arg_t args[2];
    int na = 0;
    dnnl_memory_t dst = NULL;
    if (push_arg(args, &na, DNNL_ARG_SRC, need(r, s, l, n, n->in[0], md, err)) ||
        push_arg(args, &na, DNNL_ARG_DST, dst = produce(r, s, n, n->out[0], md, err)))
        return drop_pd(pd);
    if (add_prim(l, n, pd, na, args, err) || make_pd(s, n, &clip, &pd, err))
        return -1;
    dnnl_exec_arg_t in_place[2] = {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}};
    return add_prim(l, n, pd, 2, in_place, err);
}

/* Eltwise, softmax, LRN, batch-norm: output in the input's layout. */
static int prep_same(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    dnnl_memory_desc_t md;
    /* Softmax's blocked paths are generic loops; nc / plain is its own. */
    if (n->op == WP_OP_SOFTMAX)
        md_of(&md, shape(r, n->in[0]));
    else if (keep_layout(r, s, n, n->in[0], n->op == WP_OP_BATCHNORM, &md, err))
        return -1;
    int rc;
    union {
        dnnl_softmax_desc_t sm;
        dnnl_lrn_desc_t lrn;
        dnnl_eltwise_desc_t el;
        dnnl_batch_normalization_desc_t bn;
    } d;
    if (n->op == WP_OP_HARDSIGMOID) {
        return prep_hardsigmoid(r, s, l, n, &md, err);
    } else if (n->op == WP_OP_SOFTMAX) {
        rc = check(dnnl_softmax_forward_desc_init(&d.sm, dnnl_forward_inference, &md, (int)n->axis), n,
                   "softmax_desc_init", err);
    } else if (n->op == WP_OP_LRN) {
        rc = check(dnnl_lrn_forward_desc_init(&d.lrn, dnnl_forward_inference, dnnl_lrn_across_channels, &md, n->size,
                                              n->alpha, n->beta, n->bias),
                   n, "lrn_desc_init", err);
    } else if (n->op == WP_OP_BATCHNORM) {
        rc = check(dnnl_batch_normalization_forward_desc_init(&d.bn, dnnl_forward_inference, &md, n->epsilon,
                                                              dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift),
                   n, "batch_normalization_desc_init", err);
    } else {
        float lo = isinf(n->clip_min) ? -FLT_MAX : n->clip_min, hi = isinf(n->clip_max) ? FLT_MAX : n->clip_max;
        float alpha = 0, beta = 0;
        if (n->op == WP_OP_CLIP) {
            alpha = lo;
            beta = hi;
        } else if (n->op == WP_OP_POW) {
            /* a constant scalar exponent (native): alpha x^beta */
            alpha = 1;
            beta = r->buf[n->in[1]][0];
        }
        rc = check(dnnl_eltwise_forward_desc_init(&d.el, dnnl_forward_inference, eltwise_alg(n), &md, alpha, beta), n,
                   "eltwise_desc_init", err);
    }
    dnnl_primitive_desc_t pd;
    if (rc || make_pd(s, n, &d, &pd, err))
        return -1;
    dnnl_exec_arg_t args[6];
    int na = 0;
    if (push_arg(args, &na, DNNL_ARG_SRC, need(r, s, l, n, n->in[0], &md, err)))
        return drop_pd(pd);
    if (n->op == WP_OP_BATCHNORM) {
        static const int which[4] = {DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
        dnnl_memory_desc_t c;
        md_1d(&c, shape(r, n->in[0])->d[1]);
        for (int k = 0; k < 4; k++)
            if (push_arg(args, &na, which[k], new_mem(s, n, &c, r->buf[n->in[1 + k]], err)))
                return drop_pd(pd);
    }
    if (push_arg(args, &na, DNNL_ARG_DST, produce(r, s, n, n->out[0], &md, err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

static int same_shape(const wp_dims *a, const wp_dims *b);

/* The descriptor of plain data of shape d seen with rank R: leading 1s
 * added (numpy broadcasting); the bytes are the same. */
static void md_padded(dnnl_memory_desc_t *md, const wp_dims *d, int R, dnnl_format_tag_t tag)
{
    dnnl_dims_t dims = {0};
    int k = R - d->n;
    for (int i = 0; i < R; i++)
        dims[i] = i < k ? 1 : d->d[i - k];
    dnnl_memory_desc_init_by_tag(md, R, dims, dnnl_f32, tag == dnnl_format_tag_undef ? plain_tag(R) : tag);
}

/* Tensor t's plain data (reordered into r->buf[t] by node n when its
 * producer wrote another layout) under descriptor md, which may add
 * leading 1s to its dimensions. */
static dnnl_memory_t plain_view(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, int t,
                                const dnnl_memory_desc_t *md, wp_error *err)
{
    dnnl_memory_desc_t p;
    md_of(&p, shape(r, t));
    dnnl_memory_t m = need(r, s, l, n, t, &p, err);
    if (!m || dnnl_memory_desc_equal(&p, md))
        return m;
    return new_mem(s, n, md, r->buf[t], err);
}

static int prep_plain(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err);

/* pd from desc, unless oneDNN could only offer its reference
 * implementation ("ref:any"), which for some broadcasts is slower than
 * wattprof's own ref kernel (a Swin attention-mask Add: 73 ms against
 * about 1); NULL then, or on any failure. */
/* pd, or NULL (pd destroyed) when it is oneDNN's reference implementation. */
static dnnl_primitive_desc_t unless_ref(dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl ||
        strncmp(impl, "ref", 3) == 0) {
        dnnl_primitive_desc_destroy(pd);
        return NULL;
    }
    return pd;
}

static dnnl_primitive_desc_t fast_pd(cpu_state *s, const_dnnl_op_desc_t desc)
{
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_desc_create(&pd, desc, NULL, s->eng, NULL) != dnnl_success)
        return NULL;
    return unless_ref(pd);
}

/* ReduceMean as a oneDNN reduction over plain data (the reduced axes kept
 * as 1s: the same bytes whatever keepdims says). The ref kernel's
 * per-element index walk took 3-4 ns an element: ConvNeXt-T's LayerNorms,
 * exported as ReduceMean over channels, spent 21 of its 112 ms there, and
 * a global average pool written as ReduceMean (ShuffleNetV2, MNASNet) ran
 * 40x a GlobalAveragePool of the same tensor. Where oneDNN has only its
 * reference implementation, the ref kernel runs it. */
static int prep_reducemean(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *x = shape(r, n->in[0]);
    int mask[WP_MAX_DIMS];
    if (wp_node_reduce_mask(n, x->n, mask) || !r->buf[n->out[0]])
        return prep_plain(r, s, l, n, err);
    dnnl_memory_desc_t src, dst, out;
    dnnl_dims_t dd = {0};
    for (int i = 0; i < x->n; i++)
        dd[i] = mask[i] ? 1 : x->d[i];
    md_of(&src, x);
    md_of(&out, shape(r, n->out[0]));
    if (dnnl_memory_desc_init_by_tag(&dst, x->n, dd, dnnl_f32, plain_tag(x->n)) != dnnl_success)
        return prep_plain(r, s, l, n, err);
    dnnl_reduction_desc_t d;
    if (dnnl_reduction_desc_init(&d, dnnl_reduction_mean, &src, &dst, 0.0f, 0.0f) != dnnl_success)
        return prep_plain(r, s, l, n, err);
    dnnl_primitive_desc_t pd = fast_pd(s, &d);
    if (!pd)
        return prep_plain(r, s, l, n, err);
    dnnl_exec_arg_t args[2];
    int na = 0;
    if (push_arg(args, &na, DNNL_ARG_SRC, need(r, s, l, n, n->in[0], &src, err)) ||
        !produce(r, s, n, n->out[0], &out, err) ||
        push_arg(args, &na, DNNL_ARG_DST, new_mem(s, n, &dst, r->buf[n->out[0]], err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

/* Transpose as a oneDNN reorder from a strided view of the plain input
 * (output axis i walks input axis perm[i]) into the plain output. The ref
 * kernel's gather took 1-2 ns an element (ConvNeXt-T's 36 channel-last
 * Transposes: 5.2 ms of its 84). Where oneDNN has only its reference
 * reorder for the view, the ref kernel runs it. */
static int prep_transpose(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *x = shape(r, n->in[0]), *y = shape(r, n->out[0]);
    if (!r->buf[n->in[0]] || !r->buf[n->out[0]] || x->n != y->n)
        return prep_plain(r, s, l, n, err);
    int64_t xs[WP_MAX_DIMS];
    wp__dims_strides(x, xs);
    dnnl_dims_t dims, strides;
    for (int i = 0; i < y->n; i++) {
        dims[i] = y->d[i];
        strides[i] = xs[n->perm[i]];
    }
    dnnl_memory_desc_t plain, view, out;
    md_of(&plain, x);
    md_of(&out, y);
    dnnl_primitive_desc_t pd;
    if (dnnl_memory_desc_init_by_strides(&view, y->n, dims, dnnl_f32, strides) != dnnl_success ||
        dnnl_reorder_primitive_desc_create(&pd, &view, s->eng, &out, s->eng, NULL) != dnnl_success ||
        !(pd = unless_ref(pd)))
        return prep_plain(r, s, l, n, err);
    dnnl_exec_arg_t args[2];
    int na = 0;
    /* the plain version lives in r->buf: the view reads it there */
    if (!need(r, s, l, n, n->in[0], &plain, err) ||
        push_arg(args, &na, DNNL_ARG_FROM, new_mem(s, n, &view, r->buf[n->in[0]], err)) ||
        push_arg(args, &na, DNNL_ARG_TO, produce(r, s, n, n->out[0], &out, err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

/* Add, Sub, Mul, Div with numpy broadcasting as a oneDNN binary: src0 has
 * the output's shape (operands of Add and Mul are swapped for it), src1
 * the same shape (then in src0's layout) or broadcast (plain, leading 1s
 * added). src0 keeps its producer's layout where oneDNN takes that, else
 * goes plain; where oneDNN takes neither, the ref kernel runs it. */
static int prep_binary(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *y = shape(r, n->out[0]);
    int a = n->in[0], b = n->in[1];
    if (!same_shape(shape(r, a), y)) {
        a = n->in[1];
        b = n->in[0];
    }
    const dnnl_memory_desc_t *cur = current(r, s, n, a, err);
    if (!cur)
        return -1;
    int full = same_shape(shape(r, b), y);
    dnnl_alg_kind_t alg = n->op == WP_OP_ADD   ? dnnl_binary_add
                          : n->op == WP_OP_SUB ? dnnl_binary_sub
                          : n->op == WP_OP_MUL ? dnnl_binary_mul
                                               : dnnl_binary_div;
    dnnl_memory_desc_t s0, s1;
    dnnl_primitive_desc_t pd = NULL;
    for (int attempt = s->plain || is_plain(r, a, cur); attempt < 2 && !pd; attempt++) {
        if (attempt == 0)
            s0 = *cur;
        else
            md_of(&s0, y);
        if (full)
            s1 = s0;
        else
            md_padded(&s1, shape(r, b), y->n, dnnl_format_tag_undef);
        dnnl_binary_desc_t d;
        if (dnnl_binary_desc_init(&d, alg, &s0, &s1, &s0) == dnnl_success)
            pd = fast_pd(s, &d);
    }
    if (!pd)
        return prep_plain(r, s, l, n, err);
    dnnl_exec_arg_t args[3];
    int na = 0;
    if (push_arg(args, &na, DNNL_ARG_SRC_0, need(r, s, l, n, a, &s0, err)) ||
        push_arg(args, &na, DNNL_ARG_SRC_1,
                 full ? need(r, s, l, n, b, &s1, err) : plain_view(r, s, l, n, b, &s1, err)) ||
        push_arg(args, &na, DNNL_ARG_DST, produce(r, s, n, n->out[0], &s0, err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

/* MatMul other than activation x constant matrix on 2-D data (an inner
 * product, prep_dense): oneDNN's matmul, batched with broadcasting, plain
 * activations (leading 1s added to the lower-rank operand); a constant
 * second operand goes into the weight layout oneDNN picks, once. */
static int prep_matmul(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    const wp_dims *y = shape(r, n->out[0]), *xa = shape(r, n->in[0]), *xb = shape(r, n->in[1]);
    int R = y->n, wconst = is_const(r, n->in[1]);
    dnnl_memory_desc_t sa, sb, sbplain, sd, sdrows;
    /* An activation [..., M, K] times a constant [K, N] is one GEMM over
     * all (...) x M rows of the plain data, not a batch of small ones:
     * PyTorch exports ViT's attention input projection as [197, 1, 768] x
     * [768, 2304], which oneDNN's batched matmul ran as 197 matrix-vector
     * products, a quarter of the speed of the same work as one GEMM
     * (22 ms against about 6 on the build machine, docs/runners.md). */
    int rows = wconst && xb->n == 2 && xa->n > 2 && xa->n == R;
    if (rows) {
        int64_t k = xb->d[0], m = wp_dims_count(xa) / k;
        wp_dims a2 = {2, {m, k}}, y2 = {2, {m, xb->d[1]}};
        md_of(&sa, &a2);
        md_of(&sbplain, xb);
        md_padded(&sb, xb, 2, !s->plain ? dnnl_format_tag_any : dnnl_format_tag_undef);
        md_of(&sdrows, &y2);
    } else {
        md_padded(&sa, xa, R, dnnl_format_tag_undef);
        md_padded(&sbplain, xb, R, dnnl_format_tag_undef);
        md_padded(&sb, xb, R, wconst && !s->plain ? dnnl_format_tag_any : dnnl_format_tag_undef);
    }
    md_of(&sd, y);
    dnnl_matmul_desc_t d;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_matmul_desc_init(&d, &sa, &sb, NULL, rows ? &sdrows : &sd) == dnnl_success)
        pd = fast_pd(s, &d);
    if (!pd)
        return prep_plain(r, s, l, n, err);
    dnnl_exec_arg_t args[3];
    int na = 0;
    if (push_arg(args, &na, DNNL_ARG_SRC, plain_view(r, s, l, n, n->in[0], &sa, err)) ||
        push_arg(args, &na, DNNL_ARG_WEIGHTS,
                 wconst ? const_mem(s, n, &sbplain, r->buf[n->in[1]], pd_md(pd, dnnl_query_weights_md), err)
                        : plain_view(r, s, l, n, n->in[1], &sb, err)) ||
        push_arg(args, &na, DNNL_ARG_DST, produce(r, s, n, n->out[0], &sd, err)))
        return drop_pd(pd);
    /* with rows, the output is registered in its own plain shape (above)
     * and the primitive writes the same buffer through a 2-D view */
    if (rows && !(args[na - 1].memory = new_mem(s, n, &sdrows, r->buf[n->out[0]], err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

static int prep_multi(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    enum { MAX_IN = 64 };
    if (n->n_in > MAX_IN)
        return wp_fail(err, NULL, 0, "node '%s': too many inputs", n->name);
    dnnl_memory_desc_t srcs[MAX_IN], dst;
    float scales[MAX_IN];
    int add = n->op == WP_OP_ADD;
    /* Sum: every input in one layout, the first blocked one found (a
     * residual branch and its shortcut normally agree already). Concat:
     * each input as it is; oneDNN copies blocks when they all match. */
    const dnnl_memory_desc_t *common = NULL;
    for (size_t i = 0; i < n->n_in; i++) {
        const dnnl_memory_desc_t *cur = current(r, s, n, n->in[i], err);
        if (!cur)
            return -1;
        if (s->plain)
            md_of(&srcs[i], shape(r, n->in[i]));
        else
            srcs[i] = *cur;
        if (add && !common && !is_plain(r, n->in[i], &srcs[i]))
            common = &srcs[i];
        scales[i] = 1.0f;
    }
    if (add && common)
        for (size_t i = 0; i < n->n_in; i++)
            srcs[i] = *common;
    md_tag(&dst, shape(r, n->out[0]), s->plain ? plain_tag(shape(r, n->out[0])->n) : dnnl_format_tag_any);
    dnnl_primitive_desc_t pd;
    dnnl_status_t st =
        add ? dnnl_sum_primitive_desc_create(&pd, &dst, (int)n->n_in, scales, srcs, NULL, s->eng)
            : dnnl_concat_primitive_desc_create(&pd, &dst, (int)n->n_in, (int)n->axis, srcs, NULL, s->eng);
    if (check(st, n, add ? "sum_primitive_desc_create" : "concat_primitive_desc_create", err))
        return -1;
    dnnl_exec_arg_t args[MAX_IN + 1];
    int na = 0;
    for (size_t i = 0; i < n->n_in; i++)
        if (push_arg(args, &na, DNNL_ARG_MULTIPLE_SRC + (int)i, need(r, s, l, n, n->in[i], &srcs[i], err)))
            return drop_pd(pd);
    if (push_arg(args, &na, DNNL_ARG_DST, produce(r, s, n, n->out[0], pd_md(pd, dnnl_query_dst_md), err)))
        return drop_pd(pd);
    return add_prim(l, n, pd, na, args, err);
}

/* Views and ops without a oneDNN path: inputs plain in r->buf (reordered
 * here when their producer wrote another layout), outputs plain. */
static int prep_plain(wp_runner *r, cpu_state *s, layer *l, const wp_node *n, wp_error *err)
{
    for (size_t i = 0; i < n->n_in; i++) {
        int t = n->in[i];
        if (t < 0)
            continue;
        dnnl_memory_desc_t p;
        md_of(&p, shape(r, t));
        if (!need(r, s, l, n, t, &p, err))
            return -1;
    }
    for (size_t i = 0; i < n->n_out; i++) {
        int t = n->out[i];
        if (t < 0 || !r->buf[t])
            continue;
        dnnl_memory_desc_t p;
        md_of(&p, shape(r, t));
        if (!produce(r, s, n, t, &p, err))
            return -1;
    }
    l->ref = !wp__runner_is_view(n->op);
    return 0;
}

static int same_shape(const wp_dims *a, const wp_dims *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

/* Gemm / MatMul as an inner product: 2-D activation x constant matrix. */
static int dense_ok(const wp_runner *r, const wp_node *n)
{
    return shape(r, n->in[0])->n == 2 && shape(r, n->out[0])->n == 2 && n->n_in >= 2 && is_const(r, n->in[1]) &&
           shape(r, n->in[1])->n == 2 && !n->trans_a &&
           (n->op != WP_OP_GEMM || n->n_in < 3 || n->in[2] < 0 ||
            (is_const(r, n->in[2]) && wp_dims_count(shape(r, n->in[2])) == shape(r, n->out[0])->d[1]));
}

/* Any other MatMul of two operands of rank 2 to 5 (1-D ones, which ONNX
 * promotes and squeezes, stay on the ref kernel). */
static int matmul_ok(const wp_runner *r, const wp_node *n)
{
    if (n->n_in != 2 || n->in[1] < 0)
        return 0;
    int ra = shape(r, n->in[0])->n, rb = shape(r, n->in[1])->n, ry = shape(r, n->out[0])->n;
    return ra >= 2 && rb >= 2 && ry <= 5 && ra <= ry && rb <= ry;
}

/* Add of same-shape inputs: oneDNN's sum. */
static int sum_ok(const wp_runner *r, const wp_node *n)
{
    for (size_t i = 0; i < n->n_in; i++)
        if (n->in[i] < 0 || !same_shape(shape(r, n->in[i]), shape(r, n->out[0])))
            return 0;
    return n->n_in >= 2;
}

/* Two operands, one of the output's shape (the first, unless the op
 * commutes), the other broadcast to it (numpy rules), rank at most 5. */
static int binary_ok(const wp_runner *r, const wp_node *n)
{
    if (n->n_in != 2 || n->in[1] < 0)
        return 0;
    const wp_dims *y = shape(r, n->out[0]);
    if (y->n < 1 || y->n > 5)
        return 0;
    int first = same_shape(shape(r, n->in[0]), y);
    if (!first && !(same_shape(shape(r, n->in[1]), y) && (n->op == WP_OP_ADD || n->op == WP_OP_MUL)))
        return 0;
    const wp_dims *o = shape(r, n->in[first ? 1 : 0]);
    if (o->n > y->n)
        return 0;
    for (int i = 0; i < o->n; i++) {
        int64_t d = o->d[o->n - 1 - i];
        if (d != 1 && d != y->d[y->n - 1 - i])
            return 0;
    }
    return 1;
}

/* Whether node n has a oneDNN primitive here (else prep_plain + ref). */
static int native(const wp_runner *r, const wp_node *n)
{
    if (n->n_out != 1 || n->n_in < 1 || n->in[0] < 0)
        return 0;
    for (size_t i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && !r->buf[n->in[i]])
            return 0;
    const wp_dims *x = shape(r, n->in[0]);
    if (x->n < 1 || x->n > 5)
        return 0;
    switch (n->op) {
    case WP_OP_CONV:
        return x->n == 4 && n->n_in >= 2 && is_const(r, n->in[1]) && shape(r, n->in[1])->n == 4 &&
               (n->n_in < 3 || n->in[2] < 0 || is_const(r, n->in[2]));
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL:
    case WP_OP_GLOBALAVGPOOL: return x->n == 4;
    case WP_OP_GEMM: return dense_ok(r, n);
    case WP_OP_MATMUL: return dense_ok(r, n) || matmul_ok(r, n);
    case WP_OP_SUB:
    case WP_OP_MUL:
    case WP_OP_DIV: return binary_ok(r, n);
    case WP_OP_SIGMOID:
    case WP_OP_HARDSIGMOID:
    case WP_OP_HARDSWISH:
    case WP_OP_GELU:
    case WP_OP_SQRT:
    case WP_OP_REDUCEMEAN:
    case WP_OP_TRANSPOSE:
    case WP_OP_TANH: return 1;
    case WP_OP_POW:
        /* x ** c for a constant scalar c (LayerNorm's x ** 2): oneDNN's
         * eltwise pow, one JIT pass; the ref kernel's pow() per element
         * took 0.6 ns (ConvNeXt-T: 0.35 ms a layer) */
        return n->n_in == 2 && is_const(r, n->in[1]) && wp_dims_count(shape(r, n->in[1])) == 1 &&
               same_shape(x, shape(r, n->out[0]));
    case WP_OP_BATCHNORM:
        if (n->n_in < 5 || x->n < 2)
            return 0;
        for (int k = 1; k < 5; k++)
            if (!is_const(r, n->in[k]))
                return 0;
        return 1;
    case WP_OP_RELU:
    case WP_OP_CLIP:
    case WP_OP_SOFTMAX:
    case WP_OP_LRN: return n->op != WP_OP_LRN || x->n == 4;
    case WP_OP_ADD: return sum_ok(r, n) || binary_ok(r, n);
    case WP_OP_CONCAT:
        for (size_t i = 0; i < n->n_in; i++)
            if (n->in[i] < 0)
                return 0;
        return 1;
    default: return 0;
    }
}

/* Which convolutions and dense layers absorb the batch-norm and the ReLU/Clip after them:
 * wp_graph_fusion_plan's decision (the one predict leaves fused layers out
 * by), turned into what set-up needs. */
static int plan_fusion(wp_runner *r, cpu_state *s, wp_error *err)
{
    const wp_graph *g = r->g;
    size_t N = g->n_nodes, T = g->n_tensors;
    s->fused_into = malloc((N ? N : 1) * sizeof *s->fused_into);
    s->fold_bn = malloc((N ? N : 1) * sizeof *s->fold_bn);
    s->post = malloc((N ? N : 1) * sizeof *s->post);
    s->gone = calloc(T ? T : 1, 1);
    if (!s->fused_into || !s->fold_bn || !s->post || !s->gone)
        return wp_fail(err, NULL, 0, "out of memory");
    if (wp_graph_fusion_plan(g, s->fused_into, err) < 0)
        return -1;
    for (size_t i = 0; i < N; i++)
        s->fold_bn[i] = s->post[i] = -1;
    for (size_t j = 0; j < N; j++) {
        int i = s->fused_into[j];
        if (i < 0)
            continue;
        const wp_node *c = &g->nodes[j];
        /* The plan's conditions restate `native` for these ops on the
         * graph; a change to one without the other must not fold a node
         * into a convolution that has no primitive to take it. */
        if (!native(r, &g->nodes[i]) || !native(r, c))
            return wp_fail(err, NULL, 0,
                           "node '%s': fused into '%s' by wp_graph_fusion_plan, which the cpu backend "
                           "cannot run as one primitive",
                           c->name, g->nodes[i].name);
        if (c->op == WP_OP_BATCHNORM)
            s->fold_bn[i] = (int)j;
        else
            s->post[i] = (int)j;
        /* the chain's inner tensor: never written */
        s->gone[c->in[0]] = 1;
    }
    return 0;
}

int wp__cpu_fused_into(const wp_runner *r, size_t node)
{
    const cpu_state *s = r->impl;
    return s && s->fused_into && node < r->g->n_nodes ? s->fused_into[node] : -1;
}

static void cpu_destroy(wp_runner *r)
{
    cpu_state *s = r->impl;
    if (!s)
        return;
    if (s->layers)
        for (size_t i = 0; i < r->g->n_nodes; i++) {
            layer *l = &s->layers[i];
            for (int k = 0; k < l->n_steps; k++) {
                dnnl_primitive_destroy(l->steps[k].prim);
                free(l->steps[k].args);
            }
            free(l->steps);
        }
    if (s->ts)
        for (size_t t = 0; t < r->g->n_tensors; t++)
            for (int v = 0; v < s->ts[t].n_ver; v++)
                dnnl_memory_destroy(s->ts[t].ver[v].mem);
    for (size_t k = 0; k < s->n_mems; k++)
        dnnl_memory_destroy(s->mems[k]);
    for (size_t k = 0; k < s->n_bufs; k++)
        free(s->bufs[k]);
    free(s->mems);
    free(s->bufs);
    free(s->layers);
    free(s->ts);
    free(s->fused_into);
    free(s->fold_bn);
    free(s->post);
    free(s->gone);
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
    s->plain = cpu_layout == WP_CPU_LAYOUT_PLAIN;
    s->layers = calloc(r->g->n_nodes ? r->g->n_nodes : 1, sizeof *s->layers);
    s->ts = calloc(r->g->n_tensors ? r->g->n_tensors : 1, sizeof *s->ts);
    if (!s->layers || !s->ts)
        return wp_fail(err, NULL, 0, "out of memory");
    if (check(dnnl_engine_create(&s->eng, dnnl_cpu, 0), NULL, "engine_create", err) ||
        check(dnnl_stream_create(&s->stream, s->eng, dnnl_stream_default_flags), NULL, "stream_create", err))
        return -1;
    if (!s->plain && cpu_fusion && plan_fusion(r, s, err))
        return -1;
    for (size_t i = 0; i < r->g->n_nodes; i++) {
        const wp_node *n = &r->g->nodes[i];
        layer *l = &s->layers[i];
        int rc;
        if (s->fused_into && s->fused_into[i] >= 0)
            rc = 0; /* nothing of its own to run: timed as an empty layer */
        else if (!native(r, n))
            rc = prep_plain(r, s, l, n, err);
        else
            switch (n->op) {
            case WP_OP_CONV: rc = prep_conv(r, s, l, i, err); break;
            case WP_OP_MAXPOOL:
            case WP_OP_AVGPOOL:
            case WP_OP_GLOBALAVGPOOL: rc = prep_pool(r, s, l, n, err); break;
            case WP_OP_GEMM: rc = prep_dense(r, s, l, i, err); break;
            case WP_OP_MATMUL: rc = dense_ok(r, n) ? prep_dense(r, s, l, i, err) : prep_matmul(r, s, l, n, err); break;
            case WP_OP_ADD: rc = sum_ok(r, n) ? prep_multi(r, s, l, n, err) : prep_binary(r, s, l, n, err); break;
            case WP_OP_SUB:
            case WP_OP_MUL:
            case WP_OP_DIV: rc = prep_binary(r, s, l, n, err); break;
            case WP_OP_CONCAT: rc = prep_multi(r, s, l, n, err); break;
            case WP_OP_REDUCEMEAN: rc = prep_reducemean(r, s, l, n, err); break;
            case WP_OP_TRANSPOSE: rc = prep_transpose(r, s, l, n, err); break;
            default: rc = prep_same(r, s, l, n, err); break;
            }
        if (rc)
            return -1;
    }
    return 0;
}

/* Erf, which oneDNN 2.6 has no eltwise for, though every PyTorch
 * transformer export computes GELU as x / sqrt(2) -> Erf -> + 1 -> * x ->
 * * 0.5: libm's double erf() in the ref kernel took 3-4 ns an element
 * (ConvNeXt-T: 38 of its 150 ms), ten times a oneDNN sigmoid. Eigen's
 * rational approximation for floats (erf is +-1 in single precision
 * beyond 4; |error| < 1e-7 inside) has no branch and no call, so it
 * vectorises. The ref backend, the oracle, keeps libm's erf. */
static inline __attribute__((always_inline)) void erf_loop(const float *x, float *y, int64_t count)
{
    static const float a[] = {-1.60960333262415e-02f, -2.95459980854025e-03f, -7.34990630326855e-04f,
                              -5.69250639462346e-05f, -2.10102402082508e-06f, 2.77068142495902e-08f,
                              -2.72614225801306e-10f};
    static const float b[] = {-1.42647390514189e-02f, -7.37332916720468e-03f, -1.68282697438203e-03f,
                              -2.13374055278905e-04f, -1.45660718464996e-05f};
    for (int64_t i = 0; i < count; i++) {
        float v = x[i];
        v = v < -4.0f ? -4.0f : v;
        v = v > 4.0f ? 4.0f : v;
        float v2 = v * v;
        float p = ((((((a[6] * v2 + a[5]) * v2 + a[4]) * v2 + a[3]) * v2 + a[2]) * v2 + a[1]) * v2 + a[0]) * v;
        float q = (((b[4] * v2 + b[3]) * v2 + b[2]) * v2 + b[1]) * v2 + b[0];
        y[i] = p / q;
    }
}

/* The same loop compiled for the wider vector units, chosen at run time
 * (the build targets baseline x86-64, 4 floats a vector): 16 floats a
 * vector on AVX-512 took ConvNeXt-T's Erf from 0.95 to about a third of
 * that per element, where oneDNN's own JIT kernels already were. Not
 * target_clones: its ifunc resolver runs before ThreadSanitizer's runtime
 * is up and crashes the TSan build. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx512f"))) static void erf_avx512(const float *x, float *y, int64_t count)
{
    erf_loop(x, y, count);
}
__attribute__((target("avx2,fma"))) static void erf_avx2(const float *x, float *y, int64_t count)
{
    erf_loop(x, y, count);
}
#endif

static void erf_fast(const float *x, float *y, int64_t count)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx512f")) {
        erf_avx512(x, y, count);
        return;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        erf_avx2(x, y, count);
        return;
    }
#endif
    erf_loop(x, y, count);
}

static int cpu_exec(wp_runner *r, size_t i, wp_error *err)
{
    cpu_state *s = r->impl;
    layer *l = &s->layers[i];
    const wp_node *n = &r->g->nodes[i];
    for (int k = 0; k < l->n_steps; k++)
        if (check(dnnl_primitive_execute(l->steps[k].prim, s->stream, l->steps[k].nargs, l->steps[k].args), n,
                  "execute", err))
            return -1;
    if (!l->ref)
        return 0;
    /* The ref kernel reads r->buf directly: the reorders must be done. */
    if (l->n_steps && check(dnnl_stream_wait(s->stream), n, "stream_wait", err))
        return -1;
    if (n->op == WP_OP_ERF) {
        erf_fast(r->buf[n->in[0]], r->buf[n->out[0]], wp_dims_count(shape(r, n->out[0])));
        return 0;
    }
    return wp__runner_ref_ops.exec(r, i, err);
}

static int cpu_sync(wp_runner *r, wp_error *err)
{
    cpu_state *s = r->impl;
    return check(dnnl_stream_wait(s->stream), NULL, "stream_wait", err);
}

/* Any tensor, plain: its producer's version reordered into out. */
static int cpu_download(wp_runner *r, int t, float *out, wp_error *err)
{
    cpu_state *s = r->impl;
    tstate *ts = &s->ts[t];
    size_t count = (size_t)wp_dims_count(shape(r, t));
    if (s->gone && s->gone[t])
        return wp_fail(err, NULL, 0,
                       "tensor '%s' is not kept: the cpu backend fused its producer with its consumer "
                       "(wp_cpu_set_fusion(0) keeps every tensor)",
                       r->g->tensors[t].name);
    if (ts->n_ver == 0 || is_plain(r, t, &ts->ver[0].md)) {
        if (!r->buf[t])
            return wp_fail(err, NULL, 0, "tensor '%s' has no data", r->g->tensors[t].name);
        memcpy(out, r->buf[t], count * sizeof(float));
        return 0;
    }
    dnnl_memory_desc_t p;
    md_of(&p, shape(r, t));
    dnnl_memory_t to;
    if (check(dnnl_memory_create(&to, &p, s->eng, out), NULL, "memory_create", err))
        return -1;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim = NULL;
    int rc = reorder_pd(s, NULL, &ts->ver[0].md, &p, &pd, err);
    if (!rc) {
        rc = check(dnnl_primitive_create(&prim, pd), NULL, "primitive_create", err);
        dnnl_primitive_desc_destroy(pd);
    }
    if (!rc) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, ts->ver[0].mem}, {DNNL_ARG_TO, to}};
        rc = check(dnnl_primitive_execute(prim, s->stream, 2, args), NULL, "execute", err) ||
             check(dnnl_stream_wait(s->stream), NULL, "stream_wait", err);
    }
    if (prim)
        dnnl_primitive_destroy(prim);
    dnnl_memory_destroy(to);
    return rc ? -1 : 0;
}

/* oneDNN's name for a blocked layout: dims outermost first by stride,
 * blocked ones in capitals, then the inner blocks ("aBcd16b" = nChw16c).
 * oneDNN 2.6 has no public function for it. */
static void layout_name(const dnnl_memory_desc_t *md, char *buf, size_t size)
{
    if (md->format_kind != dnnl_blocked) {
        snprintf(buf, size, "%s", md->format_kind == dnnl_format_kind_any ? "any" : "opaque");
        return;
    }
    const dnnl_blocking_desc_t *bd = &md->format_desc.blocking;
    int order[DNNL_MAX_NDIMS], nd = md->ndims;
    for (int i = 0; i < nd; i++) {
        int j = i;
        while (j > 0 && bd->strides[order[j - 1]] < bd->strides[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    char out[128];
    size_t len = 0;
    for (int i = 0; i < nd; i++) {
        int blocked = 0;
        for (int k = 0; k < bd->inner_nblks; k++)
            blocked |= bd->inner_idxs[k] == order[i];
        out[len++] = (char)((blocked ? 'A' : 'a') + order[i]);
    }
    for (int k = 0; k < bd->inner_nblks && len < sizeof out - 24; k++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%lld%c", (long long)bd->inner_blks[k],
                                (char)('a' + bd->inner_idxs[k]));
    out[len] = '\0';
    snprintf(buf, size, "%s", out);
}

int wp_cpu_tensor_layout(const wp_runner *r, int tensor, char *buf, size_t size)
{
    if (!r || r->backend != WP_BACKEND_CPU || !r->impl || tensor < 0 || (size_t)tensor >= r->g->n_tensors || !size)
        return -1;
    const cpu_state *s = r->impl;
    const tstate *ts = &s->ts[tensor];
    if (s->gone && s->gone[tensor]) {
        snprintf(buf, size, "fused");
        return 0;
    }
    dnnl_memory_desc_t p;
    md_of(&p, shape(r, tensor));
    layout_name(ts->n_ver ? &ts->ver[0].md : &p, buf, size);
    return 0;
}

/* oneDNN's convolution kernels vectorise over output channels, one register
 * of float lanes at a time, and mask the last register rather than leave
 * it: a channel count costs what it rounds up to. Which layout they keep
 * does not say it (on AVX-512, oneDNN 2.6's brgemm convolution keeps nhwc,
 * unpadded; on AVX2 its kernels keep nChw8c); the ISA they run on does.
 * An ISA this list does not know (a newer oneDNN's, or another
 * architecture's) is unknown rather than guessed. */
int wp_cpu_channel_block(void)
{
    if (cpu_layout == WP_CPU_LAYOUT_PLAIN)
        return 1;
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx512_mic:
    case dnnl_cpu_isa_avx512_mic_4ops:
    case dnnl_cpu_isa_avx512_core:
    case dnnl_cpu_isa_avx512_core_vnni:
    case dnnl_cpu_isa_avx512_core_bf16:
    case dnnl_cpu_isa_avx512_core_amx: return 16;
    case dnnl_cpu_isa_avx:
    case dnnl_cpu_isa_avx2:
    case dnnl_cpu_isa_avx2_vnni: return 8;
    case dnnl_cpu_isa_sse41: return 4;
    default: return 0;
    }
}

static const runner_ops cpu_ops = {cpu_prepare, cpu_exec, cpu_sync, NULL, cpu_download, cpu_destroy, NULL};
const runner_ops *const wp__runner_cpu_ops = &cpu_ops;

#endif
