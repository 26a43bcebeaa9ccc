/*
 * acl.h: who may talk to a frontend, and under which key a client is
 * counted by the rate and connection limits (ratelimit.h, connlimit.h).
 *
 * A frontend has an allow list and a deny list of CIDRs (config type
 * CFG_CIDRS fills them). The rule is the one an operator can predict
 * without reading the lists in order:
 *   1. when the allow list is not empty, the peer must match one of it;
 *   2. then the peer must match no entry of the deny list.
 * So deny wins over allow: "allow 10.0.0.0/8, deny 10.6.6.0/24" admits
 * 10.1.2.3 and refuses 10.6.6.1, whatever order the lines were written in
 * (nginx's first-match order makes the same two lines mean different
 * things depending on their order; HAProxy ACLs are per rule too).
 * IPv4-mapped IPv6 peers are IPv4 (cidr.h). A peer that is not an inet
 * address (AF_UNIX) matches no CIDR: it is refused when an allow list
 * exists and admitted otherwise.
 */
#ifndef LBD_ACL_H
#define LBD_ACL_H

#include <sys/socket.h>

#include <stdint.h>

#include "cidr.h"

/* A frontend's lists; both owned here, freed by lb_acl_free. */
struct lb_acl {
	struct cidr_list	allow;
	struct cidr_list	deny;
};

enum lb_acl_verdict {
	LB_ACL_PASS = 0,	/* admitted */
	LB_ACL_NOT_ALLOWED,	/* an allow list exists and missed */
	LB_ACL_DENIED,		/* a deny entry matched */
};

/*
 * The address a client is counted under: 128 bits like cidr.h (IPv4 as
 * ::ffff:a.b.c.d), with the host bits past the counting prefix cleared, so
 * that every address of one IPv6 /64 (what one subscriber usually gets)
 * shares one key.
 */
struct lb_ipkey {
	uint64_t	hi, lo;
};

#define LB_ACL_V4_PREFIX	32	/* default counting prefixes */
#define LB_ACL_V6_PREFIX	64

/*
 * lb_acl_check: the verdict for peer sa. When rule is not NULL it is set
 * to the entry that decided (the deny entry that matched) or NULL (pass,
 * or no allow entry matched), for the log line. Never allocates.
 */
enum lb_acl_verdict lb_acl_check(const struct lb_acl *acl,
	    const struct sockaddr *sa, const struct cidr **rule);
/* lb_acl_verdict_name: "pass", "not allowed" or "denied". */
const char *lb_acl_verdict_name(enum lb_acl_verdict v);
/* lb_acl_empty: 1 when both lists are empty (the check can be skipped). */
int	lb_acl_empty(const struct lb_acl *acl);
/* lb_acl_free: frees both lists and leaves acl empty (reusable). */
void	lb_acl_free(struct lb_acl *acl);

/*
 * lb_acl_key: the counting key of sa into *key. v4_prefix (0-32) and
 * v6_prefix (0-128) are the bits that identify one client; larger values
 * are clamped. Returns 0, or -1 when sa is not AF_INET or AF_INET6 (such a
 * peer is local and is not counted).
 */
int	lb_acl_key(const struct sockaddr *sa, unsigned v4_prefix,
	    unsigned v6_prefix, struct lb_ipkey *key);
/*
 * lb_acl_key_text: the counting key of a numeric address ("192.0.2.1",
 * "2001:db8::1", "::ffff:192.0.2.1"), for the admin port and the tests.
 * Returns 0, or -1 when text is not an address.
 */
int	lb_acl_key_text(const char *text, unsigned v4_prefix,
	    unsigned v6_prefix, struct lb_ipkey *key);
/*
 * lb_acl_key_hash: a 64-bit hash of key under seed. The tables hash with a
 * random seed so that a client cannot choose addresses that all land in
 * one bucket to push another client's state out.
 */
uint64_t lb_acl_key_hash(const struct lb_ipkey *key, uint64_t seed);
/* lb_acl_key_seed: a random seed for lb_acl_key_hash (getrandom). */
uint64_t lb_acl_key_seed(void);
/* lb_acl_key_equal: 1 when a and b are the same key. */
int	lb_acl_key_equal(const struct lb_ipkey *a, const struct lb_ipkey *b);
/* lb_acl_key_format: "10.1.2.0/24"-style text of key under the prefix. */
const char *lb_acl_key_format(const struct lb_ipkey *key, unsigned v4_prefix,
	    unsigned v6_prefix, char *buf, size_t size);

#endif
