/* Model configuration, model files, metrics and prediction. */
#include "wattprof/model.h"

#include <errno.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"
#include "wattprof/layout.h"

#include "model/model_internal.h"

static const char *const pipeline_names[WP_N_PIPELINES] = {
    "convolutional_power", "convolutional_runtime", "pooling_power",         "pooling_runtime",  "dense_power",
    "dense_runtime",       "normalization_power",   "normalization_runtime", "activation_power", "activation_runtime",
    "elementwise_power",   "elementwise_runtime",   "reshape_power",         "reshape_runtime",  "softmax_power",
    "softmax_runtime",     "matmul_power",          "matmul_runtime"};

int wp_pipeline_index(wp_layer_kind kind, wp_target target)
{
    if (kind < WP_KIND_CONV || kind >= WP_N_KINDS)
        return -1;
    return ((int)kind - (int)WP_KIND_CONV) * 2 + (int)target;
}

const char *wp_pipeline_name(int index)
{
    return index >= 0 && index < WP_N_PIPELINES ? pipeline_names[index] : "?";
}

/* ---- configuration ------------------------------------------------------ */

static void set_special(wp_pipeline_config *c, const char *const *names)
{
    int s = c->n_special++;
    int n = 0;
    for (; names[n]; n++)
        snprintf(c->special[s][n], WP_NAME_MAX, "%s", names[n]);
    c->special_len[s] = n;
}

/* The kinds beyond conv/pooling/dense move data more than they compute:
 * their work is what they read and write (ops: the products of a matrix
 * multiply, else one per element), fitted as the other kinds are. */
static void extra_pipeline(wp_pipeline_config *p)
{
    static const char *const names[] = {"ops", "in_bytes", "weight_bytes", "out_bytes", "transcendental", "view"};
    p->n_features = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        snprintf(p->features[p->n_features++], WP_NAME_MAX, "%s", names[i]);
    p->n_special = 0;
    p->log1p = 1;
    p->log_target = 1;
    p->degree = 3;
    p->n_degrees = 3;
    for (int d = 0; d < 3; d++)
        p->degrees[d] = d + 1;
    p->scaler = WP_SCALER_STANDARD;
    wp_lasso_options_init(&p->lasso);
    p->lasso.positive = 0;
    p->cv_by_network = 1;
    p->fit = WP_FIT_LASSO;
}

void wp_train_config_upstream(wp_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->n_test_models = -1;
    static const char *const conv_in[] = {
        "input_size_0", "input_size_1", "input_size_2", "kernel_0", "kernel_1", "output_size_2", NULL};
    static const char *const conv_batch[] = {"input_size_0", "input_size_1",  "input_size_2", "kernel_0",
                                             "kernel_1",     "output_size_2", "batch_size",   NULL};
    static const char *const pool_in[] = {"batch_size", "input_size_0", "input_size_1", "input_size_2", NULL};
    static const char *const pool_out[] = {"batch_size", "output_size_0", "output_size_1", "output_size_2", NULL};
    static const char *const pool_ops[] = {
        "batch_size", "input_size_0", "input_size_1", "input_size_2", "kernel_0", "kernel_1", NULL};
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        wp_pipeline_config *p = &c->pipe[i];
        p->kind = (wp_layer_kind)(WP_KIND_CONV + i / 2);
        p->target = (wp_target)(i % 2);
        if (i >= WP_N_UPSTREAM_PIPELINES) {
            /* not the original's: off, unless a config file enables it */
            extra_pipeline(p);
            continue;
        }
        p->enabled = 1;
        size_t nf = 0;
        const char *const *names = wp_feature_names(p->kind, &nf);
        nf = wp_feature_upstream_count(p->kind);
        p->n_features = (int)nf;
        for (size_t j = 0; j < nf; j++)
            snprintf(p->features[j], WP_NAME_MAX, "%s", names[j]);
        p->degree = 3;
        p->scaler = WP_SCALER_STANDARD;
        wp_lasso_options_init(&p->lasso);
        p->lasso.positive = 1;
        if (p->kind == WP_KIND_CONV) {
            set_special(p, conv_in);
            set_special(p, conv_batch);
            p->log1p = p->target == WP_TARGET_POWER;
        } else if (p->kind == WP_KIND_POOL) {
            set_special(p, pool_in);
            set_special(p, pool_out);
            set_special(p, pool_ops);
            if (p->target == WP_TARGET_POWER)
                p->scaler = WP_SCALER_ROBUST;
            else
                p->lasso.positive = 0;
        }
    }
}

/* wattprof's configuration. Targets span 4-5 orders of magnitude and are
 * judged by relative error, so both families fit relative error: runtime
 * as a sum of non-negative costs (additive_pipeline), power in log space
 * on the logs of the work a layer does (log_pipeline: a power law in MACs
 * and bytes, degrees 2 and 3 letting the exponent bend); a network is one
 * fold, so choices are judged on networks not seen in training. Feature
 * sets: docs/training.md (measured). */
static void set_features(wp_pipeline_config *p, const char *const *names)
{
    p->n_features = 0;
    for (int i = 0; names[i]; i++)
        snprintf(p->features[p->n_features++], WP_NAME_MAX, "%s", names[i]);
}

/* The additive cost model (wp_nnls_relative_fit): runtime = overhead +
 * sum of non-negative costs per MAC, per op and per byte moved, fitted for
 * relative error. A log-space polynomial fits the middle of the data well
 * and bends wherever the data thins out: on real networks it predicted
 * VGG-16's large dense convolutions at 1.0-2.9x and LeNet's tiny layers at
 * up to 11x (docs/training.md). A sum of costs stays linear in the work
 * outside the data, as runtime is, and cannot go below its overhead. */
static void additive_pipeline(wp_pipeline_config *p)
{
    /* Weights read from cache cost what inputs do (the network fits in
     * the cache: dataset.h, wp_feature_context): the few networks that fit
     * are too few to learn a cost of their own from. The fixed overhead is
     * the intercept, plus cold_start's cost in a network too large for the
     * cache (its layers start cold); a training
     * set where every network is one or the other cannot tell them apart
     * (the fit leaves a constant column at 0), and predict flags a layer
     * of the other kind out of range. A convolution's MACs, output bytes
     * and window loops are counted with its output channels rounded up to
     * the device's block (padded_macs, padded_out_bytes, padded_taps:
     * macs, out_bytes and taps themselves where the block is unknown),
     * and its MACs cost more in a network that streams its weights
     * (padded_macs x cold_start): one that fits computes near the core's
     * peak (the CIFAR-10 net's 5x5 convolutions at 120-140 GMAC/s),
     * while the ImageNet networks' wait on memory between them (about
     * 105 on average); where the cache is unknown (cold_start 1
     * everywhere) the product is padded_macs again, a dependent column
     * the fit leaves at 0. A dense layer's overhead
     * also grows with the layers its network runs between two of its runs
     * (crowding, dataset_features.c); the other kinds' fits left that term
     * at 0 on the real networks, so only the dense model has it. */
    static const char *const conv[] = {
        "padded_macs", "padded_taps", "cache_read_bytes", "memory_read_bytes", "padded_out_bytes", "cold_start", NULL};
    static const char *const streamed_macs[] = {"padded_macs", "cold_start", NULL};
    static const char *const dense[] = {
        "macs", "cache_read_bytes", "memory_read_bytes", "out_bytes", "cold_start", "crowding", NULL};
    static const char *const pool[] = {"ops", "in_bytes", "out_bytes", "cold_start", NULL};
    /* a transcendental op (exp, erf) costs what a plain op does and more:
     * ops x transcendental is the extra */
    static const char *const other[] = {
        "ops", "transcendental", "moved_in_bytes", "moved_out_bytes", "weight_bytes", "cold_start", NULL};
    static const char *const extra[] = {"ops", "transcendental", NULL};
    p->n_special = 0;
    if (p->kind == WP_KIND_CONV) {
        set_features(p, conv);
        set_special(p, streamed_macs);
    } else if (p->kind == WP_KIND_DENSE) {
        set_features(p, dense);
    } else if (p->kind == WP_KIND_POOL) {
        set_features(p, pool);
    } else {
        set_features(p, other);
        set_special(p, extra);
    }
    p->fit = WP_FIT_NNLS_RELATIVE;
    p->degree = 1;
    p->n_degrees = 0;
    p->log1p = 0;
    p->log_target = 0;
    p->scaler = WP_SCALER_NONE;
    p->lasso.positive = 1;
    p->cv_by_network = 1;
}

