/*
 * cmd-admin.c - `covalid admin`: the program owner's administration of a
 * server: vendors, their keys, tokens, the policy, revocations.  All but
 * `bootstrap` go through the server's API with the owner's token.
 */
#include <getopt.h>
#include <jansson.h>
#include <unistd.h>

#include "cli-program/http-client.h"
#include "cli-program/program-cli.h"
#include "cli/cli.h"
#include "covalid/program.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "util/cv.h"

struct opts {
	const char *server, *token_file, *cacert, *db, *id, *vendor, *description, *out, *reason, *role, *customer;
	const char *expires, *sort;
	bool json, force;
};

static int parse(const char *cmd, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		API_CACERT_OPTION,
		{ "db", required_argument, NULL, 'd' },
		{ "id", required_argument, NULL, 'i' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "description", required_argument, NULL, 'D' },
		{ "out", required_argument, NULL, 'o' },
		{ "reason", required_argument, NULL, 'r' },
		{ "role", required_argument, NULL, 'R' },
		{ "customer", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "expires", required_argument, NULL, 'e' },
		{ "sort", required_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 't': o->token_file = optarg; break;
		case API_OPT_CACERT: o->cacert = optarg; break;
		case 'd': o->db = optarg; break;
		case 'i': o->id = optarg; break;
		case 'v': o->vendor = optarg; break;
		case 'D': o->description = optarg; break;
		case 'o': o->out = optarg; break;
		case 'r': o->reason = optarg; break;
		case 'R': o->role = optarg; break;
		case 'c': o->customer = optarg; break;
		case 'j': o->json = true; break;
		case 'e': o->expires = optarg; break;
		case 'S': o->sort = optarg; break;
		case 'f': o->force = true; break;
		default: return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return CLI_OK;
}


/* Writes a token to a file only its owner can read. */
static int save_token(const char *path, const char *token, bool force)
{
	char *text;
	int r;

	if (!force && access(path, F_OK) == 0) {
		cli_error(path, "exists; not overwriting a token (use --force)");
		return CLI_USAGE;
	}
	text = cv_xasprintf("%s\n", token);
	r = cv_write_file_atomic(path, text, strlen(text), 0600);
	memset(text, 0, strlen(text));
	free(text);
	if (r < 0) {
		cli_error(path, "%s", strerror(-r));
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int bootstrap(const struct opts *o)
{
	struct program_error e = { 0 };
	struct store *s = NULL;
	char *token = NULL, *id = NULL;
	int r;

	if (!o->token_file)
		return cli_usage("admin bootstrap", "where should the owner's token go? (--token-file FILE)");
	if (!o->force && access(o->token_file, F_OK) == 0) {
		cli_error(o->token_file, "exists; not overwriting a token (use --force)");
		return CLI_USAGE;
	}
	if (sign_init() < 0)
		return CLI_INTERNAL;
	r = cli_create_store(o->db, &s);
	if (r)
		return r;
	if (program_token_issue(s, NULL, o->description ? o->description : "owner (bootstrap)", &token, &id, &e) < 0) {
		cli_error("admin bootstrap", "%s", e.message[0] ? e.message : store_errmsg(s));
		store_close(s);
		return CLI_INTERNAL;
	}
	store_close(s);
	r = save_token(o->token_file, token, true);
	if (r == CLI_OK)
		printf("owner token %s written to %s (mode 0600)\n", id, o->token_file);
	memset(token, 0, strlen(token));
	free(token);
	free(id);
	return r;
}

static int call(const struct opts *o, const char *what, const char *method, const char *path, json_t *body,
		json_t **ret)
{
	struct api a;
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int r;

	r = api_init(&a, o->server, o->token_file, o->cacert, true);
	if (r == CLI_OK)
		r = api_request(&a, what, method, path, b, b ? strlen(b) : 0, (void **)ret);
	api_release(&a);
	free(b);
	json_decref(body);
	return r;
}

/* Reads a public key from a .pub file, or takes "ed25519:..." as is. */
static char *public_key_arg(const char *arg)
{
	struct sign_key k;
	char *why = NULL;

	if (sign_key_load_public(arg, &k, &why) < 0) {
		cli_error(arg, "%s", why);
		free(why);
		return NULL;
	}
	return sign_key_public_string(&k);
}

static const char *const admin_areas[] = { "bootstrap", "backup",   "migrate", "vendor",    "key",
					    "token",     "policy",   "revoke",  "submissions", "customer",
					    "user",      "agreement", "support-policy" };

static bool is_area(const char *area)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(admin_areas); i++)
		if (strcmp(admin_areas[i], area) == 0)
			return true;
	return false;
}

int cmd_admin(int argc, char **argv)
{
	const char *area = argc > 1 ? argv[1] : NULL;
	struct opts o = { 0 };
	json_t *ans = NULL;
	char *path = NULL;
	int r;

	if (!area)
		return cli_usage("admin", "which? bootstrap, vendor, key, token, policy, revoke, submissions, backup, migrate, demo");
	/* On the database itself, with options of their own (cmd-admin-db.c). */
	if (strcmp(area, "backup") == 0)
		return cmd_admin_backup(argc - 1, argv + 1);
	if (strcmp(area, "migrate") == 0)
		return cmd_admin_migrate(argc - 1, argv + 1);
	if (strcmp(area, "demo") == 0)
		return cmd_admin_demo(argc - 1, argv + 1);
	r = parse("admin", argc - 1, argv + 1, &o);
	if (r)
		return r;
	/* After parsing, argv[optind..] of argv+1 are the positional words. */
	argc -= 1;
	argv += 1;
#define ARG(i) (optind + (i) < argc ? argv[optind + (i)] : NULL)
	if (strcmp(area, "bootstrap") == 0)
		return bootstrap(&o);
	if (strcmp(area, "vendor") == 0 && cv_streq(ARG(0), "add") && ARG(1)) {
		json_t *b = json_pack("{s:s}", "name", ARG(1));

		if (o.id)
			json_object_set_new(b, "id", json_string(o.id));
		r = call(&o, "admin vendor add", "POST", "/api/v1/admin/vendors", b, &ans);
	} else if (strcmp(area, "vendor") == 0 && cv_streq(ARG(0), "list"))
		r = call(&o, "admin vendor list", "GET", "/api/v1/vendors", NULL, &ans);
	else if (strcmp(area, "key") == 0 && cv_streq(ARG(0), "add") && ARG(1) && ARG(2)) {
		char *pk = public_key_arg(ARG(2));

		if (!pk)
			return CLI_USAGE;
		path = cv_xasprintf("/api/v1/admin/vendors/%s/keys", ARG(1));
		r = call(&o, "admin key add", "POST", path, json_pack("{s:s}", "public_key", pk), &ans);
		free(pk);
	} else if (strcmp(area, "key") == 0 && cv_streq(ARG(0), "revoke") && ARG(1)) {
		path = cv_xasprintf("/api/v1/admin/keys/%s", ARG(1));
		r = call(&o, "admin key revoke", "DELETE", path, NULL, &ans);
	} else if (strcmp(area, "token") == 0 && (cv_streq(ARG(0), "issue") || cv_streq(ARG(0), "add"))) {
		json_t *b = json_object();

		if (o.vendor)
			json_object_set_new(b, "vendor", json_string(o.vendor));
		/* As written: the server reads a duration by its own clock. */
		if (o.expires)
			json_object_set_new(b, "expires", json_string(o.expires));
		if (o.description)
			json_object_set_new(b, "description", json_string(o.description));
		r = call(&o, "admin token issue", "POST", "/api/v1/admin/tokens", b, &ans);
		if (r == CLI_OK && o.out) {
			api_sanitize(ans, NULL); /* the id printed; a token is base64url */
			r = save_token(o.out, json_string_value(json_object_get(ans, "token")), o.force);
			if (r == CLI_OK) {
				printf("token %s written to %s (mode 0600)\n", json_string_value(json_object_get(ans, "id")),
				       o.out);
				json_decref(ans);
				return CLI_OK;
			}
		}
	} else if (strcmp(area, "token") == 0 && cv_streq(ARG(0), "list")) {
		if (o.sort && !cv_streq(o.sort, "created") && !cv_streq(o.sort, "last-used"))
			return cli_usage("admin token list", "--sort %s: created or last-used", o.sort);
		r = call(&o, "admin token list", "GET",
			 cv_streq(o.sort, "last-used") ? "/api/v1/admin/tokens?order=last_used" : "/api/v1/admin/tokens",
			 NULL, &ans);
	}
	else if (strcmp(area, "token") == 0 && cv_streq(ARG(0), "revoke") && ARG(1)) {
		path = cv_xasprintf("/api/v1/admin/tokens/%s", ARG(1));
		r = call(&o, "admin token revoke", "DELETE", path, NULL, &ans);
	} else if (strcmp(area, "policy") == 0 && cv_streq(ARG(0), "get"))
		r = call(&o, "admin policy get", "GET", "/api/v1/admin/policy", NULL, &ans);
	else if (strcmp(area, "policy") == 0 && cv_streq(ARG(0), "set") && ARG(1)) {
		json_error_t err;
		json_t *doc = json_load_file(ARG(1), JSON_REJECT_DUPLICATES, &err);

		if (!doc) {
			cli_error(ARG(1), "line %d: %s", err.line, err.text);
			return CLI_USAGE;
		}
		r = call(&o, "admin policy set", "PUT", "/api/v1/admin/policy", doc, &ans);
	} else if (strcmp(area, "revoke") == 0 && ARG(0)) {
		json_t *b = json_object();

		if (o.reason)
			json_object_set_new(b, "reason", json_string(o.reason));
		path = cv_xasprintf("/api/v1/configurations/%s/revoke", ARG(0));
		r = call(&o, "admin revoke", "POST", path, b, &ans);
	} else if (strcmp(area, "customer") == 0 && cv_streq(ARG(0), "add") && ARG(1)) {
		json_t *b = json_pack("{s:s}", "name", ARG(1));

		if (o.id)
			json_object_set_new(b, "id", json_string(o.id));
		r = call(&o, "admin customer add", "POST", "/api/v1/admin/customers", b, &ans);
	} else if (strcmp(area, "customer") == 0 && cv_streq(ARG(0), "list"))
		r = call(&o, "admin customer list", "GET", "/api/v1/admin/customers", NULL, &ans);
	else if (strcmp(area, "user") == 0 && cv_streq(ARG(0), "add") && ARG(1) && o.role) {
		json_t *b = json_pack("{s:s, s:s}", "name", ARG(1), "role", o.role);

		if (o.expires)
			json_object_set_new(b, "expires", json_string(o.expires));
		if (o.vendor)
			json_object_set_new(b, "vendor", json_string(o.vendor));
		if (o.customer)
			json_object_set_new(b, "customer", json_string(o.customer));
		r = call(&o, "admin user add", "POST", "/api/v1/admin/users", b, &ans);
		if (r == CLI_OK && o.out) {
			api_sanitize(ans, NULL); /* the id printed; a token is base64url */
			r = save_token(o.out, json_string_value(json_object_get(ans, "token")), o.force);
			if (r == CLI_OK) {
				printf("user %s: token %s written to %s (mode 0600)\n", ARG(1),
				       json_string_value(json_object_get(ans, "id")), o.out);
				json_decref(ans);
				return CLI_OK;
			}
		}
	} else if (strcmp(area, "agreement") == 0 && cv_streq(ARG(0), "add") && ARG(1)) {
		json_error_t err;
		json_t *doc = json_load_file(ARG(1), JSON_REJECT_DUPLICATES, &err);

		if (!doc) {
			cli_error(ARG(1), "line %d: %s", err.line, err.text);
			return CLI_USAGE;
		}
		r = call(&o, "admin agreement add", "POST", "/api/v1/admin/agreements", doc, &ans);
	} else if (strcmp(area, "agreement") == 0 && cv_streq(ARG(0), "list")) {
		path = o.customer ? cv_xasprintf("/api/v1/agreements?customer=%s", o.customer)
				  : cv_xstrdup("/api/v1/agreements");
		r = call(&o, "admin agreement list", "GET", path, NULL, &ans);
	} else if (strcmp(area, "support-policy") == 0 && cv_streq(ARG(0), "get"))
		r = call(&o, "admin support-policy get", "GET", "/api/v1/admin/support-policy", NULL, &ans);
	else if (strcmp(area, "support-policy") == 0 && cv_streq(ARG(0), "set") && ARG(1)) {
		json_error_t err;
		json_t *doc = json_load_file(ARG(1), JSON_REJECT_DUPLICATES, &err);

		if (!doc) {
			cli_error(ARG(1), "line %d: %s", err.line, err.text);
			return CLI_USAGE;
		}
		r = call(&o, "admin support-policy set", "PUT", "/api/v1/admin/support-policy", doc, &ans);
	} else if (strcmp(area, "submissions") == 0) {
		path = o.vendor ? cv_xasprintf("/api/v1/submissions?vendor=%s", o.vendor) : cv_xstrdup("/api/v1/submissions");
		r = call(&o, "admin submissions", "GET", path, NULL, &ans);
	} else if (!is_area(area))
		return cli_unknown_subcommand("admin", area, admin_areas, CV_ELEMENTSOF(admin_areas));
	else
		return cli_usage("admin", "unknown or incomplete command (see covalid help admin)");
#undef ARG
	free(path);
	if (r == CLI_OK)
		api_print_json(ans);
	json_decref(ans);
	return r;
}
