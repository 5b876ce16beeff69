/*
 * check.c - the in-memory index and the fast match (see covalid/check.h).
 *
 * Building: every configuration is compiled (struct ccfg) and put in the
 * bucket of each (guest OS, hypervisor id) it covers.  Buckets live in an
 * open-addressing table of pointers keyed by the two interned ids, and are
 * reference-counted: an update (check_index_update) copies the table,
 * shares every bucket no change touches and rebuilds the others, so a
 * write to one configuration costs its buckets, not the catalog.  Within
 * a bucket configurations are sorted by the low end of their guest
 * version interval.
 *
 * Matching a key scans its one bucket: for each configuration a handful of
 * integer comparisons decide whether it matches, and, where it does not,
 * a score (how far it is) and the main difference.  No allocation, no
 * strings: this is the path `check --fleet` takes a million times.
 */
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "check/check-internal.h"
#include "util/cv.h"

static const char *const verdict_names[CHECK_VERDICT__MAX] = {
	[CHECK_VALIDATED] = "validated",
	[CHECK_SUPPORTED] = "supported",
	[CHECK_NOT_SUPPORTED] = "not-supported",
	[CHECK_NOT_VALIDATED] = "not-validated",
	[CHECK_UNKNOWN] = "unknown",
};

static const struct {
	const char *name, *phrase;
} reasons[CHECK_REASON__MAX] = {
	[CHECK_REASON_NONE] = { "none", "matches" },
	[CHECK_REASON_UNKNOWN_HYPERVISOR] = { "unknown-hypervisor", "the hypervisor could not be determined" },
	[CHECK_REASON_UNKNOWN_GUEST] = { "unknown-guest", "the guest OS could not be determined" },
	[CHECK_REASON_NO_CONFIGURATION] = { "no-configuration", "no configuration for this guest OS on this hypervisor" },
	[CHECK_REASON_GUEST_VERSION] = { "guest-version", "guest OS version not validated" },
	[CHECK_REASON_ARCH] = { "arch", "architecture not validated" },
	[CHECK_REASON_HYPERVISOR_VERSION] = { "hypervisor-version", "hypervisor version not validated" },
	[CHECK_REASON_VCPUS] = { "vcpus", "vCPU count outside the validated limits" },
	[CHECK_REASON_MEMORY] = { "memory", "memory above the validated limit" },
	[CHECK_REASON_COMPONENTS] = { "components", "integration components missing" },
	[CHECK_REASON_EXCLUDED] = { "excluded", "explicitly not supported" },
	[CHECK_REASON_STATUS] = { "status", "matches only revoked or unconfirmed statements" },
	[CHECK_REASON_HOST_VERSION_UNKNOWN] = { "host-version-unknown",
						"the host's version is needed: a guest cannot see it" },
	[CHECK_REASON_SERVICE_PACK] = { "service-pack", "service pack older than the validated one" },
	[CHECK_REASON_GUEST_NOT_IN_CATALOG] = { "guest-os-not-in-catalog",
						"the catalog has no configuration for this guest OS" },
};

const char *check_verdict_name(enum check_verdict v)
{
	return v < CHECK_VERDICT__MAX ? verdict_names[v] : "?";
}

const char *check_reason_name(enum check_reason r)
{
	return r < CHECK_REASON__MAX ? reasons[r].name : "?";
}

const char *check_reason_phrase(enum check_reason r)
{
	return r < CHECK_REASON__MAX ? reasons[r].phrase : "?";
}

static const char *const arch_names[] = { "i686", "x86_64", "aarch64", "ppc64le", "s390x" };

uint8_t check_arch_bit(const char *arch)
{
	static const struct {
		const char *alias, *arch;
	} aliases[] = { { "i386", "i686" }, { "i486", "i686" }, { "i586", "i686" }, { "x86", "i686" },
			{ "amd64", "x86_64" }, { "x64", "x86_64" }, { "arm64", "aarch64" } };

	if (!arch)
		return 0;
	for (size_t i = 0; i < CV_ELEMENTSOF(aliases); i++)
		if (strcmp(aliases[i].alias, arch) == 0)
			arch = aliases[i].arch;
	for (size_t i = 0; i < CV_ELEMENTSOF(arch_names); i++)
		if (strcmp(arch_names[i], arch) == 0)
			return (uint8_t)(1u << i);
	return 0;
}

static int32_t intern(struct cv_hmap *m, const char *s)
{
	uintptr_t v;

	if (cv_hmap_get(m, s, &v))
		return (int32_t)v;
	v = m->n;
	cv_hmap_put(m, s, v);
	return (int32_t)v;
}

static int32_t lookup(const struct cv_hmap *m, const char *s)
{
	uintptr_t v;

	if (!s)
		return -1;
	return cv_hmap_get(m, s, &v) ? (int32_t)v : -2;
}