/* wattprof's log-space polynomial (the power pipelines' default). */
static void log_pipeline(wp_pipeline_config *p)
{
    static const char *const conv[] = {"macs", "in_bytes", "weight_bytes", "out_bytes", "groups", NULL};
    static const char *const pool[] = {"ops", "in_bytes", "out_bytes", NULL};
    static const char *const dense[] = {"macs", "in_bytes", "weight_bytes", "out_bytes", "batch_size", NULL};
    int cv = p->lasso.cv;
    if (p->kind >= WP_KIND_NORM) {
        extra_pipeline(p);
    } else {
        set_features(p, p->kind == WP_KIND_CONV ? conv : p->kind == WP_KIND_POOL ? pool : dense);
        p->n_special = 0;
        p->log1p = 1;
        p->log_target = 1;
        p->degree = 3;
        p->n_degrees = 3;
        for (int d = 0; d < 3; d++)
            p->degrees[d] = d + 1;
        p->scaler = WP_SCALER_STANDARD;
        p->lasso.positive = 0;
        p->cv_by_network = 1;
    }
    p->fit = WP_FIT_LASSO;
    if (cv)
        p->lasso.cv = cv;
}

void wp_train_config_init(wp_train_config *c)
{
    wp_train_config_upstream(c);
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        wp_pipeline_config *p = &c->pipe[i];
        p->enabled = 1;
        if (p->target == WP_TARGET_RUNTIME)
            additive_pipeline(p);
        else
            log_pipeline(p);
    }
}

void wp_train_config_free(wp_train_config *c)
{
    for (int i = 0; c->test_models && i < c->n_test_models; i++)
        free(c->test_models[i]);
    free(c->test_models);
    c->test_models = NULL;
    c->n_test_models = -1;
}

static int feature_known(wp_layer_kind kind, const char *name)
{
    return wp_feature_index(kind, name) >= 0;
}

static int cfg_name(const char *path, const char *where, json_t *v, wp_layer_kind kind, char *out, wp_error *err)
{
    if (!json_is_string(v))
        return wp_fail(err, path, 0, "%s: expected a feature name (string)", where);
    const char *s = json_string_value(v);
    if (!feature_known(kind, s)) {
        size_t n = 0;
        const char *const *names = wp_feature_names(kind, &n);
        char list[512] = "";
        for (size_t i = 0; i < n; i++) {
            strncat(list, names[i], sizeof list - strlen(list) - 1);
            if (i + 1 < n)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        return wp_fail(err, path, 0, "%s: unknown feature \"%s\" for %s layers (known: %s)", where, s,
                       wp_layer_kind_name(kind), list);
    }
    snprintf(out, WP_NAME_MAX, "%s", s);
    return 0;
}

static int cfg_pipeline(const char *path, const char *pname, json_t *o, wp_pipeline_config *p, wp_error *err)
{
    if (!json_is_object(o))
        return wp_fail(err, path, 0, "pipelines.%s: expected an object", pname);
    const char *key;
    json_t *v;
    char where[128];
    /* "fit" first, wherever it stands: it selects the family and that
     * family's settings, which the other keys then override */
    json_t *fit = json_object_get(o, "fit");
    if (fit) {
        const char *f = json_string_value(fit);
        if (f && strcmp(f, "lasso") == 0)
            log_pipeline(p);
        else if (f && strcmp(f, "nnls_relative") == 0)
            additive_pipeline(p);
        else
            return wp_fail(err, path, 0, "pipelines.%s.fit: expected \"lasso\" or \"nnls_relative\"", pname);
    }
    json_object_foreach(o, key, v)
    {
        snprintf(where, sizeof where, "pipelines.%s.%s", pname, key);
        if (strcmp(key, "fit") == 0) {
            continue;
        } else if (strcmp(key, "features") == 0) {
            if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > WP_MODEL_MAX_FEATURES)
                return wp_fail(err, path, 0, "%s: expected 1 to %d feature names", where, WP_MODEL_MAX_FEATURES);
            p->n_features = (int)json_array_size(v);
            for (size_t i = 0; i < json_array_size(v); i++)
                if (cfg_name(path, where, json_array_get(v, i), p->kind, p->features[i], err))
                    return -1;
        } else if (strcmp(key, "special_terms") == 0) {
            if (!json_is_array(v) || json_array_size(v) > WP_MAX_SPECIAL)
                return wp_fail(err, path, 0, "%s: expected at most %d lists of feature names", where, WP_MAX_SPECIAL);
            p->n_special = (int)json_array_size(v);
            for (size_t s = 0; s < json_array_size(v); s++) {
                json_t *t = json_array_get(v, s);
                if (!json_is_array(t) || json_array_size(t) == 0 || json_array_size(t) > WP_MAX_SPECIAL_LEN)
                    return wp_fail(err, path, 0, "%s[%zu]: expected 1 to %d feature names", where, s,
                                   WP_MAX_SPECIAL_LEN);
                p->special_len[s] = (int)json_array_size(t);
                for (size_t m = 0; m < json_array_size(t); m++)
                    if (cfg_name(path, where, json_array_get(t, m), p->kind, p->special[s][m], err))
                        return -1;
            }
        } else if (strcmp(key, "degree") == 0) {
            /* an integer, or a list of candidates chosen by CV RMSPE */
            size_t nd = json_is_array(v) ? json_array_size(v) : 1;
            if (nd < 1 || nd > WP_MAX_DEGREE_CANDIDATES)
                return wp_fail(err, path, 0, "%s: expected an integer from 1 to 6 or a list of 1 to %d of them", where,
                               WP_MAX_DEGREE_CANDIDATES);
            for (size_t i = 0; i < nd; i++) {
                json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
                if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 6)
                    return wp_fail(err, path, 0, "%s: expected an integer from 1 to 6 or a list of them", where);
                p->degrees[i] = (int)json_integer_value(e);
            }
            p->n_degrees = nd > 1 ? (int)nd : 0;
            p->degree = p->degrees[nd - 1];
            for (size_t i = 0; i < nd; i++)
                if (p->degrees[i] > p->degree)
                    p->degree = p->degrees[i];
        } else if (strcmp(key, "log1p") == 0 || strcmp(key, "positive") == 0 || strcmp(key, "log_target") == 0 ||
                   strcmp(key, "cv_by_network") == 0 || strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(v))
                return wp_fail(err, path, 0, "%s: expected true or false", where);
            if (strcmp(key, "enabled") == 0)
                p->enabled = json_is_true(v);
            else if (strcmp(key, "log1p") == 0)
                p->log1p = json_is_true(v);
            else if (strcmp(key, "log_target") == 0)
                p->log_target = json_is_true(v);
            else if (strcmp(key, "cv_by_network") == 0)
                p->cv_by_network = json_is_true(v);
            else
                p->lasso.positive = json_is_true(v);
        } else if (strcmp(key, "scaler") == 0) {
            int k = json_is_string(v) ? wp_scaler_from_name(json_string_value(v)) : -1;
            if (k < 0)
                return wp_fail(err, path, 0, "%s: expected \"standard\", \"robust\", \"minmax\" or \"none\"", where);
            p->scaler = (wp_scaler_kind)k;
        } else if (strcmp(key, "max_iter") == 0 || strcmp(key, "n_alphas") == 0 || strcmp(key, "cv") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < (key[0] == 'c' ? 2 : 1) ||
                json_integer_value(v) > 10000000)
                return wp_fail(err, path, 0, "%s: expected a positive integer", where);
            int iv = (int)json_integer_value(v);
            if (key[0] == 'm')
                p->lasso.max_iter = iv;
            else if (key[0] == 'n')
                p->lasso.n_alphas = iv;
            else
                p->lasso.cv = iv;
        } else if (strcmp(key, "tol") == 0 || strcmp(key, "eps") == 0) {
            if (!json_is_number(v) || !(json_number_value(v) > 0) || json_number_value(v) >= 1)
                return wp_fail(err, path, 0, "%s: expected a number in (0, 1)", where);
            if (key[0] == 't')
                p->lasso.tol = json_number_value(v);
            else
                p->lasso.eps = json_number_value(v);
        } else {
            return wp_fail(err, path, 0,
                           "%s: unknown setting (known: enabled, fit, features, degree, log1p, log_target, "
                           "special_terms, scaler, positive, cv, cv_by_network, n_alphas, eps, max_iter, tol)",
                           where);
        }
    }
    return 0;
}

