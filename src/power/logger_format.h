/* The logger's line formatter: the same text as wp_powerlog_format_line
 * (shortest round-trip numbers, Python repr style), with fast paths for
 * what sensors produce and for a stream of stamps:
 * - sysfs values are integers (mV, mA): digits and ".0";
 * - power-only sources give power/1000 with at most three decimals: for
 *   those the shortest round-trip text is the decimal itself, written
 *   directly instead of trying snprintf precisions until strtod agrees
 *   (four snprintf+strtod rounds for "5000.0");
 * - "YYYYmmdd-HH:MM:SS." is formatted once a second and copied.
 * Anything else goes the general way. Private to logger.c (and its test). */
#ifndef WATTPROF_LOGGER_FORMAT_H
#define WATTPROF_LOGGER_FORMAT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "wattprof/csv.h"
#include "wattprof/powerlog.h"
#include "wattprof/timestamp.h"

/* Tests only: adds ns to every wall-clock reading the loggers make from now
 * on, which they see as a clock step. */
void wp__logger_test_step_clock(int64_t ns);

/* Writes the digits of k, then ".", then `frac` (three digits, trailing
 * zeros dropped, "0" when zero). */
static inline size_t wp_logger_put_decimal(char *buf, int negative, uint64_t k, unsigned frac)
{
    char tmp[24];
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + k % 10);
        k /= 10;
    } while (k);
    if (negative)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len++] = '.';
    if (frac == 0) {
        buf[len++] = '0';
    } else {
        char d[3] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10), (char)('0' + frac % 10)};
        int nd = 3;
        while (d[nd - 1] == '0')
            nd--;
        for (int i = 0; i < nd; i++)
            buf[len++] = d[i];
    }
    buf[len] = '\0';
    return len;
}

static inline size_t wp_logger_fast_number(double v, char *buf)
{
    /* Integral and below 2^53: its digits and ".0" are the shortest round
     * trip, as Python's repr writes them. */
    if (v >= 0 && v < 9007199254740992.0) {
        uint64_t k = (uint64_t)v;
        if ((double)k == v && !(v == 0 && signbit(v)))
            return wp_logger_put_decimal(buf, 0, k, 0);
    }
    /* v = k/1000 exactly as a double (k integer, |v| < 1e12): then the
     * decimal k/1000 reads back as v, and no shorter decimal does (doubles
     * below 1e12 are spaced well under 0.0005 apart). */
    if (!(fabs(v) < 1e12) || (v == 0 && signbit(v)))
        return wp_format_double(v, buf);
    long long k = llround(v * 1000.0);
    if ((double)k / 1000.0 != v)
        return wp_format_double(v, buf);
    unsigned long long a = (unsigned long long)(k < 0 ? -k : k);
    return wp_logger_put_decimal(buf, k < 0, a / 1000, (unsigned)(a % 1000));
}

typedef struct wp_line_cache {
    int64_t second; /* of the stamp the prefix was made for */
    char prefix[WP_TS_BUFSZ];
} wp_line_cache;

static inline void wp_line_cache_init(wp_line_cache *c)
{
    c->second = INT64_MIN;
}

/* One log line with '\n' (and a NUL after it); buf holds at least
 * WP_POWERLOG_LINE_MAX bytes. */
static inline size_t wp_logger_format_line(wp_line_cache *c, char *buf, int64_t t_us, double mv, double ma)
{
    int64_t second = t_us >= 0 ? t_us / 1000000 : -((-t_us + 999999) / 1000000);
    if (second != c->second) {
        wp_ts_format(t_us, c->prefix);
        c->second = second;
    }
    memcpy(buf, c->prefix, 18); /* "YYYYmmdd-HH:MM:SS." */
    unsigned frac = (unsigned)(t_us - second * 1000000);
    for (int i = 23; i >= 18; i--) {
        buf[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    size_t n = 24;
    buf[n++] = ',';
    n += wp_logger_fast_number(mv, buf + n);
    buf[n++] = ',';
    n += wp_logger_fast_number(ma, buf + n);
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}

#endif
