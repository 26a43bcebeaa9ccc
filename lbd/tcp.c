/*
 * tcp.c: see tcp.h. A session is two bufferevents joined back to back
 * (libevent's le-proxy pattern): each side's input is moved to the other's
 * output, and reading from a side stops while the other's output is above
 * a high-water mark. One state per session, one close function that logs
 * a HAProxy-style line with its termination code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "alog.h"
#include "edge.h"
#include "hproxy.h"
#include "lbd.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "proxyproto.h"
#include "tcp.h"
#include "topology.h"
#include "upstream.h"
#include "util.h"

#define LB_TCP_HIGH	(256 * 1024)	/* stop reading the other side */

enum lb_state {
	LB_CONNECTING,	/* waiting for a server */
	LB_TUNNEL,	/* bytes flow both ways */
	LB_CLOSING,	/* flushing the side still open */
};

struct lb_session {
	struct lb_session	*next, *prev;
	struct lb_worker	*w;
	struct lc_gen		*gen;
	const struct lb_conf	*conf;
	struct bufferevent	*cli, *srv;
	struct upstream_conn	*uc;
	struct upstream_server	*server;
	enum lb_state		 state;
	int			 tries;
	char			 client[64];
	uint64_t		 t_accept, t_connected;
	uint64_t		 bytes_in, bytes_out;
	struct net_addr		 peer;
	struct upstream_key	 key;		/* source hashing */
	unsigned		 edge;		/* what admission counted */
	struct upstream_pool	*wpool;		/* the pool s waits in */
	struct upstream_waiter	 waiter;	/* every server at maxconn */
	uint64_t		 t_queued;	/* 0: never queued */
};

static void lb_tcp_connect(struct lb_session *);

/* Connections to servers are not reused in tcp mode: the pool only
 * connects (and does passive marking). */
static void
lb_tcp_log(struct lb_session *s, const char *tc)
{
	char line[512];
	int n;
	uint64_t now = util_now_us();
	const struct lb_conf *c = s->conf;

	if (c->access == NULL)
		return;
	n = snprintf(line, sizeof(line), "%s %s %s/%s %lld/%lld %llu %llu %s",
	    s->client, c->self->name, c->servers,
	    s->server != NULL ? s->server->name : "<NOSRV>",
	    s->t_connected ? (long long)(s->t_connected - s->t_accept) / 1000 :
	    -1LL, (long long)(now - s->t_accept) / 1000,
	    (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
	    tc);
	if (n > 0)
		alog_worker_line(&s->w->alog, line,
		    MINIMUM((size_t)n, sizeof(line) - 1));
}

/* The one way out. tc: who ended the session and when (HAProxy's codes:
   "--" normal, "CD"/"SD" client/server closed in data, "SC" no server
   could be connected, "sQ" the queue timed out, "cD"/"sD" client/server
   timeout). */
static void
lb_tcp_close(struct lb_session *s, const char *tc)
{
	struct lb_worker *w = s->w;

	lb_tcp_log(s, tc);
	log_debug("%s: session closed (%s) after %llu/%llu bytes", s->client,
	    tc, (unsigned long long)s->bytes_in,
	    (unsigned long long)s->bytes_out);
	if (s->wpool != NULL)
		upstream_pool_unwait(s->wpool, &s->waiter);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		w->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (s->srv != NULL)
		bufferevent_free(s->srv);
	if (s->uc != NULL)
		upstream_release(s->uc, strcmp(tc, "SD") == 0 ||
		    strcmp(tc, "sD") == 0 ? UPSTREAM_FAILED : UPSTREAM_CLOSE);
	bufferevent_free(s->cli);
	metric_observe(lb_metrics.session_time,
	    (int64_t)(util_now_us() - s->t_accept));
	metric_add(lb_metrics.sessions_active, -1);
	lb_edge_release(s->conf, (const struct sockaddr *)&s->peer.ss, s->edge);
	lc_gen_unref(s->gen);
	free(s);
	hconn_worker_count(&w->hw, -1);	/* one limit, both modes */
	lc_worker_conn_close(w->lc);
}

/* Moves what from has read to to's output, pausing from when to is full. */
static void
lb_tcp_pump(struct lb_session *s, struct bufferevent *from,
    struct bufferevent *to)
{
	struct evbuffer *in = bufferevent_get_input(from);
	size_t n = evbuffer_get_length(in);

	if (from == s->cli) {
		s->bytes_in += n;
		metric_add(lb_metrics.bytes_in, (int64_t)n);
	} else {
		s->bytes_out += n;
		metric_add(lb_metrics.bytes_out, (int64_t)n);
	}
	evbuffer_add_buffer(bufferevent_get_output(to), in);
	if (evbuffer_get_length(bufferevent_get_output(to)) >= LB_TCP_HIGH) {
		bufferevent_disable(from, EV_READ);
		bufferevent_setwatermark(to, EV_WRITE, LB_TCP_HIGH / 2, 0);
	}
}

static void
lb_tcp_read(struct bufferevent *bev, void *arg)
{
	struct lb_session *s = arg;

	if (s->state == LB_CONNECTING)
		return;	/* client bytes wait in its input buffer */
	if (bev == s->cli)
		lb_tcp_pump(s, s->cli, s->srv);
	else
		lb_tcp_pump(s, s->srv, s->cli);
}

/* A side's output drained: resume reading the other side, or finish. */
static void
lb_tcp_write(struct bufferevent *bev, void *arg)
{
	struct lb_session *s = arg;
	struct bufferevent *other = bev == s->cli ? s->srv : s->cli;

	if (s->state == LB_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			lb_tcp_close(s, "--");
		return;
	}
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (other != NULL)
		bufferevent_enable(other, EV_READ);
}

/*
 * One side ended. The other side gets what is still queued for it, then
 * the session closes (HAProxy closes both when one finishes, after the
 * data in flight is delivered).
 */
static void
lb_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct lb_session *s = arg;
	int client = bev == s->cli;
	struct bufferevent *other = client ? s->srv : s->cli;
	const char *tc;

	if (what & BEV_EVENT_TIMEOUT)
		tc = client ? "cD" : "sD";
	else if (what & BEV_EVENT_EOF)
		tc = "--";
	else
		tc = client ? "CD" : "SD";
	if (s->state == LB_CONNECTING || other == NULL) {
		lb_tcp_close(s, client ? "CC" : tc);
		return;
	}
	/* Deliver what the ending side had sent, then stop. */
	lb_tcp_read(bev, s);
	if ((what & BEV_EVENT_EOF) == 0 ||
	    evbuffer_get_length(bufferevent_get_output(other)) == 0) {
		lb_tcp_close(s, tc);
		return;
	}
	s->state = LB_CLOSING;
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	bufferevent_setcb(other, NULL, lb_tcp_write, lb_tcp_event, s);
}

