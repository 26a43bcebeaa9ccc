/*
 * request.c: appd's HTTP side (see request.h): routing to an app, the
 * request body read whole within the app's limit, the response head
 * rebuilt from the app's CGI head (hop-by-hop fields dropped, framing
 * appd's own), errors and the access log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "alog.h"
#include "appd.h"
#include "cgi.h"
#include "cgihead.h"
#include "conf.h"
#include "http1.h"
#include "metrics.h"
#include "pool.h"
#include "proc.h"
#include "request.h"
#include "respond.h"
#include "util.h"

#define REQ_OUT_HIGH	(256 * 1024)

static void	appd_req_client_read(void *);
static void	appd_req_client_drained(void *);
static void	appd_req_abort(void *);
static void	appd_req_client_timeout(void *);
static void	appd_req_source(struct appd_req *, int);

static const struct hconn_async_ops appd_req_async_ops = {
	.read = appd_req_client_read,
	.drained = appd_req_client_drained,
	.abort = appd_req_abort,
	.timeout = appd_req_client_timeout,
};

void
appd_req_free(struct appd_req *q)
{
	if (q->queued && q->pool != NULL)
		pool_unqueue(q->pool, q);
	if (q->proc != NULL)
		proc_detach(q->proc);
	if (q->cgi != NULL)
		cgi_detach(q->cgi);
	if (q->qtimer != NULL)
		event_free(q->qtimer);
	if (q->body != NULL)
		evbuffer_free(q->body);
	if (q->out != NULL)
		evbuffer_free(q->out);
	free(q->head);
	free(q);
}

/* The request is over: log it, the connection goes on, q is freed. */
static void
appd_req_finish(struct appd_req *q)
{
	struct hconn *c = q->c;

	q->req.upstream_us = q->t_run_us ? util_now_us() - q->t_run_us : 0;
	q->req.server = q->app != NULL ? q->app->name : NULL;
	q->c = NULL;
	hconn_finish(c, &q->req);	/* logs q->req: free after */
	appd_req_free(q);
}

void
appd_req_fail(struct appd_req *q, int status, const char *tc)
{
	if (q->pool != NULL && status >= 500)
		metric_inc(q->pool->m->errors);
	q->req.tc = tc;
	if (q->head_done)
		q->req.close = 1;	/* the head is out: cut the body */
	else
		hconn_error(q->c, &q->req, status);
	appd_req_finish(q);
}

void
appd_req_reject(struct appd_req *q, int64_t retry_after)
{
	respond_reject(q->c, &q->req, retry_after);
	appd_req_finish(q);
}

int
appd_req_head(struct appd_req *q, const struct cgihead *h,
    uint64_t body_len, int complete)
{
	if (respond_head(q->c, &q->req, q->msg.version_minor, h, body_len,
	    complete, &q->chunked) == -1)
		return -1;
	q->streaming = !complete;
	if (q->streaming)	/* the head goes out now, the body follows */
		hconn_flush(q->c);
	return 0;
}

void
appd_req_data(struct appd_req *q, struct evbuffer *from, size_t len)
{
	respond_body(q->c, &q->req, q->chunked, from, NULL, len);
	if (!q->streaming)
		return;		/* hconn_finish writes a whole answer */
	/* Streaming: out now; a slow client stops the app's side until the
	   client caught up (the drained callback). */
	if (hconn_flush(q->c) > REQ_OUT_HIGH && !q->paused) {
		q->paused = 1;
		appd_req_source(q, 0);
	}
}

/* Pauses (on = 0) or resumes reading q's answer from its worker or CGI. */
static void
appd_req_source(struct appd_req *q, int on)
{
	if (q->proc != NULL)
		proc_reading(q->proc, on);
	else if (q->cgi != NULL)
		cgi_reading(q->cgi, on);
}

void
appd_req_done(struct appd_req *q)
{
	respond_end(q->c, &q->req, q->chunked);
	q->req.tc = HCONN_TC_OK;
	appd_req_finish(q);
}

/* The pool of app on this thread (a reload may have changed the order). */
static struct appd_pool *
appd_req_pool(struct appd_worker *w, const struct appd_app *a)
{
	size_t i;

	if (a->index < w->npools && w->pools[a->index]->app == a)
		return w->pools[a->index];
	for (i = 0; i < w->npools; i++)
		if (strcmp(w->pools[i]->app->name, a->name) == 0)
			return w->pools[i];
	return NULL;
}

/* The body is in: to the app's pool. */
static void
appd_req_submit(struct appd_req *q)
{
	struct appd_pool *pool = appd_req_pool(APPD_WORKER(q->c), q->app);

	hconn_read(q->c, 0);
	if (pool == NULL) {
		appd_req_fail(q, 503, "sC");
		return;
	}
	pool_submit(pool, q);
}

