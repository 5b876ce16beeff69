/* fuzz-agreement.c - libFuzzer target: an agreement document as the
 * owner posts it (POST /api/v1/admin/agreements): support_agreement_add()
 * into an in-memory store that knows customer "acme" and vendors
 * "red-hat" and "microsoft", then the customer's stored agreements
 * through the default policy's entitlement decision.  Each run is rolled
 * back, so the store does not grow. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "covalid/store.h"
#include "covalid/support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int collect(void *userdata, const char *id, const char *doc)
{
	json_t *j = json_loads(doc, 0, NULL);

	(void)id;
	if (!j)
		abort(); /* what was stored must load */
	json_array_append_new(userdata, j);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *s;
	static struct support_policy *p;
	struct program_error e = { 0 };
	char *id = NULL;
	json_t *body;

	if (!s) {
		if (store_open(":memory:", &s, NULL) < 0 || store_customer_add(s, "acme", "ACME") < 0 ||
		    store_vendor_add(s, "red-hat", "Red Hat") < 0 || store_vendor_add(s, "microsoft", "Microsoft") < 0 ||
		    support_policy_parse(support_policy_default(), &p, &e) < 0)
			abort();
	}
	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	if (store_begin(s) < 0)
		abort();
	if (support_agreement_add(s, body, &id, &e) == 0) {
		json_t *all = json_array();
		json_t *d = json_pack("{s:{s:{s:s, s:s}}, s:{s:s, s:s}}", "guest", "os", "id", "rhel", "version", "5.3",
				      "hypervisor", "id", "microsoft", "product", "Windows Server 2008 Hyper-V");
		json_t *m = json_pack("[{s:{s:s, s:s}, s:{s:s, s:s}}]", "guest", "product", "Red Hat Enterprise Linux",
				      "version", "5.3", "hypervisor", "product", "Windows Server 2008 Hyper-V", "version",
				      "2008");
		struct support_claim cl = { .agreements = all, .descriptor = d, .matches = m, .now = 1240000000 };

		if (store_agreement_list(s, "acme", NULL, collect, all) < 0)
			abort();
		json_decref(support_entitlement(p, "red-hat", &cl));
		json_decref(support_entitlement(p, "microsoft", &cl));
		json_decref(m);
		json_decref(d);
		json_decref(all);
		free(id);
	}
	program_error_release(&e);
	store_rollback(s);
	json_decref(body);
	return 0;
}
