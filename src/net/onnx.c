/* ONNX <-> graph IR through protobuf-c (code generated at build time from
 * Debian's onnx.proto, see cmake/onnx.cmake). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wattprof/atomic_file.h"
#include "wattprof/onnx.h"

#ifndef WATTPROF_HAVE_ONNX

int wp_onnx_supported(void)
{
    return 0;
}

int wp_onnx_read(const char *path, const wp_dims *input, wp_graph *g, wp_error *err)
{
    (void)input;
    memset(g, 0, sizeof *g);
    return wp_fail(err, path, 0, "ONNX support was not built (needs protobuf-c and libonnx-dev)");
}

int wp_onnx_write(const char *path, const wp_graph *g, wp_error *err)
{
    (void)g;
    return wp_fail(err, path, 0, "ONNX support was not built (needs protobuf-c and libonnx-dev)");
}

#else

#include "onnx.pb-c.h"

int wp_onnx_supported(void)
{
    return 1;
}

#define DT_FLOAT ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define DT_INT64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64

/* ---- reading ------------------------------------------------------------ */

typedef struct {
    const char *name;
    const int64_t *v;
    size_t n;
} int_const;

typedef struct {
    const char *path;
    wp_graph *g;
    int_const *ints;
    size_t n_ints;
    wp_error *err;
} reader;

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *np, const char *name)
{
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name && strcmp(np->attribute[i]->name, name) == 0)
            return np->attribute[i];
    return NULL;
}

static int attr_pair(reader *r, const wp_node *n, const Onnx__NodeProto *np, const char *name,
                     int64_t *dst, size_t want)
{
    const Onnx__AttributeProto *a = attr(np, name);
    if (!a)
        return 0;
    if (a->n_ints != want)
        return wp_fail(r->err, r->path, 0,
                       "node '%s' (%s): attribute %s has %zu values, expected %zu (only 2-D is supported)",
                       n->name, wp_op_name(n->op), name, a->n_ints, want);
    for (size_t i = 0; i < want; i++)
        dst[i] = a->ints[i];
    return 0;
}

static void attr_int(const Onnx__NodeProto *np, const char *name, int64_t *dst)
{
    const Onnx__AttributeProto *a = attr(np, name);
    if (a && a->has_i)
        *dst = a->i;
}

static void attr_float(const Onnx__NodeProto *np, const char *name, float *dst)
{
    const Onnx__AttributeProto *a = attr(np, name);
    if (a && a->has_f)
        *dst = a->f;
}

static const float *const_scalar(reader *r, int t)
{
    if (t < 0 || !r->g->tensors[t].is_const || wp_dims_count(&r->g->tensors[t].shape) != 1)
        return NULL;
    return r->g->tensors[t].data;
}

static int read_attributes(reader *r, wp_node *n, const Onnx__NodeProto *np)
{
    int64_t v;
    if (attr_pair(r, n, np, "kernel_shape", n->kernel, 2) || attr_pair(r, n, np, "strides", n->stride, 2) ||
        attr_pair(r, n, np, "dilations", n->dilation, 2) || attr_pair(r, n, np, "pads", n->pads, 4))
        return -1;
    attr_int(np, "group", &n->group);
    v = 0;
    attr_int(np, "ceil_mode", &v);
    n->ceil_mode = v != 0;
    v = 0;
    attr_int(np, "count_include_pad", &v);
    n->count_include_pad = v != 0;
    v = 0;
    attr_int(np, "transA", &v);
    n->trans_a = v != 0;
    v = 0;
    attr_int(np, "transB", &v);
    n->trans_b = v != 0;
    if (n->op == WP_OP_SOFTMAX)
        n->axis = r->g->opset >= 13 ? -1 : 1;
    attr_int(np, "axis", &n->axis);
    attr_int(np, "size", &n->size);
    if (n->op == WP_OP_LRN) {
        n->alpha = 1e-4f;
        n->beta = 0.75f;
    }
    attr_float(np, "alpha", &n->alpha);
    attr_float(np, "beta", &n->beta);
    attr_float(np, "epsilon", &n->epsilon);
    attr_float(np, "bias", &n->bias);
    attr_float(np, "min", &n->clip_min);
    attr_float(np, "max", &n->clip_max);
    const Onnx__AttributeProto *a = attr(np, "auto_pad");
    if (a && a->has_s) {
        char s[16] = {0};
        memcpy(s, a->s.data, a->s.len < 15 ? a->s.len : 15);
        if (strcmp(s, "SAME_UPPER") == 0)
            n->auto_pad = WP_AUTO_PAD_SAME_UPPER;
        else if (strcmp(s, "SAME_LOWER") == 0)
            n->auto_pad = WP_AUTO_PAD_SAME_LOWER;
        else if (strcmp(s, "VALID") == 0)
            n->auto_pad = WP_AUTO_PAD_VALID;
        else if (strcmp(s, "NOTSET") != 0 && s[0])
            return wp_fail(r->err, r->path, 0, "node '%s' (%s): unknown auto_pad '%s'", n->name,
                           wp_op_name(n->op), s);
    }
    a = attr(np, "storage_order");
    if (a && a->has_i && a->i != 0)
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): storage_order=1 is not supported", n->name,
                       wp_op_name(n->op));
    return 0;
}

