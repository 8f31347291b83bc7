/* testutil: the test harness (testutil.h): checks that carry on, temporary
 * fixture folders and running the built wattprof. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int test_passed, test_failed;

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static char tmp_root[1024];

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[4096];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void cleanup(void)
{
    if (tmp_root[0] && !getenv("WATTPROF_KEEP_TMP"))
        rm_rf(tmp_root);
}

int test_summary(void)
{
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

const char *test_tmpdir(void)
{
    static int counter;
    static char dirs[64][1100];
    if (!tmp_root[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp_root, sizeof tmp_root, "%s/wattprof-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmp_root)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(cleanup);
    }
    char *d = dirs[counter % 64];
    snprintf(d, 1100, "%s/%d", tmp_root, counter++);
    if (mkdir(d, 0755) != 0) {
        perror(d);
        exit(2);
    }
    return d;
}

const char *test_path(const char *dir, const char *rel)
{
    static char ring[32][4096];
    static int next;
    char *p = ring[next++ % 32];
    snprintf(p, 4096, "%s/%s", dir, rel);
    return p;
}

/* The kept paths: reachable from here, so never a leak, and freed at exit. */
static char **kept;
static size_t n_kept;

static void free_kept(void)
{
    for (size_t i = 0; i < n_kept; i++)
        free(kept[i]);
    free(kept);
    kept = NULL;
    n_kept = 0;
}

const char *test_path_kept(const char *dir, const char *rel)
{
    char **grown = realloc(kept, (n_kept + 1) * sizeof *kept);
    size_t size = strlen(dir) + strlen(rel) + 2;
    char *p = grown ? malloc(size) : NULL;
    if (p)
        snprintf(p, size, "%s/%s", dir, rel);
    else {
        perror("test_path_kept");
        exit(2);
    }
    if (!kept)
        atexit(free_kept);
    kept = grown;
    kept[n_kept++] = p;
    return p;
}

static void mkparents(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
}

void test_write_file(const char *path, const char *text)
{
    mkparents(path);
    FILE *fp = fopen(path, "w");
    if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0) {
        perror(path);
        exit(2);
    }
}

void test_write_model_file(const char *root, const char *model, const char *leaf, const char *text)
{
    if (!text)
        return;
    char rel[1024];
    snprintf(rel, sizeof rel, "%s/%s", model, leaf);
    test_write_file(test_path(root, rel), text);
}

char *test_read_file(const char *path)
{
    return test_read_file_size(path, NULL);
}

char *test_read_file_size(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(fp);
    buf[len] = '\0';
    if (size)
        *size = len;
    return buf;
}

int test_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Counts the entries starting with prefix; the first one's path goes to
 * first (when non-NULL). */
static int scan_entries(const char *dir, const char *prefix, char *first, size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        else if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && n++ == 0 && first)
            snprintf(first, size, "%s/%s", dir, e->d_name);
    closedir(d);
    return n;
}

int test_count_entries(const char *dir, const char *prefix)
{
    return scan_entries(dir, prefix, NULL, 0);
}

int test_find_entry(const char *dir, const char *prefix, char *path, size_t size)
{
    return scan_entries(dir, prefix, path, size) > 0;
}

static char *slurp_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    return buf;
}

test_run_result test_run_argv(const char *const *argv)
{
    test_run_result r = {0};
    FILE *out = tmpfile(), *err = tmpfile();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execvp(argv[0], (char *const *)argv);
        perror(argv[0]);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp_fd(fileno(out));
    r.err = slurp_fd(fileno(err));
    fclose(out);
    fclose(err);
    return r;
}

test_run_result test_run_cli(const char *const *args)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = WATTPROF_BIN;
    while (*args && n < 63)
        argv[n++] = *args++;
    argv[n] = NULL;
    return test_run_argv(argv);
}

void test_run_free(test_run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static void expect_holds(const char *file, int line, const char *stream, const char *text, const char *const *needles)
{
    for (; needles && *needles; needles++)
        if (text && strstr(text, *needles))
            test_passed++;
        else
            test_fail_at(file, line, "%s does not contain \"%s\": \"%s\"", stream, *needles, text ? text : "(null)");
}

void test_cli_expect_at(const char *file, int line, const char *const *args, int status, const char *const *out_has,
                        const char *const *err_has)
{
    test_run_result r = test_run_cli(args);
    if (r.status == status)
        test_passed++;
    else
        test_fail_at(file, line, "wattprof %s: status %d, expected %d", args[0], r.status, status);
    expect_holds(file, line, "stdout", r.out, out_has);
    expect_holds(file, line, "stderr", r.err, err_has);
    test_run_free(&r);
}

int test_count_lines(const char *text)
{
    int n = 0;
    for (; text && *text; text++)
        if (*text == '\n')
            n++;
    return n;
}
