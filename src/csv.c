#include "wattprof/csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t wp_format_double(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, WP_DOUBLE_BUFSZ, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, WP_DOUBLE_BUFSZ, v < 0 ? "-inf" : "inf");
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(buf, WP_DOUBLE_BUFSZ, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* Python's repr keeps a ".0" on integral values and uses plain digits up
     * to 1e16; %g switches to exponents at 1e<prec>, so rewrite those. */
    char *e = strchr(buf, 'e');
    if (e) {
        int exp10 = atoi(e + 1);
        if (exp10 >= 0 && exp10 < 16)
            n = snprintf(buf, WP_DOUBLE_BUFSZ, "%.1f", v);
        else if (exp10 < -4 || exp10 >= 16) {
            /* Python writes 1e-07 / 1e+16: two-digit exponent, sign kept. */
            return (size_t)n;
        }
    }
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        buf[n++] = '.';
        buf[n++] = '0';
        buf[n] = '\0';
    }
    return (size_t)n;
}

void wp_csv_put_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

void wp_csv_put_double(FILE *fp, double v)
{
    if (isnan(v))
        return;
    char buf[WP_DOUBLE_BUFSZ];
    wp_format_double(v, buf);
    fputs(buf, fp);
}

int wp_parse_double(const char *s, size_t len, double *out)
{
    char tmp[64];
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (len == 0 || len >= sizeof tmp)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + len || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int read_line(wp_csv_reader *r)
{
    size_t len = 0;
    int c;
    int in_quotes = 0;
    while ((c = getc_unlocked(r->fp)) != EOF) {
        if (len + 2 > r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 256;
            char *nb = realloc(r->buf, cap);
            if (!nb)
                return -2;
            r->buf = nb;
            r->cap = cap;
        }
        if (c == '"')
            in_quotes = !in_quotes;
        if (c == '\n' && !in_quotes)
            break;
        r->buf[len++] = (char)c;
    }
    if (c == EOF && len == 0)
        return 0;
    if (len && r->buf[len - 1] == '\r')
        len--;
    r->buf[len] = '\0';
    return 1;
}

static int split(wp_csv_reader *r)
{
    r->nfields = 0;
    char *p = r->buf;
    for (;;) {
        if (r->nfields == r->fields_cap) {
            size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
            char **nf = realloc(r->fields, cap * sizeof *nf);
            if (!nf)
                return -1;
            r->fields = nf;
            r->fields_cap = cap;
        }
        char *out = p;
        r->fields[r->nfields++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    break;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        char sep = *p;
        *out = '\0';
        if (sep != ',')
            break;
        p++;
    }
    return 0;
}

int wp_csv_open(wp_csv_reader *r, const char *path, wp_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->fp = fopen(path, "r");
    if (!r->fp)
        return wp_fail_errno(err, path, errno, "cannot open");
    int rc = read_line(r);
    r->line = 1;
    if (rc <= 0) {
        wp_csv_close(r);
        return wp_fail(err, path, 1, rc == 0 ? "empty file, expected a CSV header" : "out of memory");
    }
    if (split(r) != 0) {
        wp_csv_close(r);
        return wp_fail(err, path, 1, "out of memory");
    }
    r->header = calloc(r->nfields, sizeof *r->header);
    if (!r->header) {
        wp_csv_close(r);
        return wp_fail(err, path, 1, "out of memory");
    }
    r->nheader = r->nfields;
    for (size_t i = 0; i < r->nfields; i++)
        if (!(r->header[i] = strdup(r->fields[i]))) {
            wp_csv_close(r);
            return wp_fail(err, path, 1, "out of memory");
        }
    return 0;
}

int wp_csv_next(wp_csv_reader *r, wp_error *err)
{
    for (;;) {
        int rc = read_line(r);
        if (rc == 0)
            return 0;
        r->line++;
        if (rc < 0 || split(r) != 0)
            return wp_fail(err, r->path, r->line, "out of memory");
        if (r->nfields == 1 && r->fields[0][0] == '\0')
            continue; /* blank line */
        if (r->nfields != r->nheader)
            return wp_fail(err, r->path, r->line, "expected %zu fields, found %zu", r->nheader, r->nfields);
        return 1;
    }
}

int wp_csv_column(const wp_csv_reader *r, const char *name)
{
    for (size_t i = 0; i < r->nheader; i++)
        if (strcmp(r->header[i], name) == 0)
            return (int)i;
    return -1;
}

int wp_csv_require(const wp_csv_reader *r, const char *name, wp_error *err)
{
    int c = wp_csv_column(r, name);
    if (c < 0)
        wp_fail(err, r->path, 1, "missing column '%s'", name);
    return c;
}

int wp_csv_double(const wp_csv_reader *r, int col, int allow_empty, double *out, wp_error *err)
{
    const char *s = r->fields[col];
    if (*s == '\0') {
        if (allow_empty) {
            *out = NAN;
            return 0;
        }
        return wp_fail(err, r->path, r->line, "column '%s' is empty", r->header[col]);
    }
    if (wp_parse_double(s, strlen(s), out) != 0)
        return wp_fail(err, r->path, r->line, "column '%s': '%s' is not a finite number", r->header[col], s);
    return 0;
}

void wp_csv_close(wp_csv_reader *r)
{
    if (r->fp)
        fclose(r->fp);
    for (size_t i = 0; i < r->nheader; i++)
        free(r->header[i]);
    free(r->header);
    free(r->fields);
    free(r->buf);
    memset(r, 0, sizeof *r);
}
