/*
 * record.c - catalog records from JSON, strictly (see covalid/catalog.h
 * and docs/catalog.md).
 */
#include <ctype.h>
#include <stddef.h>
#include <jansson.h>

#include "catalog/catalog-internal.h"
#include "covalid/catalog.h"
#include "util/cv.h"
#include "util/json-pull.h"

static const char *const status_names[CATALOG_STATUS__MAX] = {
	[CATALOG_VALIDATED] = "validated",
	[CATALOG_SUPPORTED] = "supported",
	[CATALOG_SUPPORTED_HISTORICAL] = "supported_historical",
	[CATALOG_SUPPORTED_PROFILE] = "supported_profile",
	[CATALOG_SUPPORTED_LIMITED] = "supported_limited",
	[CATALOG_SUPPORTED_PRODUCT_LEVEL] = "supported_product_level",
	[CATALOG_ANNOUNCED_NOT_CONFIRMED] = "announced_not_confirmed",
	[CATALOG_NOT_SUPPORTED] = "not_supported",
	[CATALOG_REVOKED] = "revoked",
};

const char *catalog_status_name(enum catalog_status s)
{
	return s < CATALOG_STATUS__MAX ? status_names[s] : "?";
}

int catalog_status_parse(const char *s, enum catalog_status *ret)
{
	for (int i = 0; i < CATALOG_STATUS__MAX; i++)
		if (cv_streq(s, status_names[i])) {
			*ret = (enum catalog_status)i;
			return 0;
		}
	return -EINVAL;
}

bool catalog_status_supportable(enum catalog_status s)
{
	return s <= CATALOG_SUPPORTED_PRODUCT_LEVEL;
}

int catalog_service_pack_parse(const char *s, unsigned *ret_n, bool *ret_plus)
{
	unsigned n = 0;
	size_t i = 2;

	if (!s || strncasecmp(s, "SP", 2) != 0 || !isdigit((unsigned char)s[2]) || s[2] == '0')
		return -EINVAL;
	for (; isdigit((unsigned char)s[i]); i++) {
		n = n * 10 + (unsigned)(s[i] - '0');
		if (n > CATALOG_SERVICE_PACK_MAX)
			return -EINVAL;
	}
	if (s[i] == '+')
		i++;
	if (s[i] != '\0')
		return -EINVAL;
	*ret_n = n;
	if (ret_plus)
		*ret_plus = s[i - 1] == '+';
	return 0;
}

/* Ids the probe can report (docs/descriptor.md). */
static const char *const hypervisor_ids[] = {
	"none", "kvm", "qemu", "microsoft", "vmware", "xen", "oracle", "bhyve", "parallels", "amazon", "google",
	"acrn", "powervm", "zvm", "bochs", "uml", "qnx", "apple", "sre", "vm-other",
};

static const char *const arches[] = { "i686", "x86_64", "aarch64", "ppc64le", "s390x" };

/* ---- a small strict reader ---- */

struct rd {
	char *why;
};

static int vbad(struct rd *rd, const char *path, const char *key, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (rd->why)
		return -EINVAL;
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	if (*path && key)
		rd->why = cv_xasprintf("%s.%s: %s", path, key, msg);
	else if (*path || key)
		rd->why = cv_xasprintf("%s: %s", *path ? path : key, msg);
	else
		rd->why = cv_xstrdup(msg);
	free(msg);
	return -EINVAL;
}

static int bad(struct rd *rd, const char *path, const char *fmt, ...) CV_PRINTF(3, 4);
static int bad(struct rd *rd, const char *path, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vbad(rd, path, NULL, fmt, ap);
	va_end(ap);
	return r;
}

/* bad() at path.key (key alone at the top level): the path is built only
 * when there is an error to report, not for every field read. */
static int bad_at(struct rd *rd, const char *path, const char *key, const char *fmt, ...) CV_PRINTF(4, 5);
static int bad_at(struct rd *rd, const char *path, const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vbad(rd, path, key, fmt, ap);
	va_end(ap);
	return r;
}

/* Every key of obj must be in allowed. */
static int only_keys(struct rd *rd, json_t *obj, const char *path, const char *const *allowed, size_t n)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(allowed[i], key) == 0;
		if (!ok)
			return bad_at(rd, path, key, "unknown field");
	}
	return 0;
}

/* A string field; required ones must be non-empty. */
static int str(struct rd *rd, json_t *obj, const char *path, const char *key, bool required, char **out)
{
	json_t *v = json_object_get(obj, key);
	int r = 0;

	if (!v || json_is_null(v)) {
		if (required)
			r = bad_at(rd, path, key, "missing required field");
	} else if (!json_is_string(v))
		r = bad_at(rd, path, key, "expected a string");
	else if (required && json_string_length(v) == 0)
		r = bad_at(rd, path, key, "must not be empty");
	else if (out)
		*out = cv_xstrdup(json_string_value(v));
	return r;
}

