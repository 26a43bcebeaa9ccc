/*
 * session.c: a client session's life: accept, greeting, login
 * (mysql_native_password against the configured hashes, an
 * AuthSwitchRequest for clients that start with another plugin, failed
 * logins counted and answered after auth_fail_delay), and its end.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "auth.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "pool.h"
#include "session.h"
#include "share.h"
#include "util.h"

#define DBP_LOGIN_PKT_MAX	65536
#define DBP_VERSION		"5.5.5-10.11.0-triad-dbproxyd"

static void dbp_session_read(struct dbp_io *, void *);
static void dbp_session_write(struct dbp_io *, void *);
static void dbp_session_event(struct dbp_io *, short, void *);

void
dbp_session_send(struct dbp_session *s, const struct dbp_wr *pl)
{
	dbp_io_packet(s->io, &s->seq, pl->p, pl->len);
}

void
dbp_session_err(struct dbp_session *s, uint16_t code, const char *sqlstate,
    const char *fmt, ...)
{
	struct dbp_wr w = { 0 };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dbp_err(&w, code, sqlstate, msg);
	dbp_session_send(s, &w);
	dbp_wr_free(&w);
	metric_inc(dbp_metrics.errors_sent);
	dbp_errors_count(code);
}

/* HandshakeV10 with a fresh scramble, offering DBP_SERVER_CAPS. */
static void
dbp_session_greet(struct dbp_session *s)
{
	struct dbp_greeting g;
	struct dbp_wr w = { 0 };

	memset(&g, 0, sizeof(g));
	snprintf(g.version, sizeof(g.version), "%s", DBP_VERSION);
	g.conn_id = s->id;
	dbp_auth_scramble(s->scramble);
	memcpy(g.scramble, s->scramble, sizeof(g.scramble));
	g.caps = DBP_SERVER_CAPS | (s->c->tls != NULL ? DBP_CLIENT_SSL : 0);
	g.charset = 45;
	g.status = DBP_STATUS_AUTOCOMMIT;
	snprintf(g.plugin, sizeof(g.plugin), DBP_NATIVE_PLUGIN);
	dbp_greeting_build(&w, &g);
	s->seq = 0;
	dbp_session_send(s, &w);
	dbp_wr_free(&w);
}

/* Over max_connections: ERR 1040 in place of the greeting (as MariaDB
   does), written once without waiting, then the socket closes. */
static void
dbp_session_refuse(int fd)
{
	struct dbp_wr w = { 0 }, f = { 0 };
	uint8_t seq = 0;
	ssize_t n;

	dbp_err(&w, DBP_ER_CON_COUNT, "08004", "Too many connections "
	    "(dbproxyd max_connections)");
	dbp_frame(&f, &seq, w.p, w.len);
	n = write(fd, f.p, f.len);
	(void)n;
	dbp_wr_free(&w);
	dbp_wr_free(&f);
	dbp_errors_count(DBP_ER_CON_COUNT);
	close(fd);
}

void
dbp_session_accept(int fd, const struct net_addr *peer, void *arg)
{
	struct dbp_worker *w = arg;
	struct dbp_session *s;
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s = xcalloc(1, sizeof(*s));
	s->w = w;
	s->gen = lc_gen_ref(w->lc->gen);
	s->c = s->gen->conf;
	if (w->nsessions >= (unsigned)s->c->max_connections) {
		dbp_session_refuse(fd);
		lc_gen_unref(s->gen);
		free(s);
		return;
	}
	s->id = (w->lc->id << 24) | (++w->next_id & 0xffffff);
	s->replica = -1;
	s->trx_server = -1;
	s->status = DBP_STATUS_AUTOCOMMIT;
	addr_format(peer, s->peer, sizeof(s->peer));
	s->io = dbp_io_new(w->lc->base, fd, dbp_session_read,
	    dbp_session_write, dbp_session_event, s);
	s->io->batch = w->iob;
	/* A command is read whole: the buffer may hold the largest. */
	s->io->in_cap = s->c->max_packet + 4 * (s->c->max_packet /
	    DBP_FRAME_MAX + 2) + 65536;
	dbp_io_timeout(s->io, s->c->login_timeout_ms);
	TAILQ_INSERT_TAIL(&w->sessions, s, link);
	w->nsessions++;
	lc_worker_conn_open(w->lc);
	metric_inc(dbp_metrics.sessions_total);
	metric_add(dbp_metrics.sessions_active, 1);
	dbp_session_greet(s);
}

