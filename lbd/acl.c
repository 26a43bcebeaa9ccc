/*
 * acl.c: see acl.h.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "util.h"

enum lb_acl_verdict
lb_acl_check(const struct lb_acl *acl, const struct sockaddr *sa,
    const struct cidr **rule)
{
	const struct cidr *hit;
	uint64_t hi = 0, lo = 0;
	int v4;

	if (rule != NULL)
		*rule = NULL;
	/* A non-inet peer matches nothing: -1 never equals an entry's v4. */
	v4 = cidr_words(sa, &hi, &lo);
	if (acl->allow.n > 0 && cidr_list_find(&acl->allow, hi, lo, v4) == NULL)
		return LB_ACL_NOT_ALLOWED;
	if ((hit = cidr_list_find(&acl->deny, hi, lo, v4)) != NULL) {
		if (rule != NULL)
			*rule = hit;
		return LB_ACL_DENIED;
	}
	return LB_ACL_PASS;
}

const char *
lb_acl_verdict_name(enum lb_acl_verdict v)
{
	switch (v) {
	case LB_ACL_PASS:
		return "pass";
	case LB_ACL_NOT_ALLOWED:
		return "not allowed";
	case LB_ACL_DENIED:
		return "denied";
	}
	return "?";
}

int
lb_acl_empty(const struct lb_acl *acl)
{
	return acl->allow.n == 0 && acl->deny.n == 0;
}

void
lb_acl_free(struct lb_acl *acl)
{
	cidr_list_free(&acl->allow);
	cidr_list_free(&acl->deny);
}

/* Clears the bits of hi:lo past prefix (0-128). */
static void
lb_acl_mask(unsigned prefix, uint64_t *hi, uint64_t *lo)
{
	uint64_t mhi, mlo;

	cidr_mask(prefix, &mhi, &mlo);
	*hi &= mhi;
	*lo &= mlo;
}

int
lb_acl_key(const struct sockaddr *sa, unsigned v4_prefix, unsigned v6_prefix,
    struct lb_ipkey *key)
{
	uint64_t hi, lo;
	int v4;

	if ((v4 = cidr_words(sa, &hi, &lo)) == -1)
		return -1;
	if (v4) {
		/* Only the 32 low bits are the address; the ffff marker stays
		   so that no IPv6 key can equal an IPv4 one. */
		lo &= 0xffffffffULL;
		lb_acl_mask(96 + (v4_prefix > 32 ? 32 : v4_prefix), &hi, &lo);
		lo |= CIDR_V4MAPPED;
	} else
		lb_acl_mask(v6_prefix > 128 ? 128 : v6_prefix, &hi, &lo);
	key->hi = hi;
	key->lo = lo;
	return 0;
}

int
lb_acl_key_text(const char *text, unsigned v4_prefix, unsigned v6_prefix,
    struct lb_ipkey *key)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return lb_acl_key((struct sockaddr *)&sin, v4_prefix,
		    v6_prefix, key);
	}
	if (inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		return lb_acl_key((struct sockaddr *)&sin6, v4_prefix,
		    v6_prefix, key);
	}
	return -1;
}

uint64_t
lb_acl_key_hash(const struct lb_ipkey *key, uint64_t seed)
{
	/* Not a MAC: the seed is secret and random per table, and the
	   address is 128 bits, so a client cannot predict which keys
	   collide without seeing the table. */
	return util_mix64(util_mix64(key->hi ^ seed) ^ key->lo ^
	    (seed * 0x9e3779b97f4a7c15ULL));
}

uint64_t
lb_acl_key_seed(void)
{
	uint64_t seed = 0;

	/* getrandom of 8 bytes does not block once the pool is ready and is
	   not interrupted; a failure leaves the clock as the last resort. */
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = util_now_us() * 0x9e3779b97f4a7c15ULL;
	return seed | 1;
}

int
lb_acl_key_equal(const struct lb_ipkey *a, const struct lb_ipkey *b)
{
	return a->hi == b->hi && a->lo == b->lo;
}

const char *
lb_acl_key_format(const struct lb_ipkey *key, unsigned v4_prefix,
    unsigned v6_prefix, char *buf, size_t size)
{
	struct cidr c;

	memset(&c, 0, sizeof(c));
	c.hi = key->hi;
	c.lo = key->lo;
	c.v4 = key->hi == 0 && (key->lo >> 32) == 0xffff;
	if (c.v4)
		c.prefix = v4_prefix > 32 ? 32 : v4_prefix;
	else
		c.prefix = v6_prefix > 128 ? 128 : v6_prefix;
	return cidr_format(&c, buf, size);
}
