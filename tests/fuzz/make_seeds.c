/* Writes the fuzz seed corpus: OUT/<harness>/seed-<n>, each built here from
 * fixtures like the tests' own (tiny networks, a few cycles), or produced
 * by running the pipeline on them (map results for `report`, trained
 * models for `model`), so no seed is copied from elsewhere.
 * Usage: fuzz_make_seeds OUT */
#include <stdarg.h>

#include "fuzz_train_options.h"
#include "fuzz_util.h"
#include "train_fixture.h"
#include "wattprof/engine.h"
#include "wattprof/mapper.h"
#include "wattprof/model.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"
#include "wattprof/simulate.h"
#include "wattprof/zoo.h"

static const char *out_root;

static void die(const char *what, const wp_error *err)
{
    fprintf(stderr, "fuzz_make_seeds: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

/* OUT/<harness>/seed-<n>: the parts joined by the harness separator. */
static void seed(const char *harness, int n, int parts, ...)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/%s", out_root, harness);
    mkdir(out_root, 0755);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/seed-%d", dir, n);
    FILE *f = fopen(path, "wb");
    if (!f)
        die(path, NULL);
    va_list ap;
    va_start(ap, parts);
    for (int i = 0; i < parts; i++) {
        const char *s = va_arg(ap, const char *);
        if (i)
            fputs(FZ_SEP, f);
        fputs(s ? s : "", f);
    }
    va_end(ap);
    if (fclose(f) != 0)
        die(path, NULL);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    buf[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static void seed_bytes(const char *harness, int n, const char *data, size_t len)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/%s", out_root, harness);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/seed-%d", dir, n);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        die(path, NULL);
}

#define MAP_HEADER                                                                                                     \
    "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"                                         \
    "layer_power_excluding_idle_power_micro_watt,layer_run_time\n"

static const char *IDLE = "{\"timestamp\": \"20241121-051743\", \"avg_idle_power\": 5000000.0}\n";

static const char *LOG = "20241121-00:00:01.00,5000.0,1100.0\n20241121-00:00:01.20,5000.0,1200.0\n"
                         "20241121-00:00:01.40,5000.0,1300.0\n20241121-00:00:01.60,5000.0,1400.0\n"
                         "20241121-00:00:01.80,5000.0,1500.0\n20241121-00:00:02.00,5000.0,1600.0\n"
                         "20241121-00:00:02.20,5000.0,1700.0\n20241121-00:00:02.40,5000.0,1800.0\n"
                         "20241121-00:00:02.60,5000.0,1900.0\n20241121-00:00:02.80,5000.0,2000.0\n"
                         "20241121-00:00:03.00,5000.0,2100.0\n";

static const char *LATENCY = "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"], [300.5, \"20241121-00:00:02.10\"]],\n"
                             " \"pool0\": [[0.0303, \"20241121-00:00:01.60\"], [0.25, \"20241121-00:00:02.20\"]],\n"
                             " \"fc0\": [[800.0, \"20241121-00:00:02.70\"], [100.125, \"20241121-00:00:02.90\"]]}\n";

static const char *ENGINE =
    "{\n"
    "  \"Layers\": [\n"
    "    {\"Name\": \"reformat\", \"LayerType\": \"Reformat\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 3, 32, 32]}], \"Outputs\": [{\"Dimensions\": [1, 3, 32, 32]}]},\n"
    "    {\"Name\": \"conv0\", \"LayerType\": \"CaskConvolution\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 3, 32, 32], \"Format/Datatype\": \"Channel major FP16 format\"}],\n"
    "     \"Outputs\": [{\"Dimensions\": [1, 16, 16, 16]}],\n"
    "     \"Kernel\": [3, 3], \"PrePadding\": [1, 0], \"PostPadding\": [1, 1], \"Stride\": [2, 2],\n"
    "     \"Dilation\": [1, 1], \"Groups\": 1, \"OutMaps\": 16, \"Weights\": {\"Type\": \"Half\", \"Count\": 432}},\n"
    "    {\"Name\": \"pool0\", \"LayerType\": \"CaskPooling\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 16, 16, 16]}], \"Outputs\": [{\"Dimensions\": [1, 16, 8, 8]}],\n"
    "     \"PoolingType\": \"MAX\", \"WindowSize\": [2, 2], \"Stride\": [2, 2]},\n"
    "    {\"Name\": \"gpool\", \"LayerType\": \"CaskPooling\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 16, 8, 8]}], \"Outputs\": [{\"Dimensions\": [1, 16, 1, 1]}]},\n"
    "    {\"Name\": \"fc0\", \"LayerType\": \"CaskGemmConvolution\",\n"
    "     \"Inputs\": [{\"Dimensions\": [1, 16, 1, 1]}], \"Outputs\": [{\"Dimensions\": [1, 10, 1, 1]}],\n"
    "     \"Kernel\": [1, 1]},\n"
    "    {\"Name\": \"fc2\", \"LayerType\": \"CaskGemmConvolution\",\n"
    "     \"Inputs\": [{\"Dimensions\": [4, 10]}], \"Outputs\": [{\"Dimensions\": [4, 5]}]},\n"
    "    {\"Name\": \"noop\", \"LayerType\": \"NoOp\"}\n"
    "  ],\n"
    "  \"Bindings\": [\"input\", \"output\"]\n"
    "}\n";

static const char *MAPPING = MAP_HEADER "1,reformat,Reformat,5100000.0,100000.0,0.01\n"
                                        "1,conv0,CaskConvolution,6250000.0,1250000.0,400.0\n"
                                        "1,pool0,CaskPooling,5500000.5,500000.5,0.0303\n"
                                        "1,gpool,CaskPooling,,,0.02\n"
                                        "1,fc0,CaskGemmConvolution,8750000.0,3750000.0,800.0\n"
                                        "1,fc2,CaskGemmConvolution,8000000.0,3000000.0,1.5\n"
                                        "2,reformat,Reformat,5100000.0,100000.0,0.01\n"
                                        "2,conv0,CaskConvolution,6000000.0,1000000.0,300.5\n"
                                        "2,pool0,CaskPooling,5400000.0,400000.0,0.25\n"
                                        "2,gpool,CaskPooling,5300000.0,300000.0,0.02\n"
                                        "2,fc0,CaskGemmConvolution,8500000.0,3500000.0,100.125\n"
                                        "2,fc2,CaskGemmConvolution,8100000.0,3100000.0,1.25\n";

static const char *ESTIMATES =
    "layer_name,layer_type,power_including_idle_micro_watt,power_excluding_idle_micro_watt,"
    "standard_error_micro_watt,latency_mean_ms,latency_std_ms,cycles,effective_sample_weight,status\n"
    "conv0,CaskConvolution,6100000.0,1100000.0,20000.0,350.25,49.75,2,1.5,ok\n"
    "pool0,CaskPooling,5450000.0,450000.0,90000.0,0.14015,0.10985,2,0.25,ok\n"
    "fc0,CaskGemmConvolution,,,,450.0625,349.9375,2,0,uncovered\n";

static const char *PREDICTIONS = "layer_name,layer_type,power_prediction,runtime_prediction,energy_prediction\n"
                                 "conv0,CaskConvolution,1.25,0.5,0.625\n"
                                 "pool0,CaskPooling,0.5,0.03,0.015\n";

/* x[1,2,6,6] -> Conv 3x3 -> Relu -> MaxPool 2x2 -> Flatten -> Gemm [16,3]. */
static void onnx_small(const char *path)
{
    wp_graph g;
    wp_error err;
    wp_graph_init(&g, "small");
    wp_dims in = {4, {1, 2, 6, 6}}, w = {4, {4, 2, 3, 3}}, b = {1, {4}}, fw = {2, {16, 3}}, fb = {1, {3}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int tw = wp_graph_add_tensor(&g, "w", &w, 1), tb = wp_graph_add_tensor(&g, "b", &b, 1);
    int tfw = wp_graph_add_tensor(&g, "fw", &fw, 1), tfb = wp_graph_add_tensor(&g, "fb", &fb, 1);
    int c = wp_graph_add_tensor(&g, "c", NULL, 0), r = wp_graph_add_tensor(&g, "r", NULL, 0);
    int p = wp_graph_add_tensor(&g, "p", NULL, 0), f = wp_graph_add_tensor(&g, "f", NULL, 0);
    int y = wp_graph_add_tensor(&g, "y", NULL, 0);
    for (int t = 1; t < 5; t++) {
        g.tensors[t].seed = (uint64_t)t;
        g.tensors[t].scale = 0.5f;
        if (wp_tensor_fill(&g.tensors[t], &err))
            die("fill", &err);
    }
    int ci[3] = {g.input, tw, tb}, gi[3] = {f, tfw, tfb};
    wp_node *n = wp_graph_add_node(&g, WP_OP_CONV, "conv0", 3, ci, 1, &c);
    n->kernel[0] = n->kernel[1] = 3;
    wp_graph_add_node(&g, WP_OP_RELU, "relu0", 1, &c, 1, &r);
    n = wp_graph_add_node(&g, WP_OP_MAXPOOL, "pool0", 1, &r, 1, &p);
    n->kernel[0] = n->kernel[1] = 2;
    n->stride[0] = n->stride[1] = 2;
    wp_graph_add_node(&g, WP_OP_FLATTEN, "flat", 1, &p, 1, &f);
    wp_graph_add_node(&g, WP_OP_GEMM, "fc0", 3, gi, 1, &y);
    g.output = y;
    if (wp_graph_infer_shapes(&g, &err) || wp_onnx_write(path, &g, &err))
        die("small onnx", &err);
    wp_graph_free(&g);
}

/* x[1,4,5,5] -> padded strided Conv -> BatchNorm -> Add (residual) ->
 * Concat -> AveragePool (ceil) -> GlobalAveragePool -> Reshape -> Softmax. */
static void onnx_branches(const char *path)
{
    wp_graph g;
    wp_error err;
    wp_graph_init(&g, "branches");
    wp_dims in = {4, {1, 4, 5, 5}}, w = {4, {4, 2, 3, 3}}, v = {1, {4}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int tw = wp_graph_add_tensor(&g, "w", &w, 1);
    int bn[4];
    for (int i = 0; i < 4; i++) {
        char nm[8];
        snprintf(nm, sizeof nm, "bn%d", i);
        bn[i] = wp_graph_add_tensor(&g, nm, &v, 1);
    }
    for (size_t t = 1; t < g.n_tensors; t++) {
        g.tensors[t].seed = t;
        g.tensors[t].scale = 0.25f;
        g.tensors[t].offset = 1.0f;
        if (wp_tensor_fill(&g.tensors[t], &err))
            die("fill", &err);
    }
    int c = wp_graph_add_tensor(&g, "c", NULL, 0), b = wp_graph_add_tensor(&g, "b", NULL, 0);
    int a = wp_graph_add_tensor(&g, "a", NULL, 0), k = wp_graph_add_tensor(&g, "k", NULL, 0);
    int ap = wp_graph_add_tensor(&g, "ap", NULL, 0), gp = wp_graph_add_tensor(&g, "gp", NULL, 0);
    int rs = wp_graph_add_tensor(&g, "rs", NULL, 0), y = wp_graph_add_tensor(&g, "y", NULL, 0);
    int ci[2] = {g.input, tw};
    wp_node *n = wp_graph_add_node(&g, WP_OP_CONV, "conv", 2, ci, 1, &c);
    n->group = 2;
    n->pads[0] = n->pads[1] = n->pads[2] = n->pads[3] = 1;
    int bi[5] = {c, bn[0], bn[1], bn[2], bn[3]};
    wp_graph_add_node(&g, WP_OP_BATCHNORM, "bn", 5, bi, 1, &b);
    int ai[2] = {b, g.input};
    wp_graph_add_node(&g, WP_OP_ADD, "add", 2, ai, 1, &a);
    int ki[2] = {a, b};
    wp_graph_add_node(&g, WP_OP_CONCAT, "cat", 2, ki, 1, &k);
    n = wp_graph_add_node(&g, WP_OP_AVGPOOL, "apool", 1, &k, 1, &ap);
    n->kernel[0] = n->kernel[1] = 2;
    n->stride[0] = n->stride[1] = 2;
    n->ceil_mode = 1;
    n->count_include_pad = 1;
    wp_graph_add_node(&g, WP_OP_GLOBALAVGPOOL, "gpool", 1, &ap, 1, &gp);
    n = wp_graph_add_node(&g, WP_OP_RESHAPE, "reshape", 1, &gp, 1, &rs);
    n->reshape.n = 2;
    n->reshape.d[0] = 1;
    n->reshape.d[1] = -1;
    wp_graph_add_node(&g, WP_OP_SOFTMAX, "softmax", 1, &rs, 1, &y);
    g.output = y;
    if (wp_graph_infer_shapes(&g, &err) || wp_onnx_write(path, &g, &err))
        die("branches onnx", &err);
    wp_graph_free(&g);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_seeds OUT\n");
        return 2;
    }
    out_root = argv[1];
    mkdir(out_root, 0755);
    const char *tmp = fz_dir();
    wp_error err;

    seed("latency", 0, 1, LATENCY);
    seed("latency", 1, 1, "{\"a\": [[1.0005, \"20241121-00:00:01.0\"], [2.0025, \"20241121-00:00:03.000001\"]]}\n");
    seed("powerlog", 0, 1, LOG);
    seed("powerlog", 1, 1, "20241121-23:59:59.999999,19.2,0.5\n\n20241122-00:00:00.1,-3,7e2\n");
    seed("idle", 0, 1, IDLE);
    seed("idle", 1, 1, "{\"avg_idle_power\": 1}");
    seed("engine", 0, 1, ENGINE);
    seed("csv", 0, 2, MAPPING, ESTIMATES);
    seed("csv", 1, 2, "a,\"b,c\",d\n1,\"x\"\"y\",3\n", "");
    seed("dataset", 0, 3, MAPPING, ENGINE, "");
    seed("dataset", 1, 3, MAPPING, ENGINE, ESTIMATES);
    seed("map", 0, 4, IDLE, LOG, LATENCY, ENGINE);
    seed("map", 1, 4, IDLE, LOG,
         "{\"conv0\": [[400.0, \"20241121-00:00:01.50\"]],\n \"fc0\": [[800.0, \"20241121-00:00:02.70\"]]}", ENGINE);
    seed("scalar", 0, 1, "5000.0");
    seed("scalar", 1, 1, "0.03030399978160858");
    seed("scalar", 2, 1, "20241121-00:00:01.300010");
    seed("scalar", 3, 1, "1x3x224x224");
    seed("scalar", 4, 1, "reconstructed");
    seed("scalar", 5, 1, "-1.5e-310");
    seed("scalar", 6, 1, "interpolate");
    seed("scalar", 7, 1, "ina3221");

    /* ONNX: two hand-built graphs; the engine view of a zoo network. */
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/small.onnx", tmp);
    onnx_small(path);
    char *bytes = slurp(path, &len);
    seed_bytes("onnx", 0, bytes, len);
    free(bytes);
    snprintf(path, sizeof path, "%s/branches.onnx", tmp);
    onnx_branches(path);
    bytes = slurp(path, &len);
    seed_bytes("onnx", 1, bytes, len);
    free(bytes);
    static const char *const archs[] = {"lenet"};
    for (int i = 0; i < 1; i++) {
        wp_graph g;
        if (wp_zoo_build(archs[i], NULL, &g, &err))
            die(archs[i], &err);
        snprintf(path, sizeof path, "%s/%s.json", tmp, archs[i]);
        /* as bench writes it for the cpu backend: the fused ReLUs marked,
         * the machine's cache named */
        int *plan = malloc(g.n_nodes * sizeof *plan);
        if (!plan || wp_graph_fusion_plan(&g, plan, &err) < 0 ||
            wp_graph_write_engine_info(&g, plan, 1048576, 16, path, &err))
            die(archs[i], &err);
        free(plan);
        wp_graph_free(&g);
        bytes = slurp(path, &len);
        seed_bytes("engine", 1 + i, bytes, len);
        free(bytes);
    }

    /* report: what map makes of the map seed, plus predictions. */
    char raw[512], res[512];
    snprintf(raw, sizeof raw, "%s/raw", tmp);
    snprintf(res, sizeof res, "%s/result", tmp);
    fz_write(tmp, "raw/idling_power.json", IDLE, strlen(IDLE));
    fz_write(tmp, "raw/m/m_power_log.log", LOG, strlen(LOG));
    fz_write(tmp, "raw/m/trt_profiling/trt_layer_latency.json", LATENCY, strlen(LATENCY));
    fz_write(tmp, "raw/m/trt_profiling/trt_engine_info.json", ENGINE, strlen(ENGINE));
    wp_map_options mo;
    wp_map_options_init(&mo);
    if (wp_map_raw_dir(raw, res, &mo, NULL, &err))
        die("map", &err);
    snprintf(path, sizeof path, "%s/m/power_runtime_mapping_layerwise.csv", res);
    char *mapping = slurp(path, NULL);
    snprintf(path, sizeof path, "%s/m/mapping_info.json", res);
    char *info = slurp(path, NULL);
    seed("report", 0, 5, mapping, "", info, ENGINE, PREDICTIONS);
    seed("report", 1, 5, MAPPING, ESTIMATES, info, ENGINE, "");
    free(mapping);
    free(info);

    /* train and model: the tests' synthetic dense data, trained once. */
    char data[512], models[512];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(models, sizeof models, "%s/models", tmp);
    int per_kind[3] = {0, 0, 12};
    if (fx_write(data, 2, per_kind, 7, &err))
        die("fixture", &err);
    snprintf(path, sizeof path, "%s/net00/dense.csv", data);
    char *d0 = slurp(path, NULL);
    snprintf(path, sizeof path, "%s/lenet/dense.csv", data);
    char *d1 = slurp(path, NULL);
    const char *cfg = "{\"cv\": 2, \"pipelines\": {\"dense_power\": {\"features\": [\"batch_size\", \"input_size\", "
                      "\"output_size\", \"macs\", \"bytes\"], \"degree\": 2, \"scaler\": \"minmax\", "
                      "\"positive\": false, \"special_terms\": [[\"macs\", \"bytes\"]]}}}\n";
    seed("train", 0, 3, cfg, d0, d1);
    seed("train", 1, 3, "", d0, d1);
    snprintf(path, sizeof path, "%s/cfg.json", tmp);
    fz_write(tmp, "cfg.json", cfg, strlen(cfg));
    wp_train_options to;
    fz_train_options(&to, data, models, path);
    wp_train_report rep;
    if (wp_train_run(&to, &rep, &err))
        die("train", &err);
    wp_train_report_free(&rep);
    snprintf(path, sizeof path, "%s/dense_power.json", models);
    char *mp = slurp(path, NULL);
    snprintf(path, sizeof path, "%s/dense_runtime.json", models);
    char *mr = slurp(path, NULL);
    seed("model", 0, 3, mp, mr, ENGINE);
    free(mp);
    free(mr);
    free(d0);
    free(d1);
    /* trtexec: a small simulated `run -- trtexec` (the four files map reads). */
    char sim[512];
    snprintf(sim, sizeof sim, "%s/sim", tmp);
    wp_sim_options so;
    wp_sim_options_init(&so);
    so.n_layers = 4;
    so.n_cycles = 12;
    so.reporting = WP_SIM_TRTEXEC;
    so.inference_us = 2000;
    so.lead_us = 5000;
    so.seed = 3;
    static const char *const sim_models[] = {"m"};
    if (wp_simulate(sim, &so, sim_models, 1, &err))
        die("simulate", &err);
    static const char *const trtexec_files[] = {"m/" WP_TRTEXEC_PROFILE, "m/" WP_TRTEXEC_TIMES, "m/" WP_RUN_INFO_JSON,
                                                "m/m" WP_POWER_LOG_SUFFIX,
                                                "m/" WP_PROFILING_DIR "/" WP_ENGINE_INFO_JSON};
    char *tf[5];
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/%s", sim, trtexec_files[k]);
        tf[k] = slurp(path, NULL);
        if (!tf[k])
            die(path, NULL);
    }
    seed("trtexec", 0, 5, tf[0], tf[1], tf[2], tf[3], tf[4]);
    seed("trtexec", 1, 5, tf[0], tf[1], "", "", "");
    for (int k = 0; k < 5; k++)
        free(tf[k]);

    /* tegrastats: one line shape per era (JetPack 4 stamp-less, 5, 6). */
    seed("tegrastats", 0, 1,
         "RAM 1925/3956MB (lfb 114x4MB) SWAP 0/1978MB (cached 0MB) CPU [12%@1479,8%@1479,off,off] EMC_FREQ 0% "
         "GR3D_FREQ 0% PLL@25C CPU@28C PMIC@100C GPU@26.5C AO@33C thermal@27.25C POM_5V_IN 2100/2100 POM_5V_GPU 0/0 "
         "POM_5V_CPU 415/415\n"
         "RAM 1925/3956MB (lfb 114x4MB) SWAP 0/1978MB (cached 0MB) CPU [12%@1479,8%@1479,off,off] EMC_FREQ 0% "
         "GR3D_FREQ 0% PLL@25C CPU@28C PMIC@100C GPU@26.5C AO@33C thermal@27.25C POM_5V_IN 2300/2200 POM_5V_GPU 0/0 "
         "POM_5V_CPU 415/415\n");
    seed("tegrastats", 1, 1,
         "11-21-2024 00:00:00 RAM 2131/30536MB (lfb 6474x4MB) CPU [1%@729,0%@729,off,off] EMC_FREQ 0%@2133 "
         "GR3D_FREQ 0%@[0,0] VDD_GPU_SOC 3990mW/3990mW VDD_CPU_CV 798mW/798mW VIN_SYS_5V0 5000mW/5000mW\n"
         "11-21-2024 00:00:00 RAM 2131/30536MB (lfb 6474x4MB) CPU [1%@729,0%@729,off,off] EMC_FREQ 0%@2133 "
         "GR3D_FREQ 0%@[0,0] VDD_GPU_SOC 3990mW/3990mW VDD_CPU_CV 798mW/798mW VIN_SYS_5V0 5100mW/5050mW\n"
         "11-21-2024 00:00:01 RAM 2131/30536MB (lfb 6474x4MB) CPU [1%@729,0%@729,off,off] EMC_FREQ 0%@2133 "
         "GR3D_FREQ 0%@[0,0] VDD_GPU_SOC 3990mW/3990mW VDD_CPU_CV 798mW/798mW VIN_SYS_5V0 5200mW/5100mW\n");
    seed("tegrastats", 2, 1,
         "12-01-2026 18:00:00 RAM 3076/7620MB (lfb 2x4MB) CPU [2%@1510,1%@1510] GR3D_FREQ 0% cpu@47.5C "
         "VDD_IN 4953mW/4953mW VDD_CPU_GPU_CV 636mW/636mW VDD_SOC 1390mW/1390mW\n"
         "12-01-2026 18:00:01 RAM 3076/7620MB (lfb 2x4MB) CPU [2%@1510,1%@1510] GR3D_FREQ 0% cpu@47.5C "
         "VDD_IN 5012mW/4980mW VDD_CPU_GPU_CV 636mW/636mW VDD_SOC 1390mW/1390mW\n");

    /* device: an Orin Nano's files (the device-tree model ends in NUL). */
    {
        static const char model[] = "NVIDIA Jetson Orin Nano Developer Kit";
        char dev[1024];
        int n = snprintf(dev, sizeof dev,
                         "%s%c" FZ_SEP "5.15.136-tegra" FZ_SEP
                         "# R36 (release), REVISION: 3.0, GCID: 36923193, BOARD: generic, EABI: aarch64\n" FZ_SEP
                         "NV Power Mode: 15W\n0\n" FZ_SEP "1510400\n" FZ_SEP "schedutil\n" FZ_SEP "47500\n" FZ_SEP
                         "624750000\n",
                         model, 0);
        seed_bytes("device", 0, dev, (size_t)n);
    }
    /* ... and a device.json as the whole input (the readers' own case) */
    seed(
        "device", 1, 1,
        "{\n"
        "  \"model\": \"NVIDIA Jetson AGX Orin Developer Kit\",\n"
        "  \"kernel\": \"5.15.136-tegra\",\n"
        "  \"l4t_release\": \"# R36 (release), REVISION: 3.0\",\n"
        "  \"nvpmodel\": \"NV Power Mode: MAXN\",\n"
        "  \"logger_rate_hz\": 750.0,\n"
        "  \"cpus\": [{\"cpu\": \"cpu0\", \"cur_khz\": 2201600, \"min_khz\": 115200, \"max_khz\": 2201600, \"governor\": \"schedutil\"}],\n"
        "  \"devfreq\": [{\"device\": \"17000000.gpu\", \"cur_hz\": 1300500000, \"min_hz\": 306000000, \"max_hz\": 1300500000}],\n"
        "  \"start\": {\"time\": \"20261201-18:00:00.000000\", \"thermal\": [{\"zone\": \"thermal_zone0\", \"type\": \"cpu-thermal\", \"temp_mc\": 47500}]},\n"
        "  \"end\": {\"time\": \"20261201-18:01:00.000000\", \"thermal\": [{\"zone\": \"thermal_zone0\", \"type\": \"cpu-thermal\", \"temp_mc\": 52250}]},\n"
        "  \"logger_mean_rate_hz\": 749.5\n"
        "}\n");
    printf("seeds written to %s\n", out_root);
    return 0;
}
