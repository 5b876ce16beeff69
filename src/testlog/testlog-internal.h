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

#endif
