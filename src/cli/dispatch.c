/*
 * dispatch.c - what covalid and the guest binaries do with a command
 * line: find the command in the guest commands' rows
 * (commands-guest.c), then the program's own, then help; print the
 * usage; run it (git.c's handle_builtin()).
 */
#include <unistd.h>

#include "cli/cli.h"
#include "covalid/covalid.h"
#include "util/suggest.h"
#include "util/cv.h"

static const struct cli_command help_command = {
	"help", cmd_help, "show help for a command",
	"usage: covalid help [COMMAND]\n",
};

/* The program's own rows, given to cli_main(). */
static const struct cli_command *own_commands;
static size_t own_ncommands;

/* The i-th command of the table: guest rows, own rows, help. */
static const struct cli_command *command_at(size_t i)
{
	if (i < cli_guest_ncommands)
		return &cli_guest_commands[i];
	i -= cli_guest_ncommands;
	if (i < own_ncommands)
		return &own_commands[i];
	return i == own_ncommands ? &help_command : NULL;
}

const struct cli_command *cli_find(const char *name)
{
	const struct cli_command *c;

	for (size_t i = 0; (c = command_at(i)); i++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void print_usage(FILE *f)
{
	const struct cli_command *c;

	fprintf(f, "usage: covalid [--version] [--help] <command> [<args>]\n\ncommands:\n");
	for (size_t i = 0; (c = command_at(i)); i++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'covalid help <command>' describes a command.\n"
		   "\nexit status: 0 ok, 1 negative answer (e.g. not validated), 2 usage or input error,\n"
		   "3 internal error.  Errors are one line on stderr: 'covalid: <what>: <why>'.\n");
}

int cmd_help(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2) {
		print_usage(stdout);
		return CLI_OK;
	}
	c = cli_find(argv[1]);
	if (!c)
		return cli_usage("help", "'%s' is not a covalid command", argv[1]);
	if (!c->help) {
		/* A command run by another program (covalid-server) that
		 * has the help: ask it. */
		char *args[] = { (char *)c->name, (char *)"--help", NULL };

		return c->fn(2, args);
	}
	cli_print_help(stdout, c);
	return CLI_OK;
}

int cli_main(int argc, char **argv, const struct cli_command *own, size_t nown)
{
	const struct cli_command *c;

	own_commands = own;
	own_ncommands = nown;
	if (argc < 2) {
		print_usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("covalid %s\n", COVALID_VERSION);
		return CLI_OK;
	}
	c = cli_find(argv[1]);
	if (!c) {
		const char *names[64], *near;
		size_t n = 0;

		for (size_t i = 0; n < CV_ELEMENTSOF(names) && (c = command_at(i)); i++)
			names[n++] = c->name;
		near = cv_suggest(argv[1], names, n);
		if (near)
			cli_error(NULL, "'%s' is not a covalid command. did you mean '%s'?", argv[1], near);
		else
			cli_error(NULL, "'%s' is not a covalid command (see 'covalid --help')", argv[1]);
		return CLI_USAGE;
	}
	for (int i = 2; i < argc && c->help; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(stdout, c);
			return CLI_OK;
		}
	}
	return c->fn(argc - 1, argv + 1);
}
