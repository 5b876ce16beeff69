/*
 * covalid/descriptor.h - what one machine is: the object every part of
 * covalid passes around (probe writes it; check, kit logs, cases and the
 * monitor read it).
 *
 * The JSON form is versioned ("schema": "covalid.descriptor/1") and
 * documented in docs/descriptor.md.  Parsing is strict about types and
 * limits but tolerant of unknown fields, so that an older covalid can
 * still check a descriptor written by a newer probe.
 *
 * Ownership: a struct descriptor owns every string and array it points to;
 * descriptor_free() releases all of it.  Strings that were not found are
 * NULL (printed as "unknown" by the CLI); counts that were not found are
 * -1 (vcpus) or 0 (memory).  Not thread-safe; distinct descriptors may be
 * used from distinct threads.
 */
#ifndef COVALID_DESCRIPTOR_H
#define COVALID_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

#define DESCRIPTOR_SCHEMA "covalid.descriptor/1"

/* Hard limits on what a descriptor from outside may hold. */
#define DESCRIPTOR_MAX_BYTES (1024 * 1024)
#define DESCRIPTOR_MAX_ITEMS 4096

/*
 * One source read and what it suggests.  suggests is a hypervisor or
 * container id, "none" (the source points to bare metal), "vm" (some
 * hypervisor, unnamed) or NULL (recorded for information only).
 */
struct evidence {
	char *source;   /* "cpuid:0x40000000", "/sys/class/dmi/id/sys_vendor" */
	char *value;    /* what was read, trimmed and sanitized */
	char *meaning;  /* one phrase: "hypervisor signature 'Microsoft Hv'" */
	char *suggests; /* see above */
};

/* Two or more sources disagreeing, and how the verdict settled it. */
struct conflict {
	struct cv_strv sources;  /* evidence sources involved */
	struct cv_strv suggests; /* what each suggested, parallel to sources */
	char *followed;          /* the source the verdict followed */
	char *why;               /* the rule, in a sentence */
};

struct evidence_list {
	struct evidence *v;
	size_t n, alloc;
};

struct conflict_list {
	struct conflict *v;
	size_t n, alloc;
};

struct device {
	char *name;   /* "sda", "eth0" */
	char *driver; /* "storvsc", "hv_netvsc"; NULL if unbound */
	char *bus;    /* "vmbus", "pci", "virtio", "scsi", "xen" */
	char *model;  /* vendor:device or similar, may be NULL */
};

struct device_list {
	struct device *v;
	size_t n, alloc;
};

struct descriptor {
	struct {
		char *id; /* systemd-detect-virt vocabulary, "none", or "unknown" */
		char *product;
		char *version;
		/* Where version came from: "cpuid", "smbios", "sysfs" (Xen),
		 * or "stated" (the user said so: check --host-version, the
		 * host_version field of /check and case opening); NULL unknown. */
		char *version_source;
		char *build;
		char *cloud;    /* "azure", "aws", "gce", ... */
		bool nested;    /* this guest itself hosts guests, or sits in a nested stack */
		struct evidence_list evidence;
		struct conflict_list conflicts;
		/* Hyper-V features decoded from CPUID, for the human report. */
		struct cv_strv features;
	} hypervisor;
	struct {
		char *id; /* systemd's container vocabulary, "none" */
		struct evidence_list evidence;
	} container;
	struct {
		struct {
			char *id;       /* os-release ID: "rhel", "debian" */
			char *version;  /* "5.3", "12" */
			char *name;     /* "Red Hat Enterprise Linux Server" */
			char *pretty;   /* PRETTY_NAME or the legacy release line */
			char *osinfo;   /* libosinfo short-id: "rhel5.3" */
			char *source;   /* the file the OS was read from */
			char *service_pack; /* Windows: "SP2"; NULL when none or not Windows */
			char *edition;  /* Windows: "Enterprise", "Standard", "Datacenter", "Web" */
		} os;
		char *kernel;
		char *arch; /* "x86_64", "i686", "aarch64" */
	} guest;
	struct {
		int vcpus;          /* online, -1 unknown */
		int vcpus_possible; /* -1 unknown */
		uint64_t memory_mib; /* MemTotal floor, 0 unknown */
		char *firmware;     /* "uefi", "bios", NULL */
		struct device_list disks;
		struct device_list nics;
	} vm;
	/*
	 * Integration components, by canonical name (docs/probe.md).
	 * missing = expected minus present; recommended_missing =
	 * recommended minus present.  A driver is present only when bound to
	 * a device where the system shows binding; one registered on its bus
	 * but bound to nothing is in unbound (and not in present).
	 */
	struct {
		struct cv_strv expected;    /* what this hypervisor version and guest kernel should have */
		struct cv_strv present;
		struct cv_strv missing;
		struct cv_strv recommended; /* user-space agents worth having; never required */
		struct cv_strv recommended_missing;
		struct cv_strv unbound;     /* drivers loaded or registered, bound to no device */
		struct evidence_list evidence; /* where each present or unbound one was found */
	} integration;
	/* Problems met while probing (unreadable or malformed sources). */
	struct cv_strv notes;
	char *probed_at;  /* ISO 8601, NULL when replaying a fixture */
	char *probe_root; /* the --root it was read from, NULL for live */
};

