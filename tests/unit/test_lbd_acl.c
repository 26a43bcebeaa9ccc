/*
 * test_lbd_acl.c: allow and deny lists (deny wins, whatever the order),
 * IPv4-mapped peers, peers that are not inet addresses, and the counting
 * keys of the limits (IPv6 grouped per /64, IPv4 per address).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"

/* A sockaddr for a numeric address (v4 or v6), in one of two buffers so
   that a test can hold two at once. */
static const struct sockaddr *
sa(const char *ip)
{
	static struct sockaddr_storage ss[2];
	static int next;
	struct sockaddr_storage *s = &ss[next++ & 1];
	struct sockaddr_in *sin = (struct sockaddr_in *)s;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)s;

	memset(s, 0, sizeof(*s));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) != 1)
			fail_msg("bad test address %s", ip);
		sin6->sin6_family = AF_INET6;
	}
	return (const struct sockaddr *)s;
}

/* Adds each CIDR of a NULL-terminated list to list. */
static void
add(struct cidr_list *list, const char *const *texts)
{
	struct cidr c;
	char *cause = NULL;

	for (; *texts != NULL; texts++) {
		if (cidr_parse(*texts, &c, &cause) != 0)
			fail_msg("%s: %s", *texts, cause);
		cidr_list_add(list, &c);
	}
}

/* A peer of another family (AF_UNIX, AF_UNSPEC), its address bytes all
   set so that nothing can pass for zero. */
