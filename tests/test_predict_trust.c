/* Predictions users can trust: the default (log-target) models predict
 * positive numbers with intervals; a layer outside the training range is
 * warned about and marked; a model that gives no positive finite number
 * leaves its layer "not modelled" with the reason; a damaged model file is
 * refused; a constant target trains at once; the original's CSV columns
 * alone are enough; and the same network through ONNX and through a
 * TensorRT-style engine file (1x1 convolutions as CaskGemmConvolution) is
 * described with the same kinds and features. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fast_models.h"
#include "testutil.h"
#include "train_fixture.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"
#include "wattprof/model.h"
#include "wattprof/onnx.h"

static const char *dir, *data, *models;

/* conv0 is inside the fixture's range; conv_huge (1024 channels at
 * 448x448) far outside it. */
static const char engine_json[] =
    "{\"Layers\": [\n" FX_ENGINE_CONV0
    "{\"Name\": \"conv_huge\", \"LayerType\": \"CaskConvolution\", \"Inputs\": [{\"Name\": \"a\", \"Dimensions\": "
    "[1,1024,448,448], \"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"b\", "
    "\"Dimensions\": [1,1024,448,448], \"Format/Datatype\": \"Row major linear FP16 format\"}], \"ParameterType\": "
    "\"Convolution\", \"Kernel\": [7,7], \"PrePadding\": [3,3], \"PostPadding\": [3,3], \"Stride\": [1,1], "
    "\"OutMaps\": 1024, \"Groups\": 1},\n" FX_ENGINE_POOL_REFORMAT_FC0("b") "]}\n";

typedef struct csv_pred {
    char name[64];
    double v[9]; /* power, runtime, energy, runtime_low/high, energy_low/high, out_of_range */
    int empty[9];
} csv_pred;

static size_t read_pred_csv(const char *path, csv_pred *rows, size_t cap)
{
    static const char *const cols[] = {"power_prediction", "runtime_prediction", "energy_prediction", "runtime_low",
                                       "runtime_high",     "energy_low",         "energy_high",       "out_of_range"};
    wp_csv_reader r;
    wp_error err;
    if (wp_csv_open(&r, path, &err)) {
        CHECK_STR(err.msg, "");
        return 0;
    }
    int col[8];
    for (int c = 0; c < 8; c++)
        CHECK((col[c] = wp_csv_column(&r, cols[c])) >= 0);
    size_t n = 0;
    while (wp_csv_next(&r, &err) == 1 && n < cap) {
        csv_pred *p = &rows[n++];
        snprintf(p->name, sizeof p->name, "%s", r.fields[0]);
        for (int c = 0; c < 8; c++) {
            p->empty[c] = r.fields[col[c]][0] == '\0';
            if (!p->empty[c])
                CHECK_INT(wp_csv_double(&r, col[c], 0, &p->v[c], &err), 0);
        }
    }
    wp_csv_free(&r);
    return n;
}

static const csv_pred *find_row(const csv_pred *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

/* Every number predict writes is finite and positive; bounds bracket the
 * prediction. */
static void check_positive(const csv_pred *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const csv_pred *p = &rows[i];
        for (int c = 0; c < 7; c++)
            if (!p->empty[c])
                CHECK(isfinite(p->v[c]) && p->v[c] > 0);
        for (int c = 0; c < 3; c++)
            CHECK(!p->empty[c]);
        if (!p->empty[3])
            CHECK(p->v[3] <= p->v[1] && p->v[1] <= p->v[4]);
        if (!p->empty[5])
            CHECK(p->v[5] <= p->v[2] && p->v[2] <= p->v[6]);
    }
}

