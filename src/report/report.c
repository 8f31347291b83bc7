/* The HTML report: finds what a result directory (and optionally the raw
 * data and trained models) holds, loads it into per-model summaries, and
 * writes one page. Absent inputs drop their section with a note; present but
 * malformed inputs are errors (the user asked for a report of them). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report_internal.h"
#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/fsutil.h"
#include "wattprof/idle.h"
#include "wattprof/latency.h"
#include "wattprof/layout.h"
#include "wattprof/model.h"
#include "wattprof/nameindex.h"
#include "wattprof/powerlog.h"
#include "wattprof/report.h"
#include "wattprof/timeline.h"
#include "wattprof/timestamp.h"

#define MAPPING_CSV WP_MAPPING_CSV
#define ESTIMATES_CSV WP_ESTIMATES_CSV
#define MAPPING_INFO_JSON WP_MAPPING_INFO_JSON

void wp_html_escape(FILE *out, const char *s)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fputc(' ', out);
            else
                fputc(*p, out);
        }
    }
}

/* ------------------------------------------------------- layer lookup */

typedef wp_name_index name_index;

static const char *layer_name_at(const void *layers, size_t i)
{
    return ((const rp_layer *)layers)[i].name;
}

static long index_find(const name_index *ix, const rp_model *m, const char *name)
{
    return wp_name_index_find(ix, name, layer_name_at, m->layers);
}

static long model_add_layer(rp_model *m, name_index *ix, const char *name, const char *type)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        rp_layer *l = realloc(m->layers, cap * sizeof *l);
        if (!l)
            return -1;
        m->layers = l;
        m->cap = cap;
    }
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
        long li = index_find(ix, m, name);
        if (li < 0 && (li = model_add_layer(m, ix, name, r.fields[c_type])) < 0) {
            wp_fail(err, path, r.line, "out of memory");
            goto out;
        }
        if ((size_t)li >= acc_cap / 3) {
            size_t cap = acc_cap ? acc_cap * 2 : 96;
            while ((size_t)li >= cap / 3)
                cap *= 2;
            welford *a = realloc(acc, cap * sizeof *a);
            if (!a) {
                wp_fail(err, path, r.line, "out of memory");
                goto out;
            }
            memset(a + acc_cap, 0, (cap - acc_cap) * sizeof *a);
            acc = a;
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
    wp_csv_close(&r);
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
        long li = index_find(ix, m, name);
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
    wp_csv_close(&r);
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
static long load_predictions(const char *path, rp_model *m, name_index *ix, wp_error *err)
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
        long li = m ? index_find(ix, m, r.fields[c_name]) : -1;
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
    wp_csv_close(&r);
    return matched;
}

/* ------------------------------------------------------- configuration */

typedef struct kv_list {
    char **k, **v;
    size_t n, cap;
} kv_list;

