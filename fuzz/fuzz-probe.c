/*
 * fuzz-probe.c - libFuzzer target: every /proc, /sys and /etc file the
 * probe parses, through the whole probe (probe_run with a machine root,
 * as `covalid probe --root` replays a fixture), then the descriptor's
 * JSON form.
 *
 * Input: one byte choosing the machine (a copy of one of the project's
 * fixtures, made once under /dev/shm or $TMPDIR), one byte choosing the
 * file (the table below), then the file's contents.  The file is written
 * into the copy, the probe run, and the file put back as it was; the
 * other files of the fixture are what make the combinations real (a
 * cpuinfo with a Hyper-V DMI, ...).  The probe reads through openat2()
 * in the root (src/util/root.c), so this goes through the real file
 * reading; on tmpfs a run costs about a millisecond.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const machines[] = { "hyperv2008-rhel53", "kvm-qemu-rhel92", "xen-pv-rhel53-i686", "docker-on-kvm",
					"vmware-sles11sp4", "baremetal-debian12", "powervm-lpar-shared", "kvmtool-arm64",
					"s390x-lpar" };

static const char *const files[] = {
	"proc/cpuinfo",
	"proc/meminfo",
	"proc/modules",
	"proc/1/environ",
	"proc/1/cgroup",
	"proc/self/cgroup",
	"proc/sysinfo",
	"proc/xen/capabilities",
	"proc/device-tree/hypervisor/compatible",
	"proc/sys/kernel/osrelease",
	"proc/sys/kernel/arch",
	"cpuid.txt",
	"etc/os-release",
	"usr/lib/os-release",
	"etc/redhat-release",
	"etc/SuSE-release",
	"etc/lsb-release",
	"etc/debian_version",
	"sys/class/dmi/id/sys_vendor",
	"sys/class/dmi/id/product_name",
	"sys/class/dmi/id/product_version",
	"sys/class/dmi/id/board_vendor",
	"sys/class/dmi/id/bios_vendor",
	"sys/class/dmi/id/bios_version",
	"sys/class/dmi/id/chassis_asset_tag",
	"sys/class/dmi/id/product_uuid",
	"sys/firmware/dmi/entries/0-0/raw",
	"sys/devices/system/clocksource/clocksource0/current_clocksource",
	"sys/devices/system/clocksource/clocksource0/available_clocksource",
	"sys/devices/system/cpu/online",
	"sys/devices/system/cpu/possible",
	"sys/hypervisor/type",
	"sys/hypervisor/guest_type",
	"sys/hypervisor/version/major",
	"sys/hypervisor/version/minor",
	"sys/hypervisor/version/extra",
	"sys/hypervisor/properties/features",
	"run/systemd/container",
	"run/host/container-manager",
	"sys/bus/pci/devices/*/vendor", /* the machine's first PCI device */
	"sys/bus/pci/devices/*/device",
	"proc/ppc64/lparcfg",
	"proc/device-tree/compatible",
	"proc/self/status",
};

#define N_MACHINES (sizeof(machines) / sizeof(machines[0]))
#define N_FILES (sizeof(files) / sizeof(files[0]))

static char dir[PATH_MAX];
/* Directories made for this run's file, removed after it: an empty
 * proc/xen left behind would change what every later run sees. */
static char *made[16];
static size_t n_made;

static void cleanup(void)
{
	char cmd[PATH_MAX + 16];

	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
}

static void setup(void)
{
	const char *src = getenv("COVALID_SRCDIR"), *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	char cmd[3 * PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/covalid-fuzz-probe-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	for (size_t i = 0; i < N_MACHINES; i++) {
		snprintf(cmd, sizeof(cmd), "cp -a '%s/tests/fixtures/%s/root' '%s/%s'", src && *src ? src : ".", machines[i],
			 dir, machines[i]);
		if (system(cmd) != 0) {
			fprintf(stderr, "fuzz-probe: %s: cannot copy the fixture (set COVALID_SRCDIR)\n", machines[i]);
			abort();
		}
	}
}

/* The file's path in the copy, with "*" as the first entry of its
 * directory; NULL if there is none, or if the path leaves the copy (a
 * fixture's symlink). */
static char *file_path(const char *root, const char *file)
{
	char p[PATH_MAX], real[PATH_MAX], *star = strchr(file, '*'), *d;

	if (star) {
		char list[PATH_MAX];
		struct dirent **names = NULL;
		int n;

		snprintf(list, sizeof(list), "%s/%.*s", root, (int)(star - file - 1), file);
		n = scandir(list, &names, NULL, alphasort);
		if (n <= 2) {
			for (int i = 0; i < n; i++)
				free(names[i]);
			free(names);
			return NULL;
		}
		snprintf(p, sizeof(p), "%s/%s%s", list, names[2]->d_name, star + 1);
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
	} else
		snprintf(p, sizeof(p), "%s/%s", root, file);
	d = strdup(p);
	for (char *s = d + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(d, 0755) == 0 && n_made < sizeof(made) / sizeof(made[0]))
			made[n_made++] = strdup(d);
		*s = '/';
	}
	free(d);
	d = strdup(p);
	if (!realpath(dirname(d), real) || strncmp(real, root, strlen(root)) != 0) {
		free(d);
		return NULL;
	}
	free(d);
	return strdup(p);
}

static int write_all(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	const char *p = data;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_options o = { 0 };
	struct descriptor *d = NULL;
	char root[PATH_MAX], *path, *old = NULL;
	size_t old_len = 0;
	bool existed;
	FILE *f;

	if (!dir[0])
		setup();
	if (size < 2)
		return 0;
	snprintf(root, sizeof(root), "%s/%s", dir, machines[data[0] % N_MACHINES]);
	path = file_path(root, files[data[1] % N_FILES]);
	if (!path) {
		while (n_made) {
			rmdir(made[--n_made]);
			free(made[n_made]);
		}
		return 0;
	}
	f = fopen(path, "re");
	existed = f != NULL;
	if (f) {
		old = malloc(4 * 1024 * 1024);
		old_len = fread(old, 1, 4 * 1024 * 1024, f);
		fclose(f);
	}
	if (write_all(path, data + 2, size - 2) == 0) {
		o.root = root;
		if (probe_run(&o, &d) < 0)
			abort(); /* the root exists: the probe does not fail */
		free(descriptor_to_json(d, false));
		descriptor_free(d);
	}
	if (existed)
		(void)write_all(path, old, old_len);
	else
		unlink(path);
	while (n_made) {
		rmdir(made[--n_made]);
		free(made[n_made]);
	}
	free(old);
	free(path);
	return 0;
}
