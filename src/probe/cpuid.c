/* cpuid.c - CPUID tables from the live CPU or from a capture (see cpuid.h). */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "probe/cpuid.h"
#include "util/cv.h"

void cpuid_table_init(struct cpuid_table *t)
{
	memset(t, 0, sizeof(*t));
}

void cpuid_table_release(struct cpuid_table *t)
{
	free(t->v);
	cpuid_table_init(t);
}

static void table_put(struct cpuid_table *t, uint32_t leaf, uint32_t sub, const struct cpuid_regs *r)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].leaf == leaf && t->v[i].subleaf == sub) {
			t->v[i].r = *r;
			return;
		}
	if (t->n >= CPUID_MAX_ENTRIES)
		return;
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->v = cv_xreallocarray(t->v, t->alloc, sizeof(*t->v));
	}
	t->v[t->n++] = (struct cpuid_entry){ leaf, sub, *r };
}

/* Reads "0x" + 1..8 hex digits; advances *p. */
static bool hex32(const char **p, uint32_t *ret)
{
	const char *s = *p;
	uint32_t v = 0;
	int n = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	s += 2;
	for (;; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n == 8)
			return false;
		v = (v << 4) | (uint32_t)d;
	}
	if (n == 0)
		return false;
	*ret = v;
	*p = s;
	return true;
}

static bool lit(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

static void skip_sp(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* Parses one register line; the line is NUL-terminated. */
static bool parse_line(const char *s, uint32_t *leaf, uint32_t *sub, struct cpuid_regs *r)
{
	skip_sp(&s);
	if (!hex32(&s, leaf))
		return false;
	skip_sp(&s);
	if (!hex32(&s, sub) || !lit(&s, ":"))
		return false;
	skip_sp(&s);
	if (!lit(&s, "eax=") || !hex32(&s, &r->eax))
		return false;
	skip_sp(&s);
	if (!lit(&s, "ebx=") || !hex32(&s, &r->ebx))
		return false;
	skip_sp(&s);
	if (!lit(&s, "ecx=") || !hex32(&s, &r->ecx))
		return false;
	skip_sp(&s);
	if (!lit(&s, "edx=") || !hex32(&s, &r->edx))
		return false;
	skip_sp(&s);
	return *s == '\0' || *s == '\r';
}

int cpuid_parse(const char *text, size_t len, struct cpuid_table *t)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	int cpu = 0;
	char line[256];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		uint32_t leaf, sub;
		struct cpuid_regs r;

		lineno++;
		if (n >= sizeof(line)) {
			/* No valid line is that long. */
			if (cpu == 0 && !t->bad_lines++)
				t->first_bad_line = lineno;
			p += n + 1;
			continue;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + 1;
		if (memchr(line, '\0', n)) {
			if (cpu == 0 && !t->bad_lines++)
				t->first_bad_line = lineno;
			continue;
		}
		cv_strstrip(line);
		if (!line[0])
			continue;
		if (cv_startswith(line, "CPU")) {
			/* "CPU:" (with -1) or "CPU N:" */
			const char *q = line + 3;
			int v = 0;

			skip_sp(&q);
			if (*q == ':')
				cpu = 0;
			else {
				while (*q >= '0' && *q <= '9' && v < 1000000)
					v = v * 10 + (*q++ - '0');
				cpu = v;
			}
			continue;
		}
		if (cpu != 0)
			continue;
		if (!parse_line(line, &leaf, &sub, &r)) {
			if (!t->bad_lines++)
				t->first_bad_line = lineno;
			continue;
		}
		table_put(t, leaf, sub, &r);
	}
	return t->n ? 0 : -EINVAL;
}

#if defined(__x86_64__) || defined(__i386__)
static void live(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	__cpuid_count(leaf, sub, r->eax, r->ebx, r->ecx, r->edx);
}

/*
 * Reads the leaves the probe uses: basic leaves 0 and 1, the hypervisor
 * range 0x40000000 (and the alternative bases 0x40000100.. where KVM sits
 * when it presents Hyper-V's interface first) and the extended leaves 0 to
 * 4 for the brand string.  The hypervisor range is only meaningful when
 * leaf 1 says a hypervisor is present; bare metal returns junk there.
 */
int cpuid_read_live(struct cpuid_table *t)
{
	struct cpuid_regs r;
	uint32_t max;

	live(0, 0, &r);
	max = r.eax;
	table_put(t, 0, 0, &r);
	if (max >= 1) {
		live(1, 0, &r);
		table_put(t, 1, 0, &r);
	}
	if (r.ecx & (1u << 31)) {
		for (uint32_t base = 0x40000000; base <= 0x40000300; base += 0x100) {
			uint32_t top;

			live(base, 0, &r);
			table_put(t, base, 0, &r);
			top = r.eax;
			if (top < base || top > base + 0x20)
				top = base;
			for (uint32_t leaf = base + 1; leaf <= top; leaf++) {
				struct cpuid_regs q;

				live(leaf, 0, &q);
				table_put(t, leaf, 0, &q);
			}
		}
	}
	live(0x80000000, 0, &r);
	table_put(t, 0x80000000, 0, &r);
	for (uint32_t leaf = 0x80000001; leaf <= 0x80000004 && leaf <= r.eax; leaf++) {
		struct cpuid_regs q;

		live(leaf, 0, &q);
		table_put(t, leaf, 0, &q);
	}
	return 0;
}
#else
int cpuid_read_live(struct cpuid_table *t)
{
	(void)t;
	return -EOPNOTSUPP;
}
#endif

char *cpuid_format(const struct cpuid_table *t)
{
	struct cv_buf b;

	cv_buf_init(&b, CPUID_TEXT_MAX);
	if (cv_buf_puts(&b, "CPU:\n") < 0)
		abort();
	for (size_t i = 0; i < t->n; i++)
		if (cv_buf_printf(&b, "   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
				  t->v[i].leaf, t->v[i].subleaf, t->v[i].r.eax, t->v[i].r.ebx,
				  t->v[i].r.ecx, t->v[i].r.edx) < 0)
			break;
	return cv_buf_detach(&b, NULL);
}

bool cpuid_get(const struct cpuid_table *t, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *ret)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].leaf == leaf && t->v[i].subleaf == subleaf) {
			*ret = t->v[i].r;
			return true;
		}
	return false;
}
