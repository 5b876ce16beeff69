/*
 * test-program.c - the program's rules without HTTP: the validation
 * policy, tokens, vendors and keys, submissions (accepted, rejected,
 * refused, extending), revocation and who may do it.
 */
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>

#include "covalid/catalog.h"
#include "covalid/program.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "covalid/testlog.h"
#include "tap.h"

static const char *const default_required[] = {
	"env.fingerprint", "cpu.topology", "cpu.all_vcpus_execute", "cpu.feature_consistency", "time.monotonic",
	"time.cross_cpu_warp", "time.clocksource", "time.vdso", "time.rate_skew", "time.timer_latency",
	"irq.timer_delivery", "kernel.health", "kernel.pv_drivers", "mem.size", "mem.pattern", "storage.io_integrity",
	"net.loopback_integrity", "platform.security",
};

/* What a test log claims, and what its descriptor says (the same, unless a test says otherwise). */
struct logspec {
	const char *mode, *os, *ver, *arch, *hv, *hv_product, *hv_version, *hv_build, *started;
	int vcpus;
	int64_t memory_mib;
};

static json_t *or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/*
 * Measured values with which each check of the default policy passes under
 * threshold version 1 (src/testlog/derive.c: within 500 ppm, vDSO under
 * 200 ns and 3x faster, overshoot under 40 ms, every rate over half the
 * median, zero bad events); env.fingerprint and mem.size are made from
 * the log's claim.
 */
static const struct {
	const char *id, *measured;
} passing[] = {
	{ "cpu.topology", "{\"online\": 2, \"present\": 2, \"possible\": 2}" },
	{ "cpu.all_vcpus_execute", "{\"rates\": {\"cpu0\": 1.9e9, \"cpu1\": 2.0e9}, \"median\": 1.95e9}" },
	{ "cpu.feature_consistency", "{\"cpus\": 2, \"differing_cpus\": 0}" },
	{ "time.monotonic", "{\"samples\": 1000000, \"inversions\": 0}" },
	{ "time.cross_cpu_warp", "{\"exchanges\": 5000, \"warps\": 0}" },
	{ "time.clocksource", "{\"current\": \"tsc\"}" }, /* allowed on every hypervisor */
	{ "time.vdso", "{\"vdso_ns\": 21.5, \"syscall_ns\": 180.2}" },
	{ "time.rate_skew", "{\"ppm\": -3.25}" },
	{ "time.timer_latency", "{\"early\": 0, \"max_overshoot_ms\": 0.41}" },
	{ "irq.timer_delivery", "{\"deltas\": {\"cpu0\": 301, \"cpu1\": 297}}" },
	{ "kernel.health", "{\"tainted\": 0, \"signatures\": {\"call_trace\": 0}}" },
	{ "kernel.pv_drivers", "{\"missing\": [], \"present\": [\"virtio_net\"]}" },
	{ "mem.pattern", "{\"checked\": 67108864, \"mismatches\": 0}" },
	{ "storage.io_integrity", "{\"blocks\": 16, \"mismatching_blocks\": 0}" },
	{ "net.loopback_integrity", "{\"bytes\": 33554432, \"received_bytes\": 33554432, \"digests_match\": true}" },
	{ "platform.security", "{\"vulnerabilities\": {\"meltdown\": \"Not affected\"}, \"vulnerable\": 0, \"nx\": true}" },
};

static json_t *passing_measured(const char *id, const char *hv, const char *product, int64_t mem)
{
	if (strcmp(id, "env.fingerprint") == 0)
		return json_pack("{s:s, s:o, s:i}", "hypervisor", hv, "product", or_null(product), "conflicts", 0);
	if (strcmp(id, "mem.size") == 0)
		return json_pack("{s:I}", "memtotal_mib", (json_int_t)mem);
	for (size_t i = 0; i < sizeof(passing) / sizeof(passing[0]); i++)
		if (strcmp(passing[i].id, id) == 0)
			return json_loads(passing[i].measured, 0, NULL);
	return json_object();
}

/* A test log as the kit writes one: every check of the default policy
 * passed, with measured values that pass, the claim taken from the log's
 * own descriptor; no kit.thresholds, as logs had before it (version 1). */
static json_t *make_log_spec(const struct logspec *ls)
{
	json_t *results = json_array(), *desc;
	const char *arch = ls->arch ? ls->arch : "x86_64", *hv = ls->hv ? ls->hv : "kvm";
	const char *product = ls->hv ? ls->hv_product : "KVM";
	int64_t mem = ls->memory_mib ? ls->memory_mib : 4096;

	for (size_t i = 0; i < sizeof(default_required) / sizeof(default_required[0]); i++)
		json_array_append_new(results, json_pack("{s:s, s:s, s:o}", "id", default_required[i], "status", "pass",
							 "measured", passing_measured(default_required[i], hv, product, mem)));
	desc = json_pack("{s:s, s:{s:s, s:o, s:o, s:o}, s:{s:{s:s, s:s, s:n}, s:s}, s:{s:i, s:I}, s:{s:[], s:[]}}",
			 "schema", "covalid.descriptor/1", "hypervisor", "id", hv, "product", or_null(product), "version",
			 or_null(ls->hv_version), "build", or_null(ls->hv_build), "guest", "os", "id", ls->os, "version",
			 ls->ver, "osinfo", "arch", arch, "vm", "vcpus", ls->vcpus, "memory_mib", (json_int_t)mem,
			 "integration", "expected", "present");
	return json_pack("{s:s, s:{s:s, s:o}, s:s, s:s, s:o, s:{s:{s:s, s:s, s:s}, s:{s:s, s:o, s:o, s:o}, s:{s:i, s:I}}, "
			 "s:o}",
			 "schema", TESTLOG_SCHEMA, "kit", "mode", ls->mode ? ls->mode : "full", "options",
			 json_pack("{s:n, s:I}", "expect_vcpus", "expect_memory_mib", (json_int_t)mem), "started_at",
			 ls->started ? ls->started : "2026-11-20T10:00:00Z", "finished_at", ls->started ? ls->started : "2026-11-20T10:05:00Z",
			 "descriptor", desc, "claim", "guest", "os_id", ls->os, "version", ls->ver, "arch", arch,
			 "hypervisor", "id", hv, "product", or_null(product), "version", or_null(ls->hv_version), "build",
			 or_null(ls->hv_build), "vm", "vcpus", ls->vcpus, "memory_mib", (json_int_t)mem, "results",
			 results);
}

static json_t *make_log(const char *mode, const char *os, const char *ver, int vcpus)
{
	struct logspec ls = { .mode = mode, .os = os, .ver = ver, .vcpus = vcpus };

	return make_log_spec(&ls);
}

static json_t *result(json_t *log, const char *id)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(log, "results"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "id")), id) == 0)
			return x;
	return NULL;
}

static char *signed_bytes(json_t *log, const struct sign_key *k, size_t *len)
{
	if (testlog_sign(log, k) < 0)
		return NULL;
	return testlog_canonical(log, len);
}

struct world {
	struct store *s;
	struct sign_key rh, ms;
	char *rh_key_id, *ms_key_id;
};

/* A world in the database file name of the test's directory. */
static void world_open_at(struct world *w, const char *name)
{
	struct program_error e = { 0 };
	char *path = NULL, *err = NULL, *id = NULL, *pk;

	memset(w, 0, sizeof(*w));
	CHECK_INT(sign_init(), 0);
	if (asprintf(&path, "%s/%s", tap_tmpdir(), name) < 0)
		abort();
	CHECK_INT(store_open(path, &w->s, &err), 0);
	free(path);
	CHECK_INT(program_vendor_admit(w->s, "Red Hat", NULL, &id, &e), 0);
	CHECK_STR(id, "red-hat");
	free(id);
	CHECK_INT(program_vendor_admit(w->s, "Microsoft", NULL, &id, &e), 0);
	free(id);
	CHECK_INT(sign_key_generate(&w->rh), 0);
	CHECK_INT(sign_key_generate(&w->ms), 0);
	pk = sign_key_public_string(&w->rh);
	CHECK_INT(program_key_register(w->s, "red-hat", pk, &w->rh_key_id, &e), 0);
	free(pk);
	pk = sign_key_public_string(&w->ms);
	CHECK_INT(program_key_register(w->s, "microsoft", pk, &w->ms_key_id, &e), 0);
	free(pk);
}

static void world_open(struct world *w)
{
	world_open_at(w, "program.db");
}

static void world_close(struct world *w)
{
	store_close(w->s);
	sign_key_release(&w->rh);
	sign_key_release(&w->ms);
	free(w->rh_key_id);
	free(w->ms_key_id);
}

/* One of the project's data files (data/NAME) into the world's catalog. */
static void import_data(struct world *w, const char *name)
{
	struct catalog_import_stats st;
	char *path = NULL, *why = NULL;
	FILE *f;

	if (asprintf(&path, "%s/data/%s", tap_srcdir(), name) < 0)
		abort();
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(catalog_import(w->s, f, &st, &why), 0);
		fclose(f);
	}
	free(why);
	free(path);
}

static void import_seed(struct world *w)
{
	import_data(w, "validated-configs.jsonl");
}

static int count_cb(void *userdata, const struct store_submission_row *row)
{
	(void)row;
	(*(int *)userdata)++;
	return 0;
}

static int count_submissions(struct store *s, const char *vendor)
{
	int n = 0;

	if (store_submission_list(s, vendor, NULL, false, 1000, 0, count_cb, &n) < 0)
		return -1;
	return n;
}

TEST(policy_default_parses_and_matches_data_file)
{
	struct program_policy *p = NULL;
	struct program_error e = { 0 };
	char *path = NULL, *text = NULL;
	json_t *a, *b;
	FILE *f;
	long n;

	CHECK_INT(program_policy_parse(program_policy_default(), &p, &e), 0);
	program_policy_free(p);
	/* data/policy.json documents the built-in default: they must not drift. */
	if (asprintf(&path, "%s/data/policy.json", tap_srcdir()) < 0)
		abort();
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	a = json_loads(text, 0, NULL);
	b = json_loads(program_policy_default(), 0, NULL);
	json_object_del(a, "notes");
	CHECK(a && b && json_equal(a, b));
	json_decref(a);
	json_decref(b);
	free(text);
	free(path);
}

