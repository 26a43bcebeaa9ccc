/*
 * upstream_hash.c: the consistent-hash ring of the source and uri
 * algorithms (see upstream.h).
 *
 * Why a ring: a plain "hash mod n" sends almost every key elsewhere when
 * a server comes or goes; on a ring of points, a server's keys are those
 * between its points and the previous ones, so removing it moves only
 * its own keys (to the next point clockwise) and adding one moves ~1/n.
 * This is ketama (libketama, nginx's "hash ... consistent") and the same
 * idea as HAProxy's chash tree.
 *
 * The choices:
 *   - Each server gets cfg_weight * ppw points, at the hashes of
 *     "name#0", "name#1"..., so that two lbd instances (or a reload) with
 *     the same server names build the same ring. ppw is
 *     UPSTREAM_RING_PPW (160, as ketama: ten weight-1 servers each get
 *     a tenth within ~10%; 100 gave +-20%), lowered only when the total
 *     weight passes 1638, to keep the ring within UPSTREAM_RING_MAX
 *     points (3 MB); only then does adding a server move more than its
 *     share, since every server's point count changes.
 *   - The hash is 64-bit FNV-1a finished by MurmurHash3's fmix64, whose
 *     avalanche FNV alone lacks on short keys such as an IPv4 address.
 *   - Points are sorted (hash, server, idx), so that equal hashes order
 *     the same everywhere; lookup is a binary search, then a walk that
 *     skips the points of servers that are not candidates (down, avoided,
 *     or active ones while backups serve).
 *   - The ring is read-only once built. Run-time weight changes and
 *     slowstart do not rebuild it: a server uses only its first
 *     npoints * eweight / (cfg_weight * UPSTREAM_WSCALE) points (at least
 *     one), so a ramping server takes keys over point by point, and a
 *     weight raised above the configured one counts as the configured one
 *     until the next configuration.
 */
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "upstream.h"
#include "util.h"

#define UPSTREAM_RING_PPW	160
#define UPSTREAM_RING_MAX	(1U << 18)

#define FNV64_OFFSET	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

static pthread_mutex_t upstream_seal_lock = PTHREAD_MUTEX_INITIALIZER;

/* 64-bit FNV-1a over len bytes, continuing from state h. */
static uint64_t
upstream_fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

/* MurmurHash3's fmix64, folded to the high 32 bits. */
static uint32_t
upstream_fmix(uint64_t h)
{
	return (uint32_t)(util_mix64(h) >> 32);
}

uint32_t
upstream_hash_bytes(const void *data, size_t len)
{
	return upstream_fmix(upstream_fnv(FNV64_OFFSET, data, len));
}

/* The position of point idx of a server: the hash of "name#idx". */
static uint32_t
upstream_point_hash(const char *name, uint32_t idx)
{
	char num[16];
	uint64_t h;
	int len;

	len = snprintf(num, sizeof(num), "#%u", idx);
	h = upstream_fnv(FNV64_OFFSET, name, strlen(name));
	return upstream_fmix(upstream_fnv(h, num, (size_t)len));
}

static int
upstream_point_cmp(const void *va, const void *vb)
{
	const struct upstream_ring_point *a = va, *b = vb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->server != b->server)
		return a->server < b->server ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Points per unit of weight for a ring of total weight tw. */
static uint32_t
upstream_ring_ppw(uint64_t tw)
{
	if (tw == 0 || tw * UPSTREAM_RING_PPW <= UPSTREAM_RING_MAX)
		return UPSTREAM_RING_PPW;
	return (uint32_t)MAXIMUM(UPSTREAM_RING_MAX / tw, 1);
}

/* The ring of g's servers (see the top of this file). */
static struct upstream_ring *
upstream_ring_build(const struct upstream_group *g)
{
	struct upstream_ring *r;
	uint64_t tw = 0;
	uint32_t ppw, k;
	size_t i;

	for (i = 0; i < g->nservers; i++)
		tw += (uint64_t)g->servers[i]->cfg_weight;
	ppw = upstream_ring_ppw(tw);
	r = xcalloc(1, sizeof(*r));
	r->npoints = xcalloc(MAXIMUM(g->nservers, 1), sizeof(*r->npoints));
	r->pts = xreallocarray(NULL, MAXIMUM(tw * ppw, 1), sizeof(*r->pts));
	for (i = 0; i < g->nservers; i++) {
		r->npoints[i] = (uint32_t)g->servers[i]->cfg_weight * ppw;
		for (k = 0; k < r->npoints[i]; k++) {
			r->pts[r->n].hash = upstream_point_hash(
			    g->servers[i]->name, k);
			r->pts[r->n].server = (uint32_t)i;
			r->pts[r->n++].idx = k;
		}
	}
	qsort(r->pts, r->n, sizeof(*r->pts), upstream_point_cmp);
	return r;
}

