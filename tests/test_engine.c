/* engine: trt_engine_info.json reader. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/engine.h"

/* Inspector-style document (pretty printed, one key per line, as TensorRT
 * writes it) covering every attribute the reader takes. */
static const char *ENGINE_JSON =
    "{\n"               /* 1 */
    "  \"Layers\": [\n" /* 2 */
    "    {\n"           /* 3 */
    "      \"Name\": \"Reformatting CopyNode for Input Tensor 0 to conv\",\n"
    "      \"LayerType\": \"Reformat\",\n"
    "      \"Inputs\": [{\"Name\": \"x\", \"Dimensions\": [2, 3, 32, 32],\n"
    "                  \"Format/Datatype\": \"Row major linear FP32 format\"}],\n"
    "      \"Outputs\": [{\"Name\": \"y\", \"Dimensions\": [2, 3, 32, 32]}],\n"
    "      \"Kernel\": [1, 1, 1]\n" /* 9: odd length, ignored */
    "    },\n"
    "    {\n" /* 11 */
    "      \"Name\": \"conv\",\n"
    "      \"LayerType\": \"CaskConvolution\",\n"
    "      \"Inputs\": [{\"Dimensions\": [2, 8, 32, 30],\n"
    "                  \"Format/Datatype\": \"Channel major FP16 format where channel % 8 == 0\"},\n"
    "                 {\"Dimensions\": [2, 16, 16, 15]}],\n"
    "      \"Outputs\": [{\"Dimensions\": [2, 16, 16, 15]}],\n"
    "      \"ParameterType\": \"Convolution\",\n"
    "      \"Kernel\": [3, 5],\n"
    "      \"PrePadding\": [1, 2],\n"
    "      \"PostPadding\": [2, 2],\n"
    "      \"Stride\": [2, 2],\n"
    "      \"Dilation\": [1, 2],\n"
    "      \"OutMaps\": 16,\n"
    "      \"Groups\": 4,\n"
    "      \"Weights\": {\"Type\": \"Half\", \"Count\": 480}\n"
    "    },\n"
    "    {\n" /* 28 */
    "      \"Name\": \"pool\",\n"
    "      \"LayerType\": \"CaskPooling\",\n"
    "      \"Inputs\": [{\"Dimensions\": [1, 64, 55, 55]}],\n"
    "      \"Outputs\": [{\"Dimensions\": [1, 64, 27, 27]}],\n"
    "      \"PoolingType\": \"MAX\",\n"
    "      \"WindowSize\": [3, 3],\n"
    "      \"Stride\": [2, 2]\n"
    "    },\n"
    "    {\n" /* 37 */
    "      \"Name\": \"fc\",\n"
    "      \"LayerType\": \"CaskGemmConvolution\",\n"
    "      \"Inputs\": [{\"Dimensions\": [1, 512, 1, 1]}],\n"
    "      \"Outputs\": [{\"Dimensions\": [1, 1000, 1, 1]}]\n"
    "    },\n"
    "    {\"Name\": \"conv (copy)\", \"LayerType\": \"NoOp\"}\n" /* 43 */
    "  ],\n"
    "  \"Bindings\": [\"x\", \"y\"]\n"
    "}\n";

