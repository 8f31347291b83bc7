/* netopts: what bench and profile share to open a network (netopts.h). */
#include "netopts.h"

#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* The model file's base name without ".onnx" (malloc'd; NULL: no memory). */
static char *cli_model_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = strdup(base);
    if (!name)
        return NULL;
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".onnx") == 0)
        name[n - 5] = 0;
    return name;
}

int cli_open_network(const char *cmd, const char *model, const char *input, const char **name, char **owned,
                     wp_graph *g)
{
    wp_error err = {0};
    wp_dims dims, *dp = NULL;
    *owned = NULL;
    if (input) {
        if (wp_dims_parse(input, &dims, &err))
            return cli_usage_error(cmd, "--input: %s", err.msg);
        dp = &dims;
    }
    if (wp_onnx_read(model, dp, g, &err)) {
        wp_graph_free(g);
        return cli_fail(cmd, &err);
    }
    if (!*name) {
        if (!(*owned = cli_model_name(model))) {
            wp_graph_free(g);
            wp_fail(&err, NULL, 0, "out of memory");
            return cli_fail(cmd, &err);
        }
        *name = *owned;
    }
    return 0;
}
