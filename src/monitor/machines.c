/*
 * machines.c - enrolled machines (docs/monitor.md, "Machines"): enrolling
 * with a customer's administrator's token, the agent's own credential,
 * who may see which machine, and a machine as the API shows it.
 *
 * An agent's credential is a token like a user's ("cv_" + 43 characters)
 * stored only as its keyed hash (program_token_hash), but in the machines
 * table: it can never act as a user, nor a user's token as a machine.
 */
#include <jansson.h>
#include <sodium.h>

#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/monitor.h"
#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

#define AGENT_VERSION_MAX 64

void monitor_flags_parse(const char *text, struct cv_strv *ret)
{
	const char *p = text;

	while (p && *p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n) {
			char *w = cv_xstrndup(p, n);

			if (!cv_strv_contains(ret, w))
				cv_strv_push_take(ret, w);
			else
				free(w);
		}
		p += n;
	}
}

char *monitor_flags_join(const struct cv_strv *flags)
{
	return flags->n ? cv_strv_join(flags, " ") : cv_xstrdup("");
}

const char *monitor_machine_name(const struct store_machine_row *m)
{
	return m->name && *m->name ? m->name : m->id;
}

static bool hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

/* Checks an enrollment body; *ret_customer is whose machine it is. */
static int enroll_body(struct store *s, const struct program_auth *who, const json_t *body, const char **ret_customer,
		       int64_t *ret_interval, struct program_error *err)
{
	static const char *const keys[] = { "machine_key", "name", "interval", "agent", "customer" };
	static const char *const agent_keys[] = { "version", "os" };
	json_t *v, *agent = json_object_get(body, "agent");
	const char *customer = json_string_value(json_object_get(body, "customer"));
	int r;

	if (!program_check_keys(body, keys, CV_ELEMENTSOF(keys), NULL, err))
		return -EINVAL;
	if (!hex64(json_string_value(json_object_get(body, "machine_key")))) {
		program_error_set(err, 400, "invalid_field",
				  "machine_key: 64 lower-case hex digits (BLAKE2b-256 of the machine's identity)");
		return -EINVAL;
	}
	if ((v = json_object_get(body, "name")) && !monitor_text_ok(v, MONITOR_NAME_MAX)) {
		program_error_set(err, 400, "invalid_field", "name: 1 to %d bytes of printable UTF-8", MONITOR_NAME_MAX);
		return -EINVAL;
	}
	*ret_interval = 60;
	if ((v = json_object_get(body, "interval"))) {
		if (!json_is_integer(v) || json_integer_value(v) < MONITOR_INTERVAL_MIN ||
		    json_integer_value(v) > MONITOR_INTERVAL_MAX) {
			program_error_set(err, 400, "invalid_field", "interval: seconds, %d to %d", MONITOR_INTERVAL_MIN,
					  MONITOR_INTERVAL_MAX);
			return -EINVAL;
		}
		*ret_interval = json_integer_value(v);
	}
	if (agent) {
		if (!program_check_keys(agent, agent_keys, CV_ELEMENTSOF(agent_keys), "agent", err))
			return -EINVAL;
		if ((v = json_object_get(agent, "version")) && !monitor_text_ok(v, AGENT_VERSION_MAX)) {
			program_error_set(err, 400, "invalid_field", "agent.version: 1 to %d printable bytes", AGENT_VERSION_MAX);
			return -EINVAL;
		}
		if ((v = json_object_get(agent, "os")) && !cv_word_in("linux windows", json_string_value(v))) {
			program_error_set(err, 400, "invalid_field", "agent.os: linux or windows");
			return -EINVAL;
		}
	}
	if (json_object_get(body, "customer") && !customer) {
		program_error_set(err, 400, "invalid_field", "customer: a customer's id");
		return -EINVAL;
	}
	if (who->customer_id) {
		if (customer && strcmp(customer, who->customer_id) != 0) {
			program_error_set(err, 403, "forbidden", "customer: a customer's administrator enrolls its own machines");
			return -EPERM;
		}
		*ret_customer = who->customer_id;
		return 0;
	}
	if (!who->admin) {
		program_error_set(err, 403, "forbidden", "a machine is enrolled by its customer's administrator (or the owner)");
		return -EPERM;
	}
	if (!customer) {
		program_error_set(err, 400, "invalid_field", "customer: the owner names the customer the machine is for");
		return -EINVAL;
	}
	r = store_customer_get(s, customer, NULL);
	if (r == -ENOENT) {
		program_error_set(err, 404, "unknown_customer", "no customer '%.64s'", customer);
		return r;
	}
	if (r < 0)
		return monitor_store_error(s, r, "reading the customer", err);
	*ret_customer = customer;
	return 0;
}

