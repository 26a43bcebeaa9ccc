/*
 * sio.c: see sio.h.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "sio.h"

void
sio_init(struct bufferevent *bev, int tls)
{
	if (!tls)
		bufferevent_disable(bev, EV_WRITE);
}

size_t
sio_flush(struct bufferevent *bev, int tls)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t len = evbuffer_get_length(out);

	if (tls || len == 0)
		return len;
	/* Libevent is already writing: keep its order of bytes. */
	if (bufferevent_get_enabled(bev) & EV_WRITE)
		return len;
	/* A bufferevent freezes the start of its output so that only it
	   drains it; it writes the same way (unfreeze, write, freeze). */
	evbuffer_unfreeze(out, 1);
	(void)evbuffer_write(out, bufferevent_getfd(bev));
	evbuffer_freeze(out, 1);
	if ((len = evbuffer_get_length(out)) > 0)
		bufferevent_enable(bev, EV_WRITE);	/* the rest, or the error */
	return len;
}

void
sio_drained(struct bufferevent *bev, int tls)
{
	if (!tls && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE);
}
