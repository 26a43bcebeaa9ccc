/*
 * conn.c: the request loop of a client connection. One state per
 * connection (conn.h), one close function (webd_conn_close) that frees
 * everything and says why. Requests are parsed in place from the input
 * buffer (http1 is zero-copy), answered into the output buffer, and
 * pipelined requests are handled in order while the output stays below a
 * high-water mark; past it the connection stops reading until the client
 * has taken enough (back-pressure).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "httpdate.h"
#include "http1.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "proxy.h"
#include "request.h"
#include "util.h"
#include "webd.h"

#define WEBD_OUT_HIGH		(256 * 1024)	/* stop handling requests */
#define WEBD_PIPELINE_BATCH	64	/* requests per read callback */
#define WEBD_READ_MAX		(64 * 1024)
#define WEBD_HEAD_PREFIX	"Server: triad-webd\r\nDate: "

static void webd_conn_process(struct webd_conn *);

static const char *
webd_conn_state_name(enum webd_conn_state s)
{
	static const char *const names[] = { "idle", "head", "discard",
	    "blocked", "proxy", "closing" };

	return names[s];
}

static void
webd_conn_set_state(struct webd_conn *c, enum webd_conn_state s)
{
	if (c->state == s)
		return;
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		log_debug("%s: state %s -> %s", c->client,
		    webd_conn_state_name(c->state), webd_conn_state_name(s));
	if (c->state == WEBD_CONN_IDLE)
		metric_add(webd_metrics.conns_idle, -1);
	if (s == WEBD_CONN_IDLE)
		metric_add(webd_metrics.conns_idle, 1);
	c->state = s;
}

/*
 * max_connections per worker: accepting pauses at the limit and resumes
 * when a connection closes.
 */
static void
webd_conn_limit(struct webd_worker *w)
{
	size_t i;

	if (++w->nconns == (size_t)w->lc_conf_max)
		for (i = 0; i < w->nlisteners; i++)
			net_listener_enable(w->listeners[i], 0);
}

static void
webd_conn_unlimit(struct webd_worker *w)
{
	size_t i;

	if (w->nconns-- == (size_t)w->lc_conf_max && !w->lc->stopping)
		for (i = 0; i < w->nlisteners; i++)
			net_listener_enable(w->listeners[i], 1);
}

/* The one way out: frees everything the connection holds. */
static void
webd_conn_close(struct webd_conn *c, const char *why)
{
	struct webd_worker *w = c->w;

	log_debug("%s: close (%s) after %u request(s)", c->client, why,
	    c->requests);
	if (c->proxy != NULL) {
		webd_proxy_abort(c->proxy);
		c->proxy = NULL;
	}
	webd_conn_set_state(c, WEBD_CONN_CLOSING);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	event_free(c->timer);
	bufferevent_free(c->bev);
	webd_conn_unlimit(w);
	lc_gen_unref(c->gen);
	free(c);
	metric_add(webd_metrics.conns_active, -1);
	lc_worker_conn_close(w->lc);
}

/* Arms the connection timer for ms from now (0: disarm). */
static void
webd_conn_timer(struct webd_conn *c, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)((ms % 1000) * 1000) };

	if (ms <= 0)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, &tv);
}

/* Header deadline or keep-alive idle time ran out. */
static void
webd_conn_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct webd_conn *c = arg;
	struct webd_request r = { .tc = WEBD_TC_CLIENT_TIMEOUT };

	metric_inc(webd_metrics.timeouts);
	if (c->state != WEBD_CONN_HEAD) {
		webd_conn_close(c, c->state == WEBD_CONN_IDLE ?
		    "keep-alive timeout" : "timeout");
		return;
	}
	/* A head started but did not finish in time (slowloris): 408. */
	r.t_start_us = util_now_us();
	webd_conn_error(c, &r, 408);
	webd_request_log(c, &r);
}

struct evbuffer *
webd_conn_output(struct webd_conn *c)
{
	return bufferevent_get_output(c->bev);
}

