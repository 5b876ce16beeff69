/* fuzz-os-release.c - libFuzzer target: os-release and every legacy release parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "probe/os-release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "etc/os-release", "etc/redhat-release", "etc/SuSE-release",
					     "etc/lsb-release", "etc/debian_version", "etc/alpine-release",
					     "etc/slackware-version" };
	struct os_release o;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *sid;

		os_release_init(&o);
		if (i == 0)
			os_release_parse((const char *)data, size, &o);
		else
			(void)legacy_release_parse(files[i], (const char *)data, size, &o);
		sid = osinfo_short_id(o.id, o.version_id, o.name);
		free(sid);
		os_release_release(&o);
	}
	return 0;
}
