/* NeuralPower-style models: training configuration, training from the
 * `dataset` CSVs, self-describing model files, and prediction.
 *
 * A pipeline is (layer kind, target): features by name -> optional log1p ->
 * polynomial terms (PolynomialFeatures order, bias included) + special
 * product terms of raw features -> scaler -> coefficients, fitted by
 * LassoCV on the target or on its logarithm (then predictions are exp(...),
 * positive by construction), or, the additive cost model, by non-negative
 * least squares for relative error on raw terms (a sum of non-negative
 * costs). A pipeline per layer kind x {power (W), runtime (ms)}. Two
 * built-in configurations: wattprof's (additive runtime models, log-space
 * power models with the degree chosen by cross-validated RMSPE, physical
 * features, folds by network, every kind) and the original's ("upstream":
 * its six conv/pooling/dense pipelines, bit for bit; the other kinds are
 * not trained). See docs/training.md. */
#ifndef WATTPROF_MODEL_H
#define WATTPROF_MODEL_H

#include <stddef.h>

#include "wattprof/engine.h"
#include "wattprof/error.h"
#include "wattprof/onnx.h"
#include "wattprof/progress.h"
#include "wattprof/regression.h"

#define WP_MODEL_FORMAT_VERSION 2
#define WP_MAX_DEGREE_CANDIDATES 4
#define WP_MODEL_MAX_FEATURES 24
#define WP_NAME_MAX 32

typedef enum wp_target { WP_TARGET_POWER = 0, WP_TARGET_RUNTIME = 1 } wp_target;

/* How a pipeline's coefficients are fitted. */
typedef enum wp_fit_kind {
    /* LassoCV on the design (the original's; wattprof's power pipelines,
     * in log space) */
    WP_FIT_LASSO = 0,
    /* the additive cost model: degree 1 on raw features, coefficients and
     * intercept >= 0, squared relative error minimised
     * (wp_nnls_relative_fit); wattprof's runtime pipelines */
    WP_FIT_NNLS_RELATIVE = 1
} wp_fit_kind;

typedef struct wp_pipeline_config {
    wp_layer_kind kind;
    wp_target target;
    int n_features;
    char features[WP_MODEL_MAX_FEATURES][WP_NAME_MAX];
    int degree;
    int log1p;
    int n_special;
    int special_len[WP_MAX_SPECIAL];
    char special[WP_MAX_SPECIAL][WP_MAX_SPECIAL_LEN][WP_NAME_MAX];
    wp_scaler_kind scaler;
    wp_lasso_options lasso;
    /* wattprof's additions (all 0 in the upstream configuration): */
    int log_target; /* fit log(y); predict exp(.) */
    int n_degrees;  /* > 1: candidates for `degree`, picked by
                                 * cross-validated RMSPE */
    int degrees[WP_MAX_DEGREE_CANDIDATES];
    int cv_by_network; /* folds = networks (when >= 3 of them) */
    int enabled;       /* 0: not trained (the kinds beyond conv,
                                 * pooling, dense in the upstream config) */
    wp_fit_kind fit;
} wp_pipeline_config;

/* Two per layer kind from WP_KIND_CONV to WP_KIND_MATMUL: the original's
 * six (conv, pooling, dense) first, then normalization, activation,
 * elementwise, reshape, softmax and matmul. */
#define WP_N_PIPELINES (2 * (WP_N_KINDS - WP_KIND_CONV))
#define WP_N_UPSTREAM_PIPELINES 6
/* Pipeline index: (kind - WP_KIND_CONV) * 2 + target. */
int wp_pipeline_index(wp_layer_kind kind, wp_target target);
/* "convolutional_power", ... */
const char *wp_pipeline_name(int index);

typedef struct wp_train_config {
    wp_pipeline_config pipe[WP_N_PIPELINES];
    int n_test_models; /* -1: not set by the config */
    char **test_models;
} wp_train_config;

/* wattprof's configuration (docs/training.md): the default of `train`. */
void wp_train_config_init(wp_train_config *c);
/* The original's configuration, bit for bit (`--config upstream`). */
void wp_train_config_upstream(wp_train_config *c);
/* Overrides c with a JSON config file; unknown keys, unknown features and
 * bad values are errors naming the file. A top-level "base": "upstream" or
 * "wattprof" first resets c to that configuration. */
