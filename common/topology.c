/*
 * topology.c: the topology's schemas, its loader and the instance lookups
 * (see topology.h). The resolution of instances and the cross checks are in
 * topology_check.c.
 *
 * A daemon section mixes generic keys (`on`, `listen`, `status`, workers...)
 * read here for every daemon, and the daemon's own keys, read with the
 * schema the starting daemon passes in a topo_spec. Both go through one
 * cfg_apply() call, so an unknown key gets a "did you mean" over the union.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "topology.h"
#include "util.h"

static const char *const topo_daemon_names[TOPO_NDAEMONS] = {
	[TOPO_LBD] = "lbd", [TOPO_WEBD] = "webd", [TOPO_APPD] = "appd",
	[TOPO_DBPROXYD] = "dbproxyd",
};

/* The specs of the load in progress (cfg_ctx arg). */
struct topo_load {
	const struct topo_spec	*specs;
	size_t			 nspecs;
	int			*applied;	/* per spec: section was read */
};

static const char *const topo_log_names[] = {
	"err", "warn", "notice", "info", "debug", NULL,
};
static const int topo_log_values[] = {
	LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_NOTICE, LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

static const struct cfg_key topo_host_keys[] = {
	{ .name = "name", .type = CFG_STRING, .flags = CFG_F_MAPKEY,
	  .off = offsetof(struct topo_host, name), .max = TOPO_NAME_MAX,
	  .help = "The host's name, used by `on`, `mariadb` and --host." },
	{ .name = "address", .type = CFG_STRING, .flags = CFG_F_REQUIRED,
	  .off = offsetof(struct topo_host, address),
	  .mark = CFG_MARK(struct topo_host, address_mark),
	  .help = "Numeric IPv4 or IPv6 address of the host; the default "
	  "host of every bare `listen` port on it." },
	{ .name = NULL },
};
static const struct cfg_schema topo_host_schema = {
	"host", topo_host_keys, sizeof(struct topo_host),
	CFG_MARK(struct topo_host, mark),
};

static const struct cfg_key topo_on_keys[] = {
	{ .name = "host", .type = CFG_STRING,
	  .flags = CFG_F_REQUIRED | CFG_F_SHORTHAND,
	  .off = offsetof(struct topo_on, host), .max = TOPO_NAME_MAX,
	  .help = "The host this instance runs on (an item may be just the "
	  "host's name)." },
	{ .name = "name", .type = CFG_STRING, .max = TOPO_NAME_MAX,
	  .off = offsetof(struct topo_on, name),
	  .help = "Instance name (default: the host's name); needed when one "
	  "host runs two instances. Pick it with --instance." },
	{ .name = "listen", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .off = offsetof(struct topo_on, listen), .max = TOPO_MAX_LISTEN,
	  .help = "This instance's service addresses or ports, instead of "
	  "the section's." },
	{ .name = "status", .type = CFG_STRING,
	  .off = offsetof(struct topo_on, status),
	  .mark = CFG_MARK(struct topo_on, status_mark),
	  .help = "This instance's status address or port, instead of the "
	  "section's." },
	{ .name = NULL },
};
static const struct cfg_schema topo_on_schema = {
	"on", topo_on_keys, sizeof(struct topo_on),
	CFG_MARK(struct topo_on, mark),
};

static const struct cfg_key topo_section_keys[] = {
	{ .name = "on", .type = CFG_SECTIONS, .flags = CFG_F_SCALAR_OK,
	  .off = offsetof(struct topo_section, on), .sub = &topo_on_schema,
	  .help = "Where instances run: host names, or {host, name, listen, "
	  "status} mappings." },
	{ .name = "listen", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .off = offsetof(struct topo_section, listen), .max = TOPO_MAX_LISTEN,
	  .help = "Service addresses (host:port, [v6]:port, unix:/path) or "
	  "bare ports on the host's address." },
	{ .name = "status", .type = CFG_STRING,
	  .off = offsetof(struct topo_section, status),
	  .mark = CFG_MARK(struct topo_section, status_mark),
	  .help = "Status listener address, or a bare port on 127.0.0.1." },
	{ .name = "workers", .type = CFG_INT, .min = 0, .max = 256, .def = "0",
	  .off = offsetof(struct topo_section, workers),
	  .help = "Event-loop threads (0: one per CPU)." },
	{ .name = "user", .type = CFG_STRING, .max = 63,
	  .off = offsetof(struct topo_section, user),
	  .help = "User to switch to after binding (default: stay)." },
	{ .name = "group", .type = CFG_STRING, .max = 63,
	  .off = offsetof(struct topo_section, group),
	  .help = "Group to switch to (default: the user's)." },
	{ .name = "pidfile", .type = CFG_STRING, .max = 255,
	  .off = offsetof(struct topo_section, pidfile),
	  .help = "Where to write the process id (default: nowhere)." },
	{ .name = "shutdown_timeout", .type = CFG_DURATION, .def = "10s",
	  .min = 0, .max = 86400000,
	  .off = offsetof(struct topo_section, shutdown_timeout_ms),
	  .help = "How long a graceful stop waits for connections." },
	{ .name = "log_level", .type = CFG_ENUM, .names = topo_log_names,
	  .values = topo_log_values,
	  .off = offsetof(struct topo_section, log_level),
	  .help = "Log level (default: notice, or debug with -v)." },
	{ .name = "error_log", .type = CFG_STRING, .max = 255,
	  .off = offsetof(struct topo_section, error_log),
	  .help = "Log file (default: stderr, or the journal)." },
	{ .name = "access_log", .type = CFG_STRING, .max = 255,
	  .off = offsetof(struct topo_section, access_log),
	  .help = "Access log file (default: none)." },
	{ .name = NULL },
};
const struct cfg_schema topo_section_schema = {
	"daemon", topo_section_keys, sizeof(struct topo_section),
	CFG_MARK(struct topo_section, mark),
};

static const struct cfg_key topo_mariadb_keys[] = {
	{ .name = "primary", .type = CFG_STRING, .flags = CFG_F_REQUIRED,
	  .off = offsetof(struct topo_mariadb, primary), .max = TOPO_NAME_MAX,
	  .mark = CFG_MARK(struct topo_mariadb, primary_mark),
	  .help = "Host of the MariaDB primary." },
	{ .name = "replicas", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .off = offsetof(struct topo_mariadb, replicas),
	  .help = "Hosts of the MariaDB replicas." },
	{ .name = "port", .type = CFG_INT, .min = 1, .max = 65535,
	  .def = "3306", .off = offsetof(struct topo_mariadb, port),
	  .help = "MariaDB port on every database host." },
	{ .name = NULL },
};
static const struct cfg_schema topo_mariadb_schema = {
	"mariadb", topo_mariadb_keys, sizeof(struct topo_mariadb),
	CFG_MARK(struct topo_mariadb, mark),
};

static int	topo_parse_daemon(struct cfg_ctx *, const struct cfg_key *,
		    const struct cfg_node *, void *);
static void	topo_free_daemon(const struct cfg_key *, void *);

/* The row of one daemon's section: generic keys plus its spec's. */
#define TOPO_DAEMON_KEY(id, nm) { .name = nm, .type = CFG_CUSTOM,	\
	.off = offsetof(struct topology, daemons[id]),			\
	.parse = topo_parse_daemon, .free = topo_free_daemon,		\
	.type_name = "daemon section",					\
	.help = "Where " nm " runs and its settings: the generic keys "	\
	"(DAEMON.*), then " nm "'s own." }

