/* simulate: synthetic raw datasets with known per-layer truth
 * (wattprof/simulate.h, docs/simulation.md), the ground truth the mapper's
 * tests and benchmarks measure against. */
#include "wattprof/simulate.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/idle.h"
#include "wattprof/latency.h"
#include "wattprof/layout.h"
#include "wattprof/timestamp.h"
#include "wattprof/trtexec.h"

/* ---- deterministic randomness: splitmix64 + Box-Muller ------------------ */

typedef struct rng {
    uint64_t s;
    int have_spare;
    double spare;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_uniform(r);
}

static double rng_gauss(rng *r)
{
    if (r->have_spare) {
        r->have_spare = 0;
        return r->spare;
    }
    double u1 = 1.0 - rng_uniform(r); /* (0, 1]: log never sees 0 */
    double u2 = rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(6.283185307179586 * u2);
    r->have_spare = 1;
    return rad * cos(6.283185307179586 * u2);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    r->s = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));
    r->have_spare = 0;
    rng_next(r);
}

void wp_sim_options_init(wp_sim_options *o)
{
    memset(o, 0, sizeof *o);
    o->n_layers = 20;
    o->n_cycles = 3000;
    o->sample_period_us = 1333;
    o->sample_jitter_us = 50;
    o->sensor_window_us = 1100;
    o->noise_uw = 5000;
    o->reporting = WP_SIM_TENSORRT;
    o->gap_us = 300;
    o->report_delay_us = 40;
    o->report_spacing_us = 3;
    o->latency_jitter = 0.03;
    o->idle_uw = 5000000;
    o->gap_power_uw = 250000;
    o->lead_us = 20000;
    o->seed = 1;
}

/* ---- architecture --------------------------------------------------------- */

static char *fmt_name(const char *fmt, const char *model, size_t i)
{
    char buf[256];
    snprintf(buf, sizeof buf, fmt, model, i);
    return strdup(buf);
}

static void set_shape(int64_t *d, int64_t c, int64_t h, int64_t w)
{
    d[0] = 1;
    d[1] = c;
    d[2] = h;
    d[3] = w;
}

static double elems(const int64_t *d)
{
    return (double)d[0] * (double)d[1] * (double)d[2] * (double)d[3];
}

/* Roughly a Jetson Nano: ~100 GMAC/s fp16, ~20 GB/s, and some 8 us to
 * launch and drain a kernel whatever it does. */
#define SIM_MACS_PER_US 1e5
#define SIM_BYTES_PER_US 2e4
#define SIM_LAUNCH_US 8.0

/* The layer's work: multiply-accumulates and bytes moved (fp16, 2 bytes
 * per element: input, output and the weights). */
static void layer_work(const wp_sim_layer *ly, double *macs, double *bytes)
{
    *macs = 0;
    *bytes = 2 * (elems(ly->in) + elems(ly->out));
    if (ly->kind == WP_KIND_CONV || ly->kind == WP_KIND_DENSE) {
        double cin_g = (double)ly->in[1] / (double)ly->groups;
        *macs = elems(ly->out) * cin_g * (double)(ly->kernel * ly->kernel);
        *bytes += 2 * (double)ly->out[1] * cin_g * (double)(ly->kernel * ly->kernel);
    } else if (ly->kind == WP_KIND_POOL) {
        *macs = elems(ly->out) * (double)(ly->kernel * ly->kernel) / 8;
    }
}

double wp_sim_layer_power_uw(const wp_sim_layer *ly)
{
    double macs, bytes;
    layer_work(ly, &macs, &bytes);
    if (ly->kind == WP_KIND_CONV) {
        /* arithmetic intensity (MACs per byte) decides how much of its
         * time the ALUs compute rather than wait for memory: half way to
         * the top at 30 MAC/B */
        double intensity = macs / bytes;
        return 1.2e6 + 3.5e6 * intensity / (intensity + 30);
    }
    /* Everything else is memory bound: a batch-1 dense layer streams its
     * weights once (about 0.5 MAC per byte for any shape, so intensity
     * cannot tell two apart), pooling and the rest stream their tensors.
     * What they draw follows the share of their time the memory system
     * (and the few ALU cycles) is busy rather than the fixed launch:
     * busy / (launch + busy), about the bandwidth reached over the peak,
     * which saturates towards 1 as the layer grows. */
    double busy = macs / SIM_MACS_PER_US + bytes / SIM_BYTES_PER_US;
    double u = busy / (SIM_LAUNCH_US + busy);
    switch (ly->kind) {
    case WP_KIND_DENSE: return 0.9e6 + 1.1e6 * u; /* GEMM kernel, SMs and DRAM */
    case WP_KIND_POOL: return 0.6e6 + 0.7e6 * u;
    default: return 0.4e6 + 0.5e6 * u; /* activation, elementwise, reformat: a copy */
    }
}

