/* Generic hwmon power channels: class/hwmon/hwmon<k>/power<N>_input in
 * microwatts (power<N>_label names the rail when the driver provides one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor_internal.h"

static int hwmon_list(const char *root, wp_rail_list *list, char *note, wp_error *err)
{
    (void)note;
    char cls[WP_SENSOR_FILE_MAX];
    char **dirs;
    int nd = wp__sensor_list(root, "class/hwmon", "hwmon", cls, sizeof cls, &dirs, err);
    if (nd < 0)
        return -1;
    int rc = 0;
    for (int d = 0; d < nd && rc == 0; d++) {
        char where[WP_SENSOR_FILE_MAX];
        if (wp__sensor_fmt(where, WP_RAIL_PATH_MAX, "%s/%s", cls, dirs[d]) < 0)
            continue;
        char chip[48], path[WP_SENSOR_FILE_MAX + 32];
        wp__sensor_fmt(path, sizeof path, "%s/name", where);
        if (wp__sensor_read_text(path, chip, sizeof chip) < 0 || !chip[0])
            wp__sensor_fmt(chip, sizeof chip, "%s", dirs[d]);
        char **files;
        int nf = wp__sensor_dir_names(where, "power", &files);
        if (nf < 0) {
            rc = wp_fail(err, where, 0, "out of memory listing sensors");
            break;
        }
        for (int f = 0; f < nf && rc == 0; f++) {
            char *end;
            long ch = strtol(files[f] + 5, &end, 10);
            if (end == files[f] + 5 || strcmp(end, "_input") != 0 || ch < 0 || ch > 999)
                continue;
            wp_rail_info r;
            memset(&r, 0, sizeof r);
            r.channel = (int)ch;
            r.units = "uW";
            wp__sensor_fmt(r.where, sizeof r.where, "%s", where);
            char label[WP_RAIL_NAME_MAX - 8];
            wp__sensor_fmt(path, sizeof path, "%s/power%ld_label", where, ch);
            if (wp__sensor_read_text(path, label, sizeof label) == 0 && label[0])
                wp__sensor_fmt(r.name, sizeof r.name, "%s", label);
            else
                wp__sensor_fmt(r.name, sizeof r.name, "%.40s:power%ld", chip, ch);
            rc = wp__sensor_push_rail(list, &r, err);
        }
        wp__sensor_free_names(files, nf);
    }
    wp__sensor_free_names(dirs, nd);
    return rc;
}

/* Power-only: a nominal 1000 mV, current = power in mW, so that
 * voltage x current is still microwatts (docs/logging.md). */
static int hwmon_read(wp_sensor *s, double *mv, double *ma, wp_error *err)
{
    double uw;
    if (wp__sensor_read_number(s, 0, &uw, err) < 0)
        return -1;
    *mv = 1000.0;
    *ma = uw / 1000.0;
    return 1;
}

static int hwmon_open(wp_sensor *s, wp_error *err)
{
    char p[WP_SENSOR_FILE_MAX];
    wp__sensor_fmt(p, sizeof p, "%s/power%d_input", s->rail.where, s->rail.channel);
    if (wp__sensor_open_file(s, 0, p, err) < 0)
        return -1;
    s->read = hwmon_read;
    return 0;
}

const wp_sensor_backend wp__sensor_backend_hwmon = {hwmon_list, hwmon_open};
