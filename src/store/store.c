/*
 * store.c - every query covalid makes, once, over the backend interface
 * (store-internal.h); the backend is picked by the location's scheme (see
 * covalid/store.h).
 *
 * No SQL is ever built from input: each function is one static statement
 * whose parameters are bound.  Filters use "?N IS NULL OR ..." so one
 * statement serves every combination.
 */
#include <stdatomic.h>
#include <unistd.h>

#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

/* ---- lifecycle ---- */

/* Numbers each connection the process opens: never reused, unlike a pointer. */
static atomic_uint_fast64_t serials = 1;

/*
 * Which backend a location names, first match wins: libpq's URI schemes
 * (postgresql://, postgres://; the whole location goes to the backend),
 * an explicit "sqlite:" (taken off), and anything else a path to an
 * SQLite file.  A scheme is matched up to its colon so that a mistyped
 * "postgresql:/db" is refused by the PostgreSQL backend, not quietly made
 * an SQLite file of that name.
 */
static const struct {
	const char *prefix;
	bool strip; /* the prefix is not part of the backend's location */
	const struct db_ops *ops;
} backends[] = {
	{ "postgresql:", false, &db_pg },
	{ "postgres:", false, &db_pg },
	{ "sqlite:", true, &db_sqlite },
	{ "", false, &db_sqlite },
};

static int open_store(const char *location, bool create, struct store **ret, char **ret_errmsg)
{
	const struct db_ops *ops = NULL;
	struct store *s;
	char *err = NULL;
	int r;

	if (!location || !*location)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]) && !ops; i++) {
		if (!cv_startswith(location, backends[i].prefix))
			continue;
		ops = backends[i].ops;
		if (backends[i].strip)
			location += strlen(backends[i].prefix);
	}
	s = cv_xcalloc(1, sizeof(*s));
	s->serial = atomic_fetch_add(&serials, 1);
	s->ops = ops;
	r = s->ops->open(location, create, &s->db, &err);
	if (r < 0) {
		if (ret_errmsg)
			*ret_errmsg = err;
		else
			free(err);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int store_open(const char *location, struct store **ret, char **ret_errmsg)
{
	return open_store(location, true, ret, ret_errmsg);
}

int store_open_existing(const char *location, struct store **ret, char **ret_errmsg)
{
	return open_store(location, false, ret, ret_errmsg);
}

char *store_identity(struct store *s)
{
	return s->ops->identity(s->db);
}

int store_health(struct store *s, bool deep, char **ret_why)
{
	return s->ops->health(s->db, deep, ret_why);
}

uint64_t store_serial(const struct store *s)
{
	return s->serial;
}

struct store *store_close(struct store *s)
{
	if (!s)
		return NULL;
	s->ops->close(s->db);
	free(s->fixed_key);
	free(s->fixed_value);
	free(s);
	return NULL;
}

int store_default_location(char **ret)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *dir;
	int r;

	if (xdg && *xdg == '/')
		dir = cv_xasprintf("%s/covalid", xdg);
	else if (home && *home)
		dir = cv_xasprintf("%s/.local/share/covalid", home);
	else
		return -ENOENT;
	r = cv_mkdir_p(dir, 0700);
	if (r < 0) {
		free(dir);
		return r;
	}
	*ret = cv_xasprintf("%s/covalid.db", dir);
	free(dir);
	return 0;
}

const char *store_errmsg(struct store *s)
{
	return s->ops->errmsg(s->db);
}

int store_schema_version(struct store *s, int *ret)
{
	return s->ops->schema_version(s->db, ret);
}

int store_defer_checkpoints(struct store *s)
{
	return s->ops->defer_checkpoints(s->db);
}

int store_checkpoint(struct store *s)
{
	return s->ops->checkpoint(s->db);
}

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
int store_begin(struct store *s)
{
	int r = s->depth ? s->ops->savepoint(s->db, s->depth) : s->ops->begin(s->db);

	if (r == 0)
		s->depth++;
	return r;
}

int store_commit(struct store *s)
{
	int r;

	if (s->depth == 0)
		return s->ops->commit(s->db); /* none open: the engine says so */
	r = s->depth > 1 ? s->ops->release(s->db, s->depth - 1) : s->ops->commit(s->db);
	if (r == 0)
		s->depth--;
	return r;
}

int store_rollback(struct store *s)
{
	if (s->depth > 1) {
		s->depth--;
		return s->ops->rollback_to(s->db, s->depth);
	}
	s->depth = 0;
	return s->ops->rollback(s->db);
}

