/*
 * webhook-api.c - webhooks as the API and the deliverer use them
 * (covalid/monitor.h, docs/webhooks.md): who may add, see and remove
 * which, the delivery log, the due deliveries with their signed bodies,
 * and what an attempt's answer makes of a delivery.
 *
 * Scope: a customer's administrator has its customer's webhooks (which
 * get that customer's events); the owner has its own (every event) and
 * may add, see and remove any customer's.  Another customer's webhook is
 * a 404, as if it did not exist; a vendor is 403 (the route refuses it
 * first).
 */
#include <jansson.h>
#include <sodium.h>

#include "covalid/monitor.h"
#include "covalid/store.h"
#include "util/cv.h"

/* Webhooks per scope (a customer, or the owner's own): a bound on what
 * one event fans out to. */
#define WEBHOOKS_MAX 100

static json_t *iso(int64_t t)
{
	char b[32];

	cv_time_iso8601(t, b, sizeof(b));
	return json_string(b);
}

static bool may_use(const struct program_auth *who, struct program_error *err)
{
	if (who->admin || who->customer_id)
		return true;
	program_error_set(err, 403, "forbidden", "webhooks are a customer administrator's or the program owner's");
	return false;
}

static json_t *kinds_json(const char *kinds)
{
	json_t *a = json_array();

	while (kinds && *kinds) {
		size_t n = strcspn(kinds, " ");

		if (n)
			json_array_append_new(a, json_stringn(kinds, n));
		kinds += n + (kinds[n] == ' ');
	}
	return a;
}

static json_t *webhook_json(const struct store_webhook_row *w)
{
	return json_pack("{s:s, s:s, s:o, s:s?, s:s}", "id", w->id, "url", w->url, "kinds", kinds_json(w->kinds),
			 "customer", w->customer_id, "created_at", w->created_at);
}

/* "kinds": absent, null or [] is every kind; else known kinds, once each. */
static int parse_kinds(json_t *kinds, char **ret, struct program_error *err)
{
	struct cv_buf b;
	size_t i;
	json_t *k;

	cv_buf_init(&b, 4096);
	if (kinds && !json_is_null(kinds) && !json_is_array(kinds)) {
		program_error_set(err, 400, "invalid_field", "kinds: an array of event kinds (docs/webhooks.md)");
		return -EINVAL;
	}
	json_array_foreach(kinds, i, k) {
		const char *name = json_string_value(k);
		char *safe;

		if (!monitor_event_kind_known(name)) {
			safe = name ? cv_str_sanitize(name, strlen(name), 64) : cv_xstrdup("(not a string)");
			program_error_set(err, 400, "invalid_field", "kinds: unknown event kind '%s' (known: %s)", safe,
					  MONITOR_EVENT_KINDS);
			free(safe);
			cv_buf_release(&b);
			return -EINVAL;
		}
		if (b.len && cv_word_in(b.data, name)) {
			program_error_set(err, 400, "invalid_field", "kinds: '%s' twice", name);
			cv_buf_release(&b);
			return -EINVAL;
		}
		(void)!cv_buf_printf(&b, "%s%s", b.len ? " " : "", name);
	}
	*ret = b.data ? cv_buf_detach(&b, NULL) : cv_xstrdup("");
	return 0;
}

static int count_cb(void *userdata, const struct store_webhook_row *row)
{
	(void)row;
	(*(size_t *)userdata)++;
	return 0;
}

int monitor_webhook_add(struct store *s, const struct program_auth *who, const json_t *body_, int64_t now, json_t **ret,
			struct program_error *err)
{
	static const char *const keys[] = { "url", "secret", "kinds", "customer" };
	json_t *body = (json_t *)body_, *url = json_object_get(body, "url"), *secret = json_object_get(body, "secret");
	json_t *customer = json_object_get(body, "customer");
	const char *why = NULL, *cust;
	char *kinds = NULL, *id = NULL, hex[17], at[32];
	uint8_t raw[8];
	size_t n = 0;
	struct store_webhook_row w;
	int r = -EINVAL;

