/* regression: design rows, scalers, KFold, Lasso and LassoCV against values
 * scikit-learn 1.2.1 computed (the script is in the comments). */
#include <stdlib.h>

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

int main(void)
{
    test_poly_order();
    test_scalers();
    test_kfold();
    test_lasso();
    test_custom_folds();
    return test_summary();
}
