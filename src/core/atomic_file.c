/* atomic_file: outputs that appear whole or not at all (wattprof/atomic_file.h),
 * and the registry of open temporaries a signal handler may remove. */
#define _GNU_SOURCE /* fopencookie, sync_file_range */
#include "wattprof/atomic_file.h"
#include "core/atomic_testhook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct wp_atomic_file {
    FILE *fp;
    int fd;
    int write_errno; /* why the first failed write failed */
    size_t unsynced;
    char *path;
    char *tmp;
    int slot;
};

/* Fault injection for the tests (atomic_testhook.h): bytes left before
 * writes fail with ENOSPC, -1 when off. */
static _Atomic long long fail_budget = -1;

void wp__atomic_test_fail_writes_after(long long bytes)
{
    atomic_store(&fail_budget, bytes);
}

/* How much of n bytes may be written (all of it unless a test said
 * otherwise). */
static size_t write_allowed(size_t n)
{
    long long b = atomic_load_explicit(&fail_budget, memory_order_relaxed);
    while (b >= 0) {
        long long take = b < (long long)n ? b : (long long)n;
        if (atomic_compare_exchange_weak(&fail_budget, &b, b - take))
            return (size_t)take;
    }
    return n;
}

static int write_fd(wp_atomic_file *af, const char *buf, size_t size, size_t *done)
{
    *done = 0;
    while (*done < size) {
        size_t n = write_allowed(size - *done);
        ssize_t w = n ? write(af->fd, buf + *done, n) : -1;
        if (!n)
            errno = ENOSPC;
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (!af->write_errno)
                af->write_errno = errno;
            return -1;
        }
        *done += (size_t)w;
    }
    return 0;
}

int wp_atomic_write_fd(wp_atomic_file *af, const void *buf, size_t size)
{
    size_t done;
    return write_fd(af, buf, size, &done);
}

/* The stream writes through here rather than through a plain FILE, which
 * keeps no record of why a write failed: a full disk must read "No space
 * left on device", not a generic I/O error. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
    wp_atomic_file *af = cookie;
    size_t done;
    if (write_fd(af, buf, size, &done) != 0)
        return done ? (ssize_t)done : -1;
    /* Start writeback every 32 MiB, so the final fsync of a large output
     * does not wait for all of it at once. */
    af->unsynced += size;
    if (af->unsynced > (32u << 20)) {
        af->unsynced = 0;
#ifdef SYNC_FILE_RANGE_WRITE
        sync_file_range(af->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    }
    return (ssize_t)size;
}

static int cookie_close(void *cookie)
{
    wp_atomic_file *af = cookie;
    return close(af->fd);
}

/* Temporary names of open writers, for wp_atomic_remove_temporaries(),
 * which a signal handler calls: a fixed table of lock-free atomic pointers
 * (claimed by compare-and-swap, so writers in several threads never take the
 * same slot, and a handler never waits on a lock). A slot is cleared before
 * its name is freed. */
static char *_Atomic open_tmp[WP_ATOMIC_MAX_OPEN];

/* Folders to remove (once empty) on a signal: staging folders of result
 * sets (resultset.h), whose files are temporaries in the table above. A
 * slot is free (0), being filled (1) or ready (2): claimed by
 * compare-and-swap, so threads never share one, and read by the handler
 * only when ready. */
#define MAX_DIRS 64
static char open_dir[MAX_DIRS][4096];
static atomic_int dir_state[MAX_DIRS];

int wp_atomic_cleanup_add_dir(const char *dir)
{
    if (strlen(dir) >= sizeof open_dir[0])
        return -1;
    for (int i = 0; i < MAX_DIRS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&dir_state[i], &expected, 1)) {
            strcpy(open_dir[i], dir);
            atomic_store(&dir_state[i], 2);
            return i;
        }
    }
    return -1;
}

void wp_atomic_cleanup_remove_dir(int slot)
{
    if (slot >= 0 && slot < MAX_DIRS)
        atomic_store(&dir_state[slot], 0);
}

static int claim_slot(char *tmp)
{
    for (int i = 0; i < WP_ATOMIC_MAX_OPEN; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&open_tmp[i], &expected, tmp))
            return i;
    }
    return -1;
}

static void release_slot(int slot)
{
    if (slot >= 0)
        atomic_store(&open_tmp[slot], NULL);
}

void wp_atomic_remove_temporaries(void)
{
    for (int i = 0; i < WP_ATOMIC_MAX_OPEN; i++) {
        char *tmp = atomic_load(&open_tmp[i]);
        if (tmp)
            unlink(tmp);
    }
    for (int i = 0; i < MAX_DIRS; i++)
        if (atomic_load(&dir_state[i]) == 2)
            rmdir(open_dir[i]);
}

