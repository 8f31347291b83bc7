/* The report's charts, as inline SVG sized in a 1140-unit-wide viewBox that
 * scales with the page. Text inherits the page's CSS (fonts, colours), so
 * the charts read like the rest of the report. No script: details live in
 * <title> tooltips and in the tables beside the charts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "wattprof/report.h"

#define RP_W 1140.0

void wp__report_fmt(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "–");
        return;
    }
    double a = fabs(v);
    if (a == 0) {
        snprintf(buf, cap, "0");
    } else if (a >= 1e-4 && a < 1e12) {
        /* Decimals from the exponent after rounding, so 0.99999 prints as 1.000. */
        char e[32];
        snprintf(e, sizeof e, "%.3e", a);
        const char *x = strchr(e, 'e');
        int digits = 3 - (x ? atoi(x + 1) : 0);
        if (digits < 0)
            digits = 0;
        if (digits > 7)
            digits = 7;
        snprintf(buf, cap, "%.*f", digits, v);
    } else {
        snprintf(buf, cap, "%.3g", v);
    }
}

/* Upstream's TensorRT layer types get fixed colours (they are what every
 * report shows); other types hash into the rest of the palette so one type
 * keeps its colour across reports. */
const char *wp__report_type_color(const char *type)
{
    static const struct {
        const char *type, *color;
    } fixed[] = {
        {"CaskConvolution", "#4e79a7"},
        {"CaskPooling", "#59a14f"},
        {"CaskGemmConvolution", "#f28e2b"},
        {"Reformat", "#9d9690"},
        {"CaskFlattenConvolution", "#76b7b2"},
        {"PointWiseV2", "#b07aa1"},
        {"PointWise", "#b07aa1"},
        {"CaskSoftMaxV2", "#edc948"},
        {"CaskGemmMatrixMultiply", "#f28e2b"},
    };
    static const char *rest[] = {"#e15759", "#76b7b2", "#edc948", "#b07aa1",
                                 "#ff9da7", "#9c755f", "#2f4b7c", "#a05195"};
    if (!type || !*type)
        return "#9d9690";
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (strcmp(fixed[i].type, type) == 0)
            return fixed[i].color;
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)type; *p; p++)
        h = (h ^ *p) * 16777619u;
    return rest[h % (sizeof rest / sizeof *rest)];
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Byte offset of code point k. */
static size_t utf8_offset(const char *s, size_t k)
{
    size_t i = 0, cp = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (cp == k)
                return i;
            cp++;
        }
    }
    return i;
}

/* Layer names carry their meaning at both ends ("[CONVOLUTION]-[...layer4.1.conv2]
 * + [RELU]-..."), so long ones lose their middle. */
void wp__report_shorten(const char *s, size_t max_chars, char *buf, size_t cap)
{
    size_t n = utf8_len(s);
    if (n <= max_chars || max_chars < 5) {
        snprintf(buf, cap, "%s", s);
        return;
    }
    size_t head = (max_chars - 1) * 3 / 5, tail = max_chars - 1 - head;
    size_t hb = utf8_offset(s, head), tb = utf8_offset(s, n - tail);
    snprintf(buf, cap, "%.*s\xE2\x80\xA6%s", (int)hb, s, s + tb);
}

typedef struct axis {
    double lo, hi, step;
    int decimals;
} axis;

static double nice_step(double range, int target)
{
    if (!(range > 0) || !isfinite(range))
        return 1;
    double raw = range / target, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * mag;
}

/* Axis over [lo, hi] rounded out to whole steps. include_zero for bars. */
static axis make_axis(double lo, double hi, int include_zero, int target)
{
    axis a;
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (include_zero) {
        if (lo > 0)
            lo = 0;
        if (hi < 0)
            hi = 0;
    }
    if (hi - lo <= 0) {
        double d = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1;
        lo -= include_zero && lo == 0 ? 0 : d;
        hi += d;
    }
    a.step = nice_step(hi - lo, target);
    a.lo = floor(lo / a.step + 1e-9) * a.step;
    a.hi = ceil(hi / a.step - 1e-9) * a.step;
    if (a.hi <= a.lo)
        a.hi = a.lo + a.step;
    a.decimals = a.step >= 1 ? 0 : (int)ceil(-log10(a.step) - 1e-9);
    if (a.decimals > 9)
        a.decimals = 9;
    return a;
}

