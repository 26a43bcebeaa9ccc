/*
 * direct.c: a module worker serving its app's own listeners (see
 * direct.h). The request goes to the module exactly as through the
 * master: the same CGI params (params.c) parsed by the same accessors
 * (modapi.c), and the answer framed by the same code (respond.c) from
 * the same CGI head, so triad_app.h behaves the same on both paths.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "alog.h"
#include "cgihead.h"
#include "cidr.h"
#include "conf.h"
#include "direct.h"
#include "direct_sig.h"
#include "hconn.h"
#include "http1.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "modapi.h"
#include "net.h"
#include "params.h"
#include "respond.h"
#include "scoreboard.h"
#include "sio.h"
#include "triad_app.h"
#include "util.h"

#define DIRECT_MAX_LISTEN	8
#define DIRECT_MAX_ROUTES	64
#define DIRECT_OUT_HIGH		(256 * 1024)

/* The answer of the running request. */
struct direct_out {
	struct hconn	*c;
	struct hreq	*hr;
	int		 minor;
	int		 chunked;
	int		 refused;	/* its head was refused: 502 sent */
};

/* A request whose body is still coming. */
struct direct_body {
	struct hconn		*c;
	struct hreq		 hr;
	struct http1_msg	 msg;		/* base = head */
	char			*head;
	struct http1_body	 b;
	struct evbuffer		*body;
};

/* The worker (one per process). */
static struct direct {
	const char			*app;
	const struct triad_app_module	*m;
	struct event_base		*base;
	struct lc_gen			 gen;
	struct lc_worker		 lw;
	struct hconn_worker		 hw;
	struct hconn_metrics		 hm;
	struct metrics			*reg;	/* hm's, for the worker's life */
	struct hconn_settings		 hs;
	struct cidr_list		 trusted;
	char				*routes[DIRECT_MAX_ROUTES];
	size_t				 nroutes;
	uint64_t			 max_body, max_requests, served;
	struct scoreboard		 sb;
	struct sb_slot			*slot;
	int				 lfds[DIRECT_MAX_LISTEN];
	size_t				 nlfds;
	struct net_listener		*lsn[DIRECT_MAX_LISTEN];
	struct event			*ctl, *stop, *drain;
	struct event			*resume;	/* accepting again */
	uint32_t			 conns;
	int				 stop_pipe[2];
	int				 draining;
	struct triad_req		 r;
	struct fcgi_buf			 cgi;	/* the module's CGI head */
	struct alog_worker		 alog;
} D;

static void	direct_drain(int notify, int quick);

/* ---- the answer ---- */

/* Streaming: what is queued leaves now; waits (bounded) for a slow one. */
static int
direct_push(struct direct_out *o)
{
	struct pollfd pfd = { .fd = o->c->fd, .events = POLLOUT };
	int ms = (int)MINIMUM(D.hs.send_timeout_ms, 3600000);

	dsig_sent();
	while (sio_flush(o->c->bev, 0) > DIRECT_OUT_HIGH) {
		if (poll(&pfd, 1, ms) <= 0 ||
		    (pfd.revents & (POLLERR | POLLHUP)))
			return -1;
	}
	return 0;
}

/* The head from the module's CGI head, as the master would make it. */
static int
direct_head(struct triad_req *r, struct direct_out *o, int with_length,
    int end)
{
	struct cgihead h;
	const char *why = "no response head";
	size_t used;

	D.cgi.len = 0;
	modapi_cgi_head(r, &D.cgi, with_length);
	r->head_sent = 1;
	if (cgihead_parse((const char *)D.cgi.p, D.cgi.len, &h, &used,
	    &why) == 1 && respond_head(o->c, o->hr, o->minor, &h, r->out.len,
	    end, &o->chunked) == 0)
		return 0;
	log_warnx("app %s: %s: a response head appd refuses", D.app,
	    D.slot->what);
	o->refused = 1;
	o->hr->close = 1;
	hconn_error(o->c, o->hr, 502);
	return -1;
}

/* triad_req's send (modapi.h): the answer goes to the client. */
static int
direct_send(struct triad_req *r, int with_length, int end)
{
	struct direct_out *o = r->sink;

	if (!r->head_sent && direct_head(r, o, with_length, end) == -1)
		r->dead = 1;
	if (o->refused) {
		r->out.len = 0;
		return -1;
	}
	respond_body(o->c, o->hr, o->chunked, NULL, r->out.p, r->out.len);
	r->out.len = 0;
	if (end) {
		respond_end(o->c, o->hr, o->chunked);
		return 0;
	}
	if (direct_push(o) == -1) {
		r->dead = 1;
		o->hr->close = 1;
		o->hr->tc = HCONN_TC_CLIENT_ABORT;
		return -1;
	}
	return 0;
}