void
webd_conn_head(struct webd_conn *c, struct webd_request *r,
    struct http1_out *out, char *buf, size_t size, int status)
{
	r->status = status;
	http1_out_init_buffer(out, buf, size);
	http1_write_status_line(out, 1, status, NULL, 0);
	http1_out_add(out, WEBD_HEAD_PREFIX, sizeof(WEBD_HEAD_PREFIX) - 1);
	http1_out_add(out, httpdate_now(time(NULL)),
	    HTTPDATE_SIZE - 1);
	http1_out_add(out, "\r\n", 2);
	if (r->close)
		http1_out_add(out, "Connection: close\r\n", 19);
	else if (r->msg != NULL && r->msg->version_minor == 0)
		http1_out_add(out, "Connection: keep-alive\r\n", 24);
}

int
webd_conn_send_head(struct webd_conn *c, struct http1_out *out)
{
	if (http1_write_end_head(out) == -1)
		return -1;
	evbuffer_add(bufferevent_get_output(c->bev), out->buf, out->len);
	metric_add(webd_metrics.bytes_out, (int64_t)out->len);
	return 0;
}

/* Statuses after which the connection cannot be trusted or reused. */
static int
webd_conn_fatal_status(int status)
{
	switch (status) {
	case 400: case 408: case 413: case 414: case 431: case 501: case 505:
		return 1;
	}
	return 0;
}

void
webd_conn_error(struct webd_conn *c, struct webd_request *r, int status)
{
	struct http1_out out;
	char buf[1024], body[256];
	const char *reason = http1_reason_phrase(status);
	int n;

	if (webd_conn_fatal_status(status))
		r->close = 1;
	r->status = status;
	if (webd_request_error_page(c, r, status) != 0) {
		n = snprintf(body, sizeof(body), "<html><head><title>%d %s"
		    "</title></head><body><h1>%d %s</h1></body></html>\n",
		    status, reason ? reason : "", status, reason ? reason : "");
		webd_conn_head(c, r, &out, buf, sizeof(buf), status);
		http1_out_add(&out, "Content-Type: text/html; charset=utf-8"
		    "\r\n", 40);
		if (status == 405)
			http1_out_add(&out, "Allow: GET, HEAD\r\n", 18);
		http1_write_header_u64(&out, "Content-Length", 14,
		    (uint64_t)n);
		if (webd_conn_send_head(c, &out) == 0 && !r->head_only) {
			evbuffer_add(bufferevent_get_output(c->bev), body,
			    (size_t)n);
			r->bytes = (uint64_t)n;
		}
	}
	if (r->close) {
		webd_conn_set_state(c, WEBD_CONN_CLOSING);
		bufferevent_disable(c->bev, EV_READ);
	}
}

/*
 * Whether the connection may carry another request after this one,
 * decided before the response so that its head can say so.
 */
static int
webd_conn_keepalive(struct webd_conn *c, const struct http1_msg *msg)
{
	return c->conf->keepalive_timeout_ms > 0 &&
	    c->requests + 1 < (unsigned)c->conf->max_keepalive_requests &&
	    (msg->flags & HTTP1_F_KEEP_ALIVE) && !c->w->lc->stopping;
}

/* A parse error: answer with its status and close. */
static void
webd_conn_bad_request(struct webd_conn *c)
{
	struct webd_request r = { .tc = WEBD_TC_BAD_REQUEST };

	r.t_start_us = util_now_us();
	metric_inc(webd_metrics.parse_errors);
	log_debug("%s: bad request: %s", c->client, c->parser.err_reason);
	webd_conn_error(c, &r, c->parser.err_status);
	webd_request_log(c, &r);
}

/*
 * Drops request body bytes we will not use. A static resource answers
 * before its body arrives; the body is read and thrown away (bounded by
 * client_max_body_size) so the next request on the connection is found.
 */
