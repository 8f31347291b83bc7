/* Per-layer features (shared by `dataset` and `predict`) and the
 * pandas-compatible statistics of `dataset`. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "wattprof/dataset.h"
#include "wattprof/nameindex.h"

/* Column groups the tables below share. IO_NAMES are what put_io writes:
 * the batch, an NCHW input's C, H, W and the output's, upstream's order;
 * COST_NAMES a weighted layer's work, traffic and arithmetic intensity. */
#define IO_NAMES                                                                                                       \
    "batch_size", "input_size_0", "input_size_1", "input_size_2", "output_size_0", "output_size_1", "output_size_2"
#define COST_NAMES "macs", "bytes", "in_bytes", "weight_bytes", "out_bytes", "intensity"
/* Whether the network fits in the device's cache (wp_feature_context).
 * A network that does not streams its weights from memory every
 * inference, and they evict everything else: each layer starts cold, its
 * kernel's code and data fetched again. One that fits keeps all of it in
 * the cache between inferences. On the CPU runner LeNet's layers (246 KB
 * of weights in a 1 MB L2) cost a third of what the other networks' weight
 * bytes cost and a fifth of their fixed overhead per layer (0.2-0.4 us
 * against 1-3): a model that learns both from networks that stream
 * overcharges it 1.5x (docs/training.md). network_bytes = the network's
 * weights (its outputs are written and read within one inference, a layer
 * apart; the weights are what must survive in the cache from one
 * inference to the next: counting the outputs too fitted the 31 real
 * networks worse, convolution 21.0 against 19.0 %, docs/training.md),
 * cache_bytes = the cache of the device it was
 * measured on (0: unknown), cold_start = the share of the network the
 * cache cannot hold (wp_network_miss_share: 0 when it fits, 1 when either
 * is unknown). A weighted layer also has cache_read_bytes = in_bytes plus
 * the weights' share in the cache, and memory_read_bytes = the rest of its
 * weights. A share, not a yes or no: MLPerf Tiny's autoencoder, just over
 * a 1 MB L2, ran its ReLUs in 0.2 us as the networks that fit do, and
 * charged as a network that streams it was predicted 168 % high
 * (docs/training.md).
 * network_layers and crowding: what else runs between two runs of a
 * layer. Among the networks that fit, a dense layer's fixed cost grows
 * with the number of layers in its network whatever their bytes: a
 * 64x10 classifier took 0.37 us in the 4-layer MLP, 0.43-0.50 in LeNet,
 * the CIFAR-10 net and DS-CNN (8-12 layers), 0.66 in ResNet-8 (18), 0.98
 * in VWW (30); each layer's kernel code, primitive and arguments are
 * state the other layers push out of the core's caches and predictors.
 * crowding = 1 - exp(-network_layers / WP_CROWDING_LAYERS), the share of
 * that state gone by the time the layer runs again; of scales from 5 to
 * 1000 layers, 10-25 fitted the MLP best on the 31 real networks
 * (docs/training.md: the MLP +39 -> +23 %, dense per layer 14.0 -> 13.1
 * %; the network's bytes in its place did not help). */
#define CONTEXT_NAMES "network_bytes", "cache_bytes", "cold_start", "network_layers", "crowding"
#define PLACEMENT_NAMES CONTEXT_NAMES, "cache_read_bytes", "memory_read_bytes"

