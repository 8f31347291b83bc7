/* `dataset` over one model folder: mapping CSV %% engine info %% estimates
 * CSV (an empty estimates part leaves that file out). */
#include "fuzz_util.h"
#include "wattprof/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_parts parts;
    fz_split(data, size, 3, &parts);
    const char *dir = fz_dir();
    fz_write(dir, "pre/m/power_runtime_mapping_layerwise.csv", parts.p[0], parts.n[0]);
    fz_write(dir, "pre/m/trt_engine_info.json", parts.p[1], parts.n[1]);
    if (parts.n[2])
        fz_write(dir, "pre/m/layer_power_estimates.csv", parts.p[2], parts.n[2]);
    char pre[512], out[512];
    snprintf(pre, sizeof pre, "%s/pre", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    wp_dataset_options opt;
    wp_dataset_options_init(&opt);
    opt.per_layer_measurements = 1;
    wp_dataset_report rep;
    wp_error err;
    if (fz_note("dataset", wp_dataset_run(pre, out, &opt, &rep, &err), err.msg) == 0)
        wp_dataset_report_free(&rep);
    return 0;
}
