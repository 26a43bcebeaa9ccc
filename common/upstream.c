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
 *
 * Every algorithm uses effective weights (upstream_server_eweight): the
 * weight times UPSTREAM_WSCALE, ramped during a server's slowstart. SWRR
 * and the load comparisons are scale-free, so the scale changes no order.
 *
 * Backups: with g->allbackups (the default, nginx's behaviour) every
 * usable backup shares the load once no active server is usable; without
 * it (HAProxy's default) only the first usable one in table order does.
 */
#include <sys/random.h>

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
	g->allbackups = 1;
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
	s->cfg_weight = weight < 1 ? 1 : MINIMUM(weight, UPSTREAM_WEIGHT_MAX);
	atomic_init(&s->weight, s->cfg_weight);
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
	upstream_ring_free(atomic_load(&g->ring));
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
	/* Back on trial at down_until: slowstart ramps from then. */
	atomic_store_explicit(&s->up_since, now_ms + g->fail_timeout_ms,
	    memory_order_relaxed);
	/* Log when it goes from usable to down, not on every failure. */
	if (old == 0 || old <= now_ms)
		log_warnx("upstream %s: server %s (%s) marked down for %llu ms "
		    "after %d failures", g->name, s->name,
		    addr_format(&s->addr, buf, sizeof(buf)),
		    (unsigned long long)g->fail_timeout_ms, n);
}

void
upstream_server_ride(struct upstream_server *s, int on)
{
	if (on)
		atomic_fetch_add_explicit(&s->active, 1, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&s->active, 1, memory_order_relaxed);
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

enum upstream_admin
upstream_server_set_admin(struct upstream_server *s, enum upstream_admin admin,
    uint64_t now_ms)
{
	enum upstream_admin old;

	old = (enum upstream_admin)atomic_exchange(&s->admin, (int)admin);
	if (old != UPSTREAM_ADMIN_READY && admin == UPSTREAM_ADMIN_READY)
		atomic_store(&s->up_since, now_ms);
	return old;
}

int
upstream_server_set_check(struct upstream_server *s, int down,
    uint64_t now_ms)
{
	int old;

	old = atomic_exchange(&s->check_down, down != 0);
	if (old && !down)
		atomic_store(&s->up_since, now_ms);
	return old;
}

int
upstream_server_eweight(const struct upstream_server *s, uint64_t now_ms)
{
	int64_t w, ew;
	uint64_t since, ss = s->slowstart_ms;

	w = (int64_t)atomic_load_explicit(&s->weight, memory_order_relaxed) *
	    UPSTREAM_WSCALE;
	if (ss == 0)
		return (int)w;
	since = atomic_load_explicit(&s->up_since, memory_order_relaxed);
	if (since == 0 || now_ms >= since + ss)
		return (int)w;
	/* Before up_since (a success ended a passive mark early): ~0. */
	ew = now_ms > since ? (w * (int64_t)(now_ms - since) +
	    (int64_t)ss - 1) / (int64_t)ss : 0;
	return (int)MAXIMUM(ew, 1);
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
upstream_sel_init(struct upstream_sel *sel, struct upstream_group *g)
{
	uint64_t seed;

	upstream_group_seal(g);
	sel->n = g->nservers;
	sel->cw = xcalloc(MAXIMUM(sel->n, 1), sizeof(*sel->cw));
	sel->mark = xcalloc(MAXIMUM(sel->n, 1), sizeof(*sel->mark));
	sel->limit = xcalloc(MAXIMUM(sel->n, 1), sizeof(*sel->limit));
	/* 8 bytes never block once the pool is ready; else the clock. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(seed))
		seed = util_now_us() ^ (uint64_t)(uintptr_t)sel;
	upstream_sel_seed(sel, seed);
}

void
upstream_sel_free(struct upstream_sel *sel)
{
	free(sel->cw);
	free(sel->mark);
	free(sel->limit);
	sel->cw = NULL;
	sel->mark = NULL;
	sel->limit = NULL;
	sel->n = 0;
}

void
upstream_sel_seed(struct upstream_sel *sel, uint64_t seed)
{
	sel->rng = seed;
}

/*
 * splitmix64 (Steele, Lea, Flood 2014): one add and three multiply-xor
 * steps, statistically sound for picking servers, and its whole state is
 * one word of the per-worker sel, so workers never share it.
 */
static uint64_t
upstream_rand(struct upstream_sel *sel)
{
	uint64_t z;

	z = (sel->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
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

/* Without allbackups, keeps marked only the first marked backup. */
static size_t
upstream_first_backup(struct upstream_sel *sel)
{
	size_t i, kept = 0;

	for (i = 0; i < sel->n; i++) {
		if (kept)
			sel->mark[i] = 0;
		kept |= sel->mark[i];
	}
	return kept;
}

/*
 * Marks the candidates: the first tier with a usable server, avoid left
 * out unless it is that tier's only one; among backups, all or the first
 * (g->allbackups). Returns 0 when none is usable.
 */
/* A server at maxconn takes nothing new (its requests wait). */
static int
upstream_full(const struct upstream_group *g, const struct upstream_server *s)
{
	return g->maxconn > 0 &&
	    atomic_load_explicit(&s->active, memory_order_relaxed) >= g->maxconn;
}

/* Usable servers of a tier, full or not. */
static size_t
upstream_tier_usable(const struct upstream_group *g, int backup,
    uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < g->nservers; i++)
		n += g->servers[i]->backup == backup &&
		    upstream_server_usable(g->servers[i], now_ms);
	return n;
}

/* Drops the full servers from the marks; returns how many stay. */
static size_t
upstream_unmark_full(const struct upstream_group *g, struct upstream_sel *sel)
{
	size_t i, n = 0;

	for (i = 0; i < sel->n; i++) {
		if (sel->mark[i] && upstream_full(g, g->servers[i]))
			sel->mark[i] = 0;
		n += sel->mark[i];
	}
	return n;
}

/*
 * The candidates: the usable actives, else the usable backups (the first
 * one without allbackups). Full servers are left out, but a tier whose
 * usable servers are all full is still the tier in use: its requests
 * wait rather than spill over to the backups (as HAProxy queues).
 */
static size_t
upstream_candidates(const struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	size_t n;
	int backup;

	for (backup = 0; backup <= 1; backup++) {
		if ((n = upstream_mark(g, sel, avoid, backup, now_ms)) == 0 &&
		    avoid != NULL && avoid->backup == backup)
			n = upstream_mark(g, sel, NULL, backup, now_ms);
		if (n > 0 && backup && !g->allbackups)
			n = upstream_first_backup(sel);
		if (n > 0)
			return upstream_unmark_full(g, sel);
		if (upstream_tier_usable(g, backup, now_ms) > 0)
			return 0;
	}
	return 0;
}

int
upstream_group_full(const struct upstream_group *g, uint64_t now_ms)
{
	size_t i, usable = 0;
	int backup;

	if (g->maxconn <= 0)
		return 0;
	for (backup = 0; backup <= 1 && usable == 0; backup++)
		for (i = 0; i < g->nservers; i++) {
			const struct upstream_server *s = g->servers[i];

			if (s->backup != backup ||
			    !upstream_server_usable(s, now_ms))
				continue;
			usable++;
			if (!upstream_full(g, s))
				return 0;
		}
	return usable > 0;
}

/* nginx's smooth weighted round robin over the marked servers. */
static struct upstream_server *
upstream_swrr(struct upstream_group *g, struct upstream_sel *sel,
    uint64_t now_ms)
{
	size_t i, best = SIZE_MAX;
	int64_t total = 0;
	int w;

	for (i = 0; i < sel->n; i++) {
		if (!sel->mark[i])
			continue;
		w = upstream_server_eweight(g->servers[i], now_ms);
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
	return upstream_swrr(g, sel, now_ms);
}

/*
 * 1 when s carries less load than t: fewer active connections per unit
 * of effective weight (a/w < b/v compared as a*v < b*w, no division).
 */
static int
upstream_less_loaded(const struct upstream_server *s,
    const struct upstream_server *t, uint64_t now_ms)
{
	int64_t a, b;

	a = atomic_load_explicit(&s->active, memory_order_relaxed);
	b = atomic_load_explicit(&t->active, memory_order_relaxed);
	return a * upstream_server_eweight(t, now_ms) <
	    b * upstream_server_eweight(s, now_ms);
}

/* Keeps marked only the servers with the least load (ties all stay). */
static void
upstream_keep_least(const struct upstream_group *g, struct upstream_sel *sel,
    uint64_t now_ms)
{
	size_t i, best = SIZE_MAX;

	for (i = 0; i < sel->n; i++)
		if (sel->mark[i] && (best == SIZE_MAX ||
		    upstream_less_loaded(g->servers[i], g->servers[best],
		    now_ms)))
			best = i;
	/* Counts move under other workers: best stays marked. */
	for (i = 0; i < sel->n; i++)
		if (sel->mark[i] && i != best)
			sel->mark[i] = !upstream_less_loaded(g->servers[best],
			    g->servers[i], now_ms);
}

struct upstream_server *
upstream_select_leastconn(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	if (upstream_candidates(g, sel, avoid, now_ms) == 0)
		return NULL;
	upstream_keep_least(g, sel, now_ms);
	/* Ties: weighted round robin, so heavier servers win more of them. */
	return upstream_swrr(g, sel, now_ms);
}

/*
 * One marked server drawn at random in proportion to its effective
 * weight; it is unmarked so that a second draw gets another. total is
 * the marked servers' effective weight sum, and shrinks accordingly.
 */
static struct upstream_server *
upstream_draw(struct upstream_group *g, struct upstream_sel *sel,
    int64_t *total, uint64_t now_ms)
{
	uint64_t r;
	size_t i, last = SIZE_MAX;
	int w;

	/* Lemire's multiply-shift: uniform in [0, total), no division. */
	r = ((upstream_rand(sel) >> 32) * (uint64_t)*total) >> 32;
	for (i = 0; i < sel->n; i++) {
		if (!sel->mark[i])
			continue;
		last = i;
		w = upstream_server_eweight(g->servers[i], now_ms);
		if (r < (uint64_t)w)
			break;
		r -= (uint64_t)w;
	}
	/* Weights moved under us since total was summed: take the last. */
	if (i == sel->n)
		i = last;
	sel->mark[i] = 0;
	*total -= upstream_server_eweight(g->servers[i], now_ms);
	return g->servers[i];
}

struct upstream_server *
upstream_select_random(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	struct upstream_server *a, *b;
	int64_t total = 0;
	size_t i, n;

	if ((n = upstream_candidates(g, sel, avoid, now_ms)) == 0)
		return NULL;
	for (i = 0; i < sel->n; i++)
		if (sel->mark[i])
			total += upstream_server_eweight(g->servers[i], now_ms);
	a = upstream_draw(g, sel, &total, now_ms);
	if (n == 1 || total <= 0)
		return a;
	b = upstream_draw(g, sel, &total, now_ms);
	return upstream_less_loaded(b, a, now_ms) ? b : a;
}

struct upstream_server *
upstream_select_hash(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms,
    const struct upstream_key *key)
{
	struct upstream_ring *ring;
	uint32_t h;

	ring = atomic_load_explicit(&g->ring, memory_order_acquire);
	if (ring == NULL || upstream_hash_key(g, key, &h) == -1)
		return upstream_select_rr(g, sel, avoid, now_ms);
	if (upstream_candidates(g, sel, avoid, now_ms) == 0)
		return NULL;
	return upstream_ring_lookup(g, ring, sel, h, now_ms);
}

struct upstream_server *
upstream_select_key(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms,
    const struct upstream_key *key)
{
	switch (g->algo) {
	case UPSTREAM_LEASTCONN:
		return upstream_select_leastconn(g, sel, avoid, now_ms);
	case UPSTREAM_RANDOM:
		return upstream_select_random(g, sel, avoid, now_ms);
	case UPSTREAM_SOURCE:
	case UPSTREAM_URI:
		return upstream_select_hash(g, sel, avoid, now_ms, key);
	case UPSTREAM_ROUNDROBIN:
		break;
	}
	return upstream_select_rr(g, sel, avoid, now_ms);
}

struct upstream_server *
upstream_select(struct upstream_group *g, struct upstream_sel *sel,
    const struct upstream_server *avoid, uint64_t now_ms)
{
	return upstream_select_key(g, sel, avoid, now_ms, NULL);
}