/* A simulated layer runs 10 us at least (launch and drain) and 2 ms at most. */
static double clamp_latency_us(double us)
{
    return us < 10 ? 10 : us > 2000 ? 2000 : us;
}

/* Latency and power from the layer's work (roofline-like latency; power
 * from wp_sim_layer_power_uw), each times a bounded random factor for what
 * the shape does not say (kernel choice, clocks, cache luck), so the
 * training data the simulated dataset yields has features that explain its
 * targets up to that factor. One draw each, latency's first: the order the
 * random stream has always had, so a seed's latencies do not depend on the
 * power model. */
static void cost_model(wp_sim_layer *ly, rng *r)
{
    double macs, bytes;
    layer_work(ly, &macs, &bytes);
    double lat = SIM_LAUNCH_US + macs / SIM_MACS_PER_US + bytes / SIM_BYTES_PER_US;
    ly->model_latency_us = clamp_latency_us(lat);
    ly->latency_us = round(clamp_latency_us(lat * rng_range(r, 0.8, 1.25)));
    ly->model_power_uw = wp_sim_layer_power_uw(ly);
    ly->power_uw = round(ly->model_power_uw * rng_range(r, WP_SIM_POWER_FACTOR_MIN, WP_SIM_POWER_FACTOR_MAX));
}

static int build_layers(wp_sim_run *run, const wp_sim_options *opt, rng *r, wp_error *err)
{
    size_t L = opt->n_layers;
    const char *m = run->model;
    int64_t c = 3, h = 224, w = 224;
    run->layers = calloc(L, sizeof *run->layers);
    if (!run->layers)
        return wp_fail(err, NULL, 0, "out of memory");
    for (size_t i = 0; i < L; i++) {
        wp_sim_layer *ly = &run->layers[i];
        set_shape(ly->in, c, h, w);
        ly->groups = 1;
        ly->stride = 1;
        ly->kernel = 1;
        double pick = rng_uniform(r);
        if (i == L - 1) { /* classifier */
            ly->kind = WP_KIND_DENSE;
            ly->type = "CaskGemmConvolution";
            set_shape(ly->in, c * h * w, 1, 1);
            set_shape(ly->out, 1000, 1, 1);
            ly->name = fmt_name("[MATRIX_MULTIPLY]-[%s/fc%zu]", m, i);
        } else if (i == L - 2) { /* global average pooling: window = whole map */
            ly->kind = WP_KIND_POOL;
            ly->type = "CaskPooling";
            ly->kernel = h;
            ly->stride = h;
            set_shape(ly->out, c, 1, 1);
            c = c * 1;
            h = w = 1;
            ly->name = fmt_name("[POOLING]-[%s/avgpool%zu]", m, i);
        } else if (i == 0) { /* stem */
            ly->kind = WP_KIND_CONV;
            ly->type = "CaskConvolution";
            ly->kernel = 7;
            ly->stride = 2;
            ly->pad = 3;
            c = 64;
            h = w = 112;
            set_shape(ly->out, c, h, w);
            ly->name = fmt_name("[CONVOLUTION]-[%s/conv%zu]", m, i);
        } else if (i == 1 || (pick < 0.1 && h > 7)) {
            ly->kind = WP_KIND_POOL;
            ly->type = "CaskPooling";
            ly->is_max = 1;
            ly->kernel = i == 1 ? 3 : 2;
            ly->stride = 2;
            ly->pad = i == 1 ? 1 : 0;
            h = (h + 2 * ly->pad - ly->kernel) / 2 + 1;
            w = h;
            set_shape(ly->out, c, h, w);
            ly->name = fmt_name("[POOLING]-[%s/maxpool%zu]", m, i);
        } else if (pick < 0.22) {
            ly->kind = WP_KIND_OTHER;
            int add = rng_uniform(r) < 0.6;
            ly->type = add ? "PointWiseV2" : "Reformat";
            set_shape(ly->out, c, h, w);
            ly->name = fmt_name(add ? "[ELEMENTWISE]-[%s/add%zu]" : "Reformatting CopyNode for %s/layer%zu", m, i);
        } else {
            ly->kind = WP_KIND_CONV;
            ly->type = "CaskConvolution";
            double k = rng_uniform(r);
            if (k < 0.1) { /* depthwise */
                ly->kernel = 3;
                ly->groups = c;
            } else {
                ly->kernel = k < 0.35 ? 1 : 3;
            }
            ly->pad = ly->kernel / 2;
            if (h > 7 && rng_uniform(r) < 0.18) {
                ly->stride = 2;
                h = (h + 2 * ly->pad - ly->kernel) / 2 + 1;
                w = h;
                if (ly->groups == 1 && c < 512)
                    c *= 2;
            }
            set_shape(ly->out, c, h, w);
            ly->name = fmt_name("[CONVOLUTION]-[%s/conv%zu]", m, i);
        }
        if (!ly->name)
            return wp_fail(err, NULL, 0, "out of memory");
        cost_model(ly, r);
        if (opt->layer_latency_us)
            ly->latency_us = ly->model_latency_us = opt->layer_latency_us[i];
        if (opt->layer_power_uw)
            ly->power_uw = ly->model_power_uw = opt->layer_power_uw[i];
    }
    return 0;
}

