/* Device state: small sysfs/procfs/devicetree reads into a jansson document.
 * Reads go through the root so tests can hand a fake tree. */
#include "wattprof/device.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/timestamp.h"

struct wp_device_state {
    char *root;
    json_t *doc;
};

/* The first line of root/rel without trailing blanks (the device tree's model
 * ends in a NUL), or 0 when absent or empty; rel NULL (out of memory
 * building it) reads nothing. */
static int read_text(const char *root, const char *rel, char *out, size_t size)
{
    char *path = rel ? wp_path_join(root, rel) : NULL;
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

/* A kind of frequency domain (the CPUs' cpufreq, devfreq devices): where
 * sysfs lists them and what read_domains reads of each. */
typedef struct freq_domains {
    const char *key;               /* the JSON key naming a domain */
    const char *parent;            /* the folder below root listing them */
    const char *prefix;            /* their names start so */
    int numbered;                  /* and go on with digits only (cpuN, not cpufreq) */
    const char *sub;               /* the folder below PARENT/NAME with the files; NULL: that one */
    const char *const (*files)[2]; /* {key, file}: integers */
    size_t n_files;
    const char *governor; /* the file naming the governor */
    int skip_empty;       /* leave out a domain where nothing was read */
} freq_domains;

static const char *const cpu_files[][2] = {{"cur_khz", "scaling_cur_freq"},
                                           {"min_khz", "cpuinfo_min_freq"},
                                           {"max_khz", "cpuinfo_max_freq"},
                                           {"scaling_min_khz", "scaling_min_freq"},
                                           {"scaling_max_khz", "scaling_max_freq"}};
/* A CPU without cpufreq (a VM) has nothing to say. */
static const freq_domains cpus = {.key = "cpu",
                                  .parent = "sys/devices/system/cpu",
                                  .prefix = "cpu",
                                  .numbered = 1,
                                  .sub = "cpufreq",
                                  .files = cpu_files,
                                  .n_files = sizeof cpu_files / sizeof cpu_files[0],
                                  .governor = "scaling_governor",
                                  .skip_empty = 1};

static const char *const devfreq_files[][2] = {{"cur_hz", "cur_freq"}, {"min_hz", "min_freq"}, {"max_hz", "max_freq"}};
static const freq_domains devfreqs = {.key = "device",
                                      .parent = "sys/class/devfreq",
                                      .prefix = "",
                                      .files = devfreq_files,
                                      .n_files = sizeof devfreq_files / sizeof devfreq_files[0],
                                      .governor = "governor"};

/* One object per domain of kind k: its name under k->key, each of k->files
 * read as an integer, the governor's name. */
static json_t *read_domains(const char *root, const freq_domains *k)
{
    size_t n;
    char **names = list_dir(root, k->parent, k->prefix, &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *digits = names[i] + strlen(k->prefix);
        if (k->numbered && (*digits == '\0' || strspn(digits, "0123456789") != strlen(digits)))
            continue;
        json_t *o = json_object();
        json_object_set_new(o, k->key, json_string(names[i]));
        char *dir = k->sub ? wp_path3(k->parent, names[i], k->sub) : wp_path_join(k->parent, names[i]);
        for (size_t f = 0; dir && f < k->n_files; f++) {
            char *rel = wp_path_join(dir, k->files[f][1]);
            set_int(o, k->files[f][0], root, rel);
            free(rel);
        }
        char *gov = dir ? wp_path_join(dir, k->governor) : NULL;
        set_text(o, "governor", root, gov);
        free(gov);
        free(dir);
        if (k->skip_empty && json_object_size(o) <= 1)
            json_decref(o);
        else
            json_array_append_new(arr, o);
    }
    wp_names_free(names, n);
    return arr;
}

/* Thermal zones in millidegrees Celsius, as the kernel gives them. */
static json_t *read_thermal(const char *root)
{
    size_t n;
    char **names = list_dir(root, "sys/class/thermal", "thermal_zone", &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        long long t;
        char *temp = wp_path3("sys/class/thermal", names[i], "temp");
        int ok = read_int(root, temp, &t);
        free(temp);
        if (!ok)
            continue; /* a zone that cannot be read now (sensor off) says nothing */
        json_t *zone = json_object();
        json_object_set_new(zone, "zone", json_string(names[i]));
        char *type = wp_path3("sys/class/thermal", names[i], "type");
        set_text(zone, "type", root, type);
        free(type);
        json_object_set_new(zone, "temp_mc", json_integer(t));
        json_array_append_new(arr, zone);
    }
    wp_names_free(names, n);
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

/* "1024K", "32M", "524288": bytes, 0 when it is none of those. */
static long long parse_cache_size(const char *text)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || v <= 0)
        return 0;
    long long mult = *end == 'K' ? 1024 : *end == 'M' ? 1024 * 1024 : *end == 'G' ? 1024LL * 1024 * 1024 : 1;
    if (mult != 1)
        end++;
    return *end == '\0' && v <= (1LL << 50) / mult ? v * mult : 0;
}

