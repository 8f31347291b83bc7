/* Model files and prediction: dense_power.json %% dense_runtime.json %%
 * engine info. Each model file is also read on its own. */
#include "fuzz_util.h"
#include "wattprof/engine.h"
#include "wattprof/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_parts parts;
    fz_split(data, size, 3, &parts);
    const char *dir = fz_dir();
    const char *files[2] = {fz_write(dir, "models/dense_power.json", parts.p[0], parts.n[0]),
                            fz_write(dir, "models/dense_runtime.json", parts.p[1], parts.n[1])};
    wp_error err;
    for (int i = 0; i < 2; i++) {
        wp_model m;
        if (fz_note("model", wp_model_read(files[i], &m, &err), err.msg) == 0) {
            char *text = wp_model_render(&m, files[i], &err);
            free(text);
            wp_model_free(&m);
        }
    }
    wp_engine eng;
    if (wp_engine_parse((const char *)parts.p[2], parts.n[2], "trt_engine_info.json", &eng, &err) != 0)
        return 0;
    char models[512];
    snprintf(models, sizeof models, "%s/models", dir);
    wp_prediction pred;
    if (fz_note("predict", wp_predict_layers(models, &eng, &pred, &err), err.msg) == 0) {
        char out[600];
        snprintf(out, sizeof out, "%s/predictions.csv", dir);
        wp_prediction_write_csv(&pred, out, &err);
        wp_prediction_free(&pred);
    }
    wp_engine_free(&eng);
    return 0;
}
