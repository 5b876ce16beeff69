/*
 * covalid/check.h - is a machine in a validated configuration?
 *
 * check_index_build() compiles a catalog into an in-memory index: guest
 * OS x hypervisor buckets of configurations whose version statements,
 * architectures, host builds, vCPU sets, memory limits and required
 * components are precompiled into integers and bitmasks.  Matching a
 * descriptor is then a bucket lookup and a scan of integer comparisons,
 * with no allocation and no database access (the fleet path).
 *
 * check_explain() gives the full answer for one machine: every matching
 * configuration with who validated it and who supports it, or the nearest
 * configurations ranked, each with every difference in plain words.  It
 * ranks the configurations of the machine's guest OS (the index keeps its
 * buckets by guest OS), not the whole catalog.
 *
 * check_index_update() makes the index of a catalog that changed in a few
 * configurations from the previous one: buckets are immutable and shared
 * between the two (copy on write), only those a change touches are rebuilt.
 *
 * Verdicts (docs/check.md):
 *   validated      a "validated" configuration matches: cooperative support
 *   supported      only supported* statements match (a vendor's own statement)
 *   not-supported  an explicit exclusion matches (it beats any range)
 *   not-validated  nothing supportable matches
 *   unknown        the descriptor does not say which hypervisor or guest OS
 *
 * The index is read-only after building and may be shared by threads;
 * indexes sharing buckets are freed independently, in any order.
 */
#ifndef COVALID_CHECK_H
#define COVALID_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

struct catalog;
struct catalog_config;
struct descriptor;
struct check_index;

enum check_verdict {
	CHECK_VALIDATED,
	CHECK_SUPPORTED,
	CHECK_NOT_SUPPORTED,
	CHECK_NOT_VALIDATED,
	CHECK_UNKNOWN,
	CHECK_VERDICT__MAX,
};

/* Why a machine is not validated: the nearest configuration's main difference. */
enum check_reason {
	CHECK_REASON_NONE,
	CHECK_REASON_UNKNOWN_HYPERVISOR,
	CHECK_REASON_UNKNOWN_GUEST,
	CHECK_REASON_NO_CONFIGURATION, /* nothing for this guest OS on this hypervisor */
	CHECK_REASON_GUEST_VERSION,
	CHECK_REASON_ARCH,
	CHECK_REASON_HYPERVISOR_VERSION,
	CHECK_REASON_VCPUS,
	CHECK_REASON_MEMORY,
	CHECK_REASON_COMPONENTS,
	CHECK_REASON_EXCLUDED,         /* an explicit not_supported statement */
	CHECK_REASON_STATUS,           /* matches only revoked or unconfirmed statements */
	CHECK_REASON_HOST_VERSION_UNKNOWN, /* a product-version row needs the host's version stated */
	CHECK_REASON_SERVICE_PACK,     /* a Windows guest below the validated service pack */
	CHECK_REASON_GUEST_NOT_IN_CATALOG, /* no configuration at all for this guest OS (a Debian guest) */
	CHECK_REASON__MAX,
};

const char *check_verdict_name(enum check_verdict v);
const char *check_reason_name(enum check_reason r);   /* "vcpus", "guest-version", ... */
const char *check_reason_phrase(enum check_reason r); /* "too many vCPUs", ... */

int check_index_build(const struct catalog *cat, struct check_index **ret) CV_WUR;
struct check_index *check_index_free(struct check_index *ix);

/*
 * A catalog changed in a few configurations: cat is the new catalog, in
 * which configuration i is either old's (same record at the same index),
 * replaced (a change's config, at its old index) or new (appended).  Each
 * change names the index in cat and the version old's catalog had (NULL
 * for a new one).  The new index shares with old every bucket no change
 * touches and rebuilds the others (the buckets of both versions); old
 * stays valid and unchanged, and the two are freed independently (old
 * must outlive nothing: the new one holds its own references).
 *
 * A change bringing a name old never interned (a guest OS id, a
 * hypervisor id, a component, a hypervisor vendor) makes a full build of
 * cat instead (*ret_full true).  The answers are check_index_build(cat)'s
 * either way.  Not safe against a concurrent update of the same old; safe
 * against concurrent readers of old.
 */
struct check_change {
	uint32_t config;                         /* index in the new catalog */
	const struct catalog_config *old_version; /* NULL: a new configuration */
};
int check_index_update(const struct check_index *old, const struct catalog *cat, const struct check_change *changes,
		       size_t n_changes, struct check_index **ret, bool *ret_full) CV_WUR;
size_t check_index_size(const struct check_index *ix);

/*
 * A descriptor reduced to what matching needs: interned ids, packed
 * versions, an architecture bit, a component bitmask.  Filling one costs
 * a few hash lookups; matching one costs no allocation.
 */
