/*
 * scoreboard.h: how the master watches module workers that serve their
 * own listener (direct.c), as Apache's and php-fpm's scoreboards do: a
 * shared memory file (a memfd the master makes and passes to each
 * worker) with one slot per worker. The worker writes its state, the
 * start and the method and path of the request it runs, and its counters
 * (plain stores, no system call); the master reads them to count idle and
 * busy workers, to find a request past request_timeout, to name the
 * request a crash killed, and to sum requests and latencies into the
 * app's metrics.
 */
#ifndef APPD_SCOREBOARD_H
#define APPD_SCOREBOARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SB_WHAT		120	/* "GET /path", truncated */
#define SB_BUCKETS	24	/* >= metrics_latency_us_nbounds + 1 */

enum sb_state {
	SB_FREE,	/* no worker (or not started yet) */
	SB_IDLE,	/* waiting for a request */
	SB_BUSY,	/* running the request of `what` since start_us */
	SB_DRAINING,	/* not accepting; finishing its connections */
};

struct sb_slot {
	_Atomic uint32_t	 state;		/* enum sb_state */
	_Atomic uint32_t	 pid;
	_Atomic uint32_t	 conns;		/* open connections */
	_Atomic uint64_t	 seq;		/* requests begun */
	_Atomic uint64_t	 kill_seq;	/* the master's timeout mark */
	_Atomic uint64_t	 start_us;	/* util_now_us of the request */
	_Atomic uint64_t	 requests;	/* requests ended */
	_Atomic uint64_t	 accepts;	/* connections accepted */
	_Atomic uint64_t	 hist[SB_BUCKETS];	/* latency, us */
	char			 what[SB_WHAT];
} __attribute__((aligned(64)));

struct scoreboard {
	struct sb_slot	*slots;
	size_t		 n;
	int		 fd;		/* the memfd */
};

/*
 * sb_create: a scoreboard of n slots (all SB_FREE) in a new memfd
 * (close-on-exec; the launch passes it on). 0, or -1 with *cause.
 */
int	sb_create(struct scoreboard *, size_t n, char **cause);
/* sb_map: a worker maps the master's memfd fd of n slots. 0 or -1. */
int	sb_map(struct scoreboard *, int fd, size_t n);
/* sb_free: unmaps and closes. */
void	sb_free(struct scoreboard *);
/* sb_begin: the worker starts a request (method and path for logs). */
void	sb_begin(struct sb_slot *, const char *method, size_t mlen,
	    const char *path, size_t plen, uint64_t now_us);
/* sb_end: the request ended; its latency goes into the histogram. */
void	sb_end(struct sb_slot *, uint64_t now_us);
/* sb_add: adds to a counter only this process writes (no lock). */
void	sb_add(_Atomic uint64_t *, uint64_t);
/* sb_bucket: the histogram bucket of us (metrics_latency_us_bounds). */
size_t	sb_bucket(uint64_t us);

#endif
