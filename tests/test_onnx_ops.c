/* The operators PyTorch exports, each in a small hand-built ONNX file
 * (tests/onnx_pb.h, no python needed): imported, run on the ref and (where
 * built) cpu backends, and compared with values computed here from the
 * operator's definition. Also: shape sub-graphs folded at import, several
 * graph outputs, and the one error that lists every unsupported operator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_pb.h"
#include "testutil.h"
#include "wattprof/dataset.h"
#include "wattprof/engine.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"

#define A(...) ((int64_t[])__VA_ARGS__)
#define ND(a) ((int)(sizeof(a) / sizeof(a)[0]))
#define FEAT(row, name) wp_feature_get(&(row), name)

typedef double (*expect_fn)(int64_t i, const float *x);

typedef struct {
    const char *name;
    const char *shape; /* expected, "1x3x2x4" */
    expect_fn f;
} want_out;

/* Reads path, runs it on every available backend with input x and checks
 * each listed output's shape and values. */
static void check_file(const char *path, const float *x, const want_out *outs, size_t n_outs)
{
    wp_graph g;
    wp_error err;
    if (wp_onnx_read(path, NULL, &g, &err) != 0) {
        test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    CHECK_INT(g.n_outputs, n_outs);
    for (int b = 0; b < 2; b++) {
        wp_backend be = b ? WP_BACKEND_CPU : WP_BACKEND_REF;
        if (!wp_backend_available(be))
            continue;
        wp_runner *r = wp_runner_create(&g, be, &err);
        if (!r) {
            test_fail_at(__FILE__, __LINE__, "%s: %s", wp_backend_name(be), err.msg);
            continue;
        }
        CHECK_INT(wp_runner_set_input(r, x, &err), 0);
        CHECK_INT(wp_runner_run(r, NULL, &err), 0);
        for (size_t k = 0; k < n_outs; k++) {
            int t = wp_graph_find_tensor(&g, outs[k].name);
            CHECK(t >= 0);
            if (t < 0)
                continue;
            CHECK_INT(g.outputs[k], t);
            char s[96];
            CHECK_STR(wp_dims_format(&g.tensors[t].shape, s, sizeof s), outs[k].shape);
            int64_t n = wp_dims_count(&g.tensors[t].shape);
            float *y = malloc((size_t)n * sizeof *y);
            CHECK_INT(wp_runner_read(r, t, y, &err), 0);
            int bad = 0;
            for (int64_t i = 0; i < n; i++) {
                double w = outs[k].f(i, x);
                if (!(fabs(y[i] - w) <= 1e-5 * (1 + fabs(w)))) {
                    if (bad++ < 3)
                        test_fail_at(__FILE__, __LINE__, "%s %s[%lld] = %.9g, expected %.9g", wp_backend_name(be),
                                     outs[k].name, (long long)i, y[i], w);
                }
            }
            if (!bad)
                test_passed++;
            free(y);
        }
        wp_runner_free(r);
    }
    wp_graph_free(&g);
}

/* ---- elementwise, X 1x3x2x4 ---- */

static const float c3[3] = {0.5f, -1.0f, 2.0f}, cw[4] = {1, 2, 3, 4};
#define CH(i) (((i) / 8) % 3)
#define W4(i) ((i) % 4)
static double e_sig(int64_t i, const float *x)
{
    return 1 / (1 + exp(-x[i]));
}
static double e_hsig(int64_t i, const float *x)
{
    return fmin(1, fmax(0, 0.3 * x[i] + 0.4));
}
static double e_hsw(int64_t i, const float *x)
{
    return x[i] * fmin(1, fmax(0, x[i] / 6 + 0.5));
}
static double e_erf(int64_t i, const float *x)
{
    return erf(x[i]);
}
static double e_tanh(int64_t i, const float *x)
{
    return tanh(x[i]);
}
static double e_abs(int64_t i, const float *x)
{
    return fabs(x[i]);
}
static double e_mul(int64_t i, const float *x)
{
    return x[i] * c3[CH(i)];
}
static double e_sub(int64_t i, const float *x)
{
    return 1.5 - x[i];
}
static double e_div(int64_t i, const float *x)
{
    return x[i] / cw[W4(i)];
}
static double e_add(int64_t i, const float *x)
{
    return x[i] + cw[W4(i)];
}
static double e_clip(int64_t i, const float *x)
{
    return fmin(0.5, fmax(-1, x[i]));
}
static double e_gelu(int64_t i, const float *x)
{
    return 0.5 * x[i] * (1 + erf(x[i] / sqrt(2.0)));
}
static double e_relu(int64_t i, const float *x)
{
    return x[i] > 0 ? x[i] : 0;
}

static void test_elementwise(const char *dir)
{
    pb_graph gr = {0};
    pb_value(&gr, 11, "X", A({1, 3, 2, 4}), 4);
    pb_init_f(&gr, "c3", A({3, 1, 1}), 3, c3);
    pb_init_f(&gr, "cs", NULL, 0, (float[]){1.5f});
    pb_init_f(&gr, "cw", A({4}), 1, cw);
    pb_node(&gr, "Sigmoid", "sig", "X", "sig", 0);
    pb_node(&gr, "HardSigmoid", "hsig", "X", "hsig", 2, pb_attr_float("alpha", 0.3f), pb_attr_float("beta", 0.4f));
    pb_node(&gr, "HardSwish", "hsw", "X", "hsw", 0);
    pb_node(&gr, "Erf", "erf", "X", "erf", 0);
    pb_node(&gr, "Tanh", "tanh", "X", "tanh", 0);
    pb two = pb_tensor(NULL, 0, NULL, 0, (float[]){2.0f});
    pb_node(&gr, "Constant", "two", "", "two", 1, pb_attr_tensor("value", &two));
    pb_node(&gr, "Pow", "pow", "X,two", "sq", 0);
    pb_node(&gr, "Sqrt", "sqrt", "sq", "abs", 0);
    pb_node(&gr, "Identity", "c3id", "c3", "c3b", 0);
    pb_node(&gr, "Mul", "mul", "X,c3b", "mul", 0);
    pb_node(&gr, "Sub", "sub", "cs,X", "sub", 0);
    pb_node(&gr, "Div", "div", "X,cw", "div", 0);
    pb_node(&gr, "Add", "add", "X,cw", "add", 0);
    pb mn = pb_tensor(NULL, 0, NULL, 0, (float[]){-1.0f}), mx = pb_tensor(NULL, 0, NULL, 0, (float[]){0.5f});
    pb_node(&gr, "Constant", "mn", "", "mn", 1, pb_attr_tensor("value", &mn));
    pb_node(&gr, "Constant", "mx", "", "mx", 1, pb_attr_tensor("value", &mx));
    pb_node(&gr, "Clip", "clip", "X,mn,mx", "clip", 0);
    pb_node(&gr, "Gelu", "gelu", "X", "gelu", 0);
    pb_node(&gr, "Identity", "xid", "X", "xid", 0);
    pb_node(&gr, "Relu", "relu", "xid", "relu", 0);
    const want_out outs[] = {{"sig", "1x3x2x4", e_sig},  {"hsig", "1x3x2x4", e_hsig}, {"hsw", "1x3x2x4", e_hsw},
                             {"erf", "1x3x2x4", e_erf},  {"tanh", "1x3x2x4", e_tanh}, {"abs", "1x3x2x4", e_abs},
                             {"mul", "1x3x2x4", e_mul},  {"sub", "1x3x2x4", e_sub},   {"div", "1x3x2x4", e_div},
                             {"add", "1x3x2x4", e_add},  {"clip", "1x3x2x4", e_clip}, {"gelu", "1x3x2x4", e_gelu},
                             {"relu", "1x3x2x4", e_relu}};
    for (size_t k = 0; k < ND(outs); k++)
        pb_value(&gr, 12, outs[k].name, NULL, 0);
    const char *path = test_path(dir, "elementwise.onnx");
    CHECK_INT(pb_write_model(&gr, 13, path), 0);
    float x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)(i - 11.5) / 6.0f;
    check_file(path, x, outs, ND(outs));
}

