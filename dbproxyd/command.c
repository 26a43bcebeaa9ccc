/*
 * command.c: the command loop of a session: read one whole command,
 * answer it locally (PING, QUIT, RESET_CONNECTION, STMT_CLOSE) or route
 * it, get the server connection, run the steps that connection still
 * needs (replay the session's SET/USE, prepare the statement), then the
 * command itself; when the answer ends, track what it changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "classify.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "session.h"
#include "share.h"
#include "util.h"

/*
 * The whole command (every frame) into s->cmd. 1 when read; 0 to wait;
 * -1 when it is too large (ERR 1153 sent, the session closes).
 */
static int
dbp_command_read(struct dbp_session *s)
{
	struct evbuffer *in = s->io->in;
	struct evbuffer_ptr pos;
	uint8_t hdr[DBP_HDR], seq = 0;
	size_t total = 0, off = 0, have = evbuffer_get_length(in);
	uint32_t len;

	do {
		if (have < off + DBP_HDR)
			return 0;
		evbuffer_ptr_set(in, &pos, off, EVBUFFER_PTR_SET);
		evbuffer_copyout_from(in, &pos, hdr, DBP_HDR);
		len = dbp_frame_hdr(hdr, &seq);
		total += len;
		if (total > s->c->max_packet) {
			s->seq = (uint8_t)(seq + 1);
			dbp_session_err(s, DBP_ER_NET_TOO_LARGE, "08S01", "Got a "
			    "packet bigger than 'max_allowed_packet' bytes");
			dbp_session_closing(s);
			return -1;
		}
		off += DBP_HDR + len;
	} while (len == DBP_FRAME_MAX);
	if (have < off)
		return 0;
	if (total > s->cmd_cap || s->cmd_cap > 65536) {
		/* Kept between commands, unless a large one grew it. */
		free(s->cmd);
		s->cmd_cap = total > 256 ? total : 256;
		s->cmd = xmalloc(s->cmd_cap);
	}
	s->cmd_len = 0;
	do {
		evbuffer_remove(in, hdr, DBP_HDR);
		len = dbp_frame_hdr(hdr, &seq);
		evbuffer_remove(in, s->cmd + s->cmd_len, len);
		s->cmd_len += len;
	} while (len == DBP_FRAME_MAX);
	s->seq = (uint8_t)(seq + 1);
	return 1;
}

/* An OK with the session's status flags (PING, RESET_CONNECTION). */
static void
dbp_command_ok(struct dbp_session *s)
{
	struct dbp_wr w = { 0 };

	dbp_ok(&w, 0, 0, s->status, 0);
	dbp_session_send(s, &w);
	dbp_wr_free(&w);
}

void
dbp_command_reset_state(struct dbp_session *s)
{
	size_t i;

	for (i = 0; i < s->c->nservers && i < DBP_MAX_SERVERS; i++)
		if (s->be[i] != NULL) {
			dbp_pool_release(s->be[i], 1);
			s->be[i] = NULL;
		}
	s->replica = -1;
	s->trx_server = -1;
	s->temp_tables = 0;
	s->locked_tables = 0;
	s->wrote = 0;
	s->status = DBP_STATUS_AUTOCOMMIT;
	for (i = 0; i < s->nlog; i++)
		free(s->log[i].pkt);
	s->nlog = 0;
	s->log_full = 0;
	s->uses_db = 0;
	dbp_stmt_free_all(s);
}

/* COM_STMT_CLOSE: closed on every connection that has it; no answer. */
static void
dbp_command_stmt_close(struct dbp_session *s, struct dbp_stmt *st)
{
	struct dbp_bstmt *b;
	size_t i;

	for (i = 0; i < s->c->nservers && i < DBP_MAX_SERVERS; i++) {
		if (s->be[i] == NULL ||
		    (b = dbp_backend_stmt(s->be[i], st->id)) == NULL)
			continue;
		dbp_forward_stmt_close(s->be[i], b->bid);
		dbp_backend_stmt_del(s->be[i], st->id);
	}
	dbp_stmt_del(s, st->id);
}

