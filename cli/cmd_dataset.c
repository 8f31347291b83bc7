/* wattprof dataset: mapped measurements -> per-layer statistics and training CSVs. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "wattprof/atomic_file.h"
#include "wattprof/dataset.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: wattprof dataset --preprocessed-data-dir DIR --result-dir DIR\n"
                "                        [--per-layer-measurements N] [--runtime-stat mean|median|p10|min]\n"
                "                        [--strict] [--quiet]\n"
                "\n"
                "Turns what 'wattprof map' wrote (DIR/<model>/power_runtime_mapping_layerwise.csv\n"
                "and trt_engine_info.json) into training data. Layers of type CaskConvolution,\n"
                "CaskPooling and CaskGemmConvolution are kept; the other types are listed.\n"
                "\n"
                "Writes, for every model folder:\n"
                "  DIR/<model>/<model>_average_power_stats.csv      per-layer statistics of power\n"
                "  DIR/<model>/<model>_average_run_time_stats.csv   and of runtime (count, mean,\n"
                "                                                   std, min, 25%%, 50%%, 75%%, max)\n"
                "  RESULT/<model>/convolutional.csv, pooling.csv, dense.csv\n"
                "                                                   features, mean power (uW),\n"
                "                                                   runtime (ms), layer_name\n"
                "\n"
                "Options:\n"
                "  --preprocessed-data-dir DIR  folder of model folders written by 'wattprof map'\n"
                "  --result-dir DIR             where the training CSVs go (created if needed)\n"
                "  --per-layer-measurements N   skip a model (naming its short layers) when a kept\n"
                "                               layer has fewer than N power or runtime values\n"
                "                               (default 10)\n"
                "  --runtime-stat S             a layer's training runtime over its cycles: mean\n"
                "                               (default, the original's), median, p10 (10th\n"
                "                               percentile: robust to a machine other jobs\n"
                "                               interrupt) or min\n"
                "  --strict                     a measured layer missing from trt_engine_info.json\n"
                "                               is an error (default: a warning with the count per\n"
                "                               model; such layers are left out)\n"
                "  --quiet                      print errors and warnings only\n"
                "  -h, --help                   show this help\n"
                "\n"
                "On bad input nothing is written; the error names the file and line.\n"
                "See docs/dataset.md for the formats and features.\n");
}

static const char *runtime_stat_name(int value)
{
    return wp_runtime_stat_name((wp_runtime_stat)value);
}

int cmd_dataset(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"preprocessed-data-dir", required_argument, NULL, 'p'},
        {"result-dir", required_argument, NULL, 'r'},
        {"per-layer-measurements", required_argument, NULL, 'n'},
        {"runtime-stat", required_argument, NULL, 's'},
        {"strict", no_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *in_dir = NULL, *out_dir = NULL;
    int quiet = 0;
    wp_dataset_options opt;
    wp_dataset_options_init(&opt);
    optind = 1;
    int c;
    while ((c = cli_getopt("dataset", argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'p': in_dir = optarg; break;
        case 'r': out_dir = optarg; break;
        case 'n':
            if (cli_arg_int("dataset", "--per-layer-measurements", optarg, 0, INT_MAX, &opt.per_layer_measurements))
                return 2;
            break;
        case 's': {
            int v;
            if (cli_arg_enum("dataset", "--runtime-stat", optarg, runtime_stat_name, WP_N_RUNTIME_STATS, &v))
                return 2;
            opt.runtime_stat = (wp_runtime_stat)v;
            break;
        }
        case 'S': opt.strict = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_args_done("dataset", argc, argv, "--preprocessed-data-dir", in_dir, "--result-dir", out_dir, NULL))
        return 2;

    wp_dataset_report rep;
    wp_error err;
    if (wp_dataset_run(in_dir, out_dir, &opt, &rep, &err) != 0)
        return cli_fail("dataset", &err);

    size_t written = 0;
    for (size_t i = 0; i < rep.n_models; i++) {
        const wp_dataset_model *m = &rep.models[i];
        if (m->layers_not_in_engine)
            fprintf(stderr,
                    "wattprof dataset: warning: %s: %zu measured layer(s) are not in its trt_engine_info.json "
                    "(first: '%s', %s); left out of its statistics and training data (--strict: an error)\n",
                    m->name, m->layers_not_in_engine, m->first_not_in_engine, m->not_in_engine_where);
        if (m->skipped) {
            fprintf(stderr,
                    "wattprof dataset: skipping %s: %zu layer(s) have fewer than %d power or runtime values:", m->name,
                    m->n_short, opt.per_layer_measurements);
            for (size_t k = 0; k < m->n_short; k++)
                fprintf(stderr, "%s %s (power %zu, runtime %zu)", k ? "," : "", m->short_layers[k].name,
                        m->short_layers[k].power_count, m->short_layers[k].runtime_count);
            fputc('\n', stderr);
            continue;
        }
        written++;
        if (!quiet) {
            printf("%s: %zu convolutional, %zu pooling, %zu dense", m->name, m->rows[WP_KIND_CONV],
                   m->rows[WP_KIND_POOL], m->rows[WP_KIND_DENSE]);
            for (int k = WP_KIND_DENSE + 1; k < WP_N_KINDS; k++)
                if (m->rows[k])
                    printf(", %zu %s", m->rows[k], wp_layer_kind_name((wp_layer_kind)k));
            printf(" -> %s/%s/%s%s%s\n", out_dir, m->name, m->device ? " (device: " : "", m->device ? m->device : "",
                   m->device ? ")" : "");
        }
        if (m->extra_short)
            fprintf(stderr,
                    "wattprof dataset: %s: %zu layer(s) of the other kinds (batch norm, activation, ...) have "
                    "fewer than %d runtime values; left out of their training data\n",
                    m->name, m->extra_short, opt.per_layer_measurements);
        if (!quiet && m->layers_fused)
            fprintf(stderr,
                    "wattprof dataset: %s: %zu layer(s) ran fused into the layer before them (engine info "
                    "FusedInto); left out, their time is in that layer's\n",
                    m->name, m->layers_fused);
        if (!quiet && m->layers_not_in_mapping)
            fprintf(stderr, "wattprof dataset: %s: %zu modelled engine layer(s) have no measurements\n", m->name,
                    m->layers_not_in_mapping);
    }
    if (rep.n_ignored) {
        fprintf(stderr, "wattprof dataset: ignored layer types:");
        for (size_t i = 0; i < rep.n_ignored; i++)
            fprintf(stderr, "%s %s (%zu layer%s)", i ? "," : "", rep.ignored[i].type, rep.ignored[i].layers,
                    rep.ignored[i].layers == 1 ? "" : "s");
        fputc('\n', stderr);
    }
    if (!quiet)
        printf("training data for %zu of %zu model(s) in %s; statistics beside the inputs in %s\n", written,
               rep.n_models, out_dir, in_dir);
    wp_dataset_report_free(&rep);
    return 0;
}
