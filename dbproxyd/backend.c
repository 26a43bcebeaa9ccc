/*
 * backend.c: a pooled connection's login, with dbproxyd speaking the
 * client side of the protocol itself on the worker's event loop.
 *
 * Why not Connector/C here: after the login the connection only carries
 * packets that dbproxyd forwards unchanged, so the client library would
 * do one thing (the login) and then have to hand over a socket whose
 * buffers it owns. The login is a greeting, one response41 with a
 * mysql_native_password token, maybe an AuthSwitchRequest: small, fully
 * non-blocking here, and its capabilities (the dialect) are exactly the
 * client session's, which raw forwarding needs. The monitor, which runs
 * real queries, uses Connector/C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "auth.h"
#include "io.h"
#include "log.h"
#include "pool.h"
#include "session.h"
#include "share.h"
#include "util.h"

#define DBP_LOGIN_MAX	4096	/* a greeting or auth packet at most */
#define DBP_SHARED_STMT_MAX 1024	/* statements on a shared connection */

/* The login's capabilities: the basics plus the session's dialect. */
#define DBP_BE_BASE_CAPS (DBP_CLIENT_LONG_PASSWORD | DBP_CLIENT_PROTOCOL_41 | \
	DBP_CLIENT_SECURE_CONNECTION | DBP_CLIENT_PLUGIN_AUTH | \
	DBP_CLIENT_TRANSACTIONS)

long
dbp_pkt_peek(struct evbuffer *buf, uint8_t *out, size_t max, uint8_t *seq)
{
	uint8_t hdr[DBP_HDR];
	uint32_t len;

	if (evbuffer_copyout(buf, hdr, DBP_HDR) < DBP_HDR)
		return -1;
	len = dbp_frame_hdr(hdr, seq);
	if (len > max)
		return -2;
	if (evbuffer_get_length(buf) < DBP_HDR + (size_t)len)
		return -1;
	evbuffer_drain(buf, DBP_HDR);
	evbuffer_remove(buf, out, len);
	return (long)len;
}

/* The configuration of the worker's current generation. */
static const struct dbproxyd_conf *
dbp_be_conf(const struct dbp_backend *be)
{
	return be->pool->w->lc->gen->conf;
}

/* Frames one payload with sequence id seq and sends it. */
static void
dbp_be_send(struct dbp_backend *be, uint8_t seq, const struct dbp_wr *pl)
{
	dbp_io_packet(be->io, &seq, pl->p, pl->len);
}

/* The greeting: answer with the login. */
static int
dbp_be_greeting(struct dbp_backend *be, const uint8_t *p, size_t len,
    char **cause)
{
	const struct dbproxyd_conf *c = dbp_be_conf(be);
	struct dbp_greeting g;
	struct dbp_wr w = { 0 };
	uint8_t tok[20];
	size_t n;

	if (dbp_greeting_parse(p, len, &g, cause) == -1)
		return -1;
	n = dbp_auth_token(c->backend_password, g.scramble, tok);
	dbp_login_build(&w, DBP_BE_BASE_CAPS | be->caps, c->backend_user, tok,
	    n, DBP_NATIVE_PLUGIN);
	w.p[8] = be->charset;
	dbp_be_send(be, 1, &w);
	explicit_bzero(w.p, w.len);
	dbp_wr_free(&w);
	be->state = DBP_BE_AUTH;
	return 0;
}

