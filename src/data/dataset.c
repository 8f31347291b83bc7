/* `wattprof dataset`: mapped per-cycle measurements -> per-layer statistics
 * and per-layer-type training CSVs.
 *
 * Two phases: every model is read, checked and rendered into memory first,
 * then the files are written, the training folders as one result set
 * (resultset.h). A bad input anywhere therefore leaves nothing behind, not
 * even the files of the models before it; a full disk or a kill while
 * writing leaves the earlier training files as they were. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wattprof/array.h"
#include "wattprof/atomic_file.h"
#include "wattprof/resultset.h"
#include "wattprof/csv.h"
#include "wattprof/dataset.h"
#include "wattprof/deconvolve.h"
#include "wattprof/device.h"
#include "wattprof/fsutil.h"
#include "wattprof/layout.h"
#include "wattprof/nameindex.h"
#include "core/fastnum.h"

#define MAPPING_FILE WP_MAPPING_CSV
#define ENGINE_FILE WP_ENGINE_INFO_JSON
#define COL_NAME "layer_name"
#define COL_TYPE "layer_type"
#define COL_POWER "layer_power_excluding_idle_power_micro_watt"
#define COL_RUNTIME "layer_run_time"

void wp_dataset_options_init(wp_dataset_options *opt)
{
    opt->per_layer_measurements = 10;
    opt->runtime_stat = WP_RUNTIME_MEAN;
    opt->strict = 0;
}

/* ---- per-layer accumulation ---------------------------------------------- */

typedef struct {
    char *name;
    char *type;
    wp_layer_kind kind;
    long first_line;
    double *power, *runtime; /* one entry per row, NaN = no value */
    size_t n, cap;
} layer_acc;

typedef struct {
    layer_acc *v;
    size_t n, cap;
    wp_name_index ix;
} layer_set;

static void set_free(layer_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].type);
        free(s->v[i].power);
        free(s->v[i].runtime);
    }
    free(s->v);
    wp_name_index_free(&s->ix);
    memset(s, 0, sizeof *s);
}

static const char *acc_name(const void *v, size_t i)
{
    return ((const layer_acc *)v)[i].name;
}

static layer_acc *set_find(const layer_set *s, const char *name)
{
    long i = wp_name_index_find(&s->ix, name, acc_name, s->v);
    return i < 0 ? NULL : &s->v[i];
}

/* The layer called name, created when new (*created = 1). NULL: no memory. */
static layer_acc *set_get(layer_set *s, const char *name, int *created)
{
    *created = 0;
    layer_acc *l = set_find(s, name);
    if (l)
        return l;
    if (wp_grow(&s->v, &s->cap, s->n, 32, sizeof *s->v) != 0)
        return NULL;
    l = &s->v[s->n];
    memset(l, 0, sizeof *l);
    if (!(l->name = strdup(name)))
        return NULL;
    if (wp_name_index_add(&s->ix, l->name, s->n, acc_name, s->v) != 0) {
        free(l->name);
        return NULL;
    }
    s->n++;
    *created = 1;
    return l;
}

static int acc_push(layer_acc *l, double power, double runtime)
{
    if (l->n == l->cap) {
        size_t cap = wp_next_cap(l->cap, 16);
        if (wp_grow_to(&l->power, cap, sizeof *l->power) || wp_grow_to(&l->runtime, cap, sizeof *l->runtime))
            return -1;
        l->cap = cap;
    }
    l->power[l->n] = power;
    l->runtime[l->n] = runtime;
    l->n++;
    return 0;
}

/* ---- one model ------------------------------------------------------------- */

/* A rendered output file, written in phase two. */
typedef struct {
    char *path;
    char *data;
    size_t len;
} pending_file;

typedef struct {
    pending_file *files;
    size_t n, cap;
    char **stale; /* training files of earlier runs this run does not produce */
    size_t n_stale, cap_stale;
} plan;

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->files[i].path);
        free(p->files[i].data);
    }
    for (size_t i = 0; i < p->n_stale; i++)
        free(p->stale[i]);
    free(p->files);
    free(p->stale);
    memset(p, 0, sizeof *p);
}

