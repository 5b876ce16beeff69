/*
 * descriptor-stream.c - reading a descriptor's JSON text straight into
 * struct descriptor, without a jansson tree (docs/descriptor.md).
 *
 * The reader pulls tokens (util/json-pull.h) and fills the struct as the
 * members come, in the text's order.  What it accepts and what it builds
 * are exactly those of the tree reader it replaces (descriptor-json.c:
 * json_loadb(JSON_REJECT_DUPLICATES), descriptor_check_fields() when
 * strict, descriptor_from_jansson()); tests/unit/test-descriptor-stream.c
 * and fuzz/fuzz-descriptor-stream.c hold the two side by side.
 *
 * Error messages are the tree reader's too, including which error wins
 * when a text has several.  The tree reader parses everything first (a
 * syntax error anywhere wins), then looks for unknown fields (when
 * strict), then reads the fields in a fixed order (read_all() there).  A
 * streaming reader meets errors in the text's order instead, so it does
 * not stop at a field error: it records it with its rank in the tree
 * reader's order, keeps reading (a later syntax error still wins), and
 * keeps the lowest-ranked one.  A rank is (phase, field, item, subfield,
 * subitem) packed in 64 bits; the field numbers below follow read_all().
 *
 * Lists that are not kept (evidence with DESCRIPTOR_PARSE_NO_EVIDENCE,
 * most lists with DESCRIPTOR_PARSE_MATCH_ONLY or _ANSWER) are first offered to
 * json_pull_skip_plain_array(): a list of plain strings, or of items whose
 * members are strings or null, is validated in one tight loop; anything
 * else (a wrong type, an unknown member, an escape, a fault) is read token
 * by token as before, which finds and words every error.
 */
#include "covalid/descriptor.h"
#include "util/json-pull.h"
#include "util/cv.h"

enum kind {
	K_SCHEMA,   /* a string starting "covalid.descriptor/"; not null */
	K_STR,      /* char *, null allowed */
	K_STRV,     /* struct cv_strv */
	K_INT,      /* int, 0..max */
	K_U64,      /* uint64_t, 0..max */
	K_BOOL,     /* bool, null is false */
	K_OBJ,      /* a nested object (sub) */
	K_EVIDENCE, /* struct evidence_list */
	K_DEVICES,  /* struct device_list */
	K_CONFLICTS /* struct conflict_list */
};

struct object;

struct field {
	const char *name;
	uint8_t len;  /* strlen(name) */
	uint8_t kind;
	uint8_t ord; /* its place in the tree reader's order (read_all()) */
	uint8_t need; /* which of the narrowing flags build this string or list
		       * (NEED_*; scalars are always built) */
	size_t off;  /* offsetof(struct descriptor, ...) */
	const struct object *sub;
	int64_t max;
};

struct object {
	const char *path; /* for messages: "" (the root), ".hypervisor", ".guest.os" */
	uint8_t table;    /* its row in descriptor_check_fields()'s known_fields */
	const struct field *fields;
	size_t n;
};

/* A string or list matching reads (check_key_from_descriptor() in
 * check.c): built under DESCRIPTOR_PARSE_MATCH_ONLY and _ANSWER. */
#define NEED_MATCH (DESCRIPTOR_PARSE_MATCH_ONLY | DESCRIPTOR_PARSE_ANSWER)
/* One only a check's answer reads besides (explain.c): under _ANSWER. */
#define NEED_ANSWER DESCRIPTOR_PARSE_ANSWER

#define F(name, kind, ord, member) { name, sizeof(name) - 1, kind, ord, 0, offsetof(struct descriptor, member), NULL, 0 }
#define FM(name, kind, ord, member) \
	{ name, sizeof(name) - 1, kind, ord, NEED_MATCH, offsetof(struct descriptor, member), NULL, 0 }
#define FA(name, kind, ord, member) \
	{ name, sizeof(name) - 1, kind, ord, NEED_ANSWER, offsetof(struct descriptor, member), NULL, 0 }
#define FI(name, kind, ord, member, max) \
	{ name, sizeof(name) - 1, kind, ord, 0, offsetof(struct descriptor, member), NULL, max }
#define FO(name, ord, sub) { name, sizeof(name) - 1, K_OBJ, ord, 0, 0, &sub, 0 }
/* The flags that build only the fields that name them. */
#define NARROWING (DESCRIPTOR_PARSE_MATCH_ONLY | DESCRIPTOR_PARSE_ANSWER)

