/* Layer windows per cycle: when did each layer run?
 *
 * The latency file gives, per layer and cycle, a latency and a "reported"
 * timestamp. Two readings of it:
 *  - reported: the timestamp is the layer's end, the window is
 *    [reported - latency, reported] (upstream's reading);
 *  - reconstructed: TensorRT's profiler reports every layer of a cycle after
 *    the cycle has finished, so the timestamps say little about when each
 *    layer ran. Within each cycle the layers run back to back in file order
 *    and the last one ends at the cycle's earliest reported timestamp.
 *  - auto: reconstructed when in most cycles the stamps read as written
 *    after the cycle: their steps follow a constant per-callback cost rather
 *    than the layers' latencies, or (few layers, or no clear winner) they
 *    span under 25 % of the cycle's summed latencies; a cycle whose stamps
 *    span the whole sum or more (beyond 1 us of rounding) always counts as
 *    written after it, since layer-end stamps cannot. Else reported.
 *
 * Windows are doubles in microseconds after `origin_us` (a local civil time,
 * see timestamp.h), so fractional microseconds survive (interpolation and
 * deconvolution use them) while whole microseconds stay exact. */
#ifndef WATTPROF_TIMELINE_H
#define WATTPROF_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/error.h"
#include "wattprof/latency.h"

/* X(enum suffix, name): the enum and its name table come from this list. */
#define WP_TIMELINE_MODES(X)                                                                                           \
    X(AUTO, "auto")                                                                                                    \
    X(REPORTED, "reported")                                                                                            \
    X(RECONSTRUCTED, "reconstructed")

typedef enum wp_timeline_mode {
#define WP_TIMELINE_ENUM(id, name) WP_TIMELINE_##id,
    WP_TIMELINE_MODES(WP_TIMELINE_ENUM)
#undef WP_TIMELINE_ENUM
} wp_timeline_mode;
#define WP_TIMELINE_COUNT (0 WP_TIMELINE_MODES(WP_X_PLUS_ONE))

typedef struct wp_timeline_options {
    wp_timeline_mode mode;
    /* Reported time minus true end, in microseconds: a profiler that stamps
     * a layer `offset` after it finished. 0 reads timestamps as upstream. */
    double report_offset_us;
    /* 1: latencies are rounded to whole microseconds exactly as upstream's
     * `end - timedelta(milliseconds=latency)` does (half to even), so
     * `samples` attribution matches it bit for bit. 0: latency_ms * 1000
     * kept fractional. */
    int whole_us;
} wp_timeline_options;

typedef struct wp_windows {
    size_t n_layers, n_cycles;
    int64_t origin_us; /* times below count microseconds from here */
    double *start_us;  /* [layer * n_cycles + cycle] */
    double *end_us;    /* [layer * n_cycles + cycle] */
} wp_windows;

/* Defaults: auto, no offset, whole microseconds. */
void wp_timeline_options_init(wp_timeline_options *opt);

/* Parses "auto" | "reported" | "reconstructed"; -1 on anything else. */
int wp_timeline_parse_mode(const char *s, wp_timeline_mode *out);
const char *wp_timeline_mode_name(wp_timeline_mode mode);

/* Python's timedelta(milliseconds=ms) in whole microseconds: the integer
 * part exactly, the fraction rounded half to even (as CPython does it).
 * Defined for every double: beyond +-WP_LATENCY_MAX_MS (which the latency
 * reader rejects) it saturates at INT64_MAX / INT64_MIN, NaN gives 0. */
int64_t wp_latency_ms_to_us(double ms);

/* The mode auto picks for this table, with a one-line reason (reason may be
 * NULL). Never returns WP_TIMELINE_AUTO. */
wp_timeline_mode wp_timeline_choose(const wp_latency *lat, char *reason, size_t reason_size);

/* Builds every window. `chosen` (may be NULL) receives the mode used and
 * `reason` (may be NULL) why, when the mode was auto. */
int wp_timeline_build(const wp_latency *lat, const wp_timeline_options *opt, wp_windows *out, wp_timeline_mode *chosen,
                      char *reason, size_t reason_size, wp_error *err);
void wp_windows_free(wp_windows *w);

#endif
