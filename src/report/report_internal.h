/* Shared between report.c (loading, page) and report_svg.c (charts). Not a
 * public interface. */
#ifndef WATTPROF_REPORT_INTERNAL_H
#define WATTPROF_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rp_layer {
    char *name, *type;
    double runtime_ms, runtime_sd;   /* mean over cycles; sd NaN when < 2 values */
    double power_w, power_err_w;     /* above idle, W; err: sd over cycles or standard error */
    double power_incl_w;             /* including idle, W */
    double energy_mj;                /* power_w * runtime_ms: energy above idle per inference */
    size_t n_runtime, n_power;
    double pred_power_w, pred_runtime_ms, pred_energy_mj; /* NaN: no prediction */
    double truth_power_w;            /* simulate's truth.json, above idle; NaN when unknown */
    char status[24];                 /* deconvolution status ("ok", "ill_conditioned", ...); "" otherwise */
} rp_layer;

typedef struct rp_model {
    char *name;
    rp_layer *layers;
    size_t n, cap;
    size_t n_cycles;
    int from_estimates;      /* powers from layer_power_estimates.csv (deconvolve) */
    size_t n_truth;          /* layers with a truth value */
} rp_model;

/* A window of one layer in one cycle, microseconds. */
typedef struct rp_window {
    int64_t start, end;
    size_t layer; /* index into the timeline's layer arrays */
    size_t cycle; /* 0-based */
} rp_window;

typedef struct rp_timeline {
    int64_t t0, t1;                 /* drawn range */
    const int64_t *sample_t;        /* samples within the range (plus one each side) */
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
    double idle_w;                  /* NaN when unknown */
    /* map's report offset (mapping_info.json): the windows above are
     * already drawn this much earlier than stamped; 0 when unknown */
    double offset_us;
    /* deconvolve's model of the sensor: per sample (sample_t), the
     * predicted reading; NULL when not drawn, NaN where undefined */
    const double *model_w;
    double window_us;               /* the sensor window it used; NaN when none */
} rp_timeline;

/* Text and numbers. */
void wp__report_fmt(double v, char *buf, size_t cap);        /* 4 significant digits, no exponent in usual ranges */
const char *wp__report_type_color(const char *type);          /* stable colour per layer type */
void wp__report_shorten(const char *s, size_t max_chars, char *buf, size_t cap); /* middle ellipsis, UTF-8 safe */

/* Charts (inline SVG). */
void wp__report_svg_bars(FILE *out, const rp_model *m);
void wp__report_svg_timeline(FILE *out, const rp_timeline *tl);
/* Measured (x) against predicted (y), one dot per layer coloured by type. */
void wp__report_svg_scatter(FILE *out, const char *title, const char *unit, const rp_model *m, int which);
enum { RP_POWER = 0, RP_RUNTIME = 1, RP_ENERGY = 2 };

/* Grouped horizontal bars: per row a "train" and a "test" value (NaN: none). */
void wp__report_svg_pair_bars(FILE *out, const char *title, const char *unit, const char *const *labels, const double *train,
                      const double *test, size_t n);

/* Scatter of n points on a log x axis (x > 0; others skipped) and a log
 * (logy, y > 0) or linear y axis, coloured per point; tips[i] (may be NULL)
 * is the tooltip. */
void wp__report_svg_loglog(FILE *out, const char *title, const char *xlabel, const char *ylabel, const double *x,
                   const double *y, const char *const *colors, const char *const *tips, size_t n, int logy);

/* Legend of the layer types present in m (HTML). */
void wp__report_legend(FILE *out, const rp_model *m);

#endif
