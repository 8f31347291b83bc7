/* trt_layer_latency.json reader and writer.
 *
 * Why a hand-written streaming reader instead of jansson: the file grows with
 * layers x cycles and reaches hundreds of MB (30,000 cycles x 60 layers is
 * about 190 MB in upstream's indented form). A jansson tree of it holds one
 * json_t per number, string, list and pair - several hundred bytes per entry
 * - so loading it takes gigabytes and many seconds (bench/bench_map.c
 * measures jansson's json_load_file on the same file and prints both). This
 * reader consumes the file through a fixed 256 KiB buffer and stores each
 * entry as 16 bytes (a double and an int64) in a layer x cycle table, so
 * memory is the table itself and the time is one pass over the bytes.
 *
 * It accepts exactly the document shape upstream writes,
 *     { "name": [ [latency_ms, "timestamp"], ... ], ... }
 * with any JSON whitespace, string escapes (including \uXXXX and surrogate
 * pairs) and number syntax, and reports every problem with its line. */
#include "wattprof/latency.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fastnum.h"
#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/fsutil.h"
#include "wattprof/nameindex.h"
#include "wattprof/timestamp.h"

enum { RD_BUF = 1 << 18 };

typedef struct rd {
    FILE *fp;
    const char *path;
    unsigned char *buf;
    size_t pos, len;
    long line;
    int eof;
    double consumed, total;
    const wp_progress *progress;
    wp_error *err;
    int untimed_ok; /* plain latencies accepted (no timestamp: 0) */
    /* scratch for the current string */
    char *s;
    size_t slen, scap;
} rd;

static int refill(rd *r)
{
    if (r->eof)
        return -1;
    r->consumed += (double)r->len;
    r->len = fread(r->buf, 1, RD_BUF, r->fp);
    r->pos = 0;
    if (r->len == 0) {
        r->eof = 1;
        return -1;
    }
    wp_progress_report(r->progress, "reading latency", r->consumed, r->total);
    return 0;
}

/* Next byte without consuming it, -1 at end of file. */
static inline int peek(rd *r)
{
    if (r->pos == r->len && refill(r) != 0)
        return -1;
    return r->buf[r->pos];
}

static inline int getb(rd *r)
{
    if (r->pos == r->len && refill(r) != 0)
        return -1;
    return r->buf[r->pos++];
}

static int fail_at(rd *r, const char *what)
{
    return wp_fail(r->err, r->path, r->line, "%s", what);
}

static int unexpected(rd *r, int c, const char *expected)
{
    if (c < 0)
        return wp_fail(r->err, r->path, r->line, "truncated JSON: file ends where %s was expected", expected);
    if (c >= 0x20 && c < 0x7f)
        return wp_fail(r->err, r->path, r->line, "malformed JSON: '%c' where %s was expected", c, expected);
    return wp_fail(r->err, r->path, r->line, "malformed JSON: byte 0x%02x where %s was expected", c, expected);
}

static inline int skip_ws(rd *r)
{
    for (;;) {
        int c = peek(r);
        if (c == ' ' || c == '\t' || c == '\r') {
            r->pos++;
        } else if (c == '\n') {
            r->pos++;
            r->line++;
        } else {
            return c;
        }
    }
}

static int expect(rd *r, int want, const char *what)
{
    int c = skip_ws(r);
    if (c != want)
        return unexpected(r, c, what);
    r->pos++;
    return 0;
}

static int sput(rd *r, char c)
{
    if (r->slen + 1 >= r->scap) {
        size_t cap = r->scap ? r->scap * 2 : 256;
        char *p = realloc(r->s, cap);
        if (!p)
            return fail_at(r, "out of memory");
        r->s = p;
        r->scap = cap;
    }
    r->s[r->slen++] = c;
    return 0;
}

static int put_utf8(rd *r, unsigned cp)
{
    char b[4];
    int n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18);
        b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    for (int i = 0; i < n; i++)
        if (sput(r, b[i]) != 0)
            return -1;
    return 0;
}

