/* Minimal test harness shared by every tests/test_<module>.c.
 *
 * CHECK* record a failure (with file:line) and carry on, so one run shows
 * every broken assertion; main() returns test_summary(), which prints
 * "N passed, N failed" and the exit status ctest reads. */
#ifndef WATTPROF_TESTUTIL_H
#define WATTPROF_TESTUTIL_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

extern int test_passed, test_failed;

void test_fail_at(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (cond)                                                                                                      \
            test_passed++;                                                                                             \
        else                                                                                                           \
            test_fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond);                                                      \
    } while (0)

#define CHECK_INT(a, b)                                                                                                \
    do {                                                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                                                            \
        if (a_ == b_)                                                                                                  \
            test_passed++;                                                                                             \
        else                                                                                                           \
            test_fail_at(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_);                                 \
    } while (0)

#define CHECK_STR(a, b)                                                                                                \
    do {                                                                                                               \
        const char *a_ = (a), *b_ = (b);                                                                               \
        if (a_ && b_ && strcmp(a_, b_) == 0)                                                                           \
            test_passed++;                                                                                             \
        else                                                                                                           \
            test_fail_at(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)",                  \
                         b_ ? b_ : "(null)");                                                                          \
    } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define CHECK_NEAR(a, b, tol)                                                                                          \
    do {                                                                                                               \
        double a_ = (a), b_ = (b);                                                                                     \
        double s_ = fabs(b_) > 1 ? fabs(b_) : 1;                                                                       \
        if (fabs(a_ - b_) <= (tol)*s_)                                                                                 \
            test_passed++;                                                                                             \
        else                                                                                                           \
            test_fail_at(__FILE__, __LINE__, "%s == %.17g, expected %.17g", #a, a_, b_);                               \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                                    \
    do {                                                                                                               \
        const char *h_ = (hay), *n_ = (needle);                                                                        \
        if (h_ && strstr(h_, n_))                                                                                      \
            test_passed++;                                                                                             \
        else                                                                                                           \
            test_fail_at(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", #hay, n_, h_ ? h_ : "(null)");      \
    } while (0)

int test_summary(void);

/* Ends a test's main() as skipped when cond is false: exit status 77 is what
 * tests/CMakeLists.txt gives ctest as SKIP_RETURN_CODE; why says what is
 * missing. */
#define TEST_SKIP_UNLESS(cond, why)                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            printf("skipped: %s\n", why);                                                                              \
            return 77;                                                                                                 \
        }                                                                                                              \
    } while (0)

/* A fresh directory under $TMPDIR (removed by test_cleanup at exit unless
 * WATTPROF_KEEP_TMP is set). Returns a static-lifetime path. */
const char *test_tmpdir(void);
/* path = dir/rel, allocated in a ring of static buffers (valid for a while). */
const char *test_path(const char *dir, const char *rel);
/* dir/rel in memory of its own, valid until the test exits (and freed
 * then): for the paths a test holds across many test_path calls, which reuse
 * their buffers. */
const char *test_path_kept(const char *dir, const char *rel);
/* Creates parent directories and writes text. Aborts the test on failure. */
void test_write_file(const char *path, const char *text);
/* Writes text to root/model/leaf, or leaves that file out when text is NULL:
 * the fixtures that lay out a model's files (a raw dir for map, a mapped dir
 * for dataset) test a missing file that way. */
void test_write_model_file(const char *root, const char *model, const char *leaf, const char *text);
/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
char *test_read_file(const char *path);
/* The same for any bytes: size gets their number (the NUL after them is
 * not counted). */
char *test_read_file_size(const char *path, size_t *size);
int test_file_exists(const char *path);
/* Number of entries in a directory whose name starts with prefix
 * (e.g. leftover temporaries ".name.tmp-"). */
int test_count_entries(const char *dir, const char *prefix);
/* 1 and the path of an entry whose name starts with prefix, or 0. */
int test_find_entry(const char *dir, const char *prefix, char *path, size_t size);

typedef struct {
    int status; /* exit status, or 128+signal */
    char *out;  /* captured stdout (malloc'd) */
    char *err;  /* captured stderr (malloc'd) */
} test_run_result;

/* Runs the wattprof binary with the given NULL-terminated arguments
 * (argv[0] excluded). */
test_run_result test_run_cli(const char *const *args);
/* Runs any argv (argv[0] = program, searched in PATH). */
test_run_result test_run_argv(const char *const *argv);
void test_run_free(test_run_result *r);
/* Runs wattprof with args and checks its exit status, that stdout holds
 * every string of out_has and stderr every one of err_has (NULL-terminated
 * lists, or NULL for none); a failure names the caller's file:line. */
void test_cli_expect_at(const char *file, int line, const char *const *args, int status, const char *const *out_has,
                        const char *const *err_has);
#define CHECK_CLI(args, status, out_has, err_has) test_cli_expect_at(__FILE__, __LINE__, args, status, out_has, err_has)
/* A NULL-terminated list of strings written in place, for CHECK_CLI's
 * arguments and expected texts: the outer parentheses keep the commas of the
 * list inside one macro argument. */
#define TEST_LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Number of lines in text. */
int test_count_lines(const char *text);

#endif
