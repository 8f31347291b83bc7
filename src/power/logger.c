/* logger: the sampling loop and the writer thread behind wattprof/logger.h;
 * the sampler formats lines into blocks and never waits on the disk. */
#include "wattprof/logger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "logger_format.h"
#include "wattprof/atomic_file.h"
#include "wattprof/lockfile.h"
#include "wattprof/powerlog.h"
#include "wattprof/timestamp.h"
#include "core/thread_internal.h"

/* Lines are formatted by the sampler straight into 64 KiB blocks; a full
 * block (or one holding lines older than FLUSH_NS) is handed to the writer
 * thread, which only calls write(). The sampler never waits on the disk
 * unless every block is queued. An earlier design pushed {time, mV, mA}
 * records through a ring and formatted in the writer; formatting here, once,
 * is cheaper than moving records between cores, and the writer costs about
 * one write() per 2,000 lines. */
#define BLOCK_BYTES 65536
#define DEFAULT_BLOCKS 32
/* A crash loses at most the lines of the last FLUSH_NS (and what the queue
 * holds): a block is handed over once its first line is this old. */
#define FLUSH_NS 20000000LL
/* How often the writer looks at the queue (see writer_main). */
#define WRITER_POLL_NS 20000000LL
/* Pacing. A sleep costs far more than a sample (20-60 us of CPU per
 * sleep and wake on a VM, 2-5 us on bare metal, and it overshoots by tens
 * of microseconds), so:
 * - an interval of PRECISE_INTERVAL_NS or more is slept for sample by
 *   sample, and a sample due within MIN_SLEEP_NS is taken at once;
 * - a shorter interval runs in bursts: samples are taken ahead of the
 *   schedule until the sampler is BURST_SLEEP_NS ahead, then it sleeps.
 *   The mean rate is the one asked; the log shows the bursts as they are.
 *   Sleeping per sample at 50 kHz cost a third of a core here; bursts cost
 *   what the samples cost. */
#define PRECISE_INTERVAL_NS 100000LL
#define MIN_SLEEP_NS 50000LL
#define BURST_SLEEP_NS 500000LL
/* After a stall (this much behind, and no read for this long beyond the
 * interval: the process was stopped or starved) the schedule restarts
 * instead of bursting to catch up. A sampler that merely runs behind,
 * reading back to back, keeps its schedule and catches up when it can. */
#define STALL_NS 10000000LL

struct wp_logger {
    wp_logger_options opts;
    char *out_path;
    wp_sensor *sensor;
    wp_atomic_file *af;
    wp_lock *lock;
    int64_t interval_ns;

    /* Block queue, single producer (sampler) and single consumer (writer):
     * blocks filled and blocks written are counted on separate cache lines
     * so neither side's store disturbs the other. */
    char *pool;
    size_t *used;  /* bytes in each block, set before the hand-over */
    size_t *lines; /* lines in each block, likewise */
    size_t nblocks;
    _Alignas(64) _Atomic size_t filled;
    _Alignas(64) _Atomic size_t written;
    _Alignas(64) pthread_mutex_t mu; /* with cv: the writer's sleep */
    pthread_cond_t cv;
    int closing; /* under mu: no more blocks will come */
    atomic_int writer_failed;
    int writer_errno;
    uint64_t lines_written; /* by the writer: lines of the blocks written whole */
    uint64_t bytes_written;
    int probe_fd; /* see writer_private_fd_table */
    int unshared; /* the writer got its own descriptor table */
    pid_t sampler_tid;

    /* The sampler's own state. */
    size_t cur_used;
    size_t cur_lines;
    int64_t cur_since_ns; /* when the current block's first line was taken */
    wp_line_cache line_cache;

    _Alignas(64) atomic_int stop;
    atomic_int sampling_done;
    _Atomic uint64_t count;
    wp_logger_summary sum;

    int ran;
    pthread_t thread;
    int thread_started;
    int thread_rc;
    wp_error thread_err;
};

