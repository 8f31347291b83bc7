/* regression: design rows, scalers, KFold, Lasso and LassoCV against values
 * scikit-learn 1.2.1 computed (the script is in the comments). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/regression.h"

static void test_poly_order(void)
{
    CHECK_INT(wp_poly_count(2, 3), 10);
    CHECK_INT(wp_poly_count(13, 3), 560);
    CHECK_INT(wp_poly_count(11, 3), 364);
    /* PolynomialFeatures(3) of [a, b]: 1, a, b, a^2, ab, b^2, a^3, a^2 b, a b^2, b^3 */
    wp_design d = {.n_in = 2, .degree = 3};
    double raw[2] = {2.0, 3.0}, out[10];
    wp_design_row(&d, raw, out);
    double want[10] = {1, 2, 3, 4, 6, 9, 8, 12, 18, 27};
    for (int i = 0; i < 10; i++)
        CHECK_NEAR(out[i], want[i], 0);
    /* log1p applies to polynomial terms, special terms use raw values,
     * multiplied left to right */
    wp_design e = {.n_in = 3, .degree = 1, .log1p = 1, .n_special = 2};
    e.special[0].n = 2;
    e.special[0].idx[0] = 0;
    e.special[0].idx[1] = 2;
    e.special[1].n = 3;
    e.special[1].idx[0] = 2;
    e.special[1].idx[1] = 1;
    e.special[1].idx[2] = 0;
    double r3[3] = {1.0, 0.0, 4.0}, o3[6];
    CHECK_INT(wp_design_width(&e), 6);
    wp_design_row(&e, r3, o3);
    CHECK_NEAR(o3[0], 1, 0);
    CHECK_NEAR(o3[1], log1p(1.0), 0);
    CHECK_NEAR(o3[2], 0, 0);
    CHECK_NEAR(o3[3], log1p(4.0), 0);
    CHECK_NEAR(o3[4], 4, 0);
    CHECK_NEAR(o3[5], 0, 0);
    int *cb, *dg;
    CHECK_INT(wp_poly_terms(2, 3, &cb, &dg, NULL), 0);
    CHECK_INT(dg[0], 0);
    CHECK_INT(dg[4], 2);
    CHECK_INT(cb[4 * 3 + 0], 0); /* ab */
    CHECK_INT(cb[4 * 3 + 1], 1);
    CHECK_INT(dg[8], 3);
    CHECK_INT(cb[8 * 3 + 0], 0); /* a b^2 */
    CHECK_INT(cb[8 * 3 + 2], 1);
    free(cb);
    free(dg);
}

static void test_scalers(void)
{
    /* sklearn: Z = [[1,5,2],[2,5,9],[3,5,4],[4,5,1],[10,5,7]]; S().fit(Z).transform(Z)[4] and [0] */
    double Z[15] = {1, 5, 2, 2, 5, 9, 3, 5, 4, 4, 5, 1, 10, 5, 7};
    struct {
        wp_scaler_kind k;
        double last[3], first[3];
    } cases[] = {
        {WP_SCALER_STANDARD,
         {1.8973665961010275, 0.0, 0.7982281262852873},
         {-0.9486832980505138, 0.0, -0.8647471368090609}},
        {WP_SCALER_ROBUST, {3.5, 0.0, 0.6}, {-1.0, 0.0, -0.4}},
        {WP_SCALER_MINMAX, {1.0, 0.0, 0.75}, {0.0, 0.0, 0.125}},
    };
    for (int c = 0; c < 3; c++) {
        wp_scaler s;
        double X[15];
        memcpy(X, Z, sizeof X);
        CHECK_INT(wp_scaler_fit(&s, cases[c].k, X, 5, 3, NULL), 0);
        wp_scaler_apply(&s, X, 5);
        for (int j = 0; j < 3; j++) {
            CHECK_NEAR(X[12 + j], cases[c].last[j], 1e-15);
            CHECK_NEAR(X[j], cases[c].first[j], 1e-15);
        }
        wp_scaler_free(&s);
    }
    /* numpy's linear quantiles on an even count: [1,2,3,4] -> q25 1.75, q75 3.25, median 2.5 */
    double col[4] = {4, 1, 3, 2};
    wp_scaler s;
    CHECK_INT(wp_scaler_fit(&s, WP_SCALER_ROBUST, col, 4, 1, NULL), 0);
    CHECK_NEAR(s.a[0], 2.5, 0);
    CHECK_NEAR(s.b[0], 1.5, 0);
    wp_scaler_free(&s);
    wp_error err;
    CHECK_INT(wp_scaler_fit(&s, WP_SCALER_STANDARD, col, 0, 1, &err), -1);
    CHECK_CONTAINS(err.msg, "zero rows");
    CHECK_INT(wp_scaler_from_name("robust"), WP_SCALER_ROBUST);
    CHECK_INT(wp_scaler_from_name("Robust"), -1);
}

