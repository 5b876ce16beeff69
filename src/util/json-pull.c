/*
 * json-pull.c - a strict pull tokenizer for JSON text (see json-pull.h).
 *
 * The grammar is kept as a stack of open containers, each in one of four
 * states (just opened, after a key, after a value, after a comma); the top
 * level is "nothing read yet" or "value read".  Every token is checked
 * against that state when it is read, so a caller that skips a value gets
 * the same validation as one that reads it.
 *
 * Strings without escapes are returned in place (no copy): most strings
 * in covalid's documents are plain ASCII or UTF-8.  Their plain ASCII
 * runs are crossed 16 bytes at a time (SSE2, or 8 at a time in a 64-bit
 * word elsewhere): one test finds the first byte that needs a look, a
 * quote, a backslash, a control character or a byte of a multibyte
 * sequence, which is then read one at a time and validated as before.  A string with escapes
 * is decoded into one scratch buffer reused for the whole parse.
 *
 * Duplicate keys: each open object owns a run of the key list (keys
 * pointing into the text, or into an arena when they had escapes).  A small
 * object is searched linearly and its keys are not hashed; past SMALL_OBJECT
 * keys they are, and the object gets its own hash table, so that an object
 * of 100,000 keys is not quadratic.  The
 * hash is seeded from addresses (ASLR), so that a client cannot prepare
 * keys that collide.  Closing an object drops its keys and its table.
 *
 * Error wording follows jansson's (src/load.c in jansson 2.14): a reader
 * moved from jansson keeps the meaning of its messages.
 */
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* AVX2 where the compiler can build it apart and ask the CPU at run time
 * (GCC and clang on x86-64; not the Windows build, whose runtime the
 * check was not tried with). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(_WIN32)
#define WINDOW_AVX2 1
#include <immintrin.h>
#else
#define WINDOW_AVX2 0
#endif

#include "util/json-pull.h"
#include "util/cv.h"

/* Up to this many keys an object's duplicates are found by a linear scan
 * (length, then bytes), without hashing: descriptors' objects have 2 to 10
 * keys, and most keys differ in length from most others. */
#define SMALL_OBJECT 16

enum { TOP_START, TOP_DONE };
enum { F_FIRST, F_VALUE, F_AFTER, F_NEXT };

struct json_pull_frame {
	bool object;
	uint8_t state;
	size_t key_first;   /* this object's keys: keys[key_first .. nkeys) */
	size_t arena_first; /* and the arena bytes they own */
	uint32_t *tab;      /* past SMALL_OBJECT keys: index - key_first + 1, 0 empty */
	size_t tab_cap;
};

struct json_pull_key {
	uint64_t hash;
	size_t off, len;
	bool in_arena;
};

void json_pull_init(struct json_pull *p, const char *text, size_t len)
{
	uint64_t s = (uint64_t)(uintptr_t)p ^ ((uint64_t)(uintptr_t)text << 17) ^ (uint64_t)(uintptr_t)&json_pull_init;

	memset(p, 0, sizeof(*p));
	p->text = text;
	p->text_len = len;
	p->state = TOP_START;
	/* splitmix64's finalizer: every address bit reaches every seed bit. */
	s ^= s >> 30;
	s *= 0xbf58476d1ce4e5b9ull;
	s ^= s >> 27;
	s *= 0x94d049bb133111ebull;
	s ^= s >> 31;
	p->seed = s;
}

void json_pull_release(struct json_pull *p)
{
	for (size_t i = 0; i < p->depth; i++)
		free(p->frames[i].tab);
	free(p->frames);
	free(p->keys);
	free(p->arena);
	free(p->scratch);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

size_t json_pull_depth(const struct json_pull *p)
{
	return p->depth;
}

size_t json_pull_offset(const struct json_pull *p)
{
	return p->pos;
}

const char *json_pull_error(const struct json_pull *p, size_t *ret_offset)
{
	if (p->error && ret_offset)
		*ret_offset = p->error_pos;
	return p->error;
}

/* Records the first error with its line and column (columns count
 * characters, not bytes, as jansson's do) and makes it sticky. */
static int CV_PRINTF(3, 4) fail_at(struct json_pull *p, size_t off, const char *fmt, ...)
{
	size_t line = 1, col = 0;
	char what[160];
	va_list ap;

	if (p->error)
		return JSON_PULL_ERROR;
	if (off > p->text_len)
		off = p->text_len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)p->text[i];

		if (c == '\n') {
			line++;
			col = 0;
		} else if ((c & 0xc0) != 0x80) {
			col++;
		}
	}
	if (off < p->text_len)
		col++; /* the offending character itself */
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->error = cv_xasprintf("line %zu column %zu: %s", line, col, what);
	p->error_pos = off;
	return JSON_PULL_ERROR;
}

