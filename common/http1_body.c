/*
 * http1_body.c: the incremental body decoder (contract in http1.h).
 *
 * Content-Length and read-until-close bodies are slices of the input.
 * Chunked framing is read one byte at a time through a small state
 * machine that keeps everything it needs (the size being read, how much
 * of a chunk is left), so no byte is ever looked at twice and the caller
 * may drop consumed bytes at once; chunk data goes out as slices.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http1.h"
#include "http1_int.h"

enum http1_body_state {
	BS_DONE = 0,
	BS_ERROR,
	BS_LENGTH,	/* Content-Length: remaining bytes */
	BS_EOF,		/* until the peer closes */
	BS_SIZE,	/* chunk-size hex digits */
	BS_SIZE_WS,	/* BWS after the size: ";" must follow */
	BS_EXT,		/* chunk-ext up to CR */
	BS_SIZE_LF,	/* the LF of the size line */
	BS_DATA,	/* chunk data: remaining bytes */
	BS_DATA_CR,	/* the CRLF after chunk data */
	BS_DATA_LF,
	BS_TRL_START,	/* start of a trailer line, or CR of the end */
	BS_TRL_NAME,
	BS_TRL_VALUE,
	BS_TRL_LF,
	BS_END_LF,	/* the LF that ends the chunked body */
};

/* Moves b to the error state; returns -1 for a tail call. */
static int
http1_body_fail(struct http1_body *b, int status, const char *reason)
{
	b->state = BS_ERROR;
	b->err_status = status;
	b->err_reason = reason;
	return -1;
}

void
http1_body_init(struct http1_body *b, const struct http1_msg *msg,
    const struct http1_limits *lim)
{
	struct http1_limits l;

	http1_limits_fix(&l, lim);
	memset(b, 0, sizeof(*b));
	b->kind = msg->body;
	b->max_body = l.max_body;
	b->max_chunk_ext = l.max_chunk_ext;
	b->max_trailer = l.max_trailer;
	switch (msg->body) {
	case HTTP1_BODY_LENGTH:
		b->remaining = msg->content_length;
		b->state = b->remaining > 0 ? BS_LENGTH : BS_DONE;
		break;
	case HTTP1_BODY_CHUNKED:
		b->state = BS_SIZE;
		break;
	case HTTP1_BODY_EOF:
		b->state = BS_EOF;
		break;
	default:
		b->state = BS_DONE;
	}
}

