/*
 * covalid/probe.h - what machine am I: hypervisor, container, guest OS,
 * VM parameters and integration components, each with its evidence.
 *
 * probe_run() reads the machine through a root (see covalid/root.h): the
 * live system, or a directory holding a captured or hand-written machine.
 * It never fails because a source is missing or malformed: such a source
 * becomes a note and the fields it would have filled stay unknown.  It
 * fails only if the root itself cannot be opened.
 *
 * The decision rules (which source wins when sources disagree) are
 * documented in docs/probe.md and implemented as tables in
 * src/probe/verdict.c.  Thread-safe: one probe per call, no globals.
 */
#ifndef COVALID_PROBE_H
#define COVALID_PROBE_H

#include <stdbool.h>

#include "covalid/util.h"

struct descriptor;

struct probe_options {
	const char *root;    /* NULL or "/" for this machine */
	const char *capture; /* if set, copy every source read into this directory */
};

/* -ENOENT/-ENOTDIR: the root does not exist or is not a directory. */
int probe_run(const struct probe_options *opt, struct descriptor **ret) CV_WUR;

#endif