static void test_kfold(void)
{
    /* KFold(10) of 23 rows: 3,3,3,2,2,2,2,2,2,2 */
    int count[10] = {0}, last = 0, ordered = 1;
    for (size_t i = 0; i < 23; i++) {
        int f = wp_kfold_of(i, 23, 10);
        ordered &= f >= last;
        last = f;
        count[f]++;
    }
    CHECK(ordered);
    CHECK_INT(count[0], 3);
    CHECK_INT(count[2], 3);
    CHECK_INT(count[3], 2);
    CHECK_INT(count[9], 2);
}

/* X[i][j] = ((7i + 13j + ij) % 17) / 4 - 2, y = 1.5 x0 - 2 x1 + 0.5 x3 + ((31 i) % 11) / 10:
 * exact in binary floating point, so Python builds the very same data.
 *   LassoCV(cv=5, n_alphas=500, max_iter=10000, positive=...).fit(X, y)
 *   Lasso(alpha=0.1).fit(X, y) */
static void make_small(double *X, double *y)
{
    for (int i = 0; i < 40; i++) {
        for (int j = 0; j < 6; j++)
            X[i * 6 + j] = ((i * 7 + j * 13 + i * j) % 17) / 4.0 - 2;
        y[i] = 1.5 * X[i * 6 + 0] - 2 * X[i * 6 + 1] + 0.5 * X[i * 6 + 3] + ((i * 31) % 11) / 10.0;
    }
}

static void test_lasso(void)
{
    double X[240], y[40], coef[6], b;
    make_small(X, y);
    wp_lasso_options o;
    wp_lasso_options_init(&o);
    o.cv = 5;
    double alphas[500];
    wp_alpha_grid(X, y, 40, 6, &o, alphas);
    CHECK_NEAR(alphas[0], 3.0645898437500008, 1e-14);
    CHECK_NEAR(alphas[499], 0.00306458984375, 1e-14);
    CHECK_INT(wp_lasso_fit(X, y, 40, 6, 0.1, &o, coef, &b, NULL, NULL), 0);
    double want01[6] = {1.4960450819572564, -1.9162598335049408, 0, 0.4764384899060591, 0, 0};
    for (int j = 0; j < 6; j++)
        CHECK_NEAR(coef[j], want01[j], 1e-9);
    CHECK_NEAR(b, 0.5007091897539953, 1e-9);

    struct {
        int positive, best;
        double alpha, intercept, coef[6];
    } cases[] = {
        {0,
         312,
         0.04079630734653192,
         0.5023215810488784,
         {1.512462876674618, -1.9607641619536098, 0.0, 0.5155371859453531, 0.004192697421472915, 0}},
        {1, 173, 0.2794423324710489, 0.5540181479272641, {1.7187933827647786, 0, 0, 0, 0.17201357368843778, 0}},
    };
    for (int c = 0; c < 2; c++) {
        o.positive = cases[c].positive;
        wp_lasso_cv_result r;
        CHECK_INT(wp_lasso_cv(X, y, 40, 6, &o, NULL, 0, &r, NULL, NULL), 0);
        CHECK_INT(r.best, cases[c].best);
        CHECK_NEAR(r.alpha, cases[c].alpha, 1e-13);
        CHECK_NEAR(r.intercept, cases[c].intercept, 1e-9);
        for (int j = 0; j < 6; j++)
            CHECK_NEAR(r.coef[j], cases[c].coef[j], 1e-9);
        if (cases[c].positive)
            for (int j = 0; j < 6; j++)
                CHECK(r.coef[j] >= 0);
        wp_lasso_cv_result_free(&r);
    }
    /* Bad calls fail with a message instead of computing nonsense. */
    wp_lasso_cv_result r;
    wp_error err;
    o.cv = 50;
    CHECK_INT(wp_lasso_cv(X, y, 40, 6, &o, NULL, 0, &r, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "folds");
    CHECK_INT(wp_lasso_fit(X, y, 0, 6, 0.1, &o, coef, &b, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "zero rows");
}

/* A fold assignment equal to KFold's gives KFold's answer. */
static void test_custom_folds(void)
{
    double X[240], y[40];
    make_small(X, y);
    wp_lasso_options o;
    wp_lasso_options_init(&o);
    o.cv = 4;
    int fold[40];
    for (int i = 0; i < 40; i++)
        fold[i] = wp_kfold_of((size_t)i, 40, 4);
    wp_lasso_cv_result a, b;
    CHECK_INT(wp_lasso_cv(X, y, 40, 6, &o, NULL, 0, &a, NULL, NULL), 0);
    CHECK_INT(wp_lasso_cv(X, y, 40, 6, &o, fold, 4, &b, NULL, NULL), 0);
    CHECK_INT(a.best, b.best);
    CHECK_NEAR(a.mse_mean[10], b.mse_mean[10], 1e-12);
    wp_lasso_cv_result_free(&a);
    wp_lasso_cv_result_free(&b);
}

/* ---- wp_nnls_relative_fit ---------------------------------------------- */

/* A small deterministic generator: the tests must not depend on libc's rand. */
static double lcg(unsigned long long *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*st >> 11) / 9007199254740992.0;
}

/* sum ((b + X w - y) / y)^2 */
static double rel_sse(const double *X, const double *y, size_t n, size_t p, const double *w, double b)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double f = b;
        for (size_t j = 0; j < p; j++)
            f += X[i * p + j] * w[j];
        s += (f - y[i]) / y[i] * ((f - y[i]) / y[i]);
    }
    return s;
}