static void test_default_predictions(void)
{
    const char *eng = test_path(dir, "engine.json");
    test_write_file(eng, engine_json);
    const char *csv = test_path_kept(dir, "pred.csv");
    test_run_result r =
        test_run_cli((const char *[]){"predict", "--models", models, "--engine-info", eng, "--out", csv, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "layers modelled:        4 / 5");
    CHECK_CONTAINS(r.out, "90 % interval");
    /* a reshape layer, but the models hold no reshape pipeline */
    CHECK_CONTAINS(r.out, "1 x Reformat (no model files for this layer kind): share unknown");
    /* one warning line for the network, counting the layers */
    CHECK_CONTAINS(r.err, "warning: 1 of 4 modelled layers lie outside the models' training range");
    CHECK_INT(test_count_lines(r.err), 1);
    test_run_free(&r);
    csv_pred rows[8];
    size_t n = read_pred_csv(csv, rows, 8);
    CHECK_INT(n, 4);
    check_positive(rows, n);
    const csv_pred *huge = find_row(rows, n, "conv_huge"), *c0 = find_row(rows, n, "conv0");
    CHECK(huge && c0);
    if (huge && c0) {
        CHECK_INT(huge->v[7], 1);
        CHECK_INT(c0->v[7], 0);
        /* default models carry intervals */
        CHECK(!c0->empty[3] && !c0->empty[6]);
    }
    CHECK(find_row(rows, n, "pool0") && find_row(rows, n, "pool0")->v[7] == 0);
    /* without --out the warning still comes, without the CSV hint */
    r = test_run_cli((const char *[]){"predict", "--models", models, "--engine-info", eng, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "1 of 4 modelled layers");
    CHECK(!strstr(r.err, "CSV"));
    test_run_free(&r);

    /* model files keep each feature's training range and the interval */
    wp_model m;
    wp_error err;
    CHECK_INT(wp_model_read(test_path(models, "convolutional_runtime.json"), &m, &err), 0);
    CHECK(m.have_range && m.have_interval && m.iv_ratio && m.cfg.fit == WP_FIT_NNLS_RELATIVE);
    CHECK(m.iv_lo < 0 && m.iv_hi > 0);
    for (int f = 0; f < m.cfg.n_features; f++)
        CHECK(m.feat_min[f] <= m.feat_max[f]);
    wp_model_free(&m);
}

/* A model that gives a negative number (an upstream polynomial far from
 * its data): the layer is not modelled, with the reason; nothing negative
 * is written; exit 0. */
static void test_negative_model(void)
{
    const char *m2 = test_path_kept(dir, "models_neg");
    const char *up = test_path_kept(dir, "models_up");
    test_run_result r = test_run_cli((const char *[]){"train", "--data-dir", data, "--out-dir", up, "--config",
                                                      "upstream", "--cv", "3", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    r = test_run_argv((const char *[]){"cp", "-r", up, m2, NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    const char *file = test_path(m2, "pooling_runtime.json");
    json_t *root = json_load_file(file, 0, NULL);
    CHECK(root != NULL);
    json_object_set_new(root, "intercept", json_real(-1e6));
    CHECK_INT(json_dump_file(root, file, JSON_REAL_PRECISION(17)), 0);
    json_decref(root);
    const char *eng = test_path(dir, "engine.json");
    const char *csv = test_path_kept(dir, "pred_neg.csv");
    r = test_run_cli((const char *[]){"predict", "--models", m2, "--engine-info", eng, "--out", csv, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "1 x CaskPooling (pooling_runtime model gave a non-positive value");
    CHECK(!strstr(r.out, "nan") && !strstr(r.out, "runtime:       -") && !strstr(r.out, "power:          -") &&
          !strstr(r.out, "inference:   -"));
    test_run_free(&r);
    csv_pred rows[8];
    size_t n = read_pred_csv(csv, rows, 8);
    CHECK(find_row(rows, n, "pool0") == NULL);
    check_positive(rows, n);

    /* A damaged file (a zero scale would divide by zero): refused, one
     * line, non-zero exit, nothing written. */
    root = json_load_file(file, 0, NULL);
    json_object_set_new(root, "intercept", json_real(1.0));
    json_array_set_new(json_object_get(json_object_get(root, "scaler"), "scale"), 1, json_real(0.0));
    CHECK_INT(json_dump_file(root, file, JSON_REAL_PRECISION(17)), 0);
    json_decref(root);
    csv = test_path_kept(dir, "pred_damaged.csv");
    r = test_run_cli((const char *[]){"predict", "--models", m2, "--engine-info", eng, "--out", csv, NULL});
    CHECK(r.status != 0);
    CHECK_CONTAINS(r.err, "pooling_runtime.json");
    CHECK_CONTAINS(r.err, "scale 0");
    CHECK_INT(test_count_lines(r.err), 1);
    CHECK(!test_file_exists(csv));
    test_run_free(&r);
}

/* A constant target: coefficients 0 and no iterations (the duality-gap
 * tolerance is 0 there; the solver used to run every alpha to max_iter). */
static void test_constant_target(void)
{
    const char *d = test_path_kept(dir, "data_const");
    for (int g = 0; g < 5; g++) {
        char path[4096], text[4096] = "batch_size,input_size,output_size,power,runtime,layer_name\n";
        for (int i = 0; i < 4; i++) {
            size_t L = strlen(text);
            snprintf(text + L, sizeof text - L, "1,%d,%d,2500000.0,0.25,fc%d\n", 64 << i, 10 * (g + 1), i);
        }
        snprintf(path, sizeof path, "%s/net%d/dense.csv", d, g);
        test_write_file(path, text);
    }
    for (int c = 0; c < 2; c++) {
        const char *out = test_path(dir, c ? "const_up" : "const_default");
        test_run_result r = test_run_cli(
            c ? (const char *[]){"train", "--data-dir", d, "--out-dir", out, "--test-models", "net4", "--config",
                                 "upstream", "--cv", "4", "--quiet", NULL}
              : (const char *[]){"train", "--data-dir", d, "--out-dir", out, "--test-models", "net4", "--quiet", NULL});
        CHECK_INT(r.status, 0);
        test_run_free(&r);
        wp_model m;
        wp_error err;
        CHECK_INT(wp_model_read(test_path(out, "dense_runtime.json"), &m, &err), 0);
        for (size_t j = 0; j < m.p; j++)
            CHECK(m.coef[j] == 0.0);
        /* the additive model's intercept is the runtime itself */
        CHECK_NEAR(m.intercept, 0.25, 1e-12);
        wp_model_free(&m);
        CHECK_INT(wp_model_read(test_path(out, "dense_power.json"), &m, &err), 0);
        for (size_t j = 0; j < m.p; j++)
            CHECK(m.coef[j] == 0.0);
        CHECK_NEAR(m.intercept, c ? 2.5 : log(2.5), 1e-12);
        wp_model_free(&m);
        char *t = test_read_file(test_path(out, "dense_runtime.json"));
        CHECK_CONTAINS(t, "\"n_iter\": 0");
        free(t);
    }
}

/* CSVs with only the original's columns: the default's features are
 * derived from them. */
static void test_upstream_columns(void)
{
    const char *d = test_path_kept(dir, "data_old");
    for (int g = 0; g < 5; g++) {
        char path[4096], text[4096] = "batch_size,input_size,output_size,power,runtime,layer_name\n";
        for (int i = 0; i < 4; i++) {
            size_t L = strlen(text);
            double in = 256 << i, out = 10 * (g + 1), macs = in * out;
            snprintf(text + L, sizeof text - L, "1,%g,%g,%.1f,%.6f,fc%d\n", in, out, 2e6 + 1e4 * log(macs),
                     0.01 + macs * 2e-6, i);
        }
        snprintf(path, sizeof path, "%s/net%d/dense.csv", d, g);
        test_write_file(path, text);
    }
    wp_model m;
    if (train_default_and_read(d, test_path_kept(dir, "old_out"), "net4", "dense_runtime", &m))
        return;
    CHECK_STR(m.cfg.features[0], "macs");
    CHECK_NEAR(m.feat_max[0], 2048.0 * 40, 1e-9); /* macs of the largest training layer */
    /* a fixed cost plus a cost per MAC: the additive model fits it closely */
    CHECK(m.test.rmspe < 5);
    wp_model_free(&m);
}

/* TensorRT runs some 1x1 convolutions as CaskGemmConvolution; the same
 * network through ONNX and through such an engine file gets the same layer
 * kinds and features. */
static void test_onnx_engine_consistency(void)
{
    if (!wp_onnx_supported()) {
        printf("(ONNX support not built in: ONNX/engine consistency not exercised)\n");
        return;
    }
    const char *onnx = test_path_kept(dir, "mnv2.onnx");
    const char *info = test_path_kept(dir, "mnv2_engine.json");
    test_run_result r =
        test_run_cli((const char *[]){"zoo", "--arch", "mobilenetv2", "--input", "1x3x64x64", "--out", onnx, NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    wp_graph g;
    wp_engine a = {0}, b = {0};
    wp_error err;
    CHECK_INT(wp_onnx_read(onnx, NULL, &g, &err), 0);
    CHECK_INT(wp_graph_to_engine(&g, &a, &err), 0);
    CHECK_INT(wp_graph_write_engine_info(&g, NULL, 0, 0, info, &err), 0);
    wp_graph_free(&g);
    /* as TensorRT writes it: pointwise convolutions become GEMM layers */
    json_t *root = json_load_file(info, 0, NULL), *layers = json_object_get(root, "Layers");
    size_t gemm = 0, i;
    json_t *L;
    json_array_foreach(layers, i, L)
    {
        json_t *k = json_object_get(L, "Kernel");
        const char *t = json_string_value(json_object_get(L, "LayerType"));
        if (t && strcmp(t, "CaskConvolution") == 0 && json_integer_value(json_array_get(k, 0)) == 1 &&
            json_integer_value(json_array_get(k, 1)) == 1 && json_integer_value(json_object_get(L, "Groups")) == 1) {
            json_object_set_new(L, "LayerType", json_string("CaskGemmConvolution"));
            json_object_del(L, "Kernel");
            gemm++;
        }
    }
    CHECK(gemm >= 10);
    CHECK_INT(json_dump_file(root, info, JSON_INDENT(1)), 0);
    json_decref(root);
    CHECK_INT(wp_engine_read(info, &b, &err), 0);
    CHECK_INT(b.n, a.n);
    size_t conv = 0, dense = 0, engine_dense = 0;
    for (size_t l = 0; l < a.n && l < b.n; l++) {
        wp_layer_kind ka = wp_layer_model_kind(&a.layers[l]), kb = wp_layer_model_kind(&b.layers[l]);
        CHECK_INT(kb, ka);
        engine_dense += b.layers[l].kind == WP_KIND_DENSE;
        conv += ka == WP_KIND_CONV;
        dense += ka == WP_KIND_DENSE;
        if (ka != kb || ka == WP_KIND_OTHER)
            continue;
        wp_feature_row fa, fb;
        CHECK_INT(wp_layer_features(&a.layers[l], ka, &fa, &err), 0);
        CHECK_INT(wp_layer_features(&b.layers[l], kb, &fb, &err), 0);
        CHECK_INT(fb.n, fa.n);
        int same = 1;
        for (size_t f = 0; f < fa.n && f < fb.n; f++)
            same &= fa.values[f] == fb.values[f];
        if (!same)
            fprintf(stderr, "layer %s: features differ between ONNX and engine file\n", a.layers[l].name);
        CHECK(same);
    }
    /* MobileNetV2: 52 convolutions, one classifier */
    CHECK_INT(conv, 52);
    CHECK_INT(dense, 1);
    CHECK(engine_dense > dense); /* the file does say GEMM */
    wp_engine_free(&a);
    wp_engine_free(&b);
}

/* A TensorRT 10 Myelin sub-graph has no modelled kind: predict names it
 * with the engine reader's reason (the ONNX operators it fuses). */
static void test_trt10_reason(void)
{
    const char *eng = test_path(dir, "engine10.json");
    test_write_file(eng,
                    "{\"Layers\": [\n"
                    "{\"Name\": \"{ForeignNode[/Flatten.../head/Gemm]}\", \"LayerType\": \"Myelin\",\n"
                    " \"Inputs\": [{\"Name\": \"g\", \"Dimensions\": [1,768,7,7], \"Format/Datatype\": \"Half\"}],\n"
                    " \"Outputs\": [{\"Name\": \"h\", \"Dimensions\": [1,1000], \"Format/Datatype\": \"Half\"}],\n"
                    " \"Metadata\": \"[ONNX Layer: /Flatten]\\u001f[ONNX Layer: /norm/LayerNormalization]\"}\n"
                    "]}\n");
    CHECK_CLI(TEST_LIST("predict", "--models", models, "--engine-info", eng), 0,
              TEST_LIST("no model for this layer kind: ", "LayerNormalization"), NULL);
}

int main(void)
{
    dir = test_tmpdir();
    data = test_path_kept(dir, "data");
    models = test_path_kept(dir, "models");
    wp_error err;
    if (fx_write_or_say(data, 6, (int[3]){16, 8, 4}, 11, &err))
        return 1;
    test_run_result r =
        test_run_cli((const char *[]){"train", "--data-dir", data, "--out-dir", models, "--quiet", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "folds by network");
    test_run_free(&r);
    test_default_predictions();
    test_negative_model();
    test_constant_target();
    test_upstream_columns();
    test_onnx_engine_consistency();
    test_trt10_reason();
    return test_summary();
}