unsigned store_txn_depth(const struct store *s)
{
	return s->depth;
}

/* ---- catalog ---- */

static int bump_generation(struct store *s)
{
	return db_query(s, "UPDATE counters SET value = value + 1 WHERE name = 'catalog_generation'", NULL, NULL, NULL);
}

static int row_exists(struct store *s, struct db_stmt *st, void *userdata)
{
	(void)s;
	(void)st;
	*(bool *)userdata = true;
	return 0;
}

int store_product_put(struct store *s, const struct store_product_row *row, bool *ret_replaced)
{
	char now[DB_NOW_SIZE];
	bool had = false;
	int r;

	r = db_query(s, "SELECT 1 FROM products WHERE id = ?1", row_exists, &had, "s", row->id);
	if (r < 0)
		return r;
	r = db_query(s,
		  "INSERT INTO products (id, kind, vendor, product, version, osinfo, doc) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		  "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, vendor = excluded.vendor, "
		  "product = excluded.product, version = excluded.version, osinfo = excluded.osinfo, "
		  "doc = excluded.doc, updated_at = ?8",
		  NULL, NULL, "ssssssss", row->id, row->kind, row->vendor, row->product, row->version, row->osinfo,
		  row->doc, db_now(now));
	if (r == 0)
		r = bump_generation(s);
	if (r == 0 && ret_replaced)
		*ret_replaced = had;
	return r;
}

int store_config_put(struct store *s, const struct store_config_row *row, bool *ret_replaced)
{
	char now[DB_NOW_SIZE];
	bool had = false;
	int r;

	r = db_query(s, "SELECT 1 FROM configurations WHERE id = ?1", row_exists, &had, "s", row->id);
	if (r < 0)
		return r;
	r = db_query(s,
		  "INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, guest_version, "
		  "hv_ids, hv_vendor, hv_product, hv_version, validated_by, doc) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
		  "ON CONFLICT (id) DO UPDATE SET status = excluded.status, guest_os = excluded.guest_os, "
		  "guest_vendor = excluded.guest_vendor, guest_product = excluded.guest_product, "
		  "guest_version = excluded.guest_version, hv_ids = excluded.hv_ids, hv_vendor = excluded.hv_vendor, "
		  "hv_product = excluded.hv_product, hv_version = excluded.hv_version, "
		  "validated_by = excluded.validated_by, doc = excluded.doc, "
		  "updated_at = ?13",
		  NULL, NULL, "sssssssssssss", row->id, row->status, row->guest_os, row->guest_vendor,
		  row->guest_product, row->guest_version, row->hv_ids, row->hv_vendor, row->hv_product, row->hv_version,
		  row->validated_by ? row->validated_by : "", row->doc, db_now(now));
	if (r == 0)
		r = bump_generation(s);
	if (r == 0 && ret_replaced)
		*ret_replaced = had;
	return r;
}

int store_product_get(struct store *s, const char *id, char **ret_doc)
{
	return db_get_one(s, "SELECT doc FROM products WHERE id = ?1", id, ret_doc);
}

int store_config_get(struct store *s, const char *id, char **ret_doc)
{
	return db_get_one(s, "SELECT doc FROM configurations WHERE id = ?1", id, ret_doc);
}

#define CONFIG_WHERE                                                                                       \
	" WHERE (?1 IS NULL OR guest_os = lower(?1) OR strpos(lower(guest_product), lower(?1)) > 0)"       \
	" AND (?2 IS NULL OR strpos(' ' || hv_ids || ' ', ' ' || lower(?2) || ' ') > 0"                   \
	"      OR strpos(lower(hv_product), lower(?2)) > 0)"                                               \
	" AND (?3 IS NULL OR lower(?3) IN (lower(guest_vendor), lower(hv_vendor),"                          \
	"                                  replace(lower(guest_vendor), ' ', '-'),"                          \
	"                                  replace(lower(hv_vendor), ' ', '-'))"                             \
	"      OR strpos('\n' || replace(lower(validated_by), ' ', '-') || '\n',"                          \
	"                '\n' || replace(lower(?3), ' ', '-') || '\n') > 0)"                               \
	" AND (?4 IS NULL OR strpos(',' || ?4 || ',', ',' || status || ',') > 0)"                          \
	" AND (?5 IS NULL OR strpos(lower(doc), lower(?5)) > 0)"

