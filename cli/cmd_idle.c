/* wattprof idle: average idle power into idling_power.json. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "logopts.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/idle.h"
#include "wattprof/layout.h"
#include "wattprof/logger.h"

static void help(void)
{
    printf("usage: wattprof idle --result-dir DIR [--duration S] [OPTIONS]\n"
           "\n"
           "Samples one power rail while the device idles and writes\n"
           "DIR/idling_power.json: {\"timestamp\": \"YYYYmmdd-HHMMSS\", \"avg_idle_power\": uW},\n"
           "and DIR/device.json (board, clocks, temperatures at start and end),\n"
           "the mean of voltage x current over the samples, as the original does.\n"
           "Interrupting it (SIGINT/SIGTERM) writes nothing.\n"
           "\n"
           "  --result-dir DIR    where idling_power.json goes (created if needed)\n"
           "  --duration S        seconds to measure (default 60)\n" CLI_LOG_HELP "  --help              this text\n");
}

int cmd_idle(int argc, char **argv)
{
    static const struct option longopts[] = {CLI_LOG_LONGOPTS,
                                             {"result-dir", required_argument, 0, 'r'},
                                             {"duration", required_argument, 0, OPT_DURATION},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    wp_logger_options o;
    wp_logger_options_init(&o);
    o.duration_s = 60;
    const char *dir = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = cli_getopt_log("idle", argc, argv, "h", longopts, &o, &quiet)) != -1) {
        switch (c) {
        case 'h': help(); return 0;
        case 'r': dir = optarg; break;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_args_done("idle", argc, argv, "--result-dir", dir, NULL))
        return 2;

    wp_error err;
    if (wp_mkdirs(dir, &err) < 0)
        return cli_fail("idle", &err);
    wp_logger_summary sum;
    int interrupted;
    wp_device_state *dev = cli_device_begin(&o);
    if (cli_log_session("idle", &o, quiet, quiet, &sum, &interrupted, &err) < 0) {
        wp_device_free(dev);
        return cli_fail("idle", &err);
    }
    if (interrupted) {
        wp_device_free(dev);
        fprintf(stderr, "wattprof idle: interrupted; nothing written\n");
        return 130;
    }
    if (sum.samples == 0) {
        wp_device_free(dev);
        wp_fail(&err, NULL, 0, "no sample taken in %.3f s", sum.duration_s);
        return cli_fail("idle", &err);
    }
    char *path = wp_path_join(dir, WP_IDLE_JSON);
    if (!path || wp_idle_write(path, NULL, sum.mean_power_uw, &err) < 0) {
        if (!path)
            wp_fail(&err, NULL, 0, "out of memory");
        free(path);
        wp_device_free(dev);
        return cli_fail("idle", &err);
    }
    if (cli_device_finish(dev, dir, NULL, &sum, NULL, 0, &err) < 0) {
        free(path);
        return cli_fail("idle", &err);
    }
    printf("average idle power: %.1f uW (%.3f W) -> %s\n", sum.mean_power_uw, sum.mean_power_uw / 1e6, path);
    free(path);
    return 0;
}
