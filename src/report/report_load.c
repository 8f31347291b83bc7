/* The report's inputs: reads what a result directory (and optionally the raw
 * data, the training data and the trained models) holds into the structs of
 * report_internal.h, which report.c renders. Nothing here writes HTML, so a
 * malformed input fails before any of its section is written. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "wattprof/array.h"
#include "wattprof/csv.h"
#include "wattprof/fsutil.h"
#include "wattprof/idle.h"
#include "wattprof/layout.h"
#include "wattprof/model.h"
#include "wattprof/timestamp.h"

#define MAPPING_CSV WP_MAPPING_CSV
#define ESTIMATES_CSV WP_ESTIMATES_CSV
#define MAPPING_INFO_JSON WP_MAPPING_INFO_JSON

/* ------------------------------------------------------- layer lookup */

typedef wp_name_index name_index;

static const char *layer_name_at(const void *layers, size_t i)
{
    return ((const rp_layer *)layers)[i].name;
}

long wp__report_layer_find(const wp_name_index *ix, const rp_model *m, const char *name)
{
    return wp_name_index_find(ix, name, layer_name_at, m->layers);
}

static long model_add_layer(rp_model *m, name_index *ix, const char *name, const char *type)
{
    if (wp_grow(&m->layers, &m->cap, m->n, 32, sizeof *m->layers) != 0)
        return -1;
    rp_layer *l = &m->layers[m->n];
    memset(l, 0, sizeof *l);
    l->name = strdup(name);
    l->type = strdup(type);
    if (!l->name || !l->type) {
        free(l->name);
        free(l->type);
        return -1;
    }
    l->runtime_ms = l->runtime_sd = l->power_w = l->power_err_w = l->power_incl_w = l->energy_mj = NAN;
    l->pred_power_w = l->pred_runtime_ms = l->pred_energy_mj = NAN;
    l->truth_power_w = NAN;
    m->n++;
    if (wp_name_index_add(ix, l->name, m->n - 1, layer_name_at, m->layers) != 0)
        return -1;
    return (long)(m->n - 1);
}

static void model_free(rp_model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->layers[i].name);
        free(m->layers[i].type);
    }
    free(m->layers);
    free(m->name);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------- mapping CSV */

typedef struct welford {
    double n, mean, m2;
} welford;

static void wf_add(welford *w, double x)
{
    w->n += 1;
    double d = x - w->mean;
    w->mean += d / w->n;
    w->m2 += d * (x - w->mean);
}
static double wf_mean(const welford *w)
{
    return w->n > 0 ? w->mean : NAN;
}
static double wf_sd(const welford *w)
{
    return w->n > 1 ? sqrt(w->m2 / (w->n - 1)) : NAN;
}

/* Per layer, over cycles: runtime, power above idle and including idle. The
 * idle power map subtracted is recovered as including - excluding. */
static int load_mapping(const char *path, rp_model *m, name_index *ix, double *idle_w, wp_error *err)
{
    wp_csv_reader r;
    if (wp_csv_open(&r, path, err) != 0)
        return -1;
    int rc = -1;
    welford *acc = NULL;
    size_t acc_cap = 0;
    int c_cycle = wp_csv_require(&r, "cycle", err), c_name, c_type, c_in, c_ex, c_rt;
    if (c_cycle < 0 || (c_name = wp_csv_require(&r, "layer_name", err)) < 0 ||
        (c_type = wp_csv_require(&r, "layer_type", err)) < 0 ||
        (c_in = wp_csv_require(&r, "layer_power_including_idle_power_micro_watt", err)) < 0 ||
        (c_ex = wp_csv_require(&r, "layer_power_excluding_idle_power_micro_watt", err)) < 0 ||
        (c_rt = wp_csv_require(&r, "layer_run_time", err)) < 0)
        goto out;
    double max_cycle = 0;
    *idle_w = NAN;
    int st;
    while ((st = wp_csv_next(&r, err)) == 1) {
        double cyc, pin, pex, rt;
        if (wp_csv_double(&r, c_cycle, 0, &cyc, err) != 0 || wp_csv_double(&r, c_in, 1, &pin, err) != 0 ||
            wp_csv_double(&r, c_ex, 1, &pex, err) != 0 || wp_csv_double(&r, c_rt, 0, &rt, err) != 0)
            goto out;
        if (cyc > max_cycle)
            max_cycle = cyc;
        const char *name = r.fields[c_name];
        long li = wp__report_layer_find(ix, m, name);
        if (li < 0 && (li = model_add_layer(m, ix, name, r.fields[c_type])) < 0) {
            wp_fail(err, path, r.line, "out of memory");
            goto out;
        }
        if ((size_t)li >= acc_cap / 3) {
            size_t cap = wp_next_cap(acc_cap, 96);
            while ((size_t)li >= cap / 3)
                cap *= 2;
            if (wp_grow_to(&acc, cap, sizeof *acc) != 0) {
                wp_fail(err, path, r.line, "out of memory");
                goto out;
            }
            memset(acc + acc_cap, 0, (cap - acc_cap) * sizeof *acc);
            acc_cap = cap;
        }
        wf_add(&acc[3 * li], rt);
        if (!isnan(pex))
            wf_add(&acc[3 * li + 1], pex / 1e6);
        if (!isnan(pin))
            wf_add(&acc[3 * li + 2], pin / 1e6);
        if (isnan(*idle_w) && !isnan(pin) && !isnan(pex))
            *idle_w = (pin - pex) / 1e6;
    }
    if (st < 0)
        goto out;
    for (size_t i = 0; i < m->n; i++) {
        rp_layer *l = &m->layers[i];
        l->runtime_ms = wf_mean(&acc[3 * i]);
        l->runtime_sd = wf_sd(&acc[3 * i]);
        l->n_runtime = (size_t)acc[3 * i].n;
        l->power_w = wf_mean(&acc[3 * i + 1]);
        l->power_err_w = wf_sd(&acc[3 * i + 1]);
        l->n_power = (size_t)acc[3 * i + 1].n;
        l->power_incl_w = wf_mean(&acc[3 * i + 2]);
    }
    m->n_cycles = (size_t)max_cycle;
    rc = 0;
out:
    free(acc);
    wp_csv_free(&r);
    return rc;
}

