/*
 * proxyproto.c: PROXY protocol v1 and v2 (see proxyproto.h).
 *
 * The parser looks at no more than it needs: the first byte picks the
 * version, the signature is checked on every call against the bytes seen
 * so far (so a client that is not a proxy is refused at once, without
 * waiting for a full header), and the length is checked against our bound
 * before we ask for more.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "proxyproto.h"
#include "util.h"

static const uint8_t proxyproto_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char proxyproto_v1_sig[6] = "PROXY ";

#define PP2_CMD_LOCAL		0x0
#define PP2_CMD_PROXY		0x1
#define PP2_FAM_UNSPEC		0x0
#define PP2_FAM_INET		0x1
#define PP2_FAM_INET6		0x2
#define PP2_FAM_UNIX		0x3
#define PP2_PROTO_STREAM	0x1
#define PP2_ADDR_UNIX		216
#define PP2_UNIX_PATH		108

static enum proxyproto_result
proxyproto_error(char **cause, const char *msg)
{
	xasprintf(cause, "PROXY protocol: %s", msg);
	return PROXYPROTO_ERROR;
}

/* Fills an inet net_addr from raw network-order address bytes and a port. */
static void
proxyproto_set_inet(struct net_addr *a, int family, const void *ip,
    uint16_t port_be)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip, 4);
		sin->sin_port = port_be;
		a->len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip, 16);
		sin6->sin6_port = port_be;
		a->len = sizeof(*sin6);
	}
}

/* ---- v1 ------------------------------------------------------------- */

/* A v1 port: 1 to 5 digits, 0..65535, no leading zero. 0 or -1. */
static int
proxyproto_v1_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t n = strlen(s), i;

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* One v1 address and port into a, in the family the protocol named. */
static int
proxyproto_v1_addr(const char *ip, const char *port, int family,
    struct net_addr *a)
{
	uint8_t raw[16];
	uint16_t p;

	if (inet_pton(family, ip, raw) != 1 || proxyproto_v1_port(port, &p))
		return -1;
	proxyproto_set_inet(a, family, raw, htons(p));
	return 0;
}

/*
 * Splits line at single spaces into at most max fields. Returns the count,
 * or -1 when a field is empty (two spaces, or a space at an end) or there
 * are more than max.
 */
static int
proxyproto_v1_split(char *line, char **f, int max)
{
	int n = 0;
	char *p;

	while ((p = strsep(&line, " ")) != NULL) {
		if (*p == '\0' || n == max)
			return -1;
		f[n++] = p;
	}
	return n;
}

