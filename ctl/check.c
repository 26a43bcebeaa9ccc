/*
 * check.c: triadctl's cross checks, the ones that need more than one
 * daemon's own keys (or that a daemon would only find at its start) (common/topology already checks hosts, instance names,
 * listen and status ports, and the replica list). Each error points at the
 * line that causes it, as "file:line:col: message".
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "topology.h"
#include "util.h"
#ifdef CTL_HAVE_LBD
#include "lbd.h"
#endif
#ifdef CTL_HAVE_WEBD
#include "webd.h"
#endif

/* One TCP port bound on a host, besides the topology's own listeners. */
struct ctl_port {
	const char	*host;
	uint16_t	 port;
	const char	*what;		/* "lbd 'lb1' tls_listen" */
	struct cfg_mark	 mark;
};

static void
ctl_check_error(const struct ctl_site *site, struct cfg_errors *errs,
    struct cfg_mark at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds "file:line:col: message" to errs. */
static void
ctl_check_error(const struct ctl_site *site, struct cfg_errors *errs,
    struct cfg_mark at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_errors_vadd(errs, site->topo->file, &at, fmt, ap);
	va_end(ap);
}

/* How many distinct hosts run daemon d. */
static size_t
ctl_check_nhosts(const struct topo_daemon *d)
{
	size_t i, j, n = 0;

	for (i = 0; i < d->ninst; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(d->inst[j].host, d->inst[i].host) == 0)
				break;
		if (j == i)
			n++;
	}
	return n;
}

#ifdef CTL_HAVE_LBD
/*
 * A VIP is moved by keepalived between two lbd hosts: with fewer there is
 * nothing to fail over to. The VIP must not be a host's own address
 * either, or the failover would take that host's address away.
 */
static void
ctl_check_vip(const struct ctl_site *site, struct cfg_errors *errs)
{
	const struct topo_daemon *d = &site->topo->daemons[TOPO_LBD];
	const struct topo_host *h = site->topo->hosts.v;
	struct cfg_mark at = ctl_site_mark(site, "lbd", "vip");
	struct net_addr a;
	size_t i, n;

	if (site->lb == NULL || site->lb->vip.addr.len == 0)
		return;
	if ((n = ctl_check_nhosts(d)) < 2)
		ctl_check_error(site, errs, at, "lbd.vip '%s' needs lbd on two "
		    "hosts (keepalived moves it between them); lbd runs on "
		    "%zu host%s", site->lb->vip.text, n, n == 1 ? "" : "s");
	for (i = 0; i < site->topo->hosts.n; i++) {
		a = site->lb->vip.addr;
		if (h[i].addr.len != 0 && addr_equal(&a, &h[i].addr))
			ctl_check_error(site, errs, at, "lbd.vip '%s' is the "
			    "address of host '%s'", site->lb->vip.text,
			    h[i].name);
	}
}

/* Does daemon d have an instance named name? */
static int
ctl_check_has_instance(const struct topo_daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->ninst; i++)
		if (strcmp(d->inst[i].name, name) == 0)
			return 1;
	return 0;
}

/* lbd's servers name a daemon that runs; each backup is one of them. */
static void
ctl_check_lb_servers(const struct ctl_site *site, struct cfg_errors *errs)
{
	const struct lb_conf *lb = site->lb;
	const struct topo_daemon *d;
	size_t i, n = 0;

	if (lb == NULL || lb->servers == NULL ||
	    !site->topo->daemons[TOPO_LBD].present)
		return;
	d = topo_daemon(site->topo, lb->servers);
	if (d == NULL || !d->present || d->ninst == 0) {
		ctl_check_error(site, errs, ctl_site_mark(site, "lbd",
		    "servers"), "lbd.servers: no instance of '%s' in the "
		    "topology", lb->servers);
		return;
	}
	for (i = 0; i < lb->backup.n; i++) {
		if (ctl_check_has_instance(d, lb->backup.v[i]))
			n++;
		else
			ctl_check_error(site, errs, lb->backup.marks[i],
			    "lbd.backup: '%s' is not an instance of %s",
			    lb->backup.v[i], lb->servers);
	}
	if (n > 0 && n >= d->ninst)
		ctl_check_error(site, errs, lb->backup.marks[0], "lbd.backup: "
		    "every instance of %s is a backup: none is active",
		    lb->servers);
}
#endif

#ifdef CTL_HAVE_WEBD
/*
 * A route to "appd:PORT" (it resolved) must name a port appd serves on:
 * an app's own listen, or appd's listen. Nothing listening there would
 * make every request of the route a 502.
 */
