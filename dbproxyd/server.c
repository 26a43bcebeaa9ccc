/*
 * server.c: dbproxyd in the lifecycle frame: metrics, the status page
 * (servers, pools, users, errors by code), the monitor, listeners and
 * pools per worker, reload and stop.
 *
 * The servers (struct dbp_server, with the monitor's verdicts and the
 * pools' counts) belong to the process, not to a generation: a reload
 * keeps them, so pools and the monitor carry on. A reload that changes
 * the list of servers is refused (restart dbproxyd for that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "io.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "net.h"
#include "pool.h"
#include "server.h"
#include "session.h"
#include "status.h"
#include "topology.h"
#include "util.h"

#define DBP_ERRSLOTS	64

struct dbp_metrics dbp_metrics;

static struct dbp_server **dbp_servers;	/* the process's */
static size_t dbp_nservers;
static struct dbp_monitor *dbp_monitor;

/* Errors by code: a small open-addressed table of atomics. */
static struct {
	_Atomic int		code;
	_Atomic uint64_t	n;
} dbp_errtab[DBP_ERRSLOTS];

void
dbp_errors_count(uint16_t code)
{
	size_t i, h = code % DBP_ERRSLOTS;
	int zero;

	for (i = 0; i < DBP_ERRSLOTS; i++, h = (h + 1) % DBP_ERRSLOTS) {
		zero = 0;
		if (atomic_load(&dbp_errtab[h].code) == code ||
		    atomic_compare_exchange_strong(&dbp_errtab[h].code, &zero,
		    code) || atomic_load(&dbp_errtab[h].code) == code) {
			atomic_fetch_add(&dbp_errtab[h].n, 1);
			return;
		}
	}
}

void
dbp_errors_json(struct json *j)
{
	char key[16];
	size_t i;
	int code;

	json_object_open(j, "errors");
	for (i = 0; i < DBP_ERRSLOTS; i++)
		if ((code = atomic_load(&dbp_errtab[i].code)) != 0) {
			snprintf(key, sizeof(key), "%d", code);
			json_int(j, key, (int64_t)atomic_load(&dbp_errtab[i].n));
		}
	json_object_close(j);
}

/* /health: 503 when the primary is down and no replica serves reads. */
static int
dbp_health(void *arg, const char **reason)
{
	size_t i;

	(void)arg;
	for (i = 0; i < dbp_nservers; i++)
		if (atomic_load(&dbp_servers[i]->state) != DBP_DOWN)
			return 1;
	*reason = "no server up";
	return 0;
}

/* One server in /status: state, replication, pool use, counters. */
static void
dbp_server_json(struct json *j, struct dbp_server *s)
{
	char gtid[DBP_GTID_MAX];

	json_object_open(j, NULL);
	json_str(j, "name", s->name);
	json_str(j, "address", s->addr_text);
	json_str(j, "role", s->role == DBP_PRIMARY ? "primary" : "replica");
	json_str(j, "state", dbp_monitor_state_name(atomic_load(&s->state)));
	json_int(j, "read_only", atomic_load(&s->read_only));
	json_int(j, "lag_seconds", atomic_load(&s->lag_s));
	if (s->role == DBP_REPLICA) {
		json_bool(j, "io_running", atomic_load(&s->io_running));
		json_bool(j, "sql_running", atomic_load(&s->sql_running));
	}
	if (dbp_monitor != NULL) {
		dbp_monitor_gtid(dbp_monitor, s, gtid, sizeof(gtid));
		json_str(j, "gtid", gtid);
	}
	json_int(j, "queries", (int64_t)atomic_load(&s->queries));
	json_int(j, "outstanding", atomic_load(&s->outstanding));
	json_object_open(j, "pool");
	json_int(j, "idle", atomic_load(&s->pool_idle));
	json_int(j, "busy", atomic_load(&s->pool_busy));
	json_int(j, "shared", atomic_load(&s->pool_shared));
	json_int(j, "opening", atomic_load(&s->pool_opening));
	json_int(j, "waiting", atomic_load(&s->pool_waiting));
	json_int(j, "connect_failures",
	    (int64_t)atomic_load(&s->connect_failures));
	json_object_close(j);
	json_int(j, "checks", (int64_t)atomic_load(&s->checks));
	json_int(j, "check_failures", (int64_t)atomic_load(&s->check_failures));
	json_object_close(j);
}

/* /status: servers, users with their sessions, errors by code. */
static void
dbp_status_json(struct json *j, void *arg)
{
	struct lifecycle *lc = arg;
	const struct dbproxyd_conf *c = lc_current(lc)->conf;
	const struct dbproxyd_user *u = c->users.v;
	static const char *const ryw[] = { "off", "primary", "gtid_wait" };
	size_t i;

	json_str(j, "read_your_writes", ryw[c->read_your_writes]);
	json_array_open(j, "servers");
	for (i = 0; i < dbp_nservers; i++)
		dbp_server_json(j, dbp_servers[i]);
	json_array_close(j);
	json_array_open(j, "users");
	for (i = 0; i < c->users.n; i++) {
		json_object_open(j, NULL);
		json_str(j, "name", u[i].name);
		json_int(j, "sessions", atomic_load(&u[i].sessions));
		json_object_close(j);
	}
	json_array_close(j);
	dbp_errors_json(j);
}

