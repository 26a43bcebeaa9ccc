/*
 * http1.c: the HTTP/1.1 head parser. http1.h states
 * the contract and every decision (what is refused and why);
 * http1_body.c decodes bodies, http1_write.c writes messages, and
 * http1_field.c holds the byte classes and the field helpers.
 *
 * The parser works line by line. memchr finds the LF (it resumes where
 * the last call stopped), then one pass over the line classifies every
 * byte through a table and records offsets. A line is parsed once, when
 * it is complete; limits are checked on incomplete lines too, so a peer
 * cannot make us wait for a line longer than allowed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http1.h"
#include "http1_int.h"

enum http1_head_state {
	HS_INIT = 0,	/* next call starts a message */
	HS_START,	/* expecting the request or status line */
	HS_FIELDS,	/* expecting a field line or the empty line */
	HS_DONE,
	HS_ERROR,
};

void
http1_limits_default(struct http1_limits *lim)
{
	lim->max_start_line = HTTP1_DEFAULT_MAX_START_LINE;
	lim->max_head = HTTP1_DEFAULT_MAX_HEAD;
	lim->max_headers = HTTP1_DEFAULT_MAX_HEADERS;
	lim->max_chunk_ext = HTTP1_DEFAULT_MAX_CHUNK_EXT;
	lim->max_trailer = HTTP1_DEFAULT_MAX_TRAILER;
	lim->max_body = HTTP1_DEFAULT_MAX_BODY;
}

void
http1_limits_fix(struct http1_limits *out, const struct http1_limits *in)
{
	struct http1_limits d;

	http1_limits_default(&d);
	if (in == NULL)
		in = &d;
	out->max_start_line = in->max_start_line ? in->max_start_line :
	    d.max_start_line;
	out->max_head = in->max_head ? in->max_head : d.max_head;
	out->max_headers = in->max_headers ? in->max_headers : d.max_headers;
	if (out->max_headers > HTTP1_HEADERS_CAP)
		out->max_headers = HTTP1_HEADERS_CAP;
	out->max_chunk_ext = in->max_chunk_ext ? in->max_chunk_ext :
	    d.max_chunk_ext;
	out->max_trailer = in->max_trailer ? in->max_trailer : d.max_trailer;
	out->max_body = in->max_body ? in->max_body : d.max_body;
}

void
http1_parser_init(struct http1_parser *p, enum http1_kind kind,
    const struct http1_limits *lim)
{
	memset(p, 0, sizeof(*p));
	http1_limits_fix(&p->lim, lim);
	p->kind = kind;
	p->state = HS_INIT;
}

void
http1_parser_reset(struct http1_parser *p)
{
	p->req_method = HTTP1_METHOD_OTHER;
	p->state = HS_INIT;
	p->pos = p->scan = p->nhost = 0;
	p->err_status = 0;
	p->err_reason = NULL;
	p->err_off = 0;
}

void
http1_parser_set_request_method(struct http1_parser *p, enum http1_method m)
{
	p->req_method = m;
}

/* Moves p to the error state; returns HTTP1_ERROR for a tail call. */
static enum http1_rc
http1_fail(struct http1_parser *p, int status, const char *reason,
    uint32_t off)
{
	p->state = HS_ERROR;
	p->err_status = status;
	p->err_reason = reason;
	p->err_off = off;
	return HTTP1_ERROR;
}

/* A span by value, for one-line assignments. */
static struct http1_span
http1_span_make(uint32_t off, uint32_t len)
{
	struct http1_span s = { off, len };

	return s;
}

/* The first call of a message: an empty msg, parsing from byte 0. */
static void
http1_msg_start(struct http1_parser *p, struct http1_msg *msg)
{
	static const struct http1_span none;

	msg->kind = p->kind;
	msg->method = HTTP1_METHOD_OTHER;
	msg->form = HTTP1_TARGET_NONE;
	msg->body = HTTP1_BODY_NONE;
	msg->method_text = msg->target = msg->reason = none;
	msg->status = 0;
	msg->version_minor = 0;
	msg->flags = 0;
	msg->head_len = 0;
	msg->content_length = 0;
	msg->host = -1;
	msg->nheaders = 0;
	p->state = HS_START;
	p->pos = p->scan = p->nhost = 0;
}

