/*
 * api-program.c - what vendors and the owner do: submissions, revocation,
 * and the owner's administration (vendors, keys, tokens, the policy).
 *
 * Isolation: a vendor sees only its own submissions; asking for another's
 * answers 404, as if it did not exist, so that ids leak nothing.
 */
#include <jansson.h>
#include <time.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "server/server-internal.h"
#include "util/cv.h"

/*
 * Writes go through server_write() (writer.c): each handler's write is a
 * function of the writer's store and an argument holding what it needs
 * and what it produces.  These carry the program's calls there.
 */
/* A submission is checked here, on the request's worker and in parallel
 * with others (parsing, the signature, the policy: most of its cost), and
 * only recorded in the writer's shared transaction. */
struct submit_job {
	struct program_submit_checked *checked;
	struct program_submission sub;
	struct program_error e;
};

static int submit_fn(struct store *s, void *arg)
{
	struct submit_job *j = arg;

	return program_submit_record(s, j->checked, &j->sub, &j->e);
}

void api_submit(struct req *r)
{
	struct submit_job j = { 0 };
	struct program_submission sub;
	json_t *reasons;
	int rc;

	rc = program_submit_check(r->store, r->auth.vendor_id, r->body.data ? r->body.data : "", r->body.len, &j.checked,
				  &j.e);
	if (rc == 0)
		rc = server_write(r, submit_fn, &j);
	j.checked = program_submit_checked_free(j.checked);
	if (rc < 0) {
		if (rc != SERVER_WRITE_LOST)
			reply_program_error(r, &j.e);
		program_error_release(&j.e);
		program_submission_release(&j.sub);
		return;
	}
	sub = j.sub;
	server_count_submission(r->srv, sub.accepted);
	reasons = json_array();
	for (size_t i = 0; i < sub.reasons.n; i++)
		json_array_append_new(reasons, json_string(sub.reasons.v[i]));
	r->location = cv_xasprintf("/api/v1/submissions/%s", sub.id);
	reply_json(r, 201, json_pack("{s:s, s:s, s:o, s:o, s:b}", "id", sub.id, "status",
				     sub.accepted ? "accepted" : "rejected", "reasons", reasons, "configuration",
				     sub.config_id ? json_string(sub.config_id) : json_null(), "created", sub.created));
	program_submission_release(&sub);
}

static json_t *submission_json(const struct store_submission_row *row, bool with_log)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:s}", "id", row->id, "vendor", row->vendor_id, "key_id",
			      row->key_id ? json_string(row->key_id) : json_null(), "status", row->status, "reasons",
			      json_loads(row->reasons, 0, NULL), "configuration",
			      row->config_id ? json_string(row->config_id) : json_null(), "received_at", row->received_at);

	if (with_log && row->log)
		json_object_set_new(o, "log", json_loads(row->log, 0, NULL));
	return o;
}

static int list_row(void *userdata, const struct store_submission_row *row)
{
	json_array_append_new(userdata, submission_json(row, false));
	return 0;
}

void api_submissions(struct req *r)
{
	int64_t limit, offset;
	json_t *items;

	if (!req_paging(r, &limit, &offset))
		return;
	items = json_array();
	/* The owner sees everyone's; a vendor its own. */
	if (store_submission_list(r->store, r->auth.admin ? req_arg(r, "vendor") : r->auth.vendor_id, NULL, false, limit,
				  offset, list_row, items) < 0) {
		json_decref(items);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	reply_json(r, 200, json_pack("{s:I, s:I, s:o}", "limit", (json_int_t)limit, "offset", (json_int_t)offset, "items",
				     items));
}

void api_submission(struct req *r)
{
	struct store_submission_row *row = NULL;
	int rc = store_submission_get(r->store, r->params[0], &row);

	if (rc == 0 && !r->auth.admin && !cv_streq(row->vendor_id, r->auth.vendor_id))
		rc = -ENOENT; /* another vendor's: not found, never its data */
	if (rc == -ENOENT)
		reply_error(r, 404, "not_found", "no such submission");
	else if (rc < 0)
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
	else
		reply_json(r, 200, submission_json(row, true));
	store_submission_free(row);
}

/* For writes that take up to three strings and return at most two. */
struct admin_job {
	int (*call)(struct store *s, struct admin_job *j);
	const char *a, *b, *c;
	char *out1, *out2;
	struct program_error e;
};

static int admin_fn(struct store *s, void *arg)
{
	struct admin_job *j = arg;

	return j->call(s, j);
}

/* Runs j's call through the writer: 0, or < 0 with the answer made. */
static int admin_write(struct req *r, struct admin_job *j)
{
	int rc = server_write(r, admin_fn, j);

	if (rc < 0 && rc != SERVER_WRITE_LOST)
		reply_program_error(r, &j->e);
	program_error_release(&j->e);
	return rc;
}

static int revoke_call(struct store *s, struct admin_job *j)
{
	return program_revoke(s, j->a, j->b, j->c, &j->e);
}

void api_revoke(struct req *r)
{
	static const char *const keys[] = { "reason" };
	json_t *body = r->body.len ? req_body_object(r, keys, CV_ELEMENTSOF(keys)) : json_object();
	struct admin_job j = { .call = revoke_call, .a = r->params[0], .b = r->auth.admin ? NULL : r->auth.vendor_id };

	if (!body)
		return;
	j.c = json_string_value(json_object_get(body, "reason"));
	if (json_object_get(body, "reason") && !j.c) {
		json_decref(body);
		reply_error(r, 400, "invalid_field", "reason: expected a string");
		return;
	}
	if (admin_write(r, &j) == 0)
		reply_json(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "revoked"));
	json_decref(body);
}

