/*
 * hconn.h: the server side of an HTTP/1.1 connection, shared by webd and
 * lbd: the request loop (keep-alive, pipelining, back-pressure), the
 * timeouts, error responses and the one close function. What a request
 * means is the daemon's: it answers through hconn_ops.
 *
 * A worker holds a struct hconn_worker (its listeners accept into
 * hconn_accept). For each request head, ops->handle either answers at once
 * into hconn_output() (returns 0), or takes the request away (returns 1,
 * after hconn_async) and later calls hconn_finish. Responses start with
 * hconn_head (status line, Server, Date, Connection) and end with
 * hconn_send_head; the body follows in the output buffer.
 */
#ifndef TRIAD_HCONN_H
#define TRIAD_HCONN_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "addr.h"
#include "http1-t.h"
#include "lifecycle.h"
#include "ltimer.h"
#include "net.h"

struct bufferevent;
struct sio_rd;
struct cidr_list;
struct event;
struct evbuffer;
struct metric;
struct metrics;
struct net_listener;

enum hconn_state {
	HCONN_IDLE,	/* between requests (keep-alive timer) */
	HCONN_HEAD,	/* reading a head (header deadline) */
	HCONN_DISCARD,	/* dropping a request body nobody reads */
	HCONN_BLOCKED,	/* output is full: stop reading */
	HCONN_PROXY,	/* a request is away (hconn_async) */
	HCONN_CLOSING,	/* send what is queued, then close */
	HCONN_LINGER,	/* sent and shut for writing: drain, then close */
};

/* Why a request or connection ended, as in HAProxy's termination codes:
   first letter who (C client, S server/upstream, R resource, P proxy,
   - nobody; lower case: a timeout), second when (R reading the head,
   C connecting, H waiting for the response head, D data, - done). */
#define HCONN_TC_OK		"--"
#define HCONN_TC_CLIENT_TIMEOUT	"cR"
#define HCONN_TC_CLIENT_ABORT	"CD"
#define HCONN_TC_BAD_REQUEST	"PR"
#define HCONN_TC_SEND_TIMEOUT	"cD"

/* Per generation: the daemon's settings for its HTTP connections. */
struct hconn_settings {
	struct http1_limits	 limits;
	int64_t			 keepalive_timeout_ms;	/* 0: no keep-alive */
	int64_t			 header_timeout_ms;
	int64_t			 send_timeout_ms;
	int64_t			 max_keepalive_requests;
	const char		*server;	/* Server header; NULL: none */
	/* Peers whose connections start with a PROXY v1/v2 header (lbd in
	   front of webd): the client address is taken from it. NULL or
	   empty: none, and a PROXY header is a bad request. */
	const struct cidr_list	*proxy_from;
};

/*
 * hconn_settings_limits: hs's request limits: http1's defaults, a head of
 * at most max_head bytes (its start line too), at most max_headers fields
 * (0: http1's default). The body's limit is the caller's to set after.
 */
void	hconn_settings_limits(struct hconn_settings *hs, uint64_t max_head,
	    int64_t max_headers);

/*
 * The keys of an HTTP server daemon's client side (webd, appd), one
 * meaning and one default in both: HCONN_SERVER_KEYS(T, m) are the
 * cfg_key rows (config.h) for the member m, a struct hconn_server_conf,
 * of the daemon's conf T; hconn_server_settings copies them into hs.
 */
struct hconn_server_conf {
	int64_t			 keepalive_timeout_ms;	/* 0: no keep-alive */
	int64_t			 header_timeout_ms;
	int64_t			 send_timeout_ms;
	int64_t			 max_connections;	/* per worker */
	uint64_t		 max_header_size;
	int64_t			 max_headers;
};
#define HCONN_SERVER_KEYS(T, m)						\
	{ .name = "keepalive_timeout", .type = CFG_DURATION, .def = "75s", \
	  .min = 0, .max = 3600000,					\
	  .off = offsetof(T, m.keepalive_timeout_ms),			\
	  .help = "Idle time allowed between two requests (0: no "	\
	  "keep-alive)." },						\
	{ .name = "header_timeout", .type = CFG_DURATION, .def = "10s",	\
	  .min = 100, .max = 600000,					\
	  .off = offsetof(T, m.header_timeout_ms),			\
	  .help = "Time to receive a whole request head (slowloris)." },	\
	{ .name = "send_timeout", .type = CFG_DURATION, .def = "60s",	\
	  .min = 100, .max = 3600000,					\
	  .off = offsetof(T, m.send_timeout_ms),				\
	  .help = "Time a client may take to accept more of a "		\
	  "response." },						\
	{ .name = "max_connections", .type = CFG_INT, .def = "10000",	\
	  .min = 1, .max = 1000000,					\
	  .off = offsetof(T, m.max_connections),			\
	  .help = "Open client connections per worker (event loop)." },	\
	{ .name = "max_header_size", .type = CFG_SIZE, .def = "32k",	\
	  .min = 1024, .max = 1024 * 1024,				\
	  .off = offsetof(T, m.max_header_size),			\
	  .help = "Largest request head (431 past it)." },		\
	{ .name = "max_headers", .type = CFG_INT, .def = "100", .min = 1, \
	  .max = HTTP1_HEADERS_CAP, .off = offsetof(T, m.max_headers),	\
	  .help = "Most header fields in a request (431 past it)." }
