/* model + train/predict commands: parity with scikit-learn on a fixture
 * (expected values in train_expected.h), model files, prediction from an
 * engine description, configuration overrides and bad input. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "train_expected.h"
#include "train_fixture.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"
#include "wattprof/model.h"

static const char *dir, *data, *models;

static void replace_in_file(const char *path, const char *from, const char *to)
{
    char *t = test_read_file(path);
    CHECK(t != NULL);
    if (!t)
        return;
    char *at = strstr(t, from);
    CHECK(at != NULL);
    if (!at) {
        free(t);
        return;
    }
    size_t L = strlen(t) + strlen(to) + 1;
    char *o = malloc(L);
    memcpy(o, t, (size_t)(at - t));
    strcpy(o + (at - t), to);
    strcat(o, at + strlen(from));
    test_write_file(path, o);
    free(o);
    free(t);
}

static void copy_dir(const char *from, const char *to)
{
    const char *argv[] = {"cp", "-r", from, to, NULL};
    test_run_result r = test_run_argv(argv);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
}

/* Test-set predictions of a model, rows in the reference script's order. */
static size_t predict_tests(const wp_model *m, double *out, size_t cap)
{
    static const char *const tests[] = {"lenet", "resnet18", "vgg16"};
    size_t n = 0;
    for (int t = 0; t < 3; t++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/%s.csv", data, tests[t], wp_layer_kind_name(m->cfg.kind));
        wp_csv_reader r;
        wp_error err;
        if (wp_csv_open(&r, path, &err)) {
            CHECK_STR(err.msg, "");
            continue;
        }
        int col[WP_MODEL_MAX_FEATURES];
        for (int f = 0; f < m->cfg.n_features; f++)
            col[f] = wp_csv_column(&r, m->cfg.features[f]);
        while (wp_csv_next(&r, &err) == 1 && n < cap) {
            double raw[WP_MODEL_MAX_FEATURES];
            for (int f = 0; f < m->cfg.n_features; f++)
                wp_csv_double(&r, col[f], 0, &raw[f], &err);
            out[n++] = wp_model_predict(m, raw);
        }
        wp_csv_free(&r);
    }
    return n;
}

static void test_train_parity(void)
{
    const char *args[] = {"train", "--data-dir", data, "--out-dir", models, "--config", "upstream", "--quiet", NULL};
    CHECK_CLI(args, 0, TEST_LIST("trained on 6 networks, tested on 3", "convolutional_power", "RMSPE"), NULL);
    CHECK(test_file_exists(test_path(models, "metrics.json")));
    /* the upstream configuration trains the original's six pipelines only */
    for (int i = WP_N_UPSTREAM_PIPELINES; i < WP_N_PIPELINES; i++) {
        char file[4096];
        snprintf(file, sizeof file, "%s/%s.json", models, wp_pipeline_name(i));
        CHECK(!test_file_exists(file));
    }
    for (int i = 0; i < WP_N_UPSTREAM_PIPELINES; i++) {
        wp_model m;
        wp_error err;
        const char *path = test_path(models, wp_pipeline_name(i));
        char file[4096];
        snprintf(file, sizeof file, "%s.json", path);
        if (wp_model_read(file, &m, &err)) {
            CHECK_STR(err.msg, "");
            continue;
        }
        /* same alpha as scikit-learn's LassoCV (same grid point) */
        CHECK_NEAR(m.alpha, expected_alpha[i], 1e-12 * expected_alpha[i]);
        double pred[256];
        size_t n = predict_tests(&m, pred, 256);
        CHECK_INT(n, expected_n_pred[i]);
        int bad = 0;
        for (size_t k = 0; k < n && k < expected_n_pred[i]; k++) {
            double e = expected_pred[i][k];
            if (!(fabs(pred[k] - e) <= 1e-3 * fabs(e))) {
                bad++;
                fprintf(stderr, "%s test row %zu: %.17g, scikit-learn %.17g\n", wp_pipeline_name(i), k, pred[k], e);
            }
        }
        CHECK_INT(bad, 0);
        CHECK_INT(m.train_rows, i < 2 ? 120 : i < 4 ? 72 : 48);
        CHECK_INT(m.test_rows, i < 2 ? 60 : i < 4 ? 36 : 24);
        CHECK_INT(m.n_train_models, 6);
        CHECK_INT(m.n_test_models, 3);
        wp_model_free(&m);
    }
    char *mj = test_read_file(test_path(models, "convolutional_power.json"));
    CHECK_CONTAINS(mj, "\"format_version\": 2");
    CHECK_CONTAINS(mj, "\"log1p\": true");
    CHECK_CONTAINS(mj, "\"kind\": \"standard\"");
    CHECK_CONTAINS(mj, "input_size_0*input_size_1*input_size_2*kernel_0*kernel_1*output_size_2*batch_size");
    CHECK_CONTAINS(mj, "\"positive\": true");
    free(mj);
    mj = test_read_file(test_path(models, "pooling_runtime.json"));
    CHECK_CONTAINS(mj, "\"positive\": false");
    free(mj);
    mj = test_read_file(test_path(models, "pooling_power.json"));
    CHECK_CONTAINS(mj, "\"kind\": \"robust\"");
    free(mj);
    char *met = test_read_file(test_path(models, "metrics.json"));
    CHECK_CONTAINS(met, "\"dense_runtime\"");
    CHECK_CONTAINS(met, "\"rmspe\"");
    free(met);
}

static const char *engine_json =
    "{\"Layers\": [\n"
    "{\"Name\": \"reformat0\", \"LayerType\": \"Reformat\", \"Inputs\": [{\"Name\": \"x\", \"Dimensions\": [1,3,224,224], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"y\", \"Dimensions\": [1,3,224,224], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}]},\n"
    "{\"Name\": \"conv0\", \"LayerType\": \"CaskConvolution\", \"Inputs\": [{\"Name\": \"y\", \"Dimensions\": [1,3,224,224], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"c\", \"Dimensions\": [1,64,112,112], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"ParameterType\": \"Convolution\", \"Kernel\": [7,7], "
    "\"PrePadding\": [3,3], \"PostPadding\": [3,3], \"Stride\": [2,2], \"Dilation\": [1,1], \"OutMaps\": 64, \"Groups\": 1},\n"
    "{\"Name\": \"pool0\", \"LayerType\": \"CaskPooling\", \"Inputs\": [{\"Name\": \"c\", \"Dimensions\": [1,64,112,112], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"p\", \"Dimensions\": [1,64,56,56], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"ParameterType\": \"Pooling\", \"PoolingType\": \"MAX\", "
    "\"WindowSize\": [3,3], \"PrePadding\": [1,1], \"PostPadding\": [1,1], \"Stride\": [2,2]},\n"
    "{\"Name\": \"fc0\", \"LayerType\": \"CaskGemmConvolution\", \"Inputs\": [{\"Name\": \"p\", \"Dimensions\": [1,512,1,1], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"o\", \"Dimensions\": [1,1000,1,1], "
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"ParameterType\": \"Convolution\", \"Kernel\": [1,1], "
    "\"Stride\": [1,1], \"OutMaps\": 1000, \"Groups\": 1}\n"
    "]}\n";

