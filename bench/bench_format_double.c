/* bench_format_double: wp_format_double, the hot path of every CSV writer
 * (`map` writes three numbers per row, millions of rows), on the values it
 * meets there, against two references timed in the same run: one
 * snprintf("%.17g") per value (what a plain libc conversion costs; it is not
 * the shortest text, so not a drop-in) and the shortest-text search by
 * repeated snprintf + strtod that wp_format_double replaced (csv.c keeps it
 * as its fallback). Compiles csv.c into itself to reach that fallback, and
 * checks that both write the same text for every value.
 *
 * CPU time of this thread (not wall time: the machine may be shared), best
 * of several rounds. Prints ns per value for each and the ratios. */
#include "../src/core/csv.c"

#include <time.h>

enum { N = 200000, ROUNDS = 5 };

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double uniform(void)
{
    return (double)(next_u64() >> 11) / 9007199254740992.0;
}

/* The value shapes `map` writes (bench_map's input): float32 latencies in
 * ms, mean powers in uW over a few samples of mV x mA, the same less an idle
 * power; and, for the odd ones, doubles from random bits. */
static void fill(int kind, double *v)
{
    for (size_t i = 0; i < N; i++) {
        switch (kind) {
        case 0: v[i] = (double)(float)(0.01 + 0.09 * uniform()); break;
        case 1: {
            int k = 1 + (int)(next_u64() % 4);
            double s = 0;
            for (int j = 0; j < k; j++)
                s += (5000.0 + (double)(next_u64() % 200)) * (1000.0 + (double)(next_u64() % 900));
            v[i] = s / k;
            break;
        }
        case 2: {
            int k = 1 + (int)(next_u64() % 4);
            double s = 0;
            for (int j = 0; j < k; j++)
                s += (5000.0 + (double)(next_u64() % 200)) * (1000.0 + (double)(next_u64() % 900));
            v[i] = s / k - 5000000.0;
            break;
        }
        default: {
            uint64_t b;
            do {
                b = next_u64();
                memcpy(&v[i], &b, sizeof b);
            } while (!isfinite(v[i]));
        }
        }
    }
}

static volatile size_t sink;

static size_t format_printf(double v, char *buf)
{
    return (size_t)snprintf(buf, WP_DOUBLE_BUFSZ, "%.17g", v);
}

/* CPU seconds for one formatter over the N values; the three are timed by
 * this one loop, so each ratio compares the formatters and nothing else. */
static double time_format(size_t (*format)(double, char *), const double *v)
{
    char buf[WP_DOUBLE_BUFSZ];
    double t0 = cpu_s();
    size_t s = 0;
    for (size_t i = 0; i < N; i++)
        s += format(v[i], buf);
    sink = s;
    return cpu_s() - t0;
}

int main(void)
{
    static const char *kinds[] = {"float32 latency ms", "mean power uW", "power less idle uW", "random bits"};
    double *v = malloc(N * sizeof *v);
    if (!v)
        return 1;
    printf("%-20s %10s %12s %12s %10s %10s\n", "values", "ns/value", "%.17g ns", "search ns", "vs %.17g", "vs search");
    for (int k = 0; k < 4; k++) {
        fill(k, v);
        for (size_t i = 0; i < N; i++) {
            char a[WP_DOUBLE_BUFSZ], b[WP_DOUBLE_BUFSZ];
            wp_format_double(v[i], a);
            format_double_slow(v[i], b);
            if (strcmp(a, b) != 0) {
                fprintf(stderr, "bench_format_double: %.17g: fast '%s', search '%s'\n", v[i], a, b);
                return 1;
            }
        }
        double f = 1e9, s = 1e9, p = 1e9;
        for (int r = 0; r < ROUNDS; r++) {
            double t = time_format(wp_format_double, v);
            f = t < f ? t : f;
            t = time_format(format_printf, v);
            p = t < p ? t : p;
            t = time_format(format_double_slow, v);
            s = t < s ? t : s;
        }
        printf("%-20s %10.1f %12.1f %12.1f %9.2fx %9.1fx\n", kinds[k], f / N * 1e9, p / N * 1e9, s / N * 1e9, p / f,
               s / f);
    }
    free(v);
    return 0;
}
