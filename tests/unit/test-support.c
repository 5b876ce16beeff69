/*
 * test-support.c - the support policy, entitlement, the SLA clocks and the
 * store's migration of tokens to roles, without a server.
 */
#include <jansson.h>
#include <sqlite3.h>

#include "covalid/program.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "store/store-internal.h"
#include "support/support-internal.h"
#include "tap.h"

static int64_t day(const char *d)
{
	int64_t t = 0;

	if (cv_time_parse(d, &t) < 0)
		abort();
	return t;
}

static json_t *machine(const char *os, const char *ver, const char *hv, const char *product)
{
	return json_pack("{s:{s:{s:s, s:s}}, s:{s:s, s:s}}", "guest", "os", "id", os, "version", ver, "hypervisor", "id", hv,
			 "product", product);
}

/* The entitlement of a machine with no catalog match and nothing stated at opening. */
static json_t *entitle(const struct support_policy *p, const char *vendor, json_t *agreements, json_t *d, int64_t now)
{
	struct support_claim cl = { .agreements = agreements, .descriptor = d, .now = now };

	return support_entitlement(p, vendor, &cl);
}

static struct support_policy *default_policy(void)
{
	struct support_policy *p = NULL;
	struct program_error e = { 0 };

	CHECK_INT(support_policy_parse(support_policy_default(), &p, &e), 0);
	return p;
}

TEST(default_policy_is_the_data_file)
{
	struct support_policy *p = default_policy();
	char *path = NULL;
	json_t *file;

	if (asprintf(&path, "%s/data/support-policy.json", tap_srcdir()) < 0)
		abort();
	file = json_load_file(path, 0, NULL);
	CHECK(file != NULL);
	json_object_del(file, "notes");
	CHECK(json_equal(file, p->doc));
	json_decref(file);
	free(path);
	support_policy_free(p);
}