int store_config_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata)
{
	struct store_query none = { 0 };

	if (!q)
		q = &none;
	return db_walk_docs(s, "SELECT id, doc FROM configurations" CONFIG_WHERE " ORDER BY id LIMIT ?6 OFFSET ?7", cb,
			    userdata, "sssssii", q->guest, q->hypervisor, q->vendor, q->status, q->text,
		     (q->limit > 0 ? q->limit : DB_NO_LIMIT), (q->offset > 0 ? q->offset : (int64_t)0));
}

int store_config_count(struct store *s, const struct store_query *q, int64_t *ret)
{
	struct store_query none = { 0 };
	int64_t n = 0;
	int r;

	if (!q)
		q = &none;
	r = db_query(s, "SELECT count(*) FROM configurations" CONFIG_WHERE, db_take_int, &n, "sssss", q->guest,
		  q->hypervisor, q->vendor, q->status, q->text);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

int store_product_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata)
{
	struct store_query none = { 0 };

	if (!q)
		q = &none;
	return db_walk_docs(s,
		     "SELECT id, doc FROM products"
		     " WHERE (?1 IS NULL OR strpos(lower(product), lower(?1)) > 0 OR lower(osinfo) LIKE lower(?1) || '%')"
		     " AND (?2 IS NULL OR kind = 'hypervisor' AND strpos(lower(product), lower(?2)) > 0)"
		     " AND (?3 IS NULL OR lower(vendor) = lower(?3))"
		     " AND (?4 IS NULL OR kind = ?4)"
		     " AND (?5 IS NULL OR strpos(lower(doc), lower(?5)) > 0)"
		     " ORDER BY id LIMIT ?6 OFFSET ?7",
		     cb, userdata, "sssssii", q->guest, q->hypervisor, q->vendor, q->kind, q->text,
		     (q->limit > 0 ? q->limit : DB_NO_LIMIT), (q->offset > 0 ? q->offset : (int64_t)0));
}

int store_catalog_generation(struct store *s, int64_t *ret)
{
	int64_t g = 0;
	int r = db_query(s, "SELECT value FROM counters WHERE name = 'catalog_generation'", db_take_int, &g, NULL);

	if (r < 0)
		return r;
	*ret = g;
	return 0;
}

/* ---- vendors, keys, tokens ---- */

/* An INSERT that must add a row: -EEXIST from a constraint stays -EEXIST. */
int store_vendor_add(struct store *s, const char *id, const char *name)
{
	int r = db_query(s, "INSERT INTO vendors (id, name) VALUES (?1, ?2)", NULL, NULL, "ss", id, name);

	/* The vendors are part of the published catalog (its vendor list
	 * and feeds): readers must see a new one. */
	return r < 0 ? r : bump_generation(s);
}

int store_vendor_get(struct store *s, const char *id, char **ret_name)
{
	return db_get_name(s, "SELECT name FROM vendors WHERE id = ?1", id, ret_name);
}

int store_vendor_list(struct store *s, store_org_cb cb, void *userdata)
{
	return db_walk_orgs(s, "SELECT id, name, created_at FROM vendors ORDER BY id", cb, userdata);
}

int store_key_add(struct store *s, const char *key_id, const char *vendor_id, const char *public_key)
{
	return db_query(s, "INSERT INTO vendor_keys (key_id, vendor_id, public_key) VALUES (?1, ?2, ?3)", NULL, NULL,
		     "sss", key_id, vendor_id, public_key);
}

struct key_get {
	char *vendor_id, *public_key;
	bool revoked, found;
};

static int key_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct key_get *k = userdata;

	k->vendor_id = db_dup_col(s, st, 0);
	k->public_key = db_dup_col(s, st, 1);
	k->revoked = db_col(s, st, 2) != NULL;
	k->found = true;
	return 1;
}

int store_key_get(struct store *s, const char *key_id, char **ret_vendor_id, char **ret_public_key,
		  bool *ret_revoked)
{
	struct key_get k = { 0 };
	int r = db_query(s, "SELECT vendor_id, public_key, revoked_at FROM vendor_keys WHERE key_id = ?1", key_row, &k,
		      "s", key_id);

	if (r < 0)
		return r;
	if (!k.found)
		return -ENOENT;
	if (ret_vendor_id)
		*ret_vendor_id = k.vendor_id;
	else
		free(k.vendor_id);
	if (ret_public_key)
		*ret_public_key = k.public_key;
	else
		free(k.public_key);
	if (ret_revoked)
		*ret_revoked = k.revoked;
	return 0;
}

int store_key_revoke(struct store *s, const char *key_id)
{
	char now[DB_NOW_SIZE];

	return db_update_one(s,
			  "UPDATE vendor_keys SET revoked_at = ?2 WHERE key_id = ?1 AND revoked_at IS NULL",
			  key_id, db_now(now));
}

