/* Placeholder until the log command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_log(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof log: not implemented yet\n");
    return 3;
}