static uint64_t bucket_hash(int32_t os, int32_t hv)
{
	uint64_t k = ((uint64_t)(uint32_t)os << 32) | (uint32_t)hv;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* The slot of (os, hv): its bucket, or the empty slot where it would go. */
static size_t slot_of(struct bucket *const *tab, size_t cap, int32_t os, int32_t hv)
{
	size_t i = (size_t)bucket_hash(os, hv) & (cap - 1);

	while (tab[i] && !(tab[i]->os == os && tab[i]->hv == hv))
		i = (i + 1) & (cap - 1);
	return i;
}

static struct bucket *find_bucket(const struct check_index *ix, int32_t os, int32_t hv)
{
	if (!ix->cap || os < 0 || hv < 0)
		return NULL;
	return ix->tab[slot_of(ix->tab, ix->cap, os, hv)];
}

/* Room for one more bucket in ix's table (at most half full). */
static void table_reserve(struct check_index *ix)
{
	struct bucket **old = ix->tab;
	size_t oldcap = ix->cap;

	if ((ix->n_buckets + 1) * 2 <= ix->cap)
		return;
	ix->cap = oldcap ? oldcap * 2 : 64;
	ix->tab = cv_xcalloc(ix->cap, sizeof(*ix->tab));
	for (size_t k = 0; k < oldcap; k++)
		if (old[k])
			ix->tab[slot_of(ix->tab, ix->cap, old[k]->os, old[k]->hv)] = old[k];
	free(old);
}

static struct bucket *bucket_new(int32_t os, int32_t hv)
{
	struct bucket *b = cv_xcalloc(1, sizeof(*b));

	b->refs = 1;
	b->os = os;
	b->hv = hv;
	b->alloc = 4;
	b->v = cv_xcalloc(b->alloc, sizeof(*b->v));
	return b;
}

static void bucket_push(struct bucket *b, const struct ccfg *c)
{
	if (b->n == b->alloc) {
		b->alloc *= 2;
		b->v = cv_xreallocarray(b->v, b->alloc, sizeof(*b->v));
	}
	b->v[b->n++] = *c;
}

static void bucket_unref(struct bucket *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(b->v);
		free(b->lo);
		free(b->prefmax);
		free(b);
	}
}

static struct bucket *get_bucket(struct check_index *ix, int32_t os, int32_t hv)
{
	size_t i;

	table_reserve(ix);
	i = slot_of(ix->tab, ix->cap, os, hv);
	if (!ix->tab[i]) {
		ix->tab[i] = bucket_new(os, hv);
		ix->n_buckets++;
	}
	return ix->tab[i];
}

static void lowercase(char *dst, const char *src, size_t size)
{
	size_t i = 0;

	for (; src[i] && i + 1 < size; i++)
		dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
	dst[i] = '\0';
}

/* Vendors are few (a handful per catalog): a list, matched by prefix. */
static int32_t intern_vendor(struct cv_strv *vendors, const char *vendor)
{
	char low[128];

	if (!vendor)
		return -1;
	lowercase(low, vendor, sizeof(low));
	for (size_t i = 0; i < vendors->n; i++)
		if (strcmp(vendors->v[i], low) == 0)
			return (int32_t)i;
	cv_strv_push(vendors, low);
	return (int32_t)(vendors->n - 1);
}

void check_compile(struct check_index *ix, const struct catalog_config *c, uint32_t index, struct ccfg *out)
{
	memset(out, 0, sizeof(*out));
	out->config = index;
	out->hv_vendor = ix ? intern_vendor(&ix->names->hv_vendors, c->hypervisor.vendor) : -1;
	out->status = (uint8_t)c->status;
	out->lo = c->guest.spec.lo;
	out->hi = c->guest.spec.hi;
	out->any_version = c->guest.spec.any;
	out->multi = c->hypervisor.ids.n > 1;
	for (size_t i = 0; i < c->guest.arch.n; i++)
		out->arch |= check_arch_bit(c->guest.arch.v[i]);
	if (c->hypervisor.have_host_spec) {
		/* Kept for ranking even when builds decide. */
		out->hlo = c->hypervisor.host_spec.lo;
		out->hhi = c->hypervisor.host_spec.hi;
	}
	if (c->hypervisor.builds.n) {
		out->hv_mode = HV_BUILDS;
		for (size_t i = 0; i < c->hypervisor.builds.n && i < CHECK_MAX_BUILDS; i++) {
			uint64_t b;

			if (cv_parse_u64(c->hypervisor.builds.v[i], 10, &b) == 0) /* checked on parse */
				out->builds[out->n_builds++] = (uint32_t)b;
		}
	} else if (c->hypervisor.have_host_spec) {
		out->hv_mode = c->hypervisor.host_spec.any ? HV_ANY : HV_HOST;
		out->hlo = c->hypervisor.host_spec.lo;
		out->hhi = c->hypervisor.host_spec.hi;
	} else if (c->hypervisor.spec.any)
		out->hv_mode = HV_ANY;
	else {
		out->hv_mode = HV_PRODUCT;
		out->hlo = c->hypervisor.spec.lo;
		out->hhi = c->hypervisor.spec.hi;
	}
	/* "SP2" and "SP2+" alike: a later service pack matches (docs/check.md). */
	{
		unsigned sp;

		if (c->guest.service_pack && catalog_service_pack_parse(c->guest.service_pack, &sp, NULL) == 0)
			out->service_pack = (uint8_t)sp; /* checked on parse */
	}
	out->max_vcpus = c->limits.max_vcpus;
	out->max_vcpus_gen1 = c->limits.max_vcpus_gen1;
	for (size_t i = 0; i < c->limits.n_allowed_vcpus; i++)
		if (c->limits.allowed_vcpus[i] <= 64)
			out->vcpu_set |= 1ull << (c->limits.allowed_vcpus[i] - 1);
	out->max_memory_mib = c->limits.max_memory_mib;
	for (size_t i = 0; ix && i < c->required_components.n; i++) {
		int32_t bit = intern(&ix->names->components, c->required_components.v[i]);

		if (bit < CHECK_MAX_COMPONENTS)
			out->components |= 1ull << bit;
	}
}