/* ---- shape sub-graph (ShuffleNet's channel shuffle), Split, Slice,
 * ReduceMean, Pad, Gather, Expand; X 1x4x2x2 ---- */

#define C4(i) (((i) / 4) % 4)
#define P4(i) ((i) % 4)
static double s_shuffle(int64_t i, const float *x)
{
    int64_t c = C4(i), k = c / 2, g = c % 2;
    return x[(g * 2 + k) * 4 + P4(i)];
}
static double s_split1(int64_t i, const float *x)
{
    return s_shuffle(i, x);
}
static double s_split2(int64_t i, const float *x)
{
    return s_shuffle(i + 4, x);
}
static double s_slice(int64_t i, const float *x)
{
    return x[(3 - 2 * (i / 4)) * 4 + i % 4];
}
static double s_mean_hw(int64_t i, const float *x)
{
    return (x[i * 4] + x[i * 4 + 1] + x[i * 4 + 2] + x[i * 4 + 3]) / 4;
}
static double s_mean_hw30(int64_t i, const float *x)
{
    double s = 0;
    for (int k = 0; k < 30; k++)
        s += x[i * 30 + k];
    return s / 30;
}
static double s_mean_c8(int64_t i, const float *x)
{
    double s = 0;
    for (int c = 0; c < 8; c++)
        s += x[c * 30 + i];
    return s / 8;
}
static double s_mean_w5(int64_t i, const float *x)
{
    double s = 0;
    for (int k = 0; k < 5; k++)
        s += x[i * 5 + k];
    return s / 5;
}
static double s_mean_w(int64_t i, const float *x)
{
    return (x[i * 2] + x[i * 2 + 1]) / 2;
}
static double s_pad(int64_t i, const float *x)
{
    /* 1x4x3x4: one row on top, two columns on the right, value 0.5. */
    int64_t c = i / 12, h = (i / 4) % 3 - 1, w = i % 4;
    return h < 0 || w >= 2 ? 0.5 : x[c * 4 + h * 2 + w];
}
static double s_gather(int64_t i, const float *x)
{
    return x[2 * 4 + i];
}
static double s_expand(int64_t i, const float *x)
{
    return x[i] + (i % 2 ? 20 : 10);
}

