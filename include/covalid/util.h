/*
 * covalid/util.h - program-wide helpers: memory, bounded buffers, string
 * vectors, strict number and address parsing, durable file writes.
 *
 * Memory: cv_x*() allocators abort the process on out-of-memory, as git's
 * xmalloc() does.  covalid is a command-line tool and a server whose
 * requests are bounded; running out of memory is not a condition any
 * caller could handle better than by stopping.
 *
 * Bounded buffers: every buffer filled from outside the process has a
 * maximum size fixed at init (curl's curlx_dyn_init(s, toobig)).  Appending
 * past it fails with -E2BIG and leaves the buffer as it was.
 *
 * Nothing here prints.  Functions are thread-safe unless they say otherwise.
 */
#ifndef COVALID_UTIL_H
#define COVALID_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CV_WUR __attribute__((warn_unused_result))
/* mingw's stdio is built C99-conformant (__USE_MINGW_ANSI_STDIO), so
 * formats are checked as GNU's (%zu, %lld), not as msvcrt's. */
#ifdef _WIN32
#define CV_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#else
#define CV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif
#define CV_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/*
 * A jansson value, for the headers that take or return JSON without
 * including <jansson.h> (the guest side builds without it): the same
 * typedef as jansson's, which C11 lets both repeat.
 */
typedef struct json_t json_t;

/* Allocation that never returns NULL. */
void *cv_xmalloc(size_t n);
void *cv_xcalloc(size_t nmemb, size_t size);
void *cv_xrealloc(void *p, size_t n);
void *cv_xreallocarray(void *p, size_t nmemb, size_t size);
char *cv_xstrdup(const char *s);
char *cv_xstrndup(const char *s, size_t n);
char *cv_xasprintf(const char *fmt, ...) CV_PRINTF(1, 2);

/* free() that returns NULL, for `p = cv_free(p);`. */
void *cv_free(void *p);

/*
 * struct cv_buf - a growable byte buffer with a hard upper bound.
 * The contents are always NUL-terminated (the NUL is not counted in len
 * and does not count against max), so text can be used in place.
 */
struct cv_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t max;
};

void cv_buf_init(struct cv_buf *b, size_t max);
void cv_buf_release(struct cv_buf *b);
void cv_buf_reset(struct cv_buf *b);
/* Room for n bytes (and the NUL after them) allocated now: for a buffer
 * whose usual size is known, one allocation instead of a doubling chain. */
void cv_buf_reserve(struct cv_buf *b, size_t n);
int cv_buf_append(struct cv_buf *b, const void *p, size_t n) CV_WUR;
int cv_buf_puts(struct cv_buf *b, const char *s) CV_WUR;
int cv_buf_printf(struct cv_buf *b, const char *fmt, ...) CV_PRINTF(2, 3) CV_WUR;
int cv_buf_vprintf(struct cv_buf *b, const char *fmt, va_list ap) CV_WUR;
/* s as XML character data or attribute text (the Atom feeds): & < > " escaped,
 * control characters other than tab and newline left out (XML 1.0 has no
 * way to write them). */
int cv_buf_xml_text(struct cv_buf *b, const char *s) CV_WUR;
/* Hands the data to the caller (who frees it) and resets the buffer. */
char *cv_buf_detach(struct cv_buf *b, size_t *ret_len);

/*
 * struct cv_strv - a NULL-terminated vector of owned strings.
 */
struct cv_strv {
	char **v;
	size_t n;
	size_t alloc;
};

void cv_strv_init(struct cv_strv *s);
void cv_strv_release(struct cv_strv *s);
void cv_strv_push(struct cv_strv *s, const char *str);
void cv_strv_push_take(struct cv_strv *s, char *str);
/* Push only if not present already.  Returns true if pushed. */
bool cv_strv_add_unique(struct cv_strv *s, const char *str);
bool cv_strv_contains(const struct cv_strv *s, const char *str);
void cv_strv_sort(struct cv_strv *s);
/* Joins with sep into a new string. */
char *cv_strv_join(const struct cv_strv *s, const char *sep);

/*
 * struct cv_hmap - a string-keyed hash map (open addressing, FNV-1a).
 * Keys are copied; values are whatever fits a uintptr_t.  Grows by
 * doubling; lookups are O(1) expected.
 */
struct cv_hmap {
	char **keys;
	uintptr_t *vals;
	size_t n, cap;
};

void cv_hmap_init(struct cv_hmap *m);
void cv_hmap_release(struct cv_hmap *m);
/* Inserts or replaces; returns true if the key was new. */
bool cv_hmap_put(struct cv_hmap *m, const char *key, uintptr_t val);
bool cv_hmap_get(const struct cv_hmap *m, const char *key, uintptr_t *ret);
uint64_t cv_hash(const void *p, size_t n);

