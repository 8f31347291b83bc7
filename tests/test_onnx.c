/* onnx + zoo: every architecture is written, checked by onnx's own checker
 * and shape inference (Debian's python3-onnx, where present) and read back;
 * bad files give one clear error. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wattprof/onnx.h"
#include "wattprof/runner.h"
#include "wattprof/zoo.h"

static int have_python_onnx(void)
{
    const char *argv[] = {"/usr/bin/python3", "-c", "import onnx", NULL};
    test_run_result r = test_run_argv(argv);
    int ok = r.status == 0;
    test_run_free(&r);
    return ok;
}

/* onnx.checker plus onnx's shape inference: prints "tensor dims" lines. */
static const char *py_check = "import onnx, sys\n"
                              "m = onnx.load(sys.argv[1])\n"
                              "onnx.checker.check_model(m, full_check=True)\n"
                              "m = onnx.shape_inference.infer_shapes(m, strict_mode=True)\n"
                              "for v in list(m.graph.value_info) + list(m.graph.output):\n"
                              "    print(v.name, 'x'.join(str(d.dim_value) for d in v.type.tensor_type.shape.dim))\n";

static void check_with_onnx(const char *path, const wp_graph *g)
{
    const char *argv[] = {"/usr/bin/python3", "-c", py_check, path, NULL};
    test_run_result r = test_run_argv(argv);
    CHECK_INT(r.status, 0);
    if (r.status != 0)
        fprintf(stderr, "%s\n", r.err);
    /* Every node output shape we inferred equals onnx's. */
    int compared = 0, bad = 0;
    for (char *line = r.out; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *sp = strchr(line, ' ');
        if (sp) {
            *sp = 0;
            int t = wp_graph_find_tensor(g, line);
            if (t >= 0) {
                char mine[96];
                wp_dims_format(&g->tensors[t].shape, mine, sizeof mine);
                if (strcmp(mine, sp + 1) != 0) {
                    fprintf(stderr, "%s: ours %s, onnx %s\n", line, mine, sp + 1);
                    bad++;
                }
                compared++;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    CHECK(compared >= (int)g->n_nodes - 1);
    CHECK_INT(bad, 0);
    test_run_free(&r);
}

static void test_zoo_roundtrip(int python)
{
    const char *dir = test_tmpdir();
    static const struct {
        const char *arch, *input;
        size_t nodes;
    } cases[] = {{"lenet", NULL, 12},
                 {"alexnet", "1x3x64x64", 21},
                 {"vgg11", "1x3x32x32", 29},
                 {"vgg16", "1x3x32x32", 39},
                 {"resnet18", "1x3x32x32", 69},
                 {"resnet50", "1x3x32x32", 175},
                 {"mobilenetv2", "1x3x32x32", 153},
                 {"squeezenet", "1x3x32x32", 66},
                 {"cifarnet", NULL, 12},
                 {"dscnn", NULL, 30},
                 {"mlp", NULL, 6},
                 {"resnet8", NULL, 29},
                 {"vww", NULL, 84},
                 {"autoencoder", NULL, 29}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        wp_error err = {0};
        wp_dims in, *ip = NULL;
        if (cases[i].input) {
            CHECK_INT(wp_dims_parse(cases[i].input, &in, &err), 0);
            ip = &in;
        }
        wp_graph built, read;
        CHECK_INT(wp_zoo_build(cases[i].arch, ip, &built, &err), 0);
        CHECK_INT(built.n_nodes, cases[i].nodes);
        /* VGG-16 is VGG-11 with more of the same layers and a 90 MB file
         * even at 32x32: its graph is checked, its file is not written. */
        if (strcmp(cases[i].arch, "vgg16") == 0) {
            CHECK_INT(built.tensors[built.output].shape.d[1], 1000);
            wp_graph_free(&built);
            continue;
        }
        char file[64];
        snprintf(file, sizeof file, "%s.onnx", cases[i].arch);
        const char *path = test_path(dir, file);
        CHECK_INT(wp_onnx_write(path, &built, &err), 0);
        if (python)
            check_with_onnx(path, &built);
        int rc = wp_onnx_read(path, NULL, &read, &err);
        CHECK_INT(rc, 0);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        CHECK_INT(read.n_nodes, built.n_nodes);
        for (size_t k = 0; rc == 0 && k < read.n_nodes; k++) {
            const wp_node *a = &built.nodes[k], *b = &read.nodes[k];
            CHECK_STR(b->name, a->name);
            CHECK_INT(b->op, a->op);
            CHECK_INT(b->group, a->group);
            CHECK_INT(b->pads[2], a->pads[2]);
            CHECK_INT(b->ceil_mode, a->ceil_mode);
            char sa[96], sb[96];
            wp_dims_format(&built.tensors[a->out[0]].shape, sa, sizeof sa);
            wp_dims_format(&read.tensors[b->out[0]].shape, sb, sizeof sb);
            CHECK_STR(sb, sa);
            if (a->op == WP_OP_CLIP) {
                CHECK_NEAR(b->clip_min, 0.0, 0);
                CHECK_NEAR(b->clip_max, 6.0, 0);
            }
        }
        /* Weights read back equal the generator's draws, bit for bit (the
         * first node with weights: the MLP starts with a Flatten). */
        size_t wi = 0;
        while (wi < built.n_nodes && built.nodes[wi].n_in < 2)
            wi++;
        CHECK(wi < built.n_nodes);
        if (rc == 0 && wi < built.n_nodes) {
            const wp_node *first = &read.nodes[wi];
            const wp_tensor *w = &read.tensors[first->in[1]];
            const wp_tensor *gw = &built.tensors[built.nodes[wi].in[1]];
            int64_t n = wp_dims_count(&w->shape);
            float *ref = malloc((size_t)n * sizeof *ref);
            wp_tensor_generate(gw, 0, n, ref);
            CHECK(memcmp(ref, w->data, (size_t)n * sizeof *ref) == 0);
            float lo = 0, hi = 0;
            for (int64_t k = 0; k < n; k++) {
                lo = ref[k] < lo ? ref[k] : lo;
                hi = ref[k] > hi ? ref[k] : hi;
            }
            CHECK(lo < 0 && hi > 0 && hi <= gw->scale);
            free(ref);
        }
        wp_graph_free(&built);
        wp_graph_free(&read);
    }
}

static void test_bad_files(void)
{
    const char *dir = test_tmpdir();
    wp_error err = {0};
    wp_graph g;
    const char *lenet = test_path(dir, "lenet-bad.onnx");
    CHECK_INT(wp_zoo_write("lenet", NULL, lenet, &err), 0);
    size_t len;
    char *bytes;
    {
        FILE *f = fopen(lenet, "rb");
        fseek(f, 0, SEEK_END);
        len = (size_t)ftell(f);
        rewind(f);
        bytes = malloc(len);
        CHECK_INT(fread(bytes, 1, len, f), len);
        fclose(f);
    }
    /* Truncated. */
    const char *trunc = test_path(dir, "trunc.onnx");
    FILE *f = fopen(trunc, "wb");
    fwrite(bytes, 1, len / 2, f);
    fclose(f);
    CHECK_INT(wp_onnx_read(trunc, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "trunc.onnx");
    CHECK_CONTAINS(err.msg, "corrupt or truncated");
    wp_graph_free(&g);
    /* Not protobuf at all. */
    const char *junk = test_path(dir, "junk.onnx");
    test_write_file(junk, "this is not an onnx model\n\xff\xff\xff\xff");
    CHECK_INT(wp_onnx_read(junk, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "junk.onnx");
    wp_graph_free(&g);
    test_write_file(junk, "");
    CHECK_INT(wp_onnx_read(junk, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "empty");
    wp_graph_free(&g);
    CHECK_INT(wp_onnx_read(test_path(dir, "missing.onnx"), NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "missing.onnx");
    wp_graph_free(&g);
    /* Unsupported op: the first op_type "Relu" (tag 0x22, length 4) -> "Selu". */
    int patched = 0;
    for (size_t i = 0; i + 6 <= len; i++)
        if (memcmp(bytes + i, "\x22\x04Relu", 6) == 0) {
            memcpy(bytes + i + 2, "Selu", 4);
            patched = 1;
            break;
        }
    CHECK(patched);
    const char *selu = test_path(dir, "selu.onnx");
    f = fopen(selu, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
    CHECK_INT(wp_onnx_read(selu, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "unsupported operators: Selu x1");
    CHECK_CONTAINS(err.msg, "node 'conv1.relu'");
    wp_graph_free(&g);
    free(bytes);
    /* Wrong input shapes: channel count, too small, rank. */
    wp_dims d;
    CHECK_INT(wp_dims_parse("1x3x28x28", &d, &err), 0);
    CHECK_INT(wp_onnx_read(lenet, &d, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "node 'conv1' (Conv)");
    CHECK_CONTAINS(err.msg, "wrong input shape");
    wp_graph_free(&g);
    CHECK_INT(wp_dims_parse("1x1x20x20", &d, &err), 0);
    CHECK_INT(wp_onnx_read(lenet, &d, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "node 'fc1' (Gemm)");
    CHECK_CONTAINS(err.msg, "features");
    wp_graph_free(&g);
    CHECK_INT(wp_dims_parse("1x1x3x3", &d, &err), 0);
    CHECK_INT(wp_onnx_read(lenet, &d, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "too small");
    wp_graph_free(&g);
    CHECK_INT(wp_dims_parse("1x28x28", &d, &err), 0);
    CHECK_INT(wp_onnx_read(lenet, &d, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "wrong input shape");
    wp_graph_free(&g);
    /* A larger batch is fine. */
    CHECK_INT(wp_dims_parse("4x1x28x28", &d, &err), 0);
    CHECK_INT(wp_onnx_read(lenet, &d, &g, &err), 0);
    CHECK_INT(g.tensors[g.output].shape.d[0], 4);
    wp_graph_free(&g);
    CHECK_INT(wp_dims_parse("1x0x3", &d, &err), -1);
    CHECK_INT(wp_dims_parse("1x3x", &d, &err), -1);
    CHECK_INT(wp_zoo_build("resnet", NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "unknown architecture 'resnet'");
    wp_graph_free(&g);
}

/* auto_pad, dilation and groups resolve as ONNX defines them. */
static void test_shape_rules(void)
{
    wp_graph g;
    wp_error err = {0};
    wp_graph_init(&g, "t");
    wp_dims in = {4, {1, 4, 9, 9}}, w = {4, {8, 2, 3, 3}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    int wt = wp_graph_add_tensor(&g, "w", &w, 1);
    int y = wp_graph_add_tensor(&g, "y", NULL, 0);
    int ins[2] = {g.input, wt};
    wp_node *n = wp_graph_add_node(&g, WP_OP_CONV, "c", 2, ins, 1, &y);
    n->group = 2;
    n->stride[0] = n->stride[1] = 2;
    n->dilation[0] = n->dilation[1] = 2;
    n->auto_pad = WP_AUTO_PAD_SAME_UPPER;
    g.output = y;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    /* SAME: out = ceil(9/2) = 5; effective kernel 5, total pad 4+5-9 = 4. */
    CHECK_INT(g.tensors[y].shape.d[1], 8);
    CHECK_INT(g.tensors[y].shape.d[2], 5);
    CHECK_INT(g.nodes[0].pads[0] + g.nodes[0].pads[2], 4);
    int p = wp_graph_add_tensor(&g, "p", NULL, 0);
    n = wp_graph_add_node(&g, WP_OP_MAXPOOL, "p", 1, &y, 1, &p);
    n->kernel[0] = n->kernel[1] = 2;
    n->stride[0] = n->stride[1] = 2;
    n->ceil_mode = 1;
    g.output = p;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), 0);
    CHECK_INT(g.tensors[p].shape.d[2], 3); /* ceil((5-2)/2)+1 */
    g.nodes[0].group = 3;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), -1);
    CHECK_CONTAINS(err.msg, "group 3");
    wp_graph_free(&g);
}

/* A model made by onnx's own helpers (float_data and raw_data initializers,
 * auto_pad, Clip with min/max inputs, Reshape with 0 and -1, MatMul,
 * Dropout with its mask output, LRN, a symbolic batch): read, shapes as
 * onnx infers them, and the cpu backend agrees with the reference. */
static const char *py_make =
    "import sys, numpy as np, onnx\n"
    "from onnx import helper as h, TensorProto as T, numpy_helper as nh\n"
    "rng = np.random.default_rng(0)\n"
    "def init(name, shape, raw=True):\n"
    "    a = rng.standard_normal(shape).astype(np.float32) * 0.3\n"
    "    if raw:\n"
    "        return nh.from_array(a, name)\n"
    "    return h.make_tensor(name, T.FLOAT, shape, a.flatten().tolist())\n"
    "inits = [init(\"w1\", [8, 3, 3, 3]), init(\"b1\", [8], raw=False),\n"
    "         init(\"s\", [8]), init(\"bb\", [8]), init(\"m\", [8]), h.make_tensor(\"v\", T.FLOAT, [8], (np.abs(rng.standard_normal(8)) + 0.5).tolist()),\n"
    "         h.make_tensor(\"cmin\", T.FLOAT, [], [0.0]), h.make_tensor(\"cmax\", T.FLOAT, [], [6.0]),\n"
    "         h.make_tensor(\"shape\", T.INT64, [2], [0, -1]),\n"
    "         init(\"wm\", [8 * 4 * 4, 10])]\n"
    "nodes = [\n"
    "    h.make_node(\"Conv\", [\"x\", \"w1\", \"b1\"], [\"c1\"], name=\"\", auto_pad=\"SAME_UPPER\", strides=[2, 2]),\n"
    "    h.make_node(\"BatchNormalization\", [\"c1\", \"s\", \"bb\", \"m\", \"v\"], [\"bn\"], name=\"bn\", epsilon=1e-3),\n"
    "    h.make_node(\"Clip\", [\"bn\", \"cmin\", \"cmax\"], [\"cl\"], name=\"relu6\"),\n"
    "    h.make_node(\"LRN\", [\"cl\"], [\"lrn\"], name=\"lrn\", size=3, alpha=1e-3, beta=0.75, bias=2.0),\n"
    "    h.make_node(\"AveragePool\", [\"lrn\"], [\"ap\"], name=\"ap\", kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1),\n"
    "    h.make_node(\"MaxPool\", [\"ap\"], [\"mp\"], name=\"mp\", kernel_shape=[2, 2], strides=[2, 2]),\n"
    "    h.make_node(\"Reshape\", [\"mp\", \"shape\"], [\"rs\"], name=\"rs\"),\n"
    "    h.make_node(\"MatMul\", [\"rs\", \"wm\"], [\"mm\"], name=\"mm\"),\n"
    "    h.make_node(\"Dropout\", [\"mm\"], [\"dr\", \"mask\"], name=\"drop\"),\n"
    "    h.make_node(\"Softmax\", [\"dr\"], [\"y\"], name=\"sm\", axis=1),\n"
    "]\n"
    "batch = sys.argv[2] if len(sys.argv) > 2 else \"1\"\n"
    "g = h.make_graph(nodes, \"pyg\", [h.make_tensor_value_info(\"x\", T.FLOAT, [int(batch) if batch.isdigit() else batch, 3, 16, 16])],\n"
    "                 [h.make_tensor_value_info(\"y\", T.FLOAT, [int(batch) if batch.isdigit() else batch, 10])], inits)\n"
    "m = h.make_model(g, opset_imports=[h.make_opsetid(\"\", 13)])\n"
    "m.ir_version = 8\n"
    "onnx.checker.check_model(m, full_check=True)\n"
    "onnx.save(m, sys.argv[1])\n";

static void test_python_made(void)
{
    const char *dir = test_tmpdir();
    const char *path = test_path(dir, "py.onnx"), *pathn = test_path(dir, "pyN.onnx");
    const char *a1[] = {"/usr/bin/python3", "-c", py_make, path, NULL};
    const char *a2[] = {"/usr/bin/python3", "-c", py_make, pathn, "N", NULL};
    test_run_result r = test_run_argv(a1);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    r = test_run_argv(a2);
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    wp_graph g;
    wp_error err = {0};
    int rc = wp_onnx_read(path, NULL, &g, &err);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        wp_graph_free(&g);
        return;
    }
    check_with_onnx(path, &g);
    CHECK_INT(g.n_nodes, 10);
    CHECK_STR(g.nodes[0].name, "node_0");                  /* unnamed in the file */
    CHECK_INT(g.nodes[0].pads[0] + g.nodes[0].pads[2], 1); /* SAME_UPPER, stride 2 on 16 */
    CHECK_INT(g.nodes[0].pads[2], 1);
    CHECK_NEAR(g.nodes[2].clip_min, 0.0, 0);
    CHECK_NEAR(g.nodes[2].clip_max, 6.0, 0);
    CHECK_INT(g.tensors[g.nodes[6].out[0]].shape.d[1], 128);
    CHECK_INT(g.tensors[g.output].shape.d[1], 10);
    if (wp_backend_available(WP_BACKEND_CPU)) {
        wp_runner *ref = wp_runner_create(&g, WP_BACKEND_REF, &err), *cpu = wp_runner_create(&g, WP_BACKEND_CPU, &err);
        CHECK(ref && cpu);
        if (ref && cpu) {
            float a[10], b[10];
            CHECK_INT(wp_runner_run(ref, NULL, &err), 0);
            CHECK_INT(wp_runner_run(cpu, NULL, &err), 0);
            wp_runner_read(ref, g.output, a, &err);
            wp_runner_read(cpu, g.output, b, &err);
            double sum = 0;
            for (int i = 0; i < 10; i++) {
                CHECK_NEAR(b[i], a[i], 1e-4);
                sum += a[i];
            }
            CHECK_NEAR(sum, 1.0, 1e-5);
        }
        wp_runner_free(ref);
        wp_runner_free(cpu);
    }
    wp_graph_free(&g);
    /* Symbolic batch: an error without --input, fine with it. */
    CHECK_INT(wp_onnx_read(pathn, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "symbolic dimension 0");
    wp_graph_free(&g);
    wp_dims d = {4, {2, 3, 16, 16}};
    CHECK_INT(wp_onnx_read(pathn, &d, &g, &err), 0);
    CHECK_INT(g.tensors[g.output].shape.d[0], 2);
    wp_graph_free(&g);
}

static void test_cli(void)
{
    const char *dir = test_tmpdir();
    const char *out = test_path(dir, "cli.onnx");
    test_run_result r = test_run_cli((const char *[]){"zoo", "--arch", "lenet", "--out", out, NULL});
    CHECK_INT(r.status, 0);
    CHECK(test_file_exists(out));
    test_run_free(&r);
    CHECK_CLI(TEST_LIST("zoo", "--arch", "nope", "--out", out), 1, NULL, TEST_LIST("unknown architecture"));
    r = test_run_cli(
        (const char *[]){"zoo", "--arch", "vgg11", "--input", "1x3x8x8", "--out", test_path(dir, "small.onnx"), NULL});
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "too small");
    CHECK(!test_file_exists(test_path(dir, "small.onnx")));
    test_run_free(&r);
    CHECK_CLI(TEST_LIST("zoo", "--help"), 0, TEST_LIST("--arch"), NULL);
}

/* Issue 13: shapes, kernels and pads from a file are checked, not wrapped. */
static size_t pb_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    do {
        out[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

/* field `tag` (wire type 2) holding len bytes. */
static size_t pb_bytes(unsigned char *out, unsigned field, const void *data, size_t len)
{
    size_t n = pb_varint(out, (uint64_t)field << 3 | 2);
    n += pb_varint(out + n, len);
    memcpy(out + n, data, len);
    return n + len;
}

static size_t pb_int(unsigned char *out, unsigned field, uint64_t v)
{
    size_t n = pb_varint(out, (uint64_t)field << 3);
    return n + pb_varint(out + n, v);
}

static void test_overflow(void)
{
    const char *dir = test_tmpdir();
    wp_error err = {0};
    wp_graph g;
    /* An initializer [2^32, 2^32] without data: the product wrapped to 0
     * elements and passed as an empty tensor. */
    unsigned char tensor[64], graph[96], model[160];
    size_t nt = 0;
    nt += pb_int(tensor + nt, 1, UINT64_C(1) << 32);
    nt += pb_int(tensor + nt, 1, UINT64_C(1) << 32);
    nt += pb_int(tensor + nt, 2, 1); /* FLOAT */
    nt += pb_bytes(tensor + nt, 8, "w", 1);
    size_t ng = pb_bytes(graph, 5, tensor, nt);
    unsigned char opset[8];
    size_t no = pb_int(opset, 2, 13);
    size_t nm = pb_int(model, 1, 8);
    nm += pb_bytes(model + nm, 8, opset, no);
    nm += pb_bytes(model + nm, 7, graph, ng);
    const char *huge = test_path(dir, "huge-init.onnx");
    FILE *f = fopen(huge, "wb");
    fwrite(model, 1, nm, f);
    fclose(f);
    CHECK_INT(wp_onnx_read(huge, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "huge-init.onnx");
    CHECK_CONTAINS(err.msg, "initializer 'w' has a bad dimension");
    wp_graph_free(&g);

    /* MaxPool kernel [2^62, 2] with dilations [4, 1]: the effective kernel
     * 4 * (2^62 - 1) + 1 wrapped to a small number. Written by our own writer
     * (it does not infer shapes), read back through the checks. */
    wp_graph_init(&g, "pool");
    wp_dims in = {4, {1, 1, 8, 8}};
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    g.output = wp_graph_add_tensor(&g, "y", NULL, 0);
    wp_node *n = wp_graph_add_node(&g, WP_OP_MAXPOOL, "pool1", 1, &g.input, 1, &g.output);
    n->kernel[0] = INT64_C(1) << 62;
    n->kernel[1] = 2;
    n->dilation[0] = 4;
    const char *pool = test_path(dir, "pool.onnx");
    CHECK_INT(wp_onnx_write(pool, &g, &err), 0);
    wp_graph_free(&g);
    CHECK_INT(wp_onnx_read(pool, NULL, &g, &err), -1);
    CHECK_CONTAINS(err.msg, "pool.onnx");
    CHECK_CONTAINS(err.msg, "node 'pool1' (MaxPool): bad dimension");
    wp_graph_free(&g);

    /* A huge kernel balanced by huge pads: no overflow, but hours of work. */
    wp_graph_init(&g, "pool");
    in.d[2] = in.d[3] = 1;
    g.input = wp_graph_add_tensor(&g, "x", &in, 0);
    g.output = wp_graph_add_tensor(&g, "y", NULL, 0);
    n = wp_graph_add_node(&g, WP_OP_AVGPOOL, "pool2", 1, &g.input, 1, &g.output);
    for (int ax = 0; ax < 2; ax++) {
        n->kernel[ax] = INT64_C(1) << 30;
        n->stride[ax] = INT64_C(1) << 30;
        n->pads[ax] = n->pads[ax + 2] = (INT64_C(1) << 29);
    }
    CHECK_INT(wp_graph_infer_shapes(&g, &err), -1);
    CHECK_CONTAINS(err.msg, "node 'pool2' (AveragePool): bad dimension");
    /* Pads at INT64_MAX overflow the padded size. */
    n->kernel[0] = n->kernel[1] = 2;
    n->pads[0] = INT64_MAX;
    CHECK_INT(wp_graph_infer_shapes(&g, &err), -1);
    CHECK_CONTAINS(err.msg, "padding");
    wp_graph_free(&g);

    /* --input 1x2x2147483648x2147483648: 2^63 elements. */
    wp_dims d;
    CHECK_INT(wp_dims_parse("1x2x2147483648x2147483648", &d, &err), -1);
    CHECK_CONTAINS(err.msg, "elements");
    CHECK_INT(wp_dims_parse("1x3x65536x65536", &d, &err), -1);
    CHECK_INT(wp_dims_parse("1x1x65536x65536", &d, &err), 0);
    test_run_result r = test_run_cli((const char *[]){"zoo", "--arch", "lenet", "--input", "1x2x2147483648x2147483648",
                                                      "--out", test_path(dir, "big.onnx"), NULL});
    CHECK_INT(r.status, 2); /* a usage error, before any file is read */
    CHECK_CONTAINS(r.err, "out of range");
    test_run_free(&r);

    /* A scalar (rank-0) Gemm bias read dims[-1]. */
    wp_graph_init(&g, "gemm");
    wp_dims gx = {2, {1, 4}}, gw = {2, {4, 1}}, gb = {0, {0}};
    g.input = wp_graph_add_tensor(&g, "x", &gx, 0);
    int ins3[3] = {g.input, wp_graph_add_tensor(&g, "w", &gw, 1), wp_graph_add_tensor(&g, "b", &gb, 1)};
    g.output = wp_graph_add_tensor(&g, "y", NULL, 0);
    wp_graph_add_node(&g, WP_OP_GEMM, "fc", 3, ins3, 1, &g.output);
    CHECK_INT(wp_graph_infer_shapes(&g, &err), -1);
    CHECK_CONTAINS(err.msg, "does not broadcast");
    wp_graph_free(&g);

    /* A graph input whose shape in the file overflows. */
    wp_graph_init(&g, "big");
    wp_dims bigin = {4, {INT64_C(1) << 31, INT64_C(1) << 31, INT64_C(1) << 31, 2}};
    g.input = wp_graph_add_tensor(&g, "x", &bigin, 0);
    g.output = wp_graph_add_tensor(&g, "y", NULL, 0);
    wp_graph_add_node(&g, WP_OP_RELU, "relu", 1, &g.input, 1, &g.output);
    CHECK_INT(wp_graph_infer_shapes(&g, &err), -1);
    CHECK_CONTAINS(err.msg, "bad dimension: graph input 'x'");
    wp_graph_free(&g);
}

int main(int argc, char **argv)
{
    TEST_SKIP_UNLESS(wp_onnx_supported(), "ONNX support not built (protobuf-c / libonnx-dev missing)");
    /* `test_onnx checker` (CTest's test_onnx.checker): the models checked
     * by onnx.checker and made by Python's onnx, alone. */
    if (argc > 1 && strcmp(argv[1], "checker") == 0) {
        TEST_SKIP_UNLESS(have_python_onnx(),
                         "/usr/bin/python3 with onnx not found; models are not checked with onnx.checker");
        test_zoo_roundtrip(1);
        test_python_made();
        return test_summary();
    }
    test_zoo_roundtrip(0);
    test_bad_files();
    test_shape_rules();
    test_overflow();
    test_cli();
    return test_summary();
}
