/*
 * static.h: static files: GET and HEAD of files under the root, with
 * index files, try_files, autoindex, validators, ranges and precompressed
 * variants.
 */
#ifndef WEBD_STATIC_H
#define WEBD_STATIC_H

struct hconn;
struct hreq;

/* Answers r from the document root (any status, errors included). */
void	webd_static_serve(struct hconn *, struct hreq *);
/*
 * webd_static_page: serves the file at path (under root) as the body of a
 * response with status (error pages). 0, or -1 when it cannot be opened.
 */
int	webd_static_page(struct hconn *, struct hreq *,
	    const char *path, int status);

#endif
