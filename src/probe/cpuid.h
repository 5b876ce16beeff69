/*
 * cpuid.h - CPUID as a table of (leaf, subleaf) -> registers.
 *
 * The probe never executes CPUID directly: it reads a table, filled
 * either from the live CPU (x86 only) or from a capture in the format of
 * Debian's `cpuid -r -1`:
 *
 *    0x40000000 0x00: eax=0x4000000b ebx=0x7263694d ecx=0x666f736f edx=0x76482074
 *
 * so that fixtures and live machines take the same path.  Internal to the
 * probe module.
 */
#ifndef COVALID_PROBE_CPUID_H
#define COVALID_PROBE_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

/* A capture larger than this is refused: `cpuid -r -1` on a big server is ~40 KiB. */
#define CPUID_TEXT_MAX (1024 * 1024)
#define CPUID_MAX_ENTRIES 4096

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

struct cpuid_entry {
	uint32_t leaf, subleaf;
	struct cpuid_regs r;
};

struct cpuid_table {
	struct cpuid_entry *v;
	size_t n, alloc;
	/* Lines that did not parse, for the report; the rest is still used. */
	size_t bad_lines;
	size_t first_bad_line;
};

void cpuid_table_init(struct cpuid_table *t);
void cpuid_table_release(struct cpuid_table *t);

/*
 * Parses a capture.  Only the first CPU's block is read ("CPU 0:" or
 * "CPU:"); lines before any header count as CPU 0.  Malformed lines are
 * counted in bad_lines, not fatal.  Returns -EINVAL if nothing parsed.
 */
int cpuid_parse(const char *text, size_t len, struct cpuid_table *t) CV_WUR;

/* Fills the table from this CPU: -EOPNOTSUPP on non-x86 builds. */
int cpuid_read_live(struct cpuid_table *t) CV_WUR;

/* Formats the table in the capture format (for --capture). */
char *cpuid_format(const struct cpuid_table *t);

/* Looks up (leaf, subleaf) exactly. */
bool cpuid_get(const struct cpuid_table *t, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *ret);

#endif
