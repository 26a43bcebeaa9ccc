/*
 * conf.c: appd's section of the topology (its schema), and the checks a
 * schema cannot express: what each kind of app needs, a route used by two
 * apps, the pool sizes, the database address ("dbproxyd": the dbproxyd
 * instance of this host). Relative paths are taken from the topology
 * file's folder (lc_conf_path).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "alog.h"
#include "conf.h"
#include "direct_pool.h"
#include "config.h"
#include "http1.h"
#include "log.h"
#include "topology.h"
#include "util.h"

#define A(f)	offsetof(struct appd_app, f)
#define D(f)	offsetof(struct appd_db, f)
#define K(f)	offsetof(struct appd_conf, f)

const char *const appd_kind_names[] = { "module", "fastcgi", "cgi", NULL };
const char *const appd_pm_names[] = { "static", "dynamic", "ondemand",
    NULL };

static const struct cfg_key appd_rlimit_keys[] = {
	{ .name = "memory", .type = CFG_SIZE, .def = "0", .min = 0,
	  .max = 1ULL << 44, .off = offsetof(struct appd_rlimits, as),
	  .help = "Address space of a worker (RLIMIT_AS; 0: unchanged)." },
	{ .name = "cpu", .type = CFG_DURATION, .def = "0", .min = 0,
	  .max = 86400000LL * 365,
	  .off = offsetof(struct appd_rlimits, cpu_ms),
	  .help = "CPU time of a worker, whole seconds (RLIMIT_CPU; 0: "
	  "unchanged)." },
	{ .name = "nofile", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 1048576, .off = offsetof(struct appd_rlimits, nofile),
	  .help = "Open files of a worker (RLIMIT_NOFILE; 0: unchanged)." },
	{ .name = NULL },
};
static const struct cfg_schema appd_rlimit_schema = {
	"rlimits", appd_rlimit_keys, sizeof(struct appd_rlimits), 0,
};

static const struct cfg_key appd_app_keys[] = {
	{ .name = "name", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .max = 63, .off = A(name),
	  .help = "The app's name (logs, status, metrics labels)." },
	{ .name = "kind", .type = CFG_ENUM, .names = appd_kind_names,
	  .def = "module", .off = A(kind),
	  .help = "module (a C shared object), fastcgi (FastCGI workers) or "
	  "cgi (a process per request)." },
	{ .name = "routes", .type = CFG_STRINGS, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY | CFG_F_SCALAR_OK, .max = 64, .off = A(routes),
	  .help = "Path prefixes this app answers (longest prefix wins)." },
	{ .name = "listen", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .max = APPD_MAX_LISTEN, .off = A(listen),
	  .help = "module: addresses (host:port, a bare port on this host, "
	  "unix:/path) where the app's workers serve HTTP themselves, "
	  "without the master (php-fpm's listen per pool). The accept "
	  "backlog is `queue`." },
	{ .name = "module", .type = CFG_STRING, .off = A(module),
	  .help = "module: the shared object (relative: to the topology "
	  "file's folder)." },
	{ .name = "command", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .max = 64, .off = A(command),
	  .help = "fastcgi: the worker's argv (php-cgi); it gets its "
	  "listening socket as fd 0." },
	{ .name = "address", .type = CFG_STRING, .off = A(address),
	  .help = "fastcgi: an external FastCGI server (host:port or "
	  "unix:/path) instead of spawned workers." },
	{ .name = "root", .type = CFG_STRING, .off = A(root),
	  .help = "fastcgi, cgi: the scripts' folder (SCRIPT_FILENAME)." },
	{ .name = "script", .type = CFG_STRING, .off = A(script),
	  .help = "fastcgi: a front controller under root that gets every "
	  "request (index.php); unset: the script named by the path." },
	{ .name = "pm", .type = CFG_ENUM, .names = appd_pm_names,
	  .def = "static", .off = A(pm),
	  .help = "Pool mode: static, dynamic (min/max spare) or ondemand "
	  "(idle timeout)." },
	{ .name = "max_children", .type = CFG_INT, .def = "4", .min = 1,
	  .max = 4096, .off = A(max_children),
	  .help = "Most worker processes of the app (cgi: processes at "
	  "once)." },
	{ .name = "min_spare", .type = CFG_INT, .def = "1", .min = 0,
	  .max = 4096, .off = A(min_spare),
	  .help = "dynamic: fewest idle workers." },
	{ .name = "max_spare", .type = CFG_INT, .def = "3", .min = 1,
	  .max = 4096, .off = A(max_spare),
	  .help = "dynamic: most idle workers (more are stopped)." },
	{ .name = "idle_timeout", .type = CFG_DURATION, .def = "10s",
	  .min = 100, .max = 86400000, .off = A(idle_timeout_ms),
	  .help = "ondemand: an idle worker ends after this." },
	{ .name = "max_requests", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 1000000000, .off = A(max_requests),
	  .help = "Requests a worker serves before it is recycled (0: "
	  "never)." },
	{ .name = "request_timeout", .type = CFG_DURATION, .def = "30s",
	  .min = 1, .max = 86400000, .off = A(request_timeout_ms),
	  .help = "Past this the worker gets SIGTERM (and the client 504)." },
	{ .name = "kill_grace", .type = CFG_DURATION, .def = "2s", .min = 0,
	  .max = 600000, .off = A(kill_grace_ms),
	  .help = "Time between SIGTERM and SIGKILL." },
	{ .name = "queue", .type = CFG_INT, .def = "128", .min = 0,
	  .max = 1000000, .off = A(queue),
	  .help = "Requests that wait when every worker is busy (then 503)." },
	{ .name = "queue_timeout", .type = CFG_DURATION, .def = "10s",
	  .min = 1, .max = 3600000, .off = A(queue_timeout_ms),
	  .help = "Longest wait in the queue (then 503)." },
	{ .name = "retry_after", .type = CFG_INT, .def = "1", .min = 0,
	  .max = 86400, .off = A(retry_after),
	  .help = "Retry-After seconds of a 503 for a full queue." },
	{ .name = "pipeline", .type = CFG_INT, .def = "4", .min = 1,
	  .max = 64, .off = A(pipeline),
	  .help = "module and spawned fastcgi: requests a busy worker may "
	  "be sent ahead (it runs them in order) when every worker is busy "
	  "and its current request began under 1 ms ago; 1: one at a time. "
	  "Fewer wake-ups under load." },
	{ .name = "user", .type = CFG_STRING, .off = A(user),
	  .help = "Workers run as this user (appd must start as root)." },
	{ .name = "group", .type = CFG_STRING, .off = A(group),
	  .help = "Workers run with this group." },
	{ .name = "chdir", .type = CFG_STRING, .off = A(chdir),
	  .help = "Workers' working directory." },
	{ .name = "env", .type = CFG_STRINGS, .max = 256, .off = A(env),
	  .help = "NAME=value pairs added to the workers' environment." },
	{ .name = "rlimits", .type = CFG_SECTION, .sub = &appd_rlimit_schema,
	  .off = A(rlimits), .help = "Resource limits of the workers." },
	{ .name = "client_max_body_size", .type = CFG_SIZE, .def = "1m",
	  .min = 0, .max = 1ULL << 32, .off = A(client_max_body_size),
	  .help = "Largest request body (413 past it)." },
	{ .name = NULL },
};
static const struct cfg_schema appd_app_schema = {
	"app", appd_app_keys, sizeof(struct appd_app), CFG_MARK(struct appd_app,
	    mark),
};

static const struct cfg_key appd_db_keys[] = {
	{ .name = "address", .type = CFG_STRING, .def = "dbproxyd",
	  .off = D(address),
	  .help = "dbproxyd (this host's dbproxyd instance), host:port or "
	  "unix:/path." },
	{ .name = "user", .type = CFG_STRING, .def = "triad", .off = D(user),
	  .help = "Database user." },
	{ .name = "password", .type = CFG_STRING, .def = "", .off = D(password),
	  .help = "Database password." },
	{ .name = "db", .type = CFG_STRING, .def = "foobar", .off = D(db),
	  .help = "Default database (schema)." },
	{ .name = "pool", .type = CFG_INT, .def = "1", .min = 1, .max = 64,
	  .off = D(pool), .help = "Connections per worker process." },
	{ .name = "connect_timeout", .type = CFG_DURATION, .def = "5s",
	  .min = 1, .max = 600000, .off = D(connect_timeout_ms),
	  .help = "Time to connect to the database." },
	{ .name = NULL },
};
static const struct cfg_schema appd_db_schema = {
	"database", appd_db_keys, sizeof(struct appd_db), 0,
};

static const struct cfg_key appd_keys[] = {
	{ .name = "apps", .type = CFG_SECTIONS, .max = 64,
	  .sub = &appd_app_schema, .off = K(apps),
	  .help = "The applications and their pools." },
	{ .name = "database", .type = CFG_SECTION, .sub = &appd_db_schema,
	  .off = K(database), .help = "The modules' database (dbproxyd)." },
	{ .name = "trusted_proxies", .type = CFG_CIDRS,
	  .flags = CFG_F_SCALAR_OK, .def = "[127.0.0.0/8, '::1/128']",
	  .off = K(trusted_proxies),
	  .help = "Peers (webd) whose X-Forwarded-For gives REMOTE_ADDR." },
	{ .name = "max_response_size", .type = CFG_SIZE, .def = "64m",
	  .min = 1024, .max = 1ULL << 40, .off = K(max_response_size),
	  .help = "Largest response an app may send (then 502)." },
	HCONN_SERVER_KEYS(struct appd_conf, srv),
	{ .name = "respawn_backoff_max", .type = CFG_DURATION, .def = "5s",
	  .min = 10, .max = 600000, .off = K(respawn_backoff_max_ms),
	  .help = "Longest wait before respawning a worker that keeps "
	  "crashing (doubles from 10ms)." },
	{ .name = NULL },
};
const struct cfg_schema appd_conf_schema = {
	"appd", appd_keys, sizeof(struct appd_conf), 0,
};

/* Appends "file:line:col: app NAME: text" to the list in *out. */
static void __attribute__((format(printf, 4, 5)))
appd_conf_err(char **out, const char *file, const struct appd_app *a,
    const char *fmt, ...)
{
	char *msg, *line, *old = *out;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (a != NULL)
		xasprintf(&line, "%s:%u:%u: app %s: %s", file, a->mark.line,
		    a->mark.col, a->name, msg);
	else
		xasprintf(&line, "%s: %s", file, msg);
	free(msg);
	if (old == NULL)
		*out = line;
	else {
		xasprintf(out, "%s\n%s", old, line);
		free(old);
		free(line);
	}
}