static inline bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline void skip_ws(struct json_pull *p)
{
	const unsigned char *t = (const unsigned char *)p->text;
	size_t i = p->pos, n = p->text_len;

	/* Compact text has no whitespace between tokens: one test. */
	if (i >= n || t[i] > ' ')
		return;
	while (i < n && is_ws(t[i]))
		i++;
	p->pos = i;
}

/* The current byte, or -1 at the end of the text. */
static int peek(const struct json_pull *p)
{
	return p->pos < p->text_len ? (unsigned char)p->text[p->pos] : -1;
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * the rules of jansson's utf8_check_first()/utf8_check_full() (RFC 3629).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k;
	uint32_t v;

	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		v = c & 0x07;
	} else {
		return 0; /* continuation byte, C0/C1 (overlong ASCII), F5..FF */
	}
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (k == 3 && v < 0x800) || (k == 4 && v < 0x10000))
		return 0;
	return k;
}

static void scratch_put(struct json_pull *p, size_t *len, const void *s, size_t n)
{
	if (*len + n + 1 > p->scratch_alloc) {
		size_t a = p->scratch_alloc ? p->scratch_alloc : 64;

		while (a < *len + n + 1)
			a *= 2;
		p->scratch = cv_xrealloc(p->scratch, a);
		p->scratch_alloc = a;
	}
	memcpy(p->scratch + *len, s, n);
	*len += n;
}

