/* The graph IR: construction, shape inference, lazily generated weights and
 * the engine-layer view (TensorRT inspector schema). No protobuf here. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/checked.h"
#include "net/onnx_internal.h"
#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/nameindex.h"
#include "wattprof/onnx.h"

static const char *const op_names[WP_OP_COUNT] = {
    [WP_OP_CONV] = "Conv",
    [WP_OP_MAXPOOL] = "MaxPool",
    [WP_OP_AVGPOOL] = "AveragePool",
    [WP_OP_GLOBALAVGPOOL] = "GlobalAveragePool",
    [WP_OP_GEMM] = "Gemm",
    [WP_OP_MATMUL] = "MatMul",
    [WP_OP_RELU] = "Relu",
    [WP_OP_CLIP] = "Clip",
    [WP_OP_BATCHNORM] = "BatchNormalization",
    [WP_OP_ADD] = "Add",
    [WP_OP_CONCAT] = "Concat",
    [WP_OP_FLATTEN] = "Flatten",
    [WP_OP_RESHAPE] = "Reshape",
    [WP_OP_SOFTMAX] = "Softmax",
    [WP_OP_DROPOUT] = "Dropout",
    [WP_OP_LRN] = "LRN",
    [WP_OP_SUB] = "Sub",
    [WP_OP_MUL] = "Mul",
    [WP_OP_DIV] = "Div",
    [WP_OP_POW] = "Pow",
    [WP_OP_SIGMOID] = "Sigmoid",
    [WP_OP_HARDSIGMOID] = "HardSigmoid",
    [WP_OP_HARDSWISH] = "HardSwish",
    [WP_OP_ERF] = "Erf",
    [WP_OP_GELU] = "Gelu",
    [WP_OP_SQRT] = "Sqrt",
    [WP_OP_TANH] = "Tanh",
    [WP_OP_PAD] = "Pad",
    [WP_OP_TRANSPOSE] = "Transpose",
    [WP_OP_SLICE] = "Slice",
    [WP_OP_GATHER] = "Gather",
    [WP_OP_REDUCEMEAN] = "ReduceMean",
    [WP_OP_LAYERNORM] = "LayerNormalization",
    [WP_OP_RESIZE] = "Resize",
};

const char *wp_op_name(wp_op op)
{
    return (unsigned)op < WP_OP_COUNT ? op_names[op] : "?";
}

int wp_op_from_name(const char *name, wp_op *op)
{
    long i = wp_name_lookup(op_names, WP_OP_COUNT, name);
    if (i >= 0)
        *op = (wp_op)i;
    return i >= 0 ? 0 : -1;
}

void wp_graph_init(wp_graph *g, const char *name)
{
    memset(g, 0, sizeof *g);
    g->name = strdup(name ? name : "graph");
    g->input = g->output = -1;
    g->opset = 13;
}

void wp_graph_free(wp_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].data);
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].in);
        free(g->nodes[i].out);
    }
    free(g->tensors);
    free(g->nodes);
    free(g->outputs);
    free(g->name);
    memset(g, 0, sizeof *g);
    g->input = g->output = -1;
}

int wp_graph_add_tensor(wp_graph *g, const char *name, const wp_dims *shape, int is_const)
{
    if (wp_grow(&g->tensors, &g->cap_tensors, g->n_tensors, 64, sizeof *g->tensors) != 0)
        return -1;
    wp_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    if (!t->name)
        return -1;
    if (shape)
        t->shape = *shape;
    t->is_const = is_const;
    return (int)g->n_tensors++;
}

int wp_graph_add_output(wp_graph *g, int tensor)
{
    int *o = realloc(g->outputs, (g->n_outputs + 1) * sizeof *o);
    if (!o)
        return -1;
    g->outputs = o;
    o[g->n_outputs++] = tensor;
    if (g->n_outputs == 1)
        g->output = tensor;
    return 0;
}

int wp_graph_find_tensor(const wp_graph *g, const char *name)
{
    /* Linear: graphs have hundreds of tensors and are read once. */
    for (size_t i = g->n_tensors; i-- > 0;)
        if (strcmp(g->tensors[i].name, name) == 0)
            return (int)i;
    return -1;
}

wp_node *wp_graph_add_node(wp_graph *g, wp_op op, const char *name, size_t n_in, const int *in, size_t n_out,
                           const int *out)
{
    if (wp_grow(&g->nodes, &g->cap_nodes, g->n_nodes, 64, sizeof *g->nodes) != 0)
        return NULL;
    wp_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->name = strdup(name);
    n->in = malloc((n_in ? n_in : 1) * sizeof *n->in);
    n->out = malloc((n_out ? n_out : 1) * sizeof *n->out);
    if (!n->name || !n->in || !n->out) {
        free(n->name);
        free(n->in);
        free(n->out);
        return NULL;
    }
    if (n_in)
        memcpy(n->in, in, n_in * sizeof *in);
    if (n_out)
        memcpy(n->out, out, n_out * sizeof *out);
    n->n_in = n_in;
    n->n_out = n_out;
    n->stride[0] = n->stride[1] = 1;
    n->dilation[0] = n->dilation[1] = 1;
    n->group = 1;
    n->alpha = n->beta = 1.0f;
    n->epsilon = 1e-5f;
    n->axis = 1;
    n->clip_min = -INFINITY;
    n->clip_max = INFINITY;
    n->bias = 1.0f;
    n->size = 1;
    n->keepdims = 1;
    for (int i = 0; i < WP_MAX_DIMS; i++) {
        n->slice_end[i] = INT64_MAX;
        n->slice_step[i] = 1;
        n->resize_scale[i] = 1.0f;
    }
    g->n_nodes++;
    return n;
}

int64_t wp_dims_count(const wp_dims *d)
{
    int64_t c = 1;
    for (int i = 0; i < d->n; i++)
        c *= d->d[i];
    return c;
}

void wp__dims_strides(const wp_dims *d, int64_t *st)
{
    int64_t s = 1;
    for (int i = d->n - 1; i >= 0; i--) {
        st[i] = s;
        s *= d->d[i];
    }
}

