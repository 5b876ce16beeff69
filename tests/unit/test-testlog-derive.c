/*
 * test-testlog-derive.c - statuses derived from measurements
 * (src/testlog/derive.c) agree with the kit's own: on a real kit run of
 * this machine, on the kit's decisions fed recorded values either side of
 * every bound, and on checks run with an injected fault; and a log whose
 * statuses contradict its measurements is caught, naming the check.
 *
 * Depends on nothing of the machine: whatever each check finds here, the
 * derivation must find the same.
 */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "covalid/kit.h"
#include "covalid/testlog.h"
#include "kit/kit-internal.h"
#include "tap.h"
#include "util/cv.h"

/* The built-in set of version v's "checks" (a new reference). */
static json_t *builtin_checks(int64_t v)
{
	json_t *c = NULL;

	CHECK_INT(testlog_thresholds_builtin_checks(v, &c), 0);
	return c;
}

/* The status derived from measured (released). */
static const char *derive_name(const char *id, json_t *measured, const struct testlog_context *ctx)
{
	json_t *checks = builtin_checks(1);
	struct testlog_derivation d;
	int r = testlog_derive(id, measured, ctx, checks, &d);

	json_decref(checks);
	json_decref(measured);
	return r < 0 ? "no row" : testlog_derived_name(d.status);
}

static const struct testlog_context kvm = { "kvm", "KVM", 0, 0, NULL };

TEST(every_kit_check_has_a_row_and_the_builtin_set_is_valid)
{
	const struct kit_check *t;
	size_t n;
	json_t *sets = json_loads(testlog_thresholds_builtin(), 0, NULL), *checks = builtin_checks(1), *why_json = NULL;
	char *why = NULL;
	struct testlog_derivation d;

	t = kit_table(&n);
	for (size_t i = 0; i < n; i++)
		if (testlog_derive(t[i].info.id, NULL, &kvm, checks, &d) < 0)
			tap_fail(__FILE__, __LINE__, "%s has no row in src/testlog/derive.c", t[i].info.id);
	CHECK(json_is_array(sets) && json_array_size(sets) >= 1);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(sets, 0), "version")), 1);
	CHECK_INT(TESTLOG_THRESHOLDS_VERSION, 1);
	CHECK_INT(testlog_thresholds_check(checks, 1, &why), 0);
	free(why);
	CHECK(testlog_derive("no.such_check", NULL, &kvm, checks, &d) == -ENOENT);
	CHECK(testlog_thresholds_builtin_checks(TESTLOG_THRESHOLDS_VERSION + 1, &why_json) == -ENOENT);
	json_decref(sets);
	json_decref(checks);
}

/* Windows's table (src/kit/win/registry.c) cannot be linked here: its ids
 * are read from its source, each "{ { \"ID\"," opening an entry. */
TEST(every_windows_check_has_a_row)
{
	char *text = NULL, *p;
	size_t len, found = 0;
	json_t *checks = builtin_checks(1);
	struct testlog_derivation d;

	CHECK_INT(cv_read_file(TEST_SRCDIR "/src/kit/win/registry.c", 1 << 20, &text, &len), 0);
	for (p = text; p && (p = strstr(p, "{ { \"")); p += 5) {
		char id[64];
		size_t n = strcspn(p + 5, "\"");

		if (n == 0 || n >= sizeof(id))
			continue;
		memcpy(id, p + 5, n);
		id[n] = '\0';
		found++;
		if (testlog_derive(id, NULL, &kvm, checks, &d) < 0)
			tap_fail(__FILE__, __LINE__, "Windows's %s has no row in src/testlog/derive.c", id);
	}
	/* 18 checks and the two self-tests today. */
	CHECK_INT(found, 20);
	free(text);
	json_decref(checks);
}

/* The version the kit writes into its logs holds the kit's numbers
 * (kit-internal.h, check-env.c): version 1 today. */
TEST(the_kits_version_holds_the_kits_numbers)
{
	static const char *const hypervisors[] = { "microsoft", "kvm", "qemu", "amazon", "google", "xen", "vmware",
						   "oracle", "bhyve", "parallels", "none" };
	json_t *c = builtin_checks(TESTLOG_THRESHOLDS_VERSION), *allowed;
	const char *kit_list;

#define LIMIT(id, key) json_number_value(json_object_get(json_object_get(c, id), key))
	CHECK(LIMIT("cpu.all_vcpus_execute", "min_fraction") == KIT_EXECUTE_MIN_FRACTION);
	CHECK(LIMIT("time.vdso", "max_ns") == KIT_VDSO_MAX_NS);
	CHECK(LIMIT("time.vdso", "min_speedup") == KIT_VDSO_MIN_SPEEDUP);
	CHECK(LIMIT("time.rate_skew", "max_abs_ppm") == KIT_RATE_SKEW_PPM);
	CHECK(LIMIT("time.timer_latency", "max_overshoot_ms") == KIT_TIMER_MAX_OVERSHOOT_MS);
	CHECK(LIMIT("mem.size", "min_fraction") == KIT_MEM_SIZE_MIN);
	CHECK(LIMIT("time.sync", "max_abs_peer_offset_ms") == KIT_PEER_OFFSET_MAX_MS);
	CHECK(LIMIT("time.reference", "max_abs_drift_ppm") == KIT_REFERENCE_DRIFT_PPM);
#undef LIMIT
	/* The allow-list of each hypervisor check-env.c names, and of any other ("*"). */
	allowed = json_object_get(json_object_get(c, "time.clocksource"), "allowed");
	for (size_t i = 0; i <= CV_ELEMENTSOF(hypervisors); i++) {
		const char *hv = i < CV_ELEMENTSOF(hypervisors) ? hypervisors[i] : "some-other";
		json_t *list = json_object_get(allowed, i < CV_ELEMENTSOF(hypervisors) ? hv : "*"), *x;
		struct cv_strv names;
		char *joined;
		size_t k;

		cv_strv_init(&names);
		json_array_foreach(list, k, x)
			cv_strv_push(&names, json_string_value(x));
		joined = cv_strv_join(&names, " ");
		kit_clocksource_allowed(hv, NULL, &kit_list);
		if (strcmp(joined, kit_list) != 0)
			tap_fail(__FILE__, __LINE__, "%s: the set allows \"%s\", the kit \"%s\"", hv, joined, kit_list);
		free(joined);
		cv_strv_release(&names);
	}
	CHECK(kit_clocksource_allowed("kvm", "arch_sys_counter", NULL));
	CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(c, "time.clocksource"), "always_allowed"), 0)),
		  "arch_sys_counter");
	json_decref(c);
}

/* The real kit, quick, in this machine: every result's derived status is
 * the kit's, and its log has no contradiction. */
