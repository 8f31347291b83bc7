/* One entry point per subcommand. Each parses its own options (through
 * cli_getopt and the cli_arg_* parsers of args.h), calls the library, prints,
 * and returns the process exit status. Nothing here computes: all logic lives
 * in the library. */
#ifndef WATTPROF_CLI_COMMANDS_H
#define WATTPROF_CLI_COMMANDS_H

#include "wattprof/error.h"

#define WP_COMMANDS(X)                                                                                                 \
    X(map, "map power samples onto layer windows (per cycle and per layer)")                                           \
    X(dataset, "build per-layer statistics and per-type training CSVs")                                                \
    X(simulate, "write a synthetic raw dataset with known per-layer truth")                                            \
    X(sensors, "list the power sensors found on this machine")                                                         \
    X(log, "log power samples to a file in the upstream format")                                                       \
    X(idle, "measure idle power into idling_power.json")                                                               \
    X(run, "log power while a command runs")                                                                           \
    X(train, "train per-layer-type power and runtime models")                                                          \
    X(predict, "predict per-layer runtime, power and energy for a network")                                            \
    X(zoo, "write a standard network architecture as ONNX")                                                            \
    X(bench, "run a network layer by layer and record per-layer latency")                                              \
    X(profile, "log power, benchmark, map and tabulate a network in one step")                                         \
    X(report, "render a self-contained HTML report")

#define WP_DECLARE(name, help) int cmd_##name(int argc, char **argv);
WP_COMMANDS(WP_DECLARE)
#undef WP_DECLARE

/* Prints "wattprof CMD: MESSAGE" on stderr and returns 1. */
int cli_fail(const char *cmd, const wp_error *err);
/* Prints "wattprof CMD: MESSAGE (see 'wattprof CMD --help')" and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) WP_PRINTF(2, 3);

#endif