static int strv(struct rd *rd, json_t *obj, const char *path, const char *key, bool required,
		struct cv_strv *out)
{
	json_t *v = json_object_get(obj, key), *e;
	size_t i;
	int r = 0;

	if (!v || json_is_null(v)) {
		if (required)
			r = bad_at(rd, path, key, "missing required field");
	} else if (!json_is_array(v))
		r = bad_at(rd, path, key, "expected an array of strings");
	else if (required && json_array_size(v) == 0)
		r = bad_at(rd, path, key, "must not be empty");
	else
		json_array_foreach(v, i, e) {
			if (!json_is_string(e) || json_string_length(e) == 0) {
				r = bad_at(rd, path, key, "item %zu: expected a non-empty string", i);
				break;
			}
			if (out)
				cv_strv_push(out, json_string_value(e));
		}
	return r;
}

static int obj(struct rd *rd, json_t *parent, const char *path, const char *key, bool required, json_t **out)
{
	json_t *v = json_object_get(parent, key);
	int r = 0;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			r = bad_at(rd, path, key, "missing required field");
	} else if (!json_is_object(v))
		r = bad_at(rd, path, key, "expected an object");
	else
		*out = v;
	return r;
}

/* A positive integer or null; *out stays as it is when null. */
static int posint(struct rd *rd, json_t *o, const char *path, const char *key, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	int r = 0;

	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max)
			r = bad_at(rd, path, key, "expected an integer from 1 to %lld", (long long)max);
		else
			*out = json_integer_value(v);
	}
	return r;
}

static int spec(struct rd *rd, const char *path, const char *key, const char *text, struct version_spec *out)
{
	const char *why;

	if (version_spec_parse(text, out, &why) == 0)
		return 0;
	return bad_at(rd, path, key, "bad version '%s': %s", text, why);
}

/* "YYYY", "YYYY-MM" or "YYYY-MM-DD" (only its first and last digits checked). */
static bool date_ok(const char *s)
{
	size_t n = strlen(s);

	return (n == 4 || n == 7 || n == 10) && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[3]) &&
	       (n == 4 || (s[4] == '-' && isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]))) &&
	       (n != 10 || (s[7] == '-' && isdigit((unsigned char)s[8]) && isdigit((unsigned char)s[9])));
}

/* A date (date_ok()) at path.key; *out stays NULL when absent or null. */
static int date_at(struct rd *rd, json_t *o, const char *path, const char *key, char **out)
{
	char *s = NULL;
	int r;

	r = str(rd, o, path, key, false, &s);
	if (r < 0 || !s)
		return r;
	if (!date_ok(s)) {
		free(s);
		return bad_at(rd, path, key, "expected a date YYYY, YYYY-MM or YYYY-MM-DD");
	}
	*out = s;
	return 0;
}

static int date(struct rd *rd, json_t *o, const char *key, char **out)
{
	return date_at(rd, o, "", key, out);
}

bool catalog_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._:+-", *p))
			return false;
	return true;
}

static bool in(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(set[i], s) == 0)
			return true;
	return false;
}

/* ---- products ---- */

/* The milestones covalid reads, by name (docs/catalog.md, "Life cycles"). */
static const struct {
	const char *name;
	size_t offset;
} lifecycle_dates[] = {
	{ "start", offsetof(struct catalog_lifecycle, start) },
	{ "mainstream_end", offsetof(struct catalog_lifecycle, mainstream_end) },
	{ "extended_end", offsetof(struct catalog_lifecycle, extended_end) },
	{ "esu_end", offsetof(struct catalog_lifecycle, esu_end) },
	{ "full_support_end", offsetof(struct catalog_lifecycle, full_support_end) },
	{ "maintenance_end", offsetof(struct catalog_lifecycle, maintenance_end) },
	{ "els_end", offsetof(struct catalog_lifecycle, els_end) },
	{ "general_end", offsetof(struct catalog_lifecycle, general_end) },
	{ "ltss_end", offsetof(struct catalog_lifecycle, ltss_end) },
};

static void lifecycle_release(struct catalog_lifecycle *l)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(lifecycle_dates); i++)
		free(*(char **)((char *)l + lifecycle_dates[i].offset));
	free(l->applies_to);
}

/*
 * "lifecycle": the known milestones into l; any other member is a
 * milestone as gathered (an older seed's "maintenance_support_end") and
 * must be a date too, so that nothing but dates and applies_to hides there.
 */
static int read_lifecycle(struct rd *rd, json_t *o, struct catalog_lifecycle *l)
{
	const char *key;
	json_t *v;
	int r;

	json_object_foreach(o, key, v) {
		char **out = NULL, *ignored = NULL;

		if (strcmp(key, "applies_to") == 0) {
			r = str(rd, o, "lifecycle", key, false, &l->applies_to);
			if (r < 0)
				return r;
			continue;
		}
		for (size_t i = 0; i < CV_ELEMENTSOF(lifecycle_dates) && !out; i++)
			if (strcmp(key, lifecycle_dates[i].name) == 0)
				out = (char **)((char *)l + lifecycle_dates[i].offset);
		r = date_at(rd, o, "lifecycle", key, out ? out : &ignored);
		free(ignored);
		if (r < 0)
			return r;
	}
	return 0;
}