static int hex4(const unsigned char *s, size_t avail, uint32_t *ret)
{
	uint32_t v = 0;

	if (avail < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static size_t utf8_put(uint32_t v, char out[4])
{
	if (v < 0x80) {
		out[0] = (char)v;
		return 1;
	}
	if (v < 0x800) {
		out[0] = (char)(0xc0 | (v >> 6));
		out[1] = (char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		out[0] = (char)(0xe0 | (v >> 12));
		out[1] = (char)(0x80 | ((v >> 6) & 0x3f));
		out[2] = (char)(0x80 | (v & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (v >> 18));
	out[1] = (char)(0x80 | ((v >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((v >> 6) & 0x3f));
	out[3] = (char)(0x80 | (v & 0x3f));
	return 4;
}

/* An escape sequence at t[i] (the backslash); appends its bytes. */
static int scan_escape(struct json_pull *p, size_t *i, size_t *len, bool key)
{
	const unsigned char *t = (const unsigned char *)p->text;
	size_t n = p->text_len, at = *i;
	uint32_t v, v2;
	char u[4];

	if (at + 1 >= n)
		return fail_at(p, n, "premature end of input");
	switch (t[at + 1]) {
	case '"': case '\\': case '/':
		scratch_put(p, len, &t[at + 1], 1);
		*i = at + 2;
		return 0;
	case 'b': scratch_put(p, len, "\b", 1); *i = at + 2; return 0;
	case 'f': scratch_put(p, len, "\f", 1); *i = at + 2; return 0;
	case 'n': scratch_put(p, len, "\n", 1); *i = at + 2; return 0;
	case 'r': scratch_put(p, len, "\r", 1); *i = at + 2; return 0;
	case 't': scratch_put(p, len, "\t", 1); *i = at + 2; return 0;
	case 'u':
		break;
	default:
		return fail_at(p, at + 1, "invalid escape");
	}
	if (hex4(t + at + 2, n - (at + 2), &v) < 0)
		return fail_at(p, at + 2, "invalid escape");
	at += 6;
	if (v >= 0xd800 && v <= 0xdbff) {
		/* A high surrogate must be followed at once by a low one. */
		if (at + 1 < n && t[at] == '\\' && t[at + 1] == 'u') {
			if (hex4(t + at + 2, n - (at + 2), &v2) < 0)
				return fail_at(p, at + 2, "invalid escape");
			if (v2 < 0xdc00 || v2 > 0xdfff)
				return fail_at(p, at, "invalid Unicode '\\u%04X\\u%04X'", (unsigned)v, (unsigned)v2);
			v = ((v - 0xd800) << 10) + (v2 - 0xdc00) + 0x10000;
			at += 6;
		} else {
			return fail_at(p, at, "invalid Unicode '\\u%04X'", (unsigned)v);
		}
	} else if (v >= 0xdc00 && v <= 0xdfff) {
		return fail_at(p, at, "invalid Unicode '\\u%04X'", (unsigned)v);
	}
	if (v == 0)
		return fail_at(p, at, key ? "NUL byte in object key not supported" : "\\u0000 is not allowed");
	scratch_put(p, len, u, utf8_put(v, u));
	*i = at;
	return 0;
}

/* A byte that stands for itself in a string: printable ASCII, not '"' or '\\'. */
static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/*
 * The first byte at or after t[i] (before n) that is not plain, or n.
 * SWAR: a byte of x is < 0x20 if (x - 0x20..) & ~x & 0x80.. flags it, is
 * c if x ^ c..  is zero; the tests may flag bytes after the first real hit,
 * never miss one, and only say "somewhere in these 8": the bytes are then
 * looked at one by one.
 */
static inline size_t plain_run(const unsigned char *t, size_t i, size_t n)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);

	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
		/* Signed: 0x80..0xff are negative, so "< 0x20" takes them with the controls. */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
					 _mm_cmplt_epi8(v, space));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);

		if (mask)
			return i + (size_t)__builtin_ctz(mask);
		i += 16;
	}
#endif
	while (i + 8 <= n) {
		uint64_t x, q, b;

		memcpy(&x, t + i, 8);
		q = x ^ (ONES * '"');
		b = x ^ (ONES * '\\');
		if ((((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | x) & HIGHS)
			break;
		i += 8;
	}
	while (i < n && plain(t[i]))
		i++;
	return i;
}

/* A string at p->pos (the opening quote): sets p->str and p->len. */
static int scan_string(struct json_pull *p, bool key)
{
	const unsigned char *t = (const unsigned char *)p->text;
	size_t n = p->text_len, start = p->pos + 1, i = start, len = 0, k;
	unsigned c;

	/* The common case: no escapes, the string is returned in place. */
	for (;;) {
		i = plain_run(t, i, n);
		if (i >= n)
			return fail_at(p, n, "premature end of input");
		c = t[i];
		if (c == '"') {
			p->str = p->text + start;
			p->len = i - start;
			p->escaped = false;
			p->pos = i + 1;
			return 0;
		}
		if (c == '\\')
			break;
		if (c < 0x20)
			return c == '\n' ? fail_at(p, i, "unexpected newline") : fail_at(p, i, "control character 0x%x", c);
		if (c < 0x80) {
			i++;
			continue;
		}
		k = utf8_len(t + i, n - i);
		if (!k)
			return fail_at(p, i, "unable to decode byte 0x%x", c);
		i += k;
	}
	scratch_put(p, &len, t + start, i - start);
	for (;;) {
		if (i >= n)
			return fail_at(p, n, "premature end of input");
		c = t[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (scan_escape(p, &i, &len, key) < 0)
				return JSON_PULL_ERROR;
			continue;
		}
		if (c < 0x20)
			return c == '\n' ? fail_at(p, i, "unexpected newline") : fail_at(p, i, "control character 0x%x", c);
		k = c < 0x80 ? 1 : utf8_len(t + i, n - i);
		if (!k)
			return fail_at(p, i, "unable to decode byte 0x%x", c);
		scratch_put(p, &len, t + i, k);
		i += k;
	}
	p->scratch[len] = '\0';
	p->str = p->scratch;
	p->len = len;
	p->escaped = true;
	p->pos = i + 1;
	return 0;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * A number at p->pos.  The grammar is RFC 8259's; an integer is one
 * without fraction or exponent and must fit int64_t (jansson: strtoll,
 * ERANGE is an error); a real is strtod()'s value, an error only when it
 * overflows (jansson's jsonp_strtod()).
 */
static int scan_number(struct json_pull *p)
{
	const unsigned char *t = (const unsigned char *)p->text;
	size_t n = p->text_len, i = p->pos, digits;
	bool neg = false, real = false;

	if (t[i] == '-') {
		neg = true;
		i++;
	}
	if (i >= n || !is_digit(t[i]))
		return fail_at(p, p->pos, "invalid token");
	digits = i;
	if (t[i] == '0') {
		i++;
		if (i < n && is_digit(t[i]))
			return fail_at(p, p->pos, "invalid token");
	} else {
		while (i < n && is_digit(t[i]))
			i++;
	}
	if (i < n && t[i] == '.') {
		i++;
		if (i >= n || !is_digit(t[i]))
			return fail_at(p, p->pos, "invalid token");
		while (i < n && is_digit(t[i]))
			i++;
		real = true;
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		if (i >= n || !is_digit(t[i]))
			return fail_at(p, p->pos, "invalid token");
		while (i < n && is_digit(t[i]))
			i++;
		real = true;
	}
	if (!real) {
		uint64_t acc = 0, limit = neg ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1;

		for (size_t k = digits; k < i; k++) {
			unsigned d = t[k] - '0';

			if (acc > (limit - d) / 10)
				return fail_at(p, p->pos, neg ? "too big negative integer" : "too big integer");
			acc = acc * 10 + d;
		}
		p->integer = neg ? (acc == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
		p->pos = i;
		return JSON_PULL_INTEGER;
	}
	{
		/* strtod() needs a terminated copy: the text need not be. */
		char small[64], *s = i - p->pos < sizeof(small) ? small : cv_xmalloc(i - p->pos + 1);
		double v;

		memcpy(s, t + p->pos, i - p->pos);
		s[i - p->pos] = '\0';
		errno = 0;
		v = strtod(s, NULL);
		if ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE) {
			if (s != small)
				free(s);
			return fail_at(p, p->pos, "real number overflow");
		}
		if (s != small)
			free(s);
		p->real = v;
	}
	p->pos = i;
	return JSON_PULL_REAL;
}

static int scan_literal(struct json_pull *p, const char *word, size_t k, int token)
{
	if (p->text_len - p->pos < k || memcmp(p->text + p->pos, word, k) != 0)
		return fail_at(p, p->pos, "invalid token");
	p->pos += k;
	return token;
}

static uint64_t key_hash(const struct json_pull *p, const char *s, size_t n)
{
	uint64_t h = p->seed;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static const char *key_text(const struct json_pull *p, const struct json_pull_key *k)
{
	return k->in_arena ? p->arena + k->off : p->text + k->off;
}

static bool key_equal(const struct json_pull *p, const struct json_pull_key *k, uint64_t h, const char *s,
		      size_t n)
{
	return k->hash == h && k->len == n && memcmp(key_text(p, k), s, n) == 0;
}

static void tab_insert(struct json_pull_frame *f, const struct json_pull_key *keys, size_t idx)
{
	size_t m = f->tab_cap - 1, j = (size_t)keys[idx].hash & m;

	while (f->tab[j])
		j = (j + 1) & m;
	f->tab[j] = (uint32_t)(idx - f->key_first + 1);
}

/* Adds the key just scanned to the innermost object; -EEXIST if it is there.
 * Keys are hashed only once their object has a table (f->tab set: then
 * every one of its keys has its hash). */
static int key_add(struct json_pull *p, struct json_pull_frame *f)
{
	uint64_t h = 0;
	size_t count = p->nkeys - f->key_first;
	struct json_pull_key *k;

	if (!f->tab) {
		for (size_t i = f->key_first; i < p->nkeys; i++)
			/* The first bytes first: most keys of the same length
			 * differ there, and memcmp() is a call. */
			if (p->keys[i].len == p->len &&
			    (!p->len || (*key_text(p, &p->keys[i]) == p->str[0] &&
					 memcmp(key_text(p, &p->keys[i]), p->str, p->len) == 0)))
				return -EEXIST;
	} else {
		size_t m = f->tab_cap - 1, j;

		h = key_hash(p, p->str, p->len);
		for (j = (size_t)h & m; f->tab[j]; j = (j + 1) & m)
			if (key_equal(p, &p->keys[f->key_first + f->tab[j] - 1], h, p->str, p->len))
				return -EEXIST;
	}
	if (p->nkeys == p->keys_alloc) {
		p->keys_alloc = p->keys_alloc ? p->keys_alloc * 2 : 32;
		p->keys = cv_xreallocarray(p->keys, p->keys_alloc, sizeof(*p->keys));
	}
	k = &p->keys[p->nkeys++];
	k->hash = h;
	k->len = p->len;
	if (!p->escaped) {
		k->in_arena = false;
		k->off = (size_t)(p->str - p->text);
	} else {
		/* Decoded into the scratch buffer, which the next string reuses. */
		if (p->arena_len + p->len > p->arena_alloc) {
			size_t a = p->arena_alloc ? p->arena_alloc : 256;

			while (a < p->arena_len + p->len)
				a *= 2;
			p->arena = cv_xrealloc(p->arena, a);
			p->arena_alloc = a;
		}
		memcpy(p->arena + p->arena_len, p->str, p->len);
		k->in_arena = true;
		k->off = p->arena_len;
		p->arena_len += p->len;
	}
	count++;
	if (count > SMALL_OBJECT && count * 2 > f->tab_cap) {
		/* (Re)build the table at twice the keys, at most half full;
		 * the first time, the keys read so far get their hashes. */
		size_t cap = 32;

		if (!f->tab)
			for (size_t i = f->key_first; i < p->nkeys; i++)
				p->keys[i].hash = key_hash(p, key_text(p, &p->keys[i]), p->keys[i].len);
		while (cap < count * 4)
			cap *= 2;
		free(f->tab);
		f->tab = cv_xcalloc(cap, sizeof(*f->tab));
		f->tab_cap = cap;
		for (size_t i = f->key_first; i < p->nkeys; i++)
			tab_insert(f, p->keys, i);
	} else if (f->tab) {
		tab_insert(f, p->keys, p->nkeys - 1);
	}
	return 0;
}

static int open_container(struct json_pull *p, bool object)
{
	struct json_pull_frame *f;

	if (p->depth == p->frames_alloc) {
		p->frames_alloc = p->frames_alloc ? p->frames_alloc * 2 : 16;
		p->frames = cv_xreallocarray(p->frames, p->frames_alloc, sizeof(*p->frames));
	}
	f = &p->frames[p->depth++];
	f->object = object;
	f->state = F_FIRST;
	f->key_first = p->nkeys;
	f->arena_first = p->arena_len;
	f->tab = NULL;
	f->tab_cap = 0;
	p->pos++;
	return object ? JSON_PULL_OBJECT : JSON_PULL_ARRAY;
}

static int close_container(struct json_pull *p)
{
	struct json_pull_frame *f = &p->frames[--p->depth];

	free(f->tab);
	f->tab = NULL;
	p->nkeys = f->key_first;
	p->arena_len = f->arena_first;
	p->pos++;
	return f->object ? JSON_PULL_OBJECT_END : JSON_PULL_ARRAY_END;
}

/* A value at p->pos, one level inside the innermost open container. */
static int scan_value(struct json_pull *p)
{
	int c = peek(p);

	/* jansson counts every value, scalars too: the outermost is at 1. */
	if (p->depth + 1 > JSON_PULL_MAX_DEPTH)
		return fail_at(p, p->pos, "maximum parsing depth reached");
	switch (c) {
	case '{':
		return open_container(p, true);
	case '[':
		return open_container(p, false);
	case '"':
		return scan_string(p, false) < 0 ? JSON_PULL_ERROR : JSON_PULL_STRING;
	case 't':
		return scan_literal(p, "true", 4, JSON_PULL_TRUE);
	case 'f':
		return scan_literal(p, "false", 5, JSON_PULL_FALSE);
	case 'n':
		return scan_literal(p, "null", 4, JSON_PULL_NULL);
	case '}': case ']': case ':': case ',':
		return fail_at(p, p->pos, "unexpected token");
	case -1:
		return fail_at(p, p->pos, "premature end of input");
	default:
		if (c == '-' || is_digit(c))
			return scan_number(p);
		return fail_at(p, p->pos, "invalid token");
	}
}

int json_pull_next(struct json_pull *p)
{
	struct json_pull_frame *f;
	int c;

	if (p->error)
		return JSON_PULL_ERROR;
	skip_ws(p);
	c = peek(p);
	if (p->depth == 0) {
		if (p->state == TOP_DONE)
			return c < 0 ? JSON_PULL_END : fail_at(p, p->pos, "end of file expected");
		if (c != '{' && c != '[')
			return fail_at(p, p->pos, "'[' or '{' expected");
		p->state = TOP_DONE;
		return open_container(p, c == '{');
	}
	f = &p->frames[p->depth - 1];
	switch (f->state) {
	case F_AFTER:
		if (c == (f->object ? '}' : ']'))
			return close_container(p);
		if (c != ',')
			return fail_at(p, p->pos, f->object ? "'}' expected" : "']' expected");
		p->pos++;
		skip_ws(p);
		c = peek(p);
		f->state = F_NEXT;
		break;
	case F_FIRST:
		if (c == (f->object ? '}' : ']'))
			return close_container(p);
		break;
	default:
		break;
	}
	if (f->object && f->state != F_VALUE) {
		if (c != '"')
			return fail_at(p, p->pos, "string or '}' expected");
		if (scan_string(p, true) < 0)
			return JSON_PULL_ERROR;
		if (key_add(p, f) < 0)
			return fail_at(p, p->pos - 1, "duplicate object key");
		skip_ws(p);
		if (peek(p) != ':')
			return fail_at(p, p->pos, "':' expected");
		p->pos++;
		f->state = F_VALUE;
		return JSON_PULL_KEY;
	}
	f->state = F_AFTER;
	return scan_value(p);
}

int json_pull_skip(struct json_pull *p, int token)
{
	size_t outer;

	if (token == JSON_PULL_KEY)
		token = json_pull_next(p);
	if (token == JSON_PULL_ERROR)
		return -EINVAL;
	if (token != JSON_PULL_OBJECT && token != JSON_PULL_ARRAY)
		return 0;
	outer = p->depth - 1;
	while (p->depth > outer)
		if (json_pull_next(p) == JSON_PULL_ERROR)
			return -EINVAL;
	return 0;
}

/*
 * The plain-array skipper reads the text through a 64-byte window held as
 * three bit masks: bit k of quote is set when t[base + k] is '"', bit k of
 * odd when it is a byte a plain string cannot hold as is (a backslash, a
 * control character) or one that needs a UTF-8 check (>= 0x80), bit k of
 * ws when it is whitespace.  A string is then crossed by finding the next
 * set bit, with no loop over its bytes and no call: evidence lists are
 * mostly short strings, several to a window, and loading the bytes once
 * for all of them is what makes the skip cheap.  So is the indentation of
 * a pretty-printed descriptor (what `covalid probe --json` writes): a run
 * of spaces is crossed by the next clear bit of ws.  Past the end of the
 * text the window is padded with a plain byte, so that nothing there is
 * ever taken for a quote or for whitespace.
 */
struct window {
	size_t base;
	uint64_t quote, odd, ws;
};

/* The masks of s[0..64). */
static void window_masks(const unsigned char *s, struct window *w)
{
	uint64_t q = 0, o = 0, b = 0;

#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
	const __m128i nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), tab = _mm_set1_epi8('\t');

	for (unsigned k = 0; k < 64; k += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
		/* Signed: 0x80..0xff are negative, so "< 0x20" takes them with the controls. */
		__m128i odd = _mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_cmplt_epi8(v, space));
		__m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, nl)),
					  _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, tab)));

		q |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << k;
		o |= (uint64_t)(unsigned)_mm_movemask_epi8(odd) << k;
		b |= (uint64_t)(unsigned)_mm_movemask_epi8(ws) << k;
	}
#else
	for (unsigned k = 0; k < 64; k++) {
		q |= (uint64_t)(s[k] == '"') << k;
		o |= (uint64_t)(s[k] == '\\' || s[k] < 0x20 || s[k] >= 0x80) << k;
		b |= (uint64_t)is_ws(s[k]) << k;
	}
#endif
	w->quote = q;
	w->odd = o;
	w->ws = b;
}

