/*
 * api-support.c - cooperative support over HTTP: cases, their notes,
 * states and collaboration requests; customers, users, agreements and the
 * support policy for the owner.  The rules (who may, who sees what) are
 * all in src/support; these only carry requests and answers.
 */
#include <jansson.h>

#include "covalid/store.h"
#include "covalid/support.h"
#include "server/server-internal.h"
#include "util/cv.h"

/*
 * Writes go through server_write() (writer.c): a support call on the
 * writer's store, with what it needs and what it produces in a job.
 */
struct support_job {
	int (*call)(struct store *s, struct support_job *j);
	const struct program_auth *who;
	const char *id, *collaboration, *name, *role, *org, *text;
	const char *expires_at; /* a new user's token's, or NULL: never */
	const json_t *body;
	const struct check_index *ix;
	enum support_case_action action;
	const int64_t *version;
	json_t *view;
	char *out1, *out2;
	struct program_error e;
};

static int support_fn(struct store *s, void *arg)
{
	struct support_job *j = arg;

	return j->call(s, j);
}

/* Runs j's call through the writer: 0, or < 0 with the answer made. */
static int support_write(struct req *r, struct support_job *j)
{
	int rc = server_write(r, support_fn, j);

	if (rc < 0) {
		if (rc != SERVER_WRITE_LOST)
			reply_program_error(r, &j->e);
		json_decref(j->view);
		j->view = NULL;
	}
	program_error_release(&j->e);
	return rc;
}

/*
 * The body, and the case's version the change expects in *ret_version:
 * an If-Match: "N" header's, else the body's "version", else none
 * (*ret_has_version false).  RFC 9110 §13.1.1: "*" matches any current
 * representation, so it asks for no particular version (a missing case is
 * a 404 anyway); a weak tag never matches in the strong comparison
 * If-Match uses: 412.
 */
static json_t *body_with_version(struct req *r, bool *ret_has_version, int64_t *ret_version)
{
	const char *im = req_header(r, "If-Match");
	json_t *b = r->body.len ? req_body_object(r, NULL, 0) : json_object();
	uint64_t v;

	if (!b)
		return NULL;
	while (im && (*im == ' ' || *im == '\t'))
		im++;
	if (im && strcmp(im, "*") == 0)
		im = NULL;
	if (im && strncmp(im, "W/", 2) == 0) {
		json_decref(b);
		reply_error(r, 412, "precondition_failed", "If-Match: a weak entity-tag never matches (RFC 9110 §13.1.1)");
		return NULL;
	}
	if (im) {
		char digits[32];
		size_t n = strlen(im);

		if (n >= 2 && im[0] == '"' && im[n - 1] == '"' && n - 2 < sizeof(digits)) {
			memcpy(digits, im + 1, n - 2);
			digits[n - 2] = '\0';
		} else
			snprintf(digits, sizeof(digits), "%s", n < sizeof(digits) ? im : "x");
		if (cv_parse_u64(digits, 10, &v) < 0 || v > INT64_MAX) {
			json_decref(b);
			reply_error(r, 400, "invalid_parameter", "If-Match: the case's version, \"N\"");
			return NULL;
		}
		*ret_has_version = true;
		*ret_version = (int64_t)v;
		return b;
	}
	if (json_object_get(b, "version") && !json_is_integer(json_object_get(b, "version"))) {
		json_decref(b);
		reply_error(r, 400, "invalid_field", "version: the case's version you read");
		return NULL;
	}
	*ret_has_version = json_object_get(b, "version") != NULL;
	*ret_version = json_integer_value(json_object_get(b, "version"));
	return b;
}

/* The page of notes after those of a case's view, if there are more. */
static json_t *notes_next(const char *id, int64_t limit, int64_t offset, int64_t total)
{
	if (offset + limit >= total)
		return json_null();
	return json_sprintf("/api/v1/cases/%s/notes?limit=%lld&offset=%lld", id, (long long)limit,
			    (long long)(offset + limit));
}