/* ---- the run -------------------------------------------------------------- */

int wp_sim_generate(const wp_sim_options *opt, const char *model, uint64_t model_index, wp_sim_run *run, wp_error *err)
{
    memset(run, 0, sizeof *run);
    size_t L = opt->n_layers, nc = opt->n_cycles;
    if (L < 3)
        return wp_fail(err, NULL, 0, "simulate: need at least 3 layers (conv, pool, dense)");
    if (nc < 1)
        return wp_fail(err, NULL, 0, "simulate: need at least 1 cycle");
    if (!(opt->sample_period_us >= 1) || !(opt->sensor_window_us >= 1) || !(opt->sample_jitter_us >= 0) ||
        !(opt->sample_jitter_us < opt->sample_period_us / 2))
        return wp_fail(err, NULL, 0,
                       "simulate: need sample period >= 1 us, sensor window >= 1 us, 0 <= jitter < period/2");
    if (!(opt->noise_uw >= 0) || !(opt->gap_us >= 0) || !(opt->latency_jitter >= 0) || !(opt->report_delay_us >= 0) ||
        !(opt->report_spacing_us >= 0) || !(opt->lead_us >= 0) || !(opt->sensor_lag_us >= 0) ||
        !(opt->inference_us >= 0) || !(opt->anchor_error_us >= 0))
        return wp_fail(err, NULL, 0, "simulate: noise, gap, delays and jitters must not be negative");
    rng r;
    rng_seed(&r, opt->seed, model_index);
    run->model = strdup(model);
    run->n_layers = L;
    run->n_cycles = nc;
    run->idle_uw = opt->idle_uw;
    run->gap_power_uw = opt->gap_power_uw;
    run->lat_us = malloc(L * nc * sizeof *run->lat_us);
    run->end_us = malloc(L * nc * sizeof *run->end_us);
    run->reported_us = malloc(L * nc * sizeof *run->reported_us);
    if (!run->model || !run->lat_us || !run->end_us || !run->reported_us) {
        wp_sim_run_free(run);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    if (build_layers(run, opt, &r, err) < 0) {
        wp_sim_run_free(run);
        return -1;
    }
    if (opt->inference_us > 0) {
        double sum = 0;
        for (size_t l = 0; l < L; l++)
            sum += run->layers[l].latency_us;
        for (size_t l = 0; l < L; l++) {
            double v = round(run->layers[l].latency_us * opt->inference_us / sum);
            run->layers[l].latency_us = v < 1 ? 1 : v;
            run->layers[l].model_latency_us *= opt->inference_us / sum;
        }
    }
    /* 2024-11-21 00:00:00 local civil time, one hour apart per model. */
    int64_t t = wp_days_from_civil(2024, 11, 21) * 86400LL * 1000000LL + (int64_t)model_index * 3600000000LL;
    int64_t log_start = t;
    t += (int64_t)llround(opt->lead_us);
    int64_t first_start = t;
    for (size_t c = 0; c < nc; c++) {
        if (c > 0)
            t += (int64_t)llround(opt->gap_us * rng_range(&r, 0.8, 1.2));
        for (size_t l = 0; l < L; l++) {
            double mean = run->layers[l].latency_us;
            double d = mean * (1 + opt->latency_jitter * rng_gauss(&r));
            if (d < 0.5 * mean)
                d = 0.5 * mean;
            int64_t di = (int64_t)llround(d);
            if (di < 1)
                di = 1;
            t += di;
            run->lat_us[l * nc + c] = di;
            run->end_us[l * nc + c] = t;
        }
        int64_t cycle_end = t;
        for (size_t l = 0; l < L; l++)
            run->reported_us[l * nc + c] =
                opt->reporting != WP_SIM_TENSORRT
                    ? run->end_us[l * nc + c]
                    : cycle_end + (int64_t)llround(opt->report_delay_us + (double)l * opt->report_spacing_us);
    }
    int64_t last_end = t;
    int64_t log_end = last_end + (int64_t)llround(opt->lead_us);
    (void)first_start;

    /* Sensor: sample k at log_start + (k+1) * period + jitter reports the mean
     * of the piecewise-constant power over [t - W, t]. The sweep walks the
     * cycles' segments with a cursor; sample windows only move forward. */
    double P = opt->sample_period_us, W = opt->sensor_window_us;
    size_t cap = (size_t)((double)(log_end - log_start) / P) + 2;
    run->samples = malloc(cap * sizeof *run->samples);
    if (!run->samples) {
        wp_sim_run_free(run);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    size_t cyc = 0; /* first cycle that may still overlap a window */
    for (size_t k = 0; k < cap; k++) {
        double tk = (double)(k + 1) * P + rng_range(&r, -opt->sample_jitter_us, opt->sample_jitter_us);
        int64_t ts = log_start + (int64_t)llround(tk);
        if (ts > log_end)
            break;
        double b = (double)ts - opt->sensor_lag_us, a = b - W;
        /* energy above idle inside [a, b] */
        double e = 0;
        while (cyc + 1 < nc && (double)(run->end_us[cyc + 1] - run->lat_us[cyc + 1]) <= a)
            cyc++;
        for (size_t c = cyc; c < nc; c++) {
            double cs = (double)(run->end_us[c] - run->lat_us[c]);
            if (cs >= b)
                break;
            for (size_t l = 0; l < L; l++) {
                double se = (double)run->end_us[l * nc + c], ss = se - (double)run->lat_us[l * nc + c];
                double lo = ss > a ? ss : a, hi = se < b ? se : b;
                if (hi > lo)
                    e += (hi - lo) * run->layers[l].power_uw;
            }
            if (c + 1 < nc) { /* gap after this cycle */
                double gs = (double)run->end_us[(L - 1) * nc + c];
                double ge = (double)(run->end_us[c + 1] - run->lat_us[c + 1]);
                double lo = gs > a ? gs : a, hi = ge < b ? ge : b;
                if (hi > lo)
                    e += (hi - lo) * opt->gap_power_uw;
            }
        }
        double p = opt->idle_uw + e / W;
        if (opt->noise_uw > 0)
            p += opt->noise_uw * rng_gauss(&r);
        run->samples[run->n_samples].t_us = ts;
        run->samples[run->n_samples].power_uw = p;
        run->n_samples++;
    }
    return 0;
}

void wp_sim_run_free(wp_sim_run *run)
{
    if (!run)
        return;
    if (run->layers)
        for (size_t i = 0; i < run->n_layers; i++)
            free(run->layers[i].name);
    free(run->layers);
    free(run->model);
    free(run->lat_us);
    free(run->end_us);
    free(run->reported_us);
    free(run->samples);
    memset(run, 0, sizeof *run);
}

double wp_sim_mean_latency_ms(const wp_sim_run *run, size_t l)
{
    int64_t sum = 0;
    for (size_t c = 0; c < run->n_cycles; c++)
        sum += run->lat_us[l * run->n_cycles + c];
    return (double)sum / (double)run->n_cycles / 1000.0;
}

/* ---- writers -------------------------------------------------------------- */

static int write_json(const char *path, json_t *doc, wp_error *err)
{
    if (!doc)
        return wp_fail(err, path, 0, "out of memory");
    char *text = json_dumps(doc, JSON_INDENT(4) | JSON_REAL_PRECISION(17));
    json_decref(doc);
    if (!text)
        return wp_fail(err, path, 0, "out of memory");
    size_t len = strlen(text);
    text[len] = '\0';
    int rc = wp_atomic_write_all(path, text, len, err);
    free(text);
    return rc;
}

static json_t *dims_json(const int64_t *d)
{
    json_t *a = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(a, json_integer(d[i]));
    return a;
}

static json_t *pair_json(int64_t v)
{
    json_t *a = json_array();
    json_array_append_new(a, json_integer(v));
    json_array_append_new(a, json_integer(v));
    return a;
}

static json_t *tensor_json(const char *name, const int64_t *d)
{
    json_t *arr = json_array();
    json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s}", "Name", name, "Location", "Device", "Dimensions",
                                         dims_json(d), "Format/Datatype",
                                         "Channel major FP16 format where channel % 8 == 0"));
    return arr;
}

