/* timeline: when each layer ran, per cycle (wattprof/timeline.h): the
 * reported, reconstructed or automatically chosen reading of the latency file. */
#include "wattprof/timeline.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/nameindex.h"

void wp_timeline_options_init(wp_timeline_options *opt)
{
    opt->mode = WP_TIMELINE_AUTO;
    opt->report_offset_us = 0;
    opt->whole_us = 1;
}

static const char *const mode_names[] = {
#define WP_TIMELINE_NAME(id, name) name,
    WP_TIMELINE_MODES(WP_TIMELINE_NAME)
#undef WP_TIMELINE_NAME
};

int wp_timeline_parse_mode(const char *s, wp_timeline_mode *out)
{
    long i = wp_name_lookup(mode_names, WP_TIMELINE_COUNT, s);
    if (i >= 0)
        *out = (wp_timeline_mode)i;
    return i >= 0 ? 0 : -1;
}

const char *wp_timeline_mode_name(wp_timeline_mode mode)
{
    return (unsigned)mode < WP_TIMELINE_COUNT ? mode_names[mode] : mode_names[WP_TIMELINE_AUTO];
}

int64_t wp_latency_ms_to_us(double ms)
{
    /* CPython's timedelta constructor: the integral milliseconds scale
     * exactly; the fraction is scaled in floating point, its integral part
     * kept and its remainder rounded half to even against the running total
     * (Modules/_datetimemodule.c, accum() and delta_new()). */
    if (isnan(ms))
        return 0;
    /* Past 2^63 / 1000 ms the conversion itself would be undefined. */
    if (!(fabs(ms) < 9.2e15))
        return ms > 0 ? INT64_MAX : INT64_MIN;
    double ip;
    double frac = modf(ms, &ip);
    int64_t us = (int64_t)ip * 1000;
    if (frac == 0)
        return us;
    double scaled = frac * 1000.0;
    double ip2;
    double left = modf(scaled, &ip2);
    us += (int64_t)ip2;
    if (left != 0) {
        double whole = round(left);
        if (fabs(whole - left) == 0.5) {
            int odd = (int)(us & 1);
            whole = 2.0 * round((left + odd) * 0.5) - odd;
        }
        us += (int64_t)whole;
    }
    return us;
}

