/*
 * hproxy.c: see hproxy.h. One struct hproxy per forwarded request, owned
 * by the client connection (hconn_async) until hconn_finish or an abort.
 * Request and response bodies are forwarded with their framing as it came
 * (Content-Length or chunked), checked by the http1 body decoder on the
 * way, so a body is never buffered whole and never reframed, except for an
 * HTTP/1.0 client of a chunked response, which gets the data and a close.
 * Pipelining to servers is hproxy_train.c; the types both use are in
 * hproxy_int.h.
 */
#include <sys/queue.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cidr.h"
#include "hconn.h"
#include "http1.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "hproxy.h"
#include "hproxy_int.h"
#include "net.h"
#include "proxyproto.h"
#include "sio.h"
#include "upstream.h"
#include "util.h"

/*
 * A response is as long as its server makes it: the body limit is the
 * client's (max_body_size on requests), never the server's. The other
 * limits are http1's defaults (0 means default).
 */
static const struct http1_limits hproxy_response_limits = {
	.max_body = UINT64_MAX,
};

static void hproxy_client_read(void *);
static void hproxy_client_drained(void *);
static void hproxy_abort(void *);
static void hproxy_client_timeout(void *);

static const struct hconn_async_ops hproxy_async_ops = {
	.read = hproxy_client_read,
	.drained = hproxy_client_drained,
	.abort = hproxy_abort,
	.timeout = hproxy_client_timeout,
};

/* A field name and its length, for lookups without strlen. */
struct hproxy_name {
	const char	*s;
	size_t		 len;
};

#define HPROXY_NAME(lit)	{ lit, sizeof(lit) - 1 }

/* Hop-by-hop fields (and those a proxy frames itself): never forwarded. */
static const struct hproxy_name hproxy_hop_names[] = {
	HPROXY_NAME("connection"), HPROXY_NAME("keep-alive"),
	HPROXY_NAME("proxy-connection"), HPROXY_NAME("te"),
	HPROXY_NAME("trailer"), HPROXY_NAME("upgrade"),
	HPROXY_NAME("transfer-encoding"), HPROXY_NAME("content-length"),
	HPROXY_NAME("expect"), HPROXY_NAME("proxy-authorization"),
};

/* What hproxy_forwarded writes itself: a client's copies are dropped. */
static const struct hproxy_name hproxy_fwd_names[] = {
	HPROXY_NAME("x-forwarded-for"), HPROXY_NAME("x-real-ip"),
	HPROXY_NAME("x-forwarded-proto"),
};

/* Is name (case-insensitive) one of the n names of set? */
static int
hproxy_in(const struct hproxy_name *set, size_t n, const char *name,
    size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i].len == len &&
		    util_strncasecmp(name, set[i].s, len) == 0)
			return 1;
	return 0;
}

/* Is name listed in the message's Connection field (RFC 9110 7.6.1)? */
static int
hproxy_listed(const struct http1_msg *m, const char *name, size_t len)
{
	struct http1_tokens it;
	const char *v, *tok;
	size_t vlen, tlen;
	int i = -1;

	while ((i = http1_header_find(m, "connection", 10, (uint32_t)(i + 1)))
	    >= 0) {
		v = http1_span_ptr(m, m->headers[i].value);
		vlen = m->headers[i].value.len;
		http1_tokens_init(&it, v, vlen);
		while (http1_tokens_next(&it, &tok, &tlen))
			if (tlen == len && util_strncasecmp(tok, name, len) == 0)
				return 1;
	}
	return 0;
}

/*
 * Copies the fields of m that are end-to-end. The parser checked them,
 * so they are copied as they are; Connection's list is searched only
 * when the message has one.
 */
static void
hproxy_copy_fields(struct http1_out *out, const struct http1_msg *m,
    int request)
{
	int conn = http1_header_find(m, "connection", 10, 0) >= 0;
	const char *n;
	uint32_t i;
	size_t nl;

	for (i = 0; i < m->nheaders; i++) {
		n = http1_span_ptr(m, m->headers[i].name);
		nl = m->headers[i].name.len;
		if (hproxy_in(hproxy_hop_names, nitems(hproxy_hop_names), n,
		    nl) || (conn && hproxy_listed(m, n, nl)))
			continue;
		if (request && hproxy_in(hproxy_fwd_names,
		    nitems(hproxy_fwd_names), n, nl))
			continue;
		http1_write_field(out, m, i);
	}
}

/*
 * RFC 7239 Forwarded: for= the client (IPv6 quoted in brackets) and
 * proto=; appended to a trusted peer's own list. Written in pieces: the
 * previous list was checked by the parser, the rest is ours.
 */
static void
hproxy_forwarded_7239(struct hproxy *p, struct http1_out *out,
    const char *ip, size_t iplen)
{
	int trusted = cidr_list_match(p->pc->trusted,
	    (const struct sockaddr *)&p->c->peer.ss);
	const char *prev = NULL;
	int v6 = memchr(ip, ':', iplen) != NULL;
	size_t plen = 0;

	if (trusted)
		prev = http1_header_get(&p->msg, "forwarded", &plen);
	http1_out_add(out, "Forwarded: ", 11);
	if (prev != NULL) {
		http1_out_add(out, prev, plen);
		http1_out_add(out, ", ", 2);
	}
	http1_out_add(out, v6 ? "for=\"[" : "for=", v6 ? 6 : 4);
	http1_out_add(out, ip, iplen);
	if (v6)
		http1_out_add(out, "]\"", 2);
	if (p->c->tls)
		http1_out_add(out, ";proto=https\r\n", 14);
	else
		http1_out_add(out, ";proto=http\r\n", 13);
}