static int read_initializer(reader *r, Onnx__TensorProto *tp)
{
    if (!tp->name || !tp->name[0])
        return wp_fail(r->err, r->path, 0, "an initializer has no name");
    if (tp->n_external_data || (tp->has_data_location &&
                                tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return wp_fail(r->err, r->path, 0, "initializer '%s' uses external data, which is not supported",
                       tp->name);
    if (tp->n_dims > WP_MAX_DIMS)
        return wp_fail(r->err, r->path, 0, "initializer '%s' has %zu dimensions", tp->name, tp->n_dims);
    wp_dims d;
    memset(&d, 0, sizeof d);
    d.n = (int)tp->n_dims;
    for (size_t i = 0; i < tp->n_dims; i++)
        d.d[i] = tp->dims[i];
    /* Checked: [2^32, 2^32] must not wrap to 0 elements and pass as empty. */
    int64_t count;
    if (wp_dims_count_checked(&d, &count)) {
        char b[160];
        return wp_fail(r->err, r->path, 0, "initializer '%s' has a bad dimension: %s is negative or has more "
                       "than %" PRId64 " elements", tp->name, wp_dims_format(&d, b, sizeof b),
                       (int64_t)WP_MAX_ELEMENTS);
    }
    if (tp->data_type == DT_INT64) {
        int_const *ic = realloc(r->ints, (r->n_ints + 1) * sizeof *ic);
        if (!ic)
            return wp_fail(r->err, r->path, 0, "out of memory");
        r->ints = ic;
        ic = &r->ints[r->n_ints];
        ic->name = tp->name;
        if (tp->has_raw_data) {
            if (tp->raw_data.len != (size_t)count * 8)
                return wp_fail(r->err, r->path, 0, "initializer '%s': %zu bytes of data for %" PRId64
                               " int64 values", tp->name, tp->raw_data.len, count);
            ic->v = (const int64_t *)(const void *)tp->raw_data.data;
        } else {
            if (tp->n_int64_data != (size_t)count)
                return wp_fail(r->err, r->path, 0, "initializer '%s': %zu values for %" PRId64 " elements",
                               tp->name, tp->n_int64_data, count);
            ic->v = tp->int64_data;
        }
        ic->n = (size_t)count;
        r->n_ints++;
        return 0;
    }
    if (tp->data_type != DT_FLOAT)
        return wp_fail(r->err, r->path, 0,
                       "initializer '%s' has ONNX data type %d; only float32 networks are supported",
                       tp->name, (int)tp->data_type);
    int t = wp_graph_add_tensor(r->g, tp->name, &d, 1);
    if (t < 0)
        return wp_fail(r->err, r->path, 0, "out of memory");
    wp_tensor *ten = &r->g->tensors[t];
    if (tp->has_raw_data) {
        if (tp->raw_data.len != (size_t)count * 4)
            return wp_fail(r->err, r->path, 0, "initializer '%s': %zu bytes of data for %" PRId64
                           " floats (truncated?)", tp->name, tp->raw_data.len, count);
        /* Steal the buffer: protobuf-c frees only non-NULL data. */
        ten->data = (float *)(void *)tp->raw_data.data;
        tp->raw_data.data = NULL;
        tp->raw_data.len = 0;
        if (!ten->data)
            ten->data = calloc(1, sizeof(float));
    } else {
        if (tp->n_float_data != (size_t)count)
            return wp_fail(r->err, r->path, 0, "initializer '%s': %zu values for %" PRId64 " elements",
                           tp->name, tp->n_float_data, count);
        ten->data = malloc((size_t)(count ? count : 1) * sizeof(float));
        if (!ten->data)
            return wp_fail(r->err, r->path, 0, "out of memory");
        if (count)
            memcpy(ten->data, tp->float_data, (size_t)count * sizeof(float));
    }
    return 0;
}

static const int_const *find_int_const(const reader *r, const char *name)
{
    for (size_t i = 0; i < r->n_ints; i++)
        if (strcmp(r->ints[i].name, name) == 0)
            return &r->ints[i];
    return NULL;
}

static int read_value_shape(reader *r, const Onnx__ValueInfoProto *vi, wp_dims *d)
{
    memset(d, 0, sizeof *d);
    if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
        return wp_fail(r->err, r->path, 0, "graph input '%s' is not a tensor", vi->name);
    const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    if (tt->elem_type != DT_FLOAT)
        return wp_fail(r->err, r->path, 0, "graph input '%s' has ONNX data type %d; only float32 is supported",
                       vi->name, (int)tt->elem_type);
    if (!tt->shape)
        return 0;
    if (tt->shape->n_dim > WP_MAX_DIMS)
        return wp_fail(r->err, r->path, 0, "graph input '%s' has too many dimensions", vi->name);
    d->n = (int)tt->shape->n_dim;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[i];
        d->d[i] = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? dim->dim_value : -1;
    }
    return 0;
}

static int unique_name(wp_graph *g, const char *base, size_t index, char *out, size_t size)
{
    if (base && base[0])
        snprintf(out, size, "%s", base);
    else
        snprintf(out, size, "node_%zu", index);
    for (size_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, out) == 0) {
            size_t len = strlen(out);
            snprintf(out + len, size - len, "_%zu", index);
            return 1;
        }
    return 0;
}

