#include "logopts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "wattprof/csv.h"

int cli_parse_seconds(const char *arg, double *out)
{
    double v;
    if (wp_parse_double(arg, strlen(arg), &v) < 0 || !(v > 0) || v > 1e9)
        return -1;
    *out = v;
    return 0;
}

int cli_logopt(const char *cmd, int opt, const char *arg, wp_logger_opts *o, int *quiet)
{
    switch (opt) {
    case OPT_SOURCE:
        if (wp_source_parse(arg, &o->sensor.source) < 0)
            return cli_usage_error(cmd, "unknown --source '%s'", arg);
        return 0;
    case OPT_RAIL:
        o->sensor.rail = arg;
        return 0;
    case OPT_SYSFS_ROOT:
        o->sensor.sysfs_root = arg;
        return 0;
    case OPT_INTERVAL: {
        char *end;
        errno = 0;
        long long v = strtoll(arg, &end, 10);
        if (end == arg || *end || errno || v < 0 || v > 3600LL * 1000000)
            return cli_usage_error(cmd, "--interval-us wants microseconds (0 to 3600000000), not '%s'", arg);
        o->interval_us = v;
        return 0;
    }
    case OPT_QUIET:
        *quiet = 1;
        return 0;
    default:
        return 1;
    }
}

void cli_print_rail(const char *cmd, const wp_logger *lg)
{
    const wp_rail_info *r = wp_logger_rail(lg);
    fprintf(stderr, "wattprof %s: rail %s %s (%s) at %s\n", cmd, wp_source_name(r->kind), r->name, r->units,
            r->where);
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
            (unsigned long long)s.samples, s.duration_s, s.mean_rate_hz, s.largest_gap_us / 1000.0,
            s.mean_power_uw, s.mean_power_uw / 1e6);
    if (s.buffer_waits)
        fprintf(stderr, "buffer full: sampler waited %llu times for the writer\n",
                (unsigned long long)s.buffer_waits);
}
