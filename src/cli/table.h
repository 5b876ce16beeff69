/*
 * cli/table.h - the list commands' tables (catalog list, case list,
 * webhook list): a header row and rows of text cells, columns as wide as
 * their widest cell, two spaces apart.
 *
 * On a terminal the table fits its width ($COLUMNS, else the terminal's
 * own, TIOCGWINSZ): the widest columns give way first, a cut cell ends in
 * "…".  Anywhere else (a pipe, a file) nothing is cut: a script reads
 * every byte.  Cells are copied; widths count characters (UTF-8 code
 * points), not bytes.  Single-threaded.
 */
#ifndef COVALID_CLI_TABLE_H
#define COVALID_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "covalid/util.h"

struct cli_table {
	const char *const *headers;
	size_t ncols, nrows;
	struct cv_strv cells; /* row-major */
};

/* headers: ncols static strings, which must outlive the table. */
void cli_table_init(struct cli_table *t, const char *const *headers, size_t ncols);
/* One row of ncols cells; a NULL cell is printed "-". */
void cli_table_add(struct cli_table *t, const char *const *cells);
/* Prints the header and the rows; the width is cli_table_width(out)'s. */
void cli_table_print(const struct cli_table *t, FILE *out);
void cli_table_release(struct cli_table *t);
/* The columns to fit in: 0 (no limit) unless out is a terminal. */
size_t cli_table_width(FILE *out);

#endif
