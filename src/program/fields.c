/*
 * fields.c - the one check every JSON document the program takes in
 * makes: no member it does not know (a misspelt field would otherwise be
 * ignored in silence).
 */
#include <jansson.h>

#include "covalid/program.h"
#include "util/cv.h"

const char *program_unknown_key(const json_t *obj, const char *const *keys, size_t n)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i = 0;

		while (i < n && strcmp(keys[i], k) != 0)
			i++;
		if (i == n)
			return k;
	}
	return NULL;
}

bool program_check_keys(const json_t *obj, const char *const *keys, size_t n, const char *where,
			struct program_error *err)
{
	const char *bad;
	char *safe;

	if (!json_is_object(obj)) {
		program_error_set(err, 400, "invalid_field", "%s%sexpected a JSON object", where ? where : "",
				  where ? ": " : "");
		return false;
	}
	bad = program_unknown_key(obj, keys, n);
	if (!bad)
		return true;
	/* The name comes from the client: printable and short in the answer. */
	safe = cv_str_sanitize(bad, strlen(bad), 64);
	program_error_set(err, 400, "unknown_field", "%s%s%s: unknown field", where ? where : "", where ? "." : "", safe);
	free(safe);
	return false;
}
