/* CSV in the dialect upstream (pandas) reads and writes: comma separated,
 * first line a header, fields quoted with '"' only when they hold a comma,
 * quote or newline, an empty field meaning "no value".
 *
 * The reader hands out one record at a time with its line number, so every
 * error can name the file and line. */
#ifndef WATTPROF_CSV_H
#define WATTPROF_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "wattprof/error.h"

/* Buffer size that holds any double wp_format_double writes. */
#define WP_DOUBLE_BUFSZ 32

/* Shortest text that reads back (strtod) as exactly v, in Python's repr
 * style: "6250000.0", "0.1", "1e-07", "nan", "inf". Returns the length. */
size_t wp_format_double(double v, char *buf);

/* Writes a field, quoting it when needed. */
void wp_csv_put_field(FILE *fp, const char *s);
/* Writes v as wp_format_double does; a NaN is written as an empty field
 * (upstream's "no value"). */
void wp_csv_put_double(FILE *fp, double v);

typedef struct wp_csv_reader {
    const char *path;
    FILE *fp;
    long line; /* line number of the current record (1-based) */
    char *buf; /* current line */
    size_t cap;
    char **fields; /* fields of the current record, NUL-terminated */
    size_t nfields;
    size_t fields_cap;
    char **header; /* copy of the header fields */
    size_t nheader;
} wp_csv_reader;

/* Opens path and reads its header. */
int wp_csv_open(wp_csv_reader *r, const char *path, wp_error *err);
/* Reads the next record: 1 on a record, 0 at end of file, -1 on error
 * (a record whose field count differs from the header's is an error). */
int wp_csv_next(wp_csv_reader *r, wp_error *err);
/* Index of a header column, or -1. */
int wp_csv_column(const wp_csv_reader *r, const char *name);
/* Index of a required column; -1 with "missing column" error otherwise. */
int wp_csv_require(const wp_csv_reader *r, const char *name, wp_error *err);
/* Parses field `col` of the current record as a finite double. An empty
 * field gives NaN when allow_empty, else an error; text that is not a
 * number, or a NaN/inf spelled out, is always an error naming the line. */
int wp_csv_double(const wp_csv_reader *r, int col, int allow_empty, double *out, wp_error *err);
void wp_csv_free(wp_csv_reader *r);

/* Strict number parsing for all readers: the whole text must be a finite
 * number (leading/trailing blanks allowed). */
int wp_parse_double(const char *s, size_t len, double *out);

#endif
