/*
 * pool.c: a worker's connections to one server (see pool.h). The counts
 * are the worker's own; the server's atomics sum them over the workers
 * for the status page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "session.h"
#include "share.h"
#include "util.h"

/* The dialect pre-opened before any session came: what the mariadb CLI,
   Connector/C and sysbench ask for. */
#define DBP_DEFAULT_DIALECT (DBP_CLIENT_LONG_FLAG | \
	DBP_CLIENT_MULTI_STATEMENTS | DBP_CLIENT_MULTI_RESULTS | \
	DBP_CLIENT_PS_MULTI_RESULTS)

/* The configuration of the worker's current generation. */
static const struct dbproxyd_conf *
dbp_pool_conf(const struct dbp_pool *p)
{
	return p->w->lc->gen->conf;
}

struct dbp_pool *
dbp_pool_new(struct dbp_worker *w, struct dbp_server *srv)
{
	struct dbp_pool *p = xcalloc(1, sizeof(*p));

	p->w = w;
	p->srv = srv;
	p->caps = DBP_DEFAULT_DIALECT;
	p->charset = 45;
	TAILQ_INIT(&p->idle);
	TAILQ_INIT(&p->shared);
	TAILQ_INIT(&p->all);
	TAILQ_INIT(&p->waiters);
	return p;
}

void
dbp_pool_free(struct dbp_pool *p)
{
	struct dbp_backend *be;

	if (p == NULL)
		return;
	while ((be = TAILQ_FIRST(&p->all)) != NULL)
		if (be->queued > 0)
			dbp_share_lost(be);
		else
			dbp_pool_close(be);
	free(p);
}

/* A new connection (counted as opening); 0, or -1 if it failed at once. */
static int
dbp_pool_open(struct dbp_pool *p, uint32_t caps, uint8_t charset)
{
	struct dbp_backend *be;

	if ((be = dbp_backend_open(p, caps, charset)) == NULL) {
		atomic_fetch_add(&p->srv->connect_failures, 1);
		return -1;
	}
	TAILQ_INSERT_TAIL(&p->all, be, all_link);
	p->total++;
	p->opening++;
	atomic_fetch_add(&p->srv->pool_opening, 1);
	metric_inc(dbp_metrics.backend_connects);
	return 0;
}

void
dbp_pool_fill(struct dbp_pool *p)
{
	const struct dbproxyd_conf *c = dbp_pool_conf(p);

	if (atomic_load(&p->srv->state) == DBP_DOWN)
		return;
	while (p->total < c->pool_min && p->total < c->pool_max)
		if (dbp_pool_open(p, p->caps, p->charset) == -1)
			break;
}

/* Can be serve s? The same dialect and character set, and no
   database chosen on it unless s chooses its own. */
static int
dbp_pool_match(const struct dbp_backend *be, const struct dbp_session *s)
{
	return be->caps == (s->caps & DBP_DIALECT_CAPS) &&
	    be->charset == s->charset && (!be->has_db || s->uses_db);
}

/* Takes be out of the idle list for s. */
static struct dbp_backend *
dbp_pool_take(struct dbp_pool *p, struct dbp_backend *be,
    struct dbp_session *s)
{
	TAILQ_REMOVE(&p->idle, be, link);
	atomic_fetch_sub(&p->srv->pool_idle, 1);
	atomic_fetch_add(&p->srv->pool_busy, 1);
	be->state = DBP_BE_BUSY;
	be->owner = s;
	be->applied = 0;
	be->nstmts = 0;
	return be;
}

/* At the cap, what may close to make room for s's connection: an idle
   one of another dialect, or a shared one with nothing queued. */
static struct dbp_backend *
dbp_pool_victim(struct dbp_pool *p, const struct dbp_session *s)
{
	struct dbp_backend *be;

	TAILQ_FOREACH(be, &p->idle, link)
		if (!dbp_pool_match(be, s))
			return be;
	TAILQ_FOREACH(be, &p->shared, link)
		if (be->queued == 0)
			return be;
	return NULL;
}

struct dbp_backend *
dbp_pool_get(struct dbp_pool *p, struct dbp_session *s)
{
	const struct dbproxyd_conf *c = dbp_pool_conf(p);
	struct dbp_backend *be, *victim;

	TAILQ_FOREACH(be, &p->idle, link)
		if (dbp_pool_match(be, s))
			return dbp_pool_take(p, be, s);
	p->caps = s->caps & DBP_DIALECT_CAPS;
	p->charset = s->charset;
	TAILQ_INSERT_TAIL(&p->waiters, s, wait_link);
	atomic_fetch_add(&p->srv->pool_waiting, 1);
	if (p->total >= c->pool_max && (victim = dbp_pool_victim(p, s)) !=
	    NULL)
		dbp_pool_close(victim);
	if (p->total < c->pool_max)
		dbp_pool_open(p, p->caps, p->charset);
	return NULL;
}

void
dbp_pool_to_shared(struct dbp_backend *be)
{
	TAILQ_INSERT_TAIL(&be->pool->shared, be, link);
	atomic_fetch_add(&be->pool->srv->pool_shared, 1);
	be->state = DBP_BE_SHARED;
	be->owner = NULL;
	be->idle_since_ms = util_now_ms();
}

/* A shared connection nobody has used for this long is closed (the
   pool's tick): its server thread and statements are freed, and its
   slot counts for pool_max again. */