static int
webd_conn_discard(struct webd_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len, used, dlen;
	const char *p, *data;
	enum http1_rc rc;

	while ((len = evbuffer_get_length(in)) > 0) {
		len = MINIMUM(len, WEBD_READ_MAX);
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		rc = http1_body_decode(&c->body, p, len, &used, &data, &dlen);
		evbuffer_drain(in, used);
		if (rc == HTTP1_DONE) {
			webd_conn_set_state(c, WEBD_CONN_IDLE);
			return 0;
		}
		if (rc == HTTP1_ERROR) {
			webd_conn_close(c, c->body.err_reason);
			return -1;
		}
		if (used == 0)
			break;
	}
	return 1;
}

/* After a response: next request, close, or wait for the client. */
static void
webd_conn_after(struct webd_conn *c, struct webd_request *r)
{
	const struct http1_msg *msg = r->msg;

	c->requests++;
	webd_request_log(c, r);
	if (c->state == WEBD_CONN_CLOSING)
		return;
	if (r->close) {
		webd_conn_set_state(c, WEBD_CONN_CLOSING);
		return;
	}
	http1_parser_reset(&c->parser);
	if (msg->body != HTTP1_BODY_NONE) {
		http1_body_init(&c->body, msg, &c->conf->limits);
		webd_conn_set_state(c, WEBD_CONN_DISCARD);
	} else
		webd_conn_set_state(c, WEBD_CONN_IDLE);
}

/*
 * One head from the input: AGAIN when incomplete, DONE after a response,
 * ERROR when the connection is closing.
 */
static enum http1_rc
webd_conn_one(struct webd_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct http1_msg *msg = &c->w->msg;
	struct webd_request r;
	size_t len = evbuffer_get_length(in);
	const char *p;
	enum http1_rc rc;

	if (len == 0)
		return HTTP1_AGAIN;
	if (c->state == WEBD_CONN_IDLE) {
		webd_conn_set_state(c, WEBD_CONN_HEAD);
		webd_conn_timer(c, c->conf->header_timeout_ms);
	}
	len = MINIMUM(len, (size_t)c->conf->limits.max_head + 2);
	p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
	if ((rc = http1_parse_head(&c->parser, msg, p, len)) == HTTP1_AGAIN)
		return HTTP1_AGAIN;
	if (rc == HTTP1_ERROR) {
		webd_conn_bad_request(c);
		return HTTP1_ERROR;
	}
	memset(&r, 0, sizeof(r));
	r.msg = msg;
	r.t_start_us = util_now_us();
	r.tc = WEBD_TC_OK;
	r.close = !webd_conn_keepalive(c, msg);
	r.head_only = msg->method == HTTP1_METHOD_HEAD;
	webd_conn_timer(c, 0);	/* the header deadline is met */
	if (webd_request_handle(c, &r) == 1)
		return HTTP1_AGAIN;	/* with an upstream: head drained */
	webd_conn_after(c, &r);		/* logs from the head: drain after */
	evbuffer_drain(in, msg->head_len);
	return c->state == WEBD_CONN_CLOSING ? HTTP1_ERROR : HTTP1_DONE;
}

