/* dataset: statistics, features, training CSVs, the CLI and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "wattprof/idle.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"

#define MAPPING_HEADER                                                                                                 \
    "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"                                         \
    "layer_power_excluding_idle_power_micro_watt,layer_run_time\n"

static const char *fmt(double v)
{
    static char ring[8][WP_DOUBLE_BUFSZ];
    static int k;
    char *b = ring[k++ % 8];
    if (isnan(v))
        strcpy(b, "");
    else
        wp_format_double(v, b);
    return b;
}

static int starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- statistics ---------------------------------------------------------- */

static void test_describe(void)
{
    wp_describe_stats s;
    /* Upstream's describe() of these (checked with numpy): */
    double rt[] = {0.1, 0.08, 0.08, 0.08};
    CHECK_INT(wp_describe(rt, 4, &s), 0);
    CHECK_STR(fmt(s.count), "4.0");
    CHECK_STR(fmt(s.mean), "0.085");
    CHECK_STR(fmt(s.std), "0.010000000000000004");
    CHECK_STR(fmt(s.min), "0.08");
    CHECK_STR(fmt(s.q25), "0.08");
    CHECK_STR(fmt(s.q50), "0.08");
    CHECK_STR(fmt(s.q75), "0.085");
    CHECK_STR(fmt(s.max), "0.1");

    /* Linear quantiles between order statistics. */
    double ten[] = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    wp_describe(ten, 10, &s);
    CHECK_STR(fmt(s.q25), "3.25");
    CHECK_STR(fmt(s.q50), "5.5");
    CHECK_STR(fmt(s.q75), "7.75");
    CHECK_STR(fmt(s.std), "3.0276503540974917"); /* sample (n - 1) std */

    /* Missing values are skipped; one value has no std; none has nothing. */
    double gaps[] = {NAN, 5, NAN, 4};
    wp_describe(gaps, 4, &s);
    CHECK_STR(fmt(s.count), "2.0");
    CHECK_STR(fmt(s.mean), "4.5");
    CHECK_STR(fmt(s.std), "0.7071067811865476");
    CHECK_STR(fmt(s.q25), "4.25");
    double one[] = {NAN, 5};
    wp_describe(one, 2, &s);
    CHECK_STR(fmt(s.count), "1.0");
    CHECK_STR(fmt(s.mean), "5.0");
    CHECK(isnan(s.std));
    CHECK_STR(fmt(s.q75), "5.0");
    double none[] = {NAN, NAN};
    wp_describe(none, 2, &s);
    CHECK_STR(fmt(s.count), "0.0");
    CHECK(isnan(s.mean) && isnan(s.std) && isnan(s.min) && isnan(s.q50) && isnan(s.max));
    wp_describe(none, 0, &s);
    CHECK_STR(fmt(s.count), "0.0");
    /* Issue 13: finite values near DBL_MAX overflowed the sums to inf. */
    double huge[] = {1e308, 1e308, NAN, 1e308};
    CHECK_INT(wp_describe(huge, 4, &s), 0);
    CHECK_NEAR(s.mean, 1e308, 1e-15);
    CHECK(isfinite(s.std) && s.std == 0);
    CHECK_NEAR(wp_group_mean(huge, 4), 1e308, 1e-15);
    double spread[] = {-1e308, 1e308, 1e308, -1e308};
    CHECK_INT(wp_describe(spread, 4, &s), 0);
    CHECK(isfinite(s.mean) && fabs(s.mean) < 1e292);
    CHECK_NEAR(s.std, 1e308 * sqrt(4.0 / 3.0), 1e-12);
    CHECK(isfinite(s.q25) && isfinite(s.q50) && isfinite(s.q75));
    CHECK(fabs(s.q50) < 1e292);
    CHECK(isfinite(wp_group_mean(spread, 4)));

    /* numpy's pairwise summation, not a running sum: these means differ in
     * the last bit between the two (values from numpy). */
    double v50[50], v129[129];
    for (int i = 0; i < 50; i++)
        v50[i] = ((i * 7) % 13) * 0.7 + 0.01 * i;
    for (int i = 0; i < 129; i++)
        v129[i] = ((i * 7) % 13) * 0.3 + 0.01 * i;
    wp_describe(v50, 50, &s);
    CHECK_STR(fmt(s.mean), "4.361");
    CHECK_STR(fmt(s.std), "2.644680645046905");
    wp_describe(v129, 129, &s);
    CHECK_STR(fmt(s.mean), "2.44");
    CHECK_STR(fmt(s.std), "1.2091706868759264");

    /* Beyond 8192 values numpy sums through its buffer chunk by chunk. */
    size_t nbig = 30000;
    double *big = malloc(nbig * sizeof *big);
    for (size_t i = 0; i < nbig; i++)
        big[i] = (double)((i * 7) % 13) * 0.7 + 0.01 * (double)i;
    wp_describe(big, nbig, &s);
    CHECK_STR(fmt(s.mean), "154.19476666666668");
    CHECK_STR(fmt(s.std), "86.64374263124907");
    for (size_t i = 0; i < nbig; i += 3)
        big[i] = NAN; /* missing values count as zeros in the sums, as in pandas */
    wp_describe(big, nbig, &s);
    CHECK_STR(fmt(s.count), "20000.0");
    CHECK_STR(fmt(s.mean), "154.19989500000003");
    CHECK_STR(fmt(s.std), "86.64460451155354");
    free(big);

    CHECK_NEAR(wp_group_mean(v50, 50), 4.361, 1e-15);
    CHECK_NEAR(wp_group_mean(gaps, 4), 4.5, 0);
    CHECK(isnan(wp_group_mean(none, 2)));
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Order statistics against qsort on many shapes (ties, sorted, reversed). */
static void test_quantiles_vs_qsort(void)
{
    unsigned seed = 7;
    int bad = 0;
    for (int t = 0; t < 400; t++) {
        size_t n = 1 + (size_t)(t * 37 % 700);
        double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            switch (t % 4) {
            case 0: v[i] = (double)((seed >> 16) % 5); break;        /* many ties */
            case 1: v[i] = (double)i; break;                         /* sorted */
            case 2: v[i] = (double)(n - i); break;                   /* reversed */
            default: v[i] = (double)(seed >> 8) / 16777216.0; break; /* random */
            }
            w[i] = v[i];
        }
        qsort(w, n, sizeof *w, cmp_dbl);
        wp_describe_stats s;
        wp_describe(v, n, &s);
        double qs[3] = {0.25, 0.5, 0.75}, got[3] = {s.q25, s.q50, s.q75};
        for (int k = 0; k < 3; k++) {
            double vi = qs[k] * (double)(n - 1);
            size_t lo = (size_t)vi;
            double g = vi - (double)lo;
            double want = lo + 1 < n
                              ? (g >= 0.5 ? w[lo + 1] - (w[lo + 1] - w[lo]) * (1 - g) : w[lo] + (w[lo + 1] - w[lo]) * g)
                              : w[n - 1];
            bad += got[k] != want;
        }
        bad += s.min != w[0] || s.max != w[n - 1];
        free(v);
        free(w);
    }
    CHECK_INT(bad, 0);
}

/* ---- features ------------------------------------------------------------ */

static wp_engine_layer make_layer(const char *type, int64_t in0, int64_t in1, int64_t in2, int64_t in3, int64_t o0,
                                  int64_t o1, int64_t o2, int64_t o3)
{
    wp_engine_layer l;
    memset(&l, 0, sizeof l);
    l.name = (char *)"L";
    l.type = (char *)type;
    l.kind = wp_layer_kind_from_type(type);
    l.input.n = in2 ? 4 : 2;
    l.input.d[0] = in0;
    l.input.d[1] = in1;
    l.input.d[2] = in2;
    l.input.d[3] = in3;
    l.output.n = o2 ? 4 : 2;
    l.output.d[0] = o0;
    l.output.d[1] = o1;
    l.output.d[2] = o2;
    l.output.d[3] = o3;
    l.n_inputs = l.n_outputs = 1;
    l.groups = 1;
    return l;
}

#define FEAT(row, name) wp_feature_get(&(row), name)