struct catalog_product *catalog_product_ref(struct catalog_product *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

struct catalog_product *catalog_product_free(struct catalog_product *p)
{
	/* Another owner still holds it (refs counts the others). */
	if (!p || __atomic_fetch_sub(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	free(p->id);
	free(p->kind);
	free(p->vendor);
	free(p->product);
	free(p->version);
	free(p->osinfo);
	free(p->os_id);
	cv_strv_release(&p->ids);
	free(p->release_date);
	free(p->eol_date);
	lifecycle_release(&p->lifecycle);
	json_decref(p->doc);
	free(p);
	return NULL;
}

int catalog_product_from_json(json_t *json, struct catalog_product **ret, char **ret_why)
{
	static const char *const keys[] = {
		"type", "id", "kind", "vendor", "product", "version", "build", "arch", "os_id", "ids",
		"osinfo_short_id", "osinfo_id", "osinfo_platform_short_id", "release_date", "eol_date",
		"lifecycle", "lifecycle_sources", "lifecycle_source", "equivalents", "notes", "source",
	};
	struct catalog_product *p = cv_xcalloc(1, sizeof(*p));
	struct rd rd = { NULL };
	json_t *root = json, *lc;
	char *type = NULL;
	int r;

	if (!json_is_object(root)) {
		r = bad(&rd, "", "expected a JSON object");
		goto out;
	}
	if ((r = only_keys(&rd, root, "", keys, CV_ELEMENTSOF(keys))) < 0 ||
	    (r = str(&rd, root, "", "type", true, &type)) < 0 ||
	    (r = str(&rd, root, "", "id", true, &p->id)) < 0 ||
	    (r = str(&rd, root, "", "kind", true, &p->kind)) < 0 ||
	    (r = str(&rd, root, "", "vendor", true, &p->vendor)) < 0 ||
	    (r = str(&rd, root, "", "product", true, &p->product)) < 0 ||
	    (r = str(&rd, root, "", "version", true, &p->version)) < 0 ||
	    (r = str(&rd, root, "", "osinfo_short_id", false, &p->osinfo)) < 0 ||
	    (r = str(&rd, root, "", "build", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "os_id", false, &p->os_id)) < 0 ||
	    (r = strv(&rd, root, "", "ids", false, &p->ids)) < 0 ||
	    (r = str(&rd, root, "", "osinfo_id", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "osinfo_platform_short_id", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "lifecycle_source", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "notes", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "owner", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "claim_key", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "source", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "arch", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "lifecycle_sources", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "equivalents", false, NULL)) < 0 ||
	    (r = obj(&rd, root, "", "lifecycle", false, &lc)) < 0 ||
	    (r = date(&rd, root, "release_date", &p->release_date)) < 0 ||
	    (r = date(&rd, root, "eol_date", &p->eol_date)) < 0 ||
	    (lc && (r = read_lifecycle(&rd, lc, &p->lifecycle)) < 0))
		goto out;
	if (strcmp(type, "product") != 0) {
		r = bad(&rd, "type", "expected \"product\"");
		goto out;
	}
	if (!catalog_id_valid(p->id)) {
		r = bad(&rd, "id", "use 1 to 128 letters, digits and ._:+-");
		goto out;
	}
	if (strcmp(p->kind, "guest_os") != 0 && strcmp(p->kind, "hypervisor") != 0) {
		r = bad(&rd, "kind", "expected \"guest_os\" or \"hypervisor\"");
		goto out;
	}
	/* Each names what the probe reports for its kind only. */
	if (p->os_id && strcmp(p->kind, "guest_os") != 0) {
		r = bad(&rd, "os_id", "only a guest_os product has one");
		goto out;
	}
	if (p->ids.n > 0 && strcmp(p->kind, "hypervisor") != 0) {
		r = bad(&rd, "ids", "only a hypervisor product has them");
		goto out;
	}
	p->doc = json_incref(root);
	*ret = p;
	p = NULL;
	r = 0;
out:
	free(type);
	catalog_product_free(p);
	if (r < 0)
		*ret_why = rd.why;
	else
		free(rd.why);
	return r;
}

/* ---- configurations ---- */

struct catalog_config *catalog_config_ref(struct catalog_config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

struct catalog_config *catalog_config_free(struct catalog_config *c)
{
	/* Another owner still holds it (refs counts the others). */
	if (!c || __atomic_fetch_sub(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	free(c->id);
	free(c->guest.vendor);
	free(c->guest.product);
	free(c->guest.os_id);
	free(c->guest.version);
	free(c->guest.osinfo);
	free(c->guest.product_id);
	free(c->guest.service_pack);
	cv_strv_release(&c->guest.arch);
	free(c->hypervisor.vendor);
	free(c->hypervisor.product);
	free(c->hypervisor.version);
	free(c->hypervisor.host_version);
	free(c->hypervisor.product_id);
	cv_strv_release(&c->hypervisor.ids);
	cv_strv_release(&c->hypervisor.builds);
	free(c->limits.allowed_vcpus);
	cv_strv_release(&c->required_components);
	cv_strv_release(&c->validated_by);
	cv_strv_release(&c->evidence);
	free(c->valid_from);
	free(c->valid_until);
	json_decref(c->doc);
	free(c);
	return NULL;
}

/* A link to a product: an id as products have them, or absent. */
static int product_id(struct rd *rd, json_t *o, const char *path, char **out)
{
	int r = str(rd, o, path, "product_id", false, out);

	if (r < 0 || !*out || catalog_id_valid(*out))
		return r;
	return bad_at(rd, path, "product_id", "use 1 to 128 letters, digits and ._:+-");
}

static int read_guest(struct rd *rd, json_t *g, struct catalog_config *c)
{
	static const char *const keys[] = { "vendor", "product", "os_id", "version", "arch", "osinfo_short_id",
					    "service_pack", "editions", "product_id" };
	int r;

	if ((r = only_keys(rd, g, "guest", keys, CV_ELEMENTSOF(keys))) < 0 ||
	    (r = str(rd, g, "guest", "vendor", true, &c->guest.vendor)) < 0 ||
	    (r = str(rd, g, "guest", "product", true, &c->guest.product)) < 0 ||
	    (r = str(rd, g, "guest", "os_id", true, &c->guest.os_id)) < 0 ||
	    (r = str(rd, g, "guest", "version", true, &c->guest.version)) < 0 ||
	    (r = strv(rd, g, "guest", "arch", true, &c->guest.arch)) < 0 ||
	    (r = str(rd, g, "guest", "osinfo_short_id", false, &c->guest.osinfo)) < 0 ||
	    (r = str(rd, g, "guest", "service_pack", false, &c->guest.service_pack)) < 0 ||
	    (r = strv(rd, g, "guest", "editions", false, NULL)) < 0 ||
	    (r = product_id(rd, g, "guest", &c->guest.product_id)) < 0 ||
	    (r = spec(rd, "guest", "version", c->guest.version, &c->guest.spec)) < 0)
		return r;
	/* Matching compares service packs (docs/check.md): one it cannot
	 * read would silently match every machine. */
	if (c->guest.service_pack && catalog_service_pack_parse(c->guest.service_pack, &(unsigned){ 0 }, NULL) < 0)
		return bad(rd, "guest.service_pack", "'%s' is not a service pack (SP1 to SP%d, '+' for \"or later\")",
			   c->guest.service_pack, CATALOG_SERVICE_PACK_MAX);
	for (size_t i = 0; i < c->guest.arch.n; i++)
		if (!in(c->guest.arch.v[i], arches, CV_ELEMENTSOF(arches)))
			return bad(rd, "guest.arch", "unknown architecture '%s' (i686, x86_64, aarch64, ppc64le, s390x)",
				   c->guest.arch.v[i]);
	return 0;
}

static int read_hypervisor(struct rd *rd, json_t *h, struct catalog_config *c)
{
	static const char *const keys[] = { "vendor", "product", "ids", "version", "host_version", "builds",
					    "equivalents", "engine_os_type", "product_id" };
	int r;

	if ((r = only_keys(rd, h, "hypervisor", keys, CV_ELEMENTSOF(keys))) < 0 ||
	    (r = str(rd, h, "hypervisor", "vendor", true, &c->hypervisor.vendor)) < 0 ||
	    (r = str(rd, h, "hypervisor", "product", true, &c->hypervisor.product)) < 0 ||
	    (r = strv(rd, h, "hypervisor", "ids", true, &c->hypervisor.ids)) < 0 ||
	    (r = str(rd, h, "hypervisor", "version", true, &c->hypervisor.version)) < 0 ||
	    (r = str(rd, h, "hypervisor", "host_version", false, &c->hypervisor.host_version)) < 0 ||
	    (r = strv(rd, h, "hypervisor", "builds", false, &c->hypervisor.builds)) < 0 ||
	    (r = strv(rd, h, "hypervisor", "equivalents", false, NULL)) < 0 ||
	    (r = str(rd, h, "hypervisor", "engine_os_type", false, NULL)) < 0 ||
	    (r = product_id(rd, h, "hypervisor", &c->hypervisor.product_id)) < 0 ||
	    (r = spec(rd, "hypervisor", "version", c->hypervisor.version, &c->hypervisor.spec)) < 0)
		return r;
	if (c->hypervisor.host_version) {
		r = spec(rd, "hypervisor", "host_version", c->hypervisor.host_version, &c->hypervisor.host_spec);
		if (r < 0)
			return r;
		c->hypervisor.have_host_spec = true;
	}
	for (size_t i = 0; i < c->hypervisor.ids.n; i++)
		if (!in(c->hypervisor.ids.v[i], hypervisor_ids, CV_ELEMENTSOF(hypervisor_ids)))
			return bad(rd, "hypervisor.ids", "unknown hypervisor id '%s' (systemd-detect-virt's vocabulary)",
				   c->hypervisor.ids.v[i]);
	for (size_t i = 0; i < c->hypervisor.builds.n; i++) {
		uint64_t b;

		if (cv_parse_u64(c->hypervisor.builds.v[i], 10, &b) < 0 || b > 0xffffffffu)
			return bad(rd, "hypervisor.builds", "'%s' is not a build number", c->hypervisor.builds.v[i]);
	}
	return 0;
}

static int read_limits(struct rd *rd, json_t *l, struct catalog_config *c)
{
	static const char *const keys[] = { "max_vcpus", "max_vcpus_gen1", "allowed_vcpus", "max_memory_mib",
					    "basis" };
	int64_t max_vcpus = -1, gen1 = -1;
	json_t *a, *e;
	size_t i;
	int r;

	c->limits.max_vcpus = -1;
	c->limits.max_vcpus_gen1 = -1;
	c->limits.max_memory_mib = -1;
	if (!l)
		return 0;
	if ((r = only_keys(rd, l, "limits", keys, CV_ELEMENTSOF(keys))) < 0 ||
	    (r = posint(rd, l, "limits", "max_vcpus", 1 << 16, &max_vcpus)) < 0 ||
	    (r = posint(rd, l, "limits", "max_vcpus_gen1", 1 << 16, &gen1)) < 0 ||
	    (r = posint(rd, l, "limits", "max_memory_mib", INT64_C(1) << 40, &c->limits.max_memory_mib)) < 0 ||
	    (r = str(rd, l, "limits", "basis", false, NULL)) < 0)
		return r;
	c->limits.max_vcpus = (int)max_vcpus;
	c->limits.max_vcpus_gen1 = (int)gen1;
	a = json_object_get(l, "allowed_vcpus");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 64)
			return bad(rd, "limits.allowed_vcpus", "expected an array of 1 to 64 vCPU counts");
		c->limits.allowed_vcpus = cv_xcalloc(json_array_size(a), sizeof(int));
		json_array_foreach(a, i, e) {
			if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > (1 << 16))
				return bad(rd, "limits.allowed_vcpus", "item %zu: expected a vCPU count", i);
			c->limits.allowed_vcpus[c->limits.n_allowed_vcpus++] = (int)json_integer_value(e);
		}
	}
	return 0;
}

int catalog_config_from_json(json_t *json, struct catalog_config **ret, char **ret_why)
{
	static const char *const keys[] = {
		"type", "id", "status", "guest", "hypervisor", "limits", "required_components",
		"required_drivers", "recommended_drivers", "integration_components", "vm_generation",
		"validated_by", "validated_by_detail", "conditions", "valid_from", "valid_until", "evidence",
		"source", "source_keys", "inferred_fields", "notes", "owner", "claim_key",
	};
	struct catalog_config *c = cv_xcalloc(1, sizeof(*c));
	struct rd rd = { NULL };
	json_t *root = json, *g, *h, *l;
	char *type = NULL, *status = NULL;
	int r;

	if (!json_is_object(root)) {
		r = bad(&rd, "", "expected a JSON object");
		goto out;
	}
	if ((r = only_keys(&rd, root, "", keys, CV_ELEMENTSOF(keys))) < 0 ||
	    (r = str(&rd, root, "", "type", true, &type)) < 0 ||
	    (r = str(&rd, root, "", "id", true, &c->id)) < 0 ||
	    (r = str(&rd, root, "", "status", true, &status)) < 0 ||
	    (r = obj(&rd, root, "", "guest", true, &g)) < 0 ||
	    (r = obj(&rd, root, "", "hypervisor", true, &h)) < 0 ||
	    (r = obj(&rd, root, "", "limits", false, &l)) < 0 ||
	    (r = strv(&rd, root, "", "validated_by", true, &c->validated_by)) < 0 ||
	    (r = str(&rd, root, "", "source", true, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "required_components", false, &c->required_components)) < 0 ||
	    (r = strv(&rd, root, "", "required_drivers", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "recommended_drivers", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "integration_components", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "vm_generation", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "validated_by_detail", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "conditions", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "evidence", false, &c->evidence)) < 0 ||
	    (r = strv(&rd, root, "", "source_keys", false, NULL)) < 0 ||
	    (r = strv(&rd, root, "", "inferred_fields", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "notes", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "owner", false, NULL)) < 0 ||
	    (r = str(&rd, root, "", "claim_key", false, NULL)) < 0 ||
	    (r = date(&rd, root, "valid_from", &c->valid_from)) < 0 ||
	    (r = date(&rd, root, "valid_until", &c->valid_until)) < 0)
		goto out;
	if (strcmp(type, "configuration") != 0) {
		r = bad(&rd, "type", "expected \"configuration\"");
		goto out;
	}
	if (!catalog_id_valid(c->id)) {
		r = bad(&rd, "id", "use 1 to 128 letters, digits and ._:+-");
		goto out;
	}
	if (catalog_status_parse(status, &c->status) < 0) {
		r = bad(&rd, "status", "unknown status '%s'", status);
		goto out;
	}
	if ((r = read_guest(&rd, g, c)) < 0 || (r = read_hypervisor(&rd, h, c)) < 0 || (r = read_limits(&rd, l, c)) < 0)
		goto out;
	c->doc = json_incref(root);
	*ret = c;
	c = NULL;
	r = 0;
out:
	free(type);
	free(status);
	catalog_config_free(c);
	if (r < 0)
		*ret_why = rd.why;
	else
		free(rd.why);
	return r;
}

static json_t *load_text(const char *text, char **ret_why)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);

	if (!j)
		*ret_why = cv_xasprintf("invalid JSON at column %d: %s", err.column, err.text);
	return j;
}

int catalog_config_from_text(const char *text, struct catalog_config **ret, char **ret_why)
{
	json_t *j = load_text(text, ret_why);
	int r;

	if (!j)
		return -EINVAL;
	r = catalog_config_from_json(j, ret, ret_why);
	json_decref(j);
	return r;
}

int catalog_product_from_text(const char *text, struct catalog_product **ret, char **ret_why)
{
	json_t *j = load_text(text, ret_why);
	int r;

	if (!j)
		return -EINVAL;
	r = catalog_product_from_json(j, ret, ret_why);
	json_decref(j);
	return r;
}

char *catalog_doc_dump(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!s)
		abort();
	return s;
}