static const char *const conv_names[] = {
    IO_NAMES,
    "kernel_0",
    "kernel_1",
    "padding_0",
    "padding_1",
    "stride_0",
    "stride_1",
    /* extras */
    "dilation_0",
    "dilation_1",
    "groups",
    COST_NAMES,
    /* macs / (input channels per group): output elements x kernel taps,
     * the inner loops over the window whatever their length. A grouped or
     * depthwise convolution runs many short loops whose overhead macs does
     * not see (on the CPU runner RegNetY's 8-channel groups ran at a third
     * of the MAC rate of a dense convolution of the same work). */
    "taps",
    PLACEMENT_NAMES,
    /* The device computes channel_block output channels together (a
     * vector register of them on a CPU, wp_cpu_channel_block) and a count
     * that is no multiple of it costs what it rounds up to: padded_macs =
     * macs x that count / out channels (macs when the block is unknown).
     * On the CPU runner (AVX-512, 16 lanes) LeNet's first convolution,
     * 6 output channels, took 6.7 us for what its MACs say is 2.7, and the
     * convolutions of 24, 40, 58, 72, 116 or 120 channels ran at 53 GMAC/s
     * against 86 for the multiples of 16 (medians, docs/training.md).
     * padded_out_bytes likewise: out_bytes x that count / out channels,
     * the per-pixel work of writing whole blocks (LeNet -25 -> -19 %, the
     * first convolutions of the ImageNet networks, 3 input channels and 16
     * or 32 output, no longer 30 % low: docs/training.md). padded_taps
     * the same of taps: the inner loop over a window runs once per block
     * of output channels, so LeNet's first convolution (1 input channel,
     * 6 output: taps = macs) runs 16 channels' loops. */
    "channel_block",
    "padded_macs",
    "padded_out_bytes",
    "padded_taps",
};
static const char *const pool_names[] = {
    IO_NAMES,
    "kernel_0",
    "kernel_1",
    "stride_0",
    "stride_1",
    /* extras */
    "padding_0",
    "padding_1",
    "global_pooling",
    "ops",
    "bytes",
    "in_bytes",
    "out_bytes",
    "intensity",
    CONTEXT_NAMES,
};
static const char *const dense_names[] = {
    "batch_size",
    "input_size",
    "output_size",
    /* extras */
    COST_NAMES,
    PLACEMENT_NAMES,
};

/* Every kind beyond the three above: what a layer reads and writes.
 * inputs = activation inputs (constants are weights); in_elems / out_elems
 * over all inputs / outputs; ops = multiply-accumulates of a matrix
 * product, else one per element of the larger side; transcendental = how
 * many of the operators the layer computes evaluate exp/erf/tanh per
 * element (on the CPU runner a sigmoid costs 3.7 ns an element, a ReLU
 * 0.2: bytes alone cannot tell them apart); view = 1 for a layer that
 * only relabels its input (NoOp: Flatten, Reshape, Squeeze, Dropout),
 * which moves none of the bytes its tensors hold (on the CPU runner 0.001
 * ns a byte against 0.01-0.05 for a Concat, Transpose or Slice: the same
 * bytes, 10-40x apart). moved_in_bytes / moved_out_bytes are in_bytes /
 * out_bytes for a layer that copies and 0 for a view: the bytes it does
 * move, so an additive model (runtime = sum of cost x work) can charge
 * bytes without charging views for bytes they never touch. */
static const char *const generic_names[] = {
    "batch_size",     "inputs",          "in_elems",     "out_elems", "weight_elems",   "ops",
    "bytes",          "in_bytes",        "weight_bytes", "out_bytes", "transcendental", "view",
    "moved_in_bytes", "moved_out_bytes", CONTEXT_NAMES,
};