static char *new_machine_id(void)
{
	uint8_t raw[8];
	char hex[17];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	return cv_xasprintf("m-%s", hex);
}

int monitor_enroll(struct store *s, const struct program_auth *who, const json_t *body, int64_t now, json_t **ret,
		   bool *ret_created, struct program_error *err)
{
	const char *customer = NULL, *key = json_string_value(json_object_get(body, "machine_key"));
	const char *name = json_string_value(json_object_get(body, "name"));
	char *token = NULL, *token_id = NULL, *hash = NULL, *id = NULL, when[32];
	int64_t interval = 60;
	bool created = false;
	int r;

	r = enroll_body(s, who, body, &customer, &interval, err);
	if (r < 0)
		return r;
	program_token_new(&token, &token_id);
	r = program_token_hash(s, token, &hash);
	if (r < 0) {
		monitor_store_error(s, r, "hashing the credential", err);
		goto out;
	}
	r = program_txn_begin(s, err);
	if (r < 0)
		goto out;
	r = store_machine_find_key(s, customer, key, &id);
	if (r == 0) {
		/* The same machine again: its id stays, its credential is new,
		 * and the old one is forgotten here at once (elsewhere, its
		 * next report is refused where it is written). */
		struct store_machine_row *old = NULL;

		if (store_machine_get_state(s, id, &old) == 0)
			monitor_agent_forget(old->credential_hash);
		store_machine_free(old);
		r = store_machine_reenroll(s, id, name, hash, interval);
	} else if (r == -ENOENT) {
		id = new_machine_id();
		monitor_iso(now, when);
		created = true;
		/* last_seen_s starts at enrollment, so a machine that never
		 * reports goes late like one that stopped. */
		r = store_machine_add(s, &(struct store_machine_row){ .id = id, .customer_id = customer, .machine_key = key,
								      .name = name ? name : id, .credential_hash = hash,
								      .enrolled_at = when, .last_seen_s = now,
								      .interval_s = interval });
		if (r == 0) {
			char *summary = cv_xasprintf("%s enrolled", name ? name : id);
			json_t *details = json_pack("{s:I}", "interval", (json_int_t)interval);

			if (json_object_get(body, "agent"))
				json_object_set(details, "agent", json_object_get(body, "agent"));
			r = program_event_emit(s,
					       &(struct program_event){ .kind = "machine.enrolled", .customer_id = customer,
									.machine_id = id, .machine_name = name ? name : id,
									.summary = summary, .details = details, .at = now },
					       NULL);
			free(summary);
			json_decref(details);
		}
	}
	/* The same new machine enrolled at the same moment through another
	 * request (another node: their inserts meet at the unique key only
	 * when the first commits): its credential is that request's, and
	 * this one's caller must enroll again to get one of its own. */
	if (r == -EEXIST && created)
		program_error_set(err, 409, "enrolled_concurrently",
				  "the machine was enrolled at this moment by another request; enroll again");
	else if (r < 0)
		monitor_store_error(s, r, "enrolling the machine", err);
	r = program_txn_end(s, r, err);
	if (r < 0)
		goto out;
	*ret = json_pack("{s:s, s:s, s:s, s:I}", "machine", id, "credential", token, "customer", customer, "interval",
			 (json_int_t)interval);
	if (ret_created)
		*ret_created = created;
out:
	if (token)
		sodium_memzero(token, strlen(token));
	free(token);
	free(token_id);
	free(hash);
	free(id);
	return r;
}

/* ---- who sees what ---- */

/* The machine, if who may see it; 404 otherwise (as if it did not exist). */
static int visible_row(struct store *s, const struct program_auth *who, const char *id, struct store_machine_row **ret,
		       struct program_error *err)
{
	struct store_machine_row *m = NULL;
	bool ok = false;
	int r = store_machine_get(s, id, &m);