/* ---- configurations without a tree (catalog-internal.h) ----
 *
 * The same rules as catalog_config_from_json() and its readers above,
 * field for field, on the pull tokenizer's tokens: a value of the wrong
 * type, an unknown or missing field, a failed check, anything at all, and
 * the answer is -EAGAIN (the tree reader then says why).  Keys appear at
 * most once (the tokenizer refuses duplicates), so no field is set twice.
 */
struct fast {
	struct json_pull p;
};

static int fnext(struct fast *f)
{
	return json_pull_next(&f->p);
}

static bool key_is(const struct fast *f, const char *k)
{
	return f->p.len == strlen(k) && memcmp(f->p.str, k, f->p.len) == 0;
}

/* str(): a string or null (absent); a required one non-empty.  *seen if present. */
static int f_str(struct fast *f, bool required, char **out, bool *seen)
{
	switch (fnext(f)) {
	case JSON_PULL_NULL:
		return required ? -EAGAIN : 0;
	case JSON_PULL_STRING:
		if (required && f->p.len == 0)
			return -EAGAIN;
		if (out)
			*out = cv_xstrndup(f->p.str, f->p.len);
		if (seen)
			*seen = true;
		return 0;
	default:
		return -EAGAIN;
	}
}

/*
 * strv(): an array of non-empty strings or null; a required one not empty.
 * The vector is allocated to its size (a loaded catalog holds a million
 * of them; cv_strv_push() would start at eight slots); it grows as usual
 * if pushed to later.
 */
