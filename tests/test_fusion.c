/* Fusion as predict sees it. wp_graph_fusion_plan, on a graph read from an
 * ONNX file written here (Conv -> BatchNormalization -> Relu, a Relu after
 * a pooling, a Relu whose input has a second reader), fuses exactly the
 * batch norm and the Relu after the convolution, and it is what a cpu
 * runner runs, on that graph and on four zoo networks, two of them with
 * dense layers that fuse too (where the cpu backend is built). predict --onnx leaves the fused layers out (listed as
 * fused, in no total, not in the CSV) and --no-fusion predicts them: the
 * difference in the totals is their predictions, every other layer the
 * same. profile --models on the cpu backend leaves them out as well. */
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
#include "wattprof/model.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"
#include "wattprof/zoo.h"

/* X[1,4,8,8] -> conv1 3x3 -> bn1 -> relu1 -> pool1 2x2 -> relu2 (after a
 * pooling: nothing to fuse into) -> conv2 1x1 -> relu3 -> add1(conv2, relu3):
 * conv2's output has two readers, so relu3 runs on its own. */
static void write_net(const char *path)
{
    pb_graph gr = {0};
    static float w2[8 * 8];
    pb_ramp(w2, sizeof w2 / sizeof *w2, 5, 0.1f);
    pb_init_f(&gr, "w2", (int64_t[]){8, 8, 1, 1}, 4, w2);
    pb_conv_bn_relu_stem(&gr);
    pb_node(&gr, "MaxPool", "pool1", "r1", "p1", 2, pb_attr_ints("kernel_shape", (int64_t[]){2, 2}, 2),
            pb_attr_ints("strides", (int64_t[]){2, 2}, 2));
    pb_node(&gr, "Relu", "relu2", "p1", "q1", 0);
    pb_node(&gr, "Conv", "conv2", "q1,w2", "c2", 1, pb_attr_ints("kernel_shape", (int64_t[]){1, 1}, 2));
    pb_node(&gr, "Relu", "relu3", "c2", "r3", 0);
    pb_node(&gr, "Add", "add1", "c2,r3", "Y", 0);
    pb_value(&gr, 11, "X", (int64_t[]){1, 4, 8, 8}, 4);
    pb_value(&gr, 12, "Y", (int64_t[]){1, 8, 4, 4}, 4);
    CHECK_INT(pb_write_model(&gr, 13, path), 0);
}

static int node_index(const wp_graph *g, const char *name)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The plan of g equals the cpu runner's fusion, node by node; returns the
 * plan's count. */
static int plan_matches_runner(wp_graph *g, int *plan)
{
    wp_error err = {0};
    int n = wp_graph_fusion_plan(g, plan, &err);
    CHECK(n >= 0);
    if (!wp_backend_available(WP_BACKEND_CPU))
        return n;
    wp_runner *r = wp_runner_create(g, WP_BACKEND_CPU, &err);
    CHECK(r != NULL);
    if (!r) {
        fprintf(stderr, "%s: %s\n", g->name, err.msg);
        return n;
    }
    for (size_t i = 0; i < g->n_nodes; i++)
        if (wp_runner_fused_into(r, i) != plan[i]) {
            fprintf(stderr, "%s: node %s: runner %d, plan %d\n", g->name, g->nodes[i].name, wp_runner_fused_into(r, i),
                    plan[i]);
            CHECK(0);
        }
    wp_runner_free(r);
    return n;
}

