/* Design matrices, scalers and Lasso (coordinate descent, LassoCV).
 *
 * Parity with scikit-learn 1.2 is the contract: every step mirrors what
 * sklearn.linear_model.LassoCV does with precompute="auto", so the two
 * agree on the chosen alpha and on predictions to the solver tolerance.
 * Where we are faster it is by sharing work, never by changing the
 * iteration sequence: per-fold Gram matrices are assembled from per-block
 * partial sums (one pass over the data instead of one per fold), and the
 * held-out MSE of each alpha is a quadratic form on the block's Gram. */
#include "wattprof/regression.h"
#include "core/thread_internal.h"

#include <float.h>
#include <pthread.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sizes for malloc/calloc that never ask for zero bytes. */
#define NZ(x) ((x) > 0 ? (x) : 1)

/* ---- design matrix ---------------------------------------------------- */

size_t wp_poly_count(int n_in, int degree)
{
    /* C(n_in + degree, degree) */
    size_t c = 1;
    for (int k = 1; k <= degree; k++)
        c = c * (size_t)(n_in + k) / (size_t)k;
    return c;
}

size_t wp_design_width(const wp_design *d)
{
    return wp_poly_count(d->n_in, d->degree) + (size_t)d->n_special;
}

/* Walks combinations with replacement of each degree in lexicographic order
 * (itertools.combinations_with_replacement, which PolynomialFeatures
 * follows). */
static int next_combo(int *c, int deg, int n)
{
    int i = deg - 1;
    while (i >= 0 && c[i] == n - 1)
        i--;
    if (i < 0)
        return 0;
    c[i]++;
    for (int j = i + 1; j < deg; j++)
        c[j] = c[i];
    return 1;
}

int wp_poly_terms(int n_in, int degree, int **combos, int **degs, wp_error *err)
{
    size_t np_ = wp_poly_count(n_in, degree);
    int *cb = calloc(np_ * (size_t)(degree > 0 ? degree : 1), sizeof *cb);
    int *dg = calloc(np_, sizeof *dg);
    if (!cb || !dg) {
        free(cb);
        free(dg);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    size_t col = 0;
    dg[col++] = 0; /* bias */
    for (int d = 1; d <= degree; d++) {
        int c[64] = {0};
        do {
            for (int j = 0; j < d; j++)
                cb[col * (size_t)degree + (size_t)j] = c[j];
            dg[col++] = d;
        } while (next_combo(c, d, n_in));
    }
    *combos = cb;
    *degs = dg;
    return 0;
}

void wp_design_row(const wp_design *d, const double *raw, double *out)
{
    double xs[64];
    int n = d->n_in;
    for (int j = 0; j < n; j++)
        xs[j] = d->log1p ? log1p(raw[j]) : raw[j];
    size_t col = 0;
    out[col++] = 1.0;
    /* PolynomialFeatures builds degree k from degree k-1 blocks: term
     * (i, j, ...) = term(j, ...) * x_i. Multiplying in the same order keeps
     * the rounding identical. block_start[i] is where the degree-(k-1)
     * terms whose first index is i begin. */
    size_t start[64], end_prev;
    for (int j = 0; j < n; j++) {
        start[j] = col;
        out[col++] = xs[j];
    }
    end_prev = col;
    for (int k = 2; k <= d->degree; k++) {
        size_t new_start[64];
        for (int i = 0; i < n; i++) {
            new_start[i] = col;
            for (size_t c = start[i]; c < end_prev; c++)
                out[col++] = out[c] * xs[i];
        }
        memcpy(start, new_start, sizeof start);
        end_prev = col;
    }
    for (int s = 0; s < d->n_special; s++) {
        const wp_special_term *t = &d->special[s];
        double v = raw[t->idx[0]];
        for (int m = 1; m < t->n; m++)
            v *= raw[t->idx[m]];
        out[col++] = v;
    }
}

/* ---- scalers ----------------------------------------------------------- */

static const char *const scaler_names[] = {"none", "standard", "robust", "minmax"};

const char *wp_scaler_name(wp_scaler_kind k)
{
    return (unsigned)k < 4 ? scaler_names[k] : "?";
}

int wp_scaler_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, scaler_names[i]) == 0)
            return i;
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile(..., method="linear") of sorted v: virtual index
 * q (n - 1), and numpy's _lerp, which interpolates from the upper end when
 * the fraction is >= 0.5. */
static double percentile_sorted(const double *v, size_t n, double q)
{
    double vi = q * (double)(n - 1);
    double lo = floor(vi);
    size_t i = (size_t)lo, j = i + 1 < n ? i + 1 : n - 1;
    double t = vi - lo, a = v[i], b = v[j], diff = b - a;
    return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

int wp_scaler_fit(wp_scaler *s, wp_scaler_kind kind, const double *X, size_t n, size_t p, wp_error *err)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->p = p;
    s->a = calloc(p ? p : 1, sizeof *s->a);
    s->b = calloc(p ? p : 1, sizeof *s->b);
    if (!s->a || !s->b) {
        wp_scaler_free(s);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    if (n == 0 && kind != WP_SCALER_NONE) {
        wp_scaler_free(s);
        return wp_fail(err, NULL, 0, "cannot fit a scaler on zero rows");
    }
    const double tiny = 10.0 * DBL_EPSILON;
    switch (kind) {
    case WP_SCALER_NONE:
        for (size_t j = 0; j < p; j++)
            s->b[j] = 1.0;
        break;
    case WP_SCALER_STANDARD: {
        /* _incremental_mean_and_var from empty: corrected two-pass variance. */
        double *sum = s->a;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < p; j++)
                sum[j] += X[i * p + j];
        double *corr = calloc(p, sizeof *corr), *sq = calloc(p, sizeof *sq);
        if (!corr || !sq) {
            free(corr);
            free(sq);
            wp_scaler_free(s);
            return wp_fail(err, NULL, 0, "out of memory");
        }
        double dn = (double)n;
        for (size_t j = 0; j < p; j++)
            sum[j] = sum[j] / dn;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < p; j++) {
                double t = X[i * p + j] - sum[j];
                corr[j] += t;
                sq[j] += t * t;
            }
        for (size_t j = 0; j < p; j++) {
            double var = (sq[j] - corr[j] * corr[j] / dn) / dn;
            double mean = sum[j];
            double ub = dn * DBL_EPSILON * var + (dn * mean * DBL_EPSILON) * (dn * mean * DBL_EPSILON);
            s->b[j] = var <= ub ? 1.0 : sqrt(var);
        }
        free(corr);
        free(sq);
        break;
    }
    case WP_SCALER_ROBUST: {
        double *col = malloc(n * sizeof *col);
        if (!col) {
            wp_scaler_free(s);
            return wp_fail(err, NULL, 0, "out of memory");
        }
        for (size_t j = 0; j < p; j++) {
            for (size_t i = 0; i < n; i++)
                col[i] = X[i * p + j];
            qsort(col, n, sizeof *col, cmp_double);
            s->a[j] = n % 2 ? col[n / 2] : (col[n / 2 - 1] + col[n / 2]) / 2.0;
            double iqr = percentile_sorted(col, n, 0.75) - percentile_sorted(col, n, 0.25);
            s->b[j] = iqr < tiny ? 1.0 : iqr;
        }
        free(col);
        break;
    }
    case WP_SCALER_MINMAX:
        for (size_t j = 0; j < p; j++) {
            double lo = X[j], hi = X[j];
            for (size_t i = 1; i < n; i++) {
                double v = X[i * p + j];
                if (v < lo)
                    lo = v;
                if (v > hi)
                    hi = v;
            }
            double range = hi - lo;
            if (range < tiny)
                range = 1.0;
            s->b[j] = 1.0 / range;
            s->a[j] = 0.0 - lo * s->b[j];
        }
        break;
    }
    return 0;
}