TEST(a_real_kit_run_derives_the_kits_own_statuses)
{
	struct kit_options o = { .quick = true };
	struct kit_run *run = NULL;
	struct testlog_context ctx;
	struct cv_strv contra;
	char *err = NULL;
	json_t *doc, *checks = builtin_checks(TESTLOG_THRESHOLDS_VERSION), *x;
	int64_t version = 0;
	size_t i, derived = 0;

	cv_strv_init(&o.only);
	cv_strv_init(&o.skip);
	cv_strv_init(&contra);
	CHECK_INT(kit_run(&o, &run, &err), 0);
	if (!run) {
		tap_fail(__FILE__, __LINE__, "kit_run: %s", err ? err : "?");
		free(err);
		json_decref(checks);
		return;
	}
	doc = kit_run_to_json(run);
	CHECK_INT(testlog_thresholds_version(doc, &version, &err), 0);
	CHECK_INT(version, TESTLOG_THRESHOLDS_VERSION);
	testlog_context_of(doc, &ctx);
	json_array_foreach(json_object_get(doc, "results"), i, x) {
		const char *id = json_string_value(json_object_get(x, "id"));
		const char *status = json_string_value(json_object_get(x, "status"));
		struct testlog_derivation d;

		CHECK_INT(testlog_derive(id, json_object_get(x, "measured"), &ctx, checks, &d), 0);
		printf("# %-24s kit %-5s derived %-7s %s\n", id, status, testlog_derived_name(d.status), d.why);
		if (d.status == TESTLOG_DERIVED_MISSING) {
			/* Only where the kit itself could not measure. */
			if (strcmp(status, "skip") != 0 && strcmp(status, "error") != 0)
				tap_fail(__FILE__, __LINE__, "%s: kit %s, but %s", id, status, d.why);
			continue;
		}
		derived++;
		if (strcmp(testlog_derived_name(d.status), status) != 0)
			tap_fail(__FILE__, __LINE__, "%s: the kit says %s, the derivation %s (%s)", id, status,
				 testlog_derived_name(d.status), d.why);
	}
	/* Most checks measure something on any machine. */
	CHECK(derived >= 10);
	testlog_contradictions(doc, checks, &contra);
	for (i = 0; i < contra.n; i++)
		tap_fail(__FILE__, __LINE__, "contradiction in the kit's own log: %s", contra.v[i]);
	cv_strv_release(&contra);
	json_decref(doc);
	json_decref(checks);
	kit_run_free(run);
	free(err);
	cv_strv_release(&o.only);
	cv_strv_release(&o.skip);
}

/*
 * Each check run alone, in this process, with a context other than the
 * real run's: not in a container (net.inventory counts interfaces), vCPUs
 * and memory expected (cpu.topology, mem.size compare), a descriptor whose
 * MemTotal is short of the memory expected (mem.size fails) and a product
 * the probe will not find (env.fingerprint fails).  Whatever each finds,
 * the derivation from what it measured must find the same.
 */
TEST(every_check_run_alone_derives_its_own_status)
{
	const struct kit_check *t;
	size_t n, derived = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct kit_options o = { .quick = true, .expect_memory_mib = 4096 };
	struct descriptor *d = descriptor_new();
	struct testlog_context ctx = { "kvm", "No Such Product", 0, 4096, NULL };
	json_t *checks = builtin_checks(TESTLOG_THRESHOLDS_VERSION);
	struct kit_ctx kc = { .opt = &o, .d = d, .tmpdir = tap_tmpdir(), .n_cpus = ncpu > 0 ? (size_t)ncpu : 1,
			       .root = geteuid() == 0 };

	cv_strv_init(&o.only);
	cv_strv_init(&o.skip);
	o.expect_vcpus = (int)kc.n_cpus;
	ctx.expect_vcpus = o.expect_vcpus;
	kc.cpus = cv_xcalloc(kc.n_cpus, sizeof(int));
	for (size_t i = 0; i < kc.n_cpus; i++)
		kc.cpus[i] = (int)i;
	descriptor_set(&d->hypervisor.id, "kvm");
	descriptor_set(&d->hypervisor.product, "No Such Product");
	descriptor_set(&d->container.id, "none");
	d->vm.memory_mib = 3000;
	t = kit_table(&n);
	for (size_t i = 0; i < n; i++) {
		struct kit_out out = { KIT_ERROR, "", json_object(), json_object() };
		struct testlog_derivation dv;

		if (t[i].info.hidden)
			continue; /* the self-tests crash and hang by design */
		t[i].fn(&kc, &out);
		CHECK_INT(testlog_derive(t[i].info.id, out.measured, &ctx, checks, &dv), 0);
		printf("# %-24s kit %-5s derived %-7s %s\n", t[i].info.id, kit_status_name(out.status),
		       testlog_derived_name(dv.status), dv.why);
		if (dv.status == TESTLOG_DERIVED_MISSING) {
			if (out.status != KIT_SKIP && out.status != KIT_ERROR)
				tap_fail(__FILE__, __LINE__, "%s: kit %s, but %s", t[i].info.id, kit_status_name(out.status),
					 dv.why);
		} else {
			derived++;
			if (strcmp(testlog_derived_name(dv.status), kit_status_name(out.status)) != 0)
				tap_fail(__FILE__, __LINE__, "%s: the kit says %s (%s), the derivation %s (%s)", t[i].info.id,
					 kit_status_name(out.status), out.reason, testlog_derived_name(dv.status), dv.why);
		}
		json_decref(out.measured);
		json_decref(out.threshold);
	}
	CHECK(derived >= 10);
	json_decref(checks);
	free(kc.cpus);
	descriptor_free(d);
	cv_strv_release(&o.only);
	cv_strv_release(&o.skip);
}

/* ---- the kit's decisions on recorded values, either side of each bound ---- */

static void same(const char *id, enum kit_status kit, json_t *measured, const struct testlog_context *ctx,
		 const char *what)
{
	const char *got = derive_name(id, measured, ctx);

	if (strcmp(got, kit_status_name(kit)) != 0)
		tap_fail(__FILE__, __LINE__, "%s %s: the kit decides %s, the derivation %s", id, what, kit_status_name(kit), got);
}

