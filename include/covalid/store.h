/*
 * covalid/store.h - where covalid keeps its state: one interface, several
 * backends (SQLite now, PostgreSQL later) chosen by the location string.
 *
 *   "PATH" or "sqlite:PATH"   an SQLite database file (WAL, foreign keys on)
 *   "postgresql://..."        reserved for the PostgreSQL backend
 *
 * The store speaks in rows: a record's indexed columns plus its whole
 * JSON document.  What a document means (validation, matching) belongs to
 * the modules above (catalog.h); the store only keeps, finds and returns.
 *
 * Schema migrations are applied on open, in one transaction, from the
 * database's recorded version to the newest this build knows; a database
 * newer than the build is refused (-EPROTO) rather than guessed at.
 *
 * Writes happen inside store_begin()/store_commit(); store_rollback()
 * undoes them all.  A store is used by one thread at a time; open one per
 * thread.  Functions return 0 or a negative errno; the last backend
 * message is available from store_errmsg() for the edge to report.
 */
#ifndef COVALID_STORE_H
#define COVALID_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/util.h"

struct store;

/* The newest schema version this build knows. */
#define STORE_SCHEMA_VERSION 2

/* Opens (creating if needed) and migrates.  On failure *ret_errmsg (if
 * given) receives the backend's message, to be freed by the caller. */
int store_open(const char *location, struct store **ret, char **ret_errmsg) CV_WUR;
struct store *store_close(struct store *s);
/* The default location: $XDG_DATA_HOME/covalid/covalid.db, else
 * ~/.local/share/covalid/covalid.db; the directory is created. */
int store_default_location(char **ret) CV_WUR;
const char *store_errmsg(struct store *s);
int store_schema_version(struct store *s, int *ret) CV_WUR;

int store_begin(struct store *s) CV_WUR;
int store_commit(struct store *s) CV_WUR;
int store_rollback(struct store *s);

/* ---- catalog rows ---- */

struct store_product_row {
	const char *id, *kind, *vendor, *product, *version, *osinfo;
	const char *doc; /* the whole record, JSON */
};

struct store_config_row {
	const char *id, *status;
	const char *guest_os, *guest_vendor, *guest_product, *guest_version;
	const char *hv_ids;     /* space-separated hypervisor ids */
	const char *hv_vendor, *hv_product, *hv_version;
	const char *validated_by; /* newline-separated vendor names */
	const char *doc;
};

/*
 * Filters for listing.  NULL fields do not filter.  guest matches the
 * guest OS id exactly or the guest product by substring (case-folded);
 * hypervisor likewise with the hypervisor ids and product; vendor matches
 * any of guest vendor, hypervisor vendor, validated_by; text matches the
 * whole document.  limit 0 means no limit.
 */
struct store_query {
	const char *guest, *hypervisor, *vendor, *status, *text, *kind;
	int64_t limit, offset;
};

/* Inserts or replaces by id.  *ret_replaced tells which, if given. */
int store_product_put(struct store *s, const struct store_product_row *row, bool *ret_replaced) CV_WUR;
int store_config_put(struct store *s, const struct store_config_row *row, bool *ret_replaced) CV_WUR;

/* The document of one record; -ENOENT if there is none. */
int store_product_get(struct store *s, const char *id, char **ret_doc) CV_WUR;
int store_config_get(struct store *s, const char *id, char **ret_doc) CV_WUR;

/* Calls cb for each matching record in id order; a non-zero return from
 * cb stops the walk and is returned. */
typedef int (*store_row_cb)(void *userdata, const char *id, const char *doc);
int store_product_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata) CV_WUR;
int store_config_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata) CV_WUR;
int store_config_count(struct store *s, const struct store_query *q, int64_t *ret) CV_WUR;

#endif