static void test_shapes(const char *dir, int opset)
{
    pb_graph gr = {0};
    pb_value(&gr, 11, "X", A({1, 4, 2, 2}), 4);
    pb_init_i(&gr, "target", A({4}), 1, A({1, -1, 2, 2}));
    pb_node(&gr, "Shape", "shape", "X", "s", 0);
    pb i0 = pb_tensor(NULL, 1, NULL, 0, A({0})), i1 = pb_tensor(NULL, 1, NULL, 0, A({1}));
    pb c2 = pb_tensor(NULL, 1, NULL, 0, A({2})), ax = pb_tensor(NULL, 1, A({1}), 1, A({0}));
    pb g2 = pb_tensor(NULL, 1, A({1}), 1, A({2})), m1 = pb_tensor(NULL, 1, A({1}), 1, A({-1}));
    pb_node(&gr, "Constant", "i0", "", "i0", 1, pb_attr_tensor("value", &i0));
    pb_node(&gr, "Constant", "i1", "", "i1", 1, pb_attr_tensor("value", &i1));
    pb_node(&gr, "Constant", "c2", "", "c2", 1, pb_attr_tensor("value", &c2));
    pb_node(&gr, "Constant", "g2", "", "g2", 1, pb_attr_tensor("value", &g2));
    pb_node(&gr, "Constant", "m1", "", "m1", 1, pb_attr_tensor("value", &m1));
    pb_node(&gr, "Gather", "gn", "s,i0", "n", 1, pb_attr_int("axis", 0));
    pb_node(&gr, "Gather", "gc", "s,i1", "c", 1, pb_attr_int("axis", 0));
    pb_node(&gr, "Div", "half", "c,c2", "half", 0);
    if (opset >= 13) {
        pb_node(&gr, "Constant", "ax", "", "ax", 1, pb_attr_tensor("value", &ax));
        pb_node(&gr, "Unsqueeze", "un", "n,ax", "un", 0);
        pb_node(&gr, "Unsqueeze", "uh", "half,ax", "uh", 0);
    } else {
        free(ax.p);
        pb_node(&gr, "Unsqueeze", "un", "n", "un", 1, pb_attr_ints("axes", A({0}), 1));
        pb_node(&gr, "Unsqueeze", "uh", "half", "uh", 1, pb_attr_ints("axes", A({0}), 1));
    }
    pb_node(&gr, "Concat", "cat", "un,g2,uh,m1", "shape1", 1, pb_attr_int("axis", 0));
    pb_node(&gr, "Reshape", "r1", "X,shape1", "r1", 0);
    pb_node(&gr, "Transpose", "tr", "r1", "t", 1, pb_attr_ints("perm", A({0, 2, 1, 3}), 4));
    pb_node(&gr, "Reshape", "r2", "t,target", "y", 0);
    if (opset >= 13) {
        pb_init_i(&gr, "sizes", A({2}), 1, A({1, 3}));
        pb_node(&gr, "Split", "split", "y,sizes", "s1,s2", 1, pb_attr_int("axis", 1));
    } else {
        pb_node(&gr, "Split", "split", "y", "s1,s2", 2, pb_attr_int("axis", 1), pb_attr_ints("split", A({1, 3}), 2));
    }
    pb_init_i(&gr, "st", A({1}), 1, A({-1}));
    pb_init_i(&gr, "en", A({1}), 1, A({-1000}));
    pb_init_i(&gr, "axs", A({1}), 1, A({1}));
    pb_init_i(&gr, "stp", A({1}), 1, A({-2}));
    pb_node(&gr, "Slice", "slice", "X,st,en,axs,stp", "sl", 0);
    pb_node(&gr, "ReduceMean", "mean_hw", "X", "mhw", 2, pb_attr_ints("axes", A({2, 3}), 2),
            pb_attr_int("keepdims", 1));
    pb_node(&gr, "ReduceMean", "mean_w", "X", "mw", 2, pb_attr_ints("axes", A({-1}), 1), pb_attr_int("keepdims", 0));
    pb_init_i(&gr, "pads", A({8}), 1, A({0, 0, 1, 0, 0, 0, 0, 2}));
    pb_init_f(&gr, "pv", NULL, 0, (float[]){0.5f});
    pb_node(&gr, "Pad", "pad", "X,pads,pv", "pd", 0);
    pb_init_i(&gr, "two", NULL, 0, A({2}));
    pb_node(&gr, "Gather", "gather", "X,two", "ga", 1, pb_attr_int("axis", 1));
    pb_init_f(&gr, "e", A({1, 1, 1, 2}), 4, (float[]){10, 20});
    pb_node(&gr, "Expand", "expand", "e,s", "ex", 0);
    pb_node(&gr, "Add", "addex", "X,ex", "xe", 0);
    const want_out outs[] = {{"y", "1x4x2x2", s_shuffle}, {"s1", "1x1x2x2", s_split1},   {"s2", "1x3x2x2", s_split2},
                             {"sl", "1x2x2x2", s_slice},  {"mhw", "1x4x1x1", s_mean_hw}, {"mw", "1x4x2", s_mean_w},
                             {"pd", "1x4x3x4", s_pad},    {"ga", "1x2x2", s_gather},     {"xe", "1x4x2x2", s_expand}};
    for (size_t k = 0; k < ND(outs); k++)
        pb_value(&gr, 12, outs[k].name, NULL, 0);
    char file[64];
    snprintf(file, sizeof file, "shapes%d.onnx", opset);
    const char *path = test_path(dir, file);
    CHECK_INT(pb_write_model(&gr, opset, path), 0);
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i * 7 % 16) - 5.0f;
    check_file(path, x, outs, ND(outs));
    /* The shape computation left no runtime node behind. */
    wp_graph g;
    wp_error err;
    CHECK_INT(wp_onnx_read(path, NULL, &g, &err), 0);
    for (size_t i = 0; i < g.n_nodes; i++)
        CHECK(strcmp(g.nodes[i].name, "shape") != 0 && strcmp(g.nodes[i].name, "cat") != 0);
    wp_graph_free(&g);
}

