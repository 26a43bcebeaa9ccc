/*
 * server.c: lbd in the lifecycle frame: metrics, the status port's server
 * table and health, admin actions (server state and weight, at run time,
 * without a reload), listeners per worker, reload and stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "alog.h"
#include "conf.h"
#include "edge.h"
#include "health.h"
#include "hconn.h"
#include "hproxy.h"
#include "http.h"
#include "json.h"
#include "lbd.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "server.h"
#include "status.h"
#include "tcp.h"
#include "topology.h"
#include "upstream.h"
#include "util.h"

struct lb_metrics lb_metrics;

static const char *const lb_admin_names[] = { "ready", "drain", "maint" };

/* /health: 503 when no server at all could take a session. */
static int
lb_health(void *arg, const char **reason)
{
	struct lifecycle *lc = arg;
	const struct lb_conf *c = lc_current(lc)->conf;
	uint64_t now = util_now_ms();
	size_t i;

	for (i = 0; i < c->group->nservers; i++)
		if (upstream_server_usable(c->group->servers[i], now))
			return 1;
	*reason = "no usable server";
	return 0;
}

/* /status: every server with its state, weight and counters. */
static void
lb_status_json(struct json *j, void *arg)
{
	struct lifecycle *lc = arg;
	const struct lb_conf *c = lc_current(lc)->conf;
	uint64_t now = util_now_ms();
	size_t i;

	json_str(j, "mode", c->mode == LB_MODE_TCP ? "tcp" : "http");
	json_array_open(j, "servers");
	for (i = 0; i < c->group->nservers; i++) {
		struct upstream_server *s = c->group->servers[i];
		char addr[NET_ADDR_STRLEN];

		json_object_open(j, NULL);
		json_str(j, "name", s->name);
		json_str(j, "address", addr_format(&s->addr, addr,
		    sizeof(addr)));
		json_str(j, "state", upstream_server_state(s, now));
		json_str(j, "admin", lb_admin_names[atomic_load(&s->admin)]);
		json_bool(j, "backup", s->backup);
		json_int(j, "weight", atomic_load(&s->weight));
		json_int(j, "active", atomic_load(&s->active));
		json_int(j, "connects", (int64_t)atomic_load(&s->n_connects));
		json_int(j, "failures", (int64_t)atomic_load(&s->n_failures));
		if (c->pc.per_server != NULL) {
			json_int(j, "retries",
			    metric_value(c->pc.per_server[i].retries));
			json_int(j, "redispatches",
			    metric_value(c->pc.per_server[i].redispatches));
		}
		lb_health_json(c->checker, i, j);
		json_object_close(j);
	}
	json_array_close(j);
}

/* POST /admin/server?name=web1&state=ready|drain|maint[&weight=N] */
static int
lb_admin_server(void *arg, const char *args, struct evbuffer *reply)
{
	struct lifecycle *lc = arg;
	const struct lb_conf *c = lc_current(lc)->conf;
	struct upstream_server *s;
	char name[128], state[16], weight[16];
	int i, w;

	if (status_args_get(args, "name", name, sizeof(name)) < 0) {
		evbuffer_add_printf(reply, "name= is required\n");
		return 400;
	}
	if ((s = upstream_group_find(c->group, name)) == NULL) {
		evbuffer_add_printf(reply, "no server '%s'\n", name);
		return 404;
	}
	if (status_args_get(args, "state", state, sizeof(state)) >= 0) {
		for (i = 0; i < 3 && strcmp(state, lb_admin_names[i]) != 0; i++)
			;
		if (i == 3) {
			evbuffer_add_printf(reply, "state must be ready, drain "
			    "or maint\n");
			return 400;
		}
		upstream_server_set_admin(s, (enum upstream_admin)i,
		    util_now_ms());
		log_notice("server %s set to %s by admin", s->name, state);
	}
	if (status_args_get(args, "weight", weight, sizeof(weight)) >= 0) {
		w = atoi(weight);
		if (w < 1 || w > UPSTREAM_WEIGHT_MAX) {
			evbuffer_add_printf(reply, "weight must be 1..%d\n",
			    UPSTREAM_WEIGHT_MAX);
			return 400;
		}
		atomic_store(&s->weight, w);
		log_notice("server %s weight %d by admin", s->name, w);
	}
	evbuffer_add_printf(reply, "%s: %s, weight %d\n", s->name,
	    lb_admin_names[atomic_load(&s->admin)], atomic_load(&s->weight));
	return 200;
}

