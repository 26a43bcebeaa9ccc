/*
 * ratelimit.h: a request rate limit per client address (a token bucket
 * per key of acl.h: an IPv4 address, or an IPv6 /64 by default), whose
 * answer past the limit is 429 with Retry-After.
 *
 * The bucket: a client starts with `burst` tokens, each request takes one,
 * and tokens come back at `rate` per `period_ms` up to `burst` again. The
 * arithmetic is in integers (one token is period_ms units, a millisecond
 * refills rate units), so a sequence of (time, verdict) is exact and the
 * tests assert it to the millisecond. A refused request takes no token:
 * a client that keeps knocking is still served once its tokens come back.
 *
 * Memory is fixed at creation, whatever the number of clients: the table
 * is a set-associative cache (the key's hash picks a set of LB_RATE_WAYS
 * entries). A new client takes an empty entry of its set, else one whose
 * bucket has refilled (it holds no information: a full bucket is what an
 * unknown client gets), else the least recently seen one. So a flood of
 * addresses loses a client's state only when LB_RATE_WAYS newer clients
 * landed in its set since its last request and before its bucket refilled;
 * the evicted one starts again with a full bucket. The table never refuses
 * for want of room (HAProxy's stick tables also evict): refusing would let
 * a flood of addresses lock everyone out. The hash is seeded at random per table, so
 * a client cannot aim its addresses at another client's set.
 *
 * Threads: one table is shared by every worker of a frontend, with a mutex
 * per stripe of sets, because SO_REUSEPORT spreads one client's connections
 * over the workers: per-worker tables would let it through `workers` times
 * the configured rate. The measured cost is in ratelimit.c.
 *
 * Time is the caller's monotonic now_ms (util_now_ms()), passed to every
 * call, so tests never sleep. A now_ms older than an entry's (one worker
 * read the clock just before another) refills nothing; it never underflows.
 */
#ifndef LBD_RATELIMIT_H
#define LBD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"

#define LB_RATE_WAYS		8		/* entries per set */
#define LB_RATE_MAX_ENTRIES	(1u << 22)	/* 4M entries, 160 MB */
#define LB_RATE_MAX_RATE	1000000u
#define LB_RATE_MAX_PERIOD	86400000u	/* one day in ms */
#define LB_RATE_MAX_BURST	1000000u

struct lb_rate;

/* A limit: `rate` requests per `period_ms`, `burst` at once. */
struct lb_rate_policy {
	uint32_t	rate;		/* 1..LB_RATE_MAX_RATE */
	uint32_t	period_ms;	/* 1..LB_RATE_MAX_PERIOD */
	uint32_t	burst;		/* 1..LB_RATE_MAX_BURST */
};

/* Counters summed over the stripes when read. */
struct lb_rate_stats {
	size_t		capacity;	/* entries */
	size_t		used;		/* entries holding a client */
	size_t		bytes;		/* memory of the table */
	uint64_t	admitted, limited;
	uint64_t	evicted;	/* clients pushed out with state */
};

/*
 * lb_rate_policy_check: 0 when p is within the limits above, else -1 with
 * *cause (caller frees), for the configuration loader.
 */
int	lb_rate_policy_check(const struct lb_rate_policy *p, char **cause);
/*
 * lb_rate_new: a table for at least `capacity` clients (rounded up to a
 * power of two of sets; clamped to 1..LB_RATE_MAX_ENTRIES). seed 0 draws a
 * random one. Returns NULL when memory is short (at a reload the caller
 * keeps the old configuration). The reference count starts at 1.
 */
struct lb_rate *lb_rate_new(size_t capacity, uint64_t seed);
/* lb_rate_ref: one more owner (a new generation keeping the table). */
struct lb_rate *lb_rate_ref(struct lb_rate *t);
/* lb_rate_free: drops one reference; the last one frees. NULL is fine. */
void	lb_rate_free(struct lb_rate *t);
/*
 * lb_rate_check: one request of client key at now_ms under p. Returns 1
 * (admitted, one token taken) or 0 (limited); when limited and wait_ms is
 * not NULL, *wait_ms is the time until one token is back (>= 1).
 */
int	lb_rate_check(struct lb_rate *t, const struct lb_ipkey *key,
	    const struct lb_rate_policy *p, uint64_t now_ms, uint64_t *wait_ms);
/*
 * lb_rate_retry_after: the Retry-After value for wait_ms: whole seconds
 * rounded up, at least 1 (a 0 would invite an immediate retry).
 */
uint64_t lb_rate_retry_after(uint64_t wait_ms);
/* lb_rate_tokens: whole tokens key holds at now_ms (burst if unknown). */
uint64_t lb_rate_tokens(struct lb_rate *t, const struct lb_ipkey *key,
	    const struct lb_rate_policy *p, uint64_t now_ms);
/* lb_rate_stats: the counters and occupancy of t into *st. */
void	lb_rate_stats(struct lb_rate *t, struct lb_rate_stats *st);

#endif
