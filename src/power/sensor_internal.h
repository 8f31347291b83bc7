/* Shared between the sensor_*.c files; not part of the public API: the
 * sensor object, the backend table entry and the helpers of sensor_common.c. */
#ifndef WATTPROF_SENSOR_INTERNAL_H
#define WATTPROF_SENSOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/sensor.h"

#define WP_SENSOR_FILE_MAX (WP_RAIL_PATH_MAX + 64)

struct wp_sensor {
    wp_rail_info rail;
    int nfd;
    int fd[2];
    char path[2][WP_SENSOR_FILE_MAX];
    unsigned long reads;
    /* Energy counters (rapl, nvml energy): power is the counter's increase
     * over the time since it last moved. */
    int primed;
    uint64_t prev_energy;
    int64_t prev_t_us;
    uint64_t max_range; /* counter wraps to 0 after this value (0: never) */
    double energy_to_uj;
    void *nvml; /* nvml state (sensor_nvml.c) */
    int (*read)(struct wp_sensor *s, double *mv, double *ma, wp_error *err);
    void (*close)(struct wp_sensor *s);
};

/* Directory entries of dir starting with prefix, in natural order
 * ("hwmon2" before "hwmon10"). Returns the count (0 when dir is absent),
 * -1 on allocation failure. Free with wp__sensor_free_names. */
int wp__sensor_dir_names(const char *dir, const char *prefix, char ***names);
void wp__sensor_free_names(char **names, int n);
/* The same for root/sub (the folder's path goes to dir, cap bytes), the
 * backends' scan of their sysfs class or driver folder: -1 with an error
 * naming the folder when out of memory. */
int wp__sensor_list(const char *root, const char *sub, const char *prefix, char *dir, size_t cap, char ***names,
                    wp_error *err);
/* snprintf for paths (no truncation warnings: long paths are caught at
 * run time). Returns -1 when the result did not fit. */
int wp__sensor_fmt(char *buf, size_t size, const char *fmt, ...) WP_PRINTF(3, 4);
/* Reads a small text file into buf, trailing whitespace removed; -1 if absent. */
int wp__sensor_read_text(const char *path, char *buf, size_t size);
int wp__sensor_exists(const char *path);
/* Appends a rail (index assigned by the caller). */
int wp__sensor_push_rail(wp_rail_list *list, const wp_rail_info *rail, wp_error *err);

/* Opens path for pread into slot i of s. */
int wp__sensor_open_file(wp_sensor *s, int i, const char *path, wp_error *err);
/* pread slot i and parse it as a number. Detects a file that vanished or
 * holds something else than a number. */
int wp__sensor_read_number(wp_sensor *s, int i, double *value, wp_error *err);
/* Energy counter bookkeeping: turns a new counter value into a reading. */
int wp__sensor_energy_step(wp_sensor *s, uint64_t counter, double *mv, double *ma);

/* One power source. list appends the rails found under root (a sysfs root;
 * nvml ignores it) and may explain in note (WP_ERROR_MAX bytes) why there
 * are none; open fills the read and close hooks of s for s->rail. */
typedef struct wp_sensor_backend {
    int (*list)(const char *root, wp_rail_list *list, char *note, wp_error *err);
    int (*open)(wp_sensor *s, wp_error *err);
} wp_sensor_backend;

extern const wp_sensor_backend wp__sensor_backend_ina3221;
extern const wp_sensor_backend wp__sensor_backend_hwmon;
extern const wp_sensor_backend wp__sensor_backend_rapl;
extern const wp_sensor_backend wp__sensor_backend_nvml;

#endif
