/*
 * status.c: see status.h.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "json.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "util.h"

#ifndef TRIAD_VERSION
#define TRIAD_VERSION	"0.1.0"
#endif

#define STATUS_MAX_ADMIN	32
#define STATUS_MAX_BODY		65536
#define STATUS_MAX_HEADERS	8192
#define STATUS_TIMEOUT_S	10

struct status_admin {
	char		*name;
	status_admin_fn	 fn;
	void		*arg;
};

struct status {
	struct evhttp		*http;
	struct metrics		*metrics;
	char			*daemon, *instance;
	uint64_t		 generation;
	time_t			 started;
	int			 draining;
	status_health_fn	 health_fn;
	void			*health_arg;
	status_json_fn		 json_fn;
	void			*json_arg;
	struct status_admin	 admin[STATUS_MAX_ADMIN];
	size_t			 nadmin;
};

/* Returns 1 when healthy, else 0 with *reason. */
static int
status_healthy(struct status *s, const char **reason)
{
	if (s->draining) {
		*reason = "draining";
		return 0;
	}
	if (s->health_fn != NULL && !s->health_fn(s->health_arg, reason))
		return 0;
	*reason = "ok";
	return 1;
}

static void
status_reply(struct evhttp_request *req, int code, const char *type,
    struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, NULL, body);
}

static void
status_health(struct status *s, struct evhttp_request *req,
    struct evbuffer *body)
{
	const char *reason;
	int ok = status_healthy(s, &reason);

	evbuffer_add_printf(body, "%s\n", reason);
	status_reply(req, ok ? 200 : 503, "text/plain; charset=utf-8", body);
}

static void
status_json_metric(const struct metric *m, void *arg)
{
	struct json *j = arg;
	char key[512];
	const char *labels = metric_labels(m);

	snprintf(key, sizeof(key), "%s%s%s%s", metric_name(m),
	    labels ? "{" : "", labels ? labels : "", labels ? "}" : "");
	json_int(j, key, metric_value(m));
}

static void
status_json(struct status *s, struct evhttp_request *req,
    struct evbuffer *body)
{
	struct json j;
	const char *reason;
	int ok = status_healthy(s, &reason);

	json_init(&j, body);
	json_object_open(&j, NULL);
	json_str(&j, "daemon", s->daemon);
	json_str(&j, "instance", s->instance);
	json_str(&j, "version", TRIAD_VERSION);
	json_int(&j, "pid", (int64_t)getpid());
	json_int(&j, "uptime_s", (int64_t)(time(NULL) - s->started));
	json_int(&j, "generation", (int64_t)s->generation);
	json_str(&j, "state", ok ? "serving" : reason);
	json_bool(&j, "healthy", ok);
	json_object_open(&j, "metrics");
	if (s->metrics != NULL)
		metrics_foreach(s->metrics, status_json_metric, &j);
	json_object_close(&j);
	if (s->json_fn != NULL)
		s->json_fn(&j, s->json_arg);
	json_object_close(&j);
	evbuffer_add(body, "\n", 1);
	status_reply(req, 200, "application/json", body);
}

/* Escapes text for HTML element content. */
static void
status_html_text(struct evbuffer *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': evbuffer_add(out, "&lt;", 4); break;
		case '>': evbuffer_add(out, "&gt;", 4); break;
		case '&': evbuffer_add(out, "&amp;", 5); break;
		case '"': evbuffer_add(out, "&quot;", 6); break;
		default: evbuffer_add(out, s, 1);
		}
	}
}

static void
status_html_metric(const struct metric *m, void *arg)
{
	struct evbuffer *out = arg;
	const char *labels = metric_labels(m);

	evbuffer_add_printf(out, "<tr><td>");
	status_html_text(out, metric_name(m));
	evbuffer_add_printf(out, "</td><td>");
	status_html_text(out, labels != NULL ? labels : "");
	evbuffer_add_printf(out, "</td><td class=n>%lld</td></tr>\n",
	    (long long)metric_value(m));
}

static void
status_html(struct status *s, struct evhttp_request *req,
    struct evbuffer *body)
{
	const char *reason;
	int ok = status_healthy(s, &reason);

