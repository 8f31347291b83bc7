/* `wattprof train`: the dataset CSVs -> six fitted pipelines -> model files.
 *
 * Same method as the original (its Trainer/ModelBuilder): rows of the test
 * networks are held out, transforms and scaler are fitted on the training
 * rows only, LassoCV picks alpha with its own folds on those rows. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"
#include "wattprof/fsutil.h"
#include "wattprof/layout.h"
#include "wattprof/model.h"

#include "model/model_internal.h"

#define MICROWATTS_IN_WATTS 1e6

typedef struct kind_data {
    wp_layer_kind kind;
    int n_cols; /* union of the two pipelines' features */
    char cols[2 * WP_MODEL_MAX_FEATURES][WP_NAME_MAX];
    size_t n, cap;
    double *raw;       /* n x n_cols */
    double *target[2]; /* power (W), runtime (ms) */
    int *model;        /* index into the model list */
    int *is_test;
    int files;
} kind_data;

static int grow(kind_data *k)
{
    if (k->n < k->cap)
        return 0;
    size_t nc = k->cap ? k->cap * 2 : 256;
    double *r = realloc(k->raw, nc * (size_t)k->n_cols * sizeof *r);
    if (!r)
        return -1;
    k->raw = r;
    for (int t = 0; t < 2; t++) {
        double *q = realloc(k->target[t], nc * sizeof *q);
        if (!q)
            return -1;
        k->target[t] = q;
    }
    int *m = realloc(k->model, nc * sizeof *m), *it;
    if (!m)
        return -1;
    k->model = m;
    it = realloc(k->is_test, nc * sizeof *it);
    if (!it)
        return -1;
    k->is_test = it;
    k->cap = nc;
    return 0;
}

/* The devices the rows were measured on, and where each was first seen. */
typedef struct device_set {
    char **name, **where;
    size_t n;
    int allow_mixed;
    /* what the rows say of the device beyond its name (the device_facts
     * columns, 0: unknown): the value, where it was first seen; mixed: two
     * differed (allowed), so the models record none */
    double fact[2];
    char fact_where[2][WP_ERROR_MAX / 2];
    int fact_mixed[2];
} device_set;

/* The device's cache (the network placed against it) and channel block
 * (convolutions' channels rounded up to it): the models keep both for
 * predict, so one training set must have one of each. */
static const char *const device_facts[2] = {"cache_bytes", "channel_block"};
static const char *const device_facts_differ[2] = {"different caches", "different channel blocks"};

static int fact_seen(device_set *ds, int f, double value, const char *path, long line, wp_error *err)
{
    if (value <= 0 || value == ds->fact[f])
        return 0;
    if (ds->fact[f] <= 0) {
        ds->fact[f] = value;
        snprintf(ds->fact_where[f], sizeof ds->fact_where[f], "%s:%ld", path, line);
        return 0;
    }
    if (!ds->allow_mixed)
        return wp_fail(err, path, line,
                       "%s %.0f here but %.0f in %s: measured on devices with %s "
                       "(--allow-mixed-devices to train on both)",
                       device_facts[f], value, ds->fact[f], ds->fact_where[f], device_facts_differ[f]);
    ds->fact_mixed[f] = 1;
    return 0;
}

static int device_seen(device_set *ds, const char *device, const char *path, long line, wp_error *err)
{
    if (!*device)
        return 0; /* unknown: no conflict */
    for (size_t i = 0; i < ds->n; i++)
        if (strcmp(ds->name[i], device) == 0)
            return 0;
    if (ds->n > 0 && !ds->allow_mixed)
        return wp_fail(err, path, line,
                       "device '%s' here but '%s' in %s: a model of one device's power and runtime says nothing "
                       "of another's (--allow-mixed-devices to train on both)",
                       device, ds->name[0], ds->where[0]);
    char **nn = realloc(ds->name, (ds->n + 1) * sizeof *nn);
    if (!nn)
        return wp_fail(err, path, line, "out of memory");
    ds->name = nn;
    char **nw = realloc(ds->where, (ds->n + 1) * sizeof *nw);
    if (!nw)
        return wp_fail(err, path, line, "out of memory");
    ds->where = nw;
    size_t wl = strlen(path) + 32;
    ds->name[ds->n] = strdup(device);
    ds->where[ds->n] = malloc(wl);
    if (!ds->name[ds->n] || !ds->where[ds->n]) {
        free(ds->name[ds->n]);
        free(ds->where[ds->n]);
        return wp_fail(err, path, line, "out of memory");
    }
    snprintf(ds->where[ds->n], wl, "%s:%ld", path, line);
    ds->n++;
    return 0;
}