int wp_train_config_load(const char *path, wp_train_config *c, wp_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return wp_fail(err, path, je.line, "%s", je.text);
    int rc = 0;
    if (!json_is_object(root)) {
        rc = wp_fail(err, path, 0, "expected a JSON object");
        goto out;
    }
    const char *key;
    json_t *v;
    /* "base" first, whatever its place in the file: the other keys
     * override it. */
    json_t *base = json_object_get(root, "base");
    if (base) {
        const char *b = json_string_value(base);
        if (b && strcmp(b, "upstream") == 0) {
            wp_train_config_free(c);
            wp_train_config_upstream(c);
        } else if (b && strcmp(b, "wattprof") == 0) {
            wp_train_config_free(c);
            wp_train_config_init(c);
        } else {
            rc = wp_fail(err, path, 0, "base: expected \"upstream\" or \"wattprof\"");
            goto out;
        }
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "base") == 0) {
            continue;
        } else if (strcmp(key, "test_models") == 0) {
            if (!json_is_array(v)) {
                rc = wp_fail(err, path, 0, "test_models: expected a list of model names");
                goto out;
            }
            wp_train_config_free(c);
            c->test_models = calloc(json_array_size(v) + 1, sizeof *c->test_models);
            c->n_test_models = 0;
            for (size_t i = 0; i < json_array_size(v); i++) {
                json_t *s = json_array_get(v, i);
                if (!json_is_string(s)) {
                    rc = wp_fail(err, path, 0, "test_models[%zu]: expected a string", i);
                    goto out;
                }
                c->test_models[c->n_test_models++] = strdup(json_string_value(s));
            }
        } else if (strcmp(key, "cv") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 2 || json_integer_value(v) > 100000) {
                rc = wp_fail(err, path, 0, "cv: expected an integer >= 2");
                goto out;
            }
            for (int i = 0; i < WP_N_PIPELINES; i++)
                c->pipe[i].lasso.cv = (int)json_integer_value(v);
        } else if (strcmp(key, "pipelines") == 0) {
            if (!json_is_object(v)) {
                rc = wp_fail(err, path, 0, "pipelines: expected an object");
                goto out;
            }
            const char *pk;
            json_t *pv;
            json_object_foreach(v, pk, pv)
            {
                int idx = -1;
                for (int i = 0; i < WP_N_PIPELINES; i++)
                    if (strcmp(pk, pipeline_names[i]) == 0)
                        idx = i;
                if (idx < 0) {
                    char known[1024] = "";
                    for (int i = 0; i < WP_N_PIPELINES; i++) {
                        strncat(known, pipeline_names[i], sizeof known - strlen(known) - 1);
                        if (i + 1 < WP_N_PIPELINES)
                            strncat(known, ", ", sizeof known - strlen(known) - 1);
                    }
                    rc = wp_fail(err, path, 0, "pipelines.%s: unknown pipeline (known: %s)", pk, known);
                    goto out;
                }
                /* naming a pipeline the base leaves off (upstream's other
                 * kinds) turns it on, unless it says "enabled": false */
                c->pipe[idx].enabled = 1;
                if ((rc = cfg_pipeline(path, pk, pv, &c->pipe[idx], err)))
                    goto out;
            }
        } else {
            rc = wp_fail(err, path, 0, "%s: unknown setting (known: base, test_models, cv, pipelines)", key);
            goto out;
        }
    }
    /* Special terms must name features the pipeline reads; the additive
     * model is a sum of raw terms. */
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        const wp_pipeline_config *p = &c->pipe[i];
        if (p->fit == WP_FIT_NNLS_RELATIVE && p->enabled &&
            (p->degree != 1 || p->n_degrees > 1 || p->log1p || p->log_target || p->scaler != WP_SCALER_NONE)) {
            rc = wp_fail(err, path, 0,
                         "pipelines.%s: \"fit\": \"nnls_relative\" is a sum of raw terms: it needs degree 1, "
                         "log1p false, log_target false and scaler \"none\" (\"fit\": \"lasso\" for a "
                         "polynomial)",
                         pipeline_names[i]);
            goto out;
        }
        wp_design d;
        if ((rc = wp_pipeline_design(&c->pipe[i], &d, err))) {
            char msg[WP_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            rc = wp_fail(err, path, 0, "pipelines.%s: %s", pipeline_names[i], msg);
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}

int wp_pipeline_design(const wp_pipeline_config *cfg, wp_design *d, wp_error *err)
{
    memset(d, 0, sizeof *d);
    d->n_in = cfg->n_features;
    d->degree = cfg->degree;
    d->log1p = cfg->log1p;
    d->n_special = cfg->n_special;
    for (int s = 0; s < cfg->n_special; s++) {
        d->special[s].n = cfg->special_len[s];
        for (int m = 0; m < cfg->special_len[s]; m++) {
            int idx = -1;
            for (int f = 0; f < cfg->n_features; f++)
                if (strcmp(cfg->features[f], cfg->special[s][m]) == 0)
                    idx = f;
            if (idx < 0)
                return wp_fail(err, NULL, 0, "special term %d uses \"%s\", which is not among the features", s + 1,
                               cfg->special[s][m]);
            d->special[s].idx[m] = idx;
        }
    }
    if (wp_design_width(d) > 20000)
        return wp_fail(err, NULL, 0, "%zu design columns is too many (lower the degree or the features)",
                       wp_design_width(d));
    return 0;
}

/* ---- metrics ------------------------------------------------------------ */

void wp_metrics_compute(const double *y, const double *pred, size_t n, wp_metrics *m)
{
    m->n = n;
    if (n == 0) {
        m->rmspe = m->rmse = m->mse = m->r2 = m->mae = m->mape = NAN;
        return;
    }
    double sp = 0, se = 0, sa = 0, sap = 0, ym = 0;
    for (size_t i = 0; i < n; i++)
        ym += y[i];
    ym /= (double)n;
    double st = 0;
    for (size_t i = 0; i < n; i++) {
        double d = y[i] - pred[i];
        double r = d / (y[i] + 1e-10);
        sp += r * r;
        se += d * d;
        sa += fabs(d);
        double den = fabs(y[i]) > DBL_EPSILON ? fabs(y[i]) : DBL_EPSILON;
        sap += fabs(d) / den;
        st += (y[i] - ym) * (y[i] - ym);
    }
    double dn = (double)n;
    m->rmspe = sqrt(sp / dn) * 100.0;
    m->mse = se / dn;
    m->rmse = sqrt(m->mse);
    m->mae = sa / dn;
    m->mape = sap / dn;
    /* r2_score's force_finite behaviour for a constant target */
    m->r2 = st == 0 ? (se == 0 ? 1.0 : 0.0) : 1.0 - se / st;
}

/* ---- model files -------------------------------------------------------- */

static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jarr_d(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static json_t *jarr_s(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *wp__metrics_json(const wp_metrics *m)
{
    return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "rows", (json_int_t)m->n, "rmspe", jreal(m->rmspe), "rmse",
                     jreal(m->rmse), "mse", jreal(m->mse), "r2", jreal(m->r2), "mae", jreal(m->mae), "mape",
                     jreal(m->mape));
}

/* Names of the design columns ("1", "x0 x1^2"-style with feature names,
 * then "a*b*c" special terms), for people reading the file. */
static json_t *term_names(const wp_model *m)
{
    json_t *a = json_array();
    int *cb = NULL, *dg = NULL;
    const wp_pipeline_config *c = &m->cfg;
    if (wp_poly_terms(c->n_features, c->degree, &cb, &dg, NULL))
        return a;
    size_t np_ = wp_poly_count(c->n_features, c->degree);
    for (size_t t = 0; t < np_; t++) {
        char buf[512] = "";
        if (dg[t] == 0)
            snprintf(buf, sizeof buf, "1");
        for (int k = 0; k < dg[t];) {
            int f = cb[t * (size_t)c->degree + (size_t)k], e = 1;
            while (k + e < dg[t] && cb[t * (size_t)c->degree + (size_t)(k + e)] == f)
                e++;
            size_t L = strlen(buf);
            snprintf(buf + L, sizeof buf - L, "%s%s%s%s", L ? " " : "", c->log1p ? "log1p(" : "", c->features[f],
                     c->log1p ? ")" : "");
            if (e > 1) {
                L = strlen(buf);
                snprintf(buf + L, sizeof buf - L, "^%d", e);
            }
            k += e;
        }
        json_array_append_new(a, json_string(buf));
    }
    for (int s = 0; s < c->n_special; s++) {
        char buf[512] = "";
        for (int k = 0; k < c->special_len[s]; k++) {
            size_t L = strlen(buf);
            snprintf(buf + L, sizeof buf - L, "%s%s", k ? "*" : "", c->special[s][k]);
        }
        json_array_append_new(a, json_string(buf));
    }
    free(cb);
    free(dg);
    return a;
}

char *wp_model_render(const wp_model *m, const char *path, wp_error *err)
{
    const wp_pipeline_config *c = &m->cfg;
    json_t *feat = json_array(), *spec = json_array();
    for (int i = 0; i < c->n_features; i++)
        json_array_append_new(feat, json_string(c->features[i]));
    for (int s = 0; s < c->n_special; s++) {
        json_t *t = json_array();
        for (int k = 0; k < c->special_len[s]; k++)
            json_array_append_new(t, json_string(c->special[s][k]));
        json_array_append_new(spec, t);
    }
    json_t *scaler = json_pack("{s:s}", "kind", wp_scaler_name(m->scaler.kind));
    if (m->scaler.kind == WP_SCALER_MINMAX) {
        json_object_set_new(scaler, "scale", jarr_d(m->scaler.b, m->p));
        json_object_set_new(scaler, "min", jarr_d(m->scaler.a, m->p));
    } else if (m->scaler.kind != WP_SCALER_NONE) {
        json_object_set_new(scaler, "center", jarr_d(m->scaler.a, m->p));
        json_object_set_new(scaler, "scale", jarr_d(m->scaler.b, m->p));
    }
    int idx = wp_pipeline_index(c->kind, c->target);
    json_t *metrics = json_pack("{s:o,s:o}", "train", wp__metrics_json(&m->train), "test", wp__metrics_json(&m->test));
    if (m->lono.n)
        json_object_set_new(metrics, "leave_one_network_out", wp__metrics_json(&m->lono));
    json_t *root = json_pack(
        "{s:s,s:i,s:s,s:s,s:s,s:s,s:o,"
        "s:{s:b,s:i,s:b,s:o},s:o,s:o,"
        "s:{s:f,s:b,s:i,s:i,s:f,s:i,s:f,s:i,s:b},"
        "s:o,s:f,"
        "s:{s:s,s:o,s:I,s:o,s:I},s:o}",
        "format", "wattprof-model", "format_version", WP_MODEL_FORMAT_VERSION, "pipeline", wp_pipeline_name(idx),
        "layer_type", wp_layer_kind_name(c->kind), "target", c->target == WP_TARGET_POWER ? "power" : "runtime", "unit",
        c->target == WP_TARGET_POWER ? "W" : "ms", "features", feat, "transforms", "log1p", c->log1p,
        "polynomial_degree", c->degree, "include_bias", 1, "special_terms", spec, "terms", term_names(m), "scaler",
        scaler, "lasso", "alpha", m->alpha, "positive", c->lasso.positive, "cv", c->lasso.cv, "n_alphas",
        c->lasso.n_alphas, "eps", c->lasso.eps, "max_iter", c->lasso.max_iter, "tol", c->lasso.tol, "n_iter", m->n_iter,
        "fit_intercept", 1, "coefficients", jarr_d(m->coef, m->p), "intercept", m->intercept, "training_set",
        "data_dir", m->data_dir ? m->data_dir : "", "models", jarr_s(m->train_models, m->n_train_models), "rows",
        (json_int_t)m->train_rows, "test_models", jarr_s(m->test_models, m->n_test_models), "test_rows",
        (json_int_t)m->test_rows, "metrics", metrics);
    if (!root) {
        wp_fail(err, path, 0, "cannot build the model document");
        return NULL;
    }
    /* wattprof's additions (format version 2) */
    json_object_set_new(json_object_get(root, "transforms"), "log_target", json_boolean(c->log_target));
    if (c->n_degrees > 1) {
        json_t *cand = json_array();
        for (int i = 0; i < c->n_degrees; i++)
            json_array_append_new(cand, json_integer(c->degrees[i]));
        json_object_set_new(json_object_get(root, "transforms"), "degree_candidates", cand);
    }
    json_object_set_new(json_object_get(root, "lasso"), "cv_by_network", json_boolean(c->cv_by_network));
    /* how the coefficients were found; prediction is the same formula */
    json_object_set_new(root, "fit", json_string(c->fit == WP_FIT_NNLS_RELATIVE ? "nnls_relative" : "lasso"));
    if (m->have_range)
        json_object_set_new(root, "feature_ranges",
                            json_pack("{s:o,s:o}", "min", jarr_d(m->feat_min, (size_t)c->n_features), "max",
                                      jarr_d(m->feat_max, (size_t)c->n_features)));
    if (m->cache_bytes > 0)
        json_object_set_new(root, "cache_bytes", json_integer((json_int_t)m->cache_bytes));
    if (m->channel_block > 0)
        json_object_set_new(root, "channel_block", json_integer((json_int_t)m->channel_block));
    if (m->have_interval)
        json_object_set_new(root, "prediction_interval",
                            json_pack("{s:f,s:s,s:f,s:f,s:f}", "level", 0.9, "kind", m->iv_ratio ? "ratio" : "additive",
                                      "low", m->iv_lo, "high", m->iv_hi, "cv_rmspe", m->cv_rmspe));
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    char *nl = text ? realloc(text, strlen(text) + 2) : NULL;
    if (!nl) {
        free(text);
        wp_fail(err, path, 0, "out of memory");
        return NULL;
    }
    strcat(nl, "\n");
    return nl;
}

int wp_model_write(const char *path, const wp_model *m, wp_error *err)
{
    char *text = wp_model_render(m, path, err);
    if (!text)
        return -1;
    int rc = wp_atomic_write_all(path, text, strlen(text), err);
    free(text);
    return rc;
}

int wp_model_file_is_ours(const char *path)
{
    json_t *root = json_load_file(path, 0, NULL);
    const char *f = json_string_value(json_object_get(root, "format"));
    int ours = f && strcmp(f, "wattprof-model") == 0;
    json_decref(root);
    return ours;
}

static int get_darr(const char *path, json_t *o, const char *key, size_t n, double **out, wp_error *err)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != n)
        return wp_fail(err, path, 0, "\"%s\": expected %zu numbers", key, n);
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out)
        return wp_fail(err, path, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_number(v))
            return wp_fail(err, path, 0, "\"%s\"[%zu]: expected a number", key, i);
        (*out)[i] = json_number_value(v);
    }
    return 0;
}

