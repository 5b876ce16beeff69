/*
 * entitle.c - is a customer entitled to a vendor's support for a machine?
 *
 * The vendor's rules (the support policy's "entitlement", or "*") are
 * tried in order; a rule is met by an agreement of its kind with that
 * vendor, valid on the day, covering one of the parts of the machine the
 * rule names (its "covers": the guest OS, the hypervisor, or anything);
 * a per-call rule is also met by the customer's stating, when it opens
 * the case, that it will buy per-call support.  The first rule met
 * entitles; otherwise every rule says why not.
 *
 * Coverage goes both ways because the program does: Windows Server on
 * Red Hat's KVM and Red Hat Enterprise Linux on Microsoft's Hyper-V.  A
 * Microsoft agreement for Windows Server 2008 covers the Windows guest of
 * the one and the Hyper-V host of the other; a RHEL subscription the RHEL
 * guest of the one and the RHEL host of the other (seed, FAQ A6).
 *
 * An agreement names versions as the catalog does, by product release
 * ("5.3" covers 5.3 and 5.3.x; "2008" covers 2008, not "2008 R2").  The
 * guest's release is the descriptor's, or that of the catalog
 * configurations it matches (a Windows guest may report its NT version,
 * 6.0, which the catalog reads as 2008).  The host's release is never the
 * probed one: a KVM guest reads its machine type (pc-q35-8.2) there and a
 * Hyper-V guest the hypervisor's kernel (6.0), neither the product a
 * customer buys support for.  So the host's release is the one a person
 * stated (hypervisor.version_source "stated"), that of the catalog
 * configurations the machine matches ("Red Hat Enterprise Linux KVM" 5.4,
 * "Windows Server 2008 Hyper-V" 2008), or a release its product name
 * carries ("2008" in "Windows Server 2008 Hyper-V").
 */
#include <jansson.h>

#include "covalid/check.h"
#include "covalid/support.h"
#include "covalid/version.h"
#include "support/support-internal.h"
#include "util/cv.h"

bool support_agreement_kind_ok(const char *kind)
{
	return cv_streq(kind, "support-agreement") || cv_streq(kind, "subscription") || cv_streq(kind, "per-call");
}

static const struct {
	const char *name;
	unsigned bit;
} parts[] = {
	{ "guest", SUPPORT_COVERS_GUEST },
	{ "hypervisor", SUPPORT_COVERS_HYPERVISOR },
	{ "any", SUPPORT_COVERS_ANY },
};

