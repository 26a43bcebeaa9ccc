/*
 * test_webd_range.c: Range parsed against a length, table-driven (valid,
 * unsatisfiable, invalid, overflowing, pathological), Content-Range, and a
 * multipart/byteranges body built from the helpers whose length must equal
 * what webd_range_multipart_length announced.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "range.h"

/*
 * One row: header (NULL: none), length, cap (0: the default), status and
 * the ranges as "a-b,c-d".
 */
struct range_case {
	const char	*hdr;
	uint64_t	 length;
	size_t		 cap;
	int		 status;
	const char	*want;
};

#define L	10000

static const struct range_case cases[] = {
	/* 1-10: plain ranges. */
	{ "bytes=0-499", L, 0, 206, "0-499" },
	{ "bytes=500-999", L, 0, 206, "500-999" },
	{ "bytes=-500", L, 0, 206, "9500-9999" },
	{ "bytes=9500-", L, 0, 206, "9500-9999" },
	{ "bytes=0-0,-1", L, 0, 206, "0-0,9999-9999" },
	{ "bytes=500-600,601-999", L, 0, 206, "500-600,601-999" },
	{ "bytes=0-9999", L, 0, 206, "0-9999" },
	{ "bytes=0-99999", L, 0, 206, "0-9999" },
	{ "bytes=-20000", L, 0, 206, "0-9999" },
	{ "Bytes=0-1", L, 0, 206, "0-1" },
	/* 11-15: order kept, small overlaps kept. */
	{ "bytes=900-999,0-99", L, 0, 206, "900-999,0-99" },
	{ "bytes=500-700,601-999", L, 0, 206, "500-700,601-999" },
	{ "bytes=0-4999,5000-", L, 0, 206, "0-4999,5000-9999" },
	{ "bytes=20000-,0-1", L, 0, 206, "0-1" },
	{ "bytes=0-1,20000-30000", L, 0, 206, "0-1" },
	/* 16-20: unsatisfiable. */
	{ "bytes=10000-", L, 0, 416, "" },
	{ "bytes=10000-20000", L, 0, 416, "" },
	{ "bytes=-0", L, 0, 416, "" },
	{ "bytes=10000-,-0", L, 0, 416, "" },
	{ "bytes=18446744073709551615-", L, 0, 416, "" },
	/* 21-25: overflow saturates. */
	{ "bytes=99999999999999999999999999-", L, 0, 416, "" },
	{ "bytes=0-99999999999999999999999999", L, 0, 206, "0-9999" },
	{ "bytes=-99999999999999999999999999", L, 0, 206, "0-9999" },
	{ "bytes=18446744073709551616-18446744073709551617", L, 0, 416, "" },
	{ "bytes=5-18446744073709551615", L, 0, 206, "5-9999" },
	/* 26-40: invalid syntax or another unit: ignored. */
	{ "bytes=5-4", L, 0, 200, "" },
	{ "bytes=abc", L, 0, 200, "" },
	{ "bytes=", L, 0, 200, "" },
	{ "bytes=,", L, 0, 200, "" },
	{ "bytes= , ", L, 0, 200, "" },
	{ "items=0-1", L, 0, 200, "" },
	{ "bytes = 0-1", L, 0, 200, "" },
	{ "bytes=0 - 1", L, 0, 200, "" },
	{ "bytes=0-1;3-4", L, 0, 200, "" },
	{ "bytes=1-2-3", L, 0, 200, "" },
	{ "bytes=--1", L, 0, 200, "" },
	{ "bytes=-", L, 0, 200, "" },
	{ "bytes=0x10-20", L, 0, 200, "" },
	{ "bytes=+1-2", L, 0, 200, "" },
	{ "bytes", L, 0, 200, "" },
	/* 41-44: list syntax (RFC 9110 5.6.1). */
	{ "bytes=0-1 , 3-4", L, 0, 206, "0-1,3-4" },
	{ "bytes=,0-1,,3-4,", L, 0, 206, "0-1,3-4" },
	{ "bytes=0-1\t", L, 0, 206, "0-1" },
	{ "bytes=0-1 3-4", L, 0, 200, "" },
	/* 45-47: the total may not exceed the file (nginx). */
	{ "bytes=0-,0-", L, 0, 200, "" },
	{ "bytes=0-5000,5000-", L, 0, 200, "" },
	{ "bytes=-1,-1", 1, 0, 200, "" },
	/* 48-53: tiny and empty resources. */
	{ "bytes=0-0", 1, 0, 206, "0-0" },
	{ "bytes=-1", 1, 0, 206, "0-0" },
	{ "bytes=1-", 1, 0, 416, "" },
	{ "bytes=0-", 0, 0, 416, "" },
	{ "bytes=-1", 0, 0, 416, "" },
	{ "bytes=abc", 0, 0, 200, "" },
	/* 54-58: the cap counts specs. */
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,"
	  "22-22,24-24,26-26,28-28,30-30", L, 0, 206,
	  "0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,"
	  "22-22,24-24,26-26,28-28,30-30" },
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,"
	  "22-22,24-24,26-26,28-28,30-30,32-32", L, 0, 200, "" },
	{ "bytes=0-0,2-2,4-4", L, 2, 200, "" },
	{ "bytes=0-0,2-2", L, 2, 206, "0-0,2-2" },
	{ "bytes=0-0,,,,,,,,,,,,,,,,,,,,,,,,2-2", L, 2, 206, "0-0,2-2" },
	/* 59-61: big files. */
	{ "bytes=1099511627776-", 1099511627777ULL, 0, 206,
	  "1099511627776-1099511627776" },
	{ "bytes=-1", 9223372036854775807ULL, 0, 206,
	  "9223372036854775806-9223372036854775806" },
	{ "bytes=0-,-1", 9223372036854775807ULL, 0, 200, "" },
};

