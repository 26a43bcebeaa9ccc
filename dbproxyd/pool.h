/*
 * pool.h: a worker's connections to one server: opened ahead of time
 * (pool_min), capped (pool_max), handed to sessions, reset
 * (COM_RESET_CONNECTION) before another session gets them, so nothing
 * leaks from one client to the next. Sessions that find the pool full
 * wait in line (pool_wait_timeout). Only the worker's thread touches it.
 */
#ifndef DBPROXYD_POOL_H
#define DBPROXYD_POOL_H

#include "dbproxyd.h"

struct dbp_pool {
	struct dbp_worker	*w;
	struct dbp_server	*srv;
	struct dbp_backends	 idle;
	struct dbp_backends	 shared;	/* multiplexed (share.h) */
	TAILQ_HEAD(, dbp_backend) all;	/* every state, freed with the pool */
	TAILQ_HEAD(, dbp_session) waiters;
	int			 total;		/* every state */
	int			 opening;	/* connecting or logging in */
	uint32_t		 caps;		/* dialect of the last session */
	uint8_t			 charset;
};

struct dbp_pool	*dbp_pool_new(struct dbp_worker *, struct dbp_server *);
/* dbp_pool_free: closes every connection (the sessions ended first). */
void		 dbp_pool_free(struct dbp_pool *);
/* dbp_pool_fill: opens connections up to pool_min (tick and start). */
void		 dbp_pool_fill(struct dbp_pool *);
/*
 * dbp_pool_get: an idle connection of s's dialect, now BUSY and owned by
 * s; or NULL, with s waiting in line (dbp_session_backend_ready() is
 * called later) and a connection opening if the cap allows.
 */
struct dbp_backend *dbp_pool_get(struct dbp_pool *, struct dbp_session *s);
/*
 * dbp_pool_get_shared: a shared connection for s's command (share.h):
 * the first of s's state under `multiplex` in flight, else an idle one
 * made shared (s replays its log there first), else the least loaded
 * over the limit (and one more opens, if the cap allows). NULL when
 * there is none: s waits for a connection (dbp_pool_get), which
 * dbp_session_backend_ready makes shared.
 */
struct dbp_backend *dbp_pool_get_shared(struct dbp_pool *,
		    struct dbp_session *s);
/* dbp_pool_to_shared: be (just taken for a session) becomes shared. */
void		 dbp_pool_to_shared(struct dbp_backend *be);
/*
 * dbp_pool_shared_empty: shared be has nothing queued (the end of a
 * read): a retired one (dirty) or one whose first session never sent
 * its command closes; at pool_max with sessions in line, it closes to
 * make room for theirs.
 */
void		 dbp_pool_shared_empty(struct dbp_backend *be);
/* dbp_pool_prune: shared connections unused for DBP_SHARE_IDLE_MS close
   (the tick). */
void		 dbp_pool_prune(struct dbp_pool *);
/* dbp_pool_unwait: s leaves the line (timeout, close). */
void		 dbp_pool_unwait(struct dbp_pool *, struct dbp_session *s);
/*
 * dbp_pool_release: s is done with be. clean: no answer in flight, so be
 * is reset and reused; otherwise (or if dirty) it is closed.
 */
void		 dbp_pool_release(struct dbp_backend *be, int clean);
/* dbp_pool_ready: be logged in or was reset: a waiter or the idle list. */
void		 dbp_pool_ready(struct dbp_backend *be);
/* dbp_pool_failed: be could not connect or log in (cause: why). */
void		 dbp_pool_failed(struct dbp_backend *be, const char *cause);
/* dbp_pool_close: frees be, whatever its state (a shared one's queue
   is empty: dbp_share_lost). While share.c reads from it, be is only
   marked dead, and freed when that read ends. */
void		 dbp_pool_close(struct dbp_backend *be);

/* backend.c: the client side of the protocol, to log in a connection. */
struct dbp_backend *dbp_backend_open(struct dbp_pool *, uint32_t caps,
		    uint8_t charset);
void		 dbp_backend_reset(struct dbp_backend *);
void		 dbp_backend_free(struct dbp_backend *);
/* dbp_backend_stmt: be's id for session statement sid, or NULL. */
struct dbp_bstmt *dbp_backend_stmt(struct dbp_backend *, uint32_t sid);
void		 dbp_backend_stmt_del(struct dbp_backend *, uint32_t sid);
/* dbp_backend_stmt_of: be's id for st: by st's id, or on a shared
   connection by its text. NULL: not prepared there. */
struct dbp_stmt;
struct dbp_bstmt *dbp_backend_stmt_of(struct dbp_backend *,
		    const struct dbp_stmt *st);
/* dbp_backend_stmt_put: st was prepared on be as bid. On a shared
   connection that has the text already (two sessions prepared it at
   once) the new id is closed; past DBP_SHARED_STMT_MAX statements a
   shared connection retires (dirty: no newcomers). */
struct dbp_bstmt *dbp_backend_stmt_put(struct dbp_backend *,
		    const struct dbp_stmt *st, uint32_t bid);

/*
 * dbp_pkt_peek: the first frame in buf, whole: its payload is copied
 * into out (at most max bytes). Returns the payload length, -1 if the
 * frame is not all there yet, -2 if longer than max.
 */
struct evbuffer;
long		 dbp_pkt_peek(struct evbuffer *buf, uint8_t *out, size_t max,
		    uint8_t *seq);

#endif
