/*
 * pool.c: an app's worker processes on one event-loop thread (see pool.h).
 *
 * A process is usable as soon as it is spawned: its socket is connected
 * (or queued in its listening socket's backlog), so a request can be
 * written before the worker has even started; it reads it when it is up.
 * Deaths are noticed by the socket closing; the process is then reaped
 * with waitpid(pid, WNOHANG), polled for a short while, since the socket
 * closes a moment before the process becomes a zombie.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "appd.h"
#include "cgi.h"
#include "conf.h"
#include "direct_pool.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "proc.h"
#include "request.h"
#include "launch.h"
#include "util.h"

#define POOL_REAP_MS		5
#define POOL_BACKOFF_MIN_MS	10
#define POOL_MAINT_MS		1000
#define POOL_AHEAD_US		1000

static void	pool_fill(struct appd_pool *);
static void	pool_dispatch(struct appd_pool *);
static void	pool_free(struct appd_pool *);

struct appd_app_metrics *
pool_metrics(const char *app)
{
	struct appd_app_metrics *m = xcalloc(1, sizeof(*m));
	struct metrics *r = appd_registry;
	char l[160], v[128];

	metrics_label_value(v, sizeof(v), app);
	snprintf(l, sizeof(l), "app=\"%s\"", v);
	m->running = metrics_gauge(r, "app_workers", "Worker processes "
	    "running.", l);
	m->idle = metrics_gauge(r, "app_workers_idle", "Idle workers.", l);
	m->busy = metrics_gauge(r, "app_workers_busy", "Busy workers.", l);
	m->queued = metrics_gauge(r, "app_queue_length", "Requests waiting "
	    "for a worker.", l);
	m->requests = metrics_counter(r, "app_requests_total", "Requests "
	    "given to a worker.", l);
	m->errors = metrics_counter(r, "app_errors_total", "Requests that "
	    "got a 5xx from appd (crash, timeout, bad answer, full queue).", l);
	m->timeouts = metrics_counter(r, "app_timeouts_total", "Requests "
	    "killed at request_timeout.", l);
	m->crashes = metrics_counter(r, "app_crashes_total", "Workers that "
	    "died unasked (a signal or an exit).", l);
	m->recycles = metrics_counter(r, "app_recycles_total", "Workers "
	    "stopped after max_requests.", l);
	m->rejections = metrics_counter(r, "app_rejections_total", "Requests "
	    "refused with 503 (queue full or queue timeout).", l);
	m->spawns = metrics_counter(r, "app_spawns_total", "Workers started.",
	    l);
	m->latency = metrics_histogram(r, "app_duration_microseconds",
	    "Time from giving a request to a worker to its end.", l,
	    metrics_latency_us_bounds, metrics_latency_us_nbounds);
	return m;
}

/* Moves p between the idle and busy counts (gauges summed over threads). */
static void
pool_count(struct appd_pool *pool, enum appd_proc_state from,
    enum appd_proc_state to)
{
	if (from == APPD_PROC_IDLE) {
		pool->nidle--;
		metric_add(pool->m->idle, -1);
	} else if (from == APPD_PROC_BUSY) {
		pool->nbusy--;
		metric_add(pool->m->busy, -1);
	}
	if (to == APPD_PROC_IDLE) {
		pool->nidle++;
		metric_add(pool->m->idle, 1);
	} else if (to == APPD_PROC_BUSY) {
		pool->nbusy++;
		metric_add(pool->m->busy, 1);
	}
}

static void
pool_set_state(struct appd_proc *p, enum appd_proc_state to)
{
	pool_count(p->pool, p->state, to);
	if (to == APPD_PROC_IDLE)
		p->idle_since_ms = util_now_ms();
	if ((p->state == APPD_PROC_IDLE || p->state == APPD_PROC_BUSY) &&
	    to != APPD_PROC_IDLE && to != APPD_PROC_BUSY)
		p->pool->nlive--;
	p->state = to;
}

void
pool_proc_state(struct appd_proc *p, enum appd_proc_state to)
{
	pool_set_state(p, to);
}

