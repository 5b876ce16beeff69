/*
 * program-internal.h - what the files of src/program share.
 */
#ifndef COVALID_PROGRAM_INTERNAL_H
#define COVALID_PROGRAM_INTERNAL_H

#include <jansson.h>

#include "covalid/program.h"

/*
 * The parts of a test log the program builds on, checked for shape
 * (claim.c): the claim's fields and their types, the descriptor's types,
 * started_at and finished_at as real UTC times.  A log that fails is
 * malformed: 400 invalid_log in *err, naming the field
 * ("claim.vm.vcpus: missing").  Nothing else is judged here.
 */
int program_claim_check(json_t *log, struct program_error *err) CV_WUR;

/*
 * Every way the claim of a log (already through program_claim_check)
 * disagrees with the descriptor inside the same log, appended to reasons
 * as sentences naming both fields.  The kit writes the claim from the
 * descriptor, so a log that disagrees was edited or forged; it is
 * recorded, rejected, with these reasons.
 */
void program_claim_agreement(json_t *log, struct cv_strv *reasons);

/*
 * The claim's key: the unsanitized fields that say which configuration a
 * log proves (hypervisor id, its build or else its version, guest OS id,
 * version, architecture), as a canonical JSON array.  Two logs prove the
 * same configuration exactly when their keys are equal; the
 * configuration's id is only a readable, bounded rendering of it.
 */
char *program_claim_key(json_t *claim);

/*
 * The transaction every writing call owns (txn.c): begin, then end with
 * the result so far: 0 commits, an error rolls back (err already set by
 * the caller), a failed commit is 503 "busy".
 */
int program_txn_begin(struct store *s, struct program_error *err) CV_WUR;
int program_txn_end(struct store *s, int r, struct program_error *err) CV_WUR;

#endif
