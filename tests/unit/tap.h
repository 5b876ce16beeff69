/*
 * tap.h - a small fork-per-test TAP runner for the unit tests.
 *
 * Each test runs in its own child process (libuv's test/runner.c), so a
 * crash, a sanitizer report or a hang is pinned on the test that caused
 * it and the others still run.  Output is TAP for `prove`.
 *
 *   TEST(parses_ranges) { CHECK(x == 1); CHECK_STR(s, "a"); }
 *   TAP_MAIN(parses_ranges, other_test)
 */
#ifndef COVALID_TESTS_TAP_H
#define COVALID_TESTS_TAP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_test {
	const char *name;
	void (*fn)(void);
};

void tap_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tap_skip(const char *why);
int tap_run(const struct tap_test *tests, size_t n, int argc, char **argv);
/* The source tree, for test data (fixtures). */
const char *tap_srcdir(void);
/* A fresh temporary directory for this test, removed by the runner. */
const char *tap_tmpdir(void);
/* Marsaglia's xorshift64 (13, 7, 17): the next of *state, never 0 from a
 * non-zero seed; a repeatable stream of test inputs. */
static inline uint64_t tap_xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

#define TEST(name) static void name(void)

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond))                                            \
			tap_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_INT(a, b)                                                                 \
	do {                                                                            \
		long long a_ = (long long)(a), b_ = (long long)(b);                     \
		if (a_ != b_)                                                           \
			tap_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, \
				 a_, #b, b_);                                           \
	} while (0)

#define CHECK_STR(a, b)                                                                   \
	do {                                                                              \
		const char *a_ = (a), *b_ = (b);                                          \
		if (!a_ || !b_ ? a_ != b_ : strcmp(a_, b_) != 0)                          \
			tap_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
				 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                 \
	} while (0)

#define TAP_MAIN(...)                                                        \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		static const struct tap_test tests_[] = { TAP_EACH(__VA_ARGS__) }; \
		return tap_run(tests_, sizeof(tests_) / sizeof(tests_[0]), argc, argv); \
	}

/* TAP_EACH(a, b, c) -> { "a", a }, { "b", b }, ... for up to 64 tests. */
#define TAP_E1(x) { #x, x }
#define TAP_CAT(a, b) a##b
#define TAP_XCAT(a, b) TAP_CAT(a, b)
#define TAP_NARG(...) TAP_NARG_(__VA_ARGS__, TAP_RSEQ())
#define TAP_NARG_(...) TAP_ARG_N(__VA_ARGS__)
#define TAP_ARG_N(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, \
		  _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, \
		  _36, _37, _38, _39, _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, _52, \
		  _53, _54, _55, _56, _57, _58, _59, _60, _61, _62, _63, _64, N, ...) N
#define TAP_RSEQ() 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, \
		44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, \
		22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1
