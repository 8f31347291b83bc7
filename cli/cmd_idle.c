/* Placeholder until the idle command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_idle(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof idle: not implemented yet\n");
    return 3;
}