void wp_scaler_apply(const wp_scaler *s, double *X, size_t n)
{
    size_t p = s->p;
    if (s->kind == WP_SCALER_NONE)
        return;
    for (size_t i = 0; i < n; i++) {
        double *r = X + i * p;
        if (s->kind == WP_SCALER_MINMAX)
            for (size_t j = 0; j < p; j++)
                r[j] = r[j] * s->b[j] + s->a[j];
        else
            for (size_t j = 0; j < p; j++)
                r[j] = (r[j] - s->a[j]) / s->b[j];
    }
}

void wp_scaler_free(wp_scaler *s)
{
    free(s->a);
    free(s->b);
    s->a = s->b = NULL;
}

/* ---- coordinate descent ------------------------------------------------ */

void wp_lasso_options_init(wp_lasso_options *o)
{
    o->max_iter = 10000;
    o->tol = 1e-4;
    o->positive = 0;
    o->fit_intercept = 1;
    o->n_alphas = 500;
    o->eps = 1e-3;
    o->cv = 10;
}

int wp_kfold_of(size_t i, size_t n, int k)
{
    size_t base = n / (size_t)k, extra = n % (size_t)k;
    size_t big = extra * (base + 1);
    if (i < big)
        return (int)(i / (base + 1));
    return (int)(extra + (i - big) / base);
}

/* y += a x: the hot loop of the Gram solver (one Gram row per changed
 * coefficient). restrict lets the compiler vectorise it. */
static void axpy(size_t n, double a, const double *restrict x, double *restrict y)
{
    for (size_t k = 0; k < n; k++)
        y[k] += a * x[k];
}

/* The duality gap's quadratic part, as sklearn computes it: when the dual
 * norm exceeds alpha the residual is scaled by *cst = alpha / dual to make
 * the dual point feasible, else *cst = 1. */
static double gap_quadratic(double R_norm2, double dual, double alpha, double *cst)
{
    if (dual > alpha) {
        *cst = alpha / dual;
        return 0.5 * (R_norm2 + R_norm2 * *cst * *cst);
    }
    *cst = 1.0;
    return R_norm2;
}

/* enet_coordinate_descent_gram with beta = 0: minimises
 * 1/2 w'Qw - q'w + alpha |w|_1. H holds Q w. tol arrives unscaled and is
 * multiplied by y_norm2 as sklearn does; the coordinate-change test uses the
 * unscaled value. Returns the iterations run. */
static int cd_gram(const double *Q, const double *q, double y_norm2, size_t p, double alpha, int positive, int max_iter,
                   double tol, double *w, double *H)
{
    double d_w_tol = tol;
    tol *= y_norm2;
    /* H = Q w; w is sparse after warm starts along the path. */
    memset(H, 0, p * sizeof *H);
    for (size_t j = 0; j < p; j++)
        if (w[j] != 0.0) {
            const double *Qj = Q + j * p;
            double wj = w[j];
            for (size_t k = 0; k < p; k++)
                H[k] += wj * Qj[k];
        }
    int it;
    for (it = 0; it < max_iter; it++) {
        double w_max = 0.0, d_w_max = 0.0;
        for (size_t ii = 0; ii < p; ii++) {
            double qii = Q[ii * p + ii];
            if (qii == 0.0)
                continue;
            double w_ii = w[ii];
            /* q_ii - (Qw)_ii without coordinate ii's own contribution */
            double tmp = q[ii] - H[ii] + w_ii * qii;
            double nw;
            if (positive && tmp < 0)
                nw = 0.0;
            else {
                double m = fabs(tmp) - alpha;
                nw = m > 0 ? (tmp > 0 ? m : -m) / qii : 0.0;
            }
            double dw = nw - w_ii;
            if (dw != 0.0) {
                axpy(p, dw, Q + ii * p, H);
                w[ii] = nw;
            }
            double adw = fabs(dw);
            if (adw > d_w_max)
                d_w_max = adw;
            if (fabs(nw) > w_max)
                w_max = fabs(nw);
        }
        if (w_max == 0.0 || d_w_max / w_max < d_w_tol || it == max_iter - 1) {
            double q_dot_w = 0, wH = 0, l1 = 0, dual = -INFINITY;
            for (size_t k = 0; k < p; k++) {
                double xta = q[k] - H[k];
                double v = positive ? xta : fabs(xta);
                if (v > dual)
                    dual = v;
                q_dot_w += w[k] * q[k];
                wH += w[k] * H[k];
                l1 += fabs(w[k]);
            }
            double R_norm2 = y_norm2 + wH - 2.0 * q_dot_w, cst;
            double gap = gap_quadratic(R_norm2, dual, alpha, &cst);
            gap += alpha * l1 - cst * y_norm2 + cst * q_dot_w;
            if (gap < tol)
                break;
        }
    }
    return it < max_iter ? it + 1 : max_iter;
}