	evbuffer_add_printf(body, "<!doctype html>\n<html><head>"
	    "<meta charset=utf-8><meta http-equiv=refresh content=5>"
	    "<title>%s ", s->daemon);
	status_html_text(body, s->instance);
	evbuffer_add_printf(body, "</title><style>body{font:14px sans-serif;"
	    "margin:2em}td{padding:2px 10px;border-bottom:1px solid #ddd}"
	    ".n{text-align:right}.ok{color:#070}.bad{color:#b00}</style>"
	    "</head><body>\n<h1>%s <small>", s->daemon);
	status_html_text(body, s->instance);
	evbuffer_add_printf(body, "</small></h1>\n<p>state: <b class=%s>%s"
	    "</b> &middot; generation %llu &middot; up %llds &middot; pid %d"
	    " &middot; <a href=/status>json</a> &middot; <a href=/metrics>"
	    "metrics</a></p>\n<table><tr><th>metric</th><th>labels</th>"
	    "<th>value</th></tr>\n", ok ? "ok" : "bad", ok ? "serving" : reason,
	    (unsigned long long)s->generation,
	    (long long)(time(NULL) - s->started), (int)getpid());
	if (s->metrics != NULL)
		metrics_foreach(s->metrics, status_html_metric, body);
	evbuffer_add_printf(body, "</table></body></html>\n");
	status_reply(req, 200, "text/html; charset=utf-8", body);
}

/*
 * A TCP peer whose address is the socket's own local address: a client on
 * this host that connected to one of its addresses (a status port on the
 * admin network, asked by triadctl on the same host). Another host cannot
 * complete a TCP handshake from our address.
 */
static int
status_peer_self(int fd, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);

	if (getsockname(fd, (struct sockaddr *)&me, &len) == -1 ||
	    me.ss_family != peer->ss_family)
		return 0;
	if (me.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&me)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)peer)->sin_addr.s_addr;
	if (me.ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)&me)->sin6_addr,
		    &((const struct sockaddr_in6 *)peer)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return 0;
}

/*
 * status_peer_local: admin actions are for the operator on this machine:
 * a Unix-socket peer, a TCP peer on loopback (127/8, ::1, or
 * ::ffff:127/104), or one that connected from this host's own address.
 */
static int
status_peer_local(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (getpeername(bufferevent_getfd(bev), (struct sockaddr *)&ss,
	    &len) == -1)
		return 0;
	if (ss.ss_family == AF_UNIX)
		return 1;
	if (ss.ss_family == AF_INET && (ntohl(sin->sin_addr.s_addr) >> 24) == 127)
		return 1;
	if (ss.ss_family == AF_INET6 && (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
	    (memcmp(sin6->sin6_addr.s6_addr, mapped, 12) == 0 &&
	    sin6->sin6_addr.s6_addr[12] == 127)))
		return 1;
	return status_peer_self(bufferevent_getfd(bev), &ss);
}

/* The request's arguments: the form body for POST, else the query. */
static char *
status_args(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	size_t len = evbuffer_get_length(in);
	char *args;

	if (len == 0)
		return xstrdup(q != NULL ? q : "");
	args = xmalloc(len + 1);
	evbuffer_remove(in, args, len);
	args[len] = '\0';
	return args;
}

static void
status_admin(struct status *s, struct evhttp_request *req, const char *name,
    struct evbuffer *body)
{
	size_t i;
	char *args;
	int code;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evbuffer_add_printf(body, "admin actions take POST\n");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		status_reply(req, 405, "text/plain", body);
		return;
	}
	if (!status_peer_local(req)) {
		evbuffer_add_printf(body, "admin actions are accepted only "
		    "from this host (loopback, its own address, or the unix "
		    "socket)\n");
		status_reply(req, 403, "text/plain", body);
		return;
	}
	for (i = 0; i < s->nadmin; i++)
		if (strcmp(s->admin[i].name, name) == 0)
			break;
	if (i == s->nadmin) {
		evbuffer_add_printf(body, "no admin action '%s'\n", name);
		status_reply(req, 404, "text/plain", body);
		return;
	}
	args = status_args(req);
	code = s->admin[i].fn(s->admin[i].arg, args, body);
	free(args);
	log_info("admin %s from local peer: %d", name, code);
	status_reply(req, code, "text/plain; charset=utf-8", body);
}

