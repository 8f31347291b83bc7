/* cpu backend layouts: per-layer times of pooling, batch-norm and depthwise
 * convolution with every tensor plain (nchw, the old behaviour,
 * WP_CPU_LAYOUT_PLAIN), on the layouts oneDNN picks without fusion
 * (WP_CPU_LAYOUT_AUTO, wp_cpu_set_fusion(0)) and with it (the default),
 * and the whole network against PyTorch's CPU paths (eager and
 * torch.jit.optimize_for_inference, bench/torch_latency.py through
 * /usr/bin/python3), all in the same run, 1 thread by default, 1x3x224x224.
 * Figures are medians over the cycles. The PyTorch part is skipped, with a
 * message, where python3-torch / python3-torchvision are not installed.
 *   bench_cpu_layout [RUNS] [THREADS] [ARCH...]   (defaults 10, 1,
 *                                                 resnet18 mobilenetv2 vgg16) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wattprof/bench.h"
#include "wattprof/runner.h"
#include "wattprof/timestamp.h"
#include "wattprof/zoo.h"

#include "bench_util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum { K_POOL, K_BN, K_DW, K_CONV, K_N };
static const char *const kind_name[K_N] = {"pooling", "batch-norm", "depthwise conv", "other conv"};

static int kind_of(const wp_graph *g, const wp_node *n)
{
    switch (n->op) {
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL:
    case WP_OP_GLOBALAVGPOOL: return K_POOL;
    case WP_OP_BATCHNORM: return K_BN;
    case WP_OP_CONV: return n->group > 1 && n->group == g->tensors[n->in[0]].shape.d[1] ? K_DW : K_CONV;
    default: return -1;
    }
}

typedef struct {
    double untimed_ms, sum_ms;         /* medians */
    double max_ms[K_N], total_ms[K_N]; /* per kind: slowest layer, all layers (medians) */
    int count[K_N];
    const char *slowest[K_N];
} figures;