/* enet_coordinate_descent (residual form) for n <= p, where sklearn's
 * "auto" does not precompute. Xc is column-major (n x p), centred; R is
 * scratch of n. */
static int cd_resid(const double *Xc, const double *yc, size_t n, size_t p, const double *norm2, double alpha,
                    int positive, int max_iter, double tol, double *w, double *R)
{
    double d_w_tol = tol, yy = 0;
    for (size_t i = 0; i < n; i++) {
        R[i] = yc[i];
        yy += yc[i] * yc[i];
    }
    for (size_t j = 0; j < p; j++)
        if (w[j] != 0.0)
            for (size_t i = 0; i < n; i++)
                R[i] -= w[j] * Xc[j * n + i];
    tol *= yy;
    int it;
    for (it = 0; it < max_iter; it++) {
        double w_max = 0.0, d_w_max = 0.0;
        for (size_t ii = 0; ii < p; ii++) {
            if (norm2[ii] == 0.0)
                continue;
            const double *x = Xc + ii * n;
            double w_ii = w[ii];
            if (w_ii != 0.0)
                for (size_t i = 0; i < n; i++)
                    R[i] += w_ii * x[i];
            double tmp = 0;
            for (size_t i = 0; i < n; i++)
                tmp += x[i] * R[i];
            double nw;
            if (positive && tmp < 0)
                nw = 0.0;
            else {
                double m = fabs(tmp) - alpha;
                nw = m > 0 ? (tmp > 0 ? m : -m) / norm2[ii] : 0.0;
            }
            w[ii] = nw;
            if (nw != 0.0)
                for (size_t i = 0; i < n; i++)
                    R[i] -= nw * x[i];
            double adw = fabs(nw - w_ii);
            if (adw > d_w_max)
                d_w_max = adw;
            if (fabs(nw) > w_max)
                w_max = fabs(nw);
        }
        if (w_max == 0.0 || d_w_max / w_max < d_w_tol || it == max_iter - 1) {
            double dual = -INFINITY, R_norm2 = 0, Ry = 0, l1 = 0;
            for (size_t j = 0; j < p; j++) {
                const double *x = Xc + j * n;
                double xta = 0;
                for (size_t i = 0; i < n; i++)
                    xta += x[i] * R[i];
                double v = positive ? xta : fabs(xta);
                if (v > dual)
                    dual = v;
                l1 += fabs(w[j]);
            }
            for (size_t i = 0; i < n; i++) {
                R_norm2 += R[i] * R[i];
                Ry += R[i] * yc[i];
            }
            double cst;
            double gap = gap_quadratic(R_norm2, dual, alpha, &cst);
            gap += alpha * l1 - cst * Ry;
            if (gap < tol)
                break;
        }
    }
    return it < max_iter ? it + 1 : max_iter;
}

/* sklearn precomputes the Gram matrix only when n > p ("auto"); the two
 * solvers run the same iteration sequence and differ only in rounding, so we
 * take the Gram form whenever it fits in memory: with most coefficients at
 * zero a coordinate update costs O(1) instead of O(n). The duality gap is
 * compared with tol * ||y||^2, far above the Gram form's cancellation error. */
#define GRAM_MAX_P 2000
static int use_gram(size_t n, size_t p)
{
    return n > p || p <= GRAM_MAX_P;
}

/* ---- sufficient statistics per block ----------------------------------- */

/* For a set of rows: S = Z'Z (full symmetric p x p), s = sum of Z rows,
 * t = Z'y, u = sum y, v = y'y, where Z = X - shift, y = y - yshift. The
 * shift (the column means of all rows) keeps the later "- n m m'" centring
 * free of cancellation. */
typedef struct block_stats {
    size_t n;
    double *S, *s, *t;
    double u, v;
} block_stats;

static void gram_rows(const double *X, const double *y, const size_t *rows, size_t nr, size_t p, const double *shift,
                      double yshift, double *Zbuf, block_stats *b)
{
    b->n = nr;
    memset(b->S, 0, p * p * sizeof *b->S);
    memset(b->s, 0, p * sizeof *b->s);
    memset(b->t, 0, p * sizeof *b->t);
    b->u = b->v = 0;
    /* Chunks of rows stay in cache while each Gram row is accumulated;
     * four rows per pass quarter the loads and stores of S. */
    enum { CH = 64 };
    for (size_t r0 = 0; r0 < nr; r0 += CH) {
        size_t m = nr - r0 < CH ? nr - r0 : CH;
        for (size_t r = 0; r < m; r++) {
            size_t i = rows ? rows[r0 + r] : r0 + r;
            double *z = Zbuf + r * p;
            double yz = y[i] - yshift;
            for (size_t j = 0; j < p; j++) {
                z[j] = X[i * p + j] - shift[j];
                b->s[j] += z[j];
                b->t[j] += z[j] * yz;
            }
            b->u += yz;
            b->v += yz * yz;
        }
        for (size_t j = 0; j < p; j++) {
            double *Sj = b->S + j * p;
            size_t r = 0;
            for (; r + 4 <= m; r += 4) {
                const double *z0 = Zbuf + r * p, *z1 = z0 + p, *z2 = z1 + p, *z3 = z2 + p;
                double a0 = z0[j], a1 = z1[j], a2 = z2[j], a3 = z3[j];
                for (size_t k = j; k < p; k++)
                    Sj[k] += a0 * z0[k] + a1 * z1[k] + a2 * z2[k] + a3 * z3[k];
            }
            for (; r < m; r++) {
                const double *z0 = Zbuf + r * p;
                double a0 = z0[j];
                for (size_t k = j; k < p; k++)
                    Sj[k] += a0 * z0[k];
            }
        }
    }
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < j; k++)
            b->S[j * p + k] = b->S[k * p + j];
}

static int stats_alloc(block_stats *b, size_t p)
{
    b->S = malloc(p * p * sizeof *b->S);
    b->s = malloc(p * sizeof *b->s);
    b->t = malloc(p * sizeof *b->t);
    return b->S && b->s && b->t ? 0 : -1;
}

