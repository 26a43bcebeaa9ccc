/*
 * server.c: appd's master in the lifecycle frame: HTTP listeners on each
 * event-loop thread (common/hconn, as webd), one pool of worker processes
 * per app and thread, metrics, reload and stop. See lifecycle.h.
 *
 * Reload: each thread starts new pools for the new generation (new
 * workers, with the new configuration) and retires the old ones: their
 * idle workers stop at once, busy ones after their request, and their
 * queued requests move to the new pool of the same app. No request is
 * dropped.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "appd.h"
#include "conf.h"
#include "direct_pool.h"
#include "hconn.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "pool.h"
#include "request.h"
#include "server.h"
#include "status.h"
#include "topology.h"
#include "util.h"

struct hconn_metrics appd_hconn_metrics;
struct metrics *appd_registry;

/* One app in /status: its settings and its live numbers. */
static void
appd_status_app(struct json *j, const struct appd_app *a)
{
	struct appd_app_metrics *m = pool_metrics(a->name);
	char buf[NET_ADDR_STRLEN];
	size_t i;

	json_object_open(j, NULL);
	json_str(j, "name", a->name);
	json_str(j, "kind", appd_kind_names[a->kind]);
	json_str(j, "pm", appd_pm_names[a->pm]);
	json_int(j, "max_children", a->max_children);
	json_int(j, "max_requests", a->max_requests);
	json_int(j, "queue_size", a->queue);
	json_array_open(j, "routes");
	for (i = 0; i < a->routes.n; i++)
		json_str(j, NULL, a->routes.v[i]);
	json_array_close(j);
	json_array_open(j, "listen");	/* its own; [] for the master's */
	for (i = 0; i < a->nladdrs; i++)
		json_str(j, NULL, addr_format(&a->laddrs[i], buf, sizeof(buf)));
	json_array_close(j);
	json_int(j, "workers", metric_value(m->running));
	json_int(j, "idle", metric_value(m->idle));
	json_int(j, "busy", metric_value(m->busy));
	json_int(j, "queue", metric_value(m->queued));
	json_int(j, "requests", metric_value(m->requests));
	json_int(j, "errors", metric_value(m->errors));
	json_int(j, "timeouts", metric_value(m->timeouts));
	json_int(j, "crashes", metric_value(m->crashes));
	json_int(j, "recycles", metric_value(m->recycles));
	json_int(j, "rejections", metric_value(m->rejections));
	json_int(j, "latency_p99_us", metric_quantile(m->latency, 0.99));
	json_object_close(j);
	free(m);
}

/* /status: an "apps" list (the current generation's). */
static void
appd_status_json(struct json *j, void *arg)
{
	const struct appd_conf *c = lc_current(arg)->conf;
	const struct appd_app *a = c->apps.v;
	size_t i;

	json_array_open(j, "apps");
	for (i = 0; i < c->apps.n; i++)
		appd_status_app(j, &a[i]);
	json_array_close(j);
}

static int
appd_setup(struct lifecycle *lc, char **cause)
{
	appd_registry = lc_metrics(lc);
	hconn_metrics_init(&appd_hconn_metrics, appd_registry);
	status_set_json_cb(lc_status(lc), appd_status_json, lc);
	return 0;
}

/* One SO_REUSEPORT socket per worker and address, made while privileged. */
static int
appd_prepare(struct lifecycle *lc, struct lc_gen *gen, struct lc_gen *old,
    char **cause)
{
	struct appd_conf *c = gen->conf;
	const struct appd_conf *oc = old != NULL ? old->conf : NULL;

	if (direct_bind(c, oc, cause) == -1)
		return -1;
	c->lsn.opts = &hconn_listen_opts;
	c->lsn.nopts = 1;
	return listeners_prepare_self(&c->lsn, c->self,
	    oc != NULL ? oc->self : NULL, gen->settings.workers, &c->inherit,
	    cause);
}

/* A pool per app of the worker's generation. */
static void
appd_pools(struct lc_worker *lw, struct appd_worker *w)
{
	const struct appd_conf *c = lw->gen->conf;
	const struct appd_app *a = c->apps.v;
	size_t i;

	w->npools = c->apps.n;
	w->pools = w->npools ? xcalloc(w->npools, sizeof(*w->pools)) : NULL;
	for (i = 0; i < w->npools; i++)
		w->pools[i] = pool_new(w, lw->gen, &a[i]);
}

static int
appd_worker_start(struct lc_worker *lw)
{
	struct appd_worker *w = xcalloc(1, sizeof(*w));
	struct appd_conf *c = lw->gen->conf;

	w->lc = lw;
	hconn_worker_init(&w->hw, lw, &appd_hconn_ops, &appd_hconn_metrics, w,
	    c->srv.max_connections);
	lw->data = w;
	hconn_listen(&w->hw, &c->lsn);
	appd_pools(lw, w);
	alog_worker_start(&w->alog, lw->base, c->access);
	return 0;
}

/* New pools for the new generation; the old ones drain. */
static void
appd_worker_reload(struct lc_worker *lw, struct lc_gen *old)
{
	struct appd_worker *w = lw->data;
	struct appd_conf *c = lw->gen->conf;
	struct appd_pool **oldp = w->pools, *next;
	size_t i, k, n = w->npools;

	(void)old;
	alog_worker_switch(&w->alog, c->access);
	appd_pools(lw, w);
	for (i = 0; i < n; i++) {
		next = NULL;
		for (k = 0; k < w->npools; k++)
			if (strcmp(w->pools[k]->app->name,
			    oldp[i]->app->name) == 0)
				next = w->pools[k];
		pool_retire(oldp[i], next);
	}
	free(oldp);
	hconn_worker_reload(&w->hw, &c->lsn, c->inherit, c->srv.max_connections);
}

static void
appd_worker_stop_accept(struct lc_worker *lw)
{
	struct appd_worker *w = lw->data;

	hconn_unlisten(&w->hw);
	hconn_close_idle(&w->hw);
}

static void
appd_worker_end(struct lc_worker *lw)
{
	struct appd_worker *w = lw->data;
	size_t i;

	hconn_close_all(&w->hw);
	hconn_unlisten(&w->hw);
	for (i = 0; i < w->npools; i++)
		pool_shutdown(w->pools[i]);
	free(w->pools);
	while (w->retired != NULL)
		pool_shutdown(w->retired);
	alog_worker_end(&w->alog);
	free(w);
	lw->data = NULL;
}

static void
appd_reopen(struct lifecycle *lc)
{
	struct appd_conf *c = lc_current(lc)->conf;

	alog_reopen(c->access);
	direct_reopen();	/* workers with their own listen */
}

const struct lc_ops appd_ops = {
	.name = "appd",
	.load = appd_conf_load,
	.free_conf = appd_conf_free,
	.setup = appd_setup,
	.prepare = appd_prepare,
	.worker_start = appd_worker_start,
	.worker_reload = appd_worker_reload,
	.worker_stop_accept = appd_worker_stop_accept,
	.worker_end = appd_worker_end,
	.reopen = appd_reopen,
};
