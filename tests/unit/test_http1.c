/*
 * test_http1.c: the HTTP/1.1 parser and serializer.
 *
 * The core is a table of vectors (raw bytes, request or response, and the
 * expected outcome: the key fields of the message and its decoded body,
 * or the error status). Every vector is run whole, byte by byte, and in
 * 3- and 7-byte pieces; every call gets a fresh heap copy of exactly the
 * bytes it may read, so the buffer moves between calls and AddressSanitizer
 * catches any read past them. Every smuggling form of http1.h is a vector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "http1.h"

#define CRLF	"\r\n"
#define H	"Host: a" CRLF
#define G11	"GET / HTTP/1.1" CRLF
#define POST	"POST /p HTTP/1.1" CRLF H
#define TE	"Transfer-Encoding: chunked" CRLF
#define CHUNKED	POST TE CRLF
/* A string literal and its length. */
#define PS(s)	(s), (sizeof(s) - 1)

struct vec {
	const char		*name;
	enum http1_kind		 kind;
	const char		*raw;
	size_t			 len;	/* 0: strlen(raw) */
	int			 want;	/* 0 ok, -1 incomplete, or status */
	enum http1_method	 req;	/* responses: the request method */
	const struct http1_limits *lim;
	/* When ok: */
	enum http1_method	 method;
	const char		*target;	/* requests; NULL: not checked */
	enum http1_target_form	 form;
	int			 status;	/* responses */
	int			 v10;		/* HTTP/1.0 (else 1.1) */
	enum http1_body_kind	 body;
	uint32_t		 flags;		/* must be set */
	uint32_t		 noflags;	/* must be clear */
	const char		*data;		/* decoded body; NULL: "" */
	int			 eof;		/* the peer closes at the end */
	size_t			 left;		/* bytes after the message */
};

/* Small limits for the limit vectors. */
static const struct http1_limits small = {
	.max_start_line = 32, .max_head = 128, .max_headers = 4,
	.max_chunk_ext = 16, .max_trailer = 32, .max_body = 16,
};

#define KA	HTTP1_F_KEEP_ALIVE
#define REQ(n, r, ...)	{ .name = n, .kind = HTTP1_REQUEST, .raw = r, \
	__VA_ARGS__ }
#define REQN(n, r, ...)	{ .name = n, .kind = HTTP1_REQUEST, .raw = r, \
	.len = sizeof(r) - 1, __VA_ARGS__ }
#define RSP(n, r, ...)	{ .name = n, .kind = HTTP1_RESPONSE, .raw = r, \
	__VA_ARGS__ }
#define GET(m)	.method = HTTP1_METHOD_##m
#define BAD(s)	.want = (s)

