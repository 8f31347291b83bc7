/* wattprof run: log power while a command runs (replaces the original's
 * two-process Python orchestration around its benchmark). */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "logopts.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/layout.h"
#include "wattprof/logger.h"
#include "wattprof/timestamp.h"
#include "wattprof/trtexec.h"

extern char **environ;

/* Signals are taken synchronously (sigtimedwait) by the main thread, which
 * otherwise waits for the child. A signal from the terminal (Ctrl-C:
 * si_code > 0, sent by the kernel) went to the whole foreground process
 * group, the child included, so passing it on would deliver it twice. One
 * sent to wattprof alone (kill, a job scheduler: si_code <= 0) is passed on,
 * so the child can finish cleanly; logging goes on until the child exits. */
static int wait_child(pid_t pid, const sigset_t *set, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        siginfo_t si;
        /* SIGCHLD is in the set: the child's exit wakes us at once; the
         * timeout is only a safety net. */
        struct timespec ts = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(set, &si, &ts);
        if ((sig == SIGINT || sig == SIGTERM) && si.si_code <= 0)
            kill(pid, sig);
    }
}

/* trtexec names its outputs by option (--exportProfile=F, ...); `map`
 * reads them from fixed places in the model folder (docs/trtexec.md), so
 * after a successful run they are copied there. */
static void collect_trtexec(char **cmd, const char *sub, int quiet)
{
    const char *base = strrchr(cmd[0], '/');
    base = base ? base + 1 : cmd[0];
    if (strncmp(base, "trtexec", 7) != 0)
        return;
    static const struct {
        const char *opt, *dest;
    } files[] = {{"--exportProfile=", WP_TRTEXEC_PROFILE},
                 {"--exportTimes=", WP_TRTEXEC_TIMES},
                 {"--exportLayerInfo=", WP_PROFILING_DIR "/" WP_ENGINE_INFO_JSON}};
    char *dir = wp_path_join(sub, WP_PROFILING_DIR);
    wp_error err;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        const char *src = NULL;
        for (char **a = cmd + 1; *a; a++)
            if (strncmp(*a, files[f].opt, strlen(files[f].opt)) == 0)
                src = *a + strlen(files[f].opt);
        if (!src || !*src) {
            if (!quiet)
                fprintf(stderr, "wattprof run: note: no %s... given to trtexec; map needs it\n", files[f].opt);
            continue;
        }
        char *dst = wp_path_join(sub, files[f].dest);
        if (!dir || !dst)
            wp_fail(&err, NULL, 0, "out of memory");
        if (!dir || !dst || wp_mkdirs(dir, &err) < 0 || wp_atomic_copy(src, dst, &err) < 0)
            fprintf(stderr, "wattprof run: warning: cannot collect trtexec's output: %s\n", err.msg);
        free(dst);
    }
    free(dir);
}

