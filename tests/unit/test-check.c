/* test-check.c - matching a machine against configurations, and fleets of them. */
#include <jansson.h>
#include <sys/stat.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "seed-catalog.h"
#include "tap.h"

/* A configuration from a few fields; the rest is filled in. */
static struct catalog_config *cfg(const char *id, const char *status, const char *os, const char *version,
				  const char *arch, const char *hv, const char *hv_extra, const char *limits,
				  const char *components)
{
	struct catalog_config *c = NULL;
	char *why = NULL;
	char *json = cv_xasprintf(
		"{\"type\":\"configuration\",\"id\":\"%s\",\"status\":\"%s\","
		"\"guest\":{\"vendor\":\"Red Hat\",\"product\":\"Red Hat Enterprise Linux\",\"os_id\":\"%s\","
		"\"version\":\"%s\",\"arch\":[%s]},"
		"\"hypervisor\":{\"vendor\":\"Microsoft\",\"product\":\"Windows Server 2008 Hyper-V\",\"ids\":[\"%s\"]%s},"
		"\"limits\":{%s},\"required_components\":[%s],"
		"\"validated_by\":[\"Microsoft\",\"Red Hat\"],\"source\":\"test\"}",
		id, status, os, version, arch, hv, hv_extra, limits, components);

	if (catalog_config_from_text(json, &c, &why) < 0)
		tap_fail(__FILE__, __LINE__, "%s: %s", id, why);
	free(why);
	free(json);
	return c;
}

#define HV2008 ",\"version\":\"2008\",\"host_version\":\"6.0\",\"builds\":[\"6001\",\"6002\"]"
#define HV2008R2 ",\"version\":\"2008 R2\",\"host_version\":\"6.1\",\"builds\":[\"7600\",\"7601\"]"
#define X64 "\"x86_64\""
#define BOTH "\"i686\",\"x86_64\""
#define UP "\"max_vcpus\":1,\"allowed_vcpus\":[1],\"max_memory_mib\":65536"
#define LIC "\"vmbus\",\"storvsc\",\"netvsc\""

struct fixture {
	struct catalog cat;
	struct check_index *ix;
};

static void build(struct fixture *f, struct catalog_config **v, size_t n)
{
	f->cat.configs = v;
	f->cat.n_configs = n;
	f->cat.products = NULL;
	f->cat.n_products = 0;
	CHECK_INT(check_index_build(&f->cat, &f->ix), 0);
}

static void release(struct fixture *f)
{
	check_index_free(f->ix);
	for (size_t i = 0; i < f->cat.n_configs; i++)
		catalog_config_free(f->cat.configs[i]);
}

/* The 2009 machine: RHEL 5.3 x64 on Windows Server 2008 Hyper-V. */
static struct descriptor *machine(const char *version, const char *arch, int vcpus, const char *build)
{
	struct descriptor *d = descriptor_new();

	descriptor_set(&d->hypervisor.id, "microsoft");
	descriptor_set(&d->hypervisor.version, cv_streq(build, "7601") ? "6.1" : "6.0");
	descriptor_set(&d->hypervisor.build, build);
	descriptor_set(&d->guest.os.id, "rhel");
	descriptor_set(&d->guest.os.version, version);
	descriptor_set(&d->guest.arch, arch);
	d->vm.vcpus = vcpus;
	d->vm.memory_mib = 2048;
	cv_strv_push(&d->integration.present, "vmbus");
	cv_strv_push(&d->integration.present, "storvsc");
	cv_strv_push(&d->integration.present, "netvsc");
	return d;
}

static enum check_verdict fast(struct fixture *f, struct descriptor *d, struct check_fast *m)
{
	struct check_key k;

	check_key_from_descriptor(f->ix, d, &k);
	check_match_fast(f->ix, &k, m);
	return m->verdict;
}

static bool has_difference(const struct check_result *r, size_t nearest, const char *text)
{
	if (nearest >= r->n_nearest)
		return false;
	for (size_t i = 0; i < r->nearest[nearest].differences.n; i++)
		if (strstr(r->nearest[nearest].differences.v[i], text))
			return true;
	return false;
}

