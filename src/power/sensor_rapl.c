/* Intel RAPL through powercap: class/powercap/intel-rapl:<p>[:<s>]/energy_uj
 * is a microjoule counter that wraps to 0 after max_energy_range_uj; power is
 * its increase over the time since it last moved. Subzones are named after
 * their package ("package-0:core") so names stay unique on multi-socket
 * machines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor_internal.h"
#include "wattprof/csv.h"

static int rapl_list(const char *root, wp_rail_list *list, char *note, wp_error *err)
{
    (void)note;
    char cls[WP_SENSOR_FILE_MAX];
    char **zones;
    int nz = wp__sensor_list(root, "class/powercap", "intel-rapl:", cls, sizeof cls, &zones, err);
    if (nz < 0)
        return -1;
    int rc = 0;
    for (int z = 0; z < nz && rc == 0; z++) {
        wp_rail_info r;
        memset(&r, 0, sizeof r);
        if (wp__sensor_fmt(r.where, sizeof r.where, "%s/%s", cls, zones[z]) < 0)
            continue;
        char path[WP_SENSOR_FILE_MAX + 32], name[WP_RAIL_NAME_MAX / 2];
        wp__sensor_fmt(path, sizeof path, "%s/energy_uj", r.where);
        if (!wp__sensor_exists(path))
            continue;
        wp__sensor_fmt(path, sizeof path, "%s/name", r.where);
        if (wp__sensor_read_text(path, name, sizeof name) < 0 || !name[0])
            wp__sensor_fmt(name, sizeof name, "%.30s", zones[z]);
        const char *second = strchr(zones[z] + 11, ':');
        if (second) {
            char parent[WP_RAIL_NAME_MAX / 2 - 2];
            wp__sensor_fmt(path, sizeof path, "%s/%.*s/name", cls, (int)(second - zones[z]), zones[z]);
            if (wp__sensor_read_text(path, parent, sizeof parent) < 0 || !parent[0])
                wp__sensor_fmt(parent, sizeof parent, "%.*s", (int)(second - zones[z]), zones[z]);
            wp__sensor_fmt(r.name, sizeof r.name, "%s:%s", parent, name);
        } else {
            wp__sensor_fmt(r.name, sizeof r.name, "%s", name);
        }
        r.units = "uJ counter";
        r.channel = z;
        rc = wp__sensor_push_rail(list, &r, err);
    }
    wp__sensor_free_names(zones, nz);
    return rc;
}

static int rapl_read(wp_sensor *s, double *mv, double *ma, wp_error *err)
{
    double e;
    if (wp__sensor_read_number(s, 0, &e, err) < 0)
        return -1;
    if (e < 0)
        return wp_fail(err, s->path[0], 0, "negative energy counter");
    return wp__sensor_energy_step(s, (uint64_t)e, mv, ma);
}

static int rapl_open(wp_sensor *s, wp_error *err)
{
    char p[WP_SENSOR_FILE_MAX];
    wp__sensor_fmt(p, sizeof p, "%s/max_energy_range_uj", s->rail.where);
    char text[64];
    if (wp__sensor_read_text(p, text, sizeof text) == 0) {
        double m;
        if (wp_parse_double(text, strlen(text), &m) == 0 && m > 0)
            s->max_range = (uint64_t)m;
    }
    wp__sensor_fmt(p, sizeof p, "%s/energy_uj", s->rail.where);
    if (wp__sensor_open_file(s, 0, p, err) < 0)
        return -1;
    s->energy_to_uj = 1.0;
    s->read = rapl_read;
    return 0;
}

const wp_sensor_backend wp__sensor_backend_rapl = {rapl_list, rapl_open};