/* What the app's kind needs; paths made absolute. */
static void
appd_conf_check_kind(struct appd_app *a, const char *file, char **out)
{
	char *err = NULL;

	if (a->root != NULL)
		a->root_path = lc_conf_path(file, a->root);
	switch (a->kind) {
	case APPD_MODULE:
		if (a->module == NULL)
			appd_conf_err(out, file, a, "kind module needs 'module'");
		else
			a->module_path = lc_conf_path(file, a->module);
		break;
	case APPD_FASTCGI:
		if ((a->command.n == 0) == (a->address == NULL))
			appd_conf_err(out, file, a, "kind fastcgi needs "
			    "either 'command' (spawned workers) or 'address'");
		if (a->address != NULL &&
		    addr_parse(a->address, "127.0.0.1", &a->fcgi_addr,
		    &err) == -1) {
			appd_conf_err(out, file, a, "address: %s", err);
			free(err);
		}
		if (a->root == NULL)
			appd_conf_err(out, file, a, "kind fastcgi needs 'root' "
			    "(the scripts' folder)");
		break;
	case APPD_CGI:
		if (a->root == NULL)
			appd_conf_err(out, file, a, "kind cgi needs 'root' (the "
			    "scripts' folder)");
		break;
	}
}

/* Routes are paths; none is claimed by two apps. */
static void
appd_conf_check_routes(struct appd_conf *c, size_t i, const char *file,
    char **out)
{
	struct appd_app *v = c->apps.v, *a = &v[i];
	size_t j, k, m;

	for (k = 0; k < a->routes.n; k++) {
		if (a->routes.v[k][0] != '/')
			appd_conf_err(out, file, a, "route '%s' does not start "
			    "with /", a->routes.v[k]);
		for (j = 0; j <= i; j++)
			for (m = 0; m < v[j].routes.n; m++)
				if ((j < i || m < k) && strcmp(v[j].routes.v[m],
				    a->routes.v[k]) == 0)
					appd_conf_err(out, file, a, "route '%s' "
					    "is also app %s's", a->routes.v[k],
					    v[j].name);
	}
}

