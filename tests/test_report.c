/* report: a fixture result dir (+ raw data, predictions, metrics) rendered
 * through the CLI; structure, escaping, numbers, omitted sections, bad
 * input; then the page rendered by headless Chromium must not be blank. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "wattprof/model.h"
#include "wattprof/report.h"
#include "wattprof/timestamp.h"

#define NL 4
#define NC 20
static const char *names[NL] = {
    "Reformatting CopyNode for Input Tensor 0 to [CONVOLUTION]-[conv<0>]",
    "[CONVOLUTION]-[conv<0>] + [RELU]-[\"relu\" & 'more']",
    "[POOLING]-[pool0]",
    "[MATRIX_MULTIPLY]-[fc0]",
};
static const char *types[NL] = {"Reformat", "CaskConvolution", "CaskPooling", "CaskGemmConvolution"};
static const double lat_ms[NL] = {0.2, 1.5, 0.5, 1.0};
static const double pow_w[NL] = {1.0, 4.0, 2.0, 3.0};
static const double idle_w = 5.0;

/* JSON string body with " and \ escaped. */
static void json_str(char *buf, size_t cap, const char *s)
{
    size_t k = 0;
    for (; *s && k + 3 < cap; s++) {
        if (*s == '"' || *s == '\\')
            buf[k++] = '\\';
        buf[k++] = *s;
    }
    buf[k] = 0;
}

/* CSV field, quoted when it holds a comma or quote. */
static void csv_field(char *buf, size_t cap, const char *s)
{
    if (!strpbrk(s, ",\"")) {
        snprintf(buf, cap, "%s", s);
        return;
    }
    size_t k = 0;
    buf[k++] = '"';
    for (; *s && k + 3 < cap; s++) {
        if (*s == '"')
            buf[k++] = '"';
        buf[k++] = *s;
    }
    buf[k++] = '"';
    buf[k] = 0;
}

static char *grow_append(char *buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        buf = realloc(buf, *cap);
    }
    memcpy(buf + *len, s, n + 1);
    *len += n;
    return buf;
}

