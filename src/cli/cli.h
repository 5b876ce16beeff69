/*
 * cli.h - what the subcommands share: exit codes, the one error style,
 * and the command table's shape.
 *
 * Commands are thin: they parse arguments, call the library, and print.
 * They are the only place that writes to stdout/stderr (library code
 * returns errors; the edge reports them once).
 *
 * Exit codes (documented in docs/covalid.1.md and `covalid --help`):
 *   0  ok / positive answer      (validated, verified, passed)
 *   1  negative answer           (not validated, a check failed, bad signature)
 *   2  usage or input error      (bad option, unreadable or malformed input)
 *   3  internal error            (a bug, or the system refused: disk full, ...)
 */
#ifndef COVALID_CLI_H
#define COVALID_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "covalid/util.h"

enum cli_exit {
	CLI_OK = 0,
	CLI_NO = 1,
	CLI_USAGE = 2,
	CLI_INTERNAL = 3,
};

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* one line for `covalid --help` */
	const char *help;    /* the whole text for `covalid help <name>` */
};

/* "covalid: <what>: <why>" on stderr; what may be NULL. */
void cli_error(const char *what, const char *fmt, ...) CV_PRINTF(2, 3);
/* Reports a usage error for cmd and returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) CV_PRINTF(2, 3);
/*
 * Before a getopt_long() loop: errors are ours to report (opterr off), and
 * the parse starts afresh.  optind = 0, not 1: glibc then also forgets the
 * permutation state of an earlier parse in this process, which otherwise
 * reorders the next argv wrongly (a subcommand's words after its options).
 */
void cli_getopt_begin(void);
/* Calls fn on SIGINT and SIGTERM (Ctrl-C and Ctrl-Break on Windows). */
void cli_on_interrupt(void (*fn)(int sig));
/*
 * An unknown subcommand word of cmd: "covalid: catalog: 'lsit' is not a
 * catalog subcommand. did you mean 'list'?" when one of words[0..n) is near
 * (util/suggest.h), else "unknown subcommand"; returns CLI_USAGE.
 */
int cli_unknown_subcommand(const char *cmd, const char *word, const char *const *words, size_t n);
/* Maps a negative errno from reading an input to an exit code. */
int cli_exit_for_input_error(int err);

/* The commands that run in a guest (probe, kit, key): commands-guest.c. */
extern const struct cli_command cli_guest_commands[];
extern const size_t cli_guest_ncommands;
/*
 * A program's main(): the guest commands, then the program's own nown
 * rows (own may be NULL), then help; --help, --version, dispatch.
 * Returns the exit code.
 */
int cli_main(int argc, char **argv, const struct cli_command *own, size_t nown);
const struct cli_command *cli_find(const char *name);
void cli_print_help(FILE *f, const struct cli_command *c);

/* Colours for terminals, off when NO_COLOR is set or f is not a tty. */
bool cli_color(FILE *f);

struct store;
struct descriptor;
/*
 * Opens the database the location rule names (cli/cli-config.h: --db,
 * $COVALID_DB, the configuration files, the default); reports errors
 * itself and returns an exit code (CLI_OK on success).  cli_open_store()
 * opens an existing database only (read-only commands never create one:
 * a missing one is "no database here", exit 2); cli_create_store(), for
 * the commands that write, creates it when it is not there.
 */
int cli_open_store(const char *db, struct store **ret);
int cli_create_store(const char *db, struct store **ret);
/* Before creating the database at location (chosen by rule, cli-config.h):
 * makes its directory when the rule is the default or a config file's. */
int cli_store_make_dir(const char *location, const char *rule);
/* Reads a descriptor from a file or "-"; reports errors, returns an exit code. */
int cli_read_descriptor(const char *path, struct descriptor **ret);

int cmd_probe(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_kit(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_help(int argc, char **argv);
/* Runs covalid-server (next to this program) with the same arguments. */
int cmd_exec_server(int argc, char **argv);

#endif