/* 1 when a and b cannot both be bound: a Unix path, or a TCP port. */
static int
appd_conf_clash(const struct net_addr *a, const struct net_addr *b)
{
	if (a->ss.ss_family == AF_UNIX || b->ss.ss_family == AF_UNIX)
		return addr_equal(a, b);
	return addr_port(a) == addr_port(b);
}

/* An app's own listen: module apps only, addresses parsed, none twice. */
static void
appd_conf_check_listen(struct appd_conf *c, size_t i, const char *file,
    const char *host, char **out)
{
	struct appd_app *v = c->apps.v, *a = &v[i];
	char *err = NULL, buf[NET_ADDR_STRLEN];
	size_t j, k, m;

	a->nladdrs = 0;
	for (k = 0; k < APPD_MAX_LISTEN; k++)
		a->lfds[k] = -1;
	if (a->listen.n > 0 && a->kind != APPD_MODULE) {
		appd_conf_err(out, file, a, "listen: only a module app serves "
		    "its own listeners (a %s app goes through appd's listen)",
		    appd_kind_names[a->kind]);
		return;
	}
	for (k = 0; k < a->listen.n && k < APPD_MAX_LISTEN; k++) {
		if (addr_parse(a->listen.v[k], host, &a->laddrs[k], &err) ==
		    -1) {
			appd_conf_err(out, file, a, "listen: %s", err);
			free(err);
			err = NULL;
			continue;
		}
		for (j = 0; j <= i; j++)
			for (m = 0; m < (j < i ? v[j].nladdrs : a->nladdrs); m++)
				if (appd_conf_clash(&v[j].laddrs[m],
				    &a->laddrs[k]))
					appd_conf_err(out, file, a, "listen: %s "
					    "is also app %s's", addr_format(
					    &a->laddrs[k], buf, sizeof(buf)),
					    v[j].name);
		a->nladdrs++;
	}
}