void
upstream_ring_free(struct upstream_ring *r)
{
	if (r == NULL)
		return;
	free(r->pts);
	free(r->npoints);
	free(r);
}

void
upstream_group_seal(struct upstream_group *g)
{
	if (g->algo != UPSTREAM_SOURCE && g->algo != UPSTREAM_URI)
		return;
	if (atomic_load_explicit(&g->ring, memory_order_acquire) != NULL)
		return;
	/* Workers may start at once: one builds, the others wait. */
	pthread_mutex_lock(&upstream_seal_lock);
	if (atomic_load_explicit(&g->ring, memory_order_relaxed) == NULL)
		atomic_store_explicit(&g->ring, upstream_ring_build(g),
		    memory_order_release);
	pthread_mutex_unlock(&upstream_seal_lock);
}

/*
 * The client's address bytes: 4 for IPv4 and for IPv4-mapped IPv6 (a
 * dual-stack listener must not split one client in two), 16 for IPv6.
 * -1 for anything else (Unix sockets).
 */
static int
upstream_hash_client(const struct sockaddr *sa, uint32_t *h)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa == NULL)
		return -1;
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		*h = upstream_hash_bytes(&sin->sin_addr, 4);
		return 0;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			*h = upstream_hash_bytes(&sin6->sin6_addr.s6_addr[12],
			    4);
		else
			*h = upstream_hash_bytes(&sin6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/*
 * The request path: an absolute-form target ("http://host/p?q") hashes
 * as its origin form ("/p?q"), so that a proxy client and a plain one
 * land on the same server; the query is cut off unless whole (HAProxy's
 * "balance uri" and "balance uri whole").
 */
static int
upstream_hash_uri(const char *uri, size_t len, int whole, uint32_t *h)
{
	const char *p, *end;

	if (uri == NULL || len == 0)
		return -1;
	end = uri + len;
	if (uri[0] != '/' && (p = memmem(uri, len, "://", 3)) != NULL) {
		p += 3;
		while (p < end && *p != '/' && *p != '?')
			p++;
		uri = p;
	}
	if (!whole && (p = memchr(uri, '?', (size_t)(end - uri))) != NULL)
		end = p;
	if (uri == end)
		return -1;
	*h = upstream_hash_bytes(uri, (size_t)(end - uri));
	return 0;
}

int
upstream_hash_key(const struct upstream_group *g,
    const struct upstream_key *key, uint32_t *h)
{
	if (key == NULL)
		return -1;
	switch (g->algo) {
	case UPSTREAM_SOURCE:
		return upstream_hash_client(key->client, h);
	case UPSTREAM_URI:
		return upstream_hash_uri(key->uri, key->urilen, g->uri_whole,
		    h);
	default:
		return -1;
	}
}

/* sel->limit for the marked servers: how many of their points count. */
static void
upstream_ring_limits(const struct upstream_group *g,
    const struct upstream_ring *ring, struct upstream_sel *sel,
    uint64_t now_ms)
{
	const struct upstream_server *s;
	uint64_t n, full;
	size_t i;

	for (i = 0; i < sel->n; i++) {
		if (!sel->mark[i])
			continue;
		s = g->servers[i];
		full = (uint64_t)s->cfg_weight * UPSTREAM_WSCALE;
		n = ring->npoints[i] *
		    (uint64_t)upstream_server_eweight(s, now_ms) / full;
		sel->limit[i] = (uint32_t)MAXIMUM(MINIMUM(n, ring->npoints[i]),
		    1);
	}
}

/* The index of the first point at or after h (ring->n: none, wrap). */
static size_t
upstream_ring_find(const struct upstream_ring *ring, uint32_t h)
{
	size_t lo = 0, hi = ring->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ring->pts[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct upstream_server *
upstream_ring_lookup(struct upstream_group *g, const struct upstream_ring *ring,
    struct upstream_sel *sel, uint32_t h, uint64_t now_ms)
{
	const struct upstream_ring_point *pt;
	size_t i, start, k;

	if (ring->n == 0)
		return NULL;
	upstream_ring_limits(g, ring, sel, now_ms);
	start = upstream_ring_find(ring, h);
	for (k = 0; k < ring->n; k++) {
		i = start + k;
		pt = &ring->pts[i >= ring->n ? i - ring->n : i];
		if (pt->server < sel->n && sel->mark[pt->server] &&
		    pt->idx < sel->limit[pt->server])
			return g->servers[pt->server];
	}
	return NULL;
}
