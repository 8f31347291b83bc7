/* TensorRT engine-inspector JSON (trt_engine_info.json): the layers of a
 * built engine with their types and shapes. Read with jansson (small files,
 * a tree is fine). */
#ifndef WATTPROF_ENGINE_H
#define WATTPROF_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/error.h"

#define WP_MAX_DIMS 8

typedef struct wp_dims {
    int n; /* number of dimensions, 0 when absent */
    int64_t d[WP_MAX_DIMS];
} wp_dims;

/* Layer kinds wattprof models. An engine layer's `kind` is one of the
 * first four: TensorRT's CaskConvolution -> conv, CaskPooling -> pool,
 * CaskGemmConvolution -> dense, TensorRT 10's generated layers by content
 * (see kind_reason), everything else OTHER. The kinds after DENSE are the
 * remaining work of a network (NeuralPower's three kinds leave 7-50 % of a
 * CPU runner's time out); wp_layer_model_kind (dataset.h) gives them to an
 * OTHER layer by its type and inputs, for `dataset` and `predict` only. */
typedef enum wp_layer_kind {
    WP_KIND_OTHER = 0,
    WP_KIND_CONV,
    WP_KIND_POOL,
    WP_KIND_DENSE,
    WP_KIND_NORM,    /* Scale (batch norm), Normalization, LRN, Reduce */
    WP_KIND_ACT,     /* Activation, PointWise with one input */
    WP_KIND_ELTWISE, /* ElementWise, PointWise with two or more inputs */
    WP_KIND_SHAPE,   /* data movement: Concat, Shuffle, Reformat, Slice, Padding, Gather, Resize, NoOp */
    WP_KIND_SOFTMAX, /* SoftMax */
    WP_KIND_MATMUL   /* MatrixMultiply (two activations: attention) */
} wp_layer_kind;
#define WP_N_KINDS (WP_KIND_MATMUL + 1)

typedef struct wp_engine_layer {
    char *name;
    char *type; /* LayerType as written ("CaskConvolution", ...) */
    wp_layer_kind kind;
    wp_dims input;  /* first input's Dimensions */
    wp_dims output; /* first output's Dimensions */
    int n_inputs, n_outputs;
    /* 2-D spatial attributes; has_* = 0 when the key is absent. */
    int has_kernel, has_window, has_stride, has_padding, has_dilation;
    int64_t kernel[2]; /* Kernel (convolution, dense) */
    int64_t window[2]; /* WindowSize (pooling) */
    int64_t stride[2];
    int64_t pre_padding[2], post_padding[2];
    int64_t dilation[2];
    int64_t groups;     /* Groups, 1 when absent */
    int64_t out_maps;   /* OutMaps, 0 when absent */
    char *pooling_type; /* PoolingType ("MAX", "AVERAGE"), or NULL */
    /* Additions (backward compatible): */
    wp_dims *inputs;       /* every input's Dimensions (inputs[0] == input) */
    wp_dims *outputs;      /* every output's Dimensions (outputs[0] == output) */
    char *parameter_type;  /* ParameterType ("Convolution", "Pooling"), or NULL */
    int elem_bytes;        /* bytes per element of the first input, from its
                                * Format/Datatype (FP16 -> 2); 0 when unknown */
    int64_t weights_count; /* Weights.Count, -1 when absent */
    long line;             /* line of the layer's object in the JSON file, for
                                * errors about it; 0 when not read from a file */
    /* TensorRT 10 generated layers (Myelin `gemm`, `kgen`, `ForeignNode`
     * sub-graphs): their LayerType names the code generator, not the
     * operation, so kind is decided by content (inputs, outputs, weights,
     * Metadata's ONNX layers). kind_reason says how (for a layer given a
     * kind) or why it is not modelled (kind OTHER); NULL for TensorRT's
     * named types (malloc'd). */
    char *kind_reason;
    /* The ONNX operators the layer computes, comma-separated: "Origin"
     * (wattprof's ONNX path) or the ops of Metadata's "[ONNX Layer: ...]"
     * entries (TensorRT); NULL when neither says (malloc'd). */
    char *ops;
    /* wattprof's cpu backend (bench, profile): the layer whose primitive
     * ran this one ("FusedInto": a batch norm or activation folded into the
     * convolution or dense layer before it), whose time holds its work; NULL otherwise
     * (TensorRT lists no layer for what it fused). The reader checks that
     * it names another layer of the engine, not itself fused (malloc'd). */
    char *fused_into;
} wp_engine_layer;

typedef struct wp_engine {
    wp_engine_layer *layers;
    size_t n;
    char *path;      /* file it was read from (for error messages) */
    size_t *by_name; /* layer indices sorted by name (wp_engine_find) */
    /* "DeviceCacheBytes" (wattprof's cpu backend): the level-2 cache of the
     * machine that ran the engine (wp_device_l2_cache_bytes); 0 when the
     * file does not say (TensorRT's). */
    int64_t cache_bytes;
    /* "DeviceChannelBlock" (wattprof's cpu backend): how many output
     * channels its convolutions compute together (wp_cpu_channel_block);
     * 0 when the file does not say */
    int channel_block;
} wp_engine;

wp_layer_kind wp_layer_kind_from_type(const char *layer_type);
/* "convolutional", "pooling", "dense", "normalization", "activation",
 * "elementwise", "reshape", "softmax", "matmul", "other" */
const char *wp_layer_kind_name(wp_layer_kind kind);

/* Reads an engine-inspector JSON file. Every problem is reported as
 * "PATH:LINE: ..." : jansson's line for malformed JSON, the line of the
 * offending key for a missing "Layers", a value of the wrong type, ...
 * Layers given as bare names (an engine built without detailed profiling
 * verbosity) are an error, since nothing can be computed from them.
 * On failure eng is left empty (nothing to free). */
int wp_engine_read(const char *path, wp_engine *eng, wp_error *err);
/* As wp_engine_read, from a buffer; `path` only names it in errors. */
int wp_engine_parse(const char *text, size_t len, const char *path, wp_engine *eng, wp_error *err);
void wp_engine_free(wp_engine *eng);
/* Bytes per element for a TensorRT "Format/Datatype" text ("... FP16 format
 * ..." -> 2), 0 when it names no known type. */
int wp_engine_datatype_bytes(const char *format);
/* Layer by exact name (the first one in file order when names repeat), or
 * NULL. O(log n). */
const wp_engine_layer *wp_engine_find(const wp_engine *eng, const char *name);

#endif