TEST(policy_rejects_bad_documents_naming_the_field)
{
	static const struct {
		const char *doc, *code, *needle;
	} bad[] = {
		{ "{", "malformed_json", "not valid JSON" },
		{ "[]", "invalid_policy", "schema" },
		{ "{\"schema\":\"covalid.policy/2\",\"modes\":[\"full\"],\"rules\":[]}", "invalid_policy", "schema" },
		{ "{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[],\"extra\":1}", "unknown_field", "extra" },
		{ "{\"schema\":\"covalid.policy/1\",\"modes\":[],\"rules\":[]}", "invalid_policy", "modes" },
		{ "{\"schema\":\"covalid.policy/1\",\"modes\":[\"fast\"],\"rules\":[]}", "invalid_policy", "fast" },
		{ "{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[]}", "invalid_policy", "rules" },
		{ "{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"x\",\"guest\":\"*\","
		  "\"hypervisor\":\"*\",\"required\":[],\"colour\":1}]}",
		  "unknown_field", "rules[0].colour" },
		{ "{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"x\",\"guest\":\"*\"}]}",
		  "invalid_policy", "rules[0]" },
		{ "{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"schema\":\"covalid.policy/1\",\"rules\":[]}",
		  "malformed_json", "duplicate" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct program_policy *p = NULL;
		struct program_error e = { 0 };

		CHECK_INT(program_policy_parse(bad[i].doc, &p, &e), -EINVAL);
		CHECK(p == NULL);
		CHECK_INT(e.http, 400);
		CHECK_STR(e.code, bad[i].code);
		if (!strstr(e.message, bad[i].needle))
			tap_fail(__FILE__, __LINE__, "policy %zu: \"%s\" does not name %s", i, e.message, bad[i].needle);
	}
}

/* The threshold sets of a policy (docs/policy.md "Thresholds"): each error names its field. */
TEST(policy_thresholds_are_checked_naming_the_field)
{
	static const struct {
		const char *path_set, *value, *needle;
	} bad[] = {
		{ "", "[]", "thresholds: expected 1 to 256 threshold sets" },
		{ "", "{}", "thresholds: expected 1 to 256 threshold sets" },
		{ "version", "0", "thresholds[0].version: expected an integer from 1" },
		{ "version", "\"1\"", "thresholds[0].version: expected an integer from 1" },
		{ "colour", "1", "thresholds[0].colour" },
		{ "notes", "1", "thresholds[0].notes: expected a string" },
		{ "checks", "[]", "thresholds[0].checks: expected an object of check ids" },
		{ "rate", "-5", "thresholds[0].checks.time.rate_skew.max_abs_ppm: expected a number >= 0" },
		{ "rate", "\"500\"", "thresholds[0].checks.time.rate_skew.max_abs_ppm: expected a number >= 0" },
		{ "twice", "", "thresholds[1].version: version 1 is given twice" },
	};
	struct program_policy *p = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct program_error e = { 0 };
		json_t *doc = json_loads(program_policy_default(), 0, NULL);
		json_t *set = json_array_get(json_object_get(doc, "thresholds"), 0);
		const char *w = bad[i].path_set;
		char *text;

		if (!*w)
			json_object_set_new(doc, "thresholds", json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		else if (strcmp(w, "rate") == 0)
			json_object_set_new(json_object_get(json_object_get(set, "checks"), "time.rate_skew"), "max_abs_ppm",
					    json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		else if (strcmp(w, "twice") == 0)
			json_array_append_new(json_object_get(doc, "thresholds"), json_deep_copy(set));
		else
			json_object_set_new(set, w, json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		text = json_dumps(doc, 0);
		CHECK_INT(program_policy_parse(text, &p, &e), -EINVAL);
		CHECK_INT(e.http, 400);
		if (!strstr(e.message, bad[i].needle))
			tap_fail(__FILE__, __LINE__, "thresholds %zu: \"%s\" does not say \"%s\"", i, e.message, bad[i].needle);
		free(text);
		json_decref(doc);
	}
	/* Without "thresholds" a policy judges by the built-in sets. */
	CHECK_INT(program_policy_parse("{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"x\","
				       "\"guest\":\"*\",\"hypervisor\":\"*\",\"required\":[]}]}",
				       &p, NULL),
		  0);
	program_policy_free(p);
}

TEST(policy_evaluation_gives_every_reason)
{
	struct program_policy *p = NULL;
	struct program_error e = { 0 };
	struct cv_strv why;
	json_t *log = make_log("full", "rhel", "9.4", 2);

	CHECK_INT(program_policy_parse(program_policy_default(), &p, &e), 0);
	cv_strv_init(&why);
	CHECK_STR(program_policy_evaluate(p, log, &why), "default");
	CHECK_INT(why.n, 0);

	/* A failed check, a skip the rule does not allow, one not run, the wrong mode: four reasons. */
	json_object_set_new(result(log, "time.monotonic"), "status", json_string("fail"));
	json_object_set_new(result(log, "time.monotonic"), "reason", json_string("went back 3 ms"));
	json_object_set_new(result(log, "mem.pattern"), "status", json_string("skip"));
	json_array_remove(json_object_get(log, "results"), 0); /* env.fingerprint */
	json_object_set_new(json_object_get(log, "kit"), "mode", json_string("quick"));
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 4);
	CHECK(cv_strv_contains(&why, "kit mode quick is not accepted (the policy accepts: full)"));
	CHECK(cv_strv_contains(&why, "required check time.monotonic: fail (went back 3 ms)"));
	CHECK(cv_strv_contains(&why, "required check env.fingerprint was not run"));
	CHECK(strstr(why.v[0], "mem.pattern") || strstr(why.v[1], "mem.pattern") || strstr(why.v[2], "mem.pattern") ||
	      strstr(why.v[3], "mem.pattern"));
	cv_strv_release(&why);

	/* An allowed skip passes. */
	json_decref(log);
	log = make_log("full", "rhel", "9.4", 2);
	json_object_set_new(result(log, "mem.size"), "status", json_string("skip"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 0);
	cv_strv_release(&why);

	/* Bare metal is never a validated configuration. */
	json_object_set_new(json_object_get(json_object_get(log, "claim"), "hypervisor"), "id", json_string("none"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 1);
	CHECK(strstr(why.v[0], "claims no hypervisor"));
	cv_strv_release(&why);
	json_decref(log);
	program_policy_free(p);
}

TEST(policy_first_matching_rule_applies)
{
	struct program_policy *p = NULL;
	struct program_error e = { 0 };
	struct cv_strv why;
	json_t *log = make_log("quick", "windows", "2022", 2);

	CHECK_INT(program_policy_parse("{\"schema\":\"covalid.policy/1\",\"modes\":[\"quick\"],\"rules\":["
				       "{\"name\":\"windows\",\"guest\":\"windows\",\"hypervisor\":\"*\",\"required\":[\"x.y\"]},"
				       "{\"name\":\"rest\",\"guest\":\"*\",\"hypervisor\":\"kvm\",\"required\":[]}]}",
				       &p, &e),
		  0);
	cv_strv_init(&why);
	CHECK_STR(program_policy_evaluate(p, log, &why), "windows");
	CHECK_INT(why.n, 1);
	cv_strv_release(&why);
	json_decref(log);
	log = make_log("quick", "rhel", "9", 2);
	cv_strv_init(&why);
	CHECK_STR(program_policy_evaluate(p, log, &why), "rest");
	CHECK_INT(why.n, 0);
	cv_strv_release(&why);
	json_object_set_new(json_object_get(json_object_get(log, "claim"), "hypervisor"), "id", json_string("xen"));
	cv_strv_init(&why);
	CHECK(program_policy_evaluate(p, log, &why) == NULL);
	CHECK(why.n == 1 && strstr(why.v[0], "no policy rule covers guest rhel on hypervisor xen"));
	cv_strv_release(&why);
	json_decref(log);
	program_policy_free(p);
}

/* required_when: the default policy wants the peer checks of a guest
 * whose descriptor shows a paravirtual NIC, and of no other. */
TEST(policy_required_when_follows_the_descriptor)
{
	static const char *const bad[][2] = {
		{ "[{\"descriptor\":\"vm.colour\",\"any_of\":[\"x\"],\"required\":[\"a.b\"]}]", "rules[0].required_when[0].descriptor" },
		{ "[{\"descriptor\":\"integration.present\",\"any_of\":[],\"required\":[\"a.b\"]}]", "rules[0].required_when[0]" },
		{ "[{\"descriptor\":\"integration.present\",\"any_of\":[\"x\"]}]", "rules[0].required_when[0]" },
		{ "[{\"descriptor\":\"integration.present\",\"any_of\":[\"x\"],\"required\":[\"a.b\"],\"if\":1}]",
		  "rules[0].required_when[0].if" },
		{ "{}", "rules[0].required_when" },
	};
	struct program_policy *p = NULL;
	struct program_error e = { 0 };
	struct cv_strv why;
	json_t *log = make_log("full", "rhel", "9.4", 2), *present;

	CHECK_INT(program_policy_parse(program_policy_default(), &p, &e), 0);
	/* No paravirtual NIC in the descriptor: not required. */
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 0);
	cv_strv_release(&why);

	/* virtio_net present: both required, and neither was run. */
	present = json_object_get(json_object_get(json_object_get(log, "descriptor"), "integration"), "present");
	json_array_append_new(present, json_string("virtio_balloon"));
	json_array_append_new(present, json_string("virtio_net"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 2);
	CHECK(cv_strv_contains(&why, "required check net.peer_transfer (the descriptor's integration.present has virtio_net) was not run"));
	CHECK(cv_strv_contains(&why, "required check time.reference (the descriptor's integration.present has virtio_net) was not run"));
	cv_strv_release(&why);

	/* Skipped (no --peer) is not allowed; passed is the pass. */
	json_array_append_new(json_object_get(log, "results"),
			      json_pack("{s:s, s:s, s:s}", "id", "net.peer_transfer", "status", "skip", "reason", "no --peer HOST:PORT given"));
	json_array_append_new(json_object_get(log, "results"), json_pack("{s:s, s:s}", "id", "time.reference", "status", "pass"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 1);
	CHECK_STR(why.v[0], "required check net.peer_transfer (the descriptor's integration.present has virtio_net) was skipped "
			    "(no --peer HOST:PORT given); the policy does not allow skipping it");
	cv_strv_release(&why);
	json_object_set_new(result(log, "net.peer_transfer"), "status", json_string("pass"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 0);
	cv_strv_release(&why);

	/* A paravirtual disk expected: storage.inventory, which fails when no
	 * disk is driven by it, is required; a pass is the pass. */
	json_array_append_new(json_object_get(json_object_get(json_object_get(log, "descriptor"), "integration"), "expected"),
			      json_string("virtio_storage"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 1);
	CHECK(cv_strv_contains(&why, "required check storage.inventory (the descriptor's integration.expected has "
				     "virtio_storage) was not run"));
	cv_strv_release(&why);
	json_array_append_new(json_object_get(log, "results"), json_pack("{s:s, s:s}", "id", "storage.inventory", "status", "pass"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 0);
	cv_strv_release(&why);
	program_policy_free(p);
	p = NULL;

	/* vm.nics.driver: the driver names of the NICs. */
	CHECK_INT(program_policy_parse("{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"r\","
				       "\"guest\":\"*\",\"hypervisor\":\"*\",\"required\":[],\"required_when\":[{\"descriptor\":"
				       "\"vm.nics.driver\",\"any_of\":[\"hv_netvsc\"],\"required\":[\"x.y\"]}]}]}",
				       &p, &e),
		  0);
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 0);
	cv_strv_release(&why);
	json_object_set_new(json_object_get(json_object_get(log, "descriptor"), "vm"), "nics",
			    json_pack("[{s:s, s:s}]", "name", "eth0", "driver", "hv_netvsc"));
	cv_strv_init(&why);
	program_policy_evaluate(p, log, &why);
	CHECK_INT(why.n, 1);
	CHECK_STR(why.v[0], "required check x.y (the descriptor's vm.nics.driver has hv_netvsc) was not run");
	cv_strv_release(&why);
	program_policy_free(p);
	json_decref(log);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *doc = cv_xasprintf("{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"r\","
					 "\"guest\":\"*\",\"hypervisor\":\"*\",\"required\":[],\"required_when\":%s}]}",
					 bad[i][0]);

		p = NULL;
		memset(&e, 0, sizeof(e));
		CHECK_INT(program_policy_parse(doc, &p, &e), -EINVAL);
		CHECK(p == NULL);
		CHECK_INT(e.http, 400);
		if (!strstr(e.message, bad[i][1]))
			tap_fail(__FILE__, __LINE__, "required_when %zu: \"%s\" does not name %s", i, e.message, bad[i][1]);
		free(doc);
	}
}

/* Expected times from GNU date: `date -u -d @1700000000 +%FT%TZ` and the
 * same at +90 days, +12 hours and +3660 days. */
TEST(token_expiry_takes_times_dates_and_durations)
{
	const int64_t now = 1700000000; /* 2023-11-14T22:13:20Z */
	static const struct {
		const char *in, *want;
	} good[] = {
		{ "90d", "2024-02-12T22:13:20Z" },
		{ "12h", "2023-11-15T10:13:20Z" },
		{ "3660d", "2033-11-21T22:13:20Z" },
		{ "1s", "2023-11-14T22:13:21Z" },
		{ "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z" },
		{ "2027-01-01", "2027-01-01T00:00:00Z" },
	};
	static const char *const bad[] = {
		"", "d", "0d", "-5d", "5x", "5 d", "3661d", "90D", "1.5d", "2023-11-14T22:13:20Z", /* now is not future */
		"2020-01-01", "2034-01-01T00:00:00Z", /* beyond 3660 days */
		"2027-02-30", "2027-01-01T00:00:00", "tomorrow", "99999999999d",
	};
	struct program_error e = { 0 };
	char out[21];

	for (size_t i = 0; i < CV_ELEMENTSOF(good); i++) {
		CHECK_INT(program_token_expiry(good[i].in, now, out, &e), 0);
		CHECK_STR(out, good[i].want);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(bad); i++) {
		memset(&e, 0, sizeof(e));
		if (program_token_expiry(bad[i], now, out, &e) >= 0)
			tap_fail(__FILE__, __LINE__, "expires '%s' was taken as %s", bad[i], out);
		CHECK_INT(e.http, 400);
		CHECK(strstr(e.message, "expires") != NULL);
	}
}

static int collect_token_ids(void *userdata, const struct store_token_row *row)
{
	cv_strv_push(userdata, row->id);
	return 0;
}

TEST(tokens_expire_and_record_their_last_use)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_auth a = { 0 };
	char *tok = NULL, *id = NULL, *tok2 = NULL, *id2 = NULL, *tok3 = NULL, *id3 = NULL, *hash = NULL;
	struct store_token_row *t = NULL;
	bool written = true;

	world_open(&w);
	/* Past its expiry: refused as a revoked one is, saying why. */
	CHECK_INT(program_token_issue_until(w.s, "red-hat", "old", "2001-01-01T00:00:00Z", &tok, &id, &e), 0);
	CHECK(program_authenticate(w.s, tok, &a, &e) < 0);
	CHECK_INT(e.http, 401);
	CHECK(strstr(e.message, "expired at 2001-01-01T00:00:00Z") != NULL);
	CHECK_INT(program_user_add_until(w.s, "Ann", "vendor-engineer", "red-hat", "2999-01-01T00:00:00Z", &tok2, &id2,
					 &e), 0);
	CHECK_INT(program_authenticate(w.s, tok2, &a, &e), 0);
	program_auth_release(&a);
	CHECK_INT(program_token_hash(w.s, tok2, &hash), 0);
	CHECK_INT(store_token_find(w.s, hash, &t), 0);
	CHECK_STR(t->expires_at, "2999-01-01T00:00:00Z");
	CHECK(t->last_used_at == NULL);
	store_token_free(t);
	t = NULL;

	/* A use is written once per interval: the second, within it, not. */
	CHECK_INT(store_token_touch(w.s, id2, "2026-01-01T00:00:00Z", "2025-12-31T23:59:00Z", &written), 0);
	CHECK(written);
	CHECK_INT(store_token_touch(w.s, id2, "2026-01-01T00:00:30Z", "2025-12-31T23:59:30Z", &written), 0);
	CHECK(!written);
	CHECK_INT(store_token_touch(w.s, id2, "2026-01-01T00:01:00Z", "2026-01-01T00:00:00Z", &written), 0);
	CHECK(!written); /* the stored use is not older than not_before */
	CHECK_INT(store_token_touch(w.s, id2, "2026-01-01T00:01:01Z", "2026-01-01T00:00:01Z", &written), 0);
	CHECK(written);
	CHECK_INT(store_token_find(w.s, hash, &t), 0);
	CHECK_STR(t->last_used_at, "2026-01-01T00:01:01Z");
	store_token_free(t);

	/* By last use: the most recent first, never used last (oldest first). */
	CHECK_INT(program_token_issue(w.s, NULL, "owner", &tok3, &id3, &e), 0);
	CHECK_INT(store_token_touch(w.s, id3, "2025-06-01T00:00:00Z", "2025-05-31T23:59:00Z", &written), 0);
	{
		struct cv_strv order;

		cv_strv_init(&order);
		CHECK_INT(store_token_list(w.s, STORE_TOKENS_BY_LAST_USE, collect_token_ids, &order), 0);
		CHECK_INT(order.n, 3);
		if (order.n == 3) {
			CHECK_STR(order.v[0], id2);
			CHECK_STR(order.v[1], id3);
			CHECK_STR(order.v[2], id);
		}
		cv_strv_release(&order);
		cv_strv_init(&order);
		/* By creation (the default), every token: made here within a
		 * second or two, their order among themselves may be the ids'. */
		CHECK_INT(store_token_list(w.s, STORE_TOKENS_BY_CREATION, collect_token_ids, &order), 0);
		CHECK_INT(order.n, 3);
		CHECK(cv_strv_contains(&order, id) && cv_strv_contains(&order, id2) && cv_strv_contains(&order, id3));
		cv_strv_release(&order);
	}
	free(tok);
	free(id);
	free(tok2);
	free(id2);
	free(tok3);
	free(id3);
	free(hash);
	world_close(&w);
}

TEST(tokens_are_stored_hashed_and_authenticate)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_auth a = { 0 };
	char *tok = NULL, *id = NULL, *hash = NULL, *tok2 = NULL, *id2 = NULL;
	struct store_token_row *t = NULL;

	world_open(&w);
	CHECK_INT(program_token_issue(w.s, "red-hat", "ci", &tok, &id, &e), 0);
	CHECK(strncmp(tok, "cv_", 3) == 0 && strlen(tok) == 46);
	CHECK(strncmp(id, "tok_", 4) == 0);
	/* What is stored is the keyed hash, never the token. */
	CHECK_INT(program_token_hash(w.s, tok, &hash), 0);
	CHECK(strlen(hash) == 64 && strstr(hash, tok + 3) == NULL);
	CHECK_INT(store_token_find(w.s, hash, &t), 0);
	CHECK_STR(t->id, id);
	CHECK_STR(t->role, "vendor");
	CHECK_STR(t->vendor_id, "red-hat");
	store_token_free(t);

	CHECK_INT(program_authenticate(w.s, tok, &a, &e), 0);
	CHECK(!a.admin);
	CHECK_STR(a.vendor_id, "red-hat");
	program_auth_release(&a);

	CHECK_INT(program_token_issue(w.s, NULL, "owner", &tok2, &id2, &e), 0);
	CHECK(strcmp(tok, tok2) != 0);
	CHECK_INT(program_authenticate(w.s, tok2, &a, &e), 0);
	CHECK(a.admin && a.vendor_id == NULL);
	program_auth_release(&a);

	/* Unknown, malformed, one character off, revoked: all 401. */
	tok[10] = tok[10] == 'A' ? 'B' : 'A';
	CHECK(program_authenticate(w.s, tok, &a, &e) < 0);
	CHECK_INT(e.http, 401);
	CHECK(program_authenticate(w.s, "", &a, &e) < 0);
	CHECK(program_authenticate(w.s, NULL, &a, &e) < 0);
	CHECK_INT(e.http, 401);
	CHECK_INT(store_token_revoke(w.s, id2), 0);
	CHECK(program_authenticate(w.s, tok2, &a, &e) < 0);
	CHECK_INT(e.http, 401);

	/* A token for a vendor that is not admitted is refused at issue. */
	CHECK(program_token_issue(w.s, "nobody", NULL, &tok2, &id2, &e) < 0 || (free(tok2), free(id2), 0));
	CHECK_INT(e.http, 404);
	free(tok);
	free(id);
	free(hash);
	world_close(&w);
}

TEST(vendors_and_keys)
{
	struct world w;
	struct program_error e = { 0 };
	char *id = NULL, *slug = program_vendor_slug("  SUSE  Linux GmbH! ");

	CHECK_STR(slug, "suse-linux-gmbh");
	free(slug);
	world_open(&w);
	CHECK(program_vendor_admit(w.s, "Red Hat", NULL, &id, &e) < 0);
	CHECK_INT(e.http, 409);
	CHECK(program_vendor_admit(w.s, "", NULL, &id, &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK(program_vendor_admit(w.s, "Oracle", "Not A Slug", &id, &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK(program_key_register(w.s, "nobody", "ed25519:AAAA", &id, &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK(program_key_register(w.s, "red-hat", "ed25519:not-base64", &id, &e) < 0);
	CHECK_INT(e.http, 400);
	{
		char *pk = sign_key_public_string(&w.rh);

		CHECK(program_key_register(w.s, "red-hat", pk, &id, &e) < 0);
		CHECK_INT(e.http, 409);
		free(pk);
	}
	world_close(&w);
}

/*
 * Issue 9, D14: weak public keys are refused at registration.  An
 * all-zero key, the small-order points (libsodium's blocklist: order 1,
 * 2, 4 and 8) and a non-canonical encoding (y = p) make no signature
 * anyone should accept; registering one is at best a mistake.
 */
TEST(key_register_refuses_weak_keys)
{
	static const char *const weak_hex[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0000000000000000000000000000000000000000000000000000000000000080",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	struct world w;

	world_open(&w);
	for (size_t i = 0; i < sizeof(weak_hex) / sizeof(weak_hex[0]); i++) {
		struct program_error e = { 0 };
		struct sign_key k;
		uint8_t raw[32];
		char *b64, *text, *why = NULL, *kid = NULL;

		for (size_t j = 0; j < 32; j++)
			CHECK(sscanf(weak_hex[i] + 2 * j, "%2hhx", &raw[j]) == 1);
		b64 = sign_base64_encode(raw, sizeof(raw));
		text = NULL;
		if (asprintf(&text, "ed25519:%s", b64) < 0)
			abort();
		CHECK(program_key_register(w.s, "red-hat", text, &kid, &e) < 0);
		if (kid)
			tap_fail(__FILE__, __LINE__, "weak key %zu registered as %s", i, kid);
		CHECK_INT(e.http, 400);
		CHECK_STR(e.code, "invalid_key");
		/* The parser itself refuses it, so kit verify --pubkey does too. */
		CHECK(sign_key_parse_public(text, &k, &why) < 0);
		CHECK(why && strstr(why, "not a valid Ed25519 public key"));
		free(why);
		free(kid);
		free(text);
		free(b64);
	}
	world_close(&w);
}

TEST(submission_accepted_creates_then_extends_a_configuration)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 }, sub2 = { 0 };
	json_t *log, *c;
	size_t len;
	char *bytes, *doc = NULL;

	world_open(&w);
	import_data(&w, "products.jsonl");
	log = make_log("full", "rhel", "9.4", 2);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	CHECK(sub.accepted && sub.created);
	CHECK_INT(sub.reasons.n, 0);
	CHECK_STR(sub.config_id, "red-hat:kvm-any-rhel9.4-x86_64");
	CHECK(strncmp(sub.id, "sub_", 4) == 0);
	free(bytes);

	/* A second log, with 8 vCPUs, extends it: two pieces of evidence, the limits widened. */
	json_decref(log);
	log = make_log("full", "rhel", "9.4", 8);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub2, &e), 0);
	CHECK(sub2.accepted && !sub2.created);
	CHECK_STR(sub2.config_id, sub.config_id);
	CHECK_INT(store_config_get(w.s, sub.config_id, &doc), 0);
	c = json_loads(doc, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(c, "status")), "validated");
	CHECK_INT(json_array_size(json_object_get(c, "evidence")), 2);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "limits"), "max_vcpus")), 8);
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "validated_by"), 0)), "Red Hat");
	CHECK_STR(json_string_value(json_object_get(json_object_get(c, "guest"), "vendor")), "Red Hat");
	json_decref(c);
	free(doc);
	CHECK_INT(count_submissions(w.s, "red-hat"), 2);
	CHECK_INT(count_submissions(w.s, "microsoft"), 0);
	program_submission_release(&sub);
	program_submission_release(&sub2);
	free(bytes);
	json_decref(log);
	world_close(&w);
}

