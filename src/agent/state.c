/*
 * state.c - the agent's state directory: agent.json (the enrollment) and
 * run.json (what reports carry from one run to the next).
 *
 * agent.json is read strictly: every field there, of its type and form,
 * nothing else, and the file private (it holds the machine's credential).
 * A hand-edited or damaged file is an error that names the field, never a
 * report sent to a server nobody chose.  run.json is the agent's own
 * bookkeeping: a missing one starts afresh; a malformed one is an error
 * too (seq going back would make the server ignore reports).
 */
#include <jansson.h>

#include "agent/agent-internal.h"
#include "util/cv.h"

#define STATE_FILE_MAX (64 * 1024)

static char *path_in(const char *dir, const char *name)
{
	return cv_xasprintf("%s/%s", dir, name);
}

int agent_state_check_dir(const char *dir, char **ret_why)
{
	return agent_sys_check_private_dir(dir, ret_why);
}

void agent_config_release(struct agent_config *c)
{
	free(c->server);
	free(c->machine);
	free(c->credential);
	free(c->customer);
	free(c->name);
	free(c->machine_key);
	memset(c, 0, sizeof(*c));
}

static bool all_of(const char *s, const char *set)
{
	return s && *s && strspn(s, set) == strlen(s);
}

/* One string field, checked with ok(); NULL if absent or bad. */
static const char *field(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

int agent_config_load(const char *dir, struct agent_config *ret, char **ret_why)
{
	static const char *const known[] = { "schema", "server", "machine", "credential", "customer", "name",
					     "machine_key", "interval" };
	char *path = path_in(dir, "agent.json"), *text = NULL, *why = NULL;
	struct agent_config c = { 0 };
	json_error_t je;
	json_t *o = NULL;
	const char *key, *s;
	json_t *v;
	size_t len;
	int r;

	r = agent_state_check_dir(dir, ret_why);
	if (r < 0)
		goto out;
	r = cv_read_file(path, STATE_FILE_MAX, &text, &len);
	if (r == -ENOENT) {
		r = agent_fail(ret_why, r, "%s: not enrolled (run covalid agent enroll first)", path);
		goto out;
	}
	if (r < 0) {
		r = agent_fail(ret_why, r, "%s: %s", path, r == -E2BIG ? "larger than 64 KiB" : strerror(-r));
		goto out;
	}
	r = agent_sys_check_private_file(path, ret_why);
	if (r < 0)
		goto out;
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!o || !json_is_object(o)) {
		r = agent_fail(ret_why, -EINVAL, "%s: not a JSON object%s%s", path, o ? "" : ": ", o ? "" : je.text);
		goto out;
	}
	json_object_foreach(o, key, v) {
		bool ok = false;

		for (size_t i = 0; i < CV_ELEMENTSOF(known); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok) {
			char *k = cv_str_sanitize(key, strlen(key), 64);

			r = agent_fail(ret_why, -EINVAL, "%s: unknown field '%s'", path, k);
			free(k);
			goto out;
		}
	}
#define BAD(f, what)                                                                       \
	do {                                                                               \
		r = agent_fail(ret_why, -EINVAL, "%s: field '%s': %s", path, f, what);     \
		goto out;                                                                  \
	} while (0)
	if (!cv_streq(field(o, "schema"), "covalid.agent-state/1"))
		BAD("schema", "not covalid.agent-state/1");
	s = field(o, "server");
	{
		struct agent_url u = { 0 };

		if (!s || agent_url_parse(s, &u, &why) < 0)
			BAD("server", why ? why : "missing");
		agent_url_release(&u);
	}
	c.server = cv_xstrdup(s);
	s = field(o, "machine");
	if (!s || !cv_startswith(s, "m-") || strlen(s) > 64 || !all_of(s + 2, "0123456789abcdef"))
		BAD("machine", "not a machine id (m-HEX)");
	c.machine = cv_xstrdup(s);
	s = field(o, "credential");
	if (!s || strlen(s) < 8 || strlen(s) > 256 ||
	    !all_of(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~+/="))
		BAD("credential", "not a credential (printable token characters, 8 to 256)");
	c.credential = cv_xstrdup(s);
	s = field(o, "customer");
	if (!s || !*s || strlen(s) > 128 || !cv_str_is_clean_utf8(s, strlen(s)))
		BAD("customer", "missing or not a name");
	c.customer = cv_xstrdup(s);
	s = field(o, "name");
	if (!s || !*s || strlen(s) > AGENT_NAME_MAX || !cv_str_is_clean_utf8(s, strlen(s)))
		BAD("name", "missing or not 1 to 128 printable characters");
	c.name = cv_xstrdup(s);
	s = field(o, "machine_key");
	if (!s || strlen(s) != 64 || !all_of(s, "0123456789abcdef"))
		BAD("machine_key", "not 64 hexadecimal digits");
	c.machine_key = cv_xstrdup(s);
	v = json_object_get(o, "interval");
	if (!json_is_integer(v) || json_integer_value(v) < AGENT_INTERVAL_MIN ||
	    json_integer_value(v) > AGENT_INTERVAL_MAX)
		BAD("interval", "not an integer from 10 to 86400");
	c.interval = (int)json_integer_value(v);
#undef BAD
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	agent_config_release(&c);
	json_decref(o);
	free(text);
	free(path);
	free(why);
	return r;
}

int agent_config_save(const char *dir, const struct agent_config *c, char **ret_why)
{
	char *path = path_in(dir, "agent.json"), *text;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "schema", "covalid.agent-state/1", "server",
			      c->server, "machine", c->machine, "credential", c->credential, "customer", c->customer,
			      "name", c->name, "machine_key", c->machine_key, "interval", c->interval);
	int r;

	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	r = cv_write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		r = agent_fail(ret_why, r, "%s: cannot write: %s", path, strerror(-r));
	free(text);
	json_decref(o);
	free(path);
	return r;
}

void agent_runstate_release(struct agent_runstate *s)
{
	free(s->sent_digest);
	free(s->kmsg_boot);
	free(s->last_at);
	free(s->last_result);
	free(s->last_acked_at);
	free(s->last_verdict);
	memset(s, 0, sizeof(*s));
}

static bool get_u64(json_t *o, const char *name, uint64_t *ret)
{
	json_t *v = json_object_get(o, name);

	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*ret = (uint64_t)json_integer_value(v);
	return true;
}

static char *get_str(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? cv_str_sanitize(s, strlen(s), 512) : NULL;
}

int agent_runstate_load(const char *dir, struct agent_runstate *ret, char **ret_why)
{
	char *path = path_in(dir, "run.json"), *text = NULL;
	struct agent_runstate s = { 0 };
	json_t *o = NULL, *v;
	size_t len;
	int r;

	r = cv_read_file(path, STATE_FILE_MAX, &text, &len);
	if (r == -ENOENT) {
		*ret = s;
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = agent_fail(ret_why, r, "%s: %s", path, r == -E2BIG ? "larger than 64 KiB" : strerror(-r));
		goto out;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o) || !get_u64(o, "seq", &s.seq) || !get_u64(o, "dropped", &s.dropped) ||
	    !get_u64(o, "last_acked_seq", &s.last_acked_seq)) {
		r = agent_fail(ret_why, -EINVAL, "%s: malformed (seq, dropped)", path);
		goto out;
	}
	s.sent_digest = get_str(o, "sent_digest");
	s.need_descriptor = json_is_true(json_object_get(o, "need_descriptor"));
	v = json_object_get(o, "cpu");
	if (json_is_array(v) && json_array_size(v) == 2 && json_is_integer(json_array_get(v, 0)) &&
	    json_is_integer(json_array_get(v, 1))) {
		s.have_cpu = true;
		s.cpu_total = (uint64_t)json_integer_value(json_array_get(v, 0));
		s.cpu_idle = (uint64_t)json_integer_value(json_array_get(v, 1));
	}
	v = json_object_get(o, "kmsg_seq");
	if (json_is_integer(v)) {
		s.have_kmsg = true;
		s.kmsg_seq = (uint64_t)json_integer_value(v);
	}
	v = json_object_get(o, "clock_offset_ms");
	if (json_is_integer(v)) {
		s.have_clock = true;
		s.clock_offset_ms = json_integer_value(v);
	}
	s.kmsg_boot = get_str(o, "kmsg_boot");
	s.last_at = get_str(o, "last_at");
	s.last_result = get_str(o, "last_result");
	s.last_acked_at = get_str(o, "last_acked_at");
	s.last_verdict = get_str(o, "last_verdict");
	*ret = s;
	memset(&s, 0, sizeof(s));
	r = 0;
out:
	agent_runstate_release(&s);
	json_decref(o);
	free(text);
	free(path);
	return r;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int agent_runstate_save(const char *dir, const struct agent_runstate *s, char **ret_why)
{
	char *path = path_in(dir, "run.json"), *text;
	json_t *o = json_object();
	int r;

	json_object_set_new(o, "schema", json_string("covalid.agent-run/1"));
	json_object_set_new(o, "seq", json_integer((json_int_t)s->seq));
	json_object_set_new(o, "sent_digest", str_or_null(s->sent_digest));
	json_object_set_new(o, "need_descriptor", json_boolean(s->need_descriptor));
	json_object_set_new(o, "dropped", json_integer((json_int_t)s->dropped));
	json_object_set_new(o, "cpu", s->have_cpu ? json_pack("[I, I]", (json_int_t)s->cpu_total, (json_int_t)s->cpu_idle)
						  : json_null());
	json_object_set_new(o, "kmsg_seq", s->have_kmsg ? json_integer((json_int_t)s->kmsg_seq) : json_null());
	json_object_set_new(o, "kmsg_boot", str_or_null(s->kmsg_boot));
	json_object_set_new(o, "clock_offset_ms", s->have_clock ? json_integer(s->clock_offset_ms) : json_null());
	json_object_set_new(o, "last_at", str_or_null(s->last_at));
	json_object_set_new(o, "last_result", str_or_null(s->last_result));
	json_object_set_new(o, "last_acked_seq", json_integer((json_int_t)s->last_acked_seq));
	json_object_set_new(o, "last_acked_at", str_or_null(s->last_acked_at));
	json_object_set_new(o, "last_verdict", str_or_null(s->last_verdict));
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	r = cv_write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		r = agent_fail(ret_why, r, "%s: cannot write: %s", path, strerror(-r));
	free(text);
	json_decref(o);
	free(path);
	return r;
}
