/* Growing heap arrays, several of which often share one capacity (a layer's
 * power and runtime values, a segment's ends). */
#ifndef WATTPROF_ARRAY_H
#define WATTPROF_ARRAY_H

#include <stddef.h>

/* Reallocates the array whose pointer is at arr (a T **, passed as void *)
 * to cap items of elem bytes each. Returns 0, or -1 (no memory, or cap *
 * elem overflows) with the array unchanged. */
int wp_grow_to(void *arr, size_t cap, size_t elem);

/* The capacity after cap when full: first for an empty array, else twice. */
static inline size_t wp_next_cap(size_t cap, size_t first)
{
    return cap ? cap * 2 : first;
}

/* Room for item n of the array at arr (a T **, passed as void *) that holds
 * *cap items: when n == *cap, grows it to wp_next_cap(*cap, first). The
 * one-array case of the sites that used to hand-roll it. Returns 0, or -1
 * (no memory, or the size overflows) with the array and *cap unchanged. */
int wp_grow(void *arr, size_t *cap, size_t n, size_t first, size_t elem);

#endif