static int hex4(rd *r, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = getb(r);
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return c < 0 ? unexpected(r, c, "a \\u escape") : fail_at(r, "malformed JSON: bad \\u escape");
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

/* Reads a JSON string (after skipping whitespace) into r->s, NUL-terminated. */
static int read_string(rd *r, const char *what)
{
    int c = skip_ws(r);
    if (c != '"')
        return unexpected(r, c, what);
    r->pos++;
    r->slen = 0;
    for (;;) {
        /* copy plain runs straight from the buffer */
        if (r->pos == r->len && refill(r) != 0)
            return unexpected(r, -1, "the end of a string");
        const unsigned char *p = r->buf + r->pos, *end = r->buf + r->len, *q = p;
        while (q < end && *q != '"' && *q != '\\' && *q >= 0x20)
            q++;
        size_t run = (size_t)(q - p);
        if (run) {
            if (r->slen + run + 1 >= r->scap) {
                size_t cap = r->scap ? r->scap : 256;
                while (r->slen + run + 1 >= cap)
                    cap *= 2;
                char *ns = realloc(r->s, cap);
                if (!ns)
                    return fail_at(r, "out of memory");
                r->s = ns;
                r->scap = cap;
            }
            memcpy(r->s + r->slen, p, run);
            r->slen += run;
            r->pos += run;
        }
        if (q == end)
            continue;
        c = getb(r);
        if (c == '"')
            break;
        if (c != '\\')
            return fail_at(r, c == '\n' ? "malformed JSON: line break inside a string"
                                        : "malformed JSON: control character inside a string");
        c = getb(r);
        int rc = 0;
        switch (c) {
        case '"': rc = sput(r, '"'); break;
        case '\\': rc = sput(r, '\\'); break;
        case '/': rc = sput(r, '/'); break;
        case 'b': rc = sput(r, '\b'); break;
        case 'f': rc = sput(r, '\f'); break;
        case 'n': rc = sput(r, '\n'); break;
        case 'r': rc = sput(r, '\r'); break;
        case 't': rc = sput(r, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(r, &cp) != 0)
                return -1;
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (getb(r) != '\\' || getb(r) != 'u')
                    return fail_at(r, "malformed JSON: unpaired surrogate in \\u escape");
                if (hex4(r, &lo) != 0)
                    return -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return fail_at(r, "malformed JSON: unpaired surrogate in \\u escape");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                return fail_at(r, "malformed JSON: unpaired surrogate in \\u escape");
            }
            if (cp == 0)
                return fail_at(r, "\\u0000 inside a string is not supported");
            rc = put_utf8(r, cp);
            break;
        }
        default: return c < 0 ? unexpected(r, c, "an escape") : fail_at(r, "malformed JSON: bad escape in string");
        }
        if (rc)
            return -1;
    }
    if (sput(r, '\0') != 0)
        return -1;
    r->slen--;
    return 0;
}

/* bytes that may appear in a number token (including NaN / Infinity) */
static const unsigned char number_char[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1, ['N'] = 1,
    ['a'] = 1, ['I'] = 1, ['n'] = 1, ['f'] = 1, ['i'] = 1, ['t'] = 1, ['y'] = 1,
};

/* A JSON number, or Python's NaN / Infinity / -Infinity (reported as
 * non-finite, which is what they are). */
static int read_number(rd *r, double *out)
{
    char tok[64];
    size_t n = 0;
    int c = skip_ws(r);
    while (c >= 0 && number_char[c]) {
        if (n + 1 >= sizeof tok)
            return fail_at(r, "malformed JSON: number too long");
        tok[n++] = (char)c;
        r->pos++;
        c = peek(r);
    }
    tok[n] = '\0';
    if (n == 0)
        return unexpected(r, c, "a latency (number)");
    if ((tok[0] == 'N' || tok[0] == 'I' || tok[1] == 'I') &&
        (!strcmp(tok, "NaN") || !strcmp(tok, "Infinity") || !strcmp(tok, "-Infinity")))
        return wp_fail(r->err, r->path, r->line, "latency %s is not finite", tok);
    if (wp_fast_parse_double(tok, n, out) == 0)
        return 0;
    if (wp_parse_double(tok, n, out) != 0)
        return wp_fail(r->err, r->path, r->line, "malformed JSON: '%s' is not a finite number", tok);
    return 0;
}