static void test_read_fields(void)
{
    const char *dir = test_tmpdir();
    const char *path = test_path(dir, "engine.json");
    test_write_file(path, ENGINE_JSON);
    wp_engine e;
    wp_error err;
    CHECK_INT(wp_engine_read(path, &e, &err), 0);
    CHECK_INT(e.n, 5);
    if (e.n != 5)
        return;
    const wp_engine_layer *r = &e.layers[0], *c = &e.layers[1], *p = &e.layers[2], *f = &e.layers[3];
    CHECK_STR(r->type, "Reformat");
    CHECK_INT(r->kind, WP_KIND_OTHER);
    CHECK_INT(r->has_kernel, 0); /* 3 values on an unmodelled layer: left unset, no error */
    CHECK_INT(r->elem_bytes, 4);
    CHECK_INT(r->line, 3);

    CHECK_STR(c->name, "conv");
    CHECK_INT(c->kind, WP_KIND_CONV);
    CHECK_INT(c->line, 11);
    CHECK_INT(c->n_inputs, 2);
    CHECK_INT(c->input.n, 4);
    CHECK_INT(c->input.d[3], 30);
    CHECK_INT(c->inputs[1].d[1], 16);
    CHECK_INT(c->output.d[1], 16);
    CHECK_INT(c->elem_bytes, 2);
    CHECK_INT(c->has_kernel, 1);
    CHECK_INT(c->kernel[0], 3);
    CHECK_INT(c->kernel[1], 5);
    CHECK_INT(c->has_padding, 1);
    CHECK_INT(c->pre_padding[0], 1);
    CHECK_INT(c->post_padding[0], 2);
    CHECK_INT(c->dilation[1], 2);
    CHECK_INT(c->groups, 4);
    CHECK_INT(c->out_maps, 16);
    CHECK_INT(c->weights_count, 480);
    CHECK_STR(c->parameter_type, "Convolution");
    CHECK(c->pooling_type == NULL);

    CHECK_INT(p->kind, WP_KIND_POOL);
    CHECK_INT(p->line, 28);
    CHECK_INT(p->has_window, 1);
    CHECK_INT(p->window[0], 3);
    CHECK_INT(p->has_kernel, 0);
    CHECK_INT(p->has_padding, 0);
    CHECK_STR(p->pooling_type, "MAX");
    CHECK_INT(p->groups, 1);
    CHECK_INT(p->elem_bytes, 0);

    CHECK_INT(f->kind, WP_KIND_DENSE);
    CHECK_INT(f->has_stride, 0);
    CHECK_INT(f->weights_count, -1);

    /* Lookup: exact names, NULL when absent. */
    CHECK(wp_engine_find(&e, "conv") == c);
    CHECK(wp_engine_find(&e, "fc") == f);
    CHECK(wp_engine_find(&e, "Reformatting CopyNode for Input Tensor 0 to conv") == r);
    CHECK(wp_engine_find(&e, "con") == NULL);
    CHECK(wp_engine_find(&e, "zzz") == NULL);
    CHECK(wp_engine_find(&e, "") == NULL);
    wp_engine_free(&e);
    CHECK_INT(e.n, 0);
}

static void test_kinds(void)
{
    CHECK_INT(wp_layer_kind_from_type("CaskConvolution"), WP_KIND_CONV);
    CHECK_INT(wp_layer_kind_from_type("CaskPooling"), WP_KIND_POOL);
    CHECK_INT(wp_layer_kind_from_type("CaskGemmConvolution"), WP_KIND_DENSE);
    CHECK_INT(wp_layer_kind_from_type("CaskDeconvolution"), WP_KIND_OTHER);
    CHECK_INT(wp_layer_kind_from_type("caskconvolution"), WP_KIND_OTHER);
    CHECK_INT(wp_layer_kind_from_type(NULL), WP_KIND_OTHER);
    CHECK_STR(wp_layer_kind_name(WP_KIND_CONV), "convolutional");
    CHECK_STR(wp_layer_kind_name(WP_KIND_POOL), "pooling");
    CHECK_STR(wp_layer_kind_name(WP_KIND_DENSE), "dense");
    CHECK_STR(wp_layer_kind_name(WP_KIND_OTHER), "other");
    CHECK_INT(wp_engine_datatype_bytes("Row major linear FP16 format"), 2);
    CHECK_INT(wp_engine_datatype_bytes("Row major linear FP32"), 4);
    CHECK_INT(wp_engine_datatype_bytes("Channel major INT8 format where channel % 32 == 0"), 1);
    CHECK_INT(wp_engine_datatype_bytes("Row major linear BF16 format"), 2);
    CHECK_INT(wp_engine_datatype_bytes("something else"), 0);
    CHECK_INT(wp_engine_datatype_bytes(NULL), 0);
}

