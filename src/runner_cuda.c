/* "cuda" backend: cuDNN + cuBLAS with CUDA events per layer. Compiled in
 * only where cmake/cuda.cmake finds the CUDA toolkit and cuDNN
 * (WATTPROF_HAVE_CUDNN); elsewhere `--backend cuda` is a clear error. */
#include "runner_impl.h"

#ifndef WATTPROF_HAVE_CUDNN

const runner_ops *const wp_runner_cuda_ops = NULL;

#endif