static void
lb_tcp_timeouts(struct bufferevent *bev, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

	bufferevent_set_timeouts(bev, &tv, &tv);
}

/* The PROXY header first, so the server learns the client's address. */
static void
lb_tcp_send_proxy(struct lb_session *s)
{
	char buf[PROXYPROTO_MAX_LEN];
	struct net_addr dst;
	int n;

	if (net_local_addr(bufferevent_getfd(s->cli), &dst) == -1)
		memset(&dst, 0, sizeof(dst));
	n = s->conf->send_proxy == 2 ?
	    proxyproto_emit_v2(buf, sizeof(buf), &s->peer, &dst) :
	    proxyproto_emit_v1(buf, sizeof(buf), &s->peer, &dst);
	if (n > 0)
		evbuffer_add(bufferevent_get_output(s->srv), buf, (size_t)n);
}

/* The server answered the connect: join the two sides. */
static void
lb_tcp_joined(struct lb_session *s)
{
	s->srv = bufferevent_socket_new(s->w->lc->base, s->uc->fd, 0);
	if (s->srv == NULL) {
		lb_tcp_close(s, "RC");
		return;
	}
	s->t_connected = util_now_us();
	metric_observe(lb_metrics.connect_time,
	    (int64_t)(s->t_connected - s->t_accept));
	upstream_server_ok(s->server);
	s->state = LB_TUNNEL;
	bufferevent_setwatermark(s->cli, EV_READ, 0, 0);
	bufferevent_setcb(s->srv, lb_tcp_read, lb_tcp_write, lb_tcp_event, s);
	lb_tcp_timeouts(s->srv, s->conf->tunnel_timeout_ms);
	lb_tcp_timeouts(s->cli, s->conf->tunnel_timeout_ms);
	if (s->conf->send_proxy)
		lb_tcp_send_proxy(s);
	bufferevent_enable(s->srv, EV_READ | EV_WRITE);
	bufferevent_enable(s->cli, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(s->cli)) > 0)
		lb_tcp_pump(s, s->cli, s->srv);
}

static void
lb_tcp_ready(struct upstream_conn *uc, const char *error, void *arg)
{
	struct lb_session *s = arg;

	if (error == NULL) {
		lb_tcp_joined(s);
		return;
	}
	s->uc = NULL;	/* the pool frees it */
	metric_inc(lb_metrics.connect_errors);
	log_info("%s: server %s: %s", s->client, s->server->name, error);
	if (s->tries > s->conf->retries) {
		lb_tcp_close(s, "SC");
		return;
	}
	metric_inc(lb_metrics.retries);
	metric_inc(lb_metrics.redispatches);
	lb_tcp_connect(s);
}