/* Gives back every attached server connection. */
static void
dbp_session_detach_all(struct dbp_session *s)
{
	size_t i;

	for (i = 0; i < s->c->nservers && i < DBP_MAX_SERVERS; i++) {
		if (s->be[i] == NULL)
			continue;
		if (s->be[i]->owner == s)
			dbp_pool_release(s->be[i], s->state != DBP_S_FORWARD &&
			    s->state != DBP_S_STEP);
		s->be[i] = NULL;
	}
	s->replica = -1;
}

void
dbp_session_close(struct dbp_session *s, const char *why)
{
	struct dbp_worker *w = s->w;
	size_t i;

	log_debug("session %u (%s, %s): closed: %s", s->id, s->peer,
	    s->user ? s->user->name : "-", why);
	if (s->state == DBP_S_WAIT_POOL)
		dbp_pool_unwait(w->pools[s->waiting_server], s);
	dbp_command_uncount(s);	/* left with its query in flight */
	dbp_session_detach_all(s);
	if (s->user != NULL)
		atomic_fetch_sub(&s->user->sessions, 1);
	TAILQ_REMOVE(&w->sessions, s, link);
	w->nsessions--;
	lc_worker_conn_close(w->lc);
	metric_add(dbp_metrics.sessions_active, -1);
	if (s->timer != NULL)
		event_free(s->timer);
	dbp_io_free(s->io);
	for (i = 0; i < s->nlog; i++)
		free(s->log[i].pkt);
	free(s->log);
	dbp_stmt_free_all(s);
	free(s->cmd);
	free(s->login_db);
	lc_gen_unref(s->gen);
	if (s->shared != NULL) {
		/* Its answer is still to come on a shared connection: the
		   session stays, a zombie, to drop it (share.c frees it). */
		s->io = NULL;
		s->timer = NULL;
		s->zombie = 1;
		s->swallow = 1;
		dbp_share_orphaned(s);
		return;
	}
	free(s);
}

void
dbp_session_close_all(struct dbp_worker *w)
{
	struct dbp_session *s;

	while ((s = TAILQ_FIRST(&w->sessions)) != NULL)
		dbp_session_close(s, "shutdown");
}

/* Sends ERR and closes once it is written. */
static void
dbp_session_fail(struct dbp_session *s, uint16_t code, const char *state,
    const char *msg)
{
	dbp_session_err(s, code, state, "%s", msg);
	dbp_session_closing(s);
}

/* auth_fail_delay passed: ERR 1045 and close. */
static void
dbp_session_auth_delayed(evutil_socket_t fd, short ev, void *arg)
{
	struct dbp_session *s = arg;

	(void)fd;
	(void)ev;
	s->state = DBP_S_LOGIN;
	dbp_session_fail(s, DBP_ER_ACCESS_DENIED, "28000",
	    "Access denied (dbproxyd)");
}

void
dbp_session_timer(struct dbp_session *s, void (*cb)(int, short, void *),
    const struct timeval *tv)
{
	if (s->timer == NULL)
		s->timer = evtimer_new(s->w->lc->base, cb, s);
	else {
		evtimer_del(s->timer);
		event_assign(s->timer, s->w->lc->base, -1, 0, cb, s);
	}
	evtimer_add(s->timer, tv);
}

/* A failed login: counted, logged without secrets, answered later. */
static void
dbp_session_auth_failed(struct dbp_session *s, const char *user, size_t ulen)
{
	struct timeval tv = { s->c->auth_fail_delay_ms / 1000,
	    (s->c->auth_fail_delay_ms % 1000) * 1000 };

	metric_inc(dbp_metrics.auth_failures);
	log_notice("login failed: user '%.*s' from %s", (int)(ulen > 80 ? 80 :
	    ulen), user, s->peer);
	s->state = DBP_S_AUTH_DELAY;
	dbp_io_pause(s->io, 1);
	dbp_session_timer(s, dbp_session_auth_delayed, &tv);
}

/* Logged in: OK, then the command loop. */
static void
dbp_session_logged_in(struct dbp_session *s, const char *db, size_t dblen)
{
	struct dbp_wr w = { 0 };

	atomic_fetch_add(&s->user->sessions, 1);
	if (db != NULL && dblen > 0) {
		/* The initial database is a session command like USE. */
		s->log = xreallocarray(s->log, 1, sizeof(*s->log));
		s->log[0].len = dblen + 1;
		s->log[0].pkt = xmalloc(dblen + 1);
		s->log[0].pkt[0] = DBP_COM_INIT_DB;
		memcpy(s->log[0].pkt + 1, db, dblen);
		s->log[0].sets_db = 1;
		s->nlog = 1;
		s->uses_db = 1;
	}
	dbp_ok(&w, 0, 0, s->status, 0);
	dbp_session_send(s, &w);
	dbp_wr_free(&w);
	log_debug("session %u (%s): user %s logged in", s->id, s->peer,
	    s->user->name);
	dbp_session_ready(s);
}

