/*
 * testlog.c - canonical form, signing and verification of test logs (see
 * covalid/testlog.h).
 */
#include <jansson.h>

#include "covalid/sign.h"
#include "covalid/testlog.h"
#include "testlog/testlog-internal.h"
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

/*
 * The canonical check without serializing.  jansson's dump costs more
 * than its output: per object a loop-detection entry (an snprintf and a
 * hash insert), a malloc and a qsort of the keys; per token a call.  So
 * the text is first walked beside the document, each token compared with
 * the bytes jansson writes for that value under CANONICAL_FLAGS (dump.c,
 * jansson 2.14):
 *   object  '{' '"key":value' joined by ',' '}', keys in memcmp order
 *           (shorter first on a tie): here the text's keys must rise
 *           strictly, each be the object's, and be as many as it has;
 *   array   '[' values joined by ',' ']';
 *   string  '"', its bytes, '"' when it holds no '"', '\\' or byte
 *           below 0x20 (the only ones jansson escapes without
 *           JSON_ESCAPE_SLASH and JSON_ENSURE_ASCII);
 *   integer "%" JSON_INTEGER_FORMAT, as jansson prints it;
 *   real    jansson's own output (json_dumpb): its "%.15g" has rules;
 *   true, false, null.
 * The walk says yes only when every byte matched; anything it does not
 * take (an escape, a difference, a depth past WALK_DEPTH) leaves the
 * answer to jansson's serialization, compared below.  So it can only
 * make a yes cheaper, never turn a no into a yes.
 */
#define WALK_DEPTH 64

struct walk {
	const char *t;
	size_t len, at;
};

static bool walk_bytes(struct walk *w, const char *s, size_t n)
{
	if (n > w->len - w->at || memcmp(w->t + w->at, s, n) != 0)
		return false;
	w->at += n;
	return true;
}

static bool plain_string(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static bool walk_string(struct walk *w, const char *s, size_t n)
{
	return plain_string(s, n) && walk_bytes(w, "\"", 1) && walk_bytes(w, s, n) && walk_bytes(w, "\"", 1);
}

static bool walk_value(struct walk *w, const json_t *v, int depth);

static bool walk_object(struct walk *w, const json_t *o, int depth)
{
	const char *prev = NULL;
	size_t prev_len = 0, members = 0;

	if (!walk_bytes(w, "{", 1))
		return false;
	if (json_object_size(o) == 0)
		return walk_bytes(w, "}", 1);
	for (;;) {
		const char *key = w->t + w->at + 1, *end;
		size_t n;
		json_t *v;
		int cmp;

		if (w->at >= w->len || w->t[w->at] != '"')
			return false;
		end = memchr(key, '"', w->len - w->at - 1);
		if (!end)
			return false;
		n = (size_t)(end - key);
		if (!plain_string(key, n))
			return false;
		if (prev) {
			cmp = memcmp(prev, key, prev_len < n ? prev_len : n);
			if (cmp > 0 || (cmp == 0 && prev_len >= n))
				return false; /* not rising: not jansson's order */
		}
		v = json_object_getn(o, key, n);
		if (!v)
			return false;
		w->at += n + 2;
		if (!walk_bytes(w, ":", 1) || !walk_value(w, v, depth + 1))
			return false;
		members++;
		prev = key;
		prev_len = n;
		if (members == json_object_size(o))
			return walk_bytes(w, "}", 1);
		if (!walk_bytes(w, ",", 1))
			return false;
	}
}

static bool walk_value(struct walk *w, const json_t *v, int depth)
{
	char buf[100];
	int n;

	if (depth > WALK_DEPTH)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return walk_object(w, v, depth);
	case JSON_ARRAY:
		if (!walk_bytes(w, "[", 1))
			return false;
		for (size_t i = 0; i < json_array_size(v); i++)
			if ((i > 0 && !walk_bytes(w, ",", 1)) || !walk_value(w, json_array_get(v, i), depth + 1))
				return false;
		return walk_bytes(w, "]", 1);
	case JSON_STRING:
		return walk_string(w, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		/* jansson's own digits (its JSON_INTEGER_FORMAT, which mingw spells "I64d") */
		n = snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return n > 0 && (size_t)n < sizeof(buf) && walk_bytes(w, buf, (size_t)n);
	case JSON_REAL: {
		size_t m = json_dumpb(v, buf, sizeof(buf), CANONICAL_FLAGS | JSON_ENCODE_ANY);

		return m > 0 && m <= sizeof(buf) && walk_bytes(w, buf, m);
	}
	case JSON_TRUE:
		return walk_bytes(w, "true", 4);
	case JSON_FALSE:
		return walk_bytes(w, "false", 5);
	case JSON_NULL:
		return walk_bytes(w, "null", 4);
	}
	return false;
}

bool testlog__canonical_walk(const json_t *doc, const char *text, size_t len)
{
	struct walk w = { text, len, 0 };

	return json_is_object(doc) && walk_value(&w, doc, 0) && w.at + 1 == len && text[w.at] == '\n';
}

/* text is exactly testlog_canonical(doc). */
static bool is_canonical(const json_t *doc, const char *text, size_t len)
{
	struct compare c = { text, len, 0, false };

	if (testlog__canonical_walk(doc, text, len))
		return true;

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
