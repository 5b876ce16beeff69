/*
 * covalid/catalog.h - products and validated configurations: the records,
 * their JSON form (one object per line, docs/catalog.md), import and
 * export through a store.
 *
 * A record keeps its whole JSON document (doc, a jansson json_t *) next to
 * the fields covalid computes with, so that exporting returns exactly what
 * was imported, facts covalid does not interpret included (sources,
 * conditions, inferred fields).  Parsing is strict: an unknown field, a
 * missing required one, a wrong type or a bad version statement is an
 * error that names the field.
 *
 * Records are immutable once parsed; the structs own everything they
 * point to.  Not thread-safe per object; distinct objects are independent.
 */
#ifndef COVALID_CATALOG_H
#define COVALID_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "covalid/util.h"
#include "covalid/version.h"

struct store;

/* A line of a catalog file: at most this many bytes. */
#define CATALOG_LINE_MAX (1024 * 1024)

/*
 * Statuses, from the seed's support statements.  Supportable ones make a
 * machine that matches them supported; "validated" alone is a validation
 * program's result and brings cooperative support.
 */
enum catalog_status {
	CATALOG_VALIDATED,
	CATALOG_SUPPORTED,
	CATALOG_SUPPORTED_HISTORICAL,
	CATALOG_SUPPORTED_PROFILE,
	CATALOG_SUPPORTED_LIMITED,
	CATALOG_SUPPORTED_PRODUCT_LEVEL,
	CATALOG_ANNOUNCED_NOT_CONFIRMED,
	CATALOG_NOT_SUPPORTED, /* an explicit exclusion: beats any range */
	CATALOG_REVOKED,       /* withdrawn by its validating vendor or the owner */
	CATALOG_STATUS__MAX,
};

const char *catalog_status_name(enum catalog_status s);
int catalog_status_parse(const char *s, enum catalog_status *ret) CV_WUR;
bool catalog_status_supportable(enum catalog_status s);

/*
 * A Windows service pack as the catalog and the probe write it: "SP1" to
 * "SP99", case aside, and in the catalog "SP2+" ("this service pack or
 * later", as SUSE's tables write it).  *ret_n is the number; *ret_plus
 * (may be NULL) whether it ended in '+'.  -EINVAL for anything else.
 */
#define CATALOG_SERVICE_PACK_MAX 99
int catalog_service_pack_parse(const char *s, unsigned *ret_n, bool *ret_plus) CV_WUR;

/*
 * A product's vendor life cycle (docs/catalog.md, "Life cycles"): each
 * milestone a date as written (YYYY, YYYY-MM or YYYY-MM-DD), NULL when it
 * does not apply to the vendor or is not known.  Which end is the end of
 * standard support differs by vendor; catalog_product.eol_date names it.
 */
struct catalog_lifecycle {
	char *start;            /* general availability, the start of support */
	char *mainstream_end;   /* Microsoft: Mainstream Support ends */
	char *extended_end;     /* Microsoft: Extended Support ends */
	char *esu_end;          /* Microsoft: paid Extended Security Updates end */
	char *full_support_end; /* Red Hat: Full Support ends */
	char *maintenance_end;  /* Red Hat: Maintenance Support (2) ends */
	char *els_end;          /* Red Hat: the paid Extended Life-cycle Support add-on ends */
	char *general_end;      /* SUSE: General Support ends */
	char *ltss_end;         /* SUSE: paid Long Term Service Pack Support ends */
	char *applies_to;       /* whose life cycle it is, when not the product's own ("Red Hat Enterprise Linux 5") */
};

struct catalog_product {
	char *id, *kind, *vendor, *product, *version, *osinfo;
	char *os_id;         /* guest_os: the os-release ID it is ("rhel"), or NULL */
	struct cv_strv ids;  /* hypervisor: systemd-detect-virt ids ("microsoft"), may be empty */
	char *release_date;
	char *eol_date; /* the vendor's end of standard support (Microsoft's extended_end, Red Hat's
			 * maintenance_end, SUSE's general_end); NULL if not known */
	struct catalog_lifecycle lifecycle;
	json_t *doc;
	int refs; /* owners besides the first (0: one), __atomic: catalogs share records */
};

