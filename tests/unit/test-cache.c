/* test-cache.c - the answer cache (src/server/cache.c): answers kept
 * across catalog writes that do not touch what they depend on, and one
 * computation for concurrent misses of one key. */
#include <pthread.h>
#include <unistd.h>

#include "covalid/catalog.h"
#include "server/server-internal.h"
#include "tap.h"
#include "util/cv.h"

static struct catalog_config *cfg(const char *id, const char *status, const char *os, const char *product,
				  const char *hv)
{
	struct catalog_config *c = NULL;
	char *why = NULL;
	char *json = cv_xasprintf(
		"{\"type\":\"configuration\",\"id\":\"%s\",\"status\":\"%s\","
		"\"guest\":{\"vendor\":\"V\",\"product\":\"%s\",\"os_id\":\"%s\",\"version\":\"5.3\",\"arch\":[\"x86_64\"]},"
		"\"hypervisor\":{\"vendor\":\"Microsoft\",\"product\":\"Windows Server 2008 Hyper-V\",\"ids\":[\"%s\"],"
		"\"version\":\"2008\"},\"validated_by\":[\"V\"],\"source\":\"test\"}",
		id, status, product, os, hv);

	if (catalog_config_from_text(json, &c, &why) < 0)
		tap_fail(__FILE__, __LINE__, "%s: %s", id, why);
	free(why);
	free(json);
	return c;
}

