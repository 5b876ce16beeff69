/* fuzz-cpuid.c - libFuzzer target: the `cpuid -r -1` capture parser and formatter. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/cpuid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpuid_table t, u;
	char *s;

	cpuid_table_init(&t);
	if (cpuid_parse((const char *)data, size, &t) == 0) {
		/* Whatever parsed must format and parse back to the same table. */
		s = cpuid_format(&t);
		cpuid_table_init(&u);
		if (cpuid_parse(s, strlen(s), &u) != 0 || u.n != t.n)
			abort();
		cpuid_table_release(&u);
		free(s);
	}
	cpuid_table_release(&t);
	return 0;
}