static void
ctl_check_route_port(const struct ctl_site *site, struct cfg_errors *errs,
    struct cfg_mark at, size_t i, const char *to)
{
	const struct topo_daemon *d;
	struct cfg_mark marks[64];
	uint16_t ports[64], port;
	size_t n, k, l;

	d = webd_route_daemon_port(site->topo, to, &port);
	if (d != &site->topo->daemons[TOPO_APPD] || !d->present || port == 0)
		return;
	n = ctl_site_app_ports(site, ports, marks, 64);
	for (k = 0; k < n; k++)
		if (ports[k] == port)
			return;
	for (k = 0; k < d->ninst; k++)
		for (l = 0; l < d->inst[k].nlisten; l++)
			if (addr_port(&d->inst[k].listen[l]) == port)
				return;
	ctl_check_error(site, errs, at, "webd.routes[%zu].to: nothing of "
	    "appd listens on port %u (an app's own listen, or appd's)", i,
	    (unsigned)port);
}

/* A webd route to a daemon (not an address) needs that daemon to run. */
static void
ctl_check_routes(const struct ctl_site *site, struct cfg_errors *errs)
{
	const struct webd_route *r;
	const struct topo_daemon *d;
	const struct cfg_node *list, *to;
	struct cfg_mark at;
	char *why = NULL;
	size_t i;

	if (site->webd == NULL || !site->topo->daemons[TOPO_WEBD].present)
		return;
	list = cfg_node_get(cfg_node_get(site->doc->root, "webd"), "routes");
	r = site->webd->routes.v;
	for (i = 0; i < site->webd->routes.n; i++) {
		if (r[i].to == NULL)
			continue;
		memset(&at, 0, sizeof(at));
		if (list != NULL && i < list->nkids && (to =
		    cfg_node_get(list->kids[i], "to")) != NULL)
			at = to->mark;
		if (strchr(r[i].to, ':') != NULL) {
			/* An address or daemon:port: as webd resolves it. */
			if (webd_route_resolve(site->topo, r[i].to, NULL,
			    &why) == -1) {
				ctl_check_error(site, errs, at,
				    "webd.routes[%zu].to: %s", i, why);
				free(why);
			} else
				ctl_check_route_port(site, errs, at, i,
				    r[i].to);
			continue;
		}
		if (ctl_site_daemon_index(r[i].to) == -1)
			continue;
		d = topo_daemon(site->topo, r[i].to);
		if (d != NULL && d->present && d->ninst > 0)
			continue;
		ctl_check_error(site, errs, at, "webd.routes[%zu].to: no "
		    "instance of '%s' in the topology", i, r[i].to);
	}
}
#endif

/*
 * dbproxyd routes to the mariadb section's servers, or to its own
 * `primary` (an address): with neither, every instance would refuse to
 * start. (Read from the file's nodes: dbproxyd's struct is its own.)
 */
static void
ctl_check_dbproxyd(const struct ctl_site *site, struct cfg_errors *errs)
{
	const struct topo_daemon *d = &site->topo->daemons[TOPO_DBPROXYD];
	const struct cfg_node *sec;

	if (!d->present || d->ninst == 0 || site->topo->mariadb.primary != NULL)
		return;
	sec = cfg_node_get(site->doc->root, "dbproxyd");
	if (cfg_node_get(sec, "primary") != NULL)
		return;
	ctl_check_error(site, errs, ctl_site_mark(site, "dbproxyd", "on"),
	    "dbproxyd needs servers: a mariadb section (primary, replicas, "
	    "port) or dbproxyd.primary");
}

/* Ports of the instances on host, plus extra, for the clash check. */
static int
ctl_check_port_used(const struct topology *topo, const char *host,
    uint16_t port, const char **what, const char **name)
{
	const struct topo_daemon *d;
	const struct topo_instance *in;
	size_t i, j, k;

	for (i = 0; i < TOPO_NDAEMONS; i++) {
		d = &topo->daemons[i];
		for (j = 0; j < d->ninst; j++) {
			in = &d->inst[j];
			if (strcmp(in->host, host) != 0)
				continue;
			*what = in->daemon;
			*name = in->name;
			for (k = 0; k < in->nlisten; k++)
				if (addr_port(&in->listen[k]) == port)
					return 1;
			if (in->status.len != 0 &&
			    addr_port(&in->status) == port)
				return 1;
		}
	}
	return 0;
}

/*
 * Ports the topology's own check does not see: lbd's tls_listen on each
 * lbd host and MariaDB's port on its hosts. Each is compared with every
 * listen and status port of the same host, and with the others of its
 * kind.
 */
