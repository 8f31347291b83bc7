/* Deterministic synthetic training data in the layout `wattprof dataset`
 * writes: DIR/<network>/{convolutional,pooling,dense}.csv with every
 * feature column of wp_feature_names (computed by wp_layer_features from
 * synthetic engine layers, as `dataset` does), then power (microwatts),
 * runtime (ms), layer_name. Power and runtime follow smooth functions of
 * the work plus pseudo-random noise from a fixed LCG, so a run is the same
 * on every machine; fx_write_extra adds rows of the other layer kinds
 * (test_every_layer, test_fusion). Shared by tests/test_model.c and bench/bench_train.c;
 * bench/reference/train_reference.py reads what this writes. */
#ifndef WATTPROF_TRAIN_FIXTURE_H
#define WATTPROF_TRAIN_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wattprof/atomic_file.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"

static unsigned long long fx_state;

static double fx_unit(void)
{
    fx_state = fx_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(fx_state >> 11) / 9007199254740992.0;
}

static long fx_pick(const long *v, int n)
{
    int i = (int)(fx_unit() * n);
    return v[i < n ? i : n - 1];
}

static void fx_dims(wp_dims *d, long n, long c, long h, long w)
{
    d->n = 4;
    d->d[0] = n;
    d->d[1] = c;
    d->d[2] = h;
    d->d[3] = w;
}

/* One synthetic layer of kind k; fills the engine layer and the truth. */
static void fx_layer(wp_layer_kind k, wp_engine_layer *L, double *power_uw, double *runtime_ms)
{
    static const long batch[] = {1, 1, 1, 2, 4};
    static const long chans[] = {3, 16, 24, 32, 64, 96, 128, 256, 512};
    static const long hw[] = {7, 14, 28, 56, 112, 224};
    static const long kern[] = {1, 3, 3, 5, 7};
    static const long str[] = {1, 1, 2};
    memset(L, 0, sizeof *L);
    L->kind = k;
    L->groups = 1;
    L->elem_bytes = 2;
    L->weights_count = -1;
    L->dilation[0] = L->dilation[1] = 1;
    long n = fx_pick(batch, 5), c = fx_pick(chans, 9), h = fx_pick(hw, 6);
    double noise = fx_unit() - 0.5, noise2 = fx_unit() - 0.5;
    if (k == WP_KIND_CONV) {
        L->type = (char *)"CaskConvolution";
        long kk = fx_pick(kern, 5), s = fx_pick(str, 3), co = fx_pick(chans + 1, 8), pad = kk / 2;
        long oh = (h + 2 * pad - kk) / s + 1;
        if (fx_unit() < 0.15) { /* depthwise */
            co = c;
            L->groups = c;
        }
        fx_dims(&L->input, n, c, h, h);
        fx_dims(&L->output, n, co, oh, oh);
        L->has_kernel = L->has_stride = L->has_padding = 1;
        L->kernel[0] = L->kernel[1] = kk;
        L->stride[0] = L->stride[1] = s;
        L->pre_padding[0] = L->pre_padding[1] = L->post_padding[0] = L->post_padding[1] = pad;
        L->out_maps = co;
        double macs = (double)n * co * oh * oh * (double)(c / L->groups) * kk * kk;
        *runtime_ms = 0.015 + macs * 1.5e-9 * (1 + 0.2 * noise) + (double)n * c * h * h * 4e-10;
        *power_uw = 2.8e6 + 3.5e5 * log1p(macs / 1e6) + 1.5e5 * noise2;
    } else if (k == WP_KIND_POOL) {
        L->type = (char *)"CaskPooling";
        long win = fx_unit() < 0.5 ? 2 : 3, s = 2;
        long oh = (h - win) / s + 1;
        fx_dims(&L->input, n, c, h, h);
        fx_dims(&L->output, n, c, oh, oh);
        L->has_window = L->has_stride = L->has_padding = 1;
        L->window[0] = L->window[1] = win;
        L->stride[0] = L->stride[1] = s;
        L->pooling_type = (char *)"MAX";
        double ops = (double)n * c * oh * oh * win * win;
        *runtime_ms = 0.008 + ops * 6e-10 * (1 + 0.2 * noise);
        *power_uw = 2.2e6 + 1.2e5 * log1p(ops / 1e5) + 1e5 * noise2;
    } else {
        static const long feat[] = {128, 256, 512, 1000, 1024, 2048, 4096};
        L->type = (char *)"CaskGemmConvolution";
        long ci = fx_pick(feat, 7), co = fx_pick(feat, 7);
        fx_dims(&L->input, n, ci, 1, 1);
        fx_dims(&L->output, n, co, 1, 1);
        L->has_kernel = L->has_stride = 1;
        L->kernel[0] = L->kernel[1] = 1;
        L->stride[0] = L->stride[1] = 1;
        L->out_maps = co;
        double macs = (double)n * ci * co;
        *runtime_ms = 0.01 + macs * 2e-9 * (1 + 0.2 * noise);
        *power_uw = 2.5e6 + 2e5 * log1p(macs / 1e6) + 1e5 * noise2;
    }
    L->n_inputs = L->n_outputs = 1;
    L->inputs = &L->input;
    L->outputs = &L->output;
}

