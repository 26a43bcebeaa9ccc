/*
 * hproxy_train.c: pipelining of requests to servers (see hproxy_int.h and
 * the comment below); the rest of forwarding is hproxy.c.
 */
#include <sys/queue.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "hproxy_int.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "sio.h"
#include "util.h"

/*
 * Pipelining (hproxy_conf.pipeline > 1). A GET or HEAD without a body
 * (safe to send twice, RFC 9110 9.2.1) may ride a server connection whose
 * answer is still due, behind up to pipeline - 1 others: the server reads
 * several requests at once and answers them in one write, and each side
 * makes one system call where it made several. The requests of one loop
 * pass leave together, at its end (hproxy_train_flush_soon).
 *
 * What it must never do: give one client another's answer, or lose a
 * request. Answers are matched to requests by order alone, so a request
 * whose client leaves stays on the train as a zombie while others wait,
 * and its answer is read and dropped (hproxy_train_zombie). A connection that
 * ends with riders on it sends them again (hproxy_train_resend). What it
 * costs: a rider waits for the answers ahead of it. So riders join only a
 * head whose answer has been awaited for less than HPROXY_PIPE_STALL_US
 * (hproxy_train_open), and leave for other connections as soon as that
 * answer shows long or its client slow (hproxy_train_evict).
 */

/* p may ride a train, or head one: pipelining on, a GET or HEAD without a
   body. */
int
hproxy_train_fits(const struct hproxy *p)
{
	return p->pc->pipeline > 1 && !p->pc->send_proxy &&
	    p->msg.body == HTTP1_BODY_NONE &&
	    (p->msg.method == HTTP1_METHOD_GET ||
	    p->msg.method == HTTP1_METHOD_HEAD);
}

/* The end-of-pass write of a train's requests. */
static void
hproxy_train_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hproxy_ukeep *uk = arg;

	uk->flushing = 0;
	(void)sio_flush(uk->bev, 0);
}

/*
 * The requests on uk leave at the end of this loop pass (an active event
 * runs after those already active), so that the other clients read in the
 * same pass add theirs to the same write.
 */
void
hproxy_train_flush_soon(struct hproxy_ukeep *uk)
{
	if (uk->flushing)
		return;
	uk->flushing = 1;
	event_active(uk->flush, 0, 0);
}

/*
 * May p ride uk's train now, uk being its server's open train (a train
 * shut, hproxy_train_shut, is no server's)? Only a request that is on its
 * first attempt and never waited in the queue (its t_up_us is now, give
 * or take this loop pass; and none rides twice), behind a head whose
 * answer has been awaited for less than HPROXY_PIPE_STALL_US.
 */
static int
hproxy_train_open(const struct hproxy_ukeep *uk, const struct hproxy *p)
{
	return !TAILQ_EMPTY(&uk->train) && uk->ntrain < p->pc->pipeline &&
	    p->tries == 1 && !p->queued && !p->resent &&
	    (int64_t)(p->t_up_us - uk->since_us) < HPROXY_PIPE_STALL_US;
}

/* uk takes no more riders: it leaves its server's slot, where riders
   find a train (until its connection carries a new one). */
void
hproxy_train_shut(struct hproxy_ukeep *uk)
{
	void **slot;

	if (uk->pool == NULL)
		return;
	slot = upstream_pool_train(uk->pool, uk->srv);
	if (*slot == uk)
		*slot = NULL;
}

static void hproxy_train_held(void *);

/*
 * p, just sent on uk's connection, heads a new train there. The
 * connection's flush event and hold timer are made at its first train
 * (none for a connection that never carries one). 0, or -1 (out of
 * memory: no train).
 */
int
hproxy_train_start(struct hproxy *p, struct hproxy_ukeep *uk)
{
	struct event_base *base = bufferevent_get_base(uk->bev);

	if (uk->flush == NULL) {
		if ((uk->flush = event_new(base, -1, 0, hproxy_train_flush_cb,
		    uk)) == NULL)
			return -1;
		if (ltimer_init(&uk->hold, base, hproxy_train_held,
		    uk) == -1) {
			event_free(uk->flush);
			uk->flush = NULL;
			return -1;
		}
	}
	uk->pool = p->pool;
	uk->srv = p->srv;
	uk->since_us = p->tries == 1 && !p->queued && !p->resent ?
	    p->t_up_us : util_now_us();
	TAILQ_INSERT_TAIL(&uk->train, p, tq);
	uk->ntrain = 1;
	p->uk = uk;
	*upstream_pool_train(p->pool, p->srv) = uk;
	return 0;
}

