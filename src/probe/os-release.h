/*
 * os-release.h - parsing /etc/os-release and the release files that came
 * before it (RHEL 5 and 6, SLES 11 and others have none), and naming the
 * result with libosinfo's short-ids.
 *
 * The parsers take untrusted bytes (a guest's files, a fixture) and are
 * fuzzed (fuzz/fuzz-os-release.c): they never read past len, never fail on
 * content, and cap every value.  Internal to the probe module.
 */
#ifndef COVALID_PROBE_OS_RELEASE_H
#define COVALID_PROBE_OS_RELEASE_H

#include <stddef.h>

#define OS_RELEASE_VALUE_MAX 256

struct os_release {
	char *id;         /* "rhel", "debian", "sles" */
	char *version_id; /* "5.3", "12", "11.4" */
	char *name;       /* "Red Hat Enterprise Linux Server" */
	char *pretty;     /* "Red Hat Enterprise Linux Server release 5.3 (Tikanga)" */
	char *id_like;
	size_t bad_lines; /* lines that were not KEY=VALUE */
};

void os_release_init(struct os_release *o);
void os_release_release(struct os_release *o);

/* /etc/os-release syntax: shell-style KEY=VALUE, quotes and escapes. */
void os_release_parse(const char *text, size_t len, struct os_release *o);

/*
 * Legacy release files, by their file name ("redhat-release",
 * "SuSE-release", "debian_version", "lsb-release", ...).  Returns 0 if
 * the text was recognised, -EINVAL if not.
 */
int legacy_release_parse(const char *file, const char *text, size_t len, struct os_release *o);

/* libosinfo short-id for (os-release ID, VERSION_ID, NAME); NULL if no
 * rule.  NAME tells CentOS Linux 8 from CentOS Stream 8. */
char *osinfo_short_id(const char *id, const char *version_id, const char *name);

#endif