void	hconn_server_settings(struct hconn_settings *hs,
	    const struct hconn_server_conf *sc);

/* One request, from its head to its log line. */
struct hreq {
	const struct http1_msg	*msg;		/* NULL before a head */
	uint64_t		 t_start_us;
	int			 status;
	uint64_t		 bytes;		/* body bytes queued */
	uint64_t		 upstream_us;	/* proxied: upstream time */
	const char		*server;	/* proxied: which server */
	int			 head_only;	/* HEAD */
	int			 close;		/* Connection: close after */
	const char		*tc;
};

struct hconn_metrics {
	struct metric	*requests[6];	/* other, 1xx..5xx */
	struct metric	*bytes_out;
	struct metric	*conns_total, *conns_active, *conns_idle;
	struct metric	*latency;
	struct metric	*timeouts;
	struct metric	*parse_errors;
};

struct hconn;

/* What a request away from the connection answers to (a proxy). */
struct hconn_async_ops {
	void	(*read)(void *);	/* the client sent more (a body) */
	void	(*drained)(void *);	/* the client took our output */
	void	(*abort)(void *);	/* the connection is closing */
	/* Optional: the client let hconn_async_deadline pass; the owner
	   answers (408 when nothing was answered yet) and finishes. NULL:
	   the connection closes (abort). */
	void	(*timeout)(void *);
};

struct hconn_ops {
	/* The settings inside a generation's configuration. */
	const struct hconn_settings *(*settings)(const void *conf);
	/* Answers r (0) or takes it away (1: hconn_async was called). */
	int	(*handle)(struct hconn *, struct hreq *);
	/* A custom page for an error status; 0 when it was served. */
	int	(*error_page)(struct hconn *, struct hreq *, int status);
	/* The access-log line of r (may be NULL). */
	void	(*log)(struct hconn *, const struct hreq *);
	/* The TLS context of a generation, for hconn_accept_tls (or NULL). */
	struct ssl_ctx_st *(*tls_ctx)(const void *conf);
	/* A new connection (may be NULL): -1 closes it at once (an ACL, a
	   per-client limit); c->admit_flags is the daemon's to keep. */
	int	(*admit)(struct hconn *);
	/* The connection closes (may be NULL): undo what admit counted. */
	void	(*closed)(struct hconn *);
};

/* A worker's HTTP side: embed it in the daemon's worker. */
struct hconn_worker {
	struct lc_worker	*lc;
	const struct hconn_ops	*ops;
	struct hconn_metrics	*m;
	void			*arg;		/* the daemon's worker */
	struct hconn		*conns;		/* open, for shutdown */
	size_t			 nconns;
	int64_t			 max_conns;	/* accepting pauses there */
	struct net_listener	**listeners;
	size_t			 nlisteners;
	struct http1_msg	 msg;		/* the head being handled */
};

struct hconn {
	struct hconn		*next, *prev;
	struct hconn_worker	*w;
	struct lc_gen		*gen;
	const void		*conf;		/* gen->conf, the daemon's */
	const struct hconn_settings *hs;
	struct bufferevent	*bev;
	struct sio_rd		*rd;		/* bev's reader, when plain */
	struct sio_rd		*trd;		/* the reader under TLS */
	int			 fd;		/* the client's socket */
	/* The deadline of the state (header, keep-alive, linger, body).
	   Lazy (ltimer.h): a keep-alive request, which pushes it later,
	   costs no event operation. */
	struct ltimer		 timer;
	struct net_addr		 peer;
	char			 client[64];	/* peer address, for logs */
	char			 ip[INET6_ADDRSTRLEN]; /* peer's host or "unix" */
	struct http1_parser	 parser;
	struct http1_body	 body;
	enum hconn_state	 state;
	int			 tls;		/* accepted on a TLS listener */
	int			 quickack;	/* plain TCP: hconn_awaits acks */
	int			 files;		/* a file segment went into
						   bev's output (sendfile) */
	unsigned		 admit_flags;	/* the daemon's (admit) */
	int			 proxy_hdr;	/* a PROXY header is expected */
	unsigned		 requests;
	int			 paused;	/* hconn_read(c, 0): hold input */
	int			 eof;		/* the client ended while paused */
	int			 linger;	/* it may still be sending */
	const struct hconn_async_ops *async_ops;
	void			*async;
};

