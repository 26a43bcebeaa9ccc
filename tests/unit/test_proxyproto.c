/*
 * test_proxyproto.c: PROXY protocol v1/v2 golden vectors, every prefix of
 * each valid header (the incremental contract), hostile headers, and
 * emit -> parse round trips.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "proxyproto.h"

struct vec {
	const char	*name;
	const uint8_t	*data;
	size_t		 len;
};

#define V(s)	(const uint8_t *)(s), sizeof(s) - 1

#define SIG	"\r\n\r\n\0\r\nQUIT\n"

/* v2 PROXY, INET/STREAM, 1.2.3.4:1000 -> 5.6.7.8:443, ALPN "h2" + NOOP. */
static const uint8_t v2_inet[] = SIG "\x21\x11\x00\x15"
    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x03\xe8" "\x01\xbb"
    "\x01\x00\x02" "h2" "\x04\x00\x01" "\x00" "payload";
static const uint8_t v2_inet6[] = SIG "\x21\x21\x00\x24"
    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
    "\x00\x50" "\x1f\x90";
static const uint8_t v2_local[] = SIG "\x20\x00\x00\x04" "junk";

/* Parses a whole vector, expecting DONE and consumed == want_consumed. */
static struct proxyproto_hdr
parse_ok(const void *buf, size_t len, size_t want_consumed)
{
	struct proxyproto_hdr h;
	size_t consumed;
	char *cause = NULL;
	enum proxyproto_result r;

	r = proxyproto_parse(buf, len, &h, &consumed, &cause);
	if (r != PROXYPROTO_DONE)
		fail_msg("expected DONE, got %d (%s)", r, cause);
	assert_int_equal(consumed, want_consumed);
	return h;
}

