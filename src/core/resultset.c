#define _GNU_SOURCE /* renameat2, nftw's FTW_ACTIONRETVAL-free use */
#include "wattprof/resultset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_testhook.h"
#include "wattprof/atomic_file.h"
#include "wattprof/fsutil.h"
#include "wattprof/lockfile.h"

#define JOURNAL ".wattprof-commit"
#define LOCK ".wattprof.lock"

typedef struct staged {
    char *name, *path;
    char **owned; /* NULL: nothing carried over */
    size_t n_owned;
    int cleanup_slot;
    int switched;
} staged;

struct wp_resultset {
    char *root;
    int made_root;
    wp_lock *lock;
    staged *v;
    size_t n;
    int committed;
    int held;
    sigset_t old_mask;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* What a killed run leaves in the root: staging and old folders, and the
 * temporary of a journal it was writing. */
static int is_stale_name(const char *name)
{
    return name[0] == '.' && (strstr(name, ".stage-") || strstr(name, ".old-") ||
                              !strncmp(name, "." JOURNAL ".tmp-", strlen("." JOURNAL ".tmp-")));
}

/* A temporary of atomic_file (".NAME.tmp-XXXXXX"): never carried over. */
static int is_temp_name(const char *name)
{
    return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

static char *old_path(const char *root, const char *target, uint64_t ino)
{
    size_t n = strlen(root) + strlen(target) + 48;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.%s.old-%" PRIu64, root, target, ino);
    return p;
}

/* After the switch: sub-folders of the old folder the new one lacks move
 * over (they belong to other steps), then the old folder goes. */
static void retire_old(const char *old, const char *target)
{
    DIR *d = opendir(old);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_temp_name(e->d_name))
                continue;
            char *from = wp_path_join(old, e->d_name), *to = wp_path_join(target, e->d_name);
            struct stat st, st2;
            if (from && to && lstat(from, &st) == 0 && S_ISDIR(st.st_mode) && lstat(to, &st2) != 0)
                rename(from, to);
            free(from);
            free(to);
        }
        closedir(d);
    }
    rm_tree(old);
}

/* Carries out one journal entry; idempotent, so a run killed anywhere in
 * it is finished by the next. */
static int apply_entry(const char *root, uint64_t ino, const char *stage_name, const char *target_name, wp_error *err)
{
    char *stage = wp_path_join(root, stage_name), *target = wp_path_join(root, target_name);
    char *old = old_path(root, target_name, ino);
    int rc = -1;
    if (!stage || !target || !old) {
        wp_fail(err, root, 0, "out of memory");
        goto out;
    }
    struct stat st;
    int switched = lstat(target, &st) == 0 && (uint64_t)st.st_ino == ino;
    if (!switched && lstat(stage, &st) == 0 && (uint64_t)st.st_ino == ino) {
        struct stat tst;
        if (lstat(target, &tst) != 0) {
            if (rename(stage, target) != 0) {
                wp_fail_errno(err, target, errno, "cannot move the new results into place");
                goto out;
            }
        } else if (renameat2(AT_FDCWD, stage, AT_FDCWD, target, RENAME_EXCHANGE) != 0) {
            /* No RENAME_EXCHANGE here (old kernel or file system): two
             * renames; a reader may find the folder missing in between. */
            if (errno != EINVAL && errno != ENOSYS) {
                wp_fail_errno(err, target, errno, "cannot switch the new results into place");
                goto out;
            }
            if (rename(target, old) != 0 || rename(stage, target) != 0) {
                wp_fail_errno(err, target, errno, "cannot switch the new results into place");
                goto out;
            }
        }
        switched = 1;
    }
    if (switched) {
        /* After an exchange the old folder sits under the staging name. */
        if (lstat(stage, &st) == 0 && (uint64_t)st.st_ino != ino)
            rename(stage, old);
        if (lstat(old, &st) == 0)
            retire_old(old, target);
    }
    rc = 0;
out:
    free(stage);
    free(target);
    free(old);
    return rc;
}

static int die_after = -1;

void wp__resultset_test_die_after(int folders)
{
    die_after = folders;
}

