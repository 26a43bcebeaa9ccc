/*
 * httpdate.c: see httpdate.h.
 *
 * Calendar arithmetic uses the proleptic Gregorian "days from civil" and
 * "civil from days" algorithms (H. Hinnant, public domain description),
 * re-derived here: eras of 400 years (146097 days) starting on 1 March so
 * that the leap day is the last day of the year.
 */
#include <stdint.h>
#include <string.h>

#include "httpdate.h"

#define HTTPDATE_DAY	86400

static const char *const httpdate_wday_short[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const httpdate_wday_long[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const httpdate_mon_short[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* The broken-down form of a date; only what HTTP needs. */
struct httpdate_tm {
	int64_t	year;
	int	mon;		/* 1..12 */
	int	mday;		/* 1..31 */
	int	hour, min, sec;	/* sec may be 60 when parsed */
	int	two_digit_year;	/* year is yy, century to be found */
};

/* Days since 1970-01-01 of year-mon-mday (any Gregorian date). */
static int64_t
httpdate_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* 0..399 */
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;	/* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */
	return era * 146097 + doe - 719468;
}

/* The inverse: year, month and day of z days since 1970-01-01. */
static void
httpdate_civil_from_days(int64_t z, struct httpdate_tm *tm)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
}

/* 1 when y is a Gregorian leap year. */
static int
httpdate_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The number of days of month m (1..12) in year y. */
static int
httpdate_mdays(int64_t y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && httpdate_leap(y) ? 29 : days[m - 1];
}

/* Two decimal digits at p. */
static void
httpdate_put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

size_t
httpdate_format(time_t t, char buf[HTTPDATE_SIZE])
{
	struct httpdate_tm tm;
	int64_t days, secs;

	if (t < 0)
		t = 0;
	if (t > HTTPDATE_MAX)
		t = HTTPDATE_MAX;
	days = (int64_t)t / HTTPDATE_DAY;
	secs = (int64_t)t % HTTPDATE_DAY;
	httpdate_civil_from_days(days, &tm);
	/* 1970-01-01 was a Thursday. */
	memcpy(buf, httpdate_wday_short[(days + 4) % 7], 3);
	memcpy(buf + 3, ", ", 2);
	httpdate_put2(buf + 5, tm.mday);
	buf[7] = ' ';
	memcpy(buf + 8, httpdate_mon_short[tm.mon - 1], 3);
	buf[11] = ' ';
	httpdate_put2(buf + 12, (int)(tm.year / 100));
	httpdate_put2(buf + 14, (int)(tm.year % 100));
	buf[16] = ' ';
	httpdate_put2(buf + 17, (int)(secs / 3600));
	buf[19] = ':';
	httpdate_put2(buf + 20, (int)(secs / 60 % 60));
	buf[22] = ':';
	httpdate_put2(buf + 23, (int)(secs % 60));
	memcpy(buf + 25, " GMT", 5);		/* with the NUL */
	return HTTPDATE_LEN;
}

const char *
httpdate_now(time_t now)
{
	static _Thread_local char	buf[HTTPDATE_SIZE];
	static _Thread_local time_t	last;
	static _Thread_local int	valid;

	if (!valid || now != last) {
		httpdate_format(now, buf);
		last = now;
		valid = 1;
	}
	return buf;
}

/*
 * Parsing: each form is a pattern of fields, matched left to right with
 * no backtracking; the pattern letters are
 *	a  short day name ("Sun")	A  long day name ("Sunday")
 *	d  2DIGIT day			e  day as 2DIGIT or SP DIGIT
 *	b  month name ("Nov")		h  "HH:MM:SS"
 *	Y  4DIGIT year			y  2DIGIT year (RFC 850)
 * and any other byte stands for itself.
 */
static const char httpdate_pat_imf[] = "a, d b Y h GMT";
static const char httpdate_pat_850[] = "A, d-b-y h GMT";
static const char httpdate_pat_asctime[] = "a b e h Y";

/* n decimal digits at p (before end) into *v; NULL when not, else past. */
static const char *
httpdate_digits(const char *p, const char *end, int n, int *v)
{
	int i;

	if (end - p < n)
		return NULL;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return NULL;
		*v = *v * 10 + (p[i] - '0');
	}
	return p + n;
}

/*
 * The index of the name of names (n of them) that starts p, before end,
 * in *idx. Returns the byte after the name, or NULL when none matches.
 */