TEST(policy_errors_name_the_field)
{
	static const struct {
		const char *doc, *needle;
	} bad[] = {
		{ "nope", "not valid JSON" },
		{ "{\"schema\": \"x\"}", "schema" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"colour\": 1}", "colour" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"entitlement\": {}}", "entitlement" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"entitlement\": {\"ms\": [{\"name\": \"x\", \"kind\": \"gift\", "
		  "\"covers\": \"any\"}]}}",
		  "entitlement.ms[0]" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"entitlement\": {\"ms\": [{\"name\": \"x\", \"kind\": \"per-call\", "
		  "\"covers\": \"any\"}]}, \"sla\": {\"standard\": {\"1\": {\"first_response_s\": 0, \"next_update_s\": 1}}}}",
		  "sla.standard" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct support_policy *p = NULL;
		struct program_error e = { 0 };

		CHECK(support_policy_parse(bad[i].doc, &p, &e) < 0);
		CHECK(p == NULL);
		CHECK_INT(e.http, 400);
		if (!strstr(e.message, bad[i].needle))
			tap_fail(__FILE__, __LINE__, "policy %zu: \"%s\" does not name %s", i, e.message, bad[i].needle);
	}
}

/* The seed: Microsoft by a support agreement for the host or per call; Red Hat by a subscription for the guest version. */
TEST(entitlement_rules_of_the_seed)
{
	struct support_policy *p = default_policy();
	json_t *rhel53 = machine("rhel", "5.3", "microsoft", "Windows Server 2008 Hyper-V");
	json_t *rhel59 = machine("rhel", "5.9", "microsoft", "Windows Server 2008 Hyper-V");
	json_t *a = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[s, s]}]},"
			      " {s:s, s:s, s:s, s:s, s:s, s:s}]",
			      "id", "sub", "customer", "c", "vendor", "red-hat", "kind", "subscription", "valid_from",
			      "2009-01-01", "valid_to", "2010-12-31", "covers", "guest", "rhel", "versions", "5.2", "5.3",
			      "id", "pc", "customer", "c", "vendor", "microsoft", "kind", "per-call", "valid_from", "2009-01-01",
			      "valid_to", "2030-12-31");
	json_t *r;

	r = entitle(p, "red-hat", a, rhel53, day("2009-06-01"));
	CHECK(json_is_true(json_object_get(r, "entitled")));
	CHECK_STR(json_string_value(json_object_get(r, "agreement")), "sub");
	CHECK_STR(json_string_value(json_object_get(r, "level")), "standard");
	CHECK(json_is_false(json_object_get(r, "charge")));
	json_decref(r);

	/* The last day counts; the next does not. */
	r = entitle(p, "red-hat", a, rhel53, day("2010-12-31") + 86399);
	CHECK(json_is_true(json_object_get(r, "entitled")));
	json_decref(r);
	r = entitle(p, "red-hat", a, rhel53, day("2011-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "sub expired (valid 2009-01-01 to 2010-12-31)"));
	json_decref(r);
	r = entitle(p, "red-hat", a, rhel53, day("2008-12-31"));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "not valid yet"));
	json_decref(r);

	r = entitle(p, "red-hat", a, rhel59, day("2009-06-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "does not cover the guest rhel 5.9"));
	json_decref(r);

	/* Per call from Microsoft: entitled, with the charge. */
	r = entitle(p, "microsoft", a, rhel53, day("2020-01-01"));
	CHECK(json_is_true(json_object_get(r, "entitled")));
	CHECK_STR(json_string_value(json_object_get(r, "rule")), "per-call support");
	CHECK(json_is_true(json_object_get(r, "charge")));
	json_decref(r);

	/* A vendor without rules of its own gets "*"'s; no agreement: every rule says why. */
	r = entitle(p, "suse", a, rhel53, day("2020-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK_INT(json_array_size(json_object_get(r, "reasons")), 2);
	json_decref(r);
	json_decref(a);
	json_decref(rhel53);
	json_decref(rhel59);
	support_policy_free(p);
}

TEST(entitlement_by_host_product_and_version)
{
	struct support_policy *p = default_policy();
	json_t *a = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[s]}]}]", "id", "sa", "vendor", "microsoft", "kind",
			      "support-agreement", "valid_from", "2009-01-01", "valid_to", "2030-12-31", "covers",
			      "hypervisor", "microsoft", "versions", "2008");
	json_t *hv2008 = machine("rhel", "5.3", "microsoft", "Windows Server 2008 Hyper-V");
	json_t *hv2012 = machine("rhel", "5.3", "microsoft", "Windows Server 2012 Hyper-V");
	json_t *kvm = machine("rhel", "5.3", "kvm", "KVM");
	json_t *r;

	r = entitle(p, "microsoft", a, hv2008, day("2010-01-01"));
	CHECK(json_is_true(json_object_get(r, "entitled")));
	CHECK_STR(json_string_value(json_object_get(r, "rule")), "support agreement covering the guest or the host");
	json_decref(r);
	r = entitle(p, "microsoft", a, hv2012, day("2010-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	json_decref(r);
	r = entitle(p, "microsoft", a, kvm, day("2010-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "does not cover the guest rhel 5.3 or the hypervisor kvm"));
	json_decref(r);
	json_decref(a);
	json_decref(hv2008);
	json_decref(hv2012);
	json_decref(kvm);
	support_policy_free(p);
}

/*
 * Issue 10: entitlement both ways.  The machines and the catalog rows
 * they match are those of data/validated-configs.jsonl; the agreements
 * those of the seed's FAQ A6: "current Microsoft support agreements for
 * Windows Server 2008" and "a valid Red Hat Enterprise Linux
 * subscription".
 */
static json_t *guest_on(const char *os, const char *ver, const char *arch, const char *hv, const char *product,
			const char *stated)
{
	json_t *d = json_pack("{s:{s:{s:s, s:s}, s:s}, s:{s:s, s:s}}", "guest", "os", "id", os, "version", ver, "arch", arch,
			      "hypervisor", "id", hv, "product", product);

	if (stated) {
		json_object_set_new(json_object_get(d, "hypervisor"), "version", json_string(stated));
		json_object_set_new(json_object_get(d, "hypervisor"), "version_source", json_string("stated"));
	}
	return d;
}

/* A catalog row as the check's "matches" names it. */
static json_t *row(const char *gproduct, const char *gversion, const char *hproduct, const char *hversion)
{
	return json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "guest", "product", gproduct, "version", gversion, "hypervisor",
			 "product", hproduct, "version", hversion);
}

static json_t *agreement(const char *id, const char *vendor, const char *kind, const char *to, const char *part,
			 const char *what, const char *version)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[s]}]}", "id", id, "customer", "contoso", "vendor",
			 vendor, "kind", kind, "valid_from", "2009-01-01", "valid_to", to, "covers", part, what, "versions",
			 version);
}

