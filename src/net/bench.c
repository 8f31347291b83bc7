/* bench: the measuring loop and the upstream raw layout writers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "wattprof/atomic_file.h"
#include "wattprof/bench.h"
#include "wattprof/device.h"
#include "wattprof/csv.h"
#include "wattprof/fsutil.h"
#include "wattprof/latency.h"
#include "wattprof/layout.h"
#include "wattprof/timestamp.h"

void wp_bench_options_init(wp_bench_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->backend = WP_BACKEND_CPU;
    opt->runs = 100;
    opt->warmup = 10;
}

void wp_bench_result_free(wp_bench_result *res)
{
    if (!res)
        return;
    free(res->names);
    free(res->layer_ms);
    free(res->start_local_us);
    free(res->end_local_us);
    free(res->cycle_ms);
    free(res->untimed_ms);
    free(res->fused_into);
    memset(res, 0, sizeof *res);
}

/* one layer in one cycle, as measured; the result keeps them layer-major */
typedef struct sample {
    double ms;
    int64_t start_local_us, end_local_us;
} sample;

/* Room for cycle c (0-based) in the cycle-major buffers: --duration does not
 * know its cycle count in advance, so they double as needed. 1: that would
 * pass max_samples; -1: out of memory. */
static int reserve_cycle(size_t c, size_t L, size_t max_samples, size_t *cap, sample **s, double **cycle_ms,
                         double **untimed_ms)
{
    if (c < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    if (n * L > max_samples)
        n = max_samples / L;
    if (n <= c)
        return 1;
    sample *ns = realloc(*s, n * L * sizeof *ns);
    if (!ns)
        return -1;
    *s = ns;
    double *nc = realloc(*cycle_ms, n * sizeof *nc);
    if (!nc)
        return -1;
    *cycle_ms = nc;
    double *nu = realloc(*untimed_ms, n * sizeof *nu);
    if (!nu)
        return -1;
    *untimed_ms = nu;
    *cap = n;
    return 0;
}

int wp_bench_run(wp_graph *g, const wp_bench_options *opt, wp_bench_result *res, const wp_progress *progress,
                 wp_error *err)
{
    memset(res, 0, sizeof *res);
    if (opt->runs < 1 || opt->warmup < 0)
        return wp_fail(err, NULL, 0, "runs must be at least 1 and warmup at least 0");
    if (!(opt->duration_s >= 0) || opt->duration_s > 1e6)
        return wp_fail(err, NULL, 0, "duration must be between 0 and 1e6 seconds");
    if (opt->backend == WP_BACKEND_CPU && wp_cpu_set_threads(opt->threads))
        return wp_fail(err, NULL, 0, "cannot set the cpu backend's thread count (no OpenMP runtime)");
    int64_t t0 = wp_ts_monotonic_us();
    wp_runner *r = wp_runner_create(g, opt->backend, err);
    if (!r)
        return -1;
    size_t L = wp_runner_n_layers(r), runs = (size_t)opt->runs;
    size_t max_samples = opt->max_samples ? opt->max_samples : WP_BENCH_MAX_SAMPLES;
    if (L == 0) {
        wp_runner_free(r);
        return wp_fail(err, NULL, 0, "the network has no layers");
    }
    if (runs > max_samples / L) {
        wp_runner_free(r);
        return wp_fail(err, NULL, 0, "%zu runs of %zu layers are more than the %zu latencies a bench keeps", runs, L,
                       max_samples);
    }
    res->cache_bytes = opt->backend == WP_BACKEND_CUDA ? 0 : wp_device_l2_cache_bytes(NULL);
    res->channel_block = opt->backend == WP_BACKEND_CPU ? wp_cpu_channel_block() : opt->backend == WP_BACKEND_REF;
    res->n_layers = L;
    res->names = calloc(L, sizeof *res->names);
    res->fused_into = calloc(L, sizeof *res->fused_into);
    wp_layer_time *times = calloc(L, sizeof *times);
    sample *samples = NULL;
    double *cycle_ms = NULL, *untimed_ms = NULL;
    size_t cap = 0, C = 0;
    int rc = -1;
    if (!res->names || !res->fused_into || !times)
        goto oom;
    for (size_t i = 0; i < L; i++) {
        res->names[i] = g->nodes[i].name;
        res->fused_into[i] = wp_runner_fused_into(r, i);
        res->n_fused += res->fused_into[i] >= 0;
    }
    for (int w = 0; w < opt->warmup; w++) {
        if (wp_runner_run(r, NULL, err))
            goto done;
        wp_progress_report(progress, "warmup", w + 1, opt->warmup);
    }
    if (opt->on_measure)
        opt->on_measure(opt->on_measure_ctx, 1);
    double sum_layers = 0, sum_cycle = 0, sum_untimed = 0;
    int64_t m0 = wp_ts_monotonic_us(), until = m0 + (int64_t)(opt->duration_s * 1e6);
    for (;;) {
        int64_t now = wp_ts_monotonic_us();
        if (C >= runs && now >= until)
            break;
        int room = reserve_cycle(C, L, max_samples, &cap, &samples, &cycle_ms, &untimed_ms);
        if (room < 0)
            goto oom;
        if (room > 0) {
            res->sample_limit_hit = 1; /* only a duration gets here: runs fit */
            break;
        }
        if (wp_runner_run(r, times, err))
            goto done;
        int64_t u0 = wp_ts_monotonic_us();
        if (wp_runner_run(r, NULL, err))
            goto done;
        untimed_ms[C] = (double)(wp_ts_monotonic_us() - u0) / 1000.0;
        sample *s = samples + C * L;
        for (size_t i = 0; i < L; i++) {
            s[i].ms = (double)times[i].dur_ns / 1e6;
            s[i].end_local_us = times[i].end_local_us;
            s[i].start_local_us = times[i].end_local_us - (times[i].dur_ns + 500) / 1000;
            sum_layers += s[i].ms;
        }
        cycle_ms[C] = (double)(times[L - 1].end_us - times[0].start_us) / 1000.0;
        sum_cycle += cycle_ms[C];
        sum_untimed += untimed_ms[C];
        C++;
        if (opt->duration_s > 0 && C >= runs)
            wp_progress_report(progress, "measuring", (double)(now - m0), opt->duration_s * 1e6);
        else
            wp_progress_report(progress, "measuring", (double)C, (double)runs);
    }
    if (opt->on_measure)
        opt->on_measure(opt->on_measure_ctx, 0);
    res->n_cycles = C;
    res->layer_ms = malloc(L * C * sizeof *res->layer_ms);
    res->start_local_us = malloc(L * C * sizeof(int64_t));
    res->end_local_us = malloc(L * C * sizeof(int64_t));
    if (!res->layer_ms || !res->start_local_us || !res->end_local_us)
        goto oom;
    for (size_t c = 0; c < C; c++)
        for (size_t i = 0; i < L; i++) {
            const sample *s = &samples[c * L + i];
            res->layer_ms[i * C + c] = s->ms;
            res->start_local_us[i * C + c] = s->start_local_us;
            res->end_local_us[i * C + c] = s->end_local_us;
        }
    res->cycle_ms = cycle_ms;
    res->untimed_ms = untimed_ms;
    cycle_ms = untimed_ms = NULL;
    res->first_start_local_us = res->start_local_us[0];
    res->last_end_local_us = res->end_local_us[(L - 1) * C + C - 1];
    res->mean_layer_sum_ms = sum_layers / (double)C;
    res->mean_cycle_ms = sum_cycle / (double)C;
    res->mean_untimed_ms = sum_untimed / (double)C;
    res->total_s = (double)(wp_ts_monotonic_us() - t0) / 1e6;
    rc = 0;
    goto done;
oom:
    wp_fail(err, NULL, 0, "out of memory");
done:
    free(times);
    free(samples);
    free(cycle_ms);
    free(untimed_ms);
    wp_runner_free(r);
    if (rc)
        wp_bench_result_free(res);
    return rc;
}

static int write_windows(const char *path, const wp_bench_result *res, wp_error *err)
{
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    FILE *f = wp_atomic_stream(af);
    fprintf(f, "%s\n", WP_LAYER_WINDOWS_HEADER);
    char a[WP_TS_BUFSZ], b[WP_TS_BUFSZ];
    size_t C = res->n_cycles;
    for (size_t c = 0; c < C; c++)
        for (size_t i = 0; i < res->n_layers; i++) {
            wp_ts_format(res->start_local_us[i * C + c], a);
            wp_ts_format(res->end_local_us[i * C + c], b);
            fprintf(f, "%zu,%zu,", c, i);
            wp_csv_put_field(f, res->names[i]);
            fprintf(f, ",%s,%s,", a, b);
            wp_csv_put_double(f, res->layer_ms[i * C + c]);
            fputc('\n', f);
        }
    return wp_atomic_commit(af, err);
}

static json_t *double_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static int write_summary(const char *path, const wp_graph *g, const wp_bench_options *opt, const wp_bench_result *res,
                         const char *dir, const char *name, wp_error *err)
{
    const wp_dims *in = &g->tensors[g->input].shape;
    json_t *shape = json_array();
    for (int i = 0; i < in->n; i++)
        json_array_append_new(shape, json_integer(in->d[i]));
    json_t *config = json_pack("{s:s, s:s, s:o, s:i, s:i, s:s, s:s, s:s}", "model", name, "dtype", "float32",
                               "input_shape", shape, "warmup", opt->warmup, "runs", (int)res->n_cycles, "result_dir",
                               dir, "backend", wp_backend_name(opt->backend), "onnx", opt->model ? opt->model : "");
    json_object_set_new(config, "threads", json_integer(opt->threads));
    /* "runs" above is the cycles measured; with a duration, at least
     * min_runs of them over at least duration seconds */
    if (opt->duration_s > 0) {
        json_object_set_new(config, "min_runs", json_integer(opt->runs));
        json_object_set_new(config, "duration", json_real(opt->duration_s));
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    double batch = in->n ? (double)in->d[0] : 1.0;
    json_t *root = json_object();
    json_object_set_new(root, "config", config);
    json_object_set_new(root, "total_time", json_real(res->total_s));
    json_object_set_new(root, "timestamp", json_string(stamp));
    json_object_set_new(root, "latencies", double_array(res->cycle_ms, res->n_cycles));
    json_object_set_new(root, "avg_latency", json_real(res->mean_cycle_ms));
    json_object_set_new(root, "avg_throughput", json_real(batch * 1000.0 / res->mean_cycle_ms));
    /* wattprof's additions: the whole-network reference without per-layer
     * timing, and how far the per-layer sum is from it. */
    json_object_set_new(root, "untimed_latencies", double_array(res->untimed_ms, res->n_cycles));
    json_object_set_new(root, "avg_untimed_latency", json_real(res->mean_untimed_ms));
    json_object_set_new(root, "avg_layer_latency_sum", json_real(res->mean_layer_sum_ms));
    json_object_set_new(root, "layer_sum_over_untimed",
                        json_real(res->mean_untimed_ms > 0 ? res->mean_layer_sum_ms / res->mean_untimed_ms : 0));
    /* Layers whose work another layer's primitive did (the cpu backend's
     * conv + batch-norm + activation fusion): layer -> the one that ran it.
     * Their latencies are the empty layer's, so readers can tell. */
    json_t *fused = json_object();
    for (size_t i = 0; res->fused_into && i < res->n_layers; i++)
        if (res->fused_into[i] >= 0)
            json_object_set_new(fused, res->names[i], json_string(res->names[res->fused_into[i]]));
    json_object_set_new(root, "fused_layers", fused);
    char *text = json_dumps(root, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return wp_fail(err, path, 0, "out of memory");
    int rc = wp_atomic_write_all(path, text, strlen(text), err);
    free(text);
    return rc;
}

int wp_bench_write(const wp_graph *g, const wp_bench_options *opt, const wp_bench_result *res, const char *dir,
                   const char *name, wp_error *err)
{
    if (!name[0] || strchr(name, '/'))
        return wp_fail(err, NULL, 0, "bad result name '%s'", name);
    char *mdir = wp_path_join(dir, name), *pdir = wp_path3(dir, name, WP_PROFILING_DIR);
    char *fname = malloc(strlen(name) + 20);
    char *lat = NULL, *win = NULL, *eng = NULL, *sum = NULL;
    int rc = -1;
    if (!mdir || !pdir || !fname)
        goto oom;
    snprintf(fname, strlen(name) + 20, "%s" WP_TENSORRT_JSON_SUFFIX, name);
    lat = wp_path_join(pdir, WP_LATENCY_JSON);
    win = wp_path_join(pdir, WP_LAYER_WINDOWS_CSV);
    eng = wp_path_join(pdir, WP_ENGINE_INFO_JSON);
    sum = wp_path_join(mdir, fname);
    if (!lat || !win || !eng || !sum)
        goto oom;
    if (wp_mkdirs(pdir, err))
        goto done;
    wp_latency l = {0};
    l.n_layers = res->n_layers;
    l.n_cycles = res->n_cycles;
    l.names = res->names;
    l.latency_ms = res->layer_ms;
    l.reported_us = res->end_local_us;
    if (wp_latency_write(lat, &l, err) || write_windows(win, res, err) ||
        wp_graph_write_engine_info(g, res->fused_into, res->cache_bytes, res->channel_block, eng, err) ||
        write_summary(sum, g, opt, res, dir, name, err))
        goto done;
    rc = 0;
    goto done;
oom:
    wp_fail(err, NULL, 0, "out of memory");
done:
    free(mdir);
    free(pdir);
    free(fname);
    free(lat);
    free(win);
    free(eng);
    free(sum);
    return rc;
}