static int cmp_lo(const void *a, const void *b)
{
	const struct ccfg *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : (x->config < y->config ? -1 : x->config > y->config);
}

/* The interned vendor of c's hypervisor (c has one), -1 if not interned. */
static int32_t vendor_of(const struct check_names *n, const struct catalog_config *c)
{
	char low[128];

	lowercase(low, c->hypervisor.vendor, sizeof(low));
	for (size_t i = 0; i < n->hv_vendors.n; i++)
		if (strcmp(n->hv_vendors.v[i], low) == 0)
			return (int32_t)i;
	return -1;
}

/* Sorts a filled bucket and fills its search arrays. */
static void bucket_finish(struct bucket *b)
{
	uint64_t m = 0;

	if (b->n > 1)
		qsort(b->v, b->n, sizeof(struct ccfg), cmp_lo);
	b->prefmax = cv_xcalloc(b->n ? b->n : 1, sizeof(*b->prefmax));
	b->lo = cv_xcalloc(b->n ? b->n : 1, sizeof(*b->lo));
	for (size_t k = 0; k < b->n; k++) {
		uint64_t hi = b->v[k].any_version ? UINT64_MAX : b->v[k].hi;

		b->lo[k] = b->v[k].lo;
		m = hi > m ? hi : m;
		b->prefmax[k] = m;
	}
}

/* Fills by_os from the table: explain's candidates for a guest OS. */
static void group_by_os(struct check_index *ix)
{
	size_t *fill;

	ix->n_os = ix->names->os_ids.n;
	ix->os_start = cv_xcalloc(ix->n_os + 1, sizeof(*ix->os_start));
	ix->by_os = cv_xcalloc(ix->n_buckets ? ix->n_buckets : 1, sizeof(*ix->by_os));
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->tab[i])
			ix->os_start[ix->tab[i]->os + 1]++;
	for (size_t os = 0; os < ix->n_os; os++)
		ix->os_start[os + 1] += ix->os_start[os];
	fill = cv_xcalloc(ix->n_os ? ix->n_os : 1, sizeof(*fill));
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->tab[i]) {
			int32_t os = ix->tab[i]->os;

			ix->by_os[ix->os_start[os] + fill[os]++] = ix->tab[i];
		}
	free(fill);
}

int check_index_build(const struct catalog *cat, struct check_index **ret)
{
	struct check_index *ix = cv_xcalloc(1, sizeof(*ix));

	ix->cat = cat;
	ix->names = cv_xcalloc(1, sizeof(*ix->names));
	ix->names->refs = 1;
	cv_hmap_init(&ix->names->os_ids);
	cv_hmap_init(&ix->names->hv_ids);
	cv_hmap_init(&ix->names->components);
	cv_strv_init(&ix->names->hv_vendors);
	cv_hmap_init(&ix->names->products);
	for (size_t i = 0; i < cat->n_products; i++)
		if (cat->products[i]->id && !cv_hmap_get(&ix->names->products, cat->products[i]->id, NULL))
			cv_hmap_put(&ix->names->products, cat->products[i]->id, i); /* the first, as catalog_product_find() */
	ix->n_configs = cat->n_configs;
	for (size_t i = 0; i < cat->n_configs; i++) {
		const struct catalog_config *c = cat->configs[i];
		int32_t os = intern(&ix->names->os_ids, c->guest.os_id);
		struct ccfg cc;

		check_compile(ix, c, (uint32_t)i, &cc);
		for (size_t h = 0; h < c->hypervisor.ids.n; h++)
			bucket_push(get_bucket(ix, os, intern(&ix->names->hv_ids, c->hypervisor.ids.v[h])), &cc);
	}
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->tab[i])
			bucket_finish(ix->tab[i]);
	group_by_os(ix);
	ix->os_configs = cv_xcalloc(ix->names->os_ids.n + 1, sizeof(*ix->os_configs));
	ix->vendor_configs = cv_xcalloc(ix->names->hv_vendors.n + 1, sizeof(*ix->vendor_configs));
	for (size_t i = 0; i < cat->n_configs; i++) {
		const struct catalog_config *c = cat->configs[i];

		ix->os_configs[lookup(&ix->names->os_ids, c->guest.os_id)]++;
		if (c->hypervisor.vendor)
			ix->vendor_configs[vendor_of(ix->names, c)]++;
	}
	*ret = ix;
	return 0;
}

