/* bench_train: the six training pipelines on ~5,000 training rows per layer
 * type, wattprof against scikit-learn (the original's method, via
 * bench/reference/train_reference.py under /usr/bin/python3) on the same
 * files in the same run. Prints both times, the ratio, and whether each
 * pipeline chose the same alpha.
 *
 * usage: bench_train [ROWS_PER_NETWORK (100)] [TRAIN_NETWORKS (50)] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/train_fixture.h"
#include "wattprof/model.h"
#include "wattprof/timestamp.h"

int main(int argc, char **argv)
{
    int per = argc > 1 ? atoi(argv[1]) : 100, nets = argc > 2 ? atoi(argv[2]) : 50;
    char tmpl[] = "/tmp/wattprof-bench-train-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir || per < 1 || nets < 1) {
        fprintf(stderr, "usage: bench_train [ROWS_PER_NETWORK] [TRAIN_NETWORKS]\n");
        return 1;
    }
    char data[1024], out[1024];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(out, sizeof out, "%s/models", dir);
    int per_kind[3] = {per, per, per};
    wp_error err;
    if (fx_write(data, nets, per_kind, 42, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("training rows per layer type: %d (%d networks x %d), test rows: %d\n", nets * per, nets, per, 3 * per);

    wp_train_options o;
    wp_train_options_init(&o);
    o.data_dir = data;
    o.out_dir = out;
    /* the original's pipelines: what the scikit-learn reference computes */
    o.config_path = "upstream";
    wp_train_report rep;
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    int64_t t0 = wp_ts_monotonic_us();
    if (wp_train_run(&o, &rep, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double ours = (double)(wp_ts_monotonic_us() - t0) / 1e6;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double ours_cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    printf("wattprof train (read CSVs, six LassoCV fits, write models): %.3f s wall, %.3f s CPU (all threads)\n", ours,
           ours_cpu);

    char cmd[8800];
    snprintf(
        cmd, sizeof cmd,
        "/usr/bin/python3 -c 'import sklearn' 2>/dev/null && /usr/bin/python3 %s/bench/reference/train_reference.py %s",
        WATTPROF_SOURCE_DIR, data);
    FILE *pp = popen(cmd, "r");
    char *text = NULL;
    size_t len = 0, cap = 0;
    if (pp) {
        char buf[65536];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, pp)) > 0) {
            if (len + got + 1 > cap) {
                cap = (len + got + 1) * 2;
                text = realloc(text, cap);
            }
            memcpy(text + len, buf, got);
            len += got;
        }
        pclose(pp);
        if (text)
            text[len] = '\0';
    }
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    if (!doc) {
        printf("scikit-learn reference: not available (/usr/bin/python3 with python3-sklearn), no ratio\n");
    } else {
        double ref = 0, ref_cpu = 0;
        int same = 0;
        printf("%-22s %12s %10s %s\n", "pipeline", "sklearn fit", "alpha", "same alpha");
        for (int i = 0; i < WP_N_PIPELINES; i++) {
            json_t *p = json_object_get(doc, wp_pipeline_name(i));
            if (!p)
                continue;
            double s = json_number_value(json_object_get(p, "seconds"));
            double a = json_number_value(json_object_get(p, "alpha"));
            int eq = fabs(a - rep.pipe[i].alpha) <= 1e-12 * a;
            same += eq;
            ref += s;
            ref_cpu += json_number_value(json_object_get(p, "cpu_seconds"));
            printf("%-22s %10.3f s %10.4g %s\n", wp_pipeline_name(i), s, a, eq ? "yes" : "NO");
        }
        printf("scikit-learn 1.2 pipelines (fit only, excludes its CSV reading): %.3f s wall, %.3f s CPU\n", ref,
               ref_cpu);
        printf("ratio sklearn / wattprof: %.1fx wall, %.1fx CPU  (target >= 5x), same alpha in %d/6 pipelines\n",
               ref / ours, ref_cpu / ours_cpu, same);
        json_decref(doc);
    }
    free(text);
    wp_train_report_free(&rep);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
