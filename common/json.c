/*
 * json.c: see json.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "json.h"
#include "log.h"

void
json_init(struct json *j, struct evbuffer *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = 1;
}

void
json_escape(struct evbuffer *out, const char *s)
{
	const char *run = s;
	char esc[8];

	evbuffer_add(out, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		evbuffer_add(out, run, (size_t)(s - run));
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		evbuffer_add(out, esc, strlen(esc));
		run = s + 1;
	}
	evbuffer_add(out, run, (size_t)(s - run));
	evbuffer_add(out, "\"", 1);
}

/* Writes the comma and the key that come before any value. */
static void
json_prefix(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		evbuffer_add(j->out, ",", 1);
	j->first[j->depth] = 0;
	if (key != NULL) {
		json_escape(j->out, key);
		evbuffer_add(j->out, ":", 1);
	}
}

static void
json_open(struct json *j, const char *key, char c)
{
	json_prefix(j, key);
	evbuffer_add(j->out, &c, 1);
	if (j->depth + 1 >= JSON_MAX_DEPTH)
		fatalx("json: nesting deeper than %d", JSON_MAX_DEPTH);
	j->first[++j->depth] = 1;
}

static void
json_close(struct json *j, char c)
{
	evbuffer_add(j->out, &c, 1);
	if (j->depth > 0)
		j->depth--;
}

void json_object_open(struct json *j, const char *k) { json_open(j, k, '{'); }
void json_object_close(struct json *j) { json_close(j, '}'); }
void json_array_open(struct json *j, const char *k) { json_open(j, k, '['); }
void json_array_close(struct json *j) { json_close(j, ']'); }

void
json_str(struct json *j, const char *key, const char *value)
{
	json_prefix(j, key);
	if (value == NULL)
		evbuffer_add(j->out, "null", 4);
	else
		json_escape(j->out, value);
}

void
json_int(struct json *j, const char *key, int64_t value)
{
	json_prefix(j, key);
	evbuffer_add_printf(j->out, "%lld", (long long)value);
}

void
json_double(struct json *j, const char *key, double value)
{
	json_prefix(j, key);
	/* JSON has no NaN or infinity. */
	if (!isfinite(value))
		evbuffer_add(j->out, "null", 4);
	else
		evbuffer_add_printf(j->out, "%.6g", value);
}

void
json_bool(struct json *j, const char *key, int value)
{
	json_prefix(j, key);
	evbuffer_add_printf(j->out, "%s", value ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_prefix(j, key);
	evbuffer_add(j->out, "null", 4);
}
