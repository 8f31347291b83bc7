/* The CLI's argument layer, table-driven over every command the tool lists:
 * --help succeeds, an unknown option and an option without its value each
 * give one usage line and exit status 2. The commands and, per command, an
 * option that takes a value come from the tool's own help, so a new command
 * or option is covered without touching this file. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MAX_COMMANDS 64

/* "  name   help" lines after "Commands:" in `wattprof --help`. */
static int list_commands(char names[][32])
{
    test_run_result r = test_run_cli((const char *[]){"--help", NULL});
    CHECK_INT(r.status, 0);
    int n = 0;
    const char *p = r.out ? strstr(r.out, "Commands:\n") : NULL;
    if (p)
        p += strlen("Commands:\n");
    while (p && p[0] == ' ' && p[1] == ' ' && n < MAX_COMMANDS) {
        if (sscanf(p, " %31s", names[n]) == 1)
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    test_run_free(&r);
    return n;
}

/* The first "  --opt VALUE" line of a help text (VALUE in capitals). */
static int option_with_value(const char *help, char *opt, size_t size)
{
    for (const char *p = help; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        const char *q = p;
        while (*q == ' ')
            q++;
        if (q == p || q[0] != '-' || q[1] != '-')
            continue;
        size_t len = strspn(q, "-abcdefghijklmnopqrstuvwxyz0123456789");
        if (q[len] == ' ' && isupper((unsigned char)q[len + 1]) && len < size) {
            memcpy(opt, q, len);
            opt[len] = '\0';
            return 1;
        }
    }
    return 0;
}

static void check_usage_line(const test_run_result *r, const char *cmd, const char *what)
{
    char want[256];
    snprintf(want, sizeof want, "wattprof %s: %s (see 'wattprof %s --help')\n", cmd, what, cmd);
    CHECK_INT(r->status, 2);
    CHECK_STR(r->err, want);
    CHECK_STR(r->out, "");
}

static void test_command(const char *cmd)
{
    test_run_result r = test_run_cli((const char *[]){cmd, "--help", NULL});
    CHECK_INT(r.status, 0);
    char usage[64];
    snprintf(usage, sizeof usage, "usage: wattprof %s", cmd);
    CHECK_CONTAINS(r.out, usage);
    char opt[64] = "";
    int has_value = r.out && option_with_value(r.out, opt, sizeof opt);
    if (!has_value)
        test_fail_at(__FILE__, __LINE__, "'%s --help' lists no option taking a value", cmd);
    test_run_free(&r);

    r = test_run_cli((const char *[]){cmd, "--no-such-option", NULL});
    check_usage_line(&r, cmd, "unknown option '--no-such-option'");
    test_run_free(&r);
    r = test_run_cli((const char *[]){cmd, "-Z", NULL});
    check_usage_line(&r, cmd, "unknown option '-Z'");
    test_run_free(&r);

    /* Operands: only run takes them (the command to run). */
    if (strcmp(cmd, "run") != 0) {
        r = test_run_cli((const char *[]){cmd, "stray", NULL});
        check_usage_line(&r, cmd, "unexpected argument 'stray'");
        test_run_free(&r);
    }

    if (has_value) {
        char what[128];
        snprintf(what, sizeof what, "option '%s' needs a value", opt);
        r = test_run_cli((const char *[]){cmd, opt, NULL});
        check_usage_line(&r, cmd, what);
        test_run_free(&r);
    }
}

/* Values are checked by the shared parsers, valid names from the library. */
static void test_values(void)
{
    test_run_result r = test_run_cli((const char *[]){"sensors", "--source", "solar", NULL});
    check_usage_line(&r, "sensors", "--source must be one of auto, ina3221, hwmon, rapl, nvml, not 'solar'");
    test_run_free(&r);
    r = test_run_cli((const char *[]){"train", "--cv", "1", "--data-dir", "d", "--out-dir", "o", NULL});
    check_usage_line(&r, "train", "--cv wants a whole number from 2 to 100000, not '1'");
    test_run_free(&r);
    r = test_run_cli((const char *[]){"log", "--out", "x", "--duration", "-3", NULL});
    check_usage_line(&r, "log", "--duration wants seconds > 0, not '-3'");
    test_run_free(&r);
}

int main(void)
{
    char names[MAX_COMMANDS][32];
    int n = list_commands(names);
    CHECK(n >= 13);
    for (int i = 0; i < n; i++)
        test_command(names[i]);
    test_values();
    return test_summary();
}
