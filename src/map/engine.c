/* TensorRT engine-inspector JSON reader.
 *
 * jansson builds the tree (engine files are small), but it keeps no source
 * positions for values. Errors must still name the line, so a small scanner
 * walks the raw text along the JSON path of the offending value and reports
 * the line where it sits; it only runs after jansson accepted the document,
 * so it can assume well-formed input. */
#include "wattprof/engine.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wp_layer_kind wp_layer_kind_from_type(const char *layer_type)
{
    if (!layer_type)
        return WP_KIND_OTHER;
    if (strcmp(layer_type, "CaskConvolution") == 0)
        return WP_KIND_CONV;
    if (strcmp(layer_type, "CaskPooling") == 0)
        return WP_KIND_POOL;
    if (strcmp(layer_type, "CaskGemmConvolution") == 0)
        return WP_KIND_DENSE;
    return WP_KIND_OTHER;
}

const char *wp_layer_kind_name(wp_layer_kind kind)
{
    switch (kind) {
    case WP_KIND_CONV: return "convolutional";
    case WP_KIND_POOL: return "pooling";
    case WP_KIND_DENSE: return "dense";
    case WP_KIND_NORM: return "normalization";
    case WP_KIND_ACT: return "activation";
    case WP_KIND_ELTWISE: return "elementwise";
    case WP_KIND_SHAPE: return "reshape";
    case WP_KIND_SOFTMAX: return "softmax";
    case WP_KIND_MATMUL: return "matmul";
    case WP_KIND_OTHER: break;
    }
    return "other";
}

int wp_engine_datatype_bytes(const char *format)
{
    if (!format)
        return 0;
    static const struct {
        const char *word;
        int bytes;
    } types[] = {
        {"FP32", 4},  {"Float", 4}, {"FP16", 2}, {"BF16", 2}, {"Half", 2}, {"Int64", 8}, {"INT64", 8},
        {"Int32", 4}, {"INT32", 4}, {"Int8", 1}, {"INT8", 1}, {"FP8", 1},  {"UInt8", 1}, {"Bool", 1},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strstr(format, types[i].word))
            return types[i].bytes;
    return 0;
}

/* ---- source positions ------------------------------------------------- */

/* One step of a JSON path: an object key, or (key == NULL) an array index. */
typedef struct {
    const char *key;
    size_t idx;
} jstep;

typedef struct {
    const char *s;
    size_t n, i;
    long line;
} jscan;

static void js_ws(jscan *j)
{
    while (j->i < j->n) {
        char c = j->s[j->i];
        if (c == '\n')
            j->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        j->i++;
    }
}

/* At an opening quote: skips the string, giving its raw (escaped) body. */
static void js_string(jscan *j, size_t *start, size_t *len)
{
    j->i++;
    *start = j->i;
    while (j->i < j->n && j->s[j->i] != '"') {
        if (j->s[j->i] == '\\')
            j->i++;
        j->i++;
    }
    *len = (j->i < j->n ? j->i : j->n) - *start;
    if (j->i < j->n)
        j->i++;
}

static void js_skip(jscan *j)
{
    js_ws(j);
    if (j->i >= j->n)
        return;
    size_t a, b;
    char c = j->s[j->i];
    if (c == '"') {
        js_string(j, &a, &b);
        return;
    }
    if (c == '{' || c == '[') {
        int depth = 0;
        while (j->i < j->n) {
            c = j->s[j->i];
            if (c == '"') {
                js_string(j, &a, &b);
                continue;
            }
            if (c == '\n')
                j->line++;
            else if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    j->i++;
                    return;
                }
            }
            j->i++;
        }
        return;
    }
    while (j->i < j->n && !strchr(",}] \t\r\n", j->s[j->i]))
        j->i++;
}

/* Past the current member or element: 1 at the next one (its ',' taken),
 * 0 at the container's end or where the text is malformed. */
static int js_next_item(jscan *j)
{
    js_skip(j);
    js_ws(j);
    if (j->i < j->n && j->s[j->i] == ',') {
        j->i++;
        return 1;
    }
    return 0;
}

/* Walks j to the value at path: 1 there, 0 where the path does not exist.
 * *best gets the line of the value (of its key for an object member), or of
 * the deepest enclosing value found. */