/* dbproxyd's metrics (names get the triad_dbproxyd_ prefix). */
static void
dbp_setup_metrics(struct metrics *m)
{
	dbp_metrics.sessions_total = metrics_counter(m, "sessions_total",
	    "Client connections accepted.", NULL);
	dbp_metrics.sessions_active = metrics_gauge(m, "sessions_active",
	    "Client connections open.", NULL);
	dbp_metrics.auth_failures = metrics_counter(m, "auth_failures_total",
	    "Failed logins (ERR 1045).", NULL);
	dbp_metrics.queries_primary = metrics_counter(m, "queries_total",
	    "Commands routed, by target.", "target=\"primary\"");
	dbp_metrics.queries_replica = metrics_counter(m, "queries_total",
	    "Commands routed, by target.", "target=\"replica\"");
	dbp_metrics.transactions = metrics_counter(m, "transactions_total",
	    "Transactions seen opening (server status flags).", NULL);
	dbp_metrics.errors_sent = metrics_counter(m, "errors_sent_total",
	    "ERR packets made by dbproxyd.", NULL);
	dbp_metrics.server_errors = metrics_counter(m, "server_errors_total",
	    "ERR packets from servers.", NULL);
	dbp_metrics.lat_primary = metrics_histogram(m,
	    "query_duration_microseconds", "Command sent to answer ended.",
	    "target=\"primary\"", metrics_latency_us_bounds,
	    metrics_latency_us_nbounds);
	dbp_metrics.lat_replica = metrics_histogram(m,
	    "query_duration_microseconds", "Command sent to answer ended.",
	    "target=\"replica\"", metrics_latency_us_bounds,
	    metrics_latency_us_nbounds);
	dbp_metrics.backend_connects = metrics_counter(m,
	    "server_connects_total", "Pool connections opened.", NULL);
	dbp_metrics.backend_connect_failures = metrics_counter(m,
	    "server_connect_failures_total", "Pool connections that failed to "
	    "connect or log in.", NULL);
	dbp_metrics.retries = metrics_counter(m, "read_retries_total",
	    "Reads sent to another server after their replica failed before "
	    "answering.", NULL);
	dbp_metrics.multiplexed = metrics_counter(m, "multiplexed_total",
	    "Commands run on a shared (multiplexed) server connection.", NULL);
	dbp_metrics.resets = metrics_counter(m, "server_resets_total",
	    "COM_RESET_CONNECTION before a pooled connection's reuse.", NULL);
	dbp_metrics.gtid_waits = metrics_counter(m, "gtid_waits_total",
	    "read_your_writes gtid_wait: waits on a replica.", NULL);
	dbp_metrics.gtid_wait_timeouts = metrics_counter(m,
	    "gtid_wait_timeouts_total", "Waits that timed out (read went to "
	    "the primary).", NULL);
}

/* Main thread, once: metrics and the status page's callbacks. */
static int
dbp_setup(struct lifecycle *lc, char **cause)
{
	(void)cause;
	dbp_setup_metrics(lc_metrics(lc));
	status_set_health_cb(lc_status(lc), dbp_health, lc);
	status_set_json_cb(lc_status(lc), dbp_status_json, lc);
	return 0;
}

/* A reload may not change the list of servers (pools, the monitor and
   their counts belong to the process). 0, or -1 with *cause. */
static int
dbp_servers_check(const struct dbproxyd_conf *c, char **cause)
{
	size_t i;

	if (dbp_servers == NULL)
		return 0;
	if (c->nservers != dbp_nservers)
		goto changed;
	for (i = 0; i < c->nservers; i++)
		if (!addr_equal(&c->servers[i]->addr, &dbp_servers[i]->addr))
			goto changed;
	return 0;
changed:
	xasprintf(cause, "the list of servers changed: restart dbproxyd to "
	    "use it");
	return -1;
}

/* The generation's servers become the process's (first load), or take
   the process's place (reload, after dbp_servers_check and once nothing
   else can fail, so that a refused reload changes nothing). Only the
   structs are shared: the array c->servers stays the generation's and
   goes with it, so a thread that outlives the generation (the monitor)
   keeps its own array. */
static void
dbp_adopt_servers(struct dbproxyd_conf *c)
{
	size_t i;

	if (dbp_servers == NULL) {
		dbp_servers = xcalloc(c->nservers, sizeof(*dbp_servers));
		memcpy(dbp_servers, c->servers, c->nservers * sizeof(*c->servers));
		dbp_nservers = c->nservers;
		c->servers_shared = 1;
		return;
	}
	for (i = 0; i < c->nservers; i++) {
		atomic_store(&dbp_servers[i]->weight,
		    atomic_load(&c->servers[i]->weight));
		free(c->servers[i]);
		c->servers[i] = dbp_servers[i];
	}
	c->servers_shared = 1;
}

