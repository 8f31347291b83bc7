/* NVIDIA GPUs through NVML, loaded with dlopen at run time so wattprof
 * builds and runs where there is no driver. Each GPU gives two rails:
 *   gpu<i>         nvmlDeviceGetPowerUsage (mW; on recent GPUs the driver
 *                  averages it over about a second)
 *   gpu<i>:energy  nvmlDeviceGetTotalEnergyConsumption (mJ counter, Volta+):
 *                  power from its increase, finer in time
 * $WATTPROF_NVML_LIB replaces "libnvidia-ml.so.1". */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor_internal.h"

typedef void *nvml_device;
typedef int nvml_return;

typedef struct nvml_api {
    void *lib;
    nvml_return (*init)(void);
    nvml_return (*shutdown)(void);
    const char *(*error_string)(nvml_return);
    nvml_return (*count)(unsigned int *);
    nvml_return (*handle)(unsigned int, nvml_device *);
    nvml_return (*name)(nvml_device, char *, unsigned int);
    nvml_return (*power)(nvml_device, unsigned int *);
    nvml_return (*energy)(nvml_device, unsigned long long *);
    nvml_device dev;
} nvml_api;

static const char *lib_name(void)
{
    const char *env = getenv("WATTPROF_NVML_LIB");
    return env && *env ? env : "libnvidia-ml.so.1";
}

static const char *nvml_err(const nvml_api *api, nvml_return rc)
{
    static char buf[32];
    if (api->error_string) {
        const char *m = api->error_string(rc);
        if (m)
            return m;
    }
    snprintf(buf, sizeof buf, "NVML error %d", rc);
    return buf;
}

/* Loads the library and initialises NVML; note says why not. */
static int nvml_load(nvml_api *api, char *note, size_t size)
{
    memset(api, 0, sizeof *api);
    const char *name = lib_name();
    api->lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!api->lib) {
        const char *why = dlerror();
        snprintf(note, size, "cannot load %s (%s); no NVIDIA driver here?", name, why ? why : "not found");
        return -1;
    }
    /* POSIX guarantees a data pointer from dlsym converts to a function
     * pointer; go through memcpy so strict compilers agree. */
#define SYM(field, sym, required)                                                                                      \
    do {                                                                                                               \
        void *p_ = dlsym(api->lib, sym);                                                                               \
        if (!p_ && required) {                                                                                         \
            snprintf(note, size, "%s lacks %s", name, sym);                                                            \
            dlclose(api->lib);                                                                                         \
            api->lib = NULL;                                                                                           \
            return -1;                                                                                                 \
        }                                                                                                              \
        memcpy(&api->field, &p_, sizeof p_);                                                                           \
    } while (0)
    SYM(init, "nvmlInit_v2", 1);
    SYM(shutdown, "nvmlShutdown", 1);
    SYM(error_string, "nvmlErrorString", 0);
    SYM(count, "nvmlDeviceGetCount_v2", 1);
    SYM(handle, "nvmlDeviceGetHandleByIndex_v2", 1);
    SYM(name, "nvmlDeviceGetName", 0);
    SYM(power, "nvmlDeviceGetPowerUsage", 1);
    SYM(energy, "nvmlDeviceGetTotalEnergyConsumption", 0);
#undef SYM
    nvml_return rc = api->init();
    if (rc != 0) {
        snprintf(note, size, "nvmlInit failed: %s", nvml_err(api, rc));
        dlclose(api->lib);
        api->lib = NULL;
        return -1;
    }
    return 0;
}

static void nvml_unload(nvml_api *api)
{
    if (api->lib) {
        api->shutdown();
        dlclose(api->lib);
        api->lib = NULL;
    }
}

static int nvml_list(const char *root, wp_rail_list *list, char *note, wp_error *err)
{
    (void)root;
    nvml_api api;
    note[0] = '\0';
    if (nvml_load(&api, note, WP_ERROR_MAX) < 0)
        return 0; /* absent is not an error when listing */
    unsigned int n = 0;
    nvml_return rc = api.count(&n);
    if (rc != 0)
        snprintf(note, WP_ERROR_MAX, "nvmlDeviceGetCount failed: %s", nvml_err(&api, rc));
    else if (n == 0)
        snprintf(note, WP_ERROR_MAX, "NVML found no GPU");
    int ret = 0;
    for (unsigned int i = 0; rc == 0 && i < n && ret == 0; i++) {
        nvml_device dev;
        if (api.handle(i, &dev) != 0)
            continue;
        char gname[96] = "GPU";
        if (api.name)
            api.name(dev, gname, sizeof gname);
        wp_rail_info r;
        memset(&r, 0, sizeof r);
        r.channel = (int)i;
        snprintf(r.where, sizeof r.where, "GPU %u: %s", i, gname);
        unsigned int mw;
        if (api.power(dev, &mw) == 0) {
            snprintf(r.name, sizeof r.name, "gpu%u", i);
            r.units = "mW";
            ret = wp__sensor_push_rail(list, &r, err);
        }
        unsigned long long mj;
        if (ret == 0 && api.energy && api.energy(dev, &mj) == 0) {
            snprintf(r.name, sizeof r.name, "gpu%u:energy", i);
            r.units = "mJ counter";
            ret = wp__sensor_push_rail(list, &r, err);
        }
    }
    nvml_unload(&api);
    return ret;
}

static int nvml_read_power(wp_sensor *s, double *mv, double *ma, wp_error *err)
{
    nvml_api *api = s->nvml;
    unsigned int mw;
    nvml_return rc = api->power(api->dev, &mw);
    if (rc != 0)
        return wp_fail(err, NULL, 0, "nvml %s: nvmlDeviceGetPowerUsage: %s", s->rail.name, nvml_err(api, rc));
    *mv = 1000.0;
    *ma = (double)mw;
    return 1;
}

static int nvml_read_energy(wp_sensor *s, double *mv, double *ma, wp_error *err)
{
    nvml_api *api = s->nvml;
    unsigned long long mj;
    nvml_return rc = api->energy(api->dev, &mj);
    if (rc != 0)
        return wp_fail(err, NULL, 0, "nvml %s: nvmlDeviceGetTotalEnergyConsumption: %s", s->rail.name,
                       nvml_err(api, rc));
    return wp__sensor_energy_step(s, mj, mv, ma);
}

static void nvml_close(wp_sensor *s)
{
    if (s->nvml) {
        nvml_unload(s->nvml);
        free(s->nvml);
        s->nvml = NULL;
    }
}

static int nvml_open(wp_sensor *s, wp_error *err)
{
    nvml_api *api = calloc(1, sizeof *api);
    if (!api)
        return wp_fail(err, NULL, 0, "out of memory");
    char note[WP_ERROR_MAX];
    if (nvml_load(api, note, sizeof note) < 0) {
        free(api);
        return wp_fail(err, NULL, 0, "nvml: %s", note);
    }
    s->nvml = api;
    s->close = nvml_close;
    nvml_return rc = api->handle((unsigned int)s->rail.channel, &api->dev);
    if (rc != 0)
        return wp_fail(err, NULL, 0, "nvml: GPU %d: %s", s->rail.channel, nvml_err(api, rc));
    if (strstr(s->rail.name, ":energy")) {
        s->energy_to_uj = 1000.0;
        s->read = nvml_read_energy;
    } else {
        s->read = nvml_read_power;
    }
    return 0;
}

const wp_sensor_backend wp__sensor_backend_nvml = {nvml_list, nvml_open};
