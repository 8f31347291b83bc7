/* idling_power.json: a two-key document, so jansson's tree is the simple
 * choice here (unlike the latency file). */
#include "wattprof/idle.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/timestamp.h"

int wp_idle_read(const char *path, double *avg_idle_uw, wp_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
    if (!root) {
        if (je.line < 0)
            return wp_fail(err, path, 0, "cannot read: %s", je.text);
        return wp_fail(err, path, je.line, "malformed JSON: %s", je.text);
    }
    int rc = 0;
    json_t *v = json_is_object(root) ? json_object_get(root, "avg_idle_power") : NULL;
    double x = NAN;
    if (!json_is_object(root)) {
        rc = wp_fail(err, path, 1, "expected a JSON object with avg_idle_power");
    } else if (!v) {
        rc = wp_fail(err, path, 0, "missing key avg_idle_power");
    } else if (json_is_number(v)) {
        x = json_number_value(v);
    } else if (json_is_string(v)) {
        /* upstream reads it with float(), which also takes numeric text */
        const char *s = json_string_value(v);
        if (wp_parse_double(s, strlen(s), &x) != 0)
            rc = wp_fail(err, path, 0, "avg_idle_power '%s' is not a number", s);
    } else {
        rc = wp_fail(err, path, 0, "avg_idle_power is not a number");
    }
    if (rc == 0 && !isfinite(x))
        rc = wp_fail(err, path, 0, "avg_idle_power is not finite");
    /* A negative idle power turns every layer's power above idle into more
     * than it measured, silently. */
    if (rc == 0 && x < 0)
        rc = wp_fail(err, path, 0, "value out of range: avg_idle_power %g is negative", x);
    json_decref(root);
    if (rc == 0)
        *avg_idle_uw = x;
    return rc;
}

int wp_idle_write(const char *path, const char *timestamp, double avg_idle_uw, wp_error *err)
{
    if (!isfinite(avg_idle_uw) || avg_idle_uw < 0)
        return wp_fail(err, path, 0, "idle power must be finite and not negative");
    char stamp[32];
    if (!timestamp) {
        char full[WP_TS_BUFSZ];
        wp_ts_format(wp_ts_now_local(), full);
        /* "YYYYmmdd-HH:MM:SS.ffffff" -> "YYYYmmdd-HHMMSS" */
        snprintf(stamp, sizeof stamp, "%.9s%.2s%.2s%.2s", full, full + 9, full + 12, full + 15);
        timestamp = stamp;
    }
    json_t *ts = json_string(timestamp);
    if (!ts)
        return wp_fail(err, path, 0, "timestamp is not valid UTF-8");
    char *ts_text = json_dumps(ts, JSON_ENCODE_ANY);
    json_decref(ts);
    if (!ts_text)
        return wp_fail(err, path, 0, "out of memory");
    char num[WP_DOUBLE_BUFSZ];
    wp_format_double(avg_idle_uw, num);
    char doc[512 + WP_DOUBLE_BUFSZ];
    int n = snprintf(doc, sizeof doc, "{\n    \"timestamp\": %s,\n    \"avg_idle_power\": %s\n}", ts_text, num);
    free(ts_text);
    if (n < 0 || (size_t)n >= sizeof doc)
        return wp_fail(err, path, 0, "timestamp too long");
    return wp_atomic_write_all(path, doc, (size_t)n, err);
}
