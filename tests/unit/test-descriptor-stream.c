/*
 * test-descriptor-stream.c - descriptor_parse() (the streaming reader)
 * against descriptor_from_json_tree() (jansson's tree, the reader it
 * replaced), over every descriptor the tree holds and over mutations of
 * them: both accept with the same descriptor, or both reject with the same
 * message (for a fault in the JSON itself, both say "invalid JSON at").
 *
 * The reference for what is valid is jansson 2.14's json_loadb() with
 * JSON_REJECT_DUPLICATES (src/load.c), and RFC 8259 / RFC 3629 for the
 * hand-written cases below, whose expected verdicts are stated, not
 * derived.  One difference is deliberate (util/json-pull.h): jansson skips
 * one raw NUL byte after a number or a literal; the streaming reader
 * rejects every raw NUL.  The reference is therefore given the text with
 * each NUL replaced by 0x01, which jansson rejects wherever it stands.
 */
#include <dirent.h>
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "util/json-pull.h"
#include "probe-fixture.h"
#include "seed-catalog.h"
#include "tap.h"

static unsigned long long compared, accepted;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return tap_xorshift64(&rng_state);
}

/* Both readers on text; a failure names the case and shows the text's start. */
static void agree_flags(const char *what, const char *text, size_t len, unsigned flags)
{
	struct descriptor *a = NULL, *b = NULL;
	char *ea = NULL, *eb = NULL, *ref = cv_xmalloc(len + 1);
	int ra, rb;

	memcpy(ref, text, len);
	for (size_t i = 0; i < len; i++)
		if (ref[i] == '\0')
			ref[i] = '\x01';
	ra = descriptor_from_json_tree(ref, len, flags, &a, &ea);
	rb = descriptor_parse(text, len, flags, &b, &eb);
	compared++;
	if (ra != rb) {
		tap_fail(__FILE__, __LINE__, "%s (flags %u, %zu bytes): tree %d (%s), stream %d (%s); text: %.200s", what,
			 flags, len, ra, ea ? ea : "-", rb, eb ? eb : "-", text);
	} else if (ra == 0) {
		char *ja = descriptor_to_json(a, false), *jb = descriptor_to_json(b, false);

		accepted++;
		if (strcmp(ja, jb) != 0)
			tap_fail(__FILE__, __LINE__, "%s (flags %u): descriptors differ:\n%s\n%s", what, flags, ja, jb);
		free(ja);
		free(jb);
	} else if (!ea || !eb) {
		tap_fail(__FILE__, __LINE__, "%s: an error without a message", what);
	} else if (cv_startswith(ea, "invalid JSON at ") ? !cv_startswith(eb, "invalid JSON at ") : strcmp(ea, eb) != 0) {
		tap_fail(__FILE__, __LINE__, "%s (flags %u): messages differ: tree '%s', stream '%s'; text: %.300s", what,
			 flags, ea, eb, text);
	}
	descriptor_free(a);
	descriptor_free(b);
	free(ea);
	free(eb);
	free(ref);
}

static void agree(const char *what, const char *text, size_t len)
{
	agree_flags(what, text, len, 0);
	agree_flags(what, text, len, DESCRIPTOR_PARSE_STRICT);
	agree_flags(what, text, len, DESCRIPTOR_PARSE_NO_EVIDENCE);
	agree_flags(what, text, len, DESCRIPTOR_PARSE_MATCH_ONLY);
	agree_flags(what, text, len, DESCRIPTOR_PARSE_ANSWER | DESCRIPTOR_PARSE_STRICT);
	agree_flags(what, text, len, DESCRIPTOR_PARSE_ANSWER | DESCRIPTOR_PARSE_MATCH_ONLY);
}

static void agree_str(const char *what, const char *text)
{
	agree(what, text, strlen(text));
}

/* ---- the corpus: every descriptor the tree holds ---- */

struct corpus {
	char **v;
	size_t n;
};

static void corpus_add(struct corpus *c, char *text)
{
	c->v = cv_xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = text;
}

/* What the probe says of each fixture (tests/fixtures/<name>/root), compact and pretty. */
static void corpus_fixtures(struct corpus *c, size_t max)
{
	size_t n;
	char **names = probe_fixture_names(&n);

	for (size_t i = 0; i < n; i++) {
		if (i < max) {
			struct descriptor *d = probe_fixture(names[i]);

			if (d) {
				corpus_add(c, descriptor_to_json(d, false));
				corpus_add(c, descriptor_to_json(d, true));
				descriptor_free(d);
			}
		}
		free(names[i]);
	}
	free(names);
}

static void corpus_release(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
}

TEST(every_fixture_descriptor)
{
	struct corpus c = { NULL, 0 };

	corpus_fixtures(&c, SIZE_MAX);
	CHECK(c.n >= 120);
	for (size_t i = 0; i < c.n; i++)
		agree("fixture", c.v[i], strlen(c.v[i]));
	/* Every one is a valid descriptor: both accepted all of them. */
	CHECK_INT(accepted, compared);
	corpus_release(&c);
	printf("%llu texts compared, %llu accepted\n", compared, accepted);
}

/* Every JSON file and JSON Lines line in the tree (tests/, data/,
 * fuzz/seeds/): most are not descriptors, which both must say alike. */
static void walk_json(const char *dir, int depth)
{
	DIR *dh = opendir(dir);
	struct dirent *de;

	if (!dh || depth > 8) {
		if (dh)
			closedir(dh);
		return;
	}
	while ((de = readdir(dh))) {
		char *path, *text = NULL;
		size_t len;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "node_modules") == 0)
			continue;
		path = cv_xasprintf("%s/%s", dir, de->d_name);
		if (cv_endswith(de->d_name, ".json") && cv_read_file(path, 2 << 20, &text, &len) == 0) {
			agree(path, text, len);
		} else if (cv_endswith(de->d_name, ".jsonl") && cv_read_file(path, 4 << 20, &text, &len) == 0) {
			for (char *l = text, *e; l < text + len; l = e + 1) {
				e = memchr(l, '\n', (size_t)(text + len - l));
				if (!e)
					e = text + len;
				agree(path, l, (size_t)(e - l));
			}
		} else if (!strchr(de->d_name, '.')) {
			walk_json(path, depth + 1);
		}
		free(text);
		free(path);
	}
	closedir(dh);
}

TEST(every_json_file_in_the_tree)
{
	static const char *const dirs[] = { "tests", "data", "fuzz/seeds" };

	for (size_t i = 0; i < CV_ELEMENTSOF(dirs); i++) {
		char *d = cv_xasprintf("%s/%s", tap_srcdir(), dirs[i]);

		walk_json(d, 0);
		free(d);
	}
	CHECK(compared > 100);
	printf("%llu texts compared, %llu accepted\n", compared, accepted);
}

/* ---- byte-level mutations ---- */

TEST(truncated_at_every_byte)
{
	struct corpus c = { NULL, 0 };

	/* Every byte of the compact forms, every fifth of the pretty ones
	 * (within the runner's time limit under the sanitizers). */
	corpus_fixtures(&c, 2);
	for (size_t i = 0; i < c.n; i++) {
		size_t len = strlen(c.v[i]);

		for (size_t k = 0; k <= len; k += i % 2 ? 5 : 1) {
			agree_flags("truncated", c.v[i], k, 0);
			if (k % 11 == 0)
				agree_flags("truncated", c.v[i], k, DESCRIPTOR_PARSE_STRICT);
		}
	}
	CHECK(accepted > 0 && accepted < compared);
	corpus_release(&c);
	printf("%llu texts compared, %llu accepted\n", compared, accepted);
}