/* Whether every name c brings is interned already (an update interns nothing). */
static bool names_known(const struct check_names *n, const struct catalog_config *c)
{
	if (!cv_hmap_get(&n->os_ids, c->guest.os_id, NULL))
		return false;
	for (size_t i = 0; i < c->hypervisor.ids.n; i++)
		if (!cv_hmap_get(&n->hv_ids, c->hypervisor.ids.v[i], NULL))
			return false;
	for (size_t i = 0; i < c->required_components.n; i++)
		if (!cv_hmap_get(&n->components, c->required_components.v[i], NULL))
			return false;
	return !c->hypervisor.vendor || vendor_of(n, c) >= 0;
}

/* Counts a version of a configuration in or out of ix's per-name
 * counts; false if that leaves a name with none. */
static bool count_names(struct check_index *ix, const struct catalog_config *c, int delta)
{
	uint32_t *os = &ix->os_configs[lookup(&ix->names->os_ids, c->guest.os_id)];
	bool live = true;

	*os += (uint32_t)delta;
	live &= *os > 0;
	if (c->hypervisor.vendor) {
		uint32_t *v = &ix->vendor_configs[vendor_of(ix->names, c)];

		*v += (uint32_t)delta;
		live &= *v > 0;
	}
	return live;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct pair {
	int32_t os, hv;
};

static void pairs_add(struct pair **v, size_t *n, size_t *alloc, int32_t os, int32_t hv)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].os == os && (*v)[i].hv == hv)
			return;
	if (*n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		*v = cv_xreallocarray(*v, *alloc, sizeof(**v));
	}
	(*v)[(*n)++] = (struct pair){ os, hv };
}

/* The buckets a version of a configuration sits in, added to the set. */
static void pairs_of(const struct check_names *n, const struct catalog_config *c, struct pair **v, size_t *nv,
		     size_t *alloc)
{
	int32_t os = lookup(&n->os_ids, c->guest.os_id);

	for (size_t h = 0; h < c->hypervisor.ids.n; h++)
		pairs_add(v, nv, alloc, os, lookup(&n->hv_ids, c->hypervisor.ids.v[h]));
}

int check_index_update(const struct check_index *old, const struct catalog *cat, const struct check_change *changes,
		       size_t n_changes, struct check_index **ret, bool *ret_full)
{
	struct check_index *ix;
	struct pair *pairs = NULL;
	size_t n_pairs = 0, alloc_pairs = 0;
	uint32_t *changed;
	struct ccfg *compiled;

	for (size_t i = 0; i < n_changes; i++)
		if (changes[i].config >= cat->n_configs || !names_known(old->names, cat->configs[changes[i].config])) {
			*ret_full = true;
			return check_index_build(cat, ret);
		}
	ix = cv_xcalloc(1, sizeof(*ix));
	ix->cat = cat;
	ix->names = old->names;
	__atomic_add_fetch(&ix->names->refs, 1, __ATOMIC_RELAXED);
	ix->n_configs = cat->n_configs;
	ix->cap = old->cap;
	ix->n_buckets = old->n_buckets;
	ix->tab = cv_xcalloc(ix->cap ? ix->cap : 1, sizeof(*ix->tab));
	for (size_t i = 0; i < old->cap; i++)
		if ((ix->tab[i] = old->tab[i]))
			__atomic_add_fetch(&ix->tab[i]->refs, 1, __ATOMIC_RELAXED);
	ix->os_configs = cv_xcalloc(ix->names->os_ids.n + 1, sizeof(*ix->os_configs));
	memcpy(ix->os_configs, old->os_configs, ix->names->os_ids.n * sizeof(*ix->os_configs));
	ix->vendor_configs = cv_xcalloc(ix->names->hv_vendors.n + 1, sizeof(*ix->vendor_configs));
	memcpy(ix->vendor_configs, old->vendor_configs, ix->names->hv_vendors.n * sizeof(*ix->vendor_configs));
	{
		bool live = true;

		for (size_t i = 0; i < n_changes; i++)
			live &= count_names(ix, cat->configs[changes[i].config], 1);
		for (size_t i = 0; i < n_changes; i++)
			if (changes[i].old_version)
				live &= count_names(ix, changes[i].old_version, -1);
		if (!live) { /* the last of a guest OS or vendor went: forget it */
			check_index_free(ix);
			*ret_full = true;
			return check_index_build(cat, ret);
		}
	}

	/* What changed: the configurations (sorted, for the search below),
	 * their new compiled forms, and the buckets of either version. */
	changed = cv_xcalloc(n_changes ? n_changes : 1, sizeof(*changed));
	compiled = cv_xcalloc(n_changes ? n_changes : 1, sizeof(*compiled));
	for (size_t i = 0; i < n_changes; i++) {
		changed[i] = changes[i].config;
		/* Interns nothing: every name is known (names_known). */
		check_compile(ix, cat->configs[changes[i].config], changes[i].config, &compiled[i]);
		pairs_of(ix->names, cat->configs[changes[i].config], &pairs, &n_pairs, &alloc_pairs);
		if (changes[i].old_version)
			pairs_of(ix->names, changes[i].old_version, &pairs, &n_pairs, &alloc_pairs);
	}
	qsort(changed, n_changes, sizeof(*changed), cmp_u32);

	for (size_t p = 0; p < n_pairs; p++) {
		struct bucket *ob, *nb;
		size_t slot;

		/* Never negative: the old versions' names were interned
		 * when they were indexed, and names are only ever added. */
		if (pairs[p].os < 0 || pairs[p].hv < 0)
			continue;
		nb = bucket_new(pairs[p].os, pairs[p].hv);
		table_reserve(ix);
		slot = slot_of(ix->tab, ix->cap, pairs[p].os, pairs[p].hv);
		ob = ix->tab[slot];
		/* The old bucket less every changed configuration (its old
		 * version, or none), then the new versions that sit here. */
		for (size_t k = 0; ob && k < ob->n; k++)
			if (!bsearch(&ob->v[k].config, changed, n_changes, sizeof(*changed), cmp_u32))
				bucket_push(nb, &ob->v[k]);
		for (size_t i = 0; i < n_changes; i++) {
			const struct catalog_config *c = cat->configs[changes[i].config];

			if (lookup(&ix->names->os_ids, c->guest.os_id) != pairs[p].os)
				continue;
			/* Once per id naming this hypervisor, as a full build does. */
			for (size_t h = 0; h < c->hypervisor.ids.n; h++)
				if (lookup(&ix->names->hv_ids, c->hypervisor.ids.v[h]) == pairs[p].hv)
					bucket_push(nb, &compiled[i]);
		}
		bucket_finish(nb);
		if (ob)
			bucket_unref(ob);
		else
			ix->n_buckets++;
		ix->tab[slot] = nb;
	}
	group_by_os(ix);
	free(pairs);
	free(changed);
	free(compiled);
	*ret_full = false;
	*ret = ix;
	return 0;
}