/* The ranges as text, "a-b,c-d". */
static void
ranges_text(const struct webd_range *r, size_t n, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%llu-%llu",
		    i ? "," : "", (unsigned long long)r[i].start,
		    (unsigned long long)r[i].end);
}

static void
test_parse_table(void **state)
{
	struct webd_range r[WEBD_RANGE_MAX_DEFAULT];
	const struct range_case *c;
	char got[1024];
	size_t i, n, cap;
	int st;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		cap = c->cap ? c->cap : WEBD_RANGE_MAX_DEFAULT;
		n = 99;
		st = (int)webd_range_parse(c->hdr, strlen(c->hdr), c->length,
		    r, cap, &n);
		ranges_text(r, st == 206 ? n : 0, got, sizeof(got));
		if (st != c->status || strcmp(got, c->want) != 0)
			fail_msg("case %zu '%s': want %d '%s', got %d '%s'",
			    i + 1, c->hdr, c->status, c->want, st, got);
		if (st != 206)
			assert_int_equal(n, 0);
	}
}

static void
test_parse_edges(void **state)
{
	struct webd_range r[4];
	size_t n = 7;
	const char nul[] = "bytes=0-1\0";

	(void)state;
	assert_int_equal(webd_range_parse(NULL, 0, L, r, 4, &n),
	    WEBD_RANGE_IGNORE);
	assert_int_equal(n, 0);
	/* Ranges disabled. */
	assert_int_equal(webd_range_parse("bytes=0-1", 9, L, r, 0, &n),
	    WEBD_RANGE_IGNORE);
	/* A NUL is not whitespace. */
	assert_int_equal(webd_range_parse(nul, sizeof(nul) - 1, L, r, 4, &n),
	    WEBD_RANGE_IGNORE);
	/* Only len bytes are read: the rest of the buffer is not a spec. */
	assert_int_equal(webd_range_parse("bytes=0-1,junk", 9, L, r, 4, &n),
	    WEBD_RANGE_PARTIAL);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].end, 1);
	assert_int_equal(webd_range_parse("bytes=0-1234", 10, L, r, 4, &n),
	    WEBD_RANGE_PARTIAL);
	assert_int_equal(r[0].end, 12);
}

