/* Power logs in the upstream format, one sample per line:
 *     YYYYmmdd-HH:MM:SS.ffffff,voltage_mV,current_mA
 * voltage x current is power in microwatts. */
#ifndef WATTPROF_POWERLOG_H
#define WATTPROF_POWERLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattprof/error.h"

typedef struct wp_sample {
    int64_t t_us;    /* local civil microseconds (timestamp.h) */
    double power_uw; /* voltage_mV * current_mA */
} wp_sample;

typedef struct wp_powerlog {
    wp_sample *samples; /* in non-decreasing time order */
    size_t n;
    size_t cap;
} wp_powerlog;

/* Reads a whole power log. Every line must parse (timestamp with 1-6
 * fractional digits, two finite numbers); timestamps must not go backwards.
 * Blank lines are skipped. Errors name the file and line. */
int wp_powerlog_read(const char *path, wp_powerlog *log, wp_error *err);
void wp_powerlog_free(wp_powerlog *log);

/* Formats one line (with '\n') into buf (at least WP_POWERLOG_LINE_MAX
 * bytes); returns its length. Voltage and current are written in the
 * shortest round-trip form. */
#define WP_POWERLOG_LINE_MAX 96
size_t wp_powerlog_format_line(char *buf, int64_t t_us, double voltage_mv, double current_ma);

#endif
