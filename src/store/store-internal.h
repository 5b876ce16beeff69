/*
 * store-internal.h - the database interface behind covalid/store.h.
 *
 * store.c holds every query covalid makes, written once against this small
 * interface; a backend (store-sqlite.c; a PostgreSQL one next) implements
 * connections, statements, transactions and its own schema migrations
 * (redis's ae.h over ae_epoll.c / ae_kqueue.c).  SQL uses ?N placeholders
 * and the subset of SQL both engines share; a backend whose engine spells
 * placeholders differently rewrites them in prepare().
 */
#ifndef COVALID_STORE_INTERNAL_H
#define COVALID_STORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/store.h"

struct db_stmt;

struct db_ops {
	const char *name;
	/* Opens and migrates to the newest schema. */
	int (*open)(const char *location, void **ret_db, char **ret_errmsg);
	void (*close)(void *db);
	const char *(*errmsg)(void *db);
	int (*schema_version)(void *db, int *ret);
	int (*begin)(void *db);
	int (*commit)(void *db);
	int (*rollback)(void *db);
	int (*prepare)(void *db, const char *sql, struct db_stmt **ret);
	void (*bind_text)(struct db_stmt *st, int i, const char *s); /* NULL binds SQL NULL */
	void (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	/* 1: a row, 0: done, <0: -errno (the message in errmsg()). */
	int (*step)(struct db_stmt *st);
	const char *(*column_text)(struct db_stmt *st, int i); /* NULL for NULL */
	int64_t (*column_int64)(struct db_stmt *st, int i);
	/* Rows changed by the last statement. */
	int64_t (*changes)(void *db);
	void (*finalize)(struct db_stmt *st);
};

extern const struct db_ops db_sqlite;

#endif
