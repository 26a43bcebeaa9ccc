/*
 * lifecycle_worker.c: the event-loop threads. Each worker owns one
 * event_base and everything on it, and the base has no lock: the main
 * thread never touches it. It asks for a new generation, a stop or a kill
 * through the worker's own fields (next_gen, stop_asked, kill_asked) and
 * rings its eventfd; the worker acts on its loop. See lifecycle.h.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void lc_worker_knocked(evutil_socket_t, short, void *);

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
	/* Requests made before this point wait in the eventfd. */
	w->knock_ev = event_new(w->base, w->knock, EV_READ | EV_PERSIST,
	    lc_worker_knocked, w);
	event_add(w->knock_ev, NULL);
	if (ops->worker_start(w) == -1)
		log_warnx("worker %u failed to start", w->id);
	else
		event_base_dispatch(w->base);
	if (ops->worker_end != NULL)
		ops->worker_end(w);
	event_free(w->tick);
	w->tick = NULL;
	event_free(w->knock_ev);
	w->knock_ev = NULL;
	atomic_store(&w->done, 1);
	return NULL;
}

/*
 * A worker's event base, without a lock (one thread uses it: taking the
 * lock around every event_add and del was 4 % of lbd's user-space
 * instructions per request). epoll with libevent's changelist: the interest
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
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST |
	    EVENT_BASE_FLAG_NOLOCK);
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
	atomic_init(&w->next_gen, NULL);
	if ((w->knock = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		return -1;
	if ((w->base = lc_worker_base_new()) == NULL ||
	    pthread_create(&w->thread, NULL, lc_worker_main, w) != 0) {
		if (w->base != NULL)
			event_base_free(w->base);
		w->base = NULL;
		close(w->knock);
		return -1;
	}
	return 0;
}

/* Wakes w's loop: lc_worker_knocked runs there. */
static void
lc_worker_knock(struct lc_worker *w)
{
	uint64_t one = 1;

	while (write(w->knock, &one, sizeof(one)) == -1 && errno == EINTR)
		;	/* EAGAIN: the counter is full, the knock is pending */
}

/* On w's thread: the generation the main thread published, if any. */
static void
lc_worker_swap(struct lc_worker *w)
{
	struct lc_gen *old = w->gen, *g;

	if ((g = atomic_exchange(&w->next_gen, NULL)) == NULL)
		return;
	w->gen = g;
	atomic_store(&w->gen_id, w->gen->id);
	if (lc_ops(w->lc)->worker_reload != NULL)
		lc_ops(w->lc)->worker_reload(w, old);
	lc_gen_unref(old);
}

/* On w's thread: stop accepting, and end once idle. */
static void
lc_worker_stop_here(struct lc_worker *w)
{
	if (w->stopping)
		return;
	w->stopping = 1;
	if (lc_ops(w->lc)->worker_stop_accept != NULL)
		lc_ops(w->lc)->worker_stop_accept(w);
	if (w->conns == 0)
		event_base_loopexit(w->base, NULL);
}

/* The eventfd rang: whatever was asked, in the order a reload, a stop,
   a kill. */
static void
lc_worker_knocked(evutil_socket_t fd, short ev, void *arg)
{
	struct lc_worker *w = arg;
	uint64_t n;

	(void)ev;
	while (read(fd, &n, sizeof(n)) == -1 && errno == EINTR)
		;	/* EAGAIN: a knock already taken */
	lc_worker_swap(w);
	if (atomic_load(&w->stop_asked))
		lc_worker_stop_here(w);
	if (atomic_load(&w->kill_asked))
		event_base_loopbreak(w->base);
}

/* lc_worker_publish: hands gen to worker w; a generation published
   before and not yet taken is replaced (the worker skips it). */
void
lc_worker_publish(struct lc_worker *w, struct lc_gen *gen)
{
	lc_gen_unref(atomic_exchange(&w->next_gen, lc_gen_ref(gen)));
	lc_worker_knock(w);
}

/* lc_worker_stop: asks w to stop accepting and end once idle. */
void
lc_worker_stop(struct lc_worker *w)
{
	atomic_store(&w->stop_asked, 1);
	lc_worker_knock(w);
}

/* lc_worker_kill: ends w's loop now, in-flight connections or not. */
void
lc_worker_kill(struct lc_worker *w)
{
	atomic_store(&w->kill_asked, 1);
	lc_worker_knock(w);
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
	close(w->knock);
	lc_gen_unref(atomic_exchange(&w->next_gen, NULL));
	lc_gen_unref(w->gen);
	w->gen = NULL;
}