TEST(bytes_flipped_inserted_deleted)
{
	static const char bytes[] = { '\0', '\x01', '\x1f', '\x7f', '"', '\\', ',', ':', '{', '}', '[', ']', '0', '-',
				      '.', 'e', 'x', ' ', '\n', 't', 'n', '/', 'u', (char)0x80, (char)0xbf, (char)0xc0,
				      (char)0xc3, (char)0xe0, (char)0xed, (char)0xf0, (char)0xf4, (char)0xf5, (char)0xff };
	struct corpus c = { NULL, 0 };

	corpus_fixtures(&c, 5);
	for (size_t i = 0; i < c.n; i++) {
		size_t len = strlen(c.v[i]);
		char *m = cv_xmalloc(2 * len + 16);

		for (int round = 0; round < 800; round++) {
			size_t at = (size_t)(rng() % len), n = len, from, span;
			int op = (int)(rng() % 4);

			memcpy(m, c.v[i], len);
			switch (op) {
			case 0: /* replace */
				m[at] = bytes[rng() % sizeof(bytes)];
				break;
			case 1: /* insert */
				memmove(m + at + 1, m + at, len - at);
				m[at] = bytes[rng() % sizeof(bytes)];
				n++;
				break;
			case 2: /* delete */
				memmove(m + at, m + at + 1, len - at - 1);
				n--;
				break;
			default: /* a copy of a span inserted: duplicate keys, members and items */
				from = (size_t)(rng() % len);
				span = 1 + (size_t)(rng() % 80);
				if (from + span > len)
					span = len - from;
				memmove(m + at + span, m + at, len - at);
				memcpy(m + at, c.v[i] + from, span);
				n += span;
				break;
			}
			agree_flags("mutated", m, n, round % 3 == 0 ? DESCRIPTOR_PARSE_STRICT : 0);
		}
		free(m);
	}
	CHECK(accepted > 0 && accepted < compared);
	corpus_release(&c);
	printf("%llu texts compared, %llu accepted\n", compared, accepted);
}

/* ---- type and field mutations, through jansson ---- */

static const char *const field_paths[] = {
	"schema", "probed_at", "root", "notes", "hypervisor", "hypervisor.id", "hypervisor.product",
	"hypervisor.version", "hypervisor.version_source", "hypervisor.build", "hypervisor.cloud",
	"hypervisor.nested", "hypervisor.features", "hypervisor.evidence", "hypervisor.evidence.0",
	"hypervisor.evidence.0.source", "hypervisor.evidence.0.suggests", "hypervisor.conflicts",
	"hypervisor.conflicts.0", "hypervisor.conflicts.0.sources", "hypervisor.conflicts.0.suggests",
	"hypervisor.conflicts.0.followed", "hypervisor.conflicts.0.why", "container", "container.id",
	"container.evidence", "container.evidence.0", "guest", "guest.os", "guest.os.id", "guest.os.version",
	"guest.os.name", "guest.os.pretty", "guest.os.osinfo", "guest.os.source", "guest.os.service_pack",
	"guest.os.edition", "guest.kernel", "guest.arch", "vm", "vm.vcpus", "vm.vcpus_possible", "vm.memory_mib",
	"vm.firmware", "vm.disks", "vm.disks.0", "vm.disks.0.name", "vm.disks.0.model", "vm.nics", "vm.nics.0",
	"vm.nics.0.driver", "vm.nics.0.bus", "integration", "integration.expected", "integration.present",
	"integration.missing", "integration.recommended", "integration.recommended_missing", "integration.unbound",
	"integration.evidence", "integration.evidence.0", "integration.evidence.0.value", "integration.evidence.0.meaning",
	"notes.0", "hypervisor.features.0", "integration.present.0",
};

static const char *const values[] = {
	"null", "true", "false", "0", "-0", "-1", "1", "1048576", "1048577", "1099511627776", "1099511627777",
	"9223372036854775807", "-9223372036854775808", "1.5", "1e2", "1.0", "\"s\"", "\"\"", "\"covalid.descriptor/9\"",
	"\"covalid.descriptor\"", "\"\\u00e9\\ud83d\\ude00\"", "[]", "[\"s\"]", "[1]", "[null]", "[{}]", "[[]]",
	"[{\"source\": 1}]", "[{\"sources\": [1]}]", "[{\"name\": \"a\", \"extra\": [1, {\"x\": null}]}]", "{}",
	"{\"a\": 1}", "{\"id\": 3}", "{\"source\": \"s\", \"value\": 2}", "{\"sources\": \"x\"}",
	"{\"os\": {\"colour\": 1}}",
};

/* Sets the value at a dotted path ("a.b.0.c": 0 is an array's first item, made when missing). */
static void set_path(json_t *root, const char *path, json_t *v)
{
	char *p = cv_xstrdup(path), *save = NULL, *tok, *next;
	json_t *o = root;

	for (tok = strtok_r(p, ".", &save); tok; tok = next) {
		bool last;
		json_t *child;

		next = strtok_r(NULL, ".", &save);
		last = next == NULL;
		if (json_is_array(o)) {
			if (json_array_size(o) == 0)
				json_array_append_new(o, next && !(next[0] >= '0' && next[0] <= '9') ? json_object() : json_array());
			if (last) {
				json_array_set(o, 0, v);
				break;
			}
			o = json_array_get(o, 0);
			continue;
		}
		if (!json_is_object(o))
			break;
		if (last) {
			json_object_set(o, tok, v);
			break;
		}
		child = json_object_get(o, tok);
		if (!child || !(json_is_object(child) || json_is_array(child))) {
			child = next[0] >= '0' && next[0] <= '9' ? json_array() : json_object();
			json_object_set_new(o, tok, child);
		}
		o = child;
	}
	free(p);
}

/* flags: 0, 1 or 2 for one of agree()'s three, 3 for all. */
static void agree_tree(const char *what, json_t *j, int flags)
{
	static const unsigned f[] = { 0, DESCRIPTOR_PARSE_STRICT, DESCRIPTOR_PARSE_NO_EVIDENCE };
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (flags == 3)
		agree(what, s, strlen(s));
	else
		agree_flags(what, s, strlen(s), f[flags]);
	free(s);
}

TEST(every_field_given_every_type)
{
	struct corpus c = { NULL, 0 };

	corpus_fixtures(&c, 2);
	for (size_t i = 0; i < c.n; i += 2) {
		for (size_t f = 0; f < CV_ELEMENTSOF(field_paths); f++) {
			for (size_t k = 0; k < CV_ELEMENTSOF(values); k++) {
				json_t *j = json_loads(c.v[i], 0, NULL), *v = json_loads(values[k], JSON_DECODE_ANY, NULL);
				char what[160];

				CHECK(j && v);
				snprintf(what, sizeof(what), "%s = %s", field_paths[f], values[k]);
				set_path(j, field_paths[f], v);
				agree_tree(what, j, (f + k) % 3);
				json_decref(v);
				json_decref(j);
			}
		}
	}
	CHECK(accepted > 0 && accepted < compared);
	corpus_release(&c);
	printf("%llu texts compared, %llu accepted\n", compared, accepted);
}

/* Several faults at once: the same one is reported first (the tree
 * reader's order, not the text's). */
TEST(several_faults_the_same_first)
{
	struct corpus c = { NULL, 0 };
	static const char *const unknown[] = { "colour", "hypervisor.colour", "container.x", "guest.y", "guest.os.z",
					       "vm.w", "integration.v", "hypervisor.evidence.0.extra", "a\\u0001b" };

	corpus_fixtures(&c, 4);
	for (int round = 0; round < 1500; round++) {
		json_t *j = json_loads(c.v[2 * (rng() % (c.n / 2))], 0, NULL);
		int faults = 2 + (int)(rng() % 3);

		CHECK(j != NULL);
		for (int k = 0; k < faults; k++) {
			json_t *v = json_loads(values[rng() % CV_ELEMENTSOF(values)], JSON_DECODE_ANY, NULL);

			if (rng() % 4 == 0)
				set_path(j, unknown[rng() % CV_ELEMENTSOF(unknown)], v);
			else
				set_path(j, field_paths[rng() % CV_ELEMENTSOF(field_paths)], v);
			json_decref(v);
		}
		agree_tree("several faults", j, round % 2);
		json_decref(j);
	}
	corpus_release(&c);
	printf("%llu texts compared, %llu accepted\n", compared, accepted);
}

