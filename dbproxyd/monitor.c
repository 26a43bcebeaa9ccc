/*
 * monitor.c: the server monitor (see monitor.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "log.h"
#include "monitor.h"
#include "server-t.h"
#include "util.h"

struct dbp_monitor {
	struct dbproxyd_conf		 cc;	/* its own copy, servers array
						   included: generations come
						   and go */
	const struct dbproxyd_conf	*c;	/* &cc */
	MYSQL				**conns;	/* per server */
	pthread_t			 thread;
	pthread_mutex_t			 mtx;		/* stop, gtid */
	pthread_cond_t			 cond;
	int				 stop;
};

/* What one check found. */
struct dbp_check {
	int		up;
	int		read_only;
	int		io, sql;	/* replicas: threads running */
	int64_t		lag;		/* -1: NULL */
	char		gtid[DBP_GTID_MAX];
	char		why[160];
};

static const char *const dbp_state_names[] = { "unknown", "up", "down",
    "broken", "lagging" };

const char *
dbp_monitor_state_name(int st)
{
	return st >= 0 && st <= DBP_LAGGING ? dbp_state_names[st] : "?";
}

/* Connector/C's host, port and socket for srv: "unix:/p" is the socket p
   (host NULL: Connector/C's local connection), else a numeric host (IPv6
   without its brackets) and the port. */
static void
dbp_monitor_target(const struct dbp_server *srv, char *host, size_t size,
    unsigned *port, const char **sock)
{
	const struct sockaddr_un *sun;
	const char *colon;

	*sock = NULL;
	*port = 0;
	host[0] = '\0';
	if (srv->addr.ss.ss_family == AF_UNIX) {
		sun = (const struct sockaddr_un *)&srv->addr.ss;
		*sock = sun->sun_path;
		return;
	}
	colon = strrchr(srv->addr_text, ':');
	snprintf(host, size, "%.*s", (int)(colon - srv->addr_text),
	    srv->addr_text);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	*port = (unsigned)atoi(colon + 1);
}

/* A kept connection, opened again when needed. NULL with why. */
static MYSQL *
dbp_monitor_conn(struct dbp_monitor *m, const struct dbp_server *srv,
    struct dbp_check *ck)
{
	const struct dbproxyd_conf *c = m->c;
	MYSQL **slot = &m->conns[srv->index];
	unsigned to = (unsigned)((c->monitor_timeout_ms + 999) / 1000);
	unsigned port;
	char host[64];
	const char *sock;

	if (*slot != NULL && mysql_ping(*slot) == 0)
		return *slot;
	if (*slot != NULL)
		mysql_close(*slot);
	*slot = mysql_init(NULL);
	mysql_options(*slot, MYSQL_OPT_CONNECT_TIMEOUT, &to);
	mysql_options(*slot, MYSQL_OPT_READ_TIMEOUT, &to);
	mysql_options(*slot, MYSQL_OPT_WRITE_TIMEOUT, &to);
	dbp_monitor_target(srv, host, sizeof(host), &port, &sock);
	if (mysql_real_connect(*slot, sock != NULL ? NULL : host,
	    c->monitor_user, c->monitor_password, NULL, port, sock, 0) ==
	    NULL) {
		snprintf(ck->why, sizeof(ck->why), "%s", mysql_error(*slot));
		mysql_close(*slot);
		*slot = NULL;
	}
	return *slot;
}

/* The first row of a query, or NULL with why. */
static MYSQL_RES *
dbp_monitor_query(MYSQL *db, const char *q, MYSQL_ROW *row,
    struct dbp_check *ck)
{
	MYSQL_RES *res;

	if (mysql_query(db, q) != 0 || (res = mysql_store_result(db)) == NULL) {
		snprintf(ck->why, sizeof(ck->why), "%s: %s", q, mysql_error(db));
		return NULL;
	}
	*row = mysql_fetch_row(res);
	return res;
}