static const struct vec vecs[] = {
	/* Requests that parse. */
	REQ("get", G11 H CRLF, GET(GET), .target = "/",
	    .form = HTTP1_TARGET_ORIGIN, .flags = KA),
	REQ("1.0 without Host is close", "GET /x HTTP/1.0" CRLF CRLF,
	    GET(GET), .target = "/x", .v10 = 1, .noflags = KA),
	REQ("1.0 keep-alive", "GET / HTTP/1.0" CRLF
	    "Connection: Keep-Alive" CRLF CRLF, GET(GET), .target = "/",
	    .v10 = 1, .flags = KA | HTTP1_F_CONN_KEEPALIVE),
	REQ("1.1 close", G11 H "Connection: close" CRLF CRLF, GET(GET),
	    .target = "/", .flags = HTTP1_F_CONN_CLOSE, .noflags = KA),
	REQ("close in a list, any case", G11 H "Connection: foo , CLOSE"
	    CRLF CRLF, GET(GET), .target = "/", .noflags = KA),
	REQ("close wins over keep-alive", "GET / HTTP/1.0" CRLF
	    "Connection: keep-alive" CRLF "Connection: close" CRLF CRLF,
	    GET(GET), .target = "/", .v10 = 1, .noflags = KA),
	REQ("upgrade", "GET /ws HTTP/1.1" CRLF H "Connection: Upgrade"
	    CRLF "Upgrade: websocket" CRLF CRLF, GET(GET), .target = "/ws",
	    .flags = KA | HTTP1_F_UPGRADE | HTTP1_F_UPGRADE_HDR |
	    HTTP1_F_CONN_UPGRADE),
	REQ("Upgrade without the connection option", G11 H
	    "Upgrade: websocket" CRLF CRLF, GET(GET), .target = "/",
	    .flags = HTTP1_F_UPGRADE_HDR, .noflags = HTTP1_F_UPGRADE),
	REQ("upgrade ignored in 1.0", "GET / HTTP/1.0" CRLF
	    "Connection: upgrade" CRLF "Upgrade: x" CRLF CRLF, GET(GET),
	    .target = "/", .v10 = 1, .noflags = HTTP1_F_UPGRADE),
	REQ("post Content-Length", POST "Content-Length: 5" CRLF CRLF
	    "hello", GET(POST), .target = "/p", .body = HTTP1_BODY_LENGTH,
	    .flags = KA | HTTP1_F_HAS_CL, .data = "hello"),
	REQ("post chunked", CHUNKED "5" CRLF "hello" CRLF "6" CRLF " world"
	    CRLF "0" CRLF CRLF, GET(POST), .target = "/p",
	    .body = HTTP1_BODY_CHUNKED, .flags = KA | HTTP1_F_HAS_TE,
	    .data = "hello world"),
	REQ("chunk extensions", CHUNKED "5;name=value" CRLF "hello" CRLF
	    "6 ; q=\"a;b\"" CRLF " world" CRLF "A" CRLF "0123456789" CRLF
	    "0;last" CRLF CRLF, GET(POST), .target = "/p",
	    .body = HTTP1_BODY_CHUNKED, .data = "hello world0123456789"),
	REQ("chunked trailers", CHUNKED "3" CRLF "abc" CRLF "0" CRLF
	    "X-Sum: 12" CRLF "Y:" CRLF CRLF, GET(POST), .target = "/p",
	    .body = HTTP1_BODY_CHUNKED, .data = "abc"),
	REQ("chunk size leading zeros", CHUNKED "0005" CRLF "hello" CRLF
	    "000" CRLF CRLF, GET(POST), .target = "/p",
	    .body = HTTP1_BODY_CHUNKED, .data = "hello"),
	REQ("expect 100-continue", POST "Expect: 100-continue" CRLF
	    "Content-Length: 3" CRLF CRLF "abc", GET(POST), .target = "/p",
	    .body = HTTP1_BODY_LENGTH, .data = "abc",
	    .flags = HTTP1_F_EXPECT_CONTINUE),
	REQ("expect 100-Continue any case", POST "Expect: 100-Continue"
	    CRLF CRLF, GET(POST), .target = "/p",
	    .flags = HTTP1_F_EXPECT_CONTINUE),
	REQ("expect ignored in 1.0", "POST / HTTP/1.0" CRLF
	    "Expect: 100-continue" CRLF CRLF, GET(POST), .target = "/",
	    .v10 = 1, .noflags = HTTP1_F_EXPECT_CONTINUE),
	REQ("expect other", POST "Expect: something" CRLF CRLF, GET(POST),
	    .target = "/p", .flags = HTTP1_F_EXPECT_OTHER,
	    .noflags = HTTP1_F_EXPECT_CONTINUE),
	REQ("unknown method", "PROPFIND /d HTTP/1.1" CRLF H CRLF,
	    GET(OTHER), .target = "/d"),
	REQ("methods are case-sensitive", "get / HTTP/1.1" CRLF H CRLF,
	    GET(OTHER), .target = "/"),
	REQ("head", "HEAD /h HTTP/1.1" CRLF H CRLF, GET(HEAD),
	    .target = "/h"),
	REQ("delete", "DELETE /d HTTP/1.1" CRLF H CRLF, GET(DELETE),
	    .target = "/d"),
	REQ("patch", "PATCH /d HTTP/1.1" CRLF H "Content-Length: 2" CRLF
	    CRLF "{}", GET(PATCH), .target = "/d", .data = "{}",
	    .body = HTTP1_BODY_LENGTH),
	REQ("trace", "TRACE / HTTP/1.1" CRLF H CRLF, GET(TRACE),
	    .target = "/"),
	REQ("options asterisk", "OPTIONS * HTTP/1.1" CRLF H CRLF,
	    GET(OPTIONS), .target = "*", .form = HTTP1_TARGET_ASTERISK),
	REQ("connect authority", "CONNECT example.com:443 HTTP/1.1" CRLF
	    "Host: example.com:443" CRLF CRLF, GET(CONNECT),
	    .target = "example.com:443", .form = HTTP1_TARGET_AUTHORITY),
	REQ("connect ipv6", "CONNECT [::1]:8443 HTTP/1.1" CRLF
	    "Host: [::1]:8443" CRLF CRLF, GET(CONNECT),
	    .target = "[::1]:8443", .form = HTTP1_TARGET_AUTHORITY),
	REQ("absolute form", "GET http://example.com/x?y HTTP/1.1" CRLF
	    "Host: example.com" CRLF CRLF, GET(GET),
	    .target = "http://example.com/x?y",
	    .form = HTTP1_TARGET_ABSOLUTE),
	REQ("same Content-Length twice", POST "Content-Length: 5" CRLF
	    "content-length: 5" CRLF CRLF "hello", GET(POST), .target = "/p",
	    .body = HTTP1_BODY_LENGTH, .data = "hello"),
	REQ("Content-Length list of equal values", POST
	    "Content-Length: 5, 5" CRLF CRLF "hello", GET(POST),
	    .target = "/p", .body = HTTP1_BODY_LENGTH, .data = "hello"),
	REQ("Content-Length leading zeros", POST "Content-Length: 005" CRLF
	    CRLF "hello", GET(POST), .target = "/p",
	    .body = HTTP1_BODY_LENGTH, .data = "hello"),
	REQ("Content-Length 0", POST "Content-Length: 0" CRLF CRLF,
	    GET(POST), .target = "/p", .body = HTTP1_BODY_NONE,
	    .flags = HTTP1_F_HAS_CL),
	REQ("whitespace around values", G11 H "X-A: \t a b \t" CRLF CRLF,
	    GET(GET), .target = "/"),
	REQ("obs-text in a value", G11 H "X: caf\xc3\xa9" CRLF CRLF,
	    GET(GET), .target = "/"),
	REQ("empty value", G11 H "X:" CRLF "Y: " CRLF CRLF, GET(GET),
	    .target = "/"),
	REQ("empty lines before the request line", CRLF CRLF G11 H CRLF,
	    GET(GET), .target = "/"),
	REQ("HTTP/1.5 read as 1.1", "GET / HTTP/1.5" CRLF H CRLF,
	    GET(GET), .target = "/", .flags = KA),
	REQ("Transfer-Encoding in capitals", POST
	    "Transfer-Encoding: CHUNKED" CRLF CRLF "0" CRLF CRLF, GET(POST),
	    .target = "/p", .body = HTTP1_BODY_CHUNKED),
	REQ("empty Host in 1.1", G11 "Host:" CRLF CRLF, GET(GET),
	    .target = "/"),
	REQ("Host with port", G11 "Host: www.foobar.com:8080" CRLF CRLF,
	    GET(GET), .target = "/"),
	REQ("GET with a chunked body", G11 H TE CRLF "1" CRLF "x" CRLF "0"
	    CRLF CRLF, GET(GET), .target = "/", .body = HTTP1_BODY_CHUNKED,
	    .data = "x"),
	REQ("visible characters in the target",
	    "GET /a?b=|{}^`\"<> HTTP/1.1" CRLF H CRLF, GET(GET),
	    .target = "/a?b=|{}^`\"<>"),

	/* Smuggling: framing. */
	REQ("Content-Length and Transfer-Encoding", POST
	    "Content-Length: 5" CRLF TE CRLF "0" CRLF CRLF, BAD(400)),
	REQ("Transfer-Encoding and Content-Length", POST TE
	    "Content-Length: 5" CRLF CRLF "0" CRLF CRLF, BAD(400)),
	REQ("Content-Length twice, different", POST "Content-Length: 5" CRLF
	    "Content-Length: 6" CRLF CRLF "hello!", BAD(400)),
	REQ("Content-Length list, different", POST "Content-Length: 5, 6"
	    CRLF CRLF "hello!", BAD(400)),
	REQ("Content-Length with +", POST "Content-Length: +5" CRLF CRLF
	    "hello", BAD(400)),
	REQ("Content-Length with -", POST "Content-Length: -5" CRLF CRLF,
	    BAD(400)),
	REQ("Content-Length with a space inside", POST
	    "Content-Length: 5 5" CRLF CRLF, BAD(400)),
	REQ("Content-Length in hex", POST "Content-Length: 0x5" CRLF CRLF,
	    BAD(400)),
	REQ("Content-Length empty", POST "Content-Length:" CRLF CRLF,
	    BAD(400)),
	REQ("Content-Length empty element", POST "Content-Length: 5," CRLF
	    CRLF "hello", BAD(400)),
	REQ("Content-Length overflow", POST
	    "Content-Length: 99999999999999999999999" CRLF CRLF, BAD(400)),
	REQ("Content-Length 2^63", POST
	    "Content-Length: 9223372036854775808" CRLF CRLF, BAD(400)),
	REQ("Content-Length above max_body", POST
	    "Content-Length: 1048577" CRLF CRLF, BAD(413)),
	REQ("Transfer-Encoding chunked, gzip", POST
	    "Transfer-Encoding: chunked, gzip" CRLF CRLF, BAD(501)),
	REQ("Transfer-Encoding gzip", POST "Transfer-Encoding: gzip" CRLF
	    CRLF, BAD(501)),
	REQ("Transfer-Encoding gzip, chunked", POST
	    "Transfer-Encoding: gzip, chunked" CRLF CRLF, BAD(501)),
	REQ("Transfer-Encoding identity", POST
	    "Transfer-Encoding: identity" CRLF CRLF, BAD(501)),
	REQ("Transfer-Encoding chunked, chunked", POST
	    "Transfer-Encoding: chunked, chunked" CRLF CRLF, BAD(400)),
	REQ("Transfer-Encoding chunked in two fields", POST TE TE CRLF,
	    BAD(400)),
	REQ("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0" CRLF TE CRLF
	    "0" CRLF CRLF, BAD(400)),
	REQ("Transfer-Encoding empty", POST "Transfer-Encoding:" CRLF CRLF,
	    BAD(400)),
	REQ("Transfer-Encoding empty element", POST
	    "Transfer-Encoding: , chunked" CRLF CRLF, BAD(400)),
	REQ("Transfer-Encoding with parameters", POST
	    "Transfer-Encoding: chunked;q=1" CRLF CRLF, BAD(501)),
	REQ("Transfer-Encoding chunked\\v", POST
	    "Transfer-Encoding: chunked\v" CRLF CRLF, BAD(400)),

	/* Smuggling: line and field syntax. */
	REQ("obs-fold", G11 H "X: a" CRLF " b" CRLF CRLF, BAD(400)),
	REQ("obs-fold with HTAB", G11 H "X: a" CRLF "\tb" CRLF CRLF,
	    BAD(400)),
	REQ("whitespace before the first field", G11 " Host: a" CRLF CRLF,
	    BAD(400)),
	REQ("invalid character in method", "GE(T / HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("invalid character in field name", G11 H "X@Y: a" CRLF CRLF,
	    BAD(400)),
	REQ("space inside a field name", G11 H "X Y: a" CRLF CRLF,
	    BAD(400)),
	REQ("space before colon", G11 "Host : a" CRLF CRLF, BAD(400)),
	REQ("tab before colon", G11 H "Content-Length\t: 0" CRLF CRLF,
	    BAD(400)),
	REQ("empty field name", G11 H ": a" CRLF CRLF, BAD(400)),
	REQ("field without colon", G11 H "Foo" CRLF CRLF, BAD(400)),
	REQ("CTL in value", G11 H "X: a\x01" "b" CRLF CRLF, BAD(400)),
	REQ("DEL in value", G11 H "X: a\x7f" "b" CRLF CRLF, BAD(400)),
	REQ("ESC in value", G11 H "X: \x1b[0m" CRLF CRLF, BAD(400)),
	REQ("DEL deep in a long value", G11 H "X: 0123456789abc\x7f" "efghij"
	    CRLF CRLF, BAD(400)),
	REQ("CTL deep in a long value", G11 H "X: 0123456789\x1f" "abcdefghij"
	    CRLF CRLF, BAD(400)),
	REQ("bare CR deep in a long value", G11 H "X: 0123456789abcdefgh\r"
	    "ijklmnopq" CRLF CRLF, BAD(400)),
	REQN("NUL deep in a long value", G11 H "X: 0123456789abcdefghijklmno"
	    "\0" "pqrstuvwxyz" CRLF CRLF, BAD(400)),
	REQ("HTAB and obs-text in a long value", G11 H "X: 0123456789\tabc"
	    "\xff\x80\xa0" "defghijklmnopqrstuvwxyz\t01234567" CRLF CRLF,
	    GET(GET), .target = "/"),
	REQN("NUL in value", G11 H "X: a\0b" CRLF CRLF, BAD(400)),
	REQN("NUL in target", "GET /a\0b HTTP/1.1" CRLF H CRLF, BAD(400)),
	REQN("NUL in method", "G\0T / HTTP/1.1" CRLF H CRLF, BAD(400)),
	REQN("NUL in field name", G11 H "X\0: a" CRLF CRLF, BAD(400)),
	REQN("NUL in version", "GET / HTTP/1.\0" CRLF H CRLF, BAD(400)),
	REQ("bare CR in value", G11 H "X: a\rb" CRLF CRLF, BAD(400)),
	REQ("bare CR at end of value", G11 H "X: a\r\r\n" CRLF, BAD(400)),
	REQ("bare CR in request line", "GET /\r HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("bare CR as a line end", G11 "Host: a\rX: b" CRLF CRLF,
	    BAD(400)),
	REQ("bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", BAD(400)),
	REQ("bare LF after a field", G11 "Host: a\n" CRLF, BAD(400)),
	REQ("bare LF as the empty line", G11 H "\n", BAD(400)),
	REQ("bare LF inside a value", G11 "X: a\nContent-Length: 5" CRLF H
	    CRLF, BAD(400)),

	/* Smuggling: chunked framing. */
	REQ("chunk size bad hex", CHUNKED "5g" CRLF "hello" CRLF "0" CRLF
	    CRLF, BAD(400)),
	REQ("chunk size 0x", CHUNKED "0x5" CRLF "hello" CRLF "0" CRLF CRLF,
	    BAD(400)),
	REQ("chunk size negative", CHUNKED "-5" CRLF, BAD(400)),
	REQ("chunk size empty", CHUNKED CRLF "hello" CRLF, BAD(400)),
	REQ("chunk size overflow", CHUNKED "10000000000000005" CRLF "hello"
	    CRLF "0" CRLF CRLF, BAD(400)),
	REQ("chunk size above max_body", CHUNKED "ffffffffffffffff" CRLF
	    "hello" CRLF, BAD(413)),
	REQ("chunk size then space", CHUNKED "5 " CRLF "hello" CRLF "0" CRLF
	    CRLF, BAD(400)),
	REQ("chunk size bare LF", CHUNKED "5\nhello" CRLF "0" CRLF CRLF,
	    BAD(400)),
	REQ("chunk size bare CR", CHUNKED "5\rhello" CRLF "0" CRLF CRLF,
	    BAD(400)),
	REQ("chunk data without CRLF", CHUNKED "5" CRLF "helloX" CRLF "0"
	    CRLF CRLF, BAD(400)),
	REQ("chunk data then bare LF", CHUNKED "5" CRLF "hello\n0" CRLF CRLF,
	    BAD(400)),
	REQ("chunk data then a byte and LF", CHUNKED "5" CRLF "helloX\n0"
	    CRLF CRLF, BAD(400)),
	REQ("chunk data longer than its size", CHUNKED "3" CRLF "hello" CRLF
	    "0" CRLF CRLF, BAD(400)),
	REQ("chunk extension bare LF", CHUNKED "5;a\nhello" CRLF "0" CRLF
	    CRLF, BAD(400)),
	REQ("chunk extension CTL", CHUNKED "5;a\x01" CRLF "hello" CRLF "0"
	    CRLF CRLF, BAD(400)),
	REQ("chunk extension too long", CHUNKED "5;aaaaaaaaaaaaaaaaaaaaa"
	    CRLF "hello" CRLF "0" CRLF CRLF, .lim = &small, BAD(400)),
	REQ("chunked above max_body", CHUNKED "a" CRLF "0123456789" CRLF
	    "7" CRLF "0123456" CRLF "0" CRLF CRLF, .lim = &small, BAD(413)),
	REQ("trailer obs-fold", CHUNKED "0" CRLF "X: a" CRLF " b" CRLF CRLF,
	    BAD(400)),
	REQ("trailer name invalid", CHUNKED "0" CRLF "X(: a" CRLF CRLF,
	    BAD(400)),
	REQ("trailer space before colon", CHUNKED "0" CRLF "X : a" CRLF
	    CRLF, BAD(400)),
	REQ("trailer bare LF", CHUNKED "0" CRLF "X: a\n" CRLF, BAD(400)),
	REQ("trailer CTL", CHUNKED "0" CRLF "X: a\x02" CRLF CRLF, BAD(400)),
	REQ("chunked end bare LF", CHUNKED "0" CRLF "\n", BAD(400)),
	REQ("trailer section too large", CHUNKED "0" CRLF
	    "X-Long-Trailer: aaaaaaaaaaaaaaaaaaaa" CRLF CRLF, .lim = &small,
	    BAD(431)),

	/* Request target and Host. */
	REQ("authority-form with GET", "GET a.com:80 HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("asterisk-form with GET", "GET * HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("CONNECT with origin-form", "CONNECT / HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("CONNECT without port", "CONNECT a.com HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("CONNECT with userinfo", "CONNECT u@a.com:1 HTTP/1.1" CRLF H
	    CRLF, BAD(400)),
	REQ("relative target", "GET foo HTTP/1.1" CRLF H CRLF, BAD(400)),
	REQ("fragment in target", "GET /a#b HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("byte >= 0x80 in target", "GET /caf\xc3\xa9 HTTP/1.1" CRLF H
	    CRLF, BAD(400)),
	REQ("scheme without authority", "GET http: HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("missing Host in 1.1", G11 CRLF, BAD(400)),
	REQ("two Host fields", G11 H "Host: b" CRLF CRLF, BAD(400)),
	REQ("two Host fields in 1.0", "GET / HTTP/1.0" CRLF H H CRLF,
	    BAD(400)),
	REQ("Host with a space", G11 "Host: a b" CRLF CRLF, BAD(400)),
	REQ("Host with a slash", G11 "Host: a/b" CRLF CRLF, BAD(400)),
	REQ("Host with userinfo", G11 "Host: u@a" CRLF CRLF, BAD(400)),

	/* Request line and versions. */
	REQ("HTTP/2.0", "GET / HTTP/2.0" CRLF H CRLF, BAD(505)),
	REQ("HTTP/2 preface", "PRI * HTTP/2.0" CRLF CRLF "SM" CRLF CRLF,
	    BAD(505)),
	REQ("HTTP/0.9 numbered", "GET / HTTP/0.9" CRLF H CRLF, BAD(505)),
	REQ("HTTP/0.9 style request", "GET /" CRLF, BAD(400)),
	REQ("space after version", "GET / HTTP/1.1 " CRLF H CRLF, BAD(400)),
	REQ("lower case version", "GET / http/1.1" CRLF H CRLF, BAD(400)),
	REQ("version 1.10", "GET / HTTP/1.10" CRLF H CRLF, BAD(400)),
	REQ("version without minor", "GET / HTTP/1" CRLF H CRLF, BAD(400)),
	REQ("two spaces after method", "GET  / HTTP/1.1" CRLF H CRLF,
	    BAD(400)),
	REQ("tab as separator", "GET\t/ HTTP/1.1" CRLF H CRLF, BAD(400)),
	REQ("space before method", " GET / HTTP/1.1" CRLF H CRLF, BAD(400)),
	REQ("method only", "GET" CRLF H CRLF, BAD(400)),

	/* Limits (small: start line 32, head 128, 4 fields). */
	REQ("request line at the limit", "GET /234567890123456789 HTTP/1.1"
	    CRLF H CRLF, .lim = &small, GET(GET),
	    .target = "/234567890123456789"),
	REQ("request line over the limit",
	    "GET /2345678901234567890 HTTP/1.1" CRLF H CRLF, .lim = &small,
	    BAD(414)),
	REQ("fields at the limit", G11 H "A: 1" CRLF "B: 2" CRLF "C: 3" CRLF
	    CRLF, .lim = &small, GET(GET), .target = "/"),
	REQ("too many fields", G11 H "A: 1" CRLF "B: 2" CRLF "C: 3" CRLF
	    "D: 4" CRLF CRLF, .lim = &small, BAD(431)),
	REQ("head too large", G11 H "X: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa" CRLF CRLF, .lim = &small, BAD(431)),
	REQ("incomplete head", G11 "Host: a" CRLF, BAD(-1)),
	REQ("incomplete body", POST "Content-Length: 5" CRLF CRLF "hel",
	    BAD(-1)),
	REQ("incomplete chunked body", CHUNKED "5" CRLF "hello" CRLF,
	    BAD(-1)),
	REQ("pipelined bytes are left", G11 H CRLF "GET /next", GET(GET),
	    .target = "/", .left = 9),

	/* Responses that parse. */
	RSP("200 Content-Length", "HTTP/1.1 200 OK" CRLF "Content-Length: 5"
	    CRLF CRLF "hello", .status = 200, .body = HTTP1_BODY_LENGTH,
	    .data = "hello", .flags = KA),
	RSP("200 chunked", "HTTP/1.1 200 OK" CRLF TE CRLF "2" CRLF "hi" CRLF
	    "0" CRLF "Digest: x" CRLF CRLF, .status = 200,
	    .body = HTTP1_BODY_CHUNKED, .data = "hi", .flags = KA),
	RSP("204 has no body", "HTTP/1.1 204 No Content" CRLF CRLF
	    "HTTP/1.1", .status = 204, .left = 8, .flags = KA),
	RSP("304 ignores Content-Length", "HTTP/1.1 304 Not Modified" CRLF
	    "Content-Length: 100" CRLF CRLF, .status = 304,
	    .body = HTTP1_BODY_NONE, .flags = HTTP1_F_HAS_CL | KA),
	RSP("100 Continue", "HTTP/1.1 100 Continue" CRLF CRLF, .status = 100),
	RSP("101 Switching Protocols", "HTTP/1.1 101 Switching Protocols"
	    CRLF "Upgrade: websocket" CRLF "Connection: Upgrade" CRLF CRLF
	    "\x81\x05", .status = 101, .left = 2,
	    .flags = HTTP1_F_TUNNEL | HTTP1_F_UPGRADE, .noflags = KA),
	RSP("response to HEAD", "HTTP/1.1 200 OK" CRLF "Content-Length: 10"
	    CRLF CRLF, .req = HTTP1_METHOD_HEAD, .status = 200,
	    .body = HTTP1_BODY_NONE, .flags = KA),
	RSP("response to HEAD, chunked", "HTTP/1.1 200 OK" CRLF TE CRLF,
	    .req = HTTP1_METHOD_HEAD, .status = 200, .body = HTTP1_BODY_NONE),
	RSP("read until close", "HTTP/1.1 200 OK" CRLF CRLF "all of it",
	    .status = 200, .body = HTTP1_BODY_EOF, .data = "all of it",
	    .eof = 1, .noflags = KA),
	RSP("1.0 keep-alive", "HTTP/1.0 200 OK" CRLF "Connection: keep-alive"
	    CRLF "Content-Length: 2" CRLF CRLF "hi", .status = 200,
	    .v10 = 1, .body = HTTP1_BODY_LENGTH, .data = "hi", .flags = KA),
	RSP("1.0 closes", "HTTP/1.0 200 OK" CRLF "Content-Length: 2" CRLF
	    CRLF "hi", .status = 200, .v10 = 1, .body = HTTP1_BODY_LENGTH,
	    .data = "hi", .noflags = KA),
	RSP("Connection: close", "HTTP/1.1 200 OK" CRLF "Connection: close"
	    CRLF "Content-Length: 0" CRLF CRLF, .status = 200, .noflags = KA),
	RSP("no reason", "HTTP/1.1 200" CRLF "Content-Length: 0" CRLF CRLF,
	    .status = 200),
	RSP("empty reason", "HTTP/1.1 404 " CRLF "Content-Length: 0" CRLF
	    CRLF, .status = 404),
	RSP("obs-text reason", "HTTP/1.1 404 Nicht gefunden \xfc" CRLF
	    "Content-Length: 0" CRLF CRLF, .status = 404),
	RSP("2xx to CONNECT", "HTTP/1.1 200 Connection established" CRLF
	    CRLF, .req = HTTP1_METHOD_CONNECT, .status = 200,
	    .flags = HTTP1_F_TUNNEL, .noflags = KA),
	RSP("407 to CONNECT", "HTTP/1.1 407 Proxy Auth" CRLF
	    "Content-Length: 1" CRLF CRLF "x", .req = HTTP1_METHOD_CONNECT,
	    .status = 407, .body = HTTP1_BODY_LENGTH, .data = "x",
	    .noflags = HTTP1_F_TUNNEL),

	/* Responses that do not. */
	RSP("status with 4 digits", "HTTP/1.1 2000 OK" CRLF CRLF, BAD(400)),
	RSP("status with 2 digits", "HTTP/1.1 20 OK" CRLF CRLF, BAD(400)),
	RSP("status 600", "HTTP/1.1 600 X" CRLF CRLF, BAD(400)),
	RSP("status 099", "HTTP/1.1 099 X" CRLF CRLF, BAD(400)),
	RSP("status with letters", "HTTP/1.1 2x0 OK" CRLF CRLF, BAD(400)),
	RSP("response Content-Length and Transfer-Encoding",
	    "HTTP/1.1 200 OK" CRLF "Content-Length: 2" CRLF TE CRLF, BAD(400)),
	RSP("response Content-Length differ", "HTTP/1.1 200 OK" CRLF
	    "Content-Length: 2" CRLF "Content-Length: 3" CRLF CRLF, BAD(400)),
	RSP("response HTTP/2", "HTTP/2.0 200 OK" CRLF CRLF, BAD(505)),
	RSP("response obs-fold", "HTTP/1.1 200 OK" CRLF "X: a" CRLF " b"
	    CRLF CRLF, BAD(400)),
	RSP("response gzip coding", "HTTP/1.1 200 OK" CRLF
	    "Transfer-Encoding: gzip" CRLF CRLF, BAD(501)),
	RSP("response bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
	    BAD(400)),
	RSP("response empty line first", CRLF "HTTP/1.1 200 OK" CRLF CRLF,
	    BAD(400)),
	RSP("response 1.0 chunked", "HTTP/1.0 200 OK" CRLF TE CRLF,
	    BAD(400)),
	RSP("response truncated inside the body", "HTTP/1.1 200 OK" CRLF
	    "Content-Length: 9" CRLF CRLF "abc", .eof = 1, BAD(400)),
};

/* A heap copy of exactly n bytes (ASan flags any read past them). */
static char *
dup_exact(const char *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	assert_non_null(c);
	memcpy(c, p, n);
	return c;
}

/* a + step, but no more than len (step may be SIZE_MAX). */
static size_t
upto(size_t a, size_t step, size_t len)
{
	return len - a <= step ? len : a + step;
}

static size_t
vec_len(const struct vec *v)
{
	return v->len ? v->len : strlen(v->raw);
}

/* Feeds the head step bytes at a time; returns the final rc. */
static enum http1_rc
feed_head(struct http1_parser *p, struct http1_msg *msg, const char *raw,
    size_t len, size_t step, char **copy)
{
	enum http1_rc rc = HTTP1_AGAIN;
	size_t avail = 0;

	*copy = NULL;
	while (rc == HTTP1_AGAIN && avail < len) {
		avail = upto(avail, step, len);
		free(*copy);
		*copy = dup_exact(raw, avail);
		rc = http1_parse_head(p, msg, *copy, avail);
	}
	return rc;
}

/*
 * Decodes the body from raw[*off..len), step bytes at a time; appends the
 * data to out (size outsz, length *outlen) and advances *off.
 */
static enum http1_rc
feed_body(struct http1_body *b, const char *raw, size_t len, size_t *off,
    size_t step, char *out, size_t outsz, size_t *outlen)
{
	enum http1_rc rc;
	size_t end = *off, used, dlen;
	const char *data;
	char *piece;

	*outlen = 0;
	for (;;) {
		piece = dup_exact(raw + *off, end - *off);
		rc = http1_body_decode(b, piece, end - *off, &used, &data,
		    &dlen);
		assert_true(used <= end - *off);
		assert_true(dlen == 0 || (data >= piece &&
		    data + dlen <= piece + used));
		assert_true(*outlen + dlen <= outsz);
		memcpy(out + *outlen, data, dlen);
		*outlen += dlen;
		*off += used;
		free(piece);
		if (rc != HTTP1_AGAIN)
			return rc;
		if (*off == end) {
			if (end == len)
				return rc;
			end = upto(end, step, len);
		}
	}
}

static void
check_span(const struct vec *v, size_t step, const struct http1_msg *msg,
    struct http1_span s, const char *want, const char *what)
{
	if (want == NULL)
		return;
	if (s.len != strlen(want) || memcmp(http1_span_ptr(msg, s), want,
	    s.len) != 0)
		fail_msg("%s (step %zu): %s '%.*s', want '%s'", v->name, step,
		    what, (int)s.len, http1_span_ptr(msg, s), want);
}

/* The key fields of a parsed head against the vector. */
static void
check_msg(const struct vec *v, size_t step, const struct http1_msg *msg)
{
	if (v->kind == HTTP1_REQUEST) {
		check_span(v, step, msg, msg->target, v->target, "target");
		if (v->target != NULL && msg->method != v->method)
			fail_msg("%s (step %zu): method %d, want %d", v->name,
			    step, msg->method, v->method);
		if (v->form != HTTP1_TARGET_NONE && msg->form != v->form)
			fail_msg("%s: form %d, want %d", v->name, msg->form,
			    v->form);
	} else if (msg->status != v->status)
		fail_msg("%s: status %d, want %d", v->name, msg->status,
		    v->status);
	if (msg->version_minor != !v->v10 || msg->body != v->body)
		fail_msg("%s (step %zu): minor %d body %d, want %d %d",
		    v->name, step, msg->version_minor, msg->body, !v->v10,
		    v->body);
	if ((msg->flags & v->flags) != v->flags || (msg->flags & v->noflags))
		fail_msg("%s (step %zu): flags %#x, want %#x and not %#x",
		    v->name, step, msg->flags, v->flags, v->noflags);
}

/* One vector, fed step bytes at a time. */
static void
run_vec(const struct vec *v, size_t step)
{
	struct http1_parser p;
	struct http1_msg msg;
	struct http1_body b;
	enum http1_rc rc;
	size_t len = vec_len(v), off, outlen = 0;
	char *copy, out[256];
	int got;

	http1_parser_init(&p, v->kind, v->lim);
	http1_parser_set_request_method(&p, v->req);
	rc = feed_head(&p, &msg, v->raw, len, step, &copy);
	got = rc == HTTP1_ERROR ? p.err_status : -1;
	if (rc == HTTP1_DONE) {
		assert_ptr_equal(msg.base, copy);
		if (v->want == 0)
			check_msg(v, step, &msg);
		off = msg.head_len;
		http1_body_init(&b, &msg, v->lim);
		rc = feed_body(&b, v->raw, len, &off, step, out, sizeof(out),
		    &outlen);
		if (rc == HTTP1_AGAIN && v->eof)
			rc = http1_body_eof(&b);
		got = rc == HTTP1_DONE ? 0 : rc == HTTP1_ERROR ?
		    b.err_status : -1;
		if (rc == HTTP1_DONE && len - off != v->left)
			fail_msg("%s (step %zu): %zu bytes left, want %zu",
			    v->name, step, len - off, v->left);
		if (rc == HTTP1_ERROR)
			assert_non_null(b.err_reason);
	} else if (rc == HTTP1_ERROR)
		assert_non_null(p.err_reason);
	if (got != v->want)
		fail_msg("%s (step %zu): outcome %d (%s), want %d", v->name,
		    step, got, rc == HTTP1_ERROR ? (p.err_reason ?
		    p.err_reason : b.err_reason) : "-", v->want);
	if (got == 0 && (outlen != strlen(v->data ? v->data : "") ||
	    memcmp(out, v->data ? v->data : "", outlen) != 0))
		fail_msg("%s (step %zu): body '%.*s'", v->name, step,
		    (int)outlen, out);
	free(copy);
}

static void
test_vectors(void **state)
{
	static const size_t steps[] = { SIZE_MAX, 1, 3, 7 };
	size_t i, j;

	assert_true(sizeof(vecs) / sizeof(vecs[0]) >= 60);
	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++)
			run_vec(&vecs[i], steps[j]);
}

/* Parses the whole of s as one head; fails the test unless DONE. */
static void
parse_ok(struct http1_parser *p, struct http1_msg *msg, enum http1_kind kind,
    const struct http1_limits *lim, const char *s, size_t len)
{
	http1_parser_init(p, kind, lim);
	if (http1_parse_head(p, msg, s, len) != HTTP1_DONE)
		fail_msg("'%.40s...': %d %s", s, p->err_status,
		    p->err_reason ? p->err_reason : "incomplete");
}

/* The status a whole head gets: 0 when DONE, -1 when incomplete. */
static int
parse_status(enum http1_kind kind, const struct http1_limits *lim,
    const char *s, size_t len)
{
	struct http1_parser p;
	struct http1_msg msg;
	enum http1_rc rc;
	char *c = dup_exact(s, len);

	http1_parser_init(&p, kind, lim);
	rc = http1_parse_head(&p, &msg, c, len);
	free(c);
	return rc == HTTP1_DONE ? 0 : rc == HTTP1_AGAIN ? -1 : p.err_status;
}

/* Decodes a whole body; returns the status as parse_status does. */
static int
body_status(const struct http1_msg *msg, const struct http1_limits *lim,
    const char *s, size_t len)
{
	struct http1_body b;
	enum http1_rc rc;
	size_t off = 0;
	char out[4096];
	size_t outlen;

	http1_body_init(&b, msg, lim);
	rc = feed_body(&b, s, len, &off, SIZE_MAX, out, sizeof(out), &outlen);
	return rc == HTTP1_DONE ? 0 : rc == HTTP1_AGAIN ? -1 : b.err_status;
}

/*
 * A connection that receives stream step bytes at a time and reads
 * pipelined requests from it: the targets and bodies it found, joined
 * with "|", go to out.
 */
static void
run_stream(const char *stream, size_t len, size_t step, char *out,
    size_t outsz)
{
	struct http1_parser p;
	struct http1_msg msg;
	struct http1_body b;
	enum http1_rc rc;
	size_t off = 0, avail = 0, used, dlen, o = 0;
	const char *data;

	http1_parser_init(&p, HTTP1_REQUEST, NULL);
	while (off < len) {
		do {
			avail = upto(avail, step, len);
			rc = http1_parse_head(&p, &msg, stream + off,
			    avail - off);
		} while (rc == HTTP1_AGAIN && avail < len);
		assert_int_equal(rc, HTTP1_DONE);
		o += (size_t)snprintf(out + o, outsz - o, "%.*s=",
		    (int)msg.target.len, http1_span_ptr(&msg, msg.target));
		off += msg.head_len;
		http1_body_init(&b, &msg, NULL);
		for (;;) {
			rc = http1_body_decode(&b, stream + off, avail - off,
			    &used, &data, &dlen);
			assert_int_not_equal(rc, HTTP1_ERROR);
			o += (size_t)snprintf(out + o, outsz - o, "%.*s",
			    (int)dlen, data);
			off += used;
			if (rc == HTTP1_DONE)
				break;
			if (off == avail) {
				assert_true(avail < len);
				avail = upto(avail, step, len);
			}
		}
		o += (size_t)snprintf(out + o, outsz - o, "|");
		http1_parser_reset(&p);
	}
}

static void
test_pipeline(void **state)
{
	static const char s[] =
	    "GET /one HTTP/1.1" CRLF H CRLF
	    "POST /two HTTP/1.1" CRLF H "Content-Length: 3" CRLF CRLF "abc"
	    "POST /three HTTP/1.1" CRLF H TE CRLF "4" CRLF "wxyz" CRLF "0" CRLF
	    "T: 1" CRLF CRLF;
	static const size_t steps[] = { sizeof(s), 1, 5, 13 };
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		run_stream(s, sizeof(s) - 1, steps[i], out, sizeof(out));
		assert_string_equal(out, "/one=|/two=abc|/three=wxyz|");
	}
}

static void
test_expect_continue(void **state)
{
	static const char head[] = "PUT /up HTTP/1.1" CRLF H
	    "Expect: 100-continue" CRLF "Content-Length: 4" CRLF CRLF;
	static const char big[] = "PUT /up HTTP/1.1" CRLF H
	    "Expect: 100-continue" CRLF "Content-Length: 99999999" CRLF CRLF;
	struct http1_parser p;
	struct http1_msg msg, rsp;
	struct http1_out out;
	char buf[64];

	/* The head is complete before any body byte: answer 100 now. */
	parse_ok(&p, &msg, HTTP1_REQUEST, NULL, head, sizeof(head) - 1);
	assert_true(msg.flags & HTTP1_F_EXPECT_CONTINUE);
	assert_int_equal(msg.head_len, sizeof(head) - 1);
	assert_int_equal(msg.body, HTTP1_BODY_LENGTH);
	assert_int_equal(body_status(&msg, NULL, "data", 4), 0);
	assert_int_equal(body_status(&msg, NULL, "da", 2), -1);

	http1_out_init_buffer(&out, buf, sizeof(buf));
	assert_int_equal(http1_write_status_line(&out, 1, 100, NULL, 0), 0);
	assert_int_equal(http1_write_end_head(&out), 0);
	assert_int_equal(out.len, strlen("HTTP/1.1 100 Continue\r\n\r\n"));
	assert_memory_equal(buf, "HTTP/1.1 100 Continue\r\n\r\n", out.len);
	parse_ok(&p, &rsp, HTTP1_RESPONSE, NULL, buf, out.len);
	assert_int_equal(rsp.status, 100);
	assert_int_equal(rsp.body, HTTP1_BODY_NONE);

	/* Too large: 413 from the head, so no 100 is ever sent. */
	assert_int_equal(parse_status(HTTP1_REQUEST, NULL, big,
	    sizeof(big) - 1), 413);
}

static void
test_keep_alive(void **state)
{
	static const struct {
		const char	*version;
		const char	*conn;	/* NULL: no Connection field */
		int		 ka;
	} t[] = {
		{ "HTTP/1.1", NULL, 1 },
		{ "HTTP/1.1", "close", 0 },
		{ "HTTP/1.1", "Close", 0 },
		{ "HTTP/1.1", "keep-alive", 1 },
		{ "HTTP/1.1", "keep-alive, close", 0 },
		{ "HTTP/1.1", "x-foo", 1 },
		{ "HTTP/1.1", "closed", 1 },
		{ "HTTP/1.0", NULL, 0 },
		{ "HTTP/1.0", "keep-alive", 1 },
		{ "HTTP/1.0", "KEEP-ALIVE", 1 },
		{ "HTTP/1.0", "te, keep-alive", 1 },
		{ "HTTP/1.0", "close", 0 },
	};
	struct http1_parser p;
	struct http1_msg msg;
	char raw[128];
	size_t i;
	int n, k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (k = 0; k < 2; k++) {
			if (k == 0)
				n = snprintf(raw, sizeof(raw),
				    "GET / %s\r\nHost: a\r\n%s%s%s\r\n",
				    t[i].version, t[i].conn ? "Connection: " :
				    "", t[i].conn ? t[i].conn : "",
				    t[i].conn ? "\r\n" : "");
			else
				n = snprintf(raw, sizeof(raw),
				    "%s 200 OK\r\nContent-Length: 0\r\n%s%s%s"
				    "\r\n", t[i].version, t[i].conn ?
				    "Connection: " : "", t[i].conn ?
				    t[i].conn : "", t[i].conn ? "\r\n" : "");
			parse_ok(&p, &msg, k == 0 ? HTTP1_REQUEST :
			    HTTP1_RESPONSE, NULL, raw, (size_t)n);
			if (!!(msg.flags & HTTP1_F_KEEP_ALIVE) != t[i].ka)
				fail_msg("%s Connection: %s -> %d", t[i].version,
				    t[i].conn ? t[i].conn : "(none)", !t[i].ka);
		}
	}
}

