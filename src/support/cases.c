/*
 * cases.c - opening a case and every change to it (docs/support.md).
 *
 * A case is one JSON document with a version.  Every change reads it in a
 * write transaction, checks the actor's right against the state machine,
 * changes it, appends an audit event, and writes it back with the version
 * moved on: two writers can never both win with what they read (the
 * second finds a new version: 409 if it said which version it meant,
 * otherwise it simply applies on top, as notes should).
 */
#include <jansson.h>
#include <sodium.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "support/support-internal.h"
#include "util/cv.h"

#define TITLE_MAX 200
#define TEXT_MAX (64 * 1024)

static json_t *now_iso(int64_t now)
{
	char b[32];

	cv_time_iso8601(now, b, sizeof(b));
	return json_string(b);
}

static char *new_id(const char *prefix, int64_t now)
{
	uint8_t raw[6];
	char hex[13], day[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	cv_time_iso8601(now, day, sizeof(day));
	return cv_xasprintf("%s_%.4s%.2s%.2s_%s", prefix, day, day + 5, day + 8, hex);
}

/* An audit event: who, when, what; visible as "public", "shared" or "internal" (to the actor's organisation). */
static void audit(json_t *c, const struct program_auth *who, int64_t now, const char *action, const char *visibility,
		  json_t *detail)
{
	json_t *events = json_object_get(c, "events");

	if (!json_is_array(events)) {
		events = json_array();
		json_object_set_new(c, "events", events);
	}
	json_array_append_new(events, json_pack("{s:I, s:o, s:o, s:s, s:s, s:o}", "seq", (json_int_t)json_array_size(events) + 1,
						"at", now_iso(now), "author", support_actor_json(who), "action", action,
						"visibility", visibility, "detail", detail ? detail : json_object()));
}

static int collect_doc(void *userdata, const char *id, const char *doc)
{
	json_t *j = json_loads(doc, 0, NULL);

	(void)id;
	if (j)
		json_array_append_new(userdata, j);
	return 0;
}

static int agreements_of(struct store *s, const char *customer, json_t **ret)
{
	json_t *a = json_array();
	int r = store_agreement_list(s, customer, NULL, collect_doc, a);

	if (r < 0) {
		json_decref(a);
		return r;
	}
	*ret = a;
	return 0;
}

struct vendor_list {
	json_t *ids, *names;
};

static int vendor_cb(void *userdata, const char *id, const char *name, const char *created_at)
{
	struct vendor_list *v = userdata;

	(void)created_at;
	json_array_append_new(v->ids, json_string(id));
	json_object_set_new(v->names, id, json_string(name));
	return 0;
}

/*
 * What the catalog says of the machine, and what it means for support;
 * *ret_matches: the configurations it matches, as the check names them
 * (entitlement reads the releases of guest and host there).
 */
static json_t *configuration(const struct check_index *ix, const struct descriptor *d, const char *vendor_name,
			     json_t **ret_matches)
{
	struct check_result *res = NULL;
	json_t *out, *ids, *matches, *nearest;
	bool validated;

	if (check_explain(ix, d, 3, &res) < 0) {
		*ret_matches = json_array();
		return json_pack("{s:s, s:s, s:b, s:s}", "verdict", "unknown", "reason", "the check failed", "cooperative", 0,
				 "statement", "The configuration could not be checked.");
	}
	ids = json_array();
	matches = json_array();
	nearest = json_array();
	for (size_t i = 0; i < res->n_matches; i++) {
		json_array_append_new(ids, json_string(res->matches[i].config->id));
		json_array_append_new(matches, check_candidate_to_json(&res->matches[i], false));
	}
	for (size_t i = 0; i < res->n_nearest; i++)
		json_array_append_new(nearest, check_candidate_to_json(&res->nearest[i], true));
	validated = res->verdict == CHECK_VALIDATED;
	out = json_pack("{s:s, s:s, s:s, s:o, s:b}", "verdict", check_verdict_name(res->verdict), "reason",
			check_reason_name(res->reason), "summary", res->summary, "matches", ids, "cooperative", validated);
	if (validated)
		json_object_set_new(out, "statement",
				    json_string("A validated configuration: the vendors of the program give cooperative "
						"support, and the other vendor can be engaged on this case."));
	else
		json_object_set_new(out, "statement",
				    json_sprintf("Not a validated configuration (%s): %s supports this case alone; "
						 "cooperative support with another vendor is not offered.",
						 res->summary, vendor_name));
	json_object_set_new(out, "nearest", nearest);
	*ret_matches = matches;
	check_result_free(res);
	return out;
}

static bool text_ok(json_t *v, size_t max)
{
	return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= max;
}

/*
 * The host's version as the customer states it when opening a case (a
 * guest cannot see a product release such as Red Hat Enterprise Linux
 * KVM 5.4): a version, as `covalid check --host-version` takes it.
 */
static bool host_version_ok(json_t *v)
{
	/* A NUL inside the string would hide what follows it. */
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
	       check_host_version_valid(json_string_value(v));
}

/* The descriptor as the case records it: with the stated host version, as the check read it. */
static json_t *stated_descriptor(json_t *descriptor, const char *host_version)
{
	json_t *d = json_deep_copy(descriptor), *hv;

	json_object_del(d, "host_version"); /* not a field of the descriptor: recorded as the case's */
	if (!host_version)
		return d;
	hv = json_object_get(d, "hypervisor");
	if (!json_is_object(hv)) {
		hv = json_object();
		json_object_set_new(d, "hypervisor", hv);
	}
	json_object_set_new(hv, "version", json_string(host_version));
	json_object_set_new(hv, "version_source", json_string("stated"));
	return d;
}

/* The customer's own machine named by "machine" (any other: 404, as if
 * it did not exist) and, if ret_descriptor, its stored descriptor. */
static int machine_descriptor(struct store *s, const struct program_auth *who, json_t *mj, json_t **ret_descriptor,
			      struct program_error *err)
{
	struct store_machine_row *m = NULL;
	int r;

	if (!json_is_string(mj)) {
		program_error_set(err, 400, "invalid_field", "machine: one of your machines' ids (m-...)");
		return -EINVAL;
	}
	r = store_machine_get(s, json_string_value(mj), &m);
	if (r == 0 && strcmp(m->customer_id, who->customer_id) != 0)
		r = -ENOENT;
	if (r == -ENOENT)
		program_error_set(err, 404, "unknown_machine", "machine: no such machine");
	else if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	else if (ret_descriptor) {
		*ret_descriptor = m->descriptor ? json_loads(m->descriptor, 0, NULL) : NULL;
		if (!*ret_descriptor) {
			program_error_set(err, 422, "no_descriptor",
					  "machine: it has not reported its descriptor yet; give one with the case");
			r = -ENOENT;
		}
	}
	store_machine_free(m);
	return r;
}

int support_case_open(struct store *s, const struct program_auth *who, const json_t *body_, const struct check_index *ix,
		      json_t **ret_view, struct program_error *err)
{
	static const char *const keys[] = { "vendor", "severity", "title", "description", "descriptor", "host_version",
					    "per_call", "machine" };
	json_t *body = (json_t *)body_, *agreements = NULL, *ent = json_object(), *c = NULL, *mine, *conf = NULL;
	json_t *matches = NULL, *desc = NULL, *opened, *stored = NULL;
	json_t *hvj = json_object_get(body, "host_version"), *pcj = json_object_get(body, "per_call");
	json_t *dj = json_object_get(body, "descriptor"), *mj = json_object_get(body, "machine");
	struct support_claim claim = { 0 };
	struct vendor_list vl = { json_array(), json_object() };
	struct support_policy *p = NULL;
	struct descriptor *d = NULL;
	const char *vendor = json_string_value(json_object_get(body, "vendor"));
	char *why = NULL, *id = NULL, *text = NULL, *customer_name = NULL;
	int64_t now = support_now(), sev;
	size_t i;
	json_t *v;
	int r = -EINVAL;

	if (!who->customer_id) {
		program_error_set(err, 403, "forbidden", "a case is opened by the customer's administrator");
		r = -EPERM;
		goto out;
	}
	if (!program_check_keys(body, keys, CV_ELEMENTSOF(keys), NULL, err))
		goto out;
	/* A case opened with one of the customer's monitored machines: its
	 * stored descriptor unless one is given, and the machine recorded so
	 * that the vendors on the case may see it (docs/monitor.md). */
	if (mj) {
		r = machine_descriptor(s, who, mj, dj ? NULL : &stored, err);
		if (r < 0)
			goto out;
		r = -EINVAL;
		if (!dj)
			dj = stored;
	}
	sev = json_integer_value(json_object_get(body, "severity"));
	if (!vendor || !json_is_integer(json_object_get(body, "severity")) || sev < 1 || sev > 4 ||
	    !text_ok(json_object_get(body, "title"), TITLE_MAX) ||
	    !text_ok(json_object_get(body, "description"), TEXT_MAX) || !json_is_object(dj)) {
		program_error_set(err, 400, "invalid_field",
				  "vendor, severity (1 to 4), title (1 to %d characters), description and descriptor "
				  "(covalid probe --json) are required",
				  TITLE_MAX);
		goto out;
	}
	/* A body made for POST /check carries host_version beside the
	 * descriptor's fields: the same statement, taken the same way. */
	if (!hvj && json_is_object(dj))
		hvj = json_object_get(dj, "host_version");
	if (hvj && !host_version_ok(hvj)) {
		program_error_set(err, 400, "invalid_field", "host_version: not a version (e.g. 5.4)");
		goto out;
	}
	if (pcj && !json_is_boolean(pcj)) {
		program_error_set(err, 400, "invalid_field", "per_call: true or false (will you buy per-call support?)");
		goto out;
	}
	if (descriptor_from_jansson(dj, &d, &why) < 0) {
		program_error_set(err, 400, "invalid_descriptor", "descriptor: %s", why);
		goto out;
	}
	/* Stated before the check runs: a product-version configuration
	 * (Windows Server on Red Hat Enterprise Linux KVM 5.4) matches only so. */
	if (hvj)
		descriptor_state_host_version(d, json_string_value(hvj));
	desc = stated_descriptor(dj, json_string_value(hvj));
	r = support_policy_load(s, &p, err);
	if (r < 0)
		goto out;
	if ((r = store_vendor_list(s, vendor_cb, &vl)) < 0 || (r = agreements_of(s, who->customer_id, &agreements)) < 0 ||
	    (r = store_customer_get(s, who->customer_id, &customer_name)) < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	r = -EINVAL;
	if (!json_object_get(vl.names, vendor)) {
		program_error_set(err, 404, "unknown_vendor", "no vendor '%s' in the program", vendor);
		r = -ENOENT;
		goto out;
	}
	conf = configuration(ix, d, json_string_value(json_object_get(vl.names, vendor)), &matches);
	claim = (struct support_claim){ .agreements = agreements, .descriptor = desc, .matches = matches,
					.per_call = json_is_true(pcj), .now = now };
	json_array_foreach(vl.ids, i, v)
		json_object_set_new(ent, json_string_value(v), support_entitlement(p, json_string_value(v), &claim));
	mine = json_object_get(ent, vendor);
	if (!json_is_true(json_object_get(mine, "entitled"))) {
		json_t *reasons = json_object_get(mine, "reasons");
		struct cv_buf b;

		cv_buf_init(&b, 1800);
		json_array_foreach(reasons, i, v)
			(void)!cv_buf_printf(&b, "%s%s", i ? "; " : "", json_string_value(v));
		program_error_set(err, 422, "not_entitled", "not entitled to %s's support: %s", vendor,
				  b.len ? b.data : "no agreement");
		cv_buf_release(&b);
		if (err)
			err->reasons = json_incref(reasons);
		r = -EACCES;
		goto out;
	}
	id = new_id("case", now);
	c = json_pack("{s:s, s:s, s:s, s:s, s:I, s:O, s:O, s:O, s:O, s:b, s:O, s:o, s:O, s:s, s:o, s:o, s:n, s:n, s:n, "
		      "s:n, s:n, s:[], s:[], s:[]}",
		      "id", id, "customer", who->customer_id, "customer_name", customer_name, "vendor", vendor, "severity",
		      (json_int_t)sev, "title", json_object_get(body, "title"), "description",
		      json_object_get(body, "description"), "descriptor", desc, "host_version", hvj ? hvj : json_null(),
		      "per_call", json_is_true(pcj), "configuration", conf, "entitlement", ent, "level",
		      json_object_get(mine, "level"), "state", "new", "created_at", now_iso(now), "updated_at", now_iso(now),
		      "first_response_at", "last_vendor_update_at", "resolved_at", "resolution", "per_call_charge", "notes",
		      "collaborations", "events");
	ent = NULL;
	/* The charge: by a per-call agreement, or by the customer's word when opening. */
	if (json_is_true(json_object_get(mine, "charge")))
		json_object_set_new(c, "per_call_charge",
				    json_pack("{s:s, s:O, s:O}", "vendor", vendor, "agreement", json_object_get(mine, "agreement"),
					      "stated", json_object_get(mine, "per_call_stated")));
	opened = json_pack("{s:s, s:I, s:O}", "vendor", vendor, "severity", (json_int_t)sev, "verdict",
			   json_object_get(conf, "verdict"));
	if (hvj)
		json_object_set(opened, "host_version", hvj);
	if (pcj)
		json_object_set(opened, "per_call", pcj);
	audit(c, who, now, "opened", "public", opened);
	if (mj)
		json_object_set(c, "machine", mj);
	json_object_set_new(c, "version", json_integer(1));
	text = json_dumps(c, JSON_COMPACT);
	{
		struct store_case_row row = { .id = id, .customer_id = who->customer_id, .vendor_id = vendor,
					      .state = "new", .severity = sev, .doc = text,
					      .machine_id = json_string_value(mj) };

		/* The case and its case.opened event: one write. */
		r = store_begin(s);
		if (r < 0) {
			program_error_set(err, 503, "unavailable", "nothing was changed: %s", store_errmsg(s));
			goto out;
		}
		r = store_case_add(s, &row);
		if (r == 0)
			r = support_notify_opened(s, c, now);
		if (r == 0)
			r = store_commit(s);
		if (r < 0)
			store_rollback(s);
	}
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	*ret_view = support_view(c, REL_CUSTOMER, who, p, now, false);
out:
	descriptor_free(d);
	support_policy_free(p);
	json_decref(stored);
	json_decref(agreements);
	json_decref(ent);
	json_decref(conf);
	json_decref(matches);
	json_decref(desc);
	json_decref(vl.ids);
	json_decref(vl.names);
	json_decref(c);
	free(why);
	free(id);
	free(text);
	free(customer_name);
	return r;
}

/* Loads a case the actor relates to; 404 for one it may not know of. */
static int load(struct store *s, const struct program_auth *who, const char *id, struct store_case_row **ret_row,
		json_t **ret_doc, enum support_relation *ret_rel, struct program_error *err)
{
	struct store_case_row *row = NULL;
	json_t *c;
	int r = store_case_get(s, id, &row);

	if (r == -ENOENT) {
		program_error_set(err, 404, "not_found", "no such case");
		return r;
	}
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		return r;
	}
	c = json_loads(row->doc, 0, NULL);
	if (!c) {
		store_case_free(row);
		program_error_set(err, 500, "internal", "case %s is not JSON", id);
		return -EBADMSG;
	}
	json_object_set_new(c, "version", json_integer(row->version));
	*ret_rel = support_relation(who, c);
	if (*ret_rel == REL_NONE) {
		/* Not its case: it does not exist, as far as it can tell. */
		json_decref(c);
		store_case_free(row);
		program_error_set(err, 404, "not_found", "no such case");
		return -ENOENT;
	}
	*ret_row = row;
	*ret_doc = c;
	return 0;
}

int support_case_get(struct store *s, const struct program_auth *who, const char *id, json_t **ret_view,
		     struct program_error *err)
{
	struct store_case_row *row = NULL;
	struct support_policy *p = NULL;
	enum support_relation rel;
	json_t *c = NULL;
	int r;

	r = load(s, who, id, &row, &c, &rel, err);
	if (r < 0)
		return r;
	r = support_policy_load(s, &p, err);
	if (r == 0)
		*ret_view = support_view(c, rel, who, p, support_now(), false);
	support_policy_free(p);
	json_decref(c);
	store_case_free(row);
	return r;
}

int support_case_notes(struct store *s, const struct program_auth *who, const char *id, int64_t limit,
		       int64_t offset, json_t **ret_page, struct program_error *err)
{
	struct store_case_row *row = NULL;
	enum support_relation rel;
	json_t *c = NULL, *items;
	int64_t total;
	int r;

	r = load(s, who, id, &row, &c, &rel, err);
	if (r < 0)
		return r;
	items = support_notes(c, rel, who, offset, limit, &total); /* the owner: none */
	*ret_page = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "case", id, "version", (json_int_t)row->version, "total",
			      (json_int_t)total, "limit", (json_int_t)limit, "offset", (json_int_t)offset, "items", items);
	if (rel == REL_CUSTOMER) {
		json_object_del(*ret_page, "version");
		support_customer_numbers(*ret_page);
	}
	json_decref(c);
	store_case_free(row);
	return 0;
}

