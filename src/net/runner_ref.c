/* The "ref" backend's kernels: plain loops over plain (row-major) float32
 * buffers, accumulating in double. They are the oracle the optimised
 * backends are tested against, and the cpu backend runs every op it has no
 * oneDNN primitive for through wp__ref_exec_node. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/onnx_internal.h"
#include "runner_impl.h"

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

/* Gemm: y[M,N] = alpha x[M,K] W' + beta b, W [N,K] (trans_b) or [K,N]. */
static void ref_gemm(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]), *y = &SHAPE(n->out[0]);
    const float *X = buf[n->in[0]], *W = buf[n->in[1]];
    const float *B = n->n_in > 2 && n->in[2] >= 0 ? buf[n->in[2]] : NULL;
    int64_t M = x->d[0], K = x->d[1], N = y->d[1];
    int64_t nb = B ? wp_dims_count(&SHAPE(n->in[2])) : 0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += (double)X[i * K + k] * (n->trans_b ? W[j * K + k] : W[k * N + j]);
            /* C broadcasts: [N], [1,N], [M,N] or a scalar. */
            double c = !B ? 0.0 : nb == M * N && nb != N ? B[i * N + j] : nb == 1 ? B[0] : B[j];
            buf[n->out[0]][i * N + j] = (float)(n->alpha * acc + n->beta * c);
        }
}

/* Strides of `in` seen from an output of shape `out` (right-aligned; 0 on
 * broadcast axes). */
static void bcast_strides(const wp_dims *in, const wp_dims *out, int64_t *st)
{
    int64_t s = 1;
    for (int i = out->n - 1; i >= 0; i--) {
        int k = i - (out->n - in->n);
        st[i] = k < 0 || in->d[k] == 1 ? 0 : s;
        if (k >= 0)
            s *= in->d[k];
    }
}

/* Batched MatMul with numpy broadcasting of the batch axes. */
static void ref_matmul(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *a = &SHAPE(n->in[0]), *b = &SHAPE(n->in[1]), *y = &SHAPE(n->out[0]);
    const float *A = buf[n->in[0]], *B = buf[n->in[1]];
    float *Y = buf[n->out[0]];
    int64_t M = a->d[a->n - 2], K = a->d[a->n - 1], N = b->d[b->n - 1];
    wp_dims ab = *a, bb = *b, yb = *y;
    ab.n -= 2;
    bb.n -= 2;
    yb.n -= 2;
    int64_t sa[WP_MAX_DIMS], sb[WP_MAX_DIMS], idx[WP_MAX_DIMS] = {0};
    bcast_strides(&ab, &yb, sa);
    bcast_strides(&bb, &yb, sb);
    int64_t batches = wp_dims_count(&yb);
    double *row = malloc((size_t)N * sizeof *row);
    if (!row)
        return;
    for (int64_t bt = 0; bt < batches; bt++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < yb.n; i++) {
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        const float *Ab = A + oa * M * K, *Bb = B + ob * K * N;
        float *Yb = Y + bt * M * N;
        for (int64_t i = 0; i < M; i++) {
            for (int64_t j = 0; j < N; j++)
                row[j] = 0;
            for (int64_t k = 0; k < K; k++) {
                double av = Ab[i * K + k];
                const float *br = Bb + k * N;
                for (int64_t j = 0; j < N; j++)
                    row[j] += av * br[j];
            }
            for (int64_t j = 0; j < N; j++)
                Yb[i * N + j] = (float)row[j];
        }
        for (int i = yb.n - 1; i >= 0; i--) {
            if (++idx[i] < yb.d[i])
                break;
            idx[i] = 0;
        }
    }
    free(row);
}

static float binary(wp_op op, float a, float b)
{
    switch (op) {
    case WP_OP_ADD: return a + b;
    case WP_OP_SUB: return a - b;
    case WP_OP_MUL: return a * b;
    case WP_OP_DIV: return a / b;
    default: return b == 2.0f ? a * a : (float)pow(a, b); /* Pow */
    }
}