static void kv_add(kv_list *l, const char *k, const char *v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nk = realloc(l->k, cap * sizeof *nk);
        if (!nk)
            return;
        l->k = nk;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
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

static void kv_free(kv_list *l)
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
static int json_scalar_text(const json_t *v, char *buf, size_t cap)
{
    char nb[WP_DOUBLE_BUFSZ];
    switch (json_typeof(v)) {
    case JSON_STRING: snprintf(buf, cap, "%s", json_string_value(v)); return 0;
    case JSON_INTEGER: snprintf(buf, cap, "%lld", (long long)json_integer_value(v)); return 0;
    case JSON_REAL: rp_fmt(json_real_value(v), nb, sizeof nb); snprintf(buf, cap, "%s", nb); return 0;
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
            if (json_scalar_text(json_array_get(v, i), item, sizeof item) != 0 || json_is_array(json_array_get(v, i)))
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

static void kv_from_json(kv_list *l, const char *prefix, json_t *obj, int depth)
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
        else if (json_scalar_text(v, text, sizeof text) == 0)
            kv_add(l, full, text);
        else if (json_is_array(v)) {
            snprintf(text, sizeof text, "%zu values", json_array_size(v));
            kv_add(l, full, text);
        }
    }
}

/* ---------------------------------------------------------- the page */

static const char *CSS =
    ":root{--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#ffffff;--panel:#f6f8fa;--accent:#0b5cad}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'DejaVu Sans',sans-serif}\n"
    "main{max-width:1180px;margin:0 auto;padding:28px 20px 60px}\n"
    "header.top{border-bottom:3px solid var(--ink);margin-bottom:22px;padding-bottom:10px}\n"
    "h1{font-size:30px;margin:0 0 4px;letter-spacing:-0.5px}\n"
    "h2{font-size:23px;margin:40px 0 10px;padding-top:14px;border-top:1px solid var(--line)}\n"
    "h3{font-size:17px;margin:26px 0 8px}\n"
    "h4{font-size:15px;margin:16px 0 6px;color:var(--muted)}\n"
    "p{margin:6px 0 10px}.sub,.note,small{color:var(--muted)}\n"
    ".note{font-size:14px;font-style:italic;background:var(--panel);border-left:3px solid var(--line);"
    "padding:6px 10px}\n"
    "code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:13px}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}\n"
    "th,td{padding:3px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}\n"
    "th{background:var(--panel);font-weight:600}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "th{white-space:nowrap}td.mono{word-break:break-all;min-width:220px}\n"
    "table.kv td:first-child{color:var(--muted);white-space:nowrap}\n"
    ".kvwrap{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start}\n"
    ".cards{display:flex;gap:12px;flex-wrap:wrap;margin:10px 0 4px}\n"
    ".card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 12px;min-width:96px;flex:1 1 auto}\n"
    ".card b{display:block;font-size:22px;font-variant-numeric:tabular-nums}\n"
    ".card span{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.3px;white-space:nowrap}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px;margin:4px 0 8px}\n"
    ".legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}\n"
    ".legend i.line{height:3px;vertical-align:3px}\n"
    "svg.chart{width:100%;height:auto;display:block;margin:4px 0 8px}\n"
    "svg.pair{width:760px;max-width:100%}.scroll{overflow-x:auto}.scroll table{font-size:12.5px}.scroll th,.scroll td{padding:3px 7px}\n"
    ".scatters{display:flex;gap:20px;flex-wrap:wrap}.scatters svg.chart{width:556px;max-width:100%}\n"
    "svg text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;fill:#1f2328;font-size:12px}\n"
    "svg text.lname{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,monospace;font-size:10.5px}\n"
    "svg text.tick{font-size:11px;fill:#656d76}\n"
    "svg text.ptitle{font-size:14px;font-weight:600}svg tspan.unit{font-weight:400;fill:#656d76}\n"
    "svg text.axlabel{font-size:12px;fill:#656d76}\n"
    "svg text.nodata{font-size:10px;font-style:italic;fill:#8c959f}\n"
    "svg text.lanelabel{font-size:11px;fill:#656d76}svg text.cyclelabel{font-size:11px;fill:#656d76}\n"
    "svg .stripe{fill:#f6f8fa}svg .grid{stroke:#e4e8ec;stroke-width:1}svg .zero{stroke:#8c959f;stroke-width:1}\n"
    "svg .frame{fill:none;stroke:#c9d1d9}svg .lane{fill:#f6f8fa;stroke:#d8dee4}\n"
    "svg .whisker{stroke:#1f2328;stroke-width:1;fill:none;opacity:.75}\n"
    "svg .predmark{stroke:#c2185b;stroke-width:2.2}svg .truthmark{stroke:#1b7f3b;stroke-width:2.4}\n"
    "svg .band{opacity:.16}svg .win{stroke:#fff;stroke-width:.6}\n"
    "svg .signal{fill:none;stroke:#1f2328;stroke-width:1.3;stroke-linejoin:round}\n"
    "svg .sample{fill:#1f2328}\n"
    "svg .estimate{fill:none;stroke:#c2185b;stroke-width:2.4}\n"
    "svg .model{fill:none;stroke:#e8710a;stroke-width:7;stroke-opacity:.45;stroke-linejoin:round;stroke-linecap:round}\n"
    "svg .swin{fill:none;stroke:#e8710a;stroke-width:1.4}\n"
    "svg .swinlabel{font-size:11px;fill:#b35400}\n"
    "svg .idle{stroke:#0b5cad;stroke-width:1.2;stroke-dasharray:6 4}\n"
    "svg .cycle{stroke:#656d76;stroke-width:1;stroke-dasharray:3 3}\n"
    "svg .ideal{stroke:#656d76;stroke-width:1.2;stroke-dasharray:5 4}svg .band20{stroke:#c9d1d9;stroke-dasharray:2 4}\n"
    "svg .dot{stroke:#fff;stroke-width:1;opacity:.9}\n"
    "details{margin:6px 0 12px}summary{cursor:pointer;color:var(--accent);font-size:14px}\n"
    "nav.toc table{font-size:14px}nav.toc a{color:var(--accent);text-decoration:none}\n"
    ".err-pos{color:#b42318}.err-neg{color:#0b5cad}\n"
    "footer{margin-top:50px;color:var(--muted);font-size:13px;border-top:1px solid var(--line);padding-top:10px}\n";

static void put_num_td(FILE *out, double v)
{
    char b[64];
    rp_fmt(v, b, sizeof b);
    fprintf(out, "<td class=\"num\">%s</td>", b);
}

/* Whole numbers (row counts) without decimals. */
static void put_count_td(FILE *out, double v)
{
    if (!isnan(v) && v == floor(v) && fabs(v) < 1e15)
        fprintf(out, "<td class=\"num\">%.0f</td>", v);
    else
        put_num_td(out, v);
}

static void put_err_td(FILE *out, double meas, double pred)
{
    if (isnan(meas) || isnan(pred) || meas == 0) {
        fputs("<td class=\"num\">–</td>", out);
        return;
    }
    double e = (pred - meas) / fabs(meas) * 100;
    fprintf(out, "<td class=\"num %s\">%+.1f %%</td>", e >= 0 ? "err-pos" : "err-neg", e);
}

static void card(FILE *out, const char *label, double v, const char *unit)
{
    char b[64];
    rp_fmt(v, b, sizeof b);
    fprintf(out, "<div class=\"card\"><span>%s</span><b>%s <small>%s</small></b></div>", label, b, unit);
}

static void card_count(FILE *out, const char *label, size_t v)
{
    fprintf(out, "<div class=\"card\"><span>%s</span><b>%zu</b></div>", label, v);
}

typedef struct model_totals {
    double runtime_ms, energy_mj, power_w;
    size_t n_power;
} model_totals;

static model_totals totals(const rp_model *m)
{
    model_totals t = {0, 0, NAN, 0};
    double t_with_power = 0;
    for (size_t i = 0; i < m->n; i++) {
        const rp_layer *l = &m->layers[i];
        if (!isnan(l->runtime_ms))
            t.runtime_ms += l->runtime_ms;
        if (!isnan(l->energy_mj)) {
            t.energy_mj += l->energy_mj;
            t_with_power += l->runtime_ms;
            t.n_power++;
        }
    }
    if (t_with_power > 0)
        t.power_w = t.energy_mj / t_with_power;
    return t;
}

static void section_table(FILE *out, const rp_model *m)
{
    fputs("<details><summary>Per-layer numbers</summary>\n<table><tr><th>#</th><th>layer</th><th>type</th>"
          "<th class=\"num\">runtime (ms)</th><th class=\"num\">\xC2\xB1 sd</th><th class=\"num\">power above idle (W)</th>"
          "<th class=\"num\">\xC2\xB1 ",
          out);
    fputs(m->from_estimates ? "std. error" : "sd", out);
    fputs("</th>", out);
    if (m->n_truth)
        fputs("<th class=\"num\">truth (W)</th>", out);
    fputs("<th class=\"num\">power incl. idle (W)</th><th class=\"num\">energy (mJ)</th>", out);
    fputs(m->from_estimates ? "<th>estimate</th></tr>\n" : "<th class=\"num\">cycles with power</th></tr>\n", out);
    for (size_t i = 0; i < m->n; i++) {
        const rp_layer *l = &m->layers[i];
        fprintf(out, "<tr><td class=\"num\">%zu</td><td class=\"mono\">", i + 1);
        wp_html_escape(out, l->name);
        fputs("</td><td>", out);
        wp_html_escape(out, l->type);
        fputs("</td>", out);
        put_num_td(out, l->runtime_ms);
        put_num_td(out, l->runtime_sd);
        put_num_td(out, l->power_w);
        put_num_td(out, l->power_err_w);
        if (m->n_truth)
            put_num_td(out, l->truth_power_w);
        put_num_td(out, l->power_incl_w);
        put_num_td(out, l->energy_mj);
        if (m->from_estimates) {
            fputs("<td>", out);
            wp_html_escape(out, l->status[0] ? l->status : "ok");
            fputs("</td>", out);
        } else
            fprintf(out, "<td class=\"num\">%zu</td>", l->n_power);
        fputs("</tr>\n", out);
    }
    fputs("</table></details>\n", out);
}

static void section_predictions(FILE *out, const rp_model *m, const char *source)
{
    size_t n = 0;
    double mt = 0, pt = 0, me = 0, pe = 0, ape_p = 0, ape_t = 0;
    size_t np = 0, nt = 0;
    for (size_t i = 0; i < m->n; i++) {
        const rp_layer *l = &m->layers[i];
        if (isnan(l->pred_power_w) && isnan(l->pred_runtime_ms))
            continue;
        n++;
        if (!isnan(l->runtime_ms) && !isnan(l->pred_runtime_ms)) {
            mt += l->runtime_ms;
            pt += l->pred_runtime_ms;
            if (l->runtime_ms != 0) {
                ape_t += fabs(l->pred_runtime_ms - l->runtime_ms) / fabs(l->runtime_ms);
                nt++;
            }
        }
        if (!isnan(l->energy_mj) && !isnan(l->pred_energy_mj)) {
            me += l->energy_mj;
            pe += l->pred_energy_mj;
        }
        if (!isnan(l->power_w) && !isnan(l->pred_power_w) && l->power_w != 0) {
            ape_p += fabs(l->pred_power_w - l->power_w) / fabs(l->power_w);
            np++;
        }
    }
    fputs("<h3>Measured vs predicted</h3>\n", out);
    if (n == 0) {
        fputs("<p class=\"note\">No predictions for this model's layers. Pass <code>--models DIR</code> (trained models; "
              "predicted from the engine info beside the mapping) or <code>--predictions FILE</code> (a "
              "<code>wattprof predict</code> CSV).</p>\n",
              out);
        return;
    }
    fputs("<p>Predictions from ", out);
    wp_html_escape(out, source);
    fprintf(out,
            " for %zu of %zu layers (the others are not modelled). Power is above idle; runtime and energy are "
            "summed over the modelled layers; errors are mean absolute relative errors per layer (layers of a few "
            "microseconds weigh as much as the longest).</p>\n",
            n, m->n);
    fputs("<div class=\"cards\">", out);
    card(out, "runtime, measured", mt, "ms");
    card(out, "predicted", pt, "ms");
    card(out, "energy, measured", me, "mJ");
    card(out, "predicted", pe, "mJ");
    if (np)
        card(out, "power error / layer", ape_p / (double)np * 100, "%");
    if (nt)
        card(out, "runtime error / layer", ape_t / (double)nt * 100, "%");
    fputs("</div>\n<div class=\"scatters\">\n", out);
    rp_svg_scatter(out, "Power above idle", "W", m, RP_POWER);
    rp_svg_scatter(out, "Runtime", "ms", m, RP_RUNTIME);
    fputs("</div>\n", out);
    fputs("<details><summary>Per-layer comparison</summary>\n<table><tr><th>layer</th><th>type</th>"
          "<th class=\"num\">power (W)</th><th class=\"num\">predicted</th><th class=\"num\">error</th>"
          "<th class=\"num\">runtime (ms)</th><th class=\"num\">predicted</th><th class=\"num\">error</th>"
          "<th class=\"num\">energy (mJ)</th><th class=\"num\">predicted</th><th class=\"num\">error</th></tr>\n",
          out);
    for (size_t i = 0; i < m->n; i++) {
        const rp_layer *l = &m->layers[i];
        if (isnan(l->pred_power_w) && isnan(l->pred_runtime_ms))
            continue;
        fputs("<tr><td class=\"mono\">", out);
        wp_html_escape(out, l->name);
        fputs("</td><td>", out);
        wp_html_escape(out, l->type);
        fputs("</td>", out);
        put_num_td(out, l->power_w);
        put_num_td(out, l->pred_power_w);
        put_err_td(out, l->power_w, l->pred_power_w);
        put_num_td(out, l->runtime_ms);
        put_num_td(out, l->pred_runtime_ms);
        put_err_td(out, l->runtime_ms, l->pred_runtime_ms);
        put_num_td(out, l->energy_mj);
        put_num_td(out, l->pred_energy_mj);
        put_err_td(out, l->energy_mj, l->pred_energy_mj);
        fputs("</tr>\n", out);
    }
    fputs("</table></details>\n", out);
}

static void kv_table(FILE *out, const kv_list *l, size_t from, size_t to)
{
    fputs("<table class=\"kv\">\n", out);
    for (size_t i = from; i < to; i++) {
        fputs("<tr><td>", out);
        wp_html_escape(out, l->k[i]);
        fputs("</td><td>", out);
        wp_html_escape(out, l->v[i]);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* ------------------------------------------------ map's saved choices */

/* device.json (docs/logging.md) as key/value rows: the board, its software,
 * power mode, clocks and temperatures; what the file lacks is left out. */
static int device_kv(kv_list *kv, const char *path, wp_error *err)
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
            kv_add(kv, plain[i][1], v);
    }
    char b[512];
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "cpus"), i, e)
    {
        json_t *cur = json_object_get(e, "cur_khz"), *lo = json_object_get(e, "min_khz"),
               *hi = json_object_get(e, "max_khz");
        const char *gov = json_string_value(json_object_get(e, "governor"));
        int n = snprintf(b, sizeof b, "%s", json_is_integer(cur) ? "" : "- ");
        if (json_is_integer(cur))
            n += snprintf(b + n, sizeof b - (size_t)n, "%.1f MHz ", (double)json_integer_value(cur) / 1e3);
        if (json_is_integer(lo) && json_is_integer(hi) && n > 0 && (size_t)n < sizeof b)
            n += snprintf(b + n, sizeof b - (size_t)n, "(%.1f..%.1f MHz) ", (double)json_integer_value(lo) / 1e3,
                          (double)json_integer_value(hi) / 1e3);
        if (gov && n > 0 && (size_t)n < sizeof b)
            snprintf(b + n, sizeof b - (size_t)n, "%s", gov);
        char key[128];
        const char *cpu = json_string_value(json_object_get(e, "cpu"));
        snprintf(key, sizeof key, "clock %s", cpu ? cpu : "cpu");
        kv_add(kv, key, b);
    }
    json_array_foreach(json_object_get(doc, "devfreq"), i, e)
    {
        json_t *cur = json_object_get(e, "cur_hz"), *lo = json_object_get(e, "min_hz"),
               *hi = json_object_get(e, "max_hz");
        const char *gov = json_string_value(json_object_get(e, "governor"));
        int n = snprintf(b, sizeof b, "%s", json_is_integer(cur) ? "" : "- ");
        if (json_is_integer(cur))
            n += snprintf(b + n, sizeof b - (size_t)n, "%.1f MHz ", (double)json_integer_value(cur) / 1e6);
        if (json_is_integer(lo) && json_is_integer(hi) && n > 0 && (size_t)n < sizeof b)
            n += snprintf(b + n, sizeof b - (size_t)n, "(%.1f..%.1f MHz) ", (double)json_integer_value(lo) / 1e6,
                          (double)json_integer_value(hi) / 1e6);
        if (gov && n > 0 && (size_t)n < sizeof b)
            snprintf(b + n, sizeof b - (size_t)n, "%s", gov);
        char key[128];
        const char *dev = json_string_value(json_object_get(e, "device"));
        snprintf(key, sizeof key, "clock %s", dev ? dev : "devfreq");
        kv_add(kv, key, b);
    }
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
        int n = snprintf(b, sizeof b, "%.1f \xC2\xB0" "C", (double)json_integer_value(t0) / 1e3);
        size_t k;
        json_t *f;
        json_array_foreach(en, k, f)
        {
            const char *z2 = json_string_value(json_object_get(f, "zone"));
            json_t *t1 = json_object_get(f, "temp_mc");
            if (z2 && strcmp(z2, zone) == 0 && json_is_integer(t1) && n > 0 && (size_t)n < sizeof b)
                snprintf(b + n, sizeof b - (size_t)n, " at start, %.1f \xC2\xB0" "C at end",
                         (double)json_integer_value(t1) / 1e3);
        }
        char key[160];
        snprintf(key, sizeof key, "temperature %s", type ? type : zone);
        kv_add(kv, key, b);
    }
    json_t *cool = json_object_get(doc, "cooldown");
    if (json_is_object(cool)) {
        snprintf(b, sizeof b, "within %.3g \xC2\xB0" "C of idle: %s after %.1f s",
                 json_number_value(json_object_get(cool, "margin_c")),
                 json_is_true(json_object_get(cool, "reached")) ? "reached" : "NOT reached (timed out)",
                 json_number_value(json_object_get(cool, "waited_s")));
        kv_add(kv, "cooldown", b);
    }
    json_t *rate = json_object_get(doc, "logger_mean_rate_hz");
    if (json_is_number(rate)) {
        snprintf(b, sizeof b, "%.4g samples/s", json_number_value(rate));
        kv_add(kv, "logger rate", b);
    }
    json_decref(doc);
    return 0;
}

