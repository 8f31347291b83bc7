/* ONNX networks as a small graph IR: tensors (activations and weights),
 * nodes in execution order, resolved attributes and inferred shapes.
 *
 * Only what wattprof runs and models is kept: float32 CNN operators with a
 * single graph input and a single graph output. Attributes are resolved
 * while reading (auto_pad becomes explicit pads, Clip's min/max inputs and
 * Reshape's shape initializer become node fields), so runners and the
 * engine-info writer never look at ONNX again.
 *
 * Reading uses protobuf-c code generated at build time from Debian's
 * onnx.proto. Weights are stolen from the unpacked message rather than
 * copied, so a 100 MB ResNet-50 costs about 100 MB once loaded. Tensor data
 * is assumed little-endian, as ONNX's raw_data is (x86 and Jetson ARM). */
#ifndef WATTPROF_ONNX_H
#define WATTPROF_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/engine.h"
#include "wattprof/error.h"

typedef enum wp_op {
    WP_OP_CONV,
    WP_OP_MAXPOOL,
    WP_OP_AVGPOOL,
    WP_OP_GLOBALAVGPOOL,
    WP_OP_GEMM,
    WP_OP_MATMUL,
    WP_OP_RELU,
    WP_OP_CLIP,
    WP_OP_BATCHNORM,
    WP_OP_ADD,
    WP_OP_CONCAT,
    WP_OP_FLATTEN,
    WP_OP_RESHAPE,
    WP_OP_SOFTMAX,
    WP_OP_DROPOUT,
    WP_OP_LRN,
    WP_OP_COUNT
} wp_op;

/* ONNX op_type of an op ("Conv", ...). */
const char *wp_op_name(wp_op op);
/* 0 and *op set when name is a supported ONNX op_type, else -1. */
int wp_op_from_name(const char *name, wp_op *op);

typedef struct wp_tensor {
    char *name;
    wp_dims shape;      /* n == 0 until inferred */
    int is_const;       /* an initializer (weights) */
    float *data;        /* is_const: shape's element count floats, or NULL
                           when generated lazily from seed (zoo) */
    uint64_t seed;      /* data == NULL: wp_tensor_fill() draws it from here */
    float scale;        /* ... uniform in [-scale, scale] + offset */
    float offset;
} wp_tensor;

enum { WP_AUTO_PAD_NOTSET, WP_AUTO_PAD_SAME_UPPER, WP_AUTO_PAD_SAME_LOWER, WP_AUTO_PAD_VALID };

typedef struct wp_node {
    char *name;
    wp_op op;
    size_t n_in, n_out;
    int *in, *out;                /* tensor indices; in[i] == -1: absent optional */
    /* Convolution and pooling (2-D): resolved, explicit. */
    int64_t kernel[2], stride[2], dilation[2];
    int64_t pads[4];              /* top, left, bottom, right */
    int64_t group;
    int auto_pad;                 /* WP_AUTO_PAD_*: resolved into pads (and
                                     reset to NOTSET) by shape inference */
    int ceil_mode, count_include_pad;
    /* Gemm: alpha * A' B' + beta * C. Clip: [clip_min, clip_max]. */
    float alpha, beta, epsilon, bias, clip_min, clip_max;
    int trans_a, trans_b;
    int64_t axis;                 /* Concat, Flatten, Softmax */
    int64_t size;                 /* LRN */
    wp_dims reshape;              /* Reshape's target (may hold 0 and -1) */
} wp_node;

typedef struct wp_graph {
    char *name;
    wp_tensor *tensors;
    size_t n_tensors, cap_tensors;
    wp_node *nodes;
    size_t n_nodes, cap_nodes;
    int input, output;            /* tensor indices */
    int64_t opset;
} wp_graph;

void wp_graph_init(wp_graph *g, const char *name);
void wp_graph_free(wp_graph *g);

