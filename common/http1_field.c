/*
 * http1_field.c: the byte classes of the HTTP grammar, and the helpers
 * that read a parsed message: methods, field lookup, comma lists. Shared
 * by the parser (http1.c), the body decoder and the serializer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http1.h"
#include "http1_int.h"
#include "util.h"

/*
 * Character classes, generated from the RFC grammars (see http1_int.h):
 * 1 tchar, 2 field value (VCHAR, obs-text, SP, HTAB), 4 request-target
 * (VCHAR but "#"), 8 host (unreserved, sub-delims, ":", "[", "]", "%"),
 * 16 HEXDIG, 32 scheme (ALPHA, DIGIT, "+", "-", ".").
 */
const uint8_t http1_ctype[256] = {
	/* 00 */  0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,
	/* 10 */  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	/* 20 */  2, 15,  6,  3, 15, 15, 15, 15, 14, 14, 15, 47, 14, 47, 47,  6,
	/* 30 */ 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 14, 14,  6, 14,  6,  6,
	/* 40 */  6, 63, 63, 63, 63, 63, 63, 47, 47, 47, 47, 47, 47, 47, 47, 47,
	/* 50 */ 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 14,  6, 14,  7, 15,
	/* 60 */  7, 63, 63, 63, 63, 63, 63, 47, 47, 47, 47, 47, 47, 47, 47, 47,
	/* 70 */ 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47,  6,  7,  6, 15,  0,
	/* 80 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	/* 90 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	/* a0 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	/* b0 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	/* c0 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	/* d0 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	/* e0 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	/* f0 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
};

/* Indexed by enum http1_method. */
static const struct {
	const char	*name;
	size_t		 len;
} http1_methods[] = {
	{ NULL, 0 },
	{ "GET", 3 },
	{ "HEAD", 4 },
	{ "POST", 4 },
	{ "PUT", 3 },
	{ "DELETE", 6 },
	{ "OPTIONS", 7 },
	{ "PATCH", 5 },
	{ "CONNECT", 7 },
	{ "TRACE", 5 },
};

const char *
http1_char_reason(unsigned char c, const char *what)
{
	switch (c) {
	case '\0':
		return "NUL byte";
	case '\r':
		return "bare CR";
	case '\n':
		return "bare LF";
	default:
		return what;
	}
}

int
http1_all(const char *s, size_t len, uint8_t cls)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!http1_is((unsigned char)s[i], cls))
			return 0;
	return 1;
}

const char *
http1_method_name(enum http1_method m)
{
	if ((size_t)m >= nitems(http1_methods))
		return NULL;
	return http1_methods[m].name;
}

enum http1_method
http1_method_lookup(const char *s, size_t len)
{
	size_t i;

	for (i = 1; i < nitems(http1_methods); i++)
		if (http1_methods[i].len == len &&
		    memcmp(http1_methods[i].name, s, len) == 0)
			return (enum http1_method)i;
	return HTTP1_METHOD_OTHER;
}

int
http1_header_find(const struct http1_msg *msg, const char *name,
    size_t namelen, uint32_t from)
{
	const struct http1_header *h;
	uint32_t i;

	for (i = from; i < msg->nheaders; i++) {
		h = &msg->headers[i];
		if (h->name.len == namelen && util_strncasecmp(msg->base +
		    h->name.off, name, namelen) == 0)
			return (int)i;
	}
	return -1;
}

const char *
http1_header_get(const struct http1_msg *msg, const char *name, size_t *len)
{
	int i;

	if ((i = http1_header_find(msg, name, strlen(name), 0)) == -1)
		return NULL;
	*len = msg->headers[i].value.len;
	return msg->base + msg->headers[i].value.off;
}

void
http1_tokens_init(struct http1_tokens *it, const char *value, size_t len)
{
	const char *end = value + len;

	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	it->p = value < end ? value : NULL;	/* blank: no element */
	it->end = end;
}

int
http1_tokens_next(struct http1_tokens *it, const char **tok, size_t *len)
{
	const char *s = it->p, *q, *e;
	int quoted = 0;

	if (s == NULL)
		return 0;
	while (s < it->end && (*s == ' ' || *s == '\t'))
		s++;
	for (q = s; q < it->end; q++) {
		if (quoted) {
			if (*q == '\\' && q + 1 < it->end)
				q++;
			else if (*q == '"')
				quoted = 0;
		} else if (*q == '"')
			quoted = 1;
		else if (*q == ',')
			break;
	}
	for (e = q; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*tok = s;
	*len = (size_t)(e - s);
	it->p = q < it->end ? q + 1 : NULL;
	return 1;
}

int
http1_token_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && util_strncasecmp(s, lit, len) == 0;
}

int
http1_token_valid(const char *s, size_t len)
{
	return len > 0 && http1_all(s, len, HTTP1_C_TCHAR);
}
