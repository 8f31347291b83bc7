/* trtexec's files as a profile: readers (fixtures in the exact shape
 * TensorRT 8.5-10's trtexec writes), placement, `run`'s anchor and collection,
 * and map end to end on a simulated trtexec run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "fake_sysfs.h"
#include "sim_fixture.h"
#include "testutil.h"
#include "wattprof/deconvolve.h"
#include "wattprof/mapper.h"
#include "wattprof/simulate.h"
#include "wattprof/timestamp.h"
#include "wattprof/trtexec.h"

/* TensorRT 10's Profiler::exportJSONProfile: one record per line, the
 * first ", " leading the line; medianMs since 8.6. */
static const char PROFILE_TRT10[] =
    "[\n"
    "  { \"count\" : 500 }\n"
    ", { \"name\" : \"/conv1/Conv + /relu/Relu\", \"timeMs\" : 500, \"averageMs\" : 1, \"medianMs\" : 0.99, "
    "\"percentage\" : 25 }\n"
    ", { \"name\" : \"/maxpool/MaxPool\", \"timeMs\" : 1000, \"averageMs\" : 2, \"medianMs\" : 2.01, "
    "\"percentage\" : 50 }\n"
    ", { \"name\" : \"{ForeignNode[/fc/Gemm]}\", \"timeMs\" : 500, \"averageMs\" : 1, \"medianMs\" : 1, "
    "\"percentage\" : 25 }\n"
    "]\n";

/* TensorRT 8.5 and before: no medianMs. */
static const char PROFILE_TRT85[] = "[\n"
                                    "  { \"count\" : 10 }\n"
                                    ", { \"name\" : \"conv1\", \"timeMs\" : 12.5, \"averageMs\" : 1.25, "
                                    "\"percentage\" : 100 }\n"
                                    "]\n";

/* exportJSONTrace (8.6-10): times in ms since trtexec's start. */
static const char TIMES_TRT10[] =
    "[\n"
    "  { \"startEnqMs\" : 4999.9, \"endEnqMs\" : 4999.95, \"startH2dMs\" : 4999.9, \"endH2dMs\" : 5000, "
    "\"startComputeMs\" : 5000, \"endComputeMs\" : 5004, \"startD2hMs\" : 5004, \"endD2hMs\" : 5004.1, "
    "\"h2dMs\" : 0.1, \"computeMs\" : 4, \"d2hMs\" : 0.1, \"latencyMs\" : 4.2 }\n"
    ", { \"startEnqMs\" : 5004.1, \"endEnqMs\" : 5004.2, \"startH2dMs\" : 5004.1, \"endH2dMs\" : 5004.5, "
    "\"startComputeMs\" : 5004.5, \"endComputeMs\" : 5012.5, \"startD2hMs\" : 5012.5, \"endD2hMs\" : 5012.6, "
    "\"h2dMs\" : 0.4, \"computeMs\" : 8, \"d2hMs\" : 0.1, \"latencyMs\" : 8.5 }\n"
    "]\n";

/* TensorRT 7's names (startInMs, endToEndMs): the compute fields are the
 * same. */
static const char TIMES_TRT7[] =
    "[\n"
    "  { \"startEnqMs\" : 1, \"endEnqMs\" : 1.5, \"startInMs\" : 1, \"endInMs\" : 1.2, \"startComputeMs\" : 1.2, "
    "\"endComputeMs\" : 3.2, \"startOutMs\" : 3.2, \"endOutMs\" : 3.3, \"inMs\" : 0.2, \"computeMs\" : 2, "
    "\"outMs\" : 0.1, \"latencyMs\" : 2.3, \"endToEndMs\" : 2.3 }\n"
    "]\n";