static int read_csv(const char *path, kind_data *k, int model, int is_test, device_set *devs, wp_error *err)
{
    wp_csv_reader r;
    if (wp_csv_open(&r, path, err))
        return -1;
    int col[2 * WP_MODEL_MAX_FEATURES], cp, ct, rc = -1;
    int cdev = wp_csv_column(&r, "device"); /* wattprof's, absent from older files */
    int cfact[2] = {wp_csv_column(&r, device_facts[0]), wp_csv_column(&r, device_facts[1])};
    /* A CSV of the original's has only its columns: derive the rest from
     * them (wp_features_from_upstream). */
    wp_layer_kind kind = k->kind;
    size_t nu = wp_feature_upstream_count(kind), nf = 0;
    const char *const *names = wp_feature_names(kind, &nf);
    int ucol[WP_FEATURE_MAX], derive = 0;
    for (int c = 0; c < k->n_cols; c++)
        if ((col[c] = wp_csv_column(&r, k->cols[c])) < 0)
            derive = 1;
    /* the kinds beyond the original's three have no original columns to
     * derive from, except the moved bytes, which are the bytes of a layer
     * that is not a view; any other missing column (view) is one a newer
     * dataset writes */
    int moved_src[2 * WP_MODEL_MAX_FEATURES], cview = nu == 0 ? wp_csv_column(&r, "view") : -1;
    double constant[2 * WP_MODEL_MAX_FEATURES];
    for (int c = 0; c < k->n_cols; c++) {
        moved_src[c] = -1;
        /* a dataset from before the network context: nothing said the
         * network fitted in a cache or what the device's channel block
         * was or how many layers the network ran (wp_feature_context) */
        constant[c] = strcmp(k->cols[c], "cold_start") == 0 || strcmp(k->cols[c], "crowding") == 0 ? 1
                      : strcmp(k->cols[c], "network_bytes") == 0 || strcmp(k->cols[c], "cache_bytes") == 0 ||
                              strcmp(k->cols[c], "channel_block") == 0 || strcmp(k->cols[c], "network_layers") == 0
                          ? 0
                          : NAN;
    }
    for (int c = 0; derive && c < k->n_cols; c++) {
        /* a dataset from before the cache-resident placement: every network
         * streamed its weights (none fitted, or the cache was unknown) */
        if (col[c] < 0 && nu > 0 && strcmp(k->cols[c], "cache_read_bytes") == 0)
            moved_src[c] = wp_csv_column(&r, "in_bytes");
        else if (col[c] < 0 && nu > 0 && strcmp(k->cols[c], "memory_read_bytes") == 0)
            moved_src[c] = wp_csv_column(&r, "weight_bytes");
        /* ... and before the channel block: the block unknown, no padding */
        else if (col[c] < 0 && nu > 0 && strcmp(k->cols[c], "padded_macs") == 0)
            moved_src[c] = wp_csv_column(&r, "macs");
        else if (col[c] < 0 && nu > 0 && strcmp(k->cols[c], "padded_taps") == 0)
            moved_src[c] = wp_csv_column(&r, "taps");
        else if (col[c] < 0 && cview >= 0 && strcmp(k->cols[c], "moved_in_bytes") == 0)
            moved_src[c] = wp_csv_column(&r, "in_bytes");
        else if (col[c] < 0 && cview >= 0 && strcmp(k->cols[c], "moved_out_bytes") == 0)
            moved_src[c] = wp_csv_column(&r, "out_bytes");
        if (nu == 0 && col[c] < 0 && moved_src[c] < 0 && isnan(constant[c])) {
            wp_fail(err, path, 1, "missing column '%s' (written by `wattprof dataset` of this version: rerun it)",
                    k->cols[c]);
            goto out;
        }
    }
    if (derive && nu > 0) {
        for (size_t u = 0; u < nu; u++)
            if ((ucol[u] = wp_csv_column(&r, names[u])) < 0) {
                for (int c = 0; c < k->n_cols; c++)
                    if (col[c] < 0) {
                        wp_fail(err, path, 1, "missing column '%s' (and it cannot be derived: no column '%s')",
                                k->cols[c], names[u]);
                        goto out;
                    }
            }
    }
    if ((cp = wp_csv_require(&r, "power", err)) < 0 || (ct = wp_csv_require(&r, "runtime", err)) < 0)
        goto out;
    int st;
    while ((st = wp_csv_next(&r, err)) == 1) {
        if (grow(k)) {
            wp_fail(err, path, r.line, "out of memory");
            goto out;
        }
        double *row = k->raw + k->n * (size_t)k->n_cols;
        wp_feature_row full;
        if (derive && nu > 0) {
            double up[WP_FEATURE_MAX];
            for (size_t u = 0; u < nu; u++)
                if (wp_csv_double(&r, ucol[u], 0, &up[u], err))
                    goto out;
            if (wp_features_from_upstream(kind, up, &full)) {
                wp_fail(err, path, r.line, "negative or non-finite feature value");
                goto out;
            }
        }
        for (int c = 0; c < k->n_cols; c++) {
            if (col[c] >= 0) {
                if (wp_csv_double(&r, col[c], 0, &row[c], err))
                    goto out;
            } else if (!isnan(constant[c])) {
                row[c] = constant[c];
            } else if (moved_src[c] >= 0) {
                double bytes, view = 0;
                if (wp_csv_double(&r, moved_src[c], 0, &bytes, err) ||
                    (cview >= 0 && wp_csv_double(&r, cview, 0, &view, err)))
                    goto out;
                row[c] = view != 0 ? 0.0 : bytes;
            } else {
                row[c] = wp_feature_get(&full, k->cols[c]);
            }
        }
        double p, t;
        /* power may be empty: data profiled without a sensor */
        if (wp_csv_double(&r, cp, 1, &p, err) || wp_csv_double(&r, ct, 0, &t, err))
            goto out;
        if (cdev >= 0 && device_seen(devs, r.fields[cdev], path, r.line, err))
            goto out;
        for (int f = 0; f < 2; f++) {
            double v = 0;
            if (cfact[f] >= 0 && (wp_csv_double(&r, cfact[f], 0, &v, err) || fact_seen(devs, f, v, path, r.line, err)))
                goto out;
        }
        k->target[0][k->n] = p / MICROWATTS_IN_WATTS;
        k->target[1][k->n] = t;
        k->model[k->n] = model;
        k->is_test[k->n] = is_test;
        k->n++;
    }
    if (st < 0)
        goto out;
    rc = 0;
out:
    wp_csv_free(&r);
    return rc;
}

static void add_col(kind_data *k, const char *name)
{
    for (int c = 0; c < k->n_cols; c++)
        if (strcmp(k->cols[c], name) == 0)
            return;
    snprintf(k->cols[k->n_cols++], WP_NAME_MAX, "%s", name);
}

