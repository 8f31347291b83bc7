/* Placeholder until the run command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof run: not implemented yet\n");
    return 3;
}
