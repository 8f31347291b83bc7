/* A tegrastats log as a power log: the sniffer, the reader with stamps
 * (JetPack 5-6) and as a stamp-less log with a given start and interval
 * (JetPack 4); the last byte picks the rail asked for (a newline: none,
 * the default rails). */
#include "fuzz_util.h"
#include "wattprof/tegrastats.h"

static const char *const RAILS[] = {NULL, "VDD_IN", "POM_5V_IN", "VIN_SYS_5V0", "VDD_GPU_SOC", "GPU"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write(fz_dir(), "tegrastats.log", data, size);
    wp_tegrastats_sniff(path);
    wp_tegrastats_options opt;
    wp_tegrastats_options_init(&opt);
    if (size)
        opt.rail = RAILS[(data[size - 1] + 2) % (sizeof RAILS / sizeof RAILS[0])];
    for (int stampless = 0; stampless < 2; stampless++) {
        if (stampless) {
            opt.start_us = 1732147200000000LL; /* 2024-11-21 00:00:00 */
            opt.interval_ms = 10;
        }
        wp_powerlog log;
        char rail[64];
        wp_error err;
        if (fz_note("tegrastats", wp_tegrastats_read(path, &opt, &log, rail, sizeof rail, &err), err.msg) == 0)
            wp_powerlog_free(&log);
    }
    return 0;
}