static void reply_case(struct req *r, unsigned status, json_t *view)
{
	char etag[32];

	if (json_is_integer(json_object_get(view, "notes_total")))
		json_object_set_new(view, "notes_next",
				    notes_next(json_string_value(json_object_get(view, "id")), SUPPORT_NOTES_PAGE, 0,
					       json_integer_value(json_object_get(view, "notes_total"))));

	/* A customer's view has no version (docs/support.md, "What the
	 * customer does not see"): nor then an entity-tag. */
	if (json_is_integer(json_object_get(view, "version"))) {
		snprintf(etag, sizeof(etag), "\"%lld\"", (long long)json_integer_value(json_object_get(view, "version")));
		r->etag = cv_xstrdup(etag);
	}
	reply_json(r, status, view);
}

/* A flag parameter: absent, 0 or 1; anything else is a 400 naming it. */
static bool flag_arg(struct req *r, const char *name, bool *ret)
{
	const char *v = req_arg(r, name);

	if (v && !cv_streq(v, "0") && !cv_streq(v, "1")) {
		reply_error(r, 400, "invalid_parameter", "%s: 0 or 1", name);
		return false;
	}
	*ret = cv_streq(v, "1");
	return true;
}

/* "open", a state, or several of them comma-separated (open,resolved). */
static bool states_ok(const char *list)
{
	char word[32];

	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof(word))
			return false;
		memcpy(word, p, n);
		word[n] = '\0';
		if (!cv_streq(word, "open") && !cv_word_in(SUPPORT_CASE_STATES, word))
			return false;
		p += n;
		if (!*p)
			return true;
	}
}

void api_cases(struct req *r)
{
	struct program_error e = { 0 };
	struct support_case_query q = { .state = req_arg(r, "state"), .q = req_arg(r, "q") };
	const char *sort = req_arg(r, "sort");
	json_t *items = NULL, *answer;
	int64_t total;

	if (!req_paging(r, &q.limit, &q.offset))
		return;
	if (q.state && !states_ok(q.state)) {
		reply_error(r, 400, "invalid_parameter",
			    "state: open, new, in-progress, waiting-on-customer, engaged, resolved or closed, "
			    "or several, comma-separated");
		return;
	}
	if (sort && !cv_streq(sort, "sla") && !cv_streq(sort, "updated")) {
		reply_error(r, 400, "invalid_parameter", "sort: updated (the last change first) or sla (the SLA clock due first)");
		return;
	}
	q.by_sla = cv_streq(sort, "sla");
	if (q.q && !*q.q) /* an empty search box searches for nothing */
		q.q = NULL;
	if (q.q && strlen(q.q) > SUPPORT_QUERY_MAX) {
		reply_error(r, 400, "invalid_parameter", "q: at most %d bytes of the id, title or description", SUPPORT_QUERY_MAX);
		return;
	}
	if (!flag_arg(r, "mine", &q.mine))
		return;
	if (support_case_list(r->store, &r->auth, &q, &items, &total, &e) < 0) {
		reply_program_error(r, &e);
		return;
	}
	answer = json_pack("{s:I, s:I, s:o}", "limit", (json_int_t)q.limit, "offset", (json_int_t)q.offset, "items", items);
	if (total >= 0)
		json_object_set_new(answer, "total", json_integer(total));
	reply_json(r, 200, answer);
}

static int case_open_call(struct store *s, struct support_job *j)
{
	return support_case_open(s, j->who, j->body, j->ix, &j->view, &j->e);
}

void api_case_open(struct req *r)
{
	struct support_job j = { .call = case_open_call, .who = &r->auth };
	struct snapshot *snap;
	json_t *body = req_body_object(r, NULL, 0);

	if (!body)
		return;
	/* As POST /check: the host's version may come as ?host_version= too;
	 * the body's wins. */
	if (req_arg(r, "host_version") && !json_object_get(body, "host_version"))
		json_object_set_new(body, "host_version", json_string(req_arg(r, "host_version")));
	snap = snapshot_get(r);
	if (!snap) {
		json_decref(body);
		return;
	}
	j.body = body;
	j.ix = snap->ix;
	if (support_write(r, &j) == 0) {
		r->location = cv_xasprintf("/api/v1/cases/%s", json_string_value(json_object_get(j.view, "id")));
		reply_case(r, 201, j.view);
	}
	snapshot_put(r->srv, snap);
	json_decref(body);
}

