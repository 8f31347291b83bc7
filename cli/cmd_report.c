/* Placeholder until the report command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof report: not implemented yet\n");
    return 3;
}
