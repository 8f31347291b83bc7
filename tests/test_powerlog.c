/* powerlog: reading upstream power logs, and the errors for bad lines. */
#include <stdlib.h>

#include "testutil.h"
#include "wattprof/powerlog.h"
#include "wattprof/timestamp.h"

static int64_t ts(const char *s)
{
    int64_t t = 0;
    CHECK_INT(wp_ts_parse(s, strlen(s), &t), 0);
    return t;
}

static void test_read_ok(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "ok.log");
    /* 1-6 fractional digits, CRLF, surrounding blanks, blank lines, equal
     * timestamps, no newline at the end, a number strtod needs. */
    test_write_file(p, "20241121-00:00:01.5,5000.0,1100.0\r\n"
                       "\n"
                       "  20241121-00:00:01.500001,5000,1200.25  \n"
                       "20241121-00:00:01.500001,4999.5,-1\n"
                       "20241121-00:00:02.123456,1e3,0.1234567890123456789");
    wp_powerlog log;
    wp_error err = {0};
    CHECK_INT(wp_powerlog_read(p, &log, &err), 0);
    CHECK_INT(log.n, 4);
    if (log.n == 4) {
        CHECK_INT(log.samples[0].t_us, ts("20241121-00:00:01.500000"));
        CHECK(log.samples[0].power_uw == 5500000.0);
        CHECK_INT(log.samples[1].t_us - log.samples[0].t_us, 1);
        CHECK(log.samples[1].power_uw == 5000.0 * 1200.25);
        CHECK(log.samples[2].power_uw == -4999.5);
        CHECK(log.samples[3].power_uw == 1000.0 * strtod("0.1234567890123456789", NULL));
    }
    wp_powerlog_free(&log);
}

static void test_fast_numbers_exact(void)
{
    /* The fast number path must give the same doubles as strtod. */
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "nums.log");
    FILE *fp = fopen(p, "w");
    double v[2000];
    srand(7);
    for (int i = 0; i < 2000; i++) {
        char buf[64];
        int digits = 1 + rand() % 15;
        int frac = rand() % (digits + 1);
        long long m = 0;
        for (int d = 0; d < digits; d++)
            m = m * 10 + rand() % 10;
        snprintf(buf, sizeof buf, "%lld", m);
        size_t len = strlen(buf);
        char num[80];
        if (frac > 0 && (size_t)frac < len)
            snprintf(num, sizeof num, "%.*s.%s", (int)(len - (size_t)frac), buf, buf + len - frac);
        else
            snprintf(num, sizeof num, "%s.0", buf);
        v[i] = strtod(num, NULL);
        fprintf(fp, "20241121-00:00:%02d.%06d,%s,1\n", i / 1000, i % 1000, num);
    }
    fclose(fp);
    wp_powerlog log;
    wp_error err;
    CHECK_INT(wp_powerlog_read(p, &log, &err), 0);
    int bad = 0;
    for (size_t i = 0; i < log.n; i++)
        bad += log.samples[i].power_uw != v[i];
    CHECK_INT(log.n, 2000);
    CHECK_INT(bad, 0);
    wp_powerlog_free(&log);
}

static void expect_error(const char *text, const char *what, const char *line)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "bad.log");
    test_write_file(p, text);
    wp_powerlog log;
    wp_error err = {0};
    CHECK_INT(wp_powerlog_read(p, &log, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s:%s: ", p, line);
    CHECK_CONTAINS(err.msg, want);
    CHECK_CONTAINS(err.msg, what);
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK(log.samples == NULL && log.n == 0);
}

/* A valid line: the inputs below put a damaged one beside it. */
#define GOOD "20241121-00:00:01.0,5000.0,1100.0\n"

static void test_errors(void)
{
    expect_error(GOOD GOOD "20241121-00:00:0x.0,5000.0,1100.0\n", "bad timestamp", "3");
    expect_error(GOOD "20241121-00:00:02.1234567,1,1\n", "bad timestamp", "2");
    expect_error(GOOD "20241121-00:00:02.0,5000.0\n", "missing field", "2");
    expect_error(GOOD "\n20241121-00:00:02.0\n", "missing field", "3");
    expect_error(GOOD "20241121-00:00:02.0,5000.0,abc\n", "not a finite number", "2");
    expect_error(GOOD "20241121-00:00:02.0,nan,1\n", "not a finite number", "2");
    expect_error(GOOD "20241121-00:00:02.0,,1\n", "not a finite number", "2");
    expect_error(GOOD "20241121-00:00:02.0,1,2,3\n", "too many fields", "2");
    expect_error("20241121-00:00:02.0,1,1\n" GOOD, "time goes backwards", "2");

    wp_powerlog log;
    wp_error err;
    CHECK_INT(wp_powerlog_read(test_path(test_tmpdir(), "missing.log"), &log, &err), -1);
    CHECK_CONTAINS(err.msg, "missing.log");
}

static void test_empty_and_large(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "empty.log");
    test_write_file(p, "");
    wp_powerlog log;
    wp_error err;
    CHECK_INT(wp_powerlog_read(p, &log, &err), 0);
    CHECK_INT(log.n, 0);
    wp_powerlog_free(&log);
    /* Lines crossing the reader's internal block boundaries. */
    p = test_path(dir, "large.log");
    FILE *fp = fopen(p, "w");
    int64_t t0 = ts("20241121-00:00:00.0");
    for (int i = 0; i < 60000; i++) {
        char line[WP_POWERLOG_LINE_MAX];
        wp_powerlog_format_line(line, t0 + i * 7, 5000.0 + i % 13, 1000.0 + i % 7);
        fputs(line, fp);
    }
    fclose(fp);
    CHECK_INT(wp_powerlog_read(p, &log, &err), 0);
    CHECK_INT(log.n, 60000);
    int bad = 0;
    for (size_t i = 0; i < log.n; i++)
        bad += log.samples[i].t_us != t0 + (int64_t)i * 7 ||
               log.samples[i].power_uw != (5000.0 + (double)(i % 13)) * (1000.0 + (double)(i % 7));
    CHECK_INT(bad, 0);
    wp_powerlog_free(&log);
}

static void test_format_line(void)
{
    char buf[WP_POWERLOG_LINE_MAX];
    size_t n = wp_powerlog_format_line(buf, ts("20241121-05:22:50.156286"), 5000.0, 0.1);
    CHECK_STR(buf, "20241121-05:22:50.156286,5000.0,0.1\n");
    CHECK_INT(n, strlen(buf));
}

int main(void)
{
    test_read_ok();
    test_fast_numbers_exact();
    test_errors();
    test_empty_and_large();
    test_format_line();
    return test_summary();
}
