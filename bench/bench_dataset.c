/* bench_dataset: `dataset` on a large mapping (30,000 cycles x 60 layers,
 * 1.8 M rows) against a python3 re-implementation of upstream's algorithm
 * (bench/reference/dataset_ref.py: csv module + numpy describe), measured
 * in the same run on the same input.
 *
 * Usage: bench_dataset [CYCLES [LAYERS]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wattprof/dataset.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *TYPES[] = {"CaskConvolution", "CaskPooling", "CaskGemmConvolution", "Reformat"};

int main(int argc, char **argv)
{
    int cycles = argc > 1 ? atoi(argv[1]) : 30000;
    int layers = argc > 2 ? atoi(argv[2]) : 60;
    char dir[] = "/tmp/wattprof-bench-dataset-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[4096], model[512];
    snprintf(model, sizeof model, "%s/in/net", dir);
    snprintf(path, sizeof path, "mkdir -p %s", model);
    if (system(path) != 0)
        return 1;

    /* Engine info. */
    snprintf(path, sizeof path, "%s/trt_engine_info.json", model);
    FILE *fp = fopen(path, "w");
    fprintf(fp, "{\"Layers\": [\n");
    for (int j = 0; j < layers; j++) {
        const char *t = TYPES[j % 4];
        fprintf(fp,
                "{\"Name\": \"layer_%03d\", \"LayerType\": \"%s\",\n"
                " \"Inputs\": [{\"Dimensions\": [1, %d, 28, 28]}], \"Outputs\": [{\"Dimensions\": [1, %d, %d, %d]}],\n"
                " \"Kernel\": [3, 3], \"WindowSize\": [2, 2], \"PrePadding\": [1, 1], \"PostPadding\": [1, 1],\n"
                " \"Stride\": [1, 1], \"Groups\": 1}%s\n",
                j, t, 16 + j, 32 + j, j % 4 == 1 ? 14 : 28, j % 4 == 1 ? 14 : 28, j + 1 < layers ? "," : "");
    }
    fprintf(fp, "]}\n");
    fclose(fp);

    /* Mapping. */
    snprintf(path, sizeof path, "%s/power_runtime_mapping_layerwise.csv", model);
    fp = fopen(path, "w");
    fprintf(fp, "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
                "layer_power_excluding_idle_power_micro_watt,layer_run_time\n");
    unsigned s = 12345;
    for (int k = 1; k <= cycles; k++)
        for (int j = 0; j < layers; j++) {
            s = s * 1103515245u + 12345u;
            double p = 1e6 + (double)(s % 100000);
            double rt = 0.05 + (double)((s >> 8) % 1000) * 1e-4;
            if ((s >> 20) % 7 == 0)
                fprintf(fp, "%d,layer_%03d,%s,,,%.4f\n", k, j, TYPES[j % 4], rt);
            else
                fprintf(fp, "%d,layer_%03d,%s,%.1f,%.1f,%.4f\n", k, j, TYPES[j % 4], p + 4e6, p, rt);
        }
    fclose(fp);
    char mapping[sizeof path];
    snprintf(mapping, sizeof mapping, "%s", path);

    /* wattprof. */
    char in[512], out[512];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    wp_dataset_options opt;
    wp_dataset_options_init(&opt);
    wp_dataset_report rep;
    wp_error err;
    double t0 = now_s();
    if (wp_dataset_run(in, out, &opt, &rep, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t_ours = now_s() - t0;
    wp_dataset_report_free(&rep);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    printf("dataset: %d cycles x %d layers (%ld rows)\n", cycles, layers, (long)cycles * layers);
    printf("  wattprof:  %.3f s, peak RSS %.1f MB\n", t_ours, (double)ru.ru_maxrss / 1024.0);

    /* Reference. */
    const char *py = "/usr/bin/python3";
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "%s %s/bench/reference/dataset_ref.py %s %s", py, WATTPROF_SOURCE_DIR, mapping, dir);
    if (access(py, X_OK) == 0) {
        t0 = now_s();
        int rc = system(cmd);
        double t_ref = now_s() - t0;
        if (rc == 0) {
            printf("  reference (python3 csv + numpy, upstream's algorithm): %.3f s\n", t_ref);
            printf("  speed-up: %.1fx\n", t_ref / t_ours);
            /* Same statistics? */
            snprintf(cmd, sizeof cmd, "cmp -s %s/ref_average_power_stats.csv %s/net/net_average_power_stats.csv", dir,
                     in);
            int same = system(cmd) == 0;
            snprintf(cmd, sizeof cmd, "cmp -s %s/ref_average_run_time_stats.csv %s/net/net_average_run_time_stats.csv",
                     dir, in);
            same = same && system(cmd) == 0;
            printf("  statistics files identical to the reference's: %s\n", same ? "yes" : "NO");
        } else {
            printf("  reference failed (numpy missing?)\n");
        }
    } else {
        printf("  reference skipped: %s not found\n", py);
    }
    if (getenv("KEEP"))
        return 0;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
