/*
 * win-collect.h - the live collectors of a Windows machine's sources
 * (the files of src/probe/win/, built only for Windows).
 *
 * probe_win_collect() produces the exact bytes of windows/<name> from the
 * Windows API: "smbios.bin", "os.json", "system.json", "devices.json",
 * "services.json", "files.json".  JSON is written by jansson with sorted
 * keys and a fixed indent, so two captures of one machine compare equal.
 * -ENOENT when the source does not exist on this machine (smbios.bin
 * before Windows Server 2003 SP1), another -errno on failure.
 */
#ifndef COVALID_PROBE_WIN_COLLECT_H
#define COVALID_PROBE_WIN_COLLECT_H

#include <stddef.h>

#include "covalid/util.h"

/* Flags for json_dumps() of every collected JSON file. */
#define PROBE_WIN_JSON_FLAGS (JSON_INDENT(1) | JSON_SORT_KEYS)

int probe_win_collect(const char *name, char **ret, size_t *ret_len) CV_WUR;

#endif
