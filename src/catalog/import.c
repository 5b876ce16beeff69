/*
 * import.c - catalog files in and out of a store, and the whole catalog
 * into memory (see covalid/catalog.h).
 */
#include <jansson.h>
#include <pthread.h>

#include "catalog/catalog-internal.h"
#include "covalid/catalog.h"
#include "covalid/store.h"
#include "util/cv.h"

static void *cv_json_decref(void *j)
{
	json_decref(j);
	return NULL;
}

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

/* One parsed line. */
struct pending {
	struct catalog_product *product;
	struct catalog_config *config;
};

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
 * The ids seen so far in one file, to refuse a duplicate: open addressing
 * over (hash, where the id is, its line), the ids themselves, prefixed by
 * their kind (products and configurations are separate id spaces), one
 * after the other in one arena.  24 bytes a slot, at most half full, plus
 * the id's bytes: ~60 MB for a million configurations, where the records
 * themselves are never all held.
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

/* Adds kind:id, seen on line; false if it was there, its first line in *ret_first. */
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

/*
 * The import is a pipeline over two threads: the reader (import_read)
 * reads, parses and checks each line and leaves the row to write in a
 * ring of slots; the caller's thread (import_write) takes the rows in
 * order and writes them in the one transaction.  Parsing and SQLite cost
 * about the same per row, so on two cores the import takes about the time
 * of the slower.  Only the writer touches the store, only the reader the
 * file and jansson; a slot's buffer is reused, so rows cost no allocation
 * shared between the threads.  The ring bounds memory: the reader waits
 * when it is full, or when the rows in it hold more than RING_BYTES (a
 * line may be 1 MiB); a slot's buffer that grew past SLOT_KEEP for a long
 * line is freed once written, so that long lines leave nothing behind.
 *
 * A slot is a row (its columns, NUL-terminated, one after the other in
 * buf; an absent one at NO_COL), or the reader's last word: the end of
 * the file, or an error ("LINE: why") after which nothing more comes.
 * An error of the writer stops the reader at its next line.
 */
enum {
	COL_ID, COL_STATUS, COL_GUEST_OS, COL_GUEST_VENDOR, COL_GUEST_PRODUCT, COL_GUEST_VERSION, COL_HV_IDS,
	COL_HV_VENDOR, COL_HV_PRODUCT, COL_HV_VERSION, COL_VALIDATED_BY, COL_DOC, COL__MAX,
	/* A product's columns, in the same slots. */
	COL_KIND = COL_STATUS, COL_VENDOR = COL_GUEST_OS, COL_PRODUCT = COL_GUEST_VENDOR,
	COL_VERSION = COL_GUEST_PRODUCT, COL_OSINFO = COL_GUEST_VERSION,
};
#define NO_COL SIZE_MAX
#define RING 512
#define RING_BYTES (32u << 20)
#define SLOT_KEEP (64u << 10)

enum slot_kind { SLOT_CONFIG, SLOT_PRODUCT, SLOT_END, SLOT_ERROR };

struct slot {
	enum slot_kind kind;
	size_t line;
	size_t col[COL__MAX];
	char *buf;
	size_t len, alloc;
	int error;  /* SLOT_ERROR */
	char *why;  /* SLOT_ERROR: the message, the writer's to free */
};

struct pipeline {
	FILE *f;
	pthread_mutex_t lock;
	pthread_cond_t filled, freed;
	struct slot ring[RING];
	size_t head, tail; /* slots filled, taken (counts; mod RING) */
	size_t inflight;   /* bytes of the rows filled and not yet taken */
	bool reader_waits, writer_waits, stop;
};

static size_t slot_put(struct slot *sl, const char *s)
{
	size_t n, off = sl->len;

	if (!s)
		return NO_COL;
	n = strlen(s) + 1;
	if (sl->len + n > sl->alloc) {
		sl->alloc = sl->alloc ? sl->alloc : 1024;
		while (sl->len + n > sl->alloc)
			sl->alloc *= 2;
		sl->buf = cv_xrealloc(sl->buf, sl->alloc);
	}
	memcpy(sl->buf + off, s, n);
	sl->len += n;
	return off;
}

static size_t slot_put_strv(struct slot *sl, const struct cv_strv *v, char sep)
{
	size_t off = slot_put(sl, v->n ? v->v[0] : "");

	for (size_t i = 1; i < v->n; i++) {
		sl->buf[sl->len - 1] = sep; /* over the NUL: the next item follows */
		slot_put(sl, v->v[i]);
	}
	return off;
}

static const char *slot_col(const struct slot *sl, int col)
{
	return sl->col[col] == NO_COL ? NULL : sl->buf + sl->col[col];
}

/* Fills sl with the row of the record on line (its text doc_line when it
 * is already the canonical dump, else NULL). */
