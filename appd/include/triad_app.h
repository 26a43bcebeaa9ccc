/*
 * triad_app.h: the public API of appd application modules, version 1.
 *
 * A module is a C shared object that appd's worker processes load with
 * dlopen(3). It exports one symbol, made by TRIAD_APP_MODULE():
 *
 *	#include <triad_app.h>
 *
 *	static int
 *	hello(struct triad_req *req)
 *	{
 *		triad_resp_header(req, "Content-Type", "text/plain");
 *		triad_resp_write(req, "hello\n", 6);
 *		return 0;
 *	}
 *
 *	TRIAD_APP_MODULE("hello", NULL, hello, NULL);
 *
 * Build it with `cc -shared -fPIC -o hello.so hello.c`; it links nothing:
 * the triad_* functions come from the appd executable that loads it.
 *
 * Process model. Each worker process runs one request at a time from start
 * to end, like a php-fpm child: handle() may block (a database query, a
 * file), and a crash, an endless loop or a leak costs one worker, never
 * appd: the request gets 502 (crash) or 504 (request_timeout, after
 * which the worker gets SIGTERM, then SIGKILL), and appd starts a new
 * worker. The same holds, and every function here behaves the same,
 * whether the master hands the request over or the worker accepted it on
 * the app's own `listen`.
 * Workers are recycled after max_requests. Global variables of the module
 * are per worker process.
 *
 * Versioning. TRIAD_APP_API_VERSION is bumped whenever a function or a
 * structure here changes incompatibly. A module records the version it was
 * compiled with; a worker refuses a module of another version with
 * "module M speaks triad app API version X, appd speaks Y: rebuild it
 * against this appd's triad_app.h", and the app's requests get 502 while
 * the error is logged. Functions added later keep the version (a module
 * that does not call them is unaffected).
 *
 * Strings. Every const char * returned by an accessor is NUL-terminated and
 * stays valid until handle() returns. Nothing returned is to be freed,
 * except a struct triad_db_result (triad_db_free).
 */
#ifndef TRIAD_APP_H
#define TRIAD_APP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRIAD_APP_API_VERSION	1

/* One request and its response (opaque). */
struct triad_req;
/* The rows of a database query (opaque). */
struct triad_db_result;

/*
 * The module's descriptor, exported as the symbol `triad_app_module`.
 *
 * api_version	TRIAD_APP_API_VERSION of the header the module was built
 *		with (TRIAD_APP_MODULE fills it).
 * name		for logs.
 * init		called once per worker process after dlopen, before the
 *		first request (may be NULL). The database is usable here
 *		(schema creation). Returns 0; anything else makes the worker
 *		exit with the error logged, and appd respawns with back-off.
 * handle	called for each request. Returns 0 when the response was
 *		built (status 200 unless triad_resp_status said otherwise);
 *		a negative value discards whatever was not yet sent and
 *		answers 500. Must not call exit(3): that ends the worker and
 *		the request gets 502.
 * fini		called when the worker ends normally (recycled, reload,
 *		appd's stop); may be NULL. Not called after a crash or a
 *		timeout kill.
 */
struct triad_app_module {
	unsigned	 api_version;
	const char	*name;
	int		(*init)(void);
	int		(*handle)(struct triad_req *);
	void		(*fini)(void);
};

/*
 * TRIAD_APP_MODULE(name, init, handle, fini): defines the descriptor with
 * this header's version. Use it once, at file scope.
 */
#define TRIAD_APP_MODULE(n, i, h, f)					\
	__attribute__((visibility("default")))				\
	const struct triad_app_module triad_app_module = {		\
		TRIAD_APP_API_VERSION, (n), (i), (h), (f) }

/* ---- the request ---- */

/*
 * triad_req_method: the request method as sent ("GET", "POST", ...).
 */
const char	*triad_req_method(const struct triad_req *);

/*
 * triad_req_path: the path of the request target, as sent (still
 * percent-encoded), without the query: "/api/posts/12". Never NULL.
 */
const char	*triad_req_path(const struct triad_req *);

/*
 * triad_req_query: the query string after '?', without it, as sent;
 * "" when there is none. triad_req_query_param decodes one parameter.
 */
const char	*triad_req_query(const struct triad_req *);

/*
 * triad_req_query_param: the value of the first parameter `name` of the
 * query string, percent-decoded ('+' is a space) into buf (size bytes,
 * NUL-terminated). Returns buf, or NULL when the parameter is absent, its
 * decoded value has a NUL byte or does not fit.
 */
const char	*triad_req_query_param(const struct triad_req *,
		    const char *name, char *buf, size_t size);

/*
 * triad_req_header: the value of the request header `name` (any case;
 * "Content-Type", "X-Request-Id"), or NULL when absent. Repeated fields
 * arrive joined with ", " (RFC 9110 5.3). Hop-by-hop fields are not seen.
 */
const char	*triad_req_header(const struct triad_req *, const char *name);

