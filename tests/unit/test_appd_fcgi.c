/*
 * test_appd_fcgi.c: appd's FastCGI records (golden bytes from the 1996
 * specification's layout), name-value pairs in both length forms, hostile
 * lengths; CGI response heads (RFC 3875 section 6); and the path-to-script
 * mapping that must never leave the root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgi.h"
#include "cgihead.h"
#include "fcgi.h"

static void
test_begin_end_golden(void **state)
{
	static const uint8_t want[] = {
		1, 1, 0, 1, 0, 8, 0, 0,  0, 1, 1, 0, 0, 0, 0, 0,
		1, 3, 0, 1, 0, 8, 0, 0,  0, 0, 0, 7, 0, 0, 0, 0,
	};
	struct fcgi_buf b = { 0 };
	struct fcgi_rec r;
	size_t used;

	fcgi_put_begin(&b, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	fcgi_put_end(&b, 1, 7, FCGI_REQUEST_COMPLETE);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.p, want, sizeof(want));
	assert_int_equal(fcgi_parse(b.p, b.len, &r, &used), 1);
	assert_int_equal(r.type, FCGI_BEGIN_REQUEST);
	assert_int_equal(r.id, 1);
	assert_int_equal(r.len, 8);
	assert_int_equal(used, 16);
	fcgi_buf_free(&b);
}

/* Every prefix of a record is "more", never an error. */
static void
test_parse_incremental(void **state)
{
	struct fcgi_buf b = { 0 };
	struct fcgi_rec r;
	size_t i, used;

	fcgi_put_stream(&b, FCGI_STDOUT, 0x1234, "hello", 5);
	for (i = 0; i < b.len; i++)
		assert_int_equal(fcgi_parse(b.p, i, &r, &used), 0);
	assert_int_equal(fcgi_parse(b.p, b.len, &r, &used), 1);
	assert_int_equal(r.id, 0x1234);
	assert_memory_equal(r.data, "hello", 5);
	fcgi_buf_free(&b);
}

/* Padding counts in the record's length; bad versions and type 0 fail. */
static void
test_parse_padding_and_bad(void **state)
{
	uint8_t rec[] = { 1, 6, 0, 1, 0, 2, 3, 0, 'o', 'k', 0, 0, 0 };
	uint8_t v2[] = { 2, 6, 0, 1, 0, 0, 0, 0 };
	uint8_t t0[] = { 1, 0, 0, 1, 0, 0, 0, 0 };
	struct fcgi_rec r;
	size_t used;

	assert_int_equal(fcgi_parse(rec, sizeof(rec) - 1, &r, &used), 0);
	assert_int_equal(fcgi_parse(rec, sizeof(rec), &r, &used), 1);
	assert_int_equal(used, sizeof(rec));
	assert_int_equal(r.len, 2);
	assert_int_equal(fcgi_parse(v2, sizeof(v2), &r, &used), -1);
	assert_int_equal(fcgi_parse(t0, sizeof(t0), &r, &used), -1);
}

/* A stream over 65535 bytes is split; length 0 ends it. */
static void
test_stream_split(void **state)
{
	struct fcgi_buf b = { 0 };
	struct fcgi_rec r;
	size_t n = 70000, off = 0, used, total = 0, recs = 0;
	char *data = malloc(n);

	memset(data, 'x', n);
	fcgi_put_stream(&b, FCGI_STDIN, 1, data, n);
	fcgi_put_stream(&b, FCGI_STDIN, 1, NULL, 0);
	while (off < b.len) {
		assert_int_equal(fcgi_parse(b.p + off, b.len - off, &r, &used),
		    1);
		total += r.len;
		recs++;
		off += used;
	}
	assert_int_equal(total, n);
	assert_int_equal(recs, 3);
	assert_int_equal(r.len, 0);
	free(data);
	fcgi_buf_free(&b);
}

static void
test_nv_round_trip(void **state)
{
	struct fcgi_buf b = { 0 };
	const uint8_t *n, *v;
	uint32_t nl, vl;
	size_t off = 0;
	char big[300];

	memset(big, 'v', sizeof(big));
	fcgi_put_nv(&b, "A", 1, "b", 1);
	fcgi_put_nv(&b, "LONG", 4, big, sizeof(big));
	assert_int_equal(b.p[0], 1);	/* 1-byte lengths */
	assert_int_equal(b.p[5], 0x80);	/* a 4-byte length: 300 */
	assert_int_equal(fcgi_nv_next(b.p, b.len, &off, &n, &nl, &v, &vl), 1);
	assert_int_equal(nl, 1);
	assert_memory_equal(v, "b", 1);
	assert_int_equal(fcgi_nv_next(b.p, b.len, &off, &n, &nl, &v, &vl), 1);
	assert_int_equal(vl, sizeof(big));
	assert_int_equal(fcgi_nv_next(b.p, b.len, &off, &n, &nl, &v, &vl), 0);
	fcgi_buf_free(&b);
}

