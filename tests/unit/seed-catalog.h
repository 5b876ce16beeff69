/*
 * seed-catalog.h - the seed's catalog (data/validated-configs.jsonl and,
 * for the life cycles, data/products.jsonl) as a test's struct catalog,
 * read line by line; a line that does not read fails the test.
 */
#ifndef COVALID_TESTS_SEED_CATALOG_H
#define COVALID_TESTS_SEED_CATALOG_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "covalid/catalog.h"
#include "util/cv.h"
#include "tap.h"

static inline void seed_catalog_lines(struct catalog *cat, const char *name)
{
	char *path = cv_xasprintf("%s/data/%s", tap_srcdir(), name), *text = NULL;
	size_t len;

	CHECK_INT(cv_read_file(path, 16 << 20, &text, &len), 0);
	for (char *l = text, *e; text && l < text + len; l = e + 1) {
		struct catalog_config *c = NULL;
		struct catalog_product *p = NULL;
		char *why = NULL;

		e = memchr(l, '\n', (size_t)(text + len - l));
		if (!e)
			e = text + len;
		*e = '\0';
		if (strstr(l, "\"type\":\"configuration\"")) {
			if (catalog_config_from_text(l, &c, &why) == 0) {
				cat->configs = cv_xreallocarray(cat->configs, cat->n_configs + 1, sizeof(*cat->configs));
				cat->configs[cat->n_configs++] = c;
			} else
				tap_fail(__FILE__, __LINE__, "%s: %s", name, why);
		} else if (strstr(l, "\"type\":\"product\"")) {
			if (catalog_product_from_text(l, &p, &why) == 0) {
				cat->products = cv_xreallocarray(cat->products, cat->n_products + 1, sizeof(*cat->products));
				cat->products[cat->n_products++] = p;
			} else
				tap_fail(__FILE__, __LINE__, "%s: %s", name, why);
		}
		free(why);
	}
	free(text);
	free(path);
}

/* The seed's configurations, and its products when with_products; free
 * with catalog_free(). */
static inline struct catalog *seed_catalog(bool with_products)
{
	struct catalog *cat = cv_xcalloc(1, sizeof(*cat));

	seed_catalog_lines(cat, "validated-configs.jsonl");
	CHECK(cat->n_configs > 100);
	if (with_products) {
		seed_catalog_lines(cat, "products.jsonl");
		CHECK(cat->n_products > 20);
	}
	return cat;
}

#endif
