/*
 * test-webhook.c - webhooks (src/monitor/webhook*.c, src/store/store-webhooks.c):
 * the signature against RFC 4231's HMAC-SHA-256 test vectors, the retry
 * schedule the design sets (1, 2, 4 ... s, capped at an hour, jitter of a
 * tenth either way), URL and secret checks, and a delivery's life in the
 * store (fan-out, due, retried, delivered, failed, scope).
 */
#include <jansson.h>
#include <sodium.h>

#include "covalid/monitor.h"
#include "covalid/program.h"
#include "covalid/store.h"
#include "tap.h"
#include "util/cv.h"

/* RFC 4231 §4.2-4.8 (test cases 1, 2, 3, 4, 6, 7; 5 is a truncated MAC):
 * key, data, HMAC-SHA-256. */
static void check_vector(const void *key, size_t key_len, const void *data, size_t len, const char *want)
{
	char sig[MONITOR_SIGNATURE_SIZE], expect[80];

	monitor_webhook_sign(key, key_len, data, len, sig);
	snprintf(expect, sizeof(expect), "sha256=%s", want);
	CHECK_STR(sig, expect);
}

TEST(signature_is_hmac_sha256_rfc4231)
{
	uint8_t k1[20], k3[20], d3[50], k4[25], d4[50], k6[131];
	static const char d6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char d7[] = "This is a test using a larger than block-size key and a larger than block-size data. "
				 "The key needs to be hashed before being used by the HMAC algorithm.";

	CHECK(sodium_init() >= 0);
	memset(k1, 0x0b, sizeof(k1));
	check_vector(k1, sizeof(k1), "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_vector("Jefe", 4, "what do ya want for nothing?", 28,
		     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k3, 0xaa, sizeof(k3));
	memset(d3, 0xdd, sizeof(d3));
	check_vector(k3, sizeof(k3), d3, sizeof(d3), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (size_t i = 0; i < sizeof(k4); i++)
		k4[i] = (uint8_t)(i + 1);
	memset(d4, 0xcd, sizeof(d4));
	check_vector(k4, sizeof(k4), d4, sizeof(d4), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	/* Keys longer than SHA-256's 64-byte block are hashed first. */
	memset(k6, 0xaa, sizeof(k6));
	check_vector(k6, sizeof(k6), d6, strlen(d6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	check_vector(k6, sizeof(k6), d7, strlen(d7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(backoff_doubles_to_an_hour_with_a_tenth_of_jitter)
{
	/* jitter 0 is the low end (a tenth less), a jitter of the whole
	 * spread (a fifth) the high end (a tenth more). */
	static const int64_t base_s[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048 };

	for (size_t i = 0; i < CV_ELEMENTSOF(base_s); i++) {
		int64_t d = base_s[i] * 1000;

		CHECK_INT(monitor_webhook_backoff_ms((int64_t)i + 1, 1000, 0), d - d / 10);
		CHECK_INT(monitor_webhook_backoff_ms((int64_t)i + 1, 1000, (uint32_t)(d / 5)), d + d / 10);
	}
	/* 4096 s would pass the hour: the cap, never above it. */
	CHECK_INT(monitor_webhook_backoff_ms(13, 1000, 0), 3600000 - 360000);
	CHECK_INT(monitor_webhook_backoff_ms(13, 1000, 720000), 3600000);
	CHECK(monitor_webhook_backoff_ms(1000, 1000, UINT32_MAX) <= 3600000);
	for (uint32_t j = 0; j < 5000; j += 7) {
		int64_t d = monitor_webhook_backoff_ms(3, 1000, j);

		CHECK(d >= 3600 && d <= 4400);
	}
	/* A test's small base: 1 ms, then 2, 4 ... */
	CHECK_INT(monitor_webhook_backoff_ms(1, 1, 0), 1);
	CHECK_INT(monitor_webhook_backoff_ms(3, 1, 0), 4);
}

TEST(urls_are_http_with_a_host_and_no_credentials)
{
	static const char *const good[] = {
		"http://example.com", "https://example.com/hook", "http://127.0.0.1:8080/a?b=c#d",
		"https://[::1]:9443/x", "HTTPS://Example.COM/", "http://h:65535/",
	};
	static const struct {
		const char *url, *why;
	} bad[] = {
		{ "", "url: required" },
		{ "ftp://example.com/", "url: http:// or https:// only" },
		{ "example.com/hook", "url: http:// or https:// only" },
		{ "javascript:alert(1)", "url: http:// or https:// only" },
		{ "http:///x", "url: no host" },
		{ "http://", "url: no host" },
		{ "http://:80/", "url: no host" },
		{ "http://user@example.com/", "url: no user or password" },
		{ "https://u:p@example.com/", "url: no user or password" },
		{ "http://example.com/a b", "url: no spaces" },
		{ "http://example.com/\r\nX-Evil: 1", "url: no spaces" },
		{ "http://example.com:0/", "url: the port is 1 to 65535" },
		{ "http://example.com:65536/", "url: the port is 1 to 65535" },
		{ "http://example.com:/", "url: the port is 1 to 65535" },
		{ "http://example.com:8o/", "url: the port is 1 to 65535" },
		{ "http://[::1/", "url: an IPv6 host is [ADDRESS]" },
		{ "http://[::1]x/", "url: after [ADDRESS], only :PORT" },
	};
	char *longest = NULL;
	const char *why;

	for (size_t i = 0; i < CV_ELEMENTSOF(good); i++) {
		why = NULL;
		if (monitor_webhook_check_url(good[i], &why) != 0)
			tap_fail(__FILE__, __LINE__, "%s refused: %s", good[i], why);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(bad); i++) {
		why = NULL;
		CHECK_INT(monitor_webhook_check_url(bad[i].url, &why), -EINVAL);
		if (!why || strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
			tap_fail(__FILE__, __LINE__, "%s: \"%s\", expected \"%s...\"", bad[i].url, why ? why : "(none)",
				 bad[i].why);
	}
	/* 2048 bytes pass, 2049 do not. */
	longest = cv_xmalloc(2050);
	memcpy(longest, "http://example.com/", 19);
	memset(longest + 19, 'a', 2048 - 19);
	longest[2048] = '\0';
	CHECK_INT(monitor_webhook_check_url(longest, &why), 0);
	longest[2048] = 'a';
	longest[2049] = '\0';
	CHECK_INT(monitor_webhook_check_url(longest, &why), -EINVAL);
	CHECK_STR(why, "url: at most 2048 bytes");
	free(longest);
}

TEST(secrets_are_16_to_1024_bytes_without_nul)
{
	char s[1026];
	const char *why = NULL;

	memset(s, 'k', sizeof(s));
	CHECK_INT(monitor_webhook_check_secret(s, 15, &why), -EINVAL);
	CHECK(why && strncmp(why, "secret: at least 16", 19) == 0);
	CHECK_INT(monitor_webhook_check_secret(s, 16, &why), 0);
	CHECK_INT(monitor_webhook_check_secret(s, 1024, &why), 0);
	CHECK_INT(monitor_webhook_check_secret(s, 1025, &why), -EINVAL);
	CHECK_STR(why, "secret: at most 1024 bytes");
	s[7] = '\0';
	CHECK_INT(monitor_webhook_check_secret(s, 32, &why), -EINVAL);
	CHECK_STR(why, "secret: no NUL bytes");
	CHECK_INT(monitor_webhook_check_secret(NULL, 0, &why), -EINVAL);
}

TEST(event_kinds_are_the_design_docs)
{
	/* docs/monitor.md, "Events": the thirteen kinds. */
	static const char *const kinds[] = { "machine.enrolled", "machine.drifted", "machine.returned", "machine.late",
					     "machine.resumed", "machine.health", "machine.health-cleared",
					     "machine.reports-dropped", "case.opened",
					     "case.state", "case.engaged", "case.note", "case.sla-breach" };

	for (size_t i = 0; i < CV_ELEMENTSOF(kinds); i++)
		CHECK(monitor_event_kind_known(kinds[i]));
	CHECK(!monitor_event_kind_known("case"));
	CHECK(!monitor_event_kind_known("case.note case.state"));
	CHECK(!monitor_event_kind_known(""));
	CHECK(!monitor_event_kind_known(NULL));
	CHECK(!monitor_event_kind_known("machine.*"));
}

/* ---- a delivery's life in the store ---- */

static struct store *fresh_store(void)
{
	struct store *s = NULL;
	char *path = NULL, *err = NULL;

	if (asprintf(&path, "%s/webhooks.db", tap_tmpdir()) < 0)
		abort();
	CHECK_INT(store_open(path, &s, &err), 0);
	free(path);
	free(err);
	CHECK_INT(store_customer_add(s, "acme", "Acme"), 0);
	CHECK_INT(store_customer_add(s, "globex", "Globex"), 0);
	return s;
}

static json_t *add(struct store *s, const struct program_auth *who, const char *body_text, struct program_error *e)
{
	json_t *body = json_loads(body_text, 0, NULL), *ret = NULL;

	memset(e, 0, sizeof(*e));
	if (monitor_webhook_add(s, who, body, 1700000000, &ret, e) < 0)
		ret = NULL;
	json_decref(body);
	return ret;
}

static int64_t emit(struct store *s, const char *kind, const char *customer)
{
	int64_t seq = 0;

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_event_emit(s, &(struct program_event){ .kind = kind, .customer_id = customer, .summary = "x" },
				     &seq),
		  0);
	CHECK_INT(store_commit(s), 0);
	return seq;
}

TEST(deliveries_fan_out_retry_and_end)
{
	struct program_auth acme = { .role = (char *)"customer", .customer_id = (char *)"acme", .token_id = (char *)"t1" };
	struct program_auth owner = { .admin = true, .role = (char *)"admin", .token_id = (char *)"t0" };
	struct program_auth vendor = { .role = (char *)"vendor", .vendor_id = (char *)"red-hat" };
	struct program_error e;
	struct monitor_delivery *due = NULL;
	enum monitor_delivery_outcome o;
	json_t *wa, *wo, *page = NULL, *list = NULL, *body;
	struct store *s;
	size_t n = 0;
	char sig[MONITOR_SIGNATURE_SIZE];
	int64_t seq;

	CHECK(sodium_init() >= 0);
	s = fresh_store();
	CHECK(add(s, &vendor, "{\"url\": \"http://a/\", \"secret\": \"0123456789abcdef\"}", &e) == NULL);
	CHECK_INT(e.http, 403);
	wa = add(s, &acme, "{\"url\": \"http://a/\", \"secret\": \"acme-secret-0123456\", \"kinds\": [\"machine.drifted\"]}", &e);
	CHECK(wa != NULL);
	CHECK_STR(json_string_value(json_object_get(wa, "customer")), "acme");
	wo = add(s, &owner, "{\"url\": \"http://o/\", \"secret\": \"owner-secret-0123456\"}", &e);
	CHECK(wo != NULL);
	CHECK(json_is_null(json_object_get(wo, "customer")) || !json_object_get(wo, "customer"));

	/* Globex's event: the owner's webhook only; Acme's other kind: the owner's only. */
	emit(s, "machine.drifted", "globex");
	emit(s, "machine.late", "acme");
	seq = emit(s, "machine.drifted", "acme");
	CHECK_INT(monitor_deliveries_due(s, (int64_t)time(NULL) + 5, 10, 0, &due, &n), 0);
	CHECK_INT(n, 4); /* owner x3, acme x1 */
	for (size_t i = 0; i < n; i++) {
		/* The body is the event with its seq; the signature is over it. */
		body = json_loads(due[i].body, 0, NULL);
		CHECK(json_is_integer(json_object_get(body, "seq")));
		CHECK_STR(json_string_value(json_object_get(body, "schema")), "covalid.event/1");
		monitor_webhook_sign(due[i].secret, due[i].secret_len, due[i].body, strlen(due[i].body), sig);
		CHECK_STR(due[i].signature, sig);
		if (cv_streq(due[i].webhook_id, json_string_value(json_object_get(wa, "id")))) {
			CHECK_INT(json_integer_value(json_object_get(body, "seq")), seq);
			CHECK_STR(due[i].secret, "acme-secret-0123456");
		}
		json_decref(body);
	}
	/* Not due before now_s. */
	monitor_deliveries_free(due, n);
	CHECK_INT(monitor_deliveries_due(s, 1, 10, 0, &due, &n), 0);
	CHECK_INT(n, 0);
	monitor_deliveries_free(due, n);
	/* Leased for 60 s while an attempt is under way: not due again
	 * within them, due again after (a server stopped mid-attempt). */
	CHECK_INT(monitor_deliveries_due(s, (int64_t)time(NULL) + 5, 10, 60, &due, &n), 0);
	CHECK_INT(n, 4);
	monitor_deliveries_free(due, n);
	CHECK_INT(monitor_deliveries_due(s, (int64_t)time(NULL) + 5 + 59, 10, 0, &due, &n), 0);
	CHECK_INT(n, 0);
	monitor_deliveries_free(due, n);

	/* Acme's: failed 9 times (retried), the 10th fails it. */
	CHECK_INT(monitor_deliveries_due(s, INT32_MAX, 10, 0, &due, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (!cv_streq(due[i].webhook_id, json_string_value(json_object_get(wa, "id")))) {
			CHECK_INT(monitor_delivery_record(s, &due[i], 204, NULL, 1700000010000, 1000, &o), 0);
			CHECK_INT(o, MONITOR_DELIVERED);
			continue;
		}
		for (int a = 1; a <= 10; a++) {
			CHECK_INT(monitor_delivery_record(s, &due[i], a == 10 ? 503 : -1, a == 10 ? NULL : "Connection refused",
							  1700000010000, 1000, &o),
				  0);
			CHECK_INT(o, a == 10 ? MONITOR_FAILED : MONITOR_RETRY);
			due[i].attempts++;
		}
		/* No longer pending: a further record is refused. */
		CHECK_INT(monitor_delivery_record(s, &due[i], 200, NULL, 1700000010000, 1000, &o), -ENOENT);
	}
	monitor_deliveries_free(due, n);
	CHECK_INT(monitor_deliveries_due(s, INT32_MAX, 10, 0, &due, &n), 0);
	CHECK_INT(n, 0);
	monitor_deliveries_free(due, n);

	CHECK_INT(monitor_webhook_deliveries(s, &acme, json_string_value(json_object_get(wa, "id")), 50, 0, &page, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(page, "total")), 1);
	body = json_array_get(json_object_get(page, "items"), 0);
	CHECK_STR(json_string_value(json_object_get(body, "state")), "failed");
	CHECK_INT(json_integer_value(json_object_get(body, "attempts")), 10);
	CHECK_INT(json_integer_value(json_object_get(body, "last_status")), 503);
	CHECK_STR(json_string_value(json_object_get(body, "last_error")), "HTTP 503");
	json_decref(page);

	/* Scope: Acme does not see the owner's; the owner sees both. */
	CHECK_INT(monitor_webhook_deliveries(s, &acme, json_string_value(json_object_get(wo, "id")), 50, 0, &page, &e),
		  -ENOENT);
	CHECK_INT(e.http, 404);
	CHECK_INT(monitor_webhook_list(s, &acme, NULL, &list, &e), 0);
	CHECK_INT(json_array_size(json_object_get(list, "items")), 1);
	json_decref(list);
	CHECK_INT(monitor_webhook_list(s, &owner, NULL, &list, &e), 0);
	CHECK_INT(json_array_size(json_object_get(list, "items")), 2);
	json_decref(list);

	/* Removed: its pending deliveries are not due. */
	emit(s, "machine.late", "acme");
	CHECK_INT(monitor_webhook_remove(s, &acme, json_string_value(json_object_get(wo, "id")), 1700000020, &e), -ENOENT);
	CHECK_INT(monitor_webhook_remove(s, &owner, json_string_value(json_object_get(wo, "id")), 1700000020, &e), 0);
	CHECK_INT(monitor_deliveries_due(s, INT32_MAX, 10, 0, &due, &n), 0);
	CHECK_INT(n, 0);
	monitor_deliveries_free(due, n);
	json_decref(wa);
	json_decref(wo);
	store_close(s);
}

TAP_MAIN(signature_is_hmac_sha256_rfc4231, backoff_doubles_to_an_hour_with_a_tenth_of_jitter,
	 urls_are_http_with_a_host_and_no_credentials, secrets_are_16_to_1024_bytes_without_nul,
	 event_kinds_are_the_design_docs, deliveries_fan_out_retry_and_end)