static const struct field os_fields[] = {
	FM("id", K_STR, 23, guest.os.id),
	FM("version", K_STR, 24, guest.os.version),
	FA("name", K_STR, 25, guest.os.name),
	FA("pretty", K_STR, 26, guest.os.pretty),
	FA("osinfo", K_STR, 27, guest.os.osinfo),
	FM("source", K_STR, 28, guest.os.source),
	FM("service_pack", K_STR, 29, guest.os.service_pack),
	F("edition", K_STR, 30, guest.os.edition),
};
static const struct object os_object = { ".guest.os", 4, os_fields, CV_ELEMENTSOF(os_fields) };

static const struct field hv_fields[] = {
	FM("id", K_STR, 6, hypervisor.id),
	FM("product", K_STR, 7, hypervisor.product),
	FM("version", K_STR, 8, hypervisor.version),
	FM("version_source", K_STR, 9, hypervisor.version_source),
	FM("build", K_STR, 10, hypervisor.build),
	F("cloud", K_STR, 11, hypervisor.cloud),
	F("features", K_STRV, 12, hypervisor.features),
	F("evidence", K_EVIDENCE, 13, hypervisor.evidence),
	F("conflicts", K_CONFLICTS, 14, hypervisor.conflicts),
	F("nested", K_BOOL, 15, hypervisor.nested),
};
static const struct object hv_object = { ".hypervisor", 1, hv_fields, CV_ELEMENTSOF(hv_fields) };

static const struct field ct_fields[] = {
	F("id", K_STR, 17, container.id),
	F("evidence", K_EVIDENCE, 18, container.evidence),
};
static const struct object ct_object = { ".container", 2, ct_fields, CV_ELEMENTSOF(ct_fields) };

static const struct field guest_fields[] = {
	F("kernel", K_STR, 20, guest.kernel),
	FM("arch", K_STR, 21, guest.arch),
	FO("os", 22, os_object),
};
static const struct object guest_object = { ".guest", 3, guest_fields, CV_ELEMENTSOF(guest_fields) };

static const struct field vm_fields[] = {
	FI("vcpus", K_INT, 32, vm.vcpus, 1 << 20),
	FI("vcpus_possible", K_INT, 33, vm.vcpus_possible, 1 << 20),
	FI("memory_mib", K_U64, 34, vm.memory_mib, INT64_C(1) << 40),
	FM("firmware", K_STR, 35, vm.firmware),
	F("disks", K_DEVICES, 36, vm.disks),
	F("nics", K_DEVICES, 37, vm.nics),
};
static const struct object vm_object = { ".vm", 5, vm_fields, CV_ELEMENTSOF(vm_fields) };

static const struct field integ_fields[] = {
	F("expected", K_STRV, 39, integration.expected),
	FM("present", K_STRV, 40, integration.present),
	F("missing", K_STRV, 41, integration.missing),
	F("recommended", K_STRV, 42, integration.recommended),
	F("recommended_missing", K_STRV, 43, integration.recommended_missing),
	F("unbound", K_STRV, 44, integration.unbound),
	F("evidence", K_EVIDENCE, 45, integration.evidence),
};
static const struct object integ_object = { ".integration", 6, integ_fields, CV_ELEMENTSOF(integ_fields) };

static const struct field root_fields[] = {
	F("schema", K_SCHEMA, 1, probed_at), /* off unused */
	F("probed_at", K_STR, 2, probed_at),
	F("root", K_STR, 3, probe_root),
	F("notes", K_STRV, 4, notes),
	FO("hypervisor", 5, hv_object),
	FO("container", 16, ct_object),
	FO("guest", 19, guest_object),
	FO("vm", 31, vm_object),
	FO("integration", 38, integ_object),
};
static const struct object root_object = { "", 0, root_fields, CV_ELEMENTSOF(root_fields) };

/* The four string fields of an evidence item and of a device, in the
 * order the tree reader reads them, and their lengths. */
static const char *const evidence_keys[4] = { "source", "value", "meaning", "suggests" };
static const char *const device_keys[4] = { "name", "driver", "bus", "model" };
static const char *const conflict_keys[4] = { "sources", "suggests", "followed", "why" };
static const uint8_t evidence_lens[4] = { 6, 5, 7, 8 };
static const uint8_t device_lens[4] = { 4, 6, 3, 5 };
static const uint8_t conflict_lens[4] = { 7, 8, 8, 3 };

#define NO_INDEX SIZE_MAX

