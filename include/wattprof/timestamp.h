/* Upstream timestamps <-> int64 microseconds.
 *
 * Upstream writes local wall-clock time as "%Y%m%d-%H:%M:%S.%f" (1 to 6
 * fractional digits when read). Both the power logger and the profiler write
 * local time, so inside wattprof a time is the number of microseconds since
 * 1970-01-01 00:00:00 of that *local civil* clock: no time-zone conversion on
 * the hot path, and equal text always gives equal numbers. */
#ifndef WATTPROF_TIMESTAMP_H
#define WATTPROF_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/* Longest text wp_ts_format writes, plus the NUL. */
#define WP_TS_BUFSZ 32

/* Parses exactly `len` bytes of "YYYYmmdd-HH:MM:SS.f" (1-6 fractional
 * digits). Returns 0, or -1 when the text is not such a timestamp or names an
 * impossible date/time. */
int wp_ts_parse(const char *s, size_t len, int64_t *out_us);

/* Writes "YYYYmmdd-HH:MM:SS.ffffff" (always 6 digits) and a NUL; returns the
 * length (24). */
size_t wp_ts_format(int64_t us, char *buf);

/* The current local wall-clock time in the representation above. Cheap
 * enough to call per sample: the time-zone offset is recomputed only when
 * the second changes. */
int64_t wp_ts_now_local(void);

/* Monotonic clock in microseconds, for intervals and rates. */
int64_t wp_ts_monotonic_us(void);

/* The same clock in nanoseconds, for intervals shorter than a few
 * microseconds (a small network's layers on a CPU run 0.1-1 us). */
int64_t wp_ts_monotonic_ns(void);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t wp_days_from_civil(int64_t y, unsigned m, unsigned d);
void wp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