static int write_engine(const char *path, const wp_sim_run *run, wp_error *err)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < run->n_layers; i++) {
        const wp_sim_layer *ly = &run->layers[i];
        char in_name[300], out_name[300];
        if (i == 0)
            snprintf(in_name, sizeof in_name, "input");
        else
            snprintf(in_name, sizeof in_name, "%s_output", run->layers[i - 1].name);
        snprintf(out_name, sizeof out_name, "%s_output", ly->name);
        json_t *o = json_object();
        json_object_set_new(o, "Name", json_string(ly->name));
        json_object_set_new(o, "LayerType", json_string(ly->type));
        json_object_set_new(o, "Inputs", tensor_json(in_name, ly->in));
        json_object_set_new(o, "Outputs", tensor_json(out_name, ly->out));
        if (ly->kind == WP_KIND_CONV || ly->kind == WP_KIND_DENSE) {
            json_object_set_new(o, "ParameterType", json_string("Convolution"));
            json_object_set_new(o, "Kernel", pair_json(ly->kernel));
            json_object_set_new(o, "PaddingMode", json_string("kEXPLICIT_ROUND_DOWN"));
            json_object_set_new(o, "PrePadding", pair_json(ly->pad));
            json_object_set_new(o, "PostPadding", pair_json(ly->pad));
            json_object_set_new(o, "Stride", pair_json(ly->stride));
            json_object_set_new(o, "Dilation", pair_json(1));
            json_object_set_new(o, "OutMaps", json_integer(ly->out[1]));
            json_object_set_new(o, "Groups", json_integer(ly->groups));
            json_object_set_new(o, "Activation", json_string(ly->kind == WP_KIND_CONV ? "RELU" : "NONE"));
        } else if (ly->kind == WP_KIND_POOL) {
            json_object_set_new(o, "ParameterType", json_string("Pooling"));
            json_object_set_new(o, "PoolingType", json_string(ly->is_max ? "MAX" : "AVERAGE"));
            json_object_set_new(o, "WindowSize", pair_json(ly->kernel));
            json_object_set_new(o, "PaddingMode", json_string("kEXPLICIT_ROUND_DOWN"));
            json_object_set_new(o, "PrePadding", pair_json(ly->pad));
            json_object_set_new(o, "PostPadding", pair_json(ly->pad));
            json_object_set_new(o, "Stride", pair_json(ly->stride));
        }
        json_object_set_new(o, "StreamId", json_integer(0));
        json_object_set_new(o, "Metadata", json_string(""));
        json_array_append_new(layers, o);
    }
    json_t *doc = json_pack("{s:o, s:[s,s]}", "Layers", layers, "Bindings", "input", "output0");
    return write_json(path, doc, err);
}

