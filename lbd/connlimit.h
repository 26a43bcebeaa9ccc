/*
 * connlimit.h: the number of open connections of each client address (a
 * key of acl.h), and the refusal of one more past a limit (HAProxy's
 * `tcp-request connection reject if { src_conn_cur gt N }`).
 *
 * lb_connlimit_acquire is called on accept and, only when it answered
 * LB_CONN_OK, lb_connlimit_release on close. A release without an acquire
 * (or a second one) finds no count to take from and changes nothing, so a
 * count is never negative and never wraps.
 *
 * Memory is fixed at creation. Unlike the rate table, an entry here is
 * live state (open connections), so it is never evicted: it leaves when
 * its count drops to 0. So the table only holds clients that have a
 * connection open, and a capacity of twice the frontend's connection limit
 * (all workers) leaves it never full. If it is full all the same, the
 * connection is accepted untracked (LB_CONN_UNTRACKED, counted), as a
 * HAProxy stick table that cannot make room stops tracking: refusing would
 * let a client with many addresses lock everyone else out, and the global
 * connection limit still holds.
 *
 * Threads: one table for all workers (a client's connections land on every
 * worker through SO_REUSEPORT), open addressing in stripes of slots, each
 * stripe with its own mutex. See ratelimit.c for the measured cost.
 */
#ifndef LBD_CONNLIMIT_H
#define LBD_CONNLIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"

#define LB_CONNLIMIT_MAX_ENTRIES	(1u << 22)

struct lb_connlimit;

enum lb_conn_verdict {
	LB_CONN_OK = 0,		/* counted: release on close */
	LB_CONN_LIMIT,		/* the client is at its limit: refuse */
	LB_CONN_UNTRACKED,	/* no room: accept, do not release */
};

struct lb_connlimit_stats {
	size_t		capacity;	/* clients */
	size_t		used;		/* clients with a connection open */
	size_t		bytes;		/* memory of the table */
	uint64_t	conns;		/* connections counted now */
	uint64_t	refused;	/* LB_CONN_LIMIT answers */
	uint64_t	untracked;	/* LB_CONN_UNTRACKED answers */
	uint64_t	stray;		/* releases that found no count */
};

/*
 * lb_connlimit_new: a table for at least `capacity` clients at once
 * (rounded up to a power of two with room to spare, clamped to
 * LB_CONNLIMIT_MAX_ENTRIES). seed 0 draws a random one. NULL when memory
 * is short. The reference count starts at 1.
 */
struct lb_connlimit *lb_connlimit_new(size_t capacity, uint64_t seed);
/* lb_connlimit_ref: one more owner (a generation or a connection). */
struct lb_connlimit *lb_connlimit_ref(struct lb_connlimit *t);
/* lb_connlimit_free: drops one reference; the last one frees. */
void	lb_connlimit_free(struct lb_connlimit *t);
/*
 * lb_connlimit_acquire: one more connection of key, unless it already has
 * max (0: no limit, only counted). *count (may be NULL) is the client's
 * count after the call (its current count when refused, 0 untracked).
 */
enum lb_conn_verdict lb_connlimit_acquire(struct lb_connlimit *t,
	    const struct lb_ipkey *key, uint32_t max, uint32_t *count);
/* lb_connlimit_release: one connection of key closed (after LB_CONN_OK). */
void	lb_connlimit_release(struct lb_connlimit *t, const struct lb_ipkey *key);
/* lb_connlimit_count: the open connections of key (0 when unknown). */
uint32_t lb_connlimit_count(struct lb_connlimit *t, const struct lb_ipkey *key);
/* lb_connlimit_verdict_name: "ok", "limit" or "untracked". */
const char *lb_connlimit_verdict_name(enum lb_conn_verdict v);
void	lb_connlimit_stats(struct lb_connlimit *t, struct lb_connlimit_stats *st);

#endif
