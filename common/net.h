/*
 * net.h: sockets for the daemons: listening sockets, the accept path on a
 * worker's event_base, and non-blocking outgoing connects.
 *
 * Threading model: every worker thread owns its listeners. For TCP each
 * worker calls net_listen() on the same address (SO_REUSEPORT), so the
 * kernel spreads connections over the workers' queues and the accept path
 * takes no lock. An AF_UNIX socket cannot be shared that way: create it once
 * and give each worker a dup() of the fd (accept on a non-blocking fd from
 * several threads is safe; the losers see EAGAIN).
 *
 * Address text is parsed by addr.h; this file never parses addresses.
 */
#ifndef TRIAD_NET_H
#define TRIAD_NET_H

#include <sys/types.h>

#include "addr.h"

struct event_base;
struct net_listener;

#define NET_BACKLOG_DEFAULT	1024

/* How net_listen() makes its socket. Zero-filled means the defaults. */
struct net_listen_opts {
	int	backlog;	/* listen(2) backlog; 0: NET_BACKLOG_DEFAULT */
	mode_t	mode;		/* AF_UNIX file mode; 0: 0660 */
	int	no_reuseport;	/* 1: do not set SO_REUSEPORT (TCP) */
	int	defer_accept;	/* TCP_DEFER_ACCEPT seconds (client speaks first) */
	int	freebind;	/* 1: IP_FREEBIND, bind an address not (yet) on
				   this host: a VIP that keepalived may move here */
	int	delayed_ack;	/* 1: TCP_QUICKACK off, see below */
};

/*
 * net_listen: a bound, listening, non-blocking, close-on-exec socket on a.
 * TCP gets SO_REUSEADDR and SO_REUSEPORT, and IPV6_V6ONLY on v6 (so "[::]"
 * and "0.0.0.0" can be bound side by side). AF_UNIX: a stale socket file
 * (nobody accepts on it) is unlinked first; a live one or a file that is
 * not a socket is an error; the file gets opts->mode. opts may be NULL.
 * Returns the fd, or -1 with *cause ("bind 127.0.0.1:80: Address already
 * in use"), which the caller frees.
 *
 * delayed_ack is for protocols where the client speaks and the server
 * answers at once (HTTP): Linux acknowledges a new connection's first
 * data at once, a segment of its own, unless quick acks are off on the
 * listening socket after listen(2) (accepted sockets inherit it); the
 * ACK then rides on the answer. A server that waits for more of the
 * client's data must call net_quickack, or a client whose Nagle holds
 * its next segment until that ACK waits for the delayed-ACK timer.
 */
int	net_listen(const struct net_addr *a, const struct net_listen_opts *opts,
	    char **cause);
/* net_quickack: acknowledge fd's data at once again (and what is due
   now): more of the peer's data is awaited. Best effort. */
void	net_quickack(int fd);

/*
 * The accept callback: fd is a connected, non-blocking, close-on-exec
 * socket the callee now owns (TCP_NODELAY is set on TCP); peer is the
 * remote address (an AF_UNIX peer is usually unnamed); arg is the
 * listener's user data. The callback may disable or even free the
 * listener.
 */
typedef void (*net_accept_fn)(int fd, const struct net_addr *peer, void *arg);

/*
 * net_listener_new: accepts on the listening socket fd (which the listener
 * now owns and closes) from base. A worker's connection limit over its
 * listeners is net_listeners_count's. On EMFILE/ENFILE/ENOBUFS/ENOMEM the
 * listener pauses (one log line per pause) and retries after 100 ms or at
 * net_listener_resume(), so it never spins.
 * Not thread-safe: use a listener only from the thread that runs base.
 * Returns the listener (xmalloc: cannot fail).
 */
struct net_listener *net_listener_new(struct event_base *base, int fd,
	    net_accept_fn cb, void *arg);
/* net_listener_free: stops accepting and closes the socket. NULL is fine. */
void	net_listener_free(struct net_listener *);
/*
 * net_listener_resume: ends an EMFILE pause now (a hint that an fd is
 * free). Does not override net_listeners_count's pause or a disable.
 */
void	net_listener_resume(struct net_listener *);
/* net_listener_enable: 0 stops accepting (draining), 1 starts again. */
void	net_listener_enable(struct net_listener *, int on);
/*
 * net_listeners_count: a worker's connection count moves by delta (+1 at
 * accept, -1 at close); its n listeners stop accepting when the count
 * reaches max and start again when it falls below, unless stopping.
 * Thresholds, not equalities: a max that a reload changed between an
 * accept and its close still pauses and resumes right. This pause is its
 * own: it neither ends nor is ended by net_listener_enable or an EMFILE
 * pause. max 0: no limit.
 */
void	net_listeners_count(struct net_listener **, size_t n, size_t *count,
	    int delta, size_t max, int stopping);
/*
 * net_listeners_limit: the same pause set from scratch: on iff count is
 * at or past max (a reload's new max, or new listeners of a worker that
 * already holds count connections).
 */
void	net_listeners_limit(struct net_listener **, size_t n, size_t count,
	    size_t max);
/* net_listener_paused: 1 while paused (EMFILE, the count, or disabled). */
int	net_listener_paused(const struct net_listener *);
/* net_listener_pauses: how many EMFILE-type pauses happened (a counter). */
unsigned long net_listener_pauses(const struct net_listener *);
/* net_listener_fd: the listening socket (for getsockname in tests, PROXY). */
int	net_listener_fd(const struct net_listener *);

/*
 * net_connect: starts a non-blocking connect to a from a new non-blocking,
 * close-on-exec socket (TCP_NODELAY on TCP). Returns the fd with
 * *in_progress 1 (wait for writability, then net_connect_result()) or 0
 * (already connected), or -1 with *cause and errno kept from the failing
 * call (ECONNREFUSED, EAGAIN for a full AF_UNIX backlog...).
 */
int	net_connect(const struct net_addr *a, int *in_progress, char **cause);
/*
 * net_connect_result: after an in-progress connect became writable,
 * returns 0 when connected, or the errno of the failure (SO_ERROR).
 */
int	net_connect_result(int fd);

/* net_local_addr, net_peer_addr: getsockname/getpeername into out; 0 or -1. */
int	net_local_addr(int fd, struct net_addr *out);
int	net_peer_addr(int fd, struct net_addr *out);

#endif
