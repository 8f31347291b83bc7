/* TensorRT 10 engine-inspector files: Myelin's generated layers (`gemm`,
 * `kgen`, ForeignNode sub-graphs) get their kind from what they do, and a
 * layer left unmodelled says why. Fixture in the shape TensorRT 10's
 * inspector writes (Metadata entries joined by 0x1f). */
#include <string.h>

#include "testutil.h"
#include "wattprof/dataset.h"
#include "wattprof/engine.h"

static const char ENGINE10[] =
    "{\"Layers\": [\n"
    "  {\"Name\": \"__myl_AddRelu_myl0_1\", \"LayerType\": \"kgen\",\n"
    "   \"Inputs\": [{\"Name\": \"a\", \"Location\": \"Device\", \"Dimensions\": [1,64,56,56], \"Format/Datatype\": \"Half\"},\n"
    "              {\"Name\": \"b\", \"Location\": \"Device\", \"Dimensions\": [1,64,56,56], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Outputs\": [{\"Name\": \"c\", \"Location\": \"Device\", \"Dimensions\": [1,64,56,56], \"Format/Datatype\": \"Half\"}],\n"
    "   \"TacticName\": \"\", \"StreamId\": 0,\n"
    "   \"Metadata\": \"[ONNX Layer: /layer1/layer1.0/Add]\\u001f[ONNX Layer: /layer1/layer1.0/relu_1/Relu]\"},\n"
    "  {\"Name\": \"__myl_ReduMean_myl0_7\", \"LayerType\": \"kgen\",\n"
    "   \"Inputs\": [{\"Name\": \"c\", \"Location\": \"Device\", \"Dimensions\": [1,512,7,7], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Outputs\": [{\"Name\": \"d\", \"Location\": \"Device\", \"Dimensions\": [1,512], \"Format/Datatype\": \"Half\"}],\n"
    "   \"TacticName\": \"\", \"StreamId\": 0,\n"
    "   \"Metadata\": \"[ONNX Layer: /avgpool/GlobalAveragePool]\\u001f[ONNX Layer: /Flatten]\"},\n"
    "  {\"Name\": \"/fc/Gemm_myl0_8\", \"LayerType\": \"gemm\",\n"
    "   \"Inputs\": [{\"Name\": \"d\", \"Location\": \"Device\", \"Dimensions\": [1,512], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Outputs\": [{\"Name\": \"out\", \"Location\": \"Device\", \"Dimensions\": [1,1000], \"Format/Datatype\": \"Half\"}],\n"
    "   \"TacticName\": \"sm80_xmma_gemm\", \"StreamId\": 0, \"Metadata\": \"[ONNX Layer: /fc/Gemm]\"},\n"
    "  {\"Name\": \"__myl_Mean_myl1_2\", \"LayerType\": \"kgen\",\n"
    "   \"Inputs\": [{\"Name\": \"e\", \"Location\": \"Device\", \"Dimensions\": [1,256,14,14], \"Format/Datatype\": \"Float\"}],\n"
    "   \"Outputs\": [{\"Name\": \"f\", \"Location\": \"Device\", \"Dimensions\": [1,256,1,1], \"Format/Datatype\": \"Float\"}]},\n"
    "  {\"Name\": \"attn_qk_myl2_0\", \"LayerType\": \"gemm\",\n"
    "   \"Inputs\": [{\"Name\": \"q\", \"Location\": \"Device\", \"Dimensions\": [1,12,197,64], \"Format/Datatype\": \"Half\"},\n"
    "              {\"Name\": \"k\", \"Location\": \"Device\", \"Dimensions\": [1,12,64,197], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Outputs\": [{\"Name\": \"s\", \"Location\": \"Device\", \"Dimensions\": [1,12,197,197], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Metadata\": \"[ONNX Layer: /blocks.0/attn/MatMul]\"},\n"
    "  {\"Name\": \"{ForeignNode[/Flatten.../head/Gemm]}\", \"LayerType\": \"Myelin\",\n"
    "   \"Inputs\": [{\"Name\": \"g\", \"Location\": \"Device\", \"Dimensions\": [1,768,7,7], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Outputs\": [{\"Name\": \"h\", \"Location\": \"Device\", \"Dimensions\": [1,1000], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Metadata\": \"[ONNX Layer: /Flatten]\\u001f[ONNX Layer: /norm/LayerNormalization]\\u001f[ONNX Layer: /head/Gemm]\"},\n"
    "  {\"Name\": \"__myl_MaxPool_myl0_0\", \"LayerType\": \"kgen\",\n"
    "   \"Inputs\": [{\"Name\": \"i\", \"Location\": \"Device\", \"Dimensions\": [1,64,112,112], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Outputs\": [{\"Name\": \"j\", \"Location\": \"Device\", \"Dimensions\": [1,64,56,56], \"Format/Datatype\": \"Half\"}],\n"
    "   \"Metadata\": \"[ONNX Layer: /maxpool/MaxPool]\"}\n"
    "]}\n";