/* Parses the fields after "PROXY " of a complete line (no CRLF). */
static enum proxyproto_result
proxyproto_v1_line(char *line, struct proxyproto_hdr *out, char **cause)
{
	char *f[5];
	int n, family;

	if (strncmp(line, "UNKNOWN", 7) == 0 &&
	    (line[7] == '\0' || line[7] == ' ')) {
		/* The rest of an UNKNOWN line is ignored, as the spec says. */
		out->local = 1;
		return PROXYPROTO_DONE;
	}
	if ((n = proxyproto_v1_split(line, f, 5)) != 5)
		return proxyproto_error(cause, "v1: expected 'TCP4|TCP6 src "
		    "dst sport dport'");
	if (strcmp(f[0], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(f[0], "TCP6") == 0)
		family = AF_INET6;
	else
		return proxyproto_error(cause, "v1: unknown protocol");
	if (proxyproto_v1_addr(f[1], f[3], family, &out->src) == -1 ||
	    proxyproto_v1_addr(f[2], f[4], family, &out->dst) == -1)
		return proxyproto_error(cause, "v1: bad address or port");
	return PROXYPROTO_DONE;
}

static enum proxyproto_result
proxyproto_v1(const uint8_t *buf, size_t len, struct proxyproto_hdr *out,
    size_t *consumed, char **cause)
{
	char line[PROXYPROTO_V1_MAX + 1];
	const uint8_t *cr;
	size_t look = MINIMUM(len, (size_t)PROXYPROTO_V1_MAX), n;

	if (memcmp(buf, proxyproto_v1_sig, MINIMUM(len, sizeof(
	    proxyproto_v1_sig))) != 0)
		return proxyproto_error(cause, "not a PROXY header");
	if ((cr = memchr(buf, '\r', look)) == NULL) {
		if (len >= PROXYPROTO_V1_MAX)
			return proxyproto_error(cause, "v1 line longer than "
			    "107 bytes");
		return PROXYPROTO_MORE;
	}
	n = (size_t)(cr - buf);
	if (n + 2 > PROXYPROTO_V1_MAX)
		return proxyproto_error(cause, "v1 line longer than 107 bytes");
	if (n + 1 >= len)
		return PROXYPROTO_MORE;
	if (cr[1] != '\n' || n < sizeof(proxyproto_v1_sig))
		return proxyproto_error(cause, "v1: bad line end");
	if (memchr(buf, '\0', n) != NULL)
		return proxyproto_error(cause, "v1: NUL in line");
	memcpy(line, buf + sizeof(proxyproto_v1_sig),
	    n - sizeof(proxyproto_v1_sig));
	line[n - sizeof(proxyproto_v1_sig)] = '\0';
	out->version = 1;
	*consumed = n + 2;
	return proxyproto_v1_line(line, out, cause);
}

/* ---- v2 ------------------------------------------------------------- */

/* Walks the TLVs of tlv[0..len): each must fit, and there are few. */
static int
proxyproto_v2_tlvs(const uint8_t *tlv, size_t len)
{
	size_t off = 0, vlen;
	int count = 0;

	while (off < len) {
		if (len - off < 3 || ++count > PROXYPROTO_MAX_TLVS)
			return -1;
		vlen = ((size_t)tlv[off + 1] << 8) | tlv[off + 2];
		if (vlen > len - off - 3)
			return -1;
		off += 3 + vlen;
	}
	return 0;
}

/* A v2 AF_UNIX path: NUL-terminated within its 108 bytes. */
static int
proxyproto_v2_unix(const uint8_t *p, struct net_addr *a)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
	size_t n;

	if ((n = strnlen((const char *)p, PP2_UNIX_PATH)) == PP2_UNIX_PATH ||
	    n >= sizeof(sun->sun_path))
		return -1;
	memset(a, 0, sizeof(*a));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, p, n);
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* An inet address block: two addresses of iplen bytes, then two ports. */
static int
proxyproto_v2_inet(int family, size_t iplen, const uint8_t *p, size_t len,
    struct proxyproto_hdr *out)
{
	uint16_t sport, dport;

	if (len < 2 * iplen + 4)
		return -1;
	memcpy(&sport, p + 2 * iplen, 2);
	memcpy(&dport, p + 2 * iplen + 2, 2);
	proxyproto_set_inet(&out->src, family, p, sport);
	proxyproto_set_inet(&out->dst, family, p + iplen, dport);
	return (int)(2 * iplen + 4);
}

/*
 * The address block of a PROXY command. Returns its size (the TLVs follow
 * it), or -1 when the family is unknown or the block too short.
 */
static int
proxyproto_v2_addrs(uint8_t fam, const uint8_t *p, size_t len,
    struct proxyproto_hdr *out)
{
	switch (fam >> 4) {
	case PP2_FAM_INET:
		return proxyproto_v2_inet(AF_INET, 4, p, len, out);
	case PP2_FAM_INET6:
		return proxyproto_v2_inet(AF_INET6, 16, p, len, out);
	case PP2_FAM_UNIX:
		if (len < PP2_ADDR_UNIX ||
		    proxyproto_v2_unix(p, &out->src) == -1 ||
		    proxyproto_v2_unix(p + PP2_UNIX_PATH, &out->dst) == -1)
			return -1;
		return PP2_ADDR_UNIX;
	}
	return -1;
}

