/*
 * foobar_posts.c: the message board's routes and schema. Every value a
 * client sends is checked (JSON through jansson, sizes in characters,
 * types) and reaches SQL only as an escaped parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "foobar.h"

#define POST_COLUMNS	"id, author, body, likes, " \
			"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')"

static const char foobar_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS posts ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " author VARCHAR(64) NOT NULL,"
    " body TEXT NOT NULL,"
    " likes BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

int
foobar_schema(void)
{
	struct triad_db_result *r;
	char *cause = NULL;

	if ((r = triad_db_query(foobar_schema_sql, NULL, 0, &cause)) == NULL) {
		triad_log(1, "schema: %s", cause);
		free(cause);
		return -1;
	}
	triad_db_free(r);
	return 0;
}

json_t *
foobar_post_json(const struct triad_db_result *r, size_t i)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:s}",
	    "id", (json_int_t)strtoll(triad_db_value(r, i, 0), NULL, 10),
	    "author", triad_db_value(r, i, 1),
	    "body", triad_db_value(r, i, 2),
	    "likes", (json_int_t)strtoll(triad_db_value(r, i, 3), NULL, 10),
	    "created_at", triad_db_value(r, i, 4) ? triad_db_value(r, i, 4) :
	    "");
}

/* ?page=N: 1 when absent; -1 when not a number in 1..FOOBAR_MAX_PAGE. */
static long
foobar_page(struct triad_req *req)
{
	char buf[16], *end;
	long n;

	if (triad_req_query_param(req, "page", buf, sizeof(buf)) == NULL)
		return strstr(triad_req_query(req), "page=") ? -1 : 1;
	n = strtol(buf, &end, 10);
	if (*buf == '\0' || *end != '\0' || n < 1 || n > FOOBAR_MAX_PAGE)
		return -1;
	return n;
}

int
foobar_posts_list(struct triad_req *req)
{
	struct triad_db_result *r;
	char sql[256], *cause = NULL;
	json_t *posts;
	long page;
	size_t i;

	if ((page = foobar_page(req)) == -1)
		return foobar_error(req, 400, "page must be an integer from 1 "
		    "to 100000");
	/* LIMIT takes no string literal: the offset is a checked integer. */
	snprintf(sql, sizeof(sql), "SELECT %s FROM posts ORDER BY id DESC "
	    "LIMIT %d OFFSET %ld", POST_COLUMNS, FOOBAR_PAGE_SIZE,
	    (page - 1) * FOOBAR_PAGE_SIZE);
	r = triad_db_query(sql, NULL, 0, &cause);
	if (r == NULL)
		return foobar_db_error(req, "list", cause);
	posts = json_array();
	for (i = 0; i < triad_db_rows(r); i++)
		json_array_append_new(posts, foobar_post_json(r, i));
	triad_db_free(r);
	return foobar_json(req, 200, json_pack("{s:i,s:i,s:o}", "page",
	    (int)page, "page_size", FOOBAR_PAGE_SIZE, "posts", posts));
}

int
foobar_posts_get(struct triad_req *req, const char *id)
{
	struct triad_db_result *r;
	const char *params[1] = { id };
	char *cause = NULL;
	int rc;

	r = triad_db_query("SELECT " POST_COLUMNS " FROM posts WHERE id = ?",
	    params, 1, &cause);
	if (r == NULL)
		return foobar_db_error(req, "get", cause);
	if (triad_db_rows(r) == 0)
		rc = foobar_error(req, 404, "no such post");
	else
		rc = foobar_json(req, 200, foobar_post_json(r, 0));
	triad_db_free(r);
	return rc;
}

