/* trtexec's files as `map` reads them: trtexec_profile.json %% trtexec_times.json
 * %% run_info.json %% power log %% trt_engine_info.json. Each reader alone, the placement of the
 * layers in the compute windows, then `map` over a raw folder holding all
 * five (deconvolve with the window search trtexec needs). */
#include "fuzz_util.h"
#include "wattprof/mapper.h"
#include "wattprof/trtexec.h"

static const char IDLE[] = "{\"timestamp\": \"20241121-000000\", \"avg_idle_power\": 5000000.0}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_parts parts;
    fz_split(data, size, 5, &parts);
    const char *dir = fz_dir();
    const char *prof_path = fz_write(dir, "raw/m/" WP_TRTEXEC_PROFILE, parts.p[0], parts.n[0]);
    const char *times_path = fz_write(dir, "raw/m/" WP_TRTEXEC_TIMES, parts.p[1], parts.n[1]);
    const char *info_path = fz_write(dir, "raw/m/" WP_RUN_INFO_JSON, parts.p[2], parts.n[2]);
    fz_write(dir, "raw/m/m" WP_POWER_LOG_SUFFIX, parts.p[3], parts.n[3]);
    fz_write(dir, "raw/m/" WP_PROFILING_DIR "/" WP_ENGINE_INFO_JSON, parts.p[4], parts.n[4]);
    fz_write(dir, "raw/" WP_IDLE_JSON, IDLE, sizeof IDLE - 1);

    wp_error err;
    wp_trtexec_profile prof;
    wp_trtexec_times times;
    int64_t anchor = 0;
    int have_prof = fz_note("profile", wp_trtexec_read_profile(prof_path, &prof, &err), err.msg) == 0;
    int have_times = fz_note("times", wp_trtexec_read_times(times_path, &times, &err), err.msg) == 0;
    int have_anchor = fz_note("run_info", wp_run_info_read_anchor(info_path, &anchor, &err), err.msg) == 0;
    if (have_prof && have_times) {
        double *rel = malloc((prof.n_layers ? prof.n_layers : 1) * sizeof *rel);
        if (!rel)
            abort();
        wp_trtexec_placement_uncertainty(&prof, &times, rel);
        free(rel);
        wp_latency lat;
        wp_windows win;
        if (fz_note("place", wp_trtexec_place(&prof, &times, anchor, &lat, &win, &err), err.msg) == 0) {
            wp_latency_free(&lat);
            wp_windows_free(&win);
        }
    }
    if (have_prof)
        wp_trtexec_profile_free(&prof);
    if (have_times)
        wp_trtexec_times_free(&times);

    /* The whole map only where the files parse: a map of garbage stops at
     * the readers above, which this input has just covered. */
    if (have_prof && have_times && have_anchor && parts.n[3]) {
        char raw[512], res[512];
        snprintf(raw, sizeof raw, "%s/raw", dir);
        snprintf(res, sizeof res, "%s/result", dir);
        wp_map_options opt;
        wp_map_options_init(&opt);
        fz_note("map", wp_map_raw_dir(raw, res, &opt, NULL, &err), err.msg);
    }
    return 0;
}
