/*
 * covalid/store-copy.h - a store's data as a whole: a backup of it, and a
 * copy of it into another store (`covalid admin backup`, `covalid admin
 * migrate`; docs/deploy.md).
 *
 * A backup is a backend's own (SQLite's online backup API); a backend
 * without one (PostgreSQL: pg_dump is the tool) answers -EOPNOTSUPP.
 *
 * A copy goes through the store interface only, so any backend copies to
 * any other: every table, in an order that satisfies its foreign keys, is
 * read from the source (in one read snapshot where the backend has one)
 * and written to the destination in one transaction.  The destination
 * must hold no rows (a freshly made schema); the copy is then verified,
 * before that transaction commits, by each table's row count and digest
 * computed the same way on both sides, and rolled back on any difference.
 *
 * Both stores are used by the calling thread only, for the call's length.
 */
#ifndef COVALID_STORE_COPY_H
#define COVALID_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

struct store;

/*
 * Writes a consistent copy of the store to the file dest: a temporary
 * file in dest's directory, checked, fsync'd and renamed over dest, so
 * dest is never half written; safe while other connections (a server)
 * write.  dest must not be the store's own file.  0, -EOPNOTSUPP (the
 * backend has no backup of its own), or a negative errno with
 * *ret_errmsg (allocated) saying why.
 */
int store_backup(struct store *s, const char *dest, char **ret_errmsg) CV_WUR;

/* One table's verification: rows and digests (BLAKE2b-256, hex) on each side. */
struct store_copy_check {
	const char *table; /* static */
	int64_t source_rows, dest_rows;
	char source_digest[65], dest_digest[65];
};

/*
 * Copies every table of src into dst and verifies the copy (above).
 * Returns 0 (verified and committed); -EBADE (a table differs: nothing
 * committed); -ENOTEMPTY (dst holds rows: nothing written; *ret_errmsg
 * names the table); -EBADMSG (the source does not read whole: its deep
 * health check failed); or another negative errno with *ret_errmsg.  The
 * checks (*ret_checks, *ret_n; free with free()) are written on 0 and
 * -EBADE.
 */
int store_copy(struct store *src, struct store *dst, struct store_copy_check **ret_checks, size_t *ret_n,
	       char **ret_errmsg) CV_WUR;

#endif
