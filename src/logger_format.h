/* The logger's line formatter: the same text as wp_powerlog_format_line
 * (shortest round-trip numbers, Python repr style), with a fast path for
 * what sensors produce. Sysfs values are integers (mV, mA) and power-only
 * sources give power/1000 with at most three decimals; for those the
 * shortest round-trip text is just the decimal itself, which is written
 * directly instead of trying snprintf precisions until strtod agrees
 * (four snprintf+strtod rounds for "5000.0", most of the writer's time).
 * Anything else goes the general way. Private to logger.c (and its test). */
#ifndef WATTPROF_LOGGER_FORMAT_H
#define WATTPROF_LOGGER_FORMAT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "wattprof/csv.h"
#include "wattprof/powerlog.h"
#include "wattprof/timestamp.h"

/* v = k/1000 exactly as a double (k integer, |v| < 1e12): then the decimal
 * k/1000 reads back as v, and no shorter decimal does (doubles below 1e12
 * are spaced well under 0.0005 apart), so it is the shortest round trip. */
static inline size_t wp_logger_fast_number(double v, char *buf)
{
    if (!(fabs(v) < 1e12) || (v == 0 && signbit(v)))
        return wp_format_double(v, buf);
    double scaled = v * 1000.0;
    long long k = llround(scaled);
    if ((double)k / 1000.0 != v)
        return wp_format_double(v, buf);
    char tmp[32];
    size_t n = 0;
    unsigned long long a = (unsigned long long)(k < 0 ? -k : k);
    unsigned frac = (unsigned)(a % 1000);
    unsigned long long ip = a / 1000;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    size_t len = 0;
    if (k < 0)
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

static inline size_t wp_logger_format_line(char *buf, int64_t t_us, double mv, double ma)
{
    size_t n = wp_ts_format(t_us, buf);
    buf[n++] = ',';
    n += wp_logger_fast_number(mv, buf + n);
    buf[n++] = ',';
    n += wp_logger_fast_number(ma, buf + n);
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}

/* The same line, for a stream of stamps that mostly share their second:
 * "YYYYmmdd-HH:MM:SS." is formatted once a second and copied, and an
 * integral reading (every sysfs mV and mA) skips the rounding test. At a
 * million lines a second this halves the formatter's share of a sample. */
typedef struct wp_line_cache {
    int64_t second; /* of the stamp the prefix was made for */
    char prefix[WP_TS_BUFSZ];
} wp_line_cache;

static inline void wp_line_cache_init(wp_line_cache *c)
{
    c->second = INT64_MIN;
}

static inline size_t wp_logger_integral_number(double v, char *buf)
{
    /* |v| < 2^53 and integral: the digits and ".0" are the shortest
     * round trip, as Python's repr writes them. */
    if (v >= 0 && v < 9007199254740992.0) {
        uint64_t k = (uint64_t)v;
        if ((double)k == v && !(v == 0 && signbit(v))) {
            char tmp[20];
            size_t n = 0;
            do {
                tmp[n++] = (char)('0' + k % 10);
                k /= 10;
            } while (k);
            size_t len = 0;
            while (n)
                buf[len++] = tmp[--n];
            buf[len++] = '.';
            buf[len++] = '0';
            buf[len] = '\0';
            return len;
        }
    }
    return wp_logger_fast_number(v, buf);
}

static inline size_t wp_logger_format_line_cached(wp_line_cache *c, char *buf, int64_t t_us, double mv, double ma)
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
    n += wp_logger_integral_number(mv, buf + n);
    buf[n++] = ',';
    n += wp_logger_integral_number(ma, buf + n);
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}

#endif
