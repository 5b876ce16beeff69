/*
 * suggest.c - the nearest known word to a mistyped one (see util/suggest.h).
 */
#include <ctype.h>

#include "util/suggest.h"
#include "util/cv.h"

size_t cv_edit_distance(const char *a, const char *b)
{
	/* Three rows of the dynamic programme: two back for a transposition. */
	size_t rows[3][CV_SUGGEST_MAX_LEN + 1];
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > CV_SUGGEST_MAX_LEN || lb > CV_SUGGEST_MAX_LEN)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + (ca != cb); /* substitute (or keep) */

			if (prev[j] + 1 < best)
				best = prev[j] + 1; /* delete a's */
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1; /* insert b's */
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1; /* swap neighbours */
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *cv_suggest(const char *typo, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(typo);

	for (size_t i = 0; i < n; i++) {
		size_t d = cv_edit_distance(typo, words[i]);

		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	return best && best_d <= 2 && best_d < len ? best : NULL;
}