struct descriptor *descriptor_new(void);
struct descriptor *descriptor_free(struct descriptor *d);

/* Appends to lists; every string is copied; NULLs allowed. */
struct evidence *evidence_add(struct evidence_list *l, const char *source, const char *value,
			      const char *meaning, const char *suggests);
void evidence_list_release(struct evidence_list *l);
struct conflict *conflict_add(struct conflict_list *l);
void conflict_list_release(struct conflict_list *l);
struct device *device_add(struct device_list *l, const char *name, const char *driver,
			  const char *bus, const char *model);
void device_list_release(struct device_list *l);

/* Replaces *field with a copy of value (NULL allowed). */
void descriptor_set(char **field, const char *value);

/*
 * Records the host's version as stated by a person, for hosts whose
 * version a guest cannot see (a product version such as Red Hat
 * Enterprise Linux KVM 5.4): sets hypervisor.version and marks its
 * source "stated", so that check trusts it for any product.
 */
void descriptor_state_host_version(struct descriptor *d, const char *version);

/*
 * JSON.  descriptor_to_json() returns a new string (pretty if indent).
 * descriptor_from_json() parses text of len bytes; on error returns
 * -EINVAL and, if ret_error is given, a message naming the field (or
 * "invalid JSON at line L column C: what").  It is descriptor_parse()
 * with no flags.
 *
 * descriptor_parse() reads the text straight into the struct, without a
 * JSON tree (descriptor-stream.c), and accepts exactly what the tree
 * reader accepts: json_loadb(JSON_REJECT_DUPLICATES) (strict RFC 8259,
 * valid UTF-8, no \u0000, int64 integers, depth 2048), at most
 * DESCRIPTOR_MAX_BYTES and DESCRIPTOR_MAX_ITEMS per array read, then
 * descriptor_check_fields() when DESCRIPTOR_PARSE_STRICT, then
 * descriptor_from_jansson()'s type rules, with the same message for the
 * same first error.  Values of unknown fields are validated and skipped.
 */
enum descriptor_parse_flags {
	/* Unknown fields of the descriptor and of its objects are errors
	 * (descriptor_check_fields()): input from outside. */
	DESCRIPTOR_PARSE_STRICT = 1 << 0,
	/* The evidence lists (hypervisor, container, integration) are
	 * checked but not kept: for callers that only match or check. */
	DESCRIPTOR_PARSE_NO_EVIDENCE = 1 << 1,
	/* Only what matching reads (check_key_from_descriptor()) is built:
	 * the numbers and booleans, the strings it reads (hypervisor id,
	 * product, version, version_source, build; guest arch, os id,
	 * version, source, service_pack; vm firmware) and
	 * integration.present.  The other strings and lists (evidence,
	 * conflicts, features, notes, disks, nics, the other integration
	 * lists) are checked as strictly but not kept: for check --fleet
	 * without records, where a descriptor lives only to become a key. */
	DESCRIPTOR_PARSE_MATCH_ONLY = 1 << 2,
	/* What a check's answer reads (check_explain(), check_result_write()):
	 * MATCH_ONLY's fields and guest.os name, pretty and osinfo, which
	 * name the machine in the answer's differences and "machine".  The
	 * rest is checked as strictly and not kept: for POST /api/v1/check,
	 * which builds nothing else.  With MATCH_ONLY, MATCH_ONLY's. */
	DESCRIPTOR_PARSE_ANSWER = 1 << 3,
};
char *descriptor_to_json(const struct descriptor *d, bool indent);
int descriptor_from_json(const char *text, size_t len, struct descriptor **ret,
			 char **ret_error) CV_WUR;
int descriptor_parse(const char *text, size_t len, unsigned flags, struct descriptor **ret,
		     char **ret_error) CV_WUR;
/*
 * The reader descriptor_parse() replaced, through a jansson tree
 * (json_loadb(), descriptor_check_fields() when strict,
 * descriptor_from_jansson()): kept as the reference that tests, the fuzzer
 * and bench/descriptor-parse compare descriptor_parse() with.
 */
int descriptor_from_json_tree(const char *text, size_t len, unsigned flags, struct descriptor **ret,
			      char **ret_error) CV_WUR;

/* Same, between a descriptor and a jansson object (json_t *), for callers
 * that embed descriptors in larger documents (kit logs, check answers). */
json_t *descriptor_to_jansson(const struct descriptor *d);
int descriptor_from_jansson(const json_t *json, struct descriptor **ret, char **ret_error) CV_WUR;
/*
 * Strict reading, for input from outside (the server's /check): every
 * field of the descriptor and of its objects (hypervisor, container,
 * guest, guest.os, vm, integration) must be one this schema defines.
 * 0, or -EINVAL with *ret_error naming the first unknown field.  (The
 * tolerant reader above stays for files written by newer probes.)
 */
int descriptor_check_fields(const json_t *json, char **ret_error) CV_WUR;

#endif