static uint64_t rank(unsigned phase, unsigned field, size_t item, unsigned sub, size_t subitem)
{
	if (item > 0xffff)
		item = 0xffff;
	if (subitem > 0xffffffff)
		subitem = 0xffffffff;
	return ((uint64_t)phase << 62) | ((uint64_t)field << 54) | ((uint64_t)item << 38) | ((uint64_t)sub << 32) |
	       (uint64_t)subitem;
}

/* Where a value is, for a message: path.key[idx].sub[subidx]. */
struct where {
	const char *path, *key;
	size_t idx;
	const char *sub;
	size_t subidx;
};

struct srd {
	struct json_pull p;
	unsigned flags;
	struct descriptor *d;
	uint64_t rank; /* of error, UINT64_MAX when none */
	char *error;
};

static void record(struct srd *s, uint64_t r, const struct where *w, const char *why)
{
	char idx[32] = "", subidx[32] = "";

	if (r >= s->rank)
		return;
	if (w->idx != NO_INDEX)
		snprintf(idx, sizeof(idx), "[%zu]", w->idx);
	if (w->subidx != NO_INDEX)
		snprintf(subidx, sizeof(subidx), "[%zu]", w->subidx);
	free(s->error);
	s->error = cv_xasprintf("%s.%s%s%s%s%s: %s", w->path, w->key, idx, w->sub ? "." : "", w->sub ? w->sub : "",
				subidx, why);
	s->rank = r;
}

/* A value of the wrong type: recorded, and skipped (validated, not built). */
static int wrong(struct srd *s, int tok, uint64_t r, const struct where *w, const char *why)
{
	record(s, r, w, why);
	return json_pull_skip(&s->p, tok) < 0 ? -1 : 0;
}

static char *take(const struct srd *s)
{
	return cv_xstrndup(s->p.str, s->p.len);
}

/* Names are short and most differ in length or first byte: those are
 * compared before memcmp() is called. */
static inline bool key_is(const struct srd *s, const char *name, size_t n)
{
	return s->p.len == n && n && s->p.str[0] == name[0] && memcmp(s->p.str, name, n) == 0;
}

/* An array of strings; out NULL: validated, not kept. */
static int read_strv(struct srd *s, int tok, struct cv_strv *out, uint64_t r, uint64_t r_item_unit,
		     const struct where *w)
{
	struct where we = *w;
	size_t i = 0;

	if (tok == JSON_PULL_NULL)
		return 0;
	if (tok != JSON_PULL_ARRAY)
		return wrong(s, tok, r, w, "expected an array");
	/* Not kept: a plain array of strings is crossed in one go. */
	if (!out && json_pull_skip_plain_array(&s->p, DESCRIPTOR_MAX_ITEMS, NULL, NULL, 0))
		return 0;
	for (;;) {
		tok = json_pull_next(&s->p);
		if (tok == JSON_PULL_ARRAY_END)
			return 0;
		if (tok == JSON_PULL_ERROR)
			return -1;
		if (i == DESCRIPTOR_MAX_ITEMS) {
			record(s, r, w, "too many items");
			out = NULL;
		}
		if (tok == JSON_PULL_STRING) {
			if (out)
				cv_strv_push_take(out, take(s));
		} else {
			if (w->sub)
				we.subidx = i;
			else
				we.idx = i;
			if (wrong(s, tok, r + r_item_unit * (i + 1), &we, "expected a string") < 0)
				return -1;
		}
		i++;
	}
}

static int read_str(struct srd *s, int tok, char **out, uint64_t r, const struct where *w)
{
	if (tok == JSON_PULL_NULL)
		return 0;
	if (tok != JSON_PULL_STRING)
		return wrong(s, tok, r, w, "expected a string");
	if (out) {
		free(*out);
		*out = take(s);
	}
	return 0;
}