wp_atomic_file *wp_atomic_open(const char *path, wp_error *err)
{
    wp_atomic_file *af = calloc(1, sizeof *af);
    if (af)
        af->slot = -1; /* none claimed yet */
    size_t n = strlen(path);
    if (!af || !(af->path = strdup(path)) || !(af->tmp = malloc(n + 32))) {
        wp_fail(err, path, 0, "out of memory");
        goto fail;
    }
    af->fd = -1;
    /* Known now, not after the whole run has been computed (or logged):
     * rename() cannot replace a directory with a file. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        wp_fail_errno(err, path, EISDIR, "cannot write output");
        goto fail;
    }
    /* Hidden name in the target's directory: rename() stays atomic, and a
     * leftover after a power cut is easy to recognise. */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(af->tmp, n + 32, "%.*s.%s.tmp-XXXXXX", (int)dir_len, path, path + dir_len);
    /* Registered before it exists (mkostemp fills the name in place): a
     * signal at any point finds it, or finds no file yet. Untracked, an
     * interrupt would leave the temporary behind. */
    af->slot = claim_slot(af->tmp);
    if (af->slot < 0) {
        wp_fail_code(err, WP_ERR_UNSUPPORTED, path, 0, "more than %d outputs open at once", WP_ATOMIC_MAX_OPEN);
        goto fail;
    }
    af->fd = mkostemp(af->tmp, O_CLOEXEC);
    if (af->fd < 0) {
        wp_fail_errno(err, path, errno, "cannot create output");
        goto fail;
    }
    fchmod(af->fd, 0644);
    cookie_io_functions_t io = {NULL, cookie_write, NULL, cookie_close};
    af->fp = fopencookie(af, "w", io);
    if (!af->fp) {
        wp_fail_errno(err, path, errno, "cannot open output");
        close(af->fd);
        unlink(af->tmp);
        goto fail;
    }
    setvbuf(af->fp, NULL, _IOFBF, 1 << 16);
    return af;
fail:
    if (af) {
        release_slot(af->slot);
        free(af->path);
        free(af->tmp);
        free(af);
    }
    return NULL;
}

FILE *wp_atomic_stream(wp_atomic_file *af)
{
    return af->fp;
}

int wp_atomic_fd(wp_atomic_file *af)
{
    return af->fd;
}

int wp_atomic_write_errno(const wp_atomic_file *af)
{
    return af->write_errno ? af->write_errno : EIO;
}

static void destroy(wp_atomic_file *af)
{
    release_slot(af->slot);
    free(af->path);
    free(af->tmp);
    free(af);
}

int wp_atomic_commit(wp_atomic_file *af, wp_error *err)
{
    int rc = 0;
    int bad = ferror(af->fp);
    if (fflush(af->fp) != 0 || bad) {
        rc = wp_fail_errno(err, af->path, wp_atomic_write_errno(af), "write failed");
    } else if (fsync(af->fd) != 0 && errno != EINVAL && errno != EROFS) {
        rc = wp_fail_errno(err, af->path, errno, "fsync failed");
    }
    if (fclose(af->fp) != 0 && rc == 0)
        rc = wp_fail_errno(err, af->path, errno, "close failed");
    if (rc == 0 && rename(af->tmp, af->path) != 0)
        rc = wp_fail_errno(err, af->path, errno, "cannot rename output into place");
    if (rc != 0)
        unlink(af->tmp);
    destroy(af);
    return rc;
}

void wp_atomic_abort(wp_atomic_file *af)
{
    if (!af)
        return;
    fclose(af->fp);
    unlink(af->tmp);
    destroy(af);
}

int wp_atomic_write_all(const char *path, const void *data, size_t len, wp_error *err)
{
    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        return -1;
    if (len && fwrite(data, 1, len, af->fp) != len) {
        int e = wp_atomic_write_errno(af);
        wp_atomic_abort(af);
        return wp_fail_errno(err, path, e, "write failed");
    }
    return wp_atomic_commit(af, err);
}

int wp_atomic_copy(const char *src, const char *dst, wp_error *err)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return wp_fail_errno(err, src, errno, "cannot open");
    wp_atomic_file *af = wp_atomic_open(dst, err);
    if (!af) {
        fclose(in);
        return -1;
    }
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, af->fp) != n) {
            int e = wp_atomic_write_errno(af);
            fclose(in);
            wp_atomic_abort(af);
            return wp_fail_errno(err, dst, e, "write failed");
        }
    }
    int read_failed = ferror(in);
    fclose(in);
    if (read_failed) {
        wp_atomic_abort(af);
        return wp_fail(err, src, 0, "read failed");
    }
    return wp_atomic_commit(af, err);
}

int wp_mkdirs(const char *path, wp_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0)
        return wp_fail(err, path, 0, "bad directory name");
    if (n >= sizeof buf)
        return wp_fail_code(err, WP_ERR_BAD_INPUT, path, 0, "path too long (%zu bytes; the limit is %zu)", n,
                            sizeof buf - 1);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return wp_fail_errno(err, buf, errno, "cannot create directory");
            buf[i] = saved;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return wp_fail(err, path, 0, "not a directory");
    return 0;
}