/* First column whose name contains one of the candidates (in order). */
static int find_col(const wp_csv_reader *r, const char *const *cands)
{
    for (; *cands; cands++)
        for (size_t i = 0; i < r->nheader; i++)
            if (strstr(r->header[i], *cands))
                return (int)i;
    return -1;
}

/* Per-layer estimates from `map --attribution deconvolve`: they replace the
 * per-cycle averages (they are the better numbers where both exist). */
static int load_estimates(const char *path, rp_model *m, name_index *ix, double *idle_w, wp_error *err)
{
    wp_csv_reader r;
    if (wp_csv_open(&r, path, err) != 0)
        return -1;
    /* Columns as deconvolve.h writes them; a few older spellings tolerated. */
    static const char *const k_name[] = {"layer_name", NULL}, *const k_type[] = {"layer_type", NULL},
                             *const k_in[] = {"power_including_idle", "including", NULL},
                             *const k_ex[] = {"power_excluding_idle", "excluding", NULL},
                             *const k_se[] = {"standard_error", "std_err", NULL},
                             *const k_rt[] = {"latency_mean", NULL}, *const k_rsd[] = {"latency_std", NULL},
                             *const k_cyc[] = {"cycles", NULL}, *const k_st[] = {"status", NULL};
    int c_name = find_col(&r, k_name), c_type = find_col(&r, k_type), c_in = find_col(&r, k_in),
        c_ex = find_col(&r, k_ex), c_se = find_col(&r, k_se), c_rt = find_col(&r, k_rt), c_rsd = find_col(&r, k_rsd),
        c_cyc = find_col(&r, k_cyc), c_st = find_col(&r, k_st);
    int rc = -1, st;
    if (c_name < 0 || c_ex < 0) {
        wp_fail(err, path, 1, "missing column %s", c_name < 0 ? "layer_name" : "power excluding idle");
        goto out;
    }
    while ((st = wp_csv_next(&r, err)) == 1) {
        const char *name = r.fields[c_name];
        long li = wp__report_layer_find(ix, m, name);
        if (li < 0 && (li = model_add_layer(m, ix, name, c_type >= 0 ? r.fields[c_type] : "")) < 0) {
            wp_fail(err, path, r.line, "out of memory");
            goto out;
        }
        rp_layer *l = &m->layers[li];
        double v;
        if (c_st >= 0)
            snprintf(l->status, sizeof l->status, "%s", r.fields[c_st]);
        if (wp_csv_double(&r, c_ex, 1, &v, err) != 0)
            goto out;
        l->power_w = v / 1e6;
        l->n_power = isnan(v) ? 0 : 1;
        l->power_err_w = NAN;
        if (c_se >= 0) {
            if (wp_csv_double(&r, c_se, 1, &v, err) != 0)
                goto out;
            l->power_err_w = v / 1e6;
        }
        if (c_in >= 0) {
            double vin;
            if (wp_csv_double(&r, c_in, 1, &vin, err) != 0)
                goto out;
            l->power_incl_w = vin / 1e6;
            if (!isnan(vin) && !isnan(l->power_w))
                *idle_w = l->power_incl_w - l->power_w;
        }
        if (c_rt >= 0) {
            if (wp_csv_double(&r, c_rt, 1, &v, err) != 0)
                goto out;
            if (!isnan(v))
                l->runtime_ms = v;
        }
        if (c_rsd >= 0) {
            if (wp_csv_double(&r, c_rsd, 1, &v, err) != 0)
                goto out;
            l->runtime_sd = v;
        }
        if (c_cyc >= 0 && wp_csv_double(&r, c_cyc, 1, &v, err) == 0 && v > (double)m->n_cycles)
            m->n_cycles = (size_t)v;
    }
    if (st < 0)
        goto out;
    m->from_estimates = 1;
    rc = 0;
out:
    wp_csv_free(&r);
    return rc;
}