/*
 * X-Forwarded-For, X-Real-IP and X-Forwarded-Proto. What the client says
 * is believed only when the peer is a trusted proxy (lbd); otherwise the
 * peer is the client and its own headers are dropped.
 */
static void
hproxy_forwarded(struct hproxy *p, struct http1_out *out)
{
	const struct hconn *c = p->c;
	const struct http1_msg *m = &p->msg;
	int trusted = cidr_list_match(p->pc->trusted,
	    (const struct sockaddr *)&c->peer.ss);
	const char *xff = NULL, *proto = NULL, *last;
	size_t xlen = 0, plen = 0, llen, iplen = strlen(c->ip);
	const char *ip = c->ip;

	if (trusted) {
		xff = http1_header_get(m, "x-forwarded-for", &xlen);
		proto = http1_header_get(m, "x-forwarded-proto", &plen);
	}
	if (xff != NULL) {
		http1_out_add(out, "X-Forwarded-For: ", 17);
		http1_out_add(out, xff, xlen);
		http1_out_add(out, ", ", 2);
		http1_out_add(out, ip, iplen);
		http1_out_add(out, "\r\n", 2);
		/* The real client: the last address the trusted peer saw. */
		last = memrchr(xff, ',', xlen);
		last = last != NULL ? last + 1 : xff;
		while (last < xff + xlen && *last == ' ')
			last++;
		llen = (size_t)(xff + xlen - last);
		http1_write_header(out, "X-Real-IP", 9, last, llen);
	} else {
		http1_write_header(out, "X-Forwarded-For", 15, ip, iplen);
		http1_write_header(out, "X-Real-IP", 9, ip, iplen);
	}
	if (proto == NULL) {
		proto = c->tls ? "https" : "http";
		plen = c->tls ? 5 : 4;
	}
	http1_write_header(out, "X-Forwarded-Proto", 17, proto, plen);
	if (p->pc->forwarded)
		hproxy_forwarded_7239(p, out, ip, iplen);
}

/*
 * The request head as the upstream gets it. 0, or -1 if it overflowed.
 * Built on the stack, as the response head is: a malloc of the bound per
 * request showed in lbd's profile.
 */
int
hproxy_request_head(struct hproxy *p, struct evbuffer *to)
{
	const struct http1_msg *m = &p->msg;
	struct http1_out out;
	char buf[HPROXY_HEAD_MAX];
	const char *method = http1_span_ptr(m, m->method_text);

	http1_out_init_buffer(&out, buf, sizeof(buf));
	http1_write_request_line(&out, method, m->method_text.len,
	    http1_span_ptr(m, m->target), m->target.len, 1);
	hproxy_copy_fields(&out, m, 1);
	if (m->host < 0)	/* HTTP/1.0 without Host: name the server */
		http1_out_add(&out, "Host: localhost\r\n", 17);
	hproxy_forwarded(p, &out);
	if (m->body == HTTP1_BODY_LENGTH || (m->flags & HTTP1_F_HAS_CL))
		http1_write_header_u64(&out, "Content-Length", 14,
		    m->content_length);
	else if (m->body == HTTP1_BODY_CHUNKED)
		http1_out_add(&out, "Transfer-Encoding: chunked\r\n", 28);
	if (http1_write_end_head(&out) == -1)
		return -1;
	return evbuffer_add(to, out.buf, out.len);
}

/* A pooled connection spoke (stray bytes) or ended: it is dropped. */
static void
hproxy_idle_read(struct bufferevent *bev, void *arg)
{
	upstream_idle_lost(arg);
}

static void
hproxy_idle_event(struct bufferevent *bev, short what, void *arg)
{
	upstream_idle_lost(arg);
}

/* Ends the upstream side: the connection goes back to the pool or not.
   Riders of p's train are sent again. */
void
hproxy_release(struct hproxy *p, enum upstream_outcome how)
{
	struct hproxy_train riders;

	TAILQ_INIT(&riders);
	if (p->uk != NULL)
		hproxy_train_leave(p, &riders);
	if (p->ubev != NULL && p->uc != NULL) {
		/* The bufferevent stays with the connection (uc->user) and
		   keeps reading while it is pooled, as the pool's watch for a
		   close (uc->user_watches): no epoll change per request. The
		   pool frees it when the connection goes. */
		bufferevent_set_timeouts(p->ubev, NULL, NULL);
		sio_rd_timeout(p->urd, 0);
		bufferevent_setcb(p->ubev, hproxy_idle_read, NULL,
		    hproxy_idle_event, p->uc);
		sio_rd_set(p->urd, 1);
		p->uc->user_watches = 1;
	}
	p->ubev = NULL;
	p->urd = NULL;
	/* While p's connection holds the pool, even one a reload retired. */
	hproxy_train_resend(&riders, how);
	if (p->uc != NULL) {
		upstream_release(p->uc, how);
		p->uc = NULL;
	}
}

