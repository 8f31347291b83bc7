/* Sensor discovery and rail selection over the backend table (one entry per
 * source, defined in sensor_{ina3221,hwmon,rapl,nvml}.c), as the runner
 * dispatches over its backends. The helpers the backends share live in
 * sensor_common.c. */
/* O_NOATIME is a GNU/Linux extension. */
#define _GNU_SOURCE
#include "wattprof/sensor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "sensor_internal.h"
#include "wattprof/csv.h"
#include "wattprof/nameindex.h"
#include "wattprof/timestamp.h"

static const char *const source_names[] = {
#define WP_SOURCE_NAME(id, name) name,
    WP_SOURCES(WP_SOURCE_NAME)
#undef WP_SOURCE_NAME
};

const char *wp_source_name(wp_source_kind kind)
{
    if ((unsigned)kind < sizeof source_names / sizeof *source_names)
        return source_names[kind];
    return "?";
}

void wp_sensor_options_init(wp_sensor_options *o)
{
    memset(o, 0, sizeof *o);
}

int wp_source_parse(const char *name, wp_source_kind *kind)
{
    long i = wp_name_lookup(source_names, sizeof source_names / sizeof *source_names, name);
    if (i >= 0)
        *kind = (wp_source_kind)i;
    return i >= 0 ? 0 : -1;
}

void wp_rail_list_free(wp_rail_list *list)
{
    free(list->rails);
    list->rails = NULL;
    list->n = 0;
}

/* The board input rail is what upstream logs (VDD_IN on Orin Nano/NX,
 * POM_5V_IN on Nano/TX2/Xavier, VIN_SYS_5V0 on AGX Orin, whose monitors have
 * no VDD_IN); otherwise the first rail. */
static void mark_default(wp_rail_list *list, size_t from)
{
    if (from >= list->n)
        return;
    static const char *const preferred[] = {"VDD_IN", "POM_5V_IN", "VIN_SYS_5V0"};
    for (size_t p = 0; p < sizeof preferred / sizeof *preferred; p++)
        for (size_t i = from; i < list->n; i++)
            if (strcmp(list->rails[i].name, preferred[p]) == 0) {
                list->rails[i].is_default = 1;
                return;
            }
    list->rails[from].is_default = 1;
}

/* Indexed by wp_source_kind - 1, in the order the automatic search tries. */
static const wp_sensor_backend *const backends[] = {&wp__sensor_backend_ina3221, &wp__sensor_backend_hwmon,
                                                    &wp__sensor_backend_rapl, &wp__sensor_backend_nvml};

static const wp_sensor_backend *backend_of(wp_source_kind kind)
{
    if (kind < WP_SOURCE_INA3221 || (size_t)kind > sizeof backends / sizeof *backends)
        return NULL;
    return backends[kind - 1];
}

static int list_one(const char *root, wp_source_kind kind, wp_rail_list *list, char *nvml_note, wp_error *err)
{
    size_t from = list->n;
    const wp_sensor_backend *b = backend_of(kind);
    if (!b)
        return wp_fail(err, NULL, 0, "unknown sensor source %d", (int)kind);
    if (b->list(root, list, nvml_note, err) < 0)
        return -1;
    for (size_t i = from; i < list->n; i++) {
        list->rails[i].kind = kind;
        list->rails[i].index = (int)(i - from) + 1;
    }
    mark_default(list, from);
    return 0;
}

int wp_sensor_list(const char *sysfs_root, wp_source_kind kind, wp_rail_list *list, char *nvml_note, wp_error *err)
{
    const char *root = sysfs_root ? sysfs_root : "/sys";
    list->rails = NULL;
    list->n = 0;
    char note[WP_ERROR_MAX] = "";
    if (kind == WP_SOURCE_AUTO) {
        for (int k = WP_SOURCE_INA3221; k <= WP_SOURCE_NVML; k++)
            if (list_one(root, (wp_source_kind)k, list, note, err) < 0)
                goto fail;
    } else if (list_one(root, kind, list, note, err) < 0) {
        goto fail;
    }
    if (nvml_note)
        snprintf(nvml_note, WP_ERROR_MAX, "%s", note);
    return 0;
fail:
    wp_rail_list_free(list);
    return -1;
}

