/* wattprof sensors: what can be logged here, with rails and units. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "logopts.h"
#include "wattprof/sensor.h"

static void help(void)
{
    printf("usage: wattprof sensors [--source KIND] [--sysfs-root DIR]\n"
           "\n"
           "Lists every power rail found: source, rail number (for --rail N), label\n"
           "(for --rail NAME), what the source measures, and where. '*' marks the rail\n"
           "'log' uses by default. Exits 1 when nothing is found.\n"
           "\n"
           "  --source KIND       list only this source (ina3221, hwmon, rapl, nvml)\n"
           "  --sysfs-root DIR    look under DIR instead of /sys\n"
           "  --help              this text\n");
}

int cmd_sensors(int argc, char **argv)
{
    static const struct option longopts[] = {{"source", required_argument, 0, OPT_SOURCE},
                                             {"sysfs-root", required_argument, 0, OPT_SYSFS_ROOT},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    wp_source_kind kind = WP_SOURCE_AUTO;
    const char *root = NULL;
    int c;
    optind = 1;
    while ((c = cli_getopt("sensors", argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'h': help(); return 0;
        case OPT_SOURCE: {
            int k;
            if (cli_arg_enum("sensors", "--source", optarg, cli_source_name, CLI_N_SOURCES, &k))
                return 2;
            kind = (wp_source_kind)k;
            break;
        }
        case OPT_SYSFS_ROOT: root = optarg; break;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_no_operands("sensors", argc, argv))
        return 2;
    wp_rail_list list;
    wp_error err;
    char note[WP_ERROR_MAX];
    if (wp_sensor_list(root, kind, &list, note, &err) < 0)
        return cli_fail("sensors", &err);
    if (list.n) {
        printf("%-8s %3s  %-24s %-12s %s\n", "source", "#", "rail", "units", "where");
        for (size_t i = 0; i < list.n; i++) {
            const wp_rail_info *r = &list.rails[i];
            char name[WP_RAIL_NAME_MAX + 4];
            snprintf(name, sizeof name, "%s%s", r->name, r->is_default ? " *" : "");
            printf("%-8s %3d  %-24s %-12s %s\n", wp_source_name(r->kind), r->index, name, r->units, r->where);
        }
    }
    if ((kind == WP_SOURCE_AUTO || kind == WP_SOURCE_NVML) && note[0])
        printf("nvml: %s\n", note);
    size_t n = list.n;
    wp_rail_list_free(&list);
    if (n == 0) {
        fprintf(stderr, "wattprof sensors: no power sensor found under %s\n", root ? root : "/sys");
        return 1;
    }
    return 0;
}