static int json_seek(jscan *j0, const jstep *path, int np, long *best_out)
{
    jscan j = *j0;
    const char *s = j.s;
    size_t n = j.n;
    int found = 0;
    js_ws(&j);
    long best = j.line;
    for (int k = 0; k < np; k++) {
        js_ws(&j);
        if (j.i >= n)
            goto done;
        if (path[k].key) {
            if (s[j.i] != '{')
                goto done;
            j.i++;
            for (;;) {
                js_ws(&j);
                if (j.i >= n || s[j.i] != '"')
                    goto done;
                long keyline = j.line;
                size_t a, len;
                js_string(&j, &a, &len);
                js_ws(&j);
                if (j.i < n && s[j.i] == ':')
                    j.i++;
                if (len == strlen(path[k].key) && memcmp(s + a, path[k].key, len) == 0) {
                    best = keyline;
                    break;
                }
                if (!js_next_item(&j))
                    goto done;
            }
        } else {
            if (s[j.i] != '[')
                goto done;
            j.i++;
            for (size_t e = 0;; e++) {
                js_ws(&j);
                if (j.i >= n || s[j.i] == ']')
                    goto done;
                if (e == path[k].idx) {
                    best = j.line;
                    break;
                }
                if (!js_next_item(&j))
                    goto done;
            }
        }
    }
    found = 1;
done:
    *best_out = best;
    *j0 = j;
    return found;
}

/* Line of the value at path (see json_seek). Rescans from the start: for
 * one error message; per-element lines come from json_element_lines. */
static long json_line_of(const char *s, size_t n, const jstep *path, int np)
{
    jscan j = {s, n, 0, 1};
    long best;
    json_seek(&j, path, np, &best);
    return best;
}

/* Lines of the first `count` elements of the array at path, in one pass
 * (a per-element json_line_of made reading an engine file quadratic in its
 * layers: 8,000 layers took minutes). Elements not found keep line 0. */
static void json_element_lines(const char *s, size_t n, const jstep *path, int np, long *lines, size_t count)
{
    jscan j = {s, n, 0, 1};
    long best;
    for (size_t e = 0; e < count; e++)
        lines[e] = 0;
    if (!json_seek(&j, path, np, &best))
        return;
    js_ws(&j);
    if (j.i >= n || s[j.i] != '[')
        return;
    j.i++;
    for (size_t e = 0; e < count; e++) {
        js_ws(&j);
        if (j.i >= n || s[j.i] == ']')
            return;
        lines[e] = j.line;
        if (!js_next_item(&j))
            return;
    }
}

/* ---- tree walking ------------------------------------------------------ */

#define MAX_DEPTH 8

typedef struct {
    const char *text;
    size_t len;
    const char *path;
    wp_error *err;
    jstep p[MAX_DEPTH];
    int np;
} ectx;

static void push_key(ectx *c, const char *key)
{
    c->p[c->np].key = key;
    c->p[c->np].idx = 0;
    c->np++;
}

static void push_idx(ectx *c, size_t idx)
{
    c->p[c->np].key = NULL;
    c->p[c->np].idx = idx;
    c->np++;
}