struct list_ctx {
	const struct program_auth *who;
	const struct support_policy *p;
	const struct support_case_query *q;
	bool judge; /* q asks for more than the store's filter: judge each case here */
	json_t *items;
	int64_t now;
};

/* Whether the case waits on the actor's organisation: a customer's to
 * answer or confirm a resolution, a vendor's to work (opened with it,
 * not waiting on the customer), or to answer its open request. */
static bool waits_on(json_t *c, enum support_relation rel)
{
	const char *state = json_string_value(json_object_get(c, "state"));

	switch (rel) {
	case REL_CUSTOMER:
		return cv_word_in("waiting-on-customer resolved", state);
	case REL_OPENED:
		return cv_word_in("new in-progress engaged", state);
	case REL_ENGAGED:
		return cv_word_in(SUPPORT_CASE_OPEN, state);
	default:
		return false;
	}
}

static bool has_text(json_t *c, const char *key, const char *q)
{
	const char *v = json_string_value(json_object_get(c, key));

	return v && strcasestr(v, q);
}

/* Whether state is one of list: "open" or states, comma-separated. */
static bool state_in(const char *list, const char *state)
{
	size_t n = state ? strlen(state) : 0;

	for (const char *p = list; n && *p; p += strcspn(p, ","), p += *p == ',') {
		size_t len = strcspn(p, ",");

		if ((len == n && strncmp(p, state, n) == 0) ||
		    (len == 4 && strncmp(p, "open", 4) == 0 && cv_word_in(SUPPORT_CASE_OPEN, state)))
			return true;
	}
	return false;
}