static int write_tensorrt(const char *path, const wp_sim_run *run, wp_error *err)
{
    json_t *lats = json_array();
    double total = 0;
    for (size_t c = 0; c < run->n_cycles; c++) {
        int64_t sum = 0;
        for (size_t l = 0; l < run->n_layers; l++)
            sum += run->lat_us[l * run->n_cycles + c];
        double ms = (double)sum / 1000.0;
        total += ms;
        json_array_append_new(lats, json_real(ms));
    }
    double avg = total / (double)run->n_cycles;
    json_t *doc = json_pack("{s:{s:s, s:s, s:[i,i,i,i], s:i, s:i, s:s}, s:f, s:s, s:o, s:f, s:f}", "config", "model",
                            run->model, "dtype", "float16", "input_shape", 1, 3, 224, 224, "warmup", 0, "runs",
                            (json_int_t)run->n_cycles, "result_dir", "raw_data", "total_time", total, "timestamp",
                            "20241121-000000", "latencies", lats, "avg_latency", avg, "avg_throughput", 1000.0 / avg);
    return write_json(path, doc, err);
}

static int write_powerlog(const char *path, const wp_sim_run *run, wp_error *err)
{
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    FILE *fp = wp_atomic_stream(af);
    char line[WP_POWERLOG_LINE_MAX];
    /* The logger writes voltage and current; a fixed 5 V rail keeps
     * voltage x current equal to the simulated power (to the last bit). */
    for (size_t i = 0; i < run->n_samples; i++) {
        size_t n = wp_powerlog_format_line(line, run->samples[i].t_us, 5000.0, run->samples[i].power_uw / 5000.0);
        fwrite(line, 1, n, fp);
    }
    return wp_atomic_commit(af, err);
}