static void test_predict(void)
{
    const char *eng = test_path(dir, "engine.json");
    test_write_file(eng, engine_json);
    const char *csv = test_path(dir, "pred.csv");
    const char *args[] = {"predict", "--models", models, "--engine-info", eng, "--out", csv, NULL};
    CHECK_CLI(args, 0, TEST_LIST("layers modelled:        3 / 4", "1 x Reformat", "energy per inference"), NULL);
    char *t = test_read_file(csv);
    CHECK_CONTAINS(t, "layer_name,layer_type,power_prediction,runtime_prediction,energy_prediction,runtime_low,"
                      "runtime_high,energy_low,energy_high,out_of_range\n");
    CHECK_CONTAINS(t, "\nconv0,CaskConvolution,");
    CHECK_CONTAINS(t, "\npool0,CaskPooling,");
    CHECK_CONTAINS(t, "\nfc0,CaskGemmConvolution,");
    CHECK_INT(test_count_lines(t), 4);
    free(t);
    /* The CSV's numbers are the models applied to dataset's features. */
    wp_engine e;
    wp_error err;
    wp_prediction p;
    CHECK_INT(wp_engine_read(eng, &e, &err), 0);
    CHECK_INT(wp_predict_engine(models, eng, &p, &err), 0);
    double energy = 0, runtime = 0;
    for (size_t l = 0; l < e.n && l < p.n; l++) {
        const wp_engine_layer *L = &e.layers[l];
        if (L->kind == WP_KIND_OTHER) {
            CHECK(!p.rows[l].modelled);
            continue;
        }
        wp_feature_row fr;
        CHECK_INT(wp_layer_features(L, L->kind, &fr, &err), 0);
        double v[2];
        for (int tg = 0; tg < 2; tg++) {
            wp_model m;
            char file[4096];
            snprintf(file, sizeof file, "%s/%s.json", models,
                     wp_pipeline_name(wp_pipeline_index(L->kind, (wp_target)tg)));
            CHECK_INT(wp_model_read(file, &m, &err), 0);
            double raw[WP_MODEL_MAX_FEATURES];
            for (int f = 0; f < m.cfg.n_features; f++)
                raw[f] = wp_feature_get(&fr, m.cfg.features[f]);
            v[tg] = wp_model_predict(&m, raw);
            wp_model_free(&m);
        }
        CHECK_NEAR(p.rows[l].power_w, v[0], 0);
        CHECK_NEAR(p.rows[l].runtime_ms, v[1], 0);
        CHECK_NEAR(p.rows[l].energy_mj, v[0] * v[1], 1e-15);
        energy += v[0] * v[1];
        runtime += v[1];
    }
    CHECK_NEAR(p.energy_mj, energy, 1e-12);
    CHECK_NEAR(p.runtime_ms, runtime, 1e-12);
    CHECK_INT(p.modelled, 3);
    wp_prediction_free(&p);
    wp_engine_free(&e);
}

static void test_cv_by_model_and_config(void)
{
    const char *out = test_path(dir, "models_cfg");
    const char *cfg = test_path(dir, "cfg.json");
    test_write_file(
        cfg, "{\"cv\": 5, \"pipelines\": {\"dense_power\": {\"features\": [\"batch_size\", \"input_size\", "
             "\"output_size\", \"macs\", \"bytes\"], \"degree\": 2, \"scaler\": \"minmax\", \"positive\": false, "
             "\"special_terms\": [[\"macs\", \"bytes\"]]}}}\n");
    /* dense layers only, so the second training run stays quick */
    const char *small = test_path(dir, "data_dense");
    int per_kind[3] = {0, 0, 10};
    wp_error err;
    CHECK_INT(fx_write(small, 6, per_kind, 9, &err), 0);
    const char *args[] = {"train",    "--data-dir", small,           "--out-dir", out,
                          "--config", cfg,          "--cv-by-model", "--quiet",   NULL};
    CHECK_CLI(args, 0, TEST_LIST("lono", "leave out net05", "convolutional_power    (no data)"), NULL);
    char *met = test_read_file(test_path(out, "metrics.json"));
    CHECK_CONTAINS(met, "\"leave_one_network_out\"");
    CHECK_CONTAINS(met, "\"per_model\"");
    CHECK_CONTAINS(met, "\"net00\"");
    free(met);
    CHECK(!test_file_exists(test_path(out, "pooling_power.json")));
    wp_model m;
    CHECK_INT(wp_model_read(test_path(out, "dense_power.json"), &m, &err), 0);
    CHECK_INT(m.cfg.n_features, 5);
    CHECK_STR(m.cfg.features[3], "macs");
    CHECK_INT(m.cfg.degree, 2);
    CHECK_INT(m.scaler.kind, WP_SCALER_MINMAX);
    CHECK_INT(m.p, 21 + 1);
    CHECK_INT(m.lono.n, 0); /* not stored by the reader; metrics.json has it */
    wp_model_free(&m);
    char *mj = test_read_file(test_path(out, "dense_power.json"));
    CHECK_CONTAINS(mj, "\"cv\": 5");
    CHECK_CONTAINS(mj, "\"min\": [");
    CHECK_CONTAINS(mj, "macs*bytes");
    free(mj);
}

/* train writes the set of model files as a whole: a failure before the
 * renames leaves the previous set byte for byte, and a run without data
 * for a layer type removes that type's model files (wattprof's only). */
static const char *const set_files[] = {"dense_power.json", "dense_runtime.json", "metrics.json"};

static void snapshot(const char *out, char *copy[3])
{
    for (int i = 0; i < 3; i++)
        copy[i] = test_read_file(test_path(out, set_files[i]));
}

static void check_snapshot(const char *out, char *copy[3])
{
    for (int i = 0; i < 3; i++) {
        char *now = test_read_file(test_path(out, set_files[i]));
        CHECK(copy[i] && now && strcmp(copy[i], now) == 0);
        free(now);
    }
}

static void test_train_set(void)
{
    const char *dense = test_path_kept(dir, "set_dense");
    const char *both = test_path_kept(dir, "set_both");
    const char *out = test_path_kept(dir, "set_out");
    const char *cfg = test_path_kept(dir, "set_cfg.json");
    /* degree 1 pooling keeps the pooling pipelines quick */
    test_write_file(cfg,
                    "{\"pipelines\": {\"pooling_power\": {\"degree\": 1}, \"pooling_runtime\": {\"degree\": 1}}}\n");
    wp_error err;
    CHECK_INT(fx_write(dense, 6, (int[3]){0, 0, 8}, 5, &err), 0);
    CHECK_INT(fx_write(both, 6, (int[3]){0, 8, 8}, 6, &err), 0);
    const char *run1[] = {"train", "--data-dir", dense, "--out-dir", out, "--cv", "3", "--quiet", NULL};
    CHECK_CLI(run1, 0, NULL, NULL);
    char *before[3];
    snapshot(out, before);

    /* A target that cannot be replaced: found before anything is renamed. */
    const char *blocker = test_path_kept(out, "pooling_runtime.json");
    test_write_file(test_path(blocker, "x"), "not ours\n");
    const char *run2[] = {"train", "--data-dir", both, "--out-dir", out, "--config", cfg, "--cv", "3", "--quiet", NULL};
    test_run_result r = test_run_cli(run2);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "pooling_runtime.json: exists and is not a regular file");
    CHECK_INT(test_count_lines(r.err), 1);
    test_run_free(&r);
    check_snapshot(out, before);
    CHECK(!test_file_exists(test_path(out, "pooling_power.json")));
    CHECK_INT(test_count_entries(out, "."), 0);
    unlink(test_path(blocker, "x"));
    rmdir(blocker);

    /* An out dir that cannot be written (root writes anyway: skipped). */
    if (geteuid() != 0) {
        CHECK_INT(chmod(out, 0555), 0);
        CHECK_CLI(run2, 1, NULL, NULL);
        CHECK_INT(chmod(out, 0755), 0);
        check_snapshot(out, before);
        CHECK(!test_file_exists(test_path(out, "pooling_power.json")));
    }

    /* Now it goes through: four models. */
    CHECK_CLI(run2, 0, NULL, NULL);
    CHECK(test_file_exists(test_path(out, "pooling_power.json")));
    CHECK(test_file_exists(test_path(out, "pooling_runtime.json")));
    char *after[3];
    snapshot(out, after);
    CHECK(after[0] && before[0] && strcmp(after[0], before[0]) != 0);

    /* Fewer layer types: the pooling models go, a foreign file stays. */
    test_write_file(test_path(out, "convolutional_power.json"), "{\"mine\": true}\n");
    r = test_run_cli(run1);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "removed");
    CHECK_CONTAINS(r.out, "pooling_power.json (from an earlier run");
    CHECK_CONTAINS(r.err, "convolutional_power.json is not a wattprof model file");
    test_run_free(&r);
    CHECK(!test_file_exists(test_path(out, "pooling_power.json")));
    CHECK(!test_file_exists(test_path(out, "pooling_runtime.json")));
    CHECK(test_file_exists(test_path(out, "convolutional_power.json")));
    check_snapshot(out, before); /* same data, same models */
    char *met = test_read_file(test_path(out, "metrics.json"));
    CHECK(met && !strstr(met, "pooling"));
    free(met);
    for (int i = 0; i < 3; i++) {
        free(before[i]);
        free(after[i]);
    }
}

