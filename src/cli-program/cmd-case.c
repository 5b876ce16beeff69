/*
 * cmd-case.c - `covalid case`: support cases through the program's server
 * (docs/support.md).  A customer opens one for this machine (its
 * descriptor attached), vendors work it, engage each other and resolve it.
 */
#include <getopt.h>
#include <jansson.h>

#include "cli-program/http-client.h"
#include "cli-program/program-cli.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "util/cv.h"

#define S(o, k) json_string_value(json_object_get((o), (k)))

struct opts {
	const char *server, *token_file, *cacert, *vendor, *title, *description, *descriptor, *root, *visibility, *reason,
		*state, *version, *host_version;
	int severity;
	bool json, per_call;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		API_CACERT_OPTION,
		{ "vendor", required_argument, NULL, 'v' },
		{ "severity", required_argument, NULL, 'S' },
		{ "title", required_argument, NULL, 'T' },
		{ "description", required_argument, NULL, 'D' },
		{ "descriptor", required_argument, NULL, 'd' },
		{ "root", required_argument, NULL, 'r' },
		{ "visibility", required_argument, NULL, 'V' },
		{ "reason", required_argument, NULL, 'R' },
		{ "state", required_argument, NULL, 'x' },
		{ "version", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "host-version", required_argument, NULL, 'H' },
		{ "per-call", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 't': o->token_file = optarg; break;
		case API_OPT_CACERT: o->cacert = optarg; break;
		case 'v': o->vendor = optarg; break;
		case 'S':
			if (strlen(optarg) != 1 || optarg[0] < '1' || optarg[0] > '4')
				return cli_usage("case", "--severity: 1 (critical) to 4 (low)");
			o->severity = optarg[0] - '0';
			break;
		case 'T': o->title = optarg; break;
		case 'D': o->description = optarg; break;
		case 'd': o->descriptor = optarg; break;
		case 'r': o->root = optarg; break;
		case 'V': o->visibility = optarg; break;
		case 'R': o->reason = optarg; break;
		case 'x': o->state = optarg; break;
		case 'n': o->version = optarg; break;
		case 'j': o->json = true; break;
		case 'H':
			if (!check_host_version_valid(optarg))
				return cli_usage("case", "--host-version: '%s' is not a version (e.g. 5.4)", optarg);
			o->host_version = optarg;
			break;
		case 'P': o->per_call = true; break;
		default: return cli_usage("case", "unknown option '%s'", argv[optind - 1]);
		}
	}
	return CLI_OK;
}

/* This machine's descriptor (or a captured root's, or a file's). */
static json_t *descriptor(const struct opts *o)
{
	struct probe_options po = { .root = o->root };
	struct descriptor *d = NULL;
	json_error_t err;
	json_t *j;
	char *s;
	int r;

	if (o->descriptor) {
		j = json_load_file(o->descriptor, JSON_REJECT_DUPLICATES, &err);
		if (!j)
			cli_error(o->descriptor, "line %d: %s", err.line, err.text);
		return j;
	}
	r = probe_run(&po, &d);
	if (r < 0) {
		cli_error(o->root ? o->root : "probe", "%s", strerror(-r));
		return NULL;
	}
	s = descriptor_to_json(d, false);
	descriptor_free(d);
	j = json_loads(s, 0, NULL);
	free(s);
	return j;
}

