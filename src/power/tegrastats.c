#include "wattprof/tegrastats.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/array.h"
#include "wattprof/layout.h"
#include "wattprof/timestamp.h"

/* "MM-DD-YYYY HH:MM:SS " at the start of a line: its local civil time. */
static int parse_stamp(const char *s, int64_t *us)
{
    /* Digits only: sscanf's %u takes a sign ("-1" reads as UINT_MAX). */
    static const char shape[] = "00-00-0000 00:00:00";
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == '0' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return -1;
    unsigned mo, d, y, h, mi, se;
    int n = 0;
    if (sscanf(s, "%2u-%2u-%4u %2u:%2u:%2u%n", &mo, &d, &y, &h, &mi, &se, &n) != 6 || n != 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    *us = ((wp_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se) * 1000000);
    return 0;
}

/* "5000mW/5000mW" or "5000/5000": CUR in mW; -1 when not a rail value. */
static int parse_value(const char *tok, double *mw)
{
    char *end;
    errno = 0;
    double v = strtod(tok, &end);
    if (end == tok || errno || !isfinite(v) || v < 0)
        return -1;
    if (strncmp(end, "mW", 2) == 0)
        end += 2;
    if (*end != '/')
        return -1;
    char *e2;
    strtod(end + 1, &e2);
    if (e2 == end + 1)
        return -1;
    if (strncmp(e2, "mW", 2) == 0)
        e2 += 2;
    if (*e2 != '\0')
        return -1;
    *mw = v;
    return 0;
}

static int rail_name_like(const char *t)
{
    if (!*t)
        return 0;
    for (; *t; t++)
        if (!(isupper((unsigned char)*t) || isdigit((unsigned char)*t) || *t == '_'))
            return 0;
    return 1;
}

/* Splits a line into whitespace-separated tokens (in place). */
static size_t tokens(char *line, char **tok, size_t cap)
{
    size_t n = 0;
    for (char *p = strtok(line, " \t\r\n"); p && n < cap; p = strtok(NULL, " \t\r\n"))
        tok[n++] = p;
    return n;
}

/* The rails of a line, "A, B, C", for messages. */
static void list_rails(char **tok, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    double v;
    for (size_t i = 0; i + 1 < n; i++)
        if (rail_name_like(tok[i]) && parse_value(tok[i + 1], &v) == 0) {
            int w = snprintf(out + k, cap - k, "%s%s", k ? ", " : "", tok[i]);
            if (w < 0 || (size_t)w >= cap - k)
                break;
            k += (size_t)w;
        }
    if (!k)
        snprintf(out, cap, "none");
}

void wp_tegrastats_options_init(wp_tegrastats_options *o)
{
    memset(o, 0, sizeof *o);
}

int wp_tegrastats_sniff(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    char line[4096];
    int yes = 0;
    while (fgets(line, sizeof line, fp)) {
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        yes = strstr(line, "RAM ") != NULL && (strstr(line, "CPU [") != NULL || strstr(line, "mW/") != NULL);
        break;
    }
    fclose(fp);
    return yes;
}

int wp_tegrastats_read(const char *path, const wp_tegrastats_options *opt, wp_powerlog *log, char *rail_used,
                       size_t rail_size, wp_error *err)
{
    memset(log, 0, sizeof *log);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return wp_fail_errno(err, path, errno, "cannot open tegrastats log");
    static const char *const defaults[] = {"VDD_IN", "POM_5V_IN", "VIN_SYS_5V0"};
    char rail[64] = "";
    if (opt && opt->rail)
        snprintf(rail, sizeof rail, "%s", opt->rail);
    size_t cap = 0, n = 0;
    double *mw = NULL;
    int64_t *stamp = NULL;
    long *lines = NULL;
    int stamped = -1, rc = -1;
    char *buf = NULL;
    size_t bufcap = 0;
    long lineno = 0;
    ssize_t len;
    while ((len = getline(&buf, &bufcap, fp)) >= 0) {
        lineno++;
        if (strspn(buf, " \t\r\n") == (size_t)len)
            continue;
        int64_t st = 0;
        int has = parse_stamp(buf, &st) == 0;
        if (stamped < 0)
            stamped = has;
        else if (stamped != has) {
            wp_fail(err, path, lineno, "%s a timestamp where the first line %s", has ? "has" : "lacks",
                    has ? "had none" : "had one");
            goto done;
        }
        char *tok[512];
        size_t nt = tokens(buf + (has ? 19 : 0), tok, 512);
        if (!rail[0]) {
            for (size_t d = 0; d < 3 && !rail[0]; d++)
                for (size_t i = 0; i + 1 < nt; i++)
                    if (strcmp(tok[i], defaults[d]) == 0)
                        snprintf(rail, sizeof rail, "%s", defaults[d]);
        }
        double v = NAN;
        for (size_t i = 0; rail[0] && i + 1 < nt; i++)
            if (strcmp(tok[i], rail) == 0) {
                if (parse_value(tok[i + 1], &v) != 0) {
                    wp_fail(err, path, lineno, "rail %s: '%s' is not a reading (expected CUR/AVG in mW)", rail,
                            tok[i + 1]);
                    goto done;
                }
                break;
            }
        if (isnan(v)) {
            char rails[1024];
            list_rails(tok, nt, rails, sizeof rails);
            if (!strstr(buf + (has ? 19 : 0), "RAM") && !strcmp(rails, "none"))
                wp_fail(err, path, lineno, "not a tegrastats line");
            else if (rail[0])
                wp_fail(err, path, lineno, "no rail %s in this line (rails: %s)", rail, rails);
            else
                wp_fail(err, path, lineno,
                        "none of the input rails " WP_TEGRASTATS_DEFAULT_RAILS " in this line: name one (rails: %s)",
                        rails);
            goto done;
        }
        if (has && n > 0 && st < stamp[n - 1]) {
            wp_fail(err, path, lineno, "timestamp goes back in time");
            goto done;
        }
        if (n == cap) {
            cap = wp_next_cap(cap, 1024);
            if (wp_grow_to(&mw, cap, sizeof *mw) || wp_grow_to(&stamp, cap, sizeof *stamp) ||
                wp_grow_to(&lines, cap, sizeof *lines)) {
                wp_fail(err, path, lineno, "out of memory");
                goto done;
            }
        }
        mw[n] = v;
        stamp[n] = st;
        lines[n] = lineno;
        n++;
    }
    if (ferror(fp)) {
        wp_fail_errno(err, path, EIO, "cannot read tegrastats log");
        goto done;
    }
    if (n == 0) {
        wp_fail(err, path, 0, "tegrastats log has no readings");
        goto done;
    }
    double dt_us = opt && opt->interval_ms > 0 ? opt->interval_ms * 1000 : NAN;
    double a;
    if (!stamped) {
        if (!(opt && opt->start_us && opt->interval_ms > 0)) {
            wp_fail(
                err, path, lines[0],
                "no timestamps (JetPack 4's tegrastats writes none): give its start and --interval in " WP_TEGRASTATS_START
                " beside it: {\"start\": \"YYYYmmdd-HH:MM:SS.ffffff\", \"interval_ms\": N} "
                "(docs/trtexec.md, tegrastats)");
            goto done;
        }
        a = (double)opt->start_us;
    } else {
        /* first and last change of second */
        size_t i1 = 0, i2 = 0;
        for (size_t i = 1; i < n; i++)
            if (stamp[i] != stamp[i - 1]) {
                if (!i1)
                    i1 = i;
                i2 = i;
            }
        if (isnan(dt_us)) {
            if (i2 > i1)
                dt_us = (double)(stamp[i2] - stamp[i1]) / (double)(i2 - i1);
            else if (i1)
                dt_us = (double)(stamp[n - 1] - stamp[0]) / (double)(n - 1 ? n - 1 : 1);
            else
                dt_us = 1e6 / (double)n; /* all in one second */
        }
        /* floor(a + i dt) = stamp_i: a in [stamp_i - i dt, stamp_i + 1 s - i dt) */
        double lo = -INFINITY, hi = INFINITY;
        for (size_t i = 0; i < n; i++) {
            double l = (double)stamp[i] - (double)i * dt_us, h = l + 1e6;
            lo = l > lo ? l : lo;
            hi = h < hi ? h : hi;
        }
        if (lo < hi) {
            a = (lo + hi) / 2;
        } else {
            /* lines late or early (a loaded board): the mean offset */
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += (double)stamp[i] + 5e5 - (double)i * dt_us;
            a = s / (double)n;
        }
    }
    log->samples = malloc(n * sizeof *log->samples);
    if (!log->samples) {
        wp_fail(err, path, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        log->samples[i].t_us = (int64_t)llround(a + (double)i * dt_us);
        log->samples[i].power_uw = mw[i] * 1000.0;
    }
    log->n = log->cap = n;
    if (rail_used && rail_size)
        snprintf(rail_used, rail_size, "%s", rail);
    rc = 0;
done:
    free(buf);
    free(mw);
    free(stamp);
    free(lines);
    fclose(fp);
    return rc;
}

int wp_tegrastats_read_start(const char *path, wp_tegrastats_options *o, wp_error *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return wp_fail(err, path, je.line > 0 ? je.line : 0, "malformed JSON: %s", je.text);
    int rc = 0;
    const char *start = json_string_value(json_object_get(doc, "start"));
    json_t *iv = json_object_get(doc, "interval_ms");
    int64_t t;
    if (!start || wp_ts_parse(start, strlen(start), &t) != 0)
        rc = wp_fail(err, path, 0, "\"start\" must be a time as YYYYmmdd-HH:MM:SS.ffffff (local time)");
    else if (!json_is_number(iv) || !(json_number_value(iv) > 0) || !isfinite(json_number_value(iv)))
        rc = wp_fail(err, path, 0, "\"interval_ms\" must be a positive number (tegrastats' --interval)");
    else {
        o->start_us = t;
        o->interval_ms = json_number_value(iv);
    }
    json_decref(doc);
    return rc;
}
