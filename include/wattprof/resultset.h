/* Result sets that change as a whole.
 *
 * A step that writes several folders under one root (map: RESULT/<model>/
 * for every model; dataset: RESULT/<model>/ training files) writes each new
 * folder into a fresh hidden staging folder beside it
 * (ROOT/.<name>.stage-XXXXXX) and, once every file of every folder is
 * written and synced, switches them in: a journal listing the switches is
 * written (ROOT/.wattprof-commit), then each folder is replaced with one
 * atomic rename (renameat2 RENAME_EXCHANGE), the old folders removed and the
 * journal deleted. Readers see each folder old or new, never mixed; a run
 * killed during the switches (microseconds) leaves the journal, and the
 * next run on the root finishes them before anything else, so the set ends
 * all new. A run that fails or is killed before the journal changes
 * nothing: its staging folders are removed (by the next run if it was
 * killed). The root is locked for the run (lockfile.h). */
#ifndef WATTPROF_RESULTSET_H
#define WATTPROF_RESULTSET_H

#include "wattprof/error.h"

typedef struct wp_resultset wp_resultset;

/* Starts a run writing folders under root (created when missing; removed
 * again by wp_resultset_end when the run commits nothing): takes
 * ROOT/.wattprof.lock for `what` ("map"), finishes a commit an earlier run
 * was killed in, and removes staging and old folders earlier runs left. */
wp_resultset *wp_resultset_begin(const char *root, const char *what, wp_error *err);

/* A fresh, empty staging folder that becomes ROOT/name at commit; the
 * returned path lives as long as rs. `owned` (NULL-terminated) names the
 * files this run writes there: every other entry of the existing folder is
 * kept (files hard-linked into the new folder, sub-folders moved), so a
 * folder other steps also write into keeps their files; owned NULL: the
 * new folder replaces the old one whole. A name may be staged once. */
const char *wp_resultset_stage(wp_resultset *rs, const char *name, const char *const *owned, wp_error *err);

/* Gives up a staged folder (removed; ROOT/name stays as it is). */
void wp_resultset_drop(wp_resultset *rs, const char *name);

/* Holds SIGINT/SIGTERM off (this thread) until wp_resultset_end, so the
 * caller's last writes into the staging folders and the switch complete
 * once begun. */
void wp_resultset_hold_signals(wp_resultset *rs);

/* Switches every staged folder into place. -1: nothing switched (e.g. no
 * space for the journal), or, past the journal, an error after which the
 * next run completes the switch. */
int wp_resultset_commit(wp_resultset *rs, wp_error *err);

/* Removes staging folders not committed, releases the lock, restores the
 * signal mask. Safe on NULL. */
void wp_resultset_end(wp_resultset *rs);

#endif
