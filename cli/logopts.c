/* logopts: the sensor/logging options of log, idle, run and profile, and the
 * logging session they share (logopts.h), so the four commands cannot drift. */
#include "logopts.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "signals.h"
#include "wattprof/csv.h"
#include "wattprof/fsutil.h"
#include "wattprof/layout.h"
#include "wattprof/timestamp.h"

/* One of the shared options: 0 handled, 1 not one of them, 2 bad value
 * (message printed). */
static int cli_logopt(const char *cmd, int opt, const char *arg, wp_logger_options *o, int *quiet)
{
    switch (opt) {
    case OPT_SOURCE: {
        int k;
        if (cli_arg_enum(cmd, "--source", arg, cli_source_name, CLI_N_SOURCES, &k))
            return 2;
        o->sensor.source = (wp_source_kind)k;
        return 0;
    }
    case OPT_RAIL: o->sensor.rail = arg; return 0;
    case OPT_SYSFS_ROOT: o->sensor.sysfs_root = arg; return 0;
    case OPT_INTERVAL:
        /* Decimals allowed: 1.5 is a 666.7 kHz schedule. */
        return cli_arg_double(cmd, "--interval-us", arg, 0, 3600e6, &o->interval_us);
    case OPT_QUIET: *quiet = 1; return 0;
    case OPT_DURATION: return cli_arg_seconds(cmd, "--duration", arg, &o->duration_s);
    default: return 1;
    }
}

int cli_getopt_log(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts,
                   wp_logger_options *o, int *quiet)
{
    for (;;) {
        int c = cli_getopt(cmd, argc, argv, optstring, longopts);
        if (c == -1 || c == CLI_OPT_BAD)
            return c;
        int r = cli_logopt(cmd, c, optarg, o, quiet);
        if (r == 2)
            return CLI_OPT_BAD;
        if (r == 1)
            return c;
    }
}

void cli_print_rail(const char *cmd, const wp_logger *lg)
{
    const wp_rail_info *r = wp_logger_rail(lg);
    fprintf(stderr, "wattprof %s: rail %s %s (%s) at %s\n", cmd, wp_source_name(r->kind), r->name, r->units, r->where);
}

void cli_print_summary(const wp_logger *lg)
{
    wp_logger_summary s;
    wp_logger_get_summary(lg, &s);
    fprintf(stderr,
            "samples:     %llu\n"
            "duration:    %.3f s\n"
            "mean rate:   %.1f Hz\n"
            "largest gap: %.3f ms\n"
            "mean power:  %.1f uW (%.3f W)\n",
            (unsigned long long)s.samples, s.duration_s, s.mean_rate_hz, s.largest_gap_us / 1000.0, s.mean_power_uw,
            s.mean_power_uw / 1e6);
    if (s.buffer_waits)
        fprintf(stderr, "buffer full: sampler waited %llu times for the writer\n", (unsigned long long)s.buffer_waits);
    if (s.clock_steps) {
        char at[WP_TS_BUFSZ];
        wp_ts_format(s.first_clock_step_us, at);
        fprintf(stderr,
                "warning: the wall clock stepped %llu time(s) while logging (first at %s, largest %+.3f ms); "
                "the log keeps the time base it started with, so from the step on its stamps differ from "
                "wall-clock stamps (a profiler's) by the step\n",
                (unsigned long long)s.clock_steps, at, (double)s.largest_clock_step_us / 1000.0);
    }
}

int cli_log_session(const char *cmd, wp_logger_options *o, int quiet, int hide_bar, wp_logger_summary *sum,
                    int *interrupted, wp_error *err)
{
    cli_signals_session(1); /* first: a signal at any point ends logging cleanly */
    cli_bar bar;
    cli_bar_init(&bar, hide_bar);
    o->progress = cli_progress(&bar);
    wp_logger *lg = wp_logger_open(o, err);
    if (!lg) {
        cli_signals_session(0);
        return -1;
    }
    if (!quiet)
        cli_print_rail(cmd, lg);
    cli_signals_stop_logger(lg);
    if (cli_signals_caught()) /* a signal that came while the sensor was being opened */
        wp_logger_stop(lg);

    int rc = wp_logger_run(lg, err);
    cli_bar_done(&bar);
    cli_print_summary(lg);
    if (sum)
        wp_logger_get_summary(lg, sum);
    cli_signals_session(0);
    wp_logger_free(lg);
    *interrupted = cli_signals_caught();
    return rc < 0 ? -1 : 0;
}

