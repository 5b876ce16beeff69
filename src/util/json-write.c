/* json-write.c - JSON text without a tree, as jansson dumps it (see util/json-write.h). */
#include "util/json-write.h"
#include "util/cv.h"

void json_write_init(struct json_write *w, struct cv_buf *out)
{
	w->out = out;
	w->err = 0;
	w->depth = 0;
	w->comma = 0;
	w->key = false;
	w->start = out->len;
}

static void fail(struct json_write *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* Most pieces are a few bytes into room the buffer already has: copied
 * in place, not through cv_buf_append() (which keeps the same invariants:
 * within max, NUL-terminated). */
static inline void put(struct json_write *w, const void *p, size_t n)
{
	struct cv_buf *b = w->out;
	int r;

	if (n < b->alloc - b->len && n <= b->max - b->len) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	r = cv_buf_append(b, p, n);
	if (r < 0)
		fail(w, r);
}

static void cut(struct cv_buf *b, size_t len)
{
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

int json_write_end(struct json_write *w)
{
	if (!w->err && w->depth != 0)
		fail(w, -EINVAL);
	if (w->err)
		cut(w->out, w->start);
	return w->err;
}

/* Before a value or a key: the comma after the container's previous one. */
static void separate(struct json_write *w)
{
	uint64_t bit;

	if (w->key) {
		w->key = false;
		return;
	}
	if (w->depth == 0)
		return;
	bit = UINT64_C(1) << (w->depth - 1);
	if (w->comma & bit)
		put(w, ",", 1);
	w->comma |= bit;
}

static void open_container(struct json_write *w, char c)
{
	if (w->err)
		return;
	if (w->depth == JSON_WRITE_MAX_DEPTH) {
		fail(w, -EINVAL);
		return;
	}
	separate(w);
	put(w, &c, 1);
	w->depth++;
	w->comma &= ~(UINT64_C(1) << (w->depth - 1));
}

static void close_container(struct json_write *w, char c)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->key) {
		fail(w, -EINVAL);
		return;
	}
	w->depth--;
	put(w, &c, 1);
}

void json_write_object_open(struct json_write *w)
{
	open_container(w, '{');
}

void json_write_object_close(struct json_write *w)
{
	close_container(w, '}');
}

void json_write_array_open(struct json_write *w)
{
	open_container(w, '[');
}

void json_write_array_close(struct json_write *w)
{
	close_container(w, ']');
}

/*
 * The length of the UTF-8 sequence at p (p[0] >= 0x80; the string is
 * NUL-terminated, so a sequence cut short meets the NUL, which is not a
 * continuation byte), or 0 if jansson's utf8_check_first() and
 * utf8_check_full() refuse it.
 */
static size_t utf8_sequence(const unsigned char *p)
{
	unsigned char u = p[0];
	uint32_t v;
	size_t n;

	if (u < 0xC2) /* a continuation byte, or 0xC0/0xC1 (overlong ASCII) */
		return 0;
	if (u <= 0xDF) {
		n = 2;
		v = u & 0x1F;
	} else if (u <= 0xEF) {
		n = 3;
		v = u & 0x0F;
	} else if (u <= 0xF4) {
		n = 4;
		v = u & 0x07;
	} else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
		return 0;
	return n;
}

bool json_write_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char seq[5];

	for (size_t i = 0; i < len;) {
		size_t n;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		/* A NUL-terminated copy: utf8_sequence() reads up to the first
		 * non-continuation byte, never past len. */
		n = len - i < 4 ? len - i : 4;
		memcpy(seq, p + i, n);
		seq[n] = '\0';
		n = utf8_sequence(seq);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/*
 * Whether the eight bytes at p are all plain: printable ASCII, neither
 * '"' nor '\\' (SWAR: a byte below 0x20, or equal to '"' or '\\' after
 * an xor, borrows into its top bit; a byte from 0x80 has it already).
 * Only the answer "any" is used, which the borrows do not falsify.
 */
static inline bool plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, tops = 0x8080808080808080ull;
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return !((v | ((v - 0x20 * ones) | ((v ^ 0x22 * ones) - ones) | ((v ^ 0x5C * ones) - ones))) & tops);
}