long long wp_device_l2_cache_bytes(const char *root)
{
    const char *r = root && *root ? root : "/";
    size_t n;
    char **names = list_dir(r, "sys/devices/system/cpu/cpu0/cache", "index", &n);
    long long bytes = 0;
    for (size_t i = 0; i < n && !bytes; i++) {
        char *dir = wp_path_join("sys/devices/system/cpu/cpu0/cache", names[i]);
        char *lvl = dir ? wp_path_join(dir, "level") : NULL, *type = dir ? wp_path_join(dir, "type") : NULL;
        char *size = dir ? wp_path_join(dir, "size") : NULL;
        long long level;
        char ty[32], sz[32];
        /* the instruction cache of a split level holds no data */
        if (read_int(r, lvl, &level) && level == 2 && read_text(r, type, ty, sizeof ty) &&
            strcmp(ty, "Instruction") != 0 && read_text(r, size, sz, sizeof sz))
            bytes = parse_cache_size(sz);
        free(dir);
        free(lvl);
        free(type);
        free(size);
    }
    wp_names_free(names, n);
#ifdef _SC_LEVEL2_CACHE_SIZE
    /* A VM may list no caches in sysfs; glibc asks the CPU (cpuid). Only
     * for the real root: a fake tree says what it holds and no more. */
    if (!bytes && strcmp(r, "/") == 0) {
        long v = sysconf(_SC_LEVEL2_CACHE_SIZE);
        bytes = v > 0 ? v : 0;
    }
#endif
    return bytes;
}

