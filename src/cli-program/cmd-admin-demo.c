/*
 * cmd-admin-demo.c - `covalid admin demo`: the seed's support programme,
 * ready to try, in a local database of its own (docs/support.md, "Try it
 * in two minutes").
 *
 * The seed (Microsoft and Red Hat's cooperative technical support, 2009):
 * a customer "with valid support agreements with both companies" calls
 * either; "if the first vendor contacted cannot resolve the issue they
 * will work with the other vendor".  So: vendors Microsoft and Red Hat, a
 * customer with a Red Hat subscription for RHEL 5.2 and 5.3 guests and
 * Microsoft's per-call support (the FAQ's A6), a user of every role with
 * a token file each, and the case: a RHEL 5.3 guest on Windows Server
 * 2008 Hyper-V, opened with Red Hat, which Red Hat can engage Microsoft
 * on.
 *
 * Like `admin bootstrap`, it works on the database directly, not through
 * a server, on one that holds the catalog already (the case is checked
 * against it), and only on a local one: demo users and tokens have no place
 * in a programme others use.  It refuses a database that has the demo
 * already, or vendors or customers of its own; everything it makes is
 * one transaction, and marked: the customer and users are named
 * "(demo)", and the setting "demo" records when it was made.
 */
#include <getopt.h>
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli-program/program-cli.h"
#include "cli/cli-config.h"
#include "cli/cli.h"
#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/program.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "util/cv.h"

/* The users, one of each role, and the token file each gets. */
static const struct demo_user {
	const char *file, *name, *role, *org, *who;
} demo_users[] = {
	{ "owner.token", "Olivia (programme owner, demo)", "owner", NULL, "the programme's owner" },
	{ "customer.token", "Carol (Contoso IT, demo)", "customer-admin", "contoso-demo", "the customer (Contoso)" },
	{ "red-hat.token", "Rita (Red Hat support, demo)", "vendor-engineer", "red-hat", "Red Hat's support engineer" },
	{ "red-hat-manager.token", "Ron (Red Hat support manager, demo)", "vendor-manager", "red-hat",
	  "Red Hat's support manager" },
	{ "microsoft.token", "Mike (Microsoft support, demo)", "vendor-engineer", "microsoft",
	  "Microsoft's support engineer" },
	{ "microsoft-manager.token", "Mona (Microsoft support manager, demo)", "vendor-manager", "microsoft",
	  "Microsoft's support manager" },
};
#define N_USERS CV_ELEMENTSOF(demo_users)

/*
 * The seed's agreements (FAQ A6): Red Hat's subscription covers RHEL 5.2
 * and 5.3 guests; Microsoft's support is per call, the customer having
 * stated it will buy it.
 */
static const char *const demo_agreements[] = {
	"{\"id\":\"contoso-demo-rhel-subscription\",\"customer\":\"contoso-demo\",\"vendor\":\"red-hat\","
	"\"kind\":\"subscription\",\"level\":\"premium\",\"valid_from\":\"2009-01-01\",\"valid_to\":\"2030-12-31\","
	"\"covers\":[{\"guest\":\"rhel\",\"versions\":[\"5.2\",\"5.3\"]}]}",
	"{\"id\":\"contoso-demo-microsoft-per-call\",\"customer\":\"contoso-demo\",\"vendor\":\"microsoft\","
	"\"kind\":\"per-call\",\"valid_from\":\"2009-01-01\",\"valid_to\":\"2030-12-31\"}",
};

/*
 * The case's machine: RHEL 5.3 x86_64, one vCPU, on Windows Server 2008
 * Hyper-V, as `covalid probe --json` describes it (from the test fixture
 * tests/fixtures/hyperv2008-rhel53, its evidence lists left out): the
 * seed's validated uni-processor configuration.
 */
