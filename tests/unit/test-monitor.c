/*
 * test-monitor.c - monitoring's library (src/monitor) on a real SQLite
 * store with the seed catalog, without a server: enrollment, reports and
 * their dedupe, verdicts over time and the events they tell, the sweep,
 * thresholds, who sees what, strict reading of reports.
 *
 * The machine is tests/fixtures/hyperv2008-rhel53 (RHEL 5.3 x86_64, 1
 * vCPU, Windows Server 2008 Hyper-V build 6002) and its 2-vCPU twin.
 * data/validated-configs.jsonl's rows ms-hv2008-ws-rhel5.3-x86_64 and
 * ms-hv2008-hvs-rhel5.3-x86_64 validate it with "limits": {"max_vcpus": 1,
 * "allowed_vcpus": [1]} ("uniprocessor VM (1 vCPU): LIC 2.0 supported
 * only single-vCPU Linux VMs"): 2 vCPUs is "2 vCPUs; validated for 1".
 */
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/monitor.h"
#include "covalid/program.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "probe-fixture.h"
#include "tap.h"

#define T0 1764000000 /* 2025-11-24: any fixed time; the library takes times as given */

struct world {
	struct store *s;
	struct catalog *cat;
	struct check_index *ix;
	struct program_auth contoso, fabrikam, owner, microsoft;
	char *v1, *v2; /* the fixtures' descriptors, canonical JSON */
};

static void import(struct store *s, const char *name)
{
	struct catalog_import_stats st;
	char *path = cv_xasprintf("%s/data/%s", tap_srcdir(), name), *why = NULL;
	FILE *f = fopen(path, "r");

	CHECK(f != NULL);
	if (f) {
		CHECK_INT(catalog_import(s, f, &st, &why), 0);
		fclose(f);
	}
	free(why);
	free(path);
}

static void index_build(struct world *w)
{
	char *why = NULL;

	check_index_free(w->ix);
	catalog_free(w->cat);
	CHECK_INT(catalog_load(w->s, 0, &w->cat, &why), 0);
	CHECK_INT(check_index_build(w->cat, &w->ix), 0);
	free(why);
}

static char *fixture_json(const char *name)
{
	struct descriptor *d = probe_fixture(name);
	char *t = descriptor_to_json(d, false);

	descriptor_free(d);
	return t;
}

static void world_open(struct world *w)
{
	static int n; /* a test may open two databases */
	char *path = cv_xasprintf("%s/monitor-%d.db", tap_tmpdir(), n++), *err = NULL;

	memset(w, 0, sizeof(*w));
	CHECK_INT(sign_init(), 0);
	CHECK_INT(store_open(path, &w->s, &err), 0);
	free(path);
	import(w->s, "products.jsonl");
	import(w->s, "validated-configs.jsonl");
	index_build(w);
	CHECK_INT(store_customer_add(w->s, "contoso", "Contoso"), 0);
	CHECK_INT(store_customer_add(w->s, "fabrikam", "Fabrikam"), 0);
	CHECK_INT(store_vendor_add(w->s, "microsoft", "Microsoft"), 0);
	w->contoso = (struct program_auth){ .role = cv_xstrdup("customer"), .customer_id = cv_xstrdup("contoso") };
	w->fabrikam = (struct program_auth){ .role = cv_xstrdup("customer"), .customer_id = cv_xstrdup("fabrikam") };
	w->owner = (struct program_auth){ .admin = true, .role = cv_xstrdup("admin") };
	w->microsoft = (struct program_auth){ .role = cv_xstrdup("vendor"), .vendor_id = cv_xstrdup("microsoft") };
	w->v1 = fixture_json("hyperv2008-rhel53");
	w->v2 = fixture_json("hyperv2008-rhel53-2vcpu");
}

static void world_close(struct world *w)
{
	check_index_free(w->ix);
	catalog_free(w->cat);
	store_close(w->s);
	program_auth_release(&w->contoso);
	program_auth_release(&w->fabrikam);
	program_auth_release(&w->owner);
	program_auth_release(&w->microsoft);
	free(w->v1);
	free(w->v2);
}

static char *key_of(const char *seed)
{
	char *k = cv_xmalloc(65);

	for (int i = 0; i < 64; i++)
		k[i] = "0123456789abcdef"[(seed[i % strlen(seed)] + i) & 15];
	k[64] = '\0';
	return k;
}

/* Enrolls a machine for who (customer: the owner's choice); its agent in *ret_agent. */
static json_t *enroll(struct world *w, const struct program_auth *who, const char *seed, const char *name,
		      const char *customer, bool *ret_created)
{
	char *key = key_of(seed);
	json_t *body = json_pack("{s:s, s:s, s:s*}", "machine_key", key, "name", name, "customer", customer), *out = NULL;
	struct program_error e = { 0 };

	if (monitor_enroll(w->s, who, body, T0, &out, ret_created, &e) < 0)
		tap_fail(__FILE__, __LINE__, "enroll: %d %s", e.http, e.message);
	json_decref(body);
	free(key);
	return out;
}

static void agent_of(struct world *w, json_t *enrolled, struct monitor_agent *ret)
{
	struct program_error e = { 0 };

	CHECK_INT(monitor_agent_authenticate(w->s, json_string_value(json_object_get(enrolled, "credential")), ret, &e), 0);
}

static char *digest_of(const char *text)
{
	return key_of(text);
}

/* Applies a report (descriptor text or NULL, health JSON text or NULL) at now; its answer. */
static json_t *report(struct world *w, const struct monitor_agent *a, int64_t seq, const char *descriptor,
		      const char *digest_seed, const char *health, int64_t now, struct program_error *e)
{
	char at[32], *digest = digest_of(digest_seed), *text;
	json_t *body, *out = NULL;
	struct monitor_report *rep = NULL;

	cv_time_iso8601(now, at, sizeof(at));
	body = json_pack("{s:s, s:s, s:I, s:s, s:s}", "schema", "covalid.report/1", "machine", a->machine_id, "seq",
			 (json_int_t)seq, "observed_at", at, "descriptor_digest", digest);
	if (descriptor)
		json_object_set_new(body, "descriptor", json_loads(descriptor, 0, NULL));
	if (health)
		json_object_set_new(body, "health", json_loads(health, 0, NULL));
	text = json_dumps(body, JSON_COMPACT);
	if (monitor_report_parse(text, strlen(text), 0, w->ix, &rep, e) == 0 &&
	    monitor_report_apply(w->s, a, rep, now, &out, e) < 0)
		out = NULL;
	monitor_report_free(rep);
	json_decref(body);
	free(text);
	free(digest);
	return out;
}

static json_t *machine(struct world *w, const struct program_auth *who, const char *id)
{
	struct program_error e = { 0 };
	json_t *m = NULL;

	if (monitor_machine_get(w->s, who, id, w->ix, &m, &e) < 0)
		return NULL;
	return m;
}

/* The kinds of a machine's events, newest first, space-separated. */
static char *kinds(struct world *w, const char *id)
{
	struct monitor_event_filter f = { .machine_id = id, .after = -1, .limit = 100 };
	struct program_error e = { 0 };
	struct cv_buf b;
	json_t *out = NULL, *ev;
	size_t i;

	cv_buf_init(&b, 4096);
	CHECK_INT(monitor_events_list(w->s, &w->owner, &f, &out, &e), 0);
	json_array_foreach(json_object_get(out, "items"), i, ev)
		(void)!cv_buf_printf(&b, "%s%s", i ? " " : "", json_string_value(json_object_get(ev, "kind")));
	json_decref(out);
	return b.len ? cv_buf_detach(&b, NULL) : (cv_buf_release(&b), cv_xstrdup(""));
}

/* The newest event of a machine (a new reference). */
static json_t *last_event(struct world *w, const char *id)
{
	struct monitor_event_filter f = { .machine_id = id, .after = -1, .limit = 1 };
	struct program_error e = { 0 };
	json_t *out = NULL, *ev;

	CHECK_INT(monitor_events_list(w->s, &w->owner, &f, &out, &e), 0);
	ev = json_incref(json_array_get(json_object_get(out, "items"), 0));
	json_decref(out);
	return ev;
}