/* The queue let s go: a slot may be free, or the wait is over. */
static void
lb_tcp_dequeued(void *arg, int timed_out)
{
	struct lb_session *s = arg;

	s->wpool = NULL;
	if (timed_out) {
		metric_inc(lb_metrics.pm.queue_timeouts);
		log_info("%s: queue timeout, every server at server_maxconn",
		    s->client);
		lb_tcp_close(s, "sQ");
		return;
	}
	lb_tcp_connect(s);
}

/*
 * Every server at server_maxconn: the session waits in the worker's FIFO
 * for a slot, at most queue_timeout, as HAProxy's queue does. Returns 1
 * when s now waits.
 */
static int
lb_tcp_queue(struct lb_session *s)
{
	const struct lb_conf *c = s->conf;
	struct upstream_pool *p = s->w->pool;

	if (c->queue_timeout_ms <= 0 ||
	    !upstream_group_full(upstream_pool_group(p), util_now_ms()))
		return 0;
	s->tries--;
	if (s->t_queued == 0) {
		s->t_queued = util_now_us();
		metric_inc(lb_metrics.pm.queued);
	}
	s->wpool = p;
	upstream_pool_wait(p, &s->waiter, lb_tcp_dequeued, s,
	    (uint64_t)c->queue_timeout_ms);
	return 1;
}

/* Picks a server (another one on a retry) and connects to it. */
static void
lb_tcp_connect(struct lb_session *s)
{
	struct upstream_server *avoid = s->server;
	int ready = 0;

	s->tries++;
	/* A worker still on an older generation has a pool for it only
	   while that generation is the worker's: else give up cleanly. */
	if (s->w->lc->gen != s->gen) {
		metric_inc(lb_metrics.no_server);
		lb_tcp_close(s, "SC");
		return;
	}
	s->server = upstream_pool_select_key(s->w->pool, avoid, &s->key);
	hproxy_count_retry(&s->conf->pc, avoid, s->server);
	if (s->server == NULL && lb_tcp_queue(s))
		return;
	if (s->server == NULL) {
		metric_inc(lb_metrics.no_server);
		lb_tcp_close(s, "SC");
		return;
	}
	s->uc = upstream_get(s->w->pool, s->server, lb_tcp_ready, s, &ready);
	if (s->uc == NULL)
		lb_tcp_close(s, "RC");
	else if (ready)
		lb_tcp_joined(s);
}

/* The edge: allow/deny, max_conn_per_ip and, per connection, the rate. */
static int
lb_tcp_admit(struct lb_session *s)
{
	const struct sockaddr *sa = (const struct sockaddr *)&s->peer.ss;
	const char *why = NULL;
	uint64_t retry;

	if (lb_edge_admit(s->conf, sa, &s->edge, &why) == -1) {
		log_info("%s: %s", s->client, why);
		lb_tcp_close(s, "PR");
		return -1;
	}
	if (!lb_edge_rate(s->conf, sa, &retry)) {
		log_info("%s: over rate_limit", s->client);
		lb_tcp_close(s, "PT");
		return -1;
	}
	return 0;
}

void
lb_tcp_accept(int fd, const struct net_addr *peer, void *arg)
{
	struct lb_worker *w = arg;
	struct lb_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->cli = bufferevent_socket_new(w->lc->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(s);
		close(fd);
		return;
	}
	s->w = w;
	s->gen = lc_gen_ref(w->lc->gen);
	s->conf = s->gen->conf;
	s->t_accept = util_now_us();
	addr_format(peer, s->client, sizeof(s->client));
	s->peer = *peer;
	s->key.client = (const struct sockaddr *)&s->peer.ss;
	s->next = w->sessions;
	if (w->sessions != NULL)
		w->sessions->prev = s;
	w->sessions = s;
	hconn_worker_count(&w->hw, 1);
	metric_inc(lb_metrics.sessions_total);
	metric_add(lb_metrics.sessions_active, 1);
	lc_worker_conn_open(w->lc);
	bufferevent_setcb(s->cli, lb_tcp_read, lb_tcp_write, lb_tcp_event, s);
	lb_tcp_timeouts(s->cli, s->conf->client_timeout_ms);
	if (lb_tcp_admit(s) == -1)
		return;
	/* Read the client's first bytes while connecting; they wait, and
	   no more than a high-water mark of them. */
	bufferevent_setwatermark(s->cli, EV_READ, 0, LB_TCP_HIGH);
	bufferevent_enable(s->cli, EV_READ);
	lb_tcp_connect(s);
}

void
lb_tcp_close_all(struct lb_worker *w)
{
	while (w->sessions != NULL)
		lb_tcp_close(w->sessions, "KD");
}
