/*
 * http1_int.h: what the http1 files share and nobody else needs: the
 * character classes of RFC 9110/9112/3986, one table lookup per byte.
 */
#ifndef TRIAD_HTTP1_INT_H
#define TRIAD_HTTP1_INT_H

#include <stddef.h>
#include <stdint.h>

#include "http1-t.h"

#define HTTP1_C_TCHAR	0x01	/* token char (RFC 9110 5.6.2) */
#define HTTP1_C_VALUE	0x02	/* field-vchar, obs-text, SP, HTAB */
#define HTTP1_C_TARGET	0x04	/* VCHAR but "#" (request-target) */
#define HTTP1_C_HOST	0x08	/* uri-host, ":" port (RFC 3986 3.2) */
#define HTTP1_C_HEX	0x10	/* HEXDIG */
#define HTTP1_C_SCHEME	0x20	/* ALPHA DIGIT "+" "-" "." */

extern const uint8_t http1_ctype[256];

/* 1 when byte c belongs to class cls. */
static inline int
http1_is(unsigned char c, uint8_t cls)
{
	return (http1_ctype[c] & cls) != 0;
}

/*
 * http1_char_reason: the reason for an unexpected byte c, naming the
 * smuggling forms (NUL, bare CR, bare LF) and otherwise what.
 */
const char	*http1_char_reason(unsigned char c, const char *what);

/*
 * http1_limits_fix: copies in (NULL: the defaults) to out, with zero
 * fields set to their default and max_headers capped at HTTP1_HEADERS_CAP.
 */
void	http1_limits_fix(struct http1_limits *out,
	    const struct http1_limits *in);

/* 1 when every one of the len bytes at s is in class cls. */
int	http1_all(const char *s, size_t len, uint8_t cls);

#endif