TEST(enrolling_twice_is_one_machine)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	struct monitor_machine_filter f = { .late = -1, .limit = 50 };
	bool created = false;
	json_t *first, *second, *list = NULL;

	world_open(&w);
	first = enroll(&w, &w.contoso, "web01", "web01", NULL, &created);
	CHECK(created);
	second = enroll(&w, &w.contoso, "web01", "web01", NULL, &created);
	CHECK(!created);
	CHECK_STR(json_string_value(json_object_get(second, "machine")), json_string_value(json_object_get(first, "machine")));
	CHECK(strcmp(json_string_value(json_object_get(second, "credential")),
		     json_string_value(json_object_get(first, "credential"))) != 0);
	/* The first credential was replaced: it no longer speaks for the machine. */
	CHECK(monitor_agent_authenticate(w.s, json_string_value(json_object_get(first, "credential")), &a, &e) < 0);
	CHECK_INT(e.http, 401);
	agent_of(&w, second, &a);
	CHECK_STR(a.machine_id, json_string_value(json_object_get(first, "machine")));
	CHECK_INT(monitor_machine_list(w.s, &w.contoso, &f, &list, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(list, "total")), 1);
	/* Another customer with the same machine key is another machine. */
	json_decref(enroll(&w, &w.owner, "web01", "web01", "fabrikam", &created));
	CHECK(created);
	monitor_agent_release(&a);
	json_decref(first);
	json_decref(second);
	json_decref(list);
	world_close(&w);
}

TEST(enrollment_is_checked)
{
	struct world w;
	struct program_error e = { 0 };
	json_t *out = NULL, *b;
	bool created;

	world_open(&w);
	b = json_pack("{s:s}", "machine_key", "nothex");
	CHECK(monitor_enroll(w.s, &w.contoso, b, T0, &out, &created, &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK(strncmp(e.message, "machine_key", 11) == 0);
	json_decref(b);
	b = json_pack("{s:s, s:s}", "machine_key", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "name",
		      "tab\there");
	CHECK(monitor_enroll(w.s, &w.contoso, b, T0, &out, &created, &e) < 0);
	CHECK(strncmp(e.message, "name", 4) == 0);
	json_decref(b);
	b = json_pack("{s:s}", "machine_key", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	CHECK(monitor_enroll(w.s, &w.microsoft, b, T0, &out, &created, &e) < 0);
	CHECK_INT(e.http, 403);
	json_decref(b);
	b = json_pack("{s:s, s:s}", "machine_key", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		      "customer", "fabrikam");
	CHECK(monitor_enroll(w.s, &w.contoso, b, T0, &out, &created, &e) < 0);
	CHECK_INT(e.http, 403);
	json_decref(b);
	world_close(&w);
}

TEST(reports_apply_once)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	json_t *en, *r, *m;

	world_open(&w);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	r = report(&w, &a, 1, w.v1, "v1", "{\"cpu_pct\": 3.2}", T0 + 10, &e);
	CHECK(r != NULL);
	CHECK(json_is_true(json_object_get(r, "applied")));
	CHECK(json_is_false(json_object_get(r, "need_descriptor")));
	CHECK_STR(json_string_value(json_object_get(r, "verdict")), "validated");
	json_decref(r);
	/* The same seq again (a spooled report resent): acknowledged, not applied. */
	r = report(&w, &a, 1, w.v1, "v1", NULL, T0 + 20, &e);
	CHECK(json_is_false(json_object_get(r, "applied")));
	json_decref(r);
	/* A heartbeat with the same digest: applied, no descriptor needed. */
	r = report(&w, &a, 2, NULL, "v1", NULL, T0 + 30, &e);
	CHECK(json_is_true(json_object_get(r, "applied")));
	CHECK(json_is_false(json_object_get(r, "need_descriptor")));
	json_decref(r);
	/* A digest the server has no descriptor for: asked for it, heartbeat kept. */
	r = report(&w, &a, 3, NULL, "v9", NULL, T0 + 40, &e);
	CHECK(json_is_true(json_object_get(r, "applied")));
	CHECK(json_is_true(json_object_get(r, "need_descriptor")));
	json_decref(r);
	m = machine(&w, &w.contoso, a.machine_id);
	CHECK_INT(json_integer_value(json_object_get(m, "reports")), 3);
	CHECK_INT(json_integer_value(json_object_get(m, "seq")), 3);
	CHECK_STR(json_string_value(json_object_get(m, "verdict")), "validated");
	CHECK_INT(json_array_size(json_object_get(m, "history")), 1);
	json_decref(m);
	/* A report naming this machine sent with another machine's credential: 403. */
	{
		json_t *en2 = enroll(&w, &w.contoso, "web02", "web02", NULL, NULL), *out = NULL;
		struct monitor_agent b = { 0 };
		struct monitor_report *rep = NULL;
		char *digest = digest_of("v1");
		char *body = cv_xasprintf("{\"schema\": \"covalid.report/1\", \"machine\": \"%s\", \"seq\": 9, "
					  "\"observed_at\": \"2025-11-24T16:00:00Z\", \"descriptor_digest\": \"%s\"}",
					  a.machine_id, digest);

		agent_of(&w, en2, &b);
		CHECK_INT(monitor_report_parse(body, strlen(body), 0, w.ix, &rep, &e), 0);
		CHECK(monitor_report_apply(w.s, &b, rep, T0 + 50, &out, &e) < 0);
		CHECK_INT(e.http, 403);
		monitor_report_free(rep);
		monitor_agent_release(&b);
		json_decref(en2);
		free(digest);
		free(body);
	}
	monitor_agent_release(&a);
	json_decref(en);
	world_close(&w);
}

TEST(drift_and_return_are_told_with_the_difference)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	json_t *en, *ev, *m;
	char *k;

	world_open(&w);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	json_decref(report(&w, &a, 1, w.v1, "v1", NULL, T0 + 10, &e));
	json_decref(report(&w, &a, 2, w.v2, "v2", NULL, T0 + 20, &e));
	ev = last_event(&w, a.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.drifted");
	CHECK_STR(json_string_value(json_object_get(json_object_get(ev, "details"), "previous")), "validated");
	CHECK_STR(json_string_value(json_object_get(json_object_get(ev, "details"), "verdict")), "not-validated");
	/* The catalog's words for the row's "allowed_vcpus": [1]. */
	CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(ev, "details"), "differences"), 0)),
		  "2 vCPUs; validated for 1 (uni-processor)");
	CHECK_STR(json_string_value(json_object_get(ev, "summary")),
		  "web01 left its validated configuration: 2 vCPUs; validated for 1 (uni-processor)");
	CHECK_STR(json_string_value(json_object_get(ev, "at")), "2025-11-24T16:00:20Z");
	json_decref(ev);
	json_decref(report(&w, &a, 3, w.v1, "v1", NULL, T0 + 30, &e));
	ev = last_event(&w, a.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.returned");
	json_decref(ev);
	/* A heartbeat changes nothing: no event, no history. */
	json_decref(report(&w, &a, 4, NULL, "v1", NULL, T0 + 40, &e));
	k = kinds(&w, a.machine_id);
	CHECK_STR(k, "machine.returned machine.drifted machine.enrolled");
	free(k);
	m = machine(&w, &w.contoso, a.machine_id);
	CHECK_INT(json_array_size(json_object_get(m, "history")), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(m, "history"), 1), "verdict")),
		  "not-validated");
	json_decref(m);
	monitor_agent_release(&a);
	json_decref(en);
	world_close(&w);
}

TEST(a_revoked_configuration_makes_its_machines_drift)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	size_t n = 0;
	json_t *en, *ev;

	world_open(&w);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	json_decref(report(&w, &a, 1, w.v1, "v1", NULL, T0 + 10, &e));
	CHECK_INT(monitor_sweep_reverdict(w.s, w.ix, T0 + 20, NULL, &n), 0);
	CHECK_INT(n, 0); /* the same catalog: nothing changes */
	/* Both rows that validate the machine revoked by the owner. */
	CHECK_INT(program_revoke(w.s, "ms-hv2008-ws-rhel5.3-x86_64", NULL, "test", &e), 0);
	CHECK_INT(program_revoke(w.s, "ms-hv2008-hvs-rhel5.3-x86_64", NULL, "test", &e), 0);
	index_build(&w);
	{
		/* A server stopping: the pass gives up before the first machine. */
		atomic_bool stop = true;

		CHECK_INT(monitor_sweep_reverdict(w.s, w.ix, T0 + 30, &stop, &n), -ECANCELED);
	}
	CHECK_INT(monitor_sweep_reverdict(w.s, w.ix, T0 + 30, NULL, &n), 0);
	CHECK_INT(n, 1);
	ev = last_event(&w, a.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.drifted");
	CHECK_STR(json_string_value(json_object_get(json_object_get(ev, "details"), "previous")), "validated");
	json_decref(ev);
	monitor_agent_release(&a);
	json_decref(en);
	world_close(&w);
}

