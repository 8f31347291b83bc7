/* See sim_fixture.h. */
#include "sim_fixture.h"

#include <stdlib.h>
#include <string.h>

wp_sim_options sim_fixture_options(size_t layers, size_t cycles, double noise_uw, uint64_t seed)
{
    wp_sim_options o;
    wp_sim_options_init(&o);
    o.n_layers = layers;
    o.n_cycles = cycles;
    o.noise_uw = noise_uw;
    o.seed = seed;
    return o;
}

int sim_fixture_raw_net(const char *dir, const wp_sim_options *o, wp_error *err)
{
    static const char *const models[] = {"net"};
    return wp_simulate(dir, o, models, 1, err);
}

int sim_fixture_make(sim_fixture *f, const wp_sim_options *o, int64_t origin_us, wp_error *err)
{
    memset(f, 0, sizeof *f);
    if (wp_sim_generate(o, "m", 0, &f->run, err) != 0)
        return -1;
    size_t n = f->run.n_layers * f->run.n_cycles;
    f->start = malloc(n * sizeof *f->start);
    f->end = malloc(n * sizeof *f->end);
    if (!f->start || !f->end) {
        sim_fixture_free(f);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    if (origin_us == 0)
        origin_us = f->run.n_samples ? f->run.samples[0].t_us : 0;
    if (o->reporting == WP_SIM_IDEAL)
        for (size_t k = 0; k < n; k++) {
            f->end[k] = (double)(f->run.reported_us[k] - origin_us);
            f->start[k] = f->end[k] - (double)f->run.lat_us[k];
        }
    else
        wp_sim_reconstructed_windows(&f->run, origin_us, f->start, f->end);
    f->in.n_layers = f->run.n_layers;
    f->in.n_cycles = f->run.n_cycles;
    f->in.origin_us = origin_us;
    f->in.start_us = f->start;
    f->in.end_us = f->end;
    f->in.samples = f->run.samples;
    f->in.n_samples = f->run.n_samples;
    return 0;
}

void sim_fixture_free(sim_fixture *f)
{
    wp_sim_run_free(&f->run);
    free(f->start);
    free(f->end);
    memset(f, 0, sizeof *f);
}

wp_deconv_options sim_fixture_deconv(const wp_sim_options *o, int search)
{
    wp_deconv_options opt;
    wp_deconv_options_init(&opt);
    if (search) {
        opt.window_auto = opt.offset_auto = 1;
    } else {
        opt.window_us = o->sensor_window_us;
        opt.offset_us = o->reporting == WP_SIM_IDEAL ? 0 : o->report_delay_us;
    }
    return opt;
}