/* RESULT/<model>/mapping_info.json, written by `map` (docs/mapping.md). */
typedef struct map_info {
    int have;
    char attribution[32], version[32], timeline[32], timeline_req[32], log_start[WP_TS_BUFSZ + 8];
    char reason[512];          /* "" when the timeline was given */
    double offset_us;          /* total report offset; 0 when absent */
    int offset_auto;
    double range_lo, range_hi; /* offset search range; NaN when absent */
    int deconv;                /* the "deconvolve" object is there */
    double window_us, rms_uw, gap_uw;
    int window_auto;
    double samples_used, cycles, power_samples, span_s, rate, idle_uw; /* NaN when absent */
} map_info;

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

static int load_map_info(const char *path, map_info *mi, wp_error *err)
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

/* ---------------------------------------------------------- timeline */

typedef struct raw_data {
    int have_log, have_lat;
    wp_powerlog log;
    wp_latency lat;
} raw_data;

/* Layer windows of cycle cy as the timeline mode places them, `shift` us
 * earlier than stamped (doubles: the report offset may be fractional). */
static void cycle_windows(const wp_latency *lat, size_t cy, int recon, double shift, double *s, double *e)
{
    int64_t end = INT64_MAX;
    for (size_t l = 0; l < lat->n_layers; l++) {
        int64_t t = wp_reported_at(lat, l, cy);
        end = t < end ? t : end;
    }
    for (size_t l = lat->n_layers; l-- > 0;) {
        int64_t lu = wp_latency_ms_to_us(wp_latency_at(lat, l, cy));
        int64_t b = recon ? end : wp_reported_at(lat, l, cy);
        e[l] = (double)b - shift;
        s[l] = (double)(b - lu) - shift;
        end = b - lu;
    }
}

/* deconvolve's model of what the sensor read: for each sample, the
 * time-weighted mean over [t - W, t] of the estimated powers (layers, and the
 * between-cycle gap), the windows laid out as deconvolve.c does (by start,
 * overlaps clipped, holes to the gap). NaN where the window leaves the cycles
 * around the drawn ones or touches a layer without an estimate. */
static void sensor_model(const wp_latency *lat, size_t first, size_t k, int recon, double shift, double window_us,
                         const double *pin_w, double gap_w, const int64_t *st, size_t ns, double *out)
{
    size_t L = lat->n_layers;
    size_t c_lo = first > 0 ? first - 1 : 0, c_hi = first + k < lat->n_cycles ? first + k : lat->n_cycles - 1;
    size_t cap = (c_hi - c_lo + 1) * (L + 1);
    double *sa = malloc(cap * sizeof *sa), *sb = malloc(cap * sizeof *sb), *sp = malloc(cap * sizeof *sp);
    double *s = malloc(L * sizeof *s), *e = malloc(L * sizeof *e);
    size_t *ord = malloc(L * sizeof *ord);
    for (size_t i = 0; i < ns; i++)
        out[i] = NAN;
    if (!sa || !sb || !sp || !s || !e || !ord)
        goto done;
    size_t n = 0;
    double cursor = 0;
    for (size_t cy = c_lo; cy <= c_hi; cy++) {
        cycle_windows(lat, cy, recon, shift, s, e);
        for (size_t l = 0; l < L; l++) {
            size_t j = l;
            while (j > 0 && s[ord[j - 1]] > s[l]) {
                ord[j] = ord[j - 1];
                j--;
            }
            ord[j] = l;
        }
        for (size_t j = 0; j < L; j++) {
            size_t l = ord[j];
            double a = s[l], b = e[l];
            if (n == 0)
                cursor = a;
            if (a > cursor) {
                sa[n] = cursor, sb[n] = a, sp[n] = gap_w;
                n++;
            } else {
                a = cursor;
            }
            if (b > a) {
                sa[n] = a, sb[n] = b, sp[n] = pin_w[l];
                n++;
                cursor = b;
            }
        }
    }
    if (n == 0 || !(window_us > 0))
        goto done;
    size_t j = 0;
    for (size_t i = 0; i < ns; i++) {
        double b = (double)st[i], a = b - window_us;
        if (a < sa[0] || b > sb[n - 1])
            continue;
        while (j < n && sb[j] <= a)
            j++;
        double sum = 0;
        for (size_t q = j; q < n && sa[q] < b; q++) {
            double ov = fmin(b, sb[q]) - fmax(a, sa[q]);
            if (ov > 0)
                sum += ov * sp[q];
        }
        out[i] = sum / window_us; /* NaN when a touched power is unknown */
    }
done:
    free(sa);
    free(sb);
    free(sp);
    free(s);
    free(e);
    free(ord);
}