/* Unconstrained least squares of 1 on the columns of A = [X, 1] / y flagged
 * in mask (normal equations, Gauss-Jordan): the oracle solves every
 * subset and keeps the best feasible one, which is the NNLS optimum. */
static int subset_ls(const double *X, const double *y, size_t n, size_t p, unsigned mask, double *w, double *b)
{
    size_t idx[8], k = 0;
    for (size_t j = 0; j <= p; j++)
        if (mask & (1u << j))
            idx[k++] = j;
    double G[8][9] = {{0}};
    for (size_t i = 0; i < n; i++) {
        double a[8];
        for (size_t c = 0; c < k; c++)
            a[c] = (idx[c] == p ? 1.0 : X[i * p + idx[c]]) / y[i];
        for (size_t r = 0; r < k; r++) {
            for (size_t c = 0; c < k; c++)
                G[r][c] += a[r] * a[c];
            G[r][k] += a[r];
        }
    }
    for (size_t c = 0; c < k; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < k; r++)
            if (fabs(G[r][c]) > fabs(G[piv][c]))
                piv = r;
        if (fabs(G[piv][c]) < 1e-300)
            return -1;
        for (size_t q = 0; q <= k; q++) {
            double t = G[c][q];
            G[c][q] = G[piv][q];
            G[piv][q] = t;
        }
        for (size_t r = 0; r < k; r++)
            if (r != c) {
                double f = G[r][c] / G[c][c];
                for (size_t q = 0; q <= k; q++)
                    G[r][q] -= f * G[c][q];
            }
    }
    memset(w, 0, p * sizeof *w);
    *b = 0;
    for (size_t c = 0; c < k; c++) {
        double v = G[c][k] / G[c][c];
        if (v < 0)
            return -1;
        if (idx[c] == p)
            *b = v;
        else
            w[idx[c]] = v;
    }
    return 0;
}

static void test_nnls_exact(void)
{
    /* y = 1.5 + 2 a + 0.5 b + 3 c exactly, features over 6 decades: the
     * fit recovers the costs */
    enum { N = 200, P = 3 };
    double X[N * P], y[N], w[P], b;
    unsigned long long st = 42;
    for (int i = 0; i < N; i++) {
        X[i * P + 0] = pow(10, 6 * lcg(&st));
        X[i * P + 1] = 1000 * lcg(&st);
        X[i * P + 2] = lcg(&st);
        y[i] = 1.5 + 2 * X[i * P] + 0.5 * X[i * P + 1] + 3 * X[i * P + 2];
    }
    CHECK_INT(wp_nnls_relative_fit(X, y, N, P, w, &b, NULL), 0);
    CHECK_NEAR(w[0], 2, 1e-8);
    CHECK_NEAR(w[1], 0.5, 1e-8);
    CHECK_NEAR(w[2], 3, 1e-7);
    CHECK_NEAR(b, 1.5, 1e-6);
}

