/* The mapper: raw measurements -> per-cycle, per-layer power and runtime.
 *
 * Input layout (upstream's):
 *   RAW/idling_power.json
 *   RAW/<model>/<model>_power_log.log
 *   RAW/<model>/trt_profiling/trt_layer_latency.json
 *   RAW/<model>/trt_profiling/trt_engine_info.json
 * Output, for every model folder:
 *   RESULT/<model>/power_runtime_mapping_layerwise.csv
 *   RESULT/<model>/trt_engine_info.json (copied)
 *   RESULT/<model>/device.json (copied when RAW/<model>/ has one)
 *   RESULT/<model>/mapping_info.json (the choices made, see below)
 *
 * Windows come from `timeline`, powers from `attribution`; see
 * docs/mapping.md for the choices and upstream's defects fixed here. */
#ifndef WATTPROF_MAPPER_H
#define WATTPROF_MAPPER_H

#include "wattprof/attribution.h"
#include "wattprof/error.h"
#include "wattprof/layout.h"
#include "wattprof/progress.h"
#include "wattprof/timeline.h"

#define WP_MAPPING_HEADER                                                                                              \
    "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"                                         \
    "layer_power_excluding_idle_power_micro_watt,layer_run_time"

/* WP_MAPPING_INFO_JSON (layout.h): what map chose for a model (timeline,
 * deconvolve's window and offset, ...) and what it worked from, written with
 * the run's other files (docs/mapping.md lists the fields). */

typedef struct wp_map_options {
    wp_timeline_mode timeline; /* default auto */
    /* default auto: deconvolve where the fit is identifiable, interpolate
     * (named in mapping_info.json's attribution_fallback, and a note) for a
     * model where it is not. samples is upstream's method. */
    wp_attribution_mode attribution;
    /* deconvolve: flag `uncertain` an estimate whose standard error exceeds
     * this fraction of its power above idle (default
     * WP_DECONV_MAX_RELATIVE_SE; 0: never) */
    double max_relative_se;
    double report_offset_us; /* see timeline.h (default 0) */
    double sensor_window_us; /* deconvolve only (default 0: auto) */
    /* deconvolve only: search the report offset (report_offset_us then
     * should be 0); it also writes RESULT/<model>/layer_power_estimates.csv */
    int report_offset_auto;
    /* deconvolve, report offset auto: the range searched, in microseconds
     * (both 0: deconvolve.h's default) */
    double offset_min_us, offset_max_us;
    /* A model whose power comes from <model>/tegrastats.log: the rail to
     * take (NULL: the board's input, see tegrastats.h) */
    const char *tegrastats_rail;
    /* Messages worth showing the user (which timeline auto chose, and
     * why; deconvolve's choices; a fallback; warnings, which start with
     * "warning:" or say the fit is doubtful), one line each, per model.
     * NULL: dropped. */
    void (*note)(void *ctx, const char *model, const char *message);
    void *note_ctx;
    /* 1: no power log (a machine without a sensor): the mapping has every
     * layer's runtime and empty power columns, so runtime models can still
     * be trained from it. */
    int runtime_only;
} wp_map_options;

void wp_map_options_init(wp_map_options *opt);

/* Maps one model folder (its files named after `model`) into out_dir
 * (created when missing), which changes as a whole (resultset.h): on any
 * error it is left as it was. */
int wp_map_model(const char *model_dir, const char *model, double idle_uw, const char *out_dir,
                 const wp_map_options *opt, const wp_progress *progress, wp_error *err);

/* Maps every model folder of raw_dir (non-hidden subfolders holding
 * <name>_power_log.log or trt_profiling/, in name order) into
 * result_dir/<model>/. All or nothing (resultset.h): the model folders are
 * written into staging folders and switched in together once all are
 * complete; on any error, or when killed before that, the earlier results
 * are untouched and nothing of this run is left (staging folders of a
 * killed run are removed by the next) - except where a model's own
 * measurements give no mapping (deconvolve asked for and not identifiable,
 * or no power in any window): the other models are switched in, that
 * model's earlier results are left as they were, and the run fails naming
 * each such model with its counts. Files of other steps in a model folder
 * (dataset's statistics) are kept. A second map on the same result_dir
 * fails while one runs (lock naming its pid). */
int wp_map_raw_dir(const char *raw_dir, const char *result_dir, const wp_map_options *opt, const wp_progress *progress,
                   wp_error *err);

#endif