/* Start and reload: the servers, the monitor (once) and the listeners
   (kept when the addresses did not change). */
static int
dbp_prepare(struct lifecycle *lc, struct lc_gen *gen, struct lc_gen *old,
    char **cause)
{
	struct dbproxyd_conf *c = gen->conf;
	const struct dbproxyd_conf *oc = old != NULL ? old->conf : NULL;

	(void)lc;
	if (dbp_servers_check(c, cause) == -1)
		return -1;
	/* TCP: a socket per worker; a Unix path once, shared (listeners.c). */
	if (listeners_prepare_self(&c->lsn, c->self,
	    oc != NULL ? oc->self : NULL, gen->settings.workers, &c->inherit,
	    cause) == -1)
		return -1;
	dbp_adopt_servers(c);
	if (dbp_monitor == NULL &&
	    (dbp_monitor = dbp_monitor_start(c, cause)) == NULL)
		return -1;
	return 0;
}

/* This worker's listeners: its own TCP sockets, a dup of each Unix one. */
static void
dbp_listen(struct lc_worker *lw, struct dbp_worker *w)
{
	struct dbproxyd_conf *c = lw->gen->conf;

	w->listeners = listeners_start(&c->lsn, lw->id, lw->base,
	    dbp_session_accept, NULL, w, &w->nlisteners);
}

/* Stops accepting (reload, shutdown). */
static void
dbp_unlisten(struct dbp_worker *w)
{
	listeners_stop(&w->listeners, &w->nlisteners);
}

/* Each second: the pools open what pool_min asks for. */
static void
dbp_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct dbp_worker *w = arg;
	size_t i;

	(void)fd;
	(void)ev;
	if (w->lc->stopping)
		return;
	for (i = 0; i < w->npools; i++) {
		dbp_pool_prune(w->pools[i]);
		dbp_pool_fill(w->pools[i]);
	}
}

/* A worker: its pools (filled now), listeners and the pools' tick. */
static int
dbp_worker_start(struct lc_worker *lw)
{
	struct dbp_worker *w = xcalloc(1, sizeof(*w));
	struct timeval tv = { 1, 0 };
	size_t i;

	w->lc = lw;
	w->iob = dbp_io_batch_new(lw->base);
	dbp_io_batch_busy_poll(w->iob, ((struct dbproxyd_conf *)
	    lw->gen->conf)->busy_poll_us, &w->inflight);
	TAILQ_INIT(&w->sessions);
	lw->data = w;
	w->npools = dbp_nservers;
	w->pools = xcalloc(dbp_nservers, sizeof(*w->pools));
	for (i = 0; i < dbp_nservers; i++) {
		w->pools[i] = dbp_pool_new(w, dbp_servers[i]);
		dbp_pool_fill(w->pools[i]);
	}
	dbp_listen(lw, w);
	w->tick = event_new(lw->base, -1, EV_PERSIST, dbp_tick, w);
	event_add(w->tick, &tv);
	return 0;
}

/* A new generation: listeners again when they changed; the pools
   stay (the servers are the process's). */
static void
dbp_worker_reload(struct lc_worker *lw, struct lc_gen *old)
{
	struct dbp_worker *w = lw->data;
	struct dbproxyd_conf *c = lw->gen->conf;

	(void)old;
	dbp_io_batch_busy_poll(w->iob, c->busy_poll_us, &w->inflight);
	if (!c->inherit) {
		dbp_unlisten(w);
		dbp_listen(lw, w);
	}
}

/* Draining: no new clients; sessions finish. */
static void
dbp_worker_stop_accept(struct lc_worker *lw)
{
	dbp_unlisten(lw->data);
}

/* After the loop: sessions, listeners and pools go. */
static void
dbp_worker_end(struct lc_worker *lw)
{
	struct dbp_worker *w = lw->data;
	size_t i;

	dbp_session_close_all(w);
	dbp_unlisten(w);
	for (i = 0; i < w->npools; i++)
		dbp_pool_free(w->pools[i]);
	free(w->pools);
	event_free(w->tick);
	dbp_io_batch_free(w->iob);
	free(w);
	lw->data = NULL;
}

/* Main thread, last: the monitor stops. */
static void
dbp_teardown(struct lifecycle *lc)
{
	(void)lc;
	dbp_monitor_stop(dbp_monitor);
	dbp_monitor = NULL;
}

const struct lc_ops dbp_ops = {
	.name = "dbproxyd",
	.load = dbproxyd_conf_load,
	.free_conf = dbproxyd_conf_free,
	.setup = dbp_setup,
	.prepare = dbp_prepare,
	.worker_start = dbp_worker_start,
	.worker_reload = dbp_worker_reload,
	.worker_stop_accept = dbp_worker_stop_accept,
	.worker_end = dbp_worker_end,
	.teardown = dbp_teardown,
};
