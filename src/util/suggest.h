/*
 * util/suggest.h - "did you mean": the nearest of a few known words to a
 * mistyped one, for the command lines' unknown command and subcommand
 * errors (git's help_unknown_cmd(), which ranks by Damerau-Levenshtein).
 */
#ifndef CV_SUGGEST_H
#define CV_SUGGEST_H

#include <stddef.h>

/*
 * The edit distance of a and b: insertions, deletions, substitutions and
 * transpositions of neighbours each cost 1 (the optimal string alignment
 * form of Damerau-Levenshtein), bytes compared case-insensitively.  Words
 * longer than CV_SUGGEST_MAX_LEN are "far": the result is then SIZE_MAX.
 */
#define CV_SUGGEST_MAX_LEN 64
size_t cv_edit_distance(const char *a, const char *b);

/*
 * The word of words[0..n) nearest to typo, if near enough to be what was
 * meant (at most 2 edits, and fewer than typo's length so that "x" does not
 * suggest "kit"); the first in table order on a tie; NULL if none.
 */
const char *cv_suggest(const char *typo, const char *const *words, size_t n);

#endif
