/*
 * ltimer.c: see ltimer.h.
 */
#include <string.h>

#include <event2/event.h>

#include "ltimer.h"
#include "util.h"

/* ev fires in ms (at armed_ms). */
static void
ltimer_arm(struct ltimer *t, uint64_t now, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)((ms % 1000) * 1000) };

	evtimer_add(t->ev, &tv);
	t->armed_ms = now + ms;
}

/* ev fired: the deadline passed, moved later, or is gone. */
static void
ltimer_fired(evutil_socket_t fd, short ev, void *arg)
{
	struct ltimer *t = arg;
	uint64_t now = util_now_ms();

	(void)fd;
	(void)ev;
	t->armed_ms = 0;
	if (t->deadline_ms == 0)
		return;
	if (now < t->deadline_ms) {
		ltimer_arm(t, now, t->deadline_ms - now);
		return;
	}
	t->deadline_ms = 0;
	t->cb(t->arg);		/* last: it may free t */
}

int
ltimer_init(struct ltimer *t, struct event_base *base, void (*cb)(void *),
    void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
	t->ev = evtimer_new(base, ltimer_fired, t);
	return t->ev != NULL ? 0 : -1;
}

void
ltimer_free(struct ltimer *t)
{
	if (t->ev != NULL)
		event_free(t->ev);
	t->ev = NULL;
	t->deadline_ms = t->armed_ms = 0;
}

void
ltimer_set(struct ltimer *t, int64_t ms)
{
	ltimer_set_from(t, ms > 0 ? util_now_ms() : 0, ms);
}

void
ltimer_set_from(struct ltimer *t, uint64_t now, int64_t ms)
{
	if (ms <= 0) {
		t->deadline_ms = 0;
		return;
	}
	t->deadline_ms = now + (uint64_t)ms;
	if (t->ev != NULL &&
	    (t->armed_ms == 0 || t->deadline_ms < t->armed_ms))
		ltimer_arm(t, now, (uint64_t)ms);
}
