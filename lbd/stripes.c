/*
 * stripes.c: see stripes.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stripes.h"

void *
lb_stripes_new(size_t n, size_t size)
{
	char *s;
	size_t i;

	if (posix_memalign((void **)&s, 64, n * size) != 0)
		return NULL;
	memset(s, 0, n * size);
	for (i = 0; i < n; i++)
		pthread_mutex_init((pthread_mutex_t *)(void *)(s + i * size),
		    NULL);
	return s;
}

void
lb_stripes_free(void *stripes, size_t n, size_t size)
{
	char *s = stripes;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < n; i++)
		pthread_mutex_destroy((pthread_mutex_t *)(void *)(s + i * size));
	free(s);
}
