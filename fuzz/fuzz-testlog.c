/* fuzz-testlog.c - libFuzzer target: what a submission's body goes
 * through before the database: parse, then signature verification
 * against a fixed key (which fails for all but the seed), and the
 * statuses derived from the measurements (src/testlog/derive.c), which a
 * vendor's own signed log reaches. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "covalid/sign.h"
#include "covalid/testlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge(const json_t *doc)
{
	struct cv_strv contra;
	json_t *checks = NULL;
	char *why = NULL;
	int64_t version;

	if (testlog_thresholds_version(doc, &version, &why) < 0)
		free(why);
	if (testlog_thresholds_builtin_checks(TESTLOG_THRESHOLDS_VERSION, &checks) < 0)
		abort();
	cv_strv_init(&contra);
	testlog_contradictions(doc, checks, &contra);
	cv_strv_release(&contra);
	json_decref(checks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sign_key key;
	static int ready;
	json_t *doc = NULL;
	char *why = NULL;

	if (!ready) {
		if (sign_init() < 0 || sign_key_generate(&key) < 0)
			abort();
		ready = 1;
	}
	if (testlog_parse((const char *)data, size, &doc, &why) == 0) {
		free(why);
		why = NULL;
		(void)testlog_verify_parsed(doc, (const char *)data, size, &key, &why);
		free(why);
		why = NULL;
		judge(doc);
		json_decref(doc);
	}
	free(why);
	return 0;
}
