/* A model for every layer: a small network through ONNX with batch norm,
 * ReLU, Add, Concat, Reshape and Softmax layers gets every layer predicted
 * once `train` has data for those kinds; its total is the sum over all of
 * them. The original's configuration leaves those kinds out (no model
 * files), and predict then lists them as not modelled. A layer of a type
 * no model covers is listed with its reason and its share of the estimated
 * time. Training data is synthetic, written here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the fixture writer is header-only; this test needs part of it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "onnx_pb.h"
#pragma GCC diagnostic pop
#include "fast_models.h"
#include "testutil.h"
#include "train_fixture.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"
#include "wattprof/model.h"
#include "wattprof/onnx.h"

static const wp_layer_kind extra_kinds[] = {WP_KIND_NORM, WP_KIND_ACT, WP_KIND_ELTWISE, WP_KIND_SHAPE, WP_KIND_SOFTMAX};

/* X[1,4,8,8] -> Conv 3x3 -> BatchNorm -> Relu -> Conv 1x1 -> Add(relu) ->
 * Concat(relu) -> MaxPool -> Reshape -> Gemm -> Softmax */
static void write_net(const char *path)
{
    pb_graph gr = {0};
    static float w2[8 * 8], fc[64 * 10], fb[10];
    pb_ramp(w2, sizeof w2 / sizeof *w2, 5, 0.1f);
    pb_ramp(fc, sizeof fc / sizeof *fc, 3, 0.05f);
    pb_init_f(&gr, "w2", (int64_t[]){8, 8, 1, 1}, 4, w2);
    pb_init_f(&gr, "fw", (int64_t[]){64, 10}, 2, fc);
    pb_init_f(&gr, "fb", (int64_t[]){10}, 1, fb);
    pb_conv_bn_relu_stem(&gr);
    pb_node(&gr, "Conv", "conv2", "r1,w2", "c2", 1, pb_attr_ints("kernel_shape", (int64_t[]){1, 1}, 2));
    pb_node(&gr, "Add", "add1", "c2,r1", "a1", 0);
    pb_node(&gr, "Concat", "cat1", "a1,r1", "k1", 1, pb_attr_int("axis", 1));
    pb_node(&gr, "MaxPool", "pool1", "k1", "p1", 2, pb_attr_ints("kernel_shape", (int64_t[]){4, 4}, 2),
            pb_attr_ints("strides", (int64_t[]){4, 4}, 2));
    pb_init_i(&gr, "shape", (int64_t[]){2}, 1, (int64_t[]){1, 64});
    pb_node(&gr, "Reshape", "flat1", "p1,shape", "f1", 0);
    pb_node(&gr, "Gemm", "fc1", "f1,fw,fb", "y1", 0);
    pb_node(&gr, "Softmax", "sm1", "y1", "Y", 1, pb_attr_int("axis", 1));
    pb_value(&gr, 11, "X", (int64_t[]){1, 4, 8, 8}, 4);
    pb_value(&gr, 12, "Y", (int64_t[]){1, 10}, 2);
    CHECK_INT(pb_write_model(&gr, 13, path), 0);
}

/* Every value of a prediction CSV row is finite and positive. */
static size_t check_csv(const char *path)
{
    wp_csv_reader r;
    wp_error err;
    if (wp_csv_open(&r, path, &err)) {
        CHECK_STR(err.msg, "");
        return 0;
    }
    size_t n = 0;
    while (wp_csv_next(&r, &err) == 1) {
        n++;
        for (int c = 2; c < 5; c++) {
            double v;
            CHECK_INT(wp_csv_double(&r, c, 0, &v, &err), 0);
            CHECK(isfinite(v) && v > 0);
        }
    }
    wp_csv_free(&r);
    return n;
}

