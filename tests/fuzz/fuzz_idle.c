/* idling_power.json reader. */
#include "fuzz_util.h"
#include "wattprof/idle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write(fz_dir(), "idling_power.json", data, size);
    double uw;
    wp_error err;
    fz_note("idle", wp_idle_read(path, &uw, &err), err.msg);
    return 0;
}
