/*
 * store-internal.h - the database interface behind covalid/store.h.
 *
 * The shared query files hold every query covalid makes, written once
 * against this small interface, one file per group of tables:
 * store-catalog.c, store-vendors.c, store-submissions.c,
 * store-settings.c, store-support.c, store-machines.c, store-monitor.c,
 * store-webhooks.c; store-copy.c (backup, and a whole store copied
 * into another); store-open.c (lifecycle, the table of backends),
 * store-txn.c (nesting) and store-query.c (helpers) around them.  A
 * backend (store-sqlite.c; store-pg.c, a placeholder until the PostgreSQL
 * backend comes) implements connections, statements, transactions and
 * its own schema migrations (redis's ae.h over ae_epoll.c / ae_kqueue.c).  SQL uses ?N placeholders
 * and the subset of SQL both engines share; a backend whose engine spells
 * placeholders differently rewrites them in prepare().
 *
 * Portable SQL.  The shared query files (every store*.c but a backend's)
 * are written in what SQLite and PostgreSQL both accept, and
 * test-store-portable's shared_sql_is_portable fails naming the file and
 * line if a spelling only one engine knows comes back.  What had none in common:
 *  - The clock: a write's time is a parameter made by db_now() in C
 *    ("YYYY-MM-DDTHH:MM:SSZ", what strftime(..., 'now') wrote), never
 *    strftime(), datetime() or now().  Column defaults in a backend's own
 *    schema may use its engine's clock.
 *  - Separators: a newline is a newline inside a string literal ('\n'
 *    in the C source), never char(10) or chr(10).
 *  - Substrings: strpos(haystack, needle), PostgreSQL's function; the
 *    SQLite backend registers one of that name and meaning (SQLite's
 *    instr()) on every connection.  A function a backend supplies is
 *    simpler to read than a dialect table of fragments spliced into the
 *    statements, and the statements stay static strings.
 *  - No limit: LIMIT DB_NO_LIMIT (SQLite's -1 is an error in PostgreSQL).
 *  - Upserts: INSERT ... ON CONFLICT (...) DO UPDATE SET c = excluded.c
 *    and ON CONFLICT DO NOTHING, and RETURNING, are spelled alike.
 *  - Words in a list column (engaged vendors, flags, webhook kinds):
 *    strpos() on the list and the word, each wrapped in the separator,
 *    never LIKE, which is case-insensitive in SQLite and not in
 *    PostgreSQL and reads % and _ in an id as wildcards.
 *  - Ties in an ordering: a column of the table's own (the verdict
 *    history's id, migration 7), never SQLite's rowid.
 */
#ifndef COVALID_STORE_INTERNAL_H
#define COVALID_STORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "covalid/store.h"

struct db_stmt;

