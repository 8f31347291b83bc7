/* wattprof profile: log power, bench, map and tabulate a network in one step. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/layout.h"
#include "logopts.h"
#include "netopts.h"
#include "progress.h"
#include "wattprof/model.h"
#include "wattprof/profile.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: wattprof profile --model FILE.onnx --result-dir DIR [--backend cpu|cuda|ref]\n"
                "                        [--source KIND] [--rail NAME] [--runs N] [--duration S] [--warmup W]\n"
                "                        [options]\n"
                "\n"
                "Measures idle power, logs power in a thread while 'bench' runs the network\n"
                "layer by layer, maps power onto the layers (deconvolve, falling back to\n"
                "interpolate), builds the dataset rows, and prints per-layer runtime, power and\n"
                "energy with totals. Without a power sensor it says so and gives runtime only;\n"
                "the mapped and training data are then runtime-only (power columns empty), from\n"
                "which 'wattprof train' fits the runtime models.\n"
                "\n"
                "Writes DIR/raw/ (idling_power.json, NAME/ raw layout with NAME_power_log.log\n"
                "and device.json: board, clocks, temperatures at start and end),\n"
                "DIR/mapped/NAME/ (mapping CSV, statistics, device.json), DIR/training/NAME/\n"
                "(training rows, with the board as their device column).\n"
                "\n"
                "  --model FILE          ONNX network\n"
                "  --result-dir DIR      output folder\n"
                "  --backend B           cpu (default), cuda (where built), ref\n"
                "  --runs N              measured cycles (default 100)\n"
                "  --duration S          and keep measuring until S seconds have passed\n"
                "  --warmup W            untimed cycles first (default 10)\n"
                "  --threads N           cpu backend threads (default 0: all cores)\n"
                "  --name NAME           result name (default: model file name without .onnx)\n"
                "  --input NxCxHxW       override the model's input shape\n"
                "  --idle-seconds S      idle measurement before the run (default 1)\n"
                "  --attribution MODE    auto, deconvolve, interpolate or samples (default auto:\n"
                "                        deconvolve, or interpolate where deconvolve cannot\n"
                "                        separate layers, said on stderr)\n"
                "  --no-power            do not look for a sensor (runtime only)\n"
                "  --models DIR          models from 'wattprof train': print their prediction\n"
                "                        beside each measured layer\n"
                "  (idle reading for --cooldown: DIR/raw/device.json, written by the first\n"
                "  profile into DIR with --cooldown, or by 'wattprof idle --result-dir DIR/raw')\n" CLI_COOLDOWN_HELP
                    CLI_LOG_HELP "  --help                this text\n");
}

enum {
    OPT_MODEL = 2000,
    OPT_DIR,
    OPT_BACKEND,
    OPT_RUNS,
    OPT_BENCH_DURATION,
    OPT_WARMUP,
    OPT_THREADS,
    OPT_NAME,
    OPT_INPUT,
    OPT_IDLE,
    OPT_ATTR,
    OPT_NOPOWER,
    OPT_MODELS,
    OPT_HELP
};

/* Predicted columns (power above idle, as the models are trained on);
 * "-" for what is not predicted (a runtime-only model set has no power). */
static void print_pred3(double ms, double w, double mj)
{
    double v[3] = {ms, w, mj};
    const char *fmt[3] = {" | %10.4f", " %10.3f", " %11.4f"}, *dash[3] = {" | %10s", " %10s", " %11s"};
    for (int k = 0; k < 3; k++) {
        if (isfinite(v[k]) && v[k] > 0)
            printf(fmt[k], v[k]);
        else
            printf(dash[k], "-");
    }
    putchar('\n');
}

static void print_pred(const wp_prediction *p, size_t i)
{
    if (!p)
        printf("\n");
    else if (i < p->n && p->rows[i].modelled)
        print_pred3(p->rows[i].runtime_ms, p->rows[i].power_w, p->rows[i].energy_mj);
    else
        print_pred3(NAN, NAN, NAN);
}

