/*
 * osinfo.c - products from libosinfo's database (Debian's osinfo-db,
 * /usr/share/osinfo): short-ids, names, vendors and dates (see
 * covalid/catalog.h).
 *
 * The database is a tree of XML files, os/<vendor>/<os>.xml, each with
 * one <os> element; only untranslated elements (no xml:lang) are read,
 * with expat: libxml2 would pull ICU into every covalid process, and the
 * probe's start-up time is measured.
 * Reading it whole takes a fraction of a second, which is why it is
 * imported into the store once rather than consulted per query.
 */
#include <dirent.h>
#include <expat.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/catalog.h"
#include "covalid/store.h"
#include "util/cv.h"

#define OSINFO_MAX_FILE (4 * 1024 * 1024)
#define OSINFO_MAX_TEXT 1024

static void os_release_fields(struct catalog_osinfo_os *o)
{
	free(o->id);
	free(o->short_id);
	free(o->name);
	free(o->version);
	free(o->vendor);
	free(o->release_date);
	free(o->eol_date);
	memset(o, 0, sizeof(*o));
}

/*
 * An expat (SAX) reader of one file: <libosinfo><os id="..."> with the
 * fields below as direct children.  Translated copies (xml:lang) are
 * skipped; text is collected into a bounded buffer.
 */
struct reader {
	int depth;
	bool in_os;
	char **field; /* the field the current element fills, or NULL */
	struct cv_buf text;
	struct catalog_osinfo_os os;
	int (*cb)(void *ud, const struct catalog_osinfo_os *o);
	void *ud;
	size_t *count;
	int r;
};

static char **field_for(struct catalog_osinfo_os *o, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} t[] = {
		{ "short-id", offsetof(struct catalog_osinfo_os, short_id) },
		{ "name", offsetof(struct catalog_osinfo_os, name) },
		{ "version", offsetof(struct catalog_osinfo_os, version) },
		{ "vendor", offsetof(struct catalog_osinfo_os, vendor) },
		{ "release-date", offsetof(struct catalog_osinfo_os, release_date) },
		{ "eol-date", offsetof(struct catalog_osinfo_os, eol_date) },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(t); i++)
		if (strcmp(t[i].name, name) == 0)
			return (char **)((char *)o + t[i].off);
	return NULL;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct reader *rd = ud;
	bool translated = false;

	rd->depth++;
	if (rd->depth == 2 && strcmp(name, "os") == 0) {
		rd->in_os = true;
		for (int i = 0; attrs[i]; i += 2)
			if (strcmp(attrs[i], "id") == 0)
				rd->os.id = cv_xstrdup(attrs[i + 1]);
		return;
	}
	if (!rd->in_os || rd->depth != 3)
		return;
	for (int i = 0; attrs[i]; i += 2)
		translated |= strcmp(attrs[i], "xml:lang") == 0;
	rd->field = translated ? NULL : field_for(&rd->os, name);
	if (rd->field && *rd->field)
		rd->field = NULL; /* the first untranslated one wins */
	cv_buf_reset(&rd->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct reader *rd = ud;

	if (rd->field && len > 0 && cv_buf_append(&rd->text, s, (size_t)len) < 0)
		rd->field = NULL; /* longer than any real value: dropped */
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct reader *rd = ud;

	if (rd->field && rd->depth == 3) {
		char *v = cv_strstrip(cv_xstrdup(rd->text.data ? rd->text.data : ""));

		if (*v)
			*rd->field = v;
		else
			free(v);
		rd->field = NULL;
	}
	if (rd->depth == 2 && rd->in_os && strcmp(name, "os") == 0) {
		if (rd->os.short_id && rd->r == 0) {
			(*rd->count)++;
			rd->r = rd->cb(rd->ud, &rd->os);
		}
		os_release_fields(&rd->os);
		rd->in_os = false;
	}
	rd->depth--;
}

/*
 * Reads a regular file of at most max bytes.  The path comes from the
 * command line and the tree under it from anywhere: a device (/dev/zero)
 * would be read until the buffer's limit, a FIFO without a writer would
 * block open() itself (hence O_NONBLOCK, which regular files ignore), a
 * directory fails only at read().  So the file's kind and size are
 * checked before a byte is read, and the reason is said in words.
 */
