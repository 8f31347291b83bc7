/* `wattprof profile`: one step from a network to a per-layer runtime /
 * power / energy table on this machine.
 *
 *   1. open the power sensor (logger module); none found: runtime only, and
 *      say so (but a --source or --rail that is not there is an error)
 *   2. idle power: log for idle_s with nothing running -> DIR/raw/idling_power.json
 *   3. start the logger in a thread -> DIR/raw/NAME/NAME_power_log.log
 *   4. bench (interleaved timed/untimed cycles) -> DIR/raw/NAME/ raw layout
 *   5. stop the logger; map with the layers' true windows (timeline
 *      "reported": bench stamps each layer's real end) and the chosen
 *      attribution -> DIR/mapped/NAME/power_runtime_mapping_layerwise.csv
 *   6. dataset -> DIR/mapped/NAME/ statistics, training rows in DIR/training/NAME/
 *   7. per-layer means (runtime, power including and above idle, energy)
 *
 * Attribution defaults to deconvolve (sensor-window least squares, the most
 * accurate where layers are shorter than the sensor's averaging window); if
 * it fails, or leaves a modelled layer (convolution, pooling, dense) without
 * an estimate because the sensor cannot separate it from its neighbours,
 * the run maps again with interpolate and says so in the notes, so the
 * table and the training rows are complete. */
#ifndef WATTPROF_PROFILE_H
#define WATTPROF_PROFILE_H

#include <stddef.h>

#include "wattprof/attribution.h"
#include "wattprof/bench.h"
#include "wattprof/device.h"
#include "wattprof/error.h"
#include "wattprof/sensor.h"

typedef struct wp_profile_options {
    wp_bench_options bench;
    wp_sensor_options sensor;
    double interval_us;              /* sampling interval, 0: as fast as possible */
    double idle_s;                   /* idle measurement before the run (default 1 s) */
    wp_attribution_mode attribution; /* default deconvolve */
    int attribution_fallback;        /* 1 (default): when deconvolve leaves a
                                         convolution, pooling or dense layer
                                         without an estimate, map again with
                                         interpolate (and say so) */
    int no_power;                    /* 1: do not look for a sensor */
    /* The device state read before the run (wp_device_start; NULL: none):
     * its end is read after the run and it is written to
     * DIR/raw/NAME/device.json before mapping, so map copies it to
     * DIR/mapped/NAME/ and the training rows carry the board. Borrowed. */
    wp_device_state *device;
} wp_profile_options;

void wp_profile_options_init(wp_profile_options *opt);

typedef struct wp_profile_layer {
    const char *name;          /* borrowed from the graph */
    const char *type;          /* engine layer type (CaskConvolution, ...) */
    double runtime_ms;         /* mean over cycles */
    double power_w;            /* mean power while it ran, idle included (NaN: none) */
    double power_above_idle_w; /* ... minus idle power */
    double energy_mj;          /* power_w x runtime_ms */
} wp_profile_layer;

typedef struct wp_profile_result {
    int have_power;
    char rail[160];   /* "hwmon acpi_power" ... */
    char notes[2048]; /* lines worth telling the user */
    double idle_w;
    size_t samples; /* power samples logged during the run */
    wp_profile_layer *layers;
    size_t n_layers, n_cycles;
    double total_runtime_ms, total_energy_mj, mean_untimed_ms;
    double total_power_w; /* energy / runtime over the layers that have a power */
    wp_attribution_mode attribution_used;
} wp_profile_result;

/* Runs the steps above into result_dir, under `name`. */
int wp_profile_run(wp_graph *g, const wp_profile_options *opt, const char *result_dir, const char *name,
                   wp_profile_result *res, const wp_progress *progress, wp_error *err);
void wp_profile_result_free(wp_profile_result *res);

#endif