static json_t *config_part(struct world *w, const char *id, const char *part)
{
	char *doc = NULL;
	json_t *c = NULL, *p;

	CHECK_INT(store_config_get(w->s, id, &doc), 0);
	if (doc)
		c = json_loads(doc, 0, NULL);
	free(doc);
	p = json_incref(json_object_get(c, part));
	json_decref(c);
	return p;
}

/* The vendors a new configuration names are the catalog products'
 * (data/products.jsonl: Red Hat's and Microsoft's); where no product
 * says, what the guest and the probe call themselves. */
TEST(submission_names_vendors_from_the_products)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	struct logspec ls = { .mode = "full", .os = "windows", .ver = "2008", .vcpus = 2, .hv = "microsoft",
			      .hv_product = "Windows Server 2008 Hyper-V", .hv_build = "6002" };
	json_t *log, *part;
	size_t len;
	char *bytes;

	world_open(&w);
	/* No products yet. */
	log = make_log("full", "rhel", "9.4", 2);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	CHECK(sub.accepted && sub.created);
	part = config_part(&w, sub.config_id, "guest");
	CHECK_STR(json_string_value(json_object_get(part, "vendor")), "rhel");
	json_decref(part);
	part = config_part(&w, sub.config_id, "hypervisor");
	CHECK_STR(json_string_value(json_object_get(part, "vendor")), "KVM");
	json_decref(part);
	program_submission_release(&sub);
	free(bytes);
	json_decref(log);

	/* The catalog's products: Windows on Hyper-V is Microsoft's twice;
	 * KVM ships from Red Hat and SUSE, and "KVM" names neither. */
	import_data(&w, "products.jsonl");
	log = make_log_spec(&ls);
	bytes = signed_bytes(log, &w.ms, &len);
	CHECK_INT(program_submit(w.s, "microsoft", bytes, len, &sub, &e), 0);
	CHECK(sub.accepted && sub.created);
	part = config_part(&w, sub.config_id, "guest");
	CHECK_STR(json_string_value(json_object_get(part, "vendor")), "Microsoft");
	json_decref(part);
	part = config_part(&w, sub.config_id, "hypervisor");
	CHECK_STR(json_string_value(json_object_get(part, "vendor")), "Microsoft");
	json_decref(part);
	program_submission_release(&sub);
	free(bytes);
	json_decref(log);

	log = make_log("full", "rhel", "8.6", 2);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	part = config_part(&w, sub.config_id, "hypervisor");
	CHECK_STR(json_string_value(json_object_get(part, "vendor")), "KVM");
	json_decref(part);
	part = config_part(&w, sub.config_id, "guest");
	CHECK_STR(json_string_value(json_object_get(part, "vendor")), "Red Hat");
	json_decref(part);
	program_submission_release(&sub);
	free(bytes);
	json_decref(log);
	world_close(&w);
}