static void section_timeline(FILE *out, const wp_report_opts *o, const rp_model *m, const raw_data *raw,
                             const map_info *mi, name_index *ix, double idle_w)
{
    fputs("<h3>Timeline</h3>\n", out);
    if (!raw->have_log || !raw->have_lat) {
        fputs("<p class=\"note\">No timeline: it needs the raw data (<code>--raw-data-dir DIR</code> with "
              "<code>DIR/&lt;model&gt;/&lt;model&gt;_power_log.log</code> and "
              "<code>trt_profiling/trt_layer_latency.json</code>).</p>\n",
              out);
        return;
    }
    const wp_latency *lat = &raw->lat;
    if (lat->n_cycles == 0 || lat->n_layers == 0) {
        fputs("<p class=\"note\">No timeline: the latency file holds no cycles.</p>\n", out);
        return;
    }
    size_t k = o->timeline_cycles > 0 ? (size_t)o->timeline_cycles : 3;
    if (k > lat->n_cycles)
        k = lat->n_cycles;
    size_t first = (lat->n_cycles - k) / 2;
    size_t nw = k * lat->n_layers;
    rp_window *rep = malloc(nw * sizeof *rep), *rec = malloc(nw * sizeof *rec);
    double *pin = malloc(lat->n_layers * sizeof *pin);
    if (!rep || !rec || !pin) {
        free(rep);
        free(rec);
        free(pin);
        fputs("<p class=\"note\">No timeline: out of memory.</p>\n", out);
        return;
    }
    for (size_t l = 0; l < lat->n_layers; l++) {
        long li = index_find(ix, m, lat->names[l]);
        pin[l] = li >= 0 ? m->layers[li].power_incl_w : NAN;
    }
    /* The timeline and report offset `map` used, when it saved them; else
     * what `map --timeline auto` would pick, unshifted. */
    char reason[512];
    int recon;
    if (mi->have && (strcmp(mi->timeline, "reported") == 0 || strcmp(mi->timeline, "reconstructed") == 0)) {
        recon = strcmp(mi->timeline, "reconstructed") == 0;
        if (mi->reason[0])
            snprintf(reason, sizeof reason, "%s", mi->reason);
        else
            snprintf(reason, sizeof reason, "given to map with --timeline %s", mi->timeline);
    } else {
        recon = wp_timeline_choose(lat, reason, sizeof reason) == WP_TIMELINE_RECONSTRUCTED;
    }
    double shift = mi->have ? mi->offset_us : 0;
    int64_t ishift = (int64_t)llround(shift);
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (size_t c = 0; c < k; c++) {
        size_t cy = first + c;
        int64_t end = INT64_MAX;
        for (size_t l = 0; l < lat->n_layers; l++) {
            int64_t t = wp_reported_at(lat, l, cy);
            end = t < end ? t : end;
        }
        for (size_t l = 0; l < lat->n_layers; l++) {
            rp_window *w = &rep[c * lat->n_layers + l];
            w->end = wp_reported_at(lat, l, cy);
            w->start = w->end - wp_latency_ms_to_us(wp_latency_at(lat, l, cy));
            w->layer = l;
            w->cycle = cy;
        }
        for (size_t l = lat->n_layers; l-- > 0;) {
            rp_window *w = &rec[c * lat->n_layers + l];
            w->end = end;
            w->start = end - wp_latency_ms_to_us(wp_latency_at(lat, l, cy));
            w->layer = l;
            w->cycle = cy;
            end = w->start;
        }
    }
    for (size_t i = 0; i < nw; i++) {
        rep[i].start -= ishift;
        rep[i].end -= ishift;
        rec[i].start -= ishift;
        rec[i].end -= ishift;
    }
    for (size_t i = 0; i < nw; i++) {
        t0 = rep[i].start < t0 ? rep[i].start : t0;
        t0 = rec[i].start < t0 ? rec[i].start : t0;
        t1 = rep[i].end > t1 ? rep[i].end : t1;
        t1 = rec[i].end > t1 ? rec[i].end : t1;
    }
    int64_t pad = (t1 - t0) / 30 + 1;
    t0 -= pad;
    t1 += pad;
    /* Samples in range, plus one each side so the line reaches the edges. */
    const wp_powerlog *log = &raw->log;
    size_t a = 0, b = log->n;
    {
        size_t lo = 0, hi = log->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (log->samples[mid].t_us < t0)
                lo = mid + 1;
            else
                hi = mid;
        }
        a = lo > 0 ? lo - 1 : 0;
        lo = a, hi = log->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (log->samples[mid].t_us <= t1)
                lo = mid + 1;
            else
                hi = mid;
        }
        b = lo < log->n ? lo + 1 : log->n;
    }
    size_t ns = b > a ? b - a : 0;
    /* Keep the polyline light on dense logs: at most ~4 points per unit of width. */
    size_t stride = ns > 4000 ? ns / 4000 + 1 : 1;
    size_t nd = ns / stride + 1;
    int64_t *st = malloc(nd * sizeof *st);
    double *sw = malloc(nd * sizeof *sw);
    const char **names = malloc(lat->n_layers * sizeof *names), **types = malloc(lat->n_layers * sizeof *types);
    int modelled = m->from_estimates && mi->have && mi->deconv && mi->window_us > 0;
    double *mw = modelled ? malloc(nd * sizeof *mw) : NULL;
    if (!st || !sw || !names || !types || (modelled && !mw)) {
        fputs("<p class=\"note\">No timeline: out of memory.</p>\n", out);
        goto done;
    }
    size_t m_s = 0;
    for (size_t i = a; i < b; i += stride) {
        st[m_s] = log->samples[i].t_us;
        sw[m_s] = log->samples[i].power_uw / 1e6;
        m_s++;
    }
    for (size_t l = 0; l < lat->n_layers; l++) {
        long li = index_find(ix, m, lat->names[l]);
        names[l] = lat->names[l];
        types[l] = li >= 0 ? m->layers[li].type : "";
    }
    if (modelled)
        sensor_model(lat, first, k, recon, shift, mi->window_us, pin,
                     isnan(mi->gap_uw) ? NAN : mi->gap_uw / 1e6, st, m_s, mw);
    rp_timeline tl = {.t0 = t0, .t1 = t1, .sample_t = st, .sample_w = sw, .n_samples = m_s, .reported = rep,
                      .reconstructed = rec, .n_windows = nw, .chosen_reconstructed = recon,
                      .layer_names = names, .layer_types = types, .layer_power_incl_w = pin,
                      .n_layers = lat->n_layers, .first_cycle = first, .n_cycles_drawn = k, .idle_w = idle_w,
                      .offset_us = shift, .model_w = mw, .window_us = modelled ? mi->window_us : NAN};
    fprintf(out,
            "<p>Cycles %zu\xE2\x80\x93%zu of %zu: the power sensor's samples (dots), each layer's window in the "
            "cycle as reported and as reconstructed (lanes below), and the power %s attributed to each layer "
            "(magenta, over its window). The bands behind the samples are the <b>%s</b> windows, as "
            "<code>map</code> %s: ",
            first + 1, first + k, lat->n_cycles, m->from_estimates ? "the least-squares deconvolution" : "the mapping",
            recon ? "reconstructed" : "reported", mi->have ? "chose" : "--timeline auto would choose");
    wp_html_escape(out, reason);
    fputs(".", out);
    if (shift != 0) {
        char b1[64];
        rp_fmt(shift, b1, sizeof b1);
        fprintf(out,
                " Every window is drawn %s \xC2\xB5s %s than stamped: the report offset <code>map</code> %s, so "
                "the windows sit on the sensor's clock.",
                b1[0] == '-' ? b1 + 1 : b1, shift > 0 ? "earlier" : "later",
                mi->offset_auto ? "chose by least residual" : "was given");
    }
    if (modelled) {
        char b1[64];
        rp_fmt(mi->window_us, b1, sizeof b1);
        fprintf(out,
                " The wide orange line is the deconvolution's model of the sensor: each sample's predicted "
                "reading, the time-weighted mean of the estimated layer powers over the %s \xC2\xB5s sensor window "
                "before it (the bracket shows one). Where the samples run inside it, the estimates explain the "
                "measurement.",
                b1);
    }
    fputs("</p>\n", out);
    fputs("<div class=\"legend\"><span><i class=\"line\" style=\"background:#1f2328\"></i>power samples</span>"
          "<span><i class=\"line\" style=\"background:#c2185b\"></i>attributed layer power</span>",
          out);
    if (modelled)
        fputs("<span><i class=\"line\" style=\"background:#e8710a;opacity:.6;height:6px\"></i>modelled sensor reading</span>", out);
    if (!isnan(idle_w))
        fputs("<span><i class=\"line\" style=\"background:#0b5cad\"></i>idle power</span>", out);
    fputs("</div>\n", out);
    if (m_s == 0)
        fputs("<p class=\"note\">The power log has no samples in these cycles.</p>\n", out);
    rp_svg_timeline(out, &tl);