static void write_fixture(const char *root)
{
    char line[1024], f[512];
    char *buf = NULL;
    size_t len = 0, cap = 0;

    /* Mapping: power alternates +-0.5 W around the layer's power (mean exact),
     * the Reformat layer has no sample in odd cycles. */
    buf = grow_append(buf, &len, &cap,
                      "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
                      "layer_power_excluding_idle_power_micro_watt,layer_run_time\n");
    for (int c = 1; c <= NC; c++)
        for (int l = 0; l < NL; l++) {
            double p = pow_w[l] + (c % 2 ? 0.5 : -0.5);
            csv_field(f, sizeof f, names[l]);
            if (l == 0 && c % 2)
                snprintf(line, sizeof line, "%d,%s,%s,,,%.17g\n", c, f, types[l], lat_ms[l]);
            else
                snprintf(line, sizeof line, "%d,%s,%s,%.17g,%.17g,%.17g\n", c, f, types[l], (p + idle_w) * 1e6, p * 1e6,
                         lat_ms[l]);
            buf = grow_append(buf, &len, &cap, line);
        }
    test_write_file(test_path(root, "result/tiny/power_runtime_mapping_layerwise.csv"), buf);
    /* A second model with nothing but a mapping. */
    test_write_file(test_path(root, "result/plain/power_runtime_mapping_layerwise.csv"),
                    "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
                    "layer_power_excluding_idle_power_micro_watt,layer_run_time\n"
                    "1,conv_a,CaskConvolution,7000000.0,2000000.0,0.5\n"
                    "1,pool_b,CaskPooling,6000000.0,1000000.0,0.25\n"
                    "2,conv_a,CaskConvolution,7000000.0,2000000.0,0.5\n"
                    "2,pool_b,CaskPooling,6000000.0,1000000.0,0.25\n");
    /* Least-squares estimates (deconvolve), one layer flagged. */
    test_write_file(test_path(root, "result/est/layer_power_estimates.csv"),
                    "layer_name,layer_type,power_including_idle_micro_watt,power_excluding_idle_micro_watt,"
                    "standard_error_micro_watt,latency_mean_ms,latency_std_ms,cycles,effective_sample_weight,status\n"
                    "conv_x,CaskConvolution,8000000.0,3000000.0,12000.0,0.75,0.01,100,42.5,ok\n"
                    "pool<y>,CaskPooling,,,,0.25,0.0,100,3.0,ill_conditioned\n");
    /* A folder that is not a model. */
    test_write_file(test_path(root, "result/notes/readme.txt"), "not a model\n");

    /* Raw data: TensorRT-style stamps (every layer a few us after the cycle
     * ends) and a power log sampled every 250 us from the true signal. */
    int64_t t_start;
    wp_ts_parse("20241121-00:00:01.000000", 24, &t_start);
    const int64_t gap_us = 1000, cyc_us = 3200 + gap_us;
    len = 0;
    buf = grow_append(buf, &len, &cap, "{\n");
    for (int l = 0; l < NL; l++) {
        char js[256], ts[WP_TS_BUFSZ];
        json_str(js, sizeof js, names[l]);
        snprintf(line, sizeof line, "  \"%s\": [", js);
        buf = grow_append(buf, &len, &cap, line);
        for (int c = 0; c < NC; c++) {
            int64_t end = t_start + c * cyc_us + 3200 + 40 + 3 * l;
            wp_ts_format(end, ts);
            snprintf(line, sizeof line, "%s[%.17g, \"%s\"]", c ? ", " : "", lat_ms[l], ts);
            buf = grow_append(buf, &len, &cap, line);
        }
        buf = grow_append(buf, &len, &cap, l + 1 < NL ? "],\n" : "]\n");
    }
    buf = grow_append(buf, &len, &cap, "}\n");
    test_write_file(test_path(root, "raw/tiny/trt_profiling/trt_layer_latency.json"), buf);
    len = 0;
    for (int64_t t = t_start - 2000; t < t_start + NC * cyc_us + 2000; t += 250) {
        double p = idle_w;
        int64_t in = (t - t_start) % cyc_us, acc = 0;
        if (t >= t_start && t < t_start + NC * cyc_us)
            for (int l = 0; l < NL; l++) {
                int64_t d = (int64_t)(lat_ms[l] * 1000);
                if (in >= acc && in < acc + d)
                    p += pow_w[l];
                acc += d;
            }
        char ts[WP_TS_BUFSZ];
        wp_ts_format(t, ts);
        snprintf(line, sizeof line, "%s,5000.0,%.17g\n", ts, p * 1e6 / 5000.0);
        buf = grow_append(buf, &len, &cap, line);
    }
    test_write_file(test_path(root, "raw/tiny/tiny_power_log.log"), buf);
    test_write_file(test_path(root, "raw/tiny/tiny_tensorrt.json"),
                    "{\"config\": {\"model\": \"tiny\", \"dtype\": \"float16\", \"input_shape\": [1, 3, 224, 224],"
                    " \"warmup\": 50, \"runs\": 20}, \"total_time\": 263.7, \"timestamp\": \"20241121-052004\","
                    " \"latencies\": [1.0, 2.0], \"device\": \"<jetson & co>\"}\n");
    /* simulate's ground truth: the Reformat layer's mapped 0.5 W is 50 % off its true 1 W. */
    len = 0;
    buf = grow_append(buf, &len, &cap, "{\"idle_power_uw\": 5000000.0, \"models\": {\"tiny\": {\"layers\": [");
    for (int l = 0; l < NL; l++) {
        char js[256];
        json_str(js, sizeof js, names[l]);
        snprintf(line, sizeof line, "%s{\"name\": \"%s\", \"type\": \"%s\", \"power_uw\": %.1f, \"latency_ms\": %g}",
                 l ? ", " : "", js, types[l], pow_w[l] * 1e6, lat_ms[l]);
        buf = grow_append(buf, &len, &cap, line);
    }
    buf = grow_append(buf, &len, &cap, "]}}}\n");
    test_write_file(test_path(root, "raw/truth.json"), buf);
    test_write_file(test_path(root, "raw/idling_power.json"),
                    "{\"timestamp\": \"20241121-051743\", \"avg_idle_power\": 5000000.0}\n");

    /* Predictions: conv +10 % power, -20 % runtime. */
    len = 0;
    buf = grow_append(buf, &len, &cap,
                      "layer_name,layer_type,power_prediction (W),runtime_prediction (ms),energy_prediction (mJ)\n");
    csv_field(f, sizeof f, names[1]);
    snprintf(line, sizeof line, "%s,CaskConvolution,4.4,1.2,5.28\n", f);
    buf = grow_append(buf, &len, &cap, line);
    buf =
        grow_append(buf, &len, &cap, "[POOLING]-[pool0],CaskPooling,2.0,0.5,1.0\nsome_other_layer,CaskPooling,1,1,1\n");
    test_write_file(test_path(root, "pred.csv"), buf);
    test_write_file(test_path(root, "models/metrics.json"),
                    "{\"convolutional\": {\"power\": {\"train\": {\"rmspe\": 12.5, \"r2\": 0.93},"
                    " \"test\": {\"rmspe\": 21.25, \"r2\": 0.81}}}, \"note<x>\": \"a & b\"}\n");
    free(buf);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_escape(void)
{
    char *s = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&s, &n);
    wp_html_escape(fp, "[a]<b>&\"c'\x01");
    fclose(fp);
    CHECK_STR(s, "[a]&lt;b&gt;&amp;&quot;c&#39; ");
    free(s);
}

static char *report_html;

/* Runs `report` with args (status 0 and, where says is not NULL, stdout
 * containing it, checked) and returns the page written to out, or NULL with
 * the failure recorded. */
static char *report_page(const char *const *args, const char *out, const char *says)
{
    test_run_result r = test_run_cli(args);
    CHECK_INT(r.status, 0);
    if (says)
        CHECK_CONTAINS(r.out, says);
    test_run_free(&r);
    char *h = test_read_file(out);
    CHECK(h != NULL);
    return h;
}