TEST(submission_rejected_is_recorded_with_every_reason_and_changes_no_configuration)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *log;
	size_t len;
	char *bytes, *doc = NULL;
	struct store_submission_row *row = NULL;

	world_open(&w);
	log = make_log("quick", "rhel", "9.4", 2);
	json_object_set_new(result(log, "kernel.health"), "status", json_string("fail"));
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	CHECK(!sub.accepted);
	CHECK_INT(sub.reasons.n, 2);
	CHECK(sub.config_id == NULL);
	CHECK_INT(store_config_get(w.s, "red-hat:kvm-any-rhel9.4-x86_64", &doc), -ENOENT);
	CHECK_INT(store_submission_get(w.s, sub.id, &row), 0);
	CHECK_STR(row->status, "rejected");
	CHECK(strstr(row->reasons, "kernel.health") && strstr(row->reasons, "kit mode quick"));
	CHECK_STR(row->vendor_id, "red-hat");
	store_submission_free(row);
	program_submission_release(&sub);
	free(bytes);
	json_decref(log);
	world_close(&w);
}

TEST(submission_refused_for_bad_signatures_records_nothing)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *log;
	size_t len;
	char *bytes, *p;

	world_open(&w);
	log = make_log("full", "rhel", "9.4", 2);

	/* Unsigned. */
	bytes = testlog_canonical(log, &len);
	CHECK(program_submit(w.s, "red-hat", bytes, len, &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK_STR(e.code, "bad_signature");
	free(bytes);

	/* Signed by another vendor's registered key. */
	bytes = signed_bytes(log, &w.ms, &len);
	CHECK(program_submit(w.s, "red-hat", bytes, len, &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK(strstr(e.message, "not a registered key of vendor red-hat"));
	free(bytes);

	/* Signed by the right key, then changed: one vCPU more. */
	bytes = signed_bytes(log, &w.rh, &len);
	p = strstr(bytes, "\"vcpus\":2");
	CHECK(p != NULL);
	if (p)
		p[8] = '3';
	CHECK(program_submit(w.s, "red-hat", bytes, len, &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK(strstr(e.message, "does not match"));
	free(bytes);

	/* Not a log at all. */
	CHECK(program_submit(w.s, "red-hat", "{\"x\":1}", 7, &sub, &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK(program_submit(w.s, "red-hat", "\x01\x02garbage", 9, &sub, &e) < 0);
	CHECK_INT(e.http, 400);

	/* A revoked key signs nothing any more. */
	CHECK_INT(store_key_revoke(w.s, w.rh_key_id), 0);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK(program_submit(w.s, "red-hat", bytes, len, &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK(strstr(e.message, "revoked"));
	free(bytes);

	CHECK_INT(count_submissions(w.s, NULL), 0);
	json_decref(log);
	world_close(&w);
}

TEST(revocation_by_the_validating_vendor_or_the_owner_only)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *log = NULL, *c;
	size_t len;
	char *bytes, *doc = NULL;

	world_open(&w);
	log = make_log("full", "rhel", "9.4", 2);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	CHECK(program_revoke(w.s, sub.config_id, "microsoft", "not ours", &e) < 0);
	CHECK_INT(e.http, 403);
	CHECK(program_revoke(w.s, "no-such-config", NULL, NULL, &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK_INT(store_config_get(w.s, sub.config_id, &doc), 0);
	CHECK(strstr(doc, "\"status\":\"validated\"") != NULL);
	free(doc);

	CHECK_INT(program_revoke(w.s, sub.config_id, "red-hat", "kernel regression", &e), 0);
	CHECK_INT(store_config_get(w.s, sub.config_id, &doc), 0);
	c = json_loads(doc, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(c, "status")), "revoked");
	CHECK(strstr(json_string_value(json_object_get(c, "notes")), "revoked by Red Hat: kernel regression"));
	json_decref(c);
	free(doc);
	/* The owner may revoke anything. */
	CHECK_INT(program_revoke(w.s, sub.config_id, NULL, NULL, &e), 0);
	program_submission_release(&sub);
	free(bytes);
	json_decref(log);
	world_close(&w);
}

/* ---- issue 9: ownership of configurations (D1), claims (D9), replays (D11) ---- */

/* Admits a vendor (name, id) with a fresh key of its own. */
static void admit(struct world *w, const char *name, const char *id, struct sign_key *ret_key)
{
	struct program_error e = { 0 };
	char *got = NULL, *pk, *kid = NULL;

	CHECK_INT(program_vendor_admit(w->s, name, id, &got, &e), 0);
	free(got);
	CHECK_INT(sign_key_generate(ret_key), 0);
	pk = sign_key_public_string(ret_key);
	CHECK_INT(program_key_register(w->s, id, pk, &kid, &e), 0);
	free(pk);
	free(kid);
}

/* Signs log with k and submits it as vendor; the result of program_submit. */
static int submit_as(struct world *w, const char *vendor, const struct sign_key *k, json_t *log,
		     struct program_submission *sub, struct program_error *e)
{
	size_t len;
	char *bytes = signed_bytes(log, k, &len);
	int r;

	memset(e, 0, sizeof(*e));
	memset(sub, 0, sizeof(*sub));
	r = program_submit(w->s, vendor, bytes, len, sub, e);
	free(bytes);
	return r;
}

static json_t *config_json(struct world *w, const char *id)
{
	char *doc = NULL;
	json_t *c;

	if (store_config_get(w->s, id, &doc) < 0)
		return NULL;
	c = json_loads(doc, 0, NULL);
	free(doc);
	return c;
}

static char *config_text(struct world *w, const char *id)
{
	char *doc = NULL;

	return store_config_get(w->s, id, &doc) == 0 ? doc : NULL;
}

static int64_t evidence_count(struct world *w, const char *config_id)
{
	int n = 0;

	if (store_submission_list(w->s, NULL, config_id, false, 1000, 0, count_cb, &n) < 0)
		return -1;
	return n;
}

/*
 * A Windows Server 2008 x64 guest on RHEL KVM as the Windows probe
 * describes it: service pack sp ("SP1", NULL: none), edition, and the NT
 * build of that service pack (6001 is Server 2008's release, which came
 * with SP1; 6002 is SP2: Microsoft's lifecycle blog, 2009-07-21,
 * "Windows Server 2008 ships with SP1").
 */
static json_t *windows_log(const char *sp, const char *edition, const char *started)
{
	struct logspec ls = { .mode = "full", .os = "windows", .ver = "2008", .vcpus = 2, .started = started };
	json_t *log = make_log_spec(&ls);
	json_t *os = json_object_get(json_object_get(json_object_get(log, "descriptor"), "guest"), "os");

	json_object_set_new(os, "osinfo", json_string("win2k8"));
	json_object_set_new(os, "name", json_sprintf("Windows Server (R) 2008 %s", edition));
	json_object_set_new(os, "source", json_string("windows/os.json"));
	json_object_set_new(os, "service_pack", or_null(sp));
	json_object_set_new(os, "edition", json_string(edition));
	json_object_set_new(json_object_get(json_object_get(log, "descriptor"), "guest"), "kernel",
			    json_string(sp && strcmp(sp, "SP2") == 0 ? "6.0.6002" : "6.0.6001"));
	json_object_set_new(json_object_get(json_object_get(log, "claim"), "guest"), "osinfo", json_string("win2k8"));
	return log;
}

static const char *guest_str(struct world *w, const char *config_id, const char *field)
{
	static char buf[256];
	json_t *g = config_part(w, config_id, "guest");
	const char *v = json_string_value(json_object_get(g, field));

	snprintf(buf, sizeof(buf), "%s", v ? v : "(null)");
	json_decref(g);
	return buf;
}

TEST(submission_of_windows_guests_keeps_service_packs_apart)
{
	struct world w;
	struct program_error e;
	struct program_submission sub, sub2;
	json_t *log, *g;

	world_open(&w);
	import_data(&w, "products.jsonl");

	/* SP1, Enterprise: a configuration of Microsoft's Windows Server 2008 at SP1. */
	log = windows_log("SP1", "Enterprise", "2026-11-20T10:00:00Z");
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub, &e), 0);
	CHECK(sub.accepted && sub.created);
	CHECK_STR(sub.config_id, "red-hat:kvm-any-windows2008-sp1-x86_64");
	CHECK_STR(guest_str(&w, sub.config_id, "vendor"), "Microsoft");
	CHECK_STR(guest_str(&w, sub.config_id, "os_id"), "windows");
	CHECK_STR(guest_str(&w, sub.config_id, "version"), "2008");
	CHECK_STR(guest_str(&w, sub.config_id, "osinfo_short_id"), "win2k8");
	CHECK_STR(guest_str(&w, sub.config_id, "service_pack"), "SP1");
	/* The release's product; the edition is listed apart. */
	CHECK_STR(guest_str(&w, sub.config_id, "product"), "Windows Server (R) 2008");
	json_decref(log);

	/* SP1 again, Datacenter: the same configuration, one edition more. */
	log = windows_log("SP1", "Datacenter", "2026-11-20T10:01:00Z");
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), 0);
	CHECK(sub2.accepted && !sub2.created);
	CHECK_STR(sub2.config_id, sub.config_id);
	g = config_part(&w, sub.config_id, "guest");
	CHECK_INT(json_array_size(json_object_get(g, "editions")), 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(g, "editions"), 1)), "Datacenter");
	json_decref(g);
	CHECK_INT(evidence_count(&w, sub.config_id), 2);
	program_submission_release(&sub2);
	json_decref(log);

	/* SP2: not folded into the SP1 configuration (which would then claim
	 * a log it does not have), but a configuration of its own. */
	log = windows_log("SP2", "Enterprise", "2026-11-20T10:02:00Z");
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), 0);
	CHECK(sub2.accepted && sub2.created);
	CHECK_STR(sub2.config_id, "red-hat:kvm-any-windows2008-sp2-x86_64");
	CHECK_STR(guest_str(&w, sub2.config_id, "service_pack"), "SP2");
	CHECK_INT(evidence_count(&w, sub.config_id), 2);
	program_submission_release(&sub2);
	json_decref(log);

	/* The Windows probe's null: the release without a service pack, apart again, and holding none. */
	log = windows_log(NULL, "Standard", "2026-11-20T10:03:00Z");
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), 0);
	CHECK(sub2.accepted && sub2.created);
	CHECK_STR(sub2.config_id, "red-hat:kvm-any-windows2008-rtm-x86_64");
	CHECK_STR(guest_str(&w, sub2.config_id, "service_pack"), "(null)");
	program_submission_release(&sub2);
	json_decref(log);

	/* The claim may repeat the service pack: equal, the same configuration. */
	log = windows_log("SP1", "Enterprise", "2026-11-20T10:04:00Z");
	json_object_set_new(json_object_get(json_object_get(log, "claim"), "guest"), "service_pack", json_string("SP1"));
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), 0);
	CHECK(sub2.accepted && !sub2.created);
	CHECK_STR(sub2.config_id, sub.config_id);
	program_submission_release(&sub2);
	json_decref(log);

	/* ... another: recorded, rejected, naming both. */
	log = windows_log("SP1", "Enterprise", "2026-11-20T10:05:00Z");
	json_object_set_new(json_object_get(json_object_get(log, "claim"), "guest"), "service_pack", json_string("SP2"));
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), 0);
	CHECK(!sub2.accepted);
	CHECK(sub2.reasons.n == 1 && strstr(sub2.reasons.v[0], "claim.guest.service_pack 'SP2' disagrees with the log's "
								  "descriptor, guest.os.service_pack 'SP1'"));
	program_submission_release(&sub2);
	json_decref(log);

	/* A service pack a configuration cannot hold: 400 naming the field. */
	log = windows_log("Service Pack 1", "Enterprise", "2026-11-20T10:06:00Z");
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), -EINVAL);
	CHECK_INT(e.http, 400);
	CHECK_STR(e.message, "descriptor.guest.os.service_pack: 'Service Pack 1' is not a service pack (SP1 to SP99)");
	program_error_release(&e);
	json_decref(log);
	log = windows_log("SP1", "Enterprise", "2026-11-20T10:07:00Z");
	json_object_set_new(json_object_get(json_object_get(log, "claim"), "guest"), "service_pack", json_string("SP1+"));
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), -EINVAL);
	CHECK_STR(e.message, "claim.guest.service_pack: 'SP1+' is not a service pack (SP1 to SP99)");
	program_error_release(&e);
	json_decref(log);

	log = windows_log("SP1", "Enterprise", "2026-11-20T10:08:00Z");
	json_object_set_new(json_object_get(json_object_get(json_object_get(log, "descriptor"), "guest"), "os"), "edition",
			    json_string("Enter\x01prise"));
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), -EINVAL);
	CHECK_STR(e.message, "descriptor.guest.os.edition: expected a string of at most 256 printable characters, or null");
	program_error_release(&e);
	json_decref(log);

	/* A Linux log's key is what it was: its configuration has no service pack. */
	log = make_log("full", "rhel", "9.4", 2);
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub2, &e), 0);
	CHECK_STR(sub2.config_id, "red-hat:kvm-any-rhel9.4-x86_64");
	g = config_part(&w, sub2.config_id, "guest");
	CHECK(json_object_get(g, "service_pack") == NULL && json_object_get(g, "editions") == NULL);
	json_decref(g);
	g = config_part(&w, sub2.config_id, "claim_key");
	CHECK_STR(json_string_value(g), "[\"kvm\",\"any\",\"\",\"rhel\",\"9.4\",\"x86_64\"]");
	json_decref(g);
	g = config_part(&w, sub.config_id, "claim_key");
	CHECK_STR(json_string_value(g), "[\"kvm\",\"any\",\"\",\"windows\",\"2008\",\"x86_64\",\"SP1\"]");
	program_submission_release(&sub2);
	json_decref(log);

	program_submission_release(&sub);
	world_close(&w);
}