/* ---- hand-written cases, with their verdicts stated ---- */

/* One text, both readers, and the stated verdict (1 accept, 0 reject). */
static void expect(const char *text, size_t len, int accept, const char *want_in_error)
{
	struct descriptor *d = NULL;
	char *err = NULL;
	int r;

	agree(text, text, len);
	r = descriptor_parse(text, len, 0, &d, &err);
	if ((r == 0) != accept)
		tap_fail(__FILE__, __LINE__, "%.100s: %s, expected %s (%s)", text, r == 0 ? "accepted" : "rejected",
			 accept ? "accepted" : "rejected", err ? err : "");
	if (!accept && want_in_error && (!err || !strstr(err, want_in_error)))
		tap_fail(__FILE__, __LINE__, "%.100s: error '%s' does not mention '%s'", text, err ? err : "", want_in_error);
	descriptor_free(d);
	free(err);
}

#define EXPECT(lit, accept, want) expect(lit, sizeof(lit) - 1, accept, want)

TEST(strict_json_rfc8259)
{
	/* Grammar (RFC 8259 sections 2-7). */
	EXPECT("{}", 1, NULL);
	EXPECT(" \t\r\n{ } \n", 1, NULL);
	EXPECT("", 0, "invalid JSON");
	EXPECT("   ", 0, "invalid JSON");
	EXPECT("{} {}", 0, "end of file expected");
	EXPECT("{}x", 0, "invalid JSON");
	EXPECT("\"a\"", 0, "'[' or '{' expected");
	EXPECT("1", 0, "invalid JSON");
	EXPECT("[]", 0, "descriptor: expected a JSON object");
	EXPECT("[1, 2,]", 0, "invalid JSON");
	EXPECT("{\"x\": 1,}", 0, "invalid JSON");
	EXPECT("{\"x\" 1}", 0, "':' expected");
	EXPECT("{'x': 1}", 0, "invalid JSON");
	EXPECT("{\"x\": 1 /* c */}", 0, "invalid JSON");
	EXPECT("{\"x\": [1 2]}", 0, "']' expected");
	EXPECT("{\"x\": 1 \"y\": 2}", 0, "'}' expected");
	EXPECT("{,}", 0, "invalid JSON");
	EXPECT("{\"x\": \v1}", 0, "invalid JSON");          /* VT is not JSON whitespace */
	EXPECT("{\"x\": \xc2\xa0" "1}", 0, "invalid JSON"); /* nor is NBSP */
	/* Literals. */
	EXPECT("{\"x\": [true, false, null]}", 1, NULL);
	EXPECT("{\"x\": True}", 0, "invalid JSON");
	EXPECT("{\"x\": nul}", 0, "invalid JSON");
	EXPECT("{\"x\": nullx}", 0, "invalid JSON");
	EXPECT("{\"x\": NaN}", 0, "invalid JSON");
	EXPECT("{\"x\": Infinity}", 0, "invalid JSON");
	EXPECT("{\"x\": -Infinity}", 0, "invalid JSON");
	/* Numbers (section 6). */
	EXPECT("{\"x\": [0, -0, 1, -1, 10, 0.5, -0.5, 1e5, 1E+5, 1e-5, 0e0, 123.456e-7]}", 1, NULL);
	EXPECT("{\"x\": 01}", 0, "invalid JSON");
	EXPECT("{\"x\": -01}", 0, "invalid JSON");
	EXPECT("{\"x\": 00}", 0, "invalid JSON");
	EXPECT("{\"x\": +1}", 0, "invalid JSON");
	EXPECT("{\"x\": .5}", 0, "invalid JSON");
	EXPECT("{\"x\": 1.}", 0, "invalid JSON");
	EXPECT("{\"x\": 1.e5}", 0, "invalid JSON");
	EXPECT("{\"x\": 1e}", 0, "invalid JSON");
	EXPECT("{\"x\": 1e+}", 0, "invalid JSON");
	EXPECT("{\"x\": -}", 0, "invalid JSON");
	EXPECT("{\"x\": 0x10}", 0, "invalid JSON");
	/* int64 exactly (jansson: strtoll, ERANGE is an error). */
	EXPECT("{\"x\": 9223372036854775807}", 1, NULL);
	EXPECT("{\"x\": -9223372036854775808}", 1, NULL);
	EXPECT("{\"x\": 9223372036854775808}", 0, "too big integer");
	EXPECT("{\"x\": -9223372036854775809}", 0, "too big negative integer");
	EXPECT("{\"x\": 99999999999999999999999999999}", 0, "too big integer");
	/* Reals: overflow to infinity is an error, underflow reads as 0. */
	EXPECT("{\"x\": 1.7976931348623157e308}", 1, NULL);
	EXPECT("{\"x\": 1e309}", 0, "real number overflow");
	EXPECT("{\"x\": -1e309}", 0, "real number overflow");
	EXPECT("{\"x\": 1e-400}", 1, NULL);
	EXPECT("{\"x\": 9223372036854775808.0}", 1, NULL);
	/* Integers where the descriptor wants them. */
	EXPECT("{\"vm\": {\"vcpus\": 1048576, \"memory_mib\": 1099511627776}}", 1, NULL);
	EXPECT("{\"vm\": {\"vcpus\": 1048577}}", 0, ".vm.vcpus: expected an integer in range");
	EXPECT("{\"vm\": {\"vcpus\": 2.0}}", 0, ".vm.vcpus: expected an integer in range");
	EXPECT("{\"vm\": {\"vcpus\": -0}}", 1, NULL);
	EXPECT("{\"vm\": {\"memory_mib\": 1099511627777}}", 0, ".vm.memory_mib");
	EXPECT("{\"vm\": {\"memory_mib\": 9223372036854775808}}", 0, "too big integer");
}

