/*
 * store-catalog.c - the catalog's tables: products, configurations, and
 * the catalog generation that keys the server's answer cache.  Same rules
 * as every shared query file (store-internal.h): one static statement per
 * function, every value bound, SQL both engines speak.
 *
 * Product filters use "?N IS NULL OR ..." so one statement serves every
 * combination.
 *
 * Configurations are the big table (100k rows and more), so their list
 * and count are built per request from static fragments, one for each
 * filter given (values still bound, the parameters numbered alike in
 * every variant), so that an index can answer each: an "?N IS NULL OR"
 * alternative keeps an engine's planner from using any index.  Filters
 * read normalized columns that every write fills (migration 8):
 *  - guest and hypervisor: the few distinct (os, product, vendor) and
 *    (ids, product, vendor) triples are rows of guest_groups and
 *    hv_groups; a configuration names its two by integer id (indexed),
 *    and a filter is "guest_group IN (SELECT id FROM guest_groups WHERE
 *    <the old test on that group's strings>)": the substring search runs
 *    over the groups, not over every configuration, with the same
 *    expressions and so the same meaning as when they read the rows.
 *  - vendor: the guest's or the hypervisor's vendor through the groups
 *    again, or a line of validated_by, kept one row per line in
 *    configuration_vendors in the spelling the filter compares (lower
 *    case, spaces as dashes), indexed by that spelling.  A vendor asked
 *    for with a newline in it (which would have matched across lines)
 *    falls back to the scan of validated_by, as before.
 *  - status: "status IN (...)" from the comma list, split here (at most
 *    STATUS_LIST items; a longer list falls back to the scan).
 *  - text (?q=): still a substring of every document, a scan of the rows
 *    the other filters leave.
 * Pages are in id order, by offset or by key (store_query.after: ids
 * after that one, the primary key's index seeking to it; the page's ids
 * first, then their documents).  The unfiltered count is count(*) once
 * per catalog generation (store_config_count), a filtered one counts
 * index entries.
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


/*
 * The normalized columns of one configuration being written (see the top
 * of this file).  Its groups are rows before the configuration names them
 * (its INSERT reads their ids).
 */
/* At most this many groups remembered; past it, forgotten and begun again. */
#define KNOWN_GROUPS_MAX 4096

void db_forget_groups(struct store *s)
{
	if (s->known_groups.n) {
		cv_hmap_release(&s->known_groups);
		cv_hmap_init(&s->known_groups);
	}
}

/* The key of a group: its kind and each part length-prefixed (no two
 * groups share one, whatever bytes the parts hold). */
static char *group_key(char kind, const char *a, const char *b, const char *c)
{
	return cv_xasprintf("%c%zu:%s%zu:%s%zu:%s", kind, strlen(a), a, strlen(b), b, strlen(c), c);
}

static int group_put(struct store *s, const char *sql, char kind, const char *a, const char *b, const char *c)
{
	char *key = group_key(kind, a, b, c);
	int r = 0;

	if (!cv_hmap_get(&s->known_groups, key, NULL)) {
		r = db_query(s, sql, NULL, NULL, "sss", a, b, c);
		if (r == 0) {
			if (s->known_groups.n >= KNOWN_GROUPS_MAX)
				db_forget_groups(s);
			cv_hmap_put(&s->known_groups, key, 1);
		}
	}
	free(key);
	return r < 0 ? r : 0;
}

static int config_groups_put(struct store *s, const struct store_config_row *row)
{
	int r = group_put(s,
			  "INSERT INTO guest_groups (os, product, vendor) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT (os, product, vendor) DO NOTHING",
			  'g', row->guest_os, row->guest_product, row->guest_vendor);

	return r < 0 ? r
		     : group_put(s,
				 "INSERT INTO hv_groups (ids, product, vendor) VALUES (?1, ?2, ?3) "
				 "ON CONFLICT (ids, product, vendor) DO NOTHING",
				 'h', row->hv_ids, row->hv_product, row->hv_vendor);
}

/*
 * Who validated it: each line of validated_by (the last one too, so ""
 * is one empty line, as the old test of '\n' || list || '\n' read it)
 * spelled as the vendor filter compares it, replace(lower(line), ' ',
 * '-').  Spelled here, byte by byte: lower() of the column folds ASCII
 * letters only on both engines (SQLite's lower() knows no other;
 * PostgreSQL's folds by the column's collation, "C"), and a parameter
 * would be folded by the database's own locale instead.
 */
static int config_vendors_put(struct store *s, const char *id, const char *validated_by, bool replaced)
{
	const char *p = validated_by ? validated_by : "";
	int r;

	if (replaced) {
		r = db_query(s, "DELETE FROM configuration_vendors WHERE config_id = ?1", NULL, NULL, "s", id);
		if (r < 0)
			return r;
	}
	for (;;) {
		size_t n = strcspn(p, "\n");
		char *slug = cv_xstrndup(p, n);

		for (char *c = slug; *c; c++)
			*c = *c == ' ' ? '-' : *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
		r = db_query(s, "INSERT INTO configuration_vendors (config_id, vendor) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
			     NULL, NULL, "ss", id, slug);
		free(slug);
		if (r < 0 || !p[n])
			return r;
		p += n + 1;
	}
}