	if (r == -ENOENT)
		goto hidden;
	if (r < 0)
		return monitor_store_error(s, r, "reading the machine", err);
	if (who->admin)
		ok = true;
	else if (who->customer_id)
		ok = strcmp(who->customer_id, m->customer_id) == 0;
	else if (who->vendor_id) {
		r = store_machine_vendor_visible(s, id, who->vendor_id, &ok);
		if (r < 0) {
			store_machine_free(m);
			return monitor_store_error(s, r, "reading the machine", err);
		}
	}
	if (!ok)
		goto hidden;
	*ret = m;
	return 0;
hidden:
	store_machine_free(m);
	program_error_set(err, 404, "not_found", "no such machine");
	return -ENOENT;
}

int monitor_machine_visible(struct store *s, const struct program_auth *who, const char *id, struct program_error *err)
{
	struct store_machine_row *m = NULL;
	int r = visible_row(s, who, id, &m, err);

	store_machine_free(m);
	return r;
}

/* ---- a machine as the API shows it ---- */

static json_t *json_or_null(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;

	return j ? j : json_null();
}

/* "Red Hat Enterprise Linux Server 5.3 x86_64" from a stored descriptor. */
static json_t *guest_words(json_t *d)
{
	json_t *os = json_object_get(json_object_get(d, "guest"), "os");
	const char *name = json_string_value(json_object_get(os, "name"));
	const char *ver = json_string_value(json_object_get(os, "version"));
	const char *arch = json_string_value(json_object_get(json_object_get(d, "guest"), "arch"));

	if (!name)
		name = json_string_value(json_object_get(os, "id"));
	if (!name)
		return json_null();
	return json_sprintf("%s%s%s%s%s", name, ver ? " " : "", ver ? ver : "", arch ? " " : "", arch ? arch : "");
}

static json_t *hypervisor_words(json_t *d)
{
	json_t *hv = json_object_get(d, "hypervisor");
	const char *product = json_string_value(json_object_get(hv, "product"));
	const char *ver = json_string_value(json_object_get(hv, "version"));
	const char *build = json_string_value(json_object_get(hv, "build"));

	if (!product)
		product = json_string_value(json_object_get(hv, "id"));
	if (!product)
		return json_null();
	return json_sprintf("%s%s%s%s%s%s", product, ver ? " " : "", ver ? ver : "", build ? " (build " : "",
			    build ? build : "", build ? ")" : "");
}

json_t *monitor_machine_item(const struct store_machine_row *m)
{
	struct cv_strv flags = { 0 };
	json_t *d = m->descriptor ? json_loads(m->descriptor, 0, NULL) : NULL, *fl = json_array(), *diff, *vm;
	json_t *o;
	bool late;

	monitor_flags_parse(m->flags, &flags);
	late = cv_strv_contains(&flags, "late");
	for (size_t i = 0; i < flags.n; i++)
		json_array_append_new(fl, json_string(flags.v[i]));
	diff = json_or_null(m->differences);
	if (!json_is_array(diff)) {
		json_decref(diff);
		diff = json_array();
	}
	vm = json_object_get(d, "vm");
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o, s:s?, s:s?, s:b, s:o, s:o, s:o, s:O, s:O, s:I, s:I}", "id", m->id,
		      "name", monitor_machine_name(m), "customer", m->customer_id, "verdict", m->verdict, "reason", m->reason,
		      "differences", diff, "config", m->config_id, "last_seen", m->last_seen, "late", late, "flags", fl,
		      "guest", guest_words(d), "hypervisor", hypervisor_words(d), "vcpus",
		      json_object_get(vm, "vcpus") ? json_object_get(vm, "vcpus") : json_null(), "memory_mib",
		      json_object_get(vm, "memory_mib") ? json_object_get(vm, "memory_mib") : json_null(), "seq",
		      (json_int_t)m->seq, "reports", (json_int_t)m->reports);
	json_decref(d);
	cv_strv_release(&flags);
	return o;
}

struct list_walk {
	json_t *items;
};

static int list_row(void *userdata, const struct store_machine_row *m)
{
	struct list_walk *w = userdata;

	json_array_append_new(w->items, monitor_machine_item(m));
	return 0;
}