static int transcendental_ops(const char *ops)
{
    static const char *const names[] = {"Sigmoid",  "Tanh",    "Erf",        "Gelu", "Exp",  "Log",
                                        "Softplus", "Elu",     "Selu",       "Celu", "Mish", "Swish",
                                        "SiLU",     "Softmax", "LogSoftmax", "Sin",  "Cos"};
    int n = 0;
    for (const char *q = ops ? ops : ""; *q;) {
        const char *c = strchr(q, ',');
        size_t ql = c ? (size_t)(c - q) : strlen(q);
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            if (strlen(names[i]) == ql && strncmp(names[i], q, ql) == 0)
                n++;
        q = c ? c + 1 : q + ql;
    }
    return n;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* a row holds every column of its kind (wp_feature_row.values) */
_Static_assert(COUNT(conv_names) <= WP_FEATURE_MAX, "conv_names exceeds WP_FEATURE_MAX");
_Static_assert(COUNT(pool_names) <= WP_FEATURE_MAX, "pool_names exceeds WP_FEATURE_MAX");
_Static_assert(COUNT(dense_names) <= WP_FEATURE_MAX, "dense_names exceeds WP_FEATURE_MAX");
_Static_assert(COUNT(generic_names) <= WP_FEATURE_MAX, "generic_names exceeds WP_FEATURE_MAX");

const char *const *wp_feature_names(wp_layer_kind kind, size_t *count)
{
    switch (kind) {
    case WP_KIND_CONV: *count = COUNT(conv_names); return conv_names;
    case WP_KIND_POOL: *count = COUNT(pool_names); return pool_names;
    case WP_KIND_DENSE: *count = COUNT(dense_names); return dense_names;
    case WP_KIND_NORM:
    case WP_KIND_ACT:
    case WP_KIND_ELTWISE:
    case WP_KIND_SHAPE:
    case WP_KIND_SOFTMAX:
    case WP_KIND_MATMUL: *count = COUNT(generic_names); return generic_names;
    case WP_KIND_OTHER: break;
    }
    *count = 0;
    return NULL;
}

size_t wp_feature_upstream_count(wp_layer_kind kind)
{
    switch (kind) {
    case WP_KIND_CONV: return 13;
    case WP_KIND_POOL: return 11;
    case WP_KIND_DENSE: return 3;
    default: break;
    }
    return 0;
}

int wp_feature_index(wp_layer_kind kind, const char *name)
{
    size_t n;
    const char *const *names = wp_feature_names(kind, &n);
    return (int)wp_name_lookup(names, n, name);
}

double wp_feature_get(const wp_feature_row *row, const char *name)
{
    for (size_t i = 0; i < row->n; i++)
        if (strcmp(row->names[i], name) == 0)
            return row->values[i];
    return NAN;
}

/* TensorRT runs some 1x1 convolutions as GEMMs (CaskGemmConvolution,
 * which wp_layer_kind_from_type calls dense); the ONNX path sees the same
 * layer as a convolution. What the layer computes decides: an output with
 * spatial extent (4-D, H x W > 1) is a convolution whichever kernel runs
 * it, so both paths describe the same layer the same way. */
wp_layer_kind wp_layer_model_kind(const wp_engine_layer *l)
{
    if (l->kind == WP_KIND_DENSE && l->output.n == 4 && l->input.n == 4 && l->output.d[2] * l->output.d[3] > 1)
        return WP_KIND_CONV;
    /* A TensorRT 10 generated layer the reader could not place says why in
     * kind_reason: its LayerType names a code generator, not an operation. */
    if (l->kind != WP_KIND_OTHER || l->kind_reason)
        return l->kind;
    wp_layer_kind k = wp_layer_type_kind(l->type);
    /* PointWise fuses any elementwise expression: one activation input is
     * an activation (or a scale by a constant), more is an elementwise op. */
    if (k == WP_KIND_ACT && l->n_inputs >= 2 && strcmp(l->type, "Activation") != 0)
        return WP_KIND_ELTWISE;
    return k;
}

wp_layer_kind wp_layer_type_kind(const char *type)
{
    static const struct {
        const char *type;
        wp_layer_kind kind;
    } map[] = {
        /* An inference batch norm (TensorRT's Scale) is y = x * s + b per
         * channel: one pass over one activation with constants, what an
         * activation layer costs, not a normalization's reduction (on the
         * CPU runner 0.035 ns a byte against a LayerNorm Reduce's 0.8). */
        {"Scale", WP_KIND_ACT},       {"Normalization", WP_KIND_NORM},
        {"LRN", WP_KIND_NORM},        {"Reduce", WP_KIND_NORM},
        {"Activation", WP_KIND_ACT},  {"PointWise", WP_KIND_ACT},
        {"PointWiseV2", WP_KIND_ACT}, {"ElementWise", WP_KIND_ACT},
        {"Concat", WP_KIND_SHAPE},    {"Concatenation", WP_KIND_SHAPE},
        {"Shuffle", WP_KIND_SHAPE},   {"Reformat", WP_KIND_SHAPE},
        {"Slice", WP_KIND_SHAPE},     {"Padding", WP_KIND_SHAPE},
        {"Gather", WP_KIND_SHAPE},    {"Resize", WP_KIND_SHAPE},
        {"NoOp", WP_KIND_SHAPE},      {"SoftMax", WP_KIND_SOFTMAX},
        {"Softmax", WP_KIND_SOFTMAX}, {"MatrixMultiply", WP_KIND_MATMUL},
    };
    wp_layer_kind k = wp_layer_kind_from_type(type);
    if (k != WP_KIND_OTHER || !type)
        return k;
    for (size_t i = 0; i < COUNT(map); i++)
        if (strcmp(map[i].type, type) == 0)
            return map[i].kind;
    return WP_KIND_OTHER;
}

static int dims_positive(const wp_dims *d)
{
    for (int i = 0; i < d->n; i++)
        if (d->d[i] <= 0)
            return 0;
    return 1;
}

static double dims_product(const wp_dims *d, int from)
{
    double p = 1;
    for (int i = from; i < d->n; i++)
        p *= (double)d->d[i];
    return p;
}

static int check_io(const wp_engine_layer *l, int rank4, wp_error *err)
{
    const char *what = rank4 ? "4-D (NCHW)" : "at least 2-D";
    if (l->input.n == 0)
        return wp_fail(err, NULL, 0, "has no input dimensions");
    if (l->output.n == 0)
        return wp_fail(err, NULL, 0, "has no output dimensions");
    if (rank4 ? l->input.n != 4 : l->input.n < 2)
        return wp_fail(err, NULL, 0, "input must be %s, has %d dimensions", what, l->input.n);
    if (rank4 ? l->output.n != 4 : l->output.n < 2)
        return wp_fail(err, NULL, 0, "output must be %s, has %d dimensions", what, l->output.n);
    if (!dims_positive(&l->input) || !dims_positive(&l->output))
        return wp_fail(err, NULL, 0, "has a dynamic or non-positive dimension");
    return 0;
}

static int positive_pair(const int64_t v[2])
{
    return v[0] > 0 && v[1] > 0;
}

static void put(wp_feature_row *row, double v)
{
    row->values[row->n++] = v;
}

static void put_vals(wp_feature_row *row, const double *vals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(row, vals[i]);
}

/* The IO_NAMES columns of a 4-D (NCHW) layer: N once, then C, H, W of the
 * input and of the output. */
static void put_io(wp_feature_row *row, const wp_engine_layer *l)
{
    const int64_t *in = l->input.d, *out = l->output.d;
    double vals[] = {(double)in[0],  (double)in[1],  (double)in[2], (double)in[3],
                     (double)out[1], (double)out[2], (double)out[3]};
    put_vals(row, vals, COUNT(vals));
}

/* A convolution's or pooling's total padding per axis, PrePadding +
 * PostPadding (0 when the layer gives none); what names the layer in the
 * overflow error. */
static int sum_padding(const wp_engine_layer *l, const char *what, int64_t pad[2], wp_error *err)
{
    pad[0] = pad[1] = 0;
    if (l->has_padding)
        for (int i = 0; i < 2; i++)
            if (wp_add_i64(l->pre_padding[i], l->post_padding[i], &pad[i]))
                return wp_fail(err, NULL, 0, "value out of range: %s PrePadding %" PRId64 " + PostPadding %" PRId64,
                               what, l->pre_padding[i], l->post_padding[i]);
    return 0;
}

/* Sum of the element counts of the n tensors in d (a tensor without
 * dimensions, or with a dynamic one, fails). */
static int elems_of(const wp_dims *d, int n, const char *what, double *out, wp_error *err)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (d[i].n == 0 || !dims_positive(&d[i]))
            return wp_fail(err, NULL, 0, "%s %d has no dimensions or a dynamic or non-positive one", what, i);
        *out += dims_product(&d[i], 0);
    }
    return 0;
}

