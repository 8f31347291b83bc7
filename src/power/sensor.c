/* Sensor discovery, rail selection and the shared read path. The
 * source-specific parts live in sensor_{ina3221,hwmon,rapl,nvml}.c. */
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
#include "wattprof/timestamp.h"

static const char *const source_names[] = {"auto", "ina3221", "hwmon", "rapl", "nvml"};

const char *wp_source_name(wp_source_kind kind)
{
    if ((unsigned)kind < sizeof source_names / sizeof *source_names)
        return source_names[kind];
    return "?";
}

int wp_source_parse(const char *name, wp_source_kind *kind)
{
    for (size_t i = 0; i < sizeof source_names / sizeof *source_names; i++)
        if (strcmp(name, source_names[i]) == 0) {
            *kind = (wp_source_kind)i;
            return 0;
        }
    return -1;
}

/* Natural order so that hwmon10 sorts after hwmon9 and in10 after in2. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int natural_qsort_cmp(const void *pa, const void *pb)
{
    return natural_cmp(*(char *const *)pa, *(char *const *)pb);
}

int wp_sensor_dir_names(const char *dir, const char *prefix, char ***names)
{
    *names = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t plen = strlen(prefix), n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, plen) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv)
                goto oom;
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, natural_qsort_cmp);
    *names = v;
    return (int)n;
oom:
    closedir(d);
    wp_sensor_free_names(v, (int)n);
    return -1;
}

void wp_sensor_free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int wp_sensor_read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, size - 1);
    close(fd);
    if (r < 0)
        return -1;
    while (r > 0 && isspace((unsigned char)buf[r - 1]))
        r--;
    buf[r] = '\0';
    return 0;
}

int wp_sensor_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int wp_sensor_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

int wp_sensor_push_rail(wp_rail_list *list, const wp_rail_info *rail, wp_error *err)
{
    wp_rail_info *v = realloc(list->rails, (list->n + 1) * sizeof *v);
    if (!v)
        return wp_fail(err, NULL, 0, "out of memory listing sensors");
    list->rails = v;
    list->rails[list->n++] = *rail;
    return 0;
}

void wp_rail_list_free(wp_rail_list *list)
{
    free(list->rails);
    list->rails = NULL;
    list->n = 0;
}

/* The board input rail is what upstream logs (VDD_IN on Orin, POM_5V_IN on
 * Nano/TX2/Xavier); otherwise the first rail. */
static void mark_default(wp_rail_list *list, size_t from)
{
    if (from >= list->n)
        return;
    static const char *const preferred[] = {"VDD_IN", "POM_5V_IN"};
    for (size_t p = 0; p < sizeof preferred / sizeof *preferred; p++)
        for (size_t i = from; i < list->n; i++)
            if (strcmp(list->rails[i].name, preferred[p]) == 0) {
                list->rails[i].is_default = 1;
                return;
            }
    list->rails[from].is_default = 1;
}

static int list_one(const char *root, wp_source_kind kind, wp_rail_list *list, char *nvml_note, wp_error *err)
{
    size_t from = list->n;
    int rc;
    switch (kind) {
    case WP_SOURCE_INA3221:
        rc = wp_sensor_ina3221_list(root, list, err);
        break;
    case WP_SOURCE_HWMON:
        rc = wp_sensor_hwmon_list(root, list, err);
        break;
    case WP_SOURCE_RAPL:
        rc = wp_sensor_rapl_list(root, list, err);
        break;
    case WP_SOURCE_NVML:
        rc = wp_sensor_nvml_list(list, nvml_note, err);
        break;
    default:
        return wp_fail(err, NULL, 0, "unknown sensor source %d", (int)kind);
    }
    if (rc < 0)
        return -1;
    for (size_t i = from; i < list->n; i++) {
        list->rails[i].kind = kind;
        list->rails[i].index = (int)(i - from) + 1;
    }
    mark_default(list, from);
    return 0;
}