/* A request head whose line or total length is exactly n bytes. */
static size_t
make_head(char *buf, size_t size, size_t line, size_t total)
{
	size_t o = 0;

	o += (size_t)snprintf(buf, size, "GET /");
	while (o < line - 9)
		buf[o++] = 'a';
	o += (size_t)snprintf(buf + o, size - o, " HTTP/1.1\r\nHost: a\r\n");
	if (total > 0) {
		o += (size_t)snprintf(buf + o, size - o, "X: ");
		while (o < total - 4)
			buf[o++] = 'b';
		o += (size_t)snprintf(buf + o, size - o, "\r\n");
	}
	o += (size_t)snprintf(buf + o, size - o, "\r\n");
	return o;
}

static void
test_limits(void **state)
{
	struct http1_limits lim = { .max_start_line = 20, .max_head = 64,
	    .max_headers = 2, .max_body = 10, .max_chunk_ext = 8,
	    .max_trailer = 12 };
	struct http1_parser p;
	struct http1_msg msg;
	char buf[256];
	size_t n;

	/* 414 at max_start_line + 1; 431 at max_head + 1. */
	n = make_head(buf, sizeof(buf), 20, 0);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim, buf, n), 0);
	n = make_head(buf, sizeof(buf), 21, 0);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim, buf, n), 414);
	n = make_head(buf, sizeof(buf), 14, 64);
	assert_int_equal(n, 64);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim, buf, n), 0);
	n = make_head(buf, sizeof(buf), 14, 65);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim, buf, n), 431);

	/* Early: no need to wait for the LF of a line already too long. */
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim,
	    PS("GET /aaaaaaaaaaaa\r")), -1);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim,
	    PS("GET /aaaaaaaaaaaaaaaa")), -1);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim,
	    PS("GET /aaaaaaaaaaaaaaaaa")), 414);
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim, buf, 64), -1);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim, buf, 65), 431);

	/* Field count. */
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim,
	    PS(G11 H "A: 1" CRLF CRLF)), 0);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim,
	    PS(G11 H "A: 1" CRLF "B: 2" CRLF CRLF)), 431);

	/* Body: Content-Length and chunked, at and over max_body. */
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim,
	    PS(POST "Content-Length: 10" CRLF CRLF)), 0);
	assert_int_equal(parse_status(HTTP1_REQUEST, &lim,
	    PS(POST "Content-Length: 11" CRLF CRLF)), 413);
	parse_ok(&p, &msg, HTTP1_REQUEST, &lim, CHUNKED, strlen(CHUNKED));
	assert_int_equal(body_status(&msg, &lim,
	    PS("5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n")), 0);
	assert_int_equal(body_status(&msg, &lim,
	    PS("5\r\n01234\r\n6\r\n567890\r\n0\r\n\r\n")), 413);
	/* Chunk extensions: 8 bytes from the ";" (or BWS) on. */
	assert_int_equal(body_status(&msg, &lim,
	    PS("1;abcdefg\r\nx\r\n0\r\n\r\n")), 0);
	assert_int_equal(body_status(&msg, &lim,
	    PS("1;abcdefgh\r\nx\r\n0\r\n\r\n")), 400);
	assert_int_equal(body_status(&msg, &lim,
	    PS("1       ;\r\nx\r\n0\r\n\r\n")), 0);
	assert_int_equal(body_status(&msg, &lim,
	    PS("1        ;\r\nx\r\n0\r\n\r\n")), 400);
	/* Trailer section: 12 bytes with its CRLFs. */
	assert_int_equal(body_status(&msg, &lim,
	    PS("0\r\nX: 12345\r\n\r\n")), 0);
	assert_int_equal(body_status(&msg, &lim,
	    PS("0\r\nX: 123456\r\n\r\n")), 431);
}