wp_device_state *wp_device_start(const char *root, double rate_hz)
{
    wp_device_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->root = strdup(root && *root ? root : "/");
    st->doc = json_object();
    if (!st->root || !st->doc) {
        json_decref(st->doc);
        free(st->root);
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
    set_nonempty(doc, "cpus", read_domains(r, &cpus));
    set_nonempty(doc, "devfreq", read_domains(r, &devfreqs));
    long long l2 = wp_device_l2_cache_bytes(r);
    if (l2 > 0)
        json_object_set_new(doc, "cpu_l2_cache_bytes", json_integer(l2));
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
    free(st->root);
    free(st);
}

int wp_device_read_name(const char *path, char **name, wp_error *err)
{
    *name = NULL;
    if (!wp_is_file(path))
        return 0;
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return wp_fail(err, path, je.line > 0 ? je.line : 0, "malformed JSON: %s", je.text);
    int rc = 0;
    json_t *model = json_is_object(doc) ? json_object_get(doc, "model") : NULL;
    if (!json_is_object(doc))
        rc = wp_fail(err, path, 1, "expected a JSON object (device.json)");
    else if (model && !json_is_string(model))
        rc = wp_fail(err, path, 0, "\"model\" is not a string");
    else if (model && json_string_length(model) > 0 && !(*name = strdup(json_string_value(model))))
        rc = wp_fail(err, path, 0, "out of memory");
    json_decref(doc);
    return rc;
}

/* ---- thermal stability ------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Of the zones in both arrays (by name), the one with the largest cur - ref
 * into *w; the number compared. */
static int compare_zones(json_t *ref, json_t *cur, wp_thermal_worst *w)
{
    int n = 0;
    double worst = -INFINITY;
    size_t i, k;
    json_t *a, *b;
    json_array_foreach(cur, i, a)
    {
        const char *zone = json_string_value(json_object_get(a, "zone"));
        json_t *ta = json_object_get(a, "temp_mc");
        if (!zone || !json_is_integer(ta))
            continue;
        json_array_foreach(ref, k, b)
        {
            const char *rz = json_string_value(json_object_get(b, "zone"));
            json_t *tb = json_object_get(b, "temp_mc");
            if (!rz || strcmp(rz, zone) != 0 || !json_is_number(tb))
                continue;
            double tc = (double)json_integer_value(ta) / 1000.0, rc = json_number_value(tb) / 1000.0;
            n++;
            if (tc - rc > worst) {
                worst = tc - rc;
                const char *type = json_string_value(json_object_get(a, "type"));
                snprintf(w->zone, sizeof w->zone, "%s", zone);
                snprintf(w->type, sizeof w->type, "%s", type ? type : "");
                w->temp_c = tc;
                w->ref_c = rc;
            }
            break;
        }
    }
    return n;
}

int wp_device_cooldown(const char *ref_path, const wp_cooldown_options *o, wp_cooldown_result *out, wp_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *doc = json_load_file(ref_path, 0, &je);
    if (!doc)
        return wp_fail(err, ref_path, je.line > 0 ? je.line : 0, "cannot read the reference temperatures: %s", je.text);
    json_t *ref = json_object_get(json_object_get(doc, "end"), "thermal");
    if (!json_is_array(ref))
        ref = json_object_get(json_object_get(doc, "start"), "thermal");
    const char *root = o->root && *o->root ? o->root : "/";
    double timeout = o->timeout_s > 0 ? o->timeout_s : 300, poll = o->poll_s > 0 ? o->poll_s : 0.25;
    double t0 = now_s();
    int told = 0;
    for (;;) {
        json_t *cur = read_thermal(root);
        wp_thermal_worst w = {0};
        out->zones = json_is_array(ref) ? compare_zones(ref, cur, &w) : 0;
        json_decref(cur);
        out->worst = w;
        out->waited_s = now_s() - t0;
        if (out->zones == 0 || w.temp_c - w.ref_c <= o->margin_c) {
            out->reached = 1;
            break;
        }
        if (out->waited_s >= timeout)
            break;
        if (!told++ && o->waiting)
            o->waiting(o->ctx, &w);
        struct timespec ts = {(time_t)poll, (long)((poll - floor(poll)) * 1e9)};
        nanosleep(&ts, NULL);
    }
    json_decref(doc);
    return 0;
}

void wp_device_set_cooldown(wp_device_state *st, const char *ref_path, double margin_c, const wp_cooldown_result *r)
{
    if (!st)
        return;
    json_t *c = json_object();
    json_object_set_new(c, "margin_c", json_real(margin_c));
    json_object_set_new(c, "reference", json_string(ref_path));
    json_object_set_new(c, "waited_s", json_real(r->waited_s));
    json_object_set_new(c, "reached", json_boolean(r->reached));
    json_object_set_new(st->doc, "cooldown", c);
}

int wp_device_drift(const wp_device_state *st, wp_thermal_worst *w)
{
    memset(w, 0, sizeof *w);
    if (!st)
        return 0;
    json_t *a = json_object_get(json_object_get(st->doc, "start"), "thermal");
    json_t *b = json_object_get(json_object_get(st->doc, "end"), "thermal");
    return json_is_array(a) && json_is_array(b) ? compare_zones(a, b, w) > 0 : 0;
}
