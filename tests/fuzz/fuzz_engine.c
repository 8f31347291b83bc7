/* Engine-inspector JSON reader, then the per-layer features `dataset` and
 * `predict` compute from it, and the by-name index. */
#include "fuzz_util.h"
#include "wattprof/dataset.h"
#include "wattprof/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_engine eng;
    wp_error err;
    if (fz_note("engine", wp_engine_parse((const char *)data, size, "trt_engine_info.json", &eng, &err), err.msg) != 0)
        return 0;
    for (size_t i = 0; i < eng.n; i++) {
        const wp_engine_layer *l = &eng.layers[i];
        if (wp_engine_find(&eng, l->name) == NULL)
            abort(); /* every layer must be found by its own name */
        if (l->kind != WP_KIND_OTHER) {
            wp_feature_row row;
            fz_note("features", wp_layer_features(l, l->kind, &row, &err), err.msg);
        }
    }
    wp_engine_free(&eng);
    return 0;
}
