/*
 * conn.h: a client connection of webd: the request loop (keep-alive,
 * pipelining, back-pressure), timeouts, and the one close function.
 */
#ifndef WEBD_CONN_H
#define WEBD_CONN_H

#include <stdint.h>

#include "addr.h"
#include "http1-t.h"
#include "webd.h"

struct evbuffer;

enum webd_conn_state {
	WEBD_CONN_IDLE,		/* between requests (keep-alive timer) */
	WEBD_CONN_HEAD,		/* reading a head (header deadline) */
	WEBD_CONN_DISCARD,	/* dropping a request body we do not use */
	WEBD_CONN_BLOCKED,	/* output is full: stop reading */
	WEBD_CONN_PROXY,	/* a request is with an upstream */
	WEBD_CONN_CLOSING,	/* send what is queued, then close */
};

/* Why a request or connection ended, as in HAProxy's termination codes:
   first letter who (C client, S server/upstream, R resource, P proxy,
   - nobody), second when (R reading the head, D data, H waiting for
   headers from upstream, - completed). */
#define WEBD_TC_OK		"--"
#define WEBD_TC_CLIENT_TIMEOUT	"cR"
#define WEBD_TC_CLIENT_ABORT	"CD"
#define WEBD_TC_BAD_REQUEST	"PR"
#define WEBD_TC_SEND_TIMEOUT	"cD"

struct webd_request {
	const struct http1_msg	*msg;
	uint64_t		 t_start_us;
	int			 status;
	uint64_t		 bytes;		/* body bytes queued */
	uint64_t		 upstream_us;	/* proxied: upstream time */
	int			 head_only;	/* HEAD */
	int			 close;		/* Connection: close after */
	const char		*tc;
};

struct webd_conn {
	struct webd_conn	*next, *prev;	/* the worker's list */
	struct webd_worker	*w;
	struct lc_gen		*gen;
	const struct webd_conf	*conf;
	struct bufferevent	*bev;
	struct event		*timer;
	struct net_addr		 peer;
	char			 client[64];	/* peer address, for logs */
	struct http1_parser	 parser;
	struct http1_body	 body;
	enum webd_conn_state	 state;
	struct webd_proxy	*proxy;		/* in state PROXY */
	unsigned		 requests;
};

/* The accept callback of every webd listener (arg: the webd_worker). */
void	webd_conn_accept(int fd, const struct net_addr *peer, void *arg);
/* Close idle connections now (stop), and all of them (worker end). */
void	webd_conn_close_idle(struct webd_worker *);
void	webd_conn_close_all(struct webd_worker *);
/*
 * webd_conn_error: a complete error response for status, using the
 * configured error page when there is one; the connection closes after.
 */
void	webd_conn_error(struct webd_conn *, struct webd_request *, int status);
/*
 * webd_conn_head: starts a response head in buf: status line, Date,
 * Server and Connection. Returns the http1_out to add more fields to.
 */
void	webd_conn_head(struct webd_conn *, struct webd_request *,
	    struct http1_out *, char *buf, size_t size, int status);
/* webd_conn_send_head: ends the head and queues it. -1 if it failed. */
int	webd_conn_send_head(struct webd_conn *, struct http1_out *);
struct evbuffer *webd_conn_output(struct webd_conn *);
/* webd_conn_proxying: the request went to an upstream (proxy.c). */
void	webd_conn_proxying(struct webd_conn *);
/*
 * webd_conn_finish: the proxied request r is over (response queued or
 * failed): log it and go on with the next request, or close. The work is
 * deferred to the event loop, so the caller may still unwind.
 */
void	webd_conn_finish(struct webd_conn *, struct webd_request *);

#endif
