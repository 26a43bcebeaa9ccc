/*
 * proxyproto.h: the PROXY protocol, versions 1 (text) and 2 (binary), as
 * HAProxy's proxy-protocol.txt defines them: parsing the header a trusted
 * proxy puts in front of a connection, and emitting one towards a server.
 *
 * The parser is pure (a buffer in, a result out), incremental (call it
 * again with more bytes after PROXYPROTO_MORE) and bounded: it never asks
 * for more than PROXYPROTO_MAX_LEN bytes. Whether a peer is trusted to send
 * a header is the caller's business (a CIDR list in the daemon's config).
 */
#ifndef TRIAD_PROXYPROTO_H
#define TRIAD_PROXYPROTO_H

#include <stddef.h>

#include "addr.h"

/* A v1 line, "PROXY ... \r\n" included, is at most 107 bytes. */
#define PROXYPROTO_V1_MAX	107
/* The v2 fixed part: 12-byte signature, ver/cmd, family, 16-bit length. */
#define PROXYPROTO_V2_HDR	16
/*
 * Our bound on the v2 address block plus TLVs. The spec allows 65535; real
 * senders stay far below (the largest address block is 216 bytes, and the
 * SSL and cloud TLVs are small), so a longer header is treated as hostile.
 */
#define PROXYPROTO_V2_MAX_LEN	2048
/* The most a header can take: what a caller should be ready to buffer. */
#define PROXYPROTO_MAX_LEN	(PROXYPROTO_V2_HDR + PROXYPROTO_V2_MAX_LEN)
/* At most this many TLVs are walked (each is checked, then skipped). */
#define PROXYPROTO_MAX_TLVS	64

enum proxyproto_result {
	PROXYPROTO_ERROR = -1,	/* not a valid header: close the connection */
	PROXYPROTO_MORE = 0,	/* a valid prefix: read more and call again */
	PROXYPROTO_DONE = 1,	/* a whole header; *consumed bytes are it */
};

struct proxyproto_hdr {
	int		version;	/* 1 or 2 */
	/*
	 * 1 when the header carries no addresses: v2 LOCAL (a health check
	 * from the proxy itself), v2 AF_UNSPEC, or v1 UNKNOWN. The caller
	 * then keeps the socket's own addresses. src and dst are zeroed.
	 */
	int		local;
	struct net_addr	src;		/* the client, as the proxy saw it */
	struct net_addr	dst;		/* the address the client connected to */
};

/*
 * proxyproto_parse: looks for a v1 or v2 header at the start of buf.
 * Returns PROXYPROTO_DONE with *out filled and *consumed set to the header
 * length (the application data starts right after), PROXYPROTO_MORE when
 * buf is a valid but incomplete prefix (len < PROXYPROTO_MAX_LEN always
 * holds then), or PROXYPROTO_ERROR with *cause (caller frees) when the
 * bytes cannot be a header: wrong signature, bad field, overlong line,
 * length past PROXYPROTO_V2_MAX_LEN, malformed TLVs.
 */
enum proxyproto_result proxyproto_parse(const void *buf, size_t len,
	    struct proxyproto_hdr *out, size_t *consumed, char **cause);

/*
 * proxyproto_emit_v1: writes "PROXY TCP4|TCP6 src dst sport dport\r\n" for
 * inet addresses (a v4/v6 mix is written as TCP6 with a v4-mapped address),
 * or "PROXY UNKNOWN\r\n" when src or dst is NULL or not inet. Returns the
 * length (no NUL is counted or needed), or -1 when size is too small
 * (PROXYPROTO_V1_MAX always suffices).
 */
int	proxyproto_emit_v1(void *buf, size_t size, const struct net_addr *src,
	    const struct net_addr *dst);
/*
 * proxyproto_emit_v2: writes a v2 PROXY header for inet or unix addresses
 * (a v4/v6 mix as INET6 with a v4-mapped address), or a LOCAL header when
 * src or dst is NULL or their families cannot be paired. No TLVs. Returns
 * the length, or -1 when size is too small (PROXYPROTO_V2_HDR + 216 always
 * suffices).
 */
int	proxyproto_emit_v2(void *buf, size_t size, const struct net_addr *src,
	    const struct net_addr *dst);

#endif
