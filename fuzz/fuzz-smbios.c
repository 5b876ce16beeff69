/* fuzz-smbios.c - libFuzzer target: the raw SMBIOS decoder of Windows's
 * windows/smbios.bin (src/probe/smbios.c).  Whatever the bytes, it must
 * return, read nothing outside them, and give strings that are text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/smbios.h"
#include "util/cv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text(const char *s)
{
	if (s && (!*s || strlen(s) > SMBIOS_STRING_MAX || !cv_str_is_clean_utf8(s, strlen(s))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smbios_info s;
	/* An exact-size copy, so that ASan sees a read one byte past the end. */
	unsigned char *b = malloc(size ? size : 1);

	memcpy(b, data, size);
	smbios_info_init(&s);
	if (smbios_decode(b, size, &s) < 0 && size >= SMBIOS_RAW_HEADER)
		abort();
	text(s.bios_vendor);
	text(s.bios_version);
	text(s.sys_vendor);
	text(s.product_name);
	text(s.product_version);
	text(s.board_vendor);
	text(s.chassis_asset_tag);
	smbios_info_release(&s);
	free(b);
	return 0;
}
