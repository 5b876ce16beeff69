/*
 * store-vendors.c - vendors, their signing keys, and API tokens.  Same
 * rules as every shared query file (store-internal.h): one static
 * statement per function, every value bound, SQL both engines speak.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

/* An INSERT that must add a row: -EEXIST from a constraint stays -EEXIST. */
int store_vendor_add(struct store *s, const char *id, const char *name)
{
	int r = db_query(s, "INSERT INTO vendors (id, name) VALUES (?1, ?2)", NULL, NULL, "ss", id, name);

	/* The vendors are part of the published catalog (its vendor list
	 * and feeds): readers must see a new one. */
	return r < 0 ? r : db_bump_generation(s);
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
			"INSERT INTO tokens (id, hash, role, vendor_id, customer_id, name, description, expires_at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			NULL, NULL, "ssssssss", row->id, hash, row->role, row->vendor_id, row->customer_id, row->name,
			row->description, row->expires_at);
}

#define TOKEN_COLUMNS \
	"id, role, vendor_id, customer_id, name, description, created_at, revoked_at, expires_at, last_used_at"
#define TOKEN_NCOLS 10

/* A row and its strings in one allocation. */
static struct store_token_row *token_from(struct store *s, struct db_stmt *st)
{
	const char *v[TOKEN_NCOLS];
	size_t n = 0;
	struct store_token_row *t;
	char *p;

	for (int i = 0; i < TOKEN_NCOLS; i++) {
		v[i] = db_col(s, st, i);
		n += v[i] ? strlen(v[i]) + 1 : 0;
	}
	t = cv_xcalloc(1, sizeof(*t) + n);
	p = (char *)(t + 1);
	for (int i = 0; i < TOKEN_NCOLS; i++) {
		const char **f[TOKEN_NCOLS] = { &t->id, &t->role, &t->vendor_id, &t->customer_id, &t->name,
						&t->description, &t->created_at, &t->revoked_at, &t->expires_at,
						&t->last_used_at };

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

int store_token_touch(struct store *s, const char *id, const char *now, const char *not_before, bool *ret_written)
{
	int r = db_query(s,
			 "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
			 NULL, NULL, "sss", id, now, not_before);

	if (r < 0)
		return r;
	if (ret_written)
		*ret_written = s->ops->changes(s->db) > 0;
	return 0;
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

int store_token_list(struct store *s, enum store_token_order order, store_token_cb cb, void *userdata)
{
	struct token_walk w = { cb, userdata };

	if (order == STORE_TOKENS_BY_LAST_USE)
		/* Never-used tokens last without NULLS LAST: a boolean orders
		 * false before true in both engines. */
		return db_query(s,
				"SELECT " TOKEN_COLUMNS " FROM tokens "
				"ORDER BY last_used_at IS NULL, last_used_at DESC, created_at, id",
				token_list_row, &w, NULL);
	return db_query(s, "SELECT " TOKEN_COLUMNS " FROM tokens ORDER BY created_at, id", token_list_row, &w, NULL);
}
