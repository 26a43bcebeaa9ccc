/*
 * upstream-t.h: the types of upstream groups, servers and pooled
 * connections (prototypes are in upstream.h).
 *
 * Sharing model:
 *   - A group and its server table are built at configuration time and
 *     then shared read-only by every worker thread (one group per config
 *     generation, reference counted).
 *   - A server's run-time state (failures, down-until, active connection
 *     count, admin state, health-check verdict, weight, counters) is made
 *     of atomics: any worker reads and updates it without a lock.
 *   - The consistent-hash ring (source, uri) is built once, before the
 *     first selection state of the group exists (upstream_group_seal), and
 *     is read-only after that: lookups take no lock.
 *   - Selection state (round-robin weights, the random generator) and
 *     connection pools are per worker: each worker owns one struct
 *     upstream_sel and one pool per group, on its own event_base. Nothing
 *     there is locked or shared.
 */
#ifndef TRIAD_UPSTREAM_T_H
#define TRIAD_UPSTREAM_T_H

#include <sys/queue.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ltimer.h"

struct event;
struct event_base;
struct upstream_pool;

#define UPSTREAM_WEIGHT_MAX	1000
/*
 * Effective weights (slowstart) are in 1/UPSTREAM_WSCALE units of weight,
 * as HAProxy's BE_WEIGHT_SCALE, so that a weight-1 server can ramp too.
 */
#define UPSTREAM_WSCALE		16

/* The order is the configuration's ("balance" keyword names). */
enum upstream_algo {
	UPSTREAM_ROUNDROBIN,	/* smooth weighted round robin (nginx) */
	UPSTREAM_LEASTCONN,	/* fewest active/weight; ties by weighted RR */
	UPSTREAM_SOURCE,	/* consistent hash of the client address */
	UPSTREAM_URI,		/* consistent hash of the request path */
	UPSTREAM_RANDOM,	/* power of two random choices by weight */
};

/* What an operator set (lbd's admin actions). Only READY is selected. */
enum upstream_admin {
	UPSTREAM_ADMIN_READY,
	UPSTREAM_ADMIN_DRAIN,	/* finishes what it has, gets nothing new */
	UPSTREAM_ADMIN_MAINT,	/* out of service */
};

struct upstream_server {
	char			*name;
	struct net_addr		 addr;
	int			 backup;	/* only when no other is usable */
	size_t			 index;		/* in its group's table */
	struct upstream_group	*group;

	/* Shared run-time state: atomics, any thread. */
	_Atomic int		 weight;	/* 1..UPSTREAM_WEIGHT_MAX */
	_Atomic int		 admin;		/* enum upstream_admin */
	_Atomic int		 check_down;	/* active checks say down */
	_Atomic int		 fails;		/* consecutive failures */
	_Atomic uint64_t	 down_until;	/* ms (util_now_ms); 0: up */
	_Atomic int		 active;	/* connecting + in use */
	_Atomic uint64_t	 n_connects;	/* new connections made */
	_Atomic uint64_t	 n_reuses;	/* idle connections reused */
	_Atomic uint64_t	 n_failures;	/* failures reported */
	_Atomic uint64_t	 up_since;	/* ms it came back: slowstart
						   ramps from there; 0: never */

	/* Set while building, read-only after. */
	int			 cfg_weight;	/* sizes its hash ring share */
	uint64_t		 slowstart_ms;	/* 0: full weight at once */
};

/*
 * The consistent-hash ring: cfg_weight * ppw points per server, sorted
 * by hash. A point counts only while its idx is below the server's
 * current share (weight changes and slowstart), so that a ramping
 * server takes keys over point by point, and only from its neighbours.
 */
struct upstream_ring_point {
	uint32_t		 hash;
	uint32_t		 server;	/* index in the group */
	uint32_t		 idx;		/* i of "name#i" */
};

struct upstream_ring {
	struct upstream_ring_point *pts;
	size_t			 n;
	uint32_t		*npoints;	/* [nservers] */
};

struct upstream_group {
	char			 *name;
	enum upstream_algo	  algo;
	int			  max_fails;	/* 0: no passive marking */
	uint64_t		  fail_timeout_ms;
	struct upstream_server	**servers;
	size_t			  nservers;
	_Atomic int		  refs;