void
hproxy_free(struct hproxy *p)
{
	upstream_pool_unwait(p->pool, &p->waiter);
	if (p->zgen != NULL)
		lc_gen_unref(p->zgen);
	free(p->head);
	free(p);
}

/* The exchange is over, at now_us (util_now_us): the connection takes
   the next request. */
static void
hproxy_done_at(struct hproxy *p, uint64_t now_us)
{
	struct hconn *c = p->c;
	struct hreq *r = p->r;
	struct hproxy_server_metrics *sm;

	if (p->zombie) {	/* nobody to tell */
		hproxy_free(p);
		return;
	}
	r->upstream_us = now_us - p->t_up_us;
	r->server = p->srv != NULL ? p->srv->name : NULL;
	if ((sm = hproxy_server_metrics_of(p->pc, p->srv)) != NULL) {
		metric_inc(sm->requests[r->status >= 100 && r->status < 600 ?
		    r->status / 100 : 0]);
		metric_observe(sm->latency, (int64_t)r->upstream_us);
	}
	metric_observe(p->pc->m->latency, (int64_t)r->upstream_us);
	hconn_finish(c, r);	/* logs r, which lives in p: free after */
	hproxy_free(p);
}

void
hproxy_done(struct hproxy *p)
{
	hproxy_done_at(p, p->zombie ? 0 : util_now_us());
}

/*
 * Counts an upstream failure, in total and for its server (the per-server
 * counter is found by name: failures are rare, and metric creation is
 * idempotent).
 */
static void
hproxy_count_error(struct hproxy *p)
{
	char labels[512], route[200], server[200];

	metric_inc(p->pc->m->errors);
	if (p->srv == NULL || p->pc->registry == NULL)
		return;
	metrics_label_value(route, sizeof(route), p->pc->label);
	metrics_label_value(server, sizeof(server), p->srv->name);
	snprintf(labels, sizeof(labels), "route=\"%s\",server=\"%s\"",
	    route, server);
	metric_inc(metrics_counter(p->pc->registry,
	    "upstream_server_errors_total", "Upstream failures by route and "
	    "server.", labels));
}

/* The request ends early: the server's connection released as how, the
   client's closed after status (when no response byte went yet). */
static void
hproxy_end(struct hproxy *p, int status, const char *tc,
    enum upstream_outcome how)
{
	hproxy_release(p, how);
	p->r->tc = tc;
	p->r->close = 1;
	if (!p->head_sent && !p->zombie)
		hconn_error(p->c, p->r, status);
	hproxy_done(p);
}

/* A failure before any byte of the response: an error status. */
void
hproxy_fail(struct hproxy *p, int status, const char *why,
    enum upstream_outcome how)
{
	log_warnx("%s: upstream %s: %s", p->zombie ? "(gone)" : p->c->client,
	    p->srv != NULL ? p->srv->name : p->pc->label, why);
	hproxy_count_error(p);
	hproxy_end(p, status,
	    status == 504 ? "sH" : status == 503 ? "sQ" : "SC", how);
}

/*
 * Moves request body bytes from the client to the upstream, checking
 * the framing; with back-pressure when the upstream is slow to take them.
 */
static void
hproxy_request_body(struct hproxy *p)
{
	struct evbuffer *in = hconn_input(p->c);
	struct evbuffer *out = bufferevent_get_output(p->ubev);
	size_t len, used, dlen;
	const char *buf, *data;
	enum http1_rc rc;

	while (!http1_body_done(&p->qbody) &&
	    (len = evbuffer_get_length(in)) > 0) {
		if (evbuffer_get_length(out) > HPROXY_HIGH &&
		    sio_flush(p->ubev, 0) > HPROXY_HIGH) {
			hconn_read(p->c, 0);	/* the server is slow, */
			hconn_async_deadline(p->c, 0);	/* not the client */
			return;
		}
		len = MINIMUM(len, HPROXY_CHUNK);
		buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		rc = http1_body_decode(&p->qbody, buf, len, &used, &data, &dlen);
		if (rc == HTTP1_ERROR) {
			p->r->close = 1;
			hproxy_fail(p, p->qbody.err_status,
			    p->qbody.err_reason, UPSTREAM_ABORT);
			return;
		}
		p->req_started |= used > 0;
		evbuffer_remove_buffer(in, out, used);
		if (rc == HTTP1_AGAIN && used == 0)
			break;
	}
	sio_flush(p->ubev, 0);
	if (http1_body_done(&p->qbody))
		hconn_read(p->c, 0);
	else
		hconn_read(p->c, 1);
	/* A request without a body (most) never armed the deadline: no
	   timer call per request for it. */
	if (p->msg.body != HTTP1_BODY_NONE)
		hconn_async_deadline(p->c, http1_body_done(&p->qbody) ? 0 :
		    p->c->hs->send_timeout_ms);
}

