/* Placeholder until the map command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_map(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof map: not implemented yet\n");
    return 3;
}
