/*
 * httpdate.h: HTTP dates (RFC 9110 5.6.7) for webd's Date, Last-Modified
 * and Expires fields and the If-*-Since and If-Range conditions.
 *
 * Formatting writes IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") with
 * integer arithmetic only: no strftime, no locale, no time zone files, so
 * it is safe and cheap on every request. Parsing accepts the three forms
 * a recipient MUST accept (IMF-fixdate, RFC 850, asctime), exactly as the
 * RFC grammar writes them (names are case-sensitive, %s in the ABNF, and
 * there is no whitespace to spare). Whatever is not one of the three is
 * invalid: the If-* conditions then ignore the field, which RFC 9110 13.1
 * requires for an invalid date.
 */
#ifndef TRIAD_HTTPDATE_H
#define TRIAD_HTTPDATE_H

#include <stddef.h>
#include <time.h>

/* strlen("Sun, 06 Nov 1994 08:49:37 GMT"), and the same with a NUL */
#define HTTPDATE_LEN	29
#define HTTPDATE_SIZE	30

/* The last second IMF-fixdate can write: 9999-12-31 23:59:59. */
#define HTTPDATE_MAX	((time_t)253402300799LL)

/*
 * httpdate_format: t as IMF-fixdate into buf, NUL-terminated.
 * Times before 1970 (a file with a bogus mtime) are written as the epoch
 * and times after HTTPDATE_MAX as that second: the field keeps its
 * fixed 29 bytes whatever the clock says. Returns HTTPDATE_LEN.
 */
size_t	 httpdate_format(time_t t, char buf[HTTPDATE_SIZE]);

/*
 * httpdate_now: the Date field value for the second now, from a
 * per-thread cache that is formatted again only when the second changes
 * (each worker loop has its own). The pointer stays valid for the thread's
 * life; its text changes on the next call with another second.
 */
const char *httpdate_now(time_t now);

/*
 * httpdate_parse: the date in s (len bytes, not NUL-terminated, no
 * surrounding whitespace) into *out. Returns 0, or -1 when s is not a
 * valid HTTP-date (wrong day or month name, a day past the month's end,
 * hour > 23, minute > 59, second > 60, a zone other than "GMT", trailing
 * bytes). The weekday must be a valid name but is not checked against the
 * date (nginx ignores it entirely; curl and Apache do not check it
 * either). A leap second (":60") counts as the next second. Dates before
 * 1970 are valid and negative, which is why the result is not the return
 * value. A two-digit RFC 850 year is placed within 50 years of the
 * current time (RFC 9110 5.6.7 MUST).
 */
int	 httpdate_parse(const char *s, size_t len, time_t *out);

/*
 * httpdate_parse_at: httpdate_parse with the current time given
 * (now): it only matters for the two-digit year of RFC 850 dates, which
 * becomes the year within [now's year - 49, now's year + 50] ending in
 * those digits. For tests, and for a caller that has the time at hand.
 */
int	 httpdate_parse_at(const char *s, size_t len, time_t now,
	    time_t *out);

#endif