/* ------------------------------------------------------- predictions */

static int col_prefix(const wp_csv_reader *r, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < r->nheader; i++)
        if (strncmp(r->header[i], prefix, n) == 0)
            return (int)i;
    return -1;
}

/* A `wattprof predict` CSV. Returns the number of the model's layers it
 * matched (0: not this model's predictions); with m NULL, only checks the
 * file and returns its number of rows. */
long wp__report_load_predictions(const char *path, rp_model *m, name_index *ix, wp_error *err)
{
    wp_csv_reader r;
    if (wp_csv_open(&r, path, err) != 0)
        return -1;
    long matched = -1;
    int c_name = wp_csv_require(&r, "layer_name", err), c_p = col_prefix(&r, "power_prediction"),
        c_t = col_prefix(&r, "runtime_prediction"), c_e = col_prefix(&r, "energy_prediction"), st;
    if (c_name < 0)
        goto out;
    if (c_p < 0 && c_t < 0) {
        wp_fail(err, path, 1, "missing column power_prediction or runtime_prediction");
        goto out;
    }
    long n = 0;
    while ((st = wp_csv_next(&r, err)) == 1) {
        long li = m ? wp__report_layer_find(ix, m, r.fields[c_name]) : -1;
        /* Every row's numbers are checked, matched or not: a damaged file
         * must not pass because its bad rows name no layer of this model. */
        rp_layer scratch;
        memset(&scratch, 0, sizeof scratch);
        rp_layer *l = li >= 0 ? &m->layers[li] : &scratch;
        if ((c_p >= 0 && wp_csv_double(&r, c_p, 1, &l->pred_power_w, err) != 0) ||
            (c_t >= 0 && wp_csv_double(&r, c_t, 1, &l->pred_runtime_ms, err) != 0) ||
            (c_e >= 0 && wp_csv_double(&r, c_e, 1, &l->pred_energy_mj, err) != 0))
            goto out;
        if (c_e < 0)
            l->pred_energy_mj = l->pred_power_w * l->pred_runtime_ms;
        n += m ? li >= 0 : 1;
    }
    if (st < 0)
        goto out;
    matched = n;
out:
    wp_csv_free(&r);
    return matched;
}

/* ------------------------------------------------------- configuration */

void wp__report_kv_add(rp_kv_list *l, const char *k, const char *v)
{
    if (l->n == l->cap) {
        size_t cap = wp_next_cap(l->cap, 16);
        if (wp_grow_to(&l->k, cap, sizeof *l->k) != 0 || wp_grow_to(&l->v, cap, sizeof *l->v) != 0)
            return;
        l->cap = cap;
    }
    l->k[l->n] = strdup(k);
    l->v[l->n] = strdup(v);
    if (l->k[l->n] && l->v[l->n])
        l->n++;
    else {
        free(l->k[l->n]);
        free(l->v[l->n]);
    }
}

void wp__report_kv_free(rp_kv_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->k[i]);
        free(l->v[i]);
    }
    free(l->k);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Scalars and short scalar arrays as text; NULL for anything else. */
int wp__report_json_text(const json_t *v, char *buf, size_t cap)
{
    char nb[WP_DOUBLE_BUFSZ];
    switch (json_typeof(v)) {
    case JSON_STRING: snprintf(buf, cap, "%s", json_string_value(v)); return 0;
    case JSON_INTEGER: snprintf(buf, cap, "%lld", (long long)json_integer_value(v)); return 0;
    case JSON_REAL:
        wp__report_fmt(json_real_value(v), nb, sizeof nb);
        snprintf(buf, cap, "%s", nb);
        return 0;
    case JSON_TRUE: snprintf(buf, cap, "true"); return 0;
    case JSON_FALSE: snprintf(buf, cap, "false"); return 0;
    case JSON_NULL: snprintf(buf, cap, "null"); return 0;
    case JSON_ARRAY: {
        size_t n = json_array_size(v), len = 0;
        if (n > 16)
            return -1;
        len += (size_t)snprintf(buf, cap, "[");
        for (size_t i = 0; i < n && len < cap; i++) {
            char item[128];
            if (wp__report_json_text(json_array_get(v, i), item, sizeof item) != 0 ||
                json_is_array(json_array_get(v, i)))
                return -1;
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", item);
        }
        if (len < cap)
            snprintf(buf + len, cap - len, "]");
        return 0;
    }
    default: return -1;
    }
}