struct check_index *check_index_free(struct check_index *ix)
{
	if (!ix)
		return NULL;
	for (size_t i = 0; i < ix->cap; i++)
		bucket_unref(ix->tab[i]);
	free(ix->tab);
	free(ix->by_os);
	free(ix->os_start);
	free(ix->os_configs);
	free(ix->vendor_configs);
	if (__atomic_sub_fetch(&ix->names->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		cv_hmap_release(&ix->names->os_ids);
		cv_hmap_release(&ix->names->hv_ids);
		cv_hmap_release(&ix->names->components);
		cv_strv_release(&ix->names->hv_vendors);
		cv_hmap_release(&ix->names->products);
		free(ix->names);
	}
	free(ix);
	return NULL;
}

const struct catalog_product *check_index_product(const struct check_index *ix, const char *id)
{
	const struct catalog *cat = ix->cat;
	uintptr_t i;

	if (!id)
		return NULL;
	/* Checked, not trusted: a catalog whose products moved under the
	 * index is still answered right, the slow way. */
	if (cv_hmap_get(&ix->names->products, id, &i) && i < cat->n_products && cat->products[i]->id &&
	    strcmp(cat->products[i]->id, id) == 0)
		return cat->products[i];
	return catalog_product_find(cat, id);
}

size_t check_index_size(const struct check_index *ix)
{
	return ix->n_configs;
}

/*
 * The catalog names Windows releases by product version ("2008 R2"); a
 * Windows guest may report the kernel's version instead (6.1.7601, as
 * RtlGetVersion and the registry's CurrentVersion give it).  The server
 * releases by NT version and, from 10.0 on, by build: Microsoft,
 * "Operating System Version" (learn.microsoft.com/windows/win32/sysinfo/
 * operating-system-version) and the Windows Server release information
 * page for the 10.0 builds.  Client releases share these numbers; the
 * catalog's Windows rows are all servers.
 */
static const struct {
	unsigned major, minor, build_min; /* build_min 0: any */
	unsigned year, r;                 /* 2008, 2 = "2008 R2" */
} windows_versions[] = {
	{ 5, 0, 0, 2000, 0 },	  { 5, 2, 0, 2003, 0 },	    { 6, 0, 0, 2008, 0 },     { 6, 1, 0, 2008, 2 },
	{ 6, 2, 0, 2012, 0 },	  { 6, 3, 0, 2012, 2 },	    { 10, 0, 26100, 2025, 0 }, { 10, 0, 20348, 2022, 0 },
	{ 10, 0, 17763, 2019, 0 }, { 10, 0, 14393, 2016, 0 },
};

static void windows_product_version(uint64_t *v)
{
	unsigned major = (unsigned)(*v >> 48), minor = (unsigned)(*v >> 32) & 0xffff;
	unsigned build = (unsigned)(*v >> 16) & 0xffff;

	if (major >= 100) /* already a product version */
		return;
	for (size_t i = 0; i < CV_ELEMENTSOF(windows_versions); i++)
		if (windows_versions[i].major == major && windows_versions[i].minor == minor &&
		    build >= windows_versions[i].build_min) {
			unsigned p[2] = { windows_versions[i].year, windows_versions[i].r };

			*v = ((uint64_t)p[0] << 48) | ((uint64_t)p[1] << 32);
			return;
		}
}

bool check_host_version_valid(const char *v)
{
	uint64_t x;

	return v && strlen(v) <= CHECK_HOST_VERSION_MAX && version_parse(v, &x) == 0;
}

int check_guest_version(const struct descriptor *d, uint64_t *ret)
{
	return check_guest_release(d->guest.os.id, d->guest.os.version, ret);
}

int check_guest_release(const char *os_id, const char *version, uint64_t *ret)
{
	bool windows = os_id && strcasecmp(os_id, "windows") == 0;
	const char *s = version, *sp;
	char buf[64];
	uint64_t v;

	/* "2008 SP2" is Windows Server 2008 with its second service pack, not
	 * a minor release as SUSE's "12 SP4" is: the catalog's Windows rows
	 * give the service pack apart (guest.service_pack). */
	if (windows && s && (sp = strcasestr(s, " SP")) && (size_t)(sp - s) < sizeof(buf)) {
		memcpy(buf, s, (size_t)(sp - s));
		buf[sp - s] = '\0';
		s = buf;
	}
	if (version_parse(s, &v) < 0)
		return -EINVAL;
	if (windows)
		windows_product_version(&v);
	*ret = v;
	return 0;
}

enum check_sp_state check_descriptor_service_pack(const struct descriptor *d, unsigned *ret_sp)
{
	const char *sp = d->guest.os.service_pack;