/* ---- one request ---- */

/* The request's params and body into r, as the master would send them. */
static void
direct_prepare(struct hconn *c, const struct http1_msg *m,
    struct evbuffer *body)
{
	struct triad_req *r = &D.r;
	size_t blen = body != NULL ? evbuffer_get_length(body) : 0;
	struct params_in in = { m, blen, &c->peer, c->tls, &D.trusted, NULL,
	    NULL };

	params_build(&in, &r->params);
	if (blen > 0)
		fcgi_buf_add(&r->body, evbuffer_pullup(body, -1), blen);
	fcgi_buf_add(&r->body, "", 1);		/* the NUL */
	r->body.len--;
}

/*
 * Answers of earlier pipelined requests leave before the module runs: a
 * crash's 502 must not be taken for one of them. The crash handler gets
 * the socket only when nothing else is queued.
 */
static void
direct_guard(struct hconn *c)
{
	struct evbuffer *out = hconn_output(c);

	if (evbuffer_get_length(out) > 0)
		sio_flush(c->bev, 0);
	dsig_arm(evbuffer_get_length(out) == 0 ? c->fd : -1);
}

/* Runs the module for the request and queues its answer. */
static void
direct_run(struct hconn *c, struct hreq *hr, const struct http1_msg *m,
    struct evbuffer *body)
{
	struct triad_req *r = &D.r;
	struct direct_out o = { c, hr, m->version_minor, 0, 0 };
	uint64_t t0 = util_now_us();
	int rc;

	direct_prepare(c, m, body);
	if (modapi_req_params(r) == -1) {
		modapi_req_reset(r);
		hconn_error(c, hr, 500);
		return;
	}
	if (D.max_requests > 0 && ++D.served >= D.max_requests)
		hr->close = 1;		/* the last one: the client knows */
	r->send = direct_send;
	r->sink = &o;
	r->dead = 0;
	sb_begin(D.slot, http1_span_ptr(m, m->method_text),
	    m->method_text.len, http1_span_ptr(m, m->target), m->target.len,
	    t0);
	direct_guard(c);
	rc = D.m->handle(r);
	if (modapi_req_end(r, rc < 0) == -1 && !o.refused)
		hr->close = 1;
	dsig_disarm();
	hr->upstream_us = util_now_us() - t0;
	sb_end(D.slot, t0 + hr->upstream_us);
	modapi_req_reset(r);
	if (D.max_requests > 0 && D.served >= D.max_requests)
		direct_drain(1, 0);
}

/* ---- requests with a body ---- */

/* Frees a request that waited for its body (the connection goes on). */
static void
direct_body_free(struct direct_body *d)
{
	if (d->body != NULL)
		evbuffer_free(d->body);
	free(d->head);
	free(d);
}

/* The body is over: run it (status 0) or answer status and close;
   then the next request. */
static void
direct_body_end(struct direct_body *d, int status, const char *tc)
{
	struct hconn *c = d->c;

	hconn_read(c, 0);
	if (status != 0) {
		d->hr.close = 1;
		d->hr.tc = tc;
		hconn_error(c, &d->hr, status);
	} else
		direct_run(c, &d->hr, &d->msg, d->body);
	hconn_finish(c, &d->hr);
	direct_body_free(d);
}

/* More of the body: wait for the rest, or end. */
static void
direct_body_step(struct direct_body *d)
{
	struct hconn *c = d->c;
	int rc = respond_body_read(&d->b, hconn_input(c), d->body);

	/* The client must keep sending its body (send_timeout). */
	hconn_async_deadline(c, rc == 0 ? c->hs->send_timeout_ms : 0);
	if (rc == 0)
		hconn_read(c, 1);
	else if (rc == -1)
		direct_body_end(d, d->b.err_status, HCONN_TC_CLIENT_ABORT);
	else
		direct_body_end(d, 0, NULL);
}

/* The client sent more of the body. */
static void
direct_body_read(void *arg)
{
	direct_body_step(arg);
}

/* Nothing is streamed while a body is read: nothing to resume. */
static void
direct_body_drained(void *arg)
{
}

/* The client left while its body came: nothing ran yet. */
static void
direct_body_abort(void *arg)
{
	direct_body_free(arg);
}