/* Whether case c (its whole document), as rel sees it, is one q asks for. */
static bool wanted(json_t *c, enum support_relation rel, const struct support_case_query *q)
{
	const char *state = json_string_value(json_object_get(c, "state"));

	if (q->state && !state_in(q->state, state))
		return false;
	if (q->mine && !waits_on(c, rel))
		return false;
	/* The description only for those who may read it: not the owner. */
	if (q->q && !has_text(c, "id", q->q) && !has_text(c, "title", q->q) &&
	    !(rel != REL_OWNER && has_text(c, "description", q->q)))
		return false;
	return true;
}

static int list_cb(void *userdata, const struct store_case_row *row)
{
	struct list_ctx *l = userdata;
	json_t *c = json_loads(row->doc, 0, NULL);
	enum support_relation rel;

	if (!c)
		return 0;
	json_object_set_new(c, "version", json_integer(row->version));
	rel = support_relation(l->who, c);
	/* The query narrowed it; this is the rule. */
	if (rel != REL_NONE && (!l->judge || wanted(c, rel, l->q)))
		json_array_append_new(l->items, support_view(c, rel, l->who, l->p, l->now, true));
	json_decref(c);
	return 0;
}

struct by_time {
	json_t *v;
	const char *t; /* sla.next.due (first first), or updated_at (last first); or NULL: after the others */
	size_t i;      /* the store's order, newest change first: the tie-break */
	bool desc;
};

