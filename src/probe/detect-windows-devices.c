/*
 * detect-windows-devices.c - windows/devices.json: the present PnP
 * devices that only a hypervisor makes (the same signals as Linux's
 * detect-buses.c: PCI vendor ids, VMBus, Xen's bus), and the machine's
 * storage controllers and network adapters with the driver service bound
 * to each.
 *
 * A PnP instance id names its bus first ("PCI\VEN_1AF4&DEV_1000&...",
 * "VMBUS\{GUID}\{GUID}", "ACPI\VMBUS\0"); PCI ids carry the vendor as
 * VEN_xxxx (Microsoft, "Identifiers for PCI Devices").
 */
#include <ctype.h>

#include "probe/pci-vendors.h"
#include "probe/probe-read.h"
#include "probe/win-devices.h"
#include "probe/win-source.h"
#include "util/cv.h"

/*
 * Enumerators of Xen's PV drivers for Windows: the xenproject/Citrix
 * drivers enumerate XENBUS\, XENVIF\, XENVBD\ children, GPLPV XEN\
 * (inferred from their INF files' hardware ids; no capture checked).
 */
static const char *const xen_prefixes[] = { "XENBUS\\", "XENVIF\\", "XENVBD\\", "XEN\\" };

static bool prefix_ci(const char *s, const char *prefix)
{
	return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool win_pci_ids(const char *instance, uint32_t *ret_vendor, uint32_t *ret_device)
{
	const char *v, *d;
	uint32_t vendor = 0, device = 0;

	if (!prefix_ci(instance, "PCI\\VEN_"))
		return false;
	v = instance + 8;
	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return false;
		vendor = vendor << 4 | (uint32_t)(isdigit((unsigned char)v[i]) ? v[i] - '0' : (tolower((unsigned char)v[i]) - 'a' + 10));
	}
	if (ret_vendor)
		*ret_vendor = vendor;
	if (!ret_device)
		return true;
	*ret_device = UINT32_MAX;
	d = v + 4;
	if (strncasecmp(d, "&DEV_", 5) == 0) {
		d += 5;
		for (int i = 0; i < 4; i++) {
			if (!isxdigit((unsigned char)d[i]))
				return true;
			device = device << 4 | (uint32_t)(isdigit((unsigned char)d[i]) ? d[i] - '0' : (tolower((unsigned char)d[i]) - 'a' + 10));
		}
		*ret_device = device;
	}
	return true;
}

const char *win_device_bus(const char *instance)
{
	if (prefix_ci(instance, "PCI\\"))
		return "pci";
	if (prefix_ci(instance, "VMBUS\\"))
		return "vmbus";
	for (size_t i = 0; i < CV_ELEMENTSOF(xen_prefixes); i++)
		if (prefix_ci(instance, xen_prefixes[i]))
			return "xen";
	return NULL;
}