int main(void)
{
    wp_engine eng;
    wp_error err;
    int rc = wp_engine_parse(ENGINE10, strlen(ENGINE10), "engine10.json", &eng, &err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return test_summary();
    }
    CHECK_INT(eng.n, 7);
    const wp_engine_layer *add = &eng.layers[0], *gap = &eng.layers[1], *fc = &eng.layers[2];
    const wp_engine_layer *mean = &eng.layers[3], *qk = &eng.layers[4], *fn = &eng.layers[5], *mp = &eng.layers[6];

    CHECK_INT(add->kind, WP_KIND_OTHER);
    CHECK_CONTAINS(add->kind_reason, "elementwise or activation");
    CHECK_CONTAINS(add->kind_reason, "Add,Relu");

    /* pooling fused with the flatten: [1,512,7,7] -> [1,512] */
    CHECK_INT(gap->kind, WP_KIND_POOL);
    CHECK_CONTAINS(gap->kind_reason, "global pooling");
    CHECK_STR(gap->pooling_type, "AVERAGE");
    CHECK_INT(gap->output.n, 4);
    CHECK_INT(gap->output.d[1], 512);
    CHECK_INT(gap->output.d[3], 1);

    CHECK_INT(fc->kind, WP_KIND_DENSE);
    CHECK_CONTAINS(fc->kind_reason, "dense");

    /* no metadata: the shapes alone say global pooling */
    CHECK_INT(mean->kind, WP_KIND_POOL);

    CHECK_INT(qk->kind, WP_KIND_OTHER);
    CHECK_CONTAINS(qk->kind_reason, "two activations");

    CHECK_INT(fn->kind, WP_KIND_OTHER);
    CHECK_CONTAINS(fn->kind_reason, "Myelin sub-graph");
    CHECK_CONTAINS(fn->kind_reason, "LayerNormalization");

    /* a windowed pooling's window is not in the file: not guessed */
    CHECK_INT(mp->kind, WP_KIND_OTHER);
    CHECK_CONTAINS(mp->kind_reason, "window");

    /* the classified layers describe themselves like TensorRT's own */
    wp_feature_row row;
    CHECK_INT(wp_layer_features(gap, wp_layer_model_kind(gap), &row, &err), 0);
    CHECK_INT(wp_layer_features(fc, wp_layer_model_kind(fc), &row, &err), 0);
    CHECK_INT(wp_layer_model_kind(fc), WP_KIND_DENSE);
    CHECK_NEAR(wp_feature_get(&row, "macs"), 512.0 * 1000.0, 0);

    /* TensorRT's named types keep no reason */
    const char *named = "{\"Layers\": [{\"Name\": \"p\", \"LayerType\": \"CaskPooling\", \"PoolingType\": \"MAX\","
                        " \"WindowSize\": [2, 2], \"Stride\": [2, 2]}]}";
    wp_engine e2;
    CHECK_INT(wp_engine_parse(named, strlen(named), "named.json", &e2, &err), 0);
    CHECK(e2.n == 1 && e2.layers[0].kind_reason == NULL && e2.layers[0].kind == WP_KIND_POOL);
    wp_engine_free(&e2);
    wp_engine_free(&eng);
    return test_summary();
}
