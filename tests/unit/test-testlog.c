/* test-testlog.c - test logs: canonical form, signing, verification and its reasons (moved from test-kit.c). */
#include <jansson.h>

#include "covalid/sign.h"
#include "covalid/testlog.h"
#include "tap.h"
#include "testlog/testlog-internal.h"

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

/* walk(text) as the canonical check's fast path decides it. */
static bool walk(const char *text)
{
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	bool r;

	CHECK(doc != NULL);
	r = doc && testlog__canonical_walk(doc, text, strlen(text));
	json_decref(doc);
	return r;
}

/* The document of text, serialized by jansson: the fast path takes it. */
static void walk_takes(const char *text)
{
	json_t *doc = json_loads(text, 0, NULL);
	size_t len;
	char *canon = doc ? testlog_canonical(doc, &len) : NULL;

	CHECK(canon != NULL);
	if (canon && !testlog__canonical_walk(doc, canon, len))
		tap_fail(__FILE__, __LINE__, "the walk does not take jansson's own %s", canon);
	free(canon);
	json_decref(doc);
}

/*
 * The canonical check's walk (testlog.c) says yes only to jansson's own
 * bytes: the texts below parse to documents whose canonical form
 * (covalid/testlog.h: keys in byte order, no whitespace, "%.15g" reals,
 * jansson's escapes) they are not, and the walk refuses each; what it
 * cannot tell (escapes) it leaves to jansson, which still decides.
 */
TEST(canonical_walk_takes_only_the_canonical_form)
{
	static const char *const canonical[] = {
		"{\"a\":1,\"b\":[true,false,null],\"c\":{}}", "{\"\":[],\"a\":{\"aa\":\"x/y h\xc3\xa9\"}}",
		"{\"r\":[0.1,1.5,100.0,1e-7,1e300,-0.0,0.3,1.23456789012346e17]}",
		"{\"i\":[0,-1,9223372036854775807,-9223372036854775808]}", "{\"a\":1,\"ab\":2,\"b\":3}",
	};
	static const char *const not_canonical[] = {
		"{\"b\":1,\"a\":2}\n",           /* keys out of order */
		"{\"ab\":2,\"a\":1}\n",          /* a prefix sorts first */
		"{\"a\": 1}\n",                  /* whitespace */
		"{\"a\":1}",                     /* no newline */
		"{\"a\":1}\n\n",                 /* more after it */
		"{\"a\":\"\\u0061\"}\n",         /* an escape jansson does not write */
		"{\"\\u0061\":1}\n",             /* in a key */
		"{\"a\":\"x\\/y\"}\n",           /* an escaped slash */
		"{\"a\":1.50}\n",                /* a real as jansson does not print it */
		"{\"a\":1E2}\n",                 /* 100.0 */
		"{\"a\":1e-07}\n",               /* 1e-7 (jansson drops the exponent's zeros) */
		"{\"a\":0.30000000000000004}\n", /* 0.3 in 15 digits */
		"{\"a\":-0}\n",                  /* the integer 0 */
		"{\"a\":[1 ,2]}\n",              /* whitespace in an array */
		"{\"a\":\"\\u00e9\"}\n",         /* \u00e9 for the raw UTF-8 */
		"{\"a\":\"x\\\"y\"}\n",          /* an escape jansson writes: left to jansson */
	};
	char buf[128];
	json_t *deep = json_array(), *doc;
	char *text;
	size_t len;

	for (size_t i = 0; i < CV_ELEMENTSOF(canonical); i++) {
		walk_takes(canonical[i]);
		snprintf(buf, sizeof(buf), "%s\n", canonical[i]);
		CHECK(walk(buf)); /* these are the canonical texts themselves */
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(not_canonical); i++)
		if (walk(not_canonical[i]))
			tap_fail(__FILE__, __LINE__, "the walk takes %s", not_canonical[i]);
	/* Beyond its depth it leaves the answer to jansson. */
	for (int i = 0; i < 100; i++)
		deep = json_pack("[o]", deep);
	doc = json_pack("{s:o}", "d", deep);
	text = testlog_canonical(doc, &len);
	CHECK(!testlog__canonical_walk(doc, text, len));
	free(text);
	json_decref(doc);
}

/* Logs the walk leaves to jansson (escapes, depth) still verify, and a
 * key written with an escape is still refused (jansson's dump ignores
 * its callback's answer for keys: the comparison must not). */
TEST(canonical_check_decides_what_the_walk_leaves)
{
	struct sign_key k;
	json_t *doc = small_log(), *deep = json_array();
	char *text, *t, *why = NULL, *p;
	size_t len;

	CHECK_INT(sign_init(), 0);
	CHECK_INT(sign_key_generate(&k), 0);
	for (int i = 0; i < 100; i++)
		deep = json_pack("[o]", deep);
	json_object_set_new(doc, "deep", deep);
	json_object_set_new(doc, "note", json_string("a \"quoted\" back\\slash, a tab\t, \x01 and /"));
	CHECK_INT(testlog_sign(doc, &k), 0);
	text = testlog_canonical(doc, &len);
	CHECK(!testlog__canonical_walk(doc, text, len));
	CHECK_INT(testlog_verify(text, len, &k, NULL, &why), 0);
	/* "host" as "\u0068ost": the same document, not its canonical bytes. */
	p = strstr(text, "\"host\"");
	CHECK(p != NULL);
	if (p) {
		t = cv_xasprintf("%.*s\"\\u0068ost\"%s", (int)(p - text), text, p + 6);
		rejects(t, strlen(t), &k, "not in canonical form");
		free(t);
	}
	free(text);
	json_decref(doc);
	sign_key_release(&k);
}

TAP_MAIN(canonical_form_is_stable, signed_log_verifies, every_single_byte_flip_fails, tampering_has_clear_reasons,
	 signature_span_is_the_signed_content, canonical_walk_takes_only_the_canonical_form,
	 canonical_check_decides_what_the_walk_leaves)
