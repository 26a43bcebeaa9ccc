/*
 * conf.c: lbd's section of the topology and the server group it names.
 */
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alog.h"
#include "config.h"
#include "conf.h"
#include "edge.h"
#include "health.h"
#include "http1.h"
#include "tls.h"
#include "lbd.h"
#include "log.h"
#include "topology.h"
#include "upstream.h"
#include "util.h"

#define K(f)	offsetof(struct lb_conf, f)
#define H(f)	offsetof(struct lb_health, f)

static const char *const lb_mode_names[] = { "tcp", "http", NULL };
/* In the order of enum upstream_algo. */
static const char *const lb_balance_names[] = { "roundrobin", "leastconn",
    "source", "uri", "random", NULL };
static const char *const lb_check_names[] = { "none", "tcp", "http", NULL };
static const char *const lb_proxy_names[] = { "none", "v1", "v2", NULL };

/*
 * vip: a numeric IPv4 or IPv6 address, with an optional /prefix (the one
 * keepalived puts on the interface). Host names are refused, as everywhere
 * in the topology: a failover must not wait for a resolver.
 */
static int
lb_vip_parse(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *n, void *slot)
{
	struct lb_vip *v = slot;
	char ip[64], *slash, *end, *cause = NULL;
	long prefix = -1;

	if (n->type != CFG_NODE_SCALAR || n->len == 0 || n->len >= sizeof(ip)) {
		cfg_error(ctx, n, "%s: expected an IP address", ctx->path);
		return -1;
	}
	memcpy(ip, n->str, n->len);
	ip[n->len] = '\0';
	if ((slash = strchr(ip, '/')) != NULL) {
		*slash = '\0';
		prefix = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || prefix < 0 ||
		    prefix > (strchr(ip, ':') != NULL ? 128 : 32)) {
			cfg_error(ctx, n, "%s: bad prefix length '%s'",
			    ctx->path, slash + 1);
			return -1;
		}
	}
	if (addr_parse_host(ip, 0, &v->addr, &cause) == -1) {
		cfg_error(ctx, n, "%s: %s", ctx->path, cause);
		free(cause);
		return -1;
	}
	v->prefix = (int)prefix;
	v->text = xstrdup(n->str);
	return 0;
}

static void
lb_vip_free(const struct cfg_key *key, void *slot)
{
	struct lb_vip *v = slot;

	free(v->text);
	memset(v, 0, sizeof(*v));
}

static const struct cfg_key lb_health_keys[] = {
	{ .name = "type", .type = CFG_ENUM, .names = lb_check_names,
	  .def = "none", .off = H(type),
	  .help = "Active check: none, tcp (connect) or http (a request)." },
	{ .name = "method", .type = CFG_STRING, .def = "GET", .off = H(method),
	  .help = "HTTP check method." },
	{ .name = "path", .type = CFG_STRING, .def = "/", .off = H(path),
	  .help = "HTTP check path." },
	{ .name = "host", .type = CFG_STRING, .def = "localhost",
	  .off = H(host), .help = "HTTP check Host header." },
	{ .name = "status_min", .type = CFG_INT, .def = "200", .min = 100,
	  .max = 599, .off = H(status_min),
	  .help = "Lowest HTTP status that passes." },
	{ .name = "status_max", .type = CFG_INT, .def = "399", .min = 100,
	  .max = 599, .off = H(status_max),
	  .help = "Highest HTTP status that passes." },
	{ .name = "interval", .type = CFG_DURATION, .def = "2s", .min = 10,
	  .max = 3600000, .off = H(interval_ms),
	  .help = "Time between two checks of a server." },
	{ .name = "timeout", .type = CFG_DURATION, .def = "1s", .min = 10,
	  .max = 600000, .off = H(timeout_ms),
	  .help = "Time a check may take." },
	{ .name = "rise", .type = CFG_INT, .def = "2", .min = 1, .max = 100,
	  .off = H(rise), .help = "Passed checks in a row to go up." },
	{ .name = "fall", .type = CFG_INT, .def = "3", .min = 1, .max = 100,
	  .off = H(fall), .help = "Failed checks in a row to go down." },
	{ .name = NULL },
};
static const struct cfg_schema lb_health_schema = {
	"health", lb_health_keys, sizeof(struct lb_health), 0,
};

