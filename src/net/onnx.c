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

#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/nameindex.h"
#include "wattprof/onnx.h"

#include "net/onnx_internal.h"

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

/* Values the reader knows at import time: initializers, Constant nodes and
 * everything computed from them and from static shapes (PyTorch's shape
 * sub-graphs). Float values used by a runtime node live in the graph as
 * constant tensors; integer ones (shapes, axes, indices) only here. Folding
 * computes in double, which holds every int64 a shape needs and every
 * float exactly. */
typedef struct {
    char *name;
    wp_dims shape; /* n == 0: scalar */
    int64_t *v;
} int_const;

typedef struct {
    char *name;
    int t; /* the tensor the name stands for (Identity, Dropout) */
} alias;

typedef struct {
    wp_dims s;
    int is_int;
    double *v;
} fval;

typedef struct {
    const char *path;
    wp_graph *g;
    int_const *ints;
    size_t n_ints, cap_ints;
    alias *aliases;
    size_t n_aliases, cap_aliases;
    wp_error *err;
} reader;

/* Back from double: int64 sentinels (INT64_MAX as a Slice end) do not
 * survive the round trip exactly, so saturate instead of overflowing. */
static int64_t to_i64(double v)
{
    if (!(v > -9.2e18))
        return isnan(v) ? 0 : INT64_MIN;
    if (v >= 9.2e18)
        return INT64_MAX;
    return (int64_t)v;
}

static void fval_free(fval *f)
{
    free(f->v);
    f->v = NULL;
}

static int64_t fcount(const fval *f)
{
    return wp_dims_count(&f->s);
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *np, const char *name)
{
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name && strcmp(np->attribute[i]->name, name) == 0)
            return np->attribute[i];
    return NULL;
}

static int attr_pair(reader *r, const wp_node *n, const Onnx__NodeProto *np, const char *name, int64_t *dst,
                     size_t want)
{
    const Onnx__AttributeProto *a = attr(np, name);
    if (!a)
        return 0;
    if (a->n_ints != want)
        return wp_fail(r->err, r->path, 0,
                       "node '%s' (%s): attribute %s has %zu values, expected %zu (only 2-D is supported)", n->name,
                       wp_op_name(n->op), name, a->n_ints, want);
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

/* A string attribute into buf ("" when absent). */
static const char *attr_str(const Onnx__NodeProto *np, const char *name, char *buf, size_t size)
{
    const Onnx__AttributeProto *a = attr(np, name);
    buf[0] = 0;
    if (a && a->has_s) {
        size_t len = a->s.len < size - 1 ? a->s.len : size - 1;
        memcpy(buf, a->s.data, len);
        buf[len] = 0;
    }
    return buf;
}

/* ---- names ---- */

static int find_tensor(const reader *r, const char *name)
{
    for (size_t i = r->n_aliases; i-- > 0;)
        if (strcmp(r->aliases[i].name, name) == 0)
            return r->aliases[i].t;
    return wp_graph_find_tensor(r->g, name);
}

static const int_const *find_int_const(const reader *r, const char *name)
{
    for (size_t i = r->n_ints; i-- > 0;)
        if (strcmp(r->ints[i].name, name) == 0)
            return &r->ints[i];
    return NULL;
}

static int name_defined(const reader *r, const char *name)
{
    return find_tensor(r, name) >= 0 || find_int_const(r, name) != NULL;
}

static int add_alias(reader *r, const char *name, int t)
{
    if (wp_grow(&r->aliases, &r->cap_aliases, r->n_aliases, 64, sizeof *r->aliases) != 0)
        return wp_fail(r->err, r->path, 0, "out of memory");
    char *nm = strdup(name);
    if (!nm)
        return wp_fail(r->err, r->path, 0, "out of memory");
    r->aliases[r->n_aliases].name = nm;
    r->aliases[r->n_aliases].t = t;
    r->n_aliases++;
    return 0;
}

/* Stores a folded value under name: integers as an int constant, floats as
 * a constant graph tensor. Takes f's data either way. */
static int store_value(reader *r, const char *name, fval *f)
{
    int64_t n = fcount(f);
    if (f->is_int) {
        if (wp_grow(&r->ints, &r->cap_ints, r->n_ints, 64, sizeof *r->ints) != 0) {
            fval_free(f);
            return wp_fail(r->err, r->path, 0, "out of memory");
        }
        int_const *ic = &r->ints[r->n_ints];
        ic->name = strdup(name);
        ic->v = malloc((size_t)(n ? n : 1) * sizeof *ic->v);
        if (!ic->name || !ic->v) {
            free(ic->name);
            free(ic->v);
            fval_free(f);
            return wp_fail(r->err, r->path, 0, "out of memory");
        }
        ic->shape = f->s;
        for (int64_t i = 0; i < n; i++)
            ic->v[i] = to_i64(f->v[i]);
        r->n_ints++;
        fval_free(f);
        return 0;
    }
    float *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    int t = d ? wp_graph_add_tensor(r->g, name, &f->s, 1) : -1;
    if (t < 0) {
        free(d);
        fval_free(f);
        return wp_fail(r->err, r->path, 0, "out of memory");
    }
    for (int64_t i = 0; i < n; i++)
        d[i] = (float)f->v[i];
    r->g->tensors[t].data = d;
    fval_free(f);
    return 0;
}

/* The value of a constant (int constant or constant float tensor); 1 when
 * name is not a constant, -1 on error. */
static int load_value(reader *r, const char *name, fval *f)
{
    memset(f, 0, sizeof *f);
    const int_const *ic = find_int_const(r, name);
    const wp_tensor *t = NULL;
    if (!ic) {
        int ti = find_tensor(r, name);
        if (ti < 0 || !r->g->tensors[ti].is_const)
            return 1;
        t = &r->g->tensors[ti];
        if (!t->data)
            return 1;
    }
    f->s = ic ? ic->shape : t->shape;
    f->is_int = ic != NULL;
    int64_t n = fcount(f);
    f->v = malloc((size_t)(n ? n : 1) * sizeof *f->v);
    if (!f->v)
        return wp_fail(r->err, r->path, 0, "out of memory");
    for (int64_t i = 0; i < n; i++)
        f->v[i] = ic ? (double)ic->v[i] : (double)t->data[i];
    return 0;
}

static int fval_alloc(reader *r, fval *f, const wp_dims *s, int is_int)
{
    f->s = *s;
    f->is_int = is_int;
    int64_t n = wp_dims_count(s);
    f->v = calloc((size_t)(n ? n : 1), sizeof *f->v);
    return f->v ? 0 : wp_fail(r->err, r->path, 0, "out of memory");
}

/* ---- tensors in the file ---- */

/* Decodes a TensorProto (initializer or Constant's value) into f. Float
 * data of a large initializer is better stolen: see read_initializer. */
static int tensor_value(reader *r, const Onnx__TensorProto *tp, const char *what, fval *f)
{
    memset(f, 0, sizeof *f);
    if (tp->n_external_data ||
        (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return wp_fail(r->err, r->path, 0, "%s uses external data, which is not supported", what);
    if (tp->n_dims > WP_MAX_DIMS)
        return wp_fail(r->err, r->path, 0, "%s has %zu dimensions", what, tp->n_dims);
    wp_dims d;
    memset(&d, 0, sizeof d);
    d.n = (int)tp->n_dims;
    int64_t count = 1;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0 || tp->dims[i] > (1LL << 40) || (tp->dims[i] && count > (1LL << 40) / tp->dims[i]))
            return wp_fail(r->err, r->path, 0, "%s has a bad dimension", what);
        d.d[i] = tp->dims[i];
        count *= tp->dims[i];
    }
    int dt = (int)tp->data_type;
    size_t esize;
    int is_int;
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        esize = 4;
        is_int = 0;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        esize = 8;
        is_int = 0;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        esize = 8;
        is_int = 1;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        esize = 4;
        is_int = 1;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
        esize = 1;
        is_int = 1;
        break;
    default:
        return wp_fail(r->err, r->path, 0, "%s has ONNX data type %d; only float32 networks are supported", what, dt);
    }
    if (count > (1LL << 28))
        return wp_fail(r->err, r->path, 0, "%s is too large to fold", what);
    if (fval_alloc(r, f, &d, is_int))
        return -1;
    if (tp->has_raw_data) {
        if (tp->raw_data.len != (size_t)count * esize) {
            fval_free(f);
            return wp_fail(r->err, r->path, 0, "%s: %zu bytes of data for %" PRId64 " values (truncated?)", what,
                           tp->raw_data.len, count);
        }
        const uint8_t *p = tp->raw_data.data;
        for (int64_t i = 0; i < count; i++, p += esize) {
            switch (dt) {
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
                float v;
                memcpy(&v, p, 4);
                f->v[i] = v;
                break;
            }
            case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
                double v;
                memcpy(&v, p, 8);
                f->v[i] = v;
                break;
            }
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: {
                int64_t v;
                memcpy(&v, p, 8);
                f->v[i] = (double)v;
                break;
            }
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
                int32_t v;
                memcpy(&v, p, 4);
                f->v[i] = v;
                break;
            }
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: f->v[i] = (int8_t)*p; break;
            default: f->v[i] = *p; break;
            }
        }
        return 0;
    }
    size_t have;
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = tp->n_float_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = tp->n_double_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = tp->n_int64_data; break;
    default: have = tp->n_int32_data; break;
    }
    if (have != (size_t)count) {
        fval_free(f);
        return wp_fail(r->err, r->path, 0, "%s: %zu values for %" PRId64 " elements", what, have, count);
    }
    for (int64_t i = 0; i < count; i++) {
        switch (dt) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: f->v[i] = tp->float_data[i]; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: f->v[i] = tp->double_data[i]; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: f->v[i] = (double)tp->int64_data[i]; break;
        default: f->v[i] = tp->int32_data[i]; break;
        }
    }
    return 0;
}