/* Elementwise binary op with broadcasting. Axes along which both operands
 * are laid out contiguously are merged, so the inner loop runs long. */
static void ref_binary(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *y = &SHAPE(n->out[0]);
    const float *A = buf[n->in[0]], *B = buf[n->in[1]];
    float *Y = buf[n->out[0]];
    int64_t sa[WP_MAX_DIMS], sb[WP_MAX_DIMS], d[WP_MAX_DIMS];
    bcast_strides(&SHAPE(n->in[0]), y, sa);
    bcast_strides(&SHAPE(n->in[1]), y, sb);
    int R = 0;
    for (int i = 0; i < y->n; i++) {
        if (R > 0 && sa[R - 1] == sa[i] * y->d[i] && sb[R - 1] == sb[i] * y->d[i]) {
            d[R - 1] *= y->d[i];
            sa[R - 1] = sa[i];
            sb[R - 1] = sb[i];
            continue;
        }
        d[R] = y->d[i];
        sa[R] = sa[i];
        sb[R] = sb[i];
        R++;
    }
    if (R == 0) {
        Y[0] = binary(n->op, A[0], B[0]);
        return;
    }
    int64_t idx[WP_MAX_DIMS] = {0}, inner = d[R - 1], ia = sa[R - 1], ib = sb[R - 1];
    int64_t outer = wp_dims_count(y) / inner;
    for (int64_t o = 0; o < outer; o++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < R - 1; i++) {
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        float *yr = Y + o * inner;
        const float *ar = A + oa, *br = B + ob;
        switch (n->op) {
        case WP_OP_ADD:
            for (int64_t k = 0; k < inner; k++)
                yr[k] = ar[k * ia] + br[k * ib];
            break;
        case WP_OP_MUL:
            for (int64_t k = 0; k < inner; k++)
                yr[k] = ar[k * ia] * br[k * ib];
            break;
        default:
            for (int64_t k = 0; k < inner; k++)
                yr[k] = binary(n->op, ar[k * ia], br[k * ib]);
            break;
        }
        for (int i = R - 2; i >= 0; i--) {
            if (++idx[i] < d[i])
                break;
            idx[i] = 0;
        }
    }
}

/* Out element at multi-index o reads in[base + sum(o[i] * st[i])]. */
static void strided_gather(const float *in, int64_t base, const int64_t *st, const wp_dims *s, float *out)
{
    int64_t idx[WP_MAX_DIMS] = {0};
    if (s->n == 0) {
        out[0] = in[base];
        return;
    }
    int64_t inner = s->d[s->n - 1], is = st[s->n - 1], outer = wp_dims_count(s) / inner;
    for (int64_t o = 0; o < outer; o++) {
        int64_t off = base;
        for (int i = 0; i < s->n - 1; i++)
            off += idx[i] * st[i];
        float *yr = out + o * inner;
        for (int64_t k = 0; k < inner; k++)
            yr[k] = in[off + k * is];
        for (int i = s->n - 2; i >= 0; i--) {
            if (++idx[i] < s->d[i])
                break;
            idx[i] = 0;
        }
    }
}

static void ref_pad(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]), *y = &SHAPE(n->out[0]);
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
    int64_t xs[WP_MAX_DIMS], idx[WP_MAX_DIMS] = {0};
    wp__dims_strides(x, xs);
    int64_t total = wp_dims_count(y);
    for (int64_t e = 0; e < total; e++) {
        int64_t off = 0;
        int inside = 1;
        for (int i = 0; i < y->n && inside; i++) {
            int64_t k = idx[i] - n->pad_nd[i];
            inside = k >= 0 && k < x->d[i];
            off += k * xs[i];
        }
        Y[e] = inside ? X[off] : n->pad_value;
        for (int i = y->n - 1; i >= 0; i--) {
            if (++idx[i] < y->d[i])
                break;
            idx[i] = 0;
        }
    }
}

