/*
 * testlog.c - canonical form, signing and verification of test logs (see
 * covalid/testlog.h).
 */
#include <jansson.h>

#include "covalid/sign.h"
#include "covalid/testlog.h"
#include "util/cv.h"

#define SIGNED_PREFIX "covalid.testlog/1 signature\n"
#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))

char *testlog_canonical(const json_t *doc, size_t *ret_len)
{
	char *s = json_dumps(doc, CANONICAL_FLAGS);
	char *out;
	size_t n;

	if (!s)
		abort(); /* jansson fails only on allocation */
	n = strlen(s);
	out = cv_xmalloc(n + 2);
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(s);
	if (ret_len)
		*ret_len = n + 1;
	return out;
}

/* The bytes a signature covers. */
static char *signed_bytes(const json_t *doc, size_t *ret_len)
{
	json_t *copy = json_copy((json_t *)doc);
	char *canon, *msg;
	size_t n;

	json_object_del(copy, "signature");
	canon = testlog_canonical(copy, &n);
	json_decref(copy);
	msg = cv_xasprintf(SIGNED_PREFIX "%s", canon);
	*ret_len = strlen(SIGNED_PREFIX) + n;
	free(canon);
	return msg;
}

int testlog_sign(json_t *doc, const struct sign_key *key)
{
	uint8_t sig[SIGN_BYTES];
	char *msg, *b64;
	size_t n;
	int r;

	if (!json_is_object(doc))
		return -EINVAL;
	msg = signed_bytes(doc, &n);
	r = sign_detached(key, msg, n, sig);
	free(msg);
	if (r < 0)
		return r;
	b64 = sign_base64_encode(sig, sizeof(sig));
	json_object_set_new(doc, "signature",
			    json_pack("{s:s, s:s, s:s}", "alg", "ed25519", "key_id", key->id, "value", b64));
	free(b64);
	return 0;
}

int testlog_write(const char *path, const json_t *doc)
{
	size_t n;
	char *canon = testlog_canonical(doc, &n);
	int r = cv_write_file_atomic(path, canon, n, 0644);

	free(canon);
	return r;
}

int testlog_parse(const char *text, size_t len, json_t **ret_doc, char **ret_why)
{
	json_error_t err;
	json_t *doc;

	if (len > TESTLOG_MAX_BYTES) {
		*ret_why = cv_xstrdup("larger than 16 MiB: not a test log");
		return -EBADMSG;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		*ret_why = cv_xasprintf("not valid JSON (line %d, column %d: %s): truncated or damaged", err.line,
					err.column, err.text);
		return -EBADMSG;
	}
	if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "schema")) ||
	    strcmp(json_string_value(json_object_get(doc, "schema")), TESTLOG_SCHEMA) != 0) {
		*ret_why = cv_xstrdup("not a covalid test log (schema is not " TESTLOG_SCHEMA ")");
		json_decref(doc);
		return -EBADMSG;
	}
	*ret_doc = doc;
	return 0;
}

/* Compares jansson's canonical output with the text as it is produced:
 * no copy of the log is made, and the first byte that differs stops it. */
struct compare {
	const char *text;
	size_t len, at;
	bool differs;
};

static int compare_chunk(const char *buf, size_t size, void *data)
{
	struct compare *c = data;

	/* Once different, always: jansson ignores the callback's answer for
	 * an object's keys and goes on, so nothing after may count. */
	if (c->differs || size > c->len - c->at || memcmp(c->text + c->at, buf, size) != 0) {
		c->differs = true;
		return -1;
	}
	c->at += size;
	return 0;
}

/* text is exactly testlog_canonical(doc). */
static bool is_canonical(const json_t *doc, const char *text, size_t len)
{
	struct compare c = { text, len, 0, false };

	if (json_dump_callback(doc, compare_chunk, &c, CANONICAL_FLAGS) < 0 && !c.differs)
		abort(); /* jansson fails only on allocation */
	return !c.differs && c.at + 1 == len && text[c.at] == '\n';
}

/* The end of the JSON value of canonical text at i: the ',' or the
 * closing bracket after it, or len. */
static size_t value_end(const char *t, size_t len, size_t i)
{
	size_t depth = 0;
	bool in_string = false;

	for (; i < len; i++) {
		char c = t[i];

		if (in_string) {
			if (c == '\\')
				i++; /* \" and \\ are not the string's end */
			else if (c == '"')
				in_string = false;
		} else if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			depth--;
		} else if (c == ',' && depth == 0)
			return i;
	}
	return len;
}

