/*
 * cmd-webhook.c - `covalid webhook`: a customer administrator's (or the
 * owner's) webhooks on the program's server (docs/webhooks.md): add one
 * with a secret read from a file, list them, remove one, read one's
 * delivery log.
 */
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>

#include "cli-program/http-client.h"
#include "cli-program/program-cli.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "util/cv.h"

/* The server's bounds on a secret (covalid/monitor.h,
 * MONITOR_WEBHOOK_SECRET_MIN/_MAX; this command does not link monitor):
 * checked here too so that a bad file is named before anything is sent. */
#define SECRET_MIN 16
#define SECRET_MAX 1024

struct opts {
	const char *server, *token_file, *cacert, *secret_file, *kinds, *customer, *limit, *offset;
	bool json;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		API_CACERT_OPTION,
		{ "secret-file", required_argument, NULL, 'S' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "customer", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 't': o->token_file = optarg; break;
		case API_OPT_CACERT: o->cacert = optarg; break;
		case 'S': o->secret_file = optarg; break;
		case 'k': o->kinds = optarg; break;
		case 'c': o->customer = optarg; break;
		case 'l':
			if (cv_parse_u64(optarg, 10, &v) < 0 || v < 1 || v > 500)
				return cli_usage("webhook", "--limit: 1 to 500");
			o->limit = optarg;
			break;
		case 'o':
			if (cv_parse_u64(optarg, 10, &v) < 0)
				return cli_usage("webhook", "--offset: a count");
			o->offset = optarg;
			break;
		case 'j': o->json = true; break;
		default: return cli_usage("webhook", "unknown option '%s'", argv[optind - 1]);
		}
	}
	return CLI_OK;
}

/*
 * The secret: the file's bytes less one trailing newline (what `echo`
 * and editors leave), so that the receiver's key is the same bytes.
 * A missing, empty or too short file is named, and nothing is sent.
 */
static int read_secret(const char *path, char **ret, size_t *ret_len)
{
	char *data = NULL;
	size_t len = 0;
	int r = cv_read_file(path, SECRET_MAX + 2, &data, &len);

	if (r == -E2BIG) {
		cli_error(path, "the secret is longer than %d bytes", SECRET_MAX);
		return CLI_USAGE;
	}
	if (r < 0) {
		cli_error(path, "%s", strerror(-r));
		return CLI_USAGE;
	}
	if (len && data[len - 1] == '\n')
		data[--len] = '\0';
	if (len == 0 || len < SECRET_MIN || len > SECRET_MAX || memchr(data, '\0', len)) {
		cli_error(path, "%s", len == 0 ? "the secret file is empty"
				      : len > SECRET_MAX ? "the secret is longer than 1024 bytes"
				      : len < SECRET_MIN ? "the secret is shorter than 16 bytes (e.g. head -c 32 /dev/urandom | base64 > FILE)"
							 : "the secret holds a NUL byte");
		sodium_memzero(data, len);
		free(data);
		return CLI_USAGE;
	}
	*ret = data;
	*ret_len = len;
	return CLI_OK;
}

_Static_assert(SECRET_MIN == 16 && SECRET_MAX == 1024, "the messages above name them");

static json_t *kinds_array(const char *list)
{
	json_t *a = json_array();

	while (list && *list) {
		size_t n = strcspn(list, ",");

		if (n)
			json_array_append_new(a, json_stringn(list, n));
		list += n + (list[n] == ',');
	}
	return a;
}

static void print_webhook(json_t *w)
{
	size_t i;
	json_t *k;

	printf("%-20s %-12s ", json_string_value(json_object_get(w, "id")),
	       json_is_string(json_object_get(w, "customer")) ? json_string_value(json_object_get(w, "customer")) : "(owner)");
	if (!json_array_size(json_object_get(w, "kinds")))
		printf("%-28s", "every kind");
	json_array_foreach(json_object_get(w, "kinds"), i, k)
		printf("%s%s", i ? "," : "", json_string_value(k));
	printf("  %s\n", json_string_value(json_object_get(w, "url")));
}

static const char *const webhook_headers[] = { "ID", "CUSTOMER", "KINDS", "URL" };
static const char *const delivery_headers[] = { "ID", "STATE", "ATTEMPTS", "HTTP", "EVENT", "KIND", "LAST" };

static void print_webhooks(json_t *items)
{
	struct cli_table t;
	size_t i, n;
	json_t *w, *k;

	cli_table_init(&t, webhook_headers, CV_ELEMENTSOF(webhook_headers));
	json_array_foreach(items, i, w) {
		struct cv_buf kinds;
		char *ks;
		const char *row[CV_ELEMENTSOF(webhook_headers)];

		cv_buf_init(&kinds, 1 << 16);
		json_array_foreach(json_object_get(w, "kinds"), n, k)
			(void)!cv_buf_printf(&kinds, "%s%s", n ? "," : "", json_string_value(k));
		ks = cv_buf_detach(&kinds, NULL);
		row[0] = json_string_value(json_object_get(w, "id"));
		row[1] = json_is_string(json_object_get(w, "customer")) ? json_string_value(json_object_get(w, "customer"))
									: "(owner)";
		row[2] = *ks ? ks : "every kind";
		row[3] = json_string_value(json_object_get(w, "url"));
		cli_table_add(&t, row);
		free(ks);
	}
	cli_table_print(&t, stdout);
	cli_table_release(&t);
}

