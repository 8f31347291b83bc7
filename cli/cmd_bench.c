/* Placeholder until the bench command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof bench: not implemented yet\n");
    return 3;
}