static double ax_map(const axis *a, double v, double p0, double p1)
{
    return p0 + (v - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

static void tick_label(const axis *a, double v, char *buf, size_t cap)
{
    if (fabs(v) < a->step * 1e-6)
        v = 0;
    snprintf(buf, cap, "%.*f", a->decimals, v);
}

/* A vertical grid line at x from y0 down to y1, its label centred at
 * label_y. */
static void x_grid_line(FILE *out, double x, double y0, double y1, double label_y, const char *label)
{
    fprintf(out,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
            x, y0, x, y1, x, label_y, label);
}

/* A horizontal grid line at y from x0 to x1, its label right-aligned just
 * left of x0. */
static void y_grid_line(FILE *out, double x0, double x1, double y, const char *label)
{
    fprintf(out,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
            x0, y, x1, y, x0 - 6, y + 4, label);
}

/* Vertical grid lines at A's ticks between x = P0 and P1, from y = TOP - 4
 * down to BOTTOM, each labelled above the plot. */
static void vertical_grid(FILE *out, const axis *a, double p0, double p1, double top, double bottom)
{
    char buf[64];
    for (double t = a->lo; t <= a->hi + a->step * 1e-6; t += a->step) {
        double x = ax_map(a, t, p0, p1);
        tick_label(a, t, buf, sizeof buf);
        x_grid_line(out, x, top - 4, bottom, top - 10, buf);
    }
}

/* ---------------------------------------------------------------- bars */

typedef struct bar_panel {
    const char *title, *unit;
    int which;
} bar_panel;

static double layer_value(const rp_layer *l, int which)
{
    return which == RP_RUNTIME ? l->runtime_ms : which == RP_POWER ? l->power_w : l->energy_mj;
}
static double layer_err(const rp_layer *l, int which)
{
    return which == RP_RUNTIME ? l->runtime_sd : which == RP_POWER ? l->power_err_w : NAN;
}
static double layer_pred(const rp_layer *l, int which)
{
    return which == RP_RUNTIME ? l->pred_runtime_ms : which == RP_POWER ? l->pred_power_w : l->pred_energy_mj;
}

void wp__report_svg_bars(FILE *out, const rp_model *m)
{
    const double name_w = 300, gap = 28, top = 46, row = 18, bot = 10;
    const double pw = (RP_W - name_w - 2 * gap - 8) / 3;
    const double H = top + (double)m->n * row + bot;
    const bar_panel panels[3] = {
        {"Runtime", "ms", RP_RUNTIME}, {"Power above idle", "W", RP_POWER}, {"Energy above idle", "mJ", RP_ENERGY}};
    char buf[64], nb[512];

    fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"per-layer bars\">\n", RP_W,
            H);
    for (size_t i = 0; i < m->n; i += 2)
        fprintf(out, "<rect class=\"stripe\" x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\"/>\n",
                top + (double)i * row, RP_W, row);
    for (size_t i = 0; i < m->n; i++) {
        wp__report_shorten(m->layers[i].name, 44, nb, sizeof nb);
        fprintf(out, "<text class=\"lname\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"><title>", name_w - 8,
                top + (double)i * row + row * 0.7);
        wp_html_escape(out, m->layers[i].name);
        fputs(" (", out);
        wp_html_escape(out, m->layers[i].type);
        fputs(")</title>", out);
        wp_html_escape(out, nb);
        fputs("</text>\n", out);
    }
    for (int p = 0; p < 3; p++) {
        const bar_panel *pn = &panels[p];
        double x0 = name_w + p * (pw + gap), x1 = x0 + pw;
        double lo = 0, hi = 0;
        for (size_t i = 0; i < m->n; i++) {
            double v = layer_value(&m->layers[i], pn->which), e = layer_err(&m->layers[i], pn->which);
            if (isnan(v))
                continue;
            if (isnan(e))
                e = 0;
            if (v - e < lo)
                lo = v - e;
            if (v + e > hi)
                hi = v + e;
            double tv = pn->which == RP_POWER ? m->layers[i].truth_power_w : NAN;
            if (!isnan(tv)) {
                lo = fmin(lo, tv);
                hi = fmax(hi, tv);
            }
        }
        axis a = make_axis(lo, hi, 1, 4);
        fprintf(out, "<text class=\"ptitle\" x=\"%.1f\" y=\"14\">%s <tspan class=\"unit\">(%s)</tspan></text>\n", x0,
                pn->title, pn->unit);
        vertical_grid(out, &a, x0, x1, top, H - bot);
        double xz = ax_map(&a, 0, x0, x1);
        for (size_t i = 0; i < m->n; i++) {
            const rp_layer *l = &m->layers[i];
            double v = layer_value(l, pn->which), e = layer_err(l, pn->which);
            double y = top + (double)i * row + 3, bh = row - 6;
            if (isnan(v)) {
                fprintf(out, "<text class=\"nodata\" x=\"%.1f\" y=\"%.1f\">", xz + 4, y + bh - 1);
                wp_html_escape(out, pn->which != RP_RUNTIME && l->status[0] && strcmp(l->status, "ok") != 0
                                        ? l->status
                                        : "no sample");
                fputs("</text>\n", out);
                continue;
            }
            double xv = ax_map(&a, v, x0, x1), bx = xv < xz ? xv : xz, bw = fabs(xv - xz);
            if (bw < 0.6)
                bw = 0.6;
            wp__report_fmt(v, buf, sizeof buf);
            fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"><title>", bx, y, bw,
                    bh, wp__report_type_color(l->type));
            wp_html_escape(out, l->name);
            fprintf(out, ": %s %s", buf, pn->unit);
            if (!isnan(e)) {
                wp__report_fmt(e, buf, sizeof buf);
                fprintf(out, " \xC2\xB1 %s", buf);
            }
            fputs("</title></rect>\n", out);
            if (!isnan(e) && e > 0) {
                double ea = ax_map(&a, v - e, x0, x1), eb = ax_map(&a, v + e, x0, x1), ym = y + bh / 2;
                fprintf(out, "<path class=\"whisker\" d=\"M%.2f %.1fH%.2fM%.2f %.1fV%.1fM%.2f %.1fV%.1f\"/>\n", ea, ym,
                        eb, ea, ym - 3, ym + 3, eb, ym - 3, ym + 3);
            }
            if (pn->which == RP_POWER && !isnan(l->truth_power_w)) {
                double xt = ax_map(&a, l->truth_power_w, x0, x1);
                if (xt >= x0 - 1 && xt <= x1 + 1) {
                    wp__report_fmt(l->truth_power_w, buf, sizeof buf);
                    fprintf(out, "<path class=\"truthmark\" d=\"M%.2f %.1fV%.1f\"><title>truth %s W</title></path>\n",
                            xt, y - 2.5, y + bh + 2.5, buf);
                }
            }
            double pv = layer_pred(l, pn->which);
            if (!isnan(pv)) {
                double xp = ax_map(&a, pv, x0, x1);
                if (xp >= x0 - 1 && xp <= x1 + 1)
                    fprintf(out, "<path class=\"predmark\" d=\"M%.2f %.1fV%.1f\"/>\n", xp, y - 1.5, y + bh + 1.5);
            }
        }
        fprintf(out, "<line class=\"zero\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", xz, top - 4, xz,
                H - bot);
    }
    fputs("</svg>\n", out);
}

