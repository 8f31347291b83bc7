/* wattprof report: one self-contained HTML page from a result directory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "wattprof/atomic_file.h"
#include "wattprof/report.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: wattprof report --result-dir DIR --out FILE.html [options]\n"
            "\n"
            "Renders one self-contained HTML file (inline SVG and CSS, no script, no\n"
            "network) with a section per model folder of the result directory: run\n"
            "configuration, per-layer runtime/power/energy bars, a timeline of a few\n"
            "cycles, measured vs predicted per layer, and training metrics. Sections\n"
            "whose inputs are absent are left out with a note.\n"
            "\n"
            "Options:\n"
            "  --result-dir DIR     output of 'wattprof map' (RESULT/<model>/%s\n"
            "                       and/or layer_power_estimates.csv); required\n"
            "  --raw-data-dir DIR   raw data 'map' read (power logs, latency files,\n"
            "                       <model>_tensorrt.json, idling_power.json): adds the\n"
            "                       timeline and the run configuration\n"
            "  --data-dir DIR       output of 'wattprof dataset' (DIR/<network>/\n"
            "                       {convolutional,pooling,dense}.csv): training data section\n"
            "  --models DIR         output of 'wattprof train': predictions of every model's\n"
            "                       layers from RESULT/<model>/trt_engine_info.json, and\n"
            "                       the training metrics (metrics.json)\n"
            "  --predictions PATH   a 'wattprof predict' CSV, or a folder of <model>.csv or\n"
            "                       <model>/predictions.csv (RESULT/<model>/predictions.csv\n"
            "                       is used when present)\n"
            "  --out FILE.html      the HTML file to write (atomically); required, and\n"
            "                       must end in .html or .htm (so no input is overwritten)\n"
            "  --title TEXT         page title (default \"wattprof report\")\n"
            "  --cycles N           cycles drawn in the timeline (default 3)\n"
            "  --quiet              no progress bar\n"
            "  --help               this text\n",
            "power_runtime_mapping_layerwise.csv");
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"result-dir", required_argument, NULL, 'r'},
                                             {"raw-data-dir", required_argument, NULL, 'w'},
                                             {"models", required_argument, NULL, 'm'},
                                             {"predictions", required_argument, NULL, 'p'},
                                             {"data-dir", required_argument, NULL, 'd'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"title", required_argument, NULL, 't'},
                                             {"cycles", required_argument, NULL, 'c'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    wp_report_options o;
    wp_report_options_init(&o);
    const char *out = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = cli_getopt("report", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'r': o.result_dir = optarg; break;
        case 'w': o.raw_data_dir = optarg; break;
        case 'm': o.models_dir = optarg; break;
        case 'd': o.data_dir = optarg; break;
        case 'p': o.predictions = optarg; break;
        case 'o': out = optarg; break;
        case 't': o.title = optarg; break;
        case 'c':
            if (cli_arg_int("report", "--cycles", optarg, 1, 1000, &o.timeline_cycles))
                return 2;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_args_done("report", argc, argv, "--result-dir", o.result_dir, "--out", out, NULL))
        return 2;
    /* As predict insists on .csv: an --out naming one of the inputs (a
     * mapping CSV, say) would be replaced by HTML. */
    size_t L = strlen(out);
    if (!((L >= 5 && strcasecmp(out + L - 5, ".html") == 0) || (L >= 4 && strcasecmp(out + L - 4, ".htm") == 0)))
        return cli_usage_error("report", "--out must name a .html file, got '%s'", out);

    cli_bar bar;
    cli_bar_init(&bar, quiet);
    o.progress = cli_progress(&bar);
    wp_error err = {0};
    int n = wp_report_write(&o, out, &err);
    cli_bar_done(&bar);
    if (n < 0)
        return cli_fail("report", &err);
    printf("wrote %s (%d model%s)\n", out, n, n == 1 ? "" : "s");
    return 0;
}