/*
 * The issue's attack, exactly: a vendor admitted as "ms" claims hypervisor
 * "hv2008" build "ws", guest rhel 5.3 x86_64 with 64 vCPUs and 1 TiB.  The
 * old id, "ms-hv2008-ws-rhel5.3-x86_64", is the seed's; the seed row must
 * come out byte for byte as it went in, and "ms" may not revoke it.
 */
TEST(submission_cannot_extend_or_revoke_the_seed_row)
{
	static const char *const seed_id = "ms-hv2008-ws-rhel5.3-x86_64";
	struct logspec ls = { .os = "rhel", .ver = "5.3", .hv = "hv2008", .hv_build = "ws", .vcpus = 64,
			      .memory_mib = INT64_C(1) << 20 };
	struct world w;
	struct program_error e;
	struct program_submission sub;
	struct sign_key ms;
	char *before, *after;
	json_t *log, *c;

	world_open(&w);
	import_seed(&w);
	admit(&w, "MS Attacker", "ms", &ms);
	before = config_text(&w, seed_id);
	CHECK(before != NULL);

	log = make_log_spec(&ls);
	if (submit_as(&w, "ms", &ms, log, &sub, &e) == 0) {
		/* Accepted or not, it is never the seed's row. */
		CHECK(sub.config_id == NULL || strcmp(sub.config_id, seed_id) != 0);
		CHECK(sub.config_id == NULL || strncmp(sub.config_id, "ms:", 3) == 0);
		program_submission_release(&sub);
	}
	json_decref(log);
	/* The same with a hypervisor id and build the catalog can hold. */
	ls.hv = "microsoft";
	ls.hv_product = "Windows Server 2008 Hyper-V";
	ls.hv_build = "6002";
	log = make_log_spec(&ls);
	CHECK_INT(submit_as(&w, "ms", &ms, log, &sub, &e), 0);
	CHECK(sub.accepted && sub.created);
	CHECK(sub.config_id && strncmp(sub.config_id, "ms:", 3) == 0);
	program_submission_release(&sub);
	json_decref(log);

	after = config_text(&w, seed_id);
	CHECK(after && before && strcmp(before, after) == 0);
	c = json_loads(after ? after : "{}", 0, NULL);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "limits"), "max_vcpus")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "limits"), "max_memory_mib")), 65536);
	CHECK_INT(json_array_size(json_object_get(c, "validated_by")), 2);
	CHECK_STR(json_string_value(json_object_get(c, "status")), "validated");
	CHECK_INT(evidence_count(&w, seed_id), 0);
	json_decref(c);

	/* Its vendor name is not in validated_by: 403, and nothing changes. */
	CHECK(program_revoke(w.s, seed_id, "ms", "mine now", &e) < 0);
	CHECK_INT(e.http, 403);
	free(after);
	after = config_text(&w, seed_id);
	CHECK(after && before && strcmp(before, after) == 0);
	free(before);
	free(after);
	sign_key_release(&ms);
	world_close(&w);
}

/*
 * Vendors "red" and "red-hat": "red" claiming hypervisor "hat-kvm" made
 * the old id of red-hat's kvm configuration.  Neither may touch the
 * other's.
 */
TEST(submission_vendor_ids_that_share_a_prefix_do_not_collide)
{
	struct logspec rh = { .os = "rhel", .ver = "9.4", .vcpus = 2 };
	struct logspec red = { .os = "rhel", .ver = "9.4", .hv = "hat-kvm", .vcpus = 64, .memory_mib = 1 << 20 };
	struct world w;
	struct program_error e;
	struct program_submission a, b;
	struct sign_key red_key;
	json_t *log, *c;
	char *before;

	world_open(&w);
	admit(&w, "Red", "red", &red_key);
	log = make_log_spec(&rh);
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &a, &e), 0);
	json_decref(log);
	CHECK(a.accepted && a.created);
	before = config_text(&w, a.config_id);

	log = make_log_spec(&red);
	if (submit_as(&w, "red", &red_key, log, &b, &e) == 0) {
		CHECK(b.config_id == NULL || strcmp(b.config_id, a.config_id) != 0);
		program_submission_release(&b);
	}
	json_decref(log);
	/* And the other way round: "red" first, "red-hat" after. */
	red.hv = "kvm";
	red.os = "hat-kvm-any-rhel";
	log = make_log_spec(&red);
	CHECK_INT(submit_as(&w, "red", &red_key, log, &b, &e), 0);
	json_decref(log);
	CHECK(b.accepted && b.created && strcmp(b.config_id, a.config_id) != 0);

	{
		char *after = config_text(&w, a.config_id);

		CHECK(after && before && strcmp(before, after) == 0);
		free(after);
	}
	c = config_json(&w, a.config_id);
	CHECK_INT(json_array_size(json_object_get(c, "validated_by")), 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "validated_by"), 0)), "Red Hat");
	CHECK_STR(json_string_value(json_object_get(c, "owner")), "red-hat");
	CHECK_INT(evidence_count(&w, a.config_id), 1);
	json_decref(c);
	c = config_json(&w, b.config_id);
	CHECK_STR(json_string_value(json_object_get(c, "owner")), "red");
	json_decref(c);

	/* Each revokes only its own. */
	CHECK(program_revoke(w.s, a.config_id, "red", NULL, &e) < 0);
	CHECK_INT(e.http, 403);
	CHECK(program_revoke(w.s, b.config_id, "red-hat", NULL, &e) < 0);
	CHECK_INT(e.http, 403);
	CHECK_INT(program_revoke(w.s, b.config_id, "red", NULL, &e), 0);
	c = config_json(&w, a.config_id);
	CHECK_STR(json_string_value(json_object_get(c, "status")), "validated");
	json_decref(c);
	free(before);
	program_submission_release(&a);
	program_submission_release(&b);
	sign_key_release(&red_key);
	world_close(&w);
}

