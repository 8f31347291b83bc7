/* A minimal protobuf writer for hand-built ONNX fixtures, so the operator
 * tests need neither python3-onnx nor torch. Field numbers are onnx.proto's.
 * Header-only (static functions); abort on out of memory. */
#ifndef WATTPROF_TEST_ONNX_PB_H
#define WATTPROF_TEST_ONNX_PB_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *p;
    size_t n, cap;
} pb;

static void pb_raw(pb *b, const void *data, size_t len)
{
    if (b->n + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    if (len)
        memcpy(b->p + b->n, data, len);
    b->n += len;
}

static void pb_varint(pb *b, uint64_t v)
{
    unsigned char c;
    while (v >= 0x80) {
        c = (unsigned char)(v | 0x80);
        pb_raw(b, &c, 1);
        v >>= 7;
    }
    c = (unsigned char)v;
    pb_raw(b, &c, 1);
}

static void pb_int(pb *b, int field, int64_t v)
{
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, (uint64_t)v);
}

static void pb_float(pb *b, int field, float v)
{
    pb_varint(b, ((uint64_t)field << 3) | 5);
    pb_raw(b, &v, 4);
}

static void pb_bytes(pb *b, int field, const void *data, size_t len)
{
    pb_varint(b, ((uint64_t)field << 3) | 2);
    pb_varint(b, len);
    pb_raw(b, data, len);
}

static void pb_str(pb *b, int field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

/* Embeds sub as field and frees it. */
static void pb_msg(pb *b, int field, pb *sub)
{
    pb_bytes(b, field, sub->p, sub->n);
    free(sub->p);
    memset(sub, 0, sizeof *sub);
}

/* TensorProto: float (type 1) or int64 (type 7) raw data. */
static pb pb_tensor(const char *name, int is_int, const int64_t *dims, int nd, const void *data)
{
    pb t = {0};
    int64_t n = 1;
    for (int i = 0; i < nd; i++) {
        pb_int(&t, 1, dims[i]);
        n *= dims[i];
    }
    pb_int(&t, 2, is_int ? 7 : 1);
    if (name)
        pb_str(&t, 8, name);
    pb_bytes(&t, 9, data, (size_t)n * (is_int ? 8 : 4));
    return t;
}

/* AttributeProto builders (type: FLOAT 1, INT 2, STRING 3, TENSOR 4, INTS 7). */
static pb pb_attr_int(const char *name, int64_t v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 3, v);
    pb_int(&a, 20, 2);
    return a;
}

static pb pb_attr_float(const char *name, float v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_float(&a, 2, v);
    pb_int(&a, 20, 1);
    return a;
}

static pb pb_attr_ints(const char *name, const int64_t *v, int n)
{
    pb a = {0};
    pb_str(&a, 1, name);
    for (int i = 0; i < n; i++)
        pb_int(&a, 8, v[i]);
    pb_int(&a, 20, 7);
    return a;
}

static pb pb_attr_str(const char *name, const char *s)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_str(&a, 4, s);
    pb_int(&a, 20, 3);
    return a;
}

static pb pb_attr_tensor(const char *name, pb *t)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_msg(&a, 5, t);
    pb_int(&a, 20, 4);
    return a;
}

/* A graph under construction. */
typedef struct {
    pb g;
} pb_graph;

/* NodeProto: inputs and outputs as "a,b,,c" (empty = absent optional),
 * then n_attrs attribute messages (consumed). */
static void pb_node(pb_graph *gr, const char *op, const char *name, const char *ins, const char *outs, int n_attrs, ...)
{
    pb nd = {0};
    char buf[512];
    for (int k = 0; k < 2; k++) {
        snprintf(buf, sizeof buf, "%s", k ? outs : ins);
        for (char *s = buf; buf[0];) {
            char *comma = strchr(s, ',');
            if (comma)
                *comma = 0;
            pb_str(&nd, k ? 2 : 1, s);
            if (!comma)
                break;
            s = comma + 1;
        }
    }
    pb_str(&nd, 3, name);
    pb_str(&nd, 4, op);
    va_list ap;
    va_start(ap, n_attrs);
    for (int i = 0; i < n_attrs; i++) {
        pb a = va_arg(ap, pb);
        pb_msg(&nd, 5, &a);
    }
    va_end(ap);
    pb_msg(&gr->g, 1, &nd);
}

