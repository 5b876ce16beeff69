/*
 * test-program.c - the program's rules without HTTP: the validation
 * policy, tokens, vendors and keys, submissions (accepted, rejected,
 * refused, extending), revocation and who may do it.
 */
#include <jansson.h>

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

/* A test log as the kit writes one: every check of the default policy passed. */
static json_t *make_log(const char *mode, const char *os, const char *ver, int vcpus)
{
	json_t *results = json_array();

	for (size_t i = 0; i < sizeof(default_required) / sizeof(default_required[0]); i++)
		json_array_append_new(results, json_pack("{s:s, s:s}", "id", default_required[i], "status", "pass"));
	return json_pack("{s:s, s:{s:s}, s:s, s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:n, s:n}, s:{s:i, s:i}}, s:o}",
			 "schema", TESTLOG_SCHEMA, "kit", "mode", mode, "started_at", "2026-11-20T10:00:00Z", "claim",
			 "guest", "os_id", os, "version", ver, "arch", "x86_64", "hypervisor", "id", "kvm", "product",
			 "KVM", "version", "build", "vm", "vcpus", vcpus, "memory_mib", 4096, "results", results);
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

static void world_open(struct world *w)
{
	struct program_error e = { 0 };
	char *path = NULL, *err = NULL, *id = NULL, *pk;

	memset(w, 0, sizeof(*w));
	CHECK_INT(sign_init(), 0);
	if (asprintf(&path, "%s/program.db", tap_tmpdir()) < 0)
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

static void world_close(struct world *w)
{
	store_close(w->s);
	sign_key_release(&w->rh);
	sign_key_release(&w->ms);
	free(w->rh_key_id);
	free(w->ms_key_id);
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
	log = make_log("full", "rhel", "9.4", 2);
	bytes = signed_bytes(log, &w.rh, &len);
	CHECK_INT(program_submit(w.s, "red-hat", bytes, len, &sub, &e), 0);
	CHECK(sub.accepted && sub.created);
	CHECK_INT(sub.reasons.n, 0);
	CHECK_STR(sub.config_id, "red-hat-kvm-any-rhel9.4-x86_64");
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
	CHECK_INT(store_config_get(w.s, "red-hat-kvm-any-rhel9.4-x86_64", &doc), -ENOENT);
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

TAP_MAIN(policy_default_parses_and_matches_data_file, policy_rejects_bad_documents_naming_the_field,
	 policy_evaluation_gives_every_reason, policy_first_matching_rule_applies, tokens_are_stored_hashed_and_authenticate,
	 vendors_and_keys, key_register_refuses_weak_keys, submission_accepted_creates_then_extends_a_configuration,
	 submission_rejected_is_recorded_with_every_reason_and_changes_no_configuration,
	 submission_refused_for_bad_signatures_records_nothing, revocation_by_the_validating_vendor_or_the_owner_only)