/* Starts one worker (or external connection); 0 or -1 (logged). */
static int
pool_spawn(struct appd_pool *pool)
{
	const struct appd_app *a = pool->app;
	struct appd_proc *p;
	char *cause = NULL;
	int m, child;
	pid_t pid;

	if (pool->dp != NULL)
		p = direct_spawn(pool);
	else if (a->kind == APPD_FASTCGI && a->fcgi_addr.len > 0)
		p = proc_connect(pool, &a->fcgi_addr);
	else {
		if (launch_socket(a, &m, &child, &cause) == -1) {
			log_warnx("app %s: %s", a->name, cause);
			free(cause);
			return -1;
		}
		pid = launch_worker(pool->gen->conf, a, child, NULL, &cause);
		close(child);
		if (pid == -1) {
			log_warnx("app %s: %s", a->name, cause);
			free(cause);
			close(m);
			return -1;
		}
		p = proc_new(pool, pid, m);
	}
	if (p == NULL)
		return -1;
	p->next = pool->procs;
	if (pool->procs != NULL)
		pool->procs->prev = p;
	pool->procs = p;
	pool->nprocs++;
	pool->nlive++;
	pool->nidle++;
	metric_add(pool->m->idle, 1);
	metric_add(pool->m->running, 1);
	metric_inc(pool->m->spawns);
	return 0;
}

/* How many workers the pool mode wants alive now. */
static size_t
pool_target(const struct appd_pool *pool)
{
	const struct appd_app *a = pool->app;
	size_t want;

	switch (a->pm) {
	case APPD_PM_DYNAMIC:
		want = pool->nbusy + (size_t)a->min_spare + pool->qlen;
		break;
	case APPD_PM_ONDEMAND:
		want = pool->nbusy + pool->qlen;
		break;
	default:
		want = pool->max;
		break;
	}
	if (a->kind == APPD_CGI)
		return 0;	/* a process per request, no pool */
	/* External servers: a connection per request, made when needed (a
	   connection made ahead could wait unaccepted behind another). */
	if (a->kind == APPD_FASTCGI && a->fcgi_addr.len > 0)
		want = pool->nbusy + pool->qlen;
	return MINIMUM(want, pool->max);
}

void
pool_grow(struct appd_pool *pool)
{
	if (!pool->retired && !pool->backoff && pool->nlive < pool->max &&
	    pool_spawn(pool) == -1)
		pool->crashes_in_row++;
}

void
pool_grow_to_target(struct appd_pool *pool)
{
	pool_fill(pool);
}

/* Respawn after the back-off. */
static void
pool_respawn_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_pool *pool = arg;

	pool->backoff = 0;
	pool_fill(pool);
	pool_dispatch(pool);
}

/* Starts workers up to the target, unless backing off or retired. */
static void
pool_fill(struct appd_pool *pool)
{
	while (!pool->retired && !pool->backoff &&
	    pool->nlive < pool_target(pool))
		if (pool_spawn(pool) == -1) {
			pool->crashes_in_row++;
			break;
		}
}

/* cgi: starts queued requests while fewer than max scripts run. */
static void
pool_dispatch_cgi(struct appd_pool *pool)
{
	struct appd_req *q;

	while ((q = pool->qhead) != NULL && pool->nbusy < pool->max) {
		pool_unqueue(pool, q);
		pool->nbusy++;
		metric_add(pool->m->busy, 1);
		metric_inc(pool->m->requests);
		cgi_run(pool, q);
	}
}

void
pool_cgi_done(struct appd_pool *pool)
{
	pool->nbusy--;
	metric_add(pool->m->busy, -1);
	if (pool->retired && pool->nbusy == 0 && !pool->holding)
		pool_free(pool);
	else if (!pool->retired)
		pool_dispatch_cgi(pool);
}

/*
 * A busy module worker to send a request ahead to: the shallowest one
 * whose current request began under POOL_AHEAD_US ago (a long request
 * would hold the ones behind it), within pipeline and max_requests.
 */
