/*
 * lifecycle_int.h: what lifecycle.c and lifecycle_worker.c share and the
 * daemons do not see.
 */
#ifndef TRIAD_LIFECYCLE_INT_H
#define TRIAD_LIFECYCLE_INT_H

#include "lifecycle.h"

const struct lc_ops *lc_ops(struct lifecycle *);
int	lc_worker_spawn(struct lifecycle *, struct lc_worker *, unsigned id,
	    struct lc_gen *);
void	lc_worker_publish(struct lc_worker *, struct lc_gen *);
void	lc_worker_stop(struct lc_worker *);
void	lc_worker_kill(struct lc_worker *);
void	lc_worker_join(struct lc_worker *);

#endif
