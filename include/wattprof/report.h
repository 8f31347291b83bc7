/* `wattprof report`: one self-contained HTML file (inline CSS and SVG, no
 * script, no network) that shows what a result directory holds.
 *
 * For every model folder RESULT/<model>/ with a mapping CSV or per-layer
 * estimates: the run's configuration, per-layer runtime / power / energy
 * bars, a timeline of a few cycles with the power samples and the layer
 * windows (needs the raw data), measured against predicted per layer, and
 * the training metrics. A section whose inputs are absent is left out with a
 * note saying what would fill it; only unreadable or malformed inputs that
 * are present are errors. */
#ifndef WATTPROF_REPORT_H
#define WATTPROF_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "wattprof/error.h"
#include "wattprof/progress.h"

typedef struct wp_report_options {
    const char *result_dir;   /* required: RESULT/<model>/... from map */
    const char *raw_data_dir; /* optional: RAW/<model>/ power log + latency (timeline, config) */
    const char *models_dir;   /* optional: trained models + metrics.json (predictions, metrics) */
    const char *data_dir;     /* optional: `wattprof dataset` output, DATA/<network>/{convolutional,
                                  * pooling,dense}.csv (training data section) */
    const char *predictions;  /* optional: a `wattprof predict` CSV, or a folder of
                                  * <model>.csv / <model>/predictions.csv */
    const char *title;        /* NULL: "wattprof report" */
    int timeline_cycles;      /* cycles drawn in the timeline; <= 0: 3 */
    wp_progress progress;
} wp_report_options;

/* Every field zero (the defaults the fields name); set result_dir. */
void wp_report_options_init(wp_report_options *o);

/* Renders the report to an open stream. Returns the number of model
 * sections written (0 is not an error: the page says nothing was found). */
int wp_report_render(const wp_report_options *opts, FILE *out, wp_error *err);

/* Renders into `out_path` atomically (nothing is left behind on error).
 * Returns the number of model sections, or -1. */
int wp_report_write(const wp_report_options *opts, const char *out_path, wp_error *err);

/* Writes s with & < > " ' escaped for HTML text and attribute values;
 * control characters become spaces. */
void wp_html_escape(FILE *out, const char *s);

#endif
