/*
 * upstream.c: server groups, selection algorithms and passive failure
 * marking (see upstream.h; pools are in upstream_pool.c).
 *
 * Round robin is nginx's smooth weighted round robin: on each pick every
 * candidate's current weight grows by its weight, the largest wins and
 * loses the sum. Weights {5,1,1} give "a a b a c a a", spread out rather
 * than "a a a a a b c". The current weights are per worker (struct
 * upstream_sel), so picking takes no lock; each worker interleaves its
 * own sequence, and the sum over workers keeps the weight ratios.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "upstream.h"
#include "util.h"

struct upstream_group *
upstream_group_new(const char *name, enum upstream_algo algo, int max_fails,
    uint64_t fail_timeout_ms)
{
	struct upstream_group *g;

	g = xcalloc(1, sizeof(*g));
	g->name = xstrdup(name);
	g->algo = algo;
	g->max_fails = max_fails > 0 ? max_fails : 0;
	g->fail_timeout_ms = fail_timeout_ms;
	atomic_init(&g->refs, 1);
	return g;
}

struct upstream_server *
upstream_group_add(struct upstream_group *g, const char *name,
    const struct net_addr *addr, int weight, int backup)
{
	struct upstream_server *s;

	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->addr = *addr;
	s->backup = backup != 0;
	s->group = g;
	s->index = g->nservers;
	atomic_init(&s->weight, weight < 1 ? 1 :
	    MINIMUM(weight, UPSTREAM_WEIGHT_MAX));
	atomic_init(&s->admin, UPSTREAM_ADMIN_READY);
	g->servers = xreallocarray(g->servers, g->nservers + 1,
	    sizeof(*g->servers));
	g->servers[g->nservers++] = s;
	return s;
}

struct upstream_group *
upstream_group_ref(struct upstream_group *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	return g;
}

void
upstream_group_unref(struct upstream_group *g)
{
	size_t i;

	if (g == NULL ||
	    atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (i = 0; i < g->nservers; i++) {
		free(g->servers[i]->name);
		free(g->servers[i]);
	}
	free(g->servers);
	free(g->name);
	free(g);
}

struct upstream_server *
upstream_group_find(const struct upstream_group *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nservers; i++)
		if (strcmp(g->servers[i]->name, name) == 0)
			return g->servers[i];
	return NULL;
}

/* ---- state ------------------------------------------------------------ */

int
upstream_server_usable(const struct upstream_server *s, uint64_t now_ms)
{
	uint64_t until;

	if (atomic_load_explicit(&s->admin, memory_order_relaxed) !=
	    UPSTREAM_ADMIN_READY ||
	    atomic_load_explicit(&s->check_down, memory_order_relaxed) ||
	    atomic_load_explicit(&s->weight, memory_order_relaxed) <= 0)
		return 0;
	until = atomic_load_explicit(&s->down_until, memory_order_relaxed);
	return until == 0 || now_ms >= until;
}

void
upstream_server_failed(struct upstream_server *s, uint64_t now_ms)
{
	const struct upstream_group *g = s->group;
	char buf[NET_ADDR_STRLEN];
	uint64_t old;
	int n;

	atomic_fetch_add_explicit(&s->n_failures, 1, memory_order_relaxed);
	n = atomic_fetch_add_explicit(&s->fails, 1, memory_order_relaxed) + 1;
	if (g->max_fails == 0 || n < g->max_fails)
		return;
	old = atomic_exchange(&s->down_until, now_ms + g->fail_timeout_ms);
	/* Log when it goes from usable to down, not on every failure. */
	if (old == 0 || old <= now_ms)
		log_warnx("upstream %s: server %s (%s) marked down for %llu ms "
		    "after %d failures", g->name, s->name,
		    addr_format(&s->addr, buf, sizeof(buf)),
		    (unsigned long long)g->fail_timeout_ms, n);
}

void
upstream_server_ok(struct upstream_server *s)
{
	char buf[NET_ADDR_STRLEN];

	if (atomic_load_explicit(&s->fails, memory_order_relaxed) != 0)
		atomic_store_explicit(&s->fails, 0, memory_order_relaxed);
	if (atomic_load_explicit(&s->down_until, memory_order_relaxed) != 0 &&
	    atomic_exchange(&s->down_until, 0) != 0)
		log_info("upstream %s: server %s (%s) is up again",
		    s->group->name, s->name,
		    addr_format(&s->addr, buf, sizeof(buf)));
}