static void
test_limits_defaults(void **state)
{
	struct http1_limits lim = { .max_headers = 1000 };
	struct http1_parser p;

	http1_parser_init(&p, HTTP1_REQUEST, &lim);
	assert_int_equal(p.lim.max_headers, HTTP1_HEADERS_CAP);
	assert_int_equal(p.lim.max_head, HTTP1_DEFAULT_MAX_HEAD);
	assert_int_equal(p.lim.max_start_line, HTTP1_DEFAULT_MAX_START_LINE);
	assert_int_equal(p.lim.max_body, HTTP1_DEFAULT_MAX_BODY);
	http1_parser_init(&p, HTTP1_REQUEST, NULL);
	assert_int_equal(p.lim.max_headers, HTTP1_DEFAULT_MAX_HEADERS);
}

static void
test_states(void **state)
{
	static const char req[] = G11 H CRLF;
	struct http1_parser p;
	struct http1_msg msg;

	/* DONE and ERROR are sticky until reset. */
	parse_ok(&p, &msg, HTTP1_REQUEST, NULL, req, sizeof(req) - 1);
	assert_int_equal(http1_parse_head(&p, &msg, req, 3), HTTP1_DONE);
	http1_parser_reset(&p);
	assert_int_equal(http1_parse_head(&p, &msg, "BAD\r\n", 5),
	    HTTP1_ERROR);
	assert_int_equal(http1_parse_head(&p, &msg, req, sizeof(req) - 1),
	    HTTP1_ERROR);
	http1_parser_reset(&p);
	assert_int_equal(http1_parse_head(&p, &msg, req, sizeof(req) - 1),
	    HTTP1_DONE);

	/* A shorter buffer than last time, or none, is only "again". */
	http1_parser_reset(&p);
	assert_int_equal(http1_parse_head(&p, &msg, req, 10), HTTP1_AGAIN);
	assert_int_equal(http1_parse_head(&p, &msg, req, 5), HTTP1_AGAIN);
	assert_int_equal(http1_parse_head(&p, &msg, NULL, 0), HTTP1_AGAIN);
	assert_int_equal(http1_parse_head(&p, &msg, req, sizeof(req) - 1),
	    HTTP1_DONE);
}

