/* trt_layer_latency.json: {"layer name": [[latency_ms, "timestamp"], ...], ...}
 * one entry per inference cycle, layers in execution order.
 *
 * Read by a hand-written streaming parser into a compact layer x cycle
 * table: the file reaches hundreds of MB (30,000 cycles x 60 layers is over
 * 100 MB) and a whole-document JSON tree would take gigabytes. */
#ifndef WATTPROF_LATENCY_H
#define WATTPROF_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/error.h"
#include "wattprof/progress.h"

typedef struct wp_latency {
    size_t n_layers;
    size_t n_cycles;      /* every layer has exactly n_cycles entries */
    char **names;         /* n_layers names, in file (execution) order */
    double *latency_ms;   /* [layer * n_cycles + cycle] */
    int64_t *reported_us; /* [layer * n_cycles + cycle], local civil us */
    long *lines;          /* line of each layer's name in the file, for
                              messages about a layer (0 when not read) */
} wp_latency;

/* Largest latency accepted (about 31.7 years): its microseconds stay exact
 * in a double and far inside the int64 timestamps they are subtracted from. */
#define WP_LATENCY_MAX_MS 1e12

/* Errors: malformed or truncated JSON, a bad timestamp, a non-finite,
 * negative or out-of-range latency, lists of unequal length, duplicate
 * layer names. */
int wp_latency_read(const char *path, wp_latency *lat, wp_error *err);
/* As wp_latency_read, reporting bytes read to `progress` (may be NULL). */
int wp_latency_read_progress(const char *path, wp_latency *lat, const wp_progress *progress, wp_error *err);
/* untimed_ok 1: entries may also be plain latencies ({"layer": [ms, ms,
 * ...]}, the original's desktop profiler), read with reported_us 0: for
 * runtime alone (`map --runtime-only`), as nothing can be placed in time. */
int wp_latency_read_ex(const char *path, wp_latency *lat, const wp_progress *progress, int untimed_ok, wp_error *err);
/* Writes the upstream format (atomically). */
int wp_latency_write(const char *path, const wp_latency *lat, wp_error *err);
void wp_latency_free(wp_latency *lat);

static inline double wp_latency_at(const wp_latency *lat, size_t layer, size_t cycle)
{
    return lat->latency_ms[layer * lat->n_cycles + cycle];
}
static inline int64_t wp_reported_at(const wp_latency *lat, size_t layer, size_t cycle)
{
    return lat->reported_us[layer * lat->n_cycles + cycle];
}

#endif
