/* The device state reader (device.json's source) over a fake sysfs /
 * device-tree root whose files hold the input: model %% kernel release %%
 * nv_tegra_release %% nvpmodel status %% a CPU's current frequency %% its
 * governor %% a thermal zone's temp %% a devfreq device's cur_freq. What
 * the kernel exposes is not always clean text (the device-tree model ends
 * in NUL; a sensor that is off reads as an error or garbage). Then the
 * readers of device.json (the board's name for the training CSVs, the
 * cooldown's reference temperatures) over the file just written and over
 * the whole input taken as someone's device.json. */
#include "fuzz_util.h"
#include "wattprof/device.h"

static const char *const FILES[8] = {
    "proc/device-tree/model",
    "proc/sys/kernel/osrelease",
    "etc/nv_tegra_release",
    "var/lib/nvpmodel/status",
    "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq",
    "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
    "sys/class/thermal/thermal_zone0/temp",
    "sys/class/devfreq/17000000.gpu/cur_freq",
};

static void read_back(const char *root, const char *json_path)
{
    wp_error err;
    char *name = NULL;
    if (fz_note("device name", wp_device_read_name(json_path, &name, &err), err.msg) != 0)
        return;
    free(name);
    /* A margin nothing exceeds: the comparison runs, the wait never sleeps. */
    wp_cooldown_options co = {0};
    co.root = root;
    co.margin_c = 1e300;
    co.timeout_s = 1e-3;
    co.poll_s = 1e-3;
    wp_cooldown_result cr;
    fz_note("cooldown", wp_device_cooldown(json_path, &co, &cr, &err), err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_parts parts;
    const char *dir = fz_write_parts(data, size, FILES, 8, 0, &parts);
    wp_device_state *st = wp_device_start(dir, 1000);
    if (!st)
        return 0;
    wp_device_end(st, 999.5);
    char path[512];
    snprintf(path, sizeof path, "%s/device.json", dir);
    wp_error err;
    if (fz_note("device", wp_device_write(st, path, &err), err.msg) == 0)
        read_back(dir, path);
    wp_thermal_worst worst;
    wp_device_drift(st, &worst);
    wp_device_free(st);
    read_back(dir, fz_write(dir, "other/device.json", data, size));
    return 0;
}