static int f_strv(struct fast *f, bool required, struct cv_strv *out)
{
	char *items[8];
	size_t n = 0;
	int t = fnext(f), r = -EAGAIN;

	if (t == JSON_PULL_NULL)
		return required ? -EAGAIN : 0;
	if (t != JSON_PULL_ARRAY)
		return -EAGAIN;
	while ((t = fnext(f)) == JSON_PULL_STRING) {
		if (f->p.len == 0)
			goto out;
		if (out && n < CV_ELEMENTSOF(items))
			items[n] = cv_xstrndup(f->p.str, f->p.len);
		else if (out)
			cv_strv_push_take(out, cv_xstrndup(f->p.str, f->p.len));
		n++;
	}
	if (t != JSON_PULL_ARRAY_END || (required && n == 0))
		goto out;
	r = 0;
out:
	if (out && n > 0) {
		/* The first items before any pushed past them: out holds only those. */
		size_t first = n < CV_ELEMENTSOF(items) ? n : CV_ELEMENTSOF(items), rest = out->n;
		char **v = cv_xreallocarray(NULL, first + rest + 1, sizeof(char *));

		memcpy(v, items, first * sizeof(char *));
		if (rest)
			memcpy(v + first, out->v, rest * sizeof(char *));
		v[first + rest] = NULL;
		free(out->v);
		out->v = v;
		out->n = first + rest;
		out->alloc = first + rest + 1;
	}
	return r;
}

