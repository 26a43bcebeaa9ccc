/*
 * upstream_pool.c: a worker's keep-alive connections to a group's servers
 * (see upstream.h).
 *
 * Plain fds and one struct event per connection, not bufferevents: an
 * idle pooled connection needs nothing but "tell me if the server closes
 * or times out", and a bufferevent would add two evbuffers, watermarks
 * and deferred callbacks per connection and read the server's bytes into
 * its own buffer. The proxy moves data with evbuffer_read/evbuffer_write
 * on the fd (or wraps it in a bufferevent of its choosing, TLS included),
 * so the pool hands out the fd and stays out of the data path.
 *
 * Idle lists are LIFO per server: the most recently used connection is
 * reused first (its server-side keep-alive timer is the freshest), and the
 * oldest is the one closed when the list is full.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "net.h"
#include "upstream.h"
#include "util.h"

TAILQ_HEAD(upstream_conn_list, upstream_conn);

struct upstream_idle {
	struct upstream_conn_list	list;	/* head: most recent */
	int				n;
	void				*train;	/* upstream_pool_train */
};

struct upstream_pool {
	struct event_base		*base;
	struct upstream_group		*g;
	struct upstream_pool_conf	 conf;
	struct upstream_sel		 sel;
	struct upstream_idle		*idle;	/* [g->nservers] */
	int				 nlive;	/* connecting or busy */
	int				 dying;
	TAILQ_HEAD(, upstream_waiter)	 waiters;	/* FIFO */
	size_t				 nwaiters;
	struct event			*wait_timer;	/* polls while any */
};

static void	upstream_connect_cb(evutil_socket_t, short, void *);
static void	upstream_fail_cb(evutil_socket_t, short, void *);
static void	upstream_idle_cb(evutil_socket_t, short, void *);
static void	upstream_idle_expired(void *);

