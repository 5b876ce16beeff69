/*
 * verdicts.c - the policy's threshold sets, and a submitted log's
 * statuses judged against its own measurements by the set of the version
 * the log names (docs/policy.md "Thresholds", docs/testlog.md "Statuses
 * and measurements").
 *
 * The derivation itself is the test log's (src/testlog/derive.c), shared
 * with the guest; what is the program's is which sets exist (the
 * policy's, else the built-in ones) and that a contradiction refuses the
 * log.  Kept apart from policy.c, which decides which checks must pass.
 */
#include <jansson.h>

#include "covalid/program.h"
#include "covalid/testlog.h"
#include "program/program-internal.h"
#include "util/cv.h"

#define MAX_SETS 256
/* Contradictions named in the message; every one is in error.reasons. */
#define MESSAGE_NAMES 3

int program_thresholds_parse(const json_t *member, json_t **ret, struct program_error *err)
{
	static const char *const keys[] = { "version", "checks", "notes" };
	json_t *sets = member ? json_incref((json_t *)member) : json_loads(testlog_thresholds_builtin(), 0, NULL), *s;
	char where[48], *why = NULL;
	size_t i;
	int r = -EINVAL;

	if (!json_is_array(sets) || json_array_size(sets) == 0 || json_array_size(sets) > MAX_SETS) {
		program_error_set(err, 400, "invalid_policy", "thresholds: expected 1 to %d threshold sets", MAX_SETS);
		goto out;
	}
	json_array_foreach(sets, i, s) {
		json_t *v = json_object_get(s, "version");

		snprintf(where, sizeof(where), "thresholds[%zu]", i);
		if (!program_check_keys(s, keys, CV_ELEMENTSOF(keys), where, err))
			goto out;
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > TESTLOG_THRESHOLDS_VERSION_MAX) {
			program_error_set(err, 400, "invalid_policy", "%s.version: expected an integer from 1 to %d", where,
					  TESTLOG_THRESHOLDS_VERSION_MAX);
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (json_integer_value(json_object_get(json_array_get(sets, k), "version")) == json_integer_value(v)) {
				program_error_set(err, 400, "invalid_policy", "%s.version: version %lld is given twice", where,
						  (long long)json_integer_value(v));
				goto out;
			}
		if (json_object_get(s, "notes") && !json_is_string(json_object_get(s, "notes"))) {
			program_error_set(err, 400, "invalid_policy", "%s.notes: expected a string", where);
			goto out;
		}
		if (!json_is_object(json_object_get(s, "checks"))) {
			program_error_set(err, 400, "invalid_policy", "%s.checks: expected an object of check ids", where);
			goto out;
		}
		if (testlog_thresholds_check(json_object_get(s, "checks"), json_integer_value(v), &why) < 0) {
			program_error_set(err, 400, "invalid_policy", "%s.checks.%s", where, why);
			goto out;
		}
	}
	*ret = sets;
	sets = NULL;
	r = 0;
out:
	json_decref(sets);
	free(why);
	return r;
}

char *program_policy_add_thresholds(const char *rules_text)
{
	json_t *doc = json_loads(rules_text, 0, NULL), *sets = json_loads(testlog_thresholds_builtin(), 0, NULL);
	char *text;

	if (!doc || !sets)
		abort(); /* both are the program's own text */
	json_object_set_new(doc, "thresholds", sets);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text)
		abort(); /* jansson fails only on allocation */
	return text;
}

int program_log_thresholds_version(const json_t *log, int64_t *ret, struct program_error *err)
{
	char *why = NULL;
	int r = testlog_thresholds_version(log, ret, &why);

	if (r < 0)
		program_error_set(err, 400, "invalid_log", "%s", why);
	free(why);
	return r;
}

int program_statuses_check(const struct program_policy *p, const json_t *log, struct program_error *err)
{
	const json_t *sets = program_policy_thresholds(p), *checks = NULL, *s;
	struct cv_strv contra;
	int64_t version;
	size_t i;
	int r;

	r = program_log_thresholds_version(log, &version, err);
	if (r < 0)
		return r;
	json_array_foreach(sets, i, s)
		if (json_integer_value(json_object_get(s, "version")) == version)
			checks = json_object_get(s, "checks");
	if (!checks) {
		program_error_set(err, 422, "unknown_threshold_version",
				  "kit.thresholds: the log was judged by threshold version %lld, which the policy does not "
				  "hold; its statuses cannot be checked against its measurements",
				  (long long)version);
		return -ENOENT;
	}
	cv_strv_init(&contra);
	testlog_contradictions(log, checks, &contra);
	if (contra.n) {
		struct cv_strv first;
		json_t *reasons = json_array();
		char *names;

		cv_strv_init(&first);
		for (i = 0; i < contra.n; i++) {
			json_array_append_new(reasons, json_string(contra.v[i]));
			if (i < MESSAGE_NAMES)
				cv_strv_push(&first, contra.v[i]);
		}
		names = cv_strv_join(&first, "; ");
		program_error_set(err, 422, "status_contradicts_measurement", "%s%s (threshold version %lld)", names,
				  contra.n > MESSAGE_NAMES ? "; and more, in error.reasons" : "", (long long)version);
		if (err) {
			json_decref(err->reasons);
			err->reasons = reasons;
		} else
			json_decref(reasons);
		free(names);
		cv_strv_release(&first);
		r = -EBADMSG;
	}
	cv_strv_release(&contra);
	return r;
}
