/* array: growth of heap arrays that share one capacity (wattprof/array.h),
 * overflow-checked once here instead of at every hand-rolled realloc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wattprof/array.h"

int wp_grow_to(void *arr, size_t cap, size_t elem)
{
    if (elem && cap > SIZE_MAX / elem)
        return -1;
    /* memcpy: arr points at a T *, not at a void *. */
    void *old;
    memcpy(&old, arr, sizeof old);
    void *p = realloc(old, cap * elem);
    if (!p)
        return -1;
    memcpy(arr, &p, sizeof p);
    return 0;
}

int wp_grow(void *arr, size_t *cap, size_t n, size_t first, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t next = wp_next_cap(*cap, first);
    if (next <= *cap || wp_grow_to(arr, next, elem) != 0)
        return -1;
    *cap = next;
    return 0;
}
