/*
 * topology_check.c: from the topology as written to instances, and the
 * checks that span sections (see topology.h): known hosts, unique instance
 * names, no port used twice on a host, a sane mariadb layout. Each error
 * points at the line that causes it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "topology.h"
#include "util.h"

/* One address an instance binds, for the port clash check. */
struct topo_use {
	const struct topo_instance	*inst;
	const char			*what;	/* "listen" or "status" */
	const struct net_addr		*addr;
	struct cfg_mark			 mark;
};

static void
topo_error(struct cfg_ctx *ctx, const struct cfg_mark *at, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Reports an error at a mark kept from the load. */
static void
topo_error(struct cfg_ctx *ctx, const struct cfg_mark *at, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_errors_vadd(ctx->errs, ctx->file, at, fmt, ap);
	va_end(ap);
}

/* Host and instance names: what is safe in a file name and a unit name. */
static int
topo_valid_name(const char *s)
{
	if (*s == '\0' || *s == '.' || *s == '-')
		return 0;
	for (; *s != '\0'; s++) {
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '.' && *s != '_' &&
		    *s != '-')
			return 0;
	}
	return 1;
}

/* Each host: a usable name and a numeric address. */
static void
topo_check_hosts(struct topology *topo, struct cfg_ctx *ctx)
{
	struct topo_host *h = topo->hosts.v;
	char *cause;
	size_t i;

	for (i = 0; i < topo->hosts.n; i++) {
		if (h[i].name == NULL || h[i].address == NULL)
			continue;	/* already reported */
		if (!topo_valid_name(h[i].name))
			topo_error(ctx, &h[i].mark, "host name '%s' must be "
			    "letters, digits, '.', '_' or '-'", h[i].name);
		if (addr_parse_host(h[i].address, 0, &h[i].addr,
		    &cause) == -1) {
			topo_error(ctx, &h[i].address_mark, "hosts.%s.address: "
			    "%s", h[i].name, cause);
			free(cause);
		}
	}
}

/*
 * "unknown host 'wbe1' in webd.on, did you mean 'web1'?" when name is not a
 * host. Returns the host or NULL.
 */
static const struct topo_host *
topo_known_host(const struct topology *topo, struct cfg_ctx *ctx,
    const char *name, const char *where, const struct cfg_mark *at)
{
	const struct topo_host *h, *hosts = topo->hosts.v;
	const char **names, *near;
	size_t i, n = 0;

	if ((h = topo_host(topo, name)) != NULL)
		return h;
	names = xcalloc(topo->hosts.n + 1, sizeof(*names));
	for (i = 0; i < topo->hosts.n; i++) {
		if (hosts[i].name != NULL)
			names[n++] = hosts[i].name;
	}
	near = cfg_suggest(name, names, n);
	if (near != NULL)
		topo_error(ctx, at, "unknown host '%s' in %s, did you mean "
		    "'%s'?", name, where, near);
	else
		topo_error(ctx, at, "unknown host '%s' in %s", name, where);
	free(names);
	return NULL;
}

/*
 * Parses address text with host as the default host of a bare port.
 * Reports at at (unless quiet: the text was checked once already).
 */
static int
topo_addr(struct cfg_ctx *ctx, const char *text, const char *host,
    struct net_addr *out, const char *what, const struct cfg_mark *at,
    int quiet)
{
	char *cause;

	if (addr_parse(text, host, out, &cause) == 0)
		return 0;
	if (!quiet)
		topo_error(ctx, at, "%s: %s", what, cause);
	free(cause);
	return -1;
}

/* Checks the section's own listen and status once, whatever the host. */
static int
topo_check_section(struct cfg_ctx *ctx, const struct topo_daemon *d)
{
	const struct topo_section *s = &d->conf;
	struct net_addr a;
	char what[64];
	size_t i;
	int ret = 0;

	snprintf(what, sizeof(what), "%s.listen", d->name);
	for (i = 0; i < s->listen.n; i++)
		ret |= topo_addr(ctx, s->listen.v[i], "0.0.0.0", &a, what,
		    &s->listen.marks[i], 0);
	snprintf(what, sizeof(what), "%s.status", d->name);
	if (s->status != NULL)
		ret |= topo_addr(ctx, s->status, "127.0.0.1", &a, what,
		    &s->status_mark, 0);
	return ret;
}