static struct appd_proc *
pool_ahead(struct appd_pool *pool)
{
	const struct appd_app *a = pool->app;
	struct appd_proc *p, *best = NULL;
	uint64_t now;

	if (a->kind == APPD_CGI || a->fcgi_addr.len > 0 || a->pipeline <= 1)
		return NULL;
	now = util_now_us();
	for (p = pool->procs; p != NULL; p = p->next)
		if (p->state == APPD_PROC_BUSY && p->req != NULL &&
		    p->depth < (unsigned)a->pipeline &&
		    now - p->req->t_run_us < POOL_AHEAD_US &&
		    (a->max_requests == 0 || p->requests + p->depth <
		    (uint64_t)a->max_requests) &&
		    (best == NULL || p->depth < best->depth))
			best = p;
	return best;
}

/* Gives queued requests to idle workers. */
static void
pool_dispatch(struct appd_pool *pool)
{
	struct appd_proc *p;
	struct appd_req *q;

	if (pool->app->kind == APPD_CGI)
		return pool_dispatch_cgi(pool);
	for (p = pool->procs; p != NULL && pool->qhead != NULL; p = p->next) {
		if (p->state != APPD_PROC_IDLE)
			continue;
		q = pool->qhead;
		pool_unqueue(pool, q);
		pool_set_state(p, APPD_PROC_BUSY);
		metric_inc(pool->m->requests);
		proc_run(p, q);
	}
	while (pool->qhead != NULL && (p = pool_ahead(pool)) != NULL) {
		q = pool->qhead;
		pool_unqueue(pool, q);
		metric_inc(pool->m->requests);
		proc_run(p, q);
	}
}

/* Queue timeout: 503. */
static void
pool_queue_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_req *q = arg;
	struct appd_pool *pool = q->pool;

	pool_unqueue(pool, q);
	metric_inc(pool->m->rejections);
	metric_inc(pool->m->errors);
	appd_req_reject(q, pool->app->retry_after);
}

void
pool_unqueue(struct appd_pool *pool, struct appd_req *q)
{
	if (!q->queued)
		return;
	if (q->qprev != NULL)
		q->qprev->qnext = q->qnext;
	else
		pool->qhead = q->qnext;
	if (q->qnext != NULL)
		q->qnext->qprev = q->qprev;
	else
		pool->qtail = q->qprev;
	q->qnext = q->qprev = NULL;
	q->queued = 0;
	pool->qlen--;
	metric_add(pool->m->queued, -1);
	if (q->qtimer != NULL)
		evtimer_del(q->qtimer);
}

/* q was linked into the queue: count it and start its timeout. */
static void
pool_queued(struct appd_pool *pool, struct appd_req *q)
{
	const struct appd_app *a = pool->app;
	struct timeval tv = { a->queue_timeout_ms / 1000,
	    (a->queue_timeout_ms % 1000) * 1000 };

	q->queued = 1;
	pool->qlen++;
	metric_add(pool->m->queued, 1);
	if (q->qtimer == NULL)
		q->qtimer = evtimer_new(pool->w->lc->base, pool_queue_timeout, q);
	evtimer_add(q->qtimer, &tv);
}

void
pool_resubmit(struct appd_pool *pool, struct appd_req *q)
{
	const struct appd_app *a = pool->app;
	size_t i;

	if (q->c == NULL) {		/* nobody waits for it any more */
		appd_req_free(q);
		return;
	}
	if (pool->retired) {	/* to the same app's pool of this generation */
		for (i = 0; i < pool->w->npools; i++)
			if (strcmp(pool->w->pools[i]->app->name, a->name) == 0)
				break;
		if (i == pool->w->npools) {
			appd_req_reject(q, a->retry_after);
			return;
		}
		pool = pool->w->pools[i];
	}
	q->pool = pool;
	q->qprev = NULL;
	q->qnext = pool->qhead;
	if (pool->qhead != NULL)
		pool->qhead->qprev = q;
	else
		pool->qtail = q;
	pool->qhead = q;
	pool_queued(pool, q);
	/* Dispatched when the pool has a worker again (fill, reap). */
}

/* Appends q to the queue, with its timeout. */
static void
pool_enqueue(struct appd_pool *pool, struct appd_req *q)
{
	q->pool = pool;
	q->qprev = pool->qtail;
	q->qnext = NULL;
	if (pool->qtail != NULL)
		pool->qtail->qnext = q;
	else
		pool->qhead = q;
	pool->qtail = q;
	pool_queued(pool, q);
}

