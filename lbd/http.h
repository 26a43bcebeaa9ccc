/*
 * http.h: lbd's http mode: client connections through common/hconn,
 * requests forwarded to the servers through common/hproxy, each request
 * balanced on its own (a keep-alive client may reach several servers).
 */
#ifndef LBD_HTTP_H
#define LBD_HTTP_H

#include "hconn.h"

extern const struct hconn_ops lb_http_ops;

#endif
