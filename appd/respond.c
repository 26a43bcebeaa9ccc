/*
 * respond.c: appd's HTTP answers (see respond.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "cgihead.h"
#include "hconn.h"
#include "http1.h"
#include "respond.h"
#include "util.h"

#define RESPOND_HEAD_MAX	(CGIHEAD_MAX + 1024)
#define RESPOND_READ_MAX	65536

int
respond_skip_field(const char *name, size_t nlen)
{
	static const char *const skip[] = { "Connection", "Keep-Alive",
	    "Transfer-Encoding", "Content-Length", "Upgrade", "Trailer",
	    "Proxy-Connection", NULL };
	size_t i;

	for (i = 0; skip[i] != NULL; i++)
		if (strlen(skip[i]) == nlen &&
		    util_strncasecmp(name, skip[i], nlen) == 0)
			return 1;
	return 0;
}

int
respond_head(struct hconn *c, struct hreq *r, int minor,
    const struct cgihead *h, uint64_t body_len, int complete, int *chunked)
{
	struct http1_out out;
	char buf[RESPOND_HEAD_MAX];
	int nobody = h->status == 204 || h->status == 304 || h->status < 200;
	size_t i;

	*chunked = 0;
	if (h->status < 200)
		return -1;	/* no interim answers from apps */
	if (complete && h->has_length && h->content_length != body_len)
		return -1;
	if (!complete && !h->has_length && minor == 0)
		r->close = 1;	/* the end of the body is the close */
	hconn_head(c, r, &out, buf, sizeof(buf), h->status);
	for (i = 0; i < h->n; i++)
		if (!respond_skip_field(h->f[i].name, h->f[i].nlen))
			http1_write_header(&out, h->f[i].name, h->f[i].nlen,
			    h->f[i].value, h->f[i].vlen);
	if (nobody)
		;
	else if (complete || h->has_length)
		http1_write_header_u64(&out, "Content-Length", 14,
		    complete ? body_len : h->content_length);
	else if (minor == 1) {
		http1_out_add(&out, "Transfer-Encoding: chunked\r\n", 28);
		*chunked = 1;
	}
	if (hconn_send_head(c, &out) == -1)
		return -1;
	if (nobody)
		r->head_only = 1;
	return 0;
}

void
respond_body(struct hconn *c, struct hreq *r, int chunked,
    struct evbuffer *from, const void *p, size_t len)
{
	struct evbuffer *o = hconn_output(c);
	struct http1_out out;

	if (r->head_only) {
		if (from != NULL)
			evbuffer_drain(from, len);
		return;
	}
	if (len == 0)
		return;		/* an empty chunk would end the body */
	if (chunked) {
		http1_out_init_evbuffer(&out, o);
		http1_write_chunk_header(&out, len);
	}
	if (from != NULL)
		evbuffer_remove_buffer(from, o, len);
	else
		evbuffer_add(o, p, len);
	if (chunked)
		evbuffer_add(o, "\r\n", 2);
	r->bytes += len;
}

void
respond_end(struct hconn *c, struct hreq *r, int chunked)
{
	if (chunked && !r->head_only)
		evbuffer_add(hconn_output(c), "0\r\n\r\n", 5);
}

void
respond_reject(struct hconn *c, struct hreq *r, int64_t retry_after)
{
	static const char body[] = "{\"error\":\"overloaded, retry later\"}\n";
	char fields[80];

	r->tc = "sQ";
	snprintf(fields, sizeof(fields), "Content-Type: application/json\r\n"
	    "Retry-After: %lld\r\n", (long long)retry_after);
	hconn_reply(c, r, 503, fields, body, sizeof(body) - 1);
}

int
respond_error_page(struct hconn *c, struct hreq *r, int status)
{
	char body[200];
	const char *reason = http1_reason_phrase(status);
	int n;

	n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"status\":%d}\n",
	    reason ? reason : "error", status);
	hconn_reply(c, r, status, "Content-Type: application/json\r\n", body,
	    (size_t)n);
	return 0;
}

int
respond_hold(struct hconn *c, const struct hreq *r, uint64_t max_body,
    struct hreq *req, struct http1_msg *msg, char **head,
    struct http1_body *body)
{
	const struct http1_msg *m = r->msg;
	struct http1_limits lim = c->hs->limits;

	if ((*head = malloc(m->head_len)) == NULL)
		return -1;
	memcpy(*head, m->base, m->head_len);
	*msg = *m;
	msg->base = *head;
	*req = *r;
	req->msg = msg;
	evbuffer_drain(hconn_input(c), m->head_len);
	lim.max_body = max_body;
	http1_body_init(body, msg, &lim);
	if ((m->flags & HTTP1_F_EXPECT_CONTINUE) && m->body != HTTP1_BODY_NONE) {
		evbuffer_add(hconn_output(c), "HTTP/1.1 100 Continue\r\n\r\n",
		    25);
		hconn_flush(c);
	}
	return 0;
}

int
respond_body_read(struct http1_body *b, struct evbuffer *in,
    struct evbuffer *out)
{
	size_t len, used, dlen;
	const char *buf, *data;
	enum http1_rc rc;

	while (!http1_body_done(b) && (len = evbuffer_get_length(in)) > 0) {
		len = MINIMUM(len, RESPOND_READ_MAX);
		buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		rc = http1_body_decode(b, buf, len, &used, &data, &dlen);
		if (rc == HTTP1_ERROR)
			return -1;
		if (dlen > 0)
			evbuffer_add(out, data, dlen);
		evbuffer_drain(in, used);
		if (rc == HTTP1_AGAIN && used == 0)
			break;
	}
	return http1_body_done(b) ? 1 : 0;
}

size_t
respond_log_line(const struct hconn *c, const struct hreq *r, char *line,
    size_t size)
{
	const struct http1_msg *m = r->msg;
	char ts[40];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
	n = snprintf(line, size, "%s - - %s \"%.*s %.*s HTTP/1.%d\" "
	    "%d %llu rt=%.3f ut=%.3f app=%s tc=%s", c->client, ts,
	    m ? (int)MINIMUM(m->method_text.len, 32) : 1,
	    m ? http1_span_ptr(m, m->method_text) : "-",
	    m ? (int)MINIMUM(m->target.len, 1024) : 1,
	    m ? http1_span_ptr(m, m->target) : "-",
	    m ? m->version_minor : 1, r->status,
	    (unsigned long long)r->bytes,
	    (double)(util_now_us() - r->t_start_us) / 1e6,
	    (double)r->upstream_us / 1e6, r->server ? r->server : "-", r->tc);
	return n > 0 ? MINIMUM((size_t)n, size - 1) : 0;
}