/* examples/train-physical.json (docs/training.md): loads, and on the
 * fixture (whose runtime follows multiply-accumulates with groups, as a
 * real device's does) its convolution models beat the original's features
 * on the held-out networks. */
static double test_rmspe(const char *metrics, const char *pipeline)
{
    json_t *root = json_load_file(metrics, 0, NULL);
    json_t *v = json_object_get(json_object_get(json_object_get(json_object_get(root, "pipelines"), pipeline), "test"),
                                "rmspe");
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(root);
    return x;
}

static void test_physical_example(void)
{
    const char *cfg = WATTPROF_SOURCE_DIR "/examples/train-physical.json";
    wp_train_config c;
    wp_error err;
    wp_train_config_init(&c);
    CHECK_INT(wp_train_config_load(cfg, &c, &err), 0);
    const wp_pipeline_config *cr = &c.pipe[wp_pipeline_index(WP_KIND_CONV, WP_TARGET_RUNTIME)];
    CHECK_INT(cr->n_features, 2);
    CHECK_STR(cr->features[0], "macs");
    CHECK_STR(cr->features[1], "bytes");
    wp_train_config_free(&c);
    /* convolutions only (the pipelines compared; quick under ASan) */
    const char *conv = test_path_kept(dir, "data_conv");
    static const char *const nets[] = {"net00", "net01", "net02",    "net03", "net04",
                                       "net05", "lenet", "resnet18", "vgg16"};
    for (int i = 0; i < 9; i++) {
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s/convolutional.csv", data, nets[i]);
        snprintf(to, sizeof to, "%s/%s/convolutional.csv", conv, nets[i]);
        char *t = test_read_file(from);
        CHECK(t != NULL);
        if (t)
            test_write_file(to, t);
        free(t);
    }
    const char *out = test_path_kept(dir, "models_physical");
    const char *args[] = {"train", "--data-dir", conv, "--out-dir", out, "--config", cfg, "--quiet", NULL};
    CHECK_CLI(args, 0, NULL, NULL);
    char phys[4096], orig[4096];
    snprintf(phys, sizeof phys, "%s/metrics.json", out);
    snprintf(orig, sizeof orig, "%s/metrics.json", models);
    for (int t = 0; t < 2; t++) {
        const char *name = wp_pipeline_name(wp_pipeline_index(WP_KIND_CONV, (wp_target)t));
        double a = test_rmspe(phys, name), b = test_rmspe(orig, name);
        CHECK(isfinite(a) && isfinite(b) && a < b);
    }
}

/* Runs wattprof with args, which must fail with one line on stderr holding
 * every one of needles and leave out_dir (when not NULL) unwritten; one run
 * for all the needles, and a failure names the caller's line. */
#define EXPECT_FAIL(args, needles, out_dir) expect_fail_at(__LINE__, args, needles, out_dir)
static void expect_fail_at(int line, const char *const *args, const char *const *needles, const char *out_dir)
{
    test_run_result r = test_run_cli(args);
    if (r.status != 0)
        test_passed++;
    else
        test_fail_at(__FILE__, line, "wattprof %s: status 0, expected a failure", args[0]);
    for (; *needles; needles++)
        if (r.err && strstr(r.err, *needles))
            test_passed++;
        else
            test_fail_at(__FILE__, line, "stderr does not contain \"%s\": \"%s\"", *needles, r.err ? r.err : "(null)");
    int lines = test_count_lines(r.err);
    if (lines == 1)
        test_passed++;
    else
        test_fail_at(__FILE__, line, "%d lines on stderr, expected 1", lines);
    if (out_dir && !test_file_exists(out_dir))
        test_passed++;
    else if (out_dir)
        test_fail_at(__FILE__, line, "%s was written", out_dir);
    test_run_free(&r);
}

/* A copy of the training data in dir/name with from replaced by to in its
 * file rel: data one fault away from good. The path is test_path's. */
static const char *damaged_data(const char *name, const char *rel, const char *from, const char *to)
{
    const char *d = test_path(dir, name);
    copy_dir(data, d);
    replace_in_file(test_path(d, rel), from, to);
    return d;
}