/* The body of a complete v2 header: block[0..len) after the 16 bytes. */
static enum proxyproto_result
proxyproto_v2_body(uint8_t cmd, uint8_t fam, const uint8_t *block,
    size_t len, struct proxyproto_hdr *out, char **cause)
{
	int alen;

	if (cmd == PP2_CMD_LOCAL || (fam >> 4) == PP2_FAM_UNSPEC) {
		/* Addresses (and TLVs) of LOCAL/UNSPEC are to be ignored. */
		out->local = 1;
		return PROXYPROTO_DONE;
	}
	if ((fam & 0xf) != PP2_PROTO_STREAM)
		return proxyproto_error(cause, "v2: only STREAM is supported");
	if ((alen = proxyproto_v2_addrs(fam, block, len, out)) == -1)
		return proxyproto_error(cause, "v2: bad family or address "
		    "block too short");
	if (proxyproto_v2_tlvs(block + alen, len - (size_t)alen) == -1)
		return proxyproto_error(cause, "v2: malformed TLVs");
	return PROXYPROTO_DONE;
}

static enum proxyproto_result
proxyproto_v2(const uint8_t *buf, size_t len, struct proxyproto_hdr *out,
    size_t *consumed, char **cause)
{
	size_t plen;
	uint8_t cmd;

	if (memcmp(buf, proxyproto_v2_sig, MINIMUM(len,
	    sizeof(proxyproto_v2_sig))) != 0)
		return proxyproto_error(cause, "not a PROXY header");
	if (len > 12 && (buf[12] >> 4) != 2)
		return proxyproto_error(cause, "v2: unsupported version");
	if (len > 12 && (cmd = buf[12] & 0xf) != PP2_CMD_LOCAL &&
	    cmd != PP2_CMD_PROXY)
		return proxyproto_error(cause, "v2: unknown command");
	if (len < PROXYPROTO_V2_HDR)
		return PROXYPROTO_MORE;
	plen = ((size_t)buf[14] << 8) | buf[15];
	if (plen > PROXYPROTO_V2_MAX_LEN)
		return proxyproto_error(cause, "v2: header too long");
	if (len < PROXYPROTO_V2_HDR + plen)
		return PROXYPROTO_MORE;
	out->version = 2;
	*consumed = PROXYPROTO_V2_HDR + plen;
	return proxyproto_v2_body(buf[12] & 0xf, buf[13],
	    buf + PROXYPROTO_V2_HDR, plen, out, cause);
}

enum proxyproto_result
proxyproto_parse(const void *buf, size_t len, struct proxyproto_hdr *out,
    size_t *consumed, char **cause)
{
	const uint8_t *p = buf;
	enum proxyproto_result r;

	*cause = NULL;
	*consumed = 0;
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return PROXYPROTO_MORE;
	if (p[0] == 'P')
		r = proxyproto_v1(p, len, out, consumed, cause);
	else if (p[0] == 0x0d)
		r = proxyproto_v2(p, len, out, consumed, cause);
	else
		r = proxyproto_error(cause, "not a PROXY header");
	if (r != PROXYPROTO_DONE) {
		*consumed = 0;
		memset(out, 0, sizeof(*out));
	}
	return r;
}

/* ---- emit ----------------------------------------------------------- */

/* The raw address bytes and port of an inet address, v4 mapped to v6 when
 * want6. */
static void
proxyproto_raw(const struct net_addr *a, int want6, uint8_t *ip,
    uint16_t *port_be)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

	if (a->ss.ss_family == AF_INET6) {
		memcpy(ip, &sin6->sin6_addr, 16);
		*port_be = sin6->sin6_port;
	} else if (want6) {
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &sin->sin_addr, 4);
		*port_be = sin->sin_port;
	} else {
		memcpy(ip, &sin->sin_addr, 4);
		*port_be = sin->sin_port;
	}
}

static int
proxyproto_is_inet(const struct net_addr *a)
{
	return a != NULL && (a->ss.ss_family == AF_INET ||
	    a->ss.ss_family == AF_INET6);
}

