/* Options shared by the commands that run a network (bench, profile). */
#ifndef WATTPROF_CLI_NETOPTS_H
#define WATTPROF_CLI_NETOPTS_H

#include "wattprof/onnx.h"

/* A whole number from min to 100000000 into *out; -1 when invalid. */
int cli_parse_count(const char *s, int min, int *out);

/* The model file's base name without ".onnx" (malloc'd; NULL: no memory). */
char *cli_model_name(const char *path);

/* Reads the network at model, its input shape overridden by input (NxCxHxW)
 * when non-NULL. Returns 0, or the exit status with the message printed:
 * 2 for a bad --input, 1 for a model that cannot be read (g freed). */
int cli_read_network(const char *cmd, const char *model, const char *input, wp_graph *g);

#endif
