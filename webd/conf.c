/*
 * conf.c: webd's section of the topology (its schema), and what a
 * generation opens when it loads: the document root, the MIME table, the
 * access log. Relative paths are taken from the topology file's folder
 * (lc_conf_path).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf.h"
#include "hconn.h"
#include "http1.h"
#include "mime.h"
#include "topology.h"
#include "upstream.h"
#include "util.h"
#include "webd.h"

#define K(f)	offsetof(struct webd_conf, f)

static const struct cfg_key webd_location_keys[] = {
	{ .name = "prefix", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .off = offsetof(struct webd_location, prefix),
	  .help = "Path prefix the headers apply to." },
	{ .name = "cache_control", .type = CFG_STRING,
	  .off = offsetof(struct webd_location, cache_control),
	  .help = "Cache-Control value for files under the prefix." },
	{ .name = "expires", .type = CFG_DURATION, .def = "0", .min = 0,
	  .max = 10LL * 365 * 86400 * 1000,
	  .off = offsetof(struct webd_location, expires_ms),
	  .help = "Expires header: now plus this (0: none)." },
	{ .name = NULL },
};
static const struct cfg_schema webd_location_schema = {
	"location", webd_location_keys, sizeof(struct webd_location), 0,
};

static const struct cfg_key webd_error_page_keys[] = {
	{ .name = "status", .type = CFG_INT, .flags = CFG_F_REQUIRED,
	  .min = 400, .max = 599,
	  .off = offsetof(struct webd_error_page, status),
	  .help = "The error status this page replaces." },
	{ .name = "path", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .off = offsetof(struct webd_error_page, path),
	  .help = "The page, as a path under root." },
	{ .name = NULL },
};
static const struct cfg_schema webd_error_page_schema = {
	"error_page", webd_error_page_keys, sizeof(struct webd_error_page), 0,
};

/* In the order of enum upstream_algo (source: nginx's ip_hash). */
static const char *const webd_balance_names[] = { "roundrobin", "leastconn",
    "source", "uri", "random", NULL };

static const struct cfg_key webd_route_keys[] = {
	{ .name = "prefix", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .off = offsetof(struct webd_route, prefix),
	  .help = "Path prefix forwarded upstream." },
	{ .name = "host", .type = CFG_STRING,
	  .off = offsetof(struct webd_route, host),
	  .help = "Only for this Host (default: any)." },
	{ .name = "to", .type = CFG_STRING, .def = "appd",
	  .off = offsetof(struct webd_route, to),
	  .help = "Upstream: a daemon of the topology (appd: every instance's "
	  "listen), a daemon and a port (appd:8093: every instance's host at "
	  "that port, such as an appd module app's own listen), or an "
	  "address." },
	{ .name = "balance", .type = CFG_ENUM, .names = webd_balance_names,
	  .def = "roundrobin", .off = offsetof(struct webd_route, balance),
	  .help = "How requests spread over the upstream's servers." },
	{ .name = NULL },
};
static const struct cfg_schema webd_route_schema = {
	"route", webd_route_keys, sizeof(struct webd_route), 0,
};

