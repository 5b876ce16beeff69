/* test-testlog.c - test logs: canonical form, signing, verification and its reasons (moved from test-kit.c). */
#include <jansson.h>

#include "covalid/sign.h"
#include "covalid/testlog.h"
#include "tap.h"

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

/* The text without the span testlog_signature_span names is, by its
 * contract (covalid/testlog.h), canonical(document without "signature"):
 * compared with that serialization itself. */
static void span_is_unsigned_content(json_t *doc)
{
	json_t *copy = json_copy(doc);
	size_t len, want_len, at = 0, n = 0;
	char *text = testlog_canonical(doc, &len), *want, *got;

	json_object_del(copy, "signature");
	want = testlog_canonical(copy, &want_len);
	CHECK_INT(testlog_signature_span(text, len, &at, &n), 0);
	CHECK(at + n <= len);
	got = cv_xmalloc(len - n + 1);
	memcpy(got, text, at);
	memcpy(got + at, text + at + n, len - at - n);
	got[len - n] = '\0';
	CHECK_INT(len - n, want_len);
	CHECK_STR(got, want);
	free(got);
	free(want);
	free(text);
	json_decref(copy);
}

TEST(signature_span_is_the_signed_content)
{
	struct sign_key k;
	json_t *doc = small_log(), *sig;
	char *text;
	size_t len, at, n;

	CHECK_INT(sign_init(), 0);
	CHECK_INT(sign_key_generate(&k), 0);
	CHECK_INT(testlog_sign(doc, &k), 0);
	span_is_unsigned_content(doc); /* a member before it and after it */
	/* Nested "signature" members, and strings that read like one, are
	 * not the log's signature. */
	json_object_set_new(doc, "a", json_pack("{s:{s:s}, s:s}", "signature", "x", "q", ",\"signature\":{\"alg\":1}"));
	json_object_set_new(doc, "b", json_pack("[s, s, {s:i}]", "\\", "{\"signature\":", "signature", 3));
	json_object_set_new(doc, "signaturez", json_string("\"signature\":"));
	span_is_unsigned_content(doc);
	/* The last member (nothing sorts after it), then the first. */
	sig = json_incref(json_object_get(doc, "signature"));
	json_object_clear(doc);
	json_object_set_new(doc, "schema", json_string(TESTLOG_SCHEMA));
	json_object_set(doc, "signature", sig);
	span_is_unsigned_content(doc);
	json_object_set_new(doc, "zz", json_true());
	json_object_del(doc, "schema");
	span_is_unsigned_content(doc);
	/* The only member. */
	json_object_del(doc, "zz");
	span_is_unsigned_content(doc);
	/* None: -ENOENT; not a JSON object: -EBADMSG. */
	json_object_del(doc, "signature");
	json_object_set_new(doc, "signatur", json_string("e"));
	text = testlog_canonical(doc, &len);
	CHECK_INT(testlog_signature_span(text, len, &at, &n), -ENOENT);
	free(text);
	CHECK_INT(testlog_signature_span("[1]\n", 4, &at, &n), -EBADMSG);
	CHECK_INT(testlog_signature_span("{\"sig", 5, &at, &n), -EBADMSG);
	CHECK_INT(testlog_signature_span("", 0, &at, &n), -EBADMSG);
	json_decref(sig);
	json_decref(doc);
	sign_key_release(&k);
}

TAP_MAIN(canonical_form_is_stable, signed_log_verifies, every_single_byte_flip_fails, tampering_has_clear_reasons,
	 signature_span_is_the_signed_content)
