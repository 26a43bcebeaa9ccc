/*
 * test_httpdate.c: IMF-fixdate formatting checked against the C
 * library's gmtime_r/strftime (C locale) over a sweep of 1970..2400, the
 * three parse forms, the calendar edges (leap years, 1970, 2038, 2100),
 * and hostile text: bad names, out-of-range fields, truncation, garbage.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "httpdate.h"

/* 2025-06-01 00:00:00: "now" for the RFC 850 century window. */
#define NOW_2025	((time_t)1748736000)
#define Y2400		((time_t)13569465600LL)	/* 2400-01-01 */

static time_t
parse_ok(const char *s)
{
	time_t t = 12345;

	if (httpdate_parse_at(s, strlen(s), NOW_2025, &t) != 0)
		fail_msg("'%s' should parse", s);
	return t;
}

static void
parse_bad(const char *s, size_t len)
{
	time_t t = 12345;

	if (httpdate_parse_at(s, len, NOW_2025, &t) != -1)
		fail_msg("'%.*s' should not parse (got %lld)", (int)len, s,
		    (long long)t);
	assert_int_equal(t, 12345);	/* *out untouched on error */
}

static void
fmt_is(time_t t, const char *want)
{
	char buf[HTTPDATE_SIZE];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(httpdate_format(t, buf), HTTPDATE_LEN);
	assert_string_equal(buf, want);
}