/* ------------------------------------------------------------ timeline */

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void draw_lane(FILE *out, const rp_timeline *tl, const rp_window *w, double y, double h, double xl, double xr,
                      const char *label)
{
    double span = (double)(tl->t1 - tl->t0);
    fprintf(out, "<text class=\"lanelabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", xl - 8,
            y + h * 0.68, label);
    fprintf(out, "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", xl, y, xr - xl, h);
    char a[64], b[64];
    for (size_t i = 0; i < tl->n_windows; i++) {
        double xa = xl + (double)(w[i].start - tl->t0) / span * (xr - xl);
        double xb = xl + (double)(w[i].end - tl->t0) / span * (xr - xl);
        if (xb < xl || xa > xr)
            continue;
        xa = clampd(xa, xl, xr);
        xb = clampd(xb, xl, xr);
        double bw = xb - xa < 0.8 ? 0.8 : xb - xa;
        wp__report_fmt((double)(w[i].end - w[i].start) / 1000.0, a, sizeof a);
        wp__report_fmt((double)(w[i].start - tl->t0) / 1000.0, b, sizeof b);
        /* Odd layers sit a little lower so back-to-back windows stay distinct. */
        double yo = (w[i].layer % 2) ? 2 : 0;
        fprintf(out, "<rect class=\"win\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"><title>", xa,
                y + yo, bw, h - 2, wp__report_type_color(tl->layer_types[w[i].layer]));
        wp_html_escape(out, tl->layer_names[w[i].layer]);
        fprintf(out, " \xE2\x80\x94 cycle %zu, %s ms from %s ms</title></rect>\n", w[i].cycle + 1, a, b);
    }
}

