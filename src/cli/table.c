/*
 * table.c - the list commands' tables (see cli/table.h).
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/table.h"
#include "util/cv.h"

#define GAP 2
/* A column cut no narrower than this (or its header, if narrower). */
#define MIN_WIDTH 6

void cli_table_init(struct cli_table *t, const char *const *headers, size_t ncols)
{
	*t = (struct cli_table){ .headers = headers, .ncols = ncols };
	cv_strv_init(&t->cells);
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
	for (size_t i = 0; i < t->ncols; i++)
		cv_strv_push(&t->cells, cells[i] ? cells[i] : "-");
	t->nrows++;
}

void cli_table_release(struct cli_table *t)
{
	cv_strv_release(&t->cells);
	t->nrows = 0;
}

/* Characters, not bytes: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

size_t cli_table_width(FILE *out)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	uint64_t n;

	if (!isatty(fileno(out)))
		return 0;
	/* $COLUMNS first, as ls and git do: a person may want it narrower. */
	if (env && cv_parse_u64(env, 10, &n) == 0 && n > 0 && n < 100000)
		return (size_t)n;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* s in width columns: cut to width - 1 characters and "…" when longer;
 * padded with spaces unless last. */
static void cell(FILE *out, const char *s, size_t width, bool last)
{
	size_t w = text_width(s);

	if (w > width) {
		const char *p = s;
		size_t keep = width ? width - 1 : 0, k = 0;

		/* Up to the first byte of character keep + 1. */
		for (; *p; p++)
			if (((unsigned char)*p & 0xc0) != 0x80 && k++ == keep)
				break;
		fwrite(s, 1, (size_t)(p - s), out);
		if (width)
			fputs("\xe2\x80\xa6", out); /* U+2026 HORIZONTAL ELLIPSIS */
		w = width;
	} else
		fputs(s, out);
	if (!last)
		fprintf(out, "%*s", (int)(width - w + GAP), "");
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
	size_t *width = cv_xcalloc(t->ncols, sizeof(*width)), *floor = cv_xcalloc(t->ncols, sizeof(*floor));
	size_t limit = cli_table_width(out), total = 0;

	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = text_width(t->headers[c]);
		floor[c] = width[c] < MIN_WIDTH ? width[c] : MIN_WIDTH;
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = text_width(t->cells.v[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
		total += width[c] + (c ? GAP : 0);
	}
	/* Then the widest column gives way, a column
	 * at a time, until the table fits or every column is at its floor;
	 * of equally wide ones the rightmost, so that the first column, the
	 * id a person copies into the next command, is cut last. */
	/* The last column first (a title, a list of names: free text that
	 * reads well enough cut), down to its floor. */
	while (limit && total > limit && width[t->ncols - 1] > floor[t->ncols - 1]) {
		width[t->ncols - 1]--;
		total--;
	}
	while (limit && total > limit) {
		size_t widest = SIZE_MAX;

		for (size_t c = 0; c < t->ncols; c++)
			if (width[c] > floor[c] && (widest == SIZE_MAX || width[c] >= width[widest]))
				widest = c;
		if (widest == SIZE_MAX)
			break;
		width[widest]--;
		total--;
	}
	for (size_t c = 0; c < t->ncols; c++)
		cell(out, t->headers[c], width[c], c + 1 == t->ncols);
	fputc('\n', out);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			cell(out, t->cells.v[r * t->ncols + c], width[c], c + 1 == t->ncols);
		fputc('\n', out);
	}
	free(width);
	free(floor);
}