double wp_network_miss_share(const wp_feature_context *ctx)
{
    if (!ctx || ctx->cache_bytes <= 0 || ctx->network_bytes <= 0)
        return 1;
    return ctx->network_bytes <= ctx->cache_bytes ? 0 : 1 - ctx->cache_bytes / ctx->network_bytes;
}

int wp_network_resident(const wp_feature_context *ctx)
{
    return wp_network_miss_share(ctx) == 0;
}

double wp_network_crowding(const wp_feature_context *ctx)
{
    if (!ctx || ctx->cache_bytes <= 0 || !(ctx->network_layers > 0))
        return 1;
    return 1 - exp(-ctx->network_layers / WP_CROWDING_LAYERS);
}

/* The CONTEXT_NAMES columns. */
static void put_context(wp_feature_row *row, const wp_feature_context *ctx)
{
    double vals[] = {ctx ? ctx->network_bytes : 0, ctx ? ctx->cache_bytes : 0, wp_network_miss_share(ctx),
                     ctx ? ctx->network_layers : 0, wp_network_crowding(ctx)};
    put_vals(row, vals, COUNT(vals));
}

/* The PLACEMENT_NAMES columns of a layer reading ib input and wb weight
 * bytes: the weights' share that stays in the cache is read with the
 * inputs, the rest from memory. */
static void put_placement(wp_feature_row *row, const wp_feature_context *ctx, double ib, double wb)
{
    double miss = wp_network_miss_share(ctx);
    put_context(row, ctx);
    double vals[] = {ib + wb * (1 - miss), wb * miss};
    put_vals(row, vals, COUNT(vals));
}

