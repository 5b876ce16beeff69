/*
 * test-store-txn.c - the store's conformance suite (issue 15):
 * transactions and rollback (store-txn.c): nesting (a begin inside an open
 * transaction is a savepoint), a failed statement or a full disk (SQLite
 * only) inside a savepoint sparing the enclosing work, the library's calls
 * nesting in a caller's transaction, a lost transaction never continued in
 * autocommit; and on PostgreSQL a dropped connection (its transaction
 * fails whole, the next call reconnects).  Expected values come from
 * store.h's comments, pg-design.md (the dropped connection) and SQLite's
 * documented savepoint semantics (sqlite.org/lang_savepoint.html: RELEASE
 * keeps a savepoint's work in the enclosing transaction, ROLLBACK TO
 * undoes it, only the outermost COMMIT is durable), which PostgreSQL's
 * SAVEPOINT shares (postgresql.org/docs/current/sql-savepoint.html).  The
 * others run once on SQLite and once on a real PostgreSQL (store-suite.h:
 * one cluster per binary, a fresh database per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "store/store-internal.h"
#include "tap.h"

/* ---- conformance: transactions ---- */

static void nested_commits_keep_everything_and_only_the_outer_is_durable(void)
{
	char *loc = new_location("a");
	struct store *s = open_db(loc);

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
	CHECK(!durable_vendor(loc, "inner"));
	CHECK(has_vendor(s, "inner"));
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(durable_vendor(loc, "outer"));
	CHECK(durable_vendor(loc, "inner"));
	CHECK(durable_vendor(loc, "innermost"));
	store_close(s);
	free(loc);
}

static void inner_rollback_undoes_only_its_own_work(void)
{
	char *loc = new_location("b");
	struct store *s = open_db(loc);

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
	CHECK(durable_vendor(loc, "kept"));
	CHECK(durable_vendor(loc, "after"));
	CHECK(!durable_vendor(loc, "undone"));
	CHECK(!durable_vendor(loc, "undone-too"));
	store_close(s);
	free(loc);
}

static void outer_rollback_undoes_released_savepoints(void)
{
	char *loc = new_location("c");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "gone", "Gone"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(!has_vendor(s, "gone"));
	CHECK(!durable_vendor(loc, "gone"));
	/* The writer lock was let go: a new transaction begins. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_rollback(s), 0);
	store_close(s);
	free(loc);
}

/* A statement that fails (a duplicate: -EEXIST) inside a savepoint is taken
 * back with it; the enclosing transaction goes on and commits the rest.
 * (PostgreSQL marks the whole transaction failed on any error until the
 * savepoint is rolled back to: a backend must do that, not lose the rest.) */
static void a_failed_statement_in_a_savepoint_spares_the_enclosing_work(void)
{
	char *loc = new_location("d");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "first", "First"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "first", "First again"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_customer_add(s, "cust", "Customer"), 0);
	CHECK_INT(store_customer_add(s, "cust", "Customer"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_vendor_add(s, "second", "Second"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "first"));
	CHECK(durable_vendor(loc, "second"));
	CHECK_INT(store_customer_get(s, "cust", NULL), -ENOENT);
	store_close(s);
	free(loc);
}

/* The library's calls own their transactions (src/program/txn.c); inside a
 * caller's they nest, and one that fails takes back only its own. */
static void library_calls_nest_in_a_callers_transaction(void)
{
	char *loc = new_location("e");
	struct store *s = open_db(loc);
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
	CHECK(!durable_vendor(loc, "first"));
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "first"));
	free(tok);
	free(tid);

	/* And the caller's rollback takes back calls that "committed". */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_vendor_admit(s, "Second Vendor", "second", &id, &e), 0);
	free(id);
	CHECK_INT(store_rollback(s), 0);
	CHECK(!durable_vendor(loc, "second"));
	CHECK(!has_vendor(s, "second"));
	store_close(s);
	free(loc);
}

/* The engine rolled the transaction back under its savepoints (as SQLite
 * does after some I/O errors): nesting further, releasing or committing
 * fails (-EIO, store-internal.h's db_ops), and nothing meant for that
 * transaction is written alone. */
static void a_lost_transaction_is_never_continued_in_autocommit(void)
{
	char *loc = new_location("f");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "before", "Before"), 0);
	CHECK_INT(store_begin(s), 0);
	/* What the engine does on its own after such an error. */
	CHECK_INT(db_query(s, "ROLLBACK", NULL, NULL, NULL), 0);
	CHECK_INT(store_begin(s), -EIO);
	CHECK(*store_errmsg(s));
	if (suite_backend == SUITE_SQLITE)
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
	CHECK(!durable_vendor(loc, "before"));
	/* And the store works on. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "after"));
	store_close(s);
	free(loc);
}

/* ---- PostgreSQL only: a dropped connection ---- */