/*
 * The limits on the line that starts at s. nolf bytes of the buffer are
 * seen without counting a final LF, seen bytes counting it. Both limits
 * trip at the byte that first exceeds them; when both have, the one that
 * tripped first is reported, so that a message fed in pieces fails the
 * same way as a whole one.
 */
static enum http1_rc
http1_check_limits(struct http1_parser *p, uint32_t s, uint32_t nolf,
    uint32_t seen)
{
	uint64_t t414 = UINT64_MAX, t431 = (uint64_t)p->lim.max_head + 1;
	int e414, e431;

	if (p->state == HS_START)
		t414 = (uint64_t)s + p->lim.max_start_line + 2;
	e414 = t414 <= nolf;
	e431 = t431 <= seen;
	if (e414 && (!e431 || t414 <= t431))
		return http1_fail(p, p->kind == HTTP1_REQUEST ? 414 : 400,
		    "start line too long", s);
	if (e431)
		return http1_fail(p, 431, "header section too large", s);
	return HTTP1_AGAIN;
}

/* "HTTP/" DIGIT "." DIGIT, major 1 (RFC 9112 2.3, RFC 9110 2.5). */
static enum http1_rc
http1_version(struct http1_parser *p, struct http1_msg *msg, const char *v,
    uint32_t n, uint32_t off)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return http1_fail(p, 400, "malformed HTTP version", off);
	if (v[5] != '1')
		return http1_fail(p, 505, "unsupported HTTP version", off);
	msg->version_minor = v[7] == '0' ? 0 : 1;
	return HTTP1_AGAIN;
}