static int get_sarr(const char *path, json_t *a, const char *key, char ***out, size_t *n, wp_error *err)
{
    *n = 0;
    *out = NULL;
    if (!a)
        return 0;
    if (!json_is_array(a))
        return wp_fail(err, path, 0, "\"%s\": expected a list of strings", key);
    *out = calloc(json_array_size(a) + 1, sizeof **out);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s))
            return wp_fail(err, path, 0, "\"%s\"[%zu]: expected a string", key, i);
        (*out)[(*n)++] = strdup(json_string_value(s));
    }
    return 0;
}

int wp_model_read(const char *path, wp_model *m, wp_error *err)
{
    memset(m, 0, sizeof *m);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return wp_fail(err, path, je.line, "%s", je.text);
    int rc = -1;
    wp_pipeline_config *c = &m->cfg;
    json_t *fmt = json_object_get(root, "format"), *ver = json_object_get(root, "format_version");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "wattprof-model") != 0) {
        wp_fail(err, path, 0, "not a wattprof model file (no \"format\": \"wattprof-model\")");
        goto out;
    }
    if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > WP_MODEL_FORMAT_VERSION) {
        wp_fail(err, path, 0, "model format version %lld, this wattprof reads versions 1 to %d (retrain the models)",
                json_is_integer(ver) ? (long long)json_integer_value(ver) : -1LL, WP_MODEL_FORMAT_VERSION);
        goto out;
    }
    m->format_version = WP_MODEL_FORMAT_VERSION;
    const char *lt = json_string_value(json_object_get(root, "layer_type"));
    const char *tg = json_string_value(json_object_get(root, "target"));
    c->kind = WP_KIND_OTHER;
    for (int k = WP_KIND_CONV; k < WP_N_KINDS; k++)
        if (lt && strcmp(lt, wp_layer_kind_name((wp_layer_kind)k)) == 0)
            c->kind = (wp_layer_kind)k;
    if (c->kind == WP_KIND_OTHER || !tg || (strcmp(tg, "power") && strcmp(tg, "runtime"))) {
        wp_fail(err, path, 0, "bad or missing \"layer_type\" / \"target\"");
        goto out;
    }
    c->target = strcmp(tg, "power") == 0 ? WP_TARGET_POWER : WP_TARGET_RUNTIME;
    json_t *feat = json_object_get(root, "features");
    if (!json_is_array(feat) || json_array_size(feat) == 0 || json_array_size(feat) > WP_MODEL_MAX_FEATURES) {
        wp_fail(err, path, 0, "\"features\": expected 1 to %d names", WP_MODEL_MAX_FEATURES);
        goto out;
    }
    c->n_features = (int)json_array_size(feat);
    for (int i = 0; i < c->n_features; i++) {
        const char *s = json_string_value(json_array_get(feat, (size_t)i));
        if (!s || !feature_known(c->kind, s)) {
            wp_fail(err, path, 0, "\"features\"[%d]: unknown feature %s%s%s", i, s ? "\"" : "", s ? s : "?",
                    s ? "\"" : "");
            goto out;
        }
        snprintf(c->features[i], WP_NAME_MAX, "%s", s);
    }
    json_t *tr = json_object_get(root, "transforms");
    json_t *deg = json_object_get(tr, "polynomial_degree"), *lg = json_object_get(tr, "log1p");
    json_t *sp = json_object_get(tr, "special_terms");
    if (!json_is_integer(deg) || json_integer_value(deg) < 1 || json_integer_value(deg) > 6 || !json_is_boolean(lg) ||
        !json_is_array(sp) || json_array_size(sp) > WP_MAX_SPECIAL) {
        wp_fail(err, path, 0, "\"transforms\": needs polynomial_degree (1-6), log1p and special_terms");
        goto out;
    }
    c->degree = (int)json_integer_value(deg);
    c->log1p = json_is_true(lg);
    json_t *lt_ = json_object_get(tr, "log_target");
    if (lt_ && !json_is_boolean(lt_)) {
        wp_fail(err, path, 0, "\"transforms\".\"log_target\": expected true or false");
        goto out;
    }
    c->log_target = json_is_true(lt_);
    c->n_special = (int)json_array_size(sp);
    for (int s = 0; s < c->n_special; s++) {
        json_t *t = json_array_get(sp, (size_t)s);
        if (!json_is_array(t) || json_array_size(t) == 0 || json_array_size(t) > WP_MAX_SPECIAL_LEN) {
            wp_fail(err, path, 0, "\"special_terms\"[%d]: expected a list of feature names", s);
            goto out;
        }
        c->special_len[s] = (int)json_array_size(t);
        for (int k = 0; k < c->special_len[s]; k++) {
            const char *nm = json_string_value(json_array_get(t, (size_t)k));
            if (!nm) {
                wp_fail(err, path, 0, "\"special_terms\"[%d]: expected feature names", s);
                goto out;
            }
            snprintf(c->special[s][k], WP_NAME_MAX, "%s", nm);
        }
    }
    if (wp_pipeline_design(c, &m->design, err)) {
        char msg[WP_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        wp_fail(err, path, 0, "%s", msg);
        goto out;
    }
    m->p = wp_design_width(&m->design);
    json_t *sc = json_object_get(root, "scaler");
    int sk = wp_scaler_from_name(
        json_string_value(json_object_get(sc, "kind")) ? json_string_value(json_object_get(sc, "kind")) : "");
    if (sk < 0) {
        wp_fail(err, path, 0, "\"scaler\": unknown kind");
        goto out;
    }
    m->scaler.kind = (wp_scaler_kind)sk;
    m->scaler.p = m->p;
    if (sk == WP_SCALER_NONE) {
        m->scaler.a = calloc(m->p, sizeof *m->scaler.a);
        m->scaler.b = malloc(m->p * sizeof *m->scaler.b);
        for (size_t j = 0; m->scaler.b && j < m->p; j++)
            m->scaler.b[j] = 1.0;
    } else if (sk == WP_SCALER_MINMAX) {
        if (get_darr(path, sc, "scale", m->p, &m->scaler.b, err) || get_darr(path, sc, "min", m->p, &m->scaler.a, err))
            goto out;
    } else if (get_darr(path, sc, "center", m->p, &m->scaler.a, err) ||
               get_darr(path, sc, "scale", m->p, &m->scaler.b, err)) {
        goto out;
    }
    if (get_darr(path, root, "coefficients", m->p, &m->coef, err))
        goto out;
    json_t *ic = json_object_get(root, "intercept");
    if (!json_is_number(ic)) {
        wp_fail(err, path, 0, "\"intercept\": expected a number");
        goto out;
    }
    m->intercept = json_number_value(ic);
    /* A damaged file must not turn into -inf or NaN predictions later. */
    if (!isfinite(m->intercept)) {
        wp_fail(err, path, 0, "\"intercept\": not a finite number");
        goto out;
    }
    for (size_t j = 0; j < m->p; j++)
        if (!isfinite(m->coef[j]) || !isfinite(m->scaler.a[j]) || !isfinite(m->scaler.b[j]) ||
            (m->scaler.kind != WP_SCALER_MINMAX && m->scaler.b[j] == 0.0)) {
            wp_fail(err, path, 0, "term %zu: coefficient or scaler value is not a finite number%s", j,
                    m->scaler.kind != WP_SCALER_MINMAX && m->scaler.b[j] == 0.0 ? " (scale 0)" : "");
            goto out;
        }
    json_t *fr = json_object_get(root, "feature_ranges");
    if (fr) {
        double *lo = NULL, *hi = NULL;
        int bad = get_darr(path, fr, "min", (size_t)c->n_features, &lo, err) ||
                  get_darr(path, fr, "max", (size_t)c->n_features, &hi, err);
        for (int f = 0; !bad && f < c->n_features; f++) {
            m->feat_min[f] = lo[f];
            m->feat_max[f] = hi[f];
            if (!(lo[f] <= hi[f]))
                bad = wp_fail(err, path, 0, "\"feature_ranges\": min above max for feature %d", f) != 0;
        }
        free(lo);
        free(hi);
        if (bad)
            goto out;
        m->have_range = 1;
    }
    json_t *pi = json_object_get(root, "prediction_interval");
    if (pi) {
        json_t *l = json_object_get(pi, "low"), *h = json_object_get(pi, "high");
        if (!json_is_number(l) || !json_is_number(h) || !isfinite(json_number_value(l)) ||
            !isfinite(json_number_value(h)) || json_number_value(l) > json_number_value(h)) {
            wp_fail(err, path, 0, "\"prediction_interval\": needs finite \"low\" <= \"high\"");
            goto out;
        }
        const char *kind = json_string_value(json_object_get(pi, "kind"));
        if (kind && strcmp(kind, "ratio") && strcmp(kind, "additive")) {
            wp_fail(err, path, 0, "\"prediction_interval\".\"kind\": expected \"ratio\" or \"additive\"");
            goto out;
        }
        m->iv_ratio = kind ? strcmp(kind, "ratio") == 0 : c->log_target;
        m->iv_lo = json_number_value(l);
        m->iv_hi = json_number_value(h);
        m->cv_rmspe = json_number_value(json_object_get(pi, "cv_rmspe"));
        m->have_interval = 1;
    }
    json_t *cb = json_object_get(root, "cache_bytes");
    if (cb && (!json_is_integer(cb) || json_integer_value(cb) < 0)) {
        wp_fail(err, path, 0, "\"cache_bytes\": expected a non-negative integer");
        goto out;
    }
    m->cache_bytes = cb ? (double)json_integer_value(cb) : 0;
    json_t *blk = json_object_get(root, "channel_block");
    if (blk && (!json_is_integer(blk) || json_integer_value(blk) < 0 || json_integer_value(blk) > 4096)) {
        wp_fail(err, path, 0, "\"channel_block\": expected an integer from 0 to 4096");
        goto out;
    }
    m->channel_block = blk ? (double)json_integer_value(blk) : 0;
    json_t *fitj = json_object_get(root, "fit");
    if (fitj && (!json_is_string(fitj) ||
                 (strcmp(json_string_value(fitj), "lasso") && strcmp(json_string_value(fitj), "nnls_relative")))) {
        wp_fail(err, path, 0, "\"fit\": expected \"lasso\" or \"nnls_relative\"");
        goto out;
    }
    c->fit = fitj && strcmp(json_string_value(fitj), "nnls_relative") == 0 ? WP_FIT_NNLS_RELATIVE : WP_FIT_LASSO;
    json_t *la = json_object_get(root, "lasso");
    m->alpha = json_number_value(json_object_get(la, "alpha"));
    wp_lasso_options_init(&c->lasso);
    c->lasso.positive = json_is_true(json_object_get(la, "positive"));
    c->cv_by_network = json_is_true(json_object_get(la, "cv_by_network"));
    json_t *ts = json_object_get(root, "training_set");
    const char *dd = json_string_value(json_object_get(ts, "data_dir"));
    m->data_dir = strdup(dd ? dd : "");
    m->train_rows = (size_t)json_integer_value(json_object_get(ts, "rows"));
    m->test_rows = (size_t)json_integer_value(json_object_get(ts, "test_rows"));
    if (get_sarr(path, json_object_get(ts, "models"), "models", &m->train_models, &m->n_train_models, err) ||
        get_sarr(path, json_object_get(ts, "test_models"), "test_models", &m->test_models, &m->n_test_models, err))
        goto out;
    rc = 0;
out:
    json_decref(root);
    if (rc)
        wp_model_free(m);
    return rc;
}

