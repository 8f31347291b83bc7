/* error: the one formatter behind every library failure (wattprof/error.h). */
#include "wattprof/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vformat(wp_error *err, const char *file, long line, const char *fmt, va_list ap)
{
    size_t used = 0;
    /* A path longer than the message (one over the system's limit, say) keeps
     * its head and tail, so the reason after it is not cut off. */
    int head = file ? (int)strlen(file) : 0;
    const char *dots = "", *tail = "";
    if (head > WP_ERROR_MAX / 2) {
        tail = file + head - WP_ERROR_MAX / 8;
        head = WP_ERROR_MAX / 4;
        dots = "...";
    }
    if (file && line > 0)
        used = (size_t)snprintf(err->msg, sizeof err->msg, "%.*s%s%s:%ld: ", head, file, dots, tail, line);
    else if (file)
        used = (size_t)snprintf(err->msg, sizeof err->msg, "%.*s%s%s: ", head, file, dots, tail);
    else
        err->msg[0] = '\0';
    if (used < sizeof err->msg)
        vsnprintf(err->msg + used, sizeof err->msg - used, fmt, ap);
    /* One line, whatever the message embedded (a quoted input line, say). */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int wp_fail(wp_error *err, const char *file, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err) {
        vformat(err, file, line, fmt, ap);
        err->code = WP_ERR_FAILED;
    }
    va_end(ap);
    return -1;
}

int wp_fail_code(wp_error *err, wp_errc code, const char *file, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err) {
        vformat(err, file, line, fmt, ap);
        err->code = code;
    }
    va_end(ap);
    return -1;
}

wp_errc wp_errc_from_errno(int errnum)
{
    switch (errnum) {
    case ENOENT:
    case ENOTDIR: return WP_ERR_NOT_FOUND;
    case ENOMEM: return WP_ERR_NO_MEMORY;
    case EINTR: return WP_ERR_INTERRUPTED;
    case ENOSYS:
    case EOPNOTSUPP: return WP_ERR_UNSUPPORTED;
    default: return WP_ERR_IO;
    }
}

int wp_fail_errno(wp_error *err, const char *file, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vformat(err, file, 0, fmt, ap);
    va_end(ap);
    size_t used = strlen(err->msg);
    if (used < sizeof err->msg)
        snprintf(err->msg + used, sizeof err->msg - used, "%s%s",
                 err->msg[0] && used && err->msg[used - 1] != ' ' ? ": " : "", strerror(errnum));
    err->code = wp_errc_from_errno(errnum);
    return -1;
}

const char *wp_errc_name(wp_errc code)
{
    static const char *const names[] = {
#define WP_ERRC_NAME(name, text) text,
        WP_ERRC_LIST(WP_ERRC_NAME)
#undef WP_ERRC_NAME
    };
    if ((int)code < 0 || code >= WP_ERR_COUNT)
        return "unknown";
    return names[code];
}

void wp_error_clear(wp_error *err)
{
    if (err) {
        err->msg[0] = '\0';
        err->code = WP_ERR_FAILED;
    }
}
