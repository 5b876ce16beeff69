/*
 * test-store.c - the store's transactions: nesting (a begin inside an
 * open transaction is a savepoint), what each level's commit and rollback
 * keep or undo, the library's own transactions inside a caller's (the
 * server's group commit), and a transaction the engine rolled back under
 * its savepoints (nothing meant to be nested is then written alone).
 *
 * Expected behaviour is SQLite's documented savepoint semantics
 * (sqlite.org/lang_savepoint.html: RELEASE keeps a savepoint's work in
 * the enclosing transaction, ROLLBACK TO undoes it, only the outermost
 * COMMIT is durable) and store.h's contract.
 */
#include <stdio.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store/store-internal.h"
#include "tap.h"

static struct store *open_db(const char *name)
{
	struct store *s = NULL;
	char *err = NULL, path[4096];

	snprintf(path, sizeof(path), "%s/%s", tap_tmpdir(), name);
	if (store_open(path, &s, &err) < 0) {
		tap_fail(__FILE__, __LINE__, "store_open %s: %s", path, err ? err : "?");
		exit(1);
	}
	return s;
}

static bool has_vendor(struct store *s, const char *id)
{
	return store_vendor_get(s, id, NULL) == 0;
}

/* A second connection: what is durable, not what this one sees in its transaction. */
static bool durable_vendor(const char *db, const char *id)
{
	struct store *o = open_db(db);
	bool there = has_vendor(o, id);

	store_close(o);
	return there;
}

TEST(nested_commits_keep_everything_and_only_the_outer_is_durable)
{
	struct store *s = open_db("a.db");

	CHECK_INT(store_txn_depth(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "outer", "Outer"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_txn_depth(s), 2);
	CHECK_INT(store_vendor_add(s, "inner", "Inner"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_txn_depth(s), 3);
	CHECK_INT(store_vendor_add(s, "innermost", "Innermost"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_txn_depth(s), 1);
	/* Released savepoints are not durable until the outer commit. */
	CHECK(!durable_vendor("a.db", "inner"));
	CHECK(has_vendor(s, "inner"));
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(durable_vendor("a.db", "outer"));
	CHECK(durable_vendor("a.db", "inner"));
	CHECK(durable_vendor("a.db", "innermost"));
	store_close(s);
}

TEST(inner_rollback_undoes_only_its_own_work)
{
	struct store *s = open_db("b.db");

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "kept", "Kept"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "undone", "Undone"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "undone-too", "Undone too"), 0);
	CHECK_INT(store_commit(s), 0); /* into "undone"'s level, which is rolled back */
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK(!has_vendor(s, "undone"));
	CHECK(!has_vendor(s, "undone-too"));
	CHECK(has_vendor(s, "kept"));
	/* The same level again: a savepoint rolled back is released, not left behind. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor("b.db", "kept"));
	CHECK(durable_vendor("b.db", "after"));
	CHECK(!durable_vendor("b.db", "undone"));
	CHECK(!durable_vendor("b.db", "undone-too"));
	store_close(s);
}

TEST(outer_rollback_undoes_released_savepoints)
{
	struct store *s = open_db("c.db");

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "gone", "Gone"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(!has_vendor(s, "gone"));
	CHECK(!durable_vendor("c.db", "gone"));
	/* The writer lock was let go: a new transaction begins. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_rollback(s), 0);
	store_close(s);
}

/* The library's calls own their transactions (src/program/txn.c); inside a
 * caller's they nest, and one that fails takes back only its own. */
TEST(library_calls_nest_in_a_callers_transaction)
{
	struct store *s = open_db("d.db");
	struct program_error e = { 0 };
	char *id = NULL, *tok = NULL, *tid = NULL;

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_vendor_admit(s, "First Vendor", "first", &id, &e), 0);
	free(id);
	id = NULL;
	CHECK_INT(store_txn_depth(s), 1);
	/* A duplicate: 409, and the first stays. */
	CHECK(program_vendor_admit(s, "First Vendor", "first", &id, &e) < 0);
	CHECK_INT(e.http, 409);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK_INT(program_token_issue(s, "first", "ci", &tok, &tid, &e), 0);
	/* A call that fails half-way (the vendor does not exist) leaves nothing. */
	CHECK(program_key_revoke(s, "no-such-key", &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK(!durable_vendor("d.db", "first"));
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor("d.db", "first"));
	free(tok);
	free(tid);

	/* And the caller's rollback takes back calls that "committed". */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_vendor_admit(s, "Second Vendor", "second", &id, &e), 0);
	free(id);
	CHECK_INT(store_rollback(s), 0);
	CHECK(!durable_vendor("d.db", "second"));
	CHECK(!has_vendor(s, "second"));
	store_close(s);
}

/* A statement that fails inside a savepoint (a full database) is taken back
 * with its savepoint; the transaction around it commits the rest. */
TEST(a_full_database_in_a_savepoint_spares_the_enclosing_work)
{
	struct store *s = open_db("e.db");
	int64_t pages = 0;
	char big[200000], sql[64];
	int r;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "small", "Small"), 0);
	CHECK_INT(db_query(s, "PRAGMA page_count", db_take_int, &pages, NULL), 1); /* stopped at its row */
	CHECK(pages > 0);
	/* The database may not grow: a large row does not fit (SQLITE_FULL). */
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages);
	CHECK_INT(db_query(s, sql, NULL, NULL, NULL), 0);
	CHECK_INT(store_begin(s), 0);
	r = store_vendor_add(s, "big", big);
	CHECK_INT(r, -ENOSPC);
	/* SQLite rolls back the statement, or the whole transaction; either
	 * way nothing of "big" is kept, and what the store says next is true. */
	if (store_rollback(s) == 0) {
		CHECK_INT(store_commit(s), 0);
		CHECK(durable_vendor("e.db", "small"));
	} else {
		CHECK(store_commit(s) < 0);
		store_rollback(s);
		CHECK(!durable_vendor("e.db", "small"));
	}
	CHECK(!durable_vendor("e.db", "big"));
	CHECK_INT(store_txn_depth(s), 0);
	store_close(s);
}

/* The engine rolled the transaction back under its savepoints (as SQLite
 * does after some I/O errors): nesting further, releasing or committing
 * fails, and nothing meant for that transaction is written alone. */
TEST(a_lost_transaction_is_never_continued_in_autocommit)
{
	struct store *s = open_db("f.db");

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "before", "Before"), 0);
	CHECK_INT(store_begin(s), 0);
	/* What the engine does on its own after such an error. */
	CHECK_INT(db_query(s, "ROLLBACK", NULL, NULL, NULL), 0);
	CHECK_INT(store_begin(s), -EIO);
	CHECK(strstr(store_errmsg(s), "rolled back"));
	CHECK_INT(store_commit(s), -EIO); /* the release */
	CHECK_INT(store_txn_depth(s), 2);
	CHECK_INT(store_rollback(s), -EIO);
	CHECK_INT(store_txn_depth(s), 1);
	/* A savepoint now would have begun a transaction of its own. */
	CHECK_INT(store_begin(s), -EIO);
	CHECK(store_commit(s) < 0);
	store_rollback(s);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(!durable_vendor("f.db", "before"));
	/* And the store works on. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor("f.db", "after"));
	store_close(s);
}

TAP_MAIN(nested_commits_keep_everything_and_only_the_outer_is_durable, inner_rollback_undoes_only_its_own_work,
	 outer_rollback_undoes_released_savepoints, library_calls_nest_in_a_callers_transaction,
	 a_full_database_in_a_savepoint_spares_the_enclosing_work, a_lost_transaction_is_never_continued_in_autocommit)