static void
status_dispatch(struct evhttp_request *req, void *arg)
{
	struct status *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *body = evbuffer_new();

	if (body == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (path == NULL)
		path = "/";
	if (strncmp(path, "/admin/", 7) == 0)
		status_admin(s, req, path + 7, body);
	else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		evbuffer_add_printf(body, "method not allowed\n");
		status_reply(req, 405, "text/plain", body);
	} else if (strcmp(path, "/health") == 0)
		status_health(s, req, body);
	else if (strcmp(path, "/status") == 0)
		status_json(s, req, body);
	else if (strcmp(path, "/metrics") == 0) {
		if (s->metrics != NULL)
			metrics_render(s->metrics, body);
		status_reply(req, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", body);
	} else if (strcmp(path, "/") == 0)
		status_html(s, req, body);
	else {
		evbuffer_add_printf(body, "not found\n");
		status_reply(req, 404, "text/plain", body);
	}
	evbuffer_free(body);
}

struct status *
status_new(struct event_base *base, const char *daemon, const char *instance,
    struct metrics *m)
{
	struct status *s = xcalloc(1, sizeof(*s));

	if ((s->http = evhttp_new(base)) == NULL)
		fatalx("status: evhttp_new failed");
	s->daemon = xstrdup(daemon);
	s->instance = xstrdup(instance != NULL ? instance : "");
	s->metrics = m;
	s->started = time(NULL);
	evhttp_set_gencb(s->http, status_dispatch, s);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_max_body_size(s->http, STATUS_MAX_BODY);
	evhttp_set_max_headers_size(s->http, STATUS_MAX_HEADERS);
	evhttp_set_timeout(s->http, STATUS_TIMEOUT_S);
	return s;
}

void
status_free(struct status *s)
{
	size_t i;

	if (s == NULL)
		return;
	evhttp_free(s->http);
	for (i = 0; i < s->nadmin; i++)
		free(s->admin[i].name);
	free(s->daemon);
	free(s->instance);
	free(s);
}

int
status_listen_fd(struct status *s, int fd, char **cause)
{
	if (evhttp_accept_socket_with_handle(s->http, fd) == NULL) {
		xasprintf(cause, "status: cannot serve on fd %d", fd);
		close(fd);
		return -1;
	}
	return 0;
}

void status_set_generation(struct status *s, uint64_t g) { s->generation = g; }
void status_set_draining(struct status *s, int d) { s->draining = d; }

void
status_set_health_cb(struct status *s, status_health_fn fn, void *arg)
{
	s->health_fn = fn;
	s->health_arg = arg;
}

void
status_set_json_cb(struct status *s, status_json_fn fn, void *arg)
{
	s->json_fn = fn;
	s->json_arg = arg;
}

int
status_admin_register(struct status *s, const char *name, status_admin_fn fn,
    void *arg)
{
	size_t i;

	for (i = 0; i < s->nadmin; i++)
		if (strcmp(s->admin[i].name, name) == 0)
			return -1;
	if (s->nadmin == STATUS_MAX_ADMIN)
		return -1;
	s->admin[s->nadmin].name = xstrdup(name);
	s->admin[s->nadmin].fn = fn;
	s->admin[s->nadmin].arg = arg;
	s->nadmin++;
	return 0;
}

/*
 * status_args_get: finds key in "a=1&b=2" and URL-decodes its value into
 * dst. Returns the length, or -1 when absent, malformed (bad %xx, a NUL)
 * or longer than size-1.
 */
int
status_args_get(const char *args, const char *key, char *dst, size_t size)
{
	size_t klen = strlen(key), n = 0;
	const char *p = args;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			for (p += klen + 1; *p != '\0' && *p != '&'; p++) {
				int c = (unsigned char)*p, h, l;

				if (c == '+')
					c = ' ';
				else if (c == '%') {
					if ((h = util_hexval(p[1])) < 0 ||
					    (l = util_hexval(p[2])) < 0)
						return -1;
					c = h * 16 + l;
					p += 2;
				}
				if (c == 0 || n + 1 >= size)
					return -1;
				dst[n++] = (char)c;
			}
			dst[n] = '\0';
			return (int)n;
		}
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	return -1;
}