static void print_deliveries(json_t *items)
{
	struct cli_table t;
	size_t i;
	json_t *d;

	cli_table_init(&t, delivery_headers, CV_ELEMENTSOF(delivery_headers));
	json_array_foreach(items, i, d) {
		json_t *ev = json_object_get(d, "event"), *st = json_object_get(d, "last_status");
		char id[24], attempts[24], status[24], seq[24];
		const char *row[CV_ELEMENTSOF(delivery_headers)];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(d, "id")));
		snprintf(attempts, sizeof(attempts), "%lld", (long long)json_integer_value(json_object_get(d, "attempts")));
		if (json_is_integer(st))
			snprintf(status, sizeof(status), "%lld", (long long)json_integer_value(st));
		else
			snprintf(status, sizeof(status), "-");
		snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(json_object_get(ev, "seq")));
		row[0] = id;
		row[1] = json_string_value(json_object_get(d, "state"));
		row[2] = attempts;
		row[3] = status;
		row[4] = seq;
		row[5] = json_string_value(json_object_get(ev, "kind"));
		row[6] = json_is_string(json_object_get(d, "last_error")) ? json_string_value(json_object_get(d, "last_error"))
			 : json_is_string(json_object_get(d, "delivered_at")) ? json_string_value(json_object_get(d, "delivered_at"))
									      : NULL;
		cli_table_add(&t, row);
	}
	cli_table_print(&t, stdout);
	cli_table_release(&t);
}

/* print: a list's items, as a table; print_one: an answer that is one object. */
static int call(const struct opts *o, const char *what, const char *method, const char *path, json_t *body,
		void (*print)(json_t *), void (*print_one)(json_t *))
{
	struct api a;
	json_t *ans = NULL;
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int r;

	json_decref(body);
	r = api_init(&a, o->server, o->token_file, o->cacert, true);
	if (r == CLI_OK)
		r = api_request(&a, what, method, path, b, b ? strlen(b) : 0, (void **)&ans);
	api_release(&a);
	if (b) {
		sodium_memzero(b, strlen(b)); /* it held the secret */
		free(b);
	}
	if (r) {
		json_decref(ans);
		return r;
	}
	if (o->json) {
		api_print_json(ans);
		json_decref(ans);
		return CLI_OK;
	}
	api_sanitize(ans, "  ");
	if (json_is_array(json_object_get(ans, "items")) && print)
		print(json_object_get(ans, "items"));
	else if (print_one)
		print_one(ans);
	else
		printf("%s %s\n", json_string_value(json_object_get(ans, "id")), json_string_value(json_object_get(ans, "status")));
	json_decref(ans);
	return CLI_OK;
}

int cmd_webhook(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	struct opts o = { 0 };
	char *path = NULL;
	int r;

	if (!verb)
		return cli_usage("webhook", "which? add, list, rm, deliveries");
	r = parse(argc - 1, argv + 1, &o);
	if (r)
		return r;
	argc -= 1;
	argv += 1;
#define ARG(i) (optind + (i) < argc ? argv[optind + (i)] : NULL)
	if (strcmp(verb, "add") == 0) {
		char *secret = NULL;
		size_t len = 0;
		json_t *body;

		if (!ARG(0) || !o.secret_file)
			return cli_usage("webhook add", "URL and --secret-file FILE are required");
		r = read_secret(o.secret_file, &secret, &len);
		if (r)
			return r;
		body = json_pack("{s:s, s:s%}", "url", ARG(0), "secret", secret, len);
		sodium_memzero(secret, len);
		free(secret);
		if (!body) {
			cli_error(o.secret_file, "the secret is not UTF-8 text (the API carries it as a JSON string)");
			return CLI_USAGE;
		}
		if (o.kinds)
			json_object_set_new(body, "kinds", kinds_array(o.kinds));
		if (o.customer)
			json_object_set_new(body, "customer", json_string(o.customer));
		return call(&o, "webhook add", "POST", "/api/v1/webhooks", body, NULL, print_webhook);
	}
	if (strcmp(verb, "list") == 0) {
		path = o.customer ? cv_xasprintf("/api/v1/webhooks?customer=%s", o.customer) : cv_xstrdup("/api/v1/webhooks");
		r = call(&o, "webhook list", "GET", path, NULL, print_webhooks, NULL);
	} else if (strcmp(verb, "rm") == 0 && ARG(0)) {
		path = cv_xasprintf("/api/v1/webhooks/%s", ARG(0));
		r = call(&o, "webhook rm", "DELETE", path, NULL, NULL, NULL);
	} else if (strcmp(verb, "deliveries") == 0 && ARG(0)) {
		path = cv_xasprintf("/api/v1/webhooks/%s/deliveries?limit=%s&offset=%s", ARG(0), o.limit ? o.limit : "50",
				    o.offset ? o.offset : "0");
		r = call(&o, "webhook deliveries", "GET", path, NULL, print_deliveries, NULL);
	} else
		return cli_usage("webhook", "unknown or incomplete command (see covalid help webhook)");
#undef ARG
	free(path);
	return r;
}
