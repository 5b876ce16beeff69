/*
 * smbios.h - a bounds-checked decoder of a raw SMBIOS table as Windows's
 * GetSystemFirmwareTable('RSMB', 0, ...) returns it (RawSMBIOSData: u8
 * Used20CallingMethod, u8 SMBIOSMajorVersion, u8 SMBIOSMinorVersion, u8
 * DmiRevision, u32 Length little-endian, then Length bytes of structures).
 *
 * It keeps what the Linux kernel shows in /sys/class/dmi/id (so the DMI
 * detector's rules apply unchanged) and the type 0 "virtual machine" bit.
 * Structure layouts are DMTF DSP0134 (SMBIOS 3.x), sections 7.1-7.4.
 *
 * Input is untrusted: a truncated table, a structure running past the end,
 * a string set without its terminating double NUL, a string index past the
 * set, a huge Length all give a note and whatever decoded before; never a
 * read outside the buffer.  Pure: no I/O, no globals.
 */
#ifndef COVALID_PROBE_SMBIOS_H
#define COVALID_PROBE_SMBIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

#define SMBIOS_RAW_HEADER 8
/* Strings longer than this are cut (as the probe's sysfs reads are). */
#define SMBIOS_STRING_MAX 256
/* Structures decoded at most: a real table has a few dozen. */
#define SMBIOS_MAX_STRUCTS 4096

struct smbios_info {
	uint8_t major, minor;       /* SMBIOS version of the header */
	/* The /sys/class/dmi/id names in brackets; NULL when absent. */
	char *bios_vendor;          /* type 0 offset 04h [bios_vendor] */
	char *bios_version;         /* type 0 offset 05h [bios_version] */
	char *sys_vendor;           /* type 1 offset 04h Manufacturer [sys_vendor] */
	char *product_name;         /* type 1 offset 05h [product_name] */
	char *product_version;      /* type 1 offset 06h [product_version] */
	char *product_uuid;         /* type 1 offset 08h, 16 bytes [product_uuid] */
	char *board_vendor;         /* type 2 offset 04h Manufacturer [board_vendor] */
	char *chassis_asset_tag;    /* type 3 offset 08h [chassis_asset_tag] */
	bool have_vm_bit;           /* type 0 is long enough to hold offset 13h */
	bool vm_bit;                /* type 0 offset 13h bit 4: "system is a virtual machine" */
	struct cv_strv notes;       /* what was wrong with the table, one line each */
};

void smbios_info_init(struct smbios_info *s);
void smbios_info_release(struct smbios_info *s);

/* Decodes buf; always fills what it can.  0, or -EINVAL when not even the
 * 8-byte header is there (a note says so as well). */
int smbios_decode(const unsigned char *buf, size_t len, struct smbios_info *ret);

#endif