static int plan_add(plan *p, char *path, char *data, size_t len)
{
    if (wp_grow(&p->files, &p->cap, p->n, 16, sizeof *p->files) != 0)
        return -1;
    p->files[p->n].path = path;
    p->files[p->n].data = data;
    p->files[p->n].len = len;
    p->n++;
    return 0;
}

static int plan_stale(plan *p, char *path)
{
    if (wp_grow(&p->stale, &p->cap_stale, p->n_stale, 16, sizeof *p->stale) != 0)
        return -1;
    p->stale[p->n_stale++] = path;
    return 0;
}

static int cmp_layer_ptr(const void *a, const void *b)
{
    const layer_acc *x = *(const layer_acc *const *)a, *y = *(const layer_acc *const *)b;
    return strcmp(x->name, y->name);
}

/* Feature values are whole numbers; written as integers, as upstream's
 * pandas frames of Python ints are ("224", not "224.0"). */
static void put_feature(FILE *fp, double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        fprintf(fp, "%.0f", v);
    else
        wp_csv_put_double(fp, v);
}

static int render_stats(FILE *fp, layer_acc **kept, size_t n, int runtime)
{
    fputs("layer_name,count,mean,std,min,25%,50%,75%,max\n", fp);
    for (size_t i = 0; i < n; i++) {
        wp_describe_stats st;
        if (wp_describe(runtime ? kept[i]->runtime : kept[i]->power, kept[i]->n, &st) != 0)
            return -1;
        double v[] = {st.count, st.mean, st.std, st.min, st.q25, st.q50, st.q75, st.max};
        wp_csv_put_field(fp, kept[i]->name);
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            fputc(',', fp);
            wp_csv_put_double(fp, v[k]);
        }
        fputc('\n', fp);
    }
    return 0;
}

/* Closes a memory stream (only then are *buf and *len final) and queues
 * its text for path, which it takes (NULL: out of memory). */
static int add_rendered(plan *p, char *path, FILE *fp, char **buf, size_t *len)
{
    if (fclose(fp) != 0) {
        free(path);
        free(*buf);
        return -1;
    }
    if (!path || plan_add(p, path, *buf, *len) != 0) {
        free(path);
        free(*buf);
        return -1;
    }
    return 0;
}

/* Ignored layer types of all models: type -> distinct layers. */
typedef struct {
    wp_dataset_ignored_type *v;
    size_t n, cap;
} ignored_list;

static int ignored_add(ignored_list *ig, const char *type)
{
    for (size_t i = 0; i < ig->n; i++)
        if (strcmp(ig->v[i].type, type) == 0) {
            ig->v[i].layers++;
            return 0;
        }
    if (wp_grow(&ig->v, &ig->cap, ig->n, 8, sizeof *ig->v) != 0)
        return -1;
    ig->v[ig->n].type = strdup(type);
    if (!ig->v[ig->n].type)
        return -1;
    ig->v[ig->n].layers = 1;
    ig->n++;
    return 0;
}

static int oom(wp_error *err, const char *path)
{
    return wp_fail(err, path, 0, "out of memory");
}

/* A numeric cell: the exact fast path for plain decimals (what `map`
 * writes), the strict general reader (with its line-numbered error) else. */
static int cell_double(const wp_csv_reader *r, int col, int allow_empty, double *out, wp_error *err)
{
    const char *s = r->fields[col];
    size_t len = strlen(s);
    if (len && wp_fast_parse_double(s, len, out) == 0)
        return 0;
    return wp_csv_double(r, col, allow_empty, out, err);
}