static void test_read_profile(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "p10.json");
    test_write_file(p, PROFILE_TRT10);
    wp_trtexec_profile prof;
    wp_error err;
    CHECK_INT(wp_trtexec_read_profile(p, &prof, &err), 0);
    CHECK_INT(prof.count, 500);
    CHECK_INT(prof.n_layers, 3);
    if (prof.n_layers == 3) {
        CHECK_STR(prof.names[0], "/conv1/Conv + /relu/Relu");
        CHECK_STR(prof.names[2], "{ForeignNode[/fc/Gemm]}");
        CHECK_NEAR(prof.average_ms[1], 2, 0);
        CHECK_NEAR(prof.median_ms[1], 2.01, 1e-12);
        CHECK_INT(prof.lines[0], 3);
        CHECK_INT(prof.lines[2], 5);
    }
    wp_trtexec_profile_free(&prof);

    p = test_path(dir, "p85.json");
    test_write_file(p, PROFILE_TRT85);
    CHECK_INT(wp_trtexec_read_profile(p, &prof, &err), 0);
    CHECK_INT(prof.n_layers, 1);
    CHECK(prof.n_layers == 1 && isnan(prof.median_ms[0]));
    wp_trtexec_profile_free(&prof);

    /* errors name file and line */
    p = test_path(dir, "bad1.json");
    test_write_file(p, "[\n  { \"count\" : 5 }\n, { \"name\" : \"a\", \"timeMs\" : 1 }\n]\n");
    CHECK_INT(wp_trtexec_read_profile(p, &prof, &err), -1);
    CHECK_CONTAINS(err.msg, "bad1.json:3:");
    CHECK_CONTAINS(err.msg, "averageMs");
    p = test_path(dir, "bad2.json");
    test_write_file(p, "[\n  { \"name\" : \"a\", \"averageMs\" : 1 }\n]\n");
    CHECK_INT(wp_trtexec_read_profile(p, &prof, &err), -1);
    CHECK_CONTAINS(err.msg, "bad2.json:2:");
    CHECK_CONTAINS(err.msg, "count");
    p = test_path(dir, "bad3.json");
    test_write_file(p, "{\"a\": [1, 2]}\n");
    CHECK_INT(wp_trtexec_read_profile(p, &prof, &err), -1);
    CHECK_CONTAINS(err.msg, "expected a JSON array");
    p = test_path(dir, "bad4.json");
    test_write_file(p, "[\n  { \"count\" : 5 }\n, { \"name\" : \"a\", \"averageMs\" : 1 }\n"
                       ", { \"name\" : \"a\", \"averageMs\" : 2 }\n]\n");
    CHECK_INT(wp_trtexec_read_profile(p, &prof, &err), -1);
    CHECK_CONTAINS(err.msg, "bad4.json:4: layer 'a' appears twice (first at line 3)");
    /* a layer name with an unescaped quote (trtexec does not escape) */
    p = test_path(dir, "bad5.json");
    test_write_file(p, "[\n  { \"count\" : 5 }\n, { \"name\" : \"a\"b\", \"averageMs\" : 1 }\n]\n");
    CHECK_INT(wp_trtexec_read_profile(p, &prof, &err), -1);
    CHECK_CONTAINS(err.msg, "bad5.json:3: malformed JSON");
}

static void test_read_times(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "t10.json");
    test_write_file(p, TIMES_TRT10);
    wp_trtexec_times t;
    wp_error err;
    CHECK_INT(wp_trtexec_read_times(p, &t, &err), 0);
    CHECK_INT(t.n, 2);
    if (t.n == 2) {
        CHECK_NEAR(t.start_compute_ms[1], 5004.5, 0);
        CHECK_NEAR(t.end_compute_ms[1], 5012.5, 0);
        CHECK_NEAR(t.latency_ms[0], 4.2, 1e-12);
        CHECK_INT(t.lines[1], 3);
    }
    wp_trtexec_times_free(&t);
    p = test_path(dir, "t7.json");
    test_write_file(p, TIMES_TRT7);
    CHECK_INT(wp_trtexec_read_times(p, &t, &err), 0);
    CHECK_INT(t.n, 1);
    wp_trtexec_times_free(&t);

    p = test_path(dir, "tbad1.json");
    test_write_file(p, "[\n  { \"startComputeMs\" : 1, \"endComputeMs\" : 2 }\n, { \"startComputeMs\" : 3 }\n]\n");
    CHECK_INT(wp_trtexec_read_times(p, &t, &err), -1);
    CHECK_CONTAINS(err.msg, "tbad1.json:3: record has no \"endComputeMs\"");
    p = test_path(dir, "tbad2.json");
    test_write_file(p, "[\n  { \"startComputeMs\" : 5, \"endComputeMs\" : 6 }\n"
                       ", { \"startComputeMs\" : 4, \"endComputeMs\" : 4.5 }\n]\n");
    CHECK_INT(wp_trtexec_read_times(p, &t, &err), -1);
    CHECK_CONTAINS(err.msg, "tbad2.json:3: startComputeMs 4 goes back in time");
    p = test_path(dir, "tbad3.json");
    test_write_file(p, "[\n  { \"startComputeMs\" : 5, \"endComputeMs\" : 4 }\n]\n");
    CHECK_INT(wp_trtexec_read_times(p, &t, &err), -1);
    CHECK_CONTAINS(err.msg, "tbad3.json:2: endComputeMs 4 is before startComputeMs 5");
}