static int col_of(const kind_data *k, const char *name)
{
    for (int c = 0; c < k->n_cols; c++)
        if (strcmp(k->cols[c], name) == 0)
            return c;
    return -1;
}

typedef struct prog_wrap {
    const wp_progress *outer;
    int index;
    char stage[96];
} prog_wrap;

static void prog_fn(void *ctx, const char *stage, double done, double total)
{
    prog_wrap *w = ctx;
    snprintf(w->stage, sizeof w->stage, "%s: %s", wp_pipeline_name(w->index), stage);
    wp_progress_report(w->outer, w->stage, w->index + (total > 0 ? done / total : 0), WP_N_PIPELINES);
}

/* Design matrix of the selected rows for a pipeline. */
static double *design_rows(const kind_data *k, const wp_pipeline_config *cfg, const wp_design *d, const size_t *sel,
                           size_t ns)
{
    size_t p = wp_design_width(d);
    double *X = malloc((ns * p > 0 ? ns * p : 1) * sizeof *X);
    int map[WP_MODEL_MAX_FEATURES];
    for (int f = 0; f < cfg->n_features; f++)
        map[f] = col_of(k, cfg->features[f]);
    double raw[WP_MODEL_MAX_FEATURES];
    for (size_t i = 0; X && i < ns; i++) {
        const double *src = k->raw + sel[i] * (size_t)k->n_cols;
        for (int f = 0; f < cfg->n_features; f++)
            raw[f] = src[map[f]];
        wp_design_row(d, raw, X + i * p);
    }
    return X;
}

static double predict_row(const double *row, const double *coef, double b, size_t p)
{
    double s = 0;
    for (size_t j = 0; j < p; j++)
        s += row[j] * coef[j];
    return s + b;
}

/* What the regression fits, and back. */
static double fit_y(const wp_pipeline_config *cfg, double y)
{
    return cfg->log_target ? log(y) : y;
}

static double from_fit(const wp_pipeline_config *cfg, double v)
{
    return cfg->log_target ? exp(v) : v;
}

/* Coefficients on designed (and scaled) rows, by the pipeline's method;
 * alpha is Lasso's. */
static int fit_coef(const wp_pipeline_config *cfg, const double *X, const double *y, size_t n, size_t p, double alpha,
                    double *coef, double *b0, int *n_iter, wp_error *err)
{
    if (cfg->fit == WP_FIT_NNLS_RELATIVE) {
        if (n_iter)
            *n_iter = 0;
        return wp_nnls_relative_fit(X, y, n, p, coef, b0, err);
    }
    return wp_lasso_fit(X, y, n, p, alpha, &cfg->lasso, coef, b0, n_iter, err);
}

/* Residuals are judged as ratios for a log target and for the additive
 * model (both fitted for relative error). */
static int ratio_residuals(const wp_pipeline_config *cfg)
{
    return cfg->log_target || cfg->fit == WP_FIT_NNLS_RELATIVE;
}

void wp_train_options_init(wp_train_options *o)
{
    memset(o, 0, sizeof *o);
}

void wp_train_report_free(wp_train_report *rep)
{
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        for (size_t j = 0; j < rep->pipe[i].n_lono; j++)
            free(rep->pipe[i].lono_models[j].model);
        free(rep->pipe[i].lono_models);
    }
    for (size_t i = 0; i < rep->n_devices; i++)
        free(rep->devices[i]);
    free(rep->devices);
    memset(rep, 0, sizeof *rep);
}

/* Leave-one-network-out: for each training network, transforms and scaler
 * fitted on the other networks, Lasso at the alpha chosen on all of them,
 * predictions for the held-out network. */
static int lono(const kind_data *k, const wp_pipeline_config *cfg, const wp_design *d, const size_t *tr, size_t ntr,
                double alpha, char **models, size_t n_models, wp_train_pipeline_report *pr, wp_error *err)
{
    size_t p = wp_design_width(d);
    double *yall = malloc((ntr ? ntr : 1) * sizeof *yall), *pall = malloc((ntr ? ntr : 1) * sizeof *pall);
    size_t *a = malloc((ntr ? ntr : 1) * sizeof *a), *b = malloc((ntr ? ntr : 1) * sizeof *b);
    double *coef = malloc(p * sizeof *coef);
    pr->lono_models = calloc(n_models, sizeof *pr->lono_models);
    int rc = -1;
    size_t nall = 0;
    if (!yall || !pall || !a || !b || !coef || !pr->lono_models) {
        wp_fail(err, NULL, 0, "out of memory");
        goto out;
    }
    for (size_t g = 0; g < n_models; g++) {
        size_t na = 0, nb = 0;
        for (size_t i = 0; i < ntr; i++) {
            if (k->model[tr[i]] == (int)g)
                b[nb++] = tr[i];
            else
                a[na++] = tr[i];
        }
        if (nb == 0 || na == 0)
            continue;
        double *Xa = design_rows(k, cfg, d, a, na), *Xb = design_rows(k, cfg, d, b, nb), *ya = malloc(na * sizeof *ya);
        wp_scaler sc = {0};
        double b0 = 0;
        int bad = !Xa || !Xb || !ya || wp_scaler_fit(&sc, cfg->scaler, Xa, na, p, err);
        if (!bad) {
            wp_scaler_apply(&sc, Xa, na);
            wp_scaler_apply(&sc, Xb, nb);
            for (size_t i = 0; i < na; i++)
                ya[i] = fit_y(cfg, k->target[cfg->target][a[i]]);
            bad = fit_coef(cfg, Xa, ya, na, p, alpha, coef, &b0, NULL, err) != 0;
        }
        if (!bad) {
            double *yb = yall + nall, *pb = pall + nall;
            for (size_t i = 0; i < nb; i++) {
                yb[i] = k->target[cfg->target][b[i]];
                pb[i] = from_fit(cfg, predict_row(Xb + i * p, coef, b0, p));
            }
            wp_metrics mm;
            wp_metrics_compute(yb, pb, nb, &mm);
            wp_lono_entry *e = &pr->lono_models[pr->n_lono++];
            e->model = strdup(models[g]);
            e->rows = nb;
            e->rmspe = mm.rmspe;
            nall += nb;
        }
        free(Xa);
        free(Xb);
        free(ya);
        wp_scaler_free(&sc);
        if (bad)
            goto out;
    }
    wp_metrics_compute(yall, pall, nall, &pr->lono);
    rc = 0;
out:
    free(yall);
    free(pall);
    free(a);
    free(b);
    free(coef);
    return rc;
}

