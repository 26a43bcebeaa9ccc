/*
 * util.h: allocation that cannot fail (tmux's xmalloc) and small helpers.
 *
 * xmalloc and friends call fatalx when memory runs out: use them at start-up
 * and for configuration. On a per-connection path where running out must
 * close one connection only, call malloc and handle NULL.
 */
#ifndef TRIAD_UTIL_H
#define TRIAD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#ifndef MINIMUM
#define MINIMUM(a, b)	(((a) < (b)) ? (a) : (b))
#define MAXIMUM(a, b)	(((a) > (b)) ? (a) : (b))
#endif

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* strlcpy semantics: always terminates, returns strlen(src). */
size_t	 util_strlcpy(char *dst, const char *src, size_t size);
/* Monotonic clock in microseconds and milliseconds. */
uint64_t util_now_us(void);
uint64_t util_now_ms(void);
/* Case-insensitive compare of n bytes (ASCII only, locale-free). */
int	 util_strncasecmp(const char *, const char *, size_t);
/* util_hexval: the value of hex digit c (either case), or -1. */
int	 util_hexval(int c);
/* util_mix64: a 64-bit finalizer (MurmurHash3's fmix64 constants):
   every input bit flips about half of the output bits. */
uint64_t util_mix64(uint64_t h);

#endif