/*
 * One vendor's different claims that made the same old id: an OS id and
 * version split differently ("rhel" 15.3 and "rhel1" 5.3), characters the
 * id cannot hold ("my os" and "my_os"), and claims that differ only past
 * the id's length limit.  Each is its own configuration, and the next log
 * of each extends that one, never the other.
 */
TEST(submission_claims_that_sanitize_or_truncate_alike_stay_apart)
{
	static const char long_vendor[] = "v123456789-123456789-123456789-123456789-123456789-123456789-123";
	struct {
		struct logspec a, b;
		const char *vendor;
	} pairs[] = {
		{ { .os = "rhel", .ver = "15.3", .vcpus = 2 }, { .os = "rhel1", .ver = "5.3", .vcpus = 4 }, "red-hat" },
		{ { .os = "my os", .ver = "1", .vcpus = 2 }, { .os = "my_os", .ver = "1", .vcpus = 4 }, "red-hat" },
		{ { .os = "my:os", .ver = "1", .vcpus = 2 }, { .os = "my.os", .ver = "1", .vcpus = 4 }, "red-hat" },
		{ { .os = "osxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxa", .ver = "1",
		    .vcpus = 2 },
		  { .os = "osxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxb", .ver = "1",
		    .vcpus = 4 },
		  long_vendor },
	};
	struct world w;
	struct sign_key lv;

	world_open(&w);
	admit(&w, "Long Vendor", long_vendor, &lv);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const struct sign_key *k = strcmp(pairs[i].vendor, "red-hat") == 0 ? &w.rh : &lv;
		struct program_error e;
		struct program_submission a, b, a2, b2;
		json_t *log, *c;

		log = make_log_spec(&pairs[i].a);
		CHECK_INT(submit_as(&w, pairs[i].vendor, k, log, &a, &e), 0);
		json_decref(log);
		log = make_log_spec(&pairs[i].b);
		CHECK_INT(submit_as(&w, pairs[i].vendor, k, log, &b, &e), 0);
		json_decref(log);
		CHECK(a.accepted && a.created && b.accepted && b.created);
		if (!a.config_id || !b.config_id || strcmp(a.config_id, b.config_id) == 0) {
			tap_fail(__FILE__, __LINE__, "pair %zu: one configuration %s for two claims", i,
				 a.config_id ? a.config_id : "(none)");
			continue;
		}
		CHECK(strlen(a.config_id) <= 128 && strlen(b.config_id) <= 128);

		/* Later logs of each extend their own (8 and 16 vCPUs). */
		pairs[i].a.vcpus = 8;
		pairs[i].a.started = "2026-11-21T10:00:00Z";
		log = make_log_spec(&pairs[i].a);
		CHECK_INT(submit_as(&w, pairs[i].vendor, k, log, &a2, &e), 0);
		json_decref(log);
		pairs[i].b.vcpus = 16;
		pairs[i].b.started = "2026-11-21T10:00:00Z";
		log = make_log_spec(&pairs[i].b);
		CHECK_INT(submit_as(&w, pairs[i].vendor, k, log, &b2, &e), 0);
		json_decref(log);
		CHECK(a2.accepted && !a2.created && a2.config_id && strcmp(a2.config_id, a.config_id) == 0);
		CHECK(b2.accepted && !b2.created && b2.config_id && strcmp(b2.config_id, b.config_id) == 0);
		c = config_json(&w, a.config_id);
		CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "limits"), "max_vcpus")), 8);
		CHECK_STR(json_string_value(json_object_get(json_object_get(c, "guest"), "os_id")), pairs[i].a.os);
		CHECK_INT(json_array_size(json_object_get(c, "evidence")), 2);
		json_decref(c);
		c = config_json(&w, b.config_id);
		CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "limits"), "max_vcpus")), 16);
		CHECK_STR(json_string_value(json_object_get(json_object_get(c, "guest"), "os_id")), pairs[i].b.os);
		CHECK_INT(json_array_size(json_object_get(c, "evidence")), 2);
		json_decref(c);
		program_submission_release(&a);
		program_submission_release(&b);
		program_submission_release(&a2);
		program_submission_release(&b2);
	}
	sign_key_release(&lv);
	world_close(&w);
}

/*
 * A row the owner imported under the very id a vendor's claim makes (no
 * owner, another's validated_by) is not extended either: the vendor gets
 * a configuration of its own beside it.
 */
TEST(submission_does_not_extend_an_imported_row_with_its_id)
{
	struct logspec ls = { .os = "rhel", .ver = "9.4", .vcpus = 2 };
	struct world w;
	struct program_error e;
	struct program_submission a, b;
	struct catalog_config *cfg = NULL;
	char *why = NULL, *before, *after;
	json_t *log;

	world_open(&w);
	/* Where red-hat's first log lands, and an owner's row put there first. */
	log = make_log_spec(&ls);
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &a, &e), 0);
	json_decref(log);
	CHECK_INT(program_revoke(w.s, a.config_id, NULL, NULL, &e), 0);
	{
		json_t *c = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:[s]}, s:{s:s, s:s, s:[s], s:s}, "
				      "s:[s], s:s}",
				      "type", "configuration", "id", a.config_id, "status", "validated", "guest", "vendor",
				      "Red Hat", "product", "RHEL", "os_id", "rhel", "version", "9.4", "arch", "x86_64",
				      "hypervisor", "vendor", "X", "product", "KVM", "ids", "kvm", "version", "unspecified",
				      "validated_by", "Microsoft", "source", "imported by the owner");

		CHECK_INT(catalog_config_from_json(c, &cfg, &why), 0);
		CHECK_INT(store_begin(w.s), 0);
		CHECK_INT(catalog_config_store(w.s, cfg, NULL), 0);
		CHECK_INT(store_commit(w.s), 0);
		catalog_config_free(cfg);
		json_decref(c);
	}
	before = config_text(&w, a.config_id);
	ls.vcpus = 16;
	log = make_log_spec(&ls);
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &b, &e), 0);
	json_decref(log);
	CHECK(b.accepted && b.created && b.config_id && strcmp(b.config_id, a.config_id) != 0);
	CHECK(b.config_id && strncmp(b.config_id, a.config_id, strlen(a.config_id)) == 0);
	after = config_text(&w, a.config_id);
	CHECK(before && after && strcmp(before, after) == 0);
	/* An imported row without an owner keeps the old rule: a vendor named
	 * in validated_by may revoke it, others may not. */
	CHECK(program_revoke(w.s, a.config_id, "red-hat", NULL, &e) < 0);
	CHECK_INT(e.http, 403);
	CHECK_INT(program_revoke(w.s, a.config_id, "microsoft", NULL, &e), 0);
	free(before);
	free(after);
	program_submission_release(&a);
	program_submission_release(&b);
	world_close(&w);
}

/* Issue 9, D9: a claim of the wrong type, or missing, is 400 naming the field; nothing is recorded. */
TEST(submission_claim_must_be_well_typed)
{
	static const struct {
		const char *path; /* a JSON pointer-ish path: "claim.vm.vcpus" */
		const char *json; /* the value to put there; NULL deletes it */
		const char *needle;
	} bad[] = {
		{ "claim.vm.vcpus", "\"8\"", "claim.vm.vcpus" },
		{ "claim.vm.vcpus", "0", "claim.vm.vcpus" },
		{ "claim.vm.vcpus", "-4", "claim.vm.vcpus" },
		{ "claim.vm.vcpus", "2.5", "claim.vm.vcpus" },
		{ "claim.vm.vcpus", NULL, "claim.vm.vcpus: missing" },
		{ "claim.vm.vcpus", "null", "claim.vm.vcpus: missing" },
		{ "claim.vm.memory_mib", "\"4096\"", "claim.vm.memory_mib" },
		{ "claim.vm.memory_mib", NULL, "claim.vm.memory_mib: missing" },
		{ "claim.guest.os_id", NULL, "claim.guest.os_id: missing" },
		{ "claim.guest.os_id", "5", "claim.guest.os_id" },
		{ "claim.guest.os_id", "\"\"", "claim.guest.os_id" },
		{ "claim.guest.version", NULL, "claim.guest.version: missing" },
		{ "claim.guest.arch", "[\"x86_64\"]", "claim.guest.arch" },
		{ "claim.guest.arch", NULL, "claim.guest.arch: missing" },
		{ "claim.hypervisor.id", NULL, "claim.hypervisor.id: missing" },
		{ "claim.hypervisor.build", "6002", "claim.hypervisor.build" },
		{ "claim.hypervisor.product", "true", "claim.hypervisor.product" },
		{ "claim.vm", "[]", "claim.vm" },
		{ "claim.vm.colour", "\"red\"", "claim.vm.colour" },
		{ "claim", NULL, "claim: missing" },
		{ "descriptor", NULL, "descriptor: missing" },
		{ "descriptor.vm.vcpus", "\"2\"", "descriptor.vm.vcpus" },
		{ "started_at", NULL, "started_at: missing" },
		{ "started_at", "\"yesterday\"", "started_at" },
		{ "started_at", "\"2026-02-30T10:00:00Z\"", "started_at" },
		{ "started_at", "\"2026-02-29T10:00:00Z\"", "started_at" },
		{ "started_at", "\"2026-11-20T24:00:00Z\"", "started_at" },
		{ "started_at", "\"2026-11-20T10:61:00Z\"", "started_at" },
		{ "started_at", "\"2026-11-20 10:00:00\"", "started_at" },
		{ "started_at", "\"2026-11-20T10:00:00Z junk\"", "started_at" },
		{ "started_at", "1763632800", "started_at" },
		{ "finished_at", "\"2026-13-01T00:00:00Z\"", "finished_at" },
		{ "finished_at", "\"2026-11-20T09:59:59Z\"", "finished_at" },
	};
	struct world w;
	int recorded = 0;

	world_open(&w);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *log = make_log("full", "rhel", "9.4", 2), *parent = log;
		struct program_error e;
		struct program_submission sub;
		char *path = strdup(bad[i].path), *leaf = path, *dot;

		while ((dot = strchr(leaf, '.'))) {
			*dot = '\0';
			parent = json_object_get(parent, leaf);
			leaf = dot + 1;
		}
		if (bad[i].json)
			json_object_set_new(parent, leaf, json_loads(bad[i].json, JSON_DECODE_ANY, NULL));
		else
			json_object_del(parent, leaf);
		if (submit_as(&w, "red-hat", &w.rh, log, &sub, &e) == 0) {
			tap_fail(__FILE__, __LINE__, "row %zu (%s = %s): %s as %s", i, bad[i].path,
				 bad[i].json ? bad[i].json : "(deleted)", sub.accepted ? "accepted" : "rejected",
				 sub.config_id ? sub.config_id : "-");
			recorded++;
			program_submission_release(&sub);
		} else {
			CHECK_INT(e.http, 400);
			CHECK_STR(e.code, "invalid_log");
			if (!strstr(e.message, bad[i].needle))
				tap_fail(__FILE__, __LINE__, "row %zu: \"%s\" does not name %s", i, e.message,
					 bad[i].needle);
		}
		free(path);
		json_decref(log);
	}
	CHECK_INT(count_submissions(w.s, NULL), recorded);
	CHECK_INT(recorded, 0);
	world_close(&w);
}

