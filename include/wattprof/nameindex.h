/* Name -> position lookup over an array the caller owns.
 *
 * Open addressing (linear probing, load <= 1/2) over positions + 1; the
 * index stores no names, it asks name_of(items, i) for them, so the same
 * index serves arrays of any element type. With repeated names, find
 * returns the one added first. */
#ifndef WATTPROF_NAMEINDEX_H
#define WATTPROF_NAMEINDEX_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a of a NUL-terminated string. */
uint64_t wp_hash_str(const char *s);

/* The name of element i of items. */
typedef const char *(*wp_name_of_fn)(const void *items, size_t i);

typedef struct wp_name_index {
    size_t *slots; /* position + 1; 0 = empty */
    size_t cap;    /* a power of two, or 0 before the first add */
} wp_name_index;   /* zero-initialise */

/* Position of the element called name, or -1. */
long wp_name_index_find(const wp_name_index *ix, const char *name, wp_name_of_fn name_of, const void *items);

/* Adds element i, called name; elements 0..i-1 must be in the index already
 * (they are hashed again, through name_of, when the table grows).
 * Returns -1 on no memory (the index is unchanged). */
int wp_name_index_add(wp_name_index *ix, const char *name, size_t i, wp_name_of_fn name_of, const void *items);

void wp_name_index_free(wp_name_index *ix);

/* Position of name in names[0..n-1] (the first, if repeated), or -1: a
 * linear search, for the short fixed lists (an enum's spellings) that an
 * index would not pay for. */
long wp_name_lookup(const char *const *names, size_t n, const char *name);

#endif
