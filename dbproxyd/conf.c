/*
 * conf.c: dbproxyd's section of the topology (its schema), and what a
 * generation resolves when it loads: the users' hashes and the servers
 * (the topology's mariadb section, or dbproxyd's own addresses).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "config.h"
#include "conf.h"
#include "server-t.h"
#include "tls.h"
#include "topology.h"
#include "util.h"

#define K(f)	offsetof(struct dbproxyd_conf, f)

static const char *const dbp_ryw_names[] = { "off", "primary", "gtid_wait",
    NULL };

static const struct cfg_key dbp_user_keys[] = {
	{ .name = "name", .type = CFG_STRING, .flags = CFG_F_REQUIRED |
	  CFG_F_NONEMPTY, .max = 80, .off = offsetof(struct dbproxyd_user, name),
	  .help = "The account name clients log in with." },
	{ .name = "password_hash", .type = CFG_STRING, .flags = CFG_F_REQUIRED,
	  .max = 41, .off = offsetof(struct dbproxyd_user, password_hash),
	  .help = "mysql_native_password hash as MariaDB prints it "
	  "(SELECT PASSWORD('pw')): '*' and 40 hex digits." },
	{ .name = NULL },
};
static const struct cfg_schema dbp_user_schema = {
	"user", dbp_user_keys, sizeof(struct dbproxyd_user), 0,
};

static const struct cfg_key dbp_keys[] = {
	{ .name = "users", .type = CFG_SECTIONS, .max = 1024,
	  .sub = &dbp_user_schema, .off = K(users),
	  .help = "Client accounts (name, password_hash)." },
	{ .name = "backend_user", .type = CFG_STRING, .def = "triad",
	  .max = 80, .off = K(backend_user),
	  .help = "Account of the pooled connections to the servers." },
	{ .name = "backend_password", .type = CFG_STRING, .def = "",
	  .max = 256, .off = K(backend_password),
	  .help = "Its password." },
	{ .name = "monitor_user", .type = CFG_STRING, .def = "triad",
	  .max = 80, .off = K(monitor_user),
	  .help = "Account of the monitor (needs REPLICATION CLIENT or "
	  "SLAVE MONITOR for SHOW SLAVE STATUS)." },
	{ .name = "monitor_password", .type = CFG_STRING, .def = "",
	  .max = 256, .off = K(monitor_password), .help = "Its password." },
	{ .name = "monitor_interval", .type = CFG_DURATION, .def = "1s",
	  .min = 50, .max = 3600000, .off = K(monitor_interval_ms),
	  .help = "Time between two checks of every server." },
	{ .name = "monitor_timeout", .type = CFG_DURATION, .def = "1s",
	  .min = 50, .max = 600000, .off = K(monitor_timeout_ms),
	  .help = "Connect and read timeout of a check." },
	{ .name = "max_replication_lag", .type = CFG_DURATION, .def = "10s",
	  .min = 0, .max = 86400000, .off = K(max_replication_lag_ms),
	  .help = "A replica further behind (Seconds_Behind_Master) leaves "
	  "the read pool." },
	{ .name = "reads_on_primary_when_no_replica", .type = CFG_BOOL,
	  .def = "true", .off = K(reads_on_primary_when_no_replica),
	  .help = "With no usable replica, reads go to the primary (else "
	  "they fail)." },
	{ .name = "read_your_writes", .type = CFG_ENUM, .names = dbp_ryw_names,
	  .def = "off", .off = K(read_your_writes),
	  .help = "After a write in a session: off; primary (its reads go to "
	  "the primary); gtid_wait (a replica waits for the write's GTID, "
	  "then the primary after gtid_wait_timeout)." },
	{ .name = "gtid_wait_timeout", .type = CFG_DURATION, .def = "1s",
	  .min = 1, .max = 60000, .off = K(gtid_wait_timeout_ms),
	  .help = "read_your_writes gtid_wait: how long a replica may take." },
	{ .name = "pool_min", .type = CFG_INT, .def = "2", .min = 0,
	  .max = 10000, .off = K(pool_min),
	  .help = "Connections opened ahead per server and worker." },
	{ .name = "pool_max", .type = CFG_INT, .def = "200", .min = 1,
	  .max = 100000, .off = K(pool_max),
	  .help = "Most connections per server and worker; more sessions "
	  "wait (pool_wait_timeout)." },
	{ .name = "connect_timeout", .type = CFG_DURATION, .def = "3s",
	  .min = 1, .max = 600000, .off = K(connect_timeout_ms),
	  .help = "Time to connect and log in to a server." },
	{ .name = "login_timeout", .type = CFG_DURATION, .def = "10s",
	  .min = 100, .max = 600000, .off = K(login_timeout_ms),
	  .help = "Time a client has from connect to logged in." },
	{ .name = "pool_wait_timeout", .type = CFG_DURATION, .def = "5s",
	  .min = 1, .max = 600000, .off = K(pool_wait_timeout_ms),
	  .help = "How long a query may wait for a pooled connection." },
	{ .name = "client_idle_timeout", .type = CFG_DURATION, .def = "8h",
	  .min = 1000, .max = 31536000000LL, .off = K(client_idle_timeout_ms),
	  .help = "Client silence allowed between commands (wait_timeout)." },
	{ .name = "max_connections", .type = CFG_INT, .def = "10000",
	  .min = 1, .max = 1000000, .off = K(max_connections),
	  .help = "Client connections per worker." },
	{ .name = "max_packet", .type = CFG_SIZE, .def = "64m",
	  .min = 1024, .max = 1024ULL * 1024 * 1024, .off = K(max_packet),
	  .help = "Largest command a client may send (max_allowed_packet; "
	  "ERR 1153 past it)." },
	{ .name = "auth_fail_delay", .type = CFG_DURATION, .def = "1s",
	  .min = 0, .max = 60000, .off = K(auth_fail_delay_ms),
	  .help = "A failed login's ERR 1045 waits this long." },
	{ .name = "primary", .type = CFG_STRING, .off = K(primary),
	  .help = "The primary's address (host:port, or unix:/path for a "
	  "server on this host: no TCP on the hot path), instead of the "
	  "topology's mariadb section." },
	{ .name = "replicas", .type = CFG_STRINGS, .flags = CFG_F_SCALAR_OK,
	  .max = 64, .off = K(replicas),
	  .help = "The replicas' addresses (host:port or unix:/path), "
	  "instead of the mariadb section." },
	{ .name = "busy_poll_us", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 10000, .off = K(busy_poll_us),
	  .help = "After a read, a worker keeps polling (yielding the CPU to "
	  "anything runnable) this many microseconds before it sleeps: "
	  "no wake-up for a command or answer that comes within it, at the "
	  "cost of CPU time. 0: off. For hosts with spare cores, or where "
	  "waking an idle CPU is slow (virtual machines). Use fewer "
	  "workers than CPUs with it: a polling worker on every CPU takes "
	  "them from the servers and clients beside it." },
	{ .name = "multiplex", .type = CFG_INT, .def = "0", .min = 0,
	  .max = 64, .off = K(multiplex),
	  .help = "Autocommit reads of sessions with the same state (database, "
	  "SET variables, dialect) share server connections, up to this "
	  "many in flight on one (pipelined: the server finds the next "
	  "query waiting). Reads that touch per-connection state (user "
	  "variables, warnings, FOUND_ROWS...) and everything else keep "
	  "the session's own connection. 0: off." },
	{ .name = "multiplex_stall", .type = CFG_DURATION, .def = "5ms",
	  .min = 1, .max = 3600000, .off = K(multiplex_stall_ms),
	  .help = "A shared connection whose oldest read has waited this long "
	  "for its answer takes no more reads (they would wait behind it); "
	  "they go to another, opened if need be." },
	{ .name = "replica_weight", .type = CFG_INT, .def = "1", .min = 1,
	  .max = 1000, .off = K(replica_weight),
	  .help = "Weight of every replica in the least-outstanding choice." },
	{ .name = "tls_cert", .type = CFG_STRING, .off = K(tls_cert),
	  .help = "PEM certificate (and chain): clients may then switch to "
	  "TLS (SSLRequest)." },
	{ .name = "tls_key", .type = CFG_STRING, .off = K(tls_key),
	  .help = "PEM key (default: in tls_cert)." },
	{ .name = NULL },
};
const struct cfg_schema dbproxyd_conf_schema = {
	"dbproxyd", dbp_keys, sizeof(struct dbproxyd_conf), 0,
};

int
dbproxyd_conf_hash(const char *text, uint8_t stage2[20])
{
	unsigned v;
	size_t i;

	if (text == NULL || strlen(text) != 41 || text[0] != '*')
		return -1;
	for (i = 0; i < 20; i++) {
		if (!isxdigit((unsigned char)text[1 + 2 * i]) ||
		    !isxdigit((unsigned char)text[2 + 2 * i]) ||
		    sscanf(text + 1 + 2 * i, "%2x", &v) != 1)
			return -1;
		stage2[i] = (uint8_t)v;
	}
	return 0;
}

const struct dbproxyd_user *
dbproxyd_conf_user(const struct dbproxyd_conf *c, const char *name,
    size_t len)
{
	const struct dbproxyd_user *u = c->users.v;
	size_t i;

	for (i = 0; i < c->users.n; i++)
		if (strlen(u[i].name) == len && memcmp(u[i].name, name, len) == 0)
			return &u[i];
	return NULL;
}

/* Decodes every user's hash; names are unique. 0 or -1 with *cause. */
static int
dbp_conf_users(struct dbproxyd_conf *c, const char *conf_path, char **cause)
{
	struct dbproxyd_user *u = c->users.v;
	size_t i, k;

	for (i = 0; i < c->users.n; i++) {
		if (dbproxyd_conf_hash(u[i].password_hash, u[i].stage2) == -1) {
			xasprintf(cause, "%s: dbproxyd.users[%zu]: password_hash "
			    "of '%s' is not '*' and 40 hex digits", conf_path, i,
			    u[i].name);
			return -1;
		}
		for (k = 0; k < i; k++)
			if (strcmp(u[k].name, u[i].name) == 0) {
				xasprintf(cause, "%s: dbproxyd.users: '%s' twice",
				    conf_path, u[i].name);
				return -1;
			}
	}
	return 0;
}

