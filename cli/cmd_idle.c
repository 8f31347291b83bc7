/* wattprof idle: average idle power into idling_power.json. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "logopts.h"
#include "progress.h"
#include "wattprof/atomic_file.h"
#include "wattprof/idle.h"
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
    printf("usage: wattprof idle --result-dir DIR [--duration S] [OPTIONS]\n"
           "\n"
           "Samples one power rail while the device idles and writes\n"
           "DIR/idling_power.json: {\"timestamp\": \"YYYYmmdd-HHMMSS\", \"avg_idle_power\": uW},\n"
           "the mean of voltage x current over the samples, as the original does.\n"
           "Interrupting it (SIGINT/SIGTERM) writes nothing.\n"
           "\n"
           "  --result-dir DIR    where idling_power.json goes (created if needed)\n"
           "  --duration S        seconds to measure (default 60)\n" CLI_LOG_HELP
           "  --help              this text\n");
}

int cmd_idle(int argc, char **argv)
{
    static const struct option longopts[] = {CLI_LOG_LONGOPTS,
                                             {"result-dir", required_argument, 0, 'r'},
                                             {"duration", required_argument, 0, OPT_DURATION},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    wp_logger_opts o;
    memset(&o, 0, sizeof o);
    o.duration_s = 60;
    const char *dir = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int r = cli_logopt("idle", c, optarg, &o, &quiet);
        if (r == 0)
            continue;
        if (r == 2)
            return 2;
        switch (c) {
        case 'h':
            help();
            return 0;
        case 'r':
            dir = optarg;
            break;
        case OPT_DURATION:
            if (cli_parse_seconds(optarg, &o.duration_s) < 0)
                return cli_usage_error("idle", "--duration wants seconds > 0, not '%s'", optarg);
            break;
        default:
            return cli_usage_error("idle", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage_error("idle", "unexpected argument '%s'", argv[optind]);
    if (!dir)
        return cli_usage_error("idle", "--result-dir DIR is required");

    wp_error err;
    if (wp_mkdirs(dir, &err) < 0)
        return cli_fail("idle", &err);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    cli_bar bar;
    cli_bar_init(&bar, quiet);
    o.progress = cli_progress(&bar);
    wp_logger *lg = wp_logger_open(&o, &err);
    if (!lg)
        return cli_fail("idle", &err);
    if (!quiet)
        cli_print_rail("idle", lg);
    active = lg;
    if (interrupted)
        wp_logger_stop(lg);

    int rc = wp_logger_run(lg, &err);
    cli_bar_done(&bar);
    cli_print_summary(lg);
    wp_logger_summary sum;
    wp_logger_get_summary(lg, &sum);
    active = NULL;
    wp_logger_free(lg);
    if (rc < 0)
        return cli_fail("idle", &err);
    if (interrupted) {
        fprintf(stderr, "wattprof idle: interrupted; nothing written\n");
        return 130;
    }
    if (sum.samples == 0) {
        wp_fail(&err, NULL, 0, "no sample taken in %.3f s", sum.duration_s);
        return cli_fail("idle", &err);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/idling_power.json", dir);
    if (wp_idle_write(path, NULL, sum.mean_power_uw, &err) < 0)
        return cli_fail("idle", &err);
    printf("average idle power: %.1f uW (%.3f W) -> %s\n", sum.mean_power_uw, sum.mean_power_uw / 1e6, path);
    return 0;
}
