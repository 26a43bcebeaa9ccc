/*
 * ratelimit.c: see ratelimit.h.
 *
 * Why one shared table with striped mutexes rather than one table per
 * worker: the cost, measured on the 2-core build machine (clang -O2, a
 * 65536-entry table, 4096 clients, 5M calls per thread, the machine
 * otherwise loaded at about 3, so the 2-thread figures are noisy):
 *   1 thread, no mutex          17.6 ns per lb_rate_check
 *   1 thread, striped mutexes   20.3 ns
 *   2 threads, a table each     40-43 ns (no lock, no sharing)
 *   2 threads, one shared table 50-83 ns (distinct clients)
 *   2 threads, one client       70 ns (one stripe, contended)
 *   connlimit acquire+release   27 ns without mutex, 36 ns with (1 thread)
 * So sharing costs at most some 40 ns a request, against the several
 * microseconds lbd spends on one (under 1%), and buys limits that mean
 * what the operator wrote whatever the number of workers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "ratelimit.h"
#include "stripes.h"
#include "util.h"

#define LB_RATE_STRIPES	64		/* mutexes, at most */

/* One client: its key, the time of its bucket, the bucket in units (one
   token is period_ms units), and when it was last seen in the stripe's
   own order of calls (milliseconds tie: a flood fits in one); seen 0
   marks a free entry, so a table from calloc is empty and its pages are
   only touched as clients arrive. */
struct lb_rate_entry {
	struct lb_ipkey	key;
	uint64_t	last_ms;
	uint64_t	units;
	uint64_t	seen;
};

struct lb_rate_set {
	struct lb_rate_entry	e[LB_RATE_WAYS];
};

/* A mutex and the counters it guards, on a cache line of its own so that
   two workers on two stripes do not share one. */
struct lb_rate_stripe {
	pthread_mutex_t	mu;
	size_t		used;
	uint64_t	tick;		/* one per call, for seen */
	uint64_t	admitted, limited, evicted;
} __attribute__((aligned(64)));

struct lb_rate {
	struct lb_rate_set	*sets;
	size_t			 nsets;		/* a power of two */
	struct lb_rate_stripe	*stripes;
	size_t			 nstripes;	/* a power of two <= nsets */
	uint64_t		 seed;
	int			 refs;
};

int
lb_rate_policy_check(const struct lb_rate_policy *p, char **cause)
{
	if (p->rate < 1 || p->rate > LB_RATE_MAX_RATE)
		xasprintf(cause, "rate %u out of range (1-%u)", p->rate,
		    LB_RATE_MAX_RATE);
	else if (p->period_ms < 1 || p->period_ms > LB_RATE_MAX_PERIOD)
		xasprintf(cause, "period %ums out of range (1ms-1d)",
		    p->period_ms);
	else if (p->burst < 1 || p->burst > LB_RATE_MAX_BURST)
		xasprintf(cause, "burst %u out of range (1-%u)", p->burst,
		    LB_RATE_MAX_BURST);
	else
		return 0;
	return -1;
}

/* p with every field forced into its range, so that no policy can divide
   by zero or overflow the units (the loader has already refused those). */
static struct lb_rate_policy
lb_rate_sane(const struct lb_rate_policy *p)
{
	struct lb_rate_policy q = *p;

	q.rate = q.rate < 1 ? 1 : MINIMUM(q.rate, LB_RATE_MAX_RATE);
	q.period_ms = q.period_ms < 1 ? 1 :
	    MINIMUM(q.period_ms, LB_RATE_MAX_PERIOD);
	q.burst = q.burst < 1 ? 1 : MINIMUM(q.burst, LB_RATE_MAX_BURST);
	return q;
}

/* The smallest power of two >= n (n <= 2^31). */
static size_t
lb_rate_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The stripes and their mutexes; 0, or -1 when memory is short. */
static int
lb_rate_stripes_init(struct lb_rate *t)
{
	t->nstripes = MINIMUM(t->nsets, (size_t)LB_RATE_STRIPES);
	t->stripes = lb_stripes_new(t->nstripes, sizeof(*t->stripes));
	return t->stripes != NULL ? 0 : -1;
}

struct lb_rate *
lb_rate_new(size_t capacity, uint64_t seed)
{
	struct lb_rate *t;

	capacity = MINIMUM(MAXIMUM(capacity, (size_t)1), LB_RATE_MAX_ENTRIES);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->nsets = lb_rate_pow2((capacity + LB_RATE_WAYS - 1) / LB_RATE_WAYS);
	t->seed = seed != 0 ? seed : lb_acl_key_seed();
	t->refs = 1;
	if ((t->sets = calloc(t->nsets, sizeof(*t->sets))) == NULL) {
		free(t);
		return NULL;
	}
	if (lb_rate_stripes_init(t) == -1) {
		free(t->sets);
		free(t);
		return NULL;
	}
	return t;
}

