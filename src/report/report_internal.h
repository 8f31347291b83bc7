/* Shared between report_load.c (reading the inputs), report.c (the page) and
 * report_svg.c (charts). Not a public interface. */
#ifndef WATTPROF_REPORT_INTERNAL_H
#define WATTPROF_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "wattprof/error.h"
#include "wattprof/latency.h"
#include "wattprof/nameindex.h"
#include "wattprof/powerlog.h"
#include "wattprof/report.h"
#include "wattprof/timestamp.h"

typedef struct rp_layer {
    char *name, *type;
    double runtime_ms, runtime_sd; /* mean over cycles; sd NaN when < 2 values */
    double power_w, power_err_w;   /* above idle, W; err: sd over cycles or standard error */
    double power_incl_w;           /* including idle, W */
    double energy_mj;              /* power_w * runtime_ms: energy above idle per inference */
    size_t n_runtime, n_power;
    double pred_power_w, pred_runtime_ms, pred_energy_mj; /* NaN: no prediction */
    double truth_power_w;                                 /* simulate's truth.json, above idle; NaN when unknown */
    char status[24]; /* deconvolution status ("ok", "ill_conditioned", ...); "" otherwise */
} rp_layer;

typedef struct rp_model {
    char *name;
    rp_layer *layers;
    size_t n, cap;
    size_t n_cycles;
    int from_estimates; /* powers from layer_power_estimates.csv (deconvolve) */
    size_t n_truth;     /* layers with a truth value */
} rp_model;

/* A window of one layer in one cycle, microseconds. */
typedef struct rp_window {
    int64_t start, end;
    size_t layer; /* index into the timeline's layer arrays */
    size_t cycle; /* 0-based */
} rp_window;

typedef struct rp_timeline {
    int64_t t0, t1;          /* drawn range */
    const int64_t *sample_t; /* samples within the range (plus one each side) */
    const double *sample_w;
    size_t n_samples;
    rp_window *reported, *reconstructed;
    size_t n_windows;               /* each of the two arrays */
    int chosen_reconstructed;       /* which one the bands and the estimate use */
    const char *const *layer_names; /* n_layers */
    const char *const *layer_types;
    const double *layer_power_incl_w; /* NaN when unknown */
    size_t n_layers;
    size_t first_cycle, n_cycles_drawn;
    double idle_w; /* NaN when unknown */
    /* map's report offset (mapping_info.json): the windows above are
     * already drawn this much earlier than stamped; 0 when unknown */
    double offset_us;
    /* deconvolve's model of the sensor: per sample (sample_t), the
     * predicted reading; NULL when not drawn, NaN where undefined */
    const double *model_w;
    double window_us; /* the sensor window it used; NaN when none */
} rp_timeline;

/* Text and numbers. */
void wp__report_fmt(double v, char *buf, size_t cap); /* 4 significant digits, no exponent in usual ranges */
const char *wp__report_type_color(const char *type);  /* stable colour per layer type */
void wp__report_shorten(const char *s, size_t max_chars, char *buf, size_t cap); /* middle ellipsis, UTF-8 safe */
/* A JSON scalar, or an array of at most 16 scalars, as text; -1 for anything
 * else (report_load.c). */
int wp__report_json_text(const json_t *v, char *buf, size_t cap);

/* Charts (inline SVG). */
void wp__report_svg_bars(FILE *out, const rp_model *m);
void wp__report_svg_timeline(FILE *out, const rp_timeline *tl);
/* Measured (x) against predicted (y), one dot per layer coloured by type. */
void wp__report_svg_scatter(FILE *out, const char *title, const char *unit, const rp_model *m, int which);
enum { RP_POWER = 0, RP_RUNTIME = 1, RP_ENERGY = 2 };

/* Grouped horizontal bars: per row a "train" and a "test" value (NaN: none). */
void wp__report_svg_pair_bars(FILE *out, const char *title, const char *unit, const char *const *labels,
                              const double *train, const double *test, size_t n);

/* Scatter of n points on a log x axis (x > 0; others skipped) and a log
 * (logy, y > 0) or linear y axis, coloured per point; tips[i] (may be NULL)
 * is the tooltip. */