static int write_latency(const char *path, const wp_sim_run *run, wp_error *err)
{
    size_t L = run->n_layers, nc = run->n_cycles;
    wp_latency lat = {0};
    lat.n_layers = L;
    lat.n_cycles = nc;
    lat.names = malloc(L * sizeof *lat.names);
    lat.latency_ms = malloc(L * nc * sizeof *lat.latency_ms);
    if (!lat.names || !lat.latency_ms) {
        free(lat.names);
        free(lat.latency_ms);
        return wp_fail(err, path, 0, "out of memory");
    }
    for (size_t l = 0; l < L; l++)
        lat.names[l] = run->layers[l].name;
    for (size_t k = 0; k < L * nc; k++)
        lat.latency_ms[k] = (double)run->lat_us[k] / 1000.0;
    lat.reported_us = run->reported_us;
    int rc = wp_latency_write(path, &lat, err);
    free(lat.names);
    free(lat.latency_ms);
    return rc;
}

/* trtexec's clock zero: its process start, some 5 s (engine loading,
 * warm-up) before the first timed inference. */
#define TRTEXEC_LEAD_US 5000000

static int64_t trtexec_zero(const wp_sim_run *run)
{
    return run->end_us[0] - run->lat_us[0] - TRTEXEC_LEAD_US;
}

/* trtexec prints its floats with C++'s default 6 significant digits: 0.01
 * ms resolution below 10 s, 0.1 ms from 10 s on. */
static void put_ms(FILE *fp, const char *key, double ms, const char *sep)
{
    fprintf(fp, "\"%s\" : %.6g%s", key, ms, sep);
}

static int write_trtexec_times(const char *path, const wp_sim_run *run, double gap_us, wp_error *err)
{
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    FILE *fp = wp_atomic_stream(af);
    size_t L = run->n_layers, nc = run->n_cycles;
    double z = (double)trtexec_zero(run), io = gap_us / 2 / 1000.0;
    fputs("[\n", fp);
    for (size_t c = 0; c < nc; c++) {
        double s = ((double)(run->end_us[c] - run->lat_us[c]) - z) / 1000.0;
        double e = ((double)run->end_us[(L - 1) * nc + c] - z) / 1000.0;
        fputs(c ? ", { " : "  { ", fp);
        put_ms(fp, "startEnqMs", s - io, ", ");
        put_ms(fp, "endEnqMs", s - io / 2, ", ");
        put_ms(fp, "startH2dMs", s - io, ", ");
        put_ms(fp, "endH2dMs", s, ", ");
        put_ms(fp, "startComputeMs", s, ", ");
        put_ms(fp, "endComputeMs", e, ", ");
        put_ms(fp, "startD2hMs", e, ", ");
        put_ms(fp, "endD2hMs", e + io, ", ");
        put_ms(fp, "h2dMs", io, ", ");
        put_ms(fp, "computeMs", e - s, ", ");
        put_ms(fp, "d2hMs", io, ", ");
        put_ms(fp, "latencyMs", e - s + 2 * io, " }\n");
    }
    fputs("]\n", fp);
    return wp_atomic_commit(af, err);
}

