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

#endif
