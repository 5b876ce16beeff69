/*
 * check-internal.h - the compiled form of configurations that check.c
 * (matching) and explain.c (differences, nearest) share.
 */
#ifndef COVALID_CHECK_INTERNAL_H
#define COVALID_CHECK_INTERNAL_H

#include "covalid/catalog.h"
#include "covalid/check.h"

#define CHECK_MAX_BUILDS 8
#define CHECK_MAX_COMPONENTS 64
/* Configurations each side of a machine's version the fleet path ranks. */
#define CHECK_NEAREST_WINDOW 4

enum hv_mode {
	HV_ANY,     /* "unspecified": every version */
	HV_BUILDS,  /* host builds listed (Hyper-V) */
	HV_HOST,    /* a host version statement */
	HV_PRODUCT, /* only the product's version: stated, or read from that vendor's firmware */
};

/* One configuration, compiled; a configuration with several hypervisor
 * ids sits in several buckets. */
struct ccfg {
	uint64_t lo, hi;           /* guest version interval */
	uint64_t hlo, hhi;         /* host version interval (HV_HOST; HV_PRODUCT: the product's) */
	uint64_t vcpu_set;         /* bit n-1 for each allowed count <= 64; 0 none */
	uint64_t components;       /* required, as bits */
	int64_t max_memory_mib;    /* -1 none */
	uint32_t builds[CHECK_MAX_BUILDS];
	int32_t max_vcpus;         /* -1 none */
	int32_t max_vcpus_gen1;    /* on BIOS (generation 1) VMs; -1 as max_vcpus */
	int32_t hv_vendor;         /* interned hypervisor vendor, -1 */
	uint32_t config;           /* index into the catalog */
	uint8_t n_builds;
	uint8_t arch;              /* bits */
	uint8_t hv_mode;
	uint8_t status;
	uint8_t service_pack;      /* the lowest validated, 0 none named */
	bool any_version;
	bool multi;                /* several hypervisor ids: in several buckets of its OS */
};

/*
 * A bucket's configurations sorted by lo; prefmax[i] is the largest hi
 * among v[0..i], so a scan backwards from the last lo <= version can stop
 * as soon as no earlier interval can reach the version (interval
 * stabbing without a tree).
 *
 * Buckets are immutable once built and shared, reference-counted, by the
 * indexes that hold them: check_index_update() copies the table of
 * pointers and rebuilds only the buckets a change touches (copy on
 * write), so an index and its successor share every other bucket.
 */
struct bucket {
	int refs;          /* indexes holding it (__atomic) */
	int32_t os, hv;
	struct ccfg *v;
	uint64_t *lo;      /* v[i].lo, contiguous for the binary search */
	uint64_t *prefmax;
	size_t n, alloc;
};

/* The names an index interned, shared by an index and its incremental
 * successors (which intern nothing: a change bringing a new name makes
 * a full build).  Read-only once shared. */
struct check_names {
	int refs; /* __atomic */
	struct cv_hmap os_ids, hv_ids, components; /* name -> index */
	struct cv_strv hv_vendors; /* hypervisor vendors, lowercase */
	/* Product id -> its index in the catalog's products, for the life
	 * cycles of every answer (check_index_product()): a product's change
	 * makes a full build, so an incremental successor's catalog holds
	 * the same products in the same order. */
	struct cv_hmap products;
};

struct check_index {
	const struct catalog *cat;
	struct check_names *names;
	struct bucket **tab;     /* open addressing on (os, hv); NULL: empty slot */
	size_t n_buckets, cap;
	/* Every bucket grouped by guest OS: by_os[os_start[os]] up to
	 * by_os[os_start[os + 1]] (explain's candidates). */
	struct bucket **by_os;
	size_t *os_start;
	size_t n_os;
	size_t n_configs;        /* the catalog's configurations, compiled */
	/* Configurations per interned guest OS and hypervisor vendor: a name
	 * none is left with must be forgotten, as a full build would not know
	 * it (a guest OS the catalog lacks is answered apart), so an update
	 * that empties one makes a full build. */
	uint32_t *os_configs, *vendor_configs;
};

/*
 * The rows of the bucket of k's guest OS and hypervisor that can hold k's
 * guest version (NULL: no bucket): v[i] for i from the returned end down,
 * while check_stab_more() says so; a row among them may still have an
 * interval that ends below the version.  Every row that can match k is
 * among them (interval stabbing, the bucket's comment).
 */
const struct bucket *check_stab(const struct check_index *ix, const struct check_key *k, size_t *ret_end);
static inline bool check_stab_more(const struct bucket *b, size_t i, const struct check_key *k)
{
	return !(k->have_version && b->prefmax[i] < k->version);
}

uint8_t check_arch_bit(const char *arch);
/* catalog_product_find() in ix's catalog, through its map; NULL for none. */
const struct catalog_product *check_index_product(const struct check_index *ix, const char *id);
/* check_lifecycle() with the configuration's products found already (NULL: none). */
void check_lifecycle_of(const struct catalog_config *c, const struct catalog_product *g,
			const struct catalog_product *h, const char *today, struct check_lifecycle *ret);
/* Compiles one configuration; ix (may be NULL: names are then not
 * interned, as for explaining one configuration) interns names. */
void check_compile(struct check_index *ix, const struct catalog_config *c, uint32_t index, struct ccfg *out);
/* The guest's version as the catalog writes it (Windows: 6.1 -> 2008 R2). */
int check_guest_version(const struct descriptor *d, uint64_t *ret);
/* Whether a key's host version speaks for a configuration's product. */
bool check_host_version_applies(const struct ccfg *c, const struct check_key *k);
/*
 * What a descriptor says of its Windows service pack (docs/check.md):
 * stated ("SP2" -> 2; none -> 0, which only the Windows probe says: it
 * writes "windows/os.json" as guest.os.source and null for none), not
 * stated (a hand-written descriptor, an older probe), or unreadable.
 */
enum check_sp_state { CHECK_SP_NOT_STATED, CHECK_SP_STATED, CHECK_SP_UNREADABLE };
enum check_sp_state check_descriptor_service_pack(const struct descriptor *d, unsigned *ret_sp);
bool check_vcpus_ok(const struct ccfg *c, const struct check_key *k);
/* Score and main difference of one compiled configuration for a key. */
int check_score(const struct ccfg *c, const struct check_key *k, enum check_reason *ret_reason);

struct json_write;
/* check_lifecycle_to_json()'s bytes, written (util/json-write.h). */
void check_lifecycle_write(struct json_write *w, const struct check_lifecycle *l);
/* check_product_version(), appended to b (lifecycle.c): for the texts of an
 * uncached /check, built without printf. */
struct cv_buf;
void check_product_version_put(struct cv_buf *b, const char *product, const char *version);

#endif
