/*
 * covalid/testlog.h - the validation kit's test log: one canonical JSON
 * document ("schema": "covalid.testlog/1", docs/testlog.md), signed with
 * a vendor's Ed25519 key.
 *
 * The format is shared by both ends (src/testlog/): the kit writes and
 * signs a log in the guest, the program verifies it on the server.
 * Neither end owns it, so neither depends on the other to read it.
 *
 * Canonical form: UTF-8 JSON with object keys sorted by byte order, no
 * insignificant whitespace, integers as such, reals with at most 15
 * significant digits (jansson's "%.15g": a value printed so parses back to
 * the same double and prints the same again), followed by one newline.
 * A log file is exactly the canonical form of its document.
 *
 * The signature is a member "signature": {"alg": "ed25519", "key_id",
 * "value"} of the document; it signs the bytes
 *   "covalid.testlog/1 signature\n" + canonical(document without "signature")
 * so a signature over a log cannot be replayed as one over anything else.
 * Verification re-serializes and demands byte equality with the file, so
 * any change to any byte (content, whitespace, key order, the signature
 * itself) fails.
 */
#ifndef COVALID_TESTLOG_H
#define COVALID_TESTLOG_H

#include <stddef.h>

#include <stdint.h>

#include "covalid/util.h"

struct sign_key;

#define TESTLOG_SCHEMA "covalid.testlog/1"
#define TESTLOG_MAX_BYTES (16 * 1024 * 1024)

/* Canonical bytes of a json_t * (with the trailing newline). */
char *testlog_canonical(const json_t *doc, size_t *ret_len);

/* Replaces any signature of doc (a json_t * object) with one by key. */
int testlog_sign(json_t *doc, const struct sign_key *key) CV_WUR;

/* Writes canonical(doc) to path durably (path.tmp, fsync, rename). */
int testlog_write(const char *path, const json_t *doc) CV_WUR;

/*
 * Verifies a log's bytes against a public key.  Returns 0 if the file is
 * canonical, signed, and the signature is good; -EBADMSG otherwise, with
 * the reason in *ret_why ("not valid JSON", "no signature", "signed by key
 * X, not Y", "signature does not match the content", "not in canonical
 * form").  On success *ret_doc (if given) receives the document.
 */
int testlog_verify(const char *text, size_t len, const struct sign_key *pub, json_t **ret_doc,
		   char **ret_why) CV_WUR;

/* The same for a log already parsed (doc, from testlog_parse of text). */
int testlog_verify_parsed(const json_t *doc, const char *text, size_t len, const struct sign_key *pub,
			  char **ret_why) CV_WUR;

/*
 * Where the signature member is in a log's text, which must be canonical
 * (a text testlog_verify_parsed accepted): the top-level "signature"
 * member and one comma beside it are the *ret_n bytes at *ret_at, so
 * that the content the signature covers, canonical(document without
 * "signature"), is the text without those bytes -- found by scanning,
 * not by serializing the document again.  -ENOENT when the text has no
 * such member; -EBADMSG when it is not a compact JSON object.
 */
int testlog_signature_span(const char *text, size_t len, size_t *ret_at, size_t *ret_n) CV_WUR;

/* Parses a log's bytes without verifying (for display and re-signing). */
int testlog_parse(const char *text, size_t len, json_t **ret_doc, char **ret_why) CV_WUR;

/* ---- statuses derived from measurements (derive.c, docs/testlog.md) ---- */

/*
 * A log's statuses are the kit's word; its measured values are its
 * evidence.  The derivation recomputes each result's status from its
 * `measured` object, the log's claim and options, and a threshold set
 * (the numbers the kit's checks judge by, versioned: a log names its
 * version in kit.thresholds, a log without it was made under version 1),
 * so that a log whose statuses contradict its measurements is caught:
 * the program refuses such a log, `covalid kit verify` says so in the
 * guest.
 *
 * A threshold set is a JSON object {"version": N, "notes", "checks": {ID:
 * {KEY: VALUE}}} (thresholds.c); testlog_thresholds_builtin() holds the
 * sets the kit itself was built with.  No state; the strings and
 * references returned are the caller's.  Thread-safe.
 */

