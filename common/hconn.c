/*
 * hconn.c: the server side of an HTTP/1.1 connection, shared by webd and
 * lbd. One state per connection (hconn.h), one close function
 * (hconn_close) that frees everything and says why. Requests are parsed in place from the input
 * buffer (http1 is zero-copy), answered into the output buffer, and
 * pipelined requests are handled in order while the output stays below a
 * high-water mark; past it the connection stops reading until the client
 * has taken enough (back-pressure).
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cidr.h"
#include "hconn.h"
#include "httpdate.h"
#include "http1.h"
#include "listeners.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "proxyproto.h"
#include "sio.h"
#include "util.h"

#define HCONN_OUT_HIGH		(256 * 1024)	/* stop handling requests */
#define HCONN_PIPELINE_BATCH	64	/* requests per read callback */
#define HCONN_IN_SLACK		(64 * 1024)	/* input kept past a head */
#define HCONN_READ_MAX		(64 * 1024)
#define HCONN_TLS_RAW_HIGH	(64 * 1024)	/* records not yet decrypted */
#define HCONN_LINGER_MS		2000	/* at most, after the last answer */

static void hconn_process(struct hconn *);

/* Reading from the client on or off: through common/sio's reader on a
   plain connection (no FIONREAD per read), the TLS filter's under TLS. */
static void
hconn_reading(struct hconn *c, int on)
{
	sio_reading(c->bev, c->rd, on);
}

/* Counts r and hands it to the daemon's access log. */
static void
hconn_log(struct hconn *c, const struct hreq *r)
{
	struct hconn_metrics *m = c->w->m;

	metric_inc(m->requests[r->status >= 100 && r->status < 600 ?
	    r->status / 100 : 0]);
	metric_observe(m->latency, (int64_t)(util_now_us() - r->t_start_us));
	if (c->w->ops->log != NULL)
		c->w->ops->log(c, r);
}

static const char *
hconn_state_name(enum hconn_state s)
{
	static const char *const names[] = { "idle", "head", "discard",
	    "blocked", "proxy", "closing", "linger" };

	return names[s];
}

static void
hconn_set_state(struct hconn *c, enum hconn_state s)
{
	if (c->state == s)
		return;
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		log_debug("%s: state %s -> %s", c->client,
		    hconn_state_name(c->state), hconn_state_name(s));
	if (c->state == HCONN_IDLE)
		metric_add(c->w->m->conns_idle, -1);
	if (s == HCONN_IDLE)
		metric_add(c->w->m->conns_idle, 1);
	c->state = s;
}

void
hconn_worker_count(struct hconn_worker *w, int delta)
{
	net_listeners_count(w->listeners, w->nlisteners, &w->nconns, delta,
	    (size_t)w->max_conns, w->lc->stopping);
}

/*
 * A TLS connection that ends cleanly sends close_notify. Besides being
 * what RFC 8446 asks, it keeps the session resumable: OpenSSL drops from
 * its cache every session whose connection is freed without a shutdown.
 * Best effort, never blocks (the socket is non-blocking); a connection
 * that failed (a fatal alert, a reset) is not marked, so its session goes.
 */
static void
hconn_tls_shutdown(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl != NULL && SSL_is_init_finished(ssl) &&
	    !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)) {	/* once */
		(void)SSL_shutdown(ssl);
		(void)sio_flush(bev, 1);	/* the alert, through the filter */
	}
	ERR_clear_error();
}

/* The one way out: frees everything the connection holds. */
static void
hconn_close(struct hconn *c, const char *why)
{
	struct hconn_worker *w = c->w;

	log_debug("%s: close (%s) after %u request(s)", c->client, why,
	    c->requests);
	if (c->async != NULL) {
		c->async_ops->abort(c->async);
		c->async = NULL;
	}
	hconn_set_state(c, HCONN_CLOSING);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (w->ops->closed != NULL)
		w->ops->closed(c);
	ltimer_free(&c->timer);
	if (c->tls)
		hconn_tls_shutdown(c->bev);
	sio_rd_free(c->rd);
	sio_rd_free(c->trd);
	bufferevent_free(c->bev);
	hconn_worker_count(w, -1);
	lc_gen_unref(c->gen);
	free(c);
	metric_add(w->m->conns_active, -1);
	lc_worker_conn_close(w->lc);
}

