/* wattprof predict: per-layer power, runtime and energy of an engine (runtime
 * alone for a model set trained on runtime-only data). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "wattprof/atomic_file.h"
#include "wattprof/model.h"
#include "wattprof/onnx.h"

/* --onnx: the network's layers as bench would describe them, straight
 * from the graph (no engine-info file). */
static int onnx_predict(const char *models, const char *onnx, const char *input, const wp_predict_options *opt,
                        wp_prediction *p, wp_error *err)
{
    wp_dims dims, *dp = NULL;
    if (input) {
        if (wp_dims_parse(input, &dims, err))
            return -1;
        dp = &dims;
    }
    wp_graph g;
    if (wp_onnx_read(onnx, dp, &g, err)) {
        wp_graph_free(&g);
        return -1;
    }
    int rc = wp_predict_graph(models, &g, opt, p, err);
    wp_graph_free(&g);
    return rc;
}

static void usage(void)
{
    puts("usage: wattprof predict --models DIR (--engine-info FILE | --onnx FILE.onnx [--input NxCxHxW]\n"
         "                        [--no-fusion]) [--out FILE.csv]\n"
         "\n"
         "Predicts power (W), runtime (ms) and energy (mJ) of every layer of a TensorRT\n"
         "engine (trt_engine_info.json) whose kind has models in DIR (from 'wattprof\n"
         "train': convolution, pooling, dense, normalization, activation, elementwise,\n"
         "reshape, softmax, matmul). Prints a summary, with every layer not modelled,\n"
         "the reason and its share of the estimated time; --out writes\n"
         "layer_name,layer_type,power_prediction,runtime_prediction,energy_prediction,\n"
         "runtime_low,runtime_high,energy_low,energy_high (90 %% interval) and out_of_range\n"
         "(1: a feature outside the training range; also warned about on stderr).\n"
         "A layer whose model gives no positive finite number is listed as not\n"
         "modelled, with the reason. A layer kind with a runtime model and no power\n"
         "model (trained on runtime-only data) gets its runtime only: its power and\n"
         "energy cells are empty, and no energy or average power is totalled unless\n"
         "every modelled layer has a power model (the summary says how many lack one).\n"
         "\n"
         "  --models DIR        model files from 'wattprof train'\n"
         "  --engine-info FILE  trt_engine_info.json\n"
         "  --onnx FILE         an ONNX network instead: its layers as 'wattprof bench'\n"
         "                      describes them (no TensorRT engine needed)\n"
         "  --input NxCxHxW     with --onnx: override the model's input shape\n"
         "  --no-fusion         with --onnx: predict every node as a layer of its own.\n"
         "                      By default a BatchNormalization and a Relu/Clip that\n"
         "                      the CPU runner (and TensorRT) fuse into the convolution\n"
         "                      or dense layer before them are left out, as measured data has no time\n"
         "                      of their own for them (listed as 'fused'; in no total\n"
         "                      and not in the CSV)\n"
         "  --out FILE.csv      per-layer predictions\n"
         "  --help              this text");
}

/* Bytes as KB below 10 MB, else MB (1024-based, as caches are given). */
static const char *size_text(double bytes, char *buf, size_t size)
{
    if (bytes < 10.0 * 1024 * 1024)
        snprintf(buf, size, "%.0f KB", bytes / 1024);
    else
        snprintf(buf, size, "%.0f MB", bytes / (1024 * 1024));
    return buf;
}

