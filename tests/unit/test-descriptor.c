/* test-descriptor.c - the descriptor's JSON form: round trips and bad input. */
#include <jansson.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "probe-fixture.h"
#include "tap.h"

TEST(roundtrip_every_field)
{
	static const char *const fixtures[] = { "hyperv2008-rhel53", "virtualbox-kvm-provider", "docker-on-kvm",
						"xen-pv-rhel53-i686", "baremetal-debian12", "kvm-centos7-e1000",
						"kvm-qemu-debian12-noagent", "win-2008r2-hyperv",
						"win-2003sp2-x86-rhel-kvm" };

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		struct descriptor *d = probe_fixture(fixtures[i]), *e = NULL;
		char *a, *b, *err = NULL;

		if (!d)
			continue;
		a = descriptor_to_json(d, false);
		CHECK_INT(descriptor_from_json(a, strlen(a), &e, &err), 0);
		if (!e) {
			tap_fail(__FILE__, __LINE__, "%s: %s", fixtures[i], err);
			free(err);
			free(a);
			descriptor_free(d);
			continue;
		}
		b = descriptor_to_json(e, false);
		CHECK_STR(a, b);
		free(a);
		free(b);
		descriptor_free(d);
		descriptor_free(e);
	}
}

static void bad(const char *json, const char *want_in_error)
{
	struct descriptor *d = NULL;
	char *err = NULL;

	CHECK_INT(descriptor_from_json(json, strlen(json), &d, &err), -EINVAL);
	CHECK(d == NULL);
	CHECK(err != NULL);
	if (err && !strstr(err, want_in_error))
		tap_fail(__FILE__, __LINE__, "error '%s' does not mention '%s'", err, want_in_error);
	free(err);
}

TEST(rejects_wrong_types_and_names_the_field)
{
	bad("[]", "expected a JSON object");
	bad("{\"hypervisor\": 3}", ".hypervisor");
	bad("{\"hypervisor\": {\"id\": 3}}", ".hypervisor.id");
	bad("{\"vm\": {\"vcpus\": \"two\"}}", ".vm.vcpus");
	bad("{\"vm\": {\"vcpus\": -1}}", ".vm.vcpus");
	bad("{\"vm\": {\"memory_mib\": 1.5}}", ".vm.memory_mib");
	bad("{\"integration\": {\"present\": [1]}}", ".integration.present[0]");
	bad("{\"guest\": {\"os\": {\"version\": 5.3}}}", ".guest.os.version");
	bad("{\"hypervisor\": {\"nested\": \"yes\"}}", ".hypervisor.nested");
	bad("{\"schema\": \"covalid.testlog/1\"}", "not a covalid descriptor");
}

TEST(rejects_invalid_json_with_position)
{
	bad("{\"hypervisor\": ", "invalid JSON at line 1");
	bad("{\"a\": 1, \"a\": 2}", "duplicate");
	bad("{\"x\": \"\xff\"}", "invalid JSON");
	bad("", "invalid JSON");
}

TEST(rejects_oversized_input)
{
	size_t n = DESCRIPTOR_MAX_BYTES + 10;
	char *big = cv_xmalloc(n + 1);
	struct descriptor *d = NULL;
	char *err = NULL;

	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	CHECK_INT(descriptor_from_json(big, n, &d, &err), -EINVAL);
	CHECK(err && strstr(err, "larger than"));
	free(err);
	free(big);
}

TEST(rejects_too_many_items)
{
	struct cv_buf b;
	char *err = NULL;
	struct descriptor *d = NULL;

	cv_buf_init(&b, 1 << 20);
	CHECK_INT(cv_buf_puts(&b, "{\"integration\": {\"present\": ["), 0);
	for (int i = 0; i <= DESCRIPTOR_MAX_ITEMS; i++)
		CHECK_INT(cv_buf_printf(&b, "%s\"x\"", i ? "," : ""), 0);
	CHECK_INT(cv_buf_puts(&b, "]}}"), 0);
	CHECK_INT(descriptor_from_json(b.data, b.len, &d, &err), -EINVAL);
	CHECK(err && strstr(err, "too many items"));
	free(err);
	cv_buf_release(&b);
}