static void test_bad_input(void)
{
    /* missing column */
    const char *d1 = damaged_data("bad_missing", "net02/pooling.csv", "kernel_0,", "kernelX,");
    const char *o1 = test_path(dir, "out_missing");
    /* the default's features are all there; the original's are not */
    const char *a1u[] = {"train", "--data-dir", d1, "--out-dir", o1, "--config", "upstream", "--quiet", NULL};
    EXPECT_FAIL(a1u, TEST_LIST("net02/pooling.csv", "kernel_0"), o1);
    /* a default feature missing too: it cannot be derived without kernel_0 */
    replace_in_file(test_path(d1, "net02/pooling.csv"), "in_bytes,", "in_bytesX,");
    const char *a1[] = {"train", "--data-dir", d1, "--out-dir", o1, "--quiet", NULL};
    EXPECT_FAIL(a1, TEST_LIST("net02/pooling.csv", "kernel_0"), o1);

    /* non-numeric cell, reported with its line */
    const char *d2 = damaged_data("bad_cell", "net03/dense.csv", "\n1.0,", "\nabc,");
    const char *o2 = test_path(dir, "out_cell");
    const char *a2[] = {"train", "--data-dir", d2, "--out-dir", o2, "--config", "upstream", "--quiet", NULL};
    EXPECT_FAIL(a2, TEST_LIST("net03/dense.csv:", "'abc' is not a finite number"), o2);

    /* empty training set: every network is a test network */
    const char *o3 = test_path(dir, "out_empty");
    const char *a3[] = {"train",
                        "--data-dir",
                        data,
                        "--out-dir",
                        o3,
                        "--quiet",
                        "--test-models",
                        "lenet,resnet18,vgg16,net00,net01,net02,net03,net04,net05",
                        NULL};
    EXPECT_FAIL(a3, TEST_LIST("empty training set"), o3);
    /* ... or no rows at all */
    const char *d4 = test_path(dir, "bad_empty");
    test_write_file(test_path(d4, "net00/dense.csv"), "batch_size,input_size,output_size,power,runtime,layer_name\n");
    const char *a4[] = {"train", "--data-dir", d4, "--out-dir", o3, "--quiet", NULL};
    EXPECT_FAIL(a4, TEST_LIST("empty training set"), o3);
    const char *d5 = test_path(dir, "bad_nodata");
    test_write_file(test_path(d5, "net00/readme.txt"), "nothing\n");
    const char *a5[] = {"train", "--data-dir", d5, "--out-dir", o3, "--quiet", NULL};
    EXPECT_FAIL(a5, TEST_LIST("no training data"), o3);

    /* unknown feature, unknown setting in the config */
    const char *cfg = test_path(dir, "bad_cfg.json");
    test_write_file(cfg, "{\"pipelines\": {\"convolutional_power\": {\"features\": [\"batch_size\", \"flops\"]}}}\n");
    const char *a6[] = {"train", "--data-dir", data, "--out-dir", o3, "--config", cfg, "--quiet", NULL};
    EXPECT_FAIL(a6, TEST_LIST("unknown feature \"flops\"", "bad_cfg.json"), o3);
    test_write_file(cfg, "{\"pipelines\": {\"dense_power\": {\"special_terms\": [[\"input_size\"]]}}}\n");
    EXPECT_FAIL(a6, TEST_LIST("not among the features"), o3);
    test_write_file(cfg, "{\"pipelines\": {\"dense_power\": {\"degre\": 2}}}\n");
    EXPECT_FAIL(a6, TEST_LIST("unknown setting"), o3);
    test_write_file(cfg, "{\"pipelines\": {\"dense_power\": {\"scaler\": \"quantile\"}}}\n");
    EXPECT_FAIL(a6, TEST_LIST("scaler"), o3);
    /* the fit: a known family, and the additive one only on raw terms */
    test_write_file(cfg, "{\"pipelines\": {\"dense_runtime\": {\"fit\": \"ridge\"}}}\n");
    EXPECT_FAIL(a6, TEST_LIST("bad_cfg.json", "dense_runtime.fit: expected \"lasso\" or \"nnls_relative\""), o3);
    test_write_file(cfg, "{\"pipelines\": {\"dense_runtime\": {\"degree\": 2}}}\n");
    EXPECT_FAIL(a6, TEST_LIST("bad_cfg.json", "pipelines.dense_runtime", "sum of raw terms"), o3);
    test_write_file(cfg, "{\"pipelines\": {\"pooling_power\": {\"fit\": \"nnls_relative\", \"scaler\": "
                         "\"standard\"}}}\n");
    EXPECT_FAIL(a6, TEST_LIST("pipelines.pooling_power", "scaler \"none\""), o3);

    /* model file of another version: predict refuses, writes nothing */
    const char *m2 = test_path(dir, "models_v2");
    copy_dir(models, m2);
    replace_in_file(test_path(m2, "pooling_runtime.json"), "\"format_version\": 2", "\"format_version\": 3");
    const char *eng = test_path(dir, "engine.json");
    const char *csv = test_path(dir, "pred_v2.csv");
    const char *a7[] = {"predict", "--models", m2, "--engine-info", eng, "--out", csv, NULL};
    EXPECT_FAIL(a7, TEST_LIST("pooling_runtime.json: model format version 3"), csv);
    /* a model file that names an unknown fit or interval kind */
    const char *m3 = test_path(dir, "models_fit");
    copy_dir(models, m3);
    replace_in_file(test_path(m3, "pooling_runtime.json"), "\"fit\": \"", "\"fit\": \"x");
    const char *a7b[] = {"predict", "--models", m3, "--engine-info", eng, "--out", csv, NULL};
    EXPECT_FAIL(a7b, TEST_LIST("pooling_runtime.json", "\"fit\": expected"), csv);
    const char *m4 = test_path(dir, "models_iv");
    copy_dir(models, m4);
    /* (the original's models: an additive interval) */
    replace_in_file(test_path(m4, "dense_power.json"), "\"kind\": \"additive\"", "\"kind\": \"quantile\"");
    const char *a7c[] = {"predict", "--models", m4, "--engine-info", eng, "--out", csv, NULL};
    EXPECT_FAIL(a7c, TEST_LIST("dense_power.json", "\"kind\": expected"), csv);
    /* a missing engine file, a bad --out */
    const char *a8[] = {"predict", "--models", models, "--engine-info", test_path(dir, "nope.json"), NULL};
    EXPECT_FAIL(a8, TEST_LIST("nope.json"), NULL);
    const char *a9[] = {"predict", "--models", models, "--engine-info", eng, "--out", "x.txt", NULL};
    EXPECT_FAIL(a9, TEST_LIST(".csv"), NULL);
    CHECK_INT(test_count_entries(dir, ".pred"), 0);
}

/* The real engines of ../shared (Jetson Orin ResNet-18 and VGG-16), when
 * this checkout sits beside it; the test never depends on it. */
static void test_real_engines(void)
{
    static const char *const roots[] = {WATTPROF_SOURCE_DIR "/../shared", WATTPROF_SOURCE_DIR "/../../shared"};
    for (int r = 0; r < 2; r++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/reference/sample_data/resnet18_trt_engine_info.json", roots[r]);
        if (!test_file_exists(path))
            continue;
        wp_prediction p;
        wp_error err;
        CHECK_INT(wp_predict_engine(models, path, &p, &err), 0);
        CHECK_INT(p.n, 26);
        /* The original's polynomials go negative on some layers: those are
         * not modelled, with the reason, never a negative number. */
        size_t neg = 0;
        for (size_t i = 0; i < p.n; i++) {
            const wp_prediction_row *row = &p.rows[i];
            if (row->modelled)
                CHECK(row->power_w > 0 && row->runtime_ms > 0 && isfinite(row->energy_mj));
            else if (row->reason && strstr(row->reason, "non-positive"))
                neg++;
        }
        CHECK_INT(p.modelled + neg, 23);
        wp_prediction_free(&p);
        return;
    }
    printf("(../shared not found: real-engine prediction not exercised)\n");
}

/* Appends `wattprof dataset`'s device column to a training CSV. */
static void add_device_column(const char *path, const char *device)
{
    char *t = test_read_file(path);
    CHECK(t != NULL);
    if (!t)
        return;
    size_t n = strlen(t), lines = (size_t)test_count_lines(t);
    char *out = malloc(n + lines * (strlen(device) + 8) + 16), *o = out;
    for (const char *p = t; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        memcpy(o, p, len);
        o += len;
        o += sprintf(o, ",%s\n", p == t ? "device" : device);
        p += len + (nl != NULL);
    }
    *o = '\0';
    test_write_file(path, out);
    free(out);
    free(t);
}

/* A copy of the data whose CSVs carry a device column: net04's is other,
 * the rest's "Jetson Nano"; net02 keeps the older layout without one. */
static char *device_data(const char *name, const char *other)
{
    char *d = strdup(test_path(dir, name));
    copy_dir(data, d);
    static const char *const kinds[] = {"convolutional", "pooling", "dense"};
    static const char *const nets[] = {"lenet", "net00", "net01", "net03", "net04", "net05", "resnet18", "vgg16"};
    char rel[128];
    for (size_t g = 0; g < sizeof nets / sizeof *nets; g++)
        for (int k = 0; k < 3; k++) {
            snprintf(rel, sizeof rel, "%s/%s.csv", nets[g], kinds[k]);
            add_device_column(test_path(d, rel), strcmp(nets[g], "net04") ? "Jetson Nano" : other);
        }
    return d;
}

/* Rows of two devices: an error naming both and where each was read,
 * unless --allow-mixed-devices; rows without a device never conflict. */
static void test_mixed_devices(void)
{
    char *d = device_data("mixed", "Jetson AGX Orin");
    const char *out = test_path(dir, "models_mixed");
    const char *a[] = {"train", "--data-dir", d, "--out-dir", out, "--quiet", NULL};
    EXPECT_FAIL(a,
                TEST_LIST("net04/convolutional.csv:2: device 'Jetson AGX Orin' here but 'Jetson Nano' in ",
                          "lenet/convolutional.csv:2", "--allow-mixed-devices"),
                out);
    const char *ok[] = {"train", "--data-dir", d, "--out-dir", out, "--quiet", "--allow-mixed-devices", NULL};
    CHECK_CLI(ok, 0, TEST_LIST("devices (mixed): Jetson Nano, Jetson AGX Orin\n"), NULL);
    free(d);
    /* one device (and net02 without the column): trained, and said */
    d = device_data("one_device", "Jetson Nano");
    const char *out2 = test_path(dir, "models_one");
    const char *one[] = {"train", "--data-dir", d, "--out-dir", out2, "--quiet", NULL};
    CHECK_CLI(one, 0, TEST_LIST("tested on 3; device: Jetson Nano\n"), NULL);
    free(d);
}

