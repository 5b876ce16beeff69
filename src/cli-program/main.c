/*
 * main.c - covalid-server: the commands that speak HTTP (serve, admin,
 * submit).  `covalid serve|admin|submit` runs this program; it can also be
 * run directly.
 */
#include <curl/curl.h>

#include "cli-program/program-cli.h"
#include "cli/cli.h"
#include "covalid/covalid.h"
#include "covalid/sign.h"
#include "util/suggest.h"
#include "util/cv.h"

static const struct cli_command commands[] = {
	{ "serve", cmd_serve, "run the program's HTTP server",
	  "usage: covalid serve [--listen HOST:PORT] [--db PATH] [--web DIR] [--access-log FILE|-]\n"
	  "                     [--max-body BYTES] [--timeout SECONDS] [--header-timeout SECONDS]\n"
	  "                     [--max-client-connections N] [--create] [--support-clock-offset SECONDS]\n"
	  "                     [--sweep-interval SECONDS] [--sample-interval SECONDS]\n"
	  "                     [--tls-cert FILE --tls-key FILE]\n"
	  "\n"
	  "Serves the catalog API under /api/v1 (docs/server.md, the OpenAPI document at\n"
	  "/api/v1/openapi.json), vendors' signed submissions, the owner's\n"
	  "administration, /healthz, /metrics (Prometheus) and the web UI (--web DIR,\n"
	  "by default the web/ directory beside the build).  Default listen address\n"
	  "127.0.0.1:8080 (port 0 picks a free one); the database as for other\n"
	  "commands (--db, $COVALID_DB, the default location), which must exist\n"
	  "unless --create.  A request head must arrive within --header-timeout\n"
	  "(10 s); one client address holds at most --max-client-connections (128).\n"
	  "One JSON line per request goes to the access log (stderr by default).\n"
	  "--support-clock-offset moves support's clock (SLA breaches, case times):\n"
	  "for tests only, never for a production server.\n"
	  "Monitoring (docs/monitor.md): every --sweep-interval (10 s) machines whose\n"
	  "heartbeats stopped are marked late and, after a catalog change, stored\n"
	  "descriptors checked again; every --sample-interval (300 s) the fleet is sampled.\n"
	  "HTTPS with --tls-cert (PEM: the certificate, then its chain) and --tls-key\n"
	  "(its unencrypted PEM key); SIGHUP reads both again without closing the\n"
	  "listening socket or any connection (bad files: the old ones stay, stderr\n"
	  "says why).  Without them plain HTTP, as behind a TLS-terminating proxy.\n"
	  "SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0.\n" },
	{ "admin", cmd_admin, "the program owner's administration",
	  "usage: covalid admin bootstrap [--db PATH] --token-file FILE [--force]\n"
	  "       covalid admin backup DEST [--db LOCATION] [--force]  (SQLite, while served;\n"
	  "                         PostgreSQL: it names pg_dump; docs/deploy.md)\n"
	  "       covalid admin migrate --from LOCATION --to LOCATION  (into an empty database,\n"
	  "                         verified by counts and digests; exit 1: nothing committed)\n"
	  "       covalid admin demo --token-dir DIR [--db PATH] [--force]  (a local database only:\n"
	  "                 the seed's vendors, a customer, a user of each role, a case to try)\n"
	  "       covalid admin vendor add NAME [--id ID]\n"
	  "       covalid admin vendor list\n"
	  "       covalid admin key add VENDOR PUBKEY       (a .pub file or ed25519:BASE64)\n"
	  "       covalid admin key revoke KEY_ID\n"
	  "       covalid admin token issue [--vendor ID] [--description TEXT] [--out FILE]\n"
	  "                         [--expires TIME|DURATION]   (token add: the same)\n"
	  "       covalid admin token list [--sort created|last-used]\n"
	  "       covalid admin token revoke TOKEN_ID\n"
	  "       covalid admin policy get\n"
	  "       covalid admin policy set FILE             (docs/policy.md)\n"
	  "       covalid admin revoke CONFIGURATION_ID [--reason TEXT]\n"
	  "       covalid admin submissions [--vendor ID]\n"
	  "       covalid admin customer add NAME [--id ID] | customer list\n"
	  "       covalid admin user add NAME --role owner|vendor-engineer|vendor-manager|customer-admin\n"
	  "                         [--vendor ID | --customer ID] [--out FILE]\n"
	  "                         [--expires TIME|DURATION]\n"
	  "       covalid admin agreement add FILE.json | agreement list [--customer ID]\n"
	  "       covalid admin support-policy get | support-policy set FILE (docs/support.md)\n"
	  "  with --server URL (or $COVALID_SERVER, default http://127.0.0.1:8080) and\n"
	  "  --token-file FILE (or $COVALID_TOKEN_FILE) holding the owner's token; for an\n"
	  "  https:// server, --cacert FILE (or $COVALID_CACERT): the CA certificates\n"
	  "  (PEM) to trust instead of the system's.\n"
	  "\n"
	  "bootstrap makes the first owner token directly in the database (the owner\n"
	  "runs it where the database is) and writes it to FILE, mode 0600.  Tokens\n"
	  "are shown once: the server keeps only a keyed hash.  --expires: a UTC time\n"
	  "(2027-01-01T00:00:00Z), a date (2027-01-01: its midnight UTC) or a duration\n"
	  "from now by the server's clock (90d, 12h, 30m, 45s), at most 3660 days; an\n"
	  "expired token is refused (401) as a revoked one.  token list shows each\n"
	  "token's expires_at and last_used_at (recorded at most once a minute);\n"
	  "--sort last-used lists the most recently used first, never-used last.\n"
	  "Exit status: 0 done, 2 refused (4xx) or bad usage, 3 server error or no answer.\n" },
	{ "submit", cmd_submit, "submit a signed test log to the program's server",
	  "usage: covalid submit LOG [--server URL] [--token-file FILE] [--cacert FILE] [--json]\n"
	  "\n"
	  "Sends a test log signed with one of the vendor's registered keys (covalid kit\n"
	  "run --sign KEY).  The server checks the signature and the validation policy\n"
	  "and records the submission as accepted (the validated configuration it\n"
	  "created or extended is named) or rejected, with every reason.\n"
	  "Exit status: 0 accepted, 1 rejected, 2 refused (bad signature, unknown key,\n"
	  "bad token) or bad usage, 3 server error or no answer.\n" },
	{ "case", cmd_case, "support cases: open, work, engage the other vendor, resolve",
	  "usage: covalid case open --vendor ID --severity 1-4 --title TEXT [--description TEXT]\n"
	  "                         [--descriptor FILE | --root DIR] [--host-version V] [--per-call]\n"
	  "       covalid case list [--state STATE]\n"
	  "       covalid case show CASE\n"
	  "       covalid case note CASE TEXT [--visibility public|shared|internal]\n"
	  "       covalid case state CASE in-progress|waiting-on-customer\n"
	  "       covalid case engage CASE --vendor ID [--reason TEXT]\n"
	  "       covalid case accept|working|done CASE COLLABORATION\n"
	  "       covalid case decline CASE COLLABORATION --reason TEXT\n"
	  "       covalid case resolve CASE TEXT\n"
	  "       covalid case close|reopen CASE\n"
	  "  each with --server URL --token-file FILE (the user's token), [--version N]\n"
	  "  (the case's version you read: a newer case is refused), [--json],\n"
	  "  [--cacert FILE] (the CA certificates to trust for an https:// server).\n"
	  "\n"
	  "A customer's administrator opens a case with either vendor for this machine\n"
	  "(its descriptor, probed now, is attached; --root or --descriptor for another):\n"
	  "the server checks the configuration against the catalog and the entitlement\n"
	  "with every vendor.  --host-version states the host's release where a guest\n"
	  "cannot see it (Red Hat Enterprise Linux KVM 5.4); --per-call says you will buy\n"
	  "per-call support (recorded as a charge, with a vendor whose policy sells it).\n"
	  "The vendor works it; on a validated configuration it may engage the other\n"
	  "vendor, which sees the summary, the descriptor and the shared notes only\n"
	  "(docs/support.md).\n"
	  "Exit status: 0 done, 2 refused (4xx) or bad usage, 3 server error or no answer.\n" },
	{ "webhook", cmd_webhook, "webhooks: where events are POSTed, signed; their delivery logs",
	  "usage: covalid webhook add URL --secret-file FILE [--kinds KIND,...] [--customer ID]\n"
	  "       covalid webhook list [--customer ID]\n"
	  "       covalid webhook rm WEBHOOK\n"
	  "       covalid webhook deliveries WEBHOOK [--limit N] [--offset N]\n"
	  "  each with --server URL --token-file FILE (a customer administrator's token,\n"
	  "  or the owner's), [--json], [--cacert FILE] (for an https:// server).\n"
	  "\n"
	  "Every event of the webhook's scope (a customer administrator's: its customer's\n"
	  "machines and cases; the owner's: every event, or --customer's) and --kinds\n"
	  "(default: every kind) is POSTed to URL as JSON, signed with the secret:\n"
	  "X-Covalid-Signature: sha256=<hex HMAC-SHA256 of the body>.  The secret is\n"
	  "FILE's bytes less one trailing newline, 16 to 1024 of them; the server never\n"
	  "shows it again.  Failed deliveries are retried with backoff (1, 2, 4 ... s,\n"
	  "at most an hour apart), 10 attempts in all; `deliveries` shows the log.\n"
	  "Kinds: machine.enrolled machine.drifted machine.returned machine.late\n"
	  "machine.resumed machine.health machine.health-cleared case.opened case.state\n"
	  "case.engaged case.note case.sla-breach (docs/webhooks.md).\n"
	  "Exit status: 0 done, 2 refused (4xx) or bad usage, 3 server error or no answer.\n" },
};

const struct cli_command *cli_find(const char *name)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cli_command *c;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "usage: covalid-server serve|admin|submit|case|webhook ... (see covalid help)\n");
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("covalid-server %s\n", COVALID_VERSION);
		return CLI_OK;
	}
	c = cli_find(argv[1]);
	if (!c) {
		const char *names[CV_ELEMENTSOF(commands)], *near;

		for (size_t i = 0; i < CV_ELEMENTSOF(commands); i++)
			names[i] = commands[i].name;
		near = cv_suggest(argv[1], names, CV_ELEMENTSOF(names));
		if (near)
			cli_error(NULL, "'%s' is not a covalid-server command. did you mean '%s'?", argv[1], near);
		else
			cli_error(NULL, "'%s' is not a covalid-server command", argv[1]);
		return CLI_USAGE;
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(stdout, c);
			return CLI_OK;
		}
	if (sign_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cli_error(NULL, "libsodium or libcurl did not initialise");
		return CLI_INTERNAL;
	}
	r = c->fn(argc - 1, argv + 1);
	curl_global_cleanup();
	return r;
}