int store_config_write(struct store *s, const struct store_config_row *row, int64_t gen, bool *ret_replaced)
{
	char now[DB_NOW_SIZE];
	bool had;
	int r;

	r = config_groups_put(s, row);
	if (r < 0)
		return r;
	/* Inserted or not is what the INSERT did (not a SELECT before it,
	 * which a concurrent writer of the same new id could also pass). */
	r = db_query(s,
		     "INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, guest_version, "
		     "hv_ids, hv_vendor, hv_product, hv_version, validated_by, doc, updated_at, gen, guest_group, hv_group) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
		     "(SELECT id FROM guest_groups WHERE os = ?3 AND product = ?5 AND vendor = ?4), "
		     "(SELECT id FROM hv_groups WHERE ids = ?7 AND product = ?9 AND vendor = ?8)) "
		     "ON CONFLICT (id) DO NOTHING",
		     NULL, NULL, "sssssssssssssi", row->id, row->status, row->guest_os, row->guest_vendor,
		     row->guest_product, row->guest_version, row->hv_ids, row->hv_vendor, row->hv_product,
		     row->hv_version, row->validated_by ? row->validated_by : "", row->doc, db_now(now), gen);
	if (r < 0)
		return r;
	had = s->ops->changes(s->db) == 0;
	if (had)
		r = db_query(s,
			     "UPDATE configurations SET status = ?2, guest_os = ?3, guest_vendor = ?4, guest_product = ?5, "
			     "guest_version = ?6, hv_ids = ?7, hv_vendor = ?8, hv_product = ?9, hv_version = ?10, "
			     "validated_by = ?11, doc = ?12, updated_at = ?13, gen = ?14, "
			     "guest_group = (SELECT id FROM guest_groups WHERE os = ?3 AND product = ?5 AND vendor = ?4), "
			     "hv_group = (SELECT id FROM hv_groups WHERE ids = ?7 AND product = ?9 AND vendor = ?8) "
			     "WHERE id = ?1",
			     NULL, NULL, "sssssssssssssi", row->id, row->status, row->guest_os, row->guest_vendor,
			     row->guest_product, row->guest_version, row->hv_ids, row->hv_vendor, row->hv_product,
			     row->hv_version, row->validated_by ? row->validated_by : "", row->doc, now, gen);
	if (r == 0)
		r = config_vendors_put(s, row->id, row->validated_by, had);
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

/* Statuses a list may name and still be "status IN (...)" (more: the scan). */
#define STATUS_LIST 8

/* The parameters of a configuration query, numbered alike in every
 * variant (a fragment left out leaves its number unused). */
#define CONFIG_PARAMS "sssssiis" "ssssssss"

/* A configuration query's WHERE (see the top of this file), each filter
 * given its fragment; status's items into items[] (NULL the rest). */
static int config_where(struct cv_buf *b, const struct store_query *q, bool keyset, char **ret_status,
			const char *items[static STATUS_LIST])
{
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < STATUS_LIST; i++)
		items[i] = NULL;
	*ret_status = NULL;
	r |= cv_buf_puts(b, " WHERE 1 = 1");
	if (q->guest)
		r |= cv_buf_puts(b, " AND c.guest_group IN (SELECT id FROM guest_groups"
				    " WHERE os = lower(?1) OR strpos(lower(product), lower(?1)) > 0)");
	if (q->hypervisor)
		r |= cv_buf_puts(b, " AND c.hv_group IN (SELECT id FROM hv_groups"
				    " WHERE strpos(' ' || ids || ' ', ' ' || lower(?2) || ' ') > 0"
				    " OR strpos(lower(product), lower(?2)) > 0)");
	if (q->vendor && !strchr(q->vendor, '\n'))
		r |= cv_buf_puts(b, " AND (c.guest_group IN (SELECT id FROM guest_groups"
				    "  WHERE lower(?3) IN (lower(vendor), replace(lower(vendor), ' ', '-')))"
				    " OR c.hv_group IN (SELECT id FROM hv_groups"
				    "  WHERE lower(?3) IN (lower(vendor), replace(lower(vendor), ' ', '-')))"
				    " OR c.id IN (SELECT config_id FROM configuration_vendors"
				    "  WHERE vendor = replace(lower(?3), ' ', '-')))");
	else if (q->vendor) /* across lines of validated_by: only the scan says */
		r |= cv_buf_puts(b, " AND (lower(?3) IN (lower(c.guest_vendor), lower(c.hv_vendor),"
				    " replace(lower(c.guest_vendor), ' ', '-'), replace(lower(c.hv_vendor), ' ', '-'))"
				    " OR strpos('\n' || replace(lower(c.validated_by), ' ', '-') || '\n',"
				    " '\n' || replace(lower(?3), ' ', '-') || '\n') > 0)");
	if (q->status) {
		char *list = cv_xstrdup(q->status);

		for (char *p = list;; p++) {
			if (n == STATUS_LIST) {
				n = SIZE_MAX;
				break;
			}
			items[n++] = p;
			p += strcspn(p, ",");
			if (!*p)
				break;
			*p = '\0';
		}
		if (n == SIZE_MAX) {
			for (size_t i = 0; i < STATUS_LIST; i++)
				items[i] = NULL;
			r |= cv_buf_puts(b, " AND strpos(',' || ?4 || ',', ',' || c.status || ',') > 0");
		} else {
			/* As many parameters as items: one status is one range of
			 * (status, id), read in id order with no sort. */
			r |= cv_buf_puts(b, " AND c.status IN (?9");
			for (size_t i = 1; i < n; i++)
				r |= cv_buf_printf(b, ", ?%zu", 9 + i);
			r |= cv_buf_puts(b, ")");
		}
		*ret_status = list;
	}
	if (q->text)
		r |= cv_buf_puts(b, " AND strpos(lower(c.doc), lower(?5)) > 0");
	if (keyset && q->after)
		r |= cv_buf_puts(b, " AND c.id > ?8");
	return r < 0 ? -E2BIG : 0;
}