	/* Set while building, read-only after. */
	int			  allbackups;	/* 1 (default, nginx): every
						   usable backup at once; 0
						   (HAProxy): the first one */
	int			  uri_whole;	/* uri: hash the query too */
	int			  maxconn;	/* per server; 0: no limit.
						   Full servers are skipped;
						   when all are, requests wait
						   (upstream_pool_wait) */
	struct upstream_ring	* _Atomic ring;	/* source, uri: see seal */
};

/* Per-worker selection state for one group (never shared). */
struct upstream_sel {
	int64_t			*cw;		/* smooth WRR current weights */
	unsigned char		*mark;		/* scratch: candidates */
	uint32_t		*limit;		/* scratch: ring points used */
	size_t			 n;
	uint64_t		 rng;		/* random: splitmix64 state */
};

/*
 * What the keyed algorithms hash (upstream_select_key). Either field may
 * be NULL/0: an algorithm that lacks its key falls back to round robin,
 * as HAProxy does (a Unix-socket client for source, no URI for uri).
 */
struct upstream_key {
	const struct sockaddr	*client;	/* source: the address only */
	const char		*uri;		/* uri: origin or absolute form */
	size_t			 urilen;
};

/* How a caller ends its use of a connection (upstream_release). */
enum upstream_outcome {
	UPSTREAM_REUSE,		/* exchange complete, keep-alive: pool it */
	UPSTREAM_CLOSE,		/* exchange complete, not reusable: close */
	UPSTREAM_FAILED,	/* the server failed (I/O error, timeout,
				   bad answer): close, count a failure */
	UPSTREAM_ABORT,		/* our side gave up (client left): close,
				   no verdict on the server */
};

enum upstream_conn_state {
	UPSTREAM_CONN_CONNECTING,
	UPSTREAM_CONN_BUSY,
	UPSTREAM_CONN_IDLE,
};

struct upstream_conn;

/*
 * Called once when a connect started by upstream_get() ends: error NULL
 * and conn usable, or error set ("connect 127.0.0.1:9000: Connection
 * refused", "connect timeout") and conn already dead: the pool frees it
 * when the callback returns, so the caller must not release it.
 */
typedef void (*upstream_ready_fn)(struct upstream_conn *conn,
    const char *error, void *arg);

/*
 * A connection to one server. The caller reads fd, server and uses; the
 * rest belongs to the pool. The caller owns the fd's I/O between
 * upstream_get() and upstream_release() (wrap it in a bufferevent without
 * BEV_OPT_CLOSE_ON_FREE, or drive it with evbuffer_read/write), and never
 * closes it: release does.
 */
struct upstream_conn {
	int			 fd;
	struct upstream_server	*server;
	unsigned		 uses;		/* >0: reused keep-alive */
	/*
	 * The caller may attach an object to the connection (a proxy keeps
	 * its bufferevent there, so a reused connection costs no new one):
	 * it stays while the connection is pooled, and user_free is called
	 * before the descriptor closes. It must not read or write the fd
	 * while the connection is idle.
	 */
	void			*user;
	void			(*user_free)(void *);
	/*
	 * 1: the user object keeps watching the descriptor while the
	 * connection is idle (a bufferevent left reading) and reports a
	 * close or stray bytes with upstream_idle_lost(); the pool then only
	 * times the idleness, so pooling costs no epoll_ctl.
	 */
	int			 user_watches;

	/* Private to the pool. */
	enum upstream_conn_state state;
	struct upstream_pool	*pool;
	struct event		*ev;		/* connect, failure, idle watch */
	struct ltimer		 idle;		/* the idle timeout (pooled) */
	upstream_ready_fn	 cb;
	void			*arg;
	char			*error;
	TAILQ_ENTRY(upstream_conn) entry;
};

/*
 * A request waiting for a server slot (every usable server at maxconn).
 * cb is called once: timed_out 0 when a slot may be free (select again;
 * if it is taken meanwhile, wait again), 1 at the deadline or when the
 * pool goes away.
 */
typedef void (*upstream_wait_fn)(void *arg, int timed_out);
struct upstream_waiter {
	TAILQ_ENTRY(upstream_waiter) entry;
	upstream_wait_fn	 cb;
	void			*arg;
	uint64_t		 deadline_ms;
	int			 queued;
};

/* Per-worker pool settings. */
struct upstream_pool_conf {
	int		max_idle;		/* per server; 0: no keep-alive */
	uint64_t	idle_timeout_ms;	/* 0: none */
	uint64_t	connect_timeout_ms;	/* 0: none (not advised) */
};

#endif