static void print_table(const wp_profile_result *res, const wp_prediction *p)
{
    printf("%-32s %-20s %10s %10s %11s %11s", "layer", "type", "runtime_ms", "power_W", "above_idle_W", "energy_mJ");
    if (p)
        printf(" | %10s %10s %11s\n", "pred_ms", "pred_W", "pred_mJ");
    else
        printf("\n");
    for (size_t i = 0; i < res->n_layers; i++) {
        const wp_profile_layer *l = &res->layers[i];
        printf("%-32.32s %-20.20s %10.4f", l->name, l->type, l->runtime_ms);
        if (res->have_power && isfinite(l->power_w))
            printf(" %10.3f %11.3f %11.4f", l->power_w, l->power_above_idle_w, l->energy_mj);
        else
            printf(" %10s %11s %11s", "-", "-", "-");
        print_pred(p, i);
    }
    printf("%-32s %-20s %10.4f", "TOTAL", "", res->total_runtime_ms);
    if (res->have_power)
        printf(" %10.3f %11.3f %11.4f", res->total_power_w, res->total_power_w - res->idle_w, res->total_energy_mj);
    else
        printf(" %10s %11s %11s", "-", "-", "-");
    if (p)
        print_pred3(p->runtime_ms, p->avg_power_w, p->energy_mj);
    else
        printf("\n");
    if (!p)
        return;
    printf("pred_*: prediction of the models (power above idle; the layers of kinds they model)\n");
    char note[1024];
    if (wp_prediction_no_power_note(p, note, sizeof note))
        printf("pred_W, pred_mJ: %s\n", note);
    /* Layers the models do not cover, with their share of what was
     * measured (predict alone can only estimate it). */
    for (size_t t = 0; t < p->n_other_types; t++) {
        double ms = 0;
        for (size_t i = 0; i < res->n_layers && i < p->n; i++)
            if (!p->rows[i].modelled && p->rows[i].reason && strcmp(p->rows[i].layer_type, p->other_types[t]) == 0 &&
                strcmp(p->rows[i].reason, p->other_reasons[t]) == 0)
                ms += res->layers[i].runtime_ms;
        printf("not modelled: %zu x %s (%s): %.4g ms, %.1f %% of the measured time\n", p->other_counts[t],
               p->other_types[t], p->other_reasons[t], ms,
               res->total_runtime_ms > 0 ? 100.0 * ms / res->total_runtime_ms : 0.0);
    }
    if (p->n_fused) {
        printf("fused: ");
        for (size_t t = 0; t < p->n_fused_types; t++)
            printf("%s%zu x %s", t ? ", " : "", p->fused_counts[t], p->fused_types[t]);
        printf(" (their work is in the time of the layer before them)\n");
    }
}