void wp_model_free(wp_model *m)
{
    wp_scaler_free(&m->scaler);
    free(m->coef);
    free(m->data_dir);
    for (size_t i = 0; m->train_models && m->train_models[i]; i++)
        free(m->train_models[i]);
    for (size_t i = 0; m->test_models && m->test_models[i]; i++)
        free(m->test_models[i]);
    free(m->train_models);
    free(m->test_models);
    memset(m, 0, sizeof *m);
}

double wp_model_predict(const wp_model *m, const double *raw)
{
    double buf[1024], *row = m->p <= 1024 ? buf : malloc(m->p * sizeof *row);
    if (!row)
        return NAN;
    wp_design_row(&m->design, raw, row);
    wp_scaler_apply(&m->scaler, row, 1);
    double s = 0;
    for (size_t j = 0; j < m->p; j++)
        s += row[j] * m->coef[j];
    if (row != buf)
        free(row);
    s += m->intercept;
    return m->cfg.log_target ? exp(s) : s;
}

int wp_model_out_of_range(const wp_model *m, const double *raw)
{
    if (!m->have_range)
        return 0;
    for (int f = 0; f < m->cfg.n_features; f++)
        if (raw[f] < m->feat_min[f] || raw[f] > m->feat_max[f])
            return 1;
    return 0;
}

