/*
 * store-sqlite.c - the SQLite backend of covalid/store.h.
 *
 * One database file in WAL mode with foreign keys on.  The schema version
 * is SQLite's user_version; migrations[] below take a database from
 * version N-1 to N, each in the same transaction as the version bump, so a
 * crash mid-migration leaves the old version intact.
 *
 * Every query is one static statement with "?N IS NULL OR ..." filters,
 * prepared once per call: no SQL is ever built from input.
 */
#include <sqlite3.h>

#include "store/store-internal.h"
#include "util/cv.h"

#define BUSY_TIMEOUT_MS 5000

struct sqlite_store {
	sqlite3 *db;
	char errmsg[512];
};

/*
 * Migrations.  Index i takes the schema from version i to i + 1.  Never
 * edit a released one: add a new one.
 */
static const char *const migrations[] = {
	/* 1: the catalog. */
	"CREATE TABLE products ("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('guest_os', 'hypervisor')),"
	"  vendor TEXT NOT NULL, product TEXT NOT NULL, version TEXT NOT NULL,"
	"  osinfo TEXT,"
	"  doc TEXT NOT NULL CHECK (json_valid(doc)),"
	"  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));"
	"CREATE TABLE configurations ("
	"  id TEXT PRIMARY KEY,"
	"  status TEXT NOT NULL,"
	"  guest_os TEXT NOT NULL, guest_vendor TEXT NOT NULL, guest_product TEXT NOT NULL,"
	"  guest_version TEXT NOT NULL,"
	"  hv_ids TEXT NOT NULL, hv_vendor TEXT NOT NULL, hv_product TEXT NOT NULL, hv_version TEXT NOT NULL,"
	"  doc TEXT NOT NULL CHECK (json_valid(doc)),"
	"  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));",

	/* 2: who validated, as a column (backfilled from the documents),
	 * lookup indexes, and the test logs behind each configuration. */
	"ALTER TABLE configurations ADD COLUMN validated_by TEXT NOT NULL DEFAULT '';"
	"UPDATE configurations SET validated_by = coalesce("
	"  (SELECT group_concat(value, char(10)) FROM json_each(doc, '$.validated_by')), '');"
	"CREATE INDEX configurations_guest ON configurations (guest_os, status);"
	"CREATE INDEX configurations_hv_vendor ON configurations (hv_vendor);"
	"CREATE INDEX products_kind ON products (kind, vendor);"
	"CREATE TABLE configuration_evidence ("
	"  config_id TEXT NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,"
	"  testlog_id TEXT NOT NULL,"
	"  added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	"  PRIMARY KEY (config_id, testlog_id));",
};

static int fail(struct sqlite_store *st, int rc)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_IOERR:
		return -EIO;
	default:
		return -EPROTO;
	}
}

static int exec(struct sqlite_store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(st, rc);
}

static int get_user_version(struct sqlite_store *st, int *ret)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		rc = fail(st, rc);
		sqlite3_finalize(stmt);
		return rc;
	}
	*ret = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;
}

