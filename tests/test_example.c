/* The Quick start's main job on the project's example dataset: `map` then
 * `dataset` on examples/raw must produce training data for both models, and
 * the measured per-layer means must recover the truth the generator used
 * (examples/raw_truth.tsv) within the sampling error. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/csv.h"

typedef struct {
    char model[32];
    char name[256];
    char type[64];
    double runtime, power;
} truth_row;

static size_t read_truth(const char *path, truth_row *rows, size_t max)
{
    char *text = test_read_file(path);
    CHECK(text != NULL);
    if (!text)
        return 0;
    size_t n = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* header */
    while ((line = strtok_r(NULL, "\n", &save)) != NULL && n < max) {
        truth_row *r = &rows[n];
        char *f[5];
        int k = 0;
        for (char *p = line; k < 5; k++) {
            f[k] = p;
            p = strchr(p, '\t');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (k != 4)
            continue;
        snprintf(r->model, sizeof r->model, "%s", f[0]);
        snprintf(r->name, sizeof r->name, "%s", f[1]);
        snprintf(r->type, sizeof r->type, "%s", f[2]);
        r->runtime = atof(f[3]);
        r->power = atof(f[4]);
        n++;
    }
    free(text);
    return n;
}

static const truth_row *find_truth(const truth_row *rows, size_t n, const char *model, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].model, model) == 0 && strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

int main(void)
{
    const char *raw = WATTPROF_SOURCE_DIR "/examples/raw";
    truth_row truth[64];
    size_t nt = read_truth(WATTPROF_SOURCE_DIR "/examples/raw_truth.tsv", truth, 64);
    CHECK(nt >= 10);

    const char *root = test_tmpdir();
    const char *mapped = test_path(root, "mapped"), *training = test_path(root, "training");
    const char *map_args[] = {"map", "--raw-data-dir", raw, "--result-dir", mapped, "--quiet", NULL};
    CHECK_CLI(map_args, 0, NULL, NULL);
    /* the example's runtimes carry symmetric +-3 % jitter around the truth:
     * the mean recovers it (the default, p10, sits about 2.4 % below) */
    const char *ds_args[] = {"dataset", "--preprocessed-data-dir", mapped, "--result-dir",
                             training,  "--runtime-stat",          "mean", NULL};
    test_run_result r = test_run_cli(ds_args);
    CHECK_INT(r.status, 0);
    CHECK(strstr(r.err, "skipping") == NULL); /* default threshold of 10 passes */
    test_run_free(&r);

    const char *models[] = {"tinynet", "minivgg"};
    const char *files[] = {"convolutional.csv", "pooling.csv", "dense.csv"};
    size_t checked = 0, kept_truth = 0;
    for (size_t i = 0; i < nt; i++)
        kept_truth += strncmp(truth[i].type, "Cask", 4) == 0;
    for (int m = 0; m < 2; m++)
        for (int f = 0; f < 3; f++) {
            char rel[128];
            snprintf(rel, sizeof rel, "%s/%s", models[m], files[f]);
            wp_csv_reader rd;
            wp_error err;
            if (wp_csv_open(&rd, test_path(training, rel), &err) != 0) {
                test_fail_at(__FILE__, __LINE__, "%s", err.msg);
                continue;
            }
            int cp = wp_csv_column(&rd, "power"), cr = wp_csv_column(&rd, "runtime"),
                cn = wp_csv_column(&rd, "layer_name");
            CHECK(cp >= 0 && cr >= 0 && cn == (int)rd.nheader - 1);
            while (cp >= 0 && cr >= 0 && cn >= 0 && wp_csv_next(&rd, &err) == 1) {
                const truth_row *t = find_truth(truth, nt, models[m], rd.fields[cn]);
                CHECK(t != NULL);
                if (!t)
                    continue;
                double power, runtime;
                CHECK_INT(wp_csv_double(&rd, cp, 0, &power, &err), 0);
                CHECK_INT(wp_csv_double(&rd, cr, 0, &runtime, &err), 0);
                /* Power: samples at window edges may belong to a neighbour;
                 * runtime: 40 draws of +-3% jitter. */
                CHECK_NEAR(power, t->power, 0.06);
                CHECK_NEAR(runtime, t->runtime, 0.02);
                checked++;
            }
            wp_csv_free(&rd);
        }
    CHECK_INT(checked, kept_truth);
    return test_summary();
}