unsigned support_rule_covers(json_t *covers)
{
	unsigned mask = 0;
	size_t i, k;
	json_t *v;

	if (json_is_string(covers))
		covers = json_pack("[O]", covers);
	else if (json_is_array(covers) && json_array_size(covers) > 0 && json_array_size(covers) <= CV_ELEMENTSOF(parts))
		json_incref(covers);
	else
		return 0;
	json_array_foreach(covers, i, v) {
		unsigned bit = 0;

		for (k = 0; k < CV_ELEMENTSOF(parts); k++)
			if (cv_streq(json_string_value(v), parts[k].name))
				bit = parts[k].bit;
		if (!bit || (mask & bit)) { /* unknown, or named twice */
			mask = 0;
			break;
		}
		mask |= bit;
	}
	json_decref(covers);
	return mask;
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

/* Whether every release of statement s is one of statement a's. */
static bool spec_within(const char *s, const struct version_spec *a)
{
	struct version_spec vs;
	const char *why;

	if (!s || version_spec_parse(s, &vs, &why) < 0)
		return false;
	return a->any || (!vs.any && vs.lo >= a->lo && vs.hi <= a->hi);
}

static bool version_within(const char *v, const struct version_spec *a)
{
	uint64_t x;

	return v && version_parse(v, &x) == 0 && version_spec_match(a, x);
}

/*
 * Whether release w is named by a product name, as whole words: "2008"
 * names "Windows Server 2008 Hyper-V" and "Microsoft Hyper-V Server 2008",
 * not "Windows Server 2008 R2 Hyper-V" (another release) nor "20080".
 */
static bool product_names(const char *product, const char *w)
{
	size_t n = strlen(w);
	const char *p = product;

	if (!product || !n)
		return false;
	while ((p = strstr(p, w))) {
		const char *e = p + n;
		bool starts = p == product || p[-1] == ' ';
		bool ends = *e == '\0' || (*e == ' ' && !(e[1] == 'R' && e[2] >= '0' && e[2] <= '9'));

		if (starts && ends)
			return true;
		p++;
	}
	return false;
}

/* The catalog configurations the machine matches: their guest or hypervisor {product, version}. */
static const char *match_at(json_t *m, const char *part, const char *field)
{
	return json_string_value(json_object_get(json_object_get(m, part), field));
}

static bool guest_covered(json_t *entry, const struct support_claim *cl)
{
	json_t *d = (json_t *)cl->descriptor, *versions = json_object_get(entry, "versions"), *w, *m;
	size_t i, k;

	if (!cv_streq(json_string_value(json_object_get(entry, "guest")), str_at(d, "guest", "os", "id")))
		return false;
	if (json_array_size(versions) == 0)
		return true;
	json_array_foreach(versions, i, w) {
		struct version_spec a;
		const char *why;
		uint64_t x;

		if (version_spec_parse(json_string_value(w), &a, &why) < 0)
			continue;
		if (check_guest_release(str_at(d, "guest", "os", "id"), str_at(d, "guest", "os", "version"), &x) == 0 &&
		    version_spec_match(&a, x))
			return true;
		json_array_foreach(cl->matches, k, m)
			if (spec_within(match_at(m, "guest", "version"), &a))
				return true;
	}
	return false;
}

static bool host_stated(json_t *d)
{
	return cv_streq(str_at(d, "hypervisor", "version_source", NULL), "stated");
}

static bool hypervisor_covered(json_t *entry, const struct support_claim *cl)
{
	json_t *d = (json_t *)cl->descriptor, *versions = json_object_get(entry, "versions"), *w, *m;
	size_t i, k;

	if (!cv_streq(json_string_value(json_object_get(entry, "hypervisor")), str_at(d, "hypervisor", "id", NULL)))
		return false;
	if (json_array_size(versions) == 0)
		return true;
	json_array_foreach(versions, i, w) {
		const char *ws = json_string_value(w);
		struct version_spec a;
		const char *why;

		if (!ws)
			continue;
		if (product_names(str_at(d, "hypervisor", "product", NULL), ws))
			return true;
		json_array_foreach(cl->matches, k, m)
			if (product_names(match_at(m, "hypervisor", "product"), ws))
				return true;
		if (version_spec_parse(ws, &a, &why) < 0)
			continue;
		if (host_stated(d) && version_within(str_at(d, "hypervisor", "version", NULL), &a))
			return true;
		json_array_foreach(cl->matches, k, m)
			if (spec_within(match_at(m, "hypervisor", "version"), &a))
				return true;
	}
	return false;
}

static bool covers(json_t *agreement, unsigned mask, const struct support_claim *cl)
{
	size_t i;
	json_t *c;

	if (mask & SUPPORT_COVERS_ANY)
		return true;
	json_array_foreach(json_object_get(agreement, "covers"), i, c) {
		if ((mask & SUPPORT_COVERS_GUEST) && guest_covered(c, cl))
			return true;
		if ((mask & SUPPORT_COVERS_HYPERVISOR) && hypervisor_covered(c, cl))
			return true;
	}
	return false;
}

/*
 * "the guest windows 2008"; "the hypervisor kvm (Red Hat Enterprise Linux
 * KVM 5.4)" where it matched the catalog, else as probed and stated:
 * "(QEMU/KVM, host version 5.5 as stated)", "(QEMU/KVM, host version not
 * stated)", "(Windows Server 2012 Hyper-V)".
 */
static void machine_part(struct cv_buf *b, unsigned bit, const struct support_claim *cl)
{
	json_t *d = (json_t *)cl->descriptor, *m;
	const char *a, *v;
	size_t i, shown = 0;

	if (bit == SUPPORT_COVERS_GUEST) {
		a = str_at(d, "guest", "os", "id");
		v = str_at(d, "guest", "os", "version");
		(void)!cv_buf_printf(b, "the guest %s %s", a ? a : "unknown", v ? v : "(version unknown)");
		return;
	}
	a = str_at(d, "hypervisor", "id", NULL);
	(void)!cv_buf_printf(b, "the hypervisor %s (", a ? a : "unknown");
	json_array_foreach(cl->matches, i, m) {
		char *pv;

		if (!match_at(m, "hypervisor", "product"))
			continue;
		pv = check_product_version(match_at(m, "hypervisor", "product"), match_at(m, "hypervisor", "version"));
		if (!strstr(b->data, pv))
			(void)!cv_buf_printf(b, "%s%s", shown ? ", " : "", pv);
		shown++;
		free(pv);
	}
	if (!shown) {
		v = str_at(d, "hypervisor", "product", NULL);
		(void)!cv_buf_printf(b, "%s", v ? v : "product unknown");
		if (host_stated(d))
			(void)!cv_buf_printf(b, ", host version %s as stated", str_at(d, "hypervisor", "version", NULL));
		else if (!v || !strpbrk(v, "0123456789"))
			/* "QEMU/KVM" says nothing of the release: say what would. */
			(void)!cv_buf_printf(b, ", host version not stated");
	}
	(void)!cv_buf_printf(b, ")");
}

/* "the guest rhel 5.9 or the hypervisor microsoft (Windows Server 2008 Hyper-V)" */
static char *machine_parts(unsigned mask, const struct support_claim *cl)
{
	struct cv_buf b;
	bool first = true;

	cv_buf_init(&b, 1024);
	for (size_t k = 0; k < CV_ELEMENTSOF(parts); k++) {
		if (!(mask & parts[k].bit) || parts[k].bit == SUPPORT_COVERS_ANY)
			continue;
		if (!first)
			(void)!cv_buf_printf(&b, " or ");
		machine_part(&b, parts[k].bit, cl);
		first = false;
	}
	return b.data ? cv_buf_detach(&b, NULL) : cv_xstrdup("the machine");
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

static void entitled_by(json_t *res, json_t *rule, json_t *agreement)
{
	const char *level = json_string_value(json_object_get(agreement, "level"));

	json_object_set_new(res, "entitled", json_true());
	json_object_set(res, "agreement", agreement ? json_object_get(agreement, "id") : json_null());
	json_object_set(res, "rule", json_object_get(rule, "name"));
	json_object_set_new(res, "level", json_string(level ? level : "standard"));
	json_object_set(res, "charge", json_is_true(json_object_get(rule, "charge")) ? json_true() : json_false());
	json_object_set_new(res, "per_call_stated", json_boolean(!agreement));
	json_array_clear(json_object_get(res, "reasons"));
}

json_t *support_entitlement(const struct support_policy *p, const char *vendor_id, const struct support_claim *cl)
{
	json_t *ent = json_object_get(p->doc, "entitlement");
	json_t *rules = json_object_get(ent, vendor_id) ? json_object_get(ent, vendor_id) : json_object_get(ent, "*");
	json_t *res = json_pack("{s:s, s:b, s:n, s:n, s:n, s:b, s:b, s:[]}", "vendor", vendor_id, "entitled", 0,
				"agreement", "rule", "level", "charge", 0, "per_call_stated", 0, "reasons");
	json_t *reasons = json_object_get(res, "reasons"), *rule, *a;
	bool per_call_rule = false;
	size_t i, k;

	json_array_foreach(rules, i, rule) {
		const char *name = json_string_value(json_object_get(rule, "name"));
		const char *kind = json_string_value(json_object_get(rule, "kind"));
		unsigned mask = support_rule_covers(json_object_get(rule, "covers"));
		bool any = false;

		json_array_foreach(cl->agreements, k, a) {
			const char *why;

			if (!cv_streq(json_string_value(json_object_get(a, "vendor")), vendor_id) ||
			    !cv_streq(json_string_value(json_object_get(a, "kind")), kind))
				continue;
			any = true;
			why = validity(a, cl->now);
			if (why) {
				json_array_append_new(reasons, json_sprintf("%s: %s %s (valid %s to %s)", name,
						json_string_value(json_object_get(a, "id")), why,
						json_string_value(json_object_get(a, "valid_from")),
						json_string_value(json_object_get(a, "valid_to"))));
				continue;
			}
			if (!covers(a, mask, cl)) {
				char *m = machine_parts(mask, cl);

				json_array_append_new(reasons, json_sprintf("%s: %s does not cover %s", name,
						json_string_value(json_object_get(a, "id")), m));
				free(m);
				continue;
			}
			entitled_by(res, rule, a);
			return res;
		}
		if (cv_streq(kind, "per-call")) {
			per_call_rule = true;
			/* Said when the case was opened: an agreement for this
			 * case, for whatever the machine is. */
			if (cl->per_call) {
				entitled_by(res, rule, NULL);
				return res;
			}
		}
		if (!any)
			json_array_append_new(reasons, json_sprintf("%s: no %s with %s", name, kind, vendor_id));
	}
	if (!json_array_size(rules))
		json_array_append_new(reasons, json_sprintf("no entitlement rules for %s", vendor_id));
	if (cl->per_call && !per_call_rule)
		json_array_append_new(reasons, json_sprintf("per-call support (stated when the case was opened): "
							    "the support policy of %s has no per-call rule",
							    vendor_id));
	return res;
}