/* ---- prediction --------------------------------------------------------- */

void wp_prediction_free(wp_prediction *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->rows[i].layer_name);
        free(p->rows[i].layer_type);
        free(p->rows[i].reason);
    }
    free(p->rows);
    for (size_t i = 0; i < p->n_other_types; i++) {
        free(p->other_types[i]);
        free(p->other_reasons[i]);
    }
    free(p->other_types);
    free(p->other_reasons);
    free(p->other_counts);
    free(p->other_est_ms);
    free(p->other_unestimated);
    for (size_t i = 0; i < p->n_fused_types; i++)
        free(p->fused_types[i]);
    free(p->fused_types);
    free(p->fused_counts);
    memset(p, 0, sizeof *p);
}

typedef struct model_set {
    wp_model m[WP_N_PIPELINES];
    int have[WP_N_PIPELINES];
} model_set;

static void model_set_free(model_set *s)
{
    for (int i = 0; i < WP_N_PIPELINES; i++)
        if (s->have[i] || s->m[i].coef)
            wp_model_free(&s->m[i]);
}

/* A layer kind whose two model files are absent is not modelled. Its
 * runtime model alone is what `train` writes from runtime-only data (no
 * power measured): its layers get a runtime and no power. A power model
 * alone is an error (a half-written or hand-edited set): a power without
 * a runtime gives no energy and no total. */
static int model_set_load(const char *models_dir, model_set *s, wp_error *err)
{
    memset(s, 0, sizeof *s);
    int any = 0;
    char *path = NULL;
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        free(path);
        if (!(path = wp_layout_model_file(models_dir, wp_pipeline_name(i), ".json"))) {
            wp_fail(err, models_dir, 0, "out of memory");
            goto fail;
        }
        FILE *fp = fopen(path, "r");
        if (!fp) {
            if (errno != ENOENT) {
                wp_fail_errno(err, path, errno, "cannot open");
                goto fail;
            }
            continue;
        }
        fclose(fp);
        if (wp_model_read(path, &s->m[i], err))
            goto fail;
        s->have[i] = 1;
        if (s->m[i].cfg.kind != (wp_layer_kind)(WP_KIND_CONV + i / 2) || (int)s->m[i].cfg.target != i % 2) {
            wp_fail(err, path, 0, "holds a %s %s model, expected %s", wp_layer_kind_name(s->m[i].cfg.kind),
                    s->m[i].cfg.target == WP_TARGET_POWER ? "power" : "runtime", wp_pipeline_name(i));
            goto fail;
        }
        any = 1;
    }
    free(path);
    path = NULL;
    if (!any) {
        wp_fail(err, models_dir, 0, "no model files (expected convolutional_power.json ... from 'wattprof train')");
        goto fail;
    }
    for (int k = 0; k < WP_N_PIPELINES / 2; k++) {
        int pw = wp_pipeline_index((wp_layer_kind)(WP_KIND_CONV + k), WP_TARGET_POWER),
            rt = wp_pipeline_index((wp_layer_kind)(WP_KIND_CONV + k), WP_TARGET_RUNTIME);
        if (s->have[pw] && !s->have[rt]) {
            wp_fail(err, models_dir, 0, "%s.json without %s.json (a power model needs its runtime model)",
                    wp_pipeline_name(pw), wp_pipeline_name(rt));
            goto fail;
        }
    }
    return 0;
fail:
    free(path);
    model_set_free(s);
    return -1;
}

/* Counts a not-modelled layer under (type, reason); takes `reason`. */
static int not_modelled(wp_prediction *out, wp_prediction_row *r, char *reason)
{
    if (!reason)
        return -1;
    r->modelled = 0;
    r->reason = reason;
    size_t t = 0;
    while (t < out->n_other_types &&
           (strcmp(out->other_types[t], r->layer_type) != 0 || strcmp(out->other_reasons[t], reason) != 0))
        t++;
    if (t == out->n_other_types) {
        if (!(out->other_types[t] = strdup(r->layer_type)) || !(out->other_reasons[t] = strdup(reason)))
            return -1;
        out->n_other_types++;
    }
    out->other_counts[t]++;
    if (isfinite(r->est_runtime_ms))
        out->other_est_ms[t] += r->est_runtime_ms;
    else
        out->other_unestimated[t]++;
    return 0;
}

