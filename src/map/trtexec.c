#include "wattprof/trtexec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/timestamp.h"

/* jansson keeps no line per value; trtexec writes one record per line, but
 * a reformatted file need not, so the line of each top-level element is
 * found by scanning (strings skipped, so braces in layer names are safe). */
static long *element_lines(const char *text, size_t len, size_t *n_out)
{
    size_t cap = 64, n = 0;
    long *lines = malloc(cap * sizeof *lines);
    if (!lines)
        return NULL;
    long line = 1;
    int depth = 0, in_str = 0, esc = 0, want = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\n')
            line++;
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (depth == 1 && want && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' && c != ']') {
            if (wp_grow(&lines, &cap, n, 64, sizeof *lines) != 0) {
                free(lines);
                return NULL;
            }
            lines[n++] = line;
            want = 0;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            depth++;
            if (depth == 1)
                want = 1;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == ',' && depth == 1) {
            want = 1;
        }
    }
    *n_out = n;
    return lines;
}

static char *slurp(const char *path, const char *what, size_t *len, wp_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        wp_fail_errno(err, path, errno, "cannot open %s", what);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(fp);
            wp_fail(err, path, 0, "out of memory");
            return NULL;
        }
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        wp_fail_errno(err, path, EIO, "cannot read %s", what);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Parses a top-level JSON array; *lines gets each element's line. */
static json_t *load_array(const char *path, const char *what, const char *shape, long **lines, size_t *n_lines,
                          wp_error *err)
{
    size_t len;
    char *text = slurp(path, what, &len, err);
    if (!text)
        return NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) {
        free(text);
        wp_fail(err, path, je.line > 0 ? je.line : 0, "malformed JSON in %s: %s", what, je.text);
        return NULL;
    }
    if (!json_is_array(root)) {
        free(text);
        json_decref(root);
        wp_fail(err, path, 1, "not a %s: expected a JSON array (%s)", what, shape);
        return NULL;
    }
    *lines = element_lines(text, len, n_lines);
    free(text);
    if (!*lines) {
        json_decref(root);
        wp_fail(err, path, 0, "out of memory");
        return NULL;
    }
    return root;
}

static long line_of(const long *lines, size_t n, size_t i)
{
    return i < n ? lines[i] : 0;
}

/* A number member (trtexec writes every one as a number); NaN when absent. */
static int get_num(json_t *o, const char *key, int required, double *out, const char *path, long line, wp_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = NAN;
        return required ? wp_fail(err, path, line, "record has no \"%s\"", key) : 0;
    }
    if (!json_is_number(v))
        return wp_fail(err, path, line, "\"%s\" is not a number", key);
    *out = json_number_value(v);
    if (!isfinite(*out))
        return wp_fail(err, path, line, "\"%s\" is not finite", key);
    return 0;
}

void wp_trtexec_profile_free(wp_trtexec_profile *p)
{
    wp_names_free(p->names, p->n_layers);
    free(p->average_ms);
    free(p->median_ms);
    free(p->lines);
    memset(p, 0, sizeof *p);
}

