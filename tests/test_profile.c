/* profile: zoo -> profile through the CLI on a fake power sensor (a hwmon
 * rail at a constant power: every layer must get that power) and with no
 * sensor at all (runtime only, said so: runtime-only mapped and training
 * data, from which train fits the runtime pipelines). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_sysfs.h"
#include "testutil.h"
#include "wattprof/profile.h"
#include "wattprof/zoo.h"

static void test_fake_sensor(const char *dir, const char *model)
{
    const char *root = test_path(dir, "sys");
    fake_hwmon_power(root, "hwmon0", "acpi_power", 2500000);
    const char *res = test_path(dir, "res");
    /* the board, as a device tree names it: into the training rows */
    const char *devroot = test_path(dir, "devroot");
    test_write_file(test_path(devroot, "proc/device-tree/model"), "Fake Jetson Board");
    setenv("WATTPROF_DEVICE_ROOT", devroot, 1);
    /* 50 cycles: LeNet runs in ~15 us on the cpu backend, so the logged
     * part must span enough 100 us samples for most layers to get one. */
    test_run_result r = test_run_cli((const char *[]){"profile", "--model", model, "--result-dir", res, "--runs", "50",
                                                      "--warmup", "1", "--threads", "1", "--idle-seconds", "0.1",
                                                      "--sysfs-root", root, "--interval-us", "100", "--quiet", NULL});
    unsetenv("WATTPROF_DEVICE_ROOT");
    CHECK_INT(r.status, 0);
    if (r.status)
        fprintf(stderr, "%s\n", r.err);
    CHECK_CONTAINS(r.out, "power from hwmon");
    CHECK_CONTAINS(r.out, "idle 2.500 W");
    CHECK_CONTAINS(r.out, "TOTAL");
    /* Every layer with a power has the rail's constant 2.5 W, 0 above idle. */
    int rows = 0, powered = 0;
    for (char *line = strstr(r.out, "\nconv1 "); line && *line; line = strchr(line + 1, '\n')) {
        char name[64], type[64], p[32], above[32], e[32];
        double rt;
        if (sscanf(line + 1, "%63s %63s %lf %31s %31s %31s", name, type, &rt, p, above, e) != 6 ||
            strcmp(name, "TOTAL") == 0 || strcmp(name, "whole") == 0)
            break;
        rows++;
        if (strcmp(p, "-") != 0) {
            powered++;
            CHECK_NEAR(atof(p), 2.5, 1e-3);
            CHECK_NEAR(atof(above), 0.0, 1e-3);
            /* Both printed to 4 decimals: 2.5 x 5e-5 + 5e-5 of rounding,
             * which matters for the cpu backend's sub-microsecond layers. */
            CHECK_NEAR(atof(e), 2.5 * rt, 1e-3 * rt + 1.75e-4 + 1e-9);
        }
    }
    CHECK_INT(rows, 12);
    CHECK(powered >= 8);
    test_run_free(&r);
    CHECK(test_file_exists(test_path(res, "raw/idling_power.json")));
    CHECK(test_file_exists(test_path(res, "raw/lenet/lenet_power_log.log")));
    CHECK(test_file_exists(test_path(res, "raw/lenet/device.json"))); /* this machine's state: at least start, end */
    CHECK(test_file_exists(test_path(res, "raw/lenet/trt_profiling/trt_layer_latency.json")));
    CHECK(test_file_exists(test_path(res, "mapped/lenet/power_runtime_mapping_layerwise.csv")));
    char *dev = test_read_file(test_path(res, "mapped/lenet/device.json"));
    CHECK(dev && strstr(dev, "\"model\": \"Fake Jetson Board\"") && strstr(dev, "\"end\""));
    free(dev);
    char *conv = test_read_file(test_path(res, "training/lenet/convolutional.csv"));
    CHECK(conv != NULL);
    CHECK_INT(test_count_lines(conv), 3); /* header + conv1 + conv2 */
    CHECK_CONTAINS(conv, ",power,runtime,layer_name,device\n");
    CHECK_CONTAINS(conv, ",conv1,Fake Jetson Board\n");
    free(conv);

    /* A sensor that names a missing rail is an error, not "no sensor". */
    r = test_run_cli((const char *[]){"profile", "--model", model, "--result-dir", res, "--sysfs-root", root,
                                      "--source", "ina3221", "--runs", "1", NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "ina3221");
    test_run_free(&r);
}

