/*
 * proc.h: the master's FastCGI client: one request at a time on one
 * worker's socket (a module host or a FastCGI program such as php-cgi).
 * The request goes out as BEGIN_REQUEST (keep the connection), PARAMS
 * (the CGI meta-variables of RFC 3875), STDIN; STDOUT comes back as a CGI
 * response (cgihead.h), STDERR goes to appd's log, END_REQUEST ends it.
 */
#ifndef APPD_PROC_H
#define APPD_PROC_H

#include "appd.h"

struct appd_req;

/* proc_new: a process (pid, master end fd) or an external connection. */
struct appd_proc *proc_new(struct appd_pool *, pid_t pid, int fd);
struct appd_proc *proc_connect(struct appd_pool *, const struct net_addr *);
/*
 * proc_set_reader: p's socket is not FastCGI (a direct worker's control
 * socket, direct_pool.c): readcb gets its bytes; a close is still a
 * death (pool_proc_closed).
 */
struct bufferevent;
void	proc_set_reader(struct appd_proc *, void (*readcb)(
	    struct bufferevent *, void *));
/* proc_run: sends q to p (idle) and waits for the answer. */
void	proc_run(struct appd_proc *, struct appd_req *);
/* proc_detach: q's client left: p finishes the request and drops it. */
void	proc_detach(struct appd_proc *);
/* proc_reading: stops (0) or resumes (1) reading p (back-pressure). */
void	proc_reading(struct appd_proc *, int on);
/* proc_close: closes p's socket (it is dying or told to stop). */
void	proc_close(struct appd_proc *);
void	proc_free(struct appd_proc *);
/*
 * proc_params: the CGI params of q into b (a PARAMS stream's body):
 * exposed for the unit tests.
 */
struct fcgi_buf;
void	proc_params(const struct appd_req *, struct fcgi_buf *);

#endif
