/* Training data from mapped measurements (`wattprof dataset`), and the
 * per-layer feature extraction shared with prediction.
 *
 * For every model folder DIR/<model>/ holding power_runtime_mapping_layerwise.csv
 * and trt_engine_info.json (what `wattprof map` writes):
 *   - DIR/<model>/<model>_average_power_stats.csv and
 *     DIR/<model>/<model>_average_run_time_stats.csv: pandas-describe style
 *     statistics per kept layer (count, mean, sample std, min, 25%, 50%, 75%,
 *     max; linear quantiles; empty where undefined), rows sorted by layer name;
 *   - RESULT/<model>/convolutional.csv, pooling.csv, dense.csv: one row per
 *     kept layer, feature columns (wp_feature_names) then power (mean
 *     microwatts excluding idle), runtime (mean ms), layer_name, and device
 *     (the board, from DIR/<model>/device.json) when that names one.
 * A model is skipped (stats written, no training files) when a kept layer has
 * fewer than N power or runtime values. See docs/dataset.md. */
#ifndef WATTPROF_DATASET_H
#define WATTPROF_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/engine.h"
#include "wattprof/error.h"

/* ---- features (shared with `predict`) --------------------------------- */

#define WP_FEATURE_MAX 40

/* Named feature values of one layer, in training-CSV column order. */
typedef struct wp_feature_row {
    wp_layer_kind kind;
    size_t n;                 /* number of features */
    const char *const *names; /* n static names (== wp_feature_names(kind)) */
    double values[WP_FEATURE_MAX];
} wp_feature_row;

/* Feature column names of a kind's training CSV, in order (power, runtime
 * and layer_name follow them in the file). *count gets the number; NULL and
 * 0 for WP_KIND_OTHER. The first wp_feature_upstream_count(kind) names are
 * upstream's columns in upstream's order; the rest are wattprof's extras:
 *   convolutional: batch_size, input_size_0..2, output_size_0..2, kernel_0/1,
 *                  padding_0/1, stride_0/1 | dilation_0/1, groups, macs, bytes,
 *                  in_bytes, weight_bytes, out_bytes, intensity
 *   pooling:       batch_size, input_size_0..2, output_size_0..2, kernel_0/1,
 *                  stride_0/1 | padding_0/1, global_pooling, ops, bytes,
 *                  in_bytes, out_bytes, intensity
 *   dense:         batch_size, input_size, output_size | macs, bytes, in_bytes,
 *                  weight_bytes, out_bytes, intensity
 *   (every kind then ends with network_bytes, cache_bytes, cold_start,
 *   convolution and dense with cache_read_bytes, memory_read_bytes after
 *   those: wp_layer_features_in)
 *   every other kind (normalization, activation, elementwise, reshape,
 *   softmax, matmul): batch_size, inputs, in_elems, out_elems,
 *                  weight_elems, ops, bytes, in_bytes, weight_bytes, out_bytes,
 *                  transcendental (operators evaluating exp/erf/tanh, from
 *                  the layer's ops) (no upstream columns)
 * bytes = in_bytes + weight_bytes + out_bytes; intensity = macs (ops) / bytes. */
const char *const *wp_feature_names(wp_layer_kind kind, size_t *count);
size_t wp_feature_upstream_count(wp_layer_kind kind);
/* Column index of a feature name for kind, or -1. */
int wp_feature_index(wp_layer_kind kind, const char *name);

/* The kind a layer is modelled (and written to the training CSVs) as:
 * layer->kind, except that a "dense" layer whose output has spatial extent
 * (a 1x1 convolution TensorRT runs as CaskGemmConvolution) is a
 * convolution, as the ONNX path describes it; an OTHER layer gets its kind
 * from its type (wp_layer_type_kind), a PointWise or ElementWise layer with
 * two or more inputs being elementwise, with one an activation. A layer the
 * engine reader gave a kind_reason (TensorRT 10 generated code) stays OTHER. */
wp_layer_kind wp_layer_model_kind(const wp_engine_layer *layer);
/* The kind a LayerType names (conv/pool/dense as wp_layer_kind_from_type;
 * "Scale" -> normalization, "PointWiseV2" -> activation, "Concat" ->
 * reshape, ...); OTHER for a type wattprof has no model for. */
wp_layer_kind wp_layer_type_kind(const char *layer_type);

