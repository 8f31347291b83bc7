/* wattprof bench: run an ONNX network layer by layer, write the raw layout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "wattprof/atomic_file.h"
#include "netopts.h"
#include "progress.h"
#include "wattprof/bench.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: wattprof bench --model FILE.onnx --result-dir DIR [--backend cpu|cuda|ref]\n"
                "                      [--runs N] [--duration S] [--warmup W] [--name NAME] [--input NxCxHxW]\n"
                "                      [--threads N] [--no-fusion] [--quiet]\n"
                "\n"
                "Runs the network layer by layer and writes DIR/NAME/ in the upstream raw\n"
                "layout: trt_profiling/trt_layer_latency.json, trt_profiling/trt_layer_windows.csv\n"
                "(each layer's start and end), trt_profiling/trt_engine_info.json and\n"
                "NAME_tensorrt.json. Each cycle is run twice, with and without per-layer\n"
                "timing, and the per-layer sum is compared with the untimed whole network.\n"
                "\n"
                "  --model FILE      ONNX network (float32; see docs/runners.md for operators)\n"
                "  --result-dir DIR  where DIR/NAME/ is written\n"
                "  --backend B       cpu (oneDNN, default), cuda (cuDNN, where built), ref (naive C)\n"
                "  --runs N          measured cycles (default 100)\n"
                "  --duration S      and keep measuring until S seconds have passed (as trtexec's\n"
                "                    --duration; a tiny network's cycles then spread over S\n"
                "                    seconds instead of a few milliseconds)\n"
                "  --warmup W        untimed cycles first (default 10)\n"
                "  --name NAME       result folder name (default: the model file's name without .onnx)\n"
                "  --input NxCxHxW   override the model's input shape\n"
                "  --threads N       cpu backend threads (default 0: all cores / OMP_NUM_THREADS);\n"
                "                    1 is much steadier on a machine busy with other work\n"
                "  --no-fusion       cpu backend: run every node as its own primitive (by default a\n"
                "                    convolution or dense layer absorbs the batch-norm and Relu/Clip\n"
                "                    after it, as TensorRT does; those layers are then listed with\n"
                "                    no work)\n"
                "  --quiet           no progress bar\n"
                "  --help            this text\n");
}

int cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"result-dir", required_argument, 0, 'd'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"runs", required_argument, 0, 'r'},
                                         {"warmup", required_argument, 0, 'w'},
                                         {"name", required_argument, 0, 'n'},
                                         {"duration", required_argument, 0, 'D'},
                                         {"input", required_argument, 0, 'i'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"threads", required_argument, 0, 't'},
                                         {"no-fusion", no_argument, 0, 'F'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *dir = NULL, *name = NULL, *input = NULL;
    int quiet = 0, c;
    wp_error err = {0};
    wp_bench_options opt;
    wp_bench_options_init(&opt);
    optind = 1;
    while ((c = cli_getopt("bench", argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': dir = optarg; break;
        case 'b':
            if (wp_backend_parse(optarg, &opt.backend, &err))
                return cli_usage_error("bench", "%s", err.msg);
            break;
        case 'r':
            if (cli_arg_int("bench", "--runs", optarg, 1, CLI_COUNT_MAX, &opt.runs))
                return 2;
            break;
        case 'D':
            if (cli_arg_double("bench", "--duration", optarg, 0, 1e6, &opt.duration_s))
                return 2;
            break;
        case 'w':
            if (cli_arg_int("bench", "--warmup", optarg, 0, CLI_COUNT_MAX, &opt.warmup))
                return 2;
            break;
        case 't':
            if (cli_arg_int("bench", "--threads", optarg, 0, CLI_COUNT_MAX, &opt.threads))
                return 2;
            break;
        case 'n': name = optarg; break;
        case 'i': input = optarg; break;
        case 'q': quiet = 1; break;
        case 'F': wp_cpu_set_fusion(0); break;
        case 'h': usage(stdout); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_no_operands("bench", argc, argv))
        return 2;
    if (!model || !dir)
        return cli_usage_error("bench", "--model and --result-dir are required");
    wp_graph g;
    char *auto_name;
    int st = cli_open_network("bench", model, input, &name, &auto_name, &g);
    if (st)
        return st;
    opt.model = model;
    cli_bar bar;
    cli_bar_init(&bar, quiet);
    wp_progress prog = cli_progress(&bar);
    wp_bench_result res;
    int rc = wp_bench_run(&g, &opt, &res, &prog, &err);
    cli_bar_done(&bar);
    if (rc == 0)
        rc = wp_bench_write(&g, &opt, &res, dir, name, &err);
    if (rc == 0) {
        printf("%s: %zu layers, %zu cycles on %s\n", name, res.n_layers, res.n_cycles, wp_backend_name(opt.backend));
        if (res.sample_limit_hit)
            printf("  stopped before --duration: %zu cycles of %zu layers are the most a bench keeps\n", res.n_cycles,
                   res.n_layers);
        printf("  mean latency (first layer start to last layer end): %.3f ms\n", res.mean_cycle_ms);
        printf("  mean sum of per-layer latencies:                    %.3f ms\n", res.mean_layer_sum_ms);
        printf("  mean whole network without per-layer timing:        %.3f ms\n", res.mean_untimed_ms);
        printf("  per-layer sum / untimed: %.3f\n",
               res.mean_untimed_ms > 0 ? res.mean_layer_sum_ms / res.mean_untimed_ms : 0.0);
        if (res.n_fused)
            printf(
                "  %zu layers fused into the convolution or dense layer before them (batch-norm folded, Relu/Clip as its "
                "post-op): listed with no work of their own (--no-fusion runs each alone)\n",
                res.n_fused);
        printf("  written: %s/%s/\n", dir, name);
    }
    wp_bench_result_free(&res);
    wp_graph_free(&g);
    free(auto_name);
    return rc ? cli_fail("bench", &err) : 0;
}