static int f_date(struct fast *f, char **out)
{
	int r = f_str(f, false, out, NULL);

	return r < 0 || !*out || date_ok(*out) ? r : -EAGAIN;
}

static int f_posint(struct fast *f, int64_t max, int64_t *out)
{
	int t = fnext(f);

	if (t == JSON_PULL_NULL)
		return 0;
	if (t != JSON_PULL_INTEGER || f->p.integer < 1 || f->p.integer > max)
		return -EAGAIN;
	*out = f->p.integer;
	return 0;
}

/* obj(): an object (its members through member()) or null (absent). */
static int f_obj(struct fast *f, bool required, int (*member)(struct fast *f, struct catalog_config *c),
		 struct catalog_config *c, bool *seen)
{
	int t = fnext(f), r;

	if (t == JSON_PULL_NULL)
		return required ? -EAGAIN : 0;
	if (t != JSON_PULL_OBJECT)
		return -EAGAIN;
	while ((t = fnext(f)) == JSON_PULL_KEY)
		if ((r = member(f, c)) < 0)
			return r;
	if (t != JSON_PULL_OBJECT_END)
		return -EAGAIN;
	*seen = true;
	return 0;
}

static int f_guest(struct fast *f, struct catalog_config *c)
{
	if (key_is(f, "vendor"))
		return f_str(f, true, &c->guest.vendor, NULL);
	if (key_is(f, "product"))
		return f_str(f, true, &c->guest.product, NULL);
	if (key_is(f, "os_id"))
		return f_str(f, true, &c->guest.os_id, NULL);
	if (key_is(f, "version"))
		return f_str(f, true, &c->guest.version, NULL);
	if (key_is(f, "arch"))
		return f_strv(f, true, &c->guest.arch);
	if (key_is(f, "osinfo_short_id"))
		return f_str(f, false, &c->guest.osinfo, NULL);
	if (key_is(f, "service_pack"))
		return f_str(f, false, &c->guest.service_pack, NULL);
	if (key_is(f, "editions"))
		return f_strv(f, false, NULL);
	if (key_is(f, "product_id"))
		return f_str(f, false, &c->guest.product_id, NULL);
	return -EAGAIN;
}

