/*
 * store-settings.c - the single policy document and the settings
 * key-value table.  Same rules as every shared query file
 * (store-internal.h): one static statement per function, every value
 * bound, SQL both engines speak.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

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
