/* idling_power.json: {"timestamp": "YYYYmmdd-HHMMSS", "avg_idle_power": uW} */
#ifndef WATTPROF_IDLE_H
#define WATTPROF_IDLE_H

#include "wattprof/error.h"

/* Reads avg_idle_power (microwatts; must be a finite number). */
int wp_idle_read(const char *path, double *avg_idle_uw, wp_error *err);
/* Writes the file atomically; timestamp is the upstream "%Y%m%d-%H%M%S"
 * text (NULL: now, local time). */
int wp_idle_write(const char *path, const char *timestamp, double avg_idle_uw, wp_error *err);

#endif
