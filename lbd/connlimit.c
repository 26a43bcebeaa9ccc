/*
 * connlimit.c: see connlimit.h. Each stripe is a linear-probing hash table
 * of its own (slots never cross stripes, so one mutex covers a probe), and
 * a deleted entry is filled by shifting its followers back, so there are no
 * tombstones and a probe never grows with churn.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "connlimit.h"
#include "stripes.h"
#include "util.h"

#define LB_CONN_STRIPES		64	/* mutexes, at most */
#define LB_CONN_MIN_SLOTS	16	/* per stripe */

/* One client with connections open; count 0 marks a free slot. */
struct lb_conn_entry {
	struct lb_ipkey	key;
	uint32_t	count;
};

struct lb_conn_stripe {
	pthread_mutex_t		 mu;
	struct lb_conn_entry	*slots;		/* t->per of them */
	size_t			 used;
	uint64_t		 conns, refused, untracked, stray;
} __attribute__((aligned(64)));

struct lb_connlimit {
	struct lb_conn_stripe	*stripes;
	size_t			 nstripes;	/* a power of two */
	size_t			 per;		/* slots per stripe, power of 2 */
	size_t			 maxfill;	/* used slots per stripe, at most */
	struct lb_conn_entry	*slots;		/* every stripe's, in one block */
	uint64_t		 seed;
	int			 refs;
};

/* Sizes t for capacity clients: 8/7 of it in slots, so that a stripe is
   at most 7/8 full (short probes, and always a free slot to stop one). */
static void
lb_connlimit_size(struct lb_connlimit *t, size_t capacity)
{
	size_t total = LB_CONN_MIN_SLOTS;

	capacity = MINIMUM(MAXIMUM(capacity, (size_t)1),
	    LB_CONNLIMIT_MAX_ENTRIES);
	while (total - total / 8 < capacity)
		total <<= 1;
	t->nstripes = MINIMUM(total / LB_CONN_MIN_SLOTS,
	    (size_t)LB_CONN_STRIPES);
	t->per = total / t->nstripes;
	t->maxfill = t->per - t->per / 8;
}

struct lb_connlimit *
lb_connlimit_new(size_t capacity, uint64_t seed)
{
	struct lb_connlimit *t;
	size_t i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	lb_connlimit_size(t, capacity);
	t->seed = seed != 0 ? seed : lb_acl_key_seed();
	t->refs = 1;
	t->slots = calloc(t->nstripes * t->per, sizeof(*t->slots));
	if (t->slots == NULL || (t->stripes = lb_stripes_new(t->nstripes,
	    sizeof(*t->stripes))) == NULL) {
		free(t->slots);
		free(t);
		return NULL;
	}
	for (i = 0; i < t->nstripes; i++)
		t->stripes[i].slots = t->slots + i * t->per;
	return t;
}