#if WINDOW_AVX2
/* The same in two 32-byte halves, on a CPU that has AVX2 (asked at run
 * time: the program is built for any x86-64). */
__attribute__((target("avx2"))) static inline __m256i ws_avx2(__m256i v)
{
	return _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(' ')),
					       _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n'))),
			       _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r')),
					       _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t'))));
}

__attribute__((target("avx2"))) static void window_masks_avx2(const unsigned char *s, struct window *w)
{
	const __m256i quote = _mm256_set1_epi8('"'), bslash = _mm256_set1_epi8('\\'), space = _mm256_set1_epi8(0x20);
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)s);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(s + 32));
	/* Signed, as above: space > v for the controls and for 0x80..0xff. */
	__m256i oa = _mm256_or_si256(_mm256_cmpeq_epi8(a, bslash), _mm256_cmpgt_epi8(space, a));
	__m256i ob = _mm256_or_si256(_mm256_cmpeq_epi8(b, bslash), _mm256_cmpgt_epi8(space, b));

	w->quote = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, quote)) |
		   (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, quote)) << 32;
	w->odd = (uint64_t)(uint32_t)_mm256_movemask_epi8(oa) | (uint64_t)(uint32_t)_mm256_movemask_epi8(ob) << 32;
	w->ws = (uint64_t)(uint32_t)_mm256_movemask_epi8(ws_avx2(a)) |
		(uint64_t)(uint32_t)_mm256_movemask_epi8(ws_avx2(b)) << 32;
}
#endif

