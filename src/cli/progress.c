/*
 * progress.c - the progress line of long commands (see cli/progress.h).
 */
#include <unistd.h>

#include "cli/progress.h"
#include "util/cv.h"

/* Ten redraws a second: fast enough to look alive, cheap on a slow terminal. */
#define PROGRESS_INTERVAL_NS (100 * 1000 * 1000ull)

void cli_progress_init(struct cli_progress *p, const char *what)
{
	const char *term = getenv("TERM");

	*p = (struct cli_progress){ .what = what, .started_ns = cv_now_ns() };
	/* A "dumb" terminal (an editor's shell buffer) does not honour \r and
	 * the erase sequence: the line would pile up. */
	p->on = isatty(STDERR_FILENO) && !cv_streq(term, "dumb");
}

static void eta(char *buf, size_t size, double s)
{
	if (s >= 3600)
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	else if (s >= 60)
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, size, "%ds", (int)s + 1);
}

void cli_progress_update(struct cli_progress *p, size_t count, uint64_t done, uint64_t total)
{
	struct cv_buf b;
	uint64_t now;
	double elapsed;
	char left[32];
	char *line;
	size_t n;

	if (!p->on)
		return;
	now = cv_now_ns();
	if (now - p->drawn_ns < PROGRESS_INTERVAL_NS)
		return;
	p->drawn_ns = now;
	elapsed = (double)(now - p->started_ns) / 1e9;
	cv_buf_init(&b, 256);
	(void)!cv_buf_printf(&b, "%zu %s, %.0f/s", count, p->what, elapsed > 0 ? (double)count / elapsed : 0.0);
	if (total && done <= total) {
		double frac = (double)done / (double)total;

		if (frac > 0 && frac < 1) {
			eta(left, sizeof(left), elapsed / frac - elapsed);
			(void)!cv_buf_printf(&b, ", %.0f%%, ETA %s", frac * 100, left);
		} else
			(void)!cv_buf_printf(&b, ", %.0f%%", frac * 100);
	}
	line = cv_buf_detach(&b, &n);
	/* \r and erase to the end of the line: a shorter line leaves no tail. */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->width = n;
	free(line);
}

void cli_progress_say(struct cli_progress *p, const char *text)
{
	if (!p->on)
		return;
	fprintf(stderr, "\r%s\033[K", text);
	fflush(stderr);
	p->width = strlen(text);
}

void cli_progress_clear(struct cli_progress *p)
{
	if (p->on && p->width) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->width = 0;
	p->drawn_ns = 0;
}

void cli_progress_end(struct cli_progress *p)
{
	cli_progress_clear(p);
	p->on = false;
}
