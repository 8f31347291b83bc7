/* Network builders. Each layer adds its node, then infers its output shape
 * at once, so the next layer can size its weights from it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wattprof/zoo.h"

typedef struct {
    wp_graph *g;
    uint64_t seed;
    wp_error *err;
    int failed;
} zb;

/* New names go last: a network's weights are seeded by its index here. */
static const char *const names[] = {"lenet",    "alexnet",     "vgg11",      "vgg16",       "resnet18",
                                    "resnet50", "mobilenetv2", "squeezenet", "cifarnet",    "dscnn",
                                    "mlp",      "resnet8",     "vww",        "autoencoder", NULL};
/* Each one's input (C, H, W) when the caller gives none. */
static const int64_t default_input[][3] = {{1, 28, 28},   {3, 224, 224}, {3, 224, 224}, {3, 224, 224}, {3, 224, 224},
                                           {3, 224, 224}, {3, 224, 224}, {3, 224, 224}, {3, 32, 32},   {1, 49, 10},
                                           {1, 28, 28},   {3, 32, 32},   {3, 96, 96},   {1, 1, 640}};

const char *const *wp_zoo_names(void)
{
    return names;
}

/* a + b + c into dst, truncated (names here are short; no printf so the
 * compiler's truncation analysis has nothing to guess). */
static void join3(char *dst, size_t size, const char *a, const char *b, const char *c)
{
    size_t at = 0;
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        for (const char *p = parts[i]; *p && at + 1 < size; p++)
            dst[at++] = *p;
    dst[at] = 0;
}

static int weight(zb *b, const char *name, int n, const int64_t *d, float scale, float offset)
{
    if (b->failed)
        return -1;
    wp_dims dims;
    memset(&dims, 0, sizeof dims);
    dims.n = n;
    for (int i = 0; i < n; i++)
        dims.d[i] = d[i];
    int t = wp_graph_add_tensor(b->g, name, &dims, 1);
    if (t < 0) {
        b->failed = 1;
        wp_fail(b->err, NULL, 0, "out of memory");
        return -1;
    }
    b->g->tensors[t].seed = ++b->seed * 0x2545f4914f6cdd1dULL;
    b->g->tensors[t].scale = scale;
    b->g->tensors[t].offset = offset;
    return t;
}

static const wp_dims *shape(zb *b, int t)
{
    return &b->g->tensors[t].shape;
}

/* Adds a node with one fresh output named after the node. */
static wp_node *node(zb *b, wp_op op, const char *name, size_t n_in, const int *in, int *out)
{
    *out = -1;
    if (b->failed)
        return NULL;
    for (size_t i = 0; i < n_in; i++)
        if (in[i] < 0) {
            b->failed = 1;
            return NULL;
        }
    char oname[300];
    join3(oname, sizeof oname, name, "_out", "");
    int o = wp_graph_add_tensor(b->g, oname, NULL, 0);
    wp_node *n = o < 0 ? NULL : wp_graph_add_node(b->g, op, name, n_in, in, 1, &o);
    if (!n) {
        b->failed = 1;
        wp_fail(b->err, NULL, 0, "out of memory");
        return NULL;
    }
    *out = o;
    return n;
}

static int finish(zb *b, int out)
{
    if (b->failed || out < 0)
        return -1;
    if (wp_graph_infer_node(b->g, b->g->n_nodes - 1, b->err)) {
        b->failed = 1;
        return -1;
    }
    return out;
}

/* A k x k window moved s at a time with p padding on every side: the
 * zoo's convolutions and pools are all square. */
static void square_window(wp_node *n, int64_t k, int64_t s, int64_t p)
{
    n->kernel[0] = n->kernel[1] = k;
    n->stride[0] = n->stride[1] = s;
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = p;
}

static int conv(zb *b, int x, const char *name, int64_t oc, int64_t k, int64_t s, int64_t p, int64_t group, int bias)
{
    if (b->failed || x < 0)
        return -1;
    int64_t ic = shape(b, x)->d[1];
    char wn[300];
    join3(wn, sizeof wn, name, ".weight", "");
    int64_t wd[4] = {oc, ic / group, k, k};
    float fan_in = (float)(ic / group * k * k);
    int in[3] = {x, weight(b, wn, 4, wd, sqrtf(6.0f / fan_in), 0.0f), -1};
    if (bias) {
        join3(wn, sizeof wn, name, ".bias", "");
        in[2] = weight(b, wn, 1, &oc, 0.01f, 0.0f);
    }
    int out;
    wp_node *n = node(b, WP_OP_CONV, name, bias ? 3 : 2, in, &out);
    if (n) {
        square_window(n, k, s, p);
        n->group = group;
    }
    return finish(b, out);
}