static void test_place(void)
{
    const char *dir = test_tmpdir();
    test_write_file(test_path(dir, "p.json"), PROFILE_TRT10);
    test_write_file(test_path(dir, "t.json"), TIMES_TRT10);
    wp_trtexec_profile prof;
    wp_trtexec_times t;
    wp_error err;
    CHECK_INT(wp_trtexec_read_profile(test_path(dir, "p.json"), &prof, &err), 0);
    CHECK_INT(wp_trtexec_read_times(test_path(dir, "t.json"), &t, &err), 0);
    wp_latency lat;
    wp_windows win;
    int64_t anchor = 1000000000;
    CHECK_INT(wp_trtexec_place(&prof, &t, anchor, &lat, &win, &err), 0);
    CHECK_INT(lat.n_layers, 3);
    CHECK_INT(lat.n_cycles, 2);
    CHECK_INT(win.origin_us, anchor);
    if (lat.n_cycles == 2 && lat.n_layers == 3) {
        /* averages 1:2:1 of a 4 ms and an 8 ms window */
        CHECK_NEAR(win.start_us[0 * 2 + 0], 5000000, 1e-12);
        CHECK_NEAR(win.end_us[0 * 2 + 0], 5001000, 1e-12);
        CHECK_NEAR(win.end_us[1 * 2 + 0], 5003000, 1e-12);
        CHECK_NEAR(win.end_us[2 * 2 + 0], 5004000, 1e-12);
        CHECK_NEAR(win.start_us[0 * 2 + 1], 5004500, 1e-12);
        CHECK_NEAR(win.end_us[1 * 2 + 1], 5010500, 1e-12);
        CHECK_NEAR(lat.latency_ms[1 * 2 + 1], 4, 1e-9);
        CHECK_INT(lat.reported_us[2 * 2 + 1], anchor + 5012500);
        CHECK_STR(lat.names[1], "/maxpool/MaxPool");
    }
    /* placement uncertainty: the 8.6-digit times of ~5 s carry 0.01 ms;
     * two windows of 4 and 8 ms spread far more than rounding, and all of
     * it is put on the layers, so the middle (longest) layer is the
     * best placed relative to its length. */
    double rel[3];
    wp_trtexec_placement_uncertainty(&prof, &t, rel);
    CHECK(rel[0] > 0 && rel[1] > 0 && rel[2] > 0);
    CHECK(rel[1] < rel[0]);
    wp_latency_free(&lat);
    wp_windows_free(&win);
    wp_trtexec_times_free(&t);
    wp_trtexec_profile_free(&prof);
}

static void test_run_info(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "run_info.json");
    char *argv[] = {"trtexec", "--onnx=m.onnx", NULL};
    wp_error err;
    int64_t start = 1732147200123456LL;
    CHECK_INT(wp_run_info_write(p, argv, start, start + 5000000, 0, &err), 0);
    int64_t got = 0;
    CHECK_INT(wp_run_info_read_anchor(p, &got, &err), 0);
    CHECK_INT(got, start);
    CHECK_INT(wp_run_info_read_anchor(test_path(dir, "none.json"), &got, &err), -1);
    CHECK_CONTAINS(err.msg, "none.json");
    CHECK_CONTAINS(err.msg, "wattprof run");
}

/* Three long layers of different power, trtexec-style files: map must find
 * each within 3 % (or flag it), and say it used trtexec's files. */