/* One latency in ms, checked the same way in both list shapes. */
static int read_latency(rd *r, double *lat)
{
    if (read_number(r, lat) != 0)
        return -1;
    if (*lat < 0)
        return wp_fail(r->err, r->path, r->line, "negative latency %g ms", *lat);
    if (*lat > WP_LATENCY_MAX_MS)
        return wp_fail(r->err, r->path, r->line, "value out of range: latency %g ms (at most %g)", *lat,
                       WP_LATENCY_MAX_MS);
    return 0;
}

/* After a list's or object's member: ',' (0, another follows), CLOSE (1, the
 * end), anything else an error naming WHAT was expected (-1). */
static int list_next(rd *r, int close, const char *what)
{
    int c = skip_ws(r);
    if (c == ',' || c == close) {
        r->pos++;
        return c == close;
    }
    return unexpected(r, c, what);
}

typedef struct table {
    size_t n_layers, cap_layers;
    size_t n_cycles;  /* known once the first layer ends */
    size_t first_cap; /* growing capacity while reading the first layer */
    double *lat;
    int64_t *rep;
    char **names;
    long *lines;
    size_t names_cap;
    char *pending;       /* name of the layer being read, owned here until it ends */
    wp_name_index index; /* duplicate detection */
} table;

static const char *name_at(const void *names, size_t i)
{
    return ((char *const *)names)[i];
}

/* Returns the index of an existing layer with this name, or adds it to the
 * index as layer n_layers and returns (size_t)-1; (size_t)-2: no memory. */
static size_t hash_find_or_add(table *t, const char *name)
{
    long dup = wp_name_index_find(&t->index, name, name_at, t->names);
    if (dup >= 0)
        return (size_t)dup;
    if (wp_name_index_add(&t->index, name, t->n_layers, name_at, t->names) != 0)
        return (size_t)-2;
    return (size_t)-1;
}

static int table_reserve_layer(table *t)
{
    if (t->n_layers == t->names_cap) {
        size_t cap = wp_next_cap(t->names_cap, 16);
        if (wp_grow_to(&t->names, cap, sizeof *t->names) || wp_grow_to(&t->lines, cap, sizeof *t->lines))
            return -1;
        t->names_cap = cap;
    }
    if (t->n_layers >= 1 && t->n_layers == t->cap_layers) {
        size_t cap = t->cap_layers * 2;
        size_t cells = cap * t->n_cycles;
        if (t->n_cycles && cells / t->n_cycles != cap)
            return -1;
        if (wp_grow_to(&t->lat, cells ? cells : 1, sizeof *t->lat) ||
            wp_grow_to(&t->rep, cells ? cells : 1, sizeof *t->rep))
            return -1;
        t->cap_layers = cap;
    }
    return 0;
}

/* Stores entry `i` of the current layer (the first layer grows freely). */
static int table_put(table *t, size_t i, double lat, int64_t rep)
{
    if (t->n_layers == 0) {
        if (i == t->first_cap) {
            size_t cap = wp_next_cap(t->first_cap, 1024);
            if (wp_grow_to(&t->lat, cap, sizeof *t->lat) || wp_grow_to(&t->rep, cap, sizeof *t->rep))
                return -1;
            t->first_cap = cap;
        }
        t->lat[i] = lat;
        t->rep[i] = rep;
        return 0;
    }
    size_t at = t->n_layers * t->n_cycles + i;
    t->lat[at] = lat;
    t->rep[at] = rep;
    return 0;
}

/* Stores cycle *I's entry of the layer being read and reads past what follows
 * it: 0 another entry comes, 1 the list ended, -1 an error. */
static int put_entry(rd *r, table *t, size_t *i, double lat, int64_t rep)
{
    if (table_put(t, *i, lat, rep) != 0)
        return fail_at(r, "out of memory");
    (*i)++;
    return list_next(r, ']', "',' or ']' in a layer's list");
}