static int generic_features(const wp_engine_layer *l, wp_layer_kind kind, const wp_feature_context *ctx,
                            wp_feature_row *row, double elem, wp_error *err)
{
    int nin = l->inputs ? l->n_inputs : (l->input.n ? 1 : 0);
    int nout = l->outputs ? l->n_outputs : (l->output.n ? 1 : 0);
    const wp_dims *ins = l->inputs ? l->inputs : &l->input, *outs = l->outputs ? l->outputs : &l->output;
    if (nout == 0)
        return wp_fail(err, NULL, 0, "has no output dimensions");
    double ie, oe;
    if (elems_of(ins, nin, "input", &ie, err) != 0 || elems_of(outs, nout, "output", &oe, err) != 0)
        return -1;
    double we = l->weights_count > 0 ? (double)l->weights_count : 0;
    double ops = ie > oe ? ie : oe;
    if (kind == WP_KIND_MATMUL) {
        /* [..., M, K] x [..., K, N]: every output element is K products */
        if (nin < 1 || ins[0].n < 2)
            return wp_fail(err, NULL, 0, "matrix multiply needs an input of rank >= 2");
        ops = oe * (double)ins[0].d[ins[0].n - 1];
    }
    double batch = nin > 0 ? (double)ins[0].d[0] : (double)outs[0].d[0];
    double view = l->type && strcmp(l->type, "NoOp") == 0 ? 1.0 : 0.0;
    double vals[] = {batch,
                     nin,
                     ie,
                     oe,
                     we,
                     ops,
                     elem * (ie + we + oe),
                     elem * ie,
                     elem * we,
                     elem * oe,
                     (double)transcendental_ops(l->ops),
                     view,
                     view ? 0.0 : elem * ie,
                     view ? 0.0 : elem * oe};
    put_vals(row, vals, COUNT(vals));
    put_context(row, ctx);
    return 0;
}

double wp_network_bytes(const wp_engine *eng, const int *fused_into)
{
    double total = 0;
    for (size_t i = 0; i < eng->n; i++) {
        const wp_engine_layer *l = &eng->layers[i];
        wp_layer_kind k = wp_layer_model_kind(l);
        wp_feature_row fr;
        wp_error e;
        /* a fused layer's tensors are its host's; a layer that cannot be
         * described adds what nothing can say */
        if (l->fused_into || (fused_into && fused_into[i] >= 0) || k == WP_KIND_OTHER ||
            wp_layer_features_in(l, k, NULL, &fr, &e) != 0)
            continue;
        double w = wp_feature_get(&fr, "weight_bytes");
        total += isfinite(w) ? w : 0;
    }
    return total;
}

double wp_network_layers(const wp_engine *eng, const int *fused_into)
{
    size_t n = 0;
    for (size_t i = 0; i < eng->n; i++)
        if (!eng->layers[i].fused_into && !(fused_into && fused_into[i] >= 0))
            n++;
    return (double)n;
}

int wp_layer_features(const wp_engine_layer *l, wp_layer_kind kind, wp_feature_row *row, wp_error *err)
{
    return wp_layer_features_in(l, kind, NULL, row, err);
}