/* One server into c->servers from an address text. 0 or -1, *cause. */
static int
dbp_conf_add(struct dbproxyd_conf *c, const char *text, const char *host,
    enum dbp_role role, const char *conf_path, char **cause)
{
	struct dbp_server *s = xcalloc(1, sizeof(*s));
	char *err = NULL;

	if (addr_parse(text, host, &s->addr, &err) == -1) {
		xasprintf(cause, "%s: dbproxyd: server '%s': %s", conf_path,
		    text, err);
		free(err);
		free(s);
		return -1;
	}
	s->role = role;
	s->index = (int)c->nservers;
	s->weight = role == DBP_REPLICA ? (int)c->replica_weight : 1;
	if (role == DBP_PRIMARY)
		snprintf(s->name, sizeof(s->name), "primary");
	else
		snprintf(s->name, sizeof(s->name), "replica%zu", c->nservers);
	addr_format(&s->addr, s->addr_text, sizeof(s->addr_text));
	atomic_store(&s->read_only, -1);
	atomic_store(&s->lag_s, -1);
	c->servers = xreallocarray(c->servers, c->nservers + 1,
	    sizeof(*c->servers));
	c->servers[c->nservers++] = s;
	return 0;
}

/* "host:port" of a topology host name with the mariadb port. */
static int
dbp_conf_add_host(struct dbproxyd_conf *c, const char *hostname,
    enum dbp_role role, const char *conf_path, char **cause)
{
	const struct topo_host *h = topo_host(c->topo, hostname);
	char text[128];

