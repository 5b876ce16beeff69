/* test-kit.c - the kit's registry, its probe-based decisions, key files, JUnit (test logs: test-testlog.c). */
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
		"time.timer_latency", "time.sync", "time.reference", "irq.timer_delivery", "kernel.health", "kernel.pv_drivers",
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
	 pv_driver_and_memory_decisions, key_files_roundtrip_and_are_private, junit_has_a_case_per_check)
