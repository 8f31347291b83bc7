/* sensor: discovery and reading on fake sysfs trees, every layout. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_sysfs.h"
#include "testutil.h"
#include "wattprof/sensor.h"
#include "wattprof/timestamp.h"

static const char *const orin_labels[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VDD_IN"};
static const long orin_mv[3] = {5008, 5016, 5024};
static const long orin_ma[3] = {1200, 800, 2400};

static wp_sensor *open_rail(const char *root, wp_source_kind kind, const char *rail, wp_error *err)
{
    wp_sensor_options o = {root, kind, rail};
    return wp_sensor_open(&o, err);
}

static void test_ina3221_hwmon(void)
{
    const char *root = test_tmpdir();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma));

    wp_rail_list list;
    wp_error err;
    char note[WP_ERROR_MAX];
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_INA3221, &list, note, &err), 0);
    CHECK_INT(list.n, 3); /* in4..in7 and curr4 are not rails */
    if (list.n == 3) {
        CHECK_STR(list.rails[0].name, "VDD_GPU_SOC");
        CHECK_STR(list.rails[2].name, "VDD_IN");
        CHECK_INT(list.rails[2].index, 3);
        CHECK_INT(list.rails[2].is_default, 1);
        CHECK_INT(list.rails[0].is_default, 0);
        CHECK_STR(list.rails[1].where, dir);
    }
    wp_rail_list_free(&list);

    /* Default: VDD_IN, whatever its channel. */
    wp_sensor *s = open_rail(root, WP_SOURCE_AUTO, NULL, &err);
    CHECK(s != NULL);
    if (s) {
        double mv = 0, ma = 0;
        CHECK_INT(wp_sensor_rail(s)->kind, WP_SOURCE_INA3221);
        CHECK_STR(wp_sensor_rail(s)->name, "VDD_IN");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv, 5024, 0);
        CHECK_NEAR(ma, 2400, 0);
        /* Re-read through the same descriptor sees a new value. */
        fake_set(test_path(dir, "curr3_input"), 2500);
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(ma, 2500, 0);
        wp_sensor_free(s);
    }
    /* By label and by index. */
    s = open_rail(root, WP_SOURCE_INA3221, "VDD_CPU_CV", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv, 5016, 0);
        CHECK_NEAR(ma, 800, 0);
        wp_sensor_free(s);
    }
    s = open_rail(root, WP_SOURCE_INA3221, "1", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_STR(wp_sensor_rail(s)->name, "VDD_GPU_SOC");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv * ma, 5008.0 * 1200, 0);
        wp_sensor_free(s);
    }
    /* Unknown rail: the error lists what there is. */
    s = open_rail(root, WP_SOURCE_INA3221, "VDD_NOPE", &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "no rail 'VDD_NOPE'");
    CHECK_INT(err.code, WP_ERR_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "3=VDD_IN");
    s = open_rail(root, WP_SOURCE_INA3221, "4", &err);
    CHECK(s == NULL);
    /* A disabled channel is not offered. */
    test_write_file(test_path(dir, "in1_enable"), "0\n");
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_INA3221, &list, note, &err), 0);
    CHECK_INT(list.n, 2);
    if (list.n == 2)
        CHECK_STR(list.rails[0].name, "VDD_CPU_CV");
    wp_rail_list_free(&list);
    test_write_file(test_path(dir, "in1_enable"), "1\n");
    s = open_rail(root, WP_SOURCE_INA3221, "0", &err);
    CHECK(s == NULL);
}

