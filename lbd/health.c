/*
 * health.c: see health.h. One state per server: idle (timer armed),
 * connecting, waiting for the HTTP answer. One function ends a check
 * (lb_health_done) and decides transitions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "health.h"
#include "http1.h"
#include "json.h"
#include "lbd.h"
#include "log.h"
#include "net.h"
#include "upstream.h"
#include "util.h"

#define LB_HEALTH_BUF	4096	/* the answer's head must fit */

enum lb_hc_type { LB_HC_NONE, LB_HC_TCP, LB_HC_HTTP };

struct lb_hc {
	struct lb_checker	*ck;
	struct upstream_server	*srv;
	struct event		*timer;		/* next check */
	struct event		*io;		/* the check in flight */
	int			 fd;
	int			 sent;		/* HTTP request written */
	size_t			 len;
	char			 buf[LB_HEALTH_BUF];
	int			 rise, fall;	/* counts in a row */
	uint64_t		 ok, failed;
	uint64_t		 started_us, last_us;
	char			 last[96];	/* last result, for /status */
};

struct lb_checker {
	struct event_base	*base;
	struct upstream_group	*g;
	struct lb_health	 conf;		/* strings point into the gen */
	char			*req;		/* the HTTP check request */
	size_t			 reqlen;
	struct lb_hc		*hc;
	size_t			 n;
};

static void lb_health_start(evutil_socket_t, short, void *);
static void lb_health_rearm(struct lb_hc *);

static void
lb_health_arm(struct lb_hc *h, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(h->timer, &tv);
}

/* Ends the check in flight: result, counts, maybe a transition. */
static void
lb_health_done(struct lb_hc *h, int good, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
lb_health_done(struct lb_hc *h, int good, const char *fmt, ...)
{
	const struct lb_health *c = &h->ck->conf;
	va_list ap;
	int down = atomic_load(&h->srv->check_down);

	if (h->io != NULL) {
		event_free(h->io);
		h->io = NULL;
	}
	if (h->fd != -1) {
		close(h->fd);
		h->fd = -1;
	}
	va_start(ap, fmt);
	vsnprintf(h->last, sizeof(h->last), fmt, ap);
	va_end(ap);
	h->last_us = util_now_us() - h->started_us;
	if (good) {
		h->ok++;
		h->fall = 0;
		if (down && ++h->rise >= c->rise) {
			upstream_server_set_check(h->srv, 0, util_now_ms());
			log_notice("server %s is UP: %s (%d/%lld checks passed)",
			    h->srv->name, h->last, h->rise, (long long)c->rise);
		}
	} else {
		h->failed++;
		h->rise = 0;
		if (!down && ++h->fall >= c->fall) {
			upstream_server_set_check(h->srv, 1, util_now_ms());
			log_warnx("server %s is DOWN: %s (%d/%lld checks failed)",
			    h->srv->name, h->last, h->fall, (long long)c->fall);
		}
	}
	lb_health_arm(h, c->interval_ms);
}

/*
 * The final answer's head from what was read: interim 1xx answers (100
 * Continue, 103 Early Hints) are dropped, as a client drops them; 101 is
 * final (and not a pass unless the range says so).
 */
static enum http1_rc
lb_health_head(struct lb_hc *h, struct http1_parser *p, struct http1_msg *m)
{
	enum http1_rc rc;

	for (;;) {
		http1_parser_init(p, HTTP1_RESPONSE, NULL);
		http1_parser_set_request_method(p, HTTP1_METHOD_GET);
		rc = http1_parse_head(p, m, h->buf, h->len);
		if (rc != HTTP1_DONE || m->status >= 200 || m->status == 101)
			return rc;
		memmove(h->buf, h->buf + m->head_len, h->len - m->head_len);
		h->len -= m->head_len;
	}
}

/* The HTTP answer: its status line decides. */
static void
lb_health_read(struct lb_hc *h)
{
	const struct lb_health *c = &h->ck->conf;
	struct http1_parser p;
	struct http1_msg *m;
	ssize_t n;

	n = read(h->fd, h->buf + h->len, sizeof(h->buf) - h->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		lb_health_done(h, 0, "connection closed before the answer");
		return;
	}
	h->len += (size_t)n;
	if ((m = malloc(sizeof(*m))) == NULL) {
		lb_health_done(h, 0, "out of memory");
		return;
	}
	switch (lb_health_head(h, &p, m)) {
	case HTTP1_AGAIN:
		if (h->len == sizeof(h->buf))
			lb_health_done(h, 0, "answer head too large");
		else
			lb_health_rearm(h);	/* the same deadline */
		break;
	case HTTP1_ERROR:
		lb_health_done(h, 0, "bad answer: %s", p.err_reason);
		break;
	default:
		lb_health_done(h, m->status >= c->status_min &&
		    m->status <= c->status_max, "HTTP status %d", m->status);
	}
	free(m);
}

static void lb_health_io(evutil_socket_t, short, void *);

/*
 * (Re)arms the event in flight for what is left of the check's timeout:
 * the timeout bounds the whole check, however the answer trickles in.
 */
static void
lb_health_rearm(struct lb_hc *h)
{
	int64_t left = h->ck->conf.timeout_ms -
	    (int64_t)((util_now_us() - h->started_us) / 1000);
	struct timeval tv;

	if (left < 1)
		left = 1;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	event_add(h->io, &tv);
}

/* After the request: wait for reading only (a writable socket would
   wake us for nothing). */
static void
lb_health_wait_answer(struct lb_hc *h)
{
	struct lb_checker *ck = h->ck;

	event_free(h->io);
	h->io = event_new(ck->base, h->fd, EV_READ | EV_PERSIST, lb_health_io,
	    h);
	lb_health_rearm(h);
}

static void
lb_health_io(evutil_socket_t fd, short what, void *arg)
{
	struct lb_hc *h = arg;
	struct lb_checker *ck = h->ck;
	int err;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		lb_health_done(h, 0, "timeout after %lldms",
		    (long long)ck->conf.timeout_ms);
		return;
	}
	if (!h->sent && (what & EV_WRITE)) {
		if ((err = net_connect_result(fd)) != 0) {
			lb_health_done(h, 0, "connect: %s", strerror(err));
			return;
		}
		if (ck->conf.type == LB_HC_TCP) {
			lb_health_done(h, 1, "TCP connect ok");
			return;
		}
		n = write(fd, ck->req, ck->reqlen);
		if (n != (ssize_t)ck->reqlen) {
			lb_health_done(h, 0, "cannot send the check request");
			return;
		}
		h->sent = 1;
		lb_health_wait_answer(h);
		return;
	}
	if (what & EV_READ)
		lb_health_read(h);
}

