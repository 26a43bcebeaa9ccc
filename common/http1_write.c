/*
 * http1_write.c: the serializer (contract in http1.h). Each line is
 * gathered as a few pieces and written with one reservation, straight into
 * the caller's buffer or the evbuffer's free space: no intermediate copy
 * and no printf on the hot path. Everything written is checked against the
 * same character classes the parser enforces, so that what we write we
 * would also accept.
 */
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "http1.h"
#include "http1_int.h"
#include "util.h"

void
http1_out_init_buffer(struct http1_out *out, char *buf, size_t size)
{
	memset(out, 0, sizeof(*out));
	out->buf = buf;
	out->size = size;
}

void
http1_out_init_evbuffer(struct http1_out *out, struct evbuffer *evb)
{
	memset(out, 0, sizeof(*out));
	out->evb = evb;
}

/* Marks out failed; returns -1 for a tail call. */
static int
http1_out_fail(struct http1_out *out)
{
	out->failed = 1;
	return -1;
}

/* Appends the n pieces in v as one write of their total length. */
static int
http1_out_pieces(struct http1_out *out, const struct iovec *v, int n)
{
	struct evbuffer_iovec ev;
	size_t total = 0;
	char *dst;
	int i;

	if (out->failed)
		return -1;
	for (i = 0; i < n; i++)
		total += v[i].iov_len;
	if (total == 0)
		return 0;
	if (out->evb != NULL) {
		if (total > (size_t)INT32_MAX || evbuffer_reserve_space(
		    out->evb, (ev_ssize_t)total, &ev, 1) < 1)
			return http1_out_fail(out);
		dst = ev.iov_base;
	} else {
		if (total > out->size - out->len)
			return http1_out_fail(out);
		dst = out->buf + out->len;
	}
	for (i = 0; i < n; i++) {
		memcpy(dst, v[i].iov_base, v[i].iov_len);
		dst += v[i].iov_len;
	}
	if (out->evb == NULL) {
		out->len += total;
		return 0;
	}
	ev.iov_len = total;
	if (evbuffer_commit_space(out->evb, &ev, 1) != 0)
		return http1_out_fail(out);
	return 0;
}

/* An iovec for len bytes at p (the cast drops const for struct iovec). */
static struct iovec
http1_iov(const void *p, size_t len)
{
	struct iovec v;

	v.iov_base = (void *)(uintptr_t)p;
	v.iov_len = len;
	return v;
}

int
http1_out_add(struct http1_out *out, const void *p, size_t n)
{
	struct iovec v = http1_iov(p, n);

	return http1_out_pieces(out, &v, 1);
}

const char *
http1_reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 103: return "Early Hints";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 203: return "Non-Authoritative Information";
	case 204: return "No Content";
	case 205: return "Reset Content";
	case 206: return "Partial Content";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return NULL;
	}
}

/* "HTTP/1.x" into v (8 bytes); -1 unless minor is 0 or 1. */
static int
http1_version_text(char *v, int minor)
{
	if (minor != 0 && minor != 1)
		return -1;
	memcpy(v, "HTTP/1.", 7);
	v[7] = (char)('0' + minor);
	return 0;
}

int
http1_write_status_line(struct http1_out *out, int minor, int status,
    const char *reason, size_t reason_len)
{
	struct iovec v[3];
	char head[13];

	if (status < 100 || status > 599 || http1_version_text(head,
	    minor) == -1)
		return http1_out_fail(out);
	if (reason == NULL) {
		if ((reason = http1_reason_phrase(status)) == NULL)
			reason = "";
		reason_len = strlen(reason);
	} else if (!http1_all(reason, reason_len, HTTP1_C_VALUE))
		return http1_out_fail(out);
	head[8] = ' ';
	head[9] = (char)('0' + status / 100);
	head[10] = (char)('0' + status / 10 % 10);
	head[11] = (char)('0' + status % 10);
	head[12] = ' ';
	v[0] = http1_iov(head, sizeof(head));
	v[1] = http1_iov(reason, reason_len);
	v[2] = http1_iov("\r\n", 2);
	return http1_out_pieces(out, v, 3);
}

int
http1_write_request_line(struct http1_out *out, const char *method,
    size_t method_len, const char *target, size_t target_len, int minor)
{
	struct iovec v[6];
	char version[8];

	if (!http1_token_valid(method, method_len) || target_len == 0 ||
	    !http1_all(target, target_len, HTTP1_C_TARGET) ||
	    http1_version_text(version, minor) == -1)
		return http1_out_fail(out);
	v[0] = http1_iov(method, method_len);
	v[1] = http1_iov(" ", 1);
	v[2] = http1_iov(target, target_len);
	v[3] = http1_iov(" ", 1);
	v[4] = http1_iov(version, sizeof(version));
	v[5] = http1_iov("\r\n", 2);
	return http1_out_pieces(out, v, 6);
}

