/*
 * collect-internal.h - what the Windows collectors share (src/probe/win/):
 * UTF-16 to UTF-8, newer API functions resolved at run time, and the JSON
 * form every collected file is written in.  Windows only.
 */
#ifndef COVALID_PROBE_WIN_COLLECT_INTERNAL_H
#define COVALID_PROBE_WIN_COLLECT_INTERNAL_H

#include <jansson.h>
#include <windows.h>

#include "probe/win-collect.h"

/* A new UTF-8 string of a NUL-terminated UTF-16 one; NULL for NULL. */
char *win_utf8(const WCHAR *w);
/* The same as a JSON string, or null for NULL or "". */
json_t *win_json_str(const WCHAR *w);
/* A function of a system DLL, NULL where this Windows has none (the way to
 * use anything newer than Windows Server 2003 SP2). */
FARPROC win_proc(const WCHAR *dll, const char *name);
/* Serializes j (stolen) as the file's bytes: sorted keys, indent 1, "\n". */
int win_json_bytes(json_t *j, char **ret, size_t *ret_len);

/* The sources, one function each (collect-*.c). */
int win_collect_smbios(char **ret, size_t *ret_len);
int win_collect_os(char **ret, size_t *ret_len);
int win_collect_system(char **ret, size_t *ret_len);
int win_collect_devices(char **ret, size_t *ret_len);
int win_collect_services(char **ret, size_t *ret_len);
int win_collect_files(char **ret, size_t *ret_len);

/* Services whose configuration and files are recorded: those the
 * integration table names (probe_integ_win_components()). */
bool win_service_named(const char *name);

#endif