static void window_load(struct window *w, const unsigned char *t, size_t n, size_t at)
{
	unsigned char pad[64];
	const unsigned char *s = t + at;

	if (n - at < 64) {
		memset(pad, 'a', sizeof(pad));
		memcpy(pad, s, n - at);
		s = pad;
	}
	w->base = at;
#if WINDOW_AVX2
	if (__builtin_cpu_supports("avx2")) {
		window_masks_avx2(s, w);
		return;
	}
#endif
	window_masks(s, w);
}

/*
 * A string whose content starts at t[i] (just past its opening quote), with
 * no escape, no control character and valid UTF-8: the offset of its
 * closing quote; 0 for anything else (the caller then reads the text the
 * exact way, which words the fault).  w holds a window with base <= i.
 */
static inline size_t window_string(struct window *w, const unsigned char *t, size_t n, size_t i)
{
	for (;;) {
		uint64_t m;
		size_t k;

		if (i - w->base >= 64) {
			if (i >= n)
				return 0;
			window_load(w, t, n, i);
		}
		m = (w->quote | w->odd) >> (i - w->base);
		if (!m) {
			i = w->base + 64;
			continue;
		}
		i += (size_t)__builtin_ctzll(m);
		if ((w->quote >> (i - w->base)) & 1)
			return i;
		if (t[i] < 0x80 || !(k = utf8_len(t + i, n - i)))
			return 0; /* an escape, a control character, a bad byte */
		i += k;
	}
}