static json_t *claim_for(const struct support_policy *p, const char *vendor, json_t *agreements, json_t *d,
			 json_t *matches, bool per_call)
{
	struct support_claim cl = { .agreements = agreements, .descriptor = d, .matches = matches, .per_call = per_call,
				    .now = day("2010-06-01") };

	return support_entitlement(p, vendor, &cl);
}

static bool entitled_by(json_t *r, const char *agreement)
{
	bool ok = json_is_true(json_object_get(r, "entitled")) &&
		  (agreement ? cv_streq(json_string_value(json_object_get(r, "agreement")), agreement)
			     : json_is_null(json_object_get(r, "agreement")));

	json_decref(r);
	return ok;
}

static bool reason_has(json_t *r, const char *needle)
{
	size_t i;
	json_t *x;
	bool found = false;

	json_array_foreach(json_object_get(r, "reasons"), i, x)
		found |= strstr(json_string_value(x), needle) != NULL;
	if (!found) {
		char *all = json_dumps(json_object_get(r, "reasons"), 0);

		fprintf(stderr, "# no reason has \"%s\": %s\n", needle, all);
		free(all);
	}
	return found;
}

TEST(windows_on_kvm_entitles_both_vendors)
{
	struct support_policy *p = default_policy();
	json_t *a = json_pack("[o, o]", agreement("ms-sa", "microsoft", "support-agreement", "2030-12-31", "guest", "windows", "2008"),
			      agreement("rh-sub", "red-hat", "subscription", "2030-12-31", "hypervisor", "kvm", "5.4"));
	/* rh-kvm5.4-win2k8-x86_64 */
	json_t *m = json_pack("[o]", row("Windows Server 2008", "2008", "Red Hat Enterprise Linux KVM", "5.4"));
	json_t *none = json_array();
	json_t *d = guest_on("windows", "2008", "x86_64", "kvm", "QEMU/KVM", "5.4");
	json_t *unstated = guest_on("windows", "2008", "x86_64", "kvm", "QEMU/KVM", NULL);
	json_t *wrong = guest_on("windows", "2008", "x86_64", "kvm", "QEMU/KVM", "5.5");
	/* A Windows guest may say its NT version (6.0 is 2008): the catalog row it matched says the release. */
	json_t *nt = guest_on("windows", "6.0.6002", "x86_64", "kvm", "QEMU/KVM", "5.4");
	json_t *sp2 = guest_on("windows", "2008 SP2", "x86_64", "kvm", "QEMU/KVM", "5.4");
	json_t *a_r2 = json_pack("[o]", agreement("ms-r2", "microsoft", "support-agreement", "2030-12-31", "guest", "windows",
						  "2008 R2"));
	json_t *r;

	/* Microsoft by the agreement for the Windows guest, Red Hat by the subscription for the KVM host. */
	r = claim_for(p, "microsoft", a, d, m, false);
	CHECK_STR(json_string_value(json_object_get(r, "rule")), "support agreement covering the guest or the host");
	CHECK(json_is_false(json_object_get(r, "charge")));
	CHECK(entitled_by(r, "ms-sa"));
	r = claim_for(p, "red-hat", a, d, m, false);
	CHECK_STR(json_string_value(json_object_get(r, "rule")), "subscription covering the guest or the host");
	CHECK(entitled_by(r, "rh-sub"));
	/* The stated version alone, no catalog row: still the host's release. */
	CHECK(entitled_by(claim_for(p, "red-hat", a, d, none, false), "rh-sub"));
	CHECK(entitled_by(claim_for(p, "microsoft", a, nt, m, false), "ms-sa"));
	/* Read as the catalog reads releases even where no row matched:
	 * NT 6.0 is 2008 (Microsoft, "Operating System Version"), and a
	 * service pack is not a release ("2008 SP2" is 2008, not 2008 R2). */
	CHECK(entitled_by(claim_for(p, "microsoft", a, nt, none, false), "ms-sa"));
	CHECK(entitled_by(claim_for(p, "microsoft", a, sp2, none, false), "ms-sa"));
	r = claim_for(p, "microsoft", a_r2, sp2, none, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	json_decref(r);

	/* Without the host's version, nothing says which RHEL runs it: not Red Hat. */
	r = claim_for(p, "red-hat", a, unstated, none, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "rh-sub does not cover the guest windows 2008 or the hypervisor kvm (QEMU/KVM, host version not stated)"));
	json_decref(r);
	CHECK(entitled_by(claim_for(p, "microsoft", a, unstated, none, false), "ms-sa"));
	r = claim_for(p, "red-hat", a, wrong, none, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "rh-sub does not cover the guest windows 2008 or the hypervisor kvm (QEMU/KVM, host version 5.5 as stated)"));
	json_decref(r);
	json_decref(a);
	json_decref(m);
	json_decref(none);
	json_decref(d);
	json_decref(unstated);
	json_decref(wrong);
	json_decref(nt);
	json_decref(sp2);
	json_decref(a_r2);
	support_policy_free(p);
}

