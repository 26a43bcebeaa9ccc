/*
 * launch.c: worker processes (see launch.h).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appd.h"
#include "cidr.h"
#include "direct.h"
#include "log.h"
#include "launch.h"
#include "topology-t.h"
#include "util.h"
#include "worker.h"

#define LAUNCH_MAX_ENV	320

extern char **environ;

static _Atomic unsigned launch_seq;	/* abstract socket names */

/* Appends "NAME=value" to env (bounded). */
static void __attribute__((format(printf, 3, 4)))
launch_env(char **env, size_t *n, const char *fmt, ...)
{
	va_list ap;

	if (*n + 1 >= LAUNCH_MAX_ENV)
		return;
	va_start(ap, fmt);
	if (vasprintf(&env[*n], fmt, ap) != -1)
		(*n)++;
	va_end(ap);
}

/* The worker's settings, then the app's env, then appd's own. */
static void
launch_env_app(const struct appd_conf *c, const struct appd_app *a,
    char **env, size_t *n)
{
	char buf[NET_ADDR_STRLEN];
	size_t i;

	launch_env(env, n, "TRIAD_APPD_APP=%s", a->name);
	launch_env(env, n, "TRIAD_APPD_INSTANCE=%s", c->self->name);
	launch_env(env, n, "TRIAD_APPD_KIND=%s", a->kind == APPD_MODULE ?
	    "module" : "program");
	launch_env(env, n, "TRIAD_APPD_LOG_LEVEL=%d", (int)log_get_level());
	if (c->self->error_log != NULL)
		launch_env(env, n, "TRIAD_APPD_ERROR_LOG=%s",
		    c->self->error_log);
	if (a->module_path != NULL)
		launch_env(env, n, "TRIAD_APPD_MODULE=%s", a->module_path);
	if (c->database.addr.len > 0) {
		launch_env(env, n, "TRIAD_APPD_DB_ADDRESS=%s",
		    addr_format(&c->database.addr, buf, sizeof(buf)));
		launch_env(env, n, "TRIAD_APPD_DB_USER=%s", c->database.user);
		launch_env(env, n, "TRIAD_APPD_DB_PASSWORD=%s",
		    c->database.password);
		launch_env(env, n, "TRIAD_APPD_DB_NAME=%s", c->database.db);
		launch_env(env, n, "TRIAD_APPD_DB_POOL=%lld",
		    (long long)c->database.pool);
		launch_env(env, n, "TRIAD_APPD_DB_TIMEOUT=%lld",
		    (long long)(c->database.connect_timeout_ms + 999) / 1000);
	}
	launch_env(env, n, "TRIAD_APPD_MAX_BODY=%llu",
	    (unsigned long long)a->client_max_body_size);
	launch_env(env, n, "TRIAD_APPD_MAX_RESPONSE=%llu",
	    (unsigned long long)c->max_response_size);
	if (a->rlimits.as)
		launch_env(env, n, "TRIAD_APPD_RLIMIT_AS=%llu",
		    (unsigned long long)a->rlimits.as);
	if (a->rlimits.cpu_ms)
		launch_env(env, n, "TRIAD_APPD_RLIMIT_CPU=%lld",
		    (long long)(a->rlimits.cpu_ms + 999) / 1000);
	if (a->rlimits.nofile)
		launch_env(env, n, "TRIAD_APPD_RLIMIT_NOFILE=%lld",
		    (long long)a->rlimits.nofile);
	if (a->user != NULL)
		launch_env(env, n, "TRIAD_APPD_USER=%s", a->user);
	if (a->group != NULL)
		launch_env(env, n, "TRIAD_APPD_GROUP=%s", a->group);
	if (a->chdir != NULL)
		launch_env(env, n, "TRIAD_APPD_CHDIR=%s", a->chdir);
	/* php-cgi serves until the master recycles it. */
	if (a->kind == APPD_FASTCGI)
		launch_env(env, n, "PHP_FCGI_MAX_REQUESTS=0");
	for (i = 0; i < a->env.n; i++)
		launch_env(env, n, "%s", a->env.v[i]);
}

