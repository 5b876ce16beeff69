/*
 * pci-vendors.h - the PCI vendor ids only a hypervisor's devices carry,
 * one table for both sources of PCI ids: Linux's sysfs (detect-buses.c)
 * and Windows's PnP instance ids (detect-windows-devices.c).
 */
#ifndef COVALID_PROBE_PCI_VENDORS_H
#define COVALID_PROBE_PCI_VENDORS_H

#include <stddef.h>
#include <stdint.h>

struct probe_ctx;

/* An upper bound on the table's rows, for callers' per-vendor counters. */
#define PROBE_PCI_VENDORS_MAX 16

/* The table's row for a vendor id; -1 if no hypervisor's. */
int probe_pci_vendor_index(uint32_t vendor);

/*
 * The evidence of count devices of row k, the first of them at source:
 * "0x1af4 (3 devices)", the row's meaning and hypervisor id; a virtio
 * vendor sets ctx->have_virtio.
 */
void probe_pci_vendor_evidence(struct probe_ctx *ctx, size_t k, size_t count, const char *source);

#endif