static int efail(ectx *c, const char *fmt, ...) WP_PRINTF(2, 3);
static int efail(ectx *c, const char *fmt, ...)
{
    char msg[WP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long line = json_line_of(c->text, c->len, c->p, c->np);
    return wp_fail(c->err, c->path, line, "%s", msg);
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Member key of obj, of JSON type `type` (`want` describes it in the error).
 * NULL when absent (*rc = 0) or of another type (*rc = -1, error filled).
 * Otherwise key is on the error path; the caller pops it (c->np--). */
static json_t *member(ectx *c, json_t *obj, const char *key, const char *what, json_type type, const char *want,
                      int *rc)
{
    json_t *v = json_object_get(obj, key);
    *rc = 0;
    if (!v)
        return NULL;
    push_key(c, key);
    if (json_typeof(v) != type) {
        *rc = efail(c, "%s: \"%s\" must be %s, not %s", what, key, want, json_kind(v));
        return NULL;
    }
    return v;
}

/* Optional string member; *out stays NULL when absent. */
static int get_string(ectx *c, json_t *obj, const char *key, int required, const char *what, char **out)
{
    int rc;
    json_t *v = member(c, obj, key, what, JSON_STRING, "a string", &rc);
    *out = NULL;
    if (!v) {
        if (rc == 0 && required)
            return efail(c, "%s has no \"%s\"", what, key);
        return rc;
    }
    c->np--;
    *out = strdup(json_string_value(v));
    if (!*out)
        return wp_fail(c->err, c->path, 0, "out of memory");
    return 0;
}

static int get_int(ectx *c, json_t *obj, const char *key, const char *what, int64_t *out, int *present)
{
    int rc;
    json_t *v = member(c, obj, key, what, JSON_INTEGER, "an integer", &rc);
    *present = v != NULL || rc != 0;
    if (!v)
        return rc;
    c->np--;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* An array of integers into out[0..max-1]; *count gets its length (-1 when
 * absent). */
static int get_int_array(ectx *c, json_t *obj, const char *key, const char *what, int64_t *out, int max, int *count)
{
    int rc;
    json_t *v = member(c, obj, key, what, JSON_ARRAY, "an array of integers", &rc);
    *count = -1;
    if (!v)
        return rc;
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_integer(e)) {
            push_idx(c, i);
            return efail(c, "%s: \"%s\"[%zu] must be an integer, not %s", what, key, i, json_kind(e));
        }
        if ((int)i < max)
            out[i] = (int64_t)json_integer_value(e);
    }
    if (n > (size_t)max)
        return efail(c, "%s: \"%s\" has %zu values, at most %d are supported", what, key, n, max);
    c->np--;
    *count = (int)n;
    return 0;
}

/* A 2-value spatial attribute (Kernel, Stride, ...). Layers wattprof models
 * must have exactly two values; for other layer types an unusual length
 * just leaves the attribute unset. */
static int get_pair(ectx *c, json_t *obj, const char *key, const char *what, int strict, int64_t out[2], int *has)
{
    int64_t tmp[WP_MAX_DIMS];
    int count;
    *has = 0;
    if (get_int_array(c, obj, key, what, tmp, WP_MAX_DIMS, &count) != 0)
        return -1;
    if (count < 0)
        return 0;
    if (count != 2) {
        if (!strict)
            return 0;
        push_key(c, key);
        return efail(c, "%s: \"%s\" must hold 2 values (a 2-D layer), not %d", what, key, count);
    }
    out[0] = tmp[0];
    out[1] = tmp[1];
    *has = 1;
    return 0;
}

/* "Inputs" or "Outputs": a list of tensors with their Dimensions. */
static int get_tensors(ectx *c, json_t *obj, const char *key, const char *what, wp_dims **out, int *n_out,
                       int *elem_bytes)
{
    int rc;
    json_t *v = member(c, obj, key, what, JSON_ARRAY, "an array", &rc);
    *out = NULL;
    *n_out = 0;
    if (!v)
        return rc;
    size_t n = json_array_size(v);
    if (n == 0) {
        c->np--;
        return 0;
    }
    *out = calloc(n, sizeof **out);
    if (!*out)
        return wp_fail(c->err, c->path, 0, "out of memory");
    *n_out = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(v, i);
        push_idx(c, i);
        if (!json_is_object(t))
            return efail(c, "%s: \"%s\"[%zu] must be an object, not %s", what, key, i, json_kind(t));
        int count;
        if (get_int_array(c, t, "Dimensions", what, (*out)[i].d, WP_MAX_DIMS, &count) != 0)
            return -1;
        (*out)[i].n = count < 0 ? 0 : count;
        if (i == 0 && elem_bytes) {
            json_t *f = json_object_get(t, "Format/Datatype");
            if (f && json_is_string(f))
                *elem_bytes = wp_engine_datatype_bytes(json_string_value(f));
        }
        c->np--;
    }
    c->np--;
    return 0;
}

/* ---- TensorRT 10 generated layers ----------------------------------------- */

/* ONNX operator of a "[ONNX Layer: /a/b/Op_3]" name as exporters write it:
 * the last path part without a "_N" suffix. */
static void onnx_op(const char *name, size_t len, char *op, size_t cap)
{
    const char *slash = NULL;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/')
            slash = name + i;
    const char *b = slash ? slash + 1 : name;
    size_t n = (size_t)(name + len - b);
    size_t k = n;
    while (k > 0 && b[k - 1] >= '0' && b[k - 1] <= '9')
        k--;
    if (k > 0 && k < n && b[k - 1] == '_')
        n = k - 1;
    if (n >= cap)
        n = cap - 1;
    memcpy(op, b, n);
    op[n] = '\0';
}

