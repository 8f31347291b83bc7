/* trtexec's own output as a profile: what `wattprof run -- trtexec ...`
 * leaves, read by `map` (docs/trtexec.md).
 *
 * Files (TensorRT 8.6-10, as trtexec writes them; model folder layout):
 *   <model>/trt_profiling/trtexec_profile.json   --exportProfile
 *       [{"count": N}, {"name", "timeMs", "averageMs", "medianMs",
 *        "percentage"}, ...]: per-layer averages only (medianMs since 8.6)
 *   <model>/trt_profiling/trtexec_times.json     --exportTimes
 *       one record per inference: startEnqMs, endEnqMs, startH2dMs, ...,
 *       startComputeMs, endComputeMs, ..., latencyMs, in ms since trtexec's
 *       own start (printed with 6 significant digits)
 *   <model>/trt_profiling/trt_engine_info.json   --exportLayerInfo
 *   <model>/run_info.json                        written by `wattprof run`:
 *       "child_start", the wall-clock time the child was started (the
 *       anchor trtexec's times lack)
 *
 * Neither file has a per-inference, per-layer time: each inference's
 * layers are placed back to back inside its compute window, in proportion
 * to their average times. That is a model, not a measurement; deconvolve
 * then estimates one power per layer over all inferences. */
#ifndef WATTPROF_TRTEXEC_H
#define WATTPROF_TRTEXEC_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/deconvolve.h"
#include "wattprof/error.h"
#include "wattprof/latency.h"
#include "wattprof/layout.h"
#include "wattprof/timeline.h"

/* WP_TRTEXEC_PROFILE, WP_TRTEXEC_TIMES, WP_RUN_INFO_JSON: layout.h */

/* How far the anchor may be off: the child's clock starts after exec and
 * library loading, a few ms after `run` stamps the spawn. map widens its
 * report-offset search by this much on both sides. */
#define WP_TRTEXEC_ANCHOR_UNCERTAINTY_US 5000.0

/* A layer whose standard error exceeds this fraction of its power above
 * idle gets no number (status `imprecise`): with modelled windows such a
 * number is mostly the model's error (docs/trtexec.md). */
#define WP_TRTEXEC_MAX_REL_STDERR 0.03

typedef struct wp_trtexec_profile {
    long count; /* inferences profiled */
    size_t n_layers;
    char **names; /* execution order */
    double *average_ms;
    double *median_ms; /* NaN when absent (before TensorRT 8.6) */
    long *lines;       /* line of each layer's record */
} wp_trtexec_profile;

typedef struct wp_trtexec_times {
    size_t n;
    double *start_compute_ms, *end_compute_ms;
    double *latency_ms; /* NaN when absent */
    double *compute_ms; /* computeMs: the window's length computed before
                           printing, so to 6 digits of itself (NaN when
                           absent) */
    long *lines;
} wp_trtexec_times;

int wp_trtexec_read_profile(const char *path, wp_trtexec_profile *p, wp_error *err);
void wp_trtexec_profile_free(wp_trtexec_profile *p);
int wp_trtexec_read_times(const char *path, wp_trtexec_times *t, wp_error *err);
void wp_trtexec_times_free(wp_trtexec_times *t);

/* run_info.json's "child_start" (local civil microseconds, timestamp.h). */
int wp_run_info_read_anchor(const char *path, int64_t *anchor_us, wp_error *err);
/* Writes run_info.json: the command, the child's start (the anchor) and
 * end. Atomic. */
int wp_run_info_write(const char *path, char *const *argv, int64_t start_us, int64_t end_us, int exit_code,
                      wp_error *err);

/* Places the layers of every inference (compute window > 0) back to back
 * inside it, each for its share of the summed averages. The printed start
 * times carry only 6 significant digits (0.1 ms from 10 s on), far coarser
 * than the layers: since trtexec runs inferences back to back, each start
 * is taken from its neighbours too (the local mean of start minus summed
 * durations and gaps over +-8 inferences, broken at pauses), and the
 * length from computeMs. lat gets the
 * placed latencies (and each layer's end as its reported time); win the
 * windows, origin at the anchor. Fails when no inference has a compute
 * window or every average is 0. */
int wp_trtexec_place(const wp_trtexec_profile *p, const wp_trtexec_times *t, int64_t anchor_us, wp_latency *lat,
                     wp_windows *win, wp_error *err);

/* How far off, relative to its own length, a layer's modelled window
 * typically is (rel[l], n_layers values): from the spread of the compute
 * windows (layers whose times vary move the boundaries after them) and
 * the times' printed resolution (6 significant digits: 0.1 ms from 10 s
 * on, which shifts a whole inference). A layer above
 * WP_TRTEXEC_MAX_REL_PLACEMENT cannot be told from its neighbours. */
#define WP_TRTEXEC_MAX_REL_PLACEMENT 0.1
void wp_trtexec_placement_uncertainty(const wp_trtexec_profile *p, const wp_trtexec_times *t, double *rel);

/* A rival (window, offset) of the residual search (wp_deconv_result's
 * rivals) whose residual variance is within this factor of the chosen one's
 * fits about as well: the run does not tell them apart. Measured on the
 * simulated grid of docs/attribution.md: the valleys that gave estimates
 * 9-27 % off fit within 1.25; the closest distant valley of a run with right
 * estimates (20 layers, 1 ms), 1.57. */
#define WP_TRTEXEC_RIVAL_RATIO 1.4
/* ... and a layer whose estimate such a rival moves by more than this
 * fraction of its power above idle gets no number (status `imprecise`). */
#define WP_TRTEXEC_MAX_REL_RIVAL 0.03
/* The offset search over trtexec's windows scans the whole range at this
 * step (the valleys are tens of microseconds wide) and refines this many
 * of the best valleys. */
#define WP_TRTEXEC_OFFSET_SCAN_US 10.0
#define WP_TRTEXEC_VALLEYS 8

/* For deconvolve over trtexec's windows with the window or the offset
 * auto: chooses them as wp_deconvolve does, then fixes them in *dopt (the
 * map step solves once). Two checks mark layers in `imprecise` and say so
 * in `note` ("" when neither fires):
 *   - rivals: another (window, offset) fitting within WP_TRTEXEC_RIVAL_RATIO
 *     that moves a layer's estimate by more than WP_TRTEXEC_MAX_REL_RIVAL
 *     (a window spanning about one inference leaves only the window edges
 *     to place layers, and an anchor off by milliseconds leaves the offset
 *     to the fit): that layer;
 *   - window auto only: inferences that repeat every T us make a window W
 *     and W + T fit alike (a sample over a whole inference and a bit says
 *     only what the bit held): when another such window lies in the
 *     searched range, every layer, and the note says to give the window.
 * idle_uw: the idle power (estimates are compared above it). */
int wp_trtexec_choose_window(const wp_windows *win, const wp_powerlog *log, double idle_uw, wp_deconv_options *dopt,
                             unsigned char *imprecise, char *note, size_t note_size, wp_error *err);

#endif
