/* The power logger: samples one sensor rail as fast as asked and streams
 * the samples to a power log in the upstream format
 *     YYYYmmdd-HH:MM:SS.ffffff,voltage_mV,current_mA
 * (local wall-clock time, as the profiler writes its timestamps).
 *
 * The sampling thread reads the sensor (pread on descriptors opened once),
 * takes the time and formats the line into a 64 KiB block; full blocks (or
 * blocks whose first line is 20 ms old) go through a bounded queue to a
 * writer thread that only calls write(), so the sampler never waits on the
 * disk and memory stays bounded however long the run. When every block is
 * queued the sampler waits (counted in buffer_waits) instead of dropping
 * samples.
 *
 * The log goes through atomic_file: it is written to a temporary file beside
 * the target while logging and renamed over it when logging ends, whether by
 * duration, wp_logger_stop (e.g. from a SIGINT handler) or a sensor error
 * (every sample taken so far is kept, the error is still returned; a sensor
 * that fails before its first sample leaves no file) or by a failed write
 * (a full disk: the samples written so far are kept, and counted in the
 * error). A crash leaves the streamed samples in the temporary file: all but
 * the last 40 ms or so (a block's 20 ms and the writer's 20 ms,
 * docs/logging.md). */
#ifndef WATTPROF_LOGGER_H
#define WATTPROF_LOGGER_H

#include <stdint.h>

#include "wattprof/error.h"
#include "wattprof/progress.h"
#include "wattprof/sensor.h"

typedef struct wp_logger_options {
    wp_sensor_options sensor;
    const char *out_path; /* power log; NULL: statistics only (idle) */
    double interval_us;   /* time between samples (fractions allowed); 0: as
                               fast as the sensor allows. Samples are on an
                               absolute schedule. Below 100 us a sleep per
                               sample costs more than the sample: the mean
                               rate holds, but samples come in bursts with
                               sleeps of about 0.5 ms between them */
    double duration_s;    /* <= 0: until wp_logger_stop */
    size_t buffer_blocks; /* 64 KiB blocks queued for the writer (at least
                               2); 0: 32, about 60,000 lines */
    wp_progress progress; /* elapsed/duration seconds, when duration_s > 0;
                               called from the sampling thread */
} wp_logger_options;

/* Every field zero: sensor defaults, no output, as fast as the sensor
 * allows, until wp_logger_stop. */
void wp_logger_options_init(wp_logger_options *o);

typedef struct wp_logger_summary {
    uint64_t samples;      /* samples taken, every one of them written */
    double duration_s;     /* from the start of sampling to its end */
    double mean_rate_hz;   /* samples / duration_s */
    double largest_gap_us; /* longest step between the timestamps of
                               consecutive samples, as the log shows them */
    double mean_power_uw;  /* mean of voltage x current over the samples */
    int64_t first_us;      /* local timestamps of the first and last sample */
    int64_t last_us;
    uint64_t buffer_waits; /* times the sampler waited for the writer */
    /* Steps of the local wall clock while logging (more than 1 ms: an NTP
     * or manual step, a leap second, a daylight-saving change). Stamps are
     * monotone by construction and keep the time base the run started
     * with: they do not follow a step, so after one they differ from the
     * wall clock (and from a profiler's stamps) by the step. */
    uint64_t clock_steps;
    int64_t largest_clock_step_us; /* signed; the largest in size */
    int64_t first_clock_step_us;   /* log stamp at which the first was seen */
} wp_logger_summary;

typedef struct wp_logger wp_logger;

/* Opens the sensor and the output's temporary file. Fails at once when the
 * output is a directory, or when another logger writes it (a lock,
 * .NAME.lock beside it, whose message names the other's pid). */
wp_logger *wp_logger_open(const wp_logger_options *opts, wp_error *err);

/* Samples in the calling thread until the duration ends, wp_logger_stop is
 * called, or the sensor fails; then writes out every sample and commits the
 * log. Returns 0, or -1 (sensor or write error; samples so far are kept in
 * the log when the sensor failed; when a write fails, a full disk say, the
 * log keeps every sample written before, and the error says how many).
 * Call once. */
int wp_logger_run(wp_logger *lg, wp_error *err);

/* Asks the sampler to finish. Async-signal-safe: may be called from a
 * signal handler or any thread. */
void wp_logger_stop(wp_logger *lg);

/* Runs wp_logger_run in a background thread (SIGINT/SIGTERM blocked in it,
 * so the embedding program keeps its signals). */
int wp_logger_start(wp_logger *lg, wp_error *err);
/* Stops the background logger, waits for it, and returns wp_logger_run's
 * result. */
int wp_logger_join(wp_logger *lg, wp_error *err);

/* 1 once sampling has ended (duration over, stopped, or the sensor
 * failed: a background logger can die on its own), else 0. Any thread. */
int wp_logger_finished(const wp_logger *lg);
/* Samples taken so far (any thread). */
uint64_t wp_logger_samples(const wp_logger *lg);
/* Statistics; final once wp_logger_run / wp_logger_join returned. */
void wp_logger_get_summary(const wp_logger *lg, wp_logger_summary *sum);
const wp_rail_info *wp_logger_rail(const wp_logger *lg);

/* Frees everything; a log never committed is discarded. Safe on NULL. */
void wp_logger_free(wp_logger *lg);

#endif
