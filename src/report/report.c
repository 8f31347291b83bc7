/* The HTML report's page: per model, the inputs report_load.c read (cards,
 * run configuration, per-layer bars and table, timeline, predictions), then
 * the training data and metrics; charts come from report_svg.c. Absent inputs
 * drop their section with a note; present but malformed inputs are errors
 * (the user asked for a report of them), raised by the loaders before the
 * section is written. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/latency.h"
#include "wattprof/layout.h"
#include "wattprof/nameindex.h"
#include "wattprof/powerlog.h"
#include "wattprof/report.h"
#include "wattprof/timeline.h"
#include "wattprof/timestamp.h"

#define MAPPING_CSV WP_MAPPING_CSV
#define ESTIMATES_CSV WP_ESTIMATES_CSV

void wp_report_options_init(wp_report_options *o)
{
    memset(o, 0, sizeof *o);
}

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

/* A layer's name and type cells. */
static void put_layer_tds(FILE *out, const rp_layer *l)
{
    fputs("<td class=\"mono\">", out);
    wp_html_escape(out, l->name);
    fputs("</td><td>", out);
    wp_html_escape(out, l->type);
    fputs("</td>", out);
}

static void put_num_td(FILE *out, double v)
{
    char b[64];
    wp__report_fmt(v, b, sizeof b);
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
    wp__report_fmt(v, b, sizeof b);
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
    fputs(
        "<details><summary>Per-layer numbers</summary>\n<table><tr><th>#</th><th>layer</th><th>type</th>"
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
        fprintf(out, "<tr><td class=\"num\">%zu</td>", i + 1);
        put_layer_tds(out, l);
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
    size_t np = 0, nt = 0, ne = 0, no_power = 0;
    for (size_t i = 0; i < m->n; i++) {
        const rp_layer *l = &m->layers[i];
        if (isnan(l->pred_power_w) && isnan(l->pred_runtime_ms))
            continue;
        n++;
        no_power += isnan(l->pred_power_w);
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
            ne++;
        }
        if (!isnan(l->power_w) && !isnan(l->pred_power_w) && l->power_w != 0) {
            ape_p += fabs(l->pred_power_w - l->power_w) / fabs(l->power_w);
            np++;
        }
    }
    fputs("<h3>Measured vs predicted</h3>\n", out);
    if (n == 0) {
        fputs(
            "<p class=\"note\">No predictions for this model's layers. Pass <code>--models DIR</code> (trained models; "
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
    /* a model set trained on runtime-only data predicts no power */
    if (no_power)
        fprintf(out,
                "<p class=\"note\">No power or energy prediction for %zu of those %zu layers (no power model for "
                "their kind: models trained on runtime-only data).</p>\n",
                no_power, n);
    fputs("<div class=\"cards\">", out);
    card(out, "runtime, measured", mt, "ms");
    card(out, "predicted", pt, "ms");
    /* energy cards only over layers that have both (never a 0 for none) */
    if (ne) {
        card(out, "energy, measured", me, "mJ");
        card(out, "predicted", pe, "mJ");
    }
    if (np)
        card(out, "power error / layer", ape_p / (double)np * 100, "%");
    if (nt)
        card(out, "runtime error / layer", ape_t / (double)nt * 100, "%");
    fputs("</div>\n<div class=\"scatters\">\n", out);
    wp__report_svg_scatter(out, "Power above idle", "W", m, RP_POWER);
    wp__report_svg_scatter(out, "Runtime", "ms", m, RP_RUNTIME);
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
        fputs("<tr>", out);
        put_layer_tds(out, l);
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

static void kv_table(FILE *out, const rp_kv_list *l, size_t from, size_t to)
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

/* ---------------------------------------------------------- timeline */

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

static void section_timeline(FILE *out, const wp_report_options *o, const rp_model *m, const rp_raw *raw,
                             const rp_map_info *mi, wp_name_index *ix, double idle_w)
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
        long li = wp__report_layer_find(ix, m, lat->names[l]);
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
        long li = wp__report_layer_find(ix, m, lat->names[l]);
        names[l] = lat->names[l];
        types[l] = li >= 0 ? m->layers[li].type : "";
    }
    if (modelled)
        sensor_model(lat, first, k, recon, shift, mi->window_us, pin, isnan(mi->gap_uw) ? NAN : mi->gap_uw / 1e6, st,
                     m_s, mw);
    rp_timeline tl = {.t0 = t0,
                      .t1 = t1,
                      .sample_t = st,
                      .sample_w = sw,
                      .n_samples = m_s,
                      .reported = rep,
                      .reconstructed = rec,
                      .n_windows = nw,
                      .chosen_reconstructed = recon,
                      .layer_names = names,
                      .layer_types = types,
                      .layer_power_incl_w = pin,
                      .n_layers = lat->n_layers,
                      .first_cycle = first,
                      .n_cycles_drawn = k,
                      .idle_w = idle_w,
                      .offset_us = shift,
                      .model_w = mw,
                      .window_us = modelled ? mi->window_us : NAN};
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
        wp__report_fmt(shift, b1, sizeof b1);
        fprintf(out,
                " Every window is drawn %s \xC2\xB5s %s than stamped: the report offset <code>map</code> %s, so "
                "the windows sit on the sensor's clock.",
                b1[0] == '-' ? b1 + 1 : b1, shift > 0 ? "earlier" : "later",
                mi->offset_auto ? "chose by least residual" : "was given");
    }
    if (modelled) {
        char b1[64];
        wp__report_fmt(mi->window_us, b1, sizeof b1);
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
        fputs(
            "<span><i class=\"line\" style=\"background:#e8710a;opacity:.6;height:6px\"></i>modelled sensor reading</span>",
            out);
    if (!isnan(idle_w))
        fputs("<span><i class=\"line\" style=\"background:#0b5cad\"></i>idle power</span>", out);
    fputs("</div>\n", out);
    if (m_s == 0)
        fputs("<p class=\"note\">The power log has no samples in these cycles.</p>\n", out);
    wp__report_svg_timeline(out, &tl);
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
        if (json_is_object(v) || wp__report_json_text(v, b, sizeof b) != 0)
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
    if (v && wp__report_json_text(v, b, sizeof b) == 0)
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
    rp_kv_list scal = {0};
    char b[512];
    json_object_foreach(v, k, c)
    {
        if (!json_is_object(c) && wp__report_json_text(c, b, sizeof b) == 0)
            wp__report_kv_add(&scal, k, b);
    }
    if (scal.n)
        kv_table(out, &scal, 0, scal.n);
    wp__report_kv_free(&scal);
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
    fprintf(
        out,
        "<p class=\"sub\">RMSPE as upstream defines it: sqrt(mean(((y \xE2\x88\x92 p) / y)\xC2\xB2)) \xC3\x97 100; MAE in W "
        "or ms; MAPE as a fraction.%s</p>\n",
        any_lono ? " LONO: each network held out in turn (<code>train --cv-by-model</code>)." : "");
    if (n)
        wp__report_svg_pair_bars(out, "RMSPE per pipeline", "%", labels, tr, te, n);
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

static int section_metrics(FILE *out, const wp_report_options *o, wp_error *err)
{
    fputs("<h2 id=\"training\">Training metrics</h2>\n", out);
    json_t *root;
    char *path;
    if (wp__report_load_metrics(o->models_dir, &root, &path, err) != 0) {
        free(path);
        return -1;
    }
    if (!root) {
        fputs("<p class=\"note\">No training metrics: pass <code>--models DIR</code> holding the "
              "<code>metrics.json</code> that <code>wattprof train</code> writes.</p>\n",
              out);
        free(path);
        return 0;
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

static void training_table(FILE *out, const char *data_dir, const rp_training *td)
{
    fputs("<p>Rows of the per-layer-type training CSVs, one per layer, from <code>", out);
    wp_html_escape(out, data_dir);
    fputs("</code>.</p>\n<table><tr><th>network</th><th class=\"num\">convolutional</th>"
          "<th class=\"num\">pooling</th><th class=\"num\">dense</th><th class=\"num\">total</th></tr>\n",
          out);
    long tot[4] = {0};
    for (size_t i = 0; i < td->n; i++) {
        long sum = 0;
        fputs("<tr><td>", out);
        wp_html_escape(out, td->nets[i]);
        fputs("</td>", out);
        for (int k = 0; k < 3; k++) {
            long v = td->rows[3 * i + k];
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
            td->n, tot[0], tot[1], tot[2], tot[3]);
}

static void training_scatters(FILE *out, const rp_training_points *t)
{
    fputs("<p>Every training row: runtime and power above idle against the layer's work "
          "(multiply-accumulates; operations for pooling), log scales (power: linear).</p>\n<div class=\"legend\">",
          out);
    for (int k = 0; k < 3; k++)
        fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>", wp__report_type_color(wp__report_td_type[k]),
                wp__report_td_kind[k]);
    fputs("</div>\n<div class=\"scatters\">\n", out);
    wp__report_svg_loglog(out, "Runtime vs work", "multiply-accumulates / operations", "runtime (ms)", t->x, t->rt,
                          t->color, (const char *const *)t->tip, t->n, 1);
    wp__report_svg_loglog(out, "Power above idle vs work", "multiply-accumulates / operations", "power (W)", t->x,
                          t->pw, t->color, (const char *const *)t->tip, t->n, 0);
    fputs("</div>\n", out);
}

static int section_training_data(FILE *out, const wp_report_options *o, wp_error *err)
{
    fputs("<h2 id=\"training-data\">Training data</h2>\n", out);
    if (!o->data_dir) {
        fputs("<p class=\"note\">No training data: pass <code>--data-dir DIR</code>, the result directory of "
              "<code>wattprof dataset</code>.</p>\n",
              out);
        return 0;
    }
    rp_training td;
    if (wp__report_load_training(o->data_dir, &td, err) != 0)
        return -1;
    if (td.n == 0) {
        fputs("<p class=\"note\">No <code>&lt;network&gt;/{convolutional,pooling,dense}.csv</code> in <code>", out);
        wp_html_escape(out, o->data_dir);
        fputs("</code>.</p>\n", out);
    } else {
        training_table(out, o->data_dir, &td);
        if (td.pts.n)
            training_scatters(out, &td.pts);
    }
    wp__report_training_free(&td);
    return 0;
}

/* ---------------------------------------------------------- per model */

/* The model's headline numbers, and how far the attribution is from
 * simulate's truth where there is one. */
static void section_cards(FILE *out, const char *name, size_t idx, const rp_inputs *in)
{
    const rp_model *m = &in->m;
    model_totals t = totals(m);
    fprintf(out, "<section class=\"model\" id=\"model-%zu\">\n<h2>", idx);
    wp_html_escape(out, name);
    fputs("</h2>\n<div class=\"cards\">", out);
    card_count(out, "layers", m->n);
    if (m->n_cycles)
        card_count(out, "cycles", m->n_cycles);
    card(out, "runtime / inference", t.runtime_ms, "ms");
    card(out, "power above idle", t.power_w, "W");
    card(out, "energy above idle", t.energy_mj, "mJ");
    if (!isnan(in->idle_w))
        card(out, "idle power", in->idle_w, "W");
    double truth_err = 0;
    size_t n_scored = 0;
    for (size_t i = 0; i < m->n; i++) {
        const rp_layer *l = &m->layers[i];
        if (!isnan(l->truth_power_w) && !isnan(l->power_w) && l->truth_power_w != 0) {
            truth_err += fabs(l->power_w - l->truth_power_w) / fabs(l->truth_power_w);
            n_scored++;
        }
    }
    if (n_scored)
        card(out, "error vs truth", truth_err / (double)n_scored * 100, "%");
    fputs("</div>\n", out);
    if (m->n_truth)
        fprintf(out,
                "<p class=\"note\">Simulated data: <code>truth.json</code> gives every layer's true power. The "
                "attributed power above idle is off by %.2f %% on average over the %zu layers that have both "
                "(green ticks on the power bars: truth).</p>\n",
                n_scored ? truth_err / (double)n_scored * 100 : NAN, n_scored);
}

/* What the page says about how the model was measured and mapped: from the
 * loaded model, map's saved choices and the raw power log. */
static void config_rows(const rp_inputs *in, rp_kv_list *mine)
{
    const rp_model *m = &in->m;
    char b1[64], b2[320];
    wp__report_kv_add(mine, "power attribution",
                      m->from_estimates ? "least-squares deconvolution (" ESTIMATES_CSV ")"
                                        : "per-cycle windows (" MAPPING_CSV ")");
    snprintf(b1, sizeof b1, "%zu", m->n);
    wp__report_kv_add(mine, "layers", b1);
    if (m->n_cycles) {
        snprintf(b1, sizeof b1, "%zu", m->n_cycles);
        wp__report_kv_add(mine, "cycles", b1);
    }
    if (!isnan(in->idle_w)) {
        wp__report_fmt(in->idle_w, b1, sizeof b1);
        snprintf(b2, sizeof b2, "%s W", b1);
        wp__report_kv_add(mine, "idle power", b2);
    }
    if (in->mi.have) {
        snprintf(b2, sizeof b2, "%s%s%s", in->mi.attribution, in->mi.version[0] ? ", wattprof " : "", in->mi.version);
        wp__report_kv_add(mine, "map", b2);
        snprintf(b2, sizeof b2, "%s%s", in->mi.timeline, strcmp(in->mi.timeline_req, "auto") == 0 ? " (auto)" : "");
        wp__report_kv_add(mine, "timeline", b2);
        if (in->mi.reason[0])
            wp__report_kv_add(mine, "timeline choice", in->mi.reason);
        wp__report_fmt(in->mi.offset_us, b1, sizeof b1);
        if (in->mi.offset_auto && !isnan(in->mi.range_lo)) {
            char lo[64], hi[64];
            wp__report_fmt(in->mi.range_lo, lo, sizeof lo);
            wp__report_fmt(in->mi.range_hi, hi, sizeof hi);
            snprintf(b2, sizeof b2, "%s \xC2\xB5s (auto, searched %s..%s \xC2\xB5s)", b1, lo, hi);
        } else {
            snprintf(b2, sizeof b2, "%s \xC2\xB5s%s", b1, in->mi.offset_auto ? " (auto)" : "");
        }
        wp__report_kv_add(mine, "report offset", b2);
        if (in->mi.deconv) {
            wp__report_fmt(in->mi.window_us, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s \xC2\xB5s%s", b1, in->mi.window_auto ? " (auto)" : "");
            wp__report_kv_add(mine, "sensor window", b2);
            wp__report_fmt(in->mi.rms_uw / 1e6, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s W rms", b1);
            wp__report_kv_add(mine, "residual", b2);
            if (!isnan(in->mi.samples_used)) {
                snprintf(b1, sizeof b1, "%.0f", in->mi.samples_used);
                wp__report_kv_add(mine, "samples in the fit", b1);
            }
            if (!isnan(in->mi.gap_uw)) {
                wp__report_fmt(in->mi.gap_uw / 1e6, b1, sizeof b1);
                snprintf(b2, sizeof b2, "%s W", b1);
                wp__report_kv_add(mine, "power between cycles", b2);
            }
        }
    }
    if (!(in->raw.have_log && in->raw.log.n > 1) && in->mi.have && !isnan(in->mi.power_samples)) {
        /* no raw data given: what map saw */
        snprintf(b1, sizeof b1, "%.0f", in->mi.power_samples);
        wp__report_kv_add(mine, "power samples", b1);
        if (!isnan(in->mi.rate)) {
            wp__report_fmt(in->mi.rate, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s samples/s", b1);
            wp__report_kv_add(mine, "sample rate", b2);
        }
        if (!isnan(in->mi.span_s)) {
            wp__report_fmt(in->mi.span_s, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s s", b1);
            wp__report_kv_add(mine, "log duration", b2);
        }
        if (in->mi.log_start[0])
            wp__report_kv_add(mine, "log starts", in->mi.log_start);
    }
    if (in->raw.have_log && in->raw.log.n > 1) {
        double dur = (double)(in->raw.log.samples[in->raw.log.n - 1].t_us - in->raw.log.samples[0].t_us) / 1e6;
        snprintf(b1, sizeof b1, "%zu", in->raw.log.n);
        wp__report_kv_add(mine, "power samples", b1);
        if (dur > 0) {
            wp__report_fmt((double)(in->raw.log.n - 1) / dur, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s samples/s", b1);
            wp__report_kv_add(mine, "sample rate", b2);
            wp__report_fmt(dur, b1, sizeof b1);
            snprintf(b2, sizeof b2, "%s s", b1);
            wp__report_kv_add(mine, "log duration", b2);
        }
        char ts[WP_TS_BUFSZ];
        wp_ts_format(in->raw.log.samples[0].t_us, ts);
        wp__report_kv_add(mine, "log starts", ts);
    }
    if (in->raw.have_lat) {
        snprintf(b1, sizeof b1, "%zu", in->raw.lat.n_cycles);
        wp__report_kv_add(mine, "profiled cycles", b1);
    }
}

static void section_config(FILE *out, const wp_report_options *o, const rp_inputs *in)
{
    fputs("<h3>Run configuration</h3>\n<div class=\"kvwrap\">", out);
    rp_kv_list mine = {0};
    config_rows(in, &mine);
    kv_table(out, &mine, 0, mine.n);
    wp__report_kv_free(&mine);
    if (in->cfg.n)
        kv_table(out, &in->cfg, 0, in->cfg.n);
    fputs("</div>\n", out);
    fputs("<h3>Device</h3>\n", out);
    if (in->dev.n) {
        fputs("<div class=\"kvwrap\">", out);
        kv_table(out, &in->dev, 0, in->dev.n);
        fputs("</div>\n", out);
    } else {
        fputs("<p class=\"note\">No <code>device.json</code> (board, clocks, temperatures: written by "
              "<code>log</code>, <code>idle</code>, <code>run</code> and <code>profile</code> since they record "
              "it, copied by <code>map</code>): the power figures cannot be tied to the clocks they ran at.</p>\n",
              out);
    }
    if (!o->raw_data_dir)
        fputs("<p class=\"note\">Benchmark settings, sample rate and timeline need <code>--raw-data-dir</code>.</p>\n",
              out);
    else if (!in->cfg.n)
        fputs("<p class=\"note\">No <code>&lt;model&gt;_tensorrt.json</code> in the raw data: benchmark settings "
              "unknown.</p>\n",
              out);
}

/* Per-layer bars, the layers deconvolution left without a number or with an
 * uncertain one, and the table. */
static void section_layers(FILE *out, const rp_inputs *in)
{
    const rp_model *m = &in->m;
    fputs("<h3>Per-layer runtime, power and energy</h3>\n", out);
    if (m->n == 0) {
        fputs("<p class=\"note\">No layers.</p>\n", out);
    } else {
        fprintf(out,
                "<p>Means over %s; whiskers: %s. Energy is power above idle \xC3\x97 runtime, per inference.%s</p>\n",
                m->from_estimates ? "all cycles (least squares)" : "cycles",
                m->from_estimates ? "standard error of the estimate" : "standard deviation over cycles",
                in->pred_source ? " Magenta ticks: predictions." : "");
        wp__report_legend(out, m);
        wp__report_svg_bars(out, m);
        /* two notes: layers with no estimate, and `uncertain` ones (a value,
         * its standard error above map's --max-relative-se) */
        for (int uncertain = 0; uncertain < 2; uncertain++) {
            size_t flagged = 0;
            for (size_t i = 0; i < m->n; i++) {
                const char *st = m->layers[i].status;
                flagged += st[0] && strcmp(st, "ok") != 0 && (strcmp(st, "uncertain") == 0) == uncertain;
            }
            if (!flagged)
                continue;
            if (uncertain)
                fprintf(out,
                        "<p class=\"note\">%zu layer%s ha%s an uncertain estimate (standard error above "
                        "the limit <code>map --max-relative-se</code> set; see docs/attribution.md):",
                        flagged, flagged == 1 ? "" : "s", flagged == 1 ? "s" : "ve");
            else
                fprintf(out,
                        "<p class=\"note\">%zu layer%s got no power estimate (the least-squares system cannot "
                        "separate them from their neighbours; see docs/attribution.md):",
                        flagged, flagged == 1 ? "" : "s");
            for (size_t i = 0, k = 0; i < m->n; i++) {
                const char *st = m->layers[i].status;
                if (!st[0] || strcmp(st, "ok") == 0 || (strcmp(st, "uncertain") == 0) != uncertain)
                    continue;
                fputs(k++ ? ", <code>" : " <code>", out);
                wp_html_escape(out, m->layers[i].name);
                fputs("</code> (", out);
                wp_html_escape(out, st);
                fputs(")", out);
            }
            fputs(".</p>\n", out);
        }
        section_table(out, m);
    }
}

/* *explicit_used is set when the --predictions file gave this model's
 * predictions. */
static int model_section(FILE *out, const wp_report_options *o, const char *name, size_t idx, int *explicit_used,
                         wp_error *err)
{
    rp_inputs in;
    if (wp__report_load_model(o, name, &in, err) != 0)
        return -1;
    if (in.explicit_used)
        *explicit_used = 1;
    section_cards(out, name, idx, &in);
    section_config(out, o, &in);
    section_layers(out, &in);
    section_timeline(out, o, &in.m, &in.raw, &in.mi, &in.ix, in.idle_w);
    section_predictions(out, &in.m, in.pred_source ? in.pred_source : "");
    fputs("</section>\n", out);
    wp__report_inputs_free(&in);
    return 0;
}

int wp_report_render(const wp_report_options *o, FILE *out, wp_error *err)
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
        long rows = wp__report_load_predictions(o->predictions, NULL, NULL, err);
        if (rows < 0)
            return -1;
        if (rows == 0)
            return wp_fail(err, o->predictions, 1, "holds no predictions (a header and no rows)");
    }
    char **names = NULL;
    size_t n = 0;
    if (wp__report_list_models(o->result_dir, &names, &n, err) != 0)
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
    wp_names_free(names, n);
    return rc;
}

int wp_report_write(const wp_report_options *o, const char *out_path, wp_error *err)
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
