/*
 * store-internal.h - the backend interface behind covalid/store.h
 * (redis's ae.h over ae_epoll.c / ae_kqueue.c): each backend fills a
 * struct store_backend; store.c picks one by the location's scheme and
 * forwards every call.
 */
#ifndef COVALID_STORE_INTERNAL_H
#define COVALID_STORE_INTERNAL_H

#include "covalid/store.h"

struct store_backend {
	const char *name;
	int (*open)(const char *location, void **ret_impl, char **ret_errmsg);
	void (*close)(void *impl);
	const char *(*errmsg)(void *impl);
	int (*schema_version)(void *impl, int *ret);
	int (*begin)(void *impl);
	int (*commit)(void *impl);
	int (*rollback)(void *impl);
	int (*product_put)(void *impl, const struct store_product_row *row, bool *ret_replaced);
	int (*config_put)(void *impl, const struct store_config_row *row, bool *ret_replaced);
	int (*product_get)(void *impl, const char *id, char **ret_doc);
	int (*config_get)(void *impl, const char *id, char **ret_doc);
	int (*product_list)(void *impl, const struct store_query *q, store_row_cb cb, void *userdata);
	int (*config_list)(void *impl, const struct store_query *q, store_row_cb cb, void *userdata);
	int (*config_count)(void *impl, const struct store_query *q, int64_t *ret);
};

extern const struct store_backend store_backend_sqlite;

#endif
