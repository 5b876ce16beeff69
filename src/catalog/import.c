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

/* One parsed line, on its way to the store. */
struct pending {
	struct catalog_product *product;
	struct catalog_config *config;
	/* The line itself when it is already the compact dump of its
	 * document (line_is_canonical()), else NULL: stored as is. */
	const char *doc;
};

static char *strv_join_or_empty(const struct cv_strv *v, const char *sep)
{
	return v->n ? cv_strv_join(v, sep) : cv_xstrdup("");
}

static int product_put(struct store *s, const struct catalog_product *p, const char *doc, bool *ret_replaced)
{
	char *dump = doc ? NULL : catalog_doc_dump(p->doc);
	struct store_product_row row = { p->id, p->kind, p->vendor, p->product, p->version, p->osinfo,
					 doc ? doc : dump };
	int r = store_product_put(s, &row, ret_replaced);

	free(dump);
	return r;
}

static int config_put(struct store *s, const struct catalog_config *c, const char *doc, bool *ret_replaced)
{
	char *dump = doc ? NULL : catalog_doc_dump(c->doc);
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
		.doc = doc ? doc : dump,
	};
	int r = store_config_put(s, &row, ret_replaced);

	free(dump);
	free(ids);
	free(by);
	return r;
}

int catalog_product_store(struct store *s, const struct catalog_product *p, bool *ret_replaced)
{
	return product_put(s, p, NULL, ret_replaced);
}

int catalog_config_store(struct store *s, const struct catalog_config *c, bool *ret_replaced)
{
	return config_put(s, c, NULL, ret_replaced);
}

/*
 * Whether a line jansson accepted is byte for byte what
 * catalog_doc_dump() would make of it (json_dumps, JSON_COMPACT |
 * JSON_PRESERVE_ORDER), so that the line can be stored as the document
 * without dumping it again: a file exported by covalid, or written by a
 * program that writes compact JSON, is.  Conservative: anything the dump
 * could write differently sends the line the slow way.
 *
 *  - whitespace between tokens: the dump writes none;
 *  - a backslash in a string: escapes are decoded and written again in
 *    the dump's own way ("\/" and "\u0041" come out as "/" and "A");
 *    without one, a string's bytes are valid UTF-8 with no control
 *    characters (jansson checked), which the dump writes unchanged;
 *  - a real ('.', an exponent): the dump prints it with "%.17g";
 *  - "-0", an integer the dump writes "0".  Other integers of valid JSON
 *    have no leading zero or '+' and print as they are read.
 * Keys keep their order (JSON_PRESERVE_ORDER); duplicates were rejected;
 * "true", "false", "null", "{}" and "[]" print as read.
 */
static bool line_is_canonical(const char *line, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char ch = line[i];

		if (in_string) {
			if (ch == '\\')
				return false;
			if (ch == '"')
				in_string = false;
			continue;
		}
		switch (ch) {
		case '"': in_string = true; break;
		case ' ': case '\t': case '\r': case '\n': case '.': case 'E': return false;
		/* 'e' is in "true" and "false" too; after a digit it is an exponent. */
		case 'e': if (i && line[i - 1] >= '0' && line[i - 1] <= '9') return false; break;
		case '-': if (i + 1 < len && line[i + 1] == '0') return false; break;
		default: break;
		}
	}
	return true;
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

static void pending_release(struct pending *p)
{
	p->product = catalog_product_free(p->product);
	p->config = catalog_config_free(p->config);
}

/*
 * The ids seen so far in one file, to refuse a duplicate: open addressing
 * over (hash, where the id is, its line), the ids themselves, prefixed by
 * their kind (products and configurations are separate id spaces), one
 * after the other in one arena.  About 24 bytes a slot at most half full
 * plus the id's bytes: ~60 MB for a million configurations, against the
 * records themselves, which are never all held.
 */
struct idset_slot {
	uint64_t hash;
	size_t off, line; /* line 0: empty */
};

struct idset {
	struct idset_slot *slots;
	size_t cap, n;
	char *arena;
	size_t arena_len, arena_alloc;
};

static void idset_release(struct idset *set)
{
	free(set->slots);
	free(set->arena);
}

static void idset_grow(struct idset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 1024;
	struct idset_slot *slots = cv_xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < set->cap; i++) {
		size_t j;

		if (!set->slots[i].line)
			continue;
		for (j = set->slots[i].hash & (cap - 1); slots[j].line; j = (j + 1) & (cap - 1))
			;
		slots[j] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
}

/* Adds kind:id seen on line; if it was there, 0 and its first line in *ret_first. */
static bool idset_add(struct idset *set, char kind, const char *id, size_t line, size_t *ret_first)
{
	size_t n = strlen(id), j;
	uint64_t h = cv_hash(id, n) ^ (uint64_t)(unsigned char)kind * UINT64_C(0x9e3779b97f4a7c15);

	if (2 * (set->n + 1) > set->cap)
		idset_grow(set);
	for (j = h & (set->cap - 1); set->slots[j].line; j = (j + 1) & (set->cap - 1)) {
		const char *other = set->arena + set->slots[j].off;

		if (set->slots[j].hash == h && other[0] == kind && strcmp(other + 1, id) == 0) {
			*ret_first = set->slots[j].line;
			return false;
		}
	}
	if (set->arena_len + n + 2 > set->arena_alloc) {
		set->arena_alloc = set->arena_alloc ? set->arena_alloc * 2 : 64 * 1024;
		while (set->arena_len + n + 2 > set->arena_alloc)
			set->arena_alloc *= 2;
		set->arena = cv_xrealloc(set->arena, set->arena_alloc);
	}
	set->slots[j] = (struct idset_slot){ h, set->arena_len, line };
	set->arena[set->arena_len] = kind;
	memcpy(set->arena + set->arena_len + 1, id, n + 1);
	set->arena_len += n + 2;
	set->n++;
	return true;
}

