/*
 * respond.h: the HTTP answers appd writes, shared by the master (which
 * rebuilds an app's CGI head, request.c) and a module worker serving its
 * own listener (direct.c), so that both paths frame, filter and log a
 * response the same way.
 */
#ifndef APPD_RESPOND_H
#define APPD_RESPOND_H

#include <stddef.h>
#include <stdint.h>

struct cgihead;
struct evbuffer;
struct hconn;
struct hreq;
struct http1_body;
struct http1_msg;

/* respond_skip_field: 1 for a field appd frames itself or hop-by-hop. */
int	respond_skip_field(const char *name, size_t nlen);
/*
 * respond_head: queues the response head built from the app's CGI head
 * h. complete: body_len bytes are the whole body (Content-Length); else
 * the body streams: chunked (*chunked set) for HTTP/1.1, close-delimited
 * for 1.0 (minor is the request's HTTP minor version). 204, 304 and HEAD
 * get no body. Returns 0, or -1 for a head appd refuses (1xx, a
 * Content-Length that is not the body's).
 */
int	respond_head(struct hconn *, struct hreq *, int minor,
	    const struct cgihead *h, uint64_t body_len, int complete,
	    int *chunked);
/*
 * respond_body: len body bytes, from the evbuffer from (moved, no copy)
 * or from p; framed as a chunk when chunked; dropped for HEAD.
 */
void	respond_body(struct hconn *, struct hreq *, int chunked,
	    struct evbuffer *from, const void *p, size_t len);
/* respond_end: the last chunk of a chunked body. */
void	respond_end(struct hconn *, struct hreq *, int chunked);
/* respond_reject: 503 with Retry-After (a full queue, its timeout). */
void	respond_reject(struct hconn *, struct hreq *, int64_t retry_after);
/* respond_error_page: appd's error pages, JSON (hconn_ops.error_page). */
int	respond_error_page(struct hconn *, struct hreq *, int status);
/*
 * respond_hold: takes request r off the connection's input so that its
 * body can be read before it runs: its head is copied into *head
 * (malloc'ed; *msg and *req point into it), drained from the input, the
 * decoder *body made for at most max_body bytes, and "100 Continue" sent
 * when the client asked. 0, or -1 when out of memory (nothing changed).
 */
int	respond_hold(struct hconn *, const struct hreq *r, uint64_t max_body,
	    struct hreq *req, struct http1_msg *msg, char **head,
	    struct http1_body *body);
/*
 * respond_body_read: decodes what in holds of a request body into out
 * (bounded by b's limits). Returns 1 when the body is complete, 0 when
 * more is needed, -1 when it is malformed or too large (b->err_status).
 */
int	respond_body_read(struct http1_body *b, struct evbuffer *in,
	    struct evbuffer *out);
/*
 * respond_log_line: the access-log line of r into line (size bytes):
 * combined format plus rt, ut (the app's time), app and tc. Returns its
 * length (0 if it could not be made).
 */
size_t	respond_log_line(const struct hconn *, const struct hreq *,
	    char *line, size_t size);

#endif