static int f_hypervisor(struct fast *f, struct catalog_config *c)
{
	if (key_is(f, "vendor"))
		return f_str(f, true, &c->hypervisor.vendor, NULL);
	if (key_is(f, "product"))
		return f_str(f, true, &c->hypervisor.product, NULL);
	if (key_is(f, "ids"))
		return f_strv(f, true, &c->hypervisor.ids);
	if (key_is(f, "version"))
		return f_str(f, true, &c->hypervisor.version, NULL);
	if (key_is(f, "host_version"))
		return f_str(f, false, &c->hypervisor.host_version, NULL);
	if (key_is(f, "builds"))
		return f_strv(f, false, &c->hypervisor.builds);
	if (key_is(f, "equivalents"))
		return f_strv(f, false, NULL);
	if (key_is(f, "engine_os_type"))
		return f_str(f, false, NULL, NULL);
	if (key_is(f, "product_id"))
		return f_str(f, false, &c->hypervisor.product_id, NULL);
	return -EAGAIN;
}

static int f_limits(struct fast *f, struct catalog_config *c)
{
	int64_t v = -1;
	int vcpus[64], t, r;
	size_t n = 0;

	if (key_is(f, "max_vcpus") || key_is(f, "max_vcpus_gen1")) {
		bool gen1 = key_is(f, "max_vcpus_gen1");

		r = f_posint(f, 1 << 16, &v);
		if (r == 0 && v > 0)
			*(gen1 ? &c->limits.max_vcpus_gen1 : &c->limits.max_vcpus) = (int)v;
		return r;
	}
	if (key_is(f, "max_memory_mib"))
		return f_posint(f, INT64_C(1) << 40, &c->limits.max_memory_mib);
	if (key_is(f, "basis"))
		return f_str(f, false, NULL, NULL);
	if (!key_is(f, "allowed_vcpus"))
		return -EAGAIN;
	t = fnext(f);
	if (t == JSON_PULL_NULL)
		return 0;
	if (t != JSON_PULL_ARRAY)
		return -EAGAIN;
	while ((t = fnext(f)) == JSON_PULL_INTEGER) {
		if (n == CV_ELEMENTSOF(vcpus) || f->p.integer < 1 || f->p.integer > (1 << 16))
			return -EAGAIN;
		vcpus[n++] = (int)f->p.integer;
	}
	if (t != JSON_PULL_ARRAY_END || n == 0)
		return -EAGAIN;
	c->limits.allowed_vcpus = cv_xmalloc(n * sizeof(int));
	memcpy(c->limits.allowed_vcpus, vcpus, n * sizeof(int));
	c->limits.n_allowed_vcpus = n;
	return 0;
}

struct f_top {
	char *type, *status;
	bool source, guest, hypervisor, limits;
};