static const struct cfg_key topo_keys[] = {
	{ .name = "site", .type = CFG_STRING,
	  .off = offsetof(struct topology, site),
	  .help = "The site's name, for status pages and logs." },
	{ .name = "admin_networks", .type = CFG_CIDRS,
	  .flags = CFG_F_SCALAR_OK, .def = "[127.0.0.0/8, '::1/128']",
	  .off = offsetof(struct topology, admin_networks),
	  .help = "Networks allowed to reach status and admin ports." },
	{ .name = "hosts", .type = CFG_MAP, .flags = CFG_F_REQUIRED,
	  .min = 1, .off = offsetof(struct topology, hosts),
	  .sub = &topo_host_schema,
	  .help = "Every host of the site, by name." },
	TOPO_DAEMON_KEY(TOPO_LBD, "lbd"),
	TOPO_DAEMON_KEY(TOPO_WEBD, "webd"),
	TOPO_DAEMON_KEY(TOPO_APPD, "appd"),
	TOPO_DAEMON_KEY(TOPO_DBPROXYD, "dbproxyd"),
	{ .name = "mariadb", .type = CFG_SECTION,
	  .off = offsetof(struct topology, mariadb),
	  .sub = &topo_mariadb_schema,
	  .help = "The MariaDB primary and replicas that dbproxyd routes to." },
	{ .name = NULL },
};
const struct cfg_schema topo_schema = {
	"topology", topo_keys, sizeof(struct topology), 0,
};

void
topo_help(FILE *f, const struct topo_spec *specs, size_t nspecs)
{
	size_t i;

	cfg_help(f, &topo_schema, NULL);
	cfg_help(f, &topo_section_schema, "DAEMON");
	for (i = 0; i < nspecs; i++) {
		if (specs[i].schema != NULL)
			cfg_help(f, specs[i].schema, specs[i].daemon);
	}
}

