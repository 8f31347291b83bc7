/* timestamp, csv, atomic_file, error: the shared plumbing every module uses. */
#include <stdlib.h>

#include "testutil.h"
#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/timestamp.h"

static void test_timestamp_parse(void)
{
    int64_t a, b;
    CHECK_INT(wp_ts_parse("20241121-00:00:01.5", 19, &a), 0);
    CHECK_INT(wp_ts_parse("20241121-00:00:01.500000", 24, &b), 0);
    CHECK_INT(a, b);
    CHECK_INT(wp_ts_parse("20241121-00:00:01.000001", 24, &b), 0);
    CHECK_INT(b - (a - 500000), 1);
    /* Civil time from 1970: 2024-11-21 is day 20048. */
    CHECK_INT(wp_ts_parse("20241121-05:22:50.156286", 24, &a), 0);
    CHECK_INT(a, (20048LL * 86400 + 5 * 3600 + 22 * 60 + 50) * 1000000 + 156286);
    /* Leap day exists in 2024, not in 2023. */
    CHECK_INT(wp_ts_parse("20240229-00:00:00.0", 19, &a), 0);
    CHECK_INT(wp_ts_parse("20230229-00:00:00.0", 19, &a), -1);
    /* Malformed: no fraction, 7 digits, bad separators, out of range. */
    CHECK_INT(wp_ts_parse("20241121-00:00:01", 17, &a), -1);
    CHECK_INT(wp_ts_parse("20241121-00:00:01.", 18, &a), -1);
    CHECK_INT(wp_ts_parse("20241121-00:00:01.1234567", 25, &a), -1);
    CHECK_INT(wp_ts_parse("20241121 00:00:01.5", 19, &a), -1);
    CHECK_INT(wp_ts_parse("20241321-00:00:01.5", 19, &a), -1);
    CHECK_INT(wp_ts_parse("20241121-24:00:01.5", 19, &a), -1);
    CHECK_INT(wp_ts_parse("2024112a-00:00:01.5", 19, &a), -1);
}

static void test_timestamp_roundtrip(void)
{
    char buf[WP_TS_BUFSZ];
    const char *samples[] = {"20241121-05:22:50.156286", "19991231-23:59:59.999999", "20000101-00:00:00.000000",
                             "20240229-12:34:56.000007"};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        int64_t t;
        CHECK_INT(wp_ts_parse(samples[i], strlen(samples[i]), &t), 0);
        CHECK_INT(wp_ts_format(t, buf), 24);
        CHECK_STR(buf, samples[i]);
    }
    /* Every day boundary across 30 years round-trips. */
    int bad = 0;
    for (int64_t day = 0; day < 365 * 60; day += 7) {
        int64_t t = day * 86400000000LL + 86399999999LL, back;
        wp_ts_format(t, buf);
        if (wp_ts_parse(buf, 24, &back) != 0 || back != t)
            bad++;
    }
    CHECK_INT(bad, 0);
    /* now_local advances and formats as a plausible date. */
    int64_t n1 = wp_ts_now_local(), n2 = wp_ts_now_local();
    CHECK(n2 >= n1);
    wp_ts_format(n1, buf);
    CHECK(buf[0] == '2');
}

static void test_format_double(void)
{
    char buf[WP_DOUBLE_BUFSZ];
    struct {
        double v;
        const char *text;
    } cases[] = {{6250000.0, "6250000.0"},
                 {0.1, "0.1"},
                 {1250000.0, "1250000.0"},
                 {400.0, "400.0"},
                 {0.03030399978160858, "0.03030399978160858"},
                 {-2.5, "-2.5"},
                 {1e-07, "1e-07"},
                 {1e16, "1e+16"},
                 {1e15, "1000000000000000.0"},
                 {0.0, "0.0"},
                 {1.0 / 3, "0.3333333333333333"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        wp_format_double(cases[i].v, buf);
        CHECK_STR(buf, cases[i].text);
    }
    /* Round trip on awkward values. */
    srand(7);
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        double v = (rand() - RAND_MAX / 2) * 1e-3 / (1 + rand() % 1000) * (i % 7 == 0 ? 1e9 : 1);
        wp_format_double(v, buf);
        if (strtod(buf, NULL) != v)
            bad++;
    }
    CHECK_INT(bad, 0);
}

