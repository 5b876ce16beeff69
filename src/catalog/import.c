/*
 * import.c - catalog files in and out of a store, and the whole catalog
 * into memory (see covalid/catalog.h).
 */
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/store.h"
#include "util/cv.h"

static void *cv_json_decref(void *j)
{
	json_decref(j);
	return NULL;
}

/* One parsed line, kept until every line has been checked. */
struct pending {
	struct catalog_product *product;
	struct catalog_config *config;
};

static char *strv_join_or_empty(const struct cv_strv *v, const char *sep)
{
	return v->n ? cv_strv_join(v, sep) : cv_xstrdup("");
}

int catalog_product_store(struct store *s, const struct catalog_product *p, bool *ret_replaced)
{
	char *doc = catalog_doc_dump(p->doc);
	struct store_product_row row = { p->id, p->kind, p->vendor, p->product, p->version, p->osinfo, doc };
	int r = store_product_put(s, &row, ret_replaced);

	free(doc);
	return r;
}

int catalog_config_store(struct store *s, const struct catalog_config *c, bool *ret_replaced)
{
	char *doc = catalog_doc_dump(c->doc);
	char *ids = strv_join_or_empty(&c->hypervisor.ids, " ");
	char *by = strv_join_or_empty(&c->validated_by, "\n");
	struct store_config_row row = {
		.id = c->id,
		.status = catalog_status_name(c->status),
		.guest_os = c->guest.os_id,
		.guest_vendor = c->guest.vendor,
		.guest_product = c->guest.product,
		.guest_version = c->guest.version,
		.hv_ids = ids,
		.hv_vendor = c->hypervisor.vendor,
		.hv_product = c->hypervisor.product,
		.hv_version = c->hypervisor.version,
		.validated_by = by,
		.doc = doc,
	};
	int r = store_config_put(s, &row, ret_replaced);

	free(doc);
	free(ids);
	free(by);
	return r;
}

static int parse_line(const char *line, size_t len, struct pending *ret, char **ret_why)
{
	json_error_t jerr;
	json_t *j, *type;
	int r;

	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		*ret_why = cv_xasprintf("invalid JSON at column %d: %s", jerr.column, jerr.text);
		return -EINVAL;
	}
	type = json_object_get(j, "type");
	if (!json_is_object(j))
		*ret_why = cv_xstrdup("expected a JSON object");
	else if (!type)
		*ret_why = cv_xstrdup("type: missing required field (\"product\" or \"configuration\")");
	else if (json_is_string(type) && strcmp(json_string_value(type), "product") == 0) {
		r = catalog_product_from_json(j, &ret->product, ret_why);
		json_decref(j);
		return r;
	} else if (json_is_string(type) && strcmp(json_string_value(type), "configuration") == 0) {
		r = catalog_config_from_json(j, &ret->config, ret_why);
		json_decref(j);
		return r;
	} else
		*ret_why = cv_xstrdup("type: expected \"product\" or \"configuration\"");
	json_decref(j);
	return -EINVAL;
}

/*
 * One record into the store, by the import's rule (covalid/catalog.h,
 * docs/catalog.md): a new id is added; an existing configuration the
 * program has decided since (revoked, or with submitted evidence) is
 * kept as it is; with CATALOG_IMPORT_MERGE every existing row is kept;
 * anything else is replaced by the file's record.
 */
static int store_one(struct store *s, const struct pending *p, enum catalog_import_mode mode,
		     struct catalog_import_stats *st)
{
	bool replaced = false, decided = false;
	char *doc = NULL;
	int r;

	if (p->product) {
		if (mode == CATALOG_IMPORT_MERGE) {
			r = store_product_get(s, p->product->id, &doc);
			free(doc);
			if (r == 0) {
				st->products_kept++;
				return 0;
			}
			if (r != -ENOENT)
				return r;
		}
		r = catalog_product_store(s, p->product, &replaced);
		if (r == 0)
			replaced ? st->products_replaced++ : st->products_added++;
		return r;
	}
	r = store_config_decided(s, p->config->id, &decided);
	if (r == 0 && decided) {
		st->configs_decided++;
		return 0;
	}
	if (r == 0 && mode == CATALOG_IMPORT_MERGE) {
		st->configs_kept++;
		return 0;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	r = catalog_config_store(s, p->config, &replaced);
	if (r == 0)
		replaced ? st->configs_replaced++ : st->configs_added++;
	return r;
}

int catalog_import(struct store *s, FILE *f, struct catalog_import_stats *ret_stats, char **ret_error)
{
	return catalog_import_with(s, f, CATALOG_IMPORT_UPDATE, ret_stats, ret_error);
}

int catalog_import_with(struct store *s, FILE *f, enum catalog_import_mode mode, struct catalog_import_stats *ret_stats,
			char **ret_error)
{
	struct catalog_import_stats st = { 0 };
	struct pending *v = NULL;
	size_t n = 0, alloc = 0, cap = 0, lineno = 0;
	struct cv_hmap ids;
	char *line = NULL;
	ssize_t len;
	int r = 0;

	cv_hmap_init(&ids);
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct pending p = { NULL, NULL };
		const char *id;
		char *why = NULL;
		uintptr_t first;

		lineno++;
		if ((size_t)len > CATALOG_LINE_MAX) {
			*ret_error = cv_xasprintf("%zu: line longer than 1 MiB", lineno);
			r = -E2BIG;
			goto out;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue;
		if (memchr(line, '\0', (size_t)len)) {
			*ret_error = cv_xasprintf("%zu: NUL byte in line", lineno);
			r = -EINVAL;
			goto out;
		}
		r = parse_line(line, (size_t)len, &p, &why);
		if (r < 0) {
			*ret_error = cv_xasprintf("%zu: %s", lineno, why);
			free(why);
			goto out;
		}
		id = p.product ? p.product->id : p.config->id;
		/* Products and configurations are separate id spaces. */
		{
			char *key = cv_xasprintf("%c:%s", p.product ? 'p' : 'c', id);

			if (cv_hmap_get(&ids, key, &first)) {
				*ret_error = cv_xasprintf("%zu: duplicate id '%s' (first on line %zu)", lineno, id,
							  (size_t)first);
				free(key);
				catalog_product_free(p.product);
				catalog_config_free(p.config);
				r = -EEXIST;
				goto out;
			}
			cv_hmap_put(&ids, key, lineno);
			free(key);
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			v = cv_xreallocarray(v, alloc, sizeof(*v));
		}
		v[n++] = p;
	}
	if (ferror(f)) {
		*ret_error = cv_xasprintf("%zu: read error: %s", lineno + 1, strerror(errno));
		r = -EIO;
		goto out;
	}
	st.lines = lineno;

	r = store_begin(s);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot start a transaction: %s", store_errmsg(s));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = store_one(s, &v[i], mode, &st);
		if (r < 0) {
			*ret_error = cv_xasprintf("cannot store record %zu: %s", i + 1, store_errmsg(s));
			store_rollback(s);
			goto out;
		}
	}
	r = store_commit(s);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot commit: %s", store_errmsg(s));
		store_rollback(s);
		goto out;
	}
	if (ret_stats)
		*ret_stats = st;