static const struct cfg_key lb_cert_keys[] = {
	{ .name = "cert", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .off = offsetof(struct lb_cert, cert),
	  .help = "PEM file: the certificate, then its chain." },
	{ .name = "key", .type = CFG_STRING, .off = offsetof(struct lb_cert, key),
	  .help = "PEM key file (default: in the cert file)." },
	{ .name = "names", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .max = 64, .off = offsetof(struct lb_cert, names),
	  .help = "SNI names it answers (default: its subjectAltNames)." },
	{ .name = NULL },
};
static const struct cfg_schema lb_cert_schema = {
	"certificate", lb_cert_keys, sizeof(struct lb_cert), 0,
};

static const struct cfg_key lb_keys[] = {
	{ .name = "mode", .type = CFG_ENUM, .names = lb_mode_names,
	  .def = "tcp", .off = K(mode),
	  .help = "tcp: relay bytes (any TCP service); http: layer 7." },
	{ .name = "balance", .type = CFG_ENUM, .names = lb_balance_names,
	  .def = "roundrobin", .off = K(balance),
	  .help = "How sessions spread over the servers." },
	{ .name = "servers", .type = CFG_STRING, .def = "webd",
	  .off = K(servers),
	  .help = "The daemon of the topology whose instances are the "
	  "servers." },
	{ .name = "slowstart", .type = CFG_DURATION, .def = "0", .min = 0,
	  .max = 3600000, .off = K(slowstart_ms),
	  .help = "A server back in service ramps up to its weight over this "
	  "time (0: at once)." },
	{ .name = "allbackups", .type = CFG_BOOL, .def = "false",
	  .off = K(allbackups),
	  .help = "With every active server down, use all backups at once "
	  "(default: the first usable one, as HAProxy)." },
	{ .name = "uri_whole", .type = CFG_BOOL, .def = "false",
	  .off = K(uri_whole),
	  .help = "balance uri: hash the query string too." },
	{ .name = "backup", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .max = 64, .off = K(backup),
	  .help = "Instances used only when every other one is down." },
	{ .name = "retries", .type = CFG_INT, .def = "3", .min = 0, .max = 20,
	  .off = K(retries),
	  .help = "Connect attempts after the first, on other servers." },
	{ .name = "connect_timeout", .type = CFG_DURATION,
	  .mark = CFG_MARK(struct lb_conf, timeout_marks[0]), .def = "5s",
	  .min = 1, .max = 600000, .off = K(connect_timeout_ms),
	  .help = "Time to connect to a server." },
	{ .name = "client_timeout", .type = CFG_DURATION,
	  .mark = CFG_MARK(struct lb_conf, timeout_marks[1]), .def = "30s",
	  .min = 1, .max = 86400000, .off = K(client_timeout_ms),
	  .help = "Client silence allowed before the tunnel is up." },
	{ .name = "server_timeout", .type = CFG_DURATION,
	  .mark = CFG_MARK(struct lb_conf, timeout_marks[2]), .def = "30s",
	  .min = 1, .max = 86400000, .off = K(server_timeout_ms),
	  .help = "Server silence allowed." },
	{ .name = "tunnel_timeout", .type = CFG_DURATION,
	  .mark = CFG_MARK(struct lb_conf, timeout_marks[3]), .def = "1h",
	  .min = 1, .max = 86400000, .off = K(tunnel_timeout_ms),
	  .help = "Idle time allowed on an established TCP session." },
	{ .name = "max_fails", .type = CFG_INT, .def = "3", .min = 0,
	  .max = 1000, .off = K(max_fails),
	  .help = "Connect failures in a row that take a server out." },
	{ .name = "fail_timeout", .type = CFG_DURATION, .def = "10s", .min = 1,
	  .max = 3600000, .off = K(fail_timeout_ms),
	  .help = "How long a failing server stays out (passive)." },
	{ .name = "max_connections", .type = CFG_INT, .def = "20000",
	  .min = 1, .max = 1000000, .off = K(max_connections),
	  .help = "Client sessions per worker." },
	{ .name = "server_maxconn", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 1000000, .off = K(server_maxconn),
	  .help = "Requests (tcp: sessions) at once per server; more wait "
	  "in a queue (0: no limit)." },
	{ .name = "queue_timeout", .type = CFG_DURATION,
	  .mark = CFG_MARK(struct lb_conf, timeout_marks[4]), .def = "5s", .min = 1,
	  .max = 600000, .off = K(queue_timeout_ms),
	  .help = "How long a request may wait for a server slot before "
	  "503 (tcp: before the session closes)." },
	{ .name = "health", .type = CFG_SECTION, .sub = &lb_health_schema,
	  .off = K(health), .help = "Active health checks." },
	{ .name = "http_request_timeout", .type = CFG_DURATION,
	  .mark = CFG_MARK(struct lb_conf, timeout_marks[5]), .def = "10s",
	  .min = 100, .max = 600000, .off = K(http_request_timeout_ms),
	  .help = "http: time to receive a whole request head (slowloris)." },
	{ .name = "keepalive_timeout", .type = CFG_DURATION,
	  .mark = CFG_MARK(struct lb_conf, timeout_marks[6]), .def = "60s",
	  .min = 0, .max = 3600000, .off = K(keepalive_timeout_ms),
	  .help = "http: idle time between two requests of a client." },
	{ .name = "max_header_size", .type = CFG_SIZE, .def = "32k",
	  .min = 1024, .max = 1024 * 1024, .off = K(max_header_size),
	  .help = "http: largest request head (431 past it)." },
	{ .name = "max_body_size", .type = CFG_SIZE, .def = "100m",
	  .min = 0, .max = 1ULL << 40, .off = K(max_body_size),
	  .help = "http: largest request body (413 past it)." },
	{ .name = "server_keepalive", .type = CFG_INT, .def = "64", .min = 0,
	  .max = 10000, .off = K(server_keepalive),
	  .help = "http: idle connections kept per server and worker." },
	{ .name = "server_pipeline", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 64, .off = K(server_pipeline),
	  .help = "http: requests at once on one server connection: GETs "
	  "and HEADs without a body are pipelined behind the first (0 or 1: "
	  "off). For origins that answer fast and short." },
	{ .name = "forwarded", .type = CFG_BOOL, .def = "true",
	  .off = K(forwarded),
	  .help = "http: add an RFC 7239 Forwarded field." },
	{ .name = "tls_listen", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .max = 16, .off = K(tls_listen),
	  .help = "http: HTTPS addresses or ports (host address when bare)." },
	{ .name = "certificates", .type = CFG_SECTIONS, .max = 256,
	  .sub = &lb_cert_schema, .off = K(certificates),
	  .help = "http: certificates for tls_listen; the first is the "
	  "default, the others are chosen by SNI." },
	{ .name = "redirect_https", .type = CFG_BOOL, .def = "false",
	  .off = K(redirect_https),
	  .help = "http: answer plain-HTTP requests with 301 to https." },
	{ .name = "hsts", .type = CFG_DURATION, .def = "0", .min = 0,
	  .max = 2LL * 365 * 86400 * 1000, .off = K(hsts_ms),
	  .help = "http: Strict-Transport-Security max-age on HTTPS answers "
	  "(0: none)." },
	{ .name = "tls_ticket_rotation", .type = CFG_DURATION, .def = "1h",
	  .min = 0, .max = 7LL * 86400 * 1000, .off = K(ticket_rotation_ms),
	  .help = "http: a new session-ticket key this often; tickets are "
	  "good for two periods (0: no tickets, the session cache only)." },
	{ .name = "allow", .type = CFG_CIDRS, .flags = CFG_F_SCALAR_OK,
	  .off = K(acl.allow),
	  .help = "Clients allowed (empty: everyone not denied)." },
	{ .name = "deny", .type = CFG_CIDRS, .flags = CFG_F_SCALAR_OK,
	  .off = K(acl.deny),
	  .help = "Clients refused; wins over allow." },
	{ .name = "rate_limit", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 1000000, .off = K(rate),
	  .help = "Requests (http) or connections (tcp) per client and "
	  "rate_period; past it 429 with Retry-After (0: no limit)." },
	{ .name = "rate_period", .type = CFG_DURATION, .def = "1s", .min = 1,
	  .max = 86400000, .off = K(rate_period_ms),
	  .help = "The period of rate_limit." },
	{ .name = "rate_burst", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 1000000, .off = K(rate_burst),
	  .help = "Requests a client may send at once (0: rate_limit)." },
	{ .name = "rate_table", .type = CFG_INT, .def = "65536", .min = 64,
	  .max = 4194304, .off = K(rate_table),
	  .help = "Clients remembered by the rate limit (memory is fixed)." },
	{ .name = "max_conn_per_ip", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 1000000, .off = K(max_conn_per_ip),
	  .help = "Open connections per client address (0: no limit)." },
	{ .name = "conn_table", .type = CFG_INT, .def = "65536", .min = 64,
	  .max = 4194304, .off = K(conn_table),
	  .help = "Clients tracked by max_conn_per_ip." },
	{ .name = "send_proxy", .type = CFG_ENUM, .names = lb_proxy_names,
	  .def = "none", .off = K(send_proxy),
	  .help = "Send a PROXY header (v1 or v2) on each server connection "
	  "(http mode: then not reused across clients)." },
	{ .name = "proxy_from", .type = CFG_CIDRS, .flags = CFG_F_SCALAR_OK,
	  .off = K(proxy_from),
	  .help = "http: peers whose connections start with a PROXY header." },
	{ .name = "trusted_proxies", .type = CFG_CIDRS,
	  .flags = CFG_F_SCALAR_OK, .off = K(trusted_proxies),
	  .help = "http: peers whose X-Forwarded-For is kept and extended." },
	{ .name = "vip", .type = CFG_CUSTOM, .parse = lb_vip_parse,
	  .free = lb_vip_free, .type_name = "address", .off = K(vip),
	  .help = "Active-passive: the virtual IP keepalived moves between "
	  "two lbd hosts; lbd listens on it too (IP_FREEBIND)." },
	{ .name = "vip_interface", .type = CFG_STRING, .def = "eth0",
	  .min = 1, .max = 15, .off = K(vip_interface),
	  .help = "The interface keepalived puts the VIP on." },
	{ .name = "vrid", .type = CFG_INT, .def = "51", .min = 1, .max = 255,
	  .off = K(vrid), .help = "keepalived's virtual_router_id for the VIP." },
	{ .name = NULL },
};
const struct cfg_schema lb_conf_schema = {
	"lbd", lb_keys, sizeof(struct lb_conf), 0,
};