TEST(strict_strings_utf8_and_escapes)
{
	EXPECT("{\"x\": \"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"}", 1, NULL);
	EXPECT("{\"x\": \"\\a\"}", 0, "invalid escape");
	EXPECT("{\"x\": \"\\x41\"}", 0, "invalid escape");
	EXPECT("{\"x\": \"\\u12\"}", 0, "invalid escape");
	EXPECT("{\"x\": \"\\u12G4\"}", 0, "invalid escape");
	EXPECT("{\"x\": \"\\U0041\"}", 0, "invalid escape");
	EXPECT("{\"x\": \"\\u0041\\u00e9\\u20ac\\uFFFF\"}", 1, NULL);
	EXPECT("{\"x\": \"\\u0000\"}", 0, "invalid JSON");
	EXPECT("{\"\\u0000\": 1}", 0, "NUL byte in object key");
	/* Surrogates (RFC 8259 section 7): a pair is one character; alone, an error. */
	EXPECT("{\"x\": \"\\ud83d\\ude00\"}", 1, NULL);
	EXPECT("{\"x\": \"\\uD800\\uDC00\\uDBFF\\uDFFF\"}", 1, NULL);
	EXPECT("{\"x\": \"\\ud83d\"}", 0, "invalid Unicode");
	EXPECT("{\"x\": \"\\ud83dx\"}", 0, "invalid Unicode");
	EXPECT("{\"x\": \"\\ud83d\\n\"}", 0, "invalid Unicode");
	EXPECT("{\"x\": \"\\ud83d\\u0041\"}", 0, "invalid Unicode");
	EXPECT("{\"x\": \"\\ud83d\\ud83d\"}", 0, "invalid Unicode");
	EXPECT("{\"x\": \"\\ude00\"}", 0, "invalid Unicode");
	EXPECT("{\"x\": \"\\ude00\\ud83d\"}", 0, "invalid Unicode");
	/* Raw control characters (U+0000..U+001F) must be escaped; DEL need not. */
	EXPECT("{\"x\": \"a\tb\"}", 0, "control character 0x9");
	EXPECT("{\"x\": \"a\nb\"}", 0, "unexpected newline");
	EXPECT("{\"x\": \"a\x1f" "b\"}", 0, "control character 0x1f");
	EXPECT("{\"x\": \"a\x7f" "b\"}", 1, NULL);
	EXPECT("{\"x\": \"a\0b\"}", 0, "control character 0x0");
	/* UTF-8 (RFC 3629 section 4). */
	EXPECT("{\"x\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbf\"}", 1, NULL);
	EXPECT("{\"x\": \"\xff\"}", 0, "unable to decode byte 0xff");
	EXPECT("{\"x\": \"\x80\"}", 0, "unable to decode byte 0x80");
	EXPECT("{\"x\": \"\xc0\xaf\"}", 0, "unable to decode");     /* overlong '/' */
	EXPECT("{\"x\": \"\xc1\xbf\"}", 0, "unable to decode");     /* overlong */
	EXPECT("{\"x\": \"\xe0\x80\xaf\"}", 0, "unable to decode"); /* overlong, 3 bytes */
	EXPECT("{\"x\": \"\xf0\x80\x80\xaf\"}", 0, "unable to decode");
	EXPECT("{\"x\": \"\xed\xa0\x80\"}", 0, "unable to decode"); /* U+D800 encoded */
	EXPECT("{\"x\": \"\xed\xbf\xbf\"}", 0, "unable to decode"); /* U+DFFF encoded */
	EXPECT("{\"x\": \"\xf4\x90\x80\x80\"}", 0, "unable to decode"); /* above U+10FFFF */
	EXPECT("{\"x\": \"\xf5\x80\x80\x80\"}", 0, "unable to decode");
	EXPECT("{\"x\": \"\xc3\"}", 0, "unable to decode");         /* truncated */
	EXPECT("{\"x\": \"\xe2\x82\"}", 0, "unable to decode");
	EXPECT("{\"x\": \"\xc3", 0, "invalid JSON");
	EXPECT("{\"\xc3\xa9\": \"\xc3\xa9\"}", 1, NULL);
	EXPECT("{\"\xff\": 1}", 0, "unable to decode");
	EXPECT("{\"x\": \"abc", 0, "premature end of input");
	EXPECT("{\"x\": \"abc\\", 0, "invalid JSON");
	EXPECT("{\"x\": \"abc\\u00", 0, "invalid JSON");
}

TEST(raw_nul_rejected_everywhere)
{
	/* The deliberate difference from jansson: one NUL after a number or
	 * a literal.  jansson 2.14 accepts these (checked here, so that a
	 * jansson that stops doing so is noticed); the stream rejects them. */
	static const char *const texts[] = { "{\"x\": 1\0}", "{\"x\": true\0}", "{\"x\": [null\0]}" };
	static const size_t lens[] = { 9, 12, 14 };

	for (size_t i = 0; i < CV_ELEMENTSOF(texts); i++) {
		json_t *j = json_loadb(texts[i], lens[i], JSON_REJECT_DUPLICATES, NULL);
		struct descriptor *d = NULL;
		char *err = NULL;

		CHECK(j != NULL);
		json_decref(j);
		CHECK_INT(descriptor_parse(texts[i], lens[i], 0, &d, &err), -EINVAL);
		CHECK(err && strstr(err, "invalid JSON"));
		free(err);
		agree(texts[i], texts[i], lens[i]);
	}
	EXPECT("{\"x\": 1}\0", 0, "invalid JSON");
	EXPECT("\0{}", 0, "invalid JSON");
	EXPECT("{\0}", 0, "invalid JSON");
}

TEST(duplicate_keys_at_every_level)
{
	static const char *const texts[] = {
		"{\"hypervisor\": {}, \"hypervisor\": {}}",
		"{\"colour\": 1, \"colour\": 2}",
		"{\"hypervisor\": {\"id\": \"kvm\", \"id\": \"kvm\"}}",
		"{\"guest\": {\"os\": {\"id\": \"a\", \"name\": \"b\", \"id\": \"c\"}}}",
		"{\"hypervisor\": {\"evidence\": [{\"source\": \"a\", \"source\": \"b\"}]}}",
		"{\"vm\": {\"disks\": [{}, {\"x\": 1, \"x\": 1}]}}",
		"{\"future\": {\"a\": {\"b\": [{\"c\": 1, \"c\": 1}]}}}",
		"{\"a\": 1, \"\\u0061\": 2}",
		"{\"\\u00e9\": 1, \"\xc3\xa9\": 2}",
		"{\"\\ud83d\\ude00\": 1, \"\xf0\x9f\x98\x80\": 2}",
	};
	/* Equal names in different objects are not duplicates. */
	EXPECT("{\"id\": {\"id\": {\"id\": 1}}, \"x\": {\"id\": 2}, \"y\": [{\"id\": 1}, {\"id\": 1}]}", 1, NULL);
	EXPECT("{\"a\": 1, \"A\": 2, \"a \": 3, \"\\u0062\": 4}", 1, NULL);
	for (size_t i = 0; i < CV_ELEMENTSOF(texts); i++)
		expect(texts[i], strlen(texts[i]), 0, "duplicate object key");
}

/* An object of many keys: the duplicate check must not be quadratic, and
 * must still find the duplicate among them. */
TEST(duplicate_keys_in_a_big_object)
{
	struct cv_buf b;
	uint64_t t0;

	cv_buf_init(&b, DESCRIPTOR_MAX_BYTES);
	CHECK_INT(cv_buf_puts(&b, "{\"future\": {"), 0);
	for (int i = 0; i < 60000; i++)
		CHECK_INT(cv_buf_printf(&b, "%s\"k%d\":0", i ? "," : "", i), 0);
	CHECK_INT(cv_buf_puts(&b, "}}"), 0);
	expect(b.data, b.len, 1, NULL);
	{
		struct descriptor *d = NULL;
		char *err = NULL;

		/* Generous (sanitizers, a shared machine): quadratic takes minutes. */
		t0 = cv_now_ns();
		CHECK_INT(descriptor_parse(b.data, b.len, 0, &d, &err), 0);
		CHECK(cv_now_ns() - t0 < UINT64_C(10) * 1000 * 1000 * 1000);
		descriptor_free(d);
		free(err);
	}
	b.len -= 2;
	CHECK_INT(cv_buf_puts(&b, ",\"k31337\":1}}"), 0);
	expect(b.data, b.len, 0, "duplicate object key");
	cv_buf_release(&b);
}

static char *nested(size_t depth, const char *open, const char *inner, const char *close, const char *prefix,
		    const char *suffix)
{
	struct cv_buf b;

	cv_buf_init(&b, DESCRIPTOR_MAX_BYTES);
	CHECK_INT(cv_buf_puts(&b, prefix), 0);
	for (size_t i = 0; i < depth; i++)
		CHECK_INT(cv_buf_puts(&b, open), 0);
	CHECK_INT(cv_buf_puts(&b, inner), 0);
	for (size_t i = 0; i < depth; i++)
		CHECK_INT(cv_buf_puts(&b, close), 0);
	CHECK_INT(cv_buf_puts(&b, suffix), 0);
	return cv_buf_detach(&b, NULL);
}