/* The listen and status addresses of one instance (on item, or section). */
static void
topo_inst_addrs(struct cfg_ctx *ctx, const struct topo_daemon *d,
    const struct topo_on *on, size_t index, const struct topo_host *h,
    struct topo_instance *in)
{
	const struct cfg_strlist *l = on->listen.n ? &on->listen :
	    &d->conf.listen;
	const char *status = on->status ? on->status : d->conf.status;
	char what[64];
	size_t i;
	int quiet;

	quiet = on->listen.n == 0;
	snprintf(what, sizeof(what), "%s.on[%zu].listen", d->name, index);
	for (i = 0; i < l->n && in->nlisten < TOPO_MAX_LISTEN; i++) {
		if (topo_addr(ctx, l->v[i], h->address,
		    &in->listen[in->nlisten], what, &l->marks[i], quiet) == 0)
			in->listen_mark[in->nlisten++] = l->marks[i];
	}
	quiet = on->status == NULL;
	in->status_mark = on->status ? on->status_mark : d->conf.status_mark;
	snprintf(what, sizeof(what), "%s.on[%zu].status", d->name, index);
	if (status != NULL && topo_addr(ctx, status, "127.0.0.1", &in->status,
	    what, &in->status_mark, quiet) == -1)
		memset(&in->status, 0, sizeof(in->status));
}

/* Copies the section's generic settings into an instance. */
static void
topo_inst_settings(const struct topo_daemon *d, struct topo_instance *in)
{
	const struct topo_section *s = &d->conf;

	in->daemon = d->name;
	in->workers = (unsigned)s->workers;
	in->user = s->user;
	in->group = s->group;
	in->pidfile = s->pidfile;
	in->shutdown_timeout_ms = s->shutdown_timeout_ms;
	in->log_level = s->log_level;
	in->error_log = s->error_log;
	in->access_log = s->access_log;
}

/* An earlier instance of d with this name, or NULL. */
static const struct topo_instance *
topo_same_name(const struct topo_daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->ninst; i++) {
		if (strcmp(d->inst[i].name, name) == 0)
			return &d->inst[i];
	}
	return NULL;
}

/* One `on` item into d's next instance, if its host and name are good. */
static void
topo_resolve_on(const struct topology *topo, struct cfg_ctx *ctx,
    struct topo_daemon *d, const struct topo_on *on, size_t index)
{
	const struct topo_host *h;
	const struct topo_instance *prev;
	struct topo_instance *in = &d->inst[d->ninst];
	const char *name = on->name != NULL ? on->name : on->host;
	char where[64];

	if (on->host == NULL)
		return;		/* already reported */
	snprintf(where, sizeof(where), "%s.on[%zu]", d->name, index);
	if ((h = topo_known_host(topo, ctx, on->host, where, &on->mark)) ==
	    NULL || h->address == NULL)
		return;
	if (!topo_valid_name(name)) {
		topo_error(ctx, &on->mark, "instance name '%s' must be "
		    "letters, digits, '.', '_' or '-'", name);
		return;
	}
	if ((prev = topo_same_name(d, name)) != NULL) {
		topo_error(ctx, &on->mark, "duplicate %s instance name '%s' "
		    "(first at line %u): give each a name", d->name, name,
		    prev->mark.line);
		return;
	}
	memset(in, 0, sizeof(*in));
	topo_inst_settings(d, in);
	in->name = name;
	in->host = h->name;
	in->host_addr = h->addr;
	in->mark = on->mark;
	topo_inst_addrs(ctx, d, on, index, h, in);
	d->ninst++;
}

/* Every instance of every daemon, in `on` order. */
static void
topo_resolve_daemons(struct topology *topo, struct cfg_ctx *ctx)
{
	struct topo_daemon *d;
	const struct topo_on *on;
	size_t i, j;

	for (i = 0; i < TOPO_NDAEMONS; i++) {
		d = &topo->daemons[i];
		if (d->conf.on.n == 0)
			continue;
		topo_check_section(ctx, d);
		d->inst = xcalloc(d->conf.on.n, sizeof(*d->inst));
		on = d->conf.on.v;
		for (j = 0; j < d->conf.on.n; j++)
			topo_resolve_on(topo, ctx, d, &on[j], j);
	}
}