/* An array of objects: evidence items, devices or conflicts. */
static int read_items(struct srd *s, int tok, const struct field *fd, const char *path, void *list)
{
	bool keep = !(s->flags & NARROWING) &&
		    !(fd->kind == K_EVIDENCE && (s->flags & DESCRIPTOR_PARSE_NO_EVIDENCE));
	const char *const *keys = fd->kind == K_EVIDENCE ? evidence_keys :
				  fd->kind == K_DEVICES ? device_keys : conflict_keys;
	const uint8_t *lens = fd->kind == K_EVIDENCE ? evidence_lens : fd->kind == K_DEVICES ? device_lens : conflict_lens;
	struct where w = { path, fd->name, NO_INDEX, NULL, NO_INDEX };
	size_t i = 0;

	if (tok == JSON_PULL_NULL)
		return 0;
	if (tok != JSON_PULL_ARRAY)
		return wrong(s, tok, rank(2, fd->ord, 0, 0, 0), &w, "expected an array");
	/* Not kept: items of plain strings and nulls are crossed in one go
	 * (not conflicts, whose members are arrays too). */
	if (!keep && fd->kind != K_CONFLICTS && json_pull_skip_plain_array(&s->p, DESCRIPTOR_MAX_ITEMS, keys, lens, 4))
		return 0;
	for (;;) {
		char *f[4] = { NULL, NULL, NULL, NULL };
		struct conflict *c = NULL;
		int r = 0;

		tok = json_pull_next(&s->p);
		if (tok == JSON_PULL_ARRAY_END)
			return 0;
		if (tok == JSON_PULL_ERROR)
			return -1;
		if (i == DESCRIPTOR_MAX_ITEMS) {
			w.idx = NO_INDEX;
			w.sub = NULL;
			record(s, rank(2, fd->ord, 0, 0, 0), &w, "too many items");
			keep = false;
		}
		w.idx = i;
		w.sub = NULL;
		if (tok != JSON_PULL_OBJECT) {
			if (wrong(s, tok, rank(2, fd->ord, i + 1, 0, 0), &w, "expected an object") < 0)
				return -1;
			i++;
			continue;
		}
		if (keep && fd->kind == K_CONFLICTS)
			c = conflict_add(list);
		/* Members in any order; unknown ones skipped even when strict
		 * (descriptor_check_fields() does not look into items). */
		while (r == 0 && (tok = json_pull_next(&s->p)) == JSON_PULL_KEY) {
			int k = 0;

			while (k < 4 && !key_is(s, keys[k], lens[k]))
				k++;
			if (k == 4) {
				r = json_pull_skip(&s->p, tok);
				continue;
			}
			tok = json_pull_next(&s->p);
			if (tok == JSON_PULL_ERROR) {
				r = -1;
				break;
			}
			w.sub = keys[k];
			if (fd->kind == K_CONFLICTS && k < 2)
				r = read_strv(s, tok, c ? (k == 0 ? &c->sources : &c->suggests) : NULL,
					      rank(2, fd->ord, i + 1, (unsigned)k + 1, 0), 1, &w);
			else if (fd->kind == K_CONFLICTS)
				r = read_str(s, tok, c ? (k == 2 ? &c->followed : &c->why) : NULL,
					     rank(2, fd->ord, i + 1, (unsigned)k + 1, 0), &w);
			else
				r = read_str(s, tok, keep ? &f[k] : NULL, rank(2, fd->ord, i + 1, (unsigned)k + 1, 0), &w);
		}
		if (r == 0 && tok != JSON_PULL_OBJECT_END)
			r = -1;
		if (r == 0 && keep && fd->kind != K_CONFLICTS) {
			if (fd->kind == K_EVIDENCE) {
				struct evidence *e = evidence_add(list, NULL, NULL, NULL, NULL);

				e->source = f[0];
				e->value = f[1];
				e->meaning = f[2];
				e->suggests = f[3];
			} else {
				struct device *dv = device_add(list, NULL, NULL, NULL, NULL);

				dv->name = f[0];
				dv->driver = f[1];
				dv->bus = f[2];
				dv->model = f[3];
			}
		} else {
			for (int k = 0; k < 4; k++)
				free(f[k]);
		}
		if (r < 0)
			return -1;
		i++;
	}
}

static int read_object(struct srd *s, const struct object *o);

