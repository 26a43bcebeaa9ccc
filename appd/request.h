/*
 * request.h: one HTTP request in appd's master, from its head to its log
 * line: routed to an app, its body read whole (bounded by the app's
 * client_max_body_size: 413 past it), queued on the app's pool, run by a
 * worker (proc.c speaks FastCGI to it), answered.
 */
#ifndef APPD_REQUEST_H
#define APPD_REQUEST_H

#include <stdint.h>

#include "hconn.h"
#include "http1-t.h"

struct appd_app;
struct appd_cgi;
struct appd_pool;
struct appd_proc;
struct cgihead;
struct evbuffer;

extern const struct hconn_ops appd_hconn_ops;

struct appd_req {
	struct appd_req		*qnext, *qprev;		/* pool queue */
	struct appd_req		*pnext;		/* sent ahead to a worker */
	struct hconn		*c;		/* NULL: the client left */
	struct hreq		 req;
	struct http1_msg	 msg;		/* head copy, base = head */
	char			*head;
	const struct appd_app	*app;
	struct appd_pool	*pool;
	struct appd_proc	*proc;
	struct appd_cgi		*cgi;
	struct http1_body	 qbody;
	struct evbuffer		*body;		/* the request body */
	struct event		*qtimer;	/* queue timeout */
	int			 queued;
	/* The response. */
	struct evbuffer		*out;		/* STDOUT not yet handled */
	int			 head_done;	/* CGI head parsed and sent */
	int			 streaming;	/* head sent, body follows */
	int			 chunked;
	int			 paused;	/* the client is slow */
	uint64_t		 resp_bytes;
	uint64_t		 t_run_us;	/* given to a worker */
};

/* appd_req_fail: an error status (or a close when the head is out). */
void	appd_req_fail(struct appd_req *, int status, const char *tc);
/* appd_req_reject: 503 with Retry-After (full queue, queue timeout). */
void	appd_req_reject(struct appd_req *, int64_t retry_after);
/*
 * appd_req_head: sends the response head from the app's CGI head h. When
 * complete, body holds the whole body (Content-Length); else the body
 * streams (chunked for HTTP/1.1, close-delimited for 1.0). 0 or -1.
 */
int	appd_req_head(struct appd_req *, const struct cgihead *h,
	    uint64_t body_len, int complete);
/* appd_req_data: body bytes (chunked when streaming). */
void	appd_req_data(struct appd_req *, struct evbuffer *from, size_t len);
/* appd_req_done: the response is complete: last chunk, log, next. */
void	appd_req_done(struct appd_req *);
/* appd_req_free: frees q (the connection no longer refers to it). */
void	appd_req_free(struct appd_req *);

#endif