struct lb_rate *
lb_rate_ref(struct lb_rate *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void
lb_rate_free(struct lb_rate *t)
{
	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	lb_stripes_free(t->stripes, t->nstripes, sizeof(*t->stripes));
	free(t->sets);
	free(t);
}

/* The bucket size in units. */
static uint64_t
lb_rate_cap(const struct lb_rate_policy *p)
{
	return (uint64_t)p->burst * p->period_ms;
}

/* The units e holds at now, without changing it. A now older than the
   entry refills nothing; a policy made smaller by a reload caps it. */
static uint64_t
lb_rate_units_at(const struct lb_rate_entry *e, const struct lb_rate_policy *p,
    uint64_t now)
{
	uint64_t cap = lb_rate_cap(p), elapsed;

	if (e->units >= cap)
		return cap;
	if (now <= e->last_ms)
		return e->units;
	elapsed = now - e->last_ms;
	/* Compared before multiplying, so that a long idle time cannot
	   overflow elapsed * rate. */
	if (elapsed >= (cap - e->units) / p->rate + 1)
		return cap;
	return e->units + elapsed * p->rate;
}

/* The entry of set to give a new client: an empty one, else one whose
   bucket is full again (nothing is lost), else the least recently seen
   (evicted). */
static struct lb_rate_entry *
lb_rate_victim(struct lb_rate_set *set, const struct lb_rate_policy *p,
    uint64_t now, struct lb_rate_stripe *st)
{
	struct lb_rate_entry *e, *full = NULL, *old = &set->e[0];
	uint64_t cap = lb_rate_cap(p);
	size_t w;

	for (w = 0; w < LB_RATE_WAYS; w++) {
		e = &set->e[w];
		if (e->seen == 0) {
			st->used++;
			return e;
		}
		if (full == NULL && lb_rate_units_at(e, p, now) == cap)
			full = e;
		if (e->seen < old->seen)
			old = e;
	}
	if (full != NULL)
		return full;
	st->evicted++;
	return old;
}

/*
 * The entry of key in its set, created with a full bucket when absent, and
 * brought up to now. Called with the stripe's mutex held.
 */
static struct lb_rate_entry *
lb_rate_entry(struct lb_rate_set *set, const struct lb_ipkey *key,
    const struct lb_rate_policy *p, uint64_t now, struct lb_rate_stripe *st)
{
	struct lb_rate_entry *e;
	size_t w;

	for (w = 0; w < LB_RATE_WAYS; w++) {
		e = &set->e[w];
		if (e->seen != 0 && lb_acl_key_equal(&e->key, key)) {
			e->units = lb_rate_units_at(e, p, now);
			e->last_ms = MAXIMUM(e->last_ms, now);
			e->seen = ++st->tick;
			return e;
		}
	}
	e = lb_rate_victim(set, p, now, st);
	e->key = *key;
	e->units = lb_rate_cap(p);
	e->last_ms = now;
	e->seen = ++st->tick;
	return e;
}

/* The stripe and set of key; locks the stripe. */
static struct lb_rate_set *
lb_rate_lock(struct lb_rate *t, const struct lb_ipkey *key,
    struct lb_rate_stripe **st)
{
	size_t set = lb_acl_key_hash(key, t->seed) & (t->nsets - 1);

	*st = &t->stripes[set & (t->nstripes - 1)];
	pthread_mutex_lock(&(*st)->mu);
	return &t->sets[set];
}

int
lb_rate_check(struct lb_rate *t, const struct lb_ipkey *key,
    const struct lb_rate_policy *policy, uint64_t now_ms, uint64_t *wait_ms)
{
	struct lb_rate_policy p = lb_rate_sane(policy);
	struct lb_rate_stripe *st;
	struct lb_rate_set *set;
	struct lb_rate_entry *e;
	uint64_t need = 0;

	set = lb_rate_lock(t, key, &st);
	e = lb_rate_entry(set, key, &p, now_ms, st);
	if (e->units >= p.period_ms) {
		e->units -= p.period_ms;
		st->admitted++;
	} else {
		need = p.period_ms - e->units;
		st->limited++;
	}
	pthread_mutex_unlock(&st->mu);
	if (need == 0)
		return 1;
	if (wait_ms != NULL)
		*wait_ms = (need + p.rate - 1) / p.rate;
	return 0;
}

uint64_t
lb_rate_retry_after(uint64_t wait_ms)
{
	uint64_t s = wait_ms / 1000 + (wait_ms % 1000 != 0);

	return s < 1 ? 1 : s;
}

uint64_t
lb_rate_tokens(struct lb_rate *t, const struct lb_ipkey *key,
    const struct lb_rate_policy *policy, uint64_t now_ms)
{
	struct lb_rate_policy p = lb_rate_sane(policy);
	struct lb_rate_stripe *st;
	struct lb_rate_set *set;
	uint64_t units = lb_rate_cap(&p);
	size_t w;

	set = lb_rate_lock(t, key, &st);
	for (w = 0; w < LB_RATE_WAYS; w++)
		if (set->e[w].seen != 0 &&
		    lb_acl_key_equal(&set->e[w].key, key))
			units = lb_rate_units_at(&set->e[w], &p, now_ms);
	pthread_mutex_unlock(&st->mu);
	return units / p.period_ms;
}

void
lb_rate_stats(struct lb_rate *t, struct lb_rate_stats *out)
{
	struct lb_rate_stripe *st;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->capacity = t->nsets * LB_RATE_WAYS;
	out->bytes = sizeof(*t) + t->nsets * sizeof(*t->sets) +
	    t->nstripes * sizeof(*t->stripes);
	for (i = 0; i < t->nstripes; i++) {
		st = &t->stripes[i];
		pthread_mutex_lock(&st->mu);
		out->used += st->used;
		out->admitted += st->admitted;
		out->limited += st->limited;
		out->evicted += st->evicted;
		pthread_mutex_unlock(&st->mu);
	}
}