/* The response head, rewritten for the client. */
static int
hproxy_response_head(struct hproxy *p)
{
	const struct http1_msg *m = &p->rmsg;
	struct http1_out out;
	char buf[HPROXY_HEAD_MAX];

	/* Riders would wait long, or for nothing: the last answer here. */
	if (p->uk != NULL && (!(m->flags & HTTP1_F_KEEP_ALIVE) ||
	    (m->body != HTTP1_BODY_NONE && (!(m->flags & HTTP1_F_HAS_CL) ||
	    m->content_length > HPROXY_PIPE_BODY_MAX))))
		hproxy_train_evict(p->uk);
	if (p->zombie) {
		p->head_sent = 1;
		return 0;
	}
	if (m->body == HTTP1_BODY_EOF)
		p->r->close = 1;
	if (m->body == HTTP1_BODY_CHUNKED && p->msg.version_minor == 0) {
		p->dechunk = 1;
		p->r->close = 1;
	}
	p->r->status = m->status;
	http1_out_init_buffer(&out, buf, sizeof(buf));
	http1_write_status_line(&out, 1, m->status,
	    http1_span_ptr(m, m->reason), m->reason.len);
	hproxy_copy_fields(&out, m, 0);
	if (m->flags & HTTP1_F_HAS_CL)
		http1_write_header_u64(&out, "Content-Length", 14,
		    m->content_length);
	else if (m->body == HTTP1_BODY_CHUNKED && !p->dechunk)
		http1_out_add(&out, "Transfer-Encoding: chunked\r\n", 28);
	if (p->c->tls && p->pc->hsts != NULL)
		http1_write_header(&out, "Strict-Transport-Security", 25,
		    p->pc->hsts, strlen(p->pc->hsts));
	if (p->r->close)
		http1_out_add(&out, "Connection: close\r\n", 19);
	else if (p->msg.version_minor == 0)
		http1_out_add(&out, "Connection: keep-alive\r\n", 24);
	if (http1_write_end_head(&out) == -1)
		return -1;
	evbuffer_add(hconn_output(p->c), out.buf, out.len);
	p->head_sent = 1;
	return 0;
}

/* Response body bytes to the client; DONE when the body is complete. */
static enum http1_rc
hproxy_response_body(struct hproxy *p)
{
	struct evbuffer *in = bufferevent_get_input(p->ubev);
	struct evbuffer *out = p->zombie ? NULL : hconn_output(p->c);
	size_t len, used, dlen;
	const char *buf, *data;
	enum http1_rc rc = HTTP1_AGAIN;

	while (!http1_body_done(&p->rbody) &&
	    (len = evbuffer_get_length(in)) > 0) {
		if (out != NULL && sio_pending(p->c->bev, p->c->tls) >
		    HPROXY_HIGH && hconn_flush(p->c) > HPROXY_HIGH) {
			sio_rd_set(p->urd, 0);
			if (p->uk != NULL)	/* riders would wait for it */
				hproxy_train_evict(p->uk);
			return HTTP1_AGAIN;
		}
		len = MINIMUM(len, HPROXY_CHUNK);
		buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		rc = http1_body_decode(&p->rbody, buf, len, &used, &data, &dlen);
		if (rc == HTTP1_ERROR)
			return HTTP1_ERROR;
		if (out == NULL)	/* a zombie's */
			evbuffer_drain(in, used);
		else if (p->dechunk) {
			evbuffer_add(out, data, dlen);
			evbuffer_drain(in, used);
		} else
			evbuffer_remove_buffer(in, out, used);
		p->r->bytes += p->dechunk ? dlen : used;
		if (rc == HTTP1_AGAIN && used == 0)
			break;
	}
	return http1_body_done(&p->rbody) ? HTTP1_DONE : HTTP1_AGAIN;
}

/*
 * The whole response is with the client: release and finish. On a train
 * whose next answer someone waits for, the connection passes to the next
 * head; that head is returned when its answer is to be read from the
 * input now (nothing between frees it), else NULL.
 */
static struct hproxy *
hproxy_complete(struct hproxy *p)
{
	struct bufferevent *ubev = p->ubev;
	struct hproxy *next = p->uk != NULL ? TAILQ_NEXT(p, tq) : NULL;
	int keep = !p->pc->send_proxy &&
	    (p->rmsg.flags & HTTP1_F_KEEP_ALIVE) &&
	    http1_body_done(&p->qbody);

	upstream_server_ok(p->srv);
	if (keep && hproxy_train_awaited(next)) {
		uint64_t now = util_now_us();

		hproxy_train_pass(p, next, now);
		hproxy_done_at(p, now);
		return evbuffer_get_length(bufferevent_get_input(ubev)) > 0 ?
		    next : NULL;
	}
	/* Zombies behind are not read for: the connection goes. */
	hproxy_release(p, keep && next == NULL &&
	    evbuffer_get_length(bufferevent_get_input(ubev)) == 0 ?
	    UPSTREAM_REUSE : UPSTREAM_CLOSE);
	if (!http1_body_done(&p->qbody))
		p->r->close = 1;	/* the rest of the body is unread */
	hproxy_done(p);
	return NULL;
}

/*
 * Reads p's answer from bev's input: the head first (1xx skipped), then
 * the body. Returns the next head of the train when its answer is to be
 * read now, else NULL.
 */
