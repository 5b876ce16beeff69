/*
 * txn.c - the program's one transaction convention: every library call
 * that writes owns its transaction (begins, commits, rolls back), so a
 * handler or a command never holds the store open across its own calls
 * and never writes through the store directly (docs/ARCHITECTURE.md).
 * A store that cannot begin or commit is 503: nothing was changed, and
 * the client may try again.  (A call whose whole write is one statement,
 * as support's customer_add, is one transaction by the store's own
 * autocommit; a call that reads before it writes, or writes twice, begins
 * one here.)
 *
 * Inside a caller's transaction these nest (store.h): begin is a
 * savepoint, end releases it or rolls back to it.  The server's group
 * commit (src/server/writer.c) runs many requests' calls in one
 * transaction that way: a call that fails takes back only its own work,
 * and nothing is durable, or acknowledged, before the batch's commit.
 */
#include "covalid/program.h"
#include "covalid/store.h"
#include "program/program-internal.h"

int program_txn_begin(struct store *s, struct program_error *err)
{
	int r = store_begin(s);

	if (r < 0)
		program_error_set(err, 503, "unavailable", "nothing was changed: %s", store_errmsg(s));
	return r;
}

int program_txn_end(struct store *s, int r, struct program_error *err)
{
	if (r == 0) {
		r = store_commit(s);
		if (r == 0)
			return 0;
		program_error_set(err, 503, "busy", "the write could not be committed; nothing was changed");
	}
	store_rollback(s);
	return r;
}