TEST(exact_version_validated_and_cooperative)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 1, "6002");
	struct check_result *r;
	struct check_fast m;

	build(&f, v, 1);
	CHECK_INT(fast(&f, d, &m), CHECK_VALIDATED);
	CHECK_INT(m.match, 0);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->verdict, CHECK_VALIDATED);
	CHECK_INT(r->n_matches, 1);
	CHECK(r->cooperative);
	CHECK(cv_strv_contains(&r->support_vendors, "Microsoft"));
	CHECK(cv_strv_contains(&r->support_vendors, "Red Hat"));
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(vcpus_outside_uniprocessor_named)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 4, "6002");
	struct check_result *r;
	struct check_fast m;

	build(&f, v, 1);
	CHECK_INT(fast(&f, d, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_VCPUS);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->n_nearest, 1);
	CHECK(has_difference(r, 0, "4 vCPUs; validated for 1 (uni-processor)"));
	CHECK_INT(r->nearest[0].differences.n, 1);
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(ranges_and_arch)
{
	struct catalog_config *v[] = { cfg("a", "supported", "rhel", "7.0-7.9", X64, "microsoft", HV2008, "", "") };
	struct fixture f;
	struct check_fast m;
	struct descriptor *in = machine("7.5", "x86_64", 2, "6002"), *out = machine("8.0", "x86_64", 2, "6002");
	struct descriptor *arch = machine("7.5", "i686", 2, "6002");

	build(&f, v, 1);
	CHECK_INT(fast(&f, in, &m), CHECK_SUPPORTED);
	CHECK_INT(fast(&f, out, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_GUEST_VERSION);
	CHECK_INT(fast(&f, arch, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_ARCH);
	descriptor_free(in);
	descriptor_free(out);
	descriptor_free(arch);
	release(&f);
}

TEST(hypervisor_build_and_version_difference)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 1, "7601");
	struct check_result *r;
	struct check_fast m;

	build(&f, v, 1);
	CHECK_INT(fast(&f, d, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_HYPERVISOR_VERSION);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK(has_difference(r, 0, "hypervisor Hyper-V 6.1 (build 7601); validated: 6.0"));
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(revoked_does_not_validate)
{
	struct catalog_config *v[] = { cfg("a", "revoked", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 1, "6002");
	struct check_result *r;
	struct check_fast m;

	build(&f, v, 1);
	CHECK_INT(fast(&f, d, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_STATUS);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->verdict, CHECK_NOT_VALIDATED);
	CHECK_INT(r->n_matches, 1);
	CHECK(r->matches[0].differences.n == 1 && strstr(r->matches[0].differences.v[0], "revoked"));
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(explicit_exclusion_beats_a_range)
{
	struct catalog_config *v[] = {
		cfg("range", "supported", "rhel", "8.x", X64, "microsoft", HV2008, "", ""),
		cfg("no", "not_supported", "rhel", "8.5", X64, "microsoft", HV2008, "", ""),
	};
	struct fixture f;
	struct descriptor *d = machine("8.5", "x86_64", 2, "6002"), *e = machine("8.4", "x86_64", 2, "6002");
	struct check_fast m;

	build(&f, v, 2);
	CHECK_INT(fast(&f, d, &m), CHECK_NOT_SUPPORTED);
	CHECK_INT(m.reason, CHECK_REASON_EXCLUDED);
	CHECK_INT(fast(&f, e, &m), CHECK_SUPPORTED);
	descriptor_free(d);
	descriptor_free(e);
	release(&f);
}

TEST(several_matches_best_status_first)
{
	struct catalog_config *v[] = {
		cfg("z-supported", "supported_historical", "rhel", "5.2-5.11", BOTH, "microsoft", HV2008, "", ""),
		cfg("a-validated", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC),
		cfg("b-validated", "validated", "rhel", "5.3", BOTH, "microsoft", HV2008, UP, LIC),
	};
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 1, "6002");
	struct check_result *r;
	struct check_fast m;

	build(&f, v, 3);
	CHECK_INT(fast(&f, d, &m), CHECK_VALIDATED);
	CHECK_INT(m.n_matches, 3);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->n_matches, 3);
	CHECK_STR(r->matches[0].config->id, "a-validated");
	CHECK_STR(r->matches[1].config->id, "b-validated");
	CHECK_STR(r->matches[2].config->id, "z-supported");
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(nearest_ranked_by_distance)
{
	struct catalog_config *v[] = {
		cfg("far-arch", "validated", "rhel", "5.4", "\"i686\"", "microsoft", HV2008, UP, LIC),
		cfg("near-version", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC),
		cfg("far-version", "validated", "rhel", "5.0", X64, "microsoft", HV2008, UP, LIC),
		cfg("other-hv", "validated", "rhel", "5.4", X64, "kvm", ",\"version\":\"5.4\"", UP, ""),
	};
	struct fixture f;
	struct descriptor *d = machine("5.4", "x86_64", 1, "6002");
	struct check_result *r;

	build(&f, v, 4);
	CHECK_INT(check_explain(f.ix, d, 4, &r), 0);
	CHECK_INT(r->verdict, CHECK_NOT_VALIDATED);
	CHECK_INT(r->n_nearest, 4);
	CHECK_STR(r->nearest[0].config->id, "far-arch");      /* arch only: 30 */
	CHECK_STR(r->nearest[1].config->id, "near-version");  /* one minor release: 41 */
	CHECK_STR(r->nearest[2].config->id, "far-version");   /* four minor releases: 44 */
	CHECK_STR(r->nearest[3].config->id, "other-hv");      /* another hypervisor */
	CHECK(has_difference(r, 1, "guest Red Hat Enterprise Linux 5.4; validated: 5.3"));
	CHECK(has_difference(r, 3, "hypervisor Hyper-V (microsoft); validated"));
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(missing_component_named)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 1, "6002");
	struct check_result *r;
	struct check_fast m;

	cv_strv_release(&d->integration.present);
	cv_strv_push(&d->integration.present, "vmbus");
	cv_strv_push(&d->integration.present, "netvsc");
	build(&f, v, 1);
	CHECK_INT(fast(&f, d, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_COMPONENTS);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK(has_difference(r, 0, "missing integration component storvsc"));
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(unknown_hypervisor_or_guest)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 1, "6002");
	struct check_result *r;
	struct check_fast m;

	build(&f, v, 1);
	descriptor_set(&d->hypervisor.id, "unknown");
	CHECK_INT(fast(&f, d, &m), CHECK_UNKNOWN);
	CHECK_INT(m.reason, CHECK_REASON_UNKNOWN_HYPERVISOR);
	descriptor_set(&d->hypervisor.id, "microsoft");
	descriptor_set(&d->guest.os.id, NULL);
	CHECK_INT(fast(&f, d, &m), CHECK_UNKNOWN);
	CHECK_INT(m.reason, CHECK_REASON_UNKNOWN_GUEST);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->verdict, CHECK_UNKNOWN);
	CHECK(strstr(r->summary, "guest OS could not be determined") != NULL);
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(vcpu_sets_and_generation_one_limits)
{
	struct catalog_config *v[] = {
		cfg("set", "validated", "rhel", "5.5", X64, "microsoft", HV2008R2,
		    "\"max_vcpus\":4,\"allowed_vcpus\":[1,2,4]", ""),
		cfg("gen", "supported", "rhel", "9.x", X64, "microsoft", HV2008R2, "\"max_vcpus\":240,\"max_vcpus_gen1\":64", ""),
	};
	struct fixture f;
	struct descriptor *three = machine("5.5", "x86_64", 3, "7601"), *four = machine("5.5", "x86_64", 4, "7601");
	struct descriptor *big = machine("9.2", "x86_64", 100, "7601");
	struct check_result *r;
	struct check_fast m;

	build(&f, v, 2);
	CHECK_INT(fast(&f, three, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_VCPUS);
	CHECK_INT(fast(&f, four, &m), CHECK_VALIDATED);
	CHECK_INT(check_explain(f.ix, three, 3, &r), 0);
	CHECK(has_difference(r, 0, "3 vCPUs; validated for 1, 2 or 4"));
	check_result_free(r);
	CHECK_INT(fast(&f, big, &m), CHECK_SUPPORTED); /* generation 2 (UEFI or unknown) */
	descriptor_set(&big->vm.firmware, "bios");
	CHECK_INT(fast(&f, big, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(check_explain(f.ix, big, 3, &r), 0);
	CHECK(has_difference(r, 0, "generation 1 (BIOS) VM; validated for at most 64"));
	check_result_free(r);
	descriptor_free(three);
	descriptor_free(four);
	descriptor_free(big);
	release(&f);
}

TEST(no_configuration_for_the_pair)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture f;
	struct descriptor *d = machine("12", "x86_64", 1, "6002");
	struct check_fast m;

	descriptor_set(&d->guest.os.id, "debian");
	build(&f, v, 1);
	CHECK_INT(fast(&f, d, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_GUEST_NOT_IN_CATALOG);
	CHECK_INT(m.nearest, -1);
	/* A guest OS the catalog has, on a hypervisor it has nothing for. */
	descriptor_set(&d->guest.os.id, "rhel");
	descriptor_set(&d->hypervisor.id, "bhyve");
	CHECK_INT(fast(&f, d, &m), CHECK_NOT_VALIDATED);
	CHECK_INT(m.reason, CHECK_REASON_NO_CONFIGURATION);
	descriptor_free(d);
	release(&f);
}


/* A product-version row: Windows Server 2008 on Red Hat Enterprise Linux
 * KVM 5.4, as data/validated-configs.jsonl has it (rh-kvm5.4-win2k8-x86_64). */
static struct catalog_config *kvm54_row(void)
{
	struct catalog_config *c = NULL;
	char *why = NULL;

	if (catalog_config_from_text(
		    "{\"type\":\"configuration\",\"id\":\"rh-kvm5.4-win2k8-x86_64\",\"status\":\"validated\","
		    "\"guest\":{\"vendor\":\"Microsoft\",\"product\":\"Windows Server 2008\",\"os_id\":\"windows\","
		    "\"version\":\"2008\",\"arch\":[\"x86_64\"]},"
		    "\"hypervisor\":{\"vendor\":\"Red Hat\",\"product\":\"Red Hat Enterprise Linux KVM\",\"ids\":[\"kvm\"],"
		    "\"version\":\"5.4\"},\"limits\":{\"max_vcpus\":16},\"validated_by\":[\"Red Hat\"],\"source\":\"test\"}",
		    &c, &why) < 0)
		tap_fail(__FILE__, __LINE__, "kvm54: %s", why);
	free(why);
	return c;
}

static struct descriptor *windows_on_kvm(const char *version, const char *product, const char *hv_version,
					 const char *source)
{
	struct descriptor *d = descriptor_new();

	descriptor_set(&d->hypervisor.id, "kvm");
	descriptor_set(&d->hypervisor.product, product);
	descriptor_set(&d->hypervisor.version, hv_version);
	descriptor_set(&d->hypervisor.version_source, source);
	descriptor_set(&d->guest.os.id, "windows");
	descriptor_set(&d->guest.os.version, version);
	descriptor_set(&d->guest.arch, "x86_64");
	d->vm.vcpus = 4;
	d->vm.memory_mib = 4096;
	return d;
}

TEST(product_version_rows_need_the_host_version)
{
	struct catalog_config *v[] = { kvm54_row() };
	static const struct {
		const char *guest, *product, *version, *source;
		enum check_verdict verdict;
		enum check_reason reason;
	} rows[] = {
		/* Unknown: never validated, and the reason says so. */
		{ "2008", NULL, NULL, NULL, CHECK_NOT_VALIDATED, CHECK_REASON_HOST_VERSION_UNKNOWN },
		/* Stated by a person: names any product. */
		{ "2008", NULL, "5.4", "stated", CHECK_VALIDATED, CHECK_REASON_NONE },
		{ "2008", "QEMU/KVM", "5.4", "stated", CHECK_VALIDATED, CHECK_REASON_NONE },
		{ "2008", NULL, "5.5", "stated", CHECK_NOT_VALIDATED, CHECK_REASON_HYPERVISOR_VERSION },
		/* From firmware: only the row's vendor's platform speaks for it. */
		{ "2008", "Red Hat Enterprise Virtualization", "5.4-2.1.3.el5_4rhev2_1", "smbios", CHECK_VALIDATED,
		  CHECK_REASON_NONE },
		{ "2008", "Red Hat Enterprise Virtualization", "6.5-20140603.2.el6ev", "smbios", CHECK_NOT_VALIDATED,
		  CHECK_REASON_HYPERVISOR_VERSION },
		{ "2008", "QEMU/KVM", "5.4", "smbios", CHECK_NOT_VALIDATED, CHECK_REASON_HOST_VERSION_UNKNOWN },
		{ "2008", "oVirt", "5.4", "smbios", CHECK_NOT_VALIDATED, CHECK_REASON_HOST_VERSION_UNKNOWN },
		/* A machine type is not a host release. */
		{ "2008", "Red Hat KVM", "RHEL 5.4.0 PC", "smbios", CHECK_NOT_VALIDATED,
		  CHECK_REASON_HOST_VERSION_UNKNOWN },
		/* The kernel's version of Windows Server 2008 (6.0) and of 2008 R2 (6.1). */
		{ "6.0.6002", NULL, "5.4", "stated", CHECK_VALIDATED, CHECK_REASON_NONE },
		{ "6.1.7601", NULL, "5.4", "stated", CHECK_NOT_VALIDATED, CHECK_REASON_GUEST_VERSION },
		/* A Windows service pack is not a minor release: 2008 SP2 is 2008, not 2008 R2. */
		{ "2008 SP2", NULL, "5.4", "stated", CHECK_VALIDATED, CHECK_REASON_NONE },
		{ "2008 R2 SP1", NULL, "5.4", "stated", CHECK_NOT_VALIDATED, CHECK_REASON_GUEST_VERSION },
	};
	struct fixture f;

	build(&f, v, 1);
	for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++) {
		struct descriptor *d = windows_on_kvm(rows[i].guest, rows[i].product, rows[i].version, rows[i].source);
		struct check_result *r;
		struct check_fast m;

		printf("row %zu: %s on %s %s (%s)\n", i, rows[i].guest, rows[i].product ? rows[i].product : "-",
			 rows[i].version ? rows[i].version : "-", rows[i].source ? rows[i].source : "-");
		CHECK_INT(fast(&f, d, &m), rows[i].verdict);
		CHECK_INT(m.reason, rows[i].reason);
		CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
		CHECK_INT(r->verdict, rows[i].verdict);
		CHECK_INT(r->reason, rows[i].reason);
		if (rows[i].reason == CHECK_REASON_HOST_VERSION_UNKNOWN) {
			CHECK(strstr(r->summary, "--host-version") != NULL);
			CHECK(has_difference(r, 0, "host version unknown"));
		}
		check_result_free(r);
		descriptor_free(d);
	}
	release(&f);
}

/* Windows Server 2003 SP2 x86 on Red Hat Enterprise Linux KVM 5.4, as
 * data/validated-configs.jsonl has it (rh-kvm5.4-win2k3-sp2-i686), with
 * the service pack given as sp ("SP2", or SUSE's "SP2+"). */
static struct catalog_config *win2k3_row(const char *id, const char *sp, const char *arch)
{
	struct catalog_config *c = NULL;
	char *why = NULL;
	char *json = cv_xasprintf(
		"{\"type\":\"configuration\",\"id\":\"%s\",\"status\":\"validated\","
		"\"guest\":{\"vendor\":\"Microsoft\",\"product\":\"Windows Server 2003\",\"os_id\":\"windows\","
		"\"version\":\"2003\",\"arch\":[\"%s\"],\"osinfo_short_id\":\"win2k3\"%s%s%s},"
		"\"hypervisor\":{\"vendor\":\"Red Hat\",\"product\":\"Red Hat Enterprise Linux KVM\",\"ids\":[\"kvm\"],"
		"\"version\":\"5.4\"},\"limits\":{\"max_vcpus\":16},\"validated_by\":[\"Red Hat\"],\"source\":\"test\"}",
		id, arch, sp ? ",\"service_pack\":\"" : "", sp ? sp : "", sp ? "\"" : "");

	if (catalog_config_from_text(json, &c, &why) < 0)
		tap_fail(__FILE__, __LINE__, "%s: %s", id, why);
	free(why);
	free(json);
	return c;
}

/* A Windows Server 2003 x86 guest on KVM, the host's version stated; sp
 * NULL with windows_probe says "no service pack", without it says nothing. */
static struct descriptor *win2k3(const char *sp, bool windows_probe)
{
	struct descriptor *d = windows_on_kvm("2003", NULL, "5.4", "stated");

	descriptor_set(&d->guest.arch, "i686");
	descriptor_set(&d->guest.os.service_pack, sp);
	if (windows_probe)
		descriptor_set(&d->guest.os.source, "windows/os.json");
	return d;
}

static bool match_says(const struct check_result *r, const char *text)
{
	return r->n_matches && r->matches[0].differences.n == 1 && cv_streq(r->matches[0].differences.v[0], text);
}

TEST(service_pack_at_or_after_the_validated_one)
{
	static const struct {
		const char *row_sp, *sp;
		bool windows_probe;
		enum check_verdict verdict;
		enum check_reason reason;
		const char *difference; /* of the match, or of the nearest */
	} rows[] = {
		{ "SP2", "SP2", true, CHECK_VALIDATED, CHECK_REASON_NONE, NULL },
		/* A later service pack carries the validated one's fixes. */
		{ "SP2", "SP3", true, CHECK_VALIDATED, CHECK_REASON_NONE, NULL },
		{ "SP2", "sp2", true, CHECK_VALIDATED, CHECK_REASON_NONE, NULL },
		{ "SP2", "SP1", true, CHECK_NOT_VALIDATED, CHECK_REASON_SERVICE_PACK, "service pack SP1; validated for SP2" },
		/* The Windows probe's null is the release without a service pack. */
		{ "SP2", NULL, true, CHECK_NOT_VALIDATED, CHECK_REASON_SERVICE_PACK, "no service pack; validated for SP2" },
		/* A descriptor that does not say (hand-written, an older probe):
		 * matched as before, and told so. */
		{ "SP2", NULL, false, CHECK_VALIDATED, CHECK_REASON_NONE,
		  "service pack not stated; validated for SP2 or later" },
		{ "SP2", "Service Pack 2", true, CHECK_VALIDATED, CHECK_REASON_NONE,
		  "service pack 'Service Pack 2' not understood (SP1, SP2, ...): not checked; validated for SP2 or later" },
		/* SUSE's "SP2+" says what every service pack says. */
		{ "SP2+", "SP2", true, CHECK_VALIDATED, CHECK_REASON_NONE, NULL },
		{ "SP2+", "SP1", true, CHECK_NOT_VALIDATED, CHECK_REASON_SERVICE_PACK, "service pack SP1; validated for SP2" },
		/* A row that names none takes any. */
		{ NULL, NULL, true, CHECK_VALIDATED, CHECK_REASON_NONE, NULL },
		{ NULL, "SP1", true, CHECK_VALIDATED, CHECK_REASON_NONE, NULL },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++) {
		struct catalog_config *v[] = { win2k3_row("rh-kvm5.4-win2k3-sp2-i686", rows[i].row_sp, "i686") };
		struct descriptor *d = win2k3(rows[i].sp, rows[i].windows_probe);
		struct check_result *r;
		struct check_fast m;
		struct fixture f;

		printf("row %zu: %s machine at %s%s\n", i, rows[i].row_sp ? rows[i].row_sp : "any", rows[i].sp ? rows[i].sp : "-",
		       rows[i].windows_probe ? " (Windows probe)" : "");
		build(&f, v, 1);
		CHECK_INT(fast(&f, d, &m), rows[i].verdict);
		CHECK_INT(m.reason, rows[i].reason);
		CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
		CHECK_INT(r->verdict, rows[i].verdict);
		CHECK_INT(r->reason, rows[i].reason);
		if (rows[i].verdict == CHECK_VALIDATED && rows[i].difference) {
			CHECK(match_says(r, rows[i].difference));
			CHECK(strstr(r->summary, rows[i].difference) != NULL);
		} else if (rows[i].verdict == CHECK_VALIDATED)
			CHECK_INT(r->matches[0].differences.n, 0);
		else {
			CHECK_INT(r->n_nearest, 1);
			CHECK(has_difference(r, 0, rows[i].difference));
			CHECK_INT(r->nearest[0].differences.n, 1);
		}
		check_result_free(r);
		descriptor_free(d);
		release(&f);
	}
}

TEST(service_pack_ranks_nearer_than_another_arch)
{
	/* The machine is x86 at SP1: the x86 SP2 row is a fix level away, the
	 * x64 row of no service pack another architecture. */
	struct catalog_config *v[] = { win2k3_row("x64-any", NULL, "x86_64"), win2k3_row("x86-sp2", "SP2", "i686") };
	struct descriptor *d = win2k3("SP1", true);
	struct check_result *r;
	struct fixture f;

	build(&f, v, 2);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->reason, CHECK_REASON_SERVICE_PACK);
	CHECK_INT(r->n_nearest, 2);
	CHECK_STR(r->nearest[0].config->id, "x86-sp2");
	CHECK_STR(r->nearest[1].config->id, "x64-any");
	CHECK_STR(check_reason_name(r->reason), "service-pack");
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

/* How many of r's nearest and matches are the configuration id. */
static size_t times_ranked(const struct check_result *r, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_nearest; i++)
		n += cv_streq(r->nearest[i].config->id, id);
	for (size_t i = 0; i < r->n_matches; i++)
		n += cv_streq(r->matches[i].config->id, id);
	return n;
}

/*
 * A configuration naming several hypervisor ids sits in a bucket for each
 * (check.c): ranked once, where it is on the machine's hypervisor (not as
 * another hypervisor's row), whichever of its ids the machine has, and
 * once too for a machine whose guest OS is unknown (every bucket).
 */
TEST(a_configuration_on_several_hypervisors_is_ranked_once)
{
	/* cfg() writes "ids":["<hv>"]: two ids through the quotes. */
	struct catalog_config *v[] = {
		cfg("two-ids", "validated", "rhel", "5.0", X64, "kvm\",\"microsoft", HV2008, UP, LIC),
		cfg("one-id", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC),
		cfg("kvm-only", "validated", "rhel", "5.4", X64, "kvm", ",\"version\":\"5.4\"", UP, ""),
		cfg("two-ids-match", "validated", "rhel", "5.2", X64, "microsoft\",\"kvm", HV2008, UP, LIC),
	};
	struct fixture f;
	struct descriptor *d = machine("5.4", "x86_64", 1, "6002");
	struct check_result *r;

	CHECK_INT((int)v[0]->hypervisor.ids.n, 2);
	build(&f, v, 4);
	CHECK_INT(check_explain(f.ix, d, 10, &r), 0);
	CHECK_INT(r->verdict, CHECK_NOT_VALIDATED);
	CHECK_INT(r->n_nearest, 4);
	CHECK_INT(times_ranked(r, "two-ids"), 1);
	CHECK_INT(times_ranked(r, "two-ids-match"), 1);
	/* Ranked on the machine's hypervisor: by version (5.3, 5.2, 5.0),
	 * before the row of another hypervisor. */
	CHECK_STR(r->nearest[0].config->id, "one-id");
	CHECK_STR(r->nearest[1].config->id, "two-ids-match");
	CHECK_STR(r->nearest[2].config->id, "two-ids");
	CHECK_STR(r->nearest[3].config->id, "kvm-only");
	check_result_free(r);
	/* The version both rows with two ids hold: matched once each. */
	descriptor_set(&d->guest.os.version, "5.2");
	CHECK_INT(check_explain(f.ix, d, 10, &r), 0);
	CHECK_INT(r->verdict, CHECK_VALIDATED);
	CHECK_INT(r->n_matches, 1);
	CHECK_INT(times_ranked(r, "two-ids-match"), 1);
	check_result_free(r);
	/* A guest OS not known at all: every bucket, each row once. */
	descriptor_set(&d->guest.os.id, NULL);
	CHECK_INT(check_explain(f.ix, d, 10, &r), 0);
	CHECK_INT(r->n_nearest, 4);
	CHECK_INT(times_ranked(r, "two-ids") + times_ranked(r, "two-ids-match"), 2);
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

/*
 * A validated machine's matches are found by interval stabbing in its own
 * bucket (explain.c), not by scoring the whole guest OS: they must be
 * every configuration the machine meets, as a catalog of that one
 * configuration alone says (a match there, whatever its status).  Over
 * the seed's catalog and machines of its two guest OSes at many
 * releases, on four hypervisors, at both architectures and two vCPU
 * counts; the seed's 90 RHEL rows on Hyper-V include releases matched by
 * several rows at once.
 */
TEST(matches_are_every_configuration_the_machine_meets)
{
	static const char *const rhel[] = { "4.8", "5", "5.0", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.9",
					    "5.11", "6.0", "6.1", "6.2", "6.5", "6.10", "7.0", "7.9", "9.4" };
	static const char *const windows[] = { "5.2.3790", "6.0.6001", "6.0.6002", "6.1.7600", "6.1.7601",
					       "6.2.9200", "6.3.9600", "10.0.17763" };
	static const char *const hvs[] = { "microsoft", "kvm", "vmware", "xen" };
	static const char *const arches[] = { "i686", "x86_64" };
	struct catalog *cat = seed_catalog(false);
	struct check_index *ix, **one = cv_xcalloc(cat->n_configs, sizeof(*one));
	struct catalog *single = cv_xcalloc(cat->n_configs, sizeof(*single));
	size_t validated = 0, several = 0, matched = 0;

	CHECK_INT(check_index_build(cat, &ix), 0);
	for (size_t i = 0; i < cat->n_configs; i++) {
		single[i] = (struct catalog){ .configs = &cat->configs[i], .n_configs = 1 };
		CHECK_INT(check_index_build(&single[i], &one[i]), 0);
	}
	for (size_t os = 0; os < 2; os++)
		for (size_t v = 0; v < (os ? CV_ELEMENTSOF(windows) : CV_ELEMENTSOF(rhel)); v++)
			for (size_t h = 0; h < CV_ELEMENTSOF(hvs); h++)
				for (size_t a = 0; a < CV_ELEMENTSOF(arches); a++)
					for (int vcpus = 1; vcpus <= 4; vcpus += 3) {
						const char *version = os ? windows[v] : rhel[v];
						struct descriptor *d = machine(version, arches[a], vcpus,
									       h == 0 ? (os ? version + 4 : "6002") : NULL);
						struct check_result *r, *r1;
						size_t want = 0;

						descriptor_set(&d->hypervisor.id, hvs[h]);
						if (os)
							descriptor_set(&d->guest.os.id, "windows");
						CHECK_INT(check_explain(ix, d, 3, &r), 0);
						for (size_t i = 0; i < cat->n_configs; i++) {
							bool in = false;

							CHECK_INT(check_explain(one[i], d, 0, &r1), 0);
							CHECK(r1->n_matches <= 1);
							if (r1->n_matches == 0) {
								check_result_free(r1);
								continue;
							}
							want++;
							for (size_t m = 0; m < r->n_matches; m++)
								in |= r->matches[m].config == cat->configs[i];
							if (!in)
								tap_fail(__FILE__, __LINE__, "%s %s on %s: %s not matched",
									 os ? "windows" : "rhel", version, hvs[h],
									 cat->configs[i]->id);
							check_result_free(r1);
						}
						CHECK_INT((int)r->n_matches, (int)want);
						validated += r->verdict == CHECK_VALIDATED;
						several += r->verdict == CHECK_VALIDATED && r->n_matches > 1;
						matched += want > 0;
						check_result_free(r);
						descriptor_free(d);
					}
	/* What the loop must have met for its claim to mean anything. */
	CHECK(validated > 10);
	CHECK(several > 0);
	printf("%zu machines matched, %zu validated, %zu by several rows\n", matched, validated, several);
	for (size_t i = 0; i < cat->n_configs; i++)
		check_index_free(one[i]);
	free(one);
	free(single);
	check_index_free(ix);
	catalog_free(cat);
}

/* A row naming one hypervisor twice sits twice in its bucket: matched once. */
TEST(a_hypervisor_named_twice_is_matched_once)
{
	struct catalog_config *v[] = {
		cfg("twice", "validated", "rhel", "5.3", X64, "microsoft\",\"microsoft", HV2008, UP, LIC),
	};
	struct fixture f;
	struct descriptor *d = machine("5.3", "x86_64", 1, "6002");
	struct check_result *r;

	build(&f, v, 1);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->verdict, CHECK_VALIDATED);
	CHECK_INT((int)r->n_matches, 1);
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(a_guest_os_the_catalog_lacks_is_not_ranked)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC),
				       kvm54_row() };
	struct fixture f;
	struct descriptor *d = machine("12", "x86_64", 1, "6002");
	struct check_result *r;

	descriptor_set(&d->guest.os.id, "debian");
	build(&f, v, 2);
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_INT(r->verdict, CHECK_NOT_VALIDATED);
	CHECK_INT(r->reason, CHECK_REASON_GUEST_NOT_IN_CATALOG);
	CHECK_STR(check_reason_name(r->reason), "guest-os-not-in-catalog");
	CHECK_INT(r->n_nearest, 0);
	CHECK_STR(r->summary, "not validated: the catalog has no configuration for this guest OS, debian (os id \"debian\")");
	check_result_free(r);
	/* Named as its os-release names it (PRETTY_NAME), else NAME and VERSION_ID. */
	descriptor_set(&d->guest.os.name, "Debian GNU/Linux");
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_STR(r->summary, "not validated: the catalog has no configuration for this guest OS, Debian GNU/Linux 12 (os id \"debian\")");
	check_result_free(r);
	descriptor_set(&d->guest.os.pretty, "Debian GNU/Linux 12 (bookworm)");
	CHECK_INT(check_explain(f.ix, d, 3, &r), 0);
	CHECK_STR(r->summary, "not validated: the catalog has no configuration for this guest OS, Debian GNU/Linux 12 (bookworm) (os id \"debian\")");
	CHECK_INT(r->n_nearest, 0);
	check_result_free(r);
	descriptor_free(d);
	release(&f);
}

TEST(lifecycle_says_what_has_ended)
{
	struct catalog_config *c = kvm54_row();
	struct catalog_product *p[2] = { NULL, NULL };
	struct catalog cat = { .configs = &c, .n_configs = 1, .products = p, .n_products = 2 };
	struct check_lifecycle l;
	char *why = NULL;

	/* Dates as data/product-lifecycle.jsonl has them (Microsoft's and
	 * Red Hat's life cycle pages). */
	CHECK_INT(catalog_product_from_text("{\"type\":\"product\",\"id\":\"win-2008\",\"kind\":\"guest_os\","
					    "\"vendor\":\"Microsoft\",\"product\":\"Windows Server 2008\",\"version\":\"2008\","
					    "\"eol_date\":\"2020-01-14\",\"lifecycle\":{\"extended_end\":\"2020-01-14\","
					    "\"esu_end\":\"2023-01-10\"}}", &p[0], &why), 0);
	CHECK_INT(catalog_product_from_text("{\"type\":\"product\",\"id\":\"hv-rhel5.4-kvm\",\"kind\":\"hypervisor\","
					    "\"vendor\":\"Red Hat\",\"product\":\"Red Hat Enterprise Linux KVM\","
					    "\"version\":\"5.4\",\"eol_date\":\"2017-03-31\","
					    "\"lifecycle\":{\"els_end\":\"2020-11-30\"}}", &p[1], &why), 0);
	free(why);
	c->guest.product_id = cv_xstrdup("win-2008");
	c->hypervisor.product_id = cv_xstrdup("hv-rhel5.4-kvm");
	free(c->valid_from);
	c->valid_from = cv_xstrdup("2009-10");

	/* Before any end: current, nothing to say. */
	check_lifecycle(&cat, c, "2010-01-01", &l);
	CHECK(l.current);
	CHECK(l.note == NULL);
	CHECK_STR(l.guest_end, "2020-01-14");
	/* The last day of support is still supported. */
	check_lifecycle(&cat, c, "2017-03-31", &l);
	CHECK(l.current);
	check_lifecycle(&cat, c, "2017-04-01", &l);
	CHECK(!l.current);
	CHECK_STR(l.note, "validated in 2009; Red Hat Enterprise Linux KVM 5.4 support ended 2017-03-31 "
			  "(Extended Life-cycle Support until 2020-11-30)");
	free(l.note);
	check_lifecycle(&cat, c, "2026-12-02", &l);
	CHECK_STR(l.note, "validated in 2009; Windows Server 2008 support ended 2020-01-14 (Extended Security Updates "
			  "ended 2023-01-10); Red Hat Enterprise Linux KVM 5.4 support ended 2017-03-31 (Extended "
			  "Life-cycle Support ended 2020-11-30)");
	free(l.note);
	/* A month counts to its end. */
	c->valid_until = cv_xstrdup("2021-06");
	check_lifecycle(&cat, c, "2021-06-30", &l);
	CHECK(strstr(l.note, "valid until") == NULL);
	free(l.note);
	check_lifecycle(&cat, c, "2021-07-01", &l);
	CHECK(strstr(l.note, "; valid until 2021-06;") != NULL);
	free(l.note);
	catalog_product_free(p[0]);
	catalog_product_free(p[1]);
	catalog_config_free(c);
}

/* ---- fleets ---- */

/* What a fleet hands its caller, kept for the checks. */
struct seen {
	struct cv_strv bad, records; /* "source: why"; each record's JSON */
	const struct check_fleet *f;
	size_t progress_calls, descriptors;
	uint64_t done, total;
};

static void seen_progress(void *userdata, size_t descriptors, uint64_t done, uint64_t total)
{
	struct seen *s = userdata;

	s->progress_calls++;
	s->descriptors = descriptors;
	s->done = done;
	s->total = total;
}

static void seen_bad(void *userdata, const char *source, const char *why)
{
	struct seen *s = userdata;

	cv_strv_push_take(&s->bad, cv_xasprintf("%s: %s", source, why));
}

static void seen_record(void *userdata, const struct check_fleet_record *r)
{
	struct seen *s = userdata;
	json_t *o = check_fleet_record_to_json(s->f, r);

	cv_strv_push_take(&s->records, json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER));
	json_decref(o);
}