TEST(late_machines_are_told_once_and_resume)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	json_t *en, *out = NULL, *b = json_pack("{s:i}", "heartbeat_timeout_s", 60), *m;
	size_t n = 0;
	char *k;

	world_open(&w);
	CHECK_INT(monitor_settings_put(w.s, &w.contoso, NULL, b, &out, &e), 0);
	json_decref(out);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	json_decref(report(&w, &a, 1, w.v1, "v1", NULL, T0 + 100, &e));
	/* A server that started listening at T0 + 150 has heard 11 s of the
	 * 60 s silence at T0 + 161: not late yet (nor at T0 + 209). */
	CHECK_INT(monitor_sweep_late(w.s, T0 + 161, T0 + 150, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(monitor_sweep_late(w.s, T0 + 209, T0 + 150, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(monitor_sweep_late(w.s, T0 + 160, 0, &n), 0);
	CHECK_INT(n, 0); /* 60 s exactly: not yet past */
	CHECK_INT(monitor_sweep_late(w.s, T0 + 161, 0, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(monitor_sweep_late(w.s, T0 + 300, 0, &n), 0);
	CHECK_INT(n, 0); /* once until it reports */
	m = machine(&w, &w.contoso, a.machine_id);
	CHECK(json_is_true(json_object_get(m, "late")));
	json_decref(m);
	json_decref(report(&w, &a, 2, NULL, "v1", NULL, T0 + 400, &e));
	k = kinds(&w, a.machine_id);
	CHECK_STR(k, "machine.resumed machine.late machine.enrolled");
	free(k);
	m = machine(&w, &w.contoso, a.machine_id);
	CHECK(json_is_false(json_object_get(m, "late")));
	json_decref(m);
	/* A machine that enrolled and never reported goes late too. */
	json_decref(enroll(&w, &w.contoso, "web02", "web02", NULL, NULL));
	CHECK_INT(monitor_sweep_late(w.s, T0 + 61, 0, &n), 0);
	CHECK_INT(n, 1);
	monitor_agent_release(&a);
	json_decref(en);
	json_decref(b);
	world_close(&w);
}

TEST(thresholds_flag_and_clear)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	json_t *en, *out = NULL, *b = json_pack("{s:i, s:i}", "cpu_pct", 50, "clock_offset_ms", 1000), *ev, *m;

	world_open(&w);
	CHECK_INT(monitor_settings_put(w.s, &w.contoso, NULL, b, &out, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(out, "heartbeat_timeout_s")), MONITOR_DEFAULT_HEARTBEAT_TIMEOUT_S);
	json_decref(out);
	json_decref(b);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	json_decref(report(&w, &a, 1, w.v1, "v1", "{\"cpu_pct\": 97.5}", T0 + 10, &e));
	ev = last_event(&w, a.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.health");
	CHECK_STR(json_string_value(json_object_get(json_object_get(ev, "details"), "metric")), "cpu_pct");
	CHECK(json_number_value(json_object_get(json_object_get(ev, "details"), "value")) == 97.5);
	CHECK(json_number_value(json_object_get(json_object_get(ev, "details"), "threshold")) == 50);
	json_decref(ev);
	/* Still over: told once. */
	json_decref(report(&w, &a, 2, NULL, "v1", "{\"cpu_pct\": 99}", T0 + 20, &e));
	json_decref(report(&w, &a, 3, NULL, "v1", "{\"cpu_pct\": 10, \"clock_offset_ms\": -1500}", T0 + 30, &e));
	{
		char *k = kinds(&w, a.machine_id);

		CHECK_STR(k, "machine.health-cleared machine.health machine.health machine.enrolled");
		free(k);
	}
	m = machine(&w, &w.contoso, a.machine_id);
	CHECK_STR(json_string_value(json_array_get(json_object_get(m, "flags"), 0)), "clock");
	CHECK_INT(json_array_size(json_object_get(m, "flags")), 1);
	json_decref(m);
	/* A report that does not measure the clock keeps its flag, untold. */
	json_decref(report(&w, &a, 31, NULL, "v1", NULL, T0 + 35, &e));
	json_decref(report(&w, &a, 32, NULL, "v1", "{\"cpu_pct\": 11}", T0 + 36, &e));
	m = machine(&w, &w.contoso, a.machine_id);
	CHECK_INT(json_array_size(json_object_get(m, "flags")), 1);
	CHECK(json_number_value(json_object_get(json_object_get(m, "health"), "cpu_pct")) == 11);
	json_decref(m);
	{
		char *k = kinds(&w, a.machine_id);

		CHECK_STR(k, "machine.health-cleared machine.health machine.health machine.enrolled");
		free(k);
	}
	/* Components missing is a flag of its own; the clock measured within
	 * its threshold clears. */
	json_decref(report(&w, &a, 40, NULL, "v1", "{\"clock_offset_ms\": 3, \"components\": {\"missing\": [\"storvsc\"]}}",
			   T0 + 40, &e));
	m = machine(&w, &w.contoso, a.machine_id);
	CHECK(json_array_size(json_object_get(m, "flags")) == 1 &&
	      strcmp(json_string_value(json_array_get(json_object_get(m, "flags"), 0)), "components") == 0);
	json_decref(m);
	/* Settings are checked, the member named. */
	b = json_pack("{s:f}", "disk_pct", 150.0);
	CHECK(monitor_settings_put(w.s, &w.contoso, NULL, b, &out, &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK(strncmp(e.message, "disk_pct", 8) == 0);
	json_decref(b);
	b = json_pack("{s:i}", "colour", 1);
	CHECK(monitor_settings_put(w.s, &w.contoso, NULL, b, &out, &e) < 0);
	CHECK(strstr(e.message, "colour") != NULL);
	json_decref(b);
	CHECK(monitor_settings_get(w.s, &w.contoso, "fabrikam", &out, &e) < 0);
	CHECK_INT(e.http, 403);
	monitor_agent_release(&a);
	json_decref(en);
	world_close(&w);
}

/* Thresholds are cached (settings.c): a PUT applies from the next report
 * on, and another database's customer of the same name has its own. */
TEST(cached_thresholds_follow_their_changes)
{
	struct world w, w2;
	struct monitor_agent a = { 0 }, a2 = { 0 };
	struct program_error e = { 0 };
	json_t *en, *en2, *out = NULL, *b, *ev;

	world_open(&w);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	/* 60 % under the default 90: nothing (and the defaults now cached). */
	json_decref(report(&w, &a, 1, w.v1, "v1", "{\"cpu_pct\": 60}", T0 + 10, &e));
	ev = last_event(&w, a.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.enrolled");
	json_decref(ev);
	b = json_pack("{s:i}", "cpu_pct", 50);
	CHECK_INT(monitor_settings_put(w.s, &w.contoso, NULL, b, &out, &e), 0);
	json_decref(out);
	json_decref(b);
	json_decref(report(&w, &a, 2, NULL, "v1", "{\"cpu_pct\": 60}", T0 + 20, &e));
	ev = last_event(&w, a.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.health");
	CHECK(json_number_value(json_object_get(json_object_get(ev, "details"), "threshold")) == 50);
	json_decref(ev);
	/* A second database, its contoso at the defaults: 60 % is nothing there. */
	world_open(&w2);
	en2 = enroll(&w2, &w2.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w2, en2, &a2);
	json_decref(report(&w2, &a2, 1, w2.v1, "v1", "{\"cpu_pct\": 60}", T0 + 30, &e));
	ev = last_event(&w2, a2.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.enrolled");
	json_decref(ev);
	monitor_agent_release(&a2);
	json_decref(en2);
	world_close(&w2);
	monitor_agent_release(&a);
	json_decref(en);
	world_close(&w);
}

/* A report saying its agent's spool dropped reports: told once, as an
 * event with the count (docs/monitor.md, "dropped"). */
TEST(dropped_reports_are_told)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	struct monitor_report *rep = NULL;
	json_t *en, *out = NULL, *ev;
	char at[32], *text, *digest = digest_of("v1");
	char *k;

	world_open(&w);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	json_decref(report(&w, &a, 1, w.v1, "v1", NULL, T0 + 10, &e));
	cv_time_iso8601(T0 + 20, at, sizeof(at));
	text = cv_xasprintf("{\"schema\": \"covalid.report/1\", \"machine\": \"%s\", \"seq\": 9, \"observed_at\": \"%s\", "
			    "\"descriptor_digest\": \"%s\", \"dropped\": 7}",
			    a.machine_id, at, digest);
	for (int twice = 0; twice < 2; twice++) { /* the same report again: acknowledged, not told again */
		CHECK_INT(monitor_report_parse(text, strlen(text), 0, w.ix, &rep, &e), 0);
		CHECK_INT(monitor_report_apply(w.s, &a, rep, T0 + 20, &out, &e), 0);
		CHECK(json_is_boolean(json_object_get(out, "applied")) && json_is_true(json_object_get(out, "applied")) == !twice);
		json_decref(out);
		rep = monitor_report_free(rep);
	}
	ev = last_event(&w, a.machine_id);
	CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.reports-dropped");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(ev, "details"), "dropped")), 7);
	CHECK(strstr(json_string_value(json_object_get(ev, "summary")), "dropped 7 reports") != NULL);
	json_decref(ev);
	k = kinds(&w, a.machine_id);
	CHECK_STR(k, "machine.reports-dropped machine.enrolled");
	free(k);
	/* dropped 0: nothing to tell. */
	json_decref(report(&w, &a, 10, NULL, "v1", NULL, T0 + 30, &e));
	k = kinds(&w, a.machine_id);
	CHECK_STR(k, "machine.reports-dropped machine.enrolled");
	free(k);
	free(text);
	free(digest);
	monitor_agent_release(&a);
	json_decref(en);
	world_close(&w);
}

TEST(who_sees_which_machine)
{
	struct world w;
	struct monitor_agent a = { 0 };
	struct program_error e = { 0 };
	struct monitor_machine_filter f = { .late = -1, .limit = 50 };
	struct monitor_event_filter ef = { .after = 0, .limit = 100 };
	json_t *en, *list = NULL, *m;
	size_t i;
	json_t *ev;

	world_open(&w);
	en = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	agent_of(&w, en, &a);
	json_decref(enroll(&w, &w.owner, "db01", "db01", "fabrikam", NULL));
	CHECK(machine(&w, &w.fabrikam, a.machine_id) == NULL);
	CHECK(monitor_machine_visible(w.s, &w.fabrikam, a.machine_id, &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK(monitor_machine_visible(w.s, &w.microsoft, a.machine_id, &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK_INT(monitor_machine_list(w.s, &w.microsoft, &f, &list, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(list, "total")), 0);
	json_decref(list);
	/* A case with Microsoft on the machine: Microsoft may see it. */
	CHECK_INT(store_case_add(w.s, &(struct store_case_row){ .id = "case_1", .customer_id = "contoso",
								.vendor_id = "microsoft", .state = "new", .severity = 3,
								.doc = "{}", .machine_id = a.machine_id }),
		  0);
	m = machine(&w, &w.microsoft, a.machine_id);
	CHECK(m != NULL);
	json_decref(m);
	CHECK_INT(monitor_machine_list(w.s, &w.microsoft, &f, &list, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(list, "total")), 1);
	json_decref(list);
	/* The owner sees both; each customer its own. */
	CHECK_INT(monitor_machine_list(w.s, &w.owner, &f, &list, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(list, "total")), 2);
	json_decref(list);
	CHECK_INT(monitor_events_list(w.s, &w.fabrikam, &ef, &list, &e), 0);
	CHECK(json_array_size(json_object_get(list, "items")) == 1);
	json_array_foreach(json_object_get(list, "items"), i, ev)
		CHECK_STR(json_string_value(json_object_get(ev, "customer")), "fabrikam");
	json_decref(list);
	monitor_agent_release(&a);
	json_decref(en);
	world_close(&w);
}

TEST(the_fleet_now_and_over_time)
{
	struct world w;
	struct monitor_agent a = { 0 }, b = { 0 };
	struct program_error e = { 0 };
	json_t *en1, *en2, *f = NULL, *pt;

	world_open(&w);
	en1 = enroll(&w, &w.contoso, "web01", "web01", NULL, NULL);
	en2 = enroll(&w, &w.contoso, "web02", "web02", NULL, NULL);
	agent_of(&w, en1, &a);
	agent_of(&w, en2, &b);
	json_decref(report(&w, &a, 1, w.v1, "v1", NULL, T0 + 10, &e));
	json_decref(report(&w, &b, 1, w.v2, "v2", NULL, T0 + 10, &e));
	{
		/* First seen out of a validated configuration: told, without "left". */
		json_t *ev = last_event(&w, b.machine_id);

		CHECK_STR(json_string_value(json_object_get(ev, "kind")), "machine.drifted");
		CHECK_STR(json_string_value(json_object_get(ev, "summary")),
			  "web02 is not in a validated configuration (not-validated): 2 vCPUs; validated for 1 "
			  "(uni-processor)");
		CHECK(json_is_null(json_object_get(json_object_get(ev, "details"), "previous")));
		json_decref(ev);
	}
	CHECK_INT(monitor_sweep_sample(w.s, T0 + 300), 0);
	json_decref(report(&w, &b, 2, w.v1, "v1", NULL, T0 + 400, &e));
	CHECK_INT(monitor_sweep_sample(w.s, T0 + 600), 0);
	CHECK_INT(monitor_sweep_sample(w.s, T0 + 600), 0); /* the same second again: the first stands */
	CHECK_INT(monitor_fleet(w.s, &w.contoso, NULL, 1, T0 + 700, &f, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(f, "now"), "validated")), 2);
	CHECK_INT(json_array_size(json_object_get(f, "series")), 2);
	pt = json_array_get(json_object_get(f, "series"), 0);
	CHECK_STR(json_string_value(json_object_get(pt, "at")), "2025-11-24T16:05:00Z");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(pt, "counts"), "validated")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(pt, "counts"), "not-validated")), 1);
	pt = json_array_get(json_object_get(f, "series"), 1);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(pt, "counts"), "validated")), 2);
	json_decref(f);
	/* Fabrikam has no machines; a vendor has no fleet. */
	CHECK_INT(monitor_fleet(w.s, &w.fabrikam, NULL, 1, T0 + 700, &f, &e), 0);
	CHECK_INT(json_array_size(json_object_get(f, "series")), 0);
	json_decref(f);
	CHECK(monitor_fleet(w.s, &w.microsoft, NULL, 1, T0 + 700, &f, &e) < 0);
	CHECK_INT(e.http, 403);
	CHECK(monitor_fleet(w.s, &w.contoso, NULL, 0, T0 + 700, &f, &e) < 0);
	CHECK_INT(e.http, 400);
	monitor_agent_release(&a);
	monitor_agent_release(&b);
	json_decref(en1);
	json_decref(en2);
	world_close(&w);
}

TEST(reports_are_read_strictly)
{
	static const struct {
		const char *body, *needle;
		int http;
	} bad[] = {
		{ "{", "not valid JSON", 400 },
		{ "[]", "JSON object", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"colour\": 1}", "colour: unknown field", 400 },
		{ "{\"schema\": \"covalid.report/2\"}", "schema", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"web01\"}", "machine", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 0}", "seq", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-02-30T00:00:00Z\"}",
		  "observed_at", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"descriptor_digest\": \"ab\"}",
		  "descriptor_digest", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"descriptor_digest\": "
		  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"health\": {\"load\": [1, 2, 3, 4]}}",
		  "health.load", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"descriptor_digest\": "
		  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"health\": {\"disks\": [{\"path\": "
		  "\"/\", \"used_pct\": 101}]}}",
		  "health.disks[0].used_pct", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"descriptor_digest\": "
		  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"health\": {\"errors\": "
		  "{\"available\": false, \"count\": 3}}}",
		  "health.errors", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"descriptor_digest\": "
		  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"descriptor\": {\"gpu\": 1}}",
		  "gpu", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"schema\": \"covalid.report/1\"}", "not valid JSON", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"dropped\": -1}",
		  "dropped: ", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"dropped\": 1.5}",
		  "dropped: ", 400 },
		/* The descriptor is read from its text (report.c): the body's
		 * faults around it are still the body's, in jansson's words. */
		{ "{\"schema\": \"covalid.report/1\", \"descriptor\": {}, \"descriptor\": {}}", "duplicate object key", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"descriptor\": {\"vm\": {\"vcpus\": 1}}, }", "not valid JSON", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"descriptor_digest\": "
		  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"descriptor\": []}",
		  "descriptor: an object", 400 },
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, \"observed_at\": "
		  "\"2026-01-01T00:00:00Z\", \"descriptor_digest\": "
		  "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"descriptor\": {\"vm\": {\"vcpus\": \"two\"}}}",
		  "descriptor.vm.vcpus", 400 },
	};
	struct world w;

	world_open(&w);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct monitor_report *rep = NULL;
		struct program_error e = { 0 };

		CHECK(monitor_report_parse(bad[i].body, strlen(bad[i].body), 0, w.ix, &rep, &e) < 0);
		CHECK(rep == NULL);
		if (e.http != bad[i].http || !strstr(e.message, bad[i].needle) || strchr(e.message, '\n'))
			tap_fail(__FILE__, __LINE__, "body %zu: %d \"%s\", expected %d naming %s", i, e.http, e.message,
				 bad[i].http, bad[i].needle);
	}
	{
		struct monitor_report *rep = NULL;
		struct program_error e = { 0 };

		CHECK(monitor_report_parse("{}", 2000000, 1000, w.ix, &rep, &e) < 0);
		CHECK_INT(e.http, 413);
	}
	/* A log line is the machine's own text: a tab in it is kept, a line
	 * over 256 bytes is not. */
	{
		static const char head[] = "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, "
					   "\"observed_at\": \"2026-01-01T00:00:00Z\", \"descriptor_digest\": "
					   "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"health\": "
					   "{\"errors\": {\"count\": 1, \"recent\": [\"";
		struct monitor_report *rep = NULL;
		struct program_error e = { 0 };
		char long_line[300], *body;

		body = cv_xasprintf("%skernel: sd 0:0:0:0:\\tI/O error\"]}}}", head);
		CHECK_INT(monitor_report_parse(body, strlen(body), 0, w.ix, &rep, &e), 0);
		rep = monitor_report_free(rep);
		free(body);
		memset(long_line, 'x', 257);
		long_line[257] = '\0';
		body = cv_xasprintf("%s%s\"]}}}", head, long_line);
		CHECK(monitor_report_parse(body, strlen(body), 0, w.ix, &rep, &e) < 0);
		CHECK(strstr(e.message, "health.errors.recent[0]") != NULL);
		free(body);
	}
	world_close(&w);
}

/*
 * A credential once seen is remembered (agent-auth.c) so that reports cost
 * no lookup; a credential replaced where this process did not see it (by
 * another server on the same database) must still be refused, by the
 * check in the report's own write; one replaced here is forgotten at once.
 */
TEST(a_remembered_credential_is_refused_once_replaced)
{
	struct world w;
	struct monitor_agent a = { 0 }, b = { 0 }, c = { 0 };
	struct program_error e = { 0 };
	bool created = false;
	json_t *first, *second, *third, *out, *m;
	const char *id;

	world_open(&w);
	first = enroll(&w, &w.contoso, "db01", "db01", NULL, &created);
	id = json_string_value(json_object_get(first, "machine"));
	agent_of(&w, first, &a); /* remembered from now on */
	out = report(&w, &a, 1, NULL, "d1", NULL, T0 + 60, &e);
	CHECK(out && json_is_true(json_object_get(out, "applied")));
	json_decref(out);
	/* Replaced behind this process's back: the store's own call, as
	 * another server's enrollment would make it. */
	CHECK_INT(store_machine_reenroll(w.s, id, "db01", "0000000000000000000000000000000000000000000000000000000000000000", 60),
		  0);
	CHECK_INT(monitor_agent_authenticate(w.s, json_string_value(json_object_get(first, "credential")), &b, &e), 0);
	memset(&e, 0, sizeof(e));
	CHECK(report(&w, &b, 2, NULL, "d1", NULL, T0 + 120, &e) == NULL);
	CHECK_INT(e.http, 401);
	CHECK(strstr(e.message, "replaced") != NULL);
	m = machine(&w, &w.contoso, id);
	CHECK_INT(json_integer_value(json_object_get(m, "reports")), 1); /* nothing of it written */
	json_decref(m);
	/* Enrolled again through the program: the credential before is forgotten at once. */
	second = enroll(&w, &w.contoso, "db01", "db01", NULL, &created);
	monitor_agent_release(&b);
	agent_of(&w, second, &b);
	third = enroll(&w, &w.contoso, "db01", "db01", NULL, &created);
	memset(&e, 0, sizeof(e));
	CHECK(monitor_agent_authenticate(w.s, json_string_value(json_object_get(second, "credential")), &c, &e) < 0);
	CHECK_INT(e.http, 401);
	monitor_agent_release(&c);
	agent_of(&w, third, &c);
	out = report(&w, &c, 2, NULL, "d1", NULL, T0 + 180, &e);
	CHECK(out && json_is_true(json_object_get(out, "applied")));
	json_decref(out);
	monitor_agent_release(&a);
	monitor_agent_release(&b);
	monitor_agent_release(&c);
	json_decref(first);
	json_decref(second);
	json_decref(third);
	world_close(&w);
}

/* ---- the pull reader (report-read.c): as strict as the tree reader it replaced ---- */

#define HEAD                                                                                          \
	"{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": 1, "        \
	"\"observed_at\": \"2026-01-01T00:00:00Z\", \"descriptor_digest\": "                          \
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

/* Parses body[0..len) (no catalog); the error's "http code message", or "ok". */
static char *verdict_of(const char *body, size_t len)
{
	struct monitor_report *rep = NULL;
	struct program_error e = { 0 };
	char *v;

	if (monitor_report_parse(body, len, 0, NULL, &rep, &e) == 0) {
		monitor_report_free(rep);
		return cv_xstrdup("ok");
	}
	v = cv_xasprintf("%d %s %s", e.http, e.code, e.message);
	if (rep != NULL || strchr(e.message, '\n'))
		tap_fail(__FILE__, __LINE__, "a refusal with a report or a message of several lines: %s", v);
	return v;
}

/* Each body against the start of its refusal ("400 invalid_field health.load: ...");
 * the messages are the member checks' of report.c before the pull reader
 * (docs/monitor.md, "Limits": the field named; malformed JSON, duplicate
 * keys, invalid UTF-8: 400 malformed_json). */
TEST(hostile_reports_are_refused_naming_the_fault)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		/* duplicate keys, at every level, also when spelt with an escape */
		{ HEAD ", \"seq\": 2}", "400 malformed_json the body is not valid JSON: line 1 column " },
		{ HEAD ", \"sch\\u0065ma\": \"covalid.report/1\"}", "400 malformed_json the body is not valid JSON" },
		{ HEAD ", \"health\": {\"cpu_pct\": 1, \"cpu_pct\": 2}}", "400 malformed_json" },
		{ HEAD ", \"health\": {\"disks\": [{\"path\": \"/\", \"path\": \"/x\", \"used_pct\": 1}]}}", "400 malformed_json" },
		{ HEAD ", \"health\": {\"components\": {\"missing\": [], \"missing\": []}}}", "400 malformed_json" },
		{ HEAD ", \"health\": {\"errors\": {\"count\": 1, \"count\": 2}}}", "400 malformed_json" },
		{ HEAD ", \"descriptor\": {\"vm\": {}, \"vm\": {}}}", "400 malformed_json" },
		{ HEAD ", \"health\": {\"x\": {\"a\": 1, \"a\": 1}}}", "400 malformed_json" },
		/* wrong types, each member named */
		{ "{\"schema\": \"covalid.report/1\", \"machine\": \"m-0123456789abcdef\", \"seq\": \"1\"}",
		  "400 invalid_field seq: the report's number, a whole number from 1" },
		{ HEAD ", \"interval\": 5}", "400 invalid_field interval: seconds, 10 to 86400" },
		{ HEAD ", \"interval\": 60.0}", "400 invalid_field interval: seconds, 10 to 86400" },
		{ HEAD ", \"health\": []}", "400 invalid_field health: an object" },
		{ HEAD ", \"health\": null}", "400 invalid_field health: an object" },
		{ HEAD ", \"health\": {\"cpu_pct\": \"high\"}}", "400 invalid_field health.cpu_pct: a number from 0 to 100" },
		{ HEAD ", \"health\": {\"mem_pct\": -0.5}}", "400 invalid_field health.mem_pct: a number from 0 to 100" },
		{ HEAD ", \"health\": {\"mem_total_mib\": 1.5}}", "400 invalid_field health.mem_total_mib: a whole number" },
		{ HEAD ", \"health\": {\"vcpus\": 65537}}", "400 invalid_field health.vcpus: a whole number from 1 to 65536" },
		{ HEAD ", \"health\": {\"load\": {}}}", "400 invalid_field health.load: the 1, 5 and 15 minute loads" },
		{ HEAD ", \"health\": {\"load\": [1, -1]}}", "400 invalid_field health.load[1]: a number, 0 or more" },
		{ HEAD ", \"health\": {\"disks\": {}}}", "400 invalid_field health.disks: an array of at most 64 disks" },
		{ HEAD ", \"health\": {\"disks\": [5]}}", "400 invalid_field health.disks[0]: an object" },
		{ HEAD ", \"health\": {\"disks\": [{\"used_pct\": 1}]}}", "400 invalid_field health.disks[0].path: a string" },
		{ HEAD ", \"health\": {\"disks\": [{\"path\": \"/\"}]}}", "400 invalid_field health.disks[0].used_pct" },
		{ HEAD ", \"health\": {\"disks\": [{\"path\": \"/\", \"used_pct\": 1, \"free_mib\": -1}]}}",
		  "400 invalid_field health.disks[0].free_mib: a whole number of MiB, 0 or more" },
		{ HEAD ", \"health\": {\"clock_offset_ms\": \"12\"}}", "400 invalid_field health.clock_offset_ms: whole milliseconds" },
		{ HEAD ", \"health\": {\"clock_offset_ms\": 86400000001}}", "400 invalid_field health.clock_offset_ms" },
		{ HEAD ", \"health\": {\"components\": []}}", "400 invalid_field health.components: an object" },
		{ HEAD ", \"health\": {\"components\": {\"missing\": [\"tab\\there\"]}}}",
		  "400 invalid_field health.components.missing[0]: 1 printable character to 64 bytes" },
		{ HEAD ", \"health\": {\"components\": {\"present\": [\"\"]}}}", "400 invalid_field health.components.present[0]" },
		{ HEAD ", \"health\": {\"errors\": []}}", "400 invalid_field health.errors: an object" },
		{ HEAD ", \"health\": {\"errors\": {}}}", "400 invalid_field health.errors.count: a whole number, 0 or more" },
		{ HEAD ", \"health\": {\"errors\": {\"available\": true}}}",
		  "400 invalid_field health.errors.available: false (or absent, when counted)" },
		{ HEAD ", \"health\": {\"errors\": {\"available\": false, \"recent\": []}}}",
		  "400 invalid_field health.errors: count and recent go with a readable log" },
		{ HEAD ", \"health\": {\"errors\": {\"count\": 1, \"why\": \"x\"}}}",
		  "400 invalid_field health.errors.why: only with available: false" },
		{ HEAD ", \"health\": {\"errors\": {\"count\": 1, \"recent\": [1]}}}",
		  "400 invalid_field health.errors.recent[0]: a string (no NUL) of at most 256 bytes" },
		{ HEAD ", \"descriptor\": \"x\"}", "400 invalid_field descriptor: an object (covalid probe --json)" },
		/* unknown members, at any depth, named printably */
		{ HEAD ", \"bad\\nkey\\u001b\": 1}", "400 unknown_field bad?key?: unknown field" },
		{ HEAD ", \"health\": {\"temperature\": 40}}", "400 unknown_field health.temperature: unknown field" },
		{ HEAD ", \"health\": {\"disks\": [{\"path\": \"/\", \"used_pct\": 1, \"inode_pct\": 3}]}}",
		  "400 unknown_field health.disks[0].inode_pct: unknown field" },
		{ HEAD ", \"health\": {\"components\": {\"spare\": []}}}", "400 unknown_field health.components.spare: unknown field" },
		{ HEAD ", \"health\": {\"errors\": {\"count\": 1, \"oops\": 1}}}", "400 unknown_field health.errors.oops: unknown field" },
		/* which fault wins: the old reader's order, not the text's */
		{ "{\"seq\": 0, \"schema\": \"covalid.report/2\"}", "400 invalid_field schema: \"covalid.report/1\"" },
		{ "{\"schema\": \"covalid.report/2\", \"zzz\": 1}", "400 unknown_field zzz: unknown field" },
		{ HEAD ", \"health\": {\"cpu_pct\": 500, \"temperature\": 1}}", "400 unknown_field health.temperature" },
		{ HEAD ", \"health\": {\"errors\": {\"count\": -1}, \"cpu_pct\": 101}}", "400 invalid_field health.cpu_pct" },
		{ HEAD ", \"health\": {\"disks\": [{\"path\": \"/\", \"used_pct\": 1, \"free_mib\": -1}, 5]}}",
		  "400 invalid_field health.disks[0].free_mib" },
		{ HEAD ", \"health\": {\"load\": [-1, 2, 3, 4]}}", "400 invalid_field health.load: the 1, 5 and 15" },
		{ HEAD ", \"health\": {\"errors\": {\"why\": 5, \"count\": 1, \"recent\": [1]}}}",
		  "400 invalid_field health.errors.why: only with" },
		{ HEAD ", \"health\": {\"cpu_pct\": 500}, \"interval\": 1}", "400 invalid_field interval" },
		{ HEAD ", \"descriptor\": [], \"health\": {\"cpu_pct\": 500}}", "400 invalid_field health.cpu_pct" },
		/* a fault of the JSON anywhere wins over any member's */
		{ "{\"schema\": \"x\", \"seq\": 1,}", "400 malformed_json the body is not valid JSON" },
		{ HEAD ", \"health\": {\"cpu_pct\": 500}} x", "400 malformed_json the body is not valid JSON" },
		{ "[1, 2]", "400 malformed_json the body must be a JSON object" },
		{ "[1, 2", "400 malformed_json the body is not valid JSON" },
		{ "", "400 malformed_json the body is not valid JSON" },
		{ "\"report\"", "400 malformed_json the body is not valid JSON" },
		/* bad UTF-8, \u0000, lone surrogates */
		{ HEAD ", \"health\": {\"disks\": [{\"path\": \"/\xff\xfe\", \"used_pct\": 1}]}}", "400 malformed_json" },
		{ HEAD ", \"\xc0\xaf\": 1}", "400 malformed_json" },
		{ HEAD ", \"health\": {\"errors\": {\"count\": 1, \"recent\": [\"a\\u0000b\"]}}}", "400 malformed_json" },
		{ HEAD ", \"health\": {\"errors\": {\"count\": 1, \"recent\": [\"\\ud800\"]}}}", "400 malformed_json" },
		/* huge numbers */
		{ HEAD ", \"dropped\": 99999999999999999999}", "400 malformed_json the body is not valid JSON" },
		{ HEAD ", \"health\": {\"cpu_pct\": 1e400}}", "400 malformed_json the body is not valid JSON" },
		{ HEAD ", \"health\": {\"mem_total_mib\": 1e2}}", "400 invalid_field health.mem_total_mib" },
		{ HEAD ", \"health\": {\"mem_total_mib\": 9223372036854775807, \"cpu_pct\": 1e-400}}", "ok" },
		{ HEAD ", \"health\": {\"disks\": [{\"path\": \"/\", \"used_pct\": -0, \"free_mib\": -0}]}}", "ok" },
		/* over-long arrays */
		{ HEAD ", \"health\": {\"errors\": {\"count\": 1, \"recent\": [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]}}}",
		  "400 invalid_field health.errors.recent: an array of at most 5 strings" },
		{ HEAD ", \"health\": {\"load\": [1, 2, 3, 4]}}", "400 invalid_field health.load: the 1, 5 and 15" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
		char *v = verdict_of(cases[i].body, strlen(cases[i].body));

		if (strncmp(v, cases[i].want, strlen(cases[i].want)) != 0)
			tap_fail(__FILE__, __LINE__, "body %zu: \"%s\", expected \"%s...\"", i, v, cases[i].want);
		free(v);
	}
}

/* Built bodies: too deep, NUL bytes, truncation, long lists. */
TEST(hostile_reports_built_to_size)
{
	struct cv_buf b;
	char *v, *good;
	size_t n;

	/* Nesting past jansson's 2048 levels, inside health. */
	cv_buf_init(&b, SIZE_MAX);
	CHECK_INT(cv_buf_puts(&b, HEAD ", \"health\": {\"errors\": {\"count\": 1, \"recent\": "), 0);
	for (int i = 0; i < 2100; i++)
		CHECK_INT(cv_buf_puts(&b, "["), 0);
	v = verdict_of(b.data, b.len);
	CHECK(strstr(v, "400 malformed_json") == v && strstr(v, "maximum parsing depth reached"));
	free(v);
	cv_buf_release(&b);
	/* A raw NUL: in a string, after a number (jansson 2.14 would skip
	 * that one), between members. */
	{
		static const char *const nul[] = { HEAD ", \"health\": {\"disks\": [{\"path\": \"/@\", \"used_pct\": 1}]}}",
						   HEAD ", \"dropped\": 1@}", HEAD ",@\"dropped\": 1}" };

		for (size_t i = 0; i < CV_ELEMENTSOF(nul); i++) {
			char *t = cv_xstrdup(nul[i]);

			n = strlen(t);
			*strchr(t, '@') = '\0';
			v = verdict_of(t, n);
			if (strncmp(v, "400 malformed_json", 18) != 0)
				tap_fail(__FILE__, __LINE__, "NUL %zu: %s", i, v);
			free(v);
			free(t);
		}
	}
	/* Every truncation of a good report is refused as not JSON; the whole
	 * of it, with trailing whitespace, is a report. */
	good = cv_xstrdup(HEAD ", \"interval\": 60, \"health\": {\"cpu_pct\": 3.2, \"load\": [0.1, 0.2, 0.3], "
			       "\"disks\": [{\"path\": \"/\", \"used_pct\": 55.1, \"free_mib\": 10240}], \"clock_offset_ms\": null, "
			       "\"components\": {\"expected\": [\"hv_vmbus\"], \"present\": [\"hv_vmbus\"], \"missing\": []}, "
			       "\"errors\": {\"count\": 2, \"recent\": [\"kernel: \\\"x\\\"\"]}}} \n");
	n = strlen(good);
	for (size_t k = 0; k + 2 < n; k++) {
		v = verdict_of(good, k);
		if (strncmp(v, "400 malformed_json", 18) != 0)
			tap_fail(__FILE__, __LINE__, "truncated at %zu: %s", k, v);
		free(v);
	}
	v = verdict_of(good, n);
	CHECK_STR(v, "ok");
	free(v);
	free(good);
	/* 65 disks, 65 components, a path over 4096 bytes, a name over 64. */
	{
		static const struct {
			const char *head, *item, *tail;
			int count;
			const char *want;
		} lists[] = {
			{ ", \"health\": {\"disks\": [", "{\"path\": \"/\", \"used_pct\": 1}", "]}}", MONITOR_DISKS_MAX + 1,
			  "400 invalid_field health.disks: an array of at most 64 disks" },
			{ ", \"health\": {\"disks\": [", "{\"path\": \"/\", \"used_pct\": 1}", "]}}", MONITOR_DISKS_MAX, "ok" },
			{ ", \"health\": {\"components\": {\"missing\": [", "\"m\"", "]}}}", MONITOR_COMPONENTS_MAX + 1,
			  "400 invalid_field health.components.missing: an array of at most 64 strings" },
			{ ", \"health\": {\"disks\": [{\"used_pct\": 1, \"path\": \"", "x", "\"}]}}", 4097,
			  "400 invalid_field health.disks[0].path: a string (no NUL) of at most 4096 bytes" },
			{ ", \"health\": {\"disks\": [{\"used_pct\": 1, \"path\": \"", "x", "\"}]}}", 4096, "ok" },
			{ ", \"health\": {\"components\": {\"expected\": [\"", "c", "\"]}}}", 65,
			  "400 invalid_field health.components.expected[0]: 1 printable character to 64 bytes" },
		};

		for (size_t i = 0; i < CV_ELEMENTSOF(lists); i++) {
			bool text = lists[i].item[0] != '{' && lists[i].item[0] != '"';

			cv_buf_init(&b, SIZE_MAX);
			CHECK_INT(cv_buf_puts(&b, HEAD), 0);
			CHECK_INT(cv_buf_puts(&b, lists[i].head), 0);
			for (int k = 0; k < lists[i].count; k++)
				CHECK_INT(cv_buf_printf(&b, "%s%s", k && !text ? ", " : "", lists[i].item), 0);
			CHECK_INT(cv_buf_puts(&b, lists[i].tail), 0);
			v = verdict_of(b.data, b.len);
			if (strncmp(v, lists[i].want, strlen(lists[i].want)) != 0)
				tap_fail(__FILE__, __LINE__, "list %zu: \"%s\", expected \"%s...\"", i, v, lists[i].want);
			free(v);
			cv_buf_release(&b);
		}
	}
}

/* The stored health text is jansson's json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) of the same health, byte for byte (what the store
 * held before, and what machines.c and the API read back). */
TEST(health_text_is_jansson_dump)
{
	static const char *const healths[] = {
		"{\"cpu_pct\": 12.5, \"mem_pct\": 1e2, \"mem_total_mib\": 2048, \"load\": [0.1, 0.2, 0.3], \"vcpus\": 2}",
		"{\"cpu_pct\": -0, \"mem_pct\": -0.0, \"load\": [1E1, 2.5e-3, 0.00001]}",
		"{\"cpu_pct\": 3.2, \"mem_pct\": 41.0, \"load\": [123456789.123, 1e-300, 5e-324]}",
		"{\"mem_total_mib\": 9223372036854775807, \"clock_offset_ms\": -86400000000}",
		"{\"clock_offset_ms\": null, \"vcpus\": 65536}",
		"{\"disks\": [{\"path\": \"/\", \"used_pct\": 55.1, \"free_mib\": 10240}, {\"used_pct\": 100, \"path\": "
		"\"C:\\\\ \\\"x\\\" \\/ \\u00e9 \\ud83d\\ude00 \\u2028 \\u007f \\b\\f\\n\\r\\t \\u0001\\u001f é\"}]}",
		"{\"errors\": {\"count\": 2, \"recent\": [\"kernel: sd 0:0:0:0: \\tI/O error\", \"\\u00fcber\", \"\"]}, "
		"\"components\": {\"missing\": [\"storvsc\"], \"expected\": [\"hv_vmbus\", \"storvsc\"], \"present\": []}}",
		"{\"errors\": {\"available\": false, \"why\": \"no journal \\\"here\\\"\"}}",
		"{\"errors\": {\"why\": \"x\", \"available\": false}, \"components\": {}}",
		"{}",
		" {\n\t\"cpu_pct\" :\r 1 , \"load\" : [ ] , \"disks\" : [ ] } ",
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(healths); i++) {
		char *body = cv_xasprintf(HEAD ", \"health\": %s}", healths[i]), *want;
		json_t *h = json_loads(healths[i], JSON_REJECT_DUPLICATES, NULL);
		struct monitor_report_body rb;
		struct monitor_health again;
		struct program_error e = { 0 };

		CHECK(h != NULL);
		want = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (monitor_report_read(body, strlen(body), &rb, &e) < 0) {
			tap_fail(__FILE__, __LINE__, "health %zu refused: %s", i, e.message);
		} else {
			CHECK(rb.has_health);
			if (strcmp(rb.health.text, want) != 0 || rb.health.text_len != strlen(want))
				tap_fail(__FILE__, __LINE__, "health %zu: %s, jansson %s", i, rb.health.text, want);
			/* The stored text reads back as itself. */
			CHECK_INT(monitor_health_parse(rb.health.text, rb.health.text_len, &again, &e), 0);
			CHECK_STR(again.text, want);
			monitor_health_release(&again);
		}
		monitor_health_release(&rb.health);
		json_decref(h);
		free(want);
		free(body);
	}
	/* Any JSON: the generic compact writer is jansson's too. */
	{
		static const char *const docs[] = { "[1, -1, 0.5, 1e22, 1e21, 1e16, 1e17, -1.5e-7, 100000000000000000000.0]",
						    "{\"a\": {\"b\": [true, false, null, {}, []]}, \"\\u0000x\": 1}",
						    "[\"\\u0000\"]", "{\"k\\\"\\\\\": \"v\"}", "[0.1, 0.30000000000000004, 1.7976931348623157e308]" };

		for (size_t i = 0; i < CV_ELEMENTSOF(docs); i++) {
			json_t *j = json_loads(docs[i], JSON_REJECT_DUPLICATES, NULL);
			char *want = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL,
			     *got = monitor_json_compact(docs[i], strlen(docs[i]), NULL);

			if (!cv_streq(want, got))
				tap_fail(__FILE__, __LINE__, "doc %zu: %s, jansson %s", i, got ? got : "(refused)",
					 want ? want : "(refused)");
			json_decref(j);
			free(want);
			free(got);
		}
	}
}

/* Reals are written without printf for most magnitudes (report-read.c,
 * g17_fixed()): the same text as jansson's "%.17g" for random doubles of
 * every magnitude and for short decimals, as agents send them. */
TEST(reals_are_written_as_jansson_writes_them)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int doc = 0; doc < 200; doc++) {
		struct cv_buf b;
		json_t *j;
		char *want, *got;

		cv_buf_init(&b, SIZE_MAX);
		CHECK_INT(cv_buf_puts(&b, "["), 0);
		for (int i = 0; i < 1000; i++) {
			double v;
			uint64_t bits;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (i % 3 == 0) {
				/* any finite double, magnitudes 2^-30 .. 2^70 and beyond */
				bits = (x & 0x800fffffffffffffull) | ((uint64_t)(1023 - 40 + (x >> 52) % 120) << 52);
				memcpy(&v, &bits, sizeof(v));
				CHECK_INT(cv_buf_printf(&b, "%s%.17g", i ? "," : "", v), 0);
			} else if (i % 3 == 1) {
				CHECK_INT(cv_buf_printf(&b, "%s%u.%0*u", i ? "," : "", (unsigned)(x % 100000), (int)(1 + (x >> 40) % 6),
							(unsigned)((x >> 20) % 1000000)),
					  0);
			} else {
				/* halfway and near-integer values: rounding at the 17th digit */
				CHECK_INT(cv_buf_printf(&b, "%s%llu.5", i ? "," : "", (unsigned long long)(x % 100000000000000000ull)), 0);
			}
		}
		CHECK_INT(cv_buf_puts(&b, "]"), 0);
		j = json_loadb(b.data, b.len, 0, NULL);
		CHECK(j != NULL);
		want = json_dumps(j, JSON_COMPACT);
		got = monitor_json_compact(b.data, b.len, NULL);
		if (!cv_streq(want, got)) {
			size_t k = 0;

			while (want && got && want[k] == got[k])
				k++;
			tap_fail(__FILE__, __LINE__, "doc %d differs at %zu: ...%.40s, jansson ...%.40s", doc, k,
				 got ? got + (k > 20 ? k - 20 : 0) : "(refused)", want ? want + (k > 20 ? k - 20 : 0) : "");
			doc = 200;
		}
		free(want);
		free(got);
		json_decref(j);
		cv_buf_release(&b);
	}
}