/* The statement a COM_STMT_* names, or NULL after an ERR. */
static struct dbp_stmt *
dbp_command_stmt(struct dbp_session *s)
{
	struct dbp_stmt *st;
	uint32_t id;

	if (s->cmd_len < 5) {
		dbp_session_err(s, DBP_ER_NET_READ, "08S01", "Malformed "
		    "statement command");
		return NULL;
	}
	id = dbp_get32(s->cmd + 1);
	if ((st = dbp_stmt_find(s, id)) == NULL)
		dbp_session_err(s, DBP_ER_UNKNOWN_STMT, "HY000", "Unknown "
		    "prepared statement handler (%u) given to dbproxyd", id);
	return st;
}

/* Where a COM_STMT_* runs: long data pins to the primary. */
static int
dbp_command_stmt_flags(struct dbp_session *s, struct dbp_stmt *st)
{
	if (s->cmd[0] == DBP_COM_STMT_SEND_LONG_DATA)
		st->long_data = 1;
	if (st->long_data)
		return DBP_Q_WRITE;
	if (s->cmd[0] == DBP_COM_STMT_RESET && st->server >= 0 &&
	    s->be[st->server] != NULL)
		return st->server == 0 ? DBP_Q_WRITE | DBP_Q_HINT_PRIMARY :
		    DBP_Q_READ;
	return st->flags & ~DBP_Q_SESSION;
}

/*
 * The flags of the command (what it is and where it may run), or -1
 * when it was answered here.
 */
static int
dbp_command_flags(struct dbp_session *s)
{
	switch (s->cmd[0]) {
	case DBP_COM_QUERY:
		return dbp_classify((const char *)s->cmd + 1, s->cmd_len - 1);
	case DBP_COM_STMT_PREPARE:
		/* Prepared where its executions will likely run. */
		return dbp_classify((const char *)s->cmd + 1, s->cmd_len - 1) &
		    ~(DBP_Q_SESSION | DBP_Q_BEGIN | DBP_Q_TEMP);
	case DBP_COM_INIT_DB:
		return DBP_Q_SESSION;
	case DBP_COM_SET_OPTION:
		return DBP_Q_SESSION;
	case DBP_COM_FIELD_LIST:
		return DBP_Q_READ;
	case DBP_COM_STATISTICS:
		return DBP_Q_WRITE;	/* the primary's */
	case DBP_COM_STMT_EXECUTE:
	case DBP_COM_STMT_SEND_LONG_DATA:
	case DBP_COM_STMT_RESET:
		if ((s->cmd_stmt = dbp_command_stmt(s)) == NULL)
			return -1;
		return dbp_command_stmt_flags(s, s->cmd_stmt);
	}
	return -1;
}

/* Commands answered without a server. 1 if it was one of them. */
static int
dbp_command_local(struct dbp_session *s)
{
	struct dbp_stmt *st;

	switch (s->cmd[0]) {
	case DBP_COM_QUIT:
		dbp_session_close(s, "COM_QUIT");
		return 1;
	case DBP_COM_PING:
		dbp_command_ok(s);
		break;
	case DBP_COM_RESET_CONNECTION:
		dbp_command_reset_state(s);
		dbp_command_ok(s);
		break;
	case DBP_COM_CHANGE_USER:
		dbp_session_change_user(s);
		return 1;
	case DBP_COM_STMT_CLOSE:
		if (s->cmd_len >= 5 &&
		    (st = dbp_stmt_find(s, dbp_get32(s->cmd + 1))) != NULL)
			dbp_command_stmt_close(s, st);
		break;
	case DBP_COM_QUERY:
	case DBP_COM_STMT_PREPARE:
	case DBP_COM_INIT_DB:
	case DBP_COM_SET_OPTION:
	case DBP_COM_FIELD_LIST:
	case DBP_COM_STATISTICS:
	case DBP_COM_STMT_EXECUTE:
	case DBP_COM_STMT_SEND_LONG_DATA:
	case DBP_COM_STMT_RESET:
		return 0;
	default:
		dbp_session_err(s, DBP_ER_UNKNOWN_COM, "08S01", "Unknown "
		    "command %#x (dbproxyd)", s->cmd[0]);
		break;
	}
	dbp_session_ready(s);
	return 1;
}

/* pool_wait_timeout passed: an ERR, and the session goes on. */
static void
dbp_command_pool_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct dbp_session *s = arg;

	(void)fd;
	(void)ev;
	dbp_pool_unwait(s->w->pools[s->waiting_server], s);
	dbp_session_err(s, DBP_ER_NO_SERVER, "HY000", "dbproxyd: no "
	    "connection to server %s within pool_wait_timeout",
	    s->c->servers[s->waiting_server]->name);
	dbp_session_ready(s);
}

