/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c) and their replay
 * driver. The readers under test take paths, so each input is written to
 * files in a private scratch folder first.
 *
 * Harnesses that read several files take one input holding them all,
 * separated by a line "%%\n": the fuzzer mutates every file and the
 * relations between them (a latency file against its engine info, a model
 * file against the engine it predicts), which single-file fuzzing never
 * reaches. Missing parts are empty files.
 *
 * Built with _GNU_SOURCE (tests/fuzz/CMakeLists.txt) for nftw. */
#ifndef WATTPROF_FUZZ_UTIL_H
#define WATTPROF_FUZZ_UTIL_H

#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_PARTS 8
#define FZ_SEP "\n%%\n"

typedef struct {
    const uint8_t *p[FZ_MAX_PARTS];
    size_t n[FZ_MAX_PARTS];
} fz_parts;

/* Splits data at FZ_SEP into up to `want` parts (the last takes the rest);
 * parts that are not there are empty. */
static inline void fz_split(const uint8_t *data, size_t size, int want, fz_parts *out)
{
    memset(out, 0, sizeof *out);
    size_t at = 0, seplen = strlen(FZ_SEP);
    for (int k = 0; k < want; k++) {
        out->p[k] = data + at;
        if (k == want - 1) {
            out->n[k] = size - at;
            return;
        }
        const uint8_t *hit = NULL;
        for (size_t i = at; !hit && i + seplen <= size; i++)
            if (memcmp(data + i, FZ_SEP, seplen) == 0)
                hit = data + i;
        if (!hit) {
            out->n[k] = size - at;
            at = size;
            continue;
        }
        out->n[k] = (size_t)(hit - (data + at));
        at = (size_t)(hit - data) + seplen;
    }
}

static int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Empties dir (and removes it). */
static inline void fz_rm_tree(const char *dir)
{
    nftw(dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char fz_scratch[256];

static void fz_cleanup(void)
{
    fz_rm_tree(fz_scratch);
}

/* A scratch folder private to this process, emptied on every call and
 * removed at exit. */
static inline const char *fz_dir(void)
{
    char *dir = fz_scratch;
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof fz_scratch, "%s/wattprof-fuzz-%ld", tmp && tmp[0] ? tmp : "/tmp", (long)getpid());
        atexit(fz_cleanup);
    }
    fz_rm_tree(dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        abort();
    return dir;
}

/* dir/rel, in a static ring of eight: the readers under test take paths. */
static inline char *fz_path(const char *dir, const char *rel)
{
    static char ring[8][512];
    static int at;
    char *path = ring[at++ % 8];
    snprintf(path, sizeof ring[0], "%s/%s", dir, rel);
    return path;
}

/* dir/rel (parents created) holding n bytes; returns the path (fz_path's). */
static inline const char *fz_write(const char *dir, const char *rel, const void *data, size_t n)
{
    char *path = fz_path(dir, rel);
    for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = 0;
        mkdir(path, 0700);
        *s = '/';
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(data, 1, n, f) != n)
        abort();
    if (fclose(f) != 0)
        abort();
    return path;
}

/* The n parts of data (fz_split) as the files names[k] of a fresh scratch
 * folder (fz_dir), which it returns; parts gets the split. An empty part is
 * an empty file, or no file where bit k of optional is set (for the inputs
 * whose folder is valid without that file). */
static inline const char *fz_write_parts(const uint8_t *data, size_t size, const char *const *names, int n,
                                         unsigned optional, fz_parts *parts)
{
    fz_split(data, size, n, parts);
    const char *dir = fz_dir();
    for (int k = 0; k < n; k++)
        if (parts->n[k] || !(optional & (1u << k)))
            fz_write(dir, names[k], parts->p[k], parts->n[k]);
    return dir;
}

/* rc, after saying it on stderr when FUZZ_VERBOSE is set: shows which
 * stage each replayed input reaches (a seed that never gets past the first
 * reader fuzzes little). */
static inline int fz_note(const char *stage, int rc, const char *msg)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "  %s: %s%s\n", stage, rc == 0 ? "ok" : "error: ", rc == 0 ? "" : msg);
    return rc;
}

#endif
