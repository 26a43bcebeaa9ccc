/*
 * proto.c: the protocol codec (see proto.h). Every read is bounded by the
 * packet: a malformed packet makes a parse fail with a cause, never read
 * past its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "util.h"

void
dbp_rd_init(struct dbp_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

size_t
dbp_rd_left(const struct dbp_rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

/* n bytes from the reader, or NULL (and err) when fewer are left. */
const uint8_t *
dbp_rd_bytes(struct dbp_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

/* A little-endian integer of nbytes (1..8). */
uint64_t
dbp_rd_int(struct dbp_rd *r, size_t nbytes)
{
	const uint8_t *p = dbp_rd_bytes(r, nbytes);
	uint64_t v = 0;
	size_t i;

	if (p == NULL)
		return 0;
	for (i = 0; i < nbytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A length-encoded integer; 0xfb (NULL) and 0xff are errors here. */
uint64_t
dbp_rd_lenenc(struct dbp_rd *r)
{
	uint64_t v = dbp_rd_int(r, 1);

	if (v < 0xfb)
		return v;
	switch (v) {
	case 0xfc:
		return dbp_rd_int(r, 2);
	case 0xfd:
		return dbp_rd_int(r, 3);
	case 0xfe:
		return dbp_rd_int(r, 8);
	default:
		r->err = 1;
		return 0;
	}
}

const uint8_t *
dbp_rd_lenenc_str(struct dbp_rd *r, size_t *len)
{
	uint64_t n = dbp_rd_lenenc(r);

	if (r->err || n > r->len - r->off) {
		r->err = 1;
		*len = 0;
		return NULL;
	}
	*len = (size_t)n;
	return dbp_rd_bytes(r, (size_t)n);
}

/* A NUL-terminated string (the NUL is consumed, not counted). */
const char *
dbp_rd_nulstr(struct dbp_rd *r, size_t *len)
{
	const uint8_t *s, *e;

	if (r->err || r->off >= r->len) {
		r->err = 1;
		return NULL;
	}
	s = r->p + r->off;
	if ((e = memchr(s, 0, r->len - r->off)) == NULL) {
		r->err = 1;
		return NULL;
	}
	*len = (size_t)(e - s);
	r->off += *len + 1;
	return (const char *)s;
}

void
dbp_wr_reset(struct dbp_wr *w)
{
	w->len = 0;
}

void
dbp_wr_free(struct dbp_wr *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

void
dbp_wr_bytes(struct dbp_wr *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (w->cap - w->len < n) {
		size_t cap = w->cap ? w->cap : 64;

		while (cap - w->len < n)
			cap *= 2;
		w->p = xreallocarray(w->p, cap, 1);
		w->cap = cap;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

void
dbp_wr_int(struct dbp_wr *w, uint64_t v, size_t nbytes)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < nbytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	dbp_wr_bytes(w, b, nbytes);
}

void
dbp_wr_lenenc(struct dbp_wr *w, uint64_t v)
{
	if (v < 0xfb)
		dbp_wr_int(w, v, 1);
	else if (v <= 0xffff) {
		dbp_wr_int(w, 0xfc, 1);
		dbp_wr_int(w, v, 2);
	} else if (v <= 0xffffff) {
		dbp_wr_int(w, 0xfd, 1);
		dbp_wr_int(w, v, 3);
	} else {
		dbp_wr_int(w, 0xfe, 1);
		dbp_wr_int(w, v, 8);
	}
}

void
dbp_wr_lenenc_str(struct dbp_wr *w, const void *p, size_t n)
{
	dbp_wr_lenenc(w, n);
	dbp_wr_bytes(w, p, n);
}

void
dbp_wr_nulstr(struct dbp_wr *w, const char *s)
{
	dbp_wr_bytes(w, s, strlen(s) + 1);
}

void
dbp_frames(uint8_t *seq, const void *payload, size_t len,
    void (*put)(void *arg, const void *, size_t), void *arg)
{
	const uint8_t *p = payload;
	uint8_t hdr[DBP_HDR];
	size_t n;

	for (;;) {
		n = len > DBP_FRAME_MAX ? DBP_FRAME_MAX : len;
		dbp_hdr_put(hdr, n, (*seq)++);
		put(arg, hdr, sizeof(hdr));
		put(arg, p, n);
		p += n;
		len -= n;
		if (n < DBP_FRAME_MAX)
			break;
	}
}

/* dbp_frames' sink for a dbp_wr. */
static void
dbp_wr_put(void *arg, const void *p, size_t n)
{
	dbp_wr_bytes(arg, p, n);
}

void
dbp_frame(struct dbp_wr *out, uint8_t *seq, const void *payload, size_t len)
{
	dbp_frames(seq, payload, len, dbp_wr_put, out);
}

void
dbp_hdr_put(uint8_t hdr[DBP_HDR], size_t n, uint8_t seq)
{
	hdr[0] = (uint8_t)n;
	hdr[1] = (uint8_t)(n >> 8);
	hdr[2] = (uint8_t)(n >> 16);
	hdr[3] = seq;
}

uint32_t
dbp_frame_hdr(const uint8_t hdr[DBP_HDR], uint8_t *seq)
{
	if (seq != NULL)
		*seq = hdr[3];
	return (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
	    (uint32_t)hdr[2] << 16;
}

void
dbp_ok(struct dbp_wr *w, uint64_t affected, uint64_t insert_id,
    uint16_t status, uint16_t warnings)
{
	dbp_wr_int(w, 0x00, 1);
	dbp_wr_lenenc(w, affected);
	dbp_wr_lenenc(w, insert_id);
	dbp_wr_int(w, status, 2);
	dbp_wr_int(w, warnings, 2);
}

void
dbp_err(struct dbp_wr *w, uint16_t code, const char *sqlstate,
    const char *msg)
{
	dbp_wr_int(w, 0xff, 1);
	dbp_wr_int(w, code, 2);
	dbp_wr_bytes(w, "#", 1);
	dbp_wr_bytes(w, sqlstate, 5);
	dbp_wr_bytes(w, msg, strlen(msg));
}

void
dbp_eof(struct dbp_wr *w, uint16_t warnings, uint16_t status)
{
	dbp_wr_int(w, 0xfe, 1);
	dbp_wr_int(w, warnings, 2);
	dbp_wr_int(w, status, 2);
}

int
dbp_ok_status(const uint8_t *p, size_t len, uint16_t *status)
{
	struct dbp_rd r;

	dbp_rd_init(&r, p, len);
	if (len >= 1 && p[0] == 0xfe && len < 9) {	/* EOF */
		dbp_rd_int(&r, 3);
		*status = (uint16_t)dbp_rd_int(&r, 2);
		return r.err ? -1 : 0;
	}
	dbp_rd_int(&r, 1);
	dbp_rd_lenenc(&r);
	dbp_rd_lenenc(&r);
	*status = (uint16_t)dbp_rd_int(&r, 2);
	return r.err ? -1 : 0;
}

uint16_t
dbp_err_code(const uint8_t *p, size_t len)
{
	if (len < 3 || p[0] != 0xff)
		return 0;
	return (uint16_t)(p[1] | p[2] << 8);
}

void
dbp_greeting_build(struct dbp_wr *w, const struct dbp_greeting *g)
{
	static const uint8_t zero[10];

	dbp_wr_int(w, 10, 1);
	dbp_wr_nulstr(w, g->version);
	dbp_wr_int(w, g->conn_id, 4);
	dbp_wr_bytes(w, g->scramble, 8);
	dbp_wr_int(w, 0, 1);
	dbp_wr_int(w, g->caps & 0xffff, 2);
	dbp_wr_int(w, g->charset, 1);
	dbp_wr_int(w, g->status, 2);
	dbp_wr_int(w, g->caps >> 16, 2);
	dbp_wr_int(w, DBP_SCRAMBLE_LEN + 1, 1);
	dbp_wr_bytes(w, zero, 10);	/* reserved (MariaDB: 6 + ext caps 0) */
	dbp_wr_bytes(w, g->scramble + 8, DBP_SCRAMBLE_LEN - 8);
	dbp_wr_int(w, 0, 1);
	dbp_wr_nulstr(w, g->plugin);
}

/* The second part of the scramble and the plugin name of a greeting. */
static int
dbp_greeting_tail(struct dbp_rd *r, struct dbp_greeting *g, size_t alen)
{
	const uint8_t *p;
	const char *s;
	size_t n;

	n = alen > 8 ? alen - 8 : 13;
	if (n < 13)
		n = 13;
	if ((p = dbp_rd_bytes(r, n)) == NULL)
		return -1;
	memcpy(g->scramble + 8, p, 12);
	g->plugin[0] = '\0';
	if ((g->caps & DBP_CLIENT_PLUGIN_AUTH) && dbp_rd_left(r) > 0) {
		if ((s = dbp_rd_nulstr(r, &n)) == NULL) {
			/* Some servers omit the final NUL. */
			r->err = 0;
			n = dbp_rd_left(r);
			s = (const char *)r->p + r->off;
		}
		if (n >= sizeof(g->plugin))
			return -1;
		memcpy(g->plugin, s, n);
		g->plugin[n] = '\0';
	}
	return 0;
}

int
dbp_greeting_parse(const uint8_t *p, size_t len, struct dbp_greeting *g,
    char **cause)
{
	struct dbp_rd r;
	const char *v;
	const uint8_t *s;
	size_t n, alen;

	memset(g, 0, sizeof(*g));
	dbp_rd_init(&r, p, len);
	if (len > 0 && p[0] == 0xff) {
		xasprintf(cause, "server refused: error %u %.*s",
		    dbp_err_code(p, len), len > 9 ? (int)(len - 9) : 0,
		    (const char *)p + 9);
		return -1;
	}
	if (dbp_rd_int(&r, 1) != 10 || (v = dbp_rd_nulstr(&r, &n)) == NULL) {
		xasprintf(cause, "not a protocol 10 greeting");
		return -1;
	}
	snprintf(g->version, sizeof(g->version), "%.*s", (int)n, v);
	g->conn_id = (uint32_t)dbp_rd_int(&r, 4);
	if ((s = dbp_rd_bytes(&r, 8)) != NULL)
		memcpy(g->scramble, s, 8);
	dbp_rd_int(&r, 1);
	g->caps = (uint32_t)dbp_rd_int(&r, 2);
	g->charset = (uint8_t)dbp_rd_int(&r, 1);
	g->status = (uint16_t)dbp_rd_int(&r, 2);
	g->caps |= (uint32_t)dbp_rd_int(&r, 2) << 16;
	alen = (size_t)dbp_rd_int(&r, 1);
	dbp_rd_bytes(&r, 10);
	if (r.err || !(g->caps & DBP_CLIENT_PROTOCOL_41) ||
	    !(g->caps & DBP_CLIENT_SECURE_CONNECTION) ||
	    dbp_greeting_tail(&r, g, alen) == -1) {
		xasprintf(cause, "truncated or pre-4.1 greeting");
		return -1;
	}
	return 0;
}

/* The login's auth response, by the client's capabilities. */
static void
dbp_login_auth(struct dbp_rd *r, struct dbp_login *l)
{
	size_t n;

	if (l->caps & DBP_CLIENT_PLUGIN_AUTH_LENENC)
		l->auth = dbp_rd_lenenc_str(r, &l->auth_len);
	else if (l->caps & DBP_CLIENT_SECURE_CONNECTION) {
		n = (size_t)dbp_rd_int(r, 1);
		l->auth = dbp_rd_bytes(r, n);
		l->auth_len = n;
	} else
		l->auth = (const uint8_t *)dbp_rd_nulstr(r, &l->auth_len);
}

int
dbp_login_parse(const uint8_t *p, size_t len, struct dbp_login *l,
    char **cause)
{
	struct dbp_rd r;

	memset(l, 0, sizeof(*l));
	dbp_rd_init(&r, p, len);
	l->caps = (uint32_t)dbp_rd_int(&r, 4);
	l->max_packet = (uint32_t)dbp_rd_int(&r, 4);
	l->charset = (uint8_t)dbp_rd_int(&r, 1);
	dbp_rd_bytes(&r, 23);
	if (r.err || !(l->caps & DBP_CLIENT_PROTOCOL_41)) {
		xasprintf(cause, "not a 4.1 login");
		return -1;
	}
	if (dbp_rd_left(&r) == 0 && (l->caps & DBP_CLIENT_SSL)) {
		l->ssl_request = 1;
		return 0;
	}
	l->user = dbp_rd_nulstr(&r, &l->user_len);
	dbp_login_auth(&r, l);
	if ((l->caps & DBP_CLIENT_CONNECT_WITH_DB) && dbp_rd_left(&r) > 0)
		l->db = dbp_rd_nulstr(&r, &l->db_len);
	if ((l->caps & DBP_CLIENT_PLUGIN_AUTH) && dbp_rd_left(&r) > 0)
		l->plugin = dbp_rd_nulstr(&r, &l->plugin_len);
	/* Connection attributes follow; dbproxyd does not need them. */
	if (r.err || l->user == NULL) {
		xasprintf(cause, "malformed login packet");
		return -1;
	}
	return 0;
}

void
dbp_login_build(struct dbp_wr *w, uint32_t caps, const char *user,
    const uint8_t *auth, size_t auth_len, const char *plugin)
{
	static const uint8_t zero[23];

	dbp_wr_int(w, caps, 4);
	dbp_wr_int(w, DBP_FRAME_MAX, 4);
	dbp_wr_int(w, 45, 1);		/* utf8mb4_general_ci */
	dbp_wr_bytes(w, zero, 23);
	dbp_wr_nulstr(w, user);
	dbp_wr_int(w, auth_len, 1);	/* SECURE_CONNECTION form */
	dbp_wr_bytes(w, auth, auth_len);
	if (caps & DBP_CLIENT_PLUGIN_AUTH)
		dbp_wr_nulstr(w, plugin);
}

void
dbp_auth_switch(struct dbp_wr *w, const uint8_t scramble[DBP_SCRAMBLE_LEN])
{
	dbp_wr_int(w, 0xfe, 1);
	dbp_wr_nulstr(w, DBP_NATIVE_PLUGIN);
	dbp_wr_bytes(w, scramble, DBP_SCRAMBLE_LEN);
	dbp_wr_int(w, 0, 1);
}
