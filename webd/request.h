/*
 * request.h: what webd does with one parsed request: route it (static
 * file or upstream), answer errors with the configured pages, and write
 * the access-log line.
 */
#ifndef WEBD_REQUEST_H
#define WEBD_REQUEST_H

#include "hconn.h"

/* What webd's connections do with requests (common/hconn.h). */
extern const struct hconn_ops webd_hconn_ops;

struct hconn;
struct hreq;

/*
 * webd_request_handle: answers r (0), or hands it to an upstream (1: the
 * head is drained and webd_conn_finish will follow).
 */
int	webd_request_handle(struct hconn *, struct hreq *);
/* Serves the error page configured for status; -1 when there is none. */
int	webd_request_error_page(struct hconn *, struct hreq *,
	    int status);
/* The access-log line of r (combined format + rt, ut and tc). */
void	webd_request_log(struct hconn *, const struct hreq *);

#endif