int wp_train_config_load(const char *path, wp_train_config *c, wp_error *err);
void wp_train_config_free(wp_train_config *c);
/* The design (column indices into cfg->features) of a pipeline config. */
int wp_pipeline_design(const wp_pipeline_config *cfg, wp_design *d, wp_error *err);

typedef struct wp_metrics {
    size_t n;
    double rmspe, rmse, mse, r2, mae, mape; /* NaN when n == 0 */
} wp_metrics;

/* Upstream's evaluation: RMSPE = sqrt(mean(((y - p) / (y + 1e-10))^2)) * 100,
 * the rest as scikit-learn's metrics (MAPE as a fraction, not percent). */
void wp_metrics_compute(const double *y, const double *pred, size_t n, wp_metrics *m);

typedef struct wp_model {
    int format_version;
    wp_pipeline_config cfg;
    wp_design design;
    wp_scaler scaler;
    size_t p; /* design width */
    double *coef;
    double intercept;
    double alpha;
    int n_iter;
    /* training set description */
    char *data_dir;
    size_t n_train_models, n_test_models;
    char **train_models, **test_models;
    size_t train_rows, test_rows;
    wp_metrics train, test, lono; /* lono.n == 0: not computed */
    /* Each raw feature's training range (have_range 0: a version-1 file). */
    int have_range;
    double feat_min[WP_MODEL_MAX_FEATURES], feat_max[WP_MODEL_MAX_FEATURES];
    /* 90 % prediction interval from cross-validation residuals:
     * iv_ratio: [p * exp(iv_lo), p * exp(iv_hi)], else [p + iv_lo,
     * p + iv_hi]. have_interval 0: none. cv_rmspe: the held-out RMSPE (%)
     * those residuals give. */
    int have_interval;
    int iv_ratio; /* 1: the interval is a ratio (log target, additive model) */
    double iv_lo, iv_hi, cv_rmspe;
    /* the level-2 cache of the device the training data came from
     * ("cache_bytes"; 0: unknown): predict places a network against it
     * (wp_feature_context, cache_read_bytes / memory_read_bytes) */
    double cache_bytes;
    /* the output channels that device's convolutions compute together
     * ("channel_block"; 0: unknown): predict rounds a network's channels up
     * to it (padded_macs, padded_out_bytes) */
    double channel_block;
} wp_model;

/* The model file's text (JSON + newline, malloc'd), or NULL with err;
 * path only names it in errors. */
char *wp_model_render(const wp_model *m, const char *path, wp_error *err);
int wp_model_write(const char *path, const wp_model *m, wp_error *err);
/* 1 when path is a JSON document with "format": "wattprof-model" (of any
 * version): a file `train` may replace or remove. */
int wp_model_file_is_ours(const char *path);
int wp_model_read(const char *path, wp_model *m, wp_error *err);
void wp_model_free(wp_model *m);
/* Prediction from raw feature values in m->cfg.features order (exp of the
 * linear model for a log-target model). May be negative or not finite for
 * an upstream model; wp_predict_layers turns that into "not modelled". */
double wp_model_predict(const wp_model *m, const double *raw);
/* 1 when some raw feature lies outside the model's training range. */
int wp_model_out_of_range(const wp_model *m, const double *raw);

/* ---- training ----------------------------------------------------------- */

typedef struct wp_train_options {
    const char *data_dir;
    const char *out_dir;
    const char *const *test_models; /* NULL: config's, else lenet,resnet18,vgg16 */
    size_t n_test_models;
    const char *config_path; /* NULL: wattprof's; "upstream": the original's */
    int cv;                  /* > 0 overrides every pipeline's folds */
    int cv_by_model;         /* leave-one-network-out report */
    /* Rows of two devices (the training CSVs' device column, from each
     * network's device.json) are an error unless this is 1: a model of
     * one board's power says nothing about another's. Rows without a
     * device (older CSVs, a machine without a device tree) never conflict. */
    int allow_mixed_devices;
    wp_progress progress;
} wp_train_options;

/* Every field zero: the config's test models, folds and pipelines; set
 * data_dir and out_dir. */