TEST(depth_limit_as_jansson)
{
	/* jansson counts values: the outermost is at 1, at most 2048. */
	for (size_t depth = 2040; depth <= 2052; depth++) {
		char *a = nested(depth, "[", "", "]", "{\"x\": ", "}");
		char *s = nested(depth, "[", "1", "]", "{\"x\": ", "}");
		char *o = nested(depth, "{\"a\":", "{}", "}", "{\"x\": ", "}");
		char *top = nested(depth, "[", "", "]", "", "");

		agree("deep arrays", a, strlen(a));
		agree("deep arrays with a scalar", s, strlen(s));
		agree("deep objects", o, strlen(o));
		agree("deep top-level arrays", top, strlen(top));
		free(a);
		free(s);
		free(o);
		free(top);
	}
	{
		/* Stated: 2047 arrays inside the root object put the innermost at 2048. */
		char *ok = nested(2047, "[", "", "]", "{\"x\": ", "}"), *deep = nested(2048, "[", "", "]", "{\"x\": ", "}");

		expect(ok, strlen(ok), 1, NULL);
		expect(deep, strlen(deep), 0, "maximum parsing depth");
		free(ok);
		free(deep);
	}
	{
		char *huge = nested(300000, "[", "", "]", "{\"x\": ", "}");

		expect(huge, strlen(huge), 0, "maximum parsing depth");
		free(huge);
	}
}

TEST(sizes_and_items)
{
	struct cv_buf b;
	static const char *const arrays[][2] = {
		{ "{\"integration\": {\"present\": [", "\"x\"" },
		{ "{\"notes\": [", "\"x\"" },
		{ "{\"hypervisor\": {\"evidence\": [", "{}" },
		{ "{\"vm\": {\"nics\": [", "{\"name\": \"e\"}" },
		{ "{\"hypervisor\": {\"conflicts\": [", "{}" },
		{ "{\"hypervisor\": {\"conflicts\": [{\"sources\": [", "\"s\"" },
		{ "{\"future\": [", "1" },
	};

	for (size_t a = 0; a < CV_ELEMENTSOF(arrays); a++) {
		for (int n = DESCRIPTOR_MAX_ITEMS - 1; n <= DESCRIPTOR_MAX_ITEMS + 2; n++) {
			cv_buf_init(&b, DESCRIPTOR_MAX_BYTES + 64);
			CHECK_INT(cv_buf_puts(&b, arrays[a][0]), 0);
			for (int i = 0; i < n; i++)
				CHECK_INT(cv_buf_printf(&b, "%s%s", i ? "," : "", arrays[a][1]), 0);
			/* An element of the wrong type after the limit and before it. */
			CHECK_INT(cv_buf_puts(&b, ", 7]"), 0);
			for (const char *c = arrays[a][0]; *c; c++)
				if (*c == '{')
					CHECK_INT(cv_buf_puts(&b, "}"), 0);
			agree("items", b.data, b.len);
			cv_buf_release(&b);
		}
	}
	{
		size_t n = DESCRIPTOR_MAX_BYTES + 1;
		char *big = cv_xmalloc(n);
		struct descriptor *d = NULL;
		char *err = NULL;

		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		CHECK_INT(descriptor_parse(big, n, 0, &d, &err), -EINVAL);
		CHECK(err && strcmp(err, "descriptor larger than 1 MiB") == 0);
		free(err);
		agree("1 MiB + 1", big, n);
		agree("1 MiB", big + 1, n - 1);
		free(big);
	}
}

TEST(unknown_fields_strict_and_tolerant)
{
	static const char *const texts[] = {
		"{\"colour\": 1}",
		"{\"hypervisor\": {\"id\": \"kvm\", \"colour\": [1, {\"a\": 2}]}}",
		"{\"guest\": {\"os\": {\"colour\": null}}}",
		"{\"guest\": 5, \"colour\": 1}",
		"{\"vm\": {\"x\": 1}, \"hypervisor\": {\"y\": 2}}",
		"{\"vm\": {\"vcpus\": \"x\"}, \"hypervisor\": {\"y\": 2}}",
		"{\"\\u001b[31mred\": 1}",
		"{\"hypervisor\": {\"evidence\": [{\"source\": \"s\", \"extra\": 1}]}}",
		"{\"host_version\": \"5.4\"}",
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(texts); i++)
		agree_str(texts[i], texts[i]);
	{
		struct descriptor *d = NULL;
		char *err = NULL;

		CHECK_INT(descriptor_parse(texts[1], strlen(texts[1]), DESCRIPTOR_PARSE_STRICT, &d, &err), -EINVAL);
		CHECK_STR(err, ".hypervisor.colour: unknown field");
		free(err);
		err = NULL;
		CHECK_INT(descriptor_parse(texts[1], strlen(texts[1]), 0, &d, &err), 0);
		CHECK(d && strcmp(d->hypervisor.id, "kvm") == 0);
		d = descriptor_free(d);
		/* The tree reader's order: unknown fields before types. */
		CHECK_INT(descriptor_parse(texts[5], strlen(texts[5]), DESCRIPTOR_PARSE_STRICT, &d, &err), -EINVAL);
		CHECK_STR(err, ".hypervisor.y: unknown field");
		free(err);
		err = NULL;
		CHECK_INT(descriptor_parse(texts[5], strlen(texts[5]), 0, &d, &err), -EINVAL);
		CHECK_STR(err, ".vm.vcpus: expected an integer in range");
		free(err);
	}
}

TEST(no_evidence_keeps_the_rest)
{
	struct descriptor *d = probe_fixture("hyperv2008-rhel53"), *a = NULL, *b = NULL;
	char *s, *err = NULL, *ja, *jb;

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(d->hypervisor.evidence.n > 0);
	s = descriptor_to_json(d, false);
	CHECK_INT(descriptor_parse(s, strlen(s), DESCRIPTOR_PARSE_NO_EVIDENCE, &a, &err), 0);
	CHECK_INT(descriptor_parse(s, strlen(s), 0, &b, &err), 0);
	if (a && b) {
		CHECK_INT((int)a->hypervisor.evidence.n, 0);
		CHECK_INT((int)a->integration.evidence.n, 0);
		evidence_list_release(&b->hypervisor.evidence);
		evidence_list_release(&b->container.evidence);
		evidence_list_release(&b->integration.evidence);
		ja = descriptor_to_json(a, false);
		jb = descriptor_to_json(b, false);
		CHECK_STR(ja, jb);
		free(ja);
		free(jb);
	}
	descriptor_free(a);
	descriptor_free(b);
	descriptor_free(d);
	free(s);
	free(err);
}

/*
 * DESCRIPTOR_PARSE_MATCH_ONLY builds what matching reads: for every fixture
 * machine, against the seed catalog's index, the key is the one the full
 * descriptor gives (so a field check_key_from_descriptor() starts reading
 * must be built under this flag too, or this fails), and the lists and
 * strings it leaves out are empty.
 */