/* Rows of a pipeline: training and test rows; with a log target or the
 * additive model, rows whose target is not positive are left out (counted). */
typedef struct row_sets {
    size_t *tr, *te, ntr, nte, dropped;
    int *fold_of; /* per training row; NULL: KFold (the original's) */
    int K, by_network;
} row_sets;

static void row_sets_free(row_sets *r)
{
    free(r->tr);
    free(r->te);
    free(r->fold_of);
    memset(r, 0, sizeof *r);
}

/* Everything that can fail before any training: empty sets, too few rows
 * or networks for the folds. */
static int plan_rows(const kind_data *k, const wp_pipeline_config *cfg, const char *data_dir, int index, row_sets *rs,
                     wp_error *err)
{
    memset(rs, 0, sizeof *rs);
    rs->tr = malloc((k->n ? k->n : 1) * sizeof *rs->tr);
    rs->te = malloc((k->n ? k->n : 1) * sizeof *rs->te);
    rs->fold_of = malloc((k->n ? k->n : 1) * sizeof *rs->fold_of);
    if (!rs->tr || !rs->te || !rs->fold_of)
        return wp_fail(err, NULL, 0, "out of memory");
    for (size_t i = 0; i < k->n; i++) {
        double y = k->target[cfg->target][i];
        if (!isfinite(y) || (ratio_residuals(cfg) && !(y > 0))) {
            rs->dropped++;
            continue;
        }
        if (k->is_test[i])
            rs->te[rs->nte++] = i;
        else
            rs->tr[rs->ntr++] = i;
    }
    if (rs->ntr == 0)
        return wp_fail(err, data_dir, 0, "%s: empty training set: all %zu rows belong to the test models%s",
                       wp_pipeline_name(index), k->n, rs->dropped ? " or have a target <= 0" : "");
    if (cfg->cv_by_network) {
        /* networks in order of first appearance; fold = rank mod K */
        int *rank = malloc((k->n ? k->n : 1) * sizeof *rank), nn = 0, maxm = 0;
        for (size_t i = 0; i < k->n; i++)
            if (k->model[i] > maxm)
                maxm = k->model[i];
        int *seen = rank ? malloc(((size_t)maxm + 1) * sizeof *seen) : NULL;
        if (!rank || !seen) {
            free(rank);
            free(seen);
            return wp_fail(err, NULL, 0, "out of memory");
        }
        for (int g = 0; g <= maxm; g++)
            seen[g] = -1;
        for (size_t i = 0; i < rs->ntr; i++) {
            int g = k->model[rs->tr[i]];
            if (seen[g] < 0)
                seen[g] = nn++;
            rank[i] = seen[g];
        }
        if (nn >= 3) {
            rs->K = nn < cfg->lasso.cv ? nn : cfg->lasso.cv;
            rs->by_network = 1;
            for (size_t i = 0; i < rs->ntr; i++)
                rs->fold_of[i] = rank[i] % rs->K;
        }
        free(rank);
        free(seen);
        if (rs->by_network)
            return 0;
    }
    free(rs->fold_of);
    rs->fold_of = NULL;
    rs->K = cfg->lasso.cv;
    if ((size_t)rs->K > rs->ntr)
        return wp_fail(err, data_dir, 0, "%s: %zu training rows cannot make %d cross-validation folds",
                       wp_pipeline_name(index), rs->ntr, rs->K);
    return 0;
}

static int fold_of_row(const row_sets *rs, size_t i)
{
    return rs->fold_of ? rs->fold_of[i] : wp_kfold_of(i, rs->ntr, rs->K);
}

/* One candidate fitted: design, scaler and LassoCV on the training rows,
 * then held-out predictions (original units) of every training row from
 * the fold that left it out, at the chosen alpha. */
