/*
 * cidr.c: see cidr.h.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

void
cidr_mask(unsigned prefix, uint64_t *hi, uint64_t *lo)
{
	*hi = prefix >= 64 ? ~0ULL : prefix == 0 ? 0 : ~0ULL << (64 - prefix);
	*lo = prefix <= 64 ? 0 : prefix == 128 ? ~0ULL :
	    ~0ULL << (128 - prefix);
}

/* 16 network-order bytes into two host-order words. */
static void
cidr_load16(const uint8_t *b, uint64_t *hi, uint64_t *lo)
{
	int i;

	*hi = *lo = 0;
	for (i = 0; i < 8; i++) {
		*hi = (*hi << 8) | b[i];
		*lo = (*lo << 8) | b[i + 8];
	}
}

/* Two host-order words back into 16 network-order bytes. */
static void
cidr_store16(uint64_t hi, uint64_t lo, uint8_t *b)
{
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (uint8_t)hi;
		b[i + 8] = (uint8_t)lo;
		hi >>= 8;
		lo >>= 8;
	}
}

int
cidr_words(const struct sockaddr *sa, uint64_t *hi, uint64_t *lo)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		*hi = 0;
		*lo = CIDR_V4MAPPED | ntohl(sin->sin_addr.s_addr);
		return 1;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		cidr_load16(sin6->sin6_addr.s6_addr, hi, lo);
		return *hi == 0 && (*lo >> 32) == 0xffff;
	default:
		return -1;
	}
}

/* Parses the "/n" part: digits only, at most max. Returns n or -1. */
static int
cidr_parse_prefix(const char *s, unsigned max)
{
	unsigned v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	return v > max ? -1 : (int)v;
}

/* A numeric address in the 128-bit form: 1 for IPv4, 0 for v6, -1. */
static int
cidr_parse_addr(const char *s, uint64_t *hi, uint64_t *lo)
{
	struct in_addr in4;
	uint8_t b[16];

	if (inet_pton(AF_INET, s, &in4) == 1) {
		*hi = 0;
		*lo = CIDR_V4MAPPED | ntohl(in4.s_addr);
		return 1;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		cidr_load16(b, hi, lo);
		return 0;
	}
	return -1;
}

/* Fills out from the address words, its family and the written prefix. */
static void
cidr_set(struct cidr *out, uint64_t hi, uint64_t lo, int v4, unsigned prefix)
{
	memset(out, 0, sizeof(*out));
	out->v4 = (uint8_t)v4;
	out->prefix = (uint8_t)prefix;
	cidr_mask(v4 ? prefix + 96 : prefix, &out->mhi, &out->mlo);
	out->hi = hi & out->mhi;
	out->lo = lo & out->mlo;
}

int
cidr_parse(const char *text, struct cidr *out, char **cause)
{
	char buf[CIDR_STRLEN], net[CIDR_STRLEN];
	uint64_t hi, lo;
	char *slash;
	int v4, prefix;

	*cause = NULL;
	if (util_strlcpy(buf, text, sizeof(buf)) >= sizeof(buf) || *buf == '\0') {
		xasprintf(cause, "'%.64s' is not an address or a prefix", text);
		return -1;
	}
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if ((v4 = cidr_parse_addr(buf, &hi, &lo)) == -1) {
		xasprintf(cause, "'%s' is not a numeric IPv4 or IPv6 address",
		    buf);
		return -1;
	}
	prefix = slash == NULL ? (v4 ? 32 : 128) :
	    cidr_parse_prefix(slash, v4 ? 32 : 128);
	if (prefix < 0) {
		xasprintf(cause, "'%s': prefix length must be 0-%d", text,
		    v4 ? 32 : 128);
		return -1;
	}
	/* ::ffff:a.b.c.d/n with n >= 96 is the IPv4 prefix it spells. */
	if (!v4 && prefix >= 96 && hi == 0 && (lo >> 32) == 0xffff) {
		v4 = 1;
		prefix -= 96;
	}
	cidr_set(out, hi, lo, v4, (unsigned)prefix);
	if (out->hi != hi || out->lo != lo) {
		xasprintf(cause, "'%s' has host bits set, did you mean %s?",
		    text, cidr_format(out, net, sizeof(net)));
		return -1;
	}
	return 0;
}

const char *
cidr_format(const struct cidr *c, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	uint8_t b[16];

	cidr_store16(c->hi, c->lo, b);
	if (c->v4)
		inet_ntop(AF_INET, b + 12, host, sizeof(host));
	else
		inet_ntop(AF_INET6, b, host, sizeof(host));
	snprintf(buf, size, "%s/%u", host, c->prefix);
	return buf;
}

int
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	uint64_t hi, lo;
	int v4;

	if ((v4 = cidr_words(sa, &hi, &lo)) == -1 || v4 != c->v4)
		return 0;
	return (hi & c->mhi) == c->hi && (lo & c->mlo) == c->lo;
}

const struct cidr *
cidr_list_find(const struct cidr_list *list, uint64_t hi, uint64_t lo, int v4)
{
	const struct cidr *c;
	size_t i;

	for (i = 0; i < list->n; i++) {
		c = &list->v[i];
		if (v4 == c->v4 && (hi & c->mhi) == c->hi &&
		    (lo & c->mlo) == c->lo)
			return c;
	}
	return NULL;
}

int
cidr_list_match(const struct cidr_list *list, const struct sockaddr *sa)
{
	uint64_t hi, lo;
	int v4;

	/* The peer is converted once, then each entry is two compares. */
	if ((v4 = cidr_words(sa, &hi, &lo)) == -1)
		return 0;
	return cidr_list_find(list, hi, lo, v4) != NULL;
}

void
cidr_list_add(struct cidr_list *list, const struct cidr *c)
{
	list->v = xreallocarray(list->v, list->n + 1, sizeof(*list->v));
	list->v[list->n++] = *c;
}

void
cidr_list_free(struct cidr_list *list)
{
	free(list->v);
	list->v = NULL;
	list->n = 0;
}