void wp__report_svg_timeline(FILE *out, const rp_timeline *tl)
{
    const double xl = 110, xr = RP_W - 14, top = 30, ph = 240, lane_h = 20, lane_gap = 8;
    const double ly0 = top + ph + 14, ly1 = ly0 + lane_h + lane_gap, H = ly1 + lane_h + 44;
    const rp_window *chosen = tl->chosen_reconstructed ? tl->reconstructed : tl->reported;
    double span = (double)(tl->t1 - tl->t0);
    char buf[64];
    if (span <= 0)
        span = 1;

    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < tl->n_samples; i++) {
        if (tl->sample_t[i] < tl->t0 || tl->sample_t[i] > tl->t1)
            continue;
        lo = fmin(lo, tl->sample_w[i]);
        hi = fmax(hi, tl->sample_w[i]);
    }
    for (size_t i = 0; i < tl->n_windows; i++) {
        double p = tl->layer_power_incl_w[chosen[i].layer];
        if (!isnan(p)) {
            lo = fmin(lo, p);
            hi = fmax(hi, p);
        }
    }
    if (!isnan(tl->idle_w)) {
        lo = fmin(lo, tl->idle_w);
        hi = fmax(hi, tl->idle_w);
    }
    for (size_t i = 0; tl->model_w && i < tl->n_samples; i++)
        if (isfinite(tl->model_w[i]) && tl->sample_t[i] >= tl->t0 && tl->sample_t[i] <= tl->t1) {
            lo = fmin(lo, tl->model_w[i]);
            hi = fmax(hi, tl->model_w[i]);
        }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    double pad = (hi - lo) * 0.06;
    axis ya = make_axis(lo - pad, hi + pad, 0, 5);
    axis xa = make_axis(0, span / 1000.0, 1, 10);
    double xscale = (xr - xl) / span;
