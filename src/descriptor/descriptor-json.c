/*
 * descriptor-json.c - the JSON form of a descriptor (docs/descriptor.md).
 *
 * Writing is total: every field is present, unknown values are null, so a
 * reader (jq, the web UI) never has to guess whether a key is missing.
 * Reading is strict about the types of the fields it knows and ignores the
 * rest, so descriptors from a newer probe still check.
 */
#include <jansson.h>

#include "covalid/descriptor.h"
#include "util/cv.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_to_json(const struct cv_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *evidence_to_json(const struct evidence_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o}",
						   "source", str_or_null(l->v[i].source),
						   "value", str_or_null(l->v[i].value),
						   "meaning", str_or_null(l->v[i].meaning),
						   "suggests", str_or_null(l->v[i].suggests)));
	return a;
}

static json_t *devices_to_json(const struct device_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o}",
						   "name", str_or_null(l->v[i].name),
						   "driver", str_or_null(l->v[i].driver),
						   "bus", str_or_null(l->v[i].bus),
						   "model", str_or_null(l->v[i].model)));
	return a;
}

json_t *descriptor_to_jansson(const struct descriptor *d)
{
	json_t *conflicts = json_array();
	json_t *root;

	for (size_t i = 0; i < d->hypervisor.conflicts.n; i++) {
		const struct conflict *c = &d->hypervisor.conflicts.v[i];

		json_array_append_new(conflicts, json_pack("{s:o, s:o, s:o, s:o}",
							   "sources", strv_to_json(&c->sources),
							   "suggests", strv_to_json(&c->suggests),
							   "followed", str_or_null(c->followed),
							   "why", str_or_null(c->why)));
	}

	root = json_pack("{s:s, s:o, s:o}", "schema", DESCRIPTOR_SCHEMA,
			 "probed_at", str_or_null(d->probed_at),
			 "root", str_or_null(d->probe_root));
	json_object_set_new(root, "hypervisor",
			    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o}",
				      "id", str_or_null(d->hypervisor.id),
				      "product", str_or_null(d->hypervisor.product),
				      "version", str_or_null(d->hypervisor.version),
				      "version_source", str_or_null(d->hypervisor.version_source),
				      "build", str_or_null(d->hypervisor.build),
				      "cloud", str_or_null(d->hypervisor.cloud),
				      "nested", d->hypervisor.nested,
				      "features", strv_to_json(&d->hypervisor.features),
				      "evidence", evidence_to_json(&d->hypervisor.evidence),
				      "conflicts", conflicts));
	json_object_set_new(root, "container",
			    json_pack("{s:o, s:o}", "id", str_or_null(d->container.id),
				      "evidence", evidence_to_json(&d->container.evidence)));
	json_object_set_new(root, "guest",
			    json_pack("{s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:o, s:o}",
				      "os",
				      "id", str_or_null(d->guest.os.id),
				      "version", str_or_null(d->guest.os.version),
				      "name", str_or_null(d->guest.os.name),
				      "pretty", str_or_null(d->guest.os.pretty),
				      "osinfo", str_or_null(d->guest.os.osinfo),
				      "source", str_or_null(d->guest.os.source),
				      "kernel", str_or_null(d->guest.kernel),
				      "arch", str_or_null(d->guest.arch)));
	/* Windows only, and only when known: a Linux descriptor stays byte for
	 * byte what it was before these fields existed (signed logs embed it). */
	{
		json_t *os = json_object_get(json_object_get(root, "guest"), "os");

		if (d->guest.os.service_pack)
			json_object_set_new(os, "service_pack", json_string(d->guest.os.service_pack));
		if (d->guest.os.edition)
			json_object_set_new(os, "edition", json_string(d->guest.os.edition));
	}
	json_object_set_new(root, "vm",
			    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
				      "vcpus", d->vm.vcpus >= 0 ? json_integer(d->vm.vcpus) : json_null(),
				      "vcpus_possible", d->vm.vcpus_possible >= 0 ? json_integer(d->vm.vcpus_possible) : json_null(),
				      "memory_mib", d->vm.memory_mib ? json_integer((json_int_t)d->vm.memory_mib) : json_null(),
				      "firmware", str_or_null(d->vm.firmware),
				      "disks", devices_to_json(&d->vm.disks),
				      "nics", devices_to_json(&d->vm.nics)));
	json_object_set_new(root, "integration",
			    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
				      "expected", strv_to_json(&d->integration.expected),
				      "present", strv_to_json(&d->integration.present),
				      "missing", strv_to_json(&d->integration.missing),
				      "recommended", strv_to_json(&d->integration.recommended),
				      "recommended_missing", strv_to_json(&d->integration.recommended_missing),
				      "unbound", strv_to_json(&d->integration.unbound),
				      "evidence", evidence_to_json(&d->integration.evidence)));
	json_object_set_new(root, "notes", strv_to_json(&d->notes));
	return root;
}