/* Is name among the backup instances? */
static int
lb_conf_is_backup(const struct lb_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->backup.n; i++)
		if (strcmp(c->backup.v[i], name) == 0)
			return 1;
	return 0;
}

/* The servers: every instance of the `servers` daemon, by name. */
static int
lb_conf_group(struct lb_conf *c, const char *conf_path, char **cause)
{
	const struct topo_daemon *d = topo_daemon(c->topo, c->servers);
	size_t i, k;

	if (d == NULL || !d->present || d->ninst == 0) {
		xasprintf(cause, "%s: lbd.servers: no instance of '%s' in the "
		    "topology", conf_path, c->servers);
		return -1;
	}
	for (i = 0; i < c->backup.n; i++) {
		for (k = 0; k < d->ninst; k++)
			if (strcmp(d->inst[k].name, c->backup.v[i]) == 0)
				break;
		if (k == d->ninst) {
			xasprintf(cause, "%s: lbd.backup: '%s' is not an "
			    "instance of %s", conf_path, c->backup.v[i],
			    c->servers);
			return -1;
		}
	}
	c->group = upstream_group_new(c->servers,
	    (enum upstream_algo)c->balance, (int)c->max_fails,
	    (uint64_t)c->fail_timeout_ms);
	c->group->allbackups = c->allbackups;
	c->group->maxconn = (int)c->server_maxconn;
	c->group->uri_whole = c->uri_whole;
	for (k = 0; k < d->ninst; k++)
		if (d->inst[k].nlisten > 0)
			upstream_group_add(c->group, d->inst[k].name,
			    &d->inst[k].listen[0], 1,
			    lb_conf_is_backup(c, d->inst[k].name))->slowstart_ms =
			    (uint64_t)c->slowstart_ms;
	return 0;
}

