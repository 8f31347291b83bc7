/* bench_engine: reading engine info with many layers (TensorRT writes one
 * object per layer, a key per line), against the reader's old per-layer
 * line lookup measured in the same run. The old reader found each layer's
 * line by rescanning the text from the start (json_line_of per layer):
 * quadratic, 1,000 layers took 3 s and 8,000 took minutes. It is still
 * there for error messages, so this bench compiles engine.c into itself to
 * time exactly that function per layer, and checks both give the same lines.
 * Prints layers, ms for the reader, ms for the old lookup and the ratio. */
#include "../src/map/engine.c"

#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *engine_text(size_t layers, size_t *len)
{
    size_t cap = 256 + layers * 1024, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        exit(1);
    n += (size_t)snprintf(buf + n, cap - n, "{\n    \"Layers\": [\n");
    for (size_t i = 0; i < layers; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "        {\n"
                              "            \"Name\": \"[CONVOLUTION]-[net/layer%zu] + [RELU]-[relu%zu]\",\n"
                              "            \"LayerType\": \"CaskConvolution\",\n"
                              "            \"Inputs\": [\n"
                              "                {\n"
                              "                    \"Name\": \"t%zu\",\n"
                              "                    \"Dimensions\": [1, 64, 56, 56],\n"
                              "                    \"Format/Datatype\": \"Channel major FP16 format\"\n"
                              "                }\n"
                              "            ],\n"
                              "            \"Outputs\": [{\"Name\": \"t%zu\", \"Dimensions\": [1, 64, 56, 56]}],\n"
                              "            \"Kernel\": [3, 3],\n"
                              "            \"PrePadding\": [1, 1],\n"
                              "            \"PostPadding\": [1, 1],\n"
                              "            \"Stride\": [1, 1],\n"
                              "            \"Dilation\": [1, 1],\n"
                              "            \"OutMaps\": 64,\n"
                              "            \"Groups\": 1,\n"
                              "            \"Weights\": {\"Type\": \"Half\", \"Count\": 36864}\n"
                              "        }%s\n",
                              i, i, i, i + 1, i + 1 < layers ? "," : "");
    n += (size_t)snprintf(buf + n, cap - n, "    ]\n}\n");
    *len = n;
    return buf;
}

int main(void)
{
    static const size_t sizes[] = {250, 500, 1000, 2000};
    printf("%8s %12s %14s %8s\n", "layers", "reader ms", "old lookup ms", "ratio");
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t len;
        char *text = engine_text(sizes[k], &len);
        wp_engine eng;
        wp_error err;
        double t0 = now_ms();
        if (wp_engine_parse(text, len, "bench.json", &eng, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double reader = now_ms() - t0;
        /* The old reader: the same parse, with each layer's line found by a
         * rescan from the start. */
        t0 = now_ms();
        jstep path[2] = {{"Layers", 0}, {NULL, 0}};
        size_t mismatched = 0;
        for (size_t i = 0; i < eng.n; i++) {
            path[1].idx = i;
            mismatched += json_line_of(text, len, path, 2) != eng.layers[i].line;
        }
        double old = now_ms() - t0 + reader;
        if (mismatched) {
            fprintf(stderr, "%zu layers with a different line\n", mismatched);
            return 1;
        }
        printf("%8zu %12.1f %14.1f %7.0fx\n", sizes[k], reader, old, old / reader);
        wp_engine_free(&eng);
        free(text);
    }
    return 0;
}