/* hconn_metrics_init: the shared metric names in the daemon's registry. */
void	hconn_metrics_init(struct hconn_metrics *, struct metrics *);
/* The accept callback of every HTTP listener (arg: the hconn_worker). */
void	hconn_accept(int fd, const struct net_addr *peer, void *arg);
/* The socket options of a plain HTTP listener: delayed_ack (net.h), as
   the client speaks first and hconn answers at once. */
extern const struct net_listen_opts hconn_listen_opts;
/* The same for HTTPS listeners: a TLS handshake with ops->tls_ctx first
   (TLS 1.2 minimum, SNI and ALPN as common/tls sets them). */
void	hconn_accept_tls(int fd, const struct net_addr *peer, void *arg);
/* hconn_flush: sio_flush of c's output (SIO_TLS and SIO_FILES from c);
   the bytes still queued. */
size_t	hconn_flush(struct hconn *c);
/*
 * hconn_worker_init: hw for lw's loop: request heads go to ops with arg
 * (the daemon's worker), counted in m; accepting pauses at max_conns
 * open connections.
 */
void	hconn_worker_init(struct hconn_worker *, struct lc_worker *lw,
	    const struct hconn_ops *ops, struct hconn_metrics *m, void *arg,
	    int64_t max_conns);
/*
 * hconn_worker_count: max_conns per worker: the count of open connections
 * moves by delta (+1, -1) and accepting pauses at the limit, resumes below
 * it. hconn counts its own; a daemon that serves other connections on the
 * same listeners (lbd's tcp sessions) counts them here too, so that one
 * limit holds for both.
 */
void	hconn_worker_count(struct hconn_worker *, int delta);
/*
 * hconn_listen: the worker takes its sockets of lsn (listeners_start,
 * with hw->lc's id and loop) and accepts HTTP connections on them.
 * hconn_unlisten closes them; open connections stay.
 */
struct listeners;
void	hconn_listen(struct hconn_worker *, struct listeners *lsn);
void	hconn_unlisten(struct hconn_worker *);
/*
 * hconn_worker_reload: a new generation's max_conns, and its sockets of
 * lsn unless it inherited the old ones (lsn NULL: the daemon listens by
 * itself, as lbd, and has set hw->listeners already). Accepting pauses or
 * resumes at once for the connections already open.
 */
void	hconn_worker_reload(struct hconn_worker *, struct listeners *lsn,
	    int inherit, int64_t max_conns);
/* Close idle connections now (stop), and all of them (worker end). */
void	hconn_close_idle(struct hconn_worker *);
void	hconn_close_all(struct hconn_worker *);
/*
 * hconn_error: a complete error response for status, through the
 * daemon's error page when it has one. 400, 408, 413, 414, 431, 501 and
 * 505 close the connection after the response.
 */
void	hconn_error(struct hconn *, struct hreq *, int status);
/* hconn_head: starts a response head in buf (status line, Server, Date,
   Connection); add fields to out, then hconn_send_head. */
void	hconn_head(struct hconn *, struct hreq *, struct http1_out *out,
	    char *buf, size_t size, int status);
/*
 * hconn_reply: a whole small answer made here: the head (hconn_head),
 * fields (whole "Name: value\r\n" lines, Content-Type among them; may be
 * NULL), Content-Length, then body (n bytes) unless the request was HEAD.
 * r->bytes counts the body sent.
 */
void	hconn_reply(struct hconn *, struct hreq *, int status,
	    const char *fields, const char *body, size_t n);
/* hconn_send_head: ends the head and queues it. 0, or -1 if it failed. */
int	hconn_send_head(struct hconn *, struct http1_out *);
struct evbuffer *hconn_output(struct hconn *);
struct evbuffer *hconn_input(struct hconn *);
/*
 * hconn_read: whether the async side wants the client's bytes now. Off,
 * they wait in the input (bounded by the read watermark, where libevent
 * stops reading), and an end of the client's stream waits too; on again,
 * what waits is delivered from the loop. The socket's interest does not
 * change, which spares an epoll_ctl pair per request.
 */
void	hconn_read(struct hconn *, int on);
/* hconn_async: the request went away (to arg, driven by ops). */
void	hconn_async(struct hconn *, const struct hconn_async_ops *, void *);
/*
 * hconn_async_deadline: while a request is taken away and its body is
 * read, the client must send more within ms (restarted at each call; 0:
 * no deadline): a client that stalls mid-body is a client timeout, not
 * the server's (nginx's client_body_timeout, HAProxy's timeout client).
 */
void	hconn_async_deadline(struct hconn *, int64_t ms);
/*
 * hconn_finish: the request r taken away is over (response queued, or
 * failed): log it, then the next request or the close. Deferred to the
 * event loop, so the caller may still unwind.
 */
void	hconn_finish(struct hconn *, struct hreq *);

#endif