static const char demo_descriptor[] =
	"{\"schema\":\"covalid.descriptor/1\",\"probed_at\":null,\"root\":null,"
	"\"hypervisor\":{\"id\":\"microsoft\",\"product\":\"Windows Server 2008 Hyper-V\",\"version\":\"6.0\","
	"\"version_source\":\"cpuid\",\"build\":\"6002\",\"cloud\":null,\"nested\":false,\"conflicts\":[]},"
	"\"container\":{\"id\":\"none\",\"evidence\":[]},"
	"\"guest\":{\"os\":{\"id\":\"rhel\",\"version\":\"5.3\",\"name\":\"Red Hat Enterprise Linux Server\","
	"\"pretty\":\"Red Hat Enterprise Linux Server release 5.3 (Tikanga)\",\"osinfo\":\"rhel5.3\","
	"\"source\":\"/etc/redhat-release\"},\"kernel\":\"2.6.18-128.el5\",\"arch\":\"x86_64\"},"
	"\"vm\":{\"vcpus\":1,\"vcpus_possible\":null,\"memory_mib\":2048,\"firmware\":\"bios\","
	"\"disks\":[{\"name\":\"sda\",\"driver\":\"storvsc\",\"bus\":\"vmbus\",\"model\":null}],"
	"\"nics\":[{\"name\":\"seth0\",\"driver\":\"netvsc\",\"bus\":\"vmbus\",\"model\":null}]},"
	"\"integration\":{\"expected\":[\"vmbus\",\"storvsc\",\"netvsc\"],"
	"\"present\":[\"vmbus\",\"storvsc\",\"netvsc\",\"blkvsc\"],\"missing\":[],\"recommended\":[],"
	"\"recommended_missing\":[],\"unbound\":[],\"evidence\":[]},\"notes\":[]}";

#define DEMO_CASE_TITLE "RHEL 5.3 guest on Hyper-V loses its network under load (demo)"
#define DEMO_CASE_TEXT                                                                                       \
	"Demo case (covalid admin demo). Our RHEL 5.3 x64 guest on Windows Server 2008 Hyper-V, one vCPU, "   \
	"drops its synthetic network adapter (seth0, netvsc) for a few seconds at a time under heavy load. "   \
	"Nothing in /var/log/messages on the guest. We run the Linux Integration Components v2.0."

/*
 * Whether location is a database on this machine: an SQLite file, or a
 * PostgreSQL URI whose host is empty (the local socket), localhost or a
 * loopback address.  A host in a host= parameter counts too.
 */
static bool is_local(const char *location)
{
	static const char *const loopback[] = { "", "localhost", "127.0.0.1", "[::1]", "%2Fvar%2Frun%2Fpostgresql" };
	const char *p, *end, *at;
	char host[256];
	size_t n;

	if (strcmp(store_backend_of(location), "sqlite") == 0)
		return true;
	if (strstr(location, "host=") || strstr(location, "hostaddr="))
		return false; /* a host parameter: not worth parsing, not a demo's */
	p = strstr(location, "://");
	if (!p)
		return false;
	p += 3;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	/* The host, without its port ([::1]:5432, localhost:5432). */
	n = p[0] == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/?");
	if (n > (size_t)(end - p))
		n = (size_t)(end - p);
	if (n >= sizeof(host))
		return false;
	memcpy(host, p, n);
	host[n] = '\0';
	for (size_t i = 0; i < CV_ELEMENTSOF(loopback); i++)
		if (strcmp(host, loopback[i]) == 0)
			return true;
	return false;
}

static int count_org(void *userdata, const char *id, const char *name, const char *created_at)
{
	(void)id;
	(void)name;
	(void)created_at;
	(*(size_t *)userdata)++;
	return 0;
}

