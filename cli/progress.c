/* progress: the terminal progress bar behind wp_progress callbacks
 * (progress.h); redrawn at most every 100 ms so it never costs measurable time. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wattprof/timestamp.h"

void cli_bar_init(cli_bar *bar, int quiet)
{
    memset(bar, 0, sizeof *bar);
    bar->enabled = !quiet && isatty(STDERR_FILENO);
}

static void draw(void *ctx, const char *stage, double done, double total)
{
    cli_bar *bar = ctx;
    double now = (double)wp_ts_monotonic_us();
    int stage_changed = stage && strncmp(stage, bar->stage, sizeof bar->stage - 1) != 0;
    /* Redraw at most 10 times a second: a terminal is slow, work is not. */
    if (!stage_changed && bar->drawn && now - bar->last_draw_us < 100000 && done < total)
        return;
    bar->last_draw_us = now;
    bar->drawn = 1;
    if (stage)
        snprintf(bar->stage, sizeof bar->stage, "%s", stage);
    double frac = total > 0 ? done / total : 0;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    char cells[31];
    int filled = (int)(frac * 30 + 0.5);
    for (int i = 0; i < 30; i++)
        cells[i] = i < filled ? '#' : '.';
    cells[30] = '\0';
    fprintf(stderr, "\r\033[K%-24.24s [%s] %5.1f%%", bar->stage, cells, frac * 100);
    fflush(stderr);
}

wp_progress cli_progress(cli_bar *bar)
{
    wp_progress p = {bar->enabled ? draw : NULL, bar};
    return p;
}

void cli_bar_done(cli_bar *bar)
{
    if (bar->enabled && bar->drawn) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    bar->drawn = 0;
}