TEST(rate_skew_vdso_and_timer_bounds_agree)
{
	static const double ppm[] = { 0, 499.9, 500, 500.1, -500, -500.1, -812, 812, 10000 };
	/* Not exactly at a strict bound ("< 200 ns"): a logged 200 may be
	 * 199.9999997 rounded (kit_round), so it derives pass (derive.c). */
	static const double vdso[][2] = { { 20, 600 }, { 199, 600 }, { 200.1, 600 }, { 201, 800 }, { 50, 150 },
					  { 50, 149 }, { 300, 400 }, { 0, 100 }, { 20, -1 } };
	static const double over[] = { 0.01, 39.9, 40.01, 40.1, 500 };
	struct kit_verdict v;
	char what[64];

	for (size_t i = 0; i < CV_ELEMENTSOF(ppm); i++) {
		kit_decide_rate_skew(ppm[i], KIT_RATE_SKEW_PPM, &v);
		snprintf(what, sizeof(what), "ppm %g", ppm[i]);
		same("time.rate_skew", v.status, json_pack("{s:f}", "ppm", ppm[i]), &kvm, what);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(vdso); i++) {
		kit_decide_vdso(vdso[i][0], vdso[i][1], &v);
		snprintf(what, sizeof(what), "%g ns / %g ns", vdso[i][0], vdso[i][1]);
		same("time.vdso", v.status, json_pack("{s:f, s:f}", "vdso_ns", vdso[i][0], "syscall_ns", vdso[i][1]), &kvm,
		     what);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(over); i++)
		for (uint64_t early = 0; early < 2; early++) {
			kit_decide_timer_latency(early, over[i], &v);
			snprintf(what, sizeof(what), "early %llu, %g ms", (unsigned long long)early, over[i]);
			same("time.timer_latency", v.status,
			     json_pack("{s:I, s:f}", "early", (json_int_t)early, "max_overshoot_ms", over[i]), &kvm, what);
		}
	CHECK_STR(derive_name("time.vdso", json_pack("{s:f, s:f}", "vdso_ns", 200.0, "syscall_ns", 600.0), &kvm), "pass");
	CHECK_STR(derive_name("time.timer_latency", json_pack("{s:i, s:f}", "early", 0, "max_overshoot_ms", 40.0), &kvm),
		  "pass");
}

TEST(rates_memory_topology_and_counts_agree)
{
	static const double rates[][4] = { { 100, 100, 100, 100 }, { 100, 100, 100, 49 }, { 100, 100, 100, 50 },
					   { 100, 100, 100, 51 }, { 0, 0, 0, 0 }, { 100, 40, 100, 100 } };
	/* 899999 of 1000000 MiB is under 90 % by one: integers are compared exactly. */
	static const uint64_t mem[][2] = { { 4096, 4096 }, { 3687, 4096 }, { 3686, 4096 }, { 4097, 4096 },
					   { 4000, 0 }, { 0, 4096 }, { 899999, 1000000 }, { 900000, 1000000 } };
	static const int topo[][3] = { { 4, 4, 0 }, { 3, 4, 0 }, { 4, 4, 4 }, { 4, 4, 8 }, { -1, 4, 0 } };
	static const uint64_t counts[][2] = { { 0, 1000 }, { 1, 1000 }, { 0, 0 }, { 7, 0 } };
	struct kit_verdict v;
	char what[64];

	for (size_t i = 0; i < CV_ELEMENTSOF(rates); i++) {
		kit_decide_rates(rates[i], 4, KIT_EXECUTE_MIN_FRACTION, &v);
		snprintf(what, sizeof(what), "rates row %zu", i);
		same("cpu.all_vcpus_execute", v.status,
		     json_pack("{s:{s:f, s:f, s:f, s:f}}", "rates", "cpu0", rates[i][0], "cpu1", rates[i][1], "cpu2",
			       rates[i][2], "cpu3", rates[i][3]),
		     &kvm, what);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(mem); i++) {
		struct testlog_context ctx = kvm;

		ctx.expect_memory_mib = (int64_t)mem[i][1];
		kit_decide_mem_size(mem[i][0], mem[i][1], &v);
		snprintf(what, sizeof(what), "%llu of %llu MiB", (unsigned long long)mem[i][0], (unsigned long long)mem[i][1]);
		same("mem.size", v.status, json_pack("{s:I}", "memtotal_mib", (json_int_t)mem[i][0]), &ctx, what);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(topo); i++) {
		struct testlog_context ctx = kvm;

		ctx.expect_vcpus = topo[i][2];
		kit_decide_topology(topo[i][0], topo[i][1], topo[i][2], &v);
		snprintf(what, sizeof(what), "%d online, %d present, expect %d", topo[i][0], topo[i][1], topo[i][2]);
		same("cpu.topology", v.status, json_pack("{s:i, s:i}", "online", topo[i][0], "present", topo[i][1]), &ctx,
		     what);
	}
	/* Windows without the ACPI MADT (wine, XP): present null, the check skips. */
	same("cpu.topology", KIT_SKIP,
	     json_pack("{s:i, s:n, s:s}", "online", 4, "present", "present_unreadable",
		       "GetSystemFirmwareTable('ACPI', 'APIC') is not in kernel32.dll"),
	     &kvm, "no MADT");
	for (size_t i = 0; i < CV_ELEMENTSOF(counts); i++) {
		snprintf(what, sizeof(what), "%llu bad of %llu", (unsigned long long)counts[i][0],
			 (unsigned long long)counts[i][1]);
		kit_decide_inversions(counts[i][0], counts[i][1], &v);
		same("time.monotonic", v.status,
		     json_pack("{s:I, s:I}", "inversions", (json_int_t)counts[i][0], "samples", (json_int_t)counts[i][1]),
		     &kvm, what);
		kit_decide_warps(counts[i][0], counts[i][1], 10, &v);
		same("time.cross_cpu_warp", v.status,
		     json_pack("{s:I, s:I}", "warps", (json_int_t)counts[i][0], "exchanges", (json_int_t)counts[i][1]),
		     &kvm, what);
		kit_decide_mismatches(counts[i][0], counts[i][1], "x", &v);
		same("mem.pattern", v.status,
		     json_pack("{s:I, s:I}", "mismatches", (json_int_t)counts[i][0], "checked", (json_int_t)counts[i][1]),
		     &kvm, what);
		same("storage.io_integrity", v.status,
		     json_pack("{s:I, s:I}", "mismatching_blocks", (json_int_t)counts[i][0], "blocks",
			       (json_int_t)counts[i][1]),
		     &kvm, what);
		kit_decide_feature_consistency((size_t)counts[i][1], (size_t)counts[i][0], "x", &v);
		same("cpu.feature_consistency", v.status,
		     json_pack("{s:I, s:I}", "cpus", (json_int_t)counts[i][1], "differing_cpus", (json_int_t)counts[i][0]),
		     &kvm, what);
	}
}

/* The rows of the checks that cross the NIC, keep time with the peer,
 * find the paravirtual disk and read the buses: the kit's decisions on the
 * values it records, and the derivation, agree either side of each bound. */
