/* Options shared by the commands that log power (log, idle, run) and the
 * summary they print. */
#ifndef WATTPROF_CLI_LOGOPTS_H
#define WATTPROF_CLI_LOGOPTS_H

#include <getopt.h>

#include "wattprof/logger.h"

enum { OPT_SOURCE = 1000, OPT_RAIL, OPT_INTERVAL, OPT_DURATION, OPT_SYSFS_ROOT, OPT_QUIET };

#define CLI_SENSOR_LONGOPTS                                                                     \
    {"source", required_argument, 0, OPT_SOURCE}, {"rail", required_argument, 0, OPT_RAIL},     \
        {"sysfs-root", required_argument, 0, OPT_SYSFS_ROOT}
#define CLI_LOG_LONGOPTS                                                                        \
    CLI_SENSOR_LONGOPTS, {"interval-us", required_argument, 0, OPT_INTERVAL},                   \
        {"quiet", no_argument, 0, OPT_QUIET}

/* Help text for the options above (without --duration). */
#define CLI_SENSOR_HELP                                                                         \
    "  --source KIND       auto (default), ina3221, hwmon, rapl or nvml\n"                       \
    "  --rail NAME|N       rail label (VDD_IN...) or its number in 'wattprof sensors';\n"      \
    "                      default: VDD_IN / POM_5V_IN, else the source's first rail\n"         \
    "  --sysfs-root DIR    read sysfs sensors under DIR instead of /sys\n"
#define CLI_LOG_HELP                                                                            \
    CLI_SENSOR_HELP                                                                             \
    "  --interval-us N     microseconds between samples; 0 (default): as fast as the\n"         \
    "                      sensor allows\n"                                                     \
    "  --quiet             no progress bar or rail line (the summary is still printed)\n"

/* Handles one of the shared options: 0 handled, 1 not one of them,
 * 2 bad value (message printed). */
int cli_logopt(const char *cmd, int opt, const char *arg, wp_logger_opts *o, int *quiet);
/* Parses a duration in seconds (> 0); -1 when invalid. */
int cli_parse_seconds(const char *arg, double *out);
/* "rail: ina3221 VDD_IN (mV, mA) at DIR" on stderr. */
void cli_print_rail(const char *cmd, const wp_logger *lg);
/* The summary block on stderr. */
void cli_print_summary(const wp_logger *lg);

#endif