/* Does anyone wait for an answer on the train from r on? (A train of
   zombies only is closed rather than read.) */
int
hproxy_train_awaited(const struct hproxy *r)
{
	for (; r != NULL; r = TAILQ_NEXT(r, tq))
		if (!r->zombie)
			return 1;
	return 0;
}

/*
 * p's client left while p is on a train whose others still wait: p stays,
 * to read and drop its answer in its turn (answers are matched by order).
 * It keeps the generation its settings (p->pc) live in.
 */
void
hproxy_train_zombie(struct hproxy *p)
{
	p->zombie = 1;
	p->zgen = lc_gen_ref(p->c->gen);
	p->c = NULL;
	if (p->uc != NULL)	/* the head: read on, whatever its client did */
		sio_rd_set(p->urd, 1);
}

/* r leaves its train (its answer will not be read there): it gives its
   load slot back, waking nobody. */
static void
hproxy_train_off(struct hproxy *r)
{
	r->uk = NULL;
	r->ubev = NULL;
	r->urd = NULL;
	if (r->slot)
		upstream_server_ride(r->srv, 0);
	r->slot = 0;
}

/*
 * The head p leaves its train with its connection (pooled, or gone): the
 * train takes no more riders, and those on it move to riders. Only the
 * head ever leaves a train this way (a rider taken off in the middle
 * would take another's answer): a rider leaves only in
 * hproxy_train_evict, where a ghost takes its place. Their slots are
 * given back quietly: the caller sends them again, then releases the
 * connection, which wakes the waiters.
 */
void
hproxy_train_leave(struct hproxy *p, struct hproxy_train *riders)
{
	struct hproxy_ukeep *uk = p->uk;
	struct hproxy *r;

	if (TAILQ_FIRST(&uk->train) != p)
		fatalx("%s: a rider left its train", __func__);
	TAILQ_REMOVE(&uk->train, p, tq);
	p->uk = NULL;
	hproxy_train_shut(uk);
	ltimer_set(&uk->hold, 0);
	TAILQ_CONCAT(riders, &uk->train, tq);
	uk->ntrain = 0;
	TAILQ_FOREACH(r, riders, tq)
		hproxy_train_off(r);
}

/*
 * Requests taken off a train before their answers came are sent again
 * (zombies just go): GET and HEAD may be. The first time, whatever ended
 * the train (the server closed after an answer, failed or timed out on
 * the head, the head's answer was long or slow), it was not this
 * request's doing: it does not count as an attempt, and is made even
 * after a reload, as the train's connection, still held by the caller,
 * keeps the pool alive. Only a failed connection steers it away from its
 * server. A request taken off twice goes through hproxy_retry, counted:
 * nothing is sent again without end.
 */
void
hproxy_train_resend(struct hproxy_train *riders, enum upstream_outcome how)
{
	struct hproxy *r;

	while ((r = TAILQ_FIRST(riders)) != NULL) {
		TAILQ_REMOVE(riders, r, tq);
		if (r->zombie) {
			hproxy_free(r);
			continue;
		}
		if (!r->resent) {
			r->tries--;
			if (how != UPSTREAM_FAILED)
				r->srv = NULL;
			r->resent = 1;
			metric_inc(r->pc->m->retries);
			hproxy_connect(r);
		} else if (!hproxy_retry(r, how))
			hproxy_fail(r, 502, "connection lost with the request "
			    "pipelined on it", UPSTREAM_ABORT);
	}
}

/*
 * A zombie standing for rider r on its train: the server has r's request
 * and will answer it, so the ghost reads and drops that answer while r
 * goes elsewhere. It holds no load slot: its answer is never waited for
 * (only ghosts and zombies follow it, and such a train closes after its
 * head), and r, sent again, must not queue behind it. NULL when out of
 * memory.
 */
static struct hproxy *
hproxy_train_ghost(const struct hproxy *r)
{
	struct hproxy *g;

	if ((g = malloc(sizeof(*g))) == NULL)
		return NULL;
	memcpy(g, r, offsetof(struct hproxy, msg));
	memset(&g->waiter, 0, sizeof(g->waiter));
	memset(&g->key, 0, sizeof(g->key));	/* it pointed into r */
	g->slot = 0;
	memset(&g->msg, 0, offsetof(struct http1_msg, headers));
	memset(&g->rmsg, 0, offsetof(struct http1_msg, headers));
	g->msg.method = r->msg.method;
	g->head = NULL;
	g->r = &g->req;
	g->req.msg = &g->msg;
	g->zombie = 0;
	g->zgen = NULL;
	hproxy_train_zombie(g);
	return g;
}

