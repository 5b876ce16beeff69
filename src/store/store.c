/*
 * store.c - picks a backend by location and forwards (see covalid/store.h).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

struct store {
	const struct store_backend *be;
	void *impl;
};

int store_open(const char *location, struct store **ret, char **ret_errmsg)
{
	const struct store_backend *be = &store_backend_sqlite;
	struct store *s;
	char *err = NULL;
	int r;

	if (!location || !*location)
		return -EINVAL;
	if (cv_startswith(location, "postgresql:") || cv_startswith(location, "postgres:")) {
		if (ret_errmsg)
			*ret_errmsg = cv_xstrdup("the PostgreSQL backend is not built into this covalid yet");
		return -EPROTONOSUPPORT;
	}
	if (cv_startswith(location, "sqlite:"))
		location += strlen("sqlite:");
	s = cv_xcalloc(1, sizeof(*s));
	s->be = be;
	r = be->open(location, &s->impl, &err);
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

struct store *store_close(struct store *s)
{
	if (!s)
		return NULL;
	s->be->close(s->impl);
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
	return s->be->errmsg(s->impl);
}

int store_schema_version(struct store *s, int *ret)
{
	return s->be->schema_version(s->impl, ret);
}

int store_begin(struct store *s)
{
	return s->be->begin(s->impl);
}

int store_commit(struct store *s)
{
	return s->be->commit(s->impl);
}

int store_rollback(struct store *s)
{
	return s->be->rollback(s->impl);
}

int store_product_put(struct store *s, const struct store_product_row *row, bool *ret_replaced)
{
	return s->be->product_put(s->impl, row, ret_replaced);
}

int store_config_put(struct store *s, const struct store_config_row *row, bool *ret_replaced)
{
	return s->be->config_put(s->impl, row, ret_replaced);
}

int store_product_get(struct store *s, const char *id, char **ret_doc)
{
	return s->be->product_get(s->impl, id, ret_doc);
}

int store_config_get(struct store *s, const char *id, char **ret_doc)
{
	return s->be->config_get(s->impl, id, ret_doc);
}

int store_product_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata)
{
	return s->be->product_list(s->impl, q, cb, userdata);
}

int store_config_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata)
{
	return s->be->config_list(s->impl, q, cb, userdata);
}

int store_config_count(struct store *s, const struct store_query *q, int64_t *ret)
{
	return s->be->config_count(s->impl, q, ret);
}
