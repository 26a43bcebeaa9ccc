/*
 * http.c: see http.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "alog.h"
#include "edge.h"
#include "log.h"
#include "hconn.h"
#include "hproxy.h"
#include "http.h"
#include "http1.h"
#include "lbd.h"
#include "topology.h"
#include "util.h"

#define LB_CONF(c)	((const struct lb_conf *)(c)->conf)
#define LB_WORKER(c)	((struct lb_worker *)(c)->w->arg)

static const struct hconn_settings *
lb_http_settings(const void *conf)
{
	return &((const struct lb_conf *)conf)->hs;
}

static struct ssl_ctx_st *
lb_http_tls_ctx(const void *conf)
{
	return ((const struct lb_conf *)conf)->tls;
}

/*
 * redirect_https: 301 to the same host (without its port), on the first
 * HTTPS address's port unless it is 443, and the same target.
 */
static void
lb_http_redirect(struct hconn *c, struct hreq *r)
{
	const struct lb_conf *conf = LB_CONF(c);
	const struct http1_msg *m = r->msg;
	const char *host = "localhost", *colon;
	size_t hlen = 9;
	struct http1_out out;
	char buf[1024], loc[1024], port[16] = "";
	int n;

	if (m->host >= 0) {
		host = http1_span_ptr(m, m->headers[m->host].value);
		hlen = m->headers[m->host].value.len;
		colon = memrchr(host, ':', hlen);
		if (colon != NULL && memchr(colon, ']', (size_t)(host + hlen -
		    colon)) == NULL)
			hlen = (size_t)(colon - host);
	}
	if (conf->ntls > 0 && addr_port(&conf->tls_addrs[0]) != 443)
		snprintf(port, sizeof(port), ":%u", addr_port(&conf->tls_addrs[0]));
	n = snprintf(loc, sizeof(loc), "https://%.*s%s%.*s", (int)hlen, host,
	    port, (int)m->target.len, http1_span_ptr(m, m->target));
	hconn_head(c, r, &out, buf, sizeof(buf), 301);
	if (n > 0 && (size_t)n < sizeof(loc))
		http1_write_header(&out, "Location", 8, loc, (size_t)n);
	http1_out_add(&out, "Content-Length: 0\r\n", 19);
	hconn_send_head(c, &out);
}

/* 429 with Retry-After: the client is over its rate. */
static void
lb_http_too_many(struct hconn *c, struct hreq *r, uint64_t retry_after)
{
	static const char body[] = "<html><body><h1>429 Too Many Requests"
	    "</h1></body></html>\n";
	char fields[80];

	snprintf(fields, sizeof(fields), "Retry-After: %llu\r\n"
	    "Content-Type: text/html\r\n", (unsigned long long)retry_after);
	hconn_reply(c, r, 429, fields, body, sizeof(body) - 1);
	r->tc = "PT";	/* the proxy refused it: tarpit-like, as HAProxy */
}

static int
lb_http_admit(struct hconn *c)
{
	const char *why = NULL;

	if (lb_edge_admit(LB_CONF(c), (const struct sockaddr *)&c->peer.ss,
	    &c->admit_flags, &why) == -1) {
		log_info("%s: %s", c->client, why);
		return -1;
	}
	return 0;
}

static void
lb_http_closed(struct hconn *c)
{
	lb_edge_release(LB_CONF(c), (const struct sockaddr *)&c->peer.ss,
	    c->admit_flags);
}

/* Every request goes to a server of the group, chosen per request. */
static int
lb_http_handle(struct hconn *c, struct hreq *r)
{
	uint64_t retry_after;

	if (!lb_edge_rate(LB_CONF(c), (const struct sockaddr *)&c->peer.ss,
	    &retry_after)) {
		lb_http_too_many(c, r, retry_after);
		return 0;
	}
	if (!c->tls && LB_CONF(c)->redirect_https && LB_CONF(c)->ntls > 0) {
		lb_http_redirect(c, r);
		return 0;
	}
	hproxy_start(c, r, LB_WORKER(c)->pool, &LB_CONF(c)->pc);
	return 1;
}

/* "[25/Nov/2026:20:00:00.123]", the time of the log line. */
static void
lb_http_logtime(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "[%d/%b/%Y:%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ld]", ts.tv_nsec / 1000000);
}

/*
 * A HAProxy-like line: client [date] frontend backend/server Tr/Tt
 * status bytes tc "request line". Tr is the server's time (response
 * complete), Tt the whole request, both in ms.
 */
static void
lb_http_log(struct hconn *c, const struct hreq *r)
{
	const struct lb_conf *conf = LB_CONF(c);
	const struct http1_msg *m = r->msg;
	char line[2048], when[40];
	const char *method = "-";
	int n, tlen = 0;

	if (conf->access == NULL)
		return;
	lb_http_logtime(when, sizeof(when));
	if (m != NULL) {
		method = http1_method_name(m->method);
		tlen = (int)MINIMUM(m->target.len, 1024);
	}
	n = snprintf(line, sizeof(line), "%s %s %s %s/%s %lld/%lld %d %llu %s "
	    "\"%s %.*s\"", c->client, when, conf->self->name, conf->servers,
	    r->server != NULL ? r->server : "<NOSRV>",
	    r->upstream_us ? (long long)r->upstream_us / 1000 : -1LL,
	    (long long)(util_now_us() - r->t_start_us) / 1000, r->status,
	    (unsigned long long)r->bytes, r->tc, method ? method : "-", tlen,
	    m != NULL ? http1_span_ptr(m, m->target) : "");
	if (n > 0)
		alog_worker_line(&LB_WORKER(c)->alog, line,
		    MINIMUM((size_t)n, sizeof(line) - 1));
}

const struct hconn_ops lb_http_ops = {
	.settings = lb_http_settings,
	.handle = lb_http_handle,
	.error_page = NULL,
	.log = lb_http_log,
	.tls_ctx = lb_http_tls_ctx,
	.admit = lb_http_admit,
	.closed = lb_http_closed,
};