static int
lb_setup(struct lifecycle *lc, char **cause)
{
	struct metrics *m = lc_metrics(lc);

	hconn_metrics_init(&lb_metrics.hm, m);
	lb_metrics.denied = metrics_counter(m, "denied_total",
	    "Connections refused by the allow and deny lists.", NULL);
	lb_metrics.rate_limited = metrics_counter(m, "rate_limited_total",
	    "Requests (or tcp connections) refused by rate_limit.", NULL);
	lb_metrics.conn_limited = metrics_counter(m, "conn_limited_total",
	    "Connections refused by max_conn_per_ip.", NULL);
	hproxy_metrics_init(&lb_metrics.pm, m);
	lb_metrics.sessions_total = metrics_counter(m, "sessions_total",
	    "Client sessions accepted.", NULL);
	lb_metrics.sessions_active = metrics_gauge(m, "sessions_active",
	    "Client sessions open.", NULL);
	lb_metrics.retries = metrics_counter(m, "retries_total",
	    "Connect attempts after a failed one.", NULL);
	lb_metrics.redispatches = metrics_counter(m, "redispatches_total",
	    "Sessions sent to another server after a failure.", NULL);
	lb_metrics.connect_errors = metrics_counter(m,
	    "connect_errors_total", "Failed connects to servers.", NULL);
	lb_metrics.no_server = metrics_counter(m, "no_server_total",
	    "Sessions closed because no server could take them.", NULL);
	lb_metrics.bytes_in = metrics_counter(m, "bytes_in_total",
	    "Bytes from clients.", NULL);
	lb_metrics.bytes_out = metrics_counter(m, "bytes_out_total",
	    "Bytes to clients.", NULL);
	lb_metrics.connect_time = metrics_histogram(m,
	    "connect_duration_microseconds", "Accept to server connected.",
	    NULL, metrics_latency_us_bounds, metrics_latency_us_nbounds);
	lb_metrics.session_time = metrics_histogram(m,
	    "session_duration_microseconds", "Accept to close.", NULL,
	    metrics_latency_us_bounds, metrics_latency_us_nbounds);
	status_set_health_cb(lc_status(lc), lb_health, lc);
	status_set_json_cb(lc_status(lc), lb_status_json, lc);
	if (status_admin_register(lc_status(lc), "server", lb_admin_server,
	    lc) == -1) {
		xasprintf(cause, "cannot register admin actions");
		return -1;
	}
	return 0;
}

/*
 * A reload keeps what operators and failures taught us: a server of the
 * same name keeps its admin state, weight and passive failure state.
 */
static void
lb_carry_state(struct lb_conf *c, const struct lb_conf *old)
{
	struct upstream_server *s, *o;
	size_t i;

	for (i = 0; i < c->group->nservers; i++) {
		s = c->group->servers[i];
		if ((o = upstream_group_find(old->group, s->name)) == NULL)
			continue;
		atomic_store(&s->admin, atomic_load(&o->admin));
		atomic_store(&s->weight, atomic_load(&o->weight));
		atomic_store(&s->fails, atomic_load(&o->fails));
		atomic_store(&s->down_until, atomic_load(&o->down_until));
		/* A check verdict only means something while checks run:
		   without them nothing would ever clear it. */
		if (c->checker != NULL)
			atomic_store(&s->check_down,
			    atomic_load(&o->check_down));
		atomic_store(&s->up_since, atomic_load(&o->up_since));
	}
}

static int
lb_prepare(struct lifecycle *lc, struct lc_gen *gen, struct lc_gen *old,
    char **cause)
{
	struct lb_conf *c = gen->conf;
	const struct lb_conf *oc = old != NULL ? old->conf : NULL;
	size_t i;
	int same;

	if (c->naddrs == 0) {
		xasprintf(cause, "lbd instance %s has no listen address",
		    c->self->name);
		return -1;
	}
	c->pc.registry = lc_metrics(lc);
	c->pc.per_server = hproxy_server_metrics_new(lc_metrics(lc), c->group);
	c->pc.per_server_group = c->group;
	lb_edge_prepare(c, oc);
	/* Checks run on this (main) thread: the old generation's stop
	   here, before it could be freed on a worker. */
	c->checker = lb_health_new(lc_base(lc), c->group, &c->health);
	if (oc != NULL) {
		lb_health_free(oc->checker);
		((struct lb_conf *)oc)->checker = NULL;
	}
	if (oc != NULL)
		lb_carry_state(c, oc);
	/* Same addresses, TLS split and mode: the workers keep theirs. */
	same = oc != NULL && oc->mode == c->mode && oc->naddrs == c->naddrs &&
	    memcmp(c->addr_tls, oc->addr_tls, c->naddrs) == 0;
	/* Plain HTTP: the client speaks, lbd answers (net_listen_opts).
	   Not TLS: a resumed TLS 1.2 handshake ends with the client's
	   flight, which nothing of ours would acknowledge. */
	for (i = 0; i < c->naddrs; i++)
		c->addr_opts[i].delayed_ack = c->mode == LB_MODE_HTTP &&
		    !c->addr_tls[i];
	c->lsn.opts = c->addr_opts;
	c->lsn.nopts = c->naddrs;
	return listeners_prepare(&c->lsn, c->addrs, c->naddrs,
	    same ? oc->addrs : NULL, same ? oc->naddrs : 0,
	    gen->settings.workers, &c->inherit, cause);
}