/* Reads the mapping CSV: every layer with its type; values for kept types. */
static int read_mapping(const char *path, layer_set *layers, wp_error *err)
{
    wp_csv_reader r;
    if (wp_csv_open(&r, path, err) != 0)
        return -1;
    int rc = -1;
    int c_name = wp_csv_require(&r, COL_NAME, err);
    if (c_name < 0)
        goto out;
    int c_type = wp_csv_require(&r, COL_TYPE, err);
    if (c_type < 0)
        goto out;
    int c_power = wp_csv_require(&r, COL_POWER, err);
    if (c_power < 0)
        goto out;
    int c_run = wp_csv_require(&r, COL_RUNTIME, err);
    if (c_run < 0)
        goto out;
    int c_cycle = wp_csv_column(&r, "cycle");
    int c_incl = wp_csv_column(&r, "layer_power_including_idle_power_micro_watt");
    int got;
    while ((got = wp_csv_next(&r, err)) == 1) {
        const char *name = r.fields[c_name], *type = r.fields[c_type];
        double power, runtime, dummy;
        if (cell_double(&r, c_power, 1, &power, err) != 0 || cell_double(&r, c_run, 1, &runtime, err) != 0)
            goto out;
        /* Columns we do not use must still be numbers: a broken file is
         * reported rather than half used. */
        if ((c_cycle >= 0 && cell_double(&r, c_cycle, 0, &dummy, err) != 0) ||
            (c_incl >= 0 && cell_double(&r, c_incl, 1, &dummy, err) != 0))
            goto out;
        if (*name == '\0') {
            wp_fail(err, path, r.line, "empty layer_name");
            goto out;
        }
        if (runtime < 0) {
            wp_fail(err, path, r.line, "negative layer_run_time %s", r.fields[c_run]);
            goto out;
        }
        wp_layer_kind kind = wp_layer_kind_from_type(type);
        int created;
        layer_acc *l = set_get(layers, name, &created);
        if (!l) {
            oom(err, path);
            goto out;
        }
        if (created) {
            l->type = strdup(type);
            l->kind = kind;
            l->first_line = r.line;
            if (!l->type) {
                oom(err, path);
                goto out;
            }
        } else if (strcmp(l->type, type) != 0) {
            wp_fail(err, path, r.line, "layer '%s' has type %s here but %s on line %ld", name, type, l->type,
                    l->first_line);
            goto out;
        }
        if (wp_layer_type_kind(type) != WP_KIND_OTHER && acc_push(l, power, runtime) != 0) {
            oom(err, path);
            goto out;
        }
    }
    if (got < 0)
        goto out;
    rc = 0;
out:
    wp_csv_free(&r);
    return rc;
}

/* Mean power excluding idle of a layer: deconvolve's estimate when `map`
 * wrote layer_power_estimates.csv (the per-cycle cells repeat it), else the
 * mean of the per-cycle values. */
static double layer_power(const layer_acc *l, const wp_deconv_estimate *est, size_t n_est)
{
    const wp_deconv_estimate *e = est ? wp_deconv_find(est, n_est, l->name) : NULL;
    return e ? e->power_excl_uw : wp_group_mean(l->power, l->n);
}

