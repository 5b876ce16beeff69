/*
 * test-check-write.c - check_result_write() (the /check answer written
 * without a tree) against json_dumps(check_result_to_json()), the tree
 * path the server answered with before: the same bytes, or both failing.
 *
 * The expected text is jansson's, always: the flags are reply_json()'s
 * (src/server/request.c).  The results are every fixture machine's
 * (tests/fixtures, probed) against the seed catalog (data/
 * validated-configs.jsonl, with data/products.jsonl for the life cycles)
 * at every "nearest" the API allows (0..20), then the same with random
 * strings - control characters, quotes, backslashes, non-ASCII, bytes
 * that are not UTF-8 - in the descriptor's fields and in the catalog's
 * configurations and products, which the answer repeats in its machine,
 * its candidates, its differences, its summary and its life cycles.
 */
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "probe-fixture.h"
#include "seed-catalog.h"
#include "tap.h"

#define FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return tap_xorshift64(&rng_state);
}

/* ---- the comparison ---- */

static unsigned long long same, both_failed;
static unsigned reported;

static void agree(const struct check_result *r, const struct descriptor *d, const char *what, size_t nearest)
{
	json_t *j = check_result_to_json(r, d);
	char *want = j ? json_dumps(j, FLAGS) : NULL;
	struct cv_buf b;
	int k;

	/* Something before the answer: the writer appends, and on an
	 * error leaves what was there as it was. */
	cv_buf_init(&b, 64 << 20);
	CHECK_INT(cv_buf_puts(&b, "<"), 0);
	k = check_result_write(&b, r, d);
	if (!want) {
		if (k >= 0 && reported++ < 10)
			tap_fail(__FILE__, __LINE__, "%s, nearest %zu: jansson failed, the writer wrote %s", what, nearest,
				 b.data + 1);
		CHECK_INT(b.len, 1);
		both_failed++;
	} else if (k < 0 || b.len - 1 != strlen(want) || memcmp(b.data + 1, want, b.len - 1) != 0) {
		size_t at = 0;

		while (k >= 0 && at < b.len - 1 && want[at] && want[at] == b.data[1 + at])
			at++;
		if (reported++ < 10)
			tap_fail(__FILE__, __LINE__,
				 "%s, nearest %zu: writer %d, %zu bytes; jansson %zu bytes; first difference at %zu:\n"
				 "  writer  ...%.120s\n  jansson ...%.120s",
				 what, nearest, k, b.len - 1, strlen(want), at, k < 0 ? "" : b.data + 1 + at, want + at);
	} else {
		same++;
	}
	cv_buf_release(&b);
	free(want);
	json_decref(j);
}

/* ---- the seed catalog and the fixture machines ---- */

struct machines {
	struct descriptor **v;
	char **names;
	size_t n;
};

static void machines_load(struct machines *m)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	m->names = probe_fixture_names(&n);
	m->v = cv_xcalloc(n ? n : 1, sizeof(*m->v));
	for (size_t i = 0; i < n; i++) {
		m->v[m->n] = probe_fixture(m->names[i]);
		if (m->v[m->n])
			m->names[m->n++] = m->names[i];
		else
			free(m->names[i]);
	}
}

static void machines_release(struct machines *m)
{
	for (size_t i = 0; i < m->n; i++) {
		descriptor_free(m->v[i]);
		free(m->names[i]);
	}
	free(m->v);
	free(m->names);
}

static struct descriptor *copy(const struct descriptor *d)
{
	char *text = descriptor_to_json(d, false);
	struct descriptor *c = NULL;

	CHECK_INT(descriptor_parse(text, strlen(text), 0, &c, NULL), 0);
	free(text);
	return c;
}

