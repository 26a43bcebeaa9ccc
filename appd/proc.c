/*
 * proc.c: the master's FastCGI client (see proc.h). Records are parsed
 * from the worker's bufferevent; STDOUT collects in the request's out
 * buffer until the end of what one read brought: if END_REQUEST is there,
 * the response goes out with a Content-Length (the common case: a module
 * answers in one write), otherwise its head goes out now and the body
 * streams.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "appd.h"
#include "cgihead.h"
#include "cidr.h"
#include "fcgi.h"
#include "http1.h"
#include "log.h"
#include "metrics.h"
#include "params.h"
#include "pool.h"
#include "proc.h"
#include "request.h"
#include "sio.h"
#include "util.h"

#define PROC_STDERR_MAX	2048
#define PROC_KEEP_BUF	(256 * 1024)

static void	proc_read_cb(struct bufferevent *, void *);
static void	proc_fail_head(struct appd_proc *, int, const char *);
static void	proc_requeue_ahead(struct appd_proc *);
static void	proc_event_cb(struct bufferevent *, short, void *);

/* A new process on the pool's list; its socket read at once. */
static struct appd_proc *
proc_alloc(struct appd_pool *pool, pid_t pid, struct bufferevent *bev)
{
	struct appd_proc *p = xcalloc(1, sizeof(*p));

	p->pool = pool;
	p->pid = pid;
	p->bev = bev;
	p->state = APPD_PROC_IDLE;
	p->slot = -1;
	p->idle_since_ms = util_now_ms();
	bufferevent_setcb(bev, proc_read_cb, NULL, proc_event_cb, p);
	bufferevent_enable(bev, EV_READ);
	return p;
}

struct appd_proc *
proc_new(struct appd_pool *pool, pid_t pid, int fd)
{
	struct bufferevent *bev;

	bev = bufferevent_socket_new(pool->w->lc->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return NULL;
	}
	return proc_alloc(pool, pid, bev);
}