static int read_initializer(reader *r, Onnx__TensorProto *tp)
{
    if (!tp->name || !tp->name[0])
        return wp_fail(r->err, r->path, 0, "an initializer has no name");
    char what[600];
    snprintf(what, sizeof what, "initializer '%s'", tp->name);
    if (tp->data_type == DT_FLOAT && tp->has_raw_data && tp->n_dims <= WP_MAX_DIMS && !tp->n_external_data &&
        !(tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)) {
        /* Weights: steal the buffer rather than copy (protobuf-c frees only
         * non-NULL data), so a 100 MB model costs 100 MB once loaded. */
        wp_dims d;
        memset(&d, 0, sizeof d);
        d.n = (int)tp->n_dims;
        for (size_t i = 0; i < tp->n_dims; i++)
            d.d[i] = tp->dims[i];
        /* Checked: [2^32, 2^32] must not wrap to 0 elements and pass as empty. */
        int64_t count;
        if (wp_dims_count_checked(&d, &count)) {
            char b[160];
            return wp_fail(r->err, r->path, 0,
                           "%s has a bad dimension: %s is negative or has more than %" PRId64 " elements", what,
                           wp_dims_format(&d, b, sizeof b), (int64_t)WP_MAX_ELEMENTS);
        }
        if (tp->raw_data.len != (size_t)count * 4)
            return wp_fail(r->err, r->path, 0, "%s: %zu bytes of data for %" PRId64 " floats (truncated?)", what,
                           tp->raw_data.len, count);
        int t = wp_graph_add_tensor(r->g, tp->name, &d, 1);
        if (t < 0)
            return wp_fail(r->err, r->path, 0, "out of memory");
        wp_tensor *ten = &r->g->tensors[t];
        ten->data = (float *)(void *)tp->raw_data.data;
        tp->raw_data.data = NULL;
        tp->raw_data.len = 0;
        if (!ten->data)
            ten->data = calloc(1, sizeof(float));
        return ten->data ? 0 : wp_fail(r->err, r->path, 0, "out of memory");
    }
    fval f;
    if (tensor_value(r, tp, what, &f))
        return -1;
    return store_value(r, tp->name, &f);
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

/* ---- operator tables ---- */

/* Ops folded at import when every input is constant (or, for Shape and
 * Size, when the input's shape is known). */
static const char *const fold_ops[] = {
    "Constant", "Shape",   "Size",  "Gather",    "Unsqueeze", "Squeeze", "Concat",
    "Reshape",  "Flatten", "Cast",  "Add",       "Sub",       "Mul",     "Div",
    "Pow",      "Equal",   "Less",  "Greater",   "Where",     "Not",     "ConstantOfShape",
    "Expand",   "Slice",   "Range", "Transpose", "Sqrt",      "Neg",     "Reciprocal",
    "Relu",     "Sigmoid", "Erf",   "Tanh",      "Exp",       "Abs",     "Floor",
    "Ceil",     "Min",     "Max",   "Identity",  "Dropout",   "Split",   "Mod",
    "ScatterND"};
/* Ops rewritten into other nodes (views, slices) or aliases. */
static const char *const rewrite_ops[] = {"Identity", "Squeeze", "Unsqueeze", "Split", "Cast", "Upsample"};

static int in_list(const char *const *list, size_t n, const char *op)
{
    return wp_name_lookup(list, n, op) >= 0;
}

#define N_OF(a) (sizeof(a) / sizeof(a)[0])

static int op_known(const Onnx__NodeProto *np, wp_op *op)
{
    const char *t = np->op_type ? np->op_type : "";
    if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0)
        return 0;
    if (wp_op_from_name(t, op) == 0)
        return 1;
    if (strcmp(t, "HardSwish") == 0 || strcmp(t, "Hardswish") == 0)
        return *op = WP_OP_HARDSWISH, 1;
    *op = WP_OP_COUNT;
    return in_list(fold_ops, N_OF(fold_ops), t) || in_list(rewrite_ops, N_OF(rewrite_ops), t);
}

/* One error naming every operator the file uses that wattprof cannot run,
 * with counts, so a user sees the whole gap at once. */
static int check_operators(reader *r, const Onnx__GraphProto *gp)
{
    char names[32][96];
    size_t counts[32], n = 0, total = 0;
    const char *first = NULL;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        wp_op op;
        if (op_known(np, &op))
            continue;
        char full[96];
        snprintf(full, sizeof full, "%s%s%s", np->domain && np->domain[0] ? np->domain : "",
                 np->domain && np->domain[0] ? "." : "", np->op_type ? np->op_type : "");
        if (!first)
            first = np->name && np->name[0] ? np->name : "(unnamed)";
        total++;
        size_t k = 0;
        while (k < n && strcmp(names[k], full) != 0)
            k++;
        if (k == n) {
            if (n == 32)
                continue;
            snprintf(names[n], sizeof names[n], "%s", full);
            counts[n++] = 0;
        }
        counts[k]++;
    }
    if (!total)
        return 0;
    char list[2048];
    size_t at = 0;
    list[0] = 0;
    for (size_t k = 0; k < n && at < sizeof list; k++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s x%zu", k ? ", " : "", names[k], counts[k]);
    return wp_fail(r->err, r->path, 0, "unsupported operators: %s (%zu node%s; first: node '%s')", list, total,
                   total == 1 ? "" : "s", first);
}

/* ---- folding ---- */

static int64_t norm_axis(int64_t a, int rank)
{
    return a < 0 ? a + rank : a;
}

/* Strides of in as seen from an output of shape out (0 on broadcast axes). */
static void bcast_strides(const wp_dims *in, const wp_dims *out, int64_t *st)
{
    int64_t s = 1;
    for (int i = out->n - 1; i >= 0; i--) {
        int k = i - (out->n - in->n);
        if (k < 0 || in->d[k] == 1) {
            st[i] = 0;
        } else {
            st[i] = s;
        }
        if (k >= 0)
            s *= in->d[k];
    }
}

static double fold_binary(const char *op, double a, double b, int is_int)
{
    if (!strcmp(op, "Add"))
        return a + b;
    if (!strcmp(op, "Sub"))
        return a - b;
    if (!strcmp(op, "Mul"))
        return a * b;
    if (!strcmp(op, "Div"))
        return is_int ? (b != 0 ? trunc(a / b) : 0) : a / b;
    if (!strcmp(op, "Pow"))
        return pow(a, b);
    if (!strcmp(op, "Equal"))
        return a == b;
    if (!strcmp(op, "Less"))
        return a < b;
    if (!strcmp(op, "Greater"))
        return a > b;
    if (!strcmp(op, "Min"))
        return a < b ? a : b;
    if (!strcmp(op, "Mod"))
        return b == 0 ? 0 : is_int ? a - floor(a / b) * b : fmod(a, b);
    return a > b ? a : b; /* Max */
}

