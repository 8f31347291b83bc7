/* latency: the streaming trt_layer_latency.json reader and its writer. */
#include <stdlib.h>

#include "testutil.h"
#include "wattprof/latency.h"
#include "wattprof/timestamp.h"

static int64_t ts(const char *s)
{
    int64_t t = 0;
    CHECK_INT(wp_ts_parse(s, strlen(s), &t), 0);
    return t;
}

static void test_read_shapes(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "lat.json");
    /* Compact and indented JSON mixed, escapes in names, exponent numbers,
     * integer latencies. */
    test_write_file(
        p, "{\"[CONV]-[a\\\"b\\\\c\\u00e9\\ud83d\\ude00]\":[[0.030303999781608582,\"20241121-05:22:50.156286\"],"
           "[1e-3,\"20241121-05:22:51.5\"]],\n"
           "  \"x/y\" : [ [ 2 , \"20241121-05:22:50.1\" ] ,\r\n\t[0,\"20241121-05:22:52.000001\"] ]\n}\n");
    wp_latency lat;
    wp_error err = {0};
    CHECK_INT(wp_latency_read(p, &lat, &err), 0);
    CHECK_INT(lat.n_layers, 2);
    CHECK_INT(lat.n_cycles, 2);
    if (lat.n_layers == 2 && lat.n_cycles == 2) {
        CHECK_STR(lat.names[0], "[CONV]-[a\"b\\c\xc3\xa9\xf0\x9f\x98\x80]");
        CHECK_STR(lat.names[1], "x/y");
        CHECK(wp_latency_at(&lat, 0, 0) == 0.030303999781608582);
        CHECK(wp_latency_at(&lat, 0, 1) == 0.001);
        CHECK(wp_latency_at(&lat, 1, 0) == 2.0);
        CHECK(wp_latency_at(&lat, 1, 1) == 0.0);
        CHECK_INT(wp_reported_at(&lat, 0, 0), ts("20241121-05:22:50.156286"));
        CHECK_INT(wp_reported_at(&lat, 0, 1), ts("20241121-05:22:51.5"));
        CHECK_INT(wp_reported_at(&lat, 1, 1), ts("20241121-05:22:52.000001"));
        CHECK_INT(lat.lines[0], 1);
        CHECK_INT(lat.lines[1], 2);
    }
    /* Write and read back: same table. */
    const char *q = test_path(dir, "sub/back.json");
    wp_error e2;
    CHECK_INT(wp_latency_write(q, &lat, &e2), -1); /* directory missing: error, nothing written */
    q = test_path(dir, "back.json");
    CHECK_INT(wp_latency_write(q, &lat, &e2), 0);
    wp_latency back;
    CHECK_INT(wp_latency_read(q, &back, &e2), 0);
    CHECK_INT(back.n_layers, lat.n_layers);
    CHECK_INT(back.n_cycles, lat.n_cycles);
    for (size_t l = 0; l < back.n_layers && l < lat.n_layers; l++) {
        CHECK_STR(back.names[l], lat.names[l]);
        for (size_t c = 0; c < back.n_cycles; c++) {
            CHECK(wp_latency_at(&back, l, c) == wp_latency_at(&lat, l, c));
            CHECK_INT(wp_reported_at(&back, l, c), wp_reported_at(&lat, l, c));
        }
    }
    char *text = test_read_file(q);
    CHECK_CONTAINS(
        text, "\n        [\n            0.03030399978160858,\n            \"20241121-05:22:50.156286\"\n        ]");
    free(text);
    CHECK_INT(test_count_entries(dir, ".back.json.tmp"), 0);
    wp_latency_free(&back);
    wp_latency_free(&lat);

    test_write_file(p, " {} ");
    CHECK_INT(wp_latency_read(p, &lat, &err), 0);
    CHECK_INT(lat.n_layers, 0);
    wp_latency_free(&lat);
    test_write_file(p, "{\"a\": [], \"b\": []}");
    CHECK_INT(wp_latency_read(p, &lat, &err), 0);
    CHECK_INT(lat.n_layers, 2);
    CHECK_INT(lat.n_cycles, 0);
    wp_latency_free(&lat);
}

