/*
 * test-store-vendors.c - the store's conformance suite (issue 15):
 * vendors, keys and tokens (store-vendors.c), tokens' expiry and last use.
 * Expected values come from store.h's comments (its contract).  Each test
 * runs once on SQLite and once on a real PostgreSQL (store-suite.h: one
 * cluster per binary, a fresh database per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

/* ---- conformance: vendors, keys, tokens ---- */

static int push_key(void *u, const char *key_id, const char *vendor_id, const char *public_key,
		    const char *created_at, const char *revoked_at)
{
	(void)public_key;
	CHECK(is_store_time(created_at));
	cv_strv_push_take(u, cv_xasprintf("%s/%s%s", key_id, vendor_id, revoked_at ? "/revoked" : ""));
	if (revoked_at)
		CHECK(is_store_time(revoked_at));
	return 0;
}

static int push_token(void *u, const struct store_token_row *t)
{
	CHECK(is_store_time(t->created_at));
	cv_strv_push_take(u, cv_xasprintf("%s/%s%s", t->id, t->role, t->revoked_at ? "/revoked" : ""));
	return 0;
}

static int stop_at_first(void *u, const char *id, const char *name, const char *created_at)
{
	(void)name;
	(void)created_at;
	cv_strv_push(u, id);
	return 42;
}