struct catalog_config {
	char *id;
	enum catalog_status status;
	struct {
		char *vendor, *product, *os_id, *version, *osinfo;
		char *product_id; /* the product it is (docs/catalog.md, "Linking"), or NULL */
		char *service_pack; /* Windows: "SP2" or "SP2+" (this or later), or NULL */
		struct cv_strv arch;
		struct version_spec spec;
	} guest;
	struct {
		char *vendor, *product, *version, *host_version;
		char *product_id; /* the product it is, or NULL */
		struct cv_strv ids;    /* systemd-detect-virt ids: "microsoft" */
		struct cv_strv builds; /* host builds ("6001", "6002"), may be empty */
		struct version_spec spec;      /* of version: the product's */
		struct version_spec host_spec; /* of host_version: what the probe sees */
		bool have_host_spec;
	} hypervisor;
	struct {
		int max_vcpus;            /* -1: no limit stated */
		int max_vcpus_gen1;       /* Hyper-V generation 1 (BIOS) VMs; -1: same as max_vcpus */
		int *allowed_vcpus;       /* a set ("1, 2 or 4"), NULL if none */
		size_t n_allowed_vcpus;
		int64_t max_memory_mib;   /* -1: no limit stated */
	} limits;
	struct cv_strv required_components;
	struct cv_strv validated_by; /* vendor names */
	struct cv_strv evidence;     /* test-log ids */
	char *valid_from, *valid_until;
	json_t *doc;
	int refs; /* owners besides the first (0: one), __atomic: catalogs share records */
};

/*
 * A record may be shared by several catalogs (the server's snapshot of
 * generation G and of G+1 share every record no write replaced): _ref
 * adds an owner, _free drops one and frees the record with the last.
 * Safe across threads; the record itself stays immutable.
 */
struct catalog_product *catalog_product_ref(struct catalog_product *p);
struct catalog_config *catalog_config_ref(struct catalog_config *c);
/* Whether s may be a record's id: 1 to 128 letters, digits and ._:+- */
bool catalog_id_valid(const char *s);

struct catalog_product *catalog_product_free(struct catalog_product *p);
struct catalog_config *catalog_config_free(struct catalog_config *c);

/*
 * Parse one record from a json_t *.  On error *ret_why names the field
 * ("guest.version: expected N, N.M, ..."); the caller frees it.
 * The record takes its own reference to json.
 */
int catalog_product_from_json(json_t *json, struct catalog_product **ret, char **ret_why) CV_WUR;
int catalog_config_from_json(json_t *json, struct catalog_config **ret, char **ret_why) CV_WUR;
/* Parse from text (a stored document). */
int catalog_config_from_text(const char *text, struct catalog_config **ret, char **ret_why) CV_WUR;
int catalog_product_from_text(const char *text, struct catalog_product **ret, char **ret_why) CV_WUR;

/* Writes one record (insert or replace by id); call inside a transaction
 * when it must go with others. */
int catalog_product_store(struct store *s, const struct catalog_product *p, bool *ret_replaced) CV_WUR;
int catalog_config_store(struct store *s, const struct catalog_config *c, bool *ret_replaced) CV_WUR;

/* All configurations (and products) of a store, in memory. */
struct catalog {
	struct catalog_config **configs;
	size_t n_configs;
	struct catalog_product **products;
	size_t n_products;
};

enum catalog_load_flags {
	/* Drop each record's JSON document once parsed: for matching, which
	 * needs only the computed fields (a large catalog's documents are
	 * most of its memory). */
	CATALOG_LOAD_NO_DOCS = 1 << 0,
};

int catalog_load(struct store *s, unsigned flags, struct catalog **ret, char **ret_why) CV_WUR;
struct catalog *catalog_free(struct catalog *c);

/* The product of that id (a configuration's guest.product_id or
 * hypervisor.product_id), or NULL; id may be NULL. */
const struct catalog_product *catalog_product_find(const struct catalog *cat, const char *id);