static void
test_field_helpers(void **state)
{
	static const char raw[] = G11 H "X-Many: 1" CRLF
	    "Accept: text/html, \"a,b\" ,, x;q=0.5" CRLF "x-many:  2 " CRLF
	    CRLF;
	static const char *want[] = { "text/html", "\"a,b\"", "", "x;q=0.5" };
	struct http1_parser p;
	struct http1_msg msg;
	struct http1_tokens it;
	const char *v, *tok;
	size_t len, i = 0;

	parse_ok(&p, &msg, HTTP1_REQUEST, NULL, raw, sizeof(raw) - 1);
	assert_int_equal(msg.nheaders, 4);
	assert_int_equal(msg.host, 0);
	assert_int_equal(http1_header_find(&msg, "x-many", 6, 0), 1);
	assert_int_equal(http1_header_find(&msg, "X-MANY", 6, 2), 3);
	assert_int_equal(http1_header_find(&msg, "x-many", 6, 4), -1);
	assert_int_equal(http1_header_find(&msg, "x-man", 5, 0), -1);
	assert_null(http1_header_get(&msg, "nope", &len));
	v = http1_header_get(&msg, "HOST", &len);
	assert_non_null(v);
	assert_int_equal(len, 1);
	assert_memory_equal(v, "a", 1);
	v = http1_span_ptr(&msg, msg.headers[3].value);
	assert_int_equal(msg.headers[3].value.len, 1);
	assert_memory_equal(v, "2", 1);

	v = http1_header_get(&msg, "accept", &len);
	http1_tokens_init(&it, v, len);
	while (http1_tokens_next(&it, &tok, &len)) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(tok, want[i], len);
		i++;
	}
	assert_int_equal(i, 4);

	http1_tokens_init(&it, "", 0);
	assert_int_equal(http1_tokens_next(&it, &tok, &len), 0);
	http1_tokens_init(&it, " \t ", 3);
	assert_int_equal(http1_tokens_next(&it, &tok, &len), 0);
	http1_tokens_init(&it, "a,", 2);
	assert_int_equal(http1_tokens_next(&it, &tok, &len), 1);
	assert_int_equal(len, 1);
	assert_int_equal(http1_tokens_next(&it, &tok, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(http1_tokens_next(&it, &tok, &len), 0);
	/* An escaped quote does not end a quoted string. */
	http1_tokens_init(&it, "\"x\\\",y\", z", 11);
	assert_int_equal(http1_tokens_next(&it, &tok, &len), 1);
	assert_int_equal(len, 7);
	assert_int_equal(http1_tokens_next(&it, &tok, &len), 1);
	assert_memory_equal(tok, "z", 1);

	assert_true(http1_token_eq("Chunked", 7, "chunked"));
	assert_false(http1_token_eq("chunked", 6, "chunked"));
	assert_false(http1_token_eq("chunkee", 7, "chunked"));
	assert_true(http1_token_valid("X-Foo_1!", 8));
	assert_false(http1_token_valid("X Foo", 5));
	assert_false(http1_token_valid("X:", 2));
	assert_false(http1_token_valid("", 0));
}

/* RFC 9110 5.6.2 tchar, written out independently of the parser's table. */
static int
rfc_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/*
 * Every byte value at every position of a field value (16 bytes, so the
 * eight-at-a-time path is crossed), in a field name and in a target: the
 * parser accepts exactly what the grammar allows.
 */
static void
test_byte_classes(void **state)
{
	char raw[128];
	int c, k, n, ok, got;

	for (c = 0; c < 256; c++) {
		for (k = 0; k < 16; k++) {
			n = snprintf(raw, sizeof(raw), G11 H
			    "X: aaaaaaaaaaaaaaaa" CRLF CRLF);
			raw[sizeof(G11 H "X: ") - 1 + k] = (char)c;
			ok = c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
			got = parse_status(HTTP1_REQUEST, NULL, raw, (size_t)n);
			if (got != (ok ? 0 : 400))
				fail_msg("value byte %#x at %d: %d", c, k, got);
		}
		n = snprintf(raw, sizeof(raw), G11 H "X_Y: v" CRLF CRLF);
		raw[sizeof(G11 H "X") - 1] = (char)c;
		ok = rfc_tchar(c) || c == ':';
		got = parse_status(HTTP1_REQUEST, NULL, raw, (size_t)n);
		if (got != (ok ? 0 : 400))
			fail_msg("name byte %#x: %d", c, got);
		n = snprintf(raw, sizeof(raw), "GET /a_b HTTP/1.1" CRLF H CRLF);
		raw[6] = (char)c;
		ok = c > 0x20 && c < 0x7f && c != '#';
		got = parse_status(HTTP1_REQUEST, NULL, raw, (size_t)n);
		if (got != (ok ? 0 : 400))
			fail_msg("target byte %#x: %d", c, got);
	}
}

static void
test_methods(void **state)
{
	int m;

	for (m = HTTP1_METHOD_GET; m <= HTTP1_METHOD_TRACE; m++) {
		const char *name = http1_method_name((enum http1_method)m);

		assert_non_null(name);
		assert_int_equal(http1_method_lookup(name, strlen(name)), m);
	}
	assert_string_equal(http1_method_name(HTTP1_METHOD_OPTIONS),
	    "OPTIONS");
	assert_null(http1_method_name(HTTP1_METHOD_OTHER));
	assert_null(http1_method_name((enum http1_method)99));
	assert_int_equal(http1_method_lookup("get", 3), HTTP1_METHOD_OTHER);
	assert_int_equal(http1_method_lookup("GETS", 4), HTTP1_METHOD_OTHER);
	assert_int_equal(http1_method_lookup("GE", 2), HTTP1_METHOD_OTHER);
}

/* Writes one sample of every line kind to out. */
static void
write_sample(struct http1_out *out)
{
	static const struct http1_field tr[] = {
		{ "X-Sum", 5, "12", 2 },
		{ "Y", 1, "", 0 },
	};

	assert_int_equal(http1_write_status_line(out, 1, 200, NULL, 0), 0);
	assert_int_equal(http1_write_status_line(out, 0, 299, NULL, 0), 0);
	assert_int_equal(http1_write_status_line(out, 1, 404, "Gone fishing",
	    12), 0);
	assert_int_equal(http1_write_request_line(out, "GET", 3, "/x?y", 4,
	    0), 0);
	assert_int_equal(http1_write_header(out, "Content-Type", 12,
	    "text/plain", 10), 0);
	assert_int_equal(http1_write_header_u64(out, "Content-Length", 14,
	    UINT64_MAX), 0);
	assert_int_equal(http1_write_header_u64(out, "N", 1, 0), 0);
	assert_int_equal(http1_write_end_head(out), 0);
	assert_int_equal(http1_write_chunk_header(out, 0x1f), 0);
	assert_int_equal(http1_write_chunk_end(out), 0);
	assert_int_equal(http1_write_chunk_header(out, UINT64_MAX), 0);
	assert_int_equal(http1_write_last_chunk(out, tr, 2), 0);
	assert_int_equal(http1_write_last_chunk(out, NULL, 0), 0);
}

static const char sample[] =
    "HTTP/1.1 200 OK\r\n"
    "HTTP/1.0 299 \r\n"
    "HTTP/1.1 404 Gone fishing\r\n"
    "GET /x?y HTTP/1.0\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 18446744073709551615\r\n"
    "N: 0\r\n"
    "\r\n"
    "1f\r\n"
    "\r\n"
    "ffffffffffffffff\r\n"
    "0\r\nX-Sum: 12\r\nY: \r\n\r\n"
    "0\r\n\r\n";

static void
test_writer(void **state)
{
	struct http1_out out;
	struct evbuffer *evb;
	char buf[512];

	http1_out_init_buffer(&out, buf, sizeof(buf));
	write_sample(&out);
	assert_int_equal(out.len, sizeof(sample) - 1);
	assert_memory_equal(buf, sample, out.len);

	evb = evbuffer_new();
	assert_non_null(evb);
	http1_out_init_evbuffer(&out, evb);
	write_sample(&out);
	assert_int_equal(evbuffer_get_length(evb), sizeof(sample) - 1);
	assert_memory_equal(evbuffer_pullup(evb, -1), sample,
	    sizeof(sample) - 1);
	evbuffer_free(evb);

	assert_string_equal(http1_reason_phrase(413), "Content Too Large");
	assert_string_equal(http1_reason_phrase(431),
	    "Request Header Fields Too Large");
	assert_null(http1_reason_phrase(299));
}

/* Every call must fail, and leave out failed with nothing written. */
static void
test_writer_refuses(void **state)
{
	struct http1_out out;
	char buf[64];

#define REFUSED(call) do {						\
	http1_out_init_buffer(&out, buf, sizeof(buf));			\
	assert_int_equal((call), -1);					\
	assert_true(out.failed);					\
	assert_int_equal(out.len, 0);					\
	assert_int_equal(http1_write_end_head(&out), -1);		\
} while (0)
	REFUSED(http1_write_header(&out, "X", 1, "a\r\nSet-Cookie: x", 16));
	REFUSED(http1_write_header(&out, "X", 1, "a\nb", 3));
	REFUSED(http1_write_header(&out, "X", 1, "a\0b", 3));
	REFUSED(http1_write_header(&out, "X", 1, "a\x7f", 2));
	REFUSED(http1_write_header(&out, "Bad Name", 8, "v", 1));
	REFUSED(http1_write_header(&out, "X:", 2, "v", 1));
	REFUSED(http1_write_header(&out, "", 0, "v", 1));
	REFUSED(http1_write_status_line(&out, 1, 200, "OK\r\nX: y", 8));
	REFUSED(http1_write_status_line(&out, 1, 99, NULL, 0));
	REFUSED(http1_write_status_line(&out, 1, 600, NULL, 0));
	REFUSED(http1_write_status_line(&out, 2, 200, NULL, 0));
	REFUSED(http1_write_request_line(&out, "G T", 3, "/", 1, 1));
	REFUSED(http1_write_request_line(&out, "GET", 3, "/ x", 3, 1));
	REFUSED(http1_write_request_line(&out, "GET", 3, "/\r\n", 3, 1));
	REFUSED(http1_write_request_line(&out, "GET", 3, "", 0, 1));
	REFUSED(http1_write_chunk_header(&out, 0));
	REFUSED(http1_write_error(&out, 600, 0));
#undef REFUSED
	http1_out_init_buffer(&out, buf, sizeof(buf));
	assert_int_equal(http1_write_last_chunk(&out, &(struct http1_field){
	    "X", 1, "\r\n", 2 }, 1), -1);
	assert_true(out.failed);

	/* No room: nothing partial is written, and the failure sticks. */
	http1_out_init_buffer(&out, buf, 10);
	assert_int_equal(http1_write_status_line(&out, 1, 200, NULL, 0), -1);
	assert_int_equal(out.len, 0);
	assert_int_equal(http1_out_add(&out, "x", 1), -1);
	http1_out_init_buffer(&out, buf, 17);
	assert_int_equal(http1_write_status_line(&out, 1, 200, NULL, 0), 0);
	assert_int_equal(out.len, 17);
	assert_int_equal(http1_out_add(&out, "x", 1), -1);
}