static int fit_candidate(const kind_data *k, const wp_pipeline_config *cfg, const row_sets *rs, const wp_progress *prog,
                         int index, wp_model *m, double *cvpred, wp_error *err)
{
    memset(m, 0, sizeof *m);
    m->format_version = WP_MODEL_FORMAT_VERSION;
    m->cfg = *cfg;
    if (wp_pipeline_design(cfg, &m->design, err))
        return -1;
    size_t p = m->p = wp_design_width(&m->design), ntr = rs->ntr;
    double *Xtr = design_rows(k, cfg, &m->design, rs->tr, ntr), *ytr = malloc(ntr * sizeof *ytr);
    size_t *a = malloc(ntr * sizeof *a), *b = malloc(ntr * sizeof *b);
    double *coef = malloc(p * sizeof *coef), *ya = malloc(ntr * sizeof *ya);
    wp_lasso_cv_result res = {0};
    int rc = -1;
    if (!Xtr || !ytr || !a || !b || !coef || !ya) {
        wp_fail(err, NULL, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ntr; i++)
        ytr[i] = fit_y(cfg, k->target[cfg->target][rs->tr[i]]);
    for (size_t i = 0; i < ntr * p; i++)
        if (!isfinite(Xtr[i])) {
            wp_fail(err, NULL, 0, "%s: a design term is not finite (log1p of a value <= -1, or overflow)",
                    wp_pipeline_name(index));
            goto out;
        }
    if (wp_scaler_fit(&m->scaler, cfg->scaler, Xtr, ntr, p, err))
        goto out;
    wp_scaler_apply(&m->scaler, Xtr, ntr);
    if (cfg->fit == WP_FIT_NNLS_RELATIVE) {
        /* no hyperparameter: the folds below only judge it */
        if (!(m->coef = malloc(p * sizeof *m->coef))) {
            wp_fail(err, NULL, 0, "out of memory");
            goto out;
        }
        if (fit_coef(cfg, Xtr, ytr, ntr, p, 0, m->coef, &m->intercept, &m->n_iter, err))
            goto out;
    } else {
        prog_wrap pw = {prog, index, ""};
        wp_progress inner = {prog_fn, &pw};
        if (wp_lasso_cv(Xtr, ytr, ntr, p, &cfg->lasso, rs->fold_of, rs->K, &res, &inner, err))
            goto out;
        m->coef = res.coef;
        res.coef = NULL;
        m->intercept = res.intercept;
        m->alpha = res.alpha;
        m->n_iter = res.n_iter;
    }
    /* held-out predictions: transforms and scaler refitted without the fold */
    for (int f = 0; f < rs->K; f++) {
        size_t na = 0, nb = 0;
        for (size_t i = 0; i < ntr; i++) {
            if (fold_of_row(rs, i) == f)
                b[nb++] = i;
            else
                a[na++] = i;
        }
        if (nb == 0 || na == 0)
            continue;
        size_t *ra = malloc(na * sizeof *ra), *rb = malloc(nb * sizeof *rb);
        for (size_t i = 0; ra && i < na; i++)
            ra[i] = rs->tr[a[i]];
        for (size_t i = 0; rb && i < nb; i++)
            rb[i] = rs->tr[b[i]];
        double *Xa = ra ? design_rows(k, cfg, &m->design, ra, na) : NULL;
        double *Xb = rb ? design_rows(k, cfg, &m->design, rb, nb) : NULL;
        wp_scaler sc = {0};
        double b0 = 0;
        int bad = !ra || !rb || !Xa || !Xb;
        if (bad)
            wp_fail(err, NULL, 0, "out of memory");
        else
            bad = wp_scaler_fit(&sc, cfg->scaler, Xa, na, p, err) != 0;
        if (!bad) {
            wp_scaler_apply(&sc, Xa, na);
            wp_scaler_apply(&sc, Xb, nb);
            for (size_t i = 0; i < na; i++)
                ya[i] = ytr[a[i]];
            bad = fit_coef(cfg, Xa, ya, na, p, m->alpha, coef, &b0, NULL, err) != 0;
        }
        for (size_t i = 0; !bad && i < nb; i++)
            cvpred[b[i]] = from_fit(cfg, predict_row(Xb + i * p, coef, b0, p));
        free(ra);
        free(rb);
        free(Xa);
        free(Xb);
        wp_scaler_free(&sc);
        if (bad)
            goto out;
    }
    rc = 0;
out:
    wp_lasso_cv_result_free(&res);
    free(Xtr);
    free(ytr);
    free(a);
    free(b);
    free(coef);
    free(ya);
    if (rc)
        wp_model_free(m);
    return rc;
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* numpy's linear quantile of sorted v */
static double quantile_sorted(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (v[i + 1] - v[i]) * (pos - (double)i);
}

static int train_pipeline(const kind_data *k, const wp_pipeline_config *cfg, const row_sets *rs, const char *data_dir,
                          char **models, size_t n_models, int cv_by_model, const wp_progress *prog, int index,
                          wp_model *m, wp_train_pipeline_report *pr, wp_error *err)
{
    size_t ntr = rs->ntr, nte = rs->nte;
    double *Xte = NULL, *Xtr = NULL, *ytr = NULL, *yte = NULL, *ptr = NULL, *pte = NULL;
    double *cv = malloc(ntr * sizeof *cv), *cvbest = malloc(ntr * sizeof *cvbest);
    int rc = -1, have = 0;
    if (!cv || !cvbest)
        goto oom;
    /* degree: the candidate with the smallest cross-validated RMSPE (the
     * first on a tie); alpha within it by LassoCV on the fitted target */
    int nd = cfg->n_degrees > 1 ? cfg->n_degrees : 1;
    double best_rmspe = INFINITY;
    for (int c = 0; c < nd; c++) {
        wp_pipeline_config cc = *cfg;
        if (cfg->n_degrees > 1)
            cc.degree = cfg->degrees[c];
        wp_model cand;
        if (fit_candidate(k, &cc, rs, prog, index, &cand, cv, err))
            goto out;
        double *yy = malloc(ntr * sizeof *yy);
        if (!yy) {
            wp_model_free(&cand);
            goto oom;
        }
        for (size_t i = 0; i < ntr; i++)
            yy[i] = k->target[cfg->target][rs->tr[i]];
        wp_metrics cm;
        wp_metrics_compute(yy, cv, ntr, &cm);
        free(yy);
        double score = isfinite(cm.rmspe) ? cm.rmspe : INFINITY;
        if (!have || score < best_rmspe) {
            if (have)
                wp_model_free(m);
            *m = cand;
            best_rmspe = score;
            memcpy(cvbest, cv, ntr * sizeof *cv);
            have = 1;
        } else {
            wp_model_free(&cand);
        }
    }
    size_t p = m->p;
    Xtr = design_rows(k, &m->cfg, &m->design, rs->tr, ntr);
    Xte = design_rows(k, &m->cfg, &m->design, rs->te, nte);
    ytr = malloc(ntr * sizeof *ytr);
    yte = malloc((nte ? nte : 1) * sizeof *yte);
    ptr = malloc(ntr * sizeof *ptr);
    pte = malloc((nte ? nte : 1) * sizeof *pte);
    if (!Xtr || !Xte || !ytr || !yte || !ptr || !pte)
        goto oom;
    wp_scaler_apply(&m->scaler, Xtr, ntr);
    wp_scaler_apply(&m->scaler, Xte, nte);
    for (size_t i = 0; i < ntr; i++) {
        ytr[i] = k->target[cfg->target][rs->tr[i]];
        ptr[i] = from_fit(cfg, predict_row(Xtr + i * p, m->coef, m->intercept, p));
    }
    for (size_t i = 0; i < nte; i++) {
        yte[i] = k->target[cfg->target][rs->te[i]];
        pte[i] = from_fit(cfg, predict_row(Xte + i * p, m->coef, m->intercept, p));
    }
    wp_metrics_compute(ytr, ptr, ntr, &m->train);
    wp_metrics_compute(yte, pte, nte, &m->test);
    /* training ranges of the raw features */
    for (int f = 0; f < m->cfg.n_features; f++) {
        int c = col_of(k, m->cfg.features[f]);
        m->feat_min[f] = INFINITY;
        m->feat_max[f] = -INFINITY;
        for (size_t i = 0; i < ntr; i++) {
            double v = k->raw[rs->tr[i] * (size_t)k->n_cols + (size_t)c];
            m->feat_min[f] = fmin(m->feat_min[f], v);
            m->feat_max[f] = fmax(m->feat_max[f], v);
        }
    }
    m->have_range = 1;
    /* 90 % interval from the held-out residuals (ratios for a log target) */
    {
        size_t nr = 0;
        for (size_t i = 0; i < ntr; i++) {
            double r = ratio_residuals(cfg) ? log(ytr[i] / cvbest[i]) : ytr[i] - cvbest[i];
            if (isfinite(r) && (!ratio_residuals(cfg) || cvbest[i] > 0))
                cv[nr++] = r;
        }
        if (nr >= 2) {
            qsort(cv, nr, sizeof *cv, cmp_dbl);
            m->iv_lo = quantile_sorted(cv, nr, 0.05);
            m->iv_hi = quantile_sorted(cv, nr, 0.95);
            m->cv_rmspe = best_rmspe;
            m->have_interval = isfinite(best_rmspe);
            m->iv_ratio = ratio_residuals(cfg);
        }
    }
    pr->trained = 1;
    pr->train_rows = m->train_rows = ntr;
    pr->test_rows = m->test_rows = nte;
    pr->dropped = rs->dropped;
    pr->n_terms = p;
    pr->alpha = m->alpha;
    pr->degree = m->cfg.degree;
    pr->fit = m->cfg.fit;
    pr->folds = rs->K;
    pr->folds_by_network = rs->by_network;
    pr->cv_rmspe = isfinite(best_rmspe) ? best_rmspe : NAN;
    for (size_t j = 0; j < p; j++)
        pr->nonzero += m->coef[j] != 0.0;
    pr->train = m->train;
    pr->test = m->test;
    m->data_dir = strdup(data_dir);
    m->train_models = calloc(n_models + 1, sizeof *m->train_models);
    m->test_models = calloc(n_models + 1, sizeof *m->test_models);
    if (!m->data_dir || !m->train_models || !m->test_models)
        goto oom;
    for (size_t g = 0; g < n_models; g++) {
        int seen_tr = 0, seen_te = 0;
        for (size_t i = 0; i < k->n; i++)
            if (k->model[i] == (int)g) {
                if (k->is_test[i])
                    seen_te = 1;
                else
                    seen_tr = 1;
            }
        if (seen_tr)
            m->train_models[m->n_train_models++] = strdup(models[g]);
        if (seen_te)
            m->test_models[m->n_test_models++] = strdup(models[g]);
    }
    if (cv_by_model) {
        if (lono(k, &m->cfg, &m->design, rs->tr, ntr, m->alpha, models, n_models, pr, err))
            goto out;
        m->lono = pr->lono;
    }
    rc = 0;
    goto out;
oom:
    wp_fail(err, NULL, 0, "out of memory");
out:
    free(cv);
    free(cvbest);
    free(Xtr);
    free(Xte);
    free(ytr);
    free(yte);
    free(ptr);
    free(pte);
    return rc;
}

static json_t *metrics_doc(const wp_train_report *rep)
{
    json_t *pipes = json_object();
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        const wp_train_pipeline_report *p = &rep->pipe[i];
        if (!p->trained)
            continue;
        json_t *o = json_pack("{s:I,s:I,s:f,s:I,s:I,s:o,s:o}", "train_rows", (json_int_t)p->train_rows, "test_rows",
                              (json_int_t)p->test_rows, "alpha", p->alpha, "terms", (json_int_t)p->n_terms,
                              "nonzero_coefficients", (json_int_t)p->nonzero, "train", wp__metrics_json(&p->train),
                              "test", wp__metrics_json(&p->test));
        if (p->n_lono) {
            json_t *l = wp__metrics_json(&p->lono), *per = json_array();
            for (size_t j = 0; j < p->n_lono; j++)
                json_array_append_new(
                    per,
                    json_pack("{s:s,s:I,s:o}", "model", p->lono_models[j].model, "rows",
                              (json_int_t)p->lono_models[j].rows, "rmspe",
                              isfinite(p->lono_models[j].rmspe) ? json_real(p->lono_models[j].rmspe) : json_null()));
            json_object_set_new(l, "per_model", per);
            json_object_set_new(o, "leave_one_network_out", l);
        }
        json_object_set_new(o, "degree", json_integer(p->degree));
        json_object_set_new(o, "folds", json_integer(p->folds));
        json_object_set_new(o, "folds_by_network", json_boolean(p->folds_by_network));
        json_object_set_new(o, "cv_rmspe", isfinite(p->cv_rmspe) ? json_real(p->cv_rmspe) : json_null());
        json_object_set_new(o, "rows_left_out_target_not_positive", json_integer((json_int_t)p->dropped));
        json_object_set_new(pipes, wp_pipeline_name(i), o);
    }
    return json_pack("{s:s,s:i,s:o}", "format", "wattprof-metrics", "format_version", WP_MODEL_FORMAT_VERSION,
                     "pipelines", pipes);
}

/* Both the models' and metrics' file names are in the set; metrics.json is
 * always produced, so only model files can go stale. */
#define SET_MAX (WP_N_PIPELINES + 1)

static int write_failed(wp_error *err, const char *path)
{
    return wp_fail_errno(err, path, errno ? errno : EIO, "cannot write");
}

/* Two phases so a failure (disk full, a target that cannot be replaced)
 * is found while the previous set is still whole: every file is rendered,
 * every target checked, every temporary written and fsync()ed; only then
 * are they renamed, one after another. What remains is the window of those
 * renames (rename does not fail on a checked regular-file target in a
 * directory we just wrote to, short of a crash). */
static int write_set(const char *out_dir, const wp_model *built, wp_train_report *rep, wp_error *err)
{
    char *path[SET_MAX] = {0}, *text[SET_MAX] = {0};
    wp_atomic_file *af[SET_MAX] = {0};
    int n = 0, rc = -1;
    for (int i = 0; i <= WP_N_PIPELINES; i++) {
        if (i < WP_N_PIPELINES && !rep->pipe[i].trained)
            continue;
        if (!(path[n] = i < WP_N_PIPELINES ? wp_layout_model_file(out_dir, wp_pipeline_name(i), ".json")
                                           : wp_path_join(out_dir, WP_METRICS_JSON))) {
            wp_fail(err, NULL, 0, "out of memory");
            goto out;
        }
        if (i < WP_N_PIPELINES) {
            text[n] = wp_model_render(&built[i], path[n], err);
        } else {
            json_t *doc = metrics_doc(rep);
            char *t = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : NULL;
            json_decref(doc);
            text[n] = t ? realloc(t, strlen(t) + 2) : NULL;
            if (text[n]) {
                strcat(text[n], "\n");
            } else {
                free(t);
                wp_fail(err, path[n], 0, "out of memory");
            }
        }
        if (!text[n++])
            goto out;
    }
    if (wp_mkdirs(out_dir, err))
        goto out;
    for (int j = 0; j < n; j++) {
        struct stat st;
        if (lstat(path[j], &st) == 0 && !S_ISREG(st.st_mode)) {
            wp_fail(err, path[j], 0, "exists and is not a regular file; nothing written");
            goto out;
        }
    }
    for (int j = 0; j < n; j++) {
        if (!(af[j] = wp_atomic_open(path[j], err)))
            goto out;
        FILE *fp = wp_atomic_stream(af[j]);
        size_t L = strlen(text[j]);
        errno = 0;
        if (fwrite(text[j], 1, L, fp) != L || fflush(fp) != 0 || fsync(wp_atomic_fd(af[j])) != 0) {
            write_failed(err, path[j]);
            goto out;
        }
    }
    for (int j = 0; j < n; j++) {
        wp_atomic_file *a = af[j];
        af[j] = NULL;
        if (wp_atomic_commit(a, err))
            goto out;
    }
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        if (rep->pipe[i].trained)
            continue;
        char *p = wp_layout_model_file(out_dir, wp_pipeline_name(i), ".json");
        if (!p) {
            wp_fail(err, out_dir, 0, "out of memory");
            goto out;
        }
        struct stat st;
        int stale = lstat(p, &st) == 0 && S_ISREG(st.st_mode) ? wp_model_file_is_ours(p) ? 1 : -1 : 0;
        if (stale > 0 && unlink(p) != 0 && errno != ENOENT) {
            wp_fail_errno(err, p, errno, "cannot remove the stale model file");
            free(p);
            goto out;
        }
        free(p);
        if (stale)
            rep->stale[i] = stale;
    }
    rc = 0;
out:
    for (int j = 0; j < SET_MAX; j++) {
        wp_atomic_abort(af[j]);
        free(path[j]);
        free(text[j]);
    }
    return rc;
}