static void kv_from_json(rp_kv_list *l, const char *prefix, json_t *obj, int depth)
{
    const char *key;
    json_t *v;
    char text[512], full[256];
    json_object_foreach(obj, key, v)
    {
        /* Keys longer than the buffer are shown cut short. */
        if (snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", key) >= (int)sizeof full)
            full[sizeof full - 1] = 0;
        if (json_is_object(v) && depth < 2)
            kv_from_json(l, full, v, depth + 1);
        else if (wp__report_json_text(v, text, sizeof text) == 0)
            wp__report_kv_add(l, full, text);
        else if (json_is_array(v)) {
            snprintf(text, sizeof text, "%zu values", json_array_size(v));
            wp__report_kv_add(l, full, text);
        }
    }
}

/* ------------------------------------------------ map's saved choices */

static double mi_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void mi_str(json_t *o, const char *key, char *buf, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(buf, cap, "%s", s ? s : "");
}

static int load_map_info(const char *path, rp_map_info *mi, wp_error *err)
{
    memset(mi, 0, sizeof *mi);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return wp_fail(err, path, je.line, "%s", je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return wp_fail(err, path, 1, "expected a JSON object");
    }
    mi->have = 1;
    mi_str(root, "attribution", mi->attribution, sizeof mi->attribution);
    mi_str(root, "wattprof_version", mi->version, sizeof mi->version);
    json_t *tl = json_object_get(root, "timeline");
    mi_str(tl, "chosen", mi->timeline, sizeof mi->timeline);
    mi_str(tl, "requested", mi->timeline_req, sizeof mi->timeline_req);
    mi_str(tl, "reason", mi->reason, sizeof mi->reason);
    mi->offset_us = mi_num(root, "report_offset_us");
    if (isnan(mi->offset_us))
        mi->offset_us = 0;
    mi->offset_auto = json_is_true(json_object_get(root, "report_offset_auto"));
    json_t *d = json_object_get(root, "deconvolve");
    mi->deconv = json_is_object(d);
    mi->window_us = mi_num(d, "sensor_window_us");
    mi->window_auto = json_is_true(json_object_get(d, "sensor_window_auto"));
    mi->rms_uw = mi_num(d, "rms_residual_micro_watt");
    mi->gap_uw = mi_num(d, "gap_power_including_idle_micro_watt");
    mi->samples_used = mi_num(d, "samples_used");
    json_t *rg = json_object_get(d, "report_offset_range_us");
    mi->range_lo = json_is_number(json_array_get(rg, 0)) ? json_number_value(json_array_get(rg, 0)) : NAN;
    mi->range_hi = json_is_number(json_array_get(rg, 1)) ? json_number_value(json_array_get(rg, 1)) : NAN;
    mi->cycles = mi_num(root, "cycles");
    mi->power_samples = mi_num(root, "power_samples");
    mi->span_s = mi_num(root, "log_span_s");
    mi->rate = mi_num(root, "sample_rate_per_s");
    mi->idle_uw = mi_num(root, "idle_power_micro_watt");
    mi_str(root, "log_start", mi->log_start, sizeof mi->log_start);
    json_decref(root);
    return 0;
}

/* ------------------------------------------------------- training data */

static int td_push(rp_training_points *t, double x, double rt, double pw, const char *color, const char *net,
                   const char *layer)
{
    if (t->n == t->cap) {
        size_t cap = wp_next_cap(t->cap, 256);
        if (wp_grow_to(&t->x, cap, sizeof *t->x) || wp_grow_to(&t->rt, cap, sizeof *t->rt) ||
            wp_grow_to(&t->pw, cap, sizeof *t->pw) || wp_grow_to(&t->color, cap, sizeof *t->color) ||
            wp_grow_to(&t->tip, cap, sizeof *t->tip))
            return -1;
        t->cap = cap;
    }
    size_t len = strlen(net) + strlen(layer) + 3;
    char *tip = malloc(len);
    if (!tip)
        return -1;
    snprintf(tip, len, "%s: %s", net, layer);
    t->x[t->n] = x;
    t->rt[t->n] = rt;
    t->pw[t->n] = pw;
    t->color[t->n] = color;
    t->tip[t->n] = tip;
    t->n++;
    return 0;
}

static void td_free(rp_training_points *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->tip[i]);
    free(t->x);
    free(t->rt);
    free(t->pw);
    free(t->color);
    free(t->tip);
    memset(t, 0, sizeof *t);
}

const char *const wp__report_td_kind[3] = {"convolutional", "pooling", "dense"};
const char *const wp__report_td_type[3] = {"CaskConvolution", "CaskPooling", "CaskGemmConvolution"};