/* Lengths that run past the stream are malformed, not read. */
static void
test_nv_hostile(void **state)
{
	static const uint8_t past[] = { 5, 1, 'a', 'b' };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0, 'x' };
	static const uint8_t cut[] = { 0x80, 0 };
	const uint8_t *n, *v;
	uint32_t nl, vl;
	size_t off = 0;

	assert_int_equal(fcgi_nv_next(past, sizeof(past), &off, &n, &nl, &v,
	    &vl), -1);
	off = 0;
	assert_int_equal(fcgi_nv_next(huge, sizeof(huge), &off, &n, &nl, &v,
	    &vl), -1);
	off = 0;
	assert_int_equal(fcgi_nv_next(cut, sizeof(cut), &off, &n, &nl, &v,
	    &vl), -1);
}

static void
test_cgihead_basic(void **state)
{
	static const char in[] = "Status: 404 Nope\r\nContent-Type: text/x\r\n"
	    "X-A:  b \r\n\r\nbody";
	struct cgihead h;
	const char *why = NULL;
	size_t used;

	assert_int_equal(cgihead_parse(in, sizeof(in) - 1, &h, &used, &why),
	    1);
	assert_int_equal(h.status, 404);
	assert_int_equal(h.reason_len, 4);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.f[1].vlen, 1);
	assert_memory_equal(h.f[1].value, "b", 1);
	assert_string_equal(in + used, "body");
	/* Every prefix of the head is "more". */
	for (size_t i = 0; i < used - 1; i++)
		assert_int_equal(cgihead_parse(in, i, &h, &used, &why), 0);
}

static void
test_cgihead_lf_location_length(void **state)
{
	static const char lf[] = "Location: /x\nContent-Length: 3\n\nabc";
	static const char none[] = "\r\nbody";
	struct cgihead h;
	const char *why;
	size_t used;

	assert_int_equal(cgihead_parse(lf, sizeof(lf) - 1, &h, &used, &why),
	    1);
	assert_int_equal(h.status, 302);
	assert_true(h.has_length);
	assert_int_equal(h.content_length, 3);
	assert_int_equal(h.n, 1);	/* Content-Length is appd's */
	assert_int_equal(cgihead_parse(none, sizeof(none) - 1, &h, &used,
	    &why), 1);
	assert_int_equal(h.status, 200);
	assert_int_equal(used, 2);
}

static void
test_cgihead_bad(void **state)
{
	static const char *const bad[] = {
		"no colon here\r\n\r\n",
		"Status: abc\r\n\r\n",
		"Status: 99\r\n\r\n",
		"Status: 200x\r\n\r\n",
		"X: a\x01 b\r\n\r\n",
		"Bad Name: x\r\n\r\n",
		": x\r\n\r\n",
		"Content-Length: 1x\r\n\r\n",
		"Content-Length: 1\r\nContent-Length: 1\r\n\r\n",
	};
	struct cgihead h;
	const char *why;
	size_t i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(cgihead_parse(bad[i], strlen(bad[i]), &h,
		    &used, &why), -1);
		assert_non_null(why);
	}
}

/* A head that never ends is refused once it is too long. */
static void
test_cgihead_too_long(void **state)
{
	size_t n = CGIHEAD_MAX + 10;
	char *buf = malloc(n);
	struct cgihead h;
	const char *why;
	size_t used;

	memset(buf, 'a', n);
	assert_int_equal(cgihead_parse(buf, n, &h, &used, &why), -1);
	free(buf);
}

static void
test_cgi_script_paths(void **state)
{
	static const char *const refused[] = { "/a/../b.sh", "/..", "/./x",
	    "/a/%2e%2e/x", "/a\\b", "/a/.", "" };
	char *s;
	size_t i;

	s = cgi_script("/r", "/cgi/x.sh/more/path", 19);
	assert_string_equal(s, "/r/cgi/x.sh");
	free(s);
	s = cgi_script("/r", "/cgi/noext", 10);
	assert_string_equal(s, "/r/cgi/noext");
	free(s);
	s = cgi_script("/r", "/a/.hidden.sh", 13);
	assert_string_equal(s, "/r/a/.hidden.sh");
	free(s);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_null(cgi_script("/r", refused[i], strlen(refused[i])));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_begin_end_golden),
		cmocka_unit_test(test_parse_incremental),
		cmocka_unit_test(test_parse_padding_and_bad),
		cmocka_unit_test(test_stream_split),
		cmocka_unit_test(test_nv_round_trip),
		cmocka_unit_test(test_nv_hostile),
		cmocka_unit_test(test_cgihead_basic),
		cmocka_unit_test(test_cgihead_lf_location_length),
		cmocka_unit_test(test_cgihead_bad),
		cmocka_unit_test(test_cgihead_too_long),
		cmocka_unit_test(test_cgi_script_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