/* Sets column `name` of every row of a training CSV (unquoted fields) to
 * value, or removes the column when value is NULL. */
static void rewrite_column(const char *path, const char *name, const char *value)
{
    char *t = test_read_file(path);
    CHECK(t != NULL);
    if (!t)
        return;
    char *out = malloc(strlen(t) * 2 + 64), *o = out;
    int col = -1, line = 0;
    for (char *p = t; *p; line++) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int field = 0, first = 1;
        for (char *f = p; f <= p + len; field++) {
            char *end = memchr(f, ',', (size_t)(p + len - f));
            if (!end)
                end = p + len;
            size_t fl = (size_t)(end - f);
            if (line == 0 && fl == strlen(name) && strncmp(f, name, fl) == 0)
                col = field;
            if (field != col || value) {
                if (!first)
                    *o++ = ',';
                first = 0;
                if (line > 0 && field == col)
                    o += sprintf(o, "%s", value);
                else
                    memcpy(o, f, fl), o += fl;
            }
            f = end + 1;
        }
        *o++ = '\n';
        p += len + (nl != NULL);
    }
    *o = '\0';
    CHECK(col >= 0);
    test_write_file(path, out);
    free(out);
    free(t);
}

/* The networks of the fixture's training data (main's fx_write). */
static const char *const fixture_nets[] = {"lenet", "net00", "net01",    "net02", "net03",
                                           "net04", "net05", "resnet18", "vgg16"};

/* `train` on data_dir into dir/NAME (kept); the folder. */
static const char *train_kept(const char *data_dir, const char *name)
{
    const char *out = test_path_kept(dir, name);
    CHECK_CLI(TEST_LIST("train", "--data-dir", data_dir, "--out-dir", out, "--quiet"), 0, NULL, NULL);
    return out;
}

/* Model file FILE of the set in out contains every text of HAS. */
static void check_model_file(const char *out, const char *file, const char *const *has)
{
    char *text = test_read_file(test_path(out, file));
    for (const char *const *h = has; *h; h++)
        CHECK_CONTAINS(text, *h);
    free(text);
}

/* Training data d whose networks name two values of one device fact (KEY)
 * is refused, the message holding WANT; with --allow-mixed-devices it
 * trains, into models that keep no KEY (FILE, one of them, says). */
static void check_mixed_refused(const char *d, const char *name, const char *const *want, const char *file,
                                const char *key)
{
    const char *out = test_path(dir, name);
    EXPECT_FAIL(TEST_LIST("train", "--data-dir", d, "--out-dir", out, "--quiet"), want, out);
    CHECK_CLI(TEST_LIST("train", "--data-dir", d, "--out-dir", out, "--quiet", "--allow-mixed-devices"), 0, NULL, NULL);
    char *text = test_read_file(test_path(out, file));
    CHECK(text && strstr(text, key) == NULL);
    free(text);
}

/* A copy of the training data in dir/NAME with COLUMN set to VALUE in
 * every network's CSV of each kind in KINDS (NULL-terminated); the copy's
 * folder. */
static const char *data_with_column(const char *name, const char *const *kinds, const char *column, const char *value)
{
    const char *d = test_path_kept(dir, name);
    copy_dir(data, d);
    char rel[128];
    for (size_t g = 0; g < sizeof fixture_nets / sizeof *fixture_nets; g++)
        for (const char *const *k = kinds; *k; k++) {
            snprintf(rel, sizeof rel, "%s/%s.csv", fixture_nets[g], *k);
            rewrite_column(test_path(d, rel), column, value);
        }
    return d;
}

/* A dataset from before the network context (no network_bytes,
 * cache_bytes, cold_start, network_layers, crowding, cache_read_bytes,
 * memory_read_bytes, channel_block, padded_macs, padded_out_bytes,
 * padded_taps): its networks streamed their weights, so train reads
 * in_bytes and weight_bytes for the two placed byte counts, cold_start and
 * crowding 1, and macs, out_bytes and taps for the padded ones (the block
 * unknown), and gets the
 * very models the same data with the columns gives. */
static void test_legacy_placement(void)
{
    const char *d = test_path_kept(dir, "legacy_placement");
    copy_dir(data, d);
    static const char *const cols[] = {"network_bytes", "cache_bytes",      "cold_start",        "network_layers",
                                       "crowding",      "cache_read_bytes", "memory_read_bytes", "channel_block",
                                       "padded_macs",   "padded_out_bytes", "padded_taps"};
    char rel[128];
    for (size_t g = 0; g < sizeof fixture_nets / sizeof *fixture_nets; g++)
        for (int k = 0; k < 3; k++) {
            snprintf(rel, sizeof rel, "%s/%s.csv", fixture_nets[g],
                     k == 0   ? "convolutional"
                     : k == 1 ? "pooling"
                              : "dense");
            for (size_t c = 0; c < (k == 0 ? 11u : k == 1 ? 5u : 7u); c++)
                rewrite_column(test_path(d, rel), cols[c], NULL);
        }
    const char *out_new = test_path_kept(dir, "models_placed"), *out_old = test_path_kept(dir, "models_legacy");
    const char *a[] = {"train", "--data-dir", data, "--out-dir", out_new, "--quiet", NULL};
    const char *b[] = {"train", "--data-dir", d, "--out-dir", out_old, "--quiet", NULL};
    CHECK_CLI(a, 0, NULL, NULL);
    CHECK_CLI(b, 0, NULL, NULL);
    static const char *const pipes[] = {"convolutional_runtime", "pooling_runtime", "dense_runtime"};
    for (int i = 0; i < 3; i++) {
        wp_model m1, m2;
        wp_error err;
        char f1[4096], f2[4096];
        snprintf(f1, sizeof f1, "%s/%s.json", out_new, pipes[i]);
        snprintf(f2, sizeof f2, "%s/%s.json", out_old, pipes[i]);
        CHECK_INT(wp_model_read(f1, &m1, &err), 0);
        CHECK_INT(wp_model_read(f2, &m2, &err), 0);
        CHECK_INT((int)m1.p, (int)m2.p);
        for (size_t j = 0; j < m1.p && j < m2.p; j++)
            CHECK_NEAR(m1.coef[j], m2.coef[j], 0);
        CHECK_NEAR(m1.intercept, m2.intercept, 0);
        wp_model_free(&m1);
        wp_model_free(&m2);
    }
}

/* The cache the training networks were placed against (the CSVs'
 * cache_bytes) goes into every model file; predict places a new network
 * against it: one that fits reads its weights from cache. Two different
 * caches in one training set: an error, unless --allow-mixed-devices, and
 * then the models record none. */
