/* Power log reader and line formatter.
 *
 * A power log easily holds hundreds of thousands of lines, and every map run
 * reads it whole, so the reader avoids stdio line functions and strtod on the
 * common path: the file is read in large blocks, and numbers of the usual
 * shape ("5000.0", "1100") are converted exactly by the Clinger fast path
 * (an integer mantissa below 2^53 divided by an exact power of ten is
 * correctly rounded). Anything else goes through strtod, so results never
 * depend on which path was taken. */
#include "wattprof/powerlog.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/array.h"
#include "wattprof/csv.h"
#include "wattprof/timestamp.h"
#include "core/fastnum.h"

static int parse_number(const char *s, size_t len, double *out)
{
    if (wp_fast_parse_double(s, len, out) == 0)
        return 0;
    return wp_parse_double(s, len, out);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One line without its '\n'. */
static int parse_line(const char *path, long lineno, const char *s, size_t len, wp_powerlog *log, wp_error *err)
{
    /* Like upstream's strip(): surrounding blanks are not part of the data. */
    while (len && is_blank(*s)) {
        s++;
        len--;
    }
    while (len && is_blank(s[len - 1]))
        len--;
    if (len == 0)
        return 0;
    const char *c1 = memchr(s, ',', len);
    if (!c1)
        return wp_fail(err, path, lineno, "missing field: expected 'timestamp,voltage_mV,current_mA'");
    const char *c2 = memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - s));
    if (!c2)
        return wp_fail(err, path, lineno, "missing field: expected 'timestamp,voltage_mV,current_mA'");
    const char *end = s + len;
    if (memchr(c2 + 1, ',', (size_t)(end - c2 - 1)))
        return wp_fail(err, path, lineno, "too many fields: expected 'timestamp,voltage_mV,current_mA'");
    size_t tlen = (size_t)(c1 - s);
    while (tlen && is_blank(s[tlen - 1]))
        tlen--;
    int64_t t;
    if (wp_ts_parse(s, tlen, &t) != 0)
        return wp_fail(err, path, lineno, "bad timestamp '%.*s' (expected YYYYmmdd-HH:MM:SS.ffffff)", (int)tlen, s);
    double v, a;
    if (parse_number(c1 + 1, (size_t)(c2 - c1 - 1), &v) != 0)
        return wp_fail(err, path, lineno, "voltage '%.*s' is not a finite number", (int)(c2 - c1 - 1), c1 + 1);
    if (parse_number(c2 + 1, (size_t)(end - c2 - 1), &a) != 0)
        return wp_fail(err, path, lineno, "current '%.*s' is not a finite number", (int)(end - c2 - 1), c2 + 1);
    double p = v * a;
    if (!isfinite(p))
        return wp_fail(err, path, lineno, "power (voltage x current) overflows");
    if (log->n && t < log->samples[log->n - 1].t_us)
        return wp_fail(err, path, lineno, "time goes backwards (sample earlier than the line before)");
    if (wp_grow(&log->samples, &log->cap, log->n, 4096, sizeof *log->samples) != 0)
        return wp_fail(err, path, lineno, "out of memory");
    log->samples[log->n].t_us = t;
    log->samples[log->n].power_uw = p;
    log->n++;
    return 0;
}

int wp_powerlog_read(const char *path, wp_powerlog *log, wp_error *err)
{
    memset(log, 0, sizeof *log);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return wp_fail_errno(err, path, errno, "cannot open power log");
    enum { BLOCK = 1 << 20 };
    char *buf = malloc(BLOCK);
    if (!buf) {
        fclose(fp);
        return wp_fail(err, path, 0, "out of memory");
    }
    size_t have = 0; /* bytes of an unfinished line kept at buf[0..have) */
    long lineno = 0;
    int rc = 0, eof = 0;
    while (!eof && rc == 0) {
        size_t got = fread(buf + have, 1, BLOCK - have, fp);
        if (got < BLOCK - have) {
            if (ferror(fp)) {
                rc = wp_fail_errno(err, path, errno ? errno : EIO, "read failed");
                break;
            }
            eof = 1;
        }
        size_t total = have + got;
        const char *p = buf, *end = buf + total;
        for (;;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                break;
            lineno++;
            if ((rc = parse_line(path, lineno, p, (size_t)(nl - p), log, err)) != 0)
                break;
            p = nl + 1;
        }
        if (rc)
            break;
        have = (size_t)(end - p);
        if (eof && have) {
            lineno++;
            rc = parse_line(path, lineno, p, have, log, err);
            have = 0;
        } else if (have == BLOCK) {
            rc = wp_fail(err, path, lineno + 1, "line too long");
        } else {
            memmove(buf, p, have);
        }
    }
    free(buf);
    fclose(fp);
    if (rc)
        wp_powerlog_free(log);
    return rc;
}

void wp_powerlog_free(wp_powerlog *log)
{
    free(log->samples);
    memset(log, 0, sizeof *log);
}

size_t wp_powerlog_format_line(char *buf, int64_t t_us, double voltage_mv, double current_ma)
{
    size_t n = wp_ts_format(t_us, buf);
    buf[n++] = ',';
    n += wp_format_double(voltage_mv, buf + n);
    buf[n++] = ',';
    n += wp_format_double(current_ma, buf + n);
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}
