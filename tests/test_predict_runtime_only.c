/* Predicting from models trained on runtime-only data (profiled without a
 * power sensor: `profile --no-power`, the CPU runner, `map --runtime-only`):
 * `train` on data whose power column is empty in every row writes the
 * runtime models alone, and `predict` (engine-info file and ONNX graph)
 * gives every modelled layer's runtime, leaves the power and energy cells
 * empty, totals the runtime and says that power and energy are not
 * modelled instead of printing a number. A set whose power models cover
 * only some kinds gives those layers' power and energy but no network
 * energy or average power (a sum over part of the layers would read as the
 * network's), and says how many layers lack one. A power model without its
 * runtime model is still refused, the file named. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fast_models.h"
#include "testutil.h"
#include "train_fixture.h"
#include "wattprof/csv.h"
#include "wattprof/model.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"

static const char *dir;

/* conv, pooling, a layer no model covers, dense */
static const char engine_json[] = "{\"Layers\": [\n" FX_ENGINE_CONV0 FX_ENGINE_POOL_REFORMAT_FC0("a") "]}\n";

/* Empties the power column of every row of DIR/<network>/<kind>.csv for
 * each network the fixture wrote, as a runtime-only mapping leaves it. */
static void blank_power(const char *data, wp_layer_kind kind)
{
    static const char *const nets[] = {"net00", "net01", "net02",    "net03", "net04",
                                       "net05", "lenet", "resnet18", "vgg16"};
    for (size_t g = 0; g < sizeof nets / sizeof *nets; g++) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s/%s.csv", nets[g], wp_layer_kind_name(kind));
        const char *path = test_path(data, rel);
        char *text = test_read_file(path);
        CHECK(text != NULL);
        if (!text)
            continue;
        /* header: ...,power,runtime,layer_name; rows hold no quoted commas */
        size_t len = strlen(text), o = 0;
        char *out = malloc(len + 1);
        int line = 0;
        for (char *s = text; *s;) {
            char *nl = strchr(s, '\n');
            size_t ll = nl ? (size_t)(nl - s) : strlen(s);
            char *commas[3] = {NULL, NULL, NULL}; /* the last three */
            for (char *c = s; c < s + ll; c++)
                if (*c == ',') {
                    commas[0] = commas[1];
                    commas[1] = commas[2];
                    commas[2] = c;
                }
            CHECK(commas[0] != NULL);
            if (line++ == 0 || !commas[0]) {
                memcpy(out + o, s, ll);
                o += ll;
            } else {
                size_t keep = (size_t)(commas[0] - s) + 1;
                memcpy(out + o, s, keep);
                o += keep;
                memcpy(out + o, commas[1], (size_t)(s + ll - commas[1]));
                o += (size_t)(s + ll - commas[1]);
            }
            if (nl)
                out[o++] = '\n';
            s += ll + (nl != NULL);
        }
        out[o] = '\0';
        test_write_file(path, out);
        free(out);
        free(text);
    }
}

typedef struct pred_csv {
    size_t n;
    char name[64][128];
    int empty[64][8]; /* power, runtime, energy, rt low/high, en low/high, out_of_range */
    double v[64][8];
    char *text;
} pred_csv;

static void read_csv(const char *path, pred_csv *p)
{
    static const char *const cols[] = {"power_prediction", "runtime_prediction", "energy_prediction", "runtime_low",
                                       "runtime_high",     "energy_low",         "energy_high",       "out_of_range"};
    memset(p, 0, sizeof *p);
    p->text = test_read_file(path);
    wp_csv_reader r;
    wp_error err;
    if (wp_csv_open(&r, path, &err)) {
        CHECK_STR(err.msg, "");
        return;
    }
    int col[8];
    for (int c = 0; c < 8; c++)
        CHECK((col[c] = wp_csv_column(&r, cols[c])) >= 0);
    while (wp_csv_next(&r, &err) == 1 && p->n < 64) {
        size_t i = p->n++;
        snprintf(p->name[i], sizeof p->name[i], "%s", r.fields[0]);
        for (int c = 0; c < 8; c++) {
            p->empty[i][c] = r.fields[col[c]][0] == '\0';
            p->v[i][c] = NAN;
            if (!p->empty[i][c])
                CHECK_INT(wp_csv_double(&r, col[c], 0, &p->v[i][c], &err), 0);
        }
    }
    wp_csv_free(&r);
}

static long find(const pred_csv *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0)
            return (long)i;
    return -1;
}

/* The total after "modelled runtime:" in predict's summary. */
static double printed_runtime(const char *out)
{
    const char *s = strstr(out, "modelled runtime:");
    double v = NAN;
    if (!s || sscanf(s + strlen("modelled runtime:"), "%lf ms", &v) != 1)
        CHECK(!"no modelled runtime printed");
    return v;
}

/* The runtime-only CSV: every modelled row has a positive runtime (and its
 * bounds around it) and empty power and energy cells; no "nan" anywhere;
 * the printed total is their sum. */
