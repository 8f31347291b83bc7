/* Device state: small sysfs/procfs/devicetree reads into a jansson document.
 * Reads go through the root so tests can hand a fake tree. */
#include "wattprof/device.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/timestamp.h"

struct wp_device_state {
    char root[2048];
    json_t *doc;
};

/* The first line of root/rel without trailing blanks (the device tree's model
 * ends in a NUL), or 0 when absent or empty. */
static int read_text(const char *root, const char *rel, char *out, size_t size)
{
    char *path = wp_path_join(root, rel);
    FILE *fp = path ? fopen(path, "r") : NULL;
    free(path);
    if (!fp)
        return 0;
    size_t n = fread(out, 1, size - 1, fp);
    fclose(fp);
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    n = strlen(out);
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return n > 0;
}

static int read_int(const char *root, const char *rel, long long *v)
{
    char text[64], *end;
    if (!read_text(root, rel, text, sizeof text))
        return 0;
    errno = 0;
    *v = strtoll(text, &end, 10);
    return errno == 0 && end != text;
}

static void set_text(json_t *obj, const char *key, const char *root, const char *rel)
{
    char text[512];
    if (read_text(root, rel, text, sizeof text))
        json_object_set_new(obj, key, json_string(text));
}

static void set_int(json_t *obj, const char *key, const char *root, const char *rel)
{
    long long v;
    if (read_int(root, rel, &v))
        json_object_set_new(obj, key, json_integer(v));
}

/* Length of name without its trailing digits. */
static size_t stem_len(const char *name)
{
    size_t n = strlen(name);
    while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9')
        n--;
    return n;
}

static int cmp_names(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t sx = stem_len(x), sy = stem_len(y);
    /* cpu2 before cpu10, thermal_zone9 before thermal_zone10 */
    if (sx == sy && strncmp(x, y, sx) == 0 && x[sx] && y[sy]) {
        size_t dx = strlen(x + sx), dy = strlen(y + sy);
        if (dx != dy)
            return dx < dy ? -1 : 1;
    }
    return strcmp(x, y);
}

/* Entries of root/rel whose names start with prefix, sorted (NULL when none). */
static char **list_dir(const char *root, const char *rel, const char *prefix, size_t *count)
{
    char *path = wp_path_join(root, rel);
    *count = 0;
    DIR *d = path ? opendir(path) : NULL;
    free(path);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (wp_grow(&names, &cap, *count, 16, sizeof *names) != 0)
            break;
        names[*count] = strdup(e->d_name);
        if (names[*count])
            (*count)++;
    }
    closedir(d);
    if (names)
        qsort(names, *count, sizeof *names, cmp_names);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static json_t *read_cpus(const char *root)
{
    size_t n;
    char **names = list_dir(root, "sys/devices/system/cpu", "cpu", &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *digits = names[i] + 3;
        if (*digits == '\0' || strspn(digits, "0123456789") != strlen(digits))
            continue; /* cpufreq, cpuidle */
        char rel[512];
        json_t *cpu = json_object();
        json_object_set_new(cpu, "cpu", json_string(names[i]));
        static const char *const files[][2] = {{"cur_khz", "scaling_cur_freq"},
                                               {"min_khz", "cpuinfo_min_freq"},
                                               {"max_khz", "cpuinfo_max_freq"},
                                               {"scaling_min_khz", "scaling_min_freq"},
                                               {"scaling_max_khz", "scaling_max_freq"}};
        for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
            snprintf(rel, sizeof rel, "sys/devices/system/cpu/%s/cpufreq/%s", names[i], files[f][1]);
            set_int(cpu, files[f][0], root, rel);
        }
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/%s/cpufreq/scaling_governor", names[i]);
        set_text(cpu, "governor", root, rel);
        if (json_object_size(cpu) > 1)
            json_array_append_new(arr, cpu);
        else
            json_decref(cpu); /* no cpufreq (a VM): nothing to say */
    }
    free_names(names, n);
    return arr;
}

