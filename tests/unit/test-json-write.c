/*
 * test-json-write.c - the tree-less JSON writer (util/json-write.h)
 * against jansson 2.14's json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER),
 * the writer it stands in for: the same bytes for every string jansson
 * accepts, a failure for every string json_string() refuses.
 *
 * The reference is the installed jansson itself; the hand-written cases
 * state what its src/dump.c and src/utf.c say (upper-case \u00XX, '/' and
 * U+007F as they are, surrogates and overlong forms refused).
 */
#include <jansson.h>

#include "util/json-write.h"
#include "util/cv.h"
#include "tap.h"

#define FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	return tap_xorshift64(&rng_state);
}

/* The writer's text for one string inside an array ("[...]"), or as an
 * object member's name ("{...:1}") when name; NULL if it failed. */
static char *written_as(const char *s, bool name)
{
	struct cv_buf b;
	struct json_write w;

	cv_buf_init(&b, 1 << 20);
	json_write_init(&w, &b);
	if (name) {
		json_write_object_open(&w);
		json_write_name(&w, s);
		json_write_int(&w, 1);
		json_write_object_close(&w);
	} else {
		json_write_array_open(&w);
		json_write_string(&w, s);
		json_write_array_close(&w);
	}
	if (json_write_end(&w) < 0) {
		CHECK_INT(b.len, 0);
		cv_buf_release(&b);
		return NULL;
	}
	return cv_buf_detach(&b, NULL);
}

static char *written(const char *s)
{
	return written_as(s, false);
}

/* jansson's text for the same, NULL where json_string() refuses s. */
static char *dumped(const char *s)
{
	json_t *a = json_array(), *v = json_string(s);
	char *t = NULL;

	if (v) {
		json_array_append_new(a, v);
		t = json_dumps(a, FLAGS);
	}
	json_decref(a);
	return t;
}

static char *dumped_key(const char *s)
{
	json_t *o = json_object();
	char *t = NULL;

	if (json_object_set_new(o, s, json_integer(1)) == 0)
		t = json_dumps(o, FLAGS);
	json_decref(o);
	return t;
}

static unsigned long long refused;
static unsigned reported; /* the first few disagreements tell; a flood would not */

static void same(const char *s, size_t len)
{
	char *a = written(s), *b = dumped(s);

	if ((!a != !b || (a && strcmp(a, b) != 0)) && reported++ < 20) {
		char hex[3 * 64 + 1] = "";

		for (size_t i = 0; i < len && i < 64; i++)
			snprintf(hex + 3 * i, 4, "%02x ", (unsigned char)s[i]);
		tap_fail(__FILE__, __LINE__, "string %s: writer %s, jansson %s", hex, a ? a : "(failed)", b ? b : "(NULL)");
	}
	free(a);
	free(b);
	/* Names are written as strings are (json_write_name() has its own
	 * way for short plain ones). */
	a = written_as(s, true);
	b = dumped_key(s);
	if ((!a != !b || (a && strcmp(a, b) != 0)) && reported++ < 20)
		tap_fail(__FILE__, __LINE__, "name of %zu bytes (%.64s): writer %s, jansson %s", len, s, a ? a : "(failed)",
			 b ? b : "(NULL)");
	if (!b)
		refused++;
	if (json_write_utf8_valid(s, len) != (b != NULL) && reported++ < 20)
		tap_fail(__FILE__, __LINE__, "json_write_utf8_valid() disagrees with json_string() (%zu bytes)", len);
	free(a);
	free(b);
}

/* Stated from jansson's dump.c and utf.c, not derived from either writer. */
TEST(escapes_as_jansson_writes_them)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "a/b", "[\"a/b\"]" },
		{ "\"\\", "[\"\\\"\\\\\"]" },
		{ "\b\f\n\r\t", "[\"\\b\\f\\n\\r\\t\"]" },
		{ "\x01\x1f\x0b", "[\"\\u0001\\u001F\\u000B\"]" },
		{ "\x7f", "[\"\x7f\"]" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]" },
		{ "", "[\"\"]" },
	};
	static const char *const invalid[] = {
		"\x80", "a\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf0\x80\x80\x80",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3", "\xe2\x82", "\xc3(",
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
		char *a = written(cases[i].in);

		CHECK_STR(a, cases[i].out);
		free(a);
		same(cases[i].in, strlen(cases[i].in));
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(invalid); i++) {
		char *a = written(invalid[i]);

		CHECK(a == NULL);
		free(a);
		same(invalid[i], strlen(invalid[i]));
	}
	CHECK(written(NULL) == NULL);
}

