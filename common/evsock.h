/*
 * evsock.h: bytes between a socket and a libevent evbuffer, one system
 * call each way, for the daemons' own socket layers (common/sio.c and
 * dbproxyd's io.c).
 *
 * libevent's evbuffer_read asks FIONREAD before every read, and
 * evbuffer_write uses writev(2), which goes through the VFS layer (file
 * position lock, rw_verify_area, fsnotify): about 2 % of a proxy's time
 * per request in perf. recv(2) and sendmsg(2) go to the socket directly.
 */
#ifndef TRIAD_EVSOCK_H
#define TRIAD_EVSOCK_H

#include <sys/types.h>

#include <stddef.h>

struct evbuffer;

/*
 * evsock_recv: one read of at most want bytes into in's reserved space
 * (recv(2) when that is one extent, the usual case; readv(2) across two).
 * Returns what read(2) would (-1 with errno, ENOMEM when in cannot grow);
 * the bytes read are committed to in.
 */
ssize_t	evsock_recv(int fd, struct evbuffer *in, size_t want);
/*
 * evsock_send: one send(2) of what out holds when it is at most
 * EVSOCK_PULLUP bytes (copied to one extent first), else one sendmsg(2) of its
 * first EVSOCK_IOV chains; never blocking and never raising SIGPIPE. What
 * was sent is drained from out. Returns what the call returned (-1 with
 * errno, EAGAIN when the socket is full). An empty out sends nothing and
 * returns 0. out must hold bytes in memory only (no file segments).
 */
#define EVSOCK_IOV	16
#define EVSOCK_PULLUP	4096
ssize_t	evsock_send(int fd, struct evbuffer *out);

#endif