/* The seed's other direction: RHEL 5.3 on Windows Server 2008 Hyper-V. */
TEST(rhel_on_hyperv_entitles_both_vendors)
{
	struct support_policy *p = default_policy();
	json_t *a = json_pack("[o, o]", agreement("ms-sa", "microsoft", "support-agreement", "2030-12-31", "hypervisor", "microsoft", "2008"),
			      agreement("rh-sub", "red-hat", "subscription", "2030-12-31", "guest", "rhel", "5.3"));
	/* ms-hv2008-ws-rhel5.3-x86_64 and ms-hv2008-hvs-rhel5.3-x86_64 */
	json_t *m = json_pack("[o, o]", row("Red Hat Enterprise Linux", "5.3", "Windows Server 2008 Hyper-V", "2008"),
			      row("Red Hat Enterprise Linux", "5.3", "Microsoft Hyper-V Server 2008", "2008"));
	/* ms-hv2008r2-rhel5.3-x86_64: 2008 R2 is another release than 2008. */
	json_t *m_r2 = json_pack("[o]", row("Red Hat Enterprise Linux", "5.3", "Windows Server 2008 R2 Hyper-V", "2008 R2"));
	json_t *none = json_array();
	json_t *d = guest_on("rhel", "5.3", "x86_64", "microsoft", "Hyper-V", NULL);
	json_t *r2 = guest_on("rhel", "5.3", "x86_64", "microsoft", "Windows Server 2008 R2 Hyper-V", NULL);
	json_t *r;

	CHECK(entitled_by(claim_for(p, "microsoft", a, d, m, false), "ms-sa"));
	CHECK(entitled_by(claim_for(p, "red-hat", a, d, m, false), "rh-sub"));
	r = claim_for(p, "microsoft", a, r2, m_r2, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "ms-sa does not cover the guest rhel 5.3 or the hypervisor microsoft (Windows Server 2008 R2 Hyper-V)"));
	json_decref(r);
	r = claim_for(p, "microsoft", a, r2, none, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	json_decref(r);
	json_decref(a);
	json_decref(m);
	json_decref(m_r2);
	json_decref(none);
	json_decref(d);
	json_decref(r2);
	support_policy_free(p);
}

/* An agreement for another release, or one expired, entitles nobody. */
TEST(wrong_version_or_expired_entitles_nobody)
{
	struct support_policy *p = default_policy();
	json_t *other = json_pack("[o, o]", agreement("ms-2003", "microsoft", "support-agreement", "2030-12-31", "guest", "windows", "2003"),
				  agreement("rh-55", "red-hat", "subscription", "2030-12-31", "hypervisor", "kvm", "5.5"));
	json_t *old = json_pack("[o, o]", agreement("ms-old", "microsoft", "support-agreement", "2009-12-31", "guest", "windows", "2008"),
				agreement("rh-old", "red-hat", "subscription", "2009-12-31", "hypervisor", "kvm", "5.4"));
	json_t *m = json_pack("[o]", row("Windows Server 2008", "2008", "Red Hat Enterprise Linux KVM", "5.4"));
	json_t *d = guest_on("windows", "2008", "x86_64", "kvm", "QEMU/KVM", "5.4");
	json_t *r;

	r = claim_for(p, "microsoft", other, d, m, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "ms-2003 does not cover the guest windows 2008 or the hypervisor kvm (Red Hat Enterprise Linux KVM 5.4)"));
	CHECK(reason_has(r, "per-call support: no per-call with microsoft"));
	json_decref(r);
	r = claim_for(p, "red-hat", other, d, m, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "rh-55 does not cover"));
	json_decref(r);
	r = claim_for(p, "microsoft", old, d, m, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "ms-old expired (valid 2009-01-01 to 2009-12-31)"));
	json_decref(r);
	r = claim_for(p, "red-hat", old, d, m, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "rh-old expired"));
	json_decref(r);
	json_decref(other);
	json_decref(old);
	json_decref(m);
	json_decref(d);
	support_policy_free(p);
}