int wp_trtexec_read_profile(const char *path, wp_trtexec_profile *p, wp_error *err)
{
    static const char shape[] = "[{\"count\": N}, {\"name\", \"timeMs\", \"averageMs\", ...}, ...] as "
                                "trtexec --exportProfile writes";
    memset(p, 0, sizeof *p);
    long *lines;
    size_t n_lines;
    json_t *root = load_array(path, "trtexec profile", shape, &lines, &n_lines, err);
    if (!root)
        return -1;
    size_t n = json_array_size(root);
    int rc = -1;
    json_t *first = json_array_get(root, 0);
    json_t *count = first ? json_object_get(first, "count") : NULL;
    if (!count || !json_is_integer(count) || json_integer_value(count) < 1) {
        wp_fail(err, path, line_of(lines, n_lines, 0),
                "not a trtexec profile: the first record must be {\"count\": N} with N >= 1 (%s)", shape);
        goto done;
    }
    p->count = (long)json_integer_value(count);
    p->names = calloc(n, sizeof *p->names);
    p->average_ms = calloc(n, sizeof *p->average_ms);
    p->median_ms = calloc(n, sizeof *p->median_ms);
    p->lines = calloc(n, sizeof *p->lines);
    if (!p->names || !p->average_ms || !p->median_ms || !p->lines) {
        wp_fail(err, path, 0, "out of memory");
        goto done;
    }
    for (size_t i = 1; i < n; i++) {
        json_t *o = json_array_get(root, i);
        long line = line_of(lines, n_lines, i);
        if (!json_is_object(o)) {
            wp_fail(err, path, line, "record %zu is not a JSON object", i);
            goto done;
        }
        if (json_object_get(o, "count")) {
            /* one per execution context (--streams, several profiles):
             * which layer ran when is then not one sequence */
            wp_fail(err, path, line,
                    "a second {\"count\"} record: profiles of several contexts in one file are "
                    "not supported (run trtexec with one stream)");
            goto done;
        }
        json_t *name = json_object_get(o, "name");
        if (!json_is_string(name)) {
            wp_fail(err, path, line, "record has no \"name\" string");
            goto done;
        }
        size_t k = p->n_layers;
        double avg = 0, med = NAN;
        if (get_num(o, "averageMs", 1, &avg, path, line, err) != 0 ||
            get_num(o, "medianMs", 0, &med, path, line, err) != 0)
            goto done;
        if (avg < 0) {
            wp_fail(err, path, line, "negative averageMs %g", avg);
            goto done;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(p->names[j], json_string_value(name)) == 0) {
                wp_fail(err, path, line, "layer '%s' appears twice (first at line %ld)", p->names[j], p->lines[j]);
                goto done;
            }
        p->names[k] = strdup(json_string_value(name));
        if (!p->names[k]) {
            wp_fail(err, path, 0, "out of memory");
            goto done;
        }
        p->average_ms[k] = avg;
        p->median_ms[k] = med;
        p->lines[k] = line;
        p->n_layers++;
    }
    if (p->n_layers == 0) {
        wp_fail(err, path, line_of(lines, n_lines, 0), "trtexec profile lists no layers");
        goto done;
    }
    rc = 0;
done:
    free(lines);
    json_decref(root);
    if (rc != 0)
        wp_trtexec_profile_free(p);
    return rc;
}

void wp_trtexec_times_free(wp_trtexec_times *t)
{
    free(t->start_compute_ms);
    free(t->end_compute_ms);
    free(t->latency_ms);
    free(t->compute_ms);
    free(t->lines);
    memset(t, 0, sizeof *t);
}

int wp_trtexec_read_times(const char *path, wp_trtexec_times *t, wp_error *err)
{
    static const char shape[] = "one {\"startComputeMs\", \"endComputeMs\", ...} record per inference as "
                                "trtexec --exportTimes writes";
    memset(t, 0, sizeof *t);
    long *lines;
    size_t n_lines;
    json_t *root = load_array(path, "trtexec times file", shape, &lines, &n_lines, err);
    if (!root)
        return -1;
    size_t n = json_array_size(root);
    int rc = -1;
    if (n == 0) {
        wp_fail(err, path, 1, "trtexec times file holds no inference");
        goto done;
    }
    t->start_compute_ms = malloc(n * sizeof *t->start_compute_ms);
    t->end_compute_ms = malloc(n * sizeof *t->end_compute_ms);
    t->latency_ms = malloc(n * sizeof *t->latency_ms);
    t->compute_ms = malloc(n * sizeof *t->compute_ms);
    t->lines = malloc(n * sizeof *t->lines);
    if (!t->start_compute_ms || !t->end_compute_ms || !t->latency_ms || !t->compute_ms || !t->lines) {
        wp_fail(err, path, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(root, i);
        long line = line_of(lines, n_lines, i);
        if (!json_is_object(o)) {
            wp_fail(err, path, line, "record %zu is not a JSON object (%s)", i + 1, shape);
            goto done;
        }
        double s = 0, e = 0, l = NAN, cm = NAN;
        if (get_num(o, "startComputeMs", 1, &s, path, line, err) != 0 ||
            get_num(o, "endComputeMs", 1, &e, path, line, err) != 0 ||
            get_num(o, "latencyMs", 0, &l, path, line, err) != 0 ||
            get_num(o, "computeMs", 0, &cm, path, line, err) != 0)
            goto done;
        if (e < s) {
            wp_fail(err, path, line, "endComputeMs %g is before startComputeMs %g", e, s);
            goto done;
        }
        if (i > 0 && s < t->start_compute_ms[i - 1]) {
            wp_fail(err, path, line, "startComputeMs %g goes back in time (previous record: %g)", s,
                    t->start_compute_ms[i - 1]);
            goto done;
        }
        t->start_compute_ms[i] = s;
        t->end_compute_ms[i] = e;
        t->latency_ms[i] = l;
        t->compute_ms[i] = cm;
        t->lines[i] = line;
        t->n++;
    }
    rc = 0;
done:
    free(lines);
    json_decref(root);
    if (rc != 0)
        wp_trtexec_times_free(t);
    return rc;
}

int wp_run_info_read_anchor(const char *path, int64_t *anchor_us, wp_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (errno == ENOENT || strstr(je.text, "unable to open"))
            return wp_fail(err, path, 0,
                           "cannot open: trtexec's times count from its own start, and this file (written by "
                           "'wattprof run') says when that was");
        return wp_fail(err, path, je.line > 0 ? je.line : 0, "malformed JSON: %s", je.text);
    }
    json_t *s = json_object_get(root, "child_start");
    int rc = 0;
    if (!json_is_string(s) || wp_ts_parse(json_string_value(s), strlen(json_string_value(s)), anchor_us) != 0)
        rc = wp_fail(err, path, 1, "no \"child_start\" timestamp (YYYYmmdd-HH:MM:SS.ffffff)");
    json_decref(root);
    return rc;
}