TEST(peer_reference_storage_and_components_agree)
{
	/* {drift ppm, uncertainty ppm, points}: a guest 1 % slow measures about
	 * -10000 ppm (test-kit-peer.c); 500 is the bound (KIT_REFERENCE_DRIFT_PPM). */
	static const double ref[][3] = { { 0, 5, 5 },	 { 499, 0.5, 5 },   { -10000, 20, 5 }, { 600, 50, 11 },
					 { 480, 40, 5 }, { 520, 40, 5 },    { 3, 1, 1 },       { -501, 0.5, 5 } };
	static const uint64_t legs[][4] = { { 100, 100, 100, 100 }, { 100, 99, 100, 100 }, { 100, 100, 100, 0 } };
	static const double offsets_ms[] = { 0, 127.9, 128.5, -500 };
	static const char *const states[] = { "bound", "present", "not_shown", "not_offered", "unbound",
					      "offered_unbound", "absent", "silent" };
	struct testlog_context hv = kvm;
	struct kit_verdict v;
	char what[96];

	for (size_t i = 0; i < CV_ELEMENTSOF(ref); i++) {
		kit_decide_reference(ref[i][0], ref[i][1], (size_t)ref[i][2], KIT_REFERENCE_DRIFT_PPM, &v);
		snprintf(what, sizeof(what), "drift %g +- %g ppm, %g points", ref[i][0], ref[i][1], ref[i][2]);
		same("time.reference", v.status,
		     json_pack("{s:s, s:I, s:f, s:f}", "peer", "10.0.0.2:7000", "points", (json_int_t)ref[i][2], "drift_ppm",
			       ref[i][0], "drift_uncertainty_ppm", ref[i][1]),
		     &kvm, what);
	}
	CHECK_STR(derive_name("time.reference", json_pack("{s:n}", "peer"), &kvm), "skip");
	/* A peer on this host: no exchange is recorded, so nothing passes. */
	CHECK_STR(derive_name("time.reference", json_pack("{s:s, s:s}", "peer", "127.0.0.1:7000", "address", "127.0.0.1"),
			      &kvm),
		  "skip");

	for (size_t i = 0; i < CV_ELEMENTSOF(legs); i++)
		for (int flip = 0; flip < 2; flip++) {
			struct kit_transfer up = { legs[i][0], legs[i][1], true, NULL };
			struct kit_transfer down = { legs[i][2], legs[i][3], !flip, NULL };

			kit_decide_peer_transfer(&up, &down, &v);
			snprintf(what, sizeof(what), "row %zu, download digests %s", i, flip ? "differ" : "match");
			same("net.peer_transfer", v.status,
			     json_pack("{s:s, s:I, s:I, s:b, s:I, s:b}", "peer", "10.0.0.2:7000", "bytes",
				       (json_int_t)legs[i][0], "upload_received_bytes", (json_int_t)legs[i][1],
				       "upload_digests_match", 1, "download_received_bytes", (json_int_t)legs[i][3],
				       "download_digests_match", !flip),
			     &kvm, what);
		}

	for (size_t i = 0; i < CV_ELEMENTSOF(offsets_ms); i++) {
		struct kit_verdict k;

		/* A synchronised kernel (state 0, no STA_UNSYNC): the offset decides. */
		kit_decide_sync(0, 0, 0, &k);
		kit_decide_peer_offset(offsets_ms[i], KIT_PEER_OFFSET_MAX_MS, &v);
		snprintf(what, sizeof(what), "offset %g ms", offsets_ms[i]);
		same("time.sync", v.status == KIT_PASS ? k.status : v.status,
		     json_pack("{s:i, s:i, s:s, s:I}", "state", 0, "status", 0, "peer", "10.0.0.2:7000", "peer_offset_ns",
			       (json_int_t)(offsets_ms[i] * 1e6)),
		     &kvm, what);
	}

	{
		struct cv_strv missing;

		cv_strv_init(&missing);
		kit_decide_storage_inventory(2, &missing, "vda (virtio_blk)", &v);
		same("storage.inventory", v.status, json_pack("{s:i, s:[]}", "count", 2, "missing_storage"), &kvm, "none missing");
		cv_strv_push(&missing, "storvsc");
		kit_decide_storage_inventory(1, &missing, "sda (ata_piix)", &v);
		same("storage.inventory", v.status, json_pack("{s:i, s:[s]}", "count", 1, "missing_storage", "storvsc"), &kvm,
		     "storvsc missing");
		cv_strv_release(&missing);
	}
	/* Without a disk to write to the check records no blocks: a skip. */
	CHECK_STR(derive_name("storage.io_integrity", json_pack("{s:[]}", "refused"), &kvm), "skip");

	for (size_t i = 0; i < CV_ELEMENTSOF(states); i++) {
		struct kit_component c = { "storvsc", KIT_COMP_BOUND, NULL };

		for (int s = 0; s < KIT_COMP__MAX; s++)
			if (strcmp(kit_comp_state_name((enum kit_comp_state)s), states[i]) == 0)
				c.state = (enum kit_comp_state)s;
		CHECK_STR(kit_comp_state_name(c.state), states[i]);
		kit_decide_components("microsoft", &c, 1, &v);
		hv.hypervisor = "microsoft";
		/* missing left empty, as a tampered log would leave it: the state decides. */
		snprintf(what, sizeof(what), "storvsc %s", states[i]);
		same("kernel.pv_drivers", v.status,
		     json_pack("{s:s, s:[], s:[{s:s, s:s}]}", "hypervisor", "microsoft", "missing", "components", "name",
			       "storvsc", "state", states[i]),
		     &hv, what);
	}
}

