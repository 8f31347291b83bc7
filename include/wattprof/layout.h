/* The raw and result folder layout: every file and folder name wattprof
 * reads or writes, in one place.
 *
 * Raw data (what `log`/`run`, `bench`, `idle` and `simulate` write and `map`
 * reads), upstream's layout:
 *   DIR/idling_power.json                            WP_IDLE_JSON
 *   DIR/<model>/<model>_power_log.log                WP_POWER_LOG_SUFFIX
 *   DIR/<model>/<model>_tensorrt.json                WP_TENSORRT_JSON_SUFFIX
 *   DIR/<model>/trt_profiling/trt_layer_latency.json WP_PROFILING_DIR, WP_LATENCY_JSON
 *   DIR/<model>/trt_profiling/trt_engine_info.json   WP_ENGINE_INFO_JSON
 *   DIR/<model>/trt_profiling/trt_layer_windows.csv  WP_LAYER_WINDOWS_CSV (wattprof's bench only)
 *   DIR/<model>/trt_profiling/trtexec_profile.json   WP_TRTEXEC_PROFILE (trtexec input,
 *   DIR/<model>/trt_profiling/trtexec_times.json     WP_TRTEXEC_TIMES    instead of the
 *   DIR/<model>/run_info.json                        WP_RUN_INFO_JSON    latency file)
 *   DIR/<model>/tegrastats.log                       WP_TEGRASTATS_LOG (power, when the
 *   DIR/<model>/tegrastats_start.json                WP_TEGRASTATS_START power log is absent;
 *                                                    the start note for JetPack 4's stamp-less lines)
 *   DIR/truth.json                                   WP_TRUTH_JSON (simulate only)
 *   <folder of the power log>/device.json            WP_DEVICE_JSON (log, idle, run, profile:
 *                                                    clocks, temperatures, board)
 * Results:
 *   RESULT/<model>/power_runtime_mapping_layerwise.csv  WP_MAPPING_CSV (map)
 *   RESULT/<model>/layer_power_estimates.csv            WP_ESTIMATES_CSV (map, deconvolve)
 *   RESULT/<model>/mapping_info.json                    WP_MAPPING_INFO_JSON (map)
 *   RESULT/<model>/trt_engine_info.json                 WP_ENGINE_INFO_JSON (map's copy)
 *   RESULT/<model>/device.json                          WP_DEVICE_JSON (map's copy, when present)
 *   RESULT/<model>/predictions.csv                      WP_PREDICTIONS_CSV (report reads)
 *   MODELS/metrics.json                                 WP_METRICS_JSON (train)
 * The names are macros so they concatenate into literals ("%s"
 * WP_POWER_LOG_SUFFIX) and help texts. */
#ifndef WATTPROF_LAYOUT_H
#define WATTPROF_LAYOUT_H

#define WP_IDLE_JSON "idling_power.json"
#define WP_POWER_LOG_SUFFIX "_power_log.log"
#define WP_TENSORRT_JSON_SUFFIX "_tensorrt.json"
#define WP_PROFILING_DIR "trt_profiling"
#define WP_LATENCY_JSON "trt_layer_latency.json"
#define WP_ENGINE_INFO_JSON "trt_engine_info.json"
#define WP_LAYER_WINDOWS_CSV "trt_layer_windows.csv"
#define WP_TRTEXEC_PROFILE WP_PROFILING_DIR "/trtexec_profile.json"
#define WP_TRTEXEC_TIMES WP_PROFILING_DIR "/trtexec_times.json"
#define WP_RUN_INFO_JSON "run_info.json"
#define WP_TEGRASTATS_LOG "tegrastats.log"
#define WP_TEGRASTATS_START "tegrastats_start.json"
#define WP_TRUTH_JSON "truth.json"
#define WP_DEVICE_JSON "device.json"
#define WP_MAPPING_CSV "power_runtime_mapping_layerwise.csv"
#define WP_ESTIMATES_CSV "layer_power_estimates.csv"
#define WP_MAPPING_INFO_JSON "mapping_info.json"
/* dataset's per-layer statistics, <model><suffix> in a model folder */
#define WP_POWER_STATS_SUFFIX "_average_power_stats.csv"
#define WP_RUNTIME_STATS_SUFFIX "_average_run_time_stats.csv"
#define WP_PREDICTIONS_CSV "predictions.csv"
#define WP_METRICS_JSON "metrics.json"

/* model_dir/<model><suffix> (the power log, the _tensorrt.json summary),
 * malloc'd; NULL when out of memory. */
char *wp_layout_model_file(const char *model_dir, const char *model, const char *suffix);

/* model_dir/trt_profiling/<file>, malloc'd; NULL when out of memory. */
char *wp_layout_profiling_file(const char *model_dir, const char *file);

#endif
