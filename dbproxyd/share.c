/*
 * share.c: shared (multiplexed) server connections, see share.h.
 *
 * Why pipelined: a server thread that finds its next query already in
 * its socket neither sleeps nor is woken, and one send or read of
 * dbproxyd's carries several sessions' queries or answers. That is the
 * cost a proxy otherwise adds per query (a wake-up of the server's
 * thread, a send and a read on each side).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "classify.h"
#include "io.h"
#include "log.h"
#include "monitor.h"
#include "pool.h"
#include "session.h"
#include "share.h"
#include "util.h"

/* What a shared connection may run: statements that only read and
   leave nothing behind on the connection. */
#define DBP_SHARE_NOT	(DBP_Q_WRITE | DBP_Q_SESSION | DBP_Q_BEGIN | \
	DBP_Q_BEGIN_RO | DBP_Q_END | DBP_Q_TEMP | DBP_Q_MULTI | \
	DBP_Q_AUTOCOMMIT | DBP_Q_PREPARE | DBP_Q_USE | DBP_Q_LOCK | \
	DBP_Q_UNLOCK | DBP_Q_CONNSTATE)

int
dbp_share_ok(const struct dbp_session *s)
{
	int f = s->cmd_flags;

	if (s->c->multiplex == 0 || s->be[s->target] != NULL)
		return 0;
	if (s->cmd[0] != DBP_COM_QUERY && s->cmd[0] != DBP_COM_STMT_PREPARE &&
	    s->cmd[0] != DBP_COM_STMT_EXECUTE)
		return 0;
	if (!(f & DBP_Q_READ) || (f & DBP_SHARE_NOT) ||
	    (s->cmd_stmt != NULL && s->cmd_stmt->long_data))
		return 0;
	/* An EXECUTE that opens a cursor leaves it on the connection. */
	if (s->cmd[0] == DBP_COM_STMT_EXECUTE && (s->cmd_len < 6 ||
	    s->cmd[5] != 0))
		return 0;
	/* No transaction, no state only the session's connection has. */
	if (s->trx_server >= 0 || !(s->status & DBP_STATUS_AUTOCOMMIT) ||
	    (s->status & DBP_STATUS_IN_TRANS) || s->temp_tables ||
	    s->locked_tables || s->log_full)
		return 0;
	/* gtid_wait's MASTER_GTID_WAIT is a step of the session's own. */
	return !(s->c->read_your_writes == DBP_RYW_GTID_WAIT && s->wrote);
}

int
dbp_share_fits(const struct dbp_backend *be, const struct dbp_session *s)
{
	size_t i;

	if (be->sig == NULL || be->dirty || be->nsig != s->nlog)
		return 0;
	for (i = 0; i < s->nlog; i++)
		if (be->sig[i].len != s->log[i].len ||
		    memcmp(be->sig[i].pkt, s->log[i].pkt, s->log[i].len) != 0)
			return 0;
	return 1;
}

void
dbp_share_applied(struct dbp_backend *be, const struct dbp_session *s)
{
	size_t i;

	if (be->sig != NULL || be->dirty)
		return;
	be->sig = xreallocarray(NULL, s->nlog ? s->nlog : 1, sizeof(*be->sig));
	for (i = 0; i < s->nlog; i++) {
		be->sig[i].len = s->log[i].len;
		be->sig[i].pkt = xmalloc(s->log[i].len);
		memcpy(be->sig[i].pkt, s->log[i].pkt, s->log[i].len);
		be->sig[i].sets_db = s->log[i].sets_db;
	}
	be->nsig = s->nlog;
}

int
dbp_share_stalled(const struct dbp_backend *be, const struct dbproxyd_conf *c,
    uint64_t now_us)
{
	return be->queued > 0 &&
	    now_us - be->head_us > (uint64_t)c->multiplex_stall_ms * 1000;
}

void
dbp_share_push(struct dbp_backend *be, struct dbp_session *s)
{
	if (be->queued == 0)
		be->head_us = util_now_us();
	TAILQ_INSERT_TAIL(&be->queue, s, queue_link);
	be->queued++;
	s->shared = be;
}