static void test_full_report(const char *root)
{
    const char *out = test_path(root, "report.html");
    const char *result = test_path(root, "result"), *raw = test_path(root, "raw");
    const char *models = test_path(root, "models"), *pred = test_path(root, "pred.csv");
    const char *title = "Tiny & <test>";
    const char *args[] = {
        "report", "--result-dir", result, "--raw-data-dir", raw,   "--models", models, "--predictions",
        pred,     "--out",        out,    "--title",        title, NULL};
    char *h = report_page(args, out, "(3 models)");
    report_html = h;
    if (!h)
        return;
    CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    CHECK_CONTAINS(h, "</html>");
    /* Self-contained: no script, nothing fetched. */
    CHECK(!strstr(h, "<script"));
    CHECK(!strstr(h, "http://") && !strstr(h, "https://"));
    CHECK(!strstr(h, "src="));
    /* Sections: two models in name order, the non-model folder skipped. */
    CHECK_CONTAINS(h, "<section class=\"model\" id=\"model-0\">\n<h2>est</h2>");
    CHECK_CONTAINS(h, "<section class=\"model\" id=\"model-1\">\n<h2>plain</h2>");
    CHECK_CONTAINS(h, "<section class=\"model\" id=\"model-2\">\n<h2>tiny</h2>");
    CHECK(!strstr(h, "<h2>notes</h2>"));
    CHECK_INT(count_of(h, "<section class=\"model\""), 3);
    CHECK_CONTAINS(h, "<h3>Timeline</h3>");
    CHECK_CONTAINS(h, "<h3>Measured vs predicted</h3>");
    CHECK_CONTAINS(h, "<h2 id=\"training\">Training metrics</h2>");
    /* SVG: bars for each, a timeline and two scatters for tiny. */
    CHECK_INT(count_of(h, "<svg"), 3 + 1 + 2);
    CHECK_INT(count_of(h, "<svg"), count_of(h, "</svg>"));
    CHECK_CONTAINS(h, "aria-label=\"timeline\"");
    /* Escaping: names with [ ] < > & quotes never appear raw. */
    CHECK_CONTAINS(h, "[CONVOLUTION]-[conv&lt;0&gt;] + [RELU]-[&quot;relu&quot; &amp; &#39;more&#39;]");
    CHECK(!strstr(h, "conv<0>"));
    CHECK(!strstr(h, "\"relu\""));
    CHECK_CONTAINS(h, "<title>Tiny &amp; &lt;test&gt;</title>");
    CHECK_CONTAINS(h, "&lt;jetson &amp; co&gt;");
    CHECK_CONTAINS(h, "note&lt;x&gt;");
    CHECK(!strstr(h, "<test>") && !strstr(h, "<x>") && !strstr(h, "<jetson"));
    /* Numbers: per-layer means over cycles; energy = power x runtime. */
    CHECK_CONTAINS(h, "<span>runtime / inference</span><b>3.200 <small>ms");
    CHECK_CONTAINS(h, "<span>energy above idle</span><b>10.10 <small>mJ");
    CHECK_CONTAINS(h, "<span>idle power</span><b>5.000 <small>W");
    CHECK_CONTAINS(h, "<span>cycles</span><b>20</b>");
    /* Reformat has power only in even cycles (all 1.0 - 0.5 W): mean 0.5, sd 0, truth 1, 10 cycles. */
    CHECK_CONTAINS(h, "<td>Reformat</td><td class=\"num\">0.2000</td><td class=\"num\">0</td>"
                      "<td class=\"num\">0.5000</td><td class=\"num\">0</td><td class=\"num\">1.000</td>"
                      "<td class=\"num\">5.500</td>"
                      "<td class=\"num\">0.1000</td><td class=\"num\">10</td>");
    /* The convolution alternates 3.5 / 4.5 W over 20 cycles: sd 0.5130. */
    CHECK_CONTAINS(h, "<td>CaskConvolution</td><td class=\"num\">1.500</td><td class=\"num\">0</td>"
                      "<td class=\"num\">4.000</td><td class=\"num\">0.5130</td>");
    /* Truth (simulated data): mean |error| = (50 + 0 + 0 + 0) / 4 %. */
    CHECK_CONTAINS(h, "<span>error vs truth</span><b>12.50 <small>%");
    CHECK_CONTAINS(h, "off by 12.50 % on average over the 4 layers");
    CHECK_INT(count_of(h, "class=\"truthmark\""), 4);
    /* Configuration from the raw data. */
    CHECK_CONTAINS(h, "<tr><td>config.input_shape</td><td>[1, 3, 224, 224]</td></tr>");
    CHECK_CONTAINS(h, "<tr><td>sample rate</td><td>4000 samples/s</td></tr>");
    CHECK_CONTAINS(h, "<tr><td>profiled cycles</td><td>20</td></tr>");
    /* TensorRT-style stamps: the timeline uses reconstructed windows. */
    CHECK_CONTAINS(h, "<b>reconstructed</b> windows");
    CHECK_CONTAINS(h, "in 20 of 20 cycles the reported timestamps were written after the cycle");
    /* Predictions: matched layers only, errors signed. */
    CHECK_CONTAINS(h, "for 2 of 4 layers");
    CHECK_CONTAINS(h, "+10.0 %");
    CHECK_CONTAINS(h, "-20.0 %");
    /* Omitted sections say why (plain has no raw data, no predictions). */
    const char *plain = strstr(h, "<h2>plain</h2>"), *tiny = strstr(h, "<h2>tiny</h2>");
    CHECK(plain && tiny && plain < tiny);
    if (plain && tiny) {
        const char *nt = strstr(plain, "No timeline"), *np = strstr(plain, "No predictions");
        CHECK(nt && nt < tiny);
        CHECK(np && np < tiny);
        CHECK(!strstr(tiny, "No timeline"));
    }
    /* Estimates: powers from the least squares, the flagged layer named. */
    const char *est = strstr(h, "<h2>est</h2>");
    CHECK(est && est < plain);
    CHECK_CONTAINS(h, "<a href=\"#model-0\">est</a></td><td>deconvolution</td>");
    CHECK_CONTAINS(h, "<span>energy above idle</span><b>2.250 <small>mJ");
    CHECK_CONTAINS(h, "1 layer got no power estimate");
    CHECK_CONTAINS(h, "<code>pool&lt;y&gt;</code> (ill_conditioned)");
    CHECK_CONTAINS(h, "<td class=\"num\">3.000</td><td class=\"num\">0.01200</td>");
    /* Metrics: nested headings and values. */
    CHECK_CONTAINS(h, "<td class=\"num\">21.25</td>");
}

