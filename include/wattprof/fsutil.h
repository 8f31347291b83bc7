/* Path and directory plumbing shared by the modules that walk result trees.
 *
 * Every function allocates with malloc; NULL / -1 on failure. */
#ifndef WATTPROF_FSUTIL_H
#define WATTPROF_FSUTIL_H

#include <stddef.h>

#include "wattprof/error.h"

/* "a/b", without doubling a '/' that ends a (an empty a gives "b"). */
char *wp_path_join(const char *a, const char *b);

/* "a/b/c", as two wp_path_join. */
char *wp_path3(const char *a, const char *b, const char *c);

/* Is path (NULL allowed: no) a regular file / a directory (symlinks followed)? */
int wp_is_file(const char *path);
int wp_is_dir(const char *path);

/* Tells whether the entry `name` of `dir` is listed; 1 keeps it. */
typedef int (*wp_dir_keep_fn)(const char *dir, const char *name, void *ctx);

/* The names in dir that keep (NULL: every one) keeps, hidden ones (a leading
 * '.') left out, sorted with strcmp. An empty list is not an error.
 * Returns -1 when dir cannot be opened ("DIR: cannot open WHAT: strerror")
 * or on no memory; *names and *n are then NULL and 0. */
int wp_dir_list(const char *dir, const char *what, wp_dir_keep_fn keep, void *ctx, char ***names, size_t *n,
                wp_error *err);

/* A wp_dir_keep_fn keeping sub-directories (model folders). */
int wp_dir_keep_subdirs(const char *dir, const char *name, void *ctx);

/* Frees a list of n strings and the list itself. Safe on NULL. */
void wp_names_free(char **names, size_t n);

/* qsort comparator for an array of char *: strcmp order. */
int wp_cmp_str(const void *a, const void *b);

#endif