done:
    free(st);
    free(sw);
    free(mw);
    free(names);
    free(types);
    free(rep);
    free(rec);
    free(pin);
}

/* ------------------------------------------------------ training metrics */

static int all_scalars(json_t *obj)
{
    const char *k;
    json_t *v;
    char b[256];
    json_object_foreach(obj, k, v)
    {
        if (json_is_object(v) || json_scalar_text(v, b, sizeof b) != 0)
            return 0;
    }
    return 1;
}

static void json_value_td(FILE *out, json_t *v)
{
    char b[512];
    if (json_is_number(v)) {
        put_num_td(out, json_number_value(v));
        return;
    }
    fputs("<td>", out);
    if (v && json_scalar_text(v, b, sizeof b) == 0)
        wp_html_escape(out, b);
    else if (v)
        fputs("\xE2\x80\xA6", out);
    fputs("</td>", out);
}

/* Any JSON: objects of scalars become key/value tables, objects of such
 * objects one table with a row per key, anything deeper nests headings. */
static void render_json(FILE *out, json_t *v, int depth)
{
    const char *k;
    json_t *c;
    if (!json_is_object(v)) {
        fputs("<table class=\"kv\"><tr>", out);
        json_value_td(out, v);
        fputs("</tr></table>\n", out);
        return;
    }
    if (all_scalars(v)) {
        fputs("<table class=\"kv\">\n", out);
        json_object_foreach(v, k, c)
        {
            fputs("<tr><td>", out);
            wp_html_escape(out, k);
            fputs("</td>", out);
            json_value_td(out, c);
            fputs("</tr>\n", out);
        }
        fputs("</table>\n", out);
        return;
    }
    int matrix = 1;
    json_object_foreach(v, k, c)
    {
        if (!json_is_object(c) || !all_scalars(c))
            matrix = 0;
    }
    if (matrix) {
        /* Columns: union of the inner keys in first-seen order. */
        json_t *cols = json_array();
        json_object_foreach(v, k, c)
        {
            const char *ik;
            json_t *iv;
            json_object_foreach(c, ik, iv)
            {
                int seen = 0;
                for (size_t i = 0; i < json_array_size(cols); i++)
                    seen |= strcmp(json_string_value(json_array_get(cols, i)), ik) == 0;
                if (!seen)
                    json_array_append_new(cols, json_string(ik));
            }
        }
        fputs("<table><tr><th></th>", out);
        for (size_t i = 0; i < json_array_size(cols); i++) {
            fputs("<th class=\"num\">", out);
            wp_html_escape(out, json_string_value(json_array_get(cols, i)));
            fputs("</th>", out);
        }
        fputs("</tr>\n", out);
        json_object_foreach(v, k, c)
        {
            fputs("<tr><td>", out);
            wp_html_escape(out, k);
            fputs("</td>", out);
            for (size_t i = 0; i < json_array_size(cols); i++)
                json_value_td(out, json_object_get(c, json_string_value(json_array_get(cols, i))));
            fputs("</tr>\n", out);
        }
        fputs("</table>\n", out);
        json_decref(cols);
        return;
    }
    kv_list scal = {0};
    char b[512];
    json_object_foreach(v, k, c)
    {
        if (!json_is_object(c) && json_scalar_text(c, b, sizeof b) == 0)
            kv_add(&scal, k, b);
    }
    if (scal.n)
        kv_table(out, &scal, 0, scal.n);
    kv_free(&scal);
    json_object_foreach(v, k, c)
    {
        if (!json_is_object(c))
            continue;
        fprintf(out, "<h4 style=\"margin-left:%dpx\">", depth * 12);
        wp_html_escape(out, k);
        fputs("</h4>\n", out);
        render_json(out, c, depth + 1);
    }
}

static double jnum(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* metrics.json as `wattprof train` writes it ("format": "wattprof-metrics"):
 * one row per pipeline, RMSPE chart, leave-one-network-out per model. */
static void render_train_metrics(FILE *out, json_t *root)
{
    json_t *pipes = json_object_get(root, "pipelines"), *p;
    const char *name;
    size_t n = json_object_size(pipes), i = 0;
    const char **labels = calloc(n + 1, sizeof *labels);
    double *tr = calloc(n + 1, sizeof *tr), *te = calloc(n + 1, sizeof *te);
    if (!labels || !tr || !te)
        goto done;
    int any_lono = 0;
    json_object_foreach(pipes, name, p)
    {
        any_lono |= json_is_object(json_object_get(p, "leave_one_network_out"));
    }
    fputs("<div class=\"scroll\"><table><tr><th>pipeline</th><th class=\"num\">train rows</th>"
          "<th class=\"num\">test rows</th><th class=\"num\">alpha</th><th class=\"num\">terms (non-zero)</th>"
          "<th class=\"num\">train RMSPE %</th><th class=\"num\">test RMSPE %</th><th class=\"num\">test R\xC2\xB2</th>"
          "<th class=\"num\">test MAE</th><th class=\"num\">test MAPE</th>",
          out);
    fputs(any_lono ? "<th class=\"num\" title=\"leave-one-network-out\">LONO RMSPE %</th></tr>\n" : "</tr>\n", out);
    json_object_foreach(pipes, name, p)
    {
        json_t *train = json_object_get(p, "train"), *test = json_object_get(p, "test"),
               *lono = json_object_get(p, "leave_one_network_out");
        labels[i] = name;
        tr[i] = jnum(train, "rmspe");
        te[i] = jnum(test, "rmspe");
        i++;
        fputs("<tr><td>", out);
        wp_html_escape(out, name);
        fputs("</td>", out);
        put_count_td(out, jnum(p, "train_rows"));
        put_count_td(out, jnum(p, "test_rows"));
        put_num_td(out, jnum(p, "alpha"));
        double terms = jnum(p, "terms"), nz = jnum(p, "nonzero_coefficients");
        if (!isnan(terms) && !isnan(nz))
            fprintf(out, "<td class=\"num\">%.0f (%.0f)</td>", terms, nz);
        else
            put_num_td(out, terms);
        put_num_td(out, jnum(train, "rmspe"));
        put_num_td(out, jnum(test, "rmspe"));
        put_num_td(out, jnum(test, "r2"));
        put_num_td(out, jnum(test, "mae"));
        put_num_td(out, jnum(test, "mape"));
        if (any_lono)
            put_num_td(out, jnum(lono, "rmspe"));
        fputs("</tr>\n", out);
    }
    fputs("</table></div>\n", out);
    fprintf(out, "<p class=\"sub\">RMSPE as upstream defines it: sqrt(mean(((y \xE2\x88\x92 p) / y)\xC2\xB2)) \xC3\x97 100; MAE in W "
                 "or ms; MAPE as a fraction.%s</p>\n",
            any_lono ? " LONO: each network held out in turn (<code>train --cv-by-model</code>)." : "");
    if (n)
        rp_svg_pair_bars(out, "RMSPE per pipeline", "%", labels, tr, te, n);
    /* Generalisation to unseen networks, when train ran with --cv-by-model. */
    json_object_foreach(pipes, name, p)
    {
        json_t *per = json_object_get(json_object_get(p, "leave_one_network_out"), "per_model");
        if (!json_is_array(per) || json_array_size(per) == 0)
            continue;
        fputs("<details><summary>Leave-one-network-out: ", out);
        wp_html_escape(out, name);
        fputs("</summary>\n<table><tr><th>held-out network</th><th class=\"num\">rows</th>"
              "<th class=\"num\">RMSPE %</th></tr>\n",
              out);
        for (size_t j = 0; j < json_array_size(per); j++) {
            json_t *e = json_array_get(per, j);
            fputs("<tr><td>", out);
            wp_html_escape(out, json_string_value(json_object_get(e, "model")));
            fputs("</td>", out);
            put_count_td(out, jnum(e, "rows"));
            put_num_td(out, jnum(e, "rmspe"));
            fputs("</tr>\n", out);
        }
        fputs("</table></details>\n", out);
    }
done:
    free(labels);
    free(tr);
    free(te);
}

static int section_metrics(FILE *out, const wp_report_opts *o, wp_error *err)
{
    fputs("<h2 id=\"training\">Training metrics</h2>\n", out);
    char *path = o->models_dir ? wp_path_join(o->models_dir, WP_METRICS_JSON) : NULL;
    if (!wp_is_file(path)) {
        fputs("<p class=\"note\">No training metrics: pass <code>--models DIR</code> holding the "
              "<code>metrics.json</code> that <code>wattprof train</code> writes.</p>\n",
              out);
        free(path);
        return 0;
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        wp_fail(err, path, je.line, "%s", je.text);
        free(path);
        return -1;
    }
    fputs("<p>From <code>", out);
    wp_html_escape(out, path);
    fputs("</code>.</p>\n", out);
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (fmt && strcmp(fmt, "wattprof-metrics") == 0 && json_is_object(json_object_get(root, "pipelines")))
        render_train_metrics(out, root);
    else
        render_json(out, root, 0);
    json_decref(root);
    free(path);
    return 0;
}

/* ------------------------------------------------------- training data */

typedef struct td_points {
    double *x, *rt, *pw;
    const char **color;
    char **tip;
    size_t n, cap;
} td_points;

static int td_push(td_points *t, double x, double rt, double pw, const char *color, const char *net, const char *layer)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        double *a = realloc(t->x, cap * sizeof *a);
        if (!a)
            return -1;
        t->x = a;
        if (!(a = realloc(t->rt, cap * sizeof *a)))
            return -1;
        t->rt = a;
        if (!(a = realloc(t->pw, cap * sizeof *a)))
            return -1;
        t->pw = a;
        const char **c = realloc(t->color, cap * sizeof *c);
        if (!c)
            return -1;
        t->color = c;
        char **tp = realloc(t->tip, cap * sizeof *tp);
        if (!tp)
            return -1;
        t->tip = tp;
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

static void td_free(td_points *t)
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

static const char *const TD_KIND[3] = {"convolutional", "pooling", "dense"};
static const char *const TD_TYPE[3] = {"CaskConvolution", "CaskPooling", "CaskGemmConvolution"};

/* Rows of one training CSV; points (work measure, runtime, power) added to t. */
static long td_read(const char *path, int kind, const char *net, td_points *t, wp_error *err)
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
        if (td_push(t, x, rt, pw / 1e6, rp_type_color(TD_TYPE[kind]), net, cn >= 0 ? r.fields[cn] : "") != 0) {
            wp_fail(err, path, r.line, "out of memory");
            st = -1;
            break;
        }
    }
    wp_csv_close(&r);
    return st < 0 ? -1 : rows;
}