static int unary(zb *b, int x, wp_op op, const char *name)
{
    int out;
    wp_node *n = node(b, op, name, 1, &x, &out);
    if (n && op == WP_OP_CLIP) {
        n->clip_min = 0.0f;
        n->clip_max = 6.0f;
    }
    return finish(b, out);
}

static int pool(zb *b, int x, wp_op op, const char *name, int64_t k, int64_t s, int64_t p, int ceil)
{
    int out;
    wp_node *n = node(b, op, name, 1, &x, &out);
    if (n) {
        square_window(n, k, s, p);
        n->ceil_mode = ceil;
    }
    return finish(b, out);
}

static int bn(zb *b, int x, const char *name)
{
    if (b->failed || x < 0)
        return -1;
    int64_t c = shape(b, x)->d[1];
    char wn[300];
    static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
    static const float scale[4] = {0.1f, 0.1f, 0.1f, 0.1f}, offset[4] = {1.0f, 0.0f, 0.0f, 1.0f};
    int in[5] = {x, -1, -1, -1, -1};
    for (int i = 0; i < 4; i++) {
        join3(wn, sizeof wn, name, ".", parts[i]);
        in[i + 1] = weight(b, wn, 1, &c, scale[i], offset[i]);
    }
    int out;
    node(b, WP_OP_BATCHNORM, name, 5, in, &out);
    return finish(b, out);
}

static int gemm(zb *b, int x, const char *name, int64_t outs)
{
    if (b->failed || x < 0)
        return -1;
    int64_t k = shape(b, x)->d[1];
    char wn[300];
    join3(wn, sizeof wn, name, ".weight", "");
    int64_t wd[2] = {outs, k};
    int in[3] = {x, weight(b, wn, 2, wd, sqrtf(6.0f / (float)k), 0.0f), -1};
    join3(wn, sizeof wn, name, ".bias", "");
    in[2] = weight(b, wn, 1, &outs, 0.01f, 0.0f);
    int out;
    wp_node *n = node(b, WP_OP_GEMM, name, 3, in, &out);
    if (n)
        n->trans_b = 1;
    return finish(b, out);
}

static int flatten(zb *b, int x, const char *name)
{
    int out;
    node(b, WP_OP_FLATTEN, name, 1, &x, &out);
    return finish(b, out);
}

static int add(zb *b, int x, int y, const char *name)
{
    int in[2] = {x, y}, out;
    node(b, WP_OP_ADD, name, 2, in, &out);
    return finish(b, out);
}

/* Global average pooling and a flatten: what a classifier head reads. */
static int pool_flatten(zb *b, int x)
{
    int out;
    node(b, WP_OP_GLOBALAVGPOOL, "avgpool", 1, &x, &out);
    return flatten(b, finish(b, out), "flatten");
}

/* A residual block's end: y plus the shortcut, then a ReLU, named PRE.add
 * and PRE.relu. */
static int residual_relu(zb *b, int y, int shortcut, const char *pre)
{
    char nm[80];
    join3(nm, sizeof nm, pre, ".add", "");
    y = add(b, y, shortcut, nm);
    join3(nm, sizeof nm, pre, ".relu", "");
    return unary(b, y, WP_OP_RELU, nm);
}

static int concat(zb *b, int x, int y, const char *name)
{
    int in[2] = {x, y}, out;
    node(b, WP_OP_CONCAT, name, 2, in, &out);
    return finish(b, out);
}

/* conv (+ BN) + activation, the common unit. */
static int cba(zb *b, int x, const char *name, int64_t oc, int64_t k, int64_t s, int64_t p, int64_t group, int use_bn,
               wp_op act)
{
    char nm[300];
    join3(nm, sizeof nm, name, use_bn ? ".conv" : "", "");
    x = conv(b, x, nm, oc, k, s, p, group, !use_bn);
    if (use_bn) {
        join3(nm, sizeof nm, name, ".bn", "");
        x = bn(b, x, nm);
    }
    if (act != WP_OP_COUNT) {
        join3(nm, sizeof nm, name, ".", act == WP_OP_CLIP ? "relu6" : "relu");
        x = unary(b, x, act, nm);
    }
    return x;
}