/* Rows of one training CSV; points (work measure, runtime, power) added to t. */
static long td_read(const char *path, int kind, const char *net, rp_training_points *t, wp_error *err)
{
    wp_csv_reader r;
    if (wp_csv_open(&r, path, err) != 0)
        return -1;
    int cx = wp_csv_column(&r, kind == 1 ? "ops" : "macs"), crt = wp_csv_column(&r, "runtime"),
        cp = wp_csv_column(&r, "power"), cn = wp_csv_column(&r, "layer_name"), st;
    long rows = 0;
    while ((st = wp_csv_next(&r, err)) == 1) {
        rows++;
        if (cx < 0 || crt < 0 || cp < 0)
            continue;
        double x, rt, pw;
        if (wp_csv_double(&r, cx, 1, &x, err) != 0 || wp_csv_double(&r, crt, 1, &rt, err) != 0 ||
            wp_csv_double(&r, cp, 1, &pw, err) != 0) {
            st = -1;
            break;
        }
        if (td_push(t, x, rt, pw / 1e6, wp__report_type_color(wp__report_td_type[kind]), net,
                    cn >= 0 ? r.fields[cn] : "") != 0) {
            wp_fail(err, path, r.line, "out of memory");
            st = -1;
            break;
        }
    }
    wp_csv_free(&r);
    return st < 0 ? -1 : rows;
}

/* A network folder of the dataset holds one of the per-kind training CSVs. */
static int keep_network(const char *dir, const char *name, void *ctx)
{
    (void)ctx;
    int any = 0;
    for (int k = 0; k < 3; k++) {
        char file[64];
        snprintf(file, sizeof file, "%s.csv", wp__report_td_kind[k]);
        char *p = wp_path3(dir, name, file);
        any |= wp_is_file(p);
        free(p);
    }
    return any;
}

/* Every network folder of the dataset: its rows per kind and its points. */
int wp__report_load_training(const char *data_dir, rp_training *td, wp_error *err)
{
    memset(td, 0, sizeof *td);
    if (wp_dir_list(data_dir, "data directory", keep_network, NULL, &td->nets, &td->n, err) != 0)
        return -1;
    if (td->n == 0)
        return 0;
    td->rows = calloc(3 * td->n, sizeof *td->rows);
    if (!td->rows) {
        wp__report_training_free(td);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < td->n; i++)
        for (int k = 0; k < 3; k++) {
            char file[64];
            snprintf(file, sizeof file, "%s.csv", wp__report_td_kind[k]);
            char *p = wp_path3(data_dir, td->nets[i], file);
            td->rows[3 * i + k] = wp_is_file(p) ? td_read(p, k, td->nets[i], &td->pts, err) : -2;
            free(p);
            if (td->rows[3 * i + k] == -1) {
                wp__report_training_free(td);
                return -1;
            }
        }
    return 0;
}

void wp__report_training_free(rp_training *td)
{
    td_free(&td->pts);
    wp_names_free(td->nets, td->n);
    free(td->rows);
    memset(td, 0, sizeof *td);
}

/* ---------------------------------------------------------- per model */

/* Model folders: subdirectories of the result dir holding a mapping or
 * estimates, sorted by name. */
static int keep_model(const char *dir, const char *name, void *ctx)
{
    (void)ctx;
    char *a = wp_path3(dir, name, MAPPING_CSV), *b = wp_path3(dir, name, ESTIMATES_CSV);
    int ok = wp_is_file(a) || wp_is_file(b);
    free(a);
    free(b);
    return ok;
}

int wp__report_list_models(const char *dir, char ***names, size_t *n, wp_error *err)
{
    return wp_dir_list(dir, "result directory", keep_model, NULL, names, n, err);
}

/* Does DIR hold any model file `wattprof train` writes? */
static int has_model_files(const char *dir)
{
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        char file[64];
        snprintf(file, sizeof file, "%s.json", wp_pipeline_name(i));
        char *p = wp_path_join(dir, file);
        int ok = wp_is_file(p);
        free(p);
        if (ok)
            return 1;
    }
    return 0;
}

/* Predicts the model's layers from the engine info `map` copied beside the
 * mapping, with the trained models. Returns layers matched, or -1. */