static void test_features(void)
{
    wp_feature_row r;
    wp_error err;

    /* Convolution: padding is pre + post per axis. */
    wp_engine_layer c = make_layer("CaskConvolution", 2, 8, 32, 30, 2, 16, 16, 15);
    c.has_kernel = 1;
    c.kernel[0] = 3;
    c.kernel[1] = 5;
    c.has_padding = 1;
    c.pre_padding[0] = 1;
    c.post_padding[0] = 2;
    c.pre_padding[1] = 0;
    c.post_padding[1] = 3;
    c.has_stride = 1;
    c.stride[0] = c.stride[1] = 2;
    c.groups = 4;
    c.elem_bytes = 2;
    CHECK_INT(wp_layer_features(&c, WP_KIND_CONV, &r, &err), 0);
    CHECK_INT(r.n, 34);
    CHECK_STR(r.names[0], "batch_size");
    CHECK_STR(r.names[12], "stride_1");
    CHECK_INT(FEAT(r, "batch_size"), 2);
    CHECK_INT(FEAT(r, "input_size_0"), 8);
    CHECK_INT(FEAT(r, "input_size_2"), 30);
    CHECK_INT(FEAT(r, "output_size_0"), 16);
    CHECK_INT(FEAT(r, "output_size_2"), 15);
    CHECK_INT(FEAT(r, "kernel_0"), 3);
    CHECK_INT(FEAT(r, "kernel_1"), 5);
    CHECK_INT(FEAT(r, "padding_0"), 3);
    CHECK_INT(FEAT(r, "padding_1"), 3);
    CHECK_INT(FEAT(r, "stride_0"), 2);
    CHECK_INT(FEAT(r, "dilation_0"), 1); /* absent -> 1 */
    CHECK_INT(FEAT(r, "groups"), 4);
    /* 2*16*16*15 outputs, each (8/4)*3*5 multiply-accumulates. */
    CHECK_INT(FEAT(r, "macs"), 2 * 16 * 16 * 15 * 2 * 15);
    CHECK_INT(FEAT(r, "bytes"), 2 * (2 * 8 * 32 * 30 + 2 * 16 * 16 * 15 + 16 * 2 * 15));
    CHECK_INT(FEAT(r, "in_bytes"), 2 * 2 * 8 * 32 * 30);
    CHECK_INT(FEAT(r, "weight_bytes"), 2 * 16 * 2 * 15);
    CHECK_INT(FEAT(r, "out_bytes"), 2 * 2 * 16 * 16 * 15);
    CHECK_NEAR(FEAT(r, "intensity"), FEAT(r, "macs") / FEAT(r, "bytes"), 1e-15);
    /* the window's taps per output element, not the channels per group */
    CHECK_INT(FEAT(r, "taps"), 2 * 16 * 16 * 15 * 15);
    /* the channel block unknown: no rounding */
    CHECK_INT(FEAT(r, "channel_block"), 0);
    CHECK_INT(FEAT(r, "padded_macs"), FEAT(r, "macs"));
    CHECK_INT(FEAT(r, "padded_taps"), FEAT(r, "taps"));
    CHECK(isnan(FEAT(r, "no_such_feature")));

    c.has_kernel = 0;
    CHECK_INT(wp_layer_features(&c, WP_KIND_CONV, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "no Kernel");
    c.has_kernel = 1;
    c.input.n = 3;
    CHECK_INT(wp_layer_features(&c, WP_KIND_CONV, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "4-D");
    c.input.n = 4;
    c.output.d[2] = -1;
    CHECK_INT(wp_layer_features(&c, WP_KIND_CONV, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "dynamic");
    c.output.d[2] = 16;
    /* Issue 13: PrePadding INT64_MAX + PostPadding 1 overflowed. */
    c.has_padding = 1;
    c.pre_padding[0] = INT64_MAX;
    c.post_padding[0] = 1;
    CHECK_INT(wp_layer_features(&c, WP_KIND_CONV, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "value out of range: convolution PrePadding");
    c.pre_padding[0] = c.post_padding[0] = 0;

    /* Pooling: the kernel is WindowSize, not the input size. */
    wp_engine_layer p = make_layer("CaskPooling", 1, 64, 55, 55, 1, 64, 27, 27);
    p.has_window = 1;
    p.window[0] = p.window[1] = 3;
    p.has_stride = 1;
    p.stride[0] = p.stride[1] = 2;
    CHECK_INT(wp_layer_features(&p, WP_KIND_POOL, &r, &err), 0);
    CHECK_INT(r.n, 24);
    CHECK_STR(r.names[10], "stride_1");
    CHECK_INT(FEAT(r, "kernel_0"), 3);
    CHECK_INT(FEAT(r, "kernel_1"), 3);
    CHECK_INT(FEAT(r, "stride_0"), 2);
    CHECK_INT(FEAT(r, "input_size_1"), 55);
    CHECK_INT(FEAT(r, "output_size_2"), 27);
    CHECK_INT(FEAT(r, "global_pooling"), 0);
    CHECK_INT(FEAT(r, "ops"), 64 * 27 * 27 * 9);
    CHECK_INT(FEAT(r, "bytes"), 2 * (64 * 55 * 55 + 64 * 27 * 27)); /* unknown type -> FP16 */
    CHECK(wp_feature_index(WP_KIND_POOL, "padding_0") > wp_feature_index(WP_KIND_POOL, "stride_1"));
    p.has_padding = 1;
    p.pre_padding[1] = 1;
    p.post_padding[1] = INT64_MAX;
    CHECK_INT(wp_layer_features(&p, WP_KIND_POOL, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "value out of range: pooling PrePadding");

    /* Only a layer without a window is global: kernel = input H x W. */
    wp_engine_layer g = make_layer("CaskPooling", 1, 512, 7, 6, 1, 512, 1, 1);
    CHECK_INT(wp_layer_features(&g, WP_KIND_POOL, &r, &err), 0);
    CHECK_INT(FEAT(r, "kernel_0"), 7);
    CHECK_INT(FEAT(r, "kernel_1"), 6);
    CHECK_INT(FEAT(r, "stride_0"), 7);
    CHECK_INT(FEAT(r, "global_pooling"), 1);

    /* Dense, 4-D and 2-D: sizes are products of the non-batch dimensions. */
    wp_engine_layer d4 = make_layer("CaskGemmConvolution", 1, 512, 2, 2, 1, 1000, 1, 1);
    CHECK_INT(wp_layer_features(&d4, WP_KIND_DENSE, &r, &err), 0);
    CHECK_INT(r.n, 16);
    CHECK_STR(r.names[0], "batch_size");
    CHECK_STR(r.names[1], "input_size");
    CHECK_STR(r.names[2], "output_size");
    CHECK_INT(FEAT(r, "batch_size"), 1);
    CHECK_INT(FEAT(r, "input_size"), 2048);
    CHECK_INT(FEAT(r, "output_size"), 1000);
    CHECK_INT(FEAT(r, "macs"), 2048 * 1000);
    wp_engine_layer d2 = make_layer("CaskGemmConvolution", 4, 10, 0, 0, 4, 5, 0, 0);
    d2.elem_bytes = 4;
    CHECK_INT(wp_layer_features(&d2, WP_KIND_DENSE, &r, &err), 0);
    CHECK_INT(FEAT(r, "batch_size"), 4);
    CHECK_INT(FEAT(r, "input_size"), 10);
    CHECK_INT(FEAT(r, "output_size"), 5);
    CHECK_INT(FEAT(r, "macs"), 200);
    CHECK_INT(FEAT(r, "bytes"), 4 * (40 + 20 + 50));
    d2.input.n = 1;
    CHECK_INT(wp_layer_features(&d2, WP_KIND_DENSE, &r, &err), -1);

    /* A 1x1 convolution TensorRT runs as a GEMM (96x56x56 -> 24x56x56, as in
     * MobileNetV2): the work is 56*56 positions x 96 x 24, one 96x24 weight
     * matrix; it is modelled as the convolution the ONNX path sees. */
    wp_engine_layer gc = make_layer("CaskGemmConvolution", 1, 96, 56, 56, 1, 24, 56, 56);
    gc.kind = WP_KIND_DENSE;
    CHECK_INT(wp_layer_features(&gc, WP_KIND_DENSE, &r, &err), 0);
    CHECK_INT(FEAT(r, "macs"), 7225344);
    CHECK_INT(FEAT(r, "weight_bytes"), 2 * 96 * 24);
    CHECK_INT(FEAT(r, "bytes"), 2 * (96 * 56 * 56 + 24 * 56 * 56 + 96 * 24));
    CHECK_INT(wp_layer_model_kind(&gc), WP_KIND_CONV);
    CHECK_INT(wp_layer_features(&gc, WP_KIND_CONV, &r, &err), 0); /* no Kernel: 1x1 */
    CHECK_INT(FEAT(r, "macs"), 7225344);
    CHECK_INT(FEAT(r, "kernel_0"), 1);
    CHECK_INT(FEAT(r, "bytes"), 2 * (96 * 56 * 56 + 24 * 56 * 56 + 96 * 24));
    /* a classifier on a 1x1 map stays dense */
    d4.kind = WP_KIND_DENSE;
    CHECK_INT(wp_layer_model_kind(&d4), WP_KIND_DENSE);

    /* The original's columns alone give the same extras (dense sizes there
     * include the batch). */
    wp_feature_row full, up;
    double cu[13];
    c.groups = 1;
    c.output.d[2] = 16;
    CHECK_INT(wp_layer_features(&c, WP_KIND_CONV, &full, &err), 0);
    for (int i = 0; i < 13; i++)
        cu[i] = full.values[i];
    CHECK_INT(wp_features_from_upstream(WP_KIND_CONV, cu, &up), 0);
    CHECK_INT(up.n, full.n);
    for (const char *const *f =
             (const char *const[]){"macs", "in_bytes", "out_bytes", "weight_bytes", "intensity", NULL};
         *f; f++)
        CHECK_NEAR(wp_feature_get(&up, *f), wp_feature_get(&full, *f), 1e-12 * fabs(wp_feature_get(&full, *f)));
    CHECK_INT(wp_features_from_upstream(WP_KIND_DENSE, (const double[]){4, 40, 20}, &up), 0);
    CHECK_INT(wp_feature_get(&up, "macs"), 200);
    CHECK_INT(wp_feature_get(&up, "bytes"), 2 * (40 + 20 + 50));
    cu[1] = -1;
    CHECK_INT(wp_features_from_upstream(WP_KIND_CONV, cu, &up), -1);

    /* Names: upstream's columns first, in upstream's order. */
    size_t n;
    const char *const *names = wp_feature_names(WP_KIND_CONV, &n);
    CHECK_INT(wp_feature_upstream_count(WP_KIND_CONV), 13);
    CHECK_STR(names[9], "padding_0");
    CHECK_INT(wp_feature_upstream_count(WP_KIND_POOL), 11);
    CHECK_INT(wp_feature_upstream_count(WP_KIND_DENSE), 3);
    CHECK(wp_feature_names(WP_KIND_OTHER, &n) == NULL && n == 0);
    CHECK_INT(wp_feature_index(WP_KIND_DENSE, "output_size"), 2);
    CHECK_INT(wp_feature_index(WP_KIND_DENSE, "kernel_0"), -1);
    CHECK_INT(wp_layer_features(&d4, WP_KIND_OTHER, &r, &err), -1);
}

/* ---- fixtures ------------------------------------------------------------ */

static const char *ENGINE =
    "{\n"
    "  \"Layers\": [\n"
    "    {\"Name\": \"reformat\", \"LayerType\": \"Reformat\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 3, 32, 32]}], \"Outputs\": [{\"Dimensions\": [1, 3, 32, 32]}]},\n"
    "    {\"Name\": \"conv\", \"LayerType\": \"CaskConvolution\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 3, 32, 32], \"Format/Datatype\": \"Channel major FP16 format\"}],\n"
    "     \"Outputs\": [{\"Dimensions\": [1, 16, 16, 16]}],\n"
    "     \"Kernel\": [3, 3], \"PrePadding\": [1, 0], \"PostPadding\": [1, 1], \"Stride\": [2, 2],\n"
    "     \"Dilation\": [1, 1], \"Groups\": 1, \"OutMaps\": 16},\n"
    "    {\"Name\": \"pool\", \"LayerType\": \"CaskPooling\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 16, 16, 16]}], \"Outputs\": [{\"Dimensions\": [1, 16, 8, 8]}],\n"
    "     \"PoolingType\": \"MAX\", \"WindowSize\": [2, 2], \"Stride\": [2, 2]},\n"
    "    {\"Name\": \"gpool\", \"LayerType\": \"CaskPooling\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 16, 8, 8]}], \"Outputs\": [{\"Dimensions\": [1, 16, 1, 1]}]},\n"
    "    {\"Name\": \"fc\", \"LayerType\": \"CaskGemmConvolution\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 16, 1, 1]}], \"Outputs\": [{\"Dimensions\": [1, 10, 1, 1]}],\n"
    "     \"Kernel\": [1, 1]},\n"
    "    {\"Name\": \"fc2\", \"LayerType\": \"CaskGemmConvolution\",\n"
    "     \"Inputs\": [{\"Dimensions\": [4, 10]}], \"Outputs\": [{\"Dimensions\": [4, 5]}]},\n"
    "    {\"Name\": \"noop\", \"LayerType\": \"NoOp\"}\n"
    "  ]\n"
    "}\n";

/* The weights one inference of ENGINE reads and the next reads again
 * (wp_network_bytes), FP16 where the engine does not say: conv's, fc's
 * and fc2's; the outputs (reformat's, the pools') are not counted, and the
 * NoOp has no dimensions. */
#define ENGINE_NETWORK_BYTES (2 * (16 * 3 * 9 + 160 + 50))

static const char *LAYERS[][2] = {
    {"reformat", "Reformat"},      {"conv", "CaskConvolution"},    {"pool", "CaskPooling"}, {"gpool", "CaskPooling"},
    {"fc", "CaskGemmConvolution"}, {"fc2", "CaskGemmConvolution"}, {"noop", "NoOp"},
};
#define NLAYERS 7

/* Power of layer j in cycle k (1-based) excluding idle, and its runtime: all
 * exact binary fractions so means can be checked exactly. */
static double power_of(int j, int k)
{
    return 1000.0 * (j + 1) + 0.5 * k;
}
static double runtime_of(int j, int k)
{
    return 0.25 * (j + 1) + (k % 2 ? 0.125 : 0);
}

/* A mapping of `cycles` cycles; power is left empty for layer `gap_layer` in
 * cycles > gap_from (so it has gap_from values). */
static char *mapping_text(int cycles, const char *gap_layer, int gap_from)
{
    size_t cap = 256 + (size_t)cycles * NLAYERS * 128;
    char *buf = malloc(cap);
    size_t n = (size_t)snprintf(buf, cap, "%s", MAPPING_HEADER);
    for (int k = 1; k <= cycles; k++)
        for (int j = 0; j < NLAYERS; j++) {
            int empty = gap_layer && strcmp(LAYERS[j][0], gap_layer) == 0 && k > gap_from;
            if (empty)
                n += (size_t)snprintf(buf + n, cap - n, "%d,%s,%s,,,%s\n", k, LAYERS[j][0], LAYERS[j][1],
                                      fmt(runtime_of(j, k)));
            else
                n += (size_t)snprintf(buf + n, cap - n, "%d,%s,%s,%s,%s,%s\n", k, LAYERS[j][0], LAYERS[j][1],
                                      fmt(power_of(j, k) + 4e6), fmt(power_of(j, k)), fmt(runtime_of(j, k)));
        }
    return buf;
}

static void write_model(const char *root, const char *model, const char *mapping, const char *engine)
{
    test_write_model_file(root, model, "power_runtime_mapping_layerwise.csv", mapping);
    test_write_model_file(root, model, "trt_engine_info.json", engine);
}

/* With the original's statistic (the mean runtime, also the default:
 * test_runtime_stat): these tests compare with upstream's outputs. */
static test_run_result run_dataset(const char *in, const char *out, const char *n)
{
    const char *args[] = {"dataset", "--preprocessed-data-dir",
                          in,        "--result-dir",
                          out,       "--runtime-stat",
                          "mean",    n ? "--per-layer-measurements" : NULL,
                          n,         NULL};
    return test_run_cli(args);
}

/* Row of a CSV text whose last field is name (the header is row 0). */
static char *csv_row(const char *text, const char *name)
{
    char want[128];
    snprintf(want, sizeof want, ",%s\n", name);
    const char *p = strstr(text, want);
    if (!p)
        return NULL;
    const char *start = p;
    while (start > text && start[-1] != '\n')
        start--;
    size_t len = (size_t)(p - start) + strlen(want) - 1;
    char *row = malloc(len + 1);
    memcpy(row, start, len);
    row[len] = '\0';
    return row;
}

static double mean_power(int j, int cycles)
{
    double s = 0;
    for (int k = 1; k <= cycles; k++)
        s += power_of(j, k);
    return s / cycles;
}

static double mean_runtime(int j, int cycles)
{
    double s = 0;
    for (int k = 1; k <= cycles; k++)
        s += runtime_of(j, k);
    return s / cycles;
}

/* ENGINE as the cpu backend writes it: with the machine's cache. */
static char *engine_with_cache(long long cache_bytes)
{
    char *e = malloc(strlen(ENGINE) + 64);
    snprintf(e, strlen(ENGINE) + 64, "{\n  \"DeviceCacheBytes\": %lld,%s", cache_bytes, ENGINE + 1);
    return e;
}

/* The engine's channel block: a convolution's output channels round up to
 * it (16 in a block of 16 and 6 in one of 8 both cost 16; 16 in a block of
 * 1 costs 16), dense layers keep their MACs, and a bad block is the file's
 * error with its line. */
static void test_channel_block(void)
{
    static const struct {
        int block;
        double factor;
    } cases[] = {{16, 1.0}, {1, 1.0}, {6, 18.0 / 16}, {5, 20.0 / 16}, {32, 2.0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = strlen(ENGINE) + 64;
        char *text = malloc(n);
        snprintf(text, n, "{\n  \"DeviceChannelBlock\": %d,%s", cases[i].block, ENGINE + 1);
        wp_engine eng;
        wp_error err = {0};
        CHECK_INT(wp_engine_parse(text, strlen(text), "blk", &eng, &err), 0);
        CHECK_INT(eng.channel_block, cases[i].block);
        wp_feature_context ctx = {wp_network_bytes(&eng, NULL), 0, eng.channel_block, wp_network_layers(&eng, NULL)};
        wp_feature_row fr;
        CHECK_INT(wp_layer_features_in(wp_engine_find(&eng, "conv"), WP_KIND_CONV, &ctx, &fr, &err), 0);
        CHECK_INT(FEAT(fr, "channel_block"), cases[i].block);
        CHECK_NEAR(FEAT(fr, "padded_macs"), FEAT(fr, "macs") * cases[i].factor, 1e-9);
        CHECK_NEAR(FEAT(fr, "padded_out_bytes"), FEAT(fr, "out_bytes") * cases[i].factor, 1e-9);
        CHECK_NEAR(FEAT(fr, "padded_taps"), FEAT(fr, "taps") * cases[i].factor, 1e-9);
        CHECK_INT(wp_layer_features_in(wp_engine_find(&eng, "fc"), WP_KIND_DENSE, &ctx, &fr, &err), 0);
        CHECK(isnan(FEAT(fr, "padded_macs")));
        CHECK(isnan(FEAT(fr, "padded_out_bytes")));
        CHECK(isnan(FEAT(fr, "padded_taps")));
        wp_engine_free(&eng);
        free(text);
    }
    static const char *const bad[] = {"-1", "1.5", "\"16\"", "5000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = strlen(ENGINE) + 64;
        char *text = malloc(n);
        snprintf(text, n, "{\n  \"DeviceChannelBlock\": %s,%s", bad[i], ENGINE + 1);
        wp_engine eng;
        wp_error err = {0};
        CHECK_INT(wp_engine_parse(text, strlen(text), "blk.json", &eng, &err), -1);
        CHECK_CONTAINS(err.msg, "blk.json:2");
        CHECK_CONTAINS(err.msg, "DeviceChannelBlock");
        free(text);
    }
}

/* A network that fits in the cache its engine names reads its weights from
 * there: they count with the inputs (cache_read_bytes), not as memory
 * traffic. In a cache half its size, half of them come from memory and
 * cold_start is 0.5; one byte short of fitting, a 1 / network_bytes share:
 * the placement is continuous. */
static void test_cache_resident(void)
{
    const char *root = test_tmpdir();
    const char *in = test_path(root, "pre"), *out = test_path(root, "train");
    char *mapping = mapping_text(12, NULL, 0);
    char *fits = engine_with_cache(ENGINE_NETWORK_BYTES), *streams = engine_with_cache(ENGINE_NETWORK_BYTES / 2);
    char *short1 = engine_with_cache(ENGINE_NETWORK_BYTES - 1);
    write_model(in, "fits", mapping, fits);
    write_model(in, "streams", mapping, streams);
    write_model(in, "short", mapping, short1);
    test_run_result r = run_dataset(in, out, NULL);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    char want[256];
    char *conv = test_read_file(test_path(out, "fits/convolutional.csv"));
    char *row = conv ? csv_row(conv, "conv") : NULL;
    /* ...,taps,network_bytes,cache_bytes,cold_start,network_layers,crowding,cache_read_bytes,
     * memory_read_bytes,power,...: the engine runs 7 layers */
    char crowd[WP_DOUBLE_BUFSZ];
    wp_format_double(1 - exp(-7 / WP_CROWDING_LAYERS), crowd);
    snprintf(want, sizeof want, ",%d,%d,%d,0,7,%s,%d,0,", 16 * 16 * 16 * 9, ENGINE_NETWORK_BYTES, ENGINE_NETWORK_BYTES,
             crowd, 2 * 3 * 32 * 32 + 2 * 16 * 3 * 9);
    CHECK_CONTAINS(row, want);
    free(row);
    free(conv);
    char *dense = test_read_file(test_path(out, "fits/dense.csv"));
    row = dense ? csv_row(dense, "fc") : NULL;
    snprintf(want, sizeof want, ",%d,%d,0,7,%s,%d,0,", ENGINE_NETWORK_BYTES, ENGINE_NETWORK_BYTES, crowd,
             2 * 16 + 2 * 160);
    CHECK_CONTAINS(row, want);
    free(row);
    free(dense);
    conv = test_read_file(test_path(out, "streams/convolutional.csv"));
    row = conv ? csv_row(conv, "conv") : NULL;
    snprintf(want, sizeof want, ",%d,%d,%d,0.5,7,%s,%d,%d,", 16 * 16 * 16 * 9, ENGINE_NETWORK_BYTES,
             ENGINE_NETWORK_BYTES / 2, crowd, 2 * 3 * 32 * 32 + 16 * 3 * 9, 16 * 3 * 9);
    CHECK_CONTAINS(row, want);
    free(row);
    free(conv);
    conv = test_read_file(test_path(out, "short/convolutional.csv"));
    row = conv ? csv_row(conv, "conv") : NULL;
    double cold = -1, cache_read = -1;
    snprintf(want, sizeof want, ",%d,%d,%d,", 16 * 16 * 16 * 9, ENGINE_NETWORK_BYTES, ENGINE_NETWORK_BYTES - 1);
    const char *at = row ? strstr(row, want) : NULL;
    CHECK(at != NULL);
    if (at)
        CHECK_INT(sscanf(at + strlen(want), "%lf,%*f,%*f,%lf", &cold, &cache_read), 2);
    CHECK_NEAR(cold, 1.0 / ENGINE_NETWORK_BYTES, 1e-15);
    CHECK_NEAR(cache_read, 2 * 3 * 32 * 32 + 2 * 16 * 3 * 9 * (1 - 1.0 / ENGINE_NETWORK_BYTES), 1e-9);
    free(row);
    free(conv);
    /* every kind carries the context: the pooling and reshape rows too */
    char *pool = test_read_file(test_path(out, "fits/pooling.csv"));
    row = pool ? csv_row(pool, "gpool") : NULL;
    snprintf(want, sizeof want, ",%d,%d,0,7,%s,", ENGINE_NETWORK_BYTES, ENGINE_NETWORK_BYTES, crowd);
    CHECK_CONTAINS(row, want);
    free(row);
    free(pool);
    char *reshape = test_read_file(test_path(out, "streams/reshape.csv"));
    row = reshape ? csv_row(reshape, "reformat") : NULL;
    snprintf(want, sizeof want, ",%d,%d,0.5,7,%s,", ENGINE_NETWORK_BYTES, ENGINE_NETWORK_BYTES / 2, crowd);
    CHECK_CONTAINS(row, want);
    free(row);
    free(reshape);
    /* the features without a context: nothing is known to fit */
    wp_engine eng;
    wp_error err;
    CHECK_INT(wp_engine_parse(fits, strlen(fits), "fits", &eng, &err), 0);
    CHECK_INT((int)eng.cache_bytes, ENGINE_NETWORK_BYTES);
    CHECK_INT((int)wp_network_bytes(&eng, NULL), ENGINE_NETWORK_BYTES);
    const wp_engine_layer *fc = wp_engine_find(&eng, "fc");
    wp_feature_row fr;
    CHECK_INT(wp_layer_features(fc, WP_KIND_DENSE, &fr, &err), 0);
    CHECK_INT(FEAT(fr, "memory_read_bytes"), 2 * 160);
    CHECK_INT(FEAT(fr, "cache_bytes"), 0);
    CHECK_INT(FEAT(fr, "cold_start"), 1);
    /* a layer marked fused adds nothing: its parameters are folded into
     * its host's (a batch norm's into the convolution's weights) */
    int fused[NLAYERS] = {-1, -1, -1, -1, -1, -1, -1};
    fused[5] = 4; /* fc2 */
    CHECK_INT((int)wp_network_bytes(&eng, fused), ENGINE_NETWORK_BYTES - 2 * 50);
    /* ... and is not a layer the inference runs */
    CHECK_INT((int)wp_network_layers(&eng, NULL), 7);
    CHECK_INT((int)wp_network_layers(&eng, fused), 6);
    /* crowding needs both the cache and the layer count; without either,
     * 1 (every row alike, as cold_start) */
    wp_feature_context known = {ENGINE_NETWORK_BYTES, ENGINE_NETWORK_BYTES, 0, 16};
    CHECK_NEAR(wp_network_crowding(&known), 1 - exp(-1.0), 1e-15);
    known.network_layers = 0;
    CHECK_NEAR(wp_network_crowding(&known), 1, 0);
    known.network_layers = 16;
    known.cache_bytes = 0;
    CHECK_NEAR(wp_network_crowding(&known), 1, 0);
    CHECK_NEAR(wp_network_crowding(NULL), 1, 0);
    CHECK_NEAR(FEAT(fr, "crowding"), 1, 0);
    wp_engine_free(&eng);
    free(fits);
    free(streams);
    free(short1);
    free(mapping);
}

/* ---- the whole step through the CLI ---------------------------------------- */

static void test_cli_end_to_end(void)
{
    const char *root = test_tmpdir();
    const char *in = test_path(root, "pre"), *out = test_path(root, "train");
    char *alpha = mapping_text(12, NULL, 0);
    char *beta = mapping_text(12, "pool", 5); /* pool: 5 power values < 10 */
    write_model(in, "alpha", alpha, ENGINE);
    write_model(in, "beta", beta, ENGINE);
    test_write_file(test_path(in, "notes.txt"), "not a model\n");
    test_run_result r = run_dataset(in, out, NULL);
    CHECK_INT(r.status, 0);
    /* Skipped model named with its short layer and counts; ignored types listed. */
    CHECK_CONTAINS(r.err, "skipping beta");
    CHECK_CONTAINS(r.err, "pool (power 5, runtime 12)");
    CHECK(strstr(r.err, "gpool (") == NULL);
    /* A Reformat layer moves data: a reshape row. The NoOp has no
     * dimensions, so it cannot be described: ignored. */
    CHECK_CONTAINS(r.err, "ignored layer types: NoOp (2 layers)");
    CHECK_CONTAINS(r.out, "alpha: 1 convolutional, 2 pooling, 2 dense, 1 reshape");
    char *reshape = test_read_file(test_path(out, "alpha/reshape.csv"));
    CHECK(reshape != NULL);
    if (reshape) {
        CHECK(strncmp(reshape,
                      "batch_size,inputs,in_elems,out_elems,weight_elems,ops,bytes,in_bytes,weight_bytes,"
                      "out_bytes,transcendental,view,moved_in_bytes,moved_out_bytes,network_bytes,cache_bytes,"
                      "cold_start,network_layers,crowding,power,runtime,layer_name\n",
                      229) == 0);
        CHECK_INT(test_count_lines(reshape), 2);
        CHECK_CONTAINS(reshape, ",reformat\n");
    }
    free(reshape);

    char *conv = test_read_file(test_path(out, "alpha/convolutional.csv"));
    char *pool = test_read_file(test_path(out, "alpha/pooling.csv"));
    char *dense = test_read_file(test_path(out, "alpha/dense.csv"));
    CHECK(conv && pool && dense);
    if (conv && pool && dense) {
        CHECK(starts_with(
            conv,
            "batch_size,input_size_0,input_size_1,input_size_2,output_size_0,output_size_1,"
            "output_size_2,kernel_0,kernel_1,padding_0,padding_1,stride_0,stride_1,dilation_0,"
            "dilation_1,groups,macs,bytes,in_bytes,weight_bytes,out_bytes,intensity,taps,"
            "network_bytes,cache_bytes,cold_start,network_layers,crowding,cache_read_bytes,"
            "memory_read_bytes,channel_block,padded_macs,padded_out_bytes,padded_taps,power,runtime,layer_name\n"));
        CHECK(starts_with(pool, "batch_size,input_size_0,input_size_1,input_size_2,output_size_0,output_size_1,"
                                "output_size_2,kernel_0,kernel_1,stride_0,stride_1,padding_0,padding_1,"
                                "global_pooling,ops,bytes,in_bytes,out_bytes,intensity,network_bytes,cache_bytes,"
                                "cold_start,network_layers,crowding,power,runtime,layer_name\n"));
        CHECK_INT(test_count_lines(conv), 2);
        char want[512];
        /* the engine names no cache: inputs from cache, weights from memory */
        snprintf(want, sizeof want,
                 "1,3,32,32,16,16,16,3,3,2,1,2,2,1,1,1,%d,%d,%d,%d,%d,%s,%d,%d,0,1,7,1,%d,%d,0,%d,%d,%d,%s,%s,conv",
                 16 * 16 * 16 * 3 * 9, 2 * (3 * 32 * 32 + 16 * 16 * 16 + 16 * 3 * 9), 2 * 3 * 32 * 32, 2 * 16 * 3 * 9,
                 2 * 16 * 16 * 16, fmt(16.0 * 16 * 16 * 3 * 9 / (2 * (3 * 32 * 32 + 16 * 16 * 16 + 16 * 3 * 9))),
                 16 * 16 * 16 * 9, ENGINE_NETWORK_BYTES, 2 * 3 * 32 * 32, 2 * 16 * 3 * 9, 16 * 16 * 16 * 3 * 9,
                 2 * 16 * 16 * 16, 16 * 16 * 16 * 9, fmt(mean_power(1, 12)), fmt(mean_runtime(1, 12)));
        char *row = csv_row(conv, "conv");
        CHECK_STR(row, want);
        free(row);

        /* Rows sorted by layer name, like upstream's groupby. */
        CHECK_INT(test_count_lines(pool), 3);
        CHECK(strstr(pool, "gpool") < strstr(pool, ",pool\n"));
        row = csv_row(pool, "pool");
        snprintf(want, sizeof want, "1,16,16,16,16,8,8,2,2,2,2,0,0,0,%d,%d,%d,%d,%s,%d,0,1,7,1,%s,%s,pool",
                 16 * 8 * 8 * 4, 2 * (16 * 16 * 16 + 16 * 8 * 8), 2 * 16 * 16 * 16, 2 * 16 * 8 * 8,
                 fmt(16.0 * 8 * 8 * 4 / (2 * (16 * 16 * 16 + 16 * 8 * 8))), ENGINE_NETWORK_BYTES,
                 fmt(mean_power(2, 12)), fmt(mean_runtime(2, 12)));
        CHECK_STR(row, want);
        free(row);
        row = csv_row(pool, "gpool");
        snprintf(want, sizeof want, "1,16,8,8,16,1,1,8,8,8,8,0,0,1,%d,%d,%d,%d,%s,%d,0,1,7,1,%s,%s,gpool", 16 * 64,
                 2 * (16 * 64 + 16), 2 * 16 * 64, 2 * 16, fmt(16.0 * 64 / (2 * (16 * 64 + 16))), ENGINE_NETWORK_BYTES,
                 fmt(mean_power(3, 12)), fmt(mean_runtime(3, 12)));
        CHECK_STR(row, want);
        free(row);

        CHECK(starts_with(dense,
                          "batch_size,input_size,output_size,macs,bytes,in_bytes,weight_bytes,out_bytes,"
                          "intensity,network_bytes,cache_bytes,cold_start,network_layers,crowding,cache_read_bytes,"
                          "memory_read_bytes,power,runtime,layer_name\n"));
        row = csv_row(dense, "fc");
        snprintf(want, sizeof want, "1,16,10,160,%d,%d,%d,%d,%s,%d,0,1,7,1,%d,%d,%s,%s,fc", 2 * (16 + 10 + 160), 2 * 16,
                 2 * 160, 2 * 10, fmt(160.0 / (2 * (16 + 10 + 160))), ENGINE_NETWORK_BYTES, 2 * 16, 2 * 160,
                 fmt(mean_power(4, 12)), fmt(mean_runtime(4, 12)));
        CHECK_STR(row, want);
        free(row);
        row = csv_row(dense, "fc2");
        snprintf(want, sizeof want, "4,10,5,200,%d,%d,%d,%d,%s,%d,0,1,7,1,%d,%d,%s,%s,fc2", 2 * (40 + 20 + 50), 2 * 40,
                 2 * 50, 2 * 20, fmt(200.0 / (2 * (40 + 20 + 50))), ENGINE_NETWORK_BYTES, 2 * 40, 2 * 50,
                 fmt(mean_power(5, 12)), fmt(mean_runtime(5, 12)));
        CHECK_STR(row, want);
        free(row);
    }
    free(conv);
    free(pool);
    free(dense);

    /* Stats beside the input, for both models (beta's explain the skip). */
    char *ps = test_read_file(test_path(in, "alpha/alpha_average_power_stats.csv"));
    char *rs = test_read_file(test_path(in, "beta/beta_average_run_time_stats.csv"));
    char *bps = test_read_file(test_path(in, "beta/beta_average_power_stats.csv"));
    CHECK(ps && rs && bps);
    if (ps && rs && bps) {
        CHECK(starts_with(ps, "layer_name,count,mean,std,min,25%,50%,75%,max\nconv,12.0,"));
        CHECK_INT(test_count_lines(ps), 6); /* header + 5 kept layers, no Reformat/NoOp */
        CHECK(strstr(ps, "reformat") == NULL && strstr(ps, "noop") == NULL);
        CHECK_CONTAINS(bps, "\npool,5.0,");
        CHECK_CONTAINS(rs, "\npool,12.0,");
    }
    free(ps);
    free(rs);
    free(bps);
    CHECK(!test_file_exists(test_path(out, "beta/convolutional.csv")));
    CHECK_INT(test_count_entries(test_path(out, "alpha"), "."), 0);
    test_run_free(&r);

    /* Lower threshold: beta passes. Higher: alpha's old files are removed,
     * not left to pass for this run's. */
    r = run_dataset(in, out, "5");
    CHECK_INT(r.status, 0);
    CHECK(test_file_exists(test_path(out, "beta/pooling.csv")));
    test_run_free(&r);
    r = run_dataset(in, out, "13");
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.err, "skipping alpha");
    CHECK(!test_file_exists(test_path(out, "alpha/convolutional.csv")));
    CHECK(!test_file_exists(test_path(out, "alpha/dense.csv")));
    test_run_free(&r);
    free(alpha);
    free(beta);
}

/* Stats in upstream's exact text: empty where undefined, quantiles linear. */
static void test_stats_file(void)
{
    const char *root = test_tmpdir();
    const char *in = test_path(root, "pre"), *out = test_path(root, "train");
    write_model(in, "tiny",
                MAPPING_HEADER "1,r,Reformat,,,0.03\n"
                               "1,c,CaskConvolution,9,5,0.1\n"
                               "1,p,CaskPooling,1,5,0.01\n"
                               "2,r,Reformat,,,0.1\n"
                               "2,c,CaskConvolution,,,0.08\n"
                               "2,p,CaskPooling,,,0.01\n"
                               "3,c,CaskConvolution,8.0,4,0.08\n"
                               "3,p,CaskPooling,,,0.01\n"
                               "4,c,CaskConvolution,,,0.08\n"
                               "4,p,CaskPooling,,,0.01\n",
                "{\"Layers\": [\n"
                " {\"Name\": \"c\", \"LayerType\": \"CaskConvolution\", \"Kernel\": [1, 1],\n"
                "  \"Inputs\": [{\"Dimensions\": [1, 3, 8, 8]}], \"Outputs\": [{\"Dimensions\": [1, 4, 8, 8]}]},\n"
                " {\"Name\": \"p\", \"LayerType\": \"CaskPooling\",\n"
                "  \"Inputs\": [{\"Dimensions\": [1, 4, 8, 8]}], \"Outputs\": [{\"Dimensions\": [1, 4, 1, 1]}]}\n"
                "]}\n");
    test_run_result r = run_dataset(in, out, "1");
    CHECK_INT(r.status, 0);
    char *ps = test_read_file(test_path(in, "tiny/tiny_average_power_stats.csv"));
    char *rs = test_read_file(test_path(in, "tiny/tiny_average_run_time_stats.csv"));
    CHECK_STR(ps, "layer_name,count,mean,std,min,25%,50%,75%,max\n"
                  "c,2.0,4.5,0.7071067811865476,4.0,4.25,4.5,4.75,5.0\n"
                  "p,1.0,5.0,,5.0,5.0,5.0,5.0,5.0\n");
    CHECK_STR(rs, "layer_name,count,mean,std,min,25%,50%,75%,max\n"
                  "c,4.0,0.085,0.010000000000000004,0.08,0.08,0.08,0.085,0.1\n"
                  "p,4.0,0.01,0.0,0.01,0.01,0.01,0.01,0.01\n");
    char *pool = test_read_file(test_path(out, "tiny/pooling.csv"));
    CHECK_CONTAINS(pool, ",5.0,0.01,p\n");
    CHECK(!test_file_exists(test_path(out, "tiny/dense.csv")));
    free(ps);
    free(rs);
    free(pool);
    test_run_free(&r);
}

/* ---- bad input ------------------------------------------------------------- */

/* A valid model "aaa" sorts before the broken "bad": the error must leave no
 * file of either behind. */
static int strict_run; /* expect_failure runs with --strict */

static void expect_failure(const char *mapping, const char *engine, const char *want)
{
    const char *root = test_tmpdir();
    const char *in = test_path(root, "pre"), *out = test_path(root, "train");
    char *good = mapping_text(12, NULL, 0);
    write_model(in, "aaa", good, ENGINE);
    write_model(in, "bad", mapping, engine);
    free(good);
    const char *args[] = {"dataset", "--preprocessed-data-dir",      in,  "--result-dir",
                          out,       strict_run ? "--strict" : NULL, NULL};
    test_run_result r = test_run_cli(args);
    CHECK(r.status != 0);
    CHECK_INT(test_count_lines(r.err), 1);
    CHECK_CONTAINS(r.err, want);
    CHECK(!test_file_exists(out));
    CHECK(!test_file_exists(test_path(in, "aaa/aaa_average_power_stats.csv")));
    CHECK(!test_file_exists(test_path(in, "bad/bad_average_power_stats.csv")));
    CHECK_INT(test_count_entries(test_path(in, "aaa"), "."), 0);
    test_run_free(&r);
}

static void test_bad_input(void)
{
    char *good = mapping_text(12, NULL, 0);
    expect_failure(NULL, ENGINE, "bad/power_runtime_mapping_layerwise.csv: cannot open");
    expect_failure(good, NULL, "bad/trt_engine_info.json: cannot open engine info");

    /* Truncated engine info: jansson's line. */
    size_t cut = strlen(ENGINE) - 40;
    char *trunc = strdup(ENGINE);
    trunc[cut] = '\0';
    int lines = 1;
    for (size_t i = 0; i < cut; i++)
        lines += trunc[i] == '\n';
    char want[256];
    snprintf(want, sizeof want, "bad/trt_engine_info.json:%d: malformed JSON", lines);
    expect_failure(good, trunc, want);
    free(trunc);
    expect_failure(good, "{\"Layers\": 3}", "bad/trt_engine_info.json:1: \"Layers\" must be an array");

    /* Not a number, on line 5 of the mapping. */
    expect_failure(MAPPING_HEADER "1,conv,CaskConvolution,9,5,0.1\n"
                                  "1,pool,CaskPooling,9,5,0.1\n"
                                  "2,conv,CaskConvolution,9,5,0.1\n"
                                  "2,pool,CaskPooling,9,five,0.1\n",
                   ENGINE,
                   "bad/power_runtime_mapping_layerwise.csv:5: column "
                   "'layer_power_excluding_idle_power_micro_watt': 'five' is not a finite number");
    expect_failure(MAPPING_HEADER "1,conv,CaskConvolution,9,5,0.1\n"
                                  "x,pool,CaskPooling,9,5,0.1\n",
                   ENGINE, "power_runtime_mapping_layerwise.csv:3: column 'cycle'");
    expect_failure(MAPPING_HEADER "1,conv,CaskConvolution,9,5,0.1\n"
                                  "1,pool,CaskPooling,9,5\n",
                   ENGINE, "power_runtime_mapping_layerwise.csv:3: expected 6 fields, found 5");
    expect_failure("cycle,layer_name,layer_type,layer_run_time\n1,conv,CaskConvolution,0.1\n", ENGINE,
                   "power_runtime_mapping_layerwise.csv:1: missing column "
                   "'layer_power_excluding_idle_power_micro_watt'");
    /* A kept layer the engine info does not know, with --strict: the line it
     * first appears (without: a warning, test_layer_not_in_engine). */
    strict_run = 1;
    expect_failure(MAPPING_HEADER "1,conv,CaskConvolution,9,5,0.1\n"
                                  "1,mystery,CaskConvolution,9,5,0.1\n"
                                  "2,mystery,CaskConvolution,9,5,0.1\n",
                   ENGINE, "bad/power_runtime_mapping_layerwise.csv:3: layer 'mystery' (CaskConvolution) is not in");
    strict_run = 0;
    expect_failure(MAPPING_HEADER "1,conv,CaskConvolution,9,5,0.1\n"
                                  "2,conv,CaskPooling,9,5,0.1\n",
                   ENGINE, "power_runtime_mapping_layerwise.csv:3: layer 'conv' has type CaskPooling here");
    expect_failure(MAPPING_HEADER "1,noop,CaskPooling,9,5,0.1\n", ENGINE,
                   "power_runtime_mapping_layerwise.csv:2: layer 'noop' has type CaskPooling here but NoOp in");
    /* An engine layer that cannot give features: the engine file's line. */
    expect_failure(MAPPING_HEADER "1,c,CaskConvolution,9,5,0.1\n",
                   "{\"Layers\": [\n {\"Name\": \"c\", \"LayerType\": \"CaskConvolution\",\n"
                   "  \"Inputs\": [{\"Dimensions\": [1, 3, 8, 8]}], \"Outputs\": [{\"Dimensions\": [1, 4, 8, 8]}]}\n"
                   "]}\n",
                   "bad/trt_engine_info.json:2: layer 'c': convolution has no Kernel");
    expect_failure(MAPPING_HEADER "1,conv,CaskConvolution,9,5,-0.1\n", ENGINE,
                   "power_runtime_mapping_layerwise.csv:2: negative layer_run_time");
    free(good);

    /* No model folders at all; a missing input directory. */
    const char *root = test_tmpdir();
    const char *empty = test_path(root, "empty");
    mkdir(empty, 0755);
    test_run_result r = run_dataset(empty, test_path(root, "o"), NULL);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "no model folders");
    test_run_free(&r);
    r = run_dataset(test_path(root, "missing"), test_path(root, "o"), NULL);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "missing: cannot open preprocessed data directory");
    CHECK_INT(test_count_lines(r.err), 1);
    test_run_free(&r);
}

static void test_usage(void)
{
    const char *help[] = {"dataset", "--help", NULL};
    const char *help_says[] = {"--preprocessed-data-dir", "--result-dir", "--per-layer-measurements", "--quiet", NULL};
    CHECK_CLI(help, 0, help_says, NULL);
    const char *no_out[] = {"dataset", "--preprocessed-data-dir", "x", NULL};
    const char *no_out_says[] = {"--result-dir is required", NULL};
    CHECK_CLI(no_out, 2, NULL, no_out_says);
    test_run_result r = run_dataset("x", "y", "ten");
    CHECK_INT(r.status, 2);
    CHECK_CONTAINS(r.err, "--per-layer-measurements");
    test_run_free(&r);
    r = run_dataset("x", "y", "-1");
    CHECK_INT(r.status, 2);
    test_run_free(&r);
}

/* Measured layers the engine info lacks (upstream's own reference data has
 * them): a warning naming the model, the count and the first one, the rest
 * of the model converted; never silently dropped. */
static void test_layer_not_in_engine(void)
{
    const char *root = test_tmpdir();
    const char *in = test_path(root, "pre"), *out = test_path(root, "train");
    char *mapping = mapping_text(12, NULL, 0);
    size_t n = strlen(mapping);
    mapping = realloc(mapping, n + 4096);
    for (int k = 1; k <= 12; k++)
        n += (size_t)snprintf(mapping + n, 4096, "%d,ghost%d,CaskConvolution,9,5,0.1\n", k, k % 2);
    write_model(in, "m", mapping, ENGINE);
    free(mapping);
    test_run_result r = run_dataset(in, out, NULL);
    CHECK_INT(r.status, 0);
    CHECK_INT(test_count_lines(r.err), 2); /* the warning, and the ignored types */
    CHECK_CONTAINS(r.err, "warning: m: 2 measured layer(s) are not in its trt_engine_info.json (first: 'ghost0', ");
    CHECK_CONTAINS(r.err, "m/power_runtime_mapping_layerwise.csv:");
    char *conv = test_read_file(test_path(out, "m/convolutional.csv"));
    CHECK(conv && strstr(conv, ",conv\n") && !strstr(conv, "ghost"));
    free(conv);
    test_run_free(&r);
    const char *strict[] = {"dataset", "--preprocessed-data-dir", in, "--result-dir", test_path(root, "t2"), "--strict",
                            NULL};
    CHECK_CLI(strict, 1, NULL, TEST_LIST("layer 'ghost0' (CaskConvolution) is not in"));
}

/* map's copy of device.json names the board: the training CSVs get it as
 * a last column (the original's columns unchanged); a model without one
 * gets none; a malformed one is an error naming the file. */
static void test_device_column(void)
{
    const char *root = test_tmpdir();
    char *in = strdup(test_path(root, "pre")), *out = strdup(test_path(root, "train"));
    char *mapping = mapping_text(12, NULL, 0);
    write_model(in, "alpha", mapping, ENGINE);
    write_model(in, "beta", mapping, ENGINE);
    free(mapping);
    test_write_file(test_path(in, "alpha/device.json"),
                    "{\"model\": \"NVIDIA Jetson Nano Developer Kit, rev \\\"B01\\\"\", \"nvpmodel\": \"MAXN\"}\n");
    test_run_result r = run_dataset(in, out, NULL);
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "alpha: 1 convolutional, 2 pooling, 2 dense, 1 reshape -> ");
    CHECK_CONTAINS(r.out, " (device: NVIDIA Jetson Nano Developer Kit, rev \"B01\")\n");
    test_run_free(&r);
    char *conv = test_read_file(test_path(out, "alpha/convolutional.csv"));
    char *plain = test_read_file(test_path(out, "beta/convolutional.csv"));
    CHECK(conv && plain);
    if (conv && plain) {
        CHECK_CONTAINS(
            conv,
            ",intensity,taps,network_bytes,cache_bytes,cold_start,network_layers,crowding,cache_read_bytes,"
            "memory_read_bytes,channel_block,padded_macs,padded_out_bytes,padded_taps,power,runtime,layer_name,device\n");
        CHECK_CONTAINS(conv, ",conv,\"NVIDIA Jetson Nano Developer Kit, rev \"\"B01\"\"\"\n");
        CHECK_CONTAINS(
            plain,
            ",intensity,taps,network_bytes,cache_bytes,cold_start,network_layers,crowding,cache_read_bytes,"
            "memory_read_bytes,channel_block,padded_macs,padded_out_bytes,padded_taps,power,runtime,layer_name\n");
        CHECK_CONTAINS(plain, ",conv\n");
        CHECK(strstr(plain, "device") == NULL);
        /* the rows are the same but for the column */
        const char *a = strstr(conv, "\n") + 1, *b = strstr(plain, "\n") + 1;
        CHECK(strncmp(a, b, strlen(b) - 1) == 0);
    }
    free(conv);
    free(plain);
    test_write_file(test_path(in, "alpha/device.json"), "{\"model\": \n");
    r = run_dataset(in, test_path(root, "t2"), NULL);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "alpha/device.json:");
    CHECK_CONTAINS(r.err, "malformed JSON");
    CHECK_INT(test_count_lines(r.err), 1);
    test_run_free(&r);
    free(in);
    free(out);
}

/* The original's desktop profiler writes latencies without timestamps
 * ({"layer": [ms, ...]}): map refuses them for power (saying what to do),
 * takes them with --runtime-only, and dataset then gives runtime
 * statistics and runtime training rows (power empty). */
static void test_untimed_latency(void)
{
    const char *root = test_tmpdir();
    char *raw = strdup(test_path(root, "raw")), *mapped = strdup(test_path(root, "mapped"));
    char *out = strdup(test_path(root, "train"));
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "{");
    for (int j = 0; j < NLAYERS; j++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "%s\n \"%s\": [", j ? "," : "", LAYERS[j][0]);
        for (int k = 1; k <= 12; k++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", k > 1 ? ", " : "", fmt(runtime_of(j, k)));
        n += (size_t)snprintf(text + n, sizeof text - n, "]");
    }
    snprintf(text + n, sizeof text - n, "\n}\n");
    test_write_file(test_path(raw, "m/trt_profiling/trt_layer_latency.json"), text);
    test_write_file(test_path(raw, "m/trt_profiling/trt_engine_info.json"), ENGINE);

    wp_error err;
    CHECK_INT(wp_idle_write(test_path(raw, "idling_power.json"), NULL, 4e6, &err), 0);
    const char *plain[] = {"map", "--raw-data-dir", raw, "--result-dir", mapped, "--quiet", NULL};
    test_run_result r = test_run_cli(plain);
    CHECK(r.status != 0);
    CHECK_CONTAINS(r.err, "latencies without timestamps");
    CHECK_CONTAINS(r.err, "'wattprof map --runtime-only' takes it");
    test_run_free(&r);

    const char *ro[] = {"map", "--raw-data-dir", raw, "--result-dir", mapped, "--runtime-only", "--quiet", NULL};
    CHECK_CLI(ro, 0, NULL, NULL);
    char *map = test_read_file(test_path(mapped, "m/power_runtime_mapping_layerwise.csv"));
    CHECK(map != NULL);
    if (map) {
        CHECK_INT(test_count_lines(map), 1 + 12 * NLAYERS);
        char want[128];
        snprintf(want, sizeof want, "\n1,conv,CaskConvolution,,,%s\n", fmt(runtime_of(1, 1)));
        CHECK_CONTAINS(map, want);
    }
    free(map);
    r = run_dataset(mapped, out, NULL);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    char *rs = test_read_file(test_path(mapped, "m/m_average_run_time_stats.csv"));
    char *conv = test_read_file(test_path(out, "m/convolutional.csv"));
    CHECK(rs && conv);
    if (rs && conv) {
        char want[128];
        snprintf(want, sizeof want, "\nconv,12.0,%s,", fmt(mean_runtime(1, 12)));
        CHECK_CONTAINS(rs, want);
        snprintf(want, sizeof want, ",,%s,conv\n", fmt(mean_runtime(1, 12))); /* power empty */
        CHECK_CONTAINS(conv, want);
    }
    free(rs);
    free(conv);
    free(raw);
    free(mapped);
    free(out);
}