static int lenet(zb *b, int x)
{
    x = cba(b, x, "conv1", 6, 5, 1, 2, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_MAXPOOL, "pool1", 2, 2, 0, 0);
    x = cba(b, x, "conv2", 16, 5, 1, 0, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_MAXPOOL, "pool2", 2, 2, 0, 0);
    x = flatten(b, x, "flatten");
    x = unary(b, gemm(b, x, "fc1", 120), WP_OP_RELU, "fc1.relu");
    x = unary(b, gemm(b, x, "fc2", 84), WP_OP_RELU, "fc2.relu");
    return gemm(b, x, "fc3", 10);
}

/* The small networks below are what a keyword spotter or a tiny image
 * classifier on an edge board runs. Their weights and activations fit in
 * a CPU's level-2 cache, where they stay between inferences: a regime the
 * ImageNet networks never reach (docs/training.md). */

/* Caffe's CIFAR-10 "quick" network: 145 K weights. */
static int cifarnet(zb *b, int x)
{
    x = conv(b, x, "conv1", 32, 5, 1, 2, 1, 1);
    x = pool(b, x, WP_OP_MAXPOOL, "pool1", 3, 2, 1, 0);
    x = unary(b, x, WP_OP_RELU, "relu1");
    x = cba(b, x, "conv2", 32, 5, 1, 2, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_AVGPOOL, "pool2", 3, 2, 1, 0);
    x = cba(b, x, "conv3", 64, 5, 1, 2, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_AVGPOOL, "pool3", 3, 2, 1, 0);
    x = flatten(b, x, "flatten");
    x = gemm(b, x, "ip1", 64);
    return gemm(b, x, "ip2", 10);
}

/* DS-CNN (small) keyword spotting on 49x10 MFCC frames (Zhang et al.,
 * "Hello Edge", 2017), square kernels: a convolution, four depthwise
 * separable blocks, average pooling, 12 classes; 24 K weights. */
static int dscnn(zb *b, int x)
{
    x = cba(b, x, "conv1", 64, 3, 2, 1, 1, 1, WP_OP_RELU);
    for (int i = 1; i <= 4; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "block%d.dw", i);
        x = cba(b, x, nm, 64, 3, 1, 1, 64, 1, WP_OP_RELU);
        snprintf(nm, sizeof nm, "block%d.pw", i);
        x = cba(b, x, nm, 64, 1, 1, 0, 1, 1, WP_OP_RELU);
    }
    x = pool_flatten(b, x);
    return gemm(b, x, "fc", 12);
}

/* A 784-128-64-10 perceptron for MNIST digits: 109 K weights. */
static int mlp(zb *b, int x)
{
    x = flatten(b, x, "flatten");
    x = unary(b, gemm(b, x, "fc1", 128), WP_OP_RELU, "fc1.relu");
    x = unary(b, gemm(b, x, "fc2", 64), WP_OP_RELU, "fc2.relu");
    return gemm(b, x, "fc3", 10);
}

/* MLPerf Tiny v1.0's reference networks for image classification, visual
 * wake words and anomaly detection (mlcommons/tiny, benchmark/training;
 * its keyword spotter is `dscnn`). No softmax at the end, as above. The
 * Keras originals give every convolution a bias, batch norm or not; here,
 * as in torchvision, one followed by a batch norm has none. They are
 * int8 there and float32 here: ResNet-8's weights (0.31 MB) and the
 * wake-word network's (0.83 MB) fit a 1 MB level-2 cache, the
 * autoencoder's 1.06 MB do not quite. */

/* ResNet-8 on CIFAR-10: a 16-filter stem and three basic blocks of 16, 32
 * and 64 filters, the last two at stride 2 with a 1x1 stride-2
 * convolution on the shortcut (with a bias and no batch norm, as in the
 * reference), global average pooling, 10 classes; 78 K weights. */
static int resnet8(zb *b, int x)
{
    char nm[64];
    x = cba(b, x, "conv1", 16, 3, 1, 1, 1, 1, WP_OP_RELU);
    for (int i = 1; i <= 3; i++) {
        int64_t width = (int64_t)8 << i, s = i > 1 ? 2 : 1;
        char pre[16];
        snprintf(pre, sizeof pre, "layer%d", i);
        join3(nm, sizeof nm, pre, ".1", "");
        int y = cba(b, x, nm, width, 3, s, 1, 1, 1, WP_OP_RELU);
        join3(nm, sizeof nm, pre, ".2", "");
        y = cba(b, y, nm, width, 3, 1, 1, 1, 1, WP_OP_COUNT);
        if (s != 1) {
            join3(nm, sizeof nm, pre, ".downsample", "");
            x = conv(b, x, nm, width, 1, s, 0, 1, 1);
        }
        x = residual_relu(b, y, x, pre);
    }
    x = pool_flatten(b, x);
    return gemm(b, x, "fc", 10);
}