/* --cycles picks how many cycles the timeline draws, from the middle. */
static void test_timeline_cycles(const char *root)
{
    const char *out = test_path(root, "c1.html");
    const char *result = test_path(root, "result"), *raw = test_path(root, "raw");
    const char *args[] = {"report", "--result-dir", result, "--raw-data-dir", raw, "--cycles", "1", "--out", out, NULL};
    char *h = report_page(args, out, NULL);
    if (h) {
        CHECK_CONTAINS(h, "Cycles 10\xE2\x80\x93"
                          "10 of 20");
        CHECK_INT(count_of(h, "class=\"cyclelabel\""), 1);
        /* 4 layers x 1 cycle, in each lane. */
        CHECK_INT(count_of(h, "<rect class=\"win\""), 2 * 4);
    }
    free(h);
    const char *bad[] = {"report", "--result-dir", test_path(root, "result"), "--cycles", "0", "--out", out, NULL};
    CHECK_CLI(bad, 2, NULL, TEST_LIST("--cycles"));
}

static void test_absent_inputs(const char *root)
{
    /* Only a result dir: every optional section says what it needs. */
    const char *out = test_path(root, "min.html");
    const char *args[] = {"report", "--result-dir", test_path(root, "result"), "--out", out, NULL};
    char *h = report_page(args, out, NULL);
    if (h) {
        CHECK_INT(count_of(h, "No timeline"), 3);
        CHECK_INT(count_of(h, "No predictions"), 3);
        CHECK_CONTAINS(h, "No training metrics");
        CHECK_CONTAINS(h, "No training data");
        CHECK_INT(count_of(h, "<svg"), 3);
    }
    free(h);
    /* An empty result dir is a page that says so, not an error. */
    test_write_file(test_path(root, "empty/.keep"), "");
    const char *a2[] = {"report", "--result-dir", test_path(root, "empty"), "--out", test_path(root, "e.html"), NULL};
    CHECK_CLI(a2, 0, NULL, NULL);
    h = test_read_file(test_path(root, "e.html"));
    CHECK(h && strstr(h, "No model folder"));
    free(h);
}

/* metrics.json in train's own format: one row per pipeline and a chart. */
static void test_train_metrics(const char *root)
{
    test_write_file(
        test_path(root, "models2/metrics.json"),
        "{\"format\": \"wattprof-metrics\", \"format_version\": 1, \"pipelines\": {"
        "\"convolutional_power\": {\"train_rows\": 120, \"test_rows\": 30, \"alpha\": 0.0125,"
        " \"terms\": 84, \"nonzero_coefficients\": 17,"
        " \"train\": {\"rows\": 120, \"rmspe\": 11.5, \"r2\": 0.9}, \"test\": {\"rows\": 30, \"rmspe\": 23.75,"
        " \"r2\": 0.8, \"mae\": 0.5, \"mape\": 0.2},"
        " \"leave_one_network_out\": {\"rmspe\": 31.5, \"per_model\": [{\"model\": \"net<1>\", \"rows\": 5,"
        " \"rmspe\": 44.0}]}},"
        "\"pooling_runtime\": {\"train_rows\": 40, \"test_rows\": 0, \"alpha\": 0.5, \"terms\": 10,"
        " \"nonzero_coefficients\": 3, \"train\": {\"rmspe\": 5.0}, \"test\": {\"rmspe\": null}}}}\n");
    const char *out = test_path(root, "m2.html");
    const char *args[] = {
        "report", "--result-dir", test_path(root, "result"), "--models", test_path(root, "models2"), "--out", out,
        NULL};
    CHECK_CLI(args, 0, NULL, NULL);
    char *h = test_read_file(out);
    CHECK(h != NULL);
    if (h) {
        CHECK_CONTAINS(h, "<tr><td>convolutional_power</td><td class=\"num\">120</td><td class=\"num\">30</td>"
                          "<td class=\"num\">0.01250</td><td class=\"num\">84 (17)</td><td class=\"num\">11.50</td>"
                          "<td class=\"num\">23.75</td>");
        CHECK_CONTAINS(h, "<tr><td>pooling_runtime</td>");
        CHECK_CONTAINS(h, "aria-label=\"RMSPE per pipeline\"");
        CHECK_CONTAINS(h, "<td>net&lt;1&gt;</td>");
        CHECK_INT(count_of(h, "<svg"), 3 + 1);
    }
    free(h);
}