static void test_cache_bytes(void)
{
    const char *d = data_with_column("cache_data", TEST_LIST("convolutional", "dense"), "cache_bytes", "1048576");
    char rel[128];
    const char *out = train_kept(d, "models_cache");
    check_model_file(out, "dense_runtime.json", TEST_LIST("\"cache_bytes\": 1048576", "\"memory_read_bytes\""));
    wp_model m;
    wp_error err;
    CHECK_INT(wp_model_read(test_path(out, "pooling_power.json"), &m, &err), 0);
    CHECK_NEAR(m.cache_bytes, 1048576, 0);
    wp_model_free(&m);

    /* A small network fits: its dense layer's weights count as cache reads.
     * The large one (3.2 MB of weights) does not. */
    const char *small = test_path(dir, "small_engine.json");
    test_write_file(small, "{\"Layers\": [\n{\"Name\": \"fc\", \"LayerType\": \"CaskGemmConvolution\", "
                           "\"Inputs\": [{\"Dimensions\": [1,400,1,1]}], \"Outputs\": [{\"Dimensions\": "
                           "[1,120,1,1]}], \"Kernel\": [1,1]}\n]}\n");
    const char *big = test_path(dir, "big_engine.json");
    test_write_file(big, "{\"Layers\": [\n{\"Name\": \"fc0\", \"LayerType\": \"CaskGemmConvolution\", "
                         "\"Inputs\": [{\"Dimensions\": [1,1600,1,1]}], \"Outputs\": [{\"Dimensions\": "
                         "[1,1024,1,1]}], \"Kernel\": [1,1]}\n]}\n");
    CHECK_INT(wp_model_read(test_path(out, "dense_runtime.json"), &m, &err), 0);
    for (int which = 0; which < 2; which++) {
        wp_engine e;
        wp_prediction p;
        const char *eng = which ? big : small;
        CHECK_INT(wp_engine_read(eng, &e, &err), 0);
        CHECK_INT(wp_predict_engine(out, eng, &p, &err), 0);
        const wp_engine_layer *fc = wp_engine_find(&e, which ? "fc0" : "fc");
        wp_feature_context ctx = {wp_network_bytes(&e, NULL), 1048576, 0, wp_network_layers(&e, NULL)};
        CHECK_INT(wp_network_resident(&ctx), !which);
        CHECK_NEAR(p.network_layers, 1, 0);
        /* the big one: 1 MB of its 3.2 MB fits */
        double miss = which ? 1 - 1048576 / ctx.network_bytes : 0;
        CHECK_NEAR(ctx.network_bytes, which ? 2.0 * 1600 * 1024 : 2.0 * 400 * 120, 0);
        CHECK(!which || (miss > 0.67 && miss < 0.69));
        CHECK_NEAR(wp_network_miss_share(&ctx), miss, 1e-15);
        wp_feature_row fr;
        CHECK_INT(wp_layer_features_in(fc, WP_KIND_DENSE, &ctx, &fr, &err), 0);
        double wb = 2.0 * (which ? 1600 * 1024 : 400 * 120), ib = 2.0 * (which ? 1600 : 400);
        CHECK_NEAR(wp_feature_get(&fr, "memory_read_bytes"), wb * miss, 1e-9);
        CHECK_NEAR(wp_feature_get(&fr, "cache_read_bytes"), ib + wb * (1 - miss), 1e-9);
        CHECK_NEAR(wp_feature_get(&fr, "cold_start"), miss, 1e-15);
        double raw[WP_MODEL_MAX_FEATURES];
        for (int f = 0; f < m.cfg.n_features; f++)
            raw[f] = wp_feature_get(&fr, m.cfg.features[f]);
        size_t row = (size_t)(fc - e.layers);
        CHECK(row < p.n && p.rows[row].modelled);
        if (row < p.n) {
            CHECK_NEAR(p.rows[row].runtime_ms, wp_model_predict(&m, raw), 0);
            /* every training network started wholly cold: one that fits,
             * and one that fits in part, lie outside what the models saw,
             * and are flagged */
            CHECK_INT(p.rows[row].out_of_range, 1);
        }
        wp_prediction_free(&p);
        wp_engine_free(&e);
    }
    wp_model_free(&m);
    /* and predict says which it was */
    const char *ps[] = {"predict", "--models", out, "--engine-info", small, NULL};
    CHECK_CLI(ps, 0,
              TEST_LIST("cache:                  weights 94 KB, models' level-2 cache 1024 KB: fits (weights read "
                        "from cache, no cold start)\n"),
              NULL);
    const char *pb[] = {"predict", "--models", out, "--engine-info", big, NULL};
    CHECK_CLI(pb, 0,
              TEST_LIST("level-2 cache 1024 KB: 68 % of it does not fit (that share of the weights streamed from "
                        "memory and of a cold start charged)\n"),
              NULL);
    /* 1,024 bytes over (FP16: 512 x 1025 weights): a share that rounds to
     * 0 % is said as under 1 % */
    const char *edge = test_path(dir, "edge_engine.json");
    test_write_file(edge, "{\"Layers\": [\n{\"Name\": \"fc\", \"LayerType\": \"CaskGemmConvolution\", "
                          "\"Inputs\": [{\"Dimensions\": [1,512,1,1]}], \"Outputs\": [{\"Dimensions\": "
                          "[1,1025,1,1]}], \"Kernel\": [1,1]}\n]}\n");
    CHECK_CLI(TEST_LIST("predict", "--models", out, "--engine-info", edge), 0,
              TEST_LIST("cache:                  weights 1025 KB, models' level-2 cache 1024 KB: under 1 % of it "
                        "does not fit"),
              NULL);
    const char *pn[] = {"predict", "--models", models, "--engine-info", small, NULL};
    test_run_result rn = test_run_cli(pn);
    CHECK_INT(rn.status, 0);
    CHECK(rn.out && strstr(rn.out, "cache:") == NULL); /* models that know no cache say nothing */
    test_run_free(&rn);

    /* net04 measured on another machine */
    for (int k = 0; k < 2; k++) {
        snprintf(rel, sizeof rel, "net04/%s.csv", k ? "dense" : "convolutional");
        rewrite_column(test_path(d, rel), "cache_bytes", "262144");
    }
    check_mixed_refused(
        d, "models_cache_mixed",
        TEST_LIST("net04/convolutional.csv:2: cache_bytes 262144 here but 1048576 in ", "--allow-mixed"),
        "dense_runtime.json", "cache_bytes");
}

/* The channel block the training convolutions ran with (the CSVs'
 * channel_block) goes into the model files; predict rounds a new network's
 * output channels up to it, and says how many convolutions that touched.
 * Two blocks in one training set are refused, as two caches are. */
static void test_channel_block(void)
{
    const char *d = data_with_column("block_data", TEST_LIST("convolutional"), "channel_block", "16");
    const char *out = train_kept(d, "models_block");
    check_model_file(out, "convolutional_runtime.json",
                     TEST_LIST("\"channel_block\": 16", "\"padded_macs\"", "\"padded_out_bytes\"", "\"padded_taps\""));
    wp_model m;
    wp_error err;
    CHECK_INT(wp_model_read(test_path(out, "convolutional_runtime.json"), &m, &err), 0);
    CHECK_NEAR(m.channel_block, 16, 0);
    /* 6 output channels cost 16; 32 cost 32 */
    const char *eng = test_path(dir, "block_engine.json");
    test_write_file(eng, "{\"Layers\": [\n"
                         "{\"Name\": \"c6\", \"LayerType\": \"CaskConvolution\", \"Inputs\": [{\"Dimensions\": "
                         "[1,1,28,28]}], \"Outputs\": [{\"Dimensions\": [1,6,28,28]}], \"Kernel\": [5,5], "
                         "\"PrePadding\": [2,2], \"PostPadding\": [2,2]},\n"
                         "{\"Name\": \"c32\", \"LayerType\": \"CaskConvolution\", \"Inputs\": [{\"Dimensions\": "
                         "[1,6,28,28]}], \"Outputs\": [{\"Dimensions\": [1,32,28,28]}], \"Kernel\": [3,3], "
                         "\"PrePadding\": [1,1], \"PostPadding\": [1,1]}\n]}\n");
    wp_engine e;
    wp_prediction p;
    CHECK_INT(wp_engine_read(eng, &e, &err), 0);
    CHECK_INT(wp_predict_engine(out, eng, &p, &err), 0);
    CHECK_INT((int)p.n_conv, 2);
    CHECK_INT((int)p.n_channel_padded, 1);
    for (size_t l = 0; l < 2 && l < p.n; l++) {
        wp_feature_context ctx = {wp_network_bytes(&e, NULL), 0, 16, wp_network_layers(&e, NULL)};
        wp_feature_row fr;
        CHECK_INT(wp_layer_features_in(&e.layers[l], WP_KIND_CONV, &ctx, &fr, &err), 0);
        CHECK_NEAR(wp_feature_get(&fr, "padded_macs"), wp_feature_get(&fr, "macs") * (l == 0 ? 16.0 / 6 : 1), 1e-6);
        CHECK_NEAR(wp_feature_get(&fr, "padded_out_bytes"), wp_feature_get(&fr, "out_bytes") * (l == 0 ? 16.0 / 6 : 1),
                   1e-6);
        CHECK_NEAR(wp_feature_get(&fr, "padded_taps"), wp_feature_get(&fr, "taps") * (l == 0 ? 16.0 / 6 : 1), 1e-6);
        double raw[WP_MODEL_MAX_FEATURES];
        for (int f = 0; f < m.cfg.n_features; f++)
            raw[f] = wp_feature_get(&fr, m.cfg.features[f]);
        CHECK(p.rows[l].modelled);
        CHECK_NEAR(p.rows[l].runtime_ms, wp_model_predict(&m, raw), 0);
    }
    wp_prediction_free(&p);
    wp_engine_free(&e);
    wp_model_free(&m);
    const char *pa[] = {"predict", "--models", out, "--engine-info", eng, NULL};
    CHECK_CLI(pa, 0,
              TEST_LIST("channels:               1 of 2 convolutions rounded up to the models' block of 16 output "
                        "channels\n"),
              NULL);
    /* models that know no block say nothing */
    const char *pn[] = {"predict", "--models", models, "--engine-info", eng, NULL};
    test_run_result rn = test_run_cli(pn);
    CHECK_INT(rn.status, 0);
    CHECK(rn.out && strstr(rn.out, "channels:") == NULL);
    test_run_free(&rn);

    /* net04 ran on a CPU with another vector width */
    rewrite_column(test_path(d, "net04/convolutional.csv"), "channel_block", "8");
    check_mixed_refused(d, "models_block_mixed",
                        TEST_LIST("net04/convolutional.csv:2: channel_block 8 here but 16 in ", "--allow-mixed"),
                        "convolutional_runtime.json", "channel_block");
    /* and a model file with a bad block is refused by name */
    const char *bad = test_path(dir, "bad_block");
    copy_dir(out, bad);
    char *mj = test_read_file(test_path(bad, "convolutional_runtime.json"));
    if (mj) {
        char *at = strstr(mj, "\"channel_block\": 16");
        if (at)
            memcpy(at + strlen("\"channel_block\": "), "-1", 2);
        test_write_file(test_path(bad, "convolutional_runtime.json"), mj);
        free(mj);
    }
    const char *pb[] = {"predict", "--models", bad, "--engine-info", eng, NULL};
    CHECK_CLI(pb, 1, NULL,
              TEST_LIST("convolutional_runtime.json: \"channel_block\": expected an integer from 0 to 4096"));
}