static void stats_free(block_stats *b)
{
    free(b->S);
    free(b->s);
    free(b->t);
}

/* Centred Gram of "all minus excluded" (excl may be NULL):
 * Q = S - n m m', q = t - n m my, yy = v - n my^2. Also returns m, my. */
static size_t centred_from(const block_stats *all, const block_stats *excl, size_t p, double *Q, double *q, double *m,
                           double *my, double *yy)
{
    size_t n = all->n - (excl ? excl->n : 0);
    double dn = (double)n;
    for (size_t j = 0; j < p; j++)
        m[j] = (all->s[j] - (excl ? excl->s[j] : 0)) / dn;
    double mu = (all->u - (excl ? excl->u : 0)) / dn;
    for (size_t j = 0; j < p; j++) {
        double *Qj = Q + j * p;
        const double *Sj = all->S + j * p, *Ej = excl ? excl->S + j * p : NULL;
        double c = dn * m[j];
        for (size_t k = 0; k < p; k++)
            Qj[k] = (Ej ? Sj[k] - Ej[k] : Sj[k]) - c * m[k];
        q[j] = (all->t[j] - (excl ? excl->t[j] : 0)) - c * mu;
    }
    *my = mu;
    *yy = (all->v - (excl ? excl->v : 0)) - dn * mu * mu;
    return n;
}

static void col_means(const double *X, const double *y, size_t n, size_t p, double *m, double *my)
{
    memset(m, 0, p * sizeof *m);
    double u = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < p; j++)
            m[j] += X[i * p + j];
        u += y[i];
    }
    for (size_t j = 0; j < p; j++)
        m[j] /= (double)n;
    *my = u / (double)n;
}

/* Column-major centred copy of the given rows, for the residual solver. */
static void centred_cols(const double *X, const double *y, const size_t *rows, size_t nr, size_t p, double *Xc,
                         double *yc, double *norm2, double *m, double *my)
{
    memset(m, 0, p * sizeof *m);
    double u = 0;
    for (size_t r = 0; r < nr; r++) {
        for (size_t j = 0; j < p; j++)
            m[j] += X[rows[r] * p + j];
        u += y[rows[r]];
    }
    for (size_t j = 0; j < p; j++)
        m[j] /= (double)nr;
    *my = u / (double)nr;
    for (size_t j = 0; j < p; j++) {
        double s2 = 0;
        for (size_t r = 0; r < nr; r++) {
            double v = X[rows[r] * p + j] - m[j];
            Xc[j * nr + r] = v;
            s2 += v * v;
        }
        norm2[j] = s2;
    }
    for (size_t r = 0; r < nr; r++)
        yc[r] = y[rows[r]] - *my;
}

void wp_alpha_grid(const double *X, const double *y, size_t n, size_t p, const wp_lasso_options *o, double *alphas)
{
    double *m = calloc(p ? p : 1, sizeof *m), my = 0;
    if (o->fit_intercept && m)
        col_means(X, y, n, p, m, &my);
    double amax = 0;
    for (size_t j = 0; j < p; j++) {
        double xy = 0;
        for (size_t i = 0; i < n; i++)
            xy += (X[i * p + j] - (m ? m[j] : 0)) * (y[i] - my);
        if (fabs(xy) > amax)
            amax = fabs(xy);
    }
    free(m);
    amax /= (double)n;
    int na = o->n_alphas;
    if (amax <= 1e-15) {
        for (int k = 0; k < na; k++)
            alphas[k] = 1e-15;
        return;
    }
    /* numpy.logspace(log10(amax * eps), log10(amax), na)[::-1] */
    double start = log10(amax * o->eps), stop = log10(amax);
    double step = na > 1 ? (stop - start) / (double)(na - 1) : 0;
    for (int k = 0; k < na; k++) {
        double e = k == na - 1 ? stop : (double)k * step + start;
        alphas[na - 1 - k] = pow(10.0, e);
    }
}