static int64_t backend_pid(struct store *s)
{
	int64_t pid = -1;

	CHECK_INT(db_query(s, "SELECT pg_backend_pid()", db_take_int, &pid, NULL), 1);
	return pid;
}

static void drop_connection(const char *loc, int64_t pid)
{
	struct store *o = open_db(loc);
	int64_t gone = 0;

	CHECK_INT(db_query(o, "SELECT count(*) FROM (SELECT pg_terminate_backend(CAST(?1 AS integer))) t", db_take_int,
			   &gone, "i", pid),
		  1);
	store_close(o);
	usleep(100 * 1000); /* the backend is gone once its client reads the socket */
}

/*
 * pg-design.md: "A dropped connection: the failing call returns
 * -ECONNRESET/-EIO with a message"; the transaction it was in is gone,
 * never half written, and the store connects again for the next call
 * outside a transaction.
 */
static void a_dropped_connection_fails_its_transaction_and_reconnects(void)
{
	char *loc;
	struct store *s;
	int r;

	suite_backend = SUITE_PG;
	loc = new_location("drop");
	s = open_db(loc);
	/* Inside a transaction: what it wrote is lost, and the caller learns so. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "lost", "Lost"), 0);
	drop_connection(loc, backend_pid(s));
	r = store_vendor_add(s, "lost-too", "Lost too");
	if (r == 0)
		r = store_commit(s);
	CHECK(r == -ECONNRESET || r == -EIO);
	CHECK(*store_errmsg(s));
	/* What the server answers 503 for (store.h). */
	CHECK(store_unavailable(s));
	store_rollback(s);
	CHECK_INT(store_txn_depth(s), 0);
	/* The next call outside a transaction works (connected again). */
	CHECK_INT(store_vendor_get(s, "lost", NULL), -ENOENT);
	CHECK(!store_unavailable(s));
	CHECK(!durable_vendor(loc, "lost"));
	CHECK(!durable_vendor(loc, "lost-too"));
	/* Outside a transaction: the call that meets the broken connection
	 * may fail, the one after it works. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "kept", "Kept"), 0);
	CHECK_INT(store_commit(s), 0);
	drop_connection(loc, backend_pid(s));
	r = store_vendor_get(s, "kept", NULL);
	if (r < 0) {
		CHECK(r == -ECONNRESET || r == -EIO);
		r = store_vendor_get(s, "kept", NULL);
	}
	CHECK_INT(r, 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "after"));
	store_close(s);
	free(loc);
}

/* A statement that fails inside a savepoint (a full database) is taken back
 * with its savepoint; the transaction around it commits the rest. */
TEST(a_full_database_in_a_savepoint_spares_the_enclosing_work)
{
	char *loc = new_location("e");
	struct store *s = open_db(loc);
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
		CHECK(durable_vendor(loc, "small"));
	} else {
		CHECK(store_commit(s) < 0);
		store_rollback(s);
		CHECK(!durable_vendor(loc, "small"));
	}
	CHECK(!durable_vendor(loc, "big"));
	CHECK_INT(store_txn_depth(s), 0);
	store_close(s);
	free(loc);
}

#define BOTH(X)                                                         \
	X(nested_commits_keep_everything_and_only_the_outer_is_durable) \
	X(inner_rollback_undoes_only_its_own_work)                      \
	X(outer_rollback_undoes_released_savepoints)                    \
	X(a_failed_statement_in_a_savepoint_spares_the_enclosing_work)  \
	X(library_calls_nest_in_a_callers_transaction)                  \
	X(a_lost_transaction_is_never_continued_in_autocommit)
BOTH(SUITE_ON_BOTH)

int main(int argc, char **argv)
{
	static const struct tap_test sqlite[] = {
		BOTH(SUITE_SQLITE_ENTRY)
		TAP_E1(a_full_database_in_a_savepoint_spares_the_enclosing_work),
	};
	static const struct tap_test pg[] = {
		BOTH(SUITE_PG_ENTRY)
		SUITE_PG_ONLY(a_dropped_connection_fails_its_transaction_and_reconnects),
	};

	return suite_run(argc, argv, sqlite, CV_ELEMENTSOF(sqlite), pg, CV_ELEMENTSOF(pg));
}
