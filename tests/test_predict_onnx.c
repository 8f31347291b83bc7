/* predict --onnx end to end: train on a tiny synthetic dataset, write
 * LeNet with `zoo`, predict straight from the ONNX file. The layers it
 * models are the graph's conv / pooling / dense layers in order, the CSV
 * has the documented columns with energy = power x runtime, and the
 * in-memory path gives exactly what `predict --engine-info` gives on the
 * engine-info file bench would write for the same graph. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fast_models.h"
#include "testutil.h"
#include "train_fixture.h"
#include "wattprof/csv.h"
#include "wattprof/model.h"
#include "wattprof/onnx.h"
#include "wattprof/zoo.h"

#define MAX_ROWS 64

typedef struct pred_row {
    char name[128], type[64];
    double power, runtime, energy;
} pred_row;

static size_t read_predictions(const char *path, pred_row *rows)
{
    wp_csv_reader r;
    wp_error err;
    if (wp_csv_open(&r, path, &err)) {
        CHECK_STR(err.msg, "");
        return 0;
    }
    static const char *const cols[] = {"layer_name", "layer_type", "power_prediction", "runtime_prediction",
                                       "energy_prediction"};
    for (int c = 0; c < 5; c++)
        CHECK_INT(wp_csv_column(&r, cols[c]), c);
    size_t n = 0;
    while (wp_csv_next(&r, &err) == 1 && n < MAX_ROWS) {
        pred_row *p = &rows[n++];
        snprintf(p->name, sizeof p->name, "%s", r.fields[0]);
        snprintf(p->type, sizeof p->type, "%s", r.fields[1]);
        CHECK_INT(wp_csv_double(&r, 2, 0, &p->power, &err), 0);
        CHECK_INT(wp_csv_double(&r, 3, 0, &p->runtime, &err), 0);
        CHECK_INT(wp_csv_double(&r, 4, 0, &p->energy, &err), 0);
    }
    wp_csv_free(&r);
    return n;
}

int main(void)
{
    TEST_SKIP_UNLESS(wp_onnx_supported(), "ONNX support is not built in");
    const char *dir = test_tmpdir();
    const char *data = test_path_kept(dir, "data");
    const char *models = test_path_kept(dir, "models");
    wp_error err;
    if (fx_write_or_say(data, 6, (int[3]){8, 6, 6}, 77, &err))
        return 1;
    test_run_result r = fast_models_train(data, models);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    const char *onnx = test_path_kept(dir, "lenet.onnx");
    CHECK_CLI(TEST_LIST("zoo", "--arch", "lenet", "--out", onnx), 0, NULL, NULL);

    /* The modelled layers, independently: the graph's layer kinds. */
    const char *engine = test_path_kept(dir, "trt_engine_info.json");
    wp_graph g;
    wp_engine eng = {0};
    CHECK_INT(wp_onnx_read(onnx, NULL, &g, &err), 0);
    CHECK_INT(wp_graph_to_engine(&g, &eng, &err), 0);
    CHECK_INT(wp_graph_write_engine_info(&g, NULL, 0, 0, engine, &err), 0);
    wp_graph_free(&g);
    size_t kinds[4] = {0};
    for (size_t i = 0; i < eng.n; i++)
        kinds[eng.layers[i].kind]++;
    CHECK(kinds[WP_KIND_CONV] >= 2 && kinds[WP_KIND_POOL] >= 2 && kinds[WP_KIND_DENSE] >= 2);
    size_t modelled = kinds[WP_KIND_CONV] + kinds[WP_KIND_POOL] + kinds[WP_KIND_DENSE];

    const char *csv = test_path_kept(dir, "onnx.csv");
    r = test_run_cli((const char *[]){"predict", "--models", models, "--onnx", onnx, "--out", csv, NULL});
    CHECK_INT(r.status, 0);
    char want[128];
    snprintf(want, sizeof want, "layers modelled:        %zu / %zu\n", modelled, eng.n);
    CHECK_CONTAINS(r.out, want);
    test_run_free(&r);
    char *text = test_read_file(csv);
    CHECK(text &&
          strncmp(text, "layer_name,layer_type,power_prediction,runtime_prediction,energy_prediction,", 76) == 0);
    free(text);
    static pred_row rows[MAX_ROWS], rows2[MAX_ROWS];
    size_t n = read_predictions(csv, rows);
    CHECK_INT((long)n, (long)modelled);
    size_t j = 0;
    for (size_t i = 0; i < eng.n && j < n; i++) {
        const wp_engine_layer *L = &eng.layers[i];
        if (L->kind == WP_KIND_OTHER)
            continue;
        CHECK_STR(rows[j].name, L->name);
        CHECK_STR(rows[j].type, L->type);
        CHECK(isfinite(rows[j].power) && isfinite(rows[j].runtime));
        CHECK_NEAR(rows[j].energy, rows[j].power * rows[j].runtime, 1e-12);
        j++;
    }
    CHECK_INT((long)j, (long)n);

    /* Same numbers as the engine-info file route. */
    const char *csv2 = test_path_kept(dir, "file.csv");
    CHECK_CLI(TEST_LIST("predict", "--models", models, "--engine-info", engine, "--out", csv2), 0, TEST_LIST(want),
              NULL);
    CHECK_INT((long)read_predictions(csv2, rows2), (long)n);
    for (size_t i = 0; i < n; i++) {
        CHECK_STR(rows2[i].name, rows[i].name);
        CHECK(rows2[i].power == rows[i].power && rows2[i].runtime == rows[i].runtime &&
              rows2[i].energy == rows[i].energy);
    }

    /* The library entry point on the in-memory engine agrees too. */
    wp_prediction p;
    CHECK_INT(wp_predict_layers(models, &eng, &p, &err), 0);
    CHECK_INT((long)p.modelled, (long)modelled);
    for (size_t i = 0, k = 0; i < p.n && k < n; i++)
        if (p.rows[i].modelled) {
            CHECK(p.rows[i].power_w == rows[k].power && p.rows[i].runtime_ms == rows[k].runtime);
            k++;
        }

    /* profile --models predicts the profiled graph the same way (no power
     * sensor under an empty sysfs: runtime measured, prediction beside it). */
    r = test_run_cli((const char *[]){"profile", "--model", onnx, "--result-dir", test_path(dir, "prof"), "--runs", "2",
                                      "--warmup", "0", "--sysfs-root", test_path(dir, "empty-sys"), "--models", models,
                                      "--quiet", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "pred_ms");
    char total[128];
    snprintf(total, sizeof total, " | %10.4f %10.3f %11.4f\n", p.runtime_ms, p.avg_power_w, p.energy_mj);
    CHECK_CONTAINS(r.out, total);
    CHECK(!strstr(r.err, "no prediction"));
    /* the models cover conv, pooling and dense only: LeNet's flatten is
     * listed with its share of the measured time (its ReLUs ran fused) */
    CHECK_CONTAINS(r.out, "1 x NoOp (no model files for this layer kind): ");
    CHECK_CONTAINS(r.out, "fused: 4 x Relu (their work is in the time of the layer before them)\n");
    CHECK_CONTAINS(r.out, " % of the measured time\n");
    test_run_free(&r);
    wp_prediction_free(&p);
    wp_engine_free(&eng);
    return test_summary();
}
