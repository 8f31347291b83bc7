/* wattprof train: fit the NeuralPower-style pipelines (two per layer kind) from `dataset` CSVs. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "progress.h"
#include "wattprof/atomic_file.h"
#include "wattprof/model.h"

static void usage(void)
{
    puts("usage: wattprof train --data-dir DIR --out-dir DIR [options]\n"
         "\n"
         "Trains power (W) and runtime (ms) models for every layer kind with data in\n"
         "DIR/<model>/<kind>.csv (as 'wattprof dataset' writes them: convolutional,\n"
         "pooling, dense, normalization, activation, elementwise, reshape, softmax,\n"
         "matmul). Default: runtime as a sum of non-negative costs per MAC, op and\n"
         "byte moved plus an overhead, fitted for relative error; power as log(W) on\n"
         "the logs of MACs and bytes, degree chosen by cross-validated RMSPE; folds by\n"
         "network (predictions are positive).\n"
         "--config upstream: the original's six pipelines exactly (conv, pooling,\n"
         "dense; no other kind). Writes\n"
         "OUT/<layer>_<target>.json model files and OUT/metrics.json as one set (nothing\n"
         "is replaced unless all can be written) and removes model files of an earlier\n"
         "run for layer types that have no data now. examples/train-physical.json is a\n"
         "config with multiply-accumulate and byte features (docs/training.md).\n"
         "\n"
         "  --data-dir DIR        training CSVs, one folder per network\n"
         "  --out-dir DIR         where model files and metrics.json go\n"
         "  --test-models A,B,C   networks held out as the test set\n"
         "                        (default: the config's, else lenet,resnet18,vgg16)\n"
         "  --config FILE         JSON overriding any pipeline setting (docs/training.md);\n"
         "                        'upstream': the original's configuration\n"
         "  --cv K                cross-validation folds for every pipeline (default 10)\n"
         "  --cv-by-model         also report leave-one-network-out error\n"
         "  --allow-mixed-devices train on rows of several devices (the CSVs' device\n"
         "                        column); without it that is an error\n"
         "  --quiet               no progress bar\n"
         "  --help                this text");
}

static void metric_cell(double v)
{
    if (isnan(v))
        printf(" %11s", "-");
    else
        printf(" %11.4g", v);
}

int cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {{"data-dir", required_argument, 0, 'd'},
                                         {"out-dir", required_argument, 0, 'o'},
                                         {"test-models", required_argument, 0, 't'},
                                         {"config", required_argument, 0, 'c'},
                                         {"cv", required_argument, 0, 'k'},
                                         {"cv-by-model", no_argument, 0, 'm'},
                                         {"allow-mixed-devices", no_argument, 0, 'x'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    wp_train_options o;
    wp_train_options_init(&o);
    int quiet = 0, c;
    int n_tests = 0;
    const char *names[256];
    optind = 1;
    while ((c = cli_getopt("train", argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'd': o.data_dir = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 't':
            if (cli_arg_list("train", "--test-models", optarg, names, 256, &n_tests))
                return 2;
            o.test_models = names;
            o.n_test_models = (size_t)n_tests;
            break;
        case 'c': o.config_path = optarg; break;
        case 'k':
            if (cli_arg_int("train", "--cv", optarg, 2, 100000, &o.cv))
                return 2;
            break;
        case 'm': o.cv_by_model = 1; break;
        case 'x': o.allow_mixed_devices = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_no_operands("train", argc, argv))
        return 2;
    if (!o.data_dir || !o.out_dir)
        return cli_usage_error("train", "--data-dir and --out-dir are required");
    cli_bar bar;
    cli_bar_init(&bar, quiet);
    o.progress = cli_progress(&bar);
    wp_train_report rep;
    wp_error err;
    int rc = wp_train_run(&o, &rep, &err);
    cli_bar_done(&bar);
    if (rc)
        return cli_fail("train", &err);
    printf("trained on %zu networks, tested on %zu", rep.n_train_models, rep.n_test_models);
    for (size_t i = 0; i < rep.n_devices; i++)
        printf("%s%s", i ? ", " : (rep.n_devices > 1 ? "; devices (mixed): " : "; device: "), rep.devices[i]);
    putchar('\n');
    printf("%-22s %6s %6s %11s %5s %-5s %11s %11s %11s %11s %11s %11s\n", "pipeline", "train", "test", "alpha", "terms",
           "set", "RMSPE(%)", "RMSE", "MSE", "R2", "MAE", "MAPE");
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        const wp_train_pipeline_report *p = &rep.pipe[i];
        if (!p->trained) {
            /* the kinds beyond the original's three are often absent (no
             * softmax, no attention): only a skip is worth a line */
            if (rep.skipped_too_few[i])
                printf("%-22s %s\n", wp_pipeline_name(i),
                       "(skipped: too few training rows or networks for the cross-validation folds)");
            else if (i < WP_N_UPSTREAM_PIPELINES || rep.skipped_no_power[i])
                printf("%-22s %s\n", wp_pipeline_name(i),
                       rep.skipped_no_power[i] ? "(skipped: no power in the data, profiled without a sensor)"
                                               : "(no data)");
            continue;
        }
        const wp_metrics *sets[3] = {&p->train, &p->test, &p->lono};
        const char *setname[3] = {"train", "test", "lono"};
        for (int s = 0; s < 3; s++) {
            if (s == 2 && p->lono.n == 0)
                continue;
            if (s == 0)
                printf("%-22s %6zu %6zu %11.4g %5zu ", wp_pipeline_name(i), p->train_rows, p->test_rows, p->alpha,
                       p->nonzero);
            else
                printf("%-22s %6s %6s %11s %5s ", "", "", "", "", "");
            printf("%-5s", setname[s]);
            const wp_metrics *m = sets[s];
            metric_cell(m->rmspe);
            metric_cell(m->rmse);
            metric_cell(m->mse);
            metric_cell(m->r2);
            metric_cell(m->mae);
            metric_cell(m->mape);
            putchar('\n');
        }
        char cvs[32] = "-";
        if (!isnan(p->cv_rmspe))
            snprintf(cvs, sizeof cvs, "%.4g%%", p->cv_rmspe);
        if (p->fit == WP_FIT_NNLS_RELATIVE)
            printf("%-22s   additive (non-negative costs, relative error), %d folds%s, cross-validated RMSPE %s\n", "",
                   p->folds, p->folds_by_network ? " by network" : "", cvs);
        else
            printf("%-22s   degree %d, %d folds%s, cross-validated RMSPE %s\n", "", p->degree, p->folds,
                   p->folds_by_network ? " by network" : "", cvs);
        if (p->dropped)
            printf("%-22s   %zu rows left out: a target <= 0 cannot be fitted for relative error\n", "", p->dropped);
        for (size_t j = 0; j < p->n_lono; j++)
            printf("%-22s   leave out %-20s %6zu rows  RMSPE %.4g%%\n", "", p->lono_models[j].model,
                   p->lono_models[j].rows, p->lono_models[j].rmspe);
    }
    for (int i = 0; i < WP_N_PIPELINES; i++)
        if (rep.stale[i] > 0)
            printf("removed %s/%s.json (from an earlier run; no data for it now)\n", o.out_dir, wp_pipeline_name(i));
        else if (rep.stale[i] < 0)
            fprintf(stderr, "wattprof train: warning: %s/%s.json is not a wattprof model file; left as it is\n",
                    o.out_dir, wp_pipeline_name(i));
    int skipped = 0;
    for (int i = 0; i < WP_N_PIPELINES; i++)
        skipped += rep.skipped_no_power[i];
    if (skipped)
        printf("%d power pipeline%s skipped for lack of power (runtime-only data); runtime pipelines trained "
               "('wattprof predict' gives those layers' runtime, no power or energy)\n",
               skipped, skipped == 1 ? "" : "s");
    printf("models and metrics.json written to %s\n", o.out_dir);
    wp_train_report_free(&rep);
    return 0;
}