	if (!may_use(who, err))
		return -EPERM;
	if (!program_check_keys(body, keys, CV_ELEMENTSOF(keys), NULL, err))
		return -EINVAL;
	if (!json_is_string(url) || monitor_webhook_check_url(json_string_value(url), &why) < 0) {
		program_error_set(err, 400, "invalid_field", "%s", why ? why : "url: a string, http:// or https://");
		return -EINVAL;
	}
	if (!json_is_string(secret) ||
	    monitor_webhook_check_secret(json_string_value(secret), json_string_length(secret), &why) < 0) {
		program_error_set(err, 400, "invalid_field", "%s", why ? why : "secret: a string of 16 to 1024 bytes");
		return -EINVAL;
	}
	if (customer && !json_is_string(customer) && !json_is_null(customer)) {
		program_error_set(err, 400, "invalid_field", "customer: a customer's id");
		return -EINVAL;
	}
	cust = json_string_value(customer);
	if (!who->admin) {
		if (cust && !cv_streq(cust, who->customer_id)) {
			program_error_set(err, 400, "invalid_field",
					  "customer: only the program's owner names a customer (yours is implied)");
			return -EINVAL;
		}
		cust = who->customer_id;
	}
	r = parse_kinds(json_object_get(body, "kinds"), &kinds, err);
	if (r < 0)
		return r;
	r = program_txn_begin(s, err);
	if (r < 0)
		goto out;
	if (cust && who->admin && (r = store_customer_get(s, cust, NULL)) < 0) {
		if (r == -ENOENT)
			program_error_set(err, 400, "invalid_field", "customer: no customer '%s'", cust);
		else
			program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto end;
	}
	r = store_webhook_list(s, false, cust, count_cb, &n);
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto end;
	}
	if (n >= WEBHOOKS_MAX) {
		program_error_set(err, 409, "too_many_webhooks", "%s has %d webhooks, as many as it may: remove one first",
				  cust ? cust : "the owner", WEBHOOKS_MAX);
		r = -ENOSPC;
		goto end;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	id = cv_xasprintf("wh-%s", hex);
	cv_time_iso8601(now, at, sizeof(at));
	w = (struct store_webhook_row){ .id = id, .customer_id = cust, .url = json_string_value(url),
					.secret = json_string_value(secret), .kinds = kinds, .created_by = who->token_id,
					.created_at = at };
	r = store_webhook_add(s, &w);
	if (r < 0)
		program_error_set(err, 503, "busy", "the webhook could not be recorded; nothing was changed");
end:
	r = program_txn_end(s, r, err);
	if (r == 0)
		*ret = webhook_json(&w);
out:
	free(kinds);
	free(id);
	return r;
}

struct list_ctx {
	const struct program_auth *who;
	json_t *items;
};

static int list_cb(void *userdata, const struct store_webhook_row *row)
{
	struct list_ctx *l = userdata;

	json_array_append_new(l->items, webhook_json(row));
	return 0;
}

int monitor_webhook_list(struct store *s, const struct program_auth *who, const char *customer, json_t **ret,
			 struct program_error *err)
{
	struct list_ctx l = { who, json_array() };
	int r;

	if (!may_use(who, err)) {
		json_decref(l.items);
		return -EPERM;
	}
	/* The owner: every webhook, or one customer's; a customer: its own. */
	if (who->admin)
		r = store_webhook_list(s, customer == NULL, customer, list_cb, &l);
	else
		r = store_webhook_list(s, false, who->customer_id, list_cb, &l);
	if (r < 0) {
		json_decref(l.items);
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		return r;
	}
	*ret = json_pack("{s:o}", "items", l.items);
	return 0;
}

struct owner_ctx {
	char *customer_id;
	bool owners;
};

static int owner_cb(void *userdata, const struct store_webhook_row *row)
{
	struct owner_ctx *o = userdata;

	o->owners = row->customer_id == NULL;
	o->customer_id = row->customer_id ? cv_xstrdup(row->customer_id) : NULL;
	return 0;
}

