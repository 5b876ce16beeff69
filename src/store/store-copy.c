/*
 * store-copy.c - a store copied into another through the store interface,
 * and the backup a backend may have of its own (covalid/store.h, "A
 * store's data as a whole").
 *
 * The tables, their columns and each column's kind are listed here, in an
 * order in which every foreign key's parent comes first.  Kinds matter:
 * the PostgreSQL backend binds parameters with types (text, int8), so an
 * integer column goes through bind_int64 and everything else through
 * bind_text, NULL as NULL; an integer column's parameter is written
 * CAST(?N AS BIGINT), which both engines read alike, so that a NULL
 * (bound as text, the interface having no typed NULL) goes into a
 * PostgreSQL bigint column.  A column or table added by a migration must
 * be added here too: t4009 compares an SQLite copy with its source row by
 * row (sqlite3 .dump), which fails on anything this list leaves out.
 *
 * Identity columns (events.seq, deliveries.id, machine_verdicts.id,
 * guest_groups.id, hv_groups.id) are copied as values, then the
 * destination's after_copy() moves whatever hands out the next one past them.
 *
 * Verification.  Each table's digest is BLAKE2b-256 over the sorted
 * BLAKE2b-256 digests of its rows, each row hashed column by column as
 * (NULL | integer as 8 bytes big-endian | text as its length and bytes).
 * Sorting the row digests, rather than reading rows in key order, makes
 * the digest independent of how each engine collates text keys (SQLite
 * compares bytes, PostgreSQL by the database's locale), so the same rows
 * give the same digest on any backend.
 */
#include <sodium.h>

#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

#define ROW_DIGEST crypto_generichash_BYTES /* 32 */

struct copy_table {
	const char *name;
	const char *columns; /* comma-separated, no spaces */
	const char *kinds;   /* one per column: 't' text, 'i' integer */
};

static const struct copy_table tables[] = {
	{ "products", "id,kind,vendor,product,version,osinfo,doc,updated_at,gen", "tttttttti" },
	{ "guest_groups", "id,os,product,vendor", "ittt" },
	{ "hv_groups", "id,ids,product,vendor", "ittt" },
	{ "configurations",
	  "id,status,guest_os,guest_vendor,guest_product,guest_version,hv_ids,hv_vendor,hv_product,hv_version,doc,"
	  "updated_at,validated_by,gen,guest_group,hv_group",
	  "tttttttttttttiii" },
	{ "configuration_vendors", "config_id,vendor", "tt" },
	{ "configuration_evidence", "config_id,testlog_id,added_at", "ttt" },
	{ "counters", "name,value", "ti" },
	{ "settings", "key,value", "tt" },
	{ "policy", "id,doc,updated_at", "itt" },
	{ "vendors", "id,name,created_at", "ttt" },
	{ "vendor_keys", "key_id,vendor_id,public_key,created_at,revoked_at", "ttttt" },
	{ "customers", "id,name,created_at", "ttt" },
	{ "tokens",
	  "id,hash,role,vendor_id,customer_id,name,description,created_at,revoked_at,expires_at,last_used_at",
	  "ttttttttttt" },
	{ "agreements", "id,customer_id,vendor_id,doc,created_at", "ttttt" },
	{ "submissions", "id,vendor_id,key_id,status,reasons,config_id,log,received_at,log_digest", "ttttttttt" },
	{ "machines",
	  "id,customer_id,machine_key,name,credential_hash,enrolled_at,last_seen,last_seen_s,interval_s,seq,reports,"
	  "descriptor_digest,vcpus,verdict,reason,differences,config_id,health,flags",
	  "tttttttiiiititttttt" },
	{ "machine_descriptors", "machine_id,descriptor", "tt" },
	{ "machine_verdicts", "id,machine_id,at,verdict,reason,config_id,differences,descriptor_digest", "ittttttt" },
	{ "cases", "id,customer_id,vendor_id,engaged,state,severity,version,doc,created_at,updated_at,machine_id",
	  "tttttiitttt" },
	{ "events", "seq,id,at,kind,customer_id,machine_id,case_id,vendor_ids,doc", "itttttttt" },
	{ "webhooks", "id,customer_id,url,secret,kinds,created_by,created_at,disabled_at", "tttttttt" },
	{ "deliveries", "id,webhook_id,event_seq,state,attempts,next_at_s,last_status,last_error,delivered_at,created_at",
	  "ititiiittt" },
	{ "monitor_settings", "customer_id,doc", "tt" },
	{ "fleet_samples", "customer_id,at,verdict,count", "ttti" },
	{ "idempotency_keys", "principal,key,fingerprint,created_at,status,content_type,location,body", "tttiittt" },
};