void wp_train_options_init(wp_train_options *o);

typedef struct wp_lono_entry {
    char *model;
    size_t rows;
    double rmspe;
} wp_lono_entry;

typedef struct wp_train_pipeline_report {
    int trained; /* 0: no data for this layer kind */
    size_t train_rows, test_rows, n_terms, nonzero;
    double alpha;
    int degree;           /* the degree used (chosen among candidates) */
    wp_fit_kind fit;      /* how it was fitted */
    int folds;            /* cross-validation folds used */
    int folds_by_network; /* 1: one network per fold */
    double cv_rmspe;      /* cross-validated RMSPE (%), NaN if none */
    size_t dropped;       /* rows left out: target <= 0 with a log target
                           * or the additive model */
    wp_metrics train, test, lono;
    wp_lono_entry *lono_models;
    size_t n_lono;
} wp_train_pipeline_report;

typedef struct wp_train_report {
    wp_train_pipeline_report pipe[WP_N_PIPELINES];
    /* Pipelines not trained this run whose model file from an earlier run
     * in out_dir was removed (1), or left because it is not a wattprof
     * model file (-1). */
    int stale[WP_N_PIPELINES];
    /* Power pipelines not trained because no row of their data has a
     * power (profiled without a sensor: runtime-only data). */
    int skipped_no_power[WP_N_PIPELINES];
    /* Pipelines of the kinds beyond conv/pooling/dense not trained: too
     * few training rows (or a target <= 0 in too many) for the folds. */
    int skipped_too_few[WP_N_PIPELINES];
    size_t n_train_models, n_test_models;
    char **devices; /* the distinct devices of the rows, in the
                                       order first read (none: unknown) */
    size_t n_devices;
} wp_train_report;

/* Reads every DIR/<model>/{convolutional,pooling,dense}.csv, trains the six
 * pipelines, writes OUT/<pipeline>.json and OUT/metrics.json as a set:
 * everything is trained and rendered in memory, every file is staged
 * (temporary written and synced) before any is renamed into place, so a
 * failure before the renames leaves the previous set untouched; then model
 * files of pipelines this run did not produce (wattprof model files only)
 * are removed. */
int wp_train_run(const wp_train_options *o, wp_train_report *rep, wp_error *err);
void wp_train_report_free(wp_train_report *rep);

/* ---- prediction --------------------------------------------------------- */

typedef struct wp_prediction_row {
    char *layer_name;
    char *layer_type;
    wp_layer_kind kind;
    int modelled;
    char *reason; /* not modelled: why (malloc'd), else NULL */
    /* modelled, but the set has only the runtime model of this layer's
     * kind (what `train` writes from runtime-only data): power_w,
     * energy_mj and their bounds are NaN */
    int no_power;
    double power_w, runtime_ms, energy_mj; /* finite and > 0 when modelled (power and energy: unless no_power) */
    /* 90 % interval (NaN when the models carry none) */
    double power_lo, power_hi, runtime_lo, runtime_hi, energy_lo, energy_hi;
    int out_of_range; /* a feature outside the training range */
    /* not modelled: a rough runtime from the data-movement (reshape)
     * runtime model applied to what the layer reads and writes, for its
     * share of the network; NaN when that cannot be had */
    double est_runtime_ms;
    /* left out (never modelled, in no total, group or CSV): the runtime
     * fuses it into the layer that reason names, whose time holds its work
     * (wp_predict_layers_fused) */
    int fused;
} wp_prediction_row;

