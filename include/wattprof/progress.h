/* Progress of long library operations (map on large files, train, bench,
 * log with a duration). The library only reports; drawing a bar is the
 * CLI's business (cli/progress.c), so the library never prints. */
#ifndef WATTPROF_PROGRESS_H
#define WATTPROF_PROGRESS_H

/* done/total in any unit the operation likes (bytes, cycles, folds);
 * `stage` names the current step ("reading latency", "fold 3/10"...).
 * Called at most every few milliseconds' worth of work: keep it cheap. */
typedef void (*wp_progress_fn)(void *ctx, const char *stage, double done, double total);

typedef struct wp_progress {
    wp_progress_fn fn; /* NULL: no reporting */
    void *ctx;
} wp_progress;

static inline void wp_progress_report(const wp_progress *p, const char *stage, double done, double total)
{
    if (p && p->fn)
        p->fn(p->ctx, stage, done, total);
}

#endif
