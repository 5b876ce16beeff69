/*
 * json-pull.h - a strict pull tokenizer for JSON text (RFC 8259), for
 * readers that fill their own structs instead of building a tree.
 *
 * The caller asks for one token at a time (json_pull_next()) and decides
 * what to keep; a value it does not want is skipped (json_pull_skip()),
 * validated but not built.  Everything jansson's json_loadb(...,
 * JSON_REJECT_DUPLICATES) rejects is rejected here too, so that a reader
 * moved from jansson to this tokenizer accepts exactly the same texts:
 *
 *  - the document is one object or array (jansson without
 *    JSON_DECODE_ANY), then only whitespace (space, tab, CR, LF);
 *  - no trailing commas, no leading zeros, no '+', no NaN or Infinity,
 *    no comments, no single quotes;
 *  - strings: no raw control characters (U+0000..U+001F), only the
 *    escapes RFC 8259 lists, \u escapes decoded to UTF-8 with surrogate
 *    pairs joined and lone surrogates rejected, \u0000 rejected, raw bytes
 *    valid UTF-8 (no overlong forms, no encoded surrogates, nothing above
 *    U+10FFFF);
 *  - integers (no fraction or exponent) must fit int64_t ("too big
 *    integer"); reals are read with strtod() and rejected when they
 *    overflow to infinity, as jansson does (underflow reads as 0);
 *  - a duplicate key is rejected in every object, at every depth (keys
 *    compared after decoding, so "a" and "\u0061" are the same);
 *  - values nest at most JSON_PULL_MAX_DEPTH deep (jansson's
 *    JSON_PARSER_MAX_DEPTH: the outermost value is at depth 1).
 *
 * One deliberate difference: jansson 2.14 silently skips a single NUL
 * byte right after a number or a literal (its stream loses a pushed-back
 * NUL); here a raw NUL is rejected wherever it appears.
 *
 * The size of the text is the caller's limit (the whole text is in memory).
 * Memory the tokenizer allocates is bounded by the text: a copy of a string
 * with escapes, and the keys of the objects open at the moment.
 *
 * Errors are sticky: after JSON_PULL_ERROR every call returns it again.
 * json_pull_error() says what and where (byte offset, line and column).
 * Not thread-safe; distinct parsers may be used from distinct threads.
 */
#ifndef CV_JSON_PULL_H
#define CV_JSON_PULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_PULL_MAX_DEPTH 2048

enum json_pull_token {
	JSON_PULL_ERROR = -1,
	JSON_PULL_END = 0,      /* the document's value is complete and only whitespace followed */
	JSON_PULL_OBJECT,       /* '{' */
	JSON_PULL_OBJECT_END,   /* '}' */
	JSON_PULL_ARRAY,        /* '[' */
	JSON_PULL_ARRAY_END,    /* ']' */
	JSON_PULL_KEY,          /* a member's name (str, len); its value is the next token */
	JSON_PULL_STRING,       /* str, len */
	JSON_PULL_INTEGER,      /* integer */
	JSON_PULL_REAL,         /* real */
	JSON_PULL_TRUE,
	JSON_PULL_FALSE,
	JSON_PULL_NULL,
};

struct json_pull_frame;
struct json_pull_key;

struct json_pull {
	/* The current token's value.  str is valid until the next call and
	 * is NUL-free but not NUL-terminated (it may point into the text). */
	const char *str;
	size_t len;
	int64_t integer;
	double real;

	/* Private. */
	const char *text;
	size_t text_len, pos;
	int state;                     /* of the top level */
	bool escaped;                  /* str is in scratch, not in the text */
	struct json_pull_frame *frames; /* open objects and arrays */
	size_t depth, frames_alloc;
	struct json_pull_key *keys;    /* keys of the open objects */
	size_t nkeys, keys_alloc;
	char *arena;                   /* decoded keys that had escapes */
	size_t arena_len, arena_alloc;
	char *scratch;                 /* the current string, when it had escapes */
	size_t scratch_alloc;
	uint64_t seed;
	char *error;
	size_t error_pos;
};

/* Starts reading text[0..len).  Allocates nothing. */
void json_pull_init(struct json_pull *p, const char *text, size_t len);
void json_pull_release(struct json_pull *p);

/* The next token (enum json_pull_token). */
int json_pull_next(struct json_pull *p);

/*
 * Given the token json_pull_next() just returned, consumes the rest of
 * its value: to the matching end for JSON_PULL_OBJECT and JSON_PULL_ARRAY,
 * the member's value for JSON_PULL_KEY, nothing for a scalar.  The skipped
 * text is validated as strictly as the rest.  0, or -EINVAL on an error.
 */
int json_pull_skip(struct json_pull *p, int token);

/*
 * A fast path for a reader that keeps nothing of an array: given the
 * JSON_PULL_ARRAY json_pull_next() just returned, consumes the rest of the
 * array (as json_pull_skip() would) when it is plain - at most max_items
 * elements, each a string (nkeys 0), or an object whose members are among
 * keys[0..nkeys) (lengths lens), each at most once, each valued with a
 * string or null; strings without escapes - and returns 1.  Anything else
 * returns 0 having consumed nothing and recorded no error: the caller then
 * reads the array token by token, which finds the same faults in the same
 * order and words them.  What is accepted is exactly what the token-by-
 * token reading accepts for such an array.
 */
int json_pull_skip_plain_array(struct json_pull *p, size_t max_items, const char *const *keys, const uint8_t *lens,
			       unsigned nkeys);

/* How many containers are open (0 at the top level). */
size_t json_pull_depth(const struct json_pull *p);

/* The byte offset just past the last token read (or skipped): after
 * JSON_PULL_OBJECT, its '{' is at offset - 1; after json_pull_skip() of
 * it, the object's text ends at offset.  For readers that hand a member's
 * text to another reader. */
size_t json_pull_offset(const struct json_pull *p);

/*
 * After JSON_PULL_ERROR: "line L column C: what" (jansson's words for the
 * same faults), owned by the parser; NULL before any error.  The byte
 * offset of the fault goes to *ret_offset if given.
 */
const char *json_pull_error(const struct json_pull *p, size_t *ret_offset);

#endif
