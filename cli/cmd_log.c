/* wattprof log: power samples to a file in the upstream format. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "logopts.h"
#include "progress.h"
#include "wattprof/logger.h"

static wp_logger *volatile active;
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    if (active)
        wp_logger_stop(active);
}

static void help(void)
{
    printf("usage: wattprof log --out FILE [--duration S] [OPTIONS]\n"
           "\n"
           "Samples one power rail and writes YYYYmmdd-HH:MM:SS.ffffff,mV,mA lines\n"
           "(local time; mV x mA = microwatts for every source, see docs/logging.md).\n"
           "Runs until the duration ends or SIGINT/SIGTERM; every sample taken is\n"
           "written. A summary (samples, duration, rate, largest gap, mean power) goes\n"
           "to stderr.\n"
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
    wp_logger_opts o;
    memset(&o, 0, sizeof o);
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        int r = cli_logopt("log", c, optarg, &o, &quiet);
        if (r == 0)
            continue;
        if (r == 2)
            return 2;
        switch (c) {
        case 'h':
            help();
            return 0;
        case 'o':
            o.out_path = optarg;
            break;
        case OPT_DURATION:
            if (cli_parse_seconds(optarg, &o.duration_s) < 0)
                return cli_usage_error("log", "--duration wants seconds > 0, not '%s'", optarg);
            break;
        default:
            return cli_usage_error("log", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage_error("log", "unexpected argument '%s'", argv[optind]);
    if (!o.out_path)
        return cli_usage_error("log", "--out FILE is required");

    /* Handlers first: a signal at any point ends logging cleanly. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    cli_bar bar;
    cli_bar_init(&bar, quiet || o.duration_s <= 0);
    o.progress = cli_progress(&bar);
    wp_error err;
    wp_logger *lg = wp_logger_open(&o, &err);
    if (!lg)
        return cli_fail("log", &err);
    if (!quiet)
        cli_print_rail("log", lg);

    active = lg;
    if (interrupted) /* a signal that came while the sensor was being opened */
        wp_logger_stop(lg);

    int rc = wp_logger_run(lg, &err);
    cli_bar_done(&bar);
    cli_print_summary(lg);
    active = NULL;
    wp_logger_free(lg);
    if (rc < 0)
        return cli_fail("log", &err);
    return 0;
}
