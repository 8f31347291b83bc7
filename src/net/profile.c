/* profile: logger + bench + mapper + dataset, and the per-layer table. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"
#include "wattprof/device.h"
#include "wattprof/fsutil.h"
#include "wattprof/idle.h"
#include "wattprof/layout.h"
#include "wattprof/logger.h"
#include "wattprof/mapper.h"
#include "wattprof/profile.h"
#include "wattprof/timestamp.h"

void wp_profile_options_init(wp_profile_options *opt)
{
    memset(opt, 0, sizeof *opt);
    wp_bench_options_init(&opt->bench);
    opt->idle_s = 1.0;
    opt->attribution = WP_ATTRIBUTION_DECONVOLVE;
    opt->attribution_fallback = 1;
}

/* Conv, pooling or dense layers the mapping gave no power. */
static size_t modelled_without_power(const wp_graph *g, const wp_profile_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->n_layers; i++) {
        const char *t = wp_graph_layer_type(g, &g->nodes[i]);
        if (isnan(res->layers[i].power_w) && strncmp(t, "Cask", 4) == 0)
            n++;
    }
    return n;
}

void wp_profile_result_free(wp_profile_result *res)
{
    if (!res)
        return;
    free(res->layers);
    memset(res, 0, sizeof *res);
}

static void note(wp_profile_result *res, const char *fmt, ...) WP_PRINTF(2, 3);
static void note(wp_profile_result *res, const char *fmt, ...)
{
    size_t at = strlen(res->notes);
    if (at + 2 >= sizeof res->notes)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->notes + at, sizeof res->notes - at - 1, fmt, ap);
    va_end(ap);
    at = strlen(res->notes);
    res->notes[at] = '\n';
    res->notes[at + 1] = 0;
}

