/* bench_report: rendering a report over a large mapping (30,000 cycles x 60
 * layers = 1.8 M rows, ~100 MB of CSV), against the straightforward Python
 * aggregation of the same file (bench/reference/report_reference.py) run in
 * the same process tree. Prints rows/s, peak memory and the ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wattprof/atomic_file.h"
#include "wattprof/report.h"
#include "wattprof/timestamp.h"

#define CYCLES 30000
#define LAYERS 60

static const char *types[] = {"CaskConvolution", "CaskPooling", "Reformat", "PointWiseV2", "CaskGemmConvolution"};

static int write_mapping(const char *path, long *bytes)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fputs("cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
          "layer_power_excluding_idle_power_micro_watt,layer_run_time\n",
          fp);
    unsigned s = 12345;
    for (int c = 1; c <= CYCLES; c++)
        for (int l = 0; l < LAYERS; l++) {
            s = s * 1103515245u + 12345u;
            double p = 1.5e6 + (double)(s >> 8 & 0xFFFFF);
            const char *t = types[l % 5 == 4 && l != LAYERS - 1 ? 0 : l % 5];
            if (l == LAYERS - 1)
                t = types[4];
            if ((s >> 3) % 7 == 0)
                fprintf(fp, "%d,[CONVOLUTION]-[net/layer%d] + [RELU]-[relu%d],%s,,,%.6f\n", c, l, l, t,
                        0.01 + l * 0.003);
            else
                fprintf(fp, "%d,[CONVOLUTION]-[net/layer%d] + [RELU]-[relu%d],%s,%.1f,%.1f,%.6f\n", c, l, l, t, p + 5e6,
                        p, 0.01 + l * 0.003 + (double)(s & 0xFF) * 1e-5);
        }
    *bytes = ftell(fp);
    return fclose(fp);
}

int main(void)
{
    char dir[] = "/tmp/wattprof-bench-report-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char res[256], model[512], csv[600], out[600], cmd[2048];
    snprintf(res, sizeof res, "%s/result", dir);
    snprintf(model, sizeof model, "%s/net", res);
    wp_error err = {0};
    if (wp_mkdirs(model, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    snprintf(csv, sizeof csv, "%s/power_runtime_mapping_layerwise.csv", model);
    snprintf(out, sizeof out, "%s/report.html", dir);
    long bytes = 0;
    if (write_mapping(csv, &bytes) != 0) {
        perror(csv);
        return 1;
    }
    printf("input: %d cycles x %d layers = %d rows, %.1f MB of mapping CSV\n", CYCLES, LAYERS, CYCLES * LAYERS,
           (double)bytes / 1e6);

    wp_report_options o = {.result_dir = res};
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        int64_t t0 = wp_ts_monotonic_us();
        int n = wp_report_write(&o, out, &err);
        double s = (double)(wp_ts_monotonic_us() - t0) / 1e6;
        if (n != 1) {
            fprintf(stderr, "report failed: %s\n", err.msg);
            return 1;
        }
        if (s < best)
            best = s;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct stat st;
    stat(out, &st);
    printf("wattprof report: %.3f s (best of 3), %.2f M rows/s, peak RSS %.1f MB, page %.1f kB\n", best,
           CYCLES * LAYERS / best / 1e6, ru.ru_maxrss / 1024.0, st.st_size / 1024.0);

    const char *py = "/usr/bin/python3";
    if (access(py, X_OK) != 0) {
        printf("reference: skipped (%s not found)\n", py);
    } else {
        snprintf(cmd, sizeof cmd, "%s %s/bench/reference/report_reference.py %s", py, WATTPROF_SOURCE_DIR, csv);
        FILE *p = popen(cmd, "r");
        int layers = 0;
        long rows = 0;
        double secs = 0;
        int ok = p && fscanf(p, "%d %ld %lf", &layers, &rows, &secs) == 3;
        if (p)
            pclose(p);
        if (!ok || layers != LAYERS || rows != (long)CYCLES * LAYERS) {
            fprintf(stderr, "reference failed or disagrees (%d layers, %ld rows)\n", layers, rows);
        } else {
            printf("python csv-module aggregation (reference, aggregation only): %.3f s\n", secs);
            printf("ratio: wattprof report (aggregation + whole page) is %.1fx faster\n", secs / best);
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