static void test_csv_reader(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "a.csv");
    test_write_file(p, "name,x,y\n\"a,b\",1.5,\nplain,2,3e2\r\n\nbad,x1,2\nshort,1\n");
    wp_csv_reader r;
    wp_error err;
    CHECK_INT(wp_csv_open(&r, p, &err), 0);
    int cx = wp_csv_require(&r, "x", &err), cy = wp_csv_column(&r, "y");
    CHECK_INT(cx, 1);
    CHECK_INT(cy, 2);
    CHECK_INT(wp_csv_require(&r, "nope", &err), -1);
    CHECK_CONTAINS(err.msg, "missing column 'nope'");
    double v;
    CHECK_INT(wp_csv_next(&r, &err), 1);
    CHECK_STR(r.fields[0], "a,b");
    CHECK_INT(wp_csv_double(&r, cx, 0, &v, &err), 0);
    CHECK_NEAR(v, 1.5, 0);
    CHECK_INT(wp_csv_double(&r, cy, 1, &v, &err), 0);
    CHECK(isnan(v));
    CHECK_INT(wp_csv_double(&r, cy, 0, &v, &err), -1);
    CHECK_CONTAINS(err.msg, ":2: column 'y' is empty");
    CHECK_INT(wp_csv_next(&r, &err), 1);
    CHECK_INT(wp_csv_double(&r, cy, 0, &v, &err), 0);
    CHECK_NEAR(v, 300, 0);
    CHECK_INT(wp_csv_next(&r, &err), 1); /* blank line skipped */
    CHECK_INT(r.line, 5);
    CHECK_INT(wp_csv_double(&r, cx, 0, &v, &err), -1);
    CHECK_CONTAINS(err.msg, "a.csv:5: column 'x': 'x1' is not a finite number");
    CHECK_INT(wp_csv_next(&r, &err), -1);
    CHECK_CONTAINS(err.msg, "a.csv:6: expected 3 fields, found 2");
    wp_csv_free(&r);
    CHECK_INT(wp_csv_open(&r, test_path(dir, "missing.csv"), &err), -1);
    CHECK_CONTAINS(err.msg, "missing.csv: cannot open: No such file");
    double d;
    CHECK_INT(wp_parse_double("nan", 3, &d), -1);
    CHECK_INT(wp_parse_double("inf", 3, &d), -1);
    CHECK_INT(wp_parse_double(" 12 ", 4, &d), 0);
    CHECK_INT(wp_parse_double("12x", 3, &d), -1);
}

static void test_atomic(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "out.txt");
    wp_error err;
    CHECK_INT(wp_atomic_write_all(p, "old\n", 4, &err), 0);
    wp_atomic_file *af = wp_atomic_open(p, &err);
    CHECK(af != NULL);
    fputs("half-written", wp_atomic_stream(af));
    fflush(wp_atomic_stream(af));
    /* Before commit the target still holds the old content. */
    char *text = test_read_file(p);
    CHECK_STR(text, "old\n");
    free(text);
    CHECK_INT(test_count_entries(dir, ".out.txt.tmp-"), 1);
    wp_atomic_abort(af);
    CHECK_INT(test_count_entries(dir, ".out.txt.tmp-"), 0);
    text = test_read_file(p);
    CHECK_STR(text, "old\n");
    free(text);
    af = wp_atomic_open(p, &err);
    fputs("new\n", wp_atomic_stream(af));
    CHECK_INT(wp_atomic_commit(af, &err), 0);
    text = test_read_file(p);
    CHECK_STR(text, "new\n");
    free(text);
    CHECK_INT(test_count_entries(dir, ".out.txt.tmp-"), 0);
    CHECK_INT(wp_atomic_copy(p, test_path(dir, "copy.txt"), &err), 0);
    text = test_read_file(test_path(dir, "copy.txt"));
    CHECK_STR(text, "new\n");
    free(text);
    CHECK_INT(wp_atomic_open(test_path(dir, "no/such/dir/x"), &err) == NULL, 1);
    CHECK_INT(wp_mkdirs(test_path(dir, "a/b/c"), &err), 0);
    CHECK(test_file_exists(test_path(dir, "a/b/c")));
}

static void test_cli_dispatch(void)
{
    CHECK_CLI(TEST_LIST("--help"), 0, TEST_LIST("map", "dataset"), NULL);
    CHECK_CLI(TEST_LIST("frobnicate"), 2, NULL, TEST_LIST("unknown command 'frobnicate'"));
}

int main(void)
{
    test_timestamp_parse();
    test_timestamp_roundtrip();
    test_format_double();
    test_csv_reader();
    test_atomic();
    test_cli_dispatch();
    return test_summary();
}
