/*
 * org.c - the program owner's side of support: customers and their
 * agreements with the vendors.
 */
#include <jansson.h>
#include <sodium.h>

#include "covalid/store.h"
#include "covalid/support.h"
#include "covalid/version.h"
#include "support/support-internal.h"
#include "util/cv.h"

int support_customer_add(struct store *s, const char *name, const char *id, char **ret_id, struct program_error *err)
{
	char *slug = NULL;
	int r;

	r = program_org_id(name, id, &slug, err);
	if (r < 0)
		return r;
	r = store_customer_add(s, slug, name);
	if (r == -EEXIST)
		program_error_set(err, 409, "customer_exists", "a customer with id '%s' or name '%s' exists", slug, name);
	else if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	if (r < 0) {
		free(slug);
		return r;
	}
	*ret_id = slug;
	return 0;
}

/*
 * covers: [{"guest": "windows", "versions": ["2008"]}, {"hypervisor": "kvm",
 * "versions": ["5.4"]}]: each entry one guest OS or one hypervisor, by id,
 * with the releases covered written as the catalog writes them (a version
 * statement: "5.3", "2008 R2", "5.2-5.4"), so that what an agreement says
 * is what entitlement will read; none, every release.
 */
#define COVERS_MAX 64
#define COVER_VERSIONS_MAX 64
#define COVER_VERSION_BYTES 64

static bool covers_ok(json_t *covers, char *why, size_t size)
{
	size_t i, k;
	json_t *c, *v, *e;

	if (!json_is_array(covers) || json_array_size(covers) > COVERS_MAX) {
		snprintf(why, size, "covers: expected a list of at most %d {guest|hypervisor, versions}", COVERS_MAX);
		return false;
	}
	json_array_foreach(covers, i, c) {
		const char *key;
		size_t n = 0;

		json_object_foreach(c, key, v) {
			if (strcmp(key, "guest") == 0 || strcmp(key, "hypervisor") == 0) {
				n++;
				if (!json_is_string(v) || !json_string_length(v))
					n = 99;
			} else if (strcmp(key, "versions") == 0) {
				if (!json_is_array(v) || json_array_size(v) > COVER_VERSIONS_MAX)
					n = 99;
				json_array_foreach(v, k, e) {
					struct version_spec spec;
					const char *bad;
					char *shown;

					if (json_is_string(e) && json_string_length(e) <= COVER_VERSION_BYTES &&
					    version_spec_parse(json_string_value(e), &spec, &bad) == 0)
						continue;
					shown = json_is_string(e) ? cv_str_sanitize(json_string_value(e), json_string_length(e), 40)
								  : cv_xstrdup("(not a string)");
					snprintf(why, size, "covers[%zu].versions[%zu]: '%s' is not a release (5.4, 2008 R2, 5.2-5.4)",
						 i, k, shown);
					free(shown);
					return false;
				}
			} else
				n = 99;
		}
		if (!json_is_object(c) || n != 1) {
			snprintf(why, size, "covers[%zu]: expected one of guest or hypervisor (an id), and versions", i);
			return false;
		}
	}
	return true;
}

/* A date field of an agreement: a day of the calendar, or a 400 naming
 * the field and what it held. */
static bool date_ok(json_t *doc, const char *field, int64_t *ret, struct program_error *err)
{
	json_t *v = json_object_get(doc, field);
	char *shown;

	if (cv_time_parse(json_string_value(v), ret) == 0)
		return true;
	if (!json_is_string(v)) {
		program_error_set(err, 400, "invalid_field", "%s: a date (YYYY-MM-DD) is required", field);
		return false;
	}
	shown = cv_str_sanitize(json_string_value(v), json_string_length(v), 40);
	program_error_set(err, 400, "invalid_field", "%s: '%s' is not a date of the calendar (YYYY-MM-DD)", field, shown);
	free(shown);
	return false;
}

int support_agreement_add(struct store *s, const json_t *body, char **ret_id, struct program_error *err)
{
	static const char *const keys[] = { "id", "customer", "vendor", "kind", "level", "valid_from", "valid_to",
					    "covers", "notes" };
	json_t *doc = json_deep_copy(body);
	struct support_policy *p = NULL;
	const char *customer, *vendor, *level;
	char why[200], *id = NULL, *text = NULL;
	int64_t from, to;
	int r = -EINVAL;

	if (!program_check_keys(doc, keys, CV_ELEMENTSOF(keys), NULL, err))
		goto out;
	customer = json_string_value(json_object_get(doc, "customer"));
	vendor = json_string_value(json_object_get(doc, "vendor"));
	level = json_string_value(json_object_get(doc, "level"));
	if (!customer || !vendor || !support_agreement_kind_ok(json_string_value(json_object_get(doc, "kind")))) {
		program_error_set(err, 400, "invalid_field",
				  "customer, vendor and kind (support-agreement, subscription, per-call) are required");
		goto out;
	}
	if (!date_ok(doc, "valid_from", &from, err) || !date_ok(doc, "valid_to", &to, err))
		goto out;
	if (to < from) {
		program_error_set(err, 400, "invalid_field", "valid_from and valid_to: dates (YYYY-MM-DD), in order");
		goto out;
	}
	if (!json_object_get(doc, "covers"))
		json_object_set_new(doc, "covers", json_array());
	if (!covers_ok(json_object_get(doc, "covers"), why, sizeof(why))) {
		program_error_set(err, 400, "invalid_field", "%s", why);
		goto out;
	}
	r = support_policy_load(s, &p, err);
	if (r < 0)
		goto out;
	r = -EINVAL;
	if (level && !json_object_get(json_object_get(p->doc, "sla"), level)) {
		program_error_set(err, 400, "invalid_field", "level: '%s' is not a level of the support policy", level);
		goto out;
	}
	if (!level)
		json_object_set_new(doc, "level", json_string("standard"));
	if (store_customer_get(s, customer, NULL) == -ENOENT) {
		program_error_set(err, 404, "unknown_customer", "no customer '%s'", customer);
		r = -ENOENT;
		goto out;
	}
	if (store_vendor_get(s, vendor, NULL) == -ENOENT) {
		program_error_set(err, 404, "unknown_vendor", "no vendor '%s'", vendor);
		r = -ENOENT;
		goto out;
	}
	if (json_is_string(json_object_get(doc, "id")))
		id = cv_xstrdup(json_string_value(json_object_get(doc, "id")));
	else {
		uint8_t raw[5];
		char hex[11];

		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
		id = cv_xasprintf("agr_%s", hex);
	}
	if (!program_slug_ok(id) && !cv_startswith(id, "agr_")) {
		program_error_set(err, 400, "invalid_field", "id: lower-case letters, digits and dashes");
		goto out;
	}
	json_object_set_new(doc, "id", json_string(id));
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	r = store_agreement_add(s, id, customer, vendor, text);
	if (r == -EEXIST)
		program_error_set(err, 409, "agreement_exists", "agreement '%s' exists", id);
	else if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	if (r == 0) {
		*ret_id = id;
		id = NULL;
	}
out:
	support_policy_free(p);
	json_decref(doc);
	free(text);
	free(id);
	return r;
}