void api_case(struct req *r)
{
	struct program_error e = { 0 };
	json_t *view = NULL;

	if (support_case_get(r->store, &r->auth, r->params[0], &view, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_case(r, 200, view);
}

void api_case_notes(struct req *r)
{
	struct program_error e = { 0 };
	int64_t limit, offset;
	json_t *page = NULL;

	if (!req_paging(r, &limit, &offset))
		return;
	if (support_case_notes(r->store, &r->auth, r->params[0], limit, offset, &page, &e) < 0) {
		reply_program_error(r, &e);
		return;
	}
	json_object_set_new(page, "next", notes_next(r->params[0], limit, offset,
						     json_integer_value(json_object_get(page, "total"))));
	reply_case(r, 200, page);
}

static int act_call(struct store *s, struct support_job *j)
{
	return support_case_act(s, j->who, j->id, j->action, j->version, j->collaboration, j->body, &j->view, &j->e);
}

static void act(struct req *r, enum support_case_action action)
{
	bool has_version = false;
	int64_t version = 0;
	json_t *body = body_with_version(r, &has_version, &version);
	/* .../collaborations/{cid}: the URL names it, whatever the body says. */
	struct support_job j = { .call = act_call, .who = &r->auth, .id = r->params[0], .action = action,
				 .collaboration = r->n_params > 1 ? r->params[1] : NULL, .body = body };

	if (!body)
		return;
	j.version = has_version ? &version : NULL;
	if (support_write(r, &j) == 0)
		reply_case(r, 200, j.view);
	json_decref(body);
}

void api_case_note(struct req *r)
{
	act(r, SUPPORT_ACT_NOTE);
}

void api_case_state(struct req *r)
{
	act(r, SUPPORT_ACT_STATE);
}

void api_case_engage(struct req *r)
{
	act(r, SUPPORT_ACT_ENGAGE);
}

void api_case_respond(struct req *r)
{
	act(r, SUPPORT_ACT_RESPOND);
}

/* Who this token speaks for: what a client needs to offer the right actions. */
void api_me(struct req *r)
{
	json_t *me = json_pack("{s:s, s:s, s:o, s:o, s:o}", "token", r->auth.token_id, "role",
			       program_role_name(r->auth.role), "name",
			       r->auth.name ? json_string(r->auth.name) : json_null(), "vendor",
			       r->auth.vendor_id ? json_string(r->auth.vendor_id) : json_null(), "customer",
			       r->auth.customer_id ? json_string(r->auth.customer_id) : json_null());

	reply_json(r, 200, me);
}

/* ---- agreements: the owner's, a customer's own, a vendor's ---- */

static int agreement_row(void *userdata, const char *id, const char *doc)
{
	json_t *j = json_loads(doc, 0, NULL);

	(void)id;
	if (j)
		json_array_append_new(userdata, j);
	return 0;
}

void api_agreements(struct req *r)
{
	json_t *items = json_array();
	const char *customer = r->auth.admin ? req_arg(r, "customer") : r->auth.customer_id;
	const char *vendor = r->auth.admin ? req_arg(r, "vendor") : r->auth.vendor_id;

	if (store_agreement_list(r->store, customer, vendor, agreement_row, items) < 0) {
		json_decref(items);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static int agreement_add_call(struct store *s, struct support_job *j)
{
	return support_agreement_add(s, j->body, &j->out1, &j->e);
}

void api_admin_agreement_add(struct req *r)
{
	json_t *body = req_body_object(r, NULL, 0);
	struct support_job j = { .call = agreement_add_call, .body = body };

	if (!body)
		return;
	if (support_write(r, &j) == 0) {
		r->location = cv_xasprintf("/api/v1/agreements?customer=%s",
					   json_string_value(json_object_get(body, "customer")));
		reply_json(r, 201, json_pack("{s:s}", "id", j.out1));
	}
	free(j.out1);
	json_decref(body);
}

/* ---- customers and users ---- */

static int customer_add_call(struct store *s, struct support_job *j)
{
	return support_customer_add(s, j->name, j->id, &j->out1, &j->e);
}

void api_admin_customer_add(struct req *r)
{
	static const char *const keys[] = { "name", "id" };
	json_t *body = req_body_object(r, keys, CV_ELEMENTSOF(keys));
	struct support_job j = { .call = customer_add_call };

	if (!body)
		return;
	j.name = json_string_value(json_object_get(body, "name"));
	j.id = json_string_value(json_object_get(body, "id"));
	if (!j.name || (json_object_get(body, "id") && !j.id))
		reply_error(r, 400, "invalid_field", "name (required) and id are strings");
	else if (support_write(r, &j) == 0)
		reply_json(r, 201, json_pack("{s:s, s:O}", "id", j.out1, "name", json_object_get(body, "name")));
	free(j.out1);
	json_decref(body);
}

static int customer_row(void *userdata, const char *id, const char *name, const char *created_at)
{
	json_array_append_new(userdata, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "created_at", created_at));
	return 0;
}

void api_admin_customers(struct req *r)
{
	json_t *items = json_array();

	if (store_customer_list(r->store, customer_row, items) < 0) {
		json_decref(items);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static int user_add_call(struct store *s, struct support_job *j)
{
	return program_user_add_until(s, j->name, j->role, j->org, j->expires_at, &j->out1, &j->out2, &j->e);
}

void api_admin_user_add(struct req *r)
{
	static const char *const keys[] = { "name", "role", "vendor", "customer", "expires" };
	json_t *body = req_body_object(r, keys, CV_ELEMENTSOF(keys));
	struct support_job j = { .call = user_add_call };
	const char *vendor, *customer;
	char until[21];
	bool expires;

	if (!body)
		return;
	if (!api_token_expiry(r, body, until, &expires)) {
		json_decref(body);
		return;
	}
	j.expires_at = expires ? until : NULL;
	vendor = json_string_value(json_object_get(body, "vendor"));
	customer = json_string_value(json_object_get(body, "customer"));
	j.name = json_string_value(json_object_get(body, "name"));
	j.role = json_string_value(json_object_get(body, "role"));
	j.org = vendor ? vendor : customer;
	if (!j.name || !j.role || (vendor && customer))
		reply_error(r, 400, "invalid_field", "name and role are required; vendor or customer, not both");
	else if (support_write(r, &j) == 0)
		reply_json(r, 201, json_pack("{s:s, s:s, s:s, s:o}", "id", j.out2, "token", j.out1, "note",
					     "the token is shown once: keep it", "expires_at",
					     expires ? json_string(until) : json_null()));
	if (j.out1)
		memset(j.out1, 0, strlen(j.out1));
	free(j.out1);
	free(j.out2);
	json_decref(body);
}

/* ---- the support policy ---- */

void api_admin_support_policy_get(struct req *r)
{
	struct program_error e = { 0 };
	struct support_policy *p = NULL;

	if (support_policy_load(r->store, &p, &e) < 0) {
		reply_program_error(r, &e);
		return;
	}
	reply_json(r, 200, json_incref(support_policy_document(p)));
	support_policy_free(p);
}

static int support_policy_call(struct store *s, struct support_job *j)
{
	return support_policy_store(s, j->text, &j->e);
}

void api_admin_support_policy_put(struct req *r)
{
	char *text = cv_xstrndup(r->body.data ? r->body.data : "", r->body.len);
	struct support_job j = { .call = support_policy_call, .text = text };

	if (support_write(r, &j) == 0)
		reply_json(r, 200, json_pack("{s:s}", "status", "set"));
	free(text);
}
