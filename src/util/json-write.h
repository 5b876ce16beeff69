/*
 * json-write.h - JSON text written straight into a cv_buf, without a tree,
 * byte for byte as jansson 2.14 dumps the same tree with JSON_COMPACT |
 * JSON_PRESERVE_ORDER (src/dump.c), for answers built often enough that
 * the tree costs (the /check answer: covalid/check.h,
 * check_result_write()).
 *
 * What jansson writes, and so what is written here:
 *  - separators "," and ":" without spaces, members in the order written,
 *    "{}" and "[]" when empty;
 *  - strings: '"' and '\' escaped, U+0008 U+000C U+000A U+000D U+0009 as
 *    \b \f \n \r \t, every other control below U+0020 as \u00XX with
 *    upper-case hex digits; '/' (no JSON_ESCAPE_SLASH), U+007F and
 *    everything above passed through as they are (no JSON_ENSURE_ASCII);
 *  - integers as "%" JSON_INTEGER_FORMAT prints a json_int_t (int64_t).
 *
 * A string must be UTF-8 as jansson's json_string() checks it (src/utf.c:
 * no overlong forms, no encoded surrogates, nothing above U+10FFFF, no
 * stray continuation bytes): one that is not, or a NULL one, leaves
 * nothing of itself and makes the writer's error -EILSEQ, where jansson's
 * json_string() or json_pack() would have returned NULL.
 *
 * Errors are sticky: after one, calls write nothing, and json_write_end()
 * returns the first (-EILSEQ; -E2BIG when the buffer's max is reached;
 * -EINVAL for containers nested deeper than JSON_WRITE_MAX_DEPTH or
 * closed unopened).  A caller that mirrors the tree path's quiet drops -
 * json_object_set_new() and json_array_append_new() of a NULL value leave
 * the member or element out - takes a mark before the value and, after it,
 * json_write_drop(): if the value failed on a string, what was written
 * since the mark is forgotten, error included.
 *
 * The writer appends to a cv_buf the caller owns and does not free.  One
 * writer belongs to one thread.
 */
#ifndef CV_JSON_WRITE_H
#define CV_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cv_buf;

#define JSON_WRITE_MAX_DEPTH 64

struct json_write {
	struct cv_buf *out;
	int err;        /* the first error, 0 */
	unsigned depth; /* containers open */
	uint64_t comma; /* bit k: the container at depth k has a value, the next one needs a comma */
	bool key;       /* a key was just written: its value needs no comma */
	size_t start;   /* out's length at json_write_init() */
};

/* A place in the text to come back to (json_write_drop()). */
struct json_write_mark {
	size_t len;
	int err;
	uint64_t comma;
	unsigned depth;
	bool key;
};

void json_write_init(struct json_write *w, struct cv_buf *out);
/*
 * 0 when every container opened was closed and nothing failed.  Else a
 * negative errno, and out is cut back to its length at json_write_init():
 * nothing half-written is left for the caller to send.
 */
int json_write_end(struct json_write *w) __attribute__((warn_unused_result));

void json_write_object_open(struct json_write *w);
void json_write_object_close(struct json_write *w);
void json_write_array_open(struct json_write *w);
void json_write_array_close(struct json_write *w);
/* An object member's name; its value is the next thing written. */
void json_write_name(struct json_write *w, const char *key);
/*
 * The same for a name known when the program is built, which is most of
 * them: json_write_key(w, "verdict") writes '"verdict":' as the compiler
 * made it, with no scan (a name that is not a string literal does not
 * compile).  The literal must be plain printable ASCII, without '"' or
 * '\\': what json_write_name() would write as it is.
 */
void json_write_key_quoted(struct json_write *w, const char *quoted, size_t n);
#define json_write_key(w, lit) json_write_key_quoted((w), "\"" lit "\":", sizeof(lit) + 2)
/* s, which must be UTF-8 and not NULL (else -EILSEQ). */
void json_write_string(struct json_write *w, const char *s);
/* s, or null when s is NULL (the house's or_null() with json_string()). */
void json_write_string_or_null(struct json_write *w, const char *s);
void json_write_int(struct json_write *w, int64_t v);
void json_write_bool(struct json_write *w, bool v);
void json_write_null(struct json_write *w);

struct json_write_mark json_write_mark(const struct json_write *w);
/*
 * If what was written since m failed on a string (-EILSEQ), forgets it
 * and the error, as if it had never been written, and returns true.  Any
 * other error (the buffer full), or one from before m, stays, and false is
 * returned, as it is when nothing failed.
 */
bool json_write_drop(struct json_write *w, const struct json_write_mark *m);

/* Whether s is UTF-8 as jansson's json_string() requires (len bytes). */
bool json_write_utf8_valid(const char *s, size_t len);

#endif