/*
 * Plain bytes go out in runs; only what jansson's dump_string() escapes
 * breaks a run.  The string is checked as it is written: jansson checks
 * it when the tree is built (json_string()), which leaves no string in
 * the tree, so here nothing of it stays in the buffer either.
 */
static void put_string(struct json_write *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *run, *end;
	size_t before = w->out->len;

	if (!s) {
		fail(w, -EILSEQ);
		return;
	}
	end = p + strlen(s);
	put(w, "\"", 1);
	for (run = p;;) {
		unsigned char c;
		char esc[6];
		size_t n;

		/* Plain stretches eight bytes at a time (within the string:
		 * strlen() has found its end). */
		while (end - p >= 8 && plain8(p))
			p += 8;
		c = *p;
		if (c >= 0x20 && c != '"' && c != '\\') {
			if (c < 0x80)
				p++;
			else if ((n = utf8_sequence(p)) != 0)
				p += n;
			else {
				cut(w->out, before);
				fail(w, -EILSEQ);
				return;
			}
			continue;
		}
		if (p != run)
			put(w, run, (size_t)(p - run));
		if (c == '\0')
			break;
		esc[0] = '\\';
		n = 2;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default: /* "\\u%04X" */
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xF];
			n = 6;
			break;
		}
		put(w, esc, n);
		run = ++p;
	}
	put(w, "\"", 1);
}

/* The longest name json_write_name() writes in one piece. */
#define KEY_SHORT 48

/* Before a name: false if one may not come here (then failed). */
static bool begin_name(struct json_write *w)
{
	if (w->err)
		return false;
	if (w->key) {
		fail(w, -EINVAL);
		return false;
	}
	separate(w);
	w->key = true;
	return true;
}

void json_write_key_quoted(struct json_write *w, const char *quoted, size_t n)
{
	if (begin_name(w))
		put(w, quoted, n);
}

void json_write_name(struct json_write *w, const char *key)
{
	if (!begin_name(w))
		return;
	if (key) {
		/* A short plain name: '"name":' goes out in one piece.
		 * Anything else takes put_string()'s way. */
		char one[2 + KEY_SHORT + 1];
		size_t n = 0;
		unsigned char c;

		while (n < KEY_SHORT && (c = (unsigned char)key[n]) >= 0x20 && c < 0x80 && c != '"' && c != '\\')
			one[1 + n++] = (char)c;
		if (key[n] == '\0') {
			one[0] = '"';
			one[1 + n] = '"';
			one[2 + n] = ':';
			put(w, one, n + 3);
			return;
		}
	}
	put_string(w, key);
	put(w, ":", 1);
}

void json_write_string(struct json_write *w, const char *s)
{
	if (w->err)
		return;
	separate(w);
	put_string(w, s);
}

void json_write_string_or_null(struct json_write *w, const char *s)
{
	if (s)
		json_write_string(w, s);
	else
		json_write_null(w);
}

void json_write_int(struct json_write *w, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (w->err)
		return;
	separate(w);
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void json_write_bool(struct json_write *w, bool v)
{
	if (w->err)
		return;
	separate(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void json_write_null(struct json_write *w)
{
	if (w->err)
		return;
	separate(w);
	put(w, "null", 4);
}

struct json_write_mark json_write_mark(const struct json_write *w)
{
	return (struct json_write_mark){
		.len = w->out->len, .err = w->err, .comma = w->comma, .depth = w->depth, .key = w->key
	};
}

bool json_write_drop(struct json_write *w, const struct json_write_mark *m)
{
	if (m->err || w->err != -EILSEQ)
		return false;
	cut(w->out, m->len);
	w->comma = m->comma;
	w->depth = m->depth;
	w->key = m->key;
	w->err = 0;
	return true;
}