#define TX(t) (xl + (double)((t)-tl->t0) * xscale)
#define TY(w) ax_map(&ya, (w), top + ph, top)

    fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"timeline\">\n", RP_W, H);
    fprintf(
        out,
        "<defs><clipPath id=\"tlclip%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n",
        tl->first_cycle, xl, top, xr - xl, ph);
    /* Layer windows as bands behind the signal. */
    fprintf(out, "<g clip-path=\"url(#tlclip%zu)\">\n", tl->first_cycle);
    for (size_t i = 0; i < tl->n_windows; i++) {
        double xa0 = TX(chosen[i].start), xb0 = TX(chosen[i].end);
        if (xb0 < xl || xa0 > xr)
            continue;
        fprintf(out, "<rect class=\"band\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"/>\n", xa0,
                top, xb0 - xa0 < 0.5 ? 0.5 : xb0 - xa0, ph, wp__report_type_color(tl->layer_types[chosen[i].layer]));
    }
    fputs("</g>\n", out);
    /* Axes. */
    for (double t = ya.lo; t <= ya.hi + ya.step * 1e-6; t += ya.step) {
        double y = TY(t);
        tick_label(&ya, t, buf, sizeof buf);
        y_grid_line(out, xl, xr, y, buf);
    }
    for (double t = 0; t <= xa.hi + xa.step * 1e-6; t += xa.step) {
        double x = xl + t * 1000.0 * xscale;
        if (x > xr + 0.5)
            break;
        tick_label(&xa, t, buf, sizeof buf);
        x_grid_line(out, x, top + ph, ly1 + lane_h + 4, ly1 + lane_h + 18, buf);
    }
    fprintf(out, "<text class=\"axlabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (ms)</text>\n",
            (xl + xr) / 2, H - 6);
    fprintf(
        out,
        "<text class=\"axlabel\" transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">power (W)</text>\n",
        xl - 58, top + ph / 2);
    fprintf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", xl, top, xr - xl,
            ph);
    /* Cycle starts. */
    for (size_t c = 0; c < tl->n_cycles_drawn; c++) {
        int64_t s = INT64_MAX;
        for (size_t i = 0; i < tl->n_windows; i++)
            if (chosen[i].cycle == tl->first_cycle + c && chosen[i].start < s)
                s = chosen[i].start;
        if (s == INT64_MAX || TX(s) < xl || TX(s) > xr)
            continue;
        fprintf(out,
                "<line class=\"cycle\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"cyclelabel\" x=\"%.1f\" y=\"%.1f\">cycle %zu</text>\n",
                TX(s), top - 12, TX(s), ly1 + lane_h, TX(s) + 3, top - 3, tl->first_cycle + c + 1);
    }
    fprintf(out, "<g clip-path=\"url(#tlclip%zu)\">\n", tl->first_cycle);
    if (!isnan(tl->idle_w))
        fprintf(out, "<line class=\"idle\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", xl, TY(tl->idle_w), xr,
                TY(tl->idle_w));
    /* What the attribution concluded: each layer's power over its window. */
    fputs("<path class=\"estimate\" d=\"", out);
    for (size_t i = 0; i < tl->n_windows; i++) {
        double p = tl->layer_power_incl_w[chosen[i].layer];
        if (isnan(p))
            continue;
        fprintf(out, "M%.2f %.2fH%.2f", TX(chosen[i].start), TY(p), TX(chosen[i].end));
    }
    fputs("\"/>\n", out);
    if (tl->model_w) {
        /* deconvolve's prediction of each sample, broken where undefined */
        fputs("<path class=\"model\" d=\"", out);
        int pen = 0;
        for (size_t i = 0; i < tl->n_samples; i++) {
            if (!isfinite(tl->model_w[i])) {
                pen = 0;
                continue;
            }
            fprintf(out, "%c%.2f %.2f", pen ? 'L' : 'M', TX(tl->sample_t[i]), TY(tl->model_w[i]));
            pen = 1;
        }
        fputs("\"/>\n", out);
    }
    /* The sensor's samples. */
    size_t shown = 0;
    fputs("<polyline class=\"signal\" points=\"", out);
    for (size_t i = 0; i < tl->n_samples; i++) {
        fprintf(out, "%.2f,%.2f ", TX(tl->sample_t[i]), TY(tl->sample_w[i]));
        shown++;
    }
    fputs("\"/>\n", out);
    if (shown <= 600) {
        for (size_t i = 0; i < tl->n_samples; i++) {
            wp__report_fmt(tl->sample_w[i], buf, sizeof buf);
            fprintf(out, "<circle class=\"sample\" cx=\"%.2f\" cy=\"%.2f\" r=\"2.6\"><title>%s W</title></circle>\n",
                    TX(tl->sample_t[i]), TY(tl->sample_w[i]), buf);
        }
    }
    if (tl->model_w && tl->window_us > 0) {
        /* One sample's sensor window: the span its reading averages. */
        size_t best = tl->n_samples;
        double mid = (double)(tl->t0 + tl->t1) / 2, bd = INFINITY;
        for (size_t i = 0; i < tl->n_samples; i++) {
            double d = fabs((double)tl->sample_t[i] - mid);
            if (isfinite(tl->model_w[i]) && d < bd) {
                bd = d;
                best = i;
            }
        }
        if (best < tl->n_samples) {
            double xb = TX(tl->sample_t[best]), xa0 = xb - tl->window_us * xscale, y = TY(tl->model_w[best]);
            wp__report_fmt(tl->window_us, buf, sizeof buf);
            fprintf(out,
                    "<path class=\"swin\" d=\"M%.2f %.2fV%.2fH%.2fV%.2f\"><title>sensor window of this sample: "
                    "%s \xC2\xB5s</title></path>\n<text class=\"swinlabel\" x=\"%.2f\" y=\"%.2f\" "
                    "text-anchor=\"middle\">sensor window %s \xC2\xB5s</text>\n",
                    xa0, y + 6, y - 6, xb, y + 6, buf, (xa0 + xb) / 2, y - 10, buf);
        }
    }
    fputs("</g>\n", out);
    draw_lane(out, tl, tl->reported, ly0, lane_h, xl, xr, "as reported");
    draw_lane(out, tl, tl->reconstructed, ly1, lane_h, xl, xr, "reconstructed");
    fputs("</svg>\n", out);