static void
test_write_error(void **state)
{
	static const int codes[] = { 400, 404, 413, 414, 431, 500, 501, 502,
	    503, 505 };
	struct http1_parser p;
	struct http1_msg msg;
	struct http1_body b;
	struct http1_out out;
	const char *data;
	char buf[512], want[64];
	size_t i, used, dlen;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		http1_out_init_buffer(&out, buf, sizeof(buf));
		assert_int_equal(http1_write_error(&out, codes[i], 0), 0);
		parse_ok(&p, &msg, HTTP1_RESPONSE, NULL, buf, out.len);
		assert_int_equal(msg.status, codes[i]);
		assert_int_equal(msg.body, HTTP1_BODY_LENGTH);
		assert_true(msg.flags & HTTP1_F_CONN_CLOSE);
		assert_false(msg.flags & HTTP1_F_KEEP_ALIVE);
		assert_int_equal(msg.head_len + msg.content_length, out.len);
		http1_body_init(&b, &msg, NULL);
		assert_int_equal(http1_body_decode(&b, buf + msg.head_len,
		    out.len - msg.head_len, &used, &data, &dlen), HTTP1_DONE);
		snprintf(want, sizeof(want), "%d %s", codes[i],
		    http1_reason_phrase(codes[i]));
		assert_non_null(memmem(data, dlen, want, strlen(want)));

		/* For HEAD: the same head, no body. */
		http1_out_init_buffer(&out, buf, sizeof(buf));
		assert_int_equal(http1_write_error(&out, codes[i], 1), 0);
		http1_parser_init(&p, HTTP1_RESPONSE, NULL);
		http1_parser_set_request_method(&p, HTTP1_METHOD_HEAD);
		assert_int_equal(http1_parse_head(&p, &msg, buf, out.len),
		    HTTP1_DONE);
		assert_int_equal(msg.head_len, out.len);
		assert_int_equal(msg.body, HTTP1_BODY_NONE);
	}
}