static void test_bad_input(const char *root)
{
    test_write_file(test_path(root, "bad/result/m/power_runtime_mapping_layerwise.csv"),
                    "cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
                    "layer_power_excluding_idle_power_micro_watt,layer_run_time\n"
                    "1,a,CaskConvolution,1.0,1.0,0.5\n"
                    "2,a,CaskConvolution,1.0,1.0,fast\n");
    const char *out = test_path(root, "bad/out.html");
    const char *args[] = {"report", "--result-dir", test_path(root, "bad/result"), "--out", out, NULL};
    test_run_result r = test_run_cli(args);
    CHECK(r.status != 0);
    CHECK_CONTAINS(r.err, "power_runtime_mapping_layerwise.csv:3");
    CHECK_INT(test_count_lines(r.err), 1);
    test_run_free(&r);
    CHECK(!test_file_exists(out));
    CHECK_INT(test_count_entries(test_path(root, "bad"), ".out.html"), 0);

    /* A present but malformed metrics file is an error too. */
    test_write_file(test_path(root, "bad/models/metrics.json"), "{\"a\": ");
    const char *a2[] = {
        "report", "--result-dir", test_path(root, "result"), "--models", test_path(root, "bad/models"), "--out", out,
        NULL};
    r = test_run_cli(a2);
    CHECK(r.status != 0);
    CHECK_CONTAINS(r.err, "metrics.json");
    test_run_free(&r);
    CHECK(!test_file_exists(out));

    /* Issue 13: a garbage --predictions file was ignored silently. */
    static const struct {
        const char *text, *want;
    } garbage[] = {
        {"\x7f"
         "ELF\x02\x01 not a csv\n",
         "missing column"},
        {"layer_name,power_prediction,runtime_prediction\n", "holds no predictions"},
        {"layer_name,power_prediction,runtime_prediction\nnobody,1.0,2.0\nelse,x,2.0\n", "garbage.csv:3"},
        {"layer_name,power_prediction,runtime_prediction\nnobody,1.0,2.0\n", "no row names a layer of any model"},
    };
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
        const char *g = test_path(root, "bad/garbage.csv");
        test_write_file(g, garbage[i].text);
        const char *ag[] = {"report", "--result-dir", test_path(root, "result"), "--predictions", g, "--out", out,
                            NULL};
        r = test_run_cli(ag);
        CHECK_INT(r.status, 1);
        CHECK_CONTAINS(r.err, "garbage.csv");
        CHECK_CONTAINS(r.err, garbage[i].want);
        CHECK_INT(test_count_lines(r.err), 1);
        test_run_free(&r);
        CHECK(!test_file_exists(out));
    }

    const char *a3[] = {"report", "--result-dir", test_path(root, "nowhere"), "--out", out, NULL};
    r = test_run_cli(a3);
    CHECK(r.status != 0);
    CHECK_CONTAINS(r.err, "nowhere");
    test_run_free(&r);
    const char *a4[] = {"report", "--out", out, NULL};
    CHECK_CLI(a4, 2, NULL, NULL);
    const char *a5[] = {"report", "--help", NULL};
    CHECK_CLI(a5, 0, TEST_LIST("--raw-data-dir"), NULL);
}

static int run_ok(const char *const *args)
{
    test_run_result r = test_run_cli(args);
    int ok = r.status == 0;
    if (!ok)
        fprintf(stderr, "%s failed: %s\n", args[0], r.err);
    test_run_free(&r);
    return ok;
}

/* The whole pipeline on simulated data: simulate -> map -> dataset -> train,
 * then the report predicts every model's layers with the trained models, and
 * agrees with `wattprof predict`'s CSV for the same engine. */
static void test_pipeline(const char *root)
{
    const char *raw = test_path(root, "e2e/raw"), *res = test_path(root, "e2e/res"), *td = test_path(root, "e2e/td"),
               *models = test_path(root, "e2e/models");
    const char *sim[] = {"simulate", "--out", raw,       "--models", "m1,m2,m3,m4,m5", "--layers", "8",
                         "--cycles", "200",   "--quiet", NULL};
    const char *map[] = {"map",         "--raw-data-dir", raw, "--result-dir", res, "--attribution",
                         "interpolate", "--quiet",        NULL};
    const char *ds[] = {"dataset", "--preprocessed-data-dir",  res, "--result-dir",
                        td,        "--per-layer-measurements", "1", "--quiet",
                        NULL};
    const char *tr[] = {"train", "--data-dir", td,  "--out-dir", models, "--test-models",
                        "m1",    "--cv",       "2", "--quiet",   NULL};
    int ok = run_ok(sim) && run_ok(map) && run_ok(ds) && run_ok(tr);
    CHECK(ok);
    if (!ok)
        return;
    const char *pred_csv = test_path(root, "e2e/m1_pred.csv");
    const char *pr[] = {"predict", "--models", models, "--engine-info", test_path(res, "m1/trt_engine_info.json"),
                        "--out",   pred_csv,   NULL};
    CHECK(run_ok(pr));
    const char *out1 = test_path(root, "e2e/a.html"), *out2 = test_path(root, "e2e/b.html");
    const char *r1[] = {"report", "--result-dir", res, "--raw-data-dir", raw,  "--models",
                        models,   "--data-dir",   td,  "--out",          out1, NULL};
    const char *r2[] = {"report", "--result-dir", res, "--predictions", pred_csv, "--out", out2, NULL};
    CHECK(run_ok(r1));
    CHECK(run_ok(r2));
    char *a = test_read_file(out1), *b = test_read_file(out2);
    CHECK(a && b);
    if (a && b) {
        CHECK_INT(count_of(a, "<section class=\"model\""), 5);
        CHECK_INT(count_of(a, "Predictions from the models in"), 5);
        CHECK_INT(count_of(a, "aria-label=\"timeline\""), 5);
        CHECK_CONTAINS(a, "<tr><td>convolutional_power</td>");
        CHECK_CONTAINS(a, "aria-label=\"RMSPE per pipeline\"");
        /* Training data: every row of every network's CSVs counted. */
        long total = 0;
        const char *kinds[] = {"convolutional", "pooling", "dense"}, *nets[] = {"m1", "m2", "m3", "m4", "m5"};
        for (int i = 0; i < 5; i++)
            for (int k = 0; k < 3; k++) {
                char rel[64];
                snprintf(rel, sizeof rel, "%s/%s.csv", nets[i], kinds[k]);
                char *csv = test_read_file(test_path(td, rel));
                if (csv)
                    total += test_count_lines(csv) - 1;
                free(csv);
            }
        char want[128];
        snprintf(want, sizeof want, "<th class=\"num\">%ld</th></tr>\n</table>", total);
        CHECK(total > 10);
        CHECK_CONTAINS(a, "<tr><th>all 5</th>");
        CHECK_CONTAINS(a, want);
        CHECK_CONTAINS(a, "aria-label=\"Runtime vs work\"");
        CHECK_CONTAINS(a, "aria-label=\"Power above idle vs work\"");
        /* m1's comparison table is the same whichever way the predictions came. */
        const char *ta = strstr(a, "<summary>Per-layer comparison</summary>"),
                   *tb = strstr(b, "<summary>Per-layer comparison</summary>");
        CHECK(ta && tb);
        if (ta && tb) {
            const char *ea = strstr(ta, "</table>"), *eb = strstr(tb, "</table>");
            CHECK(ea && eb && ea - ta == eb - tb && memcmp(ta, tb, (size_t)(ea - ta)) == 0);
            CHECK(count_of(ta, "<tr>") > 3);
        }
    }
    free(a);
    free(b);

    /* The same models less their power files (a set trained on runtime-only
     * data): the report shows the predicted runtimes, says that power and
     * energy are not predicted, gives no predicted-energy card, and never
     * prints a NaN; through --models and through predict's CSV alike. */
    /* (test_path's buffers are reused: keep the folders) */
    const char *ro = test_path_kept(root, "e2e/models_ro"), *trained = test_path_kept(root, "e2e/models"),
               *mapped = test_path_kept(root, "e2e/res");
    int copied = 0;
    for (int i = 0; i < WP_N_PIPELINES; i++) {
        char leaf[64];
        snprintf(leaf, sizeof leaf, "%s.json", wp_pipeline_name(i));
        char *text = i % 2 == WP_TARGET_RUNTIME ? test_read_file(test_path(trained, leaf)) : NULL;
        if (text) {
            test_write_file(test_path(ro, leaf), text);
            copied++;
        }
        free(text);
    }
    CHECK(copied >= 3);
    const char *ro_csv = test_path_kept(root, "e2e/m1_pred_ro.csv");
    const char *pr_ro[] = {"predict", "--models", ro,  "--engine-info", test_path(mapped, "m1/trt_engine_info.json"),
                           "--out",   ro_csv,     NULL};
    CHECK(run_ok(pr_ro));
    const char *out3 = test_path_kept(root, "e2e/ro_models.html"), *out4 = test_path_kept(root, "e2e/ro_csv.html");
    const char *r3[] = {"report", "--result-dir", mapped, "--models", ro, "--out", out3, NULL};
    const char *r4[] = {"report", "--result-dir", mapped, "--predictions", ro_csv, "--out", out4, NULL};
    CHECK(run_ok(r3));
    CHECK(run_ok(r4));
    const char *outs[] = {out3, out4};
    for (int k = 0; k < 2; k++) {
        char *h = test_read_file(outs[k]);
        CHECK(h != NULL);
        if (!h)
            continue;
        const char *sec = strstr(h, "<h3>Measured vs predicted</h3>");
        CHECK(sec != NULL);
        if (sec) {
            CHECK_CONTAINS(sec, "No power or energy prediction for");
            const char *end = strstr(sec, "</details>");
            CHECK(end != NULL);
            if (end) {
                const char *card = strstr(sec, "<span>energy, measured</span>");
                CHECK(!card || card > end);
                CHECK(count_of(sec, "<tr>") > 3);
            }
        }
        CHECK(!strstr(h, ">nan") && !strstr(h, ">-nan") && !strstr(h, "NaN"));
        free(h);
    }
}