#undef TX
#undef TY
}

/* ------------------------------------------------------------- scatter */

void wp__report_svg_scatter(FILE *out, const char *title, const char *unit, const rp_model *m, int which)
{
    const double W = 556, H = 380, xl = 70, xr = W - 18, top = 34, yb = H - 46;
    double hi = 0, lo = 0;
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        double a = layer_value(&m->layers[i], which), b = layer_pred(&m->layers[i], which);
        if (isnan(a) || isnan(b))
            continue;
        n++;
        hi = fmax(hi, fmax(a, b));
        lo = fmin(lo, fmin(a, b));
    }
    axis ax = make_axis(lo, hi * 1.04, 1, 5);
    char buf[64], b2[64], b3[64];
    fprintf(out, "<svg class=\"chart scatter\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
    wp_html_escape(out, title);
    fputs("\">\n", out);
    fprintf(out, "<text class=\"ptitle\" x=\"%.1f\" y=\"16\">", xl);
    wp_html_escape(out, title);
    fprintf(out, " <tspan class=\"unit\">(%s, %zu layers)</tspan></text>\n", unit, n);
    for (double t = ax.lo; t <= ax.hi + ax.step * 1e-6; t += ax.step) {
        double x = ax_map(&ax, t, xl, xr), y = ax_map(&ax, t, yb, top);
        tick_label(&ax, t, buf, sizeof buf);
        x_grid_line(out, x, top, yb, yb + 16, buf);
        y_grid_line(out, xl, xr, y, buf);
    }
    fprintf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", xl, top, xr - xl,
            yb - top);
    /* y = x, and +-20 % around it. */
    double d0 = ax.lo > 0 ? ax.lo : 0;
    fprintf(out, "<line class=\"ideal\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ax_map(&ax, d0, xl, xr),
            ax_map(&ax, d0, yb, top), xr, top);
    fprintf(out, "<line class=\"band20\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ax_map(&ax, d0, xl, xr),
            ax_map(&ax, d0 * 1.2, yb, top), ax_map(&ax, ax.hi / 1.2, xl, xr), top);
    fprintf(out, "<line class=\"band20\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ax_map(&ax, d0, xl, xr),
            ax_map(&ax, d0 * 0.8, yb, top), xr, ax_map(&ax, ax.hi * 0.8, yb, top));
    for (size_t i = 0; i < m->n; i++) {
        const rp_layer *l = &m->layers[i];
        double a = layer_value(l, which), b = layer_pred(l, which);
        if (isnan(a) || isnan(b))
            continue;
        wp__report_fmt(a, buf, sizeof buf);
        wp__report_fmt(b, b2, sizeof b2);
        if (a != 0)
            snprintf(b3, sizeof b3, "%+.1f %%", (b - a) / fabs(a) * 100);
        else
            snprintf(b3, sizeof b3, "n/a");
        fprintf(out, "<circle class=\"dot\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\"><title>",
                ax_map(&ax, a, xl, xr), ax_map(&ax, b, yb, top), wp__report_type_color(l->type));
        wp_html_escape(out, l->name);
        fprintf(out, ": measured %s, predicted %s %s (%s)</title></circle>\n", buf, b2, unit, b3);
    }
    fprintf(out, "<text class=\"axlabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">measured</text>\n",
            (xl + xr) / 2, H - 8);
    fprintf(
        out,
        "<text class=\"axlabel\" transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">predicted</text>\n",
        (top + yb) / 2);
    fputs("</svg>\n", out);
}

