/*
 * hproxy_int.h: what hproxy.c (one forwarded request) and hproxy_train.c
 * (pipelining: requests riding a server connection behind another) share.
 * Private to those two files.
 */
#ifndef TRIAD_HPROXY_INT_H
#define TRIAD_HPROXY_INT_H

#include <sys/queue.h>

#include <stdint.h>

#include <event2/util.h>

#include "hconn.h"
#include "http1.h"
#include "hproxy.h"
#include "ltimer.h"
#include "upstream.h"

struct bufferevent;
struct evbuffer;
struct event;
struct lc_gen;
struct sio_rd;

#define HPROXY_HIGH		(256 * 1024)	/* pause the other side */
#define HPROXY_CHUNK	(64 * 1024)	/* bytes decoded per step */
#define HPROXY_HEAD_MAX	(64 * 1024)
#define HPROXY_PIPE_STALL_US	5000	/* a head this late takes no riders */
#define HPROXY_PIPE_BODY_MAX	(64 * 1024)	/* nor one answering longer */
#define HPROXY_PIPE_HOLD_MS	100	/* riders wait no longer for a head */

struct hproxy;
TAILQ_HEAD(hproxy_train, hproxy);

/*
 * What a server connection keeps across requests (upstream_conn.user):
 * its bufferevent, the bufferevent's reader (common/sio) and, with
 * pipelining (hproxy_conf.pipeline), its train: the requests sent on it
 * whose answers are due, in the order they were sent. The head, first,
 * owns the connection (its uc) and its answer is the one being read; the
 * riders behind it wait for theirs.
 */
struct hproxy_ukeep {
	struct bufferevent	*bev;
	struct sio_rd		*rd;
	struct hproxy_train	 train;
	int			 ntrain;
	struct upstream_pool	*pool;		/* of the train, for its slot */
	struct upstream_server	*srv;
	struct event		*flush;		/* made at the first train, */
	int			 flushing;	/* flush is active */
	uint64_t		 since_us;	/* the head's answer awaited */
	struct ltimer		 hold;		/* as this: riders waited long */
};

struct hproxy {
	struct hconn	*c;
	const struct hproxy_conf *pc;
	struct upstream_pool	*pool;
	struct upstream_server	*srv;
	struct upstream_conn	*uc;
	struct bufferevent	*ubev;		/* = uk->bev */
	struct sio_rd		*urd;		/* = uk->rd */
	struct hreq	*r;		/* = &req */
	struct hreq	 req;
	char			*head;
	struct http1_body	 qbody;
	int			 req_started;	/* body bytes were consumed */
	struct http1_parser	 rparser;
	struct http1_body	 rbody;
	int			 head_sent;
	int			 salvaged;	/* hproxy_salvage ran */
	int			 dechunk;
	int			 tries;
	struct hproxy_ukeep	*uk;		/* the train p is on, or NULL */
	TAILQ_ENTRY(hproxy)	 tq;
	int			 zombie;	/* its client left (or a ghost):
						   its answer is read and
						   dropped */
	struct lc_gen		*zgen;		/* a zombie's: pc lives there */
	int			 rode;		/* rode its connection (cleared
						   when it has one of its own) */
	int			 slot;		/* holds a rider's load slot */
	int			 resent;	/* taken off a train, sent again */
	struct upstream_key	 key;
	struct upstream_waiter	 waiter;	/* queued for a slot */
	int			 queued;	/* it was, once */
	uint64_t		 t_up_us;
	/* Last, as they are big (HTTP1_HEADERS_CAP fields each) and only
	   their used part is ever written (hproxy_new). */
	struct http1_msg	 msg;		/* the request, base = head */
	struct http1_msg	 rmsg;		/* the response */
};

/* ---- hproxy.c, for the train ------------------------------------------ */

/* hproxy_connect: picks a server (another one on a retry) and gets a
   connection, or rides a train (p may be done and freed on return). */
void	hproxy_connect(struct hproxy *);
/* hproxy_retry: sends p again if that is safe and allowed; 1 if it did. */
int	hproxy_retry(struct hproxy *, enum upstream_outcome);
/* hproxy_release: p's upstream side ends (its connection pooled as how,
   or closed); the riders of its train are sent again first. */
void	hproxy_release(struct hproxy *, enum upstream_outcome how);
/* hproxy_done: the exchange is over (a zombie is just freed). */
void	hproxy_done(struct hproxy *);
/* hproxy_fail: a failure before any byte of the answer: an error status,
   the connection released as how; p is done. */
void	hproxy_fail(struct hproxy *, int status, const char *why,
	    enum upstream_outcome how);
void	hproxy_free(struct hproxy *);
/* hproxy_request_head: p's head as the server gets it, added to to; 0, or
   -1 if it overflowed (nothing added). */
int	hproxy_request_head(struct hproxy *, struct evbuffer *to);
/* hproxy_response_init: p's answer is parsed from its start (and for its
   method: HEAD). */
void	hproxy_response_init(struct hproxy *);
/* The server connection's callbacks, for the head of its train. */
void	hproxy_upstream_read(struct bufferevent *, void *);
void	hproxy_upstream_write(struct bufferevent *, void *);
void	hproxy_upstream_event(struct bufferevent *, short, void *);

/* ---- hproxy_train.c ----------------------------------------------------- */

/* hproxy_train_fits: p may ride a train, or head one. */
int	hproxy_train_fits(const struct hproxy *);
/* hproxy_train_flush_soon: uk's output leaves at the end of this pass. */
void	hproxy_train_flush_soon(struct hproxy_ukeep *);
/* hproxy_train_start: p, just sent on uk's connection, heads a train;
   0, or -1 (out of memory: no train). */
int	hproxy_train_start(struct hproxy *, struct hproxy_ukeep *);
/* hproxy_train_join: p rides its server's open train; 1 if it did. */
int	hproxy_train_join(struct hproxy *);
/* hproxy_train_shut: uk takes no more riders. */
void	hproxy_train_shut(struct hproxy_ukeep *);
/* hproxy_train_awaited: someone waits for an answer from r on. */
int	hproxy_train_awaited(const struct hproxy *r);
/* hproxy_train_zombie: p's client left; p stays on its train. */
void	hproxy_train_zombie(struct hproxy *);
/* hproxy_train_leave: the head p leaves with its connection; the riders
   move to riders (hproxy_train_resend them, before releasing p's uc). */
void	hproxy_train_leave(struct hproxy *, struct hproxy_train *riders);
/* hproxy_train_resend: requests taken off a train are sent again. */
void	hproxy_train_resend(struct hproxy_train *, enum upstream_outcome);
/* hproxy_train_pass: the head p is answered; next heads the train. */
void	hproxy_train_pass(struct hproxy *p, struct hproxy *next,
	    uint64_t now_us);
/* hproxy_train_evict: the riders go to other connections, ghosts stay. */
void	hproxy_train_evict(struct hproxy_ukeep *);
/* hproxy_train_free: what the connection's trains made goes with it. */
void	hproxy_train_free(struct hproxy_ukeep *);

#endif
