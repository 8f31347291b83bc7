/* `train`: config JSON %% a training network's dense.csv %% a test
 * network's dense.csv (the config is left out when its part is empty). Folds
 * are pinned to 2 so one input trains in milliseconds. */
#include "fuzz_train_options.h"
#include "fuzz_util.h"
#include "wattprof/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_parts parts;
    fz_split(data, size, 3, &parts);
    const char *dir = fz_dir();
    const char *cfg = parts.n[0] ? fz_write(dir, "config.json", parts.p[0], parts.n[0]) : NULL;
    fz_write(dir, "data/net/dense.csv", parts.p[1], parts.n[1]);
    fz_write(dir, "data/lenet/dense.csv", parts.p[2], parts.n[2]);
    char data_dir[512], out_dir[512], cfg_path[512];
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    snprintf(out_dir, sizeof out_dir, "%s/models", dir);
    if (cfg)
        snprintf(cfg_path, sizeof cfg_path, "%s", cfg);
    wp_train_options o;
    fz_train_options(&o, data_dir, out_dir, cfg ? cfg_path : NULL);
    o.cv = 2;
    wp_train_report rep;
    wp_error err;
    if (fz_note("train", wp_train_run(&o, &rep, &err), err.msg) == 0)
        wp_train_report_free(&rep);
    return 0;
}