/*
 * triad_req_param: a CGI meta-variable of the request (RFC 3875 4.1):
 * "REMOTE_ADDR" (the real client, from X-Forwarded-For of a trusted
 * webd), "HTTPS" ("on" or NULL), "SERVER_PROTOCOL", "REQUEST_URI",
 * "CONTENT_TYPE" ... NULL when not set.
 */
const char	*triad_req_param(const struct triad_req *, const char *name);

/*
 * triad_req_body: the request body, whole (appd reads it before handle,
 * at most the app's client_max_body_size; larger ones got 413 already).
 * Sets *len to its length (0 when there is none) and returns a pointer
 * to it, followed by a NUL byte that is not counted.
 */
const void	*triad_req_body(const struct triad_req *, size_t *len);

/* ---- the response ---- */

/*
 * triad_resp_status: sets the response status (100..599; 200 when never
 * called). Returns 0, or -1 when the status is out of range or the head
 * was already sent (triad_resp_flush).
 */
int	triad_resp_status(struct triad_req *, int status);

/*
 * triad_resp_header: adds a response header field. Returns 0, or -1 when
 * the name is not a token, the value holds CR, LF or NUL (no response
 * splitting), the head was already sent, or the head is over 64 KiB.
 * Content-Length is set by appd; setting it is refused.
 */
int	triad_resp_header(struct triad_req *, const char *name,
	    const char *value);

/*
 * triad_resp_write: appends len bytes to the response body. Returns 0, or
 * -1 when the response is over appd's max_response_size or the master is
 * gone. The body is buffered until handle returns (then it is sent with a
 * Content-Length) or until triad_resp_flush.
 */
int	triad_resp_write(struct triad_req *, const void *buf, size_t len);

/* triad_resp_printf: triad_resp_write of a formatted string. */
int	triad_resp_printf(struct triad_req *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * triad_resp_flush: streaming. Sends the head (without Content-Length:
 * the client gets a chunked body) and what was written so far; each later
 * flush sends what was written since. Use it for long or slow answers
 * (server-sent events, big exports). Returns 0, or -1 when the master is
 * gone (the client left): stop producing then.
 */
int	triad_resp_flush(struct triad_req *);

/* ---- the database (through dbproxyd) ---- */

/*
 * The worker's database is the app's `database:` setting: dbproxyd of
 * this host (reads go to a replica, writes and transactions to the
 * primary), or an address. Each worker keeps a pool of `pool`
 * connections, opened on first use and opened again after an error.
 *
 * triad_db_query: runs sql, where each '?' is replaced by params[i]
 * (i-th '?'), escaped and quoted as a string literal; a NULL param is
 * SQL NULL; a '?' inside a quoted literal of sql is not a placeholder.
 * nparams must equal the number of placeholders. Blocks the worker until
 * the answer is in (the worker serves one request at a time). Returns a
 * result (rows, or for INSERT/UPDATE the affected count and insert id),
 * or NULL with *cause set (caller frees with free(3)).
 */
struct triad_db_result *triad_db_query(const char *sql,
		    const char *const *params, size_t nparams, char **cause);

/*
 * triad_db_query_async: starts the query on a free connection of the
 * worker's pool and returns at once; cb(res, cause, arg) runs from
 * triad_db_wait, with res (the callee frees it with triad_db_free) or
 * NULL and cause (valid during the call). Several queries run at once on
 * several connections (as many as `pool`; past that they wait for one).
 * Returns 0, or -1 with *cause when the query could not start.
 */
typedef void	(*triad_db_cb)(struct triad_db_result *, const char *cause,
		    void *arg);
int	triad_db_query_async(const char *sql, const char *const *params,
	    size_t nparams, triad_db_cb cb, void *arg, char **cause);

/*
 * triad_db_wait: runs the started queries to completion (with
 * Connector/C's non-blocking API, all at once), calling each callback.
 * Returns the number of callbacks made.
 */
int	triad_db_wait(void);

/* triad_db_rows, triad_db_cols: the size of a result set (0: none). */
size_t	triad_db_rows(const struct triad_db_result *);
size_t	triad_db_cols(const struct triad_db_result *);
/*
 * triad_db_value: the text of a cell, or NULL for SQL NULL or out of
 * range; triad_db_len its length (binary safe).
 */
const char *triad_db_value(const struct triad_db_result *, size_t row,
	    size_t col);
size_t	triad_db_len(const struct triad_db_result *, size_t row, size_t col);
/* triad_db_affected, triad_db_insert_id: of INSERT, UPDATE, DELETE. */
uint64_t triad_db_affected(const struct triad_db_result *);
uint64_t triad_db_insert_id(const struct triad_db_result *);
/* triad_db_free: frees a result; NULL is fine. */
void	triad_db_free(struct triad_db_result *);

/* ---- logging ---- */

/*
 * triad_log: a line in appd's error log, tagged with the app and the
 * worker's pid. level: 0 error, 1 warning, 2 info, 3 debug.
 */
void	triad_log(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