/* Every string of one and two bytes, and of three and four bytes led by
 * a byte that starts a multi-byte sequence (the others are covered by
 * the shorter ones). */
TEST(every_short_string)
{
	char s[5];

	for (unsigned a = 1; a < 256; a++) {
		s[0] = (char)a;
		s[1] = '\0';
		same(s, 1);
		for (unsigned b = 1; b < 256; b++) {
			s[1] = (char)b;
			s[2] = '\0';
			same(s, 2);
		}
	}
	for (unsigned a = 0xe0; a < 0xf8; a++)
		for (unsigned b = 0x70; b < 0xd0; b++)
			for (unsigned c = 0x70; c < 0xd0; c++) {
				s[0] = (char)a;
				s[1] = (char)b;
				s[2] = (char)c;
				s[3] = '\0';
				same(s, 3);
				if (a >= 0xf0) {
					s[3] = (char)(0x80 + (a + b + c) % 0x40);
					s[4] = '\0';
					same(s, 4);
				}
			}
	CHECK(refused > 1000);
}

/* Random strings drawn from bytes that matter: controls, quotes,
 * backslashes, slashes, ASCII, UTF-8 lead and continuation bytes. */
TEST(random_strings)
{
	static const unsigned char pool[] = { 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, '"', '\\', '/', 'a', ' ', 0x7f,
					      0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xc3, 0xdf, 0xe0, 0xed, 0xef, 0xf0,
					      0xf4, 0xf5, 0xff };
	char s[40];

	refused = 0;
	for (int k = 0; k < 200000; k++) {
		size_t len = rng() % (sizeof(s) - 1);

		for (size_t i = 0; i < len; i++)
			s[i] = (char)pool[rng() % sizeof(pool)];
		s[len] = '\0';
		same(s, len);
	}
	CHECK(refused > 1000);
	CHECK(refused < 200000);
}

/* Plain runs (the writer takes them eight bytes at a time, and names of
 * up to 48 in one piece) of every length to 60 with one byte anywhere in them: each byte around the
 * boundaries of what is plain (0x1f/0x20, '!' '"' '#', '[' '\\' ']',
 * 0x7f/0x80), and a two-byte UTF-8 sequence, valid or cut. */
TEST(plain_runs_with_one_byte_anywhere)
{
	static const char *const odd[] = { "\x01", "\x1f", " ", "!", "\"", "#", "[", "\\", "]", "\x7f", "\x80",
					   "\xc3\xa9", "\xc3", "\xff" };
	char s[72];

	refused = 0;
	for (size_t len = 0; len <= 60; len++)
		for (size_t at = 0; at <= len; at++)
			for (size_t k = 0; k < CV_ELEMENTSOF(odd); k++) {
				size_t n = strlen(odd[k]);

				memset(s, 'a', len);
				memcpy(s + at, odd[k], n);
				memset(s + at + n, 'b', len - at);
				s[len + n] = '\0';
				same(s, len + n);
			}
	CHECK(refused > 0);
}

/* A name given as a literal (json_write_key()) is written as the same
 * name given at run time (json_write_name()), and is refused where a name
 * may not come: after a name, outside an object's members. */
