/* csv: pandas-dialect CSV reading and writing and shortest round-trip
 * numbers (wattprof/csv.h); every record keeps its line number for errors. */
#include "wattprof/csv.h"

#include <errno.h>
#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/array.h"

static size_t format_double_slow(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, WP_DOUBLE_BUFSZ, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, WP_DOUBLE_BUFSZ, v < 0 ? "-inf" : "inf");
    int n = 0;
    /* Python's repr uses exponents from 1e16 on, whatever the digits. */
    int sci = fabs(v) >= 1e16;
    for (int prec = 1; prec <= 17; prec++) {
        n = sci ? snprintf(buf, WP_DOUBLE_BUFSZ, "%.*e", prec - 1, v) : snprintf(buf, WP_DOUBLE_BUFSZ, "%.*g", prec, v);
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

/* Fast exact path for wp_format_double.
 *
 * The loop above costs ~3 us per value (up to 17 snprintf + strtod), which
 * dominated `wattprof map` (millions of numbers). digits_exact (below) does
 * the common range in 128-bit integers; elsewhere (digits_ld) the 17
 * significant digits come from one extended-precision multiplication, and the shorter
 * candidates are checked exactly (Clinger: an integer below 2^53 and 10^k,
 * k <= 22, are exact doubles, so one IEEE division or multiplication is
 * correctly rounded) or with strtod. Where rounding is too close to call
 * (a fraction within 1/100 of one half; the product's error is below 0.006)
 * the digits come from one printf instead; values outside 1e-11..1e43 use
 * the loop. The output is identical to the loop's (tests/test_format_double.c).
 *
 * Why this is the shortest round-trip text: any decimal of at most 15
 * significant digits that reads back as v is unique and equals v rounded to
 * 15 digits (with trailing zeros); otherwise v rounded to 16 digits, if it
 * reads back, is the nearest 16-digit decimal; otherwise the correctly
 * rounded 17 digits are. */
#if LDBL_MANT_DIG >= 64
static const double p10d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static long double p10l(int k)
{
    /* 10^k for 0 <= k <= 27 is exact in a 64-bit mantissa (5^27 < 2^64). */
    long double r = 1;
    for (int i = 0; i < k; i++)
        r *= 10;
    return r;
}

/* m * 10^e == a exactly as a double, when decidable by Clinger; -1 when not. */
static int reads_back(uint64_t m, int e, double a)
{
    if (m <= (1ULL << 53) && e >= -22 && e <= 22) {
        double x = e >= 0 ? (double)m * p10d[e] : (double)m / p10d[-e];
        return x == a;
    }
    char t[48];
    snprintf(t, sizeof t, "%llue%d", (unsigned long long)m, e);
    return strtod(t, NULL) == a;
}

/* Rounds x to an integer unless x is too close to a half. */
static int round_clear(long double x, uint64_t *out)
{
    long double f = floorl(x);
    long double frac = x - f;
    if (fabsl(frac - 0.5L) < 0.01L)
        return -1;
    *out = (uint64_t)f + (frac > 0.5L);
    return 0;
}

/* v rounded to nd significant digits by printf (exact in glibc and every
 * correctly rounding libc), as an integer at decimal exponent e10 - nd + 1;
 * used when the fast product is too close to a half to round itself. */
static int exact_digits(double a, int nd, int e10, uint64_t *out)
{
    char t[48];
    snprintf(t, sizeof t, "%.*e", nd - 1, a);
    uint64_t m = 0;
    const char *p = t;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            m = m * 10 + (uint64_t)(*p - '0');
    if (*p != 'e')
        return -1;
    int ex = atoi(p + 1);
    if (ex == e10 + 1)
        m *= 10; /* rounded up to the next power of ten */
    else if (ex != e10)
        return -1;
    *out = m;
    return 0;
}

/* The long double search below: 17 digits of a (finite, non-zero) from one
 * extended-precision product, shorter candidates checked by reads_back. */
static int digits_ld(double a, uint64_t *digits_out, int *ndig_out, int *e10_out)
{
    int e10 = (int)floor(log10(a));
    long double x = 0;
    int k = 0;
    for (int tries = 0; tries < 3; tries++) {
        k = 16 - e10;
        if (k < -27 || k > 27)
            return -1;
        x = k >= 0 ? (long double)a * p10l(k) : (long double)a / p10l(-k);
        if (x >= 1e17L)
            e10++;
        else if (x < 1e16L)
            e10--;
        else
            break;
    }
    if (x < 1e16L || x >= 1e17L)
        return -1;
    uint64_t digits, m;
    int ndig;
    /* at most 15 digits? */
    if (round_clear(x / 100, &m) == 0 && m > 0 && reads_back(m, e10 - 14, a) == 1) {
        digits = m;
        ndig = 15;
    } else {
        if (round_clear(x / 10, &m) != 0 && exact_digits(a, 16, e10, &m) != 0)
            return -1;
        int r = reads_back(m, e10 - 15, a);
        if (r == 1) {
            digits = m;
            ndig = 16;
        } else {
            if (round_clear(x, &m) != 0 && exact_digits(a, 17, e10, &m) != 0)
                return -1;
            digits = m;
            ndig = 17;
        }
    }
    *digits_out = digits;
    *ndig_out = ndig;
    *e10_out = e10;
    return 0;
}
#endif

/* Powers of ten that fit in 64 bits: the exact path and the digit trimming of
 * format_double_fast both index it. */
static const uint64_t p10u64[20] = {1ULL,
                                    10ULL,
                                    100ULL,
                                    1000ULL,
                                    10000ULL,
                                    100000ULL,
                                    1000000ULL,
                                    10000000ULL,
                                    100000000ULL,
                                    1000000000ULL,
                                    10000000000ULL,
                                    100000000000ULL,
                                    1000000000000ULL,
                                    10000000000000ULL,
                                    100000000000000ULL,
                                    1000000000000000ULL,
                                    10000000000000000ULL,
                                    100000000000000000ULL,
                                    1000000000000000000ULL,
                                    10000000000000000000ULL};

#ifdef __SIZEOF_INT128__
/* The same digits in exact integer arithmetic, for the values CSVs are made
 * of (about 1e-5 to 2^53: latencies, powers, energies). The search above
 * costs an x87 long double product, floorl and its control-word switches,
 * log10, and strtod or printf whenever a candidate is past 2^53 or too close
 * to a half; that made it the bulk of `map`'s CPU time (bench_format_double).
 * Here a = M * 2^-s exactly, so x = a * 10^k = M * 10^k / 2^s is an exact
 * fraction of 128-bit integers (M < 2^53, 10^k <= 10^21 < 2^70), every
 * rounding is exact (half to even, as printf rounds) and "reads back" is
 * the exact test of lying within a's rounding interval (half an ulp each
 * side, a quarter below a power of two, the even mantissa taking a tie):
 * the answers strtod and printf give, so the text is the same. */
typedef unsigned __int128 wp_u128;

static wp_u128 p10q(int k)
{
    return k <= 19 ? (wp_u128)p10u64[k] : (wp_u128)p10u64[19] * p10u64[k - 19];
}

typedef struct exact_x {
    wp_u128 p;   /* x * 2^s = M * 10^k */
    uint64_t ip; /* floor(x), 17 digits */
    wp_u128 fr;  /* x - ip, in units of 2^-s */
    int s, k;
    uint64_t mant;
} exact_x;

/* x rounded to a multiple of 10^d (d <= 2), half to even, in units of 10^d. */
static uint64_t round_exact(const exact_x *x, int d)
{
    uint64_t pw = p10u64[d];
    uint64_t q = x->ip / pw, r = x->ip % pw;
    wp_u128 twice = (((wp_u128)r << x->s) + x->fr) << 1;
    wp_u128 unit = (wp_u128)pw << x->s;
    if (twice > unit || (twice == unit && (q & 1)))
        q++;
    return q;
}

/* Does c * 10^d (in units of x) read back as a? */
static int reads_back_exact(const exact_x *x, uint64_t c, int d)
{
    wp_u128 v = ((wp_u128)c * p10u64[d]) << x->s;
    int below = v < x->p;
    wp_u128 diff = below ? x->p - v : v - x->p;
    /* a's ulp is 10^k here; the gap below a power of two is half that */
    wp_u128 lhs = diff << (below && x->mant == (1ULL << 52) ? 2 : 1);
    wp_u128 ulp = p10q(x->k);
    if (lhs != ulp)
        return lhs < ulp;
    return (x->mant & 1) == 0;
}

static int digits_exact(double a, uint64_t *digits_out, int *ndig_out, int *e10_out)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int be = (int)(bits >> 52) & 0x7ff;
    if (be == 0 || be == 0x7ff)
        return -1;
    exact_x x;
    x.mant = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int E = be - 1075; /* a = mant * 2^E */
    if (E > 0)
        return -1;
    x.s = -E;
    /* 2^(E+52) <= a < 2^(E+53): floor(log10(a)) is this or one more */
    int e10 = (int)floor((double)(E + 52) * 0.30102999566398120);
    for (int tries = 0;; tries++) {
        x.k = 16 - e10;
        if (x.k < 0 || x.k > 21 || tries == 3)
            return -1;
        x.p = (wp_u128)x.mant * p10q(x.k);
        wp_u128 q = x.p >> x.s;
        if (q >= p10u64[17]) {
            e10++;
        } else if (q < p10u64[16]) {
            e10--;
        } else {
            x.ip = (uint64_t)q;
            x.fr = x.p - (q << x.s);
            break;
        }
    }
    uint64_t m = round_exact(&x, 2);
    if (m > 0 && reads_back_exact(&x, m, 2)) {
        *ndig_out = 15;
    } else {
        m = round_exact(&x, 1);
        if (reads_back_exact(&x, m, 1)) {
            *ndig_out = 16;
        } else {
            m = round_exact(&x, 0);
            *ndig_out = 17;
        }
    }
    *digits_out = m;
    *e10_out = e10;
    return 0;
}
#endif