/* Every message that parses comes back the same once written out. */
static void
test_roundtrip(void **state)
{
	struct http1_parser p;
	struct http1_msg a, b;
	struct http1_out out;
	char buf[1024], again[1024];
	size_t i, first;
	uint32_t k;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];

		if (v->want != 0)
			continue;
		http1_parser_init(&p, v->kind, v->lim);
		http1_parser_set_request_method(&p, v->req);
		assert_int_equal(http1_parse_head(&p, &a, v->raw, vec_len(v)),
		    HTTP1_DONE);
		http1_out_init_buffer(&out, buf, sizeof(buf));
		assert_int_equal(http1_write_head(&out, &a), 0);
		first = out.len;
		http1_parser_init(&p, v->kind, v->lim);
		http1_parser_set_request_method(&p, v->req);
		if (http1_parse_head(&p, &b, buf, first) != HTTP1_DONE)
			fail_msg("%s: written head rejected: %s", v->name,
			    p.err_reason ? p.err_reason : "incomplete");
		assert_int_equal(b.head_len, first);
		assert_int_equal(a.method, b.method);
		assert_int_equal(a.status, b.status);
		assert_int_equal(a.version_minor, b.version_minor);
		assert_int_equal(a.flags, b.flags);
		assert_int_equal(a.body, b.body);
		assert_int_equal(a.content_length, b.content_length);
		assert_int_equal(a.nheaders, b.nheaders);
		assert_int_equal(a.target.len, b.target.len);
		assert_memory_equal(http1_span_ptr(&a, a.target),
		    http1_span_ptr(&b, b.target), a.target.len);
		for (k = 0; k < a.nheaders; k++) {
			assert_int_equal(a.headers[k].value.len,
			    b.headers[k].value.len);
			assert_memory_equal(http1_span_ptr(&a,
			    a.headers[k].value), http1_span_ptr(&b,
			    b.headers[k].value), a.headers[k].value.len);
		}
		/* Canonical: writing it again gives the same bytes. */
		http1_out_init_buffer(&out, again, sizeof(again));
		assert_int_equal(http1_write_head(&out, &b), 0);
		assert_int_equal(out.len, first);
		assert_memory_equal(again, buf, first);
	}
}