int wp_train_run(const wp_train_options *o, wp_train_report *rep, wp_error *err)
{
    memset(rep, 0, sizeof *rep);
    wp_train_config cfg;
    wp_train_config_init(&cfg);
    char **models = NULL;
    size_t n_models = 0;
    kind_data kd[WP_N_PIPELINES / 2];
    wp_model built[WP_N_PIPELINES];
    row_sets rs[WP_N_PIPELINES];
    memset(rs, 0, sizeof rs);
    memset(kd, 0, sizeof kd);
    memset(built, 0, sizeof built);
    device_set devs = {0};
    devs.allow_mixed = o->allow_mixed_devices;
    int rc = -1;
    static const char *const default_tests[] = {"lenet", "resnet18", "vgg16"};
    if (o->config_path && strcmp(o->config_path, "upstream") == 0) {
        wp_train_config_free(&cfg);
        wp_train_config_upstream(&cfg);
    } else if (o->config_path && wp_train_config_load(o->config_path, &cfg, err)) {
        goto out;
    }
    for (int i = 0; i < WP_N_PIPELINES; i++)
        if (o->cv > 0)
            cfg.pipe[i].lasso.cv = o->cv;
    if (wp_dir_list(o->data_dir, "data directory", wp_dir_keep_subdirs, NULL, &models, &n_models, err))
        goto out;
    int total_files = 0;
    for (int kk = 0; kk < WP_N_PIPELINES / 2; kk++) {
        kind_data *k = &kd[kk];
        wp_layer_kind kind = (wp_layer_kind)(WP_KIND_CONV + kk);
        k->kind = kind;
        /* a kind neither of whose pipelines is on is not read at all */
        if (!cfg.pipe[2 * kk].enabled && !cfg.pipe[2 * kk + 1].enabled)
            continue;
        for (int t = 0; t < 2; t++) {
            const wp_pipeline_config *pc = &cfg.pipe[wp_pipeline_index(kind, (wp_target)t)];
            for (int f = 0; f < pc->n_features; f++)
                add_col(k, pc->features[f]);
        }
        for (size_t g = 0; g < n_models; g++) {
            char *mdir = wp_path_join(o->data_dir, models[g]);
            char *path = mdir ? wp_layout_model_file(mdir, wp_layer_kind_name(kind), ".csv") : NULL;
            free(mdir);
            if (!path) {
                wp_fail(err, o->data_dir, 0, "out of memory");
                goto out;
            }
            struct stat st;
            if (stat(path, &st) != 0) {
                free(path);
                continue;
            }
            int is_test = 0;
            if (o->test_models) {
                for (size_t j = 0; j < o->n_test_models; j++)
                    is_test |= strcmp(o->test_models[j], models[g]) == 0;
            } else if (cfg.n_test_models >= 0) {
                for (int j = 0; j < cfg.n_test_models; j++)
                    is_test |= strcmp(cfg.test_models[j], models[g]) == 0;
            } else {
                for (int j = 0; j < 3; j++)
                    is_test |= strcmp(default_tests[j], models[g]) == 0;
            }
            wp_progress_report(&o->progress, "reading", 0, WP_N_PIPELINES);
            int bad = read_csv(path, k, (int)g, is_test, &devs, err);
            free(path);
            if (bad)
                goto out;
            k->files++;
            total_files++;
        }
    }
    if (total_files == 0) {
        wp_fail(err, o->data_dir, 0,
                "no training data: expected <model>/convolutional.csv, pooling.csv or dense.csv files");
        goto out;
    }
    for (int kk = 0; kk < WP_N_PIPELINES / 2; kk++)
        if (kd[kk].files && kd[kk].n == 0) {
            wp_fail(err, o->data_dir, 0, "empty training set: the %s.csv files hold no rows",
                    wp_layer_kind_name((wp_layer_kind)(WP_KIND_CONV + kk)));
            goto out;
        }
    /* Runtime-only data (profiled without a power sensor): no row of a
     * layer type has a power, so its power pipeline is skipped and said so. */
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        const kind_data *k = &kd[i / 2];
        if (!k->files || cfg.pipe[i].target != WP_TARGET_POWER)
            continue;
        int any = 0;
        for (size_t r = 0; r < k->n && !any; r++)
            any = isfinite(k->target[0][r]);
        rep->skipped_no_power[i] = !any;
    }
    /* every check that can fail runs before any (slow) training. The
     * original's three kinds must train; a kind beyond them with too few
     * rows or networks for its folds is skipped (both of its pipelines,
     * so predict never sees half a pair) and said so. */
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        if (!kd[i / 2].files || rep->skipped_no_power[i] || !cfg.pipe[i].enabled)
            continue;
        wp_error perr;
        int extra = i >= WP_N_UPSTREAM_PIPELINES;
        if (plan_rows(&kd[i / 2], &cfg.pipe[i], o->data_dir, i, &rs[i], extra ? &perr : err)) {
            if (!extra)
                goto out;
            rep->skipped_too_few[i & ~1] = rep->skipped_too_few[i | 1] = 1;
        }
    }
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        kind_data *k = &kd[i / 2];
        if (!k->files || rep->skipped_no_power[i] || !cfg.pipe[i].enabled || rep->skipped_too_few[i])
            continue;
        if (train_pipeline(k, &cfg.pipe[i], &rs[i], o->data_dir, models, n_models, o->cv_by_model, &o->progress, i,
                           &built[i], &rep->pipe[i], err))
            goto out;
    }
    /* predict places a new network against the cache the data was
     * measured with, and rounds its channels to that device's block
     * (wp_feature_context) */
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        built[i].cache_bytes = devs.fact_mixed[0] ? 0 : devs.fact[0];
        built[i].channel_block = devs.fact_mixed[1] ? 0 : devs.fact[1];
    }
    if (write_set(o->out_dir, built, rep, err))
        goto out;
    for (size_t g = 0; g < n_models; g++) {
        int te = 0, tr = 0;
        for (int kk = 0; kk < WP_N_PIPELINES / 2; kk++)
            for (size_t i = 0; i < kd[kk].n; i++)
                if (kd[kk].model[i] == (int)g) {
                    te |= kd[kk].is_test[i];
                    tr |= !kd[kk].is_test[i];
                }
        rep->n_train_models += tr;
        rep->n_test_models += te;
    }
    rc = 0;
out:
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        wp_model_free(&built[i]);
        row_sets_free(&rs[i]);
    }
    for (int kk = 0; kk < WP_N_PIPELINES / 2; kk++) {
        free(kd[kk].raw);
        free(kd[kk].target[0]);
        free(kd[kk].target[1]);
        free(kd[kk].model);
        free(kd[kk].is_test);
    }
    for (size_t g = 0; g < n_models; g++)
        free(models[g]);
    free(models);
    wp_train_config_free(&cfg);
    /* the report takes the names */
    rep->devices = devs.name;
    rep->n_devices = devs.n;
    for (size_t i = 0; i < devs.n; i++)
        free(devs.where[i]);
    free(devs.where);
    if (rc)
        wp_train_report_free(rep);
    return rc;
}
