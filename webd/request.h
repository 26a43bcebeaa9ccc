/*
 * request.h: what webd does with one parsed request: route it (static
 * file or upstream), answer errors with the configured pages, and write
 * the access-log line.
 */
#ifndef WEBD_REQUEST_H
#define WEBD_REQUEST_H

struct webd_conn;
struct webd_request;

/*
 * webd_request_handle: answers r (0), or hands it to an upstream (1: the
 * head is drained and webd_conn_finish will follow).
 */
int	webd_request_handle(struct webd_conn *, struct webd_request *);
/* Serves the error page configured for status; -1 when there is none. */
int	webd_request_error_page(struct webd_conn *, struct webd_request *,
	    int status);
/* The access-log line of r (combined format + rt, ut and tc). */
void	webd_request_log(struct webd_conn *, const struct webd_request *);

#endif
