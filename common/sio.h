/*
 * sio.h: speculative writes on plain socket bufferevents.
 *
 * A libevent bufferevent writes only when the loop says the socket is
 * writable: each response costs an epoll_ctl to add the write interest, a
 * loop turn, and another epoll_ctl to remove it. A socket with room (the
 * usual case) can take the bytes at once. So, as HAProxy does, sio keeps a
 * plain bufferevent's EV_WRITE off and writes right away when asked; only
 * what the socket did not take is left to libevent (EV_WRITE on, the write
 * callback fires when it is gone, and sio_drained turns EV_WRITE off
 * again). A write error is left to libevent too: it meets the same error
 * on its own write and reports it through the event callback, so callers
 * keep one error path.
 *
 * TLS bufferevents are left alone (every call is a no-op on them): their
 * writes go through OpenSSL's state machine.
 */
#ifndef TRIAD_SIO_H
#define TRIAD_SIO_H

#include <stddef.h>

struct bufferevent;

/* sio_init: a new plain bufferevent writes only through sio_flush. */
void	sio_init(struct bufferevent *bev, int tls);
/*
 * sio_flush: writes what bev's output holds (one writev or sendfile);
 * leaves the rest to libevent. Returns the bytes still queued.
 */
size_t	sio_flush(struct bufferevent *bev, int tls);
/* sio_drained: from the write callback: EV_WRITE off once output is empty. */
void	sio_drained(struct bufferevent *bev, int tls);

#endif
