/*
 * params.h: the CGI meta-variables of a request (RFC 3875 section 4.1),
 * as a FastCGI PARAMS stream. One builder for both ways a request reaches
 * an app: the master's FastCGI hand-off (proc.c) and a module worker's
 * own listener (direct.c), so a module sees the same params either way.
 */
#ifndef APPD_PARAMS_H
#define APPD_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct cidr_list;
struct fcgi_buf;
struct http1_msg;

/* What the params are made from. */
struct params_in {
	const struct http1_msg	*msg;		/* the request head */
	uint64_t		 body_len;	/* the decoded body's length */
	const struct net_addr	*peer;		/* the connection's peer */
	int			 tls;
	const struct cidr_list	*trusted;	/* trusted_proxies */
	const char		*root_path;	/* fastcgi, cgi; NULL: module */
	const char		*script;	/* a front controller or NULL */
};

/*
 * params_build: appends the name-value pairs of in to b (a PARAMS
 * stream's body): the request line, Host, Content-Type and -Length,
 * REMOTE_ADDR (the last X-Forwarded-For hop when the peer is trusted or a
 * Unix socket), HTTPS from X-Forwarded-Proto, the script's names, and an
 * HTTP_* per field except hop-by-hop ones and Proxy (httpoxy).
 */
void	params_build(const struct params_in *in, struct fcgi_buf *b);

#endif
