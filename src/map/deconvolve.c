/* deconvolve: least-squares per-layer power over the sensor's averaging
 * window (wattprof/deconvolve.h, docs/attribution.md). */
#include "wattprof/deconvolve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"

/* Scaled pivots below this mean the column is (numerically) a combination of
 * earlier ones: the accumulated sums carry relative errors near 1e-13. */
#define PIVOT_TOL 1e-10
/* A dependent column's regression coefficient on another column above this
 * (in scaled units) makes that other layer part of the confounded set. */
#define CONFOUND_TOL 1e-6

typedef struct seg_table {
    double *a, *b; /* [a, b) relative to t0, sorted, non-overlapping */
    uint32_t *u;   /* unknown: layer index, or n_layers for the gap */
    size_t n, cap;
} seg_table;

typedef struct ctx {
    size_t L, p;
    seg_table seg;
    double span_a, span_b;
    size_t ns;
    double *t, *y; /* sample times relative to t0, values minus ycenter */
    double ycenter;
    /* accumulation */
    double *ata, *aty, *colsum, yy;
    size_t used;
    size_t most_used; /* the most samples any evaluated (W, D) had inside the span */
    double *acc;
    uint32_t *touched;
    /* solve */
    double *lm, *scale, *x, *work, *vif;
    unsigned char *active, *dropped, *confounded;
    size_t rank;
} ctx;

const char *wp_deconv_status_name(wp_deconv_status s)
{
    switch (s) {
    case WP_DECONV_OK: return "ok";
    case WP_DECONV_UNCOVERED: return "uncovered";
    case WP_DECONV_RANK_DEFICIENT: return "rank-deficient";
    case WP_DECONV_ILL_CONDITIONED: return "ill-conditioned";
    case WP_DECONV_IMPRECISE: return "imprecise";
    case WP_DECONV_UNCERTAIN: return "uncertain";
    }
    return "?";
}

static int seg_push(seg_table *s, double a, double b, uint32_t u)
{
    if (s->n == s->cap) {
        size_t cap = wp_next_cap(s->cap, 1024);
        if (wp_grow_to(&s->a, cap, sizeof *s->a) || wp_grow_to(&s->b, cap, sizeof *s->b) ||
            wp_grow_to(&s->u, cap, sizeof *s->u))
            return -1;
        s->cap = cap;
    }
    s->a[s->n] = a;
    s->b[s->n] = b;
    s->u[s->n] = u;
    s->n++;
    return 0;
}

static void ctx_free(ctx *c)
{
    free(c->seg.a);
    free(c->seg.b);
    free(c->seg.u);
    free(c->t);
    free(c->y);
    free(c->ata);
    free(c->aty);
    free(c->colsum);
    free(c->acc);
    free(c->touched);
    free(c->lm);
    free(c->scale);
    free(c->x);
    free(c->work);
    free(c->vif);
    free(c->active);
    free(c->dropped);
    free(c->confounded);
    memset(c, 0, sizeof *c);
}

/* Lays the windows out as one sorted run of segments: per cycle, layers by
 * start time (execution order when the timeline is consistent), overlaps
 * clipped, holes between layers and between cycles given to the gap. */
