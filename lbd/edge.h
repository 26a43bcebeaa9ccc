/*
 * edge.h: lbd's front door, applied to every client: the allow and deny
 * lists, the per-client connection limit (at accept) and the per-client
 * rate limit (per request in http mode, per connection in tcp mode).
 * The tables are shared by the workers and carried over a reload.
 */
#ifndef LBD_EDGE_H
#define LBD_EDGE_H

#include <sys/socket.h>

#include <stdint.h>

struct lb_conf;

#define LB_EDGE_TRACKED	0x1	/* counted by max_conn_per_ip */

/* lb_edge_prepare: the tables of a new generation (old's, or new). */
void	lb_edge_prepare(struct lb_conf *, const struct lb_conf *old);
void	lb_edge_free(struct lb_conf *);
/*
 * lb_edge_admit: a new connection from sa. 0 to serve it (*flags tells
 * what must be released at close), -1 to close it now (*why for the log).
 */
int	lb_edge_admit(const struct lb_conf *, const struct sockaddr *sa,
	    unsigned *flags, const char **why);
/* lb_edge_release: the connection admitted with flags closed. */
void	lb_edge_release(const struct lb_conf *, const struct sockaddr *sa,
	    unsigned flags);
/*
 * lb_edge_rate: 1 when sa may go on; 0 when over its rate, with the
 * Retry-After in seconds in *retry_after.
 */
int	lb_edge_rate(const struct lb_conf *, const struct sockaddr *sa,
	    uint64_t *retry_after);

#endif