/* Fraction of the model path's points ("M/L x y") that lie on a point of the
 * samples' polyline ("x,y"), in the first timeline of h; -1 when no model. */
static double model_on_samples(const char *h, int *n_points)
{
    *n_points = 0;
    const char *m = strstr(h, "<path class=\"model\" d=\"");
    const char *sig = strstr(h, "<polyline class=\"signal\" points=\"");
    if (!m || !sig)
        return -1;
    m += strlen("<path class=\"model\" d=\"");
    sig += strlen("<polyline class=\"signal\" points=\"");
    const char *sig_end = strchr(sig, '"');
    int on = 0;
    while (*m == 'M' || *m == 'L') {
        double x, y;
        int used = 0;
        if (sscanf(m + 1, "%lf %lf%n", &x, &y, &used) != 2)
            break;
        char pt[64];
        snprintf(pt, sizeof pt, "%.2f,%.2f ", x, y);
        const char *f = strstr(sig, pt);
        on += f && f < sig_end;
        (*n_points)++;
        m += 1 + used;
    }
    return *n_points ? (double)on / *n_points : -1;
}

/* map's saved choices (mapping_info.json) in the configuration table, and
 * the timeline drawn with its report offset and sensor window: with zero
 * noise the modelled sensor reading goes through every sample, and it does
 * not once the offset or the window is wrong. */