static double fold_unary(const char *op, double x)
{
    if (!strcmp(op, "Not"))
        return x == 0;
    if (!strcmp(op, "Sqrt"))
        return sqrt(x);
    if (!strcmp(op, "Neg"))
        return -x;
    if (!strcmp(op, "Reciprocal"))
        return 1.0 / x;
    if (!strcmp(op, "Relu"))
        return x > 0 ? x : 0;
    if (!strcmp(op, "Sigmoid"))
        return 1.0 / (1.0 + exp(-x));
    if (!strcmp(op, "Erf"))
        return erf(x);
    if (!strcmp(op, "Tanh"))
        return tanh(x);
    if (!strcmp(op, "Exp"))
        return exp(x);
    if (!strcmp(op, "Abs"))
        return fabs(x);
    if (!strcmp(op, "Floor"))
        return floor(x);
    return ceil(x); /* Ceil */
}

/* Elementwise over broadcast operands (1 to 3); Where picks x or y. */
static int fold_elementwise(reader *r, const char *op, fval *in, size_t n_in, fval *out)
{
    wp_dims s = in[0].s;
    for (size_t i = 1; i < n_in; i++) {
        wp_dims t;
        if (wp_broadcast_shape(&s, &in[i].s, &t))
            return -2;
        s = t;
    }
    int where = !strcmp(op, "Where");
    int cmp = !strcmp(op, "Equal") || !strcmp(op, "Less") || !strcmp(op, "Greater") || !strcmp(op, "Not");
    int is_int = where ? in[1].is_int && in[2].is_int : cmp ? 1 : in[0].is_int && (n_in < 2 || in[1].is_int);
    if (fval_alloc(r, out, &s, is_int))
        return -1;
    int64_t st[3][WP_MAX_DIMS], idx[WP_MAX_DIMS] = {0}, total = wp_dims_count(&s);
    for (size_t i = 0; i < n_in; i++)
        bcast_strides(&in[i].s, &s, st[i]);
    for (int64_t e = 0; e < total; e++) {
        double v[3];
        for (size_t i = 0; i < n_in; i++) {
            int64_t off = 0;
            for (int a = 0; a < s.n; a++)
                off += idx[a] * st[i][a];
            v[i] = in[i].v[off];
        }
        out->v[e] = where       ? (v[0] != 0 ? v[1] : v[2])
                    : n_in == 1 ? fold_unary(op, v[0])
                                : fold_binary(op, v[0], v[1], is_int);
        for (int a = s.n - 1; a >= 0; a--) {
            if (++idx[a] < s.d[a])
                break;
            idx[a] = 0;
        }
    }
    return 0;
}

/* Generic copy: out element (multi-index o) = in element at
 * sum(o[a] * st[a]) + base. Used by Transpose, Slice, Gather, Expand. */
static void strided_copy(const double *in, int64_t base, const int64_t *st, const wp_dims *s, double *out)
{
    int64_t idx[WP_MAX_DIMS] = {0}, total = wp_dims_count(s);
    for (int64_t e = 0; e < total; e++) {
        int64_t off = base;
        for (int a = 0; a < s->n; a++)
            off += idx[a] * st[a];
        out[e] = in[off];
        for (int a = s->n - 1; a >= 0; a--) {
            if (++idx[a] < s->d[a])
                break;
            idx[a] = 0;
        }
    }
}

/* ints of an attribute or of a constant input (opset >= 13 style); 1 when
 * neither is there. */
static int ints_of(reader *r, const Onnx__NodeProto *np, const char *attr_name, size_t input, int64_t *v, int *n,
                   const char *name)
{
    const Onnx__AttributeProto *a = attr_name ? attr(np, attr_name) : NULL;
    if (a) {
        if (a->n_ints > WP_MAX_DIMS * 2)
            return wp_fail(r->err, r->path, 0, "node '%s' (%s): too many %s", name, np->op_type, attr_name);
        for (size_t i = 0; i < a->n_ints; i++)
            v[i] = a->ints[i];
        *n = (int)a->n_ints;
        return 0;
    }
    if (input >= np->n_input || !np->input[input][0])
        return 1;
    fval f;
    int rc = load_value(r, np->input[input], &f);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): input '%s' must be a constant (computed at import)", name,
                       np->op_type, np->input[input]);
    if (fcount(&f) > WP_MAX_DIMS * 2) {
        fval_free(&f);
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): input '%s' has too many values", name, np->op_type,
                       np->input[input]);
    }
    *n = (int)fcount(&f);
    for (int i = 0; i < *n; i++)
        v[i] = to_i64(f.v[i]);
    fval_free(&f);
    return 0;
}

/* Reshape's target resolved against in (0 copies, -1 infers). */
static int reshape_target(const wp_dims *in, const int64_t *v, int n, int allowzero, wp_dims *o)
{
    memset(o, 0, sizeof *o);
    if (n > WP_MAX_DIMS)
        return -1;
    o->n = n;
    int64_t known = 1;
    int infer = -1;
    for (int i = 0; i < n; i++) {
        o->d[i] = v[i];
        if (v[i] == 0 && !allowzero) {
            if (i >= in->n)
                return -1;
            o->d[i] = in->d[i];
        }
        if (o->d[i] == -1) {
            if (infer >= 0)
                return -1;
            infer = i;
        } else if (o->d[i] < 0) {
            return -1;
        } else {
            known *= o->d[i];
        }
    }
    if (infer >= 0) {
        if (!known)
            return -1;
        o->d[infer] = wp_dims_count(in) / known;
    }
    return wp_dims_count(o) == wp_dims_count(in) ? 0 : -1;
}

/* Unsqueeze / Squeeze target shape. */
static int squeeze_target(reader *r, const Onnx__NodeProto *np, const char *name, const wp_dims *in, int unsq,
                          wp_dims *o)
{
    int64_t axes[2 * WP_MAX_DIMS];
    int na = 0;
    int rc = ints_of(r, np, "axes", 1, axes, &na, name);
    if (rc < 0)
        return -1;
    memset(o, 0, sizeof *o);
    if (unsq) {
        if (rc > 0 || in->n + na > WP_MAX_DIMS)
            return wp_fail(r->err, r->path, 0, "node '%s' (Unsqueeze): bad axes", name);
        int rank = in->n + na, mark[WP_MAX_DIMS] = {0};
        for (int i = 0; i < na; i++) {
            int64_t a = norm_axis(axes[i], rank);
            if (a < 0 || a >= rank || mark[a])
                return wp_fail(r->err, r->path, 0, "node '%s' (Unsqueeze): bad axes", name);
            mark[a] = 1;
        }
        o->n = rank;
        for (int i = 0, k = 0; i < rank; i++)
            o->d[i] = mark[i] ? 1 : in->d[k++];
        return 0;
    }
    int mark[WP_MAX_DIMS] = {0};
    for (int i = 0; i < na; i++) {
        int64_t a = norm_axis(axes[i], in->n);
        if (a < 0 || a >= in->n || in->d[a] != 1)
            return wp_fail(r->err, r->path, 0, "node '%s' (Squeeze): bad axes", name);
        mark[a] = 1;
    }
    for (int i = 0; i < in->n; i++)
        if (!(rc > 0 ? in->d[i] == 1 : mark[i]))
            o->d[o->n++] = in->d[i];
    return 0;
}

/* Slice's per-axis ranges (all axes: defaults where not given). */
static int slice_ranges(reader *r, const Onnx__NodeProto *np, const char *name, int rank, int64_t *st, int64_t *en,
                        int64_t *sp)
{
    int64_t starts[16], ends[16], axes[16], steps[16];
    int ns = 0, ne = 0, na = 0, np_ = 0;
    int old = r->g->opset < 10;
    if (ints_of(r, np, old ? "starts" : NULL, 1, starts, &ns, name) ||
        ints_of(r, np, old ? "ends" : NULL, 2, ends, &ne, name))
        return wp_fail(r->err, r->path, 0, "node '%s' (Slice): starts and ends must be constants", name);
    int rc = ints_of(r, np, old ? "axes" : NULL, 3, axes, &na, name);
    if (rc < 0)
        return -1;
    if (rc > 0) {
        na = ns;
        for (int i = 0; i < na; i++)
            axes[i] = i;
    }
    rc = old ? 1 : ints_of(r, np, NULL, 4, steps, &np_, name);
    if (rc < 0)
        return -1;
    if (rc > 0) {
        np_ = ns;
        for (int i = 0; i < np_; i++)
            steps[i] = 1;
    }
    if (ns != ne || ns != na || ns != np_)
        return wp_fail(r->err, r->path, 0, "node '%s' (Slice): starts, ends, axes and steps differ in length", name);
    for (int a = 0; a < rank; a++) {
        st[a] = 0;
        en[a] = INT64_MAX;
        sp[a] = 1;
    }
    for (int i = 0; i < ns; i++) {
        int64_t a = norm_axis(axes[i], rank);
        if (a < 0 || a >= rank)
            return wp_fail(r->err, r->path, 0, "node '%s' (Slice): axis %" PRId64 " out of range", name, axes[i]);
        st[a] = starts[i];
        en[a] = ends[i];
        sp[a] = steps[i];
    }
    return 0;
}