/* A rough runtime for a layer no model covers, from the data-movement
 * runtime model (reshape, else elementwise, else activation: whichever
 * the set has) on the layer's bytes; NaN when none applies. Only for the
 * layer's share of the network, never in the totals. */
static double estimate_runtime(const model_set *s, const wp_engine_layer *L)
{
    static const wp_layer_kind order[] = {WP_KIND_SHAPE, WP_KIND_ELTWISE, WP_KIND_ACT};
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        int pi = wp_pipeline_index(order[k], WP_TARGET_RUNTIME);
        if (!s->have[pi])
            continue;
        wp_feature_row fr;
        wp_error e;
        if (wp_layer_features(L, order[k], &fr, &e))
            return NAN;
        const wp_model *m = &s->m[pi];
        double raw[WP_MODEL_MAX_FEATURES];
        for (int f = 0; f < m->cfg.n_features; f++)
            if (isnan(raw[f] = wp_feature_get(&fr, m->cfg.features[f])))
                return NAN;
        double v = wp_model_predict(m, raw);
        return isfinite(v) && v > 0 ? v : NAN;
    }
    return NAN;
}

static char *fmt_reason(const char *fmt, const char *a, double v)
{
    char buf[256];
    snprintf(buf, sizeof buf, fmt, a, v);
    return strdup(buf);
}

/* Interval bounds of a prediction v from model m (NaN when it has none). */
static void interval(const wp_model *m, double v, double *lo, double *hi)
{
    if (!m->have_interval) {
        *lo = *hi = NAN;
        return;
    }
    if (m->iv_ratio) {
        *lo = v * exp(m->iv_lo);
        *hi = v * exp(m->iv_hi);
    } else {
        /* an additive interval cannot go below zero for a positive quantity */
        *lo = fmax(v + m->iv_lo, 0.0);
        *hi = v + m->iv_hi;
    }
}

/* Counts a layer left out because another's time holds its work, under
 * its ONNX operator (what the user recognises: "BatchNormalization"). */
static int fused_layer(wp_prediction *out, wp_prediction_row *r, const wp_engine_layer *L, const wp_engine_layer *into)
{
    const char *op = L->ops && L->ops[0] ? L->ops : r->layer_type;
    r->fused = 1;
    char buf[320];
    snprintf(buf, sizeof buf, "fused into \"%s\"", into->name ? into->name : "");
    if (!(r->reason = strdup(buf)))
        return -1;
    size_t t = 0;
    while (t < out->n_fused_types && strcmp(out->fused_types[t], op) != 0)
        t++;
    if (t == out->n_fused_types) {
        if (!(out->fused_types[t] = strdup(op)))
            return -1;
        out->n_fused_types++;
    }
    out->fused_counts[t]++;
    out->n_fused++;
    return 0;
}

static int predict_with(const model_set *s, const wp_engine *eng, const int *fused_into, wp_prediction *out,
                        wp_error *err)
{
    const char *where = eng->path && eng->path[0] ? eng->path : "engine";
    size_t cap = eng->n ? eng->n : 1;
    out->rows = calloc(cap, sizeof *out->rows);
    out->other_types = calloc(cap, sizeof *out->other_types);
    out->other_reasons = calloc(cap, sizeof *out->other_reasons);
    out->other_counts = calloc(cap, sizeof *out->other_counts);
    out->other_est_ms = calloc(cap, sizeof *out->other_est_ms);
    out->other_unestimated = calloc(cap, sizeof *out->other_unestimated);
    out->fused_types = calloc(cap, sizeof *out->fused_types);
    out->fused_counts = calloc(cap, sizeof *out->fused_counts);
    if (!out->rows || !out->other_types || !out->other_reasons || !out->other_counts || !out->other_est_ms ||
        !out->other_unestimated || !out->fused_types || !out->fused_counts)
        return wp_fail(err, NULL, 0, "out of memory");
    int have_iv = 1;
    double network_bytes = wp_network_bytes(eng, fused_into), network_layers = wp_network_layers(eng, fused_into);
    out->network_bytes = network_bytes;
    out->network_layers = network_layers;
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        if (s->have[i] && s->m[i].cache_bytes > out->cache_bytes)
            out->cache_bytes = s->m[i].cache_bytes;
        if (s->have[i] && s->m[i].channel_block > out->channel_block)
            out->channel_block = s->m[i].channel_block;
    }
    wp_feature_context placed = {network_bytes, out->cache_bytes, 0, network_layers};
    out->miss_share = wp_network_miss_share(&placed);
    out->resident = wp_network_resident(&placed);
    for (size_t l = 0; l < eng->n; l++) {
        const wp_engine_layer *L = &eng->layers[l];
        wp_prediction_row *r = &out->rows[out->n++];
        r->layer_name = strdup(L->name ? L->name : "");
        r->layer_type = strdup(L->type ? L->type : "");
        r->kind = wp_layer_model_kind(L);
        r->power_lo = r->power_hi = r->runtime_lo = r->runtime_hi = r->energy_lo = r->energy_hi = NAN;
        r->est_runtime_ms = NAN;
        if (!r->layer_name || !r->layer_type)
            return wp_fail(err, NULL, 0, "out of memory");
        if (fused_into && fused_into[l] >= 0) {
            if ((size_t)fused_into[l] >= eng->n || (size_t)fused_into[l] == l)
                return wp_fail(err, where, L->line, "layer \"%s\": fused into layer %d, not another layer of the %zu",
                               r->layer_name, fused_into[l], eng->n);
            if (fused_layer(out, r, L, &eng->layers[fused_into[l]]))
                return wp_fail(err, NULL, 0, "out of memory");
            continue;
        }
        int pi = wp_pipeline_index(r->kind, WP_TARGET_POWER);
        if (pi < 0 || !s->have[wp_pipeline_index(r->kind, WP_TARGET_RUNTIME)]) {
            /* The engine reader says why a fused TensorRT 10 layer got no
             * modelled kind (ForeignNode, windowed kgen, ...): pass it on. */
            const char *base = pi < 0 ? "no model for this layer kind" : "no model files for this layer kind";
            char buf[640];
            if (L->kind_reason && pi < 0)
                snprintf(buf, sizeof buf, "%s: %s", base, L->kind_reason);
            else
                snprintf(buf, sizeof buf, "%s", base);
            char *why = strdup(buf);
            r->est_runtime_ms = estimate_runtime(s, L);
            if (not_modelled(out, r, why))
                return wp_fail(err, NULL, 0, "out of memory");
            continue;
        }
        wp_feature_row fr;
        wp_error ferr;
        /* placed against the cache of the device the models were trained
         * on, its channels rounded to that device's block */
        const wp_model *rm = &s->m[wp_pipeline_index(r->kind, WP_TARGET_RUNTIME)];
        wp_feature_context ctx = {network_bytes, rm->cache_bytes, rm->channel_block, network_layers};
        if (wp_layer_features_in(L, r->kind, &ctx, &fr, &ferr)) {
            /* The original's kinds must be described (their data came from
             * the same reader); a layer of the other kinds that cannot be
             * (no dimensions) is only not modelled. */
            if (r->kind <= WP_KIND_DENSE)
                return wp_fail(err, where, L->line, "layer \"%s\": %s", r->layer_name, ferr.msg);
            char buf[WP_ERROR_MAX + 64];
            snprintf(buf, sizeof buf, "cannot describe the layer: %s", ferr.msg);
            char *why = strdup(buf);
            if (not_modelled(out, r, why))
                return wp_fail(err, NULL, 0, "out of memory");
            continue;
        }
        /* No power model (runtime-only training data): the runtime still
         * is a prediction; power and energy are NaN, never a number. */
        int no_power = !s->have[pi];
        double pr[2] = {NAN, NAN}, lo[2] = {NAN, NAN}, hi[2] = {NAN, NAN};
        int oor = 0;
        char *why = NULL;
        for (int t = no_power; t < 2 && !why; t++) {
            const wp_model *m = &s->m[pi + t];
            double raw[WP_MODEL_MAX_FEATURES];
            for (int f = 0; f < m->cfg.n_features; f++) {
                raw[f] = wp_feature_get(&fr, m->cfg.features[f]);
                if (isnan(raw[f]))
                    return wp_fail(err, where, L->line, "layer \"%s\": no feature \"%s\" for model %s", r->layer_name,
                                   m->cfg.features[f], wp_pipeline_name(pi + t));
            }
            oor |= wp_model_out_of_range(m, raw);
            pr[t] = wp_model_predict(m, raw);
            /* An upstream-style model is a polynomial: it can go negative
             * or overflow. Such a number is not a prediction. */
            if (!isfinite(pr[t]) || pr[t] <= 0) {
                why = fmt_reason(isfinite(pr[t]) ? "%s model gave a non-positive value (%.4g)"
                                                 : "%s model gave no finite value (%g)",
                                 wp_pipeline_name(pi + t), pr[t]);
                if (!why)
                    return wp_fail(err, NULL, 0, "out of memory");
                break;
            }
            interval(m, pr[t], &lo[t], &hi[t]);
            if (!m->have_interval)
                have_iv = 0;
        }
        if (why) {
            r->est_runtime_ms = estimate_runtime(s, L);
            if (not_modelled(out, r, why))
                return wp_fail(err, NULL, 0, "out of memory");
            continue;
        }
        r->modelled = 1;
        r->no_power = no_power;
        if (r->kind == WP_KIND_CONV) {
            out->n_conv++;
            out->n_channel_padded += wp_feature_get(&fr, "padded_macs") > wp_feature_get(&fr, "macs");
        }
        out->no_power += (size_t)no_power;
        r->power_w = pr[0];
        r->runtime_ms = pr[1];
        r->energy_mj = pr[0] * pr[1]; /* W x ms = mJ; NaN without power */
        r->power_lo = lo[0];
        r->power_hi = hi[0];
        r->runtime_lo = lo[1];
        r->runtime_hi = hi[1];
        /* power and runtime errors are not independent; the product of the
         * bounds is the conservative interval */
        r->energy_lo = lo[0] * lo[1];
        r->energy_hi = hi[0] * hi[1];
        r->out_of_range = oor;
        out->out_of_range += (size_t)oor;
        out->modelled++;
        out->runtime_ms += r->runtime_ms;
        out->energy_mj += r->energy_mj;
        out->runtime_lo += r->runtime_lo;
        out->runtime_hi += r->runtime_hi;
        out->energy_lo += r->energy_lo;
        out->energy_hi += r->energy_hi;
    }
    if (!have_iv || out->modelled == 0)
        out->runtime_lo = out->runtime_hi = out->energy_lo = out->energy_hi = NAN;
    out->avg_power_w = out->runtime_ms > 0 ? out->energy_mj / out->runtime_ms : 0;
    /* An energy summed over some of the layers whose runtime is in the
     * total would read as the network's: none at all rather than that. */
    if (out->no_power)
        out->energy_mj = out->avg_power_w = out->energy_lo = out->energy_hi = NAN;
    out->estimated_total_ms = out->runtime_ms;
    for (size_t t = 0; t < out->n_other_types; t++)
        out->estimated_total_ms += out->other_est_ms[t];
    return 0;
}

