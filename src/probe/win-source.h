/*
 * win-source.h - the sources of a Windows machine: the files under
 * windows/ of a root (docs/probe.md, "Windows").
 *
 * Replayed (--root DIR, on any platform) they are read from DIR/windows/.
 * Live on Windows the collectors of src/probe/win/ produce exactly the
 * bytes the file would hold (win-collect.h), and with --capture those
 * bytes are written into the capture; either way the same parser reads
 * them, so a capture replays to the same descriptor by construction.
 *
 * The JSON readers are strict about types: a field of the wrong type is a
 * note naming the file and the field, and reads as absent.
 */
#ifndef COVALID_PROBE_WIN_SOURCE_H
#define COVALID_PROBE_WIN_SOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "probe/probe-internal.h"

/* The root is a Windows machine: it has windows/os.json, or it is this
 * machine and this is Windows. */
bool probe_win_root(struct cv_root *root);

/* windows/<name> whole, at most max bytes, NUL-terminated.  -ENOENT if
 * absent (no note); other errors are noted ("windows/<name>: ...").  Each
 * name is read (live: collected, and captured) once per probe; name must
 * be a static string. */
int probe_win_read(struct probe_ctx *ctx, const char *name, size_t max, char **ret, size_t *ret_len);

/* Frees what probe_win_read() kept (probe.c, at the end of a probe). */
void probe_win_release(struct probe_ctx *ctx);

/* windows/<name> parsed as JSON whose top level is of type (JSON_OBJECT
 * or JSON_ARRAY).  NULL if absent, or malformed (with a note naming the
 * file, the line and jansson's reason). */
json_t *probe_win_json(struct probe_ctx *ctx, const char *name, json_type type);

/* Members, type-checked: absent or null gives NULL / false without a note;
 * another type gives a note "windows/<file>: <what>.<key> is not a ...". */
const char *probe_win_str(struct probe_ctx *ctx, const char *file, const char *what, const json_t *obj,
			  const char *key);
bool probe_win_int(struct probe_ctx *ctx, const char *file, const char *what, const json_t *obj, const char *key,
		   int64_t *ret);
bool probe_win_bool(struct probe_ctx *ctx, const char *file, const char *what, const json_t *obj, const char *key,
		    bool *ret);

#endif
