/*
 * scoreboard.c: the shared slots of direct module workers (see
 * scoreboard.h).
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "scoreboard.h"
#include "util.h"

int
sb_create(struct scoreboard *sb, size_t n, char **cause)
{
	size_t len = n * sizeof(struct sb_slot);

	memset(sb, 0, sizeof(*sb));
	sb->fd = -1;
	if ((sb->fd = memfd_create("triad-appd-scoreboard", MFD_CLOEXEC)) ==
	    -1 || ftruncate(sb->fd, (off_t)len) == -1) {
		xasprintf(cause, "scoreboard: %s", strerror(errno));
		sb_free(sb);
		return -1;
	}
	if (sb_map(sb, sb->fd, n) == -1) {
		xasprintf(cause, "scoreboard mmap: %s", strerror(errno));
		sb->fd = -1;
		return -1;
	}
	return 0;
}

int
sb_map(struct scoreboard *sb, int fd, size_t n)
{
	void *p;

	p = mmap(NULL, n * sizeof(struct sb_slot), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	sb->slots = p;
	sb->n = n;
	sb->fd = fd;
	return 0;
}

void
sb_free(struct scoreboard *sb)
{
	if (sb->slots != NULL)
		munmap(sb->slots, sb->n * sizeof(struct sb_slot));
	if (sb->fd != -1)
		close(sb->fd);
	sb->slots = NULL;
	sb->fd = -1;
	sb->n = 0;
}

void
sb_add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) +
	    n, memory_order_relaxed);
}

size_t
sb_bucket(uint64_t us)
{
	size_t i;

	for (i = 0; i < metrics_latency_us_nbounds && i + 1 < SB_BUCKETS; i++)
		if ((int64_t)us <= metrics_latency_us_bounds[i])
			return i;
	return i;
}

void
sb_begin(struct sb_slot *s, const char *method, size_t mlen,
    const char *path, size_t plen, uint64_t now_us)
{
	mlen = MINIMUM(mlen, 16);
	plen = MINIMUM(plen, SB_WHAT - mlen - 2);
	memcpy(s->what, method, mlen);
	s->what[mlen] = ' ';
	memcpy(s->what + mlen + 1, path, plen);
	s->what[mlen + 1 + plen] = '\0';
	atomic_store_explicit(&s->start_us, now_us, memory_order_relaxed);
	sb_add(&s->seq, 1);
	atomic_store_explicit(&s->state, SB_BUSY, memory_order_release);
}

void
sb_end(struct sb_slot *s, uint64_t now_us)
{
	uint64_t t = atomic_load_explicit(&s->start_us, memory_order_relaxed);

	sb_add(&s->hist[sb_bucket(now_us - t)], 1);
	sb_add(&s->requests, 1);
	if (atomic_load_explicit(&s->state, memory_order_relaxed) == SB_BUSY)
		atomic_store_explicit(&s->state, SB_IDLE,
		    memory_order_release);
}
