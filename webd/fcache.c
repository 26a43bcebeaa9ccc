/*
 * fcache.c: see fcache.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cond.h"
#include "fcache.h"
#include "path.h"
#include "util.h"

struct webd_fcache {
	struct webd_file	**table;
	size_t			  mask;
	size_t			  n, max;
	struct webd_file	 *head, *tail;	/* most recent first */
};

static uint32_t
webd_fcache_hash(int rootfd, const char *s)
{
	uint32_t h = (2166136261u ^ (uint32_t)rootfd) * 16777619u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct webd_fcache *
webd_fcache_new(size_t max)
{
	struct webd_fcache *fc = xcalloc(1, sizeof(*fc));
	size_t size = 16;

	while (size < max * 2)
		size *= 2;
	fc->table = xcalloc(size, sizeof(*fc->table));
	fc->mask = size - 1;
	fc->max = max;
	return fc;
}

struct webd_file *
webd_file_ref(struct webd_file *f)
{
	f->refs++;
	return f;
}

void
webd_file_unref(struct webd_file *f)
{
	if (f == NULL || --f->refs > 0)
		return;
	if (f->fd != -1)
		close(f->fd);
	free(f->data);
	free(f);
}

/* Takes f out of the table and the LRU list and drops the cache's ref. */
static void
webd_fcache_drop(struct webd_fcache *fc, struct webd_file *f)
{
	struct webd_file **pp = &fc->table[f->hash & fc->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	if (f->lprev != NULL)
		f->lprev->lnext = f->lnext;
	else
		fc->head = f->lnext;
	if (f->lnext != NULL)
		f->lnext->lprev = f->lprev;
	else
		fc->tail = f->lprev;
	fc->n--;
	f->cached = 0;
	webd_file_unref(f);
}

void
webd_fcache_free(struct webd_fcache *fc)
{
	if (fc == NULL)
		return;
	while (fc->head != NULL)
		webd_fcache_drop(fc, fc->head);
	free(fc->table);
	free(fc);
}

static void
webd_fcache_touch(struct webd_fcache *fc, struct webd_file *f)
{
	if (fc->head == f)
		return;
	f->lprev->lnext = f->lnext;
	if (f->lnext != NULL)
		f->lnext->lprev = f->lprev;
	else
		fc->tail = f->lprev;
	f->lprev = NULL;
	f->lnext = fc->head;
	fc->head->lprev = f;
	fc->head = f;
}

static void
webd_fcache_insert(struct webd_fcache *fc, struct webd_file *f)
{
	if (fc->max == 0)
		return;
	while (fc->n >= fc->max)
		webd_fcache_drop(fc, fc->tail);
	f->hnext = fc->table[f->hash & fc->mask];
	fc->table[f->hash & fc->mask] = f;
	f->lnext = fc->head;
	if (fc->head != NULL)
		fc->head->lprev = f;
	fc->head = f;
	if (fc->tail == NULL)
		fc->tail = f;
	fc->n++;
	f->cached = 1;
	webd_file_ref(f);
}

/* The strong ETag of f, for its variant ("gz", "br") or the file. */
void
webd_fcache_etag(struct webd_file *f, const char *variant)
{
	struct webd_cond_file cf = {
		.mtime_sec = f->st.st_mtim.tv_sec,
		.mtime_nsec = f->st.st_mtim.tv_nsec,
		.size = (uint64_t)f->st.st_size,
		.ino = (uint64_t)f->st.st_ino,
	};

	webd_cond_etag(f->etag, &cf, 0, variant);
}

/* Reads a small regular file whole, so responses need no descriptor. */
static void
webd_fcache_slurp(struct webd_file *f, uint64_t small_max)
{
	size_t size = (size_t)f->st.st_size, got = 0;
	ssize_t n;
	char *buf;

	if (!S_ISREG(f->st.st_mode) || (uint64_t)size > small_max ||
	    (buf = malloc(size + 1)) == NULL)
		return;
	while (got < size && (n = pread(f->fd, buf + got, size - got,
	    (off_t)got)) > 0)
		got += (size_t)n;
	if (got != size) {	/* changed under us: keep the descriptor */
		free(buf);
		return;
	}
	f->data = buf;
	close(f->fd);
	f->fd = -1;
}

/* A fresh entry from the file system (one reference, not cached). */
static struct webd_file *
webd_fcache_load(int rootfd, const char *path, int allow_outside,
    uint64_t small_max, int *err)
{
	size_t len = strlen(path);
	struct webd_file *f;
	int fd;

	struct stat st;

	if ((fd = webd_path_open(rootfd, path, allow_outside ?
	    WEBD_PATH_OUTSIDE : 0, &st, err)) == -1)
		return NULL;
	if ((f = calloc(1, sizeof(*f) + len + 1)) == NULL) {
		close(fd);
		*err = ENOMEM;
		return NULL;
	}
	f->refs = 1;
	f->fd = fd;
	memcpy(f->path, path, len + 1);
	f->rootfd = rootfd;
	f->hash = webd_fcache_hash(rootfd, path);
	f->st = st;
	webd_fcache_etag(f, NULL);
	webd_fcache_slurp(f, small_max);
	return f;
}

/* Remembers that path does not exist (a negative entry, no descriptor). */
static void
webd_fcache_missing(struct webd_fcache *fc, int rootfd, const char *path,
    uint64_t now)
{
	size_t len = strlen(path);
	struct webd_file *f;

	if (fc->max == 0 || (f = calloc(1, sizeof(*f) + len + 1)) == NULL)
		return;
	f->refs = 1;
	f->fd = -1;
	f->missing = 1;
	f->rootfd = rootfd;
	memcpy(f->path, path, len + 1);
	f->hash = webd_fcache_hash(rootfd, path);
	f->checked_ms = now;
	webd_fcache_insert(fc, f);
	webd_file_unref(f);	/* the cache holds it */
}

struct webd_file *
webd_fcache_open(struct webd_fcache *fc, int rootfd, const char *path,
    int allow_outside, uint64_t ttl_ms, uint64_t small_max, int *hit,
    int *err)
{
	uint32_t h = webd_fcache_hash(rootfd, path);
	uint64_t now = util_now_ms();
	struct webd_file *f;

	for (f = fc->table[h & fc->mask]; f != NULL; f = f->hnext)
		if (f->hash == h && f->rootfd == rootfd &&
		    strcmp(f->path, path) == 0)
			break;
	if (f != NULL && now - f->checked_ms <= ttl_ms) {
		webd_fcache_touch(fc, f);
		*hit = 1;
		if (f->missing) {
			*err = ENOENT;
			return NULL;
		}
		return webd_file_ref(f);
	}
	if (f != NULL)
		webd_fcache_drop(fc, f);
	*hit = 0;
	if ((f = webd_fcache_load(rootfd, path, allow_outside, small_max,
	    err)) == NULL) {
		if (*err == ENOENT)
			webd_fcache_missing(fc, rootfd, path, now);
		return NULL;
	}
	f->checked_ms = now;
	webd_fcache_insert(fc, f);
	return f;
}