static struct timeval *
upstream_tv(struct timeval *tv, uint64_t ms)
{
	if (ms == 0)
		return NULL;
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

struct upstream_pool *
upstream_pool_new(struct event_base *base, struct upstream_group *g,
    const struct upstream_pool_conf *conf)
{
	struct upstream_pool *p;
	size_t i;

	p = xcalloc(1, sizeof(*p));
	p->base = base;
	p->g = upstream_group_ref(g);
	p->conf = *conf;
	upstream_sel_init(&p->sel, g);
	p->idle = xcalloc(MAXIMUM(g->nservers, 1), sizeof(*p->idle));
	for (i = 0; i < g->nservers; i++)
		TAILQ_INIT(&p->idle[i].list);
	TAILQ_INIT(&p->waiters);
	return p;
}

static void
upstream_pool_destroy(struct upstream_pool *p)
{
	if (p->wait_timer != NULL)
		event_free(p->wait_timer);
	upstream_sel_free(&p->sel);
	upstream_group_unref(p->g);
	free(p->idle);
	free(p);
}

/* Closes and frees a connection that is in no list. */
static void
upstream_conn_free(struct upstream_conn *c)
{
	if (c->user != NULL && c->user_free != NULL)
		c->user_free(c->user);
	if (c->ev != NULL)
		event_free(c->ev);
	ltimer_free(&c->idle);
	if (c->fd != -1)
		close(c->fd);
	free(c->error);
	free(c);
}

/* A connecting or busy connection ends: counts go down, pool may go. */
static void
upstream_conn_end(struct upstream_conn *c)
{
	struct upstream_pool *p = c->pool;

	atomic_fetch_sub_explicit(&c->server->active, 1, memory_order_relaxed);
	upstream_conn_free(c);
	if (--p->nlive == 0 && p->dying)
		upstream_pool_destroy(p);
}

static void
upstream_idle_remove(struct upstream_conn *c)
{
	struct upstream_idle *l = &c->pool->idle[c->server->index];

	TAILQ_REMOVE(&l->list, c, entry);
	l->n--;
}

/*
 * Wakes waiters: with all set, every one of them as timed out (the pool
 * goes away); else the expired ones as timed out, then from the head
 * while some server has a free slot (each woken request takes one, which
 * upstream_group_full sees at once through the active counts).
 */
static void
upstream_wake(struct upstream_pool *p, int all)
{
	struct upstream_waiter *w;
	uint64_t now = util_now_ms();
	size_t budget = p->nwaiters;	/* a re-queued waiter waits a turn */

	while (budget-- > 0 && (w = TAILQ_FIRST(&p->waiters)) != NULL) {
		int expired = all || now >= w->deadline_ms;

		if (!expired && upstream_group_full(p->g, now))
			break;
		TAILQ_REMOVE(&p->waiters, w, entry);
		p->nwaiters--;
		w->queued = 0;
		w->cb(w->arg, expired);
	}
	/* Expired ones further down the queue. */
	if (!all) {
		struct upstream_waiter *next;

		for (w = TAILQ_FIRST(&p->waiters); w != NULL; w = next) {
			next = TAILQ_NEXT(w, entry);
			if (now >= w->deadline_ms) {
				TAILQ_REMOVE(&p->waiters, w, entry);
				p->nwaiters--;
				w->queued = 0;
				w->cb(w->arg, 1);
			}
		}
	}
	if (p->wait_timer != NULL && p->nwaiters == 0)
		event_del(p->wait_timer);
}

static void
upstream_wait_cb(evutil_socket_t fd, short ev, void *arg)
{
	upstream_wake(arg, 0);
}

void
upstream_pool_wait(struct upstream_pool *p, struct upstream_waiter *w,
    upstream_wait_fn cb, void *arg, uint64_t timeout_ms)
{
	struct timeval tv = { 0, 10 * 1000 };

	w->cb = cb;
	w->arg = arg;
	w->deadline_ms = util_now_ms() + timeout_ms;
	w->queued = 1;
	TAILQ_INSERT_TAIL(&p->waiters, w, entry);
	p->nwaiters++;
	if (p->wait_timer == NULL)
		p->wait_timer = event_new(p->base, -1, EV_PERSIST,
		    upstream_wait_cb, p);
	if (!event_pending(p->wait_timer, EV_TIMEOUT, NULL))
		event_add(p->wait_timer, &tv);
}

void
upstream_pool_unwait(struct upstream_pool *p, struct upstream_waiter *w)
{
	if (!w->queued)
		return;
	TAILQ_REMOVE(&p->waiters, w, entry);
	p->nwaiters--;
	w->queued = 0;
}

struct upstream_group *
upstream_pool_group(const struct upstream_pool *p)
{
	return p->g;
}

int
upstream_pool_dying(const struct upstream_pool *p)
{
	return p->dying;
}

size_t
upstream_pool_waiting(const struct upstream_pool *p)
{
	return p->nwaiters;
}

void
upstream_pool_free(struct upstream_pool *p)
{
	struct upstream_conn *c;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->g->nservers; i++) {
		while ((c = TAILQ_FIRST(&p->idle[i].list)) != NULL) {
			upstream_idle_remove(c);
			upstream_conn_free(c);
		}
	}
	p->dying = 1;
	upstream_wake(p, 1);	/* nobody waits on a pool that goes */
	if (p->nlive == 0)
		upstream_pool_destroy(p);
}

struct upstream_server *
upstream_pool_select(struct upstream_pool *p,
    const struct upstream_server *avoid)
{
	return upstream_select(p->g, &p->sel, avoid, util_now_ms());
}

struct upstream_server *
upstream_pool_select_key(struct upstream_pool *p,
    const struct upstream_server *avoid, const struct upstream_key *key)
{
	return upstream_select_key(p->g, &p->sel, avoid, util_now_ms(), key);
}

int
upstream_pool_idle(const struct upstream_pool *p,
    const struct upstream_server *s)
{
	return p->idle[s->index].n;
}

