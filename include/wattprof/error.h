/* Errors that carry their place (file, line) up to the caller.
 *
 * The library never prints and never exits: a failing function fills a
 * wp_error and returns -1 (or NULL). The CLI prints err.msg as one line and
 * exits non-zero. Messages read "FILE:LINE: what is wrong" so a user can jump
 * straight to the offending line. */
#ifndef WATTPROF_ERROR_H
#define WATTPROF_ERROR_H

#include <stddef.h>

#define WP_ERROR_MAX 1024

typedef struct wp_error {
    char msg[WP_ERROR_MAX];
} wp_error;

#if defined(__GNUC__)
#define WP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WP_PRINTF(a, b)
#endif

/* Fills err (when non-NULL) with "file:line: message" (line <= 0 omits the
 * line, file NULL omits the file) and returns -1 so callers can write
 * `return wp_fail(err, path, line, "...")`. */
int wp_fail(wp_error *err, const char *file, long line, const char *fmt, ...) WP_PRINTF(4, 5);

/* As wp_fail, appending ": strerror(errno)" of the errno value passed. */
int wp_fail_errno(wp_error *err, const char *file, int errnum, const char *fmt, ...) WP_PRINTF(4, 5);

void wp_error_clear(wp_error *err);

#endif
