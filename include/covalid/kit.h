/*
 * covalid/kit.h - the validation kit: checks that prove a guest runs
 * properly on its hypervisor, run in the guest, recorded in a test log.
 *
 * kit_run() probes the machine (the descriptor goes into the log), makes a
 * private temporary directory, and runs each selected check in a child
 * process with a time limit: a check that crashes or hangs is recorded as
 * "error" and the others still run.  Checks are non-destructive: they read
 * the system, and write only inside the temporary directory, which is
 * removed afterwards (storage.io_integrity, to reach the paravirtual disk,
 * may make and remove its own directory on it: docs/kit.md).
 *
 * The checks and their criteria are a static table (src/kit/registry.c);
 * docs/kit.md describes each.  Not thread-safe: one run per process.
 */
#ifndef COVALID_KIT_H
#define COVALID_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

struct descriptor;

enum kit_status {
	KIT_PASS,
	KIT_FAIL,
	KIT_SKIP,
	KIT_ERROR,
	KIT_STATUS__MAX,
};

const char *kit_status_name(enum kit_status s); /* "pass", ... */

struct kit_check_info {
	const char *id;        /* "time.monotonic" */
	const char *title;     /* "CLOCK_MONOTONIC and CLOCK_BOOTTIME never go backwards" */
	const char *measures;  /* what is measured */
	const char *criterion; /* the pass criterion */
	bool needs_root;
	bool hidden;           /* self-test checks, listed only with COVALID_KIT_SELFTEST=1 */
};

/* Every check, in run order; hidden ones only when self-testing. */
size_t kit_checks(const struct kit_check_info *const **ret);
const struct kit_check_info *kit_check_find(const char *id);

struct kit_result {
	char *id;
	enum kit_status status;
	char *reason;    /* why, for fail, skip and error; may be NULL for pass */
	json_t *measured;  /* an object */
	json_t *threshold; /* an object */
	double duration_s;
};

struct kit_options {
	bool quick;               /* every check short: the run within 5 s */
	int expect_vcpus;         /* 0: not stated */
	uint64_t expect_memory_mib; /* 0: not stated */
	const char *peer;         /* HOST:PORT of `covalid kit peer`, or NULL */
	const char *dir;          /* parent of the private directory; NULL: $TMPDIR or /var/tmp */
	struct cv_strv only;      /* ids or family prefixes ("time") to run; empty: all */
	struct cv_strv skip;      /* ids or family prefixes not to run */
	/* Called before and after each check (result NULL before). */
	void (*progress)(void *userdata, const struct kit_check_info *c, const struct kit_result *r, size_t i,
			 size_t n);
	void *userdata;
};

struct kit_run {
	struct descriptor *descriptor;
	char *host;
	char *started_at, *finished_at;
	struct kit_options options;
	struct kit_result *results;
	size_t n_results;
	size_t counts[KIT_STATUS__MAX];
	double duration_s;
};

/* -EINVAL with *ret_error for an unknown id in only/skip; other errors
 * (no temporary directory) likewise. */
int kit_run(const struct kit_options *o, struct kit_run **ret, char **ret_error) CV_WUR;
struct kit_run *kit_run_free(struct kit_run *r);

/* The test log document (json_t *), unsigned: schema covalid.testlog/1. */
json_t *kit_run_to_json(const struct kit_run *r);

/* JUnit XML of a run (or of a log document) for CI systems. */
char *kit_junit(const json_t *log_doc);

/*
 * `covalid kit __child ID TMPDIR [OPTIONS]` (argv from "__child" on): runs
 * one check and writes its result, one JSON object, on stdout; the exit
 * status 0, or 2 for bad arguments.  Hidden: the runner starts it where
 * the system cannot fork (Windows: src/kit/win/runner.c).
 */
int kit_child_main(int argc, char **argv);

/* `covalid kit peer`: accepts transfers on listen_addr ("HOST:PORT"),
 * checks each and answers with its checksum; runs until *stop.  The bound
 * port is reported through ready (if given) once listening. */
int kit_peer_serve(const char *listen_addr, volatile int *stop, void (*ready)(void *ud, int port), void *ud) CV_WUR;

#endif