/* No app listens where appd itself (or its status port) does. */
static int
appd_conf_check_self(struct appd_conf *c, const char *file, char **out)
{
	const struct topo_instance *s = c->self;
	struct appd_app *v = c->apps.v;
	char buf[NET_ADDR_STRLEN];
	size_t i, k, m;

	for (i = 0; i < c->apps.n; i++)
		for (k = 0; k < v[i].nladdrs; k++) {
			for (m = 0; m < s->nlisten; m++)
				if (appd_conf_clash(&s->listen[m],
				    &v[i].laddrs[k]))
					appd_conf_err(out, file, &v[i], "listen: "
					    "%s is appd's own listen address",
					    addr_format(&v[i].laddrs[k], buf,
					    sizeof(buf)));
			if (s->status.len > 0 && appd_conf_clash(&s->status,
			    &v[i].laddrs[k]))
				appd_conf_err(out, file, &v[i], "listen: %s "
				    "is appd's status address", addr_format(
				    &v[i].laddrs[k], buf, sizeof(buf)));
		}
	return *out == NULL ? 0 : -1;
}

/* database.address: "dbproxyd" is this host's dbproxyd instance. */
static void
appd_conf_check_db(struct appd_conf *c, const struct topology *t,
    const char *file, const char *self_host, char **out)
{
	struct appd_db *db = &c->database;
	const struct topo_daemon *d;
	char *err = NULL;
	size_t k;

	memset(&db->addr, 0, sizeof(db->addr));
	if (strcmp(db->address, "dbproxyd") != 0) {
		if (addr_parse(db->address, "127.0.0.1", &db->addr, &err) == -1) {
			appd_conf_err(out, file, NULL, "database.address: %s",
			    err);
			free(err);
		}
		return;
	}
	/* No dbproxyd here: modules get "no database" from a query. */
	if (t == NULL || self_host == NULL ||
	    (d = topo_daemon(t, "dbproxyd")) == NULL || !d->present)
		return;
	for (k = 0; k < d->ninst; k++)
		if (strcmp(d->inst[k].host, self_host) == 0 &&
		    d->inst[k].nlisten > 0) {
			db->addr = d->inst[k].listen[0];
			return;
		}
}

