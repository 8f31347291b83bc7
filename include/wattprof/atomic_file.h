/* Outputs that appear whole or not at all.
 *
 * Every result file goes through here: data is written to a temporary file
 * beside the target (same directory, so rename() is atomic), flushed,
 * fsync()ed, then renamed over the target. A crash, a failed write or Ctrl-C
 * never leaves a half-written result under the final name. Temporary files of
 * writers still open when SIGINT/SIGTERM arrives are unlinked by
 * wp_atomic_cleanup_on_signal(). */
#ifndef WATTPROF_ATOMIC_FILE_H
#define WATTPROF_ATOMIC_FILE_H

#include <stdio.h>

#include "wattprof/error.h"

typedef struct wp_atomic_file wp_atomic_file;

/* Opens a temporary file for `path`. Returns NULL and fills err on failure. */
wp_atomic_file *wp_atomic_open(const char *path, wp_error *err);

/* The stream to write to. */
FILE *wp_atomic_stream(wp_atomic_file *af);

/* Flushes, syncs and renames over the target; frees af in every case.
 * Returns -1 (temporary removed, target untouched) if any write failed. */
int wp_atomic_commit(wp_atomic_file *af, wp_error *err);

/* Discards the temporary file and frees af. Safe on NULL. */
void wp_atomic_abort(wp_atomic_file *af);

/* Writes a whole buffer atomically. */
int wp_atomic_write_all(const char *path, const void *data, size_t len, wp_error *err);

/* Copies src to dst atomically. */
int wp_atomic_copy(const char *src, const char *dst, wp_error *err);

/* Installs SIGINT/SIGTERM handlers that unlink every open temporary file,
 * then re-raise the signal with its default action. Idempotent. */
void wp_atomic_cleanup_on_signal(void);

/* mkdir -p. */
int wp_mkdirs(const char *path, wp_error *err);

#endif
