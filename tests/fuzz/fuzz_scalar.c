/* The scalar parsers every reader shares: numbers (the exact fast path must
 * agree with the strict parser whenever both accept), timestamps, shapes,
 * mode and backend names, and the ms -> us conversion of what parsed. And
 * the CSV writer's numbers: wp_format_double of what parsed, and of the
 * first 8 bytes as a double's bits, must read back as the same double. */
#include <math.h>

#include "core/fastnum.h"
#include "fuzz_util.h"
#include "wattprof/attribution.h"
#include "wattprof/csv.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"
#include "wattprof/sensor.h"
#include "wattprof/timeline.h"
#include "wattprof/timestamp.h"

static void round_trip(double v)
{
    char buf[WP_DOUBLE_BUFSZ];
    size_t n = wp_format_double(v, buf);
    if (n >= sizeof buf || strlen(buf) != n)
        abort();
    if (isnan(v))
        return;
    double back = strtod(buf, NULL);
    if (memcmp(&back, &v, sizeof v) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char s[257];
    memcpy(s, data, size);
    s[size] = 0;
    double strict, fast;
    int ok_strict = wp_parse_double(s, size, &strict) == 0;
    int ok_fast = wp_fast_parse_double(s, size, &fast) == 0;
    if (ok_strict && ok_fast && memcmp(&strict, &fast, sizeof fast) != 0 && !(strict == 0 && fast == 0))
        abort();
    if (size >= sizeof(double)) {
        double bits;
        memcpy(&bits, data, sizeof bits);
        round_trip(bits);
    }
    if (ok_strict) {
        round_trip(strict);
        wp_latency_ms_to_us(strict);
    }
    if (ok_fast)
        wp_latency_ms_to_us(fast);
    int64_t us;
    wp_ts_parse(s, size, &us);
    wp_error err;
    wp_dims d;
    wp_dims_parse(s, &d, &err);
    wp_timeline_mode tm;
    wp_timeline_parse_mode(s, &tm);
    wp_attribution_mode am;
    wp_attribution_parse_mode(s, &am);
    wp_backend b;
    wp_backend_parse(s, &b, &err);
    wp_source_kind k;
    wp_source_parse(s, &k);
    return 0;
}