int wp_run_info_write(const char *path, char *const *argv, int64_t start_us, int64_t end_us, int exit_code,
                      wp_error *err)
{
    json_t *root = json_object(), *cmd = json_array();
    for (size_t i = 0; argv && argv[i]; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    char ts[WP_TS_BUFSZ];
    json_object_set_new(root, "command", cmd);
    wp_ts_format(start_us, ts);
    json_object_set_new(root, "child_start", json_string(ts));
    wp_ts_format(end_us, ts);
    json_object_set_new(root, "child_end", json_string(ts));
    json_object_set_new(root, "exit_code", json_integer(exit_code));
    json_object_set_new(root, "clock", json_string("local civil time, as the power log"));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    size_t n = text ? strlen(text) : 0;
    char *line = text ? realloc(text, n + 2) : NULL;
    if (!line) {
        free(text);
        return wp_fail(err, path, 0, "out of memory");
    }
    text = line;
    text[n] = '\n';
    text[n + 1] = '\0';
    int rc = wp_atomic_write_all(path, text, n + 1, err);
    free(text);
    return rc;
}

/* C++'s default stream precision: 6 significant digits. */
static double printed_resolution_ms(double v)
{
    v = fabs(v);
    return v > 0 ? pow(10.0, floor(log10(v)) - 5) : 1e-5;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { SMOOTH_HALF = 8 };

/* Start and length (ms) of the n inferences with a compute window. */
static int smooth_windows(const wp_trtexec_times *t, double *start, double *len, size_t n)
{
    size_t *idx = malloc(n * sizeof *idx);
    double *gap = malloc((n ? n : 1) * sizeof *gap), *sorted = malloc((n ? n : 1) * sizeof *sorted);
    double *r = malloc((n ? n : 1) * sizeof *r);
    if (!idx || !gap || !sorted || !r) {
        free(idx);
        free(gap);
        free(sorted);
        free(r);
        return -1;
    }
    size_t c = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->end_compute_ms[i] > t->start_compute_ms[i])
            idx[c++] = i;
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        double w = t->end_compute_ms[i] - t->start_compute_ms[i], cm = t->compute_ms[i];
        double res = printed_resolution_ms(t->end_compute_ms[i]);
        /* computeMs is exact to its own 6 digits; a value that disagrees
         * with the edges beyond their rounding is not trusted */
        len[k] = cm > 0 && fabs(cm - w) <= 2 * res ? cm : w;
        start[k] = t->start_compute_ms[i];
    }
    /* gaps between inferences and their median: a gap far above it (beyond
     * the rounding) is a pause, where smoothing must not reach across */
    for (size_t k = 0; k + 1 < n; k++)
        gap[k] = sorted[k] = start[k + 1] - start[k] - len[k];
    double med = 0;
    if (n > 1) {
        qsort(sorted, n - 1, sizeof *sorted, cmp_double);
        med = sorted[(n - 1) / 2];
    }
    /* r[k]: observed start less the start predicted from the first of its
     * segment by summed lengths and median gaps; its local mean is the
     * rounding-free offset. */
    size_t seg = 0;
    double pred = start[0];
    for (size_t k = 0; k < n; k++) {
        if (k > 0) {
            double res = printed_resolution_ms(start[k]);
            if (gap[k - 1] > med + 3 * res + 0.05 * len[k - 1] || gap[k - 1] < med - 3 * res - 0.05 * len[k - 1]) {
                seg = k; /* a pause (or a hiccup): a new segment */
                pred = start[k];
            } else {
                pred += len[k - 1] + med;
            }
        }
        (void)seg;
        r[k] = start[k] - pred;
        sorted[k] = pred;
    }
    /* smooth r within segments */
    seg = 0;
    for (size_t k = 0; k <= n; k++) {
        int cut = k == n;
        if (!cut && k > seg) {
            double res = printed_resolution_ms(start[k]);
            double g = gap[k - 1];
            cut = g > med + 3 * res + 0.05 * len[k - 1] || g < med - 3 * res - 0.05 * len[k - 1];
        }
        if (!cut)
            continue;
        /* segment [seg, k): running window mean of r */
        for (size_t j = seg; j < k; j++) {
            size_t lo = j >= seg + SMOOTH_HALF ? j - SMOOTH_HALF : seg;
            size_t hi = j + SMOOTH_HALF + 1 < k ? j + SMOOTH_HALF + 1 : k;
            double sum = 0;
            for (size_t m = lo; m < hi; m++)
                sum += r[m];
            start[j] = sorted[j] + sum / (double)(hi - lo);
        }
        seg = k;
    }
    free(idx);
    free(gap);
    free(sorted);
    free(r);
    return 0;
}