static char *machine_line(const char *version, int vcpus)
{
	struct descriptor *d = machine(version, "x86_64", vcpus, "6002");
	char *s = descriptor_to_json(d, false);

	descriptor_free(d);
	return s;
}

/* Five lines: validated, blank, broken, too many vCPUs, a bad field. */
static char *write_fleet(void)
{
	char *path = cv_xasprintf("%s/fleet.jsonl", tap_tmpdir());
	char *ok = machine_line("5.3", 1), *smp = machine_line("5.3", 4);
	FILE *out = fopen(path, "we");

	CHECK(out);
	fprintf(out, "%s\n\n{\"broken\": \n%s\n{\"vm\": {\"memory_mib\": -5}}\n", ok, smp);
	fclose(out);
	free(ok);
	free(smp);
	return path;
}

TEST(fleet_counts_verdicts_reasons_and_bad_lines)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture fx;
	struct check_fleet f;
	struct seen s = { .f = &f };
	struct check_fleet_ops ops = { .record = seen_record, .bad = seen_bad, .progress = seen_progress,
				       .userdata = &s };
	struct check_fleet_stats st;
	char *path = write_fleet(), *want;
	struct stat sb;

	cv_strv_init(&s.bad);
	cv_strv_init(&s.records);
	build(&fx, v, 1);
	check_fleet_init(&f, fx.ix, 0, &ops);
	CHECK_INT(check_fleet_read(&f, path), 0);
	CHECK_INT(f.n_keys, 2);
	CHECK_INT(f.verdicts[CHECK_VALIDATED], 0); /* kept, not yet matched */
	check_fleet_finish(&f);
	CHECK_INT(f.machines, 2);
	CHECK_INT(f.bad, 2);
	CHECK_INT(f.verdicts[CHECK_VALIDATED], 1);
	CHECK_INT(f.verdicts[CHECK_NOT_VALIDATED], 1);
	CHECK_INT(f.reasons[CHECK_NOT_VALIDATED][CHECK_REASON_VCPUS], 1);
	CHECK_INT(s.records.n, 0); /* records only with CHECK_FLEET_RECORDS */
	/* Progress after every descriptor read (5 lines, one blank): at the
	 * end, the 4 read and the whole file's bytes. */
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(s.progress_calls, 4);
	CHECK_INT(s.descriptors, 4);
	CHECK_INT(s.total, (uint64_t)sb.st_size);
	CHECK_INT(s.done, (uint64_t)sb.st_size);
	CHECK_INT(s.bad.n, 2);
	want = cv_xasprintf("%s:3: invalid JSON", path);
	CHECK(cv_startswith(s.bad.v[0], want));
	free(want);
	want = cv_xasprintf("%s:5: .vm.memory_mib", path);
	CHECK(cv_startswith(s.bad.v[1], want));
	free(want);
	check_fleet_stats(&f, &st);
	CHECK_INT(st.machines, 2);
	CHECK_INT(st.configurations, check_index_size(fx.ix));
	CHECK(st.total_s >= st.parse_s);
	check_fleet_release(&f);
	cv_strv_release(&s.bad);
	cv_strv_release(&s.records);
	free(path);
	release(&fx);
}

