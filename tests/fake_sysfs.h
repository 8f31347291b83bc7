/* Fake sysfs trees for the sensor, logger and CLI tests. Values are written
 * in place with a fixed width (no truncation), so a reader racing a writer
 * sees the old or the new number, never an empty file. */
#ifndef WATTPROF_TEST_FAKE_SYSFS_H
#define WATTPROF_TEST_FAKE_SYSFS_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

static inline void fake_set(const char *path, long long value)
{
    char text[32];
    snprintf(text, sizeof text, "%-15lld\n", value);
    if (access(path, F_OK) != 0) {
        test_write_file(path, text);
        return;
    }
    int fd = open(path, O_WRONLY);
    if (fd < 0 || pwrite(fd, text, 16, 0) != 16) {
        perror(path);
        exit(2);
    }
    close(fd);
}

/* Replaces a value file's text in place (fixed width, as fake_set). */
static inline void fake_set_text(const char *path, const char *value)
{
    char text[32];
    snprintf(text, sizeof text, "%-15.15s\n", value);
    int fd = open(path, O_WRONLY);
    if (fd < 0 || pwrite(fd, text, 16, 0) != 16) {
        perror(path);
        exit(2);
    }
    close(fd);
}

/* root/bus/i2c/drivers/ina3221/<dev>/hwmon/<hwmon>/ with three channels. */
static inline const char *fake_ina_hwmon(const char *root, const char *dev, const char *hwmon,
                                         const char *const labels[3], const long mv[3], const long ma[3])
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/bus/i2c/drivers/ina3221/%s/hwmon/%s", root, dev, hwmon);
    for (int i = 0; i < 3; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "in%d_input", i + 1);
        fake_set(test_path(dir, rel), mv[i]);
        snprintf(rel, sizeof rel, "curr%d_input", i + 1);
        fake_set(test_path(dir, rel), ma[i]);
        if (labels && labels[i]) {
            char text[64];
            snprintf(rel, sizeof rel, "in%d_label", i + 1);
            snprintf(text, sizeof text, "%s\n", labels[i]);
            test_write_file(test_path(dir, rel), text);
        }
    }
    /* The driver's other inputs are not rails: in4..in6 shunt voltages (uV),
     * in7 their sum, curr4 the sum of the currents. */
    fake_set(test_path(dir, "in4_input"), 20000);
    fake_set(test_path(dir, "in7_input"), 60000);
    fake_set(test_path(dir, "curr4_input"), 4400);
    test_write_file(test_path(dir, "in7_label"), "sum of shunt voltages\n");
    test_write_file(test_path(dir, "name"), "ina3221\n");
    return dir;
}

/* root/bus/i2c/drivers/ina3221x/<dev>/iio:device<k>/, channels 0..2. */
static inline const char *fake_ina_iio(const char *root, const char *dev, int k, const char *const labels[3],
                                       const long mv[3], const long ma[3])
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/bus/i2c/drivers/ina3221x/%s/iio:device%d", root, dev, k);
    for (int i = 0; i < 3; i++) {
        char rel[64], text[64];
        snprintf(rel, sizeof rel, "in_voltage%d_input", i);
        fake_set(test_path(dir, rel), mv[i]);
        snprintf(rel, sizeof rel, "in_current%d_input", i);
        fake_set(test_path(dir, rel), ma[i]);
        snprintf(rel, sizeof rel, "in_power%d_input", i);
        fake_set(test_path(dir, rel), mv[i] * ma[i] / 1000);
        snprintf(rel, sizeof rel, "rail_name_%d", i);
        snprintf(text, sizeof text, "%s\n", labels[i]);
        test_write_file(test_path(dir, rel), text);
    }
    return dir;
}

/* root/class/<cls>/<entry> with its name file, as hwmon and powercap both
 * say what a device is; returns the entry's folder (static: one at a time). */
static inline const char *fake_named_entry(const char *root, const char *cls, const char *entry, const char *name)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/class/%s/%s", root, cls, entry);
    char text[64];
    snprintf(text, sizeof text, "%s\n", name);
    test_write_file(test_path(dir, "name"), text);
    return dir;
}

/* root/class/hwmon/<hwmon>/power1_input (uW) with a chip name. */
static inline const char *fake_hwmon_power(const char *root, const char *hwmon, const char *chip, long long uw)
{
    const char *dir = fake_named_entry(root, "hwmon", hwmon, chip);
    fake_set(test_path(dir, "power1_input"), uw);
    return dir;
}

/* root/class/powercap/<zone>/{name,energy_uj,max_energy_range_uj}. */
static inline const char *fake_rapl(const char *root, const char *zone, const char *name, long long uj,
                                    long long max_range)
{
    const char *dir = fake_named_entry(root, "powercap", zone, name);
    fake_set(test_path(dir, "energy_uj"), uj);
    fake_set(test_path(dir, "max_energy_range_uj"), max_range);
    return dir;
}

#ifdef WATTPROF_FAKE_NVML
/* Points the NVML source at tests/fake_nvml (the tests given its path),
 * which serves the files in dir; 0, with a note, where it was not built. */
static inline int fake_nvml_use(const char *dir)
{
    if (access(WATTPROF_FAKE_NVML, R_OK) != 0) {
        fprintf(stderr, "fake NVML library not built (%s): its checks are skipped\n", WATTPROF_FAKE_NVML);
        return 0;
    }
    setenv("WATTPROF_NVML_LIB", WATTPROF_FAKE_NVML, 1);
    setenv("FAKE_NVML_DIR", dir, 1);
    return 1;
}
#endif

#endif
