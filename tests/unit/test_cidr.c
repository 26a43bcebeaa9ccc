/*
 * test_cidr.c: prefixes parsed, printed and matched, including the IPv4
 * mapped form a dual-stack socket reports, and hostile text.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"

/* A sockaddr for a numeric address (v4 or v6) of the test. */
static struct sockaddr_storage *
sa(const char *ip)
{
	static struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
	}
	return &ss;
}

/* Parses text that must be valid. */
static struct cidr
good(const char *text)
{
	struct cidr c;
	char *cause = NULL;

	if (cidr_parse(text, &c, &cause) != 0)
		fail_msg("%s: %s", text, cause);
	return c;
}

/* text must fail with a message containing want. */
static void
bad(const char *text, const char *want)
{
	struct cidr c;
	char *cause = NULL;

	assert_int_equal(cidr_parse(text, &c, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("'%s': got '%s', want '%s'", text, cause, want);
	free(cause);
}

static int
match(const char *net, const char *ip)
{
	struct cidr c = good(net);

	return cidr_match(&c, (struct sockaddr *)sa(ip));
}

static void
test_parse_format(void **state)
{
	static const char *const in[][2] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "192.168.1.7", "192.168.1.7/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "::1", "::1/128" },
		{ "::1/128", "::1/128" },
		{ "fe80::/10", "fe80::/10" },
		{ "::/0", "::/0" },
		{ "2001:db8::/32", "2001:db8::/32" },
		/* Written as mapped v6, kept as the IPv4 it means. */
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
		{ "::ffff:1.2.3.4", "1.2.3.4/32" },
	};
	char buf[CIDR_STRLEN];
	struct cidr c;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		c = good(in[i][0]);
		assert_string_equal(cidr_format(&c, buf, sizeof(buf)),
		    in[i][1]);
	}
}

