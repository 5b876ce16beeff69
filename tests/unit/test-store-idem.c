/*
 * test-store-idem.c - the store's conformance suite: Idempotency-Keys
 * (store.h, "idempotency keys"), on SQLite and on a real PostgreSQL
 * (store-suite.h).  Expected values come from store.h's contract: a key
 * is recorded in the caller's transaction (a rollback forgets it), once
 * per principal (-EEXIST after), with the answer kept later, and
 * forgotten by age.
 */
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

static void claim_answer_prune(void)
{
	char *loc = new_location("a"), *err = NULL;
	struct store *s = NULL, *t = NULL;
	struct store_idem_row *row = NULL;

	CHECK_INT(store_open(loc, &s, &err), 0);
	CHECK_INT(store_open(loc, &t, &err), 0);
	CHECK_INT(store_idem_get(s, "token:a", "k1", &row), -ENOENT);

	/* A claim rolled back with its write is not there. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_idem_claim(s, "token:a", "k1", "fp1", 1000), 0);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_idem_get(t, "token:a", "k1", &row), -ENOENT);

	/* Kept with the commit, seen by another connection, not yet answered. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_idem_claim(s, "token:a", "k1", "fp1", 1000), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_idem_get(t, "token:a", "k1", &row), 0);
	if (row) {
		CHECK_STR(row->fingerprint, "fp1");
		CHECK_INT(row->status, 0);
		CHECK(!row->body && !row->content_type && !row->location);
		store_idem_free(row);
		row = NULL;
	}
	/* Once per principal and key, whatever the fingerprint; another
	 * principal's key of the same name is its own. */
	CHECK_INT(store_begin(t), 0);
	CHECK_INT(store_idem_claim(t, "token:a", "k1", "fp2", 1001), -EEXIST);
	CHECK_INT(store_idem_claim(t, "token:b", "k1", "fp2", 1001), 0);
	CHECK_INT(store_commit(t), 0);

	/* The answer, kept afterwards in a write of its own. */
	CHECK_INT(store_idem_answer(s, "token:a", "k1", 201, "application/json", "/api/v1/cases/x",
				    "{\"id\":\"x\",\"note\":\"caf\xc3\xa9\"}"),
		  0);
	CHECK_INT(store_idem_answer(s, "token:a", "nope", 200, NULL, NULL, "{}"), -ENOENT);
	CHECK_INT(store_idem_get(t, "token:a", "k1", &row), 0);
	if (row) {
		CHECK_INT(row->status, 201);
		CHECK_STR(row->content_type, "application/json");
		CHECK_STR(row->location, "/api/v1/cases/x");
		CHECK_STR(row->body, "{\"id\":\"x\",\"note\":\"caf\xc3\xa9\"}");
		store_idem_free(row);
		row = NULL;
	}

	/* Forgotten by age: claimed before 1001 goes, at 1001 stays. */
	CHECK_INT(store_idem_prune(s, 1001), 0);
	CHECK_INT(store_idem_get(t, "token:a", "k1", &row), -ENOENT);
	CHECK_INT(store_idem_get(t, "token:b", "k1", &row), 0);
	store_idem_free(row);
	store_close(s);
	store_close(t);
	free(loc);
}

#define BOTH(X) X(claim_answer_prune)
SUITE_MAIN(BOTH)