/* A zombie's prepare succeeded: nobody will know its id, so it closes
   (else it stays on the server until the connection goes). */
static void
dbp_share_forget_prepared(struct dbp_backend *be, const struct dbp_session *s)
{
	if (s->resp.kind == DBP_RK_PREPARE && s->resp.err == 0)
		dbp_forward_stmt_close(be, s->resp.stmt_id);
}

/* The deferred read of dbp_share_orphaned. */
static void
dbp_share_kicked(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	dbp_share_read(arg);
}

void
dbp_share_orphaned(struct dbp_session *s)
{
	static const struct timeval zero = { 0, 0 };
	struct dbp_backend *be = s->shared;

	if (TAILQ_FIRST(&be->queue) != s)
		return;
	if (be->kick == NULL)
		be->kick = evtimer_new(be->pool->w->lc->base,
		    dbp_share_kicked, be);
	dbp_io_pause(be->io, 0);
	evtimer_add(be->kick, &zero);
}

int
dbp_share_pop(struct dbp_backend *be, struct dbp_session *s)
{
	TAILQ_REMOVE(&be->queue, s, queue_link);
	be->queued--;
	s->shared = NULL;
	if (be->queued > 0)
		be->head_us = util_now_us();
	else
		be->idle_since_ms = util_now_ms();
	if (s->zombie) {
		dbp_share_forget_prepared(be, s);
		free(s);
		return 1;
	}
	return 0;
}

void
dbp_share_answered(struct dbp_backend *be, struct dbp_session *s)
{
	if (!(s->status & DBP_STATUS_IN_TRANS))
		return;
	log_warnx("session %u: a shared connection to %s is in a "
	    "transaction; it is closed", s->id, be->pool->srv->name);
	s->status &= ~DBP_STATUS_IN_TRANS;
	s->trx_server = -1;
	s->trx_lost = 1;
	be->dirty = 1;		/* closed once its queue is empty */
}

void
dbp_share_read(struct dbp_backend *be)
{
	struct evbuffer *in = be->io->in;
	struct dbp_session *s;
	size_t before;

	be->pumping = 1;
	while (!be->dead && (before = evbuffer_get_length(in)) > 0) {
		if ((s = TAILQ_FIRST(&be->queue)) == NULL) {
			/* Nobody asked: the server is out of step. */
			log_warnx("server %s: unasked bytes on a shared "
			    "connection; it is dropped", be->pool->srv->name);
			be->dirty = 1;
			dbp_share_lost(be);
			break;
		}
		dbp_forward_pump(s, be);
		/* No progress: the answer needs more bytes, or its client
		   is slow (the connection is paused until it drains). */
		if (!be->dead && evbuffer_get_length(in) == before)
			break;
	}
	/* Only here, at the end of a read, where no session is between two
	   steps on it, may an empty one close. */
	if (!be->dead && be->queued == 0)
		dbp_pool_shared_empty(be);
	be->pumping = 0;
	if (be->dead)
		dbp_backend_free(be);
}

void
dbp_share_lost(struct dbp_backend *be)
{
	struct dbp_server *srv = be->pool->srv;
	struct dbp_session **told, *s;
	size_t n = 0, i;

	told = xreallocarray(NULL, be->queued ? (size_t)be->queued : 1,
	    sizeof(*told));
	while ((s = TAILQ_FIRST(&be->queue)) != NULL) {
		TAILQ_REMOVE(&be->queue, s, queue_link);
		s->shared = NULL;
		if (s->zombie)
			free(s);	/* its client is gone already */
		else
			told[n++] = s;
	}
	be->queued = 0;
	be->dirty = 1;
	log_info("server %s: shared connection lost; %zu read(s) queued on "
	    "it go again", srv->name, n);
	dbp_pool_close(be);
	if (srv->role == DBP_REPLICA && n > 0)
		dbp_monitor_suspect(srv, "a connection was lost");
	for (i = 0; i < n; i++)
		dbp_session_command_lost(told[i], srv, DBP_LOST_RETRY);
	free(told);
}