TEST(fleet_records_each_machine_as_read)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	struct fixture fx;
	struct check_fleet f;
	struct seen s = { .f = &f };
	struct check_fleet_ops ops = { .record = seen_record, .bad = seen_bad, .userdata = &s };
	char *path = write_fleet(), *want;

	cv_strv_init(&s.bad);
	cv_strv_init(&s.records);
	build(&fx, v, 1);
	check_fleet_init(&f, fx.ix, CHECK_FLEET_RECORDS, &ops);
	CHECK_INT(check_fleet_read(&f, path), 0);
	check_fleet_finish(&f); /* nothing left to match */
	CHECK_INT(f.n_keys, 0);
	CHECK_INT(f.machines, 2);
	CHECK_INT(f.bad, 2);
	CHECK_INT(f.verdicts[CHECK_VALIDATED], 1);
	CHECK_INT(s.records.n, 2);
	/* The machine named by its guest OS and hypervisor: the line names only their ids. */
	want = cv_xasprintf("{\"source\":\"%s:1\",\"machine\":\"rhel on microsoft\",\"verdict\":\"validated\",\"reason\":\"none\",\"match\":\"a\","
			    "\"nearest\":null}", path);
	CHECK_STR(s.records.v[0], want);
	free(want);
	want = cv_xasprintf("{\"source\":\"%s:4\",\"machine\":\"rhel on microsoft\",\"verdict\":\"not-validated\",\"reason\":\"vcpus\",\"match\":null,"
			    "\"nearest\":{\"id\":\"a\",\"differences\":[", path);
	CHECK(cv_startswith(s.records.v[1], want));
	free(want);
	check_fleet_release(&f);
	cv_strv_release(&s.bad);
	cv_strv_release(&s.records);
	free(path);
	release(&fx);
}

