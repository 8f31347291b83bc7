/* wattprof map, end to end through the CLI: formats, both timelines, both
 * attributions, upstream's defects fixed, and bad input. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"
#include "wattprof/csv.h"

#define HEADER                                                                                                         \
    "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"                                         \
    "layer_power_excluding_idle_power_micro_watt,layer_run_time\n"

static const char *ENGINE = "{\"Layers\": [\n"
                            "  {\"Name\": \"conv0\", \"LayerType\": \"CaskConvolution\"},\n"
                            "  {\"Name\": \"pool0\", \"LayerType\": \"CaskPooling\"},\n"
                            "  {\"Name\": \"fc0\", \"LayerType\": \"CaskGemmConvolution\"}\n"
                            "]}\n";

/* A model's three raw files under root, in the layout map reads; a NULL
 * text leaves that file out. */
static void write_model_files(const char *root, const char *model, const char *power_log, const char *latency,
                              const char *engine)
{
    char log_name[256];
    snprintf(log_name, sizeof log_name, "%s_power_log.log", model);
    test_write_model_file(root, model, log_name, power_log);
    test_write_model_file(root, model, "trt_profiling/trt_layer_latency.json", latency);
    test_write_model_file(root, model, "trt_profiling/trt_engine_info.json", engine);
}

/* A raw dir with idle power 5 W and one model. */

/* root NULL: a fresh raw dir; else add the model to the last one */
static const char *raw_model_in(const char *root, const char *model, const char *power_log, const char *latency,
                                const char *engine)
{
    static char buf[4096];
    if (!root) {
        /* test_path's buffers are a ring: keep our own copy */
        snprintf(buf, sizeof buf, "%s", test_path(test_tmpdir(), "raw"));
        root = buf;
    }
    test_write_file(test_path(root, "idling_power.json"),
                    "{\"timestamp\": \"20241121-051743\", \"avg_idle_power\": 5000000.0}");
    write_model_files(root, model, power_log, latency, engine);
    return root;
}

static const char *raw_model(const char *model, const char *power_log, const char *latency, const char *engine)
{
    return raw_model_in(NULL, model, power_log, latency, engine);
}

/* Runs map into a fresh result dir; returns the CSV of `model` (or NULL). */
static const char *last_result;

static char *run_map(const char *raw, const char *model, const char *timeline, const char *attribution,
                     test_run_result *out)
{
    static int n;
    char name[32];
    snprintf(name, sizeof name, "result%d", n++);
    static char res_buf[4096];
    snprintf(res_buf, sizeof res_buf, "%s", test_path(test_tmpdir(), name));
    const char *res = last_result = res_buf;
    const char *args[16] = {"map", "--raw-data-dir", raw, "--result-dir", res};
    int k = 5;
    if (timeline) {
        args[k++] = "--timeline";
        args[k++] = timeline;
    }
    /* NULL: the original's method, whose results these tests know exactly;
     * "": the default */
    if (!attribution)
        attribution = "samples";
    if (attribution[0]) {
        args[k++] = "--attribution";
        args[k++] = attribution;
    }
    args[k] = NULL;
    *out = test_run_cli(args);
    char rel[256];
    snprintf(rel, sizeof rel, "%s/power_runtime_mapping_layerwise.csv", model);
    return test_read_file(test_path(res, rel));
}