/* The spec for daemon in this load, or -1. */
static int
topo_spec_index(const struct topo_load *ld, const char *daemon)
{
	size_t i;

	for (i = 0; i < ld->nspecs; i++) {
		if (strcmp(ld->specs[i].daemon, daemon) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * A daemon's section: its generic keys always, its own keys when this load
 * has a spec for it (else they are skipped unchecked: another daemon's).
 */
static int
topo_parse_daemon(struct cfg_ctx *ctx, const struct cfg_key *key,
    const struct cfg_node *node, void *slot)
{
	struct topo_load *ld = ctx->arg;
	struct topo_daemon *d = slot;
	struct cfg_target t[2];
	size_t nt = 1;
	int i;

	d->present = 1;
	t[0].schema = &topo_section_schema;
	t[0].dst = &d->conf;
	if ((i = topo_spec_index(ld, key->name)) == -1)
		return cfg_apply(ctx, t, 1, node, CFG_IGNORE_UNKNOWN);
	ld->applied[i] = 1;
	if (ld->specs[i].schema != NULL) {
		t[1].schema = ld->specs[i].schema;
		t[1].dst = ld->specs[i].dst;
		nt = 2;
	}
	return cfg_apply(ctx, t, nt, node, 0);
}

static void
topo_free_daemon(const struct cfg_key *key, void *slot)
{
	struct topo_daemon *d = slot;

	cfg_free(&topo_section_schema, &d->conf);
	free(d->inst);
	d->inst = NULL;
	d->ninst = 0;
}

/*
 * A daemon's schema may not name a generic key: the generic row would win
 * and the daemon's field would silently stay at zero. Returns 0 or -1.
 */
static int
topo_spec_shadows(struct cfg_ctx *ctx, const struct topo_spec *spec)
{
	const struct cfg_key *k, *g;

	for (k = spec->schema->keys; k->name != NULL; k++) {
		for (g = topo_section_keys; g->name != NULL; g++) {
			if (strcmp(k->name, g->name) == 0) {
				cfg_error(ctx, NULL, "%s's schema redefines the "
				    "generic key '%s'", spec->daemon, k->name);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Specs whose section is absent still get their defaults (not their
 * required keys: the daemon has no instance then anyway). Bad specs are
 * the caller's bug but are reported rather than fatal.
 */
static void
topo_absent_specs(struct cfg_ctx *ctx, struct topo_load *ld,
    const struct cfg_node *root)
{
	struct cfg_target t;
	struct cfg_node empty;
	size_t i, j, old;

	memset(&empty, 0, sizeof(empty));
	empty.type = CFG_NODE_MAP;
	empty.mark = root->mark;
	for (i = 0; i < ld->nspecs; i++) {
		for (j = 0; j < TOPO_NDAEMONS; j++) {
			if (strcmp(ld->specs[i].daemon,
			    topo_daemon_names[j]) == 0)
				break;
		}
		if (j == TOPO_NDAEMONS) {
			cfg_error(ctx, NULL, "no daemon is called '%s'",
			    ld->specs[i].daemon);
			continue;
		}
		if (ld->specs[i].schema == NULL ||
		    topo_spec_shadows(ctx, &ld->specs[i]) == -1 ||
		    ld->applied[i])
			continue;
		t.schema = ld->specs[i].schema;
		t.dst = ld->specs[i].dst;
		old = cfg_ctx_push(ctx, ld->specs[i].daemon, 0);
		cfg_apply(ctx, &t, 1, &empty, CFG_ABSENT);
		cfg_ctx_pop(ctx, old);
	}
}

/* Frees every spec's destination (after a failed load). */
static void
topo_free_specs(const struct topo_spec *specs, size_t nspecs)
{
	size_t i;

	for (i = 0; i < nspecs; i++) {
		if (specs[i].schema != NULL)
			cfg_free(specs[i].schema, specs[i].dst);
	}
}

/* Reads doc (and frees it) into a new topology; see topo_load_file. */
static struct topology *
topo_load_doc(struct cfg_doc *doc, const struct topo_spec *specs,
    size_t nspecs, struct cfg_errors *errs, int keep)
{
	struct cfg_target t;
	struct topo_load ld;
	struct topology *topo;
	struct cfg_ctx ctx;
	size_t i, before = cfg_errors_count(errs);

	for (i = 0; i < nspecs; i++) {
		if (specs[i].schema != NULL)
			memset(specs[i].dst, 0, specs[i].schema->size);
	}
	if (doc == NULL)
		return NULL;
	topo = xcalloc(1, sizeof(*topo));
	for (i = 0; i < TOPO_NDAEMONS; i++)
		topo->daemons[i].name = topo_daemon_names[i];
	ld.specs = specs;
	ld.nspecs = nspecs;
	ld.applied = xcalloc(nspecs + 1, sizeof(*ld.applied));
	cfg_ctx_init(&ctx, errs, doc->file, &ld);
	t.schema = &topo_schema;
	t.dst = topo;
	cfg_apply(&ctx, &t, 1, doc->root, 0);
	topo_absent_specs(&ctx, &ld, doc->root);
	topo->file = xstrdup(doc->file);
	/* Even after errors: the cross checks cope with missing values. */
	topo_resolve(topo, &ctx);
	free(ld.applied);
	cfg_doc_free(doc);
	if (cfg_errors_count(errs) == before || keep)
		return topo;
	cfg_errors_sort(errs);
	topo_free(topo);
	topo_free_specs(specs, nspecs);
	return NULL;
}

struct topology *
topo_load_file(const char *path, const struct topo_spec *specs,
    size_t nspecs, struct cfg_errors *errs)
{
	return topo_load_doc(cfg_doc_load_file(path, errs), specs, nspecs,
	    errs, 0);
}

struct topology *
topo_load_file_all(const char *path, const struct topo_spec *specs,
    size_t nspecs, struct cfg_errors *errs)
{
	return topo_load_doc(cfg_doc_load_file(path, errs), specs, nspecs,
	    errs, 1);
}

struct topology *
topo_load_mem(const char *name, const void *buf, size_t len,
    const struct topo_spec *specs, size_t nspecs, struct cfg_errors *errs)
{
	return topo_load_doc(cfg_doc_load_mem(name, buf, len, errs), specs,
	    nspecs, errs, 0);
}

void
topo_free(struct topology *topo)
{
	if (topo == NULL)
		return;
	free(topo->file);
	cfg_free(&topo_schema, topo);
	free(topo);
}

const struct topo_daemon *
topo_daemon(const struct topology *topo, const char *daemon)
{
	size_t i;

	for (i = 0; i < TOPO_NDAEMONS; i++) {
		if (strcmp(topo->daemons[i].name, daemon) == 0)
			return &topo->daemons[i];
	}
	return NULL;
}

const struct topo_host *
topo_host(const struct topology *topo, const char *name)
{
	const struct topo_host *h = topo->hosts.v;
	size_t i;

	for (i = 0; i < topo->hosts.n; i++) {
		if (h[i].name != NULL && strcmp(h[i].name, name) == 0)
			return &h[i];
	}
	return NULL;
}

/* "a, b, c": the names of d's instances on host (NULL: all of them). */
static char *
topo_names(const struct topo_daemon *d, const char *host)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < d->ninst; i++) {
		if (host != NULL && strcmp(d->inst[i].host, host) != 0)
			continue;
		xasprintf(&t, "%s%s%s", s, *s ? ", " : "", d->inst[i].name);
		free(s);
		s = t;
	}
	return s;
}

/* The instance of d named instance; checks that it runs on host. */
static const struct topo_instance *
topo_find_named(const struct topo_daemon *d, const char *host,
    const char *instance, char **cause)
{
	char *all;
	size_t i;

	for (i = 0; i < d->ninst; i++) {
		if (strcmp(d->inst[i].name, instance) != 0)
			continue;
		if (host != NULL && strcmp(d->inst[i].host, host) != 0) {
			xasprintf(cause, "%s instance '%s' runs on host '%s', "
			    "not '%s'", d->name, instance, d->inst[i].host,
			    host);
			return NULL;
		}
		return &d->inst[i];
	}
	all = topo_names(d, NULL);
	xasprintf(cause, "no %s instance is named '%s' (instances: %s)",
	    d->name, instance, *all ? all : "none");
	free(all);
	return NULL;
}

const struct topo_instance *
topo_find(const struct topology *topo, const char *daemon, const char *host,
    const char *instance, char **cause)
{
	const struct topo_daemon *d;
	const struct topo_instance *found = NULL;
	char *all;
	size_t i, n = 0;

	*cause = NULL;
	if ((d = topo_daemon(topo, daemon)) == NULL) {
		xasprintf(cause, "no daemon is called '%s'", daemon);
		return NULL;
	}
	if (instance != NULL)
		return topo_find_named(d, host, instance, cause);
	for (i = 0; i < d->ninst; i++) {
		if (host == NULL || strcmp(d->inst[i].host, host) == 0) {
			found = &d->inst[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	all = topo_names(d, n == 0 ? NULL : host);
	if (n == 0)
		xasprintf(cause, "no %s instance on host '%s' (instances: %s)",
		    daemon, host != NULL ? host : "any", *all ? all : "none");
	else
		xasprintf(cause, "host %s runs %zu %s instances (%s): pick one "
		    "with --instance", host != NULL ? host : "(any)", n,
		    daemon, all);
	free(all);
	return NULL;
}
