/*
 * modapi.h: the inside of struct triad_req (include/triad_app.h), shared
 * by the module worker host (worker.c) and the API functions (modapi.c).
 */
#ifndef APPD_MODAPI_H
#define APPD_MODAPI_H

#include <stddef.h>
#include <stdint.h>

#include "fcgi.h"

struct modapi_param {
	const char	*name, *value;
};

struct triad_req {
	int			 fd;		/* the master's socket */
	uint16_t		 id;		/* FastCGI request id */
	struct fcgi_buf		 params;	/* the raw PARAMS stream */
	struct fcgi_buf		 body;		/* STDIN, NUL-terminated */
	char			*arena;		/* params, NUL-terminated */
	struct modapi_param	*pv;
	size_t			 npv;
	const char		*method, *path, *query;
	char			*pathbuf;	/* path without the query */
	int			 status;
	struct fcgi_buf		 head;		/* "Name: value\r\n" lines */
	struct fcgi_buf		 out;		/* body not yet sent */
	uint64_t		 out_total;
	struct fcgi_buf		 wout;		/* records being written */
	uint64_t		 max_response;
	int			 head_sent;	/* streaming started */
	int			 dead;		/* the master is gone */
	/* Where the answer goes: NULL, FastCGI records to fd (the master);
	   else this function (a worker's own listener, direct.c), which
	   gets the head and body of r and sets head_sent. */
	int			(*send)(struct triad_req *, int with_length,
				    int end);
	void			*sink;		/* send's */
};

/*
 * modapi_req_params: splits the PARAMS stream into NUL-terminated pairs
 * and finds method, path and query. Returns 0, or -1 when malformed.
 */
int	modapi_req_params(struct triad_req *);
/* modapi_req_reset: empties r for the next request (buffers kept). */
void	modapi_req_reset(struct triad_req *);
/* modapi_req_free: frees every buffer of r (the worker's end). */
void	modapi_req_free(struct triad_req *);
/*
 * modapi_req_end: sends what is left of the response, the end of STDOUT
 * and END_REQUEST, in one write. failed: the handler failed (500, unless
 * streaming already began). Returns 0, or -1 when the master is gone.
 */
int	modapi_req_end(struct triad_req *, int failed);
/*
 * modapi_cgi_head: the CGI head of r's answer into h: Status, the
 * module's fields, Content-Length of the buffered body when with_length,
 * the empty line.
 */
void	modapi_cgi_head(struct triad_req *, struct fcgi_buf *h,
	    int with_length);
/* modapi_flush: writes the records in wout. 0, or -1 (master gone). */
int	modapi_flush(struct triad_req *);
/* modapi_write_all: write(2) until done; -1 on an error (EPIPE). */
int	modapi_write_all(int fd, const void *, size_t);
/* modapi_set_app: the app's name for triad_log lines. */
void	modapi_set_app(const char *name);

#endif
