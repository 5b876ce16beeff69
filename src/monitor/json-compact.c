/*
 * json-compact.c - JSON text written as jansson 2.14 writes it with
 * json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER), token by token from the
 * pull tokenizer.  The store keeps a report's health in that form (made by
 * json_dumps() when reports were read into a jansson tree), and other code
 * and tests read it back.  Members in the text's order; strings escaped as
 * jansson's dump.c escapes them ('"', '\\', and control characters as \b
 * \f \n \r \t or \u00XX, everything else as is); integers in decimal;
 * reals as "%.17g" with jansson's touches (strconv.c, jsonp_dtostr()).
 */
#include "monitor/monitor-internal.h"
#include "util/cv.h"
#include "util/json-pull.h"

void monitor_text_put(struct monitor_text *t, const void *s, size_t n)
{
	if (t->n + n + 1 > t->cap) {
		size_t c = t->cap ? t->cap : 256;

		while (c < t->n + n + 1)
			c *= 2;
		t->d = cv_xrealloc(t->d, c);
		t->cap = c;
	}
	memcpy(t->d + t->n, s, n);
	t->n += n;
	t->d[t->n] = '\0';
}

static void emit_string(struct monitor_text *t, const char *s, size_t n)
{
	size_t run = 0;

	monitor_text_put(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		const char *e;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		monitor_text_put(t, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			e = esc;
		}
		monitor_text_put(t, e, strlen(e));
	}
	monitor_text_put(t, s + run, n - run);
	monitor_text_put(t, "\"", 1);
}

/*
 * The exact decimal digits of v = m / 2^k (0 <= k <= 60, m < 2^53) that
 * "%.17g" prints, without printf (a heartbeat's health has half a dozen
 * reals, and glibc's printf was a third of reading one): 17 significant
 * digits, rounded to nearest with ties to even as glibc rounds, in fixed
 * notation (v is within [2^-8, 2^53), where %g never uses an exponent),
 * trailing zeros dropped.  Returns the length written to out.
 */
static size_t g17_fixed(uint64_t m, unsigned k, char *out)
{
	const uint64_t mask = k ? (UINT64_C(1) << k) - 1 : 0;
	uint64_t ip = k < 64 ? m >> k : 0, frac = m & mask;
	char d[40], ibuf[20];
	size_t nd = 0, ni = 0, o = 0;
	int x;        /* the decimal exponent of the first significant digit */
	bool sticky;

	do {
		ibuf[ni++] = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip);
	if (ni == 1 && ibuf[0] == '0') {
		/* Below 1: the fraction's leading zeros set the exponent. */
		x = -1;
		for (;;) {
			frac *= 10;
			if (frac >> k)
				break;
			x--;
		}
		d[nd++] = (char)('0' + (frac >> k));
		frac &= mask;
	} else {
		x = (int)ni - 1;
		while (ni)
			d[nd++] = ibuf[--ni];
	}
	while (nd < 18) {
		frac *= 10;
		d[nd++] = (char)('0' + (frac >> k));
		frac &= mask;
	}
	sticky = frac != 0;
	for (size_t i = 18; i < nd; i++)
		sticky |= d[i] != '0';
	if (d[17] > '5' || (d[17] == '5' && (sticky || ((d[16] - '0') & 1)))) {
		int i = 16;

		while (i >= 0 && d[i] == '9')
			d[i--] = '0';
		if (i < 0) {
			memmove(d + 1, d, 16);
			d[0] = '1';
			x++;
		} else {
			d[i]++;
		}
	}
	nd = 17;
	while (nd > 1 && d[nd - 1] == '0' && (int)nd - 1 > x)
		nd--;
	if (x >= 0) {
		for (int i = 0; i <= x; i++)
			out[o++] = i < (int)nd ? d[i] : '0';
		out[o++] = '.';
		if ((int)nd > x + 1) {
			for (size_t i = (size_t)x + 1; i < nd; i++)
				out[o++] = d[i];
		} else {
			out[o++] = '0'; /* jansson's ".0": a real stays a real */
		}
	} else {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = -1; i > x; i--)
			out[o++] = '0';
		for (size_t i = 0; i < nd; i++)
			out[o++] = d[i];
	}
	return o;
}