void wp__report_legend(FILE *out, const rp_model *m)
{
    fputs("<div class=\"legend\">", out);
    for (size_t i = 0; i < m->n; i++) {
        size_t j = 0;
        while (j < i && strcmp(m->layers[j].type, m->layers[i].type) != 0)
            j++;
        if (j < i)
            continue;
        size_t count = 0;
        for (size_t k = 0; k < m->n; k++)
            count += strcmp(m->layers[k].type, m->layers[i].type) == 0;
        fprintf(out, "<span><i style=\"background:%s\"></i>", wp__report_type_color(m->layers[i].type));
        wp_html_escape(out, m->layers[i].type[0] ? m->layers[i].type : "(no type)");
        fprintf(out, " <small>\xC3\x97%zu</small></span>", count);
    }
    fputs("</div>\n", out);
}

void wp__report_svg_pair_bars(FILE *out, const char *title, const char *unit, const char *const *labels,
                              const double *train, const double *test, size_t n)
{
    const double W = 760, name_w = 190, top = 44, row = 34, bot = 10, xr = W - 60;
    const double H = top + (double)n * row + bot;
    double hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(train[i]))
            hi = fmax(hi, train[i]);
        if (!isnan(test[i]))
            hi = fmax(hi, test[i]);
    }
    axis a = make_axis(0, hi, 1, 5);
    char buf[64];
    fprintf(out, "<svg class=\"chart pair\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
    wp_html_escape(out, title);
    fprintf(out, "\">\n<text class=\"ptitle\" x=\"%.1f\" y=\"14\">", name_w);
    wp_html_escape(out, title);
    fprintf(out, " <tspan class=\"unit\">(%s)</tspan></text>\n", unit);
    fprintf(out,
            "<rect x=\"%.1f\" y=\"6\" width=\"10\" height=\"10\" fill=\"#9fb8d3\"/><text class=\"tick\" x=\"%.1f\" "
            "y=\"15\">train</text><rect x=\"%.1f\" y=\"6\" width=\"10\" height=\"10\" fill=\"#0b5cad\"/>"
            "<text class=\"tick\" x=\"%.1f\" y=\"15\">test</text>\n",
            xr - 110, xr - 96, xr - 50, xr - 36);
    vertical_grid(out, &a, name_w, xr, top, H - bot);
    for (size_t i = 0; i < n; i++) {
        double y = top + (double)i * row;
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", name_w - 8, y + row * 0.55);
        wp_html_escape(out, labels[i]);
        fputs("</text>\n", out);
        const double v[2] = {train[i], test[i]};
        const char *fill[2] = {"#9fb8d3", "#0b5cad"};
        for (int k = 0; k < 2; k++) {
            double by = y + 4 + k * 13;
            if (isnan(v[k]))
                continue;
            double w = ax_map(&a, v[k], name_w, xr) - name_w;
            wp__report_fmt(v[k], buf, sizeof buf);
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"12\" fill=\"%s\"><title>%s %s</title></rect>"
                    "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                    name_w, by, w < 0.6 ? 0.6 : w, fill[k], k ? "test" : "train", buf, name_w + w + 4, by + 10, buf);
        }
    }
    fputs("</svg>\n", out);
}

