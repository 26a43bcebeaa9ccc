/*
 * json.h: a small streaming JSON writer into an evbuffer, for the status
 * port. It tracks nesting so that commas and escapes are always right; the
 * caller only says what comes next. Output is compact, UTF-8 passes
 * through, control characters and quotes are escaped.
 */
#ifndef TRIAD_JSON_H
#define TRIAD_JSON_H

#include <stdint.h>

struct evbuffer;

#define JSON_MAX_DEPTH	16

struct json {
	struct evbuffer	*out;
	int		 depth;
	int		 first[JSON_MAX_DEPTH];	/* no member yet at this depth */
};

void	json_init(struct json *, struct evbuffer *out);
/* Containers. key is NULL inside arrays and at the top level. */
void	json_object_open(struct json *, const char *key);
void	json_object_close(struct json *);
void	json_array_open(struct json *, const char *key);
void	json_array_close(struct json *);
/* Values. */
void	json_str(struct json *, const char *key, const char *value);
void	json_int(struct json *, const char *key, int64_t value);
void	json_double(struct json *, const char *key, double value);
void	json_bool(struct json *, const char *key, int value);
void	json_null(struct json *, const char *key);
/* json_escape: value as a quoted JSON string onto out. */
void	json_escape(struct evbuffer *out, const char *value);

#endif
