/*
 * test-store-values.c - the store's conformance suite (issue 15): values
 * come back as they went in, byte for byte (quotes, backslashes,
 * placeholders, UTF-8), and lists are in byte order of ids on a cluster
 * that sorts text by ICU's en-US.  Expected values come from store.h's
 * comments (its contract).  Each test runs once on SQLite and once on a
 * real PostgreSQL (store-suite.h: one cluster per binary, a fresh database
 * per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

/* ---- conformance: values come back as they went in ---- */

/* Text a backend might mangle: quotes, backslashes, placeholders of
 * either engine's spelling, newlines and tabs, non-ASCII, and LIKE's
 * wildcards in ids matched as whole words. */
static const char tricky[] = "O'Brien \"quoted\" back\\slash ?1 $1 :name %_ \t tab\nnew line caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x96\xa5";

static void values_round_trip_unchanged(void)
{
	char *loc = new_location("vals");
	struct store *s = open_db(loc);
	char *big = NULL, *doc = NULL, *got = NULL;
	size_t big_len = 1 << 20;
	struct store_machine_row *m = NULL;
	struct cv_strv v;

	cv_strv_init(&v);
	/* A document of a megabyte (a large descriptor or test log). */
	big = cv_xmalloc(big_len + 1);
	{
		size_t n = 0;

		n += (size_t)snprintf(big, big_len, "{\"t\":\"");
		while (n + 16 < big_len) {
			memcpy(big + n, "caf\xc3\xa9 0123456 ", 13);
			n += 13;
		}
		memcpy(big + n, "\"}", 3);
	}
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "a_b", tricky), 0);
	CHECK_INT(store_vendor_add(s, "axb", "Axb"), 0);
	CHECK_INT(store_vendor_add(s, "a%", "A percent"), 0);
	CHECK_INT(store_customer_add(s, "cu", "Cu"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_vendor_get(s, "a_b", &got), 0);
	CHECK_STR(got, tricky);
	free(got);
	got = NULL;
	CHECK_INT(store_setting_put(s, "tricky", tricky), 0);
	CHECK_INT(store_setting_get(s, "tricky", &got), 0);
	CHECK_STR(got, tricky);
	free(got);
	got = NULL;
	CHECK_INT(store_policy_put(s, big), 0);
	CHECK_INT(store_policy_get(s, &doc), 0);
	CHECK(doc && strcmp(doc, big) == 0);
	free(doc);
	doc = NULL;
	add_machine(s, "m1", "cu", tricky, tricky, "cred", 1);
	CHECK_INT(store_machine_set_descriptor(s, "m1", big), 0);
	CHECK_INT(store_machine_get(s, "m1", &m), 0);
	if (m) {
		CHECK(m->descriptor && strcmp(m->descriptor, big) == 0);
		CHECK_STR(m->name, tricky);
		CHECK_STR(m->machine_key, tricky);
		store_machine_free(m);
	}
	CHECK_INT(store_machine_find_key(s, "cu", tricky, &got), 0);
	CHECK_STR(got, "m1");
	free(got);
	got = NULL;
	/* Ids with LIKE's wildcards are matched as they are, whole. */
	add_case(s, "k1", "cu", "axb", "a_b", "open", 1, NULL);
	add_case(s, "k2", "cu", "a_b", "", "open", 1, NULL);
	add_case(s, "k3", "cu", "axb", "a%", "open", 1, NULL);
	CHECK_INT(store_case_list(s, NULL, "a_b", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k2");
	CHECK_INT(store_case_list(s, NULL, "a%", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k3");
	CHECK_INT(store_case_list(s, NULL, "axb", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k3");
	/* Filters find text with the same characters in it. */
	{
		struct store_product_row p = { .id = "p1", .kind = "guest_os", .vendor = "V", .product = tricky,
					       .version = "1", .osinfo = NULL, .doc = "{\"n\":\"caf\xc3\xa9 ?1\"}" };
		struct store_query q = { .text = "caf\xc3\xa9 ?1" };

		CHECK_INT(store_product_put(s, &p, NULL), 0);
		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "p1");
		q.text = "$1";
		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "");
	}
	free(big);
	store_close(s);
	free(loc);
}

/*
 * "In id order" is one order on every backend: SQLite compares text with
 * its BINARY collation, memcmp() of the UTF-8 bytes
 * (sqlite.org/datatype3.html#collation), and a backend whose engine
 * sorts by a language's rules (a PostgreSQL cluster made in en_US, or
 * ICU's) must still list ids so, or pages by offset differ between
 * backends.  Byte order: "B" (0x42) before "a" (0x61), "a-b" (0x2D)
 * before "a.b" (0x2E) before "a_b" (0x5F) before "ab".
 */
static void lists_are_in_byte_order_of_ids(void)
{
	static const char *const ids[] = { "ab", "a_b", "B", "a.b", "a-b", "caf\xc3\xa9", "cafe", "Z" };
	char *loc = new_location("order");
	struct store *s = open_db(loc);
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_begin(s), 0);
	for (size_t i = 0; i < CV_ELEMENTSOF(ids); i++) {
		CHECK_INT(store_vendor_add(s, ids[i], ids[i]), 0);
		CHECK_INT(store_customer_add(s, ids[i], ids[i]), 0);
		put_config(s, ids[i], "validated", "g", "G", "G OS", "h", "H", "H HV", "", "{}");
	}
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_vendor_list(s, push_doc_org, &v), 0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	CHECK_INT(store_customer_list(s, push_doc_org, &v), 0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	CHECK_INT(store_config_list(s, NULL, push_doc, &v), 0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	{
		struct store_query q = { .limit = 3, .offset = 2 };

		CHECK_INT(store_config_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "a-b,a.b,a_b");
	}
	/* Machines by name (store.h: "then by name"), as bytes too. */
	for (size_t i = 0; i < CV_ELEMENTSOF(ids); i++) {
		char id[32], cred[32];

		snprintf(id, sizeof(id), "m%zu", i);
		snprintf(cred, sizeof(cred), "cred%zu", i);
		add_machine(s, id, "B", ids[i], ids[i], cred, 1);
	}
	CHECK_INT(store_machine_list(s, &(struct store_machine_query){ .customer_id = "B", .late = -1 }, push_machine_name,
				     &v),
		  0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	store_close(s);
	free(loc);
}

#define BOTH(X)                           \
	X(values_round_trip_unchanged)    \
	X(lists_are_in_byte_order_of_ids)
SUITE_MAIN(BOTH)
