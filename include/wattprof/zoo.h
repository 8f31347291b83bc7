/* Standard CNN architectures with deterministic random weights, so nothing
 * has to be downloaded to profile a real-sized network.
 *
 * Weights are drawn lazily (wp_tensor.seed): building even VGG-16 costs
 * almost no memory, and writing streams them. Layouts follow torchvision
 * (without the adaptive pooling before the classifier, so any input size
 * large enough for the strides works and the first dense layer sizes
 * itself to it). */
#ifndef WATTPROF_ZOO_H
#define WATTPROF_ZOO_H

#include "wattprof/error.h"
#include "wattprof/onnx.h"

/* NULL-terminated list: lenet, alexnet, vgg11, vgg16, resnet18, resnet50,
 * mobilenetv2, squeezenet, the small cifarnet, dscnn and mlp, and MLPerf
 * Tiny's resnet8, vww and autoencoder. */
const char *const *wp_zoo_names(void);

/* Builds the network (shapes inferred). input NULL: the architecture's
 * default (1x3x224x224 for the ImageNet ones; 1x1x28x28 for lenet and mlp,
 * 1x3x32x32 for cifarnet and resnet8, 1x1x49x10 for dscnn, 1x3x96x96 for
 * vww, 1x1x1x640 for autoencoder). Errors: unknown
 * name (listing the known ones), an input too small for the network. */
int wp_zoo_build(const char *arch, const wp_dims *input, wp_graph *g, wp_error *err);

/* wp_zoo_build + wp_onnx_write. */
int wp_zoo_write(const char *arch, const wp_dims *input, const char *path, wp_error *err);

#endif
