/* Options shared by the commands that log power (log, idle, run) and the
 * summary they print. */
#ifndef WATTPROF_CLI_LOGOPTS_H
#define WATTPROF_CLI_LOGOPTS_H

#include <getopt.h>

#include "args.h"

#include "wattprof/device.h"
#include "wattprof/logger.h"

enum {
    OPT_SOURCE = 1000,
    OPT_RAIL,
    OPT_INTERVAL,
    OPT_DURATION,
    OPT_SYSFS_ROOT,
    OPT_QUIET,
    OPT_COOLDOWN,
    OPT_COOLDOWN_TIMEOUT
};

#define CLI_SENSOR_LONGOPTS                                                                                            \
    {"source", required_argument, 0, OPT_SOURCE}, {"rail", required_argument, 0, OPT_RAIL},                            \
    {                                                                                                                  \
        "sysfs-root", required_argument, 0, OPT_SYSFS_ROOT                                                             \
    }
#define CLI_LOG_LONGOPTS                                                                                               \
    CLI_SENSOR_LONGOPTS, {"interval-us", required_argument, 0, OPT_INTERVAL},                                          \
    {                                                                                                                  \
        "quiet", no_argument, 0, OPT_QUIET                                                                             \
    }

/* Help text for the options above (without --duration). */
#define CLI_SENSOR_HELP                                                                                                \
    "  --source KIND       auto (default), ina3221, hwmon, rapl or nvml\n"                                             \
    "  --rail NAME|N       rail label (VDD_IN...) or its number in 'wattprof sensors';\n"                              \
    "                      default: VDD_IN / POM_5V_IN / VIN_SYS_5V0, else the first rail\n"                           \
    "  --sysfs-root DIR    read sysfs sensors under DIR instead of /sys\n"
#define CLI_LOG_HELP                                                                                                   \
    CLI_SENSOR_HELP                                                                                                    \
    "  --interval-us N     microseconds between samples, decimals allowed (below 100,\n"                               \
    "                      samples come in bursts at that mean rate); 0 (default):\n"                                  \
    "                      as fast as the sensor allows\n"                                                             \
    "  --quiet             no progress bar or rail line (the summary is still printed)\n"

/* getopt_long over argv that handles the options above (and --duration, for
 * the commands that offer it) itself: returns the next option that is not one of them, -1 at the
 * end, or CLI_OPT_BAD (usage error printed: exit 2) for one of them with a
 * bad value. */
int cli_getopt_log(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts,
                   wp_logger_options *o, int *quiet);
/* "rail: ina3221 VDD_IN (mV, mA) at DIR" on stderr. */
void cli_print_rail(const char *cmd, const wp_logger *lg);
/* The summary block on stderr. */
void cli_print_summary(const wp_logger *lg);

/* Logs with o until its duration ends or SIGINT/SIGTERM (cli_signals_session
 * from the start, so a signal at any point ends logging cleanly): the progress
 * bar unless hide_bar, the rail line unless quiet, the summary on stderr
 * after. *sum (may be NULL) gets the summary, *interrupted whether a signal
 * came. Returns -1 (err filled) when the logger fails to open or to run. */
int cli_log_session(const char *cmd, wp_logger_options *o, int quiet, int hide_bar, wp_logger_summary *sum,
                    int *interrupted, wp_error *err);

/* The device state before logging with o (root: $WATTPROF_DEVICE_ROOT, a
 * fake tree for tests, else "/"); NULL only when out of memory. */
wp_device_state *cli_device_begin(const wp_logger_options *o);
/* Records the end state and writes DIR/device.json (dir NULL: the folder of
 * path); with a drift_cmd, first warns as cli_warn_drift(drift_cmd, st,
 * drift_c) does. Frees st. */
int cli_device_finish(wp_device_state *st, const char *dir, const char *path, const wp_logger_summary *sum,
                      const char *drift_cmd, double drift_c, wp_error *err);

/* --cooldown N [--cooldown-timeout S] of run and profile: their long
 * options, which cli_cooldown_opt parses, and their help. */
#define CLI_COOLDOWN_LONGOPTS                                                                                          \
    {"cooldown", required_argument, 0, OPT_COOLDOWN},                                                                  \
    {                                                                                                                  \
        "cooldown-timeout", required_argument, 0, OPT_COOLDOWN_TIMEOUT                                                 \
    }
#define CLI_COOLDOWN_HELP                                                                                              \
    "  --cooldown N        before measuring, wait until every thermal zone is within N\n"                              \
    "                      degrees C of the idle reading (device.json, see above), and\n"                              \
    "                      warn when a zone rose more than N during the run\n"                                         \
    "  --cooldown-timeout S  give up waiting after S seconds and measure anyway, with\n"                               \
    "                      a warning (default 300)\n"

/* The value of --cooldown (c OPT_COOLDOWN: degrees into *margin_c) or of
 * --cooldown-timeout (c OPT_COOLDOWN_TIMEOUT: seconds into *timeout_s).
 * Returns 0, or 2 (the exit status) with a usage error printed. */
int cli_cooldown_opt(const char *cmd, int c, const char *arg, double *margin_c, double *timeout_s);

/* Waits as --cooldown says (docs/logging.md), the reference being the
 * device.json at ref_path; without one, says there is nothing to wait for.
 * Messages on stderr ("cooling down: ...", a warning on timeout). Fills
 * *r (r->zones 0: nothing compared) and returns 1 when ref_path was read,
 * 0 when it is absent, -1 on error (err filled). */
int cli_cooldown(const char *cmd, const char *ref_path, double margin_c, double timeout_s, int quiet,
                 wp_cooldown_result *r, wp_error *err);
/* After wp_device_end: warns on stderr when a zone rose more than margin_c
 * between the start and end readings. */
void cli_warn_drift(const char *cmd, const wp_device_state *st, double margin_c);

#endif
