/* Internal: exact fast path for the plain decimals that fill power logs and
 * latency files ("5000.0", "0.0303"). A mantissa of at most 15 digits is an
 * exact double, and so is 10^k for k <= 22, so one IEEE division gives the
 * correctly rounded value: the same double strtod returns (Clinger 1990).
 * Longer mantissas (up to 19 digits) use extended precision with an error
 * bound, falling back to strtod near a rounding boundary.
 * Any other shape returns -1 and the caller uses strtod. */
#ifndef WATTPROF_FASTNUM_H
#define WATTPROF_FASTNUM_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline int wp_fast_parse_double(const char *s, size_t len, double *out)
{
    /* 10^k for k <= 22 is exact in a double */
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    int neg = 0;
    if (len && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    uint64_t m = 0;
    int ndig = 0, nfrac = 0, seen_dot = 0, nint = 0, nfd = 0, long_mantissa = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (seen_dot)
                nfd++;
            else
                nint++;
            if (m == 0 && c == '0') {
                nfrac += seen_dot;
                continue;
            }
            if (++ndig > 19)
                return -1;
            long_mantissa = ndig > 15;
            m = m * 10 + (uint64_t)(c - '0');
            nfrac += seen_dot;
        } else if (c == '.' && !seen_dot) {
            seen_dot = 1;
        } else {
            return -1;
        }
    }
    /* digits on both sides of a dot, like JSON and Python's repr write */
    if (nint == 0 || (seen_dot && nfd == 0) || nfrac > 22)
        return -1;
    if (long_mantissa) {
#if LDBL_MANT_DIG >= 64
        /* 16-19 digits (Python's repr of float32 latencies): m and 10^k are
         * exact in a 64-bit mantissa and the quotient is within 2^-63 of
         * the true value; it rounds to the same double as the true value
         * unless it lies within that error of a rounding boundary. */
        long double y = (long double)m / (long double)p10[nfrac];
        double d = (double)y;
        long double err = y * 0x1p-61L;
        long double up = ((long double)nextafter(d, INFINITY) - d) / 2;
        long double down = (d - (long double)nextafter(d, 0)) / 2;
        long double diff = y - (long double)d;
        if ((diff >= 0 && diff + err < up) || (diff < 0 && -diff + err < down)) {
            *out = neg ? -d : d;
            return 0;
        }
#endif
        return -1;
    }
    double v = (double)m / p10[nfrac];
    *out = neg ? -v : v;
    return 0;
}

#endif