void
pool_submit(struct appd_pool *pool, struct appd_req *q)
{
	q->pool = pool;
	if (pool->qlen >= (size_t)pool->app->queue && pool->nidle == 0 &&
	    (pool->app->kind != APPD_CGI || pool->nbusy >= pool->max)) {
		metric_inc(pool->m->rejections);
		metric_inc(pool->m->errors);
		appd_req_reject(q, pool->app->retry_after);
		return;
	}
	pool_enqueue(pool, q);
	if (pool->nidle == 0)
		pool_fill(pool);
	pool_dispatch(pool);
}

/* Frees a retired pool whose last process is gone. */
static void
pool_free(struct appd_pool *pool)
{
	struct appd_pool **pp;

	for (pp = &pool->w->retired; *pp != NULL; pp = &(*pp)->next)
		if (*pp == pool) {
			*pp = pool->next;
			break;
		}
	if (pool->respawn != NULL)
		event_free(pool->respawn);
	if (pool->maint != NULL)
		event_free(pool->maint);
	direct_pool_free(pool);
	free(pool->m);
	lc_gen_unref(pool->gen);
	free(pool);
}

/* Unlinks a reaped process; a retired pool may end with it. */
static void
pool_forget(struct appd_proc *p)
{
	struct appd_pool *pool = p->pool;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		pool->procs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	pool->nprocs--;
	metric_add(pool->m->running, -1);
	direct_proc_forget(p);
	proc_free(p);
	if (pool->retired && pool->nprocs == 0 && pool->nbusy == 0 &&
	    !pool->holding)
		pool_free(pool);
}

/* The death of an unasked worker: logged, counted, respawn backed off. */
static void
pool_crashed(struct appd_proc *p, int status, int busy)
{
	struct appd_pool *pool = p->pool;
	struct timeval tv;
	uint64_t ms;
	char what[64];

	if (status == -1)
		snprintf(what, sizeof(what), "(a connection to %s) failed or "
		    "was closed", pool->app->address);
	else if (WIFSIGNALED(status))
		snprintf(what, sizeof(what), "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(what, sizeof(what), "exited with status %d",
		    WEXITSTATUS(status));
	log_warnx("app %s: worker %d %s%s%s", pool->app->name, (int)p->pid,
	    what, busy ? " while running " : "", busy ? p->last : "");
	metric_inc(pool->m->crashes);
	if (pool->retired)
		return;
	pool->crashes_in_row++;
	ms = POOL_BACKOFF_MIN_MS << MINIMUM(pool->crashes_in_row - 1, 20);
	if (ms > (uint64_t)((const struct appd_conf *)pool->gen->conf)->
	    respawn_backoff_max_ms)
		ms = (uint64_t)((const struct appd_conf *)pool->gen->conf)->
		    respawn_backoff_max_ms;
	if (pool->crashes_in_row > 1) {
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		pool->backoff = 1;
		evtimer_add(pool->respawn, &tv);
	}
}

/*
 * waitpid until the process is a zombie (a few ms after its socket
 * closed); SIGKILL if it lingers past kill_grace. A death nobody asked
 * for (no recycle, stop or timeout) is a crash when it was a signal or a
 * failing exit status.
 */
static void
pool_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_proc *p = arg;
	struct appd_pool *pool = p->pool;
	struct timeval tv = { 0, POOL_REAP_MS * 1000 };
	int status = 0, busy = p->idle_since_ms == 0;
	pid_t r = p->pid > 0 ? waitpid(p->pid, &status, WNOHANG) : -1;

	if (r == 0) {
		if (++p->reap_tries == pool->app->kill_grace_ms / POOL_REAP_MS)
			kill(p->pid, SIGKILL);
		evtimer_add(p->reaper, &tv);
		return;
	}
	if (r > 0 && !p->timed_out && !p->recycled && !pool->retired &&
	    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0))
		pool_crashed(p, status, busy);
	else if (p->pid == 0 && !p->recycled && !pool->retired)
		pool_crashed(p, -1, busy);	/* refused or dropped */
	else if (r > 0 && p->timed_out)
		log_warnx("app %s: worker %d ended after its request timeout "
		    "(%s)", pool->app->name, (int)p->pid, WIFSIGNALED(status) ?
		    strsignal(WTERMSIG(status)) : "exited");
	if (pool->retired) {
		pool_forget(p);		/* may free the pool */
		return;
	}
	pool_forget(p);
	pool_fill(pool);
	pool_dispatch(pool);
}