/* The client stalled mid-body (nothing ran yet): 408 and close. */
static void
direct_body_timeout(void *arg)
{
	direct_body_end(arg, 408, "cD");
}

static const struct hconn_async_ops direct_body_ops = {
	.read = direct_body_read,
	.drained = direct_body_drained,
	.abort = direct_body_abort,
	.timeout = direct_body_timeout,
};

/* Keeps the head (the input moves on) and reads the body first. */
static int
direct_body_start(struct hconn *c, struct hreq *hr)
{
	struct direct_body *d;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->body = evbuffer_new()) == NULL ||
	    respond_hold(c, hr, D.max_body, &d->hr, &d->msg, &d->head,
	    &d->b) == -1) {
		if (d != NULL)
			direct_body_free(d);
		hconn_error(c, hr, 503);
		return 0;
	}
	d->c = c;
	hconn_async(c, &direct_body_ops, d);
	direct_body_step(d);
	return 1;
}

/* ---- hconn ---- */

/* 1 when path (len bytes) is under one of the app's routes. */
static int
direct_routed(const char *path, size_t len)
{
	size_t i, n;

	for (i = 0; i < D.nroutes; i++) {
		n = strlen(D.routes[i]);
		if (n <= len && memcmp(D.routes[i], path, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * hconn's handle: the app's routes only (404 elsewhere), the body limit
 * at the head (413), then the module, at once or once the body is in.
 */
static int
direct_handle(struct hconn *c, struct hreq *hr)
{
	const struct http1_msg *m = hr->msg;
	const char *t = http1_span_ptr(m, m->target), *qs;
	size_t tl = m->target.len;

	hr->server = D.app;
	if (m->form != HTTP1_TARGET_ORIGIN) {
		hconn_error(c, hr, 400);
		return 0;
	}
	qs = memchr(t, '?', tl);
	if (!direct_routed(t, qs ? (size_t)(qs - t) : tl)) {
		hconn_error(c, hr, 404);
		return 0;
	}
	if ((m->flags & HTTP1_F_HAS_CL) && m->content_length > D.max_body) {
		hr->close = 1;
		hconn_error(c, hr, 413);
		return 0;
	}
	if (m->body != HTTP1_BODY_NONE)
		return direct_body_start(c, hr);
	direct_run(c, hr, m, NULL);
	return 0;
}

/* The access log: lines batched, whole lines per write (O_APPEND). */
static void
direct_log(struct hconn *c, const struct hreq *r)
{
	char line[2048];
	size_t n;

	if (D.alog.log != NULL && (n = respond_log_line(c, r, line,
	    sizeof(line))) > 0)
		alog_worker_line(&D.alog, line, n);
}

/* The listeners on (1) or off (0). */
static void
direct_listening(int on)
{
	size_t i;

	for (i = 0; i < D.nlfds; i++)
		if (D.lsn[i] != NULL)
			net_listener_enable(D.lsn[i], on);
}

/* The next loop turn (or a millisecond later): accepting again. */
static void
direct_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	/* max_connections (hconn's count) keeps them off at the limit. */
	if (!D.draining && (D.hw.max_conns <= 0 ||
	    D.hw.nconns < (size_t)D.hw.max_conns))
		direct_listening(1);
}

/*
 * The workers share one accept queue and each is woken for a new
 * connection; the first to accept gets it, and an accept loop would take
 * a whole burst (then run its requests one after the other while other
 * workers idle). So a worker accepts one connection per loop turn, and
 * one that holds more connections than an idle worker of its app (the
 * scoreboard says) waits a millisecond, so that the idle one takes the
 * next.
 */
static void
direct_balance(void)
{
	struct timeval now = { 0, 0 }, later = { 0, 1000 };
	struct sb_slot *s;
	size_t i;

	direct_listening(0);
	for (i = 0; i < D.sb.n; i++) {
		s = &D.sb.slots[i];
		if (s != D.slot && atomic_load_explicit(&s->state,
		    memory_order_relaxed) == SB_IDLE &&
		    atomic_load_explicit(&s->conns, memory_order_relaxed) <
		    D.conns) {
			evtimer_add(D.resume, &later);
			return;
		}
	}
	evtimer_add(D.resume, &now);
}

/* Accepts are counted: the master tells a stuck queue from a slow one. */
static void
direct_accept(int fd, const struct net_addr *peer, void *arg)
{
	sb_add(&D.slot->accepts, 1);
	atomic_store_explicit(&D.slot->conns, ++D.conns, memory_order_relaxed);
	hconn_accept(fd, peer, arg);
	if (!D.draining)
		direct_balance();
}

/* hconn's closed: the connection count the other workers see. */
static void
direct_closed(struct hconn *c)
{
	atomic_store_explicit(&D.slot->conns, --D.conns, memory_order_relaxed);
}

/* The one generation's HTTP settings (from the master's environment). */
static const struct hconn_settings *
direct_settings(const void *conf)
{
	return &D.hs;
}

static const struct hconn_ops direct_hconn_ops = {
	.settings = direct_settings,
	.handle = direct_handle,
	.error_page = respond_error_page,
	.log = direct_log,
	.closed = direct_closed,
};

/* ---- control: the master's socket, SIGTERM, the drain ---- */

/* Stop accepting; every answer says close; idle ones go after a while. */
static void
direct_drain(int notify, int quick)
{
	struct timeval tv = { DIRECT_DRAIN_IDLE_MS / 1000,
	    (DIRECT_DRAIN_IDLE_MS % 1000) * 1000 };
	size_t i;

	if (quick && D.draining)
		hconn_close_idle(&D.hw);
	if (D.draining)
		return;
	D.draining = 1;
	atomic_store(&D.slot->state, SB_DRAINING);
	if (notify)
		(void)!write(0, "R", 1);
	for (i = 0; i < D.nlfds; i++) {
		net_listener_free(D.lsn[i]);
		D.lsn[i] = NULL;
	}
	D.hw.nlisteners = 0;
	D.lw.stopping = 1;
	if (D.lw.conns == 0)
		event_base_loopexit(D.base, NULL);
	else if (quick)
		hconn_close_idle(&D.hw);
	else
		evtimer_add(D.drain, &tv);
}

/* The drain's grace is over: connections still idle are closed. */
static void
direct_drain_cb(evutil_socket_t fd, short ev, void *arg)
{
	hconn_close_idle(&D.hw);
}

/* A descriptor with 'L': the reopened access log replaces ours. */
static void
direct_alog_swap(struct msghdr *mh)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	int fd;

	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	alog_worker_fdswap(&D.alog, fd);
}

/* The master's word: S (drain), L and a descriptor, or its end. */
static void
direct_ctl_cb(evutil_socket_t fd, short ev, void *arg)
{
	char buf[16], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC), i;

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* the master is gone */
		event_del(D.ctl);
		direct_drain(0, 1);
		return;
	}
	for (i = 0; i < n; i++)
		if (buf[i] == 'S')
			direct_drain(0, 0);
		else if (buf[i] == 'L')
			direct_alog_swap(&mh);
}