struct db_ops {
	const char *name;
	/* Opens (creating it only if create) and migrates to the newest
	 * schema, or to schema (>= 0; store_open_at_schema). */
	int (*open)(const char *location, bool create, int schema, void **ret_db, char **ret_errmsg);
	/* Which database this is (a file's device and inode), or NULL. */
	char *(*identity)(void *db);
	/* 0 if the database can be read and written now, else why not. */
	int (*health)(void *db, bool deep, char **ret_why);
	void (*close)(void *db);
	const char *(*errmsg)(void *db);
	int (*schema_version)(void *db, int *ret);
	/* Whether the connection to the database is lost (a request that
	 * failed for that is 503, not 500); NULL: never (a file). */
	bool (*lost)(void *db);
	/* The log's upkeep (store_defer_checkpoints, store_checkpoint). */
	int (*defer_checkpoints)(void *db);
	int (*checkpoint)(void *db);
	/*
	 * store_try_lead(): 1 if this connection leads job (took its lock now
	 * or holds it already; held until the connection closes or is lost),
	 * 0 if another connection does, <0 -errno (message set).  Cheap when
	 * held: called before every pass of a background job.  SQLite: a
	 * flock() on "<file>-lead-<job>"; PostgreSQL: a session-level
	 * advisory lock (pg_try_advisory_lock).  NULL: always 1.
	 */
	int (*try_lead)(void *db, const char *job);
	int (*begin)(void *db);
	/* A failed commit leaves the transaction to the caller's rollback. */
	int (*commit)(void *db);
	int (*rollback)(void *db);
	/*
	 * Nested transactions (store-txn.c keeps the depth and writes the
	 * statements, which SQLite and PostgreSQL spell alike: SAVEPOINT,
	 * RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT): runs one of them, and
	 * only inside the open transaction.  It fails (-EIO, message set)
	 * when the transaction it nests in is no longer open -- an engine
	 * may roll it back whole after an error (SQLite does on a full disk
	 * or an I/O error) -- so that nothing meant to be nested is ever
	 * written on its own.
	 */
	int (*savepoint)(void *db, const char *sql);
	int (*prepare)(void *db, const char *sql, struct db_stmt **ret);
	/* NULL binds SQL NULL; s is not copied: it must outlive the statement's use (db_vquery). */
	void (*bind_text)(struct db_stmt *st, int i, const char *s);
	void (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	/* 1: a row, 0: done, <0: -errno (the message in errmsg()). */
	int (*step)(struct db_stmt *st);
	const char *(*column_text)(struct db_stmt *st, int i); /* NULL for NULL */
	int64_t (*column_int64)(struct db_stmt *st, int i);
	/* Rows changed by the last statement. */
	int64_t (*changes)(void *db);
	void (*finalize)(struct db_stmt *st);

	/* ---- a store's data as a whole (store-copy.c); NULL: not supported ---- */
	/*
	 * A consistent copy of the database written to the file dest (never
	 * half written: a temporary file in dest's directory, fsync'd and
	 * renamed), safe while other connections write.  0 or a negative
	 * errno with *ret_errmsg (allocated).  NULL: the engine has its own
	 * tool (PostgreSQL: pg_dump), which `covalid admin backup` names.
	 */
	int (*backup)(void *db, const char *dest, char **ret_errmsg);
	/*
	 * A read-only transaction whose reads all see one snapshot, taking
	 * no lock that writers wait on, ended by rollback(): the source of a
	 * copy.  NULL: each statement reads on its own.
	 */
	int (*begin_snapshot)(void *db);
	/*
	 * Inside the transaction that copied rows in with their own values
	 * for identity columns (events.seq, deliveries.id,
	 * machine_verdicts.id): moves whatever hands out the next value past
	 * the largest copied (PostgreSQL: setval on each column's sequence).
	 * NULL: nothing to do (SQLite's INTEGER PRIMARY KEY takes max + 1).
	 */
	int (*after_copy)(void *db);
};

/*
 * A store migrated only up to schema version (0: empty), as a released
 * covalid of that schema left it: test-store-migrate's migrations from
 * every released schema.  Opening it again with store_open() migrates it.
 */
int store_open_at_schema(const char *location, int schema, struct store **ret, char **ret_errmsg);

/* The backends, picked by the location's scheme (store-open.c's table). */
extern const struct db_ops db_sqlite;
extern const struct db_ops db_pg;

/* LIMIT's bound for "every row": both engines take it (SQLite's -1 is not portable). */
#define DB_NO_LIMIT ((int64_t)INT64_MAX)

/* ---- what every file of queries shares (store-query.c) ---- */

/* The catalog changed (store-catalog.c): readers' caches keyed by its generation are stale. */
int db_bump_generation(struct store *s);

struct store {
	const struct db_ops *ops;
	void *db;
	/* Transactions open: 0 none, 1 the outer one, more savepoints in it. */
	unsigned depth;
	/* This connection among the process's (store_serial). */
	uint64_t serial;
	/* One setting that never changes once written (store_setting_get_fixed). */
	char *fixed_key, *fixed_value;
	/* The number of configurations at catalog generation
	 * config_count_gen (store_config_count; -1: none yet). */
	int64_t config_count_gen, config_count;
	/* Configuration groups (store-catalog.c) this connection has seen
	 * written, so a write of the same group again skips its INSERT (an
	 * import writes the same few hundred groups a million times).  Any
	 * rollback forgets them all: a group written in a transaction rolled
	 * back is not there.  Groups are never deleted otherwise. */
	struct cv_hmap known_groups;
};

/* Forgets the groups this connection knows (a rollback, a copy into it). */
void db_forget_groups(struct store *s);

typedef int (*db_row_fn)(struct store *s, struct db_stmt *st, void *userdata);

/*
 * Prepares sql, binds the parameters fmt describes ('s': const char *,
 * NULL binds NULL; 'i': int64_t), and calls row for each row (a non-zero
 * return stops and is returned).  Returns 0 or a negative errno.
 */
int db_query(struct store *s, const char *sql, db_row_fn row, void *userdata, const char *fmt, ...);
int db_vquery(struct store *s, const char *sql, db_row_fn row, void *userdata, const char *fmt, va_list ap);
const char *db_col(struct store *s, struct db_stmt *st, int i);
char *db_dup_col(struct store *s, struct db_stmt *st, int i);
/* Row callbacks: the first column of the first row, as a string or an int64_t. */
int db_take_first(struct store *s, struct db_stmt *st, void *userdata);
int db_take_int(struct store *s, struct db_stmt *st, void *userdata);
/* One text value for a one-parameter query, or -ENOENT. */
int db_get_one(struct store *s, const char *sql, const char *key, char **ret);
/* An UPDATE of one row by id (?1) stamped with now (?2): -ENOENT when there was none. */
int db_update_one(struct store *s, const char *sql, const char *id, const char *now);
/*
 * The time a write stamps on a row, "YYYY-MM-DDTHH:MM:SSZ" in UTC, into
 * buf; returns buf, to bind as a parameter.  Times are made here, never
 * by the engine's clock functions (see "Portable SQL" above).
 */
#define DB_NOW_SIZE 21
const char *db_now(char buf[static DB_NOW_SIZE]);
/* A name by id (*ret_name may be NULL: does it exist?), or -ENOENT. */
int db_get_name(struct store *s, const char *sql, const char *id, char **ret_name);
/* Rows of (id, doc) to a store_row_cb; of (id, name, created_at) to a store_org_cb. */
int db_walk_docs(struct store *s, const char *sql, store_row_cb cb, void *userdata, const char *fmt, ...);
int db_walk_orgs(struct store *s, const char *sql, store_org_cb cb, void *userdata);

#endif