static void test_ina3221_two_devices(void)
{
    const char *root = test_tmpdir();
    const char *const l1[3] = {"VDD_IN", "VDD_CPU", "VDD_GPU"};
    const char *const l2[3] = {"VDD_SOC", "VDD_DDR", "VDD_CV"};
    const long mv2[3] = {4900, 4901, 4902}, ma2[3] = {10, 11, 12};
    fake_ina_hwmon(root, "1-0040", "hwmon2", l1, orin_mv, orin_ma);
    fake_ina_hwmon(root, "1-0041", "hwmon10", l2, mv2, ma2);
    wp_rail_list list;
    wp_error err;
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_AUTO, &list, NULL, &err), 0);
    CHECK_INT(list.n, 6);
    if (list.n == 6) {
        CHECK_STR(list.rails[3].name, "VDD_SOC");
        CHECK_INT(list.rails[3].index, 4);
        CHECK_INT(list.rails[0].is_default, 1);
    }
    wp_rail_list_free(&list);
    wp_sensor *s = open_rail(root, WP_SOURCE_INA3221, "6", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_STR(wp_sensor_rail(s)->name, "VDD_CV");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv, 4902, 0);
        CHECK_NEAR(ma, 12, 0);
        wp_sensor_free(s);
    }
}

/* AGX Orin (JetPack 5/6): two monitors, 1-0040 and 1-0041, channel 3 of the
 * second one without an input (not wired) and channel 2 unlabelled; Orin
 * Nano/NX: one monitor with the board input on channel 1. */
static const char *const agx_40[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"};
static const char *const agx_41[3] = {"NC", NULL, "VDDQ_VDD2_1V8AO"};

static void test_ina3221_agx_orin(void)
{
    const char *root = test_tmpdir();
    const long mv41[3] = {0, 4990, 1800}, ma41[3] = {0, 20, 330};
    fake_ina_hwmon(root, "1-0040", "hwmon2", agx_40, orin_mv, orin_ma);
    char dir41[1024];
    snprintf(dir41, sizeof dir41, "%s", fake_ina_hwmon(root, "1-0041", "hwmon3", agx_41, mv41, ma41));
    /* Channel 1 of 1-0041 is switched off by the driver: no reading. */
    test_write_file(test_path(dir41, "in1_enable"), "0\n");
    wp_rail_list list;
    wp_error err;
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_INA3221, &list, NULL, &err), 0);
    CHECK_INT(list.n, 5);
    if (list.n == 5) {
        CHECK_STR(list.rails[2].name, "VIN_SYS_5V0");
        /* the board's 5 V input is the default, as VDD_IN elsewhere */
        CHECK_INT(list.rails[2].is_default, 1);
        CHECK_INT(list.rails[0].is_default, 0);
        CHECK_STR(list.rails[3].name, "in2"); /* no label: its channel */
        CHECK_STR(list.rails[4].name, "VDDQ_VDD2_1V8AO");
        CHECK_CONTAINS(list.rails[4].where, "/1-0041/hwmon/hwmon3");
        CHECK_CONTAINS(list.rails[0].where, "/1-0040/hwmon/hwmon2");
        CHECK_INT(list.rails[4].index, 5);
        CHECK_INT(list.rails[4].channel, 3);
    }
    wp_rail_list_free(&list);
    wp_sensor *s = open_rail(root, WP_SOURCE_INA3221, "VDDQ_VDD2_1V8AO", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv, 1800, 0);
        CHECK_NEAR(ma, 330, 0);
        fake_set(test_path(dir41, "curr3_input"), 345);
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(ma, 345, 0);
        wp_sensor_free(s);
    }
    /* A channel whose voltage input is missing is not offered either. */
    CHECK_INT(unlink(test_path(dir41, "in2_input")), 0);
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_INA3221, &list, NULL, &err), 0);
    CHECK_INT(list.n, 4);
    wp_rail_list_free(&list);
}

static void test_ina3221_orin_nano(void)
{
    wp_error err;
    const char *root = test_tmpdir();
    const char *const labels[3] = {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"};
    const long mv[3] = {5080, 5072, 5064}, ma[3] = {1480, 360, 720};
    fake_ina_hwmon(root, "1-0040", "hwmon1", labels, mv, ma);
    wp_sensor *s = open_rail(root, WP_SOURCE_AUTO, NULL, &err);
    CHECK(s != NULL);
    if (s) {
        double v, c;
        CHECK_STR(wp_sensor_rail(s)->name, "VDD_IN");
        CHECK_INT(wp_sensor_read(s, &v, &c, &err), 1);
        CHECK_NEAR(v * c, 5080.0 * 1480, 0);
        wp_sensor_free(s);
    }
    s = open_rail(root, WP_SOURCE_INA3221, "VDD_SOC", &err);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(wp_sensor_rail(s)->channel, 3);
        wp_sensor_free(s);
    }
}