static int parse_index(const char *s, int *out)
{
    if (!*s)
        return -1;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > 1000000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = (int)v;
    return 0;
}

static void describe_rails(const wp_rail_list *list, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < list->n && used + 1 < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%d=%s", i ? ", " : "", list->rails[i].index, list->rails[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

wp_sensor *wp_sensor_open(const wp_sensor_options *opts, wp_error *err)
{
    const char *root = opts->sysfs_root ? opts->sysfs_root : "/sys";
    wp_source_kind kind = opts->source;
    wp_rail_list list = {NULL, 0};
    char note[WP_ERROR_MAX] = "";
    if (kind == WP_SOURCE_AUTO) {
        for (int k = WP_SOURCE_INA3221; k <= WP_SOURCE_NVML && list.n == 0; k++) {
            if (list_one(root, (wp_source_kind)k, &list, note, err) < 0)
                return NULL;
            kind = (wp_source_kind)k;
        }
        if (list.n == 0) {
            wp_fail_code(err, WP_ERR_NO_SENSOR, root, 0,
                         "no power sensor found (looked for ina3221, hwmon power*_input, intel-rapl energy_uj, "
                         "nvml%s%s)",
                         note[0] ? ": " : "", note);
            return NULL;
        }
    } else {
        if (list_one(root, kind, &list, note, err) < 0)
            return NULL;
        if (list.n == 0) {
            if (kind == WP_SOURCE_NVML)
                wp_fail_code(err, WP_ERR_NO_SENSOR, NULL, 0, "nvml: %s", note[0] ? note : "no GPU found");
            else
                wp_fail_code(err, WP_ERR_NO_SENSOR, root, 0, "no %s sensor found under this sysfs root",
                             wp_source_name(kind));
            return NULL;
        }
    }

    const wp_rail_info *chosen = NULL;
    if (!opts->rail) {
        for (size_t i = 0; i < list.n; i++)
            if (list.rails[i].is_default)
                chosen = &list.rails[i];
    } else {
        for (size_t i = 0; i < list.n && !chosen; i++)
            if (strcmp(list.rails[i].name, opts->rail) == 0)
                chosen = &list.rails[i];
        int idx;
        if (!chosen && parse_index(opts->rail, &idx) == 0 && idx >= 1 && (size_t)idx <= list.n)
            chosen = &list.rails[idx - 1];
        if (!chosen) {
            char rails[WP_ERROR_MAX / 2];
            describe_rails(&list, rails, sizeof rails);
            wp_fail_code(err, WP_ERR_NOT_FOUND, NULL, 0, "%s: no rail '%s' (rails: %s)", wp_source_name(kind),
                         opts->rail, rails);
            wp_rail_list_free(&list);
            return NULL;
        }
    }

    wp_sensor *s = calloc(1, sizeof *s);
    if (!s) {
        wp_rail_list_free(&list);
        wp_fail(err, NULL, 0, "out of memory");
        return NULL;
    }
    s->rail = *chosen;
    s->fd[0] = s->fd[1] = -1;
    wp_rail_list_free(&list);
    if (backend_of(s->rail.kind)->open(s, err) < 0) {
        wp_sensor_free(s);
        return NULL;
    }
    return s;
}

int wp_sensor_read(wp_sensor *s, double *mv, double *ma, wp_error *err)
{
    int rc = s->read(s, mv, ma, err);
    s->reads++;
    return rc;
}

const wp_rail_info *wp_sensor_rail(const wp_sensor *s)
{
    return &s->rail;
}

void wp_sensor_free(wp_sensor *s)
{
    if (!s)
        return;
    if (s->close)
        s->close(s);
    for (int i = 0; i < 2; i++)
        if (s->fd[i] >= 0)
            close(s->fd[i]);
    free(s);
}