/* String helpers. */
bool cv_streq(const char *a, const char *b); /* NULL-safe */
/* Whether word (not NULL, not empty) is one of the space-separated words of list. */
bool cv_word_in(const char *list, const char *word);
bool cv_startswith(const char *s, const char *prefix);
bool cv_endswith(const char *s, const char *suffix);
/* Trims ASCII whitespace at both ends, in place; returns s. */
char *cv_strstrip(char *s);
/* True if s is printable UTF-8 without control characters (C0, DEL, C1). */
bool cv_str_is_clean_utf8(const char *s, size_t len);
/* Copies s into a new string with control characters (C0, DEL and C1:
 * a terminal obeys U+009B as it does ESC [) and invalid UTF-8 replaced by
 * '?', at most max bytes: for echoing untrusted text. */
char *cv_str_sanitize(const char *s, size_t len, size_t max);
/* The same for text of several lines, whole: a newline is kept and
 * followed by indent (NULL: a newline is a '?' too), a tab is a space. */
char *cv_str_sanitize_text(const char *s, size_t len, const char *indent);
/* A UUID as SMBIOS and sysfs print one: 8-4-4-4-12 hexadecimal digits. */
bool cv_uuid_well_formed(const char *s);
/* Are all of its hex digits c (case-insensitive)?  All 0 or all F is "not set". */
bool cv_uuid_all(const char *s, char c);

/*
 * Strict number parsing: the whole string must be the number (leading and
 * trailing ASCII whitespace allowed), base 10 unless base is given, no
 * overflow.  Return 0, -EINVAL or -ERANGE; *ret is written only on success.
 */
int cv_parse_u64(const char *s, int base, uint64_t *ret) CV_WUR;
int cv_parse_i64(const char *s, int base, int64_t *ret) CV_WUR;
int cv_parse_int(const char *s, int *ret) CV_WUR;

/*
 * A network address as given on a command line: "HOST:PORT", or
 * "[HOST]:PORT" for an IPv6 address.  Every HOST:PORT the programs take
 * is read here: the server's --listen, the kit peer's --listen, the kit's
 * --peer.
 *
 * PORT is 1 to 5 decimal digits and at most 65535; 0 is accepted (a
 * listener lets the system choose).  HOST is what lies between the
 * brackets, or else everything before the last ':' (so an unbracketed
 * "::1:8080" still reads as ::1, port 8080); brackets anywhere else are
 * -EINVAL.  HOST may be empty: what that means (every address, or an
 * error) is the caller's rule, as is any other check of the name, which
 * getaddrinfo() makes.  Returns 0 or -EINVAL; *ret_host (allocated,
 * never NULL) and *ret_port are written only on success.
 */
int cv_parse_host_port(const char *s, char **ret_host, uint16_t *ret_port) CV_WUR;

/*
 * Reads a whole file, at most max bytes.  Returns 0, -E2BIG if the file is
 * larger (nothing returned), or a negative errno.  The data is
 * NUL-terminated; *ret_len excludes the NUL.
 */
int cv_read_file(const char *path, size_t max, char **ret, size_t *ret_len) CV_WUR;
/* Same for a stream such as stdin. */
int cv_read_stream(FILE *f, size_t max, char **ret, size_t *ret_len) CV_WUR;

/*
 * Writes data to path durably: path.tmp is written with mode, fsync'd,
 * renamed over path, and the directory fsync'd (git lockfile.c).  On
 * failure path is untouched and the temporary file removed.
 */
int cv_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) CV_WUR;

/*
 * Joins a (symlink) target to the relative directory holding it and
 * removes "." and ".." components: ("sys/block", "../devices/x/block/vda")
 * -> "sys/devices/x/block/vda".  An absolute target restarts at the root;
 * ".." never climbs above it.  The result is relative, without a leading '/'.
 */
char *cv_path_resolve(const char *dir, const char *target);

/* mkdir -p with mode for each created component. */
int cv_mkdir_p(const char *path, mode_t mode) CV_WUR;

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 bytes). */
void cv_time_iso8601(int64_t t, char *buf, size_t size);
/* Parses "YYYY-MM-DD" or the ISO form above, exactly, into seconds since
 * the epoch; -EINVAL for any other form or a date or time that does not
 * exist (2009-02-30, month 13, day 0, 24:00:00). */
int cv_time_parse(const char *s, int64_t *ret) CV_WUR;
/* Monotonic time in nanoseconds. */
uint64_t cv_now_ns(void);

#endif