static int build_segments(ctx *c, const wp_deconv_input *in, double shift, wp_error *err)
{
    size_t L = in->n_layers, nc = in->n_cycles;
    size_t *order = malloc((L ? L : 1) * sizeof *order);
    double *st = malloc((L ? L : 1) * sizeof *st);
    if (!order || !st) {
        free(order);
        free(st);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    int have = 0;
    double cursor = 0;
    for (size_t cy = 0; cy < nc; cy++) {
        for (size_t l = 0; l < L; l++) {
            size_t k = l * nc + cy;
            st[l] = in->start_us[k] + shift;
            size_t j = l;
            while (j > 0 && st[order[j - 1]] > st[l]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = l;
        }
        for (size_t j = 0; j < L; j++) {
            size_t l = order[j];
            size_t k = l * nc + cy;
            double s = st[l], e = in->end_us[k] + shift;
            if (!have) {
                have = 1;
                cursor = s;
                c->span_a = s;
            }
            if (s > cursor) {
                if (seg_push(&c->seg, cursor, s, (uint32_t)L) < 0)
                    goto oom;
            } else {
                s = cursor;
            }
            if (e > s) {
                if (seg_push(&c->seg, s, e, (uint32_t)l) < 0)
                    goto oom;
                cursor = e;
            }
        }
    }
    c->span_b = cursor;
    free(order);
    free(st);
    if (!have || c->seg.n == 0)
        return wp_fail(err, NULL, 0, "deconvolve: no layer windows");
    return 0;
oom:
    free(order);
    free(st);
    return wp_fail(err, NULL, 0, "out of memory");
}

static int ctx_init(ctx *c, const wp_deconv_input *in, wp_error *err)
{
    memset(c, 0, sizeof *c);
    if (in->n_samples == 0)
        return wp_fail(err, NULL, 0,
                       "deconvolve: no power samples for %zu unknowns (%zu layers and the power "
                       "between them): not identifiable",
                       in->n_layers + 1, in->n_layers);
    if (in->n_layers == 0 || in->n_cycles == 0)
        return wp_fail(err, NULL, 0, "deconvolve: no layers or no cycles");
    if (in->n_layers >= UINT32_MAX)
        return wp_fail(err, NULL, 0, "deconvolve: too many layers");
    c->L = in->n_layers;
    c->p = in->n_layers + 1;
    /* Work relative to the first sample: small numbers keep their
     * fractional microseconds. */
    int64_t t0 = in->samples[0].t_us;
    if (build_segments(c, in, (double)(in->origin_us - t0), err) < 0) {
        ctx_free(c);
        return -1;
    }
    size_t p = c->p;
    c->ns = in->n_samples;
    c->t = malloc(c->ns * sizeof *c->t);
    c->y = malloc(c->ns * sizeof *c->y);
    c->ata = calloc(p * p, sizeof *c->ata);
    c->lm = calloc(p * p, sizeof *c->lm);
    c->aty = calloc(p, sizeof *c->aty);
    c->colsum = calloc(p, sizeof *c->colsum);
    c->acc = calloc(p, sizeof *c->acc);
    c->touched = calloc(p, sizeof *c->touched);
    c->scale = calloc(p, sizeof *c->scale);
    c->x = calloc(p, sizeof *c->x);
    c->work = calloc(p, sizeof *c->work);
    c->vif = calloc(p, sizeof *c->vif);
    c->active = calloc(p, 1);
    c->dropped = calloc(p, 1);
    c->confounded = calloc(p, 1);
    if (!c->t || !c->y || !c->ata || !c->lm || !c->aty || !c->colsum || !c->acc || !c->touched || !c->scale || !c->x ||
        !c->work || !c->vif || !c->active || !c->dropped || !c->confounded) {
        ctx_free(c);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    /* Centering keeps sum y^2 and the solve well scaled: rows sum to 1, so
     * shifting y shifts every unknown by the same amount. */
    double sum = 0;
    for (size_t i = 0; i < c->ns; i++)
        sum += in->samples[i].power_uw;
    c->ycenter = sum / (double)c->ns;
    for (size_t i = 0; i < c->ns; i++) {
        c->t[i] = (double)(in->samples[i].t_us - t0);
        c->y[i] = in->samples[i].power_uw - c->ycenter;
    }
    return 0;
}

/* One pass over the first nlim samples. With x == NULL accumulates the normal
 * equations; otherwise returns the residual sum of squares of solution x. */
static double sweep(ctx *c, double W, double D, size_t nlim, const double *x)
{
    size_t p = c->p;
    const double *sa = c->seg.a, *sb = c->seg.b;
    const uint32_t *su = c->seg.u;
    size_t nseg = c->seg.n;
    double *acc = c->acc;
    uint32_t *touched = c->touched;
    double inv_w = 1.0 / W;
    double rss = 0;
    if (!x) {
        memset(c->ata, 0, p * p * sizeof *c->ata);
        memset(c->aty, 0, p * sizeof *c->aty);
        memset(c->colsum, 0, p * sizeof *c->colsum);
        c->yy = 0;
        c->used = 0;
    }
    size_t j = 0;
    for (size_t i = 0; i < nlim; i++) {
        double b = c->t[i] + D, a = b - W;
        if (a < c->span_a || b > c->span_b)
            continue;
        while (j < nseg && sb[j] <= a)
            j++;
        size_t nt = 0;
        for (size_t k = j; k < nseg && sa[k] < b; k++) {
            double lo = a > sa[k] ? a : sa[k];
            double hi = b < sb[k] ? b : sb[k];
            double ov = hi - lo;
            if (ov <= 0)
                continue;
            uint32_t u = su[k];
            if (acc[u] == 0)
                touched[nt++] = u;
            acc[u] += ov;
        }
        double yi = c->y[i];
        if (x) {
            double r = yi;
            for (size_t q = 0; q < nt; q++) {
                uint32_t u = touched[q];
                r -= acc[u] * inv_w * x[u];
                acc[u] = 0;
            }
            rss += r * r;
            continue;
        }
        /* Ascending unknowns (nearly so already: segments come in layer
         * order) let the upper triangle take each pair once, branch-free. */
        double wv[64];
        uint32_t *tu = touched;
        for (size_t q = 1; q < nt; q++) {
            uint32_t u = tu[q];
            size_t r = q;
            while (r > 0 && tu[r - 1] > u) {
                tu[r] = tu[r - 1];
                r--;
            }
            tu[r] = u;
        }
        int small = nt <= 64;
        for (size_t q = 0; q < nt; q++) {
            uint32_t u = tu[q];
            double w = acc[u] * inv_w;
            acc[u] = w;
            if (small)
                wv[q] = w;
            c->aty[u] += w * yi;
            c->colsum[u] += w;
        }
        for (size_t q = 0; q < nt; q++) {
            double *row = c->ata + (size_t)tu[q] * p;
            double w = acc[tu[q]];
            if (small)
                for (size_t r = q; r < nt; r++)
                    row[tu[r]] += w * wv[r];
            else
                for (size_t r = q; r < nt; r++)
                    row[tu[r]] += w * acc[tu[r]];
        }
        for (size_t q = 0; q < nt; q++)
            acc[touched[q]] = 0;
        c->yy += yi * yi;
        c->used++;
    }
    return rss;
}

static double ata_at(const ctx *c, size_t i, size_t j)
{
    return i <= j ? c->ata[i * c->p + j] : c->ata[j * c->p + i];
}

/* Cholesky of the unit-diagonal scaled normal matrix, dropping dependent
 * columns, then the basic solution into c->x (dropped unknowns 0). */
static void solve(ctx *c)
{
    size_t p = c->p;
    double *lm = c->lm;
    memset(lm, 0, p * p * sizeof *lm);
    memset(c->dropped, 0, p);
    memset(c->confounded, 0, p);
    c->rank = 0;
    for (size_t i = 0; i < p; i++) {
        double d = c->ata[i * p + i];
        c->active[i] = d > 0;
        c->scale[i] = d > 0 ? sqrt(d) : 0;
    }
    for (size_t jj = 0; jj < p; jj++) {
        if (!c->active[jj])
            continue;
        double v = 1.0;
        for (size_t k = 0; k < jj; k++)
            v -= lm[jj * p + k] * lm[jj * p + k];
        if (v < PIVOT_TOL) {
            /* Row jj of L holds L^-1 m_jj; back-substituting gives the
             * regression of column jj on the kept columns before it. */
            double *z = c->work;
            for (size_t k = jj; k-- > 0;) {
                if (!c->active[k] || c->dropped[k]) {
                    z[k] = 0;
                    continue;
                }
                double s = lm[jj * p + k];
                for (size_t i = k + 1; i < jj; i++)
                    s -= lm[i * p + k] * z[i];
                z[k] = s / lm[k * p + k];
            }
            for (size_t k = 0; k < jj; k++)
                if (c->active[k] && !c->dropped[k] && fabs(z[k]) > CONFOUND_TOL)
                    c->confounded[k] = 1;
            c->dropped[jj] = 1;
            for (size_t k = 0; k < jj; k++)
                lm[jj * p + k] = 0;
            continue;
        }
        double piv = sqrt(v);
        lm[jj * p + jj] = piv;
        c->rank++;
        for (size_t i = jj + 1; i < p; i++) {
            if (!c->active[i])
                continue;
            double s = ata_at(c, i, jj) / (c->scale[i] * c->scale[jj]);
            for (size_t k = 0; k < jj; k++)
                s -= lm[i * p + k] * lm[jj * p + k];
            lm[i * p + jj] = s / piv;
        }
    }
    /* L z = b, L^T xs = z over the kept unknowns. */
    double *z = c->work;
    for (size_t i = 0; i < p; i++) {
        if (!c->active[i] || c->dropped[i]) {
            z[i] = 0;
            continue;
        }
        double s = c->aty[i] / c->scale[i];
        for (size_t k = 0; k < i; k++)
            s -= lm[i * p + k] * z[k];
        z[i] = s / lm[i * p + i];
    }
    for (size_t i = p; i-- > 0;) {
        if (!c->active[i] || c->dropped[i]) {
            c->x[i] = 0;
            continue;
        }
        double s = z[i];
        for (size_t k = i + 1; k < p; k++)
            s -= lm[k * p + i] * c->x[k];
        c->x[i] = s / lm[i * p + i];
    }
    for (size_t i = 0; i < p; i++)
        if (c->active[i] && !c->dropped[i])
            c->x[i] /= c->scale[i];
}

/* diag of the scaled (A^T A)^-1 over the kept unknowns: column i of L^-1. */
static void inverse_diag(ctx *c)
{
    size_t p = c->p;
    double *v = c->work;
    for (size_t i = 0; i < p; i++) {
        c->vif[i] = NAN;
        if (!c->active[i] || c->dropped[i])
            continue;
        double sum = 0;
        for (size_t k = 0; k < p; k++)
            v[k] = 0;
        for (size_t k = i; k < p; k++) {
            if (!c->active[k] || c->dropped[k])
                continue;
            double s = k == i ? 1.0 : 0.0;
            for (size_t m = i; m < k; m++)
                s -= c->lm[k * p + m] * v[m];
            v[k] = s / c->lm[k * p + k];
        }
        for (size_t k = i; k < p; k++)
            sum += v[k] * v[k];
        c->vif[i] = sum;
    }
}

typedef struct eval_out {
    double score; /* residual variance */
    int ok;
} eval_out;

static eval_out evaluate(ctx *c, double W, double D, size_t nlim)
{
    eval_out o = {INFINITY, 0};
    if (!(W > 0))
        return o;
    sweep(c, W, D, nlim, NULL);
    if (c->used > c->most_used)
        c->most_used = c->used;
    if (c->used <= c->p)
        return o;
    solve(c);
    double rss = sweep(c, W, D, nlim, c->x);
    o.score = rss / (double)(c->used - c->rank);
    o.ok = 1;
    return o;
}

/* Pattern search from (*w, *d): halve the step until it is below `stop`,
 * moving to the best neighbour while it improves. */
static double refine(ctx *c, int aw, int ad, double step, double stop, size_t nlim, double *w, double *d, int *evals)
{
    eval_out o = evaluate(c, *w, *d, nlim);
    (*evals)++;
    double best = o.ok ? o.score : INFINITY;
    while (step > stop) {
        step /= 2;
        for (int moves = 0; moves < 8; moves++) {
            double cw = *w, cd = *d;
            int moved = 0;
            for (int i = -1; i <= 1; i++)
                for (int k = -1; k <= 1; k++) {
                    if ((i && !aw) || (k && !ad) || (!i && !k))
                        continue;
                    double W = cw + i * step, D = cd + k * step;
                    eval_out e = evaluate(c, W, D, nlim);
                    (*evals)++;
                    if (e.ok && e.score < best) {
                        best = e.score;
                        *w = W;
                        *d = D;
                        moved = 1;
                    }
                }
            if (!moved)
                break;
        }
    }
    return best;
}

#define N_CANDIDATES 3 /* valleys refined by default (options.valleys) */
#define N_VALLEYS_MAX (WP_DECONV_MAX_RIVALS + 1)

/* The residual has a narrow valley around the true (window, offset): its
 * bottom is about as wide as the shorter layers, tens of microseconds, inside
 * a basin a few hundred microseconds wide (the width of the longer layers).
 * So, coarse to fine: a grid of COARSE_STEP over the whole range on a small
 * subset of the samples finds the best few basins, a SEARCH_STEP grid around
 * each finds the best few valleys, a pattern search refines each on more
 * samples to a few microseconds, and the best one to 0.1 us on more still (a
 * tenth of a microsecond still matters to a 10 us layer). The final solve
 * uses all. */
#define COARSE_STEP 150.0
#define SEARCH_STEP 50.0

typedef struct cand_set {
    double s[N_VALLEYS_MAX + 1], w[N_VALLEYS_MAX + 1], d[N_VALLEYS_MAX + 1];
    int n, cap;
    double sep; /* at most one candidate per neighbourhood this wide */
} cand_set;

static void cand_offer(cand_set *cs, double score, double W, double D)
{
    int near = -1;
    for (int q = 0; q < cs->n; q++)
        if (fabs(cs->w[q] - W) <= cs->sep && fabs(cs->d[q] - D) <= cs->sep)
            near = q;
    if (near >= 0) {
        if (score < cs->s[near]) {
            cs->s[near] = score;
            cs->w[near] = W;
            cs->d[near] = D;
        }
        return;
    }
    int slot = cs->n < cs->cap ? cs->n++ : -1;
    if (slot < 0) {
        int worst = 0;
        for (int q = 1; q < cs->n; q++)
            if (cs->s[q] > cs->s[worst])
                worst = q;
        if (score >= cs->s[worst])
            return;
        slot = worst;
    }
    cs->s[slot] = score;
    cs->w[slot] = W;
    cs->d[slot] = D;
}

/* Evaluates the grid W in [wlo, whi], D in [dlo, dhi] with `step` (a fixed
 * dimension: its one value) and offers every point to cs. */
static void grid(ctx *c, const wp_deconv_options *opt, double wlo, double whi, double dlo, double dhi, double step,
                 size_t nlim, cand_set *cs, int *evals)
{
    int aw = opt->window_auto, ad = opt->offset_auto;
    int nw = aw ? (int)floor((whi - wlo) / step + 1e-9) + 1 : 1;
    int nd = ad ? (int)floor((dhi - dlo) / step + 1e-9) + 1 : 1;
    for (int i = 0; i < nw; i++)
        for (int k = 0; k < nd; k++) {
            double W = aw ? wlo + i * step : opt->window_us;
            double D = ad ? dlo + k * step : opt->offset_us;
            eval_out o = evaluate(c, W, D, nlim);
            (*evals)++;
            if (o.ok)
                cand_offer(cs, o.score, W, D);
        }
}

/* Scanned valleys refined: those within this factor of the best's score. */
#define SCAN_KEEP 2.0

/* Two refined points closer than this (us, in both window and offset) lie
 * in the same valley. */
#define SAME_VALLEY_US 10.0

static void search(ctx *c, const wp_deconv_options *opt, double *Wbest, double *Dbest, int *evals,
                   wp_deconv_result *res)
{
    double wlo = opt->window_min_us, whi = opt->window_max_us;
    double dlo = opt->offset_min_us, dhi = opt->offset_max_us;
    if (!(whi > wlo && wlo > 0)) {
        wlo = WP_DECONV_WINDOW_MIN_US;
        whi = WP_DECONV_WINDOW_MAX_US;
    }
    if (!(dhi > dlo)) {
        dlo = WP_DECONV_OFFSET_MIN_US;
        dhi = WP_DECONV_OFFSET_MAX_US;
    }
    int aw = opt->window_auto, ad = opt->offset_auto;
    /* sample counts for the grids, the candidates' refinement, the final one */
    size_t nsub = 1000 > 16 * c->p ? 1000 : 16 * c->p;
    size_t nmid = 10000 > 150 * c->p ? 10000 : 150 * c->p;
    size_t nfin = 60000 > 1000 * c->p ? 60000 : 1000 * c->p;
    if (nsub > c->ns)
        nsub = c->ns;
    if (nmid > c->ns)
        nmid = c->ns;
    if (nfin > c->ns)
        nfin = c->ns;
    int valleys = opt->valleys > 0 ? (opt->valleys < N_VALLEYS_MAX ? opt->valleys : N_VALLEYS_MAX) : N_CANDIDATES;
    cand_set coarse = {.cap = valleys + 1, .sep = 2 * COARSE_STEP};
    cand_set fine = {.cap = valleys, .sep = 2 * SEARCH_STEP};
    if (opt->offset_scan_us > 0 && !aw && ad) {
        /* one dimension: every valley at the scan's step, the best kept */
        fine.sep = 3 * opt->offset_scan_us;
        grid(c, opt, wlo, whi, dlo, dhi, opt->offset_scan_us, nsub, &fine, evals);
        coarse.n = 0;
    } else {
        grid(c, opt, wlo, whi, dlo, dhi, COARSE_STEP, nsub, &coarse, evals);
    }
    for (int q = 0; q < coarse.n; q++) {
        /* the fine grid around each basin, kept inside the range */
        double a0 = fmax(wlo, coarse.w[q] - COARSE_STEP), a1 = fmin(whi, coarse.w[q] + COARSE_STEP);
        double b0 = fmax(dlo, coarse.d[q] - COARSE_STEP), b1 = fmin(dhi, coarse.d[q] + COARSE_STEP);
        grid(c, opt, a0, a1, b0, b1, SEARCH_STEP, nsub, &fine, evals);
    }
    double best = INFINITY, rw[N_VALLEYS_MAX], rd[N_VALLEYS_MAX], rs[N_VALLEYS_MAX];
    int qbest = -1;
    *Wbest = opt->window_us;
    *Dbest = opt->offset_us;
    double scan_best = INFINITY;
    for (int q = 0; q < fine.n; q++)
        scan_best = fmin(scan_best, fine.s[q]);
    for (int q = 0; q < fine.n; q++) {
        double W = fine.w[q], D = fine.d[q];
        rs[q] = INFINITY;
        /* a scanned valley twice as bad as the best is no rival: not refined */
        rw[q] = W;
        rd[q] = D;
        if (opt->offset_scan_us > 0 && fine.s[q] > SCAN_KEEP * scan_best)
            continue;
        double s = refine(c, aw, ad, opt->offset_scan_us > 0 && !aw ? opt->offset_scan_us : SEARCH_STEP, 4.0, nmid, &W,
                          &D, evals);
        rw[q] = W;
        rd[q] = D;
        rs[q] = s;
        if (s < best) {
            best = s;
            qbest = q;
            *Wbest = W;
            *Dbest = D;
        }
    }
    /* the other valleys, once each, closest fit first */
    res->n_rivals = 0;
    for (int q = 0; q < fine.n && qbest >= 0 && best > 0; q++) {
        if (!isfinite(rs[q]))
            continue;
        int dup = fabs(rw[q] - rw[qbest]) <= SAME_VALLEY_US && fabs(rd[q] - rd[qbest]) <= SAME_VALLEY_US;
        for (size_t k = 0; k < res->n_rivals && !dup; k++)
            dup = fabs(rw[q] - res->rival_window_us[k]) <= SAME_VALLEY_US &&
                  fabs(rd[q] - res->rival_offset_us[k]) <= SAME_VALLEY_US;
        if (dup || res->n_rivals == WP_DECONV_MAX_RIVALS)
            continue;
        size_t k = res->n_rivals++;
        while (k > 0 && res->rival_ratio[k - 1] > rs[q] / best) {
            res->rival_window_us[k] = res->rival_window_us[k - 1];
            res->rival_offset_us[k] = res->rival_offset_us[k - 1];
            res->rival_ratio[k] = res->rival_ratio[k - 1];
            k--;
        }
        res->rival_window_us[k] = rw[q];
        res->rival_offset_us[k] = rd[q];
        res->rival_ratio[k] = rs[q] / best;
    }
    if (fine.n > 0)
        refine(c, aw, ad, 4.0, 0.1, nfin, Wbest, Dbest, evals);
}

void wp_deconv_options_init(wp_deconv_options *o)
{
    memset(o, 0, sizeof *o);
}

int wp_deconvolve(const wp_deconv_input *in, const wp_deconv_options *opt, wp_deconv_result *res, wp_error *err)
{
    memset(res, 0, sizeof *res);
    if (!opt->window_auto && !(opt->window_us > 0))
        return wp_fail(err, NULL, 0, "deconvolve: sensor window must be positive");
    ctx c;
    if (ctx_init(&c, in, err) < 0) {
        if (in->n_samples == 0 && in->n_layers && in->n_cycles) {
            res->n_unknowns = in->n_layers + 1;
            return WP_DECONV_TOO_FEW;
        }
        return -1;
    }
    double W = opt->window_us, D = opt->offset_us;
    int evals = 0;
    if (opt->window_auto || opt->offset_auto)
        search(&c, opt, &W, &D, &evals, res);
    eval_out o = evaluate(&c, W, D, c.ns);
    evals++;
    if (!o.ok) {
        /* Not identifiable: say how far from it, with the counts. */
        size_t used = c.most_used > c.used ? c.most_used : c.used;
        ctx_free(&c);
        res->n_unknowns = in->n_layers + 1;
        res->n_used = used;
        res->window_us = W;
        res->offset_us = D;
        wp_fail(err, NULL, 0,
                "deconvolve: %zu power samples%s have their sensor window inside the profiled span, for %zu "
                "unknowns (%zu layers and the power between them): not identifiable",
                used, opt->window_auto || opt->offset_auto ? " (the most of any window and offset tried)" : "",
                in->n_layers + 1, in->n_layers);
        return WP_DECONV_TOO_FEW;
    }
    inverse_diag(&c);
    size_t p = c.p;
    res->n_unknowns = p;
    res->power_uw = malloc(p * sizeof *res->power_uw);
    res->stderr_uw = malloc(p * sizeof *res->stderr_uw);
    res->weight = malloc(p * sizeof *res->weight);
    res->vif = malloc(p * sizeof *res->vif);
    res->status = malloc(p * sizeof *res->status);
    if (!res->power_uw || !res->stderr_uw || !res->weight || !res->vif || !res->status) {
        wp_deconv_result_free(res);
        ctx_free(&c);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    double limit = opt->vif_limit > 0 ? opt->vif_limit : 1e8;
    double rss = 0;
    double dof = (double)(c.used - c.rank);
    rss = o.score * dof;
    double sigma = sqrt(o.score);
    for (size_t i = 0; i < p; i++) {
        wp_deconv_status st = WP_DECONV_OK;
        if (!c.active[i])
            st = WP_DECONV_UNCOVERED;
        else if (c.dropped[i] || c.confounded[i])
            st = WP_DECONV_RANK_DEFICIENT;
        else if (!(c.vif[i] <= limit))
            st = WP_DECONV_ILL_CONDITIONED;
        res->status[i] = st;
        res->weight[i] = c.colsum[i];
        res->vif[i] = c.vif[i];
        if (st == WP_DECONV_OK) {
            res->power_uw[i] = c.x[i] + c.ycenter;
            res->stderr_uw[i] = sigma * sqrt(c.vif[i]) / c.scale[i];
        } else {
            res->power_uw[i] = NAN;
            res->stderr_uw[i] = NAN;
        }
    }
    res->window_us = W;
    res->offset_us = D;
    res->n_used = c.used;
    res->rank = c.rank;
    res->rms_residual_uw = sqrt(rss / (double)c.used);
    res->evaluations = evals;
    ctx_free(&c);
    return 0;
}

void wp_deconv_result_free(wp_deconv_result *res)
{
    if (!res)
        return;
    free(res->power_uw);
    free(res->stderr_uw);
    free(res->weight);
    free(res->vif);
    free(res->status);
    memset(res, 0, sizeof *res);
}

/* An `uncertain` estimate keeps its number: it is the best there is, and its
 * standard error beside it says how good. */
static int has_value(wp_deconv_status st)
{
    return st == WP_DECONV_OK || st == WP_DECONV_UNCERTAIN;
}

static const char *const CSV_COLUMNS[] = {"layer_name",
                                          "layer_type",
                                          "power_including_idle_micro_watt",
                                          "power_excluding_idle_micro_watt",
                                          "standard_error_micro_watt",
                                          "latency_mean_ms",
                                          "latency_std_ms",
                                          "cycles",
                                          "effective_sample_weight",
                                          "status"};
#define N_CSV_COLUMNS (sizeof CSV_COLUMNS / sizeof *CSV_COLUMNS)

static void write_csv_rows(FILE *fp, const wp_deconv_result *res, size_t n_layers, const char *const *names,
                           const char *const *types, double idle_uw, const double *latency_ms, size_t n_cycles)
{
    for (size_t i = 0; i < N_CSV_COLUMNS; i++) {
        if (i)
            fputc(',', fp);
        fputs(CSV_COLUMNS[i], fp);
    }
    fputc('\n', fp);
    for (size_t l = 0; l < n_layers; l++) {
        const double *lat = latency_ms + l * n_cycles;
        double mean = 0, m2 = 0;
        for (size_t c = 0; c < n_cycles; c++) {
            double d = lat[c] - mean;
            mean += d / (double)(c + 1);
            m2 += d * (lat[c] - mean);
        }
        double sd = n_cycles > 1 ? sqrt(m2 / (double)(n_cycles - 1)) : NAN;
        if (n_cycles == 0)
            mean = NAN;
        int ok = has_value(res->status[l]);
        wp_csv_put_field(fp, names[l]);
        fputc(',', fp);
        wp_csv_put_field(fp, types && types[l] ? types[l] : "");
        fputc(',', fp);
        wp_csv_put_double(fp, ok ? res->power_uw[l] : NAN);
        fputc(',', fp);
        wp_csv_put_double(fp, ok ? res->power_uw[l] - idle_uw : NAN);
        fputc(',', fp);
        wp_csv_put_double(fp, ok ? res->stderr_uw[l] : NAN);
        fputc(',', fp);
        wp_csv_put_double(fp, mean);
        fputc(',', fp);
        wp_csv_put_double(fp, sd);
        fprintf(fp, ",%zu,", n_cycles);
        wp_csv_put_double(fp, res->weight[l]);
        fputc(',', fp);
        fputs(wp_deconv_status_name(res->status[l]), fp);
        fputc('\n', fp);
    }
}

int wp_deconv_write_csv(const char *path, const wp_deconv_result *res, size_t n_layers, const char *const *names,
                        const char *const *types, double idle_uw, const double *latency_ms, size_t n_cycles,
                        wp_error *err)
{
    if (res->n_unknowns != n_layers + 1)
        return wp_fail(err, path, 0, "deconvolve result has %zu unknowns for %zu layers", res->n_unknowns, n_layers);
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    write_csv_rows(wp_atomic_stream(af), res, n_layers, names, types, idle_uw, latency_ms, n_cycles);
    return wp_atomic_commit(af, err);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Noise of the samples whose sensor window lies wholly outside the profiled
 * span [a, b] (absolute us): rms of successive differences within each idle
 * stretch over sqrt 2, the largest 5 % left out (a step as the run starts
 * or ends is not noise) and scaled back to a Gaussian's sigma; repeated
 * readings skipped. NaN when under 10 differences. */
static double idle_noise(const wp_powerlog *log, double a, double b, double W, double D)
{
    double *d2 = malloc((log->n ? log->n : 1) * sizeof *d2);
    if (!d2)
        return NAN;
    size_t n = 0;
    int prev_idle = 0;
    for (size_t i = 0; i < log->n; i++) {
        double end = (double)log->samples[i].t_us + D;
        int idle = end < a || end - W > b;
        if (idle && prev_idle && (end < a) == ((double)log->samples[i - 1].t_us + D < a)) {
            double d = log->samples[i].power_uw - log->samples[i - 1].power_uw;
            /* the same held conversion read twice is not a new noise draw */
            if (d != 0)
                d2[n++] = d * d;
        }
        prev_idle = idle;
    }
    double noise = NAN;
    if (n >= 10) {
        qsort(d2, n, sizeof *d2, cmp_dbl);
        size_t keep = n - n / 20;
        double sum = 0;
        for (size_t i = 0; i < keep; i++)
            sum += d2[i];
        /* for Gaussian noise the kept 95 % of d^2 / (2 sigma^2), a chi-square
         * with one degree of freedom, average P(chi2_3 < 3.841) / 0.95 */
        noise = sqrt(sum / (double)keep / 2.0 / (0.7208 / 0.95));
    }
    free(d2);
    return noise;
}

/* The profiled span of the windows, absolute us. */
static void window_span(const wp_windows *win, double *a, double *b)
{
    size_t n = win->n_layers * win->n_cycles;
    *a = INFINITY;
    *b = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (win->start_us[i] < *a)
            *a = win->start_us[i];
        if (win->end_us[i] > *b)
            *b = win->end_us[i];
    }
    *a += (double)win->origin_us;
    *b += (double)win->origin_us;
}

wp_atomic_file *wp_deconv_map(const wp_powerlog *log, const wp_windows *win, const wp_latency *lat,
                              const wp_engine *eng, double idle_uw, const wp_deconv_options *opt, double *power,
                              const char *log_path, const char *est_path, char *note, size_t note_size,
                              wp_deconv_summary *summary, wp_error *err)
{
    size_t L = win->n_layers, nc = win->n_cycles;
    wp_deconv_input in = {L, nc, win->origin_us, win->start_us, win->end_us, log->samples, log->n};
    wp_deconv_result res;
    if (summary)
        memset(summary, 0, sizeof *summary);
    int rc = wp_deconvolve(&in, opt, &res, err);
    if (rc == WP_DECONV_TOO_FEW) {
        /* The counts, and what would make it identifiable: about ten samples
         * per unknown, at this log's rate. */
        wp_error inner = *err;
        double a, b;
        window_span(win, &a, &b);
        double run_s = b > a ? (b - a) / 1e6 : 0;
        double log_s = log->n > 1 ? (double)(log->samples[log->n - 1].t_us - log->samples[0].t_us) / 1e6 : 0;
        double rate = log_s > 0 ? (double)(log->n - 1) / log_s : 0;
        char hint[512];
        if (rate > 0 && run_s > 0 && nc > 0) {
            double need_s = 10.0 * (double)(L + 1) / rate;
            snprintf(hint, sizeof hint,
                     "; the profiled run lasts %.3g s (%zu cycles) and the log has %.0f samples/s: profile at least "
                     "%.3g s (about %.0f cycles) or log faster",
                     run_s, nc, rate, need_s, ceil(need_s / run_s * (double)nc));
        } else {
            snprintf(hint, sizeof hint, "; the log has %zu samples%s: check that it covers the profiled run", log->n,
                     log->n ? "" : " (empty)");
        }
        wp_fail(err, log_path, 0, "%s%s", inner.msg, hint);
        if (summary) {
            summary->not_identifiable = 1;
            summary->n_unknowns = res.n_unknowns;
            summary->n_used = res.n_used;
        }
        return NULL;
    }
    if (rc != 0) {
        /* name the file the problem is in */
        wp_error inner = *err;
        wp_fail(err, log_path, 0, "%s", inner.msg);
        return NULL;
    }
    for (size_t l = 0; l < L; l++)
        if (res.status[l] == WP_DECONV_OK &&
            ((opt->imprecise && opt->imprecise[l]) ||
             (opt->max_rel_stderr > 0 &&
              !(res.stderr_uw[l] <= opt->max_rel_stderr * fabs(res.power_uw[l] - idle_uw))))) {
            res.status[l] = WP_DECONV_IMPRECISE;
            res.power_uw[l] = res.stderr_uw[l] = NAN;
        }
    const char **types = calloc(L ? L : 1, sizeof *types);
    if (!types) {
        wp_deconv_result_free(&res);
        wp_fail(err, est_path, 0, "out of memory");
        return NULL;
    }
    size_t n_uncertain = 0;
    for (size_t l = 0; l < L; l++) {
        if (res.status[l] == WP_DECONV_OK && opt->max_relative_se > 0 &&
            !(res.stderr_uw[l] <= opt->max_relative_se * fabs(res.power_uw[l] - idle_uw))) {
            res.status[l] = WP_DECONV_UNCERTAIN;
            n_uncertain++;
        }
    }
    for (size_t l = 0; l < L; l++) {
        const wp_engine_layer *el = eng ? wp_engine_find(eng, lat->names[l]) : NULL;
        types[l] = el && el->type ? el->type : "";
        double v = has_value(res.status[l]) ? res.power_uw[l] : NAN;
        for (size_t c = 0; c < nc; c++)
            power[l * nc + c] = v;
    }
    double a, b;
    window_span(win, &a, &b);
    double noise = idle_noise(log, a, b, res.window_us, res.offset_us);
    if (summary) {
        summary->window_us = res.window_us;
        summary->offset_us = res.offset_us;
        summary->rms_residual_uw = res.rms_residual_uw;
        summary->gap_power_uw = res.status[L] == WP_DECONV_OK ? res.power_uw[L] : NAN;
        summary->n_used = res.n_used;
        summary->n_unknowns = L + 1;
        summary->n_flagged = 0;
        for (size_t l = 0; l < L; l++)
            summary->n_flagged += !has_value(res.status[l]);
        summary->n_uncertain = n_uncertain;
        summary->evaluations = res.evaluations;
        summary->idle_noise_uw = noise;
        char *w = summary->warning;
        size_t ws = sizeof summary->warning;
        int n = 0;
        if (noise > 0 && res.rms_residual_uw > WP_DECONV_RESIDUAL_NOISE_LIMIT * noise)
            n = snprintf(
                w, ws,
                "warning: deconvolve does not fit: rms residual %.4g uW is %.3gx the %.4g uW noise of the log's "
                "idle stretches; likely a sensor lag that varies from sample to sample (a held reading "
                "read at a random time: log at the sensor's own update rate), layer power that changes "
                "between cycles (clocks or temperature moving), or a clock step during the run; treat "
                "these estimates with care",
                res.rms_residual_uw, res.rms_residual_uw / noise, noise);
        if (n_uncertain && n >= 0 && (size_t)n < ws) {
            n += snprintf(w + n, ws - (size_t)n,
                          "%s%zu of %zu estimates have a standard error above %.3g%% of their "
                          "power above idle (status uncertain):",
                          n ? "; " : "warning: ", n_uncertain, L, opt->max_relative_se * 100);
            for (size_t l = 0; l < L && n > 0 && (size_t)n < ws; l++)
                if (res.status[l] == WP_DECONV_UNCERTAIN)
                    n += snprintf(w + n, ws - (size_t)n, " %s (%.2g%%)", lat->names[l],
                                  100 * res.stderr_uw[l] / fabs(res.power_uw[l] - idle_uw));
            if (n > 0 && (size_t)n < ws)
                snprintf(w + n, ws - (size_t)n, "; more cycles or a faster log shrink them");
        }
    }
    if (note && note_size) {
        char off[64] = "";
        if (opt->offset_auto || res.offset_us != 0)
            snprintf(off, sizeof off, ", report offset %.4g us%s", res.offset_us, opt->offset_auto ? " (auto)" : "");
        int n =
            snprintf(note, note_size, "deconvolve: sensor window %.4g us%s%s, %zu samples used, rms residual %.4g uW",
                     res.window_us, opt->window_auto ? " (auto)" : "", off, res.n_used, res.rms_residual_uw);
        if (noise > 0 && n > 0 && (size_t)n < note_size)
            n += snprintf(note + n, note_size - (size_t)n, " (idle noise %.4g uW)", noise);
        const char *sep = "; no estimate for:";
        for (size_t l = 0; l < L && n > 0 && (size_t)n < note_size; l++)
            if (!has_value(res.status[l])) {
                n += snprintf(note + n, note_size - (size_t)n, "%s %s (%s)", sep, lat->names[l],
                              wp_deconv_status_name(res.status[l]));
                sep = ",";
            }
    }
    wp_atomic_file *af = wp_atomic_open(est_path, err);
    if (af)
        write_csv_rows(wp_atomic_stream(af), &res, L, (const char *const *)lat->names, types, idle_uw, lat->latency_ms,
                       nc);
    free(types);
    wp_deconv_result_free(&res);
    return af;
}

int wp_deconv_attribute(const wp_powerlog *log, const wp_windows *win, double window_us, double *out, wp_error *err)
{
    size_t L = win->n_layers, nc = win->n_cycles;
    wp_deconv_input in = {L, nc, win->origin_us, win->start_us, win->end_us, log->samples, log->n};
    wp_deconv_options opt;
    wp_deconv_options_init(&opt);
    opt.window_auto = opt.offset_auto = !(window_us > 0);
    opt.window_us = window_us;
    wp_deconv_result res;
    if (wp_deconvolve(&in, &opt, &res, err) != 0)
        return -1;
    for (size_t l = 0; l < L; l++)
        for (size_t c = 0; c < nc; c++)
            out[l * nc + c] = res.status[l] == WP_DECONV_OK ? res.power_uw[l] : NAN;
    wp_deconv_result_free(&res);
    return 0;
}

void wp_deconv_estimates_free(wp_deconv_estimate *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++)
        free(rows[i].name);
    free(rows);
}

int wp_deconv_read_csv(const char *path, wp_deconv_estimate **rows_out, size_t *n_out, wp_error *err)
{
    *rows_out = NULL;
    *n_out = 0;
    wp_csv_reader r;
    if (wp_csv_open(&r, path, err) < 0)
        return -1;
    int col[N_CSV_COLUMNS];
    for (size_t i = 0; i < N_CSV_COLUMNS; i++)
        if ((col[i] = wp_csv_require(&r, CSV_COLUMNS[i], err)) < 0) {
            wp_csv_free(&r);
            return -1;
        }
    wp_deconv_estimate *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = wp_csv_next(&r, err)) == 1) {
        if (wp_grow(&rows, &cap, n, 64, sizeof *rows) != 0) {
            rc = wp_fail(err, path, r.line, "out of memory");
            break;
        }
        wp_deconv_estimate *e = &rows[n];
        memset(e, 0, sizeof *e);
        double cycles;
        const char *status = r.fields[col[9]];
        e->ok = strcmp(status, "ok") == 0 || strcmp(status, "uncertain") == 0;
        if (wp_csv_double(&r, col[3], !e->ok, &e->power_excl_uw, err) < 0 ||
            wp_csv_double(&r, col[4], !e->ok, &e->stderr_uw, err) < 0 ||
            wp_csv_double(&r, col[5], 1, &e->latency_mean_ms, err) < 0 ||
            wp_csv_double(&r, col[6], 1, &e->latency_std_ms, err) < 0 ||
            wp_csv_double(&r, col[7], 0, &cycles, err) < 0 || wp_csv_double(&r, col[8], 0, &e->weight, err) < 0) {
            rc = -1;
            break;
        }
        if (!e->ok) {
            e->power_excl_uw = NAN;
            e->stderr_uw = NAN;
        }
        /* A count, and one a long holds (the cast of 3e57 is undefined). */
        if (!(cycles >= 0 && cycles <= 1e15 && cycles == floor(cycles))) {
            rc = wp_fail(err, path, r.line, "cycles: '%s' is not a count of cycles", r.fields[col[7]]);
            break;
        }
        e->cycles = (long)cycles;
        e->name = strdup(r.fields[col[0]]);
        if (!e->name) {
            rc = wp_fail(err, path, r.line, "out of memory");
            break;
        }
        n++;
    }
    wp_csv_free(&r);
    if (rc < 0) {
        wp_deconv_estimates_free(rows, n);
        return -1;
    }
    *rows_out = rows;
    *n_out = n;
    return 0;
}

const wp_deconv_estimate *wp_deconv_find(const wp_deconv_estimate *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}