static struct hproxy *
hproxy_read_answer(struct bufferevent *bev, struct hproxy *p)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	const char *buf;
	enum http1_rc rc;

	while (!p->head_sent) {
		if ((len = evbuffer_get_length(in)) == 0)
			return NULL;
		len = MINIMUM(len, HPROXY_HEAD_MAX);
		buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		rc = http1_parse_head(&p->rparser, &p->rmsg, buf, len);
		if (rc == HTTP1_AGAIN)
			return NULL;
		if (rc == HTTP1_ERROR || p->rmsg.status == 101) {
			hproxy_fail(p, 502, "bad response head",
			    UPSTREAM_FAILED);
			return NULL;
		}
		if (p->rmsg.status < 200) {	/* interim: drop it */
			evbuffer_drain(in, p->rmsg.head_len);
			http1_parser_reset(&p->rparser);
			http1_parser_set_request_method(&p->rparser,
			    p->msg.method);
			continue;
		}
		if (hproxy_response_head(p) == -1) {
			evbuffer_drain(in, p->rmsg.head_len);
			hproxy_fail(p, 502, "response head too large",
			    UPSTREAM_FAILED);
			return NULL;
		}
		evbuffer_drain(in, p->rmsg.head_len);
		http1_body_init(&p->rbody, &p->rmsg, &hproxy_response_limits);
		if (p->zombie && !hproxy_train_awaited(p)) {
			/* Nobody waits for this answer nor for any after
			   it (the riders went when it proved long). */
			hproxy_release(p, UPSTREAM_ABORT);
			hproxy_done(p);
			return NULL;
		}
	}
	rc = hproxy_response_body(p);
	if (rc == HTTP1_DONE)
		return hproxy_complete(p);
	if (rc == HTTP1_AGAIN && !p->zombie)
		hconn_flush(p->c);	/* stream what came */
	else if (rc == HTTP1_ERROR) {
		p->r->close = 1;
		p->r->tc = "SD";
		hproxy_release(p, UPSTREAM_FAILED);
		hproxy_done(p);
	}
	return NULL;
}

/* Upstream bytes: answers, one head of the train after another. */
void
hproxy_upstream_read(struct bufferevent *bev, void *arg)
{
	struct hproxy *p = arg;

	while (p != NULL)
		p = hproxy_read_answer(bev, p);
}

/* Upstream took what we sent: more request body, if any. */
void
hproxy_upstream_write(struct bufferevent *bev, void *arg)
{
	struct hproxy *p = arg;

	sio_drained(bev, 0);
	if (!http1_body_done(&p->qbody))
		hproxy_request_body(p);
}

/* Another attempt is allowed: retries left, and the worker's pools are
   still those of the connection's generation (a reload made new ones). */
static int
hproxy_may_retry(const struct hproxy *p)
{
	return p->tries <= p->pc->retries && p->c->w->lc->gen == p->c->gen;
}

/* Safe to send again: nothing answered, nothing of the body consumed. */
int
hproxy_retry(struct hproxy *p, enum upstream_outcome how)
{
	if (p->zombie || p->head_sent || p->req_started ||
	    !hproxy_may_retry(p))
		return 0;
	metric_inc(p->pc->m->retries);
	hproxy_release(p, how);
	hproxy_connect(p);
	return 1;
}

/* GET, HEAD, OPTIONS, PUT, DELETE and TRACE may be sent twice (RFC 9110
   9.2.2); so may any request on a reused pooled connection. */
static int
hproxy_idempotent(const struct http1_msg *m)
{
	switch (m->method) {
	case HTTP1_METHOD_GET: case HTTP1_METHOD_HEAD:
	case HTTP1_METHOD_OPTIONS: case HTTP1_METHOD_PUT:
	case HTTP1_METHOD_DELETE: case HTTP1_METHOD_TRACE:
		return 1;
	default:
		return 0;
	}
}

/*
 * A write to the server failed before its answer came: a server may
 * answer early (413 to a body it will not take) and close, and a close
 * with unread bytes is a reset, which fails our write before we read
 * the answer. What it sent is still in the socket: read it once (the
 * read callback forwards an answer found there) rather than say 502.
 * The rest of the client's body stays unread (hproxy_complete closes the
 * client's connection after). 1 if the read was made (p may be gone).
 */
static int
hproxy_salvage(struct hproxy *p, short what)
{
	if (p->zombie || p->salvaged || p->head_sent ||
	    !(what & BEV_EVENT_WRITING))
		return 0;
	p->salvaged = 1;
	if (p->uk != NULL)	/* its write side failed: no riders */
		hproxy_train_shut(p->uk);
	hconn_read(p->c, 0);
	hconn_async_deadline(p->c, 0);
	sio_rd_start(p->urd);
	return 1;
}

/*
 * The head p of a train, a rider before (or a zombie), saw its connection
 * close before any byte of its answer. p and the riders behind it are sent
 * again as riders are (hproxy_train_resend: once, not counted), before the
 * connection is released: it keeps the pool alive across a reload.
 */
static void
hproxy_resend_head(struct hproxy *p)
{
	struct hproxy_train again;
	struct upstream_conn *uc = p->uc;

	TAILQ_INIT(&again);
	hproxy_train_leave(p, &again);
	TAILQ_INSERT_HEAD(&again, p, tq);
	p->uc = NULL;
	p->ubev = NULL;
	p->urd = NULL;
	hproxy_train_resend(&again, UPSTREAM_CLOSE);
	upstream_release(uc, UPSTREAM_CLOSE);
}