/* The distinct ONNX operators Metadata names ("[ONNX Layer: X]" entries,
 * joined by 0x1f), comma-separated into ops; returns how many entries. */
static int metadata_ops(const char *md, char *ops, size_t cap)
{
    static const char tag[] = "[ONNX Layer: ";
    int entries = 0;
    ops[0] = '\0';
    for (const char *p = md ? strstr(md, tag) : NULL; p; p = strstr(p, tag)) {
        p += sizeof tag - 1;
        const char *e = strchr(p, ']');
        if (!e)
            break;
        char op[64];
        onnx_op(p, (size_t)(e - p), op, sizeof op);
        entries++;
        /* the list is for people: each operator once */
        size_t ol = strlen(op), n = strlen(ops);
        int seen = 0;
        for (const char *q = ops; *q && !seen;) {
            const char *c = strchr(q, ',');
            size_t ql = c ? (size_t)(c - q) : strlen(q);
            seen = ql == ol && strncmp(q, op, ol) == 0;
            q = c ? c + 1 : q + ql;
        }
        if (!seen && ol && n + ol + 2 < cap) {
            if (n)
                ops[n++] = ',';
            memcpy(ops + n, op, ol + 1);
        }
        p = e;
    }
    return entries;
}

static int has_op(const char *ops, const char *op)
{
    size_t ol = strlen(op);
    for (const char *q = ops; *q;) {
        const char *c = strchr(q, ',');
        size_t ql = c ? (size_t)(c - q) : strlen(q);
        if (ql == ol && strncmp(q, op, ol) == 0)
            return 1;
        q = c ? c + 1 : q + ql;
    }
    return 0;
}

static int generated_type(const wp_engine_layer *l)
{
    const char *t = l->type ? l->type : "";
    return strcmp(t, "gemm") == 0 || strcmp(t, "kgen") == 0 || strcmp(t, "Myelin") == 0 ||
           strcmp(t, "ForeignNode") == 0 || strncmp(l->name, "{ForeignNode[", 13) == 0;
}

static int set_reason(wp_engine_layer *l, ectx *c, const char *fmt, const char *a, const char *b)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, a, b);
    free(l->kind_reason);
    l->kind_reason = strdup(buf);
    return l->kind_reason ? 0 : wp_fail(c->err, c->path, 0, "out of memory");
}

/* [N, C, H, W] with H x W > 1 -> [N, C, 1, 1] or [N, C]: a global pooling's
 * shapes (a fused pooling + flatten gives the 2-D one). */
static int global_pool_shapes(const wp_engine_layer *l)
{
    const wp_dims *i = &l->input, *o = &l->output;
    if (i->n != 4 || i->d[2] * i->d[3] <= 1)
        return 0;
    if (o->n == 4)
        return o->d[0] == i->d[0] && o->d[1] == i->d[1] && o->d[2] == 1 && o->d[3] == 1;
    return o->n == 2 && o->d[0] == i->d[0] && o->d[1] == i->d[1];
}

