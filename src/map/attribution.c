/* attribution: one power value per layer window, by samples, interpolation
 * or deconvolution (wattprof/attribution.h); prefix sums so windows may come
 * in any order. */
#include "wattprof/attribution.h"
#include "wattprof/deconvolve.h"
#include "wattprof/nameindex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {
#define WP_ATTRIBUTION_NAME(id, name) name,
    WP_ATTRIBUTION_MODES(WP_ATTRIBUTION_NAME)
#undef WP_ATTRIBUTION_NAME
};

void wp_attribution_options_init(wp_attribution_options *o)
{
    memset(o, 0, sizeof *o);
}

int wp_attribution_parse_mode(const char *s, wp_attribution_mode *out)
{
    long i = wp_name_lookup(mode_names, WP_ATTRIBUTION_COUNT, s);
    if (i >= 0)
        *out = (wp_attribution_mode)i;
    return i >= 0 ? 0 : -1;
}

const char *wp_attribution_mode_name(wp_attribution_mode mode)
{
    return (unsigned)mode < WP_ATTRIBUTION_COUNT ? mode_names[mode] : mode_names[WP_ATTRIBUTION_SAMPLES];
}

/* Error-free transformations (Knuth's TwoSum) for double-double sums: the
 * prefix sums of 400,000 powers carry ~106 bits, so the difference of two
 * of them is the window's exact sum rounded once. */
static inline void two_sum(double a, double b, double *s, double *e)
{
    double x = a + b;
    double bb = x - a;
    *e = (a - (x - bb)) + (b - bb);
    *s = x;
}

static inline void dd_add(double *hi, double *lo, double v)
{
    double s, e;
    two_sum(*hi, v, &s, &e);
    e += *lo;
    *hi = s + e;
    *lo = e - (*hi - s);
}

/* (ah + al) - (bh + bl), rounded to a double */
static inline double dd_diff(double ah, double al, double bh, double bl)
{
    double s, e;
    two_sum(ah, -bh, &s, &e);
    e += al - bl;
    return s + e;
}

int wp_power_index_build(const wp_powerlog *log, int64_t origin_us, wp_power_index *idx, wp_error *err)
{
    memset(idx, 0, sizeof *idx);
    size_t n = log->n;
    idx->n = n;
    idx->origin_us = origin_us;
    idx->t = malloc((n + 1) * sizeof(double));
    idx->p = malloc((n + 1) * sizeof(double));
    idx->sum_hi = malloc((n + 1) * sizeof(double));
    idx->sum_lo = malloc((n + 1) * sizeof(double));
    idx->int_hi = malloc((n + 1) * sizeof(double));
    idx->int_lo = malloc((n + 1) * sizeof(double));
    if (!idx->t || !idx->p || !idx->sum_hi || !idx->sum_lo || !idx->int_hi || !idx->int_lo) {
        wp_power_index_free(idx);
        return wp_fail(err, NULL, 0, "out of memory indexing %zu power samples", n);
    }
    double sh = 0, sl = 0, ih = 0, il = 0;
    for (size_t i = 0; i < n; i++) {
        idx->t[i] = (double)(log->samples[i].t_us - origin_us);
        idx->p[i] = log->samples[i].power_uw;
        idx->sum_hi[i] = sh;
        idx->sum_lo[i] = sl;
        dd_add(&sh, &sl, idx->p[i]);
        if (i > 0) {
            double dt = idx->t[i] - idx->t[i - 1];
            dd_add(&ih, &il, dt * 0.5 * (idx->p[i - 1] + idx->p[i]));
        }
        idx->int_hi[i] = ih;
        idx->int_lo[i] = il;
    }
    idx->sum_hi[n] = sh;
    idx->sum_lo[n] = sl;
    return 0;
}

void wp_power_index_free(wp_power_index *idx)
{
    free(idx->t);
    free(idx->p);
    free(idx->sum_hi);
    free(idx->sum_lo);
    free(idx->int_hi);
    free(idx->int_lo);
    memset(idx, 0, sizeof *idx);
}

