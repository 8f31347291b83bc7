/* ONNX reader with shape inference, then the fusion plan (which nodes a
 * fusing runner runs inside the convolution or dense layer before them),
 * the engine view (the inspector JSON `bench` writes, parsed back) and its
 * per-layer features. */
#include "fuzz_util.h"
#include "wattprof/dataset.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write(fz_dir(), "model.onnx", data, size);
    wp_graph g;
    wp_error err;
    if (fz_note("onnx", wp_onnx_read(path, NULL, &g, &err), err.msg) != 0)
        return 0;
    int *plan = malloc((g.n_nodes ? g.n_nodes : 1) * sizeof *plan);
    if (plan) {
        int fused = wp_graph_fusion_plan(&g, plan, &err);
        for (size_t i = 0; fused > 0 && i < g.n_nodes; i++)
            if (plan[i] >= 0 && ((size_t)plan[i] >= i || plan[plan[i]] >= 0))
                abort(); /* a node fuses into an earlier host that is not fused itself */
        free(plan);
    }
    wp_engine eng;
    if (fz_note("engine view", wp_graph_to_engine(&g, &eng, &err), err.msg) == 0) {
        for (size_t i = 0; i < eng.n; i++)
            if (eng.layers[i].kind != WP_KIND_OTHER) {
                wp_feature_row row;
                wp_layer_features(&eng.layers[i], eng.layers[i].kind, &row, &err);
            }
        wp_engine_free(&eng);
    }
    wp_graph_free(&g);
    return 0;
}