static int by_time_cmp(const void *a_, const void *b_)
{
	const struct by_time *a = a_, *b = b_;
	int d;

	if (!a->t != !b->t)
		return a->t ? -1 : 1;
	/* ISO 8601 UTC times of one format sort as text. */
	d = a->t ? strcmp(a->t, b->t) : 0;
	if (a->desc)
		d = -d;
	return d ? d : (a->i > b->i) - (a->i < b->i);
}

/*
 * items sorted by their SLA clock due first (by_sla), or by their
 * updated_at, the last first: a customer's differs from the store's
 * (a vendor's internal note changes the case, not what the customer
 * sees of it), so its list is put in its own order.  A new array.
 */
static json_t *sorted(json_t *items, bool by_sla)
{
	size_t n = json_array_size(items), i;
	struct by_time *a = cv_xcalloc(n ? n : 1, sizeof(*a));
	json_t *out = json_array();

	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(items, i);

		a[i] = (struct by_time){ v,
					 json_string_value(by_sla ? json_object_get(json_object_get(json_object_get(v, "sla"), "next"), "due")
								  : json_object_get(v, "updated_at")),
					 i, !by_sla };
	}
	qsort(a, n, sizeof(*a), by_time_cmp);
	for (i = 0; i < n; i++)
		json_array_append(out, a[i].v);
	free(a);
	return out;
}