static void
cr_is(const struct webd_range *r, uint64_t length, const char *want)
{
	char buf[WEBD_RANGE_CONTENT_RANGE_SIZE];

	assert_int_equal(webd_range_content_range(buf, sizeof(buf), r, length),
	    strlen(want));
	assert_string_equal(buf, want);
}

static void
test_content_range(void **state)
{
	struct webd_range r = { 0, 499 };
	struct webd_range big = { UINT64_MAX - 1, UINT64_MAX - 1 };
	char small[8];

	(void)state;
	cr_is(&r, 10000, "bytes 0-499/10000");
	cr_is(NULL, 10000, "bytes */10000");
	cr_is(NULL, 0, "bytes */0");
	cr_is(&big, UINT64_MAX, "bytes 18446744073709551614-"
	    "18446744073709551614/18446744073709551615");
	/* Cut like snprintf: the full length back, NUL-terminated. */
	assert_int_equal(webd_range_content_range(small, sizeof(small), &r,
	    10000), 17);
	assert_string_equal(small, "bytes 0");
	assert_int_equal(webd_range_content_range(NULL, 0, &r, 10000), 17);
}

static void
test_part_strings(void **state)
{
	struct webd_range r = { 10, 19 };
	char buf[256];
	size_t n;

	(void)state;
	n = webd_range_part_header(buf, sizeof(buf), "B0UND", "text/plain",
	    &r, 100);
	assert_string_equal(buf, "\r\n--B0UND\r\nContent-Type: text/plain\r\n"
	    "Content-Range: bytes 10-19/100\r\n\r\n");
	assert_int_equal(n, strlen(buf));
	n = webd_range_part_header(buf, sizeof(buf), "B0UND", NULL, &r, 100);
	assert_string_equal(buf, "\r\n--B0UND\r\n"
	    "Content-Range: bytes 10-19/100\r\n\r\n");
	assert_int_equal(n, strlen(buf));
	n = webd_range_part_close(buf, sizeof(buf), "B0UND");
	assert_string_equal(buf, "\r\n--B0UND--\r\n");
	assert_int_equal(n, 13);
	n = webd_range_multipart_type(buf, sizeof(buf), "B0UND");
	assert_string_equal(buf, "multipart/byteranges; boundary=B0UND");
	assert_int_equal(n, strlen(buf));
	/* Too small a buffer: measured, cut, terminated. */
	n = webd_range_part_header(buf, 5, "B0UND", "text/plain", &r, 100);
	assert_int_equal(n, 71);
	assert_int_equal(strlen(buf), 4);
}

/*
 * Builds the whole multipart body of ranges r over content (length
 * bytes) into a fresh buffer; *len is its length.
 */
static char *
build_body(const struct webd_range *r, size_t n, const char *content,
    uint64_t length, const char *b, const char *ctype, size_t *len)
{
	char *body = NULL, hdr[512];
	size_t off = 0, h, i, part;

	for (i = 0; i < n; i++) {
		h = webd_range_part_header(hdr, sizeof(hdr), b, ctype, &r[i],
		    length);
		assert_true(h < sizeof(hdr));
		part = (size_t)(r[i].end - r[i].start + 1);
		body = realloc(body, off + h + part);
		assert_non_null(body);
		memcpy(body + off, hdr, h);
		memcpy(body + off + h, content + r[i].start, part);
		off += h + part;
	}
	h = webd_range_part_close(hdr, sizeof(hdr), b);
	body = realloc(body, off + h);
	assert_non_null(body);
	memcpy(body + off, hdr, h);
	*len = off + h;
	return body;
}