/*
 * The one table a fresh schema fills: migration 3 starts the catalog's
 * generation at 1.  The copy replaces its rows with the source's.
 */
static const char counters_table[] = "counters";

static size_t n_columns(const struct copy_table *t)
{
	size_t n = 1;

	for (const char *p = t->columns; *p; p++)
		n += *p == ',';
	return n;
}

static void set_err(char **ret_errmsg, const char *fmt, ...) CV_PRINTF(2, 3);
static void set_err(char **ret_errmsg, const char *fmt, ...)
{
	struct cv_buf b;
	va_list ap;
	int r;

	cv_buf_init(&b, 4096);
	va_start(ap, fmt);
	r = cv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	(void)r; /* a message cut at the bound is still a message */
	free(*ret_errmsg);
	*ret_errmsg = cv_buf_detach(&b, NULL);
}

static int count_rows(struct store *s, const struct copy_table *t, int64_t *ret)
{
	char *sql = cv_xasprintf("SELECT count(*) FROM %s", t->name);
	int64_t n = 0;
	int r = db_query(s, sql, db_take_int, &n, NULL);

	free(sql);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

/*
 * An integer column's value, checked: the engine's text for it must be
 * the integer's own decimal spelling.  SQLite keeps any value in any
 * column; one that is not an integer would be copied as a number it is
 * not (column_int64 converts), so it is refused instead.
 */
static int take_int(struct store *s, struct db_stmt *st, int i, int64_t *ret)
{
	const char *text = s->ops->column_text(st, i);
	int64_t v = s->ops->column_int64(st, i);
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	if (!text || strcmp(text, buf) != 0)
		return -EDOM;
	*ret = v;
	return 0;
}

static void put_u64(crypto_generichash_state *h, uint64_t v)
{
	unsigned char b[8];

	for (int k = 0; k < 8; k++)
		b[k] = (unsigned char)(v >> (56 - 8 * k));
	crypto_generichash_update(h, b, sizeof(b));
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, ROW_DIGEST);
}

static char *select_sql(const struct copy_table *t)
{
	return cv_xasprintf("SELECT %s FROM %s", t->columns, t->name);
}