static void test_mapping_info(const char *root)
{
    const char *raw = test_path(root, "mi/raw"), *res = test_path(root, "mi/res");
    const char *sim[] = {"simulate", "--out",      raw, "--models",        "m1",   "--layers", "6", "--cycles",
                         "150",      "--noise-uw", "0", "--sensor-lag-us", "2000", "--quiet",  NULL};
    const char *map[] = {"map",        "--raw-data-dir",     raw,    "--result-dir", res, "--attribution",
                         "deconvolve", "--sensor-window-us", "1100", "--quiet",      NULL};
    int ok = run_ok(sim) && run_ok(map);
    CHECK(ok);
    if (!ok)
        return;
    const char *out = test_path(root, "mi/r.html");
    const char *rep[] = {"report", "--result-dir", res, "--raw-data-dir", raw, "--cycles", "8", "--out", out, NULL};
    CHECK(run_ok(rep));
    char *h = test_read_file(out);
    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_CONTAINS(h, "<tr><td>map</td><td>deconvolve, wattprof ");
    CHECK_CONTAINS(h, "<tr><td>timeline</td><td>reconstructed (auto)</td></tr>");
    CHECK_CONTAINS(h, "<tr><td>timeline choice</td><td>timeline reconstructed: in 150 of 150 cycles");
    /* simulate's report delay 40 us minus the 2000 us lag */
    CHECK_CONTAINS(h, "<tr><td>report offset</td><td>-1960 \xC2\xB5s (auto, searched -7000..1500 \xC2\xB5s)</td></tr>");
    CHECK_CONTAINS(h, "<tr><td>sensor window</td><td>1100 \xC2\xB5s</td></tr>");
    CHECK_CONTAINS(h, "<tr><td>residual</td><td>");
    CHECK_CONTAINS(h, "<tr><td>power between cycles</td><td>");
    CHECK_CONTAINS(h, "Every window is drawn 1960 \xC2\xB5s later than stamped");
    CHECK_CONTAINS(h, "modelled sensor reading");
    CHECK_INT(count_of(h, "<path class=\"model\""), 1);
    CHECK_INT(count_of(h, "<path class=\"swin\""), 1);
    CHECK_CONTAINS(h, "sensor window 1100 \xC2\xB5s</text>");
    int n = 0;
    double on = model_on_samples(h, &n);
    printf("modelled reading on the samples: %.3f of %d points\n", on, n);
    CHECK(n >= 15);
    CHECK(on > 0.9);
    free(h);

    /* Estimates kept but marked uncertain (a limit nothing meets, even the
     * 1e-10 uW standard errors of this noise-free run) are
     * drawn and named as uncertain, not as missing. */
    const char *res_u = test_path(root, "mi/res_u"), *out_u = test_path(root, "mi/ru.html");
    const char *map_u[] = {"map",        "--raw-data-dir",     raw,    "--result-dir",      res_u,    "--attribution",
                           "deconvolve", "--sensor-window-us", "1100", "--max-relative-se", "1e-300", "--quiet",
                           NULL};
    const char *rep_u[] = {"report", "--result-dir", res_u, "--out", out_u, NULL};
    CHECK(run_ok(map_u) && run_ok(rep_u));
    h = test_read_file(out_u);
    CHECK_CONTAINS(h, "6 layers have an uncertain estimate");
    CHECK(h && !strstr(h, "got no power estimate"));
    free(h);

    /* Without the raw data the table still has what map saw. */
    const char *rep2[] = {"report", "--result-dir", res, "--out", out, NULL};
    CHECK(run_ok(rep2));
    h = test_read_file(out);
    CHECK_CONTAINS(h, "<tr><td>sample rate</td><td>750");
    CHECK_CONTAINS(h, "<tr><td>power samples</td><td>");
    free(h);

    /* The same run with the offset or the window falsified: the model no
     * longer explains the samples (so the report does use both). */
    const char *info = test_path(res, "m1/mapping_info.json");
    char *orig = test_read_file(info);
    CHECK(orig != NULL);
    if (!orig)
        return;
    const char *edits[][2] = {{"\"report_offset_us\": -1960", "\"report_offset_us\": 0.0, \"x\": -1960"},
                              {"\"sensor_window_us\": 1100", "\"sensor_window_us\": 600"}};
    for (int e = 0; e < 2; e++) {
        const char *at = strstr(orig, edits[e][0]);
        CHECK(at != NULL);
        if (!at)
            continue;
        size_t pre = (size_t)(at - orig), cap = strlen(orig) + 64;
        char *mod = malloc(cap);
        snprintf(mod, cap, "%.*s%s%s", (int)pre, orig, edits[e][1], at + strlen(edits[e][0]));
        test_write_file(info, mod);
        free(mod);
        CHECK(run_ok(rep));
        h = test_read_file(out);
        double bad = h ? model_on_samples(h, &n) : -1;
        printf("falsified %s: %.3f of %d points\n", e ? "window" : "offset", bad, n);
        CHECK(bad >= 0 && bad < 0.5);
        free(h);
    }
    /* malformed: one line naming the file, no page */
    test_write_file(info, "{\"timeline\": ");
    const char *out3 = test_path(root, "mi/bad.html");
    const char *rep3[] = {"report", "--result-dir", res, "--out", out3, NULL};
    test_run_result r = test_run_cli(rep3);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "mapping_info.json:");
    CHECK_INT(test_count_lines(r.err), 1);
    test_run_free(&r);
    CHECK(!test_file_exists(out3));
    test_write_file(info, orig);
    free(orig);
}

/* Screenshot of `html` (a file) at 1200 px wide; returns 0 and the
 * png_ink.py figures, or -1 when Chromium produced nothing. */
static int screenshot(const char *root, const char *html, const char *png, double *ink, long *hits)
{
    char shot[1024], url[1024], prof[1024];
    snprintf(shot, sizeof shot, "--screenshot=%s", png);
    snprintf(url, sizeof url, "file://%s", html);
    snprintf(prof, sizeof prof, "--user-data-dir=%s", test_path(root, "chromium-profile"));
    const char *argv[] = {"timeout",
                          "120",
                          "chromium",
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-quic",
                          "--no-first-run",
                          "--disable-background-networking",
                          "--disable-component-update",
                          "--disable-sync",
                          "--disable-dev-shm-usage",
                          "--hide-scrollbars",
                          prof,
                          shot,
                          "--window-size=1200,1600",
                          url,
                          NULL};
    test_run_result r = test_run_argv(argv);
    test_run_free(&r);
    if (!test_file_exists(png))
        return -1;
    const char *py[] = {"/usr/bin/python3", WATTPROF_SOURCE_DIR "/tests/png_ink.py", png, "4e79a7", NULL};
    r = test_run_argv(py);
    int w = 0, hgt = 0, ok = r.status == 0 && sscanf(r.out, "%d %d %lf %ld", &w, &hgt, ink, hits) == 4;
    if (!ok)
        fprintf(stderr, "png_ink.py: %s%s\n", r.out, r.err);
    test_run_free(&r);
    CHECK_INT(w, 1200);
    return ok ? 0 : -1;
}