/* The v2 family pairing of src and dst: PP2_FAM_*, UNSPEC when none. */
static int
proxyproto_pair(const struct net_addr *src, const struct net_addr *dst)
{
	if (proxyproto_is_inet(src) && proxyproto_is_inet(dst)) {
		if (src->ss.ss_family == AF_INET &&
		    dst->ss.ss_family == AF_INET)
			return PP2_FAM_INET;
		return PP2_FAM_INET6;
	}
	if (src != NULL && dst != NULL && src->ss.ss_family == AF_UNIX &&
	    dst->ss.ss_family == AF_UNIX)
		return PP2_FAM_UNIX;
	return PP2_FAM_UNSPEC;
}

int
proxyproto_emit_v1(void *buf, size_t size, const struct net_addr *src,
    const struct net_addr *dst)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	uint8_t sip[16], dip[16];
	uint16_t sp, dp;
	int fam, af, n;

	fam = proxyproto_pair(src, dst);
	if (fam != PP2_FAM_INET && fam != PP2_FAM_INET6)
		n = snprintf(buf, size, "PROXY UNKNOWN\r\n");
	else {
		af = fam == PP2_FAM_INET ? AF_INET : AF_INET6;
		proxyproto_raw(src, af == AF_INET6, sip, &sp);
		proxyproto_raw(dst, af == AF_INET6, dip, &dp);
		inet_ntop(af, sip, s, sizeof(s));
		inet_ntop(af, dip, d, sizeof(d));
		n = snprintf(buf, size, "PROXY %s %s %s %u %u\r\n",
		    af == AF_INET ? "TCP4" : "TCP6", s, d, ntohs(sp),
		    ntohs(dp));
	}
	/* snprintf wrote a NUL we do not count; n == size means no room. */
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* The v2 address block for fam into p; returns its length. */
static size_t
proxyproto_v2_block(uint8_t *p, int fam, const struct net_addr *src,
    const struct net_addr *dst)
{
	const struct sockaddr_un *su = (const struct sockaddr_un *)&src->ss;
	const struct sockaddr_un *du = (const struct sockaddr_un *)&dst->ss;
	size_t ipl = fam == PP2_FAM_INET ? 4 : 16;
	uint16_t sp, dp;

	if (fam == PP2_FAM_UNIX) {
		memset(p, 0, PP2_ADDR_UNIX);
		memcpy(p, su->sun_path, strnlen(su->sun_path, PP2_UNIX_PATH));
		memcpy(p + PP2_UNIX_PATH, du->sun_path,
		    strnlen(du->sun_path, PP2_UNIX_PATH));
		return PP2_ADDR_UNIX;
	}
	proxyproto_raw(src, fam == PP2_FAM_INET6, p, &sp);
	proxyproto_raw(dst, fam == PP2_FAM_INET6, p + ipl, &dp);
	memcpy(p + 2 * ipl, &sp, 2);
	memcpy(p + 2 * ipl + 2, &dp, 2);
	return 2 * ipl + 4;
}

int
proxyproto_emit_v2(void *buf, size_t size, const struct net_addr *src,
    const struct net_addr *dst)
{
	uint8_t block[PP2_ADDR_UNIX], *p = buf;
	size_t blen = 0;
	int fam;

	fam = proxyproto_pair(src, dst);
	if (fam != PP2_FAM_UNSPEC)
		blen = proxyproto_v2_block(block, fam, src, dst);
	if (size < PROXYPROTO_V2_HDR + blen)
		return -1;
	memcpy(p, proxyproto_v2_sig, sizeof(proxyproto_v2_sig));
	p[12] = 0x20 | (fam == PP2_FAM_UNSPEC ? PP2_CMD_LOCAL : PP2_CMD_PROXY);
	p[13] = fam == PP2_FAM_UNSPEC ? 0 : (uint8_t)(fam << 4 |
	    PP2_PROTO_STREAM);
	p[14] = (uint8_t)(blen >> 8);
	p[15] = (uint8_t)(blen & 0xff);
	memcpy(p + PROXYPROTO_V2_HDR, block, blen);
	return (int)(PROXYPROTO_V2_HDR + blen);
}