/* The string at t[i] (its opening quote) as window_string() reads it: the
 * offset just past it and its content, or 0. */
static inline size_t window_take(struct window *w, const unsigned char *t, size_t n, size_t i,
				 const unsigned char **ret_s, size_t *ret_n)
{
	size_t e = window_string(w, t, n, i + 1);

	if (!e)
		return 0;
	*ret_s = t + i + 1;
	*ret_n = e - (i + 1);
	return e + 1;
}

/* memcmp() for a short name, without the call. */
static inline bool same_bytes(const char *a, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)a[i] != b[i])
			return false;
	return true;
}

/*
 * The member names an array's items may have, for a skip that meets each
 * of them dozens of times a descriptor: a name of up to 8 bytes is also
 * kept as a word (its bytes, zero-padded, little-endian), so that a
 * member's name is matched with one load and one compare per candidate
 * instead of a byte loop.
 */
struct names {
	const char *const *keys;
	const uint8_t *lens;
	unsigned n;
	uint64_t words[32];
};

static void names_init(struct names *m, const char *const *keys, const uint8_t *lens, unsigned n)
{
	m->keys = keys;
	m->lens = lens;
	m->n = n;
	for (unsigned k = 0; k < n; k++) {
		m->words[k] = 0;
		if (lens[k] <= 8)
			memcpy(&m->words[k], keys[k], lens[k]);
	}
}