static const char KEY_A[] = "/key-a", KEY_B[] = "/key-b";
static const uint64_t SECRET[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

/* GET target: a key for the test's lookups (valid while target is). */
static const struct cache_key *key_init(struct cache_key *k, const char *target)
{
	cache_key_init(k, SECRET, "GET", target, NULL, 0);
	return k;
}
#define K(target) key_init(&(struct cache_key){ 0 }, (target))

static struct cache_entry *put(struct resp_cache *c, const char *key, int64_t gen, const struct cache_dep *dep)
{
	char *body = cv_xstrdup("{}");
	struct cache_entry *e = resp_cache_put(c, K(key), gen, dep, true, 200, "application/json", &body, 2);

	free(body); /* NULL if taken */
	return e;
}

static bool hit(struct resp_cache *c, const char *key, int64_t gen)
{
	struct cache_entry *e = resp_cache_get(c, K(key), gen);

	cache_entry_unref(e);
	return e != NULL;
}

/* One step from..to that wrote the given configurations (both versions
 * of a replaced one are given by the caller). */
static void step(struct resp_cache *c, int64_t from, int64_t to, struct catalog_config *a, struct catalog_config *b)
{
	struct catalog_config *v[2] = { a, b };

	resp_cache_step(c, from, to, false, v, (size_t)(a != NULL) + (b != NULL));
	catalog_config_free(a); /* the cache holds its own references */
	catalog_config_free(b);
}

TEST(a_check_answer_survives_writes_to_another_guest_os)
{
	struct resp_cache *c = resp_cache_new();
	struct cache_dep rhel, any = { .kind = CACHE_DEP_ALL };
	struct resp_cache_stats st;

	cache_dep_os(&rhel, "RHEL"); /* as the descriptor says it: case aside */
	CHECK_INT(rhel.kind, CACHE_DEP_OS);
	cache_entry_unref(put(c, KEY_A, 1, &rhel));
	cache_entry_unref(put(c, KEY_B, 1, &any));
	CHECK(hit(c, KEY_A, 1));
	/* Generation 2 is not known to the cache yet: nothing is assumed. */
	CHECK(!hit(c, KEY_A, 2));
	step(c, 1, 2, cfg("w1", "validated", "windows", "Windows Server", "microsoft"),
	     cfg("w1", "revoked", "windows", "Windows Server", "microsoft"));
	CHECK(hit(c, KEY_A, 2));
	CHECK(!hit(c, KEY_B, 2)); /* depends on everything */
	resp_cache_stats(c, &st);
	CHECK_INT(st.revalidated, 1);
	/* Restamped at 2: a rhel write at 2..3 invalidates it. */
	step(c, 2, 3, cfg("r1", "validated", "rhel", "Red Hat Enterprise Linux", "microsoft"), NULL);
	CHECK(!hit(c, KEY_A, 3));
	resp_cache_free(c);
}

TEST(the_old_version_of_a_changed_configuration_counts_too)
{
	struct resp_cache *c = resp_cache_new();
	struct cache_dep rhel;

	cache_dep_os(&rhel, "rhel");
	cache_entry_unref(put(c, KEY_A, 5, &rhel));
	/* A configuration moved from rhel to windows: rhel's answers change. */
	step(c, 5, 6, cfg("x", "validated", "rhel", "Red Hat Enterprise Linux", "kvm"),
	     cfg("x", "validated", "windows", "Windows Server", "kvm"));
	CHECK(!hit(c, KEY_A, 6));
	resp_cache_free(c);
}

TEST(global_steps_gaps_and_a_log_behind_invalidate)
{
	struct resp_cache *c = resp_cache_new();
	struct cache_dep rhel;

	cache_dep_os(&rhel, "rhel");
	cache_entry_unref(put(c, KEY_A, 1, &rhel));
	/* A product or a vendor changed: every answer goes. */
	resp_cache_step(c, 1, 2, true, NULL, 0);
	CHECK(!hit(c, KEY_A, 2));
	cache_entry_unref(put(c, KEY_A, 2, &rhel));
	/* A step that does not start where the last ended: the past is
	 * forgotten (steps 2..3 unknown). */
	step(c, 3, 4, cfg("w", "validated", "windows", "Windows Server", "microsoft"), NULL);
	CHECK(!hit(c, KEY_A, 4));
	cache_entry_unref(put(c, KEY_A, 4, &rhel));
	/* Asked at a generation past the last step: not known, a miss. */
	CHECK(!hit(c, KEY_A, 5));
	/* An answer at least as new as asked is served. */
	CHECK(hit(c, KEY_A, 3));
	/* Too many configurations in one step: as global. */
	{
		struct catalog_config *v[1025];

		for (size_t i = 0; i < CV_ELEMENTSOF(v); i++)
			v[i] = cfg("w", "validated", "windows", "Windows Server", "microsoft");
		resp_cache_step(c, 4, 5, false, v, CV_ELEMENTSOF(v));
		for (size_t i = 0; i < CV_ELEMENTSOF(v); i++)
			catalog_config_free(v[i]);
	}
	CHECK(!hit(c, KEY_A, 5));
	resp_cache_free(c);
}

TEST(a_list_depends_on_what_its_filters_may_select)
{
	struct resp_cache *c = resp_cache_new();
	struct cache_dep validated_rhel, by_product, on_kvm, odd;

	cache_dep_list(&validated_rhel, "rhel", NULL, 1u << CATALOG_VALIDATED);
	cache_dep_list(&by_product, "Enterprise", NULL, 0); /* part of the product's name (CONFIG_WHERE) */
	cache_dep_list(&on_kvm, NULL, "kvm", 0);
	cache_dep_list(&odd, "r\xc3\xa9hel", "kvm microsoft", 0); /* not decided byte-wise: filters ignored */
	cache_entry_unref(put(c, "l1", 1, &validated_rhel));
	cache_entry_unref(put(c, "l2", 1, &by_product));
	cache_entry_unref(put(c, "l3", 1, &on_kvm));
	cache_entry_unref(put(c, "l4", 1, &odd));
	/* A rhel row that is supported before and after: not in the
	 * validated list, in the product list, not on kvm. */
	step(c, 1, 2, cfg("r", "supported", "rhel", "Red Hat Enterprise Linux", "microsoft"),
	     cfg("r", "supported", "rhel", "Red Hat Enterprise Linux", "microsoft"));
	CHECK(hit(c, "l1", 2));
	CHECK(!hit(c, "l2", 2));
	CHECK(hit(c, "l3", 2));
	CHECK(!hit(c, "l4", 2));
	/* A validated rhel row revoked: its old version was in the list. */
	step(c, 2, 3, cfg("v", "validated", "rhel", "Red Hat Enterprise Linux", "microsoft"),
	     cfg("v", "revoked", "rhel", "Red Hat Enterprise Linux", "microsoft"));
	CHECK(!hit(c, "l1", 3));
	CHECK(hit(c, "l3", 3));
	/* A row moved onto kvm: its new version is in the kvm list. */
	step(c, 3, 4, cfg("k", "validated", "windows", "Windows Server", "microsoft"),
	     cfg("k", "validated", "windows", "Windows Server", "kvm"));
	CHECK(!hit(c, "l3", 4));
	resp_cache_free(c);
}

struct waiter {
	struct resp_cache *c;
	struct cache_entry *e;
	bool claimed;
};

static void *wait_for_a(void *arg)
{
	struct waiter *w = arg;

	w->e = resp_cache_wait(w->c, K(KEY_A), 1, &w->claimed);
	return NULL;
}

/* Claims KEY_A here and starts a thread that waits for it (wait_for_a),
 * returning once that thread waits (resp_cache_stats' waiting). */
static void claim_a_and_start_a_waiter(struct resp_cache *c, struct waiter *w, pthread_t *t)
{
	struct resp_cache_stats st = { 0 };
	bool claimed = false;

	CHECK(resp_cache_wait(c, K(KEY_A), 1, &claimed) == NULL);
	CHECK(claimed);
	*w = (struct waiter){ c, NULL, false };
	pthread_create(t, NULL, wait_for_a, w);
	for (int i = 0; i < 500 && !st.waiting; i++) {
		usleep(10 * 1000);
		resp_cache_stats(c, &st);
	}
	CHECK_INT(st.waiting, 1);
}

TEST(concurrent_misses_of_one_key_wait_for_one_computation)
{
	struct resp_cache *c = resp_cache_new();
	struct resp_cache_stats st;
	struct cache_entry *mine;
	struct waiter w;
	bool claimed = false;
	pthread_t t;

	claim_a_and_start_a_waiter(c, &w, &t);
	mine = put(c, KEY_A, 1, NULL);
	resp_cache_release(c, K(KEY_A));
	pthread_join(t, NULL);
	CHECK(w.e == mine);
	CHECK(!w.claimed);
	cache_entry_unref(w.e);
	cache_entry_unref(mine);
	resp_cache_stats(c, &st);
	CHECK_INT(st.misses, 1);
	CHECK_INT(st.hits, 1);
	/* Another key in flight meanwhile is not waited for. */
	CHECK(resp_cache_wait(c, K(KEY_B), 1, &claimed) == NULL);
	CHECK(claimed);
	resp_cache_release(c, K(KEY_B));
	resp_cache_free(c);
}

/* Admission: an answer is kept the second time its request is seen, or
 * at the first when another thread waited for that computation. */
TEST(an_answer_is_admitted_at_the_second_sight_or_when_waited_for)
{
	struct resp_cache *c = resp_cache_new();
	struct resp_cache_stats st;
	struct cache_entry *mine;
	struct waiter w;
	pthread_t t;

	CHECK(!resp_cache_admit(c, K(KEY_B)));
	resp_cache_stats(c, &st);
	CHECK_INT(st.declined, 1);
	CHECK(resp_cache_admit(c, K(KEY_B)));
	CHECK(resp_cache_admit(c, K(KEY_B)));
	resp_cache_stats(c, &st);
	CHECK_INT(st.declined, 1);

	/* KEY_A, never seen: claimed here, another thread waits for it. */
	claim_a_and_start_a_waiter(c, &w, &t);
	CHECK(resp_cache_admit(c, K(KEY_A)));
	mine = put(c, KEY_A, 1, NULL);
	resp_cache_release(c, K(KEY_A));
	pthread_join(t, NULL);
	CHECK(w.e == mine);
	cache_entry_unref(w.e);
	cache_entry_unref(mine);
	resp_cache_stats(c, &st);
	CHECK_INT(st.declined, 1);
	CHECK_INT(st.waiting, 0);
	resp_cache_free(c);
}

TEST(a_computation_that_gives_no_answer_lets_the_waiter_compute)
{
	struct resp_cache *c = resp_cache_new();
	struct waiter w = { c, NULL, false };
	bool claimed = false;
	pthread_t t;

	CHECK(resp_cache_wait(c, K(KEY_A), 1, &claimed) == NULL);
	CHECK(claimed);
	pthread_create(&t, NULL, wait_for_a, &w);
	usleep(100 * 1000);
	resp_cache_release(c, K(KEY_A)); /* an error: nothing put */
	pthread_join(t, NULL);
	CHECK(w.e == NULL);
	CHECK(w.claimed); /* the waiter computes it, and others wait for it */
	resp_cache_release(c, K(KEY_A));
	resp_cache_free(c);
}

TEST(a_waiter_stops_waiting_for_a_computation_that_never_ends)
{
	struct resp_cache *c = resp_cache_new();
	struct waiter w = { c, NULL, false };
	bool claimed = false;

	CHECK(resp_cache_wait(c, K(KEY_A), 1, &claimed) == NULL);
	CHECK(claimed);
	/* Never put nor released: the waiter gives up (after its bound)
	 * and computes it itself, without the claim. */
	wait_for_a(&w);
	CHECK(w.e == NULL);
	CHECK(!w.claimed);
	resp_cache_release(c, K(KEY_A));
	resp_cache_free(c);
}

TEST(the_event_threads_lookup_never_waits)
{
	struct resp_cache *c = resp_cache_new();
	struct resp_cache_stats st;
	struct cache_entry *e, *mine;
	bool claimed = false, busy = true;

	/* A miss no one computes: claimed, counted, not busy. */
	CHECK(resp_cache_try(c, K(KEY_A), 1, &claimed, &busy) == NULL);
	CHECK(claimed);
	CHECK(!busy);
	/* Another lookup meanwhile, on the event thread: busy at once
	 * (no wait), nothing claimed nor counted -- a worker waits. */
	CHECK(resp_cache_try(c, K(KEY_A), 1, &claimed, &busy) == NULL);
	CHECK(!claimed);
	CHECK(busy);
	resp_cache_stats(c, &st);
	CHECK_INT(st.misses, 1);
	CHECK_INT(st.hits, 0);
	mine = put(c, KEY_A, 1, NULL);
	resp_cache_release(c, K(KEY_A));
	/* Now kept: a hit. */
	e = resp_cache_try(c, K(KEY_A), 1, &claimed, &busy);
	CHECK(e == mine);
	CHECK(!claimed);
	CHECK(!busy);
	resp_cache_stats(c, &st);
	CHECK_INT(st.hits, 1);
	cache_entry_unref(e);
	cache_entry_unref(mine);
	resp_cache_free(c);
}

TEST(an_etag_only_when_asked)
{
	struct resp_cache *c = resp_cache_new();
	struct cache_entry *g, *p;
	const char *ctype, *etag;
	size_t len;
	unsigned status;

	char *b1 = cv_xstrdup("{}"), *b2 = cv_xstrdup("{}");

	g = resp_cache_put(c, K(KEY_A), 7, NULL, true, 200, "application/json", &b1, 2);
	p = resp_cache_put(c, K(KEY_B), 7, NULL, false, 200, "application/json", &b2, 2);
	CHECK(!b1 && !b2); /* taken */
	CHECK(strcmp(cache_entry_body(g, &len, &status, &ctype, &etag), "{}") == 0);
	/* The generation, then 8 bytes of a digest in hex: "7-" and 16 digits, quoted. */
	CHECK(strncmp(etag, "\"7-", 3) == 0 && strlen(etag) == 2 + 2 + 16);
	CHECK(strcmp(cache_entry_body(p, &len, &status, &ctype, &etag), "{}") == 0);
	CHECK(strcmp(etag, "") == 0);
	cache_entry_unref(g);
	cache_entry_unref(p);
	resp_cache_free(c);
}

/*
 * Keys are compared whole: two requests share an answer only if method,
 * target and body are all the same bytes -- not when their hashes are
 * (here made equal by hand: the slot is the same, the answer is not), nor
 * when the parts only join to the same bytes.
 */
TEST(keys_are_compared_whole_not_by_hash)
{
	struct resp_cache *c = resp_cache_new();
	static const char body[] = "{\"schema\":\"covalid.descriptor/1\",\"memory_mib\":1024}";
	static const char other[] = "{\"schema\":\"covalid.descriptor/1\",\"memory_mib\":2048}";
	struct cache_key k, same, by_hash, split, shorter;
	struct cache_entry *e;
	char *answer = cv_xstrdup("{}");

	cache_key_init(&k, SECRET, "POST", "/api/v1/check", body, strlen(body));
	cache_key_init(&same, SECRET, "POST", "/api/v1/check", body, strlen(body));
	CHECK(k.hash == same.hash);
	e = resp_cache_put(c, &k, 1, NULL, false, 200, "application/json", &answer, 2);
	CHECK(e != NULL);
	cache_entry_unref(e);
	e = resp_cache_get(c, &same, 1);
	CHECK(e != NULL);
	cache_entry_unref(e);

	/* Another body with the hash forced equal: the same slot, no answer. */
	cache_key_init(&by_hash, SECRET, "POST", "/api/v1/check", other, strlen(other));
	CHECK(by_hash.hash != k.hash);
	by_hash.hash = k.hash;
	CHECK(resp_cache_get(c, &by_hash, 1) == NULL);
	/* The same bytes split otherwise between target and body. */
	cache_key_init(&split, SECRET, "POST", "/api/v1/check{", body + 1, strlen(body) - 1);
	split.hash = k.hash;
	CHECK(resp_cache_get(c, &split, 1) == NULL);
	/* A prefix of the body. */
	cache_key_init(&shorter, SECRET, "POST", "/api/v1/check", body, strlen(body) - 1);
	shorter.hash = k.hash;
	CHECK(resp_cache_get(c, &shorter, 1) == NULL);
	/* A key in flight is compared whole too: the forced twin is not
	 * waited for, and claims nothing (another key holds the slot's flight). */
	{
		bool claimed = false, busy = true;

		CHECK(resp_cache_try(c, &k, 2, &claimed, &busy) == NULL); /* generation 2 is unknown: a miss */
		CHECK(claimed && !busy);
		CHECK(resp_cache_try(c, &by_hash, 2, &claimed, &busy) == NULL);
		CHECK(!claimed && !busy);
		resp_cache_release(c, &by_hash); /* not its flight: nothing happens */
		CHECK(resp_cache_try(c, &same, 2, &claimed, &busy) == NULL);
		CHECK(busy);
		resp_cache_release(c, &k);
	}
	resp_cache_free(c);
}

/* A body over CACHE_KEY_WHOLE_MAX is kept as a keyed digest: the table
 * holds its answer, not its bytes; one byte apart is another key; and a
 * body of exactly the digest's bytes is not the digested one. */
TEST(a_large_body_is_kept_as_a_digest)
{
	struct resp_cache *c = resp_cache_new();
	size_t n = CACHE_KEY_WHOLE_MAX + 1;
	char *big = cv_xmalloc(n), *answer = cv_xstrdup("{}");
	struct cache_key k, same, other, twin;
	struct resp_cache_stats st;
	struct cache_entry *e;

	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	cache_key_init(&k, SECRET, "POST", "/api/v1/check", big, n);
	CHECK(k.digested && k.len[2] == sizeof(k.digest));
	e = resp_cache_put(c, &k, 1, NULL, false, 200, "application/json", &answer, 2);
	CHECK(e != NULL);
	cache_entry_unref(e);
	resp_cache_stats(c, &st);
	CHECK(st.bytes < 1024);
	cache_key_init(&same, SECRET, "POST", "/api/v1/check", big, n);
	e = resp_cache_get(c, &same, 1);
	CHECK(e != NULL);
	cache_entry_unref(e);
	big[n / 2] = 'x';
	cache_key_init(&other, SECRET, "POST", "/api/v1/check", big, n);
	CHECK(resp_cache_get(c, &other, 1) == NULL);
	cache_key_init(&twin, SECRET, "POST", "/api/v1/check", (const char *)k.digest, sizeof(k.digest));
	CHECK(!twin.digested);
	twin.hash = k.hash;
	CHECK(resp_cache_get(c, &twin, 1) == NULL);
	free(big);
	resp_cache_free(c);
}

/* The hash spreads keys that differ in one byte of a large body over
 * the slots, as the server's fleet of near-identical descriptors needs:
 * 4096 bodies differing in one byte each give (nearly) all different
 * hashes, and under another secret other hashes. */
TEST(the_slot_hash_depends_on_every_byte_and_the_secret)
{
	static const uint64_t secret2[2] = { 1, 2 };
	char *body = cv_xmalloc(7000);
	uint64_t *h = cv_xcalloc(4096, sizeof(*h));
	size_t same = 0, same_secret = 0;

	memset(body, 'a', 7000);
	for (size_t i = 0; i < 4096; i++) {
		struct cache_key k, k2;

		body[i * 7000 / 4096] = 'b';
		cache_key_init(&k, SECRET, "POST", "/api/v1/check", body, 7000);
		cache_key_init(&k2, secret2, "POST", "/api/v1/check", body, 7000);
		body[i * 7000 / 4096] = 'a';
		h[i] = k.hash;
		same_secret += k.hash == k2.hash;
	}
	for (size_t i = 0; i < 4096; i++)
		for (size_t j = i + 1; j < 4096; j++)
			same += h[i] == h[j];
	CHECK_INT(same, 0);
	CHECK_INT(same_secret, 0);
	free(h);
	free(body);
}

/* docs/server.md, "Requests and limits": the answer cache holds 64 MiB of answers. */
#define MAX_BYTES ((size_t)64 * 1024 * 1024)

/* Keys as varied as the server's targets (splitmix64 in hex). */
static void key_of(char out[static 32], unsigned i)
{
	uint64_t z = (uint64_t)i * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	snprintf(out, 32, "%016llx", (unsigned long long)(z ^ (z >> 31)));
}

static bool put_sized(struct resp_cache *c, const char *key, size_t len)
{
	char *body = cv_xmalloc(len);
	struct cache_entry *e;

	memset(body, 'x', len);
	e = resp_cache_put(c, K(key), 1, NULL, false, 200, "application/json", &body, len);
	free(body);
	cache_entry_unref(e);
	return e != NULL;
}

/* A full table makes room: every answer put is kept (the others' slots
 * give way), the table never holds more than its bound, and an answer
 * larger than the one its slot held is kept too. */
static void a_full_table_makes_room_for_a_new_answer(void)
{
	struct resp_cache *c = resp_cache_new();
	struct resp_cache_stats st;
	char key[32];
	size_t last_missing = 0;

	/* 6000 answers of 70 kB: 400 MB, six times what the table holds. */
	for (int i = 0; i < 6000; i++) {
		key_of(key, (unsigned)i);
		CHECK(put_sized(c, key, 70000));
		resp_cache_stats(c, &st);
		if (st.bytes > MAX_BYTES)
			tap_fail(__FILE__, __LINE__, "after %d answers the table holds %zu bytes", i + 1, st.bytes);
	}
	for (int i = 5990; i < 6000; i++) {
		key_of(key, (unsigned)i);
		if (!hit(c, key, 1))
			last_missing++;
	}
	CHECK_INT(last_missing, 0);
	CHECK(put_sized(c, "big", 1024 * 1024));
	CHECK(hit(c, "big", 1));
	resp_cache_stats(c, &st);
	CHECK(st.bytes <= MAX_BYTES);
	CHECK(st.bytes > MAX_BYTES / 2);
	CHECK(st.evicted > 0);
	resp_cache_free(c);
}

TAP_MAIN(a_check_answer_survives_writes_to_another_guest_os, the_old_version_of_a_changed_configuration_counts_too,
	 global_steps_gaps_and_a_log_behind_invalidate, a_list_depends_on_what_its_filters_may_select,
	 concurrent_misses_of_one_key_wait_for_one_computation, an_answer_is_admitted_at_the_second_sight_or_when_waited_for,
	 a_computation_that_gives_no_answer_lets_the_waiter_compute,
	 a_waiter_stops_waiting_for_a_computation_that_never_ends, the_event_threads_lookup_never_waits,
	 an_etag_only_when_asked, keys_are_compared_whole_not_by_hash, a_large_body_is_kept_as_a_digest,
	 the_slot_hash_depends_on_every_byte_and_the_secret, a_full_table_makes_room_for_a_new_answer)
