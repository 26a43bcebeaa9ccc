/*
 * foobar.h: www.foobar.com's message board, an appd module. Shared
 * helpers of its files: JSON answers and errors, ids in paths.
 */
#ifndef FOOBAR_H
#define FOOBAR_H

#include <jansson.h>
#include <stdint.h>

#include "triad_app.h"

#define FOOBAR_PAGE_SIZE	20
#define FOOBAR_MAX_AUTHOR	64	/* characters */
#define FOOBAR_MAX_BODY		2000	/* characters */
#define FOOBAR_MAX_PAGE		100000

/* foobar_json: answers status with v as compact JSON (takes v). */
int	foobar_json(struct triad_req *, int status, json_t *v);
/* foobar_error: answers status with {"error": msg}. */
int	foobar_error(struct triad_req *, int status, const char *msg);
/* foobar_db_error: logs cause, answers 503 {"error": "database ..."}. */
int	foobar_db_error(struct triad_req *, const char *what, char *cause);
/* foobar_post_json: row i of a posts result as a JSON object. */
json_t	*foobar_post_json(const struct triad_db_result *, size_t row);

/* The routes (foobar_posts.c). */
int	foobar_posts_list(struct triad_req *);
int	foobar_posts_get(struct triad_req *, const char *id);
int	foobar_posts_create(struct triad_req *);
int	foobar_posts_like(struct triad_req *, const char *id);
int	foobar_stats(struct triad_req *);

/* The schema, created at each worker's start (idempotent). */
int	foobar_schema(void);

#endif
