/*
 * foobar.c: the module's entry points and its router.
 *
 *	GET  /api/posts?page=N       20 posts a page, newest first
 *	GET  /api/posts/ID           one post
 *	POST /api/posts              {"author": "...", "body": "..."} -> 201
 *	POST /api/posts/ID/like      likes + 1, atomically
 *	GET  /api/stats              post and like counts
 *	GET  /api/hello              the smallest answer (benchmarks)
 *
 * Reads and writes go to the `database:` of appd (dbproxyd: reads from a
 * replica, writes to the primary).
 */
#include <stdlib.h>
#include <string.h>

#include "foobar.h"

int
foobar_json(struct triad_req *req, int status, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	int rc;

	json_decref(v);
	if (s == NULL)
		return -1;
	triad_resp_status(req, status);
	triad_resp_header(req, "Content-Type", "application/json");
	triad_resp_header(req, "Cache-Control", "no-store");
	rc = triad_resp_write(req, s, strlen(s));
	triad_resp_write(req, "\n", 1);
	free(s);
	return rc;
}

int
foobar_error(struct triad_req *req, int status, const char *msg)
{
	return foobar_json(req, status, json_pack("{s:s}", "error", msg));
}

int
foobar_db_error(struct triad_req *req, const char *what, char *cause)
{
	triad_log(0, "%s: %s", what, cause ? cause : "?");
	free(cause);
	return foobar_error(req, 503, "database unavailable");
}

/* "/123" or "/123/like": the id's digits (1 to 18 of them) and the rest. */
static int
foobar_id(const char *p, char *id, size_t size, const char **rest)
{
	size_t n = 0;

	if (*p++ != '/')
		return -1;
	while (p[n] >= '0' && p[n] <= '9' && n + 1 < size && n < 18)
		n++;
	if (n == 0 || (p[n] != '\0' && p[n] != '/') || p[0] == '0')
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	*rest = p + n;
	return 0;
}

/* /api/posts/... */
static int
foobar_route_post(struct triad_req *req, const char *m, const char *p)
{
	char id[24];
	const char *rest;

	if (foobar_id(p, id, sizeof(id), &rest) == -1)
		return foobar_error(req, 404, "no such post");
	if (*rest == '\0') {
		if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0)
			return foobar_error(req, 405, "use GET");
		return foobar_posts_get(req, id);
	}
	if (strcmp(rest, "/like") == 0) {
		if (strcmp(m, "POST") != 0)
			return foobar_error(req, 405, "use POST");
		return foobar_posts_like(req, id);
	}
	return foobar_error(req, 404, "no such route");
}

static int
foobar_handle(struct triad_req *req)
{
	const char *p = triad_req_path(req), *m = triad_req_method(req);
	int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;

	if (strcmp(p, "/api/hello") == 0) {
		triad_resp_header(req, "Content-Type", "text/plain");
		return triad_resp_write(req, "hello\n", 6);
	}
	if (strcmp(p, "/api/posts") == 0) {
		if (get)
			return foobar_posts_list(req);
		if (strcmp(m, "POST") == 0)
			return foobar_posts_create(req);
		return foobar_error(req, 405, "use GET or POST");
	}
	if (strncmp(p, "/api/posts/", 10) == 0 && p[10] == '/')
		return foobar_route_post(req, m, p + 10);
	if (strcmp(p, "/api/stats") == 0)
		return get ? foobar_stats(req) :
		    foobar_error(req, 405, "use GET");
	return foobar_error(req, 404, "no such route");
}

/* Each worker makes sure the table is there (CREATE ... IF NOT EXISTS). */
static int
foobar_init(void)
{
	if (foobar_schema() == -1)
		triad_log(1, "the schema is not ready yet: the database is "
		    "not reachable; requests will say so");
	return 0;
}

TRIAD_APP_MODULE("foobar", foobar_init, foobar_handle, NULL);