/* Lasso at one alpha on rows (all when rows == NULL), starting from w. */
static int fit_rows(const double *X, const double *y, const size_t *rows, size_t nr, size_t p, double alpha,
                    const wp_lasso_options *o, double *w, double *intercept, int *n_iter, wp_error *err)
{
    size_t *own = NULL;
    if (!rows) {
        own = malloc(NZ(nr) * sizeof *own);
        if (!own)
            return wp_fail(err, NULL, 0, "out of memory");
        for (size_t i = 0; i < nr; i++)
            own[i] = i;
        rows = own;
    }
    double *m = malloc(p * sizeof *m), my = 0;
    int rc = 0, it = 0;
    if (!m) {
        free(own);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    if (use_gram(nr, p)) {
        block_stats b;
        double *Q = malloc(p * p * sizeof *Q), *q = malloc(p * sizeof *q), *H = malloc(p * sizeof *H);
        double *Z = malloc(64 * p * sizeof *Z), *shift = calloc(p, sizeof *shift), yy, ys = 0;
        if (stats_alloc(&b, p) || !Q || !q || !H || !Z || !shift) {
            rc = wp_fail(err, NULL, 0, "out of memory");
        } else {
            /* shift by the plain column means so the Gram is well conditioned */
            for (size_t r = 0; r < nr; r++)
                for (size_t j = 0; j < p; j++)
                    shift[j] += X[rows[r] * p + j];
            ys = 0;
            for (size_t r = 0; r < nr; r++)
                ys += y[rows[r]];
            for (size_t j = 0; j < p; j++)
                shift[j] /= (double)nr;
            ys /= (double)nr;
            gram_rows(X, y, rows, nr, p, shift, ys, Z, &b);
            centred_from(&b, NULL, p, Q, q, m, &my, &yy);
            if (!o->fit_intercept) {
                /* Without an intercept the Gram is of the raw data. */
                for (size_t j = 0; j < p; j++) {
                    for (size_t k = 0; k < p; k++)
                        Q[j * p + k] =
                            b.S[j * p + k] + (double)nr * shift[j] * shift[k] + shift[j] * b.s[k] + shift[k] * b.s[j];
                    q[j] = b.t[j] + shift[j] * b.u + ys * b.s[j] + (double)nr * shift[j] * ys;
                }
                yy = b.v + 2 * ys * b.u + (double)nr * ys * ys;
                memset(m, 0, p * sizeof *m);
                my = 0;
            } else {
                for (size_t j = 0; j < p; j++)
                    m[j] += shift[j];
                my += ys;
            }
            it = cd_gram(Q, q, yy, p, alpha * (double)nr, o->positive, o->max_iter, o->tol, w, H);
        }
        stats_free(&b);
        free(Q);
        free(q);
        free(H);
        free(Z);
        free(shift);
    } else {
        double *Xc = malloc(NZ(nr * p) * sizeof *Xc), *yc = malloc(NZ(nr) * sizeof *yc);
        double *n2 = malloc(p * sizeof *n2), *R = malloc(NZ(nr) * sizeof *R);
        if (!Xc || !yc || !n2 || !R) {
            rc = wp_fail(err, NULL, 0, "out of memory");
        } else {
            centred_cols(X, y, rows, nr, p, Xc, yc, n2, m, &my);
            if (!o->fit_intercept) {
                for (size_t j = 0; j < p; j++) {
                    double s2 = 0;
                    for (size_t r = 0; r < nr; r++) {
                        Xc[j * nr + r] += m[j];
                        s2 += Xc[j * nr + r] * Xc[j * nr + r];
                    }
                    n2[j] = s2;
                }
                for (size_t r = 0; r < nr; r++)
                    yc[r] += my;
                memset(m, 0, p * sizeof *m);
                my = 0;
            }
            it = cd_resid(Xc, yc, nr, p, n2, alpha * (double)nr, o->positive, o->max_iter, o->tol, w, R);
        }
        free(Xc);
        free(yc);
        free(n2);
        free(R);
    }
    if (rc == 0) {
        double b0 = my;
        for (size_t j = 0; j < p; j++)
            b0 -= m[j] * w[j];
        *intercept = b0;
        if (n_iter)
            *n_iter = it;
    }
    free(m);
    free(own);
    return rc;
}

/* A constant target has the all-zero solution at every alpha; the duality
 * gap's tolerance (tol x its zero variance) would otherwise be 0 and every
 * alpha would run to max_iter. */
static int constant_target(const double *y, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (y[i] != y[0])
            return 0;
    return 1;
}

int wp_lasso_fit(const double *X, const double *y, size_t n, size_t p, double alpha, const wp_lasso_options *o,
                 double *coef, double *intercept, int *n_iter, wp_error *err)
{
    if (n == 0)
        return wp_fail(err, NULL, 0, "cannot fit a model on zero rows");
    memset(coef, 0, p * sizeof *coef);
    if (o->fit_intercept && constant_target(y, n)) {
        *intercept = y[0];
        if (n_iter)
            *n_iter = 0;
        return 0;
    }
    return fit_rows(X, y, NULL, n, p, alpha, o, coef, intercept, n_iter, err);
}

void wp_lasso_cv_result_free(wp_lasso_cv_result *r)
{
    free(r->alphas);
    free(r->mse_mean);
    free(r->coef);
    memset(r, 0, sizeof *r);
}

/* Held-out MSE from the test block's statistics (shifted coordinates):
 * sum (z.w + c - y)^2 = w'Sw - 2 w.t + v + 2c (s.w - u) + n c^2, with
 * c = my - m.w the intercept. Only the nonzero coefficients matter. */
static double block_mse(const block_stats *b, size_t p, const double *w, const int *nz, size_t nnz, double c)
{
    double wSw = 0, wt = 0, sw = 0;
    for (size_t a = 0; a < nnz; a++) {
        size_t j = (size_t)nz[a];
        const double *Sj = b->S + j * p;
        double acc = 0;
        for (size_t e = 0; e < nnz; e++)
            acc += Sj[nz[e]] * w[nz[e]];
        wSw += w[j] * acc;
        wt += w[j] * b->t[j];
        sw += w[j] * b->s[j];
    }
    double ss = wSw - 2.0 * wt + b->v + 2.0 * c * (sw - b->u) + (double)b->n * c * c;
    if (ss < 0)
        ss = 0;
    return ss / (double)b->n;
}

/* ---- the K fold paths, in parallel ---------------------------------------- */

typedef struct fold_ctx {
    const double *X, *y;
    size_t n, p;
    const wp_lasso_options *o;
    const double *alphas;
    int na;
    const size_t *rows, *fstart;
    int K;
    const block_stats *blk; /* K blocks, then the total */
    double *mse;            /* K x na */
    const wp_progress *prog;
    int next, done_folds;
    pthread_mutex_t lock;
    int failed;
} fold_ctx;

/* The warm-started path of fold f and its held-out MSE per alpha. Folds are
 * independent, so results do not depend on how many threads run them. */
static int run_fold(fold_ctx *c, int f)
{
    const double *X = c->X, *y = c->y;
    size_t n = c->n, p = c->p;
    const wp_lasso_options *o = c->o;
    const size_t *rows = c->rows, *fstart = c->fstart;
    const block_stats *blk = c->blk;
    int K = c->K, na = c->na;
    size_t ntest = fstart[f + 1] - fstart[f], ntrain = n - ntest;
    double *w = calloc(NZ(p), sizeof *w), *m = malloc(NZ(p) * sizeof *m);
    int *nz = malloc(NZ(p) * sizeof *nz);
    double *mse = c->mse + (size_t)f * (size_t)na;
    int rc = -1;
    if (!w || !m || !nz)
        goto out;
    if (use_gram(ntrain, p)) {
        double *Q = malloc(NZ(p * p) * sizeof *Q), *q = malloc(NZ(p) * sizeof *q), *H = malloc(NZ(p) * sizeof *H);
        if (Q && q && H) {
            double my, yy;
            centred_from(&blk[K], &blk[f], p, Q, q, m, &my, &yy);
            for (int k = 0; k < na; k++) {
                cd_gram(Q, q, yy, p, c->alphas[k] * (double)ntrain, o->positive, o->max_iter, o->tol, w, H);
                size_t nnz = 0;
                double cc = my;
                for (size_t j = 0; j < p; j++)
                    if (w[j] != 0.0) {
                        nz[nnz++] = (int)j;
                        cc -= m[j] * w[j];
                    }
                mse[k] = block_mse(&blk[f], p, w, nz, nnz, cc);
            }
            rc = 0;
        }
        free(Q), free(q), free(H);
    } else {
        /* Very wide designs: sklearn's residual solver, no p x p matrix. */
        size_t *tr = malloc(NZ(ntrain) * sizeof *tr);
        double *Xc = malloc(NZ(ntrain * p) * sizeof *Xc);
        double *yc = malloc(NZ(ntrain) * sizeof *yc), *n2 = malloc(NZ(p) * sizeof *n2);
        double *R = malloc(NZ(ntrain) * sizeof *R);
        if (tr && Xc && yc && n2 && R) {
            size_t c0 = 0;
            for (int g = 0; g < K; g++)
                if (g != f)
                    for (size_t r = fstart[g]; r < fstart[g + 1]; r++)
                        tr[c0++] = rows[r];
            /* sklearn keeps the training rows in original order */
            for (size_t a = 1; a < ntrain; a++) {
                size_t v = tr[a], b = a;
                while (b > 0 && tr[b - 1] > v) {
                    tr[b] = tr[b - 1];
                    b--;
                }
                tr[b] = v;
            }
            double my;
            centred_cols(X, y, tr, ntrain, p, Xc, yc, n2, m, &my);
            for (int k = 0; k < na; k++) {
                cd_resid(Xc, yc, ntrain, p, n2, c->alphas[k] * (double)ntrain, o->positive, o->max_iter, o->tol, w, R);
                double cc = my;
                size_t nnz = 0;
                for (size_t j = 0; j < p; j++)
                    if (w[j] != 0.0) {
                        nz[nnz++] = (int)j;
                        cc -= m[j] * w[j];
                    }
                double ss = 0;
                for (size_t r = fstart[f]; r < fstart[f + 1]; r++) {
                    const double *x = X + rows[r] * p;
                    double pr = cc;
                    for (size_t e = 0; e < nnz; e++)
                        pr += x[nz[e]] * w[nz[e]];
                    double d = pr - y[rows[r]];
                    ss += d * d;
                }
                mse[k] = ss / (double)ntest;
            }
            rc = 0;
        }
        free(tr), free(Xc), free(yc), free(n2), free(R);
    }
out:
    free(w), free(m), free(nz);
    return rc;
}

static void *fold_worker(void *arg)
{
    fold_ctx *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int f = c->failed ? c->K : c->next++;
        pthread_mutex_unlock(&c->lock);
        if (f >= c->K)
            break;
        int rc = run_fold(c, f);
        pthread_mutex_lock(&c->lock);
        if (rc)
            c->failed = 1;
        c->done_folds++;
        wp_progress_report(c->prog, "lasso path", (double)(c->K + c->done_folds), (double)c->K * 2);
        pthread_mutex_unlock(&c->lock);
    }
    return NULL;
}