/* Orders two marks by place in the file. */
static int
topo_mark_cmp(const struct cfg_mark *a, const struct cfg_mark *b)
{
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

/* Orders uses by host and socket (port or unix path) only. */
static int
topo_socket_cmp(const struct topo_use *a, const struct topo_use *b)
{
	char x[NET_ADDR_STRLEN], y[NET_ADDR_STRLEN];
	int c, ua = a->addr->ss.ss_family == AF_UNIX;
	int ub = b->addr->ss.ss_family == AF_UNIX;

	if ((c = strcmp(a->inst->host, b->inst->host)) != 0)
		return c;
	if (ua != ub)
		return ua - ub;
	if (ua)
		return strcmp(addr_format(a->addr, x, sizeof(x)),
		    addr_format(b->addr, y, sizeof(y)));
	return (int)addr_port(a->addr) - (int)addr_port(b->addr);
}

/* qsort order: by socket, then by place in the file (first use first). */
static int
topo_use_cmp(const void *va, const void *vb)
{
	const struct topo_use *a = va, *b = vb;
	int c;

	if ((c = topo_socket_cmp(a, b)) != 0)
		return c;
	if ((c = topo_mark_cmp(&a->mark, &b->mark)) != 0)
		return c;
	if ((c = topo_mark_cmp(&a->inst->mark, &b->inst->mark)) != 0)
		return c;
	return strcmp(a->what, b->what);
}

/* Appends every address instance in binds to uses. */
static size_t
topo_uses_of(const struct topo_instance *in, struct topo_use *uses,
    size_t n)
{
	size_t i;

	for (i = 0; i < in->nlisten; i++) {
		uses[n].inst = in;
		uses[n].what = "listen";
		uses[n].addr = &in->listen[i];
		uses[n++].mark = in->listen_mark[i];
	}
	if (in->status.len != 0) {
		uses[n].inst = in;
		uses[n].what = "status";
		uses[n].addr = &in->status;
		uses[n++].mark = in->status_mark;
	}
	return n;
}

/*
 * No two listeners on one host share a TCP port (whatever the address: the
 * simple rule also holds when one of them binds the wildcard) or a unix
 * socket path. Sorting makes it n log n, and each clash is reported at
 * the later place against the first.
 */
static void
topo_check_ports(const struct topology *topo, struct cfg_ctx *ctx)
{
	const struct topo_daemon *d;
	struct topo_use *uses, *u, *first;
	char where[NET_ADDR_STRLEN];
	size_t i, j, n = 0, total = 0;

	for (i = 0; i < TOPO_NDAEMONS; i++)
		total += topo->daemons[i].ninst * (TOPO_MAX_LISTEN + 1);
	if (total == 0)
		return;
	uses = xcalloc(total, sizeof(*uses));
	for (i = 0; i < TOPO_NDAEMONS; i++) {
		d = &topo->daemons[i];
		for (j = 0; j < d->ninst; j++)
			n = topo_uses_of(&d->inst[j], uses, n);
	}
	if (n > 1)
		qsort(uses, n, sizeof(*uses), topo_use_cmp);
	for (i = 1, first = uses; i < n; i++) {
		u = &uses[i];
		if (topo_socket_cmp(first, u) != 0) {
			first = u;
			continue;
		}
		if (u->addr->ss.ss_family == AF_UNIX)
			addr_format(u->addr, where, sizeof(where));
		else
			snprintf(where, sizeof(where), "port %u",
			    addr_port(u->addr));
		topo_error(ctx, &u->mark, "%s on host '%s': %s '%s' %s "
		    "clashes with %s '%s' %s at line %u", where,
		    u->inst->host, u->inst->daemon, u->inst->name, u->what,
		    first->inst->daemon, first->inst->name, first->what,
		    first->mark.line);
	}
	free(uses);
}

/* mariadb: known hosts, and no replica that is the primary or repeated. */
static void
topo_check_mariadb(const struct topology *topo, struct cfg_ctx *ctx)
{
	const struct topo_mariadb *m = &topo->mariadb;
	const struct cfg_strlist *r = &m->replicas;
	size_t i, j;

	if (m->primary == NULL)
		return;
	topo_known_host(topo, ctx, m->primary, "mariadb.primary",
	    &m->primary_mark);
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < i && strcmp(r->v[j], r->v[i]) != 0; j++)
			;
		if (strcmp(r->v[i], m->primary) == 0)
			topo_error(ctx, &r->marks[i], "mariadb.replicas: '%s' "
			    "is the primary", r->v[i]);
		else if (j < i)
			topo_error(ctx, &r->marks[i], "mariadb.replicas: '%s' "
			    "is listed twice", r->v[i]);
		else
			topo_known_host(topo, ctx, r->v[i],
			    "mariadb.replicas", &r->marks[i]);
	}
}

void
topo_resolve(struct topology *topo, struct cfg_ctx *ctx)
{
	topo_check_hosts(topo, ctx);
	topo_resolve_daemons(topo, ctx);
	topo_check_ports(topo, ctx);
	topo_check_mariadb(topo, ctx);
}