static int test_chromium(const char *root)
{
    TEST_SKIP_UNLESS(access("/usr/bin/chromium", X_OK) == 0 && access("/usr/bin/python3", X_OK) == 0,
                     "headless rendering needs /usr/bin/chromium and /usr/bin/python3");
    test_write_file(test_path(root, "blank.html"), "<!DOCTYPE html><html><body></body></html>\n");
    double ink_blank = -1, ink = -1;
    long hits_blank = -1, hits = -1;
    CHECK_INT(screenshot(root, test_path(root, "blank.html"), test_path(root, "blank.png"), &ink_blank, &hits_blank),
              0);
    CHECK_INT(screenshot(root, test_path(root, "report.html"), test_path(root, "report.png"), &ink, &hits), 0);
    printf("non-white: blank page %.4f, report %.4f; convolution-blue pixels %ld\n", ink_blank, ink, hits);
    CHECK(ink_blank >= 0 && ink_blank < 0.001);
    /* Text, grids and coloured bars cover a good part of the first screen. */
    CHECK(ink > 0.04);
    /* The SVG drew: the convolution bars' colour is on screen. */
    CHECK(hits > 300);
    CHECK_INT(hits_blank, 0);
    return 0;
}

/* device.json in a model's result folder (map's copy): board, software,
 * power mode, clocks, temperatures at start and end, the cooldown; a model
 * without one says what is missing; a malformed one is an error naming it. */
static void test_device_section(const char *root)
{
    const char *dev = test_path(root, "result/plain/device.json");
    test_write_file(
        dev, "{\"model\": \"NVIDIA Jetson <Orin> Nano\", \"l4t_release\": \"# R36 (release), REVISION: 3.0\",\n"
             " \"nvpmodel\": \"pmode:0001\", \"logger_mean_rate_hz\": 748.5,\n"
             " \"cpus\": [{\"cpu\": \"cpu0\", \"cur_khz\": 1510400, \"min_khz\": 115200, \"max_khz\": 1510400,"
             " \"governor\": \"schedutil\"}],\n"
             " \"devfreq\": [{\"device\": \"17000000.gpu\", \"cur_hz\": 624750000, \"min_hz\": 306000000,"
             " \"max_hz\": 624750000, \"governor\": \"nvhost_podgov\"}],\n"
             " \"start\": {\"time\": \"x\", \"thermal\": [{\"zone\": \"thermal_zone1\", \"type\": \"gpu-thermal\","
             " \"temp_mc\": 41500}]},\n"
             " \"cooldown\": {\"margin_c\": 5.0, \"reference\": \"r\", \"waited_s\": 12.25, \"reached\": true},\n"
             " \"end\": {\"time\": \"y\", \"thermal\": [{\"zone\": \"thermal_zone1\", \"type\": \"gpu-thermal\","
             " \"temp_mc\": 47250}]}}\n");
    const char *out = test_path(root, "dev.html");
    const char *args[] = {"report", "--result-dir", test_path(root, "result"), "--out", out, NULL};
    char *h = report_page(args, out, NULL);
    if (h) {
        CHECK_INT(count_of(h, "<h3>Device</h3>"), 3);
        CHECK_INT(count_of(h, "No <code>device.json</code>"), 2);
        CHECK_CONTAINS(h, "<tr><td>board</td><td>NVIDIA Jetson &lt;Orin&gt; Nano</td></tr>");
        CHECK_CONTAINS(h, "<tr><td>nvpmodel</td><td>pmode:0001</td></tr>");
        CHECK_CONTAINS(h, "<tr><td>clock cpu0</td><td>1510.4 MHz (115.2..1510.4 MHz) schedutil</td></tr>");
        CHECK_CONTAINS(h, "<tr><td>clock 17000000.gpu</td><td>624.8 MHz (306.0..624.8 MHz) nvhost_podgov</td></tr>");
        CHECK_CONTAINS(h, "<tr><td>temperature gpu-thermal</td><td>41.5 \xC2\xB0"
                          "C at start, 47.2 \xC2\xB0"
                          "C at end</td></tr>");
        CHECK_CONTAINS(h, "<tr><td>cooldown</td><td>within 5 \xC2\xB0"
                          "C of idle: reached after 12.2 s</td></tr>");
        CHECK_CONTAINS(h, "<tr><td>logger rate</td><td>748.5 samples/s</td></tr>");
    }
    free(h);
    test_write_file(dev, "{\"model\": ");
    test_run_result r = test_run_cli(args);
    CHECK_INT(r.status, 1);
    CHECK_CONTAINS(r.err, "result/plain/device.json:");
    CHECK_INT(test_count_lines(r.err), 1);
    test_run_free(&r);
    unlink(dev);
}

int main(int argc, char **argv)
{
    const char *root = test_tmpdir();
    write_fixture(root);
    /* `test_report chromium` (CTest's test_report.chromium): the report as a
     * headless browser draws it, alone; 77 where there is no browser. */
    if (argc > 1 && strcmp(argv[1], "chromium") == 0) {
        test_full_report(root);
        int skip = test_failed == 0 ? test_chromium(root) : 0;
        free(report_html);
        int rc = test_summary();
        return rc == 0 && skip == 77 ? 77 : rc;
    }
    test_escape();
    test_full_report(root);
    test_timeline_cycles(root);
    test_absent_inputs(root);
    test_train_metrics(root);
    test_bad_input(root);
    test_pipeline(root);
    test_mapping_info(root);
    test_device_section(root);
    free(report_html);
    return test_summary();
}