/* scheme "://" and at least one more byte: absolute-form (RFC 9112 3.2.2). */
static int
http1_is_absolute(const char *t, uint32_t n)
{
	uint32_t i = 1;

	if (!((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return 0;
	while (i < n && http1_is((unsigned char)t[i], HTTP1_C_SCHEME))
		i++;
	return n - i > 3 && memcmp(t + i, "://", 3) == 0;
}

/* uri-host ":" port with 1-5 digits: authority-form (RFC 9112 3.2.3). */
static int
http1_is_authority(const char *t, uint32_t n)
{
	const char *colon = memrchr(t, ':', n);
	uint32_t hlen, plen, i;

	if (colon == NULL)
		return 0;
	hlen = (uint32_t)(colon - t);
	plen = n - hlen - 1;
	if (hlen == 0 || plen == 0 || plen > 5)
		return 0;
	for (i = 1; i <= plen; i++)
		if (colon[i] < '0' || colon[i] > '9')
			return 0;
	if (t[0] == '[') {
		/* IP-literal: hex, ":" and "." between brackets. */
		if (hlen < 3 || t[hlen - 1] != ']')
			return 0;
		for (i = 1; i < hlen - 1; i++)
			if (!http1_is((unsigned char)t[i], HTTP1_C_HEX) &&
			    t[i] != ':' && t[i] != '.')
				return 0;
		return 1;
	}
	for (i = 0; i < hlen; i++)
		if (!http1_is((unsigned char)t[i], HTTP1_C_HOST) ||
		    t[i] == ':' || t[i] == '[' || t[i] == ']')
			return 0;
	return 1;
}

/* Which form the target has, and whether the method allows it (3.2). */
static enum http1_rc
http1_target_form(struct http1_parser *p, struct http1_msg *msg,
    const char *buf, uint32_t off)
{
	const char *t = buf + msg->target.off;
	uint32_t n = msg->target.len;

	if (msg->method == HTTP1_METHOD_CONNECT) {
		if (!http1_is_authority(t, n))
			return http1_fail(p, 400,
			    "CONNECT needs an authority-form target", off);
		msg->form = HTTP1_TARGET_AUTHORITY;
	} else if (t[0] == '/')
		msg->form = HTTP1_TARGET_ORIGIN;
	else if (n == 1 && t[0] == '*') {
		if (msg->method != HTTP1_METHOD_OPTIONS)
			return http1_fail(p, 400,
			    "asterisk-form target outside OPTIONS", off);
		msg->form = HTTP1_TARGET_ASTERISK;
	} else if (http1_is_absolute(t, n))
		msg->form = HTTP1_TARGET_ABSOLUTE;
	else
		return http1_fail(p, 400, http1_is_authority(t, n) ?
		    "authority-form target outside CONNECT" :
		    "invalid request target", off);
	return HTTP1_AGAIN;
}

/* method SP request-target SP HTTP-version (RFC 9112 3). */
static enum http1_rc
http1_request_line(struct http1_parser *p, struct http1_msg *msg,
    const char *buf, uint32_t s, uint32_t e)
{
	uint32_t i = s, t;
	enum http1_rc rc;

	if (s == e)
		return HTTP1_AGAIN;	/* empty line before it (2.2) */
	while (i < e && http1_is((unsigned char)buf[i], HTTP1_C_TCHAR))
		i++;
	if (i == e)
		return http1_fail(p, 400, "request line without target", s);
	if (buf[i] != ' ' || i == s)
		return http1_fail(p, 400, http1_char_reason(buf[i],
		    "invalid character in method"), s);
	msg->method_text = http1_span_make(s, i - s);
	msg->method = http1_method_lookup(buf + s, i - s);
	t = ++i;
	while (i < e && http1_is((unsigned char)buf[i], HTTP1_C_TARGET))
		i++;
	if (i == e)
		return http1_fail(p, 400,
		    "request line without HTTP version (HTTP/0.9 style)", s);
	if (i == t)
		return http1_fail(p, 400, "empty request target", s);
	if (buf[i] != ' ')
		return http1_fail(p, 400, http1_char_reason(buf[i],
		    "invalid character in request target"), s);
	msg->target = http1_span_make(t, i - t);
	i++;
	if ((rc = http1_version(p, msg, buf + i, e - i, s)) != HTTP1_AGAIN)
		return rc;
	p->state = HS_FIELDS;
	return http1_target_form(p, msg, buf, s);
}

/* HTTP-version SP 3DIGIT [ SP reason-phrase ] (RFC 9112 4). */
static enum http1_rc
http1_status_line(struct http1_parser *p, struct http1_msg *msg,
    const char *buf, uint32_t s, uint32_t e)
{
	const char *l = buf + s;
	uint32_t n = e - s, i;
	enum http1_rc rc;

	if ((rc = http1_version(p, msg, l, n < 8 ? n : 8, s)) != HTTP1_AGAIN)
		return rc;
	if (n < 12 || l[8] != ' ' || (n > 12 && l[12] != ' '))
		return http1_fail(p, 400, "malformed status line", s);
	for (i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return http1_fail(p, 400, "malformed status code", s);
	msg->status = (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 +
	    (l[11] - '0'));
	if (msg->status < 100 || msg->status > 599)
		return http1_fail(p, 400, "status code out of range", s);
	if (n > 13) {
		for (i = 13; i < n; i++)
			if (!http1_is((unsigned char)l[i], HTTP1_C_VALUE))
				return http1_fail(p, 400, http1_char_reason(
				    l[i], "invalid character in reason"), s);
		msg->reason = http1_span_make(s + 13, n - 13);
	}
	p->state = HS_FIELDS;
	return HTTP1_AGAIN;
}

/* 1*DIGIT below 2^63 into *v; -1 when not (RFC 9110 8.6). */
static int
http1_parse_length(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0, d;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

/* Content-Length, a list of equal values at most (RFC 9110 8.6). */
static enum http1_rc
http1_f_length(struct http1_parser *p, struct http1_msg *msg, const char *v,
    uint32_t len, uint32_t off)
{
	struct http1_tokens it;
	const char *tok;
	size_t tlen;
	uint64_t cl;
	int any = 0;

	http1_tokens_init(&it, v, len);
	while (http1_tokens_next(&it, &tok, &tlen)) {
		if (http1_parse_length(tok, tlen, &cl) == -1)
			return http1_fail(p, 400, "invalid Content-Length", off);
		if ((msg->flags & HTTP1_F_HAS_CL) && cl != msg->content_length)
			return http1_fail(p, 400,
			    "conflicting Content-Length values", off);
		msg->flags |= HTTP1_F_HAS_CL;
		msg->content_length = cl;
		any = 1;
	}
	if (!any)
		return http1_fail(p, 400, "empty Content-Length", off);
	return HTTP1_AGAIN;
}

/* Transfer-Encoding: "chunked", once, and nothing else (RFC 9112 6.1). */
static enum http1_rc
http1_f_coding(struct http1_parser *p, struct http1_msg *msg, const char *v,
    uint32_t len, uint32_t off)
{
	struct http1_tokens it;
	const char *tok;
	size_t tlen;
	int any = 0;

	msg->flags |= HTTP1_F_HAS_TE;
	http1_tokens_init(&it, v, len);
	while (http1_tokens_next(&it, &tok, &tlen)) {
		if (tlen == 0)
			return http1_fail(p, 400,
			    "empty Transfer-Encoding element", off);
		if (!http1_token_eq(tok, tlen, "chunked"))
			return http1_fail(p, 501,
			    "unsupported transfer coding", off);
		if (msg->body == HTTP1_BODY_CHUNKED)
			return http1_fail(p, 400,
			    "chunked applied more than once", off);
		msg->body = HTTP1_BODY_CHUNKED;
		any = 1;
	}
	if (!any)
		return http1_fail(p, 400, "empty Transfer-Encoding", off);
	return HTTP1_AGAIN;
}

/* Connection options close, keep-alive and upgrade (RFC 9110 7.6.1). */
static void
http1_f_connection(struct http1_msg *msg, const char *v, uint32_t len)
{
	struct http1_tokens it;
	const char *tok;
	size_t tlen;

	http1_tokens_init(&it, v, len);
	while (http1_tokens_next(&it, &tok, &tlen)) {
		if (http1_token_eq(tok, tlen, "close"))
			msg->flags |= HTTP1_F_CONN_CLOSE;
		else if (http1_token_eq(tok, tlen, "keep-alive"))
			msg->flags |= HTTP1_F_CONN_KEEPALIVE;
		else if (http1_token_eq(tok, tlen, "upgrade"))
			msg->flags |= HTTP1_F_CONN_UPGRADE;
	}
}

/* Expect, in requests: 100-continue counts in HTTP/1.1 only (10.1.1). */
static void
http1_f_expect(struct http1_parser *p, struct http1_msg *msg, const char *v,
    uint32_t len)
{
	struct http1_tokens it;
	const char *tok;
	size_t tlen;

	if (p->kind != HTTP1_REQUEST || msg->version_minor == 0)
		return;
	http1_tokens_init(&it, v, len);
	while (http1_tokens_next(&it, &tok, &tlen)) {
		if (tlen == 0)
			continue;
		if (http1_token_eq(tok, tlen, "100-continue"))
			msg->flags |= HTTP1_F_EXPECT_CONTINUE;
		else
			msg->flags |= HTTP1_F_EXPECT_OTHER;
	}
}

/* Host, in requests: one at most, host and port characters only. */
static enum http1_rc
http1_f_host(struct http1_parser *p, struct http1_msg *msg, const char *v,
    uint32_t len, uint32_t off)
{
	if (p->kind != HTTP1_REQUEST)
		return HTTP1_AGAIN;
	if (++p->nhost > 1)
		return http1_fail(p, 400, "more than one Host field", off);
	if (!http1_all(v, len, HTTP1_C_HOST))
		return http1_fail(p, 400, "invalid Host field value", off);
	msg->host = (int)msg->nheaders - 1;
	return HTTP1_AGAIN;
}

/*
 * The fields that change how the message is read. Dispatched on the name
 * length first, so that most fields cost one switch.
 */
static enum http1_rc
http1_field_meaning(struct http1_parser *p, struct http1_msg *msg,
    const char *buf, const struct http1_header *h, uint32_t off)
{
	const char *n = buf + h->name.off, *v = buf + h->value.off;
	uint32_t vlen = h->value.len;

	switch (h->name.len) {
	case 4:
		if (http1_token_eq(n, 4, "host"))
			return http1_f_host(p, msg, v, vlen, off);
		break;
	case 6:
		if (http1_token_eq(n, 6, "expect"))
			http1_f_expect(p, msg, v, vlen);
		break;
	case 7:
		if (http1_token_eq(n, 7, "upgrade"))
			msg->flags |= HTTP1_F_UPGRADE_HDR;
		break;
	case 10:
		if (http1_token_eq(n, 10, "connection"))
			http1_f_connection(msg, v, vlen);
		break;
	case 14:
		if (http1_token_eq(n, 14, "content-length"))
			return http1_f_length(p, msg, v, vlen, off);
		break;
	case 17:
		if (http1_token_eq(n, 17, "transfer-encoding"))
			return http1_f_coding(p, msg, v, vlen, off);
		break;
	}
	return HTTP1_AGAIN;
}

#define HTTP1_ONES	0x0101010101010101ULL
#define HTTP1_HIGH	0x8080808080808080ULL

/* 1 when one of the 8 bytes of w is zero (exact, see "haszero"). */
static inline int
http1_has_zero(uint64_t w)
{
	return ((w - HTTP1_ONES) & ~w & HTTP1_HIGH) != 0;
}

/*
 * How many bytes at s (n at most) are field-value bytes. Values are most
 * of a head, so they are checked eight bytes at a time: a block with no
 * byte below 0x20 and no DEL is all valid (obs-text included). A block
 * with one (HTAB, or an error) is checked byte by byte.
 */
static uint32_t
http1_value_len(const char *s, uint32_t n)
{
	uint32_t i = 0, k;
	uint64_t w;

	while (n - i >= 8) {
		memcpy(&w, s + i, 8);
		if (((w - HTTP1_ONES * 0x20) & ~w & HTTP1_HIGH) == 0 &&
		    !http1_has_zero(w ^ (HTTP1_ONES * 0x7f))) {
			i += 8;
			continue;
		}
		for (k = i + 8; i < k; i++)
			if (!http1_is((unsigned char)s[i], HTTP1_C_VALUE))
				return i;
	}
	while (i < n && http1_is((unsigned char)s[i], HTTP1_C_VALUE))
		i++;
	return i;
}

/* field-name ":" OWS field-value OWS (RFC 9112 5). */
static enum http1_rc
http1_field_line(struct http1_parser *p, struct http1_msg *msg,
    const char *buf, uint32_t s, uint32_t e)
{
	struct http1_header *h;
	uint32_t i = s, colon, v;
	unsigned char c = (unsigned char)buf[s];

	if (c == ' ' || c == '\t')
		return http1_fail(p, 400, "obs-fold (line folding)", s);
	while (i < e && http1_is((unsigned char)buf[i], HTTP1_C_TCHAR))
		i++;
	if (i == e)
		return http1_fail(p, 400, "field line without colon", s);
	if (buf[i] == ' ' || buf[i] == '\t')
		return http1_fail(p, 400,
		    "whitespace between field name and colon", s);
	if (buf[i] != ':')
		return http1_fail(p, 400, http1_char_reason(buf[i],
		    "invalid character in field name"), s);
	if (i == s)
		return http1_fail(p, 400, "empty field name", s);
	colon = i;
	v = i + 1;
	while (v < e && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	if ((i = v + http1_value_len(buf + v, e - v)) < e)
		return http1_fail(p, 400, http1_char_reason(buf[i],
		    "invalid character in field value"), s);
	while (e > v && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
		e--;
	if (msg->nheaders >= p->lim.max_headers)
		return http1_fail(p, 431, "too many header fields", s);
	h = &msg->headers[msg->nheaders++];
	h->name = http1_span_make(s, colon - s);
	h->value = http1_span_make(v, e - v);
	return http1_field_meaning(p, msg, buf, h, s);
}

/* The verdict on the connection (RFC 9112 9.3). */
static void
http1_keep_alive(struct http1_msg *msg)
{
	int ka;

	if (msg->flags & HTTP1_F_CONN_CLOSE)
		ka = 0;
	else if (msg->version_minor == 1)
		ka = 1;
	else
		ka = (msg->flags & HTTP1_F_CONN_KEEPALIVE) != 0;
	if (msg->body == HTTP1_BODY_EOF || (msg->flags & HTTP1_F_TUNNEL))
		ka = 0;
	if (ka)
		msg->flags |= HTTP1_F_KEEP_ALIVE;
}

/* Host presence, body length and upgrade of a request (RFC 9112 6.3). */
static enum http1_rc
http1_finish_request(struct http1_parser *p, struct http1_msg *msg,
    uint32_t off)
{
	if (msg->version_minor == 1 && p->nhost == 0)
		return http1_fail(p, 400, "missing Host field", off);
	if (msg->flags & HTTP1_F_HAS_TE)
		msg->body = HTTP1_BODY_CHUNKED;
	else if (msg->content_length > 0)
		msg->body = HTTP1_BODY_LENGTH;
	else
		msg->body = HTTP1_BODY_NONE;
	if (msg->content_length > p->lim.max_body)
		return http1_fail(p, 413,
		    "Content-Length exceeds the body limit", off);
	if ((msg->flags & (HTTP1_F_UPGRADE_HDR | HTTP1_F_CONN_UPGRADE)) ==
	    (HTTP1_F_UPGRADE_HDR | HTTP1_F_CONN_UPGRADE) &&
	    msg->version_minor == 1)
		msg->flags |= HTTP1_F_UPGRADE;
	return HTTP1_AGAIN;
}

/* Body length of a response, from status and request (RFC 9112 6.3). */
static enum http1_rc
http1_finish_response(struct http1_parser *p, struct http1_msg *msg,
    uint32_t off)
{
	int st = msg->status;

	if (st == 101)
		msg->flags |= HTTP1_F_TUNNEL | HTTP1_F_UPGRADE;
	if (p->req_method == HTTP1_METHOD_CONNECT && st >= 200 && st < 300)
		msg->flags |= HTTP1_F_TUNNEL;
	if (st < 200 || st == 204 || st == 304 ||
	    p->req_method == HTTP1_METHOD_HEAD ||
	    (msg->flags & HTTP1_F_TUNNEL))
		msg->body = HTTP1_BODY_NONE;
	else if (msg->flags & HTTP1_F_HAS_TE)
		msg->body = HTTP1_BODY_CHUNKED;
	else if (msg->flags & HTTP1_F_HAS_CL)
		msg->body = msg->content_length > 0 ? HTTP1_BODY_LENGTH :
		    HTTP1_BODY_NONE;
	else
		msg->body = HTTP1_BODY_EOF;
	if (msg->body == HTTP1_BODY_LENGTH &&
	    msg->content_length > p->lim.max_body)
		return http1_fail(p, 413,
		    "Content-Length exceeds the body limit", off);
	return HTTP1_AGAIN;
}

/* The empty line: the checks that need the whole head. */
static enum http1_rc
http1_finish(struct http1_parser *p, struct http1_msg *msg, uint32_t s,
    uint32_t end)
{
	enum http1_rc rc;

	if ((msg->flags & (HTTP1_F_HAS_CL | HTTP1_F_HAS_TE)) ==
	    (HTTP1_F_HAS_CL | HTTP1_F_HAS_TE))
		return http1_fail(p, 400,
		    "both Content-Length and Transfer-Encoding", s);
	if ((msg->flags & HTTP1_F_HAS_TE) && msg->version_minor == 0)
		return http1_fail(p, 400,
		    "Transfer-Encoding in an HTTP/1.0 message", s);
	if (p->kind == HTTP1_REQUEST)
		rc = http1_finish_request(p, msg, s);
	else
		rc = http1_finish_response(p, msg, s);
	if (rc != HTTP1_AGAIN)
		return rc;
	http1_keep_alive(msg);
	msg->head_len = end;
	p->state = HS_DONE;
	return HTTP1_DONE;
}

/* One complete line: [p->pos, eol] where buf[eol] is its LF. */
static enum http1_rc
http1_line(struct http1_parser *p, struct http1_msg *msg, const char *buf,
    uint32_t eol)
{
	uint32_t s = p->pos, e = eol - 1;
	enum http1_rc rc;

	if ((rc = http1_check_limits(p, s, eol, eol + 1)) != HTTP1_AGAIN)
		return rc;
	if (eol == s || buf[e] != '\r')
		return http1_fail(p, 400, "bare LF", s);
	if (p->state == HS_START) {
		if (p->kind == HTTP1_REQUEST)
			return http1_request_line(p, msg, buf, s, e);
		return http1_status_line(p, msg, buf, s, e);
	}
	if (e == s)
		return http1_finish(p, msg, s, eol + 1);
	return http1_field_line(p, msg, buf, s, e);
}

enum http1_rc
http1_parse_head(struct http1_parser *p, struct http1_msg *msg,
    const char *buf, size_t len)
{
	const char *lf;
	uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len, eol;
	enum http1_rc rc;

	if (p->state == HS_ERROR)
		return HTTP1_ERROR;
	if (p->state == HS_DONE)
		return HTTP1_DONE;
	if (p->state == HS_INIT)
		http1_msg_start(p, msg);
	msg->base = buf;
	if (n < p->scan)
		return HTTP1_AGAIN;	/* a shorter buffer than before */
	while (p->scan < n &&
	    (lf = memchr(buf + p->scan, '\n', n - p->scan)) != NULL) {
		eol = (uint32_t)(lf - buf);
		p->scan = eol + 1;
		if ((rc = http1_line(p, msg, buf, eol)) != HTTP1_AGAIN)
			return rc;
		p->pos = eol + 1;
	}
	p->scan = n;
	return http1_check_limits(p, p->pos, n, n);
}