/* ---- transformer pieces, X 1x3x4 ---- */

static const float lns[4] = {1, 2, 0.5f, -1}, lnb[4] = {0, 0.25f, 1, -2};
static const float lw[8] = {1, 0, -1, 2, 0.5f, 1, 3, -2}; /* 4x2 */
static double t_ln(int64_t i, const float *x)
{
    const float *r = x + (i / 4) * 4;
    double m = (r[0] + r[1] + r[2] + r[3]) / 4, v = 0;
    for (int k = 0; k < 4; k++)
        v += (r[k] - m) * (r[k] - m);
    return (x[i] - m) / sqrt(v / 4 + 1e-5) * lns[i % 4] + lnb[i % 4];
}
static double t_softmax(int64_t i, const float *x)
{
    /* axis 1 of 1x3x4: over the three rows of column i % 4. */
    double s = 0;
    for (int k = 0; k < 3; k++)
        s += exp(x[k * 4 + i % 4]);
    return exp(x[i]) / s;
}
static double t_mm(int64_t i, const float *x)
{
    int64_t a = i / 3, b = i % 3;
    double s = 0;
    for (int k = 0; k < 4; k++)
        s += (double)x[a * 4 + k] * x[b * 4 + k];
    return s;
}
static double t_lin(int64_t i, const float *x)
{
    int64_t a = i / 2, b = i % 2;
    double s = 0;
    for (int k = 0; k < 4; k++)
        s += (double)x[a * 4 + k] * lw[k * 2 + b];
    return s;
}