static void test_plan(const char *onnx)
{
    wp_graph g;
    wp_error err = {0};
    CHECK_INT(wp_onnx_read(onnx, NULL, &g, &err), 0);
    int *plan = malloc(g.n_nodes * sizeof *plan);
    CHECK_INT(plan_matches_runner(&g, plan), 2);
    int conv1 = node_index(&g, "conv1");
    CHECK(conv1 >= 0);
    for (size_t i = 0; i < g.n_nodes; i++) {
        const char *name = g.nodes[i].name;
        int want = strcmp(name, "bn1") == 0 || strcmp(name, "relu1") == 0 ? conv1 : -1;
        if (plan[i] != want)
            fprintf(stderr, "node %s: fused into %d, expected %d\n", name, plan[i], want);
        CHECK_INT(plan[i], want);
    }
    free(plan);
    wp_graph_free(&g);

    /* ResNet-18: each of its 20 convolutions has a batch norm after it;
     * the Relu after the stem and after each basic block's first batch
     * norm (9) join them, the 8 after a residual Add cannot. MobileNetV2:
     * all 52 batch norms, and the 35 ReLU6 (Clip) that follow one.
     * LeNet: the Relu after each convolution and after its first two
     * dense layers. MLPerf Tiny's autoencoder: the batch norm and Relu
     * after each of its first nine dense layers. */
    static const struct {
        const char *arch;
        wp_dims in;
        int bn, act, act_fused;
    } nets[] = {{"resnet18", {4, {1, 3, 32, 32}}, 20, 17, 9},
                {"mobilenetv2", {4, {1, 3, 32, 32}}, 52, 35, 35},
                {"lenet", {4, {1, 1, 28, 28}}, 0, 4, 4},
                {"autoencoder", {4, {1, 1, 1, 640}}, 9, 9, 9}};
    for (size_t k = 0; k < sizeof nets / sizeof *nets; k++) {
        wp_dims in = nets[k].in;
        CHECK_INT(wp_zoo_build(nets[k].arch, &in, &g, &err), 0);
        plan = malloc(g.n_nodes * sizeof *plan);
        int n = plan_matches_runner(&g, plan);
        int bn = 0, bn_fused = 0, act = 0, act_fused = 0;
        for (size_t i = 0; i < g.n_nodes; i++) {
            wp_op op = g.nodes[i].op;
            if (plan[i] >= 0)
                CHECK(g.nodes[plan[i]].op == WP_OP_CONV || g.nodes[plan[i]].op == WP_OP_GEMM);
            if (op == WP_OP_BATCHNORM) {
                bn++;
                bn_fused += plan[i] >= 0;
            } else if (op == WP_OP_RELU || op == WP_OP_CLIP) {
                act++;
                act_fused += plan[i] >= 0;
            } else {
                CHECK_INT(plan[i], -1);
            }
        }
        CHECK_INT(bn, nets[k].bn);
        CHECK_INT(bn_fused, nets[k].bn);
        CHECK_INT(act, nets[k].act);
        CHECK_INT(act_fused, nets[k].act_fused);
        CHECK_INT(n, bn_fused + act_fused);
        free(plan);
        wp_graph_free(&g);
    }
}

/* The CSV's rows by layer name: runtimes (column `column`: a prediction's
 * runtime_prediction, a training CSV's runtime), in order. */
typedef struct csv_rows {
    char name[16][32];
    double runtime[16];
    size_t n;
} csv_rows;

static void read_csv(const char *path, const char *column, csv_rows *out)
{
    memset(out, 0, sizeof *out);
    wp_csv_reader r;
    wp_error err;
    if (wp_csv_open(&r, path, &err)) {
        CHECK_STR(err.msg, "");
        return;
    }
    int name = wp_csv_column(&r, "layer_name"), rt = wp_csv_column(&r, column);
    CHECK(name >= 0 && rt >= 0);
    while (wp_csv_next(&r, &err) == 1 && out->n < 16) {
        snprintf(out->name[out->n], sizeof out->name[0], "%s", r.fields[name]);
        CHECK_INT(wp_csv_double(&r, (size_t)rt, 0, &out->runtime[out->n], &err), 0);
        out->n++;
    }
    wp_csv_free(&r);
}

static double runtime_of(const csv_rows *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0)
            return c->runtime[i];
    return NAN;
}

/* What the cpu backend measured, through the files a user has: its engine
 * info marks the fused layers (FusedInto), so predict --engine-info leaves
 * them out as predict --onnx does (the same total), and dataset writes no
 * training rows for them (two clock reads of time, their work in conv1's
 * row); the Relu after the pooling and the one with a second reader ran on
 * their own and stay. */