static void
test_format_known(void **state)
{
	(void)state;
	fmt_is(0, "Thu, 01 Jan 1970 00:00:00 GMT");
	fmt_is(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
	fmt_is(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
	fmt_is(951868800, "Wed, 01 Mar 2000 00:00:00 GMT");
	fmt_is(1078012800, "Sun, 29 Feb 2004 00:00:00 GMT");
	fmt_is(2147483647, "Tue, 19 Jan 2038 03:14:07 GMT");
	fmt_is((time_t)2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT");
	fmt_is((time_t)4107542400LL, "Mon, 01 Mar 2100 00:00:00 GMT");
	fmt_is((time_t)4107542399LL, "Sun, 28 Feb 2100 23:59:59 GMT");
	fmt_is((time_t)253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT");
	/* Clamped: never more or less than 29 bytes. */
	fmt_is(-1, "Thu, 01 Jan 1970 00:00:00 GMT");
	fmt_is((time_t)INT64_MIN, "Thu, 01 Jan 1970 00:00:00 GMT");
	fmt_is((time_t)253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT");
	fmt_is((time_t)INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
}

/*
 * Every ~1.3 days with a changing time of day from 1970 to 2400: the same
 * text as strftime in the C locale, and it parses back to the same time.
 */
static void
test_format_sweep(void **state)
{
	char want[64], got[HTTPDATE_SIZE];
	struct tm tm;
	time_t t, back;
	uint64_t x = 1;

	(void)state;
	for (t = 0; t < Y2400; t += 110000 + (time_t)(x % 7919)) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		assert_non_null(gmtime_r(&t, &tm));
		strftime(want, sizeof(want), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		httpdate_format(t, got);
		if (strcmp(want, got) != 0)
			fail_msg("%lld: want '%s' got '%s'", (long long)t, want,
			    got);
		assert_int_equal(httpdate_parse(got, HTTPDATE_LEN,
		    &back), 0);
		assert_int_equal(back, t);
	}
}

static void
test_parse_three_forms(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
	assert_int_equal(parse_ok("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	assert_int_equal(parse_ok("Sun Nov  6 08:49:37 1994"), 784111777);
	/* asctime with a two-digit day, and a zero-padded one. */
	assert_int_equal(parse_ok("Wed Nov 16 08:49:37 1994"),
	    784111777 + 10 * 86400);
	assert_int_equal(parse_ok("Sun Nov 06 08:49:37 1994"), 784111777);
	/* Every long day name is known. */
	assert_int_equal(parse_ok("Monday, 07-Nov-94 08:49:37 GMT"),
	    784111777 + 86400);
	assert_int_equal(parse_ok("Wednesday, 09-Nov-94 08:49:37 GMT"),
	    784111777 + 3 * 86400);
	assert_int_equal(parse_ok("Saturday, 12-Nov-94 08:49:37 GMT"),
	    784111777 + 6 * 86400);
	/* The weekday is not checked against the date (nginx, curl). */
	assert_int_equal(parse_ok("Mon, 06 Nov 1994 08:49:37 GMT"), 784111777);
	/* The plain public entry point reads the same. */
	{
		time_t t;

		assert_int_equal(httpdate_parse("Sun Nov  6 08:49:37 1994",
		    24, &t), 0);
		assert_int_equal(t, 784111777);
	}
}

static void
test_parse_calendar(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	assert_int_equal(parse_ok("Wed, 31 Dec 1969 23:59:59 GMT"), -1);
	assert_int_equal(parse_ok("Mon, 01 Jan 1900 00:00:00 GMT"),
	    -2208988800LL);
	assert_int_equal(parse_ok("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
	assert_int_equal(parse_ok("Sat, 29 Feb 2020 12:00:00 GMT"),
	    1582977600);
	assert_int_equal(parse_ok("Tue, 19 Jan 2038 03:14:08 GMT"),
	    2147483648LL);
	assert_int_equal(parse_ok("Fri, 31 Dec 9999 23:59:59 GMT"),
	    253402300799LL);
	assert_int_equal(parse_ok("Sat, 01 Jan 0000 00:00:00 GMT"),
	    -62167219200LL);
	/* A leap second is the next second. */
	assert_int_equal(parse_ok("Sat, 31 Dec 2016 23:59:60 GMT"),
	    1483228800);
	/* Feb 29 only in leap years; 1900 and 2100 are not, 2000 is. */
	parse_bad("Fri, 29 Feb 2019 00:00:00 GMT", 29);
	parse_bad("Thu, 29 Feb 1900 00:00:00 GMT", 29);
	parse_bad("Mon, 29 Feb 2100 00:00:00 GMT", 29);
	parse_bad("Sat, 30 Feb 2000 00:00:00 GMT", 29);
	parse_bad("Thu, 31 Apr 2025 00:00:00 GMT", 29);
	parse_bad("Thu, 00 Jan 2025 00:00:00 GMT", 29);
	parse_bad("Thu, 32 Jan 2025 00:00:00 GMT", 29);
	parse_bad("Sun Feb 29 08:49:37 2019", 24);
	parse_bad("Sun Nov  0 08:49:37 1994", 24);
	parse_bad("Sunday, 31-Nov-94 08:49:37 GMT", 30);
}

/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead is the past. */
static void
test_parse_rfc850_century(void **state)
{
	time_t t;
	time_t now2060 = (time_t)2853273600LL;	/* 2060-06-01 */

	(void)state;
	assert_int_equal(parse_ok("Thursday, 01-Jan-70 00:00:00 GMT"),
	    3155760000LL);			/* 2070: 45 years ahead */
	assert_int_equal(parse_ok("Wednesday, 01-Jan-80 00:00:00 GMT"),
	    315532800);				/* 2080 is too far: 1980 */
	assert_int_equal(parse_ok("Saturday, 01-Jan-00 00:00:00 GMT"),
	    946684800);				/* 2000 */
	assert_int_equal(httpdate_parse_at(
	    "Sunday, 06-Nov-94 08:49:37 GMT", 30, now2060, &t), 0);
	assert_int_equal(t, 3939871777LL);	/* 2094 from 2060 */
	assert_int_equal(httpdate_parse_at(
	    "Sunday, 06-Nov-10 08:49:37 GMT", 30, now2060, &t), 0);
	assert_int_equal(t, 4444706977LL);	/* 2110: 50 years ahead */
	assert_int_equal(httpdate_parse_at(
	    "Sunday, 06-Nov-09 08:49:37 GMT", 30, now2060, &t), 0);
	assert_int_equal(t, 4413170977LL);	/* 2109: 49 ahead, not 2009 */
	assert_int_equal(httpdate_parse_at(
	    "Sunday, 06-Nov-11 08:49:37 GMT", 30, now2060, &t), 0);
	assert_int_equal(t, 1320569377);	/* 2111 is 51 ahead: 2011 */
	/* Feb 29 is checked in the year found: 2000 is leap, 2100 is not. */
	assert_int_equal(parse_ok("Tuesday, 29-Feb-00 00:00:00 GMT"),
	    951782400);
	assert_int_equal(httpdate_parse_at(
	    "Monday, 29-Feb-00 00:00:00 GMT", 30, now2060, &t), -1);
	assert_int_equal(httpdate_parse_at(
	    "Monday, 28-Feb-00 00:00:00 GMT", 30, now2060, &t), 0);
	assert_int_equal(t, 4107456000LL);	/* 2100-02-28 */
}

static void
test_parse_bad_names(void **state)
{
	(void)state;
	/* Day names: unknown, wrong case, long in the short forms. */
	parse_bad("Xyz, 06 Nov 1994 08:49:37 GMT", 29);
	parse_bad("sun, 06 Nov 1994 08:49:37 GMT", 29);
	parse_bad("SUN, 06 Nov 1994 08:49:37 GMT", 29);
	parse_bad("Sunday, 06 Nov 1994 08:49:37 GMT", 32);
	parse_bad("Sun, 06-Nov-94 08:49:37 GMT", 27);
	parse_bad("Sundae, 06-Nov-94 08:49:37 GMT", 30);
	parse_bad("sunday, 06-Nov-94 08:49:37 GMT", 30);
	parse_bad("Xyz Nov  6 08:49:37 1994", 24);
	/* Months. */
	parse_bad("Sun, 06 Foo 1994 08:49:37 GMT", 29);
	parse_bad("Sun, 06 nov 1994 08:49:37 GMT", 29);
	parse_bad("Sun, 06 NOV 1994 08:49:37 GMT", 29);
	parse_bad("Sunday, 06-Nop-94 08:49:37 GMT", 30);
	parse_bad("Sun Dev  6 08:49:37 1994", 24);
	/* Zone. */
	parse_bad("Sun, 06 Nov 1994 08:49:37 UTC", 29);
	parse_bad("Sun, 06 Nov 1994 08:49:37 gmt", 29);
	parse_bad("Sunday, 06-Nov-94 08:49:37 UTC", 30);
	parse_bad("Sun, 06 Nov 1994 08:49:37 +0000", 31);
}

static void
test_parse_bad_fields(void **state)
{
	(void)state;
	parse_bad("Sun, 06 Nov 1994 24:00:00 GMT", 29);
	parse_bad("Sun, 06 Nov 1994 08:60:00 GMT", 29);
	parse_bad("Sun, 06 Nov 1994 08:49:61 GMT", 29);
	parse_bad("Sun, 06 Nov 1994 8:49:37 GMT", 28);
	parse_bad("Sun, 6 Nov 1994 08:49:37 GMT", 28);
	parse_bad("Sun, 06 Nov 94 08:49:37 GMT", 27);
	parse_bad("Sun, 06 Nov 1994 08.49.37 GMT", 29);
	parse_bad("Sun, 0a Nov 1994 08:49:37 GMT", 29);
	parse_bad("Sun, 06 Nov 19x4 08:49:37 GMT", 29);
	parse_bad("Sun, 06 Nov 1994 08:49:3- GMT", 29);
	parse_bad("Sun, -6 Nov 1994 08:49:37 GMT", 29);
	parse_bad("Sun, 06  Nov 1994 08:49:37 GMT", 30);
	parse_bad("Sun,  06 Nov 1994 08:49:37 GMT", 30);
	parse_bad("Sun Nov 6 08:49:37 1994", 23);
	parse_bad("Sun Nov  6 08:49:37  1994", 25);
	parse_bad("Sun Nov x6 08:49:37 1994", 24);
	parse_bad("Sun Nov  6 08:49:37 94", 22);
	parse_bad("Sunday, 06-Nov-1994 08:49:37 GMT", 32);
	parse_bad("Sunday, 06/Nov/94 08:49:37 GMT", 30);
}

/* Truncations, trailing bytes, whitespace, NULs, empty input. */
static void
test_parse_garbage(void **state)
{
	static const char *const good[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	};
	char buf[64];
	size_t i, n, len;
	time_t t;

	(void)state;
	for (i = 0; i < 3; i++) {
		len = strlen(good[i]);
		for (n = 0; n < len; n++)
			parse_bad(good[i], n);
		snprintf(buf, sizeof(buf), "%s ", good[i]);
		parse_bad(buf, len + 1);
		snprintf(buf, sizeof(buf), " %s", good[i]);
		parse_bad(buf, len + 1);
		snprintf(buf, sizeof(buf), "%sx", good[i]);
		parse_bad(buf, len + 1);
		/* A NUL in place of each byte. */
		for (n = 0; n < len; n++) {
			memcpy(buf, good[i], len);
			buf[n] = '\0';
			parse_bad(buf, len);
		}
	}
	parse_bad("", 0);
	parse_bad("0", 1);
	parse_bad("784111777", 9);
	parse_bad("Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 "
	    "08:49:37 GMT", 60);
	assert_int_equal(httpdate_parse(NULL, 0, &t), -1);
}

static void *
now_thread(void *arg)
{
	const char **out = arg;

	*out = httpdate_now(784111777);
	return NULL;
}

/* The Date cache: one string per thread, refreshed on a new second. */
static void
test_now_cache(void **state)
{
	const char *a, *b, *other = NULL;
	pthread_t th;

	(void)state;
	a = httpdate_now(0);
	assert_string_equal(a, "Thu, 01 Jan 1970 00:00:00 GMT");
	b = httpdate_now(0);
	assert_ptr_equal(a, b);
	b = httpdate_now(784111777);
	assert_ptr_equal(a, b);
	assert_string_equal(b, "Sun, 06 Nov 1994 08:49:37 GMT");
	b = httpdate_now(784111778);
	assert_string_equal(b, "Sun, 06 Nov 1994 08:49:38 GMT");
	b = httpdate_now(0);
	assert_string_equal(b, "Thu, 01 Jan 1970 00:00:00 GMT");
	/* Another thread has its own string; ours is not touched. */
	assert_int_equal(pthread_create(&th, NULL, now_thread, &other), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_non_null(other);
	assert_ptr_not_equal(other, a);
	assert_string_equal(a, "Thu, 01 Jan 1970 00:00:00 GMT");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_sweep),
		cmocka_unit_test(test_parse_three_forms),
		cmocka_unit_test(test_parse_calendar),
		cmocka_unit_test(test_parse_rfc850_century),
		cmocka_unit_test(test_parse_bad_names),
		cmocka_unit_test(test_parse_bad_fields),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_now_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
