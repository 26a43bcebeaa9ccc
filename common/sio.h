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
 * TLS connections are OpenSSL filters over a plain socket bufferevent:
 * the filter encrypts into the socket bufferevent's output as soon as
 * bytes are added, and sio writes that output the same way (after the
 * handshake, which libevent drives). A TLS socket bufferevent (OpenSSL on
 * the descriptor) is left to libevent; sio_flush only makes its small
 * output one chain, so that it leaves as one record and one write(2).
 *
 * The "(bev, tls)" pairs below: tls says bev is an OpenSSL bufferevent.
 */
#ifndef TRIAD_SIO_H
#define TRIAD_SIO_H

#include <stddef.h>

struct bufferevent;

/* sio_init: bev (plain, or a TLS filter whose handshake is done) writes
   only through sio_flush from now on. */
void	sio_init(struct bufferevent *bev, int tls);
/*
 * sio_flush: writes what bev's output holds (one writev or sendfile);
 * leaves the rest to libevent. Returns the bytes still queued. Callbacks
 * of bev may not run from inside it (a TLS filter must be made with
 * BEV_OPT_DEFER_CALLBACKS).
 */
size_t	sio_flush(struct bufferevent *bev, int tls);
/* sio_drained: from the write callback: EV_WRITE off once output is empty. */
void	sio_drained(struct bufferevent *bev, int tls);

#endif
