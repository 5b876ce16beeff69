/*
 * vendor.c - who makes a guest OS or a hypervisor, read from the catalog's
 * products (see covalid/catalog.h).
 *
 * A configuration a submission creates names its guest's and hypervisor's
 * vendors.  They come from the products the program's owner imported, so
 * that a submitted row says "Red Hat" exactly where the seed's rows do and
 * a new vendor needs a product record, not a release of covalid.  The
 * products are few (tens; a few thousand with osinfo-db's) and only the
 * ones whose document holds the id are parsed: a submission never reads
 * the configurations.
 */
#include <errno.h>
#include <string.h>

#include "covalid/catalog.h"
#include "covalid/store.h"
#include "util/cv.h"

enum match_by { BY_OSINFO, BY_OS_ID, BY_HV_ID };

struct walk {
	enum match_by by;
	const char *key;
	struct cv_strv vendors; /* of the matching products, in id order, unique */
};

static int take(void *userdata, const char *id, const char *doc)
{
	struct walk *w = userdata;
	struct catalog_product *p = NULL;
	char *why = NULL;
	bool hit;

	(void)id;
	/* A product the store holds was checked when it was stored; one
	 * that no longer parses says nothing about vendors. */
	if (catalog_product_from_text(doc, &p, &why) < 0) {
		free(why);
		return 0;
	}
	switch (w->by) {
	case BY_OSINFO:
		hit = cv_streq(p->osinfo, w->key);
		break;
	case BY_OS_ID:
		hit = cv_streq(p->os_id, w->key);
		break;
	default:
		hit = cv_strv_contains(&p->ids, w->key);
		break;
	}
	if (hit && !cv_strv_contains(&w->vendors, p->vendor))
		cv_strv_push(&w->vendors, p->vendor);
	catalog_product_free(p);
	return 0;
}

static int walk(struct store *s, const char *kind, enum match_by by, const char *key, struct walk *w)
{
	/* The text filter is a case-folded substring of the document: a
	 * cheap first cut, which take() then decides exactly. */
	struct store_query q = { .kind = kind, .text = key };

	cv_strv_init(&w->vendors);
	w->by = by;
	w->key = key;
	return store_product_list(s, &q, take, w);
}

int catalog_guest_vendor(struct store *s, const char *os_id, const char *osinfo, char **ret_vendor)
{
	/* The osinfo short id names one release; the os-release ID a family
	 * (osinfo-db's products have only the first). */
	const struct {
		enum match_by by;
		const char *key;
	} tries[] = { { BY_OSINFO, osinfo }, { BY_OS_ID, os_id } };
	bool found;
	int r;

	for (size_t i = 0; i < CV_ELEMENTSOF(tries); i++) {
		struct walk w;

		if (!tries[i].key || !*tries[i].key)
			continue;
		r = walk(s, "guest_os", tries[i].by, tries[i].key, &w);
		found = r >= 0 && w.vendors.n > 0;
		if (found)
			*ret_vendor = cv_xstrdup(w.vendors.v[0]);
		cv_strv_release(&w.vendors);
		if (r < 0)
			return r;
		if (found)
			return 0;
	}
	return -ENOENT;
}

int catalog_hypervisor_vendor(struct store *s, const char *id, const char *product, char **ret_vendor)
{
	struct walk w;
	const char *pick = NULL;
	int r;

	if (!id || !*id)
		return -ENOENT;
	r = walk(s, "hypervisor", BY_HV_ID, id, &w);
	if (r < 0)
		goto out;
	if (w.vendors.n == 1)
		pick = w.vendors.v[0];
	else
		/* Several vendors ship this hypervisor (KVM: Red Hat, SUSE):
		 * the one the probe's product name names, if exactly one. */
		for (size_t i = 0; i < w.vendors.n && product; i++)
			if (strcasestr(product, w.vendors.v[i])) {
				if (pick) {
					pick = NULL;
					break;
				}
				pick = w.vendors.v[i];
			}
	if (pick)
		*ret_vendor = cv_xstrdup(pick);
	r = pick ? 0 : -ENOENT;
out:
	cv_strv_release(&w.vendors);
	return r;
}
