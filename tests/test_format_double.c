/* wp_format_double's fast path against the straightforward definition:
 * the fewest significant digits that read back exactly, written as
 * Python's repr writes floats. */
#include <stdint.h>
#include <stdlib.h>

#include "testutil.h"
#include "wattprof/csv.h"

static size_t reference(double v, char *buf)
{
    int prec;
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, 40, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* digits and exponent of the shortest form */
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    char digits[20];
    int nd = 0;
    const char *p = tmp + (tmp[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int e = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (v < 0)
        *o++ = '-';
    if (e < -4 || e >= 16) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        o += sprintf(o, "e%c%02d", e < 0 ? '-' : '+', abs(e));
    } else if (e >= 0) {
        for (int i = 0; i <= e; i++)
            *o++ = i < nd ? digits[i] : '0';
        *o++ = '.';
        if (nd > e + 1) {
            memcpy(o, digits + e + 1, (size_t)(nd - e - 1));
            o += nd - e - 1;
        } else {
            *o++ = '0';
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -e - 1; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)nd);
        o += nd;
    }
    *o = '\0';
    return (size_t)(o - buf);
}

static uint64_t state = 88172645463325252ULL;
static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int main(void)
{
    char a[64], b[64];
    /* fixed points of Python's repr */
    const struct {
        double v;
        const char *s;
    } fixed[] = {{6250000.0, "6250000.0"},
                 {0.1, "0.1"},
                 {1e-07, "1e-07"},
                 {1e16, "1e+16"},
                 {1e15, "1000000000000000.0"},
                 {0.0001, "0.0001"},
                 {1.5e-05, "1.5e-05"},
                 {-0.0, "-0.0"},
                 {0.03030399978160858, "0.03030399978160858"},
                 {16619131460464994.0, "1.6619131460464994e+16"},
                 {123456789012345.6, "123456789012345.6"}};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        wp_format_double(fixed[i].v, a);
        CHECK_STR(a, fixed[i].s);
    }
    long bad = 0, n = 0;
    for (long i = 0; i < 400000; i++) {
        double v;
        switch (i % 8) {
        case 0: {
            uint64_t u = next();
            memcpy(&v, &u, sizeof v);
            if (!isfinite(v))
                continue;
            break;
        }
        case 1: v = (double)(float)((double)(next() % 100000) / 1e6); break;
        case 2: v = (double)(next() % 100000000) / (double)(next() % 7 + 1); break;
        case 3: v = (double)(next() % 2000000) * 0.5 - 500000; break;
        case 4: v = ldexp((double)(next() >> 11), -(int)(next() % 80)); break;
        case 5: v = (double)(next() % 1000) / 1000.0 * pow(10, (int)(next() % 40) - 20); break;
        case 6: {
            /* powers of two and their neighbours: the gap below is half
             * the gap above */
            int dir = (int)(next() % 3);
            v = ldexp(1.0, (int)(next() % 90) - 30);
            v = dir == 0 ? v : nextafter(v, dir == 1 ? 0 : INFINITY);
            break;
        }
        default: {
            /* 17 digits ending in 5: ties when rounding to 16 */
            char t[48];
            snprintf(t, sizeof t, "%llu5e%d", (unsigned long long)(next() % 10000000000000000ULL),
                     (int)(next() % 30) - 26);
            v = strtod(t, NULL);
            break;
        }
        }
        size_t la = wp_format_double(v, a);
        reference(v, b);
        n++;
        if (strcmp(a, b) != 0 || la != strlen(a)) {
            if (bad < 5)
                fprintf(stderr, "%.17g: got %s, want %s\n", v, a, b);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
    CHECK(n > 300000);
    return test_summary();
}
