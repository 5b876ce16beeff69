/* fuzz-testlog.c - libFuzzer target: what a submission's body goes
 * through before the database: parse, then signature verification
 * against a fixed key (which fails for all but the seed). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "covalid/sign.h"
#include "covalid/testlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		json_decref(doc);
	}
	free(why);
	return 0;
}