static int devices_parse(struct probe_ctx *ctx, json_t *arr, struct win_device **ret, size_t *ret_n)
{
	static const char file[] = "devices.json";
	struct win_device *v = NULL;
	size_t n = 0, i;
	json_t *e;

	if (json_array_size(arr) > 65536) {
		probe_note(ctx, "windows/devices.json: more than 65536 devices; not used");
		*ret = NULL;
		*ret_n = 0;
		return -E2BIG;
	}
	v = cv_xcalloc(json_array_size(arr) + 1, sizeof(*v));
	json_array_foreach(arr, i, e) {
		struct win_device *w = &v[n];
		int64_t problem = 0;

		if (!json_is_object(e)) {
			probe_note(ctx, "windows/devices.json: entry %zu is not an object; skipped", i);
			continue;
		}
		w->instance = probe_win_str(ctx, file, "device", e, "instance");
		if (!w->instance) {
			probe_note(ctx, "windows/devices.json: entry %zu has no instance id; skipped", i);
			continue;
		}
		w->service = probe_win_str(ctx, file, "device", e, "service");
		w->class_name = probe_win_str(ctx, file, "device", e, "class");
		w->description = probe_win_str(ctx, file, "device", e, "description");
		if (probe_win_int(ctx, file, "device", e, "problem", &problem))
			w->problem = problem > INT32_MAX ? INT32_MAX : (int)problem;
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void pci(struct probe_ctx *ctx, const struct win_device *dev, size_t n)
{
	size_t counts[PROBE_PCI_VENDORS_MAX] = { 0 };
	const char *first[PROBE_PCI_VENDORS_MAX] = { NULL };

	for (size_t i = 0; i < n; i++) {
		uint32_t vendor;
		int k;

		if (!win_pci_ids(dev[i].instance, &vendor, NULL))
			continue;
		ctx->have_pci = true;
		k = probe_pci_vendor_index(vendor);
		if (k >= 0 && !counts[k]++)
			first[k] = dev[i].instance;
	}
	for (size_t k = 0; k < PROBE_PCI_VENDORS_MAX; k++) {
		char *src;

		if (!counts[k])
			continue;
		src = cv_xasprintf("windows/devices.json:%s", first[k]);
		probe_pci_vendor_evidence(ctx, k, counts[k], src);
		free(src);
	}
}

/* Devices of one bus, counted as Linux counts /sys/bus/<bus>/devices. */
static void bus_count(struct probe_ctx *ctx, const struct win_device *dev, size_t n, const char *bus,
		      const char *source, const char *id, const char *what, bool *flag)
{
	size_t count = 0;
	char *v;

	for (size_t i = 0; i < n; i++)
		if (cv_streq(win_device_bus(dev[i].instance), bus))
			count++;
	if (!count)
		return;
	v = cv_xasprintf("%zu device%s", count, count > 1 ? "s" : "");
	probe_evidence(ctx, SIG_BUS, source, v, what, id);
	if (flag)
		*flag = true;
	free(v);
}

/* Storage controllers and network adapters on a hypervisor's or a real bus
 * (software adapters under ROOT\ and SWD\ are no hardware of the VM). */
static void list_devices(struct probe_ctx *ctx, const struct win_device *dev, size_t n)
{
	for (size_t i = 0; i < n && i < 1024; i++) {
		const char *bus = win_device_bus(dev[i].instance), *name;
		uint32_t vendor, device;
		char *model = NULL;
		bool disk = cv_streq(dev[i].class_name, "SCSIAdapter") || cv_streq(dev[i].class_name, "HDC");
		bool nic = cv_streq(dev[i].class_name, "Net");

		if ((!disk && !nic) || !bus)
			continue;
		if (win_pci_ids(dev[i].instance, &vendor, &device) && device != UINT32_MAX)
			model = cv_xasprintf("0x%04x:0x%04x", vendor, device);
		name = dev[i].description ? dev[i].description : dev[i].instance;
		device_add(disk ? &ctx->d->vm.disks : &ctx->d->vm.nics, name, dev[i].problem ? NULL : dev[i].service,
			   bus, model);
		free(model);
	}
}

bool win_devices_get(struct probe_ctx *ctx, const struct win_device **ret, size_t *ret_n)
{
	if (!ctx->win_devices_read) {
		ctx->win_devices_read = true;
		ctx->win_devices_json = probe_win_json(ctx, "devices.json", JSON_ARRAY);
		if (ctx->win_devices_json &&
		    devices_parse(ctx, ctx->win_devices_json, &ctx->win_devices, &ctx->n_win_devices) < 0) {
			ctx->win_devices = NULL;
			ctx->n_win_devices = 0;
		}
	}
	*ret = ctx->win_devices;
	*ret_n = ctx->n_win_devices;
	return ctx->win_devices != NULL;
}

void probe_win_devices(struct probe_ctx *ctx)
{
	const struct win_device *dev;
	size_t n;
	bool acpi_vmbus = false;

	if (!win_devices_get(ctx, &dev, &n))
		return;
	pci(ctx, dev, n);
	bus_count(ctx, dev, n, "vmbus", "windows/devices.json:VMBUS", "microsoft",
		  "VMBus devices: Hyper-V's synthetic device bus", &ctx->have_vmbus);
	/* The VMBus itself is an ACPI device of _HID "VMBus" (Linux's
	 * vmbus_acpi_device_ids[], drivers/hv/vmbus_drv.c). */
	for (size_t i = 0; i < n && !acpi_vmbus; i++)
		acpi_vmbus = prefix_ci(dev[i].instance, "ACPI\\VMBUS\\");
	if (acpi_vmbus && !ctx->have_vmbus)
		probe_evidence(ctx, SIG_BUS, "windows/devices.json:ACPI\\VMBUS", "present",
			       "the ACPI VMBus device: Hyper-V's synthetic device bus", "microsoft");
	bus_count(ctx, dev, n, "xen", "windows/devices.json:XEN", "xen", "Xen PV bus devices (xenbus frontends)", NULL);
	list_devices(ctx, dev, n);
}