char *descriptor_to_json(const struct descriptor *d, bool indent)
{
	json_t *j = descriptor_to_jansson(d);
	char *s = json_dumps(j, (indent ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (!s)
		abort(); /* jansson fails only on allocation */
	return s;
}

/* ---- reading ---- */

struct rd {
	char *error;
};

static int fail(struct rd *rd, const char *path, const char *why)
{
	if (!rd->error)
		rd->error = cv_xasprintf("%s: %s", path, why);
	return -EINVAL;
}

/* Reads an optional string (absent or null leaves *field NULL). */
static int get_str(struct rd *rd, json_t *obj, const char *key, const char *path, char **field)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	char *p;
	int r;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		p = cv_xasprintf("%s.%s", path, key);
		r = fail(rd, p, "expected a string");
		free(p);
		return r;
	}
	descriptor_set(field, json_string_value(v));
	return 0;
}

static int get_obj(struct rd *rd, json_t *obj, const char *key, const char *path, json_t **ret)
{
	json_t *v = json_object_get(obj, key);
	char *p;
	int r;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		p = cv_xasprintf("%s.%s", path, key);
		r = fail(rd, p, "expected an object");
		free(p);
		return r;
	}
	*ret = v;
	return 0;
}

static int get_arr(struct rd *rd, json_t *obj, const char *key, const char *path, json_t **ret)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	const char *why = NULL;
	char *p;
	int r;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		why = "expected an array";
	else if (json_array_size(v) > DESCRIPTOR_MAX_ITEMS)
		why = "too many items";
	else {
		*ret = v;
		return 0;
	}
	/* Paths are only built for the error message. */
	p = cv_xasprintf("%s.%s", path, key);
	r = fail(rd, p, why);
	free(p);
	return r;
}

static int get_strv(struct rd *rd, json_t *obj, const char *key, const char *path, struct cv_strv *out)
{
	json_t *a, *v;
	size_t i;
	int r;

	r = get_arr(rd, obj, key, path, &a);
	if (r < 0 || !a)
		return r;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			char *p = cv_xasprintf("%s.%s[%zu]", path, key, i);

			r = fail(rd, p, "expected a string");
			free(p);
			return r;
		}
		cv_strv_push(out, json_string_value(v));
	}
	return 0;
}

static int get_int(struct rd *rd, json_t *obj, const char *key, const char *path, int64_t min,
		   int64_t max, bool *ret_set, int64_t *ret)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	char *p;
	int r;

	*ret_set = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		p = cv_xasprintf("%s.%s", path, key);
		r = fail(rd, p, "expected an integer in range");
		free(p);
		return r;
	}
	*ret = json_integer_value(v);
	*ret_set = true;
	return 0;
}