static void test_transformer(const char *dir)
{
    pb_graph gr = {0};
    pb_value(&gr, 11, "X", A({1, 3, 4}), 3);
    pb_init_f(&gr, "lns", A({4}), 1, lns);
    pb_init_f(&gr, "lnb", A({4}), 1, lnb);
    pb_init_f(&gr, "lw", A({4, 2}), 2, lw);
    pb_node(&gr, "LayerNormalization", "ln", "X,lns,lnb", "ln", 2, pb_attr_int("axis", -1),
            pb_attr_float("epsilon", 1e-5f));
    pb_node(&gr, "Softmax", "sm", "X", "sm", 1, pb_attr_int("axis", 1));
    pb_node(&gr, "Transpose", "xt", "X", "xt", 1, pb_attr_ints("perm", A({0, 2, 1}), 3));
    pb_node(&gr, "MatMul", "mm", "X,xt", "mm", 0);
    pb_node(&gr, "MatMul", "lin", "X,lw", "lin", 0);
    const want_out outs[] = {
        {"ln", "1x3x4", t_ln}, {"sm", "1x3x4", t_softmax}, {"mm", "1x3x3", t_mm}, {"lin", "1x3x2", t_lin}};
    for (size_t k = 0; k < ND(outs); k++)
        pb_value(&gr, 12, outs[k].name, NULL, 0);
    const char *path = test_path(dir, "transformer.onnx");
    CHECK_INT(pb_write_model(&gr, 17, path), 0);
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)((i * 5) % 12) / 4.0f - 1.0f;
    check_file(path, x, outs, ND(outs));
}

/* ---- Resize / Upsample, X 1x1x2x2 = 1 2 / 3 4 ---- */

