/*
 * ltimer.h: a lazy deadline timer. Setting a deadline re-arms the event
 * only when the deadline is earlier than the one the event is armed for;
 * a later deadline, or none, is left for the expiry to find, which re-arms
 * for the rest or does nothing. Why: connection timers move at every
 * request (a keep-alive deadline pushed later, a read timeout restarted at
 * each read), and each event_add or event_del is a min-heap update; with
 * this, a deadline that only moves later costs a clock read. The price:
 * an event that fires for nothing once per period of a moving deadline.
 */
#ifndef TRIAD_LTIMER_H
#define TRIAD_LTIMER_H

#include <stdint.h>

struct event;
struct event_base;

struct ltimer {
	struct event	*ev;
	uint64_t	 deadline_ms;	/* util_now_ms(); 0: none */
	uint64_t	 armed_ms;	/* when ev fires; 0: not armed */
	void		(*cb)(void *);
	void		*arg;
};

/* ltimer_init: no deadline yet; cb(arg) runs when one passes. 0 or -1. */
int	ltimer_init(struct ltimer *, struct event_base *, void (*cb)(void *),
	    void *arg);
/* ltimer_free: the event goes; a zeroed ltimer is fine. cb may call it. */
void	ltimer_free(struct ltimer *);
/*
 * ltimer_set: cb in ms milliseconds from now, replacing the deadline
 * before; ms <= 0: none. When cb runs, the deadline is already cleared,
 * so cb may set a new one or free the timer.
 */
void	ltimer_set(struct ltimer *, int64_t ms);
/* ltimer_set_from: the same, from a clock reading (util_now_ms) the caller
   has already made. */
void	ltimer_set_from(struct ltimer *, uint64_t now_ms, int64_t ms);

#endif
