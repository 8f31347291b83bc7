/* Live parity: `wattprof train` and scikit-learn (bench/reference/
 * train_reference.py, Debian's /usr/bin/python3 with python3-sklearn) on
 * the same fresh fixture must choose the same alpha and agree on every test
 * prediction within 1e-3 relative, for all six pipelines. Skipped (77) when
 * scikit-learn is not installed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "train_fixture.h"
#include "wattprof/csv.h"
#include "wattprof/model.h"

int main(void)
{
    const char *py = "/usr/bin/python3";
    const char *probe[] = {py, "-c", "import sklearn", NULL};
    test_run_result pr = test_run_argv(probe);
    int have = pr.status == 0;
    test_run_free(&pr);
    if (!have) {
        printf("skipped: %s with scikit-learn not found (apt install python3-sklearn)\n", py);
        return 77;
    }
    const char *dir = test_tmpdir();
    char *data = strdup(test_path(dir, "data")), *models = strdup(test_path(dir, "models"));
    int per_kind[3] = {14, 10, 8};
    wp_error err;
    if (fx_write_or_say(data, 5, per_kind, 7, &err))
        return 1;
    const char *args[] = {"train", "--data-dir", data,       "--out-dir", models, "--cv",
                          "5",     "--config",   "upstream", "--quiet",   NULL};
    CHECK_CLI(args, 0, NULL, NULL);
    const char *ref[] = {py, WATTPROF_SOURCE_DIR "/bench/reference/train_reference.py", data, "--cv", "5", NULL};
    test_run_result r = test_run_argv(ref);
    CHECK_INT(r.status, 0);
    json_error_t je;
    json_t *doc = json_loads(r.out ? r.out : "", 0, &je);
    CHECK(doc != NULL);
    if (!doc)
        fprintf(stderr, "reference output: %s\n%s\n", r.out, r.err);
    test_run_free(&r);
    static const char *const tests[] = {"lenet", "resnet18", "vgg16"};
    for (int i = 0; doc && i < WP_N_UPSTREAM_PIPELINES; i++) {
        json_t *p = json_object_get(doc, wp_pipeline_name(i));
        CHECK(p != NULL);
        wp_model m;
        char file[4096];
        snprintf(file, sizeof file, "%s/%s.json", models, wp_pipeline_name(i));
        if (!p || wp_model_read(file, &m, &err)) {
            CHECK_STR(err.msg, "");
            continue;
        }
        double alpha = json_number_value(json_object_get(p, "alpha"));
        CHECK_NEAR(m.alpha, alpha, 1e-12 * alpha);
        json_t *preds = json_object_get(p, "test_predictions");
        size_t k = 0;
        int bad = 0;
        for (int t = 0; t < 3; t++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s/%s.csv", data, tests[t], wp_layer_kind_name(m.cfg.kind));
            wp_csv_reader rd;
            if (wp_csv_open(&rd, path, &err))
                continue;
            while (wp_csv_next(&rd, &err) == 1) {
                double raw[WP_MODEL_MAX_FEATURES];
                for (int f = 0; f < m.cfg.n_features; f++)
                    wp_csv_double(&rd, wp_csv_column(&rd, m.cfg.features[f]), 0, &raw[f], &err);
                double ours = wp_model_predict(&m, raw);
                double theirs = json_number_value(json_array_get(preds, k++));
                if (!(fabs(ours - theirs) <= 1e-3 * fabs(theirs))) {
                    bad++;
                    fprintf(stderr, "%s row %zu: %.17g vs scikit-learn %.17g\n", wp_pipeline_name(i), k, ours, theirs);
                }
            }
            wp_csv_free(&rd);
        }
        CHECK_INT(k, json_array_size(preds));
        CHECK_INT(bad, 0);
        wp_model_free(&m);
    }
    json_decref(doc);
    free(data);
    free(models);
    return test_summary();
}