struct appd_proc *
proc_connect(struct appd_pool *pool, const struct net_addr *a)
{
	struct bufferevent *bev;

	bev = bufferevent_socket_new(pool->w->lc->base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	if (bufferevent_socket_connect(bev, (const struct sockaddr *)&a->ss,
	    (int)a->len) == -1) {
		bufferevent_free(bev);
		return NULL;
	}
	return proc_alloc(pool, 0, bev);
}

void
proc_set_reader(struct appd_proc *p, void (*readcb)(struct bufferevent *,
    void *))
{
	bufferevent_setcb(p->bev, readcb, NULL, proc_event_cb, p);
}

void
proc_reading(struct appd_proc *p, int on)
{
	sio_reading(p->bev, NULL, on);
}

void
proc_close(struct appd_proc *p)
{
	if (p->bev != NULL) {
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
}

void
proc_free(struct appd_proc *p)
{
	proc_close(p);
	if (p->timer != NULL)
		event_free(p->timer);
	if (p->reaper != NULL)
		event_free(p->reaper);
	fcgi_buf_free(&p->wbuf);
	fcgi_buf_free(&p->pbuf);
	free(p);
}

void
proc_params(const struct appd_req *q, struct fcgi_buf *b)
{
	const struct appd_conf *c = q->c->conf;
	struct params_in in = { &q->msg, evbuffer_get_length(q->body),
	    &q->c->peer, q->c->tls, &c->trusted_proxies, q->app->root_path,
	    q->app->script };

	params_build(&in, b);
}

/* request_timeout: 504 (or a close), SIGTERM, then SIGKILL. */
static void
proc_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct appd_proc *p = arg;

	log_warnx("app %s: %s on worker %d ran past request_timeout "
	    "(%lld ms): SIGTERM, SIGKILL after %lld ms", p->pool->app->name,
	    p->last, (int)p->pid, (long long)p->pool->app->request_timeout_ms,
	    (long long)p->pool->app->kill_grace_ms);
	metric_inc(p->pool->m->timeouts);
	p->timed_out = 1;
	proc_fail_head(p, 504, "sH");
	pool_proc_stop(p, SIGTERM);
}

/*
 * Writes at once when nothing is queued (the worker reads the request a
 * loop turn earlier, and no EV_WRITE is armed); the rest, if any, goes
 * through the bufferevent.
 */
static void
proc_send(struct appd_proc *p, const uint8_t *buf, size_t len)
{
	ssize_t n = 0;

	if (evbuffer_get_length(bufferevent_get_output(p->bev)) == 0 &&
	    (n = send(bufferevent_getfd(p->bev), buf, len, MSG_DONTWAIT |
	    MSG_NOSIGNAL)) < 0)
		n = 0;
	if ((size_t)n < len)
		bufferevent_write(p->bev, buf + n, len - (size_t)n);
}

/* q becomes the request the worker runs now: its timer starts. */
static void
proc_start_head(struct appd_proc *p, struct appd_req *q)
{
	const struct appd_app *a = p->pool->app;
	const struct http1_msg *m = &q->msg;
	struct timeval tv = { a->request_timeout_ms / 1000,
	    (a->request_timeout_ms % 1000) * 1000 };

	p->req = q;
	q->t_run_us = util_now_us();
	proc_reading(p, 1);	/* a slow client before paused it */
	snprintf(p->last, sizeof(p->last), "%.*s %.*s",
	    (int)m->method_text.len, http1_span_ptr(m, m->method_text),
	    (int)MINIMUM(m->target.len, 120), http1_span_ptr(m, m->target));
	if (p->timer == NULL)
		p->timer = evtimer_new(p->pool->w->lc->base, proc_timeout, p);
	evtimer_add(p->timer, &tv);
}

void
proc_run(struct appd_proc *p, struct appd_req *q)
{
	struct fcgi_buf *b = &p->wbuf, *params = &p->pbuf;
	size_t blen = evbuffer_get_length(q->body);
	uint16_t id;

	p->state = APPD_PROC_BUSY;
	q->proc = p;
	p->depth++;
	/* Ids cycle 1..65535: the worker answers in order anyway. */
	id = p->next_id = (uint16_t)(p->next_id % 65535 + 1);
	if (p->req == NULL)
		proc_start_head(p, q);
	else {			/* sent ahead: it waits behind the head */
		q->pnext = NULL;
		if (p->ptail != NULL)
			p->ptail->pnext = q;
		else
			p->phead = q;
		p->ptail = q;
	}
	b->len = params->len = 0;
	proc_params(q, params);
	/* An external server gets a connection per request: a one-process
	   server (php-cgi -b) serving a kept connection would never accept
	   the others. */
	fcgi_put_begin(b, id, FCGI_RESPONDER, p->pid ? FCGI_KEEP_CONN : 0);
	fcgi_put_stream(b, FCGI_PARAMS, id, params->p, params->len);
	fcgi_put_stream(b, FCGI_PARAMS, id, NULL, 0);
	if (blen > 0)
		fcgi_put_stream(b, FCGI_STDIN, id,
		    evbuffer_pullup(q->body, -1), blen);
	fcgi_put_stream(b, FCGI_STDIN, id, NULL, 0);
	proc_send(p, b->p, b->len);
	/* Kept for the next request, unless a big body grew it. */
	if (b->cap > PROC_KEEP_BUF)
		fcgi_buf_free(b);
}

/*
 * The requests sent ahead of a worker that failed never ran (it runs them
 * in order): they go back to the front of the pool's queue.
 */
static void
proc_requeue_ahead(struct appd_proc *p)
{
	struct appd_req *q = p->phead, *next;
	struct appd_req *v[64];
	size_t n = 0;

	p->phead = p->ptail = NULL;
	for (; q != NULL; q = next) {
		next = q->pnext;
		q->pnext = NULL;
		q->proc = NULL;
		if (n < 64)
			v[n++] = q;
	}
	p->depth = 0;
	while (n-- > 0)
		pool_resubmit(p->pool, v[n]);
}

/*
 * The request p runs fails with status (or is dropped when its client
 * left); those sent ahead never ran and go back to the queue.
 */
static void
proc_fail_head(struct appd_proc *p, int status, const char *tc)
{
	struct appd_req *q = p->req;

	p->req = NULL;
	proc_requeue_ahead(p);
	if (q == NULL)
		return;
	q->proc = NULL;
	if (q->c != NULL)
		appd_req_fail(q, status, tc);
	else
		appd_req_free(q);
}

void
proc_detach(struct appd_proc *p)
{
	struct appd_req *q;

	if (p->req != NULL)
		p->req->proc = NULL;
	p->req = NULL;
	for (q = p->phead; q != NULL; q = q->pnext)
		q->proc = NULL;
	p->phead = p->ptail = NULL;
	p->depth = 0;
}

/* The answer could not be used: 502, and this worker is not trusted. */
static void
proc_bad(struct appd_proc *p, const char *why)
{
	log_warnx("app %s: %s on worker %d: %s", p->pool->app->name, p->last,
	    (int)p->pid, why);
	proc_fail_head(p, 502, "SD");
	pool_proc_stop(p, SIGTERM);
}

/* STDERR: appd's log, a line per line of the record (bounded). */
static void
proc_stderr(struct appd_proc *p, const struct fcgi_rec *r)
{
	const char *s = (const char *)r->data, *end = s + MINIMUM(r->len,
	    PROC_STDERR_MAX), *nl;
	size_t n;

	for (; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		n = (size_t)(nl - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > 0)
			log_warnx("app %s: worker %d stderr: %.*s",
			    p->pool->app->name, (int)p->pid, (int)n, s);
	}
}

/*
 * What STDOUT brought in this read: the whole response (ended), or its
 * head and the start of the body (streaming). -1 when it is unusable.
 */
static int
proc_flush_out(struct appd_proc *p, struct appd_req *q, int ended)
{
	struct cgihead h;
	const char *why = "no response head";
	size_t len = evbuffer_get_length(q->out), used, hl;
	const char *buf;
	int rc;

	if (q->c == NULL)
		return (evbuffer_drain(q->out, len), 0);
	if (!q->head_done && len > 0) {
		hl = MINIMUM(len, CGIHEAD_MAX + 4);
		buf = (const char *)evbuffer_pullup(q->out, (ev_ssize_t)hl);
		rc = cgihead_parse(buf, hl, &h, &used, &why);
		if (rc == -1 || (rc == 0 && ended))
			return (proc_bad(p, why), -1);
		if (rc == 0)
			return 0;
		if (appd_req_head(q, &h, len - used, ended) == -1)
			return (proc_bad(p, "a response head appd refuses"), -1);
		evbuffer_drain(q->out, used);
		q->head_done = 1;
	} else if (!q->head_done && ended)
		return (proc_bad(p, why), -1);
	if ((len = evbuffer_get_length(q->out)) > 0)
		appd_req_data(q, q->out, len);
	return 0;
}

/*
 * END_REQUEST: the response is complete; the next request sent ahead
 * starts, or the worker is free again. Returns 1 when p still runs a
 * request (its input may hold the next answer), 0 when it went back to
 * the pool (and may be gone).
 */
static int
proc_end(struct appd_proc *p)
{
	struct appd_req *q = p->req, *next = p->phead;

	evtimer_del(p->timer);
	p->req = NULL;
	p->requests++;
	p->depth--;
	p->pool->crashes_in_row = 0;
	if (q != NULL) {
		q->proc = NULL;
		metric_observe(p->pool->m->latency,
		    (int64_t)(util_now_us() - q->t_run_us));
		if (q->c != NULL)
			appd_req_done(q);
		else
			appd_req_free(q);
	}
	if (next != NULL) {
		if ((p->phead = next->pnext) == NULL)
			p->ptail = NULL;
		next->pnext = NULL;
		proc_start_head(p, next);
		return 1;
	}
	pool_proc_idle(p);
	return 0;
}

/* One record of the current request. 1: ended, 0: more, -1: dropped. */
static int
proc_record(struct appd_proc *p, const struct fcgi_rec *r)
{
	struct appd_req *q = p->req;
	const struct appd_conf *c = p->pool->gen->conf;

	if (r->type == FCGI_STDERR)
		proc_stderr(p, r);
	else if (r->type == FCGI_END_REQUEST)
		return 1;
	else if (r->type == FCGI_STDOUT && q != NULL) {
		q->resp_bytes += r->len;
		if (q->resp_bytes > c->max_response_size)
			return (proc_bad(p, "response over max_response_size"),
			    -1);
		evbuffer_add(q->out, r->data, r->len);
	}
	return 0;
}

/*
 * Reads the records of one response; 1 when its END_REQUEST came, 0 when
 * more is needed, -1 when p failed (it may be gone).
 */
static int
proc_read_response(struct appd_proc *p, struct evbuffer *in)
{
	struct fcgi_rec rec;
	uint8_t h[FCGI_HEADER_LEN];
	size_t len, need, used;
	int ended = 0, rc;

	while (!ended && (len = evbuffer_get_length(in)) >= FCGI_HEADER_LEN) {
		evbuffer_copyout(in, h, sizeof(h));
		need = FCGI_HEADER_LEN + ((size_t)h[4] << 8 | h[5]) + h[6];
		if (len < need)
			break;
		rc = fcgi_parse(evbuffer_pullup(in, (ev_ssize_t)need), need,
		    &rec, &used);
		if (rc != 1)
			return (proc_bad(p, "bad FastCGI record"), -1);
		if (p->state != APPD_PROC_BUSY) {
			evbuffer_drain(in, used);	/* a dying worker */
			continue;
		}
		rc = proc_record(p, &rec);
		evbuffer_drain(in, used);
		if (rc == -1)
			return -1;
		ended = rc;
	}
	return ended;
}

static void
proc_read_cb(struct bufferevent *bev, void *arg)
{
	struct appd_proc *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	int ended;

	/* One read may bring the answers of several requests sent ahead. */
	do {
		if ((ended = proc_read_response(p, in)) == -1)
			return;
		if (p->state != APPD_PROC_BUSY || p->req == NULL) {
			if (ended && p->state == APPD_PROC_BUSY)
				proc_end(p);
			return;
		}
		if (proc_flush_out(p, p->req, ended) == -1)
			return;
	} while (ended && proc_end(p) == 1);
}

/* The socket closed: the worker died (or was told to stop). */
static void
proc_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct appd_proc *p = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	proc_fail_head(p, 502, "SD");
	pool_proc_closed(p);
}