static void map_note(void *ctx, const char *model, const char *message)
{
    note(ctx, "map %s: %s", model, message);
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Means per layer of the mapper's CSV (NaN cells skipped). */
static int read_mapping(const char *path, wp_profile_result *res, wp_error *err)
{
    wp_csv_reader rd;
    if (wp_csv_open(&rd, path, err))
        return -1;
    size_t L = res->n_layers;
    double *sum_in = calloc(L, sizeof(double)), *sum_ex = calloc(L, sizeof(double));
    size_t *cnt = calloc(L, sizeof(size_t));
    int rc = -1, c_name, c_in, c_ex;
    if (!sum_in || !sum_ex || !cnt) {
        wp_fail(err, path, 0, "out of memory");
        goto done;
    }
    if ((c_name = wp_csv_require(&rd, "layer_name", err)) < 0 ||
        (c_in = wp_csv_require(&rd, "layer_power_including_idle_power_micro_watt", err)) < 0 ||
        (c_ex = wp_csv_require(&rd, "layer_power_excluding_idle_power_micro_watt", err)) < 0)
        goto done;
    size_t hint = 0;
    int st;
    while ((st = wp_csv_next(&rd, err)) == 1) {
        const char *name = rd.fields[c_name];
        size_t k = L;
        for (size_t j = 0; j < L; j++) {
            size_t i = (hint + j) % L;
            if (strcmp(res->layers[i].name, name) == 0) {
                k = i;
                break;
            }
        }
        if (k == L)
            continue;
        hint = k + 1;
        double in, ex;
        if (wp_csv_double(&rd, c_in, 1, &in, err) || wp_csv_double(&rd, c_ex, 1, &ex, err))
            goto done;
        if (isnan(in) || isnan(ex))
            continue;
        sum_in[k] += in;
        sum_ex[k] += ex;
        cnt[k]++;
    }
    if (st < 0)
        goto done;
    for (size_t i = 0; i < L; i++) {
        wp_profile_layer *l = &res->layers[i];
        l->power_w = cnt[i] ? sum_in[i] / (double)cnt[i] / 1e6 : NAN;
        l->power_above_idle_w = cnt[i] ? sum_ex[i] / (double)cnt[i] / 1e6 : NAN;
    }
    rc = 0;
done:
    wp_csv_free(&rd);
    free(sum_in);
    free(sum_ex);
    free(cnt);
    return rc;
}

/* Idle power from a short log with nothing running; fills res, writes
 * raw/idling_power.json. Returns 1 when there is no sensor (WP_ERR_NO_SENSOR
 * from the automatic search), -1 when one is there and fails. */
static int measure_idle(const wp_profile_options *opt, const char *raw, wp_profile_result *res, double *idle_uw,
                        wp_error *err)
{
    wp_logger_options lo;
    wp_logger_options_init(&lo);
    lo.sensor = opt->sensor;
    lo.interval_us = opt->interval_us;
    lo.duration_s = opt->idle_s > 0 ? opt->idle_s : 0.2;
    wp_error serr = {0};
    wp_logger *lg = wp_logger_open(&lo, &serr);
    if (!lg) {
        /* Asked for a particular source or rail, its absence is an error; a
         * sensor that is there but fails to open is one in every case. */
        if (serr.code != WP_ERR_NO_SENSOR || opt->sensor.source != WP_SOURCE_AUTO || opt->sensor.rail) {
            *err = serr;
            return -1;
        }
        note(res, "no power sensor (%s): runtime only", serr.msg);
        return 1;
    }
    const wp_rail_info *rail = wp_logger_rail(lg);
    snprintf(res->rail, sizeof res->rail, "%s %s", wp_source_name(rail->kind), rail->name);
    if (wp_logger_run(lg, err)) {
        wp_logger_free(lg);
        return -1;
    }
    wp_logger_summary s;
    wp_logger_get_summary(lg, &s);
    wp_logger_free(lg);
    if (s.samples == 0 || !isfinite(s.mean_power_uw))
        return wp_fail(err, NULL, 0, "idle measurement on %s got no samples", res->rail);
    *idle_uw = s.mean_power_uw;
    res->idle_w = s.mean_power_uw / 1e6;
    char *idle_path = wp_path_join(raw, WP_IDLE_JSON);
    if (!idle_path)
        return wp_fail(err, NULL, 0, "out of memory");
    int rc = wp_idle_write(idle_path, NULL, *idle_uw, err);
    free(idle_path);
    return rc;
}

/* The training CSVs of the one mapped model (every layer kept: it is one
 * run). */
static int build_dataset(const char *mapped, const char *training, wp_error *err)
{
    wp_dataset_options dopt;
    wp_dataset_options_init(&dopt);
    dopt.per_layer_measurements = 1;
    wp_dataset_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = wp_dataset_run(mapped, training, &dopt, &rep, err);
    wp_dataset_report_free(&rep);
    return rc;
}

int wp_profile_run(wp_graph *g, const wp_profile_options *opt, const char *result_dir, const char *name,
                   wp_profile_result *res, const wp_progress *progress, wp_error *err)
{
    memset(res, 0, sizeof *res);
    if (!name[0] || strchr(name, '/'))
        return wp_fail(err, NULL, 0, "bad result name '%s'", name);
    char *raw = wp_path_join(result_dir, "raw"), *mapped = wp_path_join(result_dir, "mapped");
    char *training = wp_path_join(result_dir, "training");
    char *raw_model = NULL, *map_model = NULL, *log_path = NULL, *mapping = NULL;
    wp_logger *lg = NULL;
    int joined = 0;
    wp_bench_result bres;
    memset(&bres, 0, sizeof bres);
    int rc = -1;
    if (!raw || !mapped || !training) {
        wp_fail(err, NULL, 0, "out of memory");
        goto done;
    }
    raw_model = wp_path_join(raw, name);
    map_model = wp_path_join(mapped, name);
    mapping = map_model ? wp_path_join(map_model, WP_MAPPING_CSV) : NULL;
    log_path = raw_model ? wp_layout_model_file(raw_model, name, WP_POWER_LOG_SUFFIX) : NULL;
    if (!raw_model || !map_model || !mapping || !log_path) {
        wp_fail(err, NULL, 0, "out of memory");
        goto done;
    }
    if (wp_mkdirs(raw_model, err))
        goto done;

    double idle_uw = 0, mean_rate_hz = 0;
    int power = 0;
    if (opt->no_power) {
        note(res, "power measurement disabled: runtime only");
    } else {
        int st = measure_idle(opt, raw, res, &idle_uw, err);
        if (st < 0)
            goto done;
        power = st == 0;
    }
    if (power) {
        wp_logger_options lo;
        wp_logger_options_init(&lo);
        lo.sensor = opt->sensor;
        lo.interval_us = opt->interval_us;
        lo.out_path = log_path;
        lg = wp_logger_open(&lo, err);
        if (!lg || wp_logger_start(lg, err))
            goto done;
        /* The log must cover the whole run: wait for its first sample. */
        for (int i = 0; i < 2000 && wp_logger_samples(lg) == 0 && !wp_logger_finished(lg); i++)
            sleep_us(1000);
        if (wp_logger_samples(lg) == 0) {
            joined = 1;
            wp_logger_join(lg, err);
            wp_fail(err, NULL, 0, "the power logger on %s took no sample", res->rail);
            goto done;
        }
        sleep_us(opt->interval_us > 20000 ? (int64_t)(3 * opt->interval_us) : 20000);
    }
    if (wp_bench_run(g, &opt->bench, &bres, progress, err))
        goto done;
    if (lg) {
        /* The log must also cover the run's end. A fixed sleep is not
         * enough on a loaded machine (the sampler may not be scheduled
         * at all meanwhile), so wait for two more samples as well: the
         * second was read after the first was counted, so after now. */
        uint64_t at_end = wp_logger_samples(lg);
        sleep_us(opt->interval_us > 20000 ? (int64_t)(3 * opt->interval_us) : 20000);
        for (int i = 0; i < 5000 && wp_logger_samples(lg) < at_end + 2 && !wp_logger_finished(lg); i++)
            sleep_us(1000);
        joined = 1;
        if (wp_logger_join(lg, err))
            goto done;
        wp_logger_summary s;
        wp_logger_get_summary(lg, &s);
        res->samples = (size_t)s.samples;
        mean_rate_hz = s.mean_rate_hz;
        if (s.clock_steps)
            note(res,
                 "the wall clock stepped by %+.3f ms during the run: the power log kept its time base, "
                 "the layer stamps did not; re-run for a sound mapping",
                 (double)s.largest_clock_step_us / 1000.0);
    }
    if (wp_bench_write(g, &opt->bench, &bres, raw, name, err))
        goto done;
    if (opt->device) {
        wp_device_end(opt->device, mean_rate_hz);
        char *dev_path = wp_path_join(raw_model, WP_DEVICE_JSON);
        int drc = dev_path ? wp_device_write(opt->device, dev_path, err) : wp_fail(err, NULL, 0, "out of memory");
        free(dev_path);
        if (drc)
            goto done;
    }

    res->n_layers = bres.n_layers;
    res->n_cycles = bres.n_cycles;
    res->mean_untimed_ms = bres.mean_untimed_ms;
    res->layers = calloc(bres.n_layers, sizeof *res->layers);
    if (!res->layers) {
        wp_fail(err, NULL, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < bres.n_layers; i++) {
        wp_profile_layer *l = &res->layers[i];
        l->name = g->nodes[i].name;
        l->type = wp_graph_layer_type(g, &g->nodes[i]);
        double s = 0;
        for (size_t c = 0; c < bres.n_cycles; c++)
            s += bres.layer_ms[i * bres.n_cycles + c];
        l->runtime_ms = s / (double)bres.n_cycles;
        l->power_w = l->power_above_idle_w = l->energy_mj = NAN;
        res->total_runtime_ms += l->runtime_ms;
    }

    if (power) {
        if (wp_mkdirs(map_model, err))
            goto done;
        wp_map_options mo;
        wp_map_options_init(&mo);
        /* bench stamps every layer's true end: no reconstruction needed. */
        mo.timeline = WP_TIMELINE_REPORTED;
        mo.attribution = opt->attribution;
        mo.note = map_note;
        mo.note_ctx = res;
        res->attribution_used = opt->attribution;
        int fallback = opt->attribution == WP_ATTRIBUTION_DECONVOLVE && opt->attribution_fallback;
        int mapped_ok = wp_map_model(raw_model, name, idle_uw, map_model, &mo, progress, err) == 0;
        if (!mapped_ok && !fallback)
            goto done;
        if (mapped_ok && read_mapping(mapping, res, err))
            goto done;
        size_t missing = mapped_ok ? modelled_without_power(g, res) : 0;
        if (fallback && (!mapped_ok || missing)) {
            if (!mapped_ok)
                note(res, "deconvolve failed (%s); mapping with interpolate instead", err->msg);
            else
                note(res,
                     "deconvolve could not separate %zu convolution/pooling/dense layer(s) (shorter than the "
                     "sensor resolves); mapping with interpolate instead",
                     missing);
            mo.attribution = res->attribution_used = WP_ATTRIBUTION_INTERPOLATE;
            if (wp_map_model(raw_model, name, idle_uw, map_model, &mo, progress, err) ||
                read_mapping(mapping, res, err))
                goto done;
        }
        if (build_dataset(mapped, training, err))
            goto done;
        res->total_energy_mj = 0;
        double covered_ms = 0;
        for (size_t i = 0; i < res->n_layers; i++) {
            wp_profile_layer *l = &res->layers[i];
            l->energy_mj = l->power_w * l->runtime_ms;
            if (isfinite(l->energy_mj)) {
                res->total_energy_mj += l->energy_mj;
                covered_ms += l->runtime_ms;
            }
        }
        res->total_power_w = covered_ms > 0 ? res->total_energy_mj / covered_ms : NAN;
        res->have_power = 1;
    } else {
        /* No sensor: the runtime is measured all the same, so map and
         * tabulate it with empty power columns; runtime models train on it. */
        if (wp_mkdirs(map_model, err))
            goto done;
        wp_map_options mo;
        wp_map_options_init(&mo);
        mo.timeline = WP_TIMELINE_REPORTED;
        mo.runtime_only = 1;
        if (wp_map_model(raw_model, name, 0.0, map_model, &mo, progress, err))
            goto done;
        if (build_dataset(mapped, training, err))
            goto done;
        note(res, "runtime-only mapping and training data written (power columns empty)");
        res->total_power_w = NAN;
    }
    rc = 0;
done:
    if (lg && !joined)
        wp_logger_join(lg, NULL);
    wp_logger_free(lg);
    wp_bench_result_free(&bres);
    free(raw);
    free(mapped);
    free(training);
    free(raw_model);
    free(map_model);
    free(log_path);
    free(mapping);
    if (rc)
        wp_profile_result_free(res);
    return rc;
}
