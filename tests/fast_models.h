/* Models for the tests that predict with them (test_every_layer,
 * test_predict_onnx): `wattprof train` with degree 1 on 20 alphas for every
 * log-space pipeline (the additive runtime ones have no alphas) and 3
 * folds, which fits in a fraction of the default's time.
 * Those tests are about which layers get a model and how a prediction is
 * made; test_model pins the fitting itself. */
#ifndef WATTPROF_FAST_MODELS_H
#define WATTPROF_FAST_MODELS_H

#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/model.h"

/* Trains models into models_dir from the training data under data_dir (the
 * configuration is written to the test's scratch folder). Returns the run
 * for the caller's checks of its status and output. */
static inline test_run_result fast_models_train(const char *data_dir, const char *models_dir)
{
    char text[4096] = "{\"pipelines\": {";
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%s\"%s\": {\"degree\": 1, \"n_alphas\": 20}", i ? "," : "",
                 wp_pipeline_name(i));
    }
    strcat(text, "}}\n");
    const char *cfg = test_path(test_tmpdir(), "fast.json");
    test_write_file(cfg, text);
    return test_run_cli(
        TEST_LIST("train", "--data-dir", data_dir, "--out-dir", models_dir, "--config", cfg, "--cv", "3", "--quiet"));
}

/* `wattprof train` with the default configuration on data_dir, the
 * networks in test_models held out, then OUT/<pipeline>.json read into m.
 * 0 when both worked; otherwise the failure is already reported as the
 * caller's and m holds nothing to free. */
static inline int train_default_and_read(const char *data_dir, const char *out_dir, const char *test_models,
                                         const char *pipeline, wp_model *m)
{
    test_run_result r = test_run_cli(
        TEST_LIST("train", "--data-dir", data_dir, "--out-dir", out_dir, "--test-models", test_models, "--quiet"));
    int status = r.status;
    CHECK_INT(status, 0);
    test_run_free(&r);
    char file[256];
    snprintf(file, sizeof file, "%s.json", pipeline);
    wp_error err;
    int rc = status == 0 ? wp_model_read(test_path(out_dir, file), m, &err) : -1;
    CHECK_INT(rc, 0);
    return rc;
}

#endif
