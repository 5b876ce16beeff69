/*
 * store-catalog.c - the catalog's tables: products, configurations, and
 * the catalog generation that keys the server's answer cache.  Same rules
 * as every shared query file (store-internal.h): one static statement per
 * function, every value bound, SQL both engines speak.
 *
 * Filters use "?N IS NULL OR ..." so one statement serves every
 * combination.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

int db_bump_generation(struct store *s)
{
	int64_t gen;

	return store_catalog_bump(s, &gen);
}

int store_catalog_bump(struct store *s, int64_t *ret_gen)
{
	int64_t g = -1;
	/* RETURNING: SQLite (3.35 on) and PostgreSQL both speak it. */
	int r = db_query(s, "UPDATE counters SET value = value + 1 WHERE name = 'catalog_generation' RETURNING value",
			 db_take_int, &g, NULL);

	if (r < 0)
		return r;
	if (g < 0)
		return -ENOENT; /* no counter: not a covalid database */
	*ret_gen = g;
	return 0;
}

static int row_exists(struct store *s, struct db_stmt *st, void *userdata)
{
	(void)s;
	(void)st;
	*(bool *)userdata = true;
	return 0;
}

int store_product_write(struct store *s, const struct store_product_row *row, int64_t gen, bool *ret_replaced)
{
	char now[DB_NOW_SIZE];
	bool had = false;
	int r;

	r = ret_replaced ? db_query(s, "SELECT 1 FROM products WHERE id = ?1", row_exists, &had, "s", row->id) : 0;
	if (r < 0)
		return r;
	r = db_query(s,
		  "INSERT INTO products (id, kind, vendor, product, version, osinfo, doc, gen) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9) "
		  "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, vendor = excluded.vendor, "
		  "product = excluded.product, version = excluded.version, osinfo = excluded.osinfo, "
		  "doc = excluded.doc, updated_at = ?8, gen = excluded.gen",
		  NULL, NULL, "ssssssssi", row->id, row->kind, row->vendor, row->product, row->version, row->osinfo,
		  row->doc, db_now(now), gen);
	if (r == 0 && ret_replaced)
		*ret_replaced = had;
	return r;
}

int store_product_put(struct store *s, const struct store_product_row *row, bool *ret_replaced)
{
	int64_t gen;
	int r = store_catalog_bump(s, &gen);

	return r < 0 ? r : store_product_write(s, row, gen, ret_replaced);
}

int store_config_write(struct store *s, const struct store_config_row *row, int64_t gen, bool *ret_replaced)
{
	char now[DB_NOW_SIZE];
	bool had = false;
	int r;

	r = ret_replaced ? db_query(s, "SELECT 1 FROM configurations WHERE id = ?1", row_exists, &had, "s", row->id) : 0;
	if (r < 0)
		return r;
	r = db_query(s,
		  "INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, guest_version, "
		  "hv_ids, hv_vendor, hv_product, hv_version, validated_by, doc, gen) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14) "
		  "ON CONFLICT (id) DO UPDATE SET status = excluded.status, guest_os = excluded.guest_os, "
		  "guest_vendor = excluded.guest_vendor, guest_product = excluded.guest_product, "
		  "guest_version = excluded.guest_version, hv_ids = excluded.hv_ids, hv_vendor = excluded.hv_vendor, "
		  "hv_product = excluded.hv_product, hv_version = excluded.hv_version, "
		  "validated_by = excluded.validated_by, doc = excluded.doc, "
		  "updated_at = ?13, gen = excluded.gen",
		  NULL, NULL, "sssssssssssssi", row->id, row->status, row->guest_os, row->guest_vendor,
		  row->guest_product, row->guest_version, row->hv_ids, row->hv_vendor, row->hv_product, row->hv_version,
		  row->validated_by ? row->validated_by : "", row->doc, db_now(now), gen);
	if (r == 0 && ret_replaced)
		*ret_replaced = had;
	return r;
}

int store_config_put(struct store *s, const struct store_config_row *row, bool *ret_replaced)
{
	int64_t gen;
	int r = store_catalog_bump(s, &gen);

	return r < 0 ? r : store_config_write(s, row, gen, ret_replaced);
}

int store_catalog_changes(struct store *s, int64_t since, store_row_cb config_cb, store_row_cb product_cb,
			  void *userdata)
{
	int r = 0;

	/* Products first: a configuration's answers read its products.
	 * The rows are found through the gen index, then sorted: asked for
	 * "WHERE gen > ? ORDER BY id" whole, SQLite walks the id index over
	 * every row instead (100k configurations: a full scan per write).
	 * MATERIALIZED (SQLite 3.35, PostgreSQL 12) keeps the two apart. */
	if (product_cb)
		r = db_walk_docs(s,
				 "WITH c AS MATERIALIZED (SELECT id, doc FROM products WHERE gen > ?1) "
				 "SELECT id, doc FROM c ORDER BY id",
				 product_cb, userdata, "i", since);
	if (r == 0 && config_cb)
		r = db_walk_docs(s,
				 "WITH c AS MATERIALIZED (SELECT id, doc FROM configurations WHERE gen > ?1) "
				 "SELECT id, doc FROM c ORDER BY id",
				 config_cb, userdata, "i", since);
	return r;
}

int store_config_decided(struct store *s, const char *id, bool *ret)
{
	int64_t n = -1;
	int r;

	/* CASE, not the boolean itself: SQLite answers 0/1, PostgreSQL t/f. */
	r = db_query(s,
		  "SELECT CASE WHEN status = 'revoked' OR EXISTS (SELECT 1 FROM configuration_evidence e "
		  "WHERE e.config_id = c.id) THEN 1 ELSE 0 END FROM configurations c WHERE c.id = ?1",
		  db_take_int, &n, "s", id);
	if (r < 0)
		return r;
	if (n < 0)
		return -ENOENT;
	*ret = n == 1;
	return 0;
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