int
http1_write_header(struct http1_out *out, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
	struct iovec v[4];

	if (!http1_token_valid(name, name_len) ||
	    !http1_all(value, value_len, HTTP1_C_VALUE))
		return http1_out_fail(out);
	v[0] = http1_iov(name, name_len);
	v[1] = http1_iov(": ", 2);
	v[2] = http1_iov(value, value_len);
	v[3] = http1_iov("\r\n", 2);
	return http1_out_pieces(out, v, 4);
}

int
http1_write_field(struct http1_out *out, const struct http1_msg *m,
    uint32_t i)
{
	const struct http1_header *h = &m->headers[i];
	struct iovec v[4];

	v[0] = http1_iov(m->base + h->name.off, h->name.len);
	v[1] = http1_iov(": ", 2);
	v[2] = http1_iov(m->base + h->value.off, h->value.len);
	v[3] = http1_iov("\r\n", 2);
	return http1_out_pieces(out, v, 4);
}

/* value in base 10 or 16 at the end of buf; returns the first digit. */
static char *
http1_utoa(char *end, uint64_t value, unsigned int base)
{
	static const char digits[] = "0123456789abcdef";
	char *p = end;

	do {
		*--p = digits[value % base];
		value /= base;
	} while (value != 0);
	return p;
}

int
http1_write_header_u64(struct http1_out *out, const char *name,
    size_t name_len, uint64_t value)
{
	char buf[24], *p = http1_utoa(buf + sizeof(buf), value, 10);

	return http1_write_header(out, name, name_len, p,
	    (size_t)(buf + sizeof(buf) - p));
}

int
http1_write_end_head(struct http1_out *out)
{
	return http1_out_add(out, "\r\n", 2);
}

int
http1_write_head(struct http1_out *out, const struct http1_msg *msg)
{
	const struct http1_header *h;
	uint32_t i;

	if (msg->kind == HTTP1_REQUEST)
		http1_write_request_line(out,
		    http1_span_ptr(msg, msg->method_text),
		    msg->method_text.len, http1_span_ptr(msg, msg->target),
		    msg->target.len, msg->version_minor);
	else
		http1_write_status_line(out, msg->version_minor, msg->status,
		    http1_span_ptr(msg, msg->reason), msg->reason.len);
	for (i = 0; i < msg->nheaders; i++) {
		h = &msg->headers[i];
		http1_write_header(out, http1_span_ptr(msg, h->name),
		    h->name.len, http1_span_ptr(msg, h->value), h->value.len);
	}
	http1_write_end_head(out);
	return out->failed ? -1 : 0;
}

int
http1_write_chunk_header(struct http1_out *out, uint64_t size)
{
	char buf[20], *p;

	if (size == 0)
		return http1_out_fail(out);
	buf[18] = '\r';
	buf[19] = '\n';
	p = http1_utoa(buf + 18, size, 16);
	return http1_out_add(out, p, (size_t)(buf + sizeof(buf) - p));
}

int
http1_write_chunk_end(struct http1_out *out)
{
	return http1_out_add(out, "\r\n", 2);
}

int
http1_write_last_chunk(struct http1_out *out,
    const struct http1_field *trailers, size_t n)
{
	size_t i;

	http1_out_add(out, "0\r\n", 3);
	for (i = 0; i < n; i++)
		http1_write_header(out, trailers[i].name, trailers[i].name_len,
		    trailers[i].value, trailers[i].value_len);
	http1_out_add(out, "\r\n", 2);
	return out->failed ? -1 : 0;
}

int
http1_write_error(struct http1_out *out, int status, int head_only)
{
	static const char ctype[] = "text/html";
	static const char conn[] = "close";
	const char *reason = http1_reason_phrase(status);
	char body[192];
	int n;

	if (reason == NULL)
		reason = "";
	n = snprintf(body, sizeof(body), "<html><head><title>%d %s</title>"
	    "</head><body><h1>%d %s</h1></body></html>\n", status, reason,
	    status, reason);
	if (n < 0 || (size_t)n >= sizeof(body))
		return http1_out_fail(out);
	http1_write_status_line(out, 1, status, NULL, 0);
	http1_write_header(out, "Content-Type", 12, ctype, sizeof(ctype) - 1);
	http1_write_header_u64(out, "Content-Length", 14, (uint64_t)n);
	http1_write_header(out, "Connection", 10, conn, sizeof(conn) - 1);
	http1_write_end_head(out);
	if (!head_only)
		http1_out_add(out, body, (size_t)n);
	return out->failed ? -1 : 0;
}