static const struct sockaddr *
peer_of(int family)
{
	static struct sockaddr_storage ss;

	memset(&ss, 0xff, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	return (const struct sockaddr *)&ss;
}

static enum lb_acl_verdict
check(const struct lb_acl *acl, const char *ip)
{
	return lb_acl_check(acl, sa(ip), NULL);
}

static void
test_empty_passes_all(void **state)
{
	struct lb_acl acl;

	(void)state;
	memset(&acl, 0, sizeof(acl));
	assert_true(lb_acl_empty(&acl));
	assert_int_equal(check(&acl, "1.2.3.4"), LB_ACL_PASS);
	assert_int_equal(check(&acl, "::1"), LB_ACL_PASS);
	assert_int_equal(lb_acl_check(&acl, peer_of(AF_UNIX), NULL),
	    LB_ACL_PASS);
}

static void
test_allow_only(void **state)
{
	static const char *const allow[] = { "10.0.0.0/8", "2001:db8::/32",
	    NULL };
	struct lb_acl acl;

	(void)state;
	memset(&acl, 0, sizeof(acl));
	add(&acl.allow, allow);
	assert_false(lb_acl_empty(&acl));
	assert_int_equal(check(&acl, "10.1.2.3"), LB_ACL_PASS);
	assert_int_equal(check(&acl, "10.255.255.255"), LB_ACL_PASS);
	assert_int_equal(check(&acl, "11.0.0.0"), LB_ACL_NOT_ALLOWED);
	assert_int_equal(check(&acl, "9.255.255.255"), LB_ACL_NOT_ALLOWED);
	/* What a dual-stack socket reports for an IPv4 client. */
	assert_int_equal(check(&acl, "::ffff:10.1.2.3"), LB_ACL_PASS);
	assert_int_equal(check(&acl, "::ffff:11.1.2.3"), LB_ACL_NOT_ALLOWED);
	assert_int_equal(check(&acl, "2001:db8:ffff::1"), LB_ACL_PASS);
	assert_int_equal(check(&acl, "2001:db9::1"), LB_ACL_NOT_ALLOWED);
	/* Not an inet peer: matches no allow entry. */
	assert_int_equal(lb_acl_check(&acl, peer_of(AF_UNIX), NULL),
	    LB_ACL_NOT_ALLOWED);
	lb_acl_free(&acl);
	assert_true(lb_acl_empty(&acl));
	/* One entry alone is a list too. */
	add(&acl.allow, allow + 1);
	assert_int_equal(check(&acl, "2001:db8::1"), LB_ACL_PASS);
	assert_int_equal(check(&acl, "10.1.2.3"), LB_ACL_NOT_ALLOWED);
	lb_acl_free(&acl);
}

/* Deny wins over allow, in either order of the lines. */
static void
test_deny_wins(void **state)
{
	static const char *const a1[] = { "10.0.0.0/8", "10.6.6.0/24", NULL };
	static const char *const a2[] = { "10.6.6.0/24", "10.0.0.0/8", NULL };
	static const char *const deny[] = { "10.6.6.0/24", NULL };
	const struct cidr *rule = (const struct cidr *)1;
	struct lb_acl acl;
	char buf[CIDR_STRLEN];
	int order;

	(void)state;
	for (order = 0; order < 2; order++) {
		memset(&acl, 0, sizeof(acl));
		add(&acl.allow, order ? a2 : a1);
		add(&acl.deny, deny);
		assert_int_equal(lb_acl_check(&acl, sa("10.6.6.1"), &rule),
		    LB_ACL_DENIED);
		assert_non_null(rule);
		assert_string_equal(cidr_format(rule, buf, sizeof(buf)),
		    "10.6.6.0/24");
		assert_int_equal(lb_acl_check(&acl, sa("10.6.7.1"), &rule),
		    LB_ACL_PASS);
		assert_null(rule);
		assert_int_equal(lb_acl_check(&acl, sa("12.0.0.1"), &rule),
		    LB_ACL_NOT_ALLOWED);
		assert_null(rule);
		assert_int_equal(check(&acl, "::ffff:10.6.6.200"),
		    LB_ACL_DENIED);
		lb_acl_free(&acl);
	}
}

/* A deny list alone; "::/0" is IPv6 only, it does not catch IPv4. */
static void
test_deny_only(void **state)
{
	static const char *const deny[] = { "192.0.2.7", "::/0", NULL };
	const struct cidr *rule;
	struct lb_acl acl;
	char buf[CIDR_STRLEN];

	(void)state;
	memset(&acl, 0, sizeof(acl));
	add(&acl.deny, deny);
	assert_int_equal(check(&acl, "192.0.2.7"), LB_ACL_DENIED);
	assert_int_equal(check(&acl, "192.0.2.8"), LB_ACL_PASS);
	assert_int_equal(check(&acl, "::ffff:192.0.2.8"), LB_ACL_PASS);
	assert_int_equal(lb_acl_check(&acl, sa("::ffff:192.0.2.7"), &rule),
	    LB_ACL_DENIED);
	assert_string_equal(cidr_format(rule, buf, sizeof(buf)),
	    "192.0.2.7/32");
	assert_int_equal(lb_acl_check(&acl, sa("2001:db8::1"), &rule),
	    LB_ACL_DENIED);
	assert_string_equal(cidr_format(rule, buf, sizeof(buf)), "::/0");
	assert_int_equal(check(&acl, "::1"), LB_ACL_DENIED);
	lb_acl_free(&acl);
}

/* Families other than inet never match and never crash. */
static void
test_hostile_family(void **state)
{
	static const char *const all[] = { "0.0.0.0/0", "::/0", NULL };
	static const char *const junk[] = { "", "1.2.3", "1.2.3.4/32",
	    "1.2.3.4 ", " ::1", "::1%lo", "256.0.0.1", "::g", "[::1]",
	    "1.2.3.4:80", "0x7f.0.0.1", NULL };
	struct lb_acl acl;
	struct lb_ipkey key;
	size_t i;

	(void)state;
	memset(&acl, 0, sizeof(acl));
	add(&acl.deny, all);
	assert_int_equal(lb_acl_check(&acl, peer_of(AF_UNSPEC), NULL),
	    LB_ACL_PASS);
	add(&acl.allow, all);
	assert_int_equal(lb_acl_check(&acl, peer_of(AF_UNSPEC), NULL),
	    LB_ACL_NOT_ALLOWED);
	assert_int_equal(lb_acl_key(peer_of(AF_UNSPEC), 32, 64, &key), -1);
	assert_int_equal(lb_acl_key(peer_of(AF_UNIX), 32, 64, &key), -1);
	for (i = 0; junk[i] != NULL; i++)
		if (lb_acl_key_text(junk[i], 32, 64, &key) != -1)
			fail_msg("'%s' taken as an address", junk[i]);
	lb_acl_free(&acl);
}

static void
test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(lb_acl_verdict_name(LB_ACL_PASS), "pass");
	assert_string_equal(lb_acl_verdict_name(LB_ACL_NOT_ALLOWED),
	    "not allowed");
	assert_string_equal(lb_acl_verdict_name(LB_ACL_DENIED), "denied");
	assert_string_equal(lb_acl_verdict_name((enum lb_acl_verdict)42), "?");
}

/* The key of ip under the prefixes, as text. */
static const char *
keytext(const char *ip, unsigned p4, unsigned p6)
{
	static char buf[CIDR_STRLEN];
	struct lb_ipkey key;

	assert_int_equal(lb_acl_key(sa(ip), p4, p6, &key), 0);
	return lb_acl_key_format(&key, p4, p6, buf, sizeof(buf));
}