static void slot_fill(struct slot *sl, const struct pending *p, const char *doc_line, size_t line)
{
	char *dump = NULL;

	sl->len = 0;
	sl->line = line;
	if (!doc_line)
		doc_line = dump = catalog_doc_dump(p->product ? p->product->doc : p->config->doc);
	if (p->product) {
		const struct catalog_product *pr = p->product;

		sl->kind = SLOT_PRODUCT;
		for (int i = 0; i < COL__MAX; i++)
			sl->col[i] = NO_COL;
		sl->col[COL_ID] = slot_put(sl, pr->id);
		sl->col[COL_KIND] = slot_put(sl, pr->kind);
		sl->col[COL_VENDOR] = slot_put(sl, pr->vendor);
		sl->col[COL_PRODUCT] = slot_put(sl, pr->product);
		sl->col[COL_VERSION] = slot_put(sl, pr->version);
		sl->col[COL_OSINFO] = slot_put(sl, pr->osinfo);
	} else {
		const struct catalog_config *c = p->config;

		sl->kind = SLOT_CONFIG;
		sl->col[COL_ID] = slot_put(sl, c->id);
		sl->col[COL_STATUS] = slot_put(sl, catalog_status_name(c->status));
		sl->col[COL_GUEST_OS] = slot_put(sl, c->guest.os_id);
		sl->col[COL_GUEST_VENDOR] = slot_put(sl, c->guest.vendor);
		sl->col[COL_GUEST_PRODUCT] = slot_put(sl, c->guest.product);
		sl->col[COL_GUEST_VERSION] = slot_put(sl, c->guest.version);
		sl->col[COL_HV_IDS] = slot_put_strv(sl, &c->hypervisor.ids, ' ');
		sl->col[COL_HV_VENDOR] = slot_put(sl, c->hypervisor.vendor);
		sl->col[COL_HV_PRODUCT] = slot_put(sl, c->hypervisor.product);
		sl->col[COL_HV_VERSION] = slot_put(sl, c->hypervisor.version);
		sl->col[COL_VALIDATED_BY] = slot_put_strv(sl, &c->validated_by, '\n');
	}
	sl->col[COL_DOC] = slot_put(sl, doc_line);
	free(dump);
}

/* The next free slot, or NULL when the writer has stopped. */
static struct slot *ring_reserve(struct pipeline *pl)
{
	struct slot *sl = NULL;

	pthread_mutex_lock(&pl->lock);
	/* One row whatever its size when none is waiting: never stuck. */
	while (!pl->stop && (pl->head - pl->tail == RING || (pl->inflight > RING_BYTES && pl->head != pl->tail))) {
		pl->reader_waits = true;
		pthread_cond_wait(&pl->freed, &pl->lock);
		pl->reader_waits = false;
	}
	if (!pl->stop)
		sl = &pl->ring[pl->head % RING];
	pthread_mutex_unlock(&pl->lock);
	return sl;
}

static void ring_publish(struct pipeline *pl, size_t bytes)
{
	pthread_mutex_lock(&pl->lock);
	pl->head++;
	pl->inflight += bytes;
	if (pl->writer_waits)
		pthread_cond_signal(&pl->filled);
	pthread_mutex_unlock(&pl->lock);
}

/* Ends the reader's work with an error slot, if the writer still listens. */
static void read_failed(struct pipeline *pl, int error, char *why)
{
	struct slot *sl = ring_reserve(pl);

	if (!sl) {
		free(why);
		return;
	}
	sl->kind = SLOT_ERROR;
	sl->error = error;
	sl->why = why;
	ring_publish(pl, 0);
}