void
pool_proc_closed(struct appd_proc *p)
{
	struct appd_pool *pool = p->pool;

	/* Was it running a request? idle_since_ms 0 marks that for the log. */
	if (p->slot >= 0 ? direct_proc_closed(p) : p->state == APPD_PROC_BUSY)
		p->idle_since_ms = 0;
	else
		p->idle_since_ms = 1;
	if (p->timer != NULL)
		evtimer_del(p->timer);
	proc_close(p);
	pool_set_state(p, APPD_PROC_DEAD);
	if (p->reaper == NULL)
		p->reaper = evtimer_new(pool->w->lc->base, pool_reap_cb, p);
	pool_reap_cb(-1, 0, p);
}

/* kill_grace is over: SIGKILL. */
static void
pool_kill_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_proc *p = arg;

	if (p->pid > 0)
		kill(p->pid, SIGKILL);
}

/* SIGKILL in ms unless p is reaped before. */
static void
pool_kill_later(struct appd_proc *p, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event_base *base = p->pool->w->lc->base;

	if (p->timer != NULL)
		evtimer_del(p->timer);
	if (p->timer == NULL)
		p->timer = evtimer_new(base, pool_kill_cb, p);
	else
		evtimer_assign(p->timer, base, pool_kill_cb, p);
	evtimer_add(p->timer, &tv);
}

void
pool_proc_stop(struct appd_proc *p, int sig)
{
	struct appd_pool *pool = p->pool;

	if (p->state == APPD_PROC_DEAD || p->state == APPD_PROC_STOPPING)
		return;
	if (!p->timed_out)
		p->recycled = 1;
	pool_set_state(p, APPD_PROC_STOPPING);
	if (p->pid == 0) {	/* an external connection */
		pool_proc_closed(p);
		return;
	}
	if (p->slot >= 0 && !p->timed_out) {
		/* Its own listener: it drains (its connections are told
		   to close), then ends; its socket's close is the news. */
		direct_proc_stop(p);
		pool_kill_later(p, direct_drain_ms(pool));
		if (!pool->retired)
			pool_fill(pool);
		return;
	}
	if (sig == SIGTERM && !p->timed_out)
		proc_close(p);	/* a module host ends at EOF */
	kill(p->pid, sig);
	pool_kill_later(p, pool->app->kill_grace_ms);
	if (p->bev == NULL)
		pool_proc_closed(p);
	else if (!pool->retired) {
		pool_fill(pool);	/* its replacement starts now */
		pool_dispatch(pool);
	}
}

void
pool_proc_idle(struct appd_proc *p)
{
	struct appd_pool *pool = p->pool;
	const struct appd_app *a = pool->app;

	if (pool->retired || p->pid == 0) {
		/* An external connection serves one request. */
		pool_set_state(p, APPD_PROC_IDLE);
		p->recycled = 1;
		pool_proc_stop(p, SIGTERM);
		return;
	}
	if (a->max_requests > 0 && p->requests >= (uint64_t)a->max_requests) {
		log_info("app %s: worker %d served %llu requests: recycled",
		    a->name, (int)p->pid, (unsigned long long)p->requests);
		metric_inc(pool->m->recycles);
		pool_set_state(p, APPD_PROC_IDLE);
		pool_proc_stop(p, SIGTERM);
		return;
	}
	pool_set_state(p, APPD_PROC_IDLE);
	pool_dispatch(pool);
}

/*
 * Every second for dynamic and ondemand: idle workers over max_spare
 * (dynamic), or idle longer than idle_timeout (ondemand), are stopped;
 * dynamic tops up to min_spare.
 */
