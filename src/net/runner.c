/* Runner: backends, buffers and the per-layer timing loop (the "ref"
 * backend's kernels are in runner_ref.c). */
#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner_impl.h"
#include "wattprof/timestamp.h"

int wp_backend_parse(const char *name, wp_backend *backend, wp_error *err)
{
    if (strcmp(name, "cpu") == 0)
        *backend = WP_BACKEND_CPU;
    else if (strcmp(name, "cuda") == 0)
        *backend = WP_BACKEND_CUDA;
    else if (strcmp(name, "ref") == 0)
        *backend = WP_BACKEND_REF;
    else
        return wp_fail(err, NULL, 0, "unknown backend '%s' (cpu, cuda, ref)", name);
    return 0;
}

const char *wp_backend_name(wp_backend backend)
{
    return backend == WP_BACKEND_CPU ? "cpu" : backend == WP_BACKEND_CUDA ? "cuda" : "ref";
}

#ifdef WATTPROF_CUDA_MODULE
/* The cuda backend's module is loaded at most once per process and never
 * unloaded (the CUDA runtime does not survive dlclose well); a failure is
 * remembered so every later attempt reports the same reason. */
static pthread_mutex_t cuda_lock = PTHREAD_MUTEX_INITIALIZER;
static int cuda_tried;
static const runner_ops *cuda_ops;
static wp_error cuda_err;

static const runner_ops *cuda_load(wp_error *err)
{
    static const wp_cuda_host host = {wp_fail,        wp_op_name, wp_dims_count, wp__runner_is_view, wp_ts_monotonic_us,
                                      wp_ts_now_local};
    pthread_mutex_lock(&cuda_lock);
    if (!cuda_tried) {
        cuda_tried = 1;
        /* The build tree's module serves a binary run from the build tree
         * (and the tests); an installed binary, whose build tree may be
         * gone, finds its own under the install prefix. */
        const char *path = getenv("WATTPROF_CUDA_MODULE");
        if (!path || !*path)
            path = access(WATTPROF_CUDA_MODULE, F_OK) == 0 ? WATTPROF_CUDA_MODULE : WATTPROF_CUDA_MODULE_INSTALLED;
        void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char *why = dlerror();
            wp_fail(&cuda_err, NULL, 0, "backend 'cuda' is not available: %s", why ? why : path);
        } else {
            /* POSIX guarantees a data pointer from dlsym converts to a
             * function pointer; memcpy keeps ISO C quiet about it. */
            void *sym = dlsym(lib, WP_CUDA_MODULE_ENTRY);
            wp_cuda_module_fn entry = NULL;
            if (sym)
                memcpy(&entry, &sym, sizeof entry);
            wp_error why = {0};
            if (!entry)
                wp_fail(&cuda_err, NULL, 0, "backend 'cuda' is not available: %s has no %s", path,
                        WP_CUDA_MODULE_ENTRY);
            else if (!(cuda_ops = entry(WP_CUDA_MODULE_ABI, sizeof(struct wp_runner), sizeof(wp_graph), &host, &why)))
                wp_fail(&cuda_err, NULL, 0, "backend 'cuda' is not available: %s: %s", path, why.msg);
            if (!cuda_ops)
                dlclose(lib);
        }
    }
    const runner_ops *ops = cuda_ops;
    if (!ops && err)
        *err = cuda_err;
    pthread_mutex_unlock(&cuda_lock);
    return ops;
}
#endif

static const runner_ops *backend_ops(wp_backend b, wp_error *err)
{
    switch (b) {
    case WP_BACKEND_CPU:
        if (!wp__runner_cpu_ops)
            wp_fail(err, NULL, 0, "backend 'cpu' is not built in: it needs oneDNN (libdnnl-dev) at configure time");
        return wp__runner_cpu_ops;
    case WP_BACKEND_CUDA:
#ifdef WATTPROF_CUDA_MODULE
        return cuda_load(err);
#else
        wp_fail(err, NULL, 0, "backend 'cuda' is not built in: it needs the CUDA toolkit and cuDNN at configure time");
        return NULL;
#endif
    case WP_BACKEND_REF: break;
    }
    return &wp__runner_ref_ops;
}

int wp_backend_available(wp_backend backend)
{
    /* cuda: built, i.e. its module was configured; loading it is left to
     * wp_runner_create, which says why when the module cannot be loaded. */
    if (backend == WP_BACKEND_CUDA) {
#ifdef WATTPROF_CUDA_MODULE
        return 1;
#else
        return 0;
#endif
    }
    return backend_ops(backend, NULL) != NULL;
}

int wp__runner_is_view(wp_op op)
{
    return op == WP_OP_FLATTEN || op == WP_OP_RESHAPE || op == WP_OP_DROPOUT;
}

