/* `map` over one model: idling_power.json %% power log %% latency JSON %%
 * engine info; the last byte picks samples or interpolate attribution. */
#include "fuzz_util.h"
#include "wattprof/mapper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_parts parts;
    fz_split(data, size, 4, &parts);
    const char *dir = fz_dir();
    fz_write(dir, "raw/idling_power.json", parts.p[0], parts.n[0]);
    fz_write(dir, "raw/m/m_power_log.log", parts.p[1], parts.n[1]);
    fz_write(dir, "raw/m/trt_profiling/trt_layer_latency.json", parts.p[2], parts.n[2]);
    fz_write(dir, "raw/m/trt_profiling/trt_engine_info.json", parts.p[3], parts.n[3]);
    char raw[512], res[512];
    snprintf(raw, sizeof raw, "%s/raw", dir);
    snprintf(res, sizeof res, "%s/result", dir);
    wp_map_options opt;
    wp_map_options_init(&opt);
    if (size && (data[size - 1] & 1))
        opt.attribution = WP_ATTRIBUTION_INTERPOLATE;
    wp_error err;
    fz_note("map", wp_map_raw_dir(raw, res, &opt, NULL, &err), err.msg);
    return 0;
}
