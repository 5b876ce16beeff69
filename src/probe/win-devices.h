/*
 * win-devices.h - windows/devices.json read into a plain array, for the
 * Windows detectors (detect-windows-devices.c parses it; the integration
 * detector reads which device each driver service is bound to).
 */
#ifndef COVALID_PROBE_WIN_DEVICES_H
#define COVALID_PROBE_WIN_DEVICES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "probe/probe-internal.h"

/* One present device; the strings point into the parsed JSON. */
struct win_device {
	const char *instance;    /* "PCI\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00\3&13C0B0C5&0&18" */
	const char *service;     /* the function driver's service, NULL if none */
	const char *class_name;  /* setup class: "Net", "SCSIAdapter", "HDC", "System" */
	const char *description; /* "Red Hat VirtIO Ethernet Adapter" */
	int problem;             /* CM_PROB_* code, 0 = working */
};

/*
 * The entries of windows/devices.json (malformed ones skipped with a
 * note), read and parsed at the first call of a probe and kept in ctx
 * until probe_win_release().  False, with *ret NULL and *ret_n 0, if the
 * file is absent or unusable.
 */
bool win_devices_get(struct probe_ctx *ctx, const struct win_device **ret, size_t *ret_n);

/* "pci", "vmbus", "xen" by the instance id's enumerator; NULL otherwise. */
const char *win_device_bus(const char *instance);
/* The vendor and device of a PCI instance id; device UINT32_MAX if missing. */
bool win_pci_ids(const char *instance, uint32_t *ret_vendor, uint32_t *ret_device);

#endif
