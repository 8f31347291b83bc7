/* Prediction straight from an ONNX graph: the layers bench would describe,
 * without those a fusing runtime runs inside the convolution or dense layer
 * before them,
 * so a prediction covers the same layers as a measurement of that runtime.
 * The per-layer prediction itself is model.c's. */
#include <stdlib.h>
#include <string.h>

#include "wattprof/model.h"
#include "wattprof/runner.h"

void wp_predict_options_init(wp_predict_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->fusion = 1;
}

int wp_predict_graph(const char *models_dir, const wp_graph *g, const wp_predict_options *opt, wp_prediction *out,
                     wp_error *err)
{
    memset(out, 0, sizeof *out);
    wp_predict_options def;
    if (!opt) {
        wp_predict_options_init(&def);
        opt = &def;
    }
    int *fused = NULL;
    if (opt->fusion) {
        if (!(fused = malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *fused)))
            return wp_fail(err, NULL, 0, "out of memory");
        if (wp_graph_fusion_plan(g, fused, err) < 0) {
            free(fused);
            return -1;
        }
    }
    wp_engine eng;
    int rc = wp_graph_to_engine(g, &eng, err);
    if (rc == 0) {
        /* the plan is per node: the engine view has one layer per node */
        if (eng.n != g->n_nodes)
            rc = wp_fail(err, NULL, 0, "graph '%s': %zu engine layers for %zu nodes", g->name ? g->name : "", eng.n,
                         g->n_nodes);
        else
            rc = wp_predict_layers_fused(models_dir, &eng, fused, out, err);
        wp_engine_free(&eng);
    }
    free(fused);
    return rc;
}
