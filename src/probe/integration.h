/*
 * integration.h - which integration components a guest should have
 * (integration-table.c, integration-windows.c), for the probe's detectors
 * and the unit tests.  What a component is -- how it shows on a running
 * Linux system, its Windows service names -- is public, in covalid/probe.h,
 * because the kit checks the same components.
 *
 * Expectations are era-true: a component is expected of a guest only when
 * the hypervisor version it runs on offers the device and the guest's
 * kernel had a driver for it.  The table is compiled in: the probe runs
 * inside guests, where no data file of ours can be trusted to exist.
 * Every row carries its source; docs/probe.md lists the same rows.
 *
 * Everything here is static const data and pure functions over it.
 */
#ifndef COVALID_PROBE_INTEGRATION_H
#define COVALID_PROBE_INTEGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/probe.h"

struct cv_strv;

#define INTEG_MAX_ROWS 10

enum integ_want {
	INTEG_EXPECTED,    /* missing if absent: kernel.pv_drivers fails */
	INTEG_RECOMMENDED, /* reported if absent, never required */
};

/*
 * One component a guest should have, within bounds.  A bound left 0 or
 * NULL is open.  A bound the guest's facts cannot be compared with
 * (unknown host build, unknown kernel) makes the row not apply: the probe
 * expects only what it knows the guest should have.
 */
struct integ_row {
	const char *component;
	enum integ_want want;
	uint32_t build_min, build_max; /* Hyper-V host build (CPUID 0x40000002 EAX), inclusive */
	const char *kernel_min;        /* first guest kernel with the driver, inclusive */
	const char *kernel_below;      /* first guest kernel the row no longer covers */
	const char *source;            /* where the bounds come from */
};

/* Rows for a hypervisor; product is a prefix of hypervisor.product (NULL: any). */
struct integ_profile {
	const char *hypervisor;
	const char *product;
	struct integ_row rows[INTEG_MAX_ROWS];
};

/* What the rows are matched against. */
struct integ_guest {
	const char *hypervisor; /* descriptor id */
	const char *product;
	bool have_build;
	uint32_t build;         /* Hyper-V host build */
	const char *kernel;     /* /proc/sys/kernel/osrelease, NULL if unknown */
};

const struct integ_profile *probe_integ_profiles(size_t *ret_n);
/* The first profile for the guest's hypervisor and product; NULL if none. */
const struct integ_profile *probe_integ_profile(const struct integ_guest *g);
/* Whether a row's bounds hold for the guest. */
bool probe_integ_row_applies(const struct integ_row *row, const struct integ_guest *g);
/* Appends the components the guest should have and those recommended to
 * it, each once, in table order. */
void probe_integ_expect(const struct integ_guest *g, struct cv_strv *expected, struct cv_strv *recommended);
/* The same for one profile (NULL: nothing). */
void probe_integ_expect_profile(const struct integ_profile *p, const struct integ_guest *g,
				struct cv_strv *expected, struct cv_strv *recommended);

/*
 * Windows guests (integration-windows.c).  A component is a set of service
 * names (driver or Win32 service, compared case-insensitively as the
 * Service Control Manager does).  The same integ_profile rows state what
 * a guest should have, with the guest's NT version ("6.1.7601") in the
 * place of the kernel release: kernel_min "6.0" means Windows Server 2008
 * and later.
 */
enum integ_win_kind {
	INTEG_WIN_DEVICE,  /* a device driver: present when running and bound to a present device */
	INTEG_WIN_SERVICE, /* a service or a driver of no device: present when running */
};

struct integ_win_component {
	const char *name; /* canonical, shared with Linux where the role is the same */
	enum integ_win_kind kind;
	enum probe_win_role role; /* what the kit's checks need (covalid/probe.h) */
	const char *services[PROBE_COMPONENT_MAX_NAMES];
	const char *source; /* where the service names come from */
};

const struct integ_win_component *probe_integ_win_components(size_t *ret_n);
const struct integ_profile *probe_integ_win_profiles(size_t *ret_n);
const struct integ_profile *probe_integ_win_profile(const struct integ_guest *g);
void probe_integ_win_expect(const struct integ_guest *g, struct cv_strv *expected, struct cv_strv *recommended);

#endif