static void ref_reducemean(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]);
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
    int mask[WP_MAX_DIMS];
    wp_node_reduce_mask(n, x->n, mask);
    /* Output strides over the input's axes (0 on reduced ones). */
    int64_t os[WP_MAX_DIMS], s = 1, cnt = 1, idx[WP_MAX_DIMS] = {0};
    for (int i = x->n - 1; i >= 0; i--) {
        os[i] = mask[i] ? 0 : s;
        if (!mask[i])
            s *= x->d[i];
        else
            cnt *= x->d[i];
    }
    double *acc = calloc((size_t)s, sizeof *acc);
    if (!acc)
        return;
    int64_t total = wp_dims_count(x);
    for (int64_t e = 0; e < total; e++) {
        int64_t off = 0;
        for (int i = 0; i < x->n; i++)
            off += idx[i] * os[i];
        acc[off] += X[e];
        for (int i = x->n - 1; i >= 0; i--) {
            if (++idx[i] < x->d[i])
                break;
            idx[i] = 0;
        }
    }
    for (int64_t i = 0; i < s; i++)
        Y[i] = (float)(acc[i] / (double)cnt);
    free(acc);
}

static void ref_layernorm(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]);
    const float *X = buf[n->in[0]], *S = buf[n->in[1]];
    const float *B = n->n_in > 2 && n->in[2] >= 0 ? buf[n->in[2]] : NULL;
    float *Y = buf[n->out[0]];
    int64_t inner = 1;
    for (int i = (int)n->axis; i < x->n; i++)
        inner *= x->d[i];
    int64_t outer = wp_dims_count(x) / inner;
    for (int64_t o = 0; o < outer; o++) {
        const float *xr = X + o * inner;
        float *yr = Y + o * inner;
        double mean = 0, var = 0;
        for (int64_t k = 0; k < inner; k++)
            mean += xr[k];
        mean /= (double)inner;
        for (int64_t k = 0; k < inner; k++)
            var += (xr[k] - mean) * (xr[k] - mean);
        double inv = 1.0 / sqrt(var / (double)inner + n->epsilon);
        for (int64_t k = 0; k < inner; k++)
            yr[k] = (float)((xr[k] - mean) * inv * S[k] + (B ? B[k] : 0.0));
    }
}

/* Source coordinate of output coordinate o along an axis. */
static double resize_src(const wp_node *n, int64_t o, int64_t in, int64_t out, double scale)
{
    switch (n->resize_coord) {
    case WP_COORD_ASYMMETRIC: return (double)o / scale;
    case WP_COORD_ALIGN_CORNERS: return out > 1 ? (double)o * (double)(in - 1) / (double)(out - 1) : 0.0;
    case WP_COORD_PYTORCH_HALF_PIXEL: return out > 1 ? ((double)o + 0.5) / scale - 0.5 : 0.0;
    default: return ((double)o + 0.5) / scale - 0.5;
    }
}

static int64_t nearest(const wp_node *n, double v, int64_t in)
{
    int64_t i;
    switch (n->resize_nearest) {
    case WP_NEAREST_FLOOR: i = (int64_t)floor(v); break;
    case WP_NEAREST_CEIL: i = (int64_t)ceil(v); break;
    case WP_NEAREST_ROUND_PREFER_CEIL: i = (int64_t)floor(v + 0.5); break;
    default: i = v - floor(v) == 0.5 ? (int64_t)floor(v) : (int64_t)floor(v + 0.5); break;
    }
    return i < 0 ? 0 : i >= in ? in - 1 : i;
}