static int migrate(struct sqlite_store *st)
{
	int version, r;

	r = exec(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = get_user_version(st, &version);
	if (r < 0)
		goto out;
	if (version > (int)CV_ELEMENTSOF(migrations)) {
		snprintf(st->errmsg, sizeof(st->errmsg),
			 "database schema version %d is newer than this covalid knows (%zu)", version,
			 CV_ELEMENTSOF(migrations));
		r = -EPROTO;
		goto out;
	}
	for (int v = version; v < (int)CV_ELEMENTSOF(migrations); v++) {
		char pragma[64];

		r = exec(st, migrations[v]);
		if (r < 0)
			goto out;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		r = exec(st, pragma);
		if (r < 0)
			goto out;
	}
	return exec(st, "COMMIT");
out:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int sq_open(const char *location, void **ret_impl, char **ret_errmsg)
{
	struct sqlite_store *st = cv_xcalloc(1, sizeof(*st));
	int rc, r;

	rc = sqlite3_open_v2(location, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = st->db ? fail(st, rc) : -ENOMEM;
		goto err;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	/* journal_mode answers with a row; exec ignores it.  A file that is
	 * not a database fails here first. */
	r = exec(st, "PRAGMA journal_mode = WAL");
	if (r < 0)
		goto err;
	r = exec(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
	if (r < 0)
		goto err;
	r = migrate(st);
	if (r < 0)
		goto err;
	*ret_impl = st;
	return 0;
err:
	*ret_errmsg = cv_xstrdup(st->errmsg);
	sqlite3_close(st->db);
	free(st);
	return r;
}

static void sq_close(void *impl)
{
	struct sqlite_store *st = impl;

	sqlite3_close(st->db);
	free(st);
}

static const char *sq_errmsg(void *impl)
{
	return ((struct sqlite_store *)impl)->errmsg;
}

static int sq_schema_version(void *impl, int *ret)
{
	return get_user_version(impl, ret);
}

static int sq_begin(void *impl)
{
	return exec(impl, "BEGIN IMMEDIATE");
}

static int sq_commit(void *impl)
{
	return exec(impl, "COMMIT");
}

static int sq_rollback(void *impl)
{
	struct sqlite_store *st = impl;

	if (sqlite3_get_autocommit(st->db))
		return 0;
	return exec(st, "ROLLBACK");
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, i);
}

/* Runs a prepared statement to completion. */
static int step_done(struct sqlite_store *st, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	return rc == SQLITE_DONE ? 0 : fail(st, rc);
}

static int exists(struct sqlite_store *st, const char *sql, const char *id, bool *ret)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	bind_text(stmt, 1, id);
	rc = sqlite3_step(stmt);
	*ret = rc == SQLITE_ROW;
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, rc);
}

static int sq_product_put(void *impl, const struct store_product_row *row, bool *ret_replaced)
{
	struct sqlite_store *st = impl;
	sqlite3_stmt *stmt;
	bool had = false;
	int rc, r;

	r = exists(st, "SELECT 1 FROM products WHERE id = ?1", row->id, &had);
	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO products (id, kind, vendor, product, version, osinfo, doc) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
				"ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, vendor = excluded.vendor, "
				"product = excluded.product, version = excluded.version, osinfo = excluded.osinfo, "
				"doc = excluded.doc, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
				-1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	bind_text(stmt, 1, row->id);
	bind_text(stmt, 2, row->kind);
	bind_text(stmt, 3, row->vendor);
	bind_text(stmt, 4, row->product);
	bind_text(stmt, 5, row->version);
	bind_text(stmt, 6, row->osinfo);
	bind_text(stmt, 7, row->doc);
	r = step_done(st, stmt);
	sqlite3_finalize(stmt);
	if (r == 0 && ret_replaced)
		*ret_replaced = had;
	return r;
}

static int sq_config_put(void *impl, const struct store_config_row *row, bool *ret_replaced)
{
	struct sqlite_store *st = impl;
	sqlite3_stmt *stmt;
	bool had = false;
	int rc, r;

	r = exists(st, "SELECT 1 FROM configurations WHERE id = ?1", row->id, &had);
	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, "
				"guest_version, hv_ids, hv_vendor, hv_product, hv_version, validated_by, doc) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
				"ON CONFLICT (id) DO UPDATE SET status = excluded.status, guest_os = excluded.guest_os, "
				"guest_vendor = excluded.guest_vendor, guest_product = excluded.guest_product, "
				"guest_version = excluded.guest_version, hv_ids = excluded.hv_ids, "
				"hv_vendor = excluded.hv_vendor, hv_product = excluded.hv_product, "
				"hv_version = excluded.hv_version, validated_by = excluded.validated_by, "
				"doc = excluded.doc, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
				-1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	bind_text(stmt, 1, row->id);
	bind_text(stmt, 2, row->status);
	bind_text(stmt, 3, row->guest_os);
	bind_text(stmt, 4, row->guest_vendor);
	bind_text(stmt, 5, row->guest_product);
	bind_text(stmt, 6, row->guest_version);
	bind_text(stmt, 7, row->hv_ids);
	bind_text(stmt, 8, row->hv_vendor);
	bind_text(stmt, 9, row->hv_product);
	bind_text(stmt, 10, row->hv_version);
	bind_text(stmt, 11, row->validated_by ? row->validated_by : "");
	bind_text(stmt, 12, row->doc);
	r = step_done(st, stmt);
	sqlite3_finalize(stmt);
	if (r == 0 && ret_replaced)
		*ret_replaced = had;
	return r;
}

static int get_doc(struct sqlite_store *st, const char *sql, const char *id, char **ret_doc)
{
	sqlite3_stmt *stmt;
	int rc, r;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	bind_text(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ret_doc = cv_xstrdup((const char *)sqlite3_column_text(stmt, 0));
		r = 0;
	} else
		r = rc == SQLITE_DONE ? -ENOENT : fail(st, rc);
	sqlite3_finalize(stmt);
	return r;
}

static int sq_product_get(void *impl, const char *id, char **ret_doc)
{
	return get_doc(impl, "SELECT doc FROM products WHERE id = ?1", id, ret_doc);
}

static int sq_config_get(void *impl, const char *id, char **ret_doc)
{
	return get_doc(impl, "SELECT doc FROM configurations WHERE id = ?1", id, ret_doc);
}

/* Shared WHERE clause of configuration listings; parameters ?1..?5. */
#define CONFIG_WHERE                                                                                       \
	" WHERE (?1 IS NULL OR guest_os = lower(?1) OR instr(lower(guest_product), lower(?1)) > 0)"        \
	" AND (?2 IS NULL OR instr(' ' || hv_ids || ' ', ' ' || lower(?2) || ' ') > 0"                    \
	"      OR instr(lower(hv_product), lower(?2)) > 0)"                                                \
	" AND (?3 IS NULL OR lower(guest_vendor) = lower(?3) OR lower(hv_vendor) = lower(?3)"             \
	"      OR instr(lower(validated_by), lower(?3)) > 0)"                                              \
	" AND (?4 IS NULL OR status = ?4)"                                                                 \
	" AND (?5 IS NULL OR instr(lower(doc), lower(?5)) > 0)"

static void bind_query(sqlite3_stmt *stmt, const struct store_query *q)
{
	bind_text(stmt, 1, q ? q->guest : NULL);
	bind_text(stmt, 2, q ? q->hypervisor : NULL);
	bind_text(stmt, 3, q ? q->vendor : NULL);
	bind_text(stmt, 4, q ? q->status : NULL);
	bind_text(stmt, 5, q ? q->text : NULL);
	sqlite3_bind_int64(stmt, 6, q && q->limit > 0 ? q->limit : -1);
	sqlite3_bind_int64(stmt, 7, q && q->offset > 0 ? q->offset : 0);
}

static int walk(struct sqlite_store *st, sqlite3_stmt *stmt, store_row_cb cb, void *userdata)
{
	int rc, r = 0;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = cb(userdata, (const char *)sqlite3_column_text(stmt, 0), (const char *)sqlite3_column_text(stmt, 1));
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = fail(st, rc);
	sqlite3_finalize(stmt);
	return r;
}

static int sq_config_list(void *impl, const struct store_query *q, store_row_cb cb, void *userdata)
{
	struct sqlite_store *st = impl;
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT id, doc FROM configurations" CONFIG_WHERE
				" ORDER BY id LIMIT ?6 OFFSET ?7", -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	bind_query(stmt, q);
	return walk(st, stmt, cb, userdata);
}

static int sq_config_count(void *impl, const struct store_query *q, int64_t *ret)
{
	struct sqlite_store *st = impl;
	sqlite3_stmt *stmt;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM configurations" CONFIG_WHERE
				" AND ?6 = ?6 AND ?7 = ?7", -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	bind_query(stmt, q);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(stmt, 0);
	else
		r = fail(st, rc);
	sqlite3_finalize(stmt);
	return r;
}

static int sq_product_list(void *impl, const struct store_query *q, store_row_cb cb, void *userdata)
{
	struct sqlite_store *st = impl;
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT id, doc FROM products"
				" WHERE (?1 IS NULL OR instr(lower(product), lower(?1)) > 0 OR lower(osinfo) LIKE lower(?1) || '%')"
				" AND (?2 IS NULL OR kind = 'hypervisor' AND instr(lower(product), lower(?2)) > 0)"
				" AND (?3 IS NULL OR lower(vendor) = lower(?3))"
				" AND (?4 IS NULL OR kind = ?4)"
				" AND (?5 IS NULL OR instr(lower(doc), lower(?5)) > 0)"
				" ORDER BY id LIMIT ?6 OFFSET ?7",
				-1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc);
	bind_text(stmt, 1, q ? q->guest : NULL);
	bind_text(stmt, 2, q ? q->hypervisor : NULL);
	bind_text(stmt, 3, q ? q->vendor : NULL);
	bind_text(stmt, 4, q ? q->kind : NULL);
	bind_text(stmt, 5, q ? q->text : NULL);
	sqlite3_bind_int64(stmt, 6, q && q->limit > 0 ? q->limit : -1);
	sqlite3_bind_int64(stmt, 7, q && q->offset > 0 ? q->offset : 0);
	return walk(st, stmt, cb, userdata);
}

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.errmsg = sq_errmsg,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.product_put = sq_product_put,
	.config_put = sq_config_put,
	.product_get = sq_product_get,
	.config_get = sq_config_get,
	.product_list = sq_product_list,
	.config_list = sq_config_list,
	.config_count = sq_config_count,
};