TEST(fleet_directory_in_name_order)
{
	struct catalog_config *v[] = { cfg("a", "validated", "rhel", "5.3", X64, "microsoft", HV2008, UP, LIC) };
	static const char *const names[] = { "b.json", "a.json", ".hidden.json", "c.txt", "d.json" };
	struct fixture fx;
	struct check_fleet f;
	struct seen s = { .f = &f };
	struct check_fleet_ops ops = { .record = seen_record, .bad = seen_bad, .userdata = &s };
	char *dir = cv_xasprintf("%s/fleet", tap_tmpdir()), *ok = machine_line("5.3", 1), *want, *missing;

	cv_strv_init(&s.bad);
	cv_strv_init(&s.records);
	CHECK_INT(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < CV_ELEMENTSOF(names); i++) {
		char *p = cv_xasprintf("%s/%s", dir, names[i]);
		FILE *out = fopen(p, "we");

		CHECK(out);
		fputs(cv_streq(names[i], "d.json") ? "{" : ok, out);
		fclose(out);
		free(p);
	}
	build(&fx, v, 1);
	check_fleet_init(&f, fx.ix, CHECK_FLEET_RECORDS, &ops);
	CHECK_INT(check_fleet_read(&f, dir), 0);
	CHECK_INT(f.machines, 2);
	CHECK_INT(f.bad, 1);
	CHECK_INT(s.records.n, 2);
	want = cv_xasprintf("{\"source\":\"%s/a.json\"", dir);
	CHECK(cv_startswith(s.records.v[0], want));
	free(want);
	want = cv_xasprintf("%s/d.json: invalid JSON", dir);
	CHECK(cv_startswith(s.bad.v[0], want));
	free(want);
	missing = cv_xasprintf("%s/nope", tap_tmpdir());
	CHECK_INT(check_fleet_read(&f, missing), -ENOENT);
	CHECK_INT(f.machines, 2);
	free(missing);
	check_fleet_release(&f);
	cv_strv_release(&s.bad);
	cv_strv_release(&s.records);
	free(ok);
	free(dir);
	release(&fx);
}

