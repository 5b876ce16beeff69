/*
 * cli/progress.h - a one-line progress report on stderr for long commands
 * (check --fleet, catalog import): a count, a rate and, when the total is
 * known, how far and an ETA.
 *
 * Only for a person watching: it is on only when stderr is a terminal
 * (never in a pipe, a log or a test's captured output), redraws at most
 * ten times a second, and clears its line at the end so that what the
 * command prints afterwards starts on a clean line.  Single-threaded.
 */
#ifndef COVALID_CLI_PROGRESS_H
#define COVALID_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cli_progress {
	const char *what;     /* "machines", "rows" */
	uint64_t started_ns, drawn_ns;
	size_t width;         /* of the last line drawn, to clear it */
	bool on;
};

/* what is the counted thing's plural ("machines"). */
void cli_progress_init(struct cli_progress *p, const char *what);
/*
 * count things so far; done of total (bytes read of a file's size, files
 * of a directory's; total 0 unknown) for the percentage and the ETA.
 * Cheap when no redraw is due.
 */
void cli_progress_update(struct cli_progress *p, size_t count, uint64_t done, uint64_t total);
/* Draws text now, as the line's last word until the end ("writing"). */
void cli_progress_say(struct cli_progress *p, const char *text);
/* Erases the line, for a message of its own; the next update draws again. */
void cli_progress_clear(struct cli_progress *p);
/* Erases the line; the progress is off afterwards. */
void cli_progress_end(struct cli_progress *p);

#endif