	*ret_sp = 0;
	if (!sp)
		/* null is "none" only from the probe that reads Windows: a
		 * hand-written descriptor or an older probe never says. */
		return cv_streq(d->guest.os.source, "windows/os.json") ? CHECK_SP_STATED : CHECK_SP_NOT_STATED;
	return catalog_service_pack_parse(sp, ret_sp, NULL) == 0 ? CHECK_SP_STATED : CHECK_SP_UNREADABLE;
}

void check_key_from_descriptor(const struct check_index *ix, const struct descriptor *d, struct check_key *k)
{
	unsigned sp;
	const char *hv = d->hypervisor.id;
	char os[64];
	uint64_t b;

	memset(k, 0, sizeof(*k));
	k->hv_unknown = !hv || strcmp(hv, "unknown") == 0;
	k->os_unknown = !d->guest.os.id;
	if (d->guest.os.id)
		lowercase(os, d->guest.os.id, sizeof(os));
	k->os = k->os_unknown ? -1 : lookup(&ix->names->os_ids, os);
	k->hv = k->hv_unknown ? -1 : lookup(&ix->names->hv_ids, hv);
	k->have_version = check_guest_version(d, &k->version) == 0;
	k->have_host_version = version_parse(d->hypervisor.version, &k->host_version) == 0;
	k->host_stated = cv_streq(d->hypervisor.version_source, "stated");
	/* A probed version names the product of the platform that reported
	 * it ("Red Hat Enterprise Virtualization" 6.5-...): it speaks for the
	 * configurations of that vendor only, never for another's product. */
	k->host_vendor = -1;
	if (k->have_host_version && !k->host_stated && d->hypervisor.product) {
		size_t best = 0;

		const struct cv_strv *vendors = &ix->names->hv_vendors;

		for (size_t i = 0; i < vendors->n; i++) {
			size_t n = strlen(vendors->v[i]);

			if (n > best && strncasecmp(d->hypervisor.product, vendors->v[i], n) == 0) {
				best = n;
				k->host_vendor = (int32_t)i;
			}
		}
	}
	if (d->hypervisor.build && cv_parse_u64(d->hypervisor.build, 10, &b) == 0 && b <= 0xffffffffu) {
		k->build = (uint32_t)b;
		k->have_build = true;
	}
	k->vcpus = d->vm.vcpus;
	k->memory_mib = d->vm.memory_mib ? (int64_t)d->vm.memory_mib : -1;
	k->arch = check_arch_bit(d->guest.arch);
	k->service_pack_stated = check_descriptor_service_pack(d, &sp) == CHECK_SP_STATED;
	k->service_pack = (uint8_t)sp;
	k->bios = cv_streq(d->vm.firmware, "bios");
	for (size_t i = 0; i < d->integration.present.n; i++) {
		int32_t bit = lookup(&ix->names->components, d->integration.present.v[i]);

		if (bit >= 0 && bit < CHECK_MAX_COMPONENTS)
			k->components |= 1ull << bit;
	}
}

/*
 * How far a configuration is from a key: 0 is a match.  The weights rank
 * nearest configurations the way a support engineer would: a different
 * hypervisor release or architecture matters more than a vCPU count.
 * Guest OS and hypervisor are equal within a bucket.
 */
enum {
	W_GUEST_VERSION = 40,
	W_ARCH = 30,
	W_HYPERVISOR_VERSION = 20,
	W_SERVICE_PACK = 12, /* the same release, a fix level away: nearer than another host */
	W_VCPUS = 8,
	W_MEMORY = 6,
	W_COMPONENT = 3,
};

static bool hv_ok(const struct ccfg *c, const struct check_key *k)
{
	switch (c->hv_mode) {
	case HV_ANY:
		return true;
	case HV_BUILDS:
		if (!k->have_build)
			return false;
		for (uint8_t i = 0; i < c->n_builds; i++)
			if (c->builds[i] == k->build)
				return true;
		return false;
	case HV_HOST:
		return k->have_host_version && k->host_version >= c->hlo && k->host_version <= c->hhi;
	case HV_PRODUCT:
		return check_host_version_applies(c, k) && k->host_version >= c->hlo && k->host_version <= c->hhi;
	default:
		return false;
	}
}

/*
 * A product version (Red Hat Enterprise Linux KVM 5.4) is not something a
 * guest sees in CPUID: it counts when a person stated it, or when the
 * firmware of that vendor's platform reported it.
 */
bool check_host_version_applies(const struct ccfg *c, const struct check_key *k)
{
	if (!k->have_host_version)
		return false;
	if (c->hv_mode != HV_PRODUCT || k->host_stated)
		return true;
	return k->host_vendor >= 0 && k->host_vendor == c->hv_vendor;
}

bool check_vcpus_ok(const struct ccfg *c, const struct check_key *k)
{
	if (c->vcpu_set)
		return k->vcpus >= 1 && k->vcpus <= 64 && (c->vcpu_set >> (k->vcpus - 1)) & 1;
	if (c->max_vcpus > 0) {
		int32_t max = k->bios && c->max_vcpus_gen1 > 0 ? c->max_vcpus_gen1 : c->max_vcpus;

		return k->vcpus >= 1 && k->vcpus <= max;
	}
	return true;
}

int check_score(const struct ccfg *c, const struct check_key *k, enum check_reason *ret_reason)
{
	enum check_reason reason = CHECK_REASON_NONE;
	int score = 0, best = 0;

#define MISS(w, r)                         \
	do {                               \
		score += (w);              \
		if ((w) > best) {          \
			best = (w);        \
			reason = (r);      \
		}                          \
	} while (0)

	if (!c->any_version && !(k->have_version && k->version >= c->lo && k->version <= c->hi)) {
		/* Nearer releases score lower: distance in minor releases, capped. */
		uint64_t dist = 20;

		if (k->have_version) {
			uint64_t a = k->version >> 32, lo = c->lo >> 32, hi = c->hi >> 32;
			uint64_t d = a < lo ? lo - a : a - hi;

			dist = d > 20 ? 20 : d;
			if ((k->version >> 48) != (c->lo >> 48))
				dist = 20;
		}
		MISS(W_GUEST_VERSION + (int)dist, CHECK_REASON_GUEST_VERSION);
	}
	if (!(c->arch & k->arch))
		MISS(W_ARCH, CHECK_REASON_ARCH);
	if (!hv_ok(c, k) && c->hv_mode == HV_PRODUCT && !check_host_version_applies(c, k)) {
		/* Perhaps the very host: nearest of all, but never a match. */
		MISS(W_HYPERVISOR_VERSION, CHECK_REASON_HOST_VERSION_UNKNOWN);
	} else if (!hv_ok(c, k)) {
		/* A host a release away is nearer than one five releases away. */
		int dist = 10;

		if (k->have_host_version && c->hv_mode != HV_ANY && c->hlo) {
			uint64_t a = k->host_version >> 32, lo = c->hlo >> 32;
			uint64_t d = a > lo ? a - lo : lo - a;

			d = (d >> 16) * 4 + (d & 0xffff);
			dist = d > 19 ? 19 : (int)d;
		}
		MISS(W_HYPERVISOR_VERSION + dist, CHECK_REASON_HYPERVISOR_VERSION);
	}
	/* A later service pack carries the validated one's fixes; an older
	 * one lacks some.  Unstated, it is matched as before the probe could
	 * tell (explained as such). */
	if (c->service_pack && k->service_pack_stated && k->service_pack < c->service_pack)
		MISS(W_SERVICE_PACK, CHECK_REASON_SERVICE_PACK);
	if (!check_vcpus_ok(c, k))
		MISS(W_VCPUS, CHECK_REASON_VCPUS);
	if (c->max_memory_mib > 0 && !(k->memory_mib >= 1 && k->memory_mib <= c->max_memory_mib))
		MISS(W_MEMORY, CHECK_REASON_MEMORY);
	if (c->components & ~k->components)
		MISS(W_COMPONENT * __builtin_popcountll(c->components & ~k->components), CHECK_REASON_COMPONENTS);
#undef MISS
	*ret_reason = reason;
	return score;
}

/* Better status first: validated, then the supported*, then the rest. */
static bool better_match(uint8_t status, int32_t current, const struct check_index *ix)
{
	return current < 0 || status < ix->cat->configs[current]->status;
}

const struct bucket *check_stab(const struct check_index *ix, const struct check_key *k, size_t *ret_end)
{
	const struct bucket *b = find_bucket(ix, k->os, k->hv);
	size_t lo = 0, hi;

	if (!b)
		return NULL;
	hi = b->n;
	while (k->have_version && lo < hi) { /* first index with v[i].lo > version */
		size_t mid = lo + (hi - lo) / 2;

		if (b->lo[mid] <= k->version)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_end = k->have_version ? lo : b->n;
	return b;
}

/* Folds one matching configuration into the verdict being built. */
static void take_match(const struct check_index *ix, const struct ccfg *c, struct check_fast *ret, bool *excluded,
		       bool *validated, bool *supportable)
{
	ret->n_matches++;
	if (c->status == CATALOG_NOT_SUPPORTED) {
		*excluded = true;
		ret->match = (int32_t)c->config;
		return;
	}
	if (!*excluded && better_match(c->status, ret->match, ix))
		ret->match = (int32_t)c->config;
	if (c->status == CATALOG_VALIDATED)
		*validated = true;
	else if (catalog_status_supportable(c->status))
		*supportable = true;
}

void check_match_fast(const struct check_index *ix, const struct check_key *k, struct check_fast *ret)
{
	const struct bucket *b;
	bool excluded = false, supportable = false, validated = false;
	int best_score = 0x7fffffff;
	size_t end;

	*ret = (struct check_fast){ CHECK_NOT_VALIDATED, CHECK_REASON_NONE, -1, -1, 0 };
	if (k->hv_unknown) {
		*ret = (struct check_fast){ CHECK_UNKNOWN, CHECK_REASON_UNKNOWN_HYPERVISOR, -1, -1, 0 };
		return;
	}
	if (k->os_unknown) {
		*ret = (struct check_fast){ CHECK_UNKNOWN, CHECK_REASON_UNKNOWN_GUEST, -1, -1, 0 };
		return;
	}
	/* A guest OS no configuration names (a Debian guest): said apart from
	 * a known guest on a hypervisor it lacks, whatever the hypervisor. */
	if (k->os == -2) {
		ret->reason = CHECK_REASON_GUEST_NOT_IN_CATALOG;
		return;
	}
	/* Matches first: only intervals that can hold the version. */
	b = check_stab(ix, k, &end);
	if (!b) {
		ret->reason = CHECK_REASON_NO_CONFIGURATION;
		return;
	}
	for (size_t i = end; i-- > 0 && check_stab_more(b, i, k);) {
		const struct ccfg *c = &b->v[i];
		enum check_reason reason;
		int score;

		if (!c->any_version && !(k->have_version && k->version <= c->hi))
			continue;
		score = check_score(c, k, &reason);
		if (score == 0)
			take_match(ix, c, ret, &excluded, &validated, &supportable);
		else if (score < best_score && catalog_status_supportable(c->status)) {
			/* Same version, something else differs: the nearest. */
			best_score = score;
			ret->nearest = (int32_t)c->config;
			ret->reason = reason;
		}
	}
	if (excluded) {
		ret->verdict = CHECK_NOT_SUPPORTED;
		ret->reason = CHECK_REASON_EXCLUDED;
		ret->nearest = -1;
		return;
	}
	if (validated || supportable) {
		ret->verdict = validated ? CHECK_VALIDATED : CHECK_SUPPORTED;
		ret->reason = CHECK_REASON_NONE;
		ret->nearest = -1;
		return;
	}

	/*
	 * Nothing supportable holds this version: the nearest are around
	 * where the version falls in the sorted bucket (the releases just
	 * below and above it).  check_explain() ranks everything for the
	 * full answer; the fleet path wants only the main reason.
	 */
	if (ret->nearest < 0) {
		size_t from = end > CHECK_NEAREST_WINDOW ? end - CHECK_NEAREST_WINDOW : 0;
		size_t to = end + CHECK_NEAREST_WINDOW < b->n ? end + CHECK_NEAREST_WINDOW : b->n;

		if (!k->have_version) {
			from = 0;
			to = b->n < 2 * CHECK_NEAREST_WINDOW ? b->n : 2 * CHECK_NEAREST_WINDOW;
		}
		for (size_t i = from; i < to; i++) {
			const struct ccfg *c = &b->v[i];
			enum check_reason reason;
			int score;

			if (!catalog_status_supportable(c->status))
				continue;
			score = check_score(c, k, &reason);
			if (score > 0 && score < best_score) {
				best_score = score;
				ret->nearest = (int32_t)c->config;
				ret->reason = reason;
			}
		}
	}
	if (ret->n_matches)
		ret->reason = CHECK_REASON_STATUS;
	else if (ret->nearest < 0)
		ret->reason = CHECK_REASON_NO_CONFIGURATION;
}