static double r_nearest(int64_t i, const float *x)
{
    return x[(i / 4 / 2) * 2 + (i % 4) / 2];
}
static double r_linear(int64_t i, const float *x)
{
    static const double cols[4][2] = {{1, 0}, {0.75, 0.25}, {0.25, 0.75}, {0, 1}};
    const float *r = x + (i / 4) * 2;
    return cols[i % 4][0] * r[0] + cols[i % 4][1] * r[1];
}

static void test_resize(const char *dir)
{
    pb_graph gr = {0};
    pb_value(&gr, 11, "X", A({1, 1, 2, 2}), 4);
    pb_init_f(&gr, "scales", A({4}), 1, (float[]){1, 1, 2, 2});
    pb_init_i(&gr, "sizes", A({4}), 1, A({1, 1, 2, 4}));
    pb_node(&gr, "Resize", "near", "X,,scales", "near", 1, pb_attr_str("mode", "nearest"));
    pb_node(&gr, "Resize", "lin", "X,,,sizes", "lin", 1, pb_attr_str("mode", "linear"));
    const want_out outs[] = {{"near", "1x1x4x4", r_nearest}, {"lin", "1x1x2x4", r_linear}};
    for (size_t k = 0; k < ND(outs); k++)
        pb_value(&gr, 12, outs[k].name, NULL, 0);
    const char *path = test_path(dir, "resize.onnx");
    CHECK_INT(pb_write_model(&gr, 13, path), 0);
    const float x[4] = {1, 2, 3, 4};
    check_file(path, x, outs, ND(outs));

    pb_graph up = {0};
    pb_value(&up, 11, "X", A({1, 1, 2, 2}), 4);
    pb_init_f(&up, "scales", A({4}), 1, (float[]){1, 1, 2, 2});
    pb_node(&up, "Upsample", "up", "X,scales", "near", 1, pb_attr_str("mode", "nearest"));
    pb_value(&up, 12, "near", NULL, 0);
    path = test_path(dir, "upsample.onnx");
    CHECK_INT(pb_write_model(&up, 9, path), 0);
    check_file(path, x, outs, 1);
}

/* ---- errors ---- */