wp_logger *wp_logger_open(const wp_logger_options *opts, wp_error *err)
{
    /* The queue counters are cache-line aligned members: allocate to match. */
    size_t size = (sizeof(wp_logger) + 63) / 64 * 64;
    wp_logger *lg = aligned_alloc(64, size);
    if (lg)
        memset(lg, 0, size);
    if (!lg) {
        wp_fail(err, NULL, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&lg->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&lg->cv, &ca);
    pthread_condattr_destroy(&ca);
    lg->opts = *opts;
    lg->probe_fd = -1;
    if (!(opts->interval_us >= 0 && opts->interval_us <= 3600e6)) {
        wp_fail(err, NULL, 0, "sampling interval must be 0 to 3600000000 us");
        goto fail;
    }
    lg->interval_ns = (int64_t)(opts->interval_us * 1000.0 + 0.5);
    if (!(opts->duration_s <= 1e9)) { /* also NaN */
        wp_fail(err, NULL, 0, "logging duration out of range");
        goto fail;
    }
    if (!(lg->sensor = wp_sensor_open(&opts->sensor, err)))
        goto fail;
    if (opts->out_path) {
        lg->nblocks = opts->buffer_blocks ? opts->buffer_blocks : DEFAULT_BLOCKS;
        if (lg->nblocks < 2)
            lg->nblocks = 2;
        lg->pool = malloc(lg->nblocks * BLOCK_BYTES);
        lg->used = calloc(lg->nblocks, sizeof *lg->used);
        lg->lines = calloc(lg->nblocks, sizeof *lg->lines);
        if (!lg->pool || !lg->used || !lg->lines) {
            wp_fail(err, NULL, 0, "out of memory for %zu log blocks", lg->nblocks);
            goto fail;
        }
        if (!(lg->out_path = strdup(opts->out_path))) {
            wp_fail(err, NULL, 0, "out of memory");
            goto fail;
        }
        lg->opts.out_path = lg->out_path;
        /* One logger per output: a second one would write the same file and
         * the last to finish would win. */
        char *lock_path = wp_lock_path_for(opts->out_path);
        if (!lock_path) {
            wp_fail(err, NULL, 0, "out of memory");
            goto fail;
        }
        lg->lock = wp_lock_take(lock_path, opts->out_path, "log", err);
        free(lock_path);
        if (!lg->lock)
            goto fail;
        /* Also fails at once when the output is a directory, rather than
         * after logging the whole duration. */
        if (!(lg->af = wp_atomic_open(opts->out_path, err)))
            goto fail;
    }
    wp_line_cache_init(&lg->line_cache);
    lg->opts.sensor.rail = NULL; /* the caller's strings are not kept */
    lg->opts.sensor.sysfs_root = NULL;
    return lg;
fail:
    wp_logger_free(lg);
    return NULL;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec timespec_from_ns(int64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
    return ts;
}

static void sleep_until_ns(int64_t t)
{
    struct timespec ts = timespec_from_ns(t);
    /* An interrupted sleep just returns early; the loop looks again. */
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Gives the writer a private descriptor table holding only stdin..stderr
 * and the log. While two threads share a table, every pread the sampler
 * makes takes and drops a reference on the file (the kernel's fdget skips
 * that for an unshared table): measured at 130 ns of the 1 us a sample costs
 * on a tmpfs tree. So when the sampler is the only other thread (wattprof
 * log), it reads as cheaply as a single-threaded program. Where the kernel
 * lacks close_range (before 5.9) nothing changes but that cost.
 *
 * Some environments accept CLOSE_RANGE_UNSHARE and ignore the flag
 * (valgrind runs close_range as a loop of close()): closing the rest would
 * then close the sampler's own descriptors. So the unshare is checked
 * first: the writer closes a probe, a copy of the log's descriptor made
 * beforehand, and looks whether the sampler still has it
 * (/proc/self/task/TID/fd). Only then does it close the rest; otherwise
 * the table stays shared, as before close_range existed. */
static void writer_private_fd_table(wp_logger *lg, int keep_fd)
{
#if defined(__linux__) && defined(SYS_close_range)
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
    int probe = lg->probe_fd;
    if (probe < 0)
        return;
    /* Unshare (closing only a descriptor that cannot exist). */
    if (syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) != 0)
        return;
    close(probe);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/fd/%d", (long)lg->sampler_tid, probe);
    if (access(path, F_OK) != 0)
        return; /* still shared: the probe was the sampler's too */
    lg->unshared = 1;
    /* Close everything in the private copy but stdio and the log. */
    if (keep_fd > 3)
        syscall(SYS_close_range, 3U, (unsigned)keep_fd - 1, 0U);
    syscall(SYS_close_range, (unsigned)(keep_fd < 3 ? 3 : keep_fd + 1), ~0U, 0U);
#else
    (void)lg;
    (void)keep_fd;
#endif
}

/* Writes every queued block; -1 (error recorded) when a write failed. */
static int write_queued(wp_logger *lg, size_t *written)
{
    size_t filled = atomic_load_explicit(&lg->filled, memory_order_acquire);
    for (; *written != filled; ++*written) {
        size_t b = *written % lg->nblocks;
        if (wp_atomic_write_fd(lg->af, lg->pool + b * BLOCK_BYTES, lg->used[b]) < 0) {
            lg->writer_errno = errno;
            atomic_store(&lg->writer_failed, 1);
            return -1;
        }
        lg->lines_written += lg->lines[b];
        lg->bytes_written += lg->used[b];
        atomic_store_explicit(&lg->written, *written + 1, memory_order_release);
    }
    return 0;
}

/* The writer looks at the queue every WRITER_POLL_NS (the queue holds 60 ms even at
 * a million lines a second) rather than being woken for each block: a
 * wake-up costs the sampler a futex call and the writer a context switch,
 * about 2 % of a core at full speed. It is woken only to finish, or when
 * the sampler finds the queue full. */
static void *writer_main(void *arg)
{
    wp_logger *lg = arg;
    /* Nothing goes through the stream's buffer: blocks go to its
     * descriptor, and commit finds the stream empty. */
    writer_private_fd_table(lg, wp_atomic_fd(lg->af));
    size_t written = 0;
    for (;;) {
        if (write_queued(lg, &written) < 0)
            return NULL;
        pthread_mutex_lock(&lg->mu);
        if (!lg->closing) {
            struct timespec deadline = timespec_from_ns(monotonic_ns() + WRITER_POLL_NS);
            pthread_cond_timedwait(&lg->cv, &lg->mu, &deadline);
        }
        /* The last block was queued before closing was set. */
        int closing = lg->closing;
        pthread_mutex_unlock(&lg->mu);
        if (closing) {
            write_queued(lg, &written);
            return NULL;
        }
    }
}

static void wake_writer(wp_logger *lg, int closing)
{
    pthread_mutex_lock(&lg->mu);
    if (closing)
        lg->closing = 1;
    pthread_cond_signal(&lg->cv);
    pthread_mutex_unlock(&lg->mu);
}

/* Queues the current block for the writer; returns the count of blocks
 * queued so far. */
static size_t queue_current_block(wp_logger *lg)
{
    size_t filled = atomic_load_explicit(&lg->filled, memory_order_relaxed);
    lg->used[filled % lg->nblocks] = lg->cur_used;
    lg->lines[filled % lg->nblocks] = lg->cur_lines;
    atomic_store_explicit(&lg->filled, filled + 1, memory_order_release);
    lg->cur_used = 0;
    lg->cur_lines = 0;
    return filled + 1;
}

/* Queues the current block and waits until the next one is free; returns
 * -1 when the writer died. */
static int hand_over(wp_logger *lg)
{
    size_t queued = queue_current_block(lg);
    /* The next block must be free before a line goes into it. */
    if (queued - atomic_load_explicit(&lg->written, memory_order_acquire) >= lg->nblocks) {
        wake_writer(lg, 0);
        do {
            if (atomic_load(&lg->writer_failed))
                return -1;
            lg->sum.buffer_waits++;
            sleep_us(200);
        } while (queued - atomic_load_explicit(&lg->written, memory_order_acquire) >= lg->nblocks);
    }
    return atomic_load_explicit(&lg->writer_failed, memory_order_relaxed) ? -1 : 0;
}

static int emit_line(wp_logger *lg, int64_t t_us, double mv, double ma, int64_t now_ns)
{
    size_t b = atomic_load_explicit(&lg->filled, memory_order_relaxed) % lg->nblocks;
    char *block = lg->pool + b * BLOCK_BYTES;
    if (lg->cur_used == 0)
        lg->cur_since_ns = now_ns;
    lg->cur_used += wp_logger_format_line(&lg->line_cache, block + lg->cur_used, t_us, mv, ma);
    lg->cur_lines++;
    if (lg->cur_used + WP_POWERLOG_LINE_MAX > BLOCK_BYTES || now_ns - lg->cur_since_ns >= FLUSH_NS)
        return hand_over(lg);
    return 0;
}

/* The stamps' time base. A stamp is the monotonic time of the read plus
 * `base_ns`, an offset that only ever grows, so stamps never go backwards.
 *
 * The offset of the local wall clock from the monotonic clock is measured
 * by reading monotonic, wall, monotonic: the wall reading (whole
 * microseconds) was taken somewhere between the two monotonic ones, which
 * bounds the offset from below and above. A preempted reading only gives
 * looser bounds, never wrong ones; the bounds of several readings are
 * intersected. Re-reading the offset and taking it as it came (as an
 * earlier version did every millisecond) let a delay between two reads
 * inflate one offset and the next one drop it: 3-4 us backward steps,
 * several per second on a busy machine.
 *
 * NTP slews both clocks alike, so the offset holds still except for steps
 * (NTP or settimeofday steps, a leap second, a change of local time zone
 * rule such as daylight saving). The stamps keep the time base the run
 * started with, refined upward only while no step was seen; a step of more
 * than STEP_NS is counted and reported in the summary, not followed. */
#define STEP_NS 1000000LL
#define OFFSET_CHECK_NS 1000000LL

typedef struct time_base {
    int64_t base_ns;    /* what the stamps add */
    int64_t lo, hi;     /* the wall clock's current offset lies here */
    int64_t checked_at; /* monotonic time of the last check */
} time_base;

void wp_logger_options_init(wp_logger_options *o)
{
    memset(o, 0, sizeof *o);
}

/* Added to every wall-clock reading by the tests (wp__logger_test_step_clock)
 * to play a clock step. */
static _Atomic int64_t test_wall_skew_ns;

void wp__logger_test_step_clock(int64_t ns)
{
    atomic_fetch_add(&test_wall_skew_ns, ns);
}

/* Bounds on (local wall clock - monotonic clock) from `reads` readings;
 * 0, or -1 when they contradict each other (a step between them). */
static int offset_bounds(int reads, int64_t *lo, int64_t *hi)
{
    int64_t l = INT64_MIN, h = INT64_MAX;
    for (int i = 0; i < reads; i++) {
        int64_t m1 = monotonic_ns();
        int64_t wall = wp_ts_now_local() * 1000 + atomic_load_explicit(&test_wall_skew_ns, memory_order_relaxed);
        int64_t m2 = monotonic_ns();
        /* The true wall time was in [wall, wall + 999 ns] at a monotonic
         * time in [m1, m2]. */
        if (wall - m2 > l)
            l = wall - m2;
        if (wall + 999 - m1 < h)
            h = wall + 999 - m1;
    }
    if (l > h)
        return -1;
    *lo = l;
    *hi = h;
    return 0;
}

static void time_base_init(time_base *tb, int64_t now)
{
    /* Eight readings: a few are bound to be tight even on a busy machine. */
    while (offset_bounds(8, &tb->lo, &tb->hi) < 0)
        ;
    tb->base_ns = tb->lo;
    tb->checked_at = now;
}

static void time_base_check(time_base *tb, wp_logger_summary *sum, int64_t now)
{
    tb->checked_at = now;
    int64_t lo, hi;
    if (offset_bounds(3, &lo, &hi) < 0)
        return;
    if (lo > tb->hi + STEP_NS || hi < tb->lo - STEP_NS) {
        int64_t step_us = ((lo + hi) / 2 - (tb->lo + tb->hi) / 2) / 1000;
        if (sum->clock_steps++ == 0)
            sum->first_clock_step_us = (now + tb->base_ns) / 1000;
        if (llabs(step_us) > llabs(sum->largest_clock_step_us))
            sum->largest_clock_step_us = step_us;
        tb->lo = lo;
        tb->hi = hi;
        return;
    }
    /* The same clock: narrow the bounds (a drift too small to be a step
     * just restarts them). */
    if (lo > tb->lo)
        tb->lo = lo;
    if (hi < tb->hi)
        tb->hi = hi;
    if (tb->lo > tb->hi) {
        tb->lo = lo;
        tb->hi = hi;
    }
    if (sum->clock_steps == 0 && tb->lo > tb->base_ns)
        tb->base_ns = tb->lo;
}

static int sample_loop(wp_logger *lg, wp_error *err)
{
#ifdef PR_SET_TIMERSLACK
    /* Wake up when asked, not up to 50 us later. */
    if (lg->interval_ns > 0)
        prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
    const int64_t interval = lg->interval_ns;
    const int64_t sleep_ahead = interval >= PRECISE_INTERVAL_NS ? MIN_SLEEP_NS : BURST_SLEEP_NS;
    const double duration = lg->opts.duration_s;
    const int64_t start = monotonic_ns();
    const int64_t end = duration > 0 ? start + (int64_t)(duration * 1e9 + 0.5) : INT64_MAX;
    int64_t now = start, due = start, last_progress = start, last_read = start;
    /* One clock read per sample, the monotonic one (schedule, end,
     * progress); the stamp is that plus the time base (see time_base). */
    time_base tb;
    time_base_init(&tb, start);
    double sum_power = 0;
    uint64_t n = 0;
    int rc = 0, first = 1;
    while (!atomic_load_explicit(&lg->stop, memory_order_relaxed)) {
        /* The first read happens whatever the clock says, so a short run
         * on a loaded machine still has its sample. */
        if (now >= end && !first)
            break;
        if (interval > 0 && due - now >= sleep_ahead) {
            /* Sleep in slices so a stop request, the end or a block that
             * is due at the writer is not delayed by a long interval. */
            int64_t until = due < end ? due : end;
            if (until - now > 50000000)
                until = now + 50000000;
            if (lg->cur_used) {
                if (now - lg->cur_since_ns >= FLUSH_NS) {
                    if (hand_over(lg) < 0)
                        break;
                } else if (lg->cur_since_ns + FLUSH_NS < until) {
                    until = lg->cur_since_ns + FLUSH_NS;
                }
            }
            sleep_until_ns(until);
            now = monotonic_ns();
            continue;
        }
        double mv, ma;
        int got = wp_sensor_read(lg->sensor, &mv, &ma, err);
        if (got < 0) {
            rc = -1;
            break;
        }
        first = 0;
        int64_t previous_read = last_read;
        now = last_read = monotonic_ns();
        if (now - tb.checked_at >= OFFSET_CHECK_NS)
            time_base_check(&tb, &lg->sum, now);
        if (got > 0) {
            int64_t t_us = (now + tb.base_ns) / 1000;
            if (lg->pool && emit_line(lg, t_us, mv, ma, now) < 0)
                break;
            if (n == 0)
                lg->sum.first_us = t_us;
            else if ((double)(t_us - lg->sum.last_us) > lg->sum.largest_gap_us)
                lg->sum.largest_gap_us = (double)(t_us - lg->sum.last_us);
            lg->sum.last_us = t_us;
            sum_power += mv * ma;
            n++;
            atomic_store_explicit(&lg->count, n, memory_order_relaxed);
        }
        if (interval > 0) {
            /* Samples are due on an absolute schedule, so the mean rate is
             * the one asked for even when a sleep overshoots: the sampler
             * catches up at once. */
            due += interval;
            if (now - due > STALL_NS && now - previous_read > STALL_NS + interval)
                due = now;
        }
        if (duration > 0 && now - last_progress >= 100000000) {
            last_progress = now;
            wp_progress_report(&lg->opts.progress, "logging power", (double)(now - start) / 1e9, duration);
        }
    }
    int64_t stop = monotonic_ns();
    lg->sum.samples = n;
    lg->sum.duration_s = (double)(stop - start) / 1e9;
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
#if defined(__linux__)
        lg->sampler_tid = (pid_t)syscall(SYS_gettid);
#endif
        lg->probe_fd = fcntl(wp_atomic_fd(lg->af), F_DUPFD_CLOEXEC, 3);
        int e = pthread_create(&writer, NULL, writer_main, lg);
        if (e != 0) {
            if (lg->probe_fd >= 0)
                close(lg->probe_fd);
            return wp_fail_errno(err, NULL, e, "cannot start the log writer thread");
        }
    }
    wp_error sensor_err;
    wp_error_clear(&sensor_err);
    int rc = sample_loop(lg, &sensor_err);
    if (lg->af) {
        /* The last, partial block; then the writer may finish. */
        if (lg->cur_used && !atomic_load(&lg->writer_failed))
            queue_current_block(lg);
        wake_writer(lg, 1);
    }
    atomic_store_explicit(&lg->sampling_done, 1, memory_order_release);
    if (!lg->af) {
        if (rc < 0 && err)
            *err = sensor_err;
        return rc;
    }
    pthread_join(writer, NULL);
    /* The writer closed the probe in its own table; in a shared one that
     * was the only copy. */
    if (lg->unshared && lg->probe_fd >= 0)
        close(lg->probe_fd);
    lg->probe_fd = -1;
    if (atomic_load(&lg->writer_failed)) {
        /* A full disk: keep the blocks written whole (a partly written one
         * is cut off, so the log ends with a whole line) and say how many
         * samples that is. */
        wp_atomic_file *af = lg->af;
        lg->af = NULL;
        int e = lg->writer_errno;
        unsigned long long kept = lg->lines_written, lost = lg->sum.samples - lg->lines_written;
        wp_error cerr;
        if (ftruncate(wp_atomic_fd(af), (off_t)lg->bytes_written) != 0 || kept == 0) {
            wp_atomic_abort(af);
            wp_fail_errno(err, lg->out_path, e, "writing the power log failed; no log written (%llu samples lost)",
                          kept + lost);
        } else if (wp_atomic_commit(af, &cerr) != 0) {
            if (err)
                *err = cerr;
        } else {
            wp_fail_errno(err, lg->out_path, e,
                          "writing the power log failed after %llu samples; the log keeps those %llu "
                          "(the last %llu taken were not written)",
                          kept, kept, lost);
        }
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
    /* The writer, started by the sampler, inherits its mask: both stay out
     * of the embedding program's signal handling. */
    int e = wp__thread_create(&lg->thread, thread_main, lg);
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
    wp_lock_release(lg->lock);
    wp_sensor_free(lg->sensor);
    free(lg->pool);
    free(lg->used);
    free(lg->lines);
    free(lg->out_path);
    pthread_cond_destroy(&lg->cv);
    pthread_mutex_destroy(&lg->mu);
    free(lg);
}
