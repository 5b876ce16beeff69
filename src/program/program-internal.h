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
 * ("claim.vm.vcpus: missing").  Nothing else is judged here.  The log's
 * descriptor, read, in *ret_descriptor when given (descriptor_free()).
 */
struct descriptor;
int program_claim_check(json_t *log, struct descriptor **ret_descriptor, struct program_error *err) CV_WUR;

/*
 * Every way the claim of a log (already through program_claim_check)
 * disagrees with the descriptor inside the same log (d, as that check
 * read it), appended to reasons as sentences naming both fields.  The
 * kit writes the claim from the descriptor, so a log that disagrees was
 * edited or forged; it is recorded, rejected, with these reasons.
 */
void program_claim_agreement(json_t *log, const struct descriptor *d, struct cv_strv *reasons);

/*
 * The claim's key: the unsanitized fields that say which configuration a
 * log proves (hypervisor id, its build or else its version, guest OS id,
 * version, architecture, and, when the log says, the Windows service
 * pack: program_log_service_pack(), NULL when it does not), as a
 * canonical JSON array.  Two logs prove the same configuration exactly
 * when their keys are equal; the configuration's id is only a readable,
 * bounded rendering of it.  Without a service pack the key is what it
 * was before there was one, so the configurations made then extend.
 */
char *program_claim_key(json_t *claim, const char *service_pack);

/*
 * The Windows service pack a log's guest ran at (docs/server.md,
 * "Windows guests"), from its descriptor, which the claim may repeat
 * (claim.guest.service_pack, then equal): true and "SP1" (written as
 * "SP<n>" however the log cased it) in ret; true and "" for a release
 * without one, which only the Windows probe says (guest.os.source
 * "windows/os.json" and a null service pack); false when the log does
 * not say (a Linux guest, an older probe).  The log is through
 * program_claim_check, which refuses a service pack that is not "SP1" to
 * "SP99".
 */
#define PROGRAM_SERVICE_PACK_SIZE 8
bool program_log_service_pack(json_t *log, char ret[static PROGRAM_SERVICE_PACK_SIZE]);


/*
 * Threshold sets (verdicts.c, docs/policy.md "Thresholds"): the policy's
 * "thresholds" member, an array of {"version", "checks", "notes"}
 * (member NULL: the built-in sets of src/testlog/derive.c), checked and
 * returned as a new reference in *ret; 400 naming the field.
 */
int program_thresholds_parse(const json_t *member, json_t **ret, struct program_error *err) CV_WUR;

/* The policy's threshold sets (policy.c). */
const json_t *program_policy_thresholds(const struct program_policy *p);

/* rules_text (the built-in policy) with the built-in threshold sets as
 * its "thresholds": a new string. */
char *program_policy_add_thresholds(const char *rules_text);

/* The threshold version a log names (kit.thresholds, 1 when absent); 400
 * invalid_log when it is not an integer from 1. */
int program_log_thresholds_version(const json_t *log, int64_t *ret, struct program_error *err) CV_WUR;

/*
 * Every result's status of log recomputed from its measured values by the
 * policy's set of the version the log names (testlog_contradictions): 422
 * unknown_threshold_version when the policy holds no such set; 422
 * status_contradicts_measurement, naming each check, when a status
 * contradicts its measurements (all of them in err->reasons).
 */
int program_statuses_check(const struct program_policy *p, const json_t *log, struct program_error *err) CV_WUR;

#endif