size_t wp_runner_n_layers(const wp_runner *r)
{
    return r->g->n_nodes;
}

int wp_runner_fused_into(const wp_runner *r, size_t node)
{
    return r && r->backend == WP_BACKEND_CPU && r->impl ? wp__cpu_fused_into(r, node) : -1;
}

void wp_runner_free(wp_runner *r)
{
    if (!r)
        return;
    if (r->ops && r->ops->destroy)
        r->ops->destroy(r);
    if (r->owned)
        for (size_t i = 0; i < r->g->n_tensors; i++)
            free(r->owned[i]);
    free(r->owned);
    free(r->buf);
    free(r);
}

wp_runner *wp_runner_create(wp_graph *g, wp_backend backend, wp_error *err)
{
    const runner_ops *ops = backend_ops(backend, err);
    if (!ops)
        return NULL;
    wp_runner *r = calloc(1, sizeof *r);
    if (!r) {
        wp_fail(err, NULL, 0, "out of memory");
        return NULL;
    }
    r->g = g;
    r->backend = backend;
    r->buf = calloc(g->n_tensors, sizeof *r->buf);
    r->owned = calloc(g->n_tensors, sizeof *r->owned);
    if (!r->buf || !r->owned) {
        wp_fail(err, NULL, 0, "out of memory");
        wp_runner_free(r);
        return NULL;
    }
    for (size_t i = 0; i < g->n_tensors; i++) {
        wp_tensor *t = &g->tensors[i];
        if (t->is_const) {
            if (wp_tensor_fill(t, err)) {
                wp_runner_free(r);
                return NULL;
            }
            r->buf[i] = t->data;
        }
    }
    /* Activations: one buffer per tensor; views alias their input. The
     * graph input gets deterministic values so a run needs no set_input. */
    for (size_t k = 0; k <= g->n_nodes; k++) {
        int t = k == 0 ? g->input : g->nodes[k - 1].out[0];
        const wp_node *n = k ? &g->nodes[k - 1] : NULL;
        if (n && wp__runner_is_view(n->op)) {
            r->buf[t] = r->buf[n->in[0]];
            continue;
        }
        int64_t count = wp_dims_count(&g->tensors[t].shape);
        r->owned[t] = calloc((size_t)count, sizeof(float));
        if (!r->owned[t]) {
            wp_fail(err, NULL, 0, "out of memory for tensor '%s'", g->tensors[t].name);
            wp_runner_free(r);
            return NULL;
        }
        r->buf[t] = r->owned[t];
        if (k == 0) {
            wp_tensor gen = {0};
            gen.seed = 0x1234;
            gen.scale = 1.0f;
            wp_tensor_generate(&gen, 0, count, r->buf[t]);
        }
    }
    r->ops = ops;
    if (ops->prepare(r, err) || (ops->upload_input && ops->upload_input(r, err))) {
        wp_runner_free(r);
        return NULL;
    }
    return r;
}

int wp_runner_set_input(wp_runner *r, const float *x, wp_error *err)
{
    int t = r->g->input;
    memcpy(r->buf[t], x, (size_t)wp_dims_count(&r->g->tensors[t].shape) * sizeof(float));
    if (r->ops->upload_input)
        return r->ops->upload_input(r, err);
    return 0;
}

int wp_runner_run(wp_runner *r, wp_layer_time *times, wp_error *err)
{
    if (times && r->ops->timed_run)
        return r->ops->timed_run(r, times, err);
    for (size_t i = 0; i < r->g->n_nodes; i++) {
        int64_t start_ns = times ? wp_ts_monotonic_ns() : 0;
        if (r->ops->exec(r, i, err))
            return -1;
        if (times) {
            if (r->ops->sync(r, err))
                return -1;
            int64_t end_ns = wp_ts_monotonic_ns();
            times[i].end_local_us = wp_ts_now_local();
            times[i].dur_ns = end_ns - start_ns;
            /* the same clock, so the microsecond stamps order exactly as
             * the nanosecond ones (consecutive layers never overlap) */
            times[i].start_us = start_ns / 1000;
            times[i].end_us = end_ns / 1000;
        }
    }
    return times ? 0 : r->ops->sync(r, err);
}

int wp_runner_read(wp_runner *r, int tensor, float *out, wp_error *err)
{
    if (tensor < 0 || (size_t)tensor >= r->g->n_tensors)
        return wp_fail(err, NULL, 0, "no tensor %d", tensor);
    if (r->ops->download)
        return r->ops->download(r, tensor, out, err);
    memcpy(out, r->buf[tensor], (size_t)wp_dims_count(&r->g->tensors[tensor].shape) * sizeof(float));
    return 0;
}