TEST(literal_names_as_written_names)
{
	struct cv_buf a, b;
	struct json_write wa, wb;

	cv_buf_init(&a, 1 << 16);
	cv_buf_init(&b, 1 << 16);
	json_write_init(&wa, &a);
	json_write_init(&wb, &b);
	json_write_object_open(&wa);
	json_write_object_open(&wb);
	json_write_key(&wa, "");
	json_write_name(&wb, "");
	json_write_int(&wa, 1);
	json_write_int(&wb, 1);
	json_write_key(&wa, "valid_until");
	json_write_name(&wb, "valid_until");
	json_write_null(&wa);
	json_write_null(&wb);
	json_write_key(&wa, "a name longer than the forty-eight bytes taken in one piece");
	json_write_name(&wb, "a name longer than the forty-eight bytes taken in one piece");
	json_write_bool(&wa, true);
	json_write_bool(&wb, true);
	json_write_object_close(&wa);
	json_write_object_close(&wb);
	CHECK_INT(json_write_end(&wa), 0);
	CHECK_INT(json_write_end(&wb), 0);
	CHECK_STR(a.data, b.data);
	CHECK_STR(a.data, "{\"\":1,\"valid_until\":null,\"a name longer than the forty-eight bytes taken in one piece\":true}");
	cv_buf_release(&a);
	cv_buf_release(&b);
	/* A name after a name: refused, nothing left written. */
	cv_buf_init(&a, 1 << 16);
	json_write_init(&wa, &a);
	json_write_object_open(&wa);
	json_write_key(&wa, "k");
	json_write_key(&wa, "k");
	CHECK_INT(json_write_end(&wa), -EINVAL);
	CHECK_INT((int)a.len, 0);
	cv_buf_release(&a);
}

TEST(integers_as_json_int_t)
{
	static const int64_t v[] = { 0, 1, -1, 9, 10, -10, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, INT64_MIN + 1 };

	for (size_t i = 0; i < CV_ELEMENTSOF(v) + 10000; i++) {
		int64_t x = i < CV_ELEMENTSOF(v) ? v[i] : (int64_t)(rng() >> (rng() % 64));
		/* Odd ones negated, in unsigned arithmetic: INT64_MIN stays itself. */
		int64_t y = i % 2 ? (int64_t)(UINT64_C(0) - (uint64_t)x) : x;
		json_t *j = json_pack("[I]", (json_int_t)y);
		char *want = json_dumps(j, FLAGS);
		struct cv_buf b;
		struct json_write w;

		cv_buf_init(&b, 64);
		json_write_init(&w, &b);
		json_write_array_open(&w);
		json_write_int(&w, y);
		json_write_array_close(&w);
		CHECK_INT(json_write_end(&w), 0);
		CHECK_STR(b.data, want);
		cv_buf_release(&b);
		free(want);
		json_decref(j);
	}
}

/* Objects and arrays, nested, empty and not, with every scalar. */
TEST(structure_as_jansson_dumps_it)
{
	json_t *j = json_pack("{s:[], s:{}, s:[i, s, n, b, b, {s:[[]]}], s:{s:n, s:[s]}, s:I}", "a", "o", "l", 1, "x/y",
			      1, 0, "k", "n", "n", "s", "\n", "i", (json_int_t)-5);
	char *want = json_dumps(j, FLAGS);
	struct cv_buf b;
	struct json_write w;

	cv_buf_init(&b, 1024);
	json_write_init(&w, &b);
	json_write_object_open(&w);
	json_write_key(&w, "a");
	json_write_array_open(&w);
	json_write_array_close(&w);
	json_write_key(&w, "o");
	json_write_object_open(&w);
	json_write_object_close(&w);
	json_write_key(&w, "l");
	json_write_array_open(&w);
	json_write_int(&w, 1);
	json_write_string(&w, "x/y");
	json_write_null(&w);
	json_write_bool(&w, true);
	json_write_bool(&w, false);
	json_write_object_open(&w);
	json_write_key(&w, "k");
	json_write_array_open(&w);
	json_write_array_open(&w);
	json_write_array_close(&w);
	json_write_array_close(&w);
	json_write_object_close(&w);
	json_write_array_close(&w);
	json_write_key(&w, "n");
	json_write_object_open(&w);
	json_write_key(&w, "n");
	json_write_string_or_null(&w, NULL);
	json_write_key(&w, "s");
	json_write_array_open(&w);
	json_write_string_or_null(&w, "\n");
	json_write_array_close(&w);
	json_write_object_close(&w);
	json_write_key(&w, "i");
	json_write_int(&w, -5);
	json_write_object_close(&w);
	CHECK_INT(json_write_end(&w), 0);
	CHECK_STR(b.data, want);
	cv_buf_release(&b);
	free(want);
	json_decref(j);
}