static void ref_resize(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]), *y = &SHAPE(n->out[0]);
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
    int64_t NC = x->d[0] * x->d[1], H = x->d[2], W = x->d[3], OH = y->d[2], OW = y->d[3];
    /* With sizes given, the scale is out/in (ONNX). */
    double sh = n->reshape.n ? (double)OH / (double)H : n->resize_scale[2];
    double sw = n->reshape.n ? (double)OW / (double)W : n->resize_scale[3];
    for (int64_t c = 0; c < NC; c++)
        for (int64_t oh = 0; oh < OH; oh++) {
            double fh = resize_src(n, oh, H, OH, sh);
            for (int64_t ow = 0; ow < OW; ow++) {
                double fw = resize_src(n, ow, W, OW, sw);
                const float *P = X + c * H * W;
                double v;
                if (n->resize_mode == WP_RESIZE_NEAREST) {
                    v = P[nearest(n, fh, H) * W + nearest(n, fw, W)];
                } else {
                    double ch = fh < 0 ? 0 : fh > (double)(H - 1) ? (double)(H - 1) : fh;
                    double cw = fw < 0 ? 0 : fw > (double)(W - 1) ? (double)(W - 1) : fw;
                    int64_t h0 = (int64_t)floor(ch), w0 = (int64_t)floor(cw);
                    int64_t h1 = h0 + 1 < H ? h0 + 1 : h0, w1 = w0 + 1 < W ? w0 + 1 : w0;
                    double lh = ch - (double)h0, lw = cw - (double)w0;
                    v = (1 - lh) * ((1 - lw) * P[h0 * W + w0] + lw * P[h0 * W + w1]) +
                        lh * ((1 - lw) * P[h1 * W + w0] + lw * P[h1 * W + w1]);
                }
                Y[(c * OH + oh) * OW + ow] = (float)v;
            }
        }
}

/* The element counts before and after AXIS: softmax and gather walk a tensor
 * as outer x len x inner. */
static void split_at_axis(const wp_dims *x, int axis, int64_t *outer, int64_t *inner)
{
    *outer = *inner = 1;
    for (int i = 0; i < x->n; i++) {
        if (i < axis)
            *outer *= x->d[i];
        if (i > axis)
            *inner *= x->d[i];
    }
}

static void ref_softmax(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]);
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
    int64_t outer, inner, len = x->d[n->axis];
    split_at_axis(x, n->axis, &outer, &inner);
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
}

static void ref_concat(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *y = &SHAPE(n->out[0]);
    float *Y = buf[n->out[0]];
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
}

static void ref_lrn(const wp_graph *g, const wp_node *n, float *const *buf)
{
    const wp_dims *x = &SHAPE(n->in[0]);
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
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
}

