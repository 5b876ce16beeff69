/*
 * main.c - covalid's entry point: the command table (git.c's commands[])
 * and dispatch (src/cli/dispatch.c).  The guest commands' rows are
 * src/cli/commands-guest.c, shared with the static guest binaries;
 * these are the rest.
 */
#include "cli/cli-config.h"
#include "cli/cli.h"
#include "util/cv.h"

static const struct cli_command commands[] = {
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
	/* These link the HTTP server and client libraries (and TLS with them):
	 * they live in covalid-server, which covalid runs for them, so that
	 * the probe does not load libraries it never uses (its start-up time
	 * is measured).  Their help is covalid-server's. */
	{ "serve", cmd_exec_server, "run the program's HTTP server (catalog API, submissions, web UI)", NULL },
	{ "admin", cmd_exec_server, "the program owner's administration of a server", NULL },
	{ "submit", cmd_exec_server, "submit a signed test log to a server", NULL },
	{ "case", cmd_exec_server, "support cases: open, work, engage the other vendor, resolve", NULL },
	{ "webhook", cmd_exec_server, "webhooks: where events are POSTed, signed; their delivery logs", NULL },
};

int main(int argc, char **argv)
{
	/* `covalid --version --verbose` (or -v): the build and where the
	 * database is, and why (cli-config.h); plain --version stays the
	 * one line dispatch prints, for scripts. */
	if (argc == 3 && (cv_streq(argv[1], "--version") || cv_streq(argv[2], "--version")) &&
	    (cv_streq(argv[1], "--verbose") || cv_streq(argv[2], "--verbose") || cv_streq(argv[1], "-v") ||
	     cv_streq(argv[2], "-v")))
		return cli_version_verbose(stdout, "covalid");
	return cli_main(argc, argv, commands, CV_ELEMENTSOF(commands));
}
