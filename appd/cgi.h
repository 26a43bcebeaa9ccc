/*
 * cgi.h: the cgi kind (RFC 3875): one process per request, started from
 * the master's thread through the worker stub (launch_cgi), the request's
 * meta-variables in its environment, its body on stdin, its CGI response
 * read from stdout, stderr into appd's log. The app's max_children bounds
 * the processes at once (then the queue), request_timeout kills the
 * script's process group, client_max_body_size bounds the body.
 */
#ifndef APPD_CGI_H
#define APPD_CGI_H

struct appd_pool;
struct appd_req;
struct appd_cgi;

/* cgi_run: starts q's script (pool counted it busy). */
void	cgi_run(struct appd_pool *, struct appd_req *);
/* cgi_reading: stops (0) or resumes (1) reading the script's stdout. */
void	cgi_reading(struct appd_cgi *, int on);
/* cgi_detach: q's client left: the script is killed, q forgotten. */
void	cgi_detach(struct appd_cgi *);
/* cgi_shutdown: kills and frees every script of pool (worker end). */
void	cgi_shutdown(struct appd_pool *);
/*
 * cgi_script: the script's path for a request path (root + the path up
 * to the end of its first segment with a dot, or the whole path), or
 * NULL when the path has "." or ".." segments, a NUL, a backslash or %2F
 * (never outside root). Caller frees.
 */
char	*cgi_script(const char *root, const char *path, size_t len);

#endif