static void test_large(void)
{
    /* Many layers and cycles: crosses buffer boundaries and table growth. */
    enum { L = 37, C = 3001 };
    wp_latency lat = {0};
    lat.n_layers = L;
    lat.n_cycles = C;
    lat.names = calloc(L, sizeof *lat.names);
    lat.latency_ms = malloc(sizeof(double) * L * C);
    lat.reported_us = malloc(sizeof(int64_t) * L * C);
    int64_t t0 = ts("20241121-00:00:00.0");
    for (size_t l = 0; l < L; l++) {
        char name[32];
        snprintf(name, sizeof name, "layer %zu", l);
        lat.names[l] = strdup(name);
        for (size_t c = 0; c < C; c++) {
            lat.latency_ms[l * C + c] = (double)(float)(0.001 * (double)(l * 7 + c % 101) + 1.0 / 3);
            lat.reported_us[l * C + c] = t0 + (int64_t)(c * 1000 + l);
        }
    }
    const char *p = test_path(test_tmpdir(), "large.json");
    wp_error err;
    CHECK_INT(wp_latency_write(p, &lat, &err), 0);
    wp_latency back;
    CHECK_INT(wp_latency_read(p, &back, &err), 0);
    CHECK_INT(back.n_layers, L);
    CHECK_INT(back.n_cycles, C);
    int bad = 0;
    if (back.n_layers == L && back.n_cycles == C)
        for (size_t i = 0; i < (size_t)L * C; i++)
            bad += back.latency_ms[i] != lat.latency_ms[i] || back.reported_us[i] != lat.reported_us[i];
    CHECK_INT(bad, 0);
    wp_latency_free(&back);
    wp_latency_free(&lat);
}

static void expect_error(const char *text, const char *what, const char *line)
{
    const char *p = test_path(test_tmpdir(), "bad.json");
    test_write_file(p, text);
    wp_latency lat;
    wp_error err = {0};
    CHECK_INT(wp_latency_read(p, &lat, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s:%s: ", p, line);
    CHECK_CONTAINS(err.msg, want);
    CHECK_CONTAINS(err.msg, what);
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK(lat.names == NULL && lat.n_layers == 0);
}

/* A valid first layer of two cycles (lines 1-2): the inputs below damage
 * what follows it. */
#define LAYER_A "{\n\"a\": [[1.0, \"20241121-00:00:01.0\"], [2.0, \"20241121-00:00:02.0\"]]"

static void test_errors(void)
{
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"]\n]}", "equal lengths", "4");
    expect_error(
        LAYER_A
        ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"], [1.0, \"20241121-00:00:01.0\"],\n[1.0, \"20241121-00:00:01.0\"]]}",
        "equal lengths", "4"); /* the line of the extra entry */
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"], [1.0, \"2024112", "truncated JSON", "3");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"], [1.0, \"20241121-00:00:01.0\"]]\n",
                 "truncated JSON", "4");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [1.0, \"20241121-00:00:61.0\"]]}",
                 "bad timestamp", "4");
    expect_error(LAYER_A ",\n\"a\": [[1.0, \"20241121-00:00:01.0\"], [1.0, \"20241121-00:00:01.0\"]]}",
                 "duplicate layer name 'a'", "3");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [NaN, \"20241121-00:00:01.0\"]]}", "not finite",
                 "4");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [Infinity, \"20241121-00:00:01.0\"]]}",
                 "not finite", "4");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [1e999, \"20241121-00:00:01.0\"]]}",
                 "not a finite number", "4");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [-0.5, \"20241121-00:00:01.0\"]]}",
                 "negative latency", "4");
    /* Issue 13: 1e30 ms was undefined behaviour in the us conversion and
     * 1e300 ms silently got no power. */
    expect_error("{\"\":[[1e30,\"20241121-01:00:00.1\"]]}", "value out of range: latency 1e+30 ms", "1");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [1e300, \"20241121-00:00:01.0\"]]}",
                 "value out of range", "4");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [\"1\", \"20241121-00:00:01.0\"]]}",
                 "malformed JSON", "4");
    expect_error(LAYER_A ",\n\"b\": [[1.0, \"20241121-00:00:01.0\"],\n [1.0, 20241121]]}", "malformed JSON", "4");
    expect_error(LAYER_A "}\n\nx", "after the end", "4");
    expect_error("[1, 2]", "a JSON array, not trt_layer_latency.json's object", "1");
    /* trtexec's profile, and the desktop profiler's timestamp-less lists:
     * valid JSON of another shape, said so */
    expect_error("[\n  { \"count\" : 5 }\n]\n", "trtexec", "1");
    expect_error("{\n\"conv1\": [0.5, 0.52],\n\"fc\": [0.1, 0.1]}", "layer 'conv1' has latencies without timestamps",
                 "2");
    expect_error("{\"conv1\": [0.5, 0.52]}", "docs/trtexec.md", "1");
    expect_error("", "truncated JSON", "1");
    expect_error("{\"a\": [[1.0, \"20241121-00:00:01.0\"]], \"b\\q\": []}", "bad escape", "1");

    wp_latency lat;
    wp_error err;
    CHECK_INT(wp_latency_read(test_path(test_tmpdir(), "missing.json"), &lat, &err), -1);
    CHECK_CONTAINS(err.msg, "missing.json");
}

int main(void)
{
    test_read_shapes();
    test_large();
    test_errors();
    return test_summary();
}