int wp_sensor_list(const char *sysfs_root, wp_source_kind kind, wp_rail_list *list, char *nvml_note,
                   wp_error *err)
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
        int w = snprintf(buf + used, size - used, "%s%d=%s", i ? ", " : "", list->rails[i].index,
                         list->rails[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

wp_sensor *wp_sensor_open(const wp_sensor_opts *opts, wp_error *err)
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
            wp_fail_code(err, WP_ERR_NOT_FOUND, NULL, 0, "%s: no rail '%s' (rails: %s)", wp_source_name(kind), opts->rail, rails);
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
    int rc;
    switch (s->rail.kind) {
    case WP_SOURCE_INA3221:
        rc = wp_sensor_ina3221_open(s, err);
        break;
    case WP_SOURCE_HWMON:
        rc = wp_sensor_hwmon_open(s, err);
        break;
    case WP_SOURCE_RAPL:
        rc = wp_sensor_rapl_open(s, err);
        break;
    default:
        rc = wp_sensor_nvml_open(s, err);
        break;
    }
    if (rc < 0) {
        wp_sensor_close(s);
        return NULL;
    }
    return s;
}

int wp_sensor_open_file(wp_sensor *s, int i, const char *path, wp_error *err)
{
    snprintf(s->path[i], sizeof s->path[i], "%s", path);
    s->fd[i] = -1;
#ifdef O_NOATIME
    /* Every read would otherwise go through the access-time check (a tenth
     * of a tmpfs read's cost); only the file's owner or root may ask. */
    s->fd[i] = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
#endif
    if (s->fd[i] < 0)
        s->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd[i] < 0)
        return wp_fail_errno(err, path, errno, "cannot open sensor file");
    if (s->nfd < i + 1)
        s->nfd = i + 1;
    return 0;
}

/* Sysfs attributes are integers; a fast exact path for them, strtod for the
 * rest (some iio drivers print decimals). */
static int parse_value(const char *buf, size_t len, double *out)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    int neg = 0;
    if (i < len && (buf[i] == '-' || buf[i] == '+'))
        neg = buf[i++] == '-';
    size_t start = i;
    uint64_t v = 0;
    while (i < len && buf[i] >= '0' && buf[i] <= '9' && i - start < 18)
        v = v * 10 + (uint64_t)(buf[i++] - '0');
    size_t end = i;
    while (i < len && isspace((unsigned char)buf[i]))
        i++;
    if (i == len && end > start) {
        *out = neg ? -(double)v : (double)v;
        return 0;
    }
    /* Not a plain integer: allow a decimal, but nothing after it but space. */
    while (len && isspace((unsigned char)buf[len - 1]))
        len--;
    return wp_parse_double(buf, len, out);
}

/* glibc's pread is a thread cancellation point: in a threaded process it
 * switches asynchronous cancellation on and off around the call, 1.5 % of
 * a sample's cost at full speed (perf). Nothing here is ever cancelled. */
static ssize_t read_at_start(int fd, char *buf, size_t size)
{
#if defined(__linux__) && defined(SYS_pread64)
    return syscall(SYS_pread64, fd, buf, size, (off_t)0);
#else
    return pread(fd, buf, size, 0);
#endif
}

int wp_sensor_read_number(wp_sensor *s, int i, double *value, wp_error *err)
{
    char buf[64];
    ssize_t r = read_at_start(s->fd[i], buf, sizeof buf - 1);
    if (r < 0)
        return wp_fail_errno(err, s->path[i], errno, "sensor read failed");
    /* A sysfs attribute whose device went away reads ENODEV; a file removed
     * from an ordinary tree still reads through our descriptor, so check
     * its link count now and then (an fstat every 256 reads costs nothing). */
    if ((s->reads & 255) == 0) {
        struct stat st;
        if (fstat(s->fd[i], &st) == 0 && st.st_nlink == 0)
            return wp_fail(err, s->path[i], 0, "sensor file vanished");
    }
    if (r == 0)
        return wp_fail(err, s->path[i], 0, "sensor file is empty");
    buf[r] = '\0';
    if (parse_value(buf, (size_t)r, value) < 0) {
        size_t n = strcspn(buf, "\n");
        if (n > 32)
            n = 32;
        while (n && isspace((unsigned char)buf[n - 1]))
            n--;
        buf[n] = '\0';
        return wp_fail(err, s->path[i], 0, "not a number: \"%s\"", buf);
    }
    return 0;
}

int wp_sensor_energy_step(wp_sensor *s, uint64_t counter, double *mv, double *ma)
{
    int64_t now = wp_ts_monotonic_us();
    if (!s->primed) {
        s->primed = 1;
        s->prev_energy = counter;
        s->prev_t_us = now;
        return 0;
    }
    if (counter == s->prev_energy)
        return 0;
    uint64_t delta;
    if (counter >= s->prev_energy)
        delta = counter - s->prev_energy;
    else if (s->max_range > s->prev_energy)
        /* The counter runs 0..max_range and restarts at 0. */
        delta = s->max_range - s->prev_energy + counter;
    else
        delta = counter; /* no known range: the best we can say */
    int64_t dt = now - s->prev_t_us;
    if (dt <= 0)
        dt = 1;
    double uw = (double)delta * s->energy_to_uj / (double)dt * 1e6;
    s->prev_energy = counter;
    s->prev_t_us = now;
    *mv = 1000.0;
    *ma = uw / 1000.0;
    return 1;
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

void wp_sensor_close(wp_sensor *s)
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