static void test_map_simulated(void)
{
    const char *raw = test_path(test_tmpdir(), "raw");
    const char *res = test_path(test_tmpdir(), "res");
    double lat_us[4] = {900, 1500, 700, 400}, pow_uw[4] = {3.0e6, 1.2e6, 2.4e6, 0.8e6};
    wp_sim_options o;
    wp_sim_options_init(&o);
    o.n_layers = 4;
    o.n_cycles = 2500;
    o.reporting = WP_SIM_TRTEXEC;
    o.gap_us = 20;
    o.latency_jitter = 0.01;
    o.anchor_error_us = 3000;
    o.layer_latency_us = lat_us;
    o.layer_power_uw = pow_uw;
    wp_error err;
    CHECK_INT(sim_fixture_raw_net(raw, &o, &err), 0);
    CHECK(!test_file_exists(test_path(raw, "net/trt_profiling/trt_layer_latency.json")));
    CHECK(test_file_exists(test_path(raw, "net/" WP_TRTEXEC_TIMES)));
    wp_map_options mo;
    wp_map_options_init(&mo);
    int rc = wp_map_raw_dir(raw, res, &mo, NULL, &err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(test_file_exists(test_path(res, "net/" WP_MAPPING_CSV)));
    CHECK(test_file_exists(test_path(res, "net/trt_engine_info.json")));
    char *info = test_read_file(test_path(res, "net/" WP_MAPPING_INFO_JSON));
    CHECK_CONTAINS(info, "\"profile_source\": \"trtexec\"");
    CHECK_CONTAINS(info, "\"attribution\": \"deconvolve\"");
    free(info);
    wp_deconv_estimate *rows = NULL;
    size_t n = 0;
    CHECK_INT(wp_deconv_read_csv(test_path(res, "net/" WP_DECONV_CSV_NAME), &rows, &n, &err), 0);
    CHECK_INT(n, 4);
    int with_number = 0;
    for (size_t i = 0; i < n && i < 4; i++) {
        if (!rows[i].ok)
            continue;
        with_number++;
        double e = fabs(rows[i].power_excl_uw - pow_uw[i]) / pow_uw[i];
        if (e > 0.03)
            test_fail_at(__FILE__, __LINE__, "layer %zu: %g uW, true %g uW", i, rows[i].power_excl_uw, pow_uw[i]);
        else
            test_passed++;
    }
    /* 0.4-1.5 ms layers at 0.01-0.1 ms resolution: most are identifiable */
    CHECK(with_number >= 3);
    wp_deconv_estimates_free(rows, n);

    /* an anchor from another run: said, not "too few samples" */
    const char *ri = test_path(raw, "net/" WP_RUN_INFO_JSON);
    char *argv[] = {"trtexec", NULL};
    CHECK_INT(wp_run_info_write(ri, argv, 1000000, 2000000, 0, &err), 0);
    CHECK_INT(wp_map_raw_dir(raw, test_path(test_tmpdir(), "res2"), &mo, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "run_info.json");
    CHECK_CONTAINS(err.msg, "outside the power log");
}

static char rival_note[8192];

static void keep_note(void *ctx, const char *model, const char *message)
{
    (void)ctx;
    (void)model;
    size_t n = strlen(rival_note);
    snprintf(rival_note + n, sizeof rival_note - n, "%s\n", message);
}

/* Many short layers in inferences about as long as the sensor window: the
 * window edges alone place the layers, and other report offsets fit
 * nearly as well as the best. A layer those offsets move gets no number
 * (said in a note); every layer that keeps one is within 3 % of the truth. */
static void test_rival_offsets(void)
{
    const char *raw = test_path(test_tmpdir(), "raw-rivals");
    wp_sim_options o;
    wp_sim_options_init(&o);
    o.n_layers = 40;
    o.n_cycles = 1500;
    o.reporting = WP_SIM_TRTEXEC;
    o.gap_us = 20;
    o.inference_us = 1000;
    o.anchor_error_us = 5000;
    o.seed = 1;
    wp_error err;
    CHECK_INT(sim_fixture_raw_net(raw, &o, &err), 0);
    wp_map_options mo;
    wp_map_options_init(&mo);
    mo.attribution = WP_ATTRIBUTION_DECONVOLVE;
    mo.sensor_window_us = 1100;
    mo.note = keep_note;
    const char *res = test_path(test_tmpdir(), "res-rivals");
    int rc = wp_map_raw_dir(raw, res, &mo, NULL, &err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK_CONTAINS(rival_note, "report offset not identifiable for ");
    CHECK_CONTAINS(rival_note, "(status imprecise; ");
    /* the truth: power above idle per layer */
    json_error_t je;
    json_t *truth = json_load_file(test_path(raw, "truth.json"), 0, &je);
    CHECK(truth != NULL);
    json_t *layers = json_object_get(json_object_get(json_object_get(truth, "models"), "net"), "layers");
    wp_deconv_estimate *rows = NULL;
    size_t n = 0;
    CHECK_INT(wp_deconv_read_csv(test_path(res, "net/" WP_DECONV_CSV_NAME), &rows, &n, &err), 0);
    CHECK_INT(n, 40);
    CHECK_INT(json_array_size(layers), 40);
    for (size_t i = 0; i < n && i < json_array_size(layers); i++) {
        json_t *l = json_array_get(layers, i);
        const wp_deconv_estimate *e = wp_deconv_find(rows, n, json_string_value(json_object_get(l, "name")));
        CHECK(e != NULL);
        if (!e || !e->ok)
            continue;
        double t = json_number_value(json_object_get(l, "power_uw"));
        if (fabs(e->power_excl_uw - t) > 0.03 * t)
            test_fail_at(__FILE__, __LINE__, "%s: %g uW, true %g uW", e->name, e->power_excl_uw, t);
        else
            test_passed++;
    }
    wp_deconv_estimates_free(rows, n);
    json_decref(truth);
}

/* `run -- trtexec ...`: the anchor is recorded and the exported files are
 * collected where map reads them. */
static void test_run_collects(void)
{
    const char *root = test_tmpdir();
    static const char *const labels[3] = {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"};
    static const long mv[3] = {5000, 5000, 5000}, ma[3] = {1000, 400, 300};
    fake_ina_hwmon(root, "1-0040", "hwmon1", labels, mv, ma);
    const char *bin = test_path(test_tmpdir(), "bin");
    const char *fake = test_path(bin, "trtexec");
    /* writes each --exportX=F file, as trtexec does */
    test_write_file(fake,
                    "#!/bin/sh\n"
                    "for a in \"$@\"; do\n"
                    "  case \"$a\" in\n"
                    "    --exportProfile=*) echo '[{\"count\": 1}, {\"name\": \"l\", \"averageMs\": 1}]' > "
                    "\"${a#*=}\" ;;\n"
                    "    --exportTimes=*) echo '[{\"startComputeMs\": 1, \"endComputeMs\": 2}]' > \"${a#*=}\" ;;\n"
                    "    --exportLayerInfo=*) echo '{\"Layers\": []}' > \"${a#*=}\" ;;\n"
                    "  esac\n"
                    "done\n");
    chmod(fake, 0755);
    const char *res = test_path(test_tmpdir(), "res");
    char o1[2048], o2[2048], o3[2048];
    snprintf(o1, sizeof o1, "--exportProfile=%s", test_path(bin, "p.json"));
    snprintf(o2, sizeof o2, "--exportTimes=%s", test_path(bin, "t.json"));
    snprintf(o3, sizeof o3, "--exportLayerInfo=%s", test_path(bin, "l.json"));
    int64_t before = wp_ts_now_local();
    test_run_result r = test_run_cli((const char *[]){"run", "--sysfs-root", root, "--result-dir", res, "--model", "m",
                                                      "--", fake, "--onnx=m.onnx", o1, o2, o3, NULL});
    int64_t after = wp_ts_now_local();
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    wp_error err;
    int64_t anchor = 0;
    CHECK_INT(wp_run_info_read_anchor(test_path(res, "m/" WP_RUN_INFO_JSON), &anchor, &err), 0);
    CHECK(anchor >= before && anchor <= after);
    char *text = test_read_file(test_path(res, "m/" WP_TRTEXEC_TIMES));
    CHECK_CONTAINS(text, "startComputeMs");
    free(text);
    text = test_read_file(test_path(res, "m/" WP_TRTEXEC_PROFILE));
    CHECK_CONTAINS(text, "count");
    free(text);
    text = test_read_file(test_path(res, "m/trt_profiling/trt_engine_info.json"));
    CHECK_CONTAINS(text, "Layers");
    free(text);
    /* another command: only run_info.json, nothing collected */
    r = test_run_cli(
        (const char *[]){"run", "--sysfs-root", root, "--result-dir", res, "--model", "other", "--", "true", NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    CHECK(test_file_exists(test_path(res, "other/" WP_RUN_INFO_JSON)));
    CHECK(!test_file_exists(test_path(res, "other/trt_profiling")));
}

int main(void)
{
    test_read_profile();
    test_read_times();
    test_place();
    test_run_info();
    test_map_simulated();
    test_rival_offsets();
    test_run_collects();
    return test_summary();
}