static const struct cfg_key webd_keys[] = {
	{ .name = "root", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .off = K(root), .help = "Document root." },
	{ .name = "index", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .def = "index.html", .max = 16, .off = K(index),
	  .help = "Index files tried for a directory, in order." },
	{ .name = "autoindex", .type = CFG_BOOL, .def = "false",
	  .off = K(autoindex),
	  .help = "List directories without an index (HTML, or JSON on "
	  "Accept: application/json)." },
	{ .name = "dotfiles", .type = CFG_BOOL, .def = "false",
	  .off = K(dotfiles),
	  .help = "Serve names starting with '.' (/.well-known/ always)." },
	{ .name = "symlinks_outside_root", .type = CFG_BOOL, .def = "false",
	  .off = K(symlinks_outside_root),
	  .help = "Follow symlinks that lead outside root." },
	{ .name = "mime_types", .type = CFG_STRING,
	  .def = "/etc/triad/mime.types", .off = K(mime_types),
	  .help = "Types file (relative: to the topology file's folder)." },
	{ .name = "default_type", .type = CFG_STRING,
	  .def = "application/octet-stream", .off = K(default_type),
	  .help = "Content-Type of unknown extensions." },
	{ .name = "try_files", .type = CFG_STRINGS, .max = 8,
	  .off = K(try_files),
	  .help = "Fallbacks when a path is not found: $uri, $uri/ or a path "
	  "such as /index.html (single-page apps); the last may be =404." },
	{ .name = "error_pages", .type = CFG_SECTIONS, .max = 32,
	  .sub = &webd_error_page_schema, .off = K(error_pages),
	  .help = "Custom pages for error statuses." },
	{ .name = "locations", .type = CFG_SECTIONS, .max = 64,
	  .sub = &webd_location_schema, .off = K(locations),
	  .help = "Cache-Control and Expires per path prefix." },
	{ .name = "routes", .type = CFG_SECTIONS, .max = 64,
	  .sub = &webd_route_schema, .off = K(routes),
	  .help = "Dynamic routes forwarded to appd." },
	HCONN_SERVER_KEYS(struct webd_conf, srv),
	{ .name = "client_max_body_size", .type = CFG_SIZE, .def = "1m",
	  .min = 0, .max = 1ULL << 40, .off = K(client_max_body_size),
	  .help = "Largest request body (413 past it)." },
	{ .name = "max_keepalive_requests", .type = CFG_INT, .def = "10000",
	  .min = 1, .max = 100000000, .off = K(hs.max_keepalive_requests),
	  .help = "Requests on one connection before it is closed." },
	{ .name = "small_file_size", .type = CFG_SIZE, .def = "16k",
	  .min = 0, .max = 16 * 1024 * 1024, .off = K(small_file_size),
	  .help = "Files up to this size are served from memory." },
	{ .name = "open_file_cache", .type = CFG_INT, .def = "4096",
	  .min = 0, .max = 1000000, .off = K(open_file_cache_max),
	  .help = "Open files kept per worker (0: no cache)." },
	{ .name = "open_file_cache_ttl", .type = CFG_DURATION, .def = "2s",
	  .min = 0, .max = 3600000, .off = K(open_file_cache_ttl_ms),
	  .help = "How long a cached file is trusted before a new stat." },
	{ .name = "max_ranges", .type = CFG_INT, .def = "16", .min = 1,
	  .max = 1024, .off = K(max_ranges),
	  .help = "Most ranges in one request (more: the whole file)." },
	{ .name = "trusted_proxies", .type = CFG_CIDRS,
	  .flags = CFG_F_SCALAR_OK, .off = K(trusted_proxies),
	  .help = "Peers whose X-Forwarded-For and PROXY header are believed." },
	{ .name = "upstream_connect_timeout", .type = CFG_DURATION,
	  .def = "5s", .min = 1, .max = 600000,
	  .off = K(upstream_connect_timeout_ms),
	  .help = "Time to connect to an upstream server (then 502)." },
	{ .name = "upstream_read_timeout", .type = CFG_DURATION,
	  .def = "60s", .min = 1, .max = 3600000,
	  .off = K(upstream_read_timeout_ms),
	  .help = "Silence allowed from an upstream server (then 504)." },
	{ .name = "upstream_keepalive", .type = CFG_INT, .def = "32",
	  .min = 0, .max = 10000, .off = K(upstream_keepalive),
	  .help = "Idle connections kept per upstream server and worker." },
	{ .name = "upstream_max_fails", .type = CFG_INT, .def = "1",
	  .min = 0, .max = 1000, .off = K(upstream_max_fails),
	  .help = "Failures in a row that take a server out (0: never)." },
	{ .name = "upstream_fail_timeout", .type = CFG_DURATION,
	  .def = "10s", .min = 1, .max = 3600000,
	  .off = K(upstream_fail_timeout_ms),
	  .help = "How long a failed server is left out." },
	{ .name = "proxy_from", .type = CFG_CIDRS, .flags = CFG_F_SCALAR_OK,
	  .off = K(proxy_from),
	  .help = "Peers (lbd) whose connections start with a PROXY v1/v2 "
	  "header giving the client's address." },
	{ .name = "precompressed", .type = CFG_BOOL, .def = "true",
	  .off = K(precompressed),
	  .help = "Serve file.br and file.gz to clients that accept them." },
	{ .name = NULL },
};
const struct cfg_schema webd_conf_schema = {
	"webd", webd_keys, sizeof(struct webd_conf), 0,
};

