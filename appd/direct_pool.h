/*
 * direct_pool.h: the master's side of module apps with their own
 * `listen` (direct.h): their listening sockets (bound at prepare, passed
 * on from one generation to the next when the address stays), and the
 * supervision of their workers through the scoreboard, scanned every
 * DIRECT_SCAN_MS on the first event-loop thread, which alone runs such
 * an app's pool: idle and busy counts, request_timeout, requests and
 * latencies into the app's metrics, the accept queue and its 503s,
 * ondemand spawning, access-log reopening.
 */
#ifndef APPD_DIRECT_POOL_H
#define APPD_DIRECT_POOL_H

#include "appd.h"
#include "hconn.h"
#include "scoreboard.h"

#define DIRECT_SCAN_MS	50

struct event;

struct direct_pool {
	struct appd_pool	*pool;
	struct scoreboard	 sb;
	uint8_t			*used;		/* slot taken by a worker */
	struct event		*scan;
	struct event		*watch[APPD_MAX_LISTEN];	/* ondemand */
	struct hconn_worker	 rej;		/* connections answered 503 */
	uint64_t		 stuck_since_us;	/* 0: the queue moves */
	uint64_t		 stuck_accepts;	/* accepts at that time */
	uint64_t		 stuck_queue;	/* its length then */
	unsigned		 alog_epoch;
};

/*
 * direct_bind: the listening sockets of every app with its own listen in
 * c (backlog: the app's queue), taken over from old (the generation
 * before, or NULL) where an address stays, so that nothing waiting in
 * the kernel's queue is lost. 0, or -1 with *cause.
 */
int	direct_bind(struct appd_conf *c, const struct appd_conf *old,
	    char **cause);
/* direct_unbind: closes the app's listening sockets. */
void	direct_unbind(struct appd_app *);
/*
 * direct_pool_init: the direct side of pool (its app has a listen):
 * scoreboard, scan timer, the 503 side. Only on the first thread; other
 * threads' pools of the app have no workers. 0, or -1 (logged).
 */
int	direct_pool_init(struct appd_pool *);
void	direct_pool_free(struct appd_pool *);
/* direct_spawn: a worker of pool on a free slot; NULL (logged). */
struct appd_proc *direct_spawn(struct appd_pool *);
/* direct_proc_stop: asks p to drain ('S'); the caller arms the kill. */
void	direct_proc_stop(struct appd_proc *);
/*
 * direct_proc_closed: p's control socket closed (it exited or died):
 * returns 1 when it was running a request (named in p->last, counted an
 * error: the worker answered 502 if it could).
 */
int	direct_proc_closed(struct appd_proc *);
/* direct_proc_forget: p is reaped: its slot is free again. */
void	direct_proc_forget(struct appd_proc *);
/* direct_reopen: the access log was reopened (main thread, SIGUSR1). */
void	direct_reopen(void);
/* direct_drain_ms: how long a draining worker may take before SIGKILL. */
int64_t	direct_drain_ms(const struct appd_pool *);

#endif