static void test_profiled_engine(const char *dir, const char *models, const wp_prediction *onnx_pred)
{
    const char *prof = test_path_kept(dir, "prof");
    const char *info = test_path_kept(prof, "raw/net/trt_profiling/trt_engine_info.json");
    wp_engine eng;
    wp_error err;
    CHECK_INT(wp_engine_read(info, &eng, &err), 0);
    size_t marked = 0;
    for (size_t i = 0; i < eng.n; i++)
        marked += eng.layers[i].fused_into != NULL;
    CHECK_INT((long)marked, 2);
    const wp_engine_layer *bn = wp_engine_find(&eng, "bn1"), *relu = wp_engine_find(&eng, "relu1");
    CHECK(bn && bn->fused_into && strcmp(bn->fused_into, "conv1") == 0);
    CHECK(relu && relu->fused_into && strcmp(relu->fused_into, "conv1") == 0);
    wp_engine_free(&eng);

    char total[128];
    snprintf(total, sizeof total, "modelled runtime:       %g ms (", onnx_pred->runtime_ms);
    test_run_result r = test_run_cli((const char *[]){"predict", "--models", models, "--engine-info", info, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "layers modelled:        6 / 8\n");
    CHECK_CONTAINS(
        r.out,
        "\nfused:                  1 x BatchNormalization, 1 x Relu (their work is in the time of the layer before them)\n");
    CHECK_CONTAINS(r.out, total);
    test_run_free(&r);

    /* profile's own training data, and dataset run again on its mapping */
    const char *ds = test_path_kept(dir, "ds");
    r = test_run_cli((const char *[]){"dataset", "--preprocessed-data-dir", test_path(prof, "mapped"), "--result-dir",
                                      ds, "--per-layer-measurements", "2", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "net: 2 layer(s) ran fused into the layer before them");
    test_run_free(&r);
    const char *training = test_path_kept(prof, "training");
    for (int k = 0; k < 2; k++) {
        static csv_rows act;
        read_csv(test_path(k ? ds : training, "net/activation.csv"), "runtime", &act);
        CHECK_INT((long)act.n, 2);
        CHECK(!isnan(runtime_of(&act, "relu2")) && !isnan(runtime_of(&act, "relu3")));
        CHECK(isnan(runtime_of(&act, "relu1")) && isnan(runtime_of(&act, "bn1")));
    }
}

static void test_predict(const char *dir, const char *onnx)
{
    const char *data = test_path_kept(dir, "data");
    const char *models = test_path_kept(dir, "models");
    wp_error err;
    if (fx_write_or_say(data, 6, (int[3]){8, 6, 6}, 23, &err)) {
        CHECK(0);
        return;
    }
    /* activation (batch norm and Relu alike) and elementwise models, so
     * every layer of the network has one */
    static const char *const nets[] = {"net00", "net01", "net02",    "net03", "net04",
                                       "net05", "lenet", "resnet18", "vgg16"};
    for (size_t k = 0; k < sizeof nets / sizeof *nets; k++) {
        CHECK_INT(fx_write_extra(data, nets[k], WP_KIND_ACT, 6), 0);
        CHECK_INT(fx_write_extra(data, nets[k], WP_KIND_ELTWISE, 6), 0);
    }
    test_run_result r = fast_models_train(data, models);
    CHECK_INT(r.status, 0);
    test_run_free(&r);

    const char *fused_csv = test_path_kept(dir, "fused.csv"), *all_csv = test_path_kept(dir, "all.csv");
    CHECK_CLI(TEST_LIST("predict", "--models", models, "--onnx", onnx, "--out", fused_csv), 0,
              TEST_LIST("layers modelled:        6 / 8\n",
                        "\nfused:                  1 x BatchNormalization, 1 x Relu (their work is in the time of the "
                        "layer before them)\n"),
              NULL);
    r = test_run_cli(
        (const char *[]){"predict", "--models", models, "--onnx", onnx, "--no-fusion", "--out", all_csv, NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "layers modelled:        8 / 8\n");
    CHECK(strstr(r.out, "fused") == NULL);
    CHECK(strstr(r.out, "not modelled") == NULL);
    test_run_free(&r);
    /* an engine file has the runtime's own layers: nothing to leave out */
    CHECK_CLI(TEST_LIST("predict", "--models", models, "--engine-info", onnx, "--no-fusion"), 2, NULL,
              TEST_LIST("--no-fusion goes with --onnx"));

    static csv_rows fused, all;
    read_csv(fused_csv, "runtime_prediction", &fused);
    read_csv(all_csv, "runtime_prediction", &all);
    CHECK_INT((long)fused.n, 6);
    CHECK_INT((long)all.n, 8);
    CHECK(isnan(runtime_of(&fused, "bn1")) && isnan(runtime_of(&fused, "relu1")));
    for (size_t i = 0; i < fused.n; i++)
        CHECK(runtime_of(&all, fused.name[i]) == fused.runtime[i]);

    /* The library: fused rows say where their work went and count in no
     * total; the totals differ by exactly their predictions. */
    wp_graph g;
    CHECK_INT(wp_onnx_read(onnx, NULL, &g, &err), 0);
    wp_prediction pf, pa;
    CHECK_INT(wp_predict_graph(models, &g, NULL, &pf, &err), 0);
    wp_predict_options opt;
    wp_predict_options_init(&opt);
    opt.fusion = 0;
    CHECK_INT(wp_predict_graph(models, &g, &opt, &pa, &err), 0);
    CHECK_INT((long)pf.n, 8);
    CHECK_INT((long)pf.n_fused, 2);
    CHECK_INT((long)pf.n_fused_types, 2);
    CHECK_STR(pf.fused_types[0], "BatchNormalization");
    CHECK_STR(pf.fused_types[1], "Relu");
    CHECK_INT((long)pf.fused_counts[0], 1);
    CHECK_INT((long)pf.fused_counts[1], 1);
    CHECK_INT((long)pf.n_other_types, 0);
    CHECK_INT((long)pa.n_fused, 0);
    CHECK_INT((long)pa.modelled, 8);
    double left_out = 0;
    for (size_t i = 0; i < pf.n; i++) {
        const wp_prediction_row *f = &pf.rows[i], *a = &pa.rows[i];
        int want = strcmp(f->layer_name, "bn1") == 0 || strcmp(f->layer_name, "relu1") == 0;
        CHECK_INT(f->fused, want);
        CHECK_INT(a->fused, 0);
        CHECK(a->modelled);
        if (want) {
            CHECK(!f->modelled);
            CHECK_STR(f->reason ? f->reason : "", "fused into \"conv1\"");
            left_out += a->runtime_ms;
        } else {
            CHECK(f->modelled && f->runtime_ms == a->runtime_ms);
        }
    }
    CHECK(left_out > 0);
    CHECK_NEAR(pa.runtime_ms - pf.runtime_ms, left_out, 1e-12 * pa.runtime_ms);
    CHECK_NEAR(pf.estimated_total_ms, pf.runtime_ms, 0);

    /* a "fused into" list must name another layer */
    wp_engine eng;
    CHECK_INT(wp_graph_to_engine(&g, &eng, &err), 0);
    int *self = malloc(eng.n * sizeof *self);
    for (size_t i = 0; i < eng.n; i++)
        self[i] = -1;
    self[1] = 1;
    wp_prediction pbad;
    CHECK_INT(wp_predict_layers_fused(models, &eng, self, &pbad, &err), -1);
    CHECK_CONTAINS(err.msg, "fused into layer 1, not another layer of the 8");
    self[1] = (int)eng.n;
    CHECK_INT(wp_predict_layers_fused(models, &eng, self, &pbad, &err), -1);
    free(self);
    wp_engine_free(&eng);

    /* profile --models on the cpu backend predicts what it measured: the
     * fused layers are left out there too (empty sysfs: runtime only) */
    if (wp_backend_available(WP_BACKEND_CPU)) {
        r = test_run_cli((const char *[]){"profile", "--model", onnx, "--result-dir", test_path(dir, "prof"), "--runs",
                                          "2", "--warmup", "0", "--sysfs-root", test_path(dir, "empty-sys"), "--models",
                                          models, "--quiet", NULL});
        CHECK_INT(r.status, 0);
        CHECK_CONTAINS(
            r.out, "\nfused: 1 x BatchNormalization, 1 x Relu (their work is in the time of the layer before them)\n");
        char total[128];
        snprintf(total, sizeof total, " | %10.4f %10.3f %11.4f\n", pf.runtime_ms, pf.avg_power_w, pf.energy_mj);
        CHECK_CONTAINS(r.out, total);
        test_run_free(&r);
        test_profiled_engine(dir, models, &pf);
    }
    wp_prediction_free(&pf);
    wp_prediction_free(&pa);
    wp_graph_free(&g);
}

/* A Conv and a Gemm whose output has no tensor (-1, as an optional ONNX
 * output left unnamed reads): nothing reads it, so nothing fuses, and the
 * plan never indexes a tensor -1 (ASan would say so). */
static void test_plan_without_output(void)
{
    wp_graph g;
    wp_error err = {0};
    wp_graph_init(&g, "no output");
    wp_dims x4 = {4, {1, 2, 4, 4}}, w4 = {4, {2, 2, 1, 1}}, x2 = {2, {1, 8}}, w2 = {2, {4, 8}};
    int x = wp_graph_add_tensor(&g, "x", &x4, 0), wc = wp_graph_add_tensor(&g, "wc", &w4, 1);
    int v = wp_graph_add_tensor(&g, "v", &x2, 0), wg = wp_graph_add_tensor(&g, "wg", &w2, 1);
    g.input = x;
    int none = -1, y = wp_graph_add_tensor(&g, "y", NULL, 0);
    wp_graph_add_node(&g, WP_OP_CONV, "conv", 2, (int[]){x, wc}, 1, &none);
    wp_graph_add_node(&g, WP_OP_GEMM, "fc", 2, (int[]){v, wg}, 1, &none)->trans_b = 1;
    wp_graph_add_node(&g, WP_OP_RELU, "relu", 1, &v, 1, &y);
    int plan[3] = {7, 7, 7};
    CHECK_INT(wp_graph_fusion_plan(&g, plan, &err), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(plan[i], -1);
    wp_graph_free(&g);
}

int main(void)
{
    TEST_SKIP_UNLESS(wp_onnx_supported(), "ONNX support is not built in");
    const char *dir = test_tmpdir();
    const char *onnx = test_path_kept(dir, "net.onnx");
    write_net(onnx);
    test_plan(onnx);
    test_plan_without_output();
    test_predict(dir, onnx);
    return test_summary();
}