int wp_trtexec_place(const wp_trtexec_profile *p, const wp_trtexec_times *t, int64_t anchor_us, wp_latency *lat,
                     wp_windows *win, wp_error *err)
{
    memset(lat, 0, sizeof *lat);
    memset(win, 0, sizeof *win);
    size_t L = p->n_layers, nc = 0;
    double total = 0;
    for (size_t l = 0; l < L; l++)
        total += p->average_ms[l];
    if (!(total > 0))
        return wp_fail(err, NULL, 0, "every layer's averageMs is 0: nothing to place");
    for (size_t i = 0; i < t->n; i++)
        nc += t->end_compute_ms[i] > t->start_compute_ms[i];
    if (nc == 0)
        return wp_fail(err, NULL, 0, "no inference has a compute window (endComputeMs > startComputeMs)");
    lat->n_layers = win->n_layers = L;
    lat->n_cycles = win->n_cycles = nc;
    lat->names = calloc(L, sizeof *lat->names);
    lat->lines = calloc(L, sizeof *lat->lines);
    lat->latency_ms = malloc(L * nc * sizeof *lat->latency_ms);
    lat->reported_us = malloc(L * nc * sizeof *lat->reported_us);
    win->start_us = malloc(L * nc * sizeof *win->start_us);
    win->end_us = malloc(L * nc * sizeof *win->end_us);
    if (!lat->names || !lat->lines || !lat->latency_ms || !lat->reported_us || !win->start_us || !win->end_us)
        goto oom;
    for (size_t l = 0; l < L; l++) {
        if (!(lat->names[l] = strdup(p->names[l])))
            goto oom;
        lat->lines[l] = p->lines[l];
    }
    /* Times are ms after the anchor; the origin is the anchor itself, so a
     * window is (ms * 1000) after it, kept fractional. */
    win->origin_us = anchor_us;
    double *st = malloc(nc * sizeof *st), *ln = malloc(nc * sizeof *ln);
    if (!st || !ln || smooth_windows(t, st, ln, nc) != 0) {
        free(st);
        free(ln);
        goto oom;
    }
    for (size_t c = 0; c < nc; c++) {
        double s = st[c] * 1000.0, e = (st[c] + ln[c]) * 1000.0;
        double scale = (e - s) / total, at = s, acc = 0;
        for (size_t l = 0; l < L; l++) {
            size_t k = l * nc + c;
            acc += p->average_ms[l];
            /* the last layer ends exactly at the window's end */
            double end = l + 1 == L ? e : s + acc * scale;
            win->start_us[k] = at;
            win->end_us[k] = end;
            lat->latency_ms[k] = (end - at) / 1000.0;
            lat->reported_us[k] = anchor_us + (int64_t)llround(end);
            at = end;
        }
    }
    free(st);
    free(ln);
    return 0;
oom:
    wp_latency_free(lat);
    wp_windows_free(win);
    return wp_fail(err, NULL, 0, "out of memory");
}