/* Adds a tensor (name copied); returns its index or -1 (out of memory). */
int wp_graph_add_tensor(wp_graph *g, const char *name, const wp_dims *shape, int is_const);
/* Index of a tensor by name, or -1. */
int wp_graph_find_tensor(const wp_graph *g, const char *name);
/* Appends a node with default attributes (stride/dilation 1, group 1,
 * alpha = beta = 1, epsilon 1e-5, axis 1); NULL when out of memory. The
 * returned pointer is valid until the next add. */
wp_node *wp_graph_add_node(wp_graph *g, wp_op op, const char *name, size_t n_in, const int *in,
                           size_t n_out, const int *out);

/* Computes every node output's shape from the graph input's shape and checks
 * that weights, strides and operand shapes agree. Errors name the node and
 * its op ("node 'conv3' (Conv): ..."). auto_pad is resolved here, since
 * it needs the input's shape. */
int wp_graph_infer_shapes(wp_graph *g, wp_error *err);

/* Infers one node's output shape (its inputs' shapes must be known); the
 * graph builders (zoo) call it node by node. */
int wp_graph_infer_node(wp_graph *g, size_t node, wp_error *err);

/* Most elements one tensor may have (16 GiB of floats): every shape read
 * from a file or inferred from one is checked against it, so products of
 * dimensions, kernels and paddings taken later cannot overflow int64. */
#define WP_MAX_ELEMENTS (INT64_C(1) << 32)

/* Number of elements of a shape (1 for n == 0); for shapes already checked
 * (every tensor of a graph that read or inferred without error). */
int64_t wp_dims_count(const wp_dims *d);
/* The count into *count, or -1 when a dimension is negative or the product
 * exceeds WP_MAX_ELEMENTS (an element count from untrusted input). */
int wp_dims_count_checked(const wp_dims *d, int64_t *count);
/* "1x3x224x224" into buf; returns buf. */
char *wp_dims_format(const wp_dims *d, char *buf, size_t size);
/* Parses "NxCxHxW" (1 to 8 positive integers joined by 'x'). */
int wp_dims_parse(const char *text, wp_dims *d, wp_error *err);

/* Materialises a lazily generated initializer (zoo weights); no-op when the
 * data is already there. */
int wp_tensor_fill(wp_tensor *t, wp_error *err);
/* Writes a lazily generated initializer's values [first, first + n) into
 * out, without materialising the tensor (used to stream large weights). */
void wp_tensor_generate(const wp_tensor *t, int64_t first, int64_t n, float *out);

/* 1 when ONNX reading/writing was built in (protobuf-c and onnx.proto
 * found at configure time). */
int wp_onnx_supported(void);

/* Reads an ONNX model. input (may be NULL) overrides the graph input's
 * shape, which must otherwise be fully static. Errors: unreadable,
 * truncated or corrupt protobuf, unsupported op (named with its node),
 * non-float tensors, external data, shapes that do not agree. On failure g
 * is left empty (nothing to free), as every reader leaves its output. */
int wp_onnx_read(const char *path, const wp_dims *input, wp_graph *g, wp_error *err);

/* Writes the graph as an ONNX model (IR version 8, opset 13), atomically.
 * Lazily generated weights are streamed, so memory stays at one chunk. */
int wp_onnx_write(const char *path, const wp_graph *g, wp_error *err);

/* TensorRT-style layer type for a node, as the engine inspector would name
 * the layer that implements it: "CaskConvolution", "CaskPooling",
 * "CaskGemmConvolution" (dense), "PointWiseV2", "Concat", "SoftMax",
 * "NoOp". */
const char *wp_node_layer_type(const wp_node *node);

/* The graph as engine layers (one per node), exactly as wp_engine_read
 * gives them from the engine-info file bench writes (free with
 * wp_engine_free). */
int wp_graph_to_engine(const wp_graph *g, wp_engine *eng, wp_error *err);

/* Writes trt_engine_info.json in the TensorRT engine-inspector schema. */
int wp_graph_write_engine_info(const wp_graph *g, const char *path, wp_error *err);

#endif