	if (h == NULL) {
		xasprintf(cause, "%s: mariadb: unknown host '%s'", conf_path,
		    hostname);
		return -1;
	}
	snprintf(text, sizeof(text), strchr(h->address, ':') ? "[%s]:%lld" :
	    "%s:%lld", h->address, (long long)c->topo->mariadb.port);
	return dbp_conf_add(c, text, NULL, role, conf_path, cause);
}

/* The servers: dbproxyd's own addresses, or the mariadb section. */
static int
dbp_conf_servers(struct dbproxyd_conf *c, const char *conf_path,
    char **cause)
{
	const struct topo_mariadb *m = &c->topo->mariadb;
	size_t i;

	if (c->primary != NULL) {
		if (dbp_conf_add(c, c->primary, "127.0.0.1", DBP_PRIMARY,
		    conf_path, cause) == -1)
			return -1;
		for (i = 0; i < c->replicas.n; i++)
			if (dbp_conf_add(c, c->replicas.v[i], "127.0.0.1",
			    DBP_REPLICA, conf_path, cause) == -1)
				return -1;
		return 0;
	}
	if (m->primary == NULL) {
		xasprintf(cause, "%s: dbproxyd needs servers: a mariadb section "
		    "(primary, replicas, port) or dbproxyd.primary", conf_path);
		return -1;
	}
	if (dbp_conf_add_host(c, m->primary, DBP_PRIMARY, conf_path,
	    cause) == -1)
		return -1;
	for (i = 0; i < m->replicas.n; i++)
		if (dbp_conf_add_host(c, m->replicas.v[i], DBP_REPLICA,
		    conf_path, cause) == -1)
			return -1;
	return 0;
}

