/* test-version.c - versions and version statements. */
#include "covalid/version.h"
#include "tap.h"

static uint64_t v(const char *s)
{
	uint64_t r = 0;

	if (version_parse(s, &r) < 0)
		tap_fail(__FILE__, __LINE__, "version_parse(\"%s\") failed", s);
	return r;
}

static bool in(const char *spec, const char *version)
{
	struct version_spec sp;
	const char *why;

	if (version_spec_parse(spec, &sp, &why) < 0) {
		tap_fail(__FILE__, __LINE__, "spec \"%s\": %s", spec, why);
		return false;
	}
	return version_spec_match(&sp, v(version));
}

TEST(parses_versions)
{
	char buf[64];

	CHECK(v("5.3") < v("5.4"));
	CHECK(v("5.9") < v("5.10"));
	CHECK(v("22.04") == v("22.4"));
	CHECK(v("7.9.2009") > v("7.9"));
	CHECK(v("2008 R2") > v("2008"));
	CHECK(v("2008 R2") < v("2012"));
	CHECK(v("12 SP4") == v("12.4"));
	version_format(v("5.3"), buf, sizeof(buf));
	CHECK_STR(buf, "5.3");
	version_format(v("7.9.2009"), buf, sizeof(buf));
	CHECK_STR(buf, "7.9.2009");
}

TEST(rejects_bad_versions)
{
	uint64_t r;

	CHECK_INT(version_parse("", &r), -EINVAL);
	CHECK_INT(version_parse("lenny", &r), -EINVAL);
	CHECK_INT(version_parse("70000.1", &r), -EINVAL);
	CHECK_INT(version_parse(NULL, &r), -EINVAL);
	CHECK_INT(version_parse("9.x", &r), -EINVAL);
}

TEST(exact_statements_match_at_their_precision)
{
	CHECK(in("5.3", "5.3"));
	CHECK(in("5.3", "5.3.1"));
	CHECK(!in("5.3", "5.30"));
	CHECK(!in("5.3", "5.4"));
	CHECK(in("7", "7.9"));
	CHECK(!in("7", "8.0"));
	CHECK(in("2008 R2", "2008 R2"));
	CHECK(in("2008", "2008"));
	CHECK(!in("2008", "2008 R2")); /* a year is one release; R2 is another */
}

TEST(ranges_and_open_majors)
{
	CHECK(in("7.0-7.9", "7.0"));
	CHECK(in("7.0-7.9", "7.9"));
	CHECK(in("7.0\xe2\x80\x93" "7.9", "7.5"));
	CHECK(!in("7.0-7.9", "8.0"));
	CHECK(!in("7.0-7.7", "7.8"));
	CHECK(in("8.1-8.x", "8.10"));
	CHECK(!in("8.1-8.x", "8.0"));
	CHECK(!in("8.1-8.x", "9.0"));
	CHECK(in("9.x", "9.0"));
	CHECK(in("9.x", "9.6"));
	CHECK(!in("9.x", "10.0"));
	CHECK(in("5.2-5.11", "5.10"));
}

TEST(floors)
{
	CHECK(in("5.11+", "5.11"));
	CHECK(!in("5.11+", "5.10"));
	CHECK(!in("5.11+", "6.0")); /* a floor with a minor stays in its major */
	CHECK(in("2012+", "2019"));
	CHECK(in("2012 R2+", "2012 R2"));
	CHECK(!in("2012 R2+", "2012"));
	CHECK(in("unspecified", "1.0"));
	CHECK(in("any", "99"));
}

TEST(rejects_bad_statements)
{
	static const char *const bad[] = { "", "x", "7.0-", "7.0-x", "7.9-7.0", "7.0 - 7.9 extra", "9.x+", ".x",
					   "5.3++", "-1", "70000" };
	struct version_spec sp;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (version_spec_parse(bad[i], &sp, &why) != -EINVAL)
			tap_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[i]);
		else
			CHECK(why != NULL);
	}
}

TAP_MAIN(parses_versions, rejects_bad_versions, exact_statements_match_at_their_precision, ranges_and_open_majors,
	 floors, rejects_bad_statements)