static void vendors_keys_tokens(void)
{
	char *loc = new_location("v");
	struct store *s = open_db(loc);
	char *name = NULL, *vid = NULL, *pk = NULL;
	struct store_token_row *t = NULL;
	bool revoked = true;
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "red-hat", "Red Hat"), 0);
	CHECK_INT(store_vendor_add(s, "microsoft", "Microsoft"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "red-hat", "Red Hat again"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_vendor_get(s, "red-hat", &name), 0);
	CHECK_STR(name, "Red Hat");
	free(name);
	CHECK_INT(store_vendor_get(s, "nobody", &name), -ENOENT);
	CHECK_INT(store_vendor_list(s, push_org, &v), 0);
	CHECK_LIST(&v, false, "microsoft,red-hat");
	/* A callback's non-zero return stops the walk and is returned. */
	CHECK_INT(store_vendor_list(s, stop_at_first, &v), 42);
	CHECK_LIST(&v, false, "microsoft");

	/* Keys. */
	CHECK_INT(store_key_add(s, "k1", "red-hat", "pk-one"), 0);
	CHECK_INT(store_key_add(s, "k2", "microsoft", "pk-two"), 0);
	CHECK_INT(store_key_add(s, "k3", "red-hat", "pk-three"), 0);
	CHECK_INT(store_key_get(s, "k1", &vid, &pk, &revoked), 0);
	CHECK_STR(vid, "red-hat");
	CHECK_STR(pk, "pk-one");
	CHECK(!revoked);
	free(vid);
	free(pk);
	CHECK_INT(store_key_get(s, "k9", NULL, NULL, NULL), -ENOENT);
	CHECK_INT(store_key_revoke(s, "k1"), 0);
	CHECK_INT(store_key_get(s, "k1", NULL, NULL, &revoked), 0);
	CHECK(revoked);
	CHECK_INT(store_key_list(s, "red-hat", push_key, &v), 0);
	CHECK_LIST(&v, true, "k1/red-hat/revoked,k3/red-hat");
	CHECK_INT(store_key_list(s, NULL, push_key, &v), 0);
	CHECK_LIST(&v, true, "k1/red-hat/revoked,k2/microsoft,k3/red-hat");

	/* Tokens: a hash each, found while live. */
	CHECK_INT(store_customer_add(s, "contoso", "Contoso"), 0);
	{
		struct store_token_row rows[] = {
			{ .id = "t-admin", .role = "admin", .name = "Owner", .description = "the owner" },
			{ .id = "t-vendor", .role = "vendor", .vendor_id = "red-hat", .name = "Engineer" },
			{ .id = "t-mgr", .role = "vendor-manager", .vendor_id = "microsoft", .name = "Manager" },
			{ .id = "t-cust", .role = "customer", .customer_id = "contoso", .name = "Admin" },
		};
		const char *hashes[] = { "h-admin", "h-vendor", "h-mgr", "h-cust" };

		for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++)
			CHECK_INT(store_token_add(s, hashes[i], &rows[i]), 0);
	}
	CHECK_INT(store_token_find(s, "h-cust", &t), 0);
	if (t) {
		CHECK_STR(t->id, "t-cust");
		CHECK_STR(t->role, "customer");
		CHECK_STR(t->customer_id, "contoso");
		CHECK_STR(t->vendor_id, NULL);
		CHECK_STR(t->name, "Admin");
		CHECK_STR(t->revoked_at, NULL);
		CHECK(is_store_time(t->created_at));
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h-admin", &t), 0);
	if (t) {
		CHECK_STR(t->description, "the owner");
		CHECK_STR(t->vendor_id, NULL);
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h-mgr", &t), 0);
	if (t) {
		CHECK_STR(t->vendor_id, "microsoft");
		CHECK_STR(t->role, "vendor-manager");
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h-none", &t), -ENOENT);
	CHECK_INT(store_token_revoke(s, "t-vendor"), 0);
	CHECK_INT(store_token_find(s, "h-vendor", &t), -ENOENT);
	CHECK_INT(store_token_revoke(s, "t-vendor"), -ENOENT);
	CHECK_INT(store_token_revoke(s, "t-none"), -ENOENT);
	/* Listed whether revoked or not. */
	CHECK_INT(store_token_list(s, STORE_TOKENS_BY_CREATION, push_token, &v), 0);
	CHECK_LIST(&v, true, "t-admin/admin,t-cust/customer,t-mgr/vendor-manager,t-vendor/vendor/revoked");
	store_close(s);
	free(loc);
}

static int push_token_use(void *u, const struct store_token_row *t)
{
	cv_strv_push_take(u, cv_xasprintf("%s@%s", t->id, t->last_used_at ? t->last_used_at : "never"));
	return 0;
}

/* Tokens' expiry and last use (store.h): expires_at kept and returned, an
 * expired token still found (the caller compares); a use recorded at most
 * once per interval; listed by last use, never-used last. */
static void token_expiry_and_last_use(void)
{
	char *loc = new_location("tok");
	struct store *s = open_db(loc);
	struct store_token_row *t = NULL;
	bool written = false;
	struct cv_strv v;

	cv_strv_init(&v);
	{
		struct store_token_row rows[] = {
			{ .id = "t1", .role = "admin", .name = "One", .expires_at = "2000-01-01T00:00:00Z",
			  .last_used_at = "2026-01-01T00:00:00Z" /* not read */ },
			{ .id = "t2", .role = "admin", .name = "Two" },
			{ .id = "t3", .role = "admin", .name = "Three", .expires_at = "2099-12-31T23:59:59Z" },
			{ .id = "t4", .role = "admin", .name = "Four" },
		};
		const char *hashes[] = { "h1", "h2", "h3", "h4" };

		for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++)
			CHECK_INT(store_token_add(s, hashes[i], &rows[i]), 0);
	}
	CHECK_INT(store_token_find(s, "h1", &t), 0); /* expired, still found */
	if (t) {
		CHECK_STR(t->expires_at, "2000-01-01T00:00:00Z");
		CHECK_STR(t->last_used_at, NULL);
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h2", &t), 0);
	if (t) {
		CHECK_STR(t->expires_at, NULL);
		store_token_free(t);
		t = NULL;
	}
	/* A use, then none recorded again within the interval, then one after it. */
	CHECK_INT(store_token_touch(s, "t2", "2026-12-02T10:00:00Z", "2026-12-02T09:59:00Z", &written), 0);
	CHECK(written);
	CHECK_INT(store_token_touch(s, "t2", "2026-12-02T10:00:30Z", "2026-12-02T09:59:30Z", &written), 0);
	CHECK(!written);
	CHECK_INT(store_token_find(s, "h2", &t), 0);
	if (t) {
		CHECK_STR(t->last_used_at, "2026-12-02T10:00:00Z");
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_touch(s, "t2", "2026-12-02T10:02:00Z", "2026-12-02T10:01:00Z", &written), 0);
	CHECK(written);
	CHECK_INT(store_token_touch(s, "t3", "2026-12-02T10:01:00Z", "2026-12-02T10:00:00Z", NULL), 0);
	CHECK_INT(store_token_touch(s, "t1", "2026-11-01T00:00:00Z", "2026-10-31T23:59:00Z", &written), 0);
	CHECK(written);
	/* Most recently used first; never used last, oldest first. */
	CHECK_INT(store_token_list(s, STORE_TOKENS_BY_LAST_USE, push_token_use, &v), 0);
	CHECK_LIST(&v, false,
		   "t2@2026-12-02T10:02:00Z,t3@2026-12-02T10:01:00Z,t1@2026-11-01T00:00:00Z,t4@never");
	store_close(s);
	free(loc);
}

#define BOTH(X)                      \
	X(vendors_keys_tokens)       \
	X(token_expiry_and_last_use)
SUITE_MAIN(BOTH)
