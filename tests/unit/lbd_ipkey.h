/*
 * lbd_ipkey.h: the client keys the unit tests of lbd's per-address tables
 * (connlimit, ratelimit) give them. Included after <cmocka.h> and "acl.h".
 */
#ifndef TRIAD_TEST_LBD_IPKEY_H
#define TRIAD_TEST_LBD_IPKEY_H

/* The key of a numeric address under the default prefixes. */
static inline struct lb_ipkey
key(const char *ip)
{
	struct lb_ipkey k;

	if (lb_acl_key_text(ip, LB_ACL_V4_PREFIX, LB_ACL_V6_PREFIX, &k) != 0)
		fail_msg("bad test address %s", ip);
	return k;
}

/* The key of the n-th address of a flood (10.x.y.z, never 192.0.2.x). */
static inline struct lb_ipkey
nth(uint32_t n)
{
	struct lb_ipkey k = { 0, 0x0000ffff0a000000ULL | (n & 0xffffff) };

	return k;
}

#endif