/* Lingering: whatever the client sent is dropped. */
static void
hconn_drop_input(struct hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * The last answer is sent. A client that may still be sending (the rest
 * of a body we did not read, after an error that closes) would get a
 * reset from a close with its bytes unread, and a reset can destroy our
 * answer before it reads it (a 413 seen as "connection reset"). So, as
 * nginx's lingering close: shut for writing (the FIN follows the answer),
 * read and drop what comes, and close at its EOF or after
 * HCONN_LINGER_MS. Otherwise close now.
 */
static void
hconn_done(struct hconn *c)
{
	if (!c->linger || c->eof) {
		hconn_close(c, "done");
		return;
	}
	if (c->tls)
		hconn_tls_shutdown(c->bev);
	if (shutdown(c->fd, SHUT_WR) == -1) {
		hconn_close(c, "done");
		return;
	}
	hconn_set_state(c, HCONN_LINGER);
	c->paused = 0;
	hconn_reading(c, 1);
	ltimer_set(&c->timer, HCONN_LINGER_MS);
	hconn_drop_input(c);
}

/* Header deadline or keep-alive idle time ran out. */
static void
hconn_timeout(void *arg)
{
	struct hconn *c = arg;
	struct hreq r = { .tc = HCONN_TC_CLIENT_TIMEOUT };

	if (c->state == HCONN_LINGER) {
		hconn_close(c, "lingered");
		return;
	}
	metric_inc(c->w->m->timeouts);
	if (c->state == HCONN_PROXY && c->async_ops->timeout != NULL) {
		c->async_ops->timeout(c->async);
		return;
	}
	if (c->state != HCONN_HEAD) {
		hconn_close(c, c->state == HCONN_IDLE ?
		    "keep-alive timeout" : "timeout");
		return;
	}
	/* A head started but did not finish in time (slowloris): 408. */
	r.t_start_us = util_now_us();
	hconn_error(c, &r, 408);
	hconn_log(c, &r);
	if (hconn_flush(c) == 0)
		hconn_close(c, "header timeout");
}

struct evbuffer *
hconn_output(struct hconn *c)
{
	return bufferevent_get_output(c->bev);
}

struct evbuffer *
hconn_input(struct hconn *c)
{
	return bufferevent_get_input(c->bev);
}

void
hconn_read(struct hconn *c, int on)
{
	if (c->paused == !on)
		return;
	c->paused = !on;
	if (on && (c->eof ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0))
		bufferevent_trigger(c->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

void
hconn_head(struct hconn *c, struct hreq *r,
    struct http1_out *out, char *buf, size_t size, int status)
{
	r->status = status;
	http1_out_init_buffer(out, buf, size);
	http1_write_status_line(out, 1, status, NULL, 0);
	if (c->hs->server != NULL)
		http1_write_header(out, "Server", 6, c->hs->server,
		    strlen(c->hs->server));
	http1_out_add(out, "Date: ", 6);
	http1_out_add(out, httpdate_now(time(NULL)), HTTPDATE_SIZE - 1);
	http1_out_add(out, "\r\n", 2);
	if (r->close)
		http1_out_add(out, "Connection: close\r\n", 19);
	else if (r->msg != NULL && r->msg->version_minor == 0)
		http1_out_add(out, "Connection: keep-alive\r\n", 24);
}

int
hconn_send_head(struct hconn *c, struct http1_out *out)
{
	if (http1_write_end_head(out) == -1)
		return -1;
	evbuffer_add(bufferevent_get_output(c->bev), out->buf, out->len);
	metric_add(c->w->m->bytes_out, (int64_t)out->len);
	return 0;
}

/* Statuses after which the connection cannot be trusted or reused. */
static int
hconn_fatal_status(int status)
{
	switch (status) {
	case 400: case 408: case 413: case 414: case 431: case 501: case 505:
		return 1;
	}
	return 0;
}

void
hconn_reply(struct hconn *c, struct hreq *r, int status, const char *fields,
    const char *body, size_t n)
{
	struct http1_out out;
	char buf[1024];

	hconn_head(c, r, &out, buf, sizeof(buf), status);
	if (fields != NULL)
		http1_out_add(&out, fields, strlen(fields));
	http1_write_header_u64(&out, "Content-Length", 14, (uint64_t)n);
	if (hconn_send_head(c, &out) == 0 && !r->head_only) {
		evbuffer_add(bufferevent_get_output(c->bev), body, n);
		r->bytes = (uint64_t)n;
	}
}

void
hconn_error(struct hconn *c, struct hreq *r, int status)
{
	char body[256];
	const char *reason = http1_reason_phrase(status);
	int n;

	if (hconn_fatal_status(status))
		r->close = 1;
	r->status = status;
	if (c->w->ops->error_page == NULL ||
	    c->w->ops->error_page(c, r, status) != 0) {
		n = snprintf(body, sizeof(body), "<html><head><title>%d %s"
		    "</title></head><body><h1>%d %s</h1></body></html>\n",
		    status, reason ? reason : "", status, reason ? reason : "");
		hconn_reply(c, r, status, status == 405 ?
		    "Content-Type: text/html; charset=utf-8\r\n"
		    "Allow: GET, HEAD\r\n" :
		    "Content-Type: text/html; charset=utf-8\r\n", body,
		    (size_t)n);
	}
	if (r->close) {
		hconn_set_state(c, HCONN_CLOSING);
		hconn_reading(c, 0);
		c->linger = 1;	/* the rest of the request may be coming */
	}
}

/*
 * Whether the connection may carry another request after this one,
 * decided before the response so that its head can say so.
 */
static int
hconn_keepalive(struct hconn *c, const struct http1_msg *msg)
{
	return c->hs->keepalive_timeout_ms > 0 &&
	    c->requests + 1 < (unsigned)c->hs->max_keepalive_requests &&
	    (msg->flags & HTTP1_F_KEEP_ALIVE) && !c->w->lc->stopping;
}

/* A parse error: answer with its status and close. */
static void
hconn_bad_request(struct hconn *c)
{
	struct hreq r = { .tc = HCONN_TC_BAD_REQUEST };

	r.t_start_us = util_now_us();
	metric_inc(c->w->m->parse_errors);
	log_debug("%s: bad request: %s", c->client, c->parser.err_reason);
	hconn_error(c, &r, c->parser.err_status);
	hconn_log(c, &r);
}

/*
 * Drops request body bytes we will not use. A static resource answers
 * before its body arrives; the body is read and thrown away (bounded by
 * client_max_body_size) so the next request on the connection is found.
 */
static int
hconn_discard(struct hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len, used, dlen;
	const char *p, *data;
	enum http1_rc rc;

	while ((len = evbuffer_get_length(in)) > 0) {
		len = MINIMUM(len, HCONN_READ_MAX);
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		rc = http1_body_decode(&c->body, p, len, &used, &data, &dlen);
		evbuffer_drain(in, used);
		if (rc == HTTP1_DONE) {
			hconn_set_state(c, HCONN_IDLE);
			return 0;
		}
		if (rc == HTTP1_ERROR) {
			hconn_close(c, c->body.err_reason);
			return -1;
		}
		if (used == 0)
			break;
	}
	return 1;
}

/* After a response: next request, close, or wait for the client. */
static void
hconn_after(struct hconn *c, struct hreq *r)
{
	const struct http1_msg *msg = r->msg;

	c->requests++;
	hconn_log(c, r);
	if (c->state == HCONN_CLOSING)
		return;
	if (r->close) {
		c->linger |= msg->body != HTTP1_BODY_NONE;
		hconn_set_state(c, HCONN_CLOSING);
		return;
	}
	http1_parser_reset(&c->parser);
	if (msg->body != HTTP1_BODY_NONE) {
		http1_body_init(&c->body, msg, &c->hs->limits);
		hconn_set_state(c, HCONN_DISCARD);
	} else
		hconn_set_state(c, HCONN_IDLE);
}

/* Is msg's whole body (if any) in the input already? */
static int
hconn_body_here(struct hconn *c, const struct http1_msg *msg)
{
	size_t len = evbuffer_get_length(bufferevent_get_input(c->bev));

	if (msg->body == HTTP1_BODY_NONE)
		return 1;
	return msg->body == HTTP1_BODY_LENGTH &&
	    len - msg->head_len >= msg->content_length;
}

/*
 * More of the request is awaited: the client's data is acknowledged at
 * once (net_quickack), since plain HTTP listeners delay ACKs. TLS ones do
 * not, and Unix sockets have no ACKs, so nothing is asked there.
 */
static void
hconn_awaits(struct hconn *c)
{
	if (c->quickack)
		net_quickack(c->fd);
}

/*
 * One head from the input: AGAIN when incomplete, DONE after a response,
 * ERROR when the connection is closing.
 */
static enum http1_rc
hconn_one(struct hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct http1_msg *msg = &c->w->msg;
	struct hreq r;
	size_t len = evbuffer_get_length(in);
	const char *p;
	enum http1_rc rc;

	if (len == 0)
		return HTTP1_AGAIN;
	if (c->state == HCONN_IDLE) {
		hconn_set_state(c, HCONN_HEAD);
		ltimer_set(&c->timer, c->hs->header_timeout_ms);
	}
	len = MINIMUM(len, (size_t)c->hs->limits.max_head + 2);
	p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
	if ((rc = http1_parse_head(&c->parser, msg, p, len)) == HTTP1_AGAIN) {
		hconn_awaits(c);
		return HTTP1_AGAIN;
	}
	if (rc == HTTP1_ERROR) {
		hconn_bad_request(c);
		return HTTP1_ERROR;
	}
	if (!hconn_body_here(c, msg))
		hconn_awaits(c);
	memset(&r, 0, sizeof(r));
	r.msg = msg;
	r.t_start_us = util_now_us();
	r.tc = HCONN_TC_OK;
	r.close = !hconn_keepalive(c, msg);
	r.head_only = msg->method == HTTP1_METHOD_HEAD;
	ltimer_set(&c->timer, 0);	/* the header deadline is met */
	if (c->w->ops->handle(c, &r) == 1) {
		/* With an upstream: head drained. When the connection ends
		   with this answer and no body follows, nothing more is
		   wanted from the client: a plain socket that was never
		   watched is then closed without an epoll_ctl. */
		if (r.close && msg->body == HTTP1_BODY_NONE &&
		    c->state == HCONN_PROXY)
			hconn_reading(c, 0);
		return HTTP1_AGAIN;
	}
	hconn_after(c, &r);		/* logs from the head: drain after */
	evbuffer_drain(in, msg->head_len);
	return c->state == HCONN_CLOSING ? HTTP1_ERROR : HTTP1_DONE;
}

/* The peer's address and its two texts: client (logs), ip (forwarded
   headers, computed here once rather than per request). */
static void
hconn_set_peer(struct hconn *c, const struct net_addr *peer)
{
	c->peer = *peer;
	addr_format_host(peer, addr_host(peer, c->ip, sizeof(c->ip)),
	    c->client, sizeof(c->client));
	if (c->ip[0] == '\0')
		util_strlcpy(c->ip, "unix", sizeof(c->ip));
}

/*
 * The PROXY header a trusted peer (lbd) sends first: the client's real
 * address replaces the peer's. 0 when done, 1 to wait for more bytes, -1
 * after closing on a malformed one.
 */
static int
hconn_proxy_header(struct hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = MINIMUM(evbuffer_get_length(in), PROXYPROTO_MAX_LEN);
	struct proxyproto_hdr hdr;
	char *cause = NULL;
	size_t used = 0;
	const void *p;

	if (len == 0)
		return 1;
	p = evbuffer_pullup(in, (ev_ssize_t)len);
	switch (proxyproto_parse(p, len, &hdr, &used, &cause)) {
	case PROXYPROTO_MORE:
		return 1;
	case PROXYPROTO_ERROR:
		log_info("%s: bad PROXY header: %s", c->client, cause);
		free(cause);
		hconn_close(c, "bad PROXY header");
		return -1;
	default:
		break;
	}
	evbuffer_drain(in, used);
	c->proxy_hdr = 0;
	if (!hdr.local)
		hconn_set_peer(c, &hdr.src);
	return 0;
}

/* Handles what the input holds, within the batch and output limits. */
static void
hconn_process(struct hconn *c)
{
	int n;

	if (c->proxy_hdr && hconn_proxy_header(c) != 0)
		return;

	for (n = 0; n < HCONN_PIPELINE_BATCH; n++) {
		if (c->state == HCONN_DISCARD && hconn_discard(c) != 0)
			break;
		if (c->state == HCONN_CLOSING ||
		    c->state == HCONN_PROXY)
			break;
		if (sio_pending(c->bev, c->tls) > HCONN_OUT_HIGH &&
		    hconn_flush(c) > HCONN_OUT_HIGH) {
			hconn_set_state(c, HCONN_BLOCKED);
			hconn_reading(c, 0);
			return;
		}
		if (hconn_one(c) != HTTP1_DONE)
			break;
	}
	/* The answers of this batch leave now, in one write. */
	hconn_flush(c);
	if (c->state == HCONN_CLOSING) {
		hconn_reading(c, 0);
		if (sio_pending(c->bev, c->tls) == 0)
			hconn_done(c);
		return;
	}
	/* The idle clock starts once the last response is sent: a long
	   download is watched by the send timeout, not the idle one. */
	if (c->state == HCONN_IDLE)
		ltimer_set(&c->timer, sio_pending(c->bev, c->tls) == 0 ?
		    c->hs->keepalive_timeout_ms : 0);
	if (n == HCONN_PIPELINE_BATCH)	/* let other connections run */
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

static void
hconn_readcb(struct bufferevent *bev, void *arg)
{
	struct hconn *c = arg;

	if (c->state == HCONN_LINGER) {
		hconn_drop_input(c);
		return;
	}
	if (c->state != HCONN_PROXY) {
		hconn_process(c);
		return;
	}
	if (c->paused)
		return;
	c->async_ops->read(c->async);
	/* Still proxying and still wanting bytes, but the client ended. */
	if (c->eof && c->state == HCONN_PROXY && !c->paused)
		hconn_close(c, "client closed mid-request");
}

size_t
hconn_flush(struct hconn *c)
{
	return sio_flush(c->bev, (c->tls ? SIO_TLS : 0) |
	    (c->files ? SIO_FILES : 0));
}

/* Output drained below the low-water mark (empty). */
static void
hconn_writecb(struct bufferevent *bev, void *arg)
{
	struct hconn *c = arg;

	sio_drained(bev, c->tls);
	if (c->state == HCONN_CLOSING) {
		if (sio_pending(bev, c->tls) == 0)
			hconn_done(c);
		return;
	}
	if (c->state == HCONN_PROXY) {
		c->async_ops->drained(c->async);
		return;
	}
	if (c->state == HCONN_BLOCKED) {
		hconn_set_state(c, HCONN_IDLE);
		hconn_reading(c, 1);
		hconn_process(c);
	} else if (c->state == HCONN_IDLE)
		ltimer_set(&c->timer, c->hs->keepalive_timeout_ms);
}

static void
hconn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct hconn *c = arg;

	if (what == BEV_EVENT_CONNECTED) {	/* a TLS handshake is done */
		sio_init(bev, c->tls);
		return;
	}
	if (c->state == HCONN_LINGER) {
		hconn_close(c, "done, lingered");
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		metric_inc(c->w->m->timeouts);
		hconn_close(c, "send timeout");
	} else if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    c->state == HCONN_PROXY && c->paused) {
		/* A half-close after the request: the answer still goes. */
		c->eof = 1;
		hconn_reading(c, 0);
	} else if (what & BEV_EVENT_EOF)
		hconn_close(c, c->state == HCONN_IDLE ? "client closed" :
		    "client closed mid-request");
	else
		hconn_close(c, c->tls ? "TLS or socket error" :
		    "socket error");
}

/*
 * The socket under a TLS filter is read by common/sio's reader too (no
 * FIONREAD per read): always on, bounded by HCONN_TLS_RAW_HIGH bytes of
 * records the filter has not taken. The filter's own reading of its
 * socket (which it turns on when made) goes off; while the filter does
 * not want bytes, records wait in the socket's input, as they would in
 * the kernel. 0, or -1 when out of memory.
 */
static int
hconn_tls_reader(struct hconn *c, struct event_base *base,
    struct bufferevent *bev)
{
	struct bufferevent *under = bufferevent_get_underlying(bev);

	if ((c->trd = sio_rd_new(base, under)) == NULL)
		return -1;
	bufferevent_disable(under, EV_READ);
	sio_rd_high(c->trd, HCONN_TLS_RAW_HIGH);
	sio_rd_set(c->trd, 1);
	return 0;
}

/*
 * A new connection on bev (plain or TLS). The connection keeps the
 * worker's current generation until it closes.
 */
static void
hconn_start(struct hconn_worker *w, struct bufferevent *bev, int tls,
    const struct net_addr *peer)
{
	struct hconn *c;
	struct timeval wt;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (!tls && (c->rd = sio_rd_new(w->lc->base, bev)) == NULL) ||
	    (tls && hconn_tls_reader(c, w->lc->base, bev) == -1)) {
		if (c != NULL)
			sio_rd_free(c->rd);
		free(c);
		bufferevent_free(bev);
		return;
	}
	c->bev = bev;
	c->fd = bufferevent_getfd(tls ? bufferevent_get_underlying(bev) : bev);
	c->tls = tls;
	c->quickack = !tls && peer->ss.ss_family != AF_UNIX;
	c->w = w;
	c->gen = lc_gen_ref(w->lc->gen);
	c->conf = c->gen->conf;
	c->hs = w->ops->settings(c->conf);
	hconn_set_peer(c, peer);
	c->proxy_hdr = c->hs->proxy_from != NULL &&
	    cidr_list_match(c->hs->proxy_from, (const struct sockaddr *)&peer->ss);
	(void)ltimer_init(&c->timer, w->lc->base, hconn_timeout, c);
	http1_parser_init(&c->parser, HTTP1_REQUEST, &c->hs->limits);
	c->state = HCONN_HEAD;	/* set_state(IDLE) counts it idle */
	hconn_set_state(c, HCONN_IDLE);
	wt.tv_sec = (time_t)(c->hs->send_timeout_ms / 1000);
	wt.tv_usec = (suseconds_t)(c->hs->send_timeout_ms % 1000) * 1000;
	/* Under TLS the socket's: the filter's timer would run idle too. */
	bufferevent_set_timeouts(tls ? bufferevent_get_underlying(bev) : bev,
	    NULL, &wt);
	bufferevent_setcb(c->bev, hconn_readcb, hconn_writecb,
	    hconn_eventcb, c);
	/* Reading stays on, also while a request is proxied, up to a bound
	   (pipelined requests wait in the input); not for a request that
	   ends the connection and has no body (hconn_one). */
	if (c->rd != NULL)
		sio_rd_high(c->rd,
		    (size_t)c->hs->limits.max_head + HCONN_IN_SLACK);
	else
		bufferevent_setwatermark(c->bev, EV_READ, 0,
		    (size_t)c->hs->limits.max_head + HCONN_IN_SLACK);
	if (!tls)	/* TLS: once the handshake is done (hconn_eventcb) */
		sio_init(c->bev, tls);
	/* The first request (after the handshake) must come as fast as a
	   head must finish. */
	ltimer_set(&c->timer, c->hs->header_timeout_ms);
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	metric_inc(c->w->m->conns_total);
	metric_add(c->w->m->conns_active, 1);
	lc_worker_conn_open(w->lc);
	hconn_worker_count(w, 1);
	if (w->ops->admit != NULL && w->ops->admit(c) == -1) {
		hconn_close(c, "refused at admission");
		return;
	}
	/* A plain connection's first request is usually there already:
	   read it now (it may be answered, and c closed, from in here). */
	if (c->rd != NULL)
		sio_rd_start(c->rd);
	else
		hconn_reading(c, 1);
}

const struct net_listen_opts hconn_listen_opts = { .delayed_ack = 1 };

void
hconn_accept(int fd, const struct net_addr *peer, void *arg)
{
	struct hconn_worker *w = arg;
	struct bufferevent *bev;

	if ((bev = bufferevent_socket_new(w->lc->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		return;
	}
	hconn_start(w, bev, 0, peer);
}

void
hconn_accept_tls(int fd, const struct net_addr *peer, void *arg)
{
	struct hconn_worker *w = arg;
	SSL_CTX *ctx = w->ops->tls_ctx != NULL ?
	    w->ops->tls_ctx(w->lc->gen->conf) : NULL;
	struct bufferevent *bev, *under;
	SSL *ssl;

	if (ctx == NULL || (ssl = SSL_new(ctx)) == NULL) {
		close(fd);
		return;
	}
	/*
	 * OpenSSL as a filter over a socket bufferevent, not on the
	 * descriptor: records are made as bytes are added, and common/sio
	 * writes them at once (the filter's own socket mode waits a loop
	 * turn and two epoll_ctl per response). Its callbacks are deferred:
	 * a filter calls them from inside evbuffer_add otherwise.
	 */
	if ((under = bufferevent_socket_new(w->lc->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		close(fd);
		return;
	}
	if ((bev = bufferevent_openssl_filter_new(w->lc->base, under, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		SSL_free(ssl);
		bufferevent_free(under);
		return;
	}
	/* A client that closes without close_notify has still ended. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	hconn_start(w, bev, 1, peer);
}

void
hconn_async(struct hconn *c, const struct hconn_async_ops *ops, void *arg)
{
	c->async_ops = ops;
	c->async = arg;
	hconn_set_state(c, HCONN_PROXY);
}

void
hconn_async_deadline(struct hconn *c, int64_t ms)
{
	ltimer_set(&c->timer, ms);
}

void
hconn_finish(struct hconn *c, struct hreq *r)
{
	c->async = NULL;
	c->requests++;
	c->paused = 0;
	hconn_log(c, r);
	hconn_flush(c);
	if (r->close || c->eof || c->state == HCONN_CLOSING ||
	    !hconn_keepalive(c, r->msg)) {
		c->linger |= r->msg != NULL && r->msg->body != HTTP1_BODY_NONE;
		hconn_set_state(c, HCONN_CLOSING);
		hconn_reading(c, 0);
		/* The caller still holds c, so the close waits for the write
		   callback; the FIN need not. Sent with the answer, as
		   HAProxy does, it spares a client that read the answer and
		   closed first a segment and a TIME_WAIT. */
		if (!c->linger && !c->tls && sio_pending(c->bev, 0) == 0)
			(void)shutdown(c->fd, SHUT_WR);
		bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
		return;
	}
	http1_parser_reset(&c->parser);
	hconn_set_state(c, HCONN_IDLE);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	else if (sio_pending(c->bev, c->tls) == 0)
		ltimer_set(&c->timer, c->hs->keepalive_timeout_ms);
}

void
hconn_close_idle(struct hconn_worker *w)
{
	struct hconn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == HCONN_IDLE || c->state == HCONN_LINGER)
			hconn_close(c, "stopping");
	}
}

void
hconn_close_all(struct hconn_worker *w)
{
	while (w->conns != NULL)
		hconn_close(w->conns, "worker end");
}

void
hconn_settings_limits(struct hconn_settings *hs, uint64_t max_head,
    int64_t max_headers)
{
	http1_limits_default(&hs->limits);
	hs->limits.max_head = (uint32_t)max_head;
	if (hs->limits.max_start_line > hs->limits.max_head)
		hs->limits.max_start_line = hs->limits.max_head;
	if (max_headers > 0)
		hs->limits.max_headers = (uint32_t)max_headers;
}

void
hconn_server_settings(struct hconn_settings *hs,
    const struct hconn_server_conf *sc)
{
	hconn_settings_limits(hs, sc->max_header_size, sc->max_headers);
	hs->keepalive_timeout_ms = sc->keepalive_timeout_ms;
	hs->header_timeout_ms = sc->header_timeout_ms;
	hs->send_timeout_ms = sc->send_timeout_ms;
}

void
hconn_metrics_init(struct hconn_metrics *m, struct metrics *reg)
{
	static const char *const cls[6] = { "other", "1xx", "2xx", "3xx",
	    "4xx", "5xx" };
	char labels[32];
	int i;

	for (i = 0; i < 6; i++) {
		snprintf(labels, sizeof(labels), "class=\"%s\"", cls[i]);
		m->requests[i] = metrics_counter(reg, "requests_total",
		    "Requests answered, by status class.", labels);
	}
	m->bytes_out = metrics_counter(reg, "sent_bytes_total",
	    "Bytes of response heads and bodies queued to clients.", NULL);
	m->conns_total = metrics_counter(reg, "connections_total",
	    "Client connections accepted.", NULL);
	m->conns_active = metrics_gauge(reg, "connections_active",
	    "Client connections open.", NULL);
	m->conns_idle = metrics_gauge(reg, "connections_idle",
	    "Open connections waiting for a request.", NULL);
	m->latency = metrics_histogram(reg, "request_duration_microseconds",
	    "Time from request head to response queued (proxied: to the end "
	    "of the response).", NULL, metrics_latency_us_bounds,
	    metrics_latency_us_nbounds);
	m->timeouts = metrics_counter(reg, "timeouts_total",
	    "Connections closed by a header, idle or send timeout.", NULL);
	m->parse_errors = metrics_counter(reg, "bad_requests_total",
	    "Requests refused by the HTTP parser.", NULL);
}

void
hconn_worker_init(struct hconn_worker *hw, struct lc_worker *lw,
    const struct hconn_ops *ops, struct hconn_metrics *m, void *arg,
    int64_t max_conns)
{
	hw->lc = lw;
	hw->ops = ops;
	hw->m = m;
	hw->arg = arg;
	hw->max_conns = max_conns;
}

void
hconn_listen(struct hconn_worker *hw, struct listeners *lsn)
{
	hw->listeners = listeners_start(lsn, hw->lc->id, hw->lc->base,
	    hconn_accept, NULL, hw, &hw->nlisteners);
}

void
hconn_unlisten(struct hconn_worker *hw)
{
	listeners_stop(&hw->listeners, &hw->nlisteners);
}

void
hconn_worker_reload(struct hconn_worker *hw, struct listeners *lsn,
    int inherit, int64_t max_conns)
{
	if (lsn != NULL && !inherit) {
		hconn_unlisten(hw);
		hconn_listen(hw, lsn);
	}
	hw->max_conns = max_conns;
	net_listeners_limit(hw->listeners, hw->nlisteners, hw->nconns,
	    (size_t)max_conns);
}