/* n_train networks "net00".. plus the default test networks lenet,
 * resnet18, vgg16; per_kind[k] rows per network for conv, pool, dense
 * (0: no file for that kind). Returns 0, or -1 with err. */
static int fx_write(const char *dir, int n_train, const int per_kind[3], unsigned long long seed, wp_error *err)
{
    fx_state = seed;
    static const char *const tests[] = {"lenet", "resnet18", "vgg16"};
    for (int g = 0; g < n_train + 3; g++) {
        char name[32], path[4096];
        if (g < n_train)
            snprintf(name, sizeof name, "net%02d", g);
        else
            snprintf(name, sizeof name, "%s", tests[g - n_train]);
        for (int kk = 0; kk < 3; kk++) {
            wp_layer_kind k = (wp_layer_kind)(WP_KIND_CONV + kk);
            if (per_kind[kk] <= 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (wp_mkdirs(path, err))
                return -1;
            snprintf(path, sizeof path, "%s/%s/%s.csv", dir, name, wp_layer_kind_name(k));
            wp_atomic_file *af = wp_atomic_open(path, err);
            if (!af)
                return -1;
            FILE *fp = wp_atomic_stream(af);
            size_t nf;
            const char *const *names = wp_feature_names(k, &nf);
            for (size_t f = 0; f < nf; f++)
                fprintf(fp, "%s,", names[f]);
            fputs("power,runtime,layer_name\n", fp);
            for (int i = 0; i < per_kind[kk]; i++) {
                wp_engine_layer L;
                double pw, rt;
                fx_layer(k, &L, &pw, &rt);
                wp_feature_row row;
                if (wp_layer_features(&L, k, &row, err)) {
                    wp_atomic_abort(af);
                    return -1;
                }
                for (size_t f = 0; f < row.n; f++) {
                    wp_csv_put_double(fp, row.values[f]);
                    fputc(',', fp);
                }
                /* round like a measurement file would */
                fprintf(fp, "%.1f,%.6f,%s_layer%d\n", pw, rt, name, i);
            }
            if (wp_atomic_commit(af, err))
                return -1;
        }
    }
    return 0;
}

/* Rows of the generic features (wp_feature_names) for one of the kinds
 * beyond conv/pool/dense into DIR/NET/<kind>.csv (the folder must exist):
 * elements drawn log-uniform, runtime ~ bytes (x4 for a transcendental op)
 * with 10 % noise. -1 when the file cannot be written. */
static inline int fx_write_extra(const char *dir, const char *net, wp_layer_kind k, int rows)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.csv", dir, net, wp_layer_kind_name(k));
    size_t nf;
    const char *const *names = wp_feature_names(k, &nf);
    if (nf != 19) /* the row format below */
        return -1;
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    for (size_t f = 0; f < nf; f++)
        fprintf(fp, "%s,", names[f]);
    fputs("power,runtime,layer_name\n", fp);
    for (int i = 0; i < rows; i++) {
        double e = round(exp(log(1e3) + fx_unit() * log(1e3)));
        int inputs = k == WP_KIND_ELTWISE ? 2 : 1, trans = k == WP_KIND_SOFTMAX || (k == WP_KIND_ACT && i % 3 == 0);
        double ie = e * inputs, oe = e, we = k == WP_KIND_NORM ? 64 : 0;
        int view = k == WP_KIND_SHAPE && i % 2; /* a view moves no data: its time is the overhead */
        double rt = (2e-3 + (view ? 0 : 4e-6) * e * (1 + 3 * trans)) * (1 + 0.1 * (fx_unit() - 0.5));
        double pw = 1e6 * (1 + 0.2 * log10(e)) * (1 + 0.05 * (fx_unit() - 0.5));
        /* no cache known (network_bytes, cache_bytes 0): cold_start 1, and
         * crowding 1 whatever the layer count */
        fprintf(fp,
                "1,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d,%d,%.17g,%.17g,0,0,1,%d,1,%.1f,%.9f,%s_%s%d\n",
                inputs, ie, oe, we, ie > oe ? ie : oe, 4 * (ie + oe + we), 4 * ie, 4 * we, 4 * oe, trans, view,
                view ? 0 : 4 * ie, view ? 0 : 4 * oe, rows, pw, rt, net, wp_layer_kind_name(k), i);
    }
    return fclose(fp) == 0 ? 0 : -1;
}

