/* timestamp: upstream's local-time stamps <-> int64 microseconds
 * (wattprof/timestamp.h), exact and without time-zone conversion. */
#include "wattprof/timestamp.h"

#include <time.h>

/* Howard Hinnant's days_from_civil: exact for every proleptic Gregorian
 * date, no tables, no time zone. */
int64_t wp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void wp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + c;
    }
    *out = v;
    return 0;
}

static int days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dm[m - 1] + (m == 2 && leap);
}

int wp_ts_parse(const char *s, size_t len, int64_t *out_us)
{
    /* YYYYmmdd-HH:MM:SS.f : 19 fixed bytes + 1..6 fraction digits */
    if (len < 19 || len > 24)
        return -1;
    unsigned Y, M, D, h, mi, sec, frac;
    if (digits(s, 4, &Y) || digits(s + 4, 2, &M) || digits(s + 6, 2, &D) || s[8] != '-' || digits(s + 9, 2, &h) ||
        s[11] != ':' || digits(s + 12, 2, &mi) || s[14] != ':' || digits(s + 15, 2, &sec) || s[17] != '.')
        return -1;
    int nfrac = (int)len - 18;
    if (nfrac < 1 || digits(s + 18, nfrac, &frac))
        return -1;
    for (int i = nfrac; i < 6; i++)
        frac *= 10;
    if (M < 1 || M > 12 || D < 1 || (int)D > days_in_month(Y, M) || h > 23 || mi > 59 || sec > 59)
        return -1;
    int64_t days = wp_days_from_civil(Y, M, D);
    *out_us = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
    return 0;
}

static inline void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

size_t wp_ts_format(int64_t us, char *buf)
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    unsigned frac = (unsigned)(us - secs * 1000000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    unsigned sod = (unsigned)(secs - days * 86400);
    int64_t y;
    unsigned m, d;
    wp_civil_from_days(days, &y, &m, &d);
    unsigned yy = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    put2(buf, yy / 100);
    put2(buf + 2, yy % 100);
    put2(buf + 4, m);
    put2(buf + 6, d);
    buf[8] = '-';
    put2(buf + 9, sod / 3600);
    buf[11] = ':';
    put2(buf + 12, sod / 60 % 60);
    buf[14] = ':';
    put2(buf + 15, sod % 60);
    buf[17] = '.';
    for (int i = 23; i >= 18; i--) {
        buf[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    buf[24] = '\0';
    return 24;
}

int64_t wp_ts_now_local(void)
{
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local long cached_offset;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        localtime_r(&ts.tv_sec, &tm);
        /* tm is the local civil time; its distance from UTC is the offset. */
        int64_t local = wp_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
                        tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
        cached_offset = (long)(local - (int64_t)ts.tv_sec);
        cached_sec = ts.tv_sec;
    }
    return ((int64_t)ts.tv_sec + cached_offset) * 1000000 + ts.tv_nsec / 1000;
}

int64_t wp_ts_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t wp_ts_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
