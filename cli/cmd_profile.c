/* Placeholder until the profile command lands; replaced by its implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_profile(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wattprof profile: not implemented yet\n");
    return 3;
}