/* Folds a node whose inputs are all constant. 1: not foldable here (the
 * caller builds a runtime node), 0 done, -1 error. */
static int fold_node(reader *r, const Onnx__NodeProto *np, const char *name)
{
    const char *op = np->op_type;
    if (!in_list(fold_ops, N_OF(fold_ops), op))
        return 1;
    fval in[64];
    size_t n_in = np->n_input < 64 ? np->n_input : 64;
    memset(in, 0, sizeof in);
    int present[64] = {0};
    int shape_only = !strcmp(op, "Shape") || !strcmp(op, "Size");
    if (!shape_only)
        for (size_t i = 0; i < n_in; i++) {
            if (!np->input[i][0])
                continue;
            int rc = load_value(r, np->input[i], &in[i]);
            if (rc) {
                for (size_t k = 0; k < i; k++)
                    fval_free(&in[k]);
                return rc;
            }
            present[i] = 1;
        }
    fval out;
    memset(&out, 0, sizeof out);
    int rc = 0;
    char buf[64];
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *a;
        if ((a = attr(np, "value")) && a->t) {
            char what[600];
            snprintf(what, sizeof what, "node '%s' (Constant)", name);
            rc = tensor_value(r, a->t, what, &out) ? -1 : 0;
        } else if ((a = attr(np, "value_float")) || (a = attr(np, "value_int"))) {
            wp_dims s = {0, {0}};
            int is_int = !strcmp(a->name, "value_int");
            rc = fval_alloc(r, &out, &s, is_int);
            if (!rc)
                out.v[0] = is_int ? (double)a->i : a->f;
        } else if ((a = attr(np, "value_floats")) || (a = attr(np, "value_ints"))) {
            int is_int = !strcmp(a->name, "value_ints");
            wp_dims s = {1, {(int64_t)(is_int ? a->n_ints : a->n_floats)}};
            rc = fval_alloc(r, &out, &s, is_int);
            for (int64_t i = 0; !rc && i < s.d[0]; i++)
                out.v[i] = is_int ? (double)a->ints[i] : a->floats[i];
        } else {
            rc = wp_fail(r->err, r->path, 0, "node '%s' (Constant): no supported value attribute", name);
        }
    } else if (shape_only) {
        int t = np->n_input ? find_tensor(r, np->input[0]) : -1;
        fval v;
        wp_dims s;
        if (t >= 0) {
            s = r->g->tensors[t].shape;
            if (s.n == 0 && !r->g->tensors[t].is_const)
                return 1;
        } else if (np->n_input && load_value(r, np->input[0], &v) == 0) {
            s = v.s;
            fval_free(&v);
        } else {
            return 1;
        }
        if (!strcmp(op, "Size")) {
            wp_dims sc = {0, {0}};
            rc = fval_alloc(r, &out, &sc, 1);
            if (!rc)
                out.v[0] = (double)wp_dims_count(&s);
        } else {
            int64_t start = 0, end = s.n;
            attr_int(np, "start", &start);
            attr_int(np, "end", &end);
            start = norm_axis(start, s.n);
            end = norm_axis(end, s.n);
            start = start < 0 ? 0 : start > s.n ? s.n : start;
            end = end < start ? start : end > s.n ? s.n : end;
            wp_dims o = {1, {end - start}};
            rc = fval_alloc(r, &out, &o, 1);
            for (int64_t i = start; !rc && i < end; i++)
                out.v[i - start] = (double)s.d[i];
        }
    } else if (!strcmp(op, "Identity") || !strcmp(op, "Dropout") || (!strcmp(op, "Cast") && present[0])) {
        out = in[0];
        in[0].v = NULL;
        if (!strcmp(op, "Cast")) {
            int64_t to = 1;
            attr_int(np, "to", &to);
            out.is_int = !(to == 1 || to == 10 || to == 11 || to == 16);
            if (out.is_int)
                for (int64_t i = 0; i < fcount(&out); i++)
                    out.v[i] = trunc(out.v[i]);
        }
    } else if (!strcmp(op, "Where") ||
               (n_in == 2 && present[1] &&
                in_list((const char *const[]){"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "Min",
                                              "Max", "Mod"},
                        11, op)) ||
               (n_in == 1 && in_list((const char *const[]){"Not", "Sqrt", "Neg", "Reciprocal", "Relu", "Sigmoid", "Erf",
                                                           "Tanh", "Exp", "Abs", "Floor", "Ceil"},
                                     12, op))) {
        /* Every operand of these is required: an empty name (ONNX's "absent
         * optional input") would reach the fold as a scalar without data. */
        size_t absent = 0;
        while (absent < n_in && present[absent])
            absent++;
        if (absent < n_in)
            rc = wp_fail(r->err, r->path, 0, "node '%s' (%s): input %zu has no name (it is required)", name, op,
                         absent + 1);
        else
            rc = fold_elementwise(r, op, in, n_in, &out);
        if (rc == -2)
            rc = wp_fail(r->err, r->path, 0, "node '%s' (%s): operands do not broadcast", name, op);
    } else if (!strcmp(op, "Gather") && present[1]) {
        int64_t axis = 0;
        attr_int(np, "axis", &axis);
        const wp_dims *d = &in[0].s, *is = &in[1].s;
        axis = norm_axis(axis, d->n);
        if (axis < 0 || axis >= d->n || d->n - 1 + is->n > WP_MAX_DIMS) {
            rc = wp_fail(r->err, r->path, 0, "node '%s' (Gather): bad axis", name);
        } else {
            wp_dims o = {0, {0}};
            for (int i = 0; i < axis; i++)
                o.d[o.n++] = d->d[i];
            for (int i = 0; i < is->n; i++)
                o.d[o.n++] = is->d[i];
            for (int i = (int)axis + 1; i < d->n; i++)
                o.d[o.n++] = d->d[i];
            rc = fval_alloc(r, &out, &o, in[0].is_int);
            int64_t outer = 1, inner = 1, ni = fcount(&in[1]);
            for (int i = 0; i < axis; i++)
                outer *= d->d[i];
            for (int i = (int)axis + 1; i < d->n; i++)
                inner *= d->d[i];
            for (int64_t ob = 0; !rc && ob < outer; ob++)
                for (int64_t k = 0; !rc && k < ni; k++) {
                    int64_t ix = to_i64(in[1].v[k]);
                    if (ix < 0)
                        ix += d->d[axis];
                    if (ix < 0 || ix >= d->d[axis]) {
                        rc = wp_fail(r->err, r->path, 0, "node '%s' (Gather): index out of range", name);
                        break;
                    }
                    memcpy(out.v + (ob * ni + k) * inner, in[0].v + (ob * d->d[axis] + ix) * inner,
                           (size_t)inner * sizeof(double));
                }
        }
    } else if (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze") || !strcmp(op, "Reshape") || !strcmp(op, "Flatten")) {
        wp_dims o;
        if (!strcmp(op, "Reshape")) {
            int64_t allowzero = 0;
            attr_int(np, "allowzero", &allowzero);
            int64_t v[2 * WP_MAX_DIMS];
            int nv = 0;
            rc = ints_of(r, np, NULL, 1, v, &nv, name);
            if (rc == 0 && reshape_target(&in[0].s, v, nv, allowzero != 0, &o))
                rc = wp_fail(r->err, r->path, 0, "node '%s' (Reshape): bad target shape", name);
            else if (rc > 0)
                rc = wp_fail(r->err, r->path, 0, "node '%s' (Reshape): no shape", name);
        } else if (!strcmp(op, "Flatten")) {
            int64_t axis = 1;
            attr_int(np, "axis", &axis);
            axis = norm_axis(axis, in[0].s.n);
            o.n = 2;
            o.d[0] = o.d[1] = 1;
            for (int i = 0; i < in[0].s.n; i++)
                o.d[i < axis ? 0 : 1] *= in[0].s.d[i];
        } else {
            rc = squeeze_target(r, np, name, &in[0].s, !strcmp(op, "Unsqueeze"), &o);
        }
        if (!rc) {
            out = in[0];
            in[0].v = NULL;
            out.s = o;
        }
    } else if (!strcmp(op, "Concat")) {
        int64_t axis = 0;
        attr_int(np, "axis", &axis);
        wp_dims o = in[0].s;
        axis = norm_axis(axis, o.n);
        int is_int = 1;
        for (size_t i = 0; i < n_in; i++)
            is_int &= in[i].is_int;
        if (axis < 0 || axis >= o.n) {
            rc = wp_fail(r->err, r->path, 0, "node '%s' (Concat): bad axis", name);
        } else {
            for (size_t i = 1; i < n_in; i++)
                o.d[axis] += in[i].s.d[axis];
            rc = fval_alloc(r, &out, &o, is_int);
            int64_t outer = 1, at = 0, row = 1;
            for (int i = 0; i < axis; i++)
                outer *= o.d[i];
            row = wp_dims_count(&o) / (outer ? outer : 1);
            for (size_t i = 0; !rc && i < n_in; i++) {
                int64_t part = fcount(&in[i]) / (outer ? outer : 1);
                for (int64_t ob = 0; ob < outer; ob++)
                    memcpy(out.v + ob * row + at, in[i].v + ob * part, (size_t)part * sizeof(double));
                at += part;
            }
        }
    } else if (!strcmp(op, "ConstantOfShape")) {
        wp_dims o = {(int)fcount(&in[0]), {0}};
        if (o.n > WP_MAX_DIMS) {
            rc = wp_fail(r->err, r->path, 0, "node '%s' (ConstantOfShape): too many dimensions", name);
        } else {
            for (int i = 0; i < o.n; i++)
                o.d[i] = to_i64(in[0].v[i]);
            fval val;
            memset(&val, 0, sizeof val);
            const Onnx__AttributeProto *a = attr(np, "value");
            if (a && a->t)
                rc = tensor_value(r, a->t, "ConstantOfShape's value", &val) ? -1 : 0;
            if (!rc) {
                rc = fval_alloc(r, &out, &o, val.v ? val.is_int : 0);
                for (int64_t i = 0; !rc && i < fcount(&out); i++)
                    out.v[i] = val.v ? val.v[0] : 0.0;
            }
            fval_free(&val);
        }
    } else if (!strcmp(op, "Expand") && present[1]) {
        wp_dims want = {(int)fcount(&in[1]), {0}}, o;
        for (int i = 0; i < want.n && i < WP_MAX_DIMS; i++)
            want.d[i] = to_i64(in[1].v[i]);
        if (want.n > WP_MAX_DIMS || wp_broadcast_shape(&in[0].s, &want, &o)) {
            rc = wp_fail(r->err, r->path, 0, "node '%s' (Expand): shapes do not broadcast", name);
        } else {
            int64_t st[WP_MAX_DIMS];
            bcast_strides(&in[0].s, &o, st);
            rc = fval_alloc(r, &out, &o, in[0].is_int);
            if (!rc)
                strided_copy(in[0].v, 0, st, &o, out.v);
        }
    } else if (!strcmp(op, "Slice")) {
        int64_t st[WP_MAX_DIMS], en[WP_MAX_DIMS], sp[WP_MAX_DIMS], ds[WP_MAX_DIMS], ost[WP_MAX_DIMS];
        rc = slice_ranges(r, np, name, in[0].s.n, st, en, sp);
        if (!rc) {
            wp_dims o = in[0].s;
            int64_t base = 0;
            wp__dims_strides(&in[0].s, ds);
            for (int a = 0; a < o.n; a++) {
                int64_t first;
                if (sp[a] == 0) {
                    rc = wp_fail(r->err, r->path, 0, "node '%s' (Slice): step 0", name);
                    break;
                }
                o.d[a] = wp__onnx_slice_axis(in[0].s.d[a], st[a], en[a], sp[a], &first);
                base += first * ds[a];
                ost[a] = ds[a] * sp[a];
            }
            if (!rc)
                rc = fval_alloc(r, &out, &o, in[0].is_int);
            if (!rc)
                strided_copy(in[0].v, base, ost, &o, out.v);
        }
    } else if (!strcmp(op, "ScatterND") && n_in == 3 && present[1] && present[2]) {
        /* data, indices [..., k], updates [..., data.shape[k:]] (no
         * reduction): how exporters build constant masks (Swin's). */
        const wp_dims *d = &in[0].s, *is = &in[1].s;
        int64_t k = is->n ? is->d[is->n - 1] : 0, slice = 1, nidx = is->n ? fcount(&in[1]) / (k ? k : 1) : 0;
        char red[16];
        attr_str(np, "reduction", red, sizeof red);
        if (k < 1 || k > d->n || (red[0] && strcmp(red, "none") != 0)) {
            rc = wp_fail(r->err, r->path, 0, "node '%s' (ScatterND): unsupported indices or reduction", name);
        } else {
            int64_t ds[WP_MAX_DIMS];
            wp__dims_strides(d, ds);
            for (int i = (int)k; i < d->n; i++)
                slice *= d->d[i];
            if (fcount(&in[2]) != nidx * slice)
                rc = wp_fail(r->err, r->path, 0, "node '%s' (ScatterND): updates do not match", name);
            if (!rc) {
                out = in[0];
                in[0].v = NULL;
            }
            for (int64_t j = 0; !rc && j < nidx; j++) {
                int64_t off = 0;
                for (int64_t a = 0; a < k; a++) {
                    int64_t ix = to_i64(in[1].v[j * k + a]);
                    if (ix < 0)
                        ix += d->d[a];
                    if (ix < 0 || ix >= d->d[a]) {
                        rc = wp_fail(r->err, r->path, 0, "node '%s' (ScatterND): index out of range", name);
                        break;
                    }
                    off += ix * ds[a];
                }
                if (!rc)
                    memcpy(out.v + off, in[2].v + j * slice, (size_t)slice * sizeof(double));
            }
        }
    } else if (!strcmp(op, "Range") && n_in == 3) {
        double start = in[0].v[0], limit = in[1].v[0], delta = in[2].v[0];
        double cnt = delta != 0 ? ceil((limit - start) / delta) : 0;
        wp_dims o = {1, {cnt > 0 ? (int64_t)cnt : 0}};
        if (o.d[0] > (1 << 24)) {
            rc = wp_fail(r->err, r->path, 0, "node '%s' (Range): too long", name);
        } else {
            rc = fval_alloc(r, &out, &o, in[0].is_int);
            for (int64_t i = 0; !rc && i < o.d[0]; i++)
                out.v[i] = start + (double)i * delta;
        }
    } else if (!strcmp(op, "Transpose")) {
        const Onnx__AttributeProto *a = attr(np, "perm");
        wp_dims o = in[0].s;
        int64_t ds[WP_MAX_DIMS], st[WP_MAX_DIMS];
        wp__dims_strides(&in[0].s, ds);
        for (int i = 0; i < o.n; i++) {
            int64_t p = a && (size_t)i < a->n_ints ? a->ints[i] : o.n - 1 - i;
            if (p < 0 || p >= o.n) {
                rc = wp_fail(r->err, r->path, 0, "node '%s' (Transpose): bad perm", name);
                break;
            }
            o.d[i] = in[0].s.d[p];
            st[i] = ds[p];
        }
        if (!rc)
            rc = fval_alloc(r, &out, &o, in[0].is_int);
        if (!rc)
            strided_copy(in[0].v, 0, st, &o, out.v);
    } else {
        rc = 1; /* e.g. Split of a constant, Gather with computed indices */
    }
    for (size_t i = 0; i < n_in; i++)
        fval_free(&in[i]);
    (void)buf;
    if (rc) {
        fval_free(&out);
        return rc;
    }
    if (np->n_output < 1 || !np->output[0][0]) {
        fval_free(&out);
        return wp_fail(r->err, r->path, 0, "node '%s' (%s) has no output", name, op);
    }
    if (name_defined(r, np->output[0])) {
        fval_free(&out);
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): output '%s' is defined twice", name, op, np->output[0]);
    }
    return store_value(r, np->output[0], &out);
}

