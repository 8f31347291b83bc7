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
    fz_split(data, size, 5, &parts);
    const char *dir = fz_dir();
    for (int i = 0; i < 5; i++)
        if (parts.n[i])
            fz_write(dir, names[i], parts.p[i], parts.n[i]);
    char res[512], pred[512];
    snprintf(res, sizeof res, "%s/result", dir);
    snprintf(pred, sizeof pred, "%s/pred", dir);
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
