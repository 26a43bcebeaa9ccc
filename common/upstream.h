/*
 * upstream.h: groups of servers, their selection and passive health
 * (upstream.c), and per-worker pools of keep-alive connections
 * (upstream_pool.c). Types and the sharing model are in upstream-t.h.
 *
 * A typical request on a worker:
 *
 *	srv = upstream_pool_select(pool, NULL);      NULL: 502/503
 *	conn = upstream_get(pool, srv, ready_cb, req, &ready);
 *	... if ready, use conn->fd now, else wait for ready_cb ...
 *	upstream_release(conn, UPSTREAM_REUSE);      or CLOSE/FAILED/ABORT
 *
 * A reused connection (conn->uses > 0) may have been closed by the server
 * a moment ago: a caller that sees EOF or ECONNRESET before any response
 * byte on it should retry an idempotent request on a fresh connection.
 *
 * Algorithms are small functions over the group's table: each one takes
 * the group, the worker's struct upstream_sel, a server to avoid (a
 * retry) and the time, and uses upstream_server_usable() and
 * upstream_server_eweight(). lbd adds its own the same way.
 *
 * Keyed algorithms (source, uri) need the client or the request: use
 * upstream_pool_select_key() with a struct upstream_key. Every algorithm
 * accepts a key and ignores what it does not use, so a caller may always
 * pass one.
 */
#ifndef TRIAD_UPSTREAM_H
#define TRIAD_UPSTREAM_H

#include "upstream-t.h"

/* ---- groups and servers (upstream.c) --------------------------------- */

/*
 * upstream_group_new: an empty group. max_fails consecutive failures mark
 * a server down for fail_timeout_ms (max_fails 0 disables that). Returns
 * the group with one reference.
 */
struct upstream_group *upstream_group_new(const char *name,
	    enum upstream_algo algo, int max_fails, uint64_t fail_timeout_ms);
/*
 * upstream_group_add: appends a server (weight clamped to
 * 1..UPSTREAM_WEIGHT_MAX). Only while building: the table is read-only
 * once a pool or a selection state uses the group. Returns the server;
 * its slowstart_ms and the group's allbackups and uri_whole may be set
 * until then too.
 */
struct upstream_server *upstream_group_add(struct upstream_group *,
	    const char *name, const struct net_addr *addr, int weight,
	    int backup);
struct upstream_group *upstream_group_ref(struct upstream_group *);
/* upstream_group_unref: frees the group with its last reference. */
void	upstream_group_unref(struct upstream_group *);
/* upstream_group_find: a server by name, or NULL. */
struct upstream_server *upstream_group_find(const struct upstream_group *,
	    const char *name);

/*
 * upstream_server_usable: 1 when s may get new requests at now_ms: admin
 * READY, active checks not down, weight > 0, and not passively marked
 * down (or its fail_timeout has passed: then it is tried again).
 */
int	upstream_server_usable(const struct upstream_server *s, uint64_t now_ms);
/*
 * upstream_server_failed: one failure of s (connect refused or timed out,
 * I/O error, bad answer). After the group's max_fails consecutive ones,
 * s is skipped until now_ms + fail_timeout; a failure while on trial
 * after that marks it down again at once. Logs the transition.
 */
void	upstream_server_failed(struct upstream_server *s, uint64_t now_ms);
/* upstream_server_ok: a success: clears the failures; logs a recovery. */
void	upstream_server_ok(struct upstream_server *s);
/*
 * upstream_server_ride: a request rides a busy connection to s (pipelined
 * behind another): on (1), it counts in s's load as a connection of its
 * own would, so that maxconn and leastconn count requests; off (0) gives
 * the slot back, waking nobody: the caller calls upstream_pool_wake once
 * its requests have taken what they need.
 */
void	upstream_server_ride(struct upstream_server *s, int on);
/*
 * upstream_server_set_admin, upstream_server_set_check: an operator's
 * state, an active check's verdict (down 0 or 1). When s thereby returns
 * to service at now_ms, its slowstart begins. Return the previous value,
 * so that the caller logs transitions only.
 */
enum upstream_admin upstream_server_set_admin(struct upstream_server *s,
	    enum upstream_admin admin, uint64_t now_ms);
int	upstream_server_set_check(struct upstream_server *s, int down,
	    uint64_t now_ms);