static double span_us(const wp_latency *lat, size_t l, size_t c, int whole_us)
{
    double ms = wp_latency_at(lat, l, c);
    return whole_us ? (double)wp_latency_ms_to_us(ms) : ms * 1000.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Puts the k-th smallest of v[0..n) at v[k], none larger before it and
 * none smaller after it (Hoare's selection). `auto` takes a median per
 * cycle, so a full qsort there cost a sixth of `map`'s instructions; the
 * values are the same as sorting gives. A crafted input that keeps
 * selection from converging falls back to the sort. */
static void select_kth(double *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, K = (ptrdiff_t)k;
    for (int rounds = 0; lo < hi; rounds++) {
        if (rounds > 64) {
            qsort(v, n, sizeof *v, cmp_double);
            return;
        }
        double pivot = v[K];
        ptrdiff_t i = lo, j = hi;
        do {
            while (v[i] < pivot)
                i++;
            while (pivot < v[j])
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < K)
            lo = i;
        if (K < i)
            hi = j;
    }
}

static double median_of(double *v, size_t n)
{
    size_t k = n / 2;
    select_kth(v, n, k);
    if (n % 2)
        return v[k];
    double below = v[0];
    for (size_t i = 1; i < k; i++)
        below = v[i] > below ? v[i] : below;
    return 0.5 * (below + v[k]);
}

/* How one cycle's stamps read. */
enum { VOTE_NONE, VOTE_ENDS, VOTE_BATCH };

/* A profiler that stamps each layer as it ends steps its stamps by the
 * layers' own latencies (stamp[l] - stamp[l-1] = latency[l], running back
 * to back), so the stamps span the summed latencies less the first layer's.
 * One that reports after the cycle steps them by its own per-callback cost
 * (1-20 us, about constant, whatever the layer's latency), which can span
 * any fraction of the sum - above 100 % for a fast network with a slow
 * callback, which layer ends cannot do. So: which of the two explains the
 * steps better, and where neither clearly does (few layers, or layers all
 * about as long as a callback), the spread: under a quarter of the sum, or at
 * or above all of it, is a batch. */
static int cycle_vote(const wp_latency *lat, size_t c, double *step, double *dev, double *ratio_out, int *over)
{
    size_t L = lat->n_layers;
    int64_t lo = wp_reported_at(lat, 0, c), hi = lo;
    double sum = 0;
    for (size_t l = 0; l < L; l++) {
        int64_t t = wp_reported_at(lat, l, c);
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
        sum += wp_latency_at(lat, l, c) * 1000.0;
    }
    if (!(sum > 0))
        return VOTE_NONE;
    double r = (double)(hi - lo) / sum;
    *ratio_out = r;
    *over = (double)(hi - lo) - 1.0 >= sum;
    /* beyond what whole-microsecond stamps could add by rounding */
    if (*over)
        return VOTE_BATCH;
    if (L >= 4) {
        double e_ends = 0;
        for (size_t l = 1; l < L; l++) {
            step[l - 1] = (double)(wp_reported_at(lat, l, c) - wp_reported_at(lat, l - 1, c));
            e_ends += fabs(step[l - 1] - wp_latency_at(lat, l, c) * 1000.0);
        }
        for (size_t l = 0; l + 1 < L; l++)
            dev[l] = step[l];
        double cost = median_of(dev, L - 1);
        double e_batch = 0;
        for (size_t l = 0; l + 1 < L; l++)
            e_batch += fabs(step[l] - cost);
        if (2 * e_batch < e_ends)
            return VOTE_BATCH;
        if (2 * e_ends < e_batch)
            return VOTE_ENDS;
    }
    return r < 0.25 ? VOTE_BATCH : VOTE_ENDS;
}

wp_timeline_mode wp_timeline_choose(const wp_latency *lat, char *reason, size_t reason_size)
{
    size_t considered = 0, batched = 0, over = 0;
    size_t L = lat->n_layers;
    double *ratio = lat->n_cycles ? malloc(lat->n_cycles * sizeof *ratio) : NULL;
    double *step = L ? malloc(L * sizeof *step) : NULL;
    double *dev = L ? malloc(L * sizeof *dev) : NULL;
    int oom = (lat->n_cycles && !ratio) || (L && (!step || !dev));
    for (size_t c = 0; !oom && L >= 2 && c < lat->n_cycles; c++) {
        double r = 0;
        int o = 0;
        int v = cycle_vote(lat, c, step, dev, &r, &o);
        if (v == VOTE_NONE)
            continue;
        ratio[considered++] = r;
        batched += v == VOTE_BATCH;
        over += o;
    }
    wp_timeline_mode mode;
    if (considered == 0) {
        mode = WP_TIMELINE_REPORTED;
        if (reason)
            snprintf(reason, reason_size,
                     "timeline reported: no cycle has two layers with a non-zero runtime, so both timelines agree");
    } else {
        double median = median_of(ratio, considered);
        mode = batched * 2 > considered ? WP_TIMELINE_RECONSTRUCTED : WP_TIMELINE_REPORTED;
        if (reason)
            snprintf(reason, reason_size,
                     "timeline %s: in %zu of %zu cycles the reported timestamps were written after the cycle "
                     "(their steps do not follow the layers' latencies, or they span under 25%% or at least "
                     "100%% of the summed latencies; median span %.3g%%, %zu cycles at or above 100%%), so %s",
                     wp_timeline_mode_name(mode), batched, considered, median * 100, over,
                     mode == WP_TIMELINE_RECONSTRUCTED ? "they were stamped after each cycle, not as each layer ended"
                                                       : "they mark when each layer ended");
    }
    free(ratio);
    free(step);
    free(dev);
    return mode;
}

int wp_timeline_build(const wp_latency *lat, const wp_timeline_options *opt, wp_windows *out, wp_timeline_mode *chosen,
                      char *reason, size_t reason_size, wp_error *err)
{
    memset(out, 0, sizeof *out);
    wp_timeline_mode mode = opt->mode;
    if (mode == WP_TIMELINE_AUTO)
        mode = wp_timeline_choose(lat, reason, reason_size);
    else if (reason && reason_size)
        snprintf(reason, reason_size, "timeline %s (as asked)", wp_timeline_mode_name(mode));
    if (chosen)
        *chosen = mode;
    size_t cells = lat->n_layers * lat->n_cycles;
    out->n_layers = lat->n_layers;
    out->n_cycles = lat->n_cycles;
    out->start_us = malloc((cells ? cells : 1) * sizeof *out->start_us);
    out->end_us = malloc((cells ? cells : 1) * sizeof *out->end_us);
    if (!out->start_us || !out->end_us) {
        wp_windows_free(out);
        return wp_fail(err, NULL, 0, "out of memory for %zu layer windows", cells);
    }
    int64_t origin = 0;
    for (size_t i = 0; i < cells; i++)
        if (i == 0 || lat->reported_us[i] < origin)
            origin = lat->reported_us[i];
    out->origin_us = origin;
    const double off = opt->report_offset_us;
    const int whole = opt->whole_us;
    if (mode == WP_TIMELINE_REPORTED) {
        for (size_t i = 0; i < cells; i++) {
            size_t l = i / (lat->n_cycles ? lat->n_cycles : 1), c = i % (lat->n_cycles ? lat->n_cycles : 1);
            double end = (double)(lat->reported_us[i] - origin) - off;
            out->end_us[i] = end;
            out->start_us[i] = end - span_us(lat, l, c, whole);
        }
    } else {
        for (size_t c = 0; c < lat->n_cycles; c++) {
            int64_t first = wp_reported_at(lat, 0, c);
            for (size_t l = 1; l < lat->n_layers; l++)
                if (wp_reported_at(lat, l, c) < first)
                    first = wp_reported_at(lat, l, c);
            double end = (double)(first - origin) - off;
            for (size_t l = lat->n_layers; l-- > 0;) {
                size_t i = l * lat->n_cycles + c;
                out->end_us[i] = end;
                end -= span_us(lat, l, c, whole);
                out->start_us[i] = end;
            }
        }
    }
    return 0;
}

void wp_windows_free(wp_windows *w)
{
    free(w->start_us);
    free(w->end_us);
    memset(w, 0, sizeof *w);
}
