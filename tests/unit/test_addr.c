/* test_addr.c: address text in every form, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

static void
ok(const char *text, const char *def, const char *want)
{
	struct net_addr a;
	char *cause = NULL, buf[NET_ADDR_STRLEN];

	if (addr_parse(text, def, &a, &cause) != 0)
		fail_msg("'%s' rejected: %s", text, cause);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), want);
}

static void
bad(const char *text, const char *def, const char *want_in_cause)
{
	struct net_addr a;
	char *cause = NULL;

	if (addr_parse(text, def, &a, &cause) != -1)
		fail_msg("'%s' accepted", text);
	assert_non_null(cause);
	if (strstr(cause, want_in_cause) == NULL)
		fail_msg("'%s': cause '%s' lacks '%s'", text, cause,
		    want_in_cause);
	free(cause);
}

static void
test_good(void **state)
{
	ok("127.0.0.1:80", NULL, "127.0.0.1:80");
	ok("0.0.0.0:65535", NULL, "0.0.0.0:65535");
	ok("[::1]:8080", NULL, "[::1]:8080");
	ok("[fe80::1:2]:1", NULL, "[fe80::1:2]:1");
	ok("8443", "10.0.0.1", "10.0.0.1:8443");
	ok("8443", "::1", "[::1]:8443");
	ok("unix:/run/triad/webd.sock", NULL, "unix:/run/triad/webd.sock");
}

static void
test_bad(void **state)
{
	char longpath[200];

	bad("127.0.0.1", NULL, "expected host:port");
	bad("127.0.0.1", "::1", "invalid port");
	bad("127.0.0.1:", NULL, "missing port");
	bad("127.0.0.1:0", NULL, "out of range");
	bad("127.0.0.1:65536", NULL, "out of range");
	bad("127.0.0.1:99999999999999999999", NULL, "invalid port");
	bad("127.0.0.1:8o", NULL, "invalid port");
	bad("127.0.0.1:-1", NULL, "invalid port");
	bad("127.0.0.1: 80", NULL, "invalid port");
	bad("localhost:80", NULL, "not a numeric");
	bad("256.1.1.1:80", NULL, "not a numeric");
	bad("::1:80", NULL, "[address]:port");
	bad("[::1]80", NULL, "expected [v6-address]:port");
	bad("[::1", NULL, "expected [v6-address]:port");
	bad("[]:80", NULL, "invalid host");
	bad(":80", NULL, "invalid host");
	bad("80", NULL, "expected host:port");
	bad("", NULL, "expected host:port");
	bad("unix:relative.sock", NULL, "must be absolute");
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	{
		char text[256];

		strcpy(text, "unix:");
		strcat(text, longpath);
		bad(text, NULL, "too long");
	}
}

static void
test_equal_and_port(void **state)
{
	struct net_addr a, b;
	char *cause;

	assert_int_equal(addr_parse("[::1]:80", NULL, &a, &cause), 0);
	assert_int_equal(addr_parse("80", "::1", &b, &cause), 0);
	assert_true(addr_equal(&a, &b));
	assert_int_equal(addr_port(&a), 80);
	assert_int_equal(addr_parse("127.0.0.1:80", NULL, &b, &cause), 0);
	assert_false(addr_equal(&a, &b));
	assert_int_equal(addr_parse("unix:/x", NULL, &b, &cause), 0);
	assert_int_equal(addr_port(&b), 0);
}

/* The host alone, as forwarded headers and rendered files want it. */
static void
test_host(void **state)
{
	static const struct { const char *text, *host; } c[] = {
		{ "127.0.0.1:80", "127.0.0.1" },
		{ "[::1]:8080", "::1" },
		{ "[2001:db8::ff00:42:8329]:1", "2001:db8::ff00:42:8329" },
		{ "[::ffff:10.0.0.1]:443", "::ffff:10.0.0.1" },
		{ "unix:/run/x.sock", "" },
	};
	struct net_addr a;
	char *cause, buf[64], tiny[4];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(addr_parse(c[i].text, NULL, &a, &cause), 0);
		assert_string_equal(addr_host(&a, buf, sizeof(buf)),
		    c[i].host);
	}
	/* Too small a buffer: "" rather than a cut address. */
	assert_int_equal(addr_parse("10.20.30.40:1", NULL, &a, &cause), 0);
	assert_string_equal(addr_host(&a, tiny, sizeof(tiny)), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_equal_and_port),
		cmocka_unit_test(test_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