static void test_no_sensor(const char *dir, const char *model)
{
    const char *res = test_path(dir, "res-none");
    test_run_result r =
        test_run_cli((const char *[]){"profile", "--model", model, "--result-dir", res, "--runs", "2", "--warmup", "0",
                                      "--sysfs-root", test_path(dir, "empty-sys"), "--quiet", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "no power sensor: runtime only");
    CHECK_CONTAINS(r.err, "no power sensor");
    CHECK_CONTAINS(r.out, "fc3 ");
    CHECK(test_file_exists(test_path(res, "raw/lenet/trt_profiling/trt_engine_info.json")));
    CHECK_CONTAINS(r.out, "power columns empty");
    test_run_free(&r);
    /* Runtime-only mapped and training data: every row has a runtime and
     * empty power cells. */
    char *map = test_read_file(test_path(res, "mapped/lenet/power_runtime_mapping_layerwise.csv"));
    CHECK(map != NULL);
    CHECK_INT(test_count_lines(map), 1 + 2 * 12); /* header + 12 layers x 2 cycles */
    CHECK_CONTAINS(map, "\n1,conv1,CaskConvolution,,,");
    free(map);
    char *conv = test_read_file(test_path(res, "training/lenet/convolutional.csv"));
    CHECK(conv != NULL);
    CHECK_INT(test_count_lines(conv), 3); /* header + conv1 + conv2 */
    CHECK_CONTAINS(conv, ",power,runtime,layer_name\n");
    CHECK_CONTAINS(conv, ",,"); /* the empty power cell before the runtime */
    free(conv);
    /* train: runtime pipelines from it, power pipelines skipped and said so.
     * Three networks' worth of rows: lenet profiled under three names. */
    const char *data = test_path(dir, "runtime-data");
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "net%d", k);
        test_run_result p =
            test_run_cli((const char *[]){"profile", "--model", model, "--result-dir", data, "--name", name, "--runs",
                                          "2", "--warmup", "0", "--no-power", "--quiet", NULL});
        CHECK_INT(p.status, 0);
        test_run_free(&p);
    }
    const char *models = test_path(dir, "runtime-models");
    r = test_run_cli((const char *[]){"train", "--data-dir", test_path(data, "training"), "--out-dir", models,
                                      "--test-models", "net2", "--cv", "2", "--quiet", NULL});
    CHECK_INT(r.status, 0);
    if (r.status)
        fprintf(stderr, "%s\n", r.err);
    CHECK_CONTAINS(r.out, "convolutional_power    (skipped: no power in the data");
    CHECK_CONTAINS(r.out, "power pipelines skipped for lack of power");
    CHECK(test_file_exists(test_path(models, "convolutional_runtime.json")));
    CHECK(test_file_exists(test_path(models, "dense_runtime.json")));
    CHECK(!test_file_exists(test_path(models, "convolutional_power.json")));
    test_run_free(&r);
    /* and predict takes those models: every modelled layer's runtime, no
     * power or energy number (said instead), exit 0 */
    const char *pred = test_path_kept(dir, "runtime-pred.csv");
    r = test_run_cli(TEST_LIST("predict", "--models", models, "--onnx", model, "--out", pred));
    CHECK_INT(r.status, 0);
    if (r.status)
        fprintf(stderr, "%s\n", r.err);
    CHECK_CONTAINS(r.out, "power, energy:          not modelled for ");
    double ms = 0;
    const char *tot = strstr(r.out, "modelled runtime:");
    CHECK(tot && sscanf(tot + strlen("modelled runtime:"), "%lf", &ms) == 1 && ms > 0);
    CHECK(!strstr(r.out, "nan") && !strstr(r.out, "energy per inference"));
    test_run_free(&r);
    char *pc = test_read_file(pred);
    CHECK(pc && test_count_lines(pc) > 3 && !strstr(pc, "nan"));
    /* power_prediction empty before the runtime on every row */
    for (const char *line = pc ? strchr(pc, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
        const char *c1 = strchr(line + 1, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        CHECK(c2 && c2[1] == ',');
    }
    free(pc);
    CHECK_CLI(TEST_LIST("profile", "--model", test_path(dir, "missing.onnx"), "--result-dir", res), 1, NULL,
              TEST_LIST("missing.onnx"));
    r = test_run_cli(
        (const char *[]){"profile", "--model", model, "--result-dir", res, "--attribution", "magic", NULL});
    CHECK_INT(r.status, 2);
    test_run_free(&r);
}

/* A sensor that is there but cannot be opened is an error, not "no sensor":
 * the code (WP_ERR_NO_SENSOR or not) decides, not the message. */
static void test_broken_sensor(const char *dir, const char *model)
{
    const char *root = test_path(dir, "broken-sys");
    const char *hw = test_path(root, "class/hwmon/hwmon0");
    test_write_file(test_path(hw, "name"), "brokenchip\n");
    CHECK_INT(symlink("/nonexistent/wattprof-power", test_path(hw, "power1_input")), 0);
    test_run_result r =
        test_run_cli((const char *[]){"profile", "--model", model, "--result-dir", test_path(dir, "res-broken"),
                                      "--runs", "1", "--warmup", "0", "--sysfs-root", root, "--quiet", NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "cannot open sensor file");
    CHECK(!strstr(r.out, "runtime only"));
    test_run_free(&r);
}

/* --cooldown: the first run into DIR writes the idle reading
 * DIR/raw/device.json; a later one with the board still hot waits, gives up
 * at the timeout with a warning, and records it in its device.json. */
static void test_cooldown(const char *dir, const char *model_path)
{
    /* test_path's buffers are reused: keep copies */
    char *model = strdup(model_path), *dev = strdup(test_path(dir, "cool-dev"));
    test_write_file(test_path(dev, "sys/class/thermal/thermal_zone0/type"), "gpu-thermal\n");
    char *temp = strdup(test_path(dev, "sys/class/thermal/thermal_zone0/temp"));
    fake_set(temp, 41000);
    setenv("WATTPROF_DEVICE_ROOT", dev, 1);
    char *res = strdup(test_path(dir, "res-cool"));
    const char *args[] = {
        "profile", "--model",    model, "--result-dir",       res,   "--runs", "2", "--warmup", "0", "--no-power",
        "--quiet", "--cooldown", "5",   "--cooldown-timeout", "0.2", NULL};
    CHECK_CLI(args, 0, NULL, TEST_LIST("--cooldown: idle reading written to ", "raw/device.json"));
    CHECK(test_file_exists(test_path(res, "raw/device.json")));
    fake_set(temp, 49500);
    CHECK_CLI(args, 0, NULL,
              TEST_LIST("warning: still thermal_zone0 (gpu-thermal) at 49.5 C after 0 s, 8.5 C above the idle "
                        "41.0 C (--cooldown 5); measuring anyway"));
    char *d = test_read_file(test_path(res, "raw/lenet/device.json"));
    CHECK(d && strstr(d, "\"cooldown\"") && strstr(d, "\"reached\": false"));
    free(d);
    char *ref = test_read_file(test_path(res, "raw/device.json"));
    CHECK(ref && strstr(ref, "\"temp_mc\": 41000")); /* the reference is kept */
    free(ref);
    unsetenv("WATTPROF_DEVICE_ROOT");
    free(model);
    free(dev);
    free(temp);
    free(res);
}

int main(void)
{
    TEST_SKIP_UNLESS(wp_onnx_supported(), "ONNX support not built");
    wp_error err = {0};
    TEST_SKIP_UNLESS(wp_backend_available(WP_BACKEND_CPU), "oneDNN not built in; profile runs the cpu backend");
    const char *dir = test_tmpdir();
    const char *model = test_path(dir, "lenet.onnx");
    CHECK_INT(wp_zoo_write("lenet", NULL, model, &err), 0);
    test_fake_sensor(dir, model);
    test_no_sensor(dir, model);
    test_broken_sensor(dir, model);
    test_cooldown(dir, model);
    return test_summary();
}