int
appd_conf_check(struct appd_conf *c, const struct topology *t,
    const char *file, const char *self_host, char **cause)
{
	struct appd_app *v = c->apps.v, *a;
	const struct topo_host *h = t != NULL && self_host != NULL ?
	    topo_host(t, self_host) : NULL;
	char *out = NULL;
	size_t i, j;

	for (i = 0; i < c->apps.n; i++) {
		a = &v[i];
		a->index = i;
		for (j = 0; j < i; j++)
			if (strcmp(v[j].name, a->name) == 0)
				appd_conf_err(&out, file, a, "name used twice");
		appd_conf_check_kind(a, file, &out);
		appd_conf_check_routes(c, i, file, &out);
		appd_conf_check_listen(c, i, file, h != NULL ? h->address :
		    "127.0.0.1", &out);
		if (a->pm == APPD_PM_DYNAMIC && (a->min_spare > a->max_spare ||
		    a->max_spare > a->max_children))
			appd_conf_err(&out, file, a, "dynamic needs min_spare "
			    "<= max_spare <= max_children");
	}
	appd_conf_check_db(c, t, file, self_host, &out);
	*cause = out;
	return out == NULL ? 0 : -1;
}

const struct appd_app *
appd_conf_app(const struct appd_conf *c, const char *path, size_t len)
{
	const struct appd_app *v = c->apps.v, *best = NULL;
	size_t i, k, n, bestlen = 0;

	for (i = 0; i < c->apps.n; i++)
		for (k = 0; k < v[i].routes.n && v[i].nladdrs == 0; k++) {
			n = strlen(v[i].routes.v[k]);
			if (n <= len && n > bestlen &&
			    memcmp(v[i].routes.v[k], path, n) == 0) {
				best = &v[i];
				bestlen = n;
			}
		}
	return best;
}

void
appd_conf_http(struct hconn_settings *hs, const struct hconn_server_conf *sc)
{
	hconn_server_settings(hs, sc);
	/* Each app checks its own client_max_body_size; this is the cap. */
	hs->limits.max_body = 1ULL << 32;
	hs->max_keepalive_requests = 100000;
	hs->server = "triad-appd";
}

void *
appd_conf_load(const struct lc_opts *opts, struct lc_settings *s,
    char **errors)
{
	struct appd_conf *c = xcalloc(1, sizeof(*c));

	c->topo = lc_conf_load(opts, "appd", &appd_conf_schema, c, s,
	    &c->self, errors);
	if (c->topo == NULL) {
		free(c);
		return NULL;
	}
	c->conf_path = xstrdup(opts->conf_path);
	if (appd_conf_check(c, c->topo, opts->conf_path, c->self->host,
	    errors) == -1 || appd_conf_check_self(c, opts->conf_path,
	    errors) == -1 || lc_conf_alog(opts->conf_path,
	    c->self->access_log, &c->access, errors) == -1) {
		appd_conf_free(c);
		return NULL;
	}
	appd_conf_http(&c->hs, &c->srv);
	return c;
}

void
appd_conf_free(void *arg)
{
	struct appd_conf *c = arg;
	struct appd_app *v;
	size_t i;

	if (c == NULL)
		return;
	v = c->apps.v;
	for (i = 0; i < c->apps.n; i++) {
		free(v[i].module_path);
		free(v[i].root_path);
		direct_unbind(&v[i]);
	}
	listeners_close(&c->lsn);
	alog_close(c->access);
	topo_free(c->topo);
	free(c->conf_path);
	cfg_free(&appd_conf_schema, c);
	free(c);
}