/* The server's answer to the login: OK, ERR or an AuthSwitchRequest. */
static int
dbp_be_auth(struct dbp_backend *be, const uint8_t *p, size_t len,
    uint8_t seq, char **cause)
{
	const struct dbproxyd_conf *c = dbp_be_conf(be);
	struct dbp_wr w = { 0 };
	struct dbp_rd r;
	const char *plugin;
	const uint8_t *scr;
	uint8_t tok[20];
	size_t n;

	if (len > 0 && p[0] == 0x00)
		return 1;
	if (len > 0 && p[0] == 0xfe) {
		dbp_rd_init(&r, p + 1, len - 1);
		plugin = dbp_rd_nulstr(&r, &n);
		scr = dbp_rd_bytes(&r, DBP_SCRAMBLE_LEN);
		if (plugin == NULL || scr == NULL ||
		    strcmp(plugin, DBP_NATIVE_PLUGIN) != 0) {
			xasprintf(cause, "server asks for auth plugin %s",
			    plugin ? plugin : "?");
			return -1;
		}
		n = dbp_auth_token(c->backend_password, scr, tok);
		dbp_wr_bytes(&w, tok, n);
		dbp_be_send(be, (uint8_t)(seq + 1), &w);
		dbp_wr_free(&w);
		return 0;
	}
	xasprintf(cause, "login as %s refused: error %u %.*s", c->backend_user,
	    dbp_err_code(p, len), len > 9 ? (int)(len - 9) : 0,
	    (const char *)p + 9);
	return -1;
}

/* A logged-in (or reset) connection: no timeouts while pooled. */
static void
dbp_be_up(struct dbp_backend *be)
{
	dbp_io_timeout(be->io, 0);
	dbp_pool_ready(be);
}

/* Packets while logging in or resetting. */
static void
dbp_be_login_read(struct dbp_backend *be)
{
	uint8_t buf[DBP_LOGIN_MAX], seq;
	char *cause = NULL;
	long n;
	int r;

	while ((n = dbp_pkt_peek(be->io->in, buf,
	    sizeof(buf), &seq)) >= 0) {
		if (be->state == DBP_BE_GREETING)
			r = dbp_be_greeting(be, buf, (size_t)n, &cause);
		else if (be->state == DBP_BE_AUTH)
			r = dbp_be_auth(be, buf, (size_t)n, seq, &cause);
		else if (be->state == DBP_BE_RESETTING && n > 0 && buf[0] == 0)
			r = 1;
		else {
			xasprintf(&cause, "unexpected packet (state %d)",
			    be->state);
			r = -1;
		}
		explicit_bzero(buf, sizeof(buf));
		if (r == -1) {
			dbp_pool_failed(be, cause);
			free(cause);
			return;
		}
		if (r == 1) {
			dbp_be_up(be);
			return;
		}
	}
	if (n == -2)
		dbp_pool_failed(be, "oversized login packet");
}

/* Bytes from the server: to the owning session while busy, to the
   login steps before; an idle connection that speaks is closing. */
static void
dbp_be_read(struct dbp_io *io, void *arg)
{
	struct dbp_backend *be = arg;

	(void)io;
	switch (be->state) {
	case DBP_BE_BUSY:
		dbp_session_backend_read(be->owner, be);
		break;
	case DBP_BE_SHARED:
		dbp_share_read(be);
		break;
	case DBP_BE_IDLE:
		/* A pooled connection has nothing to say: the server is
		   closing it (wait_timeout, shutdown). */
		dbp_pool_close(be);
		break;
	default:
		dbp_be_login_read(be);
		break;
	}
}

/* Connected, or the connection ended: the session, or the pool, hears. */
static void
dbp_be_event(struct dbp_io *io, short what, void *arg)
{
	struct dbp_backend *be = arg;

	(void)io;
	if (what & DBP_IO_CONNECTED) {
		be->state = DBP_BE_GREETING;	/* TCP_NODELAY: net_connect */
		return;
	}
	if (be->state == DBP_BE_BUSY) {
		dbp_session_backend_lost(be->owner, be);
		return;
	}
	if (be->state == DBP_BE_SHARED) {
		dbp_share_lost(be);
		return;
	}
	if (be->state == DBP_BE_IDLE || be->state == DBP_BE_RESETTING)
		dbp_pool_close(be);
	else
		dbp_pool_failed(be, what & DBP_IO_TIMEOUT ? "timeout" :
		    "connection refused or closed");
}