#define DBP_SHARE_IDLE_MS	10000

void
dbp_pool_shared_empty(struct dbp_backend *be)
{
	struct dbp_pool *p = be->pool;
	const struct dbproxyd_conf *c = dbp_pool_conf(p);

	if (be->dirty || be->sig == NULL) {
		dbp_pool_close(be);
		return;
	}
	if (TAILQ_EMPTY(&p->waiters) || p->total < c->pool_max)
		return;
	dbp_pool_close(be);
	dbp_pool_open(p, p->caps, p->charset);
}

void
dbp_pool_prune(struct dbp_pool *p)
{
	struct dbp_backend *be, *next;
	uint64_t now = util_now_ms();

	for (be = TAILQ_FIRST(&p->shared); be != NULL; be = next) {
		next = TAILQ_NEXT(be, link);
		if (be->queued == 0 && now - be->idle_since_ms >
		    DBP_SHARE_IDLE_MS)
			dbp_pool_close(be);
	}
}


/*
 * Fill first: the first connection of s's state with room takes it, so
 * that reads queue up (the point of pipelining) and more connections
 * are used only when those are full. One busy with a slow query is
 * skipped; when all are, s waits for a new one (dbp_pool_get).
 */
struct dbp_backend *
dbp_pool_get_shared(struct dbp_pool *p, struct dbp_session *s)
{
	const struct dbproxyd_conf *c = dbp_pool_conf(p);
	struct dbp_backend *be, *over = NULL;
	uint64_t now = util_now_us();

	TAILQ_FOREACH(be, &p->shared, link) {
		if (!dbp_pool_match(be, s) || !dbp_share_fits(be, s) ||
		    dbp_share_stalled(be, s->c, now))
			continue;
		if (be->queued < s->c->multiplex)
			return be;
		if (over == NULL || be->queued < over->queued)
			over = be;
	}
	TAILQ_FOREACH(be, &p->idle, link)
		if (dbp_pool_match(be, s)) {
			dbp_pool_take(p, be, s);
			dbp_pool_to_shared(be);
			return be;
		}
	if (over != NULL && p->total < c->pool_max && p->opening == 0)
		dbp_pool_open(p, s->caps & DBP_DIALECT_CAPS, s->charset);
	return over;
}

void
dbp_pool_unwait(struct dbp_pool *p, struct dbp_session *s)
{
	TAILQ_REMOVE(&p->waiters, s, wait_link);
	atomic_fetch_sub(&p->srv->pool_waiting, 1);
}

void
dbp_pool_ready(struct dbp_backend *be)
{
	struct dbp_pool *p = be->pool;
	struct dbp_session *s;

	if (be->state != DBP_BE_RESETTING) {
		p->opening--;
		atomic_fetch_sub(&p->srv->pool_opening, 1);
	} else
		atomic_fetch_sub(&p->srv->pool_busy, 1);
	be->state = DBP_BE_IDLE;
	be->idle_since_ms = util_now_ms();
	TAILQ_INSERT_TAIL(&p->idle, be, link);
	atomic_fetch_add(&p->srv->pool_idle, 1);
	TAILQ_FOREACH(s, &p->waiters, wait_link)
		if (dbp_pool_match(be, s)) {
			dbp_pool_unwait(p, s);
			dbp_session_backend_ready(s, dbp_pool_take(p, be, s));
			return;
		}
}

void
dbp_pool_release(struct dbp_backend *be, int clean)
{
	if (!clean || be->dirty) {
		dbp_pool_close(be);
		return;
	}
	metric_inc(dbp_metrics.resets);
	dbp_backend_reset(be);
}

void
dbp_pool_failed(struct dbp_backend *be, const char *cause)
{
	struct dbp_pool *p = be->pool;
	struct dbp_session *s;

	log_warnx("server %s (%s): %s", p->srv->name, p->srv->addr_text,
	    cause);
	atomic_fetch_add(&p->srv->connect_failures, 1);
	metric_inc(dbp_metrics.backend_connect_failures);
	dbp_pool_close(be);
	/* Nothing else is opening: those in line learn it now, not at
	   their timeout. */
	while (p->opening == 0 && (s = TAILQ_FIRST(&p->waiters)) != NULL) {
		dbp_pool_unwait(p, s);
		dbp_session_backend_failed(s, p->srv);
	}
}

void
dbp_pool_close(struct dbp_backend *be)
{
	struct dbp_pool *p = be->pool;

	if (be->dead)		/* closed already; share.c frees it */
		return;
	switch (be->state) {
	case DBP_BE_IDLE:
		TAILQ_REMOVE(&p->idle, be, link);
		atomic_fetch_sub(&p->srv->pool_idle, 1);
		break;
	case DBP_BE_SHARED:
		TAILQ_REMOVE(&p->shared, be, link);
		atomic_fetch_sub(&p->srv->pool_shared, 1);
		/* FALLTHROUGH */
	case DBP_BE_BUSY:
	case DBP_BE_RESETTING:
		atomic_fetch_sub(&p->srv->pool_busy, 1);
		break;
	default:
		p->opening--;
		atomic_fetch_sub(&p->srv->pool_opening, 1);
		break;
	}
	TAILQ_REMOVE(&p->all, be, all_link);
	p->total--;
	if (be->pumping) {
		be->dead = 1;	/* share.c frees it when its read ends */
		return;
	}
	dbp_backend_free(be);
}