/*
 * upstream_server_eweight: s's effective weight at now_ms, in
 * 1/UPSTREAM_WSCALE units: weight * UPSTREAM_WSCALE, except during the
 * slowstart_ms after it came back (up_since), when it ramps linearly from
 * 1 at up_since to the full weight at up_since + slowstart_ms (rounded
 * up, never 0). Usable or not is upstream_server_usable()'s question.
 */
int	upstream_server_eweight(const struct upstream_server *s,
	    uint64_t now_ms);
/* upstream_server_state: "up", "down", "drain", "maint" or "check-down". */
const char *upstream_server_state(const struct upstream_server *s,
	    uint64_t now_ms);

/*
 * upstream_sel_init: a worker's selection state for g (xcalloc), with
 * its random generator seeded from getrandom(2). Seals g (below).
 */
void	upstream_sel_init(struct upstream_sel *, struct upstream_group *g);
void	upstream_sel_free(struct upstream_sel *);
/* upstream_sel_seed: a fixed seed for the random algorithm (tests). */
void	upstream_sel_seed(struct upstream_sel *, uint64_t seed);

/*
 * upstream_select_rr, upstream_select_leastconn: pick a usable server,
 * non-backup ones first, backups only when no other is usable (all of
 * them, or with g->allbackups 0 the first usable one in table order).
 * avoid (may be NULL) is skipped unless it is the only choice. This
 * holds for every algorithm below too. Return NULL when no
 * server is usable. Thread-safe given a per-worker sel.
 */
struct upstream_server *upstream_select_rr(struct upstream_group *,
	    struct upstream_sel *, const struct upstream_server *avoid,
	    uint64_t now_ms);
struct upstream_server *upstream_select_leastconn(struct upstream_group *,
	    struct upstream_sel *, const struct upstream_server *avoid,
	    uint64_t now_ms);
/*
 * upstream_select_random: power of two choices. Draws one candidate at
 * random in proportion to its effective weight, then another among the
 * rest, and returns the one with fewer active connections per unit of
 * effective weight (the first on a tie). sel's generator makes the
 * sequence reproducible after upstream_sel_seed().
 */
struct upstream_server *upstream_select_random(struct upstream_group *,
	    struct upstream_sel *, const struct upstream_server *avoid,
	    uint64_t now_ms);
/*
 * upstream_select_hash: the group's consistent-hash ring at the key's
 * hash (source: the client address; uri: the path, with the query when
 * g->uri_whole), walked clockwise to the first point of a candidate.
 * Round robin when the key lacks what the algorithm hashes.
 */
struct upstream_server *upstream_select_hash(struct upstream_group *,
	    struct upstream_sel *, const struct upstream_server *avoid,
	    uint64_t now_ms, const struct upstream_key *key);
/*
 * upstream_select_key: the group's own algorithm, key (may be NULL)
 * for the keyed ones. upstream_select: the same without a key.
 */
struct upstream_server *upstream_select_key(struct upstream_group *,
	    struct upstream_sel *, const struct upstream_server *avoid,
	    uint64_t now_ms, const struct upstream_key *key);
struct upstream_server *upstream_select(struct upstream_group *,
	    struct upstream_sel *, const struct upstream_server *avoid,
	    uint64_t now_ms);

/* ---- the consistent-hash ring (upstream_hash.c) ----------------------- */

/*
 * upstream_group_seal: builds g's ring if its algorithm hashes and it has
 * none yet; thread-safe, and a no-op after the first call. From then on
 * the server table must not change. upstream_sel_init calls it.
 */
void	upstream_group_seal(struct upstream_group *g);
/* upstream_ring_free: frees a ring (NULL is fine). */
void	upstream_ring_free(struct upstream_ring *);
/*
 * upstream_hash_bytes: the 32-bit hash of the ring and of keys (64-bit
 * FNV-1a folded through MurmurHash3's fmix64), exposed for tests.
 */
uint32_t upstream_hash_bytes(const void *data, size_t len);
/*
 * upstream_hash_key: the hash of what g's algorithm hashes in key: 0 and
 * *h set, or -1 when the key lacks it (no key, a Unix-socket client, an
 * empty path).
 */
int	upstream_hash_key(const struct upstream_group *g,
	    const struct upstream_key *key, uint32_t *h);
/*
 * upstream_ring_lookup: from ring's first point at or after h, clockwise,
 * the first of a server marked in sel, counting only the first points of
 * each (its npoints scaled by effective weight over configured weight,
 * at least one). NULL if nothing is marked. Uses sel->limit as scratch.
 */