/* The same label on both monitors, and unlabelled channels on both: each is
 * named "<device>/<label>", the plain label matches none of them. */
static void test_ina3221_label_collision(void)
{
    const char *root = test_tmpdir();
    const char *const l40[3] = {"VDD_IN", NULL, "VDD_CPU"};
    const char *const l41[3] = {"VDD_IN", NULL, "VDD_GPU"};
    const long mv41[3] = {4700, 4701, 4702}, ma41[3] = {70, 71, 72};
    fake_ina_hwmon(root, "1-0040", "hwmon0", l40, orin_mv, orin_ma);
    fake_ina_hwmon(root, "1-0041", "hwmon1", l41, mv41, ma41);
    wp_rail_list list;
    wp_error err;
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_INA3221, &list, NULL, &err), 0);
    CHECK_INT(list.n, 6);
    if (list.n == 6) {
        CHECK_STR(list.rails[0].name, "1-0040/VDD_IN");
        CHECK_STR(list.rails[1].name, "1-0040/in2");
        CHECK_STR(list.rails[2].name, "VDD_CPU");
        CHECK_STR(list.rails[3].name, "1-0041/VDD_IN");
        CHECK_STR(list.rails[4].name, "1-0041/in2");
        CHECK_STR(list.rails[5].name, "VDD_GPU");
    }
    wp_rail_list_free(&list);
    wp_sensor *s = open_rail(root, WP_SOURCE_INA3221, "VDD_IN", &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "4=1-0041/VDD_IN");
    s = open_rail(root, WP_SOURCE_INA3221, "1-0041/VDD_IN", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv, 4700, 0);
        CHECK_NEAR(ma, 70, 0);
        wp_sensor_free(s);
    }
}

static void test_ina3221_iio(void)
{
    const char *root = test_tmpdir();
    const char *const labels[3] = {"POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"};
    const long mv[3] = {5096, 5080, 5072}, ma[3] = {1392, 80, 320};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fake_ina_iio(root, "6-0040", 0, labels, mv, ma));
    wp_rail_list list;
    wp_error err;
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_INA3221, &list, NULL, &err), 0);
    CHECK_INT(list.n, 3);
    if (list.n == 3) {
        CHECK_STR(list.rails[1].name, "POM_5V_GPU");
        CHECK_INT(list.rails[0].is_default, 1);
        CHECK_INT(list.rails[2].channel, 2);
    }
    wp_rail_list_free(&list);
    wp_sensor *s = open_rail(root, WP_SOURCE_AUTO, NULL, &err);
    CHECK(s != NULL);
    if (s) {
        double v, c;
        CHECK_STR(wp_sensor_rail(s)->name, "POM_5V_IN");
        CHECK_INT(wp_sensor_read(s, &v, &c, &err), 1);
        CHECK_NEAR(v, 5096, 0);
        CHECK_NEAR(c, 1392, 0);
        fake_set(test_path(dir, "in_current0_input"), 1500);
        CHECK_INT(wp_sensor_read(s, &v, &c, &err), 1);
        CHECK_NEAR(c, 1500, 0);
        wp_sensor_free(s);
    }
    s = open_rail(root, WP_SOURCE_INA3221, "POM_5V_CPU", &err);
    CHECK(s != NULL);
    if (s) {
        double v, c;
        CHECK_INT(wp_sensor_read(s, &v, &c, &err), 1);
        CHECK_NEAR(v * c, 5072.0 * 320, 0);
        wp_sensor_free(s);
    }
}

