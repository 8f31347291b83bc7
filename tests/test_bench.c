/* bench: zoo -> bench through the CLI; the raw layout reads back with the
 * project's own readers (latency, engine) and feeds dataset's features. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testutil.h"
#include "wattprof/bench.h"
#include "wattprof/dataset.h"
#include "wattprof/device.h"
#include "wattprof/engine.h"
#include "wattprof/latency.h"
#include "wattprof/timestamp.h"
#include "wattprof/zoo.h"

static void test_raw_layout(const char *dir)
{
    const char *model = test_path(dir, "lenet.onnx");
    const char *raw = test_path(dir, "raw");
    CHECK_CLI(TEST_LIST("zoo", "--arch", "lenet", "--out", model), 0, NULL, NULL);
    test_run_result r = test_run_cli((const char *[]){"bench", "--model", model, "--result-dir", raw, "--runs", "3",
                                                      "--warmup", "1", "--threads", "1", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "12 layers, 3 cycles on cpu");
    CHECK_CONTAINS(r.out, "per-layer sum / untimed");
    CHECK_CONTAINS(r.out, "4 layers fused into the convolution or dense layer before them");
    test_run_free(&r);
    /* --duration: the summary's config names how many cycles ran, and both
     * what was asked */
    const char *raw_d = test_path(dir, "raw-duration");
    CHECK_CLI(TEST_LIST("bench", "--model", model, "--result-dir", raw_d, "--runs", "2", "--duration", "0.02",
                        "--warmup", "0", "--threads", "1", "--quiet"),
              0, TEST_LIST("12 layers, "), NULL);
    json_t *dsum = json_load_file(test_path(raw_d, "lenet/lenet_tensorrt.json"), 0, NULL);
    CHECK(dsum != NULL);
    json_t *dcfg = json_object_get(dsum, "config");
    CHECK_INT(json_integer_value(json_object_get(dcfg, "min_runs")), 2);
    CHECK_NEAR(json_real_value(json_object_get(dcfg, "duration")), 0.02, 1e-12);
    CHECK(json_integer_value(json_object_get(dcfg, "runs")) >= 2);
    CHECK_INT(json_array_size(json_object_get(dsum, "latencies")), json_integer_value(json_object_get(dcfg, "runs")));
    json_decref(dsum);

    wp_error err = {0};
    wp_latency lat;
    CHECK_INT(wp_latency_read(test_path(raw, "lenet/trt_profiling/trt_layer_latency.json"), &lat, &err), 0);
    CHECK_INT(lat.n_layers, 12);
    CHECK_INT(lat.n_cycles, 3);
    if (lat.n_layers == 12) {
        CHECK_STR(lat.names[0], "conv1");
        CHECK_STR(lat.names[11], "fc3");
        /* Layer ends are in execution order within a cycle and cycles follow each other. */
        for (size_t c = 0; c < lat.n_cycles; c++)
            for (size_t i = 1; i < lat.n_layers; i++)
                CHECK(wp_reported_at(&lat, i, c) >= wp_reported_at(&lat, i - 1, c));
        CHECK(wp_reported_at(&lat, 0, 1) > wp_reported_at(&lat, 11, 0));
    }

    /* The windows file: start + latency = end, one row per layer per cycle
     * (to the stamps' microsecond: the latency itself is in nanoseconds). */
    char *win = test_read_file(test_path(raw, "lenet/trt_profiling/" WP_LAYER_WINDOWS_CSV));
    CHECK(win != NULL);
    CHECK_INT(test_count_lines(win), 1 + 36);
    CHECK(strncmp(win, WP_LAYER_WINDOWS_HEADER "\n", strlen(WP_LAYER_WINDOWS_HEADER) + 1) == 0);
    if (win) {
        char *line = strchr(win, '\n') + 1;
        char name[64], start[32], end[32];
        int cyc, idx;
        double ms;
        CHECK_INT(sscanf(line, "%d,%d,%63[^,],%31[^,],%31[^,],%lf", &cyc, &idx, name, start, end, &ms), 6);
        int64_t s, e;
        CHECK_INT(wp_ts_parse(start, strlen(start), &s), 0);
        CHECK_INT(wp_ts_parse(end, strlen(end), &e), 0);
        CHECK_NEAR((double)(e - s) / 1000.0, ms, 0.0005 + 1e-12);
        CHECK_STR(name, "conv1");
        CHECK_NEAR(ms, wp_latency_at(&lat, 0, 0), 1e-12);
        CHECK_INT(e, wp_reported_at(&lat, 0, 0));
    }
    free(win);
    wp_latency_free(&lat);

    /* Engine info: types and attributes dataset keys on. */
    wp_engine eng;
    CHECK_INT(wp_engine_read(test_path(raw, "lenet/trt_profiling/trt_engine_info.json"), &eng, &err), 0);
    CHECK_INT(eng.n, 12);
    int conv = 0, pool = 0, dense = 0;
    for (size_t i = 0; i < eng.n; i++) {
        const wp_engine_layer *l = &eng.layers[i];
        conv += l->kind == WP_KIND_CONV;
        pool += l->kind == WP_KIND_POOL;
        dense += l->kind == WP_KIND_DENSE;
        if (l->kind != WP_KIND_OTHER) {
            wp_feature_row row;
            CHECK_INT(wp_layer_features(l, l->kind, &row, &err), 0);
        }
    }
    CHECK_INT(conv, 2);
    CHECK_INT(pool, 2);
    CHECK_INT(dense, 3);
    /* the machine's level-2 cache, for dataset's placement (0: it does not
     * say, and neither does the file) */
    CHECK_INT((long long)eng.cache_bytes, wp_device_l2_cache_bytes(NULL));
    if (wp_device_l2_cache_bytes(NULL) == 0)
        printf("# this machine names no level-2 cache: DeviceCacheBytes not checked present\n");
    /* and the output channels its convolutions compute together: a vector
     * register's float lanes (4, 8 or 16 on x86; 0 and absent for an ISA
     * oneDNN does not name) */
    CHECK_INT(eng.channel_block, wp_cpu_channel_block());
    CHECK(eng.channel_block == 0 || eng.channel_block == 4 || eng.channel_block == 8 || eng.channel_block == 16);
    if (eng.channel_block == 0)
        printf("# oneDNN names no ISA here: DeviceChannelBlock not checked present\n");
    const wp_engine_layer *c1 = wp_engine_find(&eng, "conv1");
    CHECK(c1 && strcmp(c1->type, "CaskConvolution") == 0);
    if (c1) {
        CHECK_INT(c1->kernel[0], 5);
        CHECK_INT(c1->pre_padding[0], 2);
        CHECK_INT(c1->post_padding[1], 2);
        CHECK_INT(c1->out_maps, 6);
        CHECK_INT(c1->input.d[1], 1);
        CHECK_INT(c1->output.d[2], 28);
    }
    /* the engine info says which layers ran inside another */
    const wp_engine_layer *r1 = wp_engine_find(&eng, "conv1.relu");
    CHECK(r1 && r1->fused_into && strcmp(r1->fused_into, "conv1") == 0);
    CHECK(c1 && !c1->fused_into);
    const wp_engine_layer *p1 = wp_engine_find(&eng, "pool1");
    CHECK(p1 && p1->has_window && p1->window[0] == 2 && p1->stride[1] == 2);
    CHECK(p1 && p1->pooling_type && strcmp(p1->pooling_type, "MAX") == 0);
    const wp_engine_layer *f1 = wp_engine_find(&eng, "fc1");
    CHECK(f1 && strcmp(f1->type, "CaskGemmConvolution") == 0);
    if (f1) {
        CHECK_INT(f1->out_maps, 120);
        CHECK_INT(f1->input.n, 4);
        CHECK_INT(f1->input.d[1], 400);
    }
    /* wp_graph_to_engine gives the same layers without a file. */
    wp_graph g;
    CHECK_INT(wp_onnx_read(model, NULL, &g, &err), 0);
    wp_engine mem;
    CHECK_INT(wp_graph_to_engine(&g, &mem, &err), 0);
    CHECK_INT(mem.n, eng.n);
    for (size_t i = 0; i < mem.n && i < eng.n; i++) {
        CHECK_STR(mem.layers[i].name, eng.layers[i].name);
        CHECK_INT(mem.layers[i].kind, eng.layers[i].kind);
        CHECK_INT(mem.layers[i].output.d[1], eng.layers[i].output.d[1]);
    }
    wp_engine_free(&mem);
    wp_graph_free(&g);
    wp_engine_free(&eng);

    /* The summary: upstream keys plus the untimed reference. */
    json_error_t je;
    json_t *sum = json_load_file(test_path(raw, "lenet/lenet_tensorrt.json"), 0, &je);
    CHECK(sum != NULL);
    if (sum) {
        CHECK_INT(json_array_size(json_object_get(sum, "latencies")), 3);
        CHECK_INT(json_array_size(json_object_get(sum, "untimed_latencies")), 3);
        json_t *cfg = json_object_get(sum, "config");
        CHECK_INT(json_integer_value(json_object_get(cfg, "runs")), 3);
        CHECK_INT(json_integer_value(json_object_get(cfg, "warmup")), 1);
        CHECK_STR(json_string_value(json_object_get(cfg, "model")), "lenet");
        CHECK_INT(json_integer_value(json_array_get(json_object_get(cfg, "input_shape"), 2)), 28);
        double avg = json_real_value(json_object_get(sum, "avg_latency"));
        CHECK(avg > 0);
        CHECK_NEAR(json_real_value(json_object_get(sum, "avg_throughput")), 1000.0 / avg, 1e-9);
        /* Each ReLU ran as the post-op of the convolution or dense layer
         * before it. */
        json_t *fused = json_object_get(sum, "fused_layers");
        CHECK_INT(json_object_size(fused), 4);
        CHECK_STR(json_string_value(json_object_get(fused, "conv1.relu")), "conv1");
        CHECK_STR(json_string_value(json_object_get(fused, "conv2.relu")), "conv2");
        CHECK_STR(json_string_value(json_object_get(fused, "fc1.relu")), "fc1");
        CHECK_STR(json_string_value(json_object_get(fused, "fc2.relu")), "fc2");
        json_decref(sum);
    }
    r = test_run_cli((const char *[]){"bench", "--model", model, "--result-dir", raw, "--name", "unfused", "--runs",
                                      "1", "--warmup", "0", "--threads", "1", "--no-fusion", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    CHECK(strstr(r.out, "layers fused into") == NULL);
    test_run_free(&r);
    sum = json_load_file(test_path(raw, "unfused/unfused_tensorrt.json"), 0, &je);
    CHECK(sum != NULL);
    CHECK_INT(json_object_size(json_object_get(sum, "fused_layers")), 0);
    json_decref(sum);
    CHECK_INT(wp_engine_read(test_path(raw, "unfused/trt_profiling/trt_engine_info.json"), &eng, &err), 0);
    for (size_t i = 0; i < eng.n; i++)
        CHECK(!eng.layers[i].fused_into);
    wp_engine_free(&eng);
}

static void test_errors(const char *dir)
{
    const char *bad = test_path(dir, "bad.onnx");
    test_write_file(bad, "\x08\x08\x12garbage");
    const char *raw = test_path(dir, "raw-bad");
    test_run_result r = test_run_cli((const char *[]){"bench", "--model", bad, "--result-dir", raw, NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "bad.onnx");
    CHECK(!test_file_exists(test_path(raw, "bad")));
    test_run_free(&r);
    CHECK_CLI(TEST_LIST("bench", "--model", bad), 2, NULL, NULL);
    r = test_run_cli((const char *[]){"bench", "--model", test_path(dir, "lenet.onnx"), "--result-dir", raw, "--input",
                                      "1x3x28x28", NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "wrong input shape");
    test_run_free(&r);
    r = test_run_cli((const char *[]){"bench", "--model", test_path(dir, "lenet.onnx"), "--result-dir", raw,
                                      "--backend", "gpu", NULL});
    CHECK_INT(r.status, 2);
    CHECK_CONTAINS(r.err, "unknown backend 'gpu'");
    test_run_free(&r);
    CHECK_CLI(TEST_LIST("bench", "--model", test_path(dir, "lenet.onnx"), "--result-dir", raw, "--duration", "-1"), 2,
              NULL, TEST_LIST("--duration"));
    CHECK_CLI(TEST_LIST("bench", "--model", test_path(dir, "lenet.onnx"), "--result-dir", raw, "--duration", "nan"), 2,
              NULL, TEST_LIST("--duration"));
    if (wp_backend_available(WP_BACKEND_CUDA)) {
        /* Built in: runs where there is a GPU, else one clean error. */
        r = test_run_cli((const char *[]){"bench", "--model", test_path(dir, "lenet.onnx"), "--result-dir", raw,
                                          "--backend", "cuda", "--runs", "1", NULL});
        CHECK(r.status == 0 || (r.status == 1 && strstr(r.err, "CUDA") && test_count_lines(r.err) == 1));
        test_run_free(&r);
        /* The module is looked up at run time: a missing one is one line
         * naming the backend and the loader's reason, and nothing written. */
        const char *missing = test_path(dir, "no-such-libwattprof_cuda.so");
        CHECK_INT(setenv("WATTPROF_CUDA_MODULE", missing, 1), 0);
        r = test_run_cli((const char *[]){"bench", "--model", test_path(dir, "lenet.onnx"), "--result-dir",
                                          test_path(dir, "raw-nomodule"), "--backend", "cuda", "--runs", "1", NULL});
        unsetenv("WATTPROF_CUDA_MODULE");
        CHECK_INT(r.status, 1);
        CHECK_CONTAINS(r.err, "backend 'cuda' is not available: ");
        CHECK_CONTAINS(r.err, "no-such-libwattprof_cuda.so");
        CHECK_INT(test_count_lines(r.err), 1);
        CHECK(!test_file_exists(test_path(dir, "raw-nomodule")));
        test_run_free(&r);
    } else {
        r = test_run_cli((const char *[]){"bench", "--model", test_path(dir, "lenet.onnx"), "--result-dir", raw,
                                          "--backend", "cuda", "--runs", "1", NULL});
        CHECK_INT(r.status, 1);
        CHECK_CONTAINS(r.err, "backend 'cuda' is not built in");
        CHECK(!test_file_exists(test_path(raw, "lenet")));
        test_run_free(&r);
    }
}

/* predict --onnx: the option's plumbing and errors (the happy path is
 * tests/test_predict_onnx.c). */
static void test_predict_onnx(const char *dir)
{
    const char *model = test_path(dir, "lenet.onnx");
    test_run_result r =
        test_run_cli((const char *[]){"predict", "--models", dir, "--onnx", model, "--engine-info", model, NULL});
    CHECK_INT(r.status, 2);
    test_run_free(&r);
    r = test_run_cli(
        (const char *[]){"predict", "--models", dir, "--input", "1x1x28x28", "--engine-info", model, NULL});
    CHECK_INT(r.status, 2);
    CHECK_CONTAINS(r.err, "--input goes with --onnx");
    test_run_free(&r);
    CHECK_CLI(TEST_LIST("predict", "--models", dir, "--onnx", test_path(dir, "bad.onnx")), 1, NULL,
              TEST_LIST("bad.onnx"));
    CHECK_CLI(TEST_LIST("predict", "--models", dir, "--onnx", model, "--input", "1x3x28x28"), 1, NULL,
              TEST_LIST("wrong input shape"));
    /* A readable network but no models: the models error. */
    CHECK_CLI(TEST_LIST("predict", "--models", test_path(dir, "no-models"), "--onnx", model), 1, NULL,
              TEST_LIST("no model files"));
}

/* The ref backend runs the same loop: per-layer sum and cycle agree. */
static void test_library_ref(void)
{
    wp_graph g;
    wp_error err = {0};
    CHECK_INT(wp_zoo_build("lenet", NULL, &g, &err), 0);
    wp_bench_options opt;
    wp_bench_options_init(&opt);
    opt.backend = WP_BACKEND_REF;
    opt.runs = 2;
    opt.warmup = 0;
    wp_bench_result res;
    CHECK_INT(wp_bench_run(&g, &opt, &res, NULL, &err), 0);
    CHECK_INT(res.n_cycles, 2);
    CHECK_INT(res.channel_block, 1); /* plain loops: no rounding */
    CHECK(res.mean_layer_sum_ms <= res.mean_cycle_ms + 1e-9);
    CHECK(res.first_start_local_us <= res.last_end_local_us);
    wp_bench_result_free(&res);
    opt.runs = 0;
    CHECK_INT(wp_bench_run(&g, &opt, &res, NULL, &err), -1);
    opt.runs = 2;
    opt.duration_s = -1;
    CHECK_INT(wp_bench_run(&g, &opt, &res, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "duration");
    opt.duration_s = 0;
    opt.max_samples = 12; /* lenet: 12 layers, so one cycle */
    CHECK_INT(wp_bench_run(&g, &opt, &res, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "2 runs of 12 layers are more than the 12 latencies");
    wp_graph_free(&g);
}

/* --duration: at least `runs` cycles and at least that long (neither
 * bound depends on how fast the machine is: the loop stops only when both
 * are met), every cycle kept in order (100 runs grow the buffers past
 * their first 64 cycles); the sample limit stops it early, saying so,
 * with every cycle it took. */
static void test_duration(void)
{
    wp_graph g;
    wp_error err = {0};
    CHECK_INT(wp_zoo_build("mlp", NULL, &g, &err), 0);
    wp_bench_options opt;
    wp_bench_options_init(&opt);
    opt.backend = WP_BACKEND_REF;
    opt.runs = 3;
    opt.warmup = 0;
    opt.duration_s = 0.05;
    wp_bench_result res;
    CHECK_INT(wp_bench_run(&g, &opt, &res, NULL, &err), 0);
    CHECK(res.n_cycles >= 3);
    CHECK_INT(res.sample_limit_hit, 0);
    CHECK(res.last_end_local_us - res.first_start_local_us >= 40000);
    wp_bench_result_free(&res);

    opt.runs = 100;
    opt.duration_s = 1e-3;
    CHECK_INT(wp_bench_run(&g, &opt, &res, NULL, &err), 0);
    size_t L = res.n_layers, C = res.n_cycles;
    CHECK(C >= 100);
    for (size_t c = 1; c < C; c++) {
        CHECK(res.start_local_us[c] >= res.end_local_us[(L - 1) * C + c - 1]);
        CHECK(res.layer_ms[c] >= 0 && res.cycle_ms[c] >= res.layer_ms[c] - 1e-3);
    }
    wp_bench_result_free(&res);

    opt.duration_s = 60;
    opt.max_samples = 100 * L + L - 1; /* room for 100 cycles */
    CHECK_INT(wp_bench_run(&g, &opt, &res, NULL, &err), 0);
    CHECK_INT(res.n_cycles, 100);
    CHECK_INT(res.sample_limit_hit, 1);
    wp_bench_result_free(&res);
    wp_graph_free(&g);
}

int main(void)
{
    TEST_SKIP_UNLESS(wp_onnx_supported(), "ONNX support not built");
    const char *dir = test_tmpdir();
    test_library_ref();
    test_duration();
    if (!wp_backend_available(WP_BACKEND_CPU)) {
        printf("skip: oneDNN not built in; the cpu bench tests need it\n");
        test_summary();
        return 77;
    }
    test_raw_layout(dir);
    test_errors(dir);
    test_predict_onnx(dir);
    return test_summary();
}