/* Handles what the input holds, within the batch and output limits. */
static void
webd_conn_process(struct webd_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int n;

	for (n = 0; n < WEBD_PIPELINE_BATCH; n++) {
		if (c->state == WEBD_CONN_DISCARD && webd_conn_discard(c) != 0)
			break;
		if (c->state == WEBD_CONN_CLOSING ||
		    c->state == WEBD_CONN_PROXY)
			break;
		if (evbuffer_get_length(out) > WEBD_OUT_HIGH) {
			webd_conn_set_state(c, WEBD_CONN_BLOCKED);
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		if (webd_conn_one(c) != HTTP1_DONE)
			break;
	}
	if (c->state == WEBD_CONN_CLOSING) {
		bufferevent_disable(c->bev, EV_READ);
		if (evbuffer_get_length(out) == 0)
			webd_conn_close(c, "done");
		return;
	}
	/* The idle clock starts once the last response is sent: a long
	   download is watched by the send timeout, not the idle one. */
	if (c->state == WEBD_CONN_IDLE)
		webd_conn_timer(c, evbuffer_get_length(out) == 0 ?
		    c->conf->keepalive_timeout_ms : 0);
	if (n == WEBD_PIPELINE_BATCH)	/* let other connections run */
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

static void
webd_conn_readcb(struct bufferevent *bev, void *arg)
{
	struct webd_conn *c = arg;

	if (c->state == WEBD_CONN_PROXY)
		webd_proxy_client_read(c->proxy);
	else
		webd_conn_process(c);
}

/* Output drained below the low-water mark (empty). */
static void
webd_conn_writecb(struct bufferevent *bev, void *arg)
{
	struct webd_conn *c = arg;

	if (c->state == WEBD_CONN_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			webd_conn_close(c, "done");
		return;
	}
	if (c->state == WEBD_CONN_PROXY) {
		webd_proxy_client_drained(c->proxy);
		return;
	}
	if (c->state == WEBD_CONN_BLOCKED) {
		webd_conn_set_state(c, WEBD_CONN_IDLE);
		bufferevent_enable(c->bev, EV_READ);
		webd_conn_process(c);
	} else if (c->state == WEBD_CONN_IDLE)
		webd_conn_timer(c, c->conf->keepalive_timeout_ms);
}

static void
webd_conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct webd_conn *c = arg;

	if (what & BEV_EVENT_TIMEOUT) {
		metric_inc(webd_metrics.timeouts);
		webd_conn_close(c, "send timeout");
	} else if (what & BEV_EVENT_EOF)
		webd_conn_close(c, c->state == WEBD_CONN_IDLE ? "client closed" :
		    "client closed mid-request");
	else
		webd_conn_close(c, "socket error");
}

void
webd_conn_accept(int fd, const struct net_addr *peer, void *arg)
{
	struct webd_worker *w = arg;
	struct webd_conn *c;
	struct timeval wt;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->bev = bufferevent_socket_new(w->lc->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		close(fd);
		return;
	}
	c->w = w;
	c->gen = lc_gen_ref(w->lc->gen);
	c->conf = c->gen->conf;
	c->peer = *peer;
	addr_format(peer, c->client, sizeof(c->client));
	c->timer = evtimer_new(w->lc->base, webd_conn_timeout, c);
	http1_parser_init(&c->parser, HTTP1_REQUEST, &c->conf->limits);
	c->state = WEBD_CONN_HEAD;	/* set_state(IDLE) counts it idle */
	webd_conn_set_state(c, WEBD_CONN_IDLE);
	wt.tv_sec = (time_t)(c->conf->send_timeout_ms / 1000);
	wt.tv_usec = (suseconds_t)(c->conf->send_timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, NULL, &wt);
	bufferevent_setcb(c->bev, webd_conn_readcb, webd_conn_writecb,
	    webd_conn_eventcb, c);
	bufferevent_enable(c->bev, EV_READ);
	/* The first request must come as fast as a head must finish. */
	webd_conn_timer(c, c->conf->header_timeout_ms);
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	metric_inc(webd_metrics.conns_total);
	metric_add(webd_metrics.conns_active, 1);
	lc_worker_conn_open(w->lc);
	webd_conn_limit(w);
}

void
webd_conn_proxying(struct webd_conn *c)
{
	webd_conn_set_state(c, WEBD_CONN_PROXY);
}

void
webd_conn_finish(struct webd_conn *c, struct webd_request *r)
{
	c->proxy = NULL;
	c->requests++;
	webd_request_log(c, r);
	if (r->close || c->state == WEBD_CONN_CLOSING ||
	    !webd_conn_keepalive(c, r->msg)) {
		webd_conn_set_state(c, WEBD_CONN_CLOSING);
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
		return;
	}
	http1_parser_reset(&c->parser);
	webd_conn_set_state(c, WEBD_CONN_IDLE);
	bufferevent_enable(c->bev, EV_READ);
	bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
	    BEV_TRIG_DEFER_CALLBACKS);
}

void
webd_conn_close_idle(struct webd_worker *w)
{
	struct webd_conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == WEBD_CONN_IDLE)
			webd_conn_close(c, "stopping");
	}
}

void
webd_conn_close_all(struct webd_worker *w)
{
	while (w->conns != NULL)
		webd_conn_close(w->conns, "worker end");
}