/*
 * Issue 9, D9: a claim that disagrees with the log's own descriptor is
 * recorded as rejected, with a reason naming both fields, and makes no
 * configuration.  Memory may be what the kit allows (MemTotal 90-100% of
 * the VM's memory).
 */
TEST(submission_claim_must_agree_with_the_descriptor)
{
	static const struct {
		const char *path, *json, *needle;
	} disagree[] = {
		{ "descriptor.vm.vcpus", "8", "claim.vm.vcpus" },
		{ "descriptor.vm.vcpus", "null", "claim.vm.vcpus" },
		{ "descriptor.vm.memory_mib", "3600", "claim.vm.memory_mib" },
		{ "descriptor.vm.memory_mib", "4097", "claim.vm.memory_mib" },
		{ "descriptor.guest.os.id", "\"debian\"", "claim.guest.os_id" },
		{ "descriptor.guest.os.version", "\"9.5\"", "claim.guest.version" },
		{ "descriptor.guest.arch", "\"aarch64\"", "claim.guest.arch" },
		{ "descriptor.hypervisor.id", "\"microsoft\"", "claim.hypervisor.id" },
		{ "descriptor.hypervisor.build", "\"6002\"", "claim.hypervisor.build" },
		{ "descriptor.hypervisor", NULL, "claim.hypervisor.id" },
	};
	struct world w;
	struct program_error e;
	struct program_submission sub;
	json_t *log;

	world_open(&w);
	for (size_t i = 0; i < sizeof(disagree) / sizeof(disagree[0]); i++) {
		json_t *parent;
		char *path = strdup(disagree[i].path), *leaf = path, *dot;

		log = make_log("full", "rhel", "9.4", 2);
		json_object_set_new(log, "started_at", json_sprintf("2026-11-20T10:00:%02zuZ", i));
		parent = log;
		while ((dot = strchr(leaf, '.'))) {
			*dot = '\0';
			parent = json_object_get(parent, leaf);
			leaf = dot + 1;
		}
		if (disagree[i].json)
			json_object_set_new(parent, leaf, json_loads(disagree[i].json, JSON_DECODE_ANY, NULL));
		else
			json_object_del(parent, leaf);
		if (submit_as(&w, "red-hat", &w.rh, log, &sub, &e) < 0) {
			tap_fail(__FILE__, __LINE__, "row %zu (%s): refused %d %s: %s", i, disagree[i].path, e.http, e.code,
				 e.message);
		} else {
			bool named = false;

			CHECK(!sub.accepted);
			CHECK(sub.config_id == NULL);
			for (size_t k = 0; k < sub.reasons.n; k++)
				named |= strstr(sub.reasons.v[k], disagree[i].needle) != NULL;
			if (!named)
				tap_fail(__FILE__, __LINE__, "row %zu: no reason names %s (%zu reasons: %s)", i,
					 disagree[i].needle, sub.reasons.n, sub.reasons.n ? sub.reasons.v[0] : "");
			program_submission_release(&sub);
		}
		free(path);
		json_decref(log);
	}
	/* MemTotal a little under the VM's memory, as the kit allows: accepted. */
	log = make_log("full", "rhel", "9.4", 2);
	json_object_set_new(json_object_get(json_object_get(log, "descriptor"), "vm"), "memory_mib", json_integer(3900));
	CHECK_INT(submit_as(&w, "red-hat", &w.rh, log, &sub, &e), 0);
	CHECK(sub.accepted && sub.config_id);
	{
		json_t *c = config_json(&w, sub.config_id);

		CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "limits"), "max_vcpus")), 2);
		CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "limits"), "max_memory_mib")), 4096);
		json_decref(c);
	}
	program_submission_release(&sub);
	json_decref(log);
	world_close(&w);
}

/* Issue 9, D11: the same accepted log twice is 409 naming the first; the evidence holds it once. */
TEST(submission_replayed_log_is_refused)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 }, sub2 = { 0 };
	struct sign_key rh2;
	json_t *log, *c;
	size_t len;
	char *bytes, *pk, *kid = NULL;

	world_open(&w);
	log = make_log("full", "rhel", "9.4", 2);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	CHECK(sub.accepted);
	for (int i = 0; i < 3; i++) {
		memset(&e, 0, sizeof(e));
		CHECK(program_submit(w.s, "red-hat", bytes, len, &sub2, &e) < 0);
		CHECK_INT(e.http, 409);
		CHECK_STR(e.code, "duplicate_submission");
		CHECK(strstr(e.message, sub.id) != NULL);
	}
	free(bytes);
	/* The same content signed by another key of the same vendor is the same log. */
	CHECK_INT(sign_key_generate(&rh2), 0);
	pk = sign_key_public_string(&rh2);
	CHECK_INT(program_key_register(w.s, "red-hat", pk, &kid, &e), 0);
	free(pk);
	free(kid);
	bytes = signed_bytes(log, &rh2, &len);
	memset(&e, 0, sizeof(e));
	CHECK(program_submit(w.s, "red-hat", bytes, len, &sub2, &e) < 0);
	CHECK_INT(e.http, 409);
	free(bytes);

	c = config_json(&w, sub.config_id);
	CHECK_INT(json_array_size(json_object_get(c, "evidence")), 1);
	json_decref(c);
	CHECK_INT(evidence_count(&w, sub.config_id), 1);
	CHECK_INT(count_submissions(w.s, "red-hat"), 1);

	/* A rejected log may come again (after the policy changed, say): it proved nothing the first time. */
	json_decref(log);
	log = make_log("quick", "rhel", "9.4", 2);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub2, &e), 0);
	CHECK(!sub2.accepted);
	program_submission_release(&sub2);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub2, &e), 0);
	CHECK(!sub2.accepted);
	program_submission_release(&sub2);
	free(bytes);
	program_submission_release(&sub);
	sign_key_release(&rh2);
	json_decref(log);
	world_close(&w);
}

/* The digest an accepted log is kept under (and a replay found by) is
 * BLAKE2b-256 of canonical(log without "signature") (covalid/store.h,
 * covalid/testlog.h), as logs accepted before were stored: computed here
 * from that definition, without the program's code. */
TEST(submission_digest_is_of_the_signed_content)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *log = make_log("full", "rhel", "9.4", 2), *copy;
	uint8_t h[32];
	char hex[65], *bytes, *canon, *found = NULL;
	size_t len, n;

	world_open(&w);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	CHECK(sub.accepted);
	copy = json_copy(log);
	json_object_del(copy, "signature");
	canon = testlog_canonical(copy, &n);
	crypto_generichash(h, sizeof(h), (const unsigned char *)canon, n, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	CHECK_INT(store_submission_find_digest(w.s, hex, &found), 0);
	CHECK_STR(found, sub.id);
	free(found);
	free(canon);
	free(bytes);
	json_decref(copy);
	json_decref(log);
	program_submission_release(&sub);
	world_close(&w);
}

/* A policy that rejects every log: its one required check is never run. */
static const char strict_policy[] = "{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"strict\","
				    "\"guest\":\"*\",\"hypervisor\":\"*\",\"required\":[\"bench.never-run\"]}]}";

/* A log of w's Red Hat (vcpus tell the logs apart), submitted: 1 accepted,
 * 0 rejected, -1 refused; the first reason in ret_reason when given. */
static int submit_vcpus(struct world *w, int vcpus, char **ret_reason)
{
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *log = make_log("full", "rhel", "9.4", vcpus);
	size_t len;
	char *bytes = signed_bytes(log, &w->rh, &len);
	int r = program_submit(w->s, "red-hat", bytes, len, &sub, &e);

	if (r < 0)
		tap_fail(__FILE__, __LINE__, "submission refused: %d %s", e.http, e.message);
	else if (ret_reason)
		*ret_reason = sub.reasons.n ? cv_xstrdup(sub.reasons.v[0]) : NULL;
	r = r < 0 ? -1 : sub.accepted;
	program_submission_release(&sub);
	program_error_release(&e);
	free(bytes);
	json_decref(log);
	return r;
}

/* Submissions judge by the policy the store holds when they come, however
 * often the policy changed since the last (the parsed policy is kept
 * between submissions: it must never outlive its text). */
TEST(submission_is_judged_by_the_policy_set_last)
{
	struct world w;
	struct program_error e = { 0 };
	char *why = NULL;

	world_open(&w);
	CHECK_INT(submit_vcpus(&w, 2, NULL), 1); /* the built-in policy */
	CHECK_INT(program_policy_set(w.s, strict_policy, &e), 0);
	CHECK_INT(submit_vcpus(&w, 4, &why), 0);
	CHECK(why && strstr(why, "required check bench.never-run was not run"));
	free(why);
	why = NULL;
	CHECK_INT(program_policy_set(w.s, program_policy_default(), &e), 0);
	CHECK_INT(submit_vcpus(&w, 4, &why), 1); /* rejected before: may come again */
	CHECK(why == NULL);
	/* Only the modes differ: the kept policy is not taken for this one. */
	CHECK_INT(program_policy_set(w.s, "{\"schema\":\"covalid.policy/1\",\"modes\":[\"quick\"],\"rules\":[{\"name\":\"q\","
				     "\"guest\":\"*\",\"hypervisor\":\"*\",\"required\":[]}]}", &e), 0);
	CHECK_INT(submit_vcpus(&w, 6, &why), 0);
	CHECK(why && strstr(why, "kit mode full is not accepted"));
	free(why);
	world_close(&w);
}

/* Two databases in one process, each with its policy, submitted to in
 * turn: each judges by its own. */
TEST(submission_policies_of_two_databases_stay_apart)
{
	struct world a, b;
	struct program_error e = { 0 };

	world_open_at(&a, "a.db");
	world_open_at(&b, "b.db");
	CHECK_INT(program_policy_set(a.s, strict_policy, &e), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(submit_vcpus(&a, 2 + 2 * i, NULL), 0);
		CHECK_INT(submit_vcpus(&b, 2 + 2 * i, NULL), 1);
	}
	/* Now b is the strict one and a has the built-in policy. */
	CHECK_INT(program_policy_set(b.s, strict_policy, &e), 0);
	CHECK_INT(program_policy_set(a.s, program_policy_default(), &e), 0);
	CHECK_INT(submit_vcpus(&b, 8, NULL), 0);
	CHECK_INT(submit_vcpus(&a, 8, NULL), 1);
	world_close(&a);
	world_close(&b);
}

/* A thread loading and applying the policy of its own connection to the
 * database at path, again and again: each judgement is by one of the two
 * policies set meanwhile, whole (0 reasons: the built-in one; 1 naming
 * the never-run check: the strict one). */
struct loader {
	const char *path;
	json_t *log;
	int bad;
};