TEST(every_fixture_at_every_nearest)
{
	struct catalog *cat = seed_catalog(true);
	struct check_index *ix = NULL;
	struct machines m;
	size_t matched = 0, ranked = 0, with_lifecycle_note = 0;

	CHECK_INT(check_index_build(cat, &ix), 0);
	machines_load(&m);
	for (size_t i = 0; ix && i < m.n; i++)
		for (size_t n = 0; n <= 20; n++) {
			struct check_result *r = NULL;

			CHECK_INT(check_explain(ix, m.v[i], n, &r), 0);
			if (!r)
				continue;
			agree(r, m.v[i], m.names[i], n);
			matched += r->n_matches > 0;
			ranked += r->n_nearest > 0;
			for (size_t k = 0; k < r->n_nearest; k++)
				with_lifecycle_note += r->nearest[k].lifecycle.note != NULL;
			check_result_free(r);
		}
	/* A host version stated (the "host_version" of /check). */
	for (size_t i = 0; ix && i < m.n; i++) {
		struct descriptor *d = copy(m.v[i]);
		struct check_result *r = NULL;

		descriptor_state_host_version(d, "5.4");
		CHECK_INT(check_explain(ix, d, 3, &r), 0);
		if (r)
			agree(r, d, m.names[i], 3);
		check_result_free(r);
		descriptor_free(d);
	}
	printf("%llu answers the same; matched %zu, ranked %zu, notes %zu\n", same, matched, ranked,
	       with_lifecycle_note);
	/* The corpus reaches every part of an answer. */
	CHECK(matched > 20);
	CHECK(ranked > 100);
	CHECK(with_lifecycle_note > 100);
	CHECK_INT(both_failed, 0);
	CHECK(same >= m.n * 22);
	machines_release(&m);
	check_index_free(ix);
	catalog_free(cat);
}

/* ---- random strings ---- */

static bool tainted; /* a string not UTF-8 was made since it was cleared */

/* Up to 24 pieces: ASCII, the characters JSON escapes, UTF-8 of 2, 3 and
 * 4 bytes, and now and then a piece that is not UTF-8 (a stray
 * continuation byte, 0xC0, an encoded surrogate, 0xF5, a sequence cut
 * short by the end). */
static char *random_string(const char *base)
{
	static const char *const pieces[] = {
		"a", "Z", "5", ".", " ", "-", "/", "\"", "\\", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f", "\x7f",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf", "%s", "%n",
	};
	static const char *const bad[] = { "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf5\x80\x80\x80", "\xc3", "\xf4\x90\x80\x80" };
	struct cv_buf b;
	size_t n = rng() % 25;

	cv_buf_init(&b, 4096);
	if (base && rng() % 2)
		CHECK_INT(cv_buf_puts(&b, base), 0);
	for (size_t i = 0; i < n; i++) {
		const char *p = pieces[rng() % CV_ELEMENTSOF(pieces)];

		if (rng() % 40 == 0) {
			p = bad[rng() % CV_ELEMENTSOF(bad)];
			tainted = true;
		}
		CHECK_INT(cv_buf_puts(&b, p), 0);
	}
	return cv_buf_detach(&b, NULL);
}

static void maybe(char **field, unsigned one_in)
{
	if (rng() % one_in == 0) {
		char *s = random_string(*field);

		free(*field);
		*field = s;
	}
}

static void maybe_strv(struct cv_strv *v, unsigned one_in)
{
	for (size_t i = 0; i < v->n; i++)
		maybe(&v->v[i], one_in);
	if (rng() % one_in == 0)
		cv_strv_push_take(v, random_string(NULL));
}

static void mutate_descriptor(struct descriptor *d)
{
	static const int vcpus[] = { -1, 0, 1, 2, 3, 64, 1 << 30, INT32_MAX };
	static const uint64_t mem[] = { 0, 1, 2048, 65537, UINT64_C(1) << 63, UINT64_MAX };

	maybe(&d->hypervisor.id, 10);
	maybe(&d->hypervisor.product, 3);
	maybe(&d->hypervisor.version, 3);
	maybe(&d->hypervisor.version_source, 4);
	maybe(&d->hypervisor.build, 3);
	maybe(&d->guest.os.id, 10);
	maybe(&d->guest.os.version, 3);
	maybe(&d->guest.os.pretty, 3);
	maybe(&d->guest.os.name, 3);
	maybe(&d->guest.os.osinfo, 3);
	maybe(&d->guest.os.service_pack, 3);
	maybe(&d->guest.arch, 6);
	maybe_strv(&d->integration.present, 4);
	if (rng() % 3 == 0)
		d->vm.vcpus = vcpus[rng() % CV_ELEMENTSOF(vcpus)];
	if (rng() % 3 == 0)
		d->vm.memory_mib = mem[rng() % CV_ELEMENTSOF(mem)];
}