/* Whether who may see webhook id: 404 for one that is not there or not its. */
static int visible(struct store *s, const struct program_auth *who, const char *id, struct program_error *err)
{
	struct owner_ctx o = { NULL, false };
	int r;

	if (!may_use(who, err))
		return -EPERM;
	r = store_webhook_get(s, id, owner_cb, &o);
	if (r == 0 && !who->admin && !cv_streq(o.customer_id, who->customer_id))
		r = -ENOENT;
	free(o.customer_id);
	if (r == -ENOENT)
		program_error_set(err, 404, "not_found", "no such webhook");
	else if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	return r;
}

int monitor_webhook_remove(struct store *s, const struct program_auth *who, const char *id, int64_t now,
			   struct program_error *err)
{
	char at[32];
	int r;

	if (!may_use(who, err))
		return -EPERM;
	r = program_txn_begin(s, err);
	if (r < 0)
		return r;
	r = visible(s, who, id, err);
	if (r == 0) {
		cv_time_iso8601(now, at, sizeof(at));
		r = store_webhook_disable(s, id, at);
		if (r < 0)
			program_error_set(err, r == -ENOENT ? 404 : 503, r == -ENOENT ? "not_found" : "busy", "%s",
					  r == -ENOENT ? "no such webhook" : "the webhook could not be removed; nothing was changed");
	}
	return program_txn_end(s, r, err);
}

static int delivery_cb(void *userdata, const struct store_delivery_row *d)
{
	json_t *item = json_pack("{s:I, s:{s:I, s:s?, s:s?}, s:s, s:I, s:o, s:s?, s:s?, s:s?}", "id", (json_int_t)d->id,
				 "event", "seq", (json_int_t)d->event_seq, "id", d->event_id, "kind", d->event_kind, "state",
				 d->state, "attempts", (json_int_t)d->attempts, "last_status",
				 d->last_status >= 0 ? json_integer(d->last_status) : json_null(), "last_error", d->last_error,
				 "delivered_at", d->delivered_at, "created_at", d->created_at);

	if (item && cv_streq(d->state, "pending"))
		json_object_set_new(item, "next_at", iso(d->next_at_s));
	if (item)
		json_array_append_new(userdata, item);
	return 0;
}

int monitor_webhook_deliveries(struct store *s, const struct program_auth *who, const char *id, int64_t limit,
			       int64_t offset, json_t **ret, struct program_error *err)
{
	json_t *items;
	int64_t total = 0;
	int r = visible(s, who, id, err);

	if (r < 0)
		return r;
	items = json_array();
	r = store_delivery_count(s, id, &total);
	if (r == 0)
		r = store_delivery_list(s, id, limit, offset, delivery_cb, items);
	if (r < 0) {
		json_decref(items);
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		return r;
	}
	*ret = json_pack("{s:s, s:I, s:I, s:I, s:o}", "webhook", id, "total", (json_int_t)total, "limit", (json_int_t)limit,
			 "offset", (json_int_t)offset, "items", items);
	return 0;
}

/* ---- the deliverer's ---- */

struct due_ctx {
	struct monitor_delivery *d;
	size_t n, max;
};

/* The event's document with its place in the log: "schema" and "id"
 * first, then "seq", then the rest as recorded. */
static char *body_with_seq(const char *doc, int64_t seq)
{
	json_t *j = json_loads(doc, 0, NULL), *out, *v;
	const char *k;
	char *text;

	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	out = json_object();
	if (json_object_get(j, "schema"))
		json_object_set(out, "schema", json_object_get(j, "schema"));
	if (json_object_get(j, "id"))
		json_object_set(out, "id", json_object_get(j, "id"));
	json_object_set_new(out, "seq", json_integer(seq));
	json_object_foreach(j, k, v)
		if (!json_object_get(out, k))
			json_object_set(out, k, v);
	text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(out);
	json_decref(j);
	return text;
}

