/* Outputs that appear whole or not at all.
 *
 * Every result file goes through here: data is written to a temporary file
 * beside the target (same directory, so rename() is atomic), flushed,
 * fsync()ed, then renamed over the target. A crash, a failed write or Ctrl-C
 * never leaves a half-written result under the final name.
 *
 * The library installs no signal handler (a process has one handler per
 * signal, and the program owns it): it exports the cleanup instead. Open
 * writers, from any thread, are registered; wp_atomic_remove_temporaries()
 * unlinks their temporaries and is async-signal-safe, so the program's
 * SIGINT/SIGTERM handler calls it before dying (cli/signals.c does). */
#ifndef WATTPROF_ATOMIC_FILE_H
#define WATTPROF_ATOMIC_FILE_H

#include <stdio.h>

#include "wattprof/error.h"

typedef struct wp_atomic_file wp_atomic_file;

/* Writers open at once (registered for wp_atomic_remove_temporaries). */
#define WP_ATOMIC_MAX_OPEN 256

/* Opens a temporary file for `path`. Returns NULL and fills err on failure,
 * also at once when `path` is an existing directory, and when
 * WP_ATOMIC_MAX_OPEN writers are already open. Thread-safe. */
wp_atomic_file *wp_atomic_open(const char *path, wp_error *err);

/* The stream to write to. It has no descriptor of its own (fileno gives
 * -1): a writer that bypasses it uses wp_atomic_fd, and then leaves the
 * stream untouched. */
FILE *wp_atomic_stream(wp_atomic_file *af);
int wp_atomic_fd(wp_atomic_file *af);
/* Writes all of buf to the descriptor (for such a writer; any thread, one
 * at a time); 0, or -1 with errno set (and kept for wp_atomic_write_errno). */
int wp_atomic_write_fd(wp_atomic_file *af, const void *buf, size_t size);

/* errno of the first write through the stream that failed (EIO when none
 * is known), so a full disk reads "No space left on device". */
int wp_atomic_write_errno(const wp_atomic_file *af);

/* Flushes, syncs and renames over the target; frees af in every case.
 * Returns -1 (temporary removed, target untouched) if any write failed. */
int wp_atomic_commit(wp_atomic_file *af, wp_error *err);

/* Discards the temporary file and frees af. Safe on NULL. */
void wp_atomic_abort(wp_atomic_file *af);

/* Writes a whole buffer atomically. */
int wp_atomic_write_all(const char *path, const void *data, size_t len, wp_error *err);

/* Copies src to dst atomically. */
int wp_atomic_copy(const char *src, const char *dst, wp_error *err);

/* Unlinks the temporary file of every writer open now, in any thread (the
 * writers stay open; their commit will fail). Async-signal-safe: unlink()
 * and lock-free atomic loads only. */
void wp_atomic_remove_temporaries(void);

/* Registers a folder to be removed (rmdir, so only once the temporaries
 * in it are gone) by the signal cleanup; returns a slot for
 * wp_atomic_cleanup_remove_dir, -1 when none is free. */
int wp_atomic_cleanup_add_dir(const char *dir);
void wp_atomic_cleanup_remove_dir(int slot);

/* mkdir -p. */
int wp_mkdirs(const char *path, wp_error *err);

#endif