/* ---- incremental index: check_index_update() against a full build ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

#define PICK(a) ((a)[rnd(CV_ELEMENTSOF(a))])

/* A configuration drawn from a small vocabulary, so that buckets share
 * configurations and changes collide; now and then a name the first
 * catalog never had (a guest OS, a component), which forces a full build. */
static struct catalog_config *random_cfg(const char *id, bool new_names)
{
	static const char *const statuses[] = { "validated", "validated", "supported", "revoked", "not_supported" };
	static const char *const oses[] = { "rhel", "rhel", "sles" };
	static const char *const versions[] = { "5.3", "5.4", "5", "6", "7.0-7.9", "5.2-5.4" };
	static const char *const arches[] = { X64, BOTH, "\"i686\"" };
	static const char *const hvs[] = { "microsoft", "kvm", "vmware", "microsoft\",\"kvm", "kvm\",\"kvm" };
	static const char *const extras[] = { HV2008, HV2008R2, ",\"version\":\"5.4\"" };
	static const char *const limits[] = { UP, "", "\"max_vcpus\":4" };
	static const char *const comps[] = { LIC, "", "\"vmbus\"" };
	bool fresh = new_names && rnd(4) == 0;

	return cfg(id, PICK(statuses), fresh && rnd(2) ? "ol" : PICK(oses), PICK(versions), PICK(arches), PICK(hvs),
		   PICK(extras), PICK(limits), fresh ? "\"vmbus\",\"kvp\"" : PICK(comps));
}

