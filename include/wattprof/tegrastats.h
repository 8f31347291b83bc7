/* tegrastats logs as power logs (`tegrastats --interval N --logfile F`).
 *
 * A line holds one reading of every rail, "NAME CUR/AVG" with CUR and AVG
 * in mW: "VDD_IN 5000mW/5000mW" from JetPack 5 on (Orin, Xavier),
 * "POM_5V_IN 5000/5000" or "VDD_IN 5000/5000" on JetPack 4 (Nano, TX2).
 * JetPack 5 and later start each line with "MM-DD-YYYY HH:MM:SS" (local
 * time, whole seconds); JetPack 4 writes no time at all. The power taken
 * is CUR (AVG is tegrastats' own running mean since it started).
 *
 * Line times: the lines come every interval, so line i is at a + i * dt.
 * With whole-second stamps, dt is what the stamps span between their
 * first and last change of second, over the lines between, and a is the
 * middle of the range every line's stamp allows (floor(a + i dt) = stamp),
 * which pins the lines to a fraction of the interval. Without stamps, the
 * caller gives the start and the interval. */
#ifndef WATTPROF_TEGRASTATS_H
#define WATTPROF_TEGRASTATS_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/error.h"
#include "wattprof/powerlog.h"

/* Rails tried, in order, when none is named: the board's input. */
#define WP_TEGRASTATS_DEFAULT_RAILS "VDD_IN, POM_5V_IN, VIN_SYS_5V0"

typedef struct wp_tegrastats_options {
    const char *rail;   /* NULL: the first of WP_TEGRASTATS_DEFAULT_RAILS present */
    int64_t start_us;   /* stamp-less logs: the first line's time (local civil us) */
    double interval_ms; /* > 0: the --interval given to tegrastats (else estimated
                           from the stamps; required without them) */
} wp_tegrastats_options;

/* Every field zero: the default rails, interval estimated from the stamps. */
void wp_tegrastats_options_init(wp_tegrastats_options *o);

/* Reads a start note, {"start": "YYYYmmdd-HH:MM:SS.ffffff", "interval_ms": N}
 * (WP_TEGRASTATS_START beside the log: when tegrastats was started, local
 * civil time, and its --interval), into o->start_us and o->interval_ms.
 * JetPack 4's lines carry no time: with the note `map` can place them.
 * Errors name the file (and line for malformed JSON). */
int wp_tegrastats_read_start(const char *path, wp_tegrastats_options *o, wp_error *err);

/* 1 when the file's first non-blank line reads as tegrastats output. */
int wp_tegrastats_sniff(const char *path);

/* Reads the rail's power into log (samples in microwatts); rail_used gets
 * its name. Errors name the file and line: a line without the rail (the
 * rails present are listed), a bad value, stamps going backwards. */
int wp_tegrastats_read(const char *path, const wp_tegrastats_options *opt, wp_powerlog *log, char *rail_used,
                       size_t rail_size, wp_error *err);

#endif