int support_case_list(struct store *s, const struct program_auth *who, const struct support_case_query *q,
		      json_t **ret_items, int64_t *ret_total, struct program_error *err)
{
	struct support_policy *p = NULL;
	bool one_state = q->state && !strchr(q->state, ',') && !cv_streq(q->state, "open");
	/* A customer's list is always judged here: its order is by the case
	 * as the customer sees it changed, not the store's updated_at. */
	struct list_ctx l = { who, NULL, q,
			      q->q || q->mine || q->by_sla || (q->state && !one_state) || who->customer_id != NULL,
			      json_array(), support_now() };
	const char *state = one_state ? q->state : NULL;
	int64_t total = -1;
	int r;

	r = support_policy_load(s, &p, err);
	if (r < 0) {
		json_decref(l.items);
		return r;
	}
	l.p = p;
	if (!who->admin && !who->customer_id && !who->vendor_id) {
		*ret_items = l.items;
		*ret_total = l.judge ? 0 : -1;
		support_policy_free(p);
		return 0;
	}
	r = store_case_list(s, who->admin ? NULL : who->customer_id, who->admin ? NULL : who->vendor_id, state,
			    l.judge ? 0 : q->limit, l.judge ? 0 : q->offset, list_cb, &l);
	support_policy_free(p);
	if (r < 0) {
		json_decref(l.items);
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		return r;
	}
	if (l.judge) {
		json_t *all = q->by_sla || who->customer_id ? sorted(l.items, q->by_sla) : json_incref(l.items), *page = json_array();

		total = (int64_t)json_array_size(all);
		for (int64_t i = q->offset; i < total && i - q->offset < q->limit; i++)
			json_array_append(page, json_array_get(all, (size_t)i));
		json_decref(all);
		json_decref(l.items);
		l.items = page;
	}
	*ret_items = l.items;
	*ret_total = total;
	return 0;
}

/* ---- changes ---- */

static bool is_vendor(const struct program_auth *who)
{
	return who->vendor_id != NULL;
}

static void set_state(json_t *c, const struct program_auth *who, int64_t now, const char *to, json_t *detail)
{
	const char *from = json_string_value(json_object_get(c, "state"));

	if (!detail)
		detail = json_object();
	json_object_set_new(detail, "from", json_string(from));
	json_object_set_new(detail, "to", json_string(to));
	audit(c, who, now, "state", "public", detail);
	json_object_set_new(c, "state", json_string(to));
}

/* A vendor's move on the case counts as a response to the customer. */
static void vendor_responded(json_t *c, int64_t now)
{
	if (json_is_null(json_object_get(c, "first_response_at")) || !json_object_get(c, "first_response_at"))
		json_object_set_new(c, "first_response_at", now_iso(now));
	json_object_set_new(c, "last_vendor_update_at", now_iso(now));
}

static int act_note(json_t *c, enum support_relation rel, const struct program_auth *who, json_t *body, int64_t now,
		    struct program_error *err)
{
	static const char *const keys[] = { "visibility", "body", "version" };
	const char *vis = json_string_value(json_object_get(body, "visibility"));
	json_t *notes = json_object_get(c, "notes"), *text = json_object_get(body, "body"), *n;
	size_t bytes = 0, i;
	char *id;

	if (!program_check_keys(body, keys, CV_ELEMENTSOF(keys), NULL, err))
		return -EINVAL;
	/* Said nothing of who may read it: the customer's notes are public
	 * (the only kind it writes), a vendor's internal, never public by
	 * accident (docs/support.md, "Notes"). */
	if (!vis)
		vis = rel == REL_CUSTOMER ? "public" : "internal";
	if (json_is_string(text) && json_string_length(text) > SUPPORT_NOTE_MAX) {
		program_error_set(err, 413, "note_too_large", "body: a note holds at most %d bytes, this one %zu",
				  SUPPORT_NOTE_MAX, json_string_length(text));
		return -E2BIG;
	}
	if (!(cv_streq(vis, "public") || cv_streq(vis, "shared") || cv_streq(vis, "internal")) ||
	    !text_ok(text, SUPPORT_NOTE_MAX)) {
		program_error_set(err, 400, "invalid_field", "visibility (public, shared, internal) and body are required");
		return -EINVAL;
	}
	if (rel == REL_OWNER || (rel == REL_CUSTOMER && !cv_streq(vis, "public")) ||
	    (rel == REL_ENGAGED && cv_streq(vis, "public"))) {
		program_error_set(err, 403, "forbidden", "%s",
				  rel == REL_OWNER ? "the program's owner takes no part in cases"
				  : rel == REL_CUSTOMER ? "a customer's notes are public"
							: "an engaged vendor speaks to the customer through the vendor "
							  "the case was opened with: use a shared note");
		return -EPERM;
	}
	/* Every party's notes count, whoever may see them: the bound is on
	 * what the case costs to read and write, which is all of them. */
	json_array_foreach(notes, i, n)
		bytes += json_string_length(json_object_get(n, "body"));
	if (json_array_size(notes) >= SUPPORT_CASE_NOTES_MAX) {
		program_error_set(err, 409, "case_full", "the case holds %d notes, as many as a case may: open a new case",
				  SUPPORT_CASE_NOTES_MAX);
		return -ENOSPC;
	}
	if (bytes + json_string_length(text) > SUPPORT_CASE_NOTE_BYTES_MAX) {
		/* Not how much there is: some of it may be others' internal notes. */
		program_error_set(err, 409, "case_full",
				  "with this note (%zu bytes) the case's notes would pass %d MiB, as much as a case may hold: "
				  "open a new case",
				  json_string_length(text), SUPPORT_CASE_NOTE_BYTES_MAX / (1024 * 1024));
		return -ENOSPC;
	}
	id = cv_xasprintf("note_%zu", json_array_size(notes) + 1);
	json_array_append_new(notes, json_pack("{s:s, s:o, s:o, s:s, s:O}", "id", id, "at", now_iso(now), "author",
					       support_actor_json(who), "visibility", vis, "body",
					       json_object_get(body, "body")));
	audit(c, who, now, "note", vis, json_pack("{s:s}", "note", id));
	free(id);
	if (rel == REL_OPENED && cv_streq(vis, "public"))
		vendor_responded(c, now);
	/* The customer's answer puts the case back in the vendor's hands. */
	if (rel == REL_CUSTOMER && cv_streq(json_string_value(json_object_get(c, "state")), "waiting-on-customer"))
		set_state(c, who, now, "in-progress", json_pack("{s:s}", "because", "the customer answered"));
	return 0;
}

