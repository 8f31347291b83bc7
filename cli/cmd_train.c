/* Placeholder until the train command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_train(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof train: not implemented yet\n");
    return 3;
}