/*
 * Canonical text is '{', the members '"key":value' in key order joined by
 * ',', '}' and '\n' (jansson's compact dump), so the document without one
 * member dumps as the text without that member and one comma beside it.
 * A key's bytes are its canonical (escaped) form; "signature" has nothing
 * to escape, so its bytes are the key exactly.
 */
int testlog_signature_span(const char *text, size_t len, size_t *ret_at, size_t *ret_n)
{
	static const char key[] = "\"signature\":";
	size_t i = 1;

	if (len < 2 || text[0] != '{')
		return -EBADMSG;
	while (i < len && text[i] == '"') {
		size_t start = i, end = value_end(text, len, i);

		/* The key is a string: the ':' it ends with is not inside it. */
		if (end == len)
			return -EBADMSG;
		if (end - start > sizeof(key) - 1 && memcmp(text + start, key, sizeof(key) - 1) == 0) {
			if (text[end] == ',')
				end++; /* and the comma after it */
			else if (start > 1)
				start--; /* the last member: the comma before it */
			*ret_at = start;
			*ret_n = end - start;
			return 0;
		}
		if (text[end] != ',')
			break;
		i = end + 1;
	}
	return i < len && (text[i] == '}' || text[i] == '"') ? -ENOENT : -EBADMSG;
}

int testlog_verify_parsed(const json_t *parsed, const char *text, size_t len, const struct sign_key *pub, char **ret_why)
{
	const json_t *doc = parsed;
	json_t *sig;
	uint8_t raw[SIGN_BYTES];
	const char *alg, *kid, *value;
	char *msg = NULL;
	size_t at, n, prefix = strlen(SIGNED_PREFIX);
	int r = -EBADMSG;

	sig = json_object_get(doc, "signature");
	if (!sig) {
		*ret_why = cv_xstrdup("no signature (sign it with covalid kit sign)");
		goto out;
	}
	if (!json_is_object(sig) || json_object_size(sig) != 3 ||
	    !json_is_string(json_object_get(sig, "alg")) || !json_is_string(json_object_get(sig, "key_id")) ||
	    !json_is_string(json_object_get(sig, "value"))) {
		*ret_why = cv_xstrdup("the signature member is malformed (expected alg, key_id, value)");
		goto out;
	}
	alg = json_string_value(json_object_get(sig, "alg"));
	kid = json_string_value(json_object_get(sig, "key_id"));
	value = json_string_value(json_object_get(sig, "value"));
	if (strcmp(alg, "ed25519") != 0) {
		*ret_why = cv_xasprintf("signature algorithm '%s' is not ed25519", alg);
		goto out;
	}
	if (strcmp(kid, pub->id) != 0) {
		*ret_why = cv_xasprintf("signed by key %s, not by %s", kid, pub->id);
		goto out;
	}
	if (sign_base64_decode(value, raw, sizeof(raw)) < 0) {
		*ret_why = cv_xstrdup("the signature value is not 64 bytes of base64");
		goto out;
	}
	/* The file must be exactly the canonical form: otherwise bytes
	 * outside what the signature covers could be changed unnoticed. */
	if (!is_canonical(doc, text, len) || testlog_signature_span(text, len, &at, &n) < 0) {
		*ret_why = cv_xstrdup("not in canonical form: the file was changed after signing");
		goto out;
	}
	/* What the signature covers, canonical(doc without "signature"): the
	 * canonical text without its signature member, serialized once. */
	msg = cv_xmalloc(prefix + len - n);
	memcpy(msg, SIGNED_PREFIX, prefix);
	memcpy(msg + prefix, text, at);
	memcpy(msg + prefix + at, text + at + n, len - at - n);
	if (!sign_verify_detached(pub->pk, msg, prefix + len - n, raw)) {
		*ret_why = cv_xstrdup("the signature does not match the content: the log was changed after signing");
		goto out;
	}
	r = 0;
out:
	free(msg);
	return r;
}

int testlog_verify(const char *text, size_t len, const struct sign_key *pub, json_t **ret_doc, char **ret_why)
{
	json_t *doc = NULL;
	int r;

	r = testlog_parse(text, len, &doc, ret_why);
	if (r < 0)
		return r;
	r = testlog_verify_parsed(doc, text, len, pub, ret_why);
	if (r == 0 && ret_doc) {
		*ret_doc = doc;
		doc = NULL;
	}
	json_decref(doc);
	return r;
}
