/* The CSV reader (every row, every column as a number) and the deconvolve
 * estimates CSV reader `dataset` uses. Input: CSV %% estimates CSV. */
#include "fuzz_util.h"
#include "wattprof/csv.h"
#include "wattprof/deconvolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_parts parts;
    fz_split(data, size, 2, &parts);
    const char *dir = fz_dir();
    const char *csv = fz_write(dir, "a.csv", parts.p[0], parts.n[0]);
    const char *est = fz_write(dir, "layer_power_estimates.csv", parts.p[1], parts.n[1]);
    wp_error err;
    wp_csv_reader r;
    if (fz_note("csv", wp_csv_open(&r, csv, &err), err.msg) == 0) {
        int col = wp_csv_column(&r, "layer_run_time");
        while (wp_csv_next(&r, &err) > 0) {
            double v;
            for (int c = 0; c < (int)r.nfields; c++)
                wp_csv_double(&r, c, c & 1, &v, &err);
            if (col >= 0 && (size_t)col < r.nfields)
                wp_csv_double(&r, col, 0, &v, &err);
        }
        wp_csv_free(&r);
    }
    wp_deconv_estimate *rows;
    size_t n;
    if (fz_note("estimates", wp_deconv_read_csv(est, &rows, &n, &err), err.msg) == 0) {
        for (size_t i = 0; i < n; i++)
            if (wp_deconv_find(rows, n, rows[i].name) == NULL)
                abort();
        wp_deconv_estimates_free(rows, n);
    }
    return 0;
}