int cmd_profile(int argc, char **argv)
{
    static const struct option opts[] = {CLI_LOG_LONGOPTS,
                                         {"model", required_argument, 0, OPT_MODEL},
                                         {"result-dir", required_argument, 0, OPT_DIR},
                                         {"backend", required_argument, 0, OPT_BACKEND},
                                         {"runs", required_argument, 0, OPT_RUNS},
                                         {"warmup", required_argument, 0, OPT_WARMUP},
                                         {"duration", required_argument, 0, OPT_BENCH_DURATION},
                                         {"threads", required_argument, 0, OPT_THREADS},
                                         {"name", required_argument, 0, OPT_NAME},
                                         {"input", required_argument, 0, OPT_INPUT},
                                         {"idle-seconds", required_argument, 0, OPT_IDLE},
                                         {"attribution", required_argument, 0, OPT_ATTR},
                                         {"no-power", no_argument, 0, OPT_NOPOWER},
                                         {"models", required_argument, 0, OPT_MODELS},
                                         CLI_COOLDOWN_LONGOPTS,
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *dir = NULL, *name = NULL, *input = NULL, *models = NULL;
    int quiet = 0, c;
    double cooldown = 0, cooldown_timeout = 0;
    wp_error err = {0};
    wp_profile_options opt;
    wp_profile_options_init(&opt);
    wp_logger_options lo;
    wp_logger_options_init(&lo);
    optind = 1;
    while ((c = cli_getopt_log("profile", argc, argv, "", opts, &lo, &quiet)) != -1) {
        switch (c) {
        case OPT_MODEL: model = optarg; break;
        case OPT_DIR: dir = optarg; break;
        case OPT_BACKEND:
            if (wp_backend_parse(optarg, &opt.bench.backend, &err))
                return cli_usage_error("profile", "%s", err.msg);
            break;
        case OPT_RUNS:
            if (cli_arg_int("profile", "--runs", optarg, 1, CLI_COUNT_MAX, &opt.bench.runs))
                return 2;
            break;
        case OPT_BENCH_DURATION:
            if (cli_arg_double("profile", "--duration", optarg, 0, 1e6, &opt.bench.duration_s))
                return 2;
            break;
        case OPT_WARMUP:
            if (cli_arg_int("profile", "--warmup", optarg, 0, CLI_COUNT_MAX, &opt.bench.warmup))
                return 2;
            break;
        case OPT_THREADS:
            if (cli_arg_int("profile", "--threads", optarg, 0, CLI_COUNT_MAX, &opt.bench.threads))
                return 2;
            break;
        case OPT_NAME: name = optarg; break;
        case OPT_INPUT: input = optarg; break;
        case OPT_IDLE:
            if (cli_arg_seconds("profile", "--idle-seconds", optarg, &opt.idle_s))
                return 2;
            break;
        case OPT_ATTR: {
            int mode;
            if (cli_arg_enum("profile", "--attribution", optarg, cli_attribution_name, CLI_N_ATTRIBUTIONS, &mode))
                return 2;
            opt.attribution = (wp_attribution_mode)mode;
            /* asked for by name: no silent substitute; auto is the default
             * (deconvolve, interpolate where it cannot separate layers) */
            opt.attribution_fallback = opt.attribution == WP_ATTRIBUTION_AUTO;
            if (opt.attribution == WP_ATTRIBUTION_AUTO)
                opt.attribution = WP_ATTRIBUTION_DECONVOLVE;
            break;
        }
        case OPT_NOPOWER: opt.no_power = 1; break;
        case OPT_MODELS: models = optarg; break;
        case OPT_COOLDOWN:
        case OPT_COOLDOWN_TIMEOUT:
            if (cli_cooldown_opt("profile", c, optarg, &cooldown, &cooldown_timeout))
                return 2;
            break;
        case OPT_HELP: usage(stdout); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_no_operands("profile", argc, argv))
        return 2;
    if (!model || !dir)
        return cli_usage_error("profile", "--model and --result-dir are required");
    opt.sensor = lo.sensor;
    opt.interval_us = lo.interval_us;
    wp_graph g;
    char *auto_name;
    int st = cli_open_network("profile", model, input, &name, &auto_name, &g);
    if (st)
        return st;
    opt.bench.model = model;
    cli_bar bar;
    cli_bar_init(&bar, quiet);
    wp_progress prog = cli_progress(&bar);
    wp_profile_result res;
    int rc = 0;
    memset(&res, 0, sizeof res);
    wp_cooldown_result cool;
    int cooled = 0;
    /* the idle reading --cooldown waits for (usage() says who writes it) */
    char *raw = wp_path_join(dir, "raw"), *ref = raw ? wp_path_join(raw, WP_DEVICE_JSON) : NULL;
    if (!ref) {
        rc = wp_fail(&err, dir, 0, "out of memory") != 0;
    } else if (cooldown > 0 && wp_is_file(ref)) {
        cooled = cli_cooldown("profile", ref, cooldown, cooldown_timeout, quiet, &cool, &err);
        rc = cooled < 0;
    }
    /* read before the idle measurement (after any cooldown); profile reads
     * its end after the run and writes it where map copies it from */
    opt.device = rc ? NULL : cli_device_begin(&lo);
    if (cooled > 0)
        wp_device_set_cooldown(opt.device, ref, cooldown, &cool);
    if (!rc && cooldown > 0 && !cooled && opt.device) {
        /* the first run into DIR: its state is the idle reading later
         * runs cool down to */
        rc = wp_mkdirs(raw, &err) || wp_device_write(opt.device, ref, &err);
        if (!rc)
            fprintf(stderr,
                    "wattprof profile: --cooldown: idle reading written to %s (what later runs into %s cool down to)\n",
                    ref, dir);
    }
    if (!rc)
        rc = wp_profile_run(&g, &opt, dir, name, &res, &prog, &err);
    cli_bar_done(&bar);
    if (rc == 0 && cooldown > 0)
        cli_warn_drift("profile", opt.device, cooldown);
    wp_device_free(opt.device);
    if (rc == 0) {
        if (res.notes[0])
            fprintf(stderr, "%s", res.notes);
        printf("%s on %s: %zu layers, %zu cycles", name, wp_backend_name(opt.bench.backend), res.n_layers,
               res.n_cycles);
        if (res.have_power)
            printf("; power from %s (%zu samples, idle %.3f W, attribution %s)\n", res.rail, res.samples, res.idle_w,
                   wp_attribution_mode_name(res.attribution_used));
        else
            printf("; no power sensor: runtime only\n");
        wp_prediction pred, *pp = NULL;
        if (models) {
            /* The layers bench just described, from the graph in memory
             * (what it wrote to trt_engine_info.json), no file re-read,
             * less those the cpu backend ran inside a convolution. */
            wp_error perr;
            wp_predict_options popt;
            wp_predict_options_init(&popt);
            popt.fusion = opt.bench.backend == WP_BACKEND_CPU;
            int prc = wp_predict_graph(models, &g, &popt, &pred, &perr);
            if (prc == 0)
                pp = &pred;
            else
                fprintf(stderr, "wattprof profile: no prediction: %s\n", perr.msg);
        }
        print_table(&res, pp);
        if (pp)
            wp_prediction_free(pp);
        printf("whole network without per-layer timing: %.4f ms (per-layer sum / untimed %.3f)\n", res.mean_untimed_ms,
               res.mean_untimed_ms > 0 ? res.total_runtime_ms / res.mean_untimed_ms : 0.0);
        printf("written: %s/raw/%s/, %s/mapped/%s/, %s/training/%s/%s\n", dir, name, dir, name, dir, name,
               res.have_power ? "" : " (runtime only: power columns empty)");
    }
    wp_profile_result_free(&res);
    wp_graph_free(&g);
    free(auto_name);
    free(raw);
    free(ref);
    return rc ? cli_fail("profile", &err) : 0;
}