TEST(match_only_gives_the_same_key)
{
	struct catalog *cat = seed_catalog(false);
	struct check_index *ix = NULL;
	struct corpus c = { NULL, 0 };
	size_t keys = 0;

	CHECK_INT(check_index_build(cat, &ix), 0);
	corpus_fixtures(&c, SIZE_MAX);
	for (size_t i = 0; ix && i < c.n; i++) {
		struct descriptor *a = NULL, *b = NULL;
		struct check_key ka, kb;

		if (descriptor_parse(c.v[i], strlen(c.v[i]), 0, &a, NULL) == 0 &&
		    descriptor_parse(c.v[i], strlen(c.v[i]), DESCRIPTOR_PARSE_MATCH_ONLY, &b, NULL) == 0) {
			check_key_from_descriptor(ix, a, &ka);
			check_key_from_descriptor(ix, b, &kb);
			if (memcmp(&ka, &kb, sizeof(ka)) != 0)
				tap_fail(__FILE__, __LINE__, "fixture %zu: the keys differ", i);
			CHECK_INT((int)(b->hypervisor.features.n + b->notes.n + b->vm.disks.n + b->vm.nics.n +
					b->integration.expected.n + b->hypervisor.evidence.n + b->hypervisor.conflicts.n),
				  0);
			CHECK_INT((int)b->integration.present.n, (int)a->integration.present.n);
			/* Strings matching does not read are not built either. */
			CHECK(!b->probed_at && !b->guest.kernel && !b->guest.os.name && !b->guest.os.pretty &&
			      !b->guest.os.osinfo && !b->container.id);
			keys++;
		} else {
			tap_fail(__FILE__, __LINE__, "fixture %zu: not read", i);
		}
		descriptor_free(a);
		descriptor_free(b);
	}
	CHECK(keys >= 120);
	check_index_free(ix);
	catalog_free(cat);
	corpus_release(&c);
}

/* A fixture's whole answer, as POST /api/v1/check writes it. */
static char *answer_of(const struct check_index *ix, const struct descriptor *d, const char *host_version)
{
	struct descriptor *copy = NULL;
	struct check_result *res = NULL;
	struct cv_buf b;
	char *out = NULL;

	if (host_version) {
		/* descriptor_state_host_version() changes the descriptor. */
		char *j = descriptor_to_json(d, false);

		CHECK_INT(descriptor_parse(j, strlen(j), 0, &copy, NULL), 0);
		free(j);
		if (!copy)
			return NULL;
		descriptor_state_host_version(copy, host_version);
		d = copy;
	}
	cv_buf_init(&b, 64 << 20);
	if (check_explain(ix, d, 3, &res) == 0 && check_result_write(&b, res, d) == 0)
		out = cv_xstrndup(b.data, b.len);
	cv_buf_release(&b);
	check_result_free(res);
	descriptor_free(copy);
	return out;
}

/*
 * DESCRIPTOR_PARSE_ANSWER builds what a check's answer reads: for every
 * fixture machine, against the seed catalog with its products, the
 * answer (three nearest; as found and with a stated host version, which
 * words the differences otherwise) is byte for byte the full
 * descriptor's.  A field check_explain() or check_result_write() starts
 * reading must be built under this flag too, or this fails.
 */
TEST(answer_only_gives_the_same_answer)
{
	struct catalog *cat = seed_catalog(true);
	struct check_index *ix = NULL;
	struct corpus c = { NULL, 0 };
	size_t answers = 0, differences = 0;

	CHECK_INT(check_index_build(cat, &ix), 0);
	corpus_fixtures(&c, SIZE_MAX);
	for (size_t i = 0; ix && i < c.n; i++) {
		struct descriptor *a = NULL, *b = NULL;

		if (descriptor_parse(c.v[i], strlen(c.v[i]), DESCRIPTOR_PARSE_STRICT, &a, NULL) == 0 &&
		    descriptor_parse(c.v[i], strlen(c.v[i]), DESCRIPTOR_PARSE_STRICT | DESCRIPTOR_PARSE_ANSWER, &b,
				     NULL) == 0) {
			static const char *const hosts[] = { NULL, "6.0", "10.0" };

			for (size_t h = 0; h < CV_ELEMENTSOF(hosts); h++) {
				char *wa = answer_of(ix, a, hosts[h]), *wb = answer_of(ix, b, hosts[h]);

				if (!wa || !wb || strcmp(wa, wb) != 0)
					tap_fail(__FILE__, __LINE__, "fixture %zu (host version %s): answers differ:\n%s\n%s",
						 i, hosts[h] ? hosts[h] : "none", wa ? wa : "(none)", wb ? wb : "(none)");
				else if (strstr(wa, "\"differences\":[\""))
					differences++;
				free(wa);
				free(wb);
			}
			/* What the answer does not read is not built. */
			CHECK_INT((int)(b->hypervisor.features.n + b->notes.n + b->vm.disks.n + b->vm.nics.n +
					b->integration.expected.n + b->integration.missing.n +
					b->hypervisor.evidence.n + b->integration.evidence.n),
				  0);
			CHECK(!b->probed_at && !b->guest.kernel && !b->container.id && !b->probe_root);
			CHECK(cv_streq(a->guest.os.pretty, b->guest.os.pretty) &&
			      cv_streq(a->guest.os.name, b->guest.os.name));
			answers++;
		} else {
			tap_fail(__FILE__, __LINE__, "fixture %zu: not read", i);
		}
		descriptor_free(a);
		descriptor_free(b);
	}
	CHECK(answers >= 120);
	/* The answers name differences, so the names were read (when the
	 * machine's OS is not the configuration's: the pretty name). */
	CHECK(differences > 100);
	check_index_free(ix);
	catalog_free(cat);
	corpus_release(&c);
}

/* The tokenizer alone, against json_loadb(), on texts that are not descriptors. */
static bool pull_accepts(const char *text, size_t len)
{
	struct json_pull p;
	int tok;

	json_pull_init(&p, text, len);
	while ((tok = json_pull_next(&p)) > 0)
		;
	json_pull_release(&p);
	return tok == JSON_PULL_END;
}

/*
 * json_pull_skip_plain_array(): a plain array is consumed whole (the next
 * token is what follows it); anything else is left untouched, with no
 * error, for the token-by-token reading.  Expected per RFC 8259 and the
 * function's contract (json-pull.h), case by case.
 */
static int plain_skip(const char *array, unsigned nkeys, size_t max_items)
{
	static const char *const keys[] = { "source", "value" };
	static const uint8_t lens[] = { 6, 5 };
	char *t = cv_xasprintf("{\"k\": %s, \"z\": 1}", array);
	struct json_pull p;
	int r = -1;

	json_pull_init(&p, t, strlen(t));
	if (json_pull_next(&p) == JSON_PULL_OBJECT && json_pull_next(&p) == JSON_PULL_KEY &&
	    json_pull_next(&p) == JSON_PULL_ARRAY) {
		size_t at = json_pull_offset(&p);

		r = json_pull_skip_plain_array(&p, max_items, keys, lens, nkeys);
		if (r == 1) {
			/* Consumed to the ']': the next token is "z". */
			if (json_pull_next(&p) != JSON_PULL_KEY || p.len != 1 || p.str[0] != 'z' || json_pull_depth(&p) != 1)
				r = -2;
		} else if (json_pull_offset(&p) != at || json_pull_error(&p, NULL)) {
			r = -3; /* something consumed or an error left behind */
		}
	}
	json_pull_release(&p);
	free(t);
	return r;
}