wp_device_state *cli_device_begin(const wp_logger_options *o)
{
    return wp_device_start(getenv("WATTPROF_DEVICE_ROOT"), o->interval_us > 0 ? 1e6 / o->interval_us : 0);
}

int cli_device_finish(wp_device_state *st, const char *dir, const char *path, const wp_logger_summary *sum,
                      const char *drift_cmd, double drift_c, wp_error *err)
{
    if (!st)
        return 0; /* out of memory before logging: the measurement still stands */
    wp_device_end(st, sum ? sum->mean_rate_hz : 0);
    if (drift_cmd)
        cli_warn_drift(drift_cmd, st, drift_c);
    /* path's folder: "." for a bare name, "/" for one right under the root */
    const char *slash = dir ? NULL : strrchr(path, '/');
    char *folder = dir ? strdup(dir) : !slash ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
    char *out = folder ? wp_path_join(folder, WP_DEVICE_JSON) : NULL;
    int rc = out ? wp_device_write(st, out, err) : wp_fail(err, dir ? dir : path, 0, "out of memory");
    free(folder);
    free(out);
    wp_device_free(st);
    return rc;
}

int cli_cooldown_opt(const char *cmd, int c, const char *arg, double *margin_c, double *timeout_s)
{
    if (c == OPT_COOLDOWN)
        return cli_arg_double(cmd, "--cooldown", arg, 0.1, 100, margin_c) ? 2 : 0;
    return cli_arg_seconds(cmd, "--cooldown-timeout", arg, timeout_s) ? 2 : 0;
}

typedef struct cooldown_ctx {
    const char *cmd, *ref;
    double margin, timeout;
    int quiet;
} cooldown_ctx;

static void cooldown_waiting(void *ctx, const wp_thermal_worst *w)
{
    const cooldown_ctx *c = ctx;
    if (!c->quiet)
        fprintf(stderr,
                "wattprof %s: cooling down: %s (%s) at %.1f C, idle %.1f C; waiting until every zone is within "
                "%.3g C of %s (up to %.0f s)\n",
                c->cmd, w->zone, w->type[0] ? w->type : "?", w->temp_c, w->ref_c, c->margin, c->ref, c->timeout);
}

int cli_cooldown(const char *cmd, const char *ref_path, double margin_c, double timeout_s, int quiet,
                 wp_cooldown_result *r, wp_error *err)
{
    memset(r, 0, sizeof *r);
    if (!wp_is_file(ref_path)) {
        fprintf(stderr,
                "wattprof %s: note: --cooldown: no idle reading in %s (written by the idle measurement), so "
                "nothing to wait for; the drift during the run is still checked\n",
                cmd, ref_path);
        return 0;
    }
    cooldown_ctx c = {cmd, ref_path, margin_c, timeout_s > 0 ? timeout_s : 300, quiet};
    wp_cooldown_options o = {getenv("WATTPROF_DEVICE_ROOT"), margin_c, timeout_s, 0, cooldown_waiting, &c};
    if (wp_device_cooldown(ref_path, &o, r, err) < 0)
        return -1;
    if (!r->reached)
        fprintf(stderr,
                "wattprof %s: warning: still %s (%s) at %.1f C after %.0f s, %.1f C above the idle %.1f C "
                "(--cooldown %.3g); measuring anyway\n",
                cmd, r->worst.zone, r->worst.type[0] ? r->worst.type : "?", r->worst.temp_c, r->waited_s,
                r->worst.temp_c - r->worst.ref_c, r->worst.ref_c, margin_c);
    else if (r->waited_s >= 0.5 && !quiet)
        fprintf(stderr, "wattprof %s: cooled down in %.1f s\n", cmd, r->waited_s);
    return 1;
}

void cli_warn_drift(const char *cmd, const wp_device_state *st, double margin_c)
{
    wp_thermal_worst w;
    if (wp_device_drift(st, &w) && w.temp_c - w.ref_c > margin_c)
        fprintf(stderr,
                "wattprof %s: warning: %s (%s) rose %.1f C during the run (%.1f -> %.1f C), more than --cooldown "
                "%.3g: power drifts with temperature, so the later part of the run may read higher\n",
                cmd, w.zone, w.type[0] ? w.type : "?", w.temp_c - w.ref_c, w.ref_c, w.temp_c, margin_c);
}