/* Asks for mysql_native_password (AuthSwitchRequest); the user and the
   database wait for the answer. */
static void
dbp_session_switch(struct dbp_session *s, const char *user, size_t ulen,
    const char *db, size_t dlen)
{
	struct dbp_wr w = { 0 };

	free(s->login_db);
	s->login_db = db != NULL && dlen > 0 ? xstrndup(db, dlen) : NULL;
	snprintf(s->login_user, sizeof(s->login_user), "%.*s",
	    (int)(ulen > 80 ? 80 : ulen), user);
	dbp_auth_switch(&w, s->scramble);
	dbp_session_send(s, &w);
	dbp_wr_free(&w);
	s->state = DBP_S_AUTH_SWITCH;
}

/* The login packet. */
static void
dbp_session_login(struct dbp_session *s, const uint8_t *p, size_t len)
{
	struct dbp_login l;
	char *cause = NULL;

	if (dbp_login_parse(p, len, &l, &cause) == -1) {
		free(cause);
		dbp_session_fail(s, DBP_ER_HANDSHAKE, "08S01", "Bad handshake");
		return;
	}
	if (l.ssl_request) {
		/* TLS from here; the login follows inside it. */
		if (s->c->tls == NULL || s->io->ssl != NULL ||
		    dbp_io_tls_start(s->io, s->c->tls) == -1)
			dbp_session_fail(s, DBP_ER_HANDSHAKE, "08S01",
			    "TLS is not configured on dbproxyd");
		return;
	}
	s->caps = l.caps & DBP_SERVER_CAPS;
	s->charset = l.charset ? l.charset : 45;
	s->user = (struct dbproxyd_user *)dbproxyd_conf_user(s->c, l.user,
	    l.user_len);
	if (l.plugin != NULL && (l.plugin_len != strlen(DBP_NATIVE_PLUGIN) ||
	    memcmp(l.plugin, DBP_NATIVE_PLUGIN, l.plugin_len) != 0)) {
		dbp_session_switch(s, l.user, l.user_len, l.db, l.db_len);
		return;
	}
	if (s->user == NULL || !dbp_auth_check(s->user->stage2, s->scramble,
	    l.auth, l.auth_len)) {
		s->user = NULL;
		dbp_session_auth_failed(s, l.user, l.user_len);
		return;
	}
	dbp_session_logged_in(s, l.db, l.db_len);
}

void
dbp_session_change_user(struct dbp_session *s)
{
	struct dbp_rd r;
	const char *user, *db, *plugin = NULL;
	const uint8_t *auth;
	size_t ulen, alen, dlen = 0, plen = 0;

	dbp_rd_init(&r, s->cmd + 1, s->cmd_len - 1);
	user = dbp_rd_nulstr(&r, &ulen);
	alen = (size_t)dbp_rd_int(&r, 1);
	auth = dbp_rd_bytes(&r, alen);
	db = dbp_rd_left(&r) > 0 ? dbp_rd_nulstr(&r, &dlen) : NULL;
	if (dbp_rd_left(&r) >= 2)
		s->charset = (uint8_t)dbp_rd_int(&r, 2);
	if (dbp_rd_left(&r) > 0)
		plugin = dbp_rd_nulstr(&r, &plen);
	if (r.err || user == NULL || auth == NULL) {
		dbp_session_fail(s, DBP_ER_NET_READ, "08S01",
		    "Malformed COM_CHANGE_USER");
		return;
	}
	dbp_command_reset_state(s);
	if (s->user != NULL)
		atomic_fetch_sub(&s->user->sessions, 1);
	s->user = (struct dbproxyd_user *)dbproxyd_conf_user(s->c, user, ulen);
	s->state = DBP_S_LOGIN;
	if (plugin != NULL && (plen != strlen(DBP_NATIVE_PLUGIN) ||
	    memcmp(plugin, DBP_NATIVE_PLUGIN, plen) != 0)) {
		dbp_session_switch(s, user, ulen, db, dlen);
		return;
	}
	if (s->user == NULL || !dbp_auth_check(s->user->stage2, s->scramble,
	    auth, alen)) {
		s->user = NULL;
		dbp_session_auth_failed(s, user, ulen);
		return;
	}
	dbp_session_logged_in(s, db, dlen);
}