/*
 * HTTPS: the addresses of tls_listen and one TLS context for the
 * generation (a reload loads the certificates again).
 */
static int
lb_conf_tls(struct lb_conf *c, const char *conf_path, char **cause)
{
	const struct lb_cert *lc = c->certificates.v;
	struct tls_cert_conf *tc;
	char host[64], *err = NULL;
	size_t i;

	if (c->tls_listen.n == 0)
		return 0;
	if (c->certificates.n == 0) {
		xasprintf(cause, "%s: lbd.tls_listen needs certificates",
		    conf_path);
		return -1;
	}
	addr_format(&c->self->host_addr, host, sizeof(host));
	*strrchr(host, ':') = '\0';	/* "1.2.3.4:0" or "[::1]:0" */
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	c->tls_addrs = xcalloc(c->tls_listen.n, sizeof(*c->tls_addrs));
	for (i = 0; i < c->tls_listen.n; i++, c->ntls++)
		if (addr_parse(c->tls_listen.v[i], host, &c->tls_addrs[i],
		    &err) == -1) {
			xasprintf(cause, "%s: lbd.tls_listen: %s", conf_path,
			    err);
			free(err);
			return -1;
		}
	tc = xcalloc(c->certificates.n, sizeof(*tc));
	for (i = 0; i < c->certificates.n; i++) {
		tc[i].cert_file = lc_conf_path(conf_path, lc[i].cert);
		tc[i].key_file = lc[i].key ? lc_conf_path(conf_path, lc[i].key) :
		    NULL;
		tc[i].names = (const char *const *)lc[i].names.v;
		tc[i].nnames = lc[i].names.n;
	}
	c->tls = tls_server_new(tc, c->certificates.n, TLS_ALPN_HTTP11, cause);
	if (c->tls != NULL)
		tls_server_tickets(c->tls, (uint64_t)c->ticket_rotation_ms);
	for (i = 0; i < c->certificates.n; i++) {
		free((char *)tc[i].cert_file);
		free((char *)tc[i].key_file);
	}
	free(tc);
	if (c->hsts_ms > 0)
		snprintf(c->hsts, sizeof(c->hsts), "max-age=%lld",
		    (long long)(c->hsts_ms / 1000));
	c->pc.hsts = c->hsts_ms > 0 ? c->hsts : NULL;
	return c->tls == NULL ? -1 : 0;
}

