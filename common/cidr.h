/*
 * cidr.h: network prefixes ("10.0.0.0/8", "::1/128", a bare address is a
 * host route) and the match of a peer's sockaddr against a list of them.
 * lbd's ACLs, webd's trusted proxies and the status port's admin check use
 * it, on the accept path, so a match is a few 64-bit compares per entry and
 * never allocates.
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket
 * reports for an IPv4 client) are IPv4: they match "10.0.0.0/8" and never
 * "::/0". A prefix written inside ::ffff:0:0/96 is turned into IPv4 too.
 */
#ifndef TRIAD_CIDR_H
#define TRIAD_CIDR_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* One prefix; addresses are 128-bit, host order, IPv4 as ::ffff:a.b.c.d. */
struct cidr {
	uint64_t	hi, lo;		/* network (host bits are zero) */
	uint64_t	mhi, mlo;	/* mask */
	uint8_t		v4;		/* an IPv4 prefix */
	uint8_t		prefix;		/* as written: 0-32 or 0-128 */
};

/* A list owned by whoever holds it; free with cidr_list_free. */
struct cidr_list {
	struct cidr	*v;
	size_t		 n;
};

#define CIDR_STRLEN	64	/* "ffff:...:ffff/128" and a NUL */
#define CIDR_V4MAPPED	0x0000ffff00000000ULL	/* lo word of ::ffff:0:0 */

/*
 * cidr_parse: "a.b.c.d/n", "v6/n" or a bare address (/32 or /128) into out.
 * Host bits set past the prefix are an error ("10.0.0.1/8 has host bits
 * set, did you mean 10.0.0.0/8?") because such a line usually hides a typo.
 * Returns 0, or -1 with *cause (caller frees).
 */
int	cidr_parse(const char *text, struct cidr *out, char **cause);
/* cidr_format: the canonical text of c into buf ("10.0.0.0/8"). */
const char *cidr_format(const struct cidr *c, char *buf, size_t size);
/*
 * cidr_match: 1 when sa (AF_INET or AF_INET6) lies inside c, 0 otherwise
 * (also for AF_UNIX and unknown families).
 */
int	cidr_match(const struct cidr *c, const struct sockaddr *sa);
/* cidr_list_match: 1 when any entry of list matches sa. */
int	cidr_list_match(const struct cidr_list *list,
	    const struct sockaddr *sa);
/*
 * cidr_words: a peer address in the 128-bit form (host-order words, IPv4
 * as ::ffff:a.b.c.d), for callers that test it against many entries or
 * key tables by it. Returns 1 for IPv4 (also when mapped), 0 for IPv6,
 * -1 for any other family (hi and lo then unset).
 */
int	cidr_words(const struct sockaddr *sa, uint64_t *hi, uint64_t *lo);
/* cidr_mask: the 128-bit mask of a prefix length 0..128. */
void	cidr_mask(unsigned prefix, uint64_t *hi, uint64_t *lo);
/* cidr_list_find: the first entry of list that holds the address words
   (cidr_words' output), or NULL. */
const struct cidr *cidr_list_find(const struct cidr_list *list, uint64_t hi,
	    uint64_t lo, int v4);
/* cidr_list_add: appends a copy of c (xreallocarray: cannot fail). */
void	cidr_list_add(struct cidr_list *list, const struct cidr *c);
/* cidr_list_free: frees the entries and empties the list. */
void	cidr_list_free(struct cidr_list *list);

#endif