static int apply_journal(const char *root, const char *journal, wp_error *err)
{
    char *text = NULL;
    FILE *fp = fopen(journal, "r");
    if (!fp)
        return errno == ENOENT ? 0 : wp_fail_errno(err, journal, errno, "cannot read");
    char line[8192];
    int rc = 0, lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        if (lineno == die_after)
            _exit(70);
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2) {
            rc = wp_fail(err, journal, lineno, "damaged commit journal (remove it to start over)");
            break;
        }
        *t1 = *t2 = '\0';
        uint64_t ino = strtoull(line, NULL, 10);
        if (apply_entry(root, ino, t1 + 1, t2 + 1, err) != 0) {
            rc = -1;
            break;
        }
    }
    fclose(fp);
    free(text);
    if (rc == 0) {
        sync_dir(root);
        unlink(journal);
        sync_dir(root);
    }
    return rc;
}

wp_resultset *wp_resultset_begin(const char *root, const char *what, wp_error *err)
{
    wp_resultset *rs = calloc(1, sizeof *rs);
    char *lock = NULL, *journal = NULL;
    if (!rs || !(rs->root = strdup(root)) || !(lock = wp_path_join(root, LOCK)) ||
        !(journal = wp_path_join(root, JOURNAL))) {
        wp_fail(err, root, 0, "out of memory");
        goto fail;
    }
    rs->made_root = !wp_is_dir(root);
    if (wp_mkdirs(root, err) != 0)
        goto fail;
    if (!(rs->lock = wp_lock_take(lock, root, what, err)))
        goto fail;
    if (apply_journal(root, journal, err) != 0)
        goto fail;
    DIR *d = opendir(root);
    if (!d) {
        wp_fail_errno(err, root, errno, "cannot open");
        goto fail;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_stale_name(e->d_name))
            continue;
        char *p = wp_path_join(root, e->d_name);
        if (p)
            rm_tree(p);
        free(p);
    }
    closedir(d);
    free(lock);
    free(journal);
    return rs;
fail:
    free(lock);
    free(journal);
    wp_resultset_end(rs);
    return NULL;
}

const char *wp_resultset_stage(wp_resultset *rs, const char *name, const char *const *owned, wp_error *err)
{
    if (!name[0] || strpbrk(name, "/\t\n") || !strcmp(name, ".") || !strcmp(name, ".."))
        return wp_fail(err, rs->root, 0, "bad result folder name '%s'", name), NULL;
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->v[i].name, name))
            return wp_fail(err, rs->root, 0, "result folder '%s' staged twice", name), NULL;
    staged *nv = realloc(rs->v, (rs->n + 1) * sizeof *nv);
    if (!nv)
        return wp_fail(err, rs->root, 0, "out of memory"), NULL;
    rs->v = nv;
    staged *s = &rs->v[rs->n];
    memset(s, 0, sizeof *s);
    s->cleanup_slot = -1;
    size_t n = strlen(rs->root) + strlen(name) + 32;
    if (!(s->name = strdup(name)) || !(s->path = malloc(n))) {
        free(s->name);
        return wp_fail(err, rs->root, 0, "out of memory"), NULL;
    }
    snprintf(s->path, n, "%s/.%s.stage-XXXXXX", rs->root, name);
    if (!mkdtemp(s->path)) {
        wp_fail_errno(err, s->path, errno, "cannot create a staging folder");
        free(s->name);
        free(s->path);
        return NULL;
    }
    chmod(s->path, 0755);
    rs->n++;
    s->cleanup_slot = wp_atomic_cleanup_add_dir(s->path);
    if (owned) {
        size_t k = 0;
        while (owned[k])
            k++;
        s->owned = calloc(k + 1, sizeof *s->owned);
        if (!s->owned)
            return wp_fail(err, rs->root, 0, "out of memory"), NULL;
        for (size_t i = 0; i < k; i++)
            if (!(s->owned[i] = strdup(owned[i])))
                return wp_fail(err, rs->root, 0, "out of memory"), NULL;
        s->n_owned = k;
    }
    return s->path;
}

static void staged_free(staged *s)
{
    wp_atomic_cleanup_remove_dir(s->cleanup_slot);
    for (size_t k = 0; k < s->n_owned; k++)
        free(s->owned[k]);
    free(s->owned);
    free(s->name);
    free(s->path);
}