/* Reads the request body into q->body (decoded, bounded). */
static void
appd_req_body(struct appd_req *q)
{
	int rc = respond_body_read(&q->qbody, hconn_input(q->c), q->body);

	/* The client must keep sending its body (send_timeout). */
	hconn_async_deadline(q->c, rc == 0 ? q->c->hs->send_timeout_ms : 0);
	if (rc == -1) {
		q->req.close = 1;
		appd_req_fail(q, q->qbody.err_status, "CD");
	} else if (rc == 1)
		appd_req_submit(q);
	else
		hconn_read(q->c, 1);
}

/* The client stalled mid-body (nothing ran yet): 408 and close. */
static void
appd_req_client_timeout(void *arg)
{
	struct appd_req *q = arg;

	q->req.close = 1;
	appd_req_fail(q, 408, "cD");
}

static void
appd_req_client_read(void *arg)
{
	struct appd_req *q = arg;

	if (!http1_body_done(&q->qbody) && !q->queued && q->proc == NULL)
		appd_req_body(q);
	else
		hconn_read(q->c, 0);
}

/* The client took our output: read the app again. */
static void
appd_req_client_drained(void *arg)
{
	struct appd_req *q = arg;

	if (q->paused) {
		q->paused = 0;
		appd_req_source(q, 1);
	}
}

/* The client left: drop q, or let its worker finish and drop it then. */
static void
appd_req_abort(void *arg)
{
	struct appd_req *q = arg;

	q->c = NULL;
	q->req.tc = "CD";
	if (q->paused)		/* the answer is now read and dropped */
		appd_req_source(q, 1);
	if (q->proc != NULL) {
		/* The worker's answer is discarded when it comes. */
		return;
	}
	/* A CGI script is killed: nobody waits for it. */
	appd_req_free(q);
}

/* The request's own copy of its head, then its body. */
static int
appd_req_start(struct hconn *c, struct hreq *r, const struct appd_app *a)
{
	struct appd_req *q;

	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->body = evbuffer_new()) == NULL ||
	    (q->out = evbuffer_new()) == NULL ||
	    respond_hold(c, r, a->client_max_body_size, &q->req, &q->msg,
	    &q->head, &q->qbody) == -1) {
		if (q != NULL)
			appd_req_free(q);
		hconn_error(c, r, 503);
		return 0;
	}
	q->c = c;
	q->app = a;
	hconn_async(c, &appd_req_async_ops, q);
	appd_req_body(q);
	return 1;
}

/*
 * 1 when the path would name a file outside the app's root: cgi apps and
 * fastcgi apps without a front controller map paths to scripts.
 */
static int
appd_request_unsafe(const struct appd_app *a, const char *path, size_t len)
{
	char *s;

	if (a->kind == APPD_MODULE || (a->kind == APPD_FASTCGI &&
	    a->script != NULL))
		return 0;
	if ((s = cgi_script(a->root_path, path, len)) == NULL)
		return 1;
	free(s);
	return 0;
}

/* Routes r to the app of the longest matching prefix. */
static int
appd_request_handle(struct hconn *c, struct hreq *r)
{
	const struct http1_msg *m = r->msg;
	const struct appd_app *a;
	const char *t = http1_span_ptr(m, m->target), *qs;
	size_t tl = m->target.len;

	if (m->form != HTTP1_TARGET_ORIGIN) {
		hconn_error(c, r, 400);
		return 0;
	}
	qs = memchr(t, '?', tl);
	if ((a = appd_conf_app(APPD_CONF(c), t, qs ? (size_t)(qs - t) :
	    tl)) == NULL) {
		hconn_error(c, r, 404);
		return 0;
	}
	if (appd_request_unsafe(a, t, qs ? (size_t)(qs - t) : tl)) {
		hconn_error(c, r, 400);
		return 0;
	}
	if ((m->flags & HTTP1_F_HAS_CL) &&
	    m->content_length > a->client_max_body_size) {
		r->close = 1;
		hconn_error(c, r, 413);
		return 0;
	}
	return appd_req_start(c, r, a);
}

/* Access log: combined format, rt, ut (the app's time), app and tc. */
static void
appd_request_log(struct hconn *c, const struct hreq *r)
{
	char line[2048];
	size_t n;

	if (APPD_CONF(c)->access == NULL)
		return;
	if ((n = respond_log_line(c, r, line, sizeof(line))) > 0)
		alog_worker_line(&APPD_WORKER(c)->alog, line, n);
}

static const struct hconn_settings *
appd_request_settings(const void *conf)
{
	return &((const struct appd_conf *)conf)->hs;
}

const struct hconn_ops appd_hconn_ops = {
	.settings = appd_request_settings,
	.handle = appd_request_handle,
	.error_page = respond_error_page,
	.log = appd_request_log,
};