static struct descriptor *random_machine(void)
{
	static const char *const oses[] = { "rhel", "rhel", "sles", "ol", "debian", NULL };
	static const char *const hvs[] = { "microsoft", "kvm", "vmware", "xen", NULL };
	static const char *const versions[] = { "5.3", "5.4", "5.9", "6", "7.5", "8.0", NULL };
	static const char *const arches[] = { "x86_64", "i686", "aarch64" };
	static const char *const builds[] = { "6001", "6002", "7601", NULL };
	struct descriptor *d = descriptor_new();
	const char *os = PICK(oses), *hv = PICK(hvs), *v = PICK(versions), *b = PICK(builds);

	if (hv)
		descriptor_set(&d->hypervisor.id, hv);
	descriptor_set(&d->hypervisor.version, rnd(2) ? "6.0" : "5.4");
	if (b)
		descriptor_set(&d->hypervisor.build, b);
	if (os)
		descriptor_set(&d->guest.os.id, os);
	if (v)
		descriptor_set(&d->guest.os.version, v);
	descriptor_set(&d->guest.arch, PICK(arches));
	d->vm.vcpus = (int)rnd(5);
	d->vm.memory_mib = 2048;
	cv_strv_push(&d->integration.present, "vmbus");
	if (rnd(2)) {
		cv_strv_push(&d->integration.present, "storvsc");
		cv_strv_push(&d->integration.present, "netvsc");
	}
	return d;
}