static int render_training(plan *p, const char *outdir, wp_layer_kind kind, wp_runtime_stat rstat, layer_acc **layers,
                           const wp_feature_row *rows, size_t n, const wp_deconv_estimate *est, size_t n_est,
                           const char *device, size_t *written)
{
    size_t nf;
    const char *const *names = wp_feature_names(kind, &nf);
    char file[32];
    snprintf(file, sizeof file, "%s.csv", wp_layer_kind_name(kind));
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += layers[i]->kind == kind;
    *written = count;
    if (count == 0) {
        /* Upstream writes no file for an empty type; a file from an earlier
         * run would otherwise be mistaken for this run's. */
        char *path = wp_path_join(outdir, file);
        if (!path || plan_stale(p, path) != 0) {
            free(path);
            return -1;
        }
        return 0;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return -1;
    for (size_t k = 0; k < nf; k++) {
        fputs(names[k], fp);
        fputc(',', fp);
    }
    /* The device is appended, and only when known, so the original's
     * columns stay where its readers look for them. */
    fputs(device ? "power,runtime,layer_name,device\n" : "power,runtime,layer_name\n", fp);
    for (size_t i = 0; i < n; i++) {
        if (layers[i]->kind != kind)
            continue;
        for (size_t k = 0; k < rows[i].n; k++) {
            put_feature(fp, rows[i].values[k]);
            fputc(',', fp);
        }
        wp_csv_put_double(fp, layer_power(layers[i], est, n_est));
        fputc(',', fp);
        wp_csv_put_double(fp, wp_runtime_stat_of(rstat, layers[i]->runtime, layers[i]->n));
        fputc(',', fp);
        wp_csv_put_field(fp, layers[i]->name);
        if (device) {
            fputc(',', fp);
            wp_csv_put_field(fp, device);
        }
        fputc('\n', fp);
    }
    return add_rendered(p, wp_path_join(outdir, file), fp, &buf, &len);
}

static int process_model(const char *model_dir, const char *model, const char *result_dir,
                         const wp_dataset_options *opt, wp_dataset_model *m, ignored_list *ig, plan *p, wp_error *err)
{
    int rc = -1;
    layer_set layers = {0};
    wp_engine eng = {0};
    layer_acc **sorted = NULL;
    wp_feature_row *rows = NULL;
    wp_deconv_estimate *est = NULL;
    size_t n_est = 0;
    char *map_path = wp_path_join(model_dir, MAPPING_FILE);
    char *eng_path = wp_path_join(model_dir, ENGINE_FILE);
    char *outdir = wp_path_join(result_dir, model);
    if (!map_path || !eng_path || !outdir) {
        oom(err, model_dir);
        goto out;
    }
    if (read_mapping(map_path, &layers, err) != 0)
        goto out;
    char *est_path = wp_path_join(model_dir, WP_DECONV_CSV_NAME);
    if (!est_path) {
        oom(err, model_dir);
        goto out;
    }
    if (access(est_path, F_OK) == 0 && wp_deconv_read_csv(est_path, &est, &n_est, err) != 0) {
        free(est_path);
        goto out;
    }
    free(est_path);
    if (wp_engine_read(eng_path, &eng, err) != 0)
        goto out;
    char *dev_path = wp_path_join(model_dir, WP_DEVICE_JSON);
    if (!dev_path) {
        oom(err, model_dir);
        goto out;
    }
    int drc = wp_device_read_name(dev_path, &m->device, err);
    free(dev_path);
    if (drc != 0)
        goto out;

    wp_feature_context ctx = {wp_network_bytes(&eng, NULL), (double)eng.cache_bytes, (double)eng.channel_block,
                              wp_network_layers(&eng, NULL)};
    sorted = malloc((layers.n ? layers.n : 1) * sizeof *sorted);
    rows = calloc(layers.n ? layers.n : 1, sizeof *rows);
    if (!sorted || !rows) {
        oom(err, model_dir);
        goto out;
    }
    size_t nkept = 0;
    for (size_t i = 0; i < layers.n; i++) {
        if (layers.v[i].kind != WP_KIND_OTHER)
            sorted[nkept++] = &layers.v[i];
        else if (wp_layer_type_kind(layers.v[i].type) == WP_KIND_OTHER && ignored_add(ig, layers.v[i].type) != 0) {
            oom(err, model_dir);
            goto out;
        }
    }
    /* Upstream groups by layer_name, which sorts: same row order here. */
    qsort(sorted, nkept, sizeof *sorted, cmp_layer_ptr);

    size_t nfound = 0;
    for (size_t i = 0; i < nkept; i++) {
        layer_acc *l = sorted[i];
        const wp_engine_layer *el = wp_engine_find(&eng, l->name);
        if (!el && opt->strict) {
            wp_fail(err, map_path, l->first_line, "layer '%s' (%s) is not in %s", l->name, l->type, eng_path);
            goto out;
        }
        if (!el) {
            /* Upstream's own reference data has such layers; it warns and
             * goes on. Left out, and counted for the warning. */
            if (m->layers_not_in_engine++ == 0) {
                size_t n = strlen(map_path) + 32;
                m->first_not_in_engine = strdup(l->name);
                m->not_in_engine_where = malloc(n);
                if (!m->first_not_in_engine || !m->not_in_engine_where) {
                    oom(err, model_dir);
                    goto out;
                }
                snprintf(m->not_in_engine_where, n, "%s:%zu", map_path, (size_t)l->first_line);
            }
            continue;
        }
        if (strcmp(el->type, l->type) != 0) {
            wp_fail(err, map_path, l->first_line, "layer '%s' has type %s here but %s in %s", l->name, l->type,
                    el->type, eng_path);
            goto out;
        }
        wp_error ferr;
        l->kind = wp_layer_model_kind(el);
        if (wp_layer_features_in(el, l->kind, &ctx, &rows[nfound], &ferr) != 0) {
            wp_fail(err, eng_path, el->line, "layer '%s': %s", l->name, ferr.msg);
            goto out;
        }
        sorted[nfound++] = l;
    }
    nkept = nfound;
    for (size_t i = 0; i < eng.n; i++)
        if (eng.layers[i].kind != WP_KIND_OTHER && !set_find(&layers, eng.layers[i].name))
            m->layers_not_in_mapping++;

    /* Statistics, written whether or not the model passes the threshold:
     * they are what tells the user why it did not. */
    for (int which = 0; which < 2; which++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);
        if (!fp || render_stats(fp, sorted, nkept, which) != 0) {
            if (fp)
                fclose(fp);
            free(buf);
            oom(err, model_dir);
            goto out;
        }
        char *path = wp_layout_model_file(model_dir, model, which ? WP_RUNTIME_STATS_SUFFIX : WP_POWER_STATS_SUFFIX);
        if (add_rendered(p, path, fp, &buf, &len) != 0) {
            oom(err, model_dir);
            goto out;
        }
    }

    /* A runtime-only mapping (profiled without a power sensor) has no power
     * at all: its rows still train the runtime models, so only runtimes are
     * required then. */
    int any_power = 0;
    for (size_t i = 0; i < nkept && !any_power; i++)
        for (size_t k = 0; k < sorted[i]->n && !any_power; k++)
            any_power = isfinite(sorted[i]->power[k]) != 0;
    size_t nshort = 0;
    for (size_t i = 0; i < nkept; i++) {
        size_t pc = 0, rcount = 0;
        for (size_t k = 0; k < sorted[i]->n; k++) {
            pc += isfinite(sorted[i]->power[k]) != 0;
            rcount += isfinite(sorted[i]->runtime[k]) != 0;
        }
        if ((any_power && pc < (size_t)opt->per_layer_measurements) || rcount < (size_t)opt->per_layer_measurements) {
            wp_dataset_short_layer *ns = realloc(m->short_layers, (nshort + 1) * sizeof *ns);
            if (!ns) {
                oom(err, model_dir);
                goto out;
            }
            m->short_layers = ns;
            ns[nshort].name = strdup(sorted[i]->name);
            ns[nshort].power_count = pc;
            ns[nshort].runtime_count = rcount;
            m->n_short = ++nshort;
            if (!ns[nshort - 1].name) {
                oom(err, model_dir);
                goto out;
            }
        }
    }
    m->skipped = nshort > 0;

    /* The other kinds (batch norm, activations, ...): training rows only.
     * The statistics files and the threshold above stay the original's
     * (conv, pooling, dense), so its outputs do not change; a layer of
     * these kinds that cannot be described or measured is left out alone. */
    size_t ntotal = nkept;
    for (size_t i = 0; i < layers.n; i++) {
        layer_acc *l = &layers.v[i];
        if (l->kind != WP_KIND_OTHER || wp_layer_type_kind(l->type) == WP_KIND_OTHER)
            continue;
        const wp_engine_layer *el = wp_engine_find(&eng, l->name);
        /* Run inside the layer it names (the cpu backend's batch norm or
         * activation folded into a convolution): its own time is two clock
         * reads and says nothing of its work, which is in that layer's row. */
        if (el && el->fused_into) {
            m->layers_fused++;
            continue;
        }
        wp_error ferr;
        wp_layer_kind k = el && strcmp(el->type, l->type) == 0 ? wp_layer_model_kind(el) : WP_KIND_OTHER;
        if (k == WP_KIND_OTHER || wp_layer_features_in(el, k, &ctx, &rows[ntotal], &ferr) != 0) {
            if (ignored_add(ig, l->type) != 0) {
                oom(err, model_dir);
                goto out;
            }
            continue;
        }
        size_t rcount = 0;
        for (size_t j = 0; j < l->n; j++)
            rcount += isfinite(l->runtime[j]) != 0;
        if (rcount < (size_t)opt->per_layer_measurements || rcount == 0) {
            m->extra_short++;
            continue;
        }
        l->kind = k;
        sorted[ntotal++] = l;
    }
    /* by name, as the original's kinds (rows travel with their layers) */
    for (size_t i = nkept + 1; i < ntotal; i++)
        for (size_t j = i; j > nkept && strcmp(sorted[j - 1]->name, sorted[j]->name) > 0; j--) {
            layer_acc *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
            wp_feature_row fr = rows[j];
            rows[j] = rows[j - 1];
            rows[j - 1] = fr;
        }

    for (int kk = WP_KIND_CONV; kk < WP_N_KINDS; kk++) {
        wp_layer_kind kind = (wp_layer_kind)kk;
        if (m->skipped) {
            char file[32];
            snprintf(file, sizeof file, "%s.csv", wp_layer_kind_name(kind));
            char *path = wp_path_join(outdir, file);
            if (!path || plan_stale(p, path) != 0) {
                free(path);
                oom(err, model_dir);
                goto out;
            }
            continue;
        }
        if (render_training(p, outdir, kind, opt->runtime_stat, sorted, rows, ntotal, est, n_est, m->device,
                            &m->rows[kind]) != 0) {
            oom(err, model_dir);
            goto out;
        }
    }
    rc = 0;
out:
    set_free(&layers);
    wp_engine_free(&eng);
    wp_deconv_estimates_free(est, n_est);
    free(sorted);
    free(rows);
    free(map_path);
    free(eng_path);
    free(outdir);
    return rc;
}

