/*
 * listeners.h: the listening sockets of a generation: one per worker and
 * address (SO_REUSEPORT, so the kernel spreads connections and accept
 * takes no lock), made by the daemon's prepare while still privileged,
 * then taken by each worker for its event loop. A reload whose addresses
 * did not change makes none: the workers keep theirs, so nothing waiting
 * in the kernel's accept queues is lost.
 */
#ifndef TRIAD_LISTENERS_H
#define TRIAD_LISTENERS_H

#include <stddef.h>

#include "addr.h"
#include "net.h"

struct listeners {
	int		*fds;		/* [worker][address], -1 once taken */
	size_t		 naddrs;
	unsigned	 nworkers;
	/* Set before binding: the sockets' options, nopts of them. 0 (opts
	   NULL): net_listen's defaults; 1: the same for every address;
	   else one per address. */
	const struct net_listen_opts *opts;
	size_t		 nopts;
};

/* listeners_same: the same addresses in the same order. */
int	listeners_same(const struct net_addr *a, size_t na,
	    const struct net_addr *b, size_t nb);
/*
 * listeners_bind: nworkers sockets on each of the n addresses, with the
 * listeners' opts. Returns 0, or -1 with *cause (what was opened is closed
 * by listeners_close).
 */
int	listeners_bind(struct listeners *, const struct net_addr *addrs,
	    size_t n, unsigned nworkers, char **cause);
/*
 * listeners_prepare: the sockets of a new generation. When old_addrs (of
 * the generation before; NULL at start) are the same addresses, none are
 * made and *inherit is set: the workers keep theirs, so nothing in the
 * kernel's accept queues is lost. Else listeners_bind. 0 or -1 with
 * *cause.
 */
int	listeners_prepare(struct listeners *, const struct net_addr *addrs,
	    size_t n, const struct net_addr *old_addrs, size_t old_n,
	    unsigned nworkers, int *inherit, char **cause);
/*
 * listeners_prepare_self: listeners_prepare for a daemon's instance of
 * the topology: its listen addresses against those of old_self (the
 * generation before, or NULL). An instance without any is an error that
 * names it.
 */
struct topo_instance;
int	listeners_prepare_self(struct listeners *,
	    const struct topo_instance *self,
	    const struct topo_instance *old_self, unsigned nworkers,
	    int *inherit, char **cause);
/* listeners_take: worker id's (1..) socket for address i; the caller
   owns it now. -1 when there is none. */
int	listeners_take(struct listeners *, unsigned id, size_t i);
/* listeners_close: closes the sockets nobody took. */
void	listeners_close(struct listeners *);

/*
 * listeners_start: worker id takes its sockets and accepts on base: one
 * net_listener per address, calling fn(fd, peer, arg), or fns[i] when fns
 * is not NULL (one per address). Returns the array (*n entries), which
 * listeners_stop frees.
 */
struct net_listener **listeners_start(struct listeners *, unsigned id,
	    struct event_base *base, net_accept_fn fn,
	    const net_accept_fn *fns, void *arg, size_t *n);
/* listeners_stop: frees the listeners of listeners_start; *l and *n are
   cleared. */
void	listeners_stop(struct net_listener ***l, size_t *n);

#endif