/* The connection to the target: attached, shared, from the pool, or
   waited for. */
static void
dbp_command_attach(struct dbp_session *s)
{
	struct dbp_pool *p = s->w->pools[s->target];
	struct dbp_backend *be;
	struct timeval tv;

	if ((s->run_be = s->be[s->target]) != NULL) {
		dbp_command_run(s);
		return;
	}
	if (dbp_share_ok(s) && (be = dbp_pool_get_shared(p, s)) != NULL) {
		s->run_be = be;
		dbp_command_run(s);
		return;
	}
	if ((be = dbp_pool_get(p, s)) != NULL) {
		dbp_session_backend_ready(s, be);
		return;
	}
	s->state = DBP_S_WAIT_POOL;
	s->waiting_server = s->target;
	tv.tv_sec = s->c->pool_wait_timeout_ms / 1000;
	tv.tv_usec = (s->c->pool_wait_timeout_ms % 1000) * 1000;
	dbp_session_timer(s, dbp_command_pool_timeout, &tv);
}

/* A replica the session holds but may no longer use goes back. */
static void
dbp_command_drop_replica(struct dbp_session *s)
{
	int r = s->replica;

	if (r < 0 || r == s->target || r == s->trx_server ||
	    dbp_route_usable(s->c->servers[r]))
		return;
	dbp_pool_release(s->be[r], 1);
	s->be[r] = NULL;
	s->replica = -1;
}

void
dbp_command_next(struct dbp_session *s)
{
	const char *why;
	uint16_t err = 0;
	int f;

	if (dbp_command_read(s) <= 0)
		return;
	if (s->cmd_len == 0) {
		dbp_session_err(s, DBP_ER_NET_READ, "08S01", "Empty packet");
		dbp_session_ready(s);
		return;
	}
	s->cmd_stmt = NULL;
	if (dbp_command_local(s))
		return;
	if ((f = dbp_command_flags(s)) == -1) {
		dbp_session_ready(s);
		return;
	}
	s->cmd_flags = f;
	s->cmd_retried = 0;
	if (s->trx_lost) {
		s->trx_lost = 0;
		dbp_session_err(s, DBP_ER_CONN_KILLED, "70100", "dbproxyd: the "
		    "server of the open transaction was lost; it is rolled back");
		dbp_session_ready(s);
		return;
	}
	if ((s->target = dbp_route(s, f, &err, &why)) < 0) {
		dbp_session_err(s, err, "HY000", "%s", why);
		dbp_session_ready(s);
		return;
	}
	dbp_command_drop_replica(s);
	s->step = DBP_STEP_NONE;
	dbp_command_attach(s);
}

int
dbp_command_retry(struct dbp_session *s)
{
	const char *why;
	uint16_t err = 0;

	if (s->cmd_retried || !(s->cmd_flags & DBP_Q_READ) ||
	    (s->cmd_flags & DBP_Q_WRITE) || s->trx_server >= 0)
		return -1;
	s->cmd_retried = 1;
	if ((s->target = dbp_route(s, s->cmd_flags, &err, &why)) < 0)
		return -1;
	metric_inc(dbp_metrics.retries);
	dbp_command_drop_replica(s);
	s->step = DBP_STEP_NONE;
	dbp_command_attach(s);
	return 0;
}

/* The next session log entry be has not run yet. 1 if one was sent. */
static int
dbp_command_replay(struct dbp_session *s, struct dbp_backend *be)
{
	const struct dbp_logent *e;

	if (be->applied >= s->nlog)
		return 0;
	e = &s->log[be->applied];
	be->has_db |= e->sets_db;
	s->step = DBP_STEP_REPLAY;
	dbp_forward_start(s, be, e->pkt, e->len, e->pkt[0] == DBP_COM_QUERY ?
	    DBP_RK_RESULT : DBP_RK_SIMPLE, 1);
	return 1;
}