/* "a,b" of n numbers, or of n descriptors. */
static void
launch_fdlist(char *buf, size_t size, const int *v, size_t n)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%d", i ? "," : "",
		    v[i]);
}

/*
 * A direct worker's settings (direct.h): its descriptors (also put in
 * keep; their count returned), the HTTP limits, routes and trusted
 * proxies.
 */
static size_t
launch_env_direct(const struct appd_conf *c, const struct appd_app *a,
    const struct launch_direct *d, int *keep, char **env, size_t *n)
{
	char buf[4096], cidr[CIDR_STRLEN];
	size_t i, o = 0, nk = 0;

	for (i = 0; i < a->nladdrs; i++)
		keep[nk++] = a->lfds[i];
	launch_fdlist(buf, sizeof(buf), keep, nk);
	launch_env(env, n, "%s=%s", DIRECT_ENV_FDS, buf);
	keep[nk++] = d->sb_fd;
	launch_env(env, n, "%s=%d,%zu,%zu", DIRECT_ENV_SB, d->sb_fd,
	    d->nslots, d->slot);
	if (d->alog_fd >= 0) {
		keep[nk++] = d->alog_fd;
		launch_env(env, n, "%s=%d", DIRECT_ENV_ALOG, d->alog_fd);
	}
	launch_env(env, n, "%s=%llu,%lld,%lld,%lld,%lld,%lld", DIRECT_ENV_HTTP,
	    (unsigned long long)c->srv.max_header_size,
	    (long long)c->srv.max_headers,
	    (long long)c->srv.keepalive_timeout_ms,
	    (long long)c->srv.header_timeout_ms,
	    (long long)c->srv.send_timeout_ms,
	    (long long)c->srv.max_connections);
	launch_env(env, n, "%s=%lld", DIRECT_ENV_MAXREQ,
	    (long long)a->max_requests);
	buf[0] = '\0';
	for (i = 0; i < a->routes.n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\n",
		    a->routes.v[i]);
	launch_env(env, n, "%s=%s", DIRECT_ENV_ROUTES, buf);
	buf[0] = '\0';
	for (i = 0, o = 0; i < c->trusted_proxies.n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s ",
		    cidr_format(&c->trusted_proxies.v[i], cidr, sizeof(cidr)));
	launch_env(env, n, "%s=%s", DIRECT_ENV_TRUSTED, buf);
	return nk;
}

/* appd's own environment, without what the worker must not inherit. */
static void
launch_env_inherit(char **env, size_t *n)
{
	char **e;

	for (e = environ; *e != NULL && *n + 1 < LAUNCH_MAX_ENV; e++)
		if (strncmp(*e, "TRIAD_APPD_", 11) != 0 &&
		    strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 &&
		    strncmp(*e, "LISTEN_", 7) != 0)
			env[(*n)++] = xstrdup(*e);
}

/* posix_spawn of /proc/self/exe in worker mode with fds and env; keep
   (nkeep) are descriptors passed on at the same numbers (a dup2 onto
   itself clears close-on-exec). */
static pid_t
launch_exec(char **argv, char **env, const int fds[3], const int *keep,
    size_t nkeep, int pgroup, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int rc, i;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | (pgroup ? POSIX_SPAWN_SETPGROUP : 0));
	posix_spawn_file_actions_init(&fa);
	for (i = 0; i < 3; i++)
		if (fds[i] != -1)
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
	for (i = 0; i < (int)nkeep; i++)
		posix_spawn_file_actions_adddup2(&fa, keep[i], keep[i]);
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		xasprintf(cause, "spawning a worker: %s", strerror(rc));
		return -1;
	}
	return pid;
}