static const char *
httpdate_name(const char *p, const char *end, const char *const *names,
    int n, int *idx)
{
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if ((size_t)(end - p) >= len && memcmp(p, names[i], len) == 0) {
			*idx = i;
			return p + len;
		}
	}
	return NULL;
}

/* "HH:MM:SS" at p into tm; NULL when malformed or out of range. */
static const char *
httpdate_time(const char *p, const char *end, struct httpdate_tm *tm)
{
	if ((p = httpdate_digits(p, end, 2, &tm->hour)) == NULL ||
	    p >= end || *p++ != ':' ||
	    (p = httpdate_digits(p, end, 2, &tm->min)) == NULL ||
	    p >= end || *p++ != ':' ||
	    (p = httpdate_digits(p, end, 2, &tm->sec)) == NULL)
		return NULL;
	if (tm->hour > 23 || tm->min > 59 || tm->sec > 60)
		return NULL;
	return p;
}

/* Matches pattern letter c at p into tm; the byte after, or NULL. */
static const char *
httpdate_field(const char *p, const char *end, char c, struct httpdate_tm *tm)
{
	int v;

	switch (c) {
	case 'a':
		return httpdate_name(p, end, httpdate_wday_short, 7, &v);
	case 'A':
		return httpdate_name(p, end, httpdate_wday_long, 7, &v);
	case 'b':
		p = httpdate_name(p, end, httpdate_mon_short, 12, &tm->mon);
		tm->mon++;
		return p;
	case 'e':
		if (p < end && *p == ' ')
			return httpdate_digits(p + 1, end, 1, &tm->mday);
		/* FALLTHROUGH */
	case 'd':
		return httpdate_digits(p, end, 2, &tm->mday);
	case 'y':
		tm->two_digit_year = 1;
		/* FALLTHROUGH */
	case 'Y':
		p = httpdate_digits(p, end, c == 'Y' ? 4 : 2, &v);
		tm->year = v;
		return p;
	case 'h':
		return httpdate_time(p, end, tm);
	default:
		return p < end && *p == c ? p + 1 : NULL;
	}
}

/* Matches all of s (len bytes) against pat into tm; 0 or -1. */
static int
httpdate_match(const char *s, size_t len, const char *pat,
    struct httpdate_tm *tm)
{
	const char *end = s + len;

	memset(tm, 0, sizeof(*tm));
	for (; *pat != '\0'; pat++)
		if ((s = httpdate_field(s, end, *pat, tm)) == NULL)
			return -1;
	return s == end ? 0 : -1;
}

/*
 * The year of a two-digit RFC 850 year yy: the one ending in yy within
 * [now's year - 49, now's year + 50] (RFC 9110 5.6.7: "more than 50 years
 * in the future" is the past).
 */
static int64_t
httpdate_century(int64_t yy, time_t now)
{
	struct httpdate_tm nt;
	int64_t y;

	httpdate_civil_from_days((int64_t)now / HTTPDATE_DAY -
	    ((int64_t)now % HTTPDATE_DAY < 0), &nt);
	y = nt.year - nt.year % 100 + yy;
	if (y > nt.year + 50)
		y -= 100;
	else if (y <= nt.year - 50)
		y += 100;
	return y;
}

/*
 * Both parse entry points: now is NULL when the clock is to be read, which
 * only the RFC 850 form needs (so the common forms never read it).
 */
static int
httpdate_parse_any(const char *s, size_t len, const time_t *now, time_t *out)
{
	struct httpdate_tm tm;
	const char *pat;

	if (s == NULL || len < 4)
		return -1;
	/* The fourth byte tells the forms apart: "Sun," "Sun " "Sund". */
	pat = s[3] == ',' ? httpdate_pat_imf : s[3] == ' ' ?
	    httpdate_pat_asctime : httpdate_pat_850;
	if (httpdate_match(s, len, pat, &tm) == -1)
		return -1;
	if (tm.two_digit_year)
		tm.year = httpdate_century(tm.year, now != NULL ? *now :
		    time(NULL));
	if (tm.mday < 1 || tm.mday > httpdate_mdays(tm.year, tm.mon))
		return -1;
	*out = (time_t)(httpdate_days_from_civil(tm.year, tm.mon, tm.mday) *
	    HTTPDATE_DAY + tm.hour * 3600 + tm.min * 60 + tm.sec);
	return 0;
}

int
httpdate_parse_at(const char *s, size_t len, time_t now, time_t *out)
{
	return httpdate_parse_any(s, len, &now, out);
}

int
httpdate_parse(const char *s, size_t len, time_t *out)
{
	return httpdate_parse_any(s, len, NULL, out);
}