static int write_trtexec_profile(const char *path, const wp_sim_run *run, wp_error *err)
{
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    FILE *fp = wp_atomic_stream(af);
    double total = 0;
    for (size_t l = 0; l < run->n_layers; l++)
        total += wp_sim_mean_latency_ms(run, l);
    fprintf(fp, "[\n  { \"count\" : %zu }\n", run->n_cycles);
    for (size_t l = 0; l < run->n_layers; l++) {
        double avg = wp_sim_mean_latency_ms(run, l);
        fprintf(fp, ", { \"name\" : \"%s\", ", run->layers[l].name);
        put_ms(fp, "timeMs", avg * (double)run->n_cycles, ", ");
        put_ms(fp, "averageMs", avg, ", ");
        put_ms(fp, "medianMs", avg, ", ");
        fprintf(fp, "\"percentage\" : %.6g }\n", avg / total * 100);
    }
    fputs("]\n", fp);
    return wp_atomic_commit(af, err);
}

static int write_trtexec(const char *model_dir, const wp_sim_run *run, const wp_sim_options *opt, wp_error *err)
{
    char *times = wp_path_join(model_dir, WP_TRTEXEC_TIMES), *profile = wp_path_join(model_dir, WP_TRTEXEC_PROFILE);
    char *info = wp_path_join(model_dir, WP_RUN_INFO_JSON);
    char *argv[] = {"trtexec",
                    "--onnx=model.onnx",
                    "--exportProfile=profile.json",
                    "--exportTimes=times.json",
                    "--exportLayerInfo=layers.json",
                    "--separateProfileRun",
                    NULL};
    int64_t zero = trtexec_zero(run);
    int64_t end = run->end_us[run->n_layers * run->n_cycles - 1] + 100000;
    int rc = -1;
    if (!times || !profile || !info)
        wp_fail(err, NULL, 0, "out of memory");
    else if (write_trtexec_times(times, run, opt->gap_us, err) >= 0 && write_trtexec_profile(profile, run, err) >= 0)
        rc = wp_run_info_write(info, argv, zero - (int64_t)llround(opt->anchor_error_us), end, 0, err);
    free(times);
    free(profile);
    free(info);
    return rc;
}

/* RAW/<name>/: the power log, the benchmark's summary (or trtexec's
 * files) and trt_profiling/'s latency and engine files. */
static int write_model(const char *out_dir, const char *name, const wp_sim_run *run, const wp_sim_options *opt,
                       wp_error *err)
{
    char *dir = wp_path_join(out_dir, name);
    char *prof = dir ? wp_path_join(dir, WP_PROFILING_DIR) : NULL;
    char *lat = wp_layout_profiling_file(dir, WP_LATENCY_JSON),
         *eng = wp_layout_profiling_file(dir, WP_ENGINE_INFO_JSON);
    char *log = wp_layout_model_file(dir, name, WP_POWER_LOG_SUFFIX);
    char *trt = wp_layout_model_file(dir, name, WP_TENSORRT_JSON_SUFFIX);
    int rc = -1;
    if (!dir || !prof || !lat || !eng || !log || !trt)
        wp_fail(err, NULL, 0, "out of memory");
    else if (wp_mkdirs(prof, err) >= 0 && (opt->reporting == WP_SIM_TRTEXEC || write_latency(lat, run, err) >= 0) &&
             write_engine(eng, run, err) >= 0 && write_powerlog(log, run, err) >= 0)
        rc = opt->reporting == WP_SIM_TRTEXEC ? write_trtexec(dir, run, opt, err) : write_tensorrt(trt, run, err);
    free(dir);
    free(prof);
    free(lat);
    free(eng);
    free(log);
    free(trt);
    return rc < 0 ? -1 : 0;
}

static int valid_model_name(const char *m)
{
    if (!*m || strcmp(m, ".") == 0 || strcmp(m, "..") == 0)
        return 0;
    for (const char *p = m; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 32)
            return 0;
    return 1;
}