static void
ctl_check_extra_ports(const struct ctl_site *site, struct ctl_port *p,
    size_t n, struct cfg_errors *errs)
{
	const char *what, *name;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (ctl_check_port_used(site->topo, p[i].host, p[i].port,
		    &what, &name)) {
			ctl_check_error(site, errs, p[i].mark, "port %u on host "
			    "'%s': %s clashes with %s '%s'", p[i].port,
			    p[i].host, p[i].what, what, name);
			continue;
		}
		for (j = 0; j < i; j++)
			if (p[j].port == p[i].port &&
			    strcmp(p[j].host, p[i].host) == 0) {
				ctl_check_error(site, errs, p[i].mark, "port %u "
				    "on host '%s': %s clashes with %s",
				    p[i].port, p[i].host, p[i].what, p[j].what);
				break;
			}
	}
}

/* MariaDB's port on the primary and each replica. */
static size_t
ctl_check_mariadb_ports(const struct ctl_site *site, struct ctl_port *p,
    size_t n, size_t max)
{
	const struct topo_mariadb *m = &site->topo->mariadb;
	struct cfg_mark at = ctl_site_mark(site, "mariadb", "port");
	size_t i;

	if (m->primary == NULL || m->port <= 0)
		return n;
	if (at.line == 0)
		at = m->primary_mark;
	for (i = 0; i <= m->replicas.n && n < max; i++) {
		/* A replica that is the primary is the topology's error
		   already: not a port clash too. */
		if (i > 0 && strcmp(m->replicas.v[i - 1], m->primary) == 0)
			continue;
		p[n].host = i == 0 ? m->primary : m->replicas.v[i - 1];
		p[n].port = (uint16_t)m->port;
		p[n].what = "mariadb port";
		p[n].mark = at;
		n++;
	}
	return n;
}

#ifdef CTL_HAVE_LBD
/* lbd's tls_listen on each lbd instance (a bare port: the host's). */
static size_t
ctl_check_tls_ports(const struct ctl_site *site, struct ctl_port *p,
    size_t n, size_t max)
{
	const struct topo_daemon *d = &site->topo->daemons[TOPO_LBD];
	struct net_addr a;
	char *cause = NULL;
	size_t i, k;

	if (site->lb == NULL)
		return n;
	for (i = 0; i < d->ninst; i++)
		for (k = 0; k < site->lb->tls_listen.n && n < max; k++) {
			if (addr_parse(site->lb->tls_listen.v[k], "0.0.0.0",
			    &a, &cause) == -1) {
				free(cause);	/* lbd reports it */
				cause = NULL;
				continue;
			}
			if (a.ss.ss_family == AF_UNIX)
				continue;
			p[n].host = d->inst[i].host;
			p[n].port = addr_port(&a);
			p[n].what = "lbd tls_listen";
			p[n].mark = site->lb->tls_listen.marks[k];
			n++;
		}
	return n;
}
#endif

/* appd apps' own listen ports on each appd instance's host. */
static size_t
ctl_check_app_ports(const struct ctl_site *site, struct ctl_port *p,
    size_t n, size_t max)
{
	const struct topo_daemon *d = &site->topo->daemons[TOPO_APPD];
	uint16_t ports[64];
	struct cfg_mark marks[64];
	size_t i, k, np = ctl_site_app_ports(site, ports, marks, 64);

	for (i = 0; i < d->ninst; i++)
		for (k = 0; k < np && n < max; k++) {
			p[n].host = d->inst[i].host;
			p[n].port = ports[k];
			p[n].what = "appd app listen";
			p[n].mark = marks[k];
			n++;
		}
	return n;
}

size_t
ctl_check_site(const struct ctl_site *site, struct cfg_errors *errs)
{
	size_t before = cfg_errors_count(errs), n = 0, max;
	struct ctl_port *p;

	max = site->topo->daemons[TOPO_LBD].ninst * 16 +
	    site->topo->daemons[TOPO_APPD].ninst * 64 +
	    site->topo->mariadb.replicas.n + 1;
	p = xcalloc(max, sizeof(*p));
#ifdef CTL_HAVE_LBD
	ctl_check_vip(site, errs);
	ctl_check_lb_servers(site, errs);
	n = ctl_check_tls_ports(site, p, n, max);
#endif
#ifdef CTL_HAVE_WEBD
	ctl_check_routes(site, errs);
#endif
	ctl_check_dbproxyd(site, errs);
	n = ctl_check_mariadb_ports(site, p, n, max);
	n = ctl_check_app_ports(site, p, n, max);
	ctl_check_extra_ports(site, p, n, errs);
	free(p);
	return cfg_errors_count(errs) - before;
}
