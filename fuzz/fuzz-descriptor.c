/* fuzz-descriptor.c - libFuzzer target: descriptor JSON parsing and re-serialization. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "covalid/descriptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct descriptor *d = NULL;
	char *err = NULL;

	if (descriptor_from_json((const char *)data, size, &d, &err) == 0) {
		char *s = descriptor_to_json(d, false);

		free(s);
		descriptor_free(d);
	}
	free(err);
	return 0;
}