/* A SIGTERM that was not a timeout (appd stops): a quick drain. */
static void
direct_stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	char b[16];

	(void)!read(fd, b, sizeof(b));
	direct_drain(0, 1);
}

/* ---- set-up ---- */

/* "a,b,c" of unsigned numbers into v (at most n); the count. */
static size_t
direct_nums(const char *s, uint64_t *v, size_t n)
{
	size_t k = 0;
	char *end;

	while (s != NULL && *s != '\0' && k < n) {
		v[k++] = strtoull(s, &end, 10);
		if (*end != ',')
			break;
		s = end + 1;
	}
	return k;
}

/* The HTTP limits, routes and trusted proxies the master wrote. */
static int
direct_settings_env(void)
{
	struct hconn_server_conf sc;
	uint64_t h[6];
	char *s, *tok, *save = NULL, *cause = NULL;
	struct cidr cidr;

	if (direct_nums(getenv(DIRECT_ENV_HTTP), h, 6) != 6)
		return -1;
	/* In launch_env_direct's order. */
	sc.max_header_size = h[0];
	sc.max_headers = (int64_t)h[1];
	sc.keepalive_timeout_ms = (int64_t)h[2];
	sc.header_timeout_ms = (int64_t)h[3];
	sc.send_timeout_ms = (int64_t)h[4];
	sc.max_connections = (int64_t)h[5];
	appd_conf_http(&D.hs, &sc);
	hconn_worker_init(&D.hw, &D.lw, &direct_hconn_ops, &D.hm, &D,
	    sc.max_connections);
	s = xstrdup(getenv(DIRECT_ENV_ROUTES) ? getenv(DIRECT_ENV_ROUTES) : "");
	for (tok = strtok_r(s, "\n", &save); tok != NULL &&
	    D.nroutes < DIRECT_MAX_ROUTES; tok = strtok_r(NULL, "\n", &save))
		D.routes[D.nroutes++] = xstrdup(tok);
	free(s);
	s = xstrdup(getenv(DIRECT_ENV_TRUSTED) ? getenv(DIRECT_ENV_TRUSTED) :
	    "");
	for (tok = strtok_r(s, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		if (cidr_parse(tok, &cidr, &cause) == 0)
			cidr_list_add(&D.trusted, &cidr);
		else {
			free(cause);
			cause = NULL;
		}
	free(s);
	return D.nroutes > 0 ? 0 : -1;
}

/* The scoreboard slot and the listening sockets the master passed. */
static int
direct_fds_env(void)
{
	uint64_t sb[3], fds[DIRECT_MAX_LISTEN];
	size_t i;

	if (direct_nums(getenv(DIRECT_ENV_SB), sb, 3) != 3 || sb[2] >= sb[1] ||
	    sb_map(&D.sb, (int)sb[0], (size_t)sb[1]) == -1)
		return -1;
	D.slot = &D.sb.slots[sb[2]];
	D.nlfds = direct_nums(getenv(DIRECT_ENV_FDS), fds, DIRECT_MAX_LISTEN);
	for (i = 0; i < D.nlfds; i++)
		D.lfds[i] = (int)fds[i];
	return D.nlfds > 0 ? 0 : -1;
}

/* A pretend lifecycle around hconn: one generation, one loop. */
static int
direct_loop_init(void)
{
	const char *alog = getenv(DIRECT_ENV_ALOG);	/* its descriptor */
	size_t i;

	/* epoll with libevent's changelist, as the lifecycle's loops. */
	if ((D.base = lc_worker_base_new()) == NULL || pipe2(D.stop_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	atomic_init(&D.gen.refs, 1U << 30);	/* never freed */
	D.gen.conf = &D;
	D.lw.base = D.base;
	D.lw.gen = &D.gen;
	D.lw.id = 1;
	D.reg = metrics_new("appd_worker");
	hconn_metrics_init(&D.hm, D.reg);
	for (i = 0; i < D.nlfds; i++)
		D.lsn[i] = net_listener_new(D.base, D.lfds[i],
		    direct_accept, &D.hw);
	D.hw.listeners = D.lsn;
	D.hw.nlisteners = D.nlfds;
	D.ctl = event_new(D.base, 0, EV_READ | EV_PERSIST, direct_ctl_cb, NULL);
	D.stop = event_new(D.base, D.stop_pipe[0], EV_READ | EV_PERSIST,
	    direct_stop_cb, NULL);
	D.drain = evtimer_new(D.base, direct_drain_cb, NULL);
	D.resume = evtimer_new(D.base, direct_resume_cb, NULL);
	alog_worker_start(&D.alog, D.base, alog_fdopen(alog != NULL ?
	    atoi(alog) : -1));
	event_add(D.ctl, NULL);
	event_add(D.stop, NULL);
	return 0;
}

int
direct_serve(const char *app, const struct triad_app_module *m)
{
	D.app = app;
	D.m = m;
	D.max_body = strtoull(getenv("TRIAD_APPD_MAX_BODY") ?
	    getenv("TRIAD_APPD_MAX_BODY") : "1048576", NULL, 10);
	D.max_requests = strtoull(getenv(DIRECT_ENV_MAXREQ) ?
	    getenv(DIRECT_ENV_MAXREQ) : "0", NULL, 10);
	D.r.fd = -1;
	D.r.max_response = strtoull(getenv("TRIAD_APPD_MAX_RESPONSE") ?
	    getenv("TRIAD_APPD_MAX_RESPONSE") : "67108864", NULL, 10);
	if (direct_settings_env() == -1 || direct_fds_env() == -1 ||
	    direct_loop_init() == -1) {
		log_warnx("app %s: bad direct-listener settings from the "
		    "master", app);
		return -1;
	}
	if (dsig_init(D.slot, app, D.stop_pipe[1]) == -1)
		log_warn("app %s: no alternate signal stack", app);
	atomic_store(&D.slot->pid, (uint32_t)getpid());
	atomic_store(&D.slot->state, SB_IDLE);
	event_base_dispatch(D.base);
	hconn_close_all(&D.hw);
	alog_worker_end(&D.alog);
	atomic_store(&D.slot->state, SB_FREE);
	modapi_req_free(&D.r);
	return 0;
}
