/* `map` over one model: idling_power.json %% power log %% latency JSON %%
 * engine info; the last byte picks samples or interpolate attribution. */
#include "fuzz_util.h"
#include "wattprof/mapper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"raw/idling_power.json", "raw/m/m_power_log.log",
                                        "raw/m/trt_profiling/trt_layer_latency.json",
                                        "raw/m/trt_profiling/trt_engine_info.json"};
    fz_parts parts;
    const char *dir = fz_write_parts(data, size, names, 4, 0, &parts);
    const char *raw = fz_path(dir, "raw"), *res = fz_path(dir, "result");
    wp_map_options opt;
    wp_map_options_init(&opt);
    if (size && (data[size - 1] & 1))
        opt.attribution = WP_ATTRIBUTION_INTERPOLATE;
    wp_error err;
    fz_note("map", wp_map_raw_dir(raw, res, &opt, NULL, &err), err.msg);
    return 0;
}