static void ref_unary(const wp_node *n, const float *X, float *Y, int64_t count)
{
    switch (n->op) {
    case WP_OP_RELU:
        for (int64_t i = 0; i < count; i++)
            Y[i] = X[i] > 0 ? X[i] : 0;
        break;
    case WP_OP_CLIP:
        for (int64_t i = 0; i < count; i++)
            Y[i] = X[i] < n->clip_min ? n->clip_min : X[i] > n->clip_max ? n->clip_max : X[i];
        break;
    case WP_OP_SIGMOID:
        for (int64_t i = 0; i < count; i++)
            Y[i] = (float)(1.0 / (1.0 + exp(-(double)X[i])));
        break;
    case WP_OP_HARDSIGMOID:
        for (int64_t i = 0; i < count; i++) {
            float v = n->alpha * X[i] + n->beta;
            Y[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        break;
    case WP_OP_HARDSWISH:
        for (int64_t i = 0; i < count; i++) {
            float v = X[i] / 6.0f + 0.5f;
            Y[i] = X[i] * (v < 0 ? 0 : v > 1 ? 1 : v);
        }
        break;
    case WP_OP_ERF:
        for (int64_t i = 0; i < count; i++)
            Y[i] = (float)erf(X[i]);
        break;
    case WP_OP_GELU:
        for (int64_t i = 0; i < count; i++) {
            double v = X[i];
            Y[i] = (float)(n->gelu_tanh ? 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
                                        : 0.5 * v * (1 + erf(v * 0.7071067811865476)));
        }
        break;
    case WP_OP_SQRT:
        for (int64_t i = 0; i < count; i++)
            Y[i] = sqrtf(X[i]);
        break;
    case WP_OP_TANH:
        for (int64_t i = 0; i < count; i++)
            Y[i] = (float)tanh(X[i]);
        break;
    default: break;
    }
}

int wp__ref_exec_node(wp_runner *r, size_t idx, wp_error *err)
{
    const wp_graph *g = r->g;
    const wp_node *n = &g->nodes[idx];
    float *const *buf = r->buf;
    const float *X = buf[n->in[0]];
    float *Y = buf[n->out[0]];
    const wp_dims *x = &SHAPE(n->in[0]);
    switch (n->op) {
    case WP_OP_CONV: ref_conv(g, n, buf); break;
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL:
    case WP_OP_GLOBALAVGPOOL: ref_pool(g, n, buf); break;
    case WP_OP_GEMM: ref_gemm(g, n, buf); break;
    case WP_OP_MATMUL: ref_matmul(g, n, buf); break;
    case WP_OP_BATCHNORM: {
        const float *s = buf[n->in[1]], *b = buf[n->in[2]], *mu = buf[n->in[3]], *var = buf[n->in[4]];
        int64_t count = wp_dims_count(x), C = x->d[1], inner = count / (x->d[0] * C);
        for (int64_t i = 0; i < count; i++) {
            int64_t c = (i / inner) % C;
            Y[i] = (float)((X[i] - mu[c]) / sqrt((double)var[c] + n->epsilon) * s[c] + b[c]);
        }
        break;
    }
    case WP_OP_ADD:
    case WP_OP_SUB:
    case WP_OP_MUL:
    case WP_OP_DIV:
    case WP_OP_POW: ref_binary(g, n, buf); break;
    case WP_OP_CONCAT: ref_concat(g, n, buf); break;
    case WP_OP_SOFTMAX: ref_softmax(g, n, buf); break;
    case WP_OP_LRN: ref_lrn(g, n, buf); break;
    case WP_OP_PAD: ref_pad(g, n, buf); break;
    case WP_OP_TRANSPOSE: {
        int64_t xs[WP_MAX_DIMS], st[WP_MAX_DIMS];
        wp__dims_strides(x, xs);
        for (int i = 0; i < x->n; i++)
            st[i] = xs[n->perm[i]];
        strided_gather(X, 0, st, &SHAPE(n->out[0]), Y);
        break;
    }
    case WP_OP_SLICE: {
        int64_t xs[WP_MAX_DIMS], st[WP_MAX_DIMS], base = 0;
        wp__dims_strides(x, xs);
        for (int i = 0; i < x->n; i++) {
            base += n->slice_start[i] * xs[i];
            st[i] = xs[i] * n->slice_step[i];
        }
        strided_gather(X, base, st, &SHAPE(n->out[0]), Y);
        break;
    }
    case WP_OP_GATHER: {
        int64_t outer, inner, len = x->d[n->axis];
        split_at_axis(x, n->axis, &outer, &inner);
        for (int64_t o = 0; o < outer; o++)
            for (int k = 0; k < n->n_gather_idx; k++)
                memcpy(Y + (o * n->n_gather_idx + k) * inner, X + (o * len + n->gather_idx[k]) * inner,
                       (size_t)inner * sizeof(float));
        break;
    }
    case WP_OP_REDUCEMEAN: ref_reducemean(g, n, buf); break;
    case WP_OP_LAYERNORM: ref_layernorm(g, n, buf); break;
    case WP_OP_RESIZE: ref_resize(g, n, buf); break;
    case WP_OP_FLATTEN:
    case WP_OP_RESHAPE:
    case WP_OP_DROPOUT: break;
    default:
        if (!wp__op_is_activation(n->op))
            return wp_fail(err, NULL, 0, "node '%s': op %s has no ref implementation", n->name, wp_op_name(n->op));
        ref_unary(n, X, Y, wp_dims_count(x));
        break;
    }
    return 0;
}

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

const runner_ops wp__runner_ref_ops = {ref_prepare, wp__ref_exec_node, ref_sync, NULL, NULL, NULL, NULL};
