/*
 * lifecycle_worker.c: the event-loop threads. Each worker owns one
 * event_base and everything on it; the main thread talks to a worker only
 * by scheduling a callback on its base (libevent is built thread-aware with
 * evthread_use_pthreads before any base exists). See lifecycle.h.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lifecycle.h"
#include "lifecycle_int.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define LC_DRAIN_POLL_MS	50

struct lc_gen *
lc_gen_ref(struct lc_gen *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	return g;
}

void
lc_gen_unref(struct lc_gen *g)
{
	if (g == NULL)
		return;
	if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (g->conf != NULL)
		g->ops->free_conf(g->conf);
	free(g);
}

void
lc_worker_conn_open(struct lc_worker *w)
{
	w->conns++;
}

void
lc_worker_conn_close(struct lc_worker *w)
{
	if (w->conns > 0)
		w->conns--;
	if (w->stopping && w->conns == 0)
		event_base_loopexit(w->base, NULL);
}

/* The heartbeat the watchdog reads: proof that this loop still turns. */
static void
lc_worker_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct lc_worker *w = arg;

	atomic_fetch_add_explicit(&w->heartbeat, 1, memory_order_relaxed);
	if (w->stopping && w->conns == 0)
		event_base_loopexit(w->base, NULL);
}

static void *
lc_worker_main(void *arg)
{
	struct lc_worker *w = arg;
	const struct lc_ops *ops = lc_ops(w->lc);
	struct timeval tv = { 0, LC_DRAIN_POLL_MS * 1000 };
	sigset_t set;

	/* Signals belong to the main thread's loop. */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	metrics_thread_slot(w->id);
	w->tick = event_new(w->base, -1, EV_PERSIST, lc_worker_tick, w);
	event_add(w->tick, &tv);
	if (ops->worker_start(w) == -1)
		log_warnx("worker %u failed to start", w->id);
	else
		event_base_dispatch(w->base);
	if (ops->worker_end != NULL)
		ops->worker_end(w);
	event_free(w->tick);
	w->tick = NULL;
	atomic_store(&w->done, 1);
	return NULL;
}

/*
 * A worker's event base. epoll with libevent's changelist: the interest
 * changes of one loop turn are merged and applied just before epoll_wait,
 * so the del-then-add that bufferevents and pools make around every
 * request costs one epoll_ctl or none instead of two (measured: lbd's CPU
 * per proxied request fell by a quarter). The changelist's known hazard is
 * dup()ed descriptors: closing one copy before the queued removal applies
 * leaves the open file in the epoll set, so dup()ed Unix listeners close
 * from the loop (net_listener.c). A descriptor closed and reused in one
 * turn is handled by libevent (MOD, then ADD on ENOENT).
 */
struct event_base *
lc_worker_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* lc_worker_spawn: creates worker i's base and thread. 0 or -1. */
int
lc_worker_spawn(struct lifecycle *lc, struct lc_worker *w, unsigned id,
    struct lc_gen *gen)
{
	memset(w, 0, sizeof(*w));
	w->lc = lc;
	w->id = id;
	w->gen = lc_gen_ref(gen);
	atomic_init(&w->gen_id, gen->id);
	if ((w->base = lc_worker_base_new()) == NULL)
		return -1;
	if (pthread_create(&w->thread, NULL, lc_worker_main, w) != 0) {
		event_base_free(w->base);
		w->base = NULL;
		return -1;
	}
	return 0;
}

struct lc_swap {
	struct lc_worker	*w;
	struct lc_gen		*gen;	/* a reference for the worker */
};

static void
lc_worker_swap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct lc_swap *s = arg;
	struct lc_worker *w = s->w;
	struct lc_gen *old = w->gen;

	w->gen = s->gen;
	free(s);
	atomic_store(&w->gen_id, w->gen->id);
	if (lc_ops(w->lc)->worker_reload != NULL)
		lc_ops(w->lc)->worker_reload(w, old);
	lc_gen_unref(old);
}

/* lc_worker_publish: hands gen to worker w on its own thread. */
void
lc_worker_publish(struct lc_worker *w, struct lc_gen *gen)
{
	struct lc_swap *s = xmalloc(sizeof(*s));

	s->w = w;
	s->gen = lc_gen_ref(gen);
	if (event_base_once(w->base, -1, EV_TIMEOUT, lc_worker_swap_cb, s,
	    NULL) == -1) {
		lc_gen_unref(s->gen);
		free(s);
		log_warnx("worker %u: cannot publish generation", w->id);
	}
}

static void
lc_worker_stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct lc_worker *w = arg;

	if (w->stopping)
		return;
	w->stopping = 1;
	if (lc_ops(w->lc)->worker_stop_accept != NULL)
		lc_ops(w->lc)->worker_stop_accept(w);
	if (w->conns == 0)
		event_base_loopexit(w->base, NULL);
}

/* lc_worker_stop: asks w to stop accepting and end once idle. */
void
lc_worker_stop(struct lc_worker *w)
{
	event_base_once(w->base, -1, EV_TIMEOUT, lc_worker_stop_cb, w, NULL);
}

/* lc_worker_kill: ends w's loop now, in-flight connections or not. */
void
lc_worker_kill(struct lc_worker *w)
{
	event_base_loopbreak(w->base);
}

/* lc_worker_join: waits for the thread and frees its base. */
void
lc_worker_join(struct lc_worker *w)
{
	if (w->base == NULL)
		return;
	pthread_join(w->thread, NULL);
	event_base_free(w->base);
	w->base = NULL;
	lc_gen_unref(w->gen);
	w->gen = NULL;
}