static void *load_again_and_again(void *arg)
{
	struct loader *l = arg;
	struct store *s = NULL;
	char *err = NULL;

	if (store_open(l->path, &s, &err) < 0) {
		l->bad++;
		free(err);
		return NULL;
	}
	for (int i = 0; i < 300; i++) {
		struct program_error e = { 0 };
		struct program_policy *p = NULL;
		struct cv_strv reasons;

		if (program_policy_load(s, &p, &e) < 0) {
			l->bad++;
			program_error_release(&e);
			continue;
		}
		cv_strv_init(&reasons);
		program_policy_evaluate(p, l->log, &reasons);
		if (!(reasons.n == 0 || (reasons.n == 1 && strstr(reasons.v[0], "bench.never-run"))))
			l->bad++;
		cv_strv_release(&reasons);
		program_policy_free(p);
	}
	store_close(s);
	return NULL;
}

/* The kept policy is shared by threads and replaced under them: none
 * judges by a freed or half-made one (run under ASan: make check). */
TEST(policy_kept_is_shared_safely_between_threads)
{
	struct world w;
	struct program_error e = { 0 };
	struct loader l[4];
	pthread_t t[4];
	char *path = NULL;
	json_t *log = make_log("full", "rhel", "9.4", 2);

	world_open(&w);
	if (asprintf(&path, "%s/program.db", tap_tmpdir()) < 0)
		abort();
	for (int i = 0; i < 4; i++) {
		l[i] = (struct loader){ path, log, 0 };
		CHECK_INT(pthread_create(&t[i], NULL, load_again_and_again, &l[i]), 0);
	}
	for (int i = 0; i < 40; i++)
		CHECK_INT(program_policy_set(w.s, i % 2 ? program_policy_default() : strict_policy, &e), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(l[i].bad, 0);
	}
	free(path);
	json_decref(log);
	world_close(&w);
}

/* Every writing call owns its transaction and leaves none open behind it
 * (the store's writer lock is not recursive: a caller's own transaction
 * around these calls would wait on itself, which is why callers hold none). */
TEST(writes_own_their_transactions)
{
	struct world w;
	struct program_error e = { 0 };
	char *tok = NULL, *id = NULL;

	world_open(&w);
	CHECK_INT(program_token_issue(w.s, "red-hat", "ci", &tok, &id, &e), 0);
	/* Nothing left open: the caller can begin its own. */
	CHECK_INT(store_begin(w.s), 0);
	CHECK_INT(store_rollback(w.s), 0);
	CHECK_INT(program_token_revoke(w.s, id, &e), 0);
	CHECK(program_token_revoke(w.s, id, &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK_STR(e.code, "not_found");
	CHECK_INT(program_key_revoke(w.s, w.rh_key_id, &e), 0);
	CHECK(program_key_revoke(w.s, w.rh_key_id, &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK(program_key_revoke(w.s, "no-such-key", &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK(program_policy_set(w.s, "{\"schema\": \"nope\"}", &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK_INT(program_policy_set(w.s, program_policy_default(), &e), 0);
	CHECK_INT(store_begin(w.s), 0);
	CHECK_INT(store_rollback(w.s), 0);
	free(tok);
	free(id);
	world_close(&w);
}

/* ---- statuses against measurements (issue 12 part 3; docs/testlog.md) ---- */

/* log's result id given status and measured (released), signed by rh, submitted as red-hat. */
static int submit_edited(struct world *w, json_t *log, const char *id, const char *status, json_t *measured,
			 struct program_submission *sub, struct program_error *e)
{
	json_t *x = result(log, id);
	size_t len;
	char *bytes;
	int r;

	json_object_set_new(x, "status", json_string(status));
	json_object_set_new(x, "measured", measured);
	bytes = signed_bytes(log, &w->rh, &len);
	r = program_submit(w->s, "red-hat", bytes, len, sub, e);
	free(bytes);
	return r;
}

TEST(submission_whose_status_contradicts_its_measurement_is_refused)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *log;

	world_open(&w);
	/* The issue's attack: the kit failed time.rate_skew at 812 ppm; the
	 * vendor edits the status to pass and signs the log again. */
	log = make_log("full", "rhel", "9.4", 2);
	json_object_set_new(json_object_get(log, "kit"), "thresholds", json_integer(1));
	CHECK(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", 812.0), &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK_STR(e.code, "status_contradicts_measurement");
	CHECK_STR(e.message, "time.rate_skew: status pass but |ppm| 812 > 500 (threshold version 1)");
	CHECK(json_array_size(e.reasons) == 1);
	program_error_release(&e);
	/* Two at once: both in error.reasons, the message names both. */
	json_object_set_new(result(log, "time.monotonic"), "measured", json_pack("{s:i, s:i}", "samples", 9000, "inversions", 3));
	CHECK(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", -812.0), &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK(strstr(e.message, "time.monotonic: status pass but inversions 3 > 0"));
	CHECK(strstr(e.message, "time.rate_skew: status pass but |ppm| 812 > 500"));
	CHECK_INT(json_array_size(e.reasons), 2);
	program_error_release(&e);
	/* A pass that carries no measurement, or one of the wrong type, proves nothing. */
	json_decref(log);
	log = make_log("full", "rhel", "9.4", 2);
	CHECK(submit_edited(&w, log, "time.vdso", "pass", json_pack("{s:f}", "vdso_ns", 20.0), &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK(strstr(e.message, "time.vdso: status pass but measured.syscall_ns is missing"));
	program_error_release(&e);
	CHECK(submit_edited(&w, log, "time.vdso", "pass", json_pack("{s:f, s:s}", "vdso_ns", 20.0, "syscall_ns", "300"), &sub,
			    &e) < 0);
	CHECK(strstr(e.message, "time.vdso: status pass but measured.syscall_ns is not a number"));
	program_error_release(&e);
	/* A failure turned into an allowed skip is no skip. */
	json_decref(log);
	log = make_log("full", "rhel", "9.4", 2);
	CHECK(submit_edited(&w, log, "cpu.feature_consistency", "skip",
			    json_pack("{s:i, s:i}", "cpus", 2, "differing_cpus", 1), &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK(strstr(e.message, "cpu.feature_consistency: status skip but the measurements decide it: differing_cpus 1 > 0"));
	program_error_release(&e);
	/* Nothing was recorded for any of them. */
	CHECK_INT(count_submissions(w.s, NULL), 0);
	json_decref(log);
	world_close(&w);
}

TEST(submission_whose_statuses_agree_is_judged_by_the_policy)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *log;

	world_open(&w);
	/* The same measurement with the kit's own status: recorded, rejected by the policy. */
	log = make_log("full", "rhel", "9.4", 2);
	json_object_set_new(json_object_get(log, "kit"), "thresholds", json_integer(1));
	CHECK_INT(submit_edited(&w, log, "time.rate_skew", "fail", json_pack("{s:f}", "ppm", 812.0), &sub, &e), 0);
	CHECK(!sub.accepted);
	CHECK(sub.reasons.n == 1 && strstr(sub.reasons.v[0], "required check time.rate_skew: fail"));
	program_submission_release(&sub);
	/* Every status agreeing with its measurement, version 1 named: accepted. */
	json_decref(log);
	log = make_log("full", "rhel", "9.4", 2);
	json_object_set_new(json_object_get(log, "kit"), "thresholds", json_integer(1));
	CHECK_INT(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", 499.5), &sub, &e), 0);
	CHECK(sub.accepted && sub.created);
	program_submission_release(&sub);
	CHECK_INT(count_submissions(w.s, NULL), 2);
	json_decref(log);
	world_close(&w);
}

TEST(submission_is_judged_by_the_threshold_version_it_names)
{
	struct world w;
	struct program_error e = { 0 };
	struct program_submission sub = { 0 };
	json_t *policy, *sets, *v2, *log;
	char *text;

	world_open(&w);
	/* A policy holding version 1 and a looser version 2 (1000 ppm). */
	policy = json_loads(program_policy_default(), 0, NULL);
	sets = json_object_get(policy, "thresholds");
	v2 = json_deep_copy(json_array_get(sets, 0));
	json_object_set_new(v2, "version", json_integer(2));
	json_object_set_new(json_object_get(json_object_get(v2, "checks"), "time.rate_skew"), "max_abs_ppm", json_integer(1000));
	json_array_append_new(sets, v2);
	text = json_dumps(policy, 0);
	CHECK_INT(program_policy_set(w.s, text, &e), 0);
	free(text);

	/* A log from before kit.thresholds is judged by version 1: 700 ppm is over 500. */
	log = make_log("full", "rhel", "9.4", 2);
	CHECK(json_object_get(json_object_get(log, "kit"), "thresholds") == NULL);
	CHECK(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", 700.0), &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK_STR(e.message, "time.rate_skew: status pass but |ppm| 700 > 500 (threshold version 1)");
	program_error_release(&e);
	/* The same measurement made under version 2 passes by its rules. */
	json_object_set_new(json_object_get(log, "kit"), "thresholds", json_integer(2));
	CHECK_INT(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", 700.0), &sub, &e), 0);
	CHECK(sub.accepted);
	program_submission_release(&sub);
	/* A version the policy does not hold cannot be judged: 422. */
	json_object_set_new(json_object_get(log, "kit"), "thresholds", json_integer(7));
	CHECK(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", 1.0), &sub, &e) < 0);
	CHECK_INT(e.http, 422);
	CHECK_STR(e.code, "unknown_threshold_version");
	CHECK(strstr(e.message, "threshold version 7"));
	/* One that is not a version is a malformed log: 400 naming the field. */
	json_object_set_new(json_object_get(log, "kit"), "thresholds", json_string("1"));
	CHECK(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", 1.0), &sub, &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK_STR(e.code, "invalid_log");
	CHECK(strstr(e.message, "kit.thresholds"));
	json_object_set_new(json_object_get(log, "kit"), "thresholds", json_integer(0));
	CHECK(submit_edited(&w, log, "time.rate_skew", "pass", json_pack("{s:f}", "ppm", 1.0), &sub, &e) < 0);
	CHECK_INT(e.http, 400);
	CHECK_INT(count_submissions(w.s, NULL), 1);
	json_decref(log);
	json_decref(policy);
	world_close(&w);
}

TAP_MAIN(writes_own_their_transactions, policy_default_parses_and_matches_data_file, policy_rejects_bad_documents_naming_the_field,
	 policy_evaluation_gives_every_reason, policy_first_matching_rule_applies, policy_required_when_follows_the_descriptor,
	 tokens_are_stored_hashed_and_authenticate, token_expiry_takes_times_dates_and_durations,
	 tokens_expire_and_record_their_last_use,
	 vendors_and_keys, key_register_refuses_weak_keys, submission_accepted_creates_then_extends_a_configuration,
	 submission_names_vendors_from_the_products, submission_of_windows_guests_keeps_service_packs_apart,
	 submission_rejected_is_recorded_with_every_reason_and_changes_no_configuration,
	 submission_refused_for_bad_signatures_records_nothing, revocation_by_the_validating_vendor_or_the_owner_only,
	 submission_cannot_extend_or_revoke_the_seed_row, submission_vendor_ids_that_share_a_prefix_do_not_collide,
	 submission_claims_that_sanitize_or_truncate_alike_stay_apart, submission_does_not_extend_an_imported_row_with_its_id,
	 submission_claim_must_be_well_typed, submission_claim_must_agree_with_the_descriptor,
	 submission_replayed_log_is_refused, submission_digest_is_of_the_signed_content, submission_is_judged_by_the_policy_set_last,
	 submission_policies_of_two_databases_stay_apart, policy_kept_is_shared_safely_between_threads, submission_whose_status_contradicts_its_measurement_is_refused,
	 submission_whose_statuses_agree_is_judged_by_the_policy, submission_is_judged_by_the_threshold_version_it_names,
	 policy_thresholds_are_checked_naming_the_field)