/* A6: "customers can identify their willingness to purchase 'per-call' support". */
TEST(per_call_stated_at_opening)
{
	struct support_policy *p = default_policy();
	json_t *none = json_array();
	json_t *sa = json_pack("[o]", agreement("ms-sa", "microsoft", "support-agreement", "2030-12-31", "guest", "windows", "2008"));
	json_t *d = guest_on("windows", "2008", "x86_64", "kvm", "QEMU/KVM", "5.4");
	json_t *r;

	r = claim_for(p, "microsoft", none, d, NULL, true);
	CHECK_STR(json_string_value(json_object_get(r, "rule")), "per-call support");
	CHECK(json_is_true(json_object_get(r, "charge")));
	CHECK(json_is_true(json_object_get(r, "per_call_stated")));
	CHECK_STR(json_string_value(json_object_get(r, "level")), "standard");
	CHECK(entitled_by(r, NULL));
	/* Red Hat's rules take no per-call: said so. */
	r = claim_for(p, "red-hat", none, d, NULL, true);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(reason_has(r, "per-call support (stated when the case was opened): the support policy of red-hat has no per-call rule"));
	json_decref(r);
	/* Not said: not entitled. */
	r = claim_for(p, "microsoft", none, d, NULL, false);
	CHECK(json_is_false(json_object_get(r, "entitled")));
	json_decref(r);
	/* An agreement comes first: no charge. */
	r = claim_for(p, "microsoft", sa, d, NULL, true);
	CHECK(json_is_false(json_object_get(r, "charge")));
	CHECK(json_is_false(json_object_get(r, "per_call_stated")));
	CHECK(entitled_by(r, "ms-sa"));
	json_decref(none);
	json_decref(sa);
	json_decref(d);
	support_policy_free(p);
}

/* A rule's covers: one part, or a list of them without repeats. */
TEST(rule_covers_forms)
{
	static const struct {
		const char *covers;
		bool ok;
	} cases[] = {
		{ "\"guest\"", true },
		{ "\"hypervisor\"", true },
		{ "\"any\"", true },
		{ "[\"guest\", \"hypervisor\"]", true },
		{ "[\"hypervisor\"]", true },
		{ "[]", false },
		{ "[\"guest\", \"guest\"]", false },
		{ "\"host\"", false },
		{ "\"guest-or-hypervisor\"", false },
		{ "[\"guest\", 1]", false },
		{ "{\"guest\": true}", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct support_policy *p = NULL;
		struct program_error e = { 0 };
		json_t *doc = json_loads(support_policy_default(), 0, NULL);
		char *text;
		int r;

		json_object_set_new(json_array_get(json_object_get(json_object_get(doc, "entitlement"), "red-hat"), 0), "covers",
				    json_loads(cases[i].covers, JSON_DECODE_ANY, NULL));
		text = json_dumps(doc, 0);
		r = support_policy_parse(text, &p, &e);
		if ((r == 0) != cases[i].ok)
			tap_fail(__FILE__, __LINE__, "covers %s: %s", cases[i].covers, r == 0 ? "accepted" : e.message);
		if (r < 0)
			CHECK(strstr(e.message, "entitlement.red-hat[0]") != NULL);
		support_policy_free(p);
		free(text);
		json_decref(doc);
	}
}

TEST(sla_clocks)
{
	struct support_policy *p = default_policy();
	json_t *c = json_pack("{s:s, s:s, s:i, s:s, s:n, s:n, s:[{s:s, s:s, s:s, s:n}]}", "state", "in-progress", "level",
			      "standard", "severity", 1, "created_at", "2020-01-01T00:00:00Z", "first_response_at",
			      "last_vendor_update_at", "collaborations", "id", "col_1", "vendor", "red-hat", "requested_at",
			      "2020-01-01T00:00:00Z", "responded_at");
	json_t *sla;

	/* Severity 1, standard: first response within 2 h, collaboration within 2 h. */
	sla = support_sla(c, p, day("2020-01-01") + 3600);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "pending");
	CHECK(json_is_false(json_object_get(sla, "breached")));
	CHECK(json_is_null(json_object_get(sla, "next_update")));
	json_decref(sla);
	sla = support_sla(c, p, day("2020-01-01") + 7201);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "breached");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(sla, "collaborations"), 0),
								    "response"),
						    "state")),
		  "breached");
	CHECK(json_is_true(json_object_get(sla, "breached")));
	json_decref(sla);
	/* Answered in time: met, and the next update clock (4 h) runs from then. */
	json_object_set_new(c, "first_response_at", json_string("2020-01-01T01:00:00Z"));
	sla = support_sla(c, p, day("2020-01-01") + 3 * 3600);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "met");
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "next_update"), "due")), "2020-01-01T05:00:00Z");
	json_decref(sla);
	json_decref(c);
	support_policy_free(p);
}