static void check_runtime_only_csv(const pred_csv *p, const char *out, size_t want_rows)
{
    CHECK_INT(p->n, want_rows);
    CHECK(p->text && !strstr(p->text, "nan") && !strstr(p->text, "inf"));
    double sum = 0;
    for (size_t i = 0; i < p->n; i++) {
        CHECK(p->empty[i][0] && p->empty[i][2] && p->empty[i][5] && p->empty[i][6]);
        CHECK(!p->empty[i][1] && isfinite(p->v[i][1]) && p->v[i][1] > 0);
        if (!p->empty[i][3])
            CHECK(p->v[i][3] > 0 && p->v[i][3] <= p->v[i][1] && p->v[i][1] <= p->v[i][4]);
        sum += p->v[i][1];
    }
    CHECK(sum > 0);
    /* printed with %.6g */
    CHECK_NEAR(printed_runtime(out), sum, 1e-5 * sum);
}

static void check_summary_not_modelled(const test_run_result *r, size_t of)
{
    char want[160];
    snprintf(want, sizeof want,
             "power, energy:          not modelled for %zu of %zu modelled layers (no power model for ", of, of);
    CHECK_CONTAINS(r->out, want);
    CHECK_CONTAINS(r->out, "runtime-only data");
    CHECK(!strstr(r->out, "average power:"));
    CHECK(!strstr(r->out, "energy per inference:"));
    CHECK(!strstr(r->out, "nan") && !strstr(r->out, "inf "));
}

/* Train on runtime-only data: succeeds, runtime files only, said so. */
static void test_train(const char *data, const char *models)
{
    test_run_result r = fast_models_train(data, models);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    for (int i = 0; i < WP_N_UPSTREAM_PIPELINES; i++) {
        char leaf[64];
        snprintf(leaf, sizeof leaf, "%s.json", wp_pipeline_name(i));
        CHECK_INT(test_file_exists(test_path(models, leaf)), i % 2 == WP_TARGET_RUNTIME);
    }
}

static void test_engine(const char *models)
{
    const char *eng = test_path_kept(dir, "engine.json");
    test_write_file(eng, engine_json);
    const char *csv = test_path_kept(dir, "ro_engine.csv");
    test_run_result r = test_run_cli(TEST_LIST("predict", "--models", models, "--engine-info", eng, "--out", csv));
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "layers modelled:        3 / 4");
    check_summary_not_modelled(&r, 3);
    CHECK_CONTAINS(r.out, "no power model for convolutional, pooling, dense:");
    /* the layer no model covers is still listed (runtime models exist to
     * estimate nothing here: no reshape model in the fixture's data) */
    CHECK_CONTAINS(r.out, "1 x Reformat (no model files for this layer kind)");
    pred_csv p;
    read_csv(csv, &p);
    check_runtime_only_csv(&p, r.out, 3);
    free(p.text);
    test_run_free(&r);

    /* the library: NaN power and energy, flagged; totals withheld */
    wp_prediction pr;
    wp_error err;
    CHECK_INT(wp_predict_engine(models, eng, &pr, &err), 0);
    CHECK_INT(pr.modelled, 3);
    CHECK_INT(pr.no_power, 3);
    double sum = 0;
    for (size_t i = 0; i < pr.n; i++) {
        const wp_prediction_row *w = &pr.rows[i];
        if (!w->modelled)
            continue;
        CHECK(w->no_power && isnan(w->power_w) && isnan(w->energy_mj) && isnan(w->energy_lo));
        CHECK(w->runtime_ms > 0);
        sum += w->runtime_ms;
    }
    CHECK_NEAR(pr.runtime_ms, sum, 1e-12 * sum);
    CHECK(isnan(pr.energy_mj) && isnan(pr.avg_power_w) && isnan(pr.energy_lo) && isnan(pr.energy_hi));
    wp_prediction_free(&pr);
}

static void test_onnx(const char *models)
{
    if (!wp_onnx_supported())
        return;
    const char *onnx = test_path_kept(dir, "lenet.onnx");
    CHECK_CLI(TEST_LIST("zoo", "--arch", "lenet", "--out", onnx), 0, NULL, NULL);
    wp_graph g;
    wp_error err;
    wp_prediction pr;
    CHECK_INT(wp_onnx_read(onnx, NULL, &g, &err), 0);
    CHECK_INT(wp_predict_graph(models, &g, NULL, &pr, &err), 0);
    size_t modelled = pr.modelled;
    CHECK(modelled >= 6); /* LeNet's 2 conv, 2 pool, 3 dense at least */
    CHECK_INT(pr.no_power, modelled);
    wp_prediction_free(&pr);

    const char *csv = test_path_kept(dir, "ro_onnx.csv");
    test_run_result r = test_run_cli(TEST_LIST("predict", "--models", models, "--onnx", onnx, "--out", csv));
    CHECK_INT(r.status, 0);
    check_summary_not_modelled(&r, modelled);
    pred_csv p;
    read_csv(csv, &p);
    check_runtime_only_csv(&p, r.out, modelled);
    free(p.text);
    test_run_free(&r);

    /* profile --models on the cpu backend: the predicted power and energy
     * columns are "-", and the note says why */
    if (wp_backend_available(WP_BACKEND_CPU)) {
        r = test_run_cli(TEST_LIST("profile", "--model", onnx, "--result-dir", test_path(dir, "prof"), "--runs", "2",
                                   "--warmup", "0", "--no-power", "--models", models, "--quiet"));
        CHECK_INT(r.status, 0);
        CHECK_CONTAINS(r.out, "pred_W, pred_mJ: not modelled for ");
        CHECK(!strstr(r.out, "nan"));
        const char *tot = strstr(r.out, "\nTOTAL");
        CHECK(tot != NULL);
        if (tot) {
            const char *bar = strchr(tot, '|');
            double ms = 0;
            char w[16] = "", mj[16] = "";
            CHECK(bar && sscanf(bar + 1, "%lf %15s %15s", &ms, w, mj) == 3);
            CHECK(ms > 0);
            CHECK_STR(w, "-");
            CHECK_STR(mj, "-");
        }
        test_run_free(&r);
    }
    wp_graph_free(&g);
}