/* TLS for clients that send an SSLRequest (optional). */
static int
dbp_conf_tls(struct dbproxyd_conf *c, const char *conf_path, char **cause)
{
	struct tls_cert_conf tc;

	if (c->tls_cert == NULL)
		return 0;
	memset(&tc, 0, sizeof(tc));
	tc.cert_file = lc_conf_path(conf_path, c->tls_cert);
	tc.key_file = c->tls_key ? lc_conf_path(conf_path, c->tls_key) : NULL;
	c->tls = tls_server_new(&tc, 1, 0, cause);
	free((char *)tc.cert_file);
	free((char *)tc.key_file);
	return c->tls == NULL ? -1 : 0;
}

void *
dbproxyd_conf_load(const struct lc_opts *opts, struct lc_settings *s,
    char **errors)
{
	struct dbproxyd_conf *c = xcalloc(1, sizeof(*c));

	c->topo = lc_conf_load(opts, "dbproxyd", &dbproxyd_conf_schema, c, s,
	    &c->self, errors);
	if (c->topo == NULL) {
		free(c);
		return NULL;
	}
	if (c->pool_min > c->pool_max)
		c->pool_min = c->pool_max;
	if (dbp_conf_users(c, opts->conf_path, errors) == -1 ||
	    dbp_conf_servers(c, opts->conf_path, errors) == -1 ||
	    dbp_conf_tls(c, opts->conf_path, errors) == -1) {
		dbproxyd_conf_free(c);
		return NULL;
	}
	return c;
}

void
dbproxyd_conf_free(void *arg)
{
	struct dbproxyd_conf *c = arg;
	size_t i;

	if (c == NULL)
		return;
	listeners_close(&c->lsn);
	for (i = 0; i < c->nservers && !c->servers_shared; i++)
		free(c->servers[i]);
	free(c->servers);
	if (c->tls != NULL)
		SSL_CTX_free(c->tls);
	if (c->backend_password != NULL)
		explicit_bzero(c->backend_password, strlen(c->backend_password));
	if (c->monitor_password != NULL)
		explicit_bzero(c->monitor_password, strlen(c->monitor_password));
	topo_free(c->topo);
	cfg_free(&dbproxyd_conf_schema, c);
	free(c);
}
