/*
 * cli.c - what both programs' commands share (covalid and covalid-server):
 * the one error style, usage errors, exit codes for input errors, colour.
 */
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/suggest.h"
#include "util/cv.h"

void cli_print_help(FILE *f, const struct cli_command *c)
{
	fputs(c->help, f);
}

void cli_error(const char *what, const char *fmt, ...)
{
	va_list ap;

	fputs("covalid: ", stderr);
	if (what)
		fprintf(stderr, "%s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "covalid: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'covalid help %.*s')\n", (int)strcspn(cmd, " "), cmd);
	return CLI_USAGE;
}

int cli_unknown_subcommand(const char *cmd, const char *word, const char *const *words, size_t n)
{
	const char *near = cv_suggest(word, words, n);

	if (near)
		return cli_usage(cmd, "'%s' is not a subcommand of covalid %s. did you mean '%s'?", word, cmd, near);
	return cli_usage(cmd, "unknown subcommand '%s'", word);
}

int cli_exit_for_input_error(int err)
{
	switch (-err) {
	case ENOENT: case ENOTDIR: case EACCES: case EPERM: case EISDIR: case E2BIG:
	case EINVAL: case EILSEQ: case EBADMSG: case EPROTO: case ELOOP: case ENAMETOOLONG:
		return CLI_USAGE;
	default:
		return CLI_INTERNAL;
	}
}

bool cli_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	return (!nc || !*nc) && isatty(fileno(f)) && !cv_streq(term, "dumb");
}


void cli_on_interrupt(void (*fn)(int sig))
{
#ifdef _WIN32
	/* The C runtime maps Ctrl-C to SIGINT and Ctrl-Break to SIGBREAK;
	 * Windows has no sigaction. */
	signal(SIGINT, fn);
	signal(SIGBREAK, fn);
	signal(SIGTERM, fn);
#else
	/* sigaction, not signal(): no SA_RESTART, so a blocking call
	 * returns EINTR and the caller sees its stop flag. */
	struct sigaction sa = { 0 };

	sa.sa_handler = fn;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
#endif
}

void cli_getopt_begin(void)
{
	opterr = 0;
	optind = 0;
}