/*
 * The head's answer will be long, or slow, or its client is slow: the
 * riders would wait for all of it. Each is sent again now, on another
 * connection, and a ghost takes its place here. A rider without a ghost
 * (out of memory) stays and waits.
 */
void
hproxy_train_evict(struct hproxy_ukeep *uk)
{
	struct hproxy_train out;
	struct hproxy *r, *next, *g;

	hproxy_train_shut(uk);
	ltimer_set(&uk->hold, 0);
	TAILQ_INIT(&out);
	for (r = TAILQ_NEXT(TAILQ_FIRST(&uk->train), tq); r != NULL;
	    r = next) {
		next = TAILQ_NEXT(r, tq);
		if (r->zombie || (g = hproxy_train_ghost(r)) == NULL)
			continue;
		TAILQ_INSERT_BEFORE(r, g, tq);
		TAILQ_REMOVE(&uk->train, r, tq);
		hproxy_train_off(r);
		TAILQ_INSERT_TAIL(&out, r, tq);
	}
	hproxy_train_resend(&out, UPSTREAM_CLOSE);
	upstream_pool_wake(uk->pool);
}

/*
 * The riders have waited HPROXY_PIPE_HOLD_MS for the answers ahead of
 * them (a head slow to answer, or slow to end): they go elsewhere. When
 * then nobody waits on the train, the connection goes.
 */
static void
hproxy_train_held(void *arg)
{
	struct hproxy_ukeep *uk = arg;
	struct hproxy *head = TAILQ_FIRST(&uk->train);

	if (head == NULL || uk->ntrain < 2)
		return;
	hproxy_train_evict(uk);
	if (!hproxy_train_awaited(head)) {
		hproxy_release(head, UPSTREAM_ABORT);
		hproxy_done(head);
	}
}

void
hproxy_train_free(struct hproxy_ukeep *uk)
{
	hproxy_train_shut(uk);	/* the train left it already: a no-op */
	ltimer_free(&uk->hold);
	if (uk->flush != NULL)
		event_free(uk->flush);
}

/*
 * The head p's answer is complete and the connection stays: next, the
 * first rider, owns it now, and its answer is read from here on (it may
 * be in the input already). The connection's own load slot is next's;
 * the one next rode on goes back, which may run waiters' callbacks: the
 * train is whole by then. The riders behind next wait for it at most
 * HPROXY_PIPE_HOLD_MS from now.
 */
void
hproxy_train_pass(struct hproxy *p, struct hproxy *next, uint64_t now_us)
{
	struct hproxy_ukeep *uk = p->uk;

	TAILQ_REMOVE(&uk->train, p, tq);
	uk->ntrain--;
	uk->since_us = now_us;
	ltimer_set_from(&uk->hold, now_us / 1000,
	    uk->ntrain > 1 ? HPROXY_PIPE_HOLD_MS : 0);
	p->uk = NULL;
	next->uc = p->uc;
	p->uc = NULL;
	p->ubev = NULL;
	p->urd = NULL;
	bufferevent_setcb(uk->bev, hproxy_upstream_read, hproxy_upstream_write,
	    hproxy_upstream_event, next);
	sio_rd_set(uk->rd, 1);	/* p's client may have paused it */
	if (next->slot)
		upstream_server_ride(next->srv, 0);
	next->slot = 0;
	upstream_pool_wake(uk->pool);
}

/*
 * p rides the open train to its server, if there is one: its head joins
 * the others' in the connection's output. 1 if it did.
 */
int
hproxy_train_join(struct hproxy *p)
{
	struct hproxy_ukeep *uk = *upstream_pool_train(p->pool, p->srv);

	if (uk == NULL || !hproxy_train_open(uk, p) ||
	    hproxy_request_head(p, bufferevent_get_output(uk->bev)) == -1)
		return 0;
	TAILQ_INSERT_TAIL(&uk->train, p, tq);
	uk->ntrain++;
	p->uk = uk;
	p->ubev = uk->bev;
	p->urd = uk->rd;
	p->rode = 1;
	p->slot = 1;
	upstream_server_ride(p->srv, 1);
	if (uk->ntrain == 2)	/* the first rider: it waits from now */
		ltimer_set_from(&uk->hold, p->t_up_us / 1000,
		    HPROXY_PIPE_HOLD_MS);
	metric_inc(p->pc->m->pipelined);
	hproxy_response_init(p);
	hconn_read(p->c, 0);
	hproxy_train_flush_soon(uk);
	return 1;
}