TEST(identity_clock_and_platform_decisions_agree)
{
	static const struct {
		const char *hv, *cs;
	} cs[] = { { "kvm", "kvm-clock" }, { "kvm", "hpet" },		      { "microsoft", "hyperv_clocksource" },
		   { "vmware", "vmi-timer" }, { "strange", "tsc" },	      { "strange", "kvm-clock" },
		   { "xen", "arch_sys_counter" }, { "kvm", NULL },	      { NULL, "tsc" } };
	static const char *const uuids[] = { "4c4c4544-0042-3510-8052-b4c04f384d32", "00000000-0000-0000-0000-000000000000",
					     "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "not-a-uuid", NULL };
	struct kit_verdict v;

	for (size_t i = 0; i < CV_ELEMENTSOF(cs); i++) {
		struct testlog_context ctx = { cs[i].hv, NULL, 0, 0, NULL };

		kit_decide_clocksource(cs[i].hv, cs[i].cs, &v);
		same("time.clocksource", v.status, json_pack("{s:o}", "current", cs[i].cs ? json_string(cs[i].cs) : json_null()),
		     &ctx, cs[i].cs ? cs[i].cs : "null");
	}
	kit_decide_fingerprint("kvm", "kvm", "KVM", "KVM", &v);
	same("env.fingerprint", v.status, json_pack("{s:s, s:s}", "hypervisor", "kvm", "product", "KVM"), &kvm, "same");
	kit_decide_fingerprint("kvm", "microsoft", "KVM", "Hyper-V", &v);
	same("env.fingerprint", v.status, json_pack("{s:s, s:s}", "hypervisor", "microsoft", "product", "Hyper-V"), &kvm,
	     "other");
	kit_decide_fingerprint("kvm", "kvm", "KVM", NULL, &v);
	same("env.fingerprint", v.status, json_pack("{s:s, s:n}", "hypervisor", "kvm", "product"), &kvm, "no product");
	kit_decide_fingerprint("kvm", "none", "KVM", NULL, &v);
	same("env.fingerprint", v.status, json_pack("{s:s, s:n}", "hypervisor", "none", "product"), &kvm, "bare metal");
	for (size_t i = 0; i < CV_ELEMENTSOF(uuids); i++)
		for (int root = 0; root < 2; root++) {
			kit_decide_smbios(root, true, uuids[i], &v);
			same("firmware.smbios", v.status,
			     json_pack("{s:b, s:b, s:o}", "root", root, "present", 1, "uuid",
				       uuids[i] ? json_string(uuids[i]) : json_null()),
			     &kvm, uuids[i] ? uuids[i] : "null");
		}
	kit_decide_smbios(true, false, NULL, &v);
	same("firmware.smbios", v.status, json_pack("{s:b, s:b, s:n}", "root", 1, "present", 0, "uuid"), &kvm, "absent");
	kit_decide_security(0, NULL, true, true, &v);
	same("platform.security", v.status,
	     json_pack("{s:{s:s}, s:i, s:b}", "vulnerabilities", "meltdown", "Mitigation: PTI", "vulnerable", 0, "nx", 1),
	     &kvm, "mitigated");
	kit_decide_security(1, "x", true, true, &v);
	same("platform.security", v.status,
	     json_pack("{s:{s:s}, s:i, s:b}", "vulnerabilities", "mds", "Vulnerable: Clear CPU buffers attempted", "vulnerable",
		       1, "nx", 1),
	     &kvm, "vulnerable");
	kit_decide_security(0, NULL, true, false, &v);
	same("platform.security", v.status, json_pack("{s:n, s:i, s:b}", "vulnerabilities", "vulnerable", 0, "nx", 0), &kvm,
	     "no nx");
	kit_decide_security(0, NULL, false, false, &v);
	/* With the vulnerabilities directory (4.15+); without it and without
	 * NX the check skips (old_kernel_skips_derive_skip). */
	same("platform.security", v.status, json_pack("{s:{}, s:i, s:n}", "vulnerabilities", "vulnerable", 0, "nx"), &kvm,
	     "nx unknown");
	kit_decide_health(0, 0, NULL, true, &v);
	same("kernel.health", v.status, json_pack("{s:i, s:{s:i, s:i}}", "tainted", 0, "signatures", "call_trace", 0, "bug", 0),
	     &kvm, "clean");
	kit_decide_health(512, 0, NULL, true, &v);
	same("kernel.health", v.status, json_pack("{s:i, s:{s:i}}", "tainted", 512, "signatures", "bug", 0), &kvm, "tainted");
	kit_decide_health(0, 1, "BUG: x", true, &v);
	same("kernel.health", v.status, json_pack("{s:i, s:{s:i}}", "tainted", 0, "signatures", "bug", 1), &kvm, "a BUG");
	kit_decide_health(0, 0, NULL, false, &v);
	same("kernel.health", v.status, json_pack("{s:i}", "tainted", 0), &kvm, "no log");
}

TEST(sync_delivery_and_pv_drivers_agree)
{
	static const uint64_t before[] = { 10, 10, 10 }, moved[] = { 20, 11, 30 }, stuck[] = { 20, 10, 30 };
	struct cv_strv missing, none;
	struct testlog_context bare = { "none", NULL, 0, 0, NULL };
	struct kit_verdict v;

	kit_decide_sync(0, 0x2001, 100, &v); /* STA_PLL | STA_NANO, TIME_OK */
	same("time.sync", v.status, json_pack("{s:i, s:i}", "state", 0, "status", 0x2001), &kvm, "synchronised");
	kit_decide_sync(5, 0x0040, 16000000, &v); /* STA_UNSYNC, TIME_ERROR */
	same("time.sync", v.status, json_pack("{s:i, s:i}", "state", 5, "status", 0x0040), &kvm, "unsynchronised");
	kit_decide_sync(-1, 0, 0, &v);
	same("time.sync", v.status, json_pack("{s:s}", "adjtimex_error", "Operation not permitted"), &kvm, "unreadable");
	kit_decide_timer_delivery(before, moved, 3, &v);
	same("irq.timer_delivery", v.status, json_pack("{s:{s:i, s:i, s:i}}", "deltas", "cpu0", 10, "cpu1", 1, "cpu2", 20),
	     &kvm, "moved");
	kit_decide_timer_delivery(before, stuck, 3, &v);
	same("irq.timer_delivery", v.status, json_pack("{s:{s:i, s:i, s:i}}", "deltas", "cpu0", 10, "cpu1", 0, "cpu2", 20),
	     &kvm, "stuck");
	cv_strv_init(&missing);
	cv_strv_init(&none);
	cv_strv_push(&missing, "hv_storvsc");
	kit_decide_pv_drivers("kvm", &none, &none, &v);
	same("kernel.pv_drivers", v.status, json_pack("{s:[]}", "missing"), &kvm, "none missing");
	kit_decide_pv_drivers("kvm", &missing, &none, &v);
	same("kernel.pv_drivers", v.status, json_pack("{s:[s]}", "missing", "hv_storvsc"), &kvm, "one missing");
	kit_decide_pv_drivers("none", &missing, &none, &v);
	same("kernel.pv_drivers", v.status, json_pack("{s:[s]}", "missing", "hv_storvsc"), &bare, "bare metal");
	cv_strv_release(&missing);
	cv_strv_release(&none);
}

/* ---- checks run with a fault: the kit fails them, so does the derivation ---- */

#define NS_PER_S 1000000000LL

/* A clock running 1 % slow against CLOCK_MONOTONIC_RAW, from the first reading on. */
/*
 * Windows's checks (src/kit/win/): their own ids' rows, and the shared
 * rows fed what the Windows checks record in Linux's fields.  The
 * Windows checks cannot run here; their decisions (decide.c) can, and
 * the measured values are those win/check-*.c write.
 */
TEST(windows_checks_agree)
{
	static const uint64_t none[KIT_EVENT__MAX] = { 0 }, bugcheck[KIT_EVENT__MAX] = { 1, 1, 0, 0, 0 };
	struct kit_component unsigned_net[] = { { "virtio_net", KIT_COMP_UNSIGNED, "virtio_net: netkvm bound to Red Hat VirtIO Ethernet Adapter" } };
	struct kit_component bound[] = { { "virtio_net", KIT_COMP_BOUND, NULL } };
	struct cv_strv stopped, empty;
	struct kit_verdict v, w;

	/* windows.event_log */
	kit_decide_event_log("the System event log reports no record", none, NULL, 0, &v);
	CHECK_INT(v.status, KIT_SKIP);
	CHECK_STR(v.reason, "the System event log reports no record");
	same("windows.event_log", v.status,
	     json_pack("{s:s, s:s}", "log", "System", "unreadable", "the System event log reports no record"), &kvm,
	     "wine's empty log");
	/* A read that failed midway (not ERROR_HANDLE_EOF): what was read
	 * proves nothing about the rest, so a clean part skips ... */
	kit_decide_event_log("ReadEventLog failed (error 1500) after 40 records since boot", none, NULL, 40, &v);
	CHECK_INT(v.status, KIT_SKIP);
	same("windows.event_log", v.status,
	     json_pack("{s:s, s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i}}", "unreadable",
		       "ReadEventLog failed (error 1500) after 40 records since boot", "records", 900, "records_read", 40,
		       "counts", "bugcheck", 0, "unexpected_shutdown", 0, "disk", 0, "ntfs", 0, "driver", 0),
	     &kvm, "a read error midway, nothing found");
	/* ... and an event found in it fails all the same. */
	kit_decide_event_log("ReadEventLog failed (error 1500) after 40 records since boot", bugcheck,
			     "BugCheck event 1001 at 2026-12-02T10:00:00Z (bugcheck)", 40, &v);
	CHECK_INT(v.status, KIT_FAIL);
	same("windows.event_log", v.status,
	     json_pack("{s:s, s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i}}", "unreadable",
		       "ReadEventLog failed (error 1500) after 40 records since boot", "records", 900, "records_read", 40,
		       "counts", "bugcheck", 1, "unexpected_shutdown", 1, "disk", 0, "ntfs", 0, "driver", 0),
	     &kvm, "a read error midway after a bugcheck");
	CHECK_STR(derive_name("windows.event_log",
			      json_pack("{s:s, s:i, s:{s:i}}", "unreadable", "x", "records_read", 3, "counts", "disk", -1), &kvm),
		  "missing");
	kit_decide_event_log(NULL, none, NULL, 812, &v);
	same("windows.event_log", v.status,
	     json_pack("{s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i}}", "records", 900, "records_read", 812, "counts", "bugcheck",
		       0, "unexpected_shutdown", 0, "disk", 0, "ntfs", 0, "driver", 0),
	     &kvm, "clean");
	kit_decide_event_log(NULL, bugcheck, "BugCheck event 1001 at 2026-12-02T10:00:00Z (bugcheck)", 812, &v);
	same("windows.event_log", v.status,
	     json_pack("{s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i}}", "records", 900, "records_read", 812, "counts", "bugcheck",
		       1, "unexpected_shutdown", 1, "disk", 0, "ntfs", 0, "driver", 0),
	     &kvm, "a bugcheck");
	CHECK_STR(derive_name("windows.event_log", json_pack("{s:i, s:{s:i}}", "records_read", 3, "counts", "disk", -1), &kvm),
		  "missing");
	CHECK_STR(derive_name("windows.event_log", json_pack("{s:i}", "records_read", 3), &kvm), "missing");

	/* windows.services */
	cv_strv_init(&stopped);
	cv_strv_init(&empty);
	cv_strv_push(&stopped, "hv_heartbeat");
	kit_decide_services("microsoft", 5, &empty, &v);
	same("windows.services", v.status, json_pack("{s:i, s:[]}", "checked", 5, "not_running"), &kvm, "all running");
	kit_decide_services("microsoft", 5, &stopped, &v);
	CHECK_STR(v.reason, "expected integration service not running: hv_heartbeat");
	same("windows.services", v.status, json_pack("{s:i, s:[s]}", "checked", 5, "not_running", "hv_heartbeat"), &kvm,
	     "heartbeat stopped");
	kit_decide_services("kvm", 0, &empty, &v);
	same("windows.services", v.status, json_pack("{s:i, s:[]}", "checked", 0, "not_running"), &kvm, "none expected");
	CHECK_STR(derive_name("windows.services", json_pack("{s:i, s:s}", "checked", 1, "not_running", "x"), &kvm),
		  "missing");
	cv_strv_release(&stopped);
	cv_strv_release(&empty);

	/* kernel.pv_drivers: a driver the probe found unsigned */
	kit_decide_components("kvm", unsigned_net, 1, &v);
	same("kernel.pv_drivers", v.status,
	     json_pack("{s:[], s:[{s:s, s:s}]}", "missing", "components", "name", "virtio_net", "state", "unsigned"), &kvm,
	     "unsigned netkvm");
	kit_decide_components("kvm", bound, 1, &v);
	same("kernel.pv_drivers", v.status,
	     json_pack("{s:[], s:[{s:s, s:s}]}", "missing", "components", "name", "virtio_net", "state", "bound"), &kvm,
	     "signed netkvm");

	/* time.sync: no adjtimex on Windows; the peer's offset decides a fail. */
	kit_verdict_set(&v, KIT_SKIP, "no adjtimex");
	same("time.sync", v.status, json_pack("{s:s, s:n}", "adjtimex_error", "Windows has no adjtimex", "peer"), &kvm,
	     "no peer");
	kit_decide_peer_offset(500.0, KIT_PEER_OFFSET_MAX_MS, &w);
	CHECK_INT(w.status, KIT_FAIL);
	same("time.sync", w.status,
	     json_pack("{s:s, s:s, s:I}", "adjtimex_error", "Windows has no adjtimex", "peer", "10.0.0.1:7777",
		       "peer_offset_ns", (json_int_t)500000000),
	     &kvm, "500 ms off");
	same("time.sync", v.status,
	     json_pack("{s:s, s:s, s:I}", "adjtimex_error", "Windows has no adjtimex", "peer", "10.0.0.1:7777",
		       "peer_offset_ns", (json_int_t)2000000),
	     &kvm, "2 ms off");

	/* time.monotonic and time.timer_latency with the Windows fields */
	kit_decide_inversions(0, 1024219, &v);
	same("time.monotonic", v.status,
	     json_pack("{s:s, s:I, s:i, s:n}", "clock", "QueryPerformanceCounter", "samples", (json_int_t)1024219,
		       "inversions", 0, "boottime_inversions"),
	     &kvm, "QueryPerformanceCounter");
	kit_decide_timer_latency(0, 14.6, &v);
	same("time.timer_latency", v.status,
	     json_pack("{s:s, s:i, s:f, s:f}", "timer", "Sleep(1)", "early", 0, "max_overshoot_ms", 14.6,
		       "timer_resolution_ms", 15.625),
	     &kvm, "one default tick late");
}

static int64_t slow_clock(clockid_t c, void *userdata)
{
	static int64_t origin;
	struct timespec ts;
	int64_t now;

	(void)userdata;
	clock_gettime(c == CLOCK_MONOTONIC_RAW ? CLOCK_MONOTONIC_RAW : CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
	if (c == CLOCK_MONOTONIC_RAW)
		return now;
	if (!origin)
		origin = now;
	return origin + (now - origin) / 100 * 99;
}

/* Runs check fn of id with the faults, as the kit's own fault tests do
 * (test-kit-system.c, test-kit-time.c): the kit must fail it, and the
 * derivation from what it measured too. */
static void ends_in_both(const char *id, kit_fn fn, const struct kit_faults *f, const char *want)
{
	struct kit_options o = { .quick = true };
	struct descriptor *d = descriptor_new();
	int cpu = 0;
	struct kit_ctx ctx = { .opt = &o, .d = d, .tmpdir = tap_tmpdir(), .cpus = &cpu, .n_cpus = 1, .faults = f };
	struct kit_out out = { KIT_ERROR, "", json_object(), json_object() };
	struct testlog_derivation dv;
	json_t *checks = builtin_checks(1);

	descriptor_set(&d->container.id, "none");
	fn(&ctx, &out);
	CHECK_STR(kit_status_name(out.status), want);
	CHECK_INT(testlog_derive(id, out.measured, &kvm, checks, &dv), 0);
	CHECK_STR(testlog_derived_name(dv.status), want);
	printf("# %s kit: %s\n# %s derived: %s\n", id, out.reason, id, dv.why);
	json_decref(out.measured);
	json_decref(out.threshold);
	json_decref(checks);
	descriptor_free(d);
}

static void fails_in_both(const char *id, kit_fn fn, const struct kit_faults *f)
{
	ends_in_both(id, fn, f, "fail");
}

/* CLOCK_MONOTONIC_RAW as Linux before 2.6.28 has it: none (clock_gettime
 * answers EINVAL, clock_getres(2)); the others as they are. */
static int64_t no_raw_clock(clockid_t c, void *userdata)
{
	struct timespec ts;

	(void)userdata;
	if (c == CLOCK_MONOTONIC_RAW || clock_gettime(c, &ts) < 0)
		return KIT_CLOCK_MISSING;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The checks that cannot be made on RHEL 5's 2.6.18 skip in the kit and
 * in the derivation alike: a pass written over one is refused. */
TEST(old_kernel_skips_derive_skip)
{
	struct kit_faults f = { .clock_ns = no_raw_clock };

	struct testlog_context rhel5 = kvm, modern = kvm;

	ends_in_both("time.rate_skew", kit_check_time_rate_skew, &f, "skip");
	/* A skip for want of CLOCK_MONOTONIC_RAW holds on RHEL 5's kernel; on
	 * one that has the clock (2.6.28+, clock_gettime(2)) it is refused. */
	rhel5.kernel = "2.6.18-92.el5";
	modern.kernel = "6.1.0-18-amd64";
	CHECK_STR(derive_name("time.rate_skew", json_pack("{s:s}", "missing_clock", "CLOCK_MONOTONIC_RAW"), &rhel5), "skip");
	CHECK_STR(derive_name("time.rate_skew", json_pack("{s:s}", "missing_clock", "CLOCK_MONOTONIC_RAW"), &modern), "fail");
	CHECK_STR(derive_name("time.vdso", json_pack("{s:s}", "vdso", "absent"), &kvm), "skip");
	CHECK_STR(derive_name("platform.security", json_pack("{s:n, s:i, s:n}", "vulnerabilities", "vulnerable", 0, "nx"),
			      &kvm),
		  "skip");
	CHECK_STR(derive_name("platform.security", json_pack("{s:n, s:i, s:b}", "vulnerabilities", "vulnerable", 0, "nx", 1),
			      &kvm),
		  "pass");
	CHECK_STR(derive_name("firmware.smbios",
			      json_pack("{s:b, s:b, s:n, s:b}", "root", 1, "present", 0, "uuid", "kernel_exports_dmi", 0), &kvm),
		  "skip");
	CHECK_STR(derive_name("firmware.smbios", json_pack("{s:b, s:b, s:n}", "root", 1, "present", 0, "uuid"), &kvm),
		  "fail");
}

TEST(a_slowed_clock_fails_rate_skew_in_both)
{
	struct kit_faults f = { .clock_ns = slow_clock };

	fails_in_both("time.rate_skew", kit_check_time_rate_skew, &f);
}

/* One byte of block 3 flipped on disk between write and read-back. */
static int corrupt_block_3(const char *path, void *userdata)
{
	off_t at = 3 * 1024 * 1024 + 100;
	unsigned char c;
	int fd = open(path, O_RDWR | O_CLOEXEC), r = 0;

	(void)userdata;
	if (fd < 0)
		return -errno;
	if (pread(fd, &c, 1, at) != 1)
		r = -EIO;
	c ^= 0xff;
	if (!r && (pwrite(fd, &c, 1, at) != 1 || fsync(fd) < 0))
		r = -EIO;
	close(fd);
	return r;
}

TEST(a_corrupted_block_fails_io_integrity_in_both)
{
	struct kit_faults f = { .after_write = corrupt_block_3 };

	fails_in_both("storage.io_integrity", kit_check_storage_io_integrity, &f);
}

/* send() passes the first MiB and swallows the rest, the sender none the wiser. */
static ssize_t cut_send(int fd, const void *buf, size_t n, int flags, void *userdata)
{
	uint64_t *sent = userdata;
	ssize_t w;

	if (*sent >= 1024 * 1024)
		return (ssize_t)n;
	w = send(fd, buf, n < 1024 * 1024 - *sent ? n : (size_t)(1024 * 1024 - *sent), flags);
	if (w > 0)
		*sent += (uint64_t)w;
	return w;
}

TEST(a_truncated_transfer_fails_loopback_integrity_in_both)
{
	uint64_t sent = 0;
	struct kit_faults f = { .send = cut_send, .userdata = &sent };

	fails_in_both("net.loopback_integrity", kit_check_net_loopback_integrity, &f);
}

/* ---- a log's contradictions ---- */

static json_t *log_with(const char *id, const char *status, json_t *measured)
{
	return json_pack("{s:s, s:{s:i, s:{s:n, s:i}}, s:{s:{s:s, s:s}}, s:[{s:s, s:s, s:o}]}", "schema", TESTLOG_SCHEMA,
			 "kit", "thresholds", 1, "options", "expect_vcpus", "expect_memory_mib", 4096, "claim",
			 "hypervisor", "id", "kvm", "product", "KVM", "results", "id", id, "status", status, "measured",
			 measured);
}

static void contradictions_are(json_t *log, const char *want)
{
	json_t *checks = builtin_checks(1);
	struct cv_strv c;
	char *got;

	cv_strv_init(&c);
	testlog_contradictions(log, checks, &c);
	got = cv_strv_join(&c, " | ");
	CHECK_STR(got, want);
	free(got);
	cv_strv_release(&c);
	json_decref(checks);
	json_decref(log);
}

TEST(a_pass_beside_a_failing_measurement_is_named)
{
	contradictions_are(log_with("time.rate_skew", "pass", json_pack("{s:f}", "ppm", 812.0)),
			   "time.rate_skew: status pass but |ppm| 812 > 500");
	contradictions_are(log_with("time.rate_skew", "pass", json_pack("{s:f}", "ppm", -12.5)), "");
	contradictions_are(log_with("time.rate_skew", "fail", json_pack("{s:f}", "ppm", 812.0)), "");
	contradictions_are(log_with("time.vdso", "pass", json_pack("{s:f, s:f}", "vdso_ns", 900.0, "syscall_ns", 1000.0)),
			   "time.vdso: status pass but vdso_ns 900 >= 200");
	contradictions_are(log_with("mem.size", "pass", json_pack("{s:i}", "memtotal_mib", 2048)),
			   "mem.size: status pass but memtotal_mib 2048 < 0.9 x expect_memory_mib 4096");
	contradictions_are(log_with("env.fingerprint", "pass", json_pack("{s:s, s:n}", "hypervisor", "xen", "product")),
			   "env.fingerprint: status pass but hypervisor xen, the claim's kvm");
}

TEST(a_pass_without_its_measurements_is_named)
{
	contradictions_are(log_with("time.rate_skew", "pass", json_object()),
			   "time.rate_skew: status pass but measured.ppm is missing");
	contradictions_are(log_with("time.rate_skew", "pass", json_pack("{s:s}", "ppm", "12")),
			   "time.rate_skew: status pass but measured.ppm is not a number");
	contradictions_are(log_with("time.monotonic", "pass", json_pack("{s:i, s:i}", "samples", 100, "inversions", -1)),
			   "time.monotonic: status pass but measured.inversions is not an integer >= 0");
	contradictions_are(log_with("time.rate_skew", "pass", json_null()),
			   "time.rate_skew: status pass but measured.ppm is missing");
	contradictions_are(log_with("vendor.magic", "pass", json_object()),
			   "vendor.magic: status pass, but the program knows no rule to derive it from measurements");
	/* A skip the measurements decide was no skip; one they cannot decide is. */
	contradictions_are(log_with("cpu.feature_consistency", "skip", json_pack("{s:i, s:i}", "cpus", 4, "differing_cpus", 1)),
			   "cpu.feature_consistency: status skip but the measurements decide it: differing_cpus 1 > 0");
	contradictions_are(log_with("cpu.feature_consistency", "skip", json_object()), "");
	contradictions_are(log_with("net.peer_transfer", "skip", json_pack("{s:n}", "peer")), "");
	/* Names the log chose are echoed made safe: no control character, valid UTF-8. */
	contradictions_are(log_with("irq.timer_delivery", "pass", json_pack("{s:{s:i}}", "deltas", "cpu\x1b[2J\xc3\xa9", 0)),
			   "irq.timer_delivery: status pass but deltas.cpu?[2J\xc3\xa9 0: no timer interrupt");
	contradictions_are(log_with("time.\x07" "bell", "pass", json_object()),
			   "time.?bell: status pass, but the program knows no rule to derive it from measurements");
}

TEST(threshold_sets_and_versions_are_checked_naming_the_field)
{
	static const struct {
		const char *edit_id, *edit_key, *value, *needle;
	} bad[] = {
		{ "time.rate_skew", "max_abs_ppm", "\"500\"", "time.rate_skew.max_abs_ppm: expected a number >= 0" },
		{ "time.rate_skew", "max_abs_ppm", "-1", "time.rate_skew.max_abs_ppm: expected a number >= 0" },
		{ "time.rate_skew", "max_ppm", "500", "time.rate_skew.max_ppm: unknown threshold" },
		{ "time.monotonic", "max", "0", "time.monotonic: this check reads no thresholds" },
		{ "time.bogus", "max", "0", "time.bogus: unknown check id" },
		{ "time.clocksource", "allowed", "{\"kvm\": [\"tsc\"]}", "time.clocksource.allowed: expected" },
		{ "time.clocksource", "always_allowed", "[1]", "time.clocksource.always_allowed: expected" },
	};
	static const char *const versions[] = { "\"1\"", "0", "-3", "1.5", "1000001" };
	char *why = NULL;
	int64_t v = 0;

	for (size_t i = 0; i < CV_ELEMENTSOF(bad); i++) {
		json_t *c = builtin_checks(1);

		if (!json_object_get(c, bad[i].edit_id))
			json_object_set_new(c, bad[i].edit_id, json_object());
		json_object_set_new(json_object_get(c, bad[i].edit_id), bad[i].edit_key, json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		CHECK_INT(testlog_thresholds_check(c, 1, &why), -EINVAL);
		if (!why || !strstr(why, bad[i].needle))
			tap_fail(__FILE__, __LINE__, "set %zu: \"%s\" does not say \"%s\"", i, why ? why : "", bad[i].needle);
		why = cv_free(why);
		json_decref(c);
	}
	{
		json_t *c = builtin_checks(1);

		json_object_del(c, "time.vdso");
		CHECK_INT(testlog_thresholds_check(c, 1, &why), -EINVAL);
		CHECK(why && strstr(why, "time.vdso.max_ns: missing"));
		why = cv_free(why);
		json_decref(c);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(versions); i++) {
		json_t *log = json_pack("{s:{s:o}}", "kit", "thresholds", json_loads(versions[i], JSON_DECODE_ANY, NULL));

		CHECK_INT(testlog_thresholds_version(log, &v, &why), -EINVAL);
		CHECK(why && strstr(why, "kit.thresholds"));
		why = cv_free(why);
		json_decref(log);
	}
	{
		json_t *old = json_pack("{s:{s:s}}", "kit", "mode", "full"), *two = json_pack("{s:{s:i}}", "kit", "thresholds", 2);

		CHECK_INT(testlog_thresholds_version(old, &v, &why), 0);
		CHECK_INT(v, 1); /* a log from before the field: version 1 */
		CHECK_INT(testlog_thresholds_version(two, &v, &why), 0);
		CHECK_INT(v, 2);
		json_decref(old);
		json_decref(two);
	}
}

TAP_MAIN(every_kit_check_has_a_row_and_the_builtin_set_is_valid, every_windows_check_has_a_row, windows_checks_agree, the_kits_version_holds_the_kits_numbers,
	 a_real_kit_run_derives_the_kits_own_statuses, every_check_run_alone_derives_its_own_status,
	 rate_skew_vdso_and_timer_bounds_agree,
	 rates_memory_topology_and_counts_agree, identity_clock_and_platform_decisions_agree,
	 peer_reference_storage_and_components_agree,
	 sync_delivery_and_pv_drivers_agree, old_kernel_skips_derive_skip, a_slowed_clock_fails_rate_skew_in_both,
	 a_corrupted_block_fails_io_integrity_in_both, a_truncated_transfer_fails_loopback_integrity_in_both,
	 a_pass_beside_a_failing_measurement_is_named, a_pass_without_its_measurements_is_named,
	 threshold_sets_and_versions_are_checked_naming_the_field)
