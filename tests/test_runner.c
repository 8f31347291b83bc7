/* runner: every layer of the oneDNN backend matches the naive reference
 * backend within tolerance, on hand-built graphs covering every operator
 * and attribute path and on small zoo networks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/runner.h"
#include "wattprof/zoo.h"

/* Runs g on the reference and on `backend` and compares every node's output. */
static void compare_with(wp_graph *g, wp_backend backend, const char *what)
{
    wp_error err = {0};
    wp_runner *ref = wp_runner_create(g, WP_BACKEND_REF, &err);
    CHECK(ref != NULL);
    wp_runner *cpu = wp_runner_create(g, backend, &err);
    CHECK(cpu != NULL);
    if (!cpu)
        fprintf(stderr, "%s: %s\n", what, err.msg);
    if (!ref || !cpu) {
        wp_runner_free(ref);
        wp_runner_free(cpu);
        return;
    }
    size_t n = wp_runner_n_layers(cpu);
    wp_layer_time *times = calloc(n, sizeof *times);
    CHECK_INT(wp_runner_run(ref, NULL, &err), 0);
    CHECK_INT(wp_runner_run(cpu, times, &err), 0);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(times[i].end_us >= times[i].start_us);
        CHECK(i == 0 || times[i].start_us >= times[i - 1].end_us);
        /* nanoseconds: never 0 (a layer's work takes time, and the clock
         * reads ns), and the microsecond stamps are the same interval */
        CHECK(times[i].dur_ns > 0);
        CHECK(llabs(times[i].dur_ns / 1000 - (times[i].end_us - times[i].start_us)) <= 1);
        int t = g->nodes[i].out[0];
        int64_t count = wp_dims_count(&g->tensors[t].shape);
        float *a = malloc((size_t)count * sizeof *a), *b = malloc((size_t)count * sizeof *b);
        wp_runner_read(ref, t, a, &err);
        if (wp_runner_read(cpu, t, b, &err)) {
            /* Only a tensor inside a fused chain is refused: a later node's
             * work was done by this node's convolution (or this node's by
             * the same one). */
            int head = wp_runner_fused_into(cpu, i) >= 0 ? wp_runner_fused_into(cpu, i) : (int)i, later = 0;
            for (size_t j = i + 1; j < n; j++)
                later |= wp_runner_fused_into(cpu, j) == head;
            CHECK(later);
            CHECK_CONTAINS(err.msg, "is not kept");
            free(a);
            free(b);
            continue;
        }
        double scale = 0;
        for (int64_t k = 0; k < count; k++)
            scale = fabs(a[k]) > scale ? fabs(a[k]) : scale;
        int64_t worst = -1;
        double worst_d = 0;
        for (int64_t k = 0; k < count; k++) {
            double d = fabs((double)a[k] - b[k]);
            if (d > worst_d) {
                worst_d = d;
                worst = k;
            }
        }
        if (!(worst_d <= 1e-4 * (scale > 1 ? scale : 1)) || !(scale > 0 || g->nodes[i].op == WP_OP_RELU)) {
            fprintf(stderr, "%s: layer %s (%s): max |diff| %g at %lld (ref %g, cpu %g), scale %g\n", what,
                    g->nodes[i].name, wp_op_name(g->nodes[i].op), worst_d, (long long)worst,
                    worst >= 0 ? a[worst] : 0.0, worst >= 0 ? b[worst] : 0.0, scale);
            bad++;
        }
        free(a);
        free(b);
    }
    CHECK_INT(bad, 0);
    free(times);
    wp_runner_free(ref);
    wp_runner_free(cpu);
}

static void compare_backends(wp_graph *g, const char *what)
{
    compare_with(g, WP_BACKEND_CPU, what);
}

static int weight(wp_graph *g, const char *name, int n, int64_t d0, int64_t d1, int64_t d2, int64_t d3, float off,
                  uint64_t seed)
{
    wp_dims d = {n, {d0, d1, d2, d3}};
    int t = wp_graph_add_tensor(g, name, &d, 1);
    g->tensors[t].seed = seed;
    g->tensors[t].scale = 0.5f;
    g->tensors[t].offset = off;
    return t;
}

static int act(wp_graph *g, const char *name)
{
    return wp_graph_add_tensor(g, name, NULL, 0);
}

/* An inference BatchNormalization of x's c channels into *y: scale and
 * variance around 1, shift and mean around 0, from seeds seed..seed+3. */