static void
pool_maint_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_pool *pool = arg;
	const struct appd_app *a = pool->app;
	struct appd_proc *p, *next;
	uint64_t now = util_now_ms();

	for (p = pool->procs; p != NULL; p = next) {
		next = p->next;
		if (p->state != APPD_PROC_IDLE)
			continue;
		if ((a->pm == APPD_PM_DYNAMIC && pool->nidle >
		    (size_t)a->max_spare) || (a->pm == APPD_PM_ONDEMAND &&
		    now - p->idle_since_ms >= (uint64_t)a->idle_timeout_ms)) {
			p->recycled = 1;
			pool_proc_stop(p, SIGTERM);
		}
	}
	pool_fill(pool);
}

struct appd_pool *
pool_new(struct appd_worker *w, struct lc_gen *gen, const struct appd_app *a)
{
	struct appd_pool *pool = xcalloc(1, sizeof(*pool));
	struct timeval tv = { POOL_MAINT_MS / 1000, 0 };
	unsigned n = lc_nworkers(w->lc->lc);

	pool->w = w;
	pool->gen = lc_gen_ref(gen);
	pool->app = a;
	/* max_children is the app's: each thread runs its share; an app
	   with its own listen has its whole pool on the first thread. */
	pool->max = ((size_t)a->max_children + n - 1) / (n ? n : 1);
	if (a->nladdrs > 0)
		pool->max = w->lc->id == 1 ? (size_t)a->max_children : 0;
	pool->m = pool_metrics(a->name);
	if (pool->max > 0 && a->nladdrs > 0 && direct_pool_init(pool) == -1)
		pool->max = 0;
	pool->respawn = evtimer_new(w->lc->base, pool_respawn_cb, pool);
	if (a->pm != APPD_PM_STATIC) {
		pool->maint = event_new(w->lc->base, -1, EV_PERSIST,
		    pool_maint_cb, pool);
		evtimer_add(pool->maint, &tv);
	}
	pool_fill(pool);
	return pool;
}

/* Moves the queue of pool to next (or answers 503). */
static void
pool_requeue(struct appd_pool *pool, struct appd_pool *next)
{
	struct appd_req *q;

	while ((q = pool->qhead) != NULL) {
		pool_unqueue(pool, q);
		if (next != NULL)
			pool_submit(next, q);
		else
			appd_req_reject(q, pool->app->retry_after);
	}
}

void
pool_retire(struct appd_pool *pool, struct appd_pool *next)
{
	struct appd_proc *p, *pn;

	pool->retired = 1;
	pool_requeue(pool, next);
	if (pool->maint != NULL)
		evtimer_del(pool->maint);
	evtimer_del(pool->respawn);
	pool->next = pool->w->retired;
	pool->w->retired = pool;
	/* A worker reaped at once must not free the pool under the loop. */
	pool->holding = 1;
	for (p = pool->procs; p != NULL; p = pn) {
		pn = p->next;
		/* Direct workers drain, whatever they run. */
		if (p->state == APPD_PROC_IDLE || (p->slot >= 0 &&
		    p->state == APPD_PROC_BUSY))
			pool_proc_stop(p, SIGTERM);
	}
	pool->holding = 0;
	if (pool->nprocs == 0 && pool->nbusy == 0)
		pool_free(pool);
}

void
pool_shutdown(struct appd_pool *pool)
{
	struct appd_proc *p;
	int status, i;

	pool_requeue(pool, NULL);
	cgi_shutdown(pool);
	for (p = pool->procs; p != NULL; p = p->next) {
		proc_detach(p);
		proc_close(p);
		if (p->pid > 0)
			kill(p->pid, SIGTERM);
	}
	/* The end of the daemon: wait a little for each, then SIGKILL. */
	for (p = pool->procs; p != NULL; p = p->next) {
		for (i = 0; p->pid > 0 && i < 200; i++) {
			if (waitpid(p->pid, &status, WNOHANG) != 0)
				break;
			usleep(5000);
		}
		if (p->pid > 0 && i == 200) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
		}
	}
	while (pool->procs != NULL) {
		p = pool->procs;
		pool->procs = p->next;
		proc_free(p);
	}
	pool->nprocs = 0;
	if (!pool->retired) {
		pool->retired = 1;
		pool->next = pool->w->retired;
		pool->w->retired = pool;
	}
	pool_free(pool);
}
