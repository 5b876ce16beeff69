/*
 * detect-vm.c - the VM's parameters: vCPUs online and possible, memory,
 * firmware.  (Disks and NICs are read with the buses, in detect-buses.c.)
 */
#include <ctype.h>

#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

#define CPULIST_MAX (1 << 20)

/* Counts a kernel cpulist such as "0-3,8,10-11"; -1 if malformed. */
static int cpulist_count(const char *s)
{
	long total = 0;

	while (*s) {
		char *end;
		long a, b;

		if (!isdigit((unsigned char)*s))
			return -1;
		a = strtol(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -1;
			b = strtol(end + 1, &end, 10);
		}
		if (a < 0 || b < a || b >= CPULIST_MAX)
			return -1;
		total += b - a + 1;
		if (total > CPULIST_MAX)
			return -1;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return (int)total;
}

static int read_cpulist(struct probe_ctx *ctx, const char *path)
{
	char *v = probe_read_value(ctx, path);
	int n;

	if (!v)
		return -1;
	n = cpulist_count(v);
	if (n < 0)
		probe_note(ctx, "/%s: '%s' is not a CPU list", path, v);
	free(v);
	return n;
}

/* Fallback where sysfs is absent: "processor" lines of /proc/cpuinfo. */
static int cpuinfo_processors(struct probe_ctx *ctx)
{
	char *text;
	size_t len;
	int n = 0;

	if (cv_root_read(ctx->root, "proc/cpuinfo", PROBE_BIG_MAX, &text, &len) < 0)
		return -1;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, "processor", 9) == 0 && (p[9] == '\t' || p[9] == ' ' || p[9] == ':'))
			n++;
	free(text);
	return n ? n : -1;
}

static void memory(struct probe_ctx *ctx)
{
	char *text;
	const char *p;
	uint64_t kb;
	int r;

	r = cv_root_read(ctx->root, "proc/meminfo", PROBE_SMALL_MAX, &text, NULL);
	if (r < 0) {
		if (r != -ENOENT)
			probe_note(ctx, "/proc/meminfo: %s", r == -E2BIG ? "larger than 64 KiB" : strerror(-r));
		return;
	}
	p = strstr(text, "MemTotal:");
	if (p && (p == text || p[-1] == '\n')) {
		char num[32];
		size_t n = 0;

		p += 9;
		while (*p == ' ' || *p == '\t')
			p++;
		while (isdigit((unsigned char)*p) && n < sizeof(num) - 1)
			num[n++] = *p++;
		num[n] = '\0';
		if (n && cv_parse_u64(num, 10, &kb) == 0 && strncmp(p, " kB", 3) == 0)
			ctx->d->vm.memory_mib = kb / 1024;
		else
			probe_note(ctx, "/proc/meminfo: MemTotal is not '<number> kB'");
	} else
		probe_note(ctx, "/proc/meminfo: no MemTotal line");
	free(text);
}

void probe_vm(struct probe_ctx *ctx)
{
	struct descriptor *d = ctx->d;

	d->vm.vcpus = read_cpulist(ctx, "sys/devices/system/cpu/online");
	d->vm.vcpus_possible = read_cpulist(ctx, "sys/devices/system/cpu/possible");
	if (d->vm.vcpus < 0)
		d->vm.vcpus = cpuinfo_processors(ctx);
	memory(ctx);

	/* UEFI firmware leaves /sys/firmware/efi; a BIOS leaves SMBIOS but
	 * no EFI.  With neither (direct kernel boot, a microVM) we do not
	 * guess. */
	if (cv_root_exists(ctx->root, "sys/firmware/efi"))
		d->vm.firmware = cv_xstrdup("uefi");
	else if (ctx->have_dmi)
		d->vm.firmware = cv_xstrdup("bios");
}