/* A full feature row from the original's columns alone (the first
 * wp_feature_upstream_count(kind) values, in that order), for datasets
 * written by the original: groups and dilation 1, FP16 (2-byte) elements,
 * and dense input_size/output_size read as the original writes them
 * (element counts including the batch). -1 on negative or non-finite
 * values. */
int wp_features_from_upstream(wp_layer_kind kind, const double *upstream, wp_feature_row *row);

/* Features of `layer` read as a layer of `kind` (usually layer->kind; a
 * predictor mapping other operators may pass another). Rules:
 *   - convolution: NCHW input/output; padding = PrePadding + PostPadding;
 *     Stride/Dilation default to 1, padding to 0; Kernel required;
 *     macs = N * Cout * Hout * Wout * (Cin / groups) * Kh * Kw;
 *   - pooling: kernel = WindowSize; only a layer without WindowSize is global
 *     pooling (kernel = input H x W, global_pooling = 1); Stride defaults to
 *     the kernel; ops = N * C * Hout * Wout * Kh * Kw;
 *   - dense: input/output of rank >= 2 (2-D [N, C] or 4-D [N, C, H, W]);
 *     input_size / output_size = product of the non-batch dimensions;
 *     macs = N * input_size * output_size, except for a 4-D output with
 *     H x W > 1 (a 1x1 convolution run as a GEMM): N * H * W * Cin * Cout;
 *   - bytes = element size x (input + output + weight elements), element size
 *     from the input's Format/Datatype (layer->elem_bytes), 2 (FP16, what the
 *     Jetson engines use) when unknown.
 * Fails (message without file/line: the caller knows where the layer came
 * from) on missing or non-positive dimensions or attributes. */
int wp_layer_features(const wp_engine_layer *layer, wp_layer_kind kind, wp_feature_row *row, wp_error *err);
/* What the features of a convolution or dense layer need beyond the
 * layer: the network it is part of and the device it runs on. */
typedef struct wp_feature_context {
    double network_bytes;  /* the network's weight bytes (wp_network_bytes) */
    double cache_bytes;    /* the device's level-2 cache (wp_engine.cache_bytes); 0: unknown */
    double channel_block;  /* output channels its convolutions compute together
                              (wp_engine.channel_block); 0: unknown */
    double network_layers; /* the layers the device runs an inference
                              (wp_network_layers); 0: unknown */
} wp_feature_context;
/* The share of the network the cache cannot hold: 0 when it fits (both
 * known; its weights stay there between inferences), 1 - cache_bytes /
 * network_bytes when it is larger, 1 when either is unknown. */
double wp_network_miss_share(const wp_feature_context *ctx);
/* 1 when the network fits (wp_network_miss_share 0). */
int wp_network_resident(const wp_feature_context *ctx);
/* How crowded a layer's state is by the rest of its network between two
 * of its runs: 1 - exp(-network_layers / WP_CROWDING_LAYERS); 1 when the
 * cache or the layer count is unknown (as cold_start: on such data every
 * row is 1, a constant the fit leaves at 0). */
#define WP_CROWDING_LAYERS 16.0
double wp_network_crowding(const wp_feature_context *ctx);
/* Sum over the engine's layers of a modelled kind, those fused into
 * another left out (FusedInto, or fused_into[i] >= 0 when given: eng->n
 * entries as wp_predict_engine's), of weight_bytes: what one inference
 * reads and the next reads again. */
double wp_network_bytes(const wp_engine *eng, const int *fused_into);
/* The engine's layers, those fused into another left out (as
 * wp_network_bytes): the layers one inference runs. */
double wp_network_layers(const wp_engine *eng, const int *fused_into);
/* wp_layer_features in a context (NULL: unknown, as wp_layer_features):
 * every row has network_bytes, cache_bytes, cold_start (the miss
 * share, wp_network_miss_share), network_layers and crowding
 * (wp_network_crowding); convolution and dense rows end with
 * cache_read_bytes (in_bytes, plus the share of weight_bytes in the
 * cache) and memory_read_bytes (the rest of weight_bytes), and
 * convolution rows with channel_block, padded_macs, padded_out_bytes and
 * padded_taps. */
int wp_layer_features_in(const wp_engine_layer *layer, wp_layer_kind kind, const wp_feature_context *ctx,
                         wp_feature_row *row, wp_error *err);