/* Whether two indexes of the same catalog answer every machine alike:
 * the fast path's verdict, reason, match and nearest, and explain's whole
 * answer (JSON, keys sorted). */
static bool same_answers(const struct check_index *a, const struct check_index *b, unsigned n_machines)
{
	bool same = true;

	for (unsigned i = 0; i < n_machines && same; i++) {
		struct descriptor *d = random_machine();
		struct check_key ka, kb;
		struct check_fast fa, fb;
		struct check_result *ra, *rb;
		json_t *ja, *jb;
		char *sa, *sb;

		check_key_from_descriptor(a, d, &ka);
		check_key_from_descriptor(b, d, &kb);
		check_match_fast(a, &ka, &fa);
		check_match_fast(b, &kb, &fb);
		if (fa.verdict != fb.verdict || fa.reason != fb.reason || fa.match != fb.match || fa.nearest != fb.nearest ||
		    fa.n_matches != fb.n_matches) {
			fprintf(stderr, "# fast: %d/%d %d/%d %d/%d %d/%d %u/%u", fa.verdict, fb.verdict, fa.reason, fb.reason,
				 fa.match, fb.match, fa.nearest, fb.nearest, fa.n_matches, fb.n_matches);
			fputc('\n', stderr);
			same = false;
		}
		CHECK_INT(check_explain(a, d, 5, &ra), 0);
		CHECK_INT(check_explain(b, d, 5, &rb), 0);
		ja = check_result_to_json(ra, d);
		jb = check_result_to_json(rb, d);
		sa = json_dumps(ja, JSON_SORT_KEYS);
		sb = json_dumps(jb, JSON_SORT_KEYS);
		if (strcmp(sa, sb) != 0) {
			fprintf(stderr, "# explain:\n# %s\n# %s\n", sa, sb);
			same = false;
		}
		free(sa);
		free(sb);
		json_decref(ja);
		json_decref(jb);
		check_result_free(ra);
		check_result_free(rb);
		descriptor_free(d);
	}
	return same;
}

static void catalog_release(struct catalog *c)
{
	for (size_t i = 0; i < c->n_configs; i++)
		catalog_config_free(c->configs[i]);
	free(c->configs);
}

/*
 * Random changes, generation after generation, each index updated from
 * the previous one: every updated index answers as a full build of its
 * catalog does, and the index it was made from still answers as before
 * (they share buckets; the old one must not see the change).
 */
TEST(index_update_answers_as_a_full_build)
{
	struct catalog *cur = cv_xcalloc(1, sizeof(*cur));
	struct check_index *ix;
	unsigned fulls = 0, updates = 0;

	cur->n_configs = 40;
	cur->configs = cv_xcalloc(cur->n_configs, sizeof(*cur->configs));
	for (size_t i = 0; i < cur->n_configs; i++) {
		char id[32];

		snprintf(id, sizeof(id), "c%03zu", i);
		cur->configs[i] = random_cfg(id, false);
	}
	CHECK_INT(check_index_build(cur, &ix), 0);
	for (unsigned round = 0; round < 150; round++) {
		struct catalog *next = cv_xcalloc(1, sizeof(*next));
		struct check_change ch[6];
		size_t n_ch = 1 + rnd(CV_ELEMENTSOF(ch) - 1);
		struct check_index *up, *full, *old_full;
		bool was_full;

		next->configs = cv_xcalloc(cur->n_configs + CV_ELEMENTSOF(ch), sizeof(*next->configs));
		for (size_t i = 0; i < cur->n_configs; i++)
			next->configs[i] = catalog_config_ref(cur->configs[i]);
		next->n_configs = cur->n_configs;
		for (size_t i = 0; i < n_ch; i++) {
			char id[32];
			size_t at;

			if (rnd(4) == 0) { /* a new configuration */
				snprintf(id, sizeof(id), "c%03zu", next->n_configs);
				at = next->n_configs++;
				ch[i] = (struct check_change){ (uint32_t)at, NULL };
			} else { /* one replaced (each at most once a round) */
				bool taken;

				do {
					at = rnd((unsigned)cur->n_configs);
					taken = false;
					for (size_t k = 0; k < i; k++)
						taken |= ch[k].config == at;
				} while (taken);
				snprintf(id, sizeof(id), "%s", cur->configs[at]->id);
				ch[i] = (struct check_change){ (uint32_t)at, cur->configs[at] };
				catalog_config_free(next->configs[at]);
			}
			next->configs[at] = random_cfg(id, true);
		}
		CHECK_INT(check_index_build(cur, &old_full), 0);
		CHECK_INT(check_index_update(ix, next, ch, n_ch, &up, &was_full), 0);
		CHECK_INT(check_index_build(next, &full), 0);
		if (was_full)
			fulls++;
		else
			updates++;
		if (!same_answers(up, full, 40))
			tap_fail(__FILE__, __LINE__, "round %u: the updated index answers otherwise than a full build", round);
		if (!same_answers(ix, old_full, 10))
			tap_fail(__FILE__, __LINE__, "round %u: the old index changed", round);
		check_index_free(old_full);
		check_index_free(full);
		check_index_free(ix);
		catalog_release(cur);
		free(cur);
		cur = next;
		ix = up;
	}
	/* Both paths were taken. */
	CHECK(updates > 50);
	CHECK(fulls > 0);
	check_index_free(ix);
	catalog_release(cur);
	free(cur);
}

TAP_MAIN(exact_version_validated_and_cooperative, vcpus_outside_uniprocessor_named, ranges_and_arch,
	 hypervisor_build_and_version_difference, revoked_does_not_validate, explicit_exclusion_beats_a_range,
	 several_matches_best_status_first, nearest_ranked_by_distance, missing_component_named,
	 unknown_hypervisor_or_guest, vcpu_sets_and_generation_one_limits, no_configuration_for_the_pair,
	 product_version_rows_need_the_host_version, service_pack_at_or_after_the_validated_one,
	 service_pack_ranks_nearer_than_another_arch, a_configuration_on_several_hypervisors_is_ranked_once,
	 matches_are_every_configuration_the_machine_meets, a_hypervisor_named_twice_is_matched_once,
	 a_guest_os_the_catalog_lacks_is_not_ranked,
	 lifecycle_says_what_has_ended, fleet_counts_verdicts_reasons_and_bad_lines, fleet_records_each_machine_as_read,
	 fleet_directory_in_name_order, index_update_answers_as_a_full_build)
