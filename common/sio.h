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
 * TLS connections are OpenSSL filters over a plain socket bufferevent.
 * After the handshake (which libevent drives) the filter's EV_WRITE is
 * off too: bytes wait in its output until sio_flush seals them, one
 * record for a small answer, into the socket bufferevent's output, which
 * sio writes the same way. Timeouts of writing belong on the socket
 * bufferevent (the filter's own timer would run even with nothing to
 * send). A TLS socket bufferevent (OpenSSL on
 * the descriptor) is left to libevent; sio_flush only makes its small
 * output one chain, so that it leaves as one record and one write(2).
 *
 * The "(bev, tls)" pairs below: tls says bev is an OpenSSL bufferevent.
 */
#ifndef TRIAD_SIO_H
#define TRIAD_SIO_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;

/* sio_init: bev (plain, or a TLS filter whose handshake is done) writes
   only through sio_flush from now on. */
void	sio_init(struct bufferevent *bev, int tls);
/*
 * sio_flush: writes what bev's output holds (one sendmsg(2), see
 * common/evsock.h); leaves the rest to libevent. flags: SIO_TLS when bev
 * is an OpenSSL bufferevent (the tls of the other calls), SIO_FILES when
 * its output may hold file segments, which only libevent's writer sends
 * (sendfile). Returns the bytes still queued. Once bytes were left to
 * libevent, bev's write callback runs when they are gone, whoever sent
 * them: libevent's writer, or a later sio_flush (deferred). Callbacks of
 * bev may not run from inside it (a TLS filter must be made with
 * BEV_OPT_DEFER_CALLBACKS).
 */
#define SIO_TLS		1
#define SIO_FILES	2
size_t	sio_flush(struct bufferevent *bev, int flags);
/*
 * sio_drained: from the write callback: the socket's EV_WRITE off once
 * its output is empty. Under a TLS filter (after sio_init) the write
 * callback also runs when the socket's output empties, as on a plain
 * socket.
 */
void	sio_drained(struct bufferevent *bev, int tls);
/* sio_pending: bytes bev was given that the kernel has not taken yet
   (under a TLS filter: the filter's and the socket's). */
size_t	sio_pending(struct bufferevent *bev, int tls);

/*
 * sio_rd: the read side of a plain socket bufferevent, without libevent's
 * reading. libevent asks the kernel how much is readable (FIONREAD)
 * before every read: one more system call per read, two per proxied
 * request. A reader reads into the bufferevent's input itself, with
 * recv(2) into reserved space, and runs the bufferevent's callbacks as
 * libevent would: the read callback after bytes arrived, the event
 * callback with BEV_EVENT_EOF, _ERROR or _TIMEOUT (each | BEV_EVENT_READING,
 * reading then off). From sio_rd_new on, EV_READ of the bufferevent must
 * stay off, and its read timeout and watermarks unset: the reader's own
 * functions below replace them. Callbacks may free the reader and the
 * bufferevent.
 */
struct sio_rd;
struct event_base;

/* sio_rd_new: a reader for bev (plain socket bufferevent), reading off;
   NULL when out of memory. */
struct sio_rd	*sio_rd_new(struct event_base *, struct bufferevent *bev);
/* sio_rd_free: the reader goes (the bufferevent stays), before the
   bufferevent does. NULL is a no-op. */
void	sio_rd_free(struct sio_rd *);
/* sio_rd_set: reading on or off (bufferevent_enable/disable EV_READ). */
void	sio_rd_set(struct sio_rd *, int on);
/*
 * sio_reading: reading on or off for whoever owns bev: through rd when
 * there is one, else libevent's EV_READ of bev. Neither (a bufferevent
 * already gone) is a no-op.
 */
void	sio_reading(struct bufferevent *bev, struct sio_rd *rd, int on);
/*
 * sio_rd_start: reading on, with a read at once, before the loop says the
 * socket is readable: a new connection's request is usually there
 * already, and one answered before reading is needed again never costs
 * the epoll_ctl pair of adding and removing the socket (HAProxy does the
 * same). Callbacks may run from inside it, and free the reader.
 */
void	sio_rd_start(struct sio_rd *);
/* sio_rd_timeout: BEV_EVENT_TIMEOUT when on and nothing came for ms
   milliseconds (0: never), as a bufferevent's read timeout. */
void	sio_rd_timeout(struct sio_rd *, int64_t ms);
/* sio_rd_high: reading pauses while the input holds high bytes or more
   (0: no bound), as a bufferevent's read high-water mark. */
void	sio_rd_high(struct sio_rd *, size_t high);

#endif
