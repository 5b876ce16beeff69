/*
 * catalog-internal.h - what the catalog's files share and nobody else
 * uses.
 */
#ifndef COVALID_CATALOG_INTERNAL_H
#define COVALID_CATALOG_INTERNAL_H

#include <stddef.h>

#include "covalid/catalog.h"

/*
 * A configuration from its JSON text without building a jansson tree
 * (record-fast.c, on the strict pull tokenizer util/json-pull.h): for the
 * bulk paths, an import's lines and catalog_load()'s stored documents.
 * It accepts exactly the texts catalog_config_from_text() accepts and
 * fills the same fields, except that c->doc stays NULL.  It does not say
 * why a text is refused: on -EAGAIN (any fault, or a product) the caller
 * asks catalog_config_from_text(), whose answer is the reference.
 */
int catalog_config_from_text_fast(const char *text, size_t len, struct catalog_config **ret) CV_WUR;

#endif