static int run_folds(fold_ctx *c, wp_error *err)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("WATTPROF_THREADS");
    if (env && atoi(env) > 0)
        ncpu = atoi(env);
    int nt = ncpu < 1 ? 1 : ncpu > c->K ? c->K : (int)ncpu;
    if (nt > 64)
        nt = 64;
    pthread_t th[64];
    int started = 0;
    for (int t = 1; t < nt; t++) {
        if (wp__thread_create(&th[started], fold_worker, c) != 0)
            break;
        started++;
    }
    fold_worker(c);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&c->lock);
    return c->failed ? wp_fail(err, NULL, 0, "out of memory") : 0;
}

int wp_lasso_cv(const double *X, const double *y, size_t n, size_t p, const wp_lasso_options *o, const int *fold_of,
                int n_folds, wp_lasso_cv_result *res, const wp_progress *prog, wp_error *err)
{
    memset(res, 0, sizeof *res);
    int K = fold_of ? n_folds : o->cv;
    if (n == 0)
        return wp_fail(err, NULL, 0, "cannot fit a model on zero rows");
    if (K < 2)
        return wp_fail(err, NULL, 0, "cross-validation needs at least 2 folds, got %d", K);
    if ((size_t)K > n)
        return wp_fail(err, NULL, 0, "cannot make %d folds from %zu rows", K, n);
    if (!o->fit_intercept)
        return wp_fail(err, NULL, 0, "LassoCV without an intercept is not supported");
    int na = o->n_alphas;
    res->n_alphas = na;
    res->alphas = malloc((size_t)na * sizeof *res->alphas);
    res->mse_mean = calloc((size_t)na, sizeof *res->mse_mean);
    res->coef = calloc(p ? p : 1, sizeof *res->coef);
    double *mse = calloc((size_t)na * (size_t)K, sizeof *mse);
    size_t *rows = malloc(n * sizeof *rows), *fstart = calloc((size_t)K + 1, sizeof *fstart);
    int *fid = malloc(n * sizeof *fid);
    block_stats *blk = calloc((size_t)K + 1, sizeof *blk);
    double *Q = NULL, *q = NULL, *H = NULL, *w = NULL, *m = NULL, *shift = NULL, *Z = NULL;
    int *nz = NULL;
    int rc = 0;
    if (!res->alphas || !res->mse_mean || !res->coef || !mse || !rows || !fstart || !fid || !blk) {
        rc = wp_fail(err, NULL, 0, "out of memory");
        goto out;
    }
    wp_alpha_grid(X, y, n, p, o, res->alphas);
    if (constant_target(y, n)) {
        res->best = 0;
        res->alpha = res->alphas[0];
        res->intercept = y[0];
        goto out;
    }

    /* Group the rows by fold (stable, so KFold's contiguous blocks stay in
     * order). */
    for (size_t i = 0; i < n; i++) {
        fid[i] = fold_of ? fold_of[i] : wp_kfold_of(i, n, K);
        if (fid[i] < 0 || fid[i] >= K) {
            rc = wp_fail(err, NULL, 0, "row %zu assigned to fold %d of %d", i, fid[i], K);
            goto out;
        }
        fstart[fid[i] + 1]++;
    }
    for (int f = 0; f < K; f++) {
        if (fstart[f + 1] == 0) {
            rc = wp_fail(err, NULL, 0, "cross-validation fold %d has no rows", f);
            goto out;
        }
        fstart[f + 1] += fstart[f];
    }
    {
        size_t *fill = malloc((size_t)K * sizeof *fill);
        if (!fill) {
            rc = wp_fail(err, NULL, 0, "out of memory");
            goto out;
        }
        memcpy(fill, fstart, (size_t)K * sizeof *fill);
        for (size_t i = 0; i < n; i++)
            rows[fill[fid[i]]++] = i;
        free(fill);
    }

    Q = malloc(NZ(p * p) * sizeof *Q);
    q = malloc(NZ(p) * sizeof *q);
    H = malloc(NZ(p) * sizeof *H);
    w = malloc(NZ(p) * sizeof *w);
    m = malloc(NZ(p) * sizeof *m);
    shift = calloc(p ? p : 1, sizeof *shift);
    Z = malloc(NZ(64 * p) * sizeof *Z);
    nz = malloc(NZ(p) * sizeof *nz);
    if (!Q || !q || !H || !w || !m || !shift || !Z || !nz) {
        rc = wp_fail(err, NULL, 0, "out of memory");
        goto out;
    }
    double ys;
    col_means(X, y, n, p, shift, &ys);

    /* Per-fold statistics; blk[K] is the sum over all folds. */
    int need_gram = 0;
    for (int f = 0; f < K; f++)
        if (use_gram(n - (fstart[f + 1] - fstart[f]), p))
            need_gram = 1;
    /* Block statistics only when some fold uses the Gram solver: for very
     * wide designs they would be K + 1 matrices of p x p. */
    if (need_gram) {
        for (int f = 0; f <= K; f++)
            if (stats_alloc(&blk[f], p)) {
                rc = wp_fail(err, NULL, 0, "out of memory");
                goto out;
            }
        for (int f = 0; f < K; f++) {
            wp_progress_report(prog, "gram", (double)f, (double)K * 2);
            gram_rows(X, y, rows + fstart[f], fstart[f + 1] - fstart[f], p, shift, ys, Z, &blk[f]);
        }
        {
            block_stats *all = &blk[K];
            memset(all->S, 0, p * p * sizeof *all->S);
            memset(all->s, 0, p * sizeof *all->s);
            memset(all->t, 0, p * sizeof *all->t);
            all->n = 0;
            all->u = all->v = 0;
            for (int f = 0; f < K; f++) {
                for (size_t e = 0; e < p * p; e++)
                    all->S[e] += blk[f].S[e];
                for (size_t j = 0; j < p; j++) {
                    all->s[j] += blk[f].s[j];
                    all->t[j] += blk[f].t[j];
                }
                all->n += blk[f].n;
                all->u += blk[f].u;
                all->v += blk[f].v;
            }
        }
    }

    {
        fold_ctx fc = {.X = X,
                       .y = y,
                       .n = n,
                       .p = p,
                       .o = o,
                       .alphas = res->alphas,
                       .na = na,
                       .rows = rows,
                       .fstart = fstart,
                       .K = K,
                       .blk = blk,
                       .mse = mse,
                       .prog = prog};
        pthread_mutex_init(&fc.lock, NULL);
        if (run_folds(&fc, err)) {
            rc = -1;
            goto out;
        }
    }
    /* np.mean over folds, then the first minimum (np.argmin). */
    res->best = 0;
    for (int k = 0; k < na; k++) {
        double s = 0;
        for (int f = 0; f < K; f++)
            s += mse[(size_t)f * (size_t)na + (size_t)k];
        res->mse_mean[k] = s / (double)K;
        if (res->mse_mean[k] < res->mse_mean[res->best])
            res->best = k;
    }
    res->alpha = res->alphas[res->best];
    wp_progress_report(prog, "refit", (double)K * 2, (double)K * 2);
    /* Lasso(alpha).fit from zero on every row, as LassoCV's final refit. */
    memset(res->coef, 0, p * sizeof *res->coef);
    if (need_gram && use_gram(n, p)) {
        double my, yy;
        centred_from(&blk[K], NULL, p, Q, q, m, &my, &yy);
        res->n_iter = cd_gram(Q, q, yy, p, res->alpha * (double)n, o->positive, o->max_iter, o->tol, res->coef, H);
        double b0 = my + ys;
        for (size_t j = 0; j < p; j++)
            b0 -= (m[j] + shift[j]) * res->coef[j];
        res->intercept = b0;
    } else {
        rc = fit_rows(X, y, NULL, n, p, res->alpha, o, res->coef, &res->intercept, &res->n_iter, err);
    }
out:
    for (int f = 0; blk && f <= K; f++)
        stats_free(&blk[f]);
    free(blk);
    free(mse);
    free(rows);
    free(fstart);
    free(fid);
    free(Q), free(q), free(H), free(w), free(m), free(shift), free(Z), free(nz);
    if (rc)
        wp_lasso_cv_result_free(res);
    return rc;
}

