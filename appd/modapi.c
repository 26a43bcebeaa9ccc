/*
 * modapi.c: the request and response functions of the module API
 * (include/triad_app.h), as the module worker host runs them. The response
 * is built in memory and sent as FastCGI STDOUT records; a streaming
 * response (triad_resp_flush) sends its head without Content-Length, so
 * the master frames it chunked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http1.h"
#include "log.h"
#include "modapi.h"
#include "triad_app.h"
#include "util.h"

#define MODAPI_HEAD_MAX	65536
#define MODAPI_KEEP	(256 * 1024)

static const char *modapi_app = "?";

void
modapi_set_app(const char *name)
{
	modapi_app = name;
}

int
modapi_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The well-known params, looked up once. */
static void
modapi_req_known(struct triad_req *r)
{
	const char *uri, *q;

	r->method = triad_req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->path = triad_req_param(r, "DOCUMENT_URI");
	uri = triad_req_param(r, "REQUEST_URI");
	if (r->path == NULL && uri != NULL) {
		q = strchr(uri, '?');
		r->pathbuf = q ? xstrndup(uri, (size_t)(q - uri)) :
		    xstrdup(uri);
		r->path = r->pathbuf;
	}
	if (r->path == NULL)
		r->path = "/";
	r->query = triad_req_param(r, "QUERY_STRING");
	if (r->query == NULL)
		r->query = "";
}

int
modapi_req_params(struct triad_req *r)
{
	const uint8_t *n, *v;
	uint32_t nl, vl;
	size_t off = 0, count = 0, a = 0;
	int rc;

	while ((rc = fcgi_nv_next(r->params.p, r->params.len, &off, &n, &nl,
	    &v, &vl)) == 1)
		count++;
	if (rc == -1)
		return -1;
	r->arena = xmalloc(r->params.len + 2 * count + 1);
	r->pv = xcalloc(count + 1, sizeof(*r->pv));
	off = 0;
	while (fcgi_nv_next(r->params.p, r->params.len, &off, &n, &nl, &v,
	    &vl) == 1) {
		r->pv[r->npv].name = r->arena + a;
		memcpy(r->arena + a, n, nl);
		a += nl;
		r->arena[a++] = '\0';
		r->pv[r->npv].value = r->arena + a;
		memcpy(r->arena + a, v, vl);
		a += vl;
		r->arena[a++] = '\0';
		r->npv++;
	}
	modapi_req_known(r);
	return 0;
}

/* Empties b, and frees it when it holds more than MODAPI_KEEP bytes. */
static void
modapi_buf_reuse(struct fcgi_buf *b)
{
	if (b->cap > MODAPI_KEEP)
		fcgi_buf_free(b);
	b->len = 0;
}

void
modapi_req_free(struct triad_req *r)
{
	modapi_req_reset(r);
	fcgi_buf_free(&r->params);
	fcgi_buf_free(&r->body);
	fcgi_buf_free(&r->head);
	fcgi_buf_free(&r->out);
	fcgi_buf_free(&r->wout);
}

void
modapi_req_reset(struct triad_req *r)
{
	/* Buffers are kept for the next request, unless one grew big. */
	modapi_buf_reuse(&r->params);
	modapi_buf_reuse(&r->body);
	modapi_buf_reuse(&r->head);
	modapi_buf_reuse(&r->out);
	free(r->arena);
	free(r->pv);
	free(r->pathbuf);
	r->arena = r->pathbuf = NULL;
	r->pv = NULL;
	r->npv = 0;
	r->status = 0;
	r->out_total = 0;
	r->head_sent = 0;
}

const char *
triad_req_param(const struct triad_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->npv; i++)
		if (strcmp(r->pv[i].name, name) == 0)
			return r->pv[i].value;
	return NULL;
}

const char *
triad_req_method(const struct triad_req *r)
{
	return r->method;
}

const char *
triad_req_path(const struct triad_req *r)
{
	return r->path;
}

const char *
triad_req_query(const struct triad_req *r)
{
	return r->query;
}

const char *
triad_req_header(const struct triad_req *r, const char *name)
{
	char key[256];
	size_t i, n = strlen(name);

	if (n + 6 > sizeof(key))
		return NULL;
	if (util_strncasecmp(name, "Content-Type", 13) == 0)
		return triad_req_param(r, "CONTENT_TYPE");
	if (util_strncasecmp(name, "Content-Length", 15) == 0)
		return triad_req_param(r, "CONTENT_LENGTH");
	memcpy(key, "HTTP_", 5);
	for (i = 0; i < n; i++) {
		key[5 + i] = name[i] == '-' ? '_' : name[i];
		if (key[5 + i] >= 'a' && key[5 + i] <= 'z')
			key[5 + i] = (char)(key[5 + i] - 'a' + 'A');
	}
	key[5 + n] = '\0';
	return triad_req_param(r, key);
}

/* Decodes n bytes of s into buf (size): -1 if it does not fit or has %00. */
static int
modapi_decode(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= size)
			return -1;
		if (s[i] == '+')
			buf[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n &&
		    (hi = util_hexval(s[i + 1])) >= 0 &&
		    (lo = util_hexval(s[i + 2])) >= 0) {
			if (hi == 0 && lo == 0)
				return -1;
			buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			buf[o++] = s[i];
	}
	buf[o] = '\0';
	return 0;
}