/* The timer: one check starts. */
static void
lb_health_start(evutil_socket_t unused, short ev, void *arg)
{
	struct lb_hc *h = arg;
	struct lb_checker *ck = h->ck;
	struct timeval tv = { (time_t)(ck->conf.timeout_ms / 1000),
	    (suseconds_t)(ck->conf.timeout_ms % 1000) * 1000 };
	char *cause = NULL;
	int in_progress;

	h->started_us = util_now_us();
	h->len = 0;
	h->sent = 0;
	h->fd = net_connect(&h->srv->addr, &in_progress, &cause);
	if (h->fd == -1) {
		lb_health_done(h, 0, "%s", cause);
		free(cause);
		return;
	}
	/* Connecting: wait for writable; then, for HTTP, for the answer. */
	h->io = event_new(ck->base, h->fd, EV_WRITE | EV_READ | EV_PERSIST,
	    lb_health_io, h);
	event_add(h->io, &tv);
}

struct lb_checker *
lb_health_new(struct event_base *base, struct upstream_group *g,
    const struct lb_health *conf)
{
	struct lb_checker *ck;
	size_t i;

	if (conf->type == LB_HC_NONE || g->nservers == 0)
		return NULL;
	ck = xcalloc(1, sizeof(*ck));
	ck->base = base;
	ck->g = upstream_group_ref(g);
	ck->conf = *conf;
	ck->reqlen = (size_t)xasprintf(&ck->req, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\nUser-Agent: triad-lbd-check\r\n\r\n",
	    conf->method, conf->path, conf->host);
	ck->n = g->nservers;
	ck->hc = xcalloc(ck->n, sizeof(*ck->hc));
	for (i = 0; i < ck->n; i++) {
		struct lb_hc *h = &ck->hc[i];

		h->ck = ck;
		h->srv = g->servers[i];
		h->fd = -1;
		snprintf(h->last, sizeof(h->last), "not checked yet");
		h->timer = evtimer_new(base, lb_health_start, h);
		/* Spread the first checks over the interval. */
		lb_health_arm(h, conf->interval_ms * (int64_t)i /
		    (int64_t)ck->n);
	}
	return ck;
}

void
lb_health_free(struct lb_checker *ck)
{
	size_t i;

	if (ck == NULL)
		return;
	for (i = 0; i < ck->n; i++) {
		struct lb_hc *h = &ck->hc[i];

		event_free(h->timer);
		if (h->io != NULL)
			event_free(h->io);
		if (h->fd != -1)
			close(h->fd);
	}
	free(ck->hc);
	free(ck->req);
	upstream_group_unref(ck->g);
	free(ck);
}

void
lb_health_json(const struct lb_checker *ck, size_t i, struct json *j)
{
	const struct lb_hc *h;

	if (ck == NULL || i >= ck->n)
		return;
	h = &ck->hc[i];
	json_object_open(j, "check");
	json_str(j, "last", h->last);
	json_int(j, "last_us", (int64_t)h->last_us);
	json_int(j, "ok", (int64_t)h->ok);
	json_int(j, "failed", (int64_t)h->failed);
	/* Progress toward a transition, as HAProxy's "UP 1/3". */
	json_int(j, "rise", h->rise);
	json_int(j, "rise_needed", ck->conf.rise);
	json_int(j, "fall", h->fall);
	json_int(j, "fall_needed", ck->conf.fall);
	json_object_close(j);
}

/* Visible ASCII only: what may stand in a request line or a field. */
static int
lb_health_vchars(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
lb_health_conf_check(const struct lb_health *c, char **cause)
{
	if (c->type != LB_HC_HTTP)
		return 0;
	if (!http1_token_valid(c->method, strlen(c->method))) {
		xasprintf(cause, "health.method '%s' is not a method token",
		    c->method);
		return -1;
	}
	if (c->path[0] != '/' || !lb_health_vchars(c->path)) {
		xasprintf(cause, "health.path must start with / and hold "
		    "visible characters only");
		return -1;
	}
	if (c->host[0] == '\0' || !lb_health_vchars(c->host)) {
		xasprintf(cause, "health.host must be visible characters only");
		return -1;
	}
	if (c->status_min > c->status_max) {
		xasprintf(cause, "health.status_min is above status_max");
		return -1;
	}
	return 0;
}
