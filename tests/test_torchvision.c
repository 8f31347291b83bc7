/* torchvision classification models exported by the installed PyTorch
 * (Debian's python3-torch / python3-torchvision), at opset 13 and 17, with
 * random weights: each one is imported, its shapes are compared with
 * onnx's own shape inference, and its output on the ref and cpu backends
 * is compared with torch's for the same input (max |ours - torch| within
 * 1e-3 of max |torch|).
 *
 * By default three representative models at 96x96 keep the run short
 * (ShuffleNet: shape sub-graphs, Transpose, Slice; MobileNetV3: HardSigmoid,
 * HardSwish, broadcast Mul; ConvNeXt: LayerNorm or its decomposition, Erf,
 * MatMul over 4-D activations); scripts/torchvision-check.sh runs them all
 * (every operator is also covered without torch by test_onnx_ops). Environment:
 *   WATTPROF_TORCHVISION_MODELS  "all" or a comma list (scripts/torchvision-check.sh)
 *   WATTPROF_TORCHVISION_SIZE    input height = width (0: each model's own, 224 / 299)
 *   WATTPROF_TORCHVISION_BACKENDS comma list (default "ref,cpu")
 *   WATTPROF_TORCHVISION_DIR     already exported models (no export) 
 * Skipped (exit 77, saying why) where torch, torchvision or onnx is absent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"

static const char *const default_models[] = {"shufflenet_v2_x1_0", "mobilenet_v3_small", "convnext_tiny"};
static const char *const all_models =
    "alexnet,vgg11,vgg16,resnet18,resnet50,resnext50_32x4d,wide_resnet50_2,squeezenet1_0,squeezenet1_1,"
    "densenet121,googlenet,inception_v3,mobilenet_v2,mobilenet_v3_small,mobilenet_v3_large,mnasnet1_0,"
    "shufflenet_v2_x1_0,efficientnet_b0,regnet_y_400mf,convnext_tiny,vit_b_16,swin_t";

static const char *py_shapes =
    "import onnx, sys\n"
    "m = onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]), data_prop=True)\n"
    "for v in list(m.graph.value_info) + list(m.graph.output):\n"
    "    t = v.type.tensor_type\n"
    "    if t.elem_type == 1 and len(t.shape.dim) and all(d.HasField('dim_value') for d in t.shape.dim):\n"
    "        print(v.name, 'x'.join(str(d.dim_value) for d in t.shape.dim))\n";

/* Our inferred shape of every activation onnx also infers. */
static void check_shapes(const char *path, const wp_graph *g, const char *label)
{
    const char *argv[] = {"/usr/bin/python3", "-c", py_shapes, path, NULL};
    test_run_result r = test_run_argv(argv);
    CHECK_INT(r.status, 0);
    int compared = 0, bad = 0;
    for (char *line = r.out; r.status == 0 && line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *sp = strchr(line, ' ');
        if (sp) {
            *sp = 0;
            int t = wp_graph_find_tensor(g, line);
            if (t >= 0 && !g->tensors[t].is_const) {
                char mine[128];
                wp_dims_format(&g->tensors[t].shape, mine, sizeof mine);
                /* onnx writes a scalar as "" and we as ""; both rank 0. */
                if (strcmp(mine, sp + 1) != 0) {
                    if (bad < 5)
                        fprintf(stderr, "%s: %s: ours %s, onnx %s\n", label, line, mine, sp + 1);
                    bad++;
                }
                compared++;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    /* Every shape onnx infers must agree; how many it infers varies (its
     * data propagation stops at some computed Slice bounds: ShuffleNet at
     * opset 17, most of Swin), so the count is printed, not required. */
    printf("%-28s %4d of %4zu node outputs' shapes compared with onnx's, %d differ\n", label, compared, g->n_nodes,
           bad);
    CHECK(compared > 0);
    CHECK_INT(bad, 0);
    test_run_free(&r);
}

/* A file of raw float32 values and their number. */
static float *read_f32(const char *path, int64_t *n)
{
    size_t size = 0;
    float *v = (float *)(void *)test_read_file_size(path, &size);
    *n = (int64_t)(size / sizeof *v);
    return v;
}

static void check_model(const char *dir, const char *name, int opset, const char *backends)
{
    char base[1024], label[256];
    snprintf(base, sizeof base, "%s/%s-op%d", dir, name, opset);
    snprintf(label, sizeof label, "%s opset %d", name, opset);
    char path[1100];
    snprintf(path, sizeof path, "%s.onnx", base);
    wp_error err;
    wp_graph g;
    if (wp_onnx_read(path, NULL, &g, &err) != 0) {
        test_fail_at(__FILE__, __LINE__, "%s: %s", label, err.msg);
        return;
    }
    check_shapes(path, &g, label);
    int64_t nx = 0, ny = 0;
    snprintf(path, sizeof path, "%s.in.f32", base);
    float *x = read_f32(path, &nx);
    snprintf(path, sizeof path, "%s.out.f32", base);
    float *want = read_f32(path, &ny);
    CHECK(x && want);
    CHECK_INT(nx, wp_dims_count(&g.tensors[g.input].shape));
    CHECK_INT(ny, wp_dims_count(&g.tensors[g.output].shape));
    float *got = malloc((size_t)(ny ? ny : 1) * sizeof *got);
    char list[64];
    snprintf(list, sizeof list, "%s", backends);
    for (char *save = NULL, *b = strtok_r(list, ",", &save); x && want && got && b; b = strtok_r(NULL, ",", &save)) {
        wp_backend be;
        if (wp_backend_parse(b, &be, &err) || !wp_backend_available(be))
            continue;
        wp_runner *r = wp_runner_create(&g, be, &err);
        if (!r) {
            test_fail_at(__FILE__, __LINE__, "%s on %s: %s", label, b, err.msg);
            continue;
        }
        int ok = wp_runner_set_input(r, x, &err) == 0 && wp_runner_run(r, NULL, &err) == 0 &&
                 wp_runner_read(r, g.output, got, &err) == 0;
        if (!ok)
            test_fail_at(__FILE__, __LINE__, "%s on %s: %s", label, b, err.msg);
        double maxref = 0, maxdiff = 0;
        for (int64_t i = 0; ok && i < ny; i++) {
            maxref = fmax(maxref, fabs(want[i]));
            double d = fabs((double)got[i] - want[i]);
            maxdiff = isnan(d) ? INFINITY : fmax(maxdiff, d);
        }
        double rel = maxdiff / (maxref > 0 ? maxref : 1);
        printf("%-20s opset %d %-4s %4zu layers  max |torch| %.3g  max |ours - torch| / max |torch| = %.2e\n", name,
               opset, b, g.n_nodes, maxref, rel);
        /* An output of zeros would match anything. */
        if (ok && !(maxref > 0))
            test_fail_at(__FILE__, __LINE__, "%s: torch's output is all zeros", label);
        if (ok && !(rel <= 1e-3))
            test_fail_at(__FILE__, __LINE__, "%s on %s: output differs from torch's by %.3g (relative)", label, b, rel);
        wp_runner_free(r);
    }
    free(got);
    free(x);
    free(want);
    wp_graph_free(&g);
}

int main(void)
{
    const char *argv[] = {"/usr/bin/python3", "-c", "import torch, torchvision, onnx", NULL};
    test_run_result probe = test_run_argv(argv);
    int have = probe.status == 0;
    test_run_free(&probe);
    if (!have) {
        printf("skipped: /usr/bin/python3 cannot import torch, torchvision and onnx "
               "(python3-torch, python3-torchvision, python3-onnx)\n");
        return 77;
    }
    const char *env = getenv("WATTPROF_TORCHVISION_MODELS");
    const char *size = getenv("WATTPROF_TORCHVISION_SIZE");
    const char *backends = getenv("WATTPROF_TORCHVISION_BACKENDS");
    if (!backends || !*backends)
        backends = "ref,cpu";
    char models[2048] = "";
    if (env && strcmp(env, "all") == 0)
        snprintf(models, sizeof models, "%s", all_models);
    else if (env && *env)
        snprintf(models, sizeof models, "%s", env);
    else
        for (size_t i = 0; i < sizeof default_models / sizeof *default_models; i++)
            snprintf(models + strlen(models), sizeof models - strlen(models), "%s%s", i ? "," : "", default_models[i]);
    if (!size || !*size)
        size = env && *env ? "0" : "96";
    const char *given = getenv("WATTPROF_TORCHVISION_DIR");
    if (given && *given) {
        for (int opset = 13; opset <= 17; opset += 4) {
            char copy[2048];
            snprintf(copy, sizeof copy, "%s", models);
            for (char *save = NULL, *m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save))
                check_model(given, m, opset, backends);
        }
        return test_summary();
    }
    const char *dir = test_tmpdir();
    char script[1024];
    snprintf(script, sizeof script, "%s/scripts/torchvision_export.py", WATTPROF_SOURCE_DIR);
    for (int opset = 13; opset <= 17; opset += 4) {
        char ops[8];
        snprintf(ops, sizeof ops, "%d", opset);
        const char *args[64] = {"/usr/bin/python3", script, dir, ops, size};
        int na = 5;
        char copy[2048];
        snprintf(copy, sizeof copy, "%s", models);
        for (char *save = NULL, *m = strtok_r(copy, ",", &save); m && na < 63; m = strtok_r(NULL, ",", &save))
            args[na++] = m;
        args[na] = NULL;
        test_run_result ex = test_run_argv(args);
        CHECK_INT(ex.status, 0);
        if (ex.status != 0)
            fprintf(stderr, "export failed:\n%s\n", ex.err);
        /* One line per model: name path input-shape. */
        for (char *save = NULL, *line = strtok_r(ex.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char name[128];
            if (sscanf(line, "%127s", name) == 1)
                check_model(dir, name, opset, backends);
        }
        test_run_free(&ex);
    }
    return test_summary();
}