/* sla.next: the clock due first among those not met (docs/support.md, "The list"). */
TEST(sla_next_is_the_clock_due_first)
{
	struct support_policy *p = default_policy();
	json_t *c = json_pack("{s:s, s:s, s:i, s:s, s:n, s:n, s:[{s:s, s:s, s:s, s:n}]}", "state", "in-progress", "level",
			      "standard", "severity", 1, "created_at", "2020-01-01T00:00:00Z", "first_response_at",
			      "last_vendor_update_at", "collaborations", "id", "col_1", "vendor", "red-hat", "requested_at",
			      "2020-01-01T00:30:00Z", "responded_at");
	json_t *sla, *next;

	/* Severity 1, standard: the first response is due at 02:00, Red Hat's answer at 02:30. */
	sla = support_sla(c, p, day("2020-01-01") + 3600);
	next = json_object_get(sla, "next");
	CHECK_STR(json_string_value(json_object_get(next, "clock")), "first_response");
	CHECK_STR(json_string_value(json_object_get(next, "due")), "2020-01-01T02:00:00Z");
	CHECK_STR(json_string_value(json_object_get(next, "state")), "pending");
	json_decref(sla);
	/* Answered at 01:00: the next update is due at 05:00, Red Hat's answer (02:30) first, breached by 03:00. */
	json_object_set_new(c, "first_response_at", json_string("2020-01-01T01:00:00Z"));
	sla = support_sla(c, p, day("2020-01-01") + 3 * 3600);
	next = json_object_get(sla, "next");
	CHECK_STR(json_string_value(json_object_get(next, "clock")), "collaboration");
	CHECK_STR(json_string_value(json_object_get(next, "vendor")), "red-hat");
	CHECK_STR(json_string_value(json_object_get(next, "due")), "2020-01-01T02:30:00Z");
	CHECK_STR(json_string_value(json_object_get(next, "state")), "breached");
	json_decref(sla);
	/* Red Hat answered: the next update, still to come. */
	json_object_set_new(json_array_get(json_object_get(c, "collaborations"), 0), "responded_at",
			    json_string("2020-01-01T02:00:00Z"));
	sla = support_sla(c, p, day("2020-01-01") + 3 * 3600);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "next"), "clock")), "next_update");
	json_decref(sla);
	/* Resolved: no clock runs. */
	json_object_set_new(c, "state", json_string("resolved"));
	sla = support_sla(c, p, day("2020-01-01") + 3 * 3600);
	CHECK(json_is_null(json_object_get(sla, "next")));
	json_decref(sla);
	json_decref(c);
	support_policy_free(p);
}

/* The customer is not told the numbers that count what it may not see; the
 * vendor the case was opened with is told whom it may engage. */
