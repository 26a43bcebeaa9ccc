/*
 * listeners.c: see listeners.h.
 */
#include <stdlib.h>
#include <unistd.h>

#include "listeners.h"
#include "net.h"
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

int
listeners_bind(struct listeners *l, const struct net_addr *addrs, size_t n,
    unsigned nworkers, char **cause)
{
	return listeners_bind_opts(l, addrs, NULL, n, nworkers, cause);
}

int
listeners_bind_opts(struct listeners *l, const struct net_addr *addrs,
    const struct net_listen_opts *opts, size_t n, unsigned nworkers,
    char **cause)
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
		if ((l->fds[i] = net_listen(&addrs[i % n],
		    opts != NULL ? &opts[i % n] : NULL, cause)) == -1)
			return -1;
	return 0;
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