static int read_node(reader *r, const Onnx__NodeProto *np, size_t index)
{
    wp_graph *g = r->g;
    char name[512];
    unique_name(g, np->name, index, name, sizeof name);
    const char *op_type = np->op_type ? np->op_type : "";
    wp_op op;
    if ((np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0) || wp_op_from_name(op_type, &op))
        return wp_fail(r->err, r->path, 0,
                       "node '%s': unsupported operator '%s%s%s' (supported: Conv, MaxPool, AveragePool, "
                       "GlobalAveragePool, Gemm, MatMul, Relu, Clip, BatchNormalization, Add, Concat, "
                       "Flatten, Reshape, Softmax, Dropout, LRN)",
                       name, np->domain && np->domain[0] ? np->domain : "", np->domain && np->domain[0] ? "." : "",
                       op_type);
    if (np->n_output < 1 || !np->output[0][0])
        return wp_fail(r->err, r->path, 0, "node '%s' (%s) has no output", name, op_type);

    size_t keep = np->n_input;
    if (op == WP_OP_CLIP || op == WP_OP_RESHAPE || op == WP_OP_DROPOUT)
        keep = np->n_input ? 1 : 0;
    int in[64];
    if (keep > 64)
        return wp_fail(r->err, r->path, 0, "node '%s' (%s) has too many inputs", name, op_type);
    for (size_t i = 0; i < keep; i++) {
        if (!np->input[i][0]) {
            in[i] = -1;
            continue;
        }
        in[i] = wp_graph_find_tensor(g, np->input[i]);
        if (in[i] < 0)
            return wp_fail(r->err, r->path, 0,
                           "node '%s' (%s): input '%s' is not produced by an earlier node "
                           "(graph not topologically sorted, or an unsupported constant)",
                           name, op_type, np->input[i]);
    }
    if (wp_graph_find_tensor(g, np->output[0]) >= 0)
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): output '%s' is defined twice", name, op_type,
                       np->output[0]);
    int out = wp_graph_add_tensor(g, np->output[0], NULL, 0);
    if (out < 0)
        return wp_fail(r->err, r->path, 0, "out of memory");
    wp_node *n = wp_graph_add_node(g, op, name, keep, in, 1, &out);
    if (!n)
        return wp_fail(r->err, r->path, 0, "out of memory");
    if (read_attributes(r, n, np))
        return -1;
    if (op == WP_OP_CLIP) {
        for (size_t i = 1; i < np->n_input && i < 3; i++) {
            if (!np->input[i][0])
                continue;
            const float *v = const_scalar(r, wp_graph_find_tensor(g, np->input[i]));
            if (!v)
                return wp_fail(r->err, r->path, 0, "node '%s' (Clip): %s '%s' must be a constant scalar",
                               name, i == 1 ? "min" : "max", np->input[i]);
            *(i == 1 ? &n->clip_min : &n->clip_max) = *v;
        }
    } else if (op == WP_OP_RESHAPE) {
        const int_const *ic = np->n_input >= 2 ? find_int_const(r, np->input[1]) : NULL;
        if (!ic)
            return wp_fail(r->err, r->path, 0,
                           "node '%s' (Reshape): the target shape must be a constant int64 initializer "
                           "(only static reshapes are supported)", name);
        if (ic->n < 1 || ic->n > WP_MAX_DIMS)
            return wp_fail(r->err, r->path, 0, "node '%s' (Reshape): target has %zu dimensions", name, ic->n);
        n->reshape.n = (int)ic->n;
        for (size_t i = 0; i < ic->n; i++)
            n->reshape.d[i] = ic->v[i];
        int64_t allowzero = 0;
        attr_int(np, "allowzero", &allowzero);
        if (allowzero)
            return wp_fail(r->err, r->path, 0, "node '%s' (Reshape): allowzero=1 is not supported", name);
    }
    return 0;
}

