/* Sensor-aware per-layer power: least squares over the sensor window.
 *
 * A power sensor such as the INA3221 does not report the power at its
 * timestamp: it reports the mean power over a conversion window (about
 * 1.1 ms) ending then. Layers last 10 us to 2 ms, so a sample mixes several
 * layers, and averaging the samples that fall inside a layer's window
 * (upstream's method) is biased towards its neighbours.
 *
 * Model: the board draws a constant power P_k while layer k runs and P_gap
 * between layers/cycles (an extra unknown). Sample i at time t_i reports
 *     y_i = sum_k a_ik P_k + noise,   a_ik = |window_i ∩ runs of k| / W
 * with window_i = [t_i + D - W, t_i + D] in timeline time (D: how much later
 * the timeline places a layer than it really ran, e.g. TensorRT's reporting
 * delay). Only samples whose whole window lies inside the profiled span are
 * used, so the a_ik of a row sum to 1 and P_k includes idle power.
 *
 * The normal equations (A^T A) P = A^T y are accumulated sample by sample
 * from each row's few non-zeros (never a dense samples x layers matrix) and
 * solved by a Cholesky factorisation of the unit-diagonal scaled A^T A with a
 * pivot check: a layer no window ever reaches, or one whose column is a
 * combination of others (always inside the same windows as a neighbour), is
 * reported rather than given a number. */
#ifndef WATTPROF_DECONVOLVE_H
#define WATTPROF_DECONVOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/atomic_file.h"
#include "wattprof/engine.h"
#include "wattprof/error.h"
#include "wattprof/layout.h"
#include "wattprof/latency.h"
#include "wattprof/powerlog.h"
#include "wattprof/timeline.h"

/* The layer windows of a profiled run, layer-major like wp_latency and
 * wp_windows (timeline.h): window of layer l in cycle c is
 * [start_us, end_us] at index l * n_cycles + c, in microseconds after
 * origin_us. Cycles are in time order; within a cycle layers are in
 * execution order (windows that overlap are clipped to run back to back). */
typedef struct wp_deconv_input {
    size_t n_layers, n_cycles;
    int64_t origin_us;
    const double *start_us;
    const double *end_us;
    const wp_sample *samples; /* non-decreasing time */
    size_t n_samples;
} wp_deconv_input;

typedef struct wp_deconv_options {
    int window_auto;  /* search the sensor window ... */
    double window_us; /* ... or use this one (> 0) */
    int offset_auto;  /* search the report offset D ... */
    double offset_us; /* ... or use this one */
    /* Search ranges for auto (0, 0: the defaults below). */
    double window_min_us, window_max_us;
    double offset_min_us, offset_max_us;
    /* A layer whose variance inflation (diag of scaled (A^T A)^-1) exceeds
     * this is flagged ill-conditioned and gets no number (0: 1e8). */
    double vif_limit;
    /* wp_deconv_map only: flag `uncertain` an estimate whose standard error
     * exceeds this fraction of its power above idle (0: no limit). */
    double max_relative_se;
    /* wp_deconv_map only: a layer whose standard error exceeds this
     * fraction of its estimate above idle is flagged `imprecise` (0: off).
     * For modelled windows (trtexec), where a number this uncertain would
     * be mostly the model's error. */
    double max_rel_stderr;
    /* wp_deconv_map only: per layer, 1 when the caller knows its windows
     * are placed too loosely for a number (NULL: none); flagged `imprecise`
     * too, after the solve (they stay unknowns of it). */
    const unsigned char *imprecise;
    /* Valleys of the residual the auto search refines (0: 3, at most
     * WP_DECONV_MAX_RIVALS + 1); the ones not chosen are the result's
     * rivals, so more find more of them, at more solves. */
    int valleys;
    /* > 0, with the window fixed and the offset auto: the offset search
     * scans the whole range at this step (us) instead of the coarse grid,
     * so that no valley narrower than the coarse step is missed; of the
     * `valleys` best, those within 2x of the best one's residual variance
     * are refined. */
    double offset_scan_us;
} wp_deconv_options;