/* What the store held when the import began: an empty table needs no
 * look-up per row (the file's ids are distinct, so every one is new). */
struct import_ctx {
	enum catalog_import_mode mode;
	bool had_products, had_configs;
	struct catalog_import_stats st;
};

static int any_row(void *userdata, const char *id, const char *doc)
{
	(void)id;
	(void)doc;
	*(bool *)userdata = true;
	return 0;
}

static int tables_have_rows(struct store *s, struct import_ctx *ctx)
{
	struct store_query one = { .limit = 1 };
	int r;

	r = store_product_list(s, &one, any_row, &ctx->had_products);
	if (r == 0)
		r = store_config_list(s, &one, any_row, &ctx->had_configs);
	return r;
}

/*
 * One record into the store, by the import's rule (covalid/catalog.h,
 * docs/catalog.md): a new id is added; an existing configuration the
 * program has decided since (revoked, or with submitted evidence) is
 * kept as it is; with CATALOG_IMPORT_MERGE every existing row is kept;
 * anything else is replaced by the file's record.
 */
static int store_one(struct store *s, const struct pending *p, struct import_ctx *ctx)
{
	struct catalog_import_stats *st = &ctx->st;
	bool replaced = false, decided = false;
	char *doc = NULL;
	int r;

	if (p->product) {
		if (ctx->had_products && ctx->mode == CATALOG_IMPORT_MERGE) {
			r = store_product_get(s, p->product->id, &doc);
			free(doc);
			if (r == 0) {
				st->products_kept++;
				return 0;
			}
			if (r != -ENOENT)
				return r;
		}
		r = product_put(s, p->product, p->doc, &replaced);
		if (r == 0)
			replaced ? st->products_replaced++ : st->products_added++;
		return r;
	}
	r = ctx->had_configs ? store_config_decided(s, p->config->id, &decided) : -ENOENT;
	if (r == 0 && decided) {
		st->configs_decided++;
		return 0;
	}
	if (r == 0 && ctx->mode == CATALOG_IMPORT_MERGE) {
		st->configs_kept++;
		return 0;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	r = config_put(s, p->config, p->doc, &replaced);
	if (r == 0)
		replaced ? st->configs_replaced++ : st->configs_added++;
	return r;
}

int catalog_import(struct store *s, FILE *f, struct catalog_import_stats *ret_stats, char **ret_error)
{
	return catalog_import_with(s, f, CATALOG_IMPORT_UPDATE, ret_stats, ret_error);
}

/*
 * Streams: each line is parsed, checked and written as it is read, all
 * inside one transaction, so that memory does not grow with the file
 * (only the set of ids seen does, a few tens of bytes each).  The first
 * bad line rolls the transaction back: all or nothing, as before.
 */
int catalog_import_with(struct store *s, FILE *f, enum catalog_import_mode mode, struct catalog_import_stats *ret_stats,
			char **ret_error)
{
	struct import_ctx ctx = { .mode = mode };
	struct idset ids = { 0 };
	size_t cap = 0, lineno = 0;
	bool in_txn = false;
	char *line = NULL;
	ssize_t len;
	int r;

	r = store_begin(s);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot start a transaction: %s", store_errmsg(s));
		goto out;
	}
	in_txn = true;
	r = tables_have_rows(s, &ctx);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot read the catalog: %s", store_errmsg(s));
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct pending p = { NULL, NULL, NULL };
		const char *id;
		char *why = NULL;
		size_t first;

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
		if (!idset_add(&ids, p.product ? 'p' : 'c', id, lineno, &first)) {
			*ret_error = cv_xasprintf("%zu: duplicate id '%s' (first on line %zu)", lineno, id, first);
			pending_release(&p);
			r = -EEXIST;
			goto out;
		}
		if (line_is_canonical(line, (size_t)len))
			p.doc = line;
		r = store_one(s, &p, &ctx);
		pending_release(&p);
		if (r < 0) {
			*ret_error = cv_xasprintf("%zu: cannot store the record: %s", lineno, store_errmsg(s));
			goto out;
		}
	}
	if (ferror(f)) {
		*ret_error = cv_xasprintf("%zu: read error: %s", lineno + 1, strerror(errno));
		r = -EIO;
		goto out;
	}
	ctx.st.lines = lineno;
	r = store_commit(s);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot commit: %s", store_errmsg(s));
		goto out;
	}
	in_txn = false;
	if (ret_stats)
		*ret_stats = ctx.st;
out:
	if (in_txn)
		store_rollback(s);
	free(line);
	idset_release(&ids);
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