/* ---- non-negative least squares for relative error ---------------------- */

/* Least squares on the variables flagged in set, from the Gram matrix
 * G = A'A and g = A'b (m x m, unit diagonal) by Cholesky: each active-set
 * step costs O(m^3), not a pass over the rows. -1 when a pivot (the
 * squared sine of the angle between a column and the span of those before
 * it) is below 1e-12: the column depends on the others. */
static int chol_on(const double *G, const double *g, size_t m, const unsigned char *set, double *z)
{
    size_t k = 0, cols[64];
    for (size_t j = 0; j < m; j++)
        if (set[j])
            cols[k++] = j;
    double L[64][64], sol[64];
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j <= i; j++) {
            double v = G[cols[i] * m + cols[j]];
            for (size_t t = 0; t < j; t++)
                v -= L[i][t] * L[j][t];
            if (i == j) {
                if (!(v > 1e-12))
                    return -1;
                L[i][i] = sqrt(v);
            } else {
                L[i][j] = v / L[j][j];
            }
        }
    for (size_t i = 0; i < k; i++) {
        double v = g[cols[i]];
        for (size_t t = 0; t < i; t++)
            v -= L[i][t] * sol[t];
        sol[i] = v / L[i][i];
    }
    for (size_t i = k; i-- > 0;) {
        double v = sol[i];
        for (size_t t = i + 1; t < k; t++)
            v -= L[t][i] * sol[t];
        sol[i] = v / L[i][i];
    }
    memset(z, 0, m * sizeof *z);
    for (size_t i = 0; i < k; i++)
        z[cols[i]] = sol[i];
    return 0;
}