/* Value of a named feature, or NaN when the row has no such feature. */
double wp_feature_get(const wp_feature_row *row, const char *name);

/* ---- statistics -------------------------------------------------------- */

/* pandas Series.describe() of the finite values among v[0..n-1] (NaN =
 * missing). Undefined figures are NaN: everything but count when there are
 * no values, std when there is one. Sums follow numpy's pairwise summation
 * and quantiles numpy's linear method, so results match upstream's to the
 * last bit. */
typedef struct wp_describe_stats {
    double count, mean, std, min, q25, q50, q75, max;
} wp_describe_stats;

int wp_describe(const double *v, size_t n, wp_describe_stats *out);
/* Mean of the finite values as pandas' groupby().mean() computes it
 * (Kahan-compensated sum), NaN when there are none. */
double wp_group_mean(const double *v, size_t n);

/* ---- the dataset step --------------------------------------------------- */

/* How a layer's per-cycle runtimes become its training runtime. Means on a
 * shared machine run well above medians (other jobs add time, never take
 * it away), so a low statistic can be closer to the layer's own cost. */
typedef enum wp_runtime_stat { WP_RUNTIME_MEAN = 0, WP_RUNTIME_MEDIAN, WP_RUNTIME_P10, WP_RUNTIME_MIN } wp_runtime_stat;
#define WP_N_RUNTIME_STATS (WP_RUNTIME_MIN + 1)
/* "mean", "median", "p10", "min" */
const char *wp_runtime_stat_name(wp_runtime_stat s);
/* The statistic of the finite values among v[0..n-1] (mean as
 * wp_group_mean; median and p10 by numpy's linear quantile; min the
 * smallest), NaN when
 * there are none. */
double wp_runtime_stat_of(wp_runtime_stat s, const double *v, size_t n);

typedef struct wp_dataset_options {
    int per_layer_measurements;   /* N: minimum values per kept layer (default 10) */
    wp_runtime_stat runtime_stat; /* default WP_RUNTIME_MEAN, the original's: the lowest
                                     leave-one-network-out error (docs/training.md) */
    /* A measured layer the engine info lacks: 0 (default) leaves it out of
     * the statistics and training files and counts it in the report
     * (layers_not_in_engine); 1 makes it an error naming file and line. */
    int strict;
} wp_dataset_options;

void wp_dataset_options_init(wp_dataset_options *opt);

typedef struct wp_dataset_short_layer {
    char *name;
    size_t power_count, runtime_count;
} wp_dataset_short_layer;

typedef struct wp_dataset_model {
    char *name;
    int skipped; /* 1: a kept layer had fewer than N values */
    wp_dataset_short_layer *short_layers;
    size_t n_short;
    size_t rows[WP_N_KINDS];      /* training rows written per wp_layer_kind */
    size_t extra_short;           /* layers of the kinds beyond conv/pool/dense
                                       left out: fewer than N runtimes */
    size_t layers_fused;          /* layers of the other kinds the engine
                                       marks FusedInto another (cpu backend),
                                       left out: their work is in its row */
    size_t layers_not_in_mapping; /* kept engine layers with no mapping rows */
    size_t layers_not_in_engine;  /* measured kept layers the engine info
                                       lacks, left out (not strict) */
    char *first_not_in_engine;    /* the first of them (by name), and where
                                       it first appears in the mapping */
    char *not_in_engine_where;    /* "FILE:LINE" */
    char *device;                 /* the board of DIR/<model>/device.json
                                       (map's copy), NULL when unknown; the
                                       training CSVs' device column */
} wp_dataset_model;

typedef struct wp_dataset_ignored_type {
    char *type;    /* layer_type not modelled ("Reformat", ...) */
    size_t layers; /* distinct layers of that type, all models */
} wp_dataset_ignored_type;

typedef struct wp_dataset_report {
    wp_dataset_model *models;
    size_t n_models;
    wp_dataset_ignored_type *ignored;
    size_t n_ignored;
} wp_dataset_report;

/* Runs the step over every model folder of preprocessed_dir (sorted by name,
 * hidden entries skipped). Everything is read and checked first: on any
 * error nothing at all is written. */
int wp_dataset_run(const char *preprocessed_dir, const char *result_dir, const wp_dataset_options *opt,
                   wp_dataset_report *rep, wp_error *err);
void wp_dataset_report_free(wp_dataset_report *rep);

#endif
