/* fsutil: path joining and sorted, filtered directory listings
 * (wattprof/fsutil.h), malloc'd so no path is cut at a fixed length. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wattprof/array.h"
#include "wattprof/fsutil.h"

char *wp_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    size_t n = la;
    if (la && a[la - 1] != '/')
        p[n++] = '/';
    memcpy(p + n, b, lb + 1);
    return p;
}

char *wp_path3(const char *a, const char *b, const char *c)
{
    char *ab = wp_path_join(a, b);
    if (!ab)
        return NULL;
    char *r = wp_path_join(ab, c);
    free(ab);
    return r;
}

int wp_is_file(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int wp_is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int wp_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void wp_names_free(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int wp_dir_list(const char *dir, const char *what, wp_dir_keep_fn keep, void *ctx, char ***names, size_t *n,
                wp_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return wp_fail_errno(err, dir, errno, "cannot open %s", what);
    char **v = NULL;
    size_t k = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || (keep && !keep(dir, e->d_name, ctx)))
            continue;
        if (wp_grow(&v, &cap, k, 16, sizeof *v) != 0)
            goto oom;
        if (!(v[k] = strdup(e->d_name)))
            goto oom;
        k++;
    }
    closedir(d);
    if (k)
        qsort(v, k, sizeof *v, wp_cmp_str);
    *names = v;
    *n = k;
    return 0;
oom:
    closedir(d);
    wp_names_free(v, k);
    return wp_fail(err, dir, 0, "out of memory");
}

int wp_dir_keep_subdirs(const char *dir, const char *name, void *ctx)
{
    (void)ctx;
    char *full = wp_path_join(dir, name);
    int ok = wp_is_dir(full);
    free(full);
    return ok;
}