/*
 * Who makes a guest OS or a hypervisor, by the catalog's products (vendor.c).
 * The guest: the vendor of the guest_os product with that osinfo short id,
 * else of the first (by id) with that os-release ID.  The hypervisor: of the
 * hypervisor products whose ids hold id, their one vendor, or, if several,
 * the one product (the probe's product name) names.  On success *ret_vendor
 * is the caller's to free; -ENOENT when the products do not say.
 */
int catalog_guest_vendor(struct store *s, const char *os_id, const char *osinfo, char **ret_vendor) CV_WUR;
int catalog_hypervisor_vendor(struct store *s, const char *id, const char *product, char **ret_vendor) CV_WUR;

/* ---- import and export ---- */

struct catalog_import_stats {
	size_t products_added, products_replaced, products_kept;
	size_t configs_added, configs_replaced, configs_kept;
	size_t configs_decided; /* kept: the program decided them since (store_config_decided) */
	size_t lines;
};

/*
 * What an import does with a record whose id the store has already.
 * Whatever the mode, a configuration the program has decided since it
 * was put (revoked, or with submitted evidence: store_config_decided) is
 * kept as it is: a catalog file never undoes the program's decisions.
 */
enum catalog_import_mode {
	CATALOG_IMPORT_UPDATE, /* the file's record replaces the stored one */
	CATALOG_IMPORT_MERGE,  /* new ids only: every existing row is kept */
};

/*
 * Imports a catalog file (JSON Lines) all or nothing, streaming: each line
 * is parsed, checked (a duplicate id within the file is an error) and
 * written as it is read, all in one transaction, rolled back at the first
 * bad line; memory does not grow with the file, but for the set of ids
 * seen.  On error nothing is written and *ret_error holds "LINE: why" (the
 * caller prefixes the file name).  Records whose id exists already are
 * treated as mode says; catalog_import() is CATALOG_IMPORT_UPDATE.  The
 * catalog generation is bumped once, if anything was written.  f is read
 * on a thread of the importer's own until the call returns (parsing runs
 * beside the writes); s is used from the caller's thread only.
 */
int catalog_import_with(struct store *s, FILE *f, enum catalog_import_mode mode, struct catalog_import_stats *ret_stats,
			char **ret_error) CV_WUR;
int catalog_import(struct store *s, FILE *f, struct catalog_import_stats *ret_stats, char **ret_error) CV_WUR;

/* Writes every product, then every configuration, one compact JSON object a line, by id. */
int catalog_export(struct store *s, FILE *out) CV_WUR;

/* The compact JSON of a record's document (one line). */
char *catalog_doc_dump(const json_t *doc);

/*
 * Enriches the catalog with libosinfo's database (osinfo-db's
 * /usr/share/osinfo or dir): products whose osinfo short-id it knows get
 * its id, names and dates where they have none (osinfo-db's dates are not
 * always the vendor's: existing values win); guest OSes that
 * configurations name by short-id and that have no product yet are added.
 * With all, every OS osinfo-db knows becomes a product.  One transaction.
 */
struct catalog_osinfo_stats {
	size_t oses_read, products_enriched, products_added;
};
int catalog_import_osinfo(struct store *s, const char *dir, bool all, struct catalog_osinfo_stats *ret_stats,
			  char **ret_error) CV_WUR;

/*
 * One osinfo-db file's <os> elements, as read: the untranslated fields,
 * NUL-terminated, valid while cb runs; short_id is never NULL when cb is
 * called, any other field may be.
 */
struct catalog_osinfo_os {
	char *id, *short_id, *name, *version, *vendor, *release_date, *eol_date;
};

/*
 * Parses one osinfo-db XML document held in memory (at most 4 MiB; name
 * is the file it came from, for messages) and calls cb for each <os> with
 * a short-id, counting them in *count, until cb returns non-zero (that
 * value is returned).  -EBADMSG with *ret_error "NAME:LINE: ..." if it is
 * not well-formed XML.  catalog_import_osinfo() reads every file through
 * this; the fuzz target feeds it directly.
 */
int catalog_osinfo_parse(const char *text, size_t len, const char *name,
			 int (*cb)(void *ud, const struct catalog_osinfo_os *o), void *ud, size_t *count,
			 char **ret_error) CV_WUR;

#endif