static int read_regular(const char *path, size_t max, char **ret_text, size_t *ret_len, char **ret_why)
{
	struct stat st;
	FILE *f = NULL;
	int fd, r;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		*ret_why = cv_xstrdup(strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		*ret_why = cv_xstrdup(strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		*ret_why = cv_xstrdup(S_ISDIR(st.st_mode) ? "a directory, not an XML file"
							  : "not a regular file (a device, FIFO or socket)");
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		*ret_why = cv_xasprintf("%lld bytes, more than any osinfo-db file (at most %zu)", (long long)st.st_size,
					max);
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f) {
		r = -errno;
		*ret_why = cv_xstrdup(strerror(-r));
		goto out;
	}
	fd = -1;
	/* The bound holds even for a file that grows while it is read. */
	r = cv_read_stream(f, max, ret_text, ret_len);
	if (r < 0)
		*ret_why = cv_xstrdup(r == -E2BIG ? "grew past the size limit while being read" : strerror(-r));
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	return r;
}

int catalog_osinfo_parse(const char *text, size_t len, const char *name,
			 int (*cb)(void *ud, const struct catalog_osinfo_os *o), void *ud, size_t *count,
			 char **ret_error)
{
	struct reader rd = { .cb = cb, .ud = ud, .count = count };
	XML_Parser p;
	int r;

	if (len > OSINFO_MAX_FILE) {
		*ret_error = cv_xasprintf("%s: larger than %d bytes", name, OSINFO_MAX_FILE);
		return -E2BIG;
	}
	p = XML_ParserCreate(NULL);
	if (!p)
		abort();
	cv_buf_init(&rd.text, OSINFO_MAX_TEXT);
	XML_SetUserData(p, &rd);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	if (XML_Parse(p, text, (int)len, 1) == XML_STATUS_ERROR) {
		*ret_error = cv_xasprintf("%s:%lu: not well-formed XML (%s)", name,
					  (unsigned long)XML_GetCurrentLineNumber(p), XML_ErrorString(XML_GetErrorCode(p)));
		r = -EBADMSG;
	} else
		r = rd.r;
	os_release_fields(&rd.os);
	cv_buf_release(&rd.text);
	XML_ParserFree(p);
	return r;
}

/* Parses one osinfo-db file; -EBADMSG if it is not well-formed XML. */
static int read_file(const char *path, int (*cb)(void *ud, const struct catalog_osinfo_os *o), void *ud, size_t *count,
		     char **ret_error)
{
	char *text = NULL;
	size_t len;
	int r;

	char *why = NULL;

	r = read_regular(path, OSINFO_MAX_FILE, &text, &len, &why);
	if (r < 0) {
		*ret_error = cv_xasprintf("%s: %s", path, why);
		free(why);
		return r;
	}
	r = catalog_osinfo_parse(text, len, path, cb, ud, count, ret_error);
	free(text);
	return r;
}

/* Calls cb for each <os> of each file under dir/os. */
static int walk_db(const char *dir, int (*cb)(void *ud, const struct catalog_osinfo_os *o), void *ud, size_t *ret_count,
		   char **ret_error)
{
	char *osdir = cv_xasprintf("%s/os", dir);
	struct dirent *v;
	struct stat st;
	DIR *vd;
	int r = 0;

	/* Say what the path is rather than what opening PATH/os found. */
	if (stat(dir, &st) < 0) {
		r = -errno;
		*ret_error = cv_xasprintf("%s: %s (is osinfo-db installed?)", dir, strerror(-r));
		free(osdir);
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		*ret_error = cv_xasprintf("%s: not a directory (an osinfo-db tree such as /usr/share/osinfo)", dir);
		free(osdir);
		return -ENOTDIR;
	}
	vd = opendir(osdir);
	if (!vd) {
		r = -errno;
		*ret_error = cv_xasprintf("%s: not an osinfo-db tree (%s: %s)", dir, osdir, strerror(-r));
		free(osdir);
		return r == -ENOENT ? -ENOENT : r;
	}
	while (r == 0 && (v = readdir(vd))) {
		char *vpath;
		struct dirent *f;
		DIR *fd;

		if (v->d_name[0] == '.')
			continue;
		vpath = cv_xasprintf("%s/%s", osdir, v->d_name);
		fd = opendir(vpath);
		while (r == 0 && fd && (f = readdir(fd))) {
			char *path;

			if (!cv_endswith(f->d_name, ".xml"))
				continue;
			path = cv_xasprintf("%s/%s", vpath, f->d_name);
			r = read_file(path, cb, ud, ret_count, ret_error);
			free(path);
		}
		if (fd)
			closedir(fd);
		free(vpath);
	}
	closedir(vd);
	free(osdir);
	if (r == 0 && *ret_count == 0) {
		/* Nothing read is not an import: it is the wrong directory. */
		*ret_error = cv_xasprintf("%s: not an osinfo-db tree (no <os> entries under os/)", dir);
		r = -ENOENT;
	}
	return r;
}

struct ctx {
	struct store *store;
	struct catalog *cat;
	struct cv_hmap by_short_id; /* short-id -> product index + 1 */
	struct cv_hmap wanted;      /* short-ids configurations name */
	bool all;
	struct catalog_osinfo_stats *stats;
	char *source;
	char *error;
};

static void set_if_null(json_t *doc, const char *key, const char *value, bool *changed)
{
	json_t *v = json_object_get(doc, key);

	if (value && (!v || json_is_null(v))) {
		json_object_set_new(doc, key, json_string(value));
		*changed = true;
	}
}

static int store_doc(struct ctx *c, json_t *doc)
{
	struct catalog_product *p;
	char *why = NULL;
	int r;

	r = catalog_product_from_json(doc, &p, &why);
	if (r < 0) {
		c->error = cv_xasprintf("product from osinfo-db does not validate: %s", why);
		free(why);
		return r;
	}
	r = catalog_product_store(c->store, p, NULL);
	if (r < 0)
		c->error = cv_xasprintf("cannot store product %s: %s", p->id, store_errmsg(c->store));
	catalog_product_free(p);
	return r;
}

static int on_os(void *ud, const struct catalog_osinfo_os *o)
{
	struct ctx *c = ud;
	uintptr_t idx;
	json_t *doc;
	int r = 0;

	if (cv_hmap_get(&c->by_short_id, o->short_id, &idx)) {
		bool changed = false;

		doc = json_deep_copy(c->cat->products[idx - 1]->doc);
		/* osinfo-db's dates are not always the vendor's: fill gaps only. */
		set_if_null(doc, "osinfo_id", o->id, &changed);
		set_if_null(doc, "release_date", o->release_date, &changed);
		set_if_null(doc, "eol_date", o->eol_date, &changed);
		if (changed) {
			json_t *src = json_object_get(doc, "lifecycle_sources");

			if (!json_is_array(src)) {
				src = json_array();
				json_object_set_new(doc, "lifecycle_sources", src);
			}
			json_array_append_new(src, json_string("OSINFO_DB"));
			r = store_doc(c, doc);
			if (r == 0)
				c->stats->products_enriched++;
		}
		json_decref(doc);
		return r;
	}
	if (!c->all && !cv_hmap_get(&c->wanted, o->short_id, NULL))
		return 0;
	{
		char *id = cv_xasprintf("osinfo-%s", o->short_id);

		doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:[s], s:s}", "type", "product", "id",
				id, "kind", "guest_os", "vendor", o->vendor ? o->vendor : "unknown", "product",
				o->name ? o->name : o->short_id, "version", o->version ? o->version : "unspecified",
				"osinfo_short_id", o->short_id, "osinfo_id", o->id ? json_string(o->id) : json_null(),
				"release_date", o->release_date ? json_string(o->release_date) : json_null(),
				"eol_date", o->eol_date ? json_string(o->eol_date) : json_null(), "lifecycle_sources",
				"OSINFO_DB", "source", c->source);
		free(id);
	}
	r = store_doc(c, doc);
	if (r == 0)
		c->stats->products_added++;
	json_decref(doc);
	return r;
}

