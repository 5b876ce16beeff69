/*
 * win/check-storage.c - storage.io_integrity and storage.inventory on
 * Windows, with Linux's ids and measured fields.
 *
 * storage.io_integrity writes 1 MiB blocks with FILE_FLAG_WRITE_THROUGH |
 * FILE_FLAG_NO_BUFFERING (the cache is bypassed and each write reaches the
 * disk before it completes: Windows's O_DIRECT | O_DSYNC), then
 * FlushFileBuffers, closes, reopens unbuffered and reads every block
 * back, comparing BLAKE2b digests.  Where: the run's directory (under
 * --dir when given); without --dir, the one under %TEMP% when its volume is on the paravirtual disk or
 * the probe found no paravirtual storage driver; else a directory of its
 * own on a fixed volume that is on the paravirtual disk, removed
 * afterwards.  A volume's disk is IOCTL_STORAGE_GET_DEVICE_NUMBER's; the
 * disk's driver the service of its parent device (SetupDi, CM_Get_Parent:
 * viostor, vioscsi, storvsc, pvscsi, xenvbd), as Linux's check walks the
 * device path in sysfs.  The check also records what the disk says it is
 * (IOCTL_STORAGE_QUERY_PROPERTY: vendor, product, bus).  A RAM disk or a
 * network share is not a disk: the check skips there, as Linux's does on
 * tmpfs.
 *
 * storage.inventory lists the physical disks (\\.\PhysicalDriveN) with
 * what each says it is, and fails when an expected paravirtual storage
 * component is missing (the probe's integration.missing).
 */
#include <windows.h>
#include <winioctl.h>
#include <setupapi.h>
#include <cfgmgr32.h>
#include <sodium.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

#define MIB (1024u * 1024)
#define BLOCK MIB
#define QUICK_BYTES (16ull * MIB)
#define FULL_BYTES (256ull * MIB)
#define MAX_DISKS 64

