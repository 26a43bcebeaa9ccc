/*
 * proxy.h: dynamic routes: a request forwarded to an upstream server
 * (appd) over a pooled keep-alive connection, with the request body and
 * the response streamed both ways under back-pressure.
 *
 * Failures never hang a client: a connect failure tries one other server,
 * then answers 502; silence past upstream_read_timeout answers 504 (or
 * cuts the client off when the response had begun); an idle pooled
 * connection that the server had closed is retried on a fresh one when
 * the request can be sent again (nothing of its body consumed yet).
 */
#ifndef WEBD_PROXY_H
#define WEBD_PROXY_H

struct webd_conn;
struct webd_request;
struct webd_route;
struct webd_proxy;

/* The route for r, or NULL for a static file. */
const struct webd_route *webd_proxy_route(const struct webd_conn *,
	    const struct webd_request *);
/*
 * webd_proxy_start: forwards r along route. The connection enters the
 * PROXY state; webd_conn_finish is called when the exchange ends.
 */
void	webd_proxy_start(struct webd_conn *, struct webd_request *,
	    const struct webd_route *);
/* The client side became readable (request body) or drained. */
void	webd_proxy_client_read(struct webd_proxy *);
void	webd_proxy_client_drained(struct webd_proxy *);
/* The client went away or the connection closes: drop everything. */
void	webd_proxy_abort(struct webd_proxy *);

#endif