static void test_nnls_against_subsets(void)
{
    /* Data where unconstrained least squares wants negative costs (a
     * feature anti-correlated with the target, a negative intercept, a
     * redundant column): the fit must equal the best of all non-negative subset
     * solutions, and be non-negative itself. Several seeds. */
    enum { N = 60, P = 3 };
    for (unsigned long long seed = 1; seed <= 20; seed++) {
        double X[N * P], y[N], w[P], b, best = INFINITY;
        unsigned long long st = seed;
        for (int i = 0; i < N; i++) {
            if (seed % 2) {
                /* a column that looks best alone (a + b + d) and must go
                 * back to 0 once a and b are in: the active set's step
                 * back to the boundary */
                double a = 10 * lcg(&st), c = 10 * lcg(&st), d = 3 * lcg(&st);
                X[i * P + 0] = a + c + d;
                X[i * P + 1] = a;
                X[i * P + 2] = c;
                y[i] = a + c + 0.1 * lcg(&st) + 0.5;
                continue;
            }
            X[i * P + 0] = 1 + 100 * lcg(&st);
            X[i * P + 1] = 50 * lcg(&st);
            X[i * P + 2] = seed % 4 == 0 ? 7.0 : 10 * lcg(&st); /* sometimes constant */
            y[i] = 0.8 * X[i * P] - 0.3 * X[i * P + 1] + X[i * P + 2] * lcg(&st) + 20 * lcg(&st) - 2;
            if (y[i] <= 0.5)
                y[i] = 0.5 + lcg(&st);
        }
        CHECK_INT(wp_nnls_relative_fit(X, y, N, P, w, &b, NULL), 0);
        for (unsigned mask = 1; mask < (1u << (P + 1)); mask++) {
            double sw[P], sb;
            if (subset_ls(X, y, N, P, mask, sw, &sb) == 0) {
                double v = rel_sse(X, y, N, P, sw, sb);
                if (v < best)
                    best = v;
            }
        }
        CHECK(b >= 0 && w[0] >= 0 && w[1] >= 0 && w[2] >= 0);
        double got = rel_sse(X, y, N, P, w, b);
        CHECK_NEAR(got, best, 1e-9 * best);
    }
}

static void test_nnls_constant_and_bad(void)
{
    /* a bias column (all 1) is the intercept's: its coefficient stays 0 */
    double X[8] = {1, 1, 1, 2, 1, 3, 1, 4}, y[4] = {3, 5, 7, 9}, w[2], b;
    CHECK_INT(wp_nnls_relative_fit(X, y, 4, 2, w, &b, NULL), 0);
    CHECK_NEAR(w[0], 0, 0);
    CHECK_NEAR(w[1], 2, 1e-12);
    CHECK_NEAR(b, 1, 1e-12);
    /* two identical columns: the fit still solves, their sum is the cost */
    double D[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    CHECK_INT(wp_nnls_relative_fit(D, y, 4, 2, w, &b, NULL), 0);
    CHECK_NEAR(w[0] + w[1], 2, 1e-9);
    CHECK_NEAR(b, 1, 1e-9);
    /* a target that is not positive cannot be judged relatively */
    wp_error err = {0};
    double yz[4] = {3, 0, 7, 9};
    CHECK(wp_nnls_relative_fit(X, yz, 4, 2, w, &b, &err) != 0);
    CHECK_CONTAINS(err.msg, "row 2");
    double yn[4] = {3, 5, NAN, 9};
    CHECK(wp_nnls_relative_fit(X, yn, 4, 2, w, &b, &err) != 0);
    CHECK(wp_nnls_relative_fit(X, y, 0, 2, w, &b, &err) != 0);
}

int main(void)
{
    test_poly_order();
    test_scalers();
    test_kfold();
    test_lasso();
    test_custom_folds();
    test_nnls_exact();
    test_nnls_against_subsets();
    test_nnls_constant_and_bad();
    return test_summary();
}