/* Appends a to the instance's addresses. */
static void
lb_conf_addr_add(struct lb_conf *c, const struct net_addr *a, int tls,
    int freebind)
{
	size_t i = c->naddrs++;

	c->addrs[i] = *a;
	c->addr_tls[i] = (uint8_t)tls;
	c->addr_opts[i].freebind = freebind;
}

/* ip (any port) at port. */
static struct net_addr
lb_conf_at_port(const struct net_addr *ip, uint16_t port)
{
	struct net_addr a = *ip;

	if (a.ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a.ss)->sin_port = htons(port);
	else if (a.ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a.ss)->sin6_port = htons(port);
	return a;
}

/* Is a the wildcard address of its family (which covers a VIP)? */
static int
lb_conf_is_any(const struct net_addr *a)
{
	struct net_addr any;
	char *cause = NULL;

	if (addr_parse_host(a->ss.ss_family == AF_INET6 ? "::" : "0.0.0.0",
	    addr_port(a), &any, &cause) == -1) {
		free(cause);
		return 0;
	}
	return addr_equal(a, &any);
}

/*
 * Adds the VIP at a's port, unless a already is the VIP or a wildcard
 * (which covers it), or is not of the VIP's family.
 */
static void
lb_conf_addr_vip(struct lb_conf *c, const struct net_addr *a, int tls)
{
	struct net_addr v;

	if (c->vip.addr.len == 0 || a->ss.ss_family != c->vip.addr.ss.ss_family ||
	    lb_conf_is_any(a))
		return;
	v = lb_conf_at_port(&c->vip.addr, addr_port(a));
	if (!addr_equal(&v, a))
		lb_conf_addr_add(c, &v, tls, 1);
}

/*
 * Every address of this instance: listen, then tls_listen, each followed
 * by the VIP at the same port when there is a VIP. A listen address that
 * is the VIP itself is bound with IP_FREEBIND too.
 */
static void
lb_conf_addrs(struct lb_conf *c)
{
	size_t i, n = c->self->nlisten, max = 2 * (n + c->ntls);
	const struct net_addr *a;
	struct net_addr v;

	if (max == 0)
		return;
	c->addrs = xcalloc(max, sizeof(*c->addrs));
	c->addr_tls = xcalloc(max, sizeof(*c->addr_tls));
	c->addr_opts = xcalloc(max, sizeof(*c->addr_opts));
	for (i = 0; i < n + c->ntls; i++) {
		a = i < n ? &c->self->listen[i] : &c->tls_addrs[i - n];
		v = lb_conf_at_port(&c->vip.addr, addr_port(a));
		lb_conf_addr_add(c, a, i >= n, c->vip.addr.len != 0 &&
		    addr_equal(a, &v));
		lb_conf_addr_vip(c, a, i >= n);
	}
}

