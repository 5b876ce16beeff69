/*
 * testlog-internal.h - what the files of src/testlog share: the
 * derivation's table (derive.c), read by the threshold sets' checks
 * (thresholds.c).
 */
#ifndef COVALID_TESTLOG_INTERNAL_H
#define COVALID_TESTLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Row i of the derivation's table: its check id, the keys it reads from a
 * threshold set (NULL: none) and the first threshold version that holds
 * them.  False past the last row.
 */
bool testlog__row(size_t i, const char **ret_id, const char *const **ret_keys, int64_t *ret_since);

/*
 * True when text is testlog_canonical(doc), decided by walking the text
 * beside the document (testlog.c); false when it is not, or when the walk
 * cannot tell (a string with an escape, say): jansson's serialization
 * decides then.  A fast path: never true where jansson would differ.
 */
struct json_t;
bool testlog__canonical_walk(const struct json_t *doc, const char *text, size_t len);

#endif