TEST(tokenizer_skip_plain_array)
{
	/* Plain: taken whole. */
	CHECK_INT(plain_skip("[]", 0, 10), 1);
	CHECK_INT(plain_skip("[ ]", 2, 10), 1);
	CHECK_INT(plain_skip("[\"a\", \"b\xc3\xa9\" ,\"\"]", 0, 10), 1);
	CHECK_INT(plain_skip("[{}, {\"source\": \"s\", \"value\": null}, { \"value\" : \"v\" }]", 2, 10), 1);
	CHECK_INT(plain_skip("[\"a\", \"b\", \"c\"]", 0, 3), 1);
	/* Not plain, or faulty: left to the exact reading. */
	static const char *const strings_not[] = {
		"[\"a\\n\"]",           /* an escape */
		"[null]",               /* not a string */
		"[\"a\",]",             /* trailing comma */
		"[\"a\" \"b\"]",        /* no comma */
		"[\"a\x01\"]",          /* a control character */
		"[\"a\tb\"]",           /* whitespace that is a control character in a string */
		"[\"a\nb\"]",
		"[\"a\", \"b\\\"\"]",     /* an escaped quote */
		"[\"a\"\x7f]",          /* DEL outside a string */
		"[\"a\"\x0b]",          /* a control character outside a string */
		"[\"a\xc3\"]",          /* invalid UTF-8 */
		"[\"\xed\xa0\x80\"]",   /* an encoded surrogate */
		"[[\"a\"]]",            /* nested */
		"[1]",
	};
	for (size_t i = 0; i < CV_ELEMENTSOF(strings_not); i++)
		if (plain_skip(strings_not[i], 0, 10) != 0)
			tap_fail(__FILE__, __LINE__, "strings case %zu: %d", i, plain_skip(strings_not[i], 0, 10));
	CHECK_INT(plain_skip("[\"a\", \"b\", \"c\", \"d\"]", 0, 3), 0); /* more than max_items */
	static const char *const items_not[] = {
		"[{\"source\": \"s\", \"source\": \"t\"}]", /* a repeated member */
		"[{\"other\": \"s\"}]",                     /* an unknown member */
		"[{\"source\": 1}]",                        /* not a string or null */
		"[{\"source\": nul}]",
		"[{\"source\": [\"s\"]}]",
		"[{\"source\" \"s\"}]",                     /* no colon */
		"[{\"source\": \"s\",}]",                   /* trailing comma */
		"[\"s\"]",                                  /* not an object */
		"[{\"sou\\u0072ce\": \"s\"}]",              /* an escaped name */
		"[{\"source\": nullx}]",
		"[{\"source\": nulx}]",
		"[{\"source\": nuxl}]",
		"[{\"source\": null\"s\"}]",
		"[{\"source\": \"s\"}{}]",                 /* no comma between items */
		"[{\"source\": \"s\\\"\", \"value\": \"t\"}]", /* an escaped quote in a value */
		"[{\"source\": \"s\tt\"}]",               /* a tab in a value */
		"[{\"source\": \"s\"}",                    /* not closed */
		"[{\"source\": \"s\"},]",
	};
	for (size_t i = 0; i < CV_ELEMENTSOF(items_not); i++)
		if (plain_skip(items_not[i], 2, 10) != 0)
			tap_fail(__FILE__, __LINE__, "items case %zu: %d", i, plain_skip(items_not[i], 2, 10));
}

/* json_pull_skip_plain_array() on a text that is the array itself, which
 * may end anywhere: 1 and then the end of the document, or 0 with nothing
 * consumed and no error. */
static int plain_skip_top(const char *t, size_t len, unsigned nkeys)
{
	static const char *const keys[] = { "source", "value" };
	static const uint8_t lens[] = { 6, 5 };
	struct json_pull p;
	int r = -1;

	json_pull_init(&p, t, len);
	if (json_pull_next(&p) == JSON_PULL_ARRAY) {
		size_t at = json_pull_offset(&p);

		r = json_pull_skip_plain_array(&p, 10, keys, lens, nkeys);
		if (r == 1 && json_pull_next(&p) != JSON_PULL_END)
			r = -2;
		else if (r == 0 && (json_pull_offset(&p) != at || json_pull_error(&p, NULL)))
			r = -3;
	}
	json_pull_release(&p);
	return r;
}

/*
 * The skip reads the text through 64-byte windows (json-pull.c): the same
 * answers wherever a multibyte character, a fault or a member's name falls
 * against a window's edges, and wherever the text ends.  Each case is put
 * after a string of 0 to 140 bytes, which moves it across more than two
 * windows; expected per RFC 3629 / RFC 8259 and json-pull.h's contract.
 */
TEST(tokenizer_skip_plain_array_at_every_offset)
{
	static const struct {
		const char *value;
		int strings, items; /* expected as a string item; as an item's "value" */
	} cases[] = {
		{ "\"b\xc3\xa9\"", 1, 1 },
		{ "\"\xe2\x82\xac\xe2\x82\xac\"", 1, 1 },
		{ "\"\xf0\x9f\x98\x80\"", 1, 1 },
		{ "\"\x7f\"", 1, 1 },             /* DEL is not a control character in JSON */
		{ "\"\"", 1, 1 },
		{ "\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"", 1, 1 },
		{ "null", 0, 1 },
		{ "\"a\\n\"", 0, 0 },             /* an escape */
		{ "\"a\x01\"", 0, 0 },            /* a control character */
		{ "\"\xc3(\"", 0, 0 },            /* a lead byte without its continuation */
		{ "\"\xed\xa0\x80\"", 0, 0 },     /* an encoded surrogate */
		{ "\"\xf4\x90\x80\x80\"", 0, 0 }, /* above U+10FFFF */
		{ "\"\xc0\xaf\"", 0, 0 },         /* overlong */
		{ "\"x\", \"source\": \"t\"", 0, 0 },  /* as an item: a repeated member */
		{ "\"x\", \"valuf\": \"t\"", 0, 0 },   /* as an item: an unknown member */
		{ "\"x\", \"sourc\": \"t\"", 0, 0 },
		{ "\"x\",\"source\":\"t\",\"z\":null", 0, 0 },
	};
	char pad[141];

	for (size_t k = 0; k < sizeof(pad); k++) {
		memset(pad, 'x', k);
		pad[k] = '\0';
		for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
			char *a = cv_xasprintf("[\"%s\", %s]", pad, cases[i].value);
			char *b = cv_xasprintf("[{\"source\": \"%s\", \"value\": %s}, {\"value\": \"v\"}]", pad, cases[i].value);
			size_t la = strlen(a), lb = strlen(b);
			int r;

			/* As string items, the members' cases are a colon in an array. */
			if ((r = plain_skip(a, 0, 10)) != cases[i].strings || (r = plain_skip_top(a, la, 0)) != cases[i].strings)
				tap_fail(__FILE__, __LINE__, "pad %zu, string case %zu: %d", k, i, r);
			if ((r = plain_skip(b, 2, 10)) != cases[i].items || (r = plain_skip_top(b, lb, 2)) != cases[i].items)
				tap_fail(__FILE__, __LINE__, "pad %zu, item case %zu: %d", k, i, r);
			/* Cut anywhere, it is no longer a whole array. */
			for (size_t cut = 1; cut < lb; cut++)
				if ((r = plain_skip_top(b, cut, 2)) != 0)
					tap_fail(__FILE__, __LINE__, "pad %zu, item case %zu cut at %zu: %d", k, i, cut, r);
			for (size_t cut = 1; cut < la; cut++)
				if ((r = plain_skip_top(a, cut, 0)) != 0)
					tap_fail(__FILE__, __LINE__, "pad %zu, string case %zu cut at %zu: %d", k, i, cut, r);
			free(a);
			free(b);
		}
	}
}

/*
 * Whitespace in a skipped array is crossed by a mask (json-pull.c,
 * window_ws()): RFC 8259's four bytes (space, tab, LF, CR) and no other.
 * Between every two tokens of an array of items and of one of strings,
 * runs of 1 to 65 of them (across a window's edge, the alignment moved by
 * a string of 0 to 69 bytes before) are crossed; the same run followed by
 * any other byte is a fault, which the skip leaves to the exact reading.
 */