static int read_model(reader *r, Onnx__ModelProto *m, const wp_dims *input)
{
    wp_graph *g = r->g;
    if (!m->graph)
        return wp_fail(r->err, r->path, 0, "the model has no graph");
    g->opset = 0;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = m->opset_import[i];
        if (!os->domain || !os->domain[0] || strcmp(os->domain, "ai.onnx") == 0)
            g->opset = os->version;
    }
    if (g->opset <= 0)
        return wp_fail(r->err, r->path, 0, "the model imports no default-domain opset");
    Onnx__GraphProto *gp = m->graph;
    if (gp->name && gp->name[0]) {
        char *nm = strdup(gp->name);
        if (!nm)
            return wp_fail(r->err, r->path, 0, "out of memory");
        free(g->name);
        g->name = nm;
    }
    if (gp->n_sparse_initializer)
        return wp_fail(r->err, r->path, 0, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (read_initializer(r, gp->initializer[i]))
            return -1;
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || wp_graph_find_tensor(g, vi->name) >= 0 || find_int_const(r, vi->name))
            continue; /* an initializer listed as input (IR < 4 style) */
        if (g->input >= 0)
            return wp_fail(r->err, r->path, 0, "the graph has more than one input ('%s', '%s')",
                           g->tensors[g->input].name, vi->name);
        wp_dims d;
        if (read_value_shape(r, vi, &d))
            return -1;
        if (input) {
            if (d.n && d.n != input->n)
                return wp_fail(r->err, r->path, 0, "wrong input shape: '%s' has %d dimensions, %d given",
                               vi->name, d.n, input->n);
            d = *input;
        } else {
            if (d.n == 0)
                return wp_fail(r->err, r->path, 0, "graph input '%s' has no shape; give one (--input)",
                               vi->name);
            for (int k = 0; k < d.n; k++)
                if (d.d[k] <= 0)
                    return wp_fail(r->err, r->path, 0,
                                   "graph input '%s' has a symbolic dimension %d; give a static shape (--input)",
                                   vi->name, k);
        }
        g->input = wp_graph_add_tensor(g, vi->name, &d, 0);
        if (g->input < 0)
            return wp_fail(r->err, r->path, 0, "out of memory");
    }
    if (g->input < 0)
        return wp_fail(r->err, r->path, 0, "the graph has no (non-initializer) input");
    for (size_t i = 0; i < gp->n_node; i++)
        if (read_node(r, gp->node[i], i))
            return -1;
    if (gp->n_output != 1)
        return wp_fail(r->err, r->path, 0, "the graph has %zu outputs; exactly one is supported", gp->n_output);
    g->output = wp_graph_find_tensor(g, gp->output[0]->name ? gp->output[0]->name : "");
    if (g->output < 0)
        return wp_fail(r->err, r->path, 0, "graph output '%s' is not produced by any node",
                       gp->output[0]->name ? gp->output[0]->name : "");
    if (g->n_nodes == 0)
        return wp_fail(r->err, r->path, 0, "the graph has no nodes");
    wp_error sub;
    if (wp_graph_infer_shapes(g, &sub))
        return wp_fail(r->err, r->path, 0, "%s", sub.msg);
    return 0;
}