static unsigned long long tainted_answers;

static void check_random(struct check_index *ix, const struct descriptor *base, const char *name, bool mutate)
{
	struct descriptor *d = copy(base);
	struct check_result *r = NULL;
	size_t n = rng() % 21;

	tainted = false;
	if (mutate)
		mutate_descriptor(d);
	CHECK_INT(check_explain(ix, d, n, &r), 0);
	if (r) {
		unsigned long long before = same;

		agree(r, d, name, n);
		tainted_answers += tainted && same > before;
	}
	check_result_free(r);
	descriptor_free(d);
}

TEST(random_strings_in_the_descriptor)
{
	struct catalog *cat = seed_catalog(true);
	struct check_index *ix = NULL;
	struct machines m;

	CHECK_INT(check_index_build(cat, &ix), 0);
	machines_load(&m);
	for (int k = 0; ix && m.n && k < 6000; k++) {
		size_t i = rng() % m.n;

		check_random(ix, m.v[i], m.names[i], true);
	}
	printf("%llu answers the same (%llu with bytes not UTF-8 in the input), %llu refused by both\n", same, tainted_answers,
	       both_failed);
	/* Some answers are refused whole (the summary repeats a field that
	 * is not UTF-8), some keep a field left out; most are whole. */
	CHECK(both_failed > 50);
	CHECK(tainted_answers > 50);
	CHECK(same > 3000);
	machines_release(&m);
	check_index_free(ix);
	catalog_free(cat);
}

/* What the index only shows, never matches on: the configurations'
 * names, versions, vendors, dates, lists; the products' dates. */
static void mutate_catalog(struct catalog *cat)
{
	for (size_t i = 0; i < cat->n_configs; i++) {
		struct catalog_config *c = cat->configs[i];

		if (rng() % 4)
			continue;
		maybe(&c->id, 4);
		maybe(&c->guest.vendor, 4);
		maybe(&c->guest.product, 4);
		maybe(&c->guest.version, 4);
		maybe(&c->guest.service_pack, 6);
		maybe(&c->hypervisor.vendor, 4);
		maybe(&c->hypervisor.product, 4);
		maybe(&c->hypervisor.version, 4);
		maybe(&c->hypervisor.host_version, 6);
		maybe(&c->valid_from, 4);
		maybe(&c->valid_until, 4);
		maybe_strv(&c->validated_by, 4);
		maybe_strv(&c->guest.arch, 8);
		maybe_strv(&c->hypervisor.builds, 8);
		maybe_strv(&c->required_components, 8);
	}
	for (size_t i = 0; i < cat->n_products; i++) {
		struct catalog_product *p = cat->products[i];

		if (rng() % 4)
			continue;
		maybe(&p->eol_date, 3);
		maybe(&p->lifecycle.esu_end, 4);
		maybe(&p->lifecycle.els_end, 4);
		maybe(&p->lifecycle.ltss_end, 4);
	}
}

TEST(random_strings_in_the_catalog)
{
	struct machines m;

	machines_load(&m);
	for (int round = 0; m.n && round < 60; round++) {
		struct catalog *cat = seed_catalog(true);
		struct check_index *ix = NULL;

		mutate_catalog(cat);
		CHECK_INT(check_index_build(cat, &ix), 0);
		for (int k = 0; ix && k < 40; k++) {
			size_t i = rng() % m.n;

			/* The catalog's strings alone, then both sides'. */
			check_random(ix, m.v[i], m.names[i], k % 2 == 1);
		}
		check_index_free(ix);
		catalog_free(cat);
	}
	printf("%llu answers the same (%llu with bytes not UTF-8 in the input), %llu refused by both\n", same, tainted_answers,
	       both_failed);
	CHECK(both_failed > 10);
	CHECK(tainted_answers > 50);
	CHECK(same > 1000);
	machines_release(&m);
}

TAP_MAIN(every_fixture_at_every_nearest, random_strings_in_the_descriptor, random_strings_in_the_catalog)