/* --runtime-stat: p10 of a layer whose cycles alternate base and base +
 * 0.125 ms is base (numpy's linear quantile), the mean (the default)
 * base + 0.0625. */
static void test_runtime_stat(void)
{
    const char *root = test_tmpdir();
    const char *in = test_path_kept(root, "pre"), *out = test_path_kept(root, "train");
    char *mapping = mapping_text(12, NULL, 0);
    write_model(in, "alpha", mapping, ENGINE);
    free(mapping);
    /* p10 named, then mean named, then by default (docs/training.md: the
     * statistic with the best leave-one-network-out error) */
    for (int which = 0; which < 3; which++) {
        const char *args[] = {"dataset",
                              "--preprocessed-data-dir",
                              in,
                              "--result-dir",
                              out,
                              "--quiet",
                              which < 2 ? "--runtime-stat" : NULL,
                              which == 0 ? "p10" : "mean",
                              NULL};
        CHECK_CLI(args, 0, NULL, NULL);
        char *conv = test_read_file(test_path(out, "alpha/convolutional.csv"));
        char *row = conv ? csv_row(conv, "conv") : NULL;
        char want[64];
        snprintf(want, sizeof want, ",%s,%s,conv", fmt(mean_power(1, 12)),
                 fmt(which == 0 ? runtime_of(1, 2) : mean_runtime(1, 12)));
        CHECK(row && strstr(row, want));
        free(row);
        free(conv);
    }
    CHECK_NEAR(wp_runtime_stat_of(WP_RUNTIME_P10, (const double[]){4, 1, NAN, 3, 2}, 5), 1.3, 1e-12);
    CHECK(wp_runtime_stat_of(WP_RUNTIME_MIN, (const double[]){4, 1.5, NAN, 3, 2}, 5) == 1.5);
    CHECK(isnan(wp_runtime_stat_of(WP_RUNTIME_MIN, (const double[]){NAN}, 1)));
    CHECK_NEAR(wp_runtime_stat_of(WP_RUNTIME_MEDIAN, (const double[]){4, 1, NAN, 3, 2}, 5), 2.5, 1e-12);
    CHECK_NEAR(wp_runtime_stat_of(WP_RUNTIME_MEAN, (const double[]){4, 1, NAN, 3, 2}, 5), 2.5, 1e-12);
    CHECK(isnan(wp_runtime_stat_of(WP_RUNTIME_MEDIAN, (const double[]){NAN}, 1)));
    const char *bad[] = {"dataset", "--preprocessed-data-dir", in, "--result-dir", out, "--runtime-stat", "p50", NULL};
    CHECK_CLI(bad, 2, NULL, TEST_LIST("mean, median, p10"));
}

int main(void)
{
    test_layer_not_in_engine();
    test_device_column();
    test_untimed_latency();
    test_runtime_stat();
    test_describe();
    test_quantiles_vs_qsort();
    test_features();
    test_cli_end_to_end();
    test_cache_resident();
    test_channel_block();
    test_stats_file();
    test_bad_input();
    test_usage();
    return test_summary();
}
