/* time.c - timestamps in the one format the project writes (see covalid/util.h). */
#include "util/cv.h"

void cv_time_iso8601(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(buf, size, "invalid");
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* n digits at s, as a number; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): no time zone, no normalisation. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Parsed by hand, not by strptime: strptime takes "2009-02-30" (any day
 * up to 31 in any month), single digits and leading blanks, and timegm
 * then quietly makes 30 February into 2 March.  An agreement's dates are
 * a contract's; a date that does not exist is an input error.
 */
int cv_time_parse(const char *s, int64_t *ret)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, hh = 0, mm = 0, ss = 0;
	size_t n;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n != 10 && n != 20)
		return -EINVAL;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1 || s[4] != '-' || s[7] != '-' ||
	    d > mdays[m - 1] + (m == 2 && leap(y)))
		return -EINVAL;
	if (n == 20) {
		hh = digits(s + 11, 2);
		mm = digits(s + 14, 2);
		ss = digits(s + 17, 2);
		if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' || hh < 0 || hh > 23 || mm < 0 ||
		    mm > 59 || ss < 0 || ss > 59)
			return -EINVAL;
	}
	*ret = days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}