int wp_layer_features_in(const wp_engine_layer *l, wp_layer_kind kind, const wp_feature_context *ctx,
                         wp_feature_row *row, wp_error *err)
{
    memset(row, 0, sizeof *row);
    row->kind = kind;
    size_t count;
    row->names = wp_feature_names(kind, &count);
    if (!row->names)
        return wp_fail(err, NULL, 0, "layer type %s is not modelled", l->type ? l->type : "(none)");
    double elem = l->elem_bytes > 0 ? l->elem_bytes : 2;

    if (kind == WP_KIND_CONV) {
        if (check_io(l, 1, err) != 0)
            return -1;
        /* a GEMM-run 1x1 convolution may carry no Kernel */
        if (!l->has_kernel && l->kind != WP_KIND_DENSE)
            return wp_fail(err, NULL, 0, "convolution has no Kernel");
        int64_t stride[2] = {1, 1}, dil[2] = {1, 1}, pad[2], kern[2] = {1, 1};
        if (l->has_kernel)
            memcpy(kern, l->kernel, sizeof kern);
        if (l->has_stride)
            memcpy(stride, l->stride, sizeof stride);
        if (l->has_dilation)
            memcpy(dil, l->dilation, sizeof dil);
        if (sum_padding(l, "convolution", pad, err) != 0)
            return -1;
        if (!positive_pair(kern) || !positive_pair(stride) || !positive_pair(dil))
            return wp_fail(err, NULL, 0, "convolution Kernel, Stride and Dilation must be positive");
        if (pad[0] < 0 || pad[1] < 0)
            return wp_fail(err, NULL, 0, "convolution padding is negative");
        int64_t groups = l->groups > 0 ? l->groups : 1;
        const int64_t *in = l->input.d, *out = l->output.d;
        double cin_per_group = (double)in[1] / (double)groups;
        double k = (double)kern[0] * (double)kern[1];
        double macs = dims_product(&l->output, 0) * cin_per_group * k;
        double weights = (double)out[1] * cin_per_group * k;
        double ib = elem * dims_product(&l->input, 0), wb = elem * weights, ob = elem * dims_product(&l->output, 0);
        double taps = dims_product(&l->output, 0) * k;
        put_io(row, l);
        double vals[] = {(double)kern[0],
                         (double)kern[1],
                         (double)pad[0],
                         (double)pad[1],
                         (double)stride[0],
                         (double)stride[1],
                         (double)dil[0],
                         (double)dil[1],
                         (double)groups,
                         macs,
                         ib + ob + wb,
                         ib,
                         wb,
                         ob,
                         macs / (ib + ob + wb),
                         taps};
        put_vals(row, vals, COUNT(vals));
        put_placement(row, ctx, ib, wb);
        double block = ctx && ctx->channel_block > 1 ? ctx->channel_block : 0;
        double oc = (double)out[1], padded = block > 0 ? ceil(oc / block) * block : oc;
        double tail[] = {ctx ? ctx->channel_block : 0, macs * padded / oc, ob * padded / oc, taps * padded / oc};
        put_vals(row, tail, COUNT(tail));
    } else if (kind == WP_KIND_POOL) {
        if (check_io(l, 1, err) != 0)
            return -1;
        int global = !l->has_window;
        int64_t win[2] = {l->input.d[2], l->input.d[3]};
        if (!global)
            memcpy(win, l->window, sizeof win);
        int64_t stride[2] = {win[0], win[1]}, pad[2];
        if (l->has_stride)
            memcpy(stride, l->stride, sizeof stride);
        if (sum_padding(l, "pooling", pad, err) != 0)
            return -1;
        if (!positive_pair(win) || !positive_pair(stride))
            return wp_fail(err, NULL, 0, "pooling WindowSize and Stride must be positive");
        if (pad[0] < 0 || pad[1] < 0)
            return wp_fail(err, NULL, 0, "pooling padding is negative");
        double ops = dims_product(&l->output, 0) * (double)win[0] * (double)win[1];
        put_io(row, l);
        double vals[] = {(double)win[0],
                         (double)win[1],
                         (double)stride[0],
                         (double)stride[1],
                         (double)pad[0],
                         (double)pad[1],
                         (double)global,
                         ops,
                         elem * (dims_product(&l->input, 0) + dims_product(&l->output, 0)),
                         elem * dims_product(&l->input, 0),
                         elem * dims_product(&l->output, 0),
                         ops / (elem * (dims_product(&l->input, 0) + dims_product(&l->output, 0)))};
        put_vals(row, vals, COUNT(vals));
        put_context(row, ctx);
    } else if (kind >= WP_KIND_NORM) {
        return generic_features(l, kind, ctx, row, elem, err);
    } else {
        if (check_io(l, 0, err) != 0)
            return -1;
        double batch = (double)l->input.d[0];
        double isz = dims_product(&l->input, 1), osz = dims_product(&l->output, 1);
        /* A 4-D output with spatial extent is a 1x1 convolution run as a
         * GEMM: one (Cin x Cout) weight matrix applied at every output
         * position, not an (isz x osz) matrix. */
        double positions = 1, wrows = isz, wcols = osz;
        if (l->output.n == 4 && l->input.n == 4 && l->output.d[2] * l->output.d[3] > 1) {
            positions = (double)l->output.d[2] * (double)l->output.d[3];
            wrows = (double)l->input.d[1] * ((double)l->input.d[2] * (double)l->input.d[3] / positions);
            wcols = (double)l->output.d[1];
        }
        double macs = batch * positions * wrows * wcols;
        double ib = elem * batch * isz, wb = elem * wrows * wcols, ob = elem * dims_product(&l->output, 0);
        double vals[] = {batch, isz, osz, macs, ib + wb + ob, ib, wb, ob, macs / (ib + wb + ob)};
        put_vals(row, vals, COUNT(vals));
        put_placement(row, ctx, ib, wb);
    }
    return 0;
}

