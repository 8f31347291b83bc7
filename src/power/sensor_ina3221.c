/* INA3221 triple-channel monitors on Jetson boards, in both driver layouts:
 *
 *   mainline hwmon driver (Orin, L4T 34+):
 *     bus/i2c/drivers/ina3221/<dev>/hwmon/hwmon<k>/in<N>_input (mV),
 *     curr<N>_input (mA), in<N>_label; channels 1..3
 *   NVIDIA's older iio driver (Nano, TX2, Xavier):
 *     bus/i2c/drivers/ina3221x/<dev>/iio:device<k>/in_voltage<N>_input (mV),
 *     in_current<N>_input (mA), rail_name_<N>; channels 0..2
 *
 * The rail's `where` is the hwmon<k> or iio:device<k> directory; which
 * layout it is follows from that directory's name.
 *
 * Boards with two monitors (AGX Orin: 1-0040 and 1-0041) can give two
 * channels the same label, or two unlabelled channels the same fallback name
 * ("in1"); a label that is not unique is then named "<device>/<label>"
 * (e.g. "1-0041/VDD_IN") on every monitor that has it, so that --rail by name
 * never picks one of them silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor_internal.h"

static int is_iio_dir(const char *where)
{
    const char *base = strrchr(where, '/');
    return strncmp(base ? base + 1 : where, "iio:device", 10) == 0;
}

static void channel_files(const char *where, int ch, char *v, char *c, size_t size)
{
    if (is_iio_dir(where)) {
        wp__sensor_fmt(v, size, "%s/in_voltage%d_input", where, ch);
        wp__sensor_fmt(c, size, "%s/in_current%d_input", where, ch);
    } else {
        wp__sensor_fmt(v, size, "%s/in%d_input", where, ch);
        wp__sensor_fmt(c, size, "%s/curr%d_input", where, ch);
    }
}

/* Channel numbers present in dir: files "<prefix><N><suffix>". */
static int channels(const char *dir, const char *prefix, const char *suffix, int *out, int max)
{
    char **names;
    int n = wp__sensor_dir_names(dir, prefix, &names);
    if (n < 0)
        return -1;
    int k = 0;
    size_t plen = strlen(prefix);
    for (int i = 0; i < n && k < max; i++) {
        char *end;
        long ch = strtol(names[i] + plen, &end, 10);
        if (end != names[i] + plen && strcmp(end, suffix) == 0 && ch >= 0 && ch < 1000)
            out[k++] = (int)ch;
    }
    wp__sensor_free_names(names, n);
    return k;
}

static int add_channels(const char *where, int iio, wp_rail_list *list, wp_error *err)
{
    int ch[64];
    int n = iio ? channels(where, "in_voltage", "_input", ch, 64) : channels(where, "in", "_input", ch, 64);
    if (n < 0)
        return wp_fail(err, where, 0, "out of memory listing sensors");
    for (int i = 0; i < n; i++) {
        /* The chip has three channels. The hwmon driver also has in4..in6
         * (shunt voltages, uV), in7 (their sum) and curr4 (sum of currents):
         * none of them is a rail. */
        if (iio ? ch[i] > 2 : ch[i] < 1 || ch[i] > 3)
            continue;
        char vpath[WP_SENSOR_FILE_MAX], cpath[WP_SENSOR_FILE_MAX], lpath[WP_SENSOR_FILE_MAX];
        channel_files(where, ch[i], vpath, cpath, sizeof vpath);
        if (!wp__sensor_exists(cpath) || !wp__sensor_exists(vpath))
            continue; /* not wired */
        char enable[8];
        wp__sensor_fmt(lpath, sizeof lpath, "%s/in%d_enable", where, ch[i]);
        if (!iio && wp__sensor_read_text(lpath, enable, sizeof enable) == 0 && strcmp(enable, "0") == 0)
            continue; /* disabled: reading it fails with ENODATA */
        wp_rail_info r;
        memset(&r, 0, sizeof r);
        r.channel = ch[i];
        r.units = "mV, mA";
        wp__sensor_fmt(r.where, sizeof r.where, "%s", where);
        if (iio)
            wp__sensor_fmt(lpath, sizeof lpath, "%s/rail_name_%d", where, ch[i]);
        else
            wp__sensor_fmt(lpath, sizeof lpath, "%s/in%d_label", where, ch[i]);
        if (wp__sensor_read_text(lpath, r.name, sizeof r.name) < 0 || !r.name[0])
            wp__sensor_fmt(r.name, sizeof r.name, "%s%d", iio ? "channel" : "in", ch[i]);
        if (wp__sensor_push_rail(list, &r, err) < 0)
            return -1;
    }
    return 0;
}