struct check_key {
	int32_t os, hv;            /* interned ids, -1 unknown, -2 not in the catalog */
	uint64_t version;          /* guest OS version, packed */
	uint64_t host_version;     /* hypervisor version as probed or stated, packed */
	int32_t host_vendor;       /* interned vendor whose product reported the version, -1 */
	uint32_t build;            /* Hyper-V host build */
	int32_t vcpus;             /* -1 unknown */
	int64_t memory_mib;        /* -1 unknown */
	uint64_t components;       /* present components known to the catalog */
	uint8_t arch;              /* bit of the architecture, 0 unknown */
	uint8_t service_pack;      /* Windows service pack, 0 none; valid when service_pack_stated */
	bool bios;                 /* BIOS firmware: a generation 1 VM on Hyper-V */
	bool have_version, have_host_version, have_build;
	bool host_stated;          /* a person stated the host version: it names any product */
	bool service_pack_stated;  /* the descriptor says which service pack (or none) */
	bool hv_unknown, os_unknown;
};

/*
 * A guest's version as the catalog writes releases, packed (covalid/
 * version.h): for Windows, the kernel's version read as the product's
 * (6.1.7601 -> 2008 R2) and a service pack set aside ("2008 SP2" is
 * 2008); others as written.  -EINVAL if it is not a version.
 */
int check_guest_release(const char *os_id, const char *version, uint64_t *ret) CV_WUR;

/*
 * Whether v may be stated as a host's version (check --host-version, the
 * "host_version" of /check and of case opening): a version as the
 * catalog writes them ("5.4"), at most CHECK_HOST_VERSION_MAX bytes.
 */
#define CHECK_HOST_VERSION_MAX 64
bool check_host_version_valid(const char *v);

void check_key_from_descriptor(const struct check_index *ix, const struct descriptor *d, struct check_key *ret);

struct check_fast {
	enum check_verdict verdict;
	enum check_reason reason;
	int32_t match;   /* index into the catalog's configs of the best match, -1 */
	int32_t nearest; /* of the nearest when not matched, -1 */
	uint32_t n_matches;
};

/* The fleet path: verdict, reason, best match or nearest, in the key's bucket. */
void check_match_fast(const struct check_index *ix, const struct check_key *key, struct check_fast *ret);

/* ---- the full answer for one machine ---- */

/*
 * Whether a configuration is still current (src/check/lifecycle.c): its
 * validity dates and its products' end of standard support, from the
 * catalog's products (docs/catalog.md, "Life cycles").  The strings
 * belong to the catalog, except note, which the holder frees.
 */
struct check_lifecycle {
	const char *valid_from, *valid_until; /* the configuration's */
	const char *guest_end, *host_end;     /* its products' end of support, NULL unknown */
	bool current;                         /* no date of these has passed */
	char *note;                           /* "validated in 2009; Windows Server 2003 support
					       * ended 2015-07-14", NULL when current */
};

/* today is "YYYY-MM-DD" (check_today()). */
void check_lifecycle(const struct catalog *cat, const struct catalog_config *c, const char *today,
		     struct check_lifecycle *ret);
void check_today(char ret[static 11]);
/* JSON (a json_t *) of one: {current, valid_from, valid_until,
 * guest_end_of_support, host_end_of_support, note}. */
json_t *check_lifecycle_to_json(const struct check_lifecycle *l);

struct check_candidate {
	const struct catalog_config *config;
	int score;                 /* 0 for a match; higher is farther */
	enum check_reason reason;  /* main difference */
	struct cv_strv differences;
	struct check_lifecycle lifecycle;
};

struct check_result {
	enum check_verdict verdict;
	enum check_reason reason;
	char *summary; /* one sentence */
	struct check_candidate *matches;
	size_t n_matches;
	struct check_candidate *nearest;
	size_t n_nearest;
	struct cv_strv support_vendors; /* who supports it; cooperative if validated */
	bool cooperative;
};

int check_explain(const struct check_index *ix, const struct descriptor *d, size_t max_nearest,
		  struct check_result **ret) CV_WUR;
struct check_result *check_result_free(struct check_result *r);

/* The differences between one configuration and a machine, in plain words. */
void check_differences(const struct catalog_config *c, const struct descriptor *d, struct cv_strv *out);

/* "Windows Server 2008" + "2008" -> "Windows Server 2008"; else both. */
char *check_product_version(const char *product, const char *version);

/* JSON (a json_t *) of a result: schema covalid.check/1, docs/check.md. */
json_t *check_result_to_json(const struct check_result *r, const struct descriptor *d);
/* JSON (a json_t *) of one match, or with_score one of the nearest, as in a
 * result's "matches" and "nearest". */
