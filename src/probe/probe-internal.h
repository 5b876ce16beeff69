/*
 * probe-internal.h - the state the probe's detectors share.
 *
 * Each detector (cpuid, dmi, buses, xen, os, vm, container, integration)
 * reads its sources through ctx->root, appends evidence to the descriptor
 * and, where a source points at a hypervisor, a struct signal.  The
 * verdict (verdict.c) then decides from the signals alone, so the rules
 * live in one table and every detector stays a plain reader.
 */
#ifndef COVALID_PROBE_INTERNAL_H
#define COVALID_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/descriptor.h"
#include "covalid/root.h"
#include "probe/cpuid.h"

/* Where a signal came from; the verdict's rules are stated in these terms. */
enum signal_kind {
	SIG_DMI,          /* SMBIOS strings naming a hypervisor or cloud */
	SIG_UML,          /* /proc/cpuinfo of User-Mode Linux */
	SIG_XEN,          /* /proc/xen, /sys/hypervisor/type */
	SIG_CPUID,        /* the signature at leaf 0x40000000 */
	SIG_CPUID_ALT,    /* a second signature at 0x40000100, 0x40000200, ... */
	SIG_HV_BIT,       /* CPUID leaf 1 ECX bit 31, cpuinfo "hypervisor" flag */
	SIG_CPU_MODEL,    /* a CPU model only a hypervisor presents ("QEMU Virtual CPU") */
	SIG_FIRMWARE,     /* device tree, /proc/sysinfo, PowerVM partition files */
	SIG_PARAVIRT,     /* a paravirtual interface in use (clocksource) */
	SIG_BUS,          /* devices only one hypervisor makes (vmbus, PCI vendor ids) */
};

struct signal {
	enum signal_kind kind;
	const char *id;     /* static string: "kvm", "microsoft", "vm" */
	const char *source; /* points into the descriptor's evidence */
};

struct probe_ctx {
	struct cv_root *root;
	struct descriptor *d;
	struct cpuid_table cpuid;
	bool have_cpuid;
	bool have_hv_bit;   /* CPUID leaf 1 was read */
	bool hv_bit;        /* CPUID leaf 1 says a hypervisor is present */
	bool have_smbios_vm; /* the SMBIOS type 0 entry was read (root only) */
	bool smbios_vm;     /* its "system is a virtual machine" bit */
	bool xen_dom0;
	bool any_source;    /* at least one hypervisor source was readable */
	struct signal *sig;
	size_t n_sig, alloc_sig;
	/* Facts later detectors use. */
	char *dmi_sys_vendor, *dmi_product_name, *dmi_product_version, *dmi_bios_vendor,
		*dmi_bios_version, *dmi_chassis_asset_tag, *dmi_board_vendor, *dmi_product_uuid;
	char *clocksource;
	char *cpu_platform;       /* /proc/cpuinfo "platform" (POWER: pSeries, PowerNV) */
	char *kernel_arch;        /* /proc/sys/kernel/arch: "x86_64", "aarch64", "ia64" */
	bool cpu_model_qemu;      /* /proc/cpuinfo "model" says "emulated by qemu" */
	char *xen_guest_type;
	char *xen_version;
	struct cv_strv cpu_flags_hint; /* selected /proc/cpuinfo flags */
	/* Hyper-V's leaf 0x40000002, when read. */
	bool hv_have_version;
	uint32_t hv_major, hv_minor, hv_build, hv_sp;
	bool hv_nested;      /* leaf 0x40000004 bit 12: Hyper-V within a Hyper-V partition */
	bool hv_root;        /* leaf 0x40000003 CreatePartitions: we are the root partition */
	const char *cpuid_id;     /* signature at 0x40000000, mapped; NULL if none */
	const char *cpuid_alt_id; /* a second signature, mapped */
	bool have_dmi;
	bool dmi_smbios;     /* the dmi_* facts came from windows/smbios.bin, not sysfs */
	bool windows;        /* the root is a Windows machine (windows/os.json, or live on Windows) */
	bool have_vmbus;
	bool have_virtio;
	bool have_pci;
	struct cv_strv modules;        /* /proc/modules names */
	bool have_modules;
	/* Windows sources already read (win-source.c): each is read, and
	 * collected live, once per probe. */
	struct probe_win_file {
		const char *name;
		char *data; /* NULL: absent or unreadable */
		size_t len;
		int r;      /* 0, or the error reading it gave */
	} win_files[8];
	size_t n_win_files;
	/* windows/devices.json parsed (win_devices_get(), win-devices.h):
	 * the devices and the integration detectors both read it, so it is
	 * parsed, and its bad entries noted, once. */
	bool win_devices_read;
	struct json_t *win_devices_json; /* owns the strings of win_devices */
	struct win_device *win_devices;  /* NULL: absent or unusable */
	size_t n_win_devices;
};

/* Detectors, in the order probe_run() calls them (probe.c; only it calls
 * them).  What they share to do their work is in probe-read.h. */
void probe_cpuid(struct probe_ctx *ctx);
void probe_dmi(struct probe_ctx *ctx);
void probe_platform(struct probe_ctx *ctx);  /* xen, uml, clocksource, cpuinfo, device tree, zvm */
void probe_buses(struct probe_ctx *ctx);     /* pci, vmbus, virtio, xen bus; disks and nics */
void probe_verdict(struct probe_ctx *ctx);   /* hypervisor id, product, version, conflicts */
void probe_container(struct probe_ctx *ctx);
void probe_os(struct probe_ctx *ctx);
void probe_vm(struct probe_ctx *ctx);
void probe_integration(struct probe_ctx *ctx);
/* The DMI rules over ctx->dmi_* once they are filled (detect-dmi.c): shared
 * by probe_dmi() (sysfs) and probe_win_smbios() (windows/smbios.bin). */
void probe_dmi_judge(struct probe_ctx *ctx);

/* Windows detectors (detect-windows*.c), in the order probe_run() calls them
 * for a Windows root instead of probe_dmi() ... probe_integration(). */
void probe_win_smbios(struct probe_ctx *ctx);      /* windows/smbios.bin */
void probe_win_devices(struct probe_ctx *ctx);     /* windows/devices.json: buses, disks, nics */
void probe_win_os(struct probe_ctx *ctx);          /* windows/os.json */
void probe_win_vm(struct probe_ctx *ctx);          /* windows/system.json */
void probe_win_integration(struct probe_ctx *ctx); /* services.json, files.json, devices.json */

#endif