/* A network folder of the dataset holds one of the per-kind training CSVs. */
static int keep_network(const char *dir, const char *name, void *ctx)
{
    (void)ctx;
    int any = 0;
    for (int k = 0; k < 3; k++) {
        char file[64];
        snprintf(file, sizeof file, "%s.csv", TD_KIND[k]);
        char *p = wp_path3(dir, name, file);
        any |= wp_is_file(p);
        free(p);
    }
    return any;
}

static int section_training_data(FILE *out, const wp_report_opts *o, wp_error *err)
{
    fputs("<h2 id=\"training-data\">Training data</h2>\n", out);
    if (!o->data_dir) {
        fputs("<p class=\"note\">No training data: pass <code>--data-dir DIR</code>, the result directory of "
              "<code>wattprof dataset</code>.</p>\n",
              out);
        return 0;
    }
    char **nets = NULL;
    size_t n = 0;
    if (wp_dir_list(o->data_dir, "data directory", keep_network, NULL, &nets, &n, err) != 0)
        return -1;
    int rc = 0;
    td_points t = {0};
    if (n == 0) {
        fputs("<p class=\"note\">No <code>&lt;network&gt;/{convolutional,pooling,dense}.csv</code> in <code>", out);
        wp_html_escape(out, o->data_dir);
        fputs("</code>.</p>\n", out);
        goto out;
    }
    long *rows = calloc(3 * n, sizeof *rows);
    if (!rows) {
        rc = wp_fail(err, NULL, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        for (int k = 0; k < 3; k++) {
            char file[64];
            snprintf(file, sizeof file, "%s.csv", TD_KIND[k]);
            char *p = wp_path3(o->data_dir, nets[i], file);
            rows[3 * i + k] = wp_is_file(p) ? td_read(p, k, nets[i], &t, err) : -2;
            free(p);
            if (rows[3 * i + k] == -1) {
                rc = -1;
                break;
            }
        }
    if (rc == 0) {
        fputs("<p>Rows of the per-layer-type training CSVs, one per layer, from <code>", out);
        wp_html_escape(out, o->data_dir);
        fputs("</code>.</p>\n<table><tr><th>network</th><th class=\"num\">convolutional</th>"
              "<th class=\"num\">pooling</th><th class=\"num\">dense</th><th class=\"num\">total</th></tr>\n",
              out);
        long tot[4] = {0};
        for (size_t i = 0; i < n; i++) {
            long sum = 0;
            fputs("<tr><td>", out);
            wp_html_escape(out, nets[i]);
            fputs("</td>", out);
            for (int k = 0; k < 3; k++) {
                long v = rows[3 * i + k];
                if (v < 0)
                    fputs("<td class=\"num\">–</td>", out);
                else {
                    fprintf(out, "<td class=\"num\">%ld</td>", v);
                    sum += v;
                    tot[k] += v;
                }
            }
            tot[3] += sum;
            fprintf(out, "<td class=\"num\">%ld</td></tr>\n", sum);
        }
        fprintf(out,
                "<tr><th>all %zu</th><th class=\"num\">%ld</th><th class=\"num\">%ld</th><th class=\"num\">%ld</th>"
                "<th class=\"num\">%ld</th></tr>\n</table>\n",
                n, tot[0], tot[1], tot[2], tot[3]);
        if (t.n) {
            fputs("<p>Every training row: runtime and power above idle against the layer's work "
                  "(multiply-accumulates; operations for pooling), log scales (power: linear).</p>\n<div class=\"legend\">",
                  out);
            for (int k = 0; k < 3; k++)
                fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>", rp_type_color(TD_TYPE[k]), TD_KIND[k]);
            fputs("</div>\n<div class=\"scatters\">\n", out);
            rp_svg_loglog(out, "Runtime vs work", "multiply-accumulates / operations", "runtime (ms)", t.x, t.rt,
                          t.color, (const char *const *)t.tip, t.n, 1);
            rp_svg_loglog(out, "Power above idle vs work", "multiply-accumulates / operations", "power (W)", t.x,
                          t.pw, t.color, (const char *const *)t.tip, t.n, 0);
            fputs("</div>\n", out);
        }
    }
    free(rows);
out:
    td_free(&t);
    for (size_t i = 0; i < n; i++)
        free(nets[i]);
    free(nets);
    return rc;
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

static int list_models(const char *dir, char ***names, size_t *n, wp_error *err)
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
static long predict_from_models(const wp_report_opts *o, rp_model *m, name_index *ix, wp_error *err)
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
            long li = r->modelled ? index_find(ix, m, r->layer_name) : -1;
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
static int find_predictions(const wp_report_opts *o, rp_model *m, name_index *ix, char **source, wp_error *err)
{
    char *cands[4] = {0};
    size_t nc = 0;
    int rc = 0;
    if (o->predictions) {
        if (wp_is_dir(o->predictions)) {
            char file[512];
            snprintf(file, sizeof file, "%s.csv", m->name);
            cands[nc++] = wp_path_join(o->predictions, file);
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
        long got = load_predictions(cands[i], m, ix, err);
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
        long li = name ? index_find(ix, m, name) : -1;
        if (li < 0 || !json_is_number(pw))
            continue;
        m->layers[li].truth_power_w = json_number_value(pw) / 1e6;
        m->n_truth++;
    }
    json_decref(root);
    free(p);
    return 0;
}

static void raw_free(raw_data *r)
{
    if (r->have_log)
        wp_powerlog_free(&r->log);
    if (r->have_lat)
        wp_latency_free(&r->lat);
    memset(r, 0, sizeof *r);
}

/* *explicit_used is set when the --predictions file gave this model's
 * predictions. */
static int model_section(FILE *out, const wp_report_opts *o, const char *name, size_t idx, int *explicit_used,
                         wp_error *err)
{
    rp_model m = {0};
    name_index ix = {0};
    raw_data raw = {0};
    kv_list cfg = {0}, dev = {0};
    map_info mi = {0};
    char *pred_source = NULL, *p = NULL;
    int rc = -1;
    double idle_w = NAN;
    char b1[64], b2[320];

    m.name = strdup(name);
    p = wp_path3(o->result_dir, name, MAPPING_CSV);
    int have_mapping = wp_is_file(p);
    if (have_mapping && load_mapping(p, &m, &ix, &idle_w, err) != 0)
        goto out;
    free(p);
    p = wp_path3(o->result_dir, name, ESTIMATES_CSV);
    if (wp_is_file(p) && load_estimates(p, &m, &ix, &idle_w, err) != 0)
        goto out;
    free(p);
    p = NULL;
    for (size_t i = 0; i < m.n; i++)
        m.layers[i].energy_mj = m.layers[i].power_w * m.layers[i].runtime_ms;
    if (find_predictions(o, &m, &ix, &pred_source, err) != 0)
        goto out;
    if (pred_source && o->predictions && strcmp(pred_source, o->predictions) == 0)
        *explicit_used = 1;
    p = wp_path3(o->result_dir, name, MAPPING_INFO_JSON);
    if (wp_is_file(p) && load_map_info(p, &mi, err) != 0)
        goto out;
    free(p);
    p = NULL;
    if (mi.have && isnan(idle_w) && !isnan(mi.idle_uw))
        idle_w = mi.idle_uw / 1e6;

    /* Raw data: configuration and timeline. */
    if (o->raw_data_dir) {
        char file[512];
        snprintf(file, sizeof file, "%s" WP_POWER_LOG_SUFFIX, name);
        p = wp_path3(o->raw_data_dir, name, file);
        if (wp_is_file(p)) {
            if (wp_powerlog_read(p, &raw.log, err) != 0)
                goto out;
            raw.have_log = 1;
        }
        free(p);
        p = wp_path3(o->raw_data_dir, name, WP_PROFILING_DIR "/" WP_LATENCY_JSON);
        if (wp_is_file(p)) {
            if (wp_latency_read(p, &raw.lat, err) != 0)
                goto out;
            raw.have_lat = 1;
        }
        free(p);
        p = wp_path_join(o->raw_data_dir, WP_IDLE_JSON);
        char *p2 = wp_path3(o->raw_data_dir, name, WP_IDLE_JSON);
        const char *ip = wp_is_file(p2) ? p2 : wp_is_file(p) ? p : NULL;
        if (ip) {
            double uw;
            if (wp_idle_read(ip, &uw, err) != 0) {
                free(p2);
                goto out;
            }
            idle_w = uw / 1e6;
        }
        free(p2);
        free(p);
        p = NULL;
        if (load_truth(o->raw_data_dir, &m, &ix, err) != 0)
            goto out;
        snprintf(file, sizeof file, "%s" WP_TENSORRT_JSON_SUFFIX, name);
        p = wp_path3(o->raw_data_dir, name, file);
        if (wp_is_file(p)) {
            json_error_t je;
            json_t *root = json_load_file(p, 0, &je);
            if (!root) {
                wp_fail(err, p, je.line, "%s", je.text);
                goto out;
            }
            kv_from_json(&cfg, "", root, 0);
            json_decref(root);
        }
        free(p);
        p = NULL;
    }

    /* the device the power was measured on: map's copy, else the raw one */
    p = wp_path3(o->result_dir, name, WP_DEVICE_JSON);
    if (!wp_is_file(p) && o->raw_data_dir) {
        free(p);
        p = wp_path3(o->raw_data_dir, name, WP_DEVICE_JSON);
    }
    if (wp_is_file(p) && device_kv(&dev, p, err) != 0)
        goto out;
    free(p);
    p = NULL;

    model_totals t = totals(&m);
    fprintf(out, "<section class=\"model\" id=\"model-%zu\">\n<h2>", idx);
    wp_html_escape(out, name);
    fputs("</h2>\n<div class=\"cards\">", out);
    card_count(out, "layers", m.n);
    if (m.n_cycles)
        card_count(out, "cycles", m.n_cycles);
    card(out, "runtime / inference", t.runtime_ms, "ms");
    card(out, "power above idle", t.power_w, "W");
    card(out, "energy above idle", t.energy_mj, "mJ");
    if (!isnan(idle_w))
        card(out, "idle power", idle_w, "W");
    double truth_err = 0;
    size_t n_scored = 0;
    for (size_t i = 0; i < m.n; i++) {
        const rp_layer *l = &m.layers[i];
        if (!isnan(l->truth_power_w) && !isnan(l->power_w) && l->truth_power_w != 0) {
            truth_err += fabs(l->power_w - l->truth_power_w) / fabs(l->truth_power_w);
            n_scored++;
        }
    }
    if (n_scored)
        card(out, "error vs truth", truth_err / (double)n_scored * 100, "%");
    fputs("</div>\n", out);
    if (m.n_truth)
        fprintf(out,
                "<p class=\"note\">Simulated data: <code>truth.json</code> gives every layer's true power. The "
                "attributed power above idle is off by %.2f %% on average over the %zu layers that have both "
                "(green ticks on the power bars: truth).</p>\n",
                n_scored ? truth_err / (double)n_scored * 100 : NAN, n_scored);

    /* Configuration. */
    fputs("<h3>Run configuration</h3>\n<div class=\"kvwrap\">", out);
    kv_list mine = {0};
    kv_add(&mine, "power attribution",
           m.from_estimates ? "least-squares deconvolution (" ESTIMATES_CSV ")"
                            : "per-cycle windows (" MAPPING_CSV ")");
    snprintf(b1, sizeof b1, "%zu", m.n);
    kv_add(&mine, "layers", b1);
    if (m.n_cycles) {
        snprintf(b1, sizeof b1, "%zu", m.n_cycles);
        kv_add(&mine, "cycles", b1);
    }
    if (!isnan(idle_w)) {
        rp_fmt(idle_w, b1, sizeof b1);
        snprintf(b2, sizeof b2, "%s W", b1);
        kv_add(&mine, "idle power", b2);
    }
    if (mi.have) {
        snprintf(b2, sizeof b2, "%s%s%s", mi.attribution, mi.version[0] ? ", wattprof " : "", mi.version);
        kv_add(&mine, "map", b2);
        snprintf(b2, sizeof b2, "%s%s", mi.timeline, strcmp(mi.timeline_req, "auto") == 0 ? " (auto)" : "");
        kv_add(&mine, "timeline", b2);
        if (mi.reason[0])
            kv_add(&mine, "timeline choice", mi.reason);
        rp_fmt(mi.offset_us, b1, sizeof b1);
        if (mi.offset_auto && !isnan(mi.range_lo)) {
            char lo[64], hi[64];
            rp_fmt(mi.range_lo, lo, sizeof lo);
            rp_fmt(mi.range_hi, hi, sizeof hi);
            snprintf(b2, sizeof b2, "%s \xC2\xB5s (auto, searched %s..%s \xC2\xB5s)", b1, lo, hi);
        } else {
            snprintf(b2, sizeof b2, "%s \xC2\xB5s%s", b1, mi.offset_auto ? " (auto)" : "");
        }
        kv_add(&mine, "report offset", b2);
        if (mi.deconv) {
            rp_fmt(mi.window_us, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s \xC2\xB5s%s", b1, mi.window_auto ? " (auto)" : "");
            kv_add(&mine, "sensor window", b2);
            rp_fmt(mi.rms_uw / 1e6, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s W rms", b1);
            kv_add(&mine, "residual", b2);
            if (!isnan(mi.samples_used)) {
                snprintf(b1, sizeof b1, "%.0f", mi.samples_used);
                kv_add(&mine, "samples in the fit", b1);
            }
            if (!isnan(mi.gap_uw)) {
                rp_fmt(mi.gap_uw / 1e6, b1, sizeof b1);
                snprintf(b2, sizeof b2, "%s W", b1);
                kv_add(&mine, "power between cycles", b2);
            }
        }
    }
    if (!(raw.have_log && raw.log.n > 1) && mi.have && !isnan(mi.power_samples)) {
        /* no raw data given: what map saw */
        snprintf(b1, sizeof b1, "%.0f", mi.power_samples);
        kv_add(&mine, "power samples", b1);
        if (!isnan(mi.rate)) {
            rp_fmt(mi.rate, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s samples/s", b1);
            kv_add(&mine, "sample rate", b2);
        }
        if (!isnan(mi.span_s)) {
            rp_fmt(mi.span_s, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s s", b1);
            kv_add(&mine, "log duration", b2);
        }
        if (mi.log_start[0])
            kv_add(&mine, "log starts", mi.log_start);
    }
    if (raw.have_log && raw.log.n > 1) {
        double dur = (double)(raw.log.samples[raw.log.n - 1].t_us - raw.log.samples[0].t_us) / 1e6;
        snprintf(b1, sizeof b1, "%zu", raw.log.n);
        kv_add(&mine, "power samples", b1);
        if (dur > 0) {
            rp_fmt((double)(raw.log.n - 1) / dur, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s samples/s", b1);
            kv_add(&mine, "sample rate", b2);
            rp_fmt(dur, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s s", b1);
            kv_add(&mine, "log duration", b2);
        }
        char ts[WP_TS_BUFSZ];
        wp_ts_format(raw.log.samples[0].t_us, ts);
        kv_add(&mine, "log starts", ts);
    }
    if (raw.have_lat) {
        snprintf(b1, sizeof b1, "%zu", raw.lat.n_cycles);
        kv_add(&mine, "profiled cycles", b1);
    }
    kv_table(out, &mine, 0, mine.n);
    kv_free(&mine);
    if (cfg.n)
        kv_table(out, &cfg, 0, cfg.n);
    fputs("</div>\n", out);
    fputs("<h3>Device</h3>\n", out);
    if (dev.n) {
        fputs("<div class=\"kvwrap\">", out);
        kv_table(out, &dev, 0, dev.n);
        fputs("</div>\n", out);
    } else {
        fputs("<p class=\"note\">No <code>device.json</code> (board, clocks, temperatures: written by "
              "<code>log</code>, <code>idle</code>, <code>run</code> and <code>profile</code> since they record "
              "it, copied by <code>map</code>): the power figures cannot be tied to the clocks they ran at.</p>\n",
              out);
    }
    if (!o->raw_data_dir)
        fputs("<p class=\"note\">Benchmark settings, sample rate and timeline need <code>--raw-data-dir</code>.</p>\n", out);
    else if (!cfg.n)
        fputs("<p class=\"note\">No <code>&lt;model&gt;_tensorrt.json</code> in the raw data: benchmark settings "
              "unknown.</p>\n",
              out);

    /* Per-layer bars. */
    fputs("<h3>Per-layer runtime, power and energy</h3>\n", out);
    if (m.n == 0) {
        fputs("<p class=\"note\">No layers.</p>\n", out);
    } else {
        fprintf(out,
                "<p>Means over %s; whiskers: %s. Energy is power above idle \xC3\x97 runtime, per inference.%s</p>\n",
                m.from_estimates ? "all cycles (least squares)" : "cycles",
                m.from_estimates ? "standard error of the estimate" : "standard deviation over cycles",
                pred_source ? " Magenta ticks: predictions." : "");
        rp_legend(out, &m);
        rp_svg_bars(out, &m);
        /* two notes: layers with no estimate, and `uncertain` ones (a value,
         * its standard error above map's --max-relative-se) */
        for (int uncertain = 0; uncertain < 2; uncertain++) {
            size_t flagged = 0;
            for (size_t i = 0; i < m.n; i++) {
                const char *st = m.layers[i].status;
                flagged += st[0] && strcmp(st, "ok") != 0 && (strcmp(st, "uncertain") == 0) == uncertain;
            }
            if (!flagged)
                continue;
            if (uncertain)
                fprintf(out, "<p class=\"note\">%zu layer%s ha%s an uncertain estimate (standard error above "
                             "the limit <code>map --max-relative-se</code> set; see docs/attribution.md):",
                        flagged, flagged == 1 ? "" : "s", flagged == 1 ? "s" : "ve");
            else
                fprintf(out, "<p class=\"note\">%zu layer%s got no power estimate (the least-squares system cannot "
                             "separate them from their neighbours; see docs/attribution.md):", flagged,
                        flagged == 1 ? "" : "s");
            for (size_t i = 0, k = 0; i < m.n; i++) {
                const char *st = m.layers[i].status;
                if (!st[0] || strcmp(st, "ok") == 0 || (strcmp(st, "uncertain") == 0) != uncertain)
                    continue;
                fputs(k++ ? ", <code>" : " <code>", out);
                wp_html_escape(out, m.layers[i].name);
                fputs("</code> (", out);
                wp_html_escape(out, st);
                fputs(")", out);
            }
            fputs(".</p>\n", out);
        }
        section_table(out, &m);
    }
    section_timeline(out, o, &m, &raw, &mi, &ix, idle_w);
    section_predictions(out, &m, pred_source ? pred_source : "");
    fputs("</section>\n", out);
    rc = 0;
out:
    free(p);
    free(pred_source);
    kv_free(&cfg);
    kv_free(&dev);
    raw_free(&raw);
    wp_name_index_free(&ix);
    model_free(&m);
    return rc;
}

int wp_report_render(const wp_report_opts *o, FILE *out, wp_error *err)
{
    if (!o || !o->result_dir)
        return wp_fail(err, NULL, 0, "no result directory given");
    if (!wp_is_dir(o->result_dir))
        return wp_fail(err, o->result_dir, 0, "result directory not found");
    if (o->raw_data_dir && !wp_is_dir(o->raw_data_dir))
        return wp_fail(err, o->raw_data_dir, 0, "raw data directory not found");
    if (o->models_dir && !wp_is_dir(o->models_dir))
        return wp_fail(err, o->models_dir, 0, "models directory not found");
    if (o->data_dir && !wp_is_dir(o->data_dir))
        return wp_fail(err, o->data_dir, 0, "data directory not found");
    if (o->predictions && !wp_is_dir(o->predictions) && !wp_is_file(o->predictions))
        return wp_fail(err, o->predictions, 0, "predictions not found");
    /* A predictions file named explicitly must be one: checked whole, up
     * front, and below it must match some model's layers. */
    int explicit_file = o->predictions && wp_is_file(o->predictions), explicit_used = 0;
    if (explicit_file) {
        long rows = load_predictions(o->predictions, NULL, NULL, err);
        if (rows < 0)
            return -1;
        if (rows == 0)
            return wp_fail(err, o->predictions, 1, "holds no predictions (a header and no rows)");
    }
    char **names = NULL;
    size_t n = 0;
    if (list_models(o->result_dir, &names, &n, err) != 0)
        return -1;
    const char *title = o->title ? o->title : "wattprof report";
    int rc = -1;

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    wp_html_escape(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<header class=\"top\"><h1>", CSS);
    wp_html_escape(out, title);
    fputs("</h1>\n<p class=\"sub\">Per-layer runtime, power and energy measured by <b>wattprof</b>. Result directory "
          "<code>",
          out);
    wp_html_escape(out, o->result_dir);
    fputs("</code>", out);
    if (o->raw_data_dir) {
        fputs(", raw data <code>", out);
        wp_html_escape(out, o->raw_data_dir);
        fputs("</code>", out);
    }
    if (o->data_dir) {
        fputs(", training data <code>", out);
        wp_html_escape(out, o->data_dir);
        fputs("</code>", out);
    }
    if (o->models_dir) {
        fputs(", models <code>", out);
        wp_html_escape(out, o->models_dir);
        fputs("</code>", out);
    }
    fputs(".</p></header>\n", out);

    if (n == 0) {
        fputs("<p class=\"note\">No model folder with a <code>" MAPPING_CSV "</code> or <code>" ESTIMATES_CSV
              "</code> in the result directory: run <code>wattprof map</code> first.</p>\n",
              out);
    } else {
        fputs("<nav class=\"toc\"><table><tr><th>model</th><th>power from</th></tr>\n", out);
        for (size_t i = 0; i < n; i++) {
            char *pe = wp_path3(o->result_dir, names[i], ESTIMATES_CSV);
            fprintf(out, "<tr><td><a href=\"#model-%zu\">", i);
            wp_html_escape(out, names[i]);
            fprintf(out, "</a></td><td>%s</td></tr>\n", wp_is_file(pe) ? "deconvolution" : "per-cycle mapping");
            free(pe);
        }
        fputs("<tr><td><a href=\"#training-data\">Training data</a></td><td></td></tr>\n"
              "<tr><td><a href=\"#training\">Training metrics</a></td><td></td></tr></table></nav>\n",
              out);
    }
    for (size_t i = 0; i < n; i++) {
        wp_progress_report(&o->progress, names[i], (double)i, (double)n);
        if (model_section(out, o, names[i], i, &explicit_used, err) != 0)
            goto out;
    }
    if (explicit_file && n > 0 && !explicit_used) {
        wp_fail(err, o->predictions, 1, "no row names a layer of any model in %s: predictions for another network?",
                o->result_dir);
        goto out;
    }
    if (section_training_data(out, o, err) != 0 || section_metrics(out, o, err) != 0)
        goto out;
    fputs("<footer>Generated by wattprof. Self-contained: no script, no network; hover a bar or dot for its "
          "value.</footer>\n</main>\n</body>\n</html>\n",
          out);
    wp_progress_report(&o->progress, "done", (double)n, (double)n);
    rc = (int)n;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int wp_report_write(const wp_report_opts *o, const char *out_path, wp_error *err)
{
    wp_atomic_file *af = wp_atomic_open(out_path, err);
    if (!af)
        return -1;
    int n = wp_report_render(o, wp_atomic_stream(af), err);
    if (n < 0) {
        wp_atomic_abort(af);
        return -1;
    }
    if (wp_atomic_commit(af, err) != 0)
        return -1;
    return n;
}