static void help(void)
{
    printf("usage: wattprof run --result-dir DIR --model NAME [OPTIONS] -- CMD [ARGS...]\n"
           "\n"
           "Logs power to DIR/NAME/NAME_power_log.log while CMD runs, stops when it\n"
           "exits, and writes DIR/NAME/" WP_RUN_INFO_JSON " (the command and the wall-clock time\n"
           "it was started: the anchor of trtexec's times). For trtexec, the files given\n"
           "to --exportProfile=, --exportTimes= and --exportLayerInfo= are copied into\n"
           "DIR/NAME/trt_profiling/ where 'wattprof map' reads them (docs/trtexec.md).\n"
           "DIR/NAME/" WP_DEVICE_JSON " records the board, clocks and temperatures at start and end.\n"
           "\n"
           "It exits with CMD's status (128+N when a signal N killed it, 127 when\n"
           "it cannot be started). SIGINT/SIGTERM sent to wattprof are passed on to CMD\n"
           "(a terminal's Ctrl-C already reaches both); logging goes on until CMD exits.\n"
           "\n"
           "  --result-dir DIR    result directory (DIR/NAME is created)\n"
           "  --model NAME        model name: the log's directory and file prefix\n"
           "  (idle reading for --cooldown: DIR/" WP_DEVICE_JSON
           ", as 'wattprof idle --result-dir DIR' writes it)\n" CLI_COOLDOWN_HELP CLI_LOG_HELP
           "  --help              this text\n");
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {CLI_LOG_LONGOPTS,
                                             {"result-dir", required_argument, 0, 'r'},
                                             {"model", required_argument, 0, 'm'},
                                             CLI_COOLDOWN_LONGOPTS,
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    wp_logger_options o;
    wp_logger_options_init(&o);
    const char *dir = NULL, *model = NULL;
    int quiet = 0, c;
    double cooldown = 0, cooldown_timeout = 0;
    optind = 1;
    /* '+': stop at the first non-option, the command. */
    while ((c = cli_getopt_log("run", argc, argv, "+h", longopts, &o, &quiet)) != -1) {
        switch (c) {
        case 'h': help(); return 0;
        case 'r': dir = optarg; break;
        case 'm': model = optarg; break;
        case OPT_COOLDOWN:
        case OPT_COOLDOWN_TIMEOUT:
            if (cli_cooldown_opt("run", c, optarg, &cooldown, &cooldown_timeout))
                return 2;
            break;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (!dir || !model)
        return cli_usage_error("run", "--result-dir DIR and --model NAME are required");
    if (!*model || strchr(model, '/') || strcmp(model, ".") == 0 || strcmp(model, "..") == 0)
        return cli_usage_error("run", "--model must be a plain name, not '%s'", model);
    if (optind >= argc)
        return cli_usage_error("run", "no command given (put it after --)");
    char **cmd = argv + optind;

    /* Everything below is released at `out`; code is the exit status. */
    int code = 1, unmask = 0;
    wp_error err;
    wp_device_state *dev = NULL;
    wp_logger *lg = NULL;
    sigset_t waitset, oldmask;
    char *sub = wp_path_join(dir, model);
    char *path = sub ? wp_layout_model_file(sub, model, WP_POWER_LOG_SUFFIX) : NULL;
    char *info = sub ? wp_path_join(sub, WP_RUN_INFO_JSON) : NULL;
    /* the idle reading: `wattprof idle --result-dir DIR` writes it */
    char *ref = wp_path_join(dir, WP_DEVICE_JSON);
    if (!sub || !path || !info || !ref) {
        wp_fail(&err, NULL, 0, "out of memory");
        cli_fail("run", &err);
        goto out;
    }
    if (wp_mkdirs(sub, &err) < 0) {
        cli_fail("run", &err);
        goto out;
    }
    o.out_path = path;
    wp_cooldown_result cool;
    int cooled = cooldown > 0 ? cli_cooldown("run", ref, cooldown, cooldown_timeout, quiet, &cool, &err) : 0;
    if (cooled < 0) {
        cli_fail("run", &err);
        goto out;
    }
    /* Block the signals before anything is opened or any thread exists: the logger threads and
     * this one then only see them through sigtimedwait below. */
    sigemptyset(&waitset);
    sigaddset(&waitset, SIGINT);
    sigaddset(&waitset, SIGTERM);
    sigaddset(&waitset, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &waitset, &oldmask);
    unmask = 1;

    dev = cli_device_begin(&o);
    if (cooled > 0)
        wp_device_set_cooldown(dev, ref, cooldown, &cool);
    lg = wp_logger_open(&o, &err);
    if (!lg) {
        cli_fail("run", &err);
        goto out;
    }
    if (!quiet)
        cli_print_rail("run", lg);

    /* Logging starts first so the command's start-up is in the log. */
    if (wp_logger_start(lg, &err) < 0) {
        cli_fail("run", &err);
        goto out;
    }

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, deflt;
    sigemptyset(&none);
    sigemptyset(&deflt);
    sigaddset(&deflt, SIGINT);
    sigaddset(&deflt, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &deflt);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int64_t child_start = wp_ts_now_local();
    int e = posix_spawnp(&pid, cmd[0], NULL, &attr, cmd, environ);
    posix_spawnattr_destroy(&attr);
    if (e != 0) {
        wp_logger_join(lg, NULL);
        wp_logger_free(lg);
        lg = NULL;
        unlink(path);
        fprintf(stderr, "wattprof run: cannot run '%s': %s\n", cmd[0], strerror(e));
        code = 127;
        goto out;
    }
    /* From here on the signals stay blocked until exit, as the wait left them. */
    unmask = 0;
    int status = 0;
    if (wait_child(pid, &waitset, &status) < 0)
        status = 1 << 8; /* cannot happen for our own child; report failure */
    int64_t child_end = wp_ts_now_local();
    int rc = wp_logger_join(lg, &err);
    cli_print_summary(lg);
    wp_logger_summary sum;
    wp_logger_get_summary(lg, &sum);
    wp_logger_free(lg);
    lg = NULL;

    code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    if (rc < 0 || wp_run_info_write(info, cmd, child_start, child_end, code, &err) < 0) {
        cli_fail("run", &err);
        code = code ? code : 1;
        goto out;
    }
    int fin = cli_device_finish(dev, sub, NULL, &sum, cooldown > 0 ? "run" : NULL, cooldown, &err);
    dev = NULL; /* cli_device_finish frees it */
    if (fin < 0) {
        cli_fail("run", &err);
        code = code ? code : 1;
        goto out;
    }
    if (code == 0)
        collect_trtexec(cmd, sub, quiet);
    if (!quiet)
        fprintf(stderr, "wattprof run: '%s' exited with status %d; power log in %s\n", cmd[0], code, sub);
out:
    wp_logger_free(lg);
    wp_device_free(dev);
    if (unmask)
        pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
    free(sub);
    free(path);
    free(info);
    free(ref);
    return code;
}