static json_t *read_devfreq(const char *root)
{
    size_t n;
    char **names = list_dir(root, "sys/class/devfreq", "", &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        json_t *dev = json_object();
        json_object_set_new(dev, "device", json_string(names[i]));
        static const char *const files[][2] = {
            {"cur_hz", "cur_freq"}, {"min_hz", "min_freq"}, {"max_hz", "max_freq"}};
        for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
            snprintf(rel, sizeof rel, "sys/class/devfreq/%s/%s", names[i], files[f][1]);
            set_int(dev, files[f][0], root, rel);
        }
        snprintf(rel, sizeof rel, "sys/class/devfreq/%s/governor", names[i]);
        set_text(dev, "governor", root, rel);
        json_array_append_new(arr, dev);
    }
    free_names(names, n);
    return arr;
}

/* Thermal zones in millidegrees Celsius, as the kernel gives them. */
static json_t *read_thermal(const char *root)
{
    size_t n;
    char **names = list_dir(root, "sys/class/thermal", "thermal_zone", &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        long long t;
        snprintf(rel, sizeof rel, "sys/class/thermal/%s/temp", names[i]);
        if (!read_int(root, rel, &t))
            continue; /* a zone that cannot be read now (sensor off) says nothing */
        json_t *zone = json_object();
        json_object_set_new(zone, "zone", json_string(names[i]));
        snprintf(rel, sizeof rel, "sys/class/thermal/%s/type", names[i]);
        set_text(zone, "type", root, rel);
        json_object_set_new(zone, "temp_mc", json_integer(t));
        json_array_append_new(arr, zone);
    }
    free_names(names, n);
    return arr;
}

static void set_nonempty(json_t *obj, const char *key, json_t *arr)
{
    if (json_array_size(arr) > 0)
        json_object_set_new(obj, key, arr);
    else
        json_decref(arr);
}

static void stamp(json_t *obj)
{
    char ts[WP_TS_BUFSZ];
    wp_ts_format(wp_ts_now_local(), ts); /* local civil time, as the power log */
    json_object_set_new(obj, "time", json_string(ts));
}

wp_device_state *wp_device_start(const char *root, double rate_hz)
{
    wp_device_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    snprintf(st->root, sizeof st->root, "%s", root && *root ? root : "/");
    st->doc = json_object();
    if (!st->doc) {
        free(st);
        return NULL;
    }
    json_t *doc = st->doc;
    const char *r = st->root;
    set_text(doc, "model", r, "proc/device-tree/model");
    set_text(doc, "kernel", r, "proc/sys/kernel/osrelease");
    set_text(doc, "l4t_release", r, "etc/nv_tegra_release");
    set_text(doc, "nvpmodel", r, "var/lib/nvpmodel/status");
    if (rate_hz > 0)
        json_object_set_new(doc, "logger_rate_hz", json_real(rate_hz));
    set_nonempty(doc, "cpus", read_cpus(r));
    set_nonempty(doc, "devfreq", read_devfreq(r));
    json_t *start = json_object();
    stamp(start);
    set_nonempty(start, "thermal", read_thermal(r));
    json_object_set_new(doc, "start", start);
    return st;
}

void wp_device_end(wp_device_state *st, double mean_rate_hz)
{
    if (!st)
        return;
    if (mean_rate_hz > 0)
        json_object_set_new(st->doc, "logger_mean_rate_hz", json_real(mean_rate_hz));
    json_t *end = json_object();
    stamp(end);
    set_nonempty(end, "thermal", read_thermal(st->root));
    json_object_set_new(st->doc, "end", end);
}

int wp_device_write(const wp_device_state *st, const char *path, wp_error *err)
{
    char *text = json_dumps(st->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    size_t n = text ? strlen(text) : 0;
    char *line = text ? realloc(text, n + 2) : NULL;
    if (!line) {
        free(text);
        return wp_fail(err, path, 0, "out of memory");
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    int rc = wp_atomic_write_all(path, line, n + 1, err);
    free(line);
    return rc;
}

void wp_device_free(wp_device_state *st)
{
    if (!st)
        return;
    json_decref(st->doc);
    free(st);
}
