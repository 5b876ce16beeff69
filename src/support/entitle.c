/*
 * entitle.c - is a customer entitled to a vendor's support for a machine?
 *
 * The vendor's rules (the support policy's "entitlement", or "*") are
 * tried in order; a rule is met by an agreement of its kind with that
 * vendor, valid on the day, covering what the rule asks: the guest OS and
 * its version, the hypervisor (and its version), or anything.  The first
 * rule met entitles; otherwise every rule says why not.
 */
#include <jansson.h>

#include "covalid/support.h"
#include "support/support-internal.h"
#include "util/cv.h"

bool support_agreement_kind_ok(const char *kind)
{
	return cv_streq(kind, "support-agreement") || cv_streq(kind, "subscription") || cv_streq(kind, "per-call");
}

static const char *str_at(json_t *o, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_string_value(v);
}

/* "5.3" covers "5.3" and "5.3.1"; "2008" covers a product named "... 2008 ...". */
static bool version_covered(json_t *versions, const char *version, const char *product)
{
	size_t i;
	json_t *v;

	if (!json_is_array(versions) || json_array_size(versions) == 0)
		return true;
	json_array_foreach(versions, i, v) {
		const char *w = json_string_value(v);
		size_t n = w ? strlen(w) : 0;

		if (!n)
			continue;
		if (version && strncmp(version, w, n) == 0 && (version[n] == '\0' || version[n] == '.'))
			return true;
		if (product && strstr(product, w))
			return true;
	}
	return false;
}

static bool covers(json_t *agreement, const char *what, json_t *d)
{
	size_t i;
	json_t *c;

	if (strcmp(what, "any") == 0)
		return true;
	json_array_foreach(json_object_get(agreement, "covers"), i, c) {
		if (strcmp(what, "guest") == 0 && cv_streq(json_string_value(json_object_get(c, "guest")),
							   str_at(d, "guest", "os", "id")) &&
		    version_covered(json_object_get(c, "versions"), str_at(d, "guest", "os", "version"), NULL))
			return true;
		if (strcmp(what, "hypervisor") == 0 &&
		    cv_streq(json_string_value(json_object_get(c, "hypervisor")), str_at(d, "hypervisor", "id", NULL)) &&
		    version_covered(json_object_get(c, "versions"), str_at(d, "hypervisor", "version", NULL),
				    str_at(d, "hypervisor", "product", NULL)))
			return true;
	}
	return false;
}

static char *machine_part(const char *what, json_t *d)
{
	const char *a, *b;

	if (strcmp(what, "guest") == 0) {
		a = str_at(d, "guest", "os", "id");
		b = str_at(d, "guest", "os", "version");
		return cv_xasprintf("guest %s %s", a ? a : "unknown", b ? b : "(version unknown)");
	}
	a = str_at(d, "hypervisor", "id", NULL);
	b = str_at(d, "hypervisor", "product", NULL);
	return cv_xasprintf("hypervisor %s%s%s", a ? a : "unknown", b ? " " : "", b ? b : "");
}

/* Valid on the day now falls on: valid_from 00:00 to valid_to 24:00 UTC. */
static const char *validity(json_t *a, int64_t now)
{
	int64_t from, to;

	if (cv_time_parse(json_string_value(json_object_get(a, "valid_from")), &from) < 0 ||
	    cv_time_parse(json_string_value(json_object_get(a, "valid_to")), &to) < 0)
		return "has no valid dates";
	if (now < from)
		return "is not valid yet";
	if (now >= to + 86400)
		return "expired";
	return NULL;
}

void *support_entitlement(const struct support_policy *p, const char *vendor_id, const void *agreements,
			  const void *descriptor, int64_t now)
{
	json_t *ent = json_object_get(p->doc, "entitlement");
	json_t *rules = json_object_get(ent, vendor_id) ? json_object_get(ent, vendor_id) : json_object_get(ent, "*");
	json_t *res = json_pack("{s:s, s:b, s:n, s:n, s:n, s:b, s:[]}", "vendor", vendor_id, "entitled", 0, "agreement",
				"rule", "level", "charge", 0, "reasons");
	json_t *reasons = json_object_get(res, "reasons"), *d = (json_t *)descriptor, *rule, *a;
	size_t i, k;

	json_array_foreach(rules, i, rule) {
		const char *name = json_string_value(json_object_get(rule, "name"));
		const char *kind = json_string_value(json_object_get(rule, "kind"));
		const char *what = json_string_value(json_object_get(rule, "covers"));
		bool any = false;

		json_array_foreach((json_t *)agreements, k, a) {
			const char *why;

			if (!cv_streq(json_string_value(json_object_get(a, "vendor")), vendor_id) ||
			    !cv_streq(json_string_value(json_object_get(a, "kind")), kind))
				continue;
			any = true;
			why = validity(a, now);
			if (why) {
				json_array_append_new(reasons, json_sprintf("%s: %s %s (valid %s to %s)", name,
						json_string_value(json_object_get(a, "id")), why,
						json_string_value(json_object_get(a, "valid_from")),
						json_string_value(json_object_get(a, "valid_to"))));
				continue;
			}
			if (!covers(a, what, d)) {
				char *m = machine_part(what, d);

				json_array_append_new(reasons, json_sprintf("%s: %s does not cover the %s", name,
						json_string_value(json_object_get(a, "id")), m));
				free(m);
				continue;
			}
			json_object_set_new(res, "entitled", json_true());
			json_object_set(res, "agreement", json_object_get(a, "id"));
			json_object_set_new(res, "rule", json_string(name));
			json_object_set_new(res, "level", json_string(json_string_value(json_object_get(a, "level"))
									  ? json_string_value(json_object_get(a, "level"))
									  : "standard"));
			json_object_set(res, "charge", json_is_true(json_object_get(rule, "charge")) ? json_true() : json_false());
			json_array_clear(reasons);
			return res;
		}
		if (!any)
			json_array_append_new(reasons, json_sprintf("%s: no %s with %s", name, kind, vendor_id));
	}
	if (!json_array_size(rules))
		json_array_append_new(reasons, json_sprintf("no entitlement rules for %s", vendor_id));
	return res;
}