/* Every field zero: offset 0, default ranges and limits; set window_auto
 * or window_us (> 0) before solving. */
void wp_deconv_options_init(wp_deconv_options *o);

/* Default search ranges of `auto`. The offset reaches far below 0 because a
 * sensor that holds its last conversion (the INA3221 refreshes a channel
 * every channels x samples x conversion times: 6.6 ms on a default Jetson)
 * reports a reading that old: a negative offset of up to that interval
 * (docs/logging.md). */
#define WP_DECONV_WINDOW_MIN_US 100.0
#define WP_DECONV_WINDOW_MAX_US 3000.0
#define WP_DECONV_OFFSET_MIN_US (-7000.0)
#define WP_DECONV_OFFSET_MAX_US 1500.0

typedef enum wp_deconv_status {
    WP_DECONV_OK = 0,
    WP_DECONV_UNCOVERED,       /* no sample window ever overlaps it */
    WP_DECONV_RANK_DEFICIENT,  /* its column depends on other layers' */
    WP_DECONV_ILL_CONDITIONED, /* variance inflation above the limit */
    /* Estimated, but its standard error exceeds the caller's limit relative
     * to its power above idle (wp_deconv_map's max_relative_se): the value
     * is kept and written, marked so nobody takes it for a measurement. */
    WP_DECONV_UNCERTAIN,
    /* No number: standard error above max_rel_stderr, or marked by the
     * caller (options.imprecise: modelled windows placed too loosely). */
    WP_DECONV_IMPRECISE
} wp_deconv_status;

/* wp_deconvolve's return when fewer samples lie inside the profiled span
 * than there are unknowns: res->n_used holds the most any (window, offset)
 * tried had, res->n_unknowns the unknowns (nothing else is allocated). */
#define WP_DECONV_TOO_FEW (-2)

/* Default --max-relative-se: an estimate whose standard error exceeds a
 * quarter of its power above idle is flagged `uncertain`. */
#define WP_DECONV_MAX_RELATIVE_SE 0.25
/* The rms residual this many times the noise of the log's idle stretches
 * (samples whose window lies wholly outside the profiled span) means the
 * sensor model does not fit: map warns. */
#define WP_DECONV_RESIDUAL_NOISE_LIMIT 5.0

const char *wp_deconv_status_name(wp_deconv_status s); /* "ok", "uncovered", ... */

#define WP_DECONV_MAX_RIVALS 11

typedef struct wp_deconv_result {
    size_t n_unknowns; /* n_layers + 1: index n_layers is the gap */
    double window_us;  /* window and offset used (chosen when auto) */
    double offset_us;
    double *power_uw;  /* including idle; NaN unless status OK */
    double *stderr_uw; /* standard error; NaN unless status OK */
    double *weight;    /* effective sample weight: sum_i a_ik */
    double *vif;       /* variance inflation; NaN when not computed */
    wp_deconv_status *status;
    size_t n_used; /* samples whose window lies inside the span */
    size_t rank;
    double rms_residual_uw;
    int evaluations; /* least-squares solves the auto search made */
    /* Auto search only: the other valleys of the residual it refined, each
     * (window, offset) with its residual variance over the chosen one's on
     * the same samples (>= 1), the closest fit first. Periodic inferences
     * under a window as long as one leave several such valleys: a rival
     * that fits almost as well and moves a layer's estimate says the
     * estimate is not identifiable (wp_trtexec_choose_window). */
    size_t n_rivals;
    double rival_window_us[WP_DECONV_MAX_RIVALS];
    double rival_offset_us[WP_DECONV_MAX_RIVALS];
    double rival_ratio[WP_DECONV_MAX_RIVALS];
} wp_deconv_result;

/* Solves; with auto options, picks window/offset minimising the residual
 * (coarse grid on a subset of the samples, then refinement on all of them).
 * Returns WP_DECONV_TOO_FEW (with the counts in res, the reason in err)
 * when too few samples lie inside the span, -1 on other errors. */
