/* test-kit.c - the kit's registry, its probe-based decisions, test-log canonical form, signing, verification, JUnit. */
#include <jansson.h>
#include <sys/stat.h>

#include "covalid/kit.h"
#include "covalid/sign.h"
#include "covalid/testlog.h"
#include "kit/kit-internal.h"
#include "tap.h"

TEST(registry_is_complete_and_unique)
{
	static const char *const required[] = {
		"env.fingerprint", "cpu.topology", "cpu.all_vcpus_execute", "cpu.feature_consistency",
		"time.monotonic", "time.cross_cpu_warp", "time.clocksource", "time.vdso", "time.rate_skew",
		"time.timer_latency", "time.sync", "irq.timer_delivery", "kernel.health", "kernel.pv_drivers",
		"mem.size", "mem.pattern", "storage.io_integrity", "storage.inventory", "net.inventory",
		"net.loopback_integrity", "net.peer_transfer", "platform.security", "firmware.smbios",
	};
	const struct kit_check_info *const *v;
	size_t n = kit_checks(&v);

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		CHECK(kit_check_find(required[i]) != NULL);
	for (size_t i = 0; i < n; i++) {
		CHECK(v[i]->title && *v[i]->title && v[i]->measures && *v[i]->measures && v[i]->criterion &&
		      *v[i]->criterion);
		CHECK(strchr(v[i]->id, '.') != NULL);
		CHECK(!v[i]->hidden); /* self-tests are listed only with COVALID_KIT_SELFTEST=1 */
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(v[i]->id, v[k]->id) != 0);
	}
	CHECK(kit_check_find("selftest.crash") == NULL);
	CHECK(kit_check_find("firmware.smbios")->needs_root);
}

TEST(fingerprint_decisions)
{
	struct kit_verdict v;

	kit_decide_fingerprint("kvm", "kvm", "QEMU/KVM", "QEMU/KVM", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_fingerprint("kvm", "none", "QEMU/KVM", NULL, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "bare metal"));
	kit_decide_fingerprint("microsoft", "kvm", NULL, NULL, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "claims hypervisor microsoft, the probe finds kvm"));
	kit_decide_fingerprint("microsoft", "microsoft", "Windows Server 2008 Hyper-V", "Windows Server 2012 Hyper-V", &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_fingerprint("kvm", "unknown", NULL, NULL, &v);
	CHECK_INT(v.status, KIT_FAIL);
}

