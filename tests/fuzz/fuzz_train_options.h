/* The options the `train` harness trains with (tests/fuzz/fuzz_train.c):
 * the networks under data_dir, lenet held out as the test network. Shared
 * with make_seeds, which trains the `model` harness's seed models the same
 * way. */
#ifndef WATTPROF_FUZZ_TRAIN_OPTIONS_H
#define WATTPROF_FUZZ_TRAIN_OPTIONS_H

#include "wattprof/model.h"

static inline void fz_train_options(wp_train_options *o, const char *data_dir, const char *out_dir,
                                    const char *config_path)
{
    static const char *const tests[] = {"lenet"};
    wp_train_options_init(o);
    o->data_dir = data_dir;
    o->out_dir = out_dir;
    o->test_models = tests;
    o->n_test_models = 1;
    o->config_path = config_path;
}

#endif
