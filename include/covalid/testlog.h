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

/* Parses a log's bytes without verifying (for display and re-signing). */
int testlog_parse(const char *text, size_t len, json_t **ret_doc, char **ret_why) CV_WUR;

#endif
