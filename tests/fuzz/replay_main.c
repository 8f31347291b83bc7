/* Replays corpora through a harness without libFuzzer, so any compiler
 * (gcc included) and any sanitizer build runs them: every file named, and
 * every file inside every folder named, is fed to LLVMFuzzerTestOneInput
 * once; paths after --optional may be missing. `scripts/test.sh` runs each
 * harness's corpus this way under ASan + UBSan; a crash or sanitizer report
 * fails the test. */
#include <dirent.h>

#include "fuzz_util.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    /* An exact-size copy, so ASan sees a read past the input's end. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    long files = 0;
    int optional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--optional") == 0) {
            optional = 1;
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            if (optional)
                continue;
            fprintf(stderr, "%s: not found\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0)
                return 1;
            files++;
            continue;
        }
        struct dirent **ents;
        int n = scandir(argv[i], &ents, NULL, NULL);
        if (n < 0) {
            fprintf(stderr, "%s: cannot list\n", argv[i]);
            return 1;
        }
        char **names = calloc((size_t)n + 1, sizeof *names);
        int k = 0;
        for (int e = 0; e < n; e++) {
            if (ents[e]->d_name[0] != '.' && names) {
                size_t len = strlen(argv[i]) + strlen(ents[e]->d_name) + 2;
                names[k] = malloc(len);
                if (names[k])
                    snprintf(names[k++], len, "%s/%s", argv[i], ents[e]->d_name);
            }
            free(ents[e]);
        }
        free(ents);
        if (!names)
            return 1;
        qsort(names, (size_t)k, sizeof *names, cmp_str);
        for (int e = 0; e < k; e++) {
            int rc = run_file(names[e]);
            free(names[e]);
            if (rc != 0)
                return 1;
            files++;
        }
        free(names);
    }
    if (files == 0) {
        fprintf(stderr, "no inputs\n");
        return 1;
    }
    printf("%ld inputs replayed\n", files);
    return 0;
}
