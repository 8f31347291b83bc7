/* sensor_common: the helpers every sensor backend uses (sensor_internal.h):
 * natural-order directory listing, small sysfs text files, rail lists, and the
 * one read path (pread at offset 0 of a kept-open file, exact number parsing,
 * energy-counter differencing). Kept apart from sensor.c, which only
 * dispatches through the backend table, so no file depends on one that
 * depends on it. */
/* O_NOATIME is a GNU/Linux extension. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "sensor_internal.h"
#include "wattprof/array.h"
#include "wattprof/csv.h"
#include "wattprof/fsutil.h"
#include "wattprof/timestamp.h"

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

int wp__sensor_dir_names(const char *dir, const char *prefix, char ***names)
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
        if (wp_grow(&v, &cap, n, 16, sizeof *v) != 0)
            goto oom;
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
    wp__sensor_free_names(v, (int)n);
    return -1;
}

void wp__sensor_free_names(char **names, int n)
{
    wp_names_free(names, n > 0 ? (size_t)n : 0);
}

int wp__sensor_read_text(const char *path, char *buf, size_t size)
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

int wp__sensor_list(const char *root, const char *sub, const char *prefix, char *dir, size_t cap, char ***names,
                    wp_error *err)
{
    wp__sensor_fmt(dir, cap, "%s/%s", root, sub);
    int n = wp__sensor_dir_names(dir, prefix, names);
    if (n < 0)
        return wp_fail(err, dir, 0, "out of memory listing sensors");
    return n;
}

int wp__sensor_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int wp__sensor_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

int wp__sensor_push_rail(wp_rail_list *list, const wp_rail_info *rail, wp_error *err)
{
    wp_rail_info *v = realloc(list->rails, (list->n + 1) * sizeof *v);
    if (!v)
        return wp_fail(err, NULL, 0, "out of memory listing sensors");
    list->rails = v;
    list->rails[list->n++] = *rail;
    return 0;
}

int wp__sensor_open_file(wp_sensor *s, int i, const char *path, wp_error *err)
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

int wp__sensor_read_number(wp_sensor *s, int i, double *value, wp_error *err)
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

int wp__sensor_energy_step(wp_sensor *s, uint64_t counter, double *mv, double *ma)
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