static int read_field(struct srd *s, const struct object *o, const struct field *fd, int tok)
{
	struct where w = { o->path, fd->name, NO_INDEX, NULL, NO_INDEX };
	uint64_t r = rank(2, fd->ord, 0, 0, 0);
	void *at = (char *)s->d + fd->off;

	switch (fd->kind) {
	case K_SCHEMA:
		if (tok == JSON_PULL_STRING && s->p.len >= 19 && memcmp(s->p.str, "covalid.descriptor/", 19) == 0)
			return 0;
		return wrong(s, tok, r, &w, "not a covalid descriptor");
	case K_STR:
		if ((s->flags & NARROWING) && !(s->flags & fd->need))
			at = NULL; /* checked, not kept */
		return read_str(s, tok, at, r, &w);
	case K_STRV:
		if ((s->flags & NARROWING) && !(s->flags & fd->need))
			at = NULL;
		return read_strv(s, tok, at, r, UINT64_C(1) << 38, &w);
	case K_INT:
	case K_U64:
		if (tok == JSON_PULL_NULL)
			return 0;
		if (tok != JSON_PULL_INTEGER || s->p.integer < 0 || s->p.integer > fd->max)
			return wrong(s, tok, r, &w, "expected an integer in range");
		if (fd->kind == K_INT)
			*(int *)at = (int)s->p.integer;
		else
			*(uint64_t *)at = (uint64_t)s->p.integer;
		return 0;
	case K_BOOL:
		if (tok == JSON_PULL_NULL || tok == JSON_PULL_FALSE || tok == JSON_PULL_TRUE) {
			*(bool *)at = tok == JSON_PULL_TRUE;
			return 0;
		}
		return wrong(s, tok, r, &w, "expected true or false");
	case K_OBJ:
		if (tok == JSON_PULL_NULL)
			return 0;
		if (tok != JSON_PULL_OBJECT)
			return wrong(s, tok, r, &w, "expected an object");
		return read_object(s, fd->sub);
	default:
		return read_items(s, tok, fd, o->path, at);
	}
}

static int read_object(struct srd *s, const struct object *o)
{
	size_t pos = 0;

	for (;;) {
		const struct field *fd = NULL;
		int tok = json_pull_next(&s->p);

		if (tok == JSON_PULL_OBJECT_END)
			return 0;
		if (tok != JSON_PULL_KEY)
			return -1;
		for (size_t i = 0; i < o->n && !fd; i++)
			if (key_is(s, o->fields[i].name, o->fields[i].len))
				fd = &o->fields[i];
		if (!fd) {
			uint64_t r = rank(1, o->table, 0, 0, pos);

			if ((s->flags & DESCRIPTOR_PARSE_STRICT) && r < s->rank) {
				char *safe = cv_str_sanitize(s->p.str, s->p.len, 64);
				struct where w = { o->path, safe, NO_INDEX, NULL, NO_INDEX };

				record(s, r, &w, "unknown field");
				free(safe);
			}
			if (json_pull_skip(&s->p, tok) < 0)
				return -1;
		} else {
			tok = json_pull_next(&s->p);
			if (tok == JSON_PULL_ERROR || read_field(s, o, fd, tok) < 0)
				return -1;
		}
		pos++;
	}
}

int descriptor_parse(const char *text, size_t len, unsigned flags, struct descriptor **ret, char **ret_error)
{
	/* Both narrowing flags: the narrower one (the header). */
	struct srd s = { .flags = flags & DESCRIPTOR_PARSE_MATCH_ONLY ? flags & ~DESCRIPTOR_PARSE_ANSWER : flags,
			 .rank = UINT64_MAX };
	int tok, r;

	if (len > DESCRIPTOR_MAX_BYTES) {
		if (ret_error)
			*ret_error = cv_xstrdup("descriptor larger than 1 MiB");
		return -EINVAL;
	}
	json_pull_init(&s.p, text, len);
	s.d = descriptor_new();
	tok = json_pull_next(&s.p);
	if (tok == JSON_PULL_OBJECT) {
		r = read_object(&s, &root_object);
	} else if (tok == JSON_PULL_ARRAY) {
		r = json_pull_skip(&s.p, tok) < 0 ? -1 : 0;
		free(s.error);
		s.error = cv_xstrdup("descriptor: expected a JSON object");
	} else {
		r = -1;
	}
	if (r == 0 && json_pull_next(&s.p) != JSON_PULL_END)
		r = -1;
	if (r < 0) {
		/* A fault in the JSON itself wins, as when the tree was built first. */
		const char *why = json_pull_error(&s.p, NULL);

		free(s.error);
		s.error = why ? cv_xasprintf("invalid JSON at %s", why) : cv_xstrdup("invalid JSON");
	}
	json_pull_release(&s.p);
	if (s.error) {
		s.d = descriptor_free(s.d);
		if (ret_error)
			*ret_error = s.error;
		else
			free(s.error);
		return -EINVAL;
	}
	*ret = s.d;
	return 0;
}

int descriptor_from_json(const char *text, size_t len, struct descriptor **ret, char **ret_error)
{
	return descriptor_parse(text, len, 0, ret, ret_error);
}