/* Counts the delimiter lines "\r\n--B" in body. */
static size_t
count_delims(const char *body, size_t len, const char *b)
{
	char delim[64];
	size_t dlen, i, n = 0;

	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", b);
	for (i = 0; i + dlen <= len; i++)
		if (memcmp(body + i, delim, dlen) == 0)
			n++;
	return n;
}

static void
test_multipart_length(void **state)
{
	static const char *const hdrs[] = {
		"bytes=0-0,-1",
		"bytes=0-9,10-99,100-999,1000-1999",
		"bytes=5-5,900-,0-3",
		("bytes=1-1,3-3,5-5,7-7,9-9,11-11,13-13,15-15,17-17,19-19,"
		    "21-21,23-23,25-25,27-27,29-29,31-31"),
	};
	static const char *const ctypes[] = {
		"text/html; charset=utf-8", NULL, "", "application/octet-stream"
	};
	struct webd_range r[WEBD_RANGE_MAX_DEFAULT];
	char content[2000], b[WEBD_RANGE_BOUNDARY_SIZE], *body;
	size_t i, n, len;
	uint64_t want;

	(void)state;
	for (i = 0; i < sizeof(content); i++)
		content[i] = (char)('a' + i % 26);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		assert_int_equal(webd_range_parse(hdrs[i], strlen(hdrs[i]),
		    sizeof(content), r, WEBD_RANGE_MAX_DEFAULT, &n),
		    WEBD_RANGE_PARTIAL);
		webd_range_boundary(b);
		want = webd_range_multipart_length(r, n, sizeof(content), b,
		    ctypes[i]);
		body = build_body(r, n, content, sizeof(content), b, ctypes[i],
		    &len);
		assert_int_equal(want, len);
		assert_int_equal(count_delims(body, len, b), n + 1);
		assert_memory_equal(body + len - strlen(b) - 8, "\r\n--", 4);
		free(body);
	}
}

/* Length digits change the header size: the sum must follow them. */
static void
test_multipart_length_big(void **state)
{
	struct webd_range r[3] = {
		{ 0, 0 }, { 999999999, 1000000008 }, { 9999999999ULL,
		    9999999999ULL }
	};
	uint64_t want = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		want += webd_range_part_header(NULL, 0, "xyz", "a/b", &r[i],
		    10000000000ULL) + (r[i].end - r[i].start + 1);
	want += strlen("\r\n--xyz--\r\n");
	assert_int_equal(webd_range_multipart_length(r, 3, 10000000000ULL,
	    "xyz", "a/b"), want);
	/* 3 headers of fixed text, "a/b", and the digits, by hand. */
	assert_int_equal(want, 3 * strlen("\r\n--xyz\r\nContent-Type: a/b\r\n"
	    "Content-Range: bytes -/\r\n\r\n") + (1 + 1) + (9 + 10) +
	    (10 + 10) + 3 * 11 + 1 + 10 + 1 + strlen("\r\n--xyz--\r\n"));
}

static void *
boundary_thread(void *arg)
{
	webd_range_boundary(arg);
	return NULL;
}

static void
test_boundary(void **state)
{
	char a[WEBD_RANGE_BOUNDARY_SIZE], b[WEBD_RANGE_BOUNDARY_SIZE];
	char c[WEBD_RANGE_BOUNDARY_SIZE];
	pthread_t th;
	size_t i;

	(void)state;
	webd_range_boundary(a);
	webd_range_boundary(b);
	assert_int_equal(strlen(a), WEBD_RANGE_BOUNDARY_LEN);
	for (i = 0; i < WEBD_RANGE_BOUNDARY_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
	assert_int_equal(pthread_create(&th, NULL, boundary_thread, c), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(strlen(c), WEBD_RANGE_BOUNDARY_LEN);
	assert_string_not_equal(a, c);
	assert_string_not_equal(b, c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_edges),
		cmocka_unit_test(test_content_range),
		cmocka_unit_test(test_part_strings),
		cmocka_unit_test(test_multipart_length),
		cmocka_unit_test(test_multipart_length_big),
		cmocka_unit_test(test_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