static void add_bn(wp_graph *g, const char *name, int x, int64_t c, uint64_t seed, int *y)
{
    static const char *const part[] = {"scale", "shift", "mean", "var"};
    int in[5] = {x};
    for (int k = 0; k < 4; k++) {
        char t[64];
        snprintf(t, sizeof t, "%s.%s", name, part[k]);
        in[k + 1] = weight(g, t, 1, c, 0, 0, 0, k == 0 || k == 3 ? 1.0f : 0.0f, seed + (uint64_t)k);
    }
    wp_graph_add_node(g, WP_OP_BATCHNORM, name, 5, in, 1, y);
}

/* Every operator with its less common attributes, on tiny shapes. */
static void test_ops(void)
{
    wp_graph g;
    wp_error err = {0};
    wp_graph_init(&g, "ops");
    wp_dims in = {4, {2, 4, 12, 10}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int x = g.input;

    /* Grouped, dilated, strided conv with asymmetric padding. */
    int w = weight(&g, "w1", 4, 6, 2, 3, 3, 0, 11), b = weight(&g, "b1", 1, 6, 0, 0, 0, 0, 12);
    int c1 = act(&g, "c1");
    wp_node *n = wp_graph_add_node(&g, WP_OP_CONV, "conv_grouped", 3, (int[]){x, w, b}, 1, &c1);
    n->group = 2;
    n->stride[0] = 2;
    n->dilation[1] = 2;
    n->pads[0] = 1;
    n->pads[1] = 2;
    n->pads[2] = 0;
    n->pads[3] = 1;
    /* Depthwise conv, SAME_UPPER, no bias. */
    int wd = weight(&g, "wd", 4, 6, 1, 3, 3, 0, 13), c2 = act(&g, "c2");
    n = wp_graph_add_node(&g, WP_OP_CONV, "conv_dw", 2, (int[]){c1, wd}, 1, &c2);
    n->group = 6;
    n->auto_pad = WP_AUTO_PAD_SAME_UPPER;
    int bn = act(&g, "bn");
    add_bn(&g, "bn", c2, 6, 14, &bn);
    int cl = act(&g, "clip");
    n = wp_graph_add_node(&g, WP_OP_CLIP, "clip", 1, &bn, 1, &cl);
    n->clip_min = -0.2f;
    n->clip_max = 0.3f;
    int rl = act(&g, "relu");
    wp_graph_add_node(&g, WP_OP_RELU, "relu", 1, &c2, 1, &rl);
    int ad = act(&g, "add");
    wp_graph_add_node(&g, WP_OP_ADD, "add", 2, (int[]){cl, rl}, 1, &ad);
    int cc = act(&g, "concat");
    n = wp_graph_add_node(&g, WP_OP_CONCAT, "concat", 3, (int[]){ad, c2, bn}, 1, &cc);
    n->axis = 1;
    int lrn = act(&g, "lrn");
    n = wp_graph_add_node(&g, WP_OP_LRN, "lrn", 1, &cc, 1, &lrn);
    n->size = 3;
    n->alpha = 1e-2f;
    n->beta = 0.75f;
    n->bias = 1.0f;
    int mp = act(&g, "maxpool");
    n = wp_graph_add_node(&g, WP_OP_MAXPOOL, "maxpool_ceil", 1, &lrn, 1, &mp);
    n->kernel[0] = n->kernel[1] = 3;
    n->stride[0] = n->stride[1] = 2;
    n->ceil_mode = 1;
    int ap = act(&g, "avgpool");
    n = wp_graph_add_node(&g, WP_OP_AVGPOOL, "avgpool_pad", 1, &lrn, 1, &ap);
    n->kernel[0] = n->kernel[1] = 2;
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    n->count_include_pad = 1;
    int ap2 = act(&g, "avgpool2");
    n = wp_graph_add_node(&g, WP_OP_AVGPOOL, "avgpool_excl", 1, &ap, 1, &ap2);
    n->kernel[0] = n->kernel[1] = 3;
    n->stride[0] = n->stride[1] = 2;
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    int gp = act(&g, "gap");
    wp_graph_add_node(&g, WP_OP_GLOBALAVGPOOL, "gap", 1, &mp, 1, &gp);
    int fl = act(&g, "flat");
    wp_graph_add_node(&g, WP_OP_FLATTEN, "flatten", 1, &ap2, 1, &fl);
    int64_t feat = 0;
    g.output = fl;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    feat = g.tensors[ap2].shape.d[1] * g.tensors[ap2].shape.d[2] * g.tensors[ap2].shape.d[3];
    /* Gemm without transB, alpha and beta. */
    int gw = weight(&g, "gw", 2, feat, 7, 0, 0, 0, 18), gb = weight(&g, "gb", 1, 7, 0, 0, 0, 0, 19);
    int ge = act(&g, "gemm");
    n = wp_graph_add_node(&g, WP_OP_GEMM, "gemm", 3, (int[]){fl, gw, gb}, 1, &ge);
    n->alpha = 0.5f;
    n->beta = 2.0f;
    int mw = weight(&g, "mw", 2, 7, 5, 0, 0, 0, 20), mm = act(&g, "matmul");
    wp_graph_add_node(&g, WP_OP_MATMUL, "matmul", 2, (int[]){ge, mw}, 1, &mm);
    int dr = act(&g, "drop");
    wp_graph_add_node(&g, WP_OP_DROPOUT, "dropout", 1, &mm, 1, &dr);
    int sm = act(&g, "softmax");
    n = wp_graph_add_node(&g, WP_OP_SOFTMAX, "softmax", 1, &dr, 1, &sm);
    n->axis = -1;
    int rs = act(&g, "reshape");
    n = wp_graph_add_node(&g, WP_OP_RESHAPE, "reshape", 1, &sm, 1, &rs);
    n->reshape = (wp_dims){3, {0, -1, 1}};
    g.output = rs;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    if (err.msg[0])
        fprintf(stderr, "%s\n", err.msg);
    CHECK_INT(g.tensors[rs].shape.d[1], 5);
    CHECK_INT(g.tensors[mp].shape.d[2], 3); /* 6 rows, ceil((6-3)/2)+1 = 3 */
    compare_backends(&g, "ops");
    /* The softmax rows sum to 1 in the reference. */
    wp_runner *r = wp_runner_create(&g, WP_BACKEND_REF, &err);
    CHECK_INT(wp_runner_run(r, NULL, &err), 0);
    float out[10];
    CHECK_INT(wp_runner_read(r, rs, out, &err), 0);
    double s0 = 0;
    for (int i = 0; i < 5; i++)
        s0 += out[i];
    CHECK_NEAR(s0, 1.0, 1e-5);
    wp_runner_free(r);
    wp_graph_free(&g);
}

static void layout_of(wp_runner *r, int t, char *buf)
{
    CHECK_INT(wp_cpu_tensor_layout(r, t, buf, 32), 0);
}

/* Layout tracking: blocked tensors read by a node without a oneDNN path
 * (a convolution whose weights are computed runs the ref kernel), plain
 * outputs of such a node feeding oneDNN primitives, one tensor wanted in
 * two layouts, sums and concats of mixed layouts. Every layer equals the
 * reference, in AUTO and PLAIN. */
static void test_layouts(void)
{
    wp_graph g;
    wp_error err = {0};
    wp_graph_init(&g, "layouts");
    wp_dims in = {4, {1, 16, 14, 14}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int c1 = act(&g, "c1"), wk = act(&g, "wk"), c2 = act(&g, "c2"), c3 = act(&g, "c3"), bn = act(&g, "bn");
    int mp = act(&g, "mp"), fl = act(&g, "fl"), a1 = act(&g, "a1"), a2 = act(&g, "a2"), cc = act(&g, "cc");
    int gp = act(&g, "gp"), out = act(&g, "out");
    wp_node *n = wp_graph_add_node(
        &g, WP_OP_CONV, "conv1", 3,
        (int[]){g.input, weight(&g, "w1", 4, 32, 16, 3, 3, 0, 31), weight(&g, "b1", 1, 32, 0, 0, 0, 0, 32)}, 1, &c1);
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    int wconst = weight(&g, "wk_src", 4, 32, 32, 1, 1, 0.1f, 33);
    wp_graph_add_node(&g, WP_OP_RELU, "relu_weights", 1, &wconst, 1, &wk);
    wp_graph_add_node(&g, WP_OP_CONV, "conv_computed_w", 2, (int[]){c1, wconst}, 1, &c2);
    n = wp_graph_add_node(&g, WP_OP_CONV, "conv3", 2, (int[]){c2, weight(&g, "w3", 4, 32, 32, 3, 3, 0, 34)}, 1, &c3);
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    add_bn(&g, "bn", c2, 32, 35, &bn);
    n = wp_graph_add_node(&g, WP_OP_MAXPOOL, "pool", 1, &c1, 1, &mp);
    n->kernel[0] = n->kernel[1] = 2;
    n->stride[0] = n->stride[1] = 2;
    wp_graph_add_node(&g, WP_OP_FLATTEN, "flatten_c1", 1, &c1, 1, &fl);
    wp_graph_add_node(&g, WP_OP_ADD, "add_same", 2, (int[]){c3, bn}, 1, &a1);
    wp_graph_add_node(&g, WP_OP_ADD, "add_mixed", 2, (int[]){c2, c3}, 1, &a2);
    wp_graph_add_node(&g, WP_OP_CONCAT, "concat_mixed", 3, (int[]){c2, c1, a2}, 1, &cc);
    wp_graph_add_node(&g, WP_OP_GLOBALAVGPOOL, "gap", 1, &cc, 1, &gp);
    wp_graph_add_node(&g, WP_OP_FLATTEN, "flatten", 1, &gp, 1, &out);
    g.output = out;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    if (err.msg[0])
        fprintf(stderr, "%s\n", err.msg);
    /* Computed weights (the IR's shape inference wants constant ones, so
     * they are swapped in after it): this convolution has no oneDNN path
     * and runs the ref kernel, as ops without a native one do. */
    g.nodes[2].in[1] = wk;

    compare_backends(&g, "layouts auto");
    wp_runner *r = wp_runner_create(&g, WP_BACKEND_CPU, &err);
    CHECK(r != NULL);
    char l[32];
    if (r) {
        /* oneDNN's own choice for a 32-channel convolution is not nchw; the
         * ref node's output and views are plain. */
        layout_of(r, c1, l);
        CHECK(strcmp(l, "abcd") != 0);
        layout_of(r, c2, l);
        CHECK_STR(l, "abcd");
        layout_of(r, fl, l);
        CHECK_STR(l, "ab");
        layout_of(r, mp, l);
        CHECK(strcmp(l, "abcd") != 0);
        /* What wp_runner_read gives is plain: the pool of c1's own values. */
        CHECK_INT(wp_runner_run(r, NULL, &err), 0);
        float *x = malloc(16 * 14 * 14 * sizeof *x), *y = malloc(32 * 14 * 14 * sizeof *y),
              *p = malloc(32 * 7 * 7 * sizeof *p);
        CHECK_INT(wp_runner_read(r, c1, y, &err), 0);
        CHECK_INT(wp_runner_read(r, mp, p, &err), 0);
        float m = fmaxf(fmaxf(y[5 * 196 + 2 * 14 + 2], y[5 * 196 + 2 * 14 + 3]),
                        fmaxf(y[5 * 196 + 3 * 14 + 2], y[5 * 196 + 3 * 14 + 3]));
        CHECK_NEAR(p[5 * 49 + 1 * 7 + 1], m, 0);
        free(x);
        free(y);
        free(p);
        wp_runner_free(r);
    }
    wp_cpu_set_layout(WP_CPU_LAYOUT_PLAIN);
    compare_backends(&g, "layouts plain");
    r = wp_runner_create(&g, WP_BACKEND_CPU, &err);
    CHECK(r != NULL);
    if (r) {
        layout_of(r, c1, l);
        CHECK_STR(l, "abcd");
        layout_of(r, mp, l);
        CHECK_STR(l, "abcd");
        wp_runner_free(r);
    }
    wp_cpu_set_layout(WP_CPU_LAYOUT_AUTO);
    /* Not a cpu runner: no layout. */
    r = wp_runner_create(&g, WP_BACKEND_REF, &err);
    CHECK_INT(wp_cpu_tensor_layout(r, c1, l, sizeof l), -1);
    wp_runner_free(r);
    wp_graph_free(&g);
}

/* Conv + BatchNormalization + Clip, Conv + BatchNormalization and Conv +
 * Relu run as one convolution each; a chain whose inner tensor has another
 * reader or is a graph output is not fused. The fused results equal the
 * reference's (compare_backends), the absorbed layers name their
 * convolution, and the tensors inside a chain are refused by read. */
static void test_fusion(void)
{
    wp_graph g;
    wp_error err = {0};
    wp_graph_init(&g, "fusion");
    wp_dims in = {4, {1, 8, 10, 10}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int c1 = act(&g, "c1"), b1 = act(&g, "b1"), k1 = act(&g, "k1"), c2 = act(&g, "c2"), b2 = act(&g, "b2");
    int c3 = act(&g, "c3"), r3 = act(&g, "r3"), c4 = act(&g, "c4"), b4 = act(&g, "b4"), s4 = act(&g, "s4");
    wp_node *n = wp_graph_add_node(
        &g, WP_OP_CONV, "conv1", 3,
        (int[]){g.input, weight(&g, "w1", 4, 16, 8, 3, 3, 0, 41), weight(&g, "cb1", 1, 16, 0, 0, 0, 0, 42)}, 1, &c1);
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    add_bn(&g, "bn1", c1, 16, 43, &b1);
    n = wp_graph_add_node(&g, WP_OP_CLIP, "clip1", 1, &b1, 1, &k1);
    n->clip_min = 0.0f;
    n->clip_max = 0.5f;
    /* Depthwise, no bias: folding gives it one. */
    n = wp_graph_add_node(&g, WP_OP_CONV, "conv2_dw", 2, (int[]){k1, weight(&g, "w2", 4, 16, 1, 3, 3, 0, 47)}, 1, &c2);
    n->group = 16;
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    add_bn(&g, "bn2", c2, 16, 48, &b2);
    wp_graph_add_node(&g, WP_OP_CONV, "conv3", 2, (int[]){b2, weight(&g, "w3", 4, 8, 16, 1, 1, 0, 52)}, 1, &c3);
    wp_graph_add_node(&g, WP_OP_RELU, "relu3", 1, &c3, 1, &r3);
    /* c4 is also a graph output: conv4 runs alone and so does bn4. */
    wp_graph_add_node(&g, WP_OP_CONV, "conv4", 2, (int[]){r3, weight(&g, "w4", 4, 8, 8, 1, 1, 0, 53)}, 1, &c4);
    add_bn(&g, "bn4", c4, 8, 54, &b4);
    wp_graph_add_node(&g, WP_OP_RELU, "relu4", 1, &b4, 1, &s4);
    CHECK_INT(wp_graph_add_output(&g, s4), 0);
    CHECK_INT(wp_graph_add_output(&g, c4), 0);
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    compare_backends(&g, "fusion");
    wp_runner *r = wp_runner_create(&g, WP_BACKEND_CPU, &err);
    CHECK(r != NULL);
    if (r) {
        static const int want[] = {-1, 0, 0, -1, 3, -1, 5, -1, -1, -1};
        for (size_t i = 0; i < g.n_nodes; i++)
            CHECK_INT(wp_runner_fused_into(r, i), want[i]);
        char l[32];
        layout_of(r, c1, l);
        CHECK_STR(l, "fused");
        CHECK_INT(wp_runner_run(r, NULL, &err), 0);
        float *buf = malloc(16 * 10 * 10 * sizeof *buf);
        CHECK_INT(wp_runner_read(r, b1, buf, &err), -1);
        CHECK_CONTAINS(err.msg, "tensor 'b1' is not kept");
        CHECK_INT(wp_runner_read(r, c4, buf, &err), 0);
        free(buf);
        wp_runner_free(r);
    }
    /* Off: every node runs its own primitive. */
    wp_cpu_set_fusion(0);
    r = wp_runner_create(&g, WP_BACKEND_CPU, &err);
    CHECK(r != NULL);
    for (size_t i = 0; r && i < g.n_nodes; i++)
        CHECK_INT(wp_runner_fused_into(r, i), -1);
    wp_runner_free(r);
    compare_backends(&g, "fusion off");
    wp_cpu_set_fusion(1);
    /* Other backends fuse nothing. */
    r = wp_runner_create(&g, WP_BACKEND_REF, &err);
    CHECK_INT(wp_runner_fused_into(r, 1), -1);
    wp_runner_free(r);
    wp_graph_free(&g);
}

/* The same fusion after a dense layer (TensorRT folds a batch norm into a
 * fully connected layer too): Gemm (transB, beta on its bias) +
 * BatchNormalization + Relu; Gemm without transB, alpha 0.5 and no bias, +
 * BatchNormalization
 * (which gives it a bias) + Clip; a MatMul by a constant matrix + Relu;
 * a Gemm whose output is also a graph output runs alone, and so does the
 * Relu after it. Two rows, so each row's result is checked. */
static void test_dense_fusion(void)
{
    wp_graph g;
    wp_error err = {0};
    wp_graph_init(&g, "dense fusion");
    wp_dims in = {2, {2, 12}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int g1 = act(&g, "g1"), h1 = act(&g, "h1"), r1 = act(&g, "r1"), g2 = act(&g, "g2"), h2 = act(&g, "h2");
    int k2 = act(&g, "k2"), m3 = act(&g, "m3"), r3 = act(&g, "r3"), g4 = act(&g, "g4"), r4 = act(&g, "r4");
    wp_node *n = wp_graph_add_node(
        &g, WP_OP_GEMM, "fc1", 3,
        (int[]){g.input, weight(&g, "w1", 2, 16, 12, 0, 0, 0, 61), weight(&g, "b1", 1, 16, 0, 0, 0, 0, 62)}, 1, &g1);
    n->trans_b = 1;
    n->beta = 2.0f;
    add_bn(&g, "bn1", g1, 16, 63, &h1);
    wp_graph_add_node(&g, WP_OP_RELU, "relu1", 1, &h1, 1, &r1);
    n = wp_graph_add_node(&g, WP_OP_GEMM, "fc2", 2, (int[]){r1, weight(&g, "w2", 2, 16, 8, 0, 0, 0, 67)}, 1, &g2);
    n->alpha = 0.5f;
    add_bn(&g, "bn2", g2, 8, 68, &h2);
    n = wp_graph_add_node(&g, WP_OP_CLIP, "clip2", 1, &h2, 1, &k2);
    n->clip_min = 0.0f;
    n->clip_max = 0.25f;
    wp_graph_add_node(&g, WP_OP_MATMUL, "fc3", 2, (int[]){k2, weight(&g, "w3", 2, 8, 6, 0, 0, 0, 72)}, 1, &m3);
    wp_graph_add_node(&g, WP_OP_RELU, "relu3", 1, &m3, 1, &r3);
    n = wp_graph_add_node(&g, WP_OP_GEMM, "fc4", 2, (int[]){r3, weight(&g, "w4", 2, 4, 6, 0, 0, 0, 73)}, 1, &g4);
    n->trans_b = 1;
    wp_graph_add_node(&g, WP_OP_RELU, "relu4", 1, &g4, 1, &r4);
    CHECK_INT(wp_graph_add_output(&g, r4), 0);
    CHECK_INT(wp_graph_add_output(&g, g4), 0);
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    static const int want[] = {-1, 0, 0, -1, 3, 3, -1, 6, -1, -1};
    int plan[10];
    CHECK_INT(wp_graph_fusion_plan(&g, plan, &err), 5);
    for (size_t i = 0; i < g.n_nodes; i++)
        CHECK_INT(plan[i], want[i]);
    compare_backends(&g, "dense fusion");
    wp_runner *r = wp_runner_create(&g, WP_BACKEND_CPU, &err);
    CHECK(r != NULL);
    for (size_t i = 0; r && i < g.n_nodes; i++)
        CHECK_INT(wp_runner_fused_into(r, i), want[i]);
    wp_runner_free(r);
    wp_cpu_set_fusion(0);
    compare_backends(&g, "dense fusion off");
    wp_cpu_set_fusion(1);
    wp_graph_free(&g);
}

/* The ops PyTorch exports that run as oneDNN primitives too: unary
 * eltwise (Sigmoid, HardSwish, Gelu, Tanh, Sqrt) on the producer's layout,
 * Erf (wattprof's kernel, plain),
 * binary Add/Sub/Mul/Div with numpy broadcasting (the operands of Mul
 * swapped when only the second has the output's shape), batched MatMul
 * between activations and by a constant of lower rank. Every layer equals
 * the reference; outputs that oneDNN wrote stay in the blocked layout. */
static void test_exported_ops(void)
{
    wp_graph g;
    wp_error err = {0};
    wp_graph_init(&g, "exported");
    wp_dims in = {4, {1, 8, 6, 6}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int c = act(&g, "c"), sg = act(&g, "sg"), gp = act(&g, "gp"), se = act(&g, "se"), hs = act(&g, "hs");
    int ge = act(&g, "ge"), th = act(&g, "th"), ab = act(&g, "ab"), sq = act(&g, "sq"), sub = act(&g, "sub");
    int dv = act(&g, "dv"), rs = act(&g, "rs"), mm = act(&g, "mm"), tr = act(&g, "tr"), bm = act(&g, "bm");
    wp_node *n =
        wp_graph_add_node(&g, WP_OP_CONV, "conv", 2, (int[]){g.input, weight(&g, "w", 4, 32, 8, 3, 3, 0, 61)}, 1, &c);
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    wp_graph_add_node(&g, WP_OP_SIGMOID, "sigmoid", 1, &c, 1, &sg);
    wp_graph_add_node(&g, WP_OP_GLOBALAVGPOOL, "gap", 1, &sg, 1, &gp);
    wp_graph_add_node(&g, WP_OP_MUL, "mul_se", 2, (int[]){gp, c}, 1, &se); /* [1,32,1,1] * [1,32,6,6] */
    wp_graph_add_node(&g, WP_OP_HARDSWISH, "hardswish", 1, &se, 1, &hs);
    wp_graph_add_node(&g, WP_OP_GELU, "gelu", 1, &hs, 1, &ge);
    wp_graph_add_node(&g, WP_OP_TANH, "tanh", 1, &ge, 1, &th);
    /* Erf: the cpu backend's own vectorised kernel against libm's */
    int ef = act(&g, "ef");
    wp_graph_add_node(&g, WP_OP_ERF, "erf", 1, &th, 1, &ef);
    wp_graph_add_node(&g, WP_OP_MUL, "square", 2, (int[]){ef, ef}, 1, &ab);
    wp_graph_add_node(&g, WP_OP_SQRT, "sqrt", 1, &ab, 1, &sq);
    wp_graph_add_node(&g, WP_OP_SUB, "sub_const", 2, (int[]){sq, weight(&g, "k", 1, 6, 0, 0, 0, 0.5f, 62)}, 1, &sub);
    wp_graph_add_node(&g, WP_OP_DIV, "div_const", 2, (int[]){sub, weight(&g, "d", 4, 1, 32, 1, 1, 2.0f, 63)}, 1, &dv);
    n = wp_graph_add_node(&g, WP_OP_RESHAPE, "reshape", 1, &dv, 1, &rs);
    n->reshape = (wp_dims){3, {32, 6, 6}};
    wp_graph_add_node(&g, WP_OP_MATMUL, "matmul_const", 2, (int[]){rs, weight(&g, "m", 2, 6, 5, 0, 0, 0, 64)}, 1, &mm);
    n = wp_graph_add_node(&g, WP_OP_TRANSPOSE, "transpose", 1, &mm, 1, &tr);
    n->perm[0] = 0;
    n->perm[1] = 2;
    n->perm[2] = 1;
    wp_graph_add_node(&g, WP_OP_MATMUL, "matmul_act", 2, (int[]){mm, tr}, 1, &bm); /* [32,6,5] x [32,5,6] */
    g.output = bm;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    if (err.msg[0])
        fprintf(stderr, "%s\n", err.msg);
    CHECK_INT(g.tensors[bm].shape.d[2], 6);
    compare_backends(&g, "exported ops");
    wp_runner *r = wp_runner_create(&g, WP_BACKEND_CPU, &err);
    CHECK(r != NULL);
    if (r) {
        char l[32];
        layout_of(r, c, l);
        int blocked = strcmp(l, "abcd") != 0;
        /* Ran by oneDNN on the convolution's layout, not the ref kernel's plain. */
        const int ts[] = {sg, se, hs, ge, th};
        for (int k = 0; k < 5; k++) {
            char m[32];
            layout_of(r, ts[k], m);
            CHECK_STR(m, l);
        }
        CHECK(blocked);
        wp_runner_free(r);
    }
    wp_graph_free(&g);
}

static void test_zoo_networks(void)
{
    static const struct {
        const char *arch, *input;
    } cases[] = {{"lenet", NULL},
                 {"resnet18", "1x3x32x32"},
                 {"mobilenetv2", "1x3x32x32"},
                 {"squeezenet", "1x3x32x32"},
                 /* ReLU after depthwise convolutions (resnet8 has no layer kind
                  * resnet18 lacks) */
                 {"vww", "1x3x32x32"},
                 /* batch norms after dense layers, on NxC */
                 {"autoencoder", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        wp_graph g;
        wp_error err = {0};
        wp_dims d, *dp = NULL;
        if (cases[i].input) {
            wp_dims_parse(cases[i].input, &d, &err);
            dp = &d;
        }
        CHECK_INT(wp_zoo_build(cases[i].arch, dp, &g, &err), 0);
        compare_backends(&g, cases[i].arch);
        /* Unfused, every intermediate tensor is compared too. */
        wp_cpu_set_fusion(0);
        compare_backends(&g, cases[i].arch);
        wp_cpu_set_fusion(1);
        wp_graph_free(&g);
    }
}

static void test_errors(void)
{
    wp_backend b;
    wp_error err = {0};
    CHECK_INT(wp_backend_parse("tpu", &b, &err), -1);
    CHECK_CONTAINS(err.msg, "unknown backend 'tpu'");
    CHECK_INT(wp_backend_parse("cuda", &b, &err), 0);
    if (!wp_backend_available(WP_BACKEND_CUDA)) {
        wp_graph g;
        CHECK_INT(wp_zoo_build("lenet", NULL, &g, &err), 0);
        CHECK(wp_runner_create(&g, WP_BACKEND_CUDA, &err) == NULL);
        CHECK_CONTAINS(err.msg, "cuDNN");
        wp_graph_free(&g);
    }
}

/* 1 when a CUDA runtime library is mapped into this process, 0 when not,
 * -1 when /proc/self/maps cannot tell. */
static int cuda_libs_mapped(void)
{
    char *maps = test_read_file("/proc/self/maps");
    if (!maps)
        return -1;
    int found = strstr(maps, "libcudart") || strstr(maps, "libcudnn") || strstr(maps, "libcublas");
    free(maps);
    return found;
}

/* Where the CUDA runner is built and a GPU is there: the same comparisons. */
static int test_cuda(void)
{
    /* The library links no CUDA library: only a cuda runner loads them
     * (through the libwattprof_cuda module). */
    CHECK(cuda_libs_mapped() != 1);
    TEST_SKIP_UNLESS(wp_backend_available(WP_BACKEND_CUDA),
                     "cuda backend not built (needs the CUDA toolkit and cuDNN)");
    wp_graph g;
    wp_error err = {0};
    CHECK_INT(wp_zoo_build("lenet", NULL, &g, &err), 0);
    wp_runner *r = wp_runner_create(&g, WP_BACKEND_CUDA, &err);
    if (!strstr(err.msg, "is not available"))
        CHECK(cuda_libs_mapped() != 0);
    if (!r) {
        CHECK_CONTAINS(err.msg, "CUDA");
        printf("skip: cuda backend built but not runnable here: %s\n", err.msg);
        wp_graph_free(&g);
        return 77;
    }
    wp_runner_free(r);
    compare_with(&g, WP_BACKEND_CUDA, "cuda lenet");
    wp_graph_free(&g);
    wp_dims d = {4, {1, 3, 32, 32}};
    static const char *const archs[] = {"resnet18", "mobilenetv2"};
    for (int i = 0; i < 2; i++) {
        CHECK_INT(wp_zoo_build(archs[i], &d, &g, &err), 0);
        compare_with(&g, WP_BACKEND_CUDA, archs[i]);
        wp_graph_free(&g);
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* `test_runner cuda` (CTest's test_runner.cuda): the cuda backend alone;
     * 77 where it is not built or no GPU is there. */
    if (argc > 1 && strcmp(argv[1], "cuda") == 0) {
        int skip = test_cuda();
        int rc = test_summary();
        return rc == 0 && skip == 77 ? 77 : rc;
    }
    test_errors();
    /* The library links no CUDA library: only a cuda runner loads them. */
    CHECK(cuda_libs_mapped() != 1);
    if (!wp_backend_available(WP_BACKEND_CPU)) {
        printf("skip: oneDNN (libdnnl-dev) was not found at configure time; cpu backend not built\n");
        test_summary();
        return 77;
    }
    test_ops();
    /* The old behaviour (every tensor plain) stays exact too. */
    wp_cpu_set_layout(WP_CPU_LAYOUT_PLAIN);
    test_ops();
    wp_cpu_set_layout(WP_CPU_LAYOUT_AUTO);
    test_layouts();
    test_fusion();
    test_dense_fusion();
    test_exported_ops();
    test_zoo_networks();
    return test_summary();
}