const char *
upstream_server_state(const struct upstream_server *s, uint64_t now_ms)
{
	switch (atomic_load(&s->admin)) {
	case UPSTREAM_ADMIN_DRAIN:
		return "drain";
	case UPSTREAM_ADMIN_MAINT:
		return "maint";
	}
	if (atomic_load(&s->check_down))
		return "check-down";
	return upstream_server_usable(s, now_ms) ? "up" : "down";
}

/* ---- selection -------------------------------------------------------- */

void
upstream_sel_init(struct upstream_sel *sel, const struct upstream_group *g)
{
	sel->n = g->nservers;
	sel->cw = xcalloc(MAXIMUM(sel->n, 1), sizeof(*sel->cw));
	sel->mark = xcalloc(MAXIMUM(sel->n, 1), sizeof(*sel->mark));
}

void
upstream_sel_free(struct upstream_sel *sel)
{
	free(sel->cw);
	free(sel->mark);
	sel->cw = NULL;
	sel->mark = NULL;
	sel->n = 0;
}

/*
 * Marks the usable servers of one tier (backup or not) in sel->mark,
 * leaving out avoid. Returns how many.
 */
static size_t
upstream_mark(const struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, int backup, uint64_t now_ms)
{
	const struct upstream_server *s;
	size_t i, n = 0;

	for (i = 0; i < sel->n; i++) {
		s = g->servers[i];
		sel->mark[i] = s != avoid && s->backup == backup &&
		    upstream_server_usable(s, now_ms);
		n += sel->mark[i];
	}
	return n;
}

/*
 * Marks the candidates: the first tier with a usable server, avoid left
 * out unless it is that tier's only one. Returns 0 when none is usable.
 */
static size_t
upstream_candidates(const struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	size_t n;
	int backup;

	for (backup = 0; backup <= 1; backup++) {
		if ((n = upstream_mark(g, sel, avoid, backup, now_ms)) > 0)
			return n;
		if (avoid != NULL && avoid->backup == backup &&
		    (n = upstream_mark(g, sel, NULL, backup, now_ms)) > 0)
			return n;
	}
	return 0;
}

/* nginx's smooth weighted round robin over the marked servers. */
static struct upstream_server *
upstream_swrr(struct upstream_group *g, struct upstream_sel *sel)
{
	size_t i, best = SIZE_MAX;
	int64_t total = 0;
	int w;

	for (i = 0; i < sel->n; i++) {
		if (!sel->mark[i])
			continue;
		w = atomic_load_explicit(&g->servers[i]->weight,
		    memory_order_relaxed);
		sel->cw[i] += w;
		total += w;
		if (best == SIZE_MAX || sel->cw[i] > sel->cw[best])
			best = i;
	}
	if (best == SIZE_MAX)
		return NULL;
	sel->cw[best] -= total;
	return g->servers[best];
}

struct upstream_server *
upstream_select_rr(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	if (upstream_candidates(g, sel, avoid, now_ms) == 0)
		return NULL;
	return upstream_swrr(g, sel);
}

/*
 * Keeps marked only the servers with the fewest active connections per
 * unit of weight (a/w < b/w' compared as a*w' < b*w, no division).
 */
static void
upstream_keep_least(const struct upstream_group *g, struct upstream_sel *sel)
{
	int64_t ba = 0, bw = 1, a, w;
	size_t i, best = SIZE_MAX;

	for (i = 0; i < sel->n; i++) {
		if (!sel->mark[i])
			continue;
		a = atomic_load_explicit(&g->servers[i]->active,
		    memory_order_relaxed);
		w = atomic_load_explicit(&g->servers[i]->weight,
		    memory_order_relaxed);
		if (best == SIZE_MAX || a * bw < ba * w) {
			ba = a;
			bw = w;
			best = i;
		}
	}
	for (i = 0; i < sel->n; i++) {
		if (!sel->mark[i] || i == best)
			continue;
		/* Counts move under other workers: best stays marked. */
		a = atomic_load_explicit(&g->servers[i]->active,
		    memory_order_relaxed);
		w = atomic_load_explicit(&g->servers[i]->weight,
		    memory_order_relaxed);
		sel->mark[i] = a * bw == ba * w;
	}
}

struct upstream_server *
upstream_select_leastconn(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	if (upstream_candidates(g, sel, avoid, now_ms) == 0)
		return NULL;
	upstream_keep_least(g, sel);
	/* Ties: weighted round robin, so heavier servers win more of them. */
	return upstream_swrr(g, sel);
}

struct upstream_server *
upstream_select(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	switch (g->algo) {
	case UPSTREAM_LEASTCONN:
		return upstream_select_leastconn(g, sel, avoid, now_ms);
	case UPSTREAM_ROUNDROBIN:
		break;
	}
	return upstream_select_rr(g, sel, avoid, now_ms);
}