int wp_onnx_read(const char *path, const wp_dims *input, wp_graph *g, wp_error *err)
{
    memset(g, 0, sizeof *g); /* empty, nothing to free, until the model parses */
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return wp_fail_errno(err, path, errno, "cannot open");
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return wp_fail_errno(err, path, e, "cannot stat");
    }
    if (st.st_size == 0) {
        close(fd);
        return wp_fail(err, path, 0, "empty file, not an ONNX model");
    }
    /* mmap: the file's pages are shared with the page cache, so peak memory
     * is the unpacked model, not twice it. */
    void *buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (buf == MAP_FAILED)
        return wp_fail_errno(err, path, errno, "cannot map");
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, (size_t)st.st_size, buf);
    munmap(buf, (size_t)st.st_size);
    if (!m)
        return wp_fail(err, path, 0, "not a valid ONNX model (corrupt or truncated protobuf)");
    wp_graph_init(g, "graph");
    reader r = {path, g, NULL, 0, err};
    int rc = read_model(&r, m, input);
    free(r.ints);
    onnx__model_proto__free_unpacked(m, NULL);
    if (rc) {
        wp_graph_free(g);
        memset(g, 0, sizeof *g);
    }
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* Everything the message tree points to, freed in one go. */
typedef struct {
    void **p;
    size_t n, cap;
    int failed;
} arena;

static void *arena_alloc(arena *a, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        void **p = realloc(a->p, cap * sizeof *p);
        if (!p) {
            a->failed = 1;
            return NULL;
        }
        a->p = p;
        a->cap = cap;
    }
    void *m = calloc(1, size ? size : 1);
    if (!m) {
        a->failed = 1;
        return NULL;
    }
    a->p[a->n++] = m;
    return m;
}