/* The value of column name in a row, or NULL. */
static const char *
dbp_monitor_col(MYSQL_RES *res, MYSQL_ROW row, const char *name)
{
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	unsigned i, n = mysql_num_fields(res);

	for (i = 0; row != NULL && i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return row[i];
	return NULL;
}

/* SHOW SLAVE STATUS: threads, lag, position. 0 or -1. */
static int
dbp_monitor_slave(MYSQL *db, struct dbp_check *ck)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	const char *v;

	if ((res = dbp_monitor_query(db, "SHOW SLAVE STATUS", &row, ck)) == NULL)
		return -1;
	if (row == NULL) {
		snprintf(ck->why, sizeof(ck->why), "not replicating");
		mysql_free_result(res);
		return 0;
	}
	v = dbp_monitor_col(res, row, "Slave_IO_Running");
	ck->io = v != NULL && strcmp(v, "Yes") == 0;
	v = dbp_monitor_col(res, row, "Slave_SQL_Running");
	ck->sql = v != NULL && strcmp(v, "Yes") == 0;
	v = dbp_monitor_col(res, row, "Seconds_Behind_Master");
	ck->lag = v != NULL ? atoll(v) : -1;
	mysql_free_result(res);
	return 0;
}

/* One check of srv into ck. */
static void
dbp_monitor_check(struct dbp_monitor *m, const struct dbp_server *srv,
    struct dbp_check *ck)
{
	MYSQL *db;
	MYSQL_RES *res;
	MYSQL_ROW row;

	memset(ck, 0, sizeof(*ck));
	ck->lag = -1;
	ck->read_only = -1;
	if ((db = dbp_monitor_conn(m, srv, ck)) == NULL)
		return;
	if ((res = dbp_monitor_query(db, "SELECT @@read_only, "
	    "@@gtid_current_pos", &row, ck)) == NULL)
		return;
	if (row != NULL) {
		ck->read_only = row[0] != NULL && atoi(row[0]) != 0;
		snprintf(ck->gtid, sizeof(ck->gtid), "%s", row[1] ? row[1] : "");
	}
	mysql_free_result(res);
	ck->up = 1;
	if (srv->role == DBP_REPLICA && dbp_monitor_slave(db, ck) == -1)
		ck->up = 0;
}

/* The state a check means. */
static int
dbp_monitor_verdict(const struct dbproxyd_conf *c,
    const struct dbp_server *srv, struct dbp_check *ck)
{
	if (!ck->up)
		return DBP_DOWN;
	if (srv->role == DBP_PRIMARY)
		return DBP_UP;
	/* With the primary down no IO thread can run: the replica still
	   holds the freshest data there is, so it keeps serving reads. */
	if (!ck->io && ck->sql && atomic_load(&c->servers[0]->state) ==
	    DBP_DOWN)
		return DBP_UP;
	if (!ck->io || !ck->sql) {
		if (ck->why[0] == '\0')
			snprintf(ck->why, sizeof(ck->why), "IO thread %s, SQL "
			    "thread %s", ck->io ? "running" : "stopped",
			    ck->sql ? "running" : "stopped");
		return DBP_BROKEN;
	}
	if (ck->lag < 0 || ck->lag * 1000 > c->max_replication_lag_ms) {
		snprintf(ck->why, sizeof(ck->why), "Seconds_Behind_Master %lld "
		    "(max %lld ms)", (long long)ck->lag,
		    (long long)c->max_replication_lag_ms);
		return DBP_LAGGING;
	}
	return DBP_UP;
}

/* Publishes a check; logs a change of state. */
static void
dbp_monitor_publish(struct dbp_monitor *m, struct dbp_server *srv,
    struct dbp_check *ck)
{
	int st = dbp_monitor_verdict(m->c, srv, ck);
	int old = atomic_load(&srv->state);

	atomic_store(&srv->read_only, ck->read_only);
	atomic_store(&srv->lag_s, ck->lag);
	atomic_store(&srv->io_running, ck->io);
	atomic_store(&srv->sql_running, ck->sql);
	atomic_fetch_add(&srv->checks, 1);
	if (st != DBP_UP)
		atomic_fetch_add(&srv->check_failures, 1);
	pthread_mutex_lock(&m->mtx);
	memcpy(srv->gtid, ck->gtid, sizeof(srv->gtid));
	pthread_mutex_unlock(&m->mtx);
	if (st == old)
		return;
	atomic_store(&srv->state, st);
	atomic_store(&srv->state_since_ms, util_now_ms());
	if (st == DBP_UP)
		log_notice("server %s (%s): %s -> up%s", srv->name,
		    srv->addr_text, dbp_monitor_state_name(old),
		    srv->role == DBP_REPLICA ? ": back in the read pool" : "");
	else
		log_warnx("server %s (%s): %s -> %s: %s%s", srv->name,
		    srv->addr_text, dbp_monitor_state_name(old),
		    dbp_monitor_state_name(st), ck->why,
		    srv->role == DBP_REPLICA ? "; out of the read pool" :
		    "; writes refused");
}