/* ---- runtime nodes ---- */

static int new_output(reader *r, const char *name, const char *op_type, const char *tensor)
{
    if (name_defined(r, tensor))
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): output '%s' is defined twice", name, op_type, tensor);
    int out = wp_graph_add_tensor(r->g, tensor, NULL, 0);
    if (out < 0)
        return wp_fail(r->err, r->path, 0, "out of memory");
    return out;
}

static int infer_last(reader *r)
{
    wp_error sub;
    if (wp_graph_infer_node(r->g, r->g->n_nodes - 1, &sub))
        return wp_fail(r->err, r->path, 0, "%s", sub.msg);
    return 0;
}

/* A view node (Reshape) of an activation into a known shape. */
static int add_reshape(reader *r, const char *name, int in, const char *out_name, const char *op_type,
                       const wp_dims *target)
{
    int out = new_output(r, name, op_type, out_name);
    if (out < 0)
        return -1;
    wp_node *n = wp_graph_add_node(r->g, WP_OP_RESHAPE, name, 1, &in, 1, &out);
    if (!n)
        return wp_fail(r->err, r->path, 0, "out of memory");
    n->reshape = *target;
    return infer_last(r);
}

static const float *const_scalar(reader *r, const char *name, float *store)
{
    fval f;
    if (load_value(r, name, &f) != 0)
        return NULL;
    int ok = fcount(&f) == 1;
    if (ok)
        *store = (float)f.v[0];
    fval_free(&f);
    return ok ? store : NULL;
}