struct upstream_server *upstream_ring_lookup(struct upstream_group *g,
	    const struct upstream_ring *ring, struct upstream_sel *sel,
	    uint32_t h, uint64_t now_ms);

/* ---- per-worker connection pools (upstream_pool.c) ------------------- */

/*
 * upstream_pool_new: a pool for g on base, used only from the thread
 * running base. Takes a reference on g. Returns the pool (xcalloc).
 */
struct upstream_pool *upstream_pool_new(struct event_base *base,
	    struct upstream_group *g, const struct upstream_pool_conf *conf);
/*
 * upstream_pool_free: closes the idle connections. Connections still
 * connecting or in use stay valid; the pool goes with the last of them.
 */
void	upstream_pool_free(struct upstream_pool *);
/* upstream_pool_select: upstream_select() with the pool's own state. */
struct upstream_server *upstream_pool_select(struct upstream_pool *,
	    const struct upstream_server *avoid);
/*
 * upstream_group_full: 1 when some server of g is usable but every usable
 * one (of the tier in use: actives, else backups) is at g->maxconn.
 */
int	upstream_group_full(const struct upstream_group *, uint64_t now_ms);
/*
 * upstream_pool_wait: w waits (FIFO, on this worker) for a server slot,
 * at most timeout_ms. It is woken when a connection of the pool ends or,
 * for slots freed on other workers, by a 10 ms poll while any waits.
 * upstream_pool_unwait: w leaves the queue (its request went away).
 */
void	upstream_pool_wait(struct upstream_pool *, struct upstream_waiter *w,
	    upstream_wait_fn cb, void *arg, uint64_t timeout_ms);
void	upstream_pool_unwait(struct upstream_pool *, struct upstream_waiter *w);
/* upstream_pool_group: the group the pool connects to. */
struct upstream_group *upstream_pool_group(const struct upstream_pool *);
/* upstream_pool_dying: upstream_pool_free ran (a reload): the pool lives
   on for its busy connections and must take no waiter. */
int	upstream_pool_dying(const struct upstream_pool *);
/* upstream_pool_waiting: requests waiting in this pool. */
size_t	upstream_pool_waiting(const struct upstream_pool *);

/* upstream_pool_select_key: the same with a key (may be NULL). */
struct upstream_server *upstream_pool_select_key(struct upstream_pool *,
	    const struct upstream_server *avoid, const struct upstream_key *key);
/* upstream_pool_idle: idle connections to s in this pool. */
int	upstream_pool_idle(const struct upstream_pool *,
	    const struct upstream_server *s);
/*
 * upstream_pool_train: a slot per server of the pool for the caller's
 * use: hproxy keeps there the busy connection to s that takes pipelined
 * requests. NULL at first; the pool never reads it. Valid as long as the
 * pool (which outlives its busy connections).
 */
void	**upstream_pool_train(struct upstream_pool *,
	    const struct upstream_server *s);
/* upstream_pool_wake: requests waiting for a slot get those now free
   (their callbacks run from inside). */
void	upstream_pool_wake(struct upstream_pool *);

/*
 * upstream_get: a connection to s. An idle one is reused when there is
 * one (most recently used first): *ready = 1, use it now. Otherwise a
 * non-blocking connect starts: *ready = 1 if it completed at once (unix
 * sockets), else *ready = 0 and cb is called once, from the event loop,
 * never from inside upstream_get. Failures (refused, timeout, no fd left)
 * also come through cb. s counts the connection as active from now on.
 * Returns the connection, or NULL only when memory ran out.
 */
struct upstream_conn *upstream_get(struct upstream_pool *,
	    struct upstream_server *s, upstream_ready_fn cb, void *arg,
	    int *ready);
/*
 * upstream_idle_lost: the idle connection c (user_watches) was closed by
 * its server or sent bytes nobody asked for: it is dropped (user_free
 * runs). Does nothing when c is not idle.
 */
void	upstream_idle_lost(struct upstream_conn *c);
/*
 * upstream_release: the caller is done with conn (a pending connect is
 * cancelled: use UPSTREAM_ABORT). REUSE pools it if the pool has room
 * (the oldest idle one is closed otherwise); CLOSE and FAILED close it;
 * REUSE, CLOSE report a success and FAILED a failure of the server.
 */
void	upstream_release(struct upstream_conn *, enum upstream_outcome);

#endif
