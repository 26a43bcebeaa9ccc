/*
 * route.c: see route.h.
 */
#include <string.h>

#include "hconn.h"
#include "http1.h"
#include "route.h"
#include "webd.h"

const struct webd_route *
webd_route_match(const struct webd_conf *conf, const struct hreq *r)
{
	const struct webd_route *rt = conf->routes.v, *best = NULL;
	const struct http1_msg *m = r->msg;
	const char *t = http1_span_ptr(m, m->target), *host;
	size_t i, plen, blen = 0, hlen = 0;

	host = m->host >= 0 ? http1_span_ptr(m, m->headers[m->host].value) :
	    NULL;
	if (host != NULL)
		hlen = m->headers[m->host].value.len;
	for (i = 0; i < conf->routes.n; i++) {
		plen = strlen(rt[i].prefix);
		if (plen > m->target.len || memcmp(t, rt[i].prefix, plen) != 0 ||
		    plen < blen)
			continue;
		if (rt[i].host != NULL && (host == NULL ||
		    !http1_token_eq(host, hlen, rt[i].host)))
			continue;
		best = &rt[i];
		blen = plen;
	}
	return best;
}
