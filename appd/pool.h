/*
 * pool.h: an app's pool of worker processes on one event-loop thread of
 * the master (php-fpm's pm: static, dynamic, ondemand), its bounded queue
 * and its supervision: a worker that dies is reaped and its death logged
 * with the app, the request and the signal; crashes in a row back off the
 * respawn (10 ms doubling up to respawn_backoff_max).
 */
#ifndef APPD_POOL_H
#define APPD_POOL_H

#include "appd.h"

struct appd_req;

/*
 * pool_metrics: the metrics of app, labelled app="name" (creation is
 * idempotent: every thread's pool of an app, and the status page, get the
 * same ones). The caller frees the struct, not the metrics.
 */
struct appd_app_metrics *pool_metrics(const char *app);
/* pool_new: a pool for app of gen on worker w, its workers started. */
struct appd_pool *pool_new(struct appd_worker *w, struct lc_gen *gen,
	    const struct appd_app *app);
/*
 * pool_retire: the pool of an older generation: idle workers stop now,
 * busy ones after their request; queued requests move to next (the new
 * pool of the same app), or get 503 when it is NULL. The pool frees
 * itself once its last worker is reaped.
 */
void	pool_retire(struct appd_pool *, struct appd_pool *next);
/* pool_shutdown: every worker is told to stop and reaped (worker end). */
void	pool_shutdown(struct appd_pool *);
/*
 * pool_submit: runs q on an idle worker, or starts one, or queues q, or
 * answers 503 with Retry-After when the queue is full.
 */
void	pool_submit(struct appd_pool *, struct appd_req *);
/*
 * pool_resubmit: q, sent ahead to a worker that failed before running it,
 * goes back to the front of the queue (no 503: it was admitted).
 */
void	pool_resubmit(struct appd_pool *, struct appd_req *);
/* pool_unqueue: takes a queued q out (the client left, its timeout). */
void	pool_unqueue(struct appd_pool *, struct appd_req *);

/* cgi.c: a script of pool ended (its slot is free). */
void	pool_cgi_done(struct appd_pool *);

/* pool_proc_state: p moves to state to (idle and busy counted). */
void	pool_proc_state(struct appd_proc *, enum appd_proc_state to);
/* pool_grow: one more worker, within max_children (ondemand). */
void	pool_grow(struct appd_pool *);
/* pool_grow_to_target: as many workers as the pool mode wants now. */
void	pool_grow_to_target(struct appd_pool *);

/* What proc.c tells its pool. */
void	pool_proc_idle(struct appd_proc *);	/* a request ended */
void	pool_proc_closed(struct appd_proc *);	/* its socket closed */
void	pool_proc_stop(struct appd_proc *, int sig);	/* recycle, kill */

#endif
