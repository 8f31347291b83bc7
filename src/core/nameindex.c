/* nameindex: name -> position hash index over caller-owned arrays
 * (wattprof/nameindex.h); it stores no names, so it fits any element type. */
#include <stdlib.h>
#include <string.h>

#include "wattprof/nameindex.h"

uint64_t wp_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void put(size_t *slots, size_t cap, const char *name, size_t i)
{
    size_t h = (size_t)wp_hash_str(name) & (cap - 1);
    while (slots[h])
        h = (h + 1) & (cap - 1);
    slots[h] = i + 1;
}

long wp_name_index_find(const wp_name_index *ix, const char *name, wp_name_of_fn name_of, const void *items)
{
    if (ix->cap == 0)
        return -1;
    for (size_t h = (size_t)wp_hash_str(name) & (ix->cap - 1); ix->slots[h]; h = (h + 1) & (ix->cap - 1))
        if (strcmp(name_of(items, ix->slots[h] - 1), name) == 0)
            return (long)(ix->slots[h] - 1);
    return -1;
}

int wp_name_index_add(wp_name_index *ix, const char *name, size_t i, wp_name_of_fn name_of, const void *items)
{
    if ((i + 1) * 2 > ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        while ((i + 1) * 2 > cap)
            cap *= 2;
        size_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        /* in position order, so the first of repeated names stays first */
        for (size_t k = 0; k < i; k++)
            put(slots, cap, name_of(items, k), k);
        free(ix->slots);
        ix->slots = slots;
        ix->cap = cap;
    }
    put(ix->slots, ix->cap, name, i);
    return 0;
}

long wp_name_lookup(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

void wp_name_index_free(wp_name_index *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->cap = 0;
}