/* Sorted names of the sub-directories of dir, hidden ones left out. */
static int list_models(const char *dir, char ***out, size_t *n_out, wp_error *err)
{
    if (wp_dir_list(dir, "preprocessed data directory", wp_dir_keep_subdirs, NULL, out, n_out, err) != 0)
        return -1;
    if (*n_out == 0)
        return wp_fail(err, dir, 0, "no model folders (expected DIR/<model>/%s)", MAPPING_FILE);
    return 0;
}

/* The training files dataset owns in RESULT/<model>/ (other files there
 * are kept when the folder is replaced). */
static const char *const training_owned[] = {"convolutional.csv", "pooling.csv", "dense.csv", NULL};

/* Index of the model whose result folder holds path (RESULT/<model>/FILE),
 * or -1. */
static long result_model_of(const char *path, const char *result_dir, char **models, size_t n)
{
    size_t rl = strlen(result_dir);
    while (rl > 1 && result_dir[rl - 1] == '/')
        rl--;
    if (strncmp(path, result_dir, rl) != 0 || path[rl] != '/')
        return -1;
    const char *rest = path + rl + 1;
    const char *slash = strchr(rest, '/');
    if (!slash || strchr(slash + 1, '/'))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strlen(models[i]) == (size_t)(slash - rest) && !strncmp(rest, models[i], (size_t)(slash - rest)))
            return (long)i;
    return -1;
}

