/* fuzz-catalog.c - libFuzzer target: a catalog file (JSON Lines).
 *
 * The input goes whole through catalog_import() (line splitting, limits,
 * duplicate ids, the all-or-nothing write) into an in-memory store opened
 * once: a fresh store per run would cost most of the run.  Then each line
 * that is a record is parsed on its own, and whatever parses must survive
 * a round trip: its document dumped (as the store keeps it) and parsed
 * again. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "covalid/catalog.h"
#include "covalid/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	char *why = NULL, *text;

	if (type && strcmp(type, "product") == 0) {
		struct catalog_product *p = NULL, *q = NULL;

		if (catalog_product_from_json(j, &p, &why) == 0) {
			text = catalog_doc_dump(p->doc);
			if (catalog_product_from_text(text, &q, &why) < 0)
				abort();
			catalog_product_free(q);
			catalog_product_free(p);
			free(text);
		}
	} else if (type && strcmp(type, "configuration") == 0) {
		struct catalog_config *c = NULL, *d = NULL;

		if (catalog_config_from_json(j, &c, &why) == 0) {
			text = catalog_doc_dump(c->doc);
			if (catalog_config_from_text(text, &d, &why) < 0)
				abort();
			catalog_config_free(d);
			catalog_config_free(c);
			free(text);
		}
	}
	free(why);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *s;
	struct catalog_import_stats st;
	const char *p = (const char *)data, *end = p + size;
	char *err = NULL;
	FILE *f;

	if (!s && store_open(":memory:", &s, NULL) < 0)
		abort();
	if (size == 0)
		return 0;
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		return 0;
	(void)catalog_import(s, f, &st, &err);
	free(err);
	fclose(f);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		round_trip(p, len);
		p += len + 1;
	}
	return 0;
}