int wp_simulate(const char *out_dir, const wp_sim_options *opt, const char *const *models, size_t n_models,
                wp_error *err)
{
    char *path = NULL;
    if (n_models == 0)
        return wp_fail(err, NULL, 0, "simulate: no models");
    for (size_t m = 0; m < n_models; m++) {
        if (!valid_model_name(models[m]))
            return wp_fail(err, NULL, 0, "simulate: bad model name '%s'", models[m]);
        for (size_t k = 0; k < m; k++)
            if (strcmp(models[k], models[m]) == 0)
                return wp_fail(err, NULL, 0, "simulate: model '%s' named twice", models[m]);
    }
    if (wp_mkdirs(out_dir, err) < 0)
        return -1;
    json_t *truth_models = json_object();
    for (size_t m = 0; m < n_models; m++) {
        const char *name = models[m];
        wp_sim_run run;
        if (wp_sim_generate(opt, name, m, &run, err) < 0)
            goto fail;
        int rc = write_model(out_dir, name, &run, opt, err);
        if (rc == 0) {
            json_t *layers = json_array();
            for (size_t l = 0; l < run.n_layers; l++)
                json_array_append_new(layers, json_pack("{s:s, s:s, s:f, s:f, s:f, s:f}", "name", run.layers[l].name,
                                                        "type", run.layers[l].type, "power_uw", run.layers[l].power_uw,
                                                        "latency_ms", wp_sim_mean_latency_ms(&run, l), "model_power_uw",
                                                        run.layers[l].model_power_uw, "model_latency_ms",
                                                        run.layers[l].model_latency_us / 1000.0));
            json_object_set_new(truth_models, name,
                                json_pack("{s:f, s:o}", "gap_power_uw", run.gap_power_uw, "layers", layers));
        }
        wp_sim_run_free(&run);
        if (rc < 0)
            goto fail;
    }
    path = wp_path_join(out_dir, WP_IDLE_JSON);
    if (!path) {
        wp_fail(err, NULL, 0, "out of memory");
        goto fail;
    }
    if (wp_idle_write(path, "20241121-000000", opt->idle_uw, err) < 0)
        goto fail;
    free(path);
    json_t *truth = json_pack(
        "{s:s, s:f, s:{s:I, s:I, s:f, s:f, s:f, s:f, s:s, s:f, s:f, s:f, s:I}, s:o}", "description",
        "wattprof simulate ground truth: per layer, power above idle (uW) and realised mean latency (ms); "
        "model_*: the same from the layer's shape alone, before its random factors",
        "idle_power_uw", opt->idle_uw, "options", "layers", (json_int_t)opt->n_layers, "cycles",
        (json_int_t)opt->n_cycles, "sample_period_us", opt->sample_period_us, "sample_jitter_us", opt->sample_jitter_us,
        "sensor_window_us", opt->sensor_window_us, "noise_uw", opt->noise_uw, "reporting",
        wp_sim_reporting_name(opt->reporting), "gap_us", opt->gap_us, "report_delay_us", opt->report_delay_us,
        "latency_jitter", opt->latency_jitter, "seed", (json_int_t)opt->seed, "models", truth_models);
    truth_models = NULL;
    /* only when set, so datasets without a lag keep their bytes */
    if (truth && opt->reporting == WP_SIM_TRTEXEC)
        json_object_set_new(json_object_get(truth, "options"), "anchor_error_us", json_real(opt->anchor_error_us));
    if (truth && opt->inference_us > 0)
        json_object_set_new(json_object_get(truth, "options"), "inference_us", json_real(opt->inference_us));
    if (truth && opt->sensor_lag_us != 0)
        json_object_set_new(json_object_get(truth, "options"), "sensor_lag_us", json_real(opt->sensor_lag_us));
    path = wp_path_join(out_dir, WP_TRUTH_JSON);
    if (!path) {
        json_decref(truth);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    int rc = write_json(path, truth, err);
    free(path);
    return rc;
fail:
    free(path);
    json_decref(truth_models);
    return -1;
}

const char *wp_sim_reporting_name(wp_sim_reporting r)
{
    return r == WP_SIM_TENSORRT ? "tensorrt" : r == WP_SIM_TRTEXEC ? "trtexec" : "ideal";
}

void wp_sim_reconstructed_windows(const wp_sim_run *run, int64_t origin_us, double *start, double *end)
{
    size_t L = run->n_layers, nc = run->n_cycles;
    for (size_t c = 0; c < nc; c++) {
        int64_t t = run->reported_us[c];
        for (size_t l = 0; l < L; l++)
            if (run->reported_us[l * nc + c] < t)
                t = run->reported_us[l * nc + c];
        for (size_t l = L; l-- > 0;) {
            end[l * nc + c] = (double)(t - origin_us);
            t -= run->lat_us[l * nc + c];
            start[l * nc + c] = (double)(t - origin_us);
        }
    }
}