int wp_dims_count_checked(const wp_dims *d, int64_t *count)
{
    int64_t c = 1;
    for (int i = 0; i < d->n; i++)
        if (d->d[i] < 0 || wp_mul_i64(c, d->d[i], &c) || c > WP_MAX_ELEMENTS)
            return -1;
    *count = c;
    return 0;
}

char *wp_dims_format(const wp_dims *d, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < d->n && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%" PRId64, i ? "x" : "", d->d[i]);
    return buf;
}

int wp_dims_parse(const char *text, wp_dims *d, wp_error *err)
{
    const char *p = text;
    memset(d, 0, sizeof *d);
    for (;;) {
        char *end;
        if (*p < '0' || *p > '9')
            return wp_fail(err, NULL, 0, "bad shape '%s': expected NxCxHxW (positive integers)", text);
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || v <= 0 || v > (1LL << 31))
            return wp_fail(err, NULL, 0, "bad shape '%s': dimension out of range", text);
        if (d->n == WP_MAX_DIMS)
            return wp_fail(err, NULL, 0, "bad shape '%s': more than %d dimensions", text, WP_MAX_DIMS);
        d->d[d->n++] = v;
        p = end;
        int64_t count;
        if (*p == 0 && wp_dims_count_checked(d, &count))
            return wp_fail(err, NULL, 0, "bad shape '%s': out of range (more than %" PRId64 " elements)", text,
                           (int64_t)WP_MAX_ELEMENTS);
        if (*p == 0)
            return 0;
        if (*p != 'x' && *p != 'X')
            return wp_fail(err, NULL, 0, "bad shape '%s': expected NxCxHxW", text);
        p++;
    }
}

/* splitmix64 of (seed, index): any element can be drawn on its own, so big
 * weights are streamed in chunks and still equal the materialised tensor. */