static bool config_filtered(const struct store_query *q)
{
	return q->guest || q->hypervisor || q->vendor || q->status || q->text;
}

int store_config_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata)
{
	struct store_query none = { 0 };
	const char *items[STATUS_LIST];
	char *status = NULL;
	struct cv_buf b;
	int r;

	if (!q)
		q = &none;
	cv_buf_init(&b, 8192);
	/* The page's ids first, then their documents: an engine skipping
	 * an offset would otherwise read each skipped row whole (SQLite
	 * does), where the ids alone are an index's to give. */
	r = cv_buf_puts(&b, "SELECT d.id, d.doc FROM configurations d WHERE d.id IN (SELECT c.id FROM configurations c");
	if (r == 0)
		r = config_where(&b, q, true, &status, items);
	if (r == 0)
		r = cv_buf_puts(&b, " ORDER BY c.id LIMIT ?6 OFFSET ?7) ORDER BY d.id");
	if (r == 0)
		r = db_walk_docs(s, b.data, cb, userdata, CONFIG_PARAMS, q->guest, q->hypervisor, q->vendor, q->status,
				 q->text, (q->limit > 0 ? q->limit : DB_NO_LIMIT), (q->offset > 0 ? q->offset : (int64_t)0),
				 q->after, items[0], items[1], items[2], items[3], items[4], items[5], items[6], items[7]);
	free(status);
	cv_buf_release(&b);
	return r;
}

int store_config_count(struct store *s, const struct store_query *q, int64_t *ret)
{
	struct store_query none = { 0 };
	const char *items[STATUS_LIST];
	char *status = NULL;
	struct cv_buf b;
	int64_t n = 0;
	int r;

	if (!q)
		q = &none;
	if (!config_filtered(q)) {
		/* Every configuration: counted once per catalog generation on
		 * this connection.  Configurations are only added with a bump
		 * (store_config_write's callers), so the count of a generation
		 * never changes; the generation is read first, so a count taken
		 * after a later write is kept under the older generation, which
		 * the next call no longer finds.  A counter kept by every write
		 * instead was one row updated per configuration, which
		 * PostgreSQL makes quadratic in one transaction (an import). */
		int64_t gen = -1;

		r = store_catalog_generation(s, &gen);
		/* Not inside a transaction: its own writes, bumped or not yet,
		 * may yet roll back. */
		if (r == 0 && s->depth == 0 && gen == s->config_count_gen)
			n = s->config_count;
		else if (r == 0) {
			r = db_query(s, "SELECT count(*) FROM configurations", db_take_int, &n, NULL);
			if (r >= 0 && s->depth == 0) { /* (db_take_int stops the walk: 1) */
				s->config_count_gen = gen;
				s->config_count = n;
			}
		}
	} else {
		cv_buf_init(&b, 8192);
		r = cv_buf_puts(&b, "SELECT count(*) FROM configurations c");
		if (r == 0)
			r = config_where(&b, q, false, &status, items);
		if (r == 0)
			r = db_query(s, b.data, db_take_int, &n, CONFIG_PARAMS, q->guest, q->hypervisor, q->vendor,
				     q->status, q->text, (int64_t)0, (int64_t)0, NULL, items[0], items[1], items[2],
				     items[3], items[4], items[5], items[6], items[7]);
		free(status);
		cv_buf_release(&b);
	}
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