static int parse_document(rd *r, table *t)
{
    if (skip_ws(r) == '[')
        /* trtexec's --exportProfile / --exportTimes are arrays */
        return fail_at(r, "a JSON array, not trt_layer_latency.json's object of layers: trtexec's "
                          "--exportProfile or --exportTimes file? map reads those as "
                          "trt_profiling/trtexec_profile.json and trtexec_times.json beside run_info.json "
                          "(docs/trtexec.md)");
    if (expect(r, '{', "'{' (a JSON object of layers)") != 0)
        return -1;
    int c = skip_ws(r);
    if (c == '}') {
        r->pos++;
    } else {
        for (;;) {
            long name_line;
            if (read_string(r, "a layer name (string)") != 0)
                return -1;
            name_line = r->line;
            if (table_reserve_layer(t) != 0)
                return fail_at(r, "out of memory");
            size_t dup = hash_find_or_add(t, r->s);
            if (dup == (size_t)-2)
                return fail_at(r, "out of memory");
            if (dup != (size_t)-1)
                return wp_fail(r->err, r->path, name_line, "duplicate layer name '%s' (first at line %ld)", r->s,
                               t->lines[dup]);
            char *name = t->pending = strdup(r->s);
            if (!name)
                return fail_at(r, "out of memory");
            if (expect(r, ':', "':' after a layer name") != 0 ||
                expect(r, '[', "'[' (the layer's list of cycles)") != 0)
                return -1;
            t->lines[t->n_layers] = name_line;
            size_t i = 0;
            c = skip_ws(r);
            if (c == ']') {
                r->pos++;
            } else {
                for (;;) {
                    skip_ws(r); /* so an error names the entry's line */
                    if (t->n_layers > 0 && i == t->n_cycles)
                        return wp_fail(
                            r->err, r->path, r->line,
                            "layer '%s' has more entries than layer '%s' (%zu): latency lists must have equal lengths",
                            name, t->names[0], t->n_cycles);
                    /* one look at the next byte per entry (this runs
                     * for every cell): the pair, or what went wrong */
                    int c0 = skip_ws(r);
                    if (c0 != '[') {
                        if ((c0 == '-' || (c0 >= '0' && c0 <= '9')) && r->untimed_ok) {
                            double lat;
                            if (read_latency(r, &lat) != 0)
                                return -1;
                            int end = put_entry(r, t, &i, lat, 0);
                            if (end < 0)
                                return -1;
                            if (end)
                                break;
                            continue;
                        }
                        if (c0 == '-' || (c0 >= '0' && c0 <= '9'))
                            /* {"layer": [ms, ms, ...]}: the original's desktop
                             * profiler, valid JSON of another shape */
                            return wp_fail(r->err, r->path, r->line,
                                           "layer '%s' has latencies without timestamps ({\"layer\": [ms, ...]}, the "
                                           "desktop profiler's format): map needs each cycle's time to line layers up "
                                           "with the power log. Profile with trtexec under 'wattprof run' "
                                           "(docs/trtexec.md) or with the Jetson profiler's [[ms, \"timestamp\"], "
                                           "...]; for runtime alone (no power), 'wattprof map --runtime-only' takes it",
                                           name);
                        return unexpected(r, c0, "'[' (a [latency_ms, \"timestamp\"] pair)");
                    }
                    r->pos++;
                    double lat;
                    if (read_latency(r, &lat) != 0)
                        return -1;
                    if (expect(r, ',', "',' between latency and timestamp") != 0)
                        return -1;
                    if (read_string(r, "a timestamp (string)") != 0)
                        return -1;
                    int64_t ts;
                    if (wp_ts_parse(r->s, r->slen, &ts) != 0)
                        return wp_fail(r->err, r->path, r->line,
                                       "bad timestamp '%s' (expected YYYYmmdd-HH:MM:SS.ffffff)", r->s);
                    if (expect(r, ']', "']' closing a [latency_ms, \"timestamp\"] pair") != 0)
                        return -1;
                    int end = put_entry(r, t, &i, lat, ts);
                    if (end < 0)
                        return -1;
                    if (end)
                        break;
                }
            }
            if (t->n_layers == 0) {
                t->n_cycles = i;
                t->cap_layers = 1;
            } else if (i != t->n_cycles) {
                return wp_fail(
                    r->err, r->path, r->line,
                    "layer '%s' has %zu entries but layer '%s' has %zu: latency lists must have equal lengths", name, i,
                    t->names[0], t->n_cycles);
            }
            t->names[t->n_layers++] = name;
            t->pending = NULL;
            int end = list_next(r, '}', "',' or '}' after a layer");
            if (end < 0)
                return -1;
            if (end)
                break;
        }
    }
    c = skip_ws(r);
    if (c >= 0)
        return fail_at(r, "malformed JSON: data after the end of the document");
    return 0;
}