json_t *check_candidate_to_json(const struct check_candidate *c, bool with_score);
/*
 * The same answer as text, without a tree: appends to out exactly the bytes
 * json_dumps(check_result_to_json(r, d), JSON_COMPACT | JSON_PRESERVE_ORDER)
 * makes (the server's reply_json()).  0, or a negative errno where that
 * fails and leaves no answer: -EILSEQ when the summary, which the tree
 * holds in its first json_pack(), is not UTF-8; -E2BIG at out's max.  On
 * an error out is as it was.  A string that is not UTF-8 elsewhere is
 * left out as the tree leaves it out (explain.c says where).
 */
int check_result_write(struct cv_buf *out, const struct check_result *r, const struct descriptor *d) CV_WUR;

/* ---- fleets (src/check/fleet.c) ---- */

/*
 * A fleet is many descriptors checked against one index: a JSONL file
 * (one descriptor a line), a directory of *.json files, or stdin
 * (docs/check.md, "Fleets").  The fleet counts verdicts, reasons and bad
 * input, and times its phases; it prints nothing: what a caller wants to
 * know of each machine or each bad input it is handed through ops.
 *
 * Two ways to run one.  With CHECK_FLEET_RECORDS each descriptor is
 * matched as it is read and its record handed to ops->record (a line per
 * machine).  Without, each is reduced to a key and kept, and
 * check_fleet_finish() matches them all at once, so the match phase is
 * timed apart from parsing (what --stats and bench/fleet.sh measure).
 *
 * A fleet belongs to one thread; the index it reads may be shared.
 */
enum check_fleet_flags {
	CHECK_FLEET_RECORDS = 1 << 0,
};

/* One machine of a fleet, valid during the ops->record call. */
struct check_fleet_record {
	const char *source;            /* "FILE:LINE", "-:LINE" or a directory's "DIR/NAME.json" */
	const struct descriptor *descriptor;
	const struct check_fast *fast;
};

struct check_fleet_ops {
	void (*record)(void *userdata, const struct check_fleet_record *r);
	/* Input that was not checked: source as in a record, why in words. */
	void (*bad)(void *userdata, const char *source, const char *why);
	/* After each input read: descriptors so far (checked and bad), and
	 * done of total: bytes of a JSONL file and its size, files of a
	 * directory and their number; total 0 when unknown (stdin, a pipe). */
	void (*progress)(void *userdata, size_t descriptors, uint64_t done, uint64_t total);
	void *userdata;
};

struct check_fleet {
	const struct check_index *ix;
	enum check_fleet_flags flags;
	struct check_fleet_ops ops;
	size_t machines, bad;  /* checked; not checked (bad input) */
	size_t verdicts[CHECK_VERDICT__MAX];
	size_t reasons[CHECK_VERDICT__MAX][CHECK_REASON__MAX];
	/* Nanoseconds.  started_ns is check_fleet_init()'s clock, index_ns 0:
	 * a caller that builds the index for the fleet sets both, so the
	 * stats count the index and the total from the start. */
	uint64_t started_ns, index_ns, parse_ns, match_ns;
	struct check_key *keys; /* kept without CHECK_FLEET_RECORDS */
	size_t n_keys, alloc_keys;
};

/* ops may be NULL. */
void check_fleet_init(struct check_fleet *f, const struct check_index *ix, enum check_fleet_flags flags,
		      const struct check_fleet_ops *ops);
void check_fleet_release(struct check_fleet *f);

/*
 * Reads path: "-" is stdin, read as JSONL; a directory, its *.json files
 * (not dot files) in name order; anything else a JSONL file.  Blank lines
 * are skipped; a line or file over DESCRIPTOR_MAX_BYTES, or one that is not
 * a descriptor, is bad input, counted and handed to ops->bad.  Returns 0,
 * or a negative errno if path itself cannot be read.
 */
int check_fleet_read(struct check_fleet *f, const char *path) CV_WUR;
/* One descriptor's JSON text, from source; bad input as above. */
void check_fleet_add(struct check_fleet *f, const char *source, const char *text, size_t len);
/* Matches the keys kept without CHECK_FLEET_RECORDS; else nothing to do. */
void check_fleet_finish(struct check_fleet *f);

/* JSON (a json_t *) of a record: {source, machine, verdict, reason, match,
 * nearest: {id, differences}}, the line `covalid check --fleet --json`
 * writes; machine is check_fleet_machine_name()'s. */
json_t *check_fleet_record_to_json(const struct check_fleet *f, const struct check_fleet_record *r);

/*
 * What a person would call the machine: its guest OS and hypervisor as the
 * descriptor names them ("Debian GNU/Linux 12 (bookworm) on QEMU/KVM"), a
 * descriptor holding no host name.  The caller frees it.
 */
char *check_fleet_machine_name(const struct descriptor *d);

struct check_fleet_stats {
	size_t configurations, machines;
	double index_s, parse_s, match_s, total_s; /* total: started_ns to now */
	long peak_rss_mib;                         /* the process's */
};

void check_fleet_stats(const struct check_fleet *f, struct check_fleet_stats *ret);

#endif