static int get_evidence(struct rd *rd, json_t *obj, const char *path, struct evidence_list *out)
{
	json_t *a, *e;
	size_t i;
	int r;

	r = get_arr(rd, obj, "evidence", path, &a);
	if (r < 0 || !a)
		return r;
	json_array_foreach(a, i, e) {
		char p[96];
		char *f[4] = { NULL, NULL, NULL, NULL };

		snprintf(p, sizeof(p), "%s.evidence[%zu]", path, i);
		if (!json_is_object(e))
			r = fail(rd, p, "expected an object");
		else if ((r = get_str(rd, e, "source", p, &f[0])) == 0 &&
			 (r = get_str(rd, e, "value", p, &f[1])) == 0 &&
			 (r = get_str(rd, e, "meaning", p, &f[2])) == 0 &&
			 (r = get_str(rd, e, "suggests", p, &f[3])) == 0)
			evidence_add(out, f[0], f[1], f[2], f[3]);
		for (int k = 0; k < 4; k++)
			free(f[k]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int get_devices(struct rd *rd, json_t *obj, const char *key, const char *path,
		       struct device_list *out)
{
	json_t *a, *e;
	size_t i;
	int r;

	r = get_arr(rd, obj, key, path, &a);
	if (r < 0 || !a)
		return r;
	json_array_foreach(a, i, e) {
		char p[96];
		char *f[4] = { NULL, NULL, NULL, NULL };

		snprintf(p, sizeof(p), "%s.%s[%zu]", path, key, i);
		if (!json_is_object(e))
			r = fail(rd, p, "expected an object");
		else if ((r = get_str(rd, e, "name", p, &f[0])) == 0 &&
			 (r = get_str(rd, e, "driver", p, &f[1])) == 0 &&
			 (r = get_str(rd, e, "bus", p, &f[2])) == 0 &&
			 (r = get_str(rd, e, "model", p, &f[3])) == 0)
			device_add(out, f[0], f[1], f[2], f[3]);
		for (int k = 0; k < 4; k++)
			free(f[k]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int get_conflicts(struct rd *rd, json_t *hv, struct conflict_list *out)
{
	json_t *a, *e;
	size_t i;
	int r;

	r = get_arr(rd, hv, "conflicts", ".hypervisor", &a);
	if (r < 0 || !a)
		return r;
	json_array_foreach(a, i, e) {
		char *p = cv_xasprintf(".hypervisor.conflicts[%zu]", i);
		struct conflict *c;

		if (!json_is_object(e)) {
			r = fail(rd, p, "expected an object");
			free(p);
			return r;
		}
		c = conflict_add(out);
		if ((r = get_strv(rd, e, "sources", p, &c->sources)) < 0 ||
		    (r = get_strv(rd, e, "suggests", p, &c->suggests)) < 0 ||
		    (r = get_str(rd, e, "followed", p, &c->followed)) < 0 ||
		    (r = get_str(rd, e, "why", p, &c->why)) < 0) {
			free(p);
			return r;
		}
		free(p);
	}
	return 0;
}

static int read_all(struct rd *rd, json_t *root, struct descriptor *d)
{
	json_t *hv, *ct, *guest, *os, *vm, *integ, *nested, *schema;
	int64_t n;
	bool set;
	int r;

	if (!json_is_object(root))
		return fail(rd, "descriptor", "expected a JSON object");
	schema = json_object_get(root, "schema");
	if (schema && (!json_is_string(schema) ||
		       !cv_startswith(json_string_value(schema), "covalid.descriptor/")))
		return fail(rd, ".schema", "not a covalid descriptor");

	if ((r = get_str(rd, root, "probed_at", "", &d->probed_at)) < 0 ||
	    (r = get_str(rd, root, "root", "", &d->probe_root)) < 0 ||
	    (r = get_strv(rd, root, "notes", "", &d->notes)) < 0)
		return r;

	if ((r = get_obj(rd, root, "hypervisor", "", &hv)) < 0)
		return r;
	if (hv) {
		if ((r = get_str(rd, hv, "id", ".hypervisor", &d->hypervisor.id)) < 0 ||
		    (r = get_str(rd, hv, "product", ".hypervisor", &d->hypervisor.product)) < 0 ||
		    (r = get_str(rd, hv, "version", ".hypervisor", &d->hypervisor.version)) < 0 ||
		    (r = get_str(rd, hv, "version_source", ".hypervisor", &d->hypervisor.version_source)) < 0 ||
		    (r = get_str(rd, hv, "build", ".hypervisor", &d->hypervisor.build)) < 0 ||
		    (r = get_str(rd, hv, "cloud", ".hypervisor", &d->hypervisor.cloud)) < 0 ||
		    (r = get_strv(rd, hv, "features", ".hypervisor", &d->hypervisor.features)) < 0 ||
		    (r = get_evidence(rd, hv, ".hypervisor", &d->hypervisor.evidence)) < 0 ||
		    (r = get_conflicts(rd, hv, &d->hypervisor.conflicts)) < 0)
			return r;
		nested = json_object_get(hv, "nested");
		if (nested && !json_is_null(nested) && !json_is_boolean(nested))
			return fail(rd, ".hypervisor.nested", "expected true or false");
		d->hypervisor.nested = nested && json_is_true(nested);
	}

	if ((r = get_obj(rd, root, "container", "", &ct)) < 0)
		return r;
	if (ct && ((r = get_str(rd, ct, "id", ".container", &d->container.id)) < 0 ||
		   (r = get_evidence(rd, ct, ".container", &d->container.evidence)) < 0))
		return r;

	if ((r = get_obj(rd, root, "guest", "", &guest)) < 0)
		return r;
	if (guest) {
		if ((r = get_str(rd, guest, "kernel", ".guest", &d->guest.kernel)) < 0 ||
		    (r = get_str(rd, guest, "arch", ".guest", &d->guest.arch)) < 0 ||
		    (r = get_obj(rd, guest, "os", ".guest", &os)) < 0)
			return r;
		if (os && ((r = get_str(rd, os, "id", ".guest.os", &d->guest.os.id)) < 0 ||
			   (r = get_str(rd, os, "version", ".guest.os", &d->guest.os.version)) < 0 ||
			   (r = get_str(rd, os, "name", ".guest.os", &d->guest.os.name)) < 0 ||
			   (r = get_str(rd, os, "pretty", ".guest.os", &d->guest.os.pretty)) < 0 ||
			   (r = get_str(rd, os, "osinfo", ".guest.os", &d->guest.os.osinfo)) < 0 ||
			   (r = get_str(rd, os, "source", ".guest.os", &d->guest.os.source)) < 0 ||
			   (r = get_str(rd, os, "service_pack", ".guest.os", &d->guest.os.service_pack)) < 0 ||
			   (r = get_str(rd, os, "edition", ".guest.os", &d->guest.os.edition)) < 0))
			return r;
	}

	if ((r = get_obj(rd, root, "vm", "", &vm)) < 0)
		return r;
	if (vm) {
		if ((r = get_int(rd, vm, "vcpus", ".vm", 0, 1 << 20, &set, &n)) < 0)
			return r;
		if (set)
			d->vm.vcpus = (int)n;
		if ((r = get_int(rd, vm, "vcpus_possible", ".vm", 0, 1 << 20, &set, &n)) < 0)
			return r;
		if (set)
			d->vm.vcpus_possible = (int)n;
		if ((r = get_int(rd, vm, "memory_mib", ".vm", 0, INT64_C(1) << 40, &set, &n)) < 0)
			return r;
		if (set)
			d->vm.memory_mib = (uint64_t)n;
		if ((r = get_str(rd, vm, "firmware", ".vm", &d->vm.firmware)) < 0 ||
		    (r = get_devices(rd, vm, "disks", ".vm", &d->vm.disks)) < 0 ||
		    (r = get_devices(rd, vm, "nics", ".vm", &d->vm.nics)) < 0)
			return r;
	}

	if ((r = get_obj(rd, root, "integration", "", &integ)) < 0)
		return r;
	if (integ && ((r = get_strv(rd, integ, "expected", ".integration", &d->integration.expected)) < 0 ||
		      (r = get_strv(rd, integ, "present", ".integration", &d->integration.present)) < 0 ||
		      (r = get_strv(rd, integ, "missing", ".integration", &d->integration.missing)) < 0 ||
		      /* Absent from descriptors written before they existed: left empty. */
		      (r = get_strv(rd, integ, "recommended", ".integration", &d->integration.recommended)) < 0 ||
		      (r = get_strv(rd, integ, "recommended_missing", ".integration",
				    &d->integration.recommended_missing)) < 0 ||
		      (r = get_strv(rd, integ, "unbound", ".integration", &d->integration.unbound)) < 0 ||
		      (r = get_evidence(rd, integ, ".integration", &d->integration.evidence)) < 0))
		return r;
	return 0;
}

/* The fields of each object, as descriptor_to_jansson() writes them. */
static const struct {
	const char *outer, *inner; /* the object: root.outer.inner (NULL: not so deep) */
	const char *fields;
} known_fields[] = {
	{ NULL, NULL, "schema probed_at root hypervisor container guest vm integration notes" },
	{ "hypervisor", NULL, "id product version version_source build cloud nested features evidence conflicts" },
	{ "container", NULL, "id evidence" },
	{ "guest", NULL, "os kernel arch" },
	{ "guest", "os", "id version name pretty osinfo source service_pack edition" },
	{ "vm", NULL, "vcpus vcpus_possible memory_mib firmware disks nics" },
	{ "integration", NULL, "expected present missing recommended recommended_missing unbound evidence" },
};

int descriptor_check_fields(const json_t *json, char **ret_error)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(known_fields); i++) {
		const char *outer = known_fields[i].outer, *inner = known_fields[i].inner, *key;
		json_t *o = (json_t *)json, *v;

		if (outer)
			o = json_object_get(o, outer);
		if (inner)
			o = json_object_get(o, inner);
		if (!json_is_object(o))
			continue; /* absent, or the reader names its type */
		json_object_foreach(o, key, v) {
			char *safe;

			if (cv_word_in(known_fields[i].fields, key))
				continue;
			safe = cv_str_sanitize(key, strlen(key), 64);
			if (ret_error)
				*ret_error = cv_xasprintf("%s%s%s%s.%s: unknown field", outer ? "." : "", outer ? outer : "",
							  inner ? "." : "", inner ? inner : "", safe);
			free(safe);
			return -EINVAL;
		}
	}
	return 0;
}

int descriptor_from_jansson(const json_t *json, struct descriptor **ret, char **ret_error)
{
	struct descriptor *d = descriptor_new();
	struct rd rd = { NULL };
	int r;

	r = read_all(&rd, (json_t *)json, d);
	if (r < 0) {
		descriptor_free(d);
		if (ret_error)
			*ret_error = rd.error;
		else
			free(rd.error);
		return r;
	}
	*ret = d;
	return 0;
}

int descriptor_from_json_tree(const char *text, size_t len, unsigned flags, struct descriptor **ret,
			      char **ret_error)
{
	json_error_t jerr;
	json_t *root;
	int r;

	if (len > DESCRIPTOR_MAX_BYTES) {
		if (ret_error)
			*ret_error = cv_xstrdup("descriptor larger than 1 MiB");
		return -EINVAL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (ret_error)
			*ret_error = cv_xasprintf("invalid JSON at line %d column %d: %s", jerr.line,
						  jerr.column, jerr.text);
		return -EINVAL;
	}
	r = 0;
	if (flags & DESCRIPTOR_PARSE_STRICT)
		r = descriptor_check_fields(root, ret_error);
	if (r == 0)
		r = descriptor_from_jansson(root, ret, ret_error);
	json_decref(root);
	if (r == 0 && (flags & (DESCRIPTOR_PARSE_NO_EVIDENCE | DESCRIPTOR_PARSE_MATCH_ONLY | DESCRIPTOR_PARSE_ANSWER))) {
		evidence_list_release(&(*ret)->hypervisor.evidence);
		evidence_list_release(&(*ret)->container.evidence);
		evidence_list_release(&(*ret)->integration.evidence);
	}
	if (r == 0 && (flags & (DESCRIPTOR_PARSE_MATCH_ONLY | DESCRIPTOR_PARSE_ANSWER))) {
		struct descriptor *d = *ret;
		struct cv_strv *lists[] = { &d->hypervisor.features, &d->notes, &d->integration.expected,
					    &d->integration.missing, &d->integration.recommended,
					    &d->integration.recommended_missing, &d->integration.unbound };
		char **strs[] = { &d->probed_at, &d->probe_root, &d->hypervisor.cloud, &d->container.id, &d->guest.kernel,
				  &d->guest.os.edition };
		/* The answer's names: kept unless matching alone asked. */
		char **names[] = { &d->guest.os.name, &d->guest.os.pretty, &d->guest.os.osinfo };

		for (size_t i = 0; i < CV_ELEMENTSOF(lists); i++) {
			cv_strv_release(lists[i]);
			cv_strv_init(lists[i]);
		}
		for (size_t i = 0; i < CV_ELEMENTSOF(strs); i++)
			*strs[i] = cv_free(*strs[i]);
		for (size_t i = 0; (flags & DESCRIPTOR_PARSE_MATCH_ONLY) && i < CV_ELEMENTSOF(names); i++)
			*names[i] = cv_free(*names[i]);
		conflict_list_release(&d->hypervisor.conflicts);
		device_list_release(&d->vm.disks);
		device_list_release(&d->vm.nics);
	}
	return r;
}