/* Parses text expecting failure; the message must start "PATH:LINE: " and
 * contain want. */
static void expect_error(const char *text, long line, const char *want)
{
    wp_engine e;
    wp_error err;
    memset(&err, 0, sizeof err);
    CHECK_INT(wp_engine_parse(text, strlen(text), "bad.json", &e, &err), -1);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "bad.json:%ld: ", line);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        test_fail_at(__FILE__, __LINE__, "'%s' does not start with '%s'", err.msg, prefix);
    else
        test_passed++;
    CHECK_CONTAINS(err.msg, want);
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK_INT(e.n, 0);
    CHECK(e.layers == NULL);
}

static void test_errors(void)
{
    /* Truncated: jansson's line (the end of the text). */
    size_t cut = strlen(ENGINE_JSON) / 2;
    char *trunc = malloc(cut + 1);
    memcpy(trunc, ENGINE_JSON, cut);
    trunc[cut] = '\0';
    long lines = 1;
    for (size_t i = 0; i < cut; i++)
        lines += trunc[i] == '\n';
    expect_error(trunc, lines, "malformed JSON");
    free(trunc);
    expect_error("", 1, "malformed JSON");

    expect_error("[1, 2]", 1, "must be a JSON object");
    expect_error("{\n \"layers\": []\n}\n", 1, "no \"Layers\"");
    expect_error("{\n \"Bindings\": [],\n \"Layers\": {}\n}\n", 3, "\"Layers\" must be an array");
    expect_error("{\"Layers\": [\n  \"conv\",\n  \"pool\"\n]}", 2, "bare name");
    expect_error("{\"Layers\": [\n  {\"Name\": \"a\", \"LayerType\": \"X\"},\n  {\"LayerType\": \"X\"}\n]}", 3,
                 "layer 1 has no \"Name\"");
    expect_error("{\"Layers\": [\n  {\"Name\": \"a\"}\n]}", 2, "has no \"LayerType\"");
    /* Issue 13: a second layer of the same name would take the first's
     * measurements; the error names the second and where the first is. */
    expect_error(
        "{\"Layers\": [\n  {\"Name\": \"b\", \"LayerType\": \"X\"},\n  {\"Name\": \"a\", \"LayerType\": \"X\"},\n"
        "  {\"Name\": \"b\", \"LayerType\": \"NoOp\"}\n]}",
        4, "duplicate layer name \"b\" (also layer 0, line 2)");
    expect_error("{\"Layers\": [\n  {\"Name\": 7, \"LayerType\": \"X\"}\n]}", 2, "\"Name\" must be a string");
    /* FusedInto (the cpu backend's): the layer holding a fused one's time
     * must be another layer of the engine, not itself fused */
    expect_error("{\"Layers\": [\n  {\"Name\": \"c\", \"LayerType\": \"X\"},\n"
                 "  {\"Name\": \"r\", \"LayerType\": \"Activation\", \"FusedInto\": \"conv\"}\n]}",
                 3, "layer \"r\": FusedInto \"conv\" is not a layer of this engine");
    expect_error("{\"Layers\": [\n  {\"Name\": \"r\", \"LayerType\": \"Activation\", \"FusedInto\": \"r\"}\n]}", 2,
                 "FusedInto \"r\" is the layer itself");
    expect_error("{\"Layers\": [\n  {\"Name\": \"c\", \"LayerType\": \"X\"},\n"
                 "  {\"Name\": \"b\", \"LayerType\": \"Scale\", \"FusedInto\": \"c\"},\n"
                 "  {\"Name\": \"r\", \"LayerType\": \"Activation\", \"FusedInto\": \"b\"}\n]}",
                 4, "layer \"r\": FusedInto \"b\" is itself fused");
    expect_error("{\"Layers\": [\n  {\"Name\": \"c\", \"LayerType\": \"X\"},\n"
                 "  {\"Name\": \"r\", \"LayerType\": \"Activation\",\n   \"FusedInto\": 0}\n]}",
                 4, "\"FusedInto\" must be a string");
    /* DeviceCacheBytes (the cpu backend's): the machine's cache, in bytes */
    expect_error("{\n \"DeviceCacheBytes\": -1,\n \"Layers\": []}", 2,
                 "\"DeviceCacheBytes\" must be a non-negative integer (bytes)");
    expect_error("{\"Layers\": [],\n\n \"DeviceCacheBytes\": \"1M\"}", 3, "\"DeviceCacheBytes\" must be");
    {
        const char *ok = "{\"DeviceCacheBytes\": 1048576, \"Layers\": []}";
        wp_engine e;
        wp_error err;
        CHECK_INT(wp_engine_parse(ok, strlen(ok), "ok.json", &e, &err), 0);
        CHECK_INT((int)e.cache_bytes, 1048576);
        wp_engine_free(&e);
        ok = "{\"Layers\": []}";
        CHECK_INT(wp_engine_parse(ok, strlen(ok), "ok.json", &e, &err), 0);
        CHECK_INT((int)e.cache_bytes, 0);
        wp_engine_free(&e);
    }
    /* A wrong type deep inside: the line of the offending element. */
    expect_error("{\"Layers\": [\n"
                 "  {\"Name\": \"a\", \"LayerType\": \"CaskConvolution\",\n"
                 "   \"Inputs\": [{\"Dimensions\": [1, 3, 8, 8]}],\n"
                 "   \"Outputs\": [{\"Dimensions\": [1,\n"
                 "      \"16\",\n"
                 "      8, 8]}]}\n"
                 "]}",
                 5, "\"Dimensions\"[1] must be an integer, not a string");
    expect_error("{\"Layers\": [\n  {\"Name\": \"a\", \"LayerType\": \"CaskPooling\",\n"
                 "   \"Stride\": \"2\"}\n]}",
                 3, "\"Stride\" must be an array");
    expect_error("{\"Layers\": [\n  {\"Name\": \"a\", \"LayerType\": \"CaskPooling\",\n"
                 "   \"WindowSize\": [2.5, 2]}\n]}",
                 3, "\"WindowSize\"[0] must be an integer");
    expect_error("{\"Layers\": [\n  {\"Name\": \"a\", \"LayerType\": \"CaskConvolution\",\n"
                 "   \"Groups\": \"1\"}\n]}",
                 3, "\"Groups\" must be an integer");
    /* A modelled layer must be 2-D. */
    expect_error("{\"Layers\": [\n  {\"Name\": \"a\", \"LayerType\": \"CaskConvolution\",\n"
                 "\n   \"Kernel\": [3, 3, 3]}\n]}",
                 4, "\"Kernel\" must hold 2 values");
    /* Keys that look alike inside strings do not fool the locator. */
    expect_error("{\"Layers\": [\n  {\"Name\": \"Kernel\\\" [\", \"LayerType\": \"CaskConvolution\",\n"
                 "   \"Metadata\": \"{[\\\"Kernel\\\": 1\",\n"
                 "   \"Kernel\": null}\n]}",
                 4, "\"Kernel\" must be an array");

    wp_engine e;
    wp_error err;
    const char *dir = test_tmpdir();
    CHECK_INT(wp_engine_read(test_path(dir, "nope.json"), &e, &err), -1);
    CHECK_CONTAINS(err.msg, "nope.json: cannot open engine info");
}

static void test_empty_layers(void)
{
    wp_engine e;
    wp_error err;
    const char *t = "{\"Layers\": []}";
    CHECK_INT(wp_engine_parse(t, strlen(t), "x.json", &e, &err), 0);
    CHECK_INT(e.n, 0);
    CHECK(wp_engine_find(&e, "a") == NULL);
    wp_engine_free(&e);
}

int main(void)
{
    test_read_fields();
    test_kinds();
    test_errors();
    test_empty_layers();
    return test_summary();
}