/* Which of the names s[0..len) is (avail: the bytes readable from s), or
 * m->n when none. */
static inline unsigned find_key(const struct names *m, const unsigned char *s, size_t len, size_t avail)
{
	unsigned k = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len && len <= 8 && avail >= 8) {
		uint64_t x;

		memcpy(&x, s, 8);
		x &= ~UINT64_C(0) >> (64 - 8 * len);
		while (k < m->n && !(m->lens[k] == len && m->words[k] == x))
			k++;
		return k;
	}
#else
	(void)avail;
#endif
	while (k < m->n && !(m->lens[k] == len && same_bytes(m->keys[k], s, len)))
		k++;
	return k;
}

static inline size_t quiet_ws(const unsigned char *t, size_t i, size_t n)
{
	/* Compact text has none: one test for the usual byte. */
	if (i < n && t[i] > ' ')
		return i;
	while (i < n && is_ws(t[i]))
		i++;
	return i;
}

/* quiet_ws() through the window (w->base <= i): a run of whitespace is
 * crossed by its mask.  The padding past the text's end is not
 * whitespace, so a run never goes beyond n. */
static inline size_t window_ws(struct window *w, const unsigned char *t, size_t n, size_t i)
{
	if (i < n && t[i] > ' ')
		return i;
	for (;;) {
		uint64_t m;

		if (i >= n)
			return i;
		if (i - w->base >= 64)
			window_load(w, t, n, i);
		m = ~w->ws >> (i - w->base);
		if (m)
			return i + (size_t)__builtin_ctzll(m);
		i = w->base + 64;
	}
}