/* fx_write for a test's main(), which cannot go on without its data:
 * 0, or non-zero after printing the error on stderr. */
static inline int fx_write_or_say(const char *dir, int n_train, const int per_kind[3], unsigned long long seed,
                                  wp_error *err)
{
    if (fx_write(dir, n_train, per_kind, seed, err) == 0)
        return 0;
    fprintf(stderr, "%s\n", err->msg);
    return 1;
}

/* Engine-info layers (TensorRT's engine inspector JSON) the predict tests
 * share: conv0, a 3x3 convolution of 64 channels at 28x28 from tensor "i"
 * into "a"; then pool0 (2x2 max pooling of tensor INPUT into "p"), a
 * Reformat no model covers, and fc0, a 1x1 convolution TensorRT ran as a
 * GEMM (a dense layer). */
#define FX_ENGINE_CONV0                                                                                                       \
    "{\"Name\": \"conv0\", \"LayerType\": \"CaskConvolution\", \"Inputs\": [{\"Name\": \"i\", \"Dimensions\": [1,64,28,28], " \
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"a\", \"Dimensions\": [1,64,28,28], " \
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"ParameterType\": \"Convolution\", \"Kernel\": [3,3], "        \
    "\"PaddingMode\": \"kEXPLICIT_ROUND_DOWN\", \"PrePadding\": [1,1], \"PostPadding\": [1,1], \"Stride\": [1,1], "           \
    "\"Dilation\": [1,1], \"OutMaps\": 64, \"Groups\": 1},\n"
#define FX_ENGINE_POOL_REFORMAT_FC0(input)                                                                                     \
    "{\"Name\": \"pool0\", \"LayerType\": \"CaskPooling\", \"Inputs\": [{\"Name\": \"" input                                   \
    "\", \"Dimensions\": [1,64,28,28], "                                                                                       \
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"p\", \"Dimensions\": [1,64,14,14], "  \
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"ParameterType\": \"Pooling\", \"PoolingType\": \"MAX\", "      \
    "\"WindowSize\": [2,2], \"Stride\": [2,2]},\n"                                                                             \
    "{\"Name\": \"reformat\", \"LayerType\": \"Reformat\", \"Inputs\": [{\"Name\": \"p\", \"Dimensions\": [1,64,14,14]}], "    \
    "\"Outputs\": [{\"Name\": \"q\", \"Dimensions\": [1,64,14,14]}]},\n"                                                       \
    "{\"Name\": \"fc0\", \"LayerType\": \"CaskGemmConvolution\", \"Inputs\": [{\"Name\": \"q\", \"Dimensions\": [1,512,1,1], " \
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"Outputs\": [{\"Name\": \"o\", \"Dimensions\": [1,1000,1,1], "  \
    "\"Format/Datatype\": \"Row major linear FP16 format\"}], \"ParameterType\": \"Convolution\", \"Kernel\": [1,1], "         \
    "\"Stride\": [1,1], \"OutMaps\": 1000, \"Groups\": 1}\n"

#endif