static int act_state(json_t *c, enum support_relation rel, const struct program_auth *who, json_t *body, int64_t now,
		     const struct support_policy *p, struct program_error *err)
{
	static const char *const keys[] = { "to", "resolution", "version" };
	const char *to = json_string_value(json_object_get(body, "to"));
	const char *from = json_string_value(json_object_get(c, "state"));
	bool ok = false, manager = cv_streq(who->role, "vendor-manager");
	int64_t resolved;

	if (!program_check_keys(body, keys, CV_ELEMENTSOF(keys), NULL, err))
		return -EINVAL;
	if (!to) {
		program_error_set(err, 400, "invalid_field", "to: the state to move to");
		return -EINVAL;
	}
	if (cv_streq(to, "in-progress"))
		ok = (rel == REL_OPENED && cv_word_in("new waiting-on-customer engaged", from)) ||
		     (rel == REL_CUSTOMER && cv_streq(from, "waiting-on-customer"));
	else if (cv_streq(to, "waiting-on-customer"))
		ok = rel == REL_OPENED && cv_word_in("in-progress engaged", from);
	else if (cv_streq(to, "resolved")) {
		ok = (rel == REL_OPENED ||
		      (rel == REL_ENGAGED && support_collaboration(c, "vendor", who->vendor_id, COLLAB_TAKEN))) &&
		     cv_word_in(SUPPORT_CASE_OPEN, from);
		if (ok && !text_ok(json_object_get(body, "resolution"), TEXT_MAX)) {
			program_error_set(err, 400, "invalid_field", "resolution: say how it was resolved");
			return -EINVAL;
		}
	} else if (cv_streq(to, "closed"))
		ok = ((rel == REL_OPENED && manager) || rel == REL_CUSTOMER) && cv_streq(from, "resolved");
	else if (cv_streq(to, "reopened")) {
		ok = (rel == REL_CUSTOMER || rel == REL_OPENED) && cv_word_in("resolved closed", from);
		if (ok && (cv_time_parse(json_string_value(json_object_get(c, "resolved_at")), &resolved) < 0 ||
			   now - resolved > support_policy_seconds(p, "reopen", NULL, 0))) {
			program_error_set(err, 409, "reopen_window_passed", "a case reopens within %lld days of its resolution",
					  (long long)(support_policy_seconds(p, "reopen", NULL, 0) / 86400));
			return -EPERM;
		}
	} else {
		program_error_set(err, 400, "invalid_field",
				  "to: in-progress, waiting-on-customer, resolved, closed or reopened");
		return -EINVAL;
	}
	if (!ok) {
		/* Allowed for someone, just not this actor here and now. */
		program_error_set(err, rel == REL_OWNER || rel == REL_ENGAGED || (rel == REL_CUSTOMER && !cv_streq(to, "closed") &&
							      !cv_streq(to, "reopened") && !cv_streq(to, "in-progress"))
					       ? 403
					       : 409,
				  rel == REL_OWNER ? "forbidden" : "invalid_transition",
				  "%s may not move a case from %s to %s", program_role_name(who->role), from, to);
		return -EPERM;
	}
	if (cv_streq(to, "resolved")) {
		json_object_set_new(c, "resolved_at", now_iso(now));
		json_object_set_new(c, "resolution", json_pack("{s:O, s:o, s:o}", "text", json_object_get(body, "resolution"),
							       "by", support_actor_json(who), "at", now_iso(now)));
	}
	if (cv_streq(to, "reopened")) {
		json_object_set_new(c, "resolved_at", json_null());
		to = "in-progress";
	}
	if (is_vendor(who) && rel == REL_OPENED)
		vendor_responded(c, now);
	set_state(c, who, now, to, NULL);
	return 0;
}

