#include "wattprof/logger.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "logger_format.h"
#include "wattprof/atomic_file.h"
#include "wattprof/powerlog.h"
#include "wattprof/timestamp.h"

typedef struct rec {
    int64_t t_us;
    double mv, ma;
} rec;

struct wp_logger {
    wp_logger_opts opts;
    char *out_path;
    wp_sensor *sensor;
    wp_atomic_file *af;

    /* SPSC ring: head is written by the sampler only, tail by the writer;
     * on separate cache lines so neither store disturbs the other side. */
    rec *ring;
    size_t cap; /* power of two */
    _Alignas(64) _Atomic size_t head;
    _Alignas(64) _Atomic size_t tail;
    _Alignas(64) char pad_;
    atomic_int sampling_done;
    atomic_int writer_failed;
    wp_error writer_err;

    atomic_int stop;
    _Atomic uint64_t count;
    wp_logger_summary sum;

    int ran;
    pthread_t thread;
    int thread_started;
    int thread_rc;
    wp_error thread_err;
};

wp_logger *wp_logger_open(const wp_logger_opts *opts, wp_error *err)
{
    /* The ring indices are cache-line aligned members: allocate to match. */
    size_t size = (sizeof(wp_logger) + 63) / 64 * 64;
    wp_logger *lg = aligned_alloc(64, size);
    if (lg)
        memset(lg, 0, size);
    if (!lg) {
        wp_fail(err, NULL, 0, "out of memory");
        return NULL;
    }
    lg->opts = *opts;
    if (opts->interval_us < 0) {
        wp_fail(err, NULL, 0, "negative sampling interval");
        goto fail;
    }
    size_t want = opts->buffer_samples ? opts->buffer_samples : 65536;
    lg->cap = 2;
    while (lg->cap < want)
        lg->cap <<= 1;
    if (!(lg->ring = malloc(lg->cap * sizeof *lg->ring))) {
        wp_fail(err, NULL, 0, "out of memory for a %zu-sample buffer", lg->cap);
        goto fail;
    }
    if (!(lg->sensor = wp_sensor_open(&opts->sensor, err)))
        goto fail;
    if (opts->out_path) {
        if (!(lg->out_path = strdup(opts->out_path))) {
            wp_fail(err, NULL, 0, "out of memory");
            goto fail;
        }
        lg->opts.out_path = lg->out_path;
        if (!(lg->af = wp_atomic_open(opts->out_path, err)))
            goto fail;
    }
    lg->opts.sensor.rail = NULL;       /* the caller's strings are not kept */
    lg->opts.sensor.sysfs_root = NULL;
    return lg;
fail:
    wp_logger_free(lg);
    return NULL;
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Formats and writes everything between tail and head in one batch per
 * 64 KiB, so a write() carries hundreds of lines. */
static int drain(wp_logger *lg, FILE *fp)
{
    size_t tail = atomic_load_explicit(&lg->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&lg->head, memory_order_acquire);
    if (tail == head)
        return 0;
    char buf[65536];
    size_t used = 0;
    while (tail != head) {
        const rec *r = &lg->ring[tail & (lg->cap - 1)];
        used += wp_logger_format_line(buf + used, r->t_us, r->mv, r->ma);
        tail++;
        if (used + WP_POWERLOG_LINE_MAX > sizeof buf || tail == head) {
            if (fwrite(buf, 1, used, fp) != used)
                return -1;
            used = 0;
            /* Hand the slots back as soon as they are written. */
            atomic_store_explicit(&lg->tail, tail, memory_order_release);
        }
    }
    return fflush(fp) == 0 ? 1 : -1;
}

static void *writer_main(void *arg)
{
    wp_logger *lg = arg;
    FILE *fp = wp_atomic_stream(lg->af);
    for (;;) {
        int done = atomic_load_explicit(&lg->sampling_done, memory_order_acquire);
        int r = drain(lg, fp);
        if (r < 0) {
            wp_fail_errno(&lg->writer_err, lg->out_path, errno, "writing the power log failed");
            atomic_store(&lg->writer_failed, 1);
            return NULL;
        }
        if (done && r == 0)
            return NULL;
        if (r == 0)
            sleep_us(20000); /* 65536 samples last 60 ms even at 1 MHz */
    }
}

/* Waits for a free slot; returns -1 when the writer died. */
static int push(wp_logger *lg, const rec *r)
{
    size_t head = atomic_load_explicit(&lg->head, memory_order_relaxed);
    if (lg->af) {
        while (head - atomic_load_explicit(&lg->tail, memory_order_acquire) >= lg->cap) {
            if (atomic_load(&lg->writer_failed))
                return -1;
            lg->sum.buffer_waits++;
            sleep_us(200);
        }
        lg->ring[head & (lg->cap - 1)] = *r;
    }
    atomic_store_explicit(&lg->head, head + 1, memory_order_release);
    return 0;
}

static void sleep_until(int64_t target_us)
{
    struct timespec ts = {(time_t)(target_us / 1000000), (long)(target_us % 1000000) * 1000};
    /* wp_ts_monotonic_us is CLOCK_MONOTONIC; an interrupted sleep just
     * returns early and the loop looks at the stop flag. */
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int sample_loop(wp_logger *lg, wp_error *err)
{
#ifdef PR_SET_TIMERSLACK
    /* Wake up when asked, not up to 50 us later. */
    if (lg->opts.interval_us > 0)
        prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
    const int64_t interval = lg->opts.interval_us;
    const double duration = lg->opts.duration_s;
    const int64_t start = wp_ts_monotonic_us();
    const int64_t end = duration > 0 ? start + (int64_t)(duration * 1e6 + 0.5) : INT64_MAX;
    int64_t next = start, last_progress = start, mono_at_t = INT64_MIN / 2;
    double sum_power = 0;
    uint64_t n = 0;
    int rc = 0, first = 1;
    int64_t now = start;
    while (!atomic_load_explicit(&lg->stop, memory_order_relaxed)) {
        /* Free-running, "now" comes from the last check after a read. */
        if (interval > 0 || first)
            now = wp_ts_monotonic_us();
        /* The first read happens whatever the clock says, so a short run
         * on a loaded machine still has its sample. */
        if (now >= end && !first)
            break;
        first = 0;
        if (interval > 0 && now < next) {
            /* Sleep in slices so a stop request or the end is not delayed
             * by a long interval. */
            int64_t until = next < end ? next : end;
            if (until - now > 50000)
                until = now + 50000;
            sleep_until(until);
            continue;
        }
        rec r;
        int got = wp_sensor_read(lg->sensor, &r.mv, &r.ma, err);
        if (got < 0) {
            rc = -1;
            break;
        }
        /* One clock read per sample, the local wall-clock stamp (the same
         * clock the profiler stamps layers with). The monotonic clock, for
         * the end, the schedule and progress, is read again only once the
         * stamp has moved on 1 ms (or went back): at a million samples a
         * second the second clock read was a tenth of the cost. */
        r.t_us = wp_ts_now_local();
        if (interval > 0 || r.t_us - mono_at_t >= 1000 || r.t_us < mono_at_t) {
            now = wp_ts_monotonic_us();
            mono_at_t = r.t_us;
        }
        if (got > 0) {
            if (push(lg, &r) < 0)
                break;
            if (n == 0)
                lg->sum.first_us = r.t_us;
            else if ((double)(r.t_us - lg->sum.last_us) > lg->sum.largest_gap_us)
                lg->sum.largest_gap_us = (double)(r.t_us - lg->sum.last_us);
            lg->sum.last_us = r.t_us;
            sum_power += r.mv * r.ma;
            n++;
            atomic_store_explicit(&lg->count, n, memory_order_relaxed);
        }
        if (interval > 0) {
            /* Samples are due on an absolute schedule, so the mean rate is
             * the one asked for even when a sleep overshoots (the kernel
             * wakes a sleeper tens of microseconds late): the sampler
             * catches up at once. After a real stall (more than 10 ms
             * behind) the schedule restarts instead of bursting. */
            next += interval;
            if (now - next > 10000)
                next = now;
        }
        if (duration > 0 && now - last_progress >= 100000) {
            last_progress = now;
            wp_progress_report(&lg->opts.progress, "logging power", (double)(now - start) / 1e6, duration);
        }
    }
    int64_t stop = wp_ts_monotonic_us();
    lg->sum.samples = n;
    lg->sum.duration_s = (double)(stop - start) / 1e6;
    lg->sum.mean_rate_hz = lg->sum.duration_s > 0 ? (double)n / lg->sum.duration_s : 0;
    lg->sum.mean_power_uw = n ? sum_power / (double)n : 0;
    if (duration > 0 && rc == 0)
        wp_progress_report(&lg->opts.progress, "logging power", duration, duration);
    return rc;
}

int wp_logger_run(wp_logger *lg, wp_error *err)
{
    if (lg->ran)
        return wp_fail(err, NULL, 0, "logger already ran");
    lg->ran = 1;
    pthread_t writer;
    if (lg->af) {
        int e = pthread_create(&writer, NULL, writer_main, lg);
        if (e != 0)
            return wp_fail_errno(err, NULL, e, "cannot start the log writer thread");
    }
    wp_error sensor_err;
    wp_error_clear(&sensor_err);
    int rc = sample_loop(lg, &sensor_err);
    atomic_store_explicit(&lg->sampling_done, 1, memory_order_release);
    if (!lg->af) {
        if (rc < 0 && err)
            *err = sensor_err;
        return rc;
    }
    pthread_join(writer, NULL);
    if (atomic_load(&lg->writer_failed)) {
        wp_atomic_abort(lg->af);
        lg->af = NULL;
        if (err)
            *err = lg->writer_err;
        return -1;
    }
    /* Commit even after a sensor error: the samples taken are good. With
     * none, there is nothing worth a file. */
    wp_atomic_file *af = lg->af;
    lg->af = NULL;
    if (rc < 0 && lg->sum.samples == 0) {
        wp_atomic_abort(af);
        if (err)
            *err = sensor_err;
        return -1;
    }
    if (wp_atomic_commit(af, err) < 0)
        return -1;
    if (rc < 0 && err)
        *err = sensor_err;
    return rc;
}

void wp_logger_stop(wp_logger *lg)
{
    atomic_store(&lg->stop, 1);
}

static void *thread_main(void *arg)
{
    wp_logger *lg = arg;
    wp_error_clear(&lg->thread_err);
    lg->thread_rc = wp_logger_run(lg, &lg->thread_err);
    return NULL;
}

int wp_logger_start(wp_logger *lg, wp_error *err)
{
    if (lg->thread_started || lg->ran)
        return wp_fail(err, NULL, 0, "logger already started");
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    /* Threads inherit the mask: both the sampler and its writer stay out
     * of the embedding program's signal handling. */
    int e = pthread_create(&lg->thread, NULL, thread_main, lg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0)
        return wp_fail_errno(err, NULL, e, "cannot start the logger thread");
    lg->thread_started = 1;
    return 0;
}

int wp_logger_join(wp_logger *lg, wp_error *err)
{
    if (!lg->thread_started)
        return wp_fail(err, NULL, 0, "logger not started");
    wp_logger_stop(lg);
    pthread_join(lg->thread, NULL);
    lg->thread_started = 0;
    if (lg->thread_rc < 0 && err)
        *err = lg->thread_err;
    return lg->thread_rc;
}

int wp_logger_finished(const wp_logger *lg)
{
    return atomic_load(&((wp_logger *)lg)->sampling_done);
}

uint64_t wp_logger_samples(const wp_logger *lg)
{
    return atomic_load_explicit(&((wp_logger *)lg)->count, memory_order_relaxed);
}

void wp_logger_get_summary(const wp_logger *lg, wp_logger_summary *sum)
{
    *sum = lg->sum;
}

const wp_rail_info *wp_logger_rail(const wp_logger *lg)
{
    return wp_sensor_rail(lg->sensor);
}

void wp_logger_free(wp_logger *lg)
{
    if (!lg)
        return;
    if (lg->thread_started)
        wp_logger_join(lg, NULL);
    wp_atomic_abort(lg->af);
    wp_sensor_close(lg->sensor);
    free(lg->ring);
    free(lg->out_path);
    free(lg);
}