int wp_features_from_upstream(wp_layer_kind kind, const double *up, wp_feature_row *row)
{
    memset(row, 0, sizeof *row);
    row->kind = kind;
    size_t count;
    row->names = wp_feature_names(kind, &count);
    if (!row->names)
        return -1;
    size_t nu = wp_feature_upstream_count(kind);
    for (size_t i = 0; i < nu; i++) {
        if (!isfinite(up[i]) || up[i] < 0)
            return -1;
        put(row, up[i]);
    }
    /* the original's datasets come from FP16 Jetson engines */
    const double elem = 2;
    const double n = up[0];
    if (kind == WP_KIND_CONV) {
        double in = n * up[1] * up[2] * up[3], out = n * up[4] * up[5] * up[6], k = up[7] * up[8];
        double macs = out * up[1] * k, ib = elem * in, wb = elem * up[4] * up[1] * k, ob = elem * out;
        double vals[] = {1, 1, 1, macs, ib + wb + ob, ib, wb, ob, macs / (ib + wb + ob), out * k};
        put_vals(row, vals, COUNT(vals));
        put_placement(row, NULL, ib, wb);
        double tail[] = {0, macs, ob, out * k}; /* the Jetson's channel block: unknown */
        put_vals(row, tail, COUNT(tail));
    } else if (kind == WP_KIND_POOL) {
        double in = n * up[1] * up[2] * up[3], out = n * up[4] * up[5] * up[6];
        double ops = out * up[7] * up[8], ib = elem * in, ob = elem * out;
        int global = up[5] == 1 && up[6] == 1 && up[7] == up[2] && up[8] == up[3];
        double vals[] = {0, 0, global, ops, ib + ob, ib, ob, ops / (ib + ob)};
        put_vals(row, vals, COUNT(vals));
        put_context(row, NULL);
    } else {
        /* The original's dense input_size/output_size include the batch
         * (element counts of the whole tensors). */
        double ib = elem * up[1], ob = elem * up[2];
        double cin = n > 0 ? up[1] / n : up[1], cout = n > 0 ? up[2] / n : up[2];
        double macs = n * cin * cout, wb = elem * cin * cout;
        double vals[] = {macs, ib + wb + ob, ib, wb, ob, macs / (ib + wb + ob)};
        put_vals(row, vals, COUNT(vals));
        put_placement(row, NULL, ib, wb);
    }
    for (size_t i = 0; i < row->n; i++)
        if (!isfinite(row->values[i]))
            return -1;
    return 0;
}

/* ---- statistics ---------------------------------------------------------- */

/* numpy's pairwise summation (umath loops, PW_BLOCKSIZE 128, 8-way unrolled),
 * so a mean or variance comes out bit-identical to upstream's. */