/* Writes the plan. The training folders RESULT/<model>/ change as one
 * result set (resultset.h): written into staging folders, switched in
 * together; a full disk or a kill before the switch leaves every earlier
 * training file as it was. The statistics beside the input go after the
 * training files are staged, each file atomically. */
static int write_plan(const plan *p, const char *result_dir, char **models, size_t n_models, wp_error *err)
{
    int rc = -1;
    const char **stages = calloc(n_models ? n_models : 1, sizeof *stages);
    wp_resultset *rs = NULL;
    if (!stages)
        return oom(err, result_dir);
    int any = 0;
    for (size_t i = 0; i < p->n && !any; i++)
        any = result_model_of(p->files[i].path, result_dir, models, n_models) >= 0;
    for (size_t i = 0; i < p->n_stale && !any; i++) {
        char *slash = strrchr(p->stale[i], '/');
        *slash = '\0';
        any = wp_is_dir(p->stale[i]);
        *slash = '/';
    }
    if (any) {
        if (!(rs = wp_resultset_begin(result_dir, "dataset", err)))
            goto out;
        wp_resultset_hold_signals(rs);
    }
    /* Staged files first (pass 0), then the statistics (pass 1). */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < p->n; i++) {
            long m = result_model_of(p->files[i].path, result_dir, models, n_models);
            if ((m >= 0) != (pass == 0))
                continue;
            const char *path = p->files[i].path;
            char *staged = NULL;
            if (m >= 0) {
                if (!stages[m] && !(stages[m] = wp_resultset_stage(rs, models[m], training_owned, err)))
                    goto out;
                if (!(staged = wp_path_join(stages[m], strrchr(path, '/') + 1))) {
                    oom(err, result_dir);
                    goto out;
                }
                path = staged;
            } else {
                char *slash = strrchr(p->files[i].path, '/');
                if (slash) {
                    *slash = '\0';
                    int r = wp_mkdirs(p->files[i].path, err);
                    *slash = '/';
                    if (r != 0)
                        goto out;
                }
            }
            int r = wp_atomic_write_all(path, p->files[i].data, p->files[i].len, err);
            free(staged);
            if (r != 0)
                goto out;
        }
        /* A model now skipped: its folder is replaced without its training
         * files (they would mix two runs). */
        for (size_t i = 0; pass == 0 && i < p->n_stale; i++) {
            long m = result_model_of(p->stale[i], result_dir, models, n_models);
            if (m < 0 || stages[m])
                continue;
            char *dir = wp_path_join(result_dir, models[m]);
            int exists = dir && wp_is_dir(dir);
            free(dir);
            if (exists && !(stages[m] = wp_resultset_stage(rs, models[m], training_owned, err)))
                goto out;
        }
    }
    if (rs && wp_resultset_commit(rs, err) != 0)
        goto out;
    rc = 0;