/* "10" followed by the exponent in superscript digits (UTF-8). */
static void pow10_label(int e, char *buf, size_t cap)
{
    static const char *sup[] = {"\xE2\x81\xB0", "\xC2\xB9",     "\xC2\xB2",     "\xC2\xB3",     "\xE2\x81\xB4",
                                "\xE2\x81\xB5", "\xE2\x81\xB6", "\xE2\x81\xB7", "\xE2\x81\xB8", "\xE2\x81\xB9"};
    if (e >= 0 && e <= 3) {
        snprintf(buf, cap, "%d", e == 0 ? 1 : e == 1 ? 10 : e == 2 ? 100 : 1000);
        return;
    }
    size_t k = (size_t)snprintf(buf, cap, "10%s", e < 0 ? "\xE2\x81\xBB" : "");
    char digits[16];
    snprintf(digits, sizeof digits, "%d", e < 0 ? -e : e);
    for (const char *d = digits; *d && k + 4 < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s", sup[*d - '0']);
}

void wp__report_svg_loglog(FILE *out, const char *title, const char *xlabel, const char *ylabel, const double *x,
                           const double *y, const char *const *colors, const char *const *tips, size_t n, int logy)
{
    const double W = 556, H = 380, xl = 70, xr = W - 18, top = 34, yb = H - 46;
#define PT_OK(i) (x[i] > 0 && isfinite(x[i]) && isfinite(y[i]) && (!logy || y[i] > 0))
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!PT_OK(i))
            continue;
        used++;
        x0 = fmin(x0, x[i]);
        x1 = fmax(x1, x[i]);
        y0 = fmin(y0, y[i]);
        y1 = fmax(y1, y[i]);
    }
    if (!used) {
        x0 = y0 = 1;
        x1 = y1 = 10;
    }
    int ex0 = (int)floor(log10(x0)), ex1 = (int)ceil(log10(x1));
    int ey0 = logy ? (int)floor(log10(y0)) : 0, ey1 = logy ? (int)ceil(log10(y1)) : 1;
    axis ya = make_axis(y0 - (y1 - y0) * 0.05, y1 + (y1 - y0) * 0.05, 0, 5);
    if (ex1 <= ex0)
        ex1 = ex0 + 1;
    if (ey1 <= ey0)
        ey1 = ey0 + 1;
    char buf[64];
#define LX(v) (xl + (log10(v) - ex0) / (double)(ex1 - ex0) * (xr - xl))
#define LY(v) (logy ? yb - (log10(v) - ey0) / (double)(ey1 - ey0) * (yb - top) : ax_map(&ya, (v), yb, top))
    fprintf(out, "<svg class=\"chart scatter\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
    wp_html_escape(out, title);
    fprintf(out, "\">\n<text class=\"ptitle\" x=\"%.1f\" y=\"16\">", xl);
    wp_html_escape(out, title);
    fprintf(out, " <tspan class=\"unit\">(%zu layers)</tspan></text>\n", used);
    int xstep = (ex1 - ex0 + 5) / 6, ystep = (ey1 - ey0 + 5) / 6;
    for (int e = ex0; e <= ex1; e += xstep) {
        double px = LX(pow(10, e));
        pow10_label(e, buf, sizeof buf);
        x_grid_line(out, px, top, yb, yb + 16, buf);
    }
    for (int e = ey0; logy && e <= ey1; e += ystep) {
        double py = LY(pow(10, e));
        pow10_label(e, buf, sizeof buf);
        y_grid_line(out, xl, xr, py, buf);
    }
    for (double tv = ya.lo; !logy && tv <= ya.hi + ya.step * 1e-6; tv += ya.step) {
        double py = LY(tv);
        tick_label(&ya, tv, buf, sizeof buf);
        y_grid_line(out, xl, xr, py, buf);
    }
    fprintf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", xl, top, xr - xl,
            yb - top);
    /* Dense data sets: every point still counts, but at most ~3000 are drawn. */
    size_t stride = used > 3000 ? used / 3000 + 1 : 1, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!PT_OK(i))
            continue;
        if (k++ % stride)
            continue;
        fprintf(out, "<circle class=\"dot\" cx=\"%.2f\" cy=\"%.2f\" r=\"3.2\" fill=\"%s\">", LX(x[i]), LY(y[i]),
                colors[i]);
        if (tips && tips[i]) {
            fputs("<title>", out);
            wp_html_escape(out, tips[i]);
            fputs("</title>", out);
        }
        fputs("</circle>\n", out);
    }
    fprintf(out, "<text class=\"axlabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (xl + xr) / 2, H - 8);
    wp_html_escape(out, xlabel);
    fprintf(out,
            "</text>\n<text class=\"axlabel\" transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">",
            (top + yb) / 2);
    wp_html_escape(out, ylabel);
    fputs("</text>\n</svg>\n", out);
#undef LX
#undef LY
#undef PT_OK
}