/* A dropped member or element leaves the text as jansson leaves a NULL
 * value out: no stray comma, the rest unchanged. */
TEST(drop_leaves_out_as_set_new_of_null)
{
	json_t *o = json_object(), *a = json_array();
	char *want;
	struct cv_buf b;
	struct json_write w;
	struct json_write_mark m;

	json_array_append_new(a, json_string("x"));
	json_array_append_new(a, json_string("\xff"));
	json_array_append_new(a, json_string("y"));
	json_object_set_new(o, "bad", json_pack("{s:s}", "k", "\xc0\x80"));
	json_object_set_new(o, "a", a);
	json_object_set_new(o, "bad2", json_string("\xed\xa0\x80"));
	want = json_dumps(o, FLAGS);

	cv_buf_init(&b, 1024);
	CHECK_INT(cv_buf_puts(&b, "prefix"), 0);
	json_write_init(&w, &b);
	json_write_object_open(&w);
	m = json_write_mark(&w);
	json_write_key(&w, "bad");
	json_write_object_open(&w);
	json_write_key(&w, "k");
	json_write_string(&w, "\xc0\x80");
	json_write_object_close(&w);
	CHECK(json_write_drop(&w, &m));
	json_write_key(&w, "a");
	json_write_array_open(&w);
	for (int i = 0; i < 3; i++) {
		m = json_write_mark(&w);
		json_write_string(&w, i == 0 ? "x" : i == 1 ? "\xff" : "y");
		CHECK(json_write_drop(&w, &m) == (i == 1));
	}
	json_write_array_close(&w);
	m = json_write_mark(&w);
	json_write_key(&w, "bad2");
	json_write_string(&w, "\xed\xa0\x80");
	CHECK(json_write_drop(&w, &m));
	json_write_object_close(&w);
	CHECK_INT(json_write_end(&w), 0);
	CHECK_STR(b.data + 6, want);
	CHECK(memcmp(b.data, "prefix", 6) == 0);

	/* A failure outside a mark is the whole text's: the buffer is cut back. */
	cv_buf_reset(&b);
	CHECK_INT(cv_buf_puts(&b, "prefix"), 0);
	json_write_init(&w, &b);
	json_write_object_open(&w);
	json_write_key(&w, "s");
	json_write_string(&w, "\xc3");
	m = json_write_mark(&w);
	json_write_key(&w, "t");
	json_write_string(&w, "\xc3");
	CHECK(!json_write_drop(&w, &m)); /* the error came before the mark */
	json_write_object_close(&w);
	CHECK_INT(json_write_end(&w), -EILSEQ);
	CHECK_STR(b.data, "prefix");

	/* The buffer's limit is an error no mark forgets. */
	cv_buf_release(&b);
	cv_buf_init(&b, 8);
	json_write_init(&w, &b);
	json_write_array_open(&w);
	m = json_write_mark(&w);
	json_write_string(&w, "too long a string");
	CHECK(!json_write_drop(&w, &m));
	json_write_array_close(&w);
	CHECK_INT(json_write_end(&w), -E2BIG);
	CHECK_INT(b.len, 0);

	/* Unbalanced containers are the caller's fault. */
	json_write_init(&w, &b);
	json_write_array_open(&w);
	CHECK_INT(json_write_end(&w), -EINVAL);
	json_write_init(&w, &b);
	json_write_array_close(&w);
	CHECK_INT(json_write_end(&w), -EINVAL);
	cv_buf_release(&b);
	free(want);
	json_decref(o);
}

TAP_MAIN(escapes_as_jansson_writes_them, every_short_string, random_strings, plain_runs_with_one_byte_anywhere,
	 literal_names_as_written_names, integers_as_json_int_t, structure_as_jansson_dumps_it,
	 drop_leaves_out_as_set_new_of_null)