static long predict_from_models(const wp_report_options *o, rp_model *m, name_index *ix, wp_error *err)
{
    char *engine = wp_path3(o->result_dir, m->name, WP_ENGINE_INFO_JSON);
    if (!wp_is_file(engine)) {
        free(engine);
        return 0;
    }
    wp_prediction pred;
    memset(&pred, 0, sizeof pred);
    long n = -1;
    if (wp_predict_engine(o->models_dir, engine, &pred, err) == 0) {
        n = 0;
        for (size_t i = 0; i < pred.n; i++) {
            const wp_prediction_row *r = &pred.rows[i];
            long li = r->modelled ? wp__report_layer_find(ix, m, r->layer_name) : -1;
            if (li < 0)
                continue;
            m->layers[li].pred_power_w = r->power_w;
            m->layers[li].pred_runtime_ms = r->runtime_ms;
            m->layers[li].pred_energy_mj = r->energy_mj;
            n++;
        }
        wp_prediction_free(&pred);
    }
    free(engine);
    return n;
}

/* Predictions for model m: an explicit --predictions CSV, else the trained
 * models on the model's engine info, else RESULT/<model>/predictions.csv;
 * the first that matches its layers. */
static int find_predictions(const wp_report_options *o, rp_model *m, name_index *ix, char **source, wp_error *err)
{
    char *cands[4] = {0};
    size_t nc = 0;
    int rc = 0;
    if (o->predictions) {
        if (wp_is_dir(o->predictions)) {
            cands[nc++] = wp_layout_model_file(o->predictions, m->name, ".csv");
            cands[nc++] = wp_path3(o->predictions, m->name, WP_PREDICTIONS_CSV);
        } else {
            cands[nc++] = strdup(o->predictions);
        }
    }
    size_t auto_csv = nc;
    cands[nc++] = wp_path3(o->result_dir, m->name, WP_PREDICTIONS_CSV);
    for (size_t i = 0; i < nc; i++) {
        if (i == auto_csv && o->models_dir && has_model_files(o->models_dir)) {
            long got = predict_from_models(o, m, ix, err);
            if (got < 0) {
                rc = -1;
                break;
            }
            if (got > 0) {
                size_t len = strlen(o->models_dir) + 64;
                *source = malloc(len);
                if (*source)
                    snprintf(*source, len, "the models in %s (wattprof predict on trt_engine_info.json)",
                             o->models_dir);
                break;
            }
        }
        if (!wp_is_file(cands[i]))
            continue;
        long got = wp__report_load_predictions(cands[i], m, ix, err);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got > 0) {
            *source = cands[i];
            cands[i] = NULL;
            break;
        }
    }
    for (size_t i = 0; i < nc; i++)
        free(cands[i]);
    return rc;
}

/* `wattprof simulate` writes RAW/truth.json: per model and layer the true
 * power above idle. When present the report scores the attribution. */
static int load_truth(const char *raw_dir, rp_model *m, name_index *ix, wp_error *err)
{
    char *p = wp_path_join(raw_dir, WP_TRUTH_JSON);
    if (!wp_is_file(p)) {
        free(p);
        return 0;
    }
    json_error_t je;
    json_t *root = json_load_file(p, 0, &je);
    if (!root) {
        wp_fail(err, p, je.line, "%s", je.text);
        free(p);
        return -1;
    }
    json_t *layers = json_object_get(json_object_get(json_object_get(root, "models"), m->name), "layers");
    for (size_t i = 0; i < json_array_size(layers); i++) {
        json_t *e = json_array_get(layers, i), *pw = json_object_get(e, "power_uw");
        const char *name = json_string_value(json_object_get(e, "name"));
        long li = name ? wp__report_layer_find(ix, m, name) : -1;
        if (li < 0 || !json_is_number(pw))
            continue;
        m->layers[li].truth_power_w = json_number_value(pw) / 1e6;
        m->n_truth++;
    }
    json_decref(root);
    free(p);
    return 0;
}

static void raw_free(rp_raw *r)
{
    if (r->have_log)
        wp_powerlog_free(&r->log);
    if (r->have_lat)
        wp_latency_free(&r->lat);
    memset(r, 0, sizeof *r);
}

/* The benchmark's own settings, RAW/<model>/<model>_tensorrt.json, as
 * key-value rows (nested objects flattened to a.b.c). */
static int load_bench_config(const char *model_dir, const char *name, rp_kv_list *cfg, wp_error *err)
{
    char *p = wp_layout_model_file(model_dir, name, WP_TENSORRT_JSON_SUFFIX);
    int rc = 0;
    if (wp_is_file(p)) {
        json_error_t je;
        json_t *root = json_load_file(p, 0, &je);
        if (!root)
            rc = wp_fail(err, p, je.line, "%s", je.text);
        else {
            kv_from_json(cfg, "", root, 0);
            json_decref(root);
        }
    }
    free(p);
    return rc;
}

/* The idle power: RAW/<model>/idling_power.json, else RAW/idling_power.json;
 * *idle_w stays when neither is there. */
