/* Placeholder until the zoo command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_zoo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof zoo: not implemented yet\n");
    return 3;
}