/* "3d", "5h", "12m", "40s": how long ago (or, negative, how far ahead). */
static void span(char *buf, size_t size, int64_t s)
{
	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(buf, size, "%lldd", (long long)(s / 86400));
	else if (s >= 3600)
		snprintf(buf, size, "%lldh", (long long)(s / 3600));
	else if (s >= 60)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

static void age(char *buf, size_t size, const char *iso, int64_t now)
{
	int64_t t;

	if (!iso || cv_time_parse(iso, &t) < 0) {
		snprintf(buf, size, "-");
		return;
	}
	span(buf, size, now > t ? now - t : 0);
}

/*
 * A case's SLA in a word or three, as lists show it: "breached", the
 * running clock's "response due in 2h" / "update due in 1d" ("overdue"
 * past it: the server judges the breach), or "met".
 */
static void sla_state(char *buf, size_t size, json_t *sla, int64_t now)
{
	json_t *next = json_object_get(sla, "next_update"), *first = json_object_get(sla, "first_response");
	json_t *clock = cv_streq(S(next, "state"), "pending") ? next : cv_streq(S(first, "state"), "pending") ? first : NULL;
	int64_t due;
	char in[32];

	if (json_is_true(json_object_get(sla, "breached")))
		snprintf(buf, size, "breached");
	else if (!clock)
		snprintf(buf, size, "%s", json_is_object(sla) ? "met" : "-");
	else if (!S(clock, "due") || cv_time_parse(S(clock, "due"), &due) < 0)
		snprintf(buf, size, "pending");
	else if (due <= now)
		snprintf(buf, size, "%s overdue", clock == next ? "update" : "response");
	else {
		span(in, sizeof(in), due - now);
		snprintf(buf, size, "%s due in %s", clock == next ? "update" : "response", in);
	}
}

static const char *const list_headers[] = { "ID", "STATE", "SEV", "VENDOR", "SLA", "AGE", "TITLE" };

static void print_list(json_t *items)
{
	struct cli_table t;
	int64_t now = (int64_t)time(NULL);
	size_t i;
	json_t *x;

	if (!json_array_size(items)) {
		/* For a person; --json prints the answer, its items []. */
		printf("no cases\n");
		return;
	}
	cli_table_init(&t, list_headers, CV_ELEMENTSOF(list_headers));
	json_array_foreach(items, i, x) {
		char sev[24], sla[64], ago[32];
		const char *row[CV_ELEMENTSOF(list_headers)];

		snprintf(sev, sizeof(sev), "%lld", (long long)json_integer_value(json_object_get(x, "severity")));
		sla_state(sla, sizeof(sla), json_object_get(x, "sla"), now);
		age(ago, sizeof(ago), S(x, "created_at"), now);
		row[0] = S(x, "id");
		row[1] = S(x, "state");
		row[2] = sev;
		row[3] = S(x, "vendor");
		row[4] = sla;
		row[5] = ago;
		row[6] = S(x, "title");
		cli_table_add(&t, row);
	}
	cli_table_print(&t, stdout);
	cli_table_release(&t);
}

static void print_note(json_t *x)
{
	printf("note      [%s] %s (%s): %s\n", json_string_value(json_object_get(x, "visibility")),
	       json_string_value(json_object_get(json_object_get(x, "author"), "org")),
	       json_string_value(json_object_get(x, "at")), json_string_value(json_object_get(x, "body")));
}

/* Continuation lines of a multi-line text, under the column of values. */
#define TEXT_INDENT "          "

/* Which agreement entitles the customer to each vendor's support, or why
 * none does (the entitlement computed when the case was opened). */
static void print_entitlement(json_t *ent)
{
	const char *vendor;
	bool first = true;
	json_t *e;

	json_object_foreach(ent, vendor, e) {
		printf("%s%s: ", first ? "entitled  " : TEXT_INDENT, vendor);
		first = false;
		if (json_is_true(json_object_get(e, "entitled"))) {
			if (S(e, "agreement"))
				printf("yes, by agreement %s", S(e, "agreement"));
			else
				printf("yes, per call (the customer said it would pay)");
			printf(" (rule %s, level %s%s)\n", S(e, "rule") ? S(e, "rule") : "-",
			       S(e, "level") ? S(e, "level") : "standard",
			       json_is_true(json_object_get(e, "charge")) ? ", charged" : "");
		} else {
			size_t i;
			json_t *why;

			printf("no");
			json_array_foreach(json_object_get(e, "reasons"), i, why)
				printf("%s%s", i ? "; " : ": ", json_string_value(why));
			printf("\n");
		}
	}
}

/* One audit event in words; a note's event is the note itself, printed apart. */
static void print_event(json_t *ev)
{
	json_t *d = json_object_get(ev, "detail"), *author = json_object_get(ev, "author");
	const char *action = S(ev, "action");

	printf("event     %s %s", S(ev, "at"), S(author, "org") ? S(author, "org") : "-");
	if (S(author, "name"))
		printf(" (%s)", S(author, "name"));
	if (cv_streq(action, "opened"))
		printf(": opened with %s, severity %lld\n", S(d, "vendor"),
		       (long long)json_integer_value(json_object_get(d, "severity")));
	else if (cv_streq(action, "state"))
		printf(": %s -> %s%s%s\n", S(d, "from"), S(d, "to"), S(d, "because") ? ", " : "",
		       S(d, "because") ? S(d, "because") : "");
	else if (cv_streq(action, "engage"))
		printf(": engaged %s (%s)\n", S(d, "vendor"), S(d, "collaboration"));
	else if (cv_streq(action, "collaboration"))
		printf(": collaboration %s %s\n", S(d, "collaboration"), S(d, "state"));
	else
		printf(": %s\n", action ? action : "?");
}

/*
 * The case's story in order: the audit events (opened, state changes,
 * engagements, collaborations' moves) in their sequence, each note where
 * its event stands.  Notes and their events are appended together, so a
 * cursor over the notes finds each in turn; a note no event names (none
 * should) follows the rest.
 */
static void print_timeline(json_t *c)
{
	json_t *notes = json_object_get(c, "notes"), *ev;
	size_t next = 0, nn = json_array_size(notes), i;

	json_array_foreach(json_object_get(c, "events"), i, ev) {
		const char *id = S(json_object_get(ev, "detail"), "note");

		if (!cv_streq(S(ev, "action"), "note")) {
			print_event(ev);
			continue;
		}
		for (size_t k = next; id && k < nn; k++)
			if (cv_streq(S(json_array_get(notes, k), "id"), id)) {
				while (next <= k)
					print_note(json_array_get(notes, next++));
				break;
			}
	}
	while (next < nn)
		print_note(json_array_get(notes, next++));
}

/* A customer is not told the case's version (it counts the vendors'
 * internal changes too): the line then has none. */
static void print_case_line(json_t *id, json_t *version)
{
	if (json_is_integer(version))
		printf("case      %s (version %lld)\n", json_string_value(id), (long long)json_integer_value(version));
	else
		printf("case      %s\n", json_string_value(id));
}

static void print_case(json_t *c)
{
	size_t i;
	json_t *x, *sla = json_object_get(c, "sla");

	print_case_line(json_object_get(c, "id"), json_object_get(c, "version"));
	printf("title     %s\n", json_string_value(json_object_get(c, "title")));
	if (S(c, "description"))
		printf("about     %s\n", S(c, "description"));
	printf("state     %s, severity %lld, opened with %s by %s\n", json_string_value(json_object_get(c, "state")),
	       (long long)json_integer_value(json_object_get(c, "severity")), json_string_value(json_object_get(c, "vendor")),
	       json_string_value(json_object_get(c, "customer")));
	if (json_object_get(c, "configuration"))
		printf("config    %s\n", json_string_value(json_object_get(json_object_get(c, "configuration"), "statement")));
	else if (json_object_get(c, "verdict"))
		printf("config    %s\n", json_string_value(json_object_get(c, "verdict")));
	if (json_is_string(json_object_get(c, "host_version")))
		printf("host      version %s, as the customer stated it\n",
		       json_string_value(json_object_get(c, "host_version")));
	if (json_is_object(json_object_get(c, "per_call_charge"))) {
		json_t *ch = json_object_get(c, "per_call_charge");

		if (json_is_string(json_object_get(ch, "agreement")))
			printf("charge    per-call support from %s (agreement %s)\n",
			       json_string_value(json_object_get(ch, "vendor")),
			       json_string_value(json_object_get(ch, "agreement")));
		else
			printf("charge    per-call support from %s (the customer said so when opening the case)\n",
			       json_string_value(json_object_get(ch, "vendor")));
	}
	print_entitlement(json_object_get(c, "entitlement"));
	printf("sla       first response %s", json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")));
	if (json_is_object(json_object_get(sla, "next_update")))
		printf(", next update %s (due %s)",
		       json_string_value(json_object_get(json_object_get(sla, "next_update"), "state")),
		       json_string_value(json_object_get(json_object_get(sla, "next_update"), "due")));
	printf("\n");
	json_array_foreach(json_object_get(c, "collaborations"), i, x)
		printf("engaged   %s: %s (%s, due %s)%s\n", json_string_value(json_object_get(x, "vendor")),
		       json_string_value(json_object_get(x, "state")), json_string_value(json_object_get(x, "id")),
		       json_string_value(json_object_get(x, "due_at")),
		       json_is_object(json_object_get(x, "per_call_charge")) ? ", charged per call" : "");
	print_timeline(c);
	if (json_is_object(json_object_get(c, "resolution")))
		printf("resolved  %s\n", json_string_value(json_object_get(json_object_get(c, "resolution"), "text")));
}

/*
 * A case's view holds its first page of notes: the others are fetched a
 * page at a time, so that `case show` shows the whole case.  Bounded by
 * the server's cap on notes per case; a page that brings nothing ends it.
 */
static int all_notes(const struct api *a, json_t *c)
{
	json_t *notes = json_object_get(c, "notes"), *page = NULL;
	int64_t total = json_integer_value(json_object_get(c, "notes_total"));
	int r;

	while (json_is_array(notes) && (int64_t)json_array_size(notes) < total) {
		char *path = cv_xasprintf("/api/v1/cases/%s/notes?limit=500&offset=%zu",
					  json_string_value(json_object_get(c, "id")), json_array_size(notes));

		r = api_request(a, "case show", "GET", path, NULL, 0, (void **)&page);
		free(path);
		if (r)
			return r;
		if (!json_array_size(json_object_get(page, "items"))) {
			json_decref(page);
			break;
		}
		json_array_extend(notes, json_object_get(page, "items"));
		json_decref(page);
		page = NULL;
	}
	if (json_object_get(c, "notes_next"))
		json_object_set_new(c, "notes_next", json_null());
	return CLI_OK;
}

static int call(const struct opts *o, const char *what, const char *method, const char *path, json_t *body)
{
	struct api a;
	json_t *ans = NULL;
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int r;

	json_decref(body);
	r = api_init(&a, o->server, o->token_file, o->cacert, true);
	if (r == CLI_OK)
		r = api_request(&a, what, method, path, b, b ? strlen(b) : 0, (void **)&ans);
	if (r == CLI_OK && strcmp(what, "case show") == 0)
		r = all_notes(&a, ans);
	api_release(&a);
	free(b);
	if (r) {
		json_decref(ans);
		return r;
	}
	if (o->json) {
		api_print_json(ans);
		json_decref(ans);
		return CLI_OK;
	}
	/* Everything below prints other parties' text: made safe first, a
	 * note's second line indented under its first. */
	api_sanitize(ans, TEXT_INDENT);
	if (json_is_array(json_object_get(ans, "items")))
		print_list(json_object_get(ans, "items"));
	else if (json_is_object(json_object_get(ans, "note"))) {
		/* A note's answer: the note and the case's new version. */
		print_case_line(json_object_get(ans, "case"), json_object_get(ans, "version"));
		print_note(json_object_get(ans, "note"));
	} else
		print_case(ans);
	json_decref(ans);
	return CLI_OK;
}

static json_t *with_version(const struct opts *o, json_t *body)
{
	uint64_t v;

	if (o->version && cv_parse_u64(o->version, 10, &v) == 0)
		json_object_set_new(body, "version", json_integer((json_int_t)v));
	return body;
}

static const char *const case_verbs[] = { "open",    "list",    "show",  "note",   "engage", "accept", "decline",
					   "working", "done",    "resolve", "close", "reopen", "state" };

static bool is_verb(const char *verb)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(case_verbs); i++)
		if (strcmp(case_verbs[i], verb) == 0)
			return true;
	return false;
}