/* Row i's value of variable c of the problem: [X, 1] / y, column-scaled. */
static double nnls_term(const double *X, const double *y, size_t p, const size_t *var, size_t mi, const double *scale,
                        size_t i, size_t c)
{
    return (c == mi ? 1.0 : X[i * p + var[c]]) / y[i] / scale[c];
}

int wp_nnls_relative_fit(const double *X, const double *y, size_t n, size_t p, double *coef, double *intercept,
                         wp_error *err)
{
    if (n == 0)
        return wp_fail(err, NULL, 0, "cannot fit a model on zero rows");
    for (size_t i = 0; i < n; i++)
        if (!(y[i] > 0) || !isfinite(y[i]))
            return wp_fail(err, NULL, 0, "row %zu: a relative-error fit needs a positive target", i + 1);
    memset(coef, 0, p * sizeof *coef);
    *intercept = 0;
    /* Variables: the columns that vary over the rows, then the intercept
     * (a constant column, the polynomial bias, is the intercept's term). */
    size_t var[64], m = 0;
    for (size_t j = 0; j < p; j++) {
        int varies = 0;
        for (size_t i = 1; i < n && !varies; i++)
            varies = X[i * p + j] != X[j];
        if (varies) {
            if (m == 63)
                return wp_fail(err, NULL, 0, "a relative-error fit takes at most 63 terms, not %zu", p);
            var[m++] = j;
        }
    }
    size_t mi = m++; /* the intercept's variable */
    double scale[64], x[64] = {0}, z[64], w[64], g[64] = {0}, G[64 * 64] = {0};
    unsigned char set[64] = {0}, skip[64] = {0};
    /* (b + X w - y) / y = A x - 1 with A = [X, 1] / y: ordinary NNLS, with
     * b = 1. Unit columns make the dependence test one threshold across
     * features that span nine orders of magnitude. A is never stored:
     * two passes over the rows build the column norms, then G and g. */
    for (size_t c = 0; c < m; c++)
        scale[c] = 1.0;
    for (size_t c = 0; c < m; c++) {
        double v = 0;
        for (size_t i = 0; i < n; i++) {
            double a = nnls_term(X, y, p, var, mi, scale, i, c);
            if (!isfinite(a))
                return wp_fail(err, NULL, 0, "row %zu: a term is not finite", i + 1);
            v += a * a;
        }
        scale[c] = v > 0 ? sqrt(v) : 1.0;
        skip[c] = !(v > 0); /* all zero: its variable stays 0 */
    }
    for (size_t i = 0; i < n; i++) {
        double a[64];
        for (size_t c = 0; c < m; c++)
            a[c] = nnls_term(X, y, p, var, mi, scale, i, c);
        for (size_t c = 0; c < m; c++) {
            g[c] += a[c];
            for (size_t c2 = 0; c2 <= c; c2++)
                G[c * m + c2] += a[c] * a[c2];
        }
    }
    for (size_t c = 0; c < m; c++)
        for (size_t c2 = 0; c2 < c; c2++)
            G[c2 * m + c] = G[c * m + c2];
    /* Lawson and Hanson's active-set method (Solving Least Squares
     * Problems, 1974, ch. 23) on the Gram matrix (Bro and de Jong's fast
     * NNLS): add the variable whose gradient most wants to grow, solve on
     * the set, step back to the boundary while a variable would go
     * negative. Terminates in finitely many steps; the bound below only
     * guards against rounding cycles. */
    const double tol = 1e-10 * sqrt((double)n);
    for (int iter = 0; iter < 30 * (int)m; iter++) {
        size_t best = m;
        for (size_t c = 0; c < m; c++) {
            w[c] = g[c];
            for (size_t c2 = 0; c2 < m; c2++)
                w[c] -= G[c * m + c2] * x[c2];
            if (!set[c] && !skip[c] && w[c] > tol && (best == m || w[c] > w[best]))
                best = c;
        }
        if (best == m)
            break;
        set[best] = 1;
        for (;;) {
            if (chol_on(G, g, m, set, z)) {
                set[best] = 0; /* dependent on the set: its gradient is rounding */
                skip[best] = 1;
                break;
            }
            double step = 1.0;
            size_t stop = m;
            for (size_t c = 0; c < m; c++)
                if (set[c] && z[c] <= 0) {
                    double t = x[c] / (x[c] - z[c]);
                    if (stop == m || t < step) {
                        step = t;
                        stop = c;
                    }
                }
            if (stop == m) {
                memcpy(x, z, sizeof x);
                break;
            }
            /* step to the boundary: the variable that reached 0 first (and
             * any rounding put at or below 0) leaves the set */
            for (size_t c = 0; c < m; c++)
                if (set[c]) {
                    x[c] += step * (z[c] - x[c]);
                    if (c == stop || x[c] <= 0) {
                        x[c] = 0;
                        set[c] = 0;
                    }
                }
        }
        /* rounding pushed the newcomer straight back out: it cannot help */
        if (!set[best])
            skip[best] = 1;
    }
    /* Normal equations square the condition number: one step of iterative
     * refinement with the residual taken on the rows recovers the
     * accuracy a QR solve would have (kept only if it stays feasible). */
    double h[64] = {0}, d[64];
    for (size_t i = 0; i < n; i++) {
        double a[64], r = 1.0;
        for (size_t c = 0; c < m; c++) {
            a[c] = nnls_term(X, y, p, var, mi, scale, i, c);
            r -= a[c] * x[c];
        }
        for (size_t c = 0; c < m; c++)
            h[c] += a[c] * r;
    }
    int any = 0;
    for (size_t c = 0; c < m; c++)
        any |= set[c];
    if (any && chol_on(G, h, m, set, d) == 0) {
        int positive = 1;
        for (size_t c = 0; c < m; c++)
            positive &= !set[c] || x[c] + d[c] > 0;
        for (size_t c = 0; positive && c < m; c++)
            x[c] += d[c];
    }
    for (size_t c = 0; c < m; c++) {
        double v = skip[c] && !set[c] ? 0.0 : x[c] / scale[c];
        if (c == mi)
            *intercept = v;
        else
            coef[var[c]] = v;
    }
    return 0;
}