int wp_latency_read_progress(const char *path, wp_latency *lat, const wp_progress *progress, wp_error *err)
{
    return wp_latency_read_ex(path, lat, progress, 0, err);
}

int wp_latency_read_ex(const char *path, wp_latency *lat, const wp_progress *progress, int untimed_ok, wp_error *err)
{
    memset(lat, 0, sizeof *lat);
    rd r = {0};
    r.untimed_ok = untimed_ok;
    r.path = path;
    r.line = 1;
    r.err = err;
    r.progress = progress;
    r.fp = fopen(path, "rb");
    if (!r.fp)
        return wp_fail_errno(err, path, errno, "cannot open latency file");
    if (fseek(r.fp, 0, SEEK_END) == 0) {
        r.total = (double)ftell(r.fp);
        rewind(r.fp);
    }
    r.buf = malloc(RD_BUF);
    table t = {0};
    int rc;
    if (!r.buf)
        rc = wp_fail(err, path, 0, "out of memory");
    else
        rc = parse_document(&r, &t);
    if (rc == 0 && ferror(r.fp))
        rc = wp_fail_errno(err, path, EIO, "read failed");
    fclose(r.fp);
    free(r.buf);
    free(r.s);
    wp_name_index_free(&t.index);
    if (rc != 0) {
        for (size_t i = 0; i < t.n_layers; i++)
            free(t.names[i]);
        free(t.pending);
        free(t.names);
        free(t.lines);
        free(t.lat);
        free(t.rep);
        return -1;
    }
    lat->n_layers = t.n_layers;
    lat->n_cycles = t.n_cycles;
    lat->names = t.names;
    lat->lines = t.lines;
    lat->latency_ms = t.lat;
    lat->reported_us = t.rep;
    return 0;
}

int wp_latency_read(const char *path, wp_latency *lat, wp_error *err)
{
    return wp_latency_read_progress(path, lat, NULL, err);
}

static void put_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default:
            if (*p < 0x20)
                fprintf(fp, "\\u%04x", *p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

int wp_latency_write(const char *path, const wp_latency *lat, wp_error *err)
{
    for (size_t i = 0; i < lat->n_layers * lat->n_cycles; i++)
        if (!isfinite(lat->latency_ms[i]) || lat->latency_ms[i] < 0)
            return wp_fail(err, path, 0, "cannot write a non-finite or negative latency");
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    FILE *fp = wp_atomic_stream(af);
    /* Upstream's layout (json.dump with indent=4), so files diff cleanly
     * against ones the Python tools wrote. */
    fputs("{", fp);
    for (size_t l = 0; l < lat->n_layers; l++) {
        fputs(l ? ",\n    " : "\n    ", fp);
        put_json_string(fp, lat->names[l]);
        if (lat->n_cycles == 0) {
            fputs(": []", fp);
            continue;
        }
        fputs(": [", fp);
        for (size_t c = 0; c < lat->n_cycles; c++) {
            char num[WP_DOUBLE_BUFSZ], ts[WP_TS_BUFSZ];
            wp_format_double(wp_latency_at(lat, l, c), num);
            wp_ts_format(wp_reported_at(lat, l, c), ts);
            fprintf(fp, "%s\n        [\n            %s,\n            \"%s\"\n        ]", c ? "," : "", num, ts);
        }
        fputs("\n    ]", fp);
    }
    fputs(lat->n_layers ? "\n}" : "}", fp);
    return wp_atomic_commit(af, err);
}

void wp_latency_free(wp_latency *lat)
{
    wp_names_free(lat->names, lat->n_layers);
    free(lat->lines);
    free(lat->latency_ms);
    free(lat->reported_us);
    memset(lat, 0, sizeof *lat);
}
