/* Placeholder until the dataset command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_dataset(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof dataset: not implemented yet\n");
    return 3;
}
