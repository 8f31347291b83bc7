/* Placeholder until the sensors command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_sensors(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof sensors: not implemented yet\n");
    return 3;
}
