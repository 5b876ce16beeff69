/* fuzz-support-policy.c - libFuzzer target: support policy documents
 * (PUT /api/v1/admin/support-policy), then every SLA lookup and an
 * entitlement decision made with whatever parsed. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "covalid/support.h"
#include "support/support-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char agreements[] =
		"[{\"id\":\"agr-1\",\"customer\":\"acme\",\"vendor\":\"red-hat\",\"kind\":\"support-agreement\","
		"\"level\":\"standard\",\"valid_from\":\"2020-01-01\",\"valid_to\":\"2030-01-01\",\"covers\":[]},"
		"{\"id\":\"agr-2\",\"customer\":\"acme\",\"vendor\":\"microsoft\",\"kind\":\"subscription\","
		"\"level\":\"premier\",\"valid_from\":\"2020-01-01\",\"valid_to\":\"2030-01-01\",\"covers\":"
		"[{\"guest\":\"rhel\",\"versions\":[\"9\"]}]}]";
	static const char descriptor[] =
		"{\"guest\":{\"os\":{\"id\":\"rhel\",\"version\":\"9.2\"}},\"hypervisor\":{\"id\":\"microsoft\","
		"\"product\":\"Windows Server 2008 Hyper-V\"}}";
	static const char *const levels[] = { "standard", "premier", "basic", "" };
	static const char *const whats[] = { "first_response_s", "next_update_s", "collaboration", "reopen" };
	struct support_policy *p = NULL;
	struct program_error e = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (support_policy_parse(text, &p, &e) == 0) {
		json_t *a = json_loads(agreements, 0, NULL), *d = json_loads(descriptor, 0, NULL);
		const char *const vendors[] = { "red-hat", "microsoft", "nobody" };

		for (size_t w = 0; w < sizeof(whats) / sizeof(whats[0]); w++)
			for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
				for (int sev = 0; sev <= 5; sev++)
					(void)support_policy_seconds(p, whats[w], levels[l], sev);
		for (size_t v = 0; v < sizeof(vendors) / sizeof(vendors[0]); v++)
			for (int per_call = 0; per_call <= 1; per_call++) {
				struct support_claim cl = { .agreements = a, .descriptor = d, .per_call = per_call,
							    .now = 1700000000 };

				json_decref(support_entitlement(p, vendors[v], &cl));
			}
		json_decref(a);
		json_decref(d);
		support_policy_free(p);
	}
	program_error_release(&e);
	free(text);
	return 0;
}