int json_pull_skip_plain_array(struct json_pull *p, size_t max_items, const char *const *keys, const uint8_t *lens,
			       unsigned nkeys)
{
	const unsigned char *t = (const unsigned char *)p->text, *str;
	size_t n = p->text_len, i = p->pos, items = 0, len;
	struct window w;
	struct names names;

	/* Only straight after the array's '[' (json_pull_next() returned it). */
	if (p->error || !p->depth || p->frames[p->depth - 1].object || p->frames[p->depth - 1].state != F_FIRST ||
	    nkeys > 32 || p->depth + 2 > JSON_PULL_MAX_DEPTH)
		return 0;
	i = quiet_ws(t, i, n);
	if (i >= n)
		return 0;
	if (t[i] == ']')
		goto done;
	window_load(&w, t, n, i);
	names_init(&names, keys, lens, nkeys);
	for (;;) {
		if (items++ == max_items || i >= n)
			return 0;
		if (nkeys == 0) {
			if (t[i] != '"' || !(i = window_take(&w, t, n, i, &str, &len)))
				return 0;
		} else {
			uint32_t seen = 0;

			if (t[i] != '{')
				return 0;
			i = window_ws(&w, t, n, i + 1);
			if (i < n && t[i] == '}') {
				i++;
			} else {
				for (;;) {
					unsigned k = 0;

					if (i >= n || t[i] != '"' || !(i = window_take(&w, t, n, i, &str, &len)))
						return 0;
					k = find_key(&names, str, len, (size_t)(t + n - str));
					if (k == nkeys || (seen & (UINT32_C(1) << k)))
						return 0; /* unknown or repeated: the exact way */
					seen |= UINT32_C(1) << k;
					i = window_ws(&w, t, n, i);
					if (i >= n || t[i] != ':')
						return 0;
					i = window_ws(&w, t, n, i + 1);
					if (i < n && t[i] == '"') {
						if (!(i = window_take(&w, t, n, i, &str, &len)))
							return 0;
					} else if (n - i >= 4 && memcmp(t + i, "null", 4) == 0) {
						i += 4;
					} else {
						return 0;
					}
					i = window_ws(&w, t, n, i);
					if (i < n && t[i] == ',') {
						i = window_ws(&w, t, n, i + 1);
						continue;
					}
					if (i < n && t[i] == '}') {
						i++;
						break;
					}
					return 0;
				}
			}
		}
		i = window_ws(&w, t, n, i);
		if (i < n && t[i] == ',') {
			i = window_ws(&w, t, n, i + 1);
			continue;
		}
		if (i < n && t[i] == ']')
			break;
		return 0;
	}
done:
	/* As close_container() after the last token: the array's frame goes. */
	p->pos = i;
	close_container(p);
	return 1;
}
