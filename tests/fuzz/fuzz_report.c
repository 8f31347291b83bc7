/* `report` over one result folder: mapping CSV %% estimates CSV %%
 * mapping_info.json %% engine info %% predictions CSV (empty parts are
 * left out, as a folder without them is valid). */
#include "fuzz_util.h"
#include "wattprof/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"result/m/power_runtime_mapping_layerwise.csv",
                                        "result/m/layer_power_estimates.csv", "result/m/mapping_info.json",
                                        "result/m/trt_engine_info.json", "pred/m.csv"};
    fz_parts parts;
    const char *dir = fz_write_parts(data, size, names, 5, 0x1f, &parts);
    const char *res = fz_path(dir, "result"), *pred = fz_path(dir, "pred");
    wp_report_options o;
    wp_report_options_init(&o);
    o.result_dir = res;
    o.predictions = parts.n[4] ? pred : NULL;
    FILE *out = fopen("/dev/null", "w");
    if (!out)
        abort();
    wp_error err;
    fz_note("report", wp_report_render(&o, out, &err) < 0 ? -1 : 0, err.msg);
    fclose(out);
    return 0;
}