static int load_idle(const char *raw_dir, const char *model_dir, double *idle_w, wp_error *err)
{
    char *shared = wp_path_join(raw_dir, WP_IDLE_JSON), *own = wp_path_join(model_dir, WP_IDLE_JSON);
    const char *ip = wp_is_file(own) ? own : wp_is_file(shared) ? shared : NULL;
    int rc = 0;
    double uw;
    if (ip) {
        rc = wp_idle_read(ip, &uw, err);
        if (rc == 0)
            *idle_w = uw / 1e6;
    }
    free(own);
    free(shared);
    return rc;
}

/* One clock of device.json as a row "clock NAME": current frequency, range
 * and governor. Its fields are cur/min/max<unit> in units of per_mhz. */
static void clock_row(rp_kv_list *kv, json_t *e, const char *name_key, const char *unit, double per_mhz)
{
    char k_cur[16], k_lo[16], k_hi[16], b[512], key[128];
    snprintf(k_cur, sizeof k_cur, "cur%s", unit);
    snprintf(k_lo, sizeof k_lo, "min%s", unit);
    snprintf(k_hi, sizeof k_hi, "max%s", unit);
    json_t *cur = json_object_get(e, k_cur), *lo = json_object_get(e, k_lo), *hi = json_object_get(e, k_hi);
    const char *gov = json_string_value(json_object_get(e, "governor"));
    int n = snprintf(b, sizeof b, "%s", json_is_integer(cur) ? "" : "- ");
    if (json_is_integer(cur))
        n += snprintf(b + n, sizeof b - (size_t)n, "%.1f MHz ", (double)json_integer_value(cur) / per_mhz);
    if (json_is_integer(lo) && json_is_integer(hi) && n > 0 && (size_t)n < sizeof b)
        n += snprintf(b + n, sizeof b - (size_t)n, "(%.1f..%.1f MHz) ", (double)json_integer_value(lo) / per_mhz,
                      (double)json_integer_value(hi) / per_mhz);
    if (gov && n > 0 && (size_t)n < sizeof b)
        snprintf(b + n, sizeof b - (size_t)n, "%s", gov);
    const char *name = json_string_value(json_object_get(e, name_key));
    snprintf(key, sizeof key, "clock %s", name ? name : strcmp(name_key, "cpu") == 0 ? "cpu" : "devfreq");
    wp__report_kv_add(kv, key, b);
}

/* device.json (docs/logging.md) as key/value rows: the board, its software,
 * power mode, clocks and temperatures; what the file lacks is left out. */
static int load_device(rp_kv_list *kv, const char *path, wp_error *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return wp_fail(err, path, je.line > 0 ? je.line : 0, "malformed JSON: %s", je.text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return wp_fail(err, path, 1, "expected a JSON object (device.json)");
    }
    static const char *const plain[][2] = {
        {"model", "board"}, {"l4t_release", "L4T release"}, {"kernel", "kernel"}, {"nvpmodel", "nvpmodel"}};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        const char *v = json_string_value(json_object_get(doc, plain[i][0]));
        if (v)
            wp__report_kv_add(kv, plain[i][1], v);
    }
    char b[512];
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "cpus"), i, e) clock_row(kv, e, "cpu", "_khz", 1e3);
    json_array_foreach(json_object_get(doc, "devfreq"), i, e) clock_row(kv, e, "device", "_hz", 1e6);
    /* temperatures: start -> end per zone */
    json_t *st = json_object_get(json_object_get(doc, "start"), "thermal");
    json_t *en = json_object_get(json_object_get(doc, "end"), "thermal");
    json_array_foreach(st, i, e)
    {
        const char *zone = json_string_value(json_object_get(e, "zone"));
        const char *type = json_string_value(json_object_get(e, "type"));
        json_t *t0 = json_object_get(e, "temp_mc");
        if (!zone || !json_is_integer(t0))
            continue;
        int n = snprintf(b, sizeof b,
                         "%.1f \xC2\xB0"
                         "C",
                         (double)json_integer_value(t0) / 1e3);
        size_t k;
        json_t *f;
        json_array_foreach(en, k, f)
        {
            const char *z2 = json_string_value(json_object_get(f, "zone"));
            json_t *t1 = json_object_get(f, "temp_mc");
            if (z2 && strcmp(z2, zone) == 0 && json_is_integer(t1) && n > 0 && (size_t)n < sizeof b)
                snprintf(b + n, sizeof b - (size_t)n,
                         " at start, %.1f \xC2\xB0"
                         "C at end",
                         (double)json_integer_value(t1) / 1e3);
        }
        char key[160];
        snprintf(key, sizeof key, "temperature %s", type ? type : zone);
        wp__report_kv_add(kv, key, b);
    }
    json_t *cool = json_object_get(doc, "cooldown");
    if (json_is_object(cool)) {
        snprintf(b, sizeof b,
                 "within %.3g \xC2\xB0"
                 "C of idle: %s after %.1f s",
                 json_number_value(json_object_get(cool, "margin_c")),
                 json_is_true(json_object_get(cool, "reached")) ? "reached" : "NOT reached (timed out)",
                 json_number_value(json_object_get(cool, "waited_s")));
        wp__report_kv_add(kv, "cooldown", b);
    }
    json_t *rate = json_object_get(doc, "logger_mean_rate_hz");
    if (json_is_number(rate)) {
        snprintf(b, sizeof b, "%.4g samples/s", json_number_value(rate));
        wp__report_kv_add(kv, "logger rate", b);
    }
    json_decref(doc);
    return 0;
}