/* The statement of an EXECUTE (or long data, reset) on be. 1 if sent. */
static int
dbp_command_prepare(struct dbp_session *s, struct dbp_backend *be)
{
	struct dbp_stmt *st = s->cmd_stmt;
	struct dbp_wr w = { 0 };

	if (st == NULL || dbp_backend_stmt_of(be, st) != NULL)
		return 0;
	dbp_wr_int(&w, DBP_COM_STMT_PREPARE, 1);
	dbp_wr_bytes(&w, st->sql, st->sql_len);
	s->step = DBP_STEP_PREPARE;
	dbp_forward_start(s, be, w.p, w.len, DBP_RK_PREPARE, 1);
	dbp_wr_free(&w);
	return 1;
}

/* The shape of the answer to a command. */
static enum dbp_resp_kind
dbp_command_kind(uint8_t cmd)
{
	switch (cmd) {
	case DBP_COM_QUERY:
	case DBP_COM_STMT_EXECUTE:
		return DBP_RK_RESULT;
	case DBP_COM_STMT_PREPARE:
		return DBP_RK_PREPARE;
	case DBP_COM_FIELD_LIST:
		return DBP_RK_FIELDS;
	case DBP_COM_STATISTICS:
		return DBP_RK_ONE;
	default:
		return DBP_RK_SIMPLE;
	}
}

void
dbp_command_uncount(struct dbp_session *s)
{
	if (!s->counted)
		return;
	s->counted = 0;
	atomic_fetch_sub(&s->c->servers[s->target]->outstanding, 1);
	s->w->inflight--;
}

/* Counts a command going to be's server (outstanding until answered:
   dbp_command_uncount). */
static void
dbp_command_account(struct dbp_session *s, struct dbp_backend *be)
{
	struct dbp_server *srv = be->pool->srv;

	s->step = DBP_STEP_CMD;
	s->started_us = util_now_us();
	atomic_fetch_add(&srv->outstanding, 1);
	s->counted = 1;
	s->w->inflight++;
	atomic_fetch_add(&srv->queries, 1);
	metric_inc(srv->role == DBP_PRIMARY ? dbp_metrics.queries_primary :
	    dbp_metrics.queries_replica);
	if (be->state == DBP_BE_SHARED) {
		metric_inc(dbp_metrics.multiplexed);
		dbp_share_applied(be, s);	/* its replay is done */
	}
}

/* A COM_STMT_* as be must get it: the server's statement id (and, for
   EXECUTE, the parameter types it lacks). 0, or -1 after an ERR. */
static int
dbp_command_stmt_payload(struct dbp_session *s, struct dbp_backend *be,
    struct dbp_wr *w)
{
	struct dbp_bstmt *b;

	s->cmd_stmt->server = s->target;
	if (s->cmd[0] == DBP_COM_STMT_EXECUTE) {
		if (dbp_stmt_execute_fix(s, be, w) == -1)
			return -1;
		s->cmd_stmt->long_data = 0;
		return 0;
	}
	b = dbp_backend_stmt_of(be, s->cmd_stmt);
	dbp_wr_bytes(w, s->cmd, s->cmd_len);
	dbp_put32(w->p + 1, b->bid);
	if (s->cmd[0] == DBP_COM_STMT_RESET)
		s->cmd_stmt->long_data = 0;
	return 0;
}

/* Sends the client's command itself. */
static void
dbp_command_send(struct dbp_session *s, struct dbp_backend *be)
{
	struct dbp_wr w = { 0 };

	dbp_command_account(s, be);
	if (s->cmd[0] == DBP_COM_INIT_DB ||
	    (s->cmd_flags & (DBP_Q_USE | DBP_Q_MULTI)))
		be->has_db = 1;	/* a pooled session without one must not
				   inherit it (a reset keeps it) */
	if (s->cmd_stmt == NULL) {
		s->patch_prepare = s->cmd[0] == DBP_COM_STMT_PREPARE;
		if (s->cmd[0] == DBP_COM_SET_OPTION)
			be->dirty = 1;	/* a reset would not undo it */
		dbp_forward_start(s, be, s->cmd, s->cmd_len,
		    dbp_command_kind(s->cmd[0]), 0);
		return;
	}
	if (dbp_command_stmt_payload(s, be, &w) == -1 ||
	    s->cmd[0] == DBP_COM_STMT_SEND_LONG_DATA) {
		/* An ERR was sent, or long data, which has no answer. */
		if (s->cmd[0] == DBP_COM_STMT_SEND_LONG_DATA && w.len > 0)
			dbp_forward_raw(be, w.p, w.len);
		dbp_command_uncount(s);
		dbp_wr_free(&w);
		dbp_session_ready(s);
		return;
	}
	dbp_forward_start(s, be, w.p, w.len, dbp_command_kind(s->cmd[0]), 0);
	dbp_wr_free(&w);
}