static int f_member(struct fast *f, struct catalog_config *c, struct f_top *top)
{
	static const char *const ignored_strv[] = { "required_drivers", "recommended_drivers", "validated_by_detail",
						    "conditions", "source_keys", "inferred_fields" };
	static const char *const ignored_str[] = { "integration_components", "vm_generation", "notes", "owner",
						   "claim_key" };

	if (key_is(f, "type"))
		return f_str(f, true, &top->type, NULL);
	if (key_is(f, "id"))
		return f_str(f, true, &c->id, NULL);
	if (key_is(f, "status"))
		return f_str(f, true, &top->status, NULL);
	if (key_is(f, "guest"))
		return f_obj(f, true, f_guest, c, &top->guest);
	if (key_is(f, "hypervisor"))
		return f_obj(f, true, f_hypervisor, c, &top->hypervisor);
	if (key_is(f, "limits"))
		return f_obj(f, false, f_limits, c, &top->limits);
	if (key_is(f, "validated_by"))
		return f_strv(f, true, &c->validated_by);
	if (key_is(f, "source"))
		return f_str(f, true, NULL, &top->source);
	if (key_is(f, "required_components"))
		return f_strv(f, false, &c->required_components);
	if (key_is(f, "evidence"))
		return f_strv(f, false, &c->evidence);
	if (key_is(f, "valid_from"))
		return f_date(f, &c->valid_from);
	if (key_is(f, "valid_until"))
		return f_date(f, &c->valid_until);
	for (size_t i = 0; i < CV_ELEMENTSOF(ignored_strv); i++)
		if (key_is(f, ignored_strv[i]))
			return f_strv(f, false, NULL);
	for (size_t i = 0; i < CV_ELEMENTSOF(ignored_str); i++)
		if (key_is(f, ignored_str[i]))
			return f_str(f, false, NULL, NULL);
	return -EAGAIN;
}

/* The checks read_guest(), read_hypervisor() and catalog_config_from_json()
 * make once the fields are read. */
static bool f_checks(struct catalog_config *c, const struct f_top *top)
{
	const char *why;

	if (!top->type || strcmp(top->type, "configuration") != 0 || !c->id || !catalog_id_valid(c->id) || !top->status ||
	    catalog_status_parse(top->status, &c->status) < 0 || !top->guest || !top->hypervisor ||
	    c->validated_by.n == 0 || !top->source)
		return false;
	if (!c->guest.vendor || !c->guest.product || !c->guest.os_id || !c->guest.version || c->guest.arch.n == 0 ||
	    (c->guest.product_id && !catalog_id_valid(c->guest.product_id)) ||
	    version_spec_parse(c->guest.version, &c->guest.spec, &why) < 0 ||
	    (c->guest.service_pack && catalog_service_pack_parse(c->guest.service_pack, &(unsigned){ 0 }, NULL) < 0))
		return false;
	for (size_t i = 0; i < c->guest.arch.n; i++)
		if (!in(c->guest.arch.v[i], arches, CV_ELEMENTSOF(arches)))
			return false;
	if (!c->hypervisor.vendor || !c->hypervisor.product || c->hypervisor.ids.n == 0 || !c->hypervisor.version ||
	    (c->hypervisor.product_id && !catalog_id_valid(c->hypervisor.product_id)) ||
	    version_spec_parse(c->hypervisor.version, &c->hypervisor.spec, &why) < 0)
		return false;
	if (c->hypervisor.host_version) {
		if (version_spec_parse(c->hypervisor.host_version, &c->hypervisor.host_spec, &why) < 0)
			return false;
		c->hypervisor.have_host_spec = true;
	}
	for (size_t i = 0; i < c->hypervisor.ids.n; i++)
		if (!in(c->hypervisor.ids.v[i], hypervisor_ids, CV_ELEMENTSOF(hypervisor_ids)))
			return false;
	for (size_t i = 0; i < c->hypervisor.builds.n; i++) {
		uint64_t b;

		if (cv_parse_u64(c->hypervisor.builds.v[i], 10, &b) < 0 || b > 0xffffffffu)
			return false;
	}
	return true;
}

int catalog_config_from_text_fast(const char *text, size_t len, struct catalog_config **ret)
{
	struct catalog_config *c = cv_xcalloc(1, sizeof(*c));
	struct f_top top = { 0 };
	struct fast f;
	int t, r = -EAGAIN;

	c->limits.max_vcpus = -1;
	c->limits.max_vcpus_gen1 = -1;
	c->limits.max_memory_mib = -1;
	json_pull_init(&f.p, text, len);
	if (fnext(&f) != JSON_PULL_OBJECT)
		goto out;
	while ((t = fnext(&f)) == JSON_PULL_KEY)
		if (f_member(&f, c, &top) < 0)
			goto out;
	if (t != JSON_PULL_OBJECT_END || fnext(&f) != JSON_PULL_END || !f_checks(c, &top))
		goto out;
	*ret = c;
	c = NULL;
	r = 0;
out:
	json_pull_release(&f.p);
	free(top.type);
	free(top.status);
	catalog_config_free(c);
	return r;
}