static const char *const engine_unknown =
    "{\"Layers\": [\n"
    " {\"Name\": \"relu\", \"LayerType\": \"PointWiseV2\",\n"
    "  \"Inputs\": [{\"Name\": \"a\", \"Dimensions\": [1, 64, 32, 32], \"Format/Datatype\": \"FP32\"}],\n"
    "  \"Outputs\": [{\"Name\": \"b\", \"Dimensions\": [1, 64, 32, 32], \"Format/Datatype\": \"FP32\"}]},\n"
    " {\"Name\": \"plugin\", \"LayerType\": \"PluginV2\",\n"
    "  \"Inputs\": [{\"Name\": \"b\", \"Dimensions\": [1, 64, 32, 32], \"Format/Datatype\": \"FP32\"}],\n"
    "  \"Outputs\": [{\"Name\": \"c\", \"Dimensions\": [1, 64, 32, 32], \"Format/Datatype\": \"FP32\"}]},\n"
    " {\"Name\": \"opaque\", \"LayerType\": \"PluginV2\"}\n"
    "]}\n";

/* A reshape CSV as `dataset` wrote it before the moved-bytes columns
 * (without the view column too when with_view is 0). */
static void write_legacy_reshape(const char *dir, const char *net, int with_view)
{
    char path[4096], text[4096];
    snprintf(text, sizeof text,
             "batch_size,inputs,in_elems,out_elems,weight_elems,ops,bytes,in_bytes,weight_bytes,out_bytes,"
             "transcendental,%spower,runtime,layer_name\n",
             with_view ? "view," : "");
    for (int i = 0; i < 6; i++) {
        double e = 1000.0 * (1 + i + (net[3] - '0')), view = i % 2;
        size_t L = strlen(text);
        snprintf(text + L, sizeof text - L, "1,1,%g,%g,0,%g,%g,%g,0,%g,0,%s1000000.0,%.9f,%s_r%d\n", e, e, e, 8 * e,
                 4 * e, 4 * e, with_view ? (view ? "1," : "0,") : "", 2e-3 + (view ? 0 : 4e-6 * e), net, i);
    }
    snprintf(path, sizeof path, "%s/%s/reshape.csv", dir, net);
    test_write_file(path, text);
}

/* Older datasets: the moved bytes are derived (a view moves none); a CSV
 * without the view column cannot be, and is named. */