void
hproxy_upstream_event(struct bufferevent *bev, short what, void *arg)
{
	struct hproxy *p = arg;
	int reused = p->uc != NULL && p->uc->uses > 0;

	if (what & BEV_EVENT_TIMEOUT) {
		hproxy_fail(p, 504, "read timeout", UPSTREAM_FAILED);
		return;
	}
	if (hproxy_salvage(p, what))
		return;
	if ((what & BEV_EVENT_EOF) && p->head_sent &&
	    http1_body_eof(&p->rbody) == HTTP1_DONE) {
		hproxy_response_body(p);
		(void)hproxy_complete(p);	/* the connection goes */
		return;
	}
	/* A rider become head (or a zombie) whose answer had not begun: the
	   server closed after the answer ahead of it (a keep-alive close),
	   not because of this request. */
	if ((what & BEV_EVENT_EOF) && !p->head_sent &&
	    (p->zombie || (p->rode && !p->resent)) &&
	    evbuffer_get_length(bufferevent_get_input(bev)) == 0) {
		hproxy_resend_head(p);
		return;
	}
	/* A pooled connection the server had closed is not its fault; a
	   server that died under an idempotent request is. */
	if (reused && hproxy_retry(p, UPSTREAM_CLOSE))
		return;
	if (!reused && p->pc->retry_idempotent && hproxy_idempotent(&p->msg) &&
	    hproxy_retry(p, UPSTREAM_FAILED))
		return;
	if (p->head_sent) {
		p->r->close = 1;
		p->r->tc = "SD";
		hproxy_release(p, UPSTREAM_FAILED);
		hproxy_done(p);
		return;
	}
	hproxy_fail(p, 502, "closed before answering", UPSTREAM_FAILED);
}

/*
 * The PROXY header (v1 or v2) that tells the server who the client is.
 * Sent once per server connection, which is then never given to another
 * client (hproxy_complete closes it).
 */
static int
hproxy_send_proxy(struct hproxy *p)
{
	char buf[PROXYPROTO_MAX_LEN];
	struct net_addr dst;
	int n;

	if (net_local_addr(p->c->fd, &dst) == -1)
		memset(&dst, 0, sizeof(dst));
	n = p->pc->send_proxy == 2 ?
	    proxyproto_emit_v2(buf, sizeof(buf), &p->c->peer, &dst) :
	    proxyproto_emit_v1(buf, sizeof(buf), &p->c->peer, &dst);
	if (n <= 0)
		return -1;
	return evbuffer_add(bufferevent_get_output(p->ubev), buf, (size_t)n);
}

static void
hproxy_ukeep_free(void *arg)
{
	struct hproxy_ukeep *uk = arg;

	hproxy_train_free(uk);
	sio_rd_free(uk->rd);
	bufferevent_free(uk->bev);	/* BEV_OPT_CLOSE_ON_FREE is not set */
	free(uk);
}

/* The kept part of a new server connection, or NULL (out of memory). */
static struct hproxy_ukeep *
hproxy_ukeep_new(struct event_base *base, int fd)
{
	struct hproxy_ukeep *uk;

	if ((uk = calloc(1, sizeof(*uk))) == NULL)
		return NULL;
	TAILQ_INIT(&uk->train);
	if ((uk->bev = bufferevent_socket_new(base, fd, 0)) == NULL ||
	    (uk->rd = sio_rd_new(base, uk->bev)) == NULL) {
		if (uk->bev != NULL)
			bufferevent_free(uk->bev);
		free(uk);
		return NULL;
	}
	sio_init(uk->bev, 0);
	return uk;
}

/* p's answer is parsed from its start (and for its method: HEAD). */
void
hproxy_response_init(struct hproxy *p)
{
	http1_parser_init(&p->rparser, HTTP1_RESPONSE,
	    &hproxy_response_limits);
	http1_parser_set_request_method(&p->rparser, p->msg.method);
}

