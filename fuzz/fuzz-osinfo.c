/* fuzz-osinfo.c - libFuzzer target: one osinfo-db XML file, in memory,
 * through catalog_osinfo_parse(), each <os> checked as the importer uses
 * it (a short-id; every field a string jansson takes). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "covalid/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_os(void *ud, const struct catalog_osinfo_os *o)
{
	const char *const v[] = { o->id, o->name, o->version, o->vendor, o->release_date, o->eol_date };

	(void)ud;
	if (!o->short_id)
		abort();
	/* The importer packs these into a product with json_pack "s",
	 * which fails (and loses the product) on invalid UTF-8. */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		json_t *j = v[i] ? json_string(v[i]) : NULL;

		if (v[i] && !j)
			abort();
		json_decref(j);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	size_t n = 0;

	(void)catalog_osinfo_parse((const char *)data, size, "fuzz.xml", on_os, NULL, &n, &err);
	free(err);
	return 0;
}