/* The training CSV of KIND at CSV_PATH for the engine file at ENG_PATH:
 * each layer's features in the engine's context (its cache, channel
 * block and layer count), runtime(features) as its runtime. */
static void write_engine_rows(const char *eng_path, wp_layer_kind kind, const char *csv_path,
                              double (*runtime)(const wp_feature_row *))
{
    wp_engine e;
    wp_error err;
    CHECK_INT(wp_engine_read(eng_path, &e, &err), 0);
    wp_feature_context ctx = {wp_network_bytes(&e, NULL), (double)e.cache_bytes, (double)e.channel_block,
                              wp_network_layers(&e, NULL)};
    size_t nf;
    const char *const *names = wp_feature_names(kind, &nf);
    size_t cap = 4096 + e.n * 1024, len = 0;
    char *csv = malloc(cap);
    for (size_t f = 0; f < nf; f++)
        len += (size_t)snprintf(csv + len, cap - len, "%s,", names[f]);
    len += (size_t)snprintf(csv + len, cap - len, "power,runtime,layer_name\n");
    for (size_t l = 0; l < e.n; l++) {
        wp_feature_row fr;
        CHECK_INT(wp_layer_features_in(&e.layers[l], kind, &ctx, &fr, &err), 0);
        for (size_t f = 0; f < nf; f++)
            len += (size_t)snprintf(csv + len, cap - len, "%.17g,", fr.values[f]);
        len += (size_t)snprintf(csv + len, cap - len, "2500000.0,%.17g,%s\n", runtime(&fr), e.layers[l].name);
    }
    test_write_file(csv_path, csv);
    free(csv);
    wp_engine_free(&e);
}

/* Dense layers of a network of N layers on a 1 MB cache: the engine file
 * at PATH; layer i reads 64 x (1 + i % 4) inputs into 32 x (1 + i % 3). */
static void write_crowd_engine(const char *path, int n)
{
    size_t cap = 128 + (size_t)n * 192, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "{\"DeviceCacheBytes\": 1048576, \"Layers\": [\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len,
                                "%s{\"Name\": \"fc%d\", \"LayerType\": \"CaskGemmConvolution\", \"Inputs\": "
                                "[{\"Dimensions\": [1,%d,1,1]}], \"Outputs\": [{\"Dimensions\": [1,%d,1,1]}], "
                                "\"Kernel\": [1,1]}\n",
                                i ? "," : "", i, 64 * (1 + i % 4), 32 * (1 + i % 3));
    snprintf(t + len, cap - len, "]}\n");
    test_write_file(path, t);
    free(t);
}

/* What the crowd networks' dense layers take (ms): an overhead, a cost
 * per MAC, and a cost of being crowded by the network's other layers. */
static double crowd_runtime(const wp_feature_row *fr)
{
    return 1e-4 + 2e-9 * wp_feature_get(fr, "macs") + 4e-4 * wp_feature_get(fr, "crowding");
}

/* crowding (dataset_features.c): a dense layer's overhead grows with the
 * layers its network runs. Networks of 2 to 34 layers whose runtimes carry
 * that cost: the default dense model learns it and predict applies it to a
 * held-out network from the layer count of its engine file; a model
 * without the term misses that network. */
static void test_crowding(void)
{
    static const int sizes[] = {2, 3, 5, 8, 13, 21, 34};
    const char *d = test_path_kept(dir, "crowd_data");
    char path[4096], held[4096];
    for (size_t g = 0; g < sizeof sizes / sizeof *sizes; g++) {
        snprintf(path, sizeof path, "%s/crowd%d.json", dir, sizes[g]);
        write_crowd_engine(path, sizes[g]);
        wp_engine e;
        wp_error err;
        CHECK_INT(wp_engine_read(path, &e, &err), 0);
        CHECK_NEAR(wp_network_layers(&e, NULL), sizes[g], 0);
        wp_feature_context ctx = {wp_network_bytes(&e, NULL), (double)e.cache_bytes, 0, wp_network_layers(&e, NULL)};
        wp_feature_row fr;
        CHECK_INT(wp_layer_features_in(&e.layers[0], WP_KIND_DENSE, &ctx, &fr, &err), 0);
        CHECK_NEAR(wp_feature_get(&fr, "network_layers"), sizes[g], 0);
        CHECK_NEAR(wp_feature_get(&fr, "crowding"), 1 - exp(-sizes[g] / WP_CROWDING_LAYERS), 1e-15);
        wp_engine_free(&e);
        char csv[4096];
        snprintf(csv, sizeof csv, "%s/crowd%d/dense.csv", d, sizes[g]);
        write_engine_rows(path, WP_KIND_DENSE, csv, crowd_runtime);
    }
    snprintf(held, sizeof held, "%s/crowd13.json", dir);
    const char *cfg = test_path_kept(dir, "no_crowding.json");
    test_write_file(cfg, "{\"pipelines\": {\"dense_runtime\": {\"features\": [\"macs\", \"cache_read_bytes\", "
                         "\"memory_read_bytes\", \"out_bytes\", \"cold_start\"]}}}\n");
    for (int with = 1; with >= 0; with--) {
        const char *out = test_path_kept(dir, with ? "crowd_models" : "crowd_models_without");
        CHECK_CLI(with ? TEST_LIST("train", "--data-dir", d, "--out-dir", out, "--test-models", "crowd13", "--quiet")
                       : TEST_LIST("train", "--data-dir", d, "--out-dir", out, "--test-models", "crowd13", "--config",
                                   cfg, "--quiet"),
                  0, NULL, NULL);
        wp_model m;
        wp_error err;
        CHECK_INT(wp_model_read(test_path(out, "dense_runtime.json"), &m, &err), 0);
        int fc = -1;
        for (int f = 0; f < m.cfg.n_features; f++)
            if (strcmp(m.cfg.features[f], "crowding") == 0)
                fc = f;
        CHECK_INT(fc >= 0, with);
        CHECK_INT((int)m.p, m.cfg.n_features + 1); /* term 0 is the bias */
        if (fc >= 0)
            CHECK_NEAR(m.coef[fc + 1], 4e-4, 1e-9);
        wp_model_free(&m);
        wp_prediction p;
        wp_engine e;
        CHECK_INT(wp_engine_read(held, &e, &err), 0);
        CHECK_INT(wp_predict_engine(out, held, &p, &err), 0);
        CHECK_NEAR(p.network_layers, 13, 0);
        double worst = 0;
        wp_feature_context ctx = {wp_network_bytes(&e, NULL), 1048576, 0, 13};
        for (size_t l = 0; l < p.n && l < e.n; l++) {
            wp_feature_row fr;
            CHECK_INT(wp_layer_features_in(&e.layers[l], WP_KIND_DENSE, &ctx, &fr, &err), 0);
            double truth = crowd_runtime(&fr), rel = fabs(p.rows[l].runtime_ms - truth) / truth;
            worst = rel > worst ? rel : worst;
        }
        /* learned, the held-out network is exact; without the term its
         * 13 layers' crowding is charged as the training networks' mean */
        CHECK(with ? worst < 1e-6 : worst > 0.05);
        wp_prediction_free(&p);
        wp_engine_free(&e);
    }
}

