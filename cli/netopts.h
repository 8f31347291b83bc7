/* Options shared by the commands that run a network (bench, profile). */
#ifndef WATTPROF_CLI_NETOPTS_H
#define WATTPROF_CLI_NETOPTS_H

#include "wattprof/onnx.h"

/* Reads the network at model, its input shape overridden by input (NxCxHxW)
 * when non-NULL, and names the result: *name stays when non-NULL, else it
 * becomes the model file's name, malloc'd into *owned (free it; NULL when
 * *name was given). Returns 0, or the exit status with the message printed:
 * 2 for a bad --input, 1 for a model that cannot be read (g freed). */
int cli_open_network(const char *cmd, const char *model, const char *input, const char **name, char **owned,
                     wp_graph *g);

#endif
