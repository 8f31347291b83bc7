/* idle: idling_power.json read/write. */
#include <stdlib.h>
#include "testutil.h"
#include "wattprof/idle.h"

int main(void)
{
    const char *dir = test_tmpdir();
    const char *p = test_path(dir, "idling_power.json");
    wp_error err;
    double v = 0;
    test_write_file(p, "{\n    \"timestamp\": \"20241121-051743\",\n    \"avg_idle_power\": 5000000.00\n}");
    CHECK_INT(wp_idle_read(p, &v, &err), 0);
    CHECK(v == 5000000.0);
    test_write_file(p, "{\"avg_idle_power\": 1234567}");
    CHECK_INT(wp_idle_read(p, &v, &err), 0);
    CHECK(v == 1234567.0);
    test_write_file(p, "{\"avg_idle_power\": \"42.5\"}");
    CHECK_INT(wp_idle_read(p, &v, &err), 0);
    CHECK(v == 42.5);

    test_write_file(p, "{\"timestamp\": \"x\"}");
    CHECK_INT(wp_idle_read(p, &v, &err), -1);
    CHECK_CONTAINS(err.msg, "avg_idle_power");
    test_write_file(p, "{\n\"avg_idle_power\": \n");
    CHECK_INT(wp_idle_read(p, &v, &err), -1);
    CHECK_CONTAINS(err.msg, "idling_power.json:");
    /* Issue 13: a negative idle power was accepted by map. */
    test_write_file(p, "{\"avg_idle_power\": -5000000.0}");
    CHECK_INT(wp_idle_read(p, &v, &err), -1);
    CHECK_CONTAINS(err.msg, "idling_power.json");
    CHECK_CONTAINS(err.msg, "value out of range: avg_idle_power -5e+06 is negative");
    CHECK_INT(wp_idle_write(test_path(dir, "neg.json"), NULL, -1.0, &err), -1);
    test_write_file(p, "{\"avg_idle_power\": 0}");
    CHECK_INT(wp_idle_read(p, &v, &err), 0);
    test_write_file(p, "{\"avg_idle_power\": [1]}");
    CHECK_INT(wp_idle_read(p, &v, &err), -1);
    CHECK_INT(wp_idle_read(test_path(dir, "none.json"), &v, &err), -1);
    CHECK_CONTAINS(err.msg, "none.json");

    CHECK_INT(wp_idle_write(test_path(dir, "idle2.json"), "20241121-051743", 4321.5, &err), 0);
    char *text = test_read_file(test_path(dir, "idle2.json"));
    CHECK_CONTAINS(text, "\"timestamp\": \"20241121-051743\"");
    CHECK_CONTAINS(text, "\"avg_idle_power\": 4321.5");
    free(text);
    CHECK_INT(wp_idle_read(test_path(dir, "idle2.json"), &v, &err), 0);
    CHECK(v == 4321.5);
    CHECK_INT(wp_idle_write(test_path(dir, "idle3.json"), NULL, 1.0, &err), 0);
    text = test_read_file(test_path(dir, "idle3.json"));
    CHECK(text && strlen(text) > 20 && text[strlen("{\n    \"timestamp\": \"") + 8] == '-');
    free(text);
    CHECK_INT(test_count_entries(dir, ".idle"), 0);
    return test_summary();
}