/* Takes the most recent idle connection to s, or NULL. */
static struct upstream_conn *
upstream_idle_take(struct upstream_pool *p, struct upstream_server *s)
{
	struct upstream_conn *c;

	if ((c = TAILQ_FIRST(&p->idle[s->index].list)) == NULL)
		return NULL;
	upstream_idle_remove(c);
	if (!c->user_watches)
		event_del(c->ev);
	ltimer_set(&c->idle, 0);
	c->state = UPSTREAM_CONN_BUSY;
	c->uses++;
	atomic_fetch_add_explicit(&s->n_reuses, 1, memory_order_relaxed);
	return c;
}

/* Errors of connect(2) that say nothing about the server. */
static int
upstream_local_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM || err == EADDRNOTAVAIL;
}

/*
 * Schedules the failure of a connect that failed at once: the callback
 * runs from the loop, as promised. cause is taken.
 */
static int
upstream_fail_later(struct upstream_conn *c, char *cause, int err)
{
	c->error = cause;
	if (!upstream_local_error(err))
		upstream_server_failed(c->server, util_now_ms());
	c->ev = event_new(c->pool->base, -1, 0, upstream_fail_cb, c);
	if (c->ev == NULL)
		return -1;
	event_active(c->ev, EV_TIMEOUT, 1);
	return 0;
}

/* Starts a new connection for c; *ready when it is connected already. */
static int
upstream_connect(struct upstream_conn *c, int *ready)
{
	struct upstream_pool *p = c->pool;
	struct timeval tv;
	char *cause;
	int inprog;

	c->fd = net_connect(&c->server->addr, &inprog, &cause);
	if (c->fd == -1)
		return upstream_fail_later(c, cause, errno);
	atomic_fetch_add_explicit(&c->server->n_connects, 1,
	    memory_order_relaxed);
	if (!inprog) {
		c->state = UPSTREAM_CONN_BUSY;
		*ready = 1;
		return 0;
	}
	c->ev = event_new(p->base, c->fd, EV_WRITE, upstream_connect_cb, c);
	if (c->ev == NULL)
		return -1;
	event_add(c->ev, upstream_tv(&tv, p->conf.connect_timeout_ms));
	return 0;
}

struct upstream_conn *
upstream_get(struct upstream_pool *p, struct upstream_server *s,
    upstream_ready_fn cb, void *arg, int *ready)
{
	struct upstream_conn *c;

	*ready = 0;
	if ((c = upstream_idle_take(p, s)) == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		if (ltimer_init(&c->idle, p->base, upstream_idle_expired,
		    c) == -1) {
			free(c);
			return NULL;
		}
		c->fd = -1;
		c->server = s;
		c->pool = p;
		c->state = UPSTREAM_CONN_CONNECTING;
	} else
		*ready = 1;
	c->cb = cb;
	c->arg = arg;
	atomic_fetch_add_explicit(&s->active, 1, memory_order_relaxed);
	p->nlive++;
	if (!*ready && upstream_connect(c, ready) == -1) {
		upstream_conn_end(c);
		return NULL;
	}
	return c;
}

/* Tells the caller a connect failed, then frees the connection. */
static void
upstream_connect_failed(struct upstream_conn *c)
{
	c->cb(c, c->error, c->arg);
	upstream_conn_end(c);
}

static void
upstream_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	upstream_connect_failed(arg);
}

static void
upstream_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upstream_conn *c = arg;
	char buf[NET_ADDR_STRLEN];
	int err;

	addr_format(&c->server->addr, buf, sizeof(buf));
	if (what & EV_TIMEOUT) {
		xasprintf(&c->error, "connect %s: timed out after %llu ms",
		    buf, (unsigned long long)c->pool->conf.connect_timeout_ms);
		err = ETIMEDOUT;
	} else if ((err = net_connect_result(fd)) != 0)
		xasprintf(&c->error, "connect %s: %s", buf, strerror(err));
	if (err != 0) {
		if (!upstream_local_error(err))
			upstream_server_failed(c->server, util_now_ms());
		upstream_connect_failed(c);
		return;
	}
	c->state = UPSTREAM_CONN_BUSY;
	c->cb(c, NULL, c->arg);
}