out:
    wp_resultset_end(rs);
    free(stages);
    return rc;
}

int wp_dataset_run(const char *preprocessed_dir, const char *result_dir, const wp_dataset_options *opt,
                   wp_dataset_report *rep, wp_error *err)
{
    memset(rep, 0, sizeof *rep);
    wp_dataset_options defaults;
    if (!opt) {
        wp_dataset_options_init(&defaults);
        opt = &defaults;
    }
    if (opt->per_layer_measurements < 0)
        return wp_fail(err, NULL, 0, "per-layer measurements must be >= 0");
    if ((unsigned)opt->runtime_stat >= WP_N_RUNTIME_STATS)
        return wp_fail(err, NULL, 0, "unknown runtime statistic %d", (int)opt->runtime_stat);
    char **models;
    size_t n;
    if (list_models(preprocessed_dir, &models, &n, err) != 0)
        return -1;
    int rc = -1;
    plan p = {0};
    ignored_list ig = {0};
    rep->models = calloc(n, sizeof *rep->models);
    if (!rep->models) {
        oom(err, preprocessed_dir);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        wp_dataset_model *m = &rep->models[i];
        rep->n_models = i + 1;
        if (!(m->name = strdup(models[i]))) {
            oom(err, preprocessed_dir);
            goto out;
        }
        char *model_dir = wp_path_join(preprocessed_dir, models[i]);
        if (!model_dir) {
            oom(err, preprocessed_dir);
            goto out;
        }
        int r = process_model(model_dir, models[i], result_dir, opt, m, &ig, &p, err);
        free(model_dir);
        if (r != 0)
            goto out;
    }
    if (write_plan(&p, result_dir, models, n, err) != 0)
        goto out;
    rc = 0;
out:
    rep->ignored = ig.v;
    rep->n_ignored = ig.n;
    for (size_t i = 0; i < n; i++)
        free(models[i]);
    free(models);
    plan_free(&p);
    if (rc != 0)
        wp_dataset_report_free(rep);
    return rc;
}

void wp_dataset_report_free(wp_dataset_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->n_models; i++) {
        wp_dataset_model *m = &rep->models[i];
        free(m->name);
        for (size_t k = 0; k < m->n_short; k++)
            free(m->short_layers[k].name);
        free(m->short_layers);
        free(m->first_not_in_engine);
        free(m->not_in_engine_where);
        free(m->device);
    }
    free(rep->models);
    for (size_t i = 0; i < rep->n_ignored; i++)
        free(rep->ignored[i].type);
    free(rep->ignored);
    memset(rep, 0, sizeof *rep);
}