void wp__report_svg_loglog(FILE *out, const char *title, const char *xlabel, const char *ylabel, const double *x,
                           const double *y, const char *const *colors, const char *const *tips, size_t n, int logy);

/* Legend of the layer types present in m (HTML). */
void wp__report_legend(FILE *out, const rp_model *m);

/* ---- inputs (report_load.c) ---------------------------------------------- */

/* Key-value rows (run configuration). */
typedef struct rp_kv_list {
    char **k, **v;
    size_t n, cap;
} rp_kv_list;

/* Adds a row (copies both; a row that cannot be copied is left out). */
void wp__report_kv_add(rp_kv_list *l, const char *k, const char *v);
void wp__report_kv_free(rp_kv_list *l);

/* RESULT/<model>/mapping_info.json, written by `map` (docs/mapping.md). */
typedef struct rp_map_info {
    int have;
    char attribution[32], version[32], timeline[32], timeline_req[32], log_start[WP_TS_BUFSZ + 8];
    char reason[512]; /* "" when the timeline was given */
    double offset_us; /* total report offset; 0 when absent */
    int offset_auto;
    double range_lo, range_hi; /* offset search range; NaN when absent */
    int deconv;                /* the "deconvolve" object is there */
    double window_us, rms_uw, gap_uw;
    int window_auto;
    double samples_used, cycles, power_samples, span_s, rate, idle_uw; /* NaN when absent */
} rp_map_info;

/* RAW/<model>/: the power log and the latency file (the timeline). */
typedef struct rp_raw {
    int have_log, have_lat;
    wp_powerlog log;
    wp_latency lat;
} rp_raw;

/* Everything the page shows for one model. */
typedef struct rp_inputs {
    rp_model m;
    wp_name_index ix; /* layer name -> index into m.layers */
    rp_raw raw;
    rp_kv_list cfg; /* the benchmark's <model>_tensorrt.json */
    rp_kv_list dev; /* device.json (result's, else raw's) */
    rp_map_info mi;
    char *pred_source; /* where the predictions came from; NULL: none */
    double idle_w;     /* NaN when unknown */
    int explicit_used; /* the --predictions file gave them */
} rp_inputs;

/* Reads model `name` of o->result_dir (and of o->raw_data_dir, the
 * predictions, the models). On failure nothing is left to free. */
int wp__report_load_model(const wp_report_options *o, const char *name, rp_inputs *in, wp_error *err);
void wp__report_inputs_free(rp_inputs *in);
/* Index of the layer called name in m, or -1. */
long wp__report_layer_find(const wp_name_index *ix, const rp_model *m, const char *name);

/* The model folders of a result directory (holding a mapping or estimates),
 * sorted by name. */
int wp__report_list_models(const char *dir, char ***names, size_t *n, wp_error *err);
/* A `wattprof predict` CSV: rows matched to m's layers (m NULL: only checks
 * the file); returns the rows matched (or read), or -1. */
long wp__report_load_predictions(const char *path, rp_model *m, wp_name_index *ix, wp_error *err);

/* Training data: per network folder of `wattprof dataset`, the rows of each
 * kind's CSV (-2: no such file) and every row as a point. */
typedef struct rp_training_points {
    double *x, *rt, *pw; /* work, runtime (ms), power above idle (W) */
    const char **color;
    char **tip;
    size_t n, cap;
} rp_training_points;

typedef struct rp_training {
    char **nets;
    size_t n;
    long *rows; /* [3 * net + kind] */
    rp_training_points pts;
} rp_training;

/* The dataset's kinds ("convolutional", ...) and the layer type each is
 * coloured as. */
extern const char *const wp__report_td_kind[3];
extern const char *const wp__report_td_type[3];

int wp__report_load_training(const char *data_dir, rp_training *td, wp_error *err);
void wp__report_training_free(rp_training *td);

/* models_dir/metrics.json: *root NULL when absent (or no models_dir); *path
 * (free it) names it either way. */
int wp__report_load_metrics(const char *models_dir, json_t **root, char **path, wp_error *err);

#endif