/* A network of N 3x3 convolutions, 8 -> 16 channels and wider each layer,
 * on a cache of CACHE bytes: the engine file at PATH. */
static void write_conv_engine(const char *path, int n, long cache)
{
    static const int hw[] = {16, 8, 24}; /* MACs not a multiple of the weights */
    size_t cap = 128 + (size_t)n * 256, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len,
                            "{\"DeviceCacheBytes\": %ld, \"DeviceChannelBlock\": 16, \"Layers\": [\n", cache);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len,
                                "%s{\"Name\": \"conv%d\", \"LayerType\": \"CaskConvolution\", \"Inputs\": "
                                "[{\"Dimensions\": [1,%d,%d,%d]}], \"Outputs\": [{\"Dimensions\": [1,%d,%d,%d]}], "
                                "\"Kernel\": [3,3], \"PrePadding\": [1,1], \"PostPadding\": [1,1]}\n",
                                i ? "," : "", i, 8 * (1 + i), hw[i % 3], hw[i % 3], 16 * (1 + i), hw[i % 3], hw[i % 3]);
    snprintf(t + len, cap - len, "]}\n");
    test_write_file(path, t);
    free(t);
}

/* What those convolutions take (ms): an overhead, a cost per MAC, and
 * more per MAC in a network that streams its weights. */
static double streamed_runtime(const wp_feature_row *fr)
{
    return 1e-3 + 2e-9 * wp_feature_get(fr, "padded_macs") * (1 + 2 * wp_feature_get(fr, "cold_start"));
}

/* padded_macs x cold_start (the default convolution model): networks that
 * fit compute faster than networks that stream. Trained on both kinds,
 * the model predicts a held-out network of either kind from its engine
 * file (one that fits, stream2, and one that does not, stream6); without
 * the term it charges both one rate and misses both. */
static void test_streamed_macs(void)
{
    /* networks of 1 to 8 layers on a 32 KB cache: those of 1 to 3 fit
     * (2.3, 11.5 and 32.3 KB of FP16 weights), the larger ones stream a
     * growing share */
    const char *d = test_path_kept(dir, "streamed_data");
    char path[4096];
    for (int g = 1; g <= 8; g++) {
        snprintf(path, sizeof path, "%s/stream%d.json", dir, g);
        write_conv_engine(path, g, 32768);
        wp_engine e;
        wp_error err;
        CHECK_INT(wp_engine_read(path, &e, &err), 0);
        wp_feature_context ctx = {wp_network_bytes(&e, NULL), (double)e.cache_bytes, 0, 0};
        CHECK_INT(wp_network_resident(&ctx), g <= 3);
        wp_engine_free(&e);
        char csv[4096];
        snprintf(csv, sizeof csv, "%s/stream%d/convolutional.csv", d, g);
        write_engine_rows(path, WP_KIND_CONV, csv, streamed_runtime);
    }
    const char *cfg = test_path_kept(dir, "no_streamed_macs.json");
    test_write_file(cfg, "{\"pipelines\": {\"convolutional_runtime\": {\"special_terms\": []}}}\n");
    for (int with = 1; with >= 0; with--) {
        const char *out = test_path_kept(dir, with ? "streamed_models" : "streamed_models_without");
        CHECK_CLI(
            with ? TEST_LIST("train", "--data-dir", d, "--out-dir", out, "--test-models", "stream2,stream6", "--quiet")
                 : TEST_LIST("train", "--data-dir", d, "--out-dir", out, "--test-models", "stream2,stream6", "--config",
                             cfg, "--quiet"),
            0, NULL, NULL);
        check_model_file(out, "convolutional_runtime.json", TEST_LIST("\"padded_taps\""));
        double worst = 0;
        for (int g = 2; g <= 6; g += 4) {
            wp_prediction p;
            wp_engine e;
            wp_error err;
            snprintf(path, sizeof path, "%s/stream%d.json", dir, g);
            CHECK_INT(wp_engine_read(path, &e, &err), 0);
            CHECK_INT(wp_predict_engine(out, path, &p, &err), 0);
            wp_feature_context ctx = {wp_network_bytes(&e, NULL), (double)e.cache_bytes, (double)e.channel_block,
                                      wp_network_layers(&e, NULL)};
            for (size_t l = 0; l < p.n && l < e.n; l++) {
                wp_feature_row fr;
                CHECK_INT(wp_layer_features_in(&e.layers[l], WP_KIND_CONV, &ctx, &fr, &err), 0);
                double truth = streamed_runtime(&fr), rel = fabs(p.rows[l].runtime_ms - truth) / truth;
                worst = rel > worst ? rel : worst;
            }
            wp_prediction_free(&p);
            wp_engine_free(&e);
        }
        /* without: 3 % on the network that fits, 24 % on the other */
        CHECK(with ? worst < 1e-6 : worst > 0.1);
    }
}

static void test_help(void)
{
    const char *a[] = {"train", "--help", NULL};
    const char *a_says[] = {"--cv-by-model", NULL};
    CHECK_CLI(a, 0, a_says, NULL);
    const char *b[] = {"predict", "--help", NULL};
    const char *b_says[] = {"--engine-info", NULL};
    CHECK_CLI(b, 0, b_says, NULL);
    const char *c[] = {"train", "--data-dir", "x", NULL};
    CHECK_CLI(c, 2, NULL, NULL);
}

int main(void)
{
    dir = test_tmpdir();
    data = test_path_kept(dir, "data");
    models = test_path_kept(dir, "models");
    if (getenv("WATTPROF_KEEP_TMP"))
        fprintf(stderr, "fixture: %s\n", data);
    int per_kind[3] = {20, 12, 8};
    wp_error err;
    if (fx_write_or_say(data, 6, per_kind, 42, &err))
        return 1;
    test_train_parity();
    test_predict();
    test_cv_by_model_and_config();
    test_train_set();
    test_physical_example();
    test_bad_input();
    test_real_engines();
    test_mixed_devices();
    test_cache_bytes();
    test_channel_block();
    test_legacy_placement();
    test_crowding();
    test_streamed_macs();
    test_help();
    int rc = test_summary();
    return rc;
}