static size_t format_double_fast(double v, char *buf)
{
    if (!isfinite(v))
        return 0;
    if (v == 0) {
        strcpy(buf, signbit(v) ? "-0.0" : "0.0");
        return strlen(buf);
    }
    double a = fabs(v);
    uint64_t digits;
    int ndig, e10;
    /* whichever of the two paths this platform compiles, exact first */
    int got = -1;
#ifdef __SIZEOF_INT128__
    got = digits_exact(a, &digits, &ndig, &e10);
#endif
#if LDBL_MANT_DIG >= 64
    if (got != 0)
        got = digits_ld(a, &digits, &ndig, &e10);
#endif
    if (got != 0)
        return 0;
    if (digits == p10u64[ndig]) { /* rounded up to the next power of ten */
        digits = 1;
        ndig = 1;
        e10++;
    }
    while (ndig > 1 && digits % 10 == 0) {
        digits /= 10;
        ndig--;
    }
    char d[20];
    for (int i = ndig - 1; i >= 0; i--) {
        d[i] = (char)('0' + digits % 10);
        digits /= 10;
    }
    char *o = buf;
    if (v < 0)
        *o++ = '-';
    if (e10 < -4 || e10 >= 16) {
        *o++ = d[0];
        if (ndig > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)ndig - 1);
            o += ndig - 1;
        }
        o += sprintf(o, "e%c%02d", e10 < 0 ? '-' : '+', e10 < 0 ? -e10 : e10);
    } else if (e10 >= 0) {
        int ip = e10 + 1;
        for (int i = 0; i < ip; i++)
            *o++ = i < ndig ? d[i] : '0';
        *o++ = '.';
        if (ndig > ip) {
            memcpy(o, d + ip, (size_t)(ndig - ip));
            o += ndig - ip;
        } else {
            *o++ = '0';
        }
        *o = '\0';
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -e10 - 1; i++)
            *o++ = '0';
        memcpy(o, d, (size_t)ndig);
        o += ndig;
        *o = '\0';
    }
    return (size_t)(o - buf);
}

size_t wp_format_double(double v, char *buf)
{
    size_t n = format_double_fast(v, buf);
    return n ? n : format_double_slow(v, buf);
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
        if (wp_grow(&r->fields, &r->fields_cap, r->nfields, 16, sizeof *r->fields) != 0)
            return -1;
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
        wp_csv_free(r);
        return wp_fail(err, path, 1, rc == 0 ? "empty file, expected a CSV header" : "out of memory");
    }
    if (split(r) != 0) {
        wp_csv_free(r);
        return wp_fail(err, path, 1, "out of memory");
    }
    r->header = calloc(r->nfields, sizeof *r->header);
    if (!r->header) {
        wp_csv_free(r);
        return wp_fail(err, path, 1, "out of memory");
    }
    r->nheader = r->nfields;
    for (size_t i = 0; i < r->nfields; i++)
        if (!(r->header[i] = strdup(r->fields[i]))) {
            wp_csv_free(r);
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

void wp_csv_free(wp_csv_reader *r)
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