/* map (status 0) writes exactly want as model's mapping CSV. */
static void expect_mapping(const char *raw, const char *model, const char *timeline, const char *want)
{
    test_run_result r;
    char *csv = run_map(raw, model, timeline, NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK_STR(csv, want);
    free(csv);
    test_run_free(&r);
}

static const char *LOG11 = "20241121-00:00:01.00,5000.0,1100.0\n20241121-00:00:01.20,5000.0,1200.0\n"
                           "20241121-00:00:01.40,5000.0,1300.0\n20241121-00:00:01.60,5000.0,1400.0\n"
                           "20241121-00:00:01.80,5000.0,1500.0\n20241121-00:00:02.00,5000.0,1600.0\n"
                           "20241121-00:00:02.20,5000.0,1700.0\n20241121-00:00:02.40,5000.0,1800.0\n"
                           "20241121-00:00:02.60,5000.0,1900.0\n20241121-00:00:02.80,5000.0,2000.0\n"
                           "20241121-00:00:03.00,5000.0,2100.0\n";

static void test_reported_samples(void)
{
    /* conv0 [1.1, 1.5] holds the samples at 1.2 and 1.4; fc0 [1.9, 2.7]
     * those at 2.0 .. 2.6: means 1250 * 5000 and 1750 * 5000. */
    const char *raw = raw_model("two", LOG11,
                                "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]],\n"
                                " \"fc0\": [[800.0, \"20241121-00:00:02.70\"]]}",
                                ENGINE);
    expect_mapping(raw, "two", "reported",
                   HEADER "1,conv0,CaskConvolution,6250000.0,1250000.0,400.0\n"
                          "1,fc0,CaskGemmConvolution,8750000.0,3750000.0,800.0\n");
    /* the run's choices and what it worked from, beside the mapping */
    json_error_t je;
    json_t *info = json_load_file(test_path(last_result, "two/mapping_info.json"), 0, &je);
    CHECK(info != NULL);
    CHECK_STR(json_string_value(json_object_get(info, "attribution")), "samples");
    CHECK_STR(json_string_value(json_object_get(info, "model")), "two");
    /* the version is the build's: the one `wattprof --version` prints */
    const char *ver[] = {"--version", NULL};
    test_run_result rv = test_run_cli(ver);
    const char *v = json_string_value(json_object_get(info, "wattprof_version"));
    CHECK(v != NULL && strcmp(v, "unknown") != 0);
    if (v)
        CHECK_CONTAINS(rv.out, v);
    test_run_free(&rv);
    json_t *tl = json_object_get(info, "timeline");
    CHECK_STR(json_string_value(json_object_get(tl, "requested")), "reported");
    CHECK_STR(json_string_value(json_object_get(tl, "chosen")), "reported");
    CHECK(json_is_null(json_object_get(tl, "reason")));
    CHECK(json_is_null(json_object_get(info, "deconvolve")));
    CHECK_NEAR(json_number_value(json_object_get(info, "report_offset_us")), 0, 0);
    CHECK_INT(json_integer_value(json_object_get(info, "cycles")), 1);
    CHECK_INT(json_integer_value(json_object_get(info, "layers")), 2);
    CHECK_INT(json_integer_value(json_object_get(info, "power_samples")), 11);
    CHECK_NEAR(json_number_value(json_object_get(info, "log_span_s")), 2.0, 1e-12);
    CHECK_NEAR(json_number_value(json_object_get(info, "sample_rate_per_s")), 5.0, 1e-12);
    CHECK_NEAR(json_number_value(json_object_get(info, "idle_power_micro_watt")), 5000000.0, 0);
    CHECK_STR(json_string_value(json_object_get(info, "log_start")), "20241121-00:00:01.000000");
    json_decref(info);
    /* the same with auto: per-layer stamps spread over the cycle -> reported */
    test_run_result r;
    char *csv = run_map(raw, "two", NULL, NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(csv, "1,fc0,CaskGemmConvolution,8750000.0,3750000.0,800.0\n");
    CHECK_CONTAINS(r.err, "timeline reported");
    CHECK_INT(test_count_lines(r.err), 1);
    info = json_load_file(test_path(last_result, "two/mapping_info.json"), 0, &je);
    tl = json_object_get(info, "timeline");
    CHECK_STR(json_string_value(json_object_get(tl, "requested")), "auto");
    CHECK_STR(json_string_value(json_object_get(tl, "chosen")), "reported");
    /* the reason printed is the one saved */
    const char *reason = json_string_value(json_object_get(tl, "reason"));
    CHECK(reason && strstr(r.err, reason) != NULL);
    json_decref(info);
    free(csv);
    test_run_free(&r);
}

static void test_engine_copied_and_single_sample(void)
{
    const char *raw = raw_model("one", "20241121-00:00:01.00,5000.0,1100.0\n",
                                "{\"conv0\": [[1000.0, \"20241121-00:00:01.50\"]]}", ENGINE);
    static const char device[] = "{\"model\": \"NVIDIA Jetson AGX Orin\", \"start\": {}, \"end\": {}}\n";
    test_write_file(test_path(raw, "one/device.json"), device);
    test_run_result r;
    char *csv = run_map(raw, "one", NULL, NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK_STR(csv, HEADER "1,conv0,CaskConvolution,5500000.0,500000.0,1000.0\n");
    free(csv);
    char *eng = test_read_file(test_path(last_result, "one/trt_engine_info.json"));
    CHECK_STR(eng, ENGINE);
    free(eng);
    char *dev = test_read_file(test_path(last_result, "one/device.json"));
    CHECK_STR(dev, device);
    free(dev);
    test_run_free(&r);
    /* without one in the raw folder, the result has none */
    unlink(test_path(raw, "one/device.json"));
    csv = run_map(raw, "one", NULL, NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK(!test_file_exists(test_path(last_result, "one/device.json")));
    free(csv);
    test_run_free(&r);
}

static void test_defects_fixed(void)
{
    /* Cycle 1: conv0 [1.1, 1.5], then pool0 [1.0, 1.3] (out of order, overlapping)
     * then fc0 [2.9, 3.5] running past the log's end (3.0). Cycle 2 lies
     * wholly after the log. Upstream loses pool0's samples (already
     * scanned), and stops writing rows at fc0. */
    const char *raw = raw_model("defects", LOG11,
                                "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"], [1.0, \"20241121-00:00:09.00\"]],\n"
                                " \"pool0\": [[300.0, \"20241121-00:00:01.30\"], [1.0, \"20241121-00:00:09.10\"]],\n"
                                " \"fc0\": [[600.0, \"20241121-00:00:03.50\"], [1.0, \"20241121-00:00:09.20\"]]}",
                                ENGINE);
    expect_mapping(raw, "defects", "reported",
                   HEADER "1,conv0,CaskConvolution,6250000.0,1250000.0,400.0\n"
                          "1,pool0,CaskPooling,5750000.0,750000.0,300.0\n"
                          "1,fc0,CaskGemmConvolution,10500000.0,5500000.0,600.0\n"
                          "2,conv0,CaskConvolution,,,1.0\n"
                          "2,pool0,CaskPooling,,,1.0\n"
                          "2,fc0,CaskGemmConvolution,,,1.0\n");

    /* 0 W is a value: including idle 0.0, excluding idle -5 W */
    raw = raw_model("zero", "20241121-00:00:01.00,0.0,1100.0\n20241121-00:00:02.00,0.0,1100.0\n",
                    "{\"conv0\": [[500.0, \"20241121-00:00:01.20\"]]}", ENGINE);
    expect_mapping(raw, "zero", NULL, HEADER "1,conv0,CaskConvolution,0.0,-5000000.0,500.0\n");
}

static void test_reconstructed_and_interpolate(void)
{
    /* All three layers stamped ~after the cycle (batched, like TensorRT's
     * profiler): reconstructed puts fc0 in [2.3, 2.9], pool0 in [1.9, 2.3],
     * conv0 in [1.1, 1.9]. */
    const char *lat = "{\"conv0\": [[800.0, \"20241121-00:00:02.900\"]],\n"
                      " \"pool0\": [[400.0, \"20241121-00:00:02.901\"]],\n"
                      " \"fc0\": [[600.0, \"20241121-00:00:02.902\"]]}";
    const char *raw = raw_model("batched", LOG11, lat, ENGINE);
    test_run_result r;
    char *csv = run_map(raw, "batched", NULL, NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "timeline reconstructed");
    /* conv0: 1.2 .. 1.8 -> (1200+1300+1400+1500)/4 * 5000; pool0: 2.0, 2.2;
     * fc0: 2.4, 2.6, 2.8 */
    char want[512];
    snprintf(want, sizeof want,
             HEADER "1,conv0,CaskConvolution,6750000.0,1750000.0,800.0\n"
                    "1,pool0,CaskPooling,8250000.0,3250000.0,400.0\n"
                    "1,fc0,CaskGemmConvolution,9500000.0,4500000.0,600.0\n");
    CHECK_STR(csv, want);
    free(csv);
    test_run_free(&r);
    /* forcing reported gives different windows for the same file */
    csv = run_map(raw, "batched", "reported", NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(csv, "1,pool0,CaskPooling,9750000.0,4750000.0,400.0\n"); /* [2.501, 2.901]: 2.6, 2.8 */
    CHECK(strstr(r.err, "timeline") == NULL);
    free(csv);
    test_run_free(&r);

    /* interpolate: a 10 us layer between samples 0.2 s apart still gets the
     * line's value at its middle; samples mode leaves it empty. */
    raw = raw_model("short", LOG11, "{\"conv0\": [[0.01, \"20241121-00:00:01.300010\"]]}", ENGINE);
    csv = run_map(raw, "short", NULL, "interpolate", &r);
    CHECK_INT(r.status, 0);
    /* the line from (1.2, 6.0 W) to (1.4, 6.5 W) at 1.300005 */
    double mid = 5000.0 * (1200.0 + 100.0 * (0.100005 / 0.2));
    char a[WP_DOUBLE_BUFSZ], b[WP_DOUBLE_BUFSZ];
    wp_format_double(mid, a);
    wp_format_double(mid - 5000000.0, b);
    char *line = csv ? strchr(csv, '\n') : NULL;
    CHECK(line != NULL);
    if (line) {
        double inc = strtod(line + strlen("\n1,conv0,CaskConvolution,"), NULL);
        CHECK_NEAR(inc, mid, 1e-12);
    }
    free(csv);
    test_run_free(&r);
    /* samples: no sample in the only window is no mapping at all */
    csv = run_map(raw, "short", NULL, "samples", &r);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "no power value for any of the 1 layer windows (samples attribution)");
    CHECK(csv == NULL);
    free(csv);
    test_run_free(&r);
    (void)a;
    (void)b;
}

static void test_many_models_and_csv_quoting(void)
{
    const char *root = raw_model("a_model", LOG11, "{\"conv,0\": [[400.0, \"20241121-00:00:01.50\"]]}",
                                 "{\"Layers\": [{\"Name\": \"conv,0\", \"LayerType\": \"CaskConvolution\"}]}");
    raw_model_in(root, "b_model", LOG11, "{\"fc0\": [[800.0, \"20241121-00:00:02.70\"]]}", ENGINE);
    test_run_result r;
    char *csv = run_map(root, "a_model", "reported", NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK_STR(csv, HEADER "1,\"conv,0\",CaskConvolution,6250000.0,1250000.0,400.0\n");
    free(csv);
    char *other = test_read_file(test_path(last_result, "b_model/power_runtime_mapping_layerwise.csv"));
    CHECK_STR(other, HEADER "1,fc0,CaskGemmConvolution,8750000.0,3750000.0,800.0\n");
    free(other);
    CHECK(!test_file_exists(test_path(last_result, "notes")));
    test_run_free(&r);
    /* a folder that is not a model (no power log, no trt_profiling/) and
     * hidden folders are passed over */
    test_write_file(test_path(root, "notes/readme.txt"), "x");
    test_write_file(test_path(root, ".cache/.x_power_log.log"), "x");
    csv = run_map(root, "a_model", "reported", NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK(csv != NULL);
    CHECK(!test_file_exists(test_path(last_result, "notes")));
    free(csv);
    test_run_free(&r);
}

static void test_many_cycles(void)
{
    /* 700 cycles x 2 layers (rows are formatted in chunks by two threads:
     * order and content must hold across chunks); a sample every 1 ms. */
    enum { CYC = 700, SAMP = 3000 };
    size_t cap = 200000;
    char *log = malloc(cap), *lat = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < SAMP; i++)
        n += (size_t)snprintf(log + n, cap - n, "20241121-00:00:%02d.%03d,5000.0,%d.0\n", 1 + i / 1000, i % 1000,
                              1000 + (i * 7) % 300);
    n = (size_t)snprintf(lat, cap, "{\"conv0\": [");
    for (int c = 0; c < CYC; c++) /* ends at 1.000 + 4c ms + 2.5, 1.5 ms long */
        n += (size_t)snprintf(lat + n, cap - n, "%s[1.5, \"20241121-00:00:%02d.%06d\"]", c ? ", " : "",
                              (1000000 + c * 4000 + 2500) / 1000000, (1000000 + c * 4000 + 2500) % 1000000);
    n += (size_t)snprintf(lat + n, cap - n, "],\n\"fc0\": [");
    for (int c = 0; c < CYC; c++) /* 0.3 ms ending at +3.9 ms: no sample */
        n += (size_t)snprintf(lat + n, cap - n, "%s[0.3, \"20241121-00:00:%02d.%06d\"]", c ? ", " : "",
                              (1000000 + c * 4000 + 3900) / 1000000, (1000000 + c * 4000 + 3900) % 1000000);
    snprintf(lat + n, cap - n, "]}");
    const char *raw = raw_model("long", log, lat, ENGINE);
    test_run_result r;
    char *csv = run_map(raw, "long", "reported", NULL, &r);
    CHECK_INT(r.status, 0);
    CHECK_INT(test_count_lines(csv), 1 + 2 * CYC);
    char *want = malloc(cap * 2);
    n = (size_t)snprintf(want, cap * 2, "%s", HEADER);
    for (int c = 0; c < CYC; c++) {
        /* conv0 [4c + 1.0, 4c + 2.5] ms holds the samples at 4c+1, 4c+2 */
        int i1 = 4 * c + 1, i2 = 4 * c + 2;
        double mean = (5000.0 * (1000 + (i1 * 7) % 300) + 5000.0 * (1000 + (i2 * 7) % 300)) / 2;
        char m[WP_DOUBLE_BUFSZ], x[WP_DOUBLE_BUFSZ];
        wp_format_double(mean, m);
        wp_format_double(mean - 5000000.0, x);
        n += (size_t)snprintf(want + n, cap * 2 - n,
                              "%d,conv0,CaskConvolution,%s,%s,1.5\n%d,fc0,CaskGemmConvolution,,,0.3\n", c + 1, m, x,
                              c + 1);
    }
    CHECK(csv && strcmp(csv, want) == 0);
    free(want);
    free(csv);
    free(log);
    free(lat);
    test_run_free(&r);
}

/* Bad input: one line naming file and line, non-zero, nothing left. */
static void expect_failure(const char *model, const char *log, const char *lat, const char *eng, const char *file,
                           const char *what)
{
    char dirname[64];
    static int n;
    snprintf(dirname, sizeof dirname, "badraw%d", n++);
    char root[4096];
    snprintf(root, sizeof root, "%s", test_path(test_tmpdir(), dirname));
    test_write_file(test_path(root, "idling_power.json"), "{\"avg_idle_power\": 5000000.0}");
    /* a good model beside the bad one: its result must not appear either */
    test_write_file(test_path(root, "aaa_good/aaa_good_power_log.log"), LOG11);
    test_write_file(test_path(root, "aaa_good/trt_profiling/trt_layer_latency.json"),
                    "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]]}");
    test_write_file(test_path(root, "aaa_good/trt_profiling/trt_engine_info.json"), ENGINE);
    write_model_files(root, model, log, lat, eng);
    char resname[80];
    snprintf(resname, sizeof resname, "%s_result", dirname);
    char res[4096];
    snprintf(res, sizeof res, "%s", test_path(test_tmpdir(), resname));
    const char *args[] = {"map",           "--raw-data-dir", root, "--result-dir", res, "--timeline", "reported",
                          "--attribution", "samples",        NULL};
    test_run_result r = test_run_cli(args);
    CHECK(r.status != 0);
    CHECK_INT(test_count_lines(r.err), 1);
    CHECK_CONTAINS(r.err, file);
    CHECK_CONTAINS(r.err, what);
    CHECK(!test_file_exists(test_path(res, "aaa_good/power_runtime_mapping_layerwise.csv")));
    CHECK(!test_file_exists(test_path(res, "aaa_good/mapping_info.json")));
    CHECK(!test_file_exists(test_path(res, "zz/power_runtime_mapping_layerwise.csv")));
    CHECK(!test_file_exists(test_path(res, "aaa_good")));
    CHECK(!test_file_exists(test_path(res, "zz")));
    CHECK(!test_file_exists(res));
    test_run_free(&r);
}

static void test_bad_input(void)
{
    const char *lat = "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]]}";
    expect_failure("zz", NULL, lat, ENGINE, "zz_power_log.log", "cannot open");
    expect_failure("zz", LOG11, NULL, ENGINE, "trt_layer_latency.json", "cannot open");
    expect_failure("zz", LOG11, lat, NULL, "trt_engine_info.json", "");
    expect_failure("zz", "20241121-00:00:01.00,5000.0,1100.0\n20241121-00:00:0x.20,5000.0,1200.0\n", lat, ENGINE,
                   "zz_power_log.log:2: ", "bad timestamp");
    expect_failure("zz", "20241121-00:00:01.00,5000.0,1100.0\n\n20241121-00:00:01.20,5000.0\n", lat, ENGINE,
                   "zz_power_log.log:3: ", "missing field");
    expect_failure("zz", "20241121-00:00:01.00,5000.0,11OO.0\n", lat, ENGINE,
                   "zz_power_log.log:1: ", "not a finite number");
    expect_failure("zz", "20241121-00:00:01.20,5000.0,1100.0\n20241121-00:00:01.10,5000.0,1100.0\n", lat, ENGINE,
                   "zz_power_log.log:2: ", "backwards");
    expect_failure("zz", LOG11, "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]],\n\"fc0\": [[400.0, ", ENGINE,
                   "trt_layer_latency.json:2: ", "truncated JSON");
    expect_failure("zz", LOG11,
                   "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]],\n\"fc0\": [[4.0, \"20241121-00:00:01.50\"],\n"
                   "[4.0, \"20241121-00:00:01.50\"]]}",
                   ENGINE, "trt_layer_latency.json:3: ", "equal lengths");
    expect_failure("zz", LOG11,
                   "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]],\n\"relu9\": [[4.0, \"20241121-00:00:01.50\"]]}",
                   ENGINE, "trt_layer_latency.json:2: ", "not in");
    expect_failure("zz", LOG11,
                   "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]],\n\"conv0\": [[4.0, \"20241121-00:00:01.50\"]]}",
                   ENGINE, "trt_layer_latency.json:2: ", "duplicate");
    expect_failure("zz", LOG11, "{\"conv0\": [[-4.0, \"20241121-00:00:01.50\"]]}", ENGINE,
                   "trt_layer_latency.json:1: ", "negative");
    expect_failure("zz", LOG11, "{\"conv0\": [[4.0, \"2024-11-21 00:00:01.50\"]]}", ENGINE,
                   "trt_layer_latency.json:1: ", "bad timestamp");

    /* no idle power file */
    const char *root = test_path(test_tmpdir(), "noidle");
    test_write_file(test_path(root, "m/m_power_log.log"), LOG11);
    const char *res = test_path(test_tmpdir(), "noidle_result");
    const char *args[] = {"map", "--raw-data-dir", root, "--result-dir", res, NULL};
    test_run_result r = test_run_cli(args);
    CHECK(r.status != 0);
    CHECK_CONTAINS(r.err, "idling_power.json");
    CHECK(!test_file_exists(res));
    test_run_free(&r);

    /* Issue 13: the 35-byte latency file with 1e30 ms (undefined behaviour
     * in the us conversion), 1e300 ms (silently no power) and a negative
     * idle power all fail at load time. */
    expect_failure("zz", LOG11, "{\"\":[[1e30,\"20241121-01:00:00.1\"]]}", ENGINE,
                   "trt_layer_latency.json:1: ", "value out of range");
    expect_failure("zz", LOG11, "{\"conv0\": [[1e300, \"20241121-00:00:01.50\"]]}", ENGINE,
                   "trt_layer_latency.json:1: ", "value out of range");
    const char *neg = raw_model("neg", LOG11, lat, ENGINE);
    test_write_file(test_path(neg, "idling_power.json"), "{\"avg_idle_power\": -1.0}");
    const char *res2 = test_path(test_tmpdir(), "neg_result");
    const char *a2[] = {"map", "--raw-data-dir", neg, "--result-dir", res2, NULL};
    r = test_run_cli(a2);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "idling_power.json");
    CHECK_CONTAINS(r.err, "negative");
    CHECK(!test_file_exists(res2));
    test_run_free(&r);
}

/* The default attribution deconvolves where it can; on a model with fewer
 * samples than unknowns it says so with the counts and interpolates, named
 * in mapping_info.json. */
static void test_default_attribution(void)
{
    /* 1.2 ms of run between samples 0.2 s apart */
    const char *raw = raw_model("tiny", LOG11,
                                "{\"conv0\": [[0.4, \"20241121-00:00:01.500400\"]],\n"
                                " \"fc0\": [[0.8, \"20241121-00:00:01.501200\"]]}",
                                ENGINE);
    test_run_result r;
    char *csv = run_map(raw, "tiny", "reported", "", &r);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "tiny: mapped with interpolate instead of deconvolve");
    CHECK_CONTAINS(r.err, "for 3 unknowns (2 layers and the power between them): not identifiable");
    CHECK_CONTAINS(r.err, "tiny_power_log.log");
    CHECK_CONTAINS(r.out, "auto attribution");
    CHECK(csv && !strstr(csv, ",,")); /* interpolate: every window has a value */
    json_error_t je;
    json_t *info = json_load_file(test_path(last_result, "tiny/mapping_info.json"), 0, &je);
    CHECK_STR(json_string_value(json_object_get(info, "attribution")), "interpolate");
    CHECK_STR(json_string_value(json_object_get(info, "attribution_requested")), "auto");
    const char *fb = json_string_value(json_object_get(info, "attribution_fallback"));
    CHECK_CONTAINS(fb, "interpolate: ");
    CHECK_CONTAINS(fb, "not identifiable");
    CHECK_INT(json_integer_value(json_object_get(info, "windows_without_power")), 0);
    json_decref(info);
    free(csv);
    test_run_free(&r);
    /* asked for by name it is not replaced: the model is not mapped, the run
     * fails naming it, the counts and what to do */
    csv = run_map(raw, "tiny", "reported", "deconvolve", &r);
    CHECK_INT(r.status, 1);
    CHECK_INT(test_count_lines(r.err), 1);
    CHECK_CONTAINS(r.err, "1 of 1 models not mapped");
    CHECK_CONTAINS(r.err, "tiny: ");
    CHECK_CONTAINS(r.err, "for 3 unknowns");
    CHECK_CONTAINS(r.err, "--attribution interpolate");
    CHECK(csv == NULL);
    CHECK(!test_file_exists(last_result));
    free(csv);
    test_run_free(&r);
}

/* A log that is empty or lies beside the run gives no power anywhere: a
 * failure naming the log and the times, not exit 0 with empty cells.
 * samples leaving most windows empty is said, with the counts. */
static void test_power_missing(void)
{
    const char *lat = "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]],\n"
                      " \"fc0\": [[800.0, \"20241121-00:00:02.70\"]]}";
    const char *logs[] = {"", "20241121-00:10:01.00,5000.0,1100.0\n20241121-00:10:01.20,5000.0,1200.0\n"};
    const char *modes[] = {"samples", "interpolate", ""};
    for (int i = 0; i < 2; i++)
        for (int m = 0; m < 3; m++) {
            const char *raw = raw_model("nopower", logs[i], lat, ENGINE);
            test_run_result r;
            char *csv = run_map(raw, "nopower", "reported", modes[m], &r);
            CHECK_INT(r.status, 1);
            CHECK_CONTAINS(r.err, "nopower_power_log.log");
            CHECK_CONTAINS(r.err, "no power value for any of the 2 layer windows");
            CHECK_CONTAINS(r.err, i ? "20241121-00:10:01.000000 to 20241121-00:10:01.200000" : "it is empty");
            CHECK(csv == NULL);
            free(csv);
            test_run_free(&r);
        }
    /* 10 cycles of two 100 us layers, 1 ms apart, between samples 0.2 s
     * apart: only the last cycle's first window holds one */
    char latb[4096];
    size_t n = (size_t)snprintf(latb, sizeof latb, "{\"conv0\": [");
    for (int c = 0; c < 10; c++)
        n += (size_t)snprintf(latb + n, sizeof latb - n, "%s[0.1, \"20241121-00:00:01.%06d\"]", c ? "," : "",
                              191100 + c * 1000);
    n += (size_t)snprintf(latb + n, sizeof latb - n, "],\n\"fc0\": [");
    for (int c = 0; c < 10; c++)
        n += (size_t)snprintf(latb + n, sizeof latb - n, "%s[0.1, \"20241121-00:00:01.%06d\"]", c ? "," : "",
                              191200 + c * 1000);
    snprintf(latb + n, sizeof latb - n, "]}");
    const char *raw = raw_model("sparse", LOG11, latb, ENGINE);
    test_run_result r;
    char *csv = run_map(raw, "sparse", "reported", "samples", &r);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "warning: samples attribution left 19 of 20 layer windows (95%) without power");
    CHECK_CONTAINS(r.err, "sparse_power_log.log");
    CHECK_CONTAINS(r.err, "the default attribution");
    json_error_t je;
    json_t *info = json_load_file(test_path(last_result, "sparse/mapping_info.json"), 0, &je);
    CHECK_INT(json_integer_value(json_object_get(info, "windows_without_power")), 19);
    json_decref(info);
    free(csv);
    test_run_free(&r);
}

static void test_usage(void)
{
    const char *help[] = {"map", "--help", NULL};
    const char *help_says[] = {"--timeline", "--attribution", "--quiet", NULL};
    CHECK_CLI(help, 0, help_says, NULL);
    const char *bad[] = {"map", "--raw-data-dir", "x", "--result-dir", "y", "--timeline", "later", NULL};
    const char *bad_says[] = {"--timeline", NULL};
    CHECK_CLI(bad, 2, NULL, bad_says);
    const char *missing[] = {"map", "--raw-data-dir", "x", NULL};
    CHECK_CLI(missing, 2, NULL, NULL);
}

int main(void)
{
    test_reported_samples();
    test_engine_copied_and_single_sample();
    test_defects_fixed();
    test_reconstructed_and_interpolate();
    test_many_models_and_csv_quoting();
    test_many_cycles();
    test_bad_input();
    test_default_attribution();
    test_power_missing();
    test_usage();
    return test_summary();
}