pid_t
launch_worker(const struct appd_conf *c, const struct appd_app *a, int sock,
    const struct launch_direct *d, char **cause)
{
	char *argv[72], *env[LAUNCH_MAX_ENV];
	int fds[3] = { sock, -1, -1 }, keep[APPD_MAX_LISTEN + 2];
	size_t i, n = 0, k = 0, nkeep;
	pid_t pid;

	argv[k++] = (char *)"appd";
	argv[k++] = (char *)APPD_WORKER_FLAG;
	if (a->kind != APPD_MODULE) {
		argv[k++] = (char *)"--";
		for (i = 0; i < a->command.n && k + 1 < nitems(argv); i++)
			argv[k++] = a->command.v[i];
	}
	argv[k] = NULL;
	launch_env_app(c, a, env, &n);
	nkeep = d != NULL ? launch_env_direct(c, a, d, keep, env, &n) : 0;
	launch_env_inherit(env, &n);
	env[n] = NULL;
	pid = launch_exec(argv, env, fds, keep, nkeep, 0, cause);
	for (i = 0; i < n; i++)
		free(env[i]);
	return pid;
}

pid_t
launch_cgi(const struct appd_conf *c, const struct appd_app *a,
    const char *script, char **cgi_env, const int fds[3], char **cause)
{
	char *argv[5], *env[LAUNCH_MAX_ENV];
	size_t i, n = 0;
	pid_t pid;

	argv[0] = (char *)"appd";
	argv[1] = (char *)APPD_WORKER_FLAG;
	argv[2] = (char *)"--";
	argv[3] = (char *)script;
	argv[4] = NULL;
	/* RFC 3875: the meta-variables, the app's env and PATH; not appd's
	   own environment. */
	launch_env_app(c, a, env, &n);
	launch_env(env, &n, "PATH=%s", getenv("PATH") ? getenv("PATH") :
	    "/usr/bin:/bin");
	for (i = 0; cgi_env[i] != NULL && n + 1 < LAUNCH_MAX_ENV; i++)
		env[n++] = xstrdup(cgi_env[i]);
	env[n] = NULL;
	pid = launch_exec(argv, env, fds, NULL, 0, 1, cause);
	for (i = 0; i < n; i++)
		free(env[i]);
	return pid;
}

/* A listening socket at an abstract name, and the master connected. */
static int
launch_socket_listen(const struct appd_app *a, int *master,
    int *child, char **cause)
{
	struct sockaddr_un sun;
	socklen_t len;
	int l, m;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* Unique in the process, not per pool: a reload's new pool must
	   not take the name of a socket an old worker still holds. */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "triad-appd/%d/%s/%u", (int)getpid(), a->name,
	    atomic_fetch_add(&launch_seq, 1)));
	if ((l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (xasprintf(cause, "socket: %s", strerror(errno)), -1);
	if (bind(l, (struct sockaddr *)&sun, len) == -1 || listen(l, 8) == -1) {
		xasprintf(cause, "binding a worker socket: %s",
		    strerror(errno));
		close(l);
		return -1;
	}
	if ((m = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(m, (struct sockaddr *)&sun, len) == -1) {
		xasprintf(cause, "connecting a worker socket: %s",
		    strerror(errno));
		if (m != -1)
			close(m);
		close(l);
		return -1;
	}
	*master = m;
	*child = l;
	return 0;
}

int
launch_socket(const struct appd_app *a, int *master, int *child,
    char **cause)
{
	int sv[2];

	if (a->kind == APPD_FASTCGI) {
		if (launch_socket_listen(a, master, child, cause) == -1)
			return -1;
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		    sv) == -1)
			return (xasprintf(cause, "socketpair: %s",
			    strerror(errno)), -1);
		*master = sv[0];
		*child = sv[1];
	}
	fcntl(*master, F_SETFL, fcntl(*master, F_GETFL) | O_NONBLOCK);
	return 0;
}