struct dbp_backend *
dbp_backend_open(struct dbp_pool *p, uint32_t caps, uint8_t charset)
{
	const struct dbproxyd_conf *c = p->w->lc->gen->conf;
	struct dbp_backend *be = xcalloc(1, sizeof(*be));

	be->pool = p;
	TAILQ_INIT(&be->queue);
	be->caps = caps;
	be->charset = charset;
	be->state = DBP_BE_CONNECTING;
	be->io = dbp_io_connect(p->w->lc->base, &p->srv->addr, dbp_be_read,
	    NULL, dbp_be_event, be);
	if (be->io == NULL) {
		free(be);
		return NULL;
	}
	be->io->batch = p->w->iob;
	dbp_io_timeout(be->io, c->connect_timeout_ms);
	return be;
}

/* Back to a clean session before the next client: COM_RESET_CONNECTION. */
void
dbp_backend_reset(struct dbp_backend *be)
{
	static const uint8_t pkt[] = { 1, 0, 0, 0, DBP_COM_RESET_CONNECTION };
	const struct dbproxyd_conf *c = dbp_be_conf(be);

	be->state = DBP_BE_RESETTING;
	be->owner = NULL;
	be->applied = 0;
	be->nstmts = 0;
	dbp_io_timeout(be->io, c->connect_timeout_ms);
	dbp_io_write(be->io, pkt, sizeof(pkt));
}

void
dbp_backend_free(struct dbp_backend *be)
{
	size_t i;

	dbp_io_free(be->io);
	if (be->kick != NULL)
		event_free(be->kick);
	for (i = 0; i < be->nstmts; i++)
		free(be->stmts[i].sql);
	free(be->stmts);
	for (i = 0; i < be->nsig; i++)
		free(be->sig[i].pkt);
	free(be->sig);
	free(be);
}

struct dbp_bstmt *
dbp_backend_stmt(struct dbp_backend *be, uint32_t sid)
{
	size_t i;

	for (i = 0; i < be->nstmts; i++)
		if (be->stmts[i].sid == sid)
			return &be->stmts[i];
	return NULL;
}

struct dbp_bstmt *
dbp_backend_stmt_of(struct dbp_backend *be, const struct dbp_stmt *st)
{
	size_t i;

	if (be->state != DBP_BE_SHARED)
		return dbp_backend_stmt(be, st->id);
	for (i = 0; i < be->nstmts; i++)
		if (be->stmts[i].sql_len == st->sql_len &&
		    memcmp(be->stmts[i].sql, st->sql, st->sql_len) == 0)
			return &be->stmts[i];
	return NULL;
}

struct dbp_bstmt *
dbp_backend_stmt_put(struct dbp_backend *be, const struct dbp_stmt *st,
    uint32_t bid)
{
	struct dbp_bstmt *b;

	if (be->state == DBP_BE_SHARED &&
	    (b = dbp_backend_stmt_of(be, st)) != NULL) {
		dbp_forward_stmt_close(be, bid);
		return b;
	}
	be->stmts = xreallocarray(be->stmts, be->nstmts + 1,
	    sizeof(*be->stmts));
	b = &be->stmts[be->nstmts++];
	memset(b, 0, sizeof(*b));
	b->sid = st->id;
	b->bid = bid;
	if (be->state == DBP_BE_SHARED) {
		b->sql = xmalloc(st->sql_len);
		memcpy(b->sql, st->sql, st->sql_len);
		b->sql_len = st->sql_len;
		if (be->nstmts >= DBP_SHARED_STMT_MAX)
			be->dirty = 1;
	}
	return b;
}

void
dbp_backend_stmt_del(struct dbp_backend *be, uint32_t sid)
{
	size_t i;

	for (i = 0; i < be->nstmts; i++)
		if (be->stmts[i].sid == sid) {
			be->stmts[i] = be->stmts[--be->nstmts];
			return;
		}
}
