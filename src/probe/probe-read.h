/*
 * probe-read.h - what every detector uses to do its work (probe-read.c):
 * recording evidence, and with it the signals the verdict decides from;
 * notes on sources that were there but unusable; reads of the root's
 * files, each with a hard limit.
 *
 * These depend on the probe's shared state (probe-internal.h) and on
 * nothing else of the probe, so a detector that uses them does not depend
 * on probe.c, which calls the detectors.
 */
#ifndef COVALID_PROBE_READ_H
#define COVALID_PROBE_READ_H

#include <stdbool.h>

#include "probe/probe-internal.h"

/* Sizes of the files the probe reads. */
#define PROBE_SMALL_MAX (64 * 1024)
#define PROBE_BIG_MAX (4 * 1024 * 1024)

/* Records evidence and, if id is not NULL, a signal of kind. */
struct evidence *probe_evidence(struct probe_ctx *ctx, enum signal_kind kind, const char *source,
				const char *value, const char *meaning, const char *id);
/* Records evidence that suggests nothing (information only). */
struct evidence *probe_info(struct probe_ctx *ctx, const char *source, const char *value,
			    const char *meaning);
/* Adds a note: a source that was present but unusable. */
void probe_note(struct probe_ctx *ctx, const char *fmt, ...) CV_PRINTF(2, 3);

/* Reads a one-line sysfs value; NULL if absent/empty (a note if unreadable). */
char *probe_read_value(struct probe_ctx *ctx, const char *path);
/* Reads /proc/modules into ctx->modules (absent: left empty). */
void probe_read_modules(struct probe_ctx *ctx);

#endif
