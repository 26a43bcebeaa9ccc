/*
 * test_appd_modapi.c: the request side of the module API as a worker sees
 * it: FastCGI params split into method, path, query and headers; query
 * parameters decoded (and refused when hostile); response headers that
 * could split a response refused; the records a finished answer becomes.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgihead.h"
#include "fcgi.h"
#include "modapi.h"
#include "triad_app.h"

/* A request with the given NAME, value pairs (NULL-terminated). */
static void
req_init(struct triad_req *r, const char *const *nv)
{
	memset(r, 0, sizeof(*r));
	r->max_response = 1 << 20;
	for (; nv[0] != NULL; nv += 2)
		fcgi_put_nv(&r->params, nv[0], strlen(nv[0]), nv[1],
		    strlen(nv[1]));
	assert_int_equal(modapi_req_params(r), 0);
}

static void
test_params(void **state)
{
	static const char *const nv[] = {
		"REQUEST_METHOD", "POST", "REQUEST_URI", "/a/b?x=1&y=%41+b",
		"QUERY_STRING", "x=1&y=%41+b", "HTTP_X_REQUEST_ID", "abc",
		"CONTENT_TYPE", "application/json", "EMPTY", "", NULL };
	struct triad_req r;
	char buf[32];

	req_init(&r, nv);
	assert_string_equal(triad_req_method(&r), "POST");
	assert_string_equal(triad_req_path(&r), "/a/b");	/* from the URI */
	assert_string_equal(triad_req_query(&r), "x=1&y=%41+b");
	assert_string_equal(triad_req_header(&r, "x-request-id"), "abc");
	assert_string_equal(triad_req_header(&r, "Content-Type"),
	    "application/json");
	assert_null(triad_req_header(&r, "X-Missing"));
	assert_string_equal(triad_req_param(&r, "EMPTY"), "");
	assert_string_equal(triad_req_query_param(&r, "y", buf, sizeof(buf)),
	    "A b");
	assert_string_equal(triad_req_query_param(&r, "x", buf, sizeof(buf)),
	    "1");
	assert_null(triad_req_query_param(&r, "z", buf, sizeof(buf)));
	modapi_req_free(&r);
}

static void
test_query_hostile(void **state)
{
	static const char *const nv[] = { "QUERY_STRING",
	    "nul=a%00b&cut=%4&long=0123456789abcdef&bare&pct=%zz", NULL };
	struct triad_req r;
	char buf[8];

	req_init(&r, nv);
	assert_null(triad_req_query_param(&r, "nul", buf, sizeof(buf)));
	assert_string_equal(triad_req_query_param(&r, "cut", buf, sizeof(buf)),
	    "%4");
	assert_null(triad_req_query_param(&r, "long", buf, sizeof(buf)));
	assert_string_equal(triad_req_query_param(&r, "bare", buf,
	    sizeof(buf)), "");
	assert_string_equal(triad_req_query_param(&r, "pct", buf, sizeof(buf)),
	    "%zz");
	assert_string_equal(triad_req_path(&r), "/");	/* no URI at all */
	assert_string_equal(triad_req_method(&r), "GET");
	modapi_req_free(&r);
}

static void
test_malformed_params(void **state)
{
	struct triad_req r;
	uint8_t bad[] = { 10, 1, 'a' };

	memset(&r, 0, sizeof(r));
	fcgi_buf_add(&r.params, bad, sizeof(bad));
	assert_int_equal(modapi_req_params(&r), -1);
	modapi_req_free(&r);
}

static void
test_response_header_refusals(void **state)
{
	static const char *const nv[] = { NULL };
	struct triad_req r;

	req_init(&r, nv);
	assert_int_equal(triad_resp_header(&r, "X-Ok", "fine"), 0);
	assert_int_equal(triad_resp_header(&r, "X-Bad", "a\r\nSet-Cookie: x"),
	    -1);
	assert_int_equal(triad_resp_header(&r, "X-Bad", "a\nb"), -1);
	assert_int_equal(triad_resp_header(&r, "Bad Name", "x"), -1);
	assert_int_equal(triad_resp_header(&r, "Content-Length", "5"), -1);
	assert_int_equal(triad_resp_header(&r, "status", "200"), -1);
	assert_int_equal(triad_resp_status(&r, 99), -1);
	assert_int_equal(triad_resp_status(&r, 600), -1);
	assert_int_equal(triad_resp_status(&r, 201), 0);
	modapi_req_free(&r);
}

/* What a finished answer becomes: STDOUT (a CGI head and the body), the
   empty STDOUT, END_REQUEST, in one write on the socket. */
static void
test_answer_records(void **state)
{
	static const char *const nv[] = { NULL };
	struct triad_req r;
	struct fcgi_rec rec;
	struct cgihead h;
	char buf[4096], out[512];
	const char *why;
	size_t off = 0, used, olen = 0;
	ssize_t n;
	int sv[2], types = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	req_init(&r, nv);
	r.fd = sv[0];
	r.id = 7;
	triad_resp_status(&r, 201);
	triad_resp_header(&r, "Location", "/x/1");
	triad_resp_printf(&r, "hello %d", 42);
	assert_int_equal(modapi_req_end(&r, 0), 0);
	n = read(sv[1], buf, sizeof(buf));
	assert_true(n > 0);
	while (fcgi_parse((uint8_t *)buf + off, (size_t)n - off, &rec,
	    &used) == 1) {
		assert_int_equal(rec.id, 7);
		if (rec.type == FCGI_STDOUT) {
			memcpy(out + olen, rec.data, rec.len);
			olen += rec.len;
		}
		types = types * 10 + rec.type;
		off += used;
	}
	assert_int_equal(off, (size_t)n);
	assert_int_equal(types % 100, 63);	/* ..., empty STDOUT, END */
	assert_int_equal(cgihead_parse(out, olen, &h, &used, &why), 1);
	assert_int_equal(h.status, 201);
	assert_true(h.has_length);
	assert_int_equal(h.content_length, 8);
	assert_memory_equal(out + used, "hello 42", 8);
	modapi_req_free(&r);
	close(sv[0]);
	close(sv[1]);
}

/* A failed handler answers 500, whatever it had started to build. */
static void
test_failed_handler_500(void **state)
{
	static const char *const nv[] = { NULL };
	struct triad_req r;
	struct fcgi_rec rec;
	struct cgihead h;
	char buf[4096];
	const char *why;
	size_t used;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	req_init(&r, nv);
	r.fd = sv[0];
	r.id = 1;
	triad_resp_header(&r, "X-Half", "built");
	triad_resp_write(&r, "partial", 7);
	assert_int_equal(modapi_req_end(&r, 1), 0);
	assert_true(read(sv[1], buf, sizeof(buf)) > 0);
	assert_int_equal(fcgi_parse((uint8_t *)buf, sizeof(buf), &rec, &used),
	    1);
	assert_int_equal(cgihead_parse((const char *)rec.data, rec.len, &h,
	    &used, &why), 1);
	assert_int_equal(h.status, 500);
	assert_int_equal(h.n, 1);	/* Content-Type only: X-Half is gone */
	modapi_req_free(&r);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_query_hostile),
		cmocka_unit_test(test_malformed_params),
		cmocka_unit_test(test_response_header_refusals),
		cmocka_unit_test(test_answer_records),
		cmocka_unit_test(test_failed_handler_500),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
