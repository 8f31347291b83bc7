/* Device state recorded with every measurement (device.json in the raw
 * folder): board, kernel, L4T release, nvpmodel mode, CPU and devfreq (GPU,
 * EMC) clocks, thermal zones at start and end, and the logger's rate. A power
 * figure without the clocks it ran at cannot be reproduced.
 *
 * Every item is optional: what a machine lacks (a laptop has no device tree,
 * an unprivileged user may not read nvpmodel) is left out, never an error.
 * Only writing the file can fail. */
#ifndef WATTPROF_DEVICE_H
#define WATTPROF_DEVICE_H

#include "wattprof/error.h"

typedef struct wp_device_state wp_device_state;

/* Reads the start state under root ("/" when NULL; tests pass a fake tree
 * holding proc/, sys/, etc/, var/). rate_hz: the logger's requested sample
 * rate (0: not recorded). NULL only when out of memory. */
wp_device_state *wp_device_start(const char *root, double rate_hz);

/* Reads the thermal zones again as the end state, and the rate the logger
 * achieved (mean_rate_hz <= 0: not recorded). */
void wp_device_end(wp_device_state *st, double mean_rate_hz);

/* Writes the state as JSON to path, atomically. */
int wp_device_write(const wp_device_state *st, const char *path, wp_error *err);

void wp_device_free(wp_device_state *st);

/* The board a device.json names (its "model": the device tree's), for the
 * training CSVs' device column. *name is NULL when the file is absent or
 * names no board (a machine without a device tree); -1 on an unreadable or
 * malformed file (error with file and line). Free *name with free(). */
int wp_device_read_name(const char *path, char **name, wp_error *err);

/* Bytes of the level-2 cache of CPU 0 (sysfs cpu0/cache/index*: level 2,
 * data or unified) under root ("/" when NULL); for the real root, where
 * sysfs lists none (a VM), what sysconf says. 0 when unknown. The CPU
 * runner records it with its engine description (docs/dataset.md: a
 * network that fits in it keeps its weights there between inferences). */
long long wp_device_l2_cache_bytes(const char *root);

/* ---- thermal stability ------------------------------------------------ */

/* The zone furthest from its reference, degrees Celsius. */
typedef struct wp_thermal_worst {
    char zone[64], type[64];
    double temp_c, ref_c; /* now (or at the end), and the reference */
} wp_thermal_worst;

typedef struct wp_cooldown_options {
    const char *root; /* as wp_device_start ("/" when NULL) */
    double margin_c;  /* wait until every zone is within this of its reference */
    double timeout_s; /* give up after this long (<= 0: 300 s) */
    double poll_s;    /* between readings (<= 0: 0.25 s) */
    /* called once when waiting begins, with the zone furthest above its
     * reference (NULL: none); the library never prints */
    void (*waiting)(void *ctx, const wp_thermal_worst *w);
    void *ctx;
} wp_cooldown_options;

typedef struct wp_cooldown_result {
    int reached; /* 1: within the margin (0: timed out) */
    int zones;   /* zones compared (0: nothing to wait for) */
    double waited_s;
    wp_thermal_worst worst; /* at the last reading */
} wp_cooldown_result;

/* Waits until every thermal zone is within margin_c of its temperature in
 * ref_path, a device.json (its end reading, else its start: for `idle`'s,
 * the idle state), or timeout_s passes. Zones are matched by name; zones
 * absent from either side are not compared. Colder than the reference is
 * fine. -1 only when ref_path cannot be read (error with the file). */
int wp_device_cooldown(const char *ref_path, const wp_cooldown_options *o, wp_cooldown_result *out, wp_error *err);

/* Records the wait in the state's device.json ("cooldown": margin, reference
 * file, seconds waited, reached). */
void wp_device_set_cooldown(wp_device_state *st, const char *ref_path, double margin_c, const wp_cooldown_result *r);

/* The largest rise of a zone between the start and end readings (after
 * wp_device_end), into *w; 0 when no zone has both. */
int wp_device_drift(const wp_device_state *st, wp_thermal_worst *w);

#endif
