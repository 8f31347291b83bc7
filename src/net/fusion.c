/* Which nodes a fusing runtime runs inside the convolution or dense layer
 * before them, decided on the graph alone (no oneDNN): the cpu backend runs this plan
 * (runner_cpu.c), and predict leaves the nodes it fuses out, so a
 * prediction and a measurement describe the same layers. */
#include <stdlib.h>

#include "net/runner_impl.h"

/* Per tensor: whether a runner has data for it, the way wp_runner_create
 * hands out buffers: initializers, the graph input, the first output of
 * each node in order (a view's aliases its input's, which may have none).
 * The cpu backend gives a node reading a tensor without data no primitive
 * of its own. */
static unsigned char *with_data(const wp_graph *g)
{
    unsigned char *d = calloc(g->n_tensors ? g->n_tensors : 1, 1);
    if (!d)
        return NULL;
    for (size_t t = 0; t < g->n_tensors; t++)
        d[t] = g->tensors[t].is_const != 0;
    if (g->input >= 0)
        d[g->input] = 1;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const wp_node *n = &g->nodes[i];
        if (n->n_out < 1 || n->out[0] < 0)
            continue;
        if (wp__runner_is_view(n->op))
            d[n->out[0]] = n->n_in >= 1 && n->in[0] >= 0 && d[n->in[0]];
        else
            d[n->out[0]] = 1;
    }
    return d;
}

static int is_const(const wp_graph *g, const unsigned char *data, int t)
{
    return t >= 0 && g->tensors[t].is_const && data[t];
}

/* Whether the fused primitive can take node n: the cpu backend's oneDNN
 * conditions for these ops (its `native` and `dense_ok`), which the
 * runner checks against this plan when it applies it. */
static int fusable(const wp_graph *g, const unsigned char *data, const wp_node *n)
{
    /* an output without a tensor (an optional one left unnamed) has no
     * reader to fuse, nor a shape to check */
    if (n->n_out != 1 || n->out[0] < 0 || n->n_in < 1 || n->in[0] < 0)
        return 0;
    for (size_t i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && !data[n->in[i]])
            return 0;
    const wp_dims *x = &g->tensors[n->in[0]].shape;
    if (x->n < 1 || x->n > 5)
        return 0;
    switch (n->op) {
    case WP_OP_CONV:
        return x->n == 4 && n->n_in >= 2 && is_const(g, data, n->in[1]) && g->tensors[n->in[1]].shape.n == 4 &&
               (n->n_in < 3 || n->in[2] < 0 || is_const(g, data, n->in[2]));
    case WP_OP_GEMM:
    case WP_OP_MATMUL: {
        /* a dense layer: a 2-D activation times a constant matrix */
        const wp_dims *y = &g->tensors[n->out[0]].shape;
        if (x->n != 2 || y->n != 2 || n->n_in < 2 || !is_const(g, data, n->in[1]) ||
            g->tensors[n->in[1]].shape.n != 2 || n->trans_a)
            return 0;
        if (n->op != WP_OP_GEMM || n->n_in < 3 || n->in[2] < 0)
            return 1;
        return is_const(g, data, n->in[2]) && wp_dims_count(&g->tensors[n->in[2]].shape) == y->d[1];
    }
    case WP_OP_BATCHNORM:
        if (n->n_in < 5 || x->n < 2)
            return 0;
        for (int k = 1; k < 5; k++)
            if (!is_const(g, data, n->in[k]))
                return 0;
        return 1;
    case WP_OP_RELU:
    case WP_OP_CLIP: return 1;
    default: return 0;
    }
}

/* A chain is fused only where each tensor inside it has that one reader
 * and is no graph output: its values are never written, so nothing else
 * may want them. */
int wp_graph_fusion_plan(const wp_graph *g, int *fused_into, wp_error *err)
{
    size_t N = g->n_nodes, T = g->n_tensors;
    int *uses = calloc(T ? T : 1, sizeof *uses), *consumer = malloc((T ? T : 1) * sizeof *consumer);
    unsigned char *data = with_data(g);
    if (!uses || !consumer || !data) {
        free(uses);
        free(consumer);
        free(data);
        return wp_fail(err, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < N; i++) {
        fused_into[i] = -1;
        for (size_t k = 0; k < g->nodes[i].n_in; k++) {
            int t = g->nodes[i].in[k];
            if (t >= 0) {
                uses[t]++;
                consumer[t] = (int)i;
            }
        }
    }
    if (g->n_outputs) {
        for (size_t k = 0; k < g->n_outputs; k++)
            if (g->outputs[k] >= 0)
                uses[g->outputs[k]] += 2;
    } else if (g->output >= 0) {
        uses[g->output] += 2;
    }
    int fused = 0;
    for (size_t i = 0; i < N; i++) {
        const wp_node *n = &g->nodes[i];
        if ((n->op != WP_OP_CONV && n->op != WP_OP_GEMM && n->op != WP_OP_MATMUL) || !fusable(g, data, n))
            continue;
        int t = n->out[0];
        if (uses[t] == 1) {
            const wp_node *c = &g->nodes[consumer[t]];
            if (c->op == WP_OP_BATCHNORM && c->in[0] == t && fusable(g, data, c)) {
                fused_into[consumer[t]] = (int)i;
                fused++;
                t = c->out[0];
            }
        }
        if (uses[t] == 1) {
            const wp_node *c = &g->nodes[consumer[t]];
            if ((c->op == WP_OP_RELU || c->op == WP_OP_CLIP) && c->in[0] == t && fusable(g, data, c)) {
                fused_into[consumer[t]] = (int)i;
                fused++;
            }
        }
    }
    free(uses);
    free(consumer);
    free(data);
    return fused;
}