void wp_trtexec_placement_uncertainty(const wp_trtexec_profile *p, const wp_trtexec_times *t, double *rel)
{
    size_t L = p->n_layers, n = 0;
    double total = 0, sum = 0, sum2 = 0, shift2 = 0, len2 = 0, lat2 = 0;
    for (size_t l = 0; l < L; l++)
        total += p->average_ms[l];
    for (size_t i = 0; i < t->n; i++) {
        double w = t->end_compute_ms[i] - t->start_compute_ms[i], cm = t->compute_ms[i];
        if (!(w > 0))
            continue;
        double rs = printed_resolution_ms(t->start_compute_ms[i]), re = printed_resolution_ms(t->end_compute_ms[i]);
        /* as smooth_windows: computeMs when it agrees with the edges */
        int exact = cm > 0 && fabs(cm - w) <= 2 * re;
        if (exact)
            w = cm;
        n++;
        sum += w;
        sum2 += w * w;
        /* rounding is uniform (variance res^2 / 12); a start is the mean of
         * 2 * SMOOTH_HALF + 1 neighbours' */
        shift2 += rs * rs / 12 / (2 * SMOOTH_HALF + 1);
        len2 += exact ? 0 : (rs * rs + re * re) / 12;
    }
    if (n == 0 || !(total > 0)) {
        for (size_t l = 0; l < L; l++)
            rel[l] = INFINITY;
        return;
    }
    double mean = sum / (double)n, shift_var = shift2 / (double)n, len_var = len2 / (double)n;
    double var = n > 1 ? (sum2 - sum * sum / (double)n) / (double)(n - 1) : 0;
    double *lat = malloc(L * sizeof *lat);
    if (!lat) {
        for (size_t l = 0; l < L; l++)
            rel[l] = INFINITY;
        return;
    }
    for (size_t l = 0; l < L; l++) {
        lat[l] = p->average_ms[l] / total * mean;
        lat2 += lat[l] * lat[l];
    }
    /* The lengths' spread less the rounding's is the layers' own jitter,
     * taken as the same relative jitter j for every layer. */
    double j2 = lat2 > 0 ? (var - len_var) / lat2 : 0;
    if (j2 < 0)
        j2 = 0;
    /* Boundary after layer k, placed at x = a / (a + b) of the window (a:
     * the layers up to k, b: the rest): its error is (b A' - a B') / (a + b)
     * for the jitters A', B' of the two parts, plus the start's error and
     * x times the length's rounding. */
    double a = 0, va = 0, vb = j2 * lat2, prev = sqrt(shift_var);
    for (size_t l = 0; l < L; l++) {
        a += lat[l];
        va += j2 * lat[l] * lat[l];
        vb -= j2 * lat[l] * lat[l];
        if (vb < 0)
            vb = 0;
        double b = mean - a, x = a / mean;
        double ub = sqrt((b * b * va + a * a * vb) / (mean * mean) + shift_var + x * x * len_var);
        double u = prev > ub ? prev : ub;
        rel[l] = lat[l] > 0 ? u / lat[l] : INFINITY;
        prev = ub;
    }
    free(lat);
}

/* Marks the layers a rival (window, offset) moves: one that fits within
 * WP_TRTEXEC_RIVAL_RATIO of the chosen one's residual variance and moves a
 * layer's estimate by more than WP_TRTEXEC_MAX_REL_RIVAL of its power above
 * idle (or leaves it without one) says the run cannot tell which is right.
 * Returns the layers newly marked, -1 on error. */
static long mark_rivals(const wp_deconv_input *in, const wp_deconv_options *dopt, const wp_deconv_result *best,
                        double idle_uw, unsigned char *imprecise, double *worst_ratio, double *rival_offset,
                        wp_error *err)
{
    long marked = 0;
    for (size_t r = 0; r < best->n_rivals; r++) {
        if (!(best->rival_ratio[r] <= WP_TRTEXEC_RIVAL_RATIO))
            break; /* closest first */
        wp_deconv_options o = *dopt;
        o.window_auto = o.offset_auto = 0;
        o.window_us = best->rival_window_us[r];
        o.offset_us = best->rival_offset_us[r];
        wp_deconv_result rr;
        int rc = wp_deconvolve(in, &o, &rr, err);
        if (rc == WP_DECONV_TOO_FEW)
            continue;
        if (rc != 0)
            return -1;
        long here = 0;
        for (size_t l = 0; l < in->n_layers; l++) {
            if (imprecise[l] || best->status[l] != WP_DECONV_OK)
                continue;
            double above = fabs(best->power_uw[l] - idle_uw);
            if (rr.status[l] != WP_DECONV_OK ||
                !(fabs(rr.power_uw[l] - best->power_uw[l]) <= WP_TRTEXEC_MAX_REL_RIVAL * above)) {
                imprecise[l] = 1;
                here++;
            }
        }
        if (here > 0 && marked == 0) {
            *worst_ratio = best->rival_ratio[r];
            *rival_offset = best->rival_offset_us[r];
        }
        marked += here;
        wp_deconv_result_free(&rr);
    }
    return marked;
}