int wp_predict_layers_fused(const char *models_dir, const wp_engine *eng, const int *fused_into, wp_prediction *out,
                            wp_error *err)
{
    memset(out, 0, sizeof *out);
    model_set s;
    if (model_set_load(models_dir, &s, err))
        return -1;
    int rc = predict_with(&s, eng, fused_into, out, err);
    model_set_free(&s);
    if (rc)
        wp_prediction_free(out);
    return rc;
}

/* The layers an engine file marks FusedInto another (the cpu backend's
 * engine info), as wp_predict_layers_fused takes them; *fused stays NULL
 * when none is (a TensorRT engine). The reader has checked every name. */
static int engine_fused_into(const wp_engine *eng, int **fused, wp_error *err)
{
    *fused = NULL;
    size_t any = 0;
    for (size_t i = 0; i < eng->n; i++)
        any += eng->layers[i].fused_into != NULL;
    if (!any)
        return 0;
    if (!(*fused = malloc(eng->n * sizeof **fused)))
        return wp_fail(err, eng->path, 0, "out of memory");
    for (size_t i = 0; i < eng->n; i++) {
        const wp_engine_layer *host = eng->layers[i].fused_into ? wp_engine_find(eng, eng->layers[i].fused_into) : NULL;
        (*fused)[i] = host ? (int)(host - eng->layers) : -1;
    }
    return 0;
}

int wp_predict_layers(const char *models_dir, const wp_engine *eng, wp_prediction *out, wp_error *err)
{
    int *fused;
    memset(out, 0, sizeof *out);
    if (engine_fused_into(eng, &fused, err))
        return -1;
    int rc = wp_predict_layers_fused(models_dir, eng, fused, out, err);
    free(fused);
    return rc;
}

/* Models first, then the engine: a wrong --models directory is reported
 * before a problem in the engine file. */
int wp_predict_engine(const char *models_dir, const char *engine_path, wp_prediction *out, wp_error *err)
{
    memset(out, 0, sizeof *out);
    model_set s;
    if (model_set_load(models_dir, &s, err))
        return -1;
    wp_engine eng = {0};
    int *fused = NULL;
    int rc = wp_engine_read(engine_path, &eng, err);
    if (rc == 0 && (rc = engine_fused_into(&eng, &fused, err)) == 0)
        rc = predict_with(&s, &eng, fused, out, err);
    free(fused);
    wp_engine_free(&eng);
    model_set_free(&s);
    if (rc)
        wp_prediction_free(out);
    return rc;
}

const char *wp_prediction_no_power_note(const wp_prediction *p, char *buf, size_t cap)
{
    if (!p->no_power || cap == 0)
        return NULL;
    int seen[WP_N_KINDS] = {0};
    size_t len = (size_t)snprintf(buf, cap, "not modelled for %zu of %zu modelled layers (no power model for ",
                                  p->no_power, p->modelled);
    int first = 1;
    for (size_t i = 0; i < p->n; i++) {
        const wp_prediction_row *r = &p->rows[i];
        if (!r->no_power || seen[r->kind])
            continue;
        seen[r->kind] = 1;
        if (len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", first ? "" : ", ", wp_layer_kind_name(r->kind));
        first = 0;
    }
    if (len < cap)
        snprintf(buf + len, cap - len, ": the set was trained on runtime-only data or without those power pipelines)");
    return buf;
}

int wp_prediction_write_csv(const wp_prediction *p, const char *path, wp_error *err)
{
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    FILE *fp = wp_atomic_stream(af);
    fputs("layer_name,layer_type,power_prediction,runtime_prediction,energy_prediction,"
          "runtime_low,runtime_high,energy_low,energy_high,out_of_range\n",
          fp);
    for (size_t i = 0; i < p->n; i++) {
        const wp_prediction_row *r = &p->rows[i];
        if (!r->modelled)
            continue;
        wp_csv_put_field(fp, r->layer_name);
        fputc(',', fp);
        wp_csv_put_field(fp, r->layer_type);
        fputc(',', fp);
        /* no power model: the power and energy cells are empty (the
         * readers' "no value"), never "nan" */
        if (isfinite(r->power_w))
            wp_csv_put_double(fp, r->power_w);
        fputc(',', fp);
        wp_csv_put_double(fp, r->runtime_ms);
        fputc(',', fp);
        if (isfinite(r->energy_mj))
            wp_csv_put_double(fp, r->energy_mj);
        double b[] = {r->runtime_lo, r->runtime_hi, r->energy_lo, r->energy_hi};
        for (int k = 0; k < 4; k++) {
            fputc(',', fp);
            if (isfinite(b[k]))
                wp_csv_put_double(fp, b[k]);
        }
        fprintf(fp, ",%d\n", r->out_of_range);
    }
    return wp_atomic_commit(af, err);
}
