#include "wattprof/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct wp_lock {
    int fd;
    char *path;
};

char *wp_lock_path_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
    size_t n = strlen(path) + 8;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%.*s.%s.lock", (int)dir_len, path, path + dir_len);
    return p;
}

/* The holder's "pid what" line, for the message; "" when unreadable (a
 * holder that has not written it yet). */
static void read_holder(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

wp_lock *wp_lock_take(const char *lock_path, const char *target, const char *what, wp_error *err)
{
    wp_lock *lk = calloc(1, sizeof *lk);
    if (!lk || !(lk->path = strdup(lock_path))) {
        free(lk);
        wp_fail(err, lock_path, 0, "out of memory");
        return NULL;
    }
    /* A releaser unlinks the file: after locking, make sure the file locked
     * is still the one the name leads to, else lock the new one. */
    for (int tries = 0;; tries++) {
        lk->fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lk->fd < 0) {
            wp_fail_errno(err, lock_path, errno, "cannot create the lock file for %s", target);
            break;
        }
        if (flock(lk->fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char holder[128];
            read_holder(lk->fd, holder, sizeof holder);
            long pid = 0;
            char cmd[64] = "";
            if (e == EWOULDBLOCK && sscanf(holder, "%ld %63s", &pid, cmd) >= 1)
                wp_fail(err, target, 0,
                        "in use by another wattprof %s (pid %ld, lock %s): wait for it to finish, or write elsewhere",
                        cmd[0] ? cmd : "run", pid, lock_path);
            else if (e == EWOULDBLOCK)
                wp_fail(err, target, 0, "in use by another wattprof run (lock %s): wait for it to finish", lock_path);
            else
                wp_fail_errno(err, lock_path, e, "cannot lock");
            close(lk->fd);
            break;
        }
        struct stat a, b;
        if (fstat(lk->fd, &a) == 0 && stat(lock_path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            char line[128];
            int n = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), what);
            if (ftruncate(lk->fd, 0) != 0 || pwrite(lk->fd, line, (size_t)n, 0) != n) {
                /* The lock holds without its note: a second taker is
                 * still refused, only without the pid. */
            }
            return lk;
        }
        close(lk->fd);
        if (tries == 100) {
            wp_fail(err, lock_path, 0, "lock file keeps being replaced");
            break;
        }
    }
    free(lk->path);
    free(lk);
    return NULL;
}

void wp_lock_release(wp_lock *lk)
{
    if (!lk)
        return;
    /* Unlink while still holding it: a waiter that opened the old file
     * finds it unlinked and retries (see wp_lock_take). */
    unlink(lk->path);
    close(lk->fd);
    free(lk->path);
    free(lk);
}