static char *arena_strdup(arena *a, const char *s)
{
    char *d = arena_alloc(a, strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

static void arena_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
}

typedef struct {
    arena *a;
    Onnx__AttributeProto **attrs;
    size_t n;
} attr_list;

static Onnx__AttributeProto *new_attr(attr_list *l, const char *name, Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *at = arena_alloc(l->a, sizeof *at);
    if (!at)
        return NULL;
    onnx__attribute_proto__init(at);
    at->name = (char *)name;
    at->has_type = 1;
    at->type = type;
    l->attrs[l->n++] = at;
    return at;
}

static void put_ints(attr_list *l, const char *name, const int64_t *v, size_t n)
{
    Onnx__AttributeProto *at = new_attr(l, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *c = arena_alloc(l->a, n * sizeof *c);
    if (!at || !c)
        return;
    memcpy(c, v, n * sizeof *c);
    at->n_ints = n;
    at->ints = c;
}

static void put_int(attr_list *l, const char *name, int64_t v)
{
    Onnx__AttributeProto *at = new_attr(l, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (at) {
        at->has_i = 1;
        at->i = v;
    }
}

static void put_float(attr_list *l, const char *name, float v)
{
    Onnx__AttributeProto *at = new_attr(l, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (at) {
        at->has_f = 1;
        at->f = v;
    }
}

/* Extra initializers the writer invents (Clip bounds, Reshape targets). */
typedef struct {
    char *name;
    int is_int;
    float f;
    int64_t i64[WP_MAX_DIMS];
    int n_i64;
} extra_init;

static Onnx__ValueInfoProto *value_info(arena *a, const wp_tensor *t)
{
    Onnx__ValueInfoProto *vi = arena_alloc(a, sizeof *vi);
    Onnx__TypeProto *tp = arena_alloc(a, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = arena_alloc(a, sizeof *tt);
    Onnx__TensorShapeProto *sp = arena_alloc(a, sizeof *sp);
    Onnx__TensorShapeProto__Dimension **dims = arena_alloc(a, (size_t)t->shape.n * sizeof *dims);
    if (!vi || !tp || !tt || !sp || !dims)
        return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    for (int i = 0; i < t->shape.n; i++) {
        dims[i] = arena_alloc(a, sizeof **dims);
        if (!dims[i])
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dims[i]);
        dims[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        dims[i]->dim_value = t->shape.d[i];
    }
    sp->n_dim = (size_t)t->shape.n;
    sp->dim = dims;
    tt->has_elem_type = 1;
    tt->elem_type = DT_FLOAT;
    tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->name = t->name;
    vi->type = tp;
    return vi;
}

typedef struct {
    ProtobufCBuffer base;
    FILE *f;
} file_buffer;

static void file_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    file_buffer *fb = (file_buffer *)b;
    if (len)
        fwrite(data, 1, len, fb->f);
}

static void put_varint(FILE *f, uint64_t v)
{
    while (v >= 0x80) {
        fputc((int)(v & 0x7f) | 0x80, f);
        v >>= 7;
    }
    fputc((int)v, f);
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* One initializer: its TensorProto without raw_data (packed by protobuf-c)
 * plus raw_data written by hand, so weights stream from the generator in
 * chunks instead of being materialised. */
typedef struct {
    Onnx__TensorProto tp;
    const wp_tensor *t;        /* float weights, or NULL for extras */
    const extra_init *x;
    size_t head_size, raw_len;
} init_out;

static void init_prepare(init_out *io, const wp_tensor *t, const extra_init *x, int64_t *dims_buf)
{
    onnx__tensor_proto__init(&io->tp);
    io->t = t;
    io->x = x;
    io->tp.has_data_type = 1;
    if (t) {
        io->tp.name = t->name;
        io->tp.data_type = DT_FLOAT;
        io->tp.n_dims = (size_t)t->shape.n;
        for (int i = 0; i < t->shape.n; i++)
            dims_buf[i] = t->shape.d[i];
        io->tp.dims = dims_buf;
        io->raw_len = (size_t)wp_dims_count(&t->shape) * 4;
    } else {
        io->tp.name = x->name;
        io->tp.data_type = x->is_int ? DT_INT64 : DT_FLOAT;
        if (x->is_int) {
            io->tp.n_dims = 1;
            dims_buf[0] = x->n_i64;
            io->tp.dims = dims_buf;
            io->raw_len = (size_t)x->n_i64 * 8;
        } else {
            io->raw_len = 4;
        }
    }
    io->head_size = onnx__tensor_proto__get_packed_size(&io->tp);
}

static size_t init_size(const init_out *io)
{
    return io->head_size + 1 + varint_size(io->raw_len) + io->raw_len;
}

static void init_write(init_out *io, FILE *f, float *chunk, size_t chunk_n)
{
    file_buffer fb = {{file_append}, f};
    onnx__tensor_proto__pack_to_buffer(&io->tp, &fb.base);
    fputc((9 << 3) | 2, f); /* raw_data, length-delimited */
    put_varint(f, io->raw_len);
    if (io->t) {
        int64_t n = (int64_t)(io->raw_len / 4);
        for (int64_t at = 0; at < n; at += (int64_t)chunk_n) {
            int64_t m = n - at < (int64_t)chunk_n ? n - at : (int64_t)chunk_n;
            wp_tensor_generate(io->t, at, m, chunk);
            fwrite(chunk, sizeof(float), (size_t)m, f);
        }
    } else if (io->x->is_int) {
        fwrite(io->x->i64, 8, (size_t)io->x->n_i64, f);
    } else {
        fwrite(&io->x->f, 4, 1, f);
    }
}

static int used_as_input(const wp_graph *g, int t)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == t)
                return 1;
    return 0;
}

static int build_node(arena *a, const wp_graph *g, const wp_node *n, Onnx__NodeProto *np, extra_init *extras,
                      size_t *n_extras)
{
    onnx__node_proto__init(np);
    np->name = n->name;
    np->op_type = (char *)wp_op_name(n->op);
    size_t n_in = n->n_in + 2;
    np->input = arena_alloc(a, n_in * sizeof *np->input);
    np->output = arena_alloc(a, sizeof *np->output);
    attr_list l = {a, arena_alloc(a, 16 * sizeof(Onnx__AttributeProto *)), 0};
    if (!np->input || !np->output || !l.attrs)
        return -1;
    for (size_t i = 0; i < n->n_in; i++)
        np->input[np->n_input++] = n->in[i] >= 0 ? g->tensors[n->in[i]].name : (char *)"";
    np->output[0] = g->tensors[n->out[0]].name;
    np->n_output = 1;
    char buf[600];
    switch (n->op) {
    case WP_OP_CONV:
    case WP_OP_MAXPOOL:
    case WP_OP_AVGPOOL:
        put_ints(&l, "kernel_shape", n->kernel, 2);
        put_ints(&l, "strides", n->stride, 2);
        put_ints(&l, "pads", n->pads, 4);
        if (n->op == WP_OP_CONV) {
            put_ints(&l, "dilations", n->dilation, 2);
            put_int(&l, "group", n->group);
        } else {
            if (n->op == WP_OP_MAXPOOL)
                put_ints(&l, "dilations", n->dilation, 2);
            else
                put_int(&l, "count_include_pad", n->count_include_pad);
            put_int(&l, "ceil_mode", n->ceil_mode);
        }
        break;
    case WP_OP_GEMM:
        put_float(&l, "alpha", n->alpha);
        put_float(&l, "beta", n->beta);
        put_int(&l, "transA", n->trans_a);
        put_int(&l, "transB", n->trans_b);
        break;
    case WP_OP_BATCHNORM:
        put_float(&l, "epsilon", n->epsilon);
        break;
    case WP_OP_CONCAT:
    case WP_OP_FLATTEN:
    case WP_OP_SOFTMAX:
        put_int(&l, "axis", n->axis);
        break;
    case WP_OP_LRN:
        put_float(&l, "alpha", n->alpha);
        put_float(&l, "beta", n->beta);
        put_float(&l, "bias", n->bias);
        put_int(&l, "size", n->size);
        break;
    case WP_OP_CLIP:
        for (int k = 0; k < 2; k++) {
            float v = k ? n->clip_max : n->clip_min;
            if (isinf(v)) {
                np->input[np->n_input++] = (char *)"";
                continue;
            }
            extra_init *x = &extras[(*n_extras)++];
            snprintf(buf, sizeof buf, "%s_%s", n->name, k ? "max" : "min");
            x->name = arena_strdup(a, buf);
            x->is_int = 0;
            x->f = v;
            np->input[np->n_input++] = x->name;
        }
        /* Drop a trailing empty max. */
        while (np->n_input > 1 && !np->input[np->n_input - 1][0])
            np->n_input--;
        break;
    case WP_OP_RESHAPE: {
        extra_init *x = &extras[(*n_extras)++];
        snprintf(buf, sizeof buf, "%s_shape", n->name);
        x->name = arena_strdup(a, buf);
        x->is_int = 1;
        x->n_i64 = n->reshape.n;
        memcpy(x->i64, n->reshape.d, sizeof n->reshape.d);
        np->input[np->n_input++] = x->name;
        break;
    }
    default:
        break;
    }
    np->n_attribute = l.n;
    np->attribute = l.attrs;
    return a->failed ? -1 : 0;
}

int wp_onnx_write(const char *path, const wp_graph *g, wp_error *err)
{
    if (g->input < 0 || g->output < 0)
        return wp_fail(err, path, 0, "graph has no input or output");
    arena a = {0};
    int rc = -1;
    init_out *inits = NULL;
    int64_t(*dims)[WP_MAX_DIMS] = NULL;
    float *chunk = NULL;
    size_t n_inits = 0, n_extras = 0;
    extra_init *extras = calloc(2 * g->n_nodes + 1, sizeof *extras);
    Onnx__NodeProto *nps = calloc(g->n_nodes + 1, sizeof *nps);
    Onnx__NodeProto **npp = calloc(g->n_nodes + 1, sizeof *npp);
    inits = calloc(g->n_tensors + 2 * g->n_nodes + 1, sizeof *inits);
    dims = calloc(g->n_tensors + 2 * g->n_nodes + 1, sizeof *dims);
    const size_t chunk_n = 1 << 16;
    chunk = malloc(chunk_n * sizeof *chunk);
    if (!extras || !nps || !npp || !inits || !dims || !chunk) {
        wp_fail(err, path, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (build_node(&a, g, &g->nodes[i], &nps[i], extras, &n_extras)) {
            wp_fail(err, path, 0, "out of memory");
            goto done;
        }
        npp[i] = &nps[i];
    }
    for (size_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].is_const && used_as_input(g, (int)i)) {
            init_prepare(&inits[n_inits], &g->tensors[i], NULL, dims[n_inits]);
            n_inits++;
        }
    for (size_t i = 0; i < n_extras; i++) {
        init_prepare(&inits[n_inits], NULL, &extras[i], dims[n_inits]);
        n_inits++;
    }

    Onnx__GraphProto gp;
    onnx__graph_proto__init(&gp);
    gp.name = g->name;
    gp.n_node = g->n_nodes;
    gp.node = npp;
    Onnx__ValueInfoProto *vin = value_info(&a, &g->tensors[g->input]);
    Onnx__ValueInfoProto *vout = value_info(&a, &g->tensors[g->output]);
    if (!vin || !vout) {
        wp_fail(err, path, 0, "out of memory");
        goto done;
    }
    gp.n_input = 1;
    gp.input = &vin;
    gp.n_output = 1;
    gp.output = &vout;
    size_t graph_size = onnx__graph_proto__get_packed_size(&gp);
    for (size_t i = 0; i < n_inits; i++) {
        size_t s = init_size(&inits[i]);
        graph_size += 1 + varint_size(s) + s;
    }

    Onnx__OperatorSetIdProto os;
    onnx__operator_set_id_proto__init(&os);
    os.domain = (char *)"";
    os.has_version = 1;
    os.version = 13;
    Onnx__OperatorSetIdProto *osp = &os;
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = &osp;
    m.producer_name = (char *)"wattprof";
    m.producer_version = (char *)"0.1";

    wp_atomic_file *af = wp_atomic_open(path, err);
    if (!af)
        goto done;
    FILE *f = wp_atomic_stream(af);
    file_buffer fb = {{file_append}, f};
    onnx__model_proto__pack_to_buffer(&m, &fb.base);
    fputc((7 << 3) | 2, f); /* ModelProto.graph */
    put_varint(f, graph_size);
    onnx__graph_proto__pack_to_buffer(&gp, &fb.base);
    for (size_t i = 0; i < n_inits; i++) {
        fputc((5 << 3) | 2, f); /* GraphProto.initializer */
        put_varint(f, init_size(&inits[i]));
        init_write(&inits[i], f, chunk, chunk_n);
    }
    rc = wp_atomic_commit(af, err);
done:
    free(chunk);
    free(dims);
    free(inits);
    free(npp);
    free(nps);
    free(extras);
    arena_free(&a);
    return rc;
}

#endif