struct key_walk {
	store_key_cb cb;
	void *userdata;
};

static int key_list_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct key_walk *w = userdata;

	return w->cb(w->userdata, db_col(s, st, 0), db_col(s, st, 1), db_col(s, st, 2), db_col(s, st, 3), db_col(s, st, 4));
}

int store_key_list(struct store *s, const char *vendor_id, store_key_cb cb, void *userdata)
{
	struct key_walk w = { cb, userdata };

	return db_query(s,
		     "SELECT key_id, vendor_id, public_key, created_at, revoked_at FROM vendor_keys "
		     "WHERE ?1 IS NULL OR vendor_id = ?1 ORDER BY created_at, key_id",
		     key_list_row, &w, "s", vendor_id);
}

int store_token_add(struct store *s, const char *hash, const struct store_token_row *row)
{
	return db_query(s,
			"INSERT INTO tokens (id, hash, role, vendor_id, customer_id, name, description) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			NULL, NULL, "sssssss", row->id, hash, row->role, row->vendor_id, row->customer_id, row->name,
			row->description);
}

#define TOKEN_COLUMNS "id, role, vendor_id, customer_id, name, description, created_at, revoked_at"

/* A row and its strings in one allocation. */
static struct store_token_row *token_from(struct store *s, struct db_stmt *st)
{
	const char *v[8];
	size_t n = 0;
	struct store_token_row *t;
	char *p;

	for (int i = 0; i < 8; i++) {
		v[i] = db_col(s, st, i);
		n += v[i] ? strlen(v[i]) + 1 : 0;
	}
	t = cv_xcalloc(1, sizeof(*t) + n);
	p = (char *)(t + 1);
	for (int i = 0; i < 8; i++) {
		const char **f[] = { &t->id, &t->role, &t->vendor_id, &t->customer_id, &t->name,
				     &t->description, &t->created_at, &t->revoked_at };

		if (v[i]) {
			*f[i] = p;
			p = stpcpy(p, v[i]) + 1;
		}
	}
	return t;
}

static int token_take(struct store *s, struct db_stmt *st, void *userdata)
{
	*(struct store_token_row **)userdata = token_from(s, st);
	return 1;
}

int store_token_find(struct store *s, const char *hash, struct store_token_row **ret)
{
	struct store_token_row *t = NULL;
	int r = db_query(s, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE hash = ?1 AND revoked_at IS NULL", token_take, &t,
			 "s", hash);

	if (r < 0)
		return r;
	if (!t)
		return -ENOENT;
	*ret = t;
	return 0;
}

void store_token_free(struct store_token_row *row)
{
	free(row);
}

int store_token_revoke(struct store *s, const char *id)
{
	char now[DB_NOW_SIZE];

	return db_update_one(s,
			     "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
			     id, db_now(now));
}

struct token_walk {
	store_token_cb cb;
	void *userdata;
};

static int token_list_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct token_walk *w = userdata;
	struct store_token_row *t = token_from(s, st);
	int r = w->cb(w->userdata, t);

	free(t);
	return r;
}

int store_token_list(struct store *s, store_token_cb cb, void *userdata)
{
	struct token_walk w = { cb, userdata };

	return db_query(s, "SELECT " TOKEN_COLUMNS " FROM tokens ORDER BY created_at, id", token_list_row, &w, NULL);
}

/* ---- submissions and evidence ---- */

int store_submission_add(struct store *s, const struct store_submission_row *row)
{
	return db_query(s,
		     "INSERT INTO submissions (id, vendor_id, key_id, status, reasons, config_id, log, log_digest) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		     NULL, NULL, "ssssssss", row->id, row->vendor_id, row->key_id, row->status, row->reasons,
		     row->config_id, row->log, row->log_digest);
}

int store_submission_find_digest(struct store *s, const char *digest, char **ret_id)
{
	return db_get_one(s, "SELECT id FROM submissions WHERE log_digest = ?1 AND status = 'accepted'", digest, ret_id);
}

/* A row and its strings in one allocation, freed at once. */
struct submission_block {
	struct store_submission_row row;
	char data[];
};

static struct store_submission_row *submission_copy(struct store *s, struct db_stmt *st, bool with_log)
{
	const char *v[8];
	size_t size = 0, off = 0;
	struct submission_block *b;
	const char **fields[8];

