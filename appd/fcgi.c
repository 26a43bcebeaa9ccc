/*
 * fcgi.c: FastCGI records and name-value pairs (see fcgi.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "util.h"

int
fcgi_parse(const uint8_t *buf, size_t len, struct fcgi_rec *rec,
    size_t *used)
{
	size_t clen, plen;

	if (len < FCGI_HEADER_LEN)
		return 0;
	if (buf[0] != FCGI_VERSION_1 || buf[1] == 0)
		return -1;
	clen = (size_t)buf[4] << 8 | buf[5];
	plen = buf[6];
	if (len < FCGI_HEADER_LEN + clen + plen)
		return 0;
	rec->type = buf[1];
	rec->id = (uint16_t)(buf[2] << 8 | buf[3]);
	rec->data = buf + FCGI_HEADER_LEN;
	rec->len = (uint16_t)clen;
	*used = FCGI_HEADER_LEN + clen + plen;
	return 1;
}

/* One length of a name-value pair: 1 byte, or 4 with the top bit set. */
static int
fcgi_nv_len(const uint8_t *p, size_t len, size_t *off, uint32_t *out)
{
	if (*off >= len)
		return -1;
	if ((p[*off] & 0x80) == 0) {
		*out = p[(*off)++];
		return 0;
	}
	if (len - *off < 4)
		return -1;
	*out = (uint32_t)(p[*off] & 0x7f) << 24 | (uint32_t)p[*off + 1] << 16 |
	    (uint32_t)p[*off + 2] << 8 | p[*off + 3];
	*off += 4;
	return 0;
}

int
fcgi_nv_next(const uint8_t *p, size_t len, size_t *off,
    const uint8_t **name, uint32_t *nlen, const uint8_t **val,
    uint32_t *vlen)
{
	if (*off == len)
		return 0;
	if (fcgi_nv_len(p, len, off, nlen) == -1 ||
	    fcgi_nv_len(p, len, off, vlen) == -1)
		return -1;
	if (*nlen > len - *off || *vlen > len - *off - *nlen)
		return -1;
	*name = p + *off;
	*val = p + *off + *nlen;
	*off += (size_t)*nlen + *vlen;
	return 1;
}

void
fcgi_buf_reserve(struct fcgi_buf *b, size_t more)
{
	size_t cap;

	if (b->cap - b->len >= more)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more)
		cap *= 2;
	b->p = xreallocarray(b->p, cap, 1);
	b->cap = cap;
}

void
fcgi_buf_add(struct fcgi_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	fcgi_buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
fcgi_buf_free(struct fcgi_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
fcgi_put_header(struct fcgi_buf *b, uint8_t type, uint16_t id, uint16_t clen)
{
	uint8_t h[FCGI_HEADER_LEN] = { FCGI_VERSION_1, type,
	    (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(clen >> 8),
	    (uint8_t)clen, 0, 0 };

	fcgi_buf_add(b, h, sizeof(h));
}

void
fcgi_put_begin(struct fcgi_buf *b, uint16_t id, uint16_t role, uint8_t flags)
{
	uint8_t body[8] = { (uint8_t)(role >> 8), (uint8_t)role, flags };

	fcgi_put_header(b, FCGI_BEGIN_REQUEST, id, sizeof(body));
	fcgi_buf_add(b, body, sizeof(body));
}

void
fcgi_put_end(struct fcgi_buf *b, uint16_t id, uint32_t app_status,
    uint8_t proto_status)
{
	uint8_t body[8] = { (uint8_t)(app_status >> 24),
	    (uint8_t)(app_status >> 16), (uint8_t)(app_status >> 8),
	    (uint8_t)app_status, proto_status };

	fcgi_put_header(b, FCGI_END_REQUEST, id, sizeof(body));
	fcgi_buf_add(b, body, sizeof(body));
}

void
fcgi_put_stream(struct fcgi_buf *b, uint8_t type, uint16_t id,
    const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	if (len == 0) {
		fcgi_put_header(b, type, id, 0);
		return;
	}
	fcgi_buf_reserve(b, len + (len / FCGI_MAX_CONTENT + 1) *
	    FCGI_HEADER_LEN);
	while (len > 0) {
		n = len > FCGI_MAX_CONTENT ? FCGI_MAX_CONTENT : len;
		fcgi_put_header(b, type, id, (uint16_t)n);
		fcgi_buf_add(b, p, n);
		p += n;
		len -= n;
	}
}

/* A length of a name-value pair, in 1 or 4 bytes. */
static void
fcgi_put_nv_len(struct fcgi_buf *b, size_t n)
{
	uint8_t l[4] = { (uint8_t)(n >> 24 | 0x80), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n };

	if (n < 128) {
		l[0] = (uint8_t)n;
		fcgi_buf_add(b, l, 1);
	} else
		fcgi_buf_add(b, l, 4);
}

void
fcgi_put_nv(struct fcgi_buf *b, const char *name, size_t nlen,
    const char *val, size_t vlen)
{
	fcgi_buf_reserve(b, nlen + vlen + 8);
	fcgi_put_nv_len(b, nlen);
	fcgi_put_nv_len(b, vlen);
	fcgi_buf_add(b, name, nlen);
	fcgi_buf_add(b, val, vlen);
}
