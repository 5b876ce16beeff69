/*
 * main.c - covalid's entry point: the command table and dispatch
 * (git.c's commands[] and handle_builtin()).
 */
#include <unistd.h>

#include "cli/cli.h"
#include "covalid/covalid.h"
#include "util/cv.h"

static const struct cli_command commands[] = {
	{ "probe", cmd_probe, "say what this machine is: hypervisor, container, guest OS, VM, integration components",
	  "usage: covalid probe [--json] [--root DIR] [--capture DIR]\n"
	  "\n"
	  "Reports this machine's descriptor: the hypervisor it runs on (in\n"
	  "systemd-detect-virt's vocabulary) with every source read and what it\n"
	  "suggests, where sources disagree and which one was followed, the\n"
	  "container, the guest OS (with its libosinfo short-id), vCPUs, memory,\n"
	  "firmware, disks and NICs with their drivers, and the integration\n"
	  "components expected, present and missing.\n"
	  "\n"
	  "  --json         print the descriptor as JSON (schema covalid.descriptor/1,\n"
	  "                 docs/descriptor.md)\n"
	  "  --root DIR     read DIR/proc, DIR/sys, DIR/etc and DIR/cpuid.txt instead\n"
	  "                 of this machine (a captured or hand-made machine)\n"
	  "  --capture DIR  also copy every source read into DIR, so that\n"
	  "                 `covalid probe --root DIR` replays this report\n"
	  "\n"
	  "Exit status: 0 on a report (even with unknown fields), 2 if DIR does\n"
	  "not exist or an option is wrong, 3 on an internal error.\n" },
	{ "catalog", cmd_catalog, "import, export, list, search and show validated configurations",
	  "usage: covalid catalog import [--db PATH] FILE.jsonl...\n"
	  "       covalid catalog import [--db PATH] --osinfo [DIR] [--all]\n"
	  "       covalid catalog export [--db PATH] [--output FILE]\n"
	  "       covalid catalog list [products] [FILTERS] [--json]\n"
	  "       covalid catalog search TEXT [FILTERS] [--json]\n"
	  "       covalid catalog show ID [--json]\n"
	  "\n"
	  "The catalog holds products (guest OSes, hypervisors) and validated\n"
	  "configurations, one JSON object per line (docs/catalog.md).\n"
	  "\n"
	  "  import FILE    all or nothing: a bad line aborts with FILE:LINE: why and\n"
	  "                 leaves the database unchanged; records with an existing id\n"
	  "                 are replaced; '-' reads stdin\n"
	  "  import --osinfo [DIR]  names and dates from libosinfo's database\n"
	  "                 (default /usr/share/osinfo) for the products it knows, and\n"
	  "                 products for the guest OSes configurations name; --all adds\n"
	  "                 every OS osinfo-db knows\n"
	  "  export         every product, then every configuration, by id\n"
	  "  list, search   configurations (or products) as a table or a JSON array;\n"
	  "                 search matches TEXT anywhere in a record\n"
	  "  show ID        one configuration or product\n"
	  "\n"
	  "Filters: --guest OS (os id such as rhel, or part of the product name),\n"
	  "--hypervisor ID (microsoft, kvm, ... or part of the product name),\n"
	  "--vendor NAME, --status STATUS, --kind guest_os|hypervisor (products),\n"
	  "--limit N, --offset N.\n"
	  "\n"
	  "The database is --db PATH, else $COVALID_DB, else\n"
	  "$XDG_DATA_HOME/covalid/covalid.db (~/.local/share/covalid/covalid.db).\n"
	  "Exit status: 0 ok, 1 nothing found (list, search, show), 2 bad input, 3 internal error.\n" },
	{ "check", cmd_check, "is this machine, a descriptor, or a fleet in a validated configuration?",
	  "usage: covalid check [--db PATH] [--root DIR | --descriptor FILE|-] [--json] [--nearest N]\n"
	  "                     [--host-version V]\n"
	  "       covalid check [--db PATH] --fleet FILE.jsonl|DIR|- [--json] [--stats]\n"
	  "\n"
	  "Checks a machine against the catalog: this machine (probed), a captured\n"
	  "root (--root, as for probe) or a descriptor (--descriptor, '-' for stdin).\n"
	  "\n"
	  "Verdicts: validated (a validated configuration matches: which one, by whom,\n"
	  "and which vendors give cooperative support), supported (only a vendor's\n"
	  "support statement matches), not-supported (an explicit exclusion matches),\n"
	  "not-validated (with the N nearest configurations, default 3, and every\n"
	  "difference), unknown (the hypervisor or guest OS could not be told).\n"
	  "\n"
	  "  --host-version V  the hypervisor's version where the guest cannot see it\n"
	  "  --fleet F     checks many descriptors: one JSON object a line, or a\n"
	  "                directory of *.json files; prints a summary by verdict and\n"
	  "                reason; with --json a line per machine (summary on stderr);\n"
	  "                bad lines are reported with their line number and counted\n"
	  "  --stats       with --fleet: parse and match times, rates, peak RSS (stderr)\n"
	  "\n"
	  "Exit status: 0 validated or supported (every machine, for a fleet),\n"
	  "1 otherwise, 2 bad input (a bad fleet line included), 3 internal error.\n" },
	{ "kit", cmd_kit, "run the validation kit in this guest; sign and verify its test logs",
	  "usage: covalid kit list [--json]\n"
	  "       covalid kit run [--quick] [--only IDS] [--skip IDS] [--expect-vcpus N]\n"
	  "                       [--expect-memory MIB] [--peer HOST:PORT] [--dir DIR]\n"
	  "                       [--out LOG] [--sign KEY] [--junit FILE] [--json]\n"
	  "       covalid kit sign LOG --key KEY [--out FILE]\n"
	  "       covalid kit verify LOG --pubkey PUB\n"
	  "       covalid kit peer [--listen HOST:PORT]\n"
	  "\n"
	  "  list     every check: its id, what it measures, its pass criterion, and\n"
	  "           whether it needs root (docs/kit.md)\n"
	  "  run      runs the checks in this guest, each in its own process with a\n"
	  "           time limit, in a private temporary directory under --dir (default\n"
	  "           $TMPDIR or /var/tmp) removed afterwards; writes the test log\n"
	  "           (docs/testlog.md) to --out (default covalid-testlog-HOST-TIME.json),\n"
	  "           signed with --sign KEY; --junit writes JUnit XML; --quick keeps the\n"
	  "           whole run within 5 s; --only and --skip take ids or families\n"
	  "           (time, cpu, ...), comma-separated\n"
	  "  sign     signs (or re-signs) a test log in place, or into --out\n"
	  "  verify   exit 0 only if the log is exactly as signed by PUB (a .pub file\n"
	  "           or the key itself, ed25519:BASE64)\n"
	  "  peer     the far end of net.peer_transfer and time.reference (default 0.0.0.0:7537)\n"
	  "\n"
	  "Exit status: run: 0 if no check failed or erred, 1 otherwise; verify: 0 good\n"
	  "signature, 1 bad or missing signature or a changed log; 2 usage or\n"
	  "unreadable input; 3 internal error.\n" },
	{ "key", cmd_key, "make an Ed25519 key pair for signing test logs",
	  "usage: covalid key generate --out KEY [--force]\n"
	  "\n"
	  "Writes the secret key to KEY (mode 0600) and the public key to KEY.pub, and\n"
	  "prints the public key and its id.  Refuses to overwrite KEY without --force.\n" },
	/* These link the HTTP server and client libraries (and TLS with them):
	 * they live in covalid-server, which covalid runs for them, so that
	 * the probe does not load libraries it never uses (its start-up time
	 * is measured).  Their help is covalid-server's. */
	{ "serve", cmd_exec_server, "run the program's HTTP server (catalog API, submissions, web UI)", NULL },
	{ "admin", cmd_exec_server, "the program owner's administration of a server", NULL },
	{ "submit", cmd_exec_server, "submit a signed test log to a server", NULL },
	{ "case", cmd_exec_server, "support cases: open, work, engage the other vendor, resolve", NULL },
	{ "help", cmd_help, "show help for a command",
	  "usage: covalid help [COMMAND]\n" },
};

const struct cli_command *cli_find(const char *name)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: covalid [--version] [--help] <command> [<args>]\n\ncommands:\n");
	for (size_t i = 0; i < CV_ELEMENTSOF(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
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
		char *args[] = { (char *)c->name, (char *)"--help", NULL };

		return cmd_exec_server(2, args);
	}
	cli_print_help(stdout, c);
	return CLI_OK;
}

int main(int argc, char **argv)
{
	const struct cli_command *c;

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
