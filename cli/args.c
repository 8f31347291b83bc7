/* args: the getopt loop and option-value parsers every command shares
 * (args.h). */
#include "args.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    /* ':' right after an optional '+': getopt then returns ':' for a missing
     * value instead of printing its own message. */
    char spec[64];
    int plus = shortopts[0] == '+';
    const char *rest = shortopts + plus + (shortopts[plus] == ':');
    snprintf(spec, sizeof spec, "%s:%s", plus ? "+" : "", rest);
    opterr = 0;
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c != '?' && c != ':')
        return c;
    /* A short option inside a cluster (-qx) is not argv[optind - 1]. */
    const char *where = argv[optind - 1];
    char shortname[3] = {'-', (char)optopt, '\0'};
    if (optopt > 0 && optopt < 256 && !(where[0] == '-' && where[1] == '-'))
        where = shortname;
    if (c == ':')
        cli_usage_error(cmd, "option '%s' needs a value", where);
    else
        cli_usage_error(cmd, "unknown option '%s'", where);
    return CLI_OPT_BAD;
}

int cli_no_operands(const char *cmd, int argc, char **argv)
{
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

int cli_require(const char *cmd, const char *opt, const char *value)
{
    return value ? 0 : cli_usage_error(cmd, "%s is required", opt);
}

int cli_args_done(const char *cmd, int argc, char **argv, ...)
{
    if (cli_no_operands(cmd, argc, argv))
        return 2;
    va_list ap;
    va_start(ap, argv);
    int rc = 0;
    for (const char *opt; rc == 0 && (opt = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        rc = cli_require(cmd, opt, value) ? 2 : 0;
    }
    va_end(ap);
    return rc;
}

int cli_arg_long(const char *cmd, const char *opt, const char *arg, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || errno || v < min || v > max)
        return cli_usage_error(cmd, "%s wants a whole number from %ld to %ld, not '%s'", opt, min, max, arg);
    *out = v;
    return 0;
}

int cli_arg_int(const char *cmd, const char *opt, const char *arg, int min, int max, int *out)
{
    long v = 0;
    if (cli_arg_long(cmd, opt, arg, min, max, &v))
        return 2;
    *out = (int)v;
    return 0;
}

int cli_arg_double(const char *cmd, const char *opt, const char *arg, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || !isfinite(v) || v < min || v > max)
        return cli_usage_error(cmd, "%s wants a number from %.15g to %.15g, not '%s'", opt, min, max, arg);
    *out = v;
    return 0;
}

int cli_arg_number(const char *cmd, const char *opt, const char *arg, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || !isfinite(v))
        return cli_usage_error(cmd, "%s wants a number, not '%s'", opt, arg);
    *out = v;
    return 0;
}

int cli_arg_seconds(const char *cmd, const char *opt, const char *arg, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || !(v > 0) || v > 1e9)
        return cli_usage_error(cmd, "%s wants seconds > 0, not '%s'", opt, arg);
    *out = v;
    return 0;
}

int cli_arg_enum(const char *cmd, const char *opt, const char *arg, cli_name_fn name, int count, int *out)
{
    char valid[512];
    size_t used = 0;
    valid[0] = '\0';
    for (int i = 0; i < count; i++) {
        if (strcmp(arg, name(i)) == 0) {
            *out = i;
            return 0;
        }
        int w = snprintf(valid + used, sizeof valid - used, "%s%s", i ? ", " : "", name(i));
        if (w > 0 && (size_t)w < sizeof valid - used)
            used += (size_t)w;
    }
    return cli_usage_error(cmd, "%s must be one of %s, not '%s'", opt, valid, arg);
}

int cli_arg_list(const char *cmd, const char *opt, char *arg, const char **items, int max, int *n)
{
    *n = 0;
    char *save = NULL;
    for (char *s = strtok_r(arg, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        if (*n == max)
            return cli_usage_error(cmd, "%s takes at most %d items", opt, max);
        items[(*n)++] = s;
    }
    return 0;
}

const char *cli_source_name(int value)
{
    return wp_source_name((wp_source_kind)value);
}

const char *cli_attribution_name(int value)
{
    return wp_attribution_mode_name((wp_attribution_mode)value);
}

const char *cli_timeline_name(int value)
{
    return wp_timeline_mode_name((wp_timeline_mode)value);
}