typedef struct wp_prediction {
    wp_prediction_row *rows;
    size_t n;
    size_t modelled;
    size_t out_of_range; /* modelled layers outside the training range */
    size_t no_power;     /* modelled layers with no_power set */
    /* sums over modelled layers; energy_mj and avg_power_w (and the energy
     * bounds) are NaN when no_power > 0: an energy of part of the layers
     * whose runtime is summed is not the network's */
    double runtime_ms, energy_mj, avg_power_w;
    /* network interval: sums of the layers' bounds (NaN when none) */
    double runtime_lo, runtime_hi, energy_lo, energy_hi;
    /* not modelled layers by (type, reason) */
    char **other_types;
    char **other_reasons;
    size_t *other_counts;
    double *other_est_ms;      /* sum of the group's est_runtime_ms */
    size_t *other_unestimated; /* layers of the group without one */
    size_t n_other_types;
    /* runtime_ms + every estimate of a not-modelled layer: what a share of
     * "the estimated time" is of */
    double estimated_total_ms;
    /* fused layers (rows with fused = 1) by ONNX operator, in order of
     * first appearance */
    char **fused_types;
    size_t *fused_counts;
    size_t n_fused_types, n_fused;
    /* the network against the models' cache (wp_feature_context):
     * network_bytes always, cache_bytes the largest any loaded model
     * keeps (0: none, the placement unknown), miss_share the share of the
     * network that cache cannot hold (wp_network_miss_share), resident
     * whether it fits (miss_share 0), network_layers the layers it runs
     * (wp_network_layers, fused ones left out) */
    double network_bytes, cache_bytes, miss_share, network_layers;
    int resident;
    /* the channel block the models keep (the largest; 0: none), the
     * modelled convolutions and how many of them it rounds up */
    double channel_block;
    size_t n_conv, n_channel_padded;
} wp_prediction;

/* Loads the models of models_dir (a layer kind whose two model files are
 * absent is reported as not modelled; one with its runtime model alone,
 * from runtime-only data, gets a runtime and no power: row no_power; a
 * power model without its runtime model is an error naming both files)
 * and predicts every layer of an
 * in-memory engine (wp_engine_read / wp_engine_parse / wp_graph_to_engine).
 * Layer features come from dataset's wp_layer_features, the same code that
 * wrote the training CSVs. Errors about a layer name eng->path and the
 * layer's line. A layer the engine marks fused into another (fused_into,
 * the cpu backend's "FusedInto") is left out as wp_predict_layers_fused
 * does. */
int wp_predict_layers(const char *models_dir, const wp_engine *eng, wp_prediction *out, wp_error *err);
/* The same, leaving out the layers a fusing runtime runs inside another:
 * fused_into (eng->n entries, or NULL for none) gives per layer the layer
 * whose time holds its work, or -1 (wp_graph_fusion_plan,
 * wp_runner_fused_into). Such a layer is a row with fused = 1, counted in
 * out->fused_*, and in nothing else. */
int wp_predict_layers_fused(const char *models_dir, const wp_engine *eng, const int *fused_into, wp_prediction *out,
                            wp_error *err);
/* Options of wp_predict_graph (wp_predict_options_init: the defaults). */
typedef struct wp_predict_options {
    /* 1 (default): leave out the nodes a fusing runtime (TensorRT, the cpu
     * backend) runs inside the convolution or dense layer before them
     * (wp_graph_fusion_plan), as measured data has no time of their own for
     * them; 0: every node is a layer of its own (a runtime that does not
     * fuse) */
    int fusion;
} wp_predict_options;
void wp_predict_options_init(wp_predict_options *opt);
/* Predicts an ONNX graph's layers as bench describes them
 * (wp_graph_to_engine), less the fused ones unless opt->fusion is 0
 * (wp_predict_layers_fused). opt NULL: the defaults. */
int wp_predict_graph(const char *models_dir, const wp_graph *g, const wp_predict_options *opt, wp_prediction *out,
                     wp_error *err);
/* wp_predict_layers on an engine-info file (models are loaded first, so a
 * bad models_dir is reported before a bad engine file). */
int wp_predict_engine(const char *models_dir, const char *engine_path, wp_prediction *out, wp_error *err);
/* When p->no_power > 0: why power and energy are missing, for the user
 * ("not modelled for 53 of 53 modelled layers (no power model for
 * convolutional, pooling, dense: ...)") in buf, which it returns; NULL
 * when every modelled layer has a power. */
const char *wp_prediction_no_power_note(const wp_prediction *p, char *buf, size_t cap);
/* layer_name,layer_type,power_prediction,runtime_prediction,energy_prediction,
 * then runtime_low,runtime_high,energy_low,energy_high,out_of_range
 * (modelled layers only; bounds empty when the models carry no interval;
 * power and energy cells empty for a no_power layer). */
int wp_prediction_write_csv(const wp_prediction *p, const char *path, wp_error *err);
void wp_prediction_free(wp_prediction *p);

#endif