TEST(tokenizer_skip_plain_array_whitespace)
{
	static const char *const items[] = { "[", "{", "\"source\"", ":", NULL, ",", "\"value\"", ":", "null",
					     "}", ",", "{", "\"value\"", ":", "\"v\"", "}", "]" };
	static const char *const strings[] = { "[", NULL, ",", "\"b\"", "]" };
	/* The gaps where the array may end: there a ']' ends it, and what
	 * follows it is then past the end (plain_skip_top()'s -2). */
	static const size_t items_ends[] = { 0, 9, 15 }, strings_ends[] = { 0, 1, 3 };
	static const size_t runs[] = { 1, 2, 7, 8, 9, 31, 33, 63, 64, 65 };
	static const char ws[] = " \t\n\r";
	size_t cases = 0;

	for (size_t pad = 0; pad < 70; pad += 3) {
		char *str = cv_xasprintf("\"%.*s\"", (int)pad, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

		for (unsigned which = 0; which < 2; which++) {
			const char *const *tok = which ? strings : items;
			size_t ntok = which ? CV_ELEMENTSOF(strings) : CV_ELEMENTSOF(items);
			unsigned nkeys = which ? 0 : 2;

			for (size_t gap = 0; gap + 1 < ntok; gap++) {
				const size_t *ends = which ? strings_ends : items_ends;
				bool may_end = gap == ends[0] || gap == ends[1] || gap == ends[2];

				for (size_t r = 0; r < CV_ELEMENTSOF(runs); r++) {
					struct cv_buf b;

					for (int x = -1; x < 256; x++) {
						int got, want = x < 0 || x == ' ' || x == '\t' || x == '\n' || x == '\r';

						if (x == ']' && may_end)
							want = -2;

						cv_buf_init(&b, 1 << 20);
						for (size_t t = 0; t < ntok; t++) {
							CHECK_INT(cv_buf_puts(&b, tok[t] ? tok[t] : str), 0);
							if (t != gap)
								continue;
							for (size_t k = 0; k < runs[r]; k++)
								CHECK_INT(cv_buf_append(&b, &ws[(k + r) % 4], 1), 0);
							if (x >= 0) {
								char c = (char)x;

								CHECK_INT(cv_buf_append(&b, &c, 1), 0);
							}
						}
						got = plain_skip_top(b.data, b.len, nkeys);
						if (got != want)
							tap_fail(__FILE__, __LINE__, "pad %zu, %s gap %zu, run %zu, then byte %d: %d, want %d",
								 pad, which ? "strings" : "items", gap, runs[r], x, got, want);
						cases++;
						cv_buf_release(&b);
					}
				}
			}
		}
		free(str);
	}
	printf("%zu texts, whitespace runs and a byte after them\n", cases);
}

TEST(tokenizer_tokens_and_positions)
{
	const char *t = "{\"a\": [1, -2.5e1, \"x\\u00e9\", true, false, null, {}], \"b\": {\"c\": 9223372036854775807}}";
	static const int want[] = { JSON_PULL_OBJECT, JSON_PULL_KEY, JSON_PULL_ARRAY, JSON_PULL_INTEGER, JSON_PULL_REAL,
				    JSON_PULL_STRING, JSON_PULL_TRUE, JSON_PULL_FALSE, JSON_PULL_NULL, JSON_PULL_OBJECT,
				    JSON_PULL_OBJECT_END, JSON_PULL_ARRAY_END, JSON_PULL_KEY, JSON_PULL_OBJECT,
				    JSON_PULL_KEY, JSON_PULL_INTEGER, JSON_PULL_OBJECT_END, JSON_PULL_OBJECT_END,
				    JSON_PULL_END };
	struct json_pull p;
	size_t off = 0;

	json_pull_init(&p, t, strlen(t));
	for (size_t i = 0; i < CV_ELEMENTSOF(want); i++) {
		int tok = json_pull_next(&p);

		CHECK_INT(tok, want[i]);
		if (i == 4)
			CHECK(p.real == -25.0);
		if (i == 5)
			CHECK(p.len == 3 && memcmp(p.str, "x\xc3\xa9", 3) == 0);
		if (i == 15)
			CHECK(p.integer == INT64_MAX);
	}
	json_pull_release(&p);
	/* Errors name line and column (1-based, in characters) and the byte offset. */
	t = "{\n  \"\xc3\xa9\": tru\n}";
	json_pull_init(&p, t, strlen(t));
	CHECK_INT(json_pull_next(&p), JSON_PULL_OBJECT);
	CHECK_INT(json_pull_next(&p), JSON_PULL_KEY);
	CHECK_INT(json_pull_next(&p), JSON_PULL_ERROR);
	CHECK_INT(json_pull_next(&p), JSON_PULL_ERROR);
	CHECK_STR(json_pull_error(&p, &off), "line 2 column 8: invalid token");
	CHECK_INT(off, 10);
	json_pull_release(&p);
	/* Skipping validates. */
	t = "{\"skip\": [1, {\"a\": 1, \"a\": 2}], \"b\": 1}";
	json_pull_init(&p, t, strlen(t));
	CHECK_INT(json_pull_next(&p), JSON_PULL_OBJECT);
	CHECK_INT(json_pull_next(&p), JSON_PULL_KEY);
	CHECK_INT(json_pull_skip(&p, JSON_PULL_KEY), -EINVAL);
	CHECK(strstr(json_pull_error(&p, NULL), "duplicate object key") != NULL);
	json_pull_release(&p);
}

TEST(tokenizer_against_jansson_on_mutations)
{
	static const char *const seeds[] = {
		"{\"a\": [1, 2.5, -0, 1e10, \"s\\n\\u00e9\\ud83d\\ude00\", true, false, null], \"b\": {\"c\": {}}}",
		"[[], {}, [{}], {\"x\": [[1]]}, \"\xc3\xa9\xf0\x9f\x98\x80\"]",
		"{\"k\": \"v\", \"k2\": \"v\", \"\\u006b\": 3}",
	};
	static const char bytes[] = "\0\x01 \"\\,:{}[]0-.eE+tfnu/\x80\xc3\xed\xf4\xff";
	char m[512];

	for (size_t s = 0; s < CV_ELEMENTSOF(seeds); s++) {
		size_t len = strlen(seeds[s]);

		for (int round = 0; round < 20000; round++) {
			size_t n = len, at = (size_t)(rng() % len);
			bool a, b;
			json_t *j;

			memcpy(m, seeds[s], len);
			for (int k = 0, edits = 1 + (int)(rng() % 3); k < edits; k++) {
				at = (size_t)(rng() % n);
				if (rng() % 2) {
					m[at] = bytes[rng() % (sizeof(bytes) - 1)];
				} else if (n < sizeof(m) - 1) {
					memmove(m + at + 1, m + at, n - at);
					m[at] = bytes[rng() % (sizeof(bytes) - 1)];
					n++;
				}
			}
			if (rng() % 8 == 0)
				n = (size_t)(rng() % (n + 1));
			b = pull_accepts(m, n);
			for (size_t i = 0; i < n; i++)
				if (m[i] == '\0')
					m[i] = '\x01';
			j = json_loadb(m, n, JSON_REJECT_DUPLICATES, NULL);
			a = j != NULL;
			json_decref(j);
			if (a != b)
				tap_fail(__FILE__, __LINE__, "jansson %d, pull %d: %.*s", a, b, (int)n, m);
		}
	}
}

TAP_MAIN(every_fixture_descriptor, every_json_file_in_the_tree, truncated_at_every_byte, bytes_flipped_inserted_deleted,
	 every_field_given_every_type, several_faults_the_same_first, strict_json_rfc8259,
	 strict_strings_utf8_and_escapes, raw_nul_rejected_everywhere, duplicate_keys_at_every_level,
	 duplicate_keys_in_a_big_object, depth_limit_as_jansson, sizes_and_items, unknown_fields_strict_and_tolerant,
	 no_evidence_keeps_the_rest, match_only_gives_the_same_key, answer_only_gives_the_same_answer,
	 tokenizer_skip_plain_array,
	 tokenizer_skip_plain_array_at_every_offset, tokenizer_skip_plain_array_whitespace, tokenizer_tokens_and_positions, tokenizer_against_jansson_on_mutations)