/* Decides a generated layer's kind from what it does. */
static int classify_generated(ectx *c, json_t *obj, wp_engine_layer *l)
{
    if (!generated_type(l))
        return 0;
    json_t *md = json_object_get(obj, "Metadata");
    char ops[256];
    int entries = metadata_ops(json_is_string(md) ? json_string_value(md) : NULL, ops, sizeof ops);
    const char *t = l->type;
    l->kind = WP_KIND_OTHER;
    int foreign =
        strcmp(t, "Myelin") == 0 || strcmp(t, "ForeignNode") == 0 || strncmp(l->name, "{ForeignNode[", 13) == 0;
    if (foreign)
        return set_reason(l, c, "a Myelin sub-graph run as one layer%s%s: the operations inside cannot be told apart",
                          ops[0] ? " fusing " : "", ops);
    if (strcmp(t, "gemm") == 0) {
        /* A product of two activations (attention's QK^T, AV) has no
         * weights and is no dense layer. Weights appear as a Weights
         * object, or as an input of rank 2 beside a batched activation. */
        int act = 0;
        for (int k = 0; k < l->n_inputs; k++)
            act += l->inputs[k].n >= 3;
        if ((has_op(ops, "MatMul") && !has_op(ops, "Gemm") && act >= 2) || (entries == 0 && act >= 2))
            return set_reason(l, c,
                              "gemm of two activations (%s%s): a matrix product without weights, not a dense "
                              "layer",
                              ops[0] ? ops : "no metadata", "");
        if (l->input.n < 2 || l->output.n < 2)
            return set_reason(l, c, "gemm without input and output dimensions%s%s", ops[0] ? ": " : "", ops);
        l->kind = WP_KIND_DENSE;
        return set_reason(l, c, "gemm (Myelin) classified as dense%s%s", ops[0] ? ": " : "", ops);
    }
    /* kgen: generated elementwise / reduction kernels */
    int pool_op = has_op(ops, "GlobalAveragePool") || has_op(ops, "GlobalMaxPool") || has_op(ops, "ReduceMean") ||
                  has_op(ops, "ReduceMax") || has_op(ops, "AveragePool") || has_op(ops, "MaxPool");
    if (global_pool_shapes(l) && (pool_op || entries == 0)) {
        int is_max = has_op(ops, "GlobalMaxPool") || has_op(ops, "ReduceMax") || has_op(ops, "MaxPool");
        free(l->pooling_type);
        l->pooling_type = strdup(is_max ? "MAX" : "AVERAGE");
        if (!l->pooling_type)
            return wp_fail(c->err, c->path, 0, "out of memory");
        /* global: the window is the whole map (has_window stays 0) and the
         * output is [N, C, 1, 1] whether or not a flatten was fused */
        if (l->output.n == 2) {
            l->output.n = 4;
            l->output.d[2] = l->output.d[3] = 1;
            if (l->n_outputs > 0)
                l->outputs[0] = l->output;
        }
        l->kind = WP_KIND_POOL;
        return set_reason(l, c, "kgen reducing each channel's whole map: global pooling%s%s", ops[0] ? ": " : "", ops);
    }
    if (pool_op)
        return set_reason(l, c, "kgen fusing pooling (%s)%s: its window is not in the engine info", ops, "");
    return set_reason(l, c, "kgen (generated kernel)%s%s: elementwise or activation work, not a modelled layer kind",
                      ops[0] ? " fusing " : " without operation metadata", ops);
}

static void layer_free(wp_engine_layer *l)
{
    free(l->name);
    free(l->type);
    free(l->pooling_type);
    free(l->parameter_type);
    free(l->kind_reason);
    free(l->ops);
    free(l->fused_into);
    free(l->inputs);
    free(l->outputs);
    memset(l, 0, sizeof *l);
}