	for (int i = 0; i < 8; i++) {
		v[i] = i == 6 && !with_log ? NULL : db_col(s, st, i);
		size += v[i] ? strlen(v[i]) + 1 : 0;
	}
	b = cv_xcalloc(1, sizeof(*b) + size);
	fields[0] = &b->row.id;
	fields[1] = &b->row.vendor_id;
	fields[2] = &b->row.key_id;
	fields[3] = &b->row.status;
	fields[4] = &b->row.reasons;
	fields[5] = &b->row.config_id;
	fields[6] = &b->row.log;
	fields[7] = &b->row.received_at;
	for (int i = 0; i < 8; i++) {
		if (!v[i])
			continue;
		memcpy(b->data + off, v[i], strlen(v[i]) + 1);
		*fields[i] = b->data + off;
		off += strlen(v[i]) + 1;
	}
	return &b->row;
}

void store_submission_free(struct store_submission_row *row)
{
	free(row); /* the row is the block's first member */
}

static int submission_row(struct store *s, struct db_stmt *st, void *userdata)
{
	*(struct store_submission_row **)userdata = submission_copy(s, st, true);
	return 1;
}

#define SUBMISSION_COLUMNS "id, vendor_id, key_id, status, reasons, config_id, log, received_at"

int store_submission_get(struct store *s, const char *id, struct store_submission_row **ret)
{
	struct store_submission_row *row = NULL;
	int r = db_query(s, "SELECT " SUBMISSION_COLUMNS " FROM submissions WHERE id = ?1", submission_row, &row, "s", id);

	if (r < 0)
		return r;
	if (!row)
		return -ENOENT;
	*ret = row;
	return 0;
}

struct submission_walk {
	store_submission_cb cb;
	void *userdata;
	bool with_log;
};

static int submission_list_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct submission_walk *w = userdata;
	struct store_submission_row *row = submission_copy(s, st, w->with_log);
	int r = w->cb(w->userdata, row);

	store_submission_free(row);
	return r;
}

int store_submission_list(struct store *s, const char *vendor_id, const char *config_id, bool with_log,
			  int64_t limit, int64_t offset, store_submission_cb cb, void *userdata)
{
	struct submission_walk w = { cb, userdata, with_log };

	return db_query(s,
		     "SELECT " SUBMISSION_COLUMNS " FROM submissions "
		     "WHERE (?1 IS NULL OR vendor_id = ?1) AND (?2 IS NULL OR config_id = ?2) "
		     "ORDER BY received_at DESC, id DESC LIMIT ?3 OFFSET ?4",
		     submission_list_row, &w, "ssii", vendor_id, config_id, limit > 0 ? limit : DB_NO_LIMIT,
		     offset > 0 ? offset : (int64_t)0);
}

int store_evidence_add(struct store *s, const char *config_id, const char *testlog_id)
{
	return db_query(s, "INSERT INTO configuration_evidence (config_id, testlog_id) VALUES (?1, ?2) "
			"ON CONFLICT DO NOTHING",
		     NULL, NULL, "ss", config_id, testlog_id);
}

/* ---- policy and settings ---- */

int store_policy_get(struct store *s, char **ret_doc)
{
	char *doc = NULL;
	int r = db_query(s, "SELECT doc FROM policy WHERE id = 1", db_take_first, &doc, NULL);

	if (r < 0)
		return r;
	if (!doc)
		return -ENOENT;
	*ret_doc = doc;
	return 0;
}

int store_policy_put(struct store *s, const char *doc)
{
	char now[DB_NOW_SIZE];

	return db_query(s,
		     "INSERT INTO policy (id, doc) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, "
		     "updated_at = ?2",
		     NULL, NULL, "ss", doc, db_now(now));
}

int store_setting_get(struct store *s, const char *key, char **ret_value)
{
	return db_get_one(s, "SELECT value FROM settings WHERE key = ?1", key, ret_value);
}

int store_setting_get_fixed(struct store *s, const char *key, char **ret_value)
{
	int r;

	if (s->fixed_key && strcmp(s->fixed_key, key) == 0) {
		*ret_value = cv_xstrdup(s->fixed_value);
		return 0;
	}
	r = store_setting_get(s, key, ret_value);
	/* Only a committed value is kept: one read inside a transaction
	 * may be that transaction's own write, which may yet be undone. */
	if (r == 0 && s->depth == 0 && !s->fixed_key) {
		s->fixed_key = cv_xstrdup(key);
		s->fixed_value = cv_xstrdup(*ret_value);
	}
	return r;
}

int store_setting_put(struct store *s, const char *key, const char *value)
{
	return db_query(s, "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		     NULL, NULL, "ss", key, value);
}
