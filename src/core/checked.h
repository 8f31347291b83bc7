/* Internal: overflow-checked integer arithmetic for sizes, shapes, counts and
 * times computed from input files. Each returns 0 with the exact result in
 * *out, or -1 (and *out unspecified) when the result does not fit: a crafted
 * file must give "value out of range", never wrap into a small, plausible
 * number that a later loop or allocation trusts. */
#ifndef WATTPROF_CHECKED_H
#define WATTPROF_CHECKED_H

#include <stdint.h>

static inline int wp_add_i64(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

static inline int wp_sub_i64(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_sub_overflow(a, b, out) ? -1 : 0;
}

static inline int wp_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

/* a * b + c */
static inline int wp_muladd_i64(int64_t a, int64_t b, int64_t c, int64_t *out)
{
    int64_t p;
    return wp_mul_i64(a, b, &p) || wp_add_i64(p, c, out) ? -1 : 0;
}

/* A finite double as int64_t, or -1 when it is NaN, infinite or out of range
 * (the conversion itself is undefined behaviour there). */
static inline int wp_double_to_i64(double v, int64_t *out)
{
    /* 2^63 is exact as a double; every double below it converts. */
    if (!(v > -9223372036854775808.0 && v < 9223372036854775808.0))
        return -1;
    *out = (int64_t)v;
    return 0;
}

#endif