static int read_attributes(reader *r, wp_node *n, const Onnx__NodeProto *np)
{
    int64_t v;
    if (attr_pair(r, n, np, "kernel_shape", n->kernel, 2) || attr_pair(r, n, np, "strides", n->stride, 2) ||
        attr_pair(r, n, np, "dilations", n->dilation, 2) ||
        (n->op != WP_OP_PAD && attr_pair(r, n, np, "pads", n->pads, 4)))
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
    if (n->op == WP_OP_LAYERNORM)
        n->axis = -1;
    if (n->op == WP_OP_GATHER)
        n->axis = 0;
    attr_int(np, "axis", &n->axis);
    attr_int(np, "size", &n->size);
    if (n->op == WP_OP_LRN) {
        n->alpha = 1e-4f;
        n->beta = 0.75f;
    }
    if (n->op == WP_OP_HARDSIGMOID) {
        n->alpha = 0.2f;
        n->beta = 0.5f;
    }
    attr_float(np, "alpha", &n->alpha);
    attr_float(np, "beta", &n->beta);
    attr_float(np, "epsilon", &n->epsilon);
    attr_float(np, "bias", &n->bias);
    attr_float(np, "min", &n->clip_min);
    attr_float(np, "max", &n->clip_max);
    v = 1;
    attr_int(np, "keepdims", &v);
    n->keepdims = v != 0;
    char s[32];
    attr_str(np, "auto_pad", s, sizeof s);
    if (strcmp(s, "SAME_UPPER") == 0)
        n->auto_pad = WP_AUTO_PAD_SAME_UPPER;
    else if (strcmp(s, "SAME_LOWER") == 0)
        n->auto_pad = WP_AUTO_PAD_SAME_LOWER;
    else if (strcmp(s, "VALID") == 0)
        n->auto_pad = WP_AUTO_PAD_VALID;
    else if (strcmp(s, "NOTSET") != 0 && s[0])
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): unknown auto_pad '%s'", n->name, wp_op_name(n->op), s);
    const Onnx__AttributeProto *a = attr(np, "storage_order");
    if (a && a->has_i && a->i != 0)
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): storage_order=1 is not supported", n->name,
                       wp_op_name(n->op));
    if (n->op == WP_OP_TRANSPOSE && (a = attr(np, "perm"))) {
        if (a->n_ints > WP_MAX_DIMS)
            return wp_fail(r->err, r->path, 0, "node '%s' (Transpose): perm too long", n->name);
        for (size_t i = 0; i < a->n_ints; i++)
            n->perm[i] = a->ints[i];
    }
    if (n->op == WP_OP_GELU)
        n->gelu_tanh = strcmp(attr_str(np, "approximate", s, sizeof s), "tanh") == 0;
    return 0;
}

/* An ONNX string attribute's spelling and the WP_* value it means. */
typedef struct attr_value {
    const char *name;
    int value;
} attr_value;

/* Resize's string attribute key as one of vals (absent: the entry spelled
 * ""); an error naming what and the spelling when none matches. */
static int resize_attr(reader *r, const char *node, const Onnx__NodeProto *np, const char *key, const char *what,
                       const attr_value *vals, size_t n_vals, int *out)
{
    char s[48];
    attr_str(np, key, s, sizeof s);
    for (size_t i = 0; i < n_vals; i++)
        if (strcmp(s, vals[i].name) == 0) {
            *out = vals[i].value;
            return 0;
        }
    return wp_fail(r->err, r->path, 0, "node '%s' (Resize): %s '%s' is not supported", node, what, s);
}

/* Inputs past the first that the runtime op takes as node fields, read
 * here from constants. */