/* ---- the owner's administration ---- */

static int vendor_admit_call(struct store *s, struct admin_job *j)
{
	return program_vendor_admit(s, j->a, j->b, &j->out1, &j->e);
}

void api_admin_vendor_add(struct req *r)
{
	static const char *const keys[] = { "name", "id" };
	json_t *body = req_body_object(r, keys, CV_ELEMENTSOF(keys));
	struct admin_job j = { .call = vendor_admit_call };

	if (!body)
		return;
	if (!json_is_string(json_object_get(body, "name")) ||
	    (json_object_get(body, "id") && !json_is_string(json_object_get(body, "id")))) {
		json_decref(body);
		reply_error(r, 400, "invalid_field", "name (required) and id are strings");
		return;
	}
	j.a = json_string_value(json_object_get(body, "name"));
	j.b = json_string_value(json_object_get(body, "id"));
	if (admin_write(r, &j) == 0) {
		r->location = cv_xasprintf("/api/v1/vendors/%s", j.out1);
		reply_json(r, 201, json_pack("{s:s, s:O}", "id", j.out1, "name", json_object_get(body, "name")));
	}
	free(j.out1);
	json_decref(body);
}

static int key_register_call(struct store *s, struct admin_job *j)
{
	return program_key_register(s, j->a, j->b, &j->out1, &j->e);
}

void api_admin_key_add(struct req *r)
{
	static const char *const keys[] = { "public_key" };
	json_t *body = req_body_object(r, keys, CV_ELEMENTSOF(keys));
	struct admin_job j = { .call = key_register_call, .a = r->params[0] };

	if (!body)
		return;
	j.b = json_string_value(json_object_get(body, "public_key"));
	if (admin_write(r, &j) == 0)
		reply_json(r, 201, json_pack("{s:s, s:s}", "key_id", j.out1, "vendor", r->params[0]));
	free(j.out1);
	json_decref(body);
}

static int key_revoke_call(struct store *s, struct admin_job *j)
{
	return program_key_revoke(s, j->a, &j->e);
}

void api_admin_key_revoke(struct req *r)
{
	struct admin_job j = { .call = key_revoke_call, .a = r->params[0] };

	if (admin_write(r, &j) == 0)
		reply_json(r, 200, json_pack("{s:s, s:s}", "key_id", r->params[0], "status", "revoked"));
}

static json_t *str_or_null(const char *v)
{
	return v ? json_string(v) : json_null();
}

struct token_list {
	json_t *items;
	char now[21];
};

static int token_row(void *userdata, const struct store_token_row *t)
{
	struct token_list *l = userdata;

	json_array_append_new(l->items,
			      json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:b}", "id", t->id, "role",
					program_role_name(t->role), "vendor", str_or_null(t->vendor_id), "customer",
					str_or_null(t->customer_id), "name", str_or_null(t->name), "description",
					str_or_null(t->description), "created_at", t->created_at, "revoked_at",
					str_or_null(t->revoked_at), "expires_at", str_or_null(t->expires_at),
					"last_used_at", str_or_null(t->last_used_at), "expired",
					t->expires_at && strcmp(l->now, t->expires_at) >= 0));
	return 0;
}