static int measure(wp_graph *g, wp_cpu_layout layout, int fusion, int runs, int threads, figures *f)
{
    wp_bench_result res;
    wp_cpu_set_layout(layout);
    wp_cpu_set_fusion(fusion);
    if (bench_network(g, runs, 2, threads, &res))
        return -1;
    memset(f, 0, sizeof *f);
    size_t L = res.n_layers, C = res.n_cycles;
    double *v = malloc(C * sizeof *v), *sums = calloc(C, sizeof *sums);
    for (size_t i = 0; i < L; i++) {
        for (size_t c = 0; c < C; c++) {
            v[c] = res.layer_ms[i * C + c];
            sums[c] += v[c];
        }
        double m = median(v, C);
        int k = kind_of(g, &g->nodes[i]);
        if (k < 0)
            continue;
        f->count[k]++;
        f->total_ms[k] += m;
        if (m > f->max_ms[k]) {
            f->max_ms[k] = m;
            f->slowest[k] = g->nodes[i].name;
        }
    }
    f->sum_ms = median(sums, C);
    f->untimed_ms = median(res.untimed_ms, C);
    free(v);
    free(sums);
    wp_bench_result_free(&res);
    return 0;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Untimed whole-network runs (AUTO): wall clock and this thread's CPU time
 * (at 1 thread oneDNN runs on the calling thread), as torch_latency.py
 * measures PyTorch. */
static int untimed_runs(wp_graph *g, int runs, double *wall, double *cpu)
{
    wp_error err;
    wp_cpu_set_layout(WP_CPU_LAYOUT_AUTO);
    wp_cpu_set_fusion(1);
    wp_runner *r = wp_runner_create(g, WP_BACKEND_CPU, &err);
    for (int i = -3; r && i < runs; i++) {
        int64_t t0 = wp_ts_monotonic_us();
        double c0 = thread_cpu_ms();
        if (wp_runner_run(r, NULL, &err)) {
            wp_runner_free(r);
            r = NULL;
            break;
        }
        if (i >= 0) {
            wall[i] = (double)(wp_ts_monotonic_us() - t0) / 1000.0;
            cpu[i] = thread_cpu_ms() - c0;
        }
    }
    if (!r) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    wp_runner_free(r);
    return 0;
}

static const char *torchvision_name(const char *arch)
{
    return strcmp(arch, "mobilenetv2") == 0 ? "mobilenet_v2" : arch;
}

static int torch_ms(const char *arch, int runs, int threads, double t[4])
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/torch_latency.py %s %d %d", WATTPROF_SOURCE_DIR,
             torchvision_name(arch), runs, threads);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int ok = fscanf(p, "%lf %lf %lf %lf", &t[0], &t[1], &t[2], &t[3]) == 4;
    return pclose(p) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 10, threads = argc > 2 ? atoi(argv[2]) : 1;
    static const char *const def_archs[] = {"resnet18", "mobilenetv2", "vgg16"};
    const char *const *archs = argc > 3 ? (const char *const *)argv + 3 : def_archs;
    int n_archs = argc > 3 ? argc - 3 : 3;
    if (runs < 1 || threads < 1) {
        fprintf(stderr, "usage: bench_cpu_layout [RUNS] [THREADS] [ARCH...]\n");
        return 2;
    }
    if (!wp_backend_available(WP_BACKEND_CPU)) {
        printf("skip: cpu backend not built (no oneDNN)\n");
        return 0;
    }
    int have_torch = system("/usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1") == 0;
    if (!have_torch)
        printf("PyTorch comparison skipped: /usr/bin/python3 cannot import torch and torchvision "
               "(apt install python3-torch python3-torchvision)\n");
    printf("threads %d, %d cycles per measurement, input 1x3x224x224, medians; zoo networks (same shapes as "
           "torchvision's)\n",
           threads, runs);
    wp_dims input = {4, {1, 3, 224, 224}};
    for (int a = 0; a < n_archs; a++) {
        wp_graph g;
        wp_error err;
        if (wp_zoo_build(archs[a], &input, &g, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        figures plain, unfused, aut;
        double *wall = malloc(2 * (size_t)runs * sizeof *wall), *cpu = malloc(2 * (size_t)runs * sizeof *cpu);
        if (!wall || !cpu || measure(&g, WP_CPU_LAYOUT_PLAIN, 0, runs, threads, &plain) ||
            measure(&g, WP_CPU_LAYOUT_AUTO, 0, runs, threads, &unfused) ||
            measure(&g, WP_CPU_LAYOUT_AUTO, 1, runs, threads, &aut))
            return 1;
        /* wattprof, PyTorch, wattprof: load drifts hit both sides alike. */
        double t[4];
        int torch_ok = have_torch;
        if (torch_ok && untimed_runs(&g, runs, wall, cpu))
            return 1;
        if (torch_ok && torch_ms(archs[a], runs, threads, t)) {
            printf("%s: bench/torch_latency.py failed\n", archs[a]);
            torch_ok = 0;
        }
        if (torch_ok && untimed_runs(&g, runs, wall + runs, cpu + runs))
            return 1;
        printf("\n%s (%zu layers)\n", archs[a], g.n_nodes);
        printf("  %-16s %6s %10s %10s %10s %10s %10s %10s\n", "layers", "count", "plain_max", "unfus_max", "auto_max",
               "plain_sum", "unfus_sum", "auto_sum");
        for (int k = 0; k < K_N; k++)
            if (aut.count[k])
                printf("  %-16s %6d %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f   slowest: %s -> %s\n", kind_name[k],
                       aut.count[k], plain.max_ms[k], unfused.max_ms[k], aut.max_ms[k], plain.total_ms[k],
                       unfused.total_ms[k], aut.total_ms[k], unfused.slowest[k] ? unfused.slowest[k] : "-",
                       aut.slowest[k] ? aut.slowest[k] : "- (all 0: fused into their convolution)");
        printf("  whole network (untimed) plain %.3f ms, auto unfused %.3f ms, auto %.3f ms (%.2fx faster than "
               "plain)\n",
               plain.untimed_ms, unfused.untimed_ms, aut.untimed_ms, plain.untimed_ms / aut.untimed_ms);
        printf("  per-layer sum / untimed: plain %.3f, auto unfused %.3f, auto %.3f\n", plain.sum_ms / plain.untimed_ms,
               unfused.sum_ms / unfused.untimed_ms, aut.sum_ms / aut.untimed_ms);
        double conv_max = aut.max_ms[K_CONV] > aut.max_ms[K_DW] ? aut.max_ms[K_CONV] : aut.max_ms[K_DW];
        int worst_ok = aut.max_ms[K_POOL] <= conv_max && aut.max_ms[K_BN] <= conv_max;
        printf("  slowest pooling/batch-norm layer %s the slowest convolution (%.3f ms)\n",
               worst_ok ? "below" : "ABOVE", conv_max);
        if (torch_ok) {
            double ours = median(wall, 2 * (size_t)runs), ours_cpu = median(cpu, 2 * (size_t)runs);
            double best = t[1] < t[0] ? t[1] : t[0], best_cpu = t[3] < t[2] ? t[3] : t[2];
            printf("  PyTorch %s: eager %.3f ms, optimize_for_inference %.3f ms (CPU time %.3f, %.3f)\n",
                   torchvision_name(archs[a]), t[0], t[1], t[2], t[3]);
            printf("  wattprof cpu: %.3f ms (CPU time %.3f), median of %d runs around PyTorch's\n", ours, ours_cpu,
                   2 * runs);
            printf("  wattprof / best PyTorch: %.2f wall clock, %.2f CPU time (target <= 1.20)\n", ours / best,
                   ours_cpu / best_cpu);
        }
        fflush(stdout);
        free(wall);
        free(cpu);
        wp_graph_free(&g);
    }
    return 0;
}
