/* install: `cmake --install` of this build tree into a temporary prefix
 * gives a wattprof that runs on its own (tool, docs, and the CUDA runner
 * module where it was built, loadable from where it was installed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_sysfs.h"
#include "testutil.h"

int main(void)
{
    const char *prefix = test_tmpdir();
    test_run_result r = test_run_argv(
        (const char *[]){WATTPROF_CMAKE_COMMAND, "--install", WATTPROF_BUILD_DIR, "--prefix", prefix, NULL});
    CHECK_INT(r.status, 0);
    if (r.status != 0)
        fprintf(stderr, "%s%s", r.out ? r.out : "", r.err ? r.err : "");
    test_run_free(&r);

    char bin[2048];
    snprintf(bin, sizeof bin, "%s", test_path(prefix, "bin/wattprof"));
    CHECK(access(bin, X_OK) == 0);
    CHECK(test_file_exists(test_path(prefix, "share/doc/wattprof/README.md")));
    CHECK(test_file_exists(test_path(prefix, "share/doc/wattprof/logging.md")));
    CHECK(test_file_exists(test_path(prefix, "share/doc/wattprof/report.png")));

    r = test_run_argv((const char *[]){bin, "--version", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "wattprof " WATTPROF_VERSION_TEXT);
    test_run_free(&r);

    /* A real command, on a fake sensor tree. */
    const char *root = test_tmpdir();
    const char *const labels[3] = {"VDD_GPU_SOC", "VDD_CPU_CV", "VDD_IN"};
    const long mv[3] = {5008, 5016, 5024}, ma[3] = {1200, 800, 2400};
    fake_ina_hwmon(root, "1-0040", "hwmon1", labels, mv, ma);
    r = test_run_argv((const char *[]){bin, "sensors", "--sysfs-root", root, "--source", "ina3221", NULL});
    CHECK_INT(r.status, 0);
    CHECK_CONTAINS(r.out, "VDD_IN");
    test_run_free(&r);

#ifdef WATTPROF_CUDA_MODULE_NAME
    /* The installed module loads (its CUDA libraries resolve from where it
     * was installed): bench then runs, or says there is no usable device;
     * never that the backend is unavailable. */
    char module[2048];
    snprintf(module, sizeof module, "%s", test_path(prefix, "lib/wattprof/" WATTPROF_CUDA_MODULE_NAME));
    CHECK(test_file_exists(module));
    const char *dir = test_tmpdir();
    char onnx[2048];
    snprintf(onnx, sizeof onnx, "%s", test_path(dir, "lenet.onnx"));
    r = test_run_argv((const char *[]){bin, "zoo", "--arch", "lenet", "--out", onnx, NULL});
    CHECK_INT(r.status, 0);
    test_run_free(&r);
    CHECK_INT(setenv("WATTPROF_CUDA_MODULE", module, 1), 0);
    r = test_run_argv((const char *[]){bin, "bench", "--model", onnx, "--result-dir", test_path(dir, "raw"),
                                       "--backend", "cuda", "--runs", "1", NULL});
    unsetenv("WATTPROF_CUDA_MODULE");
    CHECK(r.status == 0 || (r.status == 1 && strstr(r.err, "CUDA") && !strstr(r.err, "not available")));
    if (r.status != 0)
        fprintf(stderr, "installed cuda module loaded; no GPU here: %s", r.err);
    test_run_free(&r);
#else
    fprintf(stderr, "CUDA runner module not built: its install check is skipped\n");
#endif
    return test_summary();
}
