/* atomic_file: outputs that appear whole or not at all (wattprof/atomic_file.h),
 * and the registry of open temporaries a signal handler may remove. */
#include "wattprof/atomic_file.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct wp_atomic_file {
    FILE *fp;
    char *path;
    char *tmp;
    int slot;
};

/* Temporary names of open writers, for wp_atomic_remove_temporaries(),
 * which a signal handler calls: a fixed table of lock-free atomic pointers
 * (claimed by compare-and-swap, so writers in several threads never take the
 * same slot, and a handler never waits on a lock). A slot is cleared before
 * its name is freed. */
static char *_Atomic open_tmp[WP_ATOMIC_MAX_OPEN];

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
}

wp_atomic_file *wp_atomic_open(const char *path, wp_error *err)
{
    wp_atomic_file *af = calloc(1, sizeof *af);
    size_t n = strlen(path);
    if (!af || !(af->path = strdup(path)) || !(af->tmp = malloc(n + 32))) {
        wp_fail(err, path, 0, "out of memory");
        goto fail;
    }
    /* Hidden name in the target's directory: rename() stays atomic, and a
     * leftover after a power cut is easy to recognise. */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(af->tmp, n + 32, "%.*s.%s.tmp-XXXXXX", (int)dir_len, path, path + dir_len);
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        wp_fail_errno(err, path, errno, "cannot create output");
        goto fail;
    }
    fchmod(fd, 0644);
    af->fp = fdopen(fd, "w");
    if (!af->fp) {
        wp_fail_errno(err, path, errno, "cannot open output");
        close(fd);
        unlink(af->tmp);
        goto fail;
    }
    af->slot = claim_slot(af->tmp);
    if (af->slot < 0) {
        /* Untracked, an interrupt would leave this temporary behind. */
        wp_fail_code(err, WP_ERR_UNSUPPORTED, path, 0, "more than %d outputs open at once", WP_ATOMIC_MAX_OPEN);
        fclose(af->fp);
        unlink(af->tmp);
        goto fail;
    }
    return af;
fail:
    if (af) {
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
        rc = wp_fail_errno(err, af->path, bad ? EIO : errno, "write failed");
    } else if (fsync(fileno(af->fp)) != 0 && errno != EINVAL && errno != EROFS) {
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
        wp_atomic_abort(af);
        return wp_fail_errno(err, path, errno, "write failed");
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
            fclose(in);
            wp_atomic_abort(af);
            return wp_fail_errno(err, dst, errno, "write failed");
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
    if (n == 0 || n >= sizeof buf)
        return wp_fail(err, path, 0, "bad directory name");
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