static void test_hwmon_power(void)
{
    const char *root = test_tmpdir();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fake_hwmon_power(root, "hwmon0", "acpi_power", 15250000));
    fake_hwmon_power(root, "hwmon4", "labelled", 3000);
    test_write_file(test_path(fake_hwmon_power(root, "hwmon4", "labelled", 3000), "power1_label"), "PSU\n");
    /* A temperature-only hwmon contributes nothing. */
    test_write_file(test_path(root, "class/hwmon/hwmon1/temp1_input"), "40000\n");
    wp_rail_list list;
    wp_error err;
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_HWMON, &list, NULL, &err), 0);
    CHECK_INT(list.n, 2);
    if (list.n == 2) {
        CHECK_STR(list.rails[0].name, "acpi_power:power1");
        CHECK_STR(list.rails[1].name, "PSU");
        CHECK_STR(list.rails[0].units, "uW");
    }
    wp_rail_list_free(&list);
    wp_sensor *s = open_rail(root, WP_SOURCE_AUTO, NULL, &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_INT(wp_sensor_rail(s)->kind, WP_SOURCE_HWMON);
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        /* Power-only: nominal 1000 mV, current = mW; the product is uW. */
        CHECK_NEAR(mv, 1000, 0);
        CHECK_NEAR(ma, 15250, 0);
        CHECK_NEAR(mv * ma, 15250000, 0);
        wp_sensor_free(s);
    }
    s = open_rail(root, WP_SOURCE_HWMON, "PSU", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv * ma, 3000, 0);
        wp_sensor_free(s);
    }
}

/* Reads with the time bracketed, so the power the sensor computed can be
 * bounded by energy / (the shortest and longest possible interval). */
static int timed_read(wp_sensor *s, double *mv, double *ma, int64_t *before, int64_t *after, wp_error *err)
{
    *before = wp_ts_monotonic_us();
    int r = wp_sensor_read(s, mv, ma, err);
    *after = wp_ts_monotonic_us();
    return r;
}

static void check_energy_power(double uw, double delta_uj, int64_t b1, int64_t a1, int64_t b2, int64_t a2)
{
    double lo = delta_uj / (double)(a2 - b1) * 1e6, hi = delta_uj / (double)(b2 - a1 > 0 ? b2 - a1 : 1) * 1e6;
    CHECK(uw >= lo * (1 - 1e-9));
    CHECK(uw <= hi * (1 + 1e-9));
    if (!(uw >= lo * (1 - 1e-9) && uw <= hi * (1 + 1e-9)))
        fprintf(stderr, "power %g outside [%g, %g]\n", uw, lo, hi);
}

static void test_rapl(void)
{
    const char *root = test_tmpdir();
    const long long max_range = 262143328850LL;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fake_rapl(root, "intel-rapl:0", "package-0", max_range - 1500, max_range));
    fake_rapl(root, "intel-rapl:0:0", "core", 5, max_range);
    fake_rapl(root, "intel-rapl:1", "psys", 5, max_range);
    test_write_file(test_path(root, "class/powercap/intel-rapl/enabled"), "1\n"); /* the control type */
    wp_rail_list list;
    wp_error err;
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_RAPL, &list, NULL, &err), 0);
    CHECK_INT(list.n, 3);
    if (list.n == 3) {
        CHECK_STR(list.rails[0].name, "package-0");
        CHECK_STR(list.rails[1].name, "package-0:core");
        CHECK_STR(list.rails[2].name, "psys");
        CHECK_INT(list.rails[0].is_default, 1);
    }
    wp_rail_list_free(&list);

    wp_sensor *s = open_rail(root, WP_SOURCE_RAPL, NULL, &err);
    CHECK(s != NULL);
    if (!s)
        return;
    double mv, ma;
    int64_t b1, a1, b2, a2;
    /* The first read only primes the counter; unchanged counters give no sample. */
    CHECK_INT(timed_read(s, &mv, &ma, &b1, &a1, &err), 0);
    CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 0);
    usleep(20000);
    fake_set(test_path(dir, "energy_uj"), max_range - 500); /* +1000 uJ */
    CHECK_INT(timed_read(s, &mv, &ma, &b2, &a2, &err), 1);
    CHECK_NEAR(mv, 1000, 0);
    check_energy_power(mv * ma, 1000, b1, a1, b2, a2);

    /* Wrap-around: max - 500 -> 700 is 500 + 700 = 1200 uJ, not a negative
     * step nor 700. */
    usleep(20000);
    fake_set(test_path(dir, "energy_uj"), 700);
    int64_t b3, a3;
    CHECK_INT(timed_read(s, &mv, &ma, &b3, &a3, &err), 1);
    check_energy_power(mv * ma, 1200, b2, a2, b3, a3);
    CHECK(ma > 0);
    wp_sensor_free(s);
}

