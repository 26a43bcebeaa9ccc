/*
 * listeners.c: see listeners.h.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listeners.h"
#include "net.h"
#include "topology-t.h"
#include "util.h"

int
listeners_same(const struct net_addr *a, size_t na, const struct net_addr *b,
    size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!addr_equal(&a[i], &b[i]))
			return 0;
	return 1;
}

/*
 * The socket of flat index i ([worker][address]). TCP: a socket of its
 * own per worker (SO_REUSEPORT). A Unix path can be bound once only: the
 * first worker's socket, dup()ed for the others (net_listener.c closes
 * such copies with care).
 */
static int
listeners_one(struct listeners *l, const struct net_addr *addrs, size_t n,
    size_t i, char **cause)
{
	const struct net_addr *a = &addrs[i % n];
	int fd;

	if (a->ss.ss_family != AF_UNIX || i < n)
		return net_listen(a, l->nopts == 0 ? NULL :
		    &l->opts[l->nopts == 1 ? 0 : i % n], cause);
	if ((fd = fcntl(l->fds[i % n], F_DUPFD_CLOEXEC, 0)) == -1)
		xasprintf(cause, "dup of a unix listener: %s", strerror(errno));
	return fd;
}

int
listeners_bind(struct listeners *l, const struct net_addr *addrs, size_t n,
    unsigned nworkers, char **cause)
{
	size_t i, total = n * nworkers;

	l->naddrs = n;
	l->nworkers = nworkers;
	if (total == 0)
		return 0;
	l->fds = xcalloc(total, sizeof(int));
	for (i = 0; i < total; i++)
		l->fds[i] = -1;
	for (i = 0; i < total; i++)
		if ((l->fds[i] = listeners_one(l, addrs, n, i, cause)) == -1)
			return -1;
	return 0;
}

int
listeners_prepare(struct listeners *l, const struct net_addr *addrs,
    size_t n, const struct net_addr *old_addrs, size_t old_n,
    unsigned nworkers, int *inherit, char **cause)
{
	*inherit = old_addrs != NULL &&
	    listeners_same(addrs, n, old_addrs, old_n);
	if (*inherit)
		return 0;
	return listeners_bind(l, addrs, n, nworkers, cause);
}

int
listeners_prepare_self(struct listeners *l, const struct topo_instance *self,
    const struct topo_instance *old_self, unsigned nworkers, int *inherit,
    char **cause)
{
	if (self->nlisten == 0) {
		xasprintf(cause, "%s instance %s has no listen address",
		    self->daemon, self->name);
		return -1;
	}
	return listeners_prepare(l, self->listen, self->nlisten,
	    old_self != NULL ? old_self->listen : NULL,
	    old_self != NULL ? old_self->nlisten : 0, nworkers, inherit,
	    cause);
}

int
listeners_take(struct listeners *l, unsigned id, size_t i)
{
	size_t k = (size_t)(id - 1) * l->naddrs + i;
	int fd;

	if (l->fds == NULL || id == 0 || id > l->nworkers || i >= l->naddrs)
		return -1;
	fd = l->fds[k];
	l->fds[k] = -1;
	return fd;
}

void
listeners_close(struct listeners *l)
{
	size_t i;

	for (i = 0; l->fds != NULL && i < l->naddrs * l->nworkers; i++)
		if (l->fds[i] != -1)
			close(l->fds[i]);
	free(l->fds);
	l->fds = NULL;
}

struct net_listener **
listeners_start(struct listeners *l, unsigned id, struct event_base *base,
    net_accept_fn fn, const net_accept_fn *fns, void *arg, size_t *n)
{
	struct net_listener **v;
	size_t i;

	*n = l->naddrs;
	if (*n == 0)
		return NULL;
	v = xcalloc(*n, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = net_listener_new(base, listeners_take(l, id, i),
		    fns != NULL ? fns[i] : fn, arg);
	return v;
}

void
listeners_stop(struct net_listener ***l, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		net_listener_free((*l)[i]);
	free(*l);
	*l = NULL;
	*n = 0;
}