static void
test_parse_bad(void **state)
{
	char longtext[200];

	bad("10.0.0.1/8", "host bits set, did you mean 10.0.0.0/8?");
	bad("fe80::1/10", "did you mean fe80::/10?");
	bad("10.0.0.0/33", "prefix length must be 0-32");
	bad("::/129", "prefix length must be 0-128");
	bad("10.0.0.0/", "prefix length");
	bad("10.0.0.0/-1", "prefix length");
	bad("10.0.0.0/+8", "prefix length");
	bad("10.0.0.0/08x", "prefix length");
	bad("10.0.0.0/0008", "prefix length");
	bad("10.0.0.0/8/8", "prefix length");
	bad("", "not an address");
	bad("/8", "not a numeric");
	bad("banana", "not a numeric");
	bad("10.0.0", "not a numeric");
	bad("256.0.0.0/8", "not a numeric");
	bad("localhost", "not a numeric");
	bad(" 10.0.0.0/8", "not a numeric");
	bad("1:2:3:4:5:6:7:8:9/64", "not a numeric");
	memset(longtext, '1', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	bad(longtext, "not an address");
}

static void
test_match_v4(void **state)
{
	assert_true(match("10.0.0.0/8", "10.255.1.2"));
	assert_false(match("10.0.0.0/8", "11.0.0.0"));
	assert_true(match("192.168.1.7", "192.168.1.7"));
	assert_false(match("192.168.1.7", "192.168.1.6"));
	assert_true(match("0.0.0.0/0", "203.0.113.9"));
	assert_true(match("172.16.0.0/12", "172.31.255.255"));
	assert_false(match("172.16.0.0/12", "172.32.0.0"));
	/* A dual-stack socket reports IPv4 clients as mapped v6. */
	assert_true(match("10.0.0.0/8", "::ffff:10.1.2.3"));
	assert_false(match("10.0.0.0/8", "::ffff:11.1.2.3"));
}

static void
test_match_v6(void **state)
{
	assert_true(match("::1", "::1"));
	assert_false(match("::1", "::2"));
	assert_true(match("fe80::/10", "fe80::1234"));
	assert_true(match("fe80::/10", "febf::1"));
	assert_false(match("fe80::/10", "fec0::1"));
	assert_true(match("2001:db8::/32", "2001:db8:ffff::1"));
	assert_true(match("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1"));
	assert_false(match("2001:db8:0:0:8000::/65", "2001:db8::7fff:0:0:1"));
	/* Families never mix: ::/0 is every IPv6 client, no IPv4 one. */
	assert_true(match("::/0", "2001:db8::1"));
	assert_false(match("::/0", "10.0.0.1"));
	assert_false(match("::/0", "::ffff:10.0.0.1"));
	assert_false(match("0.0.0.0/0", "::1"));
}

static void
test_list(void **state)
{
	struct cidr_list l = { NULL, 0 };
	struct sockaddr_un sun;
	struct cidr c;

	assert_false(cidr_list_match(&l, (struct sockaddr *)sa("10.0.0.1")));
	c = good("127.0.0.0/8");
	cidr_list_add(&l, &c);
	c = good("::1");
	cidr_list_add(&l, &c);
	assert_int_equal(l.n, 2);
	assert_true(cidr_list_match(&l, (struct sockaddr *)sa("127.0.0.1")));
	assert_true(cidr_list_match(&l, (struct sockaddr *)sa("::1")));
	assert_true(cidr_list_match(&l,
	    (struct sockaddr *)sa("::ffff:127.0.0.1")));
	assert_false(cidr_list_match(&l, (struct sockaddr *)sa("10.0.0.1")));
	assert_false(cidr_list_match(&l, (struct sockaddr *)sa("::2")));
	/* Unix peers are not in any prefix: the caller decides for them. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_false(cidr_list_match(&l, (struct sockaddr *)&sun));
	assert_false(cidr_match(&l.v[0], (struct sockaddr *)&sun));
	cidr_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

/* The words, mask and list scan that lbd's ACL and limit keys use. */
static void
test_words(void **state)
{
	struct cidr_list l = { NULL, 0 };
	struct sockaddr_un sun;
	struct cidr c;
	uint64_t hi, lo, mhi, mlo;

	(void)state;
	assert_int_equal(cidr_words((struct sockaddr *)sa("10.1.2.3"), &hi,
	    &lo), 1);
	assert_true(hi == 0 && lo == (CIDR_V4MAPPED | 0x0a010203ULL));
	/* The mapped form is the same words, and IPv4. */
	assert_int_equal(cidr_words((struct sockaddr *)sa("::ffff:10.1.2.3"),
	    &hi, &lo), 1);
	assert_true(hi == 0 && lo == (CIDR_V4MAPPED | 0x0a010203ULL));
	assert_int_equal(cidr_words((struct sockaddr *)sa("2001:db8::1"), &hi,
	    &lo), 0);
	assert_true(hi == 0x20010db800000000ULL && lo == 1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_int_equal(cidr_words((struct sockaddr *)&sun, &hi, &lo), -1);

	cidr_mask(0, &mhi, &mlo);
	assert_true(mhi == 0 && mlo == 0);
	cidr_mask(64, &mhi, &mlo);
	assert_true(mhi == ~0ULL && mlo == 0);
	cidr_mask(120, &mhi, &mlo);
	assert_true(mhi == ~0ULL && mlo == ~0ULL << 8);
	cidr_mask(128, &mhi, &mlo);
	assert_true(mhi == ~0ULL && mlo == ~0ULL);

	/* The first entry that holds the words, of the same family. */
	c = good("10.0.0.0/8");
	cidr_list_add(&l, &c);
	c = good("10.1.0.0/16");
	cidr_list_add(&l, &c);
	c = good("::/0");
	cidr_list_add(&l, &c);
	cidr_words((struct sockaddr *)sa("10.1.2.3"), &hi, &lo);
	assert_ptr_equal(cidr_list_find(&l, hi, lo, 1), &l.v[0]);
	cidr_words((struct sockaddr *)sa("11.1.2.3"), &hi, &lo);
	assert_null(cidr_list_find(&l, hi, lo, 1));
	cidr_words((struct sockaddr *)sa("2001:db8::1"), &hi, &lo);
	assert_ptr_equal(cidr_list_find(&l, hi, lo, 0), &l.v[2]);
	/* -1 (not an inet peer) matches nothing. */
	assert_null(cidr_list_find(&l, 0, 0, -1));
	cidr_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_v6),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