struct lb_connlimit *
lb_connlimit_ref(struct lb_connlimit *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void
lb_connlimit_free(struct lb_connlimit *t)
{
	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	lb_stripes_free(t->stripes, t->nstripes, sizeof(*t->stripes));
	free(t->slots);
	free(t);
}

/* The home slot of key within its stripe. */
static size_t
lb_connlimit_home(const struct lb_connlimit *t, const struct lb_ipkey *key)
{
	return lb_acl_key_hash(key, t->seed) & (t->per - 1);
}

/* The stripe of key, locked. The stripe takes high bits of the hash and
   the slot low ones, so that the two are independent. */
static struct lb_conn_stripe *
lb_connlimit_lock(struct lb_connlimit *t, const struct lb_ipkey *key)
{
	struct lb_conn_stripe *st;

	st = &t->stripes[(lb_acl_key_hash(key, t->seed) >> 40) &
	    (t->nstripes - 1)];
	pthread_mutex_lock(&st->mu);
	return st;
}

/* The slot holding key, or the free slot that ends its probe (count 0). */
static struct lb_conn_entry *
lb_connlimit_find(struct lb_connlimit *t, struct lb_conn_stripe *st,
    const struct lb_ipkey *key)
{
	struct lb_conn_entry *e;
	size_t i = lb_connlimit_home(t, key);

	for (;; i = (i + 1) & (t->per - 1)) {
		e = &st->slots[i];
		if (e->count == 0 || lb_acl_key_equal(&e->key, key))
			return e;
	}
}

/*
 * Frees slot i by moving back each follower of its probe run that may sit
 * there (its home is not cyclically within (i, j]), then clears the last
 * hole.
 */
static void
lb_connlimit_delete(struct lb_connlimit *t, struct lb_conn_stripe *st,
    size_t i)
{
	size_t j = i, home, mask = t->per - 1;

	for (;;) {
		j = (j + 1) & mask;
		if (st->slots[j].count == 0)
			break;
		home = lb_connlimit_home(t, &st->slots[j].key);
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		st->slots[i] = st->slots[j];
		i = j;
	}
	memset(&st->slots[i], 0, sizeof(st->slots[i]));
	st->used--;
}

/* The verdict for a client found at e (count 0: new) under max. Called
   with the stripe locked. */
static enum lb_conn_verdict
lb_connlimit_take(struct lb_connlimit *t, struct lb_conn_stripe *st,
    struct lb_conn_entry *e, const struct lb_ipkey *key, uint32_t max)
{
	if (e->count == 0) {
		if (st->used >= t->maxfill) {
			st->untracked++;
			return LB_CONN_UNTRACKED;
		}
		e->key = *key;
		st->used++;
	} else if ((max != 0 && e->count >= max) || e->count == UINT32_MAX) {
		st->refused++;
		return LB_CONN_LIMIT;
	}
	e->count++;
	st->conns++;
	return LB_CONN_OK;
}

enum lb_conn_verdict
lb_connlimit_acquire(struct lb_connlimit *t, const struct lb_ipkey *key,
    uint32_t max, uint32_t *count)
{
	struct lb_conn_stripe *st = lb_connlimit_lock(t, key);
	struct lb_conn_entry *e = lb_connlimit_find(t, st, key);
	enum lb_conn_verdict v;

	v = lb_connlimit_take(t, st, e, key, max);
	if (count != NULL)
		*count = e->count;
	pthread_mutex_unlock(&st->mu);
	return v;
}

void
lb_connlimit_release(struct lb_connlimit *t, const struct lb_ipkey *key)
{
	struct lb_conn_stripe *st = lb_connlimit_lock(t, key);
	struct lb_conn_entry *e = lb_connlimit_find(t, st, key);

	if (e->count == 0)
		st->stray++;
	else {
		st->conns--;
		if (--e->count == 0)
			lb_connlimit_delete(t, st, (size_t)(e - st->slots));
	}
	pthread_mutex_unlock(&st->mu);
}

uint32_t
lb_connlimit_count(struct lb_connlimit *t, const struct lb_ipkey *key)
{
	struct lb_conn_stripe *st = lb_connlimit_lock(t, key);
	uint32_t n = lb_connlimit_find(t, st, key)->count;

	pthread_mutex_unlock(&st->mu);
	return n;
}

const char *
lb_connlimit_verdict_name(enum lb_conn_verdict v)
{
	switch (v) {
	case LB_CONN_OK:
		return "ok";
	case LB_CONN_LIMIT:
		return "limit";
	case LB_CONN_UNTRACKED:
		return "untracked";
	}
	return "?";
}

void
lb_connlimit_stats(struct lb_connlimit *t, struct lb_connlimit_stats *out)
{
	struct lb_conn_stripe *st;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->capacity = t->nstripes * t->maxfill;
	out->bytes = sizeof(*t) + t->nstripes * (sizeof(*st) +
	    t->per * sizeof(*t->slots));
	for (i = 0; i < t->nstripes; i++) {
		st = &t->stripes[i];
		pthread_mutex_lock(&st->mu);
		out->used += st->used;
		out->conns += st->conns;
		out->refused += st->refused;
		out->untracked += st->untracked;
		out->stray += st->stray;
		pthread_mutex_unlock(&st->mu);
	}
}