static void test_nvml_absent(void)
{
    const char *root = test_tmpdir();
    setenv("WATTPROF_NVML_LIB", "/nonexistent/libnvidia-ml-missing.so.1", 1);
    wp_error err;
    wp_sensor *s = open_rail(root, WP_SOURCE_NVML, NULL, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "nvml");
    CHECK_CONTAINS(err.msg, "libnvidia-ml-missing.so.1");
    wp_rail_list list;
    char note[WP_ERROR_MAX];
    CHECK_INT(wp_sensor_list(root, WP_SOURCE_AUTO, &list, note, &err), 0);
    CHECK_INT(list.n, 0);
    CHECK_CONTAINS(note, "cannot load");
    wp_rail_list_free(&list);
    /* auto on a machine with nothing at all: one clear error. */
    s = open_rail(root, WP_SOURCE_AUTO, NULL, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "no power sensor found");
    CHECK_INT(err.code, WP_ERR_NO_SENSOR);
    s = open_rail(root, WP_SOURCE_INA3221, NULL, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "no ina3221 sensor");
    CHECK_INT(err.code, WP_ERR_NO_SENSOR);
    unsetenv("WATTPROF_NVML_LIB");
}

#ifdef WATTPROF_FAKE_NVML
/* The NVML source against tests/fake_nvml: dlopen, both rail kinds, errors. */
static void test_nvml_fake(void)
{
    const char *dir = test_tmpdir();
    if (!fake_nvml_use(dir))
        return;
    setenv("FAKE_NVML_GPUS", "2", 1);
    test_write_file(test_path(dir, "gpu0_power_mw"), "45000\n");
    test_write_file(test_path(dir, "gpu0_energy_mj"), "1000\n");
    test_write_file(test_path(dir, "gpu1_power_mw"), "30000\n"); /* no energy counter */
    wp_rail_list list;
    wp_error err;
    char note[WP_ERROR_MAX];
    CHECK_INT(wp_sensor_list(test_tmpdir(), WP_SOURCE_AUTO, &list, note, &err), 0);
    CHECK_INT(list.n, 3);
    CHECK_STR(note, "");
    if (list.n == 3) {
        CHECK_STR(list.rails[0].name, "gpu0");
        CHECK_STR(list.rails[1].name, "gpu0:energy");
        CHECK_STR(list.rails[2].name, "gpu1");
        CHECK_STR(list.rails[2].where, "GPU 1: Fake GPU 1");
        CHECK_INT(list.rails[0].is_default, 1);
        CHECK_INT(list.rails[0].kind, WP_SOURCE_NVML);
    }
    wp_rail_list_free(&list);

    /* auto falls through to nvml when there is no sysfs sensor. */
    wp_sensor *s = open_rail(test_tmpdir(), WP_SOURCE_AUTO, NULL, &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_STR(wp_sensor_rail(s)->name, "gpu0");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv * ma, 45000e3, 0);
        test_write_file(test_path(dir, "gpu0_power_mw"), "47500\n");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(ma, 47500, 0);
        unlink(test_path(dir, "gpu0_power_mw"));
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), -1);
        CHECK_CONTAINS(err.msg, "nvml gpu0: nvmlDeviceGetPowerUsage: Not Supported");
        wp_sensor_free(s);
    }
    s = open_rail(NULL, WP_SOURCE_NVML, "gpu0:energy", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        int64_t b1, a1, b2, a2;
        CHECK_INT(timed_read(s, &mv, &ma, &b1, &a1, &err), 0);
        usleep(20000);
        test_write_file(test_path(dir, "gpu0_energy_mj"), "1900\n"); /* +900 mJ */
        CHECK_INT(timed_read(s, &mv, &ma, &b2, &a2, &err), 1);
        check_energy_power(mv * ma, 900e3, b1, a1, b2, a2);
        wp_sensor_free(s);
    }
    /* A GPU without power reading offers only its counter: numbering follows. */
    s = open_rail(NULL, WP_SOURCE_NVML, "3", &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "1=gpu0:energy, 2=gpu1");
    test_write_file(test_path(dir, "gpu0_power_mw"), "45000\n");
    s = open_rail(NULL, WP_SOURCE_NVML, "3", &err);
    CHECK(s != NULL);
    if (s) {
        double mv, ma;
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        CHECK_NEAR(mv * ma, 30000e3, 0);
        wp_sensor_free(s);
    }
    setenv("FAKE_NVML_INIT_FAIL", "1", 1);
    s = open_rail(NULL, WP_SOURCE_NVML, NULL, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "nvmlInit failed: Driver Not Loaded");
    unsetenv("FAKE_NVML_INIT_FAIL");
    setenv("FAKE_NVML_GPUS", "0", 1);
    s = open_rail(NULL, WP_SOURCE_NVML, NULL, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "NVML found no GPU");
    unsetenv("FAKE_NVML_GPUS");
    unsetenv("FAKE_NVML_DIR");
    unsetenv("WATTPROF_NVML_LIB");
}
#endif

