/* Power log reader, then the sample index attribution builds over it. */
#include "fuzz_util.h"
#include "wattprof/attribution.h"
#include "wattprof/powerlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write(fz_dir(), "m_power_log.log", data, size);
    wp_powerlog log;
    wp_error err;
    if (fz_note("powerlog", wp_powerlog_read(path, &log, &err), err.msg) != 0)
        return 0;
    wp_power_index idx;
    if (log.n && wp_power_index_build(&log, log.samples[0].t_us, &idx, &err) == 0) {
        size_t count;
        wp_power_mean_samples(&idx, 0, 1e6, &count);
        wp_power_mean_interpolate(&idx, 0, 1e6);
        wp_power_index_free(&idx);
    }
    wp_powerlog_free(&log);
    return 0;
}