static char *flags_of(const char *health_text, const struct monitor_thresholds *t, int vcpus, json_t **ret_details)
{
	struct monitor_health h;
	struct program_error e = { 0 };
	struct cv_strv f = { 0 };
	char *words;

	*ret_details = NULL;
	CHECK_INT(monitor_health_parse(health_text, strlen(health_text), &h, &e), 0);
	monitor_health_flags(&h, t, vcpus, &f, ret_details);
	words = cv_strv_join(&f, " ");
	cv_strv_release(&f);
	monitor_health_release(&h);
	return words;
}

/* The flags against docs/monitor.md's "Thresholds": percentages and load
 * strictly above, errors at or above (0: never), the clock either way,
 * components when any is missing; a member not sent, a null clock or an
 * unreadable log measures nothing. */
TEST(health_flags_follow_the_thresholds)
{
	static const struct monitor_thresholds t = { .heartbeat_timeout_s = 300, .clock_offset_ms = 2000, .errors = 1,
						     .cpu_pct = 90, .mem_pct = 90, .disk_pct = 90, .load_per_vcpu = 4.0 };
	static const struct {
		const char *health;
		int vcpus;
		const char *flags;
	} cases[] = {
		{ "{\"cpu_pct\": 90, \"mem_pct\": 90, \"disks\": [{\"path\": \"/\", \"used_pct\": 90}], \"load\": [8.0], "
		  "\"clock_offset_ms\": -2000, \"errors\": {\"count\": 0}, \"components\": {\"missing\": []}}",
		  2, "" },
		{ "{\"cpu_pct\": 90.5}", 0, "cpu" },
		{ "{\"mem_pct\": 97}", 0, "mem" },
		{ "{\"disks\": [{\"path\": \"/\", \"used_pct\": 10}, {\"path\": \"/var\", \"used_pct\": 90.1}]}", 0, "disk" },
		{ "{\"load\": [8.1, 0, 0]}", 2, "load" },
		{ "{\"load\": [8.1], \"vcpus\": 4}", 0, "" },  /* the health's vCPUs when the machine's are unknown */
		{ "{\"load\": [4.5]}", 0, "load" },           /* else 1 */
		{ "{\"clock_offset_ms\": -2001}", 0, "clock" },
		{ "{\"clock_offset_ms\": null}", 0, "" },
		{ "{\"errors\": {\"count\": 1}}", 0, "errors" },
		{ "{\"errors\": {\"available\": false}}", 0, "" },
		{ "{\"components\": {\"missing\": [\"storvsc\", \"netvsc\"]}}", 0, "components" },
		{ "{\"cpu_pct\": 100, \"mem_pct\": 100, \"errors\": {\"count\": 9}}", 0, "cpu mem errors" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
		json_t *d = NULL;
		char *f = flags_of(cases[i].health, &t, cases[i].vcpus, &d);

		if (strcmp(f, cases[i].flags) != 0)
			tap_fail(__FILE__, __LINE__, "health %zu: flags \"%s\", expected \"%s\"", i, f, cases[i].flags);
		/* No flag, nothing made. */
		if (!cases[i].flags[0])
			CHECK(d == NULL);
		json_decref(d);
		free(f);
	}
	{
		json_t *d = NULL;
		char *f = flags_of("{\"disks\": [{\"path\": \"/\", \"used_pct\": 95}], \"components\": {\"missing\": [\"storvsc\"]}, "
				   "\"load\": [10]}",
				   &t, 2, &d);
		json_t *disk = json_object_get(d, "disk"), *load = json_object_get(d, "load"),
		       *comp = json_object_get(d, "components");

		CHECK_STR(f, "disk load components");
		CHECK_STR(json_string_value(json_object_get(disk, "metric")), "disk_pct");
		CHECK(json_real_value(json_object_get(disk, "value")) == 95);
		CHECK(json_real_value(json_object_get(disk, "threshold")) == 90);
		CHECK_STR(json_string_value(json_object_get(disk, "path")), "/");
		CHECK(json_real_value(json_object_get(load, "value")) == 5);
		CHECK_STR(json_string_value(json_array_get(json_object_get(comp, "missing"), 0)), "storvsc");
		json_decref(d);
		free(f);
	}
	{
		/* Several disks over the line: one flag, the fullest disk's value and path together. */
		json_t *d = NULL;
		char *f = flags_of("{\"disks\": [{\"path\": \"/\", \"used_pct\": 10}, {\"path\": \"/var\", \"used_pct\": 93}, "
				   "{\"path\": \"/srv\", \"used_pct\": 99.5}, {\"path\": \"/home\", \"used_pct\": 91}]}",
				   &t, 1, &d);
		json_t *disk = json_object_get(d, "disk");

		CHECK_STR(f, "disk");
		CHECK(json_real_value(json_object_get(disk, "value")) == 99.5);
		CHECK_STR(json_string_value(json_object_get(disk, "path")), "/srv");
		json_decref(d);
		free(f);
	}
	{
		static const char text[] = "{\"clock_offset_ms\": null, \"errors\": {\"available\": false}, \"cpu_pct\": 1}";
		struct monitor_health h;
		struct program_error e = { 0 };

		CHECK_INT(monitor_health_parse(text, strlen(text), &h, &e), 0);
		CHECK(!monitor_health_measures(&h, "clock"));
		CHECK(!monitor_health_measures(&h, "errors"));
		CHECK(!monitor_health_measures(&h, "mem"));
		CHECK(monitor_health_measures(&h, "cpu"));
		CHECK(!monitor_health_measures(NULL, "cpu"));
		monitor_health_release(&h);
		CHECK(monitor_health_parse("{\"cpu_pct\": 101}", 16, &h, &e) < 0);
		CHECK_STR(e.message, "health.cpu_pct: a number from 0 to 100");
		monitor_health_release(&h);
	}
}

TAP_MAIN(enrolling_twice_is_one_machine, enrollment_is_checked, reports_apply_once,
	 drift_and_return_are_told_with_the_difference, a_revoked_configuration_makes_its_machines_drift,
	 late_machines_are_told_once_and_resume, thresholds_flag_and_clear, cached_thresholds_follow_their_changes,
	 dropped_reports_are_told, who_sees_which_machine,
	 the_fleet_now_and_over_time, reports_are_read_strictly, hostile_reports_are_refused_naming_the_fault,
	 hostile_reports_built_to_size, health_text_is_jansson_dump, reals_are_written_as_jansson_writes_them,
	 health_flags_follow_the_thresholds, a_remembered_credential_is_refused_once_replaced)
