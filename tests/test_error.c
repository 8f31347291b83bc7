/* error: codes beside messages, and the one ownership rule after failure. */
#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/engine.h"
#include "wattprof/error.h"
#include "wattprof/latency.h"
#include "wattprof/powerlog.h"
#include "wattprof/onnx.h"

static void test_codes(void)
{
    wp_error err;
    CHECK_INT(wp_fail_code(&err, WP_ERR_BAD_INPUT, "a.csv", 3, "bad %s", "row"), -1);
    CHECK_STR(err.msg, "a.csv:3: bad row");
    CHECK_INT(err.code, WP_ERR_BAD_INPUT);
    /* wp_fail, as every call written before codes existed, resets the code. */
    CHECK_INT(wp_fail(&err, NULL, 0, "plain"), -1);
    CHECK_INT(err.code, WP_ERR_FAILED);
    CHECK_STR(err.msg, "plain");
    wp_fail_errno(&err, "x", ENOENT, "cannot open");
    CHECK_INT(err.code, WP_ERR_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "x: cannot open: ");
    wp_fail_errno(&err, "x", EACCES, "cannot open");
    CHECK_INT(err.code, WP_ERR_IO);
    wp_fail_errno(&err, NULL, ENOMEM, "grow");
    CHECK_INT(err.code, WP_ERR_NO_MEMORY);
    CHECK_INT(wp_errc_from_errno(EINTR), WP_ERR_INTERRUPTED);
    CHECK_INT(wp_errc_from_errno(ENOSYS), WP_ERR_UNSUPPORTED);
    CHECK_STR(wp_errc_name(WP_ERR_NO_SENSOR), "no-sensor");
    CHECK_STR(wp_errc_name(WP_ERR_BAD_INPUT), "bad-input");
    CHECK_STR(wp_errc_name(WP_ERR_COUNT), "unknown");
    /* Every code has its own name. */
    for (int a = 0; a < WP_ERR_COUNT; a++)
        for (int b = a + 1; b < WP_ERR_COUNT; b++)
            CHECK(strcmp(wp_errc_name((wp_errc)a), wp_errc_name((wp_errc)b)) != 0);
    wp_error_clear(&err);
    CHECK_STR(err.msg, "");
    CHECK_INT(err.code, WP_ERR_FAILED);
    /* A NULL err is allowed everywhere. */
    CHECK_INT(wp_fail_code(NULL, WP_ERR_IO, NULL, 0, "ignored"), -1);
}

/* Readers leave their output empty on failure: nothing to free, and freeing
 * it anyway is harmless. ASan's leak check is the other half of this test. */
static void test_ownership(void)
{
    const char *dir = test_tmpdir();
    wp_error err;
    wp_graph g;
    memset(&g, 0xff, sizeof g);
    CHECK_INT(wp_onnx_read(test_path(dir, "missing.onnx"), NULL, &g, &err), -1);
    CHECK(g.name == NULL);
    CHECK_INT(g.n_nodes, 0);
    CHECK_INT(g.n_tensors, 0);
    if (wp_onnx_supported())
        CHECK_INT(err.code, WP_ERR_NOT_FOUND);
    wp_graph_free(&g);
    const char *junk = test_path(dir, "junk.onnx");
    test_write_file(junk, "\x0a\xff\xff\xff\xff\x0f not a model");
    CHECK_INT(wp_onnx_read(junk, NULL, &g, &err), -1);
    CHECK(g.name == NULL);
    CHECK_INT(g.n_nodes, 0);

    /* Each reader on a missing file and on a file that is no such thing;
     * the output is not freed after a failure (ASan would see a leak). */
    const char *bad = test_path(dir, "bad.txt");
    test_write_file(bad, "{not, what, any, reader, wants\n1,2\n");
    const char *inputs[] = {test_path(dir, "missing.json"), bad};
    for (int i = 0; i < 2; i++) {
        wp_engine eng;
        memset(&eng, 0xff, sizeof eng);
        CHECK_INT(wp_engine_read(inputs[i], &eng, &err), -1);
        CHECK_INT(eng.n, 0);
        wp_latency lat;
        memset(&lat, 0xff, sizeof lat);
        CHECK_INT(wp_latency_read(inputs[i], &lat, &err), -1);
        CHECK_INT(lat.n_layers, 0);
        CHECK(lat.names == NULL);
        wp_powerlog log;
        memset(&log, 0xff, sizeof log);
        CHECK_INT(wp_powerlog_read(inputs[i], &log, &err), -1);
        CHECK_INT(log.n, 0);
        CHECK(log.samples == NULL);
        if (i == 0)
            CHECK_INT(err.code, WP_ERR_NOT_FOUND);
    }
}

int main(void)
{
    test_codes();
    test_ownership();
    return test_summary();
}