static const char *column_name(const struct copy_table *t, size_t i, char buf[static 64])
{
	const char *p = t->columns;
	size_t len;

	for (; i > 0; i--)
		p = strchr(p, ',') + 1;
	len = strcspn(p, ",");
	if (len > 63)
		len = 63;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

/* The table's digest (above) and its row count, from s. */
static int table_digest(struct store *s, const struct copy_table *t, int64_t *ret_rows, char ret_hex[static 65],
			char **ret_errmsg)
{
	size_t ncol = n_columns(t), n = 0, cap = 0;
	unsigned char *rows = NULL, digest[ROW_DIGEST];
	crypto_generichash_state h;
	struct db_stmt *st = NULL;
	char *sql = select_sql(t);
	int r;

	r = s->ops->prepare(s->db, sql, &st);
	if (r < 0) {
		set_err(ret_errmsg, "%s: %s", t->name, store_errmsg(s));
		goto out;
	}
	while ((r = s->ops->step(st)) == 1) {
		crypto_generichash_init(&h, NULL, 0, ROW_DIGEST);
		for (size_t i = 0; i < ncol; i++) {
			const char *v = s->ops->column_text(st, (int)i);
			unsigned char tag = v == NULL ? 0 : t->kinds[i] == 'i' ? 1 : 2;
			int64_t iv;

			crypto_generichash_update(&h, &tag, 1);
			if (tag == 1) {
				char col[64];

				r = take_int(s, st, (int)i, &iv);
				if (r < 0) {
					set_err(ret_errmsg, "%s.%s: a value that is not an integer: '%.40s'", t->name,
						column_name(t, i, col), v);
					goto out;
				}
				put_u64(&h, (uint64_t)iv);
			} else if (tag == 2) {
				put_u64(&h, strlen(v));
				crypto_generichash_update(&h, (const unsigned char *)v, strlen(v));
			}
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			rows = cv_xrealloc(rows, cap * ROW_DIGEST);
		}
		crypto_generichash_final(&h, rows + n * ROW_DIGEST, ROW_DIGEST);
		n++;
	}
	if (r < 0) {
		set_err(ret_errmsg, "%s: %s", t->name, store_errmsg(s));
		goto out;
	}
	if (n > 1)
		qsort(rows, n, ROW_DIGEST, cmp_digest);
	crypto_generichash_init(&h, NULL, 0, ROW_DIGEST);
	put_u64(&h, n);
	if (n)
		crypto_generichash_update(&h, rows, n * ROW_DIGEST);
	crypto_generichash_final(&h, digest, sizeof(digest));
	sodium_bin2hex(ret_hex, 65, digest, sizeof(digest));
	*ret_rows = (int64_t)n;
	r = 0;
out:
	if (st)
		s->ops->finalize(st);
	free(rows);
	free(sql);
	return r;
}

static char *insert_sql(const struct copy_table *t)
{
	struct cv_buf b;
	size_t ncol = n_columns(t);
	int r;

	/* Unbounded in effect: the text comes from the table above. */
	cv_buf_init(&b, SIZE_MAX / 2);
	r = cv_buf_printf(&b, "INSERT INTO %s (%s) VALUES (", t->name, t->columns);
	for (size_t i = 0; i < ncol && r == 0; i++)
		r = cv_buf_printf(&b, t->kinds[i] == 'i' ? "%sCAST(?%zu AS BIGINT)" : "%s?%zu", i ? ", " : "", i + 1);
	if (r == 0)
		r = cv_buf_puts(&b, ")");
	if (r < 0)
		abort(); /* out of memory, as cv_x* functions do */
	return cv_buf_detach(&b, NULL);
}

/* Every row of t from src into dst, column by column by kind. */
static int copy_table(struct store *src, struct store *dst, const struct copy_table *t, char **ret_errmsg)
{
	size_t ncol = n_columns(t);
	char *sel = select_sql(t), *ins = insert_sql(t);
	struct db_stmt *st = NULL, *out = NULL;
	int r;

	r = src->ops->prepare(src->db, sel, &st);
	if (r < 0) {
		set_err(ret_errmsg, "%s: reading: %s", t->name, store_errmsg(src));
		goto out;
	}
	while ((r = src->ops->step(st)) == 1) {
		r = dst->ops->prepare(dst->db, ins, &out);
		if (r < 0) {
			set_err(ret_errmsg, "%s: writing: %s", t->name, store_errmsg(dst));
			goto out;
		}
		for (size_t i = 0; i < ncol; i++) {
			const char *v = src->ops->column_text(st, (int)i);
			int64_t iv;

			if (v && t->kinds[i] == 'i') {
				char col[64];

				r = take_int(src, st, (int)i, &iv);
				if (r < 0) {
					set_err(ret_errmsg, "%s.%s: a value that is not an integer: '%.40s'", t->name,
						column_name(t, i, col), v);
					goto out;
				}
				dst->ops->bind_int64(out, (int)i + 1, iv);
			} else
				dst->ops->bind_text(out, (int)i + 1, v);
		}
		r = dst->ops->step(out);
		if (r < 0) {
			set_err(ret_errmsg, "%s: writing: %s", t->name, store_errmsg(dst));
			goto out;
		}
		dst->ops->finalize(out);
		out = NULL;
	}
	if (r < 0) {
		set_err(ret_errmsg, "%s: reading: %s", t->name, store_errmsg(src));
		goto out;
	}
	r = 0;
out:
	if (out)
		dst->ops->finalize(out);
	if (st)
		src->ops->finalize(st);
	free(sel);
	free(ins);
	return r;
}

/* Does dst hold rows of its own?  A fresh schema's counters do not count. */
static int check_empty(struct store *dst, char **ret_errmsg)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(tables); i++) {
		int64_t n;
		int r;

		if (strcmp(tables[i].name, counters_table) == 0)
			continue;
		r = count_rows(dst, &tables[i], &n);
		if (r < 0) {
			set_err(ret_errmsg, "destination: %s: %s", tables[i].name, store_errmsg(dst));
			return r;
		}
		if (n > 0) {
			set_err(ret_errmsg,
				"the destination is not empty (table %s has %lld rows): migrate only into a new database",
				tables[i].name, (long long)n);
			return -ENOTEMPTY;
		}
	}
	return 0;
}