/* The client's answer to the AuthSwitchRequest: the token alone. */
static void
dbp_session_switched(struct dbp_session *s, const uint8_t *p, size_t len)
{
	if (s->user == NULL || !dbp_auth_check(s->user->stage2, s->scramble,
	    p, len)) {
		s->user = NULL;
		dbp_session_auth_failed(s, s->login_user,
		    strlen(s->login_user));
		return;
	}
	dbp_session_logged_in(s, s->login_db, s->login_db ?
	    strlen(s->login_db) : 0);
	free(s->login_db);
	s->login_db = NULL;
}

/* LOGIN and AUTH_SWITCH: one small packet at a time. */
static void
dbp_session_read_login(struct dbp_session *s)
{
	uint8_t *buf = xmalloc(DBP_LOGIN_PKT_MAX);
	uint8_t seq;
	long n;

	n = dbp_pkt_peek(s->io->in, buf,
	    DBP_LOGIN_PKT_MAX, &seq);
	if (n == -2)
		dbp_session_fail(s, DBP_ER_HANDSHAKE, "08S01",
		    "Bad handshake: packet too large");
	else if (n >= 0) {
		s->seq = (uint8_t)(seq + 1);
		if (s->state == DBP_S_LOGIN)
			dbp_session_login(s, buf, (size_t)n);
		else
			dbp_session_switched(s, buf, (size_t)n);
	}
	explicit_bzero(buf, n > 0 ? (size_t)n : 0);
	free(buf);
}

/* Bytes from the client: login packets, or the next command when
   the session is READY (otherwise they wait in the buffer). */
static void
dbp_session_read(struct dbp_io *io, void *arg)
{
	struct dbp_session *s = arg;

	(void)io;
	switch (s->state) {
	case DBP_S_LOGIN:
	case DBP_S_AUTH_SWITCH:
		dbp_session_read_login(s);
		break;
	case DBP_S_READY:
		dbp_command_next(s);
		break;
	default:
		/* A command runs: the next one waits in the buffer. */
		break;
	}
}

/* Output drained to the mark: a paused server side reads again, or a
   closing session has sent its last ERR. */
static void
dbp_session_write(struct dbp_io *io, void *arg)
{
	struct dbp_session *s = arg;

	(void)io;
	if (s->state == DBP_S_CLOSING) {
		dbp_session_close(s, "error sent");
		return;
	}
	if (s->state == DBP_S_FORWARD && s->run_be != NULL) {
		dbp_io_pause(s->run_be->io, 0);
		if (s->run_be->state == DBP_BE_SHARED)
			dbp_share_read(s->run_be);
		else
			dbp_forward_pump(s, s->run_be);
	}
}

/* The client left, failed or timed out (idle, login); also the
   end of a CLOSING session's last write. */
static void
dbp_session_event(struct dbp_io *io, short what, void *arg)
{
	struct dbp_session *s = arg;

	if (what & DBP_IO_TIMEOUT) {
		/* The idle timer runs only while waiting for a command. */
		if (s->state == DBP_S_CLOSING && dbp_io_pending(io) > 0 &&
		    !s->closing_late) {
			s->closing_late = 1;
			dbp_io_timeout(io, 5000);
			return;
		}
		if (s->state != DBP_S_READY && s->state != DBP_S_LOGIN &&
		    s->state != DBP_S_AUTH_SWITCH && s->state != DBP_S_CLOSING) {
			dbp_io_timeout(io, s->c->client_idle_timeout_ms);
			return;
		}
	}
	dbp_session_close(s, s->state == DBP_S_CLOSING ? "error sent" :
	    what & DBP_IO_TIMEOUT ? "client timeout" :
	    what & DBP_IO_EOF ? "client closed" : "client error");
}

void
dbp_session_closing(struct dbp_session *s)
{
	s->state = DBP_S_CLOSING;
	dbp_io_pause(s->io, 1);
	dbp_io_low(s->io, 0);
	/* Nothing left to send: close from the loop, not from here. */
	dbp_io_timeout(s->io, dbp_io_pending(s->io) == 0 ? 1 : 5000);
}

