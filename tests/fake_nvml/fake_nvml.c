/* A stand-in for libnvidia-ml.so.1, for tests only: the NVML entry points
 * wattprof's nvml source uses, with values read from files in
 * $FAKE_NVML_DIR (gpu<i>_power_mw, gpu<i>_energy_mj; a missing file makes
 * the call fail as "not supported"). $FAKE_NVML_GPUS sets the GPU count
 * (default 1); $FAKE_NVML_INIT_FAIL makes nvmlInit fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *nvmlDevice_t;

int nvmlInit_v2(void);
int nvmlShutdown(void);
const char *nvmlErrorString(int rc);
int nvmlDeviceGetCount_v2(unsigned int *count);
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev);
int nvmlDeviceGetName(nvmlDevice_t dev, char *name, unsigned int len);
int nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned int *mw);
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t dev, unsigned long long *mj);

enum { OK = 0, UNINITIALIZED = 1, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3, DRIVER_NOT_LOADED = 9 };

static int initialised;
static unsigned long long handles[16];

int nvmlInit_v2(void)
{
    if (getenv("FAKE_NVML_INIT_FAIL"))
        return DRIVER_NOT_LOADED;
    initialised++;
    return OK;
}

int nvmlShutdown(void)
{
    if (!initialised)
        return UNINITIALIZED;
    initialised--;
    return OK;
}

const char *nvmlErrorString(int rc)
{
    switch (rc) {
    case OK: return "Success";
    case UNINITIALIZED: return "Uninitialized";
    case INVALID_ARGUMENT: return "Invalid Argument";
    case NOT_SUPPORTED: return "Not Supported";
    case DRIVER_NOT_LOADED: return "Driver Not Loaded";
    default: return "Unknown Error";
    }
}

static unsigned int gpu_count(void)
{
    const char *n = getenv("FAKE_NVML_GPUS");
    unsigned int c = n ? (unsigned int)atoi(n) : 1;
    return c > 16 ? 16 : c;
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (!initialised)
        return UNINITIALIZED;
    *count = gpu_count();
    return OK;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev)
{
    if (!initialised)
        return UNINITIALIZED;
    if (index >= gpu_count())
        return INVALID_ARGUMENT;
    handles[index] = index;
    *dev = &handles[index];
    return OK;
}

int nvmlDeviceGetName(nvmlDevice_t dev, char *name, unsigned int len)
{
    snprintf(name, len, "Fake GPU %llu", *(unsigned long long *)dev);
    return OK;
}

static int read_value(nvmlDevice_t dev, const char *what, unsigned long long *v)
{
    if (!initialised)
        return UNINITIALIZED;
    const char *dir = getenv("FAKE_NVML_DIR");
    if (!dir)
        return NOT_SUPPORTED;
    char path[1024];
    snprintf(path, sizeof path, "%s/gpu%llu_%s", dir, *(unsigned long long *)dev, what);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NOT_SUPPORTED;
    int ok = fscanf(fp, "%llu", v) == 1;
    fclose(fp);
    return ok ? OK : NOT_SUPPORTED;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned int *mw)
{
    unsigned long long v;
    int rc = read_value(dev, "power_mw", &v);
    if (rc == OK)
        *mw = (unsigned int)v;
    return rc;
}

int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t dev, unsigned long long *mj)
{
    return read_value(dev, "energy_mj", mj);
}
