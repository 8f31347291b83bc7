/* layout: paths of the raw and result layout (wattprof/layout.h), built the
 * one way, so no caller spells a file name or cuts a path at a fixed size. */
#include "wattprof/layout.h"

#include <stdlib.h>
#include <string.h>

#include "wattprof/fsutil.h"

char *wp_layout_model_file(const char *model_dir, const char *model, const char *suffix)
{
    size_t n = strlen(model), k = strlen(suffix);
    char *name = malloc(n + k + 1);
    if (!name)
        return NULL;
    memcpy(name, model, n);
    memcpy(name + n, suffix, k + 1);
    char *path = wp_path_join(model_dir, name);
    free(name);
    return path;
}

char *wp_layout_profiling_file(const char *model_dir, const char *file)
{
    return wp_path3(model_dir, WP_PROFILING_DIR, file);
}