static void test_bad_files(void)
{
    const char *root = test_tmpdir();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fake_ina_hwmon(root, "1-0040", "hwmon1", orin_labels, orin_mv, orin_ma));
    wp_error err;
    double mv, ma;
    wp_sensor *s = open_rail(root, WP_SOURCE_INA3221, "VDD_IN", &err);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        test_write_file(test_path(dir, "in3_input"), "garbage\n");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), -1);
        CHECK_CONTAINS(err.msg, "in3_input");
        CHECK_CONTAINS(err.msg, "not a number: \"garbage\"");
        test_write_file(test_path(dir, "in3_input"), "5000 12\n");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), -1);
        test_write_file(test_path(dir, "in3_input"), "");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), -1);
        CHECK_CONTAINS(err.msg, "empty");
        test_write_file(test_path(dir, "in3_input"), "5000\n");
        CHECK_INT(wp_sensor_read(s, &mv, &ma, &err), 1);
        /* A file that vanishes is noticed within 256 reads (one fstat per
         * 256 keeps the check off the per-sample cost). */
        unlink(test_path(dir, "curr3_input"));
        int r = 1, reads = 0;
        while (r == 1 && reads < 300) {
            r = wp_sensor_read(s, &mv, &ma, &err);
            reads++;
        }
        CHECK_INT(r, -1);
        CHECK_CONTAINS(err.msg, "curr3_input");
        CHECK_CONTAINS(err.msg, "vanished");
        wp_sensor_free(s);
    }
    /* A rail whose file is missing at open time. */
    s = open_rail(root, WP_SOURCE_INA3221, "VDD_IN", &err);
    CHECK(s == NULL);
}

static void test_source_names(void)
{
    wp_source_kind k;
    CHECK_INT(wp_source_parse("rapl", &k), 0);
    CHECK_INT(k, WP_SOURCE_RAPL);
    CHECK_STR(wp_source_name(WP_SOURCE_NVML), "nvml");
    CHECK_INT(wp_source_parse("ina", &k), -1);
}

int main(void)
{
    test_ina3221_hwmon();
    test_ina3221_two_devices();
    test_ina3221_iio();
    test_ina3221_agx_orin();
    test_ina3221_orin_nano();
    test_ina3221_label_collision();
    test_hwmon_power();
    test_rapl();
    test_nvml_absent();
#ifdef WATTPROF_FAKE_NVML
    test_nvml_fake();
#endif
    test_bad_files();
    test_source_names();
    return test_summary();
}