/* A body written with the chunk helpers decodes to the same bytes. */
static void
test_chunked_roundtrip(void **state)
{
	static const char text[] = "the quick brown fox jumps over the dog";
	static const struct http1_field tr[] = { { "Digest", 6, "x", 1 } };
	struct http1_msg msg = { .body = HTTP1_BODY_CHUNKED };
	struct http1_body b;
	struct http1_out out;
	char buf[512], got[64];
	size_t o = 0, n, off = 0, glen;

	http1_out_init_buffer(&out, buf, sizeof(buf));
	for (n = 1; o < sizeof(text) - 1; n++) {
		if (n > sizeof(text) - 1 - o)
			n = sizeof(text) - 1 - o;
		http1_write_chunk_header(&out, n);
		http1_out_add(&out, text + o, n);
		http1_write_chunk_end(&out);
		o += n;
	}
	assert_int_equal(http1_write_last_chunk(&out, tr, 1), 0);
	http1_body_init(&b, &msg, NULL);
	assert_int_equal(feed_body(&b, buf, out.len, &off, 1, got,
	    sizeof(got), &glen), HTTP1_DONE);
	assert_int_equal(off, out.len);
	assert_int_equal(glen, sizeof(text) - 1);
	assert_memory_equal(got, text, glen);
	assert_int_equal(b.total, glen);
}

static void
test_body_ends(void **state)
{
	struct http1_msg msg = { .body = HTTP1_BODY_LENGTH,
	    .content_length = 3 };
	struct http1_body b;
	const char *data;
	size_t used, dlen;

	/* Closed inside a Content-Length body. */
	http1_body_init(&b, &msg, NULL);
	assert_int_equal(http1_body_decode(&b, "ab", 2, &used, &data, &dlen),
	    HTTP1_AGAIN);
	assert_int_equal(http1_body_eof(&b), HTTP1_ERROR);
	assert_int_equal(b.err_status, 400);
	assert_int_equal(http1_body_decode(&b, "c", 1, &used, &data, &dlen),
	    HTTP1_ERROR);

	/* After the end, nothing more is consumed. */
	http1_body_init(&b, &msg, NULL);
	assert_int_equal(http1_body_decode(&b, "abcdef", 6, &used, &data,
	    &dlen), HTTP1_DONE);
	assert_int_equal(used, 3);
	assert_true(http1_body_done(&b));
	assert_int_equal(http1_body_decode(&b, "def", 3, &used, &data, &dlen),
	    HTTP1_DONE);
	assert_int_equal(used, 0);
	assert_int_equal(http1_body_eof(&b), HTTP1_DONE);

	/* No body: done at once; chunked closed early: error. */
	msg.body = HTTP1_BODY_NONE;
	http1_body_init(&b, &msg, NULL);
	assert_true(http1_body_done(&b));
	msg.body = HTTP1_BODY_CHUNKED;
	http1_body_init(&b, &msg, NULL);
	assert_int_equal(http1_body_decode(&b, "5\r\nab", 5, &used, &data,
	    &dlen), HTTP1_AGAIN);
	assert_int_equal(http1_body_eof(&b), HTTP1_ERROR);

	/* Read until close, bounded by max_body. */
	msg.body = HTTP1_BODY_EOF;
	http1_body_init(&b, &msg, &(struct http1_limits){ .max_body = 4 });
	assert_int_equal(http1_body_decode(&b, "abcd", 4, &used, &data,
	    &dlen), HTTP1_AGAIN);
	assert_int_equal(http1_body_decode(&b, "e", 1, &used, &data, &dlen),
	    HTTP1_ERROR);
	assert_int_equal(b.err_status, 413);
}

/*
 * How long a typical browser request head (about 400 bytes) takes to
 * parse. Printed for the record, never asserted: timing is not a test.
 */
static void
test_speed(void **state)
{
	static const char req[] = "GET /api/posts?page=2 HTTP/1.1\r\n"
	    "Host: www.foobar.com\r\n"
	    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) "
	    "Gecko/20100101 Firefox/115.0\r\n"
	    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
	    "*/*;q=0.8\r\n"
	    "Accept-Language: en-US,en;q=0.5\r\n"
	    "Accept-Encoding: gzip, deflate, br\r\n"
	    "Connection: keep-alive\r\n"
	    "Cookie: session=0123456789abcdef0123456789abcdef\r\n"
	    "Upgrade-Insecure-Requests: 1\r\n"
	    "Cache-Control: max-age=0\r\n\r\n";
	static struct http1_msg msg;
	struct http1_parser p;
	struct timespec t0, t1;
	int i, n = 20000;
	double ns;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		http1_parser_init(&p, HTTP1_REQUEST, NULL);
		if (http1_parse_head(&p, &msg, req, sizeof(req) - 1) !=
		    HTTP1_DONE)
			fail();
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec)) / n;
	printf("# http1_parse_head: %zu-byte head, %d fields: %.0f ns\n",
	    sizeof(req) - 1, (int)msg.nheaders, ns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_limits_defaults),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_field_helpers),
		cmocka_unit_test(test_byte_classes),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_chunked_roundtrip),
		cmocka_unit_test(test_body_ends),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