/* A required string member of 1..max characters; NULL with *why. */
static const char *
foobar_field(json_t *o, const char *name, size_t max, const char **why)
{
	static char msg[96];
	json_t *v = json_object_get(o, name);
	const char *s;
	size_t chars = 0;

	if (v == NULL || !json_is_string(v)) {
		snprintf(msg, sizeof(msg), "%s must be a string", name);
		return (*why = msg), NULL;
	}
	s = json_string_value(v);
	/* jansson checked the UTF-8: count the characters' first bytes. */
	for (const char *p = s; *p != '\0'; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	if (chars == 0 || chars > max || strlen(s) !=
	    json_string_length(v)) {
		snprintf(msg, sizeof(msg), "%s must have 1 to %zu characters "
		    "and no NUL", name, max);
		return (*why = msg), NULL;
	}
	return s;
}

/* The body of POST /api/posts: an object with author and body. */
static json_t *
foobar_new_post(struct triad_req *req, const char **why)
{
	static char msg[200];
	json_error_t err;
	const void *body;
	size_t len;
	json_t *o;

	body = triad_req_body(req, &len);
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL) {
		snprintf(msg, sizeof(msg), "malformed JSON: %s", err.text);
		return (*why = msg), NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return (*why = "the body must be a JSON object"), NULL;
	}
	if (foobar_field(o, "author", FOOBAR_MAX_AUTHOR, why) == NULL ||
	    foobar_field(o, "body", FOOBAR_MAX_BODY, why) == NULL) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
foobar_posts_create(struct triad_req *req)
{
	struct triad_db_result *r;
	const char *params[2], *why = NULL;
	char *cause = NULL, loc[64];
	json_t *o, *out;
	uint64_t id;

	if ((o = foobar_new_post(req, &why)) == NULL)
		return foobar_error(req, 400, why);
	params[0] = json_string_value(json_object_get(o, "author"));
	params[1] = json_string_value(json_object_get(o, "body"));
	r = triad_db_query("INSERT INTO posts (author, body) VALUES (?, ?)",
	    params, 2, &cause);
	if (r == NULL) {
		json_decref(o);
		return foobar_db_error(req, "insert", cause);
	}
	id = triad_db_insert_id(r);
	triad_db_free(r);
	snprintf(loc, sizeof(loc), "/api/posts/%llu", (unsigned long long)id);
	triad_resp_header(req, "Location", loc);
	out = json_pack("{s:I,s:O,s:O,s:i}", "id", (json_int_t)id, "author",
	    json_object_get(o, "author"), "body", json_object_get(o, "body"),
	    "likes", 0);
	json_decref(o);
	return foobar_json(req, 201, out);
}

int
foobar_posts_like(struct triad_req *req, const char *id)
{
	struct triad_db_result *r;
	const char *params[1] = { id };
	char *cause = NULL;
	uint64_t likes;

	/* LAST_INSERT_ID(expr) hands the new count back on this connection,
	   so no read (which could go to a lagging replica) is needed. */
	r = triad_db_query("UPDATE posts SET likes = LAST_INSERT_ID(likes + 1) "
	    "WHERE id = ?", params, 1, &cause);
	if (r == NULL)
		return foobar_db_error(req, "like", cause);
	if (triad_db_affected(r) == 0) {
		triad_db_free(r);
		return foobar_error(req, 404, "no such post");
	}
	likes = triad_db_insert_id(r);
	triad_db_free(r);
	return foobar_json(req, 200, json_pack("{s:I,s:I}", "id",
	    (json_int_t)strtoll(id, NULL, 10), "likes", (json_int_t)likes));
}

/* Both counts at once, on two connections of the pool. */
struct foobar_count {
	long long	 v;
	char		*cause;
};

static void
foobar_count_cb(struct triad_db_result *r, const char *cause, void *arg)
{
	struct foobar_count *c = arg;
	const char *v;

	if (r == NULL)
		c->cause = strdup(cause ? cause : "?");
	else if ((v = triad_db_value(r, 0, 0)) != NULL)
		c->v = strtoll(v, NULL, 10);
	triad_db_free(r);
}

int
foobar_stats(struct triad_req *req)
{
	struct foobar_count posts = { 0, NULL }, likes = { 0, NULL };
	char *cause = NULL;

	if (triad_db_query_async("SELECT COUNT(*) FROM posts", NULL, 0,
	    foobar_count_cb, &posts, &cause) == -1)
		return foobar_db_error(req, "stats", cause);
	if (triad_db_query_async("SELECT COALESCE(SUM(likes), 0) FROM posts",
	    NULL, 0, foobar_count_cb, &likes, &cause) == -1)
		likes.cause = cause;
	triad_db_wait();
	if (posts.cause != NULL || likes.cause != NULL) {
		free(likes.cause);
		return foobar_db_error(req, "stats", posts.cause ? posts.cause :
		    likes.cause);
	}
	return foobar_json(req, 200, json_pack("{s:I,s:I}", "posts",
	    (json_int_t)posts.v, "likes", (json_int_t)likes.v));
}