/* An internal query whose one-row answer is kept (s->cap). */
static void
dbp_command_internal(struct dbp_session *s, struct dbp_backend *be,
    int step, const char *q)
{
	struct dbp_wr w = { 0 };

	dbp_wr_int(&w, DBP_COM_QUERY, 1);
	dbp_wr_bytes(&w, q, strlen(q));
	s->step = step;
	s->capture = 1;
	s->cap_len = 0;
	dbp_forward_start(s, be, w.p, w.len, DBP_RK_RESULT, 1);
	dbp_wr_free(&w);
}

/* read_your_writes gtid_wait: a replica waits for the session's last
   write before it reads. 1 if the wait was sent. */
static int
dbp_command_gtid_wait(struct dbp_session *s, struct dbp_backend *be)
{
	char q[DBP_GTID_MAX + 96];

	if (s->c->read_your_writes != DBP_RYW_GTID_WAIT || !s->wrote ||
	    s->gtid[0] == '\0' || be->pool->srv->role != DBP_REPLICA ||
	    !(s->cmd_flags & DBP_Q_READ))
		return 0;
	snprintf(q, sizeof(q), "SELECT MASTER_GTID_WAIT('%s', %.3f)", s->gtid,
	    (double)s->c->gtid_wait_timeout_ms / 1000.0);
	metric_inc(dbp_metrics.gtid_waits);
	dbp_command_internal(s, be, DBP_STEP_GTID_WAIT, q);
	return 1;
}

void
dbp_command_run(struct dbp_session *s)
{
	struct dbp_backend *be = s->run_be;

	if (dbp_command_replay(s, be) || dbp_command_gtid_wait(s, be) ||
	    dbp_command_prepare(s, be))
		return;
	dbp_command_send(s, be);
}

/* The first column of the captured row as text, or "" (NULL, none). */
static void
dbp_command_cap_text(struct dbp_session *s, char *buf, size_t size)
{
	struct dbp_rd r;
	const uint8_t *v;
	size_t n;

	buf[0] = '\0';
	dbp_rd_init(&r, s->cap, s->cap_len);
	if (s->cap_len == 0 || s->cap[0] == 0xfb)
		return;
	if ((v = dbp_rd_lenenc_str(&r, &n)) != NULL && n < size) {
		memcpy(buf, v, n);
		buf[n] = '\0';
	}
}

/* The wait's verdict: go on with the replica, or fall back. */
static void
dbp_command_gtid_waited(struct dbp_session *s)
{
	char v[32];

	s->capture = 0;
	dbp_command_cap_text(s, v, sizeof(v));
	if (s->resp.err == 0 && strcmp(v, "0") == 0) {
		s->wrote = 0;	/* this replica has it: reads stay here */
		dbp_command_run(s);
		return;
	}
	metric_inc(dbp_metrics.gtid_wait_timeouts);
	log_info("session %u: %s did not reach %s in time: read on the "
	    "primary", s->id, s->c->servers[s->target]->name, s->gtid);
	s->target = 0;
	dbp_command_attach(s);
}

/* A successful session command joins the log (replayed elsewhere). */
static void
dbp_command_log(struct dbp_session *s, struct dbp_backend *be)
{
	size_t i;

	if (!(s->cmd_flags & DBP_Q_SESSION) || s->cmd[0] == DBP_COM_STMT_PREPARE)
		return;
	for (i = 0; i < s->nlog; i++)
		if (s->log[i].len == s->cmd_len &&
		    memcmp(s->log[i].pkt, s->cmd, s->cmd_len) == 0 &&
		    s->cmd[0] != DBP_COM_INIT_DB && i + 1 == s->nlog) {
			be->applied = s->nlog;
			return;	/* the same SET twice in a row */
		}
	if (s->nlog >= DBP_SESSION_LOG_MAX) {
		/* No more replay: the session stays on the primary. */
		s->log_full = 1;
		return;
	}
	if (be->applied == s->nlog)
		be->applied++;
	s->log = xreallocarray(s->log, s->nlog + 1, sizeof(*s->log));
	s->log[s->nlog].pkt = s->cmd;
	s->log[s->nlog].len = s->cmd_len;
	s->log[s->nlog].sets_db = s->cmd[0] == DBP_COM_INIT_DB ||
	    (s->cmd_flags & DBP_Q_USE);
	s->uses_db |= s->log[s->nlog].sets_db;
	s->nlog++;
	s->cmd = NULL;
	s->cmd_len = 0;
	s->cmd_cap = 0;
}

