/* wattprof: the command-line tool. Dispatches to one cmd_<name>() per
 * pipeline step (see commands.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "signals.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} command;

#define WP_ENTRY(name, help) {#name, cmd_##name, help},
static const command commands[] = {WP_COMMANDS(WP_ENTRY)};
#undef WP_ENTRY

static void usage(FILE *fp)
{
    fprintf(fp, "usage: wattprof COMMAND [OPTIONS]\n"
                "\n"
                "Per-layer runtime, power and energy of neural networks: measure, map,\n"
                "train, predict.\n"
                "\n"
                "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(fp, "\n"
                "Run 'wattprof COMMAND --help' for a command's options.\n"
                "Pipeline: log/run -> map -> dataset -> train -> predict (see README.md).\n");
}

int cli_fail(const char *cmd, const wp_error *err)
{
    fprintf(stderr, "wattprof %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "wattprof %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'wattprof %s --help')\n", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("wattprof %s\n", WATTPROF_VERSION);
        return 0;
    }
    cli_signals_install();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "wattprof: unknown command '%s' (see 'wattprof --help')\n", argv[1]);
    return 2;
}