/* Devices under one driver directory; each holds `sub` directories
 * (hwmon/hwmon<k> or iio:device<k>) with the channels. */
static int scan_driver(const char *root, const char *driver, int iio, wp_rail_list *list, wp_error *err)
{
    char drv[WP_SENSOR_FILE_MAX];
    char sub[64], **devs;
    wp__sensor_fmt(sub, sizeof sub, "bus/i2c/drivers/%s", driver);
    int nd = wp__sensor_list(root, sub, "", drv, sizeof drv, &devs, err);
    if (nd < 0)
        return -1;
    int rc = 0;
    for (int d = 0; d < nd && rc == 0; d++) {
        char base[WP_SENSOR_FILE_MAX];
        if (iio)
            wp__sensor_fmt(base, sizeof base, "%s/%s", drv, devs[d]);
        else
            wp__sensor_fmt(base, sizeof base, "%s/%s/hwmon", drv, devs[d]);
        char **subs;
        int ns = wp__sensor_dir_names(base, iio ? "iio:device" : "hwmon", &subs);
        if (ns < 0) {
            rc = wp_fail(err, base, 0, "out of memory listing sensors");
            break;
        }
        for (int s = 0; s < ns && rc == 0; s++) {
            char where[WP_SENSOR_FILE_MAX];
            if (wp__sensor_fmt(where, WP_RAIL_PATH_MAX, "%s/%s", base, subs[s]) < 0)
                continue;
            rc = add_channels(where, iio, list, err);
        }
        wp__sensor_free_names(subs, ns);
    }
    wp__sensor_free_names(devs, nd);
    return rc;
}

/* The i2c device ("1-0041") a channel directory belongs to: the parent of
 * iio:device<k>, two levels above hwmon<k>. */
static void device_of(const char *where, char *out, size_t size)
{
    const char *end = where + strlen(where);
    int up = is_iio_dir(where) ? 1 : 2;
    for (int i = 0; i < up; i++) {
        while (end > where && end[-1] != '/')
            end--;
        if (end > where)
            end--;
    }
    const char *start = end;
    while (start > where && start[-1] != '/')
        start--;
    snprintf(out, size, "%.*s", (int)(end - start), start);
}

static void qualify_duplicates(wp_rail_list *list, size_t from)
{
    size_t n = list->n - from;
    if (n < 2)
        return;
    char *dup = calloc(n, 1);
    if (!dup)
        return; /* names stay ambiguous; --rail by number still works */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(list->rails[from + i].name, list->rails[from + j].name) == 0)
                dup[i] = dup[j] = 1;
    for (size_t i = 0; i < n; i++) {
        if (!dup[i])
            continue;
        wp_rail_info *r = &list->rails[from + i];
        char dev[WP_RAIL_NAME_MAX], name[WP_RAIL_NAME_MAX];
        device_of(r->where, dev, sizeof dev);
        snprintf(name, sizeof name, "%s", r->name);
        wp__sensor_fmt(r->name, sizeof r->name, "%s/%s", dev, name);
    }
    free(dup);
}

static int ina3221_list(const char *root, wp_rail_list *list, char *note, wp_error *err)
{
    (void)note;
    size_t from = list->n;
    if (scan_driver(root, "ina3221", 0, list, err) < 0 || scan_driver(root, "ina3221x", 1, list, err) < 0)
        return -1;
    qualify_duplicates(list, from);
    return 0;
}

static int ina_read(wp_sensor *s, double *mv, double *ma, wp_error *err)
{
    if (wp__sensor_read_number(s, 0, mv, err) < 0 || wp__sensor_read_number(s, 1, ma, err) < 0)
        return -1;
    return 1;
}

static int ina3221_open(wp_sensor *s, wp_error *err)
{
    char v[WP_SENSOR_FILE_MAX], c[WP_SENSOR_FILE_MAX];
    channel_files(s->rail.where, s->rail.channel, v, c, sizeof v);
    if (wp__sensor_open_file(s, 0, v, err) < 0 || wp__sensor_open_file(s, 1, c, err) < 0)
        return -1;
    s->read = ina_read;
    return 0;
}

const wp_sensor_backend wp__sensor_backend_ina3221 = {ina3221_list, ina3221_open};
