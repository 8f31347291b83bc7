/* wattprof map: raw measurements -> per-cycle, per-layer power and runtime. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "wattprof/atomic_file.h"
#include "wattprof/deconvolve.h"
#include "wattprof/mapper.h"
#include "wattprof/tegrastats.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: wattprof map --raw-data-dir DIR --result-dir DIR\n"
            "                    [--timeline auto|reported|reconstructed]\n"
            "                    [--attribution auto|deconvolve|interpolate|samples]\n"
            "                    [--sensor-window-us W|auto] [--report-offset-us D|auto]\n"
            "                    [--offset-range-us MIN:MAX] [--max-relative-se F] [--rail NAME]\n"
            "                    [--runtime-only] [--quiet]\n"
            "\n"
            "Maps the power log of every model folder onto its layers' runtime windows.\n"
            "Reads DIR/idling_power.json and, for every folder DIR/<model>/:\n"
            "  <model>_power_log.log, trt_profiling/trt_layer_latency.json,\n"
            "  trt_profiling/trt_engine_info.json\n"
            "Writes RESULT/<model>/" WP_MAPPING_CSV "\n"
            "(" WP_MAPPING_HEADER ")\n"
            "A model folder without trt_layer_latency.json but with trtexec's files\n"
            "(trt_profiling/trtexec_profile.json, trtexec_times.json and run_info.json, as\n"
            "'wattprof run -- trtexec ...' leaves them) is read as trtexec's and always\n"
            "mapped with deconvolve (docs/trtexec.md).\n"
            "a copy of trt_engine_info.json and " WP_MAPPING_INFO_JSON " (the timeline and\n"
            "deconvolve choices, log span, sample rate, ...) beside it.\n"
            "\n"
            "Options:\n"
            "  --raw-data-dir DIR   folder of model folders (and idling_power.json)\n"
            "  --result-dir DIR     where the results go (created if needed)\n"
            "  --timeline MODE      how layer windows are placed in time:\n"
            "                         reported       a layer ends at its reported timestamp\n"
            "                         reconstructed  a cycle's layers run back to back and\n"
            "                                        the last ends at the cycle's earliest\n"
            "                                        reported timestamp\n"
            "                         auto           (default) reconstructed when in most\n"
            "                                        cycles the stamps were written after\n"
            "                                        the cycle (their steps do not follow\n"
            "                                        the latencies, or they span under 25 %%\n"
            "                                        or at least 100 %% of the summed\n"
            "                                        latencies); the choice and its reason\n"
            "                                        are printed on stderr\n"
            "  --attribution MODE   how a window gets its power:\n"
            "                         auto           (default) deconvolve where the fit is\n"
            "                                        identifiable; for a model where it is\n"
            "                                        not (fewer samples than unknowns) says\n"
            "                                        so with the counts and uses interpolate,\n"
            "                                        named in " WP_MAPPING_INFO_JSON "\n"
            "                         deconvolve     least squares over the sensor's averaging\n"
            "                                        window, all cycles at once (every cycle\n"
            "                                        gets the layer's estimate; layers that\n"
            "                                        cannot be told apart stay empty); also\n"
            "                                        writes RESULT/<model>/layer_power_estimates.csv;\n"
            "                                        a model it cannot fit is not mapped (the\n"
            "                                        others are) and the run fails naming it\n"
            "                         interpolate    time-average of the straight lines\n"
            "                                        through the samples; empty only\n"
            "                                        outside the power log\n"
            "                         samples        the original's method, for exact\n"
            "                                        reproduction: mean of the samples inside\n"
            "                                        the window, bounds included; empty when\n"
            "                                        there is none (most windows of short\n"
            "                                        layers); off by 100 %% and more per layer\n"
            "                                        (docs/attribution.md)\n"
            "  --sensor-window-us W|auto\n"
            "                       deconvolve: the sensor reports the mean power over W us\n"
            "                       before its timestamp; auto (default) picks W by least\n"
            "                       residual and prints it\n"
            "  --report-offset-us D|auto\n"
            "                       the profiler stamps layers D us after they end: windows\n"
            "                       move D us earlier (default 0); auto (deconvolve only, its\n"
            "                       default) picks D by least residual and prints it\n"
            "  --offset-range-us MIN:MAX\n"
            "                       the range --report-offset-us auto searches (default\n"
            "                       %g:%g: a sensor reading held up to 7 ms, as an INA3221\n"
            "                       on a default Jetson, is a negative offset)\n"
            "  --max-relative-se F  deconvolve: mark `uncertain` (value kept, a warning) an\n"
            "                       estimate whose standard error exceeds F times its\n"
            "                       power above idle (default %g; 0: never)\n"
            "  --rail NAME          a model folder with tegrastats.log instead of its power log:\n"
            "                       the rail to take (default the board's input: the first of\n"
            "                       " WP_TEGRASTATS_DEFAULT_RAILS "; docs/trtexec.md)\n"
            "  --runtime-only       no power: every layer's runtime, power columns empty\n"
            "                       (no power log or idling_power.json needed); also takes\n"
            "                       latencies without timestamps ({\"layer\": [ms, ...]}, the\n"
            "                       original's desktop profiler). 'wattprof dataset' then\n"
            "                       gives runtime statistics and runtime training rows\n"
            "  --quiet              print errors only (no progress, no notes on the timeline\n"
            "                       or deconvolve's choices, no warnings, no summary)\n"
            "  -h, --help           show this help\n"
            "\n"
            "On bad input nothing is written; the error names the file and line.\n"
            "See docs/mapping.md.\n",
            WP_DECONV_OFFSET_MIN_US, WP_DECONV_OFFSET_MAX_US, WP_DECONV_MAX_RELATIVE_SE);
}

static void note(void *ctx, const char *model, const char *message)
{
    cli_bar *bar = ctx;
    cli_bar_done(bar);
    fprintf(stderr, "wattprof map: %s: %s\n", model, message);
}

int cmd_map(int argc, char **argv)
{
    enum { OPT_TIMELINE = 256, OPT_ATTRIBUTION, OPT_WINDOW, OPT_OFFSET, OPT_RANGE, OPT_MAX_SE, OPT_RAIL, OPT_RUNTIME };
    static const struct option longopts[] = {
        {"raw-data-dir", required_argument, NULL, 'r'},
        {"result-dir", required_argument, NULL, 'o'},
        {"timeline", required_argument, NULL, OPT_TIMELINE},
        {"attribution", required_argument, NULL, OPT_ATTRIBUTION},
        {"sensor-window-us", required_argument, NULL, OPT_WINDOW},
        {"report-offset-us", required_argument, NULL, OPT_OFFSET},
        {"offset-range-us", required_argument, NULL, OPT_RANGE},
        {"max-relative-se", required_argument, NULL, OPT_MAX_SE},
        {"rail", required_argument, NULL, OPT_RAIL},
        {"runtime-only", no_argument, NULL, OPT_RUNTIME},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *raw_dir = NULL, *result_dir = NULL;
    int quiet = 0;
    const char *window = NULL, *offset = NULL, *range = NULL, *max_se = NULL;
    wp_map_options opt;
    wp_map_options_init(&opt);
    optind = 1;
    int c, mode;
    while ((c = cli_getopt("map", argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'r': raw_dir = optarg; break;
        case 'o': result_dir = optarg; break;
        case OPT_TIMELINE:
            if (cli_arg_enum("map", "--timeline", optarg, cli_timeline_name, CLI_N_TIMELINES, &mode))
                return 2;
            opt.timeline = (wp_timeline_mode)mode;
            break;
        case OPT_ATTRIBUTION:
            if (cli_arg_enum("map", "--attribution", optarg, cli_attribution_name, CLI_N_ATTRIBUTIONS, &mode))
                return 2;
            opt.attribution = (wp_attribution_mode)mode;
            break;
        case OPT_WINDOW: window = optarg; break;
        case OPT_OFFSET: offset = optarg; break;
        case OPT_RANGE: range = optarg; break;
        case OPT_MAX_SE: max_se = optarg; break;
        case OPT_RAIL:
            if (!*optarg)
                return cli_usage_error("map", "--rail needs a rail name");
            opt.tegrastats_rail = optarg;
            break;
        case OPT_RUNTIME: opt.runtime_only = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_args_done("map", argc, argv, "--raw-data-dir", raw_dir, "--result-dir", result_dir, NULL))
        return 2;
    /* auto deconvolves wherever it can: the same options apply */
    int deconvolve = opt.attribution == WP_ATTRIBUTION_DECONVOLVE || opt.attribution == WP_ATTRIBUTION_AUTO;
    if (window && !deconvolve)
        return cli_usage_error("map", "--sensor-window-us needs --attribution deconvolve (or auto)");
    if (max_se && !deconvolve)
        return cli_usage_error("map", "--max-relative-se needs --attribution deconvolve (or auto)");
    if (max_se && cli_arg_double("map", "--max-relative-se", max_se, 0, 1e9, &opt.max_relative_se))
        return 2;
    if (window && strcmp(window, "auto") != 0) {
        char *end;
        opt.sensor_window_us = strtod(window, &end);
        if (end == window || *end || !(opt.sensor_window_us > 0 && opt.sensor_window_us < 1e9))
            return cli_usage_error("map", "--sensor-window-us needs a positive number or auto, not '%s'", window);
    }
    if (offset && strcmp(offset, "auto") == 0) {
        if (!deconvolve)
            return cli_usage_error("map", "--report-offset-us auto needs --attribution deconvolve (or auto)");
        opt.report_offset_auto = 1;
    } else if (offset) {
        char *end;
        opt.report_offset_us = strtod(offset, &end);
        if (end == offset || *end || !(fabs(opt.report_offset_us) < 1e9))
            return cli_usage_error("map", "--report-offset-us needs a number or auto, not '%s'", offset);
    } else {
        opt.report_offset_auto = deconvolve;
    }
    if (range) {
        if (!opt.report_offset_auto)
            return cli_usage_error("map", "--offset-range-us needs --report-offset-us auto (deconvolve or auto)");
        char *end = NULL, *mid;
        opt.offset_min_us = strtod(range, &mid);
        if (mid != range && *mid == ':')
            opt.offset_max_us = strtod(mid + 1, &end);
        if (mid == range || *mid != ':' || end == mid + 1 || *end || !(fabs(opt.offset_min_us) < 1e9) ||
            !(fabs(opt.offset_max_us) < 1e9) || !(opt.offset_max_us > opt.offset_min_us))
            return cli_usage_error("map", "--offset-range-us needs MIN:MAX in microseconds with MIN < MAX, not '%s'",
                                   range);
    }

    cli_bar bar;
    cli_bar_init(&bar, quiet);
    wp_progress progress = cli_progress(&bar);
    opt.note = quiet ? NULL : note;
    opt.note_ctx = &bar;
    wp_error err;
    int rc = wp_map_raw_dir(raw_dir, result_dir, &opt, &progress, &err);
    cli_bar_done(&bar);
    if (rc != 0)
        return cli_fail("map", &err);
    if (!quiet)
        printf("mapped %s (%s attribution) -> %s/<model>/" WP_MAPPING_CSV "\n", raw_dir,
               wp_attribution_mode_name(opt.attribution), result_dir);
    return 0;
}