static void
lb_listen(struct lc_worker *lw, struct lb_worker *w)
{
	struct lb_conf *c = lw->gen->conf;
	net_accept_fn *fns = NULL;
	void *arg = w;
	size_t i;

	if (c->mode == LB_MODE_HTTP) {
		fns = xcalloc(c->naddrs, sizeof(*fns));
		for (i = 0; i < c->naddrs; i++)
			fns[i] = c->addr_tls[i] ? hconn_accept_tls :
			    hconn_accept;
		arg = &w->hw;
	}
	w->listeners = listeners_start(&c->lsn, lw->id, lw->base,
	    lb_tcp_accept, fns, arg, &w->nlisteners);
	free(fns);
	/* hconn pauses the same listeners at its own max_connections. */
	w->hw.listeners = w->listeners;
	w->hw.nlisteners = w->nlisteners;
}

static void
lb_unlisten(struct lb_worker *w)
{
	listeners_stop(&w->listeners, &w->nlisteners);
	w->hw.listeners = NULL;
	w->hw.nlisteners = 0;
}

/* tcp mode: the pool only connects (a session is one connection);
   http mode: idle server connections are kept for the next requests. */
static void
lb_pool(struct lc_worker *lw, struct lb_worker *w)
{
	const struct lb_conf *c = lw->gen->conf;
	struct upstream_pool_conf pc = {
		.max_idle = c->mode == LB_MODE_HTTP && !c->send_proxy ?
		    (int)c->server_keepalive : 0,
		.idle_timeout_ms = 60000,
		.connect_timeout_ms = (uint64_t)c->connect_timeout_ms,
	};

	w->pool = upstream_pool_new(lw->base, c->group, &pc);
}

static int
lb_worker_start(struct lc_worker *lw)
{
	struct lb_worker *w = xcalloc(1, sizeof(*w));

	w->lc = lw;
	hconn_worker_init(&w->hw, lw, &lb_http_ops, &lb_metrics.hm, w,
	    ((struct lb_conf *)lw->gen->conf)->max_connections);
	lw->data = w;
	lb_listen(lw, w);
	lb_pool(lw, w);
	alog_worker_start(&w->alog, lw->base,
	    ((struct lb_conf *)lw->gen->conf)->access);
	return 0;
}

static void
lb_worker_reload(struct lc_worker *lw, struct lc_gen *old)
{
	struct lb_worker *w = lw->data;
	struct lb_conf *c = lw->gen->conf;

	(void)old;
	alog_worker_switch(&w->alog, c->access);
	upstream_pool_free(w->pool);
	lb_pool(lw, w);
	if (!c->inherit) {
		lb_unlisten(w);
		lb_listen(lw, w);
	}
	hconn_worker_reload(&w->hw, NULL, 1, c->max_connections);
}

static void
lb_worker_stop_accept(struct lc_worker *lw)
{
	struct lb_worker *w = lw->data;

	lb_unlisten(w);
	hconn_close_idle(&w->hw);
}

static void
lb_worker_end(struct lc_worker *lw)
{
	struct lb_worker *w = lw->data;

	lb_tcp_close_all(w);
	hconn_close_all(&w->hw);
	lb_unlisten(w);
	upstream_pool_free(w->pool);
	alog_worker_end(&w->alog);
	free(w);
	lw->data = NULL;
}

static void
lb_teardown(struct lifecycle *lc)
{
	struct lb_conf *c = lc_current(lc)->conf;

	lb_health_free(c->checker);
	c->checker = NULL;
}

static void
lb_reopen(struct lifecycle *lc)
{
	alog_reopen(((struct lb_conf *)lc_current(lc)->conf)->access);
}

const struct lc_ops lb_ops = {
	.name = "lbd",
	.load = lb_conf_load,
	.free_conf = lb_conf_free,
	.setup = lb_setup,
	.prepare = lb_prepare,
	.worker_start = lb_worker_start,
	.worker_reload = lb_worker_reload,
	.worker_stop_accept = lb_worker_stop_accept,
	.worker_end = lb_worker_end,
	.reopen = lb_reopen,
	.teardown = lb_teardown,
};