static int read_layer(ectx *c, json_t *obj, size_t index, long line, wp_engine_layer *l)
{
    char what[64];
    snprintf(what, sizeof what, "layer %zu", index);
    l->groups = 1;
    l->weights_count = -1;
    l->line = line;
    if (json_is_string(obj))
        return efail(c,
                     "%s is a bare name (\"%.80s\"): rebuild the engine with detailed profiling verbosity "
                     "so the inspector writes layer attributes",
                     what, json_string_value(obj));
    if (!json_is_object(obj))
        return efail(c, "%s must be an object, not %s", what, json_kind(obj));
    if (get_string(c, obj, "Name", 1, what, &l->name) != 0)
        return -1;
    char named[WP_ERROR_MAX / 2];
    snprintf(named, sizeof named, "layer \"%.300s\"", l->name);
    if (get_string(c, obj, "LayerType", 1, named, &l->type) != 0 ||
        get_string(c, obj, "ParameterType", 0, named, &l->parameter_type) != 0 ||
        get_string(c, obj, "PoolingType", 0, named, &l->pooling_type) != 0 ||
        get_string(c, obj, "FusedInto", 0, named, &l->fused_into) != 0)
        return -1;
    l->kind = wp_layer_kind_from_type(l->type);
    int strict = l->kind != WP_KIND_OTHER;
    if (get_tensors(c, obj, "Inputs", named, &l->inputs, &l->n_inputs, &l->elem_bytes) != 0 ||
        get_tensors(c, obj, "Outputs", named, &l->outputs, &l->n_outputs, NULL) != 0)
        return -1;
    if (l->n_inputs > 0)
        l->input = l->inputs[0];
    if (l->n_outputs > 0)
        l->output = l->outputs[0];
    int has_pre, has_post, present;
    if (get_pair(c, obj, "Kernel", named, strict, l->kernel, &l->has_kernel) != 0 ||
        get_pair(c, obj, "WindowSize", named, strict, l->window, &l->has_window) != 0 ||
        get_pair(c, obj, "Stride", named, strict, l->stride, &l->has_stride) != 0 ||
        get_pair(c, obj, "PrePadding", named, strict, l->pre_padding, &has_pre) != 0 ||
        get_pair(c, obj, "PostPadding", named, strict, l->post_padding, &has_post) != 0 ||
        get_pair(c, obj, "Dilation", named, strict, l->dilation, &l->has_dilation) != 0)
        return -1;
    /* A layer with only one side of padding is padded on that side alone. */
    l->has_padding = has_pre || has_post;
    if (get_int(c, obj, "Groups", named, &l->groups, &present) != 0)
        return -1;
    if (!present)
        l->groups = 1;
    if (get_int(c, obj, "OutMaps", named, &l->out_maps, &present) != 0)
        return -1;
    if (!present)
        l->out_maps = 0;
    json_t *w = json_object_get(obj, "Weights");
    if (w && json_is_object(w)) {
        push_key(c, "Weights");
        if (get_int(c, w, "Count", named, &l->weights_count, &present) != 0)
            return -1;
        if (!present)
            l->weights_count = -1;
        c->np--;
    }
    /* What the layer computes, for its per-element cost: wattprof's ONNX
     * path names the operator in Origin, TensorRT in Metadata's ONNX
     * layers. Informative only: a value of another type is ignored. */
    json_t *origin = json_object_get(obj, "Origin"), *md = json_object_get(obj, "Metadata");
    char ops[256] = "";
    if (json_is_string(origin))
        snprintf(ops, sizeof ops, "%s", json_string_value(origin));
    else if (json_is_string(md))
        metadata_ops(json_string_value(md), ops, sizeof ops);
    if (ops[0] && !(l->ops = strdup(ops)))
        return wp_fail(c->err, c->path, 0, "out of memory");
    return classify_generated(c, obj, l);
}

typedef struct {
    const char *name;
    size_t idx;
} name_idx;