int cmd_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        {"models", required_argument, 0, 'm'}, {"engine-info", required_argument, 0, 'e'},
        {"out", required_argument, 0, 'o'},    {"onnx", required_argument, 0, 'x'},
        {"input", required_argument, 0, 'i'},  {"no-fusion", no_argument, 0, 'F'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *models = NULL, *engine = NULL, *out = NULL, *onnx = NULL, *input = NULL;
    wp_predict_options popt;
    wp_predict_options_init(&popt);
    int c;
    optind = 1;
    while ((c = cli_getopt("predict", argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'm': models = optarg; break;
        case 'e': engine = optarg; break;
        case 'o': out = optarg; break;
        case 'x': onnx = optarg; break;
        case 'i': input = optarg; break;
        case 'F': popt.fusion = 0; break;
        case 'h': usage(); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_no_operands("predict", argc, argv))
        return 2;
    if (!models || !!engine == !!onnx)
        return cli_usage_error("predict", "--models and one of --engine-info or --onnx are required");
    if (input && !onnx)
        return cli_usage_error("predict", "--input goes with --onnx");
    /* an engine file already has the runtime's own layers, fused or not */
    if (!popt.fusion && !onnx)
        return cli_usage_error("predict", "--no-fusion goes with --onnx");
    size_t L = out ? strlen(out) : 0;
    if (out && (L < 4 || strcmp(out + L - 4, ".csv") != 0))
        return cli_usage_error("predict", "--out must name a .csv file, got '%s'", out);
    wp_prediction p;
    wp_error err;
    int prc = onnx ? onnx_predict(models, onnx, input, &popt, &p, &err) : wp_predict_engine(models, engine, &p, &err);
    if (prc)
        return cli_fail("predict", &err);
    if (out && wp_prediction_write_csv(&p, out, &err)) {
        wp_prediction_free(&p);
        return cli_fail("predict", &err);
    }
    printf("layers modelled:        %zu / %zu\n", p.modelled, p.n);
    char note[1024];
    if (!p.modelled)
        printf("modelled runtime:       - (no layer modelled)\n");
    else if (isfinite(p.runtime_lo))
        printf("modelled runtime:       %.6g ms (90 %% interval %.6g to %.6g)\n", p.runtime_ms, p.runtime_lo,
               p.runtime_hi);
    else
        printf("modelled runtime:       %.6g ms\n", p.runtime_ms);
    if (!p.modelled)
        printf("average power:          - (no layer modelled)\n");
    else if (wp_prediction_no_power_note(&p, note, sizeof note))
        printf("power, energy:          %s\n", note);
    else {
        printf("average power:          %.6g W (time-weighted)\n", p.avg_power_w);
        if (isfinite(p.energy_lo))
            printf("energy per inference:   %.6g mJ (90 %% interval %.6g to %.6g)\n", p.energy_mj, p.energy_lo,
                   p.energy_hi);
        else
            printf("energy per inference:   %.6g mJ\n", p.energy_mj);
    }
    /* where the network's weights live decides what they cost */
    if (p.cache_bytes > 0) {
        char net[32], cache[32];
        printf("cache:                  weights %s, models' level-2 cache %s: ",
               size_text(p.network_bytes, net, sizeof net), size_text(p.cache_bytes, cache, sizeof cache));
        if (p.resident)
            printf("fits (weights read from cache, no cold start)\n");
        else if (p.miss_share < 0.01)
            printf("under 1 %% of it does not fit (that share of the weights streamed from memory and of a cold "
                   "start charged)\n");
        else
            printf("%.0f %% of it does not fit (that share of the weights streamed from memory and of a cold start "
                   "charged)\n",
                   100 * p.miss_share);
    }
    if (p.channel_block > 1 && p.n_conv)
        printf("channels:               %zu of %zu convolutions rounded up to the models' block of %.0f output "
               "channels\n",
               p.n_channel_padded, p.n_conv, p.channel_block);
    for (size_t t = 0; t < p.n_other_types; t++) {
        printf("not modelled:           %zu x %s (%s)", p.other_counts[t], p.other_types[t], p.other_reasons[t]);
        size_t est = p.other_counts[t] - p.other_unestimated[t];
        if (est && p.estimated_total_ms > 0)
            printf(": about %.3g ms, %.1f %% of the estimated time%s", p.other_est_ms[t],
                   100.0 * p.other_est_ms[t] / p.estimated_total_ms,
                   est < p.other_counts[t] ? " (some unestimated)" : "");
        else
            printf(": share unknown (no data-movement model to estimate it from its bytes)");
        putchar('\n');
    }
    if (p.n_fused) {
        printf("fused:                  ");
        for (size_t t = 0; t < p.n_fused_types; t++)
            printf("%s%zu x %s", t ? ", " : "", p.fused_counts[t], p.fused_types[t]);
        printf(" (their work is in the time of the layer before them)\n");
    }
    if (p.n_other_types && p.estimated_total_ms > p.runtime_ms)
        printf("estimated runtime:      %.6g ms (modelled layers + rough estimates of the others)\n",
               p.estimated_total_ms);
    if (p.out_of_range)
        fprintf(stderr,
                "wattprof predict: warning: %zu of %zu modelled layers lie outside the models' training range; "
                "their predictions are extrapolations%s\n",
                p.out_of_range, p.modelled, out ? " (out_of_range = 1 in the CSV)" : "");
    if (out)
        printf("per-layer predictions written to %s\n", out);
    wp_prediction_free(&p);
    return 0;
}