/* Visual wake words (person or not) on 3x96x96: MobileNetV1 at width
 * 0.25, a stride-2 convolution to 8 channels and 13 depthwise separable
 * blocks, global average pooling, 2 classes; 219 K weights. ReLU, not
 * MobileNetV1's ReLU6: the reference's Keras model (vww_model.py) uses
 * plain ReLU throughout. */
static int vww(zb *b, int x)
{
    static const int64_t width[13] = {16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256};
    static const int64_t stride[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    x = cba(b, x, "conv1", 8, 3, 2, 1, 1, 1, WP_OP_RELU);
    for (int i = 0; i < 13; i++) {
        if (b->failed)
            return -1;
        int64_t c = shape(b, x)->d[1];
        char nm[32];
        snprintf(nm, sizeof nm, "block%d.dw", i + 1);
        x = cba(b, x, nm, c, 3, stride[i], 1, c, 1, WP_OP_RELU);
        snprintf(nm, sizeof nm, "block%d.pw", i + 1);
        x = cba(b, x, nm, width[i], 1, 1, 0, 1, 1, WP_OP_RELU);
    }
    x = pool_flatten(b, x);
    return gemm(b, x, "fc", 2);
}

/* Anomaly detection on ToyADMOS machine sounds: the DCASE 2020 baseline
 * autoencoder on 640 log-mel values (5 frames of 128 bins; input
 * 1x1x1x640, flattened like the MLP's), dense 640-128-128-128-128-8-128-
 * 128-128-128-640, each layer but the last with a batch norm and ReLU;
 * 270 K weights. */
static int autoencoder(zb *b, int x)
{
    static const int64_t width[9] = {128, 128, 128, 128, 8, 128, 128, 128, 128};
    x = flatten(b, x, "flatten");
    if (b->failed || x < 0)
        return -1;
    int64_t n = shape(b, x)->d[1];
    for (int i = 0; i < 9; i++) {
        char nm[32], sub[32];
        snprintf(nm, sizeof nm, "fc%d", i + 1);
        x = gemm(b, x, nm, width[i]);
        snprintf(sub, sizeof sub, "fc%d.bn", i + 1);
        x = bn(b, x, sub);
        snprintf(sub, sizeof sub, "fc%d.relu", i + 1);
        x = unary(b, x, WP_OP_RELU, sub);
    }
    /* the reconstruction, as wide as the input */
    return gemm(b, x, "fc10", n);
}

static int classifier(zb *b, int x, int64_t hidden)
{
    x = flatten(b, x, "flatten");
    x = unary(b, x, WP_OP_DROPOUT, "classifier.dropout1");
    x = unary(b, gemm(b, x, "classifier.fc1", hidden), WP_OP_RELU, "classifier.relu1");
    x = unary(b, x, WP_OP_DROPOUT, "classifier.dropout2");
    x = unary(b, gemm(b, x, "classifier.fc2", hidden), WP_OP_RELU, "classifier.relu2");
    return gemm(b, x, "classifier.fc3", 1000);
}

static int alexnet(zb *b, int x)
{
    x = cba(b, x, "features.conv1", 64, 11, 4, 2, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_MAXPOOL, "features.pool1", 3, 2, 0, 0);
    x = cba(b, x, "features.conv2", 192, 5, 1, 2, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_MAXPOOL, "features.pool2", 3, 2, 0, 0);
    x = cba(b, x, "features.conv3", 384, 3, 1, 1, 1, 0, WP_OP_RELU);
    x = cba(b, x, "features.conv4", 256, 3, 1, 1, 1, 0, WP_OP_RELU);
    x = cba(b, x, "features.conv5", 256, 3, 1, 1, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_MAXPOOL, "features.pool5", 3, 2, 0, 0);
    return classifier(b, x, 4096);
}

static int vgg(zb *b, int x, const int *cfg)
{
    char nm[64];
    int conv_i = 0, pool_i = 0;
    for (; *cfg; cfg++) {
        if (*cfg < 0) {
            snprintf(nm, sizeof nm, "features.pool%d", ++pool_i);
            x = pool(b, x, WP_OP_MAXPOOL, nm, 2, 2, 0, 0);
        } else {
            snprintf(nm, sizeof nm, "features.conv%d", ++conv_i);
            x = cba(b, x, nm, *cfg, 3, 1, 1, 1, 0, WP_OP_RELU);
        }
    }
    return classifier(b, x, 4096);
}

static int resnet(zb *b, int x, int bottleneck, const int *blocks)
{
    char nm[128];
    x = cba(b, x, "conv1", 64, 7, 2, 3, 1, 1, WP_OP_RELU);
    x = pool(b, x, WP_OP_MAXPOOL, "maxpool", 3, 2, 1, 0);
    int64_t width = 64;
    for (int layer = 0; layer < 4; layer++, width *= 2) {
        for (int blk = 0; blk < blocks[layer]; blk++) {
            int64_t s = layer > 0 && blk == 0 ? 2 : 1;
            int64_t out_c = bottleneck ? width * 4 : width;
            char pre[64];
            snprintf(pre, sizeof pre, "layer%d.%d", layer + 1, blk);
            int y = x;
            if (bottleneck) {
                join3(nm, sizeof nm, pre, ".1", "");
                y = cba(b, y, nm, width, 1, 1, 0, 1, 1, WP_OP_RELU);
                join3(nm, sizeof nm, pre, ".2", "");
                y = cba(b, y, nm, width, 3, s, 1, 1, 1, WP_OP_RELU);
                join3(nm, sizeof nm, pre, ".3", "");
                y = cba(b, y, nm, out_c, 1, 1, 0, 1, 1, WP_OP_COUNT);
            } else {
                join3(nm, sizeof nm, pre, ".1", "");
                y = cba(b, y, nm, width, 3, s, 1, 1, 1, WP_OP_RELU);
                join3(nm, sizeof nm, pre, ".2", "");
                y = cba(b, y, nm, out_c, 3, 1, 1, 1, 1, WP_OP_COUNT);
            }
            if (b->failed)
                return -1;
            if (s != 1 || shape(b, x)->d[1] != out_c) {
                join3(nm, sizeof nm, pre, ".downsample", "");
                x = cba(b, x, nm, out_c, 1, s, 0, 1, 1, WP_OP_COUNT);
            }
            x = residual_relu(b, y, x, pre);
        }
    }
    x = pool_flatten(b, x);
    return gemm(b, x, "fc", 1000);
}

static int mobilenetv2(zb *b, int x)
{
    static const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                  {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    char nm[128];
    int idx = 1;
    x = cba(b, x, "features.0", 32, 3, 2, 1, 1, 1, WP_OP_CLIP);
    for (int i = 0; i < 7; i++) {
        for (int r = 0; r < cfg[i][2]; r++, idx++) {
            if (b->failed)
                return -1;
            int64_t in_c = shape(b, x)->d[1], hidden = in_c * cfg[i][0], s = r == 0 ? cfg[i][3] : 1;
            int y = x;
            if (cfg[i][0] != 1) {
                snprintf(nm, sizeof nm, "features.%d.expand", idx);
                y = cba(b, y, nm, hidden, 1, 1, 0, 1, 1, WP_OP_CLIP);
            }
            snprintf(nm, sizeof nm, "features.%d.dw", idx);
            y = cba(b, y, nm, hidden, 3, s, 1, hidden, 1, WP_OP_CLIP);
            snprintf(nm, sizeof nm, "features.%d.project", idx);
            y = cba(b, y, nm, cfg[i][1], 1, 1, 0, 1, 1, WP_OP_COUNT);
            if (s == 1 && in_c == cfg[i][1]) {
                snprintf(nm, sizeof nm, "features.%d.add", idx);
                y = add(b, y, x, nm);
            }
            x = y;
        }
    }
    x = cba(b, x, "features.18", 1280, 1, 1, 0, 1, 1, WP_OP_CLIP);
    x = pool_flatten(b, x);
    x = unary(b, x, WP_OP_DROPOUT, "classifier.dropout");
    return gemm(b, x, "classifier.fc", 1000);
}

static int fire(zb *b, int x, int idx, int64_t squeeze, int64_t expand)
{
    char nm[64], nm2[64];
    snprintf(nm, sizeof nm, "features.fire%d.squeeze", idx);
    x = cba(b, x, nm, squeeze, 1, 1, 0, 1, 0, WP_OP_RELU);
    snprintf(nm, sizeof nm, "features.fire%d.expand1x1", idx);
    int e1 = cba(b, x, nm, expand, 1, 1, 0, 1, 0, WP_OP_RELU);
    snprintf(nm2, sizeof nm2, "features.fire%d.expand3x3", idx);
    int e3 = cba(b, x, nm2, expand, 3, 1, 1, 1, 0, WP_OP_RELU);
    snprintf(nm, sizeof nm, "features.fire%d.concat", idx);
    return concat(b, e1, e3, nm);
}

/* SqueezeNet 1.1. */
static int squeezenet(zb *b, int x)
{
    x = cba(b, x, "features.conv1", 64, 3, 2, 0, 1, 0, WP_OP_RELU);
    x = pool(b, x, WP_OP_MAXPOOL, "features.pool1", 3, 2, 0, 1);
    x = fire(b, x, 2, 16, 64);
    x = fire(b, x, 3, 16, 64);
    x = pool(b, x, WP_OP_MAXPOOL, "features.pool2", 3, 2, 0, 1);
    x = fire(b, x, 4, 32, 128);
    x = fire(b, x, 5, 32, 128);
    x = pool(b, x, WP_OP_MAXPOOL, "features.pool3", 3, 2, 0, 1);
    x = fire(b, x, 6, 48, 192);
    x = fire(b, x, 7, 48, 192);
    x = fire(b, x, 8, 64, 256);
    x = fire(b, x, 9, 64, 256);
    x = unary(b, x, WP_OP_DROPOUT, "classifier.dropout");
    x = cba(b, x, "classifier.conv", 1000, 1, 1, 0, 1, 0, WP_OP_RELU);
    int out;
    node(b, WP_OP_GLOBALAVGPOOL, "classifier.avgpool", 1, &x, &out);
    x = finish(b, out);
    return flatten(b, x, "flatten");
}

int wp_zoo_build(const char *arch, const wp_dims *input, wp_graph *g, wp_error *err)
{
    int which = -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(arch, names[i]) == 0)
            which = i;
    wp_graph_init(g, arch);
    if (which < 0)
        return wp_fail(err, NULL, 0,
                       "unknown architecture '%s' (known: lenet, alexnet, vgg11, vgg16, resnet18, resnet50, "
                       "mobilenetv2, squeezenet, cifarnet, dscnn, mlp, resnet8, vww, autoencoder)",
                       arch);
    wp_dims d = {4, {1, default_input[which][0], default_input[which][1], default_input[which][2]}};
    if (input)
        d = *input;
    if (d.n != 4)
        return wp_fail(err, NULL, 0, "%s needs a 4-D NxCxHxW input", arch);
    zb b = {g, 0x5eed0000ULL + (uint64_t)which, err, 0};
    int x = g->input = wp_graph_add_tensor(g, "input", &d, 0);
    if (x < 0)
        return wp_fail(err, NULL, 0, "out of memory");
    static const int vgg11[] = {64, -1, 128, -1, 256, 256, -1, 512, 512, -1, 512, 512, -1, 0};
    static const int vgg16[] = {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1, 0};
    static const int r18[] = {2, 2, 2, 2}, r50[] = {3, 4, 6, 3};
    switch (which) {
    case 0: x = lenet(&b, x); break;
    case 1: x = alexnet(&b, x); break;
    case 2: x = vgg(&b, x, vgg11); break;
    case 3: x = vgg(&b, x, vgg16); break;
    case 4: x = resnet(&b, x, 0, r18); break;
    case 5: x = resnet(&b, x, 1, r50); break;
    case 6: x = mobilenetv2(&b, x); break;
    case 7: x = squeezenet(&b, x); break;
    case 8: x = cifarnet(&b, x); break;
    case 9: x = dscnn(&b, x); break;
    case 10: x = mlp(&b, x); break;
    case 11: x = resnet8(&b, x); break;
    case 12: x = vww(&b, x); break;
    default: x = autoencoder(&b, x); break;
    }
    if (b.failed || x < 0) {
        char dims[96];
        wp_error sub = *err;
        wp_graph_free(g);
        wp_graph_init(g, arch);
        return wp_fail(err, NULL, 0, "%s with input %s: %s", arch, wp_dims_format(&d, dims, sizeof dims), sub.msg);
    }
    g->output = x;
    return 0;
}

int wp_zoo_write(const char *arch, const wp_dims *input, const char *path, wp_error *err)
{
    wp_graph g;
    if (wp_zoo_build(arch, input, &g, err)) {
        wp_graph_free(&g);
        return -1;
    }
    int rc = wp_onnx_write(path, &g, err);
    wp_graph_free(&g);
    return rc;
}
