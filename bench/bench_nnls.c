/* bench_nnls: the additive runtime model's fit (wp_nnls_relative_fit,
 * Lawson-Hanson on the rows divided by the target) against SciPy's
 * scipy.optimize.nnls (the same algorithm, Fortran) on the same problem in
 * the same run, when /usr/bin/python3 has SciPy. Prints both times, the
 * ratio and the relative-error objective each reached.
 *
 * The problem looks like a convolution runtime set: ROWS layers, features
 * spanning 6 decades (MACs, taps, three byte counts), runtime = overhead +
 * costs x features with one cost 0 and 15 % noise.
 *
 * usage: bench_nnls [ROWS (20000)] [REPEATS (20)] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wattprof/regression.h"
#include "wattprof/timestamp.h"

enum { P = 5 };

static double unit(unsigned long long *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*st >> 11) / 9007199254740992.0;
}

static double objective(const double *X, const double *y, size_t n, const double *w, double b)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double f = b;
        for (int j = 0; j < P; j++)
            f += X[i * P + (size_t)j] * w[j];
        s += ((f - y[i]) / y[i]) * ((f - y[i]) / y[i]);
    }
    return s;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 20000;
    int reps = argc > 2 ? atoi(argv[2]) : 20;
    if (n < 10 || reps < 1) {
        fprintf(stderr, "usage: bench_nnls [ROWS] [REPEATS]\n");
        return 1;
    }
    double *X = malloc(n * P * sizeof *X), *y = malloc(n * sizeof *y);
    if (!X || !y)
        return 1;
    static const double cost[P] = {1e-8, 2e-7, 1.5e-8, 0, 4e-8};
    unsigned long long st = 7;
    for (size_t i = 0; i < n; i++) {
        double macs = pow(10, 4 + 6 * unit(&st)), cpg = pow(2, 9 * unit(&st));
        double v[P] = {macs, macs / cpg, macs / (5 + 50 * unit(&st)), macs / (20 + 200 * unit(&st)),
                       macs / (5 + 50 * unit(&st))};
        double t = 2e-3;
        for (int j = 0; j < P; j++) {
            X[i * P + (size_t)j] = v[j];
            t += cost[j] * v[j];
        }
        y[i] = t * (1 + 0.3 * (unit(&st) - 0.5));
    }
    double w[P], b = 0;
    int64_t t0 = wp_ts_monotonic_us();
    for (int r = 0; r < reps; r++) {
        wp_error err;
        if (wp_nnls_relative_fit(X, y, n, P, w, &b, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    }
    double ours = (double)(wp_ts_monotonic_us() - t0) / 1e6 / reps;
    double obj = objective(X, y, n, w, b);
    printf("rows %zu, terms %d + overhead; wattprof wp_nnls_relative_fit: %.3f ms a fit, objective %.6g\n", n, P,
           ours * 1e3, obj);

    /* SciPy on the same rows: it gets A = [X, 1] / y and b = 1, as ours
     * builds internally, and is timed on the solve alone. */
    char tmpl[] = "/tmp/wattprof-bench-nnls-XXXXXX";
    int fd = mkstemp(tmpl);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        printf("SciPy reference: cannot write a temporary file, no ratio\n");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < P; j++)
            fprintf(fp, "%.17g,", X[i * P + (size_t)j]);
        fprintf(fp, "%.17g\n", y[i]);
    }
    fclose(fp);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '\n"
             "import sys, time\n"
             "import numpy as np\n"
             "from scipy.optimize import nnls\n"
             "d = np.loadtxt(sys.argv[1], delimiter=\",\"); X, y = d[:, :-1], d[:, -1]\n"
             "A = np.hstack([X, np.ones((len(y), 1))]) / y[:, None]; s = np.linalg.norm(A, axis=0)\n"
             "t = time.perf_counter()\n"
             "for _ in range(%d): x, _r = nnls(A / s, np.ones(len(y)))\n"
             "t = (time.perf_counter() - t) / %d; x = x / s\n"
             "f = X @ x[:-1] + x[-1]\n"
             "print(t, float(np.sum(((f - y) / y) ** 2)))\n"
             "' %s 2>/dev/null",
             reps, reps, tmpl);
    double ref = 0, ref_obj = 0;
    FILE *pp = popen(cmd, "r");
    int got = pp && fscanf(pp, "%lf %lf", &ref, &ref_obj) == 2;
    if (pp)
        pclose(pp);
    unlink(tmpl);
    if (!got || ref <= 0) {
        printf("SciPy reference: not available (/usr/bin/python3 with python3-scipy), no ratio\n");
    } else {
        printf("SciPy scipy.optimize.nnls (same scaled problem, solve only): %.3f ms a fit, objective %.6g\n",
               ref * 1e3, ref_obj);
        printf("ratio SciPy / wattprof: %.1fx; objectives differ by %.2g (relative)\n", ref / ours,
               fabs(obj - ref_obj) / ref_obj);
    }
    free(X);
    free(y);
    return 0;
}
