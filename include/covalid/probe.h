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
#include <stddef.h>

#include "covalid/util.h"

struct descriptor;

struct probe_options {
	const char *root;    /* NULL or "/" for this machine */
	const char *capture; /* if set, copy every source read into this directory */
};

/* -ENOENT/-ENOTDIR: the root does not exist or is not a directory. */
int probe_run(const struct probe_options *opt, struct descriptor **ret) CV_WUR;

/*
 * The integration components of Windows guests as the probe knows them
 * (docs/probe.md, "Windows component names"): the one table the kit's
 * Windows checks read too, so that the services they query, the storage
 * drivers they name and the event sources they count are the probe's.
 * Static data; the strings live as long as the program.
 */
enum probe_win_role {
	PROBE_WIN_STORAGE, /* a storage controller's driver (viostor, storvsc) */
	PROBE_WIN_NET,     /* a network adapter's driver (netkvm, netvsc) */
	PROBE_WIN_DRIVER,  /* another driver: a bus, a balloon, a serial port */
	PROBE_WIN_SERVICE, /* a Win32 service of the integration services (vmicheartbeat) */
	PROBE_WIN_AGENT,   /* a guest agent or tools service (QEMU-GA, VMTools) */
};

struct probe_win_component {
	const char *name;             /* canonical, as in the descriptor's integration lists */
	enum probe_win_role role;
	bool device;                  /* present only when bound to a present device; else when running */
	const char *const *services;  /* its Windows service names (case-insensitive, as the SCM compares) */
	size_t n_services;
};

/* The i-th component, in the probe's table order; false past the last. */
bool probe_win_component(size_t i, struct probe_win_component *ret);

/*
 * The integration components a Linux guest can have, as the probe finds
 * them (src/probe/integration-table.c): how each shows on a running
 * system.  The kit reads the same table to check that each is bound
 * (kernel.pv_drivers) and to find the paravirtual disk, so that the two
 * can never disagree on what a component is.
 */
#define PROBE_COMPONENT_MAX_NAMES 4

/* How a component shows on a running system. */
enum probe_component_kind {
	PROBE_COMPONENT_BUS,    /* a bus: present when /sys/bus/<bus> exists or its module is loaded */
	PROBE_COMPONENT_DRIVER, /* a driver of devices on a bus: present only when bound to one */
	PROBE_COMPONENT_MODULE, /* a module that binds no device (vmw_balloon talks to the host directly) */
	PROBE_COMPONENT_AGENT,  /* a user-space program: present when its binary is */
};

struct probe_component {
	const char *name;                               /* canonical, as in the descriptor */
	enum probe_component_kind kind;
	const char *bus;                                /* BUS, DRIVER: the directory under /sys/bus */
	const char *modules[PROBE_COMPONENT_MAX_NAMES]; /* names in /proc/modules and /sys/module */
	const char *drivers[PROBE_COMPONENT_MAX_NAMES]; /* driver names under /sys/bus/<bus>/drivers */
	const char *files[PROBE_COMPONENT_MAX_NAMES];   /* AGENT: binaries, relative to the root */
};

/* Every component, and one by its canonical name (NULL if unknown). */
const struct probe_component *probe_components(size_t *ret_n);
const struct probe_component *probe_component(const char *name);

#endif
