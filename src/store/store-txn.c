/*
 * store-txn.c - transactions: this file keeps the nesting depth, the
 * backend speaks BEGIN, SAVEPOINT and their ends.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

/*
 * Transactions nest: a begin inside an open transaction is a savepoint,
 * its commit a release, its rollback undoes only its own work.  So a
 * library call that owns its transaction (src/program/txn.c) composes:
 * alone it commits; run inside a caller's transaction (the server's group
 * commit, src/server/writer.c) it becomes part of that one, and a call
 * that fails takes back only what it wrote.
 *
 * The depth changes only on success for begin and commit (a failed
 * commit leaves its level open for the caller's rollback, as before);
 * a rollback always closes its level, whatever the engine said, so that
 * a caller's cleanup keeps the count right.
 */
/* A savepoint's statement (verb: SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO
 * SAVEPOINT) for the savepoint named for its level. */
static int savepoint(struct store *s, const char *verb, unsigned level)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "%s cv_%u", verb, level);
	return s->ops->savepoint(s->db, sql);
}

int store_begin(struct store *s)
{
	int r = s->depth ? savepoint(s, "SAVEPOINT", s->depth) : s->ops->begin(s->db);

	if (r == 0)
		s->depth++;
	return r;
}

int store_commit(struct store *s)
{
	int r;

	if (s->depth == 0)
		return s->ops->commit(s->db); /* none open: the engine says so */
	r = s->depth > 1 ? savepoint(s, "RELEASE SAVEPOINT", s->depth - 1) : s->ops->commit(s->db);
	if (r == 0)
		s->depth--;
	return r;
}

int store_rollback(struct store *s)
{
	db_forget_groups(s);
	if (s->depth > 1) {
		int r;

		s->depth--;
		/* ROLLBACK TO leaves the savepoint open (SQLite and PostgreSQL
		 * alike): release it too. */
		r = savepoint(s, "ROLLBACK TO SAVEPOINT", s->depth);
		return r < 0 ? r : savepoint(s, "RELEASE SAVEPOINT", s->depth);
	}
	s->depth = 0;
	return s->ops->rollback(s->db);
}

unsigned store_txn_depth(const struct store *s)
{
	return s->depth;
}
