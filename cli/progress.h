/* A progress bar on stderr when stderr is a terminal; silent otherwise or
 * with --quiet. Hand cli_progress(&bar) to library calls taking a
 * wp_progress. */
#ifndef WATTPROF_CLI_PROGRESS_H
#define WATTPROF_CLI_PROGRESS_H

#include "wattprof/progress.h"

typedef struct cli_bar {
    int enabled;
    double last_draw_us;
    int drawn;
    char stage[64];
} cli_bar;

/* enabled = stderr is a tty and !quiet */
void cli_bar_init(cli_bar *bar, int quiet);
wp_progress cli_progress(cli_bar *bar);
/* Clears the bar line (call before printing results or errors). */
void cli_bar_done(cli_bar *bar);

#endif