void wp_resultset_drop(wp_resultset *rs, const char *name)
{
    for (size_t i = 0; i < rs->n; i++) {
        if (strcmp(rs->v[i].name, name) != 0)
            continue;
        rm_tree(rs->v[i].path);
        staged_free(&rs->v[i]);
        memmove(&rs->v[i], &rs->v[i + 1], (rs->n - i - 1) * sizeof *rs->v);
        rs->n--;
        return;
    }
}

void wp_resultset_hold_signals(wp_resultset *rs)
{
    if (rs->held)
        return;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &rs->old_mask);
    rs->held = 1;
}

static int owned_name(const staged *s, const char *name)
{
    for (size_t i = 0; i < s->n_owned; i++)
        if (!strcmp(s->owned[i], name))
            return 1;
    return 0;
}

/* Hard-links the other steps' files of the current folder into the new
 * one (copies where the file system has no hard links). */
static int carry_files(const wp_resultset *rs, const staged *s, wp_error *err)
{
    if (!s->owned)
        return 0;
    char *target = wp_path_join(rs->root, s->name);
    if (!target)
        return wp_fail(err, rs->root, 0, "out of memory");
    DIR *d = opendir(target);
    if (!d) {
        free(target);
        return 0; /* no folder yet: nothing to keep */
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_temp_name(e->d_name) || owned_name(s, e->d_name))
            continue;
        char *from = wp_path_join(target, e->d_name), *to = wp_path_join(s->path, e->d_name);
        struct stat st;
        if (!from || !to) {
            rc = wp_fail(err, target, 0, "out of memory");
        } else if (lstat(from, &st) == 0 && !S_ISDIR(st.st_mode) && link(from, to) != 0 && errno != EEXIST) {
            if (S_ISREG(st.st_mode) && (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP))
                rc = wp_atomic_copy(from, to, err);
            else
                rc = wp_fail_errno(err, from, errno, "cannot keep this file in the new results");
        }
        free(from);
        free(to);
    }
    closedir(d);
    free(target);
    return rc;
}

int wp_resultset_commit(wp_resultset *rs, wp_error *err)
{
    if (rs->n == 0)
        return 0; /* nothing staged: nothing changes */
    char *journal = wp_path_join(rs->root, JOURNAL);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int rc = -1;
    if (!journal || !mem) {
        wp_fail(err, rs->root, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rs->n; i++) {
        staged *s = &rs->v[i];
        if (carry_files(rs, s, err) != 0)
            goto out;
        sync_dir(s->path);
        struct stat st;
        if (lstat(s->path, &st) != 0) {
            wp_fail_errno(err, s->path, errno, "staging folder vanished");
            goto out;
        }
        fprintf(mem, "%" PRIu64 "\t%s\t%s\n", (uint64_t)st.st_ino, strrchr(s->path, '/') + 1, s->name);
    }
    if (fclose(mem) != 0) {
        mem = NULL;
        wp_fail(err, rs->root, 0, "out of memory");
        goto out;
    }
    mem = NULL;
    /* From here on the switch is decided: whatever happens, this run or the
     * next finishes it. */
    if (wp_atomic_write_all(journal, text, len, err) != 0)
        goto out;
    sync_dir(rs->root);
    for (size_t i = 0; i < rs->n; i++) {
        wp_atomic_cleanup_remove_dir(rs->v[i].cleanup_slot);
        rs->v[i].cleanup_slot = -1;
        rs->v[i].switched = 1;
    }
    rs->committed = 1;
    rc = apply_journal(rs->root, journal, err);
out:
    if (mem)
        fclose(mem);
    free(text);
    free(journal);
    return rc;
}

void wp_resultset_end(wp_resultset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++) {
        staged *s = &rs->v[i];
        if (!s->switched)
            rm_tree(s->path);
        staged_free(s);
    }
    free(rs->v);
    wp_lock_release(rs->lock);
    if (rs->made_root && !rs->committed && rs->root)
        rmdir(rs->root);
    if (rs->held)
        pthread_sigmask(SIG_SETMASK, &rs->old_mask, NULL);
    free(rs->root);
    free(rs);
}