/* Block i's contents: xorshift64 seeded by the index (as check-storage.c). */
static void fill_block(uint8_t *buf, uint64_t index)
{
	uint64_t x = (index + 1) * UINT64_C(0x9e3779b97f4a7c15), *w = (uint64_t *)(void *)buf;

	for (size_t i = 0; i < BLOCK / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

static const char *bus_name(int t)
{
	/* STORAGE_BUS_TYPE (winioctl.h). */
	static const char *const names[] = { "unknown", "scsi", "atapi", "ata", "1394", "ssa", "fibre", "usb", "raid",
					     "iscsi", "sas", "sata", "sd", "mmc", "virtual", "file_backed_virtual" };

	return t >= 0 && (size_t)t < CV_ELEMENTSOF(names) ? names[t] : "other";
}

/* What the device at path (\\.\C: or \\.\PhysicalDrive0) says it is:
 * {"vendor", "product", "bus"}, or NULL if it does not say. */
static json_t *device_identity(const char *path)
{
	STORAGE_PROPERTY_QUERY q = { .PropertyId = StorageDeviceProperty, .QueryType = PropertyStandardQuery };
	union {
		STORAGE_DEVICE_DESCRIPTOR d;
		char raw[1024];
	} u;
	DWORD got = 0;
	HANDLE h;
	json_t *o = NULL;

	/* No access right is needed to ask a device what it is. */
	h = CreateFileA(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	memset(&u, 0, sizeof(u));
	if (DeviceIoControl(h, IOCTL_STORAGE_QUERY_PROPERTY, &q, sizeof(q), &u, sizeof(u) - 1, &got, NULL) &&
	    got >= sizeof(u.d)) {
		const char *vendor = u.d.VendorIdOffset && u.d.VendorIdOffset < got ? u.raw + u.d.VendorIdOffset : NULL;
		const char *product = u.d.ProductIdOffset && u.d.ProductIdOffset < got ? u.raw + u.d.ProductIdOffset : NULL;
		char *v = vendor ? cv_str_sanitize(vendor, strnlen(vendor, 64), 64) : NULL;
		char *p = product ? cv_str_sanitize(product, strnlen(product, 64), 64) : NULL;

		o = json_pack("{s:o, s:o, s:s}", "vendor", kit_json_str(v ? cv_strstrip(v) : NULL), "product",
			      kit_json_str(p ? cv_strstrip(p) : NULL), "bus", bus_name((int)u.d.BusType));
		free(v);
		free(p);
	}
	CloseHandle(h);
	return o;
}


/* The component whose storage driver a controller's service is: the
 * probe's table (probe_win_component(), docs/probe.md "Windows component
 * names"); NULL if none. */
static const char *storage_component(const char *service)
{
	struct probe_win_component c;

	for (size_t i = 0; service && probe_win_component(i, &c); i++)
		for (size_t k = 0; k < c.n_services && c.role == PROBE_WIN_STORAGE; k++)
			if (_stricmp(c.services[k], service) == 0)
				return c.name;
	return NULL;
}

/* GUID_DEVINTERFACE_DISK (ntddstor.h), defined here: the import library has no copy of it. */
static const GUID disk_interface = { 0x53f56307, 0xb6bf, 0x11d0, { 0x94, 0xf2, 0x00, 0xa0, 0xc9, 0x1e, 0xfb, 0x8b } };

/* The disk number of a device (\\.\C: or a disk interface path); -1 if it does not say. */
static long disk_number(const char *path)
{
	STORAGE_DEVICE_NUMBER n;
	DWORD got;
	HANDLE h = CreateFileA(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	long r = -1;

	if (h == INVALID_HANDLE_VALUE)
		return -1;
	if (DeviceIoControl(h, IOCTL_STORAGE_GET_DEVICE_NUMBER, NULL, 0, &n, sizeof(n), &got, NULL) &&
	    n.DeviceType == FILE_DEVICE_DISK)
		r = (long)n.DeviceNumber;
	CloseHandle(h);
	return r;
}

/* A device's driver service (SPDRP_SERVICE); NULL if none. */
static char *device_service(HDEVINFO set, SP_DEVINFO_DATA *dev)
{
	char buf[128];
	DWORD type = 0;

	if (!SetupDiGetDeviceRegistryPropertyA(set, dev, SPDRP_SERVICE, &type, (BYTE *)buf, sizeof(buf) - 1, NULL) ||
	    type != REG_SZ)
		return NULL;
	buf[sizeof(buf) - 1] = '\0';
	return cv_str_sanitize(buf, strlen(buf), 64);
}

/* The service of a device instance's parent (the disk's controller). */
static char *parent_service(DEVINST inst)
{
	DEVINST parent;
	char id[MAX_DEVICE_ID_LEN + 1];
	HDEVINFO set;
	SP_DEVINFO_DATA dev = { .cbSize = sizeof(dev) };
	char *svc = NULL;

	if (CM_Get_Parent(&parent, inst, 0) != CR_SUCCESS || CM_Get_Device_IDA(parent, id, sizeof(id), 0) != CR_SUCCESS)
		return NULL;
	set = SetupDiCreateDeviceInfoList(NULL, NULL);
	if (set == INVALID_HANDLE_VALUE)
		return NULL;
	if (SetupDiOpenDeviceInfoA(set, id, NULL, 0, &dev))
		svc = device_service(set, &dev);
	SetupDiDestroyDeviceInfoList(set);
	return svc;
}

/* Disk number's driver ("disk") and controller's ("viostor"); 0 or -ENOENT. */
static int disk_drivers(long number, char **ret_driver, char **ret_controller)
{
	HDEVINFO set = SetupDiGetClassDevsA(&disk_interface, NULL, NULL, DIGCF_PRESENT | DIGCF_DEVICEINTERFACE);
	int r = -ENOENT;

	if (set == INVALID_HANDLE_VALUE)
		return r;
	for (DWORD i = 0; r < 0 && i < 256; i++) {
		SP_DEVICE_INTERFACE_DATA ifd = { .cbSize = sizeof(ifd) };
		SP_DEVINFO_DATA dev = { .cbSize = sizeof(dev) };
		union {
			SP_DEVICE_INTERFACE_DETAIL_DATA_A d;
			char raw[1024];
		} u;

		if (!SetupDiEnumDeviceInterfaces(set, NULL, &disk_interface, i, &ifd))
			break;
		u.d.cbSize = sizeof(u.d);
		if (!SetupDiGetDeviceInterfaceDetailA(set, &ifd, &u.d, sizeof(u), NULL, &dev) ||
		    disk_number(u.d.DevicePath) != number)
			continue;
		*ret_driver = device_service(set, &dev);
		*ret_controller = parent_service(dev.DevInst);
		r = 0;
	}
	SetupDiDestroyDeviceInfoList(set);
	return r;
}

struct place {
	char volume[MAX_PATH + 1];
	char *driver, *controller;
	const char *component;
};

/* The volume of dir and the drivers of its disk. */
static bool place_of(const char *dir, struct place *p)
{
	char device[16];
	long n;

	memset(p, 0, sizeof(*p));
	if (!GetVolumePathNameA(dir, p->volume, sizeof(p->volume)))
		return false;
	if (p->volume[0] && p->volume[1] == ':') {
		snprintf(device, sizeof(device), "\\\\.\\%c:", p->volume[0]);
		n = disk_number(device);
		if (n >= 0 && disk_drivers(n, &p->driver, &p->controller) == 0)
			p->component = storage_component(p->controller);
	}
	return true;
}

static void place_release(struct place *p)
{
	free(p->driver);
	free(p->controller);
}

/* The paravirtual storage components the probe found present. */
static bool expects_pv_storage(const struct kit_ctx *ctx)
{
	for (size_t i = 0; i < ctx->d->integration.present.n; i++)
		if (kit_is_storage_component(ctx->d->integration.present.v[i]))
			return true;
	return false;
}

static int win_error(void)
{
	return (int)GetLastError();
}

/* Writes, flushes, reads back; fills out.  dir exists. */
static void integrity_test(const struct kit_ctx *ctx, const char *dir, struct kit_out *out)
{
	uint64_t bytes = ctx->opt->quick ? QUICK_BYTES : FULL_BYTES, n_blocks = bytes / BLOCK, bad = 0, first_bad = 0;
	unsigned char(*digests)[KIT_DIGEST_BYTES] = cv_xcalloc(n_blocks, sizeof(*digests));
	double *lat = cv_xcalloc(n_blocks, sizeof(*lat)), t0, write_s, read_s, sum = 0;
	char *path = cv_xasprintf("%s\\covalid-io-integrity.bin", dir);
	DWORD flags = FILE_FLAG_WRITE_THROUGH | FILE_FLAG_NO_BUFFERING, done;
	uint8_t *buf = VirtualAlloc(NULL, BLOCK, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
	HANDLE h = INVALID_HANDLE_VALUE;
	bool direct = true;
	json_t *latency = json_object();
	struct kit_verdict v;

	if (!buf || sodium_init() < 0) {
		kit_set(out, KIT_ERROR, "%s", buf ? "libsodium cannot be initialised" : "cannot allocate an aligned buffer");
		goto out;
	}
	h = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL | flags, NULL);
	if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_INVALID_PARAMETER) {
		/* A file system that refuses unbuffered I/O: buffered, written through, flushed. */
		direct = false;
		flags = FILE_FLAG_WRITE_THROUGH;
		h = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL | flags, NULL);
	}
	if (h == INVALID_HANDLE_VALUE) {
		kit_set(out, KIT_ERROR, "cannot create %s: error %d", path, win_error());
		goto out;
	}
	t0 = kit_now();
	for (uint64_t i = 0; i < n_blocks; i++) {
		double b0 = kit_now();

		fill_block(buf, i);
		crypto_generichash(digests[i], KIT_DIGEST_BYTES, buf, BLOCK, NULL, 0);
		if (!WriteFile(h, buf, BLOCK, &done, NULL) || done != BLOCK) {
			kit_set(out, KIT_ERROR, "writing block %llu of %s: error %d", (unsigned long long)i, path, win_error());
			goto out;
		}
		lat[i] = kit_now() - b0;
	}
	if (!FlushFileBuffers(h)) {
		kit_set(out, KIT_ERROR, "FlushFileBuffers of %s: error %d", path, win_error());
		goto out;
	}
	write_s = kit_now() - t0;
	CloseHandle(h);
	h = CreateFileA(path, GENERIC_READ, 0, NULL, OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL | (direct ? FILE_FLAG_NO_BUFFERING : 0), NULL);
	if (h == INVALID_HANDLE_VALUE) {
		kit_set(out, KIT_ERROR, "cannot reopen %s: error %d", path, win_error());
		goto out;
	}
	t0 = kit_now();
	for (uint64_t i = 0; i < n_blocks; i++) {
		unsigned char d[KIT_DIGEST_BYTES];

		if (!ReadFile(h, buf, BLOCK, &done, NULL) || done != BLOCK) {
			kit_set(out, KIT_ERROR, "reading block %llu of %s: error %d", (unsigned long long)i, path, win_error());
			goto out;
		}
		crypto_generichash(d, sizeof(d), buf, BLOCK, NULL, 0);
		if (sodium_memcmp(d, digests[i], sizeof(d)) != 0 && !bad++)
			first_bad = i;
	}
	read_s = kit_now() - t0;
	for (uint64_t i = 0; i < n_blocks; i++)
		sum += lat[i];
	/* Latencies sorted for the percentile. */
	for (uint64_t i = 1; i < n_blocks; i++)
		for (uint64_t k = i; k > 0 && lat[k - 1] > lat[k]; k--) {
			double t = lat[k];

			lat[k] = lat[k - 1];
			lat[k - 1] = t;
		}
	json_object_set_new(latency, "mean", json_real(kit_round(sum / (double)n_blocks * 1e3)));
	json_object_set_new(latency, "p99", json_real(kit_round(lat[(n_blocks * 99 + 99) / 100 - 1] * 1e3)));
	json_object_set_new(latency, "max", json_real(kit_round(lat[n_blocks - 1] * 1e3)));
	json_object_set_new(out->measured, "direct", json_boolean(direct));
	json_object_set_new(out->measured, "bytes", json_integer((json_int_t)bytes));
	json_object_set_new(out->measured, "blocks", json_integer((json_int_t)n_blocks));
	json_object_set_new(out->measured, "block_bytes", json_integer(BLOCK));
	json_object_set_new(out->measured, "mismatching_blocks", json_integer((json_int_t)bad));
	json_object_set_new(out->measured, "first_mismatching_block", bad ? json_integer((json_int_t)first_bad) : json_null());
	json_object_set_new(out->measured, "write_mb_per_s", json_real(kit_round(write_s > 0 ? (double)bytes / 1e6 / write_s : 0)));
	json_object_set_new(out->measured, "read_mb_per_s", json_real(kit_round(read_s > 0 ? (double)bytes / 1e6 / read_s : 0)));
	json_object_set(out->measured, "write_latency_ms", latency);
	json_object_set_new(out->threshold, "mismatching_blocks", json_integer(0));
	kit_decide_mismatches(bad, n_blocks, "storage blocks", &v);
	if (v.status == KIT_FAIL)
		kit_set(out, KIT_FAIL, "%s: block %llu read back differs from what was written", v.reason,
			(unsigned long long)first_bad);
	else if (v.status == KIT_PASS && !direct)
		kit_set(out, KIT_PASS, "unbuffered I/O refused here: buffered, written through, with FlushFileBuffers");
	else
		kit_apply(out, &v);
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	DeleteFileA(path);
	if (buf)
		VirtualFree(buf, 0, MEM_RELEASE);
	json_decref(latency);
	free(path);
	free(lat);
	free(digests);
}

static const char *drive_type_name(UINT t)
{
	switch (t) {
	case DRIVE_FIXED: return "fixed";
	case DRIVE_REMOVABLE: return "removable";
	case DRIVE_REMOTE: return "remote";
	case DRIVE_CDROM: return "cdrom";
	case DRIVE_RAMDISK: return "ramdisk";
	default: return "unknown";
	}
}

void kit_check_storage_io_integrity(const struct kit_ctx *ctx, struct kit_out *out)
{
	/* The run's private directory: under --dir when given, else under %TEMP%. */
	const char *dir = ctx->tmpdir;
	char fs[64] = "", device[16];
	char *own = NULL;
	struct place p;
	json_t *identity = NULL;
	bool lossy = false;
	UINT type;

	json_object_set_new(out->measured, "refused", json_array());
	if (!place_of(dir, &p)) {
		kit_set(out, KIT_ERROR, "%s: cannot tell its volume (GetVolumePathName: error %d)", dir, win_error());
		return;
	}
	/* Not on the paravirtual disk the probe found: a fixed volume that is. */
	if (!ctx->opt->dir && !p.component && expects_pv_storage(ctx)) {
		DWORD drives = GetLogicalDrives();

		for (int i = 2; i < 26 && !own; i++) {
			char root[4] = { (char)('A' + i), ':', '\\', '\0' };
			struct place q;

			if (!(drives & (1u << i)) || GetDriveTypeA(root) != DRIVE_FIXED || !place_of(root, &q))
				continue;
			if (q.component) {
				own = cv_xasprintf("%scovalid-kit-storage.%lu", root, (unsigned long)GetCurrentProcessId());
				if (CreateDirectoryA(own, NULL)) {
					place_release(&p);
					p = q;
					dir = own;
					continue;
				}
				own = cv_free(own);
			}
			place_release(&q);
		}
	}
	type = GetDriveTypeA(p.volume);
	if (!GetVolumeInformationA(p.volume, NULL, 0, NULL, NULL, NULL, fs, sizeof(fs)))
		fs[0] = '\0';
	json_object_set_new(out->measured, "directory", kit_win_json_path(dir, &lossy));
	json_object_set_new(out->measured, "mount_point", kit_win_json_path(p.volume, &lossy));
	/* Only where a name is not in the ANSI code page (docs/kit.md). */
	if (lossy)
		json_object_set_new(out->measured, "paths_lossy", json_true());
	json_object_set_new(out->measured, "filesystem", fs[0] ? json_string(fs) : json_null());
	json_object_set_new(out->measured, "drive_type", json_string(drive_type_name(type)));
	json_object_set_new(out->measured, "driver", kit_json_str(p.driver));
	json_object_set_new(out->measured, "controller", kit_json_str(p.controller));
	json_object_set_new(out->measured, "pv_driver", kit_json_str(p.component ? p.controller : NULL));
	json_object_set_new(out->measured, "component", kit_json_str(p.component));
	json_object_set_new(out->measured, "paravirtual", json_boolean(p.component != NULL));
	/* "C:\" -> "\\.\C:": the volume's device, asked what disk it is. */
	if (p.volume[0] && p.volume[1] == ':') {
		snprintf(device, sizeof(device), "\\\\.\\%c:", p.volume[0]);
		identity = device_identity(device);
	}
	json_object_set_new(out->measured, "disk", identity ? identity : json_null());
	if (type == DRIVE_RAMDISK || type == DRIVE_REMOTE)
		kit_set(out, KIT_SKIP, "%s is on a %s volume (%s), not a disk: give --dir on a disk's volume", dir,
			type == DRIVE_RAMDISK ? "RAM disk" : "network", p.volume);
	else
		integrity_test(ctx, dir, out);
	if (out->status == KIT_PASS && !p.component && expects_pv_storage(ctx) && !ctx->opt->dir)
		kit_set(out, KIT_PASS, "not the paravirtual disk: %s is on a disk driven by %s, and no fixed volume is on one",
			dir, p.controller ? p.controller : "an unknown driver");
	if (own)
		RemoveDirectoryA(own);
	free(own);
	place_release(&p);
}

void kit_check_storage_inventory(const struct kit_ctx *ctx, struct kit_out *out)
{
	json_t *devices = json_array();
	struct cv_strv missing, seen;
	struct kit_verdict v;
	char *joined;

	cv_strv_init(&missing);
	cv_strv_init(&seen);
	for (int i = 0; i < MAX_DISKS; i++) {
		char path[32], name[24];
		json_t *id;

		snprintf(path, sizeof(path), "\\\\.\\PhysicalDrive%d", i);
		id = device_identity(path);
		if (!id)
			continue;
		snprintf(name, sizeof(name), "PhysicalDrive%d", i);
		json_object_set_new(id, "name", json_string(name));
		cv_strv_push_take(&seen, cv_xasprintf("%s (%s %s, %s)", name,
						      json_string_value(json_object_get(id, "vendor")) ? json_string_value(json_object_get(id, "vendor")) : "?",
						      json_string_value(json_object_get(id, "product")) ? json_string_value(json_object_get(id, "product")) : "?",
						      json_string_value(json_object_get(id, "bus"))));
		json_array_append_new(devices, id);
	}
	for (size_t i = 0; i < ctx->d->integration.missing.n; i++)
		if (kit_is_storage_component(ctx->d->integration.missing.v[i]))
			cv_strv_push(&missing, ctx->d->integration.missing.v[i]);
	json_object_set_new(out->measured, "source", json_string("\\\\.\\PhysicalDriveN, IOCTL_STORAGE_QUERY_PROPERTY"));
	json_object_set_new(out->measured, "devices", devices);
	json_object_set_new(out->measured, "count", json_integer((json_int_t)seen.n));
	json_object_set_new(out->measured, "missing_storage", kit_json_strv(&missing));
	joined = cv_strv_join(&seen, ", ");
	kit_decide_storage_inventory(seen.n, &missing, joined, &v);
	if (v.status == KIT_SKIP)
		kit_verdict_set(&v, KIT_SKIP, "no physical disk could be opened (\\\\.\\PhysicalDrive0 to %d)", MAX_DISKS - 1);
	kit_apply(out, &v);
	free(joined);
	cv_strv_release(&missing);
	cv_strv_release(&seen);
}