const char *
triad_req_query_param(const struct triad_req *r, const char *name,
    char *buf, size_t size)
{
	const char *p = r->query, *amp, *eq;
	size_t nlen = strlen(name), len;

	while (*p != '\0') {
		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', len);
		if ((eq ? (size_t)(eq - p) : len) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			if (eq == NULL)
				return size > 0 ? (buf[0] = '\0', buf) : NULL;
			return modapi_decode(eq + 1, len - nlen - 1, buf,
			    size) == 0 ? buf : NULL;
		}
		p += len + (amp != NULL);
	}
	return NULL;
}

const void *
triad_req_body(const struct triad_req *r, size_t *len)
{
	*len = r->body.len;
	return r->body.p != NULL ? (const void *)r->body.p : "";
}

int
triad_resp_status(struct triad_req *r, int status)
{
	if (status < 100 || status > 599 || r->head_sent)
		return -1;
	r->status = status;
	return 0;
}

int
triad_resp_header(struct triad_req *r, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), i;

	if (r->head_sent || !http1_token_valid(name, nl) ||
	    r->head.len + nl + vl + 4 > MODAPI_HEAD_MAX ||
	    (nl == 14 && util_strncasecmp(name, "Content-Length", 14) == 0) ||
	    (nl == 6 && util_strncasecmp(name, "Status", 6) == 0))
		return -1;
	for (i = 0; i < vl; i++)
		if (value[i] == '\r' || value[i] == '\n')
			return -1;
	fcgi_buf_add(&r->head, name, nl);
	fcgi_buf_add(&r->head, ": ", 2);
	fcgi_buf_add(&r->head, value, vl);
	fcgi_buf_add(&r->head, "\r\n", 2);
	return 0;
}

int
triad_resp_write(struct triad_req *r, const void *buf, size_t len)
{
	if (r->dead || r->out_total + len > r->max_response)
		return -1;
	fcgi_buf_add(&r->out, buf, len);
	r->out_total += len;
	return 0;
}

int
triad_resp_printf(struct triad_req *r, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	rc = triad_resp_write(r, s, (size_t)n);
	free(s);
	return rc;
}

void
modapi_cgi_head(struct triad_req *r, struct fcgi_buf *h, int with_length)
{
	char line[64];
	int n;

	n = snprintf(line, sizeof(line), "Status: %d\r\n",
	    r->status ? r->status : 200);
	fcgi_buf_add(h, line, (size_t)n);
	fcgi_buf_add(h, r->head.p, r->head.len);
	if (with_length) {
		n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n",
		    r->out.len);
		fcgi_buf_add(h, line, (size_t)n);
	}
	fcgi_buf_add(h, "\r\n", 2);
}

int
modapi_flush(struct triad_req *r)
{
	int rc = 0;

	if (r->wout.len > 0 && !r->dead &&
	    (rc = modapi_write_all(r->fd, r->wout.p, r->wout.len)) == -1)
		r->dead = 1;
	modapi_buf_reuse(&r->wout);
	return rc;
}

/*
 * Writes the head (first time) and the buffered body as STDOUT records,
 * and the end of the request when end is set, in one write. An ended
 * answer is never held back for the next request: if that one crashed or
 * ran long, the master would take a finished request for the failed one.
 */
static int
modapi_send(struct triad_req *r, int with_length, int end)
{
	struct fcgi_buf h = { 0 };

	if (r->send != NULL)
		return r->send(r, with_length, end);

	if (!r->head_sent) {
		modapi_cgi_head(r, &h, with_length);
		fcgi_put_stream(&r->wout, FCGI_STDOUT, r->id, h.p, h.len);
		fcgi_buf_free(&h);
		r->head_sent = 1;
	}
	/* The body follows the head in records of its own (one stream). */
	if (r->out.len > 0)
		fcgi_put_stream(&r->wout, FCGI_STDOUT, r->id, r->out.p,
		    r->out.len);
	r->out.len = 0;
	if (end) {
		fcgi_put_stream(&r->wout, FCGI_STDOUT, r->id, NULL, 0);
		fcgi_put_end(&r->wout, r->id, 0, FCGI_REQUEST_COMPLETE);
	}
	return modapi_flush(r);
}

int
triad_resp_flush(struct triad_req *r)
{
	if (r->dead)
		return -1;
	return modapi_send(r, 0, 0);
}

int
modapi_req_end(struct triad_req *r, int failed)
{
	static const char msg[] = "{\"error\":\"internal error\"}\n";

	if (r->dead)
		return -1;
	if (failed && !r->head_sent) {
		r->status = 500;
		r->head.len = 0;
		r->out.len = 0;
		triad_resp_header(r, "Content-Type", "application/json");
		fcgi_buf_add(&r->out, msg, sizeof(msg) - 1);
	}
	return modapi_send(r, !r->head_sent, 1);
}

/* log_vlog with a variadic front. */
static void __attribute__((format(printf, 2, 3)))
modapi_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(level, 0, fmt, ap);
	va_end(ap);
}

void
triad_log(int level, const char *fmt, ...)
{
	static const enum log_level lv[] = { LOG_LEVEL_ERR, LOG_LEVEL_WARN,
	    LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (level < 0)
		level = 0;
	if (level > 3)
		level = 3;
	modapi_log(lv[level], "app %s: %s", modapi_app, buf);
}
