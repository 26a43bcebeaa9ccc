/*
 * server.c: webd in the lifecycle frame: metrics, listeners per worker
 * (carried over a reload when the addresses did not change, so nothing
 * queued in the kernel is lost), reload and stop. See lifecycle.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "hconn.h"
#include "request.h"
#include "fcache.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "server.h"
#include "topology.h"
#include "upstream.h"
#include "util.h"
#include "webd.h"

struct webd_metrics webd_metrics;
struct metrics *webd_registry;

static int
webd_setup(struct lifecycle *lc, char **cause)
{
	struct metrics *m = lc_metrics(lc);

	webd_registry = m;
	hconn_metrics_init(&webd_metrics.hm, m);
	hproxy_metrics_init(&webd_metrics.pm, m);
	webd_metrics.fcache_hit = metrics_counter(m, "file_cache_hits_total",
	    "Open-file cache hits.", NULL);
	webd_metrics.fcache_miss = metrics_counter(m,
	    "file_cache_misses_total", "Open-file cache misses.", NULL);
	return 0;
}

/* One SO_REUSEPORT socket per worker and address, made while privileged. */
static int
webd_prepare(struct lifecycle *lc, struct lc_gen *gen, struct lc_gen *old,
    char **cause)
{
	struct webd_conf *c = gen->conf;
	const struct webd_conf *oc = old != NULL ? old->conf : NULL;
	size_t i;

	for (i = 0; i < c->routes.n; i++)
		((struct webd_route *)c->routes.v)[i].pc.registry =
		    webd_registry;
	c->lsn.opts = &hconn_listen_opts;
	c->lsn.nopts = 1;
	return listeners_prepare_self(&c->lsn, c->self,
	    oc != NULL ? oc->self : NULL, gen->settings.workers, &c->inherit,
	    cause);
}

/* One connection pool per route, on this worker's loop. */
static void
webd_pools(struct lc_worker *lw, struct webd_worker *w)
{
	const struct webd_conf *c = lw->gen->conf;
	const struct webd_route *rt = c->routes.v;
	struct upstream_pool_conf pc = {
		.max_idle = (int)c->upstream_keepalive,
		.idle_timeout_ms = 60000,
		.connect_timeout_ms = (uint64_t)c->upstream_connect_timeout_ms,
	};
	size_t i;

	w->npools = c->routes.n;
	w->pools = w->npools ? xcalloc(w->npools, sizeof(*w->pools)) : NULL;
	for (i = 0; i < w->npools; i++)
		w->pools[i] = upstream_pool_new(lw->base, rt[i].group, &pc);
}

/* Idle connections close now; busy ones live on with their requests. */
static void
webd_unpool(struct webd_worker *w)
{
	size_t i;

	for (i = 0; i < w->npools; i++)
		upstream_pool_free(w->pools[i]);
	free(w->pools);
	w->pools = NULL;
	w->npools = 0;
}

static int
webd_worker_start(struct lc_worker *lw)
{
	struct webd_worker *w = xcalloc(1, sizeof(*w));
	struct webd_conf *c = lw->gen->conf;

	w->lc = lw;
	hconn_worker_init(&w->hw, lw, &webd_hconn_ops, &webd_metrics.hm, w,
	    c->srv.max_connections);
	lw->data = w;
	w->fcache = webd_fcache_new((size_t)c->open_file_cache_max);
	hconn_listen(&w->hw, &c->lsn);
	webd_pools(lw, w);
	alog_worker_start(&w->alog, lw->base, c->access);
	return 0;
}

static void
webd_worker_reload(struct lc_worker *lw, struct lc_gen *old)
{
	struct webd_worker *w = lw->data;
	struct webd_conf *c = lw->gen->conf;

	(void)old;
	alog_worker_switch(&w->alog, c->access);
	/* Another root or cache size: start the file cache afresh. */
	webd_fcache_free(w->fcache);
	w->fcache = webd_fcache_new((size_t)c->open_file_cache_max);
	webd_unpool(w);
	webd_pools(lw, w);
	hconn_worker_reload(&w->hw, &c->lsn, c->inherit, c->srv.max_connections);
}

static void
webd_worker_stop_accept(struct lc_worker *lw)
{
	struct webd_worker *w = lw->data;

	hconn_unlisten(&w->hw);
	/* Idle keep-alive connections are closed now; busy ones finish. */
	hconn_close_idle(&w->hw);
}

static void
webd_worker_end(struct lc_worker *lw)
{
	struct webd_worker *w = lw->data;

	hconn_close_all(&w->hw);
	hconn_unlisten(&w->hw);
	webd_unpool(w);
	alog_worker_end(&w->alog);
	webd_fcache_free(w->fcache);
	free(w);
	lw->data = NULL;
}

static void
webd_reopen(struct lifecycle *lc)
{
	struct webd_conf *c = lc_current(lc)->conf;

	alog_reopen(c->access);
}

const struct lc_ops webd_ops = {
	.name = "webd",
	.load = webd_conf_load,
	.free_conf = webd_conf_free,
	.setup = webd_setup,
	.prepare = webd_prepare,
	.worker_start = webd_worker_start,
	.worker_reload = webd_worker_reload,
	.worker_stop_accept = webd_worker_stop_accept,
	.worker_end = webd_worker_end,
	.reopen = webd_reopen,
};