TEST(topology_decisions)
{
	struct kit_verdict v;

	kit_decide_topology(2, 2, 0, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_topology(2, 2, 2, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_topology(1, 2, 0, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "1 vCPUs online of 2 present"));
	kit_decide_topology(2, 2, 4, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "the VM was given 4"));
	kit_decide_topology(-1, 2, 0, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

TEST(clocksource_allow_lists)
{
	struct kit_verdict v;

	kit_decide_clocksource("microsoft", "hyperv_clocksource_tsc_page", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_clocksource("microsoft", "tsc", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_clocksource("microsoft", "acpi_pm", &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "expected one of: hyperv_clocksource_tsc_page"));
	kit_decide_clocksource("kvm", "kvm-clock", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_clocksource("kvm", "hpet", &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_clocksource("kvm", "kvm", &v); /* a substring of kvm-clock is not kvm-clock */
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_clocksource("xen", "xen", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_clocksource("kvm", NULL, &v);
	CHECK_INT(v.status, KIT_SKIP);
	kit_decide_clocksource("kvm", "arch_sys_counter", &v);
	CHECK_INT(v.status, KIT_PASS);
}

TEST(pv_driver_and_memory_decisions)
{
	struct kit_verdict v;

	struct cv_strv none, two;

	cv_strv_init(&none);
	cv_strv_init(&two);
	cv_strv_push(&two, "utils");
	cv_strv_push(&two, "balloon");
	kit_decide_pv_drivers("microsoft", &none, &none, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_pv_drivers("microsoft", &two, &none, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "missing integration components: utils, balloon"));
	kit_decide_pv_drivers("none", &none, &none, &v);
	CHECK_INT(v.status, KIT_SKIP);
	cv_strv_release(&two);

	kit_decide_mem_size(2048, 0, &v);
	CHECK_INT(v.status, KIT_SKIP);
	kit_decide_mem_size(1900, 2048, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_mem_size(1843, 2048, &v); /* 89.99% */
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_mem_size(1844, 2048, &v); /* 90.04% */
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_mem_size(4096, 2048, &v);
	CHECK_INT(v.status, KIT_FAIL);
}

static json_t *small_log(void)
{
	return json_pack("{s:s, s:s, s:[{s:s, s:s, s:f, s:o}], s:{s:i}}", "schema", TESTLOG_SCHEMA, "host", "h\xc3\xa9",
			 "results", "id", "time.vdso", "status", "pass", "duration_s", 0.123456, "reason", json_null(),
			 "summary", "pass", 1);
}

TEST(canonical_form_is_stable)
{
	json_t *doc = json_pack("{s:s, s:f, s:[i, f], s:{s:s, s:s}}", "schema", TESTLOG_SCHEMA, "x", 1.0 / 3.0, "a", 7,
				0.1, "o", "z", "1", "a", "2");
	char *c1 = testlog_canonical(doc, NULL), *c2;
	json_t *back = json_loads(c1, 0, NULL);

	CHECK(cv_endswith(c1, "\n"));
	CHECK(strchr(c1, ' ') == NULL);
	CHECK(strstr(c1, "\"o\":{\"a\":\"2\",\"z\":\"1\"}") != NULL); /* keys sorted */
	c2 = testlog_canonical(back, NULL);
	CHECK_STR(c1, c2); /* parse and re-serialize: the same bytes */
	free(c1);
	free(c2);
	json_decref(doc);
	json_decref(back);
}

static void make_signed(char **ret_text, size_t *ret_len, struct sign_key *k)
{
	json_t *doc = small_log();

	CHECK_INT(sign_init(), 0);
	CHECK_INT(sign_key_generate(k), 0);
	CHECK_INT(testlog_sign(doc, k), 0);
	*ret_text = testlog_canonical(doc, ret_len);
	json_decref(doc);
}

TEST(signed_log_verifies)
{
	struct sign_key k, pub;
	char *text, *why = NULL, *pubs;
	size_t len;

	make_signed(&text, &len, &k);
	pubs = sign_key_public_string(&k);
	CHECK_INT(sign_key_parse_public(pubs, &pub, &why), 0);
	CHECK_STR(pub.id, k.id);
	CHECK_INT(testlog_verify(text, len, &pub, NULL, &why), 0);
	free(pubs);
	free(text);
	sign_key_release(&k);
}

TEST(every_single_byte_flip_fails)
{
	struct sign_key k;
	char *text, *why = NULL;
	size_t len, passed = 0;

	make_signed(&text, &len, &k);
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			char *t = cv_xmalloc(len);

			memcpy(t, text, len);
			t[i] ^= (char)(1 << bit);
			if (testlog_verify(t, len, &k, NULL, &why) == 0) {
				tap_fail(__FILE__, __LINE__, "flip of bit %d of byte %zu ('%c') still verifies", bit, i,
					 text[i]);
				passed++;
			}
			free(why);
			why = NULL;
			free(t);
		}
	CHECK_INT(passed, 0);
	free(text);
	sign_key_release(&k);
}

static void rejects(const char *text, size_t len, const struct sign_key *k, const char *want)
{
	char *why = NULL;

	CHECK_INT(testlog_verify(text, len, k, NULL, &why), -EBADMSG);
	if (!why || !strstr(why, want))
		tap_fail(__FILE__, __LINE__, "reason '%s' does not say '%s'", why ? why : "(none)", want);
	free(why);
}

TEST(tampering_has_clear_reasons)
{
	struct sign_key k, other;
	char *text, *t;
	size_t len;
	json_t *doc;

	make_signed(&text, &len, &k);
	CHECK_INT(sign_key_generate(&other), 0);
	rejects(text, len, &other, "signed by key");
	rejects(text, len - 10, &k, "not valid JSON");
	rejects(text, 0, &k, "not valid JSON");
	/* Re-indented: same content, not the signed bytes. */
	doc = json_loadb(text, len, 0, NULL);
	t = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	rejects(t, strlen(t), &k, "not in canonical form");
	free(t);
	/* A changed value, re-serialized canonically: the signature fails. */
	json_object_set_new(doc, "host", json_string("elsewhere"));
	t = testlog_canonical(doc, NULL);
	rejects(t, strlen(t), &k, "does not match the content");
	free(t);
	json_object_del(doc, "signature");
	t = testlog_canonical(doc, NULL);
	rejects(t, strlen(t), &k, "no signature");
	free(t);
	json_object_set_new(doc, "schema", json_string("something/else"));
	t = testlog_canonical(doc, NULL);
	rejects(t, strlen(t), &k, "not a covalid test log");
	free(t);
	json_decref(doc);
	free(text);
	sign_key_release(&k);
	sign_key_release(&other);
}

TEST(key_files_roundtrip_and_are_private)
{
	char *path = cv_xasprintf("%s/k", tap_tmpdir()), *pub = cv_xasprintf("%s/k.pub", tap_tmpdir()), *why = NULL;
	struct sign_key k, loaded, p;
	struct stat st;

	CHECK_INT(sign_init(), 0);
	CHECK_INT(sign_key_generate(&k), 0);
	CHECK_INT(sign_key_save(&k, path), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(sign_key_load_secret(path, &loaded, &why), 0);
	CHECK(memcmp(loaded.pk, k.pk, sizeof(k.pk)) == 0);
	CHECK_INT(sign_key_load_public(pub, &p, &why), 0);
	CHECK_STR(p.id, k.id);
	CHECK_INT(sign_key_load_secret(pub, &loaded, &why), -EINVAL); /* a public key is not a secret one */
	CHECK(why && strstr(why, "not a covalid secret key"));
	free(why);
	why = NULL;
	CHECK_INT(sign_key_parse_public("ed25519:AAAA", &p, &why), -EINVAL);
	free(why);
	free(path);
	free(pub);
	sign_key_release(&k);
	sign_key_release(&loaded);
}

TEST(junit_has_a_case_per_check)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:f, s:{s:i, s:i, s:i, s:i}, s:[{s:s, s:s, s:s, s:f, s:{}}, "
				"{s:s, s:s, s:s, s:f, s:{}}, {s:s, s:s, s:o, s:f, s:{}}]}",
				"schema", TESTLOG_SCHEMA, "host", "a<b", "started_at", "2026-01-01T00:00:00Z",
				"duration_s", 1.5, "summary", "pass", 1, "fail", 1, "skip", 0, "error", 1, "results",
				"id", "time.vdso", "status", "fail", "reason", "slow & \"late\"", "duration_s", 0.5,
				"measured", "id", "kernel.health", "status", "error", "reason", "crashed", "duration_s",
				0.1, "measured", "id", "cpu.topology", "status", "pass", "reason", json_null(),
				"duration_s", 0.0, "measured");
	char *x = kit_junit(doc);

	CHECK(strstr(x, "<testsuite name=\"covalid-kit\" tests=\"3\" failures=\"1\" errors=\"1\""));
	CHECK(strstr(x, "hostname=\"a&lt;b\""));
	CHECK(strstr(x, "<testcase classname=\"covalid.kit.time\" name=\"time.vdso\""));
	CHECK(strstr(x, "<failure message=\"slow &amp; &quot;late&quot;\"/>"));
	CHECK(strstr(x, "<error message=\"crashed\"/>"));
	free(x);
	json_decref(doc);
}

TAP_MAIN(registry_is_complete_and_unique, fingerprint_decisions, topology_decisions, clocksource_allow_lists,
	 pv_driver_and_memory_decisions, canonical_form_is_stable, signed_log_verifies, every_single_byte_flip_fails,
	 tampering_has_clear_reasons, key_files_roundtrip_and_are_private, junit_has_a_case_per_check)