/* Opens the root, the MIME table and the access log. 0 or -1, *cause. */
static int
webd_conf_open(struct webd_conf *c, const char *conf_path, char **cause)
{
	char *p;

	p = lc_conf_path(conf_path, c->root);
	c->rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd == -1) {
		xasprintf(cause, "%s: root %s: %s", conf_path, p,
		    strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	p = lc_conf_path(conf_path, c->mime_types);
	c->mime = webd_mime_load(p, c->default_type, cause);
	free(p);
	if (c->mime == NULL)
		return -1;
	return lc_conf_alog(conf_path, c->self->access_log, &c->access,
	    cause);
}

/* See webd.h. */
const struct topo_daemon *
webd_route_daemon_port(const struct topology *topo, const char *to,
    uint16_t *port)
{
	const struct topo_daemon *d;
	const char *colon = strrchr(to, ':');
	char name[TOPO_NAME_MAX + 1], *end;
	unsigned long v;

	if (colon == NULL || colon == to || (size_t)(colon - to) > TOPO_NAME_MAX)
		return NULL;
	memcpy(name, to, (size_t)(colon - to));
	name[colon - to] = '\0';
	if ((d = topo_daemon(topo, name)) == NULL)
		return NULL;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	*port = colon[1] >= '0' && colon[1] <= '9' && *end == '\0' &&
	    errno == 0 && v >= 1 && v <= 65535 ? (uint16_t)v : 0;
	return d;
}

/* Every instance of d at port (its host's address); the count added. */
static int
webd_route_instances(const struct topo_daemon *d, uint16_t port,
    struct upstream_group *g)
{
	struct net_addr a;
	size_t k;
	int n = 0;

	for (k = 0; k < d->ninst; k++) {
		a = d->inst[k].host_addr;
		if (addr_set_port(&a, port) == 0) {
			if (g != NULL)
				upstream_group_add(g, d->inst[k].name, &a, 1, 0);
			n++;
		}
	}
	return n;
}

int
webd_route_resolve(const struct topology *topo, const char *to,
    struct upstream_group *g, char **why)
{
	const struct topo_daemon *d;
	struct net_addr a;
	char *err = NULL;
	uint16_t port;
	size_t k;
	int n = 0;

	if ((d = topo_daemon(topo, to)) != NULL && d->present) {
		for (k = 0; k < d->ninst; k++)
			if (d->inst[k].nlisten > 0) {
				if (g != NULL)
					upstream_group_add(g, d->inst[k].name,
					    &d->inst[k].listen[0], 1, 0);
				n++;
			}
		if (n == 0)
			xasprintf(why, "no %s instance listens", to);
	} else if ((d = webd_route_daemon_port(topo, to, &port)) != NULL) {
		if (port == 0)
			xasprintf(why, "'%s': the port must be 1..65535", to);
		else if (!d->present)
			xasprintf(why, "'%s': no %s section in the topology", to,
			    d->name);
		else if ((n = webd_route_instances(d, port, g)) == 0)
			xasprintf(why, "'%s': no %s instance with an IP address",
			    to, d->name);
	} else if (addr_parse(to, NULL, &a, &err) == 0) {
		if (g != NULL)
			upstream_group_add(g, to, &a, 1, 0);
		n = 1;
	} else {
		xasprintf(why, "'%s' is neither a daemon of the topology nor "
		    "an address (%s)", to, err);
		free(err);
	}
	return n > 0 ? n : -1;
}

/*
 * Each route's upstream group (webd_route_resolve). Errors name the
 * route.
 */
static int
webd_conf_routes(struct webd_conf *c, const char *conf_path, char **cause)
{
	struct webd_route *rt = c->routes.v;
	char *why = NULL;
	size_t i;

	for (i = 0; i < c->routes.n; i++) {
		rt[i].index = i;
		rt[i].group = upstream_group_new(rt[i].prefix,
		    (enum upstream_algo)rt[i].balance,
		    (int)c->upstream_max_fails,
		    (uint64_t)c->upstream_fail_timeout_ms);
		if (webd_route_resolve(c->topo, rt[i].to, rt[i].group,
		    &why) == -1) {
			xasprintf(cause, "%s: route %s: %s", conf_path,
			    rt[i].prefix, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/* The connection settings of this generation (timeouts come in place). */
static void
webd_conf_limits(struct webd_conf *c)
{
	struct webd_route *rt = c->routes.v;
	size_t i;

	hconn_server_settings(&c->hs, &c->srv);
	c->hs.limits.max_body = c->client_max_body_size;
	c->hs.server = "triad-webd";
	c->hs.proxy_from = &c->proxy_from;
	/* Routes forward as nginx's proxy_next_upstream error timeout: one
	   other server after a connect failure, idempotent requests again
	   when a server dropped them unanswered. */
	for (i = 0; i < c->routes.n; i++) {
		rt[i].pc.label = rt[i].prefix;
		rt[i].pc.read_timeout_ms = c->upstream_read_timeout_ms;
		rt[i].pc.retries = 1;
		rt[i].pc.retry_idempotent = 1;
		rt[i].pc.trusted = &c->trusted_proxies;
		rt[i].pc.m = &webd_metrics.pm;
	}
}

void *
webd_conf_load(const struct lc_opts *opts, struct lc_settings *s,
    char **errors)
{
	struct webd_conf *c = xcalloc(1, sizeof(*c));

	c->rootfd = -1;
	c->topo = lc_conf_load(opts, "webd", &webd_conf_schema, c, s,
	    &c->self, errors);
	if (c->topo == NULL) {
		free(c);
		return NULL;
	}
	if (webd_conf_open(c, opts->conf_path, errors) == -1 ||
	    webd_conf_routes(c, opts->conf_path, errors) == -1) {
		webd_conf_free(c);
		return NULL;
	}
	webd_conf_limits(c);
	return c;
}

void
webd_conf_free(void *arg)
{
	struct webd_conf *c = arg;
	size_t i;

	if (c == NULL)
		return;
	listeners_close(&c->lsn);
	if (c->rootfd != -1)
		close(c->rootfd);
	for (i = 0; i < c->routes.n; i++)
		upstream_group_unref(((struct webd_route *)c->routes.v)[i].group);
	webd_mime_free(c->mime);
	alog_close(c->access);
	topo_free(c->topo);
	cfg_free(&webd_conf_schema, c);
	free(c);
}