/* Counts and digests on both sides; -EBADE if any differ. */
static int verify(struct store *src, struct store *dst, struct store_copy_check *checks, char **ret_errmsg)
{
	int bad = 0;

	for (size_t i = 0; i < CV_ELEMENTSOF(tables); i++) {
		struct store_copy_check *c = &checks[i];
		int64_t src_count, dst_count;
		int r;

		c->table = tables[i].name;
		r = table_digest(src, &tables[i], &c->source_rows, c->source_digest, ret_errmsg);
		if (r == 0)
			r = table_digest(dst, &tables[i], &c->dest_rows, c->dest_digest, ret_errmsg);
		if (r < 0)
			return r;
		/* count(*) too: an engine's count, not only the rows a SELECT gave. */
		r = count_rows(src, &tables[i], &src_count);
		if (r == 0)
			r = count_rows(dst, &tables[i], &dst_count);
		if (r < 0) {
			set_err(ret_errmsg, "%s: counting: %s", tables[i].name, store_errmsg(r == 0 ? dst : src));
			return r;
		}
		if (src_count != c->source_rows || dst_count != c->dest_rows || c->source_rows != c->dest_rows ||
		    strcmp(c->source_digest, c->dest_digest) != 0)
			bad++;
	}
	if (bad) {
		set_err(ret_errmsg, "%d table%s differ%s after the copy: nothing was committed", bad, bad == 1 ? "" : "s",
			bad == 1 ? "s" : "");
		return -EBADE;
	}
	return 0;
}

int store_copy(struct store *src, struct store *dst, struct store_copy_check **ret_checks, size_t *ret_n,
	       char **ret_errmsg)
{
	struct store_copy_check *checks = NULL;
	char *err = NULL, *why = NULL;
	bool snapshot = false, writing = false;
	int src_version, dst_version, r;

	/* The copy replaces dst's rows, groups included. */
	db_forget_groups(dst);
	/* The table above is checked where it is read: a kind for every column. */
	for (size_t i = 0; i < CV_ELEMENTSOF(tables); i++)
		if (strlen(tables[i].kinds) != n_columns(&tables[i])) {
			set_err(&err, "internal: table %s: %zu kinds for %zu columns", tables[i].name,
				strlen(tables[i].kinds), n_columns(&tables[i]));
			r = -EINVAL;
			goto out;
		}
	if (sodium_init() < 0) {
		set_err(&err, "libsodium failed to start");
		r = -EIO;
		goto out;
	}
	if (store_schema_version(src, &src_version) < 0 || store_schema_version(dst, &dst_version) < 0) {
		set_err(&err, "cannot read the schema versions");
		r = -EIO;
		goto out;
	}
	if (src_version != dst_version) {
		set_err(&err, "the source has schema version %d, the destination %d", src_version, dst_version);
		r = -EPROTO;
		goto out;
	}
	/* A source that does not read whole is not copied (SQLite: quick_check). */
	r = store_health(src, true, &why);
	if (r < 0 && r != -EROFS) {
		set_err(&err, "the source is damaged or unreadable: %s", why ? why : strerror(-r));
		r = -EBADMSG;
		goto out;
	}
	if (src->ops->begin_snapshot) {
		r = src->ops->begin_snapshot(src->db);
		if (r < 0) {
			set_err(&err, "source: %s", store_errmsg(src));
			goto out;
		}
		snapshot = true;
	}
	r = store_begin(dst);
	if (r < 0) {
		set_err(&err, "destination: %s", store_errmsg(dst));
		goto out;
	}
	writing = true;
	r = check_empty(dst, &err);
	if (r < 0)
		goto out;
	r = db_query(dst, "DELETE FROM counters", NULL, NULL, NULL);
	if (r < 0) {
		set_err(&err, "destination: counters: %s", store_errmsg(dst));
		goto out;
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(tables); i++) {
		r = copy_table(src, dst, &tables[i], &err);
		if (r < 0)
			goto out;
	}
	if (dst->ops->after_copy) {
		r = dst->ops->after_copy(dst->db);
		if (r < 0) {
			set_err(&err, "destination: after the copy: %s", store_errmsg(dst));
			goto out;
		}
	}
	checks = cv_xcalloc(CV_ELEMENTSOF(tables), sizeof(*checks));
	r = verify(src, dst, checks, &err);
	if (r < 0)
		goto out;
	r = store_commit(dst);
	if (r < 0) {
		set_err(&err, "destination: commit: %s", store_errmsg(dst));
		goto out;
	}
	writing = false;
out:
	if (writing)
		(void)store_rollback(dst);
	if (snapshot)
		(void)src->ops->rollback(src->db);
	free(why);
	if (r == 0 || r == -EBADE) {
		*ret_checks = checks;
		*ret_n = CV_ELEMENTSOF(tables);
		checks = NULL;
	}
	free(checks);
	if (r < 0 && ret_errmsg)
		*ret_errmsg = err;
	else
		free(err);
	return r;
}

int store_backup(struct store *s, const char *dest, char **ret_errmsg)
{
	if (!s->ops->backup) {
		if (ret_errmsg)
			*ret_errmsg = cv_xasprintf("the %s backend has no backup of its own", s->ops->name);
		return -EOPNOTSUPP;
	}
	return s->ops->backup(s->db, dest, ret_errmsg);
}