void
dbp_session_ready(struct dbp_session *s)
{
	s->state = DBP_S_READY;
	s->swallow = 0;
	dbp_io_pause(s->io, 0);
	dbp_io_timeout(s->io, s->c->client_idle_timeout_ms);
	if (evbuffer_get_length(s->io->in) > 0)
		dbp_command_next(s);
}

void
dbp_session_backend_read(struct dbp_session *s, struct dbp_backend *be)
{
	if ((s->state == DBP_S_FORWARD || s->state == DBP_S_STEP) &&
	    be == s->run_be)
		dbp_forward_pump(s, be);
	else {
		/* A server that speaks unasked (or while the session waits
		   on another connection) is out of step: drop it. */
		be->dirty = 1;
		dbp_session_backend_lost(s, be);
	}
}

/* Forgets be (it is being freed or given back). */
static void
dbp_session_forget(struct dbp_session *s, struct dbp_backend *be)
{
	size_t i;

	if (s->run_be == be)
		s->run_be = NULL;
	for (i = 0; i < s->c->nservers && i < DBP_MAX_SERVERS; i++)
		if (s->be[i] == be) {
			s->be[i] = NULL;
			if (s->replica == (int)i)
				s->replica = -1;
			if (s->trx_server == (int)i) {
				/* Its transaction is gone with it: the
				   client hears at its next command. */
				s->trx_server = -1;
				s->trx_lost = 1;
				s->status &= ~DBP_STATUS_IN_TRANS;
			}
		}
}

void
dbp_session_backend_lost(struct dbp_session *s, struct dbp_backend *be)
{
	struct dbp_server *srv = be->pool->srv;
	int busy, in_trx;

	if (be->state == DBP_BE_SHARED) {
		dbp_share_lost(be);
		return;
	}
	busy = (s->state == DBP_S_FORWARD || s->state == DBP_S_STEP) &&
	    s->run_be == be;
	in_trx = s->trx_server == srv->index;
	dbp_session_forget(s, be);
	dbp_pool_close(be);
	if (!busy)
		return;
	dbp_session_command_lost(s, srv, in_trx ? DBP_LOST_IN_TRX :
	    srv->role == DBP_REPLICA ? DBP_LOST_RETRY | DBP_LOST_SUSPECT : 0);
}

void
dbp_session_command_lost(struct dbp_session *s, struct dbp_server *srv,
    int how)
{
	dbp_command_uncount(s);
	s->run_be = NULL;
	s->trx_lost = 0;	/* said now */
	if (s->step == DBP_STEP_GTID_GET) {
		/* The client has its answer; only the write's GTID is
		   unknown (reads go to the primary until the next one). */
		s->capture = 0;
		s->gtid[0] = '\0';
		dbp_session_ready(s);
		return;
	}
	if (s->sent_any) {
		/* Part of the answer went out: the client cannot resync. */
		dbp_session_close(s, "server lost mid-answer");
		return;
	}
	if (how & DBP_LOST_RETRY) {
		if (how & DBP_LOST_SUSPECT)
			dbp_monitor_suspect(srv, "a connection was lost");
		if (dbp_command_retry(s) == 0)
			return;
	}
	dbp_session_err(s, DBP_ER_CONN_KILLED, "70100", "Connection to server "
	    "%s lost%s", srv->name, (how & DBP_LOST_IN_TRX) ?
	    " (transaction rolled back)" : "");
	dbp_session_ready(s);
}

void
dbp_session_backend_ready(struct dbp_session *s, struct dbp_backend *be)
{
	int i = be->pool->srv->index;

	if (s->timer != NULL)
		evtimer_del(s->timer);
	if (i == s->target && dbp_share_ok(s)) {
		dbp_pool_to_shared(be);		/* s replays its state first */
		s->run_be = be;
		dbp_command_run(s);
		return;
	}
	s->be[i] = be;
	s->run_be = be;
	if (be->pool->srv->role == DBP_REPLICA)
		s->replica = i;
	dbp_command_run(s);
}

void
dbp_session_backend_failed(struct dbp_session *s, struct dbp_server *srv)
{
	if (s->timer != NULL)
		evtimer_del(s->timer);
	if (srv->role == DBP_REPLICA) {
		dbp_monitor_suspect(srv, "a connect failed");
		if (dbp_command_retry(s) == 0)
			return;
	}
	dbp_session_err(s, DBP_ER_NO_SERVER, "HY000", "dbproxyd: cannot "
	    "connect to server %s (%s)", srv->name, srv->addr_text);
	dbp_session_ready(s);
}