static int cmp_name_idx(const void *a, const void *b)
{
    const name_idx *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    if (r)
        return r;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int build_index(wp_engine *eng)
{
    if (eng->n == 0)
        return 0;
    name_idx *tmp = malloc(eng->n * sizeof *tmp);
    eng->by_name = malloc(eng->n * sizeof *eng->by_name);
    if (!tmp || !eng->by_name) {
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < eng->n; i++) {
        tmp[i].name = eng->layers[i].name;
        tmp[i].idx = i;
    }
    qsort(tmp, eng->n, sizeof *tmp, cmp_name_idx);
    for (size_t i = 0; i < eng->n; i++)
        eng->by_name[i] = tmp[i].idx;
    free(tmp);
    return 0;
}

/* Layers are matched to latencies and mappings by name: a second layer of
 * the same name would silently take the first one's measurements. */
static int check_unique_names(const wp_engine *eng, const char *path, wp_error *err)
{
    for (size_t k = 1; k < eng->n; k++) {
        const wp_engine_layer *a = &eng->layers[eng->by_name[k - 1]], *b = &eng->layers[eng->by_name[k]];
        if (strcmp(a->name, b->name) == 0)
            return wp_fail(err, path, b->line, "duplicate layer name \"%.300s\" (also layer %zu, line %ld)", b->name,
                           eng->by_name[k - 1], a->line);
    }
    return 0;
}

/* A fused layer's time is in the layer it names: one that is not there, or
 * is itself fused, would leave that work in no layer at all. */
static int check_fused_into(const wp_engine *eng, const char *path, wp_error *err)
{
    for (size_t i = 0; i < eng->n; i++) {
        const wp_engine_layer *l = &eng->layers[i];
        if (!l->fused_into)
            continue;
        const wp_engine_layer *host = wp_engine_find(eng, l->fused_into);
        if (!host || host == l || host->fused_into)
            return wp_fail(err, path, l->line, "layer \"%.300s\": FusedInto \"%.300s\" is %s", l->name, l->fused_into,
                           !host       ? "not a layer of this engine"
                           : host == l ? "the layer itself"
                                       : "itself fused");
    }
    return 0;
}

int wp_engine_parse(const char *text, size_t len, const char *path, wp_engine *eng, wp_error *err)
{
    memset(eng, 0, sizeof *eng);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root)
        return wp_fail(err, path, jerr.line > 0 ? jerr.line : 1, "malformed JSON: %s", jerr.text);
    ectx c = {text, len, path, err, {{0, 0}}, 0};
    int rc = -1;
    if (!json_is_object(root)) {
        efail(&c, "engine info must be a JSON object with \"Layers\", not %s", json_kind(root));
        goto out;
    }
    json_t *cache = json_object_get(root, "DeviceCacheBytes");
    if (cache) {
        push_key(&c, "DeviceCacheBytes");
        if (!json_is_integer(cache) || json_integer_value(cache) < 0) {
            efail(&c, "\"DeviceCacheBytes\" must be a non-negative integer (bytes)");
            goto out;
        }
        eng->cache_bytes = (int64_t)json_integer_value(cache);
        c.np--;
    }
    json_t *block = json_object_get(root, "DeviceChannelBlock");
    if (block) {
        push_key(&c, "DeviceChannelBlock");
        if (!json_is_integer(block) || json_integer_value(block) < 0 || json_integer_value(block) > 4096) {
            efail(&c, "\"DeviceChannelBlock\" must be an integer from 0 to 4096 (channels)");
            goto out;
        }
        eng->channel_block = (int)json_integer_value(block);
        c.np--;
    }
    json_t *layers = json_object_get(root, "Layers");
    if (!layers) {
        efail(&c, "engine info has no \"Layers\"");
        goto out;
    }
    push_key(&c, "Layers");
    if (!json_is_array(layers)) {
        efail(&c, "\"Layers\" must be an array, not %s", json_kind(layers));
        goto out;
    }
    size_t n = json_array_size(layers);
    long *lines = NULL;
    if (n > 0) {
        eng->layers = calloc(n, sizeof *eng->layers);
        lines = malloc(n * sizeof *lines);
        if (!eng->layers || !lines) {
            free(lines);
            wp_fail(err, path, 0, "out of memory");
            goto out;
        }
        json_element_lines(text, len, c.p, c.np, lines, n);
    }
    for (size_t i = 0; i < n; i++) {
        eng->n = i + 1;
        push_idx(&c, i);
        if (read_layer(&c, json_array_get(layers, i), i, lines[i], &eng->layers[i]) != 0) {
            free(lines);
            goto out;
        }
        c.np--;
    }
    free(lines);
    eng->path = strdup(path ? path : "");
    if (!eng->path || build_index(eng) != 0) {
        wp_fail(err, path, 0, "out of memory");
        goto out;
    }
    if (check_unique_names(eng, path, err) != 0 || check_fused_into(eng, path, err) != 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        wp_engine_free(eng);
    return rc;
}

int wp_engine_read(const char *path, wp_engine *eng, wp_error *err)
{
    memset(eng, 0, sizeof *eng);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return wp_fail_errno(err, path, errno, "cannot open engine info");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            size_t ncap = cap ? cap * 2 : 131072;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return wp_fail(err, path, 0, "out of memory");
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        free(buf);
        return wp_fail(err, path, 0, "read error");
    }
    int rc = wp_engine_parse(buf, len, path, eng, err);
    free(buf);
    return rc;
}

void wp_engine_free(wp_engine *eng)
{
    if (!eng)
        return;
    for (size_t i = 0; i < eng->n; i++)
        layer_free(&eng->layers[i]);
    free(eng->layers);
    free(eng->by_name);
    free(eng->path);
    memset(eng, 0, sizeof *eng);
}

const wp_engine_layer *wp_engine_find(const wp_engine *eng, const char *name)
{
    if (!eng || !name)
        return NULL;
    if (!eng->by_name) {
        for (size_t i = 0; i < eng->n; i++)
            if (eng->layers[i].name && strcmp(eng->layers[i].name, name) == 0)
                return &eng->layers[i];
        return NULL;
    }
    size_t lo = 0, hi = eng->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(eng->layers[eng->by_name[mid]].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < eng->n && strcmp(eng->layers[eng->by_name[lo]].name, name) == 0)
        return &eng->layers[eng->by_name[lo]];
    return NULL;
}
