/*
 * fuzz-support-body.c - libFuzzer target: the bodies of the support API -
 * opening a case, a note, a state change, an engagement, a collaboration
 * answer, an agreement, a customer, a user - each posted by the actor
 * who may post it (and some who may not) to the in-process server
 * (fuzz/harness-http.h), on the seeded case.  Body validation lives in
 * src/support (support_case_open, support_case_act, ...) and
 * src/server/api-support.c; this reaches it the way a client does.
 *
 * Input: one byte choosing the request (the table below, modulo its
 * size), then the body (JSON, "$CASE" and "$COLLAB" expanded).
 */
#include "harness-http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	enum h_actor who;
	const char *method, *target;
} requests[] = {
	{ H_CUSTOMER, "POST", "/api/v1/cases" },
	{ H_CUSTOMER, "POST", "/api/v1/cases/$CASE/notes" },
	{ H_MS, "POST", "/api/v1/cases/$CASE/notes" },
	{ H_RH, "POST", "/api/v1/cases/$CASE/notes" },
	{ H_CUSTOMER, "POST", "/api/v1/cases/$CASE/state" },
	{ H_MS, "POST", "/api/v1/cases/$CASE/state" },
	{ H_MS, "POST", "/api/v1/cases/$CASE/engage" },
	{ H_RH, "POST", "/api/v1/cases/$CASE/collaborations/$COLLAB" },
	{ H_MSMGR, "POST", "/api/v1/cases/$CASE/collaborations/$COLLAB" },
	{ H_OWNER, "POST", "/api/v1/admin/agreements" },
	{ H_OWNER, "POST", "/api/v1/admin/customers" },
	{ H_OWNER, "POST", "/api/v1/admin/users" },
	{ H_OWNER, "PUT", "/api/v1/admin/support-policy" },
	{ H_FABRIKAM, "POST", "/api/v1/cases" },
	{ H_RHMGR, "POST", "/api/v1/cases/$CASE/state" },
	{ H_NOBODY, "POST", "/api/v1/check" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const char *headers[] = { "Content-Type", "application/json", "Authorization", NULL, NULL };
	char *target, *body, *auth = NULL;
	size_t body_len;
	struct h_answer a = { 0 };
	struct h_request q;
	unsigned k;

	if (!ready) {
		harness_init();
		ready = true;
	}
	if (size < 1)
		return 0;
	k = data[0] % (sizeof(requests) / sizeof(requests[0]));
	target = harness_expand(requests[k].target, strlen(requests[k].target), NULL);
	body = harness_expand((const char *)data + 1, size - 1, &body_len);
	if (requests[k].who != H_NOBODY)
		headers[3] = auth = cv_xasprintf("Bearer %s", h_tokens[requests[k].who]);
	else
		headers[2] = NULL;
	q = (struct h_request){ requests[k].method, target, headers, body, body_len };
	harness_request(&q, &a);
	harness_check_answer(&a, requests[k].method);
	h_answer_release(&a);
	harness_restore();
	free(auth);
	free(body);
	free(target);
	return 0;
}