out:
	for (size_t i = 0; i < n; i++) {
		catalog_product_free(v[i].product);
		catalog_config_free(v[i].config);
	}
	free(v);
	free(line);
	cv_hmap_release(&ids);
	return r;
}

static int print_doc(void *userdata, const char *id, const char *doc)
{
	FILE *out = userdata;

	(void)id;
	if (fputs(doc, out) == EOF || fputc('\n', out) == EOF)
		return -EIO;
	return 0;
}

int catalog_export(struct store *s, FILE *out)
{
	int r;

	r = store_product_list(s, NULL, print_doc, out);
	if (r < 0)
		return r;
	return store_config_list(s, NULL, print_doc, out);
}

struct load_ctx {
	struct catalog *cat;
	unsigned flags;
	size_t alloc_c, alloc_p;
	char *why;
};

static int load_config(void *userdata, const char *id, const char *doc)
{
	struct load_ctx *l = userdata;
	struct catalog_config *c;
	char *why = NULL;

	if (catalog_config_from_text(doc, &c, &why) < 0) {
		l->why = cv_xasprintf("stored configuration %s: %s", id, why);
		free(why);
		return -EBADMSG;
	}
	if (l->flags & CATALOG_LOAD_NO_DOCS)
		c->doc = cv_json_decref(c->doc);
	if (l->cat->n_configs == l->alloc_c) {
		l->alloc_c = l->alloc_c ? l->alloc_c * 2 : 256;
		l->cat->configs = cv_xreallocarray(l->cat->configs, l->alloc_c, sizeof(*l->cat->configs));
	}
	l->cat->configs[l->cat->n_configs++] = c;
	return 0;
}

static int load_product(void *userdata, const char *id, const char *doc)
{
	struct load_ctx *l = userdata;
	struct catalog_product *p;
	char *why = NULL;

	if (catalog_product_from_text(doc, &p, &why) < 0) {
		l->why = cv_xasprintf("stored product %s: %s", id, why);
		free(why);
		return -EBADMSG;
	}
	if (l->cat->n_products == l->alloc_p) {
		l->alloc_p = l->alloc_p ? l->alloc_p * 2 : 64;
		l->cat->products = cv_xreallocarray(l->cat->products, l->alloc_p, sizeof(*l->cat->products));
	}
	l->cat->products[l->cat->n_products++] = p;
	return 0;
}

int catalog_load(struct store *s, unsigned flags, struct catalog **ret, char **ret_why)
{
	struct load_ctx l = { cv_xcalloc(1, sizeof(struct catalog)), flags, 0, 0, NULL };
	int r;

	r = store_product_list(s, NULL, load_product, &l);
	if (r == 0)
		r = store_config_list(s, NULL, load_config, &l);
	if (r < 0) {
		if (ret_why)
			*ret_why = l.why ? l.why : cv_xstrdup(store_errmsg(s));
		else
			free(l.why);
		catalog_free(l.cat);
		return r;
	}
	*ret = l.cat;
	return 0;
}

const struct catalog_product *catalog_product_find(const struct catalog *cat, const char *id)
{
	for (size_t i = 0; cat && id && i < cat->n_products; i++)
		if (strcmp(cat->products[i]->id, id) == 0)
			return cat->products[i];
	return NULL;
}

struct catalog *catalog_free(struct catalog *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_configs; i++)
		catalog_config_free(c->configs[i]);
	for (size_t i = 0; i < c->n_products; i++)
		catalog_product_free(c->products[i]);
	free(c->configs);
	free(c->products);
	free(c);
	return NULL;
}
