/* The CLI's one argument layer: the getopt loop every command runs and the
 * parsers for option values (numbers, lists, durations, enums).
 *
 * One place decides how a bad command line reads, so every command says it
 * the same way: one line "wattprof CMD: what is wrong (see 'wattprof CMD
 * --help')" on stderr and exit status 2. Enum values are checked against the
 * library's own name functions, so the list in a message is never out of
 * date. Every cli_arg_* returns 0 when the value was taken, 2 (the exit
 * status, message printed) when not. */
#ifndef WATTPROF_CLI_ARGS_H
#define WATTPROF_CLI_ARGS_H

#include <getopt.h>

#include "wattprof/attribution.h"
#include "wattprof/sensor.h"
#include "wattprof/timeline.h"

/* What cli_getopt returns for a bad command line (message printed: return 2). */
enum { CLI_OPT_BAD = -2 };

/* getopt_long with getopt's own messages off: returns the next option, -1 at
 * the end, or CLI_OPT_BAD after printing "unknown option '--x'" or "option
 * '--x' needs a value". shortopts may start with '+' (stop at the first
 * operand); the ':' that asks getopt to report missing values is added here. */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts);

/* The usage error for an operand left after the options (commands that
 * take none); 0 when there is none. */
int cli_no_operands(const char *cmd, int argc, char **argv);
/* "OPT is required" when value is NULL; 0 otherwise. */
int cli_require(const char *cmd, const char *opt, const char *value);
/* The end of every command's option loop: no operand left (cli_no_operands),
 * then each required option given (cli_require), as (name, value) pairs up
 * to a NULL name. 0 when all is well, else 2 (message printed). */
int cli_args_done(const char *cmd, int argc, char **argv, ...);

/* Upper bound of counts (--runs, --warmup, --threads). */
#define CLI_COUNT_MAX 100000000

/* A whole number from min to max. */
int cli_arg_long(const char *cmd, const char *opt, const char *arg, long min, long max, long *out);
int cli_arg_int(const char *cmd, const char *opt, const char *arg, int min, int max, int *out);
/* A finite number from min to max (decimals and exponents allowed). */
int cli_arg_double(const char *cmd, const char *opt, const char *arg, double min, double max, double *out);
/* Any finite number. */
int cli_arg_number(const char *cmd, const char *opt, const char *arg, double *out);
/* Seconds, > 0 and at most 1e9 (decimals allowed). */
int cli_arg_seconds(const char *cmd, const char *opt, const char *arg, double *out);

/* The library's name for each value 0..count-1 of an enum. */
typedef const char *(*cli_name_fn)(int value);
/* arg as one of name(0..count-1); the message lists them all. */
int cli_arg_enum(const char *cmd, const char *opt, const char *arg, cli_name_fn name, int count, int *out);

/* The library's enums, as cli_arg_enum takes them. */
#define CLI_N_SOURCES WP_SOURCE_COUNT
const char *cli_source_name(int value);
#define CLI_N_ATTRIBUTIONS WP_ATTRIBUTION_COUNT
const char *cli_attribution_name(int value);
#define CLI_N_TIMELINES WP_TIMELINE_COUNT
const char *cli_timeline_name(int value);

/* Splits a comma-separated list in place (empty items dropped) into at most
 * max items; more is a usage error. *n gets the count. */
int cli_arg_list(const char *cmd, const char *opt, char *arg, const char **items, int max, int *n);

#endif