static void test_legacy_generic_csv(const char *dir)
{
    const char *data = test_path_kept(dir, "legacy");
    const char *out = test_path_kept(dir, "legacy_models");
    static const char *const nets[] = {"net1", "net2", "net3", "net4"};
    for (int g = 0; g < 4; g++)
        write_legacy_reshape(data, nets[g], 1);
    wp_model m;
    if (train_default_and_read(data, out, "net4", "reshape_runtime", &m))
        return;
    int fi = -1;
    for (int f = 0; f < m.cfg.n_features; f++)
        if (strcmp(m.cfg.features[f], "moved_in_bytes") == 0)
            fi = f;
    CHECK(fi >= 0);
    if (fi >= 0) {
        CHECK_NEAR(m.feat_min[fi], 0, 0); /* the views */
        CHECK_NEAR(m.feat_max[fi], 4 * 1000.0 * 8, 0);
    }
    /* runtime = 2 us + 1 ns a moved in-byte, exactly: the fit finds it */
    double raw[WP_MODEL_MAX_FEATURES] = {0};
    for (int f = 0; f < m.cfg.n_features; f++)
        if (strcmp(m.cfg.features[f], "moved_in_bytes") == 0 || strcmp(m.cfg.features[f], "moved_out_bytes") == 0)
            raw[f] = 4000;
    CHECK_NEAR(wp_model_predict(&m, raw), 2e-3 + 4e-6 * 1000, 1e-6);
    /* nor do they place the network against a cache: every layer of them
     * started cold */
    for (int f = 0; f < m.cfg.n_features; f++)
        if (strcmp(m.cfg.features[f], "cold_start") == 0) {
            CHECK_NEAR(m.feat_min[f], 1, 0);
            CHECK_NEAR(m.feat_max[f], 1, 0);
            fi = -2;
        }
    CHECK_INT(fi, -2);
    wp_model_free(&m);
    write_legacy_reshape(data, "net2", 0);
    test_run_result r = test_run_cli(
        (const char *[]){"train", "--data-dir", data, "--out-dir", out, "--test-models", "net4", "--quiet", NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "net2/reshape.csv:1: missing column 'view'");
    test_run_free(&r);
}

int main(void)
{
    TEST_SKIP_UNLESS(wp_onnx_supported(), "ONNX support is not built in");
    const char *dir = test_tmpdir();
    const char *data = test_path_kept(dir, "data");
    const char *models = test_path_kept(dir, "models");
    const char *up = test_path_kept(dir, "upstream");
    const char *onnx = test_path_kept(dir, "net.onnx");
    const char *csv = test_path_kept(dir, "pred.csv");
    const char *eng_path = test_path_kept(dir, "unknown.json");
    wp_error err;
    if (fx_write_or_say(data, 6, (int[3]){8, 6, 6}, 11, &err))
        return 1;
    static const char *const nets[] = {"net00", "net01", "net02",    "net03", "net04",
                                       "net05", "lenet", "resnet18", "vgg16"};
    for (size_t g = 0; g < sizeof nets / sizeof *nets; g++)
        for (size_t k = 0; k < sizeof extra_kinds / sizeof *extra_kinds; k++)
            CHECK_INT(fx_write_extra(data, nets[g], extra_kinds[k], 6), 0);
    test_run_result r = fast_models_train(data, models);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "normalization_runtime");
    CHECK_CONTAINS(r.out, "softmax_runtime");
    /* no data for matrix products: no pipeline, and no line about it */
    CHECK(strstr(r.out, "matmul") == NULL);
    test_run_free(&r);
    for (size_t k = 0; k < sizeof extra_kinds / sizeof *extra_kinds; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_runtime.json", models, wp_layer_kind_name(extra_kinds[k]));
        CHECK(test_file_exists(path));
    }

    write_net(onnx);
    wp_graph g;
    wp_engine eng = {0};
    CHECK_INT(wp_onnx_read(onnx, NULL, &g, &err), 0);
    if (err.msg[0])
        fprintf(stderr, "%s\n", err.msg);
    CHECK_INT(wp_graph_to_engine(&g, &eng, &err), 0);
    wp_graph_free(&g);
    /* the graph's layers, each of a kind with a model */
    CHECK_INT((long)eng.n, 10);
    size_t kinds[WP_N_KINDS] = {0};
    for (size_t i = 0; i < eng.n; i++)
        kinds[wp_layer_model_kind(&eng.layers[i])]++;
    CHECK_INT((long)kinds[WP_KIND_OTHER], 0);
    /* the batch norm is an activation-like pass (a per-channel scale) */
    CHECK_INT((long)kinds[WP_KIND_NORM], 0);
    CHECK_INT((long)kinds[WP_KIND_ACT], 2);
    CHECK_INT((long)kinds[WP_KIND_ELTWISE], 1);
    CHECK_INT((long)kinds[WP_KIND_SHAPE], 2); /* Concat, Reshape */
    CHECK_INT((long)kinds[WP_KIND_SOFTMAX], 1);

    /* every node a layer of its own: the batch norm and Relu the default
     * leaves out as fused into conv1 (test_fusion) get models too */
    r = test_run_cli(
        (const char *[]){"predict", "--models", models, "--onnx", onnx, "--no-fusion", "--out", csv, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "layers modelled:        10 / 10\n");
    CHECK(strstr(r.out, "not modelled") == NULL);
    test_run_free(&r);
    CHECK_INT((long)check_csv(csv), 10);
    wp_prediction p;
    CHECK_INT(wp_predict_layers(models, &eng, &p, &err), 0);
    double sum = 0;
    for (size_t i = 0; i < p.n; i++) {
        CHECK(p.rows[i].modelled);
        sum += p.rows[i].runtime_ms;
    }
    CHECK_INT((long)p.modelled, 10);
    CHECK_NEAR(p.runtime_ms, sum, 1e-12 * sum);
    /* The Softmax layer is the only one with a transcendental op: its
     * features say so. */
    for (size_t i = 0; i < eng.n; i++) {
        wp_feature_row fr;
        wp_layer_kind k = wp_layer_model_kind(&eng.layers[i]);
        if (k < WP_KIND_NORM)
            continue;
        CHECK_INT(wp_layer_features(&eng.layers[i], k, &fr, &err), 0);
        CHECK(wp_feature_get(&fr, "transcendental") == (k == WP_KIND_SOFTMAX ? 1 : 0));
        /* only the Reshape moves no data */
        CHECK(wp_feature_get(&fr, "view") == (strcmp(eng.layers[i].name, "flat1") == 0 ? 1 : 0));
    }
    wp_prediction_free(&p);

    /* The original's configuration trains its six pipelines only. */
    r = test_run_cli((const char *[]){"train", "--data-dir", data, "--out-dir", up, "--config", "upstream", "--cv", "3",
                                      "--quiet", NULL});
    CHECK_INT(r.status, 0);
    CHECK(strstr(r.out, "normalization") == NULL);
    test_run_free(&r);
    for (int i = WP_N_UPSTREAM_PIPELINES; i < WP_N_PIPELINES; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.json", up, wp_pipeline_name(i));
        CHECK(!test_file_exists(path));
    }
    CHECK_INT(wp_predict_layers(up, &eng, &p, &err), 0);
    size_t conv_pool_dense = 0;
    for (size_t i = 0; i < p.n; i++) {
        wp_layer_kind k = wp_layer_model_kind(&eng.layers[i]);
        if (k >= WP_KIND_NORM) {
            CHECK(!p.rows[i].modelled);
            CHECK_STR(p.rows[i].reason ? p.rows[i].reason : "", "no model files for this layer kind");
        } else {
            conv_pool_dense += p.rows[i].modelled;
        }
    }
    CHECK(conv_pool_dense <= 4);
    wp_prediction_free(&p);
    wp_engine_free(&eng);

    /* A type no model covers: listed with the reason and its share of the
     * estimated time (estimated from its bytes by the reshape model); a
     * layer without dimensions cannot even be estimated. */
    test_write_file(eng_path, engine_unknown);
    CHECK_INT(wp_predict_engine(models, eng_path, &p, &err), 0);
    CHECK_INT((long)p.modelled, 1);
    CHECK_INT((long)p.n_other_types, 1);
    CHECK_STR(p.other_types[0], "PluginV2");
    CHECK_INT((long)p.other_counts[0], 2);
    CHECK_INT((long)p.other_unestimated[0], 1);
    CHECK(isfinite(p.other_est_ms[0]) && p.other_est_ms[0] > 0);
    CHECK_NEAR(p.estimated_total_ms, p.runtime_ms + p.other_est_ms[0], 1e-12 * p.estimated_total_ms);
    double share = 100.0 * p.other_est_ms[0] / p.estimated_total_ms;
    CHECK(share > 0 && share < 100);
    r = test_run_cli((const char *[]){"predict", "--models", models, "--engine-info", eng_path, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "layers modelled:        1 / 3\n");
    char want[256];
    snprintf(want, sizeof want,
             "not modelled:           2 x PluginV2 (no model for this layer kind): about %.3g ms, "
             "%.1f %% of the estimated time (some unestimated)\n",
             p.other_est_ms[0], share);
    CHECK_CONTAINS(r.out, want);
    test_run_free(&r);
    wp_prediction_free(&p);
    test_legacy_generic_csv(dir);
    return test_summary();
}