TEST(tolerates_unknown_fields_and_missing_ones)
{
	const char *json = "{\"schema\": \"covalid.descriptor/2\", \"future\": {\"a\": 1},"
			   " \"hypervisor\": {\"id\": \"kvm\", \"new_field\": [1, 2]}}";
	struct descriptor *d = NULL;
	char *err = NULL;

	CHECK_INT(descriptor_from_json(json, strlen(json), &d, &err), 0);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->hypervisor.id, "kvm");
		CHECK(d->guest.os.id == NULL);
		CHECK_INT(d->vm.vcpus, -1);
	}
	descriptor_free(d);
	free(err);
}

/* Descriptors written before .integration.recommended, .recommended_missing
 * and .unbound existed still read, with those lists empty; the strict
 * reader of outside input (the server's /check) knows the new keys. */
TEST(integration_lists_older_and_newer)
{
	const char *old = "{\"schema\": \"covalid.descriptor/1\", \"integration\": {\"expected\": [\"vmbus\"],"
			  " \"present\": [\"vmbus\"], \"missing\": [], \"evidence\": []}}";
	const char *new = "{\"schema\": \"covalid.descriptor/1\", \"integration\": {\"expected\": [\"virtio_net\"],"
			  " \"present\": [], \"missing\": [\"virtio_net\"], \"recommended\": [\"qemu-guest-agent\"],"
			  " \"recommended_missing\": [\"qemu-guest-agent\"], \"unbound\": [\"virtio_net\"],"
			  " \"evidence\": []}}";
	struct descriptor *d = NULL;
	json_error_t jerr;
	json_t *j;
	char *err = NULL;

	CHECK_INT(descriptor_from_json(old, strlen(old), &d, &err), 0);
	if (d) {
		CHECK_INT((int)d->integration.recommended.n, 0);
		CHECK_INT((int)d->integration.recommended_missing.n, 0);
		CHECK_INT((int)d->integration.unbound.n, 0);
		CHECK_INT((int)d->integration.present.n, 1);
	}
	d = descriptor_free(d);
	CHECK_INT(descriptor_from_json(new, strlen(new), &d, &err), 0);
	if (d) {
		CHECK(cv_strv_contains(&d->integration.recommended, "qemu-guest-agent"));
		CHECK(cv_strv_contains(&d->integration.recommended_missing, "qemu-guest-agent"));
		CHECK(cv_strv_contains(&d->integration.unbound, "virtio_net"));
	}
	d = descriptor_free(d);
	free(err);
	err = NULL;
	j = json_loads(new, 0, &jerr);
	CHECK(j != NULL);
	CHECK_INT(descriptor_check_fields(j, &err), 0);
	free(err);
	json_decref(j);
	bad("{\"integration\": {\"unbound\": [1]}}", ".integration.unbound[0]");
	bad("{\"integration\": {\"recommended\": \"qemu-guest-agent\"}}", ".integration.recommended");
}

/* guest.os.service_pack and guest.os.edition: Windows only, written only
 * when known (a Linux descriptor keeps its bytes), read back, accepted by
 * the strict reader, and type-checked. */
TEST(windows_service_pack_and_edition)
{
	struct descriptor *d = descriptor_new(), *e = NULL;
	char *a, *err = NULL;
	json_t *j;
	json_error_t jerr;

	a = descriptor_to_json(d, false);
	CHECK(strstr(a, "service_pack") == NULL);
	CHECK(strstr(a, "edition") == NULL);
	free(a);
	descriptor_set(&d->guest.os.service_pack, "SP2");
	descriptor_set(&d->guest.os.edition, "Enterprise");
	a = descriptor_to_json(d, false);
	CHECK_INT(descriptor_from_json(a, strlen(a), &e, &err), 0);
	if (e) {
		CHECK_STR(e->guest.os.service_pack, "SP2");
		CHECK_STR(e->guest.os.edition, "Enterprise");
	}
	j = json_loads(a, 0, &jerr);
	CHECK(j != NULL);
	CHECK_INT(descriptor_check_fields(j, &err), 0);
	json_decref(j);
	free(err);
	free(a);
	descriptor_free(d);
	descriptor_free(e);
	bad("{\"guest\": {\"os\": {\"service_pack\": 2}}}", ".guest.os.service_pack");
	bad("{\"guest\": {\"os\": {\"edition\": []}}}", ".guest.os.edition");
}

TAP_MAIN(windows_service_pack_and_edition, roundtrip_every_field, integration_lists_older_and_newer, rejects_wrong_types_and_names_the_field, rejects_invalid_json_with_position,
	 rejects_oversized_input, rejects_too_many_items, tolerates_unknown_fields_and_missing_ones)