/* first i with t[i] >= x */
static size_t lower_bound(const double *t, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* first i with t[i] > x */
static size_t upper_bound(const double *t, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the first t[i] not "before" x (before: t < x, or t <= x when
 * inclusive), searched outward from a hint: windows mostly come in time
 * order, so the answer is usually a few samples from the last one and this
 * costs O(log distance) instead of a cold O(log N) walk through memory. */
static size_t search_from(const double *t, size_t n, double x, int inclusive, size_t hint)
{
#define BEFORE(i) (inclusive ? t[i] <= x : t[i] < x)
    size_t lo, hi;
    if (hint > n)
        hint = n;
    if (hint < n && BEFORE(hint)) {
        lo = hint + 1;
        size_t step = 1;
        for (;;) {
            size_t probe = lo + step - 1;
            if (probe >= n) {
                hi = n;
                break;
            }
            if (!BEFORE(probe)) {
                hi = probe;
                break;
            }
            lo = probe + 1;
            step *= 2;
        }
    } else {
        hi = hint;
        size_t step = 1;
        for (;;) {
            if (step > hi) {
                lo = 0;
                break;
            }
            size_t probe = hi - step;
            if (BEFORE(probe)) {
                lo = probe + 1;
                break;
            }
            hi = probe;
            step *= 2;
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (BEFORE(mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
#undef BEFORE
}

/* Mean of samples a..b-1 (NaN when none); *count (may be NULL) gets how many. */
static double mean_range(const wp_power_index *idx, size_t a, size_t b, size_t *count)
{
    if (b < a)
        b = a;
    if (count)
        *count = b - a;
    if (b == a)
        return NAN;
    return dd_diff(idx->sum_hi[b], idx->sum_lo[b], idx->sum_hi[a], idx->sum_lo[a]) / (double)(b - a);
}

static double mean_samples_hint(const wp_power_index *idx, double start, double end, size_t *count, size_t *hint)
{
    size_t a = search_from(idx->t, idx->n, start, 0, *hint);
    size_t b = end >= start ? search_from(idx->t, idx->n, end, 1, a) : a;
    *hint = a;
    return mean_range(idx, a, b, count);
}

double wp_power_mean_samples(const wp_power_index *idx, double start, double end, size_t *count)
{
    size_t a = lower_bound(idx->t, idx->n, start);
    size_t b = end >= start ? upper_bound(idx->t, idx->n, end) : a;
    return mean_range(idx, a, b, count);
}

/* Integral of the interpolant from t[0] to x (t[0] <= x <= t[n-1]) as a
 * double-double, and the segment used. */
static void integral_to(const wp_power_index *idx, double x, double *hi, double *lo, size_t *hint)
{
    size_t k = search_from(idx->t, idx->n, x, 1, *hint);
    *hint = k;
    k = k == 0 ? 0 : k - 1; /* t[k] <= x */
    if (k >= idx->n - 1) {
        *hi = idx->int_hi[idx->n - 1];
        *lo = idx->int_lo[idx->n - 1];
        return;
    }
    double t0 = idx->t[k], t1 = idx->t[k + 1];
    double dx = x - t0;
    double part = 0;
    if (dx > 0 && t1 > t0) {
        double vx = idx->p[k] + (idx->p[k + 1] - idx->p[k]) * (dx / (t1 - t0));
        part = dx * 0.5 * (idx->p[k] + vx);
    }
    *hi = idx->int_hi[k];
    *lo = idx->int_lo[k];
    dd_add(hi, lo, part);
}

static double mean_interpolate_hint(const wp_power_index *idx, double start, double end, size_t *hint);

double wp_power_mean_interpolate(const wp_power_index *idx, double start, double end)
{
    size_t hint = idx->n / 2;
    return mean_interpolate_hint(idx, start, end, &hint);
}

static double mean_interpolate_hint(const wp_power_index *idx, double start, double end, size_t *hint)
{
    size_t n = idx->n;
    if (n == 0 || !(start <= end) || start < idx->t[0] || end > idx->t[n - 1])
        return NAN;
    if (start == end) {
        /* A point: samples exactly there if any, else the line through its
         * neighbours. */
        size_t cnt;
        double m = wp_power_mean_samples(idx, start, end, &cnt);
        if (cnt)
            return m;
        size_t k = upper_bound(idx->t, n, start) - 1;
        double t0 = idx->t[k], t1 = idx->t[k + 1];
        return idx->p[k] + (idx->p[k + 1] - idx->p[k]) * ((start - t0) / (t1 - t0));
    }
    double ah, al, bh, bl;
    integral_to(idx, start, &ah, &al, hint);
    size_t h2 = *hint;
    integral_to(idx, end, &bh, &bl, &h2);
    return dd_diff(bh, bl, ah, al) / (end - start);
}

int wp_attribute(const wp_powerlog *log, const wp_windows *w, const wp_attribution_options *opt, double *out,
                 wp_error *err)
{
    size_t cells = w->n_layers * w->n_cycles;
    switch (opt->mode) {
    case WP_ATTRIBUTION_SAMPLES:
    case WP_ATTRIBUTION_INTERPOLATE: {
        wp_power_index idx;
        if (wp_power_index_build(log, w->origin_us, &idx, err) != 0)
            return -1;
        size_t hint = 0;
        if (opt->mode == WP_ATTRIBUTION_SAMPLES)
            for (size_t i = 0; i < cells; i++)
                out[i] = mean_samples_hint(&idx, w->start_us[i], w->end_us[i], NULL, &hint);
        else
            for (size_t i = 0; i < cells; i++)
                out[i] = mean_interpolate_hint(&idx, w->start_us[i], w->end_us[i], &hint);
        wp_power_index_free(&idx);
        return 0;
    }
    case WP_ATTRIBUTION_DECONVOLVE: return wp_deconv_attribute(log, w, opt->sensor_window_us, out, err);
    case WP_ATTRIBUTION_AUTO: break; /* the mapper resolves it */
    }
    return wp_fail(err, NULL, 0, "attribution '%s' is not available here", wp_attribution_mode_name(opt->mode));
}