static void test_errors(const char *dir)
{
    wp_graph g;
    wp_error err;
    pb_graph gr = {0};
    pb_value(&gr, 11, "X", A({1, 2, 2, 2}), 4);
    pb_node(&gr, "Foo", "f1", "X", "a", 0);
    pb_node(&gr, "Relu", "r", "a", "b", 0);
    pb_node(&gr, "Bar", "b1", "b", "c", 0);
    pb_node(&gr, "Foo", "f2", "c", "d", 0);
    pb_value(&gr, 12, "d", NULL, 0);
    const char *path = test_path(dir, "unknown.onnx");
    CHECK_INT(pb_write_model(&gr, 13, path), 0);
    CHECK_INT(wp_onnx_read(path, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "unknown.onnx");
    CHECK_CONTAINS(err.msg, "unsupported operators: Foo x2, Bar x1");
    CHECK_CONTAINS(err.msg, "node 'f1'");
    wp_graph_free(&g);

    /* Supported only on constants: Expand of an activation. */
    pb_graph ex = {0};
    pb_value(&ex, 11, "X", A({1, 2, 1, 1}), 4);
    pb_init_i(&ex, "shape", A({4}), 1, A({1, 2, 3, 3}));
    pb_node(&ex, "Expand", "grow", "X,shape", "y", 0);
    pb_value(&ex, 12, "y", NULL, 0);
    path = test_path(dir, "expand.onnx");
    CHECK_INT(pb_write_model(&ex, 13, path), 0);
    CHECK_INT(wp_onnx_read(path, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "node 'grow' (Expand)");
    wp_graph_free(&g);

    /* Reflect padding and operands that do not broadcast name the node. */
    pb_graph pd = {0};
    pb_value(&pd, 11, "X", A({1, 2, 2, 2}), 4);
    pb_init_i(&pd, "pads", A({8}), 1, A({0, 0, 1, 1, 0, 0, 1, 1}));
    pb_node(&pd, "Pad", "refl", "X,pads", "y", 1, pb_attr_str("mode", "reflect"));
    pb_value(&pd, 12, "y", NULL, 0);
    path = test_path(dir, "reflect.onnx");
    CHECK_INT(pb_write_model(&pd, 13, path), 0);
    CHECK_INT(wp_onnx_read(path, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "node 'refl' (Pad)");
    CHECK_CONTAINS(err.msg, "reflect");
    wp_graph_free(&g);

    pb_graph bc = {0};
    pb_value(&bc, 11, "X", A({1, 2, 2, 3}), 4);
    pb_init_f(&bc, "k", A({2}), 1, (float[]){1, 2});
    pb_node(&bc, "Mul", "scale", "X,k", "y", 0);
    pb_value(&bc, 12, "y", NULL, 0);
    path = test_path(dir, "broadcast.onnx");
    CHECK_INT(pb_write_model(&bc, 13, path), 0);
    CHECK_INT(wp_onnx_read(path, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "node 'scale' (Mul)");
    CHECK_CONTAINS(err.msg, "do not broadcast");
    wp_graph_free(&g);

    /* An empty name where an operand is required is a clean error. (The
     * folded case, a unary op whose one input is named "\0", read through
     * a null buffer; tests/fuzz/regress/onnx replays it under ASan+UBSan.) */
    pb_graph em = {0};
    pb_value(&em, 11, "X", A({1, 2}), 2);
    pb_init_f(&em, "k", A({2}), 1, (float[]){1, 2});
    pb_node(&em, "Mul", "half", ",k", "c", 0);
    pb_node(&em, "Add", "add", "X,c", "y", 0);
    pb_value(&em, 12, "y", NULL, 0);
    path = test_path(dir, "empty_input.onnx");
    CHECK_INT(pb_write_model(&em, 13, path), 0);
    CHECK_INT(wp_onnx_read(path, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "empty_input.onnx");
    CHECK_CONTAINS(err.msg, "node 'half' (Mul)");
    wp_graph_free(&g);
}

/* ReduceMean over H and W (ShuffleNet's x.mean([2, 3]), keepdims 0 or 1)
 * is described as a global average pooling, with exactly the features of a
 * GlobalAveragePool and of a TensorRT 10 kgen reduction of the same shapes;
 * a ReduceMean over channels or over W alone is no pooling (a reduction,
 * of the normalization kind). */
static void test_reduce_pooling(const char *dir)
{
    pb_graph gr = {0};
    pb_value(&gr, 11, "X", A({1, 8, 6, 5}), 4);
    pb_node(&gr, "ReduceMean", "mean_hw", "X", "m0", 2, pb_attr_ints("axes", A({2, 3}), 2), pb_attr_int("keepdims", 0));
    pb_node(&gr, "ReduceMean", "mean_hw_keep", "X", "m1", 2, pb_attr_ints("axes", A({-2, -1}), 2),
            pb_attr_int("keepdims", 1));
    pb_node(&gr, "GlobalAveragePool", "gap", "X", "m2", 0);
    pb_node(&gr, "ReduceMean", "mean_c", "X", "m3", 2, pb_attr_ints("axes", A({1}), 1), pb_attr_int("keepdims", 1));
    pb_node(&gr, "ReduceMean", "mean_w", "X", "m4", 2, pb_attr_ints("axes", A({3}), 1), pb_attr_int("keepdims", 1));
    static const char *const outs[] = {"m0", "m1", "m2", "m3", "m4"};
    for (int k = 0; k < ND(outs); k++)
        pb_value(&gr, 12, outs[k], NULL, 0);
    const char *path = test_path(dir, "reduce_pool.onnx");
    CHECK_INT(pb_write_model(&gr, 13, path), 0);
    const char *kgen = test_path(dir, "reduce_pool_trt10.json");
    test_write_file(kgen,
                    "{\"Layers\": [\n"
                    "{\"Name\": \"__myl_ReduMean_myl0_3\", \"LayerType\": \"kgen\",\n"
                    " \"Inputs\": [{\"Name\": \"X\", \"Dimensions\": [1,8,6,5], \"Format/Datatype\": \"Float\"}],\n"
                    " \"Outputs\": [{\"Name\": \"m0\", \"Dimensions\": [1,8], \"Format/Datatype\": \"Float\"}],\n"
                    " \"Metadata\": \"[ONNX Layer: /ReduceMean]\"}]}\n");
    wp_graph g;
    wp_engine eng = {0}, trt = {0};
    wp_error err = {0};
    CHECK_INT(wp_onnx_read(path, NULL, &g, &err), 0);
    CHECK_INT(wp_graph_to_engine(&g, &eng, &err), 0);
    CHECK_INT(wp_engine_read(kgen, &trt, &err), 0);
    CHECK_INT(eng.n, 5);
    CHECK_INT(trt.n, 1);
    if (eng.n == 5 && trt.n == 1) {
        const wp_engine_layer *want = &eng.layers[2]; /* GlobalAveragePool */
        CHECK_STR(want->type, "CaskPooling");
        wp_feature_row fw, f;
        CHECK_INT(wp_layer_features(want, WP_KIND_POOL, &fw, &err), 0);
        CHECK_INT(FEAT(fw, "global_pooling"), 1);
        CHECK_INT(FEAT(fw, "kernel_0"), 6);
        CHECK_INT(FEAT(fw, "kernel_1"), 5);
        CHECK_INT(FEAT(fw, "ops"), 8 * 6 * 5);
        const wp_engine_layer *same[] = {&eng.layers[0], &eng.layers[1], &trt.layers[0]};
        for (int k = 0; k < 3; k++) {
            const wp_engine_layer *l = same[k];
            CHECK_INT(wp_layer_model_kind(l), WP_KIND_POOL);
            CHECK_STR(l->pooling_type, "AVERAGE");
            CHECK_INT(l->output.n, 4);
            CHECK_INT(wp_layer_features(l, WP_KIND_POOL, &f, &err), 0);
            CHECK_INT(f.n, fw.n);
            for (size_t i = 0; i < f.n && i < fw.n; i++)
                if (f.values[i] != fw.values[i]) {
                    fprintf(stderr, "layer %s: feature %s is %g, GlobalAveragePool's %g\n", l->name, f.names[i],
                            f.values[i], fw.values[i]);
                    CHECK(0);
                }
        }
        CHECK_STR(eng.layers[0].type, "CaskPooling");
        /* no pooling: a reduction, modelled with normalization's work */
        CHECK_INT(wp_layer_model_kind(&eng.layers[3]), WP_KIND_NORM);
        CHECK_STR(eng.layers[3].type, "Reduce");
        CHECK_INT(wp_layer_model_kind(&eng.layers[4]), WP_KIND_NORM);
    }
    CHECK_STR(wp_graph_layer_type(&g, &g.nodes[0]), "CaskPooling");
    CHECK_STR(wp_graph_layer_type(&g, &g.nodes[3]), "Reduce");
    wp_engine_free(&eng);
    wp_engine_free(&trt);
    wp_graph_free(&g);
    /* It still computes the mean. */
    float x[240];
    for (int i = 0; i < 240; i++)
        x[i] = (float)(i % 17) - 3.0f;
    const want_out w[] = {{"m0", "1x8", s_mean_hw30},
                          {"m1", "1x8x1x1", s_mean_hw30},
                          {"m2", "1x8x1x1", s_mean_hw30},
                          {"m3", "1x1x6x5", s_mean_c8},
                          {"m4", "1x8x6x1", s_mean_w5}};
    check_file(path, x, w, ND(w));
}

int main(void)
{
    TEST_SKIP_UNLESS(wp_onnx_supported(), "ONNX support not built (needs protobuf-c and libonnx-dev)");
    const char *dir = test_tmpdir();
    test_elementwise(dir);
    test_shapes(dir, 11);
    test_shapes(dir, 13);
    test_transformer(dir);
    test_resize(dir);
    test_errors(dir);
    test_reduce_pooling(dir);
    return test_summary();
}