/* The client's command is answered: account, track, log. */
static void
dbp_command_answered(struct dbp_session *s, struct dbp_backend *be)
{
	struct dbp_server *srv = be->pool->srv;
	uint64_t us = util_now_us() - s->started_us;

	dbp_command_uncount(s);
	metric_observe(srv->role == DBP_PRIMARY ? dbp_metrics.lat_primary :
	    dbp_metrics.lat_replica, (int64_t)us);
	if (s->resp.err != 0) {
		metric_inc(dbp_metrics.server_errors);
		dbp_errors_count(s->resp.err);
	}
	dbp_route_track(s, &s->resp);
	if (be->state == DBP_BE_SHARED)
		dbp_share_answered(be, s);
	if (s->resp.err == 0 && (s->cmd_flags & DBP_Q_TEMP))
		s->temp_tables = 1;
	if (s->resp.err == 0 && (s->cmd_flags & (DBP_Q_LOCK | DBP_Q_UNLOCK)))
		s->locked_tables = (s->cmd_flags & DBP_Q_LOCK) != 0;
	if (srv->role == DBP_PRIMARY && (s->cmd_flags & DBP_Q_WRITE) &&
	    !(s->cmd_flags & DBP_Q_READ) && s->cmd[0] != DBP_COM_STMT_PREPARE)
		s->wrote = 1;
	if (s->resp.err == 0)
		dbp_command_log(s, be);
	/* gtid_wait: learn the GTID of a committed write. */
	if (s->c->read_your_writes == DBP_RYW_GTID_WAIT && s->wrote &&
	    srv->role == DBP_PRIMARY && !(s->status & DBP_STATUS_IN_TRANS) &&
	    s->resp.err == 0 && (s->cmd_flags & (DBP_Q_WRITE | DBP_Q_END))) {
		dbp_command_internal(s, be, DBP_STEP_GTID_GET,
		    "SELECT @@last_gtid");
		return;
	}
	dbp_session_ready(s);
}

void
dbp_command_done(struct dbp_session *s)
{
	struct dbp_backend *be = s->run_be;

	switch (s->step) {
	case DBP_STEP_GTID_GET:
		s->capture = 0;
		dbp_command_cap_text(s, s->gtid, sizeof(s->gtid));
		/* No GTID on a connection that answered: it never wrote to the
		   binary log (CREATE TABLE IF NOT EXISTS of a table that is
		   there, an UPDATE that matched no row), so no replica has
		   anything to wait for. Keeping `wrote` would send every later
		   read of the session to the primary. */
		if (s->resp.err == 0 && s->gtid[0] == '\0')
			s->wrote = 0;
		dbp_session_ready(s);
		break;
	case DBP_STEP_GTID_WAIT:
		dbp_command_gtid_waited(s);
		break;
	case DBP_STEP_REPLAY:
		if (s->resp.err != 0) {
			log_info("session %u: replaying a session command on %s: "
			    "error %u", s->id, be->pool->srv->name, s->resp.err);
			/* A shared one would not have the state it says. */
			if (be->state == DBP_BE_SHARED)
				be->dirty = 1;
		}
		be->applied++;
		dbp_command_run(s);
		break;
	case DBP_STEP_PREPARE:
		if (s->resp.err != 0) {
			dbp_session_err(s, s->resp.err, "HY000", "dbproxyd: "
			    "preparing the statement on %s failed",
			    be->pool->srv->name);
			dbp_session_ready(s);
			break;
		}
		dbp_backend_stmt_put(be, s->cmd_stmt, s->resp.stmt_id);
		dbp_command_run(s);
		break;
	default:
		dbp_command_answered(s, be);
		break;
	}
}