/* Deterministic small weights: v[i] = ((i % period) - period / 2) x step,
 * a repeating ramp around 0, so a network's outputs are neither all 0 nor
 * saturated. */
static inline void pb_ramp(float *v, size_t n, int period, float step)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)((int)(i % (size_t)period) - period / 2) * step;
}

static void pb_init_f(pb_graph *gr, const char *name, const int64_t *dims, int nd, const float *v)
{
    pb t = pb_tensor(name, 0, dims, nd, v);
    pb_msg(&gr->g, 5, &t);
}

static void pb_init_i(pb_graph *gr, const char *name, const int64_t *dims, int nd, const int64_t *v)
{
    pb t = pb_tensor(name, 1, dims, nd, v);
    pb_msg(&gr->g, 5, &t);
}

/* ValueInfoProto of a float tensor; field 11 (input) or 12 (output). */
static void pb_value(pb_graph *gr, int field, const char *name, const int64_t *dims, int nd)
{
    pb shape = {0}, tt = {0}, tp = {0}, vi = {0};
    for (int i = 0; i < nd; i++) {
        pb dim = {0};
        pb_int(&dim, 1, dims[i]);
        pb_msg(&shape, 1, &dim);
    }
    pb_int(&tt, 1, 1);
    if (nd)
        pb_msg(&tt, 2, &shape);
    pb_msg(&tp, 1, &tt);
    pb_str(&vi, 1, name);
    pb_msg(&vi, 2, &tp);
    pb_msg(&gr->g, field, &vi);
}

/* The fusion tests' stem: X [1,4,H,W] -> Conv 3x3 (8 channels, pad 1,
 * weights "w1") -> BatchNormalization (all parameters 1: g, b, m, v) ->
 * Relu, named conv1, bn1, relu1; its output is "r1". */
static inline void pb_conv_bn_relu_stem(pb_graph *gr)
{
    static float w1[8 * 4 * 9], bn[8];
    pb_ramp(w1, sizeof w1 / sizeof *w1, 7, 0.1f);
    for (size_t i = 0; i < 8; i++)
        bn[i] = 1.0f;
    pb_init_f(gr, "w1", (int64_t[]){8, 4, 3, 3}, 4, w1);
    pb_init_f(gr, "g", (int64_t[]){8}, 1, bn);
    pb_init_f(gr, "b", (int64_t[]){8}, 1, bn);
    pb_init_f(gr, "m", (int64_t[]){8}, 1, bn);
    pb_init_f(gr, "v", (int64_t[]){8}, 1, bn);
    pb_node(gr, "Conv", "conv1", "X,w1", "c1", 2, pb_attr_ints("kernel_shape", (int64_t[]){3, 3}, 2),
            pb_attr_ints("pads", (int64_t[]){1, 1, 1, 1}, 4));
    pb_node(gr, "BatchNormalization", "bn1", "c1,g,b,m,v", "n1", 0);
    pb_node(gr, "Relu", "relu1", "n1", "r1", 0);
}

/* Writes the ModelProto (IR 8, default domain at opset) to path. */
static int pb_write_model(pb_graph *gr, int64_t opset, const char *path)
{
    pb m = {0}, os = {0};
    pb_int(&m, 1, 8);
    pb_str(&os, 1, "");
    pb_int(&os, 2, opset);
    pb_msg(&m, 8, &os);
    pb_str(&gr->g, 2, "fixture");
    pb_msg(&m, 7, &gr->g);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(m.p, 1, m.n, f) == m.n;
    if (f)
        ok &= fclose(f) == 0;
    free(m.p);
    return ok ? 0 : -1;
}

#endif