int catalog_import_osinfo(struct store *s, const char *dir, bool all, struct catalog_osinfo_stats *ret_stats,
			  char **ret_error)
{
	struct catalog_osinfo_stats st = { 0 };
	struct ctx c = { .store = s, .all = all, .stats = &st };
	char *version = NULL, *why = NULL, *vpath;
	size_t n = 0;
	int r;

	if (!dir)
		dir = "/usr/share/osinfo";
	vpath = cv_xasprintf("%s/VERSION", dir);
	if (read_regular(vpath, 64, &version, NULL, &why) == 0)
		cv_strstrip(version);
	why = cv_free(why); /* no VERSION, or an odd one: "(unknown version)" */
	free(vpath);
	c.source = cv_xasprintf("osinfo-db %s, %s", version ? version : "(unknown version)", dir);
	free(version);

	r = catalog_load(s, 0, &c.cat, &why);
	if (r < 0) {
		*ret_error = why;
		free(c.source);
		return r;
	}
	cv_hmap_init(&c.by_short_id);
	cv_hmap_init(&c.wanted);
	for (size_t i = 0; i < c.cat->n_products; i++)
		if (c.cat->products[i]->osinfo)
			cv_hmap_put(&c.by_short_id, c.cat->products[i]->osinfo, i + 1);
	for (size_t i = 0; i < c.cat->n_configs; i++)
		if (c.cat->configs[i]->guest.osinfo)
			cv_hmap_put(&c.wanted, c.cat->configs[i]->guest.osinfo, 1);

	r = store_begin(s);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot start a transaction: %s", store_errmsg(s));
		goto out;
	}
	r = walk_db(dir, on_os, &c, &n, ret_error);
	if (r < 0) {
		if (c.error)
			*ret_error = c.error, c.error = NULL;
		store_rollback(s);
		goto out;
	}
	r = store_commit(s);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot commit: %s", store_errmsg(s));
		store_rollback(s);
		goto out;
	}
	st.oses_read = n;
	if (ret_stats)
		*ret_stats = st;
out:
	free(c.error);
	free(c.source);
	cv_hmap_release(&c.by_short_id);
	cv_hmap_release(&c.wanted);
	catalog_free(c.cat);
	return r;
}