/* Power models for convolutions only: conv0 has power and energy, the
 * others not; no network energy or average power; the count said. */
static void test_mixed(const char *models)
{
    for (int i = 0; i < WP_N_UPSTREAM_PIPELINES; i++) {
        char leaf[64];
        snprintf(leaf, sizeof leaf, "%s.json", wp_pipeline_name(i));
        CHECK_INT(test_file_exists(test_path(models, leaf)),
                  i % 2 == WP_TARGET_RUNTIME || i == wp_pipeline_index(WP_KIND_CONV, WP_TARGET_POWER));
    }
    const char *eng = test_path_kept(dir, "engine.json");
    const char *csv = test_path_kept(dir, "mixed.csv");
    test_run_result r = test_run_cli(TEST_LIST("predict", "--models", models, "--engine-info", eng, "--out", csv));
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "power, energy:          not modelled for 2 of 3 modelled layers (no power model for "
                          "pooling, dense:");
    CHECK(!strstr(r.out, "average power:") && !strstr(r.out, "energy per inference:"));
    pred_csv p;
    read_csv(csv, &p);
    CHECK_INT(p.n, 3);
    CHECK(p.text && !strstr(p.text, "nan"));
    long c = find(&p, "conv0"), po = find(&p, "pool0"), fc = find(&p, "fc0");
    CHECK(c >= 0 && po >= 0 && fc >= 0);
    if (c >= 0 && po >= 0 && fc >= 0) {
        CHECK(!p.empty[c][0] && !p.empty[c][2] && p.v[c][0] > 0);
        CHECK_NEAR(p.v[c][2], p.v[c][0] * p.v[c][1], 1e-9 * p.v[c][2]);
        CHECK(p.empty[po][0] && p.empty[po][2] && p.empty[fc][0] && p.empty[fc][2]);
        CHECK_NEAR(printed_runtime(r.out), p.v[c][1] + p.v[po][1] + p.v[fc][1], 1e-5 * printed_runtime(r.out));
    }
    free(p.text);
    test_run_free(&r);

    wp_prediction pr;
    wp_error err;
    CHECK_INT(wp_predict_engine(models, eng, &pr, &err), 0);
    CHECK_INT(pr.no_power, 2);
    CHECK(isnan(pr.energy_mj) && isnan(pr.avg_power_w));
    wp_prediction_free(&pr);
}

/* convolutional_power.json without convolutional_runtime.json: refused,
 * both files named. */
static void test_power_without_runtime(const char *mixed)
{
    const char *half = test_path_kept(dir, "half");
    for (int i = 0; i < WP_N_UPSTREAM_PIPELINES; i++) {
        if (i == wp_pipeline_index(WP_KIND_CONV, WP_TARGET_RUNTIME))
            continue;
        char leaf[64];
        snprintf(leaf, sizeof leaf, "%s.json", wp_pipeline_name(i));
        char *text = test_read_file(test_path(mixed, leaf));
        if (text)
            test_write_file(test_path(half, leaf), text);
        free(text);
    }
    CHECK_CLI(TEST_LIST("predict", "--models", half, "--engine-info", test_path(dir, "engine.json")), 1, NULL,
              TEST_LIST("convolutional_power.json without convolutional_runtime.json"));
}

int main(void)
{
    dir = test_tmpdir();
    wp_error err;
    const char *data = test_path_kept(dir, "data"), *models = test_path_kept(dir, "models");
    if (fx_write_or_say(data, 6, (int[3]){8, 6, 6}, 1234, &err))
        return 1;
    for (int k = WP_KIND_CONV; k <= WP_KIND_DENSE; k++)
        blank_power(data, (wp_layer_kind)k);
    test_train(data, models);
    test_engine(models);
    test_onnx(models);

    const char *mdata = test_path_kept(dir, "mixed_data"), *mixed = test_path_kept(dir, "mixed");
    if (fx_write_or_say(mdata, 6, (int[3]){8, 6, 6}, 1234, &err))
        return 1;
    blank_power(mdata, WP_KIND_POOL);
    blank_power(mdata, WP_KIND_DENSE);
    test_run_result r = fast_models_train(mdata, mixed);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    test_mixed(mixed);
    test_power_without_runtime(mixed);
    return test_summary();
}