/*
 * A real as jansson 2.14 writes it (Debian's build, without its dtoa):
 * "%.17g", ".0" added when that reads as an integer, the exponent without
 * '+' and without leading zeros.  The C locale's decimal point.  Most
 * values (0, and magnitudes from 2^-8 to 2^53) take g17_fixed().
 */
static size_t real_text(double v, char out[40])
{
	char tmp[40];
	int n;
	size_t o = 0, i = 0;
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	if ((bits << 1) == 0) {
		memcpy(out, bits ? "-0.0" : "0.0", bits ? 5 : 4);
		return bits ? 4 : 3;
	}
	{
		int e = (int)((bits >> 52) & 0x7ff);
		uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);

		/* v = m * 2^(e - 1075); normal numbers with 0 <= 1075 - e <= 60. */
		if (e != 0 && e != 0x7ff && e <= 1075 && 1075 - e <= 60) {
			if (bits >> 63)
				out[o++] = '-';
			o += g17_fixed(m, (unsigned)(1075 - e), out + o);
			out[o] = '\0';
			return o;
		}
	}
	n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		n = 0;
	while (i < (size_t)n && tmp[i] != 'e')
		out[o++] = tmp[i++];
	if (i == (size_t)n) {
		if (!memchr(tmp, '.', (size_t)n)) {
			out[o++] = '.';
			out[o++] = '0';
		}
	} else {
		out[o++] = tmp[i++]; /* 'e' */
		if (tmp[i] == '-')
			out[o++] = tmp[i++];
		else if (tmp[i] == '+')
			i++;
		while (i + 1 < (size_t)n && tmp[i] == '0')
			i++;
		while (i < (size_t)n)
			out[o++] = tmp[i++];
	}
	out[o] = '\0';
	return o;
}

static size_t int_text(int64_t v, char out[24])
{
	char tmp[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, o = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[o++] = '-';
	while (n)
		out[o++] = tmp[--n];
	out[o] = '\0';
	return o;
}

void monitor_json_emit(struct monitor_text *t, bool *comma, const struct json_pull *p, int tok)
{
	char num[40];
	size_t n;

	if (tok == JSON_PULL_OBJECT_END || tok == JSON_PULL_ARRAY_END) {
		monitor_text_put(t, tok == JSON_PULL_OBJECT_END ? "}" : "]", 1);
		*comma = true;
		return;
	}
	if (*comma)
		monitor_text_put(t, ",", 1);
	*comma = true;
	switch (tok) {
	case JSON_PULL_OBJECT:
		monitor_text_put(t, "{", 1);
		*comma = false;
		break;
	case JSON_PULL_ARRAY:
		monitor_text_put(t, "[", 1);
		*comma = false;
		break;
	case JSON_PULL_KEY:
		emit_string(t, p->str, p->len);
		monitor_text_put(t, ":", 1);
		*comma = false;
		break;
	case JSON_PULL_STRING:
		emit_string(t, p->str, p->len);
		break;
	case JSON_PULL_INTEGER:
		n = int_text(p->integer, num);
		monitor_text_put(t, num, n);
		break;
	case JSON_PULL_REAL:
		n = real_text(p->real, num);
		monitor_text_put(t, num, n);
		break;
	case JSON_PULL_TRUE:
		monitor_text_put(t, "true", 4);
		break;
	case JSON_PULL_FALSE:
		monitor_text_put(t, "false", 5);
		break;
	case JSON_PULL_NULL:
		monitor_text_put(t, "null", 4);
		break;
	default:
		break;
	}
}

char *monitor_json_compact(const char *text, size_t len, size_t *ret_len)
{
	struct json_pull p;
	struct monitor_text t = { 0 };
	bool comma = false;
	int tok;

	json_pull_init(&p, text, len);
	while ((tok = json_pull_next(&p)) > JSON_PULL_END)
		monitor_json_emit(&t, &comma, &p, tok);
	json_pull_release(&p);
	if (tok != JSON_PULL_END) {
		free(t.d);
		return NULL;
	}
	if (ret_len)
		*ret_len = t.n;
	return t.d;
}

