/* Placeholder until the simulate command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_simulate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof simulate: not implemented yet\n");
    return 3;
}