static int read_const_inputs(reader *r, wp_node *n, const Onnx__NodeProto *np)
{
    const char *name = n->name;
    const wp_dims *x = &r->g->tensors[n->in[0]].shape;
    int64_t v[2 * WP_MAX_DIMS];
    int nv = 0, rc;
    char s[48];
    switch (n->op) {
    case WP_OP_CLIP:
        for (size_t i = 1; i < np->n_input && i < 3; i++) {
            if (!np->input[i][0])
                continue;
            float store;
            if (!const_scalar(r, np->input[i], &store))
                return wp_fail(r->err, r->path, 0, "node '%s' (Clip): %s '%s' must be a constant scalar", name,
                               i == 1 ? "min" : "max", np->input[i]);
            *(i == 1 ? &n->clip_min : &n->clip_max) = store;
        }
        return 0;
    case WP_OP_RESHAPE: {
        int64_t allowzero = 0;
        attr_int(np, "allowzero", &allowzero);
        if (allowzero)
            return wp_fail(r->err, r->path, 0, "node '%s' (Reshape): allowzero=1 is not supported", name);
        rc = ints_of(r, np, NULL, 1, v, &nv, name);
        if (rc)
            return rc < 0 ? -1
                          : wp_fail(r->err, r->path, 0,
                                    "node '%s' (Reshape): the target shape must be a constant int64 initializer "
                                    "(only static reshapes are supported)",
                                    name);
        if (nv < 1 || nv > WP_MAX_DIMS)
            return wp_fail(r->err, r->path, 0, "node '%s' (Reshape): target has %d dimensions", name, nv);
        n->reshape.n = nv;
        for (int i = 0; i < nv; i++)
            n->reshape.d[i] = v[i];
        return 0;
    }
    case WP_OP_PAD: {
        if (strcmp(attr_str(np, "mode", s, sizeof s), "constant") != 0 && s[0])
            return wp_fail(r->err, r->path, 0, "node '%s' (Pad): mode '%s' is not supported (constant only)", name, s);
        rc = ints_of(r, np, "pads", 1, v, &nv, name);
        if (rc)
            return rc < 0 ? -1 : wp_fail(r->err, r->path, 0, "node '%s' (Pad): no pads", name);
        int64_t axes[2 * WP_MAX_DIMS];
        int na = 0;
        rc = ints_of(r, np, NULL, 3, axes, &na, name);
        if (rc < 0)
            return -1;
        n->n_pad_nd = 2 * x->n;
        if (rc > 0) {
            if (nv != 2 * x->n)
                return wp_fail(r->err, r->path, 0, "node '%s' (Pad): %d pads for a %d-dimensional input", name, nv,
                               x->n);
            for (int i = 0; i < nv; i++)
                n->pad_nd[i] = v[i];
        } else {
            if (nv != 2 * na)
                return wp_fail(r->err, r->path, 0, "node '%s' (Pad): pads and axes disagree", name);
            for (int i = 0; i < na; i++) {
                int64_t a = norm_axis(axes[i], x->n);
                if (a < 0 || a >= x->n)
                    return wp_fail(r->err, r->path, 0, "node '%s' (Pad): axis out of range", name);
                n->pad_nd[a] = v[i];
                n->pad_nd[x->n + a] = v[na + i];
            }
        }
        attr_float(np, "value", &n->pad_value);
        if (np->n_input > 2 && np->input[2][0]) {
            float store;
            if (!const_scalar(r, np->input[2], &store))
                return wp_fail(r->err, r->path, 0, "node '%s' (Pad): constant_value must be a constant", name);
            n->pad_value = store;
        }
        return 0;
    }
    case WP_OP_SLICE: return slice_ranges(r, np, name, x->n, n->slice_start, n->slice_end, n->slice_step);
    case WP_OP_REDUCEMEAN: {
        rc = ints_of(r, np, "axes", 1, v, &nv, name);
        if (rc < 0)
            return -1;
        int64_t noop = 0;
        attr_int(np, "noop_with_empty_axes", &noop);
        if (rc > 0 && noop)
            return wp_fail(r->err, r->path, 0, "node '%s' (ReduceMean): noop_with_empty_axes is not supported", name);
        n->reduce_axes.n = rc > 0 ? 0 : nv;
        for (int i = 0; rc == 0 && i < nv && i < WP_MAX_DIMS; i++)
            n->reduce_axes.d[i] = v[i];
        return 0;
    }
    case WP_OP_GATHER: {
        fval f;
        if (np->n_input < 2 || load_value(r, np->input[1], &f) != 0)
            return wp_fail(r->err, r->path, 0, "node '%s' (Gather): indices must be constant", name);
        int64_t cnt = fcount(&f);
        if (f.s.n > 1 || cnt > WP_MAX_DIMS) {
            fval_free(&f);
            return wp_fail(r->err, r->path, 0, "node '%s' (Gather): at most %d indices in one dimension are supported",
                           name, WP_MAX_DIMS);
        }
        n->gather_scalar = f.s.n == 0;
        n->n_gather_idx = (int)cnt;
        for (int64_t i = 0; i < cnt; i++)
            n->gather_idx[i] = to_i64(f.v[i]);
        fval_free(&f);
        return 0;
    }
    case WP_OP_RESIZE: {
        /* Resize (opset 11+): X, roi, scales, sizes; Upsample: X, scales,
         * always asymmetric coordinates and floor (its attributes are not
         * read). "" is the attribute's default. */
        static const attr_value modes[] = {{"", WP_RESIZE_NEAREST},
                                           {"nearest", WP_RESIZE_NEAREST},
                                           {"linear", WP_RESIZE_LINEAR},
                                           {"bilinear", WP_RESIZE_LINEAR}};
        static const attr_value coords[] = {{"", WP_COORD_HALF_PIXEL},
                                            {"half_pixel", WP_COORD_HALF_PIXEL},
                                            {"asymmetric", WP_COORD_ASYMMETRIC},
                                            {"align_corners", WP_COORD_ALIGN_CORNERS},
                                            {"pytorch_half_pixel", WP_COORD_PYTORCH_HALF_PIXEL}};
        static const attr_value nearests[] = {{"", WP_NEAREST_ROUND_PREFER_FLOOR},
                                              {"round_prefer_floor", WP_NEAREST_ROUND_PREFER_FLOOR},
                                              {"round_prefer_ceil", WP_NEAREST_ROUND_PREFER_CEIL},
                                              {"floor", WP_NEAREST_FLOOR},
                                              {"ceil", WP_NEAREST_CEIL}};
        int upsample = !strcmp(np->op_type, "Upsample");
        if ((rc = resize_attr(r, name, np, "mode", "mode", modes, sizeof modes / sizeof *modes, &n->resize_mode)))
            return rc;
        n->resize_coord = WP_COORD_ASYMMETRIC;
        n->resize_nearest = WP_NEAREST_FLOOR;
        if (!upsample && ((rc = resize_attr(r, name, np, "coordinate_transformation_mode", "coordinate mode", coords,
                                            sizeof coords / sizeof *coords, &n->resize_coord)) ||
                          (rc = resize_attr(r, name, np, "nearest_mode", "nearest mode", nearests,
                                            sizeof nearests / sizeof *nearests, &n->resize_nearest))))
            return rc;
        size_t si = upsample ? 1 : r->g->opset < 11 ? 1 : 2, zi = 3;
        fval f;
        const Onnx__AttributeProto *a = attr(np, "scales");
        if (a && a->n_floats == 4) {
            for (int i = 0; i < 4; i++)
                n->resize_scale[i] = a->floats[i];
            return 0;
        }
        if (zi < np->n_input && np->input[zi][0] && !upsample) {
            if (load_value(r, np->input[zi], &f) != 0 || fcount(&f) != 4) {
                if (f.v)
                    fval_free(&f);
                return wp_fail(r->err, r->path, 0, "node '%s' (Resize): sizes must be 4 constants", name);
            }
            n->reshape.n = 4;
            for (int i = 0; i < 4; i++)
                n->reshape.d[i] = to_i64(f.v[i]);
            fval_free(&f);
            return 0;
        }
        if (si < np->n_input && np->input[si][0] && load_value(r, np->input[si], &f) == 0) {
            int ok = fcount(&f) == 4;
            for (int i = 0; ok && i < 4; i++)
                n->resize_scale[i] = (float)f.v[i];
            fval_free(&f);
            if (ok)
                return 0;
        }
        return wp_fail(r->err, r->path, 0, "node '%s' (Resize): scales or sizes must be 4 constants", name);
    }
    default: return 0;
    }
}

/* Inputs the runtime node keeps as tensors (the rest became fields). */
static size_t kept_inputs(wp_op op, const Onnx__NodeProto *np)
{
    switch (op) {
    case WP_OP_CLIP:
    case WP_OP_RESHAPE:
    case WP_OP_DROPOUT:
    case WP_OP_PAD:
    case WP_OP_SLICE:
    case WP_OP_REDUCEMEAN:
    case WP_OP_GATHER:
    case WP_OP_RESIZE: return np->n_input ? 1 : 0;
    default: return np->n_input;
    }
}

/* Split of an activation: one Slice node per output, as TensorRT's parser
 * builds it. */
static int read_split(reader *r, const Onnx__NodeProto *np, const char *name, int in)
{
    const wp_dims *x = &r->g->tensors[in].shape;
    int64_t axis = 0;
    attr_int(np, "axis", &axis);
    axis = norm_axis(axis, x->n);
    if (axis < 0 || axis >= x->n)
        return wp_fail(r->err, r->path, 0, "node '%s' (Split): axis out of range", name);
    int64_t sizes[2 * WP_MAX_DIMS];
    int ns = 0;
    int rc = ints_of(r, np, "split", 1, sizes, &ns, name);
    if (rc < 0)
        return -1;
    size_t no = np->n_output;
    if (no < 1 || no > 2 * WP_MAX_DIMS)
        return wp_fail(r->err, r->path, 0, "node '%s' (Split): %zu outputs", name, no);
    if (rc > 0) {
        int64_t each = (x->d[axis] + (int64_t)no - 1) / (int64_t)no;
        for (size_t i = 0; i < no; i++)
            sizes[i] = i + 1 < no ? each : x->d[axis] - each * (int64_t)(no - 1);
        ns = (int)no;
    }
    if ((size_t)ns != no)
        return wp_fail(r->err, r->path, 0, "node '%s' (Split): %d sizes for %zu outputs", name, ns, no);
    int64_t at = 0;
    for (size_t i = 0; i < no; i++) {
        char nm[600];
        snprintf(nm, sizeof nm, "%s_%zu", name, i);
        int out = new_output(r, name, "Split", np->output[i]);
        if (out < 0)
            return -1;
        int src = in;
        wp_node *n = wp_graph_add_node(r->g, WP_OP_SLICE, nm, 1, &src, 1, &out);
        if (!n)
            return wp_fail(r->err, r->path, 0, "out of memory");
        n->slice_start[axis] = at;
        n->slice_end[axis] = at + sizes[i];
        at += sizes[i];
        if (infer_last(r))
            return -1;
    }
    if (at != x->d[axis])
        return wp_fail(r->err, r->path, 0, "node '%s' (Split): sizes do not add up to %" PRId64, name, x->d[axis]);
    return 0;
}

