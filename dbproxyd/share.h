/*
 * share.h: multiplexing (`multiplex: N`): autocommit reads of sessions
 * whose state is the same run on shared server connections, up to N in
 * flight on one, pipelined. A shared connection keeps a queue of the
 * sessions whose command (or step: replay, prepare) it was sent, in
 * order; the server answers in that order, so the answer at the head of
 * its input is always the first queued session's, walked with that
 * session's own response state (forward.c).
 *
 * What makes it safe: a shared connection is taken from the idle pool
 * (reset), gets its first session's log replayed (its "sig"), and then
 * serves only sessions with exactly that log, dialect and character set.
 * Only reads that leave no state run on it (share_ok: no user variables,
 * warnings, FOUND_ROWS, transactions, temporary tables...); everything
 * else uses the session's own connection, as without multiplexing.
 */
#ifndef DBPROXYD_SHARE_H
#define DBPROXYD_SHARE_H

#include "dbproxyd.h"

/* dbp_share_ok: may s's current command (routed to s->target) run on a
   shared connection? */
int	dbp_share_ok(const struct dbp_session *s);
/* dbp_share_fits: may be (SHARED) take s's command now? Its state is
   s's (log, dialect, character set) and it takes newcomers. */
int	dbp_share_fits(const struct dbp_backend *be,
	    const struct dbp_session *s);
/* dbp_share_applied: s, the first session on be, has replayed its log
   there and sends its command: be takes other sessions of that state. */
void	dbp_share_applied(struct dbp_backend *be, const struct dbp_session *s);

/*
 * dbp_share_stalled: has be's head waited for its answer longer than
 * multiplex_stall (a slow query)? Newcomers then go elsewhere: a read
 * queued behind a slow one waits for it (pipelining's price), so no more
 * are sent after it.
 */
int	dbp_share_stalled(const struct dbp_backend *be,
	    const struct dbproxyd_conf *c, uint64_t now_us);
/* dbp_share_push: s sent a command or step on be: its answer is queued. */
void	dbp_share_push(struct dbp_backend *be, struct dbp_session *s);
/* dbp_share_pop: s's answer ended (before the session goes on). 1 when
   s was a zombie (its client left while it was queued): freed now. */
int	dbp_share_pop(struct dbp_backend *be, struct dbp_session *s);
/*
 * dbp_share_answered: s's command on be is answered (after the status
 * flags were tracked). A transaction open there (which no read it may
 * run should open) is the connection's, not the session's: be retires
 * (closed now if nothing is queued, which rolls it back) and s hears
 * at its next command that its transaction is gone.
 */
void	dbp_share_answered(struct dbp_backend *be, struct dbp_session *s);
/*
 * dbp_share_orphaned: s turned zombie (dbp_session_close). If its answer
 * is the one being walked, its connection may be paused for s's client
 * output (back-pressure), and only s's drain would have resumed it: it
 * reads again, and what it holds already is walked from the loop.
 */
void	dbp_share_orphaned(struct dbp_session *s);
/* dbp_share_read: bytes from be: the answers go to the queued sessions,
   head first, as far as they are there. */
void	dbp_share_read(struct dbp_backend *be);
/*
 * dbp_share_lost: be failed (or the server spoke out of turn): it
 * closes; every queued session whose answer had not started is sent
 * again (a read: dbp_command_retry) or gets an ERR, one whose answer
 * had started closes, a zombie is freed.
 *
 * A client that leaves while queued does not end the connection: its
 * session stays as a zombie (no io, swallow) until its answer has been
 * walked and dropped (dbp_session_close, dbp_share_pop).
 */
void	dbp_share_lost(struct dbp_backend *be);

#endif