int cmd_case(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	struct opts o = { 0 };
	char *path = NULL;
	int r;

	if (!verb)
		return cli_usage("case", "which? open, list, show, note, engage, accept, decline, working, done, resolve, "
					 "close, reopen, state");
	r = parse(argc - 1, argv + 1, &o);
	if (r)
		return r;
	argc -= 1;
	argv += 1;
#define ARG(i) (optind + (i) < argc ? argv[optind + (i)] : NULL)
	if (o.version) {
		uint64_t v;

		if (cv_parse_u64(o.version, 10, &v) < 0)
			return cli_usage("case", "--version: the case's version you read");
	}
	if (strcmp(verb, "open") == 0) {
		json_t *d, *body;

		if (!o.vendor || !o.severity || !o.title)
			return cli_usage("case open", "--vendor ID, --severity 1-4 and --title TEXT are required");
		d = descriptor(&o);
		if (!d)
			return CLI_USAGE;
		body = json_pack("{s:s, s:i, s:s, s:s, s:o}", "vendor", o.vendor, "severity", o.severity, "title", o.title,
				 "description", o.description ? o.description : o.title, "descriptor", d);
		if (o.host_version)
			json_object_set_new(body, "host_version", json_string(o.host_version));
		if (o.per_call)
			json_object_set_new(body, "per_call", json_true());
		return call(&o, "case open", "POST", "/api/v1/cases", body);
	}
	if (strcmp(verb, "list") == 0) {
		path = o.state ? cv_xasprintf("/api/v1/cases?state=%s", o.state) : cv_xstrdup("/api/v1/cases");
		r = call(&o, "case list", "GET", path, NULL);
		free(path);
		return r;
	}
	if (!is_verb(verb))
		return cli_unknown_subcommand("case", verb, case_verbs, CV_ELEMENTSOF(case_verbs));
	if (!ARG(0))
		return cli_usage("case", "which case? (covalid case list)");
	if (strcmp(verb, "show") == 0)
		path = cv_xasprintf("/api/v1/cases/%s", ARG(0));
	else
		path = NULL;
	if (path) {
		r = call(&o, "case show", "GET", path, NULL);
		free(path);
		return r;
	}
	if (strcmp(verb, "note") == 0 && ARG(1)) {
		path = cv_xasprintf("/api/v1/cases/%s/notes", ARG(0));
		r = call(&o, "case note", "POST", path,
			 /* No --visibility: the server's default, the customer's
			  * public and a vendor's internal (docs/support.md, "Notes"). */
			 with_version(&o, json_pack("{s:s*, s:s}", "visibility", o.visibility, "body", ARG(1))));
	} else if (strcmp(verb, "engage") == 0 && o.vendor) {
		path = cv_xasprintf("/api/v1/cases/%s/engage", ARG(0));
		r = call(&o, "case engage", "POST", path,
			 with_version(&o, json_pack("{s:s, s:s*}", "vendor", o.vendor, "reason", o.reason)));
	} else if ((strcmp(verb, "accept") == 0 || strcmp(verb, "decline") == 0 || strcmp(verb, "working") == 0 ||
		    strcmp(verb, "done") == 0) &&
		   ARG(1)) {
		path = cv_xasprintf("/api/v1/cases/%s/collaborations/%s", ARG(0), ARG(1));
		r = call(&o, "case collaboration", "POST", path,
			 with_version(&o, json_pack("{s:s, s:s*}", "action", verb, "reason", o.reason)));
	} else if (strcmp(verb, "resolve") == 0 && ARG(1)) {
		path = cv_xasprintf("/api/v1/cases/%s/state", ARG(0));
		r = call(&o, "case resolve", "POST", path,
			 with_version(&o, json_pack("{s:s, s:s}", "to", "resolved", "resolution", ARG(1))));
	} else if (strcmp(verb, "close") == 0 || strcmp(verb, "reopen") == 0 || (strcmp(verb, "state") == 0 && ARG(1))) {
		path = cv_xasprintf("/api/v1/cases/%s/state", ARG(0));
		r = call(&o, "case state", "POST", path,
			 with_version(&o, json_pack("{s:s}", "to", strcmp(verb, "close") == 0    ? "closed"
								  : strcmp(verb, "reopen") == 0 ? "reopened"
												: ARG(1))));
	} else
		return cli_usage("case", "unknown or incomplete command (see covalid help case)");
#undef ARG
	free(path);
	return r;
}
