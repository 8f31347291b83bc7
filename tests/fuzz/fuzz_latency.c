/* trt_layer_latency.json reader, then both timelines built from what it
 * accepted (the ms -> us conversion and the reconstruction arithmetic). */
#include "fuzz_util.h"
#include "wattprof/latency.h"
#include "wattprof/timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write(fz_dir(), "trt_layer_latency.json", data, size);
    wp_latency lat;
    wp_error err;
    if (fz_note("latency", wp_latency_read(path, &lat, &err), err.msg) != 0)
        return 0;
    char reason[256];
    wp_timeline_choose(&lat, reason, sizeof reason);
    for (int mode = WP_TIMELINE_AUTO; mode <= WP_TIMELINE_RECONSTRUCTED; mode++) {
        wp_timeline_options opt;
        wp_timeline_options_init(&opt);
        opt.mode = (wp_timeline_mode)mode;
        wp_windows w;
        if (fz_note("timeline", wp_timeline_build(&lat, &opt, &w, NULL, NULL, 0, &err), err.msg) == 0)
            wp_windows_free(&w);
    }
    wp_latency_free(&lat);
    return 0;
}
