/* The numerical core of NeuralPower-style models: design matrices
 * (polynomial terms in scikit-learn's PolynomialFeatures order, log1p,
 * "special" product terms), scalers exactly as scikit-learn defines them,
 * and Lasso by cyclic coordinate descent with LassoCV's alpha grid, folds
 * and selection rule.
 *
 * Everything here reproduces scikit-learn 1.2's arithmetic step by step
 * (same update order, same stopping tests, same warm starts), so the chosen
 * alpha is the same and coefficients agree to the solver's tolerance. The
 * speed comes from working on the Gram matrix (built once per fold from
 * per-block partial Grams), not from a different algorithm.
 *
 * Matrices are row-major, n rows x p columns. */
#ifndef WATTPROF_REGRESSION_H
#define WATTPROF_REGRESSION_H

#include <stddef.h>

#include "wattprof/error.h"
#include "wattprof/progress.h"

/* ---- design matrix ---------------------------------------------------- */

#define WP_MAX_SPECIAL 16
#define WP_MAX_SPECIAL_LEN 16

/* One appended product term: the product of raw (un-logged) input columns,
 * multiplied left to right as numpy's multiply.reduce does. */
typedef struct wp_special_term {
    int n;
    int idx[WP_MAX_SPECIAL_LEN];
} wp_special_term;

typedef struct wp_design {
    int n_in;   /* raw input columns */
    int degree; /* polynomial degree >= 1; bias column always included */
    int log1p;  /* polynomial terms are built from log1p(x) */
    int n_special;
    wp_special_term special[WP_MAX_SPECIAL];
} wp_design;

/* Number of polynomial columns (bias included): C(n_in + degree, degree). */
size_t wp_poly_count(int n_in, int degree);
/* Total design columns: polynomial + special. */
size_t wp_design_width(const wp_design *d);
/* One design row from one raw row (n_in values). out holds
 * wp_design_width(d) values. */
void wp_design_row(const wp_design *d, const double *raw, double *out);
/* Index lists of the polynomial columns in PolynomialFeatures order:
 * column c is the product of inputs combo[c*degree + 0..deg(c)-1];
 * deg(c) given by *degs. Used to name columns. Caller frees both. */
int wp_poly_terms(int n_in, int degree, int **combos, int **degs, wp_error *err);

/* ---- scalers ----------------------------------------------------------- */

typedef enum wp_scaler_kind {
    WP_SCALER_NONE = 0,
    WP_SCALER_STANDARD, /* (x - mean) / population std; std ~ 0 -> 1 */
    WP_SCALER_ROBUST,   /* (x - median) / (q75 - q25), linear quantiles; 0 -> 1 */
    WP_SCALER_MINMAX    /* x * (1 / (max - min)) + (-min / (max - min)); 0 -> 1 */
} wp_scaler_kind;

const char *wp_scaler_name(wp_scaler_kind k);
/* -1 when name is not "none", "standard", "robust" or "minmax". */
int wp_scaler_from_name(const char *name);

typedef struct wp_scaler {
    wp_scaler_kind kind;
    size_t p;
    /* standard/robust: x' = (x - a) / b.  minmax: x' = x * b + a. */
    double *a;
    double *b;
} wp_scaler;

int wp_scaler_fit(wp_scaler *s, wp_scaler_kind kind, const double *X, size_t n, size_t p, wp_error *err);
void wp_scaler_apply(const wp_scaler *s, double *X, size_t n);
void wp_scaler_free(wp_scaler *s);

/* ---- Lasso ------------------------------------------------------------- */

typedef struct wp_lasso_options {
    int max_iter; /* 10000 */
    double tol;   /* 1e-4, scaled by ||y - mean(y)||^2 as scikit-learn does */
    int positive;
    int fit_intercept; /* centre X and y, intercept = ybar - xbar . w */
    int n_alphas;      /* 500 */
    double eps;        /* alpha_min / alpha_max = 1e-3 */
    int cv;            /* folds: contiguous, unshuffled (KFold) */
} wp_lasso_options;

void wp_lasso_options_init(wp_lasso_options *o);

/* Plain Lasso at one alpha from w = 0, as sklearn.linear_model.Lasso.fit:
 * minimises 1/(2n) ||y - Xw - b||^2 + alpha ||w||_1. coef has p values.
 * n_iter (may be NULL) gets the iterations used. */
int wp_lasso_fit(const double *X, const double *y, size_t n, size_t p, double alpha, const wp_lasso_options *o,
                 double *coef, double *intercept, int *n_iter, wp_error *err);

/* alpha_max = max_j |x_j . y| / n on centred data (the smallest alpha that
 * zeroes every coefficient), then n_alphas values alpha_max * 10^(-3 k /
 * (n_alphas - 1)) computed as numpy.logspace does. */
void wp_alpha_grid(const double *X, const double *y, size_t n, size_t p, const wp_lasso_options *o, double *alphas);

typedef struct wp_lasso_cv_result {
    int n_alphas;
    double *alphas;   /* descending */
    double *mse_mean; /* mean over folds of the held-out MSE, per alpha */
    int best;         /* index of the first minimum of mse_mean */
    double alpha;     /* alphas[best] */
    double *coef;     /* p coefficients of the refit on all rows */
    double intercept;
    int n_iter; /* iterations of the refit */
} wp_lasso_cv_result;

/* LassoCV: alpha grid on all rows, K contiguous folds, warm-started path
 * per fold, first minimum of the mean MSE, refit at that alpha on all rows.
 * fold_of (may be NULL) assigns rows to folds 0..n_folds-1 instead of KFold
 * (n_folds is then taken from it, not from o->cv). */
int wp_lasso_cv(const double *X, const double *y, size_t n, size_t p, const wp_lasso_options *o, const int *fold_of,
                int n_folds, wp_lasso_cv_result *res, const wp_progress *prog, wp_error *err);
void wp_lasso_cv_result_free(wp_lasso_cv_result *r);

/* ---- non-negative least squares, relative error ------------------------ */

/* The additive cost model's fit: minimises sum_i ((b + X_i . w - y_i) /
 * y_i)^2, the squared relative error itself, over w >= 0 and b >= 0
 * (Lawson-Hanson active set on the rows divided by y). Every y must be
 * positive. A column constant over the rows (the polynomial bias) gets
 * w = 0: the intercept b is its term. So a prediction is a sum of
 * non-negative costs, one per unit of work, plus a fixed overhead: never
 * negative, and linear in the work far outside the training data, as
 * runtime is. At most 63 varying columns. */
int wp_nnls_relative_fit(const double *X, const double *y, size_t n, size_t p, double *coef, double *intercept,
                         wp_error *err);

/* KFold(k) fold of row i among n (the first n % k folds get one extra). */
int wp_kfold_of(size_t i, size_t n, int k);

#endif