/*
 * An idle connection saw an event: the server closed it, sent bytes we
 * never asked for, or the idle timeout passed. Either way it is dropped.
 */
static void
upstream_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upstream_conn *c = arg;

	(void)fd;
	log_debug("upstream %s: idle connection to %s %s", c->pool->g->name,
	    c->server->name, (what & EV_TIMEOUT) ? "timed out" :
	    "closed by the server");
	upstream_idle_remove(c);
	upstream_conn_free(c);
}

/* The idle timeout passed (ltimer: a busy connection's is cleared). */
static void
upstream_idle_expired(void *arg)
{
	upstream_idle_cb(-1, EV_TIMEOUT, arg);
}

void
upstream_idle_lost(struct upstream_conn *c)
{
	if (c->state != UPSTREAM_CONN_IDLE)
		return;
	upstream_idle_cb(-1, EV_READ, c);
}

void **
upstream_pool_train(struct upstream_pool *p, const struct upstream_server *s)
{
	return &p->idle[s->index].train;
}

void
upstream_pool_wake(struct upstream_pool *p)
{
	if (!p->dying && p->nwaiters > 0)
		upstream_wake(p, 0);
}

/* Puts a busy connection on its server's idle list (the list has room). */
static void
upstream_idle_put(struct upstream_conn *c)
{
	struct upstream_pool *p = c->pool;
	struct upstream_idle *l = &p->idle[c->server->index];
	struct upstream_conn *old;

	if (l->n >= p->conf.max_idle) {
		old = TAILQ_LAST(&l->list, upstream_conn_list);
		upstream_idle_remove(old);
		upstream_conn_free(old);
	}
	c->state = UPSTREAM_CONN_IDLE;
	c->cb = NULL;
	c->arg = NULL;
	/* Watch for a close by the server, unless the user's object does
	   (then only the lazy idle timer runs: no epoll interest change and
	   no event operation per release). */
	if (!c->user_watches) {
		event_del(c->ev);
		event_assign(c->ev, p->base, c->fd, EV_READ, upstream_idle_cb,
		    c);
		event_add(c->ev, NULL);
	}
	ltimer_set(&c->idle, (int64_t)p->conf.idle_timeout_ms);
	TAILQ_INSERT_HEAD(&l->list, c, entry);
	l->n++;
}

void
upstream_release(struct upstream_conn *c, enum upstream_outcome outcome)
{
	struct upstream_pool *p = c->pool;

	if (c->state == UPSTREAM_CONN_CONNECTING) {
		upstream_conn_end(c);		/* cancelled: no verdict */
		return;
	}
	if (outcome == UPSTREAM_REUSE || outcome == UPSTREAM_CLOSE)
		upstream_server_ok(c->server);
	else if (outcome == UPSTREAM_FAILED)
		upstream_server_failed(c->server, util_now_ms());
	if (outcome != UPSTREAM_REUSE || p->dying || p->conf.max_idle <= 0) {
		int dying = p->dying;	/* conn_end may free a dying pool */

		upstream_conn_end(c);
		if (!dying && p->nwaiters > 0)
			upstream_wake(p, 0);
		return;
	}
	if (!c->user_watches && c->ev == NULL &&
	    (c->ev = event_new(p->base, -1, 0, upstream_idle_cb, c)) == NULL) {
		upstream_conn_end(c);
		return;
	}
	atomic_fetch_sub_explicit(&c->server->active, 1, memory_order_relaxed);
	p->nlive--;
	upstream_idle_put(c);
	if (p->nwaiters > 0)
		upstream_wake(p, 0);
}
