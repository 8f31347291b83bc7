#include "wattprof/mapper.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/deconvolve.h"
#include "wattprof/engine.h"
#include "wattprof/fsutil.h"
#include "wattprof/idle.h"
#include "wattprof/latency.h"
#include "wattprof/layout.h"
#include "wattprof/powerlog.h"
#include "wattprof/resultset.h"
#include "wattprof/timestamp.h"
#include "wattprof/tegrastats.h"
#include "wattprof/trtexec.h"
#include "core/thread_internal.h"

/* cmake/version.cmake passes project(VERSION); this only for other builds */
#ifndef WATTPROF_VERSION
#define WATTPROF_VERSION "unknown"
#endif

void wp_map_options_init(wp_map_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->timeline = WP_TIMELINE_AUTO;
    opt->attribution = WP_ATTRIBUTION_AUTO;
    opt->max_relative_se = WP_DECONV_MAX_RELATIVE_SE;
}

static char *csv_escaped(const char *s)
{
    if (!strpbrk(s, ",\"\n\r"))
        return strdup(s);
    size_t n = 3;
    for (const char *p = s; *p; p++)
        n += 1 + (*p == '"');
    char *out = malloc(n), *o = out;
    if (!out)
        return NULL;
    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *o++ = '"';
        *o++ = *s;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

typedef struct model_files {
    char *power_log, *latency, *engine;
    /* trtexec's files (used when trt_layer_latency.json is absent and the
     * times file is there: docs/trtexec.md) */
    char *trt_profile, *trt_times, *run_info;
    int trtexec;
    /* power from <model>/tegrastats.log (when <model>_power_log.log is
     * absent; power_log then names it) */
    int tegrastats;
} model_files;

static int model_paths(const char *model_dir, const char *model, model_files *f)
{
    memset(f, 0, sizeof *f);
    char name[1024];
    snprintf(name, sizeof name, "%s" WP_POWER_LOG_SUFFIX, model);
    f->power_log = wp_path_join(model_dir, name);
    f->latency = wp_layout_profiling_file(model_dir, WP_LATENCY_JSON);
    f->engine = wp_layout_profiling_file(model_dir, WP_ENGINE_INFO_JSON);
    f->trt_profile = wp_path_join(model_dir, WP_TRTEXEC_PROFILE);
    f->trt_times = wp_path_join(model_dir, WP_TRTEXEC_TIMES);
    f->run_info = wp_path_join(model_dir, WP_RUN_INFO_JSON);
    if (!f->power_log || !f->latency || !f->engine || !f->trt_profile || !f->trt_times || !f->run_info)
        return -1;
    f->trtexec = !wp_is_file(f->latency) && wp_is_file(f->trt_times);
    char *teg = wp_path_join(model_dir, WP_TEGRASTATS_LOG);
    if (!teg)
        return -1;
    if (!wp_is_file(f->power_log) && wp_is_file(teg)) {
        free(f->power_log);
        f->power_log = teg;
        f->tegrastats = 1;
    } else {
        free(teg);
    }
    return 0;
}

static void model_files_free(model_files *f)
{
    free(f->power_log);
    free(f->latency);
    free(f->engine);
    free(f->trt_profile);
    free(f->trt_times);
    free(f->run_info);
}

/* Rows are formatted in chunks of cycles by two threads (number
 * formatting is most of map's CPU time on large inputs) and written in
 * order: each thread formats its chunk into its own growing buffer, then
 * waits for its turn to fwrite it, while the other formats the next. */
enum { CHUNK_CYCLES = 256 };

typedef struct rowbuf {
    char *buf;
    size_t len, cap;
    int oom;
} rowbuf;

static inline void rb_put(rowbuf *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1 << 16;
        while (cap < o->len + n)
            cap *= 2;
        char *nb = realloc(o->buf, cap);
        if (!nb) {
            o->oom = 1;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static inline void rb_double(rowbuf *o, double v)
{
    if (isnan(v))
        return;
    char b[WP_DOUBLE_BUFSZ];
    size_t n = wp_format_double(v, b);
    rb_put(o, b, n);
}

typedef struct row_job {
    FILE *fp;
    const wp_latency *lat;
    char **names, **types;
    size_t *name_len, *type_len;
    const double *power;
    double idle_uw;
    const wp_progress *progress;
    size_t n_chunks;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next_write; /* chunk whose turn it is to be written */
    int failed;
} row_job;

static void format_chunk(row_job *j, size_t chunk, rowbuf *o)
{
    const wp_latency *lat = j->lat;
    size_t c_end = (chunk + 1) * CHUNK_CYCLES;
    if (c_end > lat->n_cycles)
        c_end = lat->n_cycles;
    o->len = 0;
    for (size_t c = chunk * CHUNK_CYCLES; c < c_end; c++) {
        char cyc[32];
        size_t cn = (size_t)snprintf(cyc, sizeof cyc, "%zu,", c + 1);
        for (size_t l = 0; l < lat->n_layers; l++) {
            size_t i = l * lat->n_cycles + c;
            double p = j->power[i];
            rb_put(o, cyc, cn);
            rb_put(o, j->names[l], j->name_len[l]);
            rb_put(o, ",", 1);
            rb_put(o, j->types[l], j->type_len[l]);
            rb_put(o, ",", 1);
            /* 0 W is a value (upstream wrote it as missing); only "no
             * sample" is empty. */
            rb_double(o, p);
            rb_put(o, ",", 1);
            rb_double(o, isnan(p) ? NAN : p - j->idle_uw);
            rb_put(o, ",", 1);
            rb_double(o, lat->latency_ms[i]);
            rb_put(o, "\n", 1);
        }
    }
}

static void run_rows(row_job *j, size_t first)
{
    rowbuf o = {0};
    for (size_t k = first; k < j->n_chunks; k += 2) {
        format_chunk(j, k, &o);
        pthread_mutex_lock(&j->mu);
        while (j->next_write != k && !j->failed)
            pthread_cond_wait(&j->cv, &j->mu);
        int stop = j->failed;
        pthread_mutex_unlock(&j->mu);
        if (stop)
            break;
        int bad = o.oom || (o.len && fwrite(o.buf, 1, o.len, j->fp) != o.len);
        if (first == 0)
            wp_progress_report(j->progress, "writing rows", (double)k, (double)j->n_chunks);
        pthread_mutex_lock(&j->mu);
        j->failed |= bad;
        j->next_write = k + 1;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        if (bad)
            break;
    }
    free(o.buf);
}

static void *row_worker(void *arg)
{
    run_rows(arg, 1);
    return NULL;
}

static int write_rows(FILE *fp, const wp_latency *lat, char **names, char **types, const double *power, double idle_uw,
                      const wp_progress *progress)
{
    fputs(WP_MAPPING_HEADER "\n", fp);
    row_job j = {0};
    j.fp = fp;
    j.lat = lat;
    j.names = names;
    j.types = types;
    j.power = power;
    j.idle_uw = idle_uw;
    j.progress = progress;
    j.n_chunks = (lat->n_cycles + CHUNK_CYCLES - 1) / CHUNK_CYCLES;
    j.name_len = malloc((lat->n_layers + 1) * sizeof *j.name_len);
    j.type_len = malloc((lat->n_layers + 1) * sizeof *j.type_len);
    if (!j.name_len || !j.type_len) {
        free(j.name_len);
        free(j.type_len);
        return -1;
    }
    for (size_t l = 0; l < lat->n_layers; l++) {
        j.name_len[l] = strlen(names[l]);
        j.type_len[l] = strlen(types[l]);
    }
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.cv, NULL);
    pthread_t worker;
    int threaded = j.n_chunks > 1 && wp__thread_create(&worker, row_worker, &j) == 0;
    if (threaded) {
        run_rows(&j, 0);
        pthread_join(worker, NULL);
    } else {
        /* one thread does every chunk in turn */
        rowbuf o = {0};
        for (size_t k = 0; k < j.n_chunks && !j.failed; k++) {
            format_chunk(&j, k, &o);
            j.failed = o.oom || (o.len && fwrite(o.buf, 1, o.len, fp) != o.len);
        }
        free(o.buf);
    }
    pthread_mutex_destroy(&j.mu);
    pthread_cond_destroy(&j.cv);
    free(j.name_len);
    free(j.type_len);
    /* a failed fwrite also shows in the stream's error flag, which
     * wp_atomic_commit reports; here only memory is left to fail */
    return j.failed && !ferror(fp) ? -1 : 0;
}

static void jset_num(json_t *o, const char *key, double v)
{
    json_object_set_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

/* mapping_info.json: what this run chose and what it worked from, so the
 * report (and a reader months later) need not re-derive it. */
static wp_atomic_file *write_info(const char *path, const char *model, const wp_map_options *opt,
                                  wp_timeline_mode chosen, const char *reason, const wp_powerlog *log,
                                  const wp_latency *lat, double idle_uw, const wp_deconv_summary *ds,
                                  wp_attribution_mode used, const char *fallback, size_t empty, const char *source,
                                  wp_error *err)
{
    json_t *root = json_object();
    if (!root) {
        wp_fail(err, path, 0, "out of memory");
        return NULL;
    }
    json_object_set_new(root, "wattprof_version", json_string(WATTPROF_VERSION));
    json_object_set_new(root, "model", json_string(model));
    json_object_set_new(root, "attribution", json_string(wp_attribution_mode_name(used)));
    json_object_set_new(root, "attribution_requested", json_string(wp_attribution_mode_name(opt->attribution)));
    json_object_set_new(root, "attribution_fallback", fallback ? json_string(fallback) : json_null());
    /* which profiler's files the layer windows came from */
    json_object_set_new(root, "profile_source", json_string(source));
    json_t *tl = json_object();
    json_object_set_new(tl, "requested", json_string(wp_timeline_mode_name(opt->timeline)));
    json_object_set_new(tl, "chosen", json_string(wp_timeline_mode_name(chosen)));
    json_object_set_new(tl, "reason", opt->timeline == WP_TIMELINE_AUTO ? json_string(reason) : json_null());
    json_object_set_new(root, "timeline", tl);
    /* The total shift between the timeline's stamps and the sensor's clock:
     * the given offset plus deconvolve's own (auto or given). */
    double offset = opt->report_offset_us + (ds ? ds->offset_us : 0);
    jset_num(root, "report_offset_us", offset);
    json_object_set_new(root, "report_offset_auto", json_boolean(ds && opt->report_offset_auto));
    if (ds) {
        json_t *d = json_object();
        jset_num(d, "sensor_window_us", ds->window_us);
        json_object_set_new(d, "sensor_window_auto", json_boolean(!(opt->sensor_window_us > 0)));
        if (opt->report_offset_auto) {
            json_t *r = json_array();
            json_array_append_new(
                r, json_real(opt->offset_min_us < opt->offset_max_us ? opt->offset_min_us : WP_DECONV_OFFSET_MIN_US));
            json_array_append_new(
                r, json_real(opt->offset_min_us < opt->offset_max_us ? opt->offset_max_us : WP_DECONV_OFFSET_MAX_US));
            json_object_set_new(d, "report_offset_range_us", r);
        }
        jset_num(d, "rms_residual_micro_watt", ds->rms_residual_uw);
        jset_num(d, "gap_power_including_idle_micro_watt", ds->gap_power_uw);
        json_object_set_new(d, "samples_used", json_integer((json_int_t)ds->n_used));
        json_object_set_new(d, "layers_without_estimate", json_integer((json_int_t)ds->n_flagged));
        json_object_set_new(d, "unknowns", json_integer((json_int_t)ds->n_unknowns));
        jset_num(d, "max_relative_se", opt->max_relative_se);
        json_object_set_new(d, "layers_uncertain", json_integer((json_int_t)ds->n_uncertain));
        jset_num(d, "idle_noise_micro_watt", ds->idle_noise_uw);
        json_object_set_new(d, "warning", ds->warning[0] ? json_string(ds->warning) : json_null());
        json_object_set_new(d, "least_squares_solves", json_integer(ds->evaluations));
        json_object_set_new(root, "deconvolve", d);
    } else {
        json_object_set_new(root, "deconvolve", json_null());
    }
    json_object_set_new(root, "layers", json_integer((json_int_t)lat->n_layers));
    json_object_set_new(root, "cycles", json_integer((json_int_t)lat->n_cycles));
    json_object_set_new(root, "windows_without_power", json_integer((json_int_t)empty));
    jset_num(root, "idle_power_micro_watt", idle_uw);
    json_object_set_new(root, "power_samples", json_integer((json_int_t)log->n));
    double span = log->n ? (double)(log->samples[log->n - 1].t_us - log->samples[0].t_us) / 1e6 : NAN;
    jset_num(root, "log_span_s", span);
    jset_num(root, "sample_rate_per_s", log->n > 1 && span > 0 ? (double)(log->n - 1) / span : NAN);
    char ts[WP_TS_BUFSZ];
    if (log->n) {
        wp_ts_format(log->samples[0].t_us, ts);
        json_object_set_new(root, "log_start", json_string(ts));
        wp_ts_format(log->samples[log->n - 1].t_us, ts);
        json_object_set_new(root, "log_end", json_string(ts));
    }
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (af) {
        FILE *fp = wp_atomic_stream(af);
        if (json_dumpf(root, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) != 0 ||
            fputc('\n', fp) == EOF) {
            wp_fail_errno(err, path, wp_atomic_write_errno(af), "cannot write");
            wp_atomic_abort(af);
            af = NULL;
        }
    }
    json_decref(root);
    return af;
}

/* trtexec's profile, times and the run's anchor -> the layer x inference
 * table and its windows (each inference's layers back to back in its
 * compute window, docs/trtexec.md). */
static int read_trtexec(const model_files *f, wp_latency *lat, wp_windows *win, unsigned char **imprecise,
                        wp_error *err)
{
    wp_trtexec_profile prof;
    wp_trtexec_times times;
    int64_t anchor;
    if (wp_trtexec_read_profile(f->trt_profile, &prof, err) != 0)
        return -1;
    if (wp_trtexec_read_times(f->trt_times, &times, err) != 0) {
        wp_trtexec_profile_free(&prof);
        return -1;
    }
    int rc = wp_run_info_read_anchor(f->run_info, &anchor, err);
    if (rc == 0 && (rc = wp_trtexec_place(&prof, &times, anchor, lat, win, err)) != 0) {
        wp_error inner = *err;
        wp_fail(err, f->trt_times, 0, "%s", inner.msg);
    }
    double *rel = rc == 0 ? malloc(prof.n_layers * sizeof *rel) : NULL;
    *imprecise = rc == 0 ? calloc(prof.n_layers, 1) : NULL;
    if (rc == 0 && (!rel || !*imprecise)) {
        wp_latency_free(lat);
        wp_windows_free(win);
        rc = wp_fail(err, f->trt_times, 0, "out of memory");
    }
    if (rc == 0) {
        wp_trtexec_placement_uncertainty(&prof, &times, rel);
        for (size_t l = 0; l < prof.n_layers; l++)
            (*imprecise)[l] = !(rel[l] <= WP_TRTEXEC_MAX_REL_PLACEMENT);
    }
    free(rel);
    wp_trtexec_profile_free(&prof);
    wp_trtexec_times_free(&times);
    return rc;
}

/* The anchor puts the inferences somewhere in time; if that is nowhere
 * near the power log, say so (rather than "too few samples"). */
static int trtexec_check_span(const model_files *f, const wp_windows *win, const wp_powerlog *log, wp_error *err)
{
    size_t L = win->n_layers, nc = win->n_cycles;
    double first = (double)win->origin_us + win->start_us[0];
    double last = (double)win->origin_us + win->end_us[(L - 1) * nc + nc - 1];
    if (log->n == 0 || last < (double)log->samples[0].t_us || first > (double)log->samples[log->n - 1].t_us) {
        char a[WP_TS_BUFSZ], b[WP_TS_BUFSZ];
        wp_ts_format((int64_t)first, a);
        wp_ts_format((int64_t)last, b);
        return wp_fail(err, f->run_info, 0,
                       "trtexec's inferences (child_start + startComputeMs) run %s to %s, outside the power log "
                       "%s: a run_info.json from another run?",
                       a, b, f->power_log);
    }
    return 0;
}

/* Reads, maps and writes one model into an uncommitted atomic file (and,
 * for deconvolve, the per-layer estimates into *est_af; the run's choices
 * into *info_af). */
static wp_atomic_file *map_model_pending(const char *model_dir, const char *model, double idle_uw, const char *out_dir,
                                         const wp_map_options *opt, const wp_progress *progress,
                                         wp_atomic_file **est_af, wp_atomic_file **info_af, int *per_model,
                                         wp_error *err)
{
    model_files f;
    wp_latency lat = {0};
    wp_engine eng = {0};
    wp_powerlog log = {0};
    wp_windows win = {0};
    double *power = NULL;
    unsigned char *imprecise = NULL; /* trtexec: layers placed too loosely */
    char **names = NULL, **types = NULL;
    wp_atomic_file *af = NULL;
    char *out_path = NULL, *info_path = NULL;
    int ok = 0;
    wp_deconv_summary ds, *dsp = NULL;
    if (model_paths(model_dir, model, &f) != 0) {
        wp_fail(err, model_dir, 0, "out of memory");
        goto done;
    }
    wp_progress_report(progress, "reading engine info", 0, 1);
    if (wp_engine_read(f.engine, &eng, err) != 0)
        goto done;
    wp_map_options tro;
    if (f.trtexec) {
        if (read_trtexec(&f, &lat, &win, &imprecise, err) != 0)
            goto done;
        /* The windows are modelled, not measured: only deconvolve's one
         * power per layer over all inferences uses them soundly, and its
         * offset search absorbs the anchor's uncertainty (widened by it). */
        tro = *opt;
        tro.attribution = WP_ATTRIBUTION_DECONVOLVE;
        if (!(opt->report_offset_us != 0)) {
            tro.report_offset_auto = 1;
            if (!(opt->offset_min_us < opt->offset_max_us)) {
                tro.offset_min_us = WP_DECONV_OFFSET_MIN_US - WP_TRTEXEC_ANCHOR_UNCERTAINTY_US;
                tro.offset_max_us = WP_DECONV_OFFSET_MAX_US + WP_TRTEXEC_ANCHOR_UNCERTAINTY_US;
            }
        }
        opt = &tro;
        /* a given offset moves the windows, as the timeline does */
        for (size_t k = 0; k < lat.n_layers * lat.n_cycles; k++) {
            win.start_us[k] -= opt->report_offset_us;
            win.end_us[k] -= opt->report_offset_us;
        }
    } else if (wp_latency_read_ex(f.latency, &lat, progress, opt->runtime_only, err) != 0) {
        goto done;
    }
    names = calloc(lat.n_layers + 1, sizeof *names);
    types = calloc(lat.n_layers + 1, sizeof *types);
    if (!names || !types) {
        wp_fail(err, f.latency, 0, "out of memory");
        goto done;
    }
    for (size_t l = 0; l < lat.n_layers; l++) {
        const wp_engine_layer *el = wp_engine_find(&eng, lat.names[l]);
        if (!el) {
            wp_fail(err, f.latency, lat.lines[l], "layer '%s' is not in %s", lat.names[l], f.engine);
            goto done;
        }
        names[l] = csv_escaped(lat.names[l]);
        types[l] = csv_escaped(el->type ? el->type : "");
        if (!names[l] || !types[l]) {
            wp_fail(err, f.latency, 0, "out of memory");
            goto done;
        }
    }
    size_t cells = lat.n_layers * lat.n_cycles;
    wp_timeline_mode chosen = opt->timeline;
    char reason[512] = "runtime only: no power log";
    wp_attribution_mode used = opt->attribution;
    char fallback[WP_ERROR_MAX + 256];
    fallback[0] = '\0';
    size_t empty = 0;
    if (opt->runtime_only) {
        power = malloc((cells ? cells : 1) * sizeof *power);
        if (!power) {
            wp_fail(err, f.latency, 0, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < cells; i++)
            power[i] = NAN;
        idle_uw = NAN;
        empty = cells;
        goto write;
    }
    wp_progress_report(progress, "reading power log", 0, 1);
    if (f.tegrastats) {
        /* the board's input rail; times from its stamps (docs/trtexec.md) */
        wp_tegrastats_options tgo;
        wp_tegrastats_options_init(&tgo);
        tgo.rail = opt->tegrastats_rail;
        /* JetPack 4's lines have no time: the start note places them */
        char *note_path = wp_path_join(model_dir, WP_TEGRASTATS_START);
        if (!note_path) {
            wp_fail(err, model_dir, 0, "out of memory");
            goto done;
        }
        int nrc = wp_is_file(note_path) ? wp_tegrastats_read_start(note_path, &tgo, err) : 0;
        free(note_path);
        if (nrc != 0)
            goto done;
        char rail[64];
        if (wp_tegrastats_read(f.power_log, &tgo, &log, rail, sizeof rail, err) != 0)
            goto done;
        if (opt->note) {
            char line[256];
            snprintf(line, sizeof line, "power from tegrastats.log, rail %s", rail);
            opt->note(opt->note_ctx, model, line);
        }
    } else if (wp_powerlog_read(f.power_log, &log, err) != 0) {
        goto done;
    }
    wp_timeline_options topt;
    wp_timeline_options_init(&topt);
    topt.mode = opt->timeline;
    topt.report_offset_us = opt->report_offset_us;
    /* upstream's microsecond rounding only where it decides the result */
    topt.whole_us = opt->attribution == WP_ATTRIBUTION_SAMPLES;
    if (f.trtexec) {
        chosen = WP_TIMELINE_RECONSTRUCTED;
        snprintf(reason, sizeof reason,
                 "trtexec: %zu inferences, layers placed back to back in each compute window in proportion to "
                 "their averageMs; deconvolve attribution",
                 lat.n_cycles);
        if (trtexec_check_span(&f, &win, &log, err) != 0)
            goto done;
        if (opt->note)
            opt->note(opt->note_ctx, model, reason);
    } else {
        if (wp_timeline_build(&lat, &topt, &win, &chosen, reason, sizeof reason, err) != 0)
            goto done;
        if (opt->note && opt->timeline == WP_TIMELINE_AUTO)
            opt->note(opt->note_ctx, model, reason);
    }
    power = malloc((cells ? cells : 1) * sizeof *power);
    if (!power) {
        wp_fail(err, f.latency, 0, "out of memory");
        goto done;
    }
    wp_progress_report(progress, "attributing power", 0, 1);
    if (opt->attribution == WP_ATTRIBUTION_DECONVOLVE || opt->attribution == WP_ATTRIBUTION_AUTO) {
        /* one solve over all cycles; also writes layer_power_estimates.csv */
        wp_deconv_options dopt;
        wp_deconv_options_init(&dopt);
        dopt.window_auto = !(opt->sensor_window_us > 0);
        dopt.window_us = opt->sensor_window_us;
        dopt.offset_auto = opt->report_offset_auto;
        dopt.offset_min_us = opt->offset_min_us;
        dopt.offset_max_us = opt->offset_max_us;
        dopt.max_relative_se = opt->max_relative_se;
        char dnote[2048];
        if (f.trtexec) {
            dopt.max_rel_stderr = WP_TRTEXEC_MAX_REL_STDERR;
            dopt.imprecise = imprecise;
            if (wp_trtexec_choose_window(&win, &log, idle_uw, &dopt, imprecise, dnote, sizeof dnote, err) != 0) {
                wp_error inner = *err;
                wp_fail(err, f.power_log, 0, "%s", inner.msg);
                goto done;
            }
            if (dnote[0] && opt->note)
                opt->note(opt->note_ctx, model, dnote);
        }
        char *est_path = wp_path_join(out_dir, WP_DECONV_CSV_NAME);
        if (!est_path) {
            wp_fail(err, out_dir, 0, "out of memory");
            goto done;
        }
        *est_af = wp_deconv_map(&log, &win, &lat, &eng, idle_uw, &dopt, power, f.power_log, est_path, dnote,
                                sizeof dnote, &ds, err);
        free(est_path);
        if (*est_af) {
            used = WP_ATTRIBUTION_DECONVOLVE;
            dsp = &ds;
            if (opt->note)
                opt->note(opt->note_ctx, model, dnote);
            if (opt->note && ds.warning[0])
                opt->note(opt->note_ctx, model, ds.warning);
        } else if (ds.not_identifiable && opt->attribution == WP_ATTRIBUTION_AUTO) {
            /* Interpolation is the least wrong of the rest: a value for
             * every window the log covers, averaging's bias but not its
             * empty cells (docs/attribution.md). */
            used = WP_ATTRIBUTION_INTERPOLATE;
            snprintf(fallback, sizeof fallback, "interpolate: %s", err->msg);
            if (opt->note) {
                char line[sizeof fallback + 64];
                snprintf(line, sizeof line, "mapped with interpolate instead of deconvolve: %s", err->msg);
                opt->note(opt->note_ctx, model, line);
            }
        } else {
            *per_model = ds.not_identifiable;
            if (ds.not_identifiable) {
                static const char more[] = "; until then map it with the default attribution (auto: "
                                           "interpolate where deconvolve cannot fit) or --attribution interpolate";
                size_t n = strlen(err->msg), m = sizeof more - 1;
                if (m > sizeof err->msg - 1 - n)
                    m = sizeof err->msg - 1 - n;
                memcpy(err->msg + n, more, m);
                err->msg[n + m] = '\0';
            }
            goto done;
        }
    }
    if (used != WP_ATTRIBUTION_DECONVOLVE) {
        wp_attribution_options aopt = {used, opt->sensor_window_us};
        if (wp_attribute(&log, &win, &aopt, power, err) != 0)
            goto done;
    }
    /* Windows left without power: none at all is no mapping; some is worth
     * saying, with what would fill them. */
    for (size_t i = 0; i < cells; i++)
        empty += isnan(power[i]);
    if (empty && used != WP_ATTRIBUTION_DECONVOLVE) {
        char span[256] = "it is empty";
        if (log.n) {
            char a[WP_TS_BUFSZ], b[WP_TS_BUFSZ], c[WP_TS_BUFSZ], d[WP_TS_BUFSZ];
            double lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < cells; i++) {
                lo = win.start_us[i] < lo ? win.start_us[i] : lo;
                hi = win.end_us[i] > hi ? win.end_us[i] : hi;
            }
            wp_ts_format(log.samples[0].t_us, a);
            wp_ts_format(log.samples[log.n - 1].t_us, b);
            wp_ts_format(win.origin_us + (int64_t)floor(lo), c);
            wp_ts_format(win.origin_us + (int64_t)ceil(hi), d);
            snprintf(span, sizeof span, "its %zu samples run %s to %s, the profiled run %s to %s", log.n, a, b, c, d);
        }
        if (empty == cells) {
            *per_model = 1;
            wp_fail(err, f.power_log, 0,
                    "no power value for any of the %zu layer windows (%s attribution): %s; is this the log of "
                    "this run?",
                    cells, wp_attribution_mode_name(used), span);
            goto done;
        }
        if (opt->note) {
            char line[1024];
            if (used == WP_ATTRIBUTION_SAMPLES)
                snprintf(line, sizeof line,
                         "warning: samples attribution left %zu of %zu layer windows (%.0f%%) without power: %s "
                         "has no sample inside them (%s); the default attribution (deconvolve, or interpolate "
                         "where it cannot fit) gives every window a value",
                         empty, cells, 100.0 * (double)empty / (double)cells, f.power_log, span);
            else
                snprintf(line, sizeof line,
                         "warning: %zu of %zu layer windows (%.0f%%) have no power: %s does not cover them (%s)", empty,
                         cells, 100.0 * (double)empty / (double)cells, f.power_log, span);
            opt->note(opt->note_ctx, model, line);
        }
    }
write:
    info_path = wp_path_join(out_dir, WP_MAPPING_INFO_JSON);
    if (!info_path) {
        wp_fail(err, out_dir, 0, "out of memory");
        goto done;
    }
    *info_af = write_info(info_path, model, opt, chosen, reason, &log, &lat, idle_uw, dsp, used,
                          fallback[0] ? fallback : NULL, empty, f.trtexec ? "trtexec" : WP_LATENCY_JSON, err);
    if (!*info_af)
        goto done;
    wp_engine_free(&eng);
    wp_powerlog_free(&log);
    wp_windows_free(&win);
    out_path = wp_path_join(out_dir, WP_MAPPING_CSV);
    if (!out_path) {
        wp_fail(err, out_dir, 0, "out of memory");
        goto done;
    }
    af = wp_atomic_open(out_path, err);
    if (!af)
        goto done;
    if (write_rows(wp_atomic_stream(af), &lat, names, types, power, idle_uw, progress) != 0) {
        wp_fail(err, out_path, 0, "out of memory");
        goto done;
    }
    ok = 1;
done:
    if (!ok && af) {
        wp_atomic_abort(af);
        af = NULL;
    }
    if (!ok && *est_af) {
        wp_atomic_abort(*est_af);
        *est_af = NULL;
    }
    if (!ok && *info_af) {
        wp_atomic_abort(*info_af);
        *info_af = NULL;
    }
    for (size_t l = 0; names && l < lat.n_layers; l++)
        free(names[l]);
    for (size_t l = 0; types && l < lat.n_layers; l++)
        free(types[l]);
    free(names);
    free(types);
    free(power);
    free(imprecise);
    free(out_path);
    free(info_path);
    wp_windows_free(&win);
    wp_powerlog_free(&log);
    wp_engine_free(&eng);
    wp_latency_free(&lat);
    model_files_free(&f);
    return af;
}

/* The files map writes into a model folder; the folder's other files
 * (dataset's statistics, say) are kept when it is replaced. device.json is
 * map's too, so a raw folder without one leaves no stale copy behind. */
static const char *const map_owned[] = {WP_MAPPING_CSV,      WP_MAPPING_INFO_JSON, WP_DECONV_CSV_NAME,
                                        WP_ENGINE_INFO_JSON, WP_DEVICE_JSON,       NULL};

/* Puts a computed model's files into its staging folder: the three
 * pending outputs, a copy of the engine info and, when the raw folder has
 * one, of the device state the power was measured under. Frees all three. */
static int fill_stage(const char *model_dir, const char *stage, wp_atomic_file *af, wp_atomic_file *est_af,
                      wp_atomic_file *info_af, wp_error *err)
{
    if (wp_atomic_commit(af, err) != 0) {
        wp_atomic_abort(est_af);
        wp_atomic_abort(info_af);
        return -1;
    }
    if (est_af && wp_atomic_commit(est_af, err) != 0) {
        wp_atomic_abort(info_af);
        return -1;
    }
    if (wp_atomic_commit(info_af, err) != 0)
        return -1;
    char *src = wp_layout_profiling_file(model_dir, WP_ENGINE_INFO_JSON);
    char *dst = wp_path_join(stage, WP_ENGINE_INFO_JSON);
    int rc = src && dst ? wp_atomic_copy(src, dst, err) : wp_fail(err, stage, 0, "out of memory");
    free(src);
    free(dst);
    if (rc != 0)
        return rc;
    src = wp_path_join(model_dir, WP_DEVICE_JSON);
    dst = wp_path_join(stage, WP_DEVICE_JSON);
    if (!src || !dst)
        rc = wp_fail(err, stage, 0, "out of memory");
    else if (wp_is_file(src))
        rc = wp_atomic_copy(src, dst, err);
    free(src);
    free(dst);
    return rc;
}

int wp_map_model(const char *model_dir, const char *model, double idle_uw, const char *out_dir,
                 const wp_map_options *opt, const wp_progress *progress, wp_error *err)
{
    if (!(idle_uw >= 0) || !isfinite(idle_uw))
        return wp_fail(err, model_dir, 0, "value out of range: idle power %g uW (must be finite, not negative)",
                       idle_uw);
    /* out_dir is replaced as a whole: stage it beside itself. */
    char *root = strdup(out_dir);
    if (!root)
        return wp_fail(err, out_dir, 0, "out of memory");
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        root[--n] = '\0';
    char *slash = strrchr(root, '/');
    const char *name = slash ? slash + 1 : root;
    const char *parent = slash ? (slash == root ? "/" : root) : ".";
    if (slash)
        *slash = '\0';
    int rc = -1;
    wp_resultset *rs = wp_resultset_begin(parent, "map", err);
    const char *stage = rs ? wp_resultset_stage(rs, name, map_owned, err) : NULL;
    if (stage) {
        wp_atomic_file *est_af = NULL, *info_af = NULL;
        int per_model = 0;
        wp_atomic_file *af =
            map_model_pending(model_dir, model, idle_uw, stage, opt, progress, &est_af, &info_af, &per_model, err);
        if (af) {
            wp_resultset_hold_signals(rs);
            if (fill_stage(model_dir, stage, af, est_af, info_af, err) == 0)
                rc = wp_resultset_commit(rs, err);
        }
    }
    wp_resultset_end(rs);
    free(root);
    return rc;
}

/* A model folder has its power log or trt_profiling/ (either one missing is
 * then an error); anything else - a results folder kept beside the data,
 * say - is not a model and is passed over. */
static int keep_model(const char *raw_dir, const char *name, void *ctx)
{
    (void)ctx;
    char *p = wp_path_join(raw_dir, name);
    int model = 0;
    if (wp_is_dir(p)) {
        char *log = wp_layout_model_file(p, name, WP_POWER_LOG_SUFFIX), *prof = wp_path_join(p, WP_PROFILING_DIR);
        model = (log && access(log, F_OK) == 0) || wp_is_dir(prof);
        free(log);
        free(prof);
    }
    free(p);
    return model;
}

int wp_map_raw_dir(const char *raw_dir, const char *result_dir, const wp_map_options *opt, const wp_progress *progress,
                   wp_error *err)
{
    char **models = NULL;
    size_t n_models = 0;
    wp_resultset *rs = NULL;
    wp_atomic_file **pending = NULL, **pending_est = NULL, **pending_info = NULL;
    const char **stages = NULL;
    char *idle_path = NULL;
    int rc = -1;
    wp_error failed;
    memset(&failed, 0, sizeof failed);
    size_t n_failed = 0;

    if (wp_dir_list(raw_dir, "raw data folder", keep_model, NULL, &models, &n_models, err) != 0)
        return -1;
    if (n_models == 0) {
        wp_fail(err, raw_dir, 0, "no model folders (expected DIR/<model>/<model>_power_log.log)");
        goto done;
    }

    double idle_uw = 0; /* runtime only: no power, so no idle power either */
    idle_path = wp_path_join(raw_dir, WP_IDLE_JSON);
    if (!idle_path) {
        wp_fail(err, raw_dir, 0, "out of memory");
        goto done;
    }
    if (!opt->runtime_only && wp_idle_read(idle_path, &idle_uw, err) != 0)
        goto done;

    pending = calloc(n_models, sizeof *pending);
    pending_est = calloc(n_models, sizeof *pending_est);
    pending_info = calloc(n_models, sizeof *pending_info);
    stages = calloc(n_models, sizeof *stages);
    if (!pending || !pending_est || !pending_info || !stages) {
        wp_fail(err, raw_dir, 0, "out of memory");
        goto done;
    }
    /* Every model is written into a staging folder; the set is switched in
     * only when all of them are complete (resultset.h). */
    if (!(rs = wp_resultset_begin(result_dir, "map", err)))
        goto done;
    for (size_t i = 0; i < n_models; i++) {
        char *model_dir = wp_path_join(raw_dir, models[i]);
        if (!model_dir) {
            wp_fail(err, raw_dir, 0, "out of memory");
            goto done;
        }
        char stage[256];
        snprintf(stage, sizeof stage, "%s (%zu/%zu)", models[i], i + 1, n_models);
        wp_progress_report(progress, stage, 0, 1);
        if (!(stages[i] = wp_resultset_stage(rs, models[i], map_owned, err))) {
            free(model_dir);
            goto done;
        }
        int per_model = 0;
        pending[i] = map_model_pending(model_dir, models[i], idle_uw, stages[i], opt, progress, &pending_est[i],
                                       &pending_info[i], &per_model, err);
        free(model_dir);
        if (!pending[i] && !per_model)
            goto done;
        if (!pending[i]) {
            /* This model's measurements give no mapping (deconvolve asked
             * for and not identifiable, no power in any window): the
             * others still are mapped; the run fails naming each. */
            const char *parts[4] = {failed.msg[0] ? "; " : "", models[i], ": ", err->msg};
            for (int k = 0; k < 4; k++) {
                size_t n = strlen(failed.msg), m = strlen(parts[k]);
                if (m > sizeof failed.msg - 1 - n)
                    m = sizeof failed.msg - 1 - n;
                memcpy(failed.msg + n, parts[k], m);
                failed.msg[n + m] = '\0';
            }
            n_failed++;
            /* nothing of it is switched in: its earlier results stay */
            wp_resultset_drop(rs, models[i]);
            stages[i] = NULL;
        }
    }
    /* Everything computed: only now does any result appear. */
    wp_resultset_hold_signals(rs);
    for (size_t i = 0; i < n_models; i++) {
        if (!pending[i])
            continue; /* failed on its own measurements: its earlier results stay */
        char *model_dir = wp_path_join(raw_dir, models[i]);
        int c = model_dir ? fill_stage(model_dir, stages[i], pending[i], pending_est[i], pending_info[i], err)
                          : wp_fail(err, raw_dir, 0, "out of memory");
        if (!model_dir) {
            wp_atomic_abort(pending[i]);
            wp_atomic_abort(pending_est[i]);
            wp_atomic_abort(pending_info[i]);
        }
        pending[i] = pending_est[i] = pending_info[i] = NULL;
        free(model_dir);
        if (c != 0)
            goto done;
    }
    if (wp_resultset_commit(rs, err) != 0)
        goto done;
    wp_progress_report(progress, "done", 1, 1);
    if (n_failed) {
        wp_fail(err, NULL, 0, "%zu of %zu models not mapped (the others were): %s", n_failed, n_models, failed.msg);
        goto done;
    }
    rc = 0;
done:
    for (size_t i = 0; i < n_models; i++) {
        if (pending)
            wp_atomic_abort(pending[i]);
        if (pending_est)
            wp_atomic_abort(pending_est[i]);
        if (pending_info)
            wp_atomic_abort(pending_info[i]);
    }
    /* Uncommitted staging folders go; the earlier results stay as they were. */
    wp_resultset_end(rs);
    for (size_t i = 0; i < n_models; i++)
        free(models[i]);
    free(models);
    free(stages);
    free(pending);
    free(pending_est);
    free(pending_info);
    free(idle_path);
    return rc;
}