static void
assert_addr(const struct net_addr *a, const char *want)
{
	char buf[NET_ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

/* Every strict prefix of a valid header is PROXYPROTO_MORE. */
static void
assert_prefixes_need_more(const uint8_t *buf, size_t hdrlen)
{
	struct proxyproto_hdr h;
	size_t i, consumed;
	char *cause = NULL;

	for (i = 0; i < hdrlen; i++) {
		if (proxyproto_parse(buf, i, &h, &consumed, &cause) !=
		    PROXYPROTO_MORE)
			fail_msg("prefix %zu of %zu: %s", i, hdrlen, cause);
		assert_int_equal(consumed, 0);
	}
}

static void
test_v1_valid(void **state)
{
	static const char tcp4[] =
	    "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1";
	static const char tcp6[] =
	    "PROXY TCP6 2001:db8::1 ::1 0 65535\r\n";
	static const char unk[] = "PROXY UNKNOWN\r\n";
	static const char unk2[] = "PROXY UNKNOWN ffff::1 ::1 1 2\r\nx";
	struct proxyproto_hdr h;
	size_t l4 = strlen("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");

	(void)state;
	h = parse_ok(tcp4, sizeof(tcp4) - 1, l4);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.local, 0);
	assert_addr(&h.src, "192.168.0.1:56324");
	assert_addr(&h.dst, "192.168.0.11:443");
	assert_prefixes_need_more((const uint8_t *)tcp4, l4);

	h = parse_ok(tcp6, sizeof(tcp6) - 1, sizeof(tcp6) - 1);
	assert_addr(&h.src, "[2001:db8::1]:0");
	assert_addr(&h.dst, "[::1]:65535");
	assert_prefixes_need_more((const uint8_t *)tcp6, sizeof(tcp6) - 1);

	h = parse_ok(unk, sizeof(unk) - 1, sizeof(unk) - 1);
	assert_int_equal(h.local, 1);
	assert_int_equal(h.src.ss.ss_family, AF_UNSPEC);
	h = parse_ok(unk2, sizeof(unk2) - 1, sizeof(unk2) - 2);
	assert_int_equal(h.local, 1);
}

static void
test_v1_longest(void **state)
{
	char line[PROXYPROTO_V1_MAX + 8];
	size_t n;

	(void)state;
	/* Exactly 107 bytes with the CRLF: accepted. */
	n = (size_t)snprintf(line, sizeof(line), "PROXY UNKNOWN %-91s\r\n",
	    "x");
	assert_int_equal(n, PROXYPROTO_V1_MAX);
	parse_ok(line, n, n);
	/* The same with the longest TCP6 line a sender can produce. */
	n = (size_t)snprintf(line, sizeof(line), "PROXY TCP6 %s %s 65535 "
	    "65535\r\n", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(n, 104);
	parse_ok(line, n, n);
}

static void
assert_error(const void *buf, size_t len, const char *what)
{
	struct proxyproto_hdr h;
	size_t consumed = 99;
	char *cause = NULL;

	if (proxyproto_parse(buf, len, &h, &consumed, &cause) !=
	    PROXYPROTO_ERROR)
		fail_msg("%s: not refused", what);
	assert_non_null(cause);
	assert_int_equal(consumed, 0);
	assert_int_equal(h.src.ss.ss_family, AF_UNSPEC);
	free(cause);
}

static void
test_v1_hostile(void **state)
{
	static const struct vec bad[] = {
		{ "http", V("GET / HTTP/1.1\r\n") },
		{ "first byte", V("G") },
		{ "POST", V("PO") },
		{ "PROXX", V("PROXX TCP4") },
		{ "port > 65535", V("PROXY TCP4 1.2.3.4 5.6.7.8 80 70000\r\n") },
		{ "port 6 digits", V("PROXY TCP4 1.2.3.4 5.6.7.8 000080 1\r\n") },
		{ "leading zero", V("PROXY TCP4 1.2.3.4 5.6.7.8 080 80\r\n") },
		{ "signed port", V("PROXY TCP4 1.2.3.4 5.6.7.8 +80 80\r\n") },
		{ "hex port", V("PROXY TCP4 1.2.3.4 5.6.7.8 0x50 80\r\n") },
		{ "empty port", V("PROXY TCP4 1.2.3.4 5.6.7.8  80\r\n") },
		{ "v6 in TCP4", V("PROXY TCP4 ::1 5.6.7.8 1 2\r\n") },
		{ "v4 in TCP6", V("PROXY TCP6 1.2.3.4 ::1 1 2\r\n") },
		{ "bad v4", V("PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n") },
		{ "v4 leading 0", V("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n") },
		{ "name", V("PROXY TCP4 localhost 5.6.7.8 1 2\r\n") },
		{ "double space", V("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n") },
		{ "trailing space", V("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n") },
		{ "extra field", V("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n") },
		{ "missing field", V("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n") },
		{ "tab", V("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n") },
		{ "TCP5", V("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ "lower case", V("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n") },
		{ "UNKNOWNX", V("PROXY UNKNOWNX\r\n") },
		{ "empty", V("PROXY \r\n") },
		{ "CR alone", V("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX") },
		{ "CR early", V("PROXY\r\n") },
		{ "NUL", V("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n") },
	};
	char longl[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_error(bad[i].data, bad[i].len, bad[i].name);
	/* 108 bytes with the CRLF: one too many. */
	snprintf(longl, sizeof(longl), "PROXY UNKNOWN %-92s\r\n", "x");
	assert_error(longl, strlen(longl), "108-byte line");
	/* No CR in the first 107 bytes: refused without waiting for more. */
	memset(longl, 'a', sizeof(longl));
	memcpy(longl, "PROXY UNKNOWN ", 14);
	assert_error(longl, PROXYPROTO_V1_MAX, "no CRLF");
	assert_error(longl, sizeof(longl), "no CRLF, long buffer");
	/* An LF-only line is never a header: it ends as an overlong one. */
	memcpy(longl, "PROXY UNKNOWN\n", 14);
	assert_error(longl, sizeof(longl), "LF only");
}

static void
test_v2_valid(void **state)
{
	struct proxyproto_hdr h;
	size_t l;

	(void)state;
	l = sizeof(v2_inet) - 1 - strlen("payload");
	h = parse_ok(v2_inet, sizeof(v2_inet) - 1, l);
	assert_int_equal(h.version, 2);
	assert_int_equal(h.local, 0);
	assert_addr(&h.src, "1.2.3.4:1000");
	assert_addr(&h.dst, "5.6.7.8:443");
	assert_prefixes_need_more(v2_inet, l);

	h = parse_ok(v2_inet6, sizeof(v2_inet6) - 1, sizeof(v2_inet6) - 1);
	assert_addr(&h.src, "[2001:db8::1]:80");
	assert_addr(&h.dst, "[::1]:8080");
	assert_prefixes_need_more(v2_inet6, sizeof(v2_inet6) - 1);

	h = parse_ok(v2_local, sizeof(v2_local) - 1, sizeof(v2_local) - 1);
	assert_int_equal(h.local, 1);
	assert_int_equal(h.src.ss.ss_family, AF_UNSPEC);
}

/* A copy of v2_inet with byte i set to v (and the length maybe changed). */
static void
assert_v2_mutant_error(size_t i, uint8_t v, const char *what)
{
	uint8_t m[sizeof(v2_inet)];

	memcpy(m, v2_inet, sizeof(m));
	m[i] = v;
	assert_error(m, sizeof(m) - 1, what);
}

/* A v2 INET header followed by n empty NOOP TLVs, in a buffer of its size. */
static size_t
v2_with_tlvs(uint8_t *buf, size_t n)
{
	size_t blen = 12 + 3 * n, i;

	memcpy(buf, v2_inet, PROXYPROTO_V2_HDR + 12);
	buf[14] = (uint8_t)(blen >> 8);
	buf[15] = (uint8_t)blen;
	for (i = 0; i < n; i++)
		memcpy(buf + PROXYPROTO_V2_HDR + 12 + 3 * i, "\x04\x00\x00", 3);
	return PROXYPROTO_V2_HDR + blen;
}

static void
test_v2_hostile(void **state)
{
	uint8_t tlvs[PROXYPROTO_V2_HDR + 12 + 3 * (PROXYPROTO_MAX_TLVS + 1)];
	uint8_t unixh[PROXYPROTO_V2_HDR + 216], *exact;
	struct proxyproto_hdr h;
	size_t consumed, n;
	char *cause = NULL;

	(void)state;
	assert_v2_mutant_error(4, 0x01, "bad signature");
	assert_v2_mutant_error(11, 0x0b, "bad signature end");
	assert_v2_mutant_error(12, 0x11, "version 1 binary");
	assert_v2_mutant_error(12, 0x31, "version 3");
	assert_v2_mutant_error(12, 0x22, "command 2");
	assert_v2_mutant_error(13, 0x12, "DGRAM");
	assert_v2_mutant_error(13, 0x10, "INET with UNSPEC transport");
	assert_v2_mutant_error(13, 0x41, "family 4");
	assert_v2_mutant_error(15, 0x08, "INET block of 8 bytes");
	assert_v2_mutant_error(15, 0x14, "TLV cut short");
	assert_v2_mutant_error(15, 0x0e, "TLV header cut short");
	assert_v2_mutant_error(30, 0x7f, "TLV length past the block");
	assert_v2_mutant_error(14, 0xff, "length 65535");

	/* A length past our bound is refused as soon as it is seen. */
	memcpy(tlvs, v2_inet, 16);
	tlvs[14] = (PROXYPROTO_V2_MAX_LEN + 1) >> 8;
	tlvs[15] = (PROXYPROTO_V2_MAX_LEN + 1) & 0xff;
	assert_error(tlvs, 16, "length past our bound, 16 bytes seen");

	/* A length past the buffer asks for more and reads nothing beyond
	 * (the buffer is malloc'ed to its size so ASan would see it). */
	exact = malloc(sizeof(v2_inet) - 1);
	memcpy(exact, v2_inet, sizeof(v2_inet) - 1);
	exact[15] = 0x40;
	assert_int_equal(proxyproto_parse(exact, sizeof(v2_inet) - 1, &h,
	    &consumed, &cause), PROXYPROTO_MORE);
	free(exact);

	/* TLVs: 64 are walked, 65 are too many. */
	n = v2_with_tlvs(tlvs, PROXYPROTO_MAX_TLVS);
	parse_ok(tlvs, n, n);
	n = v2_with_tlvs(tlvs, PROXYPROTO_MAX_TLVS + 1);
	assert_error(tlvs, n, "65 TLVs");

	/* A unix path that fills its 108 bytes has no room for its NUL. */
	memcpy(unixh, SIG "\x21\x31\x00\xd8", 16);
	memset(unixh + 16, 'a', 216);
	assert_error(unixh, sizeof(unixh), "unix path without NUL");
	unixh[16 + 5] = '\0';
	unixh[16 + 108 + 7] = '\0';
	h = parse_ok(unixh, sizeof(unixh), sizeof(unixh));
	assert_addr(&h.src, "unix:aaaaa");
	assert_addr(&h.dst, "unix:aaaaaaa");
}

/* Emits with both versions and parses back; the addresses come back. */
static void
round_trip(const char *src, const char *dst, const char *want_src,
    const char *want_dst)
{
	struct net_addr s, d;
	struct proxyproto_hdr h;
	uint8_t buf[PROXYPROTO_MAX_LEN];
	char *cause = NULL;
	int n, v;

	assert_int_equal(addr_parse(src, NULL, &s, &cause), 0);
	assert_int_equal(addr_parse(dst, NULL, &d, &cause), 0);
	for (v = 1; v <= 2; v++) {
		if (v == 1 && s.ss.ss_family == AF_UNIX)
			continue;
		n = v == 1 ? proxyproto_emit_v1(buf, sizeof(buf), &s, &d) :
		    proxyproto_emit_v2(buf, sizeof(buf), &s, &d);
		assert_true(n > 0);
		h = parse_ok(buf, (size_t)n, (size_t)n);
		assert_int_equal(h.version, v);
		assert_int_equal(h.local, 0);
		assert_addr(&h.src, want_src);
		assert_addr(&h.dst, want_dst);
		assert_true(addr_equal(&h.src, &s) == (strcmp(src,
		    want_src) == 0));
	}
}

static void
test_round_trip(void **state)
{
	(void)state;
	round_trip("10.1.2.3:55000", "10.0.0.1:443", "10.1.2.3:55000",
	    "10.0.0.1:443");
	round_trip("[2001:db8::7]:1", "[fe80::1]:65535", "[2001:db8::7]:1",
	    "[fe80::1]:65535");
	/* A v4 client on a v6 listener: v4-mapped, both versions. */
	round_trip("10.1.2.3:9", "[::1]:80", "[::ffff:10.1.2.3]:9",
	    "[::1]:80");
	round_trip("unix:/run/a.sock", "unix:/run/b.sock", "unix:/run/a.sock",
	    "unix:/run/b.sock");
}

static void
test_emit_local_and_small(void **state)
{
	struct net_addr s, d;
	struct proxyproto_hdr h;
	uint8_t buf[PROXYPROTO_MAX_LEN];
	char *cause = NULL;
	int n;

	(void)state;
	assert_int_equal(addr_parse("1.2.3.4:5", NULL, &s, &cause), 0);
	assert_int_equal(addr_parse("unix:/x", NULL, &d, &cause), 0);
	n = proxyproto_emit_v1(buf, sizeof(buf), &s, &d);
	assert_int_equal(n, 15);
	assert_memory_equal(buf, "PROXY UNKNOWN\r\n", 15);
	n = proxyproto_emit_v2(buf, sizeof(buf), NULL, &d);
	assert_int_equal(n, PROXYPROTO_V2_HDR);
	h = parse_ok(buf, (size_t)n, (size_t)n);
	assert_int_equal(h.local, 1);
	n = proxyproto_emit_v2(buf, sizeof(buf), &s, &d);
	assert_int_equal(n, PROXYPROTO_V2_HDR);

	/* Too small a buffer: -1, whatever the version. */
	assert_int_equal(proxyproto_emit_v1(buf, 15, &s, &d), -1);
	assert_int_equal(proxyproto_emit_v1(buf, 0, &s, &s), -1);
	assert_int_equal(proxyproto_emit_v2(buf, 27, &s, &s), -1);
	assert_int_equal(proxyproto_emit_v2(buf, 28, &s, &s), 28);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_valid),
		cmocka_unit_test(test_v1_longest),
		cmocka_unit_test(test_v1_hostile),
		cmocka_unit_test(test_v2_valid),
		cmocka_unit_test(test_v2_hostile),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_emit_local_and_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