static int due_cb(void *userdata, const struct store_delivery_row *row)
{
	struct due_ctx *c = userdata;
	struct monitor_delivery *d;
	char *body;

	if (c->n == c->max)
		return 1;
	body = body_with_seq(row->event_doc, row->event_seq);
	if (!body)
		return 0; /* not JSON: never sent (it cannot be, by program_event_emit) */
	d = &c->d[c->n++];
	*d = (struct monitor_delivery){ .id = row->id, .attempts = row->attempts, .webhook_id = cv_xstrdup(row->webhook_id),
					.url = cv_xstrdup(row->url), .kind = cv_xstrdup(row->event_kind),
					.event_id = cv_xstrdup(row->event_id), .secret = cv_xstrdup(row->secret),
					.secret_len = strlen(row->secret), .body = body };
	monitor_webhook_sign(d->secret, d->secret_len, d->body, strlen(d->body), d->signature);
	return 0;
}

int monitor_deliveries_due(struct store *s, int64_t now_s, size_t max, int64_t lease_s, struct monitor_delivery **ret,
			   size_t *ret_n)
{
	struct due_ctx c = { cv_xcalloc(max ? max : 1, sizeof(struct monitor_delivery)), 0, max };
	int r = store_delivery_due(s, now_s, (int64_t)max, due_cb, &c);

	if (r < 0)
		goto fail;
	/* Claimed: not due again while the attempt is under way; if the
	 * server stops before recording it, due again when the lease ends.
	 * Each claim re-checks that the delivery is still due, so when
	 * several server nodes share the database and read the same due
	 * rows, each delivery goes to the one node whose claim changed it;
	 * the others drop it from their batch.  One transaction for the
	 * batch (one commit, not one per delivery); claims take rows in the
	 * order read, oldest due first, as another node's do. */
	if (c.n) {
		size_t kept = 0;

		r = store_begin(s);
		for (size_t i = 0; r >= 0 && i < c.n; i++) {
			r = store_delivery_claim(s, c.d[i].id, now_s, now_s + lease_s);
			if (r == 1) {
				if (kept != i) {
					c.d[kept] = c.d[i];
					c.d[i] = (struct monitor_delivery){ 0 };
				}
				kept++;
			} else if (r == 0)
				monitor_deliveries_free_contents(&c.d[i]);
		}
		if (r >= 0)
			r = store_commit(s);
		if (r < 0) {
			store_rollback(s); /* no claim kept: all due again */
			goto fail;          /* entries moved or freed are zeroed */
		}
		c.n = kept;
	}
	*ret = c.d;
	*ret_n = c.n;
	return 0;
fail:
	monitor_deliveries_free(c.d, c.n);
	return r;
}

void monitor_deliveries_free_contents(struct monitor_delivery *d)
{
	free(d->webhook_id);
	free(d->url);
	free(d->kind);
	free(d->event_id);
	if (d->secret)
		sodium_memzero(d->secret, d->secret_len);
	free(d->secret);
	free(d->body);
	memset(d, 0, sizeof(*d));
}

void monitor_deliveries_free(struct monitor_delivery *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		monitor_deliveries_free_contents(&d[i]);
	free(d);
}

int monitor_delivery_record(struct store *s, const struct monitor_delivery *d, long status, const char *error,
			    int64_t now_ms, int64_t base_ms, enum monitor_delivery_outcome *ret_outcome)
{
	int64_t attempts = d->attempts + 1, next_s = now_ms / 1000;
	enum monitor_delivery_outcome o;
	char at[32], why[256];
	const char *state;
	int r;

	cv_time_iso8601(now_ms / 1000, at, sizeof(at));
	if (status >= 200 && status < 300) {
		o = MONITOR_DELIVERED;
		state = "delivered";
		error = NULL;
	} else {
		if (!error) {
			snprintf(why, sizeof(why), "HTTP %ld", status);
			error = why;
		}
		if (attempts >= MONITOR_WEBHOOK_ATTEMPTS) {
			o = MONITOR_FAILED;
			state = "failed";
		} else {
			int64_t wait = monitor_webhook_backoff_ms(attempts, base_ms, randombytes_random());

			o = MONITOR_RETRY;
			state = "pending";
			next_s = (now_ms + wait + 999) / 1000;
		}
	}
	r = store_delivery_result(s, d->id, state, status > 0 ? (int64_t)status : -1, error, next_s,
				  o == MONITOR_DELIVERED ? at : NULL);
	if (r == 0 && ret_outcome)
		*ret_outcome = o;
	return r;
}
