/* Attribution: one power value per layer window.
 *
 *  - samples: the mean of every power sample whose timestamp lies in the
 *    window, bounds included; NaN when none does (upstream's algorithm,
 *    without its single forward scan: windows may come in any order and
 *    overlap).
 *  - interpolate: the time-average over the window of the piecewise-linear
 *    signal through the samples, so a layer far shorter than the sampling
 *    interval still gets a value; NaN only when the window reaches outside
 *    the log's time span.
 *  - deconvolve: least squares over a sensor window (the `deconv` module
 *    plugs in at wp_attribute; not part of this file).
 *  - auto: the mapper's default, deconvolve where the fit is identifiable
 *    and interpolate where it is not (mapper.h); wp_attribute refuses it.
 *
 * Both built-in modes index the log once (prefix sums and prefix integrals
 * in double-double precision) and answer each window with two binary
 * searches: O((N + W) log N) for N samples and W windows, whatever their
 * order. */
#ifndef WATTPROF_ATTRIBUTION_H
#define WATTPROF_ATTRIBUTION_H

#include <stddef.h>

#include "wattprof/error.h"
#include "wattprof/powerlog.h"
#include "wattprof/timeline.h"

/* X(enum suffix, name): the enum and its name table come from this list. */
#define WP_ATTRIBUTION_MODES(X)                                                                                        \
    X(SAMPLES, "samples")                                                                                              \
    X(INTERPOLATE, "interpolate")                                                                                      \
    X(DECONVOLVE, "deconvolve")                                                                                        \
    X(AUTO, "auto")

typedef enum wp_attribution_mode {
#define WP_ATTRIBUTION_ENUM(id, name) WP_ATTRIBUTION_##id,
    WP_ATTRIBUTION_MODES(WP_ATTRIBUTION_ENUM)
#undef WP_ATTRIBUTION_ENUM
} wp_attribution_mode;
#define WP_ATTRIBUTION_COUNT (0 WP_ATTRIBUTION_MODES(WP_X_PLUS_ONE))

typedef struct wp_attribution_options {
    wp_attribution_mode mode;
    /* deconvolve only: the sensor's averaging window in microseconds
     * (0: the module's default) */
    double sensor_window_us;
} wp_attribution_options;

/* Every field zero: samples (upstream's method), the default window. */
void wp_attribution_options_init(wp_attribution_options *o);

int wp_attribution_parse_mode(const char *s, wp_attribution_mode *out);
const char *wp_attribution_mode_name(wp_attribution_mode mode);

/* An index over a power log for answering many windows. Times are doubles
 * relative to origin_us (the windows' origin). */
typedef struct wp_power_index {
    size_t n;
    int64_t origin_us;
    double *t;               /* sample times, microseconds after origin_us */
    double *p;               /* sample powers */
    double *sum_hi, *sum_lo; /* n + 1 prefix sums of p */
    double *int_hi, *int_lo; /* n prefix integrals of the linear signal */
} wp_power_index;

int wp_power_index_build(const wp_powerlog *log, int64_t origin_us, wp_power_index *idx, wp_error *err);
void wp_power_index_free(wp_power_index *idx);

/* Mean of the samples in [start, end] (bounds included), NaN when none.
 * The sum is correctly rounded (double-double prefix sums), so it equals a
 * left-to-right sum whenever that is exact - always for upstream's integer
 * mV x mA powers. */
double wp_power_mean_samples(const wp_power_index *idx, double start, double end, size_t *count);
/* Time-average of the linear interpolant over [start, end]; its value at
 * `start` when start == end; NaN outside [first sample, last sample]. */
double wp_power_mean_interpolate(const wp_power_index *idx, double start, double end);

/* One value per window: out[layer * n_cycles + cycle]. */
int wp_attribute(const wp_powerlog *log, const wp_windows *w, const wp_attribution_options *opt, double *out,
                 wp_error *err);

#endif