int wp_trtexec_choose_window(const wp_windows *win, const wp_powerlog *log, double idle_uw, wp_deconv_options *dopt,
                             unsigned char *imprecise, char *note, size_t note_size, wp_error *err)
{
    if (note_size)
        note[0] = '\0';
    if (!dopt->window_auto && !dopt->offset_auto)
        return 0;
    size_t L = win->n_layers, nc = win->n_cycles;
    wp_deconv_input in = {L, nc, win->origin_us, win->start_us, win->end_us, log->samples, log->n};
    wp_deconv_result res;
    wp_deconv_options so = *dopt;
    so.valleys = WP_TRTEXEC_VALLEYS;
    int rc;
    if (so.window_auto) {
        /* the window first, as deconvolve finds it */
        rc = wp_deconvolve(&in, dopt, &res, err);
        if (rc == WP_DECONV_TOO_FEW)
            return 0; /* the map step says so, with its counts and hints */
        if (rc != 0)
            return -1;
        so.window_auto = 0;
        so.window_us = res.window_us;
        if (!so.offset_auto)
            so.offset_us = res.offset_us;
        wp_deconv_result_free(&res);
    }
    /* then every valley of the offset: the best, and its rivals */
    so.offset_scan_us = so.offset_auto ? WP_TRTEXEC_OFFSET_SCAN_US : 0;
    rc = wp_deconvolve(&in, &so, &res, err);

    if (rc == WP_DECONV_TOO_FEW)
        return 0;
    if (rc != 0)
        return -1;
    double w = res.window_us, d = res.offset_us, ratio = 0, rival_d = 0;
    long marked = mark_rivals(&in, dopt, &res, idle_uw, imprecise, &ratio, &rival_d, err);
    wp_deconv_result_free(&res);
    if (marked < 0)
        return -1;
    int n = 0;
    if (marked > 0)
        n = snprintf(note, note_size,
                     "report offset not identifiable for %ld layer(s): %.4g us fits within %.0f %% of the residual "
                     "variance at %.4g us and moves their estimates by more than %.0f %% (status imprecise; "
                     "inferences that repeat alike under a sensor window leave only the window edges to place "
                     "them)",
                     marked, rival_d, (ratio - 1) * 100, d, WP_TRTEXEC_MAX_REL_RIVAL * 100);
    if (n < 0 || (size_t)n >= note_size)
        n = 0;
    /* median inference period */
    double period = INFINITY;
    if (nc > 1) {
        double *p = malloc((nc - 1) * sizeof *p);
        if (!p)
            return wp_fail(err, NULL, 0, "out of memory");
        for (size_t c = 0; c + 1 < nc; c++)
            p[c] = win->start_us[c + 1] - win->start_us[c];
        qsort(p, nc - 1, sizeof *p, cmp_double);
        period = p[(nc - 1) / 2];
        free(p);
    }
    double lo = dopt->window_min_us < dopt->window_max_us ? dopt->window_min_us : WP_DECONV_WINDOW_MIN_US;
    double hi = dopt->window_min_us < dopt->window_max_us ? dopt->window_max_us : WP_DECONV_WINDOW_MAX_US;
    int window_auto = dopt->window_auto;
    /* the map step solves once at these, without searching again */
    dopt->window_auto = 0;
    dopt->window_us = w;
    dopt->offset_auto = 0;
    dopt->offset_us = d;
    if (window_auto && (w + period <= hi || w - period >= lo)) {
        for (size_t l = 0; l < L; l++)
            imprecise[l] = 1;
        snprintf(note + n, note_size - (size_t)n,
                 "%ssensor window not identifiable: inferences repeat every %.4g us, so a window of %.4g us and one "
                 "%.4g us longer or shorter fit alike; no layer gets a number. Give the sensor's window "
                 "(--attribution deconvolve --sensor-window-us W: 1100 for a Jetson INA3221 at its defaults)",
                 n ? "; " : "", period, w, period);
    }
    return 0;
}