/* http mode: the connection settings and how requests are forwarded. */
static void
lb_conf_http(struct lb_conf *c)
{
	hconn_settings_limits(&c->hs, c->max_header_size, 0);
	c->hs.limits.max_body = c->max_body_size;
	c->hs.keepalive_timeout_ms = c->keepalive_timeout_ms;
	c->hs.header_timeout_ms = c->http_request_timeout_ms;
	c->hs.send_timeout_ms = c->client_timeout_ms;
	c->hs.max_keepalive_requests = 100000;
	c->hs.server = NULL;	/* the servers' own Server field passes */
	c->hs.proxy_from = &c->proxy_from;
	c->pc.send_proxy = c->send_proxy;
	c->pc.queue_timeout_ms = c->queue_timeout_ms;
	c->pc.label = c->servers;
	c->pc.read_timeout_ms = c->server_timeout_ms;
	c->pc.retries = (int)c->retries;
	c->pc.retry_idempotent = 1;
	c->pc.pipeline = (int)c->server_pipeline;
	c->pc.forwarded = c->forwarded;
	c->pc.trusted = &c->trusted_proxies;
	c->pc.m = &lb_metrics.pm;
}

/*
 * HAProxy warns when a proxy runs on unset timeouts; so does lbd, once per
 * load, naming each timeout left to its default (http_request_timeout and
 * keepalive_timeout only in http mode). Marks say what the file set.
 */
static void
lb_conf_warn_timeouts(const struct lb_conf *c, const char *conf_path)
{
	const struct cfg_key *k;
	char list[512] = "";
	size_t i, len = 0;
	int n;

	for (k = lb_keys; k->name != NULL; k++) {
		if (k->mark == 0)
			continue;
		i = (k->mark - 1 - offsetof(struct lb_conf, timeout_marks)) /
		    sizeof(struct cfg_mark);
		if (c->timeout_marks[i].line != 0 || (c->mode == LB_MODE_TCP &&
		    (strcmp(k->name, "http_request_timeout") == 0 ||
		    strcmp(k->name, "keepalive_timeout") == 0)))
			continue;
		n = snprintf(list + len, sizeof(list) - len, "%s%s %s",
		    len > 0 ? ", " : "", k->name, k->def);
		if (n > 0 && (size_t)n < sizeof(list) - len)
			len += (size_t)n;
	}
	if (len > 0)
		log_warnx("%s: lbd: timeouts not set, using defaults: %s",
		    conf_path, list);
}

void *
lb_conf_load(const struct lc_opts *opts, struct lc_settings *s, char **errors)
{
	struct lb_conf *c = xcalloc(1, sizeof(*c));

	c->topo = lc_conf_load(opts, "lbd", &lb_conf_schema, c, s, &c->self,
	    errors);
	if (c->topo == NULL) {
		free(c);
		return NULL;
	}
	lb_conf_http(c);
	lb_conf_warn_timeouts(c, opts->conf_path);
	if (lb_health_conf_check(&c->health, errors) == -1) {
		char *e = *errors;

		xasprintf(errors, "%s: lbd.%s", opts->conf_path, e);
		free(e);
		lb_conf_free(c);
		return NULL;
	}
	if (lb_conf_group(c, opts->conf_path, errors) == -1 ||
	    lb_conf_tls(c, opts->conf_path, errors) == -1 ||
	    lc_conf_alog(opts->conf_path, c->self->access_log, &c->access,
	    errors) == -1) {
		lb_conf_free(c);
		return NULL;
	}
	lb_conf_addrs(c);
	return c;
}

void
lb_conf_free(void *arg)
{
	struct lb_conf *c = arg;

	if (c == NULL)
		return;
	listeners_close(&c->lsn);
	free(c->addrs);
	free(c->addr_tls);
	free(c->addr_opts);
	free(c->pc.per_server);
	lb_edge_free(c);
	lb_health_free(c->checker);	/* a generation that never served */
	upstream_group_unref(c->group);
	free(c->tls_addrs);
	if (c->tls != NULL)
		SSL_CTX_free(c->tls);
	alog_close(c->access);
	topo_free(c->topo);
	cfg_free(&lb_conf_schema, c);
	free(c);
}
