/* test-cpuid.c - the `cpuid -r -1` capture parser. */
#include "probe/cpuid.h"
#include "tap.h"
#include "covalid/util.h"

static const char capture[] =
	"CPU:\n"
	"   0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n"
	"   0x00000001 0x00: eax=0x00a00f11 ebx=0x00020800 ecx=0xfffa3203 edx=0x178bfbff\n"
	"   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n"
	"   0x0000000b 0x01: eax=0x00000005 ebx=0x00000002 ecx=0x00000201 edx=0x00000000\n";

TEST(parses_capture)
{
	struct cpuid_table t;
	struct cpuid_regs r;

	cpuid_table_init(&t);
	CHECK_INT(cpuid_parse(capture, sizeof(capture) - 1, &t), 0);
	CHECK_INT(t.n, 4);
	CHECK_INT(t.bad_lines, 0);
	CHECK(cpuid_get(&t, 0x40000000, 0, &r));
	CHECK_INT(r.ebx, 0x4b4d564b);
	CHECK(cpuid_get(&t, 0xb, 1, &r));
	CHECK_INT(r.eax, 5);
	CHECK(!cpuid_get(&t, 0xb, 2, &r));
	CHECK(!cpuid_get(&t, 0x40000001, 0, &r));
	cpuid_table_release(&t);
}

TEST(reads_only_first_cpu)
{
	static const char text[] =
		"CPU 0:\n   0x00000001 0x00: eax=0x1 ebx=0x0 ecx=0x80000000 edx=0x0\n"
		"CPU 1:\n   0x00000001 0x00: eax=0x2 ebx=0x0 ecx=0x0 edx=0x0\n";
	struct cpuid_table t;
	struct cpuid_regs r;

	cpuid_table_init(&t);
	CHECK_INT(cpuid_parse(text, sizeof(text) - 1, &t), 0);
	CHECK(cpuid_get(&t, 1, 0, &r));
	CHECK_INT(r.eax, 1);
	cpuid_table_release(&t);
}

TEST(counts_bad_lines_and_keeps_good_ones)
{
	static const char text[] =
		"   0x00000001 0x00: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0\n"
		"garbage\n"
		"   0x00000002 0x00: eax=0x123456789 ebx=0x0 ecx=0x0 edx=0x0\n" /* 9 digits */
		"   0x00000003 0x00: eax=0x1 ebx=0x0 ecx=0x0\n"                  /* short */
		"   0x00000004 0x00: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0 trailing\n";
	struct cpuid_table t;

	cpuid_table_init(&t);
	CHECK_INT(cpuid_parse(text, sizeof(text) - 1, &t), 0);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.bad_lines, 4);
	CHECK_INT(t.first_bad_line, 2);
	cpuid_table_release(&t);
}

TEST(nothing_parsed_is_an_error)
{
	struct cpuid_table t;

	cpuid_table_init(&t);
	CHECK_INT(cpuid_parse("hello\nworld\n", 12, &t), -EINVAL);
	CHECK_INT(cpuid_parse("", 0, &t), -EINVAL);
	CHECK_INT(cpuid_parse("\0\0\0", 3, &t), -EINVAL);
	cpuid_table_release(&t);
}

TEST(long_lines_and_nuls_do_not_overflow)
{
	size_t n = 1024 * 1024;
	char *big = cv_xmalloc(n);
	struct cpuid_table t;

	memset(big, 'x', n);
	big[100] = '\n';
	big[200] = '\0';
	cpuid_table_init(&t);
	CHECK_INT(cpuid_parse(big, n, &t), -EINVAL);
	CHECK(t.bad_lines >= 1);
	cpuid_table_release(&t);
	free(big);
}

TEST(format_roundtrips)
{
	struct cpuid_table t, u;
	char *s;

	cpuid_table_init(&t);
	cpuid_table_init(&u);
	CHECK_INT(cpuid_parse(capture, sizeof(capture) - 1, &t), 0);
	s = cpuid_format(&t);
	CHECK_INT(cpuid_parse(s, strlen(s), &u), 0);
	CHECK_INT(u.n, t.n);
	for (size_t i = 0; i < t.n && i < u.n; i++)
		CHECK(memcmp(&t.v[i], &u.v[i], sizeof(t.v[i])) == 0);
	free(s);
	cpuid_table_release(&t);
	cpuid_table_release(&u);
}

TEST(live_table_has_basic_leaves)
{
	struct cpuid_table t;
	struct cpuid_regs r;
	int res;

	cpuid_table_init(&t);
	res = cpuid_read_live(&t);
	if (res == -EOPNOTSUPP)
		tap_skip("this architecture has no CPUID");
	CHECK_INT(res, 0);
	CHECK(cpuid_get(&t, 0, 0, &r));
	CHECK(r.eax >= 1);
	cpuid_table_release(&t);
}

TAP_MAIN(parses_capture, reads_only_first_cpu, counts_bad_lines_and_keeps_good_ones, nothing_parsed_is_an_error,
	 long_lines_and_nuls_do_not_overflow, format_roundtrips, live_table_has_basic_leaves)