/* Raw data of one model: power log and latency (the timeline), idle power,
 * simulate's truth, the benchmark's settings. */
static int load_raw(const char *raw_dir, const char *name, rp_inputs *in, wp_error *err)
{
    char *dir = wp_path_join(raw_dir, name);
    char *log = wp_layout_model_file(dir, name, WP_POWER_LOG_SUFFIX);
    char *lat = wp_layout_profiling_file(dir, WP_LATENCY_JSON);
    int rc = -1;
    if (!dir || !log || !lat) {
        wp_fail(err, NULL, 0, "out of memory");
        goto out;
    }
    if (wp_is_file(log)) {
        if (wp_powerlog_read(log, &in->raw.log, err) != 0)
            goto out;
        in->raw.have_log = 1;
    }
    if (wp_is_file(lat)) {
        if (wp_latency_read(lat, &in->raw.lat, err) != 0)
            goto out;
        in->raw.have_lat = 1;
    }
    if (load_idle(raw_dir, dir, &in->idle_w, err) != 0 || load_truth(raw_dir, &in->m, &in->ix, err) != 0 ||
        load_bench_config(dir, name, &in->cfg, err) != 0)
        goto out;
    rc = 0;
out:
    free(lat);
    free(log);
    free(dir);
    return rc;
}

int wp__report_load_model(const wp_report_options *o, const char *name, rp_inputs *in, wp_error *err)
{
    memset(in, 0, sizeof *in);
    in->idle_w = NAN;
    rp_model *m = &in->m;
    char *p = NULL;
    int rc = -1;

    m->name = strdup(name);
    p = wp_path3(o->result_dir, name, MAPPING_CSV);
    if (wp_is_file(p) && load_mapping(p, m, &in->ix, &in->idle_w, err) != 0)
        goto out;
    free(p);
    p = wp_path3(o->result_dir, name, ESTIMATES_CSV);
    if (wp_is_file(p) && load_estimates(p, m, &in->ix, &in->idle_w, err) != 0)
        goto out;
    free(p);
    p = NULL;
    for (size_t i = 0; i < m->n; i++)
        m->layers[i].energy_mj = m->layers[i].power_w * m->layers[i].runtime_ms;
    if (find_predictions(o, m, &in->ix, &in->pred_source, err) != 0)
        goto out;
    in->explicit_used = in->pred_source && o->predictions && strcmp(in->pred_source, o->predictions) == 0;
    p = wp_path3(o->result_dir, name, MAPPING_INFO_JSON);
    if (wp_is_file(p) && load_map_info(p, &in->mi, err) != 0)
        goto out;
    if (in->mi.have && isnan(in->idle_w) && !isnan(in->mi.idle_uw))
        in->idle_w = in->mi.idle_uw / 1e6;
    if (o->raw_data_dir && load_raw(o->raw_data_dir, name, in, err) != 0)
        goto out;
    /* the device the power was measured on: map's copy, else the raw one */
    free(p);
    p = wp_path3(o->result_dir, name, WP_DEVICE_JSON);
    if (!wp_is_file(p) && o->raw_data_dir) {
        free(p);
        p = wp_path3(o->raw_data_dir, name, WP_DEVICE_JSON);
    }
    if (wp_is_file(p) && load_device(&in->dev, p, err) != 0)
        goto out;
    rc = 0;
out:
    free(p);
    if (rc != 0)
        wp__report_inputs_free(in);
    return rc;
}

void wp__report_inputs_free(rp_inputs *in)
{
    free(in->pred_source);
    wp__report_kv_free(&in->cfg);
    wp__report_kv_free(&in->dev);
    raw_free(&in->raw);
    wp_name_index_free(&in->ix);
    model_free(&in->m);
    memset(in, 0, sizeof *in);
}

/* ------------------------------------------------------ training metrics */

int wp__report_load_metrics(const char *models_dir, json_t **root, char **path, wp_error *err)
{
    *root = NULL;
    *path = models_dir ? wp_path_join(models_dir, WP_METRICS_JSON) : NULL;
    if (!wp_is_file(*path))
        return 0;
    json_error_t je;
    if (!(*root = json_load_file(*path, 0, &je)))
        return wp_fail(err, *path, je.line, "%s", je.text);
    return 0;
}
