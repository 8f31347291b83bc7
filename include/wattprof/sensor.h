/* One interface over the power sensors wattprof can sample:
 *
 *   ina3221  Jetson board monitors: voltage (mV) and current (mA) per rail,
 *            current hwmon layout (bus/i2c/drivers/ina3221/<dev>/hwmon/hwmon<k>/
 *            in<N>_input, curr<N>_input, in<N>_label) and the older iio
 *            layout (bus/i2c/drivers/ina3221x/<dev>/iio:device<k>/
 *            in_voltage<N>_input, in_current<N>_input, rail_name_<N>).
 *   hwmon    any class/hwmon/hwmon<k>/power<N>_input (microwatts).
 *   rapl     class/powercap/intel-rapl:<...>/energy_uj: power from energy
 *            differences, wrap-around through max_energy_range_uj.
 *   nvml     NVIDIA GPUs through dlopen("libnvidia-ml.so.1") at run time (no
 *            build-time dependency). $WATTPROF_NVML_LIB overrides the library
 *            name (tests force its absence with it).
 *
 * Every sysfs path is taken under a root directory (default "/sys") so the
 * whole module runs on a fake tree.
 *
 * A reading is always (voltage_mV, current_mA) whose product is microwatts:
 * that is the upstream log format. Sources that only know power write a
 * nominal 1000 mV and current = power in mW (see docs/logging.md).
 *
 * Files are opened once by wp_sensor_open and re-read with pread: a sample
 * costs one or two syscalls, no open/close and no allocation. */
#ifndef WATTPROF_SENSOR_H
#define WATTPROF_SENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/error.h"

/* X(enum suffix, name): the enum and its name table come from this list.
 * AUTO: the first of ina3221, hwmon, rapl, nvml that has a rail. */
#define WP_SOURCES(X)                                                                                                  \
    X(AUTO, "auto")                                                                                                    \
    X(INA3221, "ina3221")                                                                                              \
    X(HWMON, "hwmon")                                                                                                  \
    X(RAPL, "rapl")                                                                                                    \
    X(NVML, "nvml")

typedef enum wp_source_kind {
#define WP_SOURCE_ENUM(id, name) WP_SOURCE_##id,
    WP_SOURCES(WP_SOURCE_ENUM)
#undef WP_SOURCE_ENUM
} wp_source_kind;
#define WP_SOURCE_COUNT (0 WP_SOURCES(WP_X_PLUS_ONE))

/* "auto", "ina3221", "hwmon", "rapl", "nvml" */
const char *wp_source_name(wp_source_kind kind);
/* Parses a source name; -1 when unknown. */
int wp_source_parse(const char *name, wp_source_kind *kind);

#define WP_RAIL_NAME_MAX 64
#define WP_RAIL_PATH_MAX 512

typedef struct wp_rail_info {
    wp_source_kind kind;
    int index;                    /* 1-based position among this source's rails */
    char name[WP_RAIL_NAME_MAX];  /* label: "VDD_IN", "package-0", "gpu0" ... */
    char where[WP_RAIL_PATH_MAX]; /* directory (sysfs) or "GPU 0: <name>" (nvml) */
    const char *units;            /* what the source measures, e.g. "mV, mA" */
    int channel;                  /* ina3221 channel / hwmon power<N> / nvml GPU index */
    int is_default;               /* the rail chosen when no --rail is given */
} wp_rail_info;

typedef struct wp_rail_list {
    wp_rail_info *rails;
    size_t n;
} wp_rail_list;

/* Every rail of `kind` (WP_SOURCE_AUTO: of every source) under sysfs_root
 * (NULL: "/sys"), in a stable order: devices sorted by path, channels by
 * number. A source that is absent contributes no rails and is not an error;
 * *nvml_note (when non-NULL, a buffer of WP_ERROR_MAX bytes) receives why
 * NVML gave nothing (library missing, no GPU...), or "". */
int wp_sensor_list(const char *sysfs_root, wp_source_kind kind, wp_rail_list *list, char *nvml_note, wp_error *err);
void wp_rail_list_free(wp_rail_list *list);

typedef struct wp_sensor_options {
    const char *sysfs_root; /* NULL: "/sys" */
    wp_source_kind source;  /* WP_SOURCE_AUTO: first source with a rail */
    const char *rail;       /* label, or a 1-based index among the source's
                               rails as `wattprof sensors` lists them; NULL:
                               the source's default (VDD_IN / POM_5V_IN, else
                               its first rail) */
} wp_sensor_options;

/* Every field zero: /sys, the first source with a rail, its default rail. */
void wp_sensor_options_init(wp_sensor_options *o);

typedef struct wp_sensor wp_sensor;

/* Finds the rail and opens its files (or the NVML device). Errors say what
 * was looked for and where, and list the rails there are when the requested
 * one is not found. */
wp_sensor *wp_sensor_open(const wp_sensor_options *opts, wp_error *err);

/* Takes one reading. Returns 1 with *mv, *ma filled; 0 when the sensor has
 * no new value yet (energy counters: the first read, and reads before the
 * counter moved); -1 on error (file vanished, unreadable, not a number),
 * naming the file. */
int wp_sensor_read(wp_sensor *s, double *mv, double *ma, wp_error *err);

/* The rail being read. */
const wp_rail_info *wp_sensor_rail(const wp_sensor *s);

void wp_sensor_free(wp_sensor *s);

#endif
