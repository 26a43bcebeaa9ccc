/*
 * fcache.h: the open-file cache, one per worker (no locks). An entry holds
 * an open descriptor and its fstat, the ETag, and for a small file its
 * whole content, so the common case of a small static file costs no
 * system call at all: the response references the cached bytes.
 *
 * Entries are reference counted: a response that is still being sent
 * keeps its entry (and descriptor) alive after the cache dropped it. The
 * cache holds at most `max` entries (least recently used go first), and an
 * entry older than the TTL is checked again with a fresh open and fstat.
 * Successful opens are cached, and so is "no such file" (ENOENT), so that
 * a path looked up often and missing (file.br, file.gz) costs no system
 * call either; both are trusted for the TTL. The key is the root's descriptor and
 * the path: connections still on an older generation (another root) share
 * the worker's cache without seeing each other's files.
 */
#ifndef WEBD_FCACHE_H
#define WEBD_FCACHE_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include "cond.h"

struct webd_fcache;

struct webd_file {
	unsigned		 refs;
	int			 fd;	/* -1 once data holds the content */
	struct stat		 st;
	char			 etag[WEBD_COND_ETAG_SIZE];
	char			*data;	/* small regular files: the content */
	uint64_t		 checked_ms;
	struct webd_file	*hnext, *lprev, *lnext;
	int			 cached;
	int			 missing;	/* cached ENOENT (negative) */
	int			 rootfd;	/* key: root and path */
	uint32_t		 hash;
	char			 path[];	/* the normalized path */
};

struct webd_fcache	*webd_fcache_new(size_t max);
void			 webd_fcache_free(struct webd_fcache *);
/*
 * webd_fcache_open: the file at path (normalized, under rootfd) with a
 * reference the caller drops with webd_file_unref. hit says whether it
 * came from the cache. Returns NULL with *err an errno value (ENOENT,
 * EACCES, EXDEV for an escape, ELOOP, EINVAL for a non-regular file...).
 */
struct webd_file	*webd_fcache_open(struct webd_fcache *, int rootfd,
			    const char *path, int allow_outside,
			    uint64_t ttl_ms, uint64_t small_max, int *hit,
			    int *err);
struct webd_file	*webd_file_ref(struct webd_file *);
/* webd_fcache_etag: sets f->etag for the file, or its variant ("gz"). */
void			 webd_fcache_etag(struct webd_file *, const char *variant);
void			 webd_file_unref(struct webd_file *);

#endif
