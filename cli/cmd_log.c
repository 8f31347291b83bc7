/* wattprof log: power samples to a file in the upstream format. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "logopts.h"
#include "wattprof/logger.h"

static void help(void)
{
    printf("usage: wattprof log --out FILE [--duration S] [OPTIONS]\n"
           "\n"
           "Samples one power rail and writes YYYYmmdd-HH:MM:SS.ffffff,mV,mA lines\n"
           "(local time; mV x mA = microwatts for every source, see docs/logging.md).\n"
           "Runs until the duration ends or SIGINT/SIGTERM; every sample taken is\n"
           "written. A summary (samples, duration, rate, largest gap, mean power) goes\n"
           "to stderr. The device state (board, clocks, temperatures at start and end)\n"
           "goes to device.json beside FILE.\n"
           "\n"
           "  --out FILE          the power log (written atomically when logging ends)\n"
           "  --duration S        stop after S seconds (default: until interrupted)\n" CLI_LOG_HELP
           "  --help              this text\n");
}

int cmd_log(int argc, char **argv)
{
    static const struct option longopts[] = {CLI_LOG_LONGOPTS,
                                             {"out", required_argument, 0, 'o'},
                                             {"duration", required_argument, 0, OPT_DURATION},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    wp_logger_options o;
    wp_logger_options_init(&o);
    int quiet = 0, c;
    optind = 1;
    while ((c = cli_getopt_log("log", argc, argv, "ho:", longopts, &o, &quiet)) != -1) {
        switch (c) {
        case 'h': help(); return 0;
        case 'o': o.out_path = optarg; break;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_args_done("log", argc, argv, "--out", o.out_path, NULL))
        return 2;

    wp_error err;
    int interrupted;
    wp_logger_summary sum;
    wp_device_state *dev = cli_device_begin(&o);
    if (cli_log_session("log", &o, quiet, quiet || o.duration_s <= 0, &sum, &interrupted, &err) < 0) {
        wp_device_free(dev);
        return cli_fail("log", &err);
    }
    if (cli_device_finish(dev, NULL, o.out_path, &sum, NULL, 0, &err) < 0)
        return cli_fail("log", &err);
    return 0;
}
