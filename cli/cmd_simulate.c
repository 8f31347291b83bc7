/* wattprof simulate: a synthetic raw dataset with known per-layer truth. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/simulate.h"

static void usage(FILE *fp, const wp_sim_options *d)
{
    fprintf(fp,
            "usage: wattprof simulate --out DIR [--models N|NAME,NAME...] [--layers L] [--cycles C]\n"
            "                         [--sample-period-us P] [--sample-jitter-us J] [--sensor-window-us W]\n"
            "                         [--sensor-lag-us L]\n"
            "                         [--noise-uw S] [--reporting ideal|tensorrt|trtexec] [--gap-us G]\n"
            "                         [--inference-us T] [--anchor-error-us A]\n"
            "                         [--report-delay-us D] [--report-spacing-us S] [--latency-jitter F]\n"
            "                         [--idle-uw I] [--gap-power-uw P] [--seed S] [--quiet]\n"
            "\n"
            "Writes a raw dataset in the layout 'wattprof map' reads, from a stated physical\n"
            "model (docs/simulation.md), plus the truth to score estimators against:\n"
            "  DIR/idling_power.json\n"
            "  DIR/<model>/<model>_power_log.log, <model>_tensorrt.json\n"
            "  DIR/<model>/trt_profiling/trt_layer_latency.json, trt_engine_info.json\n"
            "  DIR/truth.json   per model and layer: power above idle (uW), mean latency (ms)\n"
            "The same options and seed always give the same bytes.\n"
            "\n"
            "Options:\n"
            "  --out DIR               where to write (created if needed)\n"
            "  --models N|NAMES        N models named sim1..simN, or comma-separated names (default 1)\n"
            "  --layers L              layers per model, >= 3 (default %zu)\n"
            "  --cycles C              inference cycles (default %zu)\n"
            "  --sample-period-us P    sensor sample period (default %g, ~750 samples/s)\n"
            "  --sample-jitter-us J    each sample time moves uniformly within +-J (default %g)\n"
            "  --sensor-window-us W    the sensor reports the mean power over W us (default %g)\n"
            "  --sensor-lag-us L       a sample stamped t reports the window ending at t - L: a\n"
            "                          reading held since the last conversion (default %g)\n"
            "  --noise-uw S            std of Gaussian noise on each sample, uW (default %g)\n"
            "  --reporting MODE        ideal: each layer stamped at its end; tensorrt: all layers\n"
            "                          stamped after the cycle ends, a few us apart (default tensorrt);\n"
            "                          trtexec: trtexec's files instead of trt_layer_latency.json:\n"
            "                          trt_profiling/trtexec_profile.json (per-layer averages),\n"
            "                          trtexec_times.json (compute windows, ms since trtexec's start,\n"
            "                          6 significant digits) and run_info.json (the anchor)\n"
            "  --inference-us T        scale the layers so one inference takes T us (default: as\n"
            "                          generated)\n"
            "  --anchor-error-us A     trtexec: run_info.json's anchor is A us before trtexec's own\n"
            "                          clock zero (default 0)\n"
            "  --gap-us G              mean gap between cycles, +-20%% (default %g)\n"
            "  --report-delay-us D     tensorrt: first stamp D us after the cycle ends (default %g)\n"
            "  --report-spacing-us S   tensorrt: stamps S us apart (default %g)\n"
            "  --latency-jitter F      relative std of per-cycle layer latency (default %g)\n"
            "  --idle-uw I             idle power, uW (default %g)\n"
            "  --gap-power-uw P        power above idle between cycles, uW (default %g)\n"
            "  --seed S                random seed (default %llu)\n"
            "  --quiet                 print errors only\n"
            "  -h, --help              show this help\n",
            d->n_layers, d->n_cycles, d->sample_period_us, d->sample_jitter_us, d->sensor_window_us, d->sensor_lag_us,
            d->noise_uw, d->gap_us, d->report_delay_us, d->report_spacing_us, d->latency_jitter, d->idle_uw,
            d->gap_power_uw, (unsigned long long)d->seed);
}

static int parse_num(const char *opt, const char *s, double *out)
{
    return cli_arg_number("simulate", opt, s, out);
}

static int parse_count(const char *opt, const char *s, size_t *out)
{
    long v = 0;
    int rc = cli_arg_long("simulate", opt, s, 0, CLI_COUNT_MAX, &v);
    *out = (size_t)v;
    return rc;
}

static const char *reporting_name(int value)
{
    return wp_sim_reporting_name((wp_sim_reporting)value);
}

int cmd_simulate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"models", required_argument, NULL, 'm'},
        {"layers", required_argument, NULL, 'L'},
        {"cycles", required_argument, NULL, 'C'},
        {"sample-period-us", required_argument, NULL, 'P'},
        {"sample-jitter-us", required_argument, NULL, 'J'},
        {"sensor-window-us", required_argument, NULL, 'W'},
        {"sensor-lag-us", required_argument, NULL, 'l'},
        {"noise-uw", required_argument, NULL, 'N'},
        {"reporting", required_argument, NULL, 'R'},
        {"gap-us", required_argument, NULL, 'G'},
        {"report-delay-us", required_argument, NULL, 'D'},
        {"report-spacing-us", required_argument, NULL, 'S'},
        {"latency-jitter", required_argument, NULL, 'j'},
        {"idle-uw", required_argument, NULL, 'I'},
        {"gap-power-uw", required_argument, NULL, 'g'},
        {"seed", required_argument, NULL, 's'},
        {"inference-us", required_argument, NULL, 'T'},
        {"anchor-error-us", required_argument, NULL, 'A'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wp_sim_options o;
    wp_sim_options_init(&o);
    const char *out = NULL, *models = "1";
    int quiet = 0;
    optind = 1;
    int c;
    while ((c = cli_getopt("simulate", argc, argv, "h", longopts)) != -1) {
        int rc = 0, mode;
        size_t n = 0;
        switch (c) {
        case 'o': out = optarg; break;
        case 'm': models = optarg; break;
        case 'L': rc = parse_count("--layers", optarg, &o.n_layers); break;
        case 'C': rc = parse_count("--cycles", optarg, &o.n_cycles); break;
        case 'P': rc = parse_num("--sample-period-us", optarg, &o.sample_period_us); break;
        case 'J': rc = parse_num("--sample-jitter-us", optarg, &o.sample_jitter_us); break;
        case 'W': rc = parse_num("--sensor-window-us", optarg, &o.sensor_window_us); break;
        case 'l': rc = parse_num("--sensor-lag-us", optarg, &o.sensor_lag_us); break;
        case 'N': rc = parse_num("--noise-uw", optarg, &o.noise_uw); break;
        case 'G': rc = parse_num("--gap-us", optarg, &o.gap_us); break;
        case 'D': rc = parse_num("--report-delay-us", optarg, &o.report_delay_us); break;
        case 'S': rc = parse_num("--report-spacing-us", optarg, &o.report_spacing_us); break;
        case 'j': rc = parse_num("--latency-jitter", optarg, &o.latency_jitter); break;
        case 'I': rc = parse_num("--idle-uw", optarg, &o.idle_uw); break;
        case 'g': rc = parse_num("--gap-power-uw", optarg, &o.gap_power_uw); break;
        case 'T': rc = parse_num("--inference-us", optarg, &o.inference_us); break;
        case 'A': rc = parse_num("--anchor-error-us", optarg, &o.anchor_error_us); break;
        case 's':
            rc = parse_count("--seed", optarg, &n);
            o.seed = n;
            break;
        case 'R':
            if (cli_arg_enum("simulate", "--reporting", optarg, reporting_name, WP_SIM_TRTEXEC + 1, &mode))
                return 2;
            o.reporting = (wp_sim_reporting)mode;
            break;
        case 'q': quiet = 1; break;
        case 'h': {
            wp_sim_options d;
            wp_sim_options_init(&d);
            usage(stdout, &d);
            return 0;
        }
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
        if (rc)
            return rc;
    }
    if (cli_args_done("simulate", argc, argv, "--out", out, NULL))
        return 2;

    /* --models: a count, or names */
    char **names = NULL;
    size_t n_names = 0;
    char *endp;
    unsigned long count = strtoul(models, &endp, 10);
    int rc = 0;
    if (*models && !*endp && models[0] != '-') {
        if (count < 1 || count > 1000)
            return cli_usage_error("simulate", "--models needs 1 to 1000 models, not '%s'", models);
        names = calloc(count, sizeof *names);
        for (size_t i = 0; names && i < count; i++) {
            char buf[32];
            snprintf(buf, sizeof buf, "sim%zu", i + 1);
            names[n_names++] = strdup(buf);
        }
    } else {
        char *copy = strdup(models);
        size_t cap = 1;
        for (const char *p = models; *p; p++)
            cap += *p == ',';
        names = calloc(cap, sizeof *names);
        char *save = NULL;
        for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; names && tok; tok = strtok_r(NULL, ",", &save))
            names[n_names++] = strdup(tok);
        free(copy);
        if (n_names == 0)
            rc = cli_usage_error("simulate", "--models needs a count or names, not '%s'", models);
    }
    if (rc == 0) {
        wp_error err;
        if (wp_simulate(out, &o, (const char *const *)names, n_names, &err) != 0)
            rc = cli_fail("simulate", &err);
        else if (!quiet)
            printf("simulated %zu model(s), %zu layers x %zu cycles (%s reporting) -> %s (truth: %s/truth.json)\n",
                   n_names, o.n_layers, o.n_cycles, wp_sim_reporting_name(o.reporting), out, out);
    }
    wp_names_free(names, n_names);
    return rc;
}
