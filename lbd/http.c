/*
 * http.c: see http.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alog.h"
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

/* Every request goes to a server of the group, chosen per request. */
static int
lb_http_handle(struct hconn *c, struct hreq *r)
{
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
		alog_append(conf->access, LB_WORKER(c)->alog, line,
		    MINIMUM((size_t)n, sizeof(line) - 1));
}

const struct hconn_ops lb_http_ops = {
	.settings = lb_http_settings,
	.handle = lb_http_handle,
	.error_page = NULL,
	.log = lb_http_log,
};