static float draw(uint64_t seed, int64_t i)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (float)((double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

void wp_tensor_generate(const wp_tensor *t, int64_t first, int64_t n, float *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = t->data ? t->data[first + i] : t->offset + t->scale * draw(t->seed, first + i);
}

int wp_tensor_fill(wp_tensor *t, wp_error *err)
{
    if (t->data || !t->is_const)
        return 0;
    int64_t n = wp_dims_count(&t->shape);
    float *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (!d)
        return wp_fail(err, NULL, 0, "out of memory for weights '%s' (%" PRId64 " floats)", t->name, n);
    wp_tensor_generate(t, 0, n, d);
    t->data = d;
    return 0;
}

/* ---- shape inference ---------------------------------------------------- */

static int node_fail(wp_error *err, const wp_node *node, const char *fmt, ...) WP_PRINTF(3, 4);
static int node_fail(wp_error *err, const wp_node *node, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wp_fail(err, NULL, 0, "node '%s' (%s): %s", node->name, wp_op_name(node->op), msg);
}

static const wp_dims *in_shape(const wp_graph *g, const wp_node *n, size_t i)
{
    if (i >= n->n_in || n->in[i] < 0)
        return NULL;
    return &g->tensors[n->in[i]].shape;
}

/* A negative axis counts from the end (ONNX); it is resolved in place, which
 * re-inference leaves as it is. ALLOW_END admits axis == RANK (Flatten's
 * split after the last dimension). */
static int resolve_axis(wp_node *n, int rank, int allow_end, wp_error *err)
{
    if (n->axis < 0)
        n->axis += rank;
    if (n->axis < 0 || n->axis > rank - (allow_end ? 0 : 1))
        return node_fail(err, n, "axis out of range");
    return 0;
}

/* Resolves a Slice range on one axis: first index, count. */
int64_t wp__onnx_slice_axis(int64_t dim, int64_t st, int64_t en, int64_t step, int64_t *first)
{
    if (st < 0)
        st += dim;
    if (en < 0)
        en += dim;
    if (step > 0) {
        st = st < 0 ? 0 : st > dim ? dim : st;
        en = en < 0 ? 0 : en > dim ? dim : en;
        *first = st;
        return en > st ? (en - st + step - 1) / step : 0;
    }
    st = st < 0 ? 0 : st > dim - 1 ? dim - 1 : st;
    en = en < -1 ? -1 : en > dim - 1 ? dim - 1 : en;
    *first = st;
    return st > en ? (st - en - step - 1) / -step : 0;
}

static int need_inputs(const wp_graph *g, const wp_node *n, size_t min, size_t max, wp_error *err)
{
    if (n->n_in < min || n->n_in > max)
        return node_fail(err, n, "has %zu inputs, expected %zu to %zu", n->n_in, min, max);
    /* A constant's shape is always known (rank 0 is a scalar). */
    for (size_t i = 0; i < min; i++)
        if (n->in[i] < 0 || (g->tensors[n->in[i]].shape.n == 0 && !g->tensors[n->in[i]].is_const))
            return node_fail(err, n, "input %zu has no known shape", i);
    return 0;
}

/* The shape of node n's first input once need_inputs(min, max) holds,
 * else NULL (err set): how most shape rules start. */
static const wp_dims *first_input(const wp_graph *g, const wp_node *n, size_t min, size_t max, wp_error *err)
{
    return need_inputs(g, n, min, max, err) ? NULL : in_shape(g, n, 0);
}

static int need_const(const wp_graph *g, const wp_node *n, size_t i, wp_error *err)
{
    if (i < n->n_in && n->in[i] >= 0 && !g->tensors[n->in[i]].is_const)
        return node_fail(err, n, "input %zu ('%s') must be a constant initializer", i, g->tensors[n->in[i]].name);
    return 0;
}

/* Resolves auto_pad into explicit pads for one spatial axis; -1 when the
 * padding does not fit in int64 (a crafted stride or kernel). */
static int resolve_auto_pad(wp_node *n, int ax, int64_t in, int64_t k_eff)
{
    if (n->auto_pad == WP_AUTO_PAD_VALID) {
        n->pads[ax] = n->pads[ax + 2] = 0;
        return 0;
    }
    int64_t s = n->stride[ax];
    int64_t out, total;
    if (wp_add_i64(in, s - 1, &out))
        return -1;
    out /= s;
    if (wp_muladd_i64(out - 1, s, k_eff - in, &total))
        return -1;
    if (total < 0)
        total = 0;
    int64_t small = total / 2, big = total - small;
    if (n->auto_pad == WP_AUTO_PAD_SAME_UPPER) {
        n->pads[ax] = small;
        n->pads[ax + 2] = big;
    } else {
        n->pads[ax] = big;
        n->pads[ax + 2] = small;
    }
    return 0;
}

static int spatial(wp_node *n, const wp_dims *x, int64_t kh, int64_t kw, int pooling, int64_t *oh, int64_t *ow,
                   wp_error *err)
{
    int64_t k[2] = {kh, kw};
    int64_t o[2];
    for (int ax = 0; ax < 2; ax++) {
        if (n->stride[ax] <= 0 || n->dilation[ax] <= 0 || k[ax] <= 0)
            return node_fail(err, n, "kernel, stride and dilation must be positive");
        if (n->pads[ax] < 0 || n->pads[ax + 2] < 0)
            return node_fail(err, n, "negative padding");
        int64_t in = x->d[2 + ax];
        int64_t k_eff, span;
        if (wp_muladd_i64(n->dilation[ax], k[ax] - 1, 1, &k_eff))
            return node_fail(err, n, "bad dimension: kernel %" PRId64 " with dilation %" PRId64 " is out of range",
                             k[ax], n->dilation[ax]);
        if (n->auto_pad != WP_AUTO_PAD_NOTSET && resolve_auto_pad(n, ax, in, k_eff))
            return node_fail(err, n, "bad dimension: auto_pad with stride %" PRId64 " is out of range", n->stride[ax]);
        if (wp_add_i64(in, n->pads[ax], &span) || wp_add_i64(span, n->pads[ax + 2], &span))
            return node_fail(err, n, "bad dimension: padding %" PRId64 "+%" PRId64 " is out of range", n->pads[ax],
                             n->pads[ax + 2]);
        span -= k_eff;
        if (span < 0)
            return node_fail(err, n,
                             "input %" PRId64 "x%" PRId64 " is smaller than the %" PRId64 "x%" PRId64
                             " window: the network's input shape is too small",
                             x->d[2], x->d[3], k[0], k[1]);
        int64_t s = n->stride[ax];
        if (pooling && n->ceil_mode) {
            /* span / s rounded up, without forming span + s - 1 */
            o[ax] = span / s + (span % s != 0) + 1;
            /* The last window must start inside the input or left padding. */
            if ((o[ax] - 1) * s >= in + n->pads[ax])
                o[ax]--;
        } else {
            o[ax] = span / s + 1;
        }
    }
    n->auto_pad = WP_AUTO_PAD_NOTSET;
    *oh = o[0];
    *ow = o[1];
    return 0;
}

static int check_vec(const wp_graph *g, const wp_node *n, size_t i, int64_t len, const char *what, wp_error *err)
{
    const wp_dims *d = in_shape(g, n, i);
    if (!d)
        return 0;
    if (wp_dims_count(d) != len || d->n < 1)
        return node_fail(err, n, "%s '%s' has %" PRId64 " values, expected %" PRId64, what, g->tensors[n->in[i]].name,
                         wp_dims_count(d), len);
    return 0;
}

/* numpy broadcasting: shapes aligned on the right, each pair equal or 1. */
static int broadcast_shape(const wp_dims *a, const wp_dims *b, wp_dims *o)
{
    memset(o, 0, sizeof *o);
    o->n = a->n > b->n ? a->n : b->n;
    for (int i = 0; i < o->n; i++) {
        int64_t da = i < a->n ? a->d[a->n - 1 - i] : 1, db = i < b->n ? b->d[b->n - 1 - i] : 1;
        if (da != db && da != 1 && db != 1)
            return -1;
        o->d[o->n - 1 - i] = da == 1 ? db : da;
    }
    return 0;
}

int wp_broadcast_shape(const wp_dims *a, const wp_dims *b, wp_dims *o)
{
    return broadcast_shape(a, b, o);
}

int wp_node_reduce_mask(const wp_node *n, int rank, int *mask)
{
    for (int i = 0; i < rank; i++)
        mask[i] = n->reduce_axes.n == 0;
    for (int i = 0; i < n->reduce_axes.n; i++) {
        int64_t a = n->reduce_axes.d[i] < 0 ? n->reduce_axes.d[i] + rank : n->reduce_axes.d[i];
        if (a < 0 || a >= rank)
            return -1;
        mask[a] = 1;
    }
    return 0;
}

int wp__op_is_activation(wp_op op)
{
    switch (op) {
    case WP_OP_RELU:
    case WP_OP_CLIP:
    case WP_OP_SIGMOID:
    case WP_OP_HARDSIGMOID:
    case WP_OP_HARDSWISH:
    case WP_OP_ERF:
    case WP_OP_GELU:
    case WP_OP_SQRT:
    case WP_OP_TANH: return 1;
    default: return 0;
    }
}

/* The new ops (PyTorch exports): shape rules of the ONNX specification. */
static int infer_more(wp_graph *g, wp_node *n, wp_dims *op, wp_error *err)
{
    char b1[96], b2[96];
    wp_dims o;
    memset(&o, 0, sizeof o);
    const wp_dims *x;
    switch (n->op) {
    case WP_OP_ADD:
    case WP_OP_SUB:
    case WP_OP_MUL:
    case WP_OP_DIV:
    case WP_OP_POW:
        if (need_inputs(g, n, 2, 2, err))
            return -1;
        if (broadcast_shape(in_shape(g, n, 0), in_shape(g, n, 1), &o))
            return node_fail(err, n, "operands %s and %s do not broadcast",
                             wp_dims_format(in_shape(g, n, 0), b1, sizeof b1),
                             wp_dims_format(in_shape(g, n, 1), b2, sizeof b2));
        break;
    case WP_OP_PAD:
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        if (n->n_pad_nd != 2 * x->n)
            return node_fail(err, n, "%d pads for a %d-dimensional input", n->n_pad_nd, x->n);
        o = *x;
        for (int i = 0; i < x->n; i++)
            o.d[i] = x->d[i] + n->pad_nd[i] + n->pad_nd[x->n + i];
        break;
    case WP_OP_TRANSPOSE: {
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        int all_zero = 1, seen[WP_MAX_DIMS] = {0};
        for (int i = 0; i < x->n; i++)
            all_zero &= n->perm[i] == 0;
        if (all_zero && x->n > 1)
            for (int i = 0; i < x->n; i++)
                n->perm[i] = x->n - 1 - i;
        o.n = x->n;
        for (int i = 0; i < x->n; i++) {
            if (n->perm[i] < 0 || n->perm[i] >= x->n || seen[n->perm[i]]++)
                return node_fail(err, n, "perm is not a permutation of %s's axes", wp_dims_format(x, b1, sizeof b1));
            o.d[i] = x->d[n->perm[i]];
        }
        break;
    }
    case WP_OP_SLICE:
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        o = *x;
        for (int a = 0; a < x->n; a++) {
            int64_t dim = x->d[a], st = n->slice_start[a], en = n->slice_end[a], step = n->slice_step[a];
            if (step == 0)
                return node_fail(err, n, "step 0 on axis %d", a);
            /* resolved; idempotent on re-inference */
            o.d[a] = wp__onnx_slice_axis(dim, st, en, step, &n->slice_start[a]);
        }
        break;
    case WP_OP_GATHER: {
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        if (resolve_axis(n, x->n, 0, err))
            return -1;
        for (int i = 0; i < n->n_gather_idx; i++) {
            if (n->gather_idx[i] < 0)
                n->gather_idx[i] += x->d[n->axis];
            if (n->gather_idx[i] < 0 || n->gather_idx[i] >= x->d[n->axis])
                return node_fail(err, n, "index out of range for %s", wp_dims_format(x, b1, sizeof b1));
        }
        for (int i = 0; i < x->n; i++) {
            if (i == n->axis) {
                if (!n->gather_scalar)
                    o.d[o.n++] = n->n_gather_idx;
            } else {
                o.d[o.n++] = x->d[i];
            }
        }
        if (o.n == 0) {
            o.n = 1;
            o.d[0] = 1;
        }
        break;
    }
    case WP_OP_REDUCEMEAN: {
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        int mask[WP_MAX_DIMS];
        if (wp_node_reduce_mask(n, x->n, mask))
            return node_fail(err, n, "axes out of range for %s", wp_dims_format(x, b1, sizeof b1));
        for (int i = 0; i < x->n; i++)
            if (!mask[i] || n->keepdims)
                o.d[o.n++] = mask[i] ? 1 : x->d[i];
        if (o.n == 0) {
            o.n = 1;
            o.d[0] = 1;
        }
        break;
    }
    case WP_OP_LAYERNORM: {
        if (!(x = first_input(g, n, 2, 3, err)) || need_const(g, n, 1, err) || need_const(g, n, 2, err))
            return -1;
        if (resolve_axis(n, x->n, 0, err))
            return -1;
        int64_t inner = 1;
        for (int i = (int)n->axis; i < x->n; i++)
            inner *= x->d[i];
        for (size_t i = 1; i < n->n_in; i++)
            if (n->in[i] >= 0 && wp_dims_count(in_shape(g, n, i)) != inner)
                return node_fail(err, n, "parameter '%s' has %" PRId64 " values, expected %" PRId64,
                                 g->tensors[n->in[i]].name, wp_dims_count(in_shape(g, n, i)), inner);
        o = *x;
        break;
    }
    case WP_OP_RESIZE:
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        if (x->n != 4)
            return node_fail(err, n, "input is %s, only NxCxHxW resizing is supported",
                             wp_dims_format(x, b1, sizeof b1));
        o = *x;
        for (int i = 0; i < 4; i++)
            o.d[i] = n->reshape.n ? n->reshape.d[i] : (int64_t)floor((double)x->d[i] * n->resize_scale[i]);
        if (o.d[0] != x->d[0] || o.d[1] != x->d[1])
            return node_fail(err, n, "only the spatial axes can be resized");
        break;
    case WP_OP_MATMUL: {
        if (!(x = first_input(g, n, 2, 2, err)))
            return -1;
        const wp_dims *w = in_shape(g, n, 1);
        if (x->n < 2 || w->n < 2)
            return node_fail(err, n, "operands %s and %s: vector operands are not supported",
                             wp_dims_format(x, b1, sizeof b1), wp_dims_format(w, b2, sizeof b2));
        if (x->d[x->n - 1] != w->d[w->n - 2])
            return node_fail(err, n, "operands %s and %s: inner dimensions differ", wp_dims_format(x, b1, sizeof b1),
                             wp_dims_format(w, b2, sizeof b2));
        wp_dims bx = *x, bw = *w;
        bx.n -= 2;
        bw.n -= 2;
        if (broadcast_shape(&bx, &bw, &o))
            return node_fail(err, n, "batch dimensions of %s and %s do not broadcast", wp_dims_format(x, b1, sizeof b1),
                             wp_dims_format(w, b2, sizeof b2));
        o.d[o.n++] = x->d[x->n - 2];
        o.d[o.n++] = w->d[w->n - 1];
        break;
    }
    default:
        if (!wp__op_is_activation(n->op) && n->op != WP_OP_DROPOUT)
            return node_fail(err, n, "unsupported operator");
        if (need_inputs(g, n, 1, 1, err))
            return -1;
        o = *in_shape(g, n, 0);
        if (n->op == WP_OP_CLIP && !(n->clip_min <= n->clip_max))
            return node_fail(err, n, "min %g is above max %g", n->clip_min, n->clip_max);
        break;
    }
    *op = o;
    return 0;
}

static int infer_node(wp_graph *g, wp_node *n, wp_error *err)
{
    wp_dims o;
    memset(&o, 0, sizeof o);
    const wp_dims *x;
    char b1[96], b2[96];

    switch (n->op) {
    case WP_OP_CONV: {
        if (!(x = first_input(g, n, 2, 3, err)) || need_const(g, n, 1, err) || need_const(g, n, 2, err))
            return -1;
        const wp_dims *w = in_shape(g, n, 1);
        if (x->n != 4)
            return node_fail(err, n, "input is %s, only 2-D convolution (NxCxHxW) is supported",
                             wp_dims_format(x, b1, sizeof b1));
        if (w->n != 4)
            return node_fail(err, n, "weight is %s, expected MxC/groupxkHxkW", wp_dims_format(w, b1, sizeof b1));
        if (n->kernel[0] == 0 && n->kernel[1] == 0) {
            n->kernel[0] = w->d[2];
            n->kernel[1] = w->d[3];
        }
        if (n->kernel[0] != w->d[2] || n->kernel[1] != w->d[3])
            return node_fail(err, n, "kernel_shape disagrees with the weight's %s", wp_dims_format(w, b1, sizeof b1));
        if (n->group <= 0 || x->d[1] % n->group || w->d[0] % n->group)
            return node_fail(err, n,
                             "group %" PRId64 " does not divide %" PRId64 " input / %" PRId64 " output channels",
                             n->group, x->d[1], w->d[0]);
        int64_t want_c;
        if (wp_mul_i64(w->d[1], n->group, &want_c) || want_c != x->d[1])
            return node_fail(err, n,
                             "input has %" PRId64 " channels but weight %s expects %" PRId64 " (wrong input shape?)",
                             x->d[1], wp_dims_format(w, b1, sizeof b1), want_c);
        if (check_vec(g, n, 2, w->d[0], "bias", err))
            return -1;
        int64_t oh, ow;
        if (spatial(n, x, w->d[2], w->d[3], 0, &oh, &ow, err))
            return -1;
        o.n = 4;
        o.d[0] = x->d[0];
        o.d[1] = w->d[0];
        o.d[2] = oh;
        o.d[3] = ow;
        break;
    }
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL: {
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        if (x->n != 4)
            return node_fail(err, n, "input is %s, only 2-D pooling is supported", wp_dims_format(x, b1, sizeof b1));
        if (n->op == WP_OP_AVGPOOL && (n->dilation[0] != 1 || n->dilation[1] != 1))
            return node_fail(err, n, "dilated average pooling is not supported");
        int64_t oh, ow;
        if (spatial(n, x, n->kernel[0], n->kernel[1], 1, &oh, &ow, err))
            return -1;
        o = *x;
        o.d[2] = oh;
        o.d[3] = ow;
        /* The runners visit every window position of every output: a huge
         * kernel balanced by huge pads passes the checks above and would
         * loop for hours, so bound the steps (2^44: far above any real
         * network's pooling, about 10^9). */
        int64_t steps;
        if (wp_dims_count_checked(&o, &steps) || wp_mul_i64(steps, n->kernel[0], &steps) ||
            wp_mul_i64(steps, n->kernel[1], &steps) || steps > (INT64_C(1) << 44))
            return node_fail(err, n, "bad dimension: output %s with a %" PRId64 "x%" PRId64 " window is out of range",
                             wp_dims_format(&o, b1, sizeof b1), n->kernel[0], n->kernel[1]);
        break;
    }
    case WP_OP_GLOBALAVGPOOL:
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        if (x->n != 4)
            return node_fail(err, n, "input is %s, expected NxCxHxW", wp_dims_format(x, b1, sizeof b1));
        o = *x;
        n->kernel[0] = x->d[2];
        n->kernel[1] = x->d[3];
        o.d[2] = o.d[3] = 1;
        break;
    case WP_OP_GEMM: {
        if (!(x = first_input(g, n, 2, 3, err)) || need_const(g, n, 1, err) || need_const(g, n, 2, err))
            return -1;
        const wp_dims *w = in_shape(g, n, 1);
        if (x->n != 2 || w->n != 2)
            return node_fail(err, n, "operands %s and %s must be matrices", wp_dims_format(x, b1, sizeof b1),
                             wp_dims_format(w, b2, sizeof b2));
        if (n->trans_a)
            return node_fail(err, n, "transA=1 is not supported");
        int64_t k = w->d[n->trans_b ? 1 : 0], nn = w->d[n->trans_b ? 0 : 1];
        if (x->d[1] != k)
            return node_fail(err, n,
                             "input has %" PRId64 " features but weight %s expects %" PRId64 " (wrong input shape?)",
                             x->d[1], wp_dims_format(w, b1, sizeof b1), k);
        const wp_dims *c = in_shape(g, n, 2);
        if (c && !(wp_dims_count(c) == nn && c->n >= 1 && c->d[c->n - 1] == nn))
            return node_fail(err, n, "bias %s does not broadcast to %" PRId64 " outputs",
                             wp_dims_format(c, b1, sizeof b1), nn);
        o.n = 2;
        o.d[0] = x->d[0];
        o.d[1] = nn;
        break;
    }
    case WP_OP_SOFTMAX:
    case WP_OP_LRN:
        if (need_inputs(g, n, 1, 1, err))
            return -1;
        o = *in_shape(g, n, 0);
        if (n->op == WP_OP_SOFTMAX) {
            if (n->axis < 0)
                n->axis += o.n;
            if (n->axis < 0 || n->axis >= o.n)
                return node_fail(err, n, "axis out of range for %s", wp_dims_format(&o, b1, sizeof b1));
        } else if (o.n != 4 || n->size <= 0) {
            return node_fail(err, n, "needs an NxCxHxW input and a positive size");
        }
        break;
    case WP_OP_BATCHNORM:
        if (need_inputs(g, n, 5, 5, err))
            return -1;
        for (size_t i = 1; i < 5; i++)
            if (need_const(g, n, i, err))
                return -1;
        o = *in_shape(g, n, 0);
        if (o.n < 2)
            return node_fail(err, n, "input needs a channel axis");
        for (size_t i = 1; i < 5; i++)
            if (check_vec(g, n, i, o.d[1], "parameter", err))
                return -1;
        break;
    case WP_OP_CONCAT: {
        if (n->n_in < 1 || need_inputs(g, n, n->n_in, n->n_in, err))
            return -1;
        o = *in_shape(g, n, 0);
        if (resolve_axis(n, o.n, 0, err))
            return -1;
        for (size_t i = 1; i < n->n_in; i++) {
            const wp_dims *d = in_shape(g, n, i);
            int ok = d->n == o.n;
            for (int a = 0; ok && a < o.n; a++)
                if (a != n->axis && d->d[a] != o.d[a])
                    ok = 0;
            if (!ok)
                return node_fail(err, n, "input %zu is %s, does not match %s off axis %" PRId64, i,
                                 wp_dims_format(d, b1, sizeof b1), wp_dims_format(in_shape(g, n, 0), b2, sizeof b2),
                                 n->axis);
            if (wp_add_i64(o.d[n->axis], d->d[n->axis], &o.d[n->axis]))
                return node_fail(err, n, "bad dimension: concatenated axis is out of range");
        }
        break;
    }
    case WP_OP_FLATTEN: {
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        if (resolve_axis(n, x->n, 1, err))
            return -1;
        int64_t a = 1, b = 1;
        for (int i = 0; i < x->n; i++)
            *(i < n->axis ? &a : &b) *= x->d[i];
        o.n = 2;
        o.d[0] = a;
        o.d[1] = b;
        break;
    }
    case WP_OP_RESHAPE: {
        if (!(x = first_input(g, n, 1, 1, err)))
            return -1;
        o = n->reshape;
        int64_t known = 1;
        int infer = -1;
        for (int i = 0; i < o.n; i++) {
            if (o.d[i] == 0) {
                if (i >= x->n)
                    return node_fail(err, n, "shape copies dimension %d the input lacks", i);
                o.d[i] = x->d[i];
            }
            if (o.d[i] == -1) {
                if (infer >= 0)
                    return node_fail(err, n, "more than one -1 in the target shape");
                infer = i;
            } else if (o.d[i] <= 0) {
                return node_fail(err, n, "bad target dimension %" PRId64, o.d[i]);
            } else if (wp_mul_i64(known, o.d[i], &known)) {
                return node_fail(err, n, "bad dimension: target shape is out of range");
            }
        }
        if (infer >= 0)
            o.d[infer] = known ? wp_dims_count(x) / known : 0;
        if (o.n == 0 || wp_dims_count(&o) != wp_dims_count(x))
            return node_fail(err, n, "cannot reshape %s into the target shape", wp_dims_format(x, b1, sizeof b1));
        break;
    }
    default:
        if (infer_more(g, n, &o, err))
            return -1;
        break;
    }
    for (int i = 0; i < o.n; i++)
        if (o.d[i] <= 0)
            return node_fail(err, n, "output shape %s is empty", wp_dims_format(&o, b1, sizeof b1));
    int64_t count;
    if (wp_dims_count_checked(&o, &count))
        return node_fail(err, n, "bad dimension: output shape %s has more than %" PRId64 " elements",
                         wp_dims_format(&o, b1, sizeof b1), (int64_t)WP_MAX_ELEMENTS);
    if (n->n_out < 1 || n->out[0] < 0)
        return node_fail(err, n, "has no output");
    g->tensors[n->out[0]].shape = o;
    return 0;
}

int wp_graph_infer_node(wp_graph *g, size_t node, wp_error *err)
{
    if (node >= g->n_nodes)
        return wp_fail(err, NULL, 0, "no node %zu", node);
    return infer_node(g, &g->nodes[node], err);
}

int wp_graph_infer_shapes(wp_graph *g, wp_error *err)
{
    if (g->input < 0 || g->output < 0)
        return wp_fail(err, NULL, 0, "graph '%s' has no input or no output", g->name);
    const wp_dims *in = &g->tensors[g->input].shape;
    if (in->n == 0)
        return wp_fail(err, NULL, 0, "graph input '%s' has no shape", g->tensors[g->input].name);
    for (int i = 0; i < in->n; i++)
        if (in->d[i] <= 0)
            return wp_fail(err, NULL, 0, "graph input '%s' has a non-positive dimension", g->tensors[g->input].name);
    int64_t count;
    if (wp_dims_count_checked(in, &count)) {
        char b1[96];
        return wp_fail(err, NULL, 0, "bad dimension: graph input '%s' shape %s has more than %" PRId64 " elements",
                       g->tensors[g->input].name, wp_dims_format(in, b1, sizeof b1), (int64_t)WP_MAX_ELEMENTS);
    }
    for (size_t i = 0; i < g->n_nodes; i++)
        if (infer_node(g, &g->nodes[i], err))
            return -1;
    return 0;
}

/* ---- engine view --------------------------------------------------------- */

const char *wp_node_layer_type(const wp_node *node)
{
    switch (node->op) {
    case WP_OP_CONV: return "CaskConvolution";
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL:
    case WP_OP_GLOBALAVGPOOL: return "CaskPooling";
    case WP_OP_GEMM:
    case WP_OP_MATMUL: return "CaskGemmConvolution";
    case WP_OP_ADD:
    case WP_OP_SUB:
    case WP_OP_MUL:
    case WP_OP_DIV:
    case WP_OP_POW: return "PointWiseV2";
    case WP_OP_BATCHNORM: return "Scale";
    case WP_OP_CONCAT: return "Concat";
    case WP_OP_SOFTMAX: return "SoftMax";
    case WP_OP_LRN: return "LRN";
    case WP_OP_PAD: return "Padding";
    case WP_OP_TRANSPOSE: return "Shuffle";
    case WP_OP_SLICE: return "Slice";
    case WP_OP_GATHER: return "Gather";
    case WP_OP_REDUCEMEAN: return "Reduce";
    case WP_OP_LAYERNORM: return "Normalization";
    case WP_OP_RESIZE: return "Resize";
    default: return wp__op_is_activation(node->op) ? "PointWiseV2" : "NoOp";
    }
}

/* A MatMul is a dense layer when its second operand is a constant matrix
 * (a linear layer); between two activations (attention) it is TensorRT's
 * MatrixMultiply, which wattprof does not model. */
static int matmul_dense(const wp_graph *g, const wp_node *n)
{
    return n->n_in > 1 && n->in[1] >= 0 && g->tensors[n->in[1]].is_const && g->tensors[n->in[1]].shape.n == 2;
}

/* A ReduceMean over H and W of an NxCxHxW tensor (ShuffleNet's x.mean([2,
 * 3]), what PyTorch exports for many models' final pooling) computes what
 * GlobalAveragePool does, and TensorRT's engine files show it as a pooling
 * (kgen) layer: described as a global average pooling, the same either way. */
static int reduce_global_pool(const wp_graph *g, const wp_node *n)
{
    if (n->op != WP_OP_REDUCEMEAN || n->n_in < 1 || n->in[0] < 0)
        return 0;
    const wp_dims *x = &g->tensors[n->in[0]].shape;
    int mask[WP_MAX_DIMS];
    return x->n == 4 && wp_node_reduce_mask(n, 4, mask) == 0 && !mask[0] && !mask[1] && mask[2] && mask[3];
}

static const char *layer_type(const wp_graph *g, const wp_node *n)
{
    if (reduce_global_pool(g, n))
        return "CaskPooling";
    return n->op == WP_OP_MATMUL && !matmul_dense(g, n) ? "MatrixMultiply" : wp_node_layer_type(n);
}

const char *wp_graph_layer_type(const wp_graph *g, const wp_node *node)
{
    return layer_type(g, node);
}

static wp_layer_kind node_kind(const wp_graph *g, const wp_node *n)
{
    if (n->op == WP_OP_MATMUL && !matmul_dense(g, n))
        return WP_KIND_OTHER;
    if (reduce_global_pool(g, n))
        return WP_KIND_POOL;
    switch (n->op) {
    case WP_OP_CONV: return WP_KIND_CONV;
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL:
    case WP_OP_GLOBALAVGPOOL: return WP_KIND_POOL;
    case WP_OP_GEMM:
    case WP_OP_MATMUL: return WP_KIND_DENSE;
    default: return WP_KIND_OTHER;
    }
}

/* Dense layers appear in TensorRT as 1x1 convolutions over NxKx1x1; a
 * linear layer over [..., K] (transformers) runs on every leading position,
 * so those fold into N: the work is then counted as N x K x outputs. */
static wp_dims engine_dims(const wp_graph *g, const wp_node *n, const wp_dims *d)
{
    wp_dims e = *d;
    if (node_kind(g, n) == WP_KIND_DENSE && d->n >= 2) {
        int64_t rows = 1;
        for (int i = 0; i < d->n - 1; i++)
            rows *= d->d[i];
        e.n = 4;
        e.d[0] = rows;
        e.d[1] = d->d[d->n - 1];
        e.d[2] = e.d[3] = 1;
    }
    /* A global pooling's output is NxCx1x1, kept dimensions or not. */
    if (reduce_global_pool(g, n) && d->n == 2) {
        e.n = 4;
        e.d[2] = e.d[3] = 1;
    }
    return e;
}

static int64_t dense_outputs(const wp_graph *g, const wp_node *n)
{
    const wp_dims *d = &g->tensors[n->out[0]].shape;
    return d->d[d->n - 1];
}

static json_t *json_pair(int64_t a, int64_t b)
{
    return json_pack("[II]", (json_int_t)a, (json_int_t)b);
}

static json_t *json_tensor(const char *name, const wp_dims *d)
{
    json_t *dims = json_array();
    for (int i = 0; i < d->n; i++)
        json_array_append_new(dims, json_integer(d->d[i]));
    return json_pack("{s:s, s:s, s:o, s:s}", "Name", name, "Location", "Device", "Dimensions", dims, "Format/Datatype",
                     "Row major linear FP32 format");
}

static json_t *weights_json(const wp_graph *g, const wp_node *n, size_t i)
{
    int64_t count = i < n->n_in && n->in[i] >= 0 ? wp_dims_count(&g->tensors[n->in[i]].shape) : 0;
    return json_pack("{s:s, s:I}", "Type", "Float", "Count", (json_int_t)count);
}

static json_t *layer_json(const wp_graph *g, const wp_node *n)
{
    json_t *l = json_object();
    json_object_set_new(l, "Name", json_string(n->name));
    json_object_set_new(l, "LayerType", json_string(layer_type(g, n)));
    json_t *ins = json_array(), *outs = json_array();
    for (size_t i = 0; i < n->n_in; i++) {
        if (n->in[i] < 0 || g->tensors[n->in[i]].is_const)
            continue;
        wp_dims d = engine_dims(g, n, &g->tensors[n->in[i]].shape);
        json_array_append_new(ins, json_tensor(g->tensors[n->in[i]].name, &d));
    }
    wp_dims od = engine_dims(g, n, &g->tensors[n->out[0]].shape);
    json_array_append_new(outs, json_tensor(g->tensors[n->out[0]].name, &od));
    json_object_set_new(l, "Inputs", ins);
    json_object_set_new(l, "Outputs", outs);
    switch (node_kind(g, n)) {
    case WP_KIND_CONV:
        json_object_set_new(l, "ParameterType", json_string("Convolution"));
        json_object_set_new(l, "Kernel", json_pair(n->kernel[0], n->kernel[1]));
        json_object_set_new(l, "PaddingMode", json_string("kEXPLICIT_ROUND_DOWN"));
        json_object_set_new(l, "PrePadding", json_pair(n->pads[0], n->pads[1]));
        json_object_set_new(l, "PostPadding", json_pair(n->pads[2], n->pads[3]));
        json_object_set_new(l, "Stride", json_pair(n->stride[0], n->stride[1]));
        json_object_set_new(l, "Dilation", json_pair(n->dilation[0], n->dilation[1]));
        json_object_set_new(l, "OutMaps", json_integer(g->tensors[n->out[0]].shape.d[1]));
        json_object_set_new(l, "Groups", json_integer(n->group));
        json_object_set_new(l, "Weights", weights_json(g, n, 1));
        json_object_set_new(l, "Bias", weights_json(g, n, 2));
        json_object_set_new(l, "HasBias", json_integer(n->n_in > 2 && n->in[2] >= 0));
        json_object_set_new(l, "HasReLU", json_integer(0));
        json_object_set_new(l, "Activation", json_string("NONE"));
        break;
    case WP_KIND_POOL:
        json_object_set_new(l, "ParameterType", json_string("Pooling"));
        json_object_set_new(l, "PoolingType", json_string(n->op == WP_OP_MAXPOOL ? "MAX" : "AVERAGE"));
        /* A global pooling (GlobalAveragePool, ReduceMean over H and W) has
         * no window of its own: written as TensorRT 10 shows it (a reduction
         * without WindowSize), which the reader takes as global pooling,
         * so both paths give it the same features. */
        if (n->op == WP_OP_GLOBALAVGPOOL || n->op == WP_OP_REDUCEMEAN)
            break;
        json_object_set_new(l, "WindowSize", json_pair(n->kernel[0], n->kernel[1]));
        json_object_set_new(l, "PaddingMode",
                            json_string(n->ceil_mode ? "kEXPLICIT_ROUND_UP" : "kEXPLICIT_ROUND_DOWN"));
        json_object_set_new(l, "PrePadding", json_pair(n->pads[0], n->pads[1]));
        json_object_set_new(l, "PostPadding", json_pair(n->pads[2], n->pads[3]));
        json_object_set_new(l, "Stride", json_pair(n->stride[0], n->stride[1]));
        json_object_set_new(l, "BlendFactor", json_integer(0));
        json_object_set_new(l, "AverageCountExcludesPadding", json_integer(!n->count_include_pad));
        break;
    case WP_KIND_DENSE:
        json_object_set_new(l, "ParameterType", json_string("Convolution"));
        json_object_set_new(l, "Kernel", json_pair(1, 1));
        json_object_set_new(l, "PaddingMode", json_string("kEXPLICIT_ROUND_DOWN"));
        json_object_set_new(l, "PrePadding", json_pair(0, 0));
        json_object_set_new(l, "PostPadding", json_pair(0, 0));
        json_object_set_new(l, "Stride", json_pair(1, 1));
        json_object_set_new(l, "Dilation", json_pair(1, 1));
        json_object_set_new(l, "OutMaps", json_integer(dense_outputs(g, n)));
        json_object_set_new(l, "Groups", json_integer(1));
        json_object_set_new(l, "Weights", weights_json(g, n, 1));
        json_object_set_new(l, "Bias", weights_json(g, n, 2));
        json_object_set_new(l, "HasBias", json_integer(n->n_in > 2 && n->in[2] >= 0));
        json_object_set_new(l, "Activation", json_string("NONE"));
        break;
    default: break;
    }
    json_object_set_new(l, "Origin", json_string(wp_op_name(n->op)));
    json_object_set_new(l, "Metadata", json_string(""));
    json_object_set_new(l, "StreamId", json_integer(0));
    return l;
}

static char *engine_info_text(const wp_graph *g, const int *fused_into, long long cache_bytes, int channel_block)
{
    json_t *root = json_object(), *layers = json_array(), *bind = json_array();
    for (size_t i = 0; i < g->n_nodes; i++) {
        json_t *l = layer_json(g, &g->nodes[i]);
        /* Not TensorRT's: a TensorRT engine has no layer for what it fused.
         * Here every node stays a layer (its two clock reads are in the
         * latency file), so the file says which ran inside another, and
         * dataset and predict leave them out (their work is in that layer's
         * time). */
        if (l && fused_into && fused_into[i] >= 0 && (size_t)fused_into[i] < g->n_nodes)
            json_object_set_new(l, "FusedInto", json_string(g->nodes[fused_into[i]].name));
        json_array_append_new(layers, l);
    }
    json_array_append_new(bind, json_string(g->tensors[g->input].name));
    if (g->n_outputs == 0)
        json_array_append_new(bind, json_string(g->tensors[g->output].name));
    for (size_t i = 0; i < g->n_outputs; i++)
        json_array_append_new(bind, json_string(g->tensors[g->outputs[i]].name));
    json_object_set_new(root, "Layers", layers);
    json_object_set_new(root, "Bindings", bind);
    if (cache_bytes > 0)
        json_object_set_new(root, "DeviceCacheBytes", json_integer(cache_bytes));
    if (channel_block > 0)
        json_object_set_new(root, "DeviceChannelBlock", json_integer(channel_block));
    char *text = json_dumps(root, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

int wp_graph_write_engine_info(const wp_graph *g, const int *fused_into, long long cache_bytes, int channel_block,
                               const char *path, wp_error *err)
{
    char *text = engine_info_text(g, fused_into, cache_bytes, channel_block);
    if (!text)
        return wp_fail(err, path, 0, "out of memory");
    int rc = wp_atomic_write_all(path, text, strlen(text), err);
    free(text);
    return rc;
}

/* Through the very parser `dataset` uses on the file bench writes, so the
 * prediction path sees exactly the layers a measured run would. */
int wp_graph_to_engine(const wp_graph *g, wp_engine *eng, wp_error *err)
{
    char *text = engine_info_text(g, NULL, 0, 0);
    if (!text)
        return wp_fail(err, NULL, 0, "out of memory");
    int rc = wp_engine_parse(text, strlen(text), g->name, eng, err);
    free(text);
    return rc;
}