static void *import_read(void *userdata)
{
	struct pipeline *pl = userdata;
	struct idset ids = { 0 };
	size_t cap = 0, lineno = 0;
	char *line = NULL;
	ssize_t len;

	while ((len = getline(&line, &cap, pl->f)) >= 0) {
		struct pending p = { NULL, NULL };
		struct slot *sl;
		const char *id;
		char *why = NULL;
		bool canonical;
		size_t first;
		int r;

		lineno++;
		if ((size_t)len > CATALOG_LINE_MAX) {
			read_failed(pl, -E2BIG, cv_xasprintf("%zu: line longer than 1 MiB", lineno));
			goto out;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue;
		if (memchr(line, '\0', (size_t)len)) {
			read_failed(pl, -EINVAL, cv_xasprintf("%zu: NUL byte in line", lineno));
			goto out;
		}
		/* A compact line goes the fast way (no tree, and it is its own
		 * document); anything else, or anything it refuses, the way that
		 * dumps the document or says what is wrong. */
		canonical = line_is_canonical(line, (size_t)len);
		r = canonical ? catalog_config_from_text_fast(line, (size_t)len, &p.config) : -EAGAIN;
		if (r == -EAGAIN)
			r = parse_line(line, (size_t)len, &p, &why);
		if (r < 0) {
			read_failed(pl, r, cv_xasprintf("%zu: %s", lineno, why));
			free(why);
			goto out;
		}
		id = p.product ? p.product->id : p.config->id;
		if (!idset_add(&ids, p.product ? 'p' : 'c', id, lineno, &first)) {
			read_failed(pl, -EEXIST,
				    cv_xasprintf("%zu: duplicate id '%s' (first on line %zu)", lineno, id, first));
			catalog_product_free(p.product);
			catalog_config_free(p.config);
			goto out;
		}
		sl = ring_reserve(pl);
		if (sl)
			slot_fill(sl, &p, canonical ? line : NULL, lineno);
		catalog_product_free(p.product);
		catalog_config_free(p.config);
		if (!sl)
			goto out;
		ring_publish(pl, sl->len);
	}
	if (ferror(pl->f))
		read_failed(pl, -EIO, cv_xasprintf("%zu: read error: %s", lineno + 1, strerror(errno)));
	else {
		struct slot *sl = ring_reserve(pl);

		if (sl) {
			sl->kind = SLOT_END;
			sl->line = lineno;
			ring_publish(pl, 0);
		}
	}
out:
	free(line);
	idset_release(&ids);
	return NULL;
}

/* What the store held when the import began: an empty table needs no
 * look-up per row (the file's ids are distinct, so every one is new). */
struct import_ctx {
	enum catalog_import_mode mode;
	bool had_products, had_configs;
	int64_t gen; /* 0 until the first write bumps the generation, once */
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
 * One row into the store, by the import's rule (covalid/catalog.h,
 * docs/catalog.md): a new id is added; an existing configuration the
 * program has decided since (revoked, or with submitted evidence) is
 * kept as it is; with CATALOG_IMPORT_MERGE every existing row is kept;
 * anything else is replaced by the file's record.  Whether the id exists
 * is known before the write (the decided check answers it; an empty table
 * has none), so the write looks nothing up.
 */
static int store_one(struct store *s, const struct slot *sl, struct import_ctx *ctx)
{
	struct catalog_import_stats *st = &ctx->st;
	const char *id = slot_col(sl, COL_ID);
	bool exists = false, decided = false;
	char *doc = NULL;
	int r;

	if (sl->kind == SLOT_PRODUCT) {
		struct store_product_row row = { id, slot_col(sl, COL_KIND), slot_col(sl, COL_VENDOR),
						 slot_col(sl, COL_PRODUCT), slot_col(sl, COL_VERSION),
						 slot_col(sl, COL_OSINFO), slot_col(sl, COL_DOC) };

		if (ctx->had_products) {
			r = store_product_get(s, id, &doc);
			free(doc);
			if (r < 0 && r != -ENOENT)
				return r;
			exists = r == 0;
		}
		if (exists && ctx->mode == CATALOG_IMPORT_MERGE) {
			st->products_kept++;
			return 0;
		}
		if (!ctx->gen && (r = store_catalog_bump(s, &ctx->gen)) < 0)
			return r;
		r = store_product_write(s, &row, ctx->gen, NULL);
		if (r == 0)
			exists ? st->products_replaced++ : st->products_added++;
		return r;
	}
	if (ctx->had_configs) {
		r = store_config_decided(s, id, &decided);
		if (r < 0 && r != -ENOENT)
			return r;
		exists = r == 0;
	}
	if (exists && decided) {
		st->configs_decided++;
		return 0;
	}
	if (exists && ctx->mode == CATALOG_IMPORT_MERGE) {
		st->configs_kept++;
		return 0;
	}
	struct store_config_row row = {
		.id = id,
		.status = slot_col(sl, COL_STATUS),
		.guest_os = slot_col(sl, COL_GUEST_OS),
		.guest_vendor = slot_col(sl, COL_GUEST_VENDOR),
		.guest_product = slot_col(sl, COL_GUEST_PRODUCT),
		.guest_version = slot_col(sl, COL_GUEST_VERSION),
		.hv_ids = slot_col(sl, COL_HV_IDS),
		.hv_vendor = slot_col(sl, COL_HV_VENDOR),
		.hv_product = slot_col(sl, COL_HV_PRODUCT),
		.hv_version = slot_col(sl, COL_HV_VERSION),
		.validated_by = slot_col(sl, COL_VALIDATED_BY),
		.doc = slot_col(sl, COL_DOC),
	};
	if (!ctx->gen && (r = store_catalog_bump(s, &ctx->gen)) < 0)
		return r;
	r = store_config_write(s, &row, ctx->gen, NULL);
	if (r == 0)
		exists ? st->configs_replaced++ : st->configs_added++;
	return r;
}

/* Takes the reader's rows in order and writes them, to its last word. */
static int import_write(struct store *s, struct pipeline *pl, struct import_ctx *ctx, char **ret_error)
{
	for (;;) {
		size_t head, tail, done = 0;
		int r = 0;

		pthread_mutex_lock(&pl->lock);
		while (pl->head == pl->tail) {
			pl->writer_waits = true;
			pthread_cond_wait(&pl->filled, &pl->lock);
			pl->writer_waits = false;
		}
		head = pl->head;
		tail = pl->tail;
		pthread_mutex_unlock(&pl->lock);

		/* Every slot from tail to head is the writer's until it says so. */
		for (; tail != head; tail++) {
			struct slot *sl = &pl->ring[tail % RING];

			if (sl->kind == SLOT_END) {
				ctx->st.lines = sl->line;
				return 0;
			}
			if (sl->kind == SLOT_ERROR) {
				*ret_error = sl->why;
				sl->why = NULL;
				return sl->error;
			}
			r = store_one(s, sl, ctx);
			if (r < 0) {
				*ret_error = cv_xasprintf("%zu: cannot store the record: %s", sl->line, store_errmsg(s));
				return r;
			}
			done += sl->len;
			if (sl->alloc > SLOT_KEEP) {
				free(sl->buf);
				sl->buf = NULL;
				sl->alloc = 0;
			}
			/* Hand slots back as they are written, not a whole ring at a
			 * time, so that the reader is not left waiting. */
			if ((tail + 1) % 64 == 0 || done > RING_BYTES / 4) {
				pthread_mutex_lock(&pl->lock);
				pl->tail = tail + 1;
				pl->inflight -= done;
				done = 0;
				if (pl->reader_waits)
					pthread_cond_signal(&pl->freed);
				pthread_mutex_unlock(&pl->lock);
			}
		}
		pthread_mutex_lock(&pl->lock);
		pl->tail = tail;
		pl->inflight -= done;
		if (pl->reader_waits)
			pthread_cond_signal(&pl->freed);
		pthread_mutex_unlock(&pl->lock);
	}
}

int catalog_import(struct store *s, FILE *f, struct catalog_import_stats *ret_stats, char **ret_error)
{
	return catalog_import_with(s, f, CATALOG_IMPORT_UPDATE, ret_stats, ret_error);
}

/*
 * Streams: lines are parsed, checked and written as they are read (the
 * pipeline above), all inside one transaction, so that memory does not
 * grow with the file (only the set of ids seen does, a few tens of bytes
 * each).  The first bad line rolls the transaction back: all or nothing.
 */
int catalog_import_with(struct store *s, FILE *f, enum catalog_import_mode mode, struct catalog_import_stats *ret_stats,
			char **ret_error)
{
	struct import_ctx ctx = { .mode = mode };
	struct pipeline *pl = NULL;
	bool in_txn = false, reading = false;
	pthread_t reader;
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
	pl = cv_xcalloc(1, sizeof(*pl));
	pl->f = f;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->filled, NULL);
	pthread_cond_init(&pl->freed, NULL);
	r = -pthread_create(&reader, NULL, import_read, pl);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot start the reader: %s", strerror(-r));
		goto out;
	}
	reading = true;
	r = import_write(s, pl, &ctx, ret_error);
	if (r < 0)
		goto out;
	r = store_commit(s);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot commit: %s", store_errmsg(s));
		goto out;
	}
	in_txn = false;
	if (ret_stats)
		*ret_stats = ctx.st;
out:
	if (reading) {
		pthread_mutex_lock(&pl->lock);
		pl->stop = true;
		pthread_cond_signal(&pl->freed);
		pthread_mutex_unlock(&pl->lock);
		pthread_join(reader, NULL);
	}
	if (in_txn)
		store_rollback(s);
	if (pl) {
		for (size_t i = 0; i < RING; i++) {
			free(pl->ring[i].buf);
			free(pl->ring[i].why);
		}
		pthread_mutex_destroy(&pl->lock);
		pthread_cond_destroy(&pl->filled);
		pthread_cond_destroy(&pl->freed);
		free(pl);
	}
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

	/* Without their documents, records are read without a tree (a
	 * stored document is a compact dump: the fast reader takes it). */
	if (!(l->flags & CATALOG_LOAD_NO_DOCS) || catalog_config_from_text_fast(doc, strlen(doc), &c) < 0) {
		if (catalog_config_from_text(doc, &c, &why) < 0) {
			l->why = cv_xasprintf("stored configuration %s: %s", id, why);
			free(why);
			return -EBADMSG;
		}
		if (l->flags & CATALOG_LOAD_NO_DOCS)
			c->doc = cv_json_decref(c->doc);
	}
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