static bool verdict_filter_ok(const char *v)
{
	return !v || cv_word_in("validated supported not-supported not-validated unknown drifted", v);
}

int monitor_machine_list(struct store *s, const struct program_auth *who, const struct monitor_machine_filter *f,
			 json_t **ret, struct program_error *err)
{
	struct store_machine_query q = { .customer_id = f->customer_id, .verdict = f->verdict, .late = f->late,
					 .limit = f->limit, .offset = f->offset };
	struct list_walk w = { json_array() };
	int64_t total = 0;
	int r;

	if (!verdict_filter_ok(f->verdict)) {
		program_error_set(err, 400, "invalid_parameter",
				  "verdict: validated, supported, not-supported, not-validated, unknown or drifted");
		r = -EINVAL;
		goto fail;
	}
	if (who->customer_id) {
		if (f->customer_id && strcmp(f->customer_id, who->customer_id) != 0) {
			program_error_set(err, 403, "forbidden", "customer: a customer's administrator sees its own machines");
			r = -EPERM;
			goto fail;
		}
		q.customer_id = who->customer_id;
	} else if (!who->admin) {
		if (!who->vendor_id) {
			program_error_set(err, 403, "forbidden", "machines are seen by their customer, the owner and vendors on their cases");
			r = -EPERM;
			goto fail;
		}
		q.vendor_id = who->vendor_id;
	}
	r = store_machine_count(s, &q, &total);
	if (r == 0)
		r = store_machine_list(s, &q, list_row, &w);
	if (r < 0) {
		monitor_store_error(s, r, "listing machines", err);
		goto fail;
	}
	*ret = json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "limit", (json_int_t)f->limit, "offset",
			 (json_int_t)f->offset, "items", w.items);
	return 0;
fail:
	json_decref(w.items);
	return r;
}

static int history_row(void *userdata, const struct store_verdict_row *v)
{
	json_array_append_new(userdata, json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:s?}", "at", v->at, "verdict", v->verdict,
						  "reason", v->reason, "config", v->config_id, "differences",
						  json_or_null(v->differences), "descriptor_digest",
						  v->descriptor_digest));
	return 0;
}

/* The stored descriptor checked now, as /api/v1/check answers (covalid.check/1). */
static json_t *check_json(const struct check_index *ix, const char *text)
{
	struct descriptor *d = NULL;
	struct check_result *res = NULL;
	json_t *j = json_null();

	if (descriptor_from_json(text, strlen(text), &d, NULL) == 0 && check_explain(ix, d, 3, &res) == 0)
		j = check_result_to_json(res, d);
	check_result_free(res);
	descriptor_free(d);
	return j;
}

int monitor_machine_get(struct store *s, const struct program_auth *who, const char *id, const struct check_index *ix,
			json_t **ret, struct program_error *err)
{
	struct store_machine_row *m = NULL;
	struct monitor_event_filter ef = { .machine_id = id, .after = -1, .limit = 50 };
	json_t *o = NULL, *history = json_array(), *events = NULL;
	int r = visible_row(s, who, id, &m, err);

	if (r < 0)
		goto out;
	o = monitor_machine_item(m);
	json_object_set_new(o, "descriptor", json_or_null(m->descriptor));
	json_object_set_new(o, "descriptor_digest", m->descriptor_digest ? json_string(m->descriptor_digest) : json_null());
	json_object_set_new(o, "health", json_or_null(m->health));
	json_object_set_new(o, "interval", json_integer(m->interval_s));
	json_object_set_new(o, "enrolled_at", json_string(m->enrolled_at));
	if (ix && m->descriptor)
		json_object_set_new(o, "check", check_json(ix, m->descriptor));
	r = store_machine_verdict_list(s, id, 100, history_row, history);
	if (r < 0) {
		monitor_store_error(s, r, "reading the history", err);
		goto out;
	}
	json_object_set_new(o, "history", history);
	history = NULL;
	r = monitor_events_list(s, who, &ef, &events, err);
	if (r < 0)
		goto out;
	json_object_set(o, "events", json_object_get(events, "items"));
	*ret = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(history);
	json_decref(events);
	store_machine_free(m);
	return r;
}
