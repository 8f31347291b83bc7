/* Errors that carry their place (file, line) and a kind up to the caller.
 *
 * The library never prints and never exits: a failing function fills a
 * wp_error and returns -1 (or NULL). The CLI prints err.msg as one line and
 * exits non-zero. Messages read "FILE:LINE: what is wrong" so a user can jump
 * straight to the offending line.
 *
 * Beside the message, err.code says what kind of failure it was, so a caller
 * can branch without matching text (profile: "no sensor here" is a note,
 * "the sensor failed" an error). wp_fail() leaves the code WP_ERR_FAILED (no
 * particular kind); wp_fail_code() names one; wp_fail_errno() derives it from
 * errno. A caller that rewords a lower error
 * copies its code.
 *
 * Ownership after failure, for every reader and constructor in the library:
 * a function that returns NULL or -1 has released everything it allocated;
 * an out-parameter it was given is left empty and safe to pass to its _free
 * function (which is a no-op on an empty value), but the caller need not. */
#ifndef WATTPROF_ERROR_H
#define WATTPROF_ERROR_H

#include <stddef.h>

#define WP_ERROR_MAX 1024

/* X(enum suffix, name printed by wp_errc_name) */
#define WP_ERRC_LIST(X)                                                                                                \
    X(FAILED, "failed")                                                                                                \
    X(NOT_FOUND, "not-found")                                                                                          \
    X(BAD_INPUT, "bad-input")                                                                                          \
    X(IO, "io")                                                                                                        \
    X(UNSUPPORTED, "unsupported")                                                                                      \
    X(NO_SENSOR, "no-sensor")                                                                                          \
    X(NO_MEMORY, "no-memory")                                                                                          \
    X(INTERRUPTED, "interrupted")

typedef enum wp_errc {
#define WP_ERRC_ENUM(name, text) WP_ERR_##name,
    WP_ERRC_LIST(WP_ERRC_ENUM)
#undef WP_ERRC_ENUM
} wp_errc;
/* Counts an X-macro list's entries: (0 LIST(WP_X_PLUS_ONE)). A macro, not an
 * enumerator, so switches over these enums stay checked by -Wswitch. */
#define WP_X_PLUS_ONE(id, name) +1
#define WP_ERR_COUNT (0 WP_ERRC_LIST(WP_X_PLUS_ONE))

typedef struct wp_error {
    char msg[WP_ERROR_MAX];
    wp_errc code; /* WP_ERR_FAILED unless the failing call named a kind */
} wp_error;

#if defined(__GNUC__)
#define WP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WP_PRINTF(a, b)
#endif

/* Fills err (when non-NULL) with "file:line: message" (line <= 0 omits the
 * line, file NULL omits the file) and code WP_ERR_FAILED; returns -1 so
 * callers can write `return wp_fail(err, path, line, "...")`. */
int wp_fail(wp_error *err, const char *file, long line, const char *fmt, ...) WP_PRINTF(4, 5);

/* As wp_fail, with the given code. */
int wp_fail_code(wp_error *err, wp_errc code, const char *file, long line, const char *fmt, ...) WP_PRINTF(5, 6);

/* As wp_fail, appending ": strerror(errno)" of the errno value passed; the
 * code follows errno (ENOENT: not-found, ENOMEM: no-memory, EINTR:
 * interrupted, ENOSYS/EOPNOTSUPP: unsupported, anything else: io). */
int wp_fail_errno(wp_error *err, const char *file, int errnum, const char *fmt, ...) WP_PRINTF(4, 5);

/* The code wp_fail_errno gives errnum. */
wp_errc wp_errc_from_errno(int errnum);

/* "not-found", "bad-input", ...; "unknown" outside the enum. */
const char *wp_errc_name(wp_errc code);

/* Empty message, code WP_ERR_FAILED. */
void wp_error_clear(wp_error *err);

#endif