/* 1 when a and b count as one client under the prefixes; the text and
   the sockaddr paths must agree. */
static int
same(const char *a, const char *b, unsigned p4, unsigned p6)
{
	struct lb_ipkey ka, kb, kt;

	assert_int_equal(lb_acl_key(sa(a), p4, p6, &ka), 0);
	assert_int_equal(lb_acl_key_text(a, p4, p6, &kt), 0);
	assert_true(lb_acl_key_equal(&ka, &kt));
	assert_int_equal(lb_acl_key(sa(b), p4, p6, &kb), 0);
	return lb_acl_key_equal(&ka, &kb);
}

static void
test_key_grouping(void **state)
{
	(void)state;
	/* IPv6: one /64 is one client by default. */
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff",
	    32, 64));
	assert_false(same("2001:db8:1:2::1", "2001:db8:1:3::1", 32, 64));
	assert_string_equal(keytext("2001:db8:1:2:3:4:5:6", 32, 64),
	    "2001:db8:1:2::/64");
	assert_string_equal(keytext("2001:db8:1:2:3:4:5:6", 32, 56),
	    "2001:db8:1::/56");
	assert_string_equal(keytext("2001:db8:1:2:3:4:5:6", 32, 127),
	    "2001:db8:1:2:3:4:5:6/127");
	assert_false(same("2001:db8::1", "2001:db8::2", 32, 128));
	assert_true(same("2001:db8::1", "2002::1", 32, 0));
	assert_string_equal(keytext("2001:db8::1", 32, 999),
	    "2001:db8::1/128");
	/* IPv4: one address by default, a prefix groups. */
	assert_false(same("10.1.2.3", "10.1.2.4", 32, 64));
	assert_true(same("10.1.2.3", "10.1.2.200", 24, 64));
	assert_string_equal(keytext("10.1.2.3", 24, 64), "10.1.2.0/24");
	assert_string_equal(keytext("10.1.2.3", 99, 64), "10.1.2.3/32");
	assert_string_equal(keytext("10.1.2.3", 0, 64), "0.0.0.0/0");
	/* Mapped IPv4 is IPv4: under the IPv4 prefix, not the IPv6 one. */
	assert_true(same("::ffff:10.1.2.3", "10.1.2.3", 32, 64));
	assert_false(same("::ffff:10.1.2.3", "::ffff:10.1.2.4", 32, 64));
	assert_string_equal(keytext("::ffff:10.1.2.3", 32, 64),
	    "10.1.2.3/32");
	/* No IPv6 address shares a key with an IPv4 one. */
	assert_false(same("::10.1.2.3", "10.1.2.3", 32, 128));
	assert_false(same("::", "0.0.0.0", 0, 0));
	assert_false(same("::ffff:0:0", "::", 0, 64));
}

/* The hash: deterministic per seed, seed-dependent, and spread out. */
static void
test_key_hash(void **state)
{
	static unsigned bucket[256];
	struct lb_ipkey a = { 0, 0x0000ffff0a000001ULL }, b = a;
	char ip[64];
	unsigned i, lo = UINT32_MAX, hi = 0;

	(void)state;
	assert_true(lb_acl_key_hash(&a, 42) == lb_acl_key_hash(&b, 42));
	assert_true(lb_acl_key_hash(&a, 42) != lb_acl_key_hash(&a, 43));
	b.lo++;
	assert_true(lb_acl_key_hash(&a, 42) != lb_acl_key_hash(&b, 42));
	assert_true(lb_acl_key_seed() != 0);
	/* 65536 consecutive addresses (what one attacker's /16 has) over 256
	   buckets: each gets 256 on average, none strays far. */
	for (i = 0; i < 65536; i++) {
		snprintf(ip, sizeof(ip), "10.9.%u.%u", i >> 8, i & 255);
		assert_int_equal(lb_acl_key(sa(ip), 32, 64, &a), 0);
		bucket[lb_acl_key_hash(&a, 0x1234567) & 255]++;
	}
	for (i = 0; i < 256; i++) {
		lo = bucket[i] < lo ? bucket[i] : lo;
		hi = bucket[i] > hi ? bucket[i] : hi;
	}
	if (lo < 180 || hi > 340)
		fail_msg("uneven buckets: %u..%u", lo, hi);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_passes_all),
		cmocka_unit_test(test_allow_only),
		cmocka_unit_test(test_deny_wins),
		cmocka_unit_test(test_deny_only),
		cmocka_unit_test(test_hostile_family),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_key_grouping),
		cmocka_unit_test(test_key_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