/* The demo, in the open transaction; *tokens[i] for demo_users[i], *ret_case the case's id. */
static int make_demo(struct store *s, char **tokens, char **ret_case, struct program_error *e)
{
	struct program_auth who = { 0 };
	struct check_index *ix = NULL;
	struct catalog *cat = NULL;
	json_t *body = NULL, *view = NULL;
	const char *case_id;
	char *id = NULL, *why = NULL, *mark = NULL;
	int r;

	r = program_vendor_admit(s, "Microsoft", "microsoft", &id, e);
	id = cv_free(id);
	if (r == 0)
		r = program_vendor_admit(s, "Red Hat", "red-hat", &id, e);
	id = cv_free(id);
	if (r == 0)
		r = support_customer_add(s, "Contoso (demo)", "contoso-demo", &id, e);
	id = cv_free(id);
	for (size_t i = 0; r == 0 && i < CV_ELEMENTSOF(demo_agreements); i++) {
		json_t *a = json_loads(demo_agreements[i], 0, NULL);

		r = a ? support_agreement_add(s, a, &id, e) : -ENOMEM;
		json_decref(a);
		id = cv_free(id);
	}
	for (size_t i = 0; r == 0 && i < N_USERS; i++) {
		r = program_user_add(s, demo_users[i].name, demo_users[i].role, demo_users[i].org, &tokens[i], &id, e);
		id = cv_free(id);
	}
	if (r < 0)
		goto out;
	/* The case, opened by the customer's administrator with Red Hat,
	 * checked against the catalog as the server checks it. */
	r = catalog_load(s, 0, &cat, &why);
	if (r == 0)
		r = check_index_build(cat, &ix);
	if (r < 0) {
		program_error_set(e, 500, "internal", "the catalog: %s", why ? why : strerror(-r));
		goto out;
	}
	r = program_authenticate(s, tokens[1], &who, e);
	if (r < 0)
		goto out;
	body = json_pack("{s:s, s:i, s:s, s:s, s:o}", "vendor", "red-hat", "severity", 2, "title", DEMO_CASE_TITLE,
			 "description", DEMO_CASE_TEXT, "descriptor", json_loads(demo_descriptor, 0, NULL));
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	r = support_case_open(s, &who, body, ix, &view, e);
	if (r < 0)
		goto out;
	case_id = json_string_value(json_object_get(view, "id"));
	if (!case_id) {
		program_error_set(e, 500, "internal", "the case has no id");
		r = -EPROTO;
		goto out;
	}
	{
		time_t now = time(NULL);
		struct tm tm;
		char when[32] = "";

		if (gmtime_r(&now, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		mark = cv_xasprintf("made by covalid admin demo at %s: vendors Microsoft and Red Hat, customer "
				    "Contoso (demo), its users and case %s",
				    when, case_id);
	}
	r = store_setting_put(s, "demo", mark);
	if (r < 0) {
		program_error_set(e, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	*ret_case = cv_xstrdup(case_id);
out:
	program_auth_release(&who);
	check_index_free(ix);
	catalog_free(cat);
	json_decref(body);
	json_decref(view);
	free(mark);
	free(why);
	free(id);
	return r;
}

int cmd_admin_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "token-dir", required_argument, NULL, 'T' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct program_error e = { 0 };
	struct store *s = NULL;
	const char *db = NULL, *dir = NULL, *rule = NULL;
	char *location = NULL, *mark = NULL, *tokens[N_USERS] = { 0 }, *case_id = NULL;
	bool force = false;
	size_t orgs = 0;
	int64_t configs = 0;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'T': dir = optarg; break;
		case 'f': force = true; break;
		default: return cli_usage("admin demo", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("admin demo", "unexpected argument '%s'", argv[optind]);
	if (!dir || !*dir)
		return cli_usage("admin demo", "where should the demo users' token files go? (--token-dir DIR)");
	r = cli_db_location(db, &location, &rule);
	if (r)
		return r;
	if (!is_local(location)) {
		cli_error("admin demo", "the database (%s) is not on this machine: the demo goes only into a local "
					"database of its own (an SQLite file, or PostgreSQL on localhost)",
			  rule);
		r = CLI_USAGE;
		goto out;
	}
	/* The token files must not replace a user's tokens unasked. */
	for (size_t i = 0; i < N_USERS && !force; i++) {
		char *path = cv_xasprintf("%s/%s", dir, demo_users[i].file);
		bool there = access(path, F_OK) == 0;

		if (there)
			cli_error(path, "exists; not overwriting a token (use --force)");
		free(path);
		if (there) {
			r = CLI_USAGE;
			goto out;
		}
	}
	/* The case is checked against the catalog, and only a validated
	 * configuration's may move between vendors: the seed goes first
	 * (make run imports it), so the database exists already. */
	r = cli_open_store(db, &s);
	if (r)
		goto out;
	if (store_config_count(s, NULL, &configs) < 0) {
		cli_error("admin demo", "%s", store_errmsg(s));
		r = CLI_INTERNAL;
		goto out;
	}
	if (configs == 0) {
		cli_error("admin demo", "the catalog is empty: import the seed first (covalid catalog import "
					"data/products.jsonl data/validated-configs.jsonl), the demo's case is on its "
					"validated configuration");
		r = CLI_USAGE;
		goto out;
	}
	r = store_setting_get(s, "demo", &mark);
	if (r == 0) {
		cli_error("admin demo", "this database has the demo already (%s); its users' token files were written "
					"then.  A second demo is not made: start from a new database (--db) for a fresh one",
			  mark);
		r = CLI_USAGE;
		goto out;
	}
	if (r != -ENOENT) {
		cli_error("admin demo", "%s", store_errmsg(s));
		r = CLI_INTERNAL;
		goto out;
	}
	if (store_vendor_list(s, count_org, &orgs) < 0 || store_customer_list(s, count_org, &orgs) < 0) {
		cli_error("admin demo", "%s", store_errmsg(s));
		r = CLI_INTERNAL;
		goto out;
	}
	if (orgs) {
		cli_error("admin demo", "this database has vendors or customers already (%zu): demo users and tokens "
					"do not belong in a real programme; give the demo a database of its own (--db)",
			  orgs);
		r = CLI_USAGE;
		goto out;
	}
	r = store_begin(s);
	if (r == 0) {
		r = make_demo(s, tokens, &case_id, &e);
		if (r == 0)
			r = store_commit(s);
		if (r < 0)
			store_rollback(s);
	}
	if (r < 0) {
		cli_error("admin demo", "nothing was made: %s", e.message[0] ? e.message : store_errmsg(s));
		r = CLI_INTERNAL;
		goto out;
	}
	r = cv_mkdir_p(dir, 0700);
	if (r < 0) {
		cli_error(dir, "%s", strerror(-r));
		r = CLI_USAGE;
		goto out;
	}
	printf("demo made (marked as such: the customer and users are named \"(demo)\"):\n"
	       "  vendors Microsoft and Red Hat; customer Contoso (demo), with a Red Hat subscription for RHEL 5.2\n"
	       "  and 5.3 guests and Microsoft's per-call support; case %s, opened with Red Hat:\n"
	       "  \"%s\"\n"
	       "token files (mode 0600; sign in to the web UI by pasting one):\n",
	       case_id, DEMO_CASE_TITLE);
	for (size_t i = 0; i < N_USERS; i++) {
		char *path = cv_xasprintf("%s/%s", dir, demo_users[i].file);
		char *text = cv_xasprintf("%s\n", tokens[i]);

		r = cv_write_file_atomic(path, text, strlen(text), 0600);
		memset(text, 0, strlen(text));
		free(text);
		if (r < 0) {
			cli_error(path, "%s", strerror(-r));
			free(path);
			r = CLI_USAGE;
			goto out;
		}
		printf("  %-40s %s, %s\n", path, demo_users[i].who, demo_users[i].name);
		free(path);
	}
	r = CLI_OK;
out:
	for (size_t i = 0; i < N_USERS; i++) {
		if (tokens[i]) {
			memset(tokens[i], 0, strlen(tokens[i]));
			free(tokens[i]);
		}
	}
	store_close(s);
	free(case_id);
	free(mark);
	free(location);
	return r;
}
