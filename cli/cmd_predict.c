/* Placeholder until the predict command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_predict(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof predict: not implemented yet\n");
    return 3;
}
