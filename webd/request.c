/*
 * request.c: see request.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "hconn.h"
#include "http1.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "route.h"
#include "static.h"
#include "util.h"
#include "webd.h"

int
webd_request_handle(struct hconn *c, struct hreq *r)
{
	const struct webd_route *rt;

	if ((rt = webd_route_match(WEBD_CONF(c), r)) != NULL) {
		hproxy_start(c, r, WEBD_WORKER(c)->pools[rt->index], &rt->pc);
		return 1;
	}
	webd_static_serve(c, r);
	return 0;
}

int
webd_request_error_page(struct hconn *c, struct hreq *r,
    int status)
{
	const struct cfg_array *pages = &WEBD_CONF(c)->error_pages;
	const struct webd_error_page *p = pages->v;
	size_t i;

	for (i = 0; i < pages->n; i++)
		if (p[i].status == status)
			return webd_static_page(c, r, p[i].path, status);
	return -1;
}

/* "[25/Nov/2026:20:00:00 +0000]", refreshed once a second per thread. */
static const char *
webd_request_logtime(void)
{
	static _Thread_local char buf[40];
	static _Thread_local time_t last;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last) {
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
		last = now;
	}
	return buf;
}

/* Appends a header value for the log, quotes and controls escaped. */
static size_t
webd_request_logval(char *dst, size_t size, const char *v, size_t len)
{
	size_t i, n = 0;

	if (v == NULL)
		return (size_t)snprintf(dst, size, "-");
	for (i = 0; i < len && n + 5 < size; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x7f)
			n += (size_t)snprintf(dst + n, size - n, "\\x%02x", ch);
		else
			dst[n++] = (char)ch;
	}
	dst[n] = '\0';
	return n;
}

void
webd_request_log(struct hconn *c, const struct hreq *r)
{
	const struct http1_msg *m = r->msg;
	char line[4096], target[1024], ref[512], ua[512], ut[32] = "-";
	const char *method = "-", *v;
	size_t vlen = 0;
	int n;

	if (WEBD_CONF(c)->access == NULL)
		return;
	target[0] = '\0';
	snprintf(ref, sizeof(ref), "-");
	snprintf(ua, sizeof(ua), "-");
	if (m != NULL) {
		method = http1_method_name(m->method);
		if (method == NULL)
			method = "-";
		webd_request_logval(target, sizeof(target),
		    http1_span_ptr(m, m->target), m->target.len);
		v = http1_header_get(m, "referer", &vlen);
		webd_request_logval(ref, sizeof(ref), v, vlen);
		v = http1_header_get(m, "user-agent", &vlen);
		webd_request_logval(ua, sizeof(ua), v, vlen);
	}
	if (r->upstream_us > 0)
		snprintf(ut, sizeof(ut), "%.3f", (double)r->upstream_us / 1e6);
	n = snprintf(line, sizeof(line), "%s - - %s \"%s %s HTTP/1.%d\" %d "
	    "%llu \"%s\" \"%s\" rt=%.3f ut=%s tc=%s", c->client,
	    webd_request_logtime(), method, target,
	    m != NULL ? m->version_minor : 1, r->status,
	    (unsigned long long)r->bytes, ref, ua,
	    (double)(util_now_us() - r->t_start_us) / 1e6, ut, r->tc);
	if (n > 0)
		alog_worker_line(&WEBD_WORKER(c)->alog, line,
		    MINIMUM((size_t)n, sizeof(line) - 1));
}

static const struct hconn_settings *
webd_request_settings(const void *conf)
{
	return &((const struct webd_conf *)conf)->hs;
}

const struct hconn_ops webd_hconn_ops = {
	.settings = webd_request_settings,
	.handle = webd_request_handle,
	.error_page = webd_request_error_page,
	.log = webd_request_log,
};