TEST(customer_numbers_and_engageable)
{
	struct support_policy *p = default_policy();
	char cust_role[] = "customer-admin", contoso[] = "contoso", ms_role[] = "vendor-engineer", microsoft[] = "microsoft";
	char t1[] = "t1", t2[] = "t2";
	struct program_auth cust = { .role = cust_role, .customer_id = contoso, .token_id = t1 };
	struct program_auth ms = { .role = ms_role, .vendor_id = microsoft, .token_id = t2 };
	json_t *c = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:n, s:n, s:I, s:{s:b, s:s}, "
		"s:{s:{s:b}, s:{s:b}, s:{s:b}}, s:[], "
		"s:[{s:s, s:s, s:s, s:{s:s}, s:s}, {s:s, s:s, s:s, s:{s:s}, s:s}], "
		"s:[{s:i, s:s, s:s, s:{}}, {s:i, s:s, s:s, s:{s:s}}, {s:i, s:s, s:s, s:{s:s}}]}",
		"id", "case_1", "customer", "contoso", "vendor", "microsoft", "state", "in-progress", "level", "standard", "severity",
		3, "title", "t", "created_at", "2020-01-01T00:00:00Z", "first_response_at", "last_vendor_update_at", "version",
		(json_int_t)3, "configuration", "cooperative", 1, "verdict", "validated", "entitlement", "microsoft", "entitled",
		1, "red-hat", "entitled", 1, "ibm", "entitled", 0, "collaborations", "notes", "id", "note_1", "visibility",
		"internal", "at", "2020-01-01T00:01:00Z", "author", "org", "vendor:microsoft", "body", "INTERNAL", "id", "note_2",
		"visibility", "public", "at", "2020-01-01T00:02:00Z", "author", "org", "vendor:microsoft", "body", "PUBLIC",
		"events", "seq", 1, "action", "opened", "visibility", "public", "detail", "seq", 2, "action", "note", "visibility",
		"internal", "detail", "note", "note_1", "seq", 3, "action", "note", "visibility", "public", "detail", "note",
		"note_2");
	json_t *v;

	CHECK(c != NULL);
	v = support_view(c, REL_CUSTOMER, &cust, p, day("2020-01-01"), false);
	CHECK(json_object_get(v, "version") == NULL);
	CHECK(json_object_get(v, "engageable") == NULL);
	CHECK_INT((int)json_array_size(json_object_get(v, "notes")), 1);
	CHECK(json_object_get(json_array_get(json_object_get(v, "notes"), 0), "id") == NULL);
	CHECK_INT((int)json_array_size(json_object_get(v, "events")), 2);
	CHECK_INT((int)json_integer_value(json_object_get(json_array_get(json_object_get(v, "events"), 1), "seq")), 2);
	CHECK(json_object_get(json_object_get(json_array_get(json_object_get(v, "events"), 1), "detail"), "note") == NULL);
	json_decref(v);
	v = support_view(c, REL_OPENED, &ms, p, day("2020-01-01"), false);
	CHECK_INT((int)json_integer_value(json_object_get(v, "version")), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(v, "notes"), 1), "id")), "note_2");
	CHECK_INT((int)json_array_size(json_object_get(v, "engageable")), 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(v, "engageable"), 0)), "red-hat");
	json_decref(v);
	/* Engaged already: nobody left; a resolved case: nobody either. */
	json_array_append_new(json_object_get(c, "collaborations"),
			      json_pack("{s:s, s:s, s:s, s:s}", "id", "col_1", "vendor", "red-hat", "state", "requested",
					"requested_at", "2020-01-01T00:03:00Z"));
	v = support_view(c, REL_OPENED, &ms, p, day("2020-01-01"), false);
	CHECK_INT((int)json_array_size(json_object_get(v, "engageable")), 0);
	json_decref(v);
	json_object_set_new(json_array_get(json_object_get(c, "collaborations"), 0), "state", json_string("declined"));
	json_object_set_new(c, "state", json_string("resolved"));
	v = support_view(c, REL_OPENED, &ms, p, day("2020-01-01"), false);
	CHECK_INT((int)json_array_size(json_object_get(v, "engageable")), 0);
	json_decref(v);
	json_decref(c);
	support_policy_free(p);
}

/* A database made by schema 3 keeps its tokens (as users) through schema 4. */
TEST(tokens_survive_the_migration_to_roles)
{
	char *path = NULL, *newest = NULL, *err = NULL, *token = NULL, *id = NULL, *sql = NULL;
	struct program_auth a = { 0 };
	struct program_error e = { 0 };
	struct store *s = NULL;
	sqlite3 *db;

	CHECK_INT(sign_init(), 0);
	if (asprintf(&path, "%s/old.db", tap_tmpdir()) < 0 || asprintf(&newest, "%s/newest.db", tap_tmpdir()) < 0)
		abort();
	/* A vendor token issued by today's code, then its rows copied into a
	 * database that schema 3's migrations made (store_open_at_schema: the
	 * real old shape, not today's taken apart by hand, which every later
	 * migration would have to be undone from). */
	CHECK_INT(store_open(newest, &s, &err), 0);
	CHECK_INT(program_vendor_admit(s, "Red Hat", NULL, &id, &e), 0);
	free(id);
	CHECK_INT(program_token_issue(s, "red-hat", "ci", &token, &id, &e), 0);
	store_close(s);
	s = NULL;
	CHECK_INT(store_open_at_schema(path, 3, &s, &err), 0);
	store_close(s);
	s = NULL;
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	sql = sqlite3_mprintf("ATTACH %Q AS n; BEGIN;"
			      "INSERT INTO vendors (id, name, created_at) SELECT id, name, created_at FROM n.vendors;"
			      "INSERT INTO tokens (id, hash, role, vendor_id, description, created_at, revoked_at)"
			      " SELECT id, hash, role, vendor_id, description, created_at, revoked_at FROM n.tokens;"
			      "INSERT OR REPLACE INTO settings SELECT key, value FROM n.settings;"
			      "COMMIT; DETACH n;",
			      newest);
	CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
	CHECK_INT(store_open(path, &s, &err), 0);
	CHECK_INT(program_authenticate(s, token, &a, &e), 0);
	CHECK_STR(a.role, "vendor");
	CHECK_STR(a.vendor_id, "red-hat");
	CHECK_STR(a.name, "ci");
	program_auth_release(&a);
	store_close(s);
	free(token);
	free(id);
	free(path);
	free(newest);
}