static int act_engage(struct store *s, json_t *c, enum support_relation rel, const struct program_auth *who,
		      json_t *body, int64_t now, const struct support_policy *p, struct program_error *err)
{
	static const char *const keys[] = { "vendor", "reason", "version" };
	const char *vendor = json_string_value(json_object_get(body, "vendor"));
	const char *state = json_string_value(json_object_get(c, "state"));
	json_t *conf = json_object_get(c, "configuration"), *ent, *cols = json_object_get(c, "collaborations");
	int sev = (int)json_integer_value(json_object_get(c, "severity"));
	char *id;

	if (!program_check_keys(body, keys, CV_ELEMENTSOF(keys), NULL, err))
		return -EINVAL;
	if (rel != REL_OPENED) {
		program_error_set(err, 403, "forbidden", "only the vendor the case was opened with engages another");
		return -EPERM;
	}
	if (!vendor || cv_streq(vendor, who->vendor_id)) {
		program_error_set(err, 400, "invalid_field", "vendor: another vendor of the program");
		return -EINVAL;
	}
	if (!cv_word_in(SUPPORT_CASE_OPEN, state)) {
		program_error_set(err, 409, "invalid_transition", "a %s case engages no one", state);
		return -EPERM;
	}
	if (!json_is_true(json_object_get(conf, "cooperative"))) {
		program_error_set(err, 409, "not_validated", "%s", json_string_value(json_object_get(conf, "statement")));
		return -EPERM;
	}
	if (store_vendor_get(s, vendor, NULL) == -ENOENT) {
		program_error_set(err, 404, "unknown_vendor", "no vendor '%s' in the program", vendor);
		return -ENOENT;
	}
	ent = json_object_get(json_object_get(c, "entitlement"), vendor);
	if (!json_is_true(json_object_get(ent, "entitled"))) {
		program_error_set(err, 422, "not_entitled", "the customer is not entitled to %s's support, so it cannot be "
				  "engaged on this case",
				  vendor);
		return -EACCES;
	}
	if (support_collaboration(c, "vendor", vendor, COLLAB_OPEN)) {
		program_error_set(err, 409, "already_engaged", "%s is engaged on this case already", vendor);
		return -EEXIST;
	}
	id = cv_xasprintf("col_%zu", json_array_size(cols) + 1);
	{
		char due[32];

		cv_time_iso8601(now + support_policy_seconds(p, "collaboration", NULL, sev), due, sizeof(due));
		json_array_append_new(cols, json_pack("{s:s, s:s, s:s, s:s, s:O*, s:o, s:s, s:n, s:n}", "id", id, "vendor",
						      vendor, "by", who->vendor_id, "state", "requested", "reason",
						      json_object_get(body, "reason"), "requested_at", now_iso(now),
						      "due_at", due, "responded_at", "decline_reason"));
	}
	/* An engaged vendor entitled per call charges for its part: the
	 * request records it, as the case records the opened vendor's. */
	if (json_is_true(json_object_get(ent, "charge")))
		json_object_set_new(json_array_get(cols, json_array_size(cols) - 1), "per_call_charge",
				    json_pack("{s:s, s:O, s:O}", "vendor", vendor, "agreement", json_object_get(ent, "agreement"),
					      "stated", json_object_get(ent, "per_call_stated")));
	audit(c, who, now, "engage", "shared", json_pack("{s:s, s:s}", "collaboration", id, "vendor", vendor));
	free(id);
	vendor_responded(c, now);
	if (!cv_streq(state, "engaged"))
		set_state(c, who, now, "engaged", NULL);
	return 0;
}

static int act_respond(json_t *c, enum support_relation rel, const struct program_auth *who, const char *cid,
		       json_t *body, int64_t now, struct program_error *err)
{
	static const char *const keys[] = { "collaboration", "action", "reason", "version" };
	const char *action = json_string_value(json_object_get(body, "action"));
	json_t *col = cid ? support_collaboration(c, "id", cid, NULL) : NULL;
	const char *st, *to = NULL;

	if (!program_check_keys(body, keys, CV_ELEMENTSOF(keys), NULL, err))
		return -EINVAL;
	if (!col || rel != REL_ENGAGED || !cv_streq(json_string_value(json_object_get(col, "vendor")), who->vendor_id)) {
		program_error_set(err, rel == REL_ENGAGED || rel == REL_OPENED ? 403 : 404,
				  rel == REL_ENGAGED || rel == REL_OPENED ? "forbidden" : "not_found",
				  "only the engaged vendor answers its collaboration request");
		return -EPERM;
	}
	st = json_string_value(json_object_get(col, "state"));
	if (cv_streq(action, "accept") && cv_streq(st, "requested"))
		to = "accepted";
	else if (cv_streq(action, "decline") && cv_streq(st, "requested")) {
		if (!text_ok(json_object_get(body, "reason"), TEXT_MAX)) {
			program_error_set(err, 400, "invalid_field", "reason: what information is needed");
			return -EINVAL;
		}
		to = "declined";
	} else if (cv_streq(action, "working") && cv_streq(st, "accepted"))
		to = "working";
	else if (cv_streq(action, "done") && cv_word_in("accepted working", st))
		to = "done";
	if (!to) {
		program_error_set(err, action && (cv_streq(action, "accept") || cv_streq(action, "decline") ||
						  cv_streq(action, "working") || cv_streq(action, "done"))
					       ? 409
					       : 400,
				  "invalid_transition", "a %s collaboration request cannot take '%s' (accept, decline, working, done)",
				  st, action ? action : "(none)");
		return -EPERM;
	}
	if (json_is_null(json_object_get(col, "responded_at")))
		json_object_set_new(col, "responded_at", now_iso(now));
	if (cv_streq(to, "declined"))
		json_object_set(col, "decline_reason", json_object_get(body, "reason"));
	json_object_set_new(col, "state", json_string(to));
	audit(c, who, now, "collaboration", "shared", json_pack("{s:s, s:s}", "collaboration", cid, "state", to));
	/* Nobody left engaged: back to the vendor it was opened with. */
	if ((cv_streq(to, "declined") || cv_streq(to, "done")) && !support_collaboration(c, "vendor", NULL, COLLAB_OPEN) &&
	    cv_streq(json_string_value(json_object_get(c, "state")), "engaged"))
		set_state(c, who, now, "in-progress", json_pack("{s:s}", "because", "no vendor is engaged any more"));
	return 0;
}

/* Newline-separated vendors with an open collaboration request on the
 * case: their queue.  A vendor that declined or is done leaves it. */
static char *engaged_list(json_t *c)
{
	struct cv_buf b;
	size_t i;
	json_t *col;

	cv_buf_init(&b, 64 * 1024);
	json_array_foreach(json_object_get(c, "collaborations"), i, col)
		if (cv_word_in(COLLAB_OPEN, json_string_value(json_object_get(col, "state"))))
			(void)!cv_buf_printf(&b, "%s%s", b.len ? "\n" : "",
					     json_string_value(json_object_get(col, "vendor")));
	return b.data ? cv_buf_detach(&b, NULL) : cv_xstrdup("");
}