/* ?order=created (the default: oldest first) or last_used (most recently
 * used first, never used last).  last_used_at is recorded at most once a
 * minute per token (dispatch.c), so it is exact to a minute. */
void api_admin_tokens(struct req *r)
{
	const char *order = req_arg(r, "order");
	struct token_list l = { .items = json_array() };
	enum store_token_order o = STORE_TOKENS_BY_CREATION;

	if (order && strcmp(order, "last_used") == 0)
		o = STORE_TOKENS_BY_LAST_USE;
	else if (order && strcmp(order, "created") != 0) {
		json_decref(l.items);
		reply_error(r, 400, "invalid_parameter", "order: created or last_used");
		return;
	}
	cv_time_iso8601((int64_t)time(NULL), l.now, sizeof(l.now));
	if (store_token_list(r->store, o, token_row, &l) < 0) {
		json_decref(l.items);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	reply_json(r, 200, json_pack("{s:o}", "items", l.items));
}

static int token_issue_call(struct store *s, struct admin_job *j)
{
	return program_token_issue_until(s, j->a, j->b, j->c, &j->out1, &j->out2, &j->e);
}

/*
 * A body's "expires" (null or absent: never) into until, by this server's
 * clock; false if answered (400).  A duration counts from now, here: the
 * client's clock does not matter.
 */
bool api_token_expiry(struct req *r, const json_t *body, char until[static 21], bool *ret_set)
{
	const json_t *v = json_object_get(body, "expires");
	struct program_error e = { 0 };

	*ret_set = false;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v)) {
		reply_error(r, 400, "invalid_field", "expires: a string (YYYY-MM-DDTHH:MM:SSZ or a duration such as 90d)");
		return false;
	}
	if (program_token_expiry(json_string_value(v), (int64_t)time(NULL), until, &e) < 0) {
		reply_program_error(r, &e);
		return false;
	}
	*ret_set = true;
	return true;
}

void api_admin_token_add(struct req *r)
{
	static const char *const keys[] = { "vendor", "description", "expires" };
	json_t *body = req_body_object(r, keys, CV_ELEMENTSOF(keys));
	struct admin_job j = { .call = token_issue_call };
	const char *vendor;
	char until[21];
	bool expires;

	if (!body)
		return;
	vendor = json_string_value(json_object_get(body, "vendor"));
	if ((json_object_get(body, "vendor") && !json_is_null(json_object_get(body, "vendor")) && !vendor) ||
	    (json_object_get(body, "description") && !json_is_string(json_object_get(body, "description")))) {
		json_decref(body);
		reply_error(r, 400, "invalid_field", "vendor (a vendor id, or null for an owner token) and description are strings");
		return;
	}
	if (!api_token_expiry(r, body, until, &expires)) {
		json_decref(body);
		return;
	}
	j.a = vendor;
	j.b = json_string_value(json_object_get(body, "description"));
	j.c = expires ? until : NULL;
	if (admin_write(r, &j) == 0)
		/* The only time the token is seen. */
		reply_json(r, 201, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", j.out2, "token", j.out1, "role",
					     vendor ? "vendor" : "admin", "vendor", vendor ? json_string(vendor) : json_null(),
					     "expires_at", expires ? json_string(until) : json_null()));
	free(j.out1);
	free(j.out2);
	json_decref(body);
}

static int token_revoke_call(struct store *s, struct admin_job *j)
{
	return program_token_revoke(s, j->a, &j->e);
}

void api_admin_token_revoke(struct req *r)
{
	struct admin_job j = { .call = token_revoke_call, .a = r->params[0] };

	if (admin_write(r, &j) == 0)
		reply_json(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "revoked"));
}

void api_admin_policy_get(struct req *r)
{
	char *doc = NULL;
	int rc = store_policy_get(r->store, &doc);

	if (rc == -ENOENT)
		reply_bytes(r, 200, "application/json", program_policy_default(), strlen(program_policy_default()));
	else if (rc < 0)
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
	else
		reply_bytes(r, 200, "application/json", doc, strlen(doc));
	free(doc);
}

static int policy_set_call(struct store *s, struct admin_job *j)
{
	return program_policy_set(s, j->a, &j->e);
}

void api_admin_policy_put(struct req *r)
{
	char *text = cv_xstrndup(r->body.data ? r->body.data : "", r->body.len);
	struct admin_job j = { .call = policy_set_call, .a = text };

	if (admin_write(r, &j) == 0)
		reply_json(r, 200, json_pack("{s:s}", "status", "set"));
	free(text);
}