/* The monitor thread: every server each interval, until stopped. */
static void *
dbp_monitor_main(void *arg)
{
	struct dbp_monitor *m = arg;
	struct dbp_check ck;
	struct timespec ts;
	size_t i;

	mysql_thread_init();
	pthread_mutex_lock(&m->mtx);
	while (!m->stop) {
		pthread_mutex_unlock(&m->mtx);
		for (i = 0; i < m->c->nservers; i++) {
			dbp_monitor_check(m, m->c->servers[i], &ck);
			dbp_monitor_publish(m, m->c->servers[i], &ck);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += m->c->monitor_interval_ms / 1000;
		ts.tv_nsec += (m->c->monitor_interval_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&m->mtx);
		while (!m->stop && pthread_cond_timedwait(&m->cond, &m->mtx,
		    &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->mtx);
	for (i = 0; i < m->c->nservers; i++)
		if (m->conns[i] != NULL)
			mysql_close(m->conns[i]);
	mysql_thread_end();
	return NULL;
}

/* Frees what dbp_monitor_start allocated (its thread gone or never
   started). */
static void
dbp_monitor_free(struct dbp_monitor *m)
{
	free(m->cc.monitor_user);
	explicit_bzero(m->cc.monitor_password, strlen(m->cc.monitor_password));
	free(m->cc.monitor_password);
	free(m->cc.servers);
	free(m->conns);
	free(m);
}

struct dbp_monitor *
dbp_monitor_start(const struct dbproxyd_conf *c, char **cause)
{
	struct dbp_monitor *m = xcalloc(1, sizeof(*m));
	int e;

	m->cc.monitor_user = xstrdup(c->monitor_user);
	m->cc.monitor_password = xstrdup(c->monitor_password);
	m->cc.monitor_interval_ms = c->monitor_interval_ms;
	m->cc.monitor_timeout_ms = c->monitor_timeout_ms;
	m->cc.max_replication_lag_ms = c->max_replication_lag_ms;
	/* The servers are the process's (server.c), but c->servers, the
	   array of pointers, is the first generation's: freed once a good
	   reload retires it. Hence a copy of the array. */
	m->cc.servers = xcalloc(c->nservers, sizeof(*m->cc.servers));
	memcpy(m->cc.servers, c->servers, c->nservers * sizeof(*c->servers));
	m->cc.nservers = c->nservers;
	m->c = &m->cc;
	m->conns = xcalloc(c->nservers, sizeof(*m->conns));
	pthread_mutex_init(&m->mtx, NULL);
	pthread_cond_init(&m->cond, NULL);
	if ((e = pthread_create(&m->thread, NULL, dbp_monitor_main, m)) != 0) {
		xasprintf(cause, "monitor thread: %s", strerror(e));
		pthread_mutex_destroy(&m->mtx);
		pthread_cond_destroy(&m->cond);
		dbp_monitor_free(m);
		return NULL;
	}
	return m;
}

void
dbp_monitor_stop(struct dbp_monitor *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mtx);
	m->stop = 1;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->mtx);
	pthread_join(m->thread, NULL);
	pthread_mutex_destroy(&m->mtx);
	pthread_cond_destroy(&m->cond);
	dbp_monitor_free(m);
}

void
dbp_monitor_gtid(struct dbp_monitor *m, const struct dbp_server *srv,
    char *buf, size_t size)
{
	pthread_mutex_lock(&m->mtx);
	snprintf(buf, size, "%s", srv->gtid);
	pthread_mutex_unlock(&m->mtx);
}

void
dbp_monitor_suspect(struct dbp_server *srv, const char *why)
{
	int up = DBP_UP;

	if (srv->role != DBP_REPLICA ||
	    !atomic_compare_exchange_strong(&srv->state, &up, DBP_DOWN))
		return;
	atomic_store(&srv->state_since_ms, util_now_ms());
	log_warnx("server %s (%s): up -> down: %s; out of the read pool until "
	    "the next check", srv->name, srv->addr_text, why);
}
