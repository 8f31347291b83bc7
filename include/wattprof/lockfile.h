/* One writer per output: an exclusive lock file beside what a run writes.
 *
 * Two `log` runs on one --out, or two `map` runs on one result folder,
 * would otherwise both write and the last one to finish would win. The lock
 * is flock() on a file holding the holder's pid and command, so a second
 * run fails at once with a message naming the holder; the kernel drops it
 * when the holder exits, however it exits (a lock file left by a killed
 * run is simply taken over). The file is removed on release. */
#ifndef WATTPROF_LOCKFILE_H
#define WATTPROF_LOCKFILE_H

#include "wattprof/error.h"

typedef struct wp_lock wp_lock;

/* Takes the lock at lock_path for `what` (e.g. "map", recorded for the
 * message a second taker gets). Fails, naming `target` (the output the
 * lock guards) and the holder's pid, when another process holds it. */
wp_lock *wp_lock_take(const char *lock_path, const char *target, const char *what, wp_error *err);

/* Releases and removes the lock file. Safe on NULL. */
void wp_lock_release(wp_lock *lk);

/* The lock file that guards output file `path`: DIR/.NAME.lock. Malloc'd,
 * NULL when out of memory. */
char *wp_lock_path_for(const char *path);

#endif