/* The threshold version this kit judges by (kit.thresholds of its logs). */
#define TESTLOG_THRESHOLDS_VERSION 1
/* Threshold versions a log may name: 1 to this. */
#define TESTLOG_THRESHOLDS_VERSION_MAX 1000000

enum testlog_derived {
	TESTLOG_DERIVED_PASS,
	TESTLOG_DERIVED_FAIL,
	TESTLOG_DERIVED_SKIP,
	TESTLOG_DERIVED_ERROR,
	/* A measured value the rule needs is missing or of the wrong type. */
	TESTLOG_DERIVED_MISSING,
	/* The check's status is not a function of its measured values. */
	TESTLOG_DERIVED_UNKNOWN,
};

/* "pass", "fail", "skip", "error", "missing", "cannot derive". */
const char *testlog_derived_name(enum testlog_derived d);

/* What of the log outside a result a check's status depends on. */
struct testlog_context {
	const char *hypervisor, *product; /* claim.hypervisor.id, .product (NULL: null) */
	int64_t expect_vcpus;             /* kit.options.expect_vcpus; 0: not given */
	int64_t expect_memory_mib;        /* kit.options.expect_memory_mib; 0: not given */
	const char *kernel;               /* descriptor.guest.kernel ("2.6.18-92.el5"), or NULL */
};

struct testlog_derivation {
	enum testlog_derived status;
	/* Why, in the measured values' terms ("ppm 812 > 500"); for MISSING
	 * the field ("measured.ppm is missing"); empty for a plain pass. */
	char why[320];
};

/* The built-in threshold sets, a JSON array of sets, oldest first. */
const char *testlog_thresholds_builtin(void);
/* The "checks" of the built-in set of version (a new reference, a json_t *
 * object); -ENOENT for a version this build does not hold. */
int testlog_thresholds_builtin_checks(int64_t version, json_t **ret) CV_WUR;

/*
 * Checks the "checks" object of a threshold set of version: every check
 * the derivation reads thresholds for is there with exactly its keys, of
 * their types (a check newer than the version may be absent); no unknown
 * check or key.  -EINVAL with the reason naming the field in *ret_why
 * ("time.rate_skew.max_abs_ppm: expected a number >= 0").
 */
int testlog_thresholds_check(const json_t *checks, int64_t version, char **ret_why) CV_WUR;

/* The context of a log document (absent or ill-typed fields are "not given"). */
void testlog_context_of(const json_t *log, struct testlog_context *ret);

/*
 * The threshold version a log names (kit.thresholds): 1 when absent;
 * -EINVAL with *ret_why when it is not an integer from 1 to
 * TESTLOG_THRESHOLDS_VERSION_MAX.
 */
int testlog_thresholds_version(const json_t *log, int64_t *ret, char **ret_why) CV_WUR;

/*
 * Derives check id's status from measured (a JSON object, or NULL), ctx
 * and checks (a threshold set's "checks", already through
 * testlog_thresholds_check).  -ENOENT for an id the derivation does not
 * know (*ret untouched).
 */
int testlog_derive(const char *id, const json_t *measured, const struct testlog_context *ctx, const json_t *checks,
		   struct testlog_derivation *ret) CV_WUR;

/*
 * Every result of log whose status its measurements contradict, as
 * "time.rate_skew: status pass but ppm 812 > 500", appended to
 * contradictions; 0 when none was.  Judged (docs/testlog.md):
 *  - a pass must derive pass: a missing or ill-typed measured value, or a
 *    check the derivation does not know, contradicts it too;
 *  - a skip must not derive pass or fail (a check its measurements
 *    decide was not skipped);
 *  - fail and error are not judged: they can only count against the log.
 */
void testlog_contradictions(const json_t *log, const json_t *checks, struct cv_strv *contradictions);

#endif
