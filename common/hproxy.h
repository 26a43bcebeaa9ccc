/*
 * hproxy.h: an HTTP request forwarded to an upstream server over a
 * pooled keep-alive connection (common/upstream), with the request body
 * and the response streamed both ways under back-pressure; shared by
 * webd (dynamic routes to appd) and lbd (http mode, to webd).
 *
 * Bodies keep their framing (Content-Length or chunked) and are checked by
 * the http1 body decoder on the way; hop-by-hop fields and those named in
 * Connection are dropped; X-Forwarded-For, X-Real-IP and X-Forwarded-Proto
 * (and, if asked, Forwarded, RFC 7239) are set, believing the client's own
 * only from trusted peers. Failures never hang a client: a refused connect
 * is retried on another server up to `retries` times, then 502; silence
 * past read_timeout is 504 (or cuts the client when the response began);
 * a request the server dropped before answering is sent again elsewhere
 * when that is safe (nothing of its body read, and either a reused pooled
 * connection or an idempotent method with retry_idempotent). With
 * pipeline > 1, GETs and HEADs without a body are pipelined on server
 * connections whose answers are due (see hproxy.c).
 */
#ifndef TRIAD_HPROXY_H
#define TRIAD_HPROXY_H

#include <stdint.h>

struct cidr_list;
struct hconn;
struct hreq;
struct metric;
struct metrics;
struct upstream_group;
struct upstream_pool;

struct hproxy_metrics {
	struct metric	*errors;	/* connect failures, timeouts... */
	struct metric	*retries;	/* sent again to another server */
	struct metric	*latency;	/* forward to end of response */
	struct metric	*queued;	/* waited for a server slot */
	struct metric	*queue_timeouts;	/* waited too long: 503 */
	struct metric	*pipelined;	/* rode behind another request */
};

/* Per server (indexed by upstream_server.index): made by the daemon. */
struct hproxy_server_metrics {
	struct metric	*requests[6];	/* other, 1xx..5xx */
	struct metric	*latency;	/* microseconds */
	struct metric	*retries;	/* attempts after this one failed */
	struct metric	*redispatches;	/* of those, sent to another server */
};

/* How one route or backend forwards (lives in the generation). */
struct hproxy_conf {
	const char		*label;		/* route or backend, for logs */
	int64_t			 read_timeout_ms;
	int			 retries;	/* after the first attempt */
	int			 retry_idempotent;
	int64_t			 queue_timeout_ms;	/* every server at maxconn:
							   wait this long, then
							   503 (0: 503 at once) */
	int			 forwarded;	/* add RFC 7239 Forwarded */
	const char		*hsts;		/* HTTPS answers get it, or NULL */
	int			 send_proxy;	/* 0, or PROXY header version 1/2
						   on each new server connection
						   (then never reused) */
	const struct cidr_list	*trusted;	/* peers whose XFF we keep */
	int			 pipeline;	/* requests at once on one server
						   connection: GETs and HEADs
						   without a body ride behind
						   the first (0, 1: off) */
	struct hproxy_metrics	*m;
	struct metrics		*registry;	/* per-server error counters */
	struct hproxy_server_metrics *per_server;	/* or NULL */
	const struct upstream_group *per_server_group;	/* indexes it */
};

/*
 * hproxy_server_metrics_new: requests by status class and a latency
 * histogram for every server of g, labelled with its name (prefix
 * "server_"). Freed with free(); the metrics live in the registry.
 */
struct hproxy_server_metrics *hproxy_server_metrics_new(struct metrics *,
	    const struct upstream_group *g);

void	hproxy_metrics_init(struct hproxy_metrics *, struct metrics *);
/*
 * hproxy_server_metrics_of: the metrics of s in pc's table, or NULL (no
 * table, no server, or a server of another group: a keep-alive client of
 * an older generation is served from the worker's new pool, whose servers
 * its table does not describe).
 */
struct upstream_server;
struct hproxy_server_metrics *hproxy_server_metrics_of(
	    const struct hproxy_conf *pc, const struct upstream_server *s);
/*
 * hproxy_count_retry: an attempt on from failed and the next goes to to
 * (HAProxy's wretr; wredis when to is another server), in pc's table.
 * from and to may be NULL (first attempt, no server): nothing.
 */
void	hproxy_count_retry(const struct hproxy_conf *pc,
	    const struct upstream_server *from,
	    const struct upstream_server *to);
/*
 * hproxy_start: forwards r (its head is in the connection's input) to a
 * server of pool. The connection goes async; hconn_finish follows.
 */
void	hproxy_start(struct hconn *, struct hreq *, struct upstream_pool *,
	    const struct hproxy_conf *);

#endif