static int read_node(reader *r, const Onnx__NodeProto *np, size_t index)
{
    wp_graph *g = r->g;
    char name[512];
    unique_name(g, np->name, index, name, sizeof name);
    const char *op_type = np->op_type ? np->op_type : "";
    wp_op op;
    if (!op_known(np, &op))
        return wp_fail(r->err, r->path, 0, "node '%s': unsupported operator '%s'", name, op_type);
    if (np->n_output < 1 || !np->output[0][0])
        return wp_fail(r->err, r->path, 0, "node '%s' (%s) has no output", name, op_type);
    if (np->n_input > 64)
        return wp_fail(r->err, r->path, 0, "node '%s' (%s) has too many inputs", name, op_type);

    int rc = fold_node(r, np, name);
    if (rc <= 0)
        return rc;
    /* Some input is an activation: a runtime node (or a rewrite). */
    int in[64];
    for (size_t i = 0; i < np->n_input; i++) {
        if (!np->input[i][0]) {
            in[i] = -1;
            continue;
        }
        in[i] = find_tensor(r, np->input[i]);
        if (in[i] < 0 && (i == 0 || op != WP_OP_COUNT) && !find_int_const(r, np->input[i]))
            return wp_fail(r->err, r->path, 0,
                           "node '%s' (%s): input '%s' is not produced by an earlier node "
                           "(graph not topologically sorted?)",
                           name, op_type, np->input[i]);
    }
    if (np->n_input < 1 || in[0] < 0)
        return wp_fail(r->err, r->path, 0, "node '%s' (%s): the first input must be a float tensor", name, op_type);
    const wp_dims *x = &g->tensors[in[0]].shape;
    if (!strcmp(op_type, "Identity") || (!strcmp(op_type, "Cast") && !g->tensors[in[0]].is_const)) {
        int64_t to = 1;
        attr_int(np, "to", &to);
        if (!strcmp(op_type, "Cast") && to != 1)
            return wp_fail(r->err, r->path, 0,
                           "node '%s' (Cast): casting activations to type %" PRId64 " is not supported (float32 only)",
                           name, to);
        if (name_defined(r, np->output[0]))
            return wp_fail(r->err, r->path, 0, "node '%s' (%s): output '%s' is defined twice", name, op_type,
                           np->output[0]);
        return add_alias(r, np->output[0], in[0]);
    }
    if (!strcmp(op_type, "Squeeze") || !strcmp(op_type, "Unsqueeze")) {
        wp_dims t;
        if (squeeze_target(r, np, name, x, !strcmp(op_type, "Unsqueeze"), &t))
            return -1;
        return add_reshape(r, name, in[0], np->output[0], op_type, &t);
    }
    if (!strcmp(op_type, "Split"))
        return read_split(r, np, name, in[0]);
    if (!strcmp(op_type, "Upsample"))
        op = WP_OP_RESIZE;
    if (op == WP_OP_COUNT)
        return wp_fail(r->err, r->path, 0,
                       "node '%s' (%s): only supported on constants (shape computations), not on activations", name,
                       op_type);
    size_t keep = kept_inputs(op, np);
    for (size_t i = 0; i < keep; i++)
        if (in[i] < 0 && np->input[i][0])
            return wp_fail(r->err, r->path, 0, "node '%s' (%s): input '%s' is an integer tensor", name, op_type,
                           np->input[i]);
    if (op == WP_OP_CONCAT) {
        /* Empty parts (see below) contribute nothing. */
        size_t k = 0;
        for (size_t i = 0; i < keep; i++)
            if (!(in[i] >= 0 && g->tensors[in[i]].is_const && wp_dims_count(&g->tensors[in[i]].shape) == 0))
                in[k++] = in[i];
        keep = k;
    }
    int out = new_output(r, name, op_type, np->output[0]);
    if (out < 0)
        return -1;
    wp_node *n = wp_graph_add_node(g, op, name, keep, in, 1, &out);
    if (!n)
        return wp_fail(r->err, r->path, 0, "out of memory");
    if (read_attributes(r, n, np) || read_const_inputs(r, n, np))
        return -1;
    if (op == WP_OP_SLICE) {
        /* An empty slice (torch.roll by 0 and the like: Swin) is only ever
         * concatenated: it becomes an empty constant, not a layer. */
        for (int a = 0; a < x->n; a++) {
            int64_t first;
            if (n->slice_step[a] != 0 &&
                wp__onnx_slice_axis(x->d[a], n->slice_start[a], n->slice_end[a], n->slice_step[a], &first) == 0) {
                wp_tensor *t = &g->tensors[out];
                t->shape = *x;
                t->shape.d[a] = 0;
                t->is_const = 1;
                t->data = calloc(1, sizeof(float));
                g->n_nodes--;
                free(n->name);
                free(n->in);
                free(n->out);
                return t->data ? 0 : wp_fail(r->err, r->path, 0, "out of memory");
            }
        }
    }
    return infer_last(r);
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
    if (check_operators(r, gp))
        return -1;
    if (gp->n_sparse_initializer)
        return wp_fail(r->err, r->path, 0, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (read_initializer(r, gp->initializer[i]))
            return -1;
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || name_defined(r, vi->name))
            continue; /* an initializer listed as input (IR < 4 style) */
        if (g->input >= 0)
            return wp_fail(r->err, r->path, 0, "the graph has more than one input ('%s', '%s')",
                           g->tensors[g->input].name, vi->name);
        wp_dims d;
        if (read_value_shape(r, vi, &d))
            return -1;
        if (input) {
            if (d.n && d.n != input->n)
                return wp_fail(r->err, r->path, 0, "wrong input shape: '%s' has %d dimensions, %d given", vi->name, d.n,
                               input->n);
            d = *input;
        } else {
            if (d.n == 0)
                return wp_fail(r->err, r->path, 0, "graph input '%s' has no shape; give one (--input)", vi->name);
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
    if (gp->n_output < 1)
        return wp_fail(r->err, r->path, 0, "the graph has no outputs");
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *nm = gp->output[i]->name ? gp->output[i]->name : "";
        int t = find_tensor(r, nm);
        if (t < 0 && find_int_const(r, nm))
            return wp_fail(r->err, r->path, 0, "graph output '%s' is an integer constant", nm);
        if (t < 0)
            return wp_fail(r->err, r->path, 0, "graph output '%s' is not produced by any node", nm);
        if (g->tensors[t].is_const || t == g->input)
            return wp_fail(r->err, r->path, 0, "graph output '%s' does not depend on the input", nm);
        if (wp_graph_add_output(g, t))
            return wp_fail(r->err, r->path, 0, "out of memory");
    }
    if (g->n_nodes == 0)
        return wp_fail(r->err, r->path, 0, "the graph has no nodes");
    wp_error sub;
    if (wp_graph_infer_shapes(g, &sub))
        return wp_fail(r->err, r->path, 0, "%s", sub.msg);
    return 0;
}

static void reader_free(reader *r)
{
    for (size_t i = 0; i < r->n_ints; i++) {
        free(r->ints[i].name);
        free(r->ints[i].v);
    }
    free(r->ints);
    for (size_t i = 0; i < r->n_aliases; i++)
        free(r->aliases[i].name);
    free(r->aliases);
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
    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.g = g;
    r.err = err;
    int rc = read_model(&r, m, input);
    reader_free(&r);
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
    if (wp_grow(&a->p, &a->cap, a->n, 256, sizeof *a->p) != 0) {
        a->failed = 1;
        return NULL;
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
    const wp_tensor *t; /* float weights, or NULL for extras */
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
    case WP_OP_BATCHNORM: put_float(&l, "epsilon", n->epsilon); break;
    case WP_OP_CONCAT:
    case WP_OP_FLATTEN:
    case WP_OP_SOFTMAX: put_int(&l, "axis", n->axis); break;
    case WP_OP_HARDSIGMOID:
        put_float(&l, "alpha", n->alpha);
        put_float(&l, "beta", n->beta);
        break;
    case WP_OP_TRANSPOSE: put_ints(&l, "perm", n->perm, (size_t)g->tensors[n->in[0]].shape.n); break;
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
    default: break;
    }
    np->n_attribute = l.n;
    np->attribute = l.attrs;
    return a->failed ? -1 : 0;
}

int wp_onnx_write(const char *path, const wp_graph *g, wp_error *err)
{
    if (g->input < 0 || g->output < 0)
        return wp_fail(err, path, 0, "graph has no input or output");
    /* Ops whose fields would need extra initializers or a newer opset
     * than the writer's 13: graphs built by zoo never have them. */
    for (size_t i = 0; i < g->n_nodes; i++)
        switch (g->nodes[i].op) {
        case WP_OP_GELU:
        case WP_OP_PAD:
        case WP_OP_SLICE:
        case WP_OP_GATHER:
        case WP_OP_REDUCEMEAN:
        case WP_OP_LAYERNORM:
        case WP_OP_RESIZE:
            return wp_fail(err, path, 0, "node '%s': writing %s is not supported", g->nodes[i].name,
                           wp_op_name(g->nodes[i].op));
        default: break;
        }
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
    size_t n_out = g->n_outputs ? g->n_outputs : 1;
    Onnx__ValueInfoProto **vout = arena_alloc(&a, n_out * sizeof *vout);
    for (size_t i = 0; vout && i < n_out; i++)
        vout[i] = value_info(&a, &g->tensors[g->n_outputs ? g->outputs[i] : g->output]);
    if (!vin || !vout || a.failed) {
        wp_fail(err, path, 0, "out of memory");
        goto done;
    }
    gp.n_input = 1;
    gp.input = &vin;
    gp.n_output = n_out;
    gp.output = vout;
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