#define TAP_EACH(...) TAP_XCAT(TAP_L, TAP_NARG(__VA_ARGS__))(__VA_ARGS__)
#define TAP_L1(x) TAP_E1(x)
#define TAP_L2(x, ...) TAP_E1(x), TAP_L1(__VA_ARGS__)
#define TAP_L3(x, ...) TAP_E1(x), TAP_L2(__VA_ARGS__)
#define TAP_L4(x, ...) TAP_E1(x), TAP_L3(__VA_ARGS__)
#define TAP_L5(x, ...) TAP_E1(x), TAP_L4(__VA_ARGS__)
#define TAP_L6(x, ...) TAP_E1(x), TAP_L5(__VA_ARGS__)
#define TAP_L7(x, ...) TAP_E1(x), TAP_L6(__VA_ARGS__)
#define TAP_L8(x, ...) TAP_E1(x), TAP_L7(__VA_ARGS__)
#define TAP_L9(x, ...) TAP_E1(x), TAP_L8(__VA_ARGS__)
#define TAP_L10(x, ...) TAP_E1(x), TAP_L9(__VA_ARGS__)
#define TAP_L11(x, ...) TAP_E1(x), TAP_L10(__VA_ARGS__)
#define TAP_L12(x, ...) TAP_E1(x), TAP_L11(__VA_ARGS__)
#define TAP_L13(x, ...) TAP_E1(x), TAP_L12(__VA_ARGS__)
#define TAP_L14(x, ...) TAP_E1(x), TAP_L13(__VA_ARGS__)
#define TAP_L15(x, ...) TAP_E1(x), TAP_L14(__VA_ARGS__)
#define TAP_L16(x, ...) TAP_E1(x), TAP_L15(__VA_ARGS__)
#define TAP_L17(x, ...) TAP_E1(x), TAP_L16(__VA_ARGS__)
#define TAP_L18(x, ...) TAP_E1(x), TAP_L17(__VA_ARGS__)
#define TAP_L19(x, ...) TAP_E1(x), TAP_L18(__VA_ARGS__)
#define TAP_L20(x, ...) TAP_E1(x), TAP_L19(__VA_ARGS__)
#define TAP_L21(x, ...) TAP_E1(x), TAP_L20(__VA_ARGS__)
#define TAP_L22(x, ...) TAP_E1(x), TAP_L21(__VA_ARGS__)
#define TAP_L23(x, ...) TAP_E1(x), TAP_L22(__VA_ARGS__)
#define TAP_L24(x, ...) TAP_E1(x), TAP_L23(__VA_ARGS__)
#define TAP_L25(x, ...) TAP_E1(x), TAP_L24(__VA_ARGS__)
#define TAP_L26(x, ...) TAP_E1(x), TAP_L25(__VA_ARGS__)
#define TAP_L27(x, ...) TAP_E1(x), TAP_L26(__VA_ARGS__)
#define TAP_L28(x, ...) TAP_E1(x), TAP_L27(__VA_ARGS__)
#define TAP_L29(x, ...) TAP_E1(x), TAP_L28(__VA_ARGS__)
#define TAP_L30(x, ...) TAP_E1(x), TAP_L29(__VA_ARGS__)
#define TAP_L31(x, ...) TAP_E1(x), TAP_L30(__VA_ARGS__)
#define TAP_L32(x, ...) TAP_E1(x), TAP_L31(__VA_ARGS__)
#define TAP_L33(x, ...) TAP_E1(x), TAP_L32(__VA_ARGS__)
#define TAP_L34(x, ...) TAP_E1(x), TAP_L33(__VA_ARGS__)
#define TAP_L35(x, ...) TAP_E1(x), TAP_L34(__VA_ARGS__)
#define TAP_L36(x, ...) TAP_E1(x), TAP_L35(__VA_ARGS__)
#define TAP_L37(x, ...) TAP_E1(x), TAP_L36(__VA_ARGS__)
#define TAP_L38(x, ...) TAP_E1(x), TAP_L37(__VA_ARGS__)
#define TAP_L39(x, ...) TAP_E1(x), TAP_L38(__VA_ARGS__)
#define TAP_L40(x, ...) TAP_E1(x), TAP_L39(__VA_ARGS__)
#define TAP_L41(x, ...) TAP_E1(x), TAP_L40(__VA_ARGS__)
#define TAP_L42(x, ...) TAP_E1(x), TAP_L41(__VA_ARGS__)
#define TAP_L43(x, ...) TAP_E1(x), TAP_L42(__VA_ARGS__)
#define TAP_L44(x, ...) TAP_E1(x), TAP_L43(__VA_ARGS__)
#define TAP_L45(x, ...) TAP_E1(x), TAP_L44(__VA_ARGS__)
#define TAP_L46(x, ...) TAP_E1(x), TAP_L45(__VA_ARGS__)
#define TAP_L47(x, ...) TAP_E1(x), TAP_L46(__VA_ARGS__)
#define TAP_L48(x, ...) TAP_E1(x), TAP_L47(__VA_ARGS__)
#define TAP_L49(x, ...) TAP_E1(x), TAP_L48(__VA_ARGS__)
#define TAP_L50(x, ...) TAP_E1(x), TAP_L49(__VA_ARGS__)
#define TAP_L51(x, ...) TAP_E1(x), TAP_L50(__VA_ARGS__)
#define TAP_L52(x, ...) TAP_E1(x), TAP_L51(__VA_ARGS__)
#define TAP_L53(x, ...) TAP_E1(x), TAP_L52(__VA_ARGS__)
#define TAP_L54(x, ...) TAP_E1(x), TAP_L53(__VA_ARGS__)
#define TAP_L55(x, ...) TAP_E1(x), TAP_L54(__VA_ARGS__)
#define TAP_L56(x, ...) TAP_E1(x), TAP_L55(__VA_ARGS__)
#define TAP_L57(x, ...) TAP_E1(x), TAP_L56(__VA_ARGS__)
#define TAP_L58(x, ...) TAP_E1(x), TAP_L57(__VA_ARGS__)
#define TAP_L59(x, ...) TAP_E1(x), TAP_L58(__VA_ARGS__)
#define TAP_L60(x, ...) TAP_E1(x), TAP_L59(__VA_ARGS__)
#define TAP_L61(x, ...) TAP_E1(x), TAP_L60(__VA_ARGS__)
#define TAP_L62(x, ...) TAP_E1(x), TAP_L61(__VA_ARGS__)
#define TAP_L63(x, ...) TAP_E1(x), TAP_L62(__VA_ARGS__)
#define TAP_L64(x, ...) TAP_E1(x), TAP_L63(__VA_ARGS__)

#endif