/* The value of a hex digit (c is HTTP1_C_HEX). */
static int
http1_hexval(unsigned char c)
{
	if (c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* chunk-size = 1*HEXDIG, at most 16 digits so it cannot overflow. */
static int
http1_chunk_size(struct http1_body *b, unsigned char c)
{
	if (http1_is(c, HTTP1_C_HEX)) {
		if (++b->count > 16)
			return http1_body_fail(b, 400, "chunk size too long");
		b->chunk_size = (b->chunk_size << 4) |
		    (uint64_t)http1_hexval(c);
		return 0;
	}
	if (b->count == 0)
		return http1_body_fail(b, 400, c == '\n' ? "bare LF" :
		    "missing or invalid chunk size");
	b->count = 1;
	if (c == ';')
		b->state = BS_EXT;
	else if (c == ' ' || c == '\t')
		b->state = BS_SIZE_WS;
	else if (c == '\r')
		b->state = BS_SIZE_LF;
	else
		return http1_body_fail(b, 400,
		    http1_char_reason(c, "invalid chunk size"));
	return 0;
}

/* BWS before ";" (RFC 9112 7.1.1): whitespace alone may not end a size. */
static int
http1_chunk_size_ws(struct http1_body *b, unsigned char c)
{
	if (++b->count > b->max_chunk_ext)
		return http1_body_fail(b, 400, "chunk extension too long");
	if (c == ';')
		b->state = BS_EXT;
	else if (c != ' ' && c != '\t')
		return http1_body_fail(b, 400, c == '\n' ? "bare LF" :
		    "whitespace after chunk size");
	return 0;
}

/* chunk-ext: bounded, visible characters and whitespace, then CR. */
static int
http1_chunk_ext(struct http1_body *b, unsigned char c)
{
	if (c == '\r') {
		b->state = BS_SIZE_LF;
		return 0;
	}
	if (++b->count > b->max_chunk_ext)
		return http1_body_fail(b, 400, "chunk extension too long");
	if (!http1_is(c, HTTP1_C_VALUE))
		return http1_body_fail(b, 400, http1_char_reason(c,
		    "invalid character in chunk extension"));
	return 0;
}

/* The LF of a size line: data follows, or the trailer section. */
static int
http1_chunk_size_lf(struct http1_body *b, unsigned char c)
{
	if (c != '\n')
		return http1_body_fail(b, 400, "bare CR in chunk size line");
	if (b->chunk_size == 0) {
		b->state = BS_TRL_START;
		return 0;
	}
	if (b->chunk_size > b->max_body - b->total)
		return http1_body_fail(b, 413,
		    "chunked body exceeds the body limit");
	b->remaining = b->chunk_size;
	b->state = BS_DATA;
	return 0;
}

/* The CRLF required after chunk data (RFC 9112 7.1). */
static int
http1_chunk_data_crlf(struct http1_body *b, unsigned char c)
{
	if (b->state == BS_DATA_CR && c == '\r') {
		b->state = BS_DATA_LF;
		return 0;
	}
	if (b->state == BS_DATA_LF && c == '\n') {
		b->state = BS_SIZE;
		b->count = 0;
		b->chunk_size = 0;
		return 0;
	}
	return http1_body_fail(b, 400, "missing CRLF after chunk data");
}

/* A trailer line starts with a token, or the section ends with CR. */
static int
http1_trailer_start(struct http1_body *b, unsigned char c)
{
	if (c == '\r')
		b->state = BS_END_LF;
	else if (c == ' ' || c == '\t')
		return http1_body_fail(b, 400, "obs-fold in trailer section");
	else if (http1_is(c, HTTP1_C_TCHAR))
		b->state = BS_TRL_NAME;
	else
		return http1_body_fail(b, 400, http1_char_reason(c,
		    "invalid character in trailer name"));
	return 0;
}

/* A trailer name runs to ":" with no whitespace before it. */
static int
http1_trailer_name(struct http1_body *b, unsigned char c)
{
	if (c == ':')
		b->state = BS_TRL_VALUE;
	else if (c == ' ' || c == '\t')
		return http1_body_fail(b, 400,
		    "whitespace between trailer name and colon");
	else if (!http1_is(c, HTTP1_C_TCHAR))
		return http1_body_fail(b, 400, http1_char_reason(c,
		    "invalid character in trailer name"));
	return 0;
}

/* A trailer value: field characters up to CR. */
static int
http1_trailer_value(struct http1_body *b, unsigned char c)
{
	if (c == '\r')
		b->state = BS_TRL_LF;
	else if (!http1_is(c, HTTP1_C_VALUE))
		return http1_body_fail(b, 400, http1_char_reason(c,
		    "invalid character in trailer value"));
	return 0;
}

/* The LF after a trailer line, or after the final empty line. */
static int
http1_trailer_lf(struct http1_body *b, unsigned char c)
{
	if (c != '\n')
		return http1_body_fail(b, 400, "bare CR in trailer section");
	b->state = b->state == BS_TRL_LF ? BS_TRL_START : BS_DONE;
	return 0;
}

/* One framing byte: the function of the current state. */
static int
http1_chunk_byte(struct http1_body *b, unsigned char c)
{
	switch (b->state) {
	case BS_SIZE:
		return http1_chunk_size(b, c);
	case BS_SIZE_WS:
		return http1_chunk_size_ws(b, c);
	case BS_EXT:
		return http1_chunk_ext(b, c);
	case BS_SIZE_LF:
		return http1_chunk_size_lf(b, c);
	case BS_DATA_CR:
	case BS_DATA_LF:
		return http1_chunk_data_crlf(b, c);
	}
	/* The trailer section, bounded as a whole. */
	if (++b->trailer_len > b->max_trailer)
		return http1_body_fail(b, 431, "trailer section too large");
	switch (b->state) {
	case BS_TRL_START:
		return http1_trailer_start(b, c);
	case BS_TRL_NAME:
		return http1_trailer_name(b, c);
	case BS_TRL_VALUE:
		return http1_trailer_value(b, c);
	default:
		return http1_trailer_lf(b, c);
	}
}

/* Chunked: framing bytes until a data slice, the end, or the input ends. */
static enum http1_rc
http1_body_chunked(struct http1_body *b, const char *buf, size_t len,
    size_t *consumed, const char **data, size_t *data_len)
{
	size_t i = 0, n;

	while (i < len) {
		if (b->state == BS_DATA) {
			n = b->remaining < len - i ? b->remaining : len - i;
			*data = buf + i;
			*data_len = n;
			b->remaining -= n;
			b->total += n;
			if (b->remaining == 0)
				b->state = BS_DATA_CR;
			*consumed = i + n;
			return HTTP1_AGAIN;
		}
		if (http1_chunk_byte(b, (unsigned char)buf[i++]) == -1) {
			*consumed = i;
			return HTTP1_ERROR;
		}
		if (b->state == BS_DONE) {
			*consumed = i;
			return HTTP1_DONE;
		}
	}
	*consumed = len;
	return HTTP1_AGAIN;
}

enum http1_rc
http1_body_decode(struct http1_body *b, const char *buf, size_t len,
    size_t *consumed, const char **data, size_t *data_len)
{
	size_t n;

	*consumed = 0;
	*data = buf;
	*data_len = 0;
	switch (b->state) {
	case BS_DONE:
		return HTTP1_DONE;
	case BS_ERROR:
		return HTTP1_ERROR;
	case BS_LENGTH:
		n = b->remaining < len ? b->remaining : len;
		*consumed = *data_len = n;
		b->remaining -= n;
		b->total += n;
		if (b->remaining > 0)
			return HTTP1_AGAIN;
		b->state = BS_DONE;
		return HTTP1_DONE;
	case BS_EOF:
		if (len > b->max_body - b->total) {
			http1_body_fail(b, 413, "body exceeds the body limit");
			return HTTP1_ERROR;
		}
		*consumed = *data_len = len;
		b->total += len;
		return HTTP1_AGAIN;
	default:
		return http1_body_chunked(b, buf, len, consumed, data,
		    data_len);
	}
}

enum http1_rc
http1_body_eof(struct http1_body *b)
{
	if (b->state == BS_EOF)
		b->state = BS_DONE;
	if (b->state == BS_DONE)
		return HTTP1_DONE;
	if (b->state != BS_ERROR)
		http1_body_fail(b, 400, "connection closed inside the body");
	return HTTP1_ERROR;
}

int
http1_body_done(const struct http1_body *b)
{
	return b->state == BS_DONE;
}