static double pairwise_sum(const double *a, size_t n)
{
    if (n < 8) {
        double res = -0.0;
        for (size_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/* np.add.reduce as numpy runs it: through its 8192-element buffer, each
 * chunk summed pairwise and the chunk sums added in order onto the identity. */
static double numpy_sum(const double *a, size_t n)
{
    double res = 0.0;
    for (size_t i = 0; i < n; i += 8192)
        res += pairwise_sum(a + i, n - i < 8192 ? n - i : 8192);
    return res;
}

/* Sorts finite doubles ascending. qsort's comparator call per comparison
 * was a fifth of `dataset`'s time on large inputs; this is a plain
 * median-of-three quicksort with insertion sort for short runs, recursing
 * into the smaller side so the stack stays O(log n). */
static void sort_doubles(double *a, size_t n)
{
    while (n > 16) {
        size_t mid = n / 2;
        double x = a[0], y = a[mid], z = a[n - 1];
        double pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        size_t left = j + 1; /* a[0..j] <= pivot <= a[j+1..n-1] */
        if (left < n - left) {
            sort_doubles(a, left);
            a += left;
            n -= left;
        } else {
            sort_doubles(a + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        double v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* numpy's "linear" method: a + (b - a) * g, computed from the upper end when
 * g >= 0.5 as numpy's _lerp does. */
static double quantile(const double *sorted, size_t n, double q)
{
    double vi = q * (double)(n - 1);
    double lo = floor(vi);
    size_t i = (size_t)lo;
    double g = vi - lo;
    if (i + 1 >= n)
        return sorted[n - 1];
    double a = sorted[i], b = sorted[i + 1];
    double diff = b - a;
    if (!isfinite(diff)) /* -1e308 to 1e308: the weighted form stays finite */
        return a * (1 - g) + b * g;
    if (g >= 0.5)
        return b - diff * (1 - g);
    return a + diff * g;
}

int wp_describe(const double *v, size_t n, wp_describe_stats *out)
{
    out->count = 0;
    out->mean = out->std = out->min = out->q25 = out->q50 = out->q75 = out->max = NAN;
    /* pandas' nanops fill missing values with 0 and sum in place, so the
     * pairwise grouping includes them: keep positions. */
    double *filled = malloc((n ? n : 1) * sizeof *filled);
    double *vals = malloc((n ? n : 1) * sizeof *vals);
    if (!filled || !vals) {
        free(filled);
        free(vals);
        return -1;
    }
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            filled[i] = v[i];
            vals[c++] = v[i];
        } else {
            filled[i] = 0;
        }
    }
    out->count = (double)c;
    if (c > 0) {
        double mean = numpy_sum(filled, n) / (double)c;
        out->mean = mean;
        if (c > 1) {
            for (size_t i = 0; i < n; i++)
                filled[i] = isfinite(v[i]) ? (mean - v[i]) * (mean - v[i]) : 0;
            out->std = sqrt(numpy_sum(filled, n) / (double)(c - 1));
        }
        sort_doubles(vals, c);
        out->min = vals[0];
        out->max = vals[c - 1];
        /* Finite values near DBL_MAX overflow pandas' sums to inf (1e308
         * twice has mean inf there). Only then: the same sums on values
         * scaled by the largest magnitude, so the figures stay finite and
         * everything else stays bit-identical to upstream. */
        double big = fmax(fabs(vals[0]), fabs(vals[c - 1]));
        if (!isfinite(out->mean) || (c > 1 && !isfinite(out->std))) {
            for (size_t i = 0; i < n; i++)
                filled[i] = isfinite(v[i]) ? v[i] / big : 0;
            double m = numpy_sum(filled, n) / (double)c;
            out->mean = m * big;
            if (c > 1) {
                for (size_t i = 0; i < n; i++)
                    filled[i] = isfinite(v[i]) ? (m - v[i] / big) * (m - v[i] / big) : 0;
                out->std = sqrt(numpy_sum(filled, n) / (double)(c - 1)) * big;
            }
        }
        out->q25 = quantile(vals, c, 0.25);
        out->q50 = quantile(vals, c, 0.5);
        out->q75 = quantile(vals, c, 0.75);
    }
    free(filled);
    free(vals);
    return 0;
}

double wp_group_mean(const double *v, size_t n)
{
    double sum = 0, comp = 0;
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double y = v[i] - comp;
        double t = sum + y;
        comp = t - sum - y;
        sum = t;
        c++;
    }
    if (c && !isfinite(sum)) {
        /* Overflowed on finite values (near DBL_MAX): a mean of the values
         * divided by the count first, which cannot. */
        double m = 0;
        for (size_t i = 0; i < n; i++)
            if (isfinite(v[i]))
                m += v[i] / (double)c;
        return m;
    }
    return c ? sum / (double)c : NAN;
}

const char *wp_runtime_stat_name(wp_runtime_stat s)
{
    switch (s) {
    case WP_RUNTIME_MEAN: return "mean";
    case WP_RUNTIME_MEDIAN: return "median";
    case WP_RUNTIME_P10: return "p10";
    case WP_RUNTIME_MIN: return "min";
    }
    return "?";
}

double wp_runtime_stat_of(wp_runtime_stat s, const double *v, size_t n)
{
    if (s == WP_RUNTIME_MEAN)
        return wp_group_mean(v, n);
    double *f = malloc((n ? n : 1) * sizeof *f);
    if (!f)
        return NAN;
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            f[c++] = v[i];
    double r = NAN;
    if (c > 0) {
        sort_doubles(f, c);
        r = s == WP_RUNTIME_MIN ? f[0] : quantile(f, c, s == WP_RUNTIME_MEDIAN ? 0.5 : 0.1);
    }
    free(f);
    return r;
}