/* Connected (or reused): send the head and what body there is. */
static void
hproxy_send(struct hproxy *p)
{
	struct hproxy_ukeep *uk;
	struct timeval tv;

	if ((uk = p->uc->user) == NULL) {
		uk = hproxy_ukeep_new(p->c->w->lc->base, p->uc->fd);
		if (uk == NULL) {
			hproxy_fail(p, 502, "out of memory", UPSTREAM_ABORT);
			return;
		}
		p->uc->user = uk;
		p->uc->user_free = hproxy_ukeep_free;
	}
	p->ubev = uk->bev;
	p->urd = uk->rd;
	p->rode = 0;		/* a connection of its own */
	tv.tv_sec = (time_t)(p->pc->read_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(p->pc->read_timeout_ms % 1000)
	    * 1000;
	bufferevent_set_timeouts(p->ubev, NULL, &tv);
	sio_rd_timeout(p->urd, p->pc->read_timeout_ms);
	bufferevent_setcb(p->ubev, hproxy_upstream_read,
	    hproxy_upstream_write, hproxy_upstream_event, p);
	if (p->pc->send_proxy && hproxy_send_proxy(p) == -1) {
		hproxy_fail(p, 502, "cannot write the PROXY header",
		    UPSTREAM_ABORT);
		return;
	}
	hproxy_response_init(p);
	if (hproxy_request_head(p, bufferevent_get_output(p->ubev)) == -1) {
		hproxy_fail(p, 431, "request head too large",
		    UPSTREAM_ABORT);
		return;
	}
	sio_rd_set(p->urd, 1);
	if (hproxy_train_fits(p) && hproxy_train_start(p, uk) == 0) {
		/* No body: riders may follow. */
		hconn_read(p->c, 0);
		hproxy_train_flush_soon(uk);
		return;
	}
	hproxy_request_body(p);	/* and the head leaves in the same write */
}

static void
hproxy_ready(struct upstream_conn *uc, const char *error, void *arg)
{
	struct hproxy *p = arg;

	if (error != NULL) {
		p->uc = NULL;	/* the pool frees it */
		log_warnx("%s: upstream %s: %s", p->c->client, p->srv->name,
		    error);
		hproxy_count_error(p);
		if (hproxy_may_retry(p)) {
			metric_inc(p->pc->m->retries);
			hproxy_connect(p);
			return;
		}
		hproxy_fail(p, 502, "no server could be reached",
		    UPSTREAM_ABORT);
		return;
	}
	hproxy_send(p);
}

/* The queue let us go: a slot may be free, or the wait is over. */
static void
hproxy_dequeued(void *arg, int timed_out)
{
	struct hproxy *p = arg;

	if (timed_out) {
		metric_inc(p->pc->m->queue_timeouts);
		hproxy_fail(p, 503, "queue timeout", UPSTREAM_ABORT);
		return;
	}
	hproxy_connect(p);
}

/* Picks a server (another one on a retry) and gets a connection. */
void
hproxy_connect(struct hproxy *p)
{
	struct upstream_server *avoid = p->srv;
	int ready = 0;

	p->tries++;
	p->srv = upstream_pool_select_key(p->pool, avoid, &p->key);
	hproxy_count_retry(p->pc, avoid, p->srv);
	if (p->srv == NULL && p->pc->queue_timeout_ms > 0 &&
	    !upstream_pool_dying(p->pool) &&
	    upstream_group_full(upstream_pool_group(p->pool), util_now_ms())) {
		/* Every server is at maxconn: wait in line for a slot. */
		p->tries--;
		if (!p->queued) {
			p->queued = 1;
			metric_inc(p->pc->m->queued);
		}
		upstream_pool_wait(p->pool, &p->waiter, hproxy_dequeued, p,
		    (uint64_t)p->pc->queue_timeout_ms);
		return;
	}
	if (p->srv == NULL) {
		hproxy_fail(p, 502, "no usable server", UPSTREAM_ABORT);
		return;
	}
	if (hproxy_train_fits(p) && hproxy_train_join(p))
		return;
	p->uc = upstream_get(p->pool, p->srv, hproxy_ready, p, &ready);
	if (p->uc == NULL)
		hproxy_fail(p, 502, "out of memory", UPSTREAM_ABORT);
	else if (ready)
		hproxy_send(p);
}

/*
 * A new hproxy for r, with a copy of its head and of the used part of its
 * message (a whole struct hproxy is some KiB, mostly unused field slots:
 * zeroing and copying all of it per request showed in lbd's profile).
 * NULL when out of memory.
 */
static struct hproxy *
hproxy_new(const struct hreq *r)
{
	const struct http1_msg *m = r->msg;
	struct hproxy *p;

	if ((p = malloc(sizeof(*p))) == NULL)
		return NULL;
	memset(p, 0, offsetof(struct hproxy, msg));
	if ((p->head = malloc(m->head_len)) == NULL) {
		free(p);
		return NULL;
	}
	memset(&p->rmsg, 0, offsetof(struct http1_msg, headers));
	memcpy(&p->msg, m, offsetof(struct http1_msg, headers) +
	    m->nheaders * sizeof(m->headers[0]));
	memcpy(p->head, m->base, m->head_len);
	p->msg.base = p->head;
	p->req = *r;
	p->r = &p->req;
	p->r->msg = &p->msg;
	return p;
}

void
hproxy_start(struct hconn *c, struct hreq *r, struct upstream_pool *pool,
    const struct hproxy_conf *pc)
{
	const struct http1_msg *m = r->msg;
	struct hproxy *p;

	if ((p = hproxy_new(r)) == NULL) {
		hconn_error(c, r, 503);
		return;
	}
	/* The head is ours now; what follows in the input is the body. */
	evbuffer_drain(hconn_input(c), m->head_len);
	p->c = c;
	p->pc = pc;
	p->pool = pool;
	/* What source and uri hashing balance on. */
	p->key.client = (const struct sockaddr *)&c->peer.ss;
	p->key.uri = http1_span_ptr(&p->msg, p->msg.target);
	p->key.urilen = p->msg.target.len;
	p->t_up_us = util_now_us();
	http1_body_init(&p->qbody, &p->msg, &c->hs->limits);
	hconn_async(c, &hproxy_async_ops, p);
	/* The client waits for "100 Continue" before it sends its body. */
	if ((m->flags & HTTP1_F_EXPECT_CONTINUE) && m->body != HTTP1_BODY_NONE)
		evbuffer_add(hconn_output(c), "HTTP/1.1 100 Continue\r\n\r\n",
		    25);
	hproxy_connect(p);
}

static void
hproxy_client_read(void *arg)
{
	struct hproxy *p = arg;

	if (p->ubev != NULL)
		hproxy_request_body(p);
	else	/* not connected yet: hold the body in the input buffer */
		hconn_read(p->c, 0);
}

static void
hproxy_client_drained(void *arg)
{
	struct hproxy *p = arg;

	if (p->ubev == NULL || !p->head_sent)
		return;
	sio_rd_set(p->urd, 1);
	/* What came before the pause waits in the input: the socket may
	   never be readable again (the server sent its last bytes). */
	if (evbuffer_get_length(bufferevent_get_input(p->ubev)) > 0)
		bufferevent_trigger(p->ubev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

/* The client stalled in the middle of its body: 408 (if nothing was
   answered yet) and close; the server's connection, mid-request, goes. */
static void
hproxy_client_timeout(void *arg)
{
	struct hproxy *p = arg;

	log_info("%s: the client sent nothing of its body for %lld ms",
	    p->c->client, (long long)p->c->hs->send_timeout_ms);
	hproxy_end(p, 408, "cD", UPSTREAM_ABORT);
}

static void
hproxy_abort(void *arg)
{
	struct hproxy *p = arg;
	struct hproxy *head;

	p->r->tc = "CD";
	if (p->uk != NULL) {
		/* Answers come in order: p's stays on the train, dropped in
		   its turn, while anyone else waits for one. */
		head = TAILQ_FIRST(&p->uk->train);
		hproxy_train_zombie(p);
		if (hproxy_train_awaited(head))
			return;
		/* Nobody does: the connection goes, with the zombies. */
		hproxy_release(head, UPSTREAM_ABORT);
		hproxy_done(head);
		return;
	}
	hproxy_release(p, UPSTREAM_ABORT);
	hproxy_free(p);
}

void
hproxy_metrics_init(struct hproxy_metrics *m, struct metrics *reg)
{
	m->errors = metrics_counter(reg, "upstream_errors_total",
	    "Upstream connect failures, timeouts and bad answers.", NULL);
	m->retries = metrics_counter(reg, "upstream_retries_total",
	    "Requests sent again to another server.", NULL);
	m->latency = metrics_histogram(reg, "upstream_duration_microseconds",
	    "Time from forwarding a request to the end of its response.",
	    NULL, metrics_latency_us_bounds, metrics_latency_us_nbounds);
	m->queued = metrics_counter(reg, "queued_total",
	    "Requests that waited for a server slot (server_maxconn).", NULL);
	m->queue_timeouts = metrics_counter(reg, "queue_timeouts_total",
	    "Requests that waited past queue_timeout.", NULL);
	m->pipelined = metrics_counter(reg, "upstream_pipelined_total",
	    "Requests sent on a server connection behind another whose "
	    "answer was due (server_pipeline).", NULL);
}

void
hproxy_count_retry(const struct hproxy_conf *pc,
    const struct upstream_server *from, const struct upstream_server *to)
{
	struct hproxy_server_metrics *sm;

	if (to == NULL || (sm = hproxy_server_metrics_of(pc, from)) == NULL)
		return;
	metric_inc(sm->retries);
	if (to != from)
		metric_inc(sm->redispatches);
}

struct hproxy_server_metrics *
hproxy_server_metrics_of(const struct hproxy_conf *pc,
    const struct upstream_server *s)
{
	if (pc->per_server == NULL || s == NULL ||
	    s->group != pc->per_server_group)
		return NULL;
	return &pc->per_server[s->index];
}

struct hproxy_server_metrics *
hproxy_server_metrics_new(struct metrics *reg, const struct upstream_group *g)
{
	static const char *const cls[6] = { "other", "1xx", "2xx", "3xx",
	    "4xx", "5xx" };
	struct hproxy_server_metrics *v;
	char name[200], labels[300];
	size_t i;
	int k;

	if (g->nservers == 0)
		return NULL;
	v = xcalloc(g->nservers, sizeof(*v));
	for (i = 0; i < g->nservers; i++) {
		metrics_label_value(name, sizeof(name), g->servers[i]->name);
		for (k = 0; k < 6; k++) {
			snprintf(labels, sizeof(labels), "server=\"%s\","
			    "class=\"%s\"", name, cls[k]);
			v[i].requests[k] = metrics_counter(reg,
			    "server_requests_total", "Requests answered by "
			    "each server, by status class.", labels);
		}
		snprintf(labels, sizeof(labels), "server=\"%s\"", name);
		v[i].retries = metrics_counter(reg, "server_retries_total",
		    "Attempts made again after one on this server failed.",
		    labels);
		v[i].redispatches = metrics_counter(reg,
		    "server_redispatches_total", "Of those, attempts sent "
		    "to another server.", labels);
		v[i].latency = metrics_histogram(reg,
		    "server_duration_microseconds", "Time from forwarding to "
		    "the end of the response, per server.", labels,
		    metrics_latency_us_bounds, metrics_latency_us_nbounds);
	}
	return v;
}