/* Issue 9, D14: "2009-02-30" was taken as 2 March. */
TEST(agreement_dates_must_exist)
{
	static const struct {
		const char *from, *to, *needle;
	} cases[] = {
		{ "2009-02-30", "2030-12-31", "valid_from: '2009-02-30' is not a date" },
		{ "2009-01-01", "2009-02-29", "valid_to: '2009-02-29' is not a date" },
		{ "2009-13-01", "2030-12-31", "valid_from: '2009-13-01'" },
		{ "2009-01-00", "2030-12-31", "valid_from: '2009-01-00'" },
		{ "2009-04-31", "2030-12-31", "valid_from: '2009-04-31'" },
		{ "2009-01-01", "2030-12-31T24:00:00Z", "valid_to: " },
	};
	struct program_error e = { 0 };
	struct store *s = NULL;
	char *path = NULL, *err = NULL, *id = NULL;
	json_t *doc;

	CHECK_INT(sign_init(), 0);
	if (asprintf(&path, "%s/agreements.db", tap_tmpdir()) < 0)
		abort();
	CHECK_INT(store_open(path, &s, &err), 0);
	CHECK_INT(program_vendor_admit(s, "Red Hat", NULL, &id, &e), 0);
	free(id);
	id = NULL;
	CHECK_INT(support_customer_add(s, "Contoso", "contoso", &id, &e), 0);
	free(id);
	id = NULL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "customer", "contoso", "vendor", "red-hat", "kind", "subscription",
				"valid_from", cases[i].from, "valid_to", cases[i].to);
		CHECK_INT(support_agreement_add(s, doc, &id, &e), -EINVAL);
		CHECK_INT(e.http, 400);
		CHECK(strstr(e.message, cases[i].needle) != NULL);
		CHECK(id == NULL);
		json_decref(doc);
	}
	/* What covers names is read as the catalog's releases: anything else is refused, named. */
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[s, s]}]}", "customer", "contoso", "vendor", "red-hat", "kind",
			"subscription", "valid_from", "2009-01-01", "valid_to", "2030-12-31", "covers", "hypervisor", "kvm",
			"versions", "5.4", "RHEL");
	memset(&e, 0, sizeof(e));
	CHECK_INT(support_agreement_add(s, doc, &id, &e), -EINVAL);
	CHECK_INT(e.http, 400);
	CHECK(strstr(e.message, "covers[0].versions[1]: 'RHEL' is not a release") != NULL);
	json_decref(doc);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "customer", "contoso", "vendor", "red-hat", "kind", "subscription",
			"valid_from", "2008-02-29", "valid_to", "2030-12-31");
	CHECK_INT(support_agreement_add(s, doc, &id, &e), 0);
	json_decref(doc);
	free(id);
	store_close(s);
	free(path);
}

TAP_MAIN(default_policy_is_the_data_file, policy_errors_name_the_field, entitlement_rules_of_the_seed,
	 entitlement_by_host_product_and_version, windows_on_kvm_entitles_both_vendors, rhel_on_hyperv_entitles_both_vendors,
	 wrong_version_or_expired_entitles_nobody, per_call_stated_at_opening, rule_covers_forms, sla_clocks,
	 sla_next_is_the_clock_due_first, customer_numbers_and_engageable, tokens_survive_the_migration_to_roles,
	 agreement_dates_must_exist)