int support_case_act(struct store *s, const struct program_auth *who, const char *id, enum support_case_action action,
		     const int64_t *version, const char *collaboration, const json_t *body_, json_t **ret_view,
		     struct program_error *err)
{
	json_t *body = (json_t *)body_, *c = NULL;
	struct store_case_row *row = NULL;
	struct support_policy *p = NULL;
	enum support_relation rel;
	char *text = NULL, *engaged = NULL, *from = NULL;
	int64_t now = support_now();
	bool in_tx = false;
	int r;

	if (!json_is_object(body)) {
		program_error_set(err, 400, "invalid_field", "expected a JSON object");
		return -EINVAL;
	}
	r = support_policy_load(s, &p, err);
	if (r < 0)
		return r;
	r = store_begin(s);
	if (r < 0) {
		program_error_set(err, 503, "busy", "the database is busy: %s", store_errmsg(s));
		goto out;
	}
	in_tx = true;
	r = load(s, who, id, &row, &c, &rel, err);
	if (r < 0)
		goto out;
	if (version && *version != row->version) {
		program_error_set(err, 409, "conflict", "the case changed: it is at version %lld, not %lld (read it again)",
				  (long long)row->version, (long long)*version);
		r = -ESTALE;
		goto out;
	}
	from = cv_xstrdup(json_string_value(json_object_get(c, "state")));
	switch (action) {
	case SUPPORT_ACT_NOTE:
		r = act_note(c, rel, who, body, now, err);
		break;
	case SUPPORT_ACT_STATE:
		r = act_state(c, rel, who, body, now, p, err);
		break;
	case SUPPORT_ACT_ENGAGE:
		r = act_engage(s, c, rel, who, body, now, p, err);
		break;
	case SUPPORT_ACT_RESPOND:
		r = act_respond(c, rel, who, collaboration, body, now, err);
		break;
	default:
		program_error_set(err, 404, "not_found", "no such action");
		r = -ENOENT;
	}
	if (r < 0)
		goto out;
	json_object_set_new(c, "updated_at", now_iso(now));
	json_object_del(c, "version");
	text = json_dumps(c, JSON_COMPACT);
	engaged = engaged_list(c);
	{
		struct store_case_row w = { .id = id, .engaged = engaged, .state = json_string_value(json_object_get(c, "state")),
					    .severity = row->severity, .version = row->version, .doc = text };

		r = store_case_update(s, &w);
	}
	if (r == 0)
		r = support_notify_change(s, c, from, action, now);
	if (r == 0)
		r = store_commit(s);
	if (r < 0) {
		program_error_set(err, r == -ESTALE ? 409 : 500, r == -ESTALE ? "conflict" : "internal", "%s",
				  r == -ESTALE ? "the case changed meanwhile: read it again" : store_errmsg(s));
		goto out;
	}
	in_tx = false;
	json_object_set_new(c, "version", json_integer(row->version + 1));
	if (action == SUPPORT_ACT_NOTE) /* the note just written: the last */
		*ret_view = json_pack("{s:s, s:I, s:o}", "case", id, "version", (json_int_t)(row->version + 1), "note",
				      support_entry_view(json_array_get(json_object_get(c, "notes"),
									json_array_size(json_object_get(c, "notes")) - 1)));
	if (action == SUPPORT_ACT_NOTE && rel == REL_CUSTOMER) {
		json_object_del(*ret_view, "version");
		support_customer_numbers(*ret_view);
	} else if (action != SUPPORT_ACT_NOTE)
		*ret_view = support_view(c, rel, who, p, now, false);
out:
	if (in_tx)
		store_rollback(s);
	support_policy_free(p);
	store_case_free(row);
	json_decref(c);
	free(text);
	free(engaged);
	free(from);
	return r;
}

/* ---- SLA over every open case ---- */

struct breach_ctx {
	const struct support_policy *p;
	int64_t now, first, update, collab;
};

static int breach_cb(void *userdata, const struct store_case_row *row)
{
	struct breach_ctx *b = userdata;
	json_t *c = json_loads(row->doc, 0, NULL), *sla, *col;
	size_t i;

	if (!c)
		return 0;
	sla = support_sla(c, b->p, b->now);
	b->first += cv_streq(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "breached");
	b->update += cv_streq(json_string_value(json_object_get(json_object_get(sla, "next_update"), "state")), "breached");
	json_array_foreach(json_object_get(sla, "collaborations"), i, col)
		b->collab += cv_streq(json_string_value(json_object_get(json_object_get(col, "response"), "state")), "breached");
	json_decref(sla);
	json_decref(c);
	return 0;
}

int support_sla_breaches(struct store *s, int64_t *ret_first, int64_t *ret_update, int64_t *ret_collab)
{
	struct support_policy *p = NULL;
	struct breach_ctx b = { NULL, support_now(), 0, 0, 0 };
	static const char *const open_states[] = { "new", "in-progress", "waiting-on-customer", "engaged" }; /* SUPPORT_CASE_OPEN */
	int r = support_policy_load(s, &p, NULL);

	if (r < 0)
		return r;
	b.p = p;
	for (size_t i = 0; i < CV_ELEMENTSOF(open_states) && r == 0; i++)
		r = store_case_list(s, NULL, NULL, open_states[i], 0, 0, breach_cb, &b);
	support_policy_free(p);
	*ret_first = b.first;
	*ret_update = b.update;
	*ret_collab = b.collab;
	return r;
}
