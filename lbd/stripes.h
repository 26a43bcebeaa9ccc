/*
 * stripes.h: the striped locks of lbd's per-client tables (ratelimit.c,
 * connlimit.c): an array of cache-line-aligned stripes, each starting with
 * its own mutex, so that workers touching different clients rarely meet.
 */
#ifndef LBD_STRIPES_H
#define LBD_STRIPES_H

#include <stddef.h>

/*
 * lb_stripes_new: n zeroed stripes of size bytes (a multiple of 64), each
 * beginning with a pthread_mutex_t, initialized. NULL without memory.
 */
void	*lb_stripes_new(size_t n, size_t size);
/* lb_stripes_free: destroys the n mutexes and frees the array (or NULL). */
void	 lb_stripes_free(void *stripes, size_t n, size_t size);

#endif