int wp_deconvolve(const wp_deconv_input *in, const wp_deconv_options *opt, wp_deconv_result *res, wp_error *err);
void wp_deconv_result_free(wp_deconv_result *res);

/* layer_power_estimates.csv: one row per layer, columns
 *   layer_name, layer_type, power_including_idle_micro_watt,
 *   power_excluding_idle_micro_watt, standard_error_micro_watt,
 *   latency_mean_ms, latency_std_ms, cycles, effective_sample_weight, status
 * Powers and standard error are empty unless status is "ok". latency_ms is
 * layer-major [l * n_cycles + c] as in wp_latency. Written atomically. */
#define WP_DECONV_CSV_NAME WP_ESTIMATES_CSV
int wp_deconv_write_csv(const char *path, const wp_deconv_result *res, size_t n_layers, const char *const *names,
                        const char *const *types, double idle_uw, const double *latency_ms, size_t n_cycles,
                        wp_error *err);

/* What wp_deconv_map chose, for the run's mapping_info.json. */
typedef struct wp_deconv_summary {
    double window_us, offset_us; /* used (chosen when auto) */
    double rms_residual_uw;
    double gap_power_uw; /* including idle; NaN when not estimated */
    size_t n_used, n_flagged;
    int evaluations;
    size_t n_uncertain; /* estimates above max_relative_se */
    /* Noise of the log's idle stretches (samples whose window lies wholly
     * outside the profiled span: rms of successive differences / sqrt 2,
     * the largest 5 % and exact repeats left out, scaled to a Gaussian's
     * sigma); NaN when under 10 differences. */
    double idle_noise_uw;
    /* Set when wp_deconv_map fails because the fit is not identifiable
     * (too few samples for the unknowns); err then holds the counts and
     * what to do, and n_unknowns / n_used the numbers. */
    int not_identifiable;
    size_t n_unknowns;
    /* One line for the user when the fit is doubtful (estimates flagged
     * uncertain, a residual far above the idle noise), else empty. */
    char warning[1024];
} wp_deconv_summary;

/* For `wattprof map --attribution deconvolve`: solves over the timeline's
 * windows (flagging estimates above opt->max_relative_se `uncertain`,
 * warning in summary->warning when the residual is far above the idle
 * noise), fills power[l * n_cycles + c] with layer l's estimate (including
 * idle) in every cycle (NaN when it has none), and returns the estimates CSV
 * for est_path written but not committed (the mapper commits a run's files
 * together). `note` receives one line: the window and offset used (chosen
 * when auto) and any layers flagged; `summary` (may be NULL) the same as
 * numbers. Layer types come from eng (may be NULL); errors name log_path. */
wp_atomic_file *wp_deconv_map(const wp_powerlog *log, const wp_windows *win, const wp_latency *lat,
                              const wp_engine *eng, double idle_uw, const wp_deconv_options *opt, double *power,
                              const char *log_path, const char *est_path, char *note, size_t note_size,
                              wp_deconv_summary *summary, wp_error *err);

/* wp_attribute's deconvolve mode: each window gets its layer's estimate
 * (NaN when flagged); window_us <= 0 searches window and offset. */
int wp_deconv_attribute(const wp_powerlog *log, const wp_windows *win, double window_us, double *out, wp_error *err);

/* One row of layer_power_estimates.csv, for `dataset`. */
typedef struct wp_deconv_estimate {
    char *name;
    double power_excl_uw; /* NaN when the layer has no estimate */
    double stderr_uw;
    double latency_mean_ms;
    double latency_std_ms;
    long cycles;
    double weight;
    int ok; /* status "ok" */
} wp_deconv_estimate;

int wp_deconv_read_csv(const char *path, wp_deconv_estimate **rows, size_t *n, wp_error *err);
void wp_deconv_estimates_free(wp_deconv_estimate *rows, size_t n);
/* Row by exact layer name, or NULL. */
const wp_deconv_estimate *wp_deconv_find(const wp_deconv_estimate *rows, size_t n, const char *name);

#endif
