/* `dataset` over one model folder: mapping CSV %% engine info %% estimates
 * CSV (an empty estimates part leaves that file out). */
#include "fuzz_util.h"
#include "wattprof/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"pre/m/power_runtime_mapping_layerwise.csv", "pre/m/trt_engine_info.json",
                                        "pre/m/layer_power_estimates.csv"};
    fz_parts parts;
    const char *dir = fz_write_parts(data, size, names, 3, 1u << 2, &parts);
    const char *pre = fz_path(dir, "pre"), *out = fz_path(dir, "out");
    wp_dataset_options opt;
    wp_dataset_options_init(&opt);
    opt.per_layer_measurements = 1;
    wp_dataset_report rep;
    wp_error err;
    if (fz_note("dataset", wp_dataset_run(pre, out, &opt, &rep, &err), err.msg) == 0)
        wp_dataset_report_free(&rep);
    return 0;
}
